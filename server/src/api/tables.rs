//! Table and schema CRUD: `/tables`, `/tables/{name}`, `/tables/{name}/state`, `/schemas`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::extract::{ApiJson, ApiQuery};
use crate::error::{ApiError, ApiResult};
use crate::service::{schemas, status, tables};
use crate::state::AppState;

pub async fn create(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<Value>> {
    Ok(Json(tables::create(&state, body).await?))
}

#[derive(Deserialize)]
pub struct ListQuery {
    view: Option<String>,
}

/// The seed's list of names, or with `?view=summary` each table's state.
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<Value>> {
    match query.view.as_deref() {
        None | Some("names") => Ok(Json(tables::list(&state).await?)),
        Some("summary") => Ok(Json(json!(status::summaries(&state).await?))),
        Some(other) => Err(ApiError::invalid(
            "view",
            format!("'{other}' is not a view; use 'names' or 'summary'"),
        )),
    }
}

pub async fn get(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(tables::config(&state, &name).await?))
}

pub async fn update(
    State(state): State<AppState>,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<Value>> {
    Ok(Json(tables::update(&state, &name, body).await?))
}

pub async fn delete(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(tables::delete(&state, &name).await?))
}

#[derive(Debug, Deserialize)]
pub struct StateQuery {
    state: String,
}

pub async fn set_state(
    State(state): State<AppState>,
    Path(name): Path<String>,
    ApiQuery(query): ApiQuery<StateQuery>,
) -> ApiResult<Json<Value>> {
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

pub async fn create_schema(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<Value>> {
    Ok(Json(schemas::create(&state, body).await?))
}

pub async fn list_schemas(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    Ok(Json(json!(schemas::list(&state).await?)))
}

pub async fn get_schema(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(schemas::get(&state, &name).await?)))
}

pub async fn delete_schema(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(schemas::delete(&state, &name).await?))
}

pub async fn not_found() -> (StatusCode, Json<Value>) {
    (
        StatusCode::NOT_FOUND,
        Json(json!({ "code": 404, "error": "no such endpoint", "kind": "NOT_FOUND" })),
    )
}
