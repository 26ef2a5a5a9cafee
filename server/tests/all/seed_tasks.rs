//! Seed tasks API (/tasks/schedule, /tasks/{type}/{table}/taskstates and /state), the
//! `/api/pinot` prefix StarTree Cloud scripts use, and JSON 404s for unknown API paths.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sqlx::Connection;

use crate::common::data::events_file;
use crate::common::{TestApp, onboard_local, spawn_app, start, test_config};

const SCHEDULE: &str = "/tasks/schedule?taskType=ExternalTableSyncTask&tableName=tasks_OFFLINE";
const STATES: &str = "/tasks/ExternalTableSyncTask/tasks_OFFLINE/taskstates";

async fn schedule(app: &TestApp) -> String {
    let (code, body) = app.post(SCHEDULE, &json!({})).await;
    assert_eq!(code, 200, "{body}");
    body["ExternalTableSyncTask"]
        .as_str()
        .unwrap_or_else(|| panic!("no task name: {body}"))
        .to_owned()
}

/// Polls the task-state map until `name` has `state`.
async fn wait_for_task(app: &TestApp, name: &str, state: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (code, states) = app.get(STATES).await;
        assert_eq!(code, 200, "{states}");
        if states[name] == state {
            return states;
        }
        assert!(
            Instant::now() < deadline,
            "{name} never became {state}: {states:#}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn assert_api_404(code: u16, body: &Value, path: &str) {
    assert_eq!(code, 404, "{path}: {body}");
    assert_eq!(body["code"], 404, "{path}: {body}");
    assert_eq!(body["kind"], "NOT_FOUND", "{path}: {body}");
    assert!(body["error"].as_str().is_some(), "{path}: {body}");
}

#[tokio::test]
async fn a_scheduled_task_is_found_by_its_name_before_during_and_after_its_run() {
    let database_url = crate::common::fresh_database().await;
    let dir = tempfile::tempdir().unwrap();
    // No workers: the request waits, as it does while every worker is busy.
    let mut idle = test_config(&database_url, dir.path());
    idle.sync.workers_enabled = false;
    let first = start(idle).await;
    let folder = first.lake.join("tasks");
    events_file(&folder.join("part-1.parquet"), 0..50);
    onboard_local(&first, "tasks", &folder, &[]).await;

    let name = schedule(&first).await;
    assert!(
        name.starts_with("Task_ExternalTableSyncTask_tasks_OFFLINE_"),
        "{name}"
    );
    let states = wait_for_task(&first, &name, "NOT_STARTED").await;
    assert_eq!(states.as_object().unwrap().len(), 1, "{states:#}");
    // Pinot's per-table state map answers the same.
    let (code, by_table) = first
        .get("/tasks/ExternalTableSyncTask/tasks_OFFLINE/state")
        .await;
    assert_eq!(code, 200, "{by_table}");
    assert_eq!(by_table, states);
    // A second call before any run starts is served by the same run, under the same name.
    assert_eq!(schedule(&first).await, name);
    first.stop().await;

    // The run blocks on the segments table once it has started, so IN_PROGRESS can be seen.
    let mut blocker = sqlx::PgConnection::connect(&database_url).await.unwrap();
    let mut lock = blocker.begin().await.unwrap();
    sqlx::query("LOCK TABLE segments IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *lock)
        .await
        .unwrap();
    // A restart with workers: the waiting request survived it.
    let second = start(test_config(&database_url, dir.path())).await;
    let states = wait_for_task(&second, &name, "IN_PROGRESS").await;
    assert_eq!(states.as_object().unwrap().len(), 1, "{states:#}");
    lock.rollback().await.unwrap();
    wait_for_task(&second, &name, "COMPLETED").await;

    // A new request gets a new name; the old one stays resolvable.
    let next = schedule(&second).await;
    assert_ne!(next, name);
    let states = wait_for_task(&second, &next, "COMPLETED").await;
    assert_eq!(states[&name], "COMPLETED", "{states:#}");
    assert_eq!(states.as_object().unwrap().len(), 2, "{states:#}");
    assert_eq!(second.scalar("SELECT count(*) FROM tasks").await, json!(50));
    second.stop().await;
}

#[tokio::test]
async fn runs_nobody_scheduled_keep_their_run_id_names_and_unknown_tables_are_404() {
    let app = spawn_app().await;
    let folder = app.lake.join("tasks");
    events_file(&folder.join("part-1.parquet"), 0..10);
    onboard_local(&app, "tasks", &folder, &[]).await;
    let status = app.wait_for_run_after("tasks", 0).await;
    let run_id = status["runs"][0]["runId"].as_i64().unwrap();
    let (code, states) = app.get(STATES).await;
    assert_eq!(code, 200, "{states}");
    assert_eq!(
        states,
        json!({ format!("Task_ExternalTableSyncTask_tasks_OFFLINE_{run_id}"): "COMPLETED" })
    );
    for path in [
        "/tasks/ExternalTableSyncTask/nope_OFFLINE/state",
        "/tasks/ExternalTableSyncTask/nope_OFFLINE/taskstates",
    ] {
        let (code, body) = app.get(path).await;
        assert_api_404(code, &body, path);
    }
    app.stop().await;
}

#[tokio::test]
async fn every_controller_route_answers_under_api_pinot_with_the_same_sign_in_rules() {
    let app = spawn_app().await;
    let folder = app.lake.join("proxied");
    events_file(&folder.join("part-1.parquet"), 0..30);
    let (code, preview) = app
        .post(
            "/api/pinot/tables/preview",
            &json!({
                "tableConfig": {
                    "tableName": "proxied_OFFLINE",
                    "tableType": "OFFLINE",
                    "task": { "taskTypeConfigsMap": { "ExternalTableSyncTask": {
                        "catalogType": "local",
                        "catalog.local.path": folder.to_string_lossy(),
                    } } }
                },
                "config": { "inference": { "embeddedSchemaEnabled": true } }
            }),
        )
        .await;
    assert_eq!(code, 200, "{preview}");
    let (code, body) = app.post("/api/pinot/schemas", &preview["schema"]).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["status"], "proxied successfully added");
    let (code, body) = app
        .post("/api/pinot/tables", &preview["tableConfigs"]["offline"])
        .await;
    assert_eq!(code, 200, "{body}");
    let (code, tables) = app.get("/api/pinot/tables").await;
    assert_eq!(code, 200, "{tables}");
    assert_eq!(tables, app.get("/tables").await.1);
    assert!(tables.to_string().contains("proxied"), "{tables}");
    let (code, body) = app
        .post(
            "/api/pinot/tasks/schedule?taskType=ExternalTableSyncTask&tableName=proxied_OFFLINE",
            &json!({}),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    app.wait_for_status("proxied", Duration::from_secs(60), |s| {
        s["status"] == "COMPLETED" && s["runRequested"] == false
    })
    .await;
    let (code, body) = app
        .post(
            "/api/pinot/query/sql",
            &json!({ "sql": "SELECT count(*) FROM proxied" }),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["resultTable"]["rows"][0][0], json!(30));

    // The same sign-in rules: probes are public, the rest needs a token.
    let anonymous = reqwest::Client::new();
    let probe = anonymous
        .get(app.url("/api/pinot/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(probe.status(), 200);
    let refused = anonymous
        .get(app.url("/api/pinot/tables"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn unknown_api_paths_answer_the_api_404_and_other_paths_get_the_page() {
    let app = spawn_app().await;
    for path in [
        "/tables/x/nope",
        "/api/v1/nothing",
        "/tasks/nope",
        "/api/pinot/nope",
        "/api/pinot/tables/x/nope",
        "/schemas/x/y",
    ] {
        let (code, body) = app.get(path).await;
        assert_api_404(code, &body, path);
    }
    let page = app
        .client
        .get(app.url("/some-ui-page"))
        .send()
        .await
        .unwrap();
    let content_type = page
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(page.text().await.unwrap().contains("<html"));
    app.stop().await;
}
