//! The AI Lake API (seed 004, AILAKE-API.md) against moto S3: storages, instances, pipe
//! tables over a Hive-partitioned prefix, long operations and their ids, JSON:API envelopes.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::data::events_bytes;
use crate::common::s3::S3Server;
use crate::common::{TestApp, spawn_app_with};

const AILAKE: &str = "/api/v1/ailake";

/// A POST or DELETE with an optional `operation-id`: status, headers, body.
async fn change(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    operation_id: Option<&str>,
    body: Option<&Value>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut request = app
        .client
        .request(method, app.url(&format!("{AILAKE}{path}")));
    if let Some(id) = operation_id {
        request = request.header("operation-id", id);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, headers, body)
}

/// Polls an operation the way the API's client library does, until it ends.
async fn finished(app: &TestApp, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, body) = app.get(&format!("{AILAKE}/operations/{id}")).await;
        assert_eq!(status, 200, "{body}");
        if body["status"] != "pending" {
            return body;
        }
        assert!(Instant::now() < deadline, "operation {id} still pending");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Runs a change that must be accepted, and waits for it to succeed.
async fn succeeds(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: Option<&Value>,
) -> Value {
    let (status, headers, accepted) = change(app, method, path, None, body).await;
    assert_eq!(status, 202, "{path}: {accepted}");
    let id = headers["operation-id"].to_str().unwrap().to_owned();
    assert_eq!(
        headers["operation-location"].to_str().unwrap(),
        format!("{AILAKE}/operations/{id}")
    );
    let done = finished(app, &id).await;
    assert_eq!(done["status"], "succeeded", "{path}: {done}");
    done
}

