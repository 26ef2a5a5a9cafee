//! Step 5: the inferred schema with sample rows; set the time column, include partition columns,
//! rename the schema, change a column's type or role.

use leptos::prelude::*;

use lakeport_wire::preview::{InferenceOptions, PreviewOptions, PreviewRequest, PreviewResponse};
use lakeport_wire::rules::{DEFAULT_SYNC_TASK, OFFLINE_SUFFIX};
use lakeport_wire::schema::{FieldDataType, FieldRole, TableSchema};
use lakeport_wire::table_config::{TableConfig, TaskConfig};

use super::Wizard;
use crate::client;
use crate::components::{Alert, INPUT, LABEL, MUTED, TH};

/// Moves or retypes one column, keeping date-time columns' format in step with their type.
fn edit_column(
    schema: &mut TableSchema,
    name: &str,
    data_type: Option<FieldDataType>,
    role: Option<FieldRole>,
) {
    let Some((current_role, mut field)) = schema.take_field(name) else {
        return;
    };
    if let Some(data_type) = data_type {
        field.data_type = data_type;
    }
    let role = role.unwrap_or(current_role);
    field.fit_role(role);
    schema.specs_mut(role).push(field);
}

/// The preview request for what the wizard has picked so far.
fn preview_request(wizard: Wizard, include_partitions: bool) -> PreviewRequest {
    let provider = wizard.provider.get_untracked();
    let task_type = provider.map_or(DEFAULT_SYNC_TASK, |p| p.task_type());
    let name = wizard.suggested_table_name();
    PreviewRequest {
        table_config: TableConfig {
            table_name: name,
            table_type: Some("OFFLINE".into()),
            segments_config: Default::default(),
            task: Some(TaskConfig {
                task_type_configs_map: [(task_type.to_owned(), wizard.source_params())].into(),
                extra: Default::default(),
            }),
            extra: Default::default(),
        },
        config: PreviewOptions {
            inference: InferenceOptions {
                embedded_schema_enabled: true,
                include_partition_columns: include_partitions,
                ..Default::default()
            },
            ..Default::default()
        },
        schema: None,
    }
}

#[component]
pub fn SchemaStep(wizard: Wizard) -> impl IntoView {
    let preview = Action::new_local(move |include_partitions: &bool| {
        let body = preview_request(wizard, *include_partitions);
        async move { client::post::<PreviewResponse>("/tables/preview", &body).await }
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
            let offline = &answer.table_configs.offline;
            let time = offline.segments_config.time_column_name.clone();
            wizard.time_column.set(time.unwrap_or_default());
            if wizard.table_name.get_untracked().is_empty() {
                let name = offline.table_name.trim_end_matches(OFFLINE_SUFFIX);
                wizard.table_name.set(name.to_owned());
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
fn ColumnsTable(schema: TableSchema, wizard: Wizard) -> impl IntoView {
    let rows = schema
        .fields()
        .map(|(role, field)| {
            let name = field.name.clone();
            let type_id = format!("type-{name}");
            let role_id = format!("role-{name}");
            let (n1, n2) = (name.clone(), name.clone());
            let data_type = field.data_type;
            view! {
                <tr data-column=name.clone()>
                    <th scope="row" class="px-3 py-1.5 text-left font-mono text-xs font-medium">{name.clone()}</th>
                    <td class="px-3 py-1.5">
                        <label for=type_id.clone() class="sr-only">{format!("Type of {name}")}</label>
                        <select
                            id=type_id
                            class=INPUT
                            on:change=move |ev| {
                                let value = FieldDataType::from_name(&event_target_value(&ev));
                                wizard.schema.update(|s| if let Some(s) = s { edit_column(s, &n1, value, None) });
                            }
                        >
                            {FieldDataType::ALL.iter().map(|t| view! { <option value=t.name() selected=*t == data_type>{t.name()}</option> }).collect_view()}
                        </select>
                    </td>
                    <td class="px-3 py-1.5">
                        <label for=role_id.clone() class="sr-only">{format!("Role of {name}")}</label>
                        <select
                            id=role_id
                            class=INPUT
                            on:change=move |ev| {
                                let value = FieldRole::from_id(&event_target_value(&ev));
                                wizard.schema.update(|s| if let Some(s) = s { edit_column(s, &n2, None, value) });
                            }
                        >
                            {FieldRole::ALL.iter().map(|r| {
                                let disabled = *r == FieldRole::Metric && !field.data_type.is_numeric();
                                view! { <option value=r.id() selected=*r == role disabled=disabled>{r.label()}</option> }
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
fn SampleRows(answer: PreviewResponse) -> impl IntoView {
    let columns: Vec<String> = answer
        .rows
        .first()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    let th = "px-2 py-1 text-left text-xs font-semibold whitespace-nowrap";
    let shown: Vec<_> = answer.rows.into_iter().take(10).collect();
    let files = answer.summary.batch.n_matching_files;
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
                                let text = match row.get(c) {
                                    Some(serde_json::Value::String(s)) => s.clone(),
                                    Some(serde_json::Value::Null) | None => "null".into(),
                                    Some(other) => other.to_string(),
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
    use lakeport_wire::schema::FieldSpec;

    #[test]
    fn columns_move_between_roles_and_date_times_get_a_format() {
        let mut schema = TableSchema::named("t");
        schema.dimension_field_specs = vec![
            FieldSpec::new("id", FieldDataType::Long),
            FieldSpec::new("at", FieldDataType::Long),
        ];
        edit_column(&mut schema, "at", None, Some(FieldRole::DateTime));
        assert_eq!(
            schema.date_time_field_specs[0].format.as_deref(),
            Some("1:MILLISECONDS:EPOCH")
        );
        edit_column(&mut schema, "at", Some(FieldDataType::Timestamp), None);
        assert_eq!(
            schema.date_time_field_specs[0].format.as_deref(),
            Some("1:MILLISECONDS:TIMESTAMP")
        );
        edit_column(&mut schema, "id", None, Some(FieldRole::Metric));
        assert_eq!(schema.metric_field_specs[0].name, "id");
        assert_eq!(schema.dimension_field_specs.len(), 0);
        edit_column(&mut schema, "at", None, Some(FieldRole::Dimension));
        assert_eq!(schema.dimension_field_specs[0].format, None);
    }
}
