//! AI Lake (seed 004): object storages (add, remove), database instances, their pipe tables
//! (create, drop, open the table behind each), and the long operations that change them.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::client::{self, ApiFailure, encode_component};
use crate::components::{
    Alert, CARD, DANGER_BUTTON, INPUT, LABEL, MAIN, MUTED, PRIMARY_BUTTON, PageHeader, StatusBadge,
    TH, confirm, use_polling,
};
use lakeport_wire::ailake::{
    AILAKE_PREFIX, CreatePipeTableRequest, DatabaseInstance, KeyConfig, KeyType, ObjectStorageInfo,
    Operation, OperationStatus, PipeTableSummary, ProvisionDatabaseInstanceRequest,
    RegisterObjectStorage, ResourceList, ResourceOne,
};
use lakeport_wire::connections::Removed;

fn api(path: &str) -> String {
    format!("{AILAKE_PREFIX}{path}")
}

/// A text field bound to a signal.
#[component]
fn Field(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    value: RwSignal<String>,
    #[prop(optional, into)] placeholder: String,
    #[prop(optional)] secret: bool,
) -> impl IntoView {
    let for_id = id.clone();
    view! {
        <div class="min-w-40 flex-1">
            <label for=for_id class=LABEL>{label}</label>
            <input
                id=id
                type=if secret { "password" } else { "text" }
                class=format!("mt-1 {INPUT}")
                placeholder=placeholder
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
            />
        </div>
    }
}

