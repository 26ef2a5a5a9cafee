//! The per-file ledger: which source files are loaded, as which segment, and which failed and why.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

use crate::catalogs::SourceFile;

#[derive(Debug, Clone)]
pub struct LedgerEntry {
    pub file_key: String,
    pub size_bytes: i64,
    pub etag: String,
    pub last_modified: Option<DateTime<Utc>>,
    pub state: String,
    pub row_count: Option<i64>,
    pub segment_name: Option<String>,
    pub first_error: Option<String>,
    pub last_error: Option<String>,
    pub attempts: i32,
    pub run_id: i64,
    pub updated_at: DateTime<Utc>,
}

impl LedgerEntry {
    /// Whether this entry already holds `file` as it is now, loaded.
    pub fn is_loaded(&self, file: &SourceFile) -> bool {
        self.state == "LOADED" && self.etag == file.etag && self.size_bytes == file.size as i64
    }
}

/// The ledger of a table, by file key.
pub async fn by_key(
    exec: impl PgExecutor<'_>,
    table: &str,
) -> sqlx::Result<HashMap<String, LedgerEntry>> {
    Ok(for_table(exec, table)
        .await?
        .into_iter()
        .map(|e| (e.file_key.clone(), e))
        .collect())
}

pub async fn for_table(exec: impl PgExecutor<'_>, table: &str) -> sqlx::Result<Vec<LedgerEntry>> {
    sqlx::query_as!(
        LedgerEntry,
        r#"
        SELECT file_key, size_bytes, etag, last_modified, state, row_count, segment_name,
               first_error, last_error, attempts, run_id, updated_at
        FROM source_files WHERE table_name = $1 ORDER BY file_key
        "#,
        table
    )
    .fetch_all(exec)
    .await
}

pub async fn mark_loaded(
    exec: impl PgExecutor<'_>,
    table: &str,
    file: &SourceFile,
    rows: i64,
    segment_name: &str,
    run_id: i64,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"
        INSERT INTO source_files (table_name, file_key, size_bytes, etag, last_modified, state, row_count, segment_name, run_id)
        VALUES ($1, $2, $3, $4, $5, 'LOADED', $6, $7, $8)
        ON CONFLICT (table_name, file_key) DO UPDATE
        SET size_bytes = EXCLUDED.size_bytes, etag = EXCLUDED.etag, last_modified = EXCLUDED.last_modified,
            state = 'LOADED', row_count = EXCLUDED.row_count, segment_name = EXCLUDED.segment_name,
            last_error = NULL, attempts = source_files.attempts + 1, run_id = EXCLUDED.run_id, updated_at = now()
        "#,
        table,
        file.key,
        file.size as i64,
        file.etag,
        file.last_modified,
        rows,
        segment_name,
        run_id
    )
    .execute(exec)
    .await?;
    Ok(())
}

/// Records a file that could not be loaded. A previously loaded version keeps its
/// segment (its rows stay queryable) until a good version replaces it.
pub async fn mark_failed(
    exec: impl PgExecutor<'_>,
    table: &str,
    file: &SourceFile,
    error: &str,
    run_id: i64,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"
        INSERT INTO source_files (table_name, file_key, size_bytes, etag, last_modified, state, first_error, last_error, run_id)
        VALUES ($1, $2, $3, $4, $5, 'FAILED', $6, $6, $7)
        ON CONFLICT (table_name, file_key) DO UPDATE
        SET size_bytes = EXCLUDED.size_bytes, etag = EXCLUDED.etag, last_modified = EXCLUDED.last_modified,
            state = 'FAILED', first_error = COALESCE(source_files.first_error, EXCLUDED.first_error),
            last_error = EXCLUDED.last_error, attempts = source_files.attempts + 1, run_id = EXCLUDED.run_id,
            updated_at = now()
        "#,
        table,
        file.key,
        file.size as i64,
        file.etag,
        file.last_modified,
        error,
        run_id
    )
    .execute(exec)
    .await?;
    Ok(())
}

/// Forgets a file that is no longer part of the source.
pub async fn remove(exec: impl PgExecutor<'_>, table: &str, file_key: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "DELETE FROM source_files WHERE table_name = $1 AND file_key = $2",
        table,
        file_key
    )
    .execute(exec)
    .await?;
    Ok(())
}
