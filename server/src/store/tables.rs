//! Table rows: the stored (secret-free) config, its source, schedule and pause state.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct TableRow {
    pub name: String,
    pub raw_name: String,
    /// `OFFLINE` or `REALTIME`.
    pub table_type: String,
    pub schema_name: String,
    pub connection_id: Option<Uuid>,
    pub config: serde_json::Value,
    pub segment_types: serde_json::Value,
    pub catalog_type: String,
    pub source_uri: String,
    pub schedule: String,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub struct NewTable<'a> {
    pub name: &'a str,
    pub raw_name: &'a str,
    pub table_type: &'a str,
    pub schema_name: &'a str,
    pub connection_id: Option<Uuid>,
    pub config: &'a serde_json::Value,
    pub segment_types: &'a serde_json::Value,
    pub catalog_type: &'a str,
    pub source_uri: &'a str,
    pub schedule: &'a str,
    pub enabled: bool,
}

pub async fn insert(exec: impl PgExecutor<'_>, t: &NewTable<'_>) -> sqlx::Result<()> {
    sqlx::query!(
        r#"
        INSERT INTO tables (name, raw_name, schema_name, connection_id, config, segment_types, catalog_type, source_uri, schedule, enabled, table_type)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
        "#,
        t.name,
        t.raw_name,
        t.schema_name,
        t.connection_id,
        t.config,
        t.segment_types,
        t.catalog_type,
        t.source_uri,
        t.schedule,
        t.enabled,
        t.table_type
    )
    .execute(exec)
    .await?;
    Ok(())
}

/// Replaces the config of an existing table. Returns false if there is none.
pub async fn update(exec: impl PgExecutor<'_>, t: &NewTable<'_>) -> sqlx::Result<bool> {
    let result = sqlx::query!(
        r#"
        UPDATE tables
        SET schema_name = $2, connection_id = $3, config = $4, segment_types = $5, catalog_type = $6,
            source_uri = $7, schedule = $8, enabled = $9, updated_at = now()
        WHERE name = $1
        "#,
        t.name,
        t.schema_name,
        t.connection_id,
        t.config,
        t.segment_types,
        t.catalog_type,
        t.source_uri,
        t.schedule,
        t.enabled
    )
    .execute(exec)
    .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn get(exec: impl PgExecutor<'_>, name: &str) -> sqlx::Result<Option<TableRow>> {
    sqlx::query_as!(TableRow, "SELECT name, raw_name, table_type, schema_name, connection_id, config, segment_types, catalog_type, source_uri, schedule, enabled, created_at, updated_at FROM tables WHERE name = $1", name)
        .fetch_optional(exec)
        .await
}

/// The table a SQL query names. SQL folds unquoted names to lower case, so a
/// case-insensitive match is accepted when there is no exact one.
pub async fn for_sql_name(
    exec: impl PgExecutor<'_>,
    raw_name: &str,
) -> sqlx::Result<Option<TableRow>> {
    sqlx::query_as!(
        TableRow,
        r#"
        SELECT name, raw_name, table_type, schema_name, connection_id, config, segment_types, catalog_type, source_uri, schedule, enabled, created_at, updated_at
        FROM tables WHERE lower(raw_name) = lower($1)
        ORDER BY (raw_name = $1) DESC, raw_name LIMIT 1
        "#,
        raw_name
    )
    .fetch_optional(exec)
    .await
}

/// The table a name without a type suffix means (raw names are unique across types).
pub async fn by_raw_name(
    exec: impl PgExecutor<'_>,
    raw_name: &str,
) -> sqlx::Result<Option<TableRow>> {
    sqlx::query_as!(TableRow, "SELECT name, raw_name, table_type, schema_name, connection_id, config, segment_types, catalog_type, source_uri, schedule, enabled, created_at, updated_at FROM tables WHERE raw_name = $1", raw_name)
        .fetch_optional(exec)
        .await
}

pub async fn list(exec: impl PgExecutor<'_>) -> sqlx::Result<Vec<TableRow>> {
    sqlx::query_as!(TableRow, "SELECT name, raw_name, table_type, schema_name, connection_id, config, segment_types, catalog_type, source_uri, schedule, enabled, created_at, updated_at FROM tables ORDER BY raw_name")
        .fetch_all(exec)
        .await
}

pub async fn set_enabled(
    exec: impl PgExecutor<'_>,
    name: &str,
    enabled: bool,
    config: &serde_json::Value,
) -> sqlx::Result<bool> {
    let result = sqlx::query!(
        "UPDATE tables SET enabled = $2, config = $3, updated_at = now() WHERE name = $1",
        name,
        enabled,
        config
    )
    .execute(exec)
    .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn delete(exec: impl PgExecutor<'_>, name: &str) -> sqlx::Result<bool> {
    let result = sqlx::query!("DELETE FROM tables WHERE name = $1", name)
        .execute(exec)
        .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn using_schema(exec: impl PgExecutor<'_>, schema: &str) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        "SELECT name FROM tables WHERE schema_name = $1 ORDER BY name",
        schema
    )
    .fetch_all(exec)
    .await
}
