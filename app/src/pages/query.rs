//! The query console: SQL in, a results grid out, with timing and the engine's error word for word.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::client::{self, ApiFailure};
use crate::components::{Alert, CARD, INPUT, LABEL, MAIN, MUTED, PRIMARY_BUTTON, PageHeader};
use crate::format;
use lakeport_wire::query::{QueryAnswer, SqlRequest};

const DEFAULT_SQL: &str = "SELECT 1";

#[component]
pub fn QueryPage() -> impl IntoView {
    let query = use_query_map();
    let initial = query
        .read_untracked()
        .get("sql")
        .unwrap_or_else(|| DEFAULT_SQL.to_owned());
    let (sql, set_sql) = signal(initial);
    let run = Action::new_local(move |sql: &String| {
        let sql = sql.clone();
        async move { client::post::<QueryAnswer>("/query/sql", &SqlRequest { sql }).await }
    });
    let submit = move || {
        if !run.pending().get_untracked() {
            run.dispatch(sql.get_untracked());
        }
    };

    view! {
        <Title text="Query" />
        <main id="main" class=MAIN>
            <PageHeader title="Query" />
            <form
                class=format!("mt-4 p-4 {CARD}")
                on:submit=move |ev| {
                    ev.prevent_default();
                    submit();
                }
            >
                <label for="sql" class=LABEL>"SQL"</label>
                <textarea
                    id="sql"
                    name="sql"
                    rows="6"
                    spellcheck="false"
                    aria-describedby="sql-help"
                    class=format!("mt-1 font-mono {INPUT}")
                    prop:value=sql
                    on:input=move |ev| set_sql.set(event_target_value(&ev))
                    on:keydown=move |ev| {
                        if ev.key() == "Enter" && (ev.ctrl_key() || ev.meta_key()) {
                            ev.prevent_default();
                            submit();
                        }
                    }
                ></textarea>
                <p id="sql-help" class=format!("mt-1 text-xs {MUTED}")>
                    "Read-only SQL (SELECT, WITH, EXPLAIN) over every synced table. Ctrl+Enter runs it."
                </p>
                <button
                    type="submit"
                    data-testid="run-query"
                    class=format!("mt-3 {PRIMARY_BUTTON}")
                    aria-busy=move || run.pending().get().then_some("true")
                >
                    {move || if run.pending().get() { "Running…" } else { "Run" }}
                </button>
            </form>
            <div aria-live="polite">
                {move || run.value().get().map(|result| match result {
                    Ok(answer) => view! { <Results answer /> }.into_any(),
                    Err(err) => view! { <QueryError err /> }.into_any(),
                })}
            </div>
        </main>
    }
}

#[component]
fn QueryError(err: ApiFailure) -> impl IntoView {
    view! { <div data-testid="query-error"><Alert title="The query failed." message=err.message /></div> }
}

#[component]
fn Results(answer: QueryAnswer) -> impl IntoView {
    let shown = answer.result_table.rows.len();
    // A partial answer stopped at the server's row or byte limit: more rows exist.
    let summary = format!(
        "{}{} rows in {} · {} segments",
        if answer.partial_result { "first " } else { "" },
        format::thousands(shown as i64),
        format::duration_ms(answer.time_used_ms as i64),
        answer.num_segments_queried,
    );
    let th = "px-3 py-2 text-left text-xs font-semibold whitespace-nowrap text-slate-600 dark:text-slate-400";
    let columns = answer.result_table.data_schema;
    view! {
        <p data-testid="query-summary" class=format!("mt-4 text-sm {MUTED}")>{summary}</p>
        <div tabindex="0" role="region" aria-label="Query results" class=format!("mt-2 max-h-[32rem] overflow-auto {CARD}")>
            <table data-testid="results" class="min-w-full divide-y divide-slate-200 text-sm dark:divide-slate-800">
                <caption class="sr-only">"Query results"</caption>
                <thead class="sticky top-0 bg-slate-50 dark:bg-slate-800">
                    <tr>
                        {columns.column_names.into_iter().zip(columns.column_data_types).map(|(name, kind)| view! {
                            <th scope="col" class=th>
                                {name} <span class="ml-1 font-normal text-slate-500 dark:text-slate-400">{kind}</span>
                            </th>
                        }).collect_view()}
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-200 font-mono text-xs dark:divide-slate-800">
                    {answer.result_table.rows.into_iter().map(|row| view! {
                        <tr>
                            {row.into_iter().map(|cell| view! {
                                <td class="px-3 py-1.5 whitespace-nowrap tabular-nums">{cell_text(&cell)}</td>
                            }).collect_view()}
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

fn cell_text(cell: &serde_json::Value) -> String {
    match cell {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Null => "null".into(),
        other => other.to_string(),
    }
}
