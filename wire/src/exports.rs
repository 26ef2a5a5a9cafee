//! DataExportTask (seed 003): what has been exported where, segment by segment and cycle by cycle.

use serde::{Deserialize, Serialize};

/// One source segment's export checkpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ExportedSegment {
    pub segment_name: String,
    pub source_table_name: String,
    /// `IN_PROGRESS`, `STAGED` (an Iceberg data file waiting for its batch commit),
    /// `COMPLETED` (never exported again) or `FAILED` (retried next cycle).
    pub state: String,
    pub file_uri: Option<String>,
    pub row_count: i64,
    pub size_bytes: i64,
    pub end_time_ms: Option<i64>,
    /// The Iceberg commit that carries the file, and the snapshot it became.
    pub commit_id: Option<String>,
    pub snapshot_id: Option<i64>,
    pub attempts: i32,
    pub error_message: Option<String>,
    pub updated_at_ms: i64,
}

/// One export cycle (a generator run).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ExportRunInfo {
    pub run_id: i64,
    /// The name `/tasks/schedule` returned for a cycle it asked for.
    pub task_name: String,
    pub trigger: String,
    /// `RUNNING`, `COMPLETED` or `FAILED`.
    pub status: String,
    /// What the cycle decided, in order: `EMIT`, `WAIT`, `COMMIT` or `IDLE`, e.g. `EMIT,COMMIT`.
    pub decision: Option<String>,
    pub start_time_ms: i64,
    pub end_time_ms: i64,
    pub segments_exported: i32,
    pub rows_exported: i64,
    pub bytes_written: i64,
    pub snapshot_id: Option<i64>,
    pub error_message: Option<String>,
    pub worker: String,
}

/// `GET /tables/{name}/exports`: the table's DataExportTask, its checkpoints and cycles.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ExportStatus {
    pub table_name_with_type: String,
    pub source_table_name: String,
    /// `filesystem` or `iceberg-rest`.
    pub target: String,
    /// `outputDirURI`, or the Iceberg table as `namespace.table`.
    pub destination: String,
    pub schedule: Option<String>,
    /// Every completed segment ending at or before this time is exported.
    pub watermark_ms: Option<i64>,
    pub staged_files: i64,
    pub pending_commits: i64,
    pub last_snapshot_id: Option<i64>,
    pub segments: Vec<ExportedSegment>,
    /// Newest first.
    pub runs: Vec<ExportRunInfo>,
}
