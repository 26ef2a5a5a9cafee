//! Per-table figures for `/metrics`, in one query.

use sqlx::PgExecutor;

#[derive(Debug, Clone)]
pub struct TableFigures {
    pub name: String,
    pub enabled: bool,
    pub segments: i64,
    pub rows: i64,
    pub bytes: i64,
    pub runs_completed: i64,
    pub runs_failed: i64,
    pub runs_running: i64,
    pub files_failed: i64,
    pub last_success_epoch: Option<f64>,
}

pub async fn table_figures(exec: impl PgExecutor<'_>) -> sqlx::Result<Vec<TableFigures>> {
    sqlx::query_as!(
        TableFigures,
        r#"
        SELECT t.name, t.enabled,
               COALESCE(s.segments, 0) AS "segments!", COALESCE(s.rows, 0) AS "rows!", COALESCE(s.bytes, 0) AS "bytes!",
               COALESCE(r.completed, 0) AS "runs_completed!", COALESCE(r.failed, 0) AS "runs_failed!",
               COALESCE(r.running, 0) AS "runs_running!", COALESCE(f.failed, 0) AS "files_failed!",
               EXTRACT(EPOCH FROM r.last_success)::FLOAT8 AS last_success_epoch
        FROM tables t
        LEFT JOIN (SELECT table_name, count(*) AS segments, sum(row_count)::BIGINT AS rows, sum(size_bytes)::BIGINT AS bytes
                   FROM segments GROUP BY table_name) s ON s.table_name = t.name
        LEFT JOIN (SELECT table_name,
                          count(*) FILTER (WHERE status = 'COMPLETED') AS completed,
                          count(*) FILTER (WHERE status = 'FAILED') AS failed,
                          count(*) FILTER (WHERE status = 'RUNNING') AS running,
                          max(ended_at) FILTER (WHERE status = 'COMPLETED') AS last_success
                   FROM sync_runs GROUP BY table_name) r ON r.table_name = t.name
        LEFT JOIN (SELECT table_name, count(*) AS failed FROM source_files WHERE state = 'FAILED' GROUP BY table_name) f
               ON f.table_name = t.name
        ORDER BY t.name
        "#
    )
    .fetch_all(exec)
    .await
}
