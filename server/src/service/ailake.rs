//! The AI Lake API behind the handlers: JSON:API lists and resources, and mutations that
//! are checked now and carried out as long operations by the watcher.

use lakeport_wire::ailake::{
    CreatePipeTableRequest, DatabaseInstance, ListMeta, ObjectStorageInfo, Operation,
    OperationError, OperationStatus, Page, PageMeta, PageQuery, PipeTable, PipeTableSummary,
    ProvisionDatabaseInstanceRequest, Resource, ResourceList, ResourceOne,
};
use lakeport_wire::rules::{operation_id_problem, pipe_name_problem};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::pipes::operations::{Work, instance_answer};
use crate::pipes::{answer, plan};
use crate::service::storages;
use crate::state::AppState;
use crate::store;
use crate::store::ailake::InstanceRow;
use crate::store::operations::{NewOperation, OperationRow};
use crate::store::tasks::TaskKind;

/// A list answer: one page of `items`, the link it answers, and totals when asked for.
fn list<T>(
    kind: &str,
    items: Vec<(String, T)>,
    page: Page,
    total: i64,
    self_link: &str,
) -> ResourceList<T> {
    let total = total.max(0) as u64;
    ResourceList {
        data: items
            .into_iter()
            .map(|(id, attributes)| Resource {
                id,
                kind: kind.to_owned(),
                attributes,
            })
            .collect(),
        links: lakeport_wire::ailake::Links {
            self_link: self_link.to_owned(),
        },
        meta: ListMeta {
            page: PageMeta {
                number: page.number,
                size: page.size,
                total_elements: page.with_totals.then_some(total),
                total_pages: page
                    .with_totals
                    .then(|| total.div_ceil(u64::from(page.size))),
            },
        },
    }
}

fn one<T>(kind: &str, id: String, attributes: T, self_link: &str) -> ResourceOne<T> {
    ResourceOne {
        data: Resource {
            id,
            kind: kind.to_owned(),
            attributes,
        },
        links: lakeport_wire::ailake::Links {
            self_link: self_link.to_owned(),
        },
    }
}

fn limits(page: Page) -> (i64, i64) {
    let size = i64::from(page.size);
    (size, i64::from(page.number) * size)
}

pub async fn list_storages(
    state: &AppState,
    query: &PageQuery,
    self_link: &str,
) -> ApiResult<ResourceList<ObjectStorageInfo>> {
    let page = query.page()?;
    let (limit, offset) = limits(page);
    let rows = store::ailake::list_storages(&state.pool, limit, offset).await?;
    let total = store::ailake::count_storages(&state.pool).await?;
    let items = rows
        .iter()
        .map(|row| (row.id.to_string(), storages::info(row)))
        .collect();
    Ok(list("objectStorage", items, page, total, self_link))
}

/// Registers a storage (Lakeport's own call) and answers it as one JSON:API resource.
pub async fn register_storage(
    state: &AppState,
    body: lakeport_wire::ailake::RegisterObjectStorage,
    collection_link: &str,
) -> ApiResult<ResourceOne<ObjectStorageInfo>> {
    let info = storages::register(state, body, storages::Origin::Api).await?;
    let self_link = format!("{collection_link}/{}", info.storage_id);
    Ok(one(
        "objectStorage",
        info.storage_id.clone(),
        info,
        &self_link,
    ))
}

pub async fn list_instances(
    state: &AppState,
    query: &PageQuery,
    self_link: &str,
) -> ApiResult<ResourceList<DatabaseInstance>> {
    let page = query.page()?;
    let (limit, offset) = limits(page);
    let rows = store::ailake::list_instances(&state.pool, limit, offset).await?;
    let total = store::ailake::count_instances(&state.pool).await?;
    let items = rows
        .iter()
        .map(|row| (row.id.to_string(), instance_answer(row)))
        .collect();
    Ok(list("databaseInstance", items, page, total, self_link))
}

async fn find_instance(state: &AppState, key: &str) -> ApiResult<InstanceRow> {
    store::ailake::find_instance(&state.pool, key)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("database instance '{key}' does not exist")))
}

pub async fn get_instance(
    state: &AppState,
    key: &str,
    self_link: &str,
) -> ApiResult<ResourceOne<DatabaseInstance>> {
    let row = find_instance(state, key).await?;
    Ok(one(
        "databaseInstance",
        row.id.to_string(),
        instance_answer(&row),
        self_link,
    ))
}

