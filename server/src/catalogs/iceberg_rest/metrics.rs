//! What a Parquet file's footer says about it as an Iceberg data file: whether its columns
//! are the table's (by field id and type), and its column metrics (sizes, counts, bounds).
//! A bound is kept only when every row group proves it, since readers skip files by them.

use std::collections::{HashMap, HashSet};

use arrow::datatypes::{DataType, Field};
use iceberg::spec::{Datum, PrimitiveLiteral, PrimitiveType, Schema, Type};
use parquet::arrow::{PARQUET_FIELD_ID_META_KEY, parquet_to_arrow_schema};
use parquet::file::metadata::ParquetMetaData;
use parquet::file::statistics::{Statistics, ValueStatistics};

use crate::catalogs::CatalogError;

/// Longer string bounds are truncated (lower) or left out (upper), as manifests stay small.
const MAX_STRING_BOUND: usize = 64;

#[derive(Debug, Default)]
pub struct Metrics {
    pub column_sizes: HashMap<i32, u64>,
    pub value_counts: HashMap<i32, u64>,
    pub null_value_counts: HashMap<i32, u64>,
    pub lower_bounds: HashMap<i32, Datum>,
    pub upper_bounds: HashMap<i32, Datum>,
    pub split_offsets: Option<Vec<i64>>,
}

fn field_id(field: &Field) -> Option<i32> {
    field
        .metadata()
        .get(PARQUET_FIELD_ID_META_KEY)?
        .parse()
        .ok()
}

/// The file's top-level columns must be table columns (matched by field id, of the type
/// the table's Arrow schema gives them), and every required table column must be there.
pub fn check_columns(
    schema: &Schema,
    arrow_schema: &arrow::datatypes::Schema,
    footer: &ParquetMetaData,
    shown: &str,
) -> Result<(), CatalogError> {
    let meta = footer.file_metadata();
    let file_schema = parquet_to_arrow_schema(meta.schema_descr(), meta.key_value_metadata())
        .map_err(|e| CatalogError::BadData(format!("{shown}: unreadable Parquet schema: {e}")))?;
    let wanted: HashMap<i32, &Field> = arrow_schema
        .fields()
        .iter()
        .filter_map(|f| Some((field_id(f)?, f.as_ref())))
        .collect();
    let mut present = HashSet::new();
    for field in file_schema.fields() {
        let Some(id) = field_id(field) else {
            return Err(CatalogError::BadData(format!(
                "{shown}: column '{}' has no Iceberg field id; write the file with the target's Arrow schema",
                field.name()
            )));
        };
        let Some(want) = wanted.get(&id) else {
            return Err(CatalogError::BadData(format!(
                "{shown}: column '{}' has field id {id}, which the table's schema does not have",
                field.name()
            )));
        };
        if !present.insert(id) {
            return Err(CatalogError::BadData(format!(
                "{shown}: field id {id} appears twice"
            )));
        }
        if !same_type(want.data_type(), field.data_type()) {
            return Err(CatalogError::BadData(format!(
                "{shown}: column '{}' is {} but the table's '{}' is {}",
                field.name(),
                field.data_type(),
                want.name(),
                want.data_type()
            )));
        }
    }
    if let Some(missing) = schema
        .as_struct()
        .fields()
        .iter()
        .find(|f| f.required && !present.contains(&f.id))
    {
        return Err(CatalogError::BadData(format!(
            "{shown}: the table's required column '{}' is missing",
            missing.name
        )));
    }
    Ok(())
}

/// One column's bounds in one row group.
enum Bounds {
    Known(Datum, Datum),
    /// No values: every value in the row group is null.
    Empty,
    /// No statistics, inexact ones, or of a type we do not turn into bounds.
    Unknown,
}

