//! Users, sign-in and API tokens: the rules, shared by the REST API and the CLI.

use chrono::{DateTime, Utc};
use lakeport_wire::StatusMessage;
use lakeport_wire::auth::{CreatedToken, Me, PasswordChanged, SignedIn, TokenInfo, TokenList};
pub use lakeport_wire::auth::{Credentials, NewTokenRequest, PasswordChange};
use lakeport_wire::connections::Removed;
use serde_json::Value;
use sqlx::PgPool;
use tower_sessions::Session;
use uuid::Uuid;

use crate::auth::throttle::SignInThrottle;
use crate::auth::{Principal, SessionData, Via, passwords, tokens};
use crate::config::Config;
use crate::error::{ApiError, ApiResult};
use crate::store;

const WRONG_CREDENTIALS: &str = "wrong username or password";
/// Where a generated first password is written (readable by the owner only).
pub const INITIAL_PASSWORD_FILE: &str = "initial-admin-password";

/// Checks the password and starts a fresh session; the answer carries the CSRF
/// token pages must send back. `client` is the caller's address, as the
/// throttle counts it: attempts are refused before any hashing once it or the
/// user name has had too many.
pub async fn sign_in(
    pool: &PgPool,
    throttle: &SignInThrottle,
    client: &str,
    session: &Session,
    credentials: Credentials,
) -> ApiResult<SignedIn> {
    let username = credentials.username.trim();
    if username.is_empty() || credentials.password.is_empty() {
        return Err(ApiError::invalid(
            if username.is_empty() {
                "username"
            } else {
                "password"
            },
            "is required",
        ));
    }
    throttle.admit(client, username)?;
    let user = store::users::by_username(pool, username).await?;
    let stored_hash = user.as_ref().map(|u| u.password_hash.clone());
    let slot = throttle.hashing_slot().await?;
    let matches = passwords::verify(credentials.password, stored_hash).await?;
    drop(slot);
    if !matches {
        throttle.failed(username);
        return Err(ApiError::Unauthorized(WRONG_CREDENTIALS.into()));
    }
    let user = user.ok_or_else(|| ApiError::Unauthorized(WRONG_CREDENTIALS.into()))?;
    let data = SessionData::start(session, user.id).await?;
    Ok(SignedIn {
        username: user.username,
        csrf_token: data.csrf_token,
    })
}

pub async fn sign_out(session: &Session) -> ApiResult<StatusMessage> {
    SessionData::end(session).await?;
    Ok(StatusMessage::new("signed out"))
}

pub fn me(principal: &Principal) -> Me {
    let (auth, csrf) = match &principal.via {
        Via::Session { csrf_token } => ("session", Some(csrf_token.clone())),
        Via::Token { .. } => ("token", None),
    };
    Me {
        username: principal.username.clone(),
        auth: auth.into(),
        csrf_token: csrf,
    }
}

pub async fn create_user(pool: &PgPool, username: &str, password: String) -> ApiResult<Uuid> {
    let username = check_username(username)?;
    passwords::check_strength(&password)?;
    let hash = passwords::hash(password).await?;
    store::users::insert(pool, username, &hash)
        .await?
        .ok_or_else(|| ApiError::Conflict(format!("user '{username}' already exists")))
}

/// What a new password ends besides the old one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ended {
    pub sessions: u64,
    pub tokens: u64,
}

/// Sets a user's password (the CLI) and ends all of its sessions and tokens: a
/// password reset is what someone does when the old one may be known.
pub async fn set_password(pool: &PgPool, username: &str, password: String) -> ApiResult<Ended> {
    passwords::check_strength(&password)?;
    let hash = passwords::hash(password).await?;
    let user = store::users::by_username(pool, username)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no user '{username}'")))?;
    replace_password(pool, user.id, &hash, None).await
}

