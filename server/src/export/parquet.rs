//! Writes one segment as an export file: read a batch at a time, conform it to the target
//! schema by column name, write Parquet with the task's settings, publish by rename.

use std::collections::HashSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, new_null_array};
use arrow::compute::kernels::cast::{CastOptions, can_cast_types, cast_with_options};
use arrow::datatypes::{DataType, Field, FieldRef, Fields, Schema, SchemaRef};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use parquet::arrow::ArrowWriter;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::metadata::ParquetMetaData;

use super::json;
use super::options::ParquetOptions;

/// Rows per batch read from the segment: the memory an export holds is about one
/// batch plus the row group being written, whatever the segment's size.
const READ_BATCH_ROWS: usize = 4096;

/// Rows handed to the writer at once, so a row group closes within this many rows
/// of reaching `rowGroupSizeBytes` (the writer only cuts between writes it is given).
const WRITE_SLICE_ROWS: usize = 512;

#[derive(Debug, Clone)]
pub struct ExportedFile {
    pub rows: u64,
    pub size_bytes: u64,
    /// The written file's footer: row groups, column sizes and statistics (what an
    /// Iceberg data file entry is built from).
    pub metadata: Arc<ParquetMetaData>,
}

/// The segment file's own Arrow schema: the target of a filesystem export.
pub fn segment_schema(path: &Path) -> Result<SchemaRef, String> {
    let file = open(path)?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| format!("reading the footer of {}: {e}", path.display()))?;
    Ok(builder.schema().clone())
}

