//! No query can take the server down: the real binary answers deep, huge and slow SQL with
//! a clear 4xx (or a capped answer) while its memory stays bounded and its syncs keep going.

use crate::common;

use std::time::{Duration, Instant};

use common::data::events_file;
use common::process::{Process, free_port, launch};
use serde_json::{Value, json};
use tempfile::TempDir;

struct Server {
    process: Process,
    dir: TempDir,
}

async fn server(settings: &[(&str, &str)]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let mut envs = vec![
        ("LAKEPORT_DATABASE_URL", common::fresh_database().await),
        (
            "LAKEPORT_DATA_DIR",
            dir.path().to_string_lossy().into_owned(),
        ),
        ("LAKEPORT_SYNC__POLL_INTERVAL_MS", "100".into()),
        ("LAKEPORT_SYNC__DEFAULT_SCHEDULE", "0 0 0 1 1 ?".into()),
    ];
    envs.extend(settings.iter().map(|(k, v)| (*k, (*v).to_owned())));
    let process = launch(&envs, free_port()).await;
    Server { process, dir }
}

impl Server {
    async fn sql(&self, sql: &str) -> (u16, Value) {
        self.process
            .post("/query/sql", &json!({ "sql": sql }))
            .await
    }

    async fn assert_alive(&self, after: &str) {
        let health = reqwest::get(format!("{}/health", self.process.address)).await;
        assert!(
            health.is_ok_and(|r| r.status() == 200),
            "the server died after: {after}"
        );
    }

    /// An `events` table of `files` files with `rows` rows each, synced.
    async fn events(&self, files: i64, rows: i64) {
        let folder = self.dir.path().join("lake/events");
        for i in 0..files {
            events_file(
                &folder.join(format!("part-{i:03}.parquet")),
                i * rows..(i + 1) * rows,
            );
        }
        self.process.onboard("events", &folder).await;
        self.process.wait_completed("events").await;
    }
}

fn error_of(body: &Value) -> String {
    body["error"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn deep_or_long_sql_is_refused_before_planning_and_the_server_survives() {
    let server = server(&[("LAKEPORT_QUERY__MAX_SQL_BYTES", "100000")]).await;
    let flat = format!("SELECT 1{}", "+1".repeat(3000));
    let union = vec!["SELECT 1"; 2000].join(" UNION ALL ");
    let nested_calls = format!("SELECT {}1{}", "abs(".repeat(400), ")".repeat(400));
    for (sql, words) in [
        (&flat, ["too deep", "max_expression_depth"]),
        (&union, ["too deep", "max_expression_depth"]),
        (&nested_calls, ["too deep", "max_expression_depth"]),
    ] {
        let (status, body) = server.sql(sql).await;
        assert_eq!(status, 400, "{body}");
        let error = error_of(&body);
        for word in words {
            assert!(error.contains(word), "{error}");
        }
        server.assert_alive(&sql[..40]).await;
    }

    let long = format!("SELECT '{}'", "x".repeat(100_001));
    let (status, body) = server.sql(&long).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        error_of(&body).contains("100000 bytes"),
        "names the cap: {body}"
    );

    // Moderately deep SQL within the limits still answers.
    let fine = format!("SELECT 1{}", "+1".repeat(150));
    let (status, body) = server.sql(&fine).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["resultTable"]["rows"][0][0], json!(151));
    let small_union = vec!["SELECT 1 AS x"; 50].join(" UNION ALL ");
    let (status, body) = server
        .sql(&format!("SELECT count(*) FROM ({small_union})"))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["resultTable"]["rows"][0][0], json!(50));
    server.assert_alive("the limits").await;
}

#[tokio::test]
async fn huge_results_are_capped_and_memory_stays_bounded() {
    let server = server(&[
        ("LAKEPORT_QUERY__MEMORY_LIMIT_MB", "256"),
        ("LAKEPORT_QUERY__MAX_RESULT_ROWS", "1000"),
        ("LAKEPORT_QUERY__MAX_RESULT_BYTES", "4000000"),
        ("LAKEPORT_QUERY__TIMEOUT_MS", "5000"),
    ])
    .await;
    server.events(4, 5000).await;
    let baseline = server.process.peak_rss_bytes();

    // Row caps are pushed into the plan: a billion-row series stops at the cap.
    for sql in [
        "SELECT * FROM generate_series(1, 1000000000)",
        "SELECT * FROM events a CROSS JOIN events b",
        "SELECT a.id, b.city FROM events a, events b ORDER BY a.id LIMIT 5000",
    ] {
        let (status, body) = server.sql(sql).await;
        assert_eq!(status, 200, "{sql}: {body}");
        assert_eq!(body["partialResult"], json!(true), "{sql}");
        assert_eq!(
            body["resultTable"]["rows"].as_array().unwrap().len(),
            1000,
            "{sql}"
        );
        server.assert_alive(sql).await;
    }

    // Wide rows stop at the byte budget, still as a partial answer.
    let (status, body) = server
        .sql("SELECT id, repeat(city, 2000) FROM events")
        .await;
    assert_eq!(status, 200, "{body}");
    let returned = body["resultTable"]["rows"].as_array().unwrap().len();
    assert!(
        returned > 0 && returned < 1000,
        "about 4 MB of 8 kB rows: {returned}"
    );
    assert_eq!(body["partialResult"], json!(true));

    // Values and results that cannot fit are refused with a clear 4xx.
    for (sql, word) in [
        ("SELECT repeat('x', 300000000)", "repeat"),
        ("SELECT repeat('x', 3e8)", "repeat"),
        ("SELECT length(repeat('ab', 200000000))", "repeat"),
        (
            "SELECT array_agg(value) FROM generate_series(1, 1000000000)",
            "",
        ),
        ("SELECT count(*) FROM events a, events b, events c", ""),
    ] {
        let (status, body) = server.sql(sql).await;
        assert!((400..500).contains(&status), "{sql}: {status} {body}");
        assert!(error_of(&body).contains(word), "{sql}: {body}");
        server.assert_alive(sql).await;
    }
    let generated = server.sql("SELECT * FROM generate_series(1, 1e9)").await;
    assert!(
        generated.0 == 200 && generated.1["partialResult"] == json!(true)
            || (400..500).contains(&generated.0),
        "{generated:?}"
    );

    let peak = server.process.peak_rss_bytes();
    eprintln!(
        "peak RSS: {} MB before the huge queries, {} MB after",
        baseline >> 20,
        peak >> 20
    );
    assert!(
        peak < baseline + 1024 * 1024 * 1024,
        "peak RSS grew from {} MB to {} MB",
        baseline >> 20,
        peak >> 20
    );
}

