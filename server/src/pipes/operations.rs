//! Carrying out a long operation the watcher claimed. Each one's work and its ending are
//! one fenced transaction, so a worker killed half-way leaves the operation pending, and
//! the next claim does it whole; it never runs twice, and never ends twice.

use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use chrono::{DateTime, Utc};
use lakeport_wire::ailake::{DataSourceRef, DatabaseInstance, OperationError};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use super::plan::PipePlan;
use crate::error::{ApiError, ApiResult};
use crate::store;
use crate::store::ailake::{InstanceRow, PipeRow};
use crate::store::tables::NewTable;
use crate::store::tasks::{Claim, TaskKind};
use crate::sync::context::WorkerEnv;

/// A failure the server may get past (the database away, a crash) is tried this often
/// before the operation fails; a request that is wrong fails at once.
const MAX_ATTEMPTS: i32 = 5;

/// What an operation does, prepared when it was asked for.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Work {
    ProvisionDatabase {
        id: Uuid,
        name: String,
        storage_ids: Vec<Uuid>,
        data_source_id: Option<String>,
        data_source_name: Option<String>,
    },
    DeprovisionDatabase {
        id: Uuid,
    },
    CreatePipeTable(Box<PipePlan>),
    DeletePipeTable {
        instance_id: Uuid,
        table_name: String,
    },
}

impl Work {
    /// The operation `kind` of the contract.
    pub fn kind(&self) -> &'static str {
        use lakeport_wire::ailake::kinds;
        match self {
            Self::ProvisionDatabase { .. } => kinds::PROVISION_DATABASE,
            Self::DeprovisionDatabase { .. } => kinds::DEPROVISION_DATABASE,
            Self::CreatePipeTable(_) => kinds::CREATE_PIPE_TABLE,
            Self::DeletePipeTable { .. } => kinds::DELETE_PIPE_TABLE,
        }
    }
}

/// The answer an instance row gives on the wire.
pub fn instance_answer(row: &InstanceRow) -> DatabaseInstance {
    DatabaseInstance {
        id: row.id.to_string(),
        name: row.name.clone(),
        storage_ids: row.storage_ids.iter().map(Uuid::to_string).collect(),
        data_sources: match (&row.data_source_id, &row.data_source_name) {
            (None, None) => Vec::new(),
            (id, name) => vec![DataSourceRef {
                id: row.id.to_string(),
                data_source_id: id.clone().unwrap_or_default(),
                data_source_name: name.clone().unwrap_or_default(),
            }],
        },
    }
}

/// Runs the operation a claim names, and ends it.
pub async fn run(
    env: &WorkerEnv,
    claim: &Claim,
    lost: &AtomicBool,
) -> anyhow::Result<&'static str> {
    let id = claim.table_name.as_str();
    let Some(operation) = store::operations::get(&env.pool, id).await? else {
        let mut tx = env.pool.begin().await?;
        if store::tasks::fence(&mut tx, claim).await? {
            store::tasks::remove(&mut *tx, id, TaskKind::Operation).await?;
        }
        tx.commit().await?;
        return Ok("operation gone");
    };
    if operation.status != "pending" {
        return end(env, claim, None).await;
    }
    let attempt = store::operations::count_attempt(&env.pool, id).await?;
    let work: Work =
        serde_json::from_value(operation.work).context("stored operation work is unreadable")?;
    let mut tx = env.pool.begin().await?;
    if !store::tasks::fence(&mut tx, claim).await? || lost.load(Ordering::SeqCst) {
        return Ok("lease lost");
    }
    let outcome = carry_out(&mut tx, &work).await;
    match outcome {
        Ok((result, leftovers)) => {
            store::operations::finish(&mut *tx, id, true, Some(&result), None).await?;
            store::tasks::remove(&mut *tx, id, TaskKind::Operation).await?;
            tx.commit().await?;
            for table in leftovers {
                if let Err(err) = env.deep_store.remove_table(&table) {
                    tracing::warn!(%table, error = %err, "segment files of a dropped pipe table were not all removed");
                }
            }
            Ok("succeeded")
        }
        Err(err) if err.status().is_server_error() && attempt < MAX_ATTEMPTS => {
            drop(tx);
            tracing::warn!(operation = id, attempt, error = %err, "operation failed; it will be tried again");
            Ok("retrying")
        }
        Err(err) => {
            drop(tx);
            end(env, claim, Some(&err)).await
        }
    }
}

/// When a pending operation that failed for now is tried again: sooner at first.
pub fn retry_at(attempts: i32, now: DateTime<Utc>) -> DateTime<Utc> {
    now + chrono::Duration::seconds(1i64 << attempts.clamp(0, 6))
}

/// Fails the operation with `error` (none: it has ended already) and drops its task.
async fn end(
    env: &WorkerEnv,
    claim: &Claim,
    error: Option<&ApiError>,
) -> anyhow::Result<&'static str> {
    let mut tx = env.pool.begin().await?;
    if !store::tasks::fence(&mut tx, claim).await? {
        return Ok("lease lost");
    }
    if let Some(err) = error {
        let problem = problem_of(err);
        let body = serde_json::to_value(&problem)?;
        store::operations::finish(&mut *tx, &claim.table_name, false, None, Some(&body)).await?;
    }
    store::tasks::remove(&mut *tx, &claim.table_name, TaskKind::Operation).await?;
    tx.commit().await?;
    Ok("failed")
}

