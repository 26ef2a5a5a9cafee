//! The Pinot-style table schema (`dimensionFieldSpecs`, `metricFieldSpecs`, `dateTimeFieldSpecs`) and its Arrow mapping.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema as ArrowSchema, TimeUnit};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// A column's value type, as the seeds name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FieldDataType {
    Int,
    Long,
    Float,
    Double,
    BigDecimal,
    Boolean,
    Timestamp,
    String,
    Json,
    Bytes,
}

impl FieldDataType {
    /// The natural Pinot type of an Arrow type, or `None` for types Lakeport cannot store.
    pub fn from_arrow(data_type: &DataType) -> Option<Self> {
        Some(match data_type {
            DataType::Int8
            | DataType::Int16
            | DataType::Int32
            | DataType::UInt8
            | DataType::UInt16 => Self::Int,
            DataType::Int64 | DataType::UInt32 | DataType::UInt64 => Self::Long,
            DataType::Float16 | DataType::Float32 => Self::Float,
            DataType::Float64 => Self::Double,
            DataType::Decimal32(..)
            | DataType::Decimal64(..)
            | DataType::Decimal128(..)
            | DataType::Decimal256(..) => Self::BigDecimal,
            DataType::Boolean => Self::Boolean,
            DataType::Timestamp(..) | DataType::Date32 | DataType::Date64 => Self::Timestamp,
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Self::String,
            DataType::Binary
            | DataType::LargeBinary
            | DataType::BinaryView
            | DataType::FixedSizeBinary(_) => Self::Bytes,
            DataType::Dictionary(_, value) => return Self::from_arrow(value),
            DataType::Struct(_) | DataType::Map(..) => Self::Json,
            DataType::List(item) | DataType::LargeList(item) | DataType::FixedSizeList(item, _) => {
                return Self::from_arrow(item.data_type());
            }
            _ => return None,
        })
    }

    /// The Arrow type segments store for this Pinot type when the source type does not map to it naturally.
    pub fn canonical_arrow(self) -> DataType {
        match self {
            Self::Int => DataType::Int32,
            Self::Long => DataType::Int64,
            Self::Float => DataType::Float32,
            Self::Double => DataType::Float64,
            Self::BigDecimal => DataType::Decimal128(38, 9),
            Self::Boolean => DataType::Boolean,
            Self::Timestamp => DataType::Timestamp(TimeUnit::Millisecond, None),
            Self::String | Self::Json => DataType::Utf8,
            Self::Bytes => DataType::Binary,
        }
    }

    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            Self::Int | Self::Long | Self::Float | Self::Double | Self::BigDecimal
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldSpec {
    pub name: String,
    pub data_type: FieldDataType,
    #[serde(default = "default_true", skip_serializing_if = "is_true")]
    pub single_value_field: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not_null: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granularity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_null_value: Option<serde_json::Value>,
}

impl FieldSpec {
    /// A nullable single-value field with no format: what most columns are.
    pub fn new(name: impl Into<String>, data_type: FieldDataType) -> Self {
        Self {
            name: name.into(),
            data_type,
            single_value_field: true,
            not_null: false,
            format: None,
            granularity: None,
            default_null_value: None,
        }
    }
}

fn default_true() -> bool {
    true
}

fn is_true(value: &bool) -> bool {
    *value
}

impl FieldSpec {
    /// What a null becomes when the table does not keep nulls, if the schema
    /// decides it: the field's own `defaultNullValue`, or 0 for metrics. Other
    /// fields take their stored type's default (see the segment builder).
    pub fn configured_null_default(&self, role: FieldRole) -> Option<String> {
        match (&self.default_null_value, role) {
            (Some(serde_json::Value::String(text)), _) => Some(text.clone()),
            (Some(other), _) => Some(other.to_string()),
            (None, FieldRole::Metric) => Some("0".into()),
            (None, _) => None,
        }
    }
}

/// Which spec list a field sits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldRole {
    Dimension,
    Metric,
    DateTime,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TableSchema {
    pub schema_name: String,
    #[serde(default = "default_true")]
    pub enable_column_based_null_handling: bool,
    #[serde(default)]
    pub dimension_field_specs: Vec<FieldSpec>,
    #[serde(default)]
    pub metric_field_specs: Vec<FieldSpec>,
    #[serde(default)]
    pub date_time_field_specs: Vec<FieldSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub primary_key_columns: Vec<String>,
}

impl TableSchema {
    /// Every field with its role, in a stable order: dimensions, metrics, then date-times.
    pub fn fields(&self) -> impl Iterator<Item = (FieldRole, &FieldSpec)> {
        self.dimension_field_specs
            .iter()
            .map(|f| (FieldRole::Dimension, f))
            .chain(
                self.metric_field_specs
                    .iter()
                    .map(|f| (FieldRole::Metric, f)),
            )
            .chain(
                self.date_time_field_specs
                    .iter()
                    .map(|f| (FieldRole::DateTime, f)),
            )
    }

    pub fn field(&self, name: &str) -> Option<(FieldRole, &FieldSpec)> {
        self.fields().find(|(_, f)| f.name == name)
    }

    pub fn column_count(&self) -> usize {
        self.fields().count()
    }