pub async fn list_pipes(
    state: &AppState,
    instance: &str,
    query: &PageQuery,
    self_link: &str,
) -> ApiResult<ResourceList<PipeTableSummary>> {
    let page = query.page()?;
    let instance = find_instance(state, instance).await?;
    let (limit, offset) = limits(page);
    let rows = store::ailake::list_pipes(&state.pool, instance.id, limit, offset).await?;
    let total = store::ailake::count_pipes(&state.pool, instance.id).await?;
    let items = rows
        .iter()
        .map(|row| Ok((row.id.to_string(), answer::summary(row)?)))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(list("pipeTable", items, page, total, self_link))
}

pub async fn get_pipe(
    state: &AppState,
    instance: &str,
    table_name: &str,
    self_link: &str,
) -> ApiResult<ResourceOne<PipeTable>> {
    let instance = find_instance(state, instance).await?;
    let pipe = store::ailake::get_pipe(&state.pool, instance.id, table_name)
        .await?
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "pipe table '{table_name}' does not exist in instance '{}'",
                instance.name
            ))
        })?;
    let table = answer::pipe_table(&instance.name, &pipe)?;
    Ok(one("pipeTable", pipe.id.to_string(), table, self_link))
}

pub async fn provision(
    state: &AppState,
    operation_id: Option<String>,
    body: ProvisionDatabaseInstanceRequest,
) -> ApiResult<Operation> {
    let request = json!({"path": "database/instances", "body": body});
    submit(state, operation_id, &request, || async {
        if let Some(problem) = pipe_name_problem(&body.name) {
            return Err(ApiError::invalid("name", problem));
        }
        if store::ailake::find_instance(&state.pool, &body.name).await?.is_some() {
            return Err(ApiError::Conflict(format!(
                "database instance '{}' already exists",
                body.name
            )));
        }
        if body.storage_ids.is_empty() {
            return Err(ApiError::invalid("storageIds", "name at least one object storage"));
        }
        let mut storage_ids = Vec::with_capacity(body.storage_ids.len());
        for key in &body.storage_ids {
            let storage = storages::find(state, key).await.map_err(|_| {
                ApiError::invalid(
                    "storageIds",
                    format!("'{key}' is not a registered object storage (id or name); see GET /api/v1/ailake/objectStorages"),
                )
            })?;
            if !storage_ids.contains(&storage.id) {
                storage_ids.push(storage.id);
            }
        }
        Ok(Work::ProvisionDatabase {
            id: Uuid::new_v4(),
            name: body.name.clone(),
            storage_ids,
            data_source_id: body.data_source_id.clone(),
            data_source_name: body.data_source_name.clone(),
        })
    })
    .await
}

pub async fn deprovision(
    state: &AppState,
    operation_id: Option<String>,
    instance: &str,
) -> ApiResult<Operation> {
    let request = json!({"path": format!("database/instances/{instance}"), "method": "DELETE"});
    submit(state, operation_id, &request, || async {
        let row = find_instance(state, instance).await?;
        Ok(Work::DeprovisionDatabase { id: row.id })
    })
    .await
}

pub async fn create_pipe(
    state: &AppState,
    operation_id: Option<String>,
    instance: &str,
    body: CreatePipeTableRequest,
) -> ApiResult<Operation> {
    let request =
        json!({"path": format!("database/instances/{instance}/pipeTables"), "body": body});
    submit(state, operation_id, &request, || async {
        let instance = find_instance(state, instance).await?;
        if let Some(problem) = pipe_name_problem(&body.table_name) {
            return Err(ApiError::invalid("tableName", problem));
        }
        if store::ailake::get_pipe(&state.pool, instance.id, &body.table_name)
            .await?
            .is_some()
        {
            return Err(ApiError::Conflict(format!(
                "pipe table '{}' already exists in instance '{}'",
                body.table_name, instance.name
            )));
        }
        let storage = storages::find(state, &body.source_storage_name)
            .await
            .map_err(|err| ApiError::invalid("sourceStorageName", err.to_string()))?;
        let planned = plan::plan(&state.sources(), &instance, &storage, &body).await?;
        Ok(Work::CreatePipeTable(Box::new(planned)))
    })
    .await
}

