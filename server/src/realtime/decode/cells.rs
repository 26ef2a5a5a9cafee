//! One column's builder: how each JSON scalar converts to the column's storage type
//! (integers without fractions and in range, epoch millis or ISO-8601 for timestamps, hex
//! for bytes, numbers as text for strings), and how a misfit is worded.

use std::fmt::Write as _;
use std::sync::Arc;

use arrow::array::{
    ArrayBuilder, ArrayRef, BinaryBuilder, BooleanBuilder, Decimal32Builder, Decimal64Builder,
    Decimal128Builder, Decimal256Builder, Float32Builder, Float64Builder, Int8Builder,
    Int16Builder, Int32Builder, Int64Builder, ListArray, PrimitiveBuilder, StringBuilder,
    UInt8Builder, UInt16Builder, UInt32Builder, UInt64Builder, builder::NullBufferBuilder,
};
use arrow::buffer::OffsetBuffer;
use arrow::compute::kernels::cast_utils::parse_decimal;
use arrow::datatypes::{
    ArrowPrimitiveType, DataType, DecimalType, FieldRef, TimeUnit, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType,
};

use super::a_type;
use crate::model::schema::FieldDataType;

/// One JSON scalar as the parser hands it over, borrowed where it can be.
#[derive(Debug, Clone, Copy)]
pub(super) enum Cell<'a> {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Text(&'a str),
}

impl Cell<'_> {
    /// The value as an error message quotes it, cut short if long.
    pub(super) fn shown(&self) -> String {
        match self {
            Cell::Null => "null".into(),
            Cell::Bool(v) => v.to_string(),
            Cell::Int(v) => v.to_string(),
            Cell::UInt(v) => v.to_string(),
            Cell::Float(v) => v.to_string(),
            Cell::Text(s) => super::quoted(s),
        }
    }
}

/// Seconds-to-nanoseconds of one unit of an epoch `format` (`1:SECONDS:EPOCH` or `EPOCH|SECONDS|1`):
/// how a date-time text becomes the number an INT or LONG time column holds.
#[derive(Debug, Clone, Copy)]
pub(super) struct Epoch {
    nanos_per_unit: i128,
}

impl Epoch {
    pub(super) fn from_format(format: &str) -> Option<Self> {
        let (size, unit) = match format.split(':').collect::<Vec<_>>().as_slice() {
            [size, unit, "EPOCH"] => (size.parse::<i128>().ok()?, *unit),
            _ => match format.split('|').collect::<Vec<_>>().as_slice() {
                ["EPOCH", unit] => (1, *unit),
                ["EPOCH", unit, size] => (size.parse::<i128>().ok()?, *unit),
                _ => return None,
            },
        };
        let unit: i128 = match unit {
            "NANOSECONDS" => 1,
            "MICROSECONDS" => 1_000,
            "MILLISECONDS" => 1_000_000,
            "SECONDS" => 1_000_000_000,
            "MINUTES" => 60_000_000_000,
            "HOURS" => 3_600_000_000_000,
            "DAYS" => 86_400_000_000_000,
            _ => return None,
        };
        (size > 0).then_some(Self {
            nanos_per_unit: unit * size,
        })
    }
}

/// Nanoseconds since the epoch of an RFC-3339 / ISO-8601 text, `yyyy-MM-dd HH:mm:ss[.SSS]`
/// or a bare date; texts without an offset are UTC.
fn parse_datetime(text: &str) -> Option<i128> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime};
    let text = text.trim();
    let utc = if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        at.to_utc()
    } else if let Some(at) = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
    {
        at.and_utc()
    } else {
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .ok()?
            .and_hms_opt(0, 0, 0)?
            .and_utc()
    };
    Some(i128::from(utc.timestamp()) * 1_000_000_000 + i128::from(utc.timestamp_subsec_nanos()))
}

/// A whole number from a JSON number or numeric text: what integer and time columns take.
enum Whole {
    Signed(i64),
    Unsigned(u64),
}

