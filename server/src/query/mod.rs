//! SQL over committed segments with DataFusion: read-only, time- and memory-limited, broker-style answers.

mod guard;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arrow::datatypes::SchemaRef;
use datafusion::catalog::TableProvider;
use datafusion::datasource::MemTable;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::prelude::{SessionConfig, SessionContext};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::config::QueryConfig;
use crate::error::{ApiError, ApiResult};
use crate::model::schema::{
    TableSchema, parse_source_types, pinot_type_name, segment_arrow_schema,
};
use crate::model::values::rows_as_arrays;
use crate::segments::DeepStore;
use crate::store;

/// Providers built for a table's current segment set, reused until the set changes,
/// so repeated queries do not re-read every segment footer.
type ProviderCache = HashMap<String, (String, Arc<dyn TableProvider>)>;

/// Queries answered and refused by this process, for `/metrics`.
#[derive(Debug, Default)]
struct Counters {
    ok: std::sync::atomic::AtomicU64,
    failed: std::sync::atomic::AtomicU64,
}

#[derive(Debug, Clone, Copy)]
pub struct QueryCounts {
    pub ok: u64,
    pub failed: u64,
}

#[derive(Clone)]
pub struct QueryEngine {
    counters: Arc<Counters>,
    runtime: Arc<RuntimeEnv>,
    timeout: Duration,
    max_rows: usize,
    deep_store: DeepStore,
    providers: Arc<Mutex<ProviderCache>>,
}

impl QueryEngine {
    pub fn new(config: &QueryConfig, deep_store: DeepStore) -> Self {
        let runtime = RuntimeEnvBuilder::new()
            .with_memory_limit(config.memory_limit_mb.max(16) * 1024 * 1024, 1.0)
            .build_arc()
            .expect("a memory-limited runtime always builds");
        Self {
            runtime,
            timeout: Duration::from_millis(config.timeout_ms.max(1)),
            max_rows: config.max_result_rows.max(1),
            deep_store,
            providers: Arc::default(),
            counters: Arc::default(),
        }
    }

    pub fn counters(&self) -> QueryCounts {
        use std::sync::atomic::Ordering::Relaxed;
        QueryCounts {
            ok: self.counters.ok.load(Relaxed),
            failed: self.counters.failed.load(Relaxed),
        }
    }

    pub fn forget(&self, raw_table: &str) {
        self.providers.lock().expect("cache lock").remove(raw_table);
    }

    /// Answers one read-only statement in the broker's `resultTable` shape.
    pub async fn execute(&self, pool: &PgPool, sql: &str) -> ApiResult<Value> {
        use std::sync::atomic::Ordering::Relaxed;
        let result = self.run(pool, sql).await;
        let counter = if result.is_ok() {
            &self.counters.ok
        } else {
            &self.counters.failed
        };
        counter.fetch_add(1, Relaxed);
        result
    }

