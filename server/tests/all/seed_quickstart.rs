//! Seed 000's quickstart script, read from ../shared/seeds and run unchanged but for its
//! variables, against Lakeport and a real S3 server that checks signatures.

use crate::common;

use std::time::{Duration, Instant};

use common::data::events_bytes;
use common::s3::S3Server;
use common::{TestApp, seeds_dir, spawn_app_with};
use serde_json::{Value, json};

/// The quickstart script exactly as the seed prints it.
fn quickstart_script() -> String {
    let dir = seeds_dir();
    for entry in
        std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("seeds at {}: {e}", dir.display()))
    {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        if let Some(start) = text.find("Quickstart: onboard a table end-to-end") {
            let rest = &text[start..];
            let script_start = rest.find("#!/usr/bin/env bash").expect("script start");
            let script = &rest[script_start..];
            let end = script.find("\nOnce step 6 exits 0").expect("script end");
            return script[..end].to_owned();
        }
    }
    panic!("no seed in {} has the quickstart script", dir.display());
}

/// Sets the script's variables (its first assignments) and nothing else.
fn with_variables(script: &str, values: &[(&str, String)]) -> String {
    script
        .lines()
        .map(|line| {
            for (name, value) in values {
                if line.starts_with(&format!("{name}=\"")) {
                    return format!("{name}=\"{value}\"");
                }
            }
            line.to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

async fn bash(script: &str, dir: &std::path::Path) -> std::process::Output {
    tokio::process::Command::new("bash")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .output()
        .await
        .expect("bash runs")
}

async fn s3_app(s3: &S3Server) -> TestApp {
    let endpoint = s3.creds.endpoint.clone();
    spawn_app_with(move |config| config.s3_endpoint = Some(endpoint)).await
}

#[tokio::test]
async fn the_seed_quickstart_runs_unchanged() {
    let s3 = S3Server::start(&["lake"]).await;
    let mut expected_rows = 0;
    for (i, ids) in [(0, 0..500), (1, 500..1200), (2, 1200..1300)] {
        s3.put(
            "lake",
            &format!("trips/2024/part-{i}.parquet"),
            events_bytes(ids.clone()),
        )
        .await;
        expected_rows += ids.count();
    }
    s3.put("lake", "trips/_SUCCESS", vec![]).await;
    let app = s3_app(&s3).await;

    let script = with_variables(
        &quickstart_script(),
        &[
            ("CONTROLLER", app.address.clone()),
            ("AUTH", format!("Authorization: Bearer {}", app.token)),
            ("BUCKET", "lake".into()),
            ("PREFIX", "trips/".into()),
            ("REGION", s3.creds.region.clone()),
            ("ACCESS_KEY", s3.creds.access_key.clone()),
            ("SECRET_KEY", s3.creds.secret_key.clone()),
            ("TABLE", "nyc_taxi_trips".into()),
        ],
    );
    let (steps_1_to_5, step_6) = script.split_at(script.find("# 6.").expect("step 6"));
    let variables = &script[..script.find("# 1.").expect("step 1")];
    let work = tempfile::tempdir().unwrap();

    let output = bash(steps_1_to_5, work.path()).await;
    assert!(
        output.status.success(),
        "steps 1-5 failed:\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("\"trips/\"") || stdout.contains("2024/"),
        "browse listed the prefix: {stdout}"
    );
    let table_config = std::fs::read_to_string(work.path().join("tableConfig.json")).unwrap();
    assert!(
        table_config.contains("*****") && !table_config.contains(&s3.creds.secret_key),
        "secrets are masked"
    );

    // Step 6, repeated as its comment says, until the sync completes.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let output = bash(&format!("{variables}\n{step_6}"), work.path()).await;
        if output.status.success() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "step 6 never passed: {}",
            String::from_utf8_lossy(&output.stdout)
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(
        app.scalar("SELECT count(*) FROM nyc_taxi_trips").await,
        json!(expected_rows)
    );
    assert_eq!(
        app.scalar("SELECT count(DISTINCT id) FROM nyc_taxi_trips")
            .await,
        json!(expected_rows)
    );

    // The stored config never holds the secret, and reading it back shows the mask.
    let (_, stored) = app.get("/tables/nyc_taxi_trips").await;
    let task = &stored["OFFLINE"]["task"]["taskTypeConfigsMap"]["ExternalTableSyncTask"];
    assert_eq!(task["catalog.s3.secretKey"], "*****");
    // Mask on read, merge on write: the masked config goes back unchanged and syncs still work.
    let (code, body) = app
        .put("/tables/nyc_taxi_trips_OFFLINE", Some(&stored["OFFLINE"]))
        .await;
    assert_eq!(code, 200, "{body}");
    s3.put(
        "lake",
        "trips/2024/part-3.parquet",
        events_bytes(1300..1310),
    )
    .await;
    let before = app
        .get("/tables/nyc_taxi_trips_OFFLINE/externalTable/status")
        .await
        .1["runs"][0]["runId"]
        .as_i64()
        .unwrap();
    let (code, _) = app
        .post(
            "/tasks/schedule?taskType=ExternalTableSyncTask&tableName=nyc_taxi_trips_OFFLINE",
            &json!({}),
        )
        .await;
    assert_eq!(code, 200);
    let status = app.wait_for_run_after("nyc_taxi_trips", before).await;
    assert_eq!(
        (status["status"].clone(), status["filesDiscovered"].clone()),
        (json!("COMPLETED"), json!(1)),
        "{status:#}"
    );
    assert_eq!(
        app.scalar("SELECT count(*) FROM nyc_taxi_trips").await,
        json!(expected_rows + 10)
    );

    let (_, files) = app
        .get("/tables/nyc_taxi_trips_OFFLINE/iceberg/files")
        .await;
    assert_eq!(files["fileCount"], 4);
    let (_, checkpoint) = app
        .get("/tables/nyc_taxi_trips_OFFLINE/iceberg/checkpoint")
        .await;
    assert_eq!(checkpoint["checkpointType"], "TIMESTAMP");
    app.stop().await;
}

fn browse_body(s3: &S3Server, bucket: &str, secret: &str) -> Value {
    json!({
        "connection": { "type": "CATALOG", "params": {
            "catalogType": "s3",
            "catalog.s3.bucketName": bucket,
            "catalog.s3.prefix": "",
            "catalog.s3.region": s3.creds.region,
            "catalog.s3.accessKey": s3.creds.access_key,
            "catalog.s3.secretKey": secret,
        }},
        "path": ""
    })
}

#[tokio::test]
async fn s3_connection_problems_are_named() {
    let s3 = S3Server::start(&["lake"]).await;
    s3.put("lake", "year=2024/month=01/a.parquet", events_bytes(0..3))
        .await;
    let app = s3_app(&s3).await;

    let (code, body) = app
        .post(
            "/connections/browse",
            &browse_body(&s3, "lake", "definitely-wrong"),
        )
        .await;
    assert_eq!(code, 400, "{body}");
    assert_eq!(body["kind"], "CATALOG_ACCESS_DENIED", "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("secret key"),
        "{body}"
    );
    assert!(
        !body.to_string().contains("definitely-wrong"),
        "the secret is never echoed"
    );

    let (code, body) = app
        .post(
            "/connections/browse",
            &browse_body(&s3, "no-such-bucket", &s3.creds.secret_key),
        )
        .await;
    assert_eq!(code, 404, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("'no-such-bucket' does not exist"),
        "{body}"
    );

    let (code, body) = app
        .post(
            "/connections/browse",
            &browse_body(&s3, "lake", &s3.creds.secret_key),
        )
        .await;
    assert_eq!(
        (code, body),
        (
            200,
            json!({ "items": [{ "name": "year=2024/", "type": "DIR" }] })
        )
    );
    let mut drill = browse_body(&s3, "lake", &s3.creds.secret_key);
    drill["path"] = json!("year=2024/month=01");
    let (code, body) = app.post("/connections/browse", &drill).await;
    assert_eq!(
        (code, body),
        (
            200,
            json!({ "items": [{ "name": "a.parquet", "type": "FILE" }] })
        )
    );

    let mut unreachable = browse_body(&s3, "lake", &s3.creds.secret_key);
    unreachable["connection"]["params"]["catalog.s3.endpoint"] = json!("http://127.0.0.1:9");
    let (code, body) = app.post("/connections/browse", &unreachable).await;
    assert_eq!(code, 400, "{body}");
    assert_eq!(body["kind"], "CATALOG_UNREACHABLE", "{body}");
    app.stop().await;
}
