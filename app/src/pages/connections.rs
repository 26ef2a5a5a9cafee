//! Saved connections: their settings with secrets masked, a re-check, and delete (refused while a table uses one).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::client::{self, encode_component};
use crate::components::{
    Alert, CARD, DANGER_BUTTON, MAIN, MUTED, PRIMARY_BUTTON, PageHeader, SECONDARY_BUTTON, confirm,
    time_cell,
};
use lakeport_wire::connections::{ConnectionList, ConnectionValidated, Removed, SavedConnection};

#[component]
pub fn ConnectionsPage() -> impl IntoView {
    let connections = Resource::new(|| (), |_| client::get::<ConnectionList>("/connections"));
    view! {
        <Title text="Connections" />
        <main id="main" class=MAIN>
            <PageHeader title="Connections">
                <a href="/ui/connect" class=PRIMARY_BUTTON>"+ Connect External Table"</a>
            </PageHeader>
            <p class=format!("mt-2 max-w-3xl text-sm {MUTED}")>
                "A connection is saved, with its secrets encrypted, the first time it validates. Pick it in the wizard to onboard more tables from the same catalog."
            </p>
            <Transition fallback=|| view! { <p class=format!("mt-6 text-sm {MUTED}")>"Loading connections…"</p> }>
                {move || Suspend::new(async move {
                    match connections.await {
                        Ok(list) if list.connections.is_empty() => view! {
                            <p data-testid="no-connections" class=format!("mt-6 text-sm {MUTED}")>"No saved connections yet."</p>
                        }.into_any(),
                        Ok(list) => view! {
                            <ul class="mt-6 space-y-4">
                                {list.connections.into_iter().map(|connection| view! {
                                    <ConnectionCard connection on_deleted=move || connections.refetch() />
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(err) => view! { <Alert title="Could not load connections." message=err.message /> }.into_any(),
                    }
                })}
            </Transition>
        </main>
    }
}

#[component]
fn ConnectionCard(
    connection: SavedConnection,
    on_deleted: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let path = format!("/connections/{}", encode_component(&connection.id));
    let (outcome, set_outcome) = signal(None::<Result<String, String>>);
    let validate = Action::new_local({
        let path = path.clone();
        move |_: &()| {
            let path = format!("{path}/validate");
            async move { client::post::<ConnectionValidated>(&path, &serde_json::Value::Null).await }
        }
    });
    let remove = Action::new_local(move |_: &()| {
        let path = path.clone();
        async move { client::delete::<Removed>(&path).await }
    });
    Effect::new(move |_| match validate.value().get() {
        Some(Ok(_)) => set_outcome.set(Some(Ok("Connection works.".into()))),
        Some(Err(err)) => set_outcome.set(Some(Err(err.message))),
        None => {}
    });
    Effect::new(move |_| match remove.value().get() {
        Some(Ok(_)) => on_deleted(),
        Some(Err(err)) => set_outcome.set(Some(Err(err.message))),
        None => {}
    });
    let name = connection.name.clone();
    let heading_id = format!("connection-{}", connection.id);
    let labelled_by = heading_id.clone();
    let key = connection.name.clone();
    let used_by = if connection.tables.is_empty() {
        "Not used by any table".to_owned()
    } else {
        format!("Used by {}", connection.tables.join(", "))
    };
    view! {
        <li data-connection=key aria-labelledby=labelled_by class=format!("p-4 {CARD}")>
            <div class="flex flex-wrap items-start justify-between gap-3">
                <div>
                    <h2 id=heading_id class="font-semibold break-all">{connection.name.clone()}</h2>
                    <p class=format!("text-sm {MUTED}")>
                        {connection.catalog_type.clone()} " · " {used_by} " · saved "
                        {time_cell(Some(connection.updated_at), "unknown")} " UTC"
                    </p>
                </div>
                <div class="flex gap-2">
                    <button
                        type="button"
                        class=SECONDARY_BUTTON
                        aria-busy=move || validate.pending().get().then_some("true")
                        on:click=move |_| { validate.dispatch(()); }
                    >
                        "Re-validate"
                    </button>
                    <button
                        type="button"
                        class=DANGER_BUTTON
                        on:click=move |_| {
                            if confirm(&format!("Delete the connection “{name}”? Its stored secrets are erased.")) {
                                remove.dispatch(());
                            }
                        }
                    >
                        "Delete"
                    </button>
                </div>
            </div>
            <dl class="mt-3 grid grid-cols-1 gap-x-6 gap-y-1 text-sm sm:grid-cols-2">
                {connection.params.into_iter().filter(|(k, _)| k != "catalogType").map(|(key, value)| {
                    let title = value.clone();
                    view! {
                    <div class="flex min-w-0 gap-2">
                        <dt class=format!("shrink-0 font-mono text-xs {MUTED}")>{key}</dt>
                        <dd class="min-w-0 truncate font-mono text-xs" title=title>{value}</dd>
                    </div>
                }}).collect_view()}
            </dl>
            <div aria-live="polite">
                {move || outcome.get().map(|outcome| match outcome {
                    Ok(message) => view! { <p class="mt-3 text-sm text-green-700 dark:text-green-400">{message}</p> }.into_any(),
                    Err(message) => view! { <p role="alert" class="mt-3 text-sm break-words text-red-700 dark:text-red-400">{message}</p> }.into_any(),
                })}
            </div>
        </li>
    }
}
