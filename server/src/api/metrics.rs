//! `GET /metrics`: Prometheus text exposition of table, sync and query figures.

use std::fmt::Write;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use crate::error::ApiResult;
use crate::state::AppState;
use crate::store;

pub async fn metrics(State(state): State<AppState>) -> ApiResult<impl IntoResponse> {
    let tables = store::metrics::table_figures(&state.pool).await?;
    let mut out = String::new();
    let mut family = |name: &str, kind: &str, help: &str, samples: Vec<(String, f64)>| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, value) in samples {
            let _ = writeln!(out, "{name}{labels} {value}");
        }
    };
    let per_table = |f: &dyn Fn(&store::metrics::TableFigures) -> f64| {
        tables
            .iter()
            .map(|t| (format!("{{table=\"{}\"}}", t.name), f(t)))
            .collect::<Vec<_>>()
    };
    family(
        "lakeport_table_enabled",
        "gauge",
        "1 when the table syncs on its schedule, 0 when paused.",
        per_table(&|t| t.enabled as u8 as f64),
    );
    family(
        "lakeport_table_segments",
        "gauge",
        "Committed segments.",
        per_table(&|t| t.segments as f64),
    );
    family(
        "lakeport_table_rows",
        "gauge",
        "Rows in committed segments.",
        per_table(&|t| t.rows as f64),
    );
    family(
        "lakeport_table_segment_bytes",
        "gauge",
        "Bytes of committed segments.",
        per_table(&|t| t.bytes as f64),
    );
    family(
        "lakeport_table_files_failed",
        "gauge",
        "Source files whose last load failed.",
        per_table(&|t| t.files_failed as f64),
    );
    family(
        "lakeport_table_last_success_timestamp_seconds",
        "gauge",
        "End of the last completed sync (0 if none).",
        per_table(&|t| t.last_success_epoch.unwrap_or(0.0)),
    );
    let runs = tables
        .iter()
        .flat_map(|t| {
            [
                ("COMPLETED", t.runs_completed),
                ("FAILED", t.runs_failed),
                ("RUNNING", t.runs_running),
            ]
            .map(|(status, n)| {
                (
                    format!("{{table=\"{}\",status=\"{status}\"}}", t.name),
                    n as f64,
                )
            })
        })
        .collect();
    family(
        "lakeport_sync_runs",
        "gauge",
        "Sync runs recorded, by status.",
        runs,
    );
    let queries = state.query.counters();
    family(
        "lakeport_queries_total",
        "counter",
        "SQL queries answered by this process.",
        vec![(String::new(), queries.ok as f64)],
    );
    family(
        "lakeport_query_errors_total",
        "counter",
        "SQL queries refused or failed in this process.",
        vec![(String::new(), queries.failed as f64)],
    );
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out))
}
