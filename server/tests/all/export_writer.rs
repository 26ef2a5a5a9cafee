//! DataExportTask's writing pieces: a segment exported with the task's Parquet settings to a
//! local folder and to the S3 fixture, read back with pyarrow; JSON text into a struct target.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, StringArray};
use arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use lakeport::catalogs::sink::put_file;
use lakeport::catalogs::{CatalogError, SourceSpec, parse_source};
use lakeport::config::Config;
use lakeport::export::options::ParquetOptions;
use lakeport::export::parquet::{field_with_id, segment_schema, write_export};
use lakeport::export::target::filesystem_source_params;
use lakeport::model::table_config::TaskParams;
use parquet::arrow::ArrowWriter;
use parquet::basic::PageType;
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{FileReader, SerializedFileReader};
use serde_json::Value;

use crate::common;
use common::data::events_batch;
use common::s3::S3Server;

const AT: &str = "tableConfig.task.taskTypeConfigsMap.DataExportTask";
const ROWS: i64 = 6000;

fn params(pairs: &[(&str, &str)]) -> TaskParams {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn options(pairs: &[(&str, &str)]) -> ParquetOptions {
    ParquetOptions::from_params(&params(pairs), AT).expect("options parse")
}

/// A config whose only local root is `<dir>/lake` (made, as an operator's root exists).
fn config(dir: &Path) -> Config {
    let config = common::test_config("postgres://unused@127.0.0.1/unused", dir);
    std::fs::create_dir_all(&config.local_roots[0]).unwrap();
    config
}

/// A segment as the builder leaves them: several row groups, ZSTD.
fn write_segment(path: &Path, batch: &RecordBatch) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let properties = WriterProperties::builder()
        .set_max_row_group_row_count(Some(1000))
        .set_compression(parquet::basic::Compression::ZSTD(Default::default()))
        .build();
    let mut writer = ArrowWriter::try_new(
        File::create(path).unwrap(),
        batch.schema(),
        Some(properties),
    )
    .unwrap();
    writer.write(batch).unwrap();
    writer.close().unwrap();
}

/// What pyarrow makes of a file: its rows, row groups (with each column chunk's codec,
/// encodings and dictionary page) and fields with their metadata, nested ones included.
const INSPECT: &str = r#"
import json, sys
import pyarrow as pa
import pyarrow.parquet as pq

def describe(field):
    out = {"metadata": {k.decode(): v.decode() for k, v in (field.metadata or {}).items()}}
    t = field.type
    if pa.types.is_struct(t):
        out["children"] = {t.field(i).name: describe(t.field(i)) for i in range(t.num_fields)}
    elif pa.types.is_list(t):
        out["children"] = {"element": describe(t.value_field)}
    return out

f = pq.ParquetFile(sys.argv[1])
meta = f.metadata
table = f.read()
groups = []
for i in range(meta.num_row_groups):
    rg = meta.row_group(i)
    columns = {}
    for j in range(rg.num_columns):
        c = rg.column(j)
        columns[c.path_in_schema] = {
            "compression": c.compression,
            "encodings": list(c.encodings),
            "dictionary": c.has_dictionary_page,
            "compressed": c.total_compressed_size,
            "uncompressed": c.total_uncompressed_size,
        }
    groups.append({"rows": rg.num_rows, "columns": columns})
print(json.dumps({
    "rows": table.to_pylist(),
    "row_groups": groups,
    "fields": {field.name: describe(field) for field in table.schema},
    "created_by": meta.created_by,
}, default=str))
"#;

fn inspect(path: &Path) -> Value {
    let output = std::process::Command::new("python3")
        .arg("-c")
        .arg(INSPECT)
        .arg(path)
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "pyarrow could not read {}: {}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the script prints JSON")
}

/// Data pages of one column over all row groups (pyarrow does not show pages).
fn data_pages(path: &Path, column: usize) -> usize {
    let reader = SerializedFileReader::new(File::open(path).unwrap()).unwrap();
    let mut pages = 0;
    for group in 0..reader.num_row_groups() {
        let row_group = reader.get_row_group(group).unwrap();
        let mut page_reader = row_group.get_column_page_reader(column).unwrap();
        while let Some(page) = page_reader.get_next_page().unwrap() {
            if matches!(
                page.page_type(),
                PageType::DATA_PAGE | PageType::DATA_PAGE_V2
            ) {
                pages += 1;
            }
        }
    }
    pages
}

