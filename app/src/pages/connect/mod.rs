//! The Connect External Table wizard: provider → credentials → validate → browse → schema → settings → create.
//!
//! Every step's state lives in one [`Wizard`] of signals owned by the page, so
//! going back keeps what was entered. Each step talks to the same REST calls a
//! script would make (`/connections/browse`, `/tables/preview`, `/schemas`,
//! `/tables`, `/schedules/explain`).

mod browse;
mod credentials;
mod review;
mod settings;

use std::collections::BTreeMap;

use lakeport_wire::catalogs as providers;
use lakeport_wire::connections::{BrowseRequest, ConnectionBody};
use lakeport_wire::preview::PreviewResponse;
use lakeport_wire::rules::{DEFAULT_SCHEDULE, identifier_from};
use lakeport_wire::schema::TableSchema;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::client::ApiFailure;
use crate::components::{CARD, MAIN, MUTED, PRIMARY_BUTTON, PageHeader, SECONDARY_BUTTON};
pub use providers::Provider;

/// The steps, in order; the indicator and the Back/Next buttons follow it.
const STEPS: [&str; 7] = [
    "Provider",
    "Credentials",
    "Validate",
    "Browse",
    "Schema",
    "Settings",
    "Create",
];

/// What to onboard, picked while browsing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selection {
    /// A folder under the connection's root (`""` is the root itself).
    Folder(String),
    /// An Iceberg table: its namespace levels and name.
    Table {
        namespace: Vec<String>,
        name: String,
    },
}

impl Selection {
    /// A table name derived from what was picked: letters, digits and `_`. `base` is the
    /// connection's own folder (its S3 prefix or bucket, or its local path): picking the
    /// root onboards that folder, so it names the table, for S3 and local folders alike.
    pub fn suggested_table_name(&self, base: &str) -> String {
        let folder;
        let raw = match self {
            Selection::Folder(path) => {
                folder = join_path(base, path);
                folder
                    .trim_end_matches('/')
                    .rsplit('/')
                    .next()
                    .unwrap_or("")
            }
            Selection::Table { name, .. } => name,
        };
        identifier_from(raw)
    }
}

#[derive(Clone, Copy)]
pub struct Wizard {
    pub step: RwSignal<usize>,
    pub provider: RwSignal<Option<Provider>>,
    /// Form values by connection parameter (and the connection's name).
    pub values: RwSignal<BTreeMap<String, String>>,
    /// Messages to show next to the fields they concern.
    pub field_errors: RwSignal<BTreeMap<String, String>>,
    pub validated: RwSignal<bool>,
    pub browse_path: RwSignal<String>,
    pub selection: RwSignal<Option<Selection>>,
    pub preview: RwSignal<Option<PreviewResponse>>,
    /// The schema as the person edited it.
    pub schema: RwSignal<Option<TableSchema>>,
    pub include_partitions: RwSignal<bool>,
    pub time_column: RwSignal<String>,
    pub table_name: RwSignal<String>,
    pub schedule: RwSignal<String>,
    pub null_handling: RwSignal<bool>,
    pub push_type: RwSignal<String>,
}

impl Wizard {
    fn new() -> Self {
        Self {
            step: RwSignal::new(0),
            provider: RwSignal::new(None),
            values: RwSignal::new(BTreeMap::new()),
            field_errors: RwSignal::new(BTreeMap::new()),
            validated: RwSignal::new(false),
            browse_path: RwSignal::new(String::new()),
            selection: RwSignal::new(None),
            preview: RwSignal::new(None),
            schema: RwSignal::new(None),
            include_partitions: RwSignal::new(true),
            time_column: RwSignal::new(String::new()),
            table_name: RwSignal::new(String::new()),
            schedule: RwSignal::new(DEFAULT_SCHEDULE.into()),
            null_handling: RwSignal::new(true),
            push_type: RwSignal::new("APPEND".into()),
        }
    }

    /// The connection parameters for the API, from the chosen provider and form.
    pub fn connection_params(&self) -> BTreeMap<String, String> {
        match self.provider.get_untracked() {
            Some(provider) => self
                .values
                .with_untracked(|v| provider.connection_params(v)),
            None => BTreeMap::new(),
        }
    }

    /// A browse of `path` in the connection being made; `named` saves it under the
    /// person's connection name (the validate step).
    pub fn browse_request(&self, path: String, named: bool) -> BrowseRequest {
        BrowseRequest {
            connection: ConnectionBody {
                kind: "CATALOG".into(),
                params: self.connection_params(),
                name: if named { self.connection_name() } else { None },
            },
            path,
        }
    }