/// The schema an export with `options` writes for `target`: the same fields with their
/// metadata (field ids), with the decimal override applied to Decimal128 columns.
pub fn export_schema(target: &SchemaRef, options: &ParquetOptions) -> Result<SchemaRef, String> {
    if options.decimal_precision.is_none() && options.decimal_scale.is_none() {
        return Ok(target.clone());
    }
    let fields = target
        .fields()
        .iter()
        .map(|f| with_decimal_override(f, options, f.name()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Arc::new(Schema::new_with_metadata(
        fields,
        target.metadata().clone(),
    )))
}

fn with_decimal_override(
    field: &FieldRef,
    options: &ParquetOptions,
    column: &str,
) -> Result<FieldRef, String> {
    let data_type = match field.data_type() {
        DataType::Decimal128(precision, scale) => {
            let precision = options.decimal_precision.unwrap_or(*precision);
            let scale = options.decimal_scale.unwrap_or(*scale);
            if scale > 0 && scale as u8 > precision {
                return Err(format!(
                    "column '{column}': decimal scale {scale} is larger than its precision {precision} (fileFormat.parquet.decimal.precision / .scale)"
                ));
            }
            DataType::Decimal128(precision, scale)
        }
        DataType::Struct(children) => DataType::Struct(
            children
                .iter()
                .map(|c| with_decimal_override(c, options, &format!("{column}.{}", c.name())))
                .collect::<Result<Fields, _>>()?,
        ),
        DataType::List(item) => DataType::List(with_decimal_override(item, options, column)?),
        DataType::LargeList(item) => {
            DataType::LargeList(with_decimal_override(item, options, column)?)
        }
        _ => return Ok(field.clone()),
    };
    Ok(Arc::new(field.as_ref().clone().with_data_type(data_type)))
}

/// Exports the segment at `source` to `dest` in `target`'s shape (see `Conformer`).
/// `dest` appears only complete and synced: a failure or crash leaves at most a hidden
/// `.<name>.<id>.tmp` beside it, and a retry replaces whatever is there.
pub fn write_export(
    source: &Path,
    target: &SchemaRef,
    options: &ParquetOptions,
    dest: &Path,
) -> Result<ExportedFile, String> {
    let schema = export_schema(target, options)?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(open(source)?)
        .map_err(|e| format!("reading the footer of {}: {e}", source.display()))?;
    let mut conformer = Conformer::new(builder.schema(), schema.clone(), options)?;
    let projection = ProjectionMask::roots(builder.parquet_schema(), conformer.source_roots());
    let reader = builder
        .with_projection(projection)
        .with_batch_size(READ_BATCH_ROWS)
        .build()
        .map_err(|e| format!("reading {}: {e}", source.display()))?;

    let parent = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .ok_or_else(|| format!("{} has no folder", dest.display()))?;
    std::fs::create_dir_all(parent).map_err(|e| format!("creating {}: {e}", parent.display()))?;
    let temporary = temporary_path(dest)?;
    let result = (|| {
        let file = File::create(&temporary)
            .map_err(|e| format!("creating {}: {e}", temporary.display()))?;
        let mut writer =
            ArrowWriter::try_new(&file, schema.clone(), Some(options.writer_properties()))
                .map_err(|e| format!("starting the export file: {e}"))?;
        let mut rows = 0u64;
        for batch in reader {
            let batch = batch.map_err(|e| format!("reading {}: {e}", source.display()))?;
            let conformed = conformer.conform(&batch, rows)?;
            let mut offset = 0;
            while offset < conformed.num_rows() {
                let length = WRITE_SLICE_ROWS.min(conformed.num_rows() - offset);
                writer
                    .write(&conformed.slice(offset, length))
                    .map_err(|e| format!("writing the export file: {e}"))?;
                offset += length;
            }
            rows += conformed.num_rows() as u64;
        }
        let metadata = writer
            .close()
            .map_err(|e| format!("finishing the export file: {e}"))?;
        file.sync_all()
            .map_err(|e| format!("syncing {}: {e}", temporary.display()))?;
        let size_bytes = file.metadata().map_err(|e| e.to_string())?.len();
        drop(file);
        std::fs::rename(&temporary, dest)
            .map_err(|e| format!("publishing {}: {e}", dest.display()))?;
        sync_dir(parent)?;
        Ok(ExportedFile {
            rows,
            size_bytes,
            metadata: Arc::new(metadata),
        })
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}

/// A hidden name beside `dest`: listings of Parquet files skip names starting with '.'.
pub fn temporary_path(dest: &Path) -> Result<PathBuf, String> {
    let name = dest
        .file_name()
        .ok_or_else(|| format!("{} has no file name", dest.display()))?
        .to_string_lossy();
    Ok(dest.with_file_name(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple())))
}

/// Makes a rename durable: the folder's entry is on disk, not just the file's bytes.
pub fn sync_dir(dir: &Path) -> Result<(), String> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| format!("syncing {}: {e}", dir.display()))
}

fn open(path: &Path) -> Result<File, String> {
    File::open(path).map_err(|e| format!("opening {}: {e}", path.display()))
}

/// Turns segment batches into target batches. Target columns are matched to segment
/// columns by name (exactly, else the one name that differs only in case, as catalogs
/// such as Glue lower-case names); segment columns the target lacks are not read.
struct Conformer<'a> {
    schema: SchemaRef,
    /// Per target column: the segment column it is read from, if any.
    sources: Vec<Option<String>>,
    source_roots: Vec<usize>,
    options: &'a ParquetOptions,
    /// Per target column: whether its dropped JSON keys were logged already.
    warned: Vec<bool>,
}

impl<'a> Conformer<'a> {
    fn new(
        source: &Schema,
        schema: SchemaRef,
        options: &'a ParquetOptions,
    ) -> Result<Self, String> {
        let mut sources = Vec::with_capacity(schema.fields().len());
        let mut roots = HashSet::new();
        for field in schema.fields() {
            let Some(index) = find_column(source, field.name())? else {
                if !field.is_nullable() {
                    return Err(format!(
                        "column '{}' is required (not nullable) in the target schema, but the segment has no such column",
                        field.name()
                    ));
                }
                sources.push(None);
                continue;
            };
            let from = source.field(index);
            let to = field.data_type();
            let convertible = from.data_type() == to
                || (json::is_text(from.data_type()) && json::is_group(to))
                || can_cast_types(from.data_type(), to);
            if !convertible {
                return Err(format!(
                    "column '{}' cannot be written as {to}: the segment stores it as {}",
                    field.name(),
                    from.data_type()
                ));
            }
            roots.insert(index);
            sources.push(Some(from.name().clone()));
        }
        let mut source_roots: Vec<usize> = roots.into_iter().collect();
        source_roots.sort_unstable();
        Ok(Self {
            warned: vec![false; schema.fields().len()],
            schema,
            sources,
            source_roots,
            options,
        })
    }

