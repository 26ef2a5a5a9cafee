//! Making a batch of work visible: segments, ledger, checkpoint and run counters in one
//! transaction, under the table's lease.

use anyhow::bail;

use super::build::FileOutcome;
use super::context::RunContext;
use crate::segments::DeepStore;
use crate::store::runs::RunProgress;
use crate::store::segments::NewSegment;
use crate::store::{self};

/// How far the checkpoint moves with a commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Advance {
    Nothing,
    /// To the newest modification time among the loaded files (raw file sources).
    Watermark,
    /// To an Iceberg snapshot, once the table holds the rows that snapshot should.
    Snapshot {
        id: i64,
        expected_rows: Option<i64>,
    },
}

pub const SNAPSHOT_ID: &str = "SNAPSHOT_ID";
pub const TIMESTAMP: &str = "TIMESTAMP";

/// Commits `outcomes` (loaded segments and failed files), drops the segments and ledger
/// rows of `removed` source files, and moves the checkpoint. Segment files that the
/// commit replaced or dropped are deleted once it is durable.
pub async fn commit(
    ctx: &RunContext<'_>,
    outcomes: &[FileOutcome],
    removed: &[String],
    advance: Advance,
    progress: &mut RunProgress,
) -> anyhow::Result<()> {
    let table = &ctx.table.name;
    let mut next = *progress;
    let mut tx = ctx.env.pool.begin().await?;
    if !store::tasks::fence(&mut tx, ctx.claim).await? {
        bail!("this worker lost the table's lease before committing; another worker carries on");
    }
    let mut unreferenced = Vec::new();
    let mut newest_ms: Option<i64> = None;
    for outcome in outcomes {
        match outcome {
            Ok((file, name, built)) => {
                let location = DeepStore::location(table, name);
                store::segments::upsert(
                    &mut *tx,
                    &NewSegment {
                        table,
                        segment_name: name,
                        source_file_key: &file.key,
                        location: &location,
                        row_count: built.rows as i64,
                        size_bytes: built.size_bytes as i64,
                        min_time_ms: built.min_time_ms,
                        max_time_ms: built.max_time_ms,
                        run_id: ctx.run_id,
                    },
                )
                .await?;
                unreferenced.extend(
                    store::segments::remove_superseded(&mut *tx, table, &file.key, name).await?,
                );
                store::files::mark_loaded(
                    &mut *tx,
                    table,
                    file,
                    built.rows as i64,
                    name,
                    ctx.run_id,
                )
                .await?;
                next.segments_generated += 1;
                next.segments_uploaded += 1;
                next.rows_loaded += built.rows as i64;
                next.bytes_read += file.size as i64;
                let modified = file.last_modified.map(|m| m.timestamp_millis());
                newest_ms = newest_ms.max(modified);
            }
            Err((file, error)) => {
                store::files::mark_failed(&mut *tx, table, file, error, ctx.run_id).await?;
                next.files_failed += 1;
            }
        }
    }
    for key in removed {
        unreferenced.extend(store::segments::remove_for_file(&mut *tx, table, key).await?);
        store::files::remove(&mut *tx, table, key).await?;
    }
    match advance {
        Advance::Nothing => {}
        Advance::Watermark => {
            if let Some(newest) = newest_ms {
                let previous = store::checkpoints::get(&mut *tx, table)
                    .await?
                    .and_then(|c| c.checkpoint_value.parse::<i64>().ok());
                let watermark = previous.map_or(newest, |p| p.max(newest));
                store::checkpoints::save(
                    &mut *tx,
                    table,
                    TIMESTAMP,
                    &watermark.to_string(),
                    ctx.run_id,
                )
                .await?;
            }
        }
        Advance::Snapshot { id, expected_rows } => {
            if let Some(expected) = expected_rows {
                let held = store::segments::totals(&mut *tx, table).await?.rows;
                if held != expected {
                    bail!(
                        "snapshot {id} holds {expected} rows (its summary's total-records minus position deletes), but Lakeport would hold {held}; the snapshot was not checkpointed"
                    );
                }
            }
            store::checkpoints::save(&mut *tx, table, SNAPSHOT_ID, &id.to_string(), ctx.run_id)
                .await?;
        }
    }
    store::runs::record_progress(&mut *tx, ctx.run_id, &next).await?;
    tx.commit().await?;
    *progress = next;
    for location in unreferenced {
        ctx.env.deep_store.remove(&location);
    }
    Ok(())
}
