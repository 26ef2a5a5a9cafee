//! Step 5: the inferred schema with sample rows; set the time column, include partition columns,
//! rename the schema, change a column's type or role.

use leptos::prelude::*;

use super::{PreviewAnswer, Wizard};
use crate::client;
use crate::components::{Alert, INPUT, LABEL, MUTED, TH};
use crate::model::{FieldSpec, Schema};

const TYPES: [&str; 10] = [
    "STRING",
    "INT",
    "LONG",
    "FLOAT",
    "DOUBLE",
    "BOOLEAN",
    "TIMESTAMP",
    "BIG_DECIMAL",
    "JSON",
    "BYTES",
];
const ROLES: [(&str, &str); 3] = [
    ("dimension", "Dimension"),
    ("metric", "Metric"),
    ("dateTime", "Date-time"),
];
const NUMERIC: [&str; 5] = ["INT", "LONG", "FLOAT", "DOUBLE", "BIG_DECIMAL"];

/// Moves or retypes one column, keeping date-time columns' format in step with their type.
fn edit_column(schema: &mut Schema, name: &str, data_type: Option<&str>, role: Option<&str>) {
    let Some((current_role, mut field)) = take_field(schema, name) else {
        return;
    };
    if let Some(data_type) = data_type {
        field.data_type = data_type.to_owned();
    }
    let role = role.unwrap_or(current_role);
    if role == "dateTime" {
        let epoch = field.data_type != "TIMESTAMP";
        field.format = Some(
            if epoch {
                "1:MILLISECONDS:EPOCH"
            } else {
                "1:MILLISECONDS:TIMESTAMP"
            }
            .into(),
        );
        field.granularity = Some("1:MILLISECONDS".into());
    } else {
        field.format = None;
        field.granularity = None;
    }
    match role {
        "metric" => schema.metric_field_specs.push(field),
        "dateTime" => schema.date_time_field_specs.push(field),
        _ => schema.dimension_field_specs.push(field),
    }
}

fn take_field(schema: &mut Schema, name: &str) -> Option<(&'static str, FieldSpec)> {
    for (role, list) in [
        ("dimension", &mut schema.dimension_field_specs),
        ("metric", &mut schema.metric_field_specs),
        ("dateTime", &mut schema.date_time_field_specs),
    ] {
        if let Some(i) = list.iter().position(|f| f.name == name) {
            return Some((role, list.remove(i)));
        }
    }
    None
}