/// The signed-in user changes its own password: the current one must match. Every
/// other session of the user ends and all its API tokens are revoked; the browser
/// session that asked stays signed in.
pub async fn change_password(
    pool: &PgPool,
    throttle: &SignInThrottle,
    client: &str,
    principal: &Principal,
    session: &Session,
    change: PasswordChange,
) -> ApiResult<PasswordChanged> {
    passwords::check_strength(&change.new_password).map_err(|_| {
        ApiError::invalid(
            "newPassword",
            format!(
                "must be at least {} characters long",
                passwords::MIN_PASSWORD_CHARS
            ),
        )
    })?;
    if change.new_password == change.current_password {
        return Err(ApiError::invalid(
            "newPassword",
            "is the same as the current password",
        ));
    }
    // Guessing the current password here is throttled like signing in.
    throttle.admit(client, &principal.username)?;
    let user = store::users::by_username(pool, &principal.username)
        .await?
        .ok_or_else(|| ApiError::Unauthorized("your user no longer exists".into()))?;
    let slot = throttle.hashing_slot().await?;
    let matches = passwords::verify(change.current_password, Some(user.password_hash)).await?;
    if !matches {
        drop(slot);
        throttle.failed(&principal.username);
        return Err(ApiError::invalid(
            "currentPassword",
            "is not your current password",
        ));
    }
    let hash = passwords::hash(change.new_password).await?;
    drop(slot);
    let keep = match principal.via {
        Via::Session { .. } => session.id().map(|id| id.to_string()),
        Via::Token { .. } => None,
    };
    let ended = replace_password(pool, user.id, &hash, keep.as_deref()).await?;
    Ok(PasswordChanged {
        status: "password changed".into(),
        ended_sessions: ended.sessions,
        revoked_tokens: ended.tokens,
    })
}

/// One transaction: the new hash, the user's sessions (but `keep`) deleted, its
/// live tokens revoked.
async fn replace_password(
    pool: &PgPool,
    user_id: Uuid,
    hash: &str,
    keep: Option<&str>,
) -> ApiResult<Ended> {
    let mut tx = pool.begin().await?;
    store::users::set_password_by_id(&mut *tx, user_id, hash).await?;
    let sessions = store::sessions::delete_for_user(&mut *tx, user_id, keep).await?;
    let tokens = store::tokens::revoke_all(&mut *tx, user_id).await?;
    tx.commit().await?;
    Ok(Ended { sessions, tokens })
}

fn check_username(username: &str) -> ApiResult<&str> {
    let username = username.trim();
    let valid = !username.is_empty()
        && username.len() <= 64
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c));
    if !valid {
        return Err(ApiError::invalid(
            "username",
            "must be 1–64 characters of letters, digits, '.', '_', '-' or '@'",
        ));
    }
    Ok(username)
}

/// Creates the first admin when there are no users: with the configured password,
/// or a generated one written to the data dir for the person who started Lakeport.
pub async fn ensure_first_admin(pool: &PgPool, config: &Config) -> anyhow::Result<()> {
    if store::users::count(pool).await? > 0 {
        return Ok(());
    }
    let auth = &config.auth;
    let (password, generated) = match &auth.admin_password {
        Some(password) => (password.expose().to_owned(), false),
        None => (tokens::random_string(18), true),
    };
    passwords::check_strength(&password).map_err(|e| anyhow::anyhow!("auth.admin_password {e}"))?;
    let hash = passwords::hash(password.clone()).await?;
    // Another replica may have won the race; then its admin stands.
    if store::users::insert(pool, &auth.admin_username, &hash)
        .await?
        .is_none()
    {
        return Ok(());
    }
    if generated {
        let path = config.data_dir.join(INITIAL_PASSWORD_FILE);
        write_private(&path, &format!("{password}\n"))?;
        tracing::warn!(
            user = %auth.admin_username,
            file = %path.display(),
            "created the first user with a generated password: sign in with the password in the file, \
             or set one with `lakeport set-password`"
        );
    } else {
        tracing::info!(user = %auth.admin_username, "created the first user from the configuration");
    }
    Ok(())
}

fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())
}

/// Longest expiry a token may be given, in days (ten years).
const MAX_TOKEN_DAYS: i64 = 3650;

/// When a new token ends, from `expiresInDays` or `expiresAt`; `None` is never.
pub fn token_expiry(
    in_days: Option<i64>,
    at: Option<&Value>,
    now: DateTime<Utc>,
) -> ApiResult<Option<DateTime<Utc>>> {
    let at = at.filter(|v| !v.is_null());
    let expires = match (in_days, at) {
        (None, None) => return Ok(None),
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "expiresAt",
                "give expiresInDays or expiresAt, not both",
            ));
        }
        (Some(days), None) => {
            if !(1..=MAX_TOKEN_DAYS).contains(&days) {
                return Err(ApiError::invalid(
                    "expiresInDays",
                    format!("must be a whole number of days from 1 to {MAX_TOKEN_DAYS}"),
                ));
            }
            now + chrono::Duration::days(days)
        }
        (None, Some(value)) => {
            let parsed = match value {
                Value::Number(n) => n.as_i64().and_then(DateTime::from_timestamp_millis),
                Value::String(s) => DateTime::parse_from_rfc3339(s)
                    .ok()
                    .map(|t| t.with_timezone(&Utc)),
                _ => None,
            };
            let at = parsed.ok_or_else(|| {
                ApiError::invalid(
                    "expiresAt",
                    "must be milliseconds since 1970 or an RFC 3339 date-time such as 2030-01-31T00:00:00Z",
                )
            })?;
            if at <= now {
                return Err(ApiError::invalid("expiresAt", "must be in the future"));
            }
            if at > now + chrono::Duration::days(MAX_TOKEN_DAYS) {
                return Err(ApiError::invalid(
                    "expiresAt",
                    format!("must be within {MAX_TOKEN_DAYS} days"),
                ));
            }
            at
        }
    };
    Ok(Some(expires))
}

