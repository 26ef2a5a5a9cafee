//! Iceberg tables sync snapshot by snapshot from a real REST catalog: after every change
//! pyiceberg makes (appends, overwrite, deletes with delete files, schema changes), the
//! count and per-column checksums Lakeport answers equal pyiceberg's over the same snapshot.

use crate::common;

use std::collections::BTreeMap;

use common::iceberg::IcebergServer;
use common::{TestApp, onboard_task, seeds_dir, spawn_app};
use serde_json::{Value, json};

const TABLE: &str = "events";

/// A connection to the fixture's catalog, naming `lake.events`, with the storage keys
/// unless the catalog vends them.
fn params(server: &IcebergServer, storage_keys: bool) -> Value {
    let mut params = json!({
        "catalogType": "iceberg-rest",
        "catalog.iceberg-rest.restUri": server.get("uri"),
        "catalog.iceberg-rest.table.namespace": "lake",
        "catalog.iceberg-rest.table.tableName": "events",
    });
    match server.get("auth").as_str() {
        "sigv4" => {
            params["catalog.iceberg-rest.warehouse"] = json!(server.get("warehouse"));
            params["catalog.iceberg-rest.rest.signing-name"] = json!(server.get("signing_name"));
            params["catalog.iceberg-rest.rest.signing-region"] = json!(server.get("region"));
            params["catalog.iceberg-rest.rest.access-key-id"] = json!(server.get("access_key"));
            params["catalog.iceberg-rest.rest.secret-access-key"] = json!(server.get("secret_key"));
        }
        "bearer" => params["catalog.iceberg-rest.token"] = json!(server.get("token")),
        other => panic!("no connection for auth mode {other:?}"),
    }
    if storage_keys {
        for (key, value) in [
            ("s3.access-key-id", "s3_access_key"),
            ("s3.secret-access-key", "s3_secret_key"),
            ("s3.endpoint", "s3_endpoint"),
            ("s3.region", "s3_region"),
        ] {
            params[format!("catalog.iceberg-rest.{key}")] = json!(server.get(value));
        }
    }
    params
}

/// Triggers a run the seed-002 way and waits for it to finish.
async fn sync(app: &TestApp) -> Value {
    let before = latest_run_id(app).await;
    let (code, body) = app
        .post(
            &format!(
                "/periodictask/run?taskname=IcebergIngestionTask&tableName={TABLE}&type=OFFLINE"
            ),
            &json!({}),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        body,
        json!({ "status": format!("IcebergIngestionTask triggered for table: {TABLE}_OFFLINE") })
    );
    app.wait_for_run_after(TABLE, before).await["runs"][0].clone()
}

async fn latest_run_id(app: &TestApp) -> i64 {
    let (_, status) = app
        .get(&format!("/tables/{TABLE}_OFFLINE/externalTable/status"))
        .await;
    status["runs"][0]["runId"].as_i64().unwrap_or(0)
}

fn number(v: &Value) -> f64 {
    v.as_f64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or(0.0)
}

