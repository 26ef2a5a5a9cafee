//! What the observability endpoints report: the latest run, its history, checkpoint, ledger and segments.

use lakeport_wire::tables::{
    Checkpoint, Ledger, LedgerFile, RunInfo, SegmentList, SourceFileCount, SyncStatus, TableStatus,
    TableSummaries, TableSummary, TaskStates,
};

use crate::catalogs::iceberg_rest::{IcebergRestCatalog, snapshots};
use crate::catalogs::{self, SourceSpec};
use crate::error::{ApiError, ApiResult};
use crate::model::table_config::EXPORT_TASK_TYPE;
use crate::service::exports;
use crate::service::tables;
use crate::sources;
use crate::state::AppState;
use crate::store::tasks::TaskKind;
use crate::store::{self, runs::SyncRun};

const HISTORY: i64 = 50;

fn millis(t: Option<chrono::DateTime<chrono::Utc>>) -> i64 {
    t.map(|t| t.timestamp_millis()).unwrap_or(0)
}

/// The form serde gives chrono's times, which the ledger has always answered with.
fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

fn run_info(run: &SyncRun) -> RunInfo {
    RunInfo {
        run_id: run.id,
        trigger: run.trigger.clone(),
        status: run.status.clone(),
        start_time_ms: run.started_at.timestamp_millis(),
        end_time_ms: millis(run.ended_at),
        files_listed: run.files_listed,
        files_discovered: run.files_discovered,
        files_failed: run.files_failed,
        segments_generated: run.segments_generated,
        segments_uploaded: run.segments_uploaded,
        rows_loaded: run.rows_loaded,
        bytes_read: run.bytes_read,
        error_message: run.error_message.clone(),
        note: run.note.clone(),
        checkpoint_value: run.checkpoint_value.clone(),
        worker: run.worker.clone(),
    }
}

/// The seed-002 fields of a run, or of no run yet (IDLE).
fn sync_status_of(
    table: &str,
    run: Option<&SyncRun>,
    checkpoint_value: Option<String>,
) -> SyncStatus {
    SyncStatus {
        table_name_with_type: table.to_owned(),
        status: run.map_or_else(|| "IDLE".to_owned(), |r| r.status.clone()),
        start_time_ms: run.map_or(0, |r| r.started_at.timestamp_millis()),
        end_time_ms: run.map_or(0, |r| millis(r.ended_at)),
        files_discovered: run.map_or(0, |r| r.files_discovered),
        segments_generated: run.map_or(0, |r| r.segments_generated),
        segments_uploaded: run.map_or(0, |r| r.segments_uploaded),
        error_message: run.and_then(|r| r.error_message.clone()),
        checkpoint_value: run.and(checkpoint_value),
    }
}

/// The seed-002 status fields of the latest run (IDLE before the first).
pub async fn latest_sync(state: &AppState, name: &str) -> ApiResult<SyncStatus> {
    let table = tables::load(state, name).await?;
    let latest = store::runs::latest(&state.pool, &table.name).await?;
    let checkpoint = store::checkpoints::get(&state.pool, &table.name).await?;
    Ok(sync_status_of(
        &table.name,
        latest.as_ref(),
        checkpoint.map(|c| c.checkpoint_value),
    ))
}

/// The latest run's status plus totals, schedule and the run history, newest first.
pub async fn table_status(state: &AppState, name: &str) -> ApiResult<TableStatus> {
    let table = tables::load(state, name).await?;
    // The latest run is taken from the history itself, so the top-level fields and
    // `runs[0]` can never disagree (two separate reads could straddle the end of a run).
    let history = store::runs::history(&state.pool, &table.name, HISTORY).await?;
    let latest = history.first();
    let checkpoint = store::checkpoints::get(&state.pool, &table.name).await?;
    let totals = store::segments::totals(&state.pool, &table.name).await?;
    let task = store::tasks::state(&state.pool, &table.name, TaskKind::Sync).await?;
    Ok(TableStatus {
        latest: sync_status_of(
            &table.name,
            latest,
            checkpoint.as_ref().map(|c| c.checkpoint_value.clone()),
        ),
        enabled: table.enabled,
        schedule: table.schedule.clone(),
        next_run_time_ms: task
            .as_ref()
            .and_then(|t| t.next_run_at)
            .map(|t| t.timestamp_millis()),
        run_requested: task.as_ref().is_some_and(|t| t.requested_at.is_some()),
        files_listed: latest.map_or(0, |r| r.files_listed),
        files_failed: latest.map_or(0, |r| r.files_failed),
        rows_loaded: latest.map_or(0, |r| r.rows_loaded),
        total_segments: totals.segments,
        total_rows: totals.rows,
        total_bytes: totals.bytes,
        checkpoint_type: checkpoint.map(|c| c.checkpoint_type),
        runs: history.iter().map(run_info).collect(),
    })
}

pub async fn checkpoint(state: &AppState, name: &str) -> ApiResult<Checkpoint> {
    let table = tables::load(state, name).await?;
    let checkpoint = store::checkpoints::get(&state.pool, &table.name).await?;
    Ok(Checkpoint {
        table_name_with_type: table.name,
        checkpoint_type: checkpoint.as_ref().map(|c| c.checkpoint_type.clone()),
        checkpoint_value: checkpoint.map(|c| c.checkpoint_value),
    })
}

