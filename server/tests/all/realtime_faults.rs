//! REALTIME ingestion under faults, with the real binary: kill -9 mid-stream and two replicas
//! ingesting into one table, one of them killed. Every acknowledged row is there exactly once.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::process::{Process, free_port, launch};
use crate::common::realtime::{body_for, events_schema, events_table, push};
use crate::common::{self};

const ROWS_PER_REQUEST: i64 = 1000;

fn envs(database_url: &str, data_dir: &std::path::Path) -> Vec<(&'static str, String)> {
    vec![
        ("LAKEPORT_DATABASE_URL", database_url.to_owned()),
        ("LAKEPORT_DATA_DIR", data_dir.to_string_lossy().into_owned()),
        ("LAKEPORT_SYNC__LEASE_TTL_SECS", "2".into()),
        ("LAKEPORT_SYNC__HEARTBEAT_INTERVAL_MS", "300".into()),
        ("LAKEPORT_SYNC__POLL_INTERVAL_MS", "100".into()),
    ]
}

async fn create_table(process: &Process, name: &str, flush_rows: i64) {
    let (code, body) = process.post("/schemas", &events_schema(name)).await;
    assert_eq!(code, 200, "{body}");
    let table = events_table(
        name,
        serde_json::json!({"realtime.segment.flush.threshold.rows": flush_rows.to_string()}),
    );
    let (code, body) = process.post("/tables", &table).await;
    assert_eq!(code, 200, "{body}");
}

