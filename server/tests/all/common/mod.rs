//! Black-box test harness: a fresh database and port per app, real S3 and Parquet fixtures.
#![allow(dead_code)]

pub mod data;
pub mod iceberg;
pub mod process;
pub mod realtime;
pub mod s3;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use lakeport::config::Config;
use lakeport::startup::Application;
use serde_json::{Value, json};
use sqlx::Connection;
use tempfile::TempDir;

/// Starts a Python fixture server and waits for the one JSON line it prints when
/// ready. The child keeps its stdin pipe: closing it (or dropping the child) stops it.
pub async fn start_fixture<T: serde::de::DeserializeOwned>(
    script: &str,
    args: &[&str],
    hint: &str,
) -> (tokio::process::Child, T) {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let path = format!("{}/tests/fixtures/{script}", env!("CARGO_MANIFEST_DIR"));
    let mut child = tokio::process::Command::new("python3")
        .arg(path)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("python3 runs the fixture");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    let read = tokio::time::timeout(
        Duration::from_secs(90),
        BufReader::new(stdout).read_line(&mut line),
    )
    .await;
    assert!(
        matches!(read, Ok(Ok(n)) if n > 0),
        "{script} did not start ({hint})"
    );
    let ready = serde_json::from_str(line.trim())
        .unwrap_or_else(|e| panic!("{script} printed {line:?}: {e}"));
    (child, ready)
}

/// The vendor documents the product follows (`../shared/seeds` beside the clone).
pub fn seeds_dir() -> std::path::PathBuf {
    std::env::var_os("LAKEPORT_SEEDS_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/seeds")
        })
}

pub fn admin_database_url() -> String {
    std::env::var("LAKEPORT_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Creates an empty database for one test and returns its URL.
pub async fn fresh_database() -> String {
    let admin = admin_database_url();
    let name = format!("lakeport_test_{}", uuid::Uuid::new_v4().simple());
    let mut connection = sqlx::PgConnection::connect(&admin)
        .await
        .expect("test Postgres is reachable");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut connection)
        .await
        .expect("create test database");
    let base = admin
        .rsplit_once('/')
        .map(|(base, _)| base.to_owned())
        .unwrap_or(admin);
    format!("{base}/{name}")
}

/// The first user's password in every test app (user `admin`).
pub const ADMIN_PASSWORD: &str = "test-admin-password";

/// A signed-in browser session: its cookie (`name=value`) and CSRF token.
pub struct BrowserSession {
    pub cookie: String,
    pub csrf_token: String,
    /// The whole `Set-Cookie` header, for checking its attributes.
    pub set_cookie: String,
}

/// Signs in as `username` the way the UI does and returns the session.
pub async fn sign_in(address: &str, username: &str, password: &str) -> BrowserSession {
    let response = reqwest::Client::new()
        .post(format!("{address}/auth/sign-in"))
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .expect("sign-in request");
    let set_cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let (status, body) = decode(response).await;
    assert_eq!(status, 200, "sign-in failed: {body}");
    BrowserSession {
        cookie: set_cookie.split(';').next().unwrap_or_default().to_owned(),
        csrf_token: body["csrfToken"].as_str().expect("csrfToken").to_owned(),
        set_cookie,
    }
}

/// An API token for `admin`, created through the API with a signed-in session.
pub async fn admin_token(address: &str, password: &str) -> String {
    let session = sign_in(address, "admin", password).await;
    let response = reqwest::Client::new()
        .post(format!("{address}/auth/tokens"))
        .header("cookie", &session.cookie)
        .header("x-csrf-token", &session.csrf_token)
        .json(&json!({ "name": format!("test-{}", uuid::Uuid::new_v4().simple()) }))
        .send()
        .await
        .expect("token request");
    let (status, body) = decode(response).await;
    assert_eq!(status, 200, "token creation failed: {body}");
    body["token"].as_str().expect("token").to_owned()
}

/// A client that sends `token` with every request, as scripts do.
pub fn client_with_token(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().expect("header value"),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("client")
}

pub struct TestApp {
    /// The API token `client` sends.
    pub token: String,
    pub address: String,
    pub client: reqwest::Client,
    pub data_dir: PathBuf,
    pub lake: PathBuf,
    pub database_url: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    _dir: Option<TempDir>,
}

/// Test defaults: quick polling, short leases, small commit batches.
pub fn test_config(database_url: &str, data_dir: &std::path::Path) -> Config {
    let mut config = Config {
        database_url: Some(database_url.to_owned()),
        listen_addr: "127.0.0.1:0".parse().unwrap(),
        data_dir: data_dir.to_path_buf(),
        ..Config::default()
    };
    config.sync.poll_interval_ms = 100;
    config.sync.heartbeat_interval_ms = 300;
    config.sync.lease_ttl_secs = 3;
    config.sync.commit_batch_files = 2;
    // Runs come only from creation and triggers, so no cron tick lands mid-test.
    config.sync.default_schedule = "0 0 0 1 1 ?".into();
    config.auth.admin_password = Some(ADMIN_PASSWORD.into());
    // The test servers (moto S3, rustberg, fixtures) are on loopback; the outbound
    // policy refuses loopback unless allowed. Tests of the refusal clear this list.
    config.outbound.allow = vec!["127.0.0.1".into(), "::1".into(), "localhost".into()];
    config.finish();
    config
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let database_url = fresh_database().await;
    let mut config = test_config(&database_url, dir.path());
    adjust(&mut config);
    let mut app = start(config).await;
    app._dir = Some(dir);
    app
}

/// Starts an app on an existing config (e.g. a second replica on the same database).
pub async fn start(config: Config) -> TestApp {
    let data_dir = config.data_dir.clone();
    let lake = config.local_roots[0].clone();
    let database_url = config.database_url.clone().unwrap_or_default();
    let application = Application::build(config).await.expect("app builds");
    let address = format!("http://127.0.0.1:{}", application.port());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        application
            .run_until_stopped(async move {
                let _ = rx.await;
            })
            .await
            .expect("server runs");
    });
    let token = admin_token(&address, ADMIN_PASSWORD).await;
    TestApp {
        client: client_with_token(&token),
        token,
        address,
        data_dir,
        lake,
        database_url,
        shutdown: Some(tx),
        server: Some(server),
        _dir: None,
    }
}

