//! Turns the body of one ingest request (a JSON array, NDJSON or an Arrow IPC stream) into
//! one batch of the table's segment schema, or the first row and column that do not fit.
//!
//! JSON and NDJSON are parsed value by value into typed builders (see `json` and `cells`
//! for what each type accepts: BYTES are hex text; a string for a JSON column is taken as
//! JSON text already). An Arrow stream is cast column by column. Both then go through the
//! segment builder's `conform`, so null handling and `notNull` work as for synced files;
//! `notNull` misses are found first, here, to name their row.

mod cells;
mod json;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use arrow::array::{Array, ArrayRef};
use arrow::compute::concat_batches;
use arrow::compute::kernels::cast::{CastOptions, cast_with_options};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::ipc::reader::StreamReader;
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use arrow::util::display::{ArrayFormatter, FormatOptions};

use crate::model::schema::FieldDataType;
use crate::segments::builder::{SegmentPlan, conform};

/// How an ingest body is encoded, from its `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IngestFormat {
    /// `application/json`: an array of objects, or one object.
    Json,
    /// `application/x-ndjson`: one object per line; blank lines are skipped.
    NdJson,
    /// `application/vnd.apache.arrow.stream`: an Arrow IPC stream, the fast path.
    ArrowStream,
}

impl IngestFormat {
    pub const JSON_TYPE: &'static str = "application/json";
    pub const NDJSON_TYPE: &'static str = "application/x-ndjson";
    pub const ARROW_STREAM_TYPE: &'static str = "application/vnd.apache.arrow.stream";

    /// The format of a `Content-Type` value; parameters (`; charset=utf-8`) are ignored and
    /// a request without one is JSON.
    pub fn from_content_type(content_type: Option<&str>) -> Result<IngestFormat, String> {
        let essence = content_type
            .and_then(|value| value.split(';').next())
            .map(str::trim)
            .unwrap_or("");
        if essence.is_empty() {
            return Ok(Self::Json);
        }
        [Self::Json, Self::NdJson, Self::ArrowStream]
            .into_iter()
            .find(|format| format.content_type().eq_ignore_ascii_case(essence))
            .ok_or_else(|| {
                format!(
                    "unsupported content type '{essence}': send {}, {} or {}",
                    Self::JSON_TYPE,
                    Self::NDJSON_TYPE,
                    Self::ARROW_STREAM_TYPE
                )
            })
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Json => Self::JSON_TYPE,
            Self::NdJson => Self::NDJSON_TYPE,
            Self::ArrowStream => Self::ARROW_STREAM_TYPE,
        }
    }
}

/// Why a body was refused: where (the 0-based row of the request and the column, when
/// known) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub row: Option<usize>,
    pub column: Option<String>,
    pub message: String,
}

