//! A real Iceberg REST catalog (rustberg) behind an auth-checking proxy, and pyiceberg to write tables into it.

use serde::Deserialize;
use tokio::process::{Child, Command};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

#[derive(Debug, Clone, Deserialize)]
pub struct IcebergCatalog {
    pub uri: String,
    pub warehouse: String,
    pub region: String,
    pub access_key: String,
    pub secret_key: String,
    pub token: String,
    pub client_id: String,
    pub client_secret: String,
    pub rustberg_uri: String,
    pub api_key: String,
}

pub struct IcebergServer {
    pub catalog: IcebergCatalog,
    _child: Child,
}

impl IcebergServer {
    /// `auth` is `sigv4`, `bearer` or `oauth2`; `signing_name` applies to sigv4.
    pub async fn start(auth: &str, signing_name: &str) -> Self {
        let args = ["--auth", auth, "--signing-name", signing_name];
        let (child, catalog) =
            super::start_fixture("iceberg_rest_server.py", &args, "is rustberg installed?").await;
        Self {
            catalog,
            _child: child,
        }
    }

    /// Runs one `iceberg_tables.py` step against the catalog directly and returns its JSON line.
    pub async fn table_step(&self, args: &[&str]) -> serde_json::Value {
        let output = Command::new("python3")
            .arg(format!("{FIXTURES}/iceberg_tables.py"))
            .args([
                "--uri",
                &self.catalog.rustberg_uri,
                "--api-key",
                &self.catalog.api_key,
            ])
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
