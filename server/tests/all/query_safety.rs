//! SQL is read-only at the plan: no statement form writes or reads a file, however it is wrapped.

use crate::common;

use std::path::Path;
use std::time::Duration;

use common::data::events_file;
use common::{TestApp, onboard_local, spawn_app};
use serde_json::json;

async fn app_with_events() -> TestApp {
    let app = spawn_app().await;
    let folder = app.lake.join("events");
    events_file(&folder.join("part-0.parquet"), 0..100);
    onboard_local(&app, "events", &folder, &[]).await;
    app.wait_for_status("events", Duration::from_secs(60), |s| {
        s["status"] == "COMPLETED"
    })
    .await;
    app
}

async fn refused(app: &TestApp, sql: &str) -> String {
    let (status, body) = app.post("/query/sql", &json!({ "sql": sql })).await;
    assert!(
        (400..500).contains(&status),
        "{sql} must be refused with a 4xx, got {status}: {body}"
    );
    body["error"].as_str().unwrap_or_default().to_owned()
}

fn assert_absent(path: &Path, sql: &str) {
    assert!(
        !path.exists(),
        "{sql} wrote {} although it was refused",
        path.display()
    );
}

#[tokio::test]
async fn no_statement_form_writes_a_file() {
    let app = app_with_events().await;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.csv");
    let table_dir = dir.path().join("external");
    std::fs::create_dir_all(&table_dir).unwrap();
    std::fs::write(table_dir.join("x.csv"), "a\n1\n").unwrap();
    let t = target.display();
    let copy = format!("COPY (SELECT * FROM events) TO '{t}' STORED AS CSV");
    let copy_table = format!("COPY events TO '{t}' STORED AS CSV");
    let external = format!(
        "CREATE EXTERNAL TABLE x STORED AS CSV LOCATION '{}/'",
        table_dir.display()
    );
    let writes = [
        (copy.clone(), "COPY"),
        (copy_table.clone(), "COPY"),
        (
            "INSERT INTO events SELECT * FROM events".to_owned(),
            "INSERT",
        ),
        ("DELETE FROM events".to_owned(), "DELETE"),
        ("UPDATE events SET amount = 0".to_owned(), "UPDATE"),
        ("CREATE TABLE x AS SELECT 1".to_owned(), "CREATE"),
        ("CREATE VIEW v AS SELECT 1".to_owned(), "CREATE"),
        ("DROP TABLE events".to_owned(), "DROP"),
        (external.clone(), "CREATE EXTERNAL TABLE"),
        ("SET datafusion.execution.batch_size = 1".to_owned(), "SET"),
        (
            "WITH t AS (SELECT 1 AS id) INSERT INTO events SELECT * FROM t".to_owned(),
            "INSERT",
        ),
    ];
    for (sql, word) in &writes {
        for wrapped in [
            sql.clone(),
            format!("EXPLAIN {sql}"),
            format!("EXPLAIN ANALYZE {sql}"),
            format!("EXPLAIN VERBOSE {sql}"),
            format!("EXPLAIN ANALYZE VERBOSE {sql}"),
        ] {
            let error = refused(&app, &wrapped).await;
            assert!(
                error.contains(word) && error.contains("read-only"),
                "{wrapped}: the error names {word} and the rule: {error}"
            );
            assert_absent(&target, &wrapped);
        }
    }
    // The data is untouched and queries (with their EXPLAIN forms) still run.
    assert_eq!(app.scalar("SELECT count(*) FROM events").await, json!(100));
    for sql in [
        "EXPLAIN SELECT count(*) FROM events",
        "EXPLAIN VERBOSE SELECT count(*) FROM events",
        "EXPLAIN ANALYZE SELECT count(*) FROM events",
        "WITH t AS (SELECT id FROM events) SELECT count(*) FROM t",
    ] {
        let (status, body) = app.post("/query/sql", &json!({ "sql": sql })).await;
        assert_eq!(status, 200, "{sql}: {body}");
    }
    app.stop().await;
}

#[tokio::test]
async fn queries_read_only_the_segments_of_the_tables_they_name() {
    let app = app_with_events().await;
    let secret = app.data_dir.join("secret.key");
    let key_text = std::fs::read_to_string(&secret).expect("the data dir holds the secret key");
    let (_, segments) = app.get("/segments/events_OFFLINE").await;
    let segment = find_segment_file(&app.data_dir.join("segments"));
    let hostname = Path::new("/etc/hostname");
    for path in [
        secret.display().to_string(),
        format!("file://{}", secret.display()),
        hostname.display().to_string(),
        segment.display().to_string(),
        format!("file://{}", segment.display()),
        "s3://bucket/key.parquet".to_owned(),
        "https://example.com/x.parquet".to_owned(),
    ] {
        for sql in [
            format!("SELECT * FROM '{path}'"),
            format!("SELECT * FROM \"{path}\""),
            format!("SELECT * FROM read_parquet('{path}')"),
            format!("SELECT * FROM read_csv('{path}')"),
        ] {
            let error = refused(&app, &sql).await;
            assert!(
                !error.contains(key_text.trim()),
                "{sql}: the answer leaks the file: {error}"
            );
        }
    }
    // The segments themselves are only reachable through their table.
    assert_eq!(
        app.scalar("SELECT count(*) FROM events").await,
        json!(100),
        "{segments}"
    );
    app.stop().await;
}

fn find_segment_file(root: &Path) -> std::path::PathBuf {
    for entry in walk(root) {
        if entry.extension().is_some_and(|e| e == "parquet") {
            return entry;
        }
    }
    panic!("no segment file under {}", root.display());
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
