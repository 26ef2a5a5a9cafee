//! Bad input gets a 4xx that says what is wrong, and leaves nothing behind.

use crate::common;

use common::data::events_file;
use common::{onboard_local, spawn_app};
use serde_json::{Value, json};

fn s3_params(extra: &[(&str, &str)]) -> Value {
    let mut params = json!({
        "catalogType": "s3",
        "catalog.s3.bucketName": "lake",
        "catalog.s3.prefix": "events/",
        "catalog.s3.region": "us-east-1",
        "catalog.s3.accessKey": "AKIAEXAMPLE",
        "catalog.s3.secretKey": "secret",
    });
    for (k, v) in extra {
        params[*k] = json!(v);
    }
    params
}

fn assert_error(code: u16, body: &Value, expected_code: u16, needle: &str) {
    assert_eq!(code, expected_code, "{body}");
    let message = body["error"].as_str().unwrap_or_default();
    assert!(
        message.contains(needle),
        "error should mention {needle:?}: {body}"
    );
}

#[tokio::test]
async fn malformed_and_incomplete_requests_are_explained() {
    let app = spawn_app().await;

    let (code, body) = app
        .post_raw("/tables/preview", "application/json", "{\"tableConfig\": ")
        .await;
    assert_error(code, &body, 400, "not valid JSON");

    let (code, body) = app
        .post_raw("/connections/browse", "text/plain", "{}")
        .await;
    assert_error(code, &body, 400, "Content-Type: application/json");

    let (code, body) = app.post("/tables/preview", &json!({ "config": {} })).await;
    assert_error(code, &body, 400, "tableConfig");

    let browse = |params: Value, path: &str| json!({ "connection": { "type": "CATALOG", "params": params }, "path": path });
    let (code, body) = app
        .post(
            "/connections/browse",
            &browse(json!({ "catalogType": "ftp" }), ""),
        )
        .await;
    assert_error(code, &body, 400, "unknown catalog type 'ftp'");
    assert_eq!(body["field"], "connection.params.catalogType");

    let mut missing = s3_params(&[]);
    missing
        .as_object_mut()
        .unwrap()
        .remove("catalog.s3.bucketName");
    let (code, body) = app.post("/connections/browse", &browse(missing, "")).await;
    assert_error(code, &body, 400, "is required");
    assert_eq!(body["field"], "connection.params.catalog.s3.bucketName");

    let (code, body) = app
        .post(
            "/connections/browse",
            &browse(s3_params(&[("catalog.s3.bucketName", "Not_A_Bucket")]), ""),
        )
        .await;
    assert_error(code, &body, 400, "not a valid S3 bucket name");

    let (code, body) = app
        .post(
            "/connections/browse",
            &json!({ "connection": { "type": "JDBC", "params": s3_params(&[]) } }),
        )
        .await;
    assert_error(code, &body, 400, "use \"CATALOG\"");

    let local = |path: &str| json!({ "catalogType": "local", "catalog.local.path": path });
    let lake = app.lake.to_string_lossy().into_owned();
    std::fs::create_dir_all(&app.lake).unwrap();
    let (code, body) = app
        .post("/connections/browse", &browse(local(&lake), "../.."))
        .await;
    assert_error(code, &body, 400, "may not contain '..'");
    let (code, body) = app
        .post("/connections/browse", &browse(local("/etc"), ""))
        .await;
    assert_error(code, &body, 400, "outside the folders Lakeport may read");
    let (code, body) = app
        .post("/connections/browse", &browse(local(&lake), ""))
        .await;
    assert_eq!(
        (code, body),
        (200, json!({ "items": [] })),
        "an empty folder browses fine"
    );

    let (code, body) = app.get("/tables/nope_OFFLINE/externalTable/status").await;
    assert_error(code, &body, 404, "does not exist");
    app.stop().await;
}

