//! What a sync run works with and how it ends, below `run`, `files`, `iceberg` and `commit`
//! so none of them imports another to get it (it needs only `build`'s segment target).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, anyhow, bail};
use sqlx::PgPool;
use tokio::sync::Notify;

use super::build::SegmentTarget;
use crate::config::Config;
use crate::model::schema::TableSchema;
use crate::model::table_config::TableConfig;
use crate::segments::DeepStore;
use crate::segments::builder::SegmentPlan;
use crate::sources::SourceContext;
use crate::store;
use crate::store::secrets::SecretBox;
use crate::store::tables::TableRow;
use crate::store::tasks::Claim;

/// The parts of the application the watcher uses, instead of the whole state.
#[derive(Clone)]
pub struct WorkerEnv {
    pub pool: PgPool,
    pub config: Arc<Config>,
    pub secrets: SecretBox,
    pub deep_store: DeepStore,
    /// Names this process in leases and run records.
    pub worker_id: Arc<str>,
    /// Notified when a request asks for work now (see `AppState::wake_workers`).
    pub wake: Arc<Notify>,
}

impl WorkerEnv {
    pub async fn woken(&self) {
        self.wake.notified().await
    }

    pub fn sources(&self) -> SourceContext<'_> {
        SourceContext {
            pool: &self.pool,
            secrets: &self.secrets,
            config: &self.config,
        }
    }
}

/// A table's stored config and the plan its segments (and a REALTIME table's chunks) are built to.
pub async fn table_plan(
    pool: &PgPool,
    table: &TableRow,
) -> anyhow::Result<(TableConfig, SegmentPlan)> {
    let config: TableConfig = serde_json::from_value(table.config.clone())
        .context("stored table config is unreadable")?;
    let body = store::schemas::get(pool, &table.schema_name)
        .await?
        .ok_or_else(|| anyhow!("schema '{}' no longer exists", table.schema_name))?;
    let schema: TableSchema =
        serde_json::from_value(body).context("stored schema is unreadable")?;
    let plan = SegmentPlan::for_table(schema, &table.segment_types, &config);
    Ok((config, plan))
}

/// What a run works with: the table, its lease, and where its segments go.
pub struct RunContext<'a> {
    pub env: &'a WorkerEnv,
    pub table: &'a TableRow,
    pub claim: &'a Claim,
    pub run_id: i64,
    pub lost: &'a AtomicBool,
    pub target: SegmentTarget,
}

impl RunContext<'_> {
    /// Stops a run whose lease was taken over, before it does more work.
    pub fn ensure_lease(&self) -> anyhow::Result<()> {
        if self.lost.load(Ordering::SeqCst) {
            bail!("this worker lost the table's lease; another worker carries on");
        }
        Ok(())
    }

    pub fn schema(&self) -> &TableSchema {
        &self.target.plan.schema
    }
}

/// How a run ended when nothing stopped it outright.
#[derive(Debug, Default)]
pub struct RunOutcome {
    /// Files that could not be loaded, with the reason: `(file key, error)`.
    pub failures: Vec<(String, String)>,
    /// What a person should know about a run that is not an error.
    pub notes: Vec<String>,
}