    /// Rejects schemas a table cannot be built from, naming the offending field.
    pub fn validate(&self) -> Result<(), ApiError> {
        if self.schema_name.trim().is_empty() {
            return Err(ApiError::invalid("schemaName", "must not be empty"));
        }
        if !valid_identifier(&self.schema_name) {
            return Err(ApiError::invalid(
                "schemaName",
                format!(
                    "'{}' may contain only letters, digits and '_', and must not start with a digit",
                    self.schema_name
                ),
            ));
        }
        if self.column_count() == 0 {
            return Err(ApiError::invalid(
                "dimensionFieldSpecs",
                "the schema has no fields",
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (_, field) in self.fields() {
            if field.name.is_empty() {
                return Err(ApiError::invalid(
                    "fieldSpecs.name",
                    "a field has an empty name",
                ));
            }
            if !seen.insert(field.name.as_str()) {
                return Err(ApiError::invalid(
                    "fieldSpecs.name",
                    format!("field '{}' appears twice", field.name),
                ));
            }
        }
        for (role, field) in self.fields() {
            if role == FieldRole::Metric && !field.data_type.is_numeric() {
                return Err(ApiError::invalid(
                    "metricFieldSpecs",
                    format!(
                        "metric '{}' must be numeric, not {:?}",
                        field.name, field.data_type
                    ),
                ));
            }
        }
        for key in &self.primary_key_columns {
            if self.field(key).is_none() {
                return Err(ApiError::invalid(
                    "primaryKeyColumns",
                    format!("'{key}' is not a field of the schema"),
                ));
            }
        }
        Ok(())
    }
}

/// A name usable as a SQL table name without quoting.
pub fn valid_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The Arrow type a field is stored as: the source type when it maps naturally to the
/// field's Pinot type (keeping decimal scale and timestamp unit), the canonical type otherwise.
pub fn storage_type(field: &FieldSpec, source: Option<&DataType>) -> DataType {
    let scalar = match source {
        Some(DataType::Dictionary(_, value)) => Some(value.as_ref().clone()),
        Some(
            DataType::List(item) | DataType::LargeList(item) | DataType::FixedSizeList(item, _),
        ) => Some(item.data_type().clone()),
        Some(other) => Some(other.clone()),
        None => None,
    };
    let scalar = match scalar {
        Some(t) if FieldDataType::from_arrow(&t) == Some(field.data_type) => match t {
            // Views and large variants are normalised so every segment of a table has one schema.
            DataType::Utf8View | DataType::LargeUtf8 => DataType::Utf8,
            DataType::BinaryView | DataType::LargeBinary | DataType::FixedSizeBinary(_) => {
                DataType::Binary
            }
            DataType::Float16 => DataType::Float32,
            DataType::Date32 | DataType::Date64 => DataType::Timestamp(TimeUnit::Millisecond, None),
            DataType::Struct(_) | DataType::Map(..) => DataType::Utf8,
            other => other,
        },
        _ => field.data_type.canonical_arrow(),
    };
    if field.single_value_field {
        scalar
    } else {
        DataType::List(Arc::new(Field::new("item", scalar, true)))
    }
}

/// The Arrow schema of a table's segments: one column per field, nullable unless `notNull`.
/// `source_types` are the source's Arrow types by column name, where known.
pub fn segment_arrow_schema(
    schema: &TableSchema,
    source_types: &BTreeMap<String, DataType>,
) -> ArrowSchema {
    let fields: Vec<Field> = schema
        .fields()
        .map(|(_, spec)| {
            Field::new(
                &spec.name,
                storage_type(spec, source_types.get(&spec.name)),
                !spec.not_null,
            )
        })
        .collect();
    ArrowSchema::new(fields)
}

/// Source column types as stored with a table (`{"col": "Decimal128(15, 2)"}`); unknown entries are skipped.
pub fn parse_source_types(stored: &serde_json::Value) -> BTreeMap<String, DataType> {
    stored
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(name, text)| Some((name.clone(), text.as_str()?.parse::<DataType>().ok()?)))
        .collect()
}

pub fn source_types_json(types: &BTreeMap<String, DataType>) -> serde_json::Value {
    types
        .iter()
        .map(|(name, t)| (name.clone(), serde_json::Value::String(t.to_string())))
        .collect()
}

/// The Pinot type name of an Arrow type, for query result schemas.
pub fn pinot_type_name(data_type: &DataType) -> String {
    match data_type {
        DataType::List(item) | DataType::LargeList(item) => {
            format!("{}_ARRAY", pinot_type_name(item.data_type()))
        }
        other => match FieldDataType::from_arrow(other) {
            Some(t) => serde_json::to_value(t)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| "UNKNOWN".into()),
            None => "UNKNOWN".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_keep_their_scale_when_the_role_matches() {
        let field = FieldSpec::new("price", FieldDataType::BigDecimal);
        assert_eq!(
            storage_type(&field, Some(&DataType::Decimal128(15, 2))),
            DataType::Decimal128(15, 2)
        );
        let as_double = FieldSpec {
            data_type: FieldDataType::Double,
            ..field
        };
        assert_eq!(
            storage_type(&as_double, Some(&DataType::Decimal128(15, 2))),
            DataType::Float64
        );
    }

    #[test]
    fn duplicate_fields_are_rejected_by_name() {
        let spec = |name: &str| FieldSpec::new(name, FieldDataType::Long);
        let schema = TableSchema {
            schema_name: "t".into(),
            enable_column_based_null_handling: true,
            dimension_field_specs: vec![spec("id")],
            metric_field_specs: vec![spec("id")],
            date_time_field_specs: vec![],
            primary_key_columns: vec![],
        };
        let err = schema.validate().unwrap_err();
        assert!(err.to_string().contains("'id' appears twice"), "{err}");
    }
}