#[tokio::test]
async fn a_table_that_cannot_work_is_not_created() {
    let app = spawn_app().await;
    let folder = app.lake.join("t");
    events_file(&folder.join("a.parquet"), 0..5);
    let config = |params: Value| {
        json!({
            "tableName": "t_OFFLINE",
            "tableType": "OFFLINE",
            "task": { "taskTypeConfigsMap": { "ExternalTableSyncTask": params } }
        })
    };
    let local = json!({ "catalogType": "local", "catalog.local.path": folder.to_string_lossy() });

    let (code, body) = app.post("/tables", &config(local.clone())).await;
    assert_error(code, &body, 400, "schema 't' does not exist");

    let (code, body) = app
        .post(
            "/schemas",
            &json!({ "schemaName": "t", "dimensionFieldSpecs": [{ "name": "id", "dataType": "LONG" }, { "name": "id", "dataType": "STRING" }] }),
        )
        .await;
    assert_error(code, &body, 400, "appears twice");
    let (code, body) = app.post("/schemas", &json!({ "schemaName": "t", "metricFieldSpecs": [{ "name": "city", "dataType": "STRING" }] })).await;
    assert_error(code, &body, 400, "must be numeric");
    let (code, body) = app.post("/schemas", &json!({ "schemaName": "t", "dimensionFieldSpecs": [{ "name": "nope", "dataType": "LONG" }] })).await;
    assert_eq!(code, 200, "{body}");
    let (code, body) = app.post("/tables", &config(local.clone())).await;
    assert_error(code, &body, 400, "field 'nope'");

    // A masked secret that Lakeport was never given is refused, not stored.
    let (code, body) = app
        .post(
            "/tables",
            &config(s3_params(&[("catalog.s3.secretKey", "*****")])),
        )
        .await;
    assert_eq!(code, 400, "{body}");
    let message = body["error"].as_str().unwrap();
    assert!(
        message.contains("catalog.s3.secretKey") && message.contains("no secret is stored"),
        "{body}"
    );

    let mut bad_cron = config(local.clone());
    bad_cron["task"]["taskTypeConfigsMap"]["ExternalTableSyncTask"]["schedule"] =
        json!("every five minutes");
    let (code, body) = app.post("/tables", &bad_cron).await;
    assert_error(code, &body, 400, "not a cron expression");

    assert_eq!(
        app.get("/tables").await.1,
        json!({ "tables": [] }),
        "nothing half-made is left"
    );
    let (code, body) = app.delete("/schemas/t").await;
    assert_eq!(code, 200, "{body}");
    app.stop().await;
}

#[tokio::test]
async fn only_read_only_sql_runs() {
    let app = spawn_app().await;
    let folder = app.lake.join("q");
    events_file(&folder.join("a.parquet"), 0..5);
    onboard_local(&app, "q", &folder, &[]).await;
    app.wait_for_run_after("q", 0).await;

    for (sql, needle) in [
        ("INSERT INTO q VALUES (1)", "INSERT"),
        ("DELETE FROM q", "DELETE"),
        ("DROP TABLE q", "DROP"),
        ("COPY q TO '/tmp/out.parquet'", "COPY"),
        (
            "CREATE EXTERNAL TABLE x STORED AS PARQUET LOCATION '/etc/'",
            "CREATE EXTERNAL TABLE",
        ),
        ("SELECT * FROM '/etc/passwd'", "/etc/passwd"),
        ("SELECT * FROM nope", "nope"),
        ("SELEC 1", "does not parse"),
        ("SELECT 1; SELECT 2", "exactly one statement"),
    ] {
        let (code, body) = app.post("/query/sql", &json!({ "sql": sql })).await;
        assert_error(code, &body, 400, needle);
    }
    let (code, body) = app
        .post("/query/sql", &json!({ "query": "SELECT 1" }))
        .await;
    assert_error(code, &body, 400, "sql");

    let (code, body) = app
        .post(
            "/query/sql",
            &json!({ "sql": "SELECT city, count(*) AS n FROM q GROUP BY city ORDER BY city" }),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        body["resultTable"]["dataSchema"]["columnNames"],
        json!(["city", "n"])
    );
    assert_eq!(
        body["resultTable"]["dataSchema"]["columnDataTypes"],
        json!(["STRING", "LONG"])
    );
    assert_eq!(body["numRowsResultSet"], 4);
    assert!(body["timeUsedMs"].is_number());
    app.stop().await;
}

#[tokio::test]
async fn health_and_readiness() {
    let app = spawn_app().await;
    assert_eq!(app.get("/health").await, (200, json!({ "status": "OK" })));
    assert_eq!(app.get("/ready").await.0, 200);
    app.stop().await;
}

#[tokio::test]
async fn schedules_are_explained_and_bad_ones_refused() {
    let app = spawn_app().await;
    let (code, body) = app
        .get("/schedules/explain?schedule=0%20*/5%20*%20*%20*%20%3F")
        .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["description"], "every 5 minutes");
    let runs: Vec<i64> = body["nextRunsMs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    assert_eq!(runs.len(), 5);
    assert!(runs.windows(2).all(|w| w[1] - w[0] == 300_000), "{runs:?}");
    assert_eq!(runs[0] % 300_000, 0, "on the five-minute marks: {runs:?}");

    let (code, body) = app.get("/schedules/explain?schedule=every%20day").await;
    assert_error(code, &body, 400, "not a cron expression");
    assert_eq!(body["field"], "schedule");
    let (code, body) = app.get("/schedules/explain").await;
    assert_error(code, &body, 400, "is required");
    app.stop().await;
}

/// Postgres text cannot hold NUL: a name with one (in a path or a body) is the caller's 400,
/// not a 500 from the database's refusal.
#[tokio::test]
async fn a_nul_character_in_a_name_is_a_400() {
    let app = spawn_app().await;
    for path in [
        "/tables/a%00b",
        "/schemas/a%00b",
        "/api/v1/ailake/database/instances/a%00b",
        "/api/v1/ailake/operations/a%00b",
    ] {
        let (status, body) = app.get(path).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert!(
            body["error"].as_str().unwrap().contains("NUL"),
            "{path}: {body}"
        );
    }
    app.stop().await;
}
