//! What every HTTP answer gets, whatever its route: security headers, a request timeout and a body limit, in the API's JSON error shape.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::config::Config;
use crate::error::ApiError;

/// The path StarTree Cloud's data-plane proxy puts before every controller path
/// (`https://<host>/api/pinot/tables`); the API answers under it too.
pub const PINOT_PREFIX: &str = "/api/pinot";

/// The controller path a request names, with [`PINOT_PREFIX`] taken off.
pub fn without_pinot_prefix(path: &str) -> &str {
    match path.strip_prefix(PINOT_PREFIX) {
        Some(rest) if rest.starts_with('/') => rest,
        Some("") => "/",
        _ => path,
    }
}

/// A page render hands the CSP nonce of its inline scripts to [`envelope`]
/// under this header, which never leaves the server.
pub const NONCE_HEADER: HeaderName = HeaderName::from_static("x-lakeport-csp-nonce");

#[derive(Debug, Clone)]
pub struct Envelope {
    timeout: Duration,
    max_body_bytes: usize,
    hsts: bool,
}

impl Envelope {
    pub fn new(config: &Config) -> Arc<Self> {
        Arc::new(Self {
            timeout: Duration::from_secs(config.http.request_timeout_secs.max(1)),
            max_body_bytes: config.http.max_body_bytes,
            hsts: config.auth.secure_cookies,
        })
    }

    pub fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }
}

/// Refuses an over-long declared body, bounds the time to an answer, and puts
/// the security headers on whatever comes back (pages, API, assets, errors).
/// Bodies sent without a length are cut by the extractors' limit, set to the
/// same size where the router is built.
pub async fn envelope(
    State(envelope): State<Arc<Envelope>>,
    request: Request,
    next: Next,
) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let mut response = match declared {
        Some(len) if len > envelope.max_body_bytes as u64 => ApiError::PayloadTooLarge(format!(
            "the request body is {len} bytes; at most {} are accepted (http.max_body_bytes)",
            envelope.max_body_bytes
        ))
        .into_response(),
        _ => match tokio::time::timeout(envelope.timeout, next.run(request)).await {
            Ok(response) => response,
            Err(_) => ApiError::RequestTimeout(format!(
                "the request was not answered within {} s (http.request_timeout_secs)",
                envelope.timeout.as_secs()
            ))
            .into_response(),
        },
    };
    let nonce = response.headers_mut().remove(NONCE_HEADER);
    security_headers(
        response.headers_mut(),
        nonce.as_ref().and_then(|n| n.to_str().ok()),
        envelope.hsts,
    );
    response
}

/// The policy: scripts only from this origin (and a page's own inline scripts,
/// by its nonce), WebAssembly compiled from them, nothing framed or framing.
/// Inline `style` attributes are allowed: pages set widths with them.
pub fn content_security_policy(nonce: Option<&str>) -> String {
    let nonce = nonce
        .filter(|n| {
            n.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_+/=".contains(c))
        })
        .map(|n| format!(" 'nonce-{n}'"))
        .unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{nonce}; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
         object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
}

fn security_headers(headers: &mut HeaderMap, nonce: Option<&str>, hsts: bool) {
    if let Ok(csp) = HeaderValue::from_str(&content_security_policy(nonce)) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_carries_the_nonce_only_when_it_is_well_formed() {
        let with = content_security_policy(Some("abc_DEF-123"));
        assert!(with.contains("script-src 'self' 'wasm-unsafe-eval' 'nonce-abc_DEF-123';"));
        assert!(with.contains("frame-ancestors 'none'"));
        let injected = content_security_policy(Some("x'; script-src *"));
        assert!(!injected.contains("nonce"), "{injected}");
        assert!(!content_security_policy(None).contains("nonce"));
    }
}
