//! The Pinot-style table schema (`dimensionFieldSpecs`, `metricFieldSpecs`, `dateTimeFieldSpecs`) and its Arrow mapping.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema as ArrowSchema, TimeUnit};

pub use lakeport_wire::rules::valid_identifier;
pub use lakeport_wire::schema::{FieldDataType, FieldRole, FieldSpec, TableSchema};

/// How the wire's field types map to Arrow, which the wire crate knows nothing of.
pub trait ArrowMapping: Sized {
    /// The natural Pinot type of an Arrow type, or `None` for types Lakeport cannot store.
    fn from_arrow(data_type: &DataType) -> Option<Self>;
    /// The Arrow type segments store for this Pinot type when the source type does not map to it naturally.
    fn canonical_arrow(self) -> DataType;
}

impl ArrowMapping for FieldDataType {
    fn from_arrow(data_type: &DataType) -> Option<Self> {
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

    fn canonical_arrow(self) -> DataType {
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
            Some(t) => t.name().to_owned(),
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
}
