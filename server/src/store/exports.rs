//! DataExportTask state: cycles (runs), the per-segment checkpoint, the time watermark and
//! Iceberg commits whose outcome is pending.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

pub const IN_PROGRESS: &str = "IN_PROGRESS";
pub const STAGED: &str = "STAGED";
pub const COMPLETED: &str = "COMPLETED";
pub const FAILED: &str = "FAILED";

#[derive(Debug, Clone)]
pub struct ExportRun {
    pub id: i64,
    pub trigger: String,
    pub status: String,
    pub decision: Option<String>,
    pub worker: String,
    pub request_id: Option<i64>,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub segments_exported: i32,
    pub rows_exported: i64,
    pub bytes_written: i64,
    pub snapshot_id: Option<i64>,
    pub error_message: Option<String>,
}

/// What a cycle reports when it ends.
#[derive(Debug, Clone, Default)]
pub struct RunSummary {
    pub decisions: Vec<&'static str>,
    pub segments_exported: i32,
    pub rows_exported: i64,
    pub bytes_written: i64,
    pub snapshot_id: Option<i64>,
}

impl RunSummary {
    /// Counts one segment's file as exported.
    pub fn exported(&mut self, rows: u64, bytes: u64) {
        self.segments_exported += 1;
        self.rows_exported += rows as i64;
        self.bytes_written += bytes as i64;
    }
}

pub async fn start_run(
    exec: impl PgExecutor<'_>,
    table: &str,
    trigger: &str,
    worker: &str,
    request_id: Option<i64>,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO export_runs (table_name, trigger, status, worker, request_id) VALUES ($1, $2, 'RUNNING', $3, $4) RETURNING id",
        table,
        trigger,
        worker,
        request_id
    )
    .fetch_one(exec)
    .await
}

pub async fn finish_run(
    exec: impl PgExecutor<'_>,
    run_id: i64,
    status: &str,
    summary: &RunSummary,
    error: Option<&str>,
) -> sqlx::Result<()> {
    let decision = (!summary.decisions.is_empty()).then(|| summary.decisions.join(","));
    sqlx::query!(
        r#"
        UPDATE export_runs
        SET status = $2, ended_at = now(), decision = $3, segments_exported = $4, rows_exported = $5,
            bytes_written = $6, snapshot_id = $7, error_message = $8
        WHERE id = $1
        "#,
        run_id,
        status,
        decision,
        summary.segments_exported,
        summary.rows_exported,
        summary.bytes_written,
        summary.snapshot_id,
        error
    )
    .execute(exec)
    .await?;
    Ok(())
}

/// Cycles left RUNNING by a worker that died; only the lease holder calls this.
pub async fn fail_abandoned_runs(exec: impl PgExecutor<'_>, table: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE export_runs SET status = 'FAILED', ended_at = now(), error_message = 'the worker running this cycle stopped before it finished; the next cycle carries on' WHERE table_name = $1 AND status = 'RUNNING'",
        table
    )
    .execute(exec)
    .await?;
    Ok(())
}

pub async fn runs(
    exec: impl PgExecutor<'_>,
    table: &str,
    limit: i64,
) -> sqlx::Result<Vec<ExportRun>> {
    sqlx::query_as!(
        ExportRun,
        r#"
        SELECT id, trigger, status, decision, worker, request_id, started_at, ended_at, segments_exported,
               rows_exported, bytes_written, snapshot_id, error_message
        FROM export_runs WHERE table_name = $1 ORDER BY id DESC LIMIT $2
        "#,
        table,
        limit
    )
    .fetch_all(exec)
    .await
}

/// A completed segment of the source that this export has not finished.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub segment_name: String,
    pub location: String,
    pub row_count: i64,
    /// The segment's end time: its time column's maximum, else when it was committed.
    pub end_time_ms: i64,
}