/// Lakeport's answers equal pyiceberg's `stats` of the current snapshot. `columns` pairs
/// each Lakeport column with the name its Iceberg field has now.
async fn assert_same_data(
    app: &TestApp,
    server: &IcebergServer,
    columns: &[(&str, &str)],
    step: &str,
) {
    let stats = server.table_step(&["stats"]).await;
    let row = app
        .sql(&format!(
            "SELECT count(*), sum(id), min(id), max(id) FROM {TABLE}"
        ))
        .await[0]
        .clone();
    assert_eq!(
        number(&row[0]),
        number(&stats["rows"]),
        "{step}: count(*) vs {stats}"
    );
    assert_eq!(
        number(&row[1]),
        number(&stats["sum_id"]),
        "{step}: sum(id) vs {stats}"
    );
    assert_eq!(number(&row[2]), number(&stats["min_id"]), "{step}: min(id)");
    assert_eq!(number(&row[3]), number(&stats["max_id"]), "{step}: max(id)");
    for (column, field) in columns {
        let non_null = app
            .scalar(&format!("SELECT count({column}) FROM {TABLE}"))
            .await;
        assert_eq!(
            number(&non_null),
            number(&stats["non_null"][field]),
            "{step}: count({column}) vs Iceberg field {field}: {stats}"
        );
        if let Some(sum) = stats["sums"].get(field) {
            let ours = app
                .scalar(&format!("SELECT sum({column}) FROM {TABLE}"))
                .await;
            assert!(
                (number(&ours) - number(sum)).abs() < 1e-6,
                "{step}: sum({column}) = {ours} vs {sum}"
            );
        }
    }
    if let Some((column, _)) = columns.iter().find(|(_, f)| *f == "city") {
        let ours: BTreeMap<String, f64> = app
            .sql(&format!(
                "SELECT {column}, count(*) FROM {TABLE} GROUP BY {column}"
            ))
            .await
            .iter()
            .map(|r| (r[0].as_str().unwrap_or("null").to_owned(), number(&r[1])))
            .collect();
        let theirs: BTreeMap<String, f64> = stats["cities"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), number(v)))
            .collect();
        assert_eq!(ours, theirs, "{step}: rows per city");
    }
}

async fn checkpoint(app: &TestApp) -> Value {
    let (code, body) = app
        .get(&format!("/tables/{TABLE}_OFFLINE/iceberg/checkpoint"))
        .await;
    assert_eq!(code, 200, "{body}");
    body
}

fn completed(run: &Value) {
    assert_eq!(run["status"], "COMPLETED", "{run:#}");
}

