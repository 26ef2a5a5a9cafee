//! The worker loop: claim a due table, run it under a heartbeat-renewed lease, release it with its next run time.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use super::context::SyncEnv;
use super::run;
use crate::model::schedule;
use crate::store::{self, tasks::Claim};

/// Runs until `shutdown` turns true, then waits for runs in progress to end.
pub async fn run_workers(env: SyncEnv, mut shutdown: watch::Receiver<bool>) {
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

async fn run_claimed(env: &SyncEnv, claim: Claim) {
    let lost = Arc::new(AtomicBool::new(false));
    let heartbeat = tokio::spawn(keep_lease(env.clone(), claim.clone(), lost.clone()));
    let started = std::time::Instant::now();
    let outcome = run::run_table(env, &claim, &lost).await;
    heartbeat.abort();
    match &outcome {
        Ok(status) => {
            tracing::info!(table = %claim.table_name, %status, elapsed_ms = started.elapsed().as_millis() as u64, "sync finished")
        }
        Err(err) => {
            tracing::warn!(table = %claim.table_name, error = %err, "sync could not record its outcome")
        }
    }
    let schedule_expr = store::tables::get(&env.pool, &claim.table_name)
        .await
        .ok()
        .flatten()
        .map(|t| t.schedule);
    let next = schedule_expr.and_then(|s| schedule::next_after(&s, chrono::Utc::now()));
    if let Err(err) = store::tasks::release(&env.pool, &claim.table_name, claim.token, next).await {
        tracing::warn!(table = %claim.table_name, error = %err, "releasing the lease failed; it will expire");
    }
}

async fn keep_lease(env: SyncEnv, claim: Claim, lost: Arc<AtomicBool>) {
    let every = Duration::from_millis(env.config.sync.heartbeat_interval_ms.max(100));
    let ttl = env.config.sync.lease_ttl_secs.max(1) as f64;
    loop {
        tokio::time::sleep(every).await;
        match store::tasks::heartbeat(&env.pool, &claim.table_name, claim.token, ttl).await {
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