impl RowError {
    /// A problem with the body as a whole.
    pub fn body(message: impl Into<String>) -> Self {
        Self {
            row: None,
            column: None,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.row, &self.column) {
            (Some(row), Some(column)) => write!(f, "row {row}, column '{column}': ")?,
            (Some(row), None) => write!(f, "row {row}: ")?,
            (None, Some(column)) => write!(f, "column '{column}': ")?,
            (None, None) => {}
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for RowError {}

/// Decodes a whole body into one batch of `plan.arrow_schema`, exactly as `conform` would
/// make it. Any row that does not fit fails the whole body; an empty body (or an empty
/// array or stream) gives a batch of no rows, which the caller may refuse.
pub fn decode(
    format: IngestFormat,
    body: &[u8],
    plan: &SegmentPlan,
) -> Result<RecordBatch, RowError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    if body.trim_ascii().is_empty() {
        return Ok(RecordBatch::new_empty(plan.arrow_schema.clone()));
    }
    match format {
        IngestFormat::Json | IngestFormat::NdJson => {
            let (arrays, rows) = json::columns(body, format == IngestFormat::NdJson, plan)?;
            let columns = plan
                .arrow_schema
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .zip(arrays)
                .collect();
            conformed(columns, rows, 0, plan)
        }
        IngestFormat::ArrowStream => arrow_stream(body, plan),
    }
}

fn arrow_stream(body: &[u8], plan: &SegmentPlan) -> Result<RecordBatch, RowError> {
    let reader = StreamReader::try_new(body, None)
        .map_err(|e| RowError::body(format!("the body is not an Arrow IPC stream: {e}")))?;
    let mut batches = Vec::new();
    let mut offset = 0;
    for batch in reader {
        let batch = batch.map_err(|e| {
            RowError::body(format!("reading the Arrow stream after {offset} rows: {e}"))
        })?;
        let mut columns = Vec::with_capacity(plan.arrow_schema.fields().len());
        for field in plan.arrow_schema.fields() {
            if let Some(source) = batch.column_by_name(field.name()) {
                columns.push((
                    field.name().clone(),
                    cast_column(source, field, offset, plan)?,
                ));
            }
        }
        batches.push(conformed(columns, batch.num_rows(), offset, plan)?);
        offset += batch.num_rows();
    }
    concat_batches(&plan.arrow_schema, &batches)
        .map_err(|e| RowError::body(format!("combining the stream's batches: {e}")))
}

/// One stream column in the field's type. `conform` would cast it too, but says only which
/// column failed; this finds the first row whose value the cast cannot take.
fn cast_column(
    source: &ArrayRef,
    field: &Field,
    offset: usize,
    plan: &SegmentPlan,
) -> Result<ArrayRef, RowError> {
    let target = field.data_type();
    let nested_json = matches!(source.data_type(), DataType::Struct(_) | DataType::Map(..))
        && target == &DataType::Utf8;
    if source.data_type() == target || nested_json {
        // Structs and maps become JSON text in `conform`.
        return Ok(source.clone());
    }
    let strict = CastOptions {
        safe: false,
        ..Default::default()
    };
    let error = match cast_with_options(source, target, &strict) {
        Ok(cast) => return Ok(cast),
        Err(e) => e,
    };
    let type_name = plan
        .schema
        .field(field.name())
        .map(|(_, spec)| type_label(spec.data_type, spec.single_value_field))
        .unwrap_or_else(|| target.to_string());
    // A lenient cast turns what does not fit into nulls: the first new null is the culprit.
    let culprit = cast_with_options(source, target, &CastOptions::default())
        .ok()
        .and_then(|lenient| (0..source.len()).find(|&i| source.is_valid(i) && lenient.is_null(i)));
    Err(match culprit {
        Some(row) => RowError {
            row: Some(offset + row),
            column: Some(field.name().clone()),
            message: format!(
                "{} ({}) cannot be read as {type_name}",
                shown_arrow(source, row),
                source.data_type()
            ),
        },
        None => RowError {
            row: None,
            column: Some(field.name().clone()),
            message: format!(
                "{} cannot be read as {type_name}: {error}",
                source.data_type()
            ),
        },
    })
}

/// Checks `notNull` where nulls would survive `conform` (null handling on, or list
/// columns, which it never fills), naming the first row without a value; then conforms.
/// `columns` are by name, in any type `conform` casts; a field missing from them is null.
fn conformed(
    columns: Vec<(String, ArrayRef)>,
    rows: usize,
    offset: usize,
    plan: &SegmentPlan,
) -> Result<RecordBatch, RowError> {
    for field in plan.arrow_schema.fields() {
        let keeps_nulls = plan.null_handling
            || matches!(
                field.data_type(),
                DataType::List(_) | DataType::LargeList(_)
            );
        if field.is_nullable() || !keeps_nulls || rows == 0 {
            continue;
        }
        let first_null = match columns.iter().find(|(name, _)| name == field.name()) {
            Some((_, array)) if array.null_count() == 0 => continue,
            Some((_, array)) => (0..array.len()).find(|&i| array.is_null(i)),
            None => {
                return Err(RowError {
                    row: None,
                    column: Some(field.name().clone()),
                    message: "the column is notNull but the stream has no column of that name"
                        .into(),
                });
            }
        };
        if let Some(row) = first_null {
            return Err(RowError {
                row: Some(offset + row),
                column: Some(field.name().clone()),
                message: "the column is notNull but the row has no value for it".into(),
            });
        }
    }
    let schema = Schema::new(
        columns
            .iter()
            .map(|(name, array)| Field::new(name, array.data_type().clone(), true))
            .collect::<Vec<_>>(),
    );
    let batch = RecordBatch::try_new_with_options(
        Arc::new(schema),
        columns.into_iter().map(|(_, array)| array).collect(),
        &RecordBatchOptions::new().with_row_count(Some(rows)),
    )
    .map_err(|e| RowError::body(format!("assembling rows: {e}")))?;
    // No file key: ingested rows have no partition folders to fill columns from.
    conform(&batch, "", plan).map_err(RowError::body)
}

/// `INT`, or `INT_ARRAY` for a multi-value field.
fn type_label(data_type: FieldDataType, single_value: bool) -> String {
    if single_value {
        data_type.name().to_owned()
    } else {
        format!("{}_ARRAY", data_type.name())
    }
}

/// "an INT", "a TIMESTAMP": the type as an error message says a value is not one.
fn a_type(data_type: FieldDataType) -> &'static str {
    match data_type {
        FieldDataType::Int => "an INT",
        FieldDataType::Long => "a LONG",
        FieldDataType::Float => "a FLOAT",
        FieldDataType::Double => "a DOUBLE",
        FieldDataType::BigDecimal => "a BIG_DECIMAL",
        FieldDataType::Boolean => "a BOOLEAN",
        FieldDataType::Timestamp => "a TIMESTAMP",
        FieldDataType::String => "a STRING",
        FieldDataType::Json => "a JSON value",
        FieldDataType::Bytes => "a BYTES value",
    }
}

const SHOWN_CHARS: usize = 64;

/// A text value as error messages quote it, cut short so one huge value cannot flood them.
fn quoted(text: &str) -> String {
    match text.char_indices().nth(SHOWN_CHARS) {
        Some((end, _)) => format!("'{}…'", &text[..end]),
        None => format!("'{text}'"),
    }
}

fn shown_arrow(array: &ArrayRef, row: usize) -> String {
    match ArrayFormatter::try_new(array.as_ref(), &FormatOptions::default()) {
        Ok(formatter) => quoted(&formatter.value(row).to_string()),
        Err(_) => format!("the value of type {}", array.data_type()),
    }
}
