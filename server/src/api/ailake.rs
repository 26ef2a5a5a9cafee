//! The AI Lake API (`/api/v1/ailake`, seed 004): object storages, database instances, pipe
//! tables and operations. Every change answers 202 with the operation to poll.

use axum::Json;
use axum::extract::{OriginalUri, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use lakeport_wire::ailake::{
    CreatePipeTableRequest, DatabaseInstance, OPERATION_ID_HEADER, OPERATION_LOCATION_HEADER,
    ObjectStorageInfo, Operation, PageQuery, PipeTable, PipeTableSummary,
    ProvisionDatabaseInstanceRequest, RegisterObjectStorage, ResourceList, ResourceOne,
};
use lakeport_wire::connections::Removed;

use super::docs::ApiErrors;
use super::extract::ApiJson;
use crate::error::{ApiError, ApiResult};
use crate::service::{ailake, storages};
use crate::state::AppState;

/// `page`, `size` and `metaInclude` as sent; `metaInclude` may be repeated
/// (`metaInclude=page&metaInclude=all`) or comma-separated, which a plain query struct
/// cannot read.
fn page_query(raw: Option<String>) -> PageQuery {
    let mut query = PageQuery::default();
    let mut include = Vec::new();
    for (key, value) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        match key.as_ref() {
            "page" => query.page = Some(value.into_owned()),
            "size" => query.size = Some(value.into_owned()),
            "metaInclude" => include.push(value.into_owned()),
            _ => {}
        }
    }
    query.meta_include = (!include.is_empty()).then(|| include.join(","));
    query
}

fn operation_id(headers: &HeaderMap) -> ApiResult<Option<String>> {
    headers
        .get(OPERATION_ID_HEADER)
        .map(|v| {
            v.to_str()
                .map(|s| s.trim().to_owned())
                .map_err(|_| ApiError::invalid(OPERATION_ID_HEADER, "must be visible ASCII text"))
        })
        .transpose()
}

/// 202 with `operation-id` and `operation-location`, and the operation as the body.
fn accepted(operation: Operation) -> ApiResult<Response> {
    let location = format!(
        "{}/operations/{}",
        lakeport_wire::ailake::AILAKE_PREFIX,
        operation.id
    );
    let mut response = (StatusCode::ACCEPTED, Json(&operation)).into_response();
    let headers = response.headers_mut();
    let value = |text: &str| HeaderValue::from_str(text).map_err(ApiError::internal);
    headers.insert(OPERATION_ID_HEADER, value(&operation.id)?);
    headers.insert(OPERATION_LOCATION_HEADER, value(&location)?);
    Ok(response)
}

fn link(uri: &OriginalUri) -> String {
    uri.0.to_string()
}

#[utoipa::path(
    get,
    path = "/api/v1/ailake/objectStorages",
    tag = "ailake",
    params(PageQuery),
    responses((status = 200, body = ResourceList<ObjectStorageInfo>), ApiErrors)
)]
pub async fn list_storages(
    State(state): State<AppState>,
    uri: OriginalUri,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<ResourceList<ObjectStorageInfo>>> {
    Ok(Json(
        ailake::list_storages(&state, &page_query(raw), &link(&uri)).await?,
    ))
}

/// Lakeport's own call: registers a storage after reading it with its keys (the public
/// API only lists them). The keys are sealed and never returned.
#[utoipa::path(
    post,
    path = "/api/v1/ailake/objectStorages",
    tag = "ailake",
    request_body = RegisterObjectStorage,
    responses((status = 201, body = ResourceOne<ObjectStorageInfo>), ApiErrors)
)]
pub async fn register_storage(
    State(state): State<AppState>,
    uri: OriginalUri,
    ApiJson(body): ApiJson<RegisterObjectStorage>,
) -> ApiResult<(StatusCode, Json<ResourceOne<ObjectStorageInfo>>)> {
    Ok((
        StatusCode::CREATED,
        Json(ailake::register_storage(&state, body, uri.0.path()).await?),
    ))
}

#[utoipa::path(
    delete,
    path = "/api/v1/ailake/objectStorages/{storage}",
    tag = "ailake",
    params(("storage" = String, Path, description = "The storage's name or id")),
    responses((status = 200, body = Removed), ApiErrors)
)]
pub async fn remove_storage(
    State(state): State<AppState>,
    Path(storage): Path<String>,
) -> ApiResult<Json<Removed>> {
    Ok(Json(storages::remove(&state, &storage).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/ailake/database/instances",
    tag = "ailake",
    params(PageQuery),
    responses((status = 200, body = ResourceList<DatabaseInstance>), ApiErrors)
)]
pub async fn list_instances(
    State(state): State<AppState>,
    uri: OriginalUri,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<ResourceList<DatabaseInstance>>> {
    Ok(Json(
        ailake::list_instances(&state, &page_query(raw), &link(&uri)).await?,
    ))
}

#[utoipa::path(
    post,
    path = "/api/v1/ailake/database/instances",
    tag = "ailake",
    params(("operation-id" = Option<String>, Header, description = "Your id for the operation: sending it again does not run it twice")),
    request_body = ProvisionDatabaseInstanceRequest,
    responses((status = 202, body = Operation, description = "Scheduled; poll operation-location"), ApiErrors)
)]
pub async fn provision(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ProvisionDatabaseInstanceRequest>,
) -> ApiResult<Response> {
    accepted(ailake::provision(&state, operation_id(&headers)?, body).await?)
}

