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

/// About how many bytes `cell` makes of this value in JSON, found without building it:
/// exact enough for text, bytes and lists (the values that can be huge), a flat guess
/// for the rest.
pub fn cell_size_hint(array: &ArrayRef, row: usize) -> usize {
    const SCALAR: usize = 24;
    if array.is_null(row) {
        return 4;
    }
    match array.data_type() {
        DataType::Utf8 => array.as_string::<i32>().value(row).len() + 2,
        DataType::LargeUtf8 => array.as_string::<i64>().value(row).len() + 2,
        DataType::Utf8View => array.as_string_view().value(row).len() + 2,
        // Formatted as hex: two characters a byte.
        DataType::Binary => array.as_binary::<i32>().value(row).len() * 2 + 2,
        DataType::LargeBinary => array.as_binary::<i64>().value(row).len() * 2 + 2,
        DataType::BinaryView => array.as_binary_view().value(row).len() * 2 + 2,
        DataType::List(_) => list_size_hint(&array.as_list::<i32>().value(row)),
        DataType::LargeList(_) => list_size_hint(&array.as_list::<i64>().value(row)),
        DataType::Struct(_) => array
            .as_struct()
            .columns()
            .iter()
            .map(|c| cell_size_hint(c, row) + 8)
            .sum::<usize>(),
        _ => SCALAR,
    }
}

fn list_size_hint(values: &ArrayRef) -> usize {
    2 + (0..values.len())
        .map(|i| cell_size_hint(values, i) + 1)
        .sum::<usize>()
}

/// The length of `value` serialised, near enough for a budget (escapes not counted).
pub fn json_size(value: &Value) -> usize {
    match value {
        Value::Null | Value::Bool(_) => 5,
        Value::Number(_) => 20,
        Value::String(s) => s.len() + 2,
        Value::Array(items) => 2 + items.iter().map(|v| json_size(v) + 1).sum::<usize>(),
        Value::Object(map) => {
            2 + map
                .iter()
                .map(|(k, v)| k.len() + 4 + json_size(v))
                .sum::<usize>()
        }
    }
}

/// JSON has no NaN or infinity; they are sent as strings rather than lost.
fn float(value: f64) -> Value {
    serde_json::Number::from_f64(value)
        .map(Value::Number)
        .unwrap_or_else(|| json!(value.to_string()))
}

/// Rows as JSON objects keyed by column name.
pub fn rows_as_objects(batches: &[RecordBatch]) -> Vec<Map<String, Value>> {
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
            rows.push(object);
        }
    }
    rows
}
