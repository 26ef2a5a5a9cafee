//! Syncing an Iceberg table snapshot by snapshot: each snapshot's live data files (with
//! their delete files) are diffed against the ledger; files it added or whose deletes
//! changed are loaded, files it removed are dropped, and the checkpoint moves to it.

use std::collections::HashSet;
use std::sync::Arc;

use anyhow::{anyhow, bail};
use arrow::datatypes::{Field, Schema};
use arrow::record_batch::RecordBatch;
use futures::StreamExt;
use iceberg::spec::SnapshotRef;
use iceberg::table::Table;

use super::build::FileOutcome;
use super::commit::{Advance, SNAPSHOT_ID, commit};
use super::context::{RunContext, RunOutcome};
use crate::catalogs::iceberg_rest::IcebergRestCatalog;
use crate::catalogs::iceberg_rest::evolution::FieldBindings;
use crate::catalogs::iceberg_rest::snapshots::{self, ExpectedRows, PlannedFile};
use crate::catalogs::iceberg_rest::table::LoadedTable;
use crate::catalogs::params::IcebergRestSpec;
use crate::store::runs::RunProgress;
use crate::store::{self};

pub async fn execute(
    ctx: &RunContext<'_>,
    spec: &IcebergRestSpec,
    progress: &mut RunProgress,
) -> anyhow::Result<RunOutcome> {
    let pool = &ctx.env.pool;
    let catalog = IcebergRestCatalog::open(spec, &ctx.env.config)
        .await
        .map_err(|e| {
            anyhow!(
                "connecting to the Iceberg catalog {}: {e}",
                spec.display_uri()
            )
        })?;
    let name = catalog.table_name();
    let recorded = store::iceberg::get(pool, &ctx.table.name)
        .await?
        .ok_or_else(|| {
            anyhow!("Lakeport has no record of how {name} was onboarded; re-create the table")
        })?;
    let mut loaded = open(&catalog, &recorded).await?;

    let columns: Vec<String> = ctx.schema().fields().map(|(_, f)| f.name.clone()).collect();
    let (bindings, mut notes) = recorded
        .rebind(
            loaded.table.metadata().current_schema(),
            &columns,
            &name,
            &ctx.schema().schema_name,
        )
        .map_err(|m| anyhow!(m))?;
    if bindings != recorded {
        store::iceberg::save(pool, &ctx.table.name, &bindings).await?;
    }
    let projection = Arc::new(bindings.projection(&columns));

    let checkpoint = store::checkpoints::get(pool, &ctx.table.name)
        .await?
        .filter(|c| c.checkpoint_type == SNAPSHOT_ID)
        .and_then(|c| c.checkpoint_value.parse::<i64>().ok());
    let walk = snapshots::walk(&loaded.table.metadata_ref(), checkpoint);
    notes.extend(walk.note);
    for snapshot in walk.snapshots {
        ctx.ensure_lease()?;
        if loaded.credentials_expire_soon(chrono::Utc::now().timestamp_millis()) {
            loaded = open(&catalog, &bindings).await?;
        }
        let outcome = sync_snapshot(ctx, &loaded.table, &snapshot, &projection, progress)
            .await
            .map_err(|e| anyhow!("snapshot {}: {e:#}", snapshot.snapshot_id()))?;
        notes.extend(outcome.notes);
        if !outcome.failures.is_empty() {
            return Ok(RunOutcome {
                failures: outcome.failures,
                notes,
            });
        }
    }
    Ok(RunOutcome {
        failures: vec![],
        notes,
    })
}

/// Loads the table (with fresh vended credentials) and makes sure it is still the
/// table that was onboarded, not one re-created under the same name.
async fn open(
    catalog: &IcebergRestCatalog,
    recorded: &FieldBindings,
) -> anyhow::Result<LoadedTable> {
    let name = catalog.table_name();
    let loaded = catalog
        .open_table()
        .await
        .map_err(|e| anyhow!("loading {name}: {e}"))?;
    let uuid = loaded.table.metadata().uuid().to_string();
    if uuid != recorded.table_uuid {
        bail!(
            "the Iceberg table {name} was dropped and re-created (its UUID changed from {} to {uuid}); its snapshots do not continue what Lakeport loaded, so create a new Lakeport table for it",
            recorded.table_uuid
        );
    }
    Ok(loaded)
}