/// Column metrics for the columns of `schema` in the file, keyed by field id.
pub fn from_footer(schema: &Schema, footer: &ParquetMetaData) -> Metrics {
    let mut metrics = Metrics::default();
    let mut nulls_unknown = HashSet::new();
    let mut bounds_unknown = HashSet::new();
    for group in footer.row_groups() {
        for column in group.columns() {
            let descr = column.column_descr();
            let info = descr.self_type().get_basic_info();
            if !info.has_id() {
                continue;
            }
            let id = info.id();
            let Some(field) = schema.field_by_id(id) else {
                continue;
            };
            *metrics.column_sizes.entry(id).or_default() += column.compressed_size().max(0) as u64;
            // A value inside a list or map repeats per row: its counts and bounds are
            // not the row-level metrics readers take them for.
            if descr.max_rep_level() > 0 {
                continue;
            }
            let values = column.num_values().max(0) as u64;
            *metrics.value_counts.entry(id).or_default() += values;
            let stats = column.statistics();
            match stats.and_then(Statistics::null_count_opt) {
                Some(n) => *metrics.null_value_counts.entry(id).or_default() += n,
                None => {
                    nulls_unknown.insert(id);
                }
            }
            let bounds = match (field.field_type.as_ref(), stats) {
                (Type::Primitive(ty), Some(stats)) => row_group_bounds(ty, stats),
                _ => Bounds::Unknown,
            };
            match bounds {
                Bounds::Known(low, high) => {
                    let lower = metrics
                        .lower_bounds
                        .entry(id)
                        .or_insert_with(|| low.clone());
                    if low < *lower {
                        *lower = low;
                    }
                    let upper = metrics
                        .upper_bounds
                        .entry(id)
                        .or_insert_with(|| high.clone());
                    if high > *upper {
                        *upper = high;
                    }
                }
                Bounds::Empty if stats.and_then(Statistics::null_count_opt) == Some(values) => {}
                _ => {
                    bounds_unknown.insert(id);
                }
            }
        }
    }
    for id in nulls_unknown {
        metrics.null_value_counts.remove(&id);
    }
    for id in bounds_unknown {
        metrics.lower_bounds.remove(&id);
        metrics.upper_bounds.remove(&id);
    }
    metrics.lower_bounds.retain(|_, d| shorten_lower(d));
    metrics
        .upper_bounds
        .retain(|_, d| string_len(d).is_none_or(|n| n <= MAX_STRING_BOUND));
    let offsets: Option<Vec<i64>> = footer
        .row_groups()
        .iter()
        .map(|g| g.file_offset())
        .collect();
    metrics.split_offsets = offsets.filter(|o| !o.is_empty());
    metrics
}

fn string_len(datum: &Datum) -> Option<usize> {
    match datum.literal() {
        PrimitiveLiteral::String(s) => Some(s.len()),
        _ => None,
    }
}

/// A prefix is still a lower bound; keeps the datum (returns true) after cutting it to size.
fn shorten_lower(datum: &mut Datum) -> bool {
    if let PrimitiveLiteral::String(s) = datum.literal()
        && s.len() > MAX_STRING_BOUND
    {
        let mut end = MAX_STRING_BOUND;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        *datum = Datum::string(&s[..end]);
    }
    true
}

fn exact<T>(stats: &ValueStatistics<T>, to: impl Fn(&T) -> Option<Datum>) -> Bounds {
    bounded(stats, stats.min_is_exact() && stats.max_is_exact(), to)
}

/// Parquet truncates long byte-array statistics so that they still bound every value (the
/// minimum cut short, the maximum cut and incremented): bounds, if not tight ones.
fn truncated<T>(stats: &ValueStatistics<T>, to: impl Fn(&T) -> Option<Datum>) -> Bounds {
    bounded(stats, true, to)
}

