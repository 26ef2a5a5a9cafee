//! Steps 6 and 7: table settings (schedule with its reading and next runs, null handling, push type,
//! name), then Create, which lands on the new table's page with its first sync running.

use lakeport_wire::StatusMessage;
use lakeport_wire::rules::{OFFLINE_SUFFIX, valid_identifier};
use lakeport_wire::schema::TableSchema;
use lakeport_wire::table_config::TableConfig;
use lakeport_wire::tables::ScheduleExplained;
use leptos::prelude::*;

use super::Wizard;
use crate::client::{self, encode_component};
use crate::components::{Alert, INPUT, LABEL, MUTED, PRIMARY_BUTTON, time_cell};

pub fn ready(wizard: Wizard) -> bool {
    valid_identifier(&wizard.table_name.get_untracked())
        && !wizard.schedule.get_untracked().trim().is_empty()
}

#[component]
pub fn SettingsStep(wizard: Wizard) -> impl IntoView {
    let explain = Action::new_local(move |schedule: &String| {
        let path = format!("/schedules/explain?schedule={}", encode_component(schedule));
        async move { client::get::<ScheduleExplained>(&path).await }
    });
    Effect::new(move |_| {
        explain.dispatch(wizard.schedule.get());
    });
    let name_error = move || {
        let name = wizard.table_name.get();
        (!valid_identifier(&name)).then_some(
            "Use letters, digits and '_', starting with a letter or '_' (it is the name SQL uses).",
        )
    };
    view! {
        <div class="mt-4 grid gap-5 sm:grid-cols-2">
            <div>
                <label for="table-name" class=LABEL>"Table name"</label>
                <input
                    id="table-name"
                    type="text"
                    spellcheck="false"
                    aria-invalid=move || name_error().is_some().then_some("true")
                    aria-describedby="table-name-error"
                    class=format!("mt-1 {INPUT}")
                    prop:value=move || wizard.table_name.get()
                    on:input=move |ev| wizard.table_name.set(event_target_value(&ev))
                />
                <p id="table-name-error" class="mt-1 text-sm text-red-700 dark:text-red-400">{name_error}</p>
            </div>
            <div>
                <label for="schedule" class=LABEL>"Ingestion schedule (cron)"</label>
                <input
                    id="schedule"
                    type="text"
                    spellcheck="false"
                    aria-describedby="schedule-reading"
                    class=format!("mt-1 font-mono {INPUT}")
                    prop:value=move || wizard.schedule.get()
                    on:input=move |ev| wizard.schedule.set(event_target_value(&ev))
                />
                <div id="schedule-reading" aria-live="polite" class="mt-1 text-sm">
                    {move || explain.value().get().map(|result| match result {
                        Ok(explained) => view! {
                            <p data-testid="schedule-description" class="font-medium">{explained.description}</p>
                            <p class=format!("text-xs {MUTED}")>"Next runs (UTC): "
                                {explained.next_runs_ms.into_iter().take(3).map(|ms| view! {
                                    <span class="mr-2">{time_cell(Some(ms), "")}</span>
                                }).collect_view()}
                            </p>
                        }.into_any(),
                        Err(err) => view! { <p class="text-red-700 dark:text-red-400">{err.message}</p> }.into_any(),
                    })}
                </div>
            </div>
            <label class="flex items-center gap-2 text-sm">
                <input
                    type="checkbox"
                    prop:checked=move || wizard.null_handling.get()
                    on:change=move |ev| wizard.null_handling.set(event_target_checked(&ev))
                />
                "Null handling (keep nulls as nulls)"
            </label>
            <div>
                <label for="push-type" class=LABEL>"Segment push type"</label>
                <select
                    id="push-type"
                    class=format!("mt-1 {INPUT}")
                    prop:value=move || wizard.push_type.get()
                    on:change=move |ev| wizard.push_type.set(event_target_value(&ev))
                >
                    <option value="APPEND">"Append — each sync adds segments for new data"</option>
                </select>
            </div>
        </div>
    }
}

