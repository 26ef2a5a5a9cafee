//! The AI Lake API's rows: object storages, database instances and pipe tables.

use sqlx::PgExecutor;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct StorageRow {
    pub id: Uuid,
    pub name: String,
    pub storage_type: String,
    pub bucket: String,
    pub region: String,
    pub endpoint: Option<String>,
    /// S3 task parameters, secrets masked.
    pub params: serde_json::Value,
    pub connection_id: Option<Uuid>,
    pub origin: String,
}

pub struct NewStorage<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub storage_type: &'a str,
    pub bucket: &'a str,
    pub region: &'a str,
    pub endpoint: Option<&'a str>,
    pub params: &'a serde_json::Value,
    pub connection_id: Option<Uuid>,
    pub origin: &'a str,
}

/// Adds a storage, or replaces the one of that name when `replace` (the config file is
/// read again at every start). Returns false when the name is taken and not replaced.
pub async fn put_storage(
    exec: impl PgExecutor<'_>,
    new: &NewStorage<'_>,
    replace: bool,
) -> sqlx::Result<bool> {
    let result = sqlx::query!(
        r#"
        INSERT INTO ailake_object_storages (id, name, storage_type, bucket, region, endpoint, params, connection_id, origin)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT (name) DO UPDATE SET storage_type = EXCLUDED.storage_type, bucket = EXCLUDED.bucket,
            region = EXCLUDED.region, endpoint = EXCLUDED.endpoint, params = EXCLUDED.params,
            connection_id = EXCLUDED.connection_id, origin = EXCLUDED.origin
        WHERE $10
        "#,
        new.id,
        new.name,
        new.storage_type,
        new.bucket,
        new.region,
        new.endpoint,
        new.params,
        new.connection_id,
        new.origin,
        replace
    )
    .execute(exec)
    .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn list_storages(
    exec: impl PgExecutor<'_>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<StorageRow>> {
    sqlx::query_as!(
        StorageRow,
        "SELECT id, name, storage_type, bucket, region, endpoint, params, connection_id, origin FROM ailake_object_storages ORDER BY name LIMIT $1 OFFSET $2",
        limit,
        offset
    )
    .fetch_all(exec)
    .await
}

pub async fn count_storages(exec: impl PgExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM ailake_object_storages"#)
        .fetch_one(exec)
        .await
}

/// A storage by its name or its id.
pub async fn find_storage(
    exec: impl PgExecutor<'_>,
    key: &str,
) -> sqlx::Result<Option<StorageRow>> {
    let id = Uuid::parse_str(key).ok();
    sqlx::query_as!(
        StorageRow,
        "SELECT id, name, storage_type, bucket, region, endpoint, params, connection_id, origin FROM ailake_object_storages WHERE name = $1 OR id = $2 ORDER BY (name = $1) DESC LIMIT 1",
        key,
        id
    )
    .fetch_optional(exec)
    .await
}

pub async fn storages_by_id(
    exec: impl PgExecutor<'_>,
    ids: &[Uuid],
) -> sqlx::Result<Vec<StorageRow>> {
    sqlx::query_as!(
        StorageRow,
        "SELECT id, name, storage_type, bucket, region, endpoint, params, connection_id, origin FROM ailake_object_storages WHERE id = ANY($1)",
        ids
    )
    .fetch_all(exec)
    .await
}

/// What still reads a storage: instances that list it, pipe tables under it.
pub async fn storage_users(exec: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        r#"
        SELECT 'instance ' || name AS "user!" FROM ailake_instances WHERE $1 = ANY(storage_ids)
        UNION ALL
        SELECT 'pipe table ' || lakeport_table FROM ailake_pipe_tables WHERE storage_id = $1
        ORDER BY 1
        "#,
        id
    )
    .fetch_all(exec)
    .await
}

pub async fn delete_storage(exec: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<bool> {
    let result = sqlx::query!("DELETE FROM ailake_object_storages WHERE id = $1", id)
        .execute(exec)
        .await?;
    Ok(result.rows_affected() == 1)
}

#[derive(Debug, Clone)]
pub struct InstanceRow {
    pub id: Uuid,
    pub name: String,
    pub storage_ids: Vec<Uuid>,
    pub data_source_id: Option<String>,
    pub data_source_name: Option<String>,
}

pub async fn insert_instance(exec: impl PgExecutor<'_>, row: &InstanceRow) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO ailake_instances (id, name, storage_ids, data_source_id, data_source_name) VALUES ($1, $2, $3, $4, $5)",
        row.id,
        row.name,
        &row.storage_ids,
        row.data_source_id,
        row.data_source_name
    )
    .execute(exec)
    .await?;
    Ok(())
}