/// Sends request `n` (ids `n*1000..`, keyed `req-n`) until some replica acknowledges it.
async fn send_until_acknowledged(replicas: &[&Process], table: &str, n: i64) {
    let ids = n * ROWS_PER_REQUEST..(n + 1) * ROWS_PER_REQUEST;
    let key = format!("req-{n}");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        for replica in replicas {
            let (content_type, body) = body_for(ids.clone());
            if let Some((200, answer)) = push(
                &replica.client,
                &replica.address,
                table,
                content_type,
                body,
                Some(&key),
            )
            .await
            {
                assert_eq!(answer["rowsIngested"], ROWS_PER_REQUEST, "{answer}");
                return;
            }
        }
        assert!(
            Instant::now() < deadline,
            "request {n} was never acknowledged"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn assert_exactly_once(process: &Process, table: &str, expected: i64) {
    assert_eq!(process.count(table, "count(*)").await, expected);
    assert_eq!(process.count(table, "count(DISTINCT id)").await, expected);
    assert_eq!(process.count(table, "min(id)").await, 0);
    assert_eq!(process.count(table, "max(id)").await, expected - 1);
}

async fn kill(process: &mut Process) {
    process.child.start_kill().unwrap();
    process.child.wait().await.unwrap();
}

#[tokio::test]
async fn acknowledged_rows_survive_kill_9_exactly_once() {
    let database_url = common::fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let envs = envs(&database_url, dir.path());
    let port = free_port();
    let mut process = launch(&envs, port).await;
    // Small segments, so seals are happening while rows stream in and the kills land.
    create_table(&process, "stream", 15_000).await;
    let table = "stream_REALTIME";
    let requests = 200;
    let mut n = 0;
    for kill_at in [60, 140] {
        while n < kill_at {
            send_until_acknowledged(&[&process], table, n).await;
            n += 1;
        }
        // Kill -9 with a request in flight: it may or may not have been recorded.
        let (content_type, body) = body_for(n * ROWS_PER_REQUEST..(n + 1) * ROWS_PER_REQUEST);
        let in_flight = {
            let (client, address, key) = (
                process.client.clone(),
                process.address.clone(),
                format!("req-{n}"),
            );
            tokio::spawn(async move {
                push(
                    &client,
                    &address,
                    "stream_REALTIME",
                    content_type,
                    body,
                    Some(&key),
                )
                .await
            })
        };
        tokio::time::sleep(Duration::from_millis(15)).await;
        kill(&mut process).await;
        let _ = in_flight.await;
        process = launch(&envs, port).await;
        // The client retries what got no answer, with the same key.
        send_until_acknowledged(&[&process], table, n).await;
        n += 1;
    }
    while n < requests {
        send_until_acknowledged(&[&process], table, n).await;
        n += 1;
    }
    assert_exactly_once(&process, "stream", requests * ROWS_PER_REQUEST).await;
    let segments: Value = process.get("/segments/stream_REALTIME").await;
    let sealed = segments["segments"].as_array().unwrap();
    assert!(
        sealed.len() >= 10,
        "seals kept up with the stream: {}",
        sealed.len()
    );
    kill(&mut process).await;
}

#[tokio::test]
async fn two_replicas_ingest_into_one_table_and_one_is_killed() {
    let database_url = common::fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let envs = envs(&database_url, dir.path());
    let mut first = launch(&envs, free_port()).await;
    let second = launch(&envs, free_port()).await;
    create_table(&first, "shared", 8_000).await;
    let table = "shared_REALTIME";

    // Two writers at once, one per replica, on interleaved request numbers.
    let (a, b) = (&first, &second);
    let even = async {
        for n in (0..60).step_by(2) {
            send_until_acknowledged(&[a, b], table, n).await;
        }
    };
    let odd = async {
        for n in (1..60).step_by(2) {
            send_until_acknowledged(&[b, a], table, n).await;
        }
    };
    tokio::join!(even, odd);
    // Both replicas answer the same rows.
    assert_exactly_once(&first, "shared", 60 * ROWS_PER_REQUEST).await;
    assert_exactly_once(&second, "shared", 60 * ROWS_PER_REQUEST).await;

    // One replica dies; its writer carries on through the other with the same keys.
    kill(&mut first).await;
    for n in 60..100 {
        send_until_acknowledged(&[&second], table, n).await;
    }
    assert_exactly_once(&second, "shared", 100 * ROWS_PER_REQUEST).await;
    // Segments and consuming rows together hold every row once: sealing was not doubled by
    // two replicas racing for it.
    let status: Value = second.get("/tables/shared_REALTIME/ingestion").await;
    assert_eq!(
        status["completedRows"].as_i64().unwrap() + status["consumingRows"].as_i64().unwrap(),
        100 * ROWS_PER_REQUEST,
        "{status}"
    );
    assert!(
        status["completedSegments"].as_i64().unwrap() >= 5,
        "{status}"
    );
}

#[tokio::test]
async fn an_export_killed_mid_cycle_writes_each_segment_once() {
    let database_url = common::fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let out = lake.join("exports");
    std::fs::create_dir_all(&out).unwrap();
    let mut envs = envs(&database_url, &dir.path().join("data"));
    envs.push(("LAKEPORT_LOCAL_ROOTS", lake.to_string_lossy().into_owned()));
    let port = free_port();
    let mut process = launch(&envs, port).await;
    let (code, body) = process.post("/schemas", &events_schema("arch")).await;
    assert_eq!(code, 200, "{body}");
    let mut table = events_table(
        "arch",
        serde_json::json!({"realtime.segment.flush.threshold.rows": "1000"}),
    );
    table["task"] = serde_json::json!({"taskTypeConfigsMap": {"DataExportTask": {
        "sourceTableName": "arch_REALTIME", "outputDirURI": format!("file://{}/", out.display()),
        "bufferTimePeriod": "0s", "fileFormat.parquet.compressionCodec": "GZIP"
    }}});
    let (code, body) = process.post("/tables", &table).await;
    assert_eq!(code, 200, "{body}");
    let segments = 40;
    for n in 0..segments {
        send_until_acknowledged(&[&process], "arch_REALTIME", n).await;
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while process.get("/tables/arch_REALTIME/ingestion").await["completedSegments"] != segments {
        assert!(Instant::now() < deadline, "segments were not sealed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Kill -9 while the cycle is writing files: some are written, not all checkpointed.
    let (code, _) = process
        .post(
            "/tasks/schedule?taskType=DataExportTask&tableName=arch_REALTIME",
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(code, 200);
    let files = |dir: &std::path::Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".parquet") && !n.starts_with('.'))
            .collect();
        names.sort();
        names
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while files(&out).len() < 3 {
        assert!(Instant::now() < deadline, "the export never started");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    kill(&mut process).await;
    let written_before = files(&out).len() as i64;
    assert!(
        written_before < segments,
        "the cycle finished before it could be killed"
    );

    process = launch(&envs, port).await;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (code, _) = process
            .post(
                "/tasks/schedule?taskType=DataExportTask&tableName=arch_REALTIME",
                &serde_json::json!({}),
            )
            .await;
        assert_eq!(code, 200);
        tokio::time::sleep(Duration::from_millis(500)).await;
        let status = process.get("/tables/arch_REALTIME/exports").await;
        let done = status["segments"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["state"] == "COMPLETED")
            .count() as i64;
        if done == segments {
            break;
        }
        assert!(Instant::now() < deadline, "not all exported: {status}");
    }
    let names = files(&out);
    assert_eq!(
        names.len() as i64,
        segments,
        "one file per segment: {names:?}"
    );
    let paths: Vec<_> = names.iter().map(|n| out.join(n)).collect();
    let read = crate::export::read_back(&paths);
    let mut ids: Vec<i64> = read["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        (0..segments * ROWS_PER_REQUEST).collect::<Vec<_>>(),
        "every row exported exactly once"
    );
    kill(&mut process).await;
}
