//! The REST surface: seed paths and field names, thin handlers over the service layer.

mod auth;
mod catalog;
mod extract;
mod metrics;
mod observe;
mod query;
mod tables;

use std::collections::BTreeSet;
use std::sync::LazyLock;

use axum::Router;
use axum::routing::{MethodRouter, delete, get, post, put};

use crate::http::PINOT_PREFIX;
use crate::state::AppState;

/// The controller routes, served at the root and again under [`PINOT_PREFIX`] (StarTree
/// Cloud's data-plane proxy path), with the same handlers; sign-in checks strip the prefix.
pub fn router() -> Router<AppState> {
    let routes = routes().router;
    routes.clone().nest(PINOT_PREFIX, routes)
}

/// The router with the path of every route it has, so which paths belong to the API
/// is read off the routes themselves rather than a second list kept by hand.
#[derive(Default)]
struct Routes {
    router: Router<AppState>,
    paths: Vec<&'static str>,
}

impl Routes {
    fn route(mut self, path: &'static str, method_router: MethodRouter<AppState>) -> Self {
        self.router = self.router.route(path, method_router);
        self.paths.push(path);
        self
    }
}

fn first_segment(path: &str) -> &str {
    path.trim_start_matches('/').split('/').next().unwrap_or("")
}

/// The first path segments the API owns: those of its routes and of [`PINOT_PREFIX`].
static API_SEGMENTS: LazyLock<BTreeSet<&'static str>> = LazyLock::new(|| {
    let mut segments: BTreeSet<&'static str> =
        routes().paths.into_iter().map(first_segment).collect();
    segments.insert(first_segment(PINOT_PREFIX));
    segments
});

/// Whether `path` is the API's: an unknown one answers the API's JSON 404, not a page.
pub fn is_api_path(path: &str) -> bool {
    API_SEGMENTS.contains(first_segment(path))
}

fn routes() -> Routes {
    Routes::default()
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
        .route("/tasks/{task_type}/{name}/state", get(observe::task_states))
        .route("/periodictask/run", post(observe::periodic_run))
        .route("/query/sql", post(query::sql))
}

pub use tables::not_found;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_routed_path_is_an_api_path_and_pages_are_not() {
        let paths = routes().paths;
        assert!(paths.len() > 20, "{paths:?}");
        for path in paths {
            assert!(is_api_path(path), "{path}");
            assert!(is_api_path(&format!("{PINOT_PREFIX}{path}")), "{path}");
        }
        for segment in [
            "tables", "schemas", "tasks", "query", "auth", "api", "health",
        ] {
            assert!(is_api_path(&format!("/{segment}/nope")), "{segment}");
        }
        for page in [
            "/",
            "/ui/tables",
            "/some-ui-page",
            "/pkg/lakeport.js",
            "/favicon.svg",
        ] {
            assert!(!is_api_path(page), "{page}");
        }
    }
}
