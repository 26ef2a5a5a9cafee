//! A table's dashboard: live status, files vs segments, checkpoint, errors, run history, ledger,
//! schema and a query to start from; for a REALTIME table its ingestion instead of the sync, and
//! for a table with a DataExportTask its exports.

mod exports;
mod ingestion;
mod ledger;
mod runs;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::client::{self, ApiFailure, ApiResult, encode_component};
use crate::components::{
    Alert, CARD, DANGER_BUTTON, MAIN, MUTED, PageHeader, SECONDARY_BUTTON, StatusBadge, confirm,
    time_cell, use_polling,
};
use crate::format;
use lakeport_wire::exports::ExportStatus;
use lakeport_wire::realtime::IngestionStatus;
use lakeport_wire::rules::EXPORT_TASK_TYPE;
use lakeport_wire::schema::TableSchema;
use lakeport_wire::table_config::strip_type_suffix;
use lakeport_wire::tables::{Ledger, ScheduledTasks, TableConfigs, TableStateChanged, TableStatus};

/// How often the dashboard refreshes while it is open.
const POLL_MS: u64 = 2_000;

/// What the page shows depends on the config: a REALTIME table has ingestion and no files,
/// and only a config with a DataExportTask block has exports.
fn is_realtime(configs: &ApiResult<TableConfigs>) -> bool {
    matches!(configs, Ok(c) if c.realtime.is_some())
}

fn has_export(configs: &ApiResult<TableConfigs>) -> bool {
    matches!(configs, Ok(c) if c.config().and_then(|c| c.task_params(EXPORT_TASK_TYPE)).is_some())
}

#[component]
pub fn TablePage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.read().get("name").unwrap_or_default();
    let configs = Resource::new(name, |name| async move {
        client::get::<TableConfigs>(&format!("/tables/{}", encode_component(&name))).await
    });
    let status = Resource::new(name, |name| async move {
        client::get::<TableStatus>(&format!(
            "/tables/{}/externalTable/status",
            encode_component(&name)
        ))
        .await
    });
    // The panels that apply to only some tables wait for the config, then ask only for theirs.
    let ledger = Resource::new(name, move |name| async move {
        if is_realtime(&configs.await) {
            return Ok(None);
        }
        client::get::<Ledger>(&format!(
            "/tables/{}/externalTable/files",
            encode_component(&name)
        ))
        .await
        .map(Some)
    });
    let ingestion = Resource::new(name, move |name| async move {
        if !is_realtime(&configs.await) {
            return Ok(None);
        }
        client::get::<IngestionStatus>(&format!("/tables/{}/ingestion", encode_component(&name)))
            .await
            .map(Some)
    });
    let exports = Resource::new(name, move |name| async move {
        if !has_export(&configs.await) {
            return Ok(None);
        }
        client::get::<ExportStatus>(&format!("/tables/{}/exports", encode_component(&name)))
            .await
            .map(Some)
    });
    let schema = Resource::new(name, move |name| async move {
        table_schema(name, configs.await).await
    });
    let export_now = exports::export_now_action();
    Effect::new(move |_| {
        if let Some(Ok(_)) = export_now.value().get() {
            exports.refetch();
        }
    });
    let refresh = move || {
        status.refetch();
        ledger.refetch();
        ingestion.refetch();
        exports.refetch();
    };
    use_polling(POLL_MS, refresh);

    view! {
        <Title text=name />
        <main id="main" class=MAIN>
            <nav aria-label="Breadcrumb" class=format!("text-sm {MUTED}")>
                <a href="/ui/tables" class="hover:underline">"Tables"</a>
                " / "
            </nav>
            <Transition fallback=|| view! { <p class=format!("mt-4 text-sm {MUTED}")>"Loading table…"</p> }>
                {move || Suspend::new(async move {
                    let realtime = is_realtime(&configs.await);
                    match status.await {
                        Ok(status) => view! { <Dashboard name=name() status realtime refresh /> }.into_any(),
                        Err(err) => {
                            set_missing_status(&err);
                            view! { <Alert title="Could not load the table." message=err.message /> }.into_any()
                        }
                    }
                })}
            </Transition>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match ingestion.await {
                        Ok(Some(ingestion)) => {
                            let table = ingestion.table_name_with_type.clone();
                            view! {
                                <ingestion::IngestionPanel ingestion />
                                <ingestion::PushSnippet table />
                            }.into_any()
                        }
                        Ok(None) => ().into_any(),
                        Err(err) => view! { <Alert title="Could not load the ingestion status." message=err.message /> }.into_any(),
                    }
                })}
            </Transition>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match exports.await {
                        Ok(Some(exports)) => view! { <exports::ExportsPanel exports export_now /> }.into_any(),
                        Ok(None) => ().into_any(),
                        Err(err) => view! { <Alert title="Could not load the exports." message=err.message /> }.into_any(),
                    }
                })}
            </Transition>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    status.await.ok().map(|_| view! { <QuerySnippet name=name() /> })
                })}
            </Transition>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match ledger.await {
                        Ok(Some(ledger)) => view! { <ledger::LedgerTable files=ledger.files /> }.into_any(),
                        Ok(None) => ().into_any(),
                        Err(err) => view! { <Alert title="Could not load the files." message=err.message /> }.into_any(),
                    }
                })}
            </Transition>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match schema.await {
                        Ok(schema) => view! { <ledger::SchemaTable schema /> }.into_any(),
                        Err(err) => view! { <Alert title="Could not load the schema." message=err.message /> }.into_any(),
                    }
                })}
            </Transition>
        </main>
    }
}

