//! The seam through which server rendering reaches the REST API in-process.

use async_trait::async_trait;

/// The REST API as a function. The server implements it over its own router and
/// provides a [`SharedBackend`] as Leptos context, so this crate never depends on
/// the server's types, and pages rendered on the server make the same calls the
/// browser makes later.
#[async_trait]
pub trait ApiBackend: Send + Sync + 'static {
    /// Answers `(status, body)`; `extensions` are the page request's, which say
    /// who is signed in.
    async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<String>,
        extensions: http::Extensions,
    ) -> (u16, String);
}

/// The context type pages look up; an `Arc` so every request's reactive owner
/// can hold a cheap clone.
pub type SharedBackend = std::sync::Arc<dyn ApiBackend>;
