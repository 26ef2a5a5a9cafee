//! Decoding ingest bodies: every type's conversions, the errors that name row and column,
//! null handling, and Arrow streams.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{
    Array, AsArray, BinaryArray, BooleanArray, Decimal128Array, Float32Array, Float64Array,
    Int32Array, Int64Array, ListArray, RecordBatch, StringArray, TimestampMillisecondArray,
};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use arrow::ipc::writer::StreamWriter;

use super::{IngestFormat, RowError, decode};
use crate::model::schema::{FieldDataType, FieldSpec, TableSchema, segment_arrow_schema};
use crate::segments::builder::{SegmentPlan, conform};

fn spec(name: &str, data_type: FieldDataType) -> FieldSpec {
    FieldSpec::new(name, data_type)
}

fn plan_of(schema: TableSchema, null_handling: bool) -> SegmentPlan {
    SegmentPlan {
        arrow_schema: Arc::new(segment_arrow_schema(&schema, &BTreeMap::new())),
        schema,
        time_column: Some("ts".into()),
        bloom_filter_columns: vec![],
        null_handling,
    }
}

/// One field of every type, a multi-value field and an epoch-seconds time column.
fn every_type() -> SegmentPlan {
    let mut tags = spec("tags", FieldDataType::String);
    tags.single_value_field = false;
    let mut ts = spec("ts", FieldDataType::Timestamp);
    ts.format = Some("1:MILLISECONDS:TIMESTAMP".into());
    let mut secs = spec("secs", FieldDataType::Long);
    secs.format = Some("1:SECONDS:EPOCH".into());
    let schema = TableSchema {
        schema_name: "t".into(),
        enable_column_based_null_handling: true,
        dimension_field_specs: vec![
            spec("id", FieldDataType::Int),
            spec("big", FieldDataType::Long),
            spec("flag", FieldDataType::Boolean),
            spec("name", FieldDataType::String),
            spec("payload", FieldDataType::Json),
            spec("blob", FieldDataType::Bytes),
            tags,
        ],
        metric_field_specs: vec![
            spec("f", FieldDataType::Float),
            spec("d", FieldDataType::Double),
            spec("price", FieldDataType::BigDecimal),
        ],
        date_time_field_specs: vec![ts, secs],
        primary_key_columns: vec![],
    };
    plan_of(schema, true)
}

fn json(body: &str, plan: &SegmentPlan) -> Result<RecordBatch, RowError> {
    decode(IngestFormat::Json, body.as_bytes(), plan)
}

