//! Turns the batches of one source file into one segment: conform to the table schema, sort by time, write Parquet.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, Int64Array, Scalar, StringArray, StringBuilder, new_null_array,
};
use arrow::compute::is_not_null;
use arrow::compute::kernels::cast::{CastOptions, cast_with_options};
use arrow::compute::kernels::zip::zip;
use arrow::compute::{SortOptions, concat_batches, sort_to_indices, take_record_batch};
use arrow::datatypes::{DataType, Field, FieldRef, SchemaRef, TimeUnit};
use arrow::json::writer::{EncoderOptions, make_encoder};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::SortingColumn;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use crate::catalogs::partitions::{HIVE_NULL, hive_partitions};
use crate::model::schema::{TableSchema, parse_source_types, segment_arrow_schema};
use crate::model::table_config::TableConfig;

/// What every segment of a table is built to.
#[derive(Debug, Clone)]
pub struct SegmentPlan {
    pub schema: TableSchema,
    pub arrow_schema: SchemaRef,
    pub time_column: Option<String>,
    pub bloom_filter_columns: Vec<String>,
    /// False: nulls become each field's default value (the table's null handling is off).
    pub null_handling: bool,
}

impl SegmentPlan {
    /// The plan of a table: its schema, the column types fixed when it was created
    /// (`tables.segment_types`), its time column, bloom filters and null handling.
    pub fn for_table(
        schema: TableSchema,
        segment_types: &serde_json::Value,
        config: &TableConfig,
    ) -> Self {
        SegmentPlan {
            arrow_schema: Arc::new(segment_arrow_schema(
                &schema,
                &parse_source_types(segment_types),
            )),
            time_column: config.segments_config.time_column_name.clone(),
            bloom_filter_columns: bloom_filter_columns(config),
            null_handling: config.null_handling_enabled(),
            schema,
        }
    }
}