impl TestApp {
    /// A connection pool on the app's database, for checks the API cannot make.
    pub async fn pool(&self) -> sqlx::PgPool {
        sqlx::PgPool::connect(&self.database_url)
            .await
            .expect("test database")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let response = self
            .client
            .get(self.url(path))
            .send()
            .await
            .expect("request");
        decode(response).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let response = self
            .client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request");
        decode(response).await
    }

    pub async fn put(&self, path: &str, body: Option<&Value>) -> (u16, Value) {
        let mut request = self.client.put(self.url(path));
        if let Some(body) = body {
            request = request.json(body);
        }
        decode(request.send().await.expect("request")).await
    }

    pub async fn delete(&self, path: &str) -> (u16, Value) {
        decode(
            self.client
                .delete(self.url(path))
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    pub async fn post_raw(&self, path: &str, content_type: &str, body: &str) -> (u16, Value) {
        let response = self
            .client
            .post(self.url(path))
            .header("Content-Type", content_type)
            .body(body.to_owned())
            .send()
            .await
            .expect("request");
        decode(response).await
    }

    /// `SELECT` through the API, returning the rows.
    pub async fn sql(&self, sql: &str) -> Vec<Value> {
        let (status, body) = self.post("/query/sql", &json!({ "sql": sql })).await;
        assert_eq!(status, 200, "query failed: {sql}: {body}");
        body["resultTable"]["rows"]
            .as_array()
            .cloned()
            .expect("rows")
    }

    pub async fn scalar(&self, sql: &str) -> Value {
        self.sql(sql).await[0][0].clone()
    }

    /// Polls the table's status until `done` holds, failing after `timeout`.
    pub async fn wait_for_status(
        &self,
        table: &str,
        timeout: Duration,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let (code, body) = self
                .get(&format!("/tables/{table}_OFFLINE/externalTable/status"))
                .await;
            assert_eq!(code, 200, "status: {body}");
            if done(&body) {
                return body;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting on {table}: {body:#}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits for a finished run newer than `after_run` (a run id, 0 for any).
    pub async fn wait_for_run_after(&self, table: &str, after_run: i64) -> Value {
        self.wait_for_status(table, Duration::from_secs(60), |s| {
            let latest = &s["runs"][0];
            latest["runId"].as_i64().unwrap_or(0) > after_run && latest["status"] != "RUNNING"
        })
        .await
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

async fn decode(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

/// Schema + table for a local folder, the way the seed flow does it: preview,
/// then post the preview's schema and masked config.
pub async fn onboard_local(
    app: &TestApp,
    table: &str,
    folder: &std::path::Path,
    extra: &[(&str, &str)],
) -> Value {
    let mut params = serde_json::Map::new();
    params.insert("catalogType".into(), json!("local"));
    params.insert("catalog.local.path".into(), json!(folder.to_string_lossy()));
    for (k, v) in extra {
        params.insert((*k).into(), json!(v));
    }
    onboard(app, table, Value::Object(params)).await
}

pub async fn onboard(app: &TestApp, table: &str, params: Value) -> Value {
    onboard_task(app, table, "ExternalTableSyncTask", params).await
}

/// Like `onboard`, for a source configured under `task_type` (e.g. `IcebergIngestionTask`).
pub async fn onboard_task(app: &TestApp, table: &str, task_type: &str, params: Value) -> Value {
    let (status, preview) = app
        .post(
            "/tables/preview",
            &json!({
                "tableConfig": {
                    "tableName": format!("{table}_OFFLINE"),
                    "tableType": "OFFLINE",
                    "task": { "taskTypeConfigsMap": { task_type: params } }
                },
                "config": { "inference": { "embeddedSchemaEnabled": true } }
            }),
        )
        .await;
    assert_eq!(status, 200, "preview: {preview}");
    let mut schema = preview["schema"].clone();
    schema["schemaName"] = json!(table);
    let (status, body) = app.post("/schemas", &schema).await;
    assert_eq!(status, 200, "schema: {body}");
    let (status, body) = app
        .post("/tables", &preview["tableConfigs"]["offline"])
        .await;
    assert_eq!(status, 200, "table: {body}");
    preview
}

/// Every field of a schema (as preview returns it): name → (Pinot type, single-valued).
pub fn schema_fields(schema: &Value) -> std::collections::BTreeMap<String, (String, bool)> {
    [
        "dimensionFieldSpecs",
        "metricFieldSpecs",
        "dateTimeFieldSpecs",
    ]
    .iter()
    .flat_map(|list| schema[*list].as_array().cloned().unwrap_or_default())
    .map(|f| {
        (
            f["name"].as_str().unwrap_or_default().to_owned(),
            (
                f["dataType"].as_str().unwrap_or_default().to_owned(),
                f["singleValueField"].as_bool().unwrap_or(true),
            ),
        )
    })
    .collect()
}
