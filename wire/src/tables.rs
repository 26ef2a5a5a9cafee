//! Tables and their syncs: the lists, the seed-002 status, run history, checkpoint, ledger, segments and tasks.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::table_config::TableConfig;

/// `GET /tables`: the names SQL uses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TableNames {
    pub tables: Vec<String>,
}

/// `GET /tables/{name}`: the stored config under its table type, secrets masked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TableConfigs {
    #[serde(rename = "OFFLINE", default, skip_serializing_if = "Option::is_none")]
    pub offline: Option<TableConfig>,
    #[serde(rename = "REALTIME", default, skip_serializing_if = "Option::is_none")]
    pub realtime: Option<TableConfig>,
}

impl TableConfigs {
    /// The config of whichever type the table is.
    pub fn config(&self) -> Option<&TableConfig> {
        self.offline.as_ref().or(self.realtime.as_ref())
    }
}

/// `PUT /tables/{name}/state`'s answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TableStateChanged {
    pub status: String,
    pub enabled: bool,
}

/// One synced table as `GET /tables?view=summary` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TableSummary {
    pub name: String,
    /// `IDLE`, `RUNNING`, `COMPLETED`, `FAILED` or `PAUSED`.
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TableSummaries {
    pub tables: Vec<TableSummary>,
}

/// The seed-002 fields of a table's latest sync (`IDLE` and zeros before the first):
/// `GET /tables/{name}/iceberg/status`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SyncStatus {
    pub table_name_with_type: String,
    /// `IDLE`, `RUNNING`, `COMPLETED` or `FAILED`.
    pub status: String,
    pub start_time_ms: i64,
    /// 0 while running.
    pub end_time_ms: i64,
    pub files_discovered: i32,
    pub segments_generated: i32,
    pub segments_uploaded: i32,
    pub error_message: Option<String>,
    pub checkpoint_value: Option<String>,
}

/// `GET /tables/{name}/externalTable/status`: the latest run plus totals, schedule and history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct TableStatus {
    #[serde(flatten)]
    pub latest: SyncStatus,
    pub enabled: bool,
    pub schedule: String,
    pub next_run_time_ms: Option<i64>,
    pub run_requested: bool,
    pub files_listed: i32,
    pub files_failed: i32,
    pub rows_loaded: i64,
    pub total_segments: i64,
    pub total_rows: i64,
    pub total_bytes: i64,
    pub checkpoint_type: Option<String>,
    /// Newest first.
    pub runs: Vec<RunInfo>,
}

/// One sync run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RunInfo {
    pub run_id: i64,
    /// `CREATE`, `SCHEDULE`, `MANUAL`, …: what started the run.
    pub trigger: String,
    pub status: String,
    pub start_time_ms: i64,
    /// 0 while running.
    pub end_time_ms: i64,
    pub files_listed: i32,
    pub files_discovered: i32,
    pub files_failed: i32,
    pub segments_generated: i32,
    pub segments_uploaded: i32,
    pub rows_loaded: i64,
    pub bytes_read: i64,
    pub error_message: Option<String>,
    pub note: Option<String>,
    pub checkpoint_value: Option<String>,
    /// The replica that ran it.
    pub worker: String,
}

/// `GET /tables/{name}/iceberg/checkpoint`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Checkpoint {
    pub table_name_with_type: String,
    pub checkpoint_type: Option<String>,
    pub checkpoint_value: Option<String>,
}

/// `GET /tables/{name}/iceberg/files`: the number of data files in the source now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SourceFileCount {
    pub table_name_with_type: String,
    pub snapshot_id: Option<i64>,
    pub file_count: u64,
}

/// `GET /tables/{name}/externalTable/files`: the per-file ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Ledger {
    pub table_name_with_type: String,
    pub files: Vec<LedgerFile>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LedgerFile {
    pub file_key: String,
    pub size_bytes: i64,
    pub etag: String,
    /// RFC 3339.
    pub last_modified: Option<String>,
    /// `LOADED`, `FAILED`, `REPLACED`, …
    pub state: String,
    pub row_count: Option<i64>,
    pub segment_name: Option<String>,
    pub first_error: Option<String>,
    pub last_error: Option<String>,
    pub attempts: i32,
    pub run_id: i64,
    /// RFC 3339.
    pub updated_at: String,
}

/// `GET /segments/{name}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SegmentList {
    pub table_name_with_type: String,
    pub segments: Vec<SegmentInfo>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SegmentInfo {
    pub segment_name: String,
    pub source_file_key: String,
    pub location: String,
    pub row_count: i64,
    pub size_bytes: i64,
    pub min_time_ms: Option<i64>,
    pub max_time_ms: Option<i64>,
    pub run_id: i64,
}

/// `GET /tasks/{taskType}/{table}/taskstates`: task name → Pinot task state
/// (`NOT_STARTED`, `IN_PROGRESS`, `COMPLETED`, `FAILED`).
pub type TaskStates = BTreeMap<String, String>;

/// `POST /tasks/schedule`'s answer: the task name under its type (Pinot's shape), and a message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScheduledTasks {
    /// Task type → the name of the task scheduled, as `…/taskstates` lists it.
    #[serde(flatten)]
    pub tasks: BTreeMap<String, String>,
    pub status: String,
}

/// `GET /schedules/explain`: a cron expression in words and its next run times.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ScheduleExplained {
    pub schedule: String,
    pub description: String,
    /// Milliseconds since the Unix epoch.
    pub next_runs_ms: Vec<i64>,
}

/// `GET /tables`: the names, or with `?view=summary` each table's state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TableListing {
    pub tables: Vec<TableListEntry>,
}

/// A name (`view=names`) or a summary (`view=summary`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum TableListEntry {
    Name(String),
    Summary(TableSummary),
}

impl From<TableNames> for TableListing {
    fn from(names: TableNames) -> Self {
        Self {
            tables: names.tables.into_iter().map(TableListEntry::Name).collect(),
        }
    }
}

impl From<TableSummaries> for TableListing {
    fn from(summaries: TableSummaries) -> Self {
        Self {
            tables: summaries
                .tables
                .into_iter()
                .map(TableListEntry::Summary)
                .collect(),
        }
    }
}
