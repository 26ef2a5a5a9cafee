//! One sync run: list the source, diff against the ledger, build segments, commit each batch atomically.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, anyhow, bail};
use futures::StreamExt;

use crate::catalogs::{self, Catalog, SourceFile, reader};
use crate::model::schema::{TableSchema, parse_source_types, segment_arrow_schema};
use crate::model::table_config::TableConfig;
use crate::segments::builder::{BuiltSegment, SegmentPlan, conform, write_segment};
use crate::segments::{DeepStore, segment_name};
use crate::service::tables;
use crate::state::AppState;
use crate::store::runs::RunProgress;
use crate::store::segments::NewSegment;
use crate::store::tables::TableRow;
use crate::store::{self, tasks::Claim};

pub const STATUS_COMPLETED: &str = "COMPLETED";
pub const STATUS_FAILED: &str = "FAILED";

/// Runs one sync of a claimed table and records its outcome. Errors are returned
/// only when even the outcome could not be written.
pub async fn run_table(
    state: &AppState,
    claim: &Claim,
    lost: &AtomicBool,
) -> anyhow::Result<&'static str> {
    let Some(table) = store::tables::get(&state.pool, &claim.table_name).await? else {
        return Ok("table deleted");
    };
    store::runs::fail_abandoned(&state.pool, &table.name).await?;
    let run_id =
        store::runs::start(&state.pool, &table.name, &claim.trigger, &state.worker_id).await?;
    let mut progress = RunProgress::default();
    let outcome = execute(state, &table, claim, run_id, &mut progress, lost).await;
    let checkpoint = store::checkpoints::get(&state.pool, &table.name)
        .await?
        .map(|c| c.checkpoint_value);
    let (status, error) = match outcome {
        Ok(failures) if failures.is_empty() => (STATUS_COMPLETED, None),
        Ok(failures) => {
            let first = &failures[0];
            (
                STATUS_FAILED,
                Some(format!(
                    "{} of {} files could not be loaded and will be retried on the next run; first: '{}': {}",
                    failures.len(),
                    progress.files_discovered,
                    first.0,
                    first.1
                )),
            )
        }
        Err(err) => (STATUS_FAILED, Some(format!("{err:#}"))),
    };
    store::runs::record_progress(&state.pool, run_id, &progress).await?;
    store::runs::finish(
        &state.pool,
        run_id,
        status,
        checkpoint.as_deref(),
        error.as_deref(),
    )
    .await?;
    Ok(status)
}

/// What a file became: a segment, or the reason it did not.
type FileOutcome = Result<(SourceFile, String, BuiltSegment), (SourceFile, String)>;

async fn execute(
    state: &AppState,
    table: &TableRow,
    claim: &Claim,
    run_id: i64,
    progress: &mut RunProgress,
    lost: &AtomicBool,
) -> anyhow::Result<Vec<(String, String)>> {
    let config: TableConfig = serde_json::from_value(table.config.clone())
        .context("stored table config is unreadable")?;
    let spec = tables::stored_source(state, table)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let catalog = catalogs::open(&spec, &state.config)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let schema_body = store::schemas::get(&state.pool, &table.schema_name)
        .await?
        .ok_or_else(|| anyhow!("schema '{}' no longer exists", table.schema_name))?;
    let schema: TableSchema =
        serde_json::from_value(schema_body).context("stored schema is unreadable")?;
    let plan = Arc::new(SegmentPlan {
        arrow_schema: Arc::new(segment_arrow_schema(
            &schema,
            &parse_source_types(&table.segment_types),
        )),
        time_column: config.segments_config.time_column_name.clone(),
        bloom_filter_columns: bloom_filter_columns(&config),
        schema,
    });

    let listed = catalog
        .list_files()
        .await
        .map_err(|e| anyhow!("listing {}: {e}", catalog.root_uri()))?;
    progress.files_listed = listed.len() as i32;

    let committed = store::segments::for_table(&state.pool, &table.name).await?;
    let referenced: HashSet<String> = committed.iter().map(|s| s.location.clone()).collect();
    let orphans = state
        .deep_store
        .collect_orphans(&table.name, &referenced)
        .context("collecting orphan segment files")?;
    if orphans > 0 {
        tracing::info!(table = %table.name, orphans, "removed segment files left by an interrupted run");
    }

    let ledger: HashMap<String, store::files::LedgerEntry> =
        store::files::for_table(&state.pool, &table.name)
            .await?
            .into_iter()
            .map(|e| (e.file_key.clone(), e))
            .collect();
    let to_load: Vec<SourceFile> = listed
        .into_iter()
        .filter(|file| match ledger.get(&file.key) {
            Some(entry) => {
                entry.state != "LOADED"
                    || entry.etag != file.etag
                    || entry.size_bytes != file.size as i64
            }
            None => true,
        })
        .collect();
    progress.files_discovered = to_load.len() as i32;
    store::runs::record_progress(&state.pool, run_id, progress).await?;

    let mut failures = Vec::new();
    let batch_size = state.config.sync.commit_batch_files.max(1);
    for chunk in to_load.chunks(batch_size) {
        if lost.load(Ordering::SeqCst) {
            bail!("this worker lost the table's lease; another worker carries on");
        }
        let outcomes: Vec<FileOutcome> = futures::stream::iter(chunk.iter().cloned().map(|file| {
            let catalog = catalog.clone();
            let plan = plan.clone();
            let store = state.deep_store.clone();
            let table_name = table.name.clone();
            let raw_name = table.raw_name.clone();
            async move { load_file(catalog, plan, store, &table_name, &raw_name, file).await }
        }))
        .buffer_unordered(state.config.sync.file_concurrency.max(1))
        .collect()
        .await;
        let replaced = commit_batch(state, table, claim, run_id, &outcomes, progress).await?;
        for location in replaced {
            state.deep_store.remove(&location);
        }
        failures.extend(
            outcomes
                .into_iter()
                .filter_map(Result::err)
                .map(|(file, error)| (file.key, error)),
        );
    }
    Ok(failures)
}

