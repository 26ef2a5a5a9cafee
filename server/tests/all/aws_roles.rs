//! Seed 000's credential methods against the S3 test server's IAM and STS (SigV4 checked):
//! an assumed role (with its external id, renewed before it expires), and the cluster node
//! role, which only the operator can turn on.

use crate::common;

use std::time::Duration;

use common::data::events_bytes;
use common::process::{free_port, launch};
use common::s3::S3Server;
use common::{onboard, spawn_app_with};
use lakeport::catalogs::parse_source;
use lakeport::model::table_config::TaskParams;
use serde_json::{Value, json};

const BUCKET: &str = "role-lake";

async fn server_with_events() -> S3Server {
    let s3 = S3Server::start(&[BUCKET]).await;
    s3.put(BUCKET, "events/part-0.parquet", events_bytes(0..100))
        .await;
    s3.put(BUCKET, "events/part-1.parquet", events_bytes(100..250))
        .await;
    s3
}

/// The connection's params: the bucket and endpoint, plus `extra`.
fn params(s3: &S3Server, extra: &[(&str, &str)]) -> Value {
    let mut params = json!({
        "catalogType": "s3",
        "catalog.s3.bucketName": BUCKET,
        "catalog.s3.prefix": "events/",
        "catalog.s3.region": s3.creds.region,
        "catalog.s3.endpoint": s3.creds.endpoint,
    });
    for (k, v) in extra {
        params[*k] = json!(v);
    }
    params
}

fn with_keys<'a>(s3: &'a S3Server, more: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut all = vec![
        ("catalog.s3.accessKey", s3.creds.access_key.as_str()),
        ("catalog.s3.secretKey", s3.creds.secret_key.as_str()),
    ];
    all.extend_from_slice(more);
    all
}

fn browse_body(params: Value) -> Value {
    json!({ "connection": { "type": "CATALOG", "params": params }, "path": "" })
}

/// How many role sessions the test server's STS has handed out.
async fn sessions_assumed(s3: &S3Server) -> usize {
    let data: Value = reqwest::get(format!("{}/moto-api/data.json", s3.creds.endpoint))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    data["sts"]["AssumedRole"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn a_connection_reads_through_an_assumed_role_and_renews_it_before_it_expires() {
    let s3 = server_with_events().await;
    let app = spawn_app_with(|c| {
        // The SDK's cache renews somewhere in the last margin to half-margin of a session;
        // twice the session length makes every session due for renewal within a second.
        c.aws.assume_role_duration_secs = 900;
        c.aws.credential_refresh_secs = 1798;
    })
    .await;
    let role = [
        ("catalog.s3.roleArn", s3.creds.role_arn.as_str()),
        ("catalog.s3.externalId", s3.creds.external_id.as_str()),
    ];
    let (status, body) = app
        .post(
            "/connections/browse",
            &browse_body(params(&s3, &with_keys(&s3, &role))),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["items"].as_array().unwrap().len(), 2, "{body}");
    assert!(sessions_assumed(&s3).await >= 1);

    // A table synced through the role loads every row.
    onboard(&app, "events", params(&s3, &with_keys(&s3, &role))).await;
    app.wait_for_status("events", Duration::from_secs(60), |s| {
        s["status"] == "COMPLETED"
    })
    .await;
    assert_eq!(app.scalar("SELECT count(*) FROM events").await, json!(250));

    // One client, two requests a moment apart: the second renews the session first.
    let mut config = common::test_config(&app.database_url, &app.data_dir);
    config.aws.assume_role_duration_secs = 900;
    config.aws.credential_refresh_secs = 1798;
    let task: TaskParams = serde_json::from_value(params(&s3, &with_keys(&s3, &role))).unwrap();
    let spec = parse_source(&task, "params").unwrap();
    let catalog = lakeport::catalogs::open(&spec, &config).await.unwrap();
    catalog.browse("").await.unwrap();
    let before = sessions_assumed(&s3).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(catalog.browse("").await.unwrap().len(), 2);
    assert_eq!(
        sessions_assumed(&s3).await,
        before + 1,
        "credentials within the refresh margin of their expiry are renewed"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_wrong_external_id_or_a_borrowed_server_identity_is_refused() {
    let s3 = server_with_events().await;
    let app = spawn_app_with(|_| {}).await;
    let wrong = [
        ("catalog.s3.roleArn", s3.creds.role_arn.as_str()),
        ("catalog.s3.externalId", "not-the-external-id"),
    ];
    let (status, body) = app
        .post(
            "/connections/browse",
            &browse_body(params(&s3, &with_keys(&s3, &wrong))),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["kind"], "CATALOG_ACCESS_DENIED", "{body}");
    let error = body["error"].as_str().unwrap();
    assert!(
        error.contains(&s3.creds.role_arn),
        "names the role: {error}"
    );

    // Without keys a connection would sign as the server: off unless the operator says so.
    for extra in [
        vec![],
        vec![("catalog.s3.roleArn", s3.creds.role_arn.as_str())],
    ] {
        let (status, body) = app
            .post("/connections/browse", &browse_body(params(&s3, &extra)))
            .await;
        assert_eq!(status, 400, "{body}");
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .contains("aws.allow_node_role"),
            "{body}"
        );
    }
    let (status, body) = app
        .post(
            "/connections/browse",
            &browse_body(params(
                &s3,
                &[("catalog.s3.roleArn", "arn:aws:iam::1:role/x")],
            )),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["field"], "connection.params.catalog.s3.roleArn",
        "{body}"
    );
    app.stop().await;
}

/// The node role is the server's own identity: here, keys in the binary's environment.
#[tokio::test]
async fn the_node_role_is_used_only_when_the_operator_turns_it_on() {
    let s3 = server_with_events().await;
    for allowed in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let mut envs = vec![
            ("LAKEPORT_DATABASE_URL", common::fresh_database().await),
            (
                "LAKEPORT_DATA_DIR",
                dir.path().to_string_lossy().into_owned(),
            ),
            ("LAKEPORT_OUTBOUND__ALLOW", "127.0.0.1".to_owned()),
            ("AWS_ACCESS_KEY_ID", s3.creds.access_key.clone()),
            ("AWS_SECRET_ACCESS_KEY", s3.creds.secret_key.clone()),
            // The chain stops at the environment; nothing may probe instance metadata.
            ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ];
        if allowed {
            envs.push(("LAKEPORT_AWS__ALLOW_NODE_ROLE", "true".to_owned()));
        }
        let process = launch(&envs, free_port()).await;
        let role = [
            ("catalog.s3.roleArn", s3.creds.role_arn.as_str()),
            ("catalog.s3.externalId", s3.creds.external_id.as_str()),
        ];
        for extra in [&[][..], &role[..]] {
            let (status, body) = process
                .post("/connections/browse", &browse_body(params(&s3, extra)))
                .await;
            if allowed {
                assert_eq!(status, 200, "{body}");
                assert_eq!(body["items"].as_array().unwrap().len(), 2, "{body}");
            } else {
                assert_eq!(status, 400, "the server's keys are not lent out: {body}");
                assert!(
                    body["error"]
                        .as_str()
                        .unwrap()
                        .contains("aws.allow_node_role")
                );
            }
        }
    }
}
