//! A real Iceberg REST catalog (rustberg, warehouse on moto S3) behind an auth-checking
//! proxy, and pyiceberg to write tables into it.

use serde_json::Value;
use tokio::process::{Child, Command};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

pub struct IcebergServer {
    /// The fixture's ready line: `uri`, `warehouse`, `region`, `access_key`, `secret_key`,
    /// `token`, `client_id`, `client_secret`, the S3 settings and rustberg's own address.
    pub info: Value,
    _child: Child,
}

impl IcebergServer {
    /// `auth` is `sigv4`, `bearer` or `oauth2`; `signing_name` applies to sigv4.
    pub async fn start(auth: &str, signing_name: &str) -> Self {
        Self::start_with(&["--auth", auth, "--signing-name", signing_name]).await
    }

    /// Starts the fixture with its own command-line options (see iceberg_rest_server.py).
    pub async fn start_with(args: &[&str]) -> Self {
        let (child, info) =
            super::start_fixture("iceberg_rest_server.py", args, "is rustberg installed?").await;
        Self {
            info,
            _child: child,
        }
    }

    /// A string setting of the fixture (empty when it has none).
    pub fn get(&self, key: &str) -> String {
        self.info[key].as_str().unwrap_or_default().to_owned()
    }

    /// Runs `iceberg_tables.py` steps (joined by `+`) against the catalog and returns its last JSON line.
    pub async fn table_step(&self, args: &[&str]) -> Value {
        let output = Command::new("python3")
            .arg(format!("{FIXTURES}/iceberg_tables.py"))
            .args(["--info", &self.info.to_string()])
            .args(args)
            .output()
            .await
            .expect("python3 runs iceberg_tables.py");
        assert!(
            output.status.success(),
            "iceberg_tables.py {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = String::from_utf8_lossy(&output.stdout);
        serde_json::from_str(text.lines().last().unwrap_or_default()).expect("a JSON line")
    }
}
