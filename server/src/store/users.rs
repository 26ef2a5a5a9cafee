//! People who sign in: username and Argon2id hash.
//!
//! `insert` answers `None` when the username is taken, so callers choose between
//! a conflict error and "someone else created it first".

use sqlx::PgExecutor;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: Uuid,
    pub username: String,
    pub password_hash: String,
}

pub async fn insert(
    exec: impl PgExecutor<'_>,
    username: &str,
    password_hash: &str,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!(
        "INSERT INTO users (id, username, password_hash) VALUES ($1, $2, $3) ON CONFLICT (username) DO NOTHING RETURNING id",
        Uuid::new_v4(),
        username,
        password_hash
    )
    .fetch_optional(exec)
    .await
}

pub async fn set_password_by_id(
    exec: impl PgExecutor<'_>,
    id: Uuid,
    password_hash: &str,
) -> sqlx::Result<bool> {
    let updated = sqlx::query!(
        "UPDATE users SET password_hash = $2 WHERE id = $1",
        id,
        password_hash
    )
    .execute(exec)
    .await?;
    Ok(updated.rows_affected() == 1)
}

pub async fn by_username(
    exec: impl PgExecutor<'_>,
    username: &str,
) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as!(
        UserRow,
        "SELECT id, username, password_hash FROM users WHERE username = $1",
        username
    )
    .fetch_optional(exec)
    .await
}

pub async fn username(exec: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!("SELECT username FROM users WHERE id = $1", id)
        .fetch_optional(exec)
        .await
}

pub async fn count(exec: impl PgExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM users"#)
        .fetch_one(exec)
        .await
}