/// Every id exactly once, each row with the values `events_batch` gave it.
fn assert_source_rows(file: &Value) {
    let rows = file["rows"].as_array().unwrap();
    assert_eq!(rows.len(), ROWS as usize);
    let mut ids: Vec<i64> = rows.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    ids.sort_unstable();
    assert_eq!(ids, (0..ROWS).collect::<Vec<_>>());
    let cities = ["Oslo", "Lima", "Pune", "Kyiv"];
    for row in rows {
        let id = row["id"].as_i64().unwrap();
        assert_eq!(row["amount"].as_f64(), Some(id as f64 * 1.5), "{row}");
        assert_eq!(row["city"], cities[(id % 4) as usize], "{row}");
    }
}

fn columns(file: &Value) -> Vec<&Value> {
    file["row_groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["columns"].as_object().unwrap().values())
        .collect()
}

fn uses_dictionary(column: &Value) -> bool {
    column["dictionary"] == true
        || column["encodings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e.as_str().unwrap().contains("DICTIONARY"))
}

#[tokio::test]
async fn segments_export_with_the_task_settings_to_a_folder_and_to_s3() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let source = dir.path().join("segments/events/events__0.parquet");
    write_segment(&source, &events_batch(0..ROWS));
    let target = segment_schema(&source).unwrap();
    let work = dir.path().join("work");

    let small = options(&[
        ("fileFormat", "parquet"),
        ("fileFormat.parquet.compressionCodec", "GZIP"),
        ("fileFormat.parquet.rowGroupSizeBytes", "65536"),
        ("fileFormat.parquet.enableDictionary", "false"),
    ]);
    let small_file = work.join("small.parquet");
    let exported = write_export(&source, &target, &small, &small_file).unwrap();
    assert_eq!(exported.rows, ROWS as u64);
    assert_eq!(exported.metadata.file_metadata().num_rows(), ROWS);
    let defaults_file = work.join("defaults.parquet");
    write_export(&source, &target, &options(&[]), &defaults_file).unwrap();
    let paged_file = work.join("paged.parquet");
    let paged = options(&[
        ("fileFormat.parquet.pageSizeBytes", "2048"),
        ("fileFormat.parquet.enableDictionary", "false"),
    ]);
    write_export(&source, &target, &paged, &paged_file).unwrap();
    let unpaged_file = work.join("unpaged.parquet");
    let unpaged = options(&[("fileFormat.parquet.enableDictionary", "false")]);
    write_export(&source, &target, &unpaged, &unpaged_file).unwrap();

    // To a folder under the allowed root that does not exist yet.
    let lake = config.local_roots[0].canonicalize().unwrap();
    let folder = lake.join("exports/events");
    let local = filesystem_source_params(
        &params(&[
            ("outputDirURI", &format!("file://{}/", folder.display())),
            (
                "output.fs.class",
                "org.apache.pinot.spi.filesystem.LocalPinotFS",
            ),
        ]),
        AT,
    )
    .unwrap();
    let local = parse_source(&local, AT).unwrap();
    for name in ["small", "defaults", "paged", "unpaged"] {
        let uri = put_file(
            &local,
            &config,
            &format!("events__0_{name}.parquet"),
            &work.join(format!("{name}.parquet")),
        )
        .await
        .unwrap();
        assert_eq!(
            uri,
            format!("file://{}/events__0_{name}.parquet", folder.display())
        );
    }

    let small_read = inspect(&folder.join("events__0_small.parquet"));
    assert_source_rows(&small_read);
    assert!(
        small_read["created_by"]
            .as_str()
            .unwrap()
            .starts_with("lakeport "),
        "{}",
        small_read["created_by"]
    );
    let groups = small_read["row_groups"].as_array().unwrap();
    assert!(groups.len() >= 3, "64 KiB row groups: {}", groups.len());
    for group in &groups[..groups.len() - 1] {
        let bytes: u64 = group["columns"]
            .as_object()
            .unwrap()
            .values()
            .map(|c| c["uncompressed"].as_u64().unwrap())
            .sum();
        // Cut once the writer's estimate (encoded, before compression) reaches 64 KiB.
        assert!(
            (60 * 1024..=80 * 1024).contains(&bytes),
            "row group of {bytes} bytes: {groups:?}"
        );
    }
    for column in columns(&small_read) {
        assert_eq!(column["compression"], "GZIP", "{column}");
        assert!(!uses_dictionary(column), "{column}");
    }

    let defaults_read = inspect(&folder.join("events__0_defaults.parquet"));
    assert_source_rows(&defaults_read);
    assert_eq!(defaults_read["row_groups"].as_array().unwrap().len(), 1);
    for column in columns(&defaults_read) {
        assert_eq!(column["compression"], "SNAPPY", "{column}");
    }
    let city = &defaults_read["row_groups"][0]["columns"]["city"];
    assert!(uses_dictionary(city), "{city}");

    let paged_path = folder.join("events__0_paged.parquet");
    assert_source_rows(&inspect(&paged_path));
    let id_pages = data_pages(&paged_path, 0);
    assert!(id_pages >= 5, "2 KiB pages of 6000 longs: {id_pages}");
    assert_eq!(
        data_pages(&folder.join("events__0_unpaged.parquet"), 0),
        1,
        "1 MiB pages"
    );

    // Outside the allowed roots nothing is written, and retrying will not help.
    let outside = parse_source(
        &filesystem_source_params(
            &params(&[(
                "outputDirURI",
                &format!("file://{}/elsewhere/", dir.path().display()),
            )]),
            AT,
        )
        .unwrap(),
        AT,
    )
    .unwrap();
    let err = put_file(&outside, &config, "x.parquet", &small_file)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CatalogError::InvalidConfig(m) if m.contains("outside the folders")),
        "{err:?}"
    );
    assert!(!err.retryable());
    assert!(!dir.path().join("elsewhere").exists());

    // To S3, signed with the keys the task gives.
    let s3 = S3Server::start(&["exports"]).await;
    let s3_spec = |secret: &str| -> SourceSpec {
        let source = filesystem_source_params(
            &params(&[
                ("outputDirURI", "s3://exports/tables/events/"),
                (
                    "output.fs.class",
                    "org.apache.pinot.plugin.filesystem.S3PinotFS",
                ),
                ("output.fs.prop.region", &s3.creds.region),
                ("output.fs.prop.accessKey", &s3.creds.access_key),
                ("output.fs.prop.secretKey", secret),
                ("output.fs.prop.endpoint", &s3.creds.endpoint),
            ]),
            AT,
        )
        .unwrap();
        parse_source(&source, AT).unwrap()
    };
    let uri = put_file(
        &s3_spec(&s3.creds.secret_key),
        &config,
        "events__0.parquet",
        &small_file,
    )
    .await
    .unwrap();
    assert_eq!(uri, "s3://exports/tables/events/events__0.parquet");
    let object = s3
        .client
        .get_object()
        .bucket("exports")
        .key("tables/events/events__0.parquet")
        .send()
        .await
        .expect("the object exists");
    let body = object.body.collect().await.unwrap().into_bytes();
    assert_eq!(
        body.as_ref(),
        std::fs::read(&small_file).unwrap().as_slice()
    );
    let downloaded = dir.path().join("downloaded.parquet");
    std::fs::write(&downloaded, &body).unwrap();
    let s3_read = inspect(&downloaded);
    assert_source_rows(&s3_read);
    assert!(columns(&s3_read).iter().all(|c| c["compression"] == "GZIP"));

    let err = put_file(&s3_spec("wrong-secret"), &config, "x.parquet", &small_file)
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::AccessDenied(_)), "{err:?}");
    assert!(!err.retryable());
}

