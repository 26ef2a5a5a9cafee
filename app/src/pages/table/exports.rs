//! A table's DataExportTask: where it exports, how far it got, each segment's checkpoint and the
//! latest cycles, with Export now.

use leptos::prelude::*;

use super::Stat;
use crate::client::{self, ApiResult, encode_component};
use crate::components::{
    CARD, MUTED, SECONDARY_BUTTON, StatusBadge, TH, TH_NUM, confirm, none_cell, time_cell,
};
use crate::format;
use lakeport_wire::exports::{ExportRunInfo, ExportStatus, ExportedSegment};
use lakeport_wire::rules::EXPORT_TASK_TYPE;
use lakeport_wire::tables::ScheduledTasks;

const TD: &str = "px-3 py-2 align-top whitespace-nowrap";
const TD_NUM: &str = "px-3 py-2 align-top whitespace-nowrap text-right tabular-nums";
const TD_ERROR: &str = "min-w-64 px-3 py-2 align-top text-xs break-words whitespace-pre-wrap text-red-800 dark:text-red-300";
/// The cycles shown; the API keeps more.
const CYCLES_SHOWN: usize = 10;

fn snapshot_cell(id: Option<i64>) -> AnyView {
    match id {
        Some(id) => view! { <span class="font-mono text-xs">{id}</span> }.into_any(),
        None => none_cell("no snapshot"),
    }
}

fn error_cell(error: Option<String>) -> AnyView {
    match error.filter(|e| !e.is_empty()) {
        Some(error) => view! { {error} }.into_any(),
        None => none_cell("no error"),
    }
}

#[component]
pub fn ExportsPanel(exports: ExportStatus, export_now: ExportNowAction) -> impl IntoView {
    let completed = exports
        .segments
        .iter()
        .filter(|s| s.state == "COMPLETED")
        .count();
    let summary = format!("{} segments, {completed} completed", exports.segments.len());
    let mut runs = exports.runs;
    runs.truncate(CYCLES_SHOWN);
    view! {
        <section aria-labelledby="exports-heading" data-testid="exports" class=format!("mt-6 p-4 {CARD}")>
            <div class="flex flex-wrap items-center justify-between gap-3">
                <h2 id="exports-heading" class="text-sm font-semibold">"Exports"</h2>
                <ExportNow table=exports.table_name_with_type.clone() act=export_now />
            </div>
            <dl class="mt-3 grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-6">
                <Stat label="Target" testid="export-target">
                    <code class="font-mono text-sm">{exports.target}</code>
                </Stat>
                <div class=format!("p-3 sm:col-span-2 {CARD}")>
                    <dt class=format!("text-xs font-medium uppercase {MUTED}")>"Destination"</dt>
                    <dd data-testid="export-destination" class="mt-1 font-mono text-sm break-all">{exports.destination}</dd>
                    <dd class=format!("mt-1 text-xs {MUTED}")>
                        "from " <code class="font-mono">{exports.source_table_name}</code>
                    </dd>
                </div>
                <Stat label="Schedule" testid="export-schedule">
                    {match exports.schedule {
                        Some(cron) => view! { <code class="font-mono text-xs">{cron}</code> }.into_any(),
                        None => view! { <span class="text-sm">"on demand"</span> }.into_any(),
                    }}
                </Stat>
                <Stat label="Watermark (UTC)" testid="export-watermark">
                    {time_cell(exports.watermark_ms, "none yet")}
                </Stat>
                <Stat label="Staged / pending" testid="export-staged">
                    <span title="Files staged for an Iceberg batch commit / commits not yet confirmed">
                        {format!("{} / {}", format::thousands(exports.staged_files), format::thousands(exports.pending_commits))}
                    </span>
                </Stat>
            </dl>
            <p class=format!("mt-3 text-sm {MUTED}")>
                "Last snapshot: " <span data-testid="export-snapshot">{snapshot_cell(exports.last_snapshot_id)}</span>
            </p>
            <h3 class="mt-4 text-sm font-semibold">"Segments"</h3>
            <p class=format!("text-sm {MUTED}")>{summary}</p>
            <SegmentsTable segments=exports.segments />
            <h3 class="mt-4 text-sm font-semibold">"Latest cycles"</h3>
            <CyclesTable runs />
        </section>
    }
}

/// `POST /tasks/schedule` for the table's export. The page owns it, so its answer outlives the
/// panel, which is rebuilt at every refresh.
pub type ExportNowAction = Action<String, ApiResult<ScheduledTasks>>;

pub fn export_now_action() -> ExportNowAction {
    Action::new_local(|path: &String| {
        let path = path.clone();
        async move { client::post::<ScheduledTasks>(&path, &serde_json::Value::Null).await }
    })
}

