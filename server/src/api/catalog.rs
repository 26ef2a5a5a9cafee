//! `POST /connections/browse` and `POST /tables/preview`.

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::Value;

use super::extract::{ApiJson, uuid_id};
use crate::error::{ApiError, ApiResult};
use crate::model::table_config::{TaskParams, param_text};
use crate::preview::{self, PreviewRequest};
use crate::service::connections;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrowseRequest {
    connection: ConnectionBody,
    #[serde(default)]
    path: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConnectionBody {
    #[serde(rename = "type")]
    kind: String,
    #[serde(deserialize_with = "string_params")]
    params: TaskParams,
    /// What to call the saved connection (the wizard's "Catalog Connection Name").
    #[serde(default)]
    name: Option<String>,
}

fn string_params<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<TaskParams, D::Error> {
    let raw: std::collections::BTreeMap<String, Value> =
        serde::Deserialize::deserialize(deserializer)?;
    raw.into_iter()
        .map(|(k, v)| {
            param_text(&k, v)
                .map(|text| (k, text))
                .map_err(serde::de::Error::custom)
        })
        .collect()
}

/// Browsing is the validation: a 200 (even with no items) proves the credentials work.
pub async fn browse(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<BrowseRequest>,
) -> ApiResult<Json<Value>> {
    if request.connection.kind != "CATALOG" {
        return Err(ApiError::invalid(
            "connection.type",
            format!(
                "'{}' is not supported; use \"CATALOG\"",
                request.connection.kind
            ),
        ));
    }
    Ok(Json(
        connections::browse(
            &state,
            &request.connection.params,
            &request.path,
            request.connection.name.as_deref(),
        )
        .await?,
    ))
}

pub async fn list_connections(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    Ok(Json(connections::list(&state).await?))
}

pub async fn validate_connection(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        connections::validate(&state, uuid_id(&id, "connection")?).await?,
    ))
}

pub async fn delete_connection(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(
        connections::delete(&state, uuid_id(&id, "connection")?).await?,
    ))
}

pub async fn preview(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<PreviewRequest>,
) -> ApiResult<Json<preview::PreviewResponse>> {
    Ok(Json(preview::preview(&state.sources(), request).await?))
}
