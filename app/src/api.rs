//! Server functions: called over HTTP from the browser, and directly during server rendering.

use leptos::prelude::*;

use crate::model::TableSummary;

/// Lists every table. The endpoint is fixed (`/api/list_tables`) rather than
/// hashed so the server build and the WASM build can never disagree on it and
/// so it is easy to spot in logs.
#[server(endpoint = "list_tables")]
pub async fn list_tables() -> Result<Vec<TableSummary>, ServerFnError> {
    let backend = use_context::<crate::backend::SharedBackend>().ok_or_else(|| {
        ServerFnError::new(
            "the UI backend is not configured: the server must provide a SharedBackend context",
        )
    })?;
    backend.list_tables().await.map_err(ServerFnError::new)
}
