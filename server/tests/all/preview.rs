//! `POST /tables/preview`: union schemas, reported conflicts, sampling limits, file listing.

use crate::common;

use std::sync::Arc;

use arrow::array::{Int64Array, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use common::data::{events_file, write_parquet};
use common::{spawn_app, spawn_app_with};
use serde_json::{Value, json};

fn request(folder: &std::path::Path, config: Value, schema: Option<Value>) -> Value {
    let mut body = json!({
        "tableConfig": {
            "tableName": "p_OFFLINE",
            "tableType": "OFFLINE",
            "task": { "taskTypeConfigsMap": { "ExternalTableSyncTask": {
                "catalogType": "local", "catalog.local.path": folder.to_string_lossy(), "inputFormat": "parquet" } } }
        },
        "config": config,
    });
    if let Some(schema) = schema {
        body["schema"] = schema;
    }
    body
}

async fn preview(
    app: &common::TestApp,
    folder: &std::path::Path,
    config: Value,
    schema: Option<Value>,
) -> (u16, Value) {
    app.post("/tables/preview", &request(folder, config, schema))
        .await
}

fn single_column(
    name: &str,
    data_type: DataType,
    values: Arc<dyn arrow::array::Array>,
) -> RecordBatch {
    RecordBatch::try_new(
        Arc::new(Schema::new(vec![Field::new(name, data_type, true)])),
        vec![values],
    )
    .unwrap()
}

fn field_names(schema: &Value) -> Vec<String> {
    [
        "dimensionFieldSpecs",
        "metricFieldSpecs",
        "dateTimeFieldSpecs",
    ]
    .iter()
    .flat_map(|list| schema[*list].as_array().cloned().unwrap_or_default())
    .map(|f| f["name"].as_str().unwrap().to_owned())
    .collect()
}

#[tokio::test]
async fn the_schema_is_the_union_of_the_sampled_files() {
    // The product default, not the harness's: the enriched config must carry it.
    let app = spawn_app_with(|c| {
        c.sync.default_schedule = lakeport::model::table_config::DEFAULT_SCHEDULE.into()
    })
    .await;
    let folder = app.lake.join("union");
    events_file(&folder.join("a.parquet"), 0..300);
    let extra = RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("note", DataType::Utf8, true),
        ])),
        vec![
            Arc::new(Int64Array::from(vec![1000])),
            Arc::new(StringArray::from(vec![Some("late column")])),
        ],
    )
    .unwrap();
    write_parquet(&folder.join("b.parquet"), &extra);

    let (code, body) = preview(&app, &folder, json!({ "inference": { "embeddedSchemaEnabled": true }, "sampling": { "min": 1, "max": 25 } }), None).await;
    assert_eq!(code, 200, "{body}");
    let names = field_names(&body["schema"]);
    assert!(
        names.contains(&"note".to_owned()),
        "columns of the second file are in the schema: {names:?}"
    );
    assert_eq!(
        body["summary"]["nSourceRows"], 25,
        "sampling.max is honoured"
    );
    assert_eq!(body["summary"]["nRows"], 25);
    assert_eq!(body["summary"]["nColumns"], 5);
    assert_eq!(body["summary"]["batch"]["nMatchingFiles"], 2);
    assert_eq!(
        body["rows"][0]["note"],
        Value::Null,
        "a column missing from a file reads as null"
    );
    assert!(
        body["sourceRows"][0].get("note").is_none(),
        "source rows are the raw records"
    );
    assert_eq!(body["tableConfigs"]["offline"]["tableName"], "p_OFFLINE");
    assert_eq!(
        body["tableConfigs"]["offline"]["task"]["taskTypeConfigsMap"]["ExternalTableSyncTask"]["schedule"],
        "0 */5 * * * ?"
    );
    app.stop().await;
}

#[tokio::test]
async fn conflicting_types_are_reported_and_an_explicit_schema_settles_them() {
    let app = spawn_app().await;
    let folder = app.lake.join("conflict");
    write_parquet(
        &folder.join("a.parquet"),
        &single_column(
            "code",
            DataType::Int64,
            Arc::new(Int64Array::from(vec![1, 2])),
        ),
    );
    write_parquet(
        &folder.join("b.parquet"),
        &single_column(
            "code",
            DataType::Utf8,
            Arc::new(StringArray::from(vec!["x"])),
        ),
    );

    let (code, body) = preview(
        &app,
        &folder,
        json!({ "inference": { "embeddedSchemaEnabled": true } }),
        None,
    )
    .await;
    assert_eq!(code, 400, "{body}");
    let message = body["error"].as_str().unwrap();
    assert!(
        message.contains("'code'")
            && message.contains("a.parquet")
            && message.contains("b.parquet"),
        "{body}"
    );

    let schema = json!({ "schemaName": "p", "dimensionFieldSpecs": [{ "name": "code", "dataType": "STRING" }] });
    let (code, body) = preview(
        &app,
        &folder,
        json!({ "inference": { "embeddedSchemaEnabled": true } }),
        Some(schema.clone()),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        body["rows"],
        json!([{ "code": "1" }, { "code": "2" }, { "code": "x" }])
    );

    let wrong = json!({ "schemaName": "p", "dimensionFieldSpecs": [{ "name": "missing", "dataType": "STRING" }] });
    let (code, body) = preview(
        &app,
        &folder,
        json!({ "inference": { "embeddedSchemaEnabled": true } }),
        Some(wrong),
    )
    .await;
    assert_eq!(code, 400, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("'missing'"),
        "{body}"
    );
    app.stop().await;
}

#[tokio::test]
async fn preview_files_only_lists_files_and_value_inference_narrows_text() {
    let app = spawn_app().await;
    let folder = app.lake.join("files");
    write_parquet(
        &folder.join("x/a.parquet"),
        &single_column(
            "n",
            DataType::Utf8,
            Arc::new(StringArray::from(vec!["1", "22"])),
        ),
    );
    std::fs::write(folder.join("x/_SUCCESS"), b"").unwrap();

    let (code, body) = preview(
        &app,
        &folder,
        json!({ "previewFiles": { "previewFilesOnly": true } }),
        None,
    )
    .await;
    assert_eq!(code, 200, "{body}");
    let files = body["sourceFiles"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{body}");
    assert!(
        files[0].as_str().unwrap().starts_with("file://")
            && files[0].as_str().unwrap().ends_with("x/a.parquet")
    );
    assert!(
        body.get("schema").is_none(),
        "no inference when only files are asked for"
    );

    let (code, body) = preview(
        &app,
        &folder,
        json!({ "inference": { "schemaInferenceEnabled": true } }),
        None,
    )
    .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        body["schema"]["dimensionFieldSpecs"][0]["dataType"], "LONG",
        "numbers stored as text are inferred as numbers"
    );
    assert_eq!(body["rows"], json!([{ "n": 1 }, { "n": 22 }]));

    let empty = app.lake.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let (code, body) = preview(&app, &empty, json!({}), None).await;
    assert_eq!(code, 400, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("no Parquet files"),
        "{body}"
    );
    app.stop().await;
}