#[utoipa::path(
    get,
    path = "/api/v1/ailake/database/instances/{instanceId}",
    tag = "ailake",
    params(("instanceId" = String, Path, description = "The instance's name (preferred) or id")),
    responses((status = 200, body = ResourceOne<DatabaseInstance>), ApiErrors)
)]
pub async fn get_instance(
    State(state): State<AppState>,
    uri: OriginalUri,
    Path(instance): Path<String>,
) -> ApiResult<Json<ResourceOne<DatabaseInstance>>> {
    Ok(Json(
        ailake::get_instance(&state, &instance, &link(&uri)).await?,
    ))
}

#[utoipa::path(
    delete,
    path = "/api/v1/ailake/database/instances/{instanceId}",
    tag = "ailake",
    params(
        ("instanceId" = String, Path, description = "The instance's name (preferred) or id"),
        ("operation-id" = Option<String>, Header, description = "Your id for the operation")
    ),
    responses((status = 202, body = Operation, description = "Scheduled: drops the instance and its pipe tables"), ApiErrors)
)]
pub async fn deprovision(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(instance): Path<String>,
) -> ApiResult<Response> {
    accepted(ailake::deprovision(&state, operation_id(&headers)?, &instance).await?)
}

#[utoipa::path(
    get,
    path = "/api/v1/ailake/database/instances/{instanceId}/pipeTables",
    tag = "ailake",
    params(("instanceId" = String, Path, description = "The instance's name (preferred) or id"), PageQuery),
    responses((status = 200, body = ResourceList<PipeTableSummary>), ApiErrors)
)]
pub async fn list_pipes(
    State(state): State<AppState>,
    uri: OriginalUri,
    Path(instance): Path<String>,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<ResourceList<PipeTableSummary>>> {
    Ok(Json(
        ailake::list_pipes(&state, &instance, &page_query(raw), &link(&uri)).await?,
    ))
}

/// Creates a pipe table over the Parquet files under `pathPrefix`: the layout, the schema
/// and every setting are checked now (a 4xx names what is wrong); the table is created by
/// the operation, and its pipe then loads each file once.
#[utoipa::path(
    post,
    path = "/api/v1/ailake/database/instances/{instanceId}/pipeTables",
    tag = "ailake",
    params(
        ("instanceId" = String, Path, description = "The instance's name (preferred) or id"),
        ("operation-id" = Option<String>, Header, description = "Your id for the operation")
    ),
    request_body = CreatePipeTableRequest,
    responses((status = 202, body = Operation, description = "Scheduled; poll operation-location"), ApiErrors)
)]
pub async fn create_pipe(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(instance): Path<String>,
    ApiJson(body): ApiJson<CreatePipeTableRequest>,
) -> ApiResult<Response> {
    accepted(ailake::create_pipe(&state, operation_id(&headers)?, &instance, body).await?)
}

#[utoipa::path(
    get,
    path = "/api/v1/ailake/database/instances/{instanceId}/pipeTables/{tableName}",
    tag = "ailake",
    params(
        ("instanceId" = String, Path, description = "The instance's name (preferred) or id"),
        ("tableName" = String, Path, description = "The pipe table")
    ),
    responses((status = 200, body = ResourceOne<PipeTable>), ApiErrors)
)]
pub async fn get_pipe(
    State(state): State<AppState>,
    uri: OriginalUri,
    Path((instance, table)): Path<(String, String)>,
) -> ApiResult<Json<ResourceOne<PipeTable>>> {
    Ok(Json(
        ailake::get_pipe(&state, &instance, &table, &link(&uri)).await?,
    ))
}

#[utoipa::path(
    delete,
    path = "/api/v1/ailake/database/instances/{instanceId}/pipeTables/{tableName}",
    tag = "ailake",
    params(
        ("instanceId" = String, Path, description = "The instance's name (preferred) or id"),
        ("tableName" = String, Path, description = "The pipe table"),
        ("operation-id" = Option<String>, Header, description = "Your id for the operation")
    ),
    responses((status = 202, body = Operation, description = "Scheduled: drops the pipe, its table and segments"), ApiErrors)
)]
pub async fn delete_pipe(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((instance, table)): Path<(String, String)>,
) -> ApiResult<Response> {
    accepted(ailake::delete_pipe(&state, operation_id(&headers)?, &instance, &table).await?)
}

/// Lakeport's own list of operations, newest first (the web app shows it).
#[utoipa::path(
    get,
    path = "/api/v1/ailake/operations",
    tag = "ailake",
    params(PageQuery),
    responses((status = 200, body = ResourceList<Operation>), ApiErrors)
)]
pub async fn list_operations(
    State(state): State<AppState>,
    uri: OriginalUri,
    RawQuery(raw): RawQuery,
) -> ApiResult<Json<ResourceList<Operation>>> {
    Ok(Json(
        ailake::list_operations(&state, &page_query(raw), &link(&uri)).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/ailake/operations/{operationId}",
    tag = "ailake",
    params(("operationId" = String, Path, description = "The operation-id a change answered with")),
    responses((status = 200, body = Operation, description = "pending, succeeded (with result) or failed (with error)"), ApiErrors)
)]
pub async fn get_operation(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Operation>> {
    Ok(Json(ailake::get_operation(&state, &id).await?))
}
