//! REALTIME tables and exports: `POST /ingest/{table}`, `/tables/{t}/ingestion`, `/tables/{t}/exports`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use lakeport_wire::exports::ExportStatus;
use lakeport_wire::realtime::{IngestResult, IngestionStatus};

use super::docs::ApiErrors;
use crate::error::{ApiError, ApiResult};
use crate::service::{exports, realtime};
use crate::state::AppState;

/// The header a caller sends so that a retried request loads nothing twice.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// Pushes rows into a REALTIME table. The answer comes once they are durable; they are
/// queryable at once. A bad row is a 400 naming the row and column, and none of the
/// request's rows are kept.
#[utoipa::path(
    post,
    path = "/ingest/{name}",
    tag = "realtime",
    params(
        ("name" = String, Path, description = "The REALTIME table, e.g. events_REALTIME"),
        ("Idempotency-Key" = Option<String>, Header, description = "Any visible ASCII text up to 200 characters (a UUID is typical): the same key again is answered from the first request, and loads nothing")
    ),
    request_body(
        description = "Rows: a JSON array of objects, NDJSON (one object per line), or an Arrow IPC stream",
        content(
            (Vec<Object> = "application/json"),
            (String = "application/x-ndjson"),
            (Vec<u8> = "application/vnd.apache.arrow.stream")
        )
    ),
    responses((status = 200, body = IngestResult, description = "The rows are durable and queryable"), ApiErrors)
)]
pub async fn ingest(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<IngestResult>> {
    let text = |name: &str| -> ApiResult<Option<String>> {
        headers
            .get(name)
            .map(|v| {
                v.to_str()
                    .map(str::to_owned)
                    .map_err(|_| ApiError::invalid(name, "must be visible ASCII text"))
            })
            .transpose()
    };
    let content_type = text(header::CONTENT_TYPE.as_str())?;
    let key = text(IDEMPOTENCY_KEY)?;
    Ok(Json(
        realtime::ingest(&state, &name, content_type.as_deref(), key, body).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/tables/{name}/ingestion",
    tag = "realtime",
    params(("name" = String, Path, description = "The REALTIME table")),
    responses((status = 200, body = IngestionStatus), ApiErrors)
)]
pub async fn ingestion(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<IngestionStatus>> {
    Ok(Json(realtime::ingestion(&state, &name).await?))
}

#[utoipa::path(
    get,
    path = "/tables/{name}/exports",
    tag = "exports",
    params(("name" = String, Path, description = "A table with a DataExportTask in its config")),
    responses((status = 200, body = ExportStatus), ApiErrors)
)]
pub async fn exports(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<Json<ExportStatus>> {
    Ok(Json(exports::status(&state, &name).await?))
}