fn json_segment(path: &Path, rows: i64) {
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("payload", DataType::Utf8, true),
    ]));
    let payloads = StringArray::from_iter((0..rows).map(|i| match i % 100 {
        7 => None,
        50 => Some(format!(
            r#"{{"n": {i}, "tags": ["a"], "inner": {{"label": "x{i}", "junk": 1}}, "extra": true}}"#
        )),
        _ => Some(format!(
            r#"{{"n": {i}, "tags": ["a", "b"], "inner": {{"label": "x{i}"}}}}"#
        )),
    }));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from_iter_values(0..rows)),
        Arc::new(payloads),
    ];
    write_segment(path, &RecordBatch::try_new(schema, columns).unwrap());
}

/// The shape an Iceberg table gives: field ids on every field, nested ones too.
fn struct_target() -> SchemaRef {
    let payload = DataType::Struct(Fields::from(vec![
        field_with_id(Field::new("n", DataType::Int64, true), 3),
        field_with_id(
            Field::new(
                "tags",
                DataType::List(Arc::new(field_with_id(
                    Field::new("element", DataType::Utf8, true),
                    6,
                ))),
                true,
            ),
            4,
        ),
        field_with_id(
            Field::new(
                "inner",
                DataType::Struct(Fields::from(vec![field_with_id(
                    Field::new("label", DataType::Utf8, true),
                    8,
                )])),
                true,
            ),
            5,
        ),
    ]));
    Arc::new(Schema::new(vec![
        field_with_id(Field::new("id", DataType::Int64, false), 1),
        field_with_id(Field::new("payload", payload, true), 2),
        field_with_id(Field::new("added_later", DataType::Utf8, true), 7),
    ]))
}