/// Asks for an export cycle now, after a confirmation; says which task it became.
#[component]
fn ExportNow(table: String, act: ExportNowAction) -> impl IntoView {
    let path = format!(
        "/tasks/schedule?taskType={EXPORT_TASK_TYPE}&tableName={}",
        encode_component(&table)
    );
    let question = format!("Export {table} now?");
    view! {
        <div class="flex flex-wrap items-center gap-2">
            {move || act.value().get().map(|outcome| match outcome {
                Ok(scheduled) => {
                    let task = scheduled.tasks.get(EXPORT_TASK_TYPE).cloned().unwrap_or(scheduled.status);
                    view! {
                        <p data-testid="export-scheduled" role="status" class=format!("text-sm {MUTED}")>
                            "Scheduled " <code class="font-mono text-xs">{task}</code>
                        </p>
                    }.into_any()
                }
                Err(e) => view! { <p role="alert" class="text-sm text-red-700 dark:text-red-400">{e.message}</p> }.into_any(),
            })}
            <button
                type="button"
                data-testid="export-now"
                class=SECONDARY_BUTTON
                aria-busy=move || act.pending().get().then_some("true")
                on:click=move |_| {
                    if confirm(&question) {
                        act.dispatch(path.clone());
                    }
                }
            >
                "Export now"
            </button>
        </div>
    }
}

#[component]
fn SegmentsTable(segments: Vec<ExportedSegment>) -> impl IntoView {
    if segments.is_empty() {
        return view! { <p data-testid="export-segments-empty" class=format!("mt-1 text-sm {MUTED}")>"No segment exported yet."</p> }.into_any();
    }
    view! {
        <div tabindex="0" role="region" aria-label="Exported segments" class="mt-2 max-h-96 overflow-auto">
            <table data-testid="export-segments" class="min-w-full divide-y divide-slate-200 text-sm dark:divide-slate-800">
                <caption class="sr-only">"Each source segment's export checkpoint"</caption>
                <thead>
                    <tr>
                        <th scope="col" class=TH>"Segment"</th>
                        <th scope="col" class=TH>"State"</th>
                        <th scope="col" class=TH>"File"</th>
                        <th scope="col" class=TH_NUM>"Rows"</th>
                        <th scope="col" class=TH_NUM>"Size"</th>
                        <th scope="col" class=TH>"Snapshot"</th>
                        <th scope="col" class=TH_NUM>"Attempts"</th>
                        <th scope="col" class=TH>"Updated (UTC)"</th>
                        <th scope="col" class=TH>"Error"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-200 dark:divide-slate-800">
                    {segments.into_iter().map(|segment| {
                        let key = segment.segment_name.clone();
                        let state = segment.state.clone();
                        view! {
                            <tr data-segment=key data-state=state>
                                <td class=format!("{TD} font-mono text-xs")>{segment.segment_name}</td>
                                <td class=TD><StatusBadge status=segment.state /></td>
                                <td class="px-3 py-2 align-top font-mono text-xs break-all">
                                    {segment.file_uri.map_or_else(|| none_cell("no file yet"), |uri| view! { {uri} }.into_any())}
                                </td>
                                <td class=TD_NUM>{format::thousands(segment.row_count)}</td>
                                <td class=TD_NUM>{format::bytes(segment.size_bytes)}</td>
                                <td class=TD>{snapshot_cell(segment.snapshot_id)}</td>
                                <td class=TD_NUM>{segment.attempts}</td>
                                <td class=TD>{time_cell(Some(segment.updated_at_ms), "")}</td>
                                <td class=TD_ERROR>{error_cell(segment.error_message)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn CyclesTable(runs: Vec<ExportRunInfo>) -> impl IntoView {
    if runs.is_empty() {
        return view! { <p class=format!("mt-1 text-sm {MUTED}")>"No export cycle yet."</p> }
            .into_any();
    }
    view! {
        <div tabindex="0" role="region" aria-label="Export cycles" class="mt-2 overflow-x-auto">
            <table data-testid="export-runs" class="min-w-full divide-y divide-slate-200 text-sm dark:divide-slate-800">
                <caption class="sr-only">"Export cycles, newest first"</caption>
                <thead>
                    <tr>
                        <th scope="col" class=TH>"Task"</th>
                        <th scope="col" class=TH>"Status"</th>
                        <th scope="col" class=TH>"Decision"</th>
                        <th scope="col" class=TH>"Started (UTC)"</th>
                        <th scope="col" class=TH_NUM>"Segments"</th>
                        <th scope="col" class=TH_NUM>"Rows"</th>
                        <th scope="col" class=TH_NUM>"Written"</th>
                        <th scope="col" class=TH>"Snapshot"</th>
                        <th scope="col" class=TH>"Error"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-200 dark:divide-slate-800">
                    {runs.into_iter().map(|run| {
                        let key = run.task_name.clone();
                        view! {
                            <tr data-task=key>
                                <td class=format!("{TD} font-mono text-xs")>{run.task_name}</td>
                                <td class=TD><StatusBadge status=run.status /></td>
                                <td class=format!("{TD} font-mono text-xs")>
                                    {run.decision.map_or_else(|| none_cell("no decision yet"), |d| view! { {d} }.into_any())}
                                </td>
                                <td class=TD>{time_cell(Some(run.start_time_ms), "unknown")}</td>
                                <td class=TD_NUM>{run.segments_exported}</td>
                                <td class=TD_NUM>{format::thousands(run.rows_exported)}</td>
                                <td class=TD_NUM>{format::bytes(run.bytes_written)}</td>
                                <td class=TD>{snapshot_cell(run.snapshot_id)}</td>
                                <td class=TD_ERROR>{error_cell(run.error_message)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
