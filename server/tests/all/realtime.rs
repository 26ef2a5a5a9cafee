//! REALTIME tables (seed 003's source): rows pushed over HTTP as JSON, NDJSON or Arrow IPC,
//! queryable at once, sealed into completed segments by rows or age, each row exactly once.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::realtime::{
    arrow_stream, body_for, event_rows, events_schema, events_table, ndjson, push, segments,
    wait_for_segments,
};
use crate::common::{TestApp, spawn_app};

async fn create(app: &TestApp, name: &str, streams: Value) {
    let (code, body) = app.post("/schemas", &events_schema(name)).await;
    assert_eq!(code, 200, "schema: {body}");
    let (code, body) = app.post("/tables", &events_table(name, streams)).await;
    assert_eq!(code, 200, "table: {body}");
}

async fn ingest(
    app: &TestApp,
    table: &str,
    content_type: &str,
    body: Vec<u8>,
    key: Option<&str>,
) -> (u16, Value) {
    push(&app.client, &app.address, table, content_type, body, key)
        .await
        .expect("an answer")
}

#[tokio::test]
async fn pushed_rows_are_queryable_at_once_and_sealed_by_row_count() {
    let app = spawn_app().await;
    create(
        &app,
        "clicks",
        json!({"realtime.segment.flush.threshold.rows": "1000"}),
    )
    .await;
    let table = "clicks_REALTIME";

    // All three formats, under the threshold: consuming rows, answered by SQL at once.
    let json_rows = serde_json::to_vec(&event_rows(0..300)).unwrap();
    let (code, body) = ingest(&app, table, "application/json", json_rows, None).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["rowsIngested"], 300);
    let (code, body) = ingest(
        &app,
        table,
        "application/x-ndjson",
        ndjson(300..600).into_bytes(),
        None,
    )
    .await;
    assert_eq!(code, 200, "{body}");
    let (code, body) = ingest(
        &app,
        table,
        "application/vnd.apache.arrow.stream",
        arrow_stream(600..900),
        None,
    )
    .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(app.scalar("SELECT count(*) FROM clicks").await, 900);
    assert_eq!(
        app.scalar("SELECT sum(amount) FROM clicks").await,
        json!((0..900).map(|i| i as f64 * 1.5).sum::<f64>())
    );
    assert!(
        segments(&app, table).await.is_empty(),
        "nothing is sealed below the threshold"
    );
    let (code, status) = app.get(&format!("/tables/{table}/ingestion")).await;
    assert_eq!(code, 200, "{status}");
    assert_eq!(status["consumingRows"], 900);
    assert_eq!(status["consumingChunks"], 3);
    assert_eq!(status["completedSegments"], 0);
    assert_eq!(status["flushThresholdRows"], 1000);
    assert_eq!(
        status["rowsPerMinute"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["rows"].as_i64().unwrap())
            .sum::<i64>(),
        900
    );

    // Crossing the threshold seals the consuming rows into one completed segment that
    // records its time range; queries see every row once, before, during and after.
    let (code, body) = ingest(
        &app,
        table,
        "application/x-ndjson",
        ndjson(900..1200).into_bytes(),
        None,
    )
    .await;
    assert_eq!(code, 200, "{body}");
    let sealed = wait_for_segments(&app, table, 1).await;
    assert_eq!(sealed.len(), 1, "{sealed:?}");
    assert_eq!(sealed[0]["rowCount"], 1200);
    let times: Vec<i64> = event_rows(0..1200)
        .iter()
        .map(|r| r["ts"].as_i64().unwrap())
        .collect();
    assert_eq!(sealed[0]["minTimeMs"], *times.iter().min().unwrap());
    assert_eq!(sealed[0]["maxTimeMs"], *times.iter().max().unwrap());
    assert_eq!(app.scalar("SELECT count(*) FROM clicks").await, 1200);
    assert_eq!(
        app.scalar("SELECT count(DISTINCT id) FROM clicks").await,
        1200
    );
    let (_, status) = app.get(&format!("/tables/{table}/ingestion")).await;
    assert_eq!(status["consumingRows"], 0);
    assert_eq!(status["completedSegments"], 1);
    assert_eq!(status["completedRows"], 1200);

    // New rows go to a new consuming segment, queried with the completed one.
    let (code, _) = ingest(
        &app,
        table,
        "application/json",
        serde_json::to_vec(&event_rows(1200..1250)).unwrap(),
        None,
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(app.scalar("SELECT count(*) FROM clicks").await, 1250);
    assert_eq!(app.scalar("SELECT max(id) FROM clicks").await, 1249);
    app.stop().await;
}

