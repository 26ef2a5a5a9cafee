//! A real S3-compatible server (moto, with SigV4 checking on) for the length of a test.

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::primitives::ByteStream;
use serde::Deserialize;
use tokio::process::Child;

#[derive(Debug, Clone, Deserialize)]
pub struct S3Credentials {
    pub endpoint: String,
    pub region: String,
    pub access_key: String,
    pub secret_key: String,
    /// A role `access_key` may assume through the server's STS, with `external_id` only.
    pub role_arn: String,
    pub external_id: String,
}

pub struct S3Server {
    pub creds: S3Credentials,
    pub client: aws_sdk_s3::Client,
    _child: Child,
}

impl S3Server {
    pub async fn start(buckets: &[&str]) -> Self {
        let mut args = vec!["--port", "0"];
        for bucket in buckets {
            args.extend(["--bucket", bucket]);
        }
        let (child, creds): (_, S3Credentials) =
            super::start_fixture("s3_server.py", &args, "is moto[server] installed?").await;
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
