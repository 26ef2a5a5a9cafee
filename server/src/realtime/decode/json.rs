//! JSON and NDJSON bodies parsed straight into typed Arrow builders, one value at a time,
//! so a value that does not fit is reported with its row and column and no row is kept as a
//! `serde_json::Value` on the way.

use std::collections::HashMap;

use arrow::array::{ArrayRef, builder::NullBufferBuilder};
use arrow::datatypes::DataType;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::cells::{Cell, Column, Epoch, ListColumn, Scalar, Values};
use super::{RowError, a_type};
use crate::model::schema::{ArrowMapping, FieldDataType, FieldRole};
use crate::segments::builder::SegmentPlan;

/// Parses a JSON array of objects (or one object) or NDJSON into one array per field of
/// `plan.arrow_schema`, of exactly the field's type, nulls where a row had no value.
pub(super) fn columns(
    body: &[u8],
    ndjson: bool,
    plan: &SegmentPlan,
) -> Result<(Vec<ArrayRef>, usize), RowError> {
    let capacity = if ndjson {
        body.iter().filter(|b| **b == b'\n').count() + 1
    } else {
        1024
    };
    let mut rows = Rows::new(plan, capacity)?;
    if ndjson {
        for (line_index, line) in body.split(|b| *b == b'\n').enumerate() {
            let line = line.trim_ascii();
            if line.is_empty() {
                continue;
            }
            let mut parser = serde_json::Deserializer::from_slice(line);
            let result = RowSeed(&mut rows)
                .deserialize(&mut parser)
                .and_then(|()| parser.end());
            if let Err(e) = result {
                let row = rows.rows;
                return Err(rows.failed(e, Some(row), Some(line_index + 1)));
            }
        }
    } else {
        let mut parser = serde_json::Deserializer::from_slice(body);
        let result = parser.deserialize_any(TopVisitor(&mut rows));
        let result = result.and_then(|()| parser.end());
        if let Err(e) = result {
            let row = rows.started.then_some(rows.rows);
            let mut error = rows.failed(e, row, None);
            if error.message.starts_with("trailing characters") {
                error.message.push_str(
                    " (the body must be one JSON array; send one object per line as application/x-ndjson)",
                );
            }
            return Err(error);
        }
    }
    let count = rows.rows;
    let arrays = rows
        .columns
        .into_iter()
        .map(Column::finish)
        .collect::<Result<Vec<_>, _>>()
        .map_err(RowError::body)?;
    Ok((arrays, count))
}

/// The builders of one request and where parsing stands.
struct Rows<'p> {
    names: Vec<&'p str>,
    index: HashMap<&'p str, usize>,
    /// The column the n-th key of the previous row named: rows of one producer mostly
    /// share their key order, so this usually spares the hash lookup.
    hints: Vec<usize>,
    columns: Vec<Column>,
    /// `rows + 1` once a column got its value in the current row.
    seen: Vec<usize>,
    rows: usize,
    /// Whether the top level was an array or object (errors before that name no row).
    started: bool,
    failure: Option<String>,
    failed_column: Option<usize>,
}

impl<'p> Rows<'p> {
    fn new(plan: &'p SegmentPlan, capacity: usize) -> Result<Self, RowError> {
        let fields = plan.arrow_schema.fields();
        let mut columns = Vec::with_capacity(fields.len());
        for field in fields {
            let spec = plan.schema.field(field.name());
            let kind = spec
                .map(|(_, spec)| spec.data_type)
                .or_else(|| FieldDataType::from_arrow(field.data_type()))
                .unwrap_or(FieldDataType::String);
            let epoch = spec
                .filter(|(role, _)| *role == FieldRole::DateTime)
                .and_then(|(_, spec)| spec.format.as_deref())
                .and_then(Epoch::from_format);
            let scalar = |data_type: &DataType| {
                Scalar::new(data_type, kind, epoch, capacity).map_err(|message| RowError {
                    row: None,
                    column: Some(field.name().clone()),
                    message,
                })
            };
            let column = match field.data_type() {
                DataType::List(item) => Column::List(ListColumn {
                    values: scalar(item.data_type())?,
                    offsets: vec![0],
                    validity: NullBufferBuilder::new(capacity),
                    item: item.clone(),
                }),
                other => Column::Single(scalar(other)?),
            };
            columns.push(column);
        }
        let names: Vec<&str> = fields.iter().map(|f| f.name().as_str()).collect();
        let index = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
        Ok(Self {
            seen: vec![0; names.len()],
            names,
            index,
            hints: Vec::new(),
            columns,
            rows: 0,
            started: false,
            failure: None,
            failed_column: None,
        })
    }

