//! The REST surface: seed paths and field names, thin handlers over the service layer.

mod ailake;
mod auth;
mod catalog;
pub mod docs;
mod extract;
mod metrics;
mod observe;
mod query;
mod realtime;
mod tables;

use std::collections::BTreeSet;
use std::sync::LazyLock;

use axum::Router;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::PINOT_PREFIX;
use crate::state::AppState;

/// The controller routes and their OpenAPI document. The routes are served at the root and
/// again under [`PINOT_PREFIX`] (StarTree Cloud's data-plane path) with the same handlers;
/// the document lists them once, with the prefix as a second server.
pub fn router() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (routes, mut document) = routes().split_for_parts();
    document.servers = Some(vec![
        utoipa::openapi::Server::new("/"),
        utoipa::openapi::Server::new(PINOT_PREFIX),
    ]);
    (routes.clone().nest(PINOT_PREFIX, routes), document)
}

fn first_segment(path: &str) -> &str {
    path.trim_start_matches('/').split('/').next().unwrap_or("")
}

/// The first path segments the API owns: those of its documented routes and of
/// [`PINOT_PREFIX`], read off the routes rather than a second list kept by hand.
static API_SEGMENTS: LazyLock<BTreeSet<String>> = LazyLock::new(|| {
    let (_, document) = routes().split_for_parts();
    let mut segments: BTreeSet<String> = document
        .paths
        .paths
        .keys()
        .map(|p| first_segment(p).to_owned())
        .collect();
    segments.insert(first_segment(PINOT_PREFIX).to_owned());
    segments
});

/// Whether `path` is the API's: an unknown one answers the API's JSON 404, not a page.
pub fn is_api_path(path: &str) -> bool {
    API_SEGMENTS.contains(first_segment(path))
}

/// Every REST route with its description: the router and the document are built from the
/// same `routes!` list, so they cannot disagree.
fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(docs::ApiDoc::openapi())
        .routes(routes!(query::health))
        .routes(routes!(query::ready))
        .routes(routes!(metrics::metrics))
        .routes(routes!(auth::sign_in))
        .routes(routes!(auth::sign_out))
        .routes(routes!(auth::me))
        .routes(routes!(auth::change_password))
        .routes(routes!(auth::list_tokens, auth::create_token))
        .routes(routes!(auth::revoke_token))
        .routes(routes!(catalog::list_connections))
        .routes(routes!(catalog::browse))
        .routes(routes!(catalog::delete_connection))
        .routes(routes!(catalog::validate_connection))
        .routes(routes!(catalog::preview))
        .routes(routes!(tables::create_schema, tables::list_schemas))
        .routes(routes!(tables::get_schema, tables::delete_schema))
        .routes(routes!(tables::create, tables::list))
        .routes(routes!(tables::get, tables::update, tables::delete))
        .routes(routes!(tables::set_state))
        .routes(routes!(observe::external_status))
        .routes(routes!(observe::ledger))
        .routes(routes!(observe::iceberg_status))
        .routes(routes!(observe::checkpoint))
        .routes(routes!(observe::file_count))
        .routes(routes!(observe::segments))
        .routes(routes!(observe::schedule))
        .routes(routes!(observe::explain_schedule))
        .routes(routes!(observe::task_states))
        .routes(routes!(observe::task_state))
        .routes(routes!(observe::periodic_run))
        .routes(routes!(query::sql))
        .routes(routes!(realtime::ingest))
        .routes(routes!(realtime::ingestion))
        .routes(routes!(realtime::exports))
        .routes(routes!(ailake::list_storages, ailake::register_storage))
        .routes(routes!(ailake::remove_storage))
        .routes(routes!(ailake::list_instances, ailake::provision))
        .routes(routes!(ailake::get_instance, ailake::deprovision))
        .routes(routes!(ailake::list_pipes, ailake::create_pipe))
        .routes(routes!(ailake::get_pipe, ailake::delete_pipe))
        .routes(routes!(ailake::list_operations))
        .routes(routes!(ailake::get_operation))
}

pub use tables::not_found;

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// The web app's own paths, which are pages, not API operations.
    fn is_page_path(path: &str) -> bool {
        path == "/" || path.starts_with("/ui") || path.starts_with("/pkg")
    }

    /// A route added with axum's `.route` beside the `routes!` list would be served but
    /// missing from the document: only the web app's pages may be routed that way.
    #[test]
    fn every_routed_path_is_documented() {
        let (_, document) = super::routes().split_for_parts();
        let documented: Vec<&String> = document.paths.paths.keys().collect();
        let mut files = Vec::new();
        rust_files(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        let mut undocumented = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for (number, line) in text.lines().enumerate() {
                let Some(at) = line.find(".route(\"") else {
                    continue;
                };
                let literal = &line[at + 8..];
                let path = &literal[..literal.find('"').unwrap_or(literal.len())];
                if !is_page_path(path) && !documented.iter().any(|d| d.as_str() == path) {
                    undocumented.push(format!("{}:{}: {path}", file.display(), number + 1));
                }
            }
        }
        assert!(
            undocumented.is_empty(),
            "routed but not in the OpenAPI document: {undocumented:#?}"
        );
        assert!(
            documented.len() >= 25,
            "the document has only {} paths",
            documented.len()
        );
    }

    #[test]
    fn every_routed_path_is_an_api_path_and_pages_are_not() {
        let (_, document) = routes().split_for_parts();
        let paths: Vec<&String> = document.paths.paths.keys().collect();
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