/// The live number of data files in the source, read from it now: an Iceberg
/// snapshot's (the current one by default), or those under a raw prefix.
pub async fn source_file_count(
    state: &AppState,
    name: &str,
    snapshot_id: Option<i64>,
) -> ApiResult<SourceFileCount> {
    let table = tables::load(state, name).await?;
    let spec = sources::stored_source(&state.sources(), &table).await?;
    let count = match &spec {
        SourceSpec::IcebergRest(rest) => {
            let catalog = IcebergRestCatalog::open(rest, &state.config).await?;
            let loaded = catalog.open_table().await?;
            let metadata = loaded.table.metadata();
            let snapshot = match snapshot_id {
                Some(id) => Some(metadata.snapshot_by_id(id).ok_or_else(|| {
                    ApiError::NotFound(format!(
                        "snapshot {id} is not in the history of {}",
                        catalog.table_name()
                    ))
                })?),
                None => metadata.current_snapshot(),
            };
            match snapshot {
                Some(snapshot) => snapshots::plan(&loaded.table, snapshot.snapshot_id(), &[])
                    .await?
                    .len(),
                None => 0,
            }
        }
        SourceSpec::Local(_) | SourceSpec::S3(_) => {
            if snapshot_id.is_some() {
                return Err(ApiError::invalid(
                    "snapshotId",
                    format!(
                        "table '{}' reads raw Parquet ({}), which has no snapshots",
                        table.name, table.source_uri
                    ),
                ));
            }
            catalogs::open(&spec, &state.config)
                .await?
                .list_files()
                .await?
                .len()
        }
    };
    Ok(SourceFileCount {
        table_name_with_type: table.name,
        snapshot_id,
        file_count: count as u64,
    })
}

pub async fn ledger(state: &AppState, name: &str) -> ApiResult<Ledger> {
    let table = tables::load(state, name).await?;
    let files = store::files::for_table(&state.pool, &table.name).await?;
    Ok(Ledger {
        table_name_with_type: table.name,
        files: files
            .into_iter()
            .map(|f| LedgerFile {
                file_key: f.file_key,
                size_bytes: f.size_bytes,
                etag: f.etag,
                last_modified: f.last_modified.map(rfc3339),
                state: f.state,
                row_count: f.row_count,
                segment_name: f.segment_name,
                first_error: f.first_error,
                last_error: f.last_error,
                attempts: f.attempts,
                run_id: f.run_id,
                updated_at: rfc3339(f.updated_at),
            })
            .collect(),
    })
}

pub async fn segments(state: &AppState, name: &str) -> ApiResult<SegmentList> {
    let table = tables::load(state, name).await?;
    let segments = store::segments::for_table(&state.pool, &table.name).await?;
    Ok(SegmentList {
        table_name_with_type: table.name,
        segments,
    })
}

/// A task's name: `id` is the schedule request's id for a run that served one (the
/// name `/tasks/schedule` returned), else the run's id (scheduled runs, and runs
/// from before request ids, keep the names they always had).
pub fn task_name(task_type: &str, table: &str, id: i64) -> String {
    format!("Task_{task_type}_{table}_{id}")
}

/// Pinot's task-state map: one entry per run, keyed by a task name, plus a schedule
/// request no run has taken yet as `NOT_STARTED` (Helix's state for a task not begun).
pub async fn task_states(state: &AppState, task_type: &str, name: &str) -> ApiResult<TaskStates> {
    let table = tables::load(state, name).await?;
    if task_type == EXPORT_TASK_TYPE {
        return exports::task_states(state, &table).await;
    }
    // The task row is read before the runs: a run takes the request in the same
    // commit that records it, so the name is in one read or the other, never neither.
    let waiting = store::tasks::state(&state.pool, &table.name, TaskKind::Sync)
        .await?
        .and_then(|t| t.request_id);
    let history = store::runs::history(&state.pool, &table.name, HISTORY).await?;
    let mut states = TaskStates::new();
    if let Some(id) = waiting {
        states.insert(task_name(task_type, &table.name, id), "NOT_STARTED".into());
    }
    for run in &history {
        let state = match run.status.as_str() {
            "RUNNING" => "IN_PROGRESS",
            other => other,
        };
        states.insert(
            task_name(task_type, &table.name, run.request_id.unwrap_or(run.id)),
            state.into(),
        );
    }
    Ok(states)
}

/// Every table with its state, for the Tables page (`GET /tables?view=summary`).
/// A run in progress shows as RUNNING even when paused (it finishes normally);
/// otherwise a paused table shows PAUSED.
pub async fn summaries(state: &AppState) -> ApiResult<TableSummaries> {
    let pool = &state.pool;
    let mut summaries = Vec::new();
    for table in store::tables::list(pool).await? {
        let latest = store::runs::latest(pool, &table.name).await?;
        let totals = store::segments::totals(pool, &table.name).await?;
        let task = store::tasks::state(pool, &table.name, TaskKind::Sync).await?;
        let last_success = store::runs::last_success(pool, &table.name).await?;
        let run_status = latest.as_ref().map(|r| r.status.as_str());
        let status = match run_status {
            Some("RUNNING") => "RUNNING",
            _ if !table.enabled => "PAUSED",
            Some(status) => status,
            None => "IDLE",
        };
        summaries.push(TableSummary {
            status: status.to_owned(),
            name: table.raw_name,
            enabled: table.enabled,
            catalog_type: table.catalog_type,
            source: table.source_uri,
            rows: totals.rows,
            segments: totals.segments,
            last_success_ms: last_success.map(|t| t.timestamp_millis()),
            next_run_ms: task
                .and_then(|t| t.next_run_at)
                .map(|t| t.timestamp_millis()),
            last_error: latest.and_then(|r| r.error_message),
        });
    }
    Ok(TableSummaries { tables: summaries })
}
