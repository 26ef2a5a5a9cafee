//! `GET /metrics`: Prometheus text exposition of table, sync and query figures.

use std::fmt::Write;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use super::docs::ApiErrors;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::store;
use crate::store::metrics::TableFigures;

/// A per-table gauge: its name, help text and how to read it off a table's figures.
type Gauge = (&'static str, &'static str, fn(&TableFigures) -> f64);

#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses((status = 200, content_type = "text/plain", body = String, description = "Prometheus text exposition"), ApiErrors)
)]
pub async fn metrics(State(state): State<AppState>) -> ApiResult<impl IntoResponse> {
    let tables = store::metrics::table_figures(&state.pool).await?;
    let mut out = String::new();
    let mut family = |name: &str, kind: &str, help: &str, samples: Vec<(String, f64)>| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, value) in samples {
            let _ = writeln!(out, "{name}{labels} {value}");
        }
    };
    let gauges: [Gauge; 6] = [
        (
            "lakeport_table_enabled",
            "1 when the table syncs on its schedule, 0 when paused.",
            |t| t.enabled as u8 as f64,
        ),
        ("lakeport_table_segments", "Committed segments.", |t| {
            t.segments as f64
        }),
        ("lakeport_table_rows", "Rows in committed segments.", |t| {
            t.rows as f64
        }),
        (
            "lakeport_table_segment_bytes",
            "Bytes of committed segments.",
            |t| t.bytes as f64,
        ),
        (
            "lakeport_table_files_failed",
            "Source files whose last load failed.",
            |t| t.files_failed as f64,
        ),
        (
            "lakeport_table_last_success_timestamp_seconds",
            "End of the last completed sync (0 if none).",
            |t| t.last_success_epoch.unwrap_or(0.0),
        ),
    ];
    for (name, help, value) in gauges {
        let samples = tables
            .iter()
            .map(|t| (format!("{{table=\"{}\"}}", t.name), value(t)))
            .collect();
        family(name, "gauge", help, samples);
    }
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