/// Completed segments of `source` ending at or before `cutoff_ms` and after `floor_ms`, that
/// `owner` has not staged or completed, oldest end first, at most `limit`.
pub async fn eligible(
    exec: impl PgExecutor<'_>,
    owner: &str,
    source: &str,
    cutoff_ms: i64,
    floor_ms: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<Candidate>> {
    sqlx::query_as!(
        Candidate,
        r#"
        SELECT s.segment_name, s.location, s.row_count,
               COALESCE(s.max_time_ms, (extract(epoch FROM s.created_at) * 1000)::BIGINT) AS "end_time_ms!"
        FROM segments s
        LEFT JOIN export_segments e ON e.table_name = $1 AND e.segment_name = s.segment_name
        WHERE s.table_name = $2
          AND COALESCE(s.max_time_ms, (extract(epoch FROM s.created_at) * 1000)::BIGINT) <= $3
          AND ($4::BIGINT IS NULL OR COALESCE(s.max_time_ms, (extract(epoch FROM s.created_at) * 1000)::BIGINT) > $4)
          AND (e.state IS NULL OR e.state IN ('IN_PROGRESS', 'FAILED'))
        ORDER BY 4, s.segment_name
        LIMIT $5
        "#,
        owner,
        source,
        cutoff_ms,
        floor_ms,
        limit
    )
    .fetch_all(exec)
    .await
}

/// Marks a segment's export as begun (again), before anything is written.
pub async fn begin_segment(
    exec: impl PgExecutor<'_>,
    owner: &str,
    candidate: &Candidate,
    source: &str,
    run_id: i64,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"
        INSERT INTO export_segments (table_name, segment_name, source_table, state, row_count, end_time_ms, run_id)
        VALUES ($1, $2, $3, 'IN_PROGRESS', $4, $5, $6)
        ON CONFLICT (table_name, segment_name) DO UPDATE
        SET state = 'IN_PROGRESS', attempts = export_segments.attempts + 1, run_id = EXCLUDED.run_id,
            error_message = NULL, updated_at = now()
        "#,
        owner,
        candidate.segment_name,
        source,
        candidate.row_count,
        candidate.end_time_ms,
        run_id
    )
    .execute(exec)
    .await?;
    Ok(())
}

/// A segment's exported file, as its checkpoint records it.
pub struct WrittenFile<'a> {
    /// COMPLETED (a filesystem export, done) or STAGED (an Iceberg data file waiting for its
    /// batch commit, described by `data_file`).
    pub state: &'a str,
    pub file_uri: &'a str,
    pub data_file: Option<&'a serde_json::Value>,
    pub rows: i64,
    pub bytes: i64,
}

pub async fn file_written(
    exec: impl PgExecutor<'_>,
    owner: &str,
    segment: &str,
    file: &WrittenFile<'_>,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"
        UPDATE export_segments
        SET state = $3, file_uri = $4, data_file = $5, row_count = $6, size_bytes = $7, updated_at = now()
        WHERE table_name = $1 AND segment_name = $2
        "#,
        owner,
        segment,
        file.state,
        file.file_uri,
        file.data_file,
        file.rows,
        file.bytes
    )
    .execute(exec)
    .await?;
    Ok(())
}

pub async fn segment_failed(
    exec: impl PgExecutor<'_>,
    owner: &str,
    segment: &str,
    error: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE export_segments SET state = 'FAILED', error_message = $3, updated_at = now() WHERE table_name = $1 AND segment_name = $2",
        owner,
        segment,
        error
    )
    .execute(exec)
    .await?;
    Ok(())
}

/// Staged data files that no commit has taken yet, oldest first.
pub async fn staged_count(exec: impl PgExecutor<'_>, owner: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM export_segments WHERE table_name = $1 AND state = 'STAGED' AND commit_id IS NULL"#,
        owner
    )
    .fetch_one(exec)
    .await
}

/// Starts a commit: the staged files it carries are bound to its id before the catalog is
/// asked, so whatever happens next, they are committed under that id or not at all.
pub async fn open_commit(
    conn: &mut PgConnection,
    owner: &str,
    commit_id: Uuid,
    limit: i64,
) -> sqlx::Result<i64> {
    let bound = sqlx::query!(
        r#"
        UPDATE export_segments SET commit_id = $2, updated_at = now()
        WHERE table_name = $1 AND segment_name IN (
            SELECT segment_name FROM export_segments
            WHERE table_name = $1 AND state = 'STAGED' AND commit_id IS NULL
            ORDER BY end_time_ms, segment_name LIMIT $3
        )
        "#,
        owner,
        commit_id,
        limit
    )
    .execute(&mut *conn)
    .await?
    .rows_affected() as i64;
    sqlx::query!(
        "INSERT INTO export_commits (commit_id, table_name, state, files) VALUES ($1, $2, 'PENDING', $3)",
        commit_id,
        owner,
        bound as i32
    )
    .execute(&mut *conn)
    .await?;
    Ok(bound)
}