    fn read_row<'de, A: MapAccess<'de>>(&mut self, mut map: A) -> Result<(), A::Error> {
        let stamp = self.rows + 1;
        let mut position = 0;
        while let Some(found) = map.next_key_seed(KeySeed {
            names: &self.names,
            index: &self.index,
            hints: &mut self.hints,
            position,
        })? {
            position += 1;
            let Some(c) = found else {
                // Keys the schema does not have are ignored, as Pinot does.
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            if self.seen[c] == stamp {
                self.failed_column = Some(c);
                self.failure = Some("the key appears twice in the object".into());
                return Err(de::Error::custom("duplicate key"));
            }
            self.seen[c] = stamp;
            let failure = &mut self.failure;
            let result = match &mut self.columns[c] {
                Column::Single(values) => map.next_value_seed(CellSeed { values, failure }),
                Column::List(list) => map.next_value_seed(ListSeed { list, failure }),
            };
            if result.is_err() && self.failure.is_some() {
                self.failed_column = Some(c);
            }
            result?;
        }
        for c in 0..self.columns.len() {
            if self.seen[c] != stamp
                && let Err(message) = self.columns[c].append_null()
            {
                self.failed_column = Some(c);
                self.failure = Some(message);
                return Err(de::Error::custom("list too long"));
            }
        }
        self.rows += 1;
        Ok(())
    }

    /// The error of a failed parse: a value that did not fit (recorded with its column
    /// while parsing) or the parser's own complaint.
    fn failed(
        &mut self,
        e: serde_json::Error,
        row: Option<usize>,
        line: Option<usize>,
    ) -> RowError {
        if let Some(message) = self.failure.take() {
            return RowError {
                row,
                column: self.failed_column.map(|c| self.names[c].to_owned()),
                message,
            };
        }
        let text = e.to_string();
        let message = match line {
            // serde_json counts within the line it was given; the body's line helps more.
            Some(line) => {
                let suffix = format!(" at line {} column {}", e.line(), e.column());
                let bare = text.strip_suffix(&suffix).unwrap_or(&text);
                format!("{bare} (line {line}, column {})", e.column())
            }
            None => text,
        };
        RowError {
            row,
            column: None,
            message,
        }
    }
}

struct TopVisitor<'r, 'p>(&'r mut Rows<'p>);

impl<'de> Visitor<'de> for TopVisitor<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON array of objects, or one object")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.0.started = true;
        while let Some(()) = seq.next_element_seed(RowSeed(&mut *self.0))? {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        self.0.started = true;
        self.0.read_row(map)
    }
}

struct RowSeed<'r, 'p>(&'r mut Rows<'p>);

impl<'de> DeserializeSeed<'de> for RowSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RowSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object (one row)")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        self.0.read_row(map)
    }
}

struct KeySeed<'r, 'p> {
    names: &'r [&'p str],
    index: &'r HashMap<&'p str, usize>,
    hints: &'r mut Vec<usize>,
    position: usize,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_, '_> {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<usize>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_, '_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a column name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Option<usize>, E> {
        if let Some(&c) = self.hints.get(self.position)
            && self.names.get(c) == Some(&key)
        {
            return Ok(Some(c));
        }
        let found = self.index.get(key).copied();
        if let Some(c) = found {
            if self.hints.len() <= self.position {
                self.hints.resize(self.position + 1, usize::MAX);
            }
            self.hints[self.position] = c;
        }
        Ok(found)
    }
}

/// Parses one value into a scalar builder; a misfit is left in `failure` for the row loop.
struct CellSeed<'a> {
    values: &'a mut Scalar,
    failure: &'a mut Option<String>,
}

impl CellSeed<'_> {
    fn put<E: de::Error>(self, cell: Cell) -> Result<(), E> {
        self.values.put(cell).map_err(|message| {
            *self.failure = Some(message);
            E::custom("value does not fit")
        })
    }

    fn refuse<E: de::Error>(self, what: &str) -> Result<(), E> {
        *self.failure = Some(format!("{what} is not {}", a_type(self.values.kind)));
        Err(E::custom("value does not fit"))
    }
}

impl<'de> DeserializeSeed<'de> for CellSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        if let Values::Json(_) = self.values.values {
            let value = serde_json::Value::deserialize(deserializer)?;
            self.values.put_json(&value);
            return Ok(());
        }
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for CellSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.put(Cell::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.put(Cell::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.put(Cell::UInt(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.put(Cell::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.put(Cell::Text(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.put(Cell::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.put(Cell::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        self.refuse("an array")
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        self.refuse("an object")
    }
}

/// Parses one value of a multi-value column: an array, null, or one value taken as a
/// one-item list (as Pinot takes a single value for a multi-value field).
struct ListSeed<'a> {
    list: &'a mut ListColumn,
    failure: &'a mut Option<String>,
}

impl ListSeed<'_> {
    fn one<E: de::Error>(self, cell: Cell) -> Result<(), E> {
        if let Cell::Null = cell {
            return self.close(false);
        }
        CellSeed {
            values: &mut self.list.values,
            failure: &mut *self.failure,
        }
        .put(cell)?;
        self.close(true)
    }

    fn close<E: de::Error>(self, valid: bool) -> Result<(), E> {
        self.list.close_row(valid).map_err(|message| {
            *self.failure = Some(message);
            E::custom("list too long")
        })
    }
}

impl<'de> DeserializeSeed<'de> for ListSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ListSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut item = 0;
        loop {
            let seed = CellSeed {
                values: &mut self.list.values,
                failure: &mut *self.failure,
            };
            match seq.next_element_seed(seed) {
                Ok(Some(())) => item += 1,
                Ok(None) => break,
                Err(e) => {
                    if let Some(message) = self.failure.take() {
                        *self.failure = Some(format!("item {item}: {message}"));
                    }
                    return Err(e);
                }
            }
        }
        self.close(true)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        if let Values::Json(_) = self.list.values.values {
            let value = serde_json::Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
            self.list.values.put_json(&value);
            return self.close(true);
        }
        *self.failure = Some(format!(
            "an object is not {}",
            a_type(self.list.values.kind)
        ));
        Err(de::Error::custom("value does not fit"))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.one(Cell::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.one(Cell::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.one(Cell::UInt(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.one(Cell::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.one(Cell::Text(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.one(Cell::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.one(Cell::Null)
    }
}