    fn source_roots(&self) -> Vec<usize> {
        self.source_roots.clone()
    }

    /// `first_row`: the segment row number of the batch's first row, for messages.
    fn conform(&mut self, batch: &RecordBatch, first_row: u64) -> Result<RecordBatch, String> {
        let rows = batch.num_rows();
        let cast_options = CastOptions {
            safe: false,
            ..Default::default()
        };
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(self.sources.len());
        for (index, (field, source)) in self.schema.fields().iter().zip(&self.sources).enumerate() {
            let name = field.name();
            let column = match source.as_deref().and_then(|s| batch.column_by_name(s)) {
                None => new_null_array(field.data_type(), rows),
                Some(array) if array.data_type() == field.data_type() => array.clone(),
                Some(array)
                    if json::is_text(array.data_type()) && json::is_group(field.data_type()) =>
                {
                    json::parse_column(
                        array,
                        field,
                        self.options,
                        first_row,
                        &mut self.warned[index],
                    )?
                }
                Some(array) => {
                    cast_with_options(array, field.data_type(), &cast_options).map_err(|e| {
                        format!(
                            "column '{name}' cannot be written as {}: {e}",
                            field.data_type()
                        )
                    })?
                }
            };
            if !field.is_nullable() && column.null_count() > 0 {
                return Err(format!(
                    "column '{name}' is not nullable in the target schema, but {} of rows {}..{} are null",
                    column.null_count(),
                    first_row,
                    first_row + rows as u64
                ));
            }
            columns.push(column);
        }
        RecordBatch::try_new_with_options(
            self.schema.clone(),
            columns,
            &RecordBatchOptions::new().with_row_count(Some(rows)),
        )
        .map_err(|e| format!("rows do not fit the target schema: {e}"))
    }
}