#[tokio::test]
async fn consuming_rows_are_sealed_by_age_and_an_empty_segment_never_is() {
    let app = spawn_app().await;
    create(
        &app,
        "aged",
        json!({"realtime.segment.flush.threshold.time": "2s"}),
    )
    .await;
    let table = "aged_REALTIME";
    // With no rows, however long we wait, nothing is sealed.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(segments(&app, table).await.is_empty());
    let started = Instant::now();
    let (code, body) = ingest(
        &app,
        table,
        "application/json",
        serde_json::to_vec(&event_rows(0..10)).unwrap(),
        None,
    )
    .await;
    assert_eq!(code, 200, "{body}");
    let sealed = wait_for_segments(&app, table, 1).await;
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "sealed before its flush age"
    );
    assert_eq!(sealed.len(), 1);
    assert_eq!(sealed[0]["rowCount"], 10);
    assert_eq!(app.scalar("SELECT count(*) FROM aged").await, 10);
    // And after the seal, no further (empty) segment follows.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(segments(&app, table).await.len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn a_retried_request_with_the_same_key_loads_nothing_twice() {
    let app = spawn_app().await;
    create(&app, "keyed", json!({})).await;
    let table = "keyed_REALTIME";
    let (content_type, body) = body_for(0..100);
    let (code, first) = ingest(&app, table, content_type, body.clone(), Some("req-1")).await;
    assert_eq!(code, 200, "{first}");
    assert_eq!(first["duplicate"], false);
    let (code, again) = ingest(&app, table, content_type, body, Some("req-1")).await;
    assert_eq!(code, 200, "{again}");
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["chunkId"], first["chunkId"]);
    assert_eq!(again["rowsIngested"], 100);
    assert_eq!(app.scalar("SELECT count(*) FROM keyed").await, 100);

    // The same key with other rows is a mistake, not a retry: refused, nothing loaded.
    let (content_type, other) = body_for(100..150);
    let (code, body) = ingest(&app, table, content_type, other, Some("req-1")).await;
    assert_eq!(code, 409, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("already used for a different body"),
        "{body}"
    );
    let (code, body) = ingest(
        &app,
        table,
        "application/json",
        b"[]".to_vec(),
        Some("has space"),
    )
    .await;
    assert_eq!(code, 400, "{body}");
    assert_eq!(body["field"], "Idempotency-Key");
    assert_eq!(app.scalar("SELECT count(*) FROM keyed").await, 100);
    app.stop().await;
}

#[tokio::test]
async fn bad_rows_and_bad_requests_are_refused_whole_with_what_is_wrong() {
    let app = spawn_app().await;
    create(&app, "strict", json!({})).await;
    let table = "strict_REALTIME";
    let mut rows = event_rows(0..5);
    rows[3]["ts"] = json!("yesterday");
    let (code, body) = ingest(
        &app,
        table,
        "application/json",
        serde_json::to_vec(&rows).unwrap(),
        None,
    )
    .await;
    assert_eq!(code, 400, "{body}");
    let message = body["error"].as_str().unwrap();
    assert!(
        message.contains("row 3") && message.contains("'ts'"),
        "{message}"
    );
    let mut rows = event_rows(0..5);
    rows[1].as_object_mut().unwrap().remove("id");
    let (code, body) = ingest(
        &app,
        table,
        "application/x-ndjson",
        rows.iter()
            .map(|r| r.to_string() + "\n")
            .collect::<String>()
            .into_bytes(),
        None,
    )
    .await;
    assert_eq!(code, 400, "{body}");
    assert!(body["error"].as_str().unwrap().contains("'id'"), "{body}");
    // Nothing of either request was kept.
    assert_eq!(app.scalar("SELECT count(*) FROM strict").await, 0);

    let (code, body) = ingest(&app, table, "text/csv", b"id\n1\n".to_vec(), None).await;
    assert_eq!(code, 415, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("application/x-ndjson"),
        "{body}"
    );
    let (code, body) = ingest(&app, table, "application/json", b"[]".to_vec(), None).await;
    assert_eq!(code, 400, "{body}");
    let (code, body) = ingest(
        &app,
        "nothing_REALTIME",
        "application/json",
        b"[]".to_vec(),
        None,
    )
    .await;
    assert_eq!(code, 404, "{body}");

    // The table config itself: only the http stream type, a positive row threshold.
    let (code, body) = app
        .post(
            "/tables",
            &json!({
                "tableName": "kafka_REALTIME", "tableType": "REALTIME",
                "segmentsConfig": {"schemaName": "strict", "timeColumnName": "ts"},
                "tableIndexConfig": {"streamConfigs": {"streamType": "kafka"}}
            }),
        )
        .await;
    assert_eq!(code, 400, "{body}");
    assert_eq!(body["field"], "tableIndexConfig.streamConfigs.streamType");
    assert!(
        body["error"].as_str().unwrap().contains("\"http\""),
        "{body}"
    );
    let (code, body) = app
        .post(
            "/tables",
            &events_table(
                "strict",
                json!({"realtime.segment.flush.threshold.rows": "-5"}),
            ),
        )
        .await;
    assert_eq!(code, 400, "{body}");
    let (code, body) = app.post("/tables", &json!({
        "tableName": "strict_REALTIME", "tableType": "OFFLINE", "segmentsConfig": {"schemaName": "strict"}
    })).await;
    assert_eq!(code, 400, "{body}");
    // The table the first request created is still the only one named strict.
    let (code, body) = app
        .post("/tables", &events_table("strict", json!({})))
        .await;
    assert_eq!(code, 409, "{body}");

    // A paused table takes no rows; resumed, it does.
    let (code, _) = app.put("/tables/strict/state?state=disable", None).await;
    assert_eq!(code, 200);
    let (code, body) = ingest(
        &app,
        table,
        "application/json",
        serde_json::to_vec(&event_rows(0..2)).unwrap(),
        None,
    )
    .await;
    assert_eq!(code, 409, "{body}");
    let (code, _) = app.put("/tables/strict/state?state=enable", None).await;
    assert_eq!(code, 200);
    let (code, body) = ingest(
        &app,
        table,
        "application/json",
        serde_json::to_vec(&event_rows(0..2)).unwrap(),
        None,
    )
    .await;
    assert_eq!(code, 200, "{body}");
    app.stop().await;
}