fn bloom_filter_columns(config: &TableConfig) -> Vec<String> {
    config
        .extra
        .get("tableIndexConfig")
        .and_then(|c| c.get("bloomFilterColumns"))
        .and_then(|c| c.as_array())
        .map(|columns| {
            columns
                .iter()
                .filter_map(|c| c.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltSegment {
    pub rows: u64,
    pub size_bytes: u64,
    pub min_time_ms: Option<i64>,
    pub max_time_ms: Option<i64>,
}

const ROW_GROUP_ROWS: usize = 128 * 1024;

/// Casts a source batch to the table's columns: source columns by name, partition
/// folders for columns the file lacks, nulls for the rest. Fails, naming the column,
/// when a value does not fit its type or a required column has no value.
pub fn conform(
    batch: &RecordBatch,
    file_key: &str,
    plan: &SegmentPlan,
) -> Result<RecordBatch, String> {
    let partitions = hive_partitions(file_key);
    let rows = batch.num_rows();
    let options = CastOptions {
        safe: false,
        ..Default::default()
    };
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(plan.arrow_schema.fields().len());
    for field in plan.arrow_schema.fields() {
        let source = batch.column_by_name(field.name()).cloned().or_else(|| {
            partitions
                .iter()
                .find(|(name, _)| name == field.name())
                .map(|(_, value)| {
                    let value = (value != HIVE_NULL).then_some(value.as_str());
                    Arc::new(StringArray::from(vec![value; rows])) as ArrayRef
                })
        });
        let column = match source {
            Some(array) if array.data_type() == field.data_type() => array,
            Some(array) if is_nested(array.data_type()) && field.data_type() == &DataType::Utf8 => {
                json_text(&array, field.name())?
            }
            Some(array) => cast_with_options(&array, field.data_type(), &options).map_err(|e| {
                format!(
                    "column '{}' cannot be read as {}: {e}",
                    field.name(),
                    field.data_type()
                )
            })?,
            None => new_null_array(field.data_type(), rows),
        };
        let column = if !plan.null_handling && column.null_count() > 0 {
            fill_nulls(&column, field, plan)?
        } else {
            column
        };
        if !field.is_nullable() && column.null_count() > 0 {
            return Err(format!(
                "column '{}' is marked notNull but has {} null values",
                field.name(),
                column.null_count()
            ));
        }
        columns.push(column);
    }
    RecordBatch::try_new_with_options(
        plan.arrow_schema.clone(),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(rows)),
    )
    .map_err(|e| format!("rows do not fit the table schema: {e}"))
}

/// Replaces nulls with the field's default value (see `FieldSpec::default_null_text`).
/// List columns keep their nulls: an empty list is not a value of the element type.
fn fill_nulls(column: &ArrayRef, field: &Field, plan: &SegmentPlan) -> Result<ArrayRef, String> {
    let Some((role, spec)) = plan.schema.fields().find(|(_, f)| f.name == *field.name()) else {
        return Ok(column.clone());
    };
    if matches!(
        field.data_type(),
        DataType::List(_) | DataType::LargeList(_)
    ) {
        return Ok(column.clone());
    }
    let text = spec
        .configured_null_default(role)
        .unwrap_or_else(|| type_null_default(field.data_type()));
    let default = cast_with_options(
        &StringArray::from(vec![text.as_str()]),
        field.data_type(),
        &CastOptions {
            safe: false,
            ..Default::default()
        },
    )
    .map_err(|e| {
        format!(
            "default value '{text}' of column '{}' does not fit {}: {e}",
            field.name(),
            field.data_type()
        )
    })?;
    let present = is_not_null(column.as_ref()).map_err(|e| e.to_string())?;
    zip(&present, column, &Scalar::new(default))
        .map_err(|e| format!("filling nulls of '{}': {e}", field.name()))
}

/// Pinot's defaults for dimensions, by stored type: the type's minimum, negative
/// infinity, false, the epoch, or the text "null".
fn type_null_default(data_type: &DataType) -> String {
    match data_type {
        DataType::Int8 => i8::MIN.to_string(),
        DataType::Int16 => i16::MIN.to_string(),
        DataType::Int32 => i32::MIN.to_string(),
        DataType::Int64 => i64::MIN.to_string(),
        DataType::Float16 | DataType::Float32 | DataType::Float64 => "-inf".into(),
        DataType::Boolean => "false".into(),
        DataType::Timestamp(..) | DataType::Date32 | DataType::Date64 => {
            "1970-01-01T00:00:00".into()
        }
        DataType::Binary | DataType::LargeBinary => String::new(),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "null".into(),
        _ => "0".into(),
    }
}

fn is_nested(data_type: &DataType) -> bool {
    matches!(data_type, DataType::Struct(_) | DataType::Map(..))
}

/// Structs and maps stored in a JSON column become one JSON document per row.
fn json_text(array: &ArrayRef, name: &str) -> Result<ArrayRef, String> {
    let field: FieldRef = Arc::new(Field::new(name, array.data_type().clone(), true));
    let options = EncoderOptions::default();
    let mut encoder = make_encoder(&field, array.as_ref(), &options)
        .map_err(|e| format!("column '{name}' cannot be written as JSON: {e}"))?;
    let mut text = StringBuilder::with_capacity(array.len(), array.len() * 32);
    let mut buffer = Vec::new();
    for row in 0..array.len() {
        if array.is_null(row) {
            text.append_null();
            continue;
        }
        buffer.clear();
        encoder.encode(row, &mut buffer);
        text.append_value(
            std::str::from_utf8(&buffer)
                .map_err(|e| format!("column '{name}' produced invalid JSON text: {e}"))?,
        );
    }
    Ok(Arc::new(text.finish()))
}

/// Builds one segment at `dest` from already-conformed batches. The file appears
/// under its final name only once complete and synced, so a crash leaves either
/// the old segment, a complete new one, or a temporary file for the collector.
pub fn write_segment(
    plan: &SegmentPlan,
    batches: &[RecordBatch],
    dest: &Path,
) -> Result<BuiltSegment, String> {
    let mut batch = concat_batches(&plan.arrow_schema, batches)
        .map_err(|e| format!("combining batches: {e}"))?;
    let mut time_ms: Option<Int64Array> = None;
    if let Some(time_column) = &plan.time_column
        && let Some(index) = plan.arrow_schema.index_of(time_column).ok()
    {
        let indices = sort_to_indices(
            batch.column(index),
            Some(SortOptions {
                descending: false,
                nulls_first: true,
            }),
            None,
        )
        .map_err(|e| format!("sorting by '{time_column}': {e}"))?;
        batch = take_record_batch(&batch, &indices)
            .map_err(|e| format!("sorting by '{time_column}': {e}"))?;
        time_ms = Some(
            epoch_millis(batch.column(index))
                .map_err(|e| format!("time column '{time_column}': {e}"))?,
        );
    }
    let (min_time_ms, max_time_ms) = match &time_ms {
        Some(values) => (arrow::compute::min(values), arrow::compute::max(values)),
        None => (None, None),
    };

    let mut properties = WriterProperties::builder()
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(3).expect("valid zstd level"),
        ))
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_created_by(format!("lakeport {}", env!("CARGO_PKG_VERSION")));
    if let Some(index) = plan
        .time_column
        .as_ref()
        .and_then(|c| plan.arrow_schema.index_of(c).ok())
    {
        properties = properties.set_sorting_columns(Some(vec![SortingColumn {
            column_idx: index as i32,
            descending: false,
            nulls_first: true,
        }]));
    }
    for column in &plan.bloom_filter_columns {
        properties =
            properties.set_column_bloom_filter_enabled(ColumnPath::from(column.as_str()), true);
    }

    let parent = dest.parent().ok_or("segment path has no folder")?;
    std::fs::create_dir_all(parent).map_err(|e| format!("creating {}: {e}", parent.display()))?;
    let temporary = dest.with_extension(format!("tmp-{}", uuid::Uuid::new_v4().simple()));
    let result = (|| {
        let file = File::create(&temporary)
            .map_err(|e| format!("creating {}: {e}", temporary.display()))?;
        let mut writer =
            ArrowWriter::try_new(file, plan.arrow_schema.clone(), Some(properties.build()))
                .map_err(|e| format!("starting segment: {e}"))?;
        writer
            .write(&batch)
            .map_err(|e| format!("writing segment: {e}"))?;
        let file = writer
            .into_inner()
            .map_err(|e| format!("finishing segment: {e}"))?;
        file.sync_all()
            .map_err(|e| format!("syncing segment: {e}"))?;
        let size_bytes = file.metadata().map_err(|e| e.to_string())?.len();
        std::fs::rename(&temporary, dest).map_err(|e| format!("publishing segment: {e}"))?;
        Ok(BuiltSegment {
            rows: batch.num_rows() as u64,
            size_bytes,
            min_time_ms,
            max_time_ms,
        })
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}

/// Milliseconds since the epoch of a time column, whatever its stored type.
fn epoch_millis(column: &ArrayRef) -> Result<Int64Array, String> {
    let as_millis = match column.data_type() {
        DataType::Timestamp(TimeUnit::Millisecond, _) => column.clone(),
        DataType::Timestamp(..) | DataType::Date32 | DataType::Date64 => cast_with_options(
            column,
            &DataType::Timestamp(TimeUnit::Millisecond, None),
            &CastOptions::default(),
        )
        .map_err(|e| e.to_string())?,
        DataType::Int64 | DataType::Int32 => column.clone(),
        other => return Err(format!("{other} is not a time type")),
    };
    let as_int = cast_with_options(&as_millis, &DataType::Int64, &CastOptions::default())
        .map_err(|e| e.to_string())?;
    Ok(as_int
        .as_any()
        .downcast_ref::<Int64Array>()
        .expect("cast to Int64 gives Int64Array")
        .clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::schema::{FieldDataType, FieldSpec, segment_arrow_schema};
    use arrow::array::{Int32Array, TimestampMillisecondArray};
    use arrow::datatypes::{Field, Schema};

    fn spec(name: &str, data_type: FieldDataType) -> FieldSpec {
        FieldSpec::new(name, data_type)
    }

    fn plan() -> SegmentPlan {
        let schema = TableSchema {
            schema_name: "t".into(),
            enable_column_based_null_handling: true,
            dimension_field_specs: vec![
                spec("id", FieldDataType::Long),
                spec("year", FieldDataType::Long),
            ],
            metric_field_specs: vec![],
            date_time_field_specs: vec![spec("ts", FieldDataType::Timestamp)],
            primary_key_columns: vec![],
        };
        let source = std::collections::BTreeMap::from([("id".to_string(), DataType::Int32)]);
        SegmentPlan {
            arrow_schema: Arc::new(segment_arrow_schema(&schema, &source)),
            schema,
            time_column: Some("ts".into()),
            bloom_filter_columns: vec!["id".into()],
            null_handling: true,
        }
    }

    #[test]
    fn without_null_handling_nulls_become_default_values() {
        let mut plan = plan();
        plan.null_handling = false;
        let source = RecordBatch::try_new(
            Arc::new(Schema::new(vec![
                Field::new("id", DataType::Int32, true),
                Field::new("ts", DataType::Timestamp(TimeUnit::Millisecond, None), true),
            ])),
            vec![
                Arc::new(Int32Array::from(vec![Some(1), None])),
                Arc::new(TimestampMillisecondArray::from(vec![None, Some(5)])),
            ],
        )
        .unwrap();
        // `year` is not in the file or its path: all nulls, filled too.
        let conformed = conform(&source, "part.parquet", &plan).unwrap();
        let column = |name: &str| conformed.column_by_name(name).unwrap().clone();
        // The default is the stored type's minimum, whichever integer width it is.
        let id = arrow::compute::cast(&column("id"), &DataType::Int64).unwrap();
        let id = id.as_any().downcast_ref::<Int64Array>().unwrap();
        let minimum = match column("id").data_type() {
            DataType::Int32 => i64::from(i32::MIN),
            _ => i64::MIN,
        };
        assert_eq!(id.values().to_vec(), vec![1, minimum]);
        assert_eq!(id.null_count(), 0);
        let ts = column("ts");
        let ts = ts
            .as_any()
            .downcast_ref::<TimestampMillisecondArray>()
            .unwrap();
        assert_eq!(ts.values().to_vec(), vec![0, 5]);
        assert_eq!(column("year").null_count(), 0);

        plan.null_handling = true;
        let kept = conform(&source, "part.parquet", &plan).unwrap();
        assert_eq!(kept.column_by_name("id").unwrap().null_count(), 1);
    }

    #[test]
    fn partition_folders_fill_missing_columns_and_rows_are_sorted_by_time() {
        let plan = plan();
        let source = RecordBatch::try_new(
            Arc::new(Schema::new(vec![
                Field::new("id", DataType::Int32, false),
                Field::new("ts", DataType::Timestamp(TimeUnit::Millisecond, None), true),
            ])),
            vec![
                Arc::new(Int32Array::from(vec![1, 2, 3])),
                Arc::new(TimestampMillisecondArray::from(vec![300, 100, 200])),
            ],
        )
        .unwrap();
        let conformed = conform(&source, "year=2024/part.parquet", &plan).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("t/seg.parquet");
        let built = write_segment(&plan, &[conformed], &dest).unwrap();
        assert_eq!(
            built,
            BuiltSegment {
                rows: 3,
                size_bytes: built.size_bytes,
                min_time_ms: Some(100),
                max_time_ms: Some(300)
            }
        );

        let bytes = bytes::Bytes::from(std::fs::read(&dest).unwrap());
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(bytes)
            .unwrap()
            .build()
            .unwrap();
        let batch = reader.map(Result::unwrap).next().unwrap();
        let ids =
            cast_with_options(batch.column(0), &DataType::Int64, &CastOptions::default()).unwrap();
        assert_eq!(
            ids.as_any().downcast_ref::<Int64Array>().unwrap().values(),
            &[2, 3, 1]
        );
        let years = batch
            .column(1)
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap();
        assert!(years.iter().all(|y| y == Some(2024)));
    }

    #[test]
    fn values_that_do_not_fit_name_their_column() {
        let plan = plan();
        let source = RecordBatch::try_new(
            Arc::new(Schema::new(vec![Field::new("id", DataType::Utf8, false)])),
            vec![Arc::new(StringArray::from(vec!["not-a-number"]))],
        )
        .unwrap();
        let err = conform(&source, "x.parquet", &plan).unwrap_err();
        assert!(err.contains("column 'id'"), "{err}");
    }
}