#[test]
fn json_text_is_exported_into_a_struct_target() {
    let dir = tempfile::tempdir().unwrap();
    let source: PathBuf = dir.path().join("segments/t/t__0.parquet");
    json_segment(&source, 3000);
    let out = dir.path().join("out");

    let dest = out.join("t__0.parquet");
    let exported = write_export(&source, &struct_target(), &options(&[]), &dest).unwrap();
    assert_eq!(exported.rows, 3000);
    let file = inspect(&dest);
    let rows = file["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 3000);
    for row in rows {
        let id = row["id"].as_i64().unwrap();
        assert_eq!(row["added_later"], Value::Null);
        let payload = &row["payload"];
        if id % 100 == 7 {
            assert_eq!(payload, &Value::Null, "{row}");
            continue;
        }
        let keys: Vec<&str> = payload
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["n", "tags", "inner"], "{row}");
        assert_eq!(payload["n"], id, "{row}");
        assert_eq!(
            payload["inner"],
            serde_json::json!({ "label": format!("x{id}") })
        );
        let tags = if id % 100 == 50 {
            vec!["a"]
        } else {
            vec!["a", "b"]
        };
        assert_eq!(payload["tags"], serde_json::json!(tags), "{row}");
    }
    let id_of = |field: &Value| field["metadata"]["PARQUET:field_id"].clone();
    let fields = &file["fields"];
    assert_eq!(id_of(&fields["id"]), "1");
    assert_eq!(id_of(&fields["payload"]), "2");
    assert_eq!(id_of(&fields["added_later"]), "7");
    let children = &fields["payload"]["children"];
    assert_eq!(id_of(&children["n"]), "3");
    assert_eq!(id_of(&children["tags"]), "4");
    assert_eq!(id_of(&children["tags"]["children"]["element"]), "6");
    assert_eq!(id_of(&children["inner"]["children"]["label"]), "8");

    // fail: the first unknown key stops the export, and no file appears.
    let strict = options(&[("fileFormat.parquet.json.unknownKeysBehavior", "fail")]);
    let failed = out.join("t__strict.parquet");
    let err = write_export(&source, &struct_target(), &strict, &failed).unwrap_err();
    assert!(
        err.contains("'payload'") && err.contains("'extra'") && err.contains("row 50"),
        "{err}"
    );
    let shallow = options(&[("fileFormat.parquet.json.maxDepth", "1")]);
    let err = write_export(&source, &struct_target(), &shallow, &failed).unwrap_err();
    assert!(err.contains("json.maxDepth (1)"), "{err}");
    assert!(!failed.exists());
    let names: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["t__0.parquet"], "no temporary file is left");
}
