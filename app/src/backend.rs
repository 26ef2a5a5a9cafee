//! The seam through which the server feeds data to the UI's server functions.

use async_trait::async_trait;

use crate::model::TableSummary;

/// What the UI needs from the rest of Lakeport. The server implements it and
/// provides a [`SharedBackend`] as Leptos context, so this crate never depends
/// on the server's storage or scheduler types.
#[async_trait]
pub trait UiBackend: Send + Sync + 'static {
    async fn list_tables(&self) -> Result<Vec<TableSummary>, String>;
}

/// The context type server functions look up; an `Arc` so every request's
/// reactive owner can hold a cheap clone.
pub type SharedBackend = std::sync::Arc<dyn UiBackend>;
