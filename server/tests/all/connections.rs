//! Saved connections: named on validation, listed with secrets masked, re-validated, and deleted only when unused.

use crate::common;

use common::data::events_bytes;
use common::s3::S3Server;
use common::{onboard, spawn_app_with};
use serde_json::{Value, json};

fn params(s3: &S3Server, prefix: &str, secret: &str) -> Value {
    json!({
        "catalogType": "s3",
        "catalog.s3.bucketName": "lake",
        "catalog.s3.prefix": prefix,
        "catalog.s3.region": s3.creds.region,
        "catalog.s3.accessKey": s3.creds.access_key,
        "catalog.s3.secretKey": secret,
    })
}

#[tokio::test]
async fn connections_are_listed_masked_revalidated_and_deleted_only_when_unused() {
    let s3 = S3Server::start(&["lake"]).await;
    s3.put("lake", "events/a.parquet", events_bytes(0..10))
        .await;
    let endpoint = s3.creds.endpoint.clone();
    let app = spawn_app_with(move |config| config.s3_endpoint = Some(endpoint)).await;

    let browse = |name: &str, secret: &str| {
        json!({
            "connection": { "type": "CATALOG", "name": name, "params": params(&s3, "", secret) },
            "path": "",
        })
    };
    let (status, body) = app
        .post("/connections/browse", &browse("Events lake", "wrong"))
        .await;
    assert_eq!(status, 400, "{body}");
    let (_, list) = app.get("/connections").await;
    assert_eq!(
        list["connections"],
        json!([]),
        "a failed validation saves nothing"
    );

    let (status, body) = app
        .post(
            "/connections/browse",
            &browse("Events lake", &s3.creds.secret_key),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, list) = app.get("/connections").await;
    let saved = &list["connections"][0];
    assert_eq!(saved["name"], "Events lake");
    assert_eq!(saved["catalogType"], "s3");
    assert_eq!(saved["params"]["catalog.s3.secretKey"], "*****");
    assert_eq!(saved["params"]["catalog.s3.bucketName"], "lake");
    assert!(!list.to_string().contains(&s3.creds.secret_key), "{list}");
    let id = saved["id"].as_str().unwrap().to_owned();

    let (status, body) = app
        .post(&format!("/connections/{id}/validate"), &json!(null))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "OK");

    // A table under a folder of the bucket uses the same saved connection (and its
    // masked secret), which keeps the prefix it was saved with.
    onboard(&app, "events", params(&s3, "events/", "*****")).await;
    let (_, list) = app.get("/connections").await;
    assert_eq!(list["connections"].as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list["connections"][0]["tables"], json!(["events"]));
    assert_eq!(list["connections"][0]["params"]["catalog.s3.prefix"], "");
    let (status, body) = app.delete(&format!("/connections/{id}")).await;
    assert_eq!(status, 409, "{body}");
    assert!(body["error"].as_str().unwrap().contains("events"), "{body}");

    let (status, _) = app.delete("/tables/events").await;
    assert_eq!(status, 200);
    let (status, body) = app.delete(&format!("/connections/{id}")).await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = app.delete(&format!("/connections/{id}")).await;
    assert_eq!(status, 404);
    let (status, body) = app.post("/connections/nope/validate", &json!(null)).await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("id")),
        "{body}"
    );
    app.stop().await;
}
