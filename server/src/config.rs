//! Typed configuration: defaults, then an optional TOML file, then `LAKEPORT_*` variables. Passed in, never global.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Deserializer, Serialize};

use crate::model::secret::Secret;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Config {
    /// Postgres for metadata. When absent, Lakeport runs a private cluster in `data_dir`.
    pub database_url: Option<String>,
    pub listen_addr: SocketAddr,
    pub data_dir: PathBuf,
    /// Endpoint for S3 connections that name none (an S3-compatible server).
    pub s3_endpoint: Option<String>,
    /// Base64 of 32 bytes that encrypt stored secrets; generated into the data dir when absent.
    pub secret_key: Option<Secret>,
    /// Folders `local` connections may read; empty means `<data_dir>/lake`.
    #[serde(deserialize_with = "comma_separated_paths", default)]
    pub local_roots: Vec<PathBuf>,
    /// Where cargo-leptos put the site (wasm, js, css).
    pub site_root: PathBuf,
    pub sync: SyncConfig,
    pub query: QueryConfig,
    pub auth: AuthConfig,
    pub outbound: OutboundConfig,
    pub http: HttpConfig,
    pub aws: AwsConfig,
    #[serde(default)]
    pub ailake: AilakeConfig,
}

/// The AI Lake API's settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AilakeConfig {
    /// Object storages registered (or updated) at every start, so pipe tables can name them.
    #[serde(default)]
    pub object_storages: Vec<ObjectStorageConfig>,
}

/// One `[[ailake.object_storages]]` entry of the config file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ObjectStorageConfig {
    pub name: String,
    #[serde(default)]
    pub storage_type: Option<String>,
    pub bucket: String,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub endpoint: Option<String>,
    #[serde(default)]
    pub access_key_id: Option<String>,
    #[serde(default)]
    pub secret_access_key: Option<Secret>,
}

/// How S3 connections may get their AWS credentials beyond their own keys.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AwsConfig {
    /// Lets connections without keys sign with the server's own identity (the cluster
    /// node role: environment, profile, web identity, instance metadata). Off, so no
    /// user can borrow the server's permissions unless the operator decides so.
    pub allow_node_role: bool,
    /// How long an assumed role's credentials last (STS allows 900 to 43200 seconds).
    pub assume_role_duration_secs: u64,
    /// Credentials are renewed at most this long (and at least half this long) before
    /// they expire; the SDK's cache spreads renewals over that window.
    pub credential_refresh_secs: u64,
}

impl Default for AwsConfig {
    fn default() -> Self {
        Self {
            allow_node_role: false,
            assume_role_duration_secs: 3600,
            credential_refresh_secs: 300,
        }
    }
}

/// Where a user's connections may send requests (see catalogs/outbound.rs).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OutboundConfig {
    /// Hosts beyond the public internet that connections may reach: host names, IPs,
    /// `IP:port` / `host:port` (that port only) or CIDRs (`10.0.0.0/8`). Empty (the
    /// default) refuses loopback, link-local, private and other non-public addresses.
    #[serde(deserialize_with = "comma_separated_strings", default)]
    pub allow: Vec<String>,
}

