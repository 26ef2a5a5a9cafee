//! The Pinot-style table schema (`dimensionFieldSpecs`, `metricFieldSpecs`, `dateTimeFieldSpecs`) and its rules.

use serde::{Deserialize, Serialize};

use crate::Invalid;
use crate::rules::{DEFAULT_GRANULARITY, EPOCH_MILLIS_FORMAT, identifier_problem};

/// A column's value type, as the seeds name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// Every type, in the order a type picker lists them.
    pub const ALL: [FieldDataType; 10] = [
        Self::String,
        Self::Int,
        Self::Long,
        Self::Float,
        Self::Double,
        Self::Boolean,
        Self::Timestamp,
        Self::BigDecimal,
        Self::Json,
        Self::Bytes,
    ];

    /// The name the API uses (`BIG_DECIMAL`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Int => "INT",
            Self::Long => "LONG",
            Self::Float => "FLOAT",
            Self::Double => "DOUBLE",
            Self::BigDecimal => "BIG_DECIMAL",
            Self::Boolean => "BOOLEAN",
            Self::Timestamp => "TIMESTAMP",
            Self::String => "STRING",
            Self::Json => "JSON",
            Self::Bytes => "BYTES",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Metrics must be numeric.
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            Self::Int | Self::Long | Self::Float | Self::Double | Self::BigDecimal
        )
    }

    /// The `format` a date-time field of this type gets unless the person says otherwise.
    pub fn default_date_time_format(self) -> &'static str {
        match self {
            Self::Timestamp => "1:MILLISECONDS:TIMESTAMP",
            _ => EPOCH_MILLIS_FORMAT,
        }
    }
}

/// Which spec list a field sits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldRole {
    Dimension,
    Metric,
    DateTime,
}

impl FieldRole {
    pub const ALL: [FieldRole; 3] = [Self::Dimension, Self::Metric, Self::DateTime];

    /// The short name the web app's role picker uses.
    pub fn id(self) -> &'static str {
        match self {
            Self::Dimension => "dimension",
            Self::Metric => "metric",
            Self::DateTime => "dateTime",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Dimension => "Dimension",
            Self::Metric => "Metric",
            Self::DateTime => "Date-time",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.id() == id)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

    /// Gives the field the format and granularity its role needs: a date-time field gets
    /// its type's default format, any other field none.
    pub fn fit_role(&mut self, role: FieldRole) {
        if role == FieldRole::DateTime {
            self.format = Some(self.data_type.default_date_time_format().into());
            self.granularity = Some(DEFAULT_GRANULARITY.into());
        } else {
            self.format = None;
            self.granularity = None;
        }
    }

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

fn default_true() -> bool {
    true
}

fn is_true(value: &bool) -> bool {
    *value
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// An empty schema named `name`.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            schema_name: name.into(),
            enable_column_based_null_handling: true,
            dimension_field_specs: Vec::new(),
            metric_field_specs: Vec::new(),
            date_time_field_specs: Vec::new(),
            primary_key_columns: Vec::new(),
        }
    }

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

    /// The list a role's fields sit in.
    pub fn specs_mut(&mut self, role: FieldRole) -> &mut Vec<FieldSpec> {
        match role {
            FieldRole::Dimension => &mut self.dimension_field_specs,
            FieldRole::Metric => &mut self.metric_field_specs,
            FieldRole::DateTime => &mut self.date_time_field_specs,
        }
    }

    /// Takes a field out of whichever list holds it.
    pub fn take_field(&mut self, name: &str) -> Option<(FieldRole, FieldSpec)> {
        FieldRole::ALL.into_iter().find_map(|role| {
            let specs = self.specs_mut(role);
            let at = specs.iter().position(|f| f.name == name)?;
            Some((role, specs.remove(at)))
        })
    }

    /// Rejects schemas a table cannot be built from, naming the offending field.
    pub fn validate(&self) -> Result<(), Invalid> {
        if let Some(problem) = identifier_problem(&self.schema_name) {
            return Err(Invalid::new("schemaName", problem));
        }
        if self.column_count() == 0 {
            return Err(Invalid::new(
                "dimensionFieldSpecs",
                "the schema has no fields",
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (_, field) in self.fields() {
            if field.name.is_empty() {
                return Err(Invalid::new("fieldSpecs.name", "a field has an empty name"));
            }
            if !seen.insert(field.name.as_str()) {
                return Err(Invalid::new(
                    "fieldSpecs.name",
                    format!("field '{}' appears twice", field.name),
                ));
            }
        }
        for (role, field) in self.fields() {
            if role == FieldRole::Metric && !field.data_type.is_numeric() {
                return Err(Invalid::new(
                    "metricFieldSpecs",
                    format!(
                        "metric '{}' must be numeric, not {}",
                        field.name,
                        field.data_type.name()
                    ),
                ));
            }
        }
        for key in &self.primary_key_columns {
            if self.field(key).is_none() {
                return Err(Invalid::new(
                    "primaryKeyColumns",
                    format!("'{key}' is not a field of the schema"),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_fields_are_rejected_by_name() {
        let spec = |name: &str| FieldSpec::new(name, FieldDataType::Long);
        let mut schema = TableSchema::named("t");
        schema.dimension_field_specs.push(spec("id"));
        schema.metric_field_specs.push(spec("id"));
        let err = schema.validate().unwrap_err();
        assert!(err.message.contains("'id' appears twice"), "{err}");
    }

    #[test]
    fn type_names_round_trip_through_serde() {
        for t in FieldDataType::ALL {
            let text = serde_json::to_value(t).unwrap();
            assert_eq!(text, t.name());
            assert_eq!(FieldDataType::from_name(t.name()), Some(t));
        }
    }

    #[test]
    fn a_field_moved_to_date_time_gets_its_format() {
        let mut schema = TableSchema::named("t");
        schema
            .dimension_field_specs
            .push(FieldSpec::new("at", FieldDataType::Timestamp));
        let (role, mut field) = schema.take_field("at").unwrap();
        assert_eq!(role, FieldRole::Dimension);
        field.fit_role(FieldRole::DateTime);
        assert_eq!(field.format.as_deref(), Some("1:MILLISECONDS:TIMESTAMP"));
        assert_eq!(schema.column_count(), 0);
    }
}