#[component]
pub fn SchemaStep(wizard: Wizard) -> impl IntoView {
    let preview = Action::new_local(move |include_partitions: &bool| {
        let provider = wizard.provider.get_untracked();
        let task_type = provider.map_or("ExternalTableSyncTask", |p| p.task_type());
        let name = wizard.suggested_table_name();
        let body = serde_json::json!({
            "tableConfig": {
                "tableName": name,
                "tableType": "OFFLINE",
                "task": { "taskTypeConfigsMap": { task_type: wizard.source_params() } },
            },
            "config": { "inference": {
                "embeddedSchemaEnabled": true,
                "includePartitionColumns": include_partitions,
            } },
        });
        async move { client::post::<PreviewAnswer>("/tables/preview", &body).await }
    });
    // Load once on arrival (keeping edits when coming back), and again when the
    // partition toggle changes what the source has.
    if wizard.schema.get_untracked().is_none() {
        preview.dispatch(wizard.include_partitions.get_untracked());
    }
    let (error, set_error) = signal(None::<String>);
    Effect::new(move |_| match preview.value().get() {
        Some(Ok(answer)) => {
            set_error.set(None);
            let time = answer.table_configs["offline"]["segmentsConfig"]["timeColumnName"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            wizard.time_column.set(time);
            if wizard.table_name.get_untracked().is_empty() {
                let name = answer.table_configs["offline"]["tableName"]
                    .as_str()
                    .unwrap_or_default();
                wizard
                    .table_name
                    .set(name.trim_end_matches("_OFFLINE").to_owned());
            }
            wizard.schema.set(answer.schema.clone());
            wizard.preview.set(Some(answer));
        }
        Some(Err(err)) => set_error.set(Some(err.message)),
        None => {}
    });

    view! {
        <div class="mt-3 grid gap-4 sm:grid-cols-3">
            <div>
                <label for="schema-name" class=LABEL>"Schema name"</label>
                <input
                    id="schema-name"
                    type="text"
                    class=format!("mt-1 {INPUT}")
                    prop:value=move || wizard.schema.with(|s| s.as_ref().map(|s| s.schema_name.clone()).unwrap_or_default())
                    on:input=move |ev| {
                        let name = event_target_value(&ev);
                        wizard.schema.update(|s| if let Some(s) = s { s.schema_name = name });
                    }
                />
            </div>
            <div>
                <label for="time-column" class=LABEL>"Time column"</label>
                <select
                    id="time-column"
                    class=format!("mt-1 {INPUT}")
                    prop:value=move || wizard.time_column.get()
                    on:change=move |ev| wizard.time_column.set(event_target_value(&ev))
                >
                    <option value="">"None (no time partitioning)"</option>
                    {move || wizard.schema.with(|s| s.as_ref().map(|s| s.date_time_field_specs.iter().map(|f| {
                        let name = f.name.clone();
                        view! { <option value=name.clone() selected=wizard.time_column.get_untracked() == name>{name.clone()}</option> }
                    }).collect_view()))}
                </select>
                <p class=format!("mt-1 text-xs {MUTED}")>"Date-time columns only; make a column Date-time below to offer it."</p>
            </div>
            <label class="flex items-center gap-2 self-center text-sm">
                <input
                    type="checkbox"
                    prop:checked=move || wizard.include_partitions.get()
                    on:change=move |ev| {
                        let include = event_target_checked(&ev);
                        wizard.include_partitions.set(include);
                        preview.dispatch(include);
                    }
                />
                "Include partition columns"
            </label>
        </div>
        {move || error.get().map(|message| view! { <Alert title="Could not read the source." message /> })}
        {move || preview.pending().get().then(|| view! { <p role="status" class=format!("mt-3 text-sm {MUTED}")>"Reading the source…"</p> })}
        {move || wizard.schema.get().map(|schema| view! { <ColumnsTable schema wizard /> })}
        {move || wizard.preview.get().map(|answer| view! { <SampleRows answer /> })}
    }
}

#[component]
fn ColumnsTable(schema: Schema, wizard: Wizard) -> impl IntoView {
    let rows = schema
        .columns()
        .map(|(role, field)| {
            let name = field.name.clone();
            let type_id = format!("type-{name}");
            let role_id = format!("role-{name}");
            let (n1, n2) = (name.clone(), name.clone());
            let data_type = field.data_type.clone();
            view! {
                <tr data-column=name.clone()>
                    <th scope="row" class="px-3 py-1.5 text-left font-mono text-xs font-medium">{name.clone()}</th>
                    <td class="px-3 py-1.5">
                        <label for=type_id.clone() class="sr-only">{format!("Type of {name}")}</label>
                        <select
                            id=type_id
                            class=INPUT
                            on:change=move |ev| {
                                let value = event_target_value(&ev);
                                wizard.schema.update(|s| if let Some(s) = s { edit_column(s, &n1, Some(&value), None) });
                            }
                        >
                            {TYPES.iter().map(|t| view! { <option value=*t selected=*t == data_type>{*t}</option> }).collect_view()}
                        </select>
                    </td>
                    <td class="px-3 py-1.5">
                        <label for=role_id.clone() class="sr-only">{format!("Role of {name}")}</label>
                        <select
                            id=role_id
                            class=INPUT
                            on:change=move |ev| {
                                let value = event_target_value(&ev);
                                wizard.schema.update(|s| if let Some(s) = s { edit_column(s, &n2, None, Some(&value)) });
                            }
                        >
                            {ROLES.iter().map(|(id, label)| {
                                let disabled = *id == "metric" && !NUMERIC.contains(&field.data_type.as_str());
                                view! { <option value=*id selected=*id == role disabled=disabled>{*label}</option> }
                            }).collect_view()}
                        </select>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div tabindex="0" role="region" aria-label="Columns" class="mt-4 overflow-x-auto">
            <table data-testid="schema-columns" class="min-w-full divide-y divide-slate-200 text-sm dark:divide-slate-800">
                <caption class="text-left text-sm font-semibold">"Columns"</caption>
                <thead>
                    <tr>
                        <th scope="col" class=TH>"Column"</th>
                        <th scope="col" class=TH>"Type"</th>
                        <th scope="col" class=TH>"Role"</th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-200 dark:divide-slate-800">{rows}</tbody>
            </table>
        </div>
    }
}

#[component]
fn SampleRows(answer: PreviewAnswer) -> impl IntoView {
    let columns: Vec<String> = answer
        .rows
        .first()
        .and_then(|r| r.as_object())
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    let th = "px-2 py-1 text-left text-xs font-semibold whitespace-nowrap";
    let shown: Vec<serde_json::Value> = answer.rows.into_iter().take(10).collect();
    let files = answer.summary["batch"]["nMatchingFiles"]
        .as_u64()
        .unwrap_or(0);
    view! {
        <div class="mt-4">
            <h3 class="text-sm font-semibold">"Sample rows"</h3>
            <p class=format!("text-xs {MUTED}")>{format!("From {files} matching files")}</p>
            {answer.warnings.into_iter().map(|w| view! { <p class="text-xs text-amber-700 dark:text-amber-400">{w}</p> }).collect_view()}
            <div tabindex="0" role="region" aria-label="Sample rows" class="mt-2 max-h-80 overflow-auto rounded-md border border-slate-200 dark:border-slate-800">
                <table data-testid="sample-rows" class="min-w-full divide-y divide-slate-200 font-mono text-xs dark:divide-slate-800">
                    <caption class="sr-only">"Sample rows as they will be loaded"</caption>
                    <thead class="sticky top-0 bg-slate-50 dark:bg-slate-800">
                        <tr>{columns.iter().map(|c| view! { <th scope="col" class=th>{c.clone()}</th> }).collect_view()}</tr>
                    </thead>
                    <tbody class="divide-y divide-slate-200 dark:divide-slate-800">
                        {shown.into_iter().map(|row| {
                            let cells = columns.iter().map(|c| {
                                let text = match &row[c] {
                                    serde_json::Value::String(s) => s.clone(),
                                    serde_json::Value::Null => "null".into(),
                                    other => other.to_string(),
                                };
                                view! { <td class="px-2 py-1 whitespace-nowrap">{text}</td> }
                            }).collect_view();
                            view! { <tr>{cells}</tr> }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str, data_type: &str) -> FieldSpec {
        FieldSpec {
            name: name.into(),
            data_type: data_type.into(),
            ..Default::default()
        }
    }

    #[test]
    fn columns_move_between_roles_and_date_times_get_a_format() {
        let mut schema = Schema {
            schema_name: "t".into(),
            dimension_field_specs: vec![spec("id", "LONG"), spec("at", "LONG")],
            ..Default::default()
        };
        edit_column(&mut schema, "at", None, Some("dateTime"));
        assert_eq!(
            schema.date_time_field_specs[0].format.as_deref(),
            Some("1:MILLISECONDS:EPOCH")
        );
        edit_column(&mut schema, "at", Some("TIMESTAMP"), None);
        assert_eq!(
            schema.date_time_field_specs[0].format.as_deref(),
            Some("1:MILLISECONDS:TIMESTAMP")
        );
        edit_column(&mut schema, "id", None, Some("metric"));
        assert_eq!(schema.metric_field_specs[0].name, "id");
        assert_eq!(schema.dimension_field_specs.len(), 0);
        edit_column(&mut schema, "at", None, Some("dimension"));
        assert_eq!(schema.dimension_field_specs[0].format, None);
    }
}