#[tokio::test]
async fn snapshots_sync_one_by_one_and_match_pyiceberg() {
    let server = IcebergServer::start("sigv4", "glue").await;
    let first = server
        .table_step(&[
            "append", "--ids", "0:100", "+", "append", "--ids", "100:150",
        ])
        .await;
    let app = spawn_app().await;
    onboard_task(&app, TABLE, "IcebergIngestionTask", params(&server, true)).await;
    let run = app.wait_for_run_after(TABLE, 0).await["runs"][0].clone();
    completed(&run);
    assert_eq!(
        run["filesDiscovered"], 2,
        "the current snapshot's two files: {run}"
    );
    assert_eq!(
        checkpoint(&app).await,
        json!({ "tableNameWithType": "events_OFFLINE", "checkpointType": "SNAPSHOT_ID",
                "checkpointValue": first["snapshot_id"].to_string() })
    );
    let all = [
        ("id", "id"),
        ("ts", "ts"),
        ("amount", "amount"),
        ("city", "city"),
    ];
    assert_same_data(&app, &server, &all, "two appends").await;

    // An append loads only the file it added.
    let appended = server.table_step(&["append", "--ids", "150:200"]).await;
    let run = sync(&app).await;
    completed(&run);
    assert_eq!(run["filesDiscovered"], 1, "{run}");
    assert_eq!(run["checkpointValue"], appended["snapshot_id"].to_string());
    assert_same_data(&app, &server, &all, "append").await;

    // Overwrite (two snapshots: rewrite without Paris, then append) and a delete that
    // rewrites files: the rows of removed files go, walked snapshot by snapshot.
    server
        .table_step(&["overwrite", "--where", "city = 'Paris'", "--ids", "200:230"])
        .await;
    completed(&sync(&app).await);
    assert_same_data(&app, &server, &all, "overwrite").await;
    server.table_step(&["delete", "--where", "id < 20"]).await;
    completed(&sync(&app).await);
    assert_same_data(&app, &server, &all, "copy-on-write delete").await;

    // Merge-on-read: a position-delete file, then an equality-delete file.
    let step = server
        .table_step(&["delete-pos", "--where", "city = 'Lima'"])
        .await;
    assert!(
        step["total_position_deletes"].as_i64().unwrap() > 0,
        "{step}"
    );
    let run = sync(&app).await;
    completed(&run);
    assert!(run["note"].is_null(), "the row count was checked: {run}");
    assert_same_data(&app, &server, &all, "position deletes").await;
    server.table_step(&["delete-eq", "--ids", "100:120"]).await;
    let run = sync(&app).await;
    completed(&run);
    assert!(
        run["note"]
            .as_str()
            .unwrap_or_default()
            .contains("equality deletes"),
        "an unchecked row count is said: {run}"
    );
    assert_same_data(&app, &server, &all, "equality deletes").await;

    // The live file count comes from the catalog, for any snapshot.
    let (code, files) = app
        .get(&format!("/tables/{TABLE}_OFFLINE/iceberg/files"))
        .await;
    assert_eq!(code, 200, "{files}");
    let current = server.table_step(&["stats"]).await;
    assert_eq!(files["fileCount"], current["total_data_files"], "{files}");
    assert_eq!(files["snapshotId"], Value::Null);
    let (code, files) = app
        .get(&format!(
            "/tables/{TABLE}_OFFLINE/iceberg/files?snapshotId={}",
            first["snapshot_id"]
        ))
        .await;
    assert_eq!(
        (code, files["fileCount"].clone()),
        (200, json!(2)),
        "{files}"
    );
    let (code, body) = app
        .get(&format!(
            "/tables/{TABLE}_OFFLINE/iceberg/files?snapshotId=42"
        ))
        .await;
    assert_eq!(code, 404, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("snapshot 42"),
        "{body}"
    );

    // A renamed field keeps loading into its column.
    server
        .table_step(&[
            "rename-column",
            "--name",
            "amount",
            "--to",
            "price",
            "+",
            "append",
            "--ids",
            "300:320",
        ])
        .await;
    let run = sync(&app).await;
    completed(&run);
    assert!(
        run["note"].as_str().unwrap_or_default().contains("'price'"),
        "{run}"
    );
    let renamed = [
        ("id", "id"),
        ("ts", "ts"),
        ("amount", "price"),
        ("city", "city"),
    ];
    assert_same_data(&app, &server, &renamed, "renamed field").await;

    // An added field stops the sync, naming it, until the schema takes it.
    server
        .table_step(&[
            "add-column",
            "--name",
            "note",
            "+",
            "append",
            "--ids",
            "320:340",
        ])
        .await;
    let run = sync(&app).await;
    assert_eq!(run["status"], "FAILED", "{run}");
    let error = run["errorMessage"].as_str().unwrap();
    assert!(
        error.contains("'note' (field id 5)") && error.contains("POST /schemas"),
        "{error}"
    );
    let (_, mut schema) = app.get(&format!("/schemas/{TABLE}")).await;
    schema["dimensionFieldSpecs"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "name": "note", "dataType": "STRING" }));
    let (code, body) = app.post("/schemas", &schema).await;
    assert_eq!(code, 200, "{body}");
    completed(&sync(&app).await);
    let with_note = [
        ("id", "id"),
        ("amount", "price"),
        ("city", "city"),
        ("note", "note"),
    ];
    assert_same_data(&app, &server, &with_note, "added field").await;

    // A dropped field is never filled with nulls silently.
    server
        .table_step(&[
            "drop-column",
            "--name",
            "city",
            "+",
            "append",
            "--ids",
            "340:350",
        ])
        .await;
    let before = checkpoint(&app).await;
    let run = sync(&app).await;
    assert_eq!(run["status"], "FAILED", "{run}");
    let error = run["errorMessage"].as_str().unwrap();
    assert!(error.contains("'city' (field id 4) was dropped"), "{error}");
    assert_eq!(checkpoint(&app).await, before, "the checkpoint stays put");

    run_seed_002_curl_lines(&app, &server).await;
    app.stop().await;
}

