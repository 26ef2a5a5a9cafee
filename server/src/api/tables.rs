//! Table and schema CRUD: `/tables`, `/tables/{name}`, `/tables/{name}/state`, `/schemas`.

use axum::Json;
use axum::extract::{Path, State};
use lakeport_wire::StatusMessage;
use lakeport_wire::schema::TableSchema;
use lakeport_wire::table_config::TableConfig;
use lakeport_wire::tables::{TableConfigs, TableListing, TableStateChanged};
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;

use super::docs::ApiErrors;
use super::extract::{ApiJson, ApiQuery};
use crate::error::{ApiError, ApiResult};
use crate::service::{schemas, status, tables};
use crate::state::AppState;

#[utoipa::path(
    post,
    path = "/tables",
    tag = "tables",
    request_body = TableConfig,
    responses((status = 200, body = StatusMessage, description = "The table is created and its first sync is queued"), ApiErrors)
)]
pub async fn create(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<StatusMessage>> {
    Ok(Json(tables::create(&state, body).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `names` (the default) or `summary`.
    #[param(pattern = "^(names|summary)$")]
    view: Option<String>,
}

/// The seed's list of names, or with `?view=summary` each table's state.
#[utoipa::path(
    get,
    path = "/tables",
    tag = "tables",
    params(ListQuery),
    responses((status = 200, body = TableListing, description = "The table names, or each table's state with view=summary"), ApiErrors)
)]
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<TableListing>> {
    match query.view.as_deref() {
        None | Some("names") => Ok(Json(tables::list(&state).await?.into())),
        Some("summary") => Ok(Json(status::summaries(&state).await?.into())),
        Some(other) => Err(ApiError::invalid(
            "view",
            format!("'{other}' is not a view; use 'names' or 'summary'"),
        )),
    }
}

#[utoipa::path(
    get,
    path = "/tables/{name}",
    tag = "tables",
    params(("name" = String, Path, description = "The table, with or without its _OFFLINE suffix")),
    responses((status = 200, body = TableConfigs), ApiErrors)
)]
pub async fn get(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<TableConfigs>> {
    Ok(Json(tables::config(&state, &name).await?))
}

#[utoipa::path(
    put,
    path = "/tables/{name}",
    tag = "tables",
    params(("name" = String, Path, description = "The table, with or without its _OFFLINE suffix")),
    request_body = TableConfig,
    responses((status = 200, body = StatusMessage), ApiErrors)
)]
pub async fn update(
    State(state): State<AppState>,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<StatusMessage>> {
    Ok(Json(tables::update(&state, &name, body).await?))
}

#[utoipa::path(
    delete,
    path = "/tables/{name}",
    tag = "tables",
    params(("name" = String, Path, description = "The table, with or without its _OFFLINE suffix")),
    responses((status = 200, body = StatusMessage, description = "The table, its segments and its sync history are gone"), ApiErrors)
)]
pub async fn delete(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<StatusMessage>> {
    Ok(Json(tables::delete(&state, &name).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StateQuery {
    /// `enable` or `disable` (any case).
    #[param(pattern = "^([eE][nN][aA][bB][lL][eE]|[dD][iI][sS][aA][bB][lL][eE])$")]
    state: String,
}

#[utoipa::path(
    put,
    path = "/tables/{name}/state",
    tag = "tables",
    params(("name" = String, Path, description = "The table"), StateQuery),
    responses((status = 200, body = TableStateChanged), ApiErrors)
)]
pub async fn set_state(
    State(state): State<AppState>,
    Path(name): Path<String>,
    ApiQuery(query): ApiQuery<StateQuery>,
) -> ApiResult<Json<TableStateChanged>> {
    let enabled = match query.state.to_ascii_lowercase().as_str() {
        "enable" => true,
        "disable" => false,
        other => {
            return Err(ApiError::invalid(
                "state",
                format!("'{other}' is not a state; use enable or disable"),
            ));
        }
    };
    Ok(Json(tables::set_enabled(&state, &name, enabled).await?))
}

#[utoipa::path(
    post,
    path = "/schemas",
    tag = "schemas",
    request_body = TableSchema,
    responses((status = 200, body = StatusMessage), ApiErrors)
)]
pub async fn create_schema(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<StatusMessage>> {
    Ok(Json(schemas::create(&state, body).await?))
}

#[utoipa::path(
    get,
    path = "/schemas",
    tag = "schemas",
    responses((status = 200, body = Vec<String>, description = "Schema names"), ApiErrors)
)]
pub async fn list_schemas(State(state): State<AppState>) -> ApiResult<Json<Vec<String>>> {
    Ok(Json(schemas::list(&state).await?))
}

#[utoipa::path(
    get,
    path = "/schemas/{name}",
    tag = "schemas",
    params(("name" = String, Path, description = "The schema")),
    responses((status = 200, body = TableSchema), ApiErrors)
)]
pub async fn get_schema(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<TableSchema>> {
    Ok(Json(schemas::get(&state, &name).await?))
}

#[utoipa::path(
    delete,
    path = "/schemas/{name}",
    tag = "schemas",
    params(("name" = String, Path, description = "The schema")),
    responses((status = 200, body = StatusMessage, description = "Refused with 409 while a table uses it"), ApiErrors)
)]
pub async fn delete_schema(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<StatusMessage>> {
    Ok(Json(schemas::delete(&state, &name).await?))
}

pub async fn not_found() -> ApiError {
    ApiError::NotFound("no such endpoint".into())
}