    async fn run(&self, pool: &PgPool, sql: &str) -> ApiResult<Value> {
        let started = Instant::now();
        let statement = guard::read_only_statement(sql)?;
        let session = SessionContext::new_with_config_rt(
            SessionConfig::new()
                .with_information_schema(true)
                .with_target_partitions(2),
            self.runtime.clone(),
        );
        let references = session
            .state()
            .resolve_table_references(&statement)
            .map_err(|e| ApiError::Query(format!("cannot read the tables of this query: {e}")))?;
        let mut segments_queried = 0usize;
        let mut total_docs = 0i64;
        for reference in references {
            if reference
                .schema()
                .is_some_and(|s| s == "information_schema")
            {
                continue;
            }
            let name = reference.table();
            let Some(table) = store::tables::for_sql_name(pool, name).await? else {
                continue;
            };
            let (provider, segments, rows) = self.provider_for(pool, &table).await?;
            segments_queried += segments;
            total_docs += rows;
            session
                .register_table(reference.clone(), provider)
                .map_err(|e| ApiError::Query(format!("registering table '{name}': {e}")))?;
        }
        let plan = session
            .state()
            .statement_to_plan(statement)
            .await
            .map_err(|e| ApiError::Query(clean(e)))?;
        let frame = session
            .execute_logical_plan(plan)
            .await
            .map_err(|e| ApiError::Query(clean(e)))?;
        let schema: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
        let batches = match tokio::time::timeout(self.timeout, frame.collect()).await {
            Ok(result) => result.map_err(|e| ApiError::Query(clean(e)))?,
            Err(_) => {
                return Err(ApiError::QueryTimeout(format!(
                    "the query ran longer than the {} ms limit and was stopped",
                    self.timeout.as_millis()
                )));
            }
        };
        let total_rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        let rows = rows_as_arrays(&batches, self.max_rows);
        Ok(json!({
            "resultTable": {
                "dataSchema": {
                    "columnNames": schema.fields().iter().map(|f| f.name().clone()).collect::<Vec<_>>(),
                    "columnDataTypes": schema.fields().iter().map(|f| pinot_type_name(f.data_type())).collect::<Vec<_>>(),
                },
                "rows": rows,
            },
            "numRowsResultSet": total_rows,
            "partialResult": total_rows > self.max_rows,
            "numSegmentsQueried": segments_queried,
            "totalDocs": total_docs,
            "exceptions": [],
            "timeUsedMs": started.elapsed().as_millis() as u64,
        }))
    }

    async fn provider_for(
        &self,
        pool: &PgPool,
        table: &store::tables::TableRow,
    ) -> ApiResult<(Arc<dyn TableProvider>, usize, i64)> {
        let segments = store::segments::for_table(pool, &table.name).await?;
        let rows: i64 = segments.iter().map(|s| s.row_count).sum();
        let fingerprint = segments
            .iter()
            .map(|s| s.segment_name.as_str())
            .collect::<Vec<_>>()
            .join(",");
        if let Some((cached, provider)) = self
            .providers
            .lock()
            .expect("cache lock")
            .get(&table.raw_name)
            && *cached == fingerprint
        {
            return Ok((provider.clone(), segments.len(), rows));
        }
        let body = store::schemas::get(pool, &table.schema_name)
            .await?
            .ok_or_else(|| {
                ApiError::Query(format!(
                    "schema '{}' of table '{}' is missing",
                    table.schema_name, table.raw_name
                ))
            })?;
        let schema: TableSchema = serde_json::from_value(body).map_err(ApiError::internal)?;
        let arrow_schema: SchemaRef = Arc::new(segment_arrow_schema(
            &schema,
            &parse_source_types(&table.segment_types),
        ));
        let provider: Arc<dyn TableProvider> = if segments.is_empty() {
            Arc::new(MemTable::try_new(arrow_schema, vec![vec![]]).map_err(ApiError::internal)?)
        } else {
            let urls = segments
                .iter()
                .map(|s| {
                    ListingTableUrl::parse(self.deep_store.path(&s.location).to_string_lossy())
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(ApiError::internal)?;
            let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
                .with_file_extension(".parquet");
            let config = ListingTableConfig::new_with_multi_paths(urls)
                .with_listing_options(options)
                .with_schema(arrow_schema);
            Arc::new(ListingTable::try_new(config).map_err(ApiError::internal)?)
        };
        self.providers
            .lock()
            .expect("cache lock")
            .insert(table.raw_name.clone(), (fingerprint, provider.clone()));
        Ok((provider, segments.len(), rows))
    }
}

/// DataFusion's messages, without the internal error-kind prefixes.
fn clean(err: datafusion::error::DataFusionError) -> String {
    let text = err.to_string();
    text.trim_start_matches("Error during planning: ")
        .trim_start_matches("SQL error: ")
        .trim_start_matches("Schema error: ")
        .to_owned()
}