async fn wait_for_count(app: &TestApp, sql: &str, rows: i64) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, body) = app.post("/query/sql", &json!({ "sql": sql })).await;
        if status == 200 && body["resultTable"]["rows"][0][0] == rows {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{sql} never counted {rows}: {body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The files: three Hive partitions of `sales/`, and a prefix with files at two depths.
const PARTITIONS: [(i64, i64, std::ops::Range<i64>); 3] =
    [(2024, 1, 0..50), (2024, 2, 50..120), (2025, 1, 120..200)];

async fn lake() -> S3Server {
    let s3 = S3Server::start(&["lake"]).await;
    for (year, month, ids) in PARTITIONS {
        s3.put(
            "lake",
            &format!("sales/year={year}/month={month:02}/part-0.parquet"),
            events_bytes(ids),
        )
        .await;
    }
    s3.put("lake", "mixed/a.parquet", events_bytes(0..5)).await;
    s3.put("lake", "mixed/year=2024/b.parquet", events_bytes(5..9))
        .await;
    s3
}

fn storage_body(s3: &S3Server, name: &str, secret: &str) -> Value {
    json!({
        "name": name,
        "bucket": "lake",
        "region": s3.creds.region,
        "endpoint": s3.creds.endpoint,
        "accessKeyId": s3.creds.access_key,
        "secretAccessKey": secret,
    })
}

#[tokio::test]
async fn pipe_tables_load_a_hive_prefix_and_answer_sql_as_instance_dot_table() {
    let s3 = lake().await;
    let app = spawn_app_with(|_| {}).await;

    // A storage is checked with its keys before it is kept; the list never shows them.
    let (status, body) = app
        .post(
            &format!("{AILAKE}/objectStorages"),
            &storage_body(&s3, "lake", "wrong"),
        )
        .await;
    assert!((400..500).contains(&status), "{status} {body}");
    let (_, empty) = app
        .get(&format!("{AILAKE}/objectStorages?metaInclude=page"))
        .await;
    assert_eq!(empty["meta"]["page"]["totalElements"], 0, "{empty}");
    let (status, created) = app
        .post(
            &format!("{AILAKE}/objectStorages"),
            &storage_body(&s3, "lake", &s3.creds.secret_key),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let storage_id = created["data"]["id"].as_str().unwrap().to_owned();
    let (status, storages) = app
        .get(&format!("{AILAKE}/objectStorages?metaInclude=page&size=10"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(storages["data"][0]["type"], "objectStorage");
    assert_eq!(
        storages["data"][0]["attributes"]["storageId"],
        storage_id.as_str()
    );
    assert_eq!(storages["data"][0]["attributes"]["name"], "lake");
    assert_eq!(
        storages["data"][0]["attributes"]["storageConfig"]["bucket"],
        "lake"
    );
    assert_eq!(
        storages["meta"]["page"],
        json!({"number": 0, "size": 10, "totalElements": 1, "totalPages": 1})
    );
    assert!(
        storages["links"]["self"]
            .as_str()
            .unwrap()
            .contains("/objectStorages")
    );
    assert!(
        !storages.to_string().contains(&s3.creds.secret_key),
        "{storages}"
    );

    // Provisioning: the caller's operation id names the operation; the same id again
    // answers it, with another body it is refused.
    let provision = json!({"name": "shop", "storageIds": ["lake"]});
    let (status, headers, first) = change(
        &app,
        reqwest::Method::POST,
        "/database/instances",
        Some("op-shop"),
        Some(&provision),
    )
    .await;
    assert_eq!(status, 202, "{first}");
    assert_eq!(headers["operation-id"], "op-shop");
    assert_eq!(first["kind"], "provision-database");
    let done = finished(&app, "op-shop").await;
    assert_eq!(done["status"], "succeeded", "{done}");
    let (status, _, again) = change(
        &app,
        reqwest::Method::POST,
        "/database/instances",
        Some("op-shop"),
        Some(&provision),
    )
    .await;
    assert_eq!(
        (status, &again["status"]),
        (202, &json!("succeeded")),
        "{again}"
    );
    let other = json!({"name": "other", "storageIds": ["lake"]});
    let (status, _, refused) = change(
        &app,
        reqwest::Method::POST,
        "/database/instances",
        Some("op-shop"),
        Some(&other),
    )
    .await;
    assert_eq!(status, 409, "{refused}");
    let (_, instances) = app
        .get(&format!("{AILAKE}/database/instances?metaInclude=page"))
        .await;
    assert_eq!(
        instances["meta"]["page"]["totalElements"], 1,
        "ran once: {instances}"
    );
    let (_, operations) = app
        .get(&format!("{AILAKE}/operations?metaInclude=page"))
        .await;
    assert_eq!(
        operations["meta"]["page"]["totalElements"], 1,
        "{operations}"
    );
    assert_eq!(operations["data"][0]["id"], "op-shop");
    assert_eq!(operations["data"][0]["attributes"]["status"], "succeeded");
    let instance_id = done["result"]["id"].as_str().unwrap().to_owned();
    let (status, by_id) = app
        .get(&format!("{AILAKE}/database/instances/{instance_id}"))
        .await;
    assert_eq!(status, 200, "{by_id}");
    assert_eq!(by_id["data"]["attributes"]["name"], "shop");
    assert_eq!(
        by_id["data"]["attributes"]["storageIds"],
        json!([storage_id])
    );
    assert_eq!(by_id["data"]["type"], "databaseInstance");

    // Requests that can never work are refused at once, and leave no operation.
    let pipe = |name: &str, prefix: &str| {
        json!({
            "tableName": name,
            "pathPrefix": prefix,
            "sourceStorageName": "lake",
            "columnOverrides": {"month": "INT"},
            "maxVarcharLength": 200,
            "pollingIntervalSeconds": 60,
        })
    };
    let pipes = "/database/instances/shop/pipeTables";
    for (body, field, words) in [
        (
            pipe("Orders", "sales/"),
            "tableName",
            "^[a-z][a-z0-9_-]{0,62}$",
        ),
        (
            pipe("mixed", "mixed/"),
            "pathPrefix",
            "'a.parquet' is at depth 0",
        ),
        (pipe("empty", "nothing/"), "pathPrefix", "no Parquet files"),
        (
            json!({"tableName": "t", "pathPrefix": "sales/", "sourceStorageName": "nope"}),
            "sourceStorageName",
            "nope",
        ),
        (
            json!({"tableName": "t", "pathPrefix": "sales/", "sourceStorageName": "lake", "columnOverrides": {"nope": "INT"}}),
            "columnOverrides.nope",
            "no column 'nope'",
        ),
        (
            json!({"tableName": "t", "pathPrefix": "sales/", "sourceStorageName": "lake", "keyConfig": {"type": "duplicate", "columns": ["ghost"]}}),
            "keyConfig.columns",
            "'ghost'",
        ),
    ] {
        let (status, _, error) =
            change(&app, reqwest::Method::POST, pipes, None, Some(&body)).await;
        assert_eq!(status, 400, "{body}: {error}");
        assert_eq!(error["field"], field, "{error}");
        assert!(error["error"].as_str().unwrap().contains(words), "{error}");
    }
    let (status, big_page) = app.get(&format!("{AILAKE}{pipes}?size=501")).await;
    assert_eq!(status, 400, "{big_page}");
    assert_eq!(big_page["field"], "size");

    // The pipe table: Hive folders become columns, overrides and the varchar cap apply.
    let done = succeeds(
        &app,
        reqwest::Method::POST,
        pipes,
        Some(&pipe("orders", "sales/")),
    )
    .await;
    let columns: Vec<(String, String)> = done["result"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_owned(),
                c["type"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("id", "BIGINT"),
        ("ts", "DATETIME"),
        ("amount", "DOUBLE"),
        ("city", "VARCHAR(200)"),
        ("year", "BIGINT"),
        ("month", "INT"),
    ]
    .iter()
    .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
    .collect();
    assert_eq!(columns, expected);
    let (status, table) = app.get(&format!("{AILAKE}{pipes}/orders")).await;
    assert_eq!(status, 200, "{table}");
    let attributes = &table["data"]["attributes"];
    assert_eq!(attributes["tableName"], "orders");
    assert_eq!(attributes["databaseName"], "shop");
    assert_eq!(attributes["pathPrefix"], "sales/");
    assert_eq!(attributes["partitionColumns"], json!(["year", "month"]));
    assert_eq!(attributes["pollingIntervalSeconds"], 60);
    assert_eq!(attributes["sourceStorageName"], "lake");
    assert_eq!(
        attributes["keyConfig"],
        json!({"type": "duplicate", "columns": ["id"]})
    );
    assert_eq!(
        attributes["distributionConfig"],
        json!({"type": "random", "buckets": 1})
    );
    assert_eq!(
        attributes["tableProperties"],
        json!({"replication_num": "1"})
    );
    assert_eq!(table["data"]["id"], attributes["pipeTableId"]);
    let (_, listed) = app.get(&format!("{AILAKE}{pipes}?metaInclude=page")).await;
    assert_eq!(
        listed["data"][0]["attributes"]["tableName"], "orders",
        "{listed}"
    );
    assert_eq!(listed["meta"]["page"]["totalElements"], 1);
    assert!(
        listed["data"][0]["attributes"]
            .get("databaseName")
            .is_none(),
        "a summary: {listed}"
    );

    // The pipe loads every file; SQL reads it as shop.orders, per partition.
    let total: i64 = PARTITIONS
        .iter()
        .map(|(_, _, ids)| ids.end - ids.start)
        .sum();
    wait_for_count(&app, "SELECT count(*) FROM shop.orders", total).await;
    let rows = app
        .sql("SELECT year, month, count(*), sum(amount) FROM shop.orders GROUP BY year, month ORDER BY year, month")
        .await;
    let expected: Vec<Value> = PARTITIONS
        .iter()
        .map(|(year, month, ids)| {
            let sum: f64 = ids.clone().map(|i| i as f64 * 1.5).sum();
            json!([year, month, ids.end - ids.start, sum])
        })
        .collect();
    assert_eq!(rows, expected);

    // Dropping the pipe drops its table; dropping the instance drops the namespace.
    succeeds(
        &app,
        reqwest::Method::DELETE,
        &format!("{pipes}/orders"),
        None,
    )
    .await;
    let (status, gone) = app
        .post(
            "/query/sql",
            &json!({"sql": "SELECT count(*) FROM shop.orders"}),
        )
        .await;
    assert_eq!(status, 400, "{gone}");
    let (status, _) = app.get("/tables/shop.orders_OFFLINE").await;
    assert_eq!(status, 404);
    let (status, _) = app.get(&format!("{AILAKE}{pipes}/orders")).await;
    assert_eq!(status, 404);
    succeeds(
        &app,
        reqwest::Method::DELETE,
        "/database/instances/shop",
        None,
    )
    .await;
    let (status, _) = app.get(&format!("{AILAKE}/database/instances/shop")).await;
    assert_eq!(status, 404);
    let (status, removed) = app.delete(&format!("{AILAKE}/objectStorages/lake")).await;
    assert_eq!(status, 200, "{removed}");
    let (status, _) = app.delete(&format!("{AILAKE}/objectStorages/lake")).await;
    assert_eq!(status, 404);
    app.stop().await;
}

#[tokio::test]
async fn a_storage_in_use_stays_and_an_unknown_operation_is_a_404() {
    let s3 = lake().await;
    let app = spawn_app_with(|_| {}).await;
    let (status, _) = app
        .post(
            &format!("{AILAKE}/objectStorages"),
            &storage_body(&s3, "lake", &s3.creds.secret_key),
        )
        .await;
    assert_eq!(status, 201);
    succeeds(
        &app,
        reqwest::Method::POST,
        "/database/instances",
        Some(&json!({"name": "shop", "storageIds": ["lake"]})),
    )
    .await;
    let (status, body) = app.delete(&format!("{AILAKE}/objectStorages/lake")).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("instance shop"),
        "{body}"
    );
    let (status, body) = app.get(&format!("{AILAKE}/operations/no-such-op")).await;
    assert_eq!(status, 404, "{body}");
    let (status, _, body) = change(
        &app,
        reqwest::Method::POST,
        "/database/instances",
        Some("bad/id"),
        Some(&json!({"name": "x", "storageIds": ["lake"]})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["field"], "operation-id");
    app.stop().await;
}

/// An operation accepted by a process that dies (kill -9) before any worker ran it stays
/// pending in Postgres, and the next process carries it out, once.
#[tokio::test]
async fn a_pending_operation_outlives_a_kill_9_and_runs_once() {
    use crate::common::process::{free_port, launch};
    let s3 = lake().await;
    let database_url = crate::common::fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    let envs = |workers: bool| {
        vec![
            ("LAKEPORT_DATABASE_URL", database_url.clone()),
            (
                "LAKEPORT_DATA_DIR",
                dir.path().to_string_lossy().into_owned(),
            ),
            ("LAKEPORT_OUTBOUND__ALLOW", "127.0.0.1".to_owned()),
            ("LAKEPORT_SYNC__POLL_INTERVAL_MS", "100".to_owned()),
            ("LAKEPORT_SYNC__WORKERS_ENABLED", workers.to_string()),
        ]
    };
    let port = free_port();
    let mut process = launch(&envs(false), port).await;
    let (status, body) = process
        .post(
            &format!("{AILAKE}/objectStorages"),
            &storage_body(&s3, "lake", &s3.creds.secret_key),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let response = process
        .client
        .post(format!("{}{AILAKE}/database/instances", process.address))
        .header("operation-id", "survivor")
        .json(&json!({"name": "shop", "storageIds": ["lake"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 202);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        process.get(&format!("{AILAKE}/operations/survivor")).await["status"],
        "pending"
    );
    process.child.start_kill().unwrap();
    process.child.wait().await.unwrap();

    process = launch(&envs(true), port).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let operation = loop {
        let operation = process.get(&format!("{AILAKE}/operations/survivor")).await;
        if operation["status"] != "pending" {
            break operation;
        }
        assert!(Instant::now() < deadline, "{operation}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(operation["status"], "succeeded", "{operation}");
    let instances = process
        .get(&format!("{AILAKE}/database/instances?metaInclude=page"))
        .await;
    assert_eq!(instances["meta"]["page"]["totalElements"], 1, "{instances}");
    let pool = sqlx::PgPool::connect(&database_url).await.unwrap();
    let (tasks, attempts): (i64, i32) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM sync_tasks WHERE task_type = 'operation'), (SELECT attempts FROM ailake_operations WHERE id = 'survivor')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (tasks, attempts),
        (0, 1),
        "the task is gone and the work ran once"
    );
}