fn whole(cell: Cell) -> Result<Option<Whole>, ()> {
    Ok(Some(match cell {
        Cell::Int(v) => Whole::Signed(v),
        Cell::UInt(v) => Whole::Unsigned(v),
        Cell::Float(v) if v.is_finite() && v.fract() == 0.0 => {
            // 2^63 and 2^64 are exact in f64; beyond them the value is out of every range.
            if (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&v) {
                Whole::Signed(v as i64)
            } else if (0.0..1.844_674_407_370_955_2e19).contains(&v) {
                Whole::Unsigned(v as u64)
            } else {
                return Err(());
            }
        }
        Cell::Text(s) => match s.trim().parse::<i64>() {
            Ok(v) => Whole::Signed(v),
            Err(_) => match s.trim().parse::<u64>() {
                Ok(v) => Whole::Unsigned(v),
                Err(_) => return Ok(None),
            },
        },
        _ => return Ok(None),
    }))
}

pub(super) enum Values {
    I8(Int8Builder),
    I16(Int16Builder),
    I32(Int32Builder),
    I64(Int64Builder),
    U8(UInt8Builder),
    U16(UInt16Builder),
    U32(UInt32Builder),
    U64(UInt64Builder),
    F32(Float32Builder),
    F64(Float64Builder),
    D32(Decimal32Builder, u8, i8),
    D64(Decimal64Builder, u8, i8),
    D128(Decimal128Builder, u8, i8),
    D256(Decimal256Builder, u8, i8),
    Bool(BooleanBuilder),
    /// Values in the column's unit, typed as timestamps when finished.
    Time(Int64Builder, TimeUnit, Option<Arc<str>>),
    Text(StringBuilder),
    Json(StringBuilder),
    Bytes(BinaryBuilder),
}

macro_rules! each_builder {
    ($values:expr, $b:ident => $body:expr) => {
        match $values {
            Values::I8($b) => $body,
            Values::I16($b) => $body,
            Values::I32($b) => $body,
            Values::I64($b) => $body,
            Values::U8($b) => $body,
            Values::U16($b) => $body,
            Values::U32($b) => $body,
            Values::U64($b) => $body,
            Values::F32($b) => $body,
            Values::F64($b) => $body,
            Values::D32($b, ..) => $body,
            Values::D64($b, ..) => $body,
            Values::D128($b, ..) => $body,
            Values::D256($b, ..) => $body,
            Values::Bool($b) => $body,
            Values::Time($b, ..) => $body,
            Values::Text($b) => $body,
            Values::Json($b) => $body,
            Values::Bytes($b) => $body,
        }
    };
}

/// The builder of one scalar column (or of a list column's items).
pub(super) struct Scalar {
    pub(super) values: Values,
    pub(super) kind: FieldDataType,
    epoch: Option<Epoch>,
    /// Reused for hex decoding, number text and JSON text, so values allocate nothing.
    scratch: Vec<u8>,
}

impl Scalar {
    pub(super) fn new(
        data_type: &DataType,
        kind: FieldDataType,
        epoch: Option<Epoch>,
        n: usize,
    ) -> Result<Self, String> {
        let decimal = |e: arrow::error::ArrowError| e.to_string();
        let values = match data_type {
            DataType::Int8 => Values::I8(Int8Builder::with_capacity(n)),
            DataType::Int16 => Values::I16(Int16Builder::with_capacity(n)),
            DataType::Int32 => Values::I32(Int32Builder::with_capacity(n)),
            DataType::Int64 => Values::I64(Int64Builder::with_capacity(n)),
            DataType::UInt8 => Values::U8(UInt8Builder::with_capacity(n)),
            DataType::UInt16 => Values::U16(UInt16Builder::with_capacity(n)),
            DataType::UInt32 => Values::U32(UInt32Builder::with_capacity(n)),
            DataType::UInt64 => Values::U64(UInt64Builder::with_capacity(n)),
            DataType::Float32 => Values::F32(Float32Builder::with_capacity(n)),
            DataType::Float64 => Values::F64(Float64Builder::with_capacity(n)),
            DataType::Decimal32(p, s) => Values::D32(
                Decimal32Builder::with_capacity(n)
                    .with_precision_and_scale(*p, *s)
                    .map_err(decimal)?,
                *p,
                *s,
            ),
            DataType::Decimal64(p, s) => Values::D64(
                Decimal64Builder::with_capacity(n)
                    .with_precision_and_scale(*p, *s)
                    .map_err(decimal)?,
                *p,
                *s,
            ),
            DataType::Decimal128(p, s) => Values::D128(
                Decimal128Builder::with_capacity(n)
                    .with_precision_and_scale(*p, *s)
                    .map_err(decimal)?,
                *p,
                *s,
            ),
            DataType::Decimal256(p, s) => Values::D256(
                Decimal256Builder::with_capacity(n)
                    .with_precision_and_scale(*p, *s)
                    .map_err(decimal)?,
                *p,
                *s,
            ),
            DataType::Boolean => Values::Bool(BooleanBuilder::with_capacity(n)),
            DataType::Timestamp(unit, tz) => {
                Values::Time(Int64Builder::with_capacity(n), *unit, tz.clone())
            }
            DataType::Utf8 if kind == FieldDataType::Json => {
                Values::Json(StringBuilder::with_capacity(n, n * 32))
            }
            DataType::Utf8 => Values::Text(StringBuilder::with_capacity(n, n * 16)),
            DataType::Binary => Values::Bytes(BinaryBuilder::with_capacity(n, n * 16)),
            other => return Err(format!("{other} columns cannot be ingested from JSON")),
        };
        Ok(Self {
            values,
            kind,
            epoch,
            scratch: Vec::new(),
        })
    }