fn column<'a, T: 'static>(batch: &'a RecordBatch, name: &str) -> &'a T {
    batch
        .column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"))
        .as_any()
        .downcast_ref::<T>()
        .unwrap_or_else(|| panic!("column {name} has another type"))
}

#[test]
fn content_types_pick_the_format_and_ignore_parameters() {
    let parse = IngestFormat::from_content_type;
    assert_eq!(parse(None), Ok(IngestFormat::Json));
    assert_eq!(parse(Some("")), Ok(IngestFormat::Json));
    assert_eq!(
        parse(Some("application/json; charset=utf-8")),
        Ok(IngestFormat::Json)
    );
    assert_eq!(
        parse(Some("Application/X-NDJSON")),
        Ok(IngestFormat::NdJson)
    );
    assert_eq!(
        parse(Some(" application/vnd.apache.arrow.stream ;x=1")),
        Ok(IngestFormat::ArrowStream)
    );
    let err = parse(Some("text/csv")).unwrap_err();
    for expected in [
        "'text/csv'",
        "application/json",
        "application/x-ndjson",
        "application/vnd.apache.arrow.stream",
    ] {
        assert!(err.contains(expected), "{err}");
    }
    for format in [
        IngestFormat::Json,
        IngestFormat::NdJson,
        IngestFormat::ArrowStream,
    ] {
        assert_eq!(parse(Some(format.content_type())), Ok(format));
    }
}

#[test]
fn every_type_converts_from_its_json_forms() {
    let plan = every_type();
    let body = r#"[
        {"id": 5, "big": 9007199254740993, "flag": true, "name": "plain", "f": 1.5, "d": 2,
         "price": "12.345", "ts": 1704164645678, "secs": 60, "payload": {"b": [1, 2], "a": null},
         "blob": "00ff10", "tags": ["a", "b"], "unknown": {"ignored": true}},
        {"id": 6.0, "big": "-42", "flag": "false", "name": 42, "f": "2.25", "d": "1e3",
         "price": 12.5, "ts": "2024-01-02T03:04:05.678Z", "secs": "1970-01-01T00:02:00Z",
         "payload": "already json", "blob": "0XAB", "tags": "c"},
        {"id": "7", "name": 1.5, "ts": "2024-01-02 03:04:05.678", "price": 3, "tags": null,
         "payload": [1, "x"], "flag": false},
        {"ts": "2024-01-02T05:04:05.678+02:00", "name": true, "tags": []}
    ]"#;
    let batch = json(body, &plan).unwrap();
    assert_eq!(batch.schema(), plan.arrow_schema);
    assert_eq!(batch.num_rows(), 4);

    let id = column::<Int32Array>(&batch, "id");
    assert_eq!(
        id.iter().collect::<Vec<_>>(),
        [Some(5), Some(6), Some(7), None]
    );
    let big = column::<Int64Array>(&batch, "big");
    assert_eq!(
        big.iter().collect::<Vec<_>>(),
        [Some(9007199254740993), Some(-42), None, None]
    );
    let flag = column::<BooleanArray>(&batch, "flag");
    assert_eq!(
        flag.iter().collect::<Vec<_>>(),
        [Some(true), Some(false), Some(false), None]
    );
    let name = column::<StringArray>(&batch, "name");
    assert_eq!(
        name.iter().collect::<Vec<_>>(),
        [Some("plain"), Some("42"), Some("1.5"), Some("true")]
    );
    let f = column::<Float32Array>(&batch, "f");
    assert_eq!(
        f.iter().collect::<Vec<_>>(),
        [Some(1.5), Some(2.25), None, None]
    );
    let d = column::<Float64Array>(&batch, "d");
    assert_eq!(
        d.iter().collect::<Vec<_>>(),
        [Some(2.0), Some(1000.0), None, None]
    );
    let price = column::<Decimal128Array>(&batch, "price");
    assert_eq!(price.data_type(), &DataType::Decimal128(38, 9));
    assert_eq!(
        price.iter().collect::<Vec<_>>(),
        [
            Some(12_345_000_000),
            Some(12_500_000_000),
            Some(3_000_000_000),
            None
        ]
    );
    let ts = column::<TimestampMillisecondArray>(&batch, "ts");
    assert_eq!(ts.values().to_vec(), vec![1704164645678; 4]);
    let secs = column::<Int64Array>(&batch, "secs");
    assert_eq!(
        secs.iter().collect::<Vec<_>>(),
        [Some(60), Some(120), None, None]
    );
    let payload = column::<StringArray>(&batch, "payload");
    assert_eq!(
        payload.iter().collect::<Vec<_>>(),
        [
            Some(r#"{"b":[1,2],"a":null}"#),
            Some("already json"),
            Some(r#"[1,"x"]"#),
            None
        ]
    );
    let blob = column::<BinaryArray>(&batch, "blob");
    assert_eq!(
        blob.iter().collect::<Vec<_>>(),
        [Some(&[0u8, 255, 16][..]), Some(&[0xab][..]), None, None]
    );
    let tags = column::<ListArray>(&batch, "tags");
    let tag_rows: Vec<Option<Vec<String>>> = tags
        .iter()
        .map(|row| {
            row.map(|values| {
                values
                    .as_string::<i32>()
                    .iter()
                    .map(|v| v.unwrap().to_owned())
                    .collect()
            })
        })
        .collect();
    assert_eq!(
        tag_rows,
        [
            Some(vec!["a".to_string(), "b".to_string()]),
            Some(vec!["c".to_string()]),
            None,
            Some(vec![])
        ]
    );
}

#[test]
fn values_that_do_not_fit_name_their_row_and_column() {
    let plan = every_type();
    let cases = [
        ("id", "1.5", "1.5 is not a whole number"),
        ("id", "3000000000", "3000000000 is out of range for INT"),
        ("id", r#""abc""#, "'abc' is not an INT"),
        ("id", "true", "true is not an INT"),
        ("big", "1e30", "out of range for LONG"),
        ("big", "[1]", "an array is not a LONG"),
        ("f", "1e300", "out of range for FLOAT"),
        ("d", r#""x""#, "'x' is not a DOUBLE"),
        ("flag", "1", "1 is not a BOOLEAN (true or false)"),
        ("flag", r#""yes""#, "'yes' is not a BOOLEAN (true or false)"),
        (
            "ts",
            r#""abc""#,
            "'abc' is not a TIMESTAMP (epoch millis or ISO-8601)",
        ),
        (
            "ts",
            "true",
            "true is not a TIMESTAMP (epoch millis or ISO-8601)",
        ),
        ("ts", r#""2024-13-01T00:00:00Z""#, "is not a TIMESTAMP"),
        ("ts", "1.5", "1.5 is not a TIMESTAMP"),
        ("secs", r#""soon""#, "'soon' is not a LONG"),
        ("price", r#""abc""#, "'abc' is not a BIG_DECIMAL"),
        (
            "price",
            "1e40",
            "does not fit BIG_DECIMAL with precision 38 and scale 9",
        ),
        ("price", "false", "false is not a BIG_DECIMAL"),
        ("blob", r#""xyz""#, "'xyz' is not a BYTES value (hex text"),
        ("blob", r#""abc""#, "'abc' is not a BYTES value"),
        ("blob", "5", "5 is not a BYTES value"),
        ("name", r#"{"a": 1}"#, "an object is not a STRING"),
        ("name", "[1]", "an array is not a STRING"),
        (
            "tags",
            r#"["a", {"x": 1}]"#,
            "item 1: an object is not a STRING",
        ),
        ("tags", r#"{"x": 1}"#, "an object is not a STRING"),
    ];
    for (name, value, expected) in cases {
        let body = format!(r#"[{{"id": 1, "ts": 5}}, {{"{name}": {value}}}]"#);
        let err = json(&body, &plan).unwrap_err();
        assert_eq!(
            (err.row, err.column.as_deref()),
            (Some(1), Some(name)),
            "{name} = {value}: {err}"
        );
        assert!(
            err.message.contains(expected),
            "{name} = {value}: '{err}' lacks '{expected}'"
        );
    }

    let err = json(r#"[{"ts": "abc"}]"#, &plan).unwrap_err();
    assert_eq!(
        err.to_string(),
        "row 0, column 'ts': 'abc' is not a TIMESTAMP (epoch millis or ISO-8601)"
    );
    let long = "y".repeat(500);
    let err = json(&format!(r#"{{"id": "{long}"}}"#), &plan).unwrap_err();
    assert!(err.message.len() < 120, "{err}");
}

#[test]
fn the_body_must_be_an_array_of_objects_or_one_object() {
    let plan = every_type();
    let one = json(r#"{"id": 3}"#, &plan).unwrap();
    assert_eq!(one.num_rows(), 1);
    assert_eq!(column::<Int32Array>(&one, "id").value(0), 3);

    for empty in ["", "  \n", "[]", "\u{FEFF}[ ]"] {
        let batch = json(empty, &plan).unwrap();
        assert_eq!(
            (batch.num_rows(), batch.schema()),
            (0, plan.arrow_schema.clone())
        );
    }

    let err = json("5", &plan).unwrap_err();
    assert_eq!((err.row, err.column.as_deref()), (None, None), "{err}");
    assert!(err.message.contains("array of objects"), "{err}");

    let err = json(r#"[{"id": 1}, 3]"#, &plan).unwrap_err();
    assert_eq!((err.row, err.column.as_deref()), (Some(1), None), "{err}");
    assert!(err.message.contains("a JSON object"), "{err}");

    let err = json(r#"[{"id": 1}, {"id": 2, "id": 3}]"#, &plan).unwrap_err();
    assert_eq!(
        (err.row, err.column.as_deref()),
        (Some(1), Some("id")),
        "{err}"
    );
    assert!(err.message.contains("twice"), "{err}");

    let err = json("{\"id\": 1}\n{\"id\": 2}", &plan).unwrap_err();
    assert!(err.message.contains("application/x-ndjson"), "{err}");

    let err = json(r#"[{"id": 1}, {"id": 2"#, &plan).unwrap_err();
    assert_eq!(err.row, Some(1), "{err}");
}

#[test]
fn ndjson_skips_blank_lines_and_names_the_row_of_a_malformed_line() {
    let plan = every_type();
    let body = "{\"id\": 1}\n\n  \r\n{\"id\": 2, \"ts\": 7}\r\n{\"id\": 3}";
    let batch = decode(IngestFormat::NdJson, body.as_bytes(), &plan).unwrap();
    assert_eq!(
        column::<Int32Array>(&batch, "id").values().to_vec(),
        vec![1, 2, 3]
    );
    assert_eq!(
        column::<TimestampMillisecondArray>(&batch, "ts").null_count(),
        2
    );

    let body = "{\"id\": 1}\n\n{\"id\": 2}\n{\"id\": }\n{\"id\": 4}\n";
    let err = decode(IngestFormat::NdJson, body.as_bytes(), &plan).unwrap_err();
    assert_eq!((err.row, err.column.as_deref()), (Some(2), None), "{err}");
    assert!(err.message.contains("(line 4, column"), "{err}");

    let body = "{\"id\": 1}\n[{\"id\": 2}]\n";
    let err = decode(IngestFormat::NdJson, body.as_bytes(), &plan).unwrap_err();
    assert_eq!(err.row, Some(1), "{err}");

    let body = "{\"id\": 1}\n{\"id\": \"x\"}\n";
    let err = decode(IngestFormat::NdJson, body.as_bytes(), &plan).unwrap_err();
    assert_eq!(
        (err.row, err.column.as_deref()),
        (Some(1), Some("id")),
        "{err}"
    );
}

fn not_null_plan(null_handling: bool) -> SegmentPlan {
    let mut id = spec("id", FieldDataType::Int);
    id.not_null = true;
    let mut tags = spec("tags", FieldDataType::Long);
    tags.single_value_field = false;
    tags.not_null = true;
    let mut label = spec("label", FieldDataType::String);
    label.default_null_value = Some(serde_json::json!("n/a"));
    let schema = TableSchema {
        schema_name: "t".into(),
        enable_column_based_null_handling: null_handling,
        dimension_field_specs: vec![id, label, spec("plain", FieldDataType::String), tags],
        metric_field_specs: vec![spec("amount", FieldDataType::Double)],
        date_time_field_specs: vec![spec("ts", FieldDataType::Timestamp)],
        primary_key_columns: vec![],
    };
    plan_of(schema, null_handling)
}

#[test]
fn a_not_null_column_without_a_value_names_the_row() {
    let plan = not_null_plan(true);
    let body = r#"[{"id": 1, "tags": [1]}, {"id": 2, "tags": []}, {"tags": [3]}]"#;
    let err = json(body, &plan).unwrap_err();
    assert_eq!(
        (err.row, err.column.as_deref()),
        (Some(2), Some("id")),
        "{err}"
    );
    let err = json(
        r#"[{"id": 1, "tags": [1]}, {"id": null, "tags": [2]}]"#,
        &plan,
    )
    .unwrap_err();
    assert_eq!(err.row, Some(1), "{err}");

    // Without null handling the scalar gets its default, but a list is never filled.
    let plan = not_null_plan(false);
    let batch = json(r#"[{"tags": [1]}]"#, &plan).unwrap();
    assert_eq!(column::<Int32Array>(&batch, "id").value(0), i32::MIN);
    let err = json(r#"[{"tags": [1]}, {"id": 2}]"#, &plan).unwrap_err();
    assert_eq!(
        (err.row, err.column.as_deref()),
        (Some(1), Some("tags")),
        "{err}"
    );
}

#[test]
fn without_null_handling_nulls_become_what_conform_makes_them() {
    let plan = not_null_plan(false);
    let body = r#"[{"id": 1, "tags": [1], "label": "x", "plain": "p", "amount": 2.5, "ts": 9},
                   {"id": null, "tags": [2]}]"#;
    let batch = json(body, &plan).unwrap();
    assert_eq!(column::<Int32Array>(&batch, "id").value(1), i32::MIN);
    assert_eq!(column::<StringArray>(&batch, "label").value(1), "n/a");
    assert_eq!(column::<StringArray>(&batch, "plain").value(1), "null");
    assert_eq!(column::<Float64Array>(&batch, "amount").value(1), 0.0);
    assert_eq!(
        column::<TimestampMillisecondArray>(&batch, "ts").value(1),
        0
    );
    for c in batch.columns() {
        assert_eq!(c.null_count(), 0);
    }

    // The same rows as a file's batch, conformed by the segment builder.
    let source = RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int32, true),
            Field::new("label", DataType::Utf8, true),
            Field::new("plain", DataType::Utf8, true),
            Field::new("amount", DataType::Float64, true),
            Field::new("ts", DataType::Int64, true),
            Field::new(
                "tags",
                DataType::List(Arc::new(Field::new("item", DataType::Int64, true))),
                true,
            ),
        ])),
        vec![
            Arc::new(Int32Array::from(vec![Some(1), None])),
            Arc::new(StringArray::from(vec![Some("x"), None])),
            Arc::new(StringArray::from(vec![Some("p"), None])),
            Arc::new(Float64Array::from(vec![Some(2.5), None])),
            Arc::new(Int64Array::from(vec![Some(9), None])),
            Arc::new(ListArray::from_iter_primitive::<
                arrow::datatypes::Int64Type,
                _,
                _,
            >(vec![
                Some(vec![Some(1)]),
                Some(vec![Some(2)]),
            ])),
        ],
    )
    .unwrap();
    assert_eq!(batch, conform(&source, "x.parquet", &plan).unwrap());
}

fn stream(batches: &[RecordBatch]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut writer = StreamWriter::try_new(&mut out, &batches[0].schema()).unwrap();
    for batch in batches {
        writer.write(batch).unwrap();
    }
    writer.finish().unwrap();
    drop(writer);
    out
}

fn stream_batch(ids: Vec<&str>, ts: Vec<i64>) -> RecordBatch {
    RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new("id", DataType::Utf8, true),
            Field::new("ts", DataType::Int64, true),
            Field::new("extra", DataType::Boolean, true),
        ])),
        vec![
            Arc::new(StringArray::from(ids.clone())),
            Arc::new(Int64Array::from(ts)),
            Arc::new(BooleanArray::from(vec![true; ids.len()])),
        ],
    )
    .unwrap()
}

#[test]
fn arrow_streams_are_cast_by_name_and_concatenated() {
    let plan = not_null_plan(true);
    let with_tags = |batch: RecordBatch| {
        let tags = ListArray::from_iter_primitive::<arrow::datatypes::Int32Type, _, _>(
            (0..batch.num_rows()).map(|i| Some(vec![Some(i as i32)])),
        );
        let mut fields = batch.schema().fields().to_vec();
        fields.push(Arc::new(Field::new("tags", tags.data_type().clone(), true)));
        let mut columns = batch.columns().to_vec();
        columns.push(Arc::new(tags));
        RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap()
    };
    let body = stream(&[
        with_tags(stream_batch(vec!["1", "2"], vec![10, 20])),
        with_tags(stream_batch(vec!["3"], vec![30])),
    ]);
    let batch = decode(IngestFormat::ArrowStream, &body, &plan).unwrap();
    assert_eq!(batch.schema(), plan.arrow_schema);
    assert_eq!(
        column::<Int32Array>(&batch, "id").values().to_vec(),
        vec![1, 2, 3]
    );
    assert_eq!(
        column::<TimestampMillisecondArray>(&batch, "ts")
            .values()
            .to_vec(),
        vec![10, 20, 30]
    );
    let tags = column::<ListArray>(&batch, "tags");
    assert_eq!(
        tags.value(2)
            .as_primitive::<arrow::datatypes::Int64Type>()
            .value(0),
        0
    );
    assert_eq!(column::<StringArray>(&batch, "label").null_count(), 3);

    // The bad value sits in the second batch: its row counts the first batch's rows.
    let body = stream(&[
        with_tags(stream_batch(vec!["1", "2"], vec![10, 20])),
        with_tags(stream_batch(vec!["3", "four"], vec![30, 40])),
    ]);
    let err = decode(IngestFormat::ArrowStream, &body, &plan).unwrap_err();
    assert_eq!(
        (err.row, err.column.as_deref()),
        (Some(3), Some("id")),
        "{err}"
    );
    assert!(
        err.message.contains("'four' (Utf8) cannot be read as INT"),
        "{err}"
    );

    // A type no cast reaches names only the column.
    let mut schema = TableSchema::named("t");
    schema
        .dimension_field_specs
        .push(spec("blob", FieldDataType::Bytes));
    let bytes_plan = plan_of(schema, true);
    let body = stream(&[RecordBatch::try_new(
        Arc::new(Schema::new(vec![Field::new(
            "blob",
            DataType::Boolean,
            true,
        )])),
        vec![Arc::new(BooleanArray::from(vec![true]))],
    )
    .unwrap()]);
    let err = decode(IngestFormat::ArrowStream, &body, &bytes_plan).unwrap_err();
    assert_eq!(
        (err.row, err.column.as_deref()),
        (None, Some("blob")),
        "{err}"
    );

    // A notNull column the stream lacks.
    let body = stream(&[stream_batch(vec!["1"], vec![10])]);
    let err = decode(IngestFormat::ArrowStream, &body, &plan).unwrap_err();
    assert_eq!(err.column.as_deref(), Some("tags"), "{err}");

    let err = decode(IngestFormat::ArrowStream, b"not arrow", &plan).unwrap_err();
    assert_eq!((err.row, err.column.as_deref()), (None, None), "{err}");
    assert!(err.message.contains("Arrow IPC stream"), "{err}");
}

#[test]
fn timestamps_in_other_units_keep_their_precision() {
    let mut plan = every_type();
    let micros = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    plan.arrow_schema = Arc::new(segment_arrow_schema(
        &plan.schema,
        &BTreeMap::from([("ts".to_string(), micros.clone())]),
    ));
    let batch = json(
        r#"[{"ts": "1970-01-01T00:00:01.000002Z"}, {"ts": 3}]"#,
        &plan,
    )
    .unwrap();
    let ts = batch.column_by_name("ts").unwrap();
    assert_eq!(ts.data_type(), &micros);
    let ts = ts.as_primitive::<arrow::datatypes::TimestampMicrosecondType>();
    assert_eq!(ts.values().to_vec(), vec![1_000_002, 3_000]);
}

/// Many rows of every type in one body: each row lands in its place (speed is measured by
/// the benchmark's ingest figures, not here).
#[test]
fn many_ndjson_rows_of_every_type_keep_their_order() {
    let plan = every_type();
    let mut body = String::new();
    for i in 0..20_000 {
        body.push_str(&format!(
            "{{\"id\":{i},\"big\":{},\"name\":\"user-{}\",\"flag\":{},\"d\":{}.25,\"ts\":{},\"tags\":[\"a\",\"b\"],\"payload\":{{\"k\":{i}}}}}\n",
            i * 1000,
            i % 97,
            i % 2 == 0,
            i,
            1_700_000_000_000i64 + i
        ));
    }
    let batch = decode(IngestFormat::NdJson, body.as_bytes(), &plan).unwrap();
    assert_eq!(batch.num_rows(), 20_000);
    let ids = column::<Int32Array>(&batch, "id");
    assert!((0..20_000).all(|i| ids.value(i) == i as i32));
}
