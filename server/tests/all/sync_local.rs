//! Syncing a local folder: first load, incremental changes, bad files, pause and resume.

use crate::common;

use std::time::Duration;

use common::data::events_file;
use common::{onboard_local, spawn_app};
use serde_json::{Value, json};

async fn trigger(app: &common::TestApp, table: &str) -> i64 {
    let before = app
        .get(&format!("/tables/{table}_OFFLINE/externalTable/status"))
        .await
        .1["runs"][0]["runId"]
        .as_i64()
        .unwrap_or(0);
    let (code, body) = app
        .post(
            &format!("/tasks/schedule?taskType=ExternalTableSyncTask&tableName={table}_OFFLINE"),
            &json!({}),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    before
}

fn ledger_state<'a>(ledger: &'a Value, key: &str) -> &'a Value {
    ledger["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["fileKey"] == key)
        .unwrap_or_else(|| panic!("{key} not in ledger: {ledger}"))
}

#[tokio::test]
async fn each_source_file_is_loaded_exactly_once_through_changes_and_failures() {
    let app = spawn_app().await;
    let folder = app.lake.join("events");
    events_file(&folder.join("part-001.parquet"), 0..100);
    events_file(&folder.join("part-002.parquet"), 100..250);

    onboard_local(&app, "events", &folder, &[]).await;
    let first = app.wait_for_run_after("events", 0).await;
    assert_eq!(first["status"], "COMPLETED", "{first:#}");
    assert_eq!(first["filesDiscovered"], 2);
    assert_eq!(first["segmentsUploaded"], first["filesDiscovered"]);
    assert_eq!(
        first["runs"][0]["trigger"], "CREATE",
        "the first sync starts by itself"
    );
    assert_eq!(app.scalar("SELECT count(*) FROM events").await, json!(250));
    assert_eq!(
        app.scalar("SELECT count(DISTINCT id) FROM events").await,
        json!(250)
    );
    assert_eq!(
        app.scalar("SELECT sum(id) FROM events").await,
        json!((0..250).sum::<i64>())
    );

    // A new file, a re-written file (different rows), a late file that sorts first, and a corrupt one.
    events_file(&folder.join("part-003.parquet"), 250..300);
    events_file(&folder.join("part-001.parquet"), 1000..1150);
    events_file(&folder.join("part-000.parquet"), 300..320);
    std::fs::write(
        folder.join("part-004.parquet"),
        b"PAR1 this is not really parquet",
    )
    .unwrap();
    let before = trigger(&app, "events").await;
    let second = app.wait_for_run_after("events", before).await;
    assert_eq!(
        second["status"], "FAILED",
        "a bad file fails the run but not the other files: {second:#}"
    );
    assert_eq!(second["filesDiscovered"], 4);
    assert_eq!(second["segmentsGenerated"], 3);
    assert_eq!(second["filesFailed"], 1);
    assert!(
        second["errorMessage"]
            .as_str()
            .unwrap()
            .contains("part-004.parquet"),
        "{second:#}"
    );
    assert_eq!(
        app.scalar("SELECT count(*) FROM events").await,
        json!(150 + 150 + 50 + 20)
    );
    assert_eq!(
        app.scalar("SELECT count(DISTINCT id) FROM events").await,
        json!(370)
    );
    assert_eq!(
        app.scalar("SELECT count(*) FROM events WHERE id < 100")
            .await,
        json!(0),
        "old rows of the re-written file are gone"
    );

    let (code, metrics) = app.get("/metrics").await;
    assert_eq!(code, 200);
    let metrics = metrics.as_str().unwrap().to_owned();
    for line in [
        "lakeport_table_rows{table=\"events_OFFLINE\"} 370",
        "lakeport_table_files_failed{table=\"events_OFFLINE\"} 1",
        "lakeport_sync_runs{table=\"events_OFFLINE\",status=\"FAILED\"} 1",
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "missing {line} in:\n{metrics}"
        );
    }
    let (_, ledger) = app.get("/tables/events_OFFLINE/externalTable/files").await;
    assert_eq!(ledger["files"].as_array().unwrap().len(), 5);
    let bad = ledger_state(&ledger, "part-004.parquet");
    assert_eq!(bad["state"], "FAILED");
    assert!(
        bad["firstError"]
            .as_str()
            .unwrap()
            .contains("not a readable Parquet file"),
        "{bad}"
    );
    assert_eq!(ledger_state(&ledger, "part-001.parquet")["rowCount"], 150);
    let (_, segments) = app.get("/segments/events_OFFLINE").await;
    assert_eq!(
        segments["segments"].as_array().unwrap().len(),
        4,
        "one segment per loaded file: {segments}"
    );
    let files_on_disk = std::fs::read_dir(app.data_dir.join("segments/events_OFFLINE"))
        .unwrap()
        .count();
    assert_eq!(files_on_disk, 4, "the replaced segment file was deleted");

    // Fixing the bad file loads it on the next run; nothing else is reloaded.
    events_file(&folder.join("part-004.parquet"), 400..410);
    let before = trigger(&app, "events").await;
    let third = app.wait_for_run_after("events", before).await;
    assert_eq!(third["status"], "COMPLETED", "{third:#}");
    assert_eq!(third["filesDiscovered"], 1);
    assert_eq!(third["segmentsUploaded"], third["filesDiscovered"]);
    assert_eq!(app.scalar("SELECT count(*) FROM events").await, json!(380));
    let (_, ledger) = app.get("/tables/events_OFFLINE/externalTable/files").await;
    let fixed = ledger_state(&ledger, "part-004.parquet");
    assert_eq!(fixed["state"], "LOADED");
    assert_eq!(fixed["attempts"], 2);

    // With nothing new, a run discovers nothing and changes nothing.
    let before = trigger(&app, "events").await;
    let idle = app.wait_for_run_after("events", before).await;
    assert_eq!(
        (idle["status"].clone(), idle["filesDiscovered"].clone()),
        (json!("COMPLETED"), json!(0))
    );
    assert_eq!(app.scalar("SELECT count(*) FROM events").await, json!(380));
    assert!(
        idle["checkpointValue"]
            .as_str()
            .unwrap()
            .parse::<i64>()
            .unwrap()
            > 0
    );
    app.stop().await;
}