    pub(super) fn len(&self) -> usize {
        each_builder!(&self.values, b => b.len())
    }

    pub(super) fn append_null(&mut self) {
        each_builder!(&mut self.values, b => b.append_null())
    }

    pub(super) fn finish(&mut self) -> ArrayRef {
        match &mut self.values {
            Values::Time(b, unit, tz) => {
                let values = b.finish();
                match unit {
                    TimeUnit::Second => Arc::new(
                        values
                            .reinterpret_cast::<TimestampSecondType>()
                            .with_timezone_opt(tz.clone()),
                    ),
                    TimeUnit::Millisecond => Arc::new(
                        values
                            .reinterpret_cast::<TimestampMillisecondType>()
                            .with_timezone_opt(tz.clone()),
                    ),
                    TimeUnit::Microsecond => Arc::new(
                        values
                            .reinterpret_cast::<TimestampMicrosecondType>()
                            .with_timezone_opt(tz.clone()),
                    ),
                    TimeUnit::Nanosecond => Arc::new(
                        values
                            .reinterpret_cast::<TimestampNanosecondType>()
                            .with_timezone_opt(tz.clone()),
                    ),
                }
            }
            other => each_builder!(other, b => ArrayBuilder::finish(b)),
        }
    }

    fn not_a(&self, cell: Cell) -> String {
        let hint = match self.kind {
            FieldDataType::Timestamp => " (epoch millis or ISO-8601)",
            FieldDataType::Boolean => " (true or false)",
            FieldDataType::Bytes => " (hex text, two digits a byte)",
            FieldDataType::Int | FieldDataType::Long if self.epoch.is_some() => {
                " (a number or an ISO-8601 date-time)"
            }
            _ => "",
        };
        format!("{} is not {}{hint}", cell.shown(), a_type(self.kind))
    }

    fn out_of_range(&self, cell: Cell) -> String {
        format!("{} is out of range for {}", cell.shown(), self.kind.name())
    }

    /// Appends one scalar, converted to the column's type, or says why it does not fit.
    pub(super) fn put(&mut self, cell: Cell) -> Result<(), String> {
        self.convert(cell).map_err(|problem| match problem {
            Problem::NotA => self.not_a(cell),
            Problem::OutOfRange => self.out_of_range(cell),
            Problem::Worded(message) => message,
        })
    }

