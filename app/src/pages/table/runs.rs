//! Run history: a chart of rows per run coloured by status, and the table of runs behind it.

use leptos::prelude::*;

use crate::components::{CARD, MUTED, StatusBadge, TH, TH_NUM, time_cell};
use crate::format;
use lakeport_wire::tables::RunInfo;

const CHART_WIDTH: f64 = 600.0;
const CHART_HEIGHT: f64 = 120.0;

fn bar_colour(status: &str) -> &'static str {
    match status {
        "COMPLETED" => "fill-green-600 dark:fill-green-500",
        "FAILED" => "fill-red-600 dark:fill-red-500",
        "RUNNING" => "fill-sky-600 dark:fill-sky-500",
        _ => "fill-slate-400",
    }
}

#[component]
pub fn RunHistory(runs: Vec<RunInfo>) -> impl IntoView {
    if runs.is_empty() {
        return view! {
            <section class=format!("mt-6 p-4 {CARD}")>
                <h2 class="text-sm font-semibold">"Run history"</h2>
                <p class=format!("mt-1 text-sm {MUTED}")>"No runs yet."</p>
            </section>
        }
        .into_any();
    }
    view! {
        <section aria-labelledby="runs-heading" class=format!("mt-6 p-4 {CARD}")>
            <h2 id="runs-heading" class="text-sm font-semibold">"Run history"</h2>
            <RowsChart runs=runs.clone() />
            <RunsTable runs />
        </section>
    }
    .into_any()
}

/// Oldest run on the left; the table below carries the same numbers for screen readers.
#[component]
fn RowsChart(runs: Vec<RunInfo>) -> impl IntoView {
    let mut runs = runs;
    runs.reverse();
    let max_rows = runs.iter().map(|r| r.rows_loaded).max().unwrap_or(0).max(1) as f64;
    let slot = CHART_WIDTH / runs.len() as f64;
    let bar = (slot * 0.7).max(1.0);
    let bars = runs
        .into_iter()
        .enumerate()
        .map(|(i, run)| {
            // Failed and empty runs still get a sliver, so every run is visible.
            let height = (run.rows_loaded as f64 / max_rows * (CHART_HEIGHT - 4.0)).max(2.0);
            let title = format!(
                "Run {}: {}, {} rows",
                run.run_id,
                run.status.to_lowercase(),
                format::thousands(run.rows_loaded)
            );
            view! {
                <rect
                    data-run=run.run_id
                    data-status=run.status.clone()
                    x=format!("{:.1}", i as f64 * slot + (slot - bar) / 2.0)
                    y=format!("{:.1}", CHART_HEIGHT - height)
                    width=format!("{bar:.1}")
                    height=format!("{height:.1}")
                    rx="2"
                    class=bar_colour(&run.status)
                >
                    <title>{title}</title>
                </rect>
            }
        })
        .collect_view();
    view! {
        <figure class="mt-3">
            <svg
                viewBox=format!("0 0 {CHART_WIDTH} {CHART_HEIGHT}")
                preserveAspectRatio="none"
                role="img"
                aria-label="Rows loaded per run, oldest first; green completed, red failed, blue running"
                class="h-32 w-full rounded bg-slate-50 dark:bg-slate-800/50"
            >
                {bars}
            </svg>
            <figcaption class=format!("mt-1 flex flex-wrap gap-3 text-xs {MUTED}")>
                <span>"Rows per run, oldest first:"</span>
                <span><span aria-hidden="true" class="mr-1 inline-block size-2 rounded-sm bg-green-600"></span>"completed"</span>
                <span><span aria-hidden="true" class="mr-1 inline-block size-2 rounded-sm bg-red-600"></span>"failed"</span>
                <span><span aria-hidden="true" class="mr-1 inline-block size-2 rounded-sm bg-sky-600"></span>"running"</span>
            </figcaption>
        </figure>
    }
}

#[component]
fn RunsTable(runs: Vec<RunInfo>) -> impl IntoView {
    view! {
        <div tabindex="0" role="region" aria-label="Runs" class="mt-4 overflow-x-auto">
            <table data-testid="runs" class="min-w-full divide-y divide-slate-200 text-sm dark:divide-slate-800">
                <caption class="sr-only">"Sync runs, newest first"</caption>
                <thead>
                    <tr>
                        <th scope="col" class=TH>"Run"</th>
                        <th scope="col" class=TH>"Status"</th>
                        <th scope="col" class=TH>"Trigger"</th>
                        <th scope="col" class=TH>"Started (UTC)"</th>
                        <th scope="col" class=TH_NUM>"Duration"</th>
                        <th scope="col" class=TH_NUM>"Rows"</th>
                        <th scope="col" class=TH_NUM>"Files"</th>
                        <th scope="col" class=TH_NUM>"Read"</th>
                        <th scope="col" class=TH>"Message"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-200 dark:divide-slate-800">
                    {runs.into_iter().map(|run| {
                        let td = "px-3 py-2 whitespace-nowrap align-top";
                        let td_num = "px-3 py-2 whitespace-nowrap align-top text-right tabular-nums";
                        let duration = if run.end_time_ms > 0 {
                            format::duration_ms(run.end_time_ms - run.start_time_ms)
                        } else {
                            "running".to_owned()
                        };
                        let files = if run.files_failed > 0 {
                            format!("{} ({} failed)", run.files_discovered, run.files_failed)
                        } else {
                            run.files_discovered.to_string()
                        };
                        let message = run.error_message.clone().or(run.note.clone()).unwrap_or_default();
                        view! {
                            <tr data-run=run.run_id>
                                <td class=td>{run.run_id}</td>
                                <td class=td><StatusBadge status=run.status /></td>
                                <td class=td>{run.trigger.to_lowercase()}</td>
                                <td class=td>{time_cell(Some(run.start_time_ms), "unknown")}</td>
                                <td class=td_num>{duration}</td>
                                <td class=td_num>{format::thousands(run.rows_loaded)}</td>
                                <td class=td_num>{files}</td>
                                <td class=td_num>{format::bytes(run.bytes_read)}</td>
                                <td class="min-w-64 px-3 py-2 align-top text-xs break-words whitespace-pre-wrap">{message}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
