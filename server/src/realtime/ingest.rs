//! Accepting pushed rows: decode and check them, write them as a chunk file, record the chunk.
//! The answer comes only after all three, so an acknowledged row survives a kill -9.

use anyhow::anyhow;
use bytes::Bytes;
use chrono::Utc;
use sha2::{Digest, Sha256};

use super::decode::{IngestFormat, decode};
use crate::error::{ApiError, ApiResult};
use crate::segments::DeepStore;
use crate::segments::builder::write_segment;
use crate::store::realtime::NewChunk;
use crate::store::tables::TableRow;
use crate::store::tasks::TaskKind;
use crate::store::{self};
use crate::sync::context::{WorkerEnv, table_plan};

/// The longest idempotency key kept; keys are opaque to Lakeport (a UUID is typical).
const MAX_KEY_LEN: usize = 200;

pub struct IngestRequest {
    pub format: IngestFormat,
    pub body: Bytes,
    /// The caller's `Idempotency-Key`: the same key again loads nothing twice.
    pub idempotency_key: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ingested {
    pub rows: i64,
    pub chunk_id: i64,
    /// True when the key had been seen: the rows were loaded by the earlier request.
    pub duplicate: bool,
}

/// Why an idempotency key cannot be used as it is, if it cannot.
pub fn key_problem(key: &str) -> Option<String> {
    if key.is_empty() || key.len() > MAX_KEY_LEN {
        Some(format!("must be 1 to {MAX_KEY_LEN} characters"))
    } else if !key.bytes().all(|b| b.is_ascii_graphic()) {
        Some("may contain only visible ASCII characters (no spaces)".into())
    } else {
        None
    }
}

/// Loads the rows of one request into `table`'s consuming segment, exactly once per key.
pub async fn ingest(
    env: &WorkerEnv,
    table: &TableRow,
    request: IngestRequest,
) -> ApiResult<Ingested> {
    let digest = Sha256::digest(&request.body).to_vec();
    let key = request.idempotency_key.as_deref();
    if let Some(key) = key {
        if let Some(problem) = key_problem(key) {
            return Err(ApiError::invalid("Idempotency-Key", problem));
        }
        if let Some(earlier) = answered(env, table, key, &digest).await? {
            return Ok(earlier);
        }
    }
    let (config, plan) = table_plan(&env.pool, table)
        .await
        .map_err(ApiError::internal)?;
    let stream = config.stream_settings()?;
    let chunk_name = uuid::Uuid::new_v4().simple().to_string();
    let location = DeepStore::chunk_location(&table.name, &chunk_name);
    let path = env.deep_store.path(&location);
    // Decoding and writing are CPU and disk work: off the request threads.
    let written = {
        let path = path.clone();
        tokio::task::spawn_blocking(move || -> ApiResult<_> {
            let batch = decode(request.format, &request.body, &plan)
                .map_err(|e| ApiError::invalid("body", e.to_string()))?;
            if batch.num_rows() == 0 {
                return Err(ApiError::invalid("body", "has no rows to ingest"));
            }
            write_segment(&plan, &[batch], &path).map_err(|e| ApiError::internal(anyhow!(e)))
        })
        .await
        .map_err(ApiError::internal)??
    };

    let mut tx = env.pool.begin().await?;
    let inserted = store::realtime::insert(
        &mut *tx,
        &NewChunk {
            table: &table.name,
            location: &location,
            row_count: written.rows as i64,
            size_bytes: written.size_bytes as i64,
            min_time_ms: written.min_time_ms,
            max_time_ms: written.max_time_ms,
            idempotency_key: key,
            body_sha256: Some(&digest),
            worker: &env.worker_id,
        },
    )
    .await?;
    let Some(chunk_id) = inserted else {
        // A retry of this request, on this replica or another, recorded it first.
        drop(tx);
        env.deep_store.remove(&location);
        let key = key.expect("only a keyed chunk can conflict");
        return answered(env, table, key, &digest)
            .await?
            .ok_or_else(|| ApiError::internal(anyhow!("a conflicting chunk vanished")));
    };
    let consuming = store::realtime::consuming_totals(&mut *tx, &table.name).await?;
    if let Some(oldest) = consuming.oldest {
        let due = oldest + chrono::Duration::milliseconds(stream.flush_time_ms as i64);
        store::tasks::due_by(&mut *tx, &table.name, TaskKind::Seal, due).await?;
    }
    let seal_now = consuming.rows as u64 >= stream.flush_rows;
    if seal_now {
        store::tasks::request_run(&mut *tx, &table.name, TaskKind::Seal, "FLUSH_ROWS").await?;
    }
    tx.commit().await?;
    if seal_now || consuming.oldest.is_some_and(|o| o <= Utc::now()) {
        env.wake.notify_one();
    }
    Ok(Ingested {
        rows: written.rows as i64,
        chunk_id,
        duplicate: false,
    })
}

/// The answer an earlier request with `key` got, if there was one. The same key with a
/// different body is a caller's mistake, not a retry: 409, and nothing is loaded.
async fn answered(
    env: &WorkerEnv,
    table: &TableRow,
    key: &str,
    digest: &[u8],
) -> ApiResult<Option<Ingested>> {
    let Some(earlier) = store::realtime::by_key(&env.pool, &table.name, key).await? else {
        return Ok(None);
    };
    if earlier.body_sha256.as_deref() != Some(digest) {
        return Err(ApiError::Conflict(format!(
            "Idempotency-Key '{key}' was already used for a different body (chunk {}); use a new key for new rows",
            earlier.id
        )));
    }
    Ok(Some(Ingested {
        rows: earlier.row_count,
        chunk_id: earlier.id,
        duplicate: true,
    }))
}
