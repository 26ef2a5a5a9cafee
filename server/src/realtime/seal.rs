//! Sealing: a REALTIME table's consuming chunks become completed segments once they reach
//! `realtime.segment.flush.threshold.rows` or their oldest row reaches the flush age. One
//! commit adds the segment and marks its chunks sealed, so each row is counted once.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, Utc};

use crate::model::table_config::{StreamSettings, TableType};
use crate::segments::DeepStore;
use crate::segments::builder::{SegmentPlan, write_segment};
use crate::store::realtime::Chunk;
use crate::store::segments::NewSegment;
use crate::store::tables::TableRow;
use crate::store::{self, tasks::Claim};
use crate::sync::context::{WorkerEnv, table_plan};

/// How long a sealed chunk's file outlives the seal: a query that listed the chunk just
/// before the seal committed still reads it.
const CHUNK_GRACE: Duration = Duration::from_secs(60);
/// A chunk file no row refers to is collected only when this old: younger ones may be
/// requests in flight on any replica.
const ORPHAN_CHUNK_AGE: Duration = Duration::from_secs(600);

/// REALTIME segments come from no sync run.
const NO_RUN: i64 = 0;

/// Which consuming chunks to seal now, as runs of consecutive chunks (oldest first), one
/// segment each. A segment is cut as soon as its chunks reach the row threshold (a request's
/// rows are never split, so a segment holds at least that many and less than that plus one
/// request); what is left is sealed too once its oldest chunk is `flush_time` old. Nothing
/// is sealed from no chunks: there is never an empty segment.
pub fn plan_seals(
    chunks: &[Chunk],
    settings: StreamSettings,
    now: DateTime<Utc>,
) -> Vec<std::ops::Range<usize>> {
    let mut groups = Vec::new();
    let mut start = 0;
    let mut rows: u64 = 0;
    for (index, chunk) in chunks.iter().enumerate() {
        rows += chunk.row_count.max(0) as u64;
        if rows >= settings.flush_rows {
            groups.push(start..index + 1);
            start = index + 1;
            rows = 0;
        }
    }
    if start < chunks.len() {
        let age = now - chunks[start].created_at;
        if age >= chrono::Duration::milliseconds(settings.flush_time_ms as i64) {
            groups.push(start..chunks.len());
        }
    }
    groups
}

/// The segment a run of chunks becomes: named by its first and last chunk, so a seal retried
/// after a crash rewrites the same file instead of adding another.
pub fn segment_name(raw_table: &str, first: i64, last: i64) -> String {
    format!("{raw_table}__rt_{first:012}_{last:012}")
}

/// One seal task: delete chunk files sealed long enough ago, collect orphans, seal what is due.
pub async fn run(
    env: &WorkerEnv,
    claim: &Claim,
    lost: &AtomicBool,
) -> anyhow::Result<&'static str> {
    let Some(table) = store::tables::get(&env.pool, &claim.table_name).await? else {
        return Ok("table deleted");
    };
    let (config, plan) = table_plan(&env.pool, &table).await?;
    let settings = config.stream_settings().map_err(|e| anyhow!("{e}"))?;
    remove_sealed_files(env, &table).await?;
    collect_orphans(env, &table).await?;

    let chunks = store::realtime::consuming(&env.pool, &table.name).await?;
    let groups = plan_seals(&chunks, settings, Utc::now());
    for group in &groups {
        if lost.load(Ordering::SeqCst) {
            bail!("this worker lost the table's lease; another worker carries on");
        }
        seal(env, claim, &table, &plan, &chunks[group.clone()]).await?;
    }
    Ok(if groups.is_empty() {
        "nothing to seal"
    } else {
        "sealed"
    })
}

async fn seal(
    env: &WorkerEnv,
    claim: &Claim,
    table: &TableRow,
    plan: &SegmentPlan,
    chunks: &[Chunk],
) -> anyhow::Result<()> {
    let (first, last) = (chunks[0].id, chunks[chunks.len() - 1].id);
    let name = segment_name(&table.raw_name, first, last);
    let location = DeepStore::location(&table.name, &name);
    let sources: Vec<_> = chunks
        .iter()
        .map(|c| {
            c.location
                .as_deref()
                .map(|l| env.deep_store.path(l))
                .ok_or_else(|| anyhow!("consuming chunk {} has no file", c.id))
        })
        .collect::<anyhow::Result<_>>()?;
    let dest = env.deep_store.path(&location);
    let plan = plan.clone();
    let built = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let mut batches = Vec::new();
        for path in &sources {
            let file = std::fs::File::open(path)
                .with_context(|| format!("opening chunk {}", path.display()))?;
            let reader =
                parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)?
                    .build()?;
            for batch in reader {
                batches.push(batch?);
            }
        }
        write_segment(&plan, &batches, &dest).map_err(|e| anyhow!(e))
    })
    .await??;

    let ids: Vec<i64> = chunks.iter().map(|c| c.id).collect();
    let mut tx = env.pool.begin().await?;
    if !store::tasks::fence(&mut tx, claim).await? {
        bail!("this worker lost the table's lease before sealing; another worker carries on");
    }
    let source_key = format!("realtime:{first}-{last}");
    store::segments::upsert(
        &mut *tx,
        &NewSegment {
            table: &table.name,
            segment_name: &name,
            source_file_key: &source_key,
            location: &location,
            row_count: built.rows as i64,
            size_bytes: built.size_bytes as i64,
            min_time_ms: built.min_time_ms,
            max_time_ms: built.max_time_ms,
            run_id: NO_RUN,
        },
    )
    .await?;
    let sealed = store::realtime::seal(&mut *tx, &table.name, &ids, &name).await?;
    if sealed != ids.len() as u64 {
        bail!(
            "only {sealed} of {} chunks ({first}..{last}) were still consuming; nothing was sealed",
            ids.len()
        );
    }
    tx.commit().await?;
    tracing::info!(table = %table.name, segment = %name, rows = built.rows, chunks = ids.len(), "sealed a segment");
    Ok(())
}

