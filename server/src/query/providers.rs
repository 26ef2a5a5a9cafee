//! Table providers over committed segments, and the only files a query can reach: the
//! engine's object store is the deep store itself, so no path, URL or `file://` a
//! statement spells can lead anywhere else.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arrow::datatypes::SchemaRef;
use datafusion::catalog::TableProvider;
use datafusion::datasource::MemTable;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::execution::object_store::{DefaultObjectStoreRegistry, ObjectStoreRegistry};
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::object_store::local::LocalFileSystem;
use datafusion::sql::TableReference;
use sqlx::PgPool;

use crate::error::{ApiError, ApiResult};
use crate::model::schema::{TableSchema, parse_source_types, segment_arrow_schema};
use crate::segments::DeepStore;
use crate::store;

/// The execution environment every query shares: one memory pool, and object stores that
/// hold nothing but the deep store. `file:///<table>/<segment>.parquet` is resolved inside
/// the deep store's root (object store paths cannot climb out with `..`); every other
/// scheme has no store at all.
pub fn confined_runtime(
    deep_store: &DeepStore,
    memory_limit_bytes: usize,
) -> ApiResult<Arc<RuntimeEnv>> {
    let registry = DefaultObjectStoreRegistry::new();
    let segments_only =
        LocalFileSystem::new_with_prefix(deep_store.root()).map_err(ApiError::internal)?;
    let file_scheme = url::Url::parse("file://").expect("a valid URL");
    registry.register_store(&file_scheme, Arc::new(segments_only));
    RuntimeEnvBuilder::new()
        .with_object_store_registry(Arc::new(registry))
        .with_memory_limit(memory_limit_bytes, 1.0)
        .build_arc()
        .map_err(ApiError::internal)
}

/// Providers built for a table's current segment set, reused until the set changes,
/// so repeated queries do not re-read every segment footer.
type ProviderCache = HashMap<String, (String, Arc<dyn TableProvider>)>;

/// The tables a statement names, ready to register, with what the answer reports of them.
#[derive(Default)]
pub struct Resolved {
    pub tables: Vec<(TableReference, Arc<dyn TableProvider>)>,
    pub segments: usize,
    pub total_docs: i64,
}

#[derive(Clone, Default)]
pub struct Providers {
    cache: Arc<Mutex<ProviderCache>>,
}

impl Providers {
    pub fn forget(&self, raw_table: &str) {
        self.cache.lock().expect("cache lock").remove(raw_table);
    }

    /// Looks up each named table; names that are no table are left for the planner to
    /// report as unknown.
    pub async fn resolve(
        &self,
        pool: &PgPool,
        references: Vec<TableReference>,
    ) -> ApiResult<Resolved> {
        let mut resolved = Resolved::default();
        for reference in references {
            // `<instance>.<table>` names an AI Lake pipe table, whose SQL name is that
            // dotted pair; a catalog part is never a Lakeport name.
            let sql_name = match (reference.catalog(), reference.schema()) {
                (_, Some("information_schema")) | (Some(_), _) => continue,
                (None, Some(schema)) => format!("{schema}.{}", reference.table()),
                (None, None) => reference.table().to_owned(),
            };
            let Some(table) = store::tables::for_sql_name(pool, &sql_name).await? else {
                continue;
            };
            let (provider, segments, rows) = self.provider_for(pool, &table).await?;
            resolved.segments += segments;
            resolved.total_docs += rows;
            resolved.tables.push((reference, provider));
        }
        Ok(resolved)
    }

    async fn provider_for(
        &self,
        pool: &PgPool,
        table: &store::tables::TableRow,
    ) -> ApiResult<(Arc<dyn TableProvider>, usize, i64)> {
        // Completed segments and, for a REALTIME table, its consuming chunks: read in one
        // statement, so a seal is seen whole or not at all.
        let segments = store::realtime::query_files(pool, &table.name).await?;
        let rows: i64 = segments.iter().map(|s| s.row_count).sum();
        // The table's own times too: a table dropped and made again from the same files
        // has the same segment names, perhaps with another schema.
        let fingerprint = format!(
            "{}|{}|{}",
            table.created_at.timestamp_micros(),
            table.updated_at.timestamp_micros(),
            segments
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(",")
        );
        if let Some((cached, provider)) =
            self.cache.lock().expect("cache lock").get(&table.raw_name)
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
                .map(|s| ListingTableUrl::parse(format!("file:///{}", s.location)))
                .collect::<Result<Vec<_>, _>>()
                .map_err(ApiError::internal)?;
            let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
                .with_file_extension(".parquet");
            let config = ListingTableConfig::new_with_multi_paths(urls)
                .with_listing_options(options)
                .with_schema(arrow_schema);
            Arc::new(ListingTable::try_new(config).map_err(ApiError::internal)?)
        };
        self.cache
            .lock()
            .expect("cache lock")
            .insert(table.raw_name.clone(), (fingerprint, provider.clone()));
        Ok((provider, segments.len(), rows))
    }
}
