//! API tokens: looked up by hash on every scripted request; revoked, never deleted.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct TokenRow {
    pub id: Uuid,
    pub name: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// The unrevoked token with this hash and its owner's id and name.
pub struct TokenOwner {
    pub token_id: Uuid,
    pub user_id: Uuid,
    pub username: String,
    /// Past this, the token no longer signs anyone in.
    pub expires_at: Option<DateTime<Utc>>,
}

pub async fn insert(
    exec: impl PgExecutor<'_>,
    user_id: Uuid,
    name: &str,
    hash: &[u8],
    prefix: &str,
    expires_at: Option<DateTime<Utc>>,
) -> sqlx::Result<TokenRow> {
    sqlx::query_as!(
        TokenRow,
        r#"
        INSERT INTO api_tokens (id, user_id, name, token_hash, prefix, expires_at) VALUES ($1, $2, $3, $4, $5, $6)
        RETURNING id, name, prefix, created_at, last_used_at, expires_at
        "#,
        Uuid::new_v4(),
        user_id,
        name,
        hash,
        prefix,
        expires_at
    )
    .fetch_one(exec)
    .await
}

pub async fn live_for_user(
    exec: impl PgExecutor<'_>,
    user_id: Uuid,
) -> sqlx::Result<Vec<TokenRow>> {
    sqlx::query_as!(
        TokenRow,
        r#"
        SELECT id, name, prefix, created_at, last_used_at, expires_at FROM api_tokens
        WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at, name
        "#,
        user_id
    )
    .fetch_all(exec)
    .await
}

/// Finds the owner of an unrevoked token and notes its use if it has not expired
/// (the caller refuses an expired one, saying so); `last_used_at` is written at
/// most once a minute so busy scripts do not turn every read into a write.
pub async fn authenticate(
    exec: impl PgExecutor<'_>,
    hash: &[u8],
) -> sqlx::Result<Option<TokenOwner>> {
    sqlx::query_as!(
        TokenOwner,
        r#"
        WITH found AS (
            SELECT t.id, t.user_id, u.username, t.last_used_at, t.expires_at FROM api_tokens t JOIN users u ON u.id = t.user_id
            WHERE t.token_hash = $1 AND t.revoked_at IS NULL
        ), touched AS (
            UPDATE api_tokens SET last_used_at = now()
            WHERE id = (SELECT id FROM found)
              AND (expires_at IS NULL OR expires_at > now())
              AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
        )
        SELECT id AS "token_id!", user_id AS "user_id!", username AS "username!", expires_at FROM found
        "#,
        hash
    )
    .fetch_optional(exec)
    .await
}

/// Revokes one of the user's live tokens; false when there is none with that id.
pub async fn revoke(exec: impl PgExecutor<'_>, user_id: Uuid, id: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
        id,
        user_id
    )
    .execute(exec)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Revokes all of a user's live tokens (its password changed); how many there were.
pub async fn revoke_all(exec: impl PgExecutor<'_>, user_id: Uuid) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
        user_id
    )
    .execute(exec)
    .await?;
    Ok(done.rows_affected())
}
