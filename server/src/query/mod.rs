//! SQL over committed segments with DataFusion: read-only at the plan, confined to the deep
//! store, bounded in shape, time, memory, result size and concurrency, and run on threads
//! of its own; answers come in the broker's `resultTable` shape.

mod answer;
mod functions;
mod guard;
mod providers;
pub mod runtime;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use arrow::datatypes::Schema;
use datafusion::catalog::MemorySchemaProvider;
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::logical_expr::{LogicalPlan, LogicalPlanBuilder};
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion::sql::resolve::resolve_table_references;
use lakeport_wire::query::{DataSchema, QueryAnswer, ResultTable};
use sqlx::PgPool;
use tokio::sync::Semaphore;

use crate::config::QueryConfig;
use crate::error::{ApiError, ApiResult};
use crate::model::schema::pinot_type_name;
use crate::segments::DeepStore;
use answer::Budget;
use guard::ShapeLimits;
use providers::{Providers, Resolved};
use runtime::QueryRuntime;

/// Queries answered and refused by this process, for `/metrics`.
#[derive(Debug, Default)]
struct Counters {
    ok: AtomicU64,
    failed: AtomicU64,
}

#[derive(Debug, Clone, Copy)]
pub struct QueryCounts {
    pub ok: u64,
    pub failed: u64,
}

/// What every query is held to; see `QueryConfig` for the knobs.
#[derive(Debug, Clone, Copy)]
struct Limits {
    shape: ShapeLimits,
    budget: Budget,
    timeout: Duration,
    max_concurrent: usize,
    /// The most one call of a size-growing function may build.
    function_budget_bytes: usize,
}

#[derive(Clone)]
pub struct QueryEngine {
    counters: Arc<Counters>,
    env: Arc<RuntimeEnv>,
    runtime: Arc<QueryRuntime>,
    slots: Arc<Semaphore>,
    limits: Limits,
    providers: Providers,
}

impl QueryEngine {
    pub fn new(config: &QueryConfig, deep_store: DeepStore) -> anyhow::Result<Self> {
        let memory_limit_bytes = config.memory_limit_mb.max(16) * 1024 * 1024;
        let limits = Limits {
            shape: ShapeLimits {
                max_sql_bytes: config.max_sql_bytes.max(16),
                max_depth: config.max_expression_depth.max(8),
            },
            budget: Budget {
                max_rows: config.max_result_rows.max(1),
                max_bytes: config.max_result_bytes.max(1024),
            },
            timeout: Duration::from_millis(config.timeout_ms.max(1)),
            max_concurrent: config.max_concurrent.max(1),
            function_budget_bytes: memory_limit_bytes / 4,
        };
        Ok(Self {
            env: providers::confined_runtime(&deep_store, memory_limit_bytes)
                .map_err(|e| anyhow::anyhow!("{e}"))?,
            runtime: Arc::new(QueryRuntime::new(config.threads)?),
            slots: Arc::new(Semaphore::new(limits.max_concurrent)),
            limits,
            providers: Providers::default(),
            counters: Arc::default(),
        })
    }

    pub fn counters(&self) -> QueryCounts {
        QueryCounts {
            ok: self.counters.ok.load(Relaxed),
            failed: self.counters.failed.load(Relaxed),
        }
    }

    pub fn forget(&self, raw_table: &str) {
        self.providers.forget(raw_table);
    }

    /// Answers one read-only statement in the broker's `resultTable` shape.
    pub async fn execute(&self, pool: &PgPool, sql: &str) -> ApiResult<QueryAnswer> {
        let result = self.run(pool, sql).await;
        let counter = if result.is_ok() {
            &self.counters.ok
        } else {
            &self.counters.failed
        };
        counter.fetch_add(1, Relaxed);
        result
    }

    async fn run(&self, pool: &PgPool, sql: &str) -> ApiResult<QueryAnswer> {
        let started = Instant::now();
        guard::check_length(sql, &self.limits.shape)?;
        let _slot = self.slots.clone().try_acquire_owned().map_err(|_| {
            ApiError::TooManyRequests {
                message: format!(
                    "{} queries are already running, as many as query.max_concurrent allows; try again shortly",
                    self.limits.max_concurrent
                ),
                retry_after_secs: 1,
            }
        })?;
        let deadline = tokio::time::Instant::now() + self.limits.timeout;
        let within_time =
            tokio::time::timeout_at(deadline, self.plan_and_answer(pool, sql, deadline));
        let (schema, rows, resolved) = within_time.await.map_err(|_| timed_out(&self.limits))??;
        let num_rows = rows.rows.len() as u64;
        Ok(QueryAnswer {
            result_table: ResultTable {
                data_schema: DataSchema {
                    column_names: schema.fields().iter().map(|f| f.name().clone()).collect(),
                    column_data_types: schema
                        .fields()
                        .iter()
                        .map(|f| pinot_type_name(f.data_type()))
                        .collect(),
                },
                rows: rows.rows,
            },
            num_rows_result_set: num_rows,
            partial_result: rows.partial,
            num_segments_queried: resolved.segments as u64,
            total_docs: resolved.total_docs,
            exceptions: Vec::new(),
            time_used_ms: started.elapsed().as_millis() as u64,
        })
    }

