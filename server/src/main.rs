//! The `lakeport` binary: serve, migrate, manage users and tokens, and write demo data.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use lakeport::config::Config;
use lakeport::startup::Application;
use lakeport::store::Database;
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "lakeport",
    version,
    about = "Brings lake data into a queryable store and keeps it in sync"
)]
struct Cli {
    /// A TOML config file; `LAKEPORT_*` variables override it.
    #[arg(long, global = true, env = "LAKEPORT_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the UI and REST API, and run scheduled syncs.
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Create a user who can sign in; the password is read from standard input.
    CreateUser {
        #[arg(long)]
        username: String,
    },
    /// Set a user's password, read from standard input; ends all of the user's
    /// sessions and revokes its API tokens.
    SetPassword {
        #[arg(long)]
        username: String,
    },
    /// Create an API token for a user and print it (for bootstrapping scripts).
    CreateToken {
        #[arg(long)]
        username: String,
        /// A name that says what the token is for.
        #[arg(long)]
        name: String,
        /// Days until the token expires (default: never).
        #[arg(long)]
        expires_in_days: Option<i64>,
    },
    /// Write TPC-H lineitem as Parquet files (a demo dataset or benchmark input).
    DemoData {
        /// Folder to write into (default: <data dir>/lake/tpch/lineitem).
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long, default_value_t = 0.01)]
        scale_factor: f64,
        #[arg(long, default_value_t = 4)]
        files: usize,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=warn")),
        )
        .init();
    let cli = Cli::parse();
    let config = Config::load(cli.config.as_deref()).context("reading the configuration")?;
    match cli.command {
        Command::Serve => {
            let app = Application::build(config).await?;
            app.run_until_stopped(shutdown_signal()).await
        }
        Command::Migrate => {
            let database = Database::open(&config).await?;
            database.migrate().await?;
            database.close_leaving_others().await;
            println!("migrations applied");
            Ok(())
        }
        Command::CreateUser { username } => {
            let password = read_password()?;
            with_database(&config, |pool| async move {
                lakeport::service::auth::create_user(&pool, &username, password).await?;
                println!("created user '{username}'");
                Ok(())
            })
            .await
        }
        Command::SetPassword { username } => {
            let password = read_password()?;
            with_database(&config, |pool| async move {
                let ended =
                    lakeport::service::auth::set_password(&pool, &username, password).await?;
                println!(
                    "password of '{username}' changed; ended {} session(s) and revoked {} API token(s)",
                    ended.sessions, ended.tokens
                );
                Ok(())
            })
            .await
        }
        Command::CreateToken {
            username,
            name,
            expires_in_days,
        } => {
            with_database(&config, |pool| async move {
                let token = lakeport::service::auth::create_token_for(
                    &pool,
                    &username,
                    &name,
                    expires_in_days,
                )
                .await?;
                println!("{token}");
                Ok(())
            })
            .await
        }
        Command::DemoData {
            out,
            scale_factor,
            files,
        } => {
            let dir =
                out.unwrap_or_else(|| config.data_dir.join("lake").join("tpch").join("lineitem"));
            let written = tokio::task::spawn_blocking(move || {
                lakeport::demo::write_lineitem(&dir, scale_factor, files).map(|w| (w, dir))
            })
            .await??;
            let (written, dir) = written;
            println!(
                "wrote {} rows in {} files ({} bytes) to {}",
                written.rows,
                written.files,
                written.bytes,
                dir.display()
            );
            Ok(())
        }
    }
}

/// The first line of standard input, without its line ending.
fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// Runs `work` against the migrated database, then closes it (and stops an
/// embedded cluster this command started).
async fn with_database<F, Fut>(config: &Config, work: F) -> anyhow::Result<()>
where
    F: FnOnce(sqlx::PgPool) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let database = Database::open(config).await?;
    database.migrate().await?;
    let result = work(database.pool.clone()).await;
    database.close_leaving_others().await;
    result
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("signal handler");
    tokio::select! {
        _ = interrupt => {}
        _ = terminate.recv() => {}
    }
    tracing::info!("shutting down");
}
