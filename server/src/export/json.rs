//! JSON text columns written as Parquet groups: each value parsed, checked against
//! `json.maxDepth`, trimmed to the target type's keys (`json.unknownKeysBehavior`), then decoded.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, new_empty_array};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field};
use arrow::json::ReaderBuilder;
use serde_json::Value;

use super::options::{ParquetOptions, UnknownKeys};

/// Whether a target type is one a JSON text column can be parsed into.
pub fn is_group(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Struct(_) | DataType::List(_) | DataType::LargeList(_) | DataType::Map(..)
    )
}

pub fn is_text(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    )
}

/// Parses the JSON documents of `text` into `target`'s type. `first_row` is the row
/// number of the batch's first row in the segment, for messages; `warned` is set once
/// this column has logged its dropped keys, so the log says it once per export.
pub fn parse_column(
    text: &ArrayRef,
    target: &Field,
    options: &ParquetOptions,
    first_row: u64,
    warned: &mut bool,
) -> Result<ArrayRef, String> {
    let name = target.name();
    let text = cast(text, &DataType::Utf8).map_err(|e| format!("column '{name}': {e}"))?;
    let strings = text.as_string::<i32>();
    let mut values = Vec::with_capacity(strings.len());
    let mut unknown = Vec::new();
    for (index, document) in strings.iter().enumerate() {
        let row = first_row + index as u64;
        let Some(document) = document else {
            values.push(Value::Null);
            continue;
        };
        let mut value: Value = serde_json::from_str(document)
            .map_err(|e| format!("column '{name}' row {row} is not valid JSON: {e}"))?;
        if let Some(max) = options.json_max_depth {
            let found = depth(&value);
            if found > max {
                return Err(format!(
                    "column '{name}' row {row}: the JSON value nests {found} levels deep, more than fileFormat.parquet.json.maxDepth ({max})"
                ));
            }
        }
        unknown.clear();
        normalise(&mut value, target.data_type(), "", &mut unknown);
        if let Some(key) = unknown.first() {
            match options.unknown_keys {
                UnknownKeys::Fail => {
                    return Err(format!(
                        "column '{name}' row {row} has the JSON key '{key}', which the target schema does not have (fileFormat.parquet.json.unknownKeysBehavior is fail)"
                    ));
                }
                UnknownKeys::Warn if !*warned => {
                    *warned = true;
                    tracing::warn!(
                        column = %name,
                        key = %key,
                        "JSON keys the target schema does not have are dropped (fileFormat.parquet.json.unknownKeysBehavior=warn)"
                    );
                }
                UnknownKeys::Warn => {}
            }
        }
        values.push(value);
    }
    // Nullable here: a non-nullable target is checked, with its column's name, by the caller.
    let field = Field::new(name, target.data_type().clone(), true);
    let mut decoder = ReaderBuilder::new_with_field(Arc::new(field))
        .with_coerce_primitive(true)
        .build_decoder()
        .map_err(|e| format!("column '{name}': {e}"))?;
    decoder.serialize(&values).map_err(|e| {
        format!(
            "column '{name}' cannot be read as {}: {e}",
            target.data_type()
        )
    })?;
    let decoded = decoder.flush().map_err(|e| {
        format!(
            "column '{name}' cannot be read as {}: {e}",
            target.data_type()
        )
    })?;
    Ok(match decoded {
        Some(batch) => batch.column(0).clone(),
        None => new_empty_array(target.data_type()),
    })
}

