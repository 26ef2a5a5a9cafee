//! What every request and worker shares: the pool, config, secrets, deep store and SQL engine.

use std::sync::Arc;

use sqlx::PgPool;
use tokio::sync::Notify;

use crate::auth::throttle::SignInThrottle;
use crate::config::Config;
use crate::query::QueryEngine;
use crate::segments::DeepStore;
use crate::sources::SourceContext;
use crate::store::secrets::SecretBox;
use crate::sync::context::WorkerEnv;

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub config: Arc<Config>,
    pub secrets: SecretBox,
    pub deep_store: DeepStore,
    pub query: QueryEngine,
    /// Names this process in leases and run records.
    pub worker_id: Arc<str>,
    /// Sign-in attempt counts and the password-hashing queue.
    pub sign_in: SignInThrottle,
    wake: Arc<Notify>,
}

impl AppState {
    pub fn new(
        pool: PgPool,
        config: Config,
        secrets: SecretBox,
        deep_store: DeepStore,
    ) -> anyhow::Result<Self> {
        let query = QueryEngine::new(&config.query, deep_store.clone())?;
        let worker_id = format!(
            "{}-{}-{}",
            hostname(),
            std::process::id(),
            &uuid::Uuid::new_v4().simple().to_string()[..6]
        );
        let sign_in = SignInThrottle::new(&config.auth);
        Ok(Self {
            sign_in,
            pool,
            config: Arc::new(config),
            secrets,
            deep_store,
            query,
            worker_id: worker_id.into(),
            wake: Arc::new(Notify::new()),
        })
    }

    /// Tells this process's workers to look for work now instead of at their next poll.
    pub fn wake_workers(&self) {
        self.wake.notify_one();
    }

    pub async fn woken(&self) {
        self.wake.notified().await
    }

    /// The parts the watcher needs: its own copy of the handles, woken by [`Self::wake_workers`].
    pub fn worker_env(&self) -> WorkerEnv {
        WorkerEnv {
            pool: self.pool.clone(),
            config: self.config.clone(),
            secrets: self.secrets.clone(),
            deep_store: self.deep_store.clone(),
            worker_id: self.worker_id.clone(),
            wake: self.wake.clone(),
        }
    }

    /// The parts a source lookup needs, for the layers that may not take the whole state.
    pub fn sources(&self) -> SourceContext<'_> {
        SourceContext {
            pool: &self.pool,
            secrets: &self.secrets,
            config: &self.config,
        }
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "lakeport".into())
}
