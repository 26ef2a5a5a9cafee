//! Saved connections: non-secret parameters in clear, secrets sealed with AES-GCM.

use sqlx::PgExecutor;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct ConnectionRow {
    pub id: Uuid,
    pub name: String,
    pub catalog_type: String,
    pub identity: String,
    pub params: serde_json::Value,
    pub secrets: Vec<u8>,
}

/// A connection to save; `secrets` are sealed for `id`.
pub struct NewConnection<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub rename: bool,
    pub catalog_type: &'a str,
    pub identity: &'a str,
    pub params: &'a serde_json::Value,
    pub secrets: &'a [u8],
}

/// Saves a connection under its identity (as `id` when it is new), replacing the sealed secrets of an earlier
/// save (a rotated secret for the same key). An earlier save keeps its parameters
/// (e.g. the prefix browsing started at) and its name, unless `rename` says the
/// caller chose this one. Returns the connection's id.
pub async fn upsert(exec: impl PgExecutor<'_>, new: &NewConnection<'_>) -> sqlx::Result<Uuid> {
    sqlx::query_scalar!(
        r#"
        INSERT INTO connections (id, name, catalog_type, identity, params, secrets) VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (identity) DO UPDATE SET secrets = EXCLUDED.secrets,
            name = CASE WHEN $7 THEN EXCLUDED.name ELSE connections.name END, updated_at = now()
        RETURNING id
        "#,
        new.id,
        new.name,
        new.catalog_type,
        new.identity,
        new.params,
        new.secrets,
        new.rename
    )
    .fetch_one(exec)
    .await
}

/// Replaces a connection's sealed secrets.
pub async fn set_secrets(exec: impl PgExecutor<'_>, id: Uuid, secrets: &[u8]) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE connections SET secrets = $2, updated_at = now() WHERE id = $1",
        id,
        secrets
    )
    .execute(exec)
    .await?;
    Ok(())
}

pub async fn by_identity(
    exec: impl PgExecutor<'_>,
    identity: &str,
) -> sqlx::Result<Option<ConnectionRow>> {
    sqlx::query_as!(
        ConnectionRow,
        "SELECT id, name, catalog_type, identity, params, secrets FROM connections WHERE identity = $1",
        identity
    )
    .fetch_optional(exec)
    .await
}

pub async fn by_id(exec: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<ConnectionRow>> {
    sqlx::query_as!(
        ConnectionRow,
        "SELECT id, name, catalog_type, identity, params, secrets FROM connections WHERE id = $1",
        id
    )
    .fetch_optional(exec)
    .await
}

pub async fn name_taken(exec: impl PgExecutor<'_>, name: &str) -> sqlx::Result<bool> {
    let found = sqlx::query_scalar!(
        "SELECT 1 AS \"one!\" FROM connections WHERE name = $1",
        name
    )
    .fetch_optional(exec)
    .await?;
    Ok(found.is_some())
}

/// A saved connection as listed, with the tables created from it.
#[derive(Debug, Clone)]
pub struct ConnectionUse {
    pub id: Uuid,
    pub name: String,
    pub catalog_type: String,
    pub params: serde_json::Value,
    pub secrets: Vec<u8>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    pub tables: Vec<String>,
}

pub async fn list_with_tables(exec: impl PgExecutor<'_>) -> sqlx::Result<Vec<ConnectionUse>> {
    sqlx::query_as!(
        ConnectionUse,
        r#"
        SELECT c.id, c.name, c.catalog_type, c.params, c.secrets, c.created_at, c.updated_at,
               COALESCE(array_agg(t.raw_name ORDER BY t.raw_name) FILTER (WHERE t.name IS NOT NULL), '{}') AS "tables!"
        FROM connections c LEFT JOIN tables t ON t.connection_id = c.id
        GROUP BY c.id ORDER BY c.name
        "#
    )
    .fetch_all(exec)
    .await
}

/// The tables created from a connection.
pub async fn tables_using(exec: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        "SELECT raw_name FROM tables WHERE connection_id = $1 ORDER BY raw_name",
        id
    )
    .fetch_all(exec)
    .await
}

/// Deletes a connection; the tables' foreign key refuses it while one uses it.
pub async fn delete(exec: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query!("DELETE FROM connections WHERE id = $1", id)
        .execute(exec)
        .await?;
    Ok(done.rows_affected() == 1)
}
