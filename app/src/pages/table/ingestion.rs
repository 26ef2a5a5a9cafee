//! A REALTIME table's ingestion: the consuming segment, completed segments, when the next seal
//! is due, rows per minute over the last hour, and how a script pushes rows.

use leptos::prelude::*;

use super::Stat;
use crate::components::{CARD, MUTED, TH, TH_NUM, time_cell};
use crate::format;
use lakeport_wire::realtime::{IngestionStatus, MinuteRows};

const MINUTE_MS: i64 = 60_000;
/// The chart's width in minutes: the hour the API reports.
const CHART_MINUTES: i64 = 60;
const CHART_WIDTH: f64 = 600.0;
const CHART_HEIGHT: f64 = 80.0;

#[component]
pub fn IngestionPanel(ingestion: IngestionStatus) -> impl IntoView {
    let consuming = ingestion.consuming_rows;
    let threshold = i64::try_from(ingestion.flush_threshold_rows).unwrap_or(i64::MAX);
    let percent = if threshold > 0 {
        (consuming.clamp(0, threshold) as f64 * 100.0 / threshold as f64) as u32
    } else {
        0
    };
    let progress_label = format!(
        "{} of {} rows before the consuming segment seals",
        format::thousands(consuming),
        format::thousands(threshold)
    );
    view! {
        <section aria-labelledby="ingestion-heading" data-testid="ingestion" class=format!("mt-6 p-4 {CARD}")>
            <h2 id="ingestion-heading" class="text-sm font-semibold">"Ingestion"</h2>
            <dl class="mt-3 grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-6">
                <Stat label="Consuming rows" testid="consuming-rows">{format::thousands(consuming)}</Stat>
                <Stat label="Consuming chunks" testid="consuming-chunks">{format::thousands(ingestion.consuming_chunks)}</Stat>
                <Stat label="Completed segments" testid="completed-segments">{format::thousands(ingestion.completed_segments)}</Stat>
                <Stat label="Completed rows" testid="completed-rows">{format::thousands(ingestion.completed_rows)}</Stat>
                <Stat label="Flush threshold" testid="flush-threshold">
                    <span class="text-sm">
                        <span data-testid="flush-rows">{format::thousands(threshold)}</span>
                        " rows or "
                        <code data-testid="flush-time" class="font-mono">{format::period(ingestion.flush_threshold_time_ms)}</code>
                    </span>
                </Stat>
                <Stat label="Seals by (UTC)" testid="next-seal">
                    {time_cell(ingestion.next_seal_ms, "no consuming rows")}
                </Stat>
            </dl>
            <div class="mt-4">
                <div class="flex justify-between text-sm">
                    <span>
                        "Consuming rows vs flush threshold"
                        {ingestion.oldest_consuming_ms.map(|ms| view! {
                            <span class=format!("ml-2 text-xs {MUTED}")>"oldest row " {time_cell(Some(ms), "")}</span>
                        })}
                    </span>
                    <span data-testid="consuming-progress" class="tabular-nums">
                        {format!("{} / {}", format::thousands(consuming), format::thousands(threshold))}
                    </span>
                </div>
                <div
                    role="progressbar"
                    aria-label=progress_label
                    aria-valuemin="0"
                    aria-valuemax=threshold.to_string()
                    aria-valuenow=consuming.clamp(0, threshold).to_string()
                    class="mt-1 h-2 w-full overflow-hidden rounded-full bg-slate-200 dark:bg-slate-800"
                >
                    <div class="h-full rounded-full bg-sky-600" style=format!("width: {percent}%")></div>
                </div>
            </div>
            <MinuteChart minutes=ingestion.rows_per_minute />
        </section>
    }
}