    pub fn connection_name(&self) -> Option<String> {
        self.values
            .with_untracked(|v| v.get(providers::CONNECTION_NAME).cloned())
            .filter(|n| !n.trim().is_empty())
    }

    /// The connection parameters narrowed to the picked folder or table.
    pub fn source_params(&self) -> BTreeMap<String, String> {
        let mut params = self.connection_params();
        let folder_key = match self.provider.get_untracked() {
            Some(Provider::S3) => Some("catalog.s3.prefix"),
            Some(Provider::Local) => Some("catalog.local.path"),
            _ => None,
        };
        match (self.selection.get_untracked(), folder_key) {
            (Some(Selection::Folder(folder)), Some(key)) if !folder.is_empty() => {
                let base = params.get(key).cloned().unwrap_or_default();
                params.insert(key.into(), join_path(&base, &folder));
            }
            (Some(Selection::Table { namespace, name }), _) => {
                params.insert(
                    "catalog.iceberg-rest.table.namespace".into(),
                    namespace.join("."),
                );
                params.insert("catalog.iceberg-rest.table.tableName".into(), name);
            }
            _ => {}
        }
        params
    }

    /// The table (and schema) name a new table gets unless the person changes it.
    pub fn suggested_table_name(&self) -> String {
        let Some(selection) = self.selection.get_untracked() else {
            return String::new();
        };
        let params = self.connection_params();
        let base = match self.provider.get_untracked() {
            Some(Provider::S3) => params
                .get("catalog.s3.prefix")
                .filter(|p| !p.trim_matches('/').is_empty())
                .or_else(|| params.get("catalog.s3.bucketName")),
            Some(Provider::Local) => params.get("catalog.local.path"),
            _ => None,
        };
        selection.suggested_table_name(base.map_or("", String::as_str))
    }

    /// Forgets everything learned from the source once the connection changes.
    pub fn connection_changed(&self) {
        self.validated.set(false);
        self.browse_path.set(String::new());
        self.selection.set(None);
        self.preview.set(None);
        self.schema.set(None);
    }

    /// Puts an API error next to the field it names, or next to the secret it most
    /// likely concerns when the catalog refused the credentials.
    pub fn show_error(&self, err: &ApiFailure) {
        let provider = self.provider.get_untracked();
        let named = err.field.as_deref().map(|f| {
            let key = f.strip_prefix("connection.params.").unwrap_or(f);
            if key == "connection.name" {
                providers::CONNECTION_NAME.to_owned()
            } else {
                key.to_owned()
            }
        });
        let key = named
            .filter(|k| provider.is_some_and(|p| p.fields().iter().any(|f| f.key == k)))
            .or_else(|| {
                (err.kind.as_deref() == Some("CATALOG_ACCESS_DENIED"))
                    .then(|| {
                        provider
                            .and_then(|p| p.fields().iter().find(|f| f.secret()))
                            .map(|f| f.key.to_owned())
                    })
                    .flatten()
            });
        if let Some(key) = key {
            self.field_errors.update(|errors| {
                errors.insert(key, err.message.clone());
            });
        }
    }
}

fn join_path(base: &str, folder: &str) -> String {
    match (base.trim_end_matches('/'), folder.trim_matches('/')) {
        ("", folder) => format!("{folder}/"),
        (base, folder) => format!("{base}/{folder}/"),
    }
}

#[component]
pub fn ConnectPage() -> impl IntoView {
    let wizard = Wizard::new();
    let step = wizard.step;

    view! {
        <Title text="Connect External Table" />
        <main id="main" class=MAIN>
            <PageHeader title="Connect External Table" />
            <StepIndicator step />
            <section
                aria-labelledby="step-heading"
                data-step=move || STEPS[step.get()].to_lowercase()
                class=format!("mt-6 p-4 sm:p-6 {CARD}")
            >
                <h2 id="step-heading" class="text-lg font-semibold">
                    {move || format!("Step {} of {}: {}", step.get() + 1, STEPS.len(), STEPS[step.get()])}
                </h2>
                {move || match step.get() {
                    0 => view! { <credentials::ProviderStep wizard /> }.into_any(),
                    1 => view! { <credentials::CredentialsStep wizard /> }.into_any(),
                    2 => view! { <credentials::ValidateStep wizard /> }.into_any(),
                    3 => view! { <browse::BrowseStep wizard /> }.into_any(),
                    4 => view! { <review::SchemaStep wizard /> }.into_any(),
                    5 => view! { <settings::SettingsStep wizard /> }.into_any(),
                    _ => view! { <settings::CreateStep wizard /> }.into_any(),
                }}
            </section>
            <Navigation wizard />
        </main>
    }
}

