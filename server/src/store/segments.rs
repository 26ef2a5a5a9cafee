//! Segment rows: the committed set of segment files that make up each table.

use sqlx::PgExecutor;

/// A committed segment is read straight into the shape `GET /segments/{t}` answers.
pub use lakeport_wire::tables::SegmentInfo as SegmentRow;

pub struct NewSegment<'a> {
    pub table: &'a str,
    pub segment_name: &'a str,
    pub source_file_key: &'a str,
    pub location: &'a str,
    pub row_count: i64,
    pub size_bytes: i64,
    pub min_time_ms: Option<i64>,
    pub max_time_ms: Option<i64>,
    pub run_id: i64,
}

/// Inserts a segment, or replaces the row of a segment rebuilt under the same name.
pub async fn upsert(exec: impl PgExecutor<'_>, s: &NewSegment<'_>) -> sqlx::Result<()> {
    sqlx::query!(
        r#"
        INSERT INTO segments (table_name, segment_name, source_file_key, location, row_count, size_bytes, min_time_ms, max_time_ms, run_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT (table_name, segment_name) DO UPDATE
        SET location = EXCLUDED.location, row_count = EXCLUDED.row_count, size_bytes = EXCLUDED.size_bytes,
            min_time_ms = EXCLUDED.min_time_ms, max_time_ms = EXCLUDED.max_time_ms, run_id = EXCLUDED.run_id
        "#,
        s.table,
        s.segment_name,
        s.source_file_key,
        s.location,
        s.row_count,
        s.size_bytes,
        s.min_time_ms,
        s.max_time_ms,
        s.run_id
    )
    .execute(exec)
    .await?;
    Ok(())
}

/// Drops the segments built from earlier versions of a source file, returning
/// their locations so the files can be deleted once the commit is durable.
pub async fn remove_superseded(
    exec: impl PgExecutor<'_>,
    table: &str,
    file_key: &str,
    keep: &str,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        "DELETE FROM segments WHERE table_name = $1 AND source_file_key = $2 AND segment_name <> $3 RETURNING location",
        table,
        file_key,
        keep
    )
    .fetch_all(exec)
    .await
}

pub async fn for_table(exec: impl PgExecutor<'_>, table: &str) -> sqlx::Result<Vec<SegmentRow>> {
    sqlx::query_as!(
        SegmentRow,
        r#"
        SELECT segment_name, source_file_key, location, row_count, size_bytes, min_time_ms, max_time_ms, run_id
        FROM segments WHERE table_name = $1 ORDER BY min_time_ms NULLS FIRST, segment_name
        "#,
        table
    )
    .fetch_all(exec)
    .await
}

#[derive(Debug, Clone, Copy, Default)]
pub struct SegmentTotals {
    pub segments: i64,
    pub rows: i64,
    pub bytes: i64,
}

pub async fn totals(exec: impl PgExecutor<'_>, table: &str) -> sqlx::Result<SegmentTotals> {
    let row = sqlx::query!(
        r#"SELECT count(*) AS "segments!", COALESCE(sum(row_count), 0)::BIGINT AS "rows!", COALESCE(sum(size_bytes), 0)::BIGINT AS "bytes!" FROM segments WHERE table_name = $1"#,
        table
    )
    .fetch_one(exec)
    .await?;
    Ok(SegmentTotals {
        segments: row.segments,
        rows: row.rows,
        bytes: row.bytes,
    })
}

/// Drops every segment of a source file that is gone from the source, returning
/// their locations so the files can be deleted once the commit is durable.
pub async fn remove_for_file(
    exec: impl PgExecutor<'_>,
    table: &str,
    file_key: &str,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        "DELETE FROM segments WHERE table_name = $1 AND source_file_key = $2 RETURNING location",
        table,
        file_key
    )
    .fetch_all(exec)
    .await
}
