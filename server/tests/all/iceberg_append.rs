//! Appending to Iceberg tables through a real REST catalog (the export target): Parquet
//! files conformed to the target's Arrow schema are uploaded, then committed in ONE
//! snapshot that pyiceberg reads back; refused targets, 409s and lost answers.

use crate::common;

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::TimestampMicrosecondArray;
use arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, SchemaRef};
use common::iceberg::IcebergServer;
use lakeport::catalogs::iceberg_rest::IcebergRestCatalog;
use lakeport::catalogs::iceberg_rest::append::{
    AppendTarget, COMMIT_ID_PROPERTY, CommitOutcome, StagedDataFile,
};
use lakeport::catalogs::{CatalogError, SourceSpec, parse_source};
use parquet::arrow::ArrowWriter;
use serde_json::{Value, json};

const CITIES: [&str; 4] = ["Oslo", "Paris", "Lima", "Kyiv"];

/// A connection to the fixture naming `lake.<table>`; storage keys unless the catalog vends them.
async fn catalog(server: &IcebergServer, table: &str, storage_keys: bool) -> IcebergRestCatalog {
    let mut params = json!({
        "catalogType": "iceberg-rest",
        "catalog.iceberg-rest.restUri": server.get("uri"),
        "catalog.iceberg-rest.table.namespace": "lake",
        "catalog.iceberg-rest.table.tableName": table,
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
    let spec = parse_source(&serde_json::from_value(params).unwrap(), "params").unwrap();
    let SourceSpec::IcebergRest(spec) = spec else {
        panic!("an iceberg-rest source")
    };
    let dir = tempfile::tempdir().unwrap();
    let config = common::test_config("postgres://unused", dir.path());
    IcebergRestCatalog::open(&spec, &config).await.unwrap()
}

/// Rows `ids` of the fixture's `events` schema (id, ts, amount, city), written with the
/// target's own Arrow schema (so every column carries its Iceberg field id).
fn write_parquet(dir: &Path, name: &str, schema: &SchemaRef, ids: Range<i64>) -> PathBuf {
    let columns: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .map(|field| -> ArrayRef {
            match (field.name().as_str(), field.data_type()) {
                ("id", DataType::Int64) => Arc::new(Int64Array::from_iter_values(ids.clone())),
                ("ts", DataType::Timestamp(_, _)) => {
                    Arc::new(TimestampMicrosecondArray::from_iter_values(
                        ids.clone().map(|i| 1_704_067_200_000_000 + i * 60_000_000),
                    ))
                }
                ("amount", DataType::Float64) => Arc::new(Float64Array::from_iter_values(
                    ids.clone().map(|i| i as f64 * 1.25),
                )),
                ("city", DataType::Utf8) => Arc::new(StringArray::from_iter_values(
                    ids.clone().map(|i| CITIES[i as usize % 4]),
                )),
                other => panic!("unexpected column {other:?}"),
            }
        })
        .collect();
    let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
    let path = dir.join(name);
    let mut writer =
        ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), schema.clone(), None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    path
}

/// pyiceberg's view of `lake.<table>`: rows, data files, snapshots.
async fn scan(server: &IcebergServer, table: &str) -> Value {
    server.table_step(&["--table", table, "scan"]).await
}

fn ids_of(scan: &Value) -> Vec<i64> {
    scan["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect()
}

async fn arm(server: &IcebergServer, fault: &str) {
    let answer: Value = reqwest::Client::new()
        .post(format!("{}/_fixture/faults", server.get("uri")))
        .json(&json!({ "commit": fault }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["commit"], json!([fault]), "{answer}");
}

/// The proxy's log of table commits (POST .../tables/<table>): their statuses in order.
async fn commit_statuses(server: &IcebergServer, table: &str) -> Vec<Value> {
    let log: Vec<Value> = reqwest::get(format!("{}/_fixture/requests", server.get("uri")))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    log.into_iter()
        .filter(|r| {
            r["method"] == "POST"
                && r["path"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!("/tables/{table}"))
        })
        .map(|r| r["status"].clone())
        .collect()
}

async fn upload(target: &AppendTarget, dir: &Path, name: &str, ids: Range<i64>) -> StagedDataFile {
    let local = write_parquet(dir, name, &target.arrow_schema(), ids);
    target.upload_data_file(name, &local).await.unwrap()
}

fn committed(outcome: CommitOutcome) -> (i64, bool) {
    match outcome {
        CommitOutcome::Committed {
            snapshot_id,
            already,
        } => (snapshot_id, already),
        other => panic!("expected a commit, got {other:?}"),
    }
}

#[tokio::test]
async fn two_uploaded_files_become_one_snapshot_that_find_commit_finds() {
    // SigV4 (the commit body is signed too) and storage credentials the catalog vends.
    let server = IcebergServer::start_with(&[
        "--auth",
        "sigv4",
        "--signing-name",
        "glue",
        "--vend",
        "storage-credentials",
    ])
    .await;
    server.table_step(&["--table", "archive", "create"]).await;
    let catalog = catalog(&server, "archive", false).await;
    let target = catalog.open_append_target().await.unwrap();
    let schema = target.arrow_schema();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, ["id", "ts", "amount", "city"]);
    for field in schema.fields() {
        assert!(
            field.metadata().contains_key("PARQUET:field_id"),
            "{field:?}"
        );
    }

    let dir = tempfile::tempdir().unwrap();
    let first = upload(&target, dir.path(), "seg_a.parquet", 0..5).await;
    // Uploading under the same name again replaces the file.
    let first_again = upload(&target, dir.path(), "seg_a.parquet", 0..5).await;
    assert_eq!(
        (&first.path, first.record_count, first.file_size_in_bytes),
        (
            &first_again.path,
            first_again.record_count,
            first_again.file_size_in_bytes
        )
    );
    let second = upload(&target, dir.path(), "seg_b.parquet", 5..12).await;
    assert_eq!(
        first.path,
        format!("{}/data/seg_a.parquet", target.location())
    );
    assert_eq!((first.record_count, second.record_count), (5, 7));
    let before = scan(&server, "archive").await;
    assert_eq!(
        ids_of(&before),
        Vec::<i64>::new(),
        "uploads alone change nothing"
    );
    assert_eq!(before["snapshots"], json!([]));

    // Staged files wait as JSON (in Postgres, for the export) until the batch commits.
    let stored = serde_json::to_value([&first, &second]).unwrap();
    let staged: Vec<StagedDataFile> = serde_json::from_value(stored).unwrap();
    let (snapshot_id, already) = committed(target.commit(&staged, "batch-1").await.unwrap());
    assert!(!already);

    let after = scan(&server, "archive").await;
    assert_eq!(ids_of(&after), (0..12).collect::<Vec<_>>());
    let row = &after["rows"][7];
    assert_eq!(row["amount"], json!(8.75));
    assert_eq!(row["city"], json!("Kyiv"));
    assert_eq!(row["ts"], json!("2024-01-01T00:07:00"));
    let snapshots = after["snapshots"].as_array().unwrap();
    assert_eq!(snapshots.len(), 1, "{after}");
    assert_eq!(snapshots[0]["snapshot_id"], json!(snapshot_id));
    assert_eq!(snapshots[0]["operation"], json!("append"));
    assert_eq!(
        snapshots[0]["summary"][COMMIT_ID_PROPERTY],
        json!("batch-1")
    );
    assert_eq!(snapshots[0]["summary"]["added-data-files"], json!("2"));
    assert_eq!(snapshots[0]["summary"]["added-records"], json!("12"));
    // The metrics come from the footers: pyiceberg decodes the same bounds.
    let files = after["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    for (file, staged, (low, high)) in [(&files[0], &first, (0, 4)), (&files[1], &second, (5, 11))]
    {
        assert_eq!(file["file_path"], json!(staged.path));
        assert_eq!(file["format"], json!("PARQUET"));
        assert_eq!(file["record_count"], json!(staged.record_count));
        assert_eq!(file["file_size_in_bytes"], json!(staged.file_size_in_bytes));
        assert_eq!(file["lower_bounds"]["id"], json!(low), "{file}");
        assert_eq!(file["upper_bounds"]["id"], json!(high), "{file}");
        assert!(
            file["lower_bounds"].get("amount").is_none(),
            "no float bounds: {file}"
        );
    }

    assert_eq!(
        target.find_commit("batch-1").await.unwrap(),
        Some(snapshot_id)
    );
    assert_eq!(target.find_commit("batch-2").await.unwrap(), None);
    // The same commit id again appends nothing.
    let again = committed(target.commit(&staged, "batch-1").await.unwrap());
    assert_eq!(again, (snapshot_id, true));
    assert_eq!(
        scan(&server, "archive").await["snapshots"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn targets_that_cannot_take_appends_are_refused_before_anything_is_written() {
    let server = IcebergServer::start("bearer", "glue").await;
    server
        .table_step(&["--table", "parted", "--partition-by", "city", "create"])
        .await;
    server
        .table_step(&[
            "--table",
            "orcs",
            "--property",
            "write.format.default=orc",
            "create",
        ])
        .await;
    let cases = [
        ("missing", "lake.missing does not exist"),
        ("parted", "lake.parted is partitioned by city"),
        ("orcs", "lake.orcs writes orc files"),
    ];
    for (table, expected) in cases {
        let catalog = catalog(&server, table, true).await;
        let err = match catalog.open_append_target().await {
            Ok(_) => panic!("{table}: accepted as a target"),
            Err(err) => err,
        };
        assert!(
            matches!(err, CatalogError::InvalidConfig(_)),
            "{table}: {err:?}"
        );
        assert_eq!(err.status().as_u16(), 400);
        assert!(err.to_string().contains(expected), "{table}: {err}");
    }
    for table in ["parted", "orcs"] {
        let seen = scan(&server, table).await;
        assert_eq!(seen["snapshots"], json!([]), "{table}: {seen}");
        assert!(commit_statuses(&server, table).await.is_empty());
    }
}

#[tokio::test]
async fn a_conflict_is_retried_and_an_unknown_outcome_is_settled_not_appended_twice() {
    let server = IcebergServer::start("bearer", "glue").await;
    server.table_step(&["--table", "archive", "create"]).await;
    let catalog = catalog(&server, "archive", true).await;
    let target = catalog.open_append_target().await.unwrap();
    let dir = tempfile::tempdir().unwrap();

    // 409 once: reloaded and committed, one snapshot.
    let a = upload(&target, dir.path(), "a.parquet", 0..3).await;
    arm(&server, "conflict").await;
    let (first, already) = committed(target.commit(&[a], "c-1").await.unwrap());
    assert!(!already);
    assert_eq!(
        commit_statuses(&server, "archive").await,
        [json!(409), json!(200)]
    );
    let seen = scan(&server, "archive").await;
    assert_eq!(seen["snapshots"].as_array().unwrap().len(), 1, "{seen}");
    assert_eq!(ids_of(&seen), [0, 1, 2]);

    // The catalog commits but the answer is lost: unknown, and not sent again.
    let b = upload(&target, dir.path(), "b.parquet", 3..6).await;
    arm(&server, "drop-response").await;
    let outcome = target.commit(&[b], "c-2").await.unwrap();
    assert!(
        matches!(outcome, CommitOutcome::Unknown { .. }),
        "{outcome:?}"
    );
    assert_eq!(
        commit_statuses(&server, "archive").await.len(),
        3,
        "no second POST"
    );
    let found = target
        .find_commit("c-2")
        .await
        .unwrap()
        .expect("c-2 is in the table");
    assert_ne!(found, first);

    // A 502 after the catalog committed: unknown; committing again with the same id
    // finds the snapshot instead of appending the file a second time.
    let c = upload(&target, dir.path(), "c.parquet", 6..9).await;
    arm(&server, "bad-gateway").await;
    let outcome = target
        .commit(std::slice::from_ref(&c), "c-3")
        .await
        .unwrap();
    assert!(
        matches!(outcome, CommitOutcome::Unknown { .. }),
        "{outcome:?}"
    );
    let (third, already) = committed(target.commit(&[c], "c-3").await.unwrap());
    assert!(already);
    assert_eq!(target.find_commit("c-3").await.unwrap(), Some(third));

    let seen = scan(&server, "archive").await;
    assert_eq!(
        ids_of(&seen),
        (0..9).collect::<Vec<_>>(),
        "every row exactly once"
    );
    let ids: Vec<Value> = seen["snapshots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["summary"][COMMIT_ID_PROPERTY].clone())
        .collect();
    assert_eq!(ids, [json!("c-1"), json!("c-2"), json!("c-3")]);
}
