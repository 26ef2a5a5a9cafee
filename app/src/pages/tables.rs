//! The Tables page: every table Lakeport syncs, with its state and its last run.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::client;
use crate::components::{
    Alert, MAIN, NONE_CELL, PRIMARY_BUTTON, PageHeader, SECONDARY_BUTTON, StatusBadge, TH, TH_NUM,
    none_cell, time_cell, use_polling,
};
use crate::format;
use lakeport_wire::rules::HTTP_STREAM_TYPE;
use lakeport_wire::tables::{TableSummaries, TableSummary};

/// Long errors (stack-like driver messages) would stretch the table; the full
/// text stays one hover away in `title`.
const ERROR_PREVIEW_CHARS: usize = 80;

/// The create flow the REST API expects: a table needs its schema first, and
/// `/tables/preview` drafts both from the source files.
const CREATE_EXAMPLE: &str = r#"# LAKEPORT is this server's address, e.g. http://127.0.0.1:9000
curl -s -X POST "$LAKEPORT/tables/preview" -H 'Content-Type: application/json' \
  -d @preview-request.json > preview.json
jq .schema preview.json | curl -X POST "$LAKEPORT/schemas" \
  -H 'Content-Type: application/json' -d @-
jq .tableConfigs.offline preview.json | curl -X POST "$LAKEPORT/tables" \
  -H 'Content-Type: application/json' -d @-"#;

/// How often the list refreshes itself once the page is live.
const POLL_MS: u64 = 5_000;