pub async fn list_instances(
    exec: impl PgExecutor<'_>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<InstanceRow>> {
    sqlx::query_as!(
        InstanceRow,
        "SELECT id, name, storage_ids, data_source_id, data_source_name FROM ailake_instances ORDER BY name LIMIT $1 OFFSET $2",
        limit,
        offset
    )
    .fetch_all(exec)
    .await
}

pub async fn count_instances(exec: impl PgExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM ailake_instances"#)
        .fetch_one(exec)
        .await
}

/// An instance by its name (preferred) or its id.
pub async fn find_instance(
    exec: impl PgExecutor<'_>,
    key: &str,
) -> sqlx::Result<Option<InstanceRow>> {
    let id = Uuid::parse_str(key).ok();
    sqlx::query_as!(
        InstanceRow,
        "SELECT id, name, storage_ids, data_source_id, data_source_name FROM ailake_instances WHERE name = $1 OR id = $2 ORDER BY (name = $1) DESC LIMIT 1",
        key,
        id
    )
    .fetch_optional(exec)
    .await
}

pub async fn delete_instance(exec: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<bool> {
    let result = sqlx::query!("DELETE FROM ailake_instances WHERE id = $1", id)
        .execute(exec)
        .await?;
    Ok(result.rows_affected() == 1)
}

#[derive(Debug, Clone)]
pub struct PipeRow {
    pub id: Uuid,
    pub instance_id: Uuid,
    pub table_name: String,
    pub lakeport_table: String,
    pub storage_id: Uuid,
    pub path_prefix: String,
    pub definition: serde_json::Value,
}

pub async fn insert_pipe(exec: impl PgExecutor<'_>, row: &PipeRow) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO ailake_pipe_tables (id, instance_id, table_name, lakeport_table, storage_id, path_prefix, definition) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        row.id,
        row.instance_id,
        row.table_name,
        row.lakeport_table,
        row.storage_id,
        row.path_prefix,
        row.definition
    )
    .execute(exec)
    .await?;
    Ok(())
}

pub async fn list_pipes(
    exec: impl PgExecutor<'_>,
    instance_id: Uuid,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<PipeRow>> {
    sqlx::query_as!(
        PipeRow,
        "SELECT id, instance_id, table_name, lakeport_table, storage_id, path_prefix, definition FROM ailake_pipe_tables WHERE instance_id = $1 ORDER BY table_name LIMIT $2 OFFSET $3",
        instance_id,
        limit,
        offset
    )
    .fetch_all(exec)
    .await
}

pub async fn count_pipes(exec: impl PgExecutor<'_>, instance_id: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM ailake_pipe_tables WHERE instance_id = $1"#,
        instance_id
    )
    .fetch_one(exec)
    .await
}

pub async fn get_pipe(
    exec: impl PgExecutor<'_>,
    instance_id: Uuid,
    table_name: &str,
) -> sqlx::Result<Option<PipeRow>> {
    sqlx::query_as!(
        PipeRow,
        "SELECT id, instance_id, table_name, lakeport_table, storage_id, path_prefix, definition FROM ailake_pipe_tables WHERE instance_id = $1 AND table_name = $2",
        instance_id,
        table_name
    )
    .fetch_optional(exec)
    .await
}

/// The pipe behind a Lakeport table, if it is one.
pub async fn pipe_of_table(
    exec: impl PgExecutor<'_>,
    lakeport_table: &str,
) -> sqlx::Result<Option<PipeRow>> {
    sqlx::query_as!(
        PipeRow,
        "SELECT id, instance_id, table_name, lakeport_table, storage_id, path_prefix, definition FROM ailake_pipe_tables WHERE lakeport_table = $1",
        lakeport_table
    )
    .fetch_optional(exec)
    .await
}

/// The Lakeport tables behind an instance's pipes.
pub async fn instance_tables(
    exec: impl PgExecutor<'_>,
    instance_id: Uuid,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        "SELECT lakeport_table FROM ailake_pipe_tables WHERE instance_id = $1 ORDER BY table_name",
        instance_id
    )
    .fetch_all(exec)
    .await
}
