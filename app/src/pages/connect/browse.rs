//! Step 4: browse folders and files (S3, local) or namespaces and tables (Iceberg) and pick what to onboard.

use lakeport_wire::connections::{BrowseAnswer, BrowseItem, BrowseKind};
use leptos::prelude::*;

use super::{Selection, Wizard};
use crate::client;
use crate::components::{Alert, MUTED, SECONDARY_BUTTON};

#[component]
pub fn BrowseStep(wizard: Wizard) -> impl IntoView {
    let iceberg = wizard
        .provider
        .get_untracked()
        .is_some_and(|p| p.is_iceberg());
    let list = Action::new_local(move |path: &String| {
        let body = wizard.browse_request(path.clone(), false);
        async move { client::post::<BrowseAnswer>("/connections/browse", &body).await }
    });
    Effect::new(move |_| {
        list.dispatch(wizard.browse_path.get());
    });
    let open = move |path: String| wizard.browse_path.set(path);
    let crumbs = move || {
        let path = wizard.browse_path.get();
        let mut acc = String::new();
        let mut crumbs = vec![("Root".to_owned(), String::new())];
        for part in path.split('/').filter(|p| !p.is_empty()) {
            acc.push_str(part);
            acc.push('/');
            crumbs.push((part.to_owned(), acc.clone()));
        }
        crumbs
    };
    let selected_text = move || match wizard.selection.get() {
        Some(Selection::Folder(f)) if f.is_empty() => {
            "Selected: the whole connection root".to_owned()
        }
        Some(Selection::Folder(f)) => format!("Selected folder: {f}"),
        Some(Selection::Table { namespace, name }) => {
            format!("Selected table: {}.{name}", namespace.join("."))
        }
        None => "Nothing selected yet".to_owned(),
    };

    view! {
        <p class=format!("mt-1 text-sm {MUTED}")>
            {if iceberg {
                "Open a namespace and pick the table to onboard."
            } else {
                "Open folders and pick the one whose Parquet files make up the table."
            }}
        </p>
        <nav aria-label="Location" class="mt-3 flex flex-wrap items-center gap-1 text-sm">
            {move || crumbs().into_iter().map(|(label, path)| view! {
                <button type="button" class="rounded px-1 text-sky-700 hover:underline dark:text-sky-400" on:click=move |_| open(path.clone())>
                    {label}
                </button>
                <span aria-hidden="true" class=MUTED>"/"</span>
            }).collect_view()}
        </nav>
        {(!iceberg).then(|| view! {
            <button
                type="button"
                data-testid="use-folder"
                class=format!("mt-3 {SECONDARY_BUTTON}")
                on:click=move |_| wizard.selection.set(Some(Selection::Folder(wizard.browse_path.get_untracked())))
            >
                "Use this folder"
            </button>
        })}
        <p role="status" data-testid="selection" class="mt-3 text-sm font-medium">{selected_text}</p>
        <div aria-live="polite" aria-busy=move || list.pending().get().then_some("true")>
            {move || list.value().get().map(|result| match result {
                Ok(listing) if listing.items.is_empty() => view! { <p class=format!("mt-3 text-sm {MUTED}")>"This location is empty."</p> }.into_any(),
                Ok(listing) => view! {
                    <ul data-testid="browse-items" class="mt-3 divide-y divide-slate-200 rounded-md border border-slate-200 dark:divide-slate-800 dark:border-slate-800">
                        {listing.items.into_iter().map(|item| view! { <ItemRow item wizard /> }).collect_view()}
                    </ul>
                }.into_any(),
                Err(err) => view! { <Alert title="Could not list this location." message=err.message /> }.into_any(),
            })}
        </div>
    }
}

#[component]
fn ItemRow(item: BrowseItem, wizard: Wizard) -> impl IntoView {
    let here = wizard.browse_path.get_untracked();
    let full = format!("{here}{}", item.name);
    let row = "flex items-center justify-between gap-2 px-3 py-2 text-sm";
    match item.kind {
        BrowseKind::Dir => view! {
            <li class=row>
                <button
                    type="button"
                    data-item=item.name.clone()
                    class="flex items-center gap-2 font-medium text-sky-700 hover:underline dark:text-sky-400"
                    on:click=move |_| wizard.browse_path.set(full.clone())
                >
                    <span aria-hidden="true">"📁"</span>
                    {item.name.clone()}
                </button>
            </li>
        }
        .into_any(),
        BrowseKind::Table => {
            let namespace: Vec<String> = here.split('/').filter(|p| !p.is_empty()).map(str::to_owned).collect();
            let selection = Selection::Table { namespace, name: item.name.clone() };
            let chosen = {
                let selection = selection.clone();
                Signal::derive(move || wizard.selection.get().as_ref() == Some(&selection))
            };
            view! {
                <li class=row>
                    <span class="flex items-center gap-2"><span aria-hidden="true">"▦"</span>{item.name.clone()}</span>
                    <button
                        type="button"
                        data-item=item.name.clone()
                        aria-pressed=move || chosen.get().to_string()
                        class=SECONDARY_BUTTON
                        on:click=move |_| wizard.selection.set(Some(selection.clone()))
                    >
                        {move || if chosen.get() { "Selected" } else { "Select" }}
                    </button>
                </li>
            }
            .into_any()
        }
        BrowseKind::File => view! {
            <li class=format!("{row} {MUTED}")>
                <span class="flex items-center gap-2 font-mono text-xs"><span aria-hidden="true">"📄"</span>{item.name}</span>
            </li>
        }
        .into_any(),
    }
}
