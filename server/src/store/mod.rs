//! Metadata in Postgres: pool set-up, migrations, and one file of SQL per kind of row.

pub mod ailake;
pub mod checkpoints;
pub mod connections;
pub mod embedded;
pub mod exports;
pub mod files;
pub mod iceberg;
pub mod metrics;
pub mod operations;
pub mod realtime;
pub mod runs;
pub mod schemas;
pub mod secrets;
pub mod segments;
pub mod sessions;
pub mod tables;
pub mod tasks;
pub mod tokens;
pub mod users;

use std::str::FromStr;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::config::Config;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// The database Lakeport talks to, and the embedded server behind it, if any.
pub struct Database {
    pub pool: PgPool,
    pub embedded: Option<embedded::EmbeddedPostgres>,
}

impl Database {
    pub async fn open(config: &Config) -> anyhow::Result<Self> {
        let (options, embedded) = match &config.database_url {
            Some(url) => (PgConnectOptions::from_str(url)?, None),
            None => {
                let data_dir = config.data_dir.clone();
                let server = tokio::task::spawn_blocking(move || {
                    embedded::EmbeddedPostgres::start(&data_dir)
                })
                .await??;
                (server.ensure_database().await?, Some(server))
            }
        };
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await?;
        Ok(Self { pool, embedded })
    }

    pub async fn migrate(&self) -> anyhow::Result<()> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    /// Closes the pool and stops the embedded cluster: the server owns it, even one
    /// it adopted from a process that was killed.
    pub async fn close(self) {
        self.close_and_stop(true).await;
    }

    /// For one-off commands (migrate, users, tokens): stops the embedded cluster
    /// only if this command started it, so a running server keeps its database.
    pub async fn close_leaving_others(self) {
        let started_here = self.embedded.as_ref().is_some_and(|s| s.started_here());
        self.close_and_stop(started_here).await;
    }

    async fn close_and_stop(self, stop: bool) {
        self.pool.close().await;
        if let Some(server) = self.embedded.filter(|_| stop) {
            let _ = tokio::task::spawn_blocking(move || server.stop()).await;
        }
    }
}
