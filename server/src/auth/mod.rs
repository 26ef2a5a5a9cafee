//! Who is calling: a browser session (with CSRF protection) or an API bearer token, checked once for every request.
//!
//! The rules, in order:
//! 1. A state-changing request from another origin is refused, whoever sends it.
//! 2. `Authorization: Bearer lp_…` must name a live token (then no CSRF token is
//!    needed: a browser never attaches it by itself).
//! 3. Otherwise the session cookie must name a signed-in session, and a
//!    state-changing request must carry that session's `X-CSRF-Token`.
//! 4. Anonymous visitors get the sign-in page (pages) or a 401 (everything else).
//!
//! A few public paths (probes, the sign-in page and its assets) skip 2–4.

pub mod passwords;
pub mod session;
pub mod throttle;
pub mod tokens;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;
use uuid::Uuid;

use lakeport_app::client::encode_component;

use crate::error::ApiError;
use crate::state::AppState;
use crate::store;

pub use session::{CSRF_HEADER, SessionData};

/// The signed-in caller, put into every authenticated request's extensions.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: Uuid,
    pub username: String,
    pub via: Via,
}

#[derive(Debug, Clone)]
pub enum Via {
    /// A browser session; its CSRF token is what pages send back.
    Session {
        csrf_token: String,
    },
    Token {
        token_id: Uuid,
    },
}

/// Where the sign-in page lives; pages send anonymous visitors there.
pub const SIGN_IN_PAGE: &str = "/ui/sign-in";

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

/// The OpenAPI document and its Swagger UI, both public (see `api::docs`).
pub const OPENAPI_PATH: &str = "/openapi.json";
pub const SWAGGER_PATH: &str = "/api-docs";

/// Paths anyone may request: probes, the sign-in page and its assets, and the API description.
fn is_public(path: &str) -> bool {
    matches!(
        path,
        "/health" | "/ready" | "/favicon.svg" | SIGN_IN_PAGE | "/auth/sign-in" | OPENAPI_PATH
    ) || path.starts_with("/pkg/")
        || path.starts_with(SWAGGER_PATH)
}

/// Pages answer an anonymous visitor with the sign-in page rather than a 401.
fn is_page(path: &str) -> bool {
    path == "/" || path.starts_with("/ui/")
}

/// Signing out may come from a plain HTML form, which cannot send the CSRF
/// header; it is same-origin by rule 1, and ending a session is all it can do.
/// (Signing in is public, so it never gets this far.)
const SIGN_OUT: &str = "/auth/sign-out";

pub async fn authenticate(
    State(state): State<AppState>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    // The same rules hold under StarTree Cloud's proxy prefix.
    let controller_path = without_pinot_prefix(&path).to_owned();
    let unsafe_method = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if unsafe_method && let Err(err) = same_origin(request.headers()) {
        return err.into_response();
    }
    // Probes and assets never touch the database for a session or token, so
    // `/ready` tells the truth about the database itself.
    if is_public(&controller_path) {
        return next.run(request).await;
    }
    let principal = match identify(&state, &session, request.headers()).await {
        Ok(principal) => principal,
        Err(err) => return err.into_response(),
    };
    match principal {
        Some(principal) => {
            if unsafe_method
                && controller_path != SIGN_OUT
                && let Via::Session { csrf_token } = &principal.via
                && !session::csrf_matches(request.headers(), csrf_token)
            {
                return ApiError::Forbidden(format!(
                    "this request changes data and has no valid {CSRF_HEADER} header; pages send it \
                     for you, and scripts should use an API token (Authorization: Bearer …)"
                ))
                .into_response();
            }
            if let Via::Session { csrf_token } = &principal.via {
                request.extensions_mut().insert(lakeport_app::PageSession {
                    username: principal.username.clone(),
                    csrf_token: csrf_token.clone(),
                });
            }
            request.extensions_mut().insert(principal);
            next.run(request).await
        }
        None if is_page(&path) && !unsafe_method => {
            let wanted = request
                .uri()
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_owned();
            Redirect::to(&format!(
                "{SIGN_IN_PAGE}?next={}",
                encode_component(&wanted)
            ))
            .into_response()
        }
        None => ApiError::Unauthorized(
            "sign in first, or send an API token in the header 'Authorization: Bearer <token>' \
             (create one on the Tokens page or with `lakeport create-token`)"
                .into(),
        )
        .into_response(),
    }
}

/// The caller named by a bearer token or the session; `Err` for a token that is
/// wrong, rather than treating the script as anonymous.
async fn identify(
    state: &AppState,
    session: &Session,
    headers: &HeaderMap,
) -> Result<Option<Principal>, ApiError> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .ok_or_else(|| {
                ApiError::Unauthorized("the Authorization header must be 'Bearer <token>'".into())
            })?;
        let owner = store::tokens::authenticate(&state.pool, &tokens::digest(token))
            .await?
            .ok_or_else(|| {
                ApiError::Unauthorized("the API token is unknown or was revoked".into())
            })?;
        if let Some(expired) = owner.expires_at.filter(|t| *t <= chrono::Utc::now()) {
            return Err(ApiError::Unauthorized(format!(
                "the API token expired at {}; create a new one",
                expired.format("%Y-%m-%d %H:%M UTC")
            )));
        }
        return Ok(Some(Principal {
            user_id: owner.user_id,
            username: owner.username,
            via: Via::Token {
                token_id: owner.token_id,
            },
        }));
    }
    let Some(data) = SessionData::load(session).await? else {
        return Ok(None);
    };
    // The user may have been removed since signing in.
    let Some(username) = store::users::username(&state.pool, data.user_id).await? else {
        return Ok(None);
    };
    Ok(Some(Principal {
        user_id: data.user_id,
        username,
        via: Via::Session {
            csrf_token: data.csrf_token,
        },
    }))
}

/// Refuses a request whose `Origin` (or `Sec-Fetch-Site`) says it came from a page
/// of another origin. Clients that send neither (curl, scripts) are not browsers
/// carrying someone else's cookies, so they pass.
fn same_origin(headers: &HeaderMap) -> Result<(), ApiError> {
    let refuse = |from: &str| {
        Err(ApiError::Forbidden(format!(
            "cross-site request refused: it came from {from}, not from Lakeport's own pages"
        )))
    };
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return refuse(&format!("a {site} page"));
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().unwrap_or("null");
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let origin_host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    if host.is_empty() || origin_host != Some(host) {
        return refuse(origin);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn same_origin_requests_pass_and_others_are_refused() {
        assert!(same_origin(&headers(&[("host", "127.0.0.1:9000")])).is_ok());
        assert!(
            same_origin(&headers(&[
                ("host", "127.0.0.1:9000"),
                ("origin", "http://127.0.0.1:9000")
            ]))
            .is_ok()
        );
        // Same site (another port of the same host) is still another origin.
        assert!(
            same_origin(&headers(&[
                ("host", "127.0.0.1:9000"),
                ("origin", "http://127.0.0.1:9999")
            ]))
            .is_err()
        );
        assert!(same_origin(&headers(&[("host", "a"), ("origin", "null")])).is_err());
        assert!(
            same_origin(&headers(&[
                ("host", "127.0.0.1:9000"),
                ("sec-fetch-site", "same-site")
            ]))
            .is_err()
        );
    }
}
