//! One sync run: set up what every source kind shares, run the source's own flow, record the outcome.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::{Context, anyhow};

use super::build::SegmentTarget;
use super::context::{RunContext, RunOutcome, WorkerEnv, table_plan};
use super::{files, iceberg};
use crate::catalogs::SourceSpec;
use crate::sources;
use crate::store::runs::RunProgress;
use crate::store::tables::TableRow;
use crate::store::{self, tasks::Claim};

pub const STATUS_COMPLETED: &str = "COMPLETED";
pub const STATUS_FAILED: &str = "FAILED";

/// Runs one sync of a claimed table and records its outcome. Errors are returned
/// only when even the outcome could not be written.
pub async fn run_table(
    env: &WorkerEnv,
    claim: &Claim,
    lost: &AtomicBool,
) -> anyhow::Result<&'static str> {
    let Some(table) = store::tables::get(&env.pool, &claim.table_name).await? else {
        return Ok("table deleted");
    };
    store::runs::fail_abandoned(&env.pool, &table.name).await?;
    // The run and the schedule request it serves are recorded together, so the
    // request's task name moves from waiting to this run with nothing in between.
    let mut tx = env.pool.begin().await?;
    let request_id = match claim.request_id {
        Some(id) if store::tasks::take_request(&mut *tx, &table.name, claim.kind, id).await? => {
            Some(id)
        }
        _ => None,
    };
    let run_id = store::runs::start(
        &mut *tx,
        &table.name,
        &claim.trigger,
        &env.worker_id,
        request_id,
    )
    .await?;
    tx.commit().await?;
    let mut progress = RunProgress::default();
    let outcome = execute(env, &table, claim, run_id, lost, &mut progress).await;
    let checkpoint = store::checkpoints::get(&env.pool, &table.name)
        .await?
        .map(|c| c.checkpoint_value);
    let (status, error, notes) = match outcome {
        Ok(RunOutcome { failures, notes }) if failures.is_empty() => {
            (STATUS_COMPLETED, None, notes)
        }
        Ok(RunOutcome { failures, notes }) => {
            let first = &failures[0];
            let error = format!(
                "{} of {} files could not be loaded and will be retried on the next run; first: '{}': {}",
                failures.len(),
                progress.files_discovered,
                first.0,
                first.1
            );
            (STATUS_FAILED, Some(error), notes)
        }
        Err(err) => (STATUS_FAILED, Some(format!("{err:#}")), vec![]),
    };
    let note = (!notes.is_empty()).then(|| notes.join("; "));
    store::runs::record_progress(&env.pool, run_id, &progress).await?;
    store::runs::finish(
        &env.pool,
        run_id,
        status,
        checkpoint.as_deref(),
        error.as_deref(),
        note.as_deref(),
    )
    .await?;
    Ok(status)
}

async fn execute(
    env: &WorkerEnv,
    table: &TableRow,
    claim: &Claim,
    run_id: i64,
    lost: &AtomicBool,
    progress: &mut RunProgress,
) -> anyhow::Result<RunOutcome> {
    let (_, plan) = table_plan(&env.pool, table).await?;
    let spec = sources::stored_source(&env.sources(), table)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let plan = Arc::new(plan);

    let committed = store::segments::for_table(&env.pool, &table.name).await?;
    let referenced: HashSet<String> = committed.iter().map(|s| s.location.clone()).collect();
    let orphans = env
        .deep_store
        .collect_orphans(&table.name, &referenced)
        .context("collecting orphan segment files")?;
    if orphans > 0 {
        tracing::info!(table = %table.name, orphans, "removed segment files left by an interrupted run");
    }

    let ctx = RunContext {
        env,
        table,
        claim,
        run_id,
        lost,
        target: SegmentTarget {
            plan,
            store: env.deep_store.clone(),
            table_name: table.name.clone(),
            raw_name: table.raw_name.clone(),
        },
    };
    match &spec {
        SourceSpec::IcebergRest(rest) => iceberg::execute(&ctx, rest, progress).await,
        SourceSpec::Local(_) | SourceSpec::S3(_) => files::execute(&ctx, &spec, progress).await,
    }
}