/// The table config to create: the preview's enriched config with the person's choices.
fn table_config(wizard: Wizard) -> Option<(TableSchema, TableConfig)> {
    let answer = wizard.preview.get_untracked()?;
    let schema = wizard.schema.get_untracked()?;
    let name = wizard.table_name.get_untracked();
    let mut config = answer.table_configs.offline;
    config.table_name = format!("{name}{OFFLINE_SUFFIX}");
    config.segments_config.schema_name = Some(schema.schema_name.clone());
    let time = wizard.time_column.get_untracked();
    config.segments_config.time_column_name = (!time.is_empty()).then_some(time);
    set_path(
        &mut config.extra,
        &["tableIndexConfig", "nullHandlingEnabled"],
        wizard.null_handling.get_untracked().into(),
    );
    set_path(
        &mut config.extra,
        &[
            "ingestionConfig",
            "batchIngestionConfig",
            "segmentIngestionType",
        ],
        wizard.push_type.get_untracked().into(),
    );
    if let Some(task) = config.task.as_mut() {
        for params in task.task_type_configs_map.values_mut() {
            params.insert("schedule".into(), wizard.schedule.get_untracked());
        }
    }
    Some((schema, config))
}

/// Sets a nested key of a config's pass-through part, making the objects on the way.
fn set_path(
    object: &mut serde_json::Map<String, serde_json::Value>,
    path: &[&str],
    value: serde_json::Value,
) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut at = object;
    for key in parents {
        let entry = at
            .entry(key.to_string())
            .or_insert_with(|| serde_json::Value::Object(Default::default()));
        if !entry.is_object() {
            *entry = serde_json::Value::Object(Default::default());
        }
        at = entry.as_object_mut().expect("made an object above");
    }
    at.insert(last.to_string(), value);
}

#[component]
pub fn CreateStep(wizard: Wizard) -> impl IntoView {
    let create = Action::new_local(move |_: &()| {
        let planned = table_config(wizard);
        async move {
            let (schema, config) = planned.ok_or_else(|| {
                client::ApiFailure::local(
                    0,
                    "the schema is not loaded; go back to the Schema step".into(),
                )
            })?;
            client::post::<StatusMessage>("/schemas", &schema).await?;
            let created = client::post::<StatusMessage>("/tables", &config).await;
            if created.is_err() {
                // Leave nothing half-made: the schema goes if its table was refused.
                let path = format!("/schemas/{}", encode_component(&schema.schema_name));
                let _ = client::delete::<StatusMessage>(&path).await;
            }
            created
        }
    });
    let (error, set_error) = signal(None::<String>);
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| match create.value().get() {
        Some(Ok(_)) => {
            let path = format!(
                "/ui/tables/{}",
                encode_component(&wizard.table_name.get_untracked())
            );
            navigate(&path, Default::default());
        }
        Some(Err(err)) => set_error.set(Some(err.message)),
        None => {}
    });
    let summary = move || {
        let columns = wizard
            .schema
            .with(|s| s.as_ref().map_or(0, |s| s.column_count()));
        vec![
            (
                "Source",
                wizard
                    .provider
                    .get()
                    .map(|p| p.label())
                    .unwrap_or_default()
                    .to_owned(),
            ),
            ("Table", wizard.table_name.get()),
            (
                "Schema",
                wizard.schema.with(|s| {
                    s.as_ref()
                        .map(|s| s.schema_name.clone())
                        .unwrap_or_default()
                }),
            ),
            ("Columns", columns.to_string()),
            (
                "Time column",
                Some(wizard.time_column.get())
                    .filter(|t| !t.is_empty())
                    .unwrap_or_else(|| "none".into()),
            ),
            ("Schedule", wizard.schedule.get()),
            (
                "Null handling",
                if wizard.null_handling.get() {
                    "on"
                } else {
                    "off"
                }
                .into(),
            ),
            ("Push type", wizard.push_type.get()),
        ]
    };
    view! {
        <dl class="mt-4 grid gap-x-6 gap-y-2 text-sm sm:grid-cols-2">
            {move || summary().into_iter().map(|(label, value)| view! {
                <div class="flex gap-2">
                    <dt class=format!("w-32 shrink-0 {MUTED}")>{label}</dt>
                    <dd class="font-medium break-all">{value}</dd>
                </div>
            }).collect_view()}
        </dl>
        <p class=format!("mt-4 text-sm {MUTED}")>"Creating the table registers its schema and starts the first sync right away."</p>
        <button
            type="button"
            data-testid="create-table"
            class=format!("mt-4 {PRIMARY_BUTTON}")
            aria-busy=move || create.pending().get().then_some("true")
            on:click=move |_| {
                set_error.set(None);
                create.dispatch(());
            }
        >
            {move || if create.pending().get() { "Creating…" } else { "Create Table" }}
        </button>
        {move || error.get().map(|message| view! { <Alert title="The table was not created." message /> })}
    }
}
