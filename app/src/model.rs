//! Data shapes shared by the server and the browser, serialised across server functions.

use serde::{Deserialize, Serialize};

/// One synced table as the UI lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableSummary {
    pub name: String,
    /// One of `IDLE`, `RUNNING`, `COMPLETED`, `FAILED`; kept as a string so a
    /// newer server with more states does not break an older cached front end.
    pub status: String,
    pub enabled: bool,
    pub catalog_type: String,
    /// Where the data comes from, e.g. `s3://bucket/prefix` or a local path.
    pub source: String,
    pub rows: i64,
    pub segments: i64,
    /// Milliseconds since the Unix epoch.
    pub last_success_ms: Option<i64>,
    /// Milliseconds since the Unix epoch.
    pub next_run_ms: Option<i64>,
    pub last_error: Option<String>,
}
