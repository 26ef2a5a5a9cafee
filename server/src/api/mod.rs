//! The REST surface: seed paths and field names, thin handlers over the service layer.

mod auth;
mod catalog;
mod extract;
mod metrics;
mod observe;
mod query;
mod tables;

use axum::Router;
use axum::routing::{delete, get, post, put};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(query::health))
        .route("/ready", get(query::ready))
        .route("/metrics", get(metrics::metrics))
        .route("/auth/sign-in", post(auth::sign_in))
        .route("/auth/sign-out", post(auth::sign_out))
        .route("/auth/me", get(auth::me))
        .route("/auth/password", post(auth::change_password))
        .route(
            "/auth/tokens",
            get(auth::list_tokens).post(auth::create_token),
        )
        .route("/auth/tokens/{id}", delete(auth::revoke_token))
        .route("/connections", get(catalog::list_connections))
        .route("/connections/browse", post(catalog::browse))
        .route("/connections/{id}", delete(catalog::delete_connection))
        .route(
            "/connections/{id}/validate",
            post(catalog::validate_connection),
        )
        .route("/tables/preview", post(catalog::preview))
        .route(
            "/schemas",
            post(tables::create_schema).get(tables::list_schemas),
        )
        .route(
            "/schemas/{name}",
            get(tables::get_schema).delete(tables::delete_schema),
        )
        .route("/tables", post(tables::create).get(tables::list))
        .route(
            "/tables/{name}",
            get(tables::get).put(tables::update).delete(tables::delete),
        )
        .route("/tables/{name}/state", put(tables::set_state))
        .route(
            "/tables/{name}/externalTable/status",
            get(observe::external_status),
        )
        .route("/tables/{name}/externalTable/files", get(observe::ledger))
        .route(
            "/tables/{name}/iceberg/status",
            get(observe::iceberg_status),
        )
        .route(
            "/tables/{name}/iceberg/checkpoint",
            get(observe::checkpoint),
        )
        .route("/tables/{name}/iceberg/files", get(observe::file_count))
        .route("/segments/{name}", get(observe::segments))
        .route("/tasks/schedule", post(observe::schedule))
        .route("/schedules/explain", get(observe::explain_schedule))
        .route(
            "/tasks/{task_type}/{name}/taskstates",
            get(observe::task_states),
        )
        .route("/periodictask/run", post(observe::periodic_run))
        .route("/query/sql", post(query::sql))
}

pub use tables::not_found;