/// Rows per minute over the hour ending at the newest minute with rows. The page never reads
/// the clock (the server's render and the browser's must match), so the axis is anchored on
/// the data and labelled with its own times.
#[component]
fn MinuteChart(minutes: Vec<MinuteRows>) -> impl IntoView {
    let Some(last) = minutes.iter().map(|m| m.minute_ms).max() else {
        return view! {
            <p data-testid="rows-per-minute-empty" class=format!("mt-4 text-sm {MUTED}")>"No rows in the last hour."</p>
        }
        .into_any();
    };
    let first = last - (CHART_MINUTES - 1) * MINUTE_MS;
    let total: i64 = minutes.iter().map(|m| m.rows).sum();
    let max_rows = minutes.iter().map(|m| m.rows).max().unwrap_or(0).max(1) as f64;
    let slot = CHART_WIDTH / CHART_MINUTES as f64;
    let bar = slot * 0.8;
    let bars = minutes
        .iter()
        .filter(|m| m.minute_ms >= first)
        .map(|m| {
            let index = ((m.minute_ms - first) / MINUTE_MS) as f64;
            let height = (m.rows as f64 / max_rows * (CHART_HEIGHT - 2.0)).max(2.0);
            let title = format!(
                "{} UTC: {} rows",
                format::utc_minutes(m.minute_ms),
                format::thousands(m.rows)
            );
            view! {
                <rect
                    data-minute=m.minute_ms
                    data-rows=m.rows
                    x=format!("{:.1}", index * slot + (slot - bar) / 2.0)
                    y=format!("{:.1}", CHART_HEIGHT - height)
                    width=format!("{bar:.1}")
                    height=format!("{height:.1}")
                    rx="1"
                    class="fill-sky-600 dark:fill-sky-500"
                >
                    <title>{title}</title>
                </rect>
            }
        })
        .collect_view();
    let rows = minutes
        .into_iter()
        .rev()
        .map(|m| {
            view! {
                <tr>
                    <td class="px-3 py-1 whitespace-nowrap">{time_cell(Some(m.minute_ms), "")}</td>
                    <td class="px-3 py-1 text-right whitespace-nowrap tabular-nums">{format::thousands(m.rows)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <figure class="mt-4">
            <figcaption class="flex flex-wrap justify-between gap-2 text-sm">
                <span>"Rows ingested per minute, last hour"</span>
                <span class="tabular-nums">
                    <span data-testid="rows-last-hour">{format::thousands(total)}</span>
                    " rows"
                </span>
            </figcaption>
            <svg
                data-testid="rows-per-minute"
                viewBox=format!("0 0 {CHART_WIDTH} {CHART_HEIGHT}")
                preserveAspectRatio="none"
                role="img"
                aria-label="Rows ingested per minute over the hour up to the newest minute with rows; the table below has the numbers"
                class="mt-1 h-20 w-full rounded bg-slate-50 dark:bg-slate-800/50"
            >
                {bars}
            </svg>
            <div class=format!("mt-1 flex justify-between text-xs tabular-nums {MUTED}")>
                <span>{format::utc_minutes(first)}</span>
                <span>{format::utc_minutes(last)} " UTC"</span>
            </div>
        </figure>
        <details class="mt-2 text-sm">
            <summary class="cursor-pointer text-sky-700 dark:text-sky-400">"Rows per minute"</summary>
            <div tabindex="0" role="region" aria-label="Rows per minute" class="mt-2 max-h-64 overflow-auto">
                <table data-testid="minutes" class="min-w-64 divide-y divide-slate-200 text-sm dark:divide-slate-800">
                    <caption class="sr-only">"Rows ingested per minute, newest first; minutes with no rows are left out"</caption>
                    <thead>
                        <tr>
                            <th scope="col" class=TH>"Minute (UTC)"</th>
                            <th scope="col" class=TH_NUM>"Rows"</th>
                        </tr>
                    </thead>
                    <tbody class="divide-y divide-slate-200 dark:divide-slate-800">{rows}</tbody>
                </table>
            </div>
        </details>
    }
    .into_any()
}

/// How a script pushes rows, with the key that makes a retry safe.
#[component]
pub fn PushSnippet(table: String) -> impl IntoView {
    let snippet = format!(
        r#"# LAKEPORT is this server's address, TOKEN an API token (API tokens page).
# rows.ndjson: one JSON object per line, keyed by the schema's column names.
# Send a retry with the same KEY: rows already taken are not loaded twice.
KEY=$(uuidgen)
curl -X POST "$LAKEPORT/ingest/{table}" \
  -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/x-ndjson' \
  -H "Idempotency-Key: $KEY" \
  --data-binary @rows.ndjson"#
    );
    view! {
        <section aria-labelledby="push-heading" class=format!("mt-6 p-4 {CARD}")>
            <h2 id="push-heading" class="text-sm font-semibold">"Push rows"</h2>
            <p class=format!("mt-1 text-sm {MUTED}")>
                "Rows are queryable as soon as the answer comes. A JSON array ("
                <code class="font-mono">"application/json"</code>
                ") or an Arrow IPC stream ("
                <code class="font-mono">"application/vnd.apache.arrow.stream"</code>
                ") work too."
            </p>
            <pre class="mt-2 overflow-x-auto rounded-md bg-slate-900 p-3 font-mono text-xs text-slate-100 dark:bg-black/40"><code data-testid="ingest-snippet">{snippet}</code></pre>
        </section>
    }
}
