//! A real S3-compatible server (moto, with SigV4 checking on) for the length of a test.

use std::process::Stdio;

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::primitives::ByteStream;
use serde::Deserialize;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

#[derive(Debug, Clone, Deserialize)]
pub struct S3Credentials {
    pub endpoint: String,
    pub region: String,
    pub access_key: String,
    pub secret_key: String,
}

pub struct S3Server {
    pub creds: S3Credentials,
    pub client: aws_sdk_s3::Client,
    _child: Child,
}

impl S3Server {
    pub async fn start(buckets: &[&str]) -> Self {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/s3_server.py");
        let mut command = Command::new("python3");
        command.arg(script).arg("--port").arg("0");
        for bucket in buckets {
            command.arg("--bucket").arg(bucket);
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("python3 runs the S3 fixture");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        let read = tokio::time::timeout(
            std::time::Duration::from_secs(60),
            BufReader::new(stdout).read_line(&mut line),
        )
        .await;
        assert!(
            matches!(read, Ok(Ok(n)) if n > 0),
            "S3 fixture did not start (is moto[server] installed?)"
        );
        let creds: S3Credentials =
            serde_json::from_str(line.trim()).expect("S3 fixture prints its credentials");
        let client = client(&creds, &creds.secret_key);
        Self {
            creds,
            client,
            _child: child,
        }
    }

    pub async fn put(&self, bucket: &str, key: &str, body: Vec<u8>) {
        self.client
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(ByteStream::from(body))
            .send()
            .await
            .unwrap_or_else(|e| panic!("put {key}: {e:?}"));
    }

    pub async fn delete(&self, bucket: &str, key: &str) {
        self.client
            .delete_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .expect("delete");
    }
}

pub fn client(creds: &S3Credentials, secret: &str) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(creds.region.clone()))
        .credentials_provider(Credentials::new(
            &creds.access_key,
            secret,
            None,
            None,
            "test",
        ))
        .endpoint_url(&creds.endpoint)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}