/// Levels of objects and arrays: a scalar is 0, `{"a": 1}` is 1, `{"a": [1]}` is 2.
fn depth(value: &Value) -> usize {
    match value {
        Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// Fits a parsed value to the target type: object keys the struct lacks are removed
/// (and named in `unknown`, as dotted paths), and nested values meant for a text field
/// become their JSON text, as the segment builder stores them.
fn normalise(value: &mut Value, data_type: &DataType, path: &str, unknown: &mut Vec<String>) {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    match (data_type, value) {
        (DataType::Struct(fields), Value::Object(map)) => {
            map.retain(|key, _| {
                let known = fields.iter().any(|f| f.name() == key);
                if !known {
                    unknown.push(join(key));
                }
                known
            });
            for field in fields {
                if let Some(child) = map.get_mut(field.name()) {
                    normalise(child, field.data_type(), &join(field.name()), unknown);
                }
            }
        }
        (
            DataType::List(item) | DataType::LargeList(item) | DataType::FixedSizeList(item, _),
            Value::Array(items),
        ) => {
            let path = format!("{path}[]");
            for child in items {
                normalise(child, item.data_type(), &path, unknown);
            }
        }
        (DataType::Map(entries, _), Value::Object(map)) => {
            if let DataType::Struct(parts) = entries.data_type()
                && let Some(value_field) = parts.get(1)
            {
                for (key, child) in map.iter_mut() {
                    normalise(child, value_field.data_type(), &join(key), unknown);
                }
            }
        }
        (data_type, value @ (Value::Object(_) | Value::Array(_))) if is_text(data_type) => {
            *value = Value::String(value.to_string());
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray, StructArray};
    use arrow::datatypes::Fields;

    fn target() -> Field {
        Field::new(
            "payload",
            DataType::Struct(Fields::from(vec![
                Field::new("a", DataType::Int64, true),
                Field::new(
                    "b",
                    DataType::Struct(Fields::from(vec![Field::new("c", DataType::Utf8, true)])),
                    true,
                ),
                Field::new("raw", DataType::Utf8, true),
            ])),
            true,
        )
    }

    fn text(values: &[Option<&str>]) -> ArrayRef {
        Arc::new(StringArray::from(values.to_vec()))
    }

    #[test]
    fn documents_become_structs_and_nulls_stay_null() {
        let options = ParquetOptions::default();
        let mut warned = false;
        let parsed = parse_column(
            &text(&[
                Some(r#"{"a": 1, "b": {"c": "x"}, "raw": {"deep": [1, 2]}}"#),
                None,
                Some(r#"{"a": "2", "extra": true, "b": {"c": 5, "gone": 1}}"#),
            ]),
            &target(),
            &options,
            0,
            &mut warned,
        )
        .unwrap();
        assert!(warned, "the dropped keys were logged");
        let parsed = parsed.as_any().downcast_ref::<StructArray>().unwrap();
        assert!(parsed.is_null(1));
        let a = parsed
            .column_by_name("a")
            .unwrap()
            .as_any()
            .downcast_ref::<Int64Array>()
            .unwrap();
        assert_eq!(a.value(0), 1);
        assert_eq!(a.value(2), 2);
        let raw = parsed.column_by_name("raw").unwrap();
        assert_eq!(raw.as_string::<i32>().value(0), r#"{"deep":[1,2]}"#);
        let b = parsed.column_by_name("b").unwrap().as_struct();
        let c = b.column_by_name("c").unwrap().as_string::<i32>();
        assert_eq!(c.value(0), "x");
        assert_eq!(c.value(2), "5");
    }

    #[test]
    fn unknown_keys_fail_when_asked_naming_the_key() {
        let options = ParquetOptions {
            unknown_keys: UnknownKeys::Fail,
            ..ParquetOptions::default()
        };
        let err = parse_column(
            &text(&[Some(r#"{"a": 1}"#), Some(r#"{"b": {"c": "x", "zzz": 1}}"#)]),
            &target(),
            &options,
            100,
            &mut false,
        )
        .unwrap_err();
        assert!(
            err.contains("'payload'") && err.contains("'b.zzz'") && err.contains("row 101"),
            "{err}"
        );
    }

    #[test]
    fn depth_is_limited_and_bad_json_is_named() {
        let options = ParquetOptions {
            json_max_depth: Some(1),
            ..ParquetOptions::default()
        };
        let flat = parse_column(
            &text(&[Some(r#"{"a": 1}"#)]),
            &target(),
            &options,
            0,
            &mut false,
        );
        assert!(flat.is_ok(), "{flat:?}");
        let err = parse_column(
            &text(&[Some(r#"{"b": {"c": "x"}}"#)]),
            &target(),
            &options,
            0,
            &mut false,
        )
        .unwrap_err();
        assert!(err.contains("json.maxDepth (1)"), "{err}");
        let err = parse_column(
            &text(&[Some("{not json")]),
            &target(),
            &ParquetOptions::default(),
            0,
            &mut false,
        )
        .unwrap_err();
        assert!(err.contains("not valid JSON"), "{err}");
    }
}
