//! Steps 1–3: choose a provider (or a saved connection), fill in its fields, validate the connection.

use leptos::prelude::*;

use super::Wizard;
use super::providers::{CONNECTION_NAME, Group, Provider};
use crate::client;
use crate::components::{Alert, INPUT, LABEL, MUTED, PRIMARY_BUTTON};
use lakeport_wire::connections::{BrowseAnswer, ConnectionList, SavedConnection};

#[component]
pub fn ProviderStep(wizard: Wizard) -> impl IntoView {
    let saved = Resource::new(|| (), |_| client::get::<ConnectionList>("/connections"));
    let choose = move |provider: Provider| {
        if wizard.provider.get_untracked() != Some(provider) {
            wizard.provider.set(Some(provider));
            wizard.values.set(Default::default());
            wizard.field_errors.set(Default::default());
            wizard.connection_changed();
        }
    };
    view! {
        <fieldset class="mt-4">
            <legend class=LABEL>"Catalog provider"</legend>
            <div class="mt-2 grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
                {Provider::ALL.iter().map(|&provider| view! {
                    <label class="flex cursor-pointer gap-3 rounded-lg border border-slate-200 p-3 has-checked:border-sky-600 has-checked:ring-1 has-checked:ring-sky-600 dark:border-slate-700">
                        <input
                            type="radio"
                            name="provider"
                            value=provider.id()
                            class="mt-1"
                            prop:checked=move || wizard.provider.get() == Some(provider)
                            on:change=move |_| choose(provider)
                        />
                        <span>
                            <span class="block text-sm font-medium">{provider.label()}</span>
                            <span class=format!("block text-xs {MUTED}")>{provider.description()}</span>
                        </span>
                    </label>
                }).collect_view()}
            </div>
        </fieldset>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let list = saved.await.map(|l| l.connections).unwrap_or_default();
                (!list.is_empty()).then(|| view! { <SavedConnections list wizard /> })
            })}
        </Transition>
    }
}

