//! Every sync run, kept: status, counters, checkpoint and error.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

#[derive(Debug, Clone)]
pub struct SyncRun {
    pub id: i64,
    pub table_name: String,
    pub trigger: String,
    pub status: String,
    pub worker: String,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub files_listed: i32,
    pub files_discovered: i32,
    pub files_failed: i32,
    pub segments_generated: i32,
    pub segments_uploaded: i32,
    pub rows_loaded: i64,
    pub bytes_read: i64,
    pub checkpoint_value: Option<String>,
    pub error_message: Option<String>,
    pub note: Option<String>,
    /// The schedule request this run serves, which names its task; `None` for other runs.
    pub request_id: Option<i64>,
}

/// Counters a run reports as it goes.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunProgress {
    pub files_listed: i32,
    pub files_discovered: i32,
    pub files_failed: i32,
    pub segments_generated: i32,
    pub segments_uploaded: i32,
    pub rows_loaded: i64,
    pub bytes_read: i64,
}

pub async fn start(
    exec: impl PgExecutor<'_>,
    table: &str,
    trigger: &str,
    worker: &str,
    request_id: Option<i64>,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "INSERT INTO sync_runs (table_name, trigger, status, worker, request_id) VALUES ($1, $2, 'RUNNING', $3, $4) RETURNING id",
        table,
        trigger,
        worker,
        request_id
    )
    .fetch_one(exec)
    .await
}

/// Marks runs left RUNNING by a worker that died. Only called by the lease holder,
/// so no live run can be among them.
pub async fn fail_abandoned(exec: impl PgExecutor<'_>, table: &str) -> sqlx::Result<u64> {
    let result = sqlx::query!(
        r#"
        UPDATE sync_runs
        SET status = 'FAILED', ended_at = now(),
            error_message = 'the worker running this sync stopped before finishing (its lease expired); committed files are kept and the rest is retried'
        WHERE table_name = $1 AND status = 'RUNNING'
        "#,
        table
    )
    .execute(exec)
    .await?;
    Ok(result.rows_affected())
}

pub async fn record_progress(
    exec: impl PgExecutor<'_>,
    run_id: i64,
    p: &RunProgress,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"
        UPDATE sync_runs
        SET files_listed = $2, files_discovered = $3, files_failed = $4, segments_generated = $5,
            segments_uploaded = $6, rows_loaded = $7, bytes_read = $8
        WHERE id = $1
        "#,
        run_id,
        p.files_listed,
        p.files_discovered,
        p.files_failed,
        p.segments_generated,
        p.segments_uploaded,
        p.rows_loaded,
        p.bytes_read
    )
    .execute(exec)
    .await?;
    Ok(())
}

pub async fn finish(
    exec: impl PgExecutor<'_>,
    run_id: i64,
    status: &str,
    checkpoint_value: Option<&str>,
    error_message: Option<&str>,
    note: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE sync_runs SET status = $2, ended_at = now(), checkpoint_value = $3, error_message = $4, note = $5 WHERE id = $1",
        run_id,
        status,
        checkpoint_value,
        error_message,
        note
    )
    .execute(exec)
    .await?;
    Ok(())
}

pub async fn latest(exec: impl PgExecutor<'_>, table: &str) -> sqlx::Result<Option<SyncRun>> {
    sqlx::query_as!(
        SyncRun,
        "SELECT id, table_name, trigger, status, worker, started_at, ended_at, files_listed, files_discovered, files_failed, segments_generated, segments_uploaded, rows_loaded, bytes_read, checkpoint_value, error_message, note, request_id FROM sync_runs WHERE table_name = $1 ORDER BY id DESC LIMIT 1",
        table
    )
    .fetch_optional(exec)
    .await
}

pub async fn history(
    exec: impl PgExecutor<'_>,
    table: &str,
    limit: i64,
) -> sqlx::Result<Vec<SyncRun>> {
    sqlx::query_as!(
        SyncRun,
        "SELECT id, table_name, trigger, status, worker, started_at, ended_at, files_listed, files_discovered, files_failed, segments_generated, segments_uploaded, rows_loaded, bytes_read, checkpoint_value, error_message, note, request_id FROM sync_runs WHERE table_name = $1 ORDER BY id DESC LIMIT $2",
        table,
        limit
    )
    .fetch_all(exec)
    .await
}

pub async fn last_success(
    exec: impl PgExecutor<'_>,
    table: &str,
) -> sqlx::Result<Option<DateTime<Utc>>> {
    let ended = sqlx::query_scalar!(
        "SELECT max(ended_at) FROM sync_runs WHERE table_name = $1 AND status = 'COMPLETED'",
        table
    )
    .fetch_one(exec)
    .await?;
    Ok(ended)
}
