//! Long operations of the AI Lake API: what was asked, what the worker carries out, how it ended.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

#[derive(Debug, Clone)]
pub struct OperationRow {
    pub id: String,
    pub kind: String,
    /// `pending`, `succeeded` or `failed`.
    pub status: String,
    pub request: serde_json::Value,
    pub request_sha256: Vec<u8>,
    pub work: serde_json::Value,
    pub result: Option<serde_json::Value>,
    pub error: Option<serde_json::Value>,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

pub struct NewOperation<'a> {
    pub id: &'a str,
    pub kind: &'a str,
    pub request: &'a serde_json::Value,
    pub request_sha256: &'a [u8],
    pub work: &'a serde_json::Value,
}

/// Records a pending operation. False when one of that id exists already (the caller
/// compares what it asked).
pub async fn insert(exec: impl PgExecutor<'_>, new: &NewOperation<'_>) -> sqlx::Result<bool> {
    let result = sqlx::query!(
        r#"
        INSERT INTO ailake_operations (id, kind, status, request, request_sha256, work)
        VALUES ($1, $2, 'pending', $3, $4, $5)
        ON CONFLICT (id) DO NOTHING
        "#,
        new.id,
        new.kind,
        new.request,
        new.request_sha256,
        new.work
    )
    .execute(exec)
    .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn get(exec: impl PgExecutor<'_>, id: &str) -> sqlx::Result<Option<OperationRow>> {
    sqlx::query_as!(
        OperationRow,
        "SELECT id, kind, status, request, request_sha256, work, result, error, attempts, created_at, finished_at FROM ailake_operations WHERE id = $1",
        id
    )
    .fetch_optional(exec)
    .await
}

/// Counts a start of the work; returns how many there have been.
pub async fn count_attempt(exec: impl PgExecutor<'_>, id: &str) -> sqlx::Result<i32> {
    sqlx::query_scalar!(
        "UPDATE ailake_operations SET attempts = attempts + 1 WHERE id = $1 RETURNING attempts",
        id
    )
    .fetch_one(exec)
    .await
}

/// Ends a pending operation; an ended one is left as it is.
pub async fn finish(
    exec: impl PgExecutor<'_>,
    id: &str,
    succeeded: bool,
    result: Option<&serde_json::Value>,
    error: Option<&serde_json::Value>,
) -> sqlx::Result<bool> {
    let status = if succeeded { "succeeded" } else { "failed" };
    let done = sqlx::query!(
        "UPDATE ailake_operations SET status = $2, result = $3, error = $4, finished_at = now() WHERE id = $1 AND status = 'pending'",
        id,
        status,
        result,
        error
    )
    .execute(exec)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Operations, newest first, a page at a time.
pub async fn recent(
    exec: impl PgExecutor<'_>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<OperationRow>> {
    sqlx::query_as!(
        OperationRow,
        "SELECT id, kind, status, request, request_sha256, work, result, error, attempts, created_at, finished_at FROM ailake_operations ORDER BY created_at DESC, id LIMIT $1 OFFSET $2",
        limit,
        offset
    )
    .fetch_all(exec)
    .await
}

pub async fn count(exec: impl PgExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM ailake_operations"#)
        .fetch_one(exec)
        .await
}
