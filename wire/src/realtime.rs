//! REALTIME tables: the answer to pushed rows, and how ingestion is going.

use serde::{Deserialize, Serialize};

/// `POST /ingest/{tableNameWithType}`: the rows are durable when this answer is sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct IngestResult {
    pub status: String,
    pub table_name_with_type: String,
    pub rows_ingested: i64,
    /// The chunk the rows went to; a retried request gets the first request's chunk.
    pub chunk_id: i64,
    /// True when the `Idempotency-Key` had been seen: nothing new was loaded.
    pub duplicate: bool,
}

/// Rows accepted in one minute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct MinuteRows {
    /// The minute's start, milliseconds since the Unix epoch.
    pub minute_ms: i64,
    pub rows: i64,
}

/// `GET /tables/{name}/ingestion`: the consuming segment, completed segments and the rate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct IngestionStatus {
    pub table_name_with_type: String,
    pub consuming_rows: i64,
    pub consuming_chunks: i64,
    /// When the oldest consuming row arrived, milliseconds since the Unix epoch.
    pub oldest_consuming_ms: Option<i64>,
    pub completed_segments: i64,
    pub completed_rows: i64,
    pub flush_threshold_rows: u64,
    pub flush_threshold_time_ms: u64,
    /// When the consuming rows are sealed at the latest, if there are any.
    pub next_seal_ms: Option<i64>,
    /// The last hour, oldest minute first; minutes with no rows are left out.
    pub rows_per_minute: Vec<MinuteRows>,
}
