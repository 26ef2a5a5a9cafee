//! DataExportTask to an Iceberg REST catalog (rustberg, read back with pyiceberg): staged data
//! files, batched append snapshots carrying their commit id, and exactly once through a 409 and
//! a commit whose answer is lost.

use serde_json::{Value, json};

use crate::common::iceberg::IcebergServer;
use crate::common::realtime::wait_for_segments;
use crate::common::spawn_app;
use crate::export::{create_exporting_table, export_now, ingest_and_seal};

/// The DataExportTask block for `lake.<table>` on the fixture, with `extra` keys.
fn iceberg_block(server: &IcebergServer, source: &str, table: &str, extra: Value) -> Value {
    let mut block = json!({
        "sourceTableName": source,
        "fileFormat": "parquet",
        "externalTable.target": "iceberg-rest",
        "catalog.iceberg-rest.restUri": server.get("uri"),
        "catalog.iceberg-rest.token": server.get("token"),
        "catalog.iceberg-rest.table.namespace": "lake",
        "catalog.iceberg-rest.table.tableName": table,
        "catalog.iceberg-rest.s3.access-key-id": server.get("s3_access_key"),
        "catalog.iceberg-rest.s3.secret-access-key": server.get("s3_secret_key"),
        "catalog.iceberg-rest.s3.endpoint": server.get("s3_endpoint"),
        "catalog.iceberg-rest.s3.region": server.get("s3_region"),
        "bufferTimePeriod": "0s",
    });
    for (k, v) in extra.as_object().unwrap() {
        block[k] = v.clone();
    }
    block
}

async fn scan(server: &IcebergServer, table: &str) -> Value {
    server.table_step(&["--table", table, "scan"]).await
}

fn ids_of(scan: &Value) -> Vec<i64> {
    let mut ids: Vec<i64> = scan["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    ids
}

fn commit_ids(scan: &Value) -> Vec<String> {
    scan["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| {
            s["summary"]["lakeport.commit-id"]
                .as_str()
                .map(str::to_owned)
        })
        .collect()
}

async fn arm(server: &IcebergServer, fault: &str) {
    let answer = reqwest::Client::new()
        .post(format!("{}/_fixture/faults", server.get("uri")))
        .json(&json!({ "commit": fault }))
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success());
}

/// Runs cycles until every one of the source's segments is checkpointed COMPLETED (or `max` cycles).
async fn export_until_done(app: &crate::common::TestApp, table: &str, max: usize) -> Value {
    let (_, source) = app.get(&format!("/segments/{table}")).await;
    let expected = source["segments"].as_array().unwrap().len();
    for _ in 0..max {
        let state = export_now(app, table).await;
        assert_eq!(state, "COMPLETED");
        let (_, status) = app.get(&format!("/tables/{table}/exports")).await;
        let segments = status["segments"].as_array().unwrap();
        let completed = segments
            .iter()
            .filter(|s| s["state"] == "COMPLETED")
            .count();
        if completed == expected && status["pendingCommits"] == 0 {
            return status;
        }
    }
    let (_, status) = app.get(&format!("/tables/{table}/exports")).await;
    panic!("not every segment was exported after {max} cycles: {status:#}");
}