async fn load_file(
    catalog: Arc<dyn Catalog>,
    plan: Arc<SegmentPlan>,
    store: DeepStore,
    table_name: &str,
    raw_name: &str,
    file: SourceFile,
) -> FileOutcome {
    let bytes = match catalog.read_all(&file).await {
        Ok(bytes) => bytes,
        Err(err) => return Err((file, err.to_string())),
    };
    let name = segment_name(raw_name, &file.key, &file.etag);
    let dest = store.path(&DeepStore::location(table_name, &name));
    let built = tokio::task::spawn_blocking({
        let file = file.clone();
        move || -> Result<BuiltSegment, String> {
            let (_, batches) = reader::decode_all(&file, bytes).map_err(|e| e.to_string())?;
            let conformed = batches
                .iter()
                .map(|b| conform(b, &file.key, &plan))
                .collect::<Result<Vec<_>, _>>()?;
            write_segment(&plan, &conformed, &dest)
        }
    })
    .await
    .unwrap_or_else(|e| Err(format!("segment build crashed: {e}")));
    match built {
        Ok(built) => Ok((file, name, built)),
        Err(error) => Err((file, error)),
    }
}

/// Makes one batch of files visible: segments, ledger, checkpoint and run counters
/// in one transaction, under the lease. Returns the locations of segments that
/// re-written files replaced, to delete once the commit is durable.
async fn commit_batch(
    state: &AppState,
    table: &TableRow,
    claim: &Claim,
    run_id: i64,
    outcomes: &[FileOutcome],
    progress: &mut RunProgress,
) -> anyhow::Result<Vec<String>> {
    let mut next = *progress;
    let mut tx = state.pool.begin().await?;
    if !store::tasks::fence(&mut tx, &table.name, claim.token).await? {
        bail!("this worker lost the table's lease before committing; another worker carries on");
    }
    let mut replaced = Vec::new();
    let mut newest_ms: Option<i64> = None;
    for outcome in outcomes {
        match outcome {
            Ok((file, name, built)) => {
                let location = DeepStore::location(&table.name, name);
                store::segments::upsert(
                    &mut *tx,
                    &NewSegment {
                        table: &table.name,
                        segment_name: name,
                        source_file_key: &file.key,
                        location: &location,
                        row_count: built.rows as i64,
                        size_bytes: built.size_bytes as i64,
                        min_time_ms: built.min_time_ms,
                        max_time_ms: built.max_time_ms,
                        run_id,
                    },
                )
                .await?;
                replaced.extend(
                    store::segments::remove_superseded(&mut *tx, &table.name, &file.key, name)
                        .await?,
                );
                store::files::mark_loaded(
                    &mut *tx,
                    &table.name,
                    file,
                    built.rows as i64,
                    name,
                    run_id,
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
                store::files::mark_failed(&mut *tx, &table.name, file, error, run_id).await?;
                next.files_failed += 1;
            }
        }
    }
    if let Some(newest) = newest_ms {
        let previous = store::checkpoints::get(&mut *tx, &table.name)
            .await?
            .and_then(|c| c.checkpoint_value.parse::<i64>().ok());
        let watermark = previous.map_or(newest, |p| p.max(newest));
        store::checkpoints::save(
            &mut *tx,
            &table.name,
            "TIMESTAMP",
            &watermark.to_string(),
            run_id,
        )
        .await?;
    }
    store::runs::record_progress(&mut *tx, run_id, &next).await?;
    tx.commit().await?;
    *progress = next;
    Ok(replaced)
}

fn bloom_filter_columns(config: &TableConfig) -> Vec<String> {
    config
        .extra
        .get("tableIndexConfig")
        .and_then(|c| c.get("bloomFilterColumns"))
        .and_then(|c| c.as_array())
        .map(|columns| {
            columns
                .iter()
                .filter_map(|c| c.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}
