//! Schema inference: the union of the sampled files' Parquet schemas, turned into a table schema.

use std::collections::BTreeMap;

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use arrow::record_batch::RecordBatch;

use crate::model::schema::ArrowMapping;
use crate::model::schema::{FieldDataType, FieldSpec, TableSchema};

/// The merged schema of several files, in first-seen column order.
#[derive(Debug, Default)]
pub struct UnionSchema {
    pub fields: Vec<Field>,
    /// Differences resolved by a lossless widening, reported so nothing is silent.
    pub warnings: Vec<String>,
    /// Differences that cannot be resolved without a choice by the user.
    pub conflicts: Vec<String>,
    seen_in: BTreeMap<String, String>,
}

impl UnionSchema {
    pub fn add(&mut self, file_key: &str, schema: &Schema) {
        for field in schema.fields() {
            let name = field.name();
            match self.fields.iter_mut().find(|f| f.name() == name) {
                None => {
                    self.fields.push(field.as_ref().clone());
                    self.seen_in.insert(name.clone(), file_key.to_owned());
                }
                Some(existing) if existing.data_type() == field.data_type() => {
                    if field.is_nullable() && !existing.is_nullable() {
                        *existing = existing.clone().with_nullable(true);
                    }
                }
                Some(existing) => {
                    let first = self.seen_in.get(name).cloned().unwrap_or_default();
                    match widen(existing.data_type(), field.data_type()) {
                        Some(wider) => {
                            self.warnings.push(format!(
                                "column '{name}' is {} in '{first}' but {} in '{file_key}'; using {wider}",
                                existing.data_type(),
                                field.data_type()
                            ));
                            *existing = Field::new(
                                name,
                                wider,
                                existing.is_nullable() || field.is_nullable(),
                            );
                        }
                        None => self.conflicts.push(format!(
                            "column '{name}' is {} in '{first}' but {} in '{file_key}'",
                            existing.data_type(),
                            field.data_type()
                        )),
                    }
                }
            }
        }
    }

    /// Columns present in some files but not others can hold nulls.
    pub fn mark_partial_columns_nullable(&mut self, per_file: &[Schema]) {
        for field in &mut self.fields {
            if per_file
                .iter()
                .any(|s| s.field_with_name(field.name()).is_err())
            {
                *field = field.clone().with_nullable(true);
            }
        }
    }

    pub fn source_types(&self) -> BTreeMap<String, DataType> {
        self.fields
            .iter()
            .map(|f| (f.name().clone(), f.data_type().clone()))
            .collect()
    }
}

/// The narrowest type both can be read as without losing values, if any.
fn widen(a: &DataType, b: &DataType) -> Option<DataType> {
    use DataType::*;
    let rank = |t: &DataType| match t {
        Int8 => Some(1),
        Int16 | UInt8 => Some(2),
        Int32 | UInt16 => Some(3),
        Int64 | UInt32 => Some(4),
        _ => None,
    };
    let is_text = |t: &DataType| {
        matches!(t, Utf8 | LargeUtf8 | Utf8View)
            || matches!(t, Dictionary(_, v) if matches!(v.as_ref(), Utf8 | LargeUtf8))
    };
    Some(match (a, b) {
        (Null, other) | (other, Null) => other.clone(),
        _ if is_text(a) && is_text(b) => Utf8,
        (x, y) if rank(x).is_some() && rank(y).is_some() => {
            if rank(x) >= rank(y) {
                x.clone()
            } else {
                y.clone()
            }
        }
        (Float32 | Float64, Float32 | Float64) => Float64,
        (x, Float32 | Float64) | (Float32 | Float64, x) if rank(x).is_some() => Float64,
        (Decimal128(p1, s1), Decimal128(p2, s2)) => {
            let scale = (*s1).max(*s2);
            let integer_digits = (*p1 as i16 - *s1 as i16).max(*p2 as i16 - *s2 as i16);
            Decimal128(((integer_digits + scale as i16).min(38)) as u8, scale)
        }
        (Timestamp(u1, z1), Timestamp(u2, z2)) if z1 == z2 => {
            Timestamp(finer(*u1, *u2), z1.clone())
        }
        (Date32 | Date64, Timestamp(u, z)) | (Timestamp(u, z), Date32 | Date64) => {
            Timestamp(*u, z.clone())
        }
        _ => return None,
    })
}