pub async fn delete_pipe(
    state: &AppState,
    operation_id: Option<String>,
    instance: &str,
    table_name: &str,
) -> ApiResult<Operation> {
    let request = json!({
        "path": format!("database/instances/{instance}/pipeTables/{table_name}"),
        "method": "DELETE"
    });
    submit(state, operation_id, &request, || async {
        let row = find_instance(state, instance).await?;
        if store::ailake::get_pipe(&state.pool, row.id, table_name)
            .await?
            .is_none()
        {
            return Err(ApiError::NotFound(format!(
                "pipe table '{table_name}' does not exist in instance '{}'",
                row.name
            )));
        }
        Ok(Work::DeletePipeTable {
            instance_id: row.id,
            table_name: table_name.to_owned(),
        })
    })
    .await
}

/// Records an operation and queues its work. A caller's id already used for the same
/// request answers that operation again without checking or running anything; for
/// another request it is a 409. The checks of `prepare` run first, so a request that can
/// never work is answered with its 4xx and leaves nothing behind.
async fn submit<F, Fut>(
    state: &AppState,
    operation_id: Option<String>,
    request: &Value,
    prepare: F,
) -> ApiResult<Operation>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ApiResult<Work>>,
{
    let digest = Sha256::digest(serde_json::to_vec(request).map_err(ApiError::internal)?).to_vec();
    let id = match operation_id {
        Some(id) => {
            if let Some(problem) = operation_id_problem(&id) {
                return Err(ApiError::invalid("operation-id", problem));
            }
            if let Some(existing) = store::operations::get(&state.pool, &id).await? {
                return repeated(existing, &digest);
            }
            id
        }
        None => Uuid::new_v4().to_string(),
    };
    let work = prepare().await?;
    let work_json = serde_json::to_value(&work).map_err(ApiError::internal)?;
    let mut tx = state.pool.begin().await?;
    let inserted = store::operations::insert(
        &mut *tx,
        &NewOperation {
            id: &id,
            kind: work.kind(),
            request,
            request_sha256: &digest,
            work: &work_json,
        },
    )
    .await?;
    if !inserted {
        drop(tx);
        // Another request with this id got in first.
        let existing = store::operations::get(&state.pool, &id)
            .await?
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("operation {id} vanished")))?;
        return repeated(existing, &digest);
    }
    store::tasks::create(&mut *tx, &id, TaskKind::Operation, "API").await?;
    tx.commit().await?;
    state.wake_workers();
    Ok(Operation {
        id,
        kind: work.kind().to_owned(),
        status: OperationStatus::Pending,
        result: None,
        error: None,
    })
}

fn repeated(existing: OperationRow, digest: &[u8]) -> ApiResult<Operation> {
    if existing.request_sha256 != digest {
        return Err(ApiError::Conflict(format!(
            "operation-id '{}' names an earlier {} operation with another request; use a new operation-id",
            existing.id, existing.kind
        )));
    }
    Ok(operation_answer(existing))
}

fn operation_answer(row: OperationRow) -> Operation {
    Operation {
        status: OperationStatus::parse(&row.status).unwrap_or(OperationStatus::Pending),
        error: row
            .error
            .and_then(|e| serde_json::from_value::<OperationError>(e).ok()),
        result: row.result,
        kind: row.kind,
        id: row.id,
    }
}

pub async fn get_operation(state: &AppState, id: &str) -> ApiResult<Operation> {
    store::operations::get(&state.pool, id)
        .await?
        .map(operation_answer)
        .ok_or_else(|| ApiError::NotFound(format!("operation '{id}' does not exist")))
}

/// Operations, newest first: Lakeport's own list, which the web app shows.
pub async fn list_operations(
    state: &AppState,
    query: &PageQuery,
    self_link: &str,
) -> ApiResult<ResourceList<Operation>> {
    let page = query.page()?;
    let (limit, offset) = limits(page);
    let rows = store::operations::recent(&state.pool, limit, offset).await?;
    let total = store::operations::count(&state.pool).await?;
    let items = rows
        .into_iter()
        .map(|row| (row.id.clone(), operation_answer(row)))
        .collect();
    Ok(list("operation", items, page, total, self_link))
}