    fn convert(&mut self, cell: Cell) -> Result<(), Problem> {
        if let Cell::Null = cell {
            self.append_null();
            return Ok(());
        }
        match &mut self.values {
            Values::I8(b) => put_int(b, cell, self.epoch),
            Values::I16(b) => put_int(b, cell, self.epoch),
            Values::I32(b) => put_int(b, cell, self.epoch),
            Values::I64(b) => put_int(b, cell, self.epoch),
            Values::U8(b) => put_int(b, cell, self.epoch),
            Values::U16(b) => put_int(b, cell, self.epoch),
            Values::U32(b) => put_int(b, cell, self.epoch),
            Values::U64(b) => put_int(b, cell, self.epoch),
            Values::F32(b) => {
                let v = float(cell).ok_or(Problem::NotA)?;
                let narrow = v as f32;
                if v.is_finite() && narrow.is_infinite() {
                    return Err(Problem::OutOfRange);
                }
                b.append_value(narrow);
                Ok(())
            }
            Values::F64(b) => {
                b.append_value(float(cell).ok_or(Problem::NotA)?);
                Ok(())
            }
            Values::D32(b, p, s) => put_decimal(b, *p, *s, cell, &mut self.scratch),
            Values::D64(b, p, s) => put_decimal(b, *p, *s, cell, &mut self.scratch),
            Values::D128(b, p, s) => put_decimal(b, *p, *s, cell, &mut self.scratch),
            Values::D256(b, p, s) => put_decimal(b, *p, *s, cell, &mut self.scratch),
            Values::Bool(b) => {
                b.append_value(match cell {
                    Cell::Bool(v) => v,
                    Cell::Text("true") => true,
                    Cell::Text("false") => false,
                    _ => return Err(Problem::NotA),
                });
                Ok(())
            }
            Values::Time(b, unit, _) => {
                let nanos = match whole(cell) {
                    Ok(Some(Whole::Signed(millis))) => i128::from(millis) * 1_000_000,
                    Ok(Some(Whole::Unsigned(millis))) => i128::from(millis) * 1_000_000,
                    Ok(None) => match cell {
                        Cell::Text(s) => parse_datetime(s).ok_or(Problem::NotA)?,
                        _ => return Err(Problem::NotA),
                    },
                    Err(()) => return Err(Problem::OutOfRange),
                };
                let per_unit = match unit {
                    TimeUnit::Second => 1_000_000_000,
                    TimeUnit::Millisecond => 1_000_000,
                    TimeUnit::Microsecond => 1_000,
                    TimeUnit::Nanosecond => 1,
                };
                let value =
                    i64::try_from(nanos.div_euclid(per_unit)).map_err(|_| Problem::OutOfRange)?;
                b.append_value(value);
                Ok(())
            }
            Values::Text(b) | Values::Json(b) => {
                match cell {
                    Cell::Text(s) => b.append_value(s),
                    // A number or boolean for a text column is kept as its text.
                    Cell::Bool(v) => b.append_value(if v { "true" } else { "false" }),
                    Cell::Int(v) => {
                        let _ = write!(b, "{v}");
                        b.append_value("");
                    }
                    Cell::UInt(v) => {
                        let _ = write!(b, "{v}");
                        b.append_value("");
                    }
                    Cell::Float(v) => {
                        let _ = write!(b, "{v}");
                        b.append_value("");
                    }
                    Cell::Null => b.append_null(),
                }
                Ok(())
            }
            Values::Bytes(b) => {
                let Cell::Text(s) = cell else {
                    return Err(Problem::NotA);
                };
                let s = s.trim();
                let hex = s
                    .strip_prefix("0x")
                    .or_else(|| s.strip_prefix("0X"))
                    .unwrap_or(s);
                if hex.len() % 2 != 0 {
                    return Err(Problem::NotA);
                }
                self.scratch.clear();
                self.scratch.resize(hex.len() / 2, 0);
                hex::decode_to_slice(hex, &mut self.scratch).map_err(|_| Problem::NotA)?;
                b.append_value(&self.scratch);
                Ok(())
            }
        }
    }

    /// A whole JSON value for a JSON column: objects and arrays as their compact text;
    /// a string is taken as JSON text already (as Pinot does, and as an Arrow stream sends it).
    pub(super) fn put_json(&mut self, value: &serde_json::Value) {
        let Values::Json(b) = &mut self.values else {
            unreachable!("put_json is only called for JSON columns");
        };
        match value {
            serde_json::Value::Null => b.append_null(),
            serde_json::Value::String(s) => b.append_value(s),
            other => {
                self.scratch.clear();
                serde_json::to_writer(&mut self.scratch, other).expect("a Value always serialises");
                b.append_value(std::str::from_utf8(&self.scratch).expect("JSON text is UTF-8"));
            }
        }
    }
}

/// Why a value does not fit, before the message is worded.
enum Problem {
    NotA,
    OutOfRange,
    Worded(String),
}

