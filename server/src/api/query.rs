//! `POST /query/sql`, plus `GET /health` and `GET /ready`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use lakeport_wire::query::{QueryAnswer, SqlRequest};
use lakeport_wire::{Readiness, StatusMessage};

use super::docs::ApiErrors;
use super::extract::ApiJson;
use crate::error::ApiResult;
use crate::state::AppState;

#[utoipa::path(
    post,
    path = "/query/sql",
    tag = "query",
    request_body = SqlRequest,
    responses((status = 200, body = QueryAnswer), ApiErrors)
)]
pub async fn sql(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<SqlRequest>,
) -> ApiResult<Json<QueryAnswer>> {
    Ok(Json(state.query.execute(&state.pool, &request.sql).await?))
}

#[utoipa::path(get, path = "/health", tag = "operations", security(()), responses((status = 200, body = StatusMessage)))]
pub async fn health() -> Json<StatusMessage> {
    Json(StatusMessage::new("OK"))
}

/// Ready means the metadata database answers: without it nothing can be served.
#[utoipa::path(
    get,
    path = "/ready",
    tag = "operations",
    security(()),
    responses(
        (status = 200, body = Readiness, description = "The metadata database answers"),
        (status = 503, body = Readiness, description = "It does not")
    )
)]
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let probe = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        sqlx::query("SELECT 1").execute(&state.pool),
    )
    .await;
    match probe {
        Ok(Ok(_)) => (StatusCode::OK, Json(readiness("READY", None))),
        // The probe is public: the database's own words (hosts, users) stay in the log.
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "readiness probe: the metadata database failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(readiness(
                    "UNAVAILABLE",
                    Some("metadata database unavailable"),
                )),
            )
        }
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(readiness(
                "UNAVAILABLE",
                Some("metadata database did not answer within 2 s"),
            )),
        ),
    }
}

fn readiness(status: &str, error: Option<&str>) -> Readiness {
    Readiness {
        status: status.into(),
        error: error.map(str::to_owned),
    }
}