#[component]
fn StepIndicator(step: RwSignal<usize>) -> impl IntoView {
    view! {
        <nav aria-label="Wizard steps" class="mt-4">
            <ol class="flex flex-wrap gap-x-4 gap-y-1 text-sm">
                {STEPS.iter().enumerate().map(|(i, name)| view! {
                    <li
                        aria-current=move || (step.get() == i).then_some("step")
                        class=move || {
                            let state = if step.get() == i {
                                "font-semibold text-sky-700 dark:text-sky-400"
                            } else if step.get() > i {
                                "text-slate-700 dark:text-slate-300"
                            } else {
                                "text-slate-500 dark:text-slate-400"
                            };
                            format!("flex items-center gap-1 {state}")
                        }
                    >
                        <span
                            aria-hidden="true"
                            class="inline-flex size-5 items-center justify-center rounded-full bg-slate-200 text-xs dark:bg-slate-800"
                        >
                            {i + 1}
                        </span>
                        {*name}
                    </li>
                }).collect_view()}
            </ol>
        </nav>
    }
}

/// Whether the current step has what the next one needs, and if not, why.
fn blocker(wizard: Wizard) -> Option<&'static str> {
    match wizard.step.get() {
        0 if wizard.provider.get().is_none() => Some("Choose a catalog provider."),
        2 if !wizard.validated.get() => Some("Validate the connection to go on."),
        3 if wizard.selection.get().is_none() => Some("Pick the data to onboard."),
        4 if wizard.schema.get().is_none() => Some("Wait for the schema to load."),
        _ => None,
    }
}

#[component]
fn Navigation(wizard: Wizard) -> impl IntoView {
    let step = wizard.step;
    let next = move |_| {
        if step.get_untracked() == 1 {
            // Required fields are checked here so the messages land next to them.
            let provider = wizard.provider.get_untracked();
            let missing = provider
                .map(|p| wizard.values.with_untracked(|v| p.missing(v)))
                .unwrap_or_default();
            if !missing.is_empty() {
                wizard.field_errors.set(missing);
                return;
            }
        }
        if step.get_untracked() == 5 && !settings::ready(wizard) {
            return;
        }
        step.update(|s| *s = (*s + 1).min(STEPS.len() - 1));
    };
    view! {
        <div class="mt-4 flex flex-wrap items-center justify-between gap-3">
            <button
                type="button"
                data-testid="back"
                class=SECONDARY_BUTTON
                disabled=move || step.get() == 0
                on:click=move |_| step.update(|s| *s = s.saturating_sub(1))
            >
                "Back"
            </button>
            <p class=format!("text-sm {MUTED}") aria-live="polite">{move || blocker(wizard)}</p>
            {move || (step.get() < STEPS.len() - 1).then(|| view! {
                <button
                    type="button"
                    data-testid="next"
                    class=PRIMARY_BUTTON
                    disabled=move || blocker(wizard).is_some()
                    on:click=next
                >
                    "Next"
                </button>
            })}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_are_derived_from_the_pick() {
        assert_eq!(
            Selection::Folder("trips/2024-Q1/".into()).suggested_table_name(""),
            "t_2024_q1"
        );
        assert_eq!(
            Selection::Folder("events/".into()).suggested_table_name("lake/raw"),
            "events"
        );
        // The root of a connection onboards the connection's own folder.
        assert_eq!(
            Selection::Folder(String::new()).suggested_table_name("/data/lake/tpch/lineitem"),
            "lineitem"
        );
        assert_eq!(
            Selection::Folder(String::new()).suggested_table_name("tpch/line-item/"),
            "line_item"
        );
        assert_eq!(
            Selection::Table {
                namespace: vec!["db".into()],
                name: "Orders".into()
            }
            .suggested_table_name("ignored"),
            "orders"
        );
        assert_eq!(join_path("", "events/"), "events/");
        assert_eq!(join_path("lake/raw/", "events"), "lake/raw/events/");
    }
}
