//! Schema rows, stored as the JSON the user posted.

use sqlx::PgExecutor;

/// Inserts or replaces a schema; true when it was new.
pub async fn upsert(
    exec: impl PgExecutor<'_>,
    name: &str,
    body: &serde_json::Value,
) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"
        INSERT INTO schemas (name, body) VALUES ($1, $2)
        ON CONFLICT (name) DO UPDATE SET body = EXCLUDED.body, updated_at = now()
        RETURNING (xmax = 0) AS "inserted!"
        "#,
        name,
        body
    )
    .fetch_one(exec)
    .await
}

pub async fn get(exec: impl PgExecutor<'_>, name: &str) -> sqlx::Result<Option<serde_json::Value>> {
    sqlx::query_scalar!("SELECT body FROM schemas WHERE name = $1", name)
        .fetch_optional(exec)
        .await
}

pub async fn exists(exec: impl PgExecutor<'_>, name: &str) -> sqlx::Result<bool> {
    let found = sqlx::query_scalar!("SELECT 1 AS \"one!\" FROM schemas WHERE name = $1", name)
        .fetch_optional(exec)
        .await?;
    Ok(found.is_some())
}

pub async fn names(exec: impl PgExecutor<'_>) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!("SELECT name FROM schemas ORDER BY name")
        .fetch_all(exec)
        .await
}

pub async fn delete(exec: impl PgExecutor<'_>, name: &str) -> sqlx::Result<bool> {
    let result = sqlx::query!("DELETE FROM schemas WHERE name = $1", name)
        .execute(exec)
        .await?;
    Ok(result.rows_affected() == 1)
}