/// Checks the name and stores a new token for `user_id`; the secret it returns is
/// kept nowhere else.
async fn issue_token(
    pool: &PgPool,
    user_id: Uuid,
    name: &str,
    expires_at: Option<DateTime<Utc>>,
) -> ApiResult<(store::tokens::TokenRow, String)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::invalid("name", "must be 1–100 characters"));
    }
    let token = tokens::generate();
    let row = store::tokens::insert(pool, user_id, name, &token.hash, &token.prefix, expires_at)
        .await
        .map_err(|e| match ApiError::from(e) {
            ApiError::Conflict(_) => ApiError::Conflict(format!(
                "you already have a token named '{name}'; revoke it or pick another name"
            )),
            other => other,
        })?;
    Ok((row, token.secret))
}

/// Creates a token for the caller; its secret is in this answer and nowhere else.
pub async fn create_token(
    pool: &PgPool,
    user_id: Uuid,
    request: NewTokenRequest,
) -> ApiResult<CreatedToken> {
    let expires_at = token_expiry(
        request.expires_in_days,
        request.expires_at.as_ref(),
        Utc::now(),
    )?;
    let (row, secret) = issue_token(pool, user_id, &request.name, expires_at).await?;
    Ok(CreatedToken {
        info: token_info(&row),
        token: secret,
    })
}

/// A token for `username`, for the CLI: the secret only.
pub async fn create_token_for(
    pool: &PgPool,
    username: &str,
    name: &str,
    expires_in_days: Option<i64>,
) -> ApiResult<String> {
    let user = store::users::by_username(pool, username)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no user '{username}'")))?;
    let expires_at = token_expiry(expires_in_days, None, Utc::now())?;
    Ok(issue_token(pool, user.id, name, expires_at).await?.1)
}

pub async fn list_tokens(pool: &PgPool, user_id: Uuid) -> ApiResult<TokenList> {
    let rows = store::tokens::live_for_user(pool, user_id).await?;
    Ok(TokenList {
        tokens: rows.iter().map(token_info).collect(),
    })
}

pub async fn revoke_token(pool: &PgPool, user_id: Uuid, id: Uuid) -> ApiResult<Removed> {
    if !store::tokens::revoke(pool, user_id, id).await? {
        return Err(ApiError::NotFound(format!(
            "you have no live token with id {id}"
        )));
    }
    Ok(Removed {
        status: "revoked".into(),
        id: id.to_string(),
    })
}

fn token_info(row: &store::tokens::TokenRow) -> TokenInfo {
    TokenInfo {
        id: row.id.to_string(),
        name: row.name.clone(),
        prefix: row.prefix.clone(),
        created_at: row.created_at.timestamp_millis(),
        last_used_at: row.last_used_at.map(|t| t.timestamp_millis()),
        expires_at: row.expires_at.map(|t| t.timestamp_millis()),
        expired: row.expires_at.is_some_and(|t| t <= Utc::now()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn token_expiry_takes_days_or_a_moment_in_the_future() {
        let now = DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(token_expiry(None, None, now).unwrap(), None);
        assert_eq!(
            token_expiry(Some(30), None, now).unwrap(),
            Some(now + chrono::Duration::days(30))
        );
        let at = json!("2030-02-01T00:00:00Z");
        assert_eq!(
            token_expiry(None, Some(&at), now)
                .unwrap()
                .unwrap()
                .to_rfc3339(),
            "2030-02-01T00:00:00+00:00"
        );
        let ms = json!(now.timestamp_millis() + 1000);
        assert!(token_expiry(None, Some(&ms), now).unwrap().is_some());
        for (days, at, field) in [
            (Some(0), None, "expiresInDays"),
            (Some(5000), None, "expiresInDays"),
            (None, Some(json!("2029-12-31T00:00:00Z")), "expiresAt"),
            (None, Some(json!("next week")), "expiresAt"),
            (Some(1), Some(json!(1)), "expiresAt"),
        ] {
            let err = token_expiry(days, at.as_ref(), now).unwrap_err();
            assert!(err.to_string().starts_with(field), "{err}");
        }
    }
}
