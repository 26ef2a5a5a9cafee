//! Lakeport's wire: every request and answer of the REST API as a Rust type, and the input rules
//! the web app checks before sending (names, field types, secrets, schedules). The server and the
//! web app both build on this crate, so neither keeps a copy of the other's shapes or rules.
//!
//! Field names and shapes follow the seeds (Pinot/StarTree's controller API) exactly; types only
//! Lakeport has use the same camelCase style.

pub mod ailake;
pub mod auth;
pub mod catalogs;
pub mod connections;
pub mod error;
pub mod exports;
pub mod preview;
pub mod query;
pub mod realtime;
pub mod rules;
pub mod schema;
pub mod table_config;
pub mod tables;

pub use error::{ErrorBody, Invalid};

/// A plain acknowledgement, `{"status": "..."}`, as Pinot answers most mutations.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusMessage {
    pub status: String,
}

impl StatusMessage {
    pub fn new(status: impl Into<String>) -> Self {
        Self {
            status: status.into(),
        }
    }
}

/// `GET /ready`: `READY`, or `UNAVAILABLE` with why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Readiness {
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}
