//! The watcher: claim a due task, hand it to its engine (sync, seal, export) under a
//! heartbeat-renewed lease, release it with its next run time.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use chrono::{DateTime, Utc};

use crate::model::schedule;
use crate::store::tasks::{Claim, TaskKind};
use crate::sync::context::WorkerEnv;
use crate::{export, pipes, realtime, store, sync};

/// Runs until `shutdown` turns true, then waits for runs in progress to end.
pub async fn run_workers(env: WorkerEnv, mut shutdown: watch::Receiver<bool>) {
    let permits = Arc::new(Semaphore::new(env.config.sync.max_concurrent_runs.max(1)));
    let poll = Duration::from_millis(env.config.sync.poll_interval_ms.max(50));
    let ttl = env.config.sync.lease_ttl_secs.max(1) as f64;
    let mut running = JoinSet::new();
    loop {
        if *shutdown.borrow() {
            break;
        }
        while running.try_join_next().is_some() {}
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => permit.expect("semaphore never closes"),
            _ = shutdown.changed() => break,
        };
        match store::tasks::claim_due(&env.pool, &env.worker_id, ttl).await {
            Ok(Some(claim)) => {
                let env = env.clone();
                running.spawn(async move {
                    run_claimed(&env, claim).await;
                    drop(permit);
                });
            }
            Ok(None) => {
                drop(permit);
                tokio::select! {
                    _ = tokio::time::sleep(poll) => {}
                    _ = env.woken() => {}
                    _ = shutdown.changed() => break,
                }
            }
            Err(err) => {
                drop(permit);
                tracing::warn!(error = %err, "claiming sync work failed; retrying");
                tokio::time::sleep(poll).await;
            }
        }
    }
    while running.join_next().await.is_some() {}
}

async fn run_claimed(env: &WorkerEnv, claim: Claim) {
    let lost = Arc::new(AtomicBool::new(false));
    let heartbeat = tokio::spawn(keep_lease(env.clone(), claim.clone(), lost.clone()));
    let started = std::time::Instant::now();
    let kind = claim.kind.as_str();
    let outcome = match claim.kind {
        TaskKind::Sync => sync::run::run_table(env, &claim, &lost).await,
        TaskKind::Seal => realtime::seal::run(env, &claim, &lost).await,
        TaskKind::Export => export::cycle::run(env, &claim, &lost).await,
        TaskKind::Operation => pipes::operations::run(env, &claim, &lost).await,
    };
    heartbeat.abort();
    match &outcome {
        Ok(status) => {
            tracing::info!(table = %claim.table_name, kind, %status, elapsed_ms = started.elapsed().as_millis() as u64, "task finished")
        }
        Err(err) => {
            tracing::warn!(table = %claim.table_name, kind, error = %err, "task could not record its outcome")
        }
    }
    let next = next_run(env, &claim).await;
    if let Err(err) = store::tasks::release(&env.pool, &claim, next).await {
        tracing::warn!(table = %claim.table_name, error = %err, "releasing the lease failed; it will expire");
    }
}

/// When the task is due again: a sync or export at its cron schedule's next time, a seal when
/// the consuming rows left reach the flush age (never, while there are none), an operation
/// that could not finish after a pause that grows with its attempts.
async fn next_run(env: &WorkerEnv, claim: &Claim) -> Option<DateTime<Utc>> {
    let now = Utc::now();
    if claim.kind == TaskKind::Operation {
        let attempts = store::operations::get(&env.pool, &claim.table_name)
            .await
            .ok()
            .flatten()
            .map_or(0, |op| op.attempts);
        return Some(pipes::operations::retry_at(attempts, now));
    }
    let table = store::tables::get(&env.pool, &claim.table_name)
        .await
        .ok()
        .flatten()?;
    match claim.kind {
        TaskKind::Sync => schedule::next_after(&table.schedule, now),
        TaskKind::Export => {
            export::config::schedule_of(&table).and_then(|expr| schedule::next_after(&expr, now))
        }
        TaskKind::Seal => realtime::seal::next_due(env, &table).await,
        TaskKind::Operation => None,
    }
}

async fn keep_lease(env: WorkerEnv, claim: Claim, lost: Arc<AtomicBool>) {
    let every = Duration::from_millis(env.config.sync.heartbeat_interval_ms.max(100));
    let ttl = env.config.sync.lease_ttl_secs.max(1) as f64;
    loop {
        tokio::time::sleep(every).await;
        match store::tasks::heartbeat(&env.pool, &claim, ttl).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(table = %claim.table_name, "lease lost to another worker; stopping this run");
                lost.store(true, Ordering::SeqCst);
                return;
            }
            Err(err) => tracing::warn!(table = %claim.table_name, error = %err, "heartbeat failed"),
        }
    }
}
