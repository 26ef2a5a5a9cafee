//! What a browser session holds (the user and a CSRF token) and the cookie that carries it.

use tower_sessions::cookie::SameSite;
use tower_sessions::cookie::time::Duration;
use tower_sessions::{Expiry, Session, SessionManagerLayer};
use uuid::Uuid;

use crate::config::AuthConfig;
use crate::error::{ApiError, ApiResult};
use crate::store::sessions::PgSessionStore;

/// The header pages send on state-changing requests.
pub const CSRF_HEADER: &str = "x-csrf-token";

const USER_KEY: &str = "user_id";
const CSRF_KEY: &str = "csrf_token";

#[derive(Debug, Clone)]
pub struct SessionData {
    pub user_id: Uuid,
    pub csrf_token: String,
}

impl SessionData {
    pub async fn load(session: &Session) -> ApiResult<Option<Self>> {
        let user_id: Option<Uuid> = session.get(USER_KEY).await.map_err(session_error)?;
        let csrf: Option<String> = session.get(CSRF_KEY).await.map_err(session_error)?;
        Ok(user_id.zip(csrf).map(|(user_id, csrf_token)| Self {
            user_id,
            csrf_token,
        }))
    }

    /// Signs `user_id` in: a new session id (so an id planted before sign-in is
    /// worthless) and a new CSRF token.
    pub async fn start(session: &Session, user_id: Uuid) -> ApiResult<Self> {
        session.cycle_id().await.map_err(session_error)?;
        let csrf_token = super::tokens::random_string(32);
        session
            .insert(USER_KEY, user_id)
            .await
            .map_err(session_error)?;
        session
            .insert(CSRF_KEY, &csrf_token)
            .await
            .map_err(session_error)?;
        Ok(Self {
            user_id,
            csrf_token,
        })
    }

    /// Deletes the session from the store and expires the cookie.
    pub async fn end(session: &Session) -> ApiResult<()> {
        session.flush().await.map_err(session_error)
    }
}

pub fn csrf_matches(headers: &axum::http::HeaderMap, expected: &str) -> bool {
    headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|sent| constant_time_eq(sent.as_bytes(), expected.as_bytes()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn session_error(err: tower_sessions::session::Error) -> ApiError {
    ApiError::internal(anyhow::anyhow!("session store: {err}"))
}

/// The cookie name: `__Host-` makes browsers insist on Secure, Path=/ and no
/// Domain, so no other host or path can plant or read it.
pub fn cookie_name(config: &AuthConfig) -> &'static str {
    if config.secure_cookies {
        "__Host-lakeport-session"
    } else {
        "lakeport-session"
    }
}

pub fn layer(pool: sqlx::PgPool, config: &AuthConfig) -> SessionManagerLayer<PgSessionStore> {
    SessionManagerLayer::new(PgSessionStore::new(pool))
        .with_name(cookie_name(config))
        .with_secure(config.secure_cookies)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(Duration::minutes(
            config.session_idle_minutes as i64,
        )))
}

/// Deletes expired sessions every ten minutes, for as long as the server runs.
pub async fn sweep_expired(pool: sqlx::PgPool) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        every.tick().await;
        if let Err(err) = crate::store::sessions::delete_expired(&pool).await {
            tracing::warn!(error = %err, "could not delete expired sessions");
        }
    }
}
