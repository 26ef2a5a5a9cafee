//! Scalar functions whose output size the caller picks (`repeat('x', 3e8)`, `range(1e9)`)
//! are wrapped so a call that would build more than a budget fails before it allocates:
//! what they build is not memory the query's pool can refuse.

use std::any::Any;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::compute::kernels::length::length;
use arrow::datatypes::{DataType, FieldRef, Int64Type};
use datafusion::common::{Result, exec_err};
use datafusion::execution::FunctionRegistry;
use datafusion::execution::session_state::SessionState;
use datafusion::logical_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, Expr, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF,
    ScalarUDFImpl, Signature,
};

/// How a function's output grows with its arguments, per row, from the arguments as
/// integers (string arguments by their byte length).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Growth {
    /// `repeat(text, n)`: text length times n.
    Repeat,
    /// `lpad(text, n [, fill])`: n characters of up to 4 bytes.
    Pad,
    /// `array_repeat(value, n)`: n elements.
    ArrayRepeat,
    /// `range([start,] stop [, step])`: one element per step.
    Series,
}

const CAPPED: [(&str, Growth); 6] = [
    ("repeat", Growth::Repeat),
    ("lpad", Growth::Pad),
    ("rpad", Growth::Pad),
    ("array_repeat", Growth::ArrayRepeat),
    ("range", Growth::Series),
    ("generate_series", Growth::Series),
];

/// Replaces the built-in functions above in `state` with capped versions.
pub fn cap_growing_functions(state: &mut SessionState, budget_bytes: usize) -> Result<()> {
    for (name, growth) in CAPPED {
        let Some(inner) = state.scalar_functions().get(name).cloned() else {
            continue;
        };
        let capped = Capped {
            inner,
            growth,
            budget_bytes,
        };
        state.register_udf(Arc::new(ScalarUDF::new_from_impl(capped)))?;
    }
    Ok(())
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Capped {
    inner: Arc<ScalarUDF>,
    growth: Growth,
    budget_bytes: usize,
}

impl Capped {
    fn check(&self, args: &ScalarFunctionArgs) -> Result<()> {
        let rows = args.number_rows.max(1);
        let integers = args
            .args
            .iter()
            .map(|arg| as_integers(arg, rows))
            .collect::<Result<Vec<_>>>()?;
        let mut total: u128 = 0;
        for row in 0..rows {
            let value = |i: usize| -> i64 {
                integers
                    .get(i)
                    .and_then(|a| a.as_ref())
                    .filter(|a| !a.is_null(row))
                    .map_or(0, |a| a.as_primitive::<Int64Type>().value(row))
            };
            total += self.row_bytes(&value, integers.len());
            if total > self.budget_bytes as u128 {
                return exec_err!(
                    "{} would build more than {} MB in one batch of rows; a function may build at most {} MB (a quarter of query.memory_limit_mb)",
                    self.inner.name(),
                    total >> 20,
                    self.budget_bytes >> 20
                );
            }
        }
        Ok(())
    }

    fn row_bytes(&self, value: &dyn Fn(usize) -> i64, arity: usize) -> u128 {
        let positive = |v: i64| v.max(0) as u128;
        match self.growth {
            Growth::Repeat => positive(value(0)) * positive(value(1)),
            Growth::Pad => positive(value(1)) * 4,
            Growth::ArrayRepeat => positive(value(1)) * 16,
            Growth::Series => {
                let (start, stop, step) = match arity {
                    1 => (0, value(0), 1),
                    2 => (value(0), value(1), 1),
                    _ => (value(0), value(1), value(2)),
                };
                let span = (stop as i128 - start as i128).unsigned_abs();
                let step = (step as i128).unsigned_abs().max(1);
                (span / step + 1) * 8
            }
        }
    }
}

/// An argument as Int64 values per row: strings by byte length, numbers as they are;
/// `None` for arguments that say nothing about size (dates, intervals, nested values).
fn as_integers(arg: &ColumnarValue, rows: usize) -> Result<Option<ArrayRef>> {
    let array = arg.to_array(rows)?;
    let sized = match array.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => length(&array)?,
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => length(&array)?,
        t if t.is_integer() || t.is_floating() => array,
        _ => return Ok(None),
    };
    Ok(Some(arrow::compute::cast(&sized, &DataType::Int64)?))
}

impl ScalarUDFImpl for Capped {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn name(&self) -> &str {
        self.inner.name()
    }

    fn aliases(&self) -> &[String] {
        self.inner.aliases()
    }

    fn signature(&self) -> &Signature {
        self.inner.signature()
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.inner.return_type(arg_types)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        self.inner.return_field_from_args(args)
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.inner.coerce_types(arg_types)
    }

    fn simplify(&self, args: Vec<Expr>, info: &SimplifyContext) -> Result<ExprSimplifyResult> {
        self.inner.simplify(args, info)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        self.check(&args)?;
        self.inner.invoke_with_args(args)
    }

    fn documentation(&self) -> Option<&Documentation> {
        self.inner.documentation()
    }
}
