//! `POST /connections/browse` and `POST /tables/preview`.

use axum::Json;
use axum::extract::{Path, State};
use lakeport_wire::connections::{
    BrowseAnswer, BrowseRequest, ConnectionList, ConnectionValidated, Removed,
};
use lakeport_wire::preview::{PreviewRequest, PreviewResponse};

use super::docs::ApiErrors;
use super::extract::{ApiJson, uuid_id};
use crate::error::{ApiError, ApiResult};
use crate::preview;
use crate::service::connections;
use crate::state::AppState;

/// Browsing is the validation: a 200 (even with no items) proves the credentials work.
#[utoipa::path(
    post,
    path = "/connections/browse",
    tag = "connections",
    request_body = BrowseRequest,
    responses((status = 200, body = BrowseAnswer, description = "The connection works; its secrets are saved, sealed"), ApiErrors)
)]
pub async fn browse(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<BrowseRequest>,
) -> ApiResult<Json<BrowseAnswer>> {
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

#[utoipa::path(
    get,
    path = "/connections",
    tag = "connections",
    responses((status = 200, body = ConnectionList), ApiErrors)
)]
pub async fn list_connections(State(state): State<AppState>) -> ApiResult<Json<ConnectionList>> {
    Ok(Json(connections::list(&state).await?))
}

#[utoipa::path(
    post,
    path = "/connections/{id}/validate",
    tag = "connections",
    params(("id" = String, Path, description = "The connection's id (a UUID)")),
    responses((status = 200, body = ConnectionValidated), ApiErrors)
)]
pub async fn validate_connection(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<ConnectionValidated>> {
    Ok(Json(
        connections::validate(&state, uuid_id(&id, "connection")?).await?,
    ))
}

#[utoipa::path(
    delete,
    path = "/connections/{id}",
    tag = "connections",
    params(("id" = String, Path, description = "The connection's id (a UUID)")),
    responses((status = 200, body = Removed, description = "Refused with 409 while a table uses it"), ApiErrors)
)]
pub async fn delete_connection(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Removed>> {
    Ok(Json(
        connections::delete(&state, uuid_id(&id, "connection")?).await?,
    ))
}

#[utoipa::path(
    post,
    path = "/tables/preview",
    tag = "tables",
    request_body = PreviewRequest,
    responses((status = 200, body = PreviewResponse), ApiErrors)
)]
pub async fn preview(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<PreviewRequest>,
) -> ApiResult<Json<PreviewResponse>> {
    Ok(Json(preview::preview(&state.sources(), request).await?))
}
