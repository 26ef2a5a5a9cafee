//! `POST /connections/browse` and `POST /tables/preview`.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

use super::extract::ApiJson;
use crate::catalogs;
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
    let source =
        connections::resolve(&state, &request.connection.params, "connection.params").await?;
    let catalog = catalogs::open(&source.spec, &state.config).await?;
    let items = catalog.browse(&request.path).await?;
    connections::remember(&state, &source).await?;
    Ok(Json(json!({ "items": items })))
}

pub async fn preview(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<PreviewRequest>,
) -> ApiResult<Json<preview::PreviewResponse>> {
    Ok(Json(preview::preview(&state, request).await?))
}
