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

/// Saves a connection under its identity, replacing the sealed secrets of an earlier
/// save (a rotated secret for the same key). Returns the connection's id.
pub async fn upsert(
    exec: impl PgExecutor<'_>,
    name: &str,
    catalog_type: &str,
    identity: &str,
    params: &serde_json::Value,
    secrets: &[u8],
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar!(
        r#"
        INSERT INTO connections (id, name, catalog_type, identity, params, secrets) VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (identity) DO UPDATE SET secrets = EXCLUDED.secrets, params = EXCLUDED.params, updated_at = now()
        RETURNING id
        "#,
        Uuid::new_v4(),
        name,
        catalog_type,
        identity,
        params,
        secrets
    )
    .fetch_one(exec)
    .await
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
