//! The one error type every API call answers with, the catalog errors it wraps, and the one place
//! sqlx errors are translated. A leaf: it imports nothing from the crate.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lakeport_wire::ErrorBody;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A request field is missing or wrong; `field` says where.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("{0}")]
    BadRequest(String),
    /// No valid session or API token.
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in, but this request may not be made (cross-site, or no CSRF token).
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    /// A body in a format the endpoint does not read; the message lists the ones it does.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The request took longer than `http.request_timeout_secs`.
    #[error("{0}")]
    RequestTimeout(String),
    /// Too many attempts (e.g. sign-ins) for now; the answer says when to try again.
    #[error("{message}")]
    TooManyRequests {
        message: String,
        retry_after_secs: u64,
    },
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    /// SQL that cannot run: a parse error, an unknown table, or a statement that would write.
    #[error("{0}")]
    Query(String),
    #[error("{0}")]
    QueryTimeout(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error: {0:#}")]
    Internal(anyhow::Error),
}

impl ApiError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn internal(err: impl Into<anyhow::Error>) -> Self {
        Self::Internal(err.into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Invalid { .. } | Self::BadRequest(_) | Self::Query(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Catalog(err) => err.status(),
            Self::QueryTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The answer's body: the status, the message, and the field or wait it names.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            code: self.status().as_u16(),
            error: self.to_string(),
            kind: self.kind().to_owned(),
            field: match self {
                Self::Invalid { field, .. } => Some(field.clone()),
                _ => None,
            },
            retry_after_secs: match self {
                Self::TooManyRequests {
                    retry_after_secs, ..
                } => Some((*retry_after_secs).max(1)),
                _ => None,
            },
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Self::Invalid { .. } => "INVALID_FIELD",
            Self::BadRequest(_) => "BAD_REQUEST",
            Self::Unauthorized(_) => "UNAUTHORIZED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::Conflict(_) => "CONFLICT",
            Self::PayloadTooLarge(_) => "PAYLOAD_TOO_LARGE",
            Self::UnsupportedMediaType(_) => "UNSUPPORTED_MEDIA_TYPE",
            Self::RequestTimeout(_) => "REQUEST_TIMEOUT",
            Self::TooManyRequests { .. } => "TOO_MANY_REQUESTS",
            Self::Catalog(err) => err.kind(),
            Self::Query(_) => "QUERY_ERROR",
            Self::QueryTimeout(_) => "QUERY_TIMEOUT",
            Self::Unavailable(_) => "UNAVAILABLE",
            Self::Internal(_) => "INTERNAL",
        }
    }
}

/// A broken input rule of the wire crate is a 400 on its field.
impl From<lakeport_wire::Invalid> for ApiError {
    fn from(invalid: lakeport_wire::Invalid) -> Self {
        Self::Invalid {
            field: invalid.field,
            message: invalid.message,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let body = self.body();
        let retry_after = body.retry_after_secs;
        let mut response = (status, axum::Json(body)).into_response();
        if let Some(secs) = retry_after {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(secs),
            );
        }
        if status == StatusCode::UNAUTHORIZED {
            // RFC 9110: a 401 names the scheme that would work.
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"lakeport\""),
            );
        }
        response
    }
}

/// The single translation of database errors: constraint violations become the
/// client's conflict, a lost connection becomes 503, the rest are ours.
impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::RowNotFound => Self::NotFound("not found".into()),
            sqlx::Error::Database(db) if db.is_unique_violation() => Self::Conflict(format!(
                "already exists ({})",
                db.constraint().unwrap_or("unique key")
            )),
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => Self::Conflict(format!(
                "still referenced ({})",
                db.constraint().unwrap_or("foreign key")
            )),
            // Postgres text cannot hold a NUL character: the input is at fault, not the server.
            sqlx::Error::Database(db) if db.code().as_deref() == Some("22021") => Self::BadRequest(
                "text with a NUL character (\\u0000) cannot be stored or looked up; remove it"
                    .into(),
            ),
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
                Self::Unavailable(format!("metadata database unavailable: {err}"))
            }
            _ => Self::Internal(err.into()),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Why a catalog call failed, and whether trying again may help.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CatalogError {
    #[error("{0}")]
    InvalidConfig(String),
    #[error("{0}")]
    AccessDenied(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Unreachable(String),
    /// The source answered, but with something we cannot use (e.g. a corrupt Parquet file).
    #[error("{0}")]
    BadData(String),
    #[error("{0}")]
    Transient(String),
    /// The outbound request policy forbids the host (see `outbound`).
    #[error("{0}")]
    OutboundRefused(String),
}

impl CatalogError {
    pub fn retryable(&self) -> bool {
        matches!(self, Self::Unreachable(_) | Self::Transient(_))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::InvalidConfig(_)
            | Self::AccessDenied(_)
            | Self::Unreachable(_)
            | Self::BadData(_) => StatusCode::BAD_REQUEST,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Transient(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::OutboundRefused(_) => StatusCode::FORBIDDEN,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Self::InvalidConfig(_) => "CATALOG_INVALID_CONFIG",
            Self::AccessDenied(_) => "CATALOG_ACCESS_DENIED",
            Self::NotFound(_) => "CATALOG_NOT_FOUND",
            Self::Unreachable(_) => "CATALOG_UNREACHABLE",
            Self::BadData(_) => "CATALOG_BAD_DATA",
            Self::Transient(_) => "CATALOG_TRANSIENT",
            Self::OutboundRefused(_) => "OUTBOUND_REFUSED",
        }
    }
}
