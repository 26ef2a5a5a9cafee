//! A private Postgres cluster in the data dir, for running with no database configured.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use sqlx::postgres::PgConnectOptions;

const USER: &str = "lakeport";
const DATABASE: &str = "lakeport";
const PORT: u16 = 5432;

pub struct EmbeddedPostgres {
    bin_dir: PathBuf,
    data_dir: PathBuf,
    socket_dir: PathBuf,
    run_as: Option<String>,
    /// Whether this process started the cluster, rather than finding it running.
    started_here: bool,
}

impl EmbeddedPostgres {
    /// Initialises the cluster on first use and starts it (or adopts one left running
    /// by a process that was killed).
    pub fn start(lakeport_data_dir: &Path) -> anyhow::Result<Self> {
        let bin_dir = find_binaries()?;
        let root = absolute(lakeport_data_dir)?;
        let data_dir = root.join("postgres");
        let socket_dir = root.join("pg-socket");
        // initdb and postgres refuse to run as root, so as root we hand the cluster to
        // the `postgres` system user that Debian's packages create.
        let run_as = is_root().then(|| "postgres".to_owned());
        let mut this = Self {
            bin_dir,
            data_dir,
            socket_dir,
            run_as,
            started_here: false,
        };
        std::fs::create_dir_all(&this.socket_dir)?;
        if this.run_as.is_some() {
            // The postgres user must be able to pass through Lakeport's folder (not list it).
            use std::os::unix::fs::PermissionsExt;
            let mut permissions = std::fs::metadata(&root)?.permissions();
            permissions.set_mode(permissions.mode() | 0o011);
            std::fs::set_permissions(&root, permissions)?;
            let reachable = this
                .command_raw("test", &["-x", path(&root)])
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if !reachable {
                bail!(
                    "the embedded Postgres runs as the 'postgres' user, which cannot reach {}: make its parent folders \
                     traversable (chmod o+x) or choose another LAKEPORT_DATA_DIR",
                    root.display()
                );
            }
        }
        if !this.data_dir.join("PG_VERSION").exists() {
            std::fs::create_dir_all(&this.data_dir)?;
            this.hand_over(&this.data_dir)?;
            tracing::info!(dir = %this.data_dir.display(), "initialising embedded Postgres");
            this.run(
                "initdb",
                &[
                    "-D",
                    path(&this.data_dir),
                    "-U",
                    USER,
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ],
            )?;
        }
        this.hand_over(&this.socket_dir)?;
        if !this.is_running() {
            let log = this.data_dir.join("server.log");
            let options = format!(
                "-k {} -c listen_addresses='' -p {PORT}",
                this.socket_dir.display()
            );
            this.run(
                "pg_ctl",
                &[
                    "-D",
                    path(&this.data_dir),
                    "-l",
                    path(&log),
                    "-w",
                    "-t",
                    "60",
                    "-o",
                    &options,
                    "start",
                ],
            )?;
            this.started_here = true;
        }
        Ok(this)
    }

    pub fn connect_options(&self, database: &str) -> PgConnectOptions {
        PgConnectOptions::new()
            .socket(&self.socket_dir)
            .port(PORT)
            .username(USER)
            .database(database)
    }

    /// Creates Lakeport's database if it is missing and returns how to reach it.
    pub async fn ensure_database(&self) -> anyhow::Result<PgConnectOptions> {
        use sqlx::Connection;
        let mut admin = sqlx::PgConnection::connect_with(&self.connect_options("postgres")).await?;
        let exists: Option<i32> =
            sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
                .bind(DATABASE)
                .fetch_optional(&mut admin)
                .await?;
        if exists.is_none() {
            sqlx::query(&format!("CREATE DATABASE {DATABASE}"))
                .execute(&mut admin)
                .await?;
        }
        Ok(self.connect_options(DATABASE))
    }

    pub fn started_here(&self) -> bool {
        self.started_here
    }

    pub fn stop(&self) {
        if let Err(err) = self.run(
            "pg_ctl",
            &["-D", path(&self.data_dir), "-m", "fast", "-w", "stop"],
        ) {
            tracing::warn!(error = %err, "stopping embedded Postgres failed");
        }
    }

    fn is_running(&self) -> bool {
        self.command("pg_ctl", &["-D", path(&self.data_dir), "status"])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    }

    fn command(&self, tool: &str, args: &[&str]) -> Command {
        self.command_raw(self.bin_dir.join(tool), args)
    }

    fn command_raw(&self, program: impl AsRef<std::ffi::OsStr>, args: &[&str]) -> Command {
        match &self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command
                    .arg("-u")
                    .arg(user)
                    .arg("--")
                    .arg(program)
                    .args(args);
                command
            }
            None => {
                let mut command = Command::new(program);
                command.args(args);
                command
            }
        }
    }

    fn run(&self, tool: &str, args: &[&str]) -> anyhow::Result<()> {
        let output = self
            .command(tool, args)
            .output()
            .with_context(|| format!("running {tool}"))?;
        if !output.status.success() {
            bail!(
                "{tool} failed: {}{}",
                String::from_utf8_lossy(&output.stderr),
                String::from_utf8_lossy(&output.stdout)
            );
        }
        Ok(())
    }

    fn hand_over(&self, dir: &Path) -> anyhow::Result<()> {
        if let Some(user) = &self.run_as {
            let status = Command::new("chown")
                .arg("-R")
                .arg(format!("{user}:{user}"))
                .arg(dir)
                .status()?;
            if !status.success() {
                bail!("could not give {} to the '{user}' user", dir.display());
            }
        }
        Ok(())
    }
}

fn find_binaries() -> anyhow::Result<PathBuf> {
    let mut candidates: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            (bin.join("initdb").exists() && bin.join("pg_ctl").exists()).then_some((version, bin))
        })
        .collect();
    candidates.sort();
    match candidates.pop() {
        Some((_, bin)) => Ok(bin),
        None => bail!(
            "no PostgreSQL server binaries found (looked for initdb and pg_ctl in /usr/lib/postgresql/*/bin). \
             Install them with `apt-get install postgresql`, or point Lakeport at a server with LAKEPORT_DATABASE_URL"
        ),
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn absolute(dir: &Path) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    Ok(dir.canonicalize()?)
}

fn path(p: &Path) -> &str {
    p.to_str().expect("data dir paths are UTF-8")
}
