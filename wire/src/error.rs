//! The error shape every API answer of 4xx/5xx has, and the input error the rules return.

use serde::{Deserialize, Serialize};

/// The body of every error answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// The HTTP status, repeated for clients that only see the body.
    pub code: u16,
    /// What is wrong, in words; for a bad input it starts with the field's path.
    pub error: String,
    /// A stable name of the failure, e.g. `INVALID_FIELD`, `NOT_FOUND`, `CONFLICT`.
    pub kind: String,
    /// The request field that is wrong, as a JSON path (`tableConfig.segmentsConfig.schemaName`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// With 429: when to try again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
}

/// An input that breaks a rule: which field, and why. The server answers it as a 400.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    pub field: String,
    pub message: String,
}

impl Invalid {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for Invalid {}
