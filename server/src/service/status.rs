//! What the observability endpoints report: the latest run, its history, checkpoint, ledger and segments.

use lakeport_app::model::{TableSummaries, TableSummary};
use serde_json::{Value, json};

use crate::catalogs::iceberg_rest::{IcebergRestCatalog, snapshots};
use crate::catalogs::{self, SourceSpec};
use crate::error::{ApiError, ApiResult};
use crate::service::tables;
use crate::state::AppState;
use crate::store::{self, runs::SyncRun};

const HISTORY: i64 = 50;

fn millis(t: Option<chrono::DateTime<chrono::Utc>>) -> i64 {
    t.map(|t| t.timestamp_millis()).unwrap_or(0)
}

fn run_json(run: &SyncRun) -> Value {
    json!({
        "runId": run.id,
        "trigger": run.trigger,
        "status": run.status,
        "startTimeMs": run.started_at.timestamp_millis(),
        "endTimeMs": millis(run.ended_at),
        "filesListed": run.files_listed,
        "filesDiscovered": run.files_discovered,
        "filesFailed": run.files_failed,
        "segmentsGenerated": run.segments_generated,
        "segmentsUploaded": run.segments_uploaded,
        "rowsLoaded": run.rows_loaded,
        "bytesRead": run.bytes_read,
        "errorMessage": run.error_message,
        "note": run.note,
        "checkpointValue": run.checkpoint_value,
        "worker": run.worker,
    })
}

/// The seed-002 status fields of the latest run (IDLE before the first), plus
/// totals, schedule and the run history, newest first.
pub async fn sync_status(state: &AppState, name: &str, with_history: bool) -> ApiResult<Value> {
    let table = tables::load(state, name).await?;
    // The latest run is taken from the history itself when there is one, so the
    // top-level fields and `runs[0]` can never disagree (two separate reads could
    // straddle the end of a run).
    let history = if with_history {
        store::runs::history(&state.pool, &table.name, HISTORY).await?
    } else {
        Vec::new()
    };
    let latest = match history.first() {
        Some(run) => Some(run.clone()),
        None if with_history => None,
        None => store::runs::latest(&state.pool, &table.name).await?,
    };
    let checkpoint = store::checkpoints::get(&state.pool, &table.name).await?;
    let mut body = match &latest {
        Some(run) => json!({
            "tableNameWithType": table.name,
            "status": run.status,
            "startTimeMs": run.started_at.timestamp_millis(),
            "endTimeMs": millis(run.ended_at),
            "filesDiscovered": run.files_discovered,
            "segmentsGenerated": run.segments_generated,
            "segmentsUploaded": run.segments_uploaded,
            "errorMessage": run.error_message,
            "checkpointValue": checkpoint.as_ref().map(|c| c.checkpoint_value.clone()),
        }),
        None => json!({
            "tableNameWithType": table.name,
            "status": "IDLE",
            "startTimeMs": 0,
            "endTimeMs": 0,
            "filesDiscovered": 0,
            "segmentsGenerated": 0,
            "segmentsUploaded": 0,
            "errorMessage": null,
            "checkpointValue": null,
        }),
    };
    if with_history {
        let totals = store::segments::totals(&state.pool, &table.name).await?;
        let task = store::tasks::state(&state.pool, &table.name).await?;
        let extra = json!({
            "enabled": table.enabled,
            "schedule": table.schedule,
            "nextRunTimeMs": task.as_ref().and_then(|t| t.next_run_at).map(|t| t.timestamp_millis()),
            "runRequested": task.as_ref().is_some_and(|t| t.requested_at.is_some()),
            "filesListed": latest.as_ref().map_or(0, |r| r.files_listed),
            "filesFailed": latest.as_ref().map_or(0, |r| r.files_failed),
            "rowsLoaded": latest.as_ref().map_or(0, |r| r.rows_loaded),
            "totalSegments": totals.segments,
            "totalRows": totals.rows,
            "totalBytes": totals.bytes,
            "checkpointType": checkpoint.as_ref().map(|c| c.checkpoint_type.clone()),
            "runs": history.iter().map(run_json).collect::<Vec<_>>(),
        });
        body.as_object_mut()
            .expect("object")
            .extend(extra.as_object().expect("object").clone());
    }
    Ok(body)
}

pub async fn checkpoint(state: &AppState, name: &str) -> ApiResult<Value> {
    let table = tables::load(state, name).await?;
    let checkpoint = store::checkpoints::get(&state.pool, &table.name).await?;
    Ok(json!({
        "tableNameWithType": table.name,
        "checkpointType": checkpoint.as_ref().map(|c| c.checkpoint_type.clone()),
        "checkpointValue": checkpoint.map(|c| c.checkpoint_value),
    }))
}

/// The live number of data files in the source, read from it now: an Iceberg
/// snapshot's (the current one by default), or those under a raw prefix.
pub async fn source_file_count(
    state: &AppState,
    name: &str,
    snapshot_id: Option<i64>,
) -> ApiResult<Value> {
    let table = tables::load(state, name).await?;
    let spec = tables::stored_source(state, &table).await?;
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
    Ok(json!({ "tableNameWithType": table.name, "snapshotId": snapshot_id, "fileCount": count }))
}

pub async fn ledger(state: &AppState, name: &str) -> ApiResult<Value> {
    let table = tables::load(state, name).await?;
    let files = store::files::for_table(&state.pool, &table.name).await?;
    Ok(json!({ "tableNameWithType": table.name, "files": files }))
}

pub async fn segments(state: &AppState, name: &str) -> ApiResult<Value> {
    let table = tables::load(state, name).await?;
    let segments = store::segments::for_table(&state.pool, &table.name).await?;
    Ok(json!({ "tableNameWithType": table.name, "segments": segments }))
}

/// A task's name: `id` is the schedule request's id for a run that served one (the
/// name `/tasks/schedule` returned), else the run's id (scheduled runs, and runs
/// from before request ids, keep the names they always had).
pub fn task_name(task_type: &str, table: &str, id: i64) -> String {
    format!("Task_{task_type}_{table}_{id}")
}

/// Pinot's task-state map: one entry per run, keyed by a task name, plus a schedule
/// request no run has taken yet as `NOT_STARTED` (Helix's state for a task not begun).
pub async fn task_states(state: &AppState, task_type: &str, name: &str) -> ApiResult<Value> {
    let table = tables::load(state, name).await?;
    // The task row is read before the runs: a run takes the request in the same
    // commit that records it, so the name is in one read or the other, never neither.
    let waiting = store::tasks::state(&state.pool, &table.name)
        .await?
        .and_then(|t| t.request_id);
    let history = store::runs::history(&state.pool, &table.name, HISTORY).await?;
    let mut states = serde_json::Map::new();
    if let Some(id) = waiting {
        states.insert(task_name(task_type, &table.name, id), json!("NOT_STARTED"));
    }
    for run in &history {
        let state = match run.status.as_str() {
            "RUNNING" => "IN_PROGRESS",
            other => other,
        };
        states.insert(
            task_name(task_type, &table.name, run.request_id.unwrap_or(run.id)),
            json!(state),
        );
    }
    Ok(Value::Object(states))
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
        let task = store::tasks::state(pool, &table.name).await?;
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
