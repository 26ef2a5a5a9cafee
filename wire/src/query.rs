//! `POST /query/sql` and its broker-style answer.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SqlRequest {
    /// One read-only statement; tables are named without their `_OFFLINE` suffix.
    pub sql: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct QueryAnswer {
    pub result_table: ResultTable,
    pub num_rows_result_set: u64,
    /// More rows matched than the answer carries (`query.max_result_rows`, `query.max_result_bytes`).
    pub partial_result: bool,
    pub num_segments_queried: u64,
    /// Rows in the segments the query read.
    pub total_docs: i64,
    /// Always empty: a failed query answers with an error status instead.
    pub exceptions: Vec<serde_json::Value>,
    pub time_used_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ResultTable {
    pub data_schema: DataSchema,
    /// One array per row, in the order of `dataSchema.columnNames`.
    pub rows: Vec<Vec<serde_json::Value>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct DataSchema {
    pub column_names: Vec<String>,
    /// Pinot type names (`LONG`, `STRING`, `DOUBLE_ARRAY`, …).
    pub column_data_types: Vec<String>,
}