fn finer(a: TimeUnit, b: TimeUnit) -> TimeUnit {
    let rank = |u: TimeUnit| match u {
        TimeUnit::Second => 0,
        TimeUnit::Millisecond => 1,
        TimeUnit::Microsecond => 2,
        TimeUnit::Nanosecond => 3,
    };
    if rank(a) >= rank(b) { a } else { b }
}

/// A partition folder name and whether all its values seen are whole numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionColumn {
    pub name: String,
    pub numeric: bool,
}

pub struct Inference<'a> {
    pub schema_name: &'a str,
    pub union: &'a UnionSchema,
    pub partitions: &'a [PartitionColumn],
    pub time_column: Option<&'a str>,
    /// String columns whose sampled values all parse as one narrower type are given that type.
    pub from_values: Option<&'a [RecordBatch]>,
}

/// Derives the table schema: timestamps and dates become date-time fields, floating
/// point and decimals metrics, everything else dimensions.
pub fn derive_schema(input: &Inference<'_>) -> Result<TableSchema, String> {
    let mut schema = TableSchema {
        schema_name: input.schema_name.to_owned(),
        enable_column_based_null_handling: true,
        dimension_field_specs: vec![],
        metric_field_specs: vec![],
        date_time_field_specs: vec![],
        primary_key_columns: vec![],
    };
    let mut skipped = Vec::new();
    for field in &input.union.fields {
        let mut data_type = match FieldDataType::from_arrow(field.data_type()) {
            Some(t) => t,
            None => {
                skipped.push(format!("{} ({})", field.name(), field.data_type()));
                continue;
            }
        };
        if data_type == FieldDataType::String
            && let Some(batches) = input.from_values
            && let Some(narrower) = infer_from_text(batches, field.name())
        {
            data_type = narrower;
        }
        let is_list = matches!(
            field.data_type(),
            DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..)
        );
        let spec = FieldSpec {
            single_value_field: !is_list,
            not_null: !field.is_nullable(),
            ..FieldSpec::new(field.name().clone(), data_type)
        };
        push_by_role(&mut schema, spec, input.time_column);
    }
    if !skipped.is_empty() {
        return Err(format!(
            "columns of types Lakeport cannot store yet: {}",
            skipped.join(", ")
        ));
    }
    for partition in input.partitions {
        if schema.field(&partition.name).is_some() {
            continue;
        }
        let data_type = if partition.numeric {
            FieldDataType::Long
        } else {
            FieldDataType::String
        };
        schema
            .dimension_field_specs
            .push(FieldSpec::new(partition.name.clone(), data_type));
    }
    if let Some(time_column) = input.time_column
        && !schema
            .date_time_field_specs
            .iter()
            .any(|f| f.name == time_column)
    {
        return Err(format!(
            "time column '{time_column}' must be a timestamp, date or whole-number epoch column of the source"
        ));
    }
    Ok(schema)
}

/// Files a field with the role its type gives it (time, metric or dimension).
pub fn push_by_role(schema: &mut TableSchema, mut spec: FieldSpec, time_column: Option<&str>) {
    let is_time_column = time_column == Some(spec.name.as_str());
    if spec.data_type == FieldDataType::Timestamp
        || (is_time_column && spec.data_type == FieldDataType::Long)
    {
        let epoch = spec.data_type == FieldDataType::Long;
        spec.format = Some(
            if epoch {
                "1:MILLISECONDS:EPOCH"
            } else {
                "1:MILLISECONDS:TIMESTAMP"
            }
            .into(),
        );
        spec.granularity = Some("1:MILLISECONDS".into());
        schema.date_time_field_specs.push(spec);
    } else if matches!(
        spec.data_type,
        FieldDataType::Float | FieldDataType::Double | FieldDataType::BigDecimal
    ) && spec.single_value_field
    {
        schema.metric_field_specs.push(spec);
    } else {
        schema.dimension_field_specs.push(spec);
    }
}

