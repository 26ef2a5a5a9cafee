//! `POST /tables/preview`: sample a source, infer its schema, and get back the table config to create.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::schema::TableSchema;
use crate::table_config::TableConfig;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PreviewRequest {
    pub table_config: TableConfig,
    #[serde(default)]
    pub config: PreviewOptions,
    /// A schema to apply instead of inferring one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<TableSchema>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PreviewOptions {
    #[serde(default)]
    pub inference: InferenceOptions,
    #[serde(default)]
    pub sampling: SamplingOptions,
    #[serde(default)]
    pub preview_files: PreviewFilesOptions,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct InferenceOptions {
    /// Take the types the Parquet files declare.
    #[serde(default)]
    pub embedded_schema_enabled: bool,
    /// Look at the values too (e.g. a string column holding dates).
    #[serde(default)]
    pub schema_inference_enabled: bool,
    /// Whether Hive partition folders become columns (the wizard's toggle).
    #[serde(default = "yes")]
    pub include_partition_columns: bool,
}

impl Default for InferenceOptions {
    fn default() -> Self {
        Self {
            embedded_schema_enabled: false,
            schema_inference_enabled: false,
            include_partition_columns: true,
        }
    }
}

fn yes() -> bool {
    true
}

/// How many rows to sample: at least `min`, at most `max` (1 ≤ max, min ≤ max).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SamplingOptions {
    #[serde(default = "default_min")]
    pub min: usize,
    #[serde(default = "default_max")]
    pub max: usize,
}

impl Default for SamplingOptions {
    fn default() -> Self {
        Self {
            min: default_min(),
            max: default_max(),
        }
    }
}

fn default_min() -> usize {
    1
}

fn default_max() -> usize {
    100
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PreviewFilesOptions {
    /// Only list the files that would be read.
    #[serde(default)]
    pub preview_files_only: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PreviewResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<TableSchema>,
    pub table_configs: PreviewConfigs,
    /// Sample rows as the table will store them.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub rows: Vec<Map<String, Value>>,
    /// The same rows as the source has them.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub source_rows: Vec<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_files: Option<Vec<String>>,
    pub summary: PreviewSummary,
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// The enriched config, ready for `POST /tables`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PreviewConfigs {
    pub offline: TableConfig,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct PreviewSummary {
    pub n_source_rows: usize,
    pub n_rows: usize,
    pub n_columns: usize,
    pub batch: BatchSummary,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct BatchSummary {
    pub n_matching_files: usize,
}
