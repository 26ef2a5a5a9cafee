//! Streams a plan's batches into the answer's rows until the row cap or the byte budget,
//! so an answer's size never depends on how much the query could produce.

use datafusion::execution::SendableRecordBatchStream;
use futures::StreamExt;
use serde_json::Value;

use crate::error::{ApiError, ApiResult};
use crate::model::values::{cell, cell_size_hint, json_size};

#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub max_rows: usize,
    pub max_bytes: usize,
}

pub struct Rows {
    pub rows: Vec<Vec<Value>>,
    /// More rows were there than the answer carries.
    pub partial: bool,
}

/// Reads batches until the stream ends or the budget is spent; the plan was capped at
/// `max_rows + 1` rows, so one row over the cap says the answer is partial.
pub async fn collect(mut stream: SendableRecordBatchStream, budget: Budget) -> ApiResult<Rows> {
    let mut rows = Vec::new();
    let mut bytes = 0usize;
    while let Some(batch) = stream.next().await {
        let batch = batch.map_err(super::engine_error)?;
        for row in 0..batch.num_rows() {
            if rows.len() >= budget.max_rows {
                return Ok(Rows {
                    rows,
                    partial: true,
                });
            }
            // Sized before it is built, so a huge value is never copied into JSON.
            let hint: usize = batch.columns().iter().map(|c| cell_size_hint(c, row)).sum();
            if bytes + hint > budget.max_bytes {
                return over_budget(rows, hint, budget);
            }
            let cells: Vec<Value> = batch.columns().iter().map(|c| cell(c, row)).collect();
            // As `json_size` counts the row as a JSON array.
            let size = 2 + cells.iter().map(|v| json_size(v) + 1).sum::<usize>();
            if bytes + size > budget.max_bytes {
                return over_budget(rows, size, budget);
            }
            bytes += size;
            rows.push(cells);
        }
    }
    Ok(Rows {
        rows,
        partial: false,
    })
}

fn over_budget(rows: Vec<Vec<Value>>, row_bytes: usize, budget: Budget) -> ApiResult<Rows> {
    if rows.is_empty() {
        return Err(ApiError::Query(format!(
            "a single row of the result is about {} bytes, more than an answer may carry ({} bytes, query.max_result_bytes)",
            row_bytes, budget.max_bytes
        )));
    }
    Ok(Rows {
        rows,
        partial: true,
    })
}
