//! REALTIME tables for tests: the events schema and table, and rows to push in every format.

use serde_json::{Value, json};

use super::data::events_batch;

/// The events schema (`id`, `ts`, `amount`, `city`) under `name`, as `POST /schemas` takes it.
pub fn events_schema(name: &str) -> Value {
    json!({
        "schemaName": name,
        "dimensionFieldSpecs": [
            {"name": "id", "dataType": "LONG", "notNull": true},
            {"name": "city", "dataType": "STRING"}
        ],
        "metricFieldSpecs": [{"name": "amount", "dataType": "DOUBLE"}],
        "dateTimeFieldSpecs": [{"name": "ts", "dataType": "TIMESTAMP", "format": "1:MILLISECONDS:TIMESTAMP", "granularity": "1:MILLISECONDS"}]
    })
}

/// A REALTIME table config over the events schema; `streams` adds to its stream block.
pub fn events_table(name: &str, streams: Value) -> Value {
    let mut stream_configs = json!({"streamType": "http"});
    if let Value::Object(extra) = streams {
        stream_configs.as_object_mut().unwrap().extend(extra);
    }
    json!({
        "tableName": format!("{name}_REALTIME"),
        "tableType": "REALTIME",
        "segmentsConfig": {"schemaName": name, "timeColumnName": "ts"},
        "tableIndexConfig": {"streamConfigs": stream_configs}
    })
}

/// Event rows with ids `ids`, as JSON objects.
pub fn event_rows(ids: std::ops::Range<i64>) -> Vec<Value> {
    let cities = ["Oslo", "Lima", "Pune", "Kyiv"];
    ids.map(|i| {
        json!({
            "id": i,
            "ts": 1_700_000_000_000_i64 + (i * 7919 % 1000) * 1000,
            "amount": i as f64 * 1.5,
            "city": cities[(i % 4) as usize]
        })
    })
    .collect()
}

pub fn ndjson(ids: std::ops::Range<i64>) -> String {
    event_rows(ids)
        .iter()
        .map(|row| row.to_string() + "\n")
        .collect()
}

/// The rows as an Arrow IPC stream.
pub fn arrow_stream(ids: std::ops::Range<i64>) -> Vec<u8> {
    let batch = events_batch(ids);
    let mut buffer = Vec::new();
    let mut writer =
        arrow::ipc::writer::StreamWriter::try_new(&mut buffer, &batch.schema()).unwrap();
    writer.write(&batch).unwrap();
    writer.finish().unwrap();
    drop(writer);
    buffer
}

/// One request's rows in one of the three formats (chosen by `ids.start`), with its content type.
pub fn body_for(ids: std::ops::Range<i64>) -> (&'static str, Vec<u8>) {
    match (ids.start / 1000) % 3 {
        0 => (
            "application/json",
            serde_json::to_vec(&event_rows(ids)).unwrap(),
        ),
        1 => ("application/x-ndjson", ndjson(ids).into_bytes()),
        _ => ("application/vnd.apache.arrow.stream", arrow_stream(ids)),
    }
}

/// The table's completed segments, as `GET /segments/{table}` lists them.
pub async fn segments(app: &super::TestApp, table: &str) -> Vec<Value> {
    let (code, body) = app.get(&format!("/segments/{table}")).await;
    assert_eq!(code, 200, "{body}");
    body["segments"].as_array().cloned().unwrap_or_default()
}

/// Waits (30 s at most) until the table has at least `at_least` completed segments.
pub async fn wait_for_segments(app: &super::TestApp, table: &str, at_least: usize) -> Vec<Value> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let found = segments(app, table).await;
        if found.len() >= at_least {
            return found;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{table} has {} segments, waited for {at_least}",
            found.len()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Posts rows; `(status, body)`, or `None` when no answer came (the server died).
pub async fn push(
    client: &reqwest::Client,
    address: &str,
    table: &str,
    content_type: &str,
    body: Vec<u8>,
    key: Option<&str>,
) -> Option<(u16, Value)> {
    let mut request = client
        .post(format!("{address}/ingest/{table}"))
        .header("Content-Type", content_type)
        .body(body);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    let response = request.send().await.ok()?;
    let status = response.status().as_u16();
    let body = response.json().await.ok()?;
    Some((status, body))
}