/// Limits every HTTP request gets, whatever its route.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HttpConfig {
    /// A request still unanswered after this long gets a 408. Above the SQL
    /// timeout (`query.timeout_ms`), so a slow query answers with its own error.
    pub request_timeout_secs: u64,
    /// Largest request body accepted; larger ones get a 413.
    pub max_body_bytes: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthConfig {
    /// The first user, created when there is none.
    pub admin_username: String,
    /// Its password; when absent, one is generated into `<data_dir>/initial-admin-password`.
    pub admin_password: Option<Secret>,
    /// Marks the session cookie Secure (and names it `__Host-…`). Browsers accept
    /// Secure cookies from `http://localhost` and `127.0.0.1`; turn this off only to
    /// serve plain HTTP to other hosts.
    pub secure_cookies: bool,
    /// A session ends after this long without a request.
    pub session_idle_minutes: u64,
    /// Sign-in attempts one client address may make per minute (IPv6 counts per /64).
    pub sign_in_per_minute_per_address: u32,
    /// Failed sign-ins one user name may take per minute, from anywhere.
    pub sign_in_failures_per_minute_per_user: u32,
    /// Password hashes computed at once (each takes ~19 MiB and a core for a moment).
    pub password_hash_concurrency: usize,
    /// Sign-ins that may wait for a hashing slot; past it, a 503 with `Retry-After`.
    pub password_hash_queue: usize,
    /// Take the client address from the last `X-Forwarded-For` entry: only
    /// behind a proxy that sets it, or any client could pick its own address.
    pub trust_forwarded_for: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SyncConfig {
    /// Whether this process runs sync workers (an API-only replica sets false).
    pub workers_enabled: bool,
    /// How often a worker looks for due tables.
    pub poll_interval_ms: u64,
    /// How long a claimed table stays ours without a heartbeat.
    pub lease_ttl_secs: u64,
    pub heartbeat_interval_ms: u64,
    /// Tables synced at once by this process.
    pub max_concurrent_runs: usize,
    /// Files decoded and written at once within one run.
    pub file_concurrency: usize,
    /// Files per commit: progress is durable every this many files.
    pub commit_batch_files: usize,
    /// The schedule of tables whose config names none (Quartz or five-field cron).
    pub default_schedule: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QueryConfig {
    /// Parsing, planning and running a query together, at most.
    pub timeout_ms: u64,
    /// The memory pool all running queries share (sorts, joins, aggregations).
    pub memory_limit_mb: usize,
    /// Rows returned to the client at most; the answer says when it was cut.
    pub max_result_rows: usize,
    /// About how many bytes of rows an answer carries at most (JSON); also cut, and said.
    pub max_result_bytes: usize,
    /// Longer statements are refused before they are parsed.
    pub max_sql_bytes: usize,
    /// How deeply expressions, subqueries and set operations may nest.
    pub max_expression_depth: usize,
    /// Queries running at once; past it, 429 with `Retry-After`.
    pub max_concurrent: usize,
    /// Threads of the query runtime (apart from the HTTP runtime and the syncs).
    pub threads: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: None,
            listen_addr: SocketAddr::from(([127, 0, 0, 1], 9000)),
            data_dir: PathBuf::from(".lakeport"),
            s3_endpoint: None,
            secret_key: None,
            local_roots: Vec::new(),
            site_root: PathBuf::from("target/site"),
            sync: SyncConfig {
                workers_enabled: true,
                poll_interval_ms: 1000,
                lease_ttl_secs: 30,
                heartbeat_interval_ms: 5000,
                max_concurrent_runs: 2,
                file_concurrency: 2,
                commit_batch_files: 16,
                default_schedule: crate::model::table_config::DEFAULT_SCHEDULE.into(),
            },
            query: QueryConfig {
                timeout_ms: 30_000,
                memory_limit_mb: 2048,
                max_result_rows: 10_000,
                max_result_bytes: 64 * 1024 * 1024,
                max_sql_bytes: 100_000,
                max_expression_depth: 200,
                max_concurrent: 8,
                threads: 2,
            },
            auth: AuthConfig {
                admin_username: "admin".into(),
                admin_password: None,
                secure_cookies: true,
                session_idle_minutes: 12 * 60,
                sign_in_per_minute_per_address: 20,
                sign_in_failures_per_minute_per_user: 10,
                password_hash_concurrency: 2,
                password_hash_queue: 16,
                trust_forwarded_for: false,
            },
            http: HttpConfig {
                request_timeout_secs: 60,
                max_body_bytes: 16 * 1024 * 1024,
            },
            outbound: OutboundConfig::default(),
            aws: AwsConfig::default(),
            ailake: AilakeConfig::default(),
        }
    }
}

impl Config {
    /// Loads the configuration: `file` if given (or `lakeport.toml` if present), then
    /// `LAKEPORT_*` variables; nested keys use `__` (`LAKEPORT_SYNC__LEASE_TTL_SECS`).
    pub fn load(file: Option<&Path>) -> Result<Self, Box<figment::Error>> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) => figment = figment.merge(Toml::file_exact(path)),
            None => figment = figment.merge(Toml::file("lakeport.toml")),
        }
        let mut config: Config = figment
            .merge(Env::prefixed("LAKEPORT_").split("__"))
            .extract()
            .map_err(Box::new)?;
        config.finish();
        Ok(config)
    }

    /// Fills the values derived from others.
    pub fn finish(&mut self) {
        if self.local_roots.is_empty() {
            self.local_roots.push(self.data_dir.join("lake"));
        }
        self.database_url = self.database_url.take().filter(|u| !u.trim().is_empty());
        self.auth.admin_password = self.auth.admin_password.take().filter(|p| !p.is_empty());
        self.secret_key = self.secret_key.take().filter(|k| !k.is_empty());
        self.s3_endpoint = self
            .s3_endpoint
            .take()
            .map(|e| e.trim_end_matches('/').to_owned())
            .filter(|e| !e.is_empty());
    }

    pub fn segments_dir(&self) -> PathBuf {
        self.data_dir.join("segments")
    }
}

fn comma_separated_paths<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<PathBuf>, D::Error> {
    Ok(comma_separated_strings(deserializer)?
        .into_iter()
        .map(PathBuf::from)
        .collect())
}

/// A list of strings, or one comma-separated string (as an environment variable gives it).
fn comma_separated_strings<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Entries {
        Text(String),
        // A lone number, as `LAKEPORT_OUTBOUND__ALLOW=2130706433` is read.
        Number(u64),
        List(Vec<String>),
    }
    Ok(match Entries::deserialize(deserializer)? {
        Entries::Text(text) => text
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        Entries::Number(n) => vec![n.to_string()],
        Entries::List(list) => list,
    })
}