fn bounded<T>(
    stats: &ValueStatistics<T>,
    usable: bool,
    to: impl Fn(&T) -> Option<Datum>,
) -> Bounds {
    match (stats.min_opt(), stats.max_opt()) {
        (Some(low), Some(high)) if usable => match (to(low), to(high)) {
            (Some(low), Some(high)) => Bounds::Known(low, high),
            _ => Bounds::Unknown,
        },
        (None, None) => Bounds::Empty,
        _ => Bounds::Unknown,
    }
}

/// Bounds for the types whose Parquet statistics compare as Iceberg's values do. Floats are
/// left out: the footer does not count NaNs, without which a bound can hide one.
fn row_group_bounds(ty: &PrimitiveType, stats: &Statistics) -> Bounds {
    match (ty, stats) {
        (PrimitiveType::Boolean, Statistics::Boolean(s)) => exact(s, |v| Some(Datum::bool(*v))),
        (PrimitiveType::Int, Statistics::Int32(s)) => exact(s, |v| Some(Datum::int(*v))),
        (PrimitiveType::Date, Statistics::Int32(s)) => exact(s, |v| Some(Datum::date(*v))),
        (PrimitiveType::Long, Statistics::Int64(s)) => exact(s, |v| Some(Datum::long(*v))),
        (PrimitiveType::Time, Statistics::Int64(s)) => exact(s, |v| Datum::time_micros(*v).ok()),
        (PrimitiveType::Timestamp, Statistics::Int64(s)) => {
            exact(s, |v| Some(Datum::timestamp_micros(*v)))
        }
        (PrimitiveType::Timestamptz, Statistics::Int64(s)) => {
            exact(s, |v| Some(Datum::timestamptz_micros(*v)))
        }
        (PrimitiveType::TimestampNs, Statistics::Int64(s)) => {
            exact(s, |v| Some(Datum::timestamp_nanos(*v)))
        }
        (PrimitiveType::TimestamptzNs, Statistics::Int64(s)) => {
            exact(s, |v| Some(Datum::timestamptz_nanos(*v)))
        }
        (PrimitiveType::String, Statistics::ByteArray(s)) => {
            truncated(s, |v| v.as_utf8().ok().map(Datum::string))
        }
        _ => Bounds::Unknown,
    }
}