/// The time column to use when the user named none: the first timestamp or date column.
pub fn default_time_column(union: &UnionSchema) -> Option<String> {
    union
        .fields
        .iter()
        .find(|f| {
            matches!(
                f.data_type(),
                DataType::Timestamp(..) | DataType::Date32 | DataType::Date64
            )
        })
        .map(|f| f.name().clone())
}

fn infer_from_text(batches: &[RecordBatch], column: &str) -> Option<FieldDataType> {
    let mut values = Vec::new();
    for batch in batches {
        let array = batch.column_by_name(column)?;
        let array = arrow::compute::cast(array, &DataType::Utf8).ok()?;
        let strings = array.as_string::<i32>();
        values.extend(
            (0..strings.len())
                .filter(|i| strings.is_valid(*i))
                .map(|i| strings.value(i).to_owned()),
        );
    }
    if values.is_empty() {
        return None;
    }
    if values.iter().all(|v| v.parse::<i64>().is_ok()) {
        Some(FieldDataType::Long)
    } else if values.iter().all(|v| v.parse::<f64>().is_ok()) {
        Some(FieldDataType::Double)
    } else if values
        .iter()
        .all(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "false"))
    {
        Some(FieldDataType::Boolean)
    } else if values
        .iter()
        .all(|v| chrono::DateTime::parse_from_rfc3339(v).is_ok())
    {
        Some(FieldDataType::Timestamp)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(fields: Vec<Field>) -> Schema {
        Schema::new(fields)
    }

    #[test]
    fn union_widens_ints_and_reports_it() {
        let mut union = UnionSchema::default();
        union.add(
            "a.parquet",
            &schema(vec![Field::new("id", DataType::Int32, false)]),
        );
        union.add(
            "b.parquet",
            &schema(vec![
                Field::new("id", DataType::Int64, false),
                Field::new("extra", DataType::Utf8, true),
            ]),
        );
        assert_eq!(union.fields[0].data_type(), &DataType::Int64);
        assert_eq!(
            union.fields.len(),
            2,
            "columns of later files are part of the union"
        );
        assert_eq!(union.warnings.len(), 1);
        assert!(union.conflicts.is_empty());
    }

    #[test]
    fn incompatible_types_are_conflicts_naming_both_files() {
        let mut union = UnionSchema::default();
        union.add(
            "a.parquet",
            &schema(vec![Field::new("v", DataType::Utf8, true)]),
        );
        union.add(
            "b.parquet",
            &schema(vec![Field::new("v", DataType::Int64, true)]),
        );
        assert_eq!(union.conflicts.len(), 1);
        assert!(
            union.conflicts[0].contains("a.parquet") && union.conflicts[0].contains("b.parquet")
        );
    }

    #[test]
    fn roles_follow_types_and_partitions_are_added() {
        let mut union = UnionSchema::default();
        union.add(
            "a.parquet",
            &schema(vec![
                Field::new("id", DataType::Int64, false),
                Field::new("fare", DataType::Float64, true),
                Field::new(
                    "pickup",
                    DataType::Timestamp(TimeUnit::Microsecond, None),
                    true,
                ),
            ]),
        );
        let partitions = [PartitionColumn {
            name: "year".into(),
            numeric: true,
        }];
        let derived = derive_schema(&Inference {
            schema_name: "trips",
            union: &union,
            partitions: &partitions,
            time_column: Some("pickup"),
            from_values: None,
        })
        .unwrap();
        assert_eq!(
            derived
                .dimension_field_specs
                .iter()
                .map(|f| f.name.as_str())
                .collect::<Vec<_>>(),
            ["id", "year"]
        );
        assert_eq!(derived.metric_field_specs[0].name, "fare");
        assert_eq!(derived.date_time_field_specs[0].name, "pickup");
        assert!(derived.dimension_field_specs[0].not_null);
    }
}