#[tokio::test]
async fn segments_land_in_iceberg_as_batched_snapshots_exactly_once() {
    let server = IcebergServer::start("bearer", "glue").await;
    server.table_step(&["--table", "archive", "create"]).await;
    let app = spawn_app().await;
    create_exporting_table(
        &app,
        "ev",
        300,
        iceberg_block(
            &server,
            "ev_REALTIME",
            "archive",
            json!({"iceberg.commitThreshold": "2"}),
        ),
    )
    .await;
    let segments = ingest_and_seal(&app, "ev_REALTIME", 5, 300).await;
    assert_eq!(segments.len(), 5);

    let status = export_until_done(&app, "ev_REALTIME", 6).await;
    let table = scan(&server, "archive").await;
    assert_eq!(
        ids_of(&table),
        (0..1500).collect::<Vec<_>>(),
        "pyiceberg reads exactly the source rows"
    );
    // Five segments, two per commit: three append snapshots, each naming its commit.
    let ids = commit_ids(&table);
    assert_eq!(ids.len(), 3, "{:#}", table["snapshots"]);
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(unique.len(), 3);
    let snapshots: Vec<i64> = table["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["snapshot_id"].as_i64().unwrap())
        .collect();
    for segment in status["segments"].as_array().unwrap() {
        assert!(
            snapshots.contains(&segment["snapshotId"].as_i64().unwrap()),
            "{segment}"
        );
        assert!(
            ids.contains(&segment["commitId"].as_str().unwrap().to_owned()),
            "{segment}"
        );
    }
    assert_eq!(
        table["files"].as_array().unwrap().len(),
        5,
        "one data file per segment"
    );
    // Columns carry the target's field ids: pyiceberg read them by id, and its bounds are per column.
    assert!(
        table["files"][0]["lower_bounds"]["id"].is_number(),
        "{:#}",
        table["files"][0]
    );

    // Nothing new: another cycle commits nothing.
    export_now(&app, "ev_REALTIME").await;
    assert_eq!(commit_ids(&scan(&server, "archive").await).len(), 3);
    app.stop().await;
}

#[tokio::test]
async fn a_conflict_and_a_lost_commit_answer_still_export_each_row_once() {
    let server = IcebergServer::start("bearer", "glue").await;
    server.table_step(&["--table", "archive", "create"]).await;
    let app = spawn_app().await;
    create_exporting_table(
        &app,
        "ev",
        200,
        iceberg_block(&server, "ev_REALTIME", "archive", json!({})),
    )
    .await;
    ingest_and_seal(&app, "ev_REALTIME", 2, 200).await;

    // A 409 on the commit: the table is reloaded and the append retried.
    arm(&server, "conflict").await;
    export_until_done(&app, "ev_REALTIME", 3).await;
    let table = scan(&server, "archive").await;
    assert_eq!(ids_of(&table), (0..400).collect::<Vec<_>>());
    assert_eq!(commit_ids(&table).len(), 1);

    // The commit reaches the catalog but its answer is lost: the outcome is settled by finding
    // the commit id in the table's snapshots, not by appending again.
    let (content_type, body) = crate::common::realtime::body_for(400..600);
    crate::common::realtime::push(
        &app.client,
        &app.address,
        "ev_REALTIME",
        content_type,
        body,
        None,
    )
    .await
    .unwrap();
    wait_for_segments(&app, "ev_REALTIME", 3).await;
    arm(&server, "drop-response").await;
    export_until_done(&app, "ev_REALTIME", 3).await;
    let table = scan(&server, "archive").await;
    assert_eq!(
        ids_of(&table),
        (0..600).collect::<Vec<_>>(),
        "every row exactly once"
    );
    assert_eq!(commit_ids(&table).len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn a_partitioned_or_non_parquet_target_is_refused_before_any_write() {
    let server = IcebergServer::start("bearer", "glue").await;
    server
        .table_step(&["--table", "parted", "--partition-by", "city", "create"])
        .await;
    server
        .table_step(&[
            "--table",
            "orcish",
            "--property",
            "write.format.default=orc",
            "create",
        ])
        .await;
    let app = spawn_app().await;
    let (code, body) = app
        .post("/schemas", &crate::common::realtime::events_schema("ev"))
        .await;
    assert_eq!(code, 200, "{body}");
    for (target, words) in [
        ("parted", "partition"),
        ("orcish", "orc"),
        ("missing", "does not exist"),
    ] {
        let mut table = crate::common::realtime::events_table("ev", json!({}));
        table["task"] = json!({"taskTypeConfigsMap": {"DataExportTask": iceberg_block(&server, "ev_REALTIME", target, json!({}))}});
        let (code, body) = app.post("/tables", &table).await;
        assert!((400..500).contains(&code), "{target}: {code} {body}");
        assert!(
            body["error"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains(words),
            "{target}: {body}"
        );
        let (code, _) = app.get("/tables/ev").await;
        assert_eq!(code, 404, "{target}: nothing stored");
    }
    let table = scan(&server, "parted").await;
    assert!(
        table["files"].as_array().unwrap().is_empty(),
        "nothing was written"
    );
    app.stop().await;
}