fn find_column(source: &Schema, name: &str) -> Result<Option<usize>, String> {
    if let Ok(index) = source.index_of(name) {
        return Ok(Some(index));
    }
    let matches: Vec<(usize, &FieldRef)> = source
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| f.name().eq_ignore_ascii_case(name))
        .collect();
    match matches.as_slice() {
        [] => Ok(None),
        [(index, _)] => Ok(Some(*index)),
        several => Err(format!(
            "target column '{name}' matches several segment columns that differ only in case: {}",
            several
                .iter()
                .map(|(_, f)| f.name().as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// A target field carrying an Iceberg field id, as the Iceberg target builds them.
pub fn field_with_id(field: Field, id: i32) -> Field {
    let mut metadata = field.metadata().clone();
    metadata.insert(
        parquet::arrow::PARQUET_FIELD_ID_META_KEY.to_owned(),
        id.to_string(),
    );
    field.with_metadata(metadata)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Decimal128Array, Int32Array, Int64Array, StringArray};

    fn segment(dir: &Path) -> PathBuf {
        let schema = Arc::new(Schema::new(vec![
            Field::new("Id", DataType::Int32, false),
            Field::new("price", DataType::Decimal128(38, 9), true),
            Field::new("note", DataType::Utf8, true),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int32Array::from_iter_values(0..10)),
                Arc::new(
                    Decimal128Array::from_iter_values((0..10).map(|i| i * 1_250_000_000))
                        .with_precision_and_scale(38, 9)
                        .unwrap(),
                ),
                Arc::new(StringArray::from_iter_values(
                    (0..10).map(|i| format!("n{i}")),
                )),
            ],
        )
        .unwrap();
        let path = dir.join("seg.parquet");
        let mut writer = ArrowWriter::try_new(File::create(&path).unwrap(), schema, None).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
        path
    }

    fn read(path: &Path) -> RecordBatch {
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap())
            .unwrap()
            .build()
            .unwrap();
        let batches: Vec<_> = reader.map(Result::unwrap).collect();
        arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap()
    }

    #[test]
    fn columns_are_matched_by_name_cast_and_keep_their_ids() {
        let dir = tempfile::tempdir().unwrap();
        let source = segment(dir.path());
        let target = Arc::new(Schema::new(vec![
            field_with_id(Field::new("note", DataType::Utf8, true), 7),
            field_with_id(Field::new("id", DataType::Int64, false), 1),
            Field::new("price", DataType::Decimal128(38, 9), true),
            Field::new("added", DataType::Utf8, true),
        ]));
        let options = ParquetOptions {
            decimal_precision: Some(10),
            decimal_scale: Some(2),
            ..ParquetOptions::default()
        };
        let dest = dir.path().join("out/seg.parquet");
        let exported = write_export(&source, &target, &options, &dest).unwrap();
        assert_eq!(exported.rows, 10);
        assert_eq!(exported.size_bytes, std::fs::metadata(&dest).unwrap().len());
        let leftovers: Vec<_> = std::fs::read_dir(dest.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers.len(), 1, "{leftovers:?}");

        let batch = read(&dest);
        let schema = batch.schema();
        let names: Vec<_> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, ["note", "id", "price", "added"]);
        assert_eq!(
            schema.field(1).metadata().get("PARQUET:field_id"),
            Some(&"1".to_string())
        );
        assert_eq!(schema.field(2).data_type(), &DataType::Decimal128(10, 2));
        let ids = batch
            .column(1)
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap();
        assert_eq!(ids.values().to_vec(), (0..10).collect::<Vec<i64>>());
        let prices = batch
            .column(2)
            .as_any()
            .downcast_ref::<Decimal128Array>()
            .unwrap();
        assert_eq!(prices.value_as_string(3), "3.75");
        assert_eq!(batch.column(3).null_count(), 10);
    }

    #[test]
    fn what_cannot_be_written_is_refused_before_writing() {
        let dir = tempfile::tempdir().unwrap();
        let source = segment(dir.path());
        let dest = dir.path().join("out/seg.parquet");
        let options = ParquetOptions::default();
        let required = Arc::new(Schema::new(vec![Field::new("gone", DataType::Utf8, false)]));
        let err = write_export(&source, &required, &options, &dest).unwrap_err();
        assert!(
            err.contains("'gone'") && err.contains("no such column"),
            "{err}"
        );
        let uncastable = Arc::new(Schema::new(vec![Field::new(
            "note",
            DataType::Struct(Fields::from(vec![Field::new("x", DataType::Int32, true)])),
            true,
        )]));
        // Text into a struct is parsed as JSON: "n0" is not JSON, and the row says so.
        let err = write_export(&source, &uncastable, &options, &dest).unwrap_err();
        assert!(err.contains("column 'note' row 0"), "{err}");
        let not_numbers = Arc::new(Schema::new(vec![Field::new("note", DataType::Int64, true)]));
        let err = write_export(&source, &not_numbers, &options, &dest).unwrap_err();
        assert!(err.contains("column 'note'"), "{err}");
        assert!(!dest.exists());
        let left: Vec<_> = std::fs::read_dir(dest.parent().unwrap()).unwrap().collect();
        assert!(left.is_empty(), "temporary files are removed: {left:?}");
        let too_small = ParquetOptions {
            decimal_precision: Some(4),
            ..ParquetOptions::default()
        };
        let err = write_export(
            &source,
            &segment_schema(&source).unwrap(),
            &too_small,
            &dest,
        )
        .unwrap_err();
        assert!(err.contains("'price'"), "{err}");
    }
}
