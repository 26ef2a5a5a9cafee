//! Arrow values as JSON, for preview rows and query results.

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float32Array, Float64Array, Int8Array, Int16Array,
    Int32Array, Int64Array, UInt8Array, UInt16Array, UInt32Array, UInt64Array,
};
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use serde_json::{Map, Value, json};

/// One cell as JSON: numbers and booleans natively, lists as arrays, anything else
/// (timestamps, decimals, bytes) as the text Arrow formats it to.
pub fn cell(array: &ArrayRef, row: usize) -> Value {
    if array.is_null(row) {
        return Value::Null;
    }
    macro_rules! native {
        ($t:ty) => {
            json!(
                array
                    .as_any()
                    .downcast_ref::<$t>()
                    .expect("type checked")
                    .value(row)
            )
        };
    }
    match array.data_type() {
        DataType::Boolean => native!(BooleanArray),
        DataType::Int8 => native!(Int8Array),
        DataType::Int16 => native!(Int16Array),
        DataType::Int32 => native!(Int32Array),
        DataType::Int64 => native!(Int64Array),
        DataType::UInt8 => native!(UInt8Array),
        DataType::UInt16 => native!(UInt16Array),
        DataType::UInt32 => native!(UInt32Array),
        DataType::UInt64 => native!(UInt64Array),
        DataType::Float32 => float(
            array
                .as_any()
                .downcast_ref::<Float32Array>()
                .expect("type checked")
                .value(row) as f64,
        ),
        DataType::Float64 => float(
            array
                .as_any()
                .downcast_ref::<Float64Array>()
                .expect("type checked")
                .value(row),
        ),
        DataType::Utf8 => json!(array.as_string::<i32>().value(row)),
        DataType::LargeUtf8 => json!(array.as_string::<i64>().value(row)),
        DataType::Utf8View => json!(array.as_string_view().value(row)),
        DataType::List(_) => {
            let values = array.as_list::<i32>().value(row);
            Value::Array((0..values.len()).map(|i| cell(&values, i)).collect())
        }
        DataType::LargeList(_) => {
            let values = array.as_list::<i64>().value(row);
            Value::Array((0..values.len()).map(|i| cell(&values, i)).collect())
        }
        _ => match ArrayFormatter::try_new(array.as_ref(), &FormatOptions::default()) {
            Ok(formatter) => json!(formatter.value(row).to_string()),
            Err(_) => Value::Null,
        },
    }
}

/// JSON has no NaN or infinity; they are sent as strings rather than lost.
fn float(value: f64) -> Value {
    serde_json::Number::from_f64(value)
        .map(Value::Number)
        .unwrap_or_else(|| json!(value.to_string()))
}

/// Rows as JSON objects keyed by column name.
pub fn rows_as_objects(batches: &[RecordBatch]) -> Vec<Value> {
    let mut rows = Vec::new();
    for batch in batches {
        let schema = batch.schema();
        for row in 0..batch.num_rows() {
            let object: Map<String, Value> = schema
                .fields()
                .iter()
                .zip(batch.columns())
                .map(|(field, column)| (field.name().clone(), cell(column, row)))
                .collect();
            rows.push(Value::Object(object));
        }
    }
    rows
}

/// Rows as JSON arrays in column order, at most `limit` of them.
pub fn rows_as_arrays(batches: &[RecordBatch], limit: usize) -> Vec<Value> {
    let mut rows = Vec::new();
    for batch in batches {
        for row in 0..batch.num_rows() {
            if rows.len() >= limit {
                return rows;
            }
            rows.push(Value::Array(
                batch.columns().iter().map(|c| cell(c, row)).collect(),
            ));
        }
    }
    rows
}