#[component]
pub fn AilakePage() -> impl IntoView {
    // Bumped when an operation ends, so the lists it changed are read again.
    let version = RwSignal::new(0u32);
    let storages = Resource::new(
        move || version.get(),
        |_| async move {
            client::get::<ResourceList<ObjectStorageInfo>>(&api("/objectStorages?size=500")).await
        },
    );
    let instances = Resource::new(
        move || version.get(),
        |_| async move {
            client::get::<ResourceList<DatabaseInstance>>(&api("/database/instances?size=500"))
                .await
        },
    );
    let operations = Resource::new(
        || (),
        |_| async move { client::get::<ResourceList<Operation>>(&api("/operations?size=20")).await },
    );
    let ended = RwSignal::new(None::<usize>);
    use_polling(1000, move || operations.refetch());
    Effect::new(move |_| {
        if let Some(Ok(list)) = operations.get() {
            let count = list
                .data
                .iter()
                .filter(|op| op.attributes.status != OperationStatus::Pending)
                .count();
            if ended.get_untracked().is_some_and(|before| before != count) {
                version.update(|v| *v += 1);
            }
            ended.set(Some(count));
        }
    });
    let launched = move || operations.refetch();

    view! {
        <Title text="AI Lake" />
        <main id="main" class=MAIN>
            <PageHeader title="AI Lake" />
            <p class=format!("mt-2 max-w-3xl text-sm {MUTED}")>
                "Pipe tables load the Parquet files under a storage prefix and keep loading new ones. Query one as "
                <code class="font-mono">"instance.table"</code>
                ". Every change here is a call to " <code class="font-mono">{AILAKE_PREFIX}</code> "."
            </p>

            <section aria-labelledby="storages-heading" class="mt-8">
                <h2 id="storages-heading" class="text-lg font-semibold">"Object storages"</h2>
                <Transition fallback=|| view! { <p class=MUTED>"Loading storages…"</p> }>
                    {move || Suspend::new(async move {
                        match storages.await {
                            Ok(list) if list.data.is_empty() => view! {
                                <p data-testid="no-storages" class=format!("mt-2 text-sm {MUTED}")>"No storages yet: add one below."</p>
                            }.into_any(),
                            Ok(list) => view! {
                                <ul class="mt-3 space-y-2">
                                    {list.data.into_iter().map(|item| view! {
                                        <StorageRow storage=item.attributes on_removed=move || version.update(|v| *v += 1) />
                                    }).collect_view()}
                                </ul>
                            }.into_any(),
                            Err(err) => view! { <Alert title="Could not load storages." message=err.message /> }.into_any(),
                        }
                    })}
                </Transition>
                <StorageForm on_added=move || version.update(|v| *v += 1) />
            </section>

            <section aria-labelledby="instances-heading" class="mt-10">
                <h2 id="instances-heading" class="text-lg font-semibold">"Database instances"</h2>
                <Transition fallback=|| view! { <p class=MUTED>"Loading instances…"</p> }>
                    {move || Suspend::new(async move {
                        let storage_names: BTreeMap<String, String> = storages
                            .await
                            .map(|list| list.data.into_iter().map(|s| (s.id, s.attributes.name)).collect())
                            .unwrap_or_default();
                        match instances.await {
                            Ok(list) => view! {
                                <ul class="mt-3 space-y-4">
                                    {list.data.into_iter().map(|item| view! {
                                        <InstanceCard instance=item.attributes storage_names=storage_names.clone() version on_launched=launched />
                                    }).collect_view()}
                                </ul>
                                <InstanceForm storage_names on_launched=launched />
                            }.into_any(),
                            Err(err) => view! { <Alert title="Could not load instances." message=err.message /> }.into_any(),
                        }
                    })}
                </Transition>
            </section>

            <section aria-labelledby="operations-heading" class="mt-10">
                <h2 id="operations-heading" class="text-lg font-semibold">"Operations"</h2>
                <Transition fallback=|| view! { <p class=MUTED>"Loading operations…"</p> }>
                    {move || Suspend::new(async move {
                        match operations.await {
                            Ok(list) => view! { <OperationsTable operations=list.data.into_iter().map(|r| r.attributes).collect() /> }.into_any(),
                            Err(err) => view! { <Alert title="Could not load operations." message=err.message /> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
        </main>
    }
}

#[component]
fn StorageRow(
    storage: ObjectStorageInfo,
    on_removed: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let (error, set_error) = signal(None::<String>);
    let path = api(&format!(
        "/objectStorages/{}",
        encode_component(&storage.name)
    ));
    let remove = Action::new_local(move |_: &()| {
        let path = path.clone();
        async move { client::delete::<Removed>(&path).await }
    });
    Effect::new(move |_| match remove.value().get() {
        Some(Ok(_)) => on_removed(),
        Some(Err(err)) => set_error.set(Some(err.message)),
        None => {}
    });
    let config = storage
        .storage_config
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}: {}",
                v.as_str().map_or_else(|| v.to_string(), str::to_owned)
            )
        })
        .collect::<Vec<_>>()
        .join(" · ");
    let name = storage.name.clone();
    view! {
        <li data-storage=storage.name.clone() class=format!("flex flex-wrap items-start justify-between gap-3 p-3 {CARD}")>
            <div class="min-w-0">
                <p class="font-medium break-all">{storage.name.clone()} " " <span class=format!("text-xs {MUTED}")>{storage.storage_type.clone()}</span></p>
                <p class=format!("text-xs break-all {MUTED}")>{config}</p>
                {move || error.get().map(|m| view! { <p role="alert" class="mt-1 text-sm text-red-700 dark:text-red-400">{m}</p> })}
            </div>
            <button type="button" class=DANGER_BUTTON on:click=move |_| {
                if confirm(&format!("Remove the storage “{name}”?")) { remove.dispatch(()); }
            }>"Remove"</button>
        </li>
    }
}

#[component]
fn StorageForm(on_added: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let [name, bucket, region, endpoint, access_key, secret_key] =
        std::array::from_fn(|_| RwSignal::new(String::new()));
    let (error, set_error) = signal(None::<ApiFailure>);
    let add = Action::new_local(move |body: &RegisterObjectStorage| {
        let body = body.clone();
        async move {
            client::post::<ResourceOne<ObjectStorageInfo>>(&api("/objectStorages"), &body).await
        }
    });
    Effect::new(move |_| match add.value().get() {
        Some(Ok(_)) => {
            set_error.set(None);
            for field in [name, bucket, region, endpoint, access_key, secret_key] {
                field.set(String::new());
            }
            on_added();
        }
        Some(Err(err)) => set_error.set(Some(err)),
        None => {}
    });
    let optional = |s: RwSignal<String>| Some(s.get_untracked()).filter(|v| !v.trim().is_empty());
    view! {
        <form
            aria-label="Add an object storage"
            class=format!("mt-4 flex flex-wrap items-end gap-3 p-4 {CARD}")
            on:submit=move |ev| {
                ev.prevent_default();
                add.dispatch(RegisterObjectStorage {
                    name: name.get_untracked(),
                    storage_type: None,
                    bucket: bucket.get_untracked(),
                    region: optional(region),
                    endpoint: optional(endpoint),
                    access_key_id: optional(access_key),
                    secret_access_key: optional(secret_key),
                });
            }
        >
            <Field id="storage-name" label="Storage name" value=name placeholder="lake" />
            <Field id="storage-bucket" label="Bucket" value=bucket />
            <Field id="storage-region" label="Region" value=region placeholder="us-east-1" />
            <Field id="storage-endpoint" label="Endpoint (S3-compatible)" value=endpoint placeholder="https://minio.example:9000" />
            <Field id="storage-access-key" label="Access key" value=access_key />
            <Field id="storage-secret-key" label="Secret key" value=secret_key secret=true />
            <button type="submit" class=PRIMARY_BUTTON aria-busy=move || add.pending().get().then_some("true")>"Add storage"</button>
            {move || error.get().map(|err| view! { <div class="w-full"><Alert title="The storage was not added." message=err.message /></div> })}
        </form>
    }
}

#[component]
fn InstanceForm(
    storage_names: BTreeMap<String, String>,
    on_launched: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let storage = RwSignal::new(storage_names.values().next().cloned().unwrap_or_default());
    let (error, set_error) = signal(None::<ApiFailure>);
    let provision = Action::new_local(move |body: &ProvisionDatabaseInstanceRequest| {
        let body = body.clone();
        async move { client::post::<Operation>(&api("/database/instances"), &body).await }
    });
    Effect::new(move |_| match provision.value().get() {
        Some(Ok(_)) => {
            set_error.set(None);
            name.set(String::new());
            on_launched();
        }
        Some(Err(err)) => set_error.set(Some(err)),
        None => {}
    });
    view! {
        <form
            aria-label="Provision a database instance"
            class=format!("mt-4 flex flex-wrap items-end gap-3 p-4 {CARD}")
            on:submit=move |ev| {
                ev.prevent_default();
                provision.dispatch(ProvisionDatabaseInstanceRequest {
                    name: name.get_untracked(),
                    storage_ids: vec![storage.get_untracked()],
                    data_source_id: None,
                    data_source_name: None,
                });
            }
        >
            <Field id="instance-name" label="Instance name" value=name placeholder="shop" />
            <div class="min-w-40 flex-1">
                <label for="instance-storage" class=LABEL>"Storage"</label>
                <select id="instance-storage" class=format!("mt-1 {INPUT}") on:change=move |ev| storage.set(event_target_value(&ev))>
                    {storage_names.values().map(|n| view! { <option value=n.clone()>{n.clone()}</option> }).collect_view()}
                </select>
            </div>
            <button type="submit" class=PRIMARY_BUTTON>"Provision instance"</button>
            {move || error.get().map(|err| view! { <div class="w-full"><Alert title="The instance was not provisioned." message=err.message /></div> })}
        </form>
    }
}

#[component]
fn InstanceCard(
    instance: DatabaseInstance,
    storage_names: BTreeMap<String, String>,
    version: RwSignal<u32>,
    on_launched: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let base = api(&format!(
        "/database/instances/{}",
        encode_component(&instance.name)
    ));
    let pipes = Resource::new(move || version.get(), {
        let base = base.clone();
        move |_| {
            let path = format!("{base}/pipeTables?size=500");
            async move { client::get::<ResourceList<PipeTableSummary>>(&path).await }
        }
    });
    let (error, set_error) = signal(None::<String>);
    let deprovision = Action::new_local({
        let base = base.clone();
        move |_: &()| {
            let base = base.clone();
            async move { client::delete::<Operation>(&base).await }
        }
    });
    Effect::new(move |_| match deprovision.value().get() {
        Some(Ok(_)) => on_launched(),
        Some(Err(err)) => set_error.set(Some(err.message)),
        None => {}
    });
    let instance_storages: Vec<String> = instance
        .storage_ids
        .iter()
        .map(|id| storage_names.get(id).cloned().unwrap_or_else(|| id.clone()))
        .collect();
    let name = instance.name.clone();
    let for_pipes = instance.name.clone();
    view! {
        <li data-instance=instance.name.clone() class=format!("p-4 {CARD}")>
            <div class="flex flex-wrap items-start justify-between gap-3">
                <div>
                    <h3 class="font-semibold break-all">{instance.name.clone()}</h3>
                    <p class=format!("text-xs {MUTED}")>"Storages: " {instance_storages.join(", ")}</p>
                </div>
                <button type="button" class=DANGER_BUTTON on:click=move |_| {
                    if confirm(&format!("Drop the instance “{name}” and all its pipe tables?")) { deprovision.dispatch(()); }
                }>"Drop instance"</button>
            </div>
            {move || error.get().map(|m| view! { <p role="alert" class="mt-1 text-sm text-red-700 dark:text-red-400">{m}</p> })}
            <Transition fallback=|| view! { <p class=MUTED>"Loading pipe tables…"</p> }>
                {move || {
                    let instance = for_pipes.clone();
                    Suspend::new(async move {
                        match pipes.await {
                            Ok(list) if list.data.is_empty() => view! { <p class=format!("mt-3 text-sm {MUTED}")>"No pipe tables yet."</p> }.into_any(),
                            Ok(list) => view! { <PipeTables instance list=list.data.into_iter().map(|r| r.attributes).collect() on_launched /> }.into_any(),
                            Err(err) => view! { <Alert title="Could not load pipe tables." message=err.message /> }.into_any(),
                        }
                    })
                }}
            </Transition>
            <PipeForm base storages=instance_storages on_launched />
        </li>
    }
}

#[component]
fn PipeTables(
    instance: String,
    list: Vec<PipeTableSummary>,
    on_launched: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    view! {
        <table class="mt-3 min-w-full text-sm">
            <thead><tr><th class=TH>"Pipe table"</th><th class=TH>"Prefix"</th><th class=TH>"Columns"</th><th class=TH></th></tr></thead>
            <tbody>
                {list.into_iter().map(|pipe| {
                    let table = format!("{instance}.{}_OFFLINE", pipe.table_name);
                    let href = format!("/ui/tables/{}", encode_component(&table));
                    let path = api(&format!("/database/instances/{}/pipeTables/{}", encode_component(&instance), encode_component(&pipe.table_name)));
                    let drop_table = Action::new_local(move |_: &()| {
                        let path = path.clone();
                        async move { client::delete::<Operation>(&path).await }
                    });
                    Effect::new(move |_| if let Some(Ok(_)) = drop_table.value().get() { on_launched() });
                    let columns = pipe.columns.iter().map(|c| format!("{} {}", c.name, c.sql_type)).collect::<Vec<_>>().join(", ");
                    let name = pipe.table_name.clone();
                    view! {
                        <tr data-pipe=pipe.table_name.clone()>
                            <td class="px-3 py-2 font-medium"><a class="text-sky-700 underline dark:text-sky-400" href=href>{format!("{instance}.{}", pipe.table_name)}</a></td>
                            <td class="px-3 py-2 font-mono text-xs">{pipe.path_prefix.clone()}</td>
                            <td class="px-3 py-2 font-mono text-xs break-all">{columns}</td>
                            <td class="px-3 py-2 text-right">
                                <button type="button" class=DANGER_BUTTON on:click=move |_| {
                                    if confirm(&format!("Drop the pipe table “{name}”?")) { drop_table.dispatch(()); }
                                }>"Drop"</button>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn PipeForm(
    base: String,
    storages: Vec<String>,
    on_launched: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let [table, prefix, polling, max_varchar, key_columns] =
        std::array::from_fn(|_| RwSignal::new(String::new()));
    let storage = RwSignal::new(storages.first().cloned().unwrap_or_default());
    let key_type = RwSignal::new("duplicate".to_owned());
    let (error, set_error) = signal(None::<ApiFailure>);
    let create = Action::new_local(move |body: &CreatePipeTableRequest| {
        let body = body.clone();
        let path = format!("{base}/pipeTables");
        async move { client::post::<Operation>(&path, &body).await }
    });
    Effect::new(move |_| match create.value().get() {
        Some(Ok(_)) => {
            set_error.set(None);
            table.set(String::new());
            on_launched();
        }
        Some(Err(err)) => set_error.set(Some(err)),
        None => {}
    });
    let number = |s: RwSignal<String>| s.get_untracked().trim().parse::<i32>().ok();
    view! {
        <form
            aria-label="Create a pipe table"
            class="mt-4 flex flex-wrap items-end gap-3"
            on:submit=move |ev| {
                ev.prevent_default();
                let columns: Vec<String> = key_columns.get_untracked().split(',').map(|c| c.trim().to_owned()).filter(|c| !c.is_empty()).collect();
                let key_type = serde_json::from_value::<KeyType>(serde_json::Value::String(key_type.get_untracked())).unwrap_or(KeyType::Duplicate);
                create.dispatch(CreatePipeTableRequest {
                    path_prefix: prefix.get_untracked(),
                    source_storage_name: storage.get_untracked(),
                    table_name: table.get_untracked(),
                    key_config: Some(KeyConfig { key_type, columns: (!columns.is_empty()).then_some(columns) }),
                    aggregation_overrides: None,
                    column_expressions: None,
                    column_overrides: None,
                    distribution_config: None,
                    partition_config: None,
                    max_varchar_length: number(max_varchar),
                    polling_interval_seconds: number(polling),
                    table_properties: None,
                });
            }
        >
            <Field id="pipe-table" label="Table name" value=table placeholder="orders" />
            <Field id="pipe-prefix" label="Path prefix" value=prefix placeholder="sales/" />
            <div class="min-w-32 flex-1">
                <label for="pipe-storage" class=LABEL>"Storage"</label>
                <select id="pipe-storage" class=format!("mt-1 {INPUT}") on:change=move |ev| storage.set(event_target_value(&ev))>
                    {storages.iter().map(|n| view! { <option value=n.clone()>{n.clone()}</option> }).collect_view()}
                </select>
            </div>
            <div class="min-w-32 flex-1">
                <label for="pipe-key-type" class=LABEL>"Key model"</label>
                <select id="pipe-key-type" class=format!("mt-1 {INPUT}") on:change=move |ev| key_type.set(event_target_value(&ev))>
                    {["duplicate", "unique", "primary", "aggregate"].map(|k| view! { <option value=k>{k}</option> }).collect_view()}
                </select>
            </div>
            <Field id="pipe-key-columns" label="Key columns" value=key_columns placeholder="first column" />
            <Field id="pipe-polling" label="Poll every (s)" value=polling placeholder="300" />
            <Field id="pipe-varchar" label="Max VARCHAR" value=max_varchar placeholder="no cap" />
            <button type="submit" class=PRIMARY_BUTTON>"Create pipe table"</button>
            {move || error.get().map(|err| view! { <div class="w-full"><Alert title="The pipe table was not created." message=err.message /></div> })}
        </form>
    }
}

#[component]
fn OperationsTable(operations: Vec<Operation>) -> impl IntoView {
    if operations.is_empty() {
        return view! { <p class=format!("mt-2 text-sm {MUTED}")>"No operations yet."</p> }
            .into_any();
    }
    view! {
        <table class="mt-3 min-w-full text-sm" data-testid="operations">
            <thead><tr><th class=TH>"Operation"</th><th class=TH>"Kind"</th><th class=TH>"Status"</th><th class=TH>"Detail"</th></tr></thead>
            <tbody>
                {operations.into_iter().map(|op| {
                    let status = match op.status {
                        OperationStatus::Pending => "RUNNING",
                        OperationStatus::Succeeded => "COMPLETED",
                        OperationStatus::Failed => "FAILED",
                    };
                    let detail = op.error.as_ref().map(|e| format!("{} {}: {}", e.status, e.title, e.detail)).unwrap_or_default();
                    view! {
                        <tr data-operation=op.id.clone()>
                            <td class="px-3 py-2 font-mono text-xs break-all">{op.id.clone()}</td>
                            <td class="px-3 py-2">{op.kind.clone()}</td>
                            <td class="px-3 py-2" data-status=op.status.as_str()><StatusBadge status=status.to_owned() /></td>
                            <td class="px-3 py-2 break-words">{detail}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
