//! REALTIME chunks: the rows each accepted ingest request added, consuming until a seal names
//! the completed segment that took them.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

pub struct NewChunk<'a> {
    pub table: &'a str,
    pub location: &'a str,
    pub row_count: i64,
    pub size_bytes: i64,
    pub min_time_ms: Option<i64>,
    pub max_time_ms: Option<i64>,
    pub idempotency_key: Option<&'a str>,
    pub body_sha256: Option<&'a [u8]>,
    pub worker: &'a str,
}

#[derive(Debug, Clone)]
pub struct Chunk {
    pub id: i64,
    pub location: Option<String>,
    pub row_count: i64,
    pub created_at: DateTime<Utc>,
}

/// What an earlier request with the same idempotency key did.
#[derive(Debug, Clone)]
pub struct KeyedChunk {
    pub id: i64,
    pub row_count: i64,
    pub body_sha256: Option<Vec<u8>>,
}

/// Records a chunk. `None` when a chunk with the same idempotency key is already there (a
/// concurrent retry won the race): the caller answers from that one instead.
pub async fn insert(exec: impl PgExecutor<'_>, c: &NewChunk<'_>) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!(
        r#"
        INSERT INTO realtime_chunks (table_name, location, row_count, size_bytes, min_time_ms, max_time_ms, idempotency_key, body_sha256, worker)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT (table_name, idempotency_key) DO NOTHING
        RETURNING id
        "#,
        c.table,
        c.location,
        c.row_count,
        c.size_bytes,
        c.min_time_ms,
        c.max_time_ms,
        c.idempotency_key,
        c.body_sha256,
        c.worker
    )
    .fetch_optional(exec)
    .await
}

pub async fn by_key(
    exec: impl PgExecutor<'_>,
    table: &str,
    key: &str,
) -> sqlx::Result<Option<KeyedChunk>> {
    sqlx::query_as!(
        KeyedChunk,
        "SELECT id, row_count, body_sha256 FROM realtime_chunks WHERE table_name = $1 AND idempotency_key = $2",
        table,
        key
    )
    .fetch_optional(exec)
    .await
}

/// The consuming segment: every unsealed chunk, oldest first.
pub async fn consuming(exec: impl PgExecutor<'_>, table: &str) -> sqlx::Result<Vec<Chunk>> {
    sqlx::query_as!(
        Chunk,
        "SELECT id, location, row_count, created_at FROM realtime_chunks WHERE table_name = $1 AND segment_name IS NULL ORDER BY id",
        table
    )
    .fetch_all(exec)
    .await
}

#[derive(Debug, Clone, Copy, Default)]
pub struct ConsumingTotals {
    pub chunks: i64,
    pub rows: i64,
    pub oldest: Option<DateTime<Utc>>,
}

pub async fn consuming_totals(
    exec: impl PgExecutor<'_>,
    table: &str,
) -> sqlx::Result<ConsumingTotals> {
    let row = sqlx::query!(
        r#"SELECT count(*) AS "chunks!", COALESCE(sum(row_count), 0)::BIGINT AS "rows!", min(created_at) AS oldest
           FROM realtime_chunks WHERE table_name = $1 AND segment_name IS NULL"#,
        table
    )
    .fetch_one(exec)
    .await?;
    Ok(ConsumingTotals {
        chunks: row.chunks,
        rows: row.rows,
        oldest: row.oldest,
    })
}

/// Names the segment that took chunks `ids`; returns how many were still unsealed, which the
/// caller checks is all of them (under its lease nobody else seals, so it always is).
pub async fn seal(
    exec: impl PgExecutor<'_>,
    table: &str,
    ids: &[i64],
    segment_name: &str,
) -> sqlx::Result<u64> {
    let result = sqlx::query!(
        "UPDATE realtime_chunks SET segment_name = $3, sealed_at = now() WHERE table_name = $1 AND id = ANY($2) AND segment_name IS NULL",
        table,
        ids,
        segment_name
    )
    .execute(exec)
    .await?;
    Ok(result.rows_affected())
}

/// Files of chunks sealed longer ago than `grace_secs`, whose rows now live in a segment.
pub async fn sealed_files(
    exec: impl PgExecutor<'_>,
    table: &str,
    grace_secs: f64,
) -> sqlx::Result<Vec<(i64, String)>> {
    let rows = sqlx::query!(
        r#"SELECT id, location AS "location!" FROM realtime_chunks
           WHERE table_name = $1 AND segment_name IS NOT NULL AND location IS NOT NULL
             AND sealed_at < now() - make_interval(secs => $2)"#,
        table,
        grace_secs
    )
    .fetch_all(exec)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.location)).collect())
}

pub async fn forget_files(exec: impl PgExecutor<'_>, ids: &[i64]) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE realtime_chunks SET location = NULL WHERE id = ANY($1)",
        ids
    )
    .execute(exec)
    .await?;
    Ok(())
}

/// Every chunk file the table's rows still point at, so the collector keeps them.
pub async fn referenced_files(exec: impl PgExecutor<'_>, table: &str) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        r#"SELECT location AS "location!" FROM realtime_chunks WHERE table_name = $1 AND location IS NOT NULL"#,
        table
    )
    .fetch_all(exec)
    .await
}

/// Rows accepted per minute since `since`, oldest first: `(minute start, rows)`.
pub async fn rows_per_minute(
    exec: impl PgExecutor<'_>,
    table: &str,
    since: DateTime<Utc>,
) -> sqlx::Result<Vec<(DateTime<Utc>, i64)>> {
    let rows = sqlx::query!(
        r#"SELECT date_trunc('minute', created_at) AS "minute!", sum(row_count)::BIGINT AS "rows!"
           FROM realtime_chunks WHERE table_name = $1 AND created_at >= $2
           GROUP BY 1 ORDER BY 1"#,
        table,
        since
    )
    .fetch_all(exec)
    .await?;
    Ok(rows.into_iter().map(|r| (r.minute, r.rows)).collect())
}

/// A file a query reads: a completed segment or a consuming chunk.
#[derive(Debug, Clone)]
pub struct QueryFile {
    pub name: String,
    pub location: String,
    pub row_count: i64,
}

/// The files that hold a table's rows now, in ONE statement: a seal that commits meanwhile
/// is seen whole or not at all, so no row is read twice (chunk and segment) or missed.
pub async fn query_files(exec: impl PgExecutor<'_>, table: &str) -> sqlx::Result<Vec<QueryFile>> {
    sqlx::query_as!(
        QueryFile,
        r#"
        SELECT segment_name AS "name!", location AS "location!", row_count AS "row_count!"
        FROM segments WHERE table_name = $1
        UNION ALL
        SELECT 'chunk-' || id::TEXT, location, row_count
        FROM realtime_chunks WHERE table_name = $1 AND segment_name IS NULL AND location IS NOT NULL
        ORDER BY 1
        "#,
        table
    )
    .fetch_all(exec)
    .await
}
