//! What a table's DataExportTask has done: task states for Pinot's task API, and the exports view.

use lakeport_wire::exports::{ExportRunInfo, ExportStatus, ExportedSegment};
use lakeport_wire::tables::TaskStates;

use crate::error::{ApiError, ApiResult};
use crate::export::config::{self, TargetKind};
use crate::model::table_config::{EXPORT_TASK_TYPE, TableConfig};
use crate::service::status::task_name;
use crate::service::tables;
use crate::state::AppState;
use crate::store::tables::TableRow;
use crate::store::tasks::TaskKind;
use crate::store::{self, exports::ExportRun};

const HISTORY: i64 = 50;

fn run_info(table: &str, run: &ExportRun) -> ExportRunInfo {
    ExportRunInfo {
        run_id: run.id,
        task_name: task_name(EXPORT_TASK_TYPE, table, run.request_id.unwrap_or(run.id)),
        trigger: run.trigger.clone(),
        status: run.status.clone(),
        decision: run.decision.clone(),
        start_time_ms: run.started_at.timestamp_millis(),
        end_time_ms: run.ended_at.map_or(0, |t| t.timestamp_millis()),
        segments_exported: run.segments_exported,
        rows_exported: run.rows_exported,
        bytes_written: run.bytes_written,
        snapshot_id: run.snapshot_id,
        error_message: run.error_message.clone(),
        worker: run.worker.clone(),
    }
}

/// One state per export cycle, named as `/tasks/schedule` named it, plus a request no cycle
/// has taken yet as `NOT_STARTED`.
pub async fn task_states(state: &AppState, table: &TableRow) -> ApiResult<TaskStates> {
    // The task row first: a cycle takes the request in the commit that records the cycle.
    let waiting = store::tasks::state(&state.pool, &table.name, TaskKind::Export)
        .await?
        .and_then(|t| t.request_id);
    let runs = store::exports::runs(&state.pool, &table.name, HISTORY).await?;
    let mut states = TaskStates::new();
    if let Some(id) = waiting {
        states.insert(
            task_name(EXPORT_TASK_TYPE, &table.name, id),
            "NOT_STARTED".into(),
        );
    }
    for run in &runs {
        let info = run_info(&table.name, run);
        let state = match info.status.as_str() {
            "RUNNING" => "IN_PROGRESS".to_owned(),
            other => other.to_owned(),
        };
        states.insert(info.task_name, state);
    }
    Ok(states)
}

/// `GET /tables/{name}/exports`.
pub async fn status(state: &AppState, name: &str) -> ApiResult<ExportStatus> {
    let table = tables::load(state, name).await?;
    let table_config: TableConfig =
        serde_json::from_value(table.config.clone()).map_err(ApiError::internal)?;
    let export = config::of_config(&table_config)?.ok_or_else(|| {
        ApiError::NotFound(format!(
            "table '{}' has no {EXPORT_TASK_TYPE} in task.taskTypeConfigsMap",
            table.name
        ))
    })?;
    let destination = match export.target {
        TargetKind::Filesystem => export
            .target_params
            .get("catalog.local.path")
            .map(|p| format!("file://{p}"))
            .or_else(|| {
                table_config
                    .task_params(EXPORT_TASK_TYPE)
                    .and_then(|p| p.get("outputDirURI").cloned())
            })
            .unwrap_or_default(),
        TargetKind::IcebergRest => format!(
            "{}.{}",
            export
                .target_params
                .get("catalog.iceberg-rest.table.namespace")
                .cloned()
                .unwrap_or_default(),
            export
                .target_params
                .get("catalog.iceberg-rest.table.tableName")
                .cloned()
                .unwrap_or_default()
        ),
    };
    let segments = store::exports::segments(&state.pool, &table.name).await?;
    let runs = store::exports::runs(&state.pool, &table.name, HISTORY).await?;
    let pending = store::exports::pending_commits(&state.pool, &table.name).await?;
    let staged = store::exports::staged_count(&state.pool, &table.name).await?;
    let watermark = store::exports::watermark(&state.pool, &table.name).await?;
    Ok(ExportStatus {
        table_name_with_type: table.name.clone(),
        source_table_name: export.source_table,
        target: export.target.as_str().to_owned(),
        destination,
        schedule: export.schedule,
        watermark_ms: watermark,
        staged_files: staged,
        pending_commits: pending.len() as i64,
        last_snapshot_id: segments.iter().filter_map(|s| s.snapshot_id).max(),
        segments: segments
            .into_iter()
            .map(|s| ExportedSegment {
                segment_name: s.segment_name,
                source_table_name: s.source_table,
                state: s.state,
                file_uri: s.file_uri,
                row_count: s.row_count,
                size_bytes: s.size_bytes,
                end_time_ms: s.end_time_ms,
                commit_id: s.commit_id.map(|c| c.to_string()),
                snapshot_id: s.snapshot_id,
                attempts: s.attempts,
                error_message: s.error_message,
                updated_at_ms: s.updated_at.timestamp_millis(),
            })
            .collect(),
        runs: runs.iter().map(|r| run_info(&table.name, r)).collect(),
    })
}