#[component]
pub fn TablesPage() -> impl IntoView {
    let tables = Resource::new(
        || (),
        |_| client::get::<TableSummaries>("/tables?view=summary"),
    );
    let (pending, set_pending) = signal(false);
    use_polling(POLL_MS, move || tables.refetch());

    view! {
        <Title text="Tables" />
        <main id="main" class=MAIN>
            <PageHeader title="Tables">
                // A real GET form, so the button reloads the page even before
                // (or without) the WASM; once hydrated it refetches in place.
                <form
                    method="get"
                    action="/ui/tables"
                    on:submit=move |ev| {
                        ev.prevent_default();
                        tables.refetch();
                    }
                >
                    <button
                        type="submit"
                        data-testid="refresh"
                        aria-busy=move || pending.get().then_some("true")
                        class=SECONDARY_BUTTON
                    >
                        {move || if pending.get() { "Refreshing…" } else { "Refresh" }}
                    </button>
                </form>
                <a href="/ui/connect" class=PRIMARY_BUTTON data-testid="connect">
                    "+ Connect External Table"
                </a>
            </PageHeader>
            // Transition rather than plain Suspense: on refresh the current
            // list stays on screen instead of flashing back to the fallback.
            <Transition
                fallback=|| {
                    view! {
                        <p class="mt-6 text-sm text-slate-500 dark:text-slate-400">
                            "Loading tables…"
                        </p>
                    }
                }
                set_pending
            >
                {move || Suspend::new(async move {
                    match tables.await {
                        Ok(list) if list.tables.is_empty() => view! { <EmptyState /> }.into_any(),
                        Ok(list) => view! { <TablesTable tables=list.tables /> }.into_any(),
                        Err(err) => {
                            view! { <Alert title="Could not load tables." message=err.message /> }
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </main>
    }
}

#[component]
fn TablesTable(tables: Vec<TableSummary>) -> impl IntoView {
    let count = tables.len();

    view! {
        <p class="mt-4 text-sm text-slate-500 dark:text-slate-400">
            {count} {if count == 1 { " table" } else { " tables" }}
        </p>
        // The table keeps its natural width and this box scrolls, so narrow
        // phones get a horizontal scroll instead of a squashed or broken page.
        <div tabindex="0" role="region" aria-label="Tables" class="mt-2 overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm dark:border-slate-800 dark:bg-slate-900">
            <table class="min-w-full divide-y divide-slate-200 text-sm dark:divide-slate-800">
                <caption class="sr-only">"Tables synced by Lakeport"</caption>
                <thead class="bg-slate-50 dark:bg-slate-800/50">
                    <tr>
                        <th scope="col" class=TH>"Name"</th>
                        <th scope="col" class=TH>"Source"</th>
                        <th scope="col" class=TH>"Status"</th>
                        <th scope="col" class=TH_NUM>"Rows"</th>
                        <th scope="col" class=TH_NUM>"Segments"</th>
                        <th scope="col" class=TH>"Last success (UTC)"</th>
                        <th scope="col" class=TH>"Next run (UTC)"</th>
                        <th scope="col" class=TH>"Last error"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-200 dark:divide-slate-800">
                    {tables.into_iter().map(|table| view! { <TableRow table=table /> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn TableRow(table: TableSummary) -> impl IntoView {
    let td = "px-3 py-2 whitespace-nowrap align-top";
    let td_num = "px-3 py-2 whitespace-nowrap align-top text-right tabular-nums";
    // A REALTIME table's rows are pushed (its source reads `POST /ingest/…`): nothing is scheduled.
    let pushed = table.catalog_type == HTTP_STREAM_TYPE;
    let next_run = if !table.enabled {
        view! { <span class=NONE_CELL>"paused"</span> }.into_any()
    } else if pushed && table.next_run_ms.is_none() {
        // Muted, not NONE_CELL's lighter grey: this is a value to read, not an empty cell.
        view! { <span class="text-slate-500 dark:text-slate-400" title="Rows are pushed to it, not synced">"on push"</span> }
            .into_any()
    } else {
        time_cell(table.next_run_ms, "not scheduled")
    };
    let last_error = match table.last_error {
        Some(error) => {
            let preview = format::truncate_chars(&error, ERROR_PREVIEW_CHARS).into_owned();
            view! {
                <span
                    class="line-clamp-2 max-w-sm min-w-44 text-red-700 dark:text-red-400"
                    title=error
                >
                    {preview}
                </span>
            }
            .into_any()
        }
        None => none_cell("none"),
    };

    // The view macro builds children before attributes, so values used in
    // both places are cloned up front.
    let row_key = table.name.clone();
    let source_title = table.source.clone();
    let detail = format!("/ui/tables/{}", client::encode_component(&table.name));

    view! {
        <tr data-table=row_key class="hover:bg-slate-50 dark:hover:bg-slate-800/40">
            <th scope="row" class="px-3 py-2 text-left align-top font-medium whitespace-nowrap">
                <a
                    href=detail
                    class="block text-sky-700 underline-offset-4 hover:underline focus-visible:outline-2 focus-visible:outline-sky-600 dark:text-sky-400"
                >
                    {table.name}
                </a>
                <span class="block text-xs font-normal text-slate-500 dark:text-slate-400">
                    {table.catalog_type}
                    {pushed.then_some(" · realtime")}
                </span>
            </th>
            <td class=td>
                <span
                    class="block max-w-56 truncate font-mono text-xs text-slate-700 dark:text-slate-300"
                    title=source_title
                >
                    {table.source}
                </span>
            </td>
            <td class=td>
                <span class="flex flex-wrap gap-1">
                    <StatusBadge status=table.status />
                    {(!table.enabled).then(|| view! {
                        <span
                            data-testid="paused"
                            class="inline-flex items-center rounded-full bg-amber-50 px-2 py-0.5 text-xs font-medium whitespace-nowrap text-amber-800 ring-1 ring-amber-600/30 ring-inset dark:bg-amber-950 dark:text-amber-300 dark:ring-amber-400/30"
                        >
                            "Paused"
                        </span>
                    })}
                </span>
            </td>
            <td class=td_num>{format::thousands(table.rows)}</td>
            <td class=td_num>{format::thousands(table.segments)}</td>
            <td class=td>{time_cell(table.last_success_ms, "never")}</td>
            <td class=td>{next_run}</td>
            <td class="px-3 py-2 align-top">{last_error}</td>
        </tr>
    }
}

#[component]
fn EmptyState() -> impl IntoView {
    view! {
        <section
            data-testid="empty"
            class="mt-6 rounded-lg border border-dashed border-slate-300 px-6 py-10 text-center dark:border-slate-700"
        >
            <p class="font-medium">"No tables yet."</p>
            <p class="mt-2">
                <a href="/ui/connect" class=PRIMARY_BUTTON>"+ Connect External Table"</a>
            </p>
            <p class="mt-4 text-sm text-slate-600 dark:text-slate-400">
                "Or script it: create its schema first with "
                <code class="rounded bg-slate-100 px-1 py-0.5 font-mono whitespace-nowrap dark:bg-slate-800">
                    "POST /schemas"
                </code> "; "
                <code class="rounded bg-slate-100 px-1 py-0.5 font-mono whitespace-nowrap dark:bg-slate-800">
                    "POST /tables/preview"
                </code> " drafts both from your files, for example:"
            </p>
            <pre class="mx-auto mt-4 max-w-full overflow-x-auto rounded-md bg-slate-900 p-4 text-left font-mono text-xs text-slate-100 sm:max-w-2xl dark:bg-black/40">
                <code>{CREATE_EXAMPLE}</code>
            </pre>
        </section>
    }
}