async fn remove_sealed_files(env: &WorkerEnv, table: &TableRow) -> anyhow::Result<()> {
    let sealed =
        store::realtime::sealed_files(&env.pool, &table.name, CHUNK_GRACE.as_secs_f64()).await?;
    if sealed.is_empty() {
        return Ok(());
    }
    for (_, location) in &sealed {
        env.deep_store.remove(location);
    }
    let ids: Vec<i64> = sealed.iter().map(|(id, _)| *id).collect();
    store::realtime::forget_files(&env.pool, &ids).await?;
    Ok(())
}

/// Segment files no segment row names (a seal that died before its commit) and old chunk
/// files no chunk row names (a request that died before its commit).
async fn collect_orphans(env: &WorkerEnv, table: &TableRow) -> anyhow::Result<()> {
    let segments: HashSet<String> = store::segments::for_table(&env.pool, &table.name)
        .await?
        .into_iter()
        .map(|s| s.location)
        .collect();
    let chunks: HashSet<String> = store::realtime::referenced_files(&env.pool, &table.name)
        .await?
        .into_iter()
        .collect();
    let removed = env.deep_store.collect_orphans(&table.name, &segments)?
        + env
            .deep_store
            .collect_chunk_orphans(&table.name, &chunks, ORPHAN_CHUNK_AGE)?;
    if removed > 0 {
        tracing::info!(table = %table.name, removed, "removed files left by interrupted seals or requests");
    }
    Ok(())
}

/// When the seal task is due next: now if the consuming rows reached the threshold, else
/// when the oldest of them reaches the flush age, or when a sealed chunk's file may go.
pub async fn next_due(env: &WorkerEnv, table: &TableRow) -> Option<DateTime<Utc>> {
    if TableType::parse(&table.table_type) != Some(TableType::Realtime) {
        return None;
    }
    let config: crate::model::table_config::TableConfig =
        serde_json::from_value(table.config.clone()).ok()?;
    let settings = config.stream_settings().ok()?;
    let now = Utc::now();
    let consuming = store::realtime::consuming_totals(&env.pool, &table.name)
        .await
        .ok()?;
    if consuming.rows as u64 >= settings.flush_rows {
        return Some(now);
    }
    let flush = consuming
        .oldest
        .map(|o| o + chrono::Duration::milliseconds(settings.flush_time_ms as i64));
    let cleanup = match store::realtime::sealed_files(&env.pool, &table.name, 0.0).await {
        Ok(files) if !files.is_empty() => Some(now + chrono::Duration::from_std(CHUNK_GRACE).ok()?),
        _ => None,
    };
    [flush, cleanup].into_iter().flatten().min()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(id: i64, rows: i64, age_secs: i64, now: DateTime<Utc>) -> Chunk {
        Chunk {
            id,
            location: Some(format!("t/consuming/{id}.parquet")),
            row_count: rows,
            created_at: now - chrono::Duration::seconds(age_secs),
        }
    }

    #[test]
    fn segments_are_cut_at_the_row_threshold_and_the_rest_waits_for_its_age() {
        let now = Utc::now();
        let settings = StreamSettings {
            flush_rows: 100,
            flush_time_ms: 60_000,
        };
        let chunks: Vec<Chunk> = (0..7).map(|i| chunk(i, 40, 10, now)).collect();
        // 40+40+40 ≥ 100 twice; one chunk of 40 is left, 10 s old: it waits.
        assert_eq!(plan_seals(&chunks, settings, now), vec![0..3, 3..6]);
        // Once its oldest chunk is a minute old, the rest is sealed too.
        let later = now + chrono::Duration::seconds(55);
        assert_eq!(plan_seals(&chunks, settings, later), vec![0..3, 3..6, 6..7]);
        // No chunks, no segment, however old the table.
        assert!(plan_seals(&[], settings, later).is_empty());
        // One request above the threshold is one segment of its own.
        assert_eq!(
            plan_seals(&[chunk(9, 500, 0, now)], settings, now),
            vec![0..1]
        );
    }

    #[test]
    fn segment_names_follow_their_chunks() {
        assert_eq!(
            segment_name("ev", 1, 12),
            "ev__rt_000000000001_000000000012"
        );
        assert_ne!(segment_name("ev", 1, 12), segment_name("ev", 1, 13));
    }
}
