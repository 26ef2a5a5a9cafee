//! Triggers and observability: `/tasks/*`, `/periodictask/run`, `/tables/{t}/externalTable/*`, `/tables/{t}/iceberg/*`.

use axum::Json;
use axum::extract::{Path, State};
use lakeport_wire::StatusMessage;
use lakeport_wire::tables::{
    Checkpoint, Ledger, ScheduleExplained, ScheduledTasks, SegmentList, SourceFileCount,
    SyncStatus, TableStatus, TaskStates,
};
use serde::Deserialize;
use utoipa::IntoParams;

use super::docs::ApiErrors;
use super::extract::ApiQuery;
use crate::error::{ApiError, ApiResult};
use crate::model::table_config::{EXPORT_TASK_TYPE, SYNC_TASK_TYPES};
use crate::service::{status, tables};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ScheduleQuery {
    /// `ExternalTableSyncTask` or `IcebergIngestionTask` (a sync), or `DataExportTask` (an export cycle).
    #[param(
        required = true,
        pattern = "^(ExternalTableSyncTask|IcebergIngestionTask|DataExportTask)$"
    )]
    task_type: Option<String>,
    /// The table, with or without its type suffix.
    #[param(required = true)]
    table_name: Option<String>,
}

/// A task type Lakeport runs: a sync type, or DataExportTask where `export` allows it.
fn check_task_type(task_type: &str, field: &str, export: bool) -> ApiResult<()> {
    if SYNC_TASK_TYPES.contains(&task_type) || (export && task_type == EXPORT_TASK_TYPE) {
        return Ok(());
    }
    let mut known = SYNC_TASK_TYPES.to_vec();
    if export {
        known.push(EXPORT_TASK_TYPE);
    }
    Err(ApiError::invalid(
        field,
        format!(
            "'{task_type}' is not a task Lakeport runs; use one of {}",
            known.join(", ")
        ),
    ))
}

/// `POST /tasks/schedule?taskType=ExternalTableSyncTask&tableName=t_OFFLINE`
#[utoipa::path(
    post,
    path = "/tasks/schedule",
    tag = "syncs",
    params(ScheduleQuery),
    responses((status = 200, body = ScheduledTasks, description = "A sync is queued; its task name is found in …/taskstates"), ApiErrors)
)]
pub async fn schedule(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ScheduleQuery>,
) -> ApiResult<Json<ScheduledTasks>> {
    let task_type = query
        .task_type
        .ok_or_else(|| ApiError::invalid("taskType", "is required"))?;
    check_task_type(&task_type, "taskType", true)?;
    let table = query
        .table_name
        .ok_or_else(|| ApiError::invalid("tableName", "is required"))?;
    // Calls made before a run starts share one request, so they return the same
    // name: one run serves them all (as Pinot does not queue a second task either).
    let (name, request_id) = tables::trigger_named(&state, &table, &task_type, "MANUAL").await?;
    Ok(Json(ScheduledTasks {
        status: format!("{task_type} scheduled for table: {name}"),
        tasks: [(
            task_type.clone(),
            status::task_name(&task_type, &name, request_id),
        )]
        .into(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct PeriodicQuery {
    /// The task type to run, e.g. `IcebergIngestionTask`.
    #[param(
        required = true,
        pattern = "^(ExternalTableSyncTask|IcebergIngestionTask)$"
    )]
    taskname: Option<String>,
    #[param(required = true)]
    table_name: Option<String>,
    #[serde(rename = "type")]
    /// Only `OFFLINE`: external tables are OFFLINE tables.
    #[param(pattern = "^OFFLINE$")]
    table_type: Option<String>,
}

/// `POST /periodictask/run?taskname=IcebergIngestionTask&tableName=t&type=OFFLINE`
#[utoipa::path(
    post,
    path = "/periodictask/run",
    tag = "syncs",
    params(PeriodicQuery),
    responses((status = 200, body = StatusMessage), ApiErrors)
)]
pub async fn periodic_run(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<PeriodicQuery>,
) -> ApiResult<Json<StatusMessage>> {
    let task = query
        .taskname
        .ok_or_else(|| ApiError::invalid("taskname", "is required"))?;
    check_task_type(&task, "taskname", false)?;
    if let Some(kind) = query.table_type.as_deref()
        && kind != "OFFLINE"
    {
        return Err(ApiError::invalid(
            "type",
            format!("'{kind}' is not supported; external tables are OFFLINE"),
        ));
    }
    let table = query
        .table_name
        .ok_or_else(|| ApiError::invalid("tableName", "is required"))?;
    let name = tables::trigger(&state, &table, "MANUAL").await?;
    Ok(Json(StatusMessage::new(format!(
        "{task} triggered for table: {name}"
    ))))
}

#[utoipa::path(
    get,
    path = "/tasks/{task_type}/{name}/taskstates",
    tag = "syncs",
    params(("task_type" = String, Path, description = "ExternalTableSyncTask, IcebergIngestionTask or DataExportTask"), ("name" = String, Path, description = "The table")),
    responses((status = 200, body = BTreeMap<String, String>, description = "Task name → state (NOT_STARTED, IN_PROGRESS, COMPLETED, FAILED), one per sync or export cycle"), ApiErrors)
)]
pub async fn task_states(
    State(state): State<AppState>,
    Path((task_type, table)): Path<(String, String)>,
) -> ApiResult<Json<TaskStates>> {
    check_task_type(&task_type, "taskType", true)?;
    Ok(Json(status::task_states(&state, &task_type, &table).await?))
}

