//! `POST /query/sql`, plus `GET /health` and `GET /ready`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::extract::ApiJson;
use crate::error::ApiResult;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct SqlRequest {
    sql: String,
}

pub async fn sql(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<SqlRequest>,
) -> ApiResult<Json<Value>> {
    Ok(Json(state.query.execute(&state.pool, &request.sql).await?))
}

pub async fn health() -> Json<Value> {
    Json(json!({ "status": "OK" }))
}

/// Ready means the metadata database answers: without it nothing can be served.
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let probe = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        sqlx::query("SELECT 1").execute(&state.pool),
    )
    .await;
    match probe {
        Ok(Ok(_)) => (StatusCode::OK, Json(json!({ "status": "READY" }))),
        // The probe is public: the database's own words (hosts, users) stay in the log.
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "readiness probe: the metadata database failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "UNAVAILABLE", "error": "metadata database unavailable" })),
            )
        }
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(
                json!({ "status": "UNAVAILABLE", "error": "metadata database did not answer within 2 s" }),
            ),
        ),
    }
}