/// Arrow types match when they are equal, except that a timestamp's zone need only agree
/// on being present (Iceberg's `timestamptz` is UTC however the zone is spelt).
fn same_type(want: &DataType, got: &DataType) -> bool {
    match (want, got) {
        (DataType::Timestamp(u1, z1), DataType::Timestamp(u2, z2)) => {
            u1 == u2 && z1.is_some() == z2.is_some()
        }
        _ => want.equals_datatype(got),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
    use iceberg::spec::{NestedField, Type};
    use parquet::arrow::ArrowWriter;
    use parquet::file::metadata::ParquetMetaDataReader;
    use parquet::file::properties::{EnabledStatistics, WriterProperties};

    use super::*;

    fn schema() -> Schema {
        Schema::builder()
            .with_fields(vec![
                NestedField::required(1, "id", Type::Primitive(PrimitiveType::Long)).into(),
                NestedField::optional(2, "name", Type::Primitive(PrimitiveType::String)).into(),
                NestedField::optional(3, "x", Type::Primitive(PrimitiveType::Double)).into(),
            ])
            .build()
            .unwrap()
    }

    fn footer(
        arrow: &arrow::datatypes::Schema,
        groups: &[(Vec<i64>, Vec<Option<&str>>)],
        props: WriterProperties,
    ) -> ParquetMetaData {
        let mut buf = Vec::new();
        let arrow = Arc::new(arrow.clone());
        let mut writer = ArrowWriter::try_new(&mut buf, arrow.clone(), Some(props)).unwrap();
        for (ids, names) in groups {
            let columns: Vec<ArrayRef> = vec![
                Arc::new(Int64Array::from(ids.clone())),
                Arc::new(StringArray::from(names.clone())),
                Arc::new(Float64Array::from(vec![f64::NAN; ids.len()])),
            ];
            writer
                .write(&RecordBatch::try_new(arrow.clone(), columns).unwrap())
                .unwrap();
            writer.flush().unwrap();
        }
        writer.close().unwrap();
        ParquetMetaDataReader::new()
            .parse_and_finish(&bytes::Bytes::from(buf))
            .unwrap()
    }

    #[test]
    fn bounds_span_every_row_group_and_skip_floats() {
        let schema = schema();
        let arrow = iceberg::arrow::schema_to_arrow_schema(&schema).unwrap();
        let long = "z".repeat(100);
        let footer = footer(
            &arrow,
            &[
                (vec![5, 7], vec![Some("b"), None]),
                (vec![-3, 2], vec![None, None]),
                (vec![9], vec![Some(long.as_str())]),
            ],
            WriterProperties::builder().build(),
        );
        check_columns(&schema, &arrow, &footer, "f").unwrap();
        let m = from_footer(&schema, &footer);
        assert_eq!(m.lower_bounds[&1], Datum::long(-3));
        assert_eq!(m.upper_bounds[&1], Datum::long(9));
        assert_eq!(m.lower_bounds[&2], Datum::string("b"));
        assert!(
            m.upper_bounds[&2] >= Datum::string(&long),
            "a truncated maximum still bounds the values"
        );
        assert!(!m.lower_bounds.contains_key(&3) && !m.upper_bounds.contains_key(&3));
        assert_eq!(m.value_counts[&1], 5);
        assert_eq!(m.null_value_counts[&2], 3);
        assert_eq!(m.split_offsets.as_ref().map(Vec::len), Some(3));
    }

    #[test]
    fn a_row_group_without_statistics_leaves_no_bound() {
        let schema = schema();
        let arrow = iceberg::arrow::schema_to_arrow_schema(&schema).unwrap();
        let props = WriterProperties::builder()
            .set_statistics_enabled(EnabledStatistics::None)
            .build();
        let footer = footer(&arrow, &[(vec![1, 2], vec![Some("a"), Some("b")])], props);
        let m = from_footer(&schema, &footer);
        assert!(m.lower_bounds.is_empty() && m.upper_bounds.is_empty());
        assert_eq!(m.value_counts[&1], 2);
    }

    #[test]
    fn columns_must_be_the_tables_by_id_and_type() {
        let schema = schema();
        let arrow = iceberg::arrow::schema_to_arrow_schema(&schema).unwrap();
        let footer_of = |fields: Vec<Field>| {
            let file = arrow::datatypes::Schema::new(fields);
            let mut buf = Vec::new();
            let writer = ArrowWriter::try_new(&mut buf, Arc::new(file), None).unwrap();
            writer.close().unwrap();
            ParquetMetaDataReader::new()
                .parse_and_finish(&bytes::Bytes::from(buf))
                .unwrap()
        };
        let with_id = |f: Field, id: &str| {
            f.with_metadata(HashMap::from([(
                PARQUET_FIELD_ID_META_KEY.to_owned(),
                id.to_owned(),
            )]))
        };
        use arrow::datatypes::DataType;
        let cases = [
            (
                vec![Field::new("id", DataType::Int64, false)],
                "no Iceberg field id",
            ),
            (
                vec![with_id(Field::new("id", DataType::Int64, false), "9")],
                "does not have",
            ),
            (
                vec![with_id(Field::new("id", DataType::Int32, false), "1")],
                "is Int32",
            ),
            (
                vec![with_id(Field::new("name", DataType::Utf8, true), "2")],
                "required column 'id'",
            ),
        ];
        for (fields, expected) in cases {
            let err = check_columns(&schema, &arrow, &footer_of(fields), "f").unwrap_err();
            assert!(err.to_string().contains(expected), "{err}");
        }
        let only_id = vec![with_id(Field::new("id", DataType::Int64, false), "1")];
        check_columns(&schema, &arrow, &footer_of(only_id), "f").unwrap();
    }
}