#[tokio::test]
async fn rows_are_sorted_by_time_and_partition_folders_become_columns() {
    let app = spawn_app().await;
    let folder = app.lake.join("trips");
    events_file(&folder.join("year=2023/part-0.parquet"), 0..40);
    events_file(&folder.join("year=2024/part-0.parquet"), 40..100);
    let preview = onboard_local(&app, "Trips", &folder, &[]).await;
    assert_eq!(preview["summary"]["batch"]["nMatchingFiles"], 2);
    assert_eq!(
        preview["tableConfigs"]["offline"]["segmentsConfig"]["timeColumnName"],
        "ts"
    );
    let year = preview["schema"]["dimensionFieldSpecs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "year")
        .cloned();
    assert_eq!(year.unwrap()["dataType"], "LONG");
    let status = app.wait_for_run_after("Trips", 0).await;
    assert_eq!(status["status"], "COMPLETED", "{status:#}");
    let rows = app
        .sql("SELECT year, count(*) FROM trips GROUP BY year ORDER BY year")
        .await;
    assert_eq!(rows, vec![json!([2023, 40]), json!([2024, 60])]);
    assert_eq!(
        app.scalar("SELECT count(*) FROM \"Trips\"").await,
        json!(100)
    );
    let (_, segments) = app.get("/segments/Trips_OFFLINE").await;
    for segment in segments["segments"].as_array().unwrap() {
        assert!(segment["minTimeMs"].as_i64().unwrap() <= segment["maxTimeMs"].as_i64().unwrap());
    }
    app.stop().await;
}

#[tokio::test]
async fn a_paused_table_runs_nothing_until_resumed() {
    let app = spawn_app().await;
    let folder = app.lake.join("paused");
    events_file(&folder.join("a.parquet"), 0..10);
    onboard_local(&app, "paused", &folder, &[]).await;
    app.wait_for_run_after("paused", 0).await;

    let (code, body) = app
        .put("/tables/paused_OFFLINE/state?state=disable", None)
        .await;
    assert_eq!(code, 200, "{body}");
    let (_, config) = app.get("/tables/paused").await;
    assert_eq!(
        config["OFFLINE"]["task"]["taskTypeConfigsMap"]["ExternalTableSyncTask"]["enabled"],
        "false"
    );
    let (code, body) = app
        .post(
            "/tasks/schedule?taskType=ExternalTableSyncTask&tableName=paused_OFFLINE",
            &json!({}),
        )
        .await;
    assert_eq!(code, 409, "{body}");
    assert!(body["error"].as_str().unwrap().contains("paused"));

    events_file(&folder.join("b.parquet"), 10..20);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let status = app
        .get("/tables/paused_OFFLINE/externalTable/status")
        .await
        .1;
    assert_eq!(
        status["runs"].as_array().unwrap().len(),
        1,
        "no run while paused: {status:#}"
    );
    assert_eq!(status["enabled"], false);
    assert_eq!(app.scalar("SELECT count(*) FROM paused").await, json!(10));

    let (code, _) = app
        .put("/tables/paused_OFFLINE/state?state=enable", None)
        .await;
    assert_eq!(code, 200);
    let (code, body) = app
        .post(
            "/periodictask/run?taskname=ExternalTableSyncTask&tableName=paused&type=OFFLINE",
            &json!({}),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        body["status"],
        "ExternalTableSyncTask triggered for table: paused_OFFLINE"
    );
    let resumed = app
        .wait_for_run_after("paused", status["runs"][0]["runId"].as_i64().unwrap())
        .await;
    assert_eq!(
        resumed["filesDiscovered"], 1,
        "resumes from where it stopped: {resumed:#}"
    );
    assert_eq!(app.scalar("SELECT count(*) FROM paused").await, json!(20));
    app.stop().await;
}

/// A file whose `city` and `amount` have nulls in rows 1 and 3.
fn file_with_nulls(path: &std::path::Path) {
    use arrow::array::{Float64Array, Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    let batch = arrow::record_batch::RecordBatch::try_new(
        std::sync::Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("amount", DataType::Float64, true),
            Field::new("city", DataType::Utf8, true),
        ])),
        vec![
            std::sync::Arc::new(Int64Array::from(vec![0, 1, 2, 3])),
            std::sync::Arc::new(Float64Array::from(vec![Some(1.5), None, Some(2.5), None])),
            std::sync::Arc::new(StringArray::from(vec![
                Some("Oslo"),
                None,
                Some("Lima"),
                None,
            ])),
        ],
    )
    .unwrap();
    common::data::write_parquet(path, &batch);
}

