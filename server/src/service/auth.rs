//! Users, sign-in and API tokens: the rules, shared by the REST API and the CLI.

use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::PgPool;
use tower_sessions::Session;
use uuid::Uuid;

use crate::auth::{Principal, SessionData, Via, passwords, tokens};
use crate::config::Config;
use crate::error::{ApiError, ApiResult};
use crate::store;

#[derive(Debug, Deserialize)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

const WRONG_CREDENTIALS: &str = "wrong username or password";
/// Where a generated first password is written (readable by the owner only).
pub const INITIAL_PASSWORD_FILE: &str = "initial-admin-password";

/// Checks the password and starts a fresh session; the answer carries the CSRF
/// token pages must send back.
pub async fn sign_in(
    pool: &PgPool,
    session: &Session,
    credentials: Credentials,
) -> ApiResult<Value> {
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
    let user = store::users::by_username(pool, username).await?;
    let stored_hash = user.as_ref().map(|u| u.password_hash.clone());
    if !passwords::verify(credentials.password, stored_hash).await? {
        return Err(ApiError::Unauthorized(WRONG_CREDENTIALS.into()));
    }
    let user = user.ok_or_else(|| ApiError::Unauthorized(WRONG_CREDENTIALS.into()))?;
    let data = SessionData::start(session, user.id).await?;
    Ok(json!({ "username": user.username, "csrfToken": data.csrf_token }))
}

pub async fn sign_out(session: &Session) -> ApiResult<Value> {
    SessionData::end(session).await?;
    Ok(json!({ "status": "signed out" }))
}

pub fn me(principal: &Principal) -> Value {
    let (auth, csrf) = match &principal.via {
        Via::Session { csrf_token } => ("session", Some(csrf_token.as_str())),
        Via::Token { .. } => ("token", None),
    };
    json!({ "username": principal.username, "auth": auth, "csrfToken": csrf })
}

pub async fn create_user(pool: &PgPool, username: &str, password: String) -> ApiResult<Uuid> {
    let username = check_username(username)?;
    passwords::check_strength(&password)?;
    let hash = passwords::hash(password).await?;
    store::users::insert(pool, username, &hash)
        .await?
        .ok_or_else(|| ApiError::Conflict(format!("user '{username}' already exists")))
}

pub async fn set_password(pool: &PgPool, username: &str, password: String) -> ApiResult<()> {
    passwords::check_strength(&password)?;
    let hash = passwords::hash(password).await?;
    if !store::users::set_password(pool, username, &hash).await? {
        return Err(ApiError::NotFound(format!("no user '{username}'")));
    }
    Ok(())
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
        Some(password) => (password.clone(), false),
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

#[derive(Debug, Deserialize)]
pub struct NewTokenRequest {
    pub name: String,
}

/// Checks the name and stores a new token for `user_id`; the secret it returns is
/// kept nowhere else.
async fn issue_token(
    pool: &PgPool,
    user_id: Uuid,
    name: &str,
) -> ApiResult<(store::tokens::TokenRow, String)> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::invalid("name", "must be 1–100 characters"));
    }
    let token = tokens::generate();
    let row = store::tokens::insert(pool, user_id, name, &token.hash, &token.prefix)
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
) -> ApiResult<Value> {
    let (row, secret) = issue_token(pool, user_id, &request.name).await?;
    let mut body = token_json(&row);
    body["token"] = json!(secret);
    Ok(body)
}

/// A token for `username`, for the CLI: the secret only.
pub async fn create_token_for(pool: &PgPool, username: &str, name: &str) -> ApiResult<String> {
    let user = store::users::by_username(pool, username)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no user '{username}'")))?;
    Ok(issue_token(pool, user.id, name).await?.1)
}

pub async fn list_tokens(pool: &PgPool, user_id: Uuid) -> ApiResult<Value> {
    let rows = store::tokens::live_for_user(pool, user_id).await?;
    Ok(json!({ "tokens": rows.iter().map(token_json).collect::<Vec<_>>() }))
}

pub async fn revoke_token(pool: &PgPool, user_id: Uuid, id: Uuid) -> ApiResult<Value> {
    if !store::tokens::revoke(pool, user_id, id).await? {
        return Err(ApiError::NotFound(format!(
            "you have no live token with id {id}"
        )));
    }
    Ok(json!({ "status": "revoked", "id": id }))
}

fn token_json(row: &store::tokens::TokenRow) -> Value {
    json!({
        "id": row.id,
        "name": row.name,
        "prefix": row.prefix,
        "createdAt": row.created_at.timestamp_millis(),
        "lastUsedAt": row.last_used_at.map(|t| t.timestamp_millis()),
    })
}