/// Seed 002's curl lines, read from the seed and run unchanged but for the host, the table
/// name, the sample snapshot id and the Authorization header seed 000 says to add.
async fn run_seed_002_curl_lines(app: &TestApp, server: &IcebergServer) {
    let seed = std::fs::read_dir(seeds_dir())
        .expect("seeds")
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .find(|text| text.contains("/iceberg/checkpoint") && text.contains("IcebergIngestionTask"))
        .expect("the monitoring seed");
    let mut commands = Vec::new();
    let mut lines = seed.lines();
    while let Some(line) = lines.next() {
        if !line.starts_with("curl ") {
            continue;
        }
        let mut command = line.trim_end_matches('\\').to_owned();
        let mut continued = line.ends_with('\\');
        while continued {
            let next = lines.next().expect("a continued curl line");
            command.push(' ');
            command.push_str(next.trim_end_matches('\\'));
            continued = next.ends_with('\\');
        }
        commands.push(command);
    }
    assert!(commands.len() >= 4, "{commands:?}");
    let snapshot = server.table_step(&["stats"]).await["snapshot_id"].to_string();
    let base = app.url("");
    for command in commands {
        let command = command
            .replace("http://localhost:9000", base.trim_end_matches('/'))
            .replace("<TABLE_NAME>", TABLE)
            .replace("1234567890123456789", &snapshot);
        let output = tokio::process::Command::new("bash")
            .args([
                "-c",
                &format!(
                    "{command} -sS --fail-with-body -H 'Authorization: Bearer {}'",
                    app.token
                ),
            ])
            .output()
            .await
            .expect("curl runs");
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{command}: {text} {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let body: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{command}: {e}: {text}"));
        if command.contains("/iceberg/status") {
            for field in [
                "tableNameWithType",
                "status",
                "startTimeMs",
                "endTimeMs",
                "filesDiscovered",
                "segmentsGenerated",
                "errorMessage",
                "checkpointValue",
            ] {
                assert!(body.get(field).is_some(), "{field} in {body}");
            }
        } else if command.contains("/iceberg/checkpoint") {
            assert_eq!(body["checkpointType"], "SNAPSHOT_ID", "{body}");
        } else if command.contains("/iceberg/files") {
            assert!(body["fileCount"].as_u64().is_some(), "{body}");
        } else {
            assert!(
                body["status"].as_str().unwrap().contains("triggered"),
                "{body}"
            );
        }
    }
}

/// How many times the table was loaded (GET …/namespaces/lake/tables/events) so far.
async fn table_loads(server: &IcebergServer) -> usize {
    let log: Vec<Value> = reqwest::get(format!("{}/_fixture/requests", server.get("uri")))
        .await
        .expect("fixture request log")
        .json()
        .await
        .expect("JSON log");
    log.iter()
        .filter(|r| {
            r["method"] == "GET"
                && r["path"]
                    .as_str()
                    .unwrap_or_default()
                    .split('?')
                    .next()
                    .unwrap_or_default()
                    .ends_with("/namespaces/lake/tables/events")
        })
        .count()
}

#[tokio::test]
async fn vended_credentials_are_used_and_refreshed_before_they_expire() {
    // The catalog vends the storage keys, saying they expire a second after each answer.
    let server = IcebergServer::start_with(&[
        "--auth",
        "bearer",
        "--vend",
        "storage-credentials",
        "--vend-ttl-ms",
        "1000",
    ])
    .await;
    server.table_step(&["append", "--ids", "0:40"]).await;
    let app = spawn_app().await;
    onboard_task(&app, TABLE, "IcebergIngestionTask", params(&server, false)).await;
    completed(&app.wait_for_run_after(TABLE, 0).await["runs"][0]);
    assert_same_data(&app, &server, &[("id", "id"), ("city", "city")], "vended").await;

    server
        .table_step(&[
            "append", "--ids", "40:50", "+", "append", "--ids", "50:60", "+", "append", "--ids",
            "60:70",
        ])
        .await;
    let before = table_loads(&server).await;
    completed(&sync(&app).await);
    assert_eq!(
        table_loads(&server).await - before,
        4,
        "loaded once to start, then again before each of the three snapshots for fresh credentials"
    );
    assert_same_data(
        &app,
        &server,
        &[("id", "id"), ("city", "city")],
        "refreshed",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn a_dropped_re_created_or_unreachable_table_fails_the_run_clearly() {
    let server = IcebergServer::start("bearer", "glue").await;
    server.table_step(&["append", "--ids", "0:10"]).await;
    let app = spawn_app().await;
    onboard_task(&app, TABLE, "IcebergIngestionTask", params(&server, true)).await;
    completed(&app.wait_for_run_after(TABLE, 0).await["runs"][0]);

    server.table_step(&["drop-table"]).await;
    let run = sync(&app).await;
    assert_eq!(run["status"], "FAILED", "{run}");
    assert!(
        run["errorMessage"]
            .as_str()
            .unwrap()
            .contains("lake.events"),
        "the message names the table: {run}"
    );

    server.table_step(&["append", "--ids", "0:10"]).await;
    let run = sync(&app).await;
    assert_eq!(run["status"], "FAILED", "{run}");
    assert!(
        run["errorMessage"]
            .as_str()
            .unwrap()
            .contains("dropped and re-created"),
        "{run}"
    );
    assert_eq!(
        app.scalar(&format!("SELECT count(*) FROM {TABLE}")).await,
        json!(10),
        "the loaded rows stay"
    );

    drop(server);
    let run = sync(&app).await;
    assert_eq!(run["status"], "FAILED", "{run}");
    assert!(
        run["errorMessage"]
            .as_str()
            .unwrap()
            .contains("connecting to the Iceberg catalog"),
        "{run}"
    );
    app.stop().await;
}

#[tokio::test]
async fn decimals_timestamps_dates_lists_structs_and_maps_preview_and_sync() {
    let server = IcebergServer::start("bearer", "glue").await;
    let typed = ["--table", "typed", "--schema", "typed"];
    server
        .table_step(&[&typed[..], &["append", "--ids", "0:50"]].concat())
        .await;
    let app = spawn_app().await;
    let mut source = params(&server, true);
    source["catalog.iceberg-rest.table.tableName"] = json!("typed");
    let preview = onboard_task(&app, "typed", "IcebergIngestionTask", source).await;
    let fields = common::schema_fields(&preview["schema"]);
    for (name, data_type, single) in [
        ("id", "LONG", true),
        ("price", "BIG_DECIMAL", true),
        ("at", "TIMESTAMP", true),
        ("at_tz", "TIMESTAMP", true),
        ("day", "TIMESTAMP", true),
        ("tags", "STRING", false),
        ("address", "JSON", true),
        ("attrs", "JSON", true),
    ] {
        assert_eq!(
            fields.get(name),
            Some(&(data_type.to_owned(), single)),
            "{name} in {fields:?}"
        );
    }

    completed(&app.wait_for_run_after("typed", 0).await["runs"][0]);
    let stats = server.table_step(&[&typed[..], &["stats"]].concat()).await;
    let row = app
        .sql("SELECT count(*), sum(id), sum(price), count(tags), count(address), count(attrs) FROM typed")
        .await[0]
        .clone();
    assert_eq!(
        number(&row[0]),
        number(&stats["rows"]),
        "{row:?} vs {stats}"
    );
    assert_eq!(number(&row[1]), number(&stats["sum_id"]));
    assert!(
        (number(&row[2]) - number(&stats["sums"]["price"])).abs() < 1e-9,
        "{row:?}"
    );
    for (index, field) in [(3, "tags"), (4, "address"), (5, "attrs")] {
        assert_eq!(
            number(&row[index]),
            number(&stats["non_null"][field]),
            "{field}"
        );
    }
    let row = app
        .sql("SELECT address, at = at_tz, day, tags FROM typed WHERE id = 3")
        .await[0]
        .clone();
    let address: Value = serde_json::from_str(row[0].as_str().unwrap_or_default())
        .unwrap_or_else(|e| panic!("address is JSON text: {e}: {row:?}"));
    assert_eq!(address, json!({ "city": "Kyiv", "zip": 1003 }), "{row:?}");
    assert_eq!(
        row[1],
        json!(true),
        "a timestamp and a timestamptz of the same instant: {row:?}"
    );
    assert_eq!(row[3], json!(["t0", "all"]), "{row:?}");
    app.stop().await;
}