/// Pinot's `GET /tasks/{taskType}/{table}/state`: the same map of task name to state as
/// `…/taskstates`.
#[utoipa::path(
    get,
    path = "/tasks/{task_type}/{name}/state",
    tag = "syncs",
    params(("task_type" = String, Path, description = "ExternalTableSyncTask, IcebergIngestionTask or DataExportTask"), ("name" = String, Path, description = "The table")),
    responses((status = 200, body = BTreeMap<String, String>, description = "Task name → state, one per sync or export cycle"), ApiErrors)
)]
pub async fn task_state(
    state: State<AppState>,
    path: Path<(String, String)>,
) -> ApiResult<Json<TaskStates>> {
    task_states(state, path).await
}

#[utoipa::path(
    get,
    path = "/tables/{name}/externalTable/status",
    tag = "syncs",
    params(("name" = String, Path, description = "The table, with or without its _OFFLINE suffix")),
    responses((status = 200, body = TableStatus), ApiErrors)
)]
pub async fn external_status(
    State(state): State<AppState>,
    Path(table): Path<String>,
) -> ApiResult<Json<TableStatus>> {
    Ok(Json(status::table_status(&state, &table).await?))
}

#[utoipa::path(
    get,
    path = "/tables/{name}/iceberg/status",
    tag = "syncs",
    params(("name" = String, Path, description = "The table, with or without its _OFFLINE suffix")),
    responses((status = 200, body = SyncStatus), ApiErrors)
)]
pub async fn iceberg_status(
    State(state): State<AppState>,
    Path(table): Path<String>,
) -> ApiResult<Json<SyncStatus>> {
    Ok(Json(status::latest_sync(&state, &table).await?))
}

#[utoipa::path(
    get,
    path = "/tables/{name}/iceberg/checkpoint",
    tag = "syncs",
    params(("name" = String, Path, description = "The table, with or without its _OFFLINE suffix")),
    responses((status = 200, body = Checkpoint), ApiErrors)
)]
pub async fn checkpoint(
    State(state): State<AppState>,
    Path(table): Path<String>,
) -> ApiResult<Json<Checkpoint>> {
    Ok(Json(status::checkpoint(&state, &table).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct FilesQuery {
    /// An Iceberg snapshot of the table's history; the current one when left out.
    snapshot_id: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/tables/{name}/iceberg/files",
    tag = "syncs",
    params(("name" = String, Path, description = "The table"), FilesQuery),
    responses((status = 200, body = SourceFileCount), ApiErrors)
)]
pub async fn file_count(
    State(state): State<AppState>,
    Path(table): Path<String>,
    ApiQuery(query): ApiQuery<FilesQuery>,
) -> ApiResult<Json<SourceFileCount>> {
    Ok(Json(
        status::source_file_count(&state, &table, query.snapshot_id).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/tables/{name}/externalTable/files",
    tag = "syncs",
    params(("name" = String, Path, description = "The table, with or without its _OFFLINE suffix")),
    responses((status = 200, body = Ledger), ApiErrors)
)]
pub async fn ledger(
    State(state): State<AppState>,
    Path(table): Path<String>,
) -> ApiResult<Json<Ledger>> {
    Ok(Json(status::ledger(&state, &table).await?))
}

#[utoipa::path(
    get,
    path = "/segments/{name}",
    tag = "syncs",
    params(("name" = String, Path, description = "The table, with or without its _OFFLINE suffix")),
    responses((status = 200, body = SegmentList), ApiErrors)
)]
pub async fn segments(
    State(state): State<AppState>,
    Path(table): Path<String>,
) -> ApiResult<Json<SegmentList>> {
    Ok(Json(status::segments(&state, &table).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExplainQuery {
    /// A Quartz cron expression, e.g. `0 */5 * * * ?`.
    #[param(required = true)]
    schedule: Option<String>,
}

/// `GET /schedules/explain?schedule=0 */5 * * * ?`: the schedule in words and its next
/// five run times, so a person can check a cron expression before saving it.
#[utoipa::path(
    get,
    path = "/schedules/explain",
    tag = "syncs",
    params(ExplainQuery),
    responses((status = 200, body = ScheduleExplained), ApiErrors)
)]
pub async fn explain_schedule(
    ApiQuery(query): ApiQuery<ExplainQuery>,
) -> ApiResult<Json<ScheduleExplained>> {
    let expression = query
        .schedule
        .ok_or_else(|| ApiError::invalid("schedule", "is required, e.g. '0 */5 * * * ?'"))?;
    let next = crate::model::schedule::next_runs(&expression, chrono::Utc::now(), 5)
        .map_err(|e| ApiError::invalid("schedule", e))?;
    Ok(Json(ScheduleExplained {
        description: crate::model::schedule::describe(&expression),
        next_runs_ms: next.iter().map(|t| t.timestamp_millis()).collect(),
        schedule: expression,
    }))
}

#[cfg(test)]
mod tests {
    /// The documented task-type pattern names exactly the task types Lakeport runs.
    #[test]
    fn the_task_type_patterns_match_the_task_types_each_call_takes() {
        let source = include_str!("observe.rs");
        let syncs = crate::model::table_config::SYNC_TASK_TYPES.join("|");
        // `/periodictask/run` runs syncs only; `/tasks/schedule` also runs export cycles.
        let sync_only = format!("\"^({syncs})$\"");
        assert_eq!(source.matches(&sync_only).count(), 1, "{sync_only}");
        let with_export = format!(
            "\"^({syncs}|{})$\"",
            crate::model::table_config::EXPORT_TASK_TYPE
        );
        assert_eq!(source.matches(&with_export).count(), 1, "{with_export}");
    }
}
