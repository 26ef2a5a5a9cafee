//! Parquet test files with a unique `id` column, so lost or doubled rows show up.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Int64Array, StringArray, TimestampMillisecondArray};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;

pub fn events_batch(ids: std::ops::Range<i64>) -> RecordBatch {
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("ts", DataType::Timestamp(TimeUnit::Millisecond, None), true),
        Field::new("amount", DataType::Float64, true),
        Field::new("city", DataType::Utf8, true),
    ]));
    let cities = ["Oslo", "Lima", "Pune", "Kyiv"];
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from_iter_values(ids.clone())),
        // Deliberately not in id order, so sorting by time is visible.
        Arc::new(TimestampMillisecondArray::from_iter_values(
            ids.clone()
                .map(|i| 1_700_000_000_000 + (i * 7919 % 1000) * 1000),
        )),
        Arc::new(Float64Array::from_iter_values(
            ids.clone().map(|i| i as f64 * 1.5),
        )),
        Arc::new(StringArray::from_iter_values(
            ids.map(|i| cities[(i % 4) as usize]),
        )),
    ];
    RecordBatch::try_new(schema, columns).unwrap()
}

pub fn write_parquet(path: &Path, batch: &RecordBatch) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut writer = ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    writer.write(batch).unwrap();
    writer.close().unwrap();
}

/// Writes the ids as one Parquet file and returns its bytes.
pub fn events_file(path: &Path, ids: std::ops::Range<i64>) -> Vec<u8> {
    write_parquet(path, &events_batch(ids));
    std::fs::read(path).unwrap()
}

pub fn events_bytes(ids: std::ops::Range<i64>) -> Vec<u8> {
    let mut buffer = Vec::new();
    let batch = events_batch(ids);
    let mut writer = ArrowWriter::try_new(&mut buffer, batch.schema(), None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    buffer
}