#[tokio::test]
async fn a_query_past_its_timeout_is_stopped_and_its_threads_released() {
    let server = server(&[("LAKEPORT_QUERY__TIMEOUT_MS", "1500")]).await;
    let started = Instant::now();
    let (status, body) = server
        .sql("SELECT count(*) FROM generate_series(1, 100000000000)")
        .await;
    let took = started.elapsed();
    assert_eq!(status, 408, "{body}");
    assert!(error_of(&body).contains("1500 ms"), "{body}");
    assert!(took < Duration::from_secs(4), "answered after {took:?}");

    // Nothing keeps computing once the answer is out.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = server.process.cpu_ticks();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let used = server.process.cpu_ticks() - before;
    assert!(
        used < 40,
        "the stopped query still burns CPU: {used} ticks in 2 s"
    );
    let (status, body) = server.sql("SELECT 1").await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn queries_past_the_concurrency_limit_get_429_with_retry_after() {
    let server = server(&[
        ("LAKEPORT_QUERY__MAX_CONCURRENT", "1"),
        ("LAKEPORT_QUERY__TIMEOUT_MS", "2000"),
    ])
    .await;
    let client = server.process.client.clone();
    let url = format!("{}/query/sql", server.process.address);
    let slow = tokio::spawn({
        let (client, url) = (client.clone(), url.clone());
        async move {
            client
                .post(url)
                .json(&json!({ "sql": "SELECT count(*) FROM generate_series(1, 100000000000)" }))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let response = client
        .post(&url)
        .json(&json!({ "sql": "SELECT 1" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    assert!(retry_after.is_some_and(|s| s >= 1), "{retry_after:?}");
    let body: Value = response.json().await.unwrap();
    assert!(error_of(&body).contains("max_concurrent"), "{body}");
    assert_eq!(slow.await.unwrap(), 408);
    let (status, body) = server.sql("SELECT 1").await;
    assert_eq!(status, 200, "the slot is free again: {body}");
}

#[tokio::test]
async fn a_sync_keeps_its_lease_while_heavy_queries_run() {
    let server = server(&[
        ("LAKEPORT_QUERY__TIMEOUT_MS", "1500"),
        ("LAKEPORT_QUERY__MAX_CONCURRENT", "4"),
        ("LAKEPORT_SYNC__LEASE_TTL_SECS", "2"),
        ("LAKEPORT_SYNC__HEARTBEAT_INTERVAL_MS", "300"),
        ("LAKEPORT_SYNC__COMMIT_BATCH_FILES", "1"),
        ("LAKEPORT_SYNC__FILE_CONCURRENCY", "1"),
    ])
    .await;
    let folder = server.dir.path().join("lake/events");
    let (files, rows) = (40i64, 3000i64);
    for i in 0..files {
        events_file(
            &folder.join(format!("part-{i:03}.parquet")),
            i * rows..(i + 1) * rows,
        );
    }
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut load = Vec::new();
    for _ in 0..4 {
        let (client, url, stop) = (
            server.process.client.clone(),
            format!("{}/query/sql", server.process.address),
            stop.clone(),
        );
        load.push(tokio::spawn(async move {
            let mut answered = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let sql = "SELECT count(*) FROM generate_series(1, 100000000000)";
                if let Ok(r) = client.post(&url).json(&json!({ "sql": sql })).send().await {
                    answered += u32::from(r.status() == 408);
                }
            }
            answered
        }));
    }
    server.process.onboard("events", &folder).await;
    let status = server.process.wait_completed("events").await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut timed_out = 0;
    for task in load {
        timed_out += task.await.unwrap();
    }
    assert!(timed_out > 0, "the heavy queries ran during the sync");
    let runs = status["runs"].as_array().unwrap();
    assert!(
        runs.iter().all(|r| r["status"] == "COMPLETED"),
        "no run lost its lease: {status:#}"
    );
    assert_eq!(
        server.process.count("events", "count(DISTINCT id)").await,
        files * rows
    );
}
