//! Wire shapes of the REST API that pages read; the server serialises the UI-only ones from these same types.

use serde::{Deserialize, Serialize};

/// One synced table as `GET /tables?view=summary` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TableSummary {
    pub name: String,
    /// One of `IDLE`, `RUNNING`, `COMPLETED`, `FAILED`; kept as a string so a
    /// newer server with more states does not break an older cached front end.
    pub status: String,
    pub enabled: bool,
    pub catalog_type: String,
    /// Where the data comes from, e.g. `s3://bucket/prefix` or a local path.
    pub source: String,
    pub rows: i64,
    pub segments: i64,
    /// Milliseconds since the Unix epoch.
    pub last_success_ms: Option<i64>,
    /// Milliseconds since the Unix epoch.
    pub next_run_ms: Option<i64>,
    pub last_error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableSummaries {
    pub tables: Vec<TableSummary>,
}

/// An API token as listed; the secret itself is only in [`CreatedToken`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenInfo {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    #[serde(default)]
    pub expires_at: Option<i64>,
    #[serde(default)]
    pub expired: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenList {
    pub tokens: Vec<TokenInfo>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedToken {
    #[serde(flatten)]
    pub info: TokenInfo,
    pub token: String,
}

/// `GET /tables/{name}/externalTable/status`: the latest run (seed fields) plus
/// totals, schedule and history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TableStatus {
    pub table_name_with_type: String,
    pub status: String,
    pub start_time_ms: i64,
    pub end_time_ms: i64,
    pub files_discovered: i64,
    pub segments_generated: i64,
    pub error_message: Option<String>,
    pub checkpoint_value: Option<String>,
    pub checkpoint_type: Option<String>,
    pub enabled: bool,
    pub schedule: String,
    pub next_run_time_ms: Option<i64>,
    pub run_requested: bool,
    pub files_failed: i64,
    pub total_segments: i64,
    pub total_rows: i64,
    pub total_bytes: i64,
    pub runs: Vec<RunInfo>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunInfo {
    pub run_id: i64,
    pub trigger: String,
    pub status: String,
    pub start_time_ms: i64,
    /// 0 while running.
    pub end_time_ms: i64,
    pub files_listed: i64,
    pub files_discovered: i64,
    pub files_failed: i64,
    pub segments_generated: i64,
    pub rows_loaded: i64,
    pub bytes_read: i64,
    pub error_message: Option<String>,
    pub note: Option<String>,
    pub checkpoint_value: Option<String>,
}

/// `GET /tables/{name}/externalTable/files`: the per-file ledger.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    pub files: Vec<LedgerFile>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerFile {
    pub file_key: String,
    pub size_bytes: i64,
    pub state: String,
    pub row_count: Option<i64>,
    pub segment_name: Option<String>,
    pub first_error: Option<String>,
    pub last_error: Option<String>,
    pub attempts: i32,
}

/// A table schema as `/schemas/{name}` and `/tables/preview` give it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Schema {
    pub schema_name: String,
    #[serde(default)]
    pub dimension_field_specs: Vec<FieldSpec>,
    #[serde(default)]
    pub metric_field_specs: Vec<FieldSpec>,
    #[serde(default)]
    pub date_time_field_specs: Vec<FieldSpec>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldSpec {
    pub name: String,
    pub data_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub single_value_field: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granularity: Option<String>,
    /// Any other field the API sends, kept so a schema round-trips unchanged.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Schema {
    /// Every column with its role, in the order dimensions, metrics, date-times.
    pub fn columns(&self) -> impl Iterator<Item = (&'static str, &FieldSpec)> {
        self.dimension_field_specs
            .iter()
            .map(|f| ("dimension", f))
            .chain(self.metric_field_specs.iter().map(|f| ("metric", f)))
            .chain(self.date_time_field_specs.iter().map(|f| ("dateTime", f)))
    }
}

/// `POST /query/sql`'s broker-style answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryAnswer {
    pub result_table: ResultTable,
    pub num_rows_result_set: u64,
    pub partial_result: bool,
    pub num_segments_queried: u64,
    pub time_used_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResultTable {
    pub data_schema: DataSchema,
    pub rows: Vec<Vec<serde_json::Value>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataSchema {
    pub column_names: Vec<String>,
    pub column_data_types: Vec<String>,
}

/// A saved connection as `GET /connections` lists it; secrets arrive masked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedConnection {
    pub id: String,
    pub name: String,
    pub catalog_type: String,
    pub params: std::collections::BTreeMap<String, String>,
    pub tables: Vec<String>,
    pub updated_at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionList {
    pub connections: Vec<SavedConnection>,
}