    /// Parsing and planning happen on the query threads (twice parsed, so the syntax tree
    /// never leaves them); only the metadata lookups between run here.
    async fn plan_and_answer(
        &self,
        pool: &PgPool,
        sql: &str,
        deadline: tokio::time::Instant,
    ) -> ApiResult<(Schema, answer::Rows, Resolved)> {
        let text: Arc<str> = Arc::from(sql);
        let limits = self.limits;
        let references = self
            .runtime
            .spawn({
                let text = text.clone();
                async move {
                    let statement = guard::read_only_statement(&text, &limits.shape)?;
                    let (tables, _ctes) =
                        resolve_table_references(&statement, true).map_err(|e| {
                            ApiError::Query(format!("cannot read the tables of this query: {e}"))
                        })?;
                    Ok(tables)
                }
            })
            .await?;
        let resolved = self.providers.resolve(pool, references).await?;
        let tables = resolved.tables.clone();
        let env = self.env.clone();
        let (schema, rows) = self
            .runtime
            .spawn(async move {
                // Also bounded here, so the work stops even if nobody awaits it any more.
                tokio::time::timeout_at(
                    deadline,
                    execute_on_query_threads(&text, limits, env, tables),
                )
                .await
                .unwrap_or_else(|_| Err(timed_out(&limits)))
            })
            .await?;
        Ok((schema, rows, resolved))
    }
}

async fn execute_on_query_threads(
    sql: &str,
    limits: Limits,
    env: Arc<RuntimeEnv>,
    tables: Vec<(
        datafusion::sql::TableReference,
        Arc<dyn datafusion::catalog::TableProvider>,
    )>,
) -> ApiResult<(Schema, answer::Rows)> {
    let statement = guard::read_only_statement(sql, &limits.shape)?;
    let mut state = SessionStateBuilder::new()
        .with_default_features()
        .with_config(
            SessionConfig::new()
                .with_information_schema(true)
                .with_target_partitions(2),
        )
        .with_runtime_env(env)
        .build();
    functions::cap_growing_functions(&mut state, limits.function_budget_bytes)
        .map_err(ApiError::internal)?;
    let session = SessionContext::new_with_state(state);
    register_schemas(&session, &tables)?;
    for (reference, provider) in tables {
        session
            .register_table(reference.clone(), provider)
            .map_err(|e| ApiError::Query(format!("registering table '{reference}': {e}")))?;
    }
    let plan = session
        .state()
        .statement_to_plan(statement)
        .await
        .map_err(engine_error)?;
    guard::verify_plan(&plan)?;
    let plan = capped_rows(plan, limits.budget.max_rows)?;
    let frame = session
        .execute_logical_plan(plan)
        .await
        .map_err(engine_error)?;
    let schema = frame.schema().as_arrow().clone();
    let stream = frame.execute_stream().await.map_err(engine_error)?;
    let rows = answer::collect(stream, limits.budget).await?;
    Ok((schema, rows))
}

/// A pipe table is named `<instance>.<table>`: its instance must exist as a schema of the
/// default catalog before the table can be registered in it.
fn register_schemas(
    session: &SessionContext,
    tables: &[(
        datafusion::sql::TableReference,
        Arc<dyn datafusion::catalog::TableProvider>,
    )],
) -> ApiResult<()> {
    let Some(catalog) = session.catalog("datafusion") else {
        return Ok(());
    };
    for schema in tables
        .iter()
        .filter_map(|(reference, _)| reference.schema())
    {
        if catalog.schema(schema).is_none() {
            catalog
                .register_schema(schema, Arc::new(MemorySchemaProvider::new()))
                .map_err(ApiError::internal)?;
        }
    }
    Ok(())
}

fn timed_out(limits: &Limits) -> ApiError {
    ApiError::QueryTimeout(format!(
        "the query ran longer than the {} ms limit (query.timeout_ms) and was stopped",
        limits.timeout.as_millis()
    ))
}

/// One row more than the answer carries is enough to know it was cut; the optimizer
/// pushes the limit down, so nothing computes rows nobody will see.
fn capped_rows(plan: LogicalPlan, max_rows: usize) -> ApiResult<LogicalPlan> {
    if matches!(
        plan,
        LogicalPlan::Explain(_) | LogicalPlan::Analyze(_) | LogicalPlan::DescribeTable(_)
    ) {
        return Ok(plan);
    }
    LogicalPlanBuilder::from(plan)
        .limit(0, Some(max_rows + 1))
        .and_then(LogicalPlanBuilder::build)
        .map_err(ApiError::internal)
}

/// DataFusion's failures are the query's: its messages, without internal prefixes.
fn engine_error(err: datafusion::error::DataFusionError) -> ApiError {
    let text = err.to_string();
    ApiError::Query(
        text.trim_start_matches("Error during planning: ")
            .trim_start_matches("SQL error: ")
            .trim_start_matches("Schema error: ")
            .trim_start_matches("Execution error: ")
            .to_owned(),
    )
}