fn float(cell: Cell) -> Option<f64> {
    match cell {
        Cell::Int(v) => Some(v as f64),
        Cell::UInt(v) => Some(v as f64),
        Cell::Float(v) => Some(v),
        Cell::Text(s) => s.trim().parse().ok(),
        Cell::Bool(_) | Cell::Null => None,
    }
}

fn put_int<T>(b: &mut PrimitiveBuilder<T>, cell: Cell, epoch: Option<Epoch>) -> Result<(), Problem>
where
    T: ArrowPrimitiveType,
    T::Native: TryFrom<i64> + TryFrom<u64>,
{
    if let Cell::Float(v) = cell
        && v.is_finite()
        && v.fract() != 0.0
    {
        return Err(Problem::Worded(format!("{v} is not a whole number")));
    }
    let value = match whole(cell) {
        Ok(Some(Whole::Signed(v))) => T::Native::try_from(v).ok(),
        Ok(Some(Whole::Unsigned(v))) => T::Native::try_from(v).ok(),
        Ok(None) => {
            // A date-time text for an epoch time column, in the column's unit.
            let (Cell::Text(s), Some(epoch)) = (cell, epoch) else {
                return Err(Problem::NotA);
            };
            let nanos = parse_datetime(s).ok_or(Problem::NotA)?;
            i64::try_from(nanos.div_euclid(epoch.nanos_per_unit))
                .ok()
                .and_then(|v| T::Native::try_from(v).ok())
        }
        Err(()) => None,
    };
    b.append_value(value.ok_or(Problem::OutOfRange)?);
    Ok(())
}

fn put_decimal<T: DecimalType>(
    b: &mut PrimitiveBuilder<T>,
    precision: u8,
    scale: i8,
    cell: Cell,
    scratch: &mut Vec<u8>,
) -> Result<(), Problem> {
    scratch.clear();
    let text = match cell {
        Cell::Text(s) => s.trim(),
        Cell::Int(_) | Cell::UInt(_) | Cell::Float(_) => {
            use std::io::Write as _;
            match cell {
                Cell::Int(v) => write!(scratch, "{v}"),
                Cell::UInt(v) => write!(scratch, "{v}"),
                // Display of f64 is the shortest text that reads back the same, never with an exponent.
                Cell::Float(v) if v.is_finite() => write!(scratch, "{v}"),
                _ => return Err(Problem::NotA),
            }
            .expect("writing to a Vec");
            std::str::from_utf8(scratch).expect("number text is ASCII")
        }
        Cell::Bool(_) | Cell::Null => return Err(Problem::NotA),
    };
    match parse_decimal::<T>(text, precision, scale) {
        Ok(v) => {
            b.append_value(v);
            Ok(())
        }
        Err(_) if text.parse::<f64>().is_ok_and(f64::is_finite) => Err(Problem::Worded(format!(
            "{} does not fit BIG_DECIMAL with precision {precision} and scale {scale}",
            cell.shown()
        ))),
        Err(_) => Err(Problem::NotA),
    }
}

pub(super) struct ListColumn {
    pub(super) values: Scalar,
    pub(super) offsets: Vec<i32>,
    pub(super) validity: NullBufferBuilder,
    pub(super) item: FieldRef,
}

impl ListColumn {
    pub(super) fn close_row(&mut self, valid: bool) -> Result<(), String> {
        let end = i32::try_from(self.values.len())
            .map_err(|_| "more list values than one request may hold".to_string())?;
        self.offsets.push(end);
        self.validity.append(valid);
        Ok(())
    }
}

pub(super) enum Column {
    Single(Scalar),
    List(ListColumn),
}

impl Column {
    pub(super) fn append_null(&mut self) -> Result<(), String> {
        match self {
            Column::Single(values) => {
                values.append_null();
                Ok(())
            }
            Column::List(list) => list.close_row(false),
        }
    }

    pub(super) fn finish(self) -> Result<ArrayRef, String> {
        match self {
            Column::Single(mut values) => Ok(values.finish()),
            Column::List(mut list) => {
                let values = list.values.finish();
                let array = ListArray::try_new(
                    list.item,
                    OffsetBuffer::new(list.offsets.into()),
                    values,
                    list.validity.finish(),
                )
                .map_err(|e| format!("building a list column: {e}"))?;
                Ok(Arc::new(array))
            }
        }
    }
}