pub async fn pending_commits(exec: impl PgExecutor<'_>, owner: &str) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar!(
        "SELECT commit_id FROM export_commits WHERE table_name = $1 AND state = 'PENDING' ORDER BY created_at",
        owner
    )
    .fetch_all(exec)
    .await
}

/// The staged data files a commit carries: `(segment, data file, rows, bytes)`.
pub async fn commit_files(
    exec: impl PgExecutor<'_>,
    commit_id: Uuid,
) -> sqlx::Result<Vec<(String, serde_json::Value, i64, i64)>> {
    let rows = sqlx::query!(
        r#"SELECT segment_name, data_file AS "data_file!", row_count, size_bytes FROM export_segments
           WHERE commit_id = $1 AND state = 'STAGED' AND data_file IS NOT NULL ORDER BY end_time_ms, segment_name"#,
        commit_id
    )
    .fetch_all(exec)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.segment_name, r.data_file, r.row_count, r.size_bytes))
        .collect())
}

/// The commit is in the table as `snapshot_id`: its segments are checkpointed COMPLETED.
pub async fn commit_landed(
    conn: &mut PgConnection,
    commit_id: Uuid,
    snapshot_id: i64,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE export_commits SET state = 'COMMITTED', snapshot_id = $2, updated_at = now() WHERE commit_id = $1",
        commit_id,
        snapshot_id
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE export_segments SET state = 'COMPLETED', snapshot_id = $2, updated_at = now() WHERE commit_id = $1 AND state = 'STAGED'",
        commit_id,
        snapshot_id
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn watermark(exec: impl PgExecutor<'_>, owner: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!(
        "SELECT watermark_ms FROM export_watermarks WHERE table_name = $1",
        owner
    )
    .fetch_optional(exec)
    .await
}

/// Moves the watermark up to the latest end time before which every completed segment of
/// `source` (past `floor_ms`) is exported; it never moves back.
pub async fn advance_watermark(
    exec: impl PgExecutor<'_>,
    owner: &str,
    source: &str,
    floor_ms: Option<i64>,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"
        WITH ends AS (
            SELECT COALESCE(s.max_time_ms, (extract(epoch FROM s.created_at) * 1000)::BIGINT) AS end_ms,
                   (e.state = 'COMPLETED') AS done
            FROM segments s
            LEFT JOIN export_segments e ON e.table_name = $1 AND e.segment_name = s.segment_name
            WHERE s.table_name = $2
        ), first_open AS (
            SELECT min(end_ms) AS m FROM ends WHERE done IS NOT TRUE AND ($3::BIGINT IS NULL OR end_ms > $3)
        ), reach AS (
            SELECT max(end_ms) AS w FROM ends, first_open
            WHERE done AND (first_open.m IS NULL OR end_ms < first_open.m)
        )
        INSERT INTO export_watermarks (table_name, watermark_ms)
        SELECT $1, GREATEST(w, COALESCE($3, w)) FROM reach WHERE w IS NOT NULL
        ON CONFLICT (table_name) DO UPDATE
        SET watermark_ms = GREATEST(export_watermarks.watermark_ms, EXCLUDED.watermark_ms), updated_at = now()
        "#,
        owner,
        source,
        floor_ms
    )
    .execute(exec)
    .await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct ExportedSegment {
    pub segment_name: String,
    pub source_table: String,
    pub state: String,
    pub file_uri: Option<String>,
    pub row_count: i64,
    pub size_bytes: i64,
    pub end_time_ms: Option<i64>,
    pub commit_id: Option<Uuid>,
    pub snapshot_id: Option<i64>,
    pub attempts: i32,
    pub error_message: Option<String>,
    pub updated_at: DateTime<Utc>,
}

pub async fn segments(
    exec: impl PgExecutor<'_>,
    owner: &str,
) -> sqlx::Result<Vec<ExportedSegment>> {
    sqlx::query_as!(
        ExportedSegment,
        r#"
        SELECT segment_name, source_table, state, file_uri, row_count, size_bytes, end_time_ms, commit_id,
               snapshot_id, attempts, error_message, updated_at
        FROM export_segments WHERE table_name = $1 ORDER BY end_time_ms NULLS FIRST, segment_name
        "#,
        owner
    )
    .fetch_all(exec)
    .await
}