/// A page about a table that does not exist answers 404, as the API does.
fn set_missing_status(err: &ApiFailure) {
    #[cfg(feature = "ssr")]
    if err.status == 404
        && let Some(response) = use_context::<leptos_axum::ResponseOptions>()
    {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = err;
}

/// The schema the table's config names (it may have been renamed in the wizard).
async fn table_schema(name: String, configs: ApiResult<TableConfigs>) -> ApiResult<TableSchema> {
    let configs = configs?;
    let schema_name = configs
        .config()
        .and_then(|c| c.segments_config.schema_name.clone())
        .unwrap_or(name);
    client::get::<TableSchema>(&format!("/schemas/{}", encode_component(&schema_name))).await
}

#[component]
fn Dashboard(
    name: String,
    status: TableStatus,
    realtime: bool,
    refresh: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let shown_status = if status.latest.status != "RUNNING" && !status.enabled {
        "PAUSED".to_owned()
    } else {
        status.latest.status.clone()
    };
    let header = view! {
        <div class="mt-2">
            <PageHeader title=name.clone()>
                {realtime.then(|| view! {
                    <span
                        data-testid="table-type"
                        class="inline-flex items-center rounded-md bg-sky-50 px-2 py-0.5 font-mono text-xs font-medium text-sky-800 ring-1 ring-sky-600/20 ring-inset dark:bg-sky-950 dark:text-sky-300 dark:ring-sky-400/30"
                    >
                        "REALTIME"
                    </span>
                })}
                <span data-testid="table-status"><StatusBadge status=shown_status /></span>
                <Actions name=name.clone() enabled=status.enabled realtime refresh />
            </PageHeader>
        </div>
    };
    // Rows are pushed into a REALTIME table: it has no sync runs, schedule or checkpoint to show.
    if realtime {
        return header.into_any();
    }
    let checkpoint = match (&status.checkpoint_type, &status.latest.checkpoint_value) {
        (Some(kind), Some(value)) if kind == "SNAPSHOT_ID" => format!("snapshot {value}"),
        (Some(_), Some(value)) if value.parse::<i64>().is_ok() => {
            format!(
                "files up to {}",
                format::utc_datetime(value.parse().unwrap_or_default())
            )
        }
        (Some(_), Some(value)) => format!("watermark {value}"),
        _ => "none yet".to_owned(),
    };
    let last_error = status
        .latest
        .error_message
        .clone()
        .filter(|e| !e.is_empty());
    let files = i64::from(status.latest.files_discovered);
    let segments = i64::from(status.latest.segments_generated);

    view! {
        {header}
        <dl class="mt-6 grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-6">
            <Stat label="Rows" testid="rows">{format::thousands(status.total_rows)}</Stat>
            <Stat label="Segments" testid="segments">{format::thousands(status.total_segments)}</Stat>
            <Stat label="Stored" testid="bytes">{format::bytes(status.total_bytes)}</Stat>
            <Stat label="Checkpoint" testid="checkpoint">
                <span class="break-all">{checkpoint}</span>
            </Stat>
            <Stat label="Schedule" testid="schedule">
                <code class="font-mono text-xs">{status.schedule.clone()}</code>
            </Stat>
            <Stat label="Next run (UTC)" testid="next-run">
                {if status.enabled { time_cell(status.next_run_time_ms, "not scheduled") } else { view! { "paused" }.into_any() }}
            </Stat>
        </dl>
        <section aria-labelledby="progress-heading" class=format!("mt-6 p-4 {CARD}")>
            <h2 id="progress-heading" class="text-sm font-semibold">"Latest run"</h2>
            <p class=format!("mt-1 text-sm {MUTED}")>
                {time_cell((status.latest.start_time_ms > 0).then_some(status.latest.start_time_ms), "no run yet")}
                {(status.files_failed > 0).then(|| format!(" · {} files failed", status.files_failed))}
            </p>
            <ProgressBar files segments />
            {last_error.map(|error| view! {
                <div data-testid="last-error" class="mt-3">
                    <h3 class="text-sm font-medium text-red-800 dark:text-red-300">"Last error"</h3>
                    <pre class="mt-1 max-h-64 overflow-auto rounded-md bg-red-50 p-3 text-xs break-words whitespace-pre-wrap text-red-900 dark:bg-red-950 dark:text-red-100">{error}</pre>
                </div>
            })}
        </section>
        <runs::RunHistory runs=status.runs />
    }
    .into_any()
}

/// A query to start from, by the name SQL uses.
#[component]
fn QuerySnippet(name: String) -> impl IntoView {
    let sql = format!("SELECT count(*) FROM {}", strip_type_suffix(&name));
    let query_link = format!("/ui/query?sql={}", encode_component(&sql));
    view! {
        <section aria-labelledby="sql-heading" class=format!("mt-6 p-4 {CARD}")>
            <h2 id="sql-heading" class="text-sm font-semibold">"Query it"</h2>
            <pre class="mt-2 overflow-x-auto rounded-md bg-slate-900 p-3 font-mono text-xs text-slate-100 dark:bg-black/40"><code data-testid="sql-snippet">{sql}</code></pre>
            <a href=query_link class="mt-2 inline-block text-sm font-medium text-sky-700 hover:underline dark:text-sky-400">
                "Open in the query console"
            </a>
        </section>
    }
}

#[component]
fn Stat(label: &'static str, testid: &'static str, children: Children) -> impl IntoView {
    view! {
        <div class=format!("p-3 {CARD}")>
            <dt class=format!("text-xs font-medium uppercase {MUTED}")>{label}</dt>
            <dd data-testid=testid class="mt-1 text-lg font-semibold tabular-nums">{children()}</dd>
        </div>
    }
}

/// Files discovered vs segments generated by the latest run.
#[component]
fn ProgressBar(files: i64, segments: i64) -> impl IntoView {
    let percent = if files > 0 {
        (segments.min(files) * 100 / files) as u32
    } else {
        0
    };
    let label = format!("{segments} of {files} files turned into segments");
    view! {
        <div class="mt-3">
            <div class="flex justify-between text-sm">
                <span>"Files discovered vs segments generated"</span>
                <span data-testid="progress-text" class="tabular-nums">{format!("{segments} / {files}")}</span>
            </div>
            <div
                role="progressbar"
                aria-label=label
                aria-valuemin="0"
                aria-valuemax=files.to_string()
                aria-valuenow=segments.min(files).to_string()
                class="mt-1 h-2 w-full overflow-hidden rounded-full bg-slate-200 dark:bg-slate-800"
            >
                <div class="h-full rounded-full bg-sky-600" style=format!("width: {percent}%")></div>
            </div>
        </div>
    }
}

/// Sync now and Pause / Resume, each after a confirmation.
#[component]
fn Actions(
    name: String,
    enabled: bool,
    realtime: bool,
    refresh: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let (error, set_error) = signal(None::<ApiFailure>);
    let table = encode_component(&name);
    let act = Action::new_local(move |path: &String| {
        let path = path.clone();
        async move {
            if path.starts_with("/tasks") {
                client::post::<ScheduledTasks>(&path, &serde_json::Value::Null)
                    .await
                    .map(drop)
            } else {
                client::put::<TableStateChanged>(&path, None)
                    .await
                    .map(drop)
            }
        }
    });
    Effect::new(move |_| match act.value().get() {
        Some(Ok(_)) => {
            set_error.set(None);
            refresh();
        }
        Some(Err(err)) => set_error.set(Some(err)),
        None => {}
    });
    let sync_path = format!("/tasks/schedule?taskType=ExternalTableSyncTask&tableName={table}");
    let (state_path, state_label, state_question) = match (enabled, realtime) {
        (true, false) => (
            format!("/tables/{table}/state?state=disable"),
            "Pause ingestion",
            format!(
                "Pause ingestion of {name}? A run in progress finishes; no new runs start until you resume."
            ),
        ),
        (true, true) => (
            format!("/tables/{table}/state?state=disable"),
            "Pause ingestion",
            format!(
                "Pause ingestion of {name}? Rows pushed to it are refused until you resume; rows already taken stay queryable."
            ),
        ),
        (false, false) => (
            format!("/tables/{table}/state?state=enable"),
            "Resume ingestion",
            format!("Resume ingestion of {name}? It continues from its checkpoint."),
        ),
        (false, true) => (
            format!("/tables/{table}/state?state=enable"),
            "Resume ingestion",
            format!("Resume ingestion of {name}? It takes pushed rows again."),
        ),
    };
    let sync_question = format!("Sync {name} now?");
    let busy = move || act.pending().get().then_some("true");
    // A REALTIME table has no sync: its rows are pushed.
    let sync_now = (!realtime).then(|| {
        view! {
            <button
                type="button"
                data-testid="sync-now"
                class=SECONDARY_BUTTON
                disabled=!enabled
                title=(!enabled).then_some("Resume the table to sync it")
                aria-busy=busy
                on:click=move |_| {
                    if confirm(&sync_question) {
                        act.dispatch(sync_path.clone());
                    }
                }
            >
                "Sync now"
            </button>
        }
    });
    view! {
        {sync_now}
        <button
            type="button"
            data-testid="toggle-state"
            class=if enabled { DANGER_BUTTON } else { SECONDARY_BUTTON }
            aria-busy=busy
            on:click=move |_| {
                if confirm(&state_question) {
                    act.dispatch(state_path.clone());
                }
            }
        >
            {state_label}
        </button>
        {move || error.get().map(|e| view! { <p role="alert" class="w-full text-sm text-red-700 dark:text-red-400">{e.message}</p> })}
    }
}
