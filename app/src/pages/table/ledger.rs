//! The per-file ledger (each failed file with its first error) and the table's schema.

use leptos::prelude::*;

use crate::components::{CARD, MUTED, StatusBadge, TH, none_cell};
use crate::format;
use lakeport_wire::schema::TableSchema;
use lakeport_wire::tables::LedgerFile;

const TD: &str = "px-3 py-2 align-top whitespace-nowrap";

fn ledger_status(state: &str) -> String {
    match state {
        "LOADED" => "COMPLETED".into(),
        other => other.into(),
    }
}

#[component]
pub fn LedgerTable(files: Vec<LedgerFile>) -> impl IntoView {
    let failed = files.iter().filter(|f| f.state == "FAILED").count();
    let summary = format!("{} files, {failed} failed", files.len());
    view! {
        <section aria-labelledby="files-heading" class=format!("mt-6 p-4 {CARD}")>
            <h2 id="files-heading" class="text-sm font-semibold">"Files"</h2>
            <p class=format!("text-sm {MUTED}")>{summary}</p>
            <div tabindex="0" role="region" aria-label="Files" class="mt-2 max-h-96 overflow-auto">
                <table data-testid="ledger" class="min-w-full divide-y divide-slate-200 text-sm dark:divide-slate-800">
                    <caption class="sr-only">"Source files and how each loaded"</caption>
                    <thead>
                        <tr>
                            <th scope="col" class=TH>"File"</th>
                            <th scope="col" class=TH>"State"</th>
                            <th scope="col" class=TH>"Rows"</th>
                            <th scope="col" class=TH>"Size"</th>
                            <th scope="col" class=TH>"Attempts"</th>
                            <th scope="col" class=TH>"First error"</th>
                        </tr>
                    </thead>
                    <tbody class="divide-y divide-slate-200 dark:divide-slate-800">
                        {files.into_iter().map(|file| { let key = file.file_key.clone(); view! {
                            <tr data-file=key>
                                <td class=format!("{TD} font-mono text-xs")>{file.file_key}</td>
                                <td class=TD>
                                    <span class="sr-only">{file.state.clone()}</span>
                                    <StatusBadge status=ledger_status(&file.state) />
                                </td>
                                <td class=format!("{TD} tabular-nums")>{file.row_count.map(format::thousands)}</td>
                                <td class=format!("{TD} tabular-nums")>{format::bytes(file.size_bytes)}</td>
                                <td class=format!("{TD} tabular-nums")>{file.attempts}</td>
                                <td class="min-w-64 px-3 py-2 align-top text-xs break-words whitespace-pre-wrap text-red-800 dark:text-red-300">
                                    {file.first_error.map_or_else(|| none_cell("no error"), |e| view! { {e} }.into_any())}
                                </td>
                            </tr>
                        }}).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

#[component]
pub fn SchemaTable(schema: TableSchema) -> impl IntoView {
    let rows = schema
        .fields()
        .map(|(role, field)| {
            let detail = match (&field.format, field.single_value_field) {
                (Some(format), _) => format.clone(),
                (None, false) => "multi-value".into(),
                (None, true) => String::new(),
            };
            view! {
                <tr>
                    <td class=format!("{TD} font-mono text-xs")>{field.name.clone()}</td>
                    <td class=TD>{field.data_type.name()}</td>
                    <td class=TD>{role.id()}</td>
                    <td class=format!("{TD} text-xs")>{detail}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section aria-labelledby="schema-heading" class=format!("mt-6 p-4 {CARD}")>
            <h2 id="schema-heading" class="text-sm font-semibold">"Schema " <code class="font-mono">{schema.schema_name.clone()}</code></h2>
            <div tabindex="0" role="region" aria-label="Schema columns" class="mt-2 overflow-x-auto">
                <table data-testid="schema" class="min-w-full divide-y divide-slate-200 text-sm dark:divide-slate-800">
                    <caption class="sr-only">"Columns of the table"</caption>
                    <thead>
                        <tr>
                            <th scope="col" class=TH>"Column"</th>
                            <th scope="col" class=TH>"Type"</th>
                            <th scope="col" class=TH>"Role"</th>
                            <th scope="col" class=TH>"Format"</th>
                        </tr>
                    </thead>
                    <tbody class="divide-y divide-slate-200 dark:divide-slate-800">{rows}</tbody>
                </table>
            </div>
        </section>
    }
}
