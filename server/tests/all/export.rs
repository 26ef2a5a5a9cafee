//! DataExportTask (seed 003) to a directory and to S3: completed segments become
//! `<outputDirURI>/<segmentName>.parquet`, written as the config says, each exactly once.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::realtime::{
    body_for, event_rows, events_schema, events_table, push, wait_for_segments,
};
use crate::common::s3::S3Server;
use crate::common::{TestApp, spawn_app};

/// A REALTIME table sealing every `flush_rows`, exporting with `export` (a DataExportTask block).
pub async fn create_exporting_table(app: &TestApp, name: &str, flush_rows: i64, export: Value) {
    let (code, body) = app.post("/schemas", &events_schema(name)).await;
    assert_eq!(code, 200, "{body}");
    let mut table = events_table(
        name,
        json!({"realtime.segment.flush.threshold.rows": flush_rows.to_string()}),
    );
    table["task"] = json!({"taskTypeConfigsMap": {"DataExportTask": export}});
    let (code, body) = app.post("/tables", &table).await;
    assert_eq!(code, 200, "{body}");
}

/// Pushes `requests` requests of `rows` rows each and waits until they are all sealed.
pub async fn ingest_and_seal(app: &TestApp, table: &str, requests: i64, rows: i64) -> Vec<Value> {
    for n in 0..requests {
        let (content_type, body) = body_for(n * rows..(n + 1) * rows);
        let (code, answer) = push(&app.client, &app.address, table, content_type, body, None)
            .await
            .expect("an answer");
        assert_eq!(code, 200, "{answer}");
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, status) = app.get(&format!("/tables/{table}/ingestion")).await;
        if status["consumingRows"] == 0 && status["completedRows"] == requests * rows {
            break;
        }
        assert!(Instant::now() < deadline, "never sealed: {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (_, segments) = app.get(&format!("/segments/{table}")).await;
    segments["segments"].as_array().cloned().unwrap()
}

/// Runs one export cycle now and waits for its task to finish; returns its final state.
pub async fn export_now(app: &TestApp, table: &str) -> String {
    let (code, body) = app
        .post(
            &format!("/tasks/schedule?taskType=DataExportTask&tableName={table}"),
            &json!({}),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    let task = body["DataExportTask"]
        .as_str()
        .expect("a task name")
        .to_owned();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (code, states) = app
            .get(&format!("/tasks/DataExportTask/{table}/taskstates"))
            .await;
        assert_eq!(code, 200, "{states}");
        let state = states[&task].as_str().unwrap_or("missing").to_owned();
        if state == "COMPLETED" {
            return state;
        }
        if state == "FAILED" {
            let (_, status) = app.get(&format!("/tables/{table}/exports")).await;
            return format!("FAILED: {}", status["runs"][0]["errorMessage"]);
        }
        assert!(Instant::now() < deadline, "task {task} stuck at {state}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What pyarrow reads in Parquet files: the ids, and each file's metadata as the writer set it.
pub fn read_back(paths: &[std::path::PathBuf]) -> Value {
    let script = r#"
import json, sys
import pyarrow.parquet as pq
out = {"ids": [], "files": []}
for path in sys.argv[1:]:
    f = pq.ParquetFile(path)
    out["ids"] += f.read(columns=["id"]).column("id").to_pylist()
    md = f.metadata
    cols = [md.row_group(i).column(j) for i in range(md.num_row_groups) for j in range(md.num_columns)]
    out["files"].append({
        "rows": md.num_rows,
        "row_groups": md.num_row_groups,
        "codecs": sorted({c.compression for c in cols}),
        "dictionary": any(c.dictionary_page_offset is not None for c in cols),
        "max_group_bytes": max(md.row_group(i).total_byte_size for i in range(md.num_row_groups)),
        "columns": [md.schema.column(j).name for j in range(md.num_columns)],
    })
print(json.dumps(out))
"#;
    let output = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(paths)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn ids_of(read: &Value) -> Vec<i64> {
    let mut ids: Vec<i64> = read["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    ids
}

fn parquet_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

#[tokio::test]
async fn completed_segments_are_exported_to_a_directory_once_as_configured() {
    let app = spawn_app().await;
    let out = app.lake.join("exports/ev");
    create_exporting_table(
        &app,
        "ev",
        1500,
        json!({
            "sourceTableName": "ev_REALTIME",
            "fileFormat": "parquet",
            "externalTable.target": "filesystem",
            "outputDirURI": format!("file://{}/", out.display()),
            "bufferTimePeriod": "0s",
            "fileFormat.parquet.compressionCodec": "GZIP",
            "fileFormat.parquet.rowGroupSizeBytes": "4096",
            "fileFormat.parquet.enableDictionary": "false"
        }),
    )
    .await;
    let segments = ingest_and_seal(&app, "ev_REALTIME", 4, 1500).await;
    assert_eq!(segments.len(), 4);

    assert_eq!(export_now(&app, "ev_REALTIME").await, "COMPLETED");
    let files = parquet_files(&out);
    let mut expected: Vec<_> = segments
        .iter()
        .map(|s| out.join(format!("{}.parquet", s["segmentName"].as_str().unwrap())))
        .collect();
    expected.sort();
    assert_eq!(files, expected, "one file per segment, named after it");
    let read = read_back(&files);
    assert_eq!(
        ids_of(&read),
        (0..6000).collect::<Vec<_>>(),
        "exactly the source rows"
    );
    for file in read["files"].as_array().unwrap() {
        assert_eq!(file["codecs"], json!(["GZIP"]), "{file}");
        assert_eq!(file["dictionary"], false, "{file}");
        assert!(
            file["row_groups"].as_i64().unwrap() > 1,
            "small row groups: {file}"
        );
        assert_eq!(
            file["columns"],
            json!(["id", "city", "amount", "ts"]),
            "{file}"
        );
    }

    // Checkpointed: another cycle exports nothing and leaves the files as they are.
    let before: Vec<_> = files
        .iter()
        .map(|f| std::fs::metadata(f).unwrap().modified().unwrap())
        .collect();
    assert_eq!(export_now(&app, "ev_REALTIME").await, "COMPLETED");
    let after: Vec<_> = files
        .iter()
        .map(|f| std::fs::metadata(f).unwrap().modified().unwrap())
        .collect();
    assert_eq!(before, after);
    let (code, status) = app.get("/tables/ev_REALTIME/exports").await;
    assert_eq!(code, 200, "{status}");
    assert_eq!(status["segments"].as_array().unwrap().len(), 4);
    assert!(
        status["segments"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["state"] == "COMPLETED"),
        "{status}"
    );
    assert_eq!(status["runs"][0]["segmentsExported"], 0, "{status}");
    assert_eq!(status["runs"][1]["segmentsExported"], 4, "{status}");
    let newest_end = segments
        .iter()
        .map(|s| s["maxTimeMs"].as_i64().unwrap())
        .max()
        .unwrap();
    assert_eq!(status["watermarkMs"], newest_end);

    // New rows, a new segment, and only it is exported next.
    let (content_type, body) = body_for(6000..7500);
    push(
        &app.client,
        &app.address,
        "ev_REALTIME",
        content_type,
        body,
        None,
    )
    .await
    .unwrap();
    wait_for_segments(&app, "ev_REALTIME", 5).await;
    assert_eq!(export_now(&app, "ev_REALTIME").await, "COMPLETED");
    let read = read_back(&parquet_files(&out));
    assert_eq!(ids_of(&read), (0..7500).collect::<Vec<_>>());
    app.stop().await;
}

#[tokio::test]
async fn segments_inside_the_buffer_or_before_the_initial_watermark_wait() {
    let app = spawn_app().await;
    let out = app.lake.join("exports/later");
    // Event times are in 2023: a one-day buffer does not hold them, but a watermark past
    // the first segment's end skips it.
    create_exporting_table(
        &app,
        "later",
        500,
        json!({
            "sourceTableName": "later_REALTIME",
            "outputDirURI": format!("file://{}", out.display()),
            "bufferTimePeriod": "1d",
            "initialWatermarkMs": "1700001000000"
        }),
    )
    .await;
    let rows: Vec<Value> = event_rows(0..500);
    let (code, _) = push(
        &app.client,
        &app.address,
        "later_REALTIME",
        "application/json",
        serde_json::to_vec(&rows).unwrap(),
        None,
    )
    .await
    .unwrap();
    assert_eq!(code, 200);
    // All 500 rows end before 1700001000000: not newer than the watermark, so skipped.
    wait_for_segments(&app, "later_REALTIME", 1).await;
    assert_eq!(export_now(&app, "later_REALTIME").await, "COMPLETED");
    assert!(
        parquet_files(&out).is_empty(),
        "a segment before the initial watermark is skipped"
    );

    // Rows from "now" are inside the one-day buffer: they wait too.
    let now = chrono::Utc::now().timestamp_millis();
    let fresh: Vec<Value> = (500..1000)
        .map(|i| json!({"id": i, "ts": now, "amount": 1.0, "city": "Oslo"}))
        .collect();
    let (code, _) = push(
        &app.client,
        &app.address,
        "later_REALTIME",
        "application/json",
        serde_json::to_vec(&fresh).unwrap(),
        None,
    )
    .await
    .unwrap();
    assert_eq!(code, 200);
    wait_for_segments(&app, "later_REALTIME", 2).await;
    assert_eq!(export_now(&app, "later_REALTIME").await, "COMPLETED");
    assert!(
        parquet_files(&out).is_empty(),
        "a segment inside the buffer waits"
    );
    app.stop().await;
}

#[tokio::test]
async fn exports_to_s3_with_sealed_secrets() {
    let s3 = S3Server::start(&["archive"]).await;
    let app = spawn_app().await;
    create_exporting_table(
        &app,
        "arch",
        400,
        json!({
            "sourceTableName": "arch_REALTIME",
            "externalTable.target": "filesystem",
            "outputDirURI": "s3://archive/exports/arch/",
            "output.fs.class": "org.apache.pinot.plugin.filesystem.S3PinotFS",
            "output.fs.prop.region": s3.creds.region,
            "output.fs.prop.accessKey": s3.creds.access_key,
            "output.fs.prop.secretKey": s3.creds.secret_key,
            "output.fs.prop.endpoint": s3.creds.endpoint,
            "bufferTimePeriod": "0s",
            "fileFormat.parquet.compressionCodec": "ZSTD"
        }),
    )
    .await;
    // The stored config never shows the secret.
    let (_, config) = app.get("/tables/arch").await;
    let block = &config["REALTIME"]["task"]["taskTypeConfigsMap"]["DataExportTask"];
    assert_eq!(block["output.fs.prop.secretKey"], "*****", "{config}");
    assert!(!config.to_string().contains(&s3.creds.secret_key));

    let segments = ingest_and_seal(&app, "arch_REALTIME", 3, 400).await;
    assert_eq!(export_now(&app, "arch_REALTIME").await, "COMPLETED");
    let listed = s3
        .client
        .list_objects_v2()
        .bucket("archive")
        .prefix("exports/arch/")
        .send()
        .await
        .unwrap();
    let mut keys: Vec<String> = listed
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_owned))
        .collect();
    keys.sort();
    let mut expected: Vec<String> = segments
        .iter()
        .map(|s| {
            format!(
                "exports/arch/{}.parquet",
                s["segmentName"].as_str().unwrap()
            )
        })
        .collect();
    expected.sort();
    assert_eq!(keys, expected);
    let dir = tempfile::tempdir().unwrap();
    let mut local = Vec::new();
    for key in &keys {
        let object = s3
            .client
            .get_object()
            .bucket("archive")
            .key(key)
            .send()
            .await
            .unwrap();
        let bytes = object.body.collect().await.unwrap().into_bytes();
        let path = dir.path().join(key.rsplit('/').next().unwrap());
        std::fs::write(&path, bytes).unwrap();
        local.push(path);
    }
    let read = read_back(&local);
    assert_eq!(ids_of(&read), (0..1200).collect::<Vec<_>>());
    assert!(
        read["files"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["codecs"] == json!(["ZSTD"]) && f["dictionary"] == true)
    );
    app.stop().await;
}

#[tokio::test]
async fn bad_export_configs_are_refused_before_anything_is_stored() {
    let app = spawn_app().await;
    let (code, body) = app.post("/schemas", &events_schema("bad")).await;
    assert_eq!(code, 200, "{body}");
    let out = format!("file://{}/exports/bad/", app.lake.display());
    let base = json!({"sourceTableName": "bad_REALTIME", "outputDirURI": out, "externalTable.target": "filesystem"});
    let with = |changes: Value| {
        let mut block = base.clone();
        for (k, v) in changes.as_object().unwrap() {
            if v.is_null() {
                block.as_object_mut().unwrap().remove(k);
            } else {
                block[k] = v.clone();
            }
        }
        let mut table = events_table("bad", json!({}));
        table["task"] = json!({"taskTypeConfigsMap": {"DataExportTask": block}});
        table
    };
    let cases = [
        (
            json!({"externalTable.target": "hdfs"}),
            "externalTable.target",
            "'hdfs' is not a target",
        ),
        (json!({"outputDirURI": null}), "outputDirURI", ""),
        (
            json!({"sourceTableName": "nope_REALTIME"}),
            "sourceTableName",
            "'nope_REALTIME' does not exist",
        ),
        (
            json!({"fileFormat.parquet.compressionCodec": "LZO"}),
            "compressionCodec",
            "LZO",
        ),
        (json!({"fileFormat": "orc"}), "fileFormat", "orc"),
        (json!({"schedule": "every hour"}), "schedule", ""),
        (
            json!({"bufferTimePeriod": "soon"}),
            "bufferTimePeriod",
            "not a period",
        ),
        (
            json!({"tableMaxNumTasks": "0"}),
            "tableMaxNumTasks",
            "positive",
        ),
        (json!({"outputDirURI": "file:///etc/exports/"}), "", ""),
        (json!({"outputDirURI": "ftp://host/x/"}), "outputDirURI", ""),
    ];
    for (changes, field, words) in cases {
        let (code, body) = app.post("/tables", &with(changes.clone())).await;
        assert_eq!(code, 400, "{changes}: {body}");
        assert!(
            body["field"].as_str().unwrap_or_default().contains(field),
            "{changes}: {body}"
        );
        assert!(
            body["error"].as_str().unwrap().contains(words),
            "{changes}: {body}"
        );
        let (code, _) = app.get("/tables/bad").await;
        assert_eq!(code, 404, "{changes}: nothing was stored");
    }
    // Asking for an export of a table that has none says so.
    let (code, _) = app.post("/tables", &events_table("bad", json!({}))).await;
    assert_eq!(code, 200);
    let (code, body) = app
        .post(
            "/tasks/schedule?taskType=DataExportTask&tableName=bad_REALTIME",
            &json!({}),
        )
        .await;
    assert_eq!(code, 400, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("no DataExportTask"),
        "{body}"
    );
    let (code, _) = app.get("/tables/bad/exports").await;
    assert_eq!(code, 404);
    app.stop().await;
}
