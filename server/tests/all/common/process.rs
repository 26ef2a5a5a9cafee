//! The real `lakeport` binary as a child process, for tests that must survive what would kill it.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::process::{Child, Command};

/// The binary cargo built for these tests, or `LAKEPORT_TEST_BIN` (e.g. a release build,
/// or a copy that another checkout's build cannot overwrite).
pub fn bin() -> String {
    std::env::var("LAKEPORT_TEST_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_lakeport").to_owned())
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Process {
    pub child: Child,
    pub address: String,
    pub client: reqwest::Client,
}

/// Starts `lakeport serve` with only `envs` (and PATH) and waits until it is ready and
/// an API token for the generated admin password is in hand.
pub async fn launch(envs: &[(&str, String)], port: u16) -> Process {
    let mut command = Command::new(bin());
    command
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn");
    command.env("LAKEPORT_LISTEN_ADDR", format!("127.0.0.1:{port}"));
    for (key, value) in envs {
        command.env(key, value);
    }
    let child = command
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("binary starts");
    let address = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if let Ok(response) = reqwest::get(format!("{address}/ready")).await
            && response.status().is_success()
        {
            // No password was configured: the first run wrote one for the admin.
            let data_dir = envs
                .iter()
                .find(|(k, _)| *k == "LAKEPORT_DATA_DIR")
                .map(|(_, v)| v.clone())
                .expect("tests set LAKEPORT_DATA_DIR");
            let password =
                std::fs::read_to_string(Path::new(&data_dir).join("initial-admin-password"))
                    .expect("the generated admin password is in the data dir");
            let token = super::admin_token(&address, password.trim()).await;
            return Process {
                child,
                client: super::client_with_token(&token),
                address,
            };
        }
        assert!(Instant::now() < deadline, "lakeport did not become ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

impl Process {
    pub async fn get(&self, path: &str) -> Value {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let response = self
            .client
            .post(format!("{}{path}", self.address))
            .json(body)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    pub async fn count(&self, table: &str, expression: &str) -> i64 {
        let (code, body) = self
            .post(
                "/query/sql",
                &json!({ "sql": format!("SELECT {expression} FROM {table}") }),
            )
            .await;
        assert_eq!(code, 200, "{body}");
        body["resultTable"]["rows"][0][0].as_i64().unwrap()
    }

    pub async fn onboard(&self, table: &str, folder: &Path) {
        let (code, preview) = self
            .post(
                "/tables/preview",
                &json!({
                    "tableConfig": { "tableName": table, "task": { "taskTypeConfigsMap": { "ExternalTableSyncTask": {
                        "catalogType": "local", "catalog.local.path": folder.to_string_lossy() } } } },
                    "config": { "inference": { "embeddedSchemaEnabled": true } }
                }),
            )
            .await;
        assert_eq!(code, 200, "{preview}");
        let (code, body) = self.post("/schemas", &preview["schema"]).await;
        assert_eq!(code, 200, "{body}");
        let (code, body) = self
            .post("/tables", &preview["tableConfigs"]["offline"])
            .await;
        assert_eq!(code, 200, "{body}");
    }

    pub async fn status(&self, table: &str) -> Value {
        self.get(&format!("/tables/{table}_OFFLINE/externalTable/status"))
            .await
    }

    /// Waits until the table's latest run has completed.
    pub async fn wait_completed(&self, table: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let status = self.status(table).await;
            if status["status"] == "COMPLETED" {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "{table} never completed: {status:#}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    fn proc_file(&self, name: &str) -> String {
        let pid = self.child.id().expect("still running");
        std::fs::read_to_string(format!("/proc/{pid}/{name}")).expect("procfs")
    }

    /// The process's peak resident memory so far (VmHWM), in bytes.
    pub fn peak_rss_bytes(&self) -> u64 {
        self.proc_file("status")
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .expect("VmHWM in /proc/<pid>/status")
            * 1024
    }

    /// User plus system CPU time the process has used, in clock ticks.
    pub fn cpu_ticks(&self) -> u64 {
        let stat = self.proc_file("stat");
        // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
        let after = stat.rsplit_once(')').expect("stat has a command name").1;
        let fields: Vec<&str> = after.split_whitespace().collect();
        fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
    }
}