/// An error as the operation's `{status, title, detail}`.
pub fn problem_of(err: &ApiError) -> OperationError {
    let status = err.status();
    OperationError {
        status: status.as_u16(),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        detail: err.to_string(),
    }
}

/// Does the work inside the operation's transaction. Returns the result and the tables
/// whose segment files go once it commits.
async fn carry_out(
    tx: &mut Transaction<'_, Postgres>,
    work: &Work,
) -> ApiResult<(Value, Vec<String>)> {
    match work {
        Work::ProvisionDatabase {
            id,
            name,
            storage_ids,
            data_source_id,
            data_source_name,
        } => {
            if store::ailake::find_instance(&mut **tx, name)
                .await?
                .is_some()
            {
                return Err(ApiError::Conflict(format!(
                    "database instance '{name}' already exists"
                )));
            }
            let row = InstanceRow {
                id: *id,
                name: name.clone(),
                storage_ids: storage_ids.clone(),
                data_source_id: data_source_id.clone(),
                data_source_name: data_source_name.clone(),
            };
            store::ailake::insert_instance(&mut **tx, &row).await?;
            Ok((json!(instance_answer(&row)), Vec::new()))
        }
        Work::DeprovisionDatabase { id } => {
            let tables = store::ailake::instance_tables(&mut **tx, *id).await?;
            for table in &tables {
                store::tables::delete(&mut **tx, table).await?;
            }
            store::ailake::delete_instance(&mut **tx, *id).await?;
            Ok((
                json!({"id": id.to_string(), "droppedTables": tables}),
                tables,
            ))
        }
        Work::CreatePipeTable(plan) => create_pipe(tx, plan).await,
        Work::DeletePipeTable {
            instance_id,
            table_name,
        } => {
            let Some(pipe) = store::ailake::get_pipe(&mut **tx, *instance_id, table_name).await?
            else {
                return Err(ApiError::NotFound(format!(
                    "pipe table '{table_name}' does not exist"
                )));
            };
            store::tables::delete(&mut **tx, &pipe.lakeport_table).await?;
            let dropped = vec![pipe.lakeport_table];
            Ok((
                json!({"tableName": table_name, "droppedTables": dropped}),
                dropped,
            ))
        }
    }
}

async fn create_pipe(
    tx: &mut Transaction<'_, Postgres>,
    plan: &PipePlan,
) -> ApiResult<(Value, Vec<String>)> {
    if store::ailake::find_instance(&mut **tx, &plan.instance_id.to_string())
        .await?
        .is_none()
    {
        return Err(ApiError::NotFound(format!(
            "database instance '{}' no longer exists",
            plan.instance_name
        )));
    }
    if store::tables::by_raw_name(&mut **tx, &plan.raw_name)
        .await?
        .is_some()
    {
        return Err(ApiError::Conflict(format!(
            "pipe table '{}' already exists in instance '{}'",
            plan.table_name, plan.instance_name
        )));
    }
    let schema = serde_json::to_value(&plan.schema).map_err(ApiError::internal)?;
    store::schemas::upsert(&mut **tx, &plan.raw_name, &schema).await?;
    store::tables::insert(
        &mut **tx,
        &NewTable {
            name: &plan.lakeport_table,
            raw_name: &plan.raw_name,
            table_type: "OFFLINE",
            schema_name: &plan.raw_name,
            connection_id: plan.connection_id,
            config: &plan.table_config,
            segment_types: &plan.segment_types,
            catalog_type: "s3",
            source_uri: &plan.source_uri,
            schedule: &plan.schedule,
            enabled: true,
        },
    )
    .await?;
    let pipe = PipeRow {
        id: plan.pipe_id,
        instance_id: plan.instance_id,
        table_name: plan.table_name.clone(),
        lakeport_table: plan.lakeport_table.clone(),
        storage_id: plan.storage_id,
        path_prefix: plan.path_prefix.clone(),
        definition: serde_json::to_value(&plan.definition).map_err(ApiError::internal)?,
    };
    store::ailake::insert_pipe(&mut **tx, &pipe).await?;
    store::tasks::create(&mut **tx, &plan.lakeport_table, TaskKind::Sync, "CREATE").await?;
    let answer = super::answer::pipe_table(&plan.instance_name, &pipe)?;
    Ok((json!(answer), Vec::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_work_is_tagged_with_the_contract_kind() {
        let work = Work::DeprovisionDatabase { id: Uuid::nil() };
        let stored = serde_json::to_value(&work).unwrap();
        assert_eq!(stored["kind"], work.kind());
        assert_eq!(work.kind(), "deprovision-database");
        let back: Work = serde_json::from_value(stored).unwrap();
        assert_eq!(back.kind(), work.kind());
    }

    #[test]
    fn retries_back_off_and_stay_bounded() {
        let now = Utc::now();
        assert!(retry_at(1, now) < retry_at(3, now));
        assert_eq!(retry_at(40, now), retry_at(6, now));
    }
}