#[component]
fn SavedConnections(list: Vec<SavedConnection>, wizard: Wizard) -> impl IntoView {
    let reuse = move |connection: &SavedConnection| {
        let Some(provider) = Provider::of_params(&connection.params) else {
            return;
        };
        let mut values = connection.params.clone();
        values.insert(CONNECTION_NAME.into(), connection.name.clone());
        wizard.provider.set(Some(provider));
        wizard.values.set(values);
        wizard.field_errors.set(Default::default());
        wizard.connection_changed();
        wizard.step.set(2);
    };
    view! {
        <section class="mt-6" aria-labelledby="saved-heading">
            <h3 id="saved-heading" class=LABEL>"Or reuse a saved connection"</h3>
            <ul class="mt-2 flex flex-wrap gap-2">
                {list.into_iter().map(|connection| {
                    let label = format!("{} ({})", connection.name, connection.catalog_type);
                    view! {
                        <li>
                            <button
                                type="button"
                                data-connection=connection.name.clone()
                                class="rounded-md px-3 py-1.5 text-sm ring-1 ring-slate-300 hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-sky-600 dark:ring-slate-700 dark:hover:bg-slate-800"
                                on:click=move |_| reuse(&connection)
                            >
                                {label}
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
pub fn CredentialsStep(wizard: Wizard) -> impl IntoView {
    view! {
        <p class=format!("mt-1 text-sm {MUTED}")>
            {move || wizard.provider.get().map(|p| p.description())}
        </p>
        <ConnectionFields wizard />
    }
}

/// The provider's fields, grouped as seed 001 groups them; secrets are password inputs.
#[component]
pub fn ConnectionFields(wizard: Wizard) -> impl IntoView {
    move || {
        let provider = wizard.provider.get()?;
        let groups = [Group::Details, Group::Metastore, Group::Storage];
        Some(groups.into_iter().filter(move |g| provider.fields().iter().any(|f| f.group == *g)).map(move |group| {
            view! {
                <fieldset class="mt-4">
                    <legend class="text-sm font-semibold">{group.title()}</legend>
                    <div class="mt-2 grid gap-4 sm:grid-cols-2">
                        {provider.fields().iter().filter(|f| f.group == group).map(|field| {
                            let id = format!("field-{}", field.key.replace('.', "-"));
                            let help_id = format!("{id}-help");
                            let error_id = format!("{id}-error");
                            let key = field.key;
                            let error = move || wizard.field_errors.with(|e| e.get(key).cloned());
                            let on_input = move |ev| {
                                let value = event_target_value(&ev);
                                wizard.values.update(|v| {
                                    v.insert(key.to_owned(), value.clone());
                                    // The AWS endpoint follows the region until edited by hand.
                                    if key == "catalog.iceberg-rest.rest.signing-region"
                                        && let Some(endpoint) = provider.aws_endpoint(value.trim())
                                    {
                                        v.insert("catalog.iceberg-rest.restUri".into(), endpoint);
                                    }
                                });
                                wizard.field_errors.update(|e| { e.remove(key); });
                                wizard.connection_changed();
                            };
                            view! {
                                <div>
                                    <label for=id.clone() class=LABEL>
                                        {field.label}
                                        {(!field.required).then(|| view! { <span class=format!("font-normal {MUTED}")>" (optional)"</span> })}
                                    </label>
                                    <input
                                        id=id
                                        name=key
                                        type=if field.secret() { "password" } else { "text" }
                                        autocomplete=if field.secret() { "new-password" } else { "off" }
                                        spellcheck="false"
                                        required=field.required
                                        aria-invalid=move || error().is_some().then_some("true")
                                        aria-describedby=format!("{help_id} {error_id}")
                                        class=format!("mt-1 {INPUT}")
                                        prop:value=move || wizard.values.with(|v| v.get(key).cloned().unwrap_or_default())
                                        on:input=on_input
                                    />
                                    <p id=help_id class=format!("mt-1 text-xs {MUTED}")>{field.help}</p>
                                    <p id=error_id data-error-for=key class="mt-1 text-sm text-red-700 dark:text-red-400">{error}</p>
                                </div>
                            }
                        }).collect_view()}
                    </div>
                </fieldset>
            }
        }).collect_view())
    }
}

#[component]
pub fn ValidateStep(wizard: Wizard) -> impl IntoView {
    let validate = Action::new_local(move |_: &()| {
        let body = wizard.browse_request(String::new(), true);
        async move { client::post::<BrowseAnswer>("/connections/browse", &body).await }
    });
    let (failure, set_failure) = signal(None::<String>);
    Effect::new(move |_| match validate.value().get() {
        Some(Ok(_)) => {
            set_failure.set(None);
            wizard.validated.set(true);
        }
        Some(Err(err)) => {
            wizard.validated.set(false);
            wizard.show_error(&err);
            set_failure.set(Some(err.message));
        }
        None => {}
    });
    view! {
        <p class=format!("mt-1 text-sm {MUTED}")>
            "Lakeport connects with these settings and lists what it can see. Fix any field marked below and validate again."
        </p>
        <ConnectionFields wizard />
        <div class="mt-4 flex flex-wrap items-center gap-3">
            <button
                type="button"
                data-testid="validate"
                class=PRIMARY_BUTTON
                aria-busy=move || validate.pending().get().then_some("true")
                on:click=move |_| {
                    wizard.field_errors.set(Default::default());
                    validate.dispatch(());
                }
            >
                {move || if validate.pending().get() { "Validating…" } else { "Validate Connection" }}
            </button>
            <p role="status" data-testid="validation" class="text-sm">
                {move || wizard.validated.get().then_some("✓ Connection validated")}
            </p>
        </div>
        {move || failure.get().map(|message| view! { <Alert title="Validation failed." message /> })}
    }
}