async fn sync_snapshot(
    ctx: &RunContext<'_>,
    table: &Table,
    snapshot: &SnapshotRef,
    projection: &Arc<Vec<(String, i32)>>,
    progress: &mut RunProgress,
) -> anyhow::Result<RunOutcome> {
    let env = ctx.env;
    let snapshot_id = snapshot.snapshot_id();
    let field_ids: Vec<i32> = projection.iter().map(|(_, id)| *id).collect();
    let planned = snapshots::plan(table, snapshot_id, &field_ids)
        .await
        .map_err(|e| anyhow!("planning its files: {e}"))?;
    progress.files_listed = planned.len() as i32;

    let ledger = store::files::by_key(&env.pool, &ctx.table.name).await?;
    let live: HashSet<&str> = planned.iter().map(|p| p.file.key.as_str()).collect();
    let removed: Vec<String> = ledger
        .keys()
        .filter(|k| !live.contains(k.as_str()))
        .cloned()
        .collect();
    // A snapshot that only adds files may become visible batch by batch; one that
    // removes or rewrites rows commits as a whole, so no query sees rows twice or
    // rows missing in between.
    let mut all_at_once = !removed.is_empty();
    let mut to_load = Vec::new();
    for file in planned {
        match ledger.get(&file.file.key) {
            Some(entry) if entry.is_loaded(&file.file) => {}
            Some(entry) => {
                all_at_once |= entry.state == "LOADED";
                to_load.push(file);
            }
            None => to_load.push(file),
        }
    }
    progress.files_discovered += to_load.len() as i32;
    store::runs::record_progress(&env.pool, ctx.run_id, progress).await?;

    let mut notes = Vec::new();
    let expected_rows = match snapshots::expected_rows(snapshot) {
        ExpectedRows::Exactly(rows) => Some(rows),
        ExpectedRows::Unknown(why) => {
            notes.push(why);
            None
        }
    };
    let advance = Advance::Snapshot {
        id: snapshot_id,
        expected_rows,
    };

    let batch_size = env.config.sync.commit_batch_files.max(1);
    let chunks: Vec<Vec<PlannedFile>> = chunked(to_load, batch_size);
    let chunk_count = chunks.len();
    let mut held: Vec<FileOutcome> = Vec::new();
    let mut failures: Vec<(String, String)> = Vec::new();
    for (index, chunk) in chunks.into_iter().enumerate() {
        ctx.ensure_lease()?;
        let outcomes: Vec<FileOutcome> = futures::stream::iter(
            chunk
                .into_iter()
                .map(|file| load_file(ctx, table.clone(), projection.clone(), file)),
        )
        .buffer_unordered(env.config.sync.file_concurrency.max(1))
        .collect()
        .await;
        failures.extend(
            outcomes
                .iter()
                .filter_map(|o| o.as_ref().err())
                .map(|(file, error)| (file.key.clone(), error.clone())),
        );
        if all_at_once {
            held.extend(outcomes);
        } else {
            let last = index + 1 == chunk_count;
            let step = if last && failures.is_empty() {
                advance
            } else {
                Advance::Nothing
            };
            commit(ctx, &outcomes, &[], step, progress).await?;
        }
    }
    if all_at_once && failures.is_empty() {
        commit(ctx, &held, &removed, advance, progress).await?;
    } else if all_at_once {
        // Record why files failed, but leave the snapshot unapplied as a whole.
        let (built, failed): (Vec<FileOutcome>, Vec<FileOutcome>) =
            held.into_iter().partition(Result::is_ok);
        commit(ctx, &failed, &[], Advance::Nothing, progress).await?;
        for (_, name, _) in built.into_iter().flatten() {
            ctx.env
                .deep_store
                .remove(&crate::segments::DeepStore::location(
                    &ctx.table.name,
                    &name,
                ));
        }
    } else if chunk_count == 0 {
        commit(ctx, &[], &[], advance, progress).await?;
    }
    Ok(RunOutcome { failures, notes })
}

fn chunked<T>(items: Vec<T>, size: usize) -> Vec<Vec<T>> {
    let mut chunks = Vec::new();
    let mut items = items.into_iter().peekable();
    while items.peek().is_some() {
        chunks.push(items.by_ref().take(size).collect());
    }
    chunks
}

async fn load_file(
    ctx: &RunContext<'_>,
    table: Table,
    projection: Arc<Vec<(String, i32)>>,
    planned: PlannedFile,
) -> FileOutcome {
    let PlannedFile { file, task } = planned;
    let batches = match snapshots::read(&table, task).await {
        Ok(batches) => batches,
        Err(err) => return Err((file, err.to_string())),
    };
    ctx.target
        .build(file, move || {
            batches
                .iter()
                .map(|b| name_by_column(b, &projection))
                .collect()
        })
        .await
}

/// The reader yields the projected fields in projection order, named as the Iceberg
/// schema names them now; segments name them as the Lakeport columns they feed.
fn name_by_column(
    batch: &RecordBatch,
    projection: &[(String, i32)],
) -> Result<RecordBatch, String> {
    if batch.num_columns() != projection.len() {
        return Err(format!(
            "the Iceberg reader returned {} columns where {} were asked for",
            batch.num_columns(),
            projection.len()
        ));
    }
    let fields: Vec<Field> = batch
        .schema()
        .fields()
        .iter()
        .zip(projection.iter())
        .map(|(field, (column, _))| field.as_ref().clone().with_name(column))
        .collect();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), batch.columns().to_vec())
        .map_err(|e| format!("renaming columns: {e}"))
}
