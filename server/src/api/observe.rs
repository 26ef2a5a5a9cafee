//! Triggers and observability: `/tasks/*`, `/periodictask/run`, `/tables/{t}/externalTable/*`, `/tables/{t}/iceberg/*`.

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::extract::ApiQuery;
use crate::error::{ApiError, ApiResult};
use crate::model::table_config::SYNC_TASK_TYPES;
use crate::service::{status, tables};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleQuery {
    task_type: Option<String>,
    table_name: Option<String>,
}

fn check_task_type(task_type: &str, field: &str) -> ApiResult<()> {
    if SYNC_TASK_TYPES.contains(&task_type) {
        Ok(())
    } else {
        Err(ApiError::invalid(
            field,
            format!(
                "'{task_type}' is not a task Lakeport runs; use one of {}",
                SYNC_TASK_TYPES.join(", ")
            ),
        ))
    }
}

/// `POST /tasks/schedule?taskType=ExternalTableSyncTask&tableName=t_OFFLINE`
pub async fn schedule(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ScheduleQuery>,
) -> ApiResult<Json<Value>> {
    let task_type = query
        .task_type
        .ok_or_else(|| ApiError::invalid("taskType", "is required"))?;
    check_task_type(&task_type, "taskType")?;
    let table = query
        .table_name
        .ok_or_else(|| ApiError::invalid("tableName", "is required"))?;
    // Calls made before a run starts share one request, so they return the same
    // name: one run serves them all (as Pinot does not queue a second task either).
    let (name, request_id) = tables::trigger_named(&state, &table, "MANUAL").await?;
    Ok(Json(json!({
        task_type.clone(): status::task_name(&task_type, &name, request_id),
        "status": format!("{task_type} scheduled for table: {name}"),
    })))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PeriodicQuery {
    taskname: Option<String>,
    table_name: Option<String>,
    #[serde(rename = "type")]
    table_type: Option<String>,
}

/// `POST /periodictask/run?taskname=IcebergIngestionTask&tableName=t&type=OFFLINE`
pub async fn periodic_run(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<PeriodicQuery>,
) -> ApiResult<Json<Value>> {
    let task = query
        .taskname
        .ok_or_else(|| ApiError::invalid("taskname", "is required"))?;
    check_task_type(&task, "taskname")?;
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
    Ok(Json(
        json!({ "status": format!("{task} triggered for table: {name}") }),
    ))
}

/// `GET /tasks/{taskType}/{table}/taskstates`, and Pinot's `GET /tasks/{taskType}/{table}/state`,
/// which answers the same map of task name to task state for one table.
pub async fn task_states(
    State(state): State<AppState>,
    Path((task_type, table)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    check_task_type(&task_type, "taskType")?;
    Ok(Json(status::task_states(&state, &task_type, &table).await?))
}

pub async fn external_status(
    State(state): State<AppState>,
    Path(table): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(status::sync_status(&state, &table, true).await?))
}

pub async fn iceberg_status(
    State(state): State<AppState>,
    Path(table): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(status::sync_status(&state, &table, false).await?))
}

pub async fn checkpoint(
    State(state): State<AppState>,
    Path(table): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(status::checkpoint(&state, &table).await?))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FilesQuery {
    snapshot_id: Option<i64>,
}

pub async fn file_count(
    State(state): State<AppState>,
    Path(table): Path<String>,
    ApiQuery(query): ApiQuery<FilesQuery>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        status::source_file_count(&state, &table, query.snapshot_id).await?,
    ))
}

pub async fn ledger(
    State(state): State<AppState>,
    Path(table): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(status::ledger(&state, &table).await?))
}

pub async fn segments(
    State(state): State<AppState>,
    Path(table): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(status::segments(&state, &table).await?))
}

#[derive(Debug, Deserialize)]
pub struct ExplainQuery {
    schedule: Option<String>,
}

/// `GET /schedules/explain?schedule=0 */5 * * * ?`: the schedule in words and its next
/// five run times, so a person can check a cron expression before saving it.
pub async fn explain_schedule(ApiQuery(query): ApiQuery<ExplainQuery>) -> ApiResult<Json<Value>> {
    let expression = query
        .schedule
        .ok_or_else(|| ApiError::invalid("schedule", "is required, e.g. '0 */5 * * * ?'"))?;
    let next = crate::sync::schedule::next_runs(&expression, chrono::Utc::now(), 5)
        .map_err(|e| ApiError::invalid("schedule", e))?;
    Ok(Json(json!({
        "schedule": expression,
        "description": crate::sync::schedule::describe(&expression),
        "nextRunsMs": next.iter().map(|t| t.timestamp_millis()).collect::<Vec<_>>(),
    })))
}