#[tokio::test]
async fn null_handling_off_stores_default_values_and_refresh_push_is_refused() {
    let app = spawn_app().await;
    file_with_nulls(&app.lake.join("nulls/a.parquet"));
    let folder = app.lake.join("nulls");
    for (table, null_handling) in [("kept", true), ("filled", false)] {
        let (status, preview) = app
            .post(
                "/tables/preview",
                &json!({
                    "tableConfig": { "tableName": table, "task": { "taskTypeConfigsMap": {
                        "ExternalTableSyncTask": { "catalogType": "local", "catalog.local.path": folder.to_string_lossy() }
                    } } },
                    "config": { "inference": { "embeddedSchemaEnabled": true } }
                }),
            )
            .await;
        assert_eq!(status, 200, "{preview}");
        let mut config = preview["tableConfigs"]["offline"].clone();
        assert_eq!(
            config["tableIndexConfig"]["nullHandlingEnabled"], true,
            "on by default"
        );
        assert_eq!(
            config["ingestionConfig"]["batchIngestionConfig"]["segmentIngestionType"],
            "APPEND"
        );
        let (status, body) = app.post("/schemas", &preview["schema"]).await;
        assert_eq!(status, 200, "{body}");

        let mut refresh = config.clone();
        refresh["ingestionConfig"]["batchIngestionConfig"]["segmentIngestionType"] =
            json!("REFRESH");
        let (status, body) = app.post("/tables", &refresh).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(
            body["field"],
            "ingestionConfig.batchIngestionConfig.segmentIngestionType"
        );
        let (status, _) = app.get(&format!("/tables/{table}")).await;
        assert_eq!(status, 404, "a refused table leaves nothing behind");

        config["tableIndexConfig"]["nullHandlingEnabled"] = json!(null_handling);
        let (status, body) = app.post("/tables", &config).await;
        assert_eq!(status, 200, "{body}");
        app.wait_for_run_after(table, 0).await;
    }
    assert_eq!(
        app.scalar("SELECT count(*) FROM kept WHERE city IS NULL")
            .await,
        2
    );
    assert_eq!(
        app.scalar("SELECT count(*) FROM kept WHERE amount IS NULL")
            .await,
        2
    );
    assert_eq!(
        app.scalar("SELECT count(*) FROM filled WHERE city IS NULL OR amount IS NULL")
            .await,
        0
    );
    assert_eq!(
        app.scalar("SELECT count(*) FROM filled WHERE city = 'null'")
            .await,
        2
    );
    // amount is a metric (a DOUBLE), whose default is 0.
    assert_eq!(
        app.scalar("SELECT count(*) FROM filled WHERE amount = 0")
            .await,
        2
    );
    app.stop().await;
}
