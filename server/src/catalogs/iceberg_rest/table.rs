//! Loads one Iceberg table through the REST client and reads it with iceberg-rust:
//! FileIO from the connection's storage keys (or the catalog's vended ones, see `storage`), schema, sample rows.

use arrow::record_batch::RecordBatch;
use futures::TryStreamExt;
use iceberg::Runtime;
use iceberg::spec::{TableMetadata, Transform};
use iceberg::table::Table;
use iceberg::{NamespaceIdent, TableIdent};

use super::client::RestClient;
use super::storage::{VENDED_EXPIRY, file_io, s3_bucket, storage_props};
use crate::catalogs::CatalogError;
use crate::catalogs::outbound::OutboundPolicy;
use crate::catalogs::params::S3Spec;

/// A loaded table and when the storage credentials the catalog vended for it expire.
pub struct LoadedTable {
    pub table: Table,
    pub credentials_expire_at_ms: Option<i64>,
}

/// How long before vended credentials expire a long sync reloads the table for fresh ones.
const CREDENTIAL_MARGIN_MS: i64 = 5 * 60 * 1000;

impl LoadedTable {
    pub fn credentials_expire_soon(&self, now_ms: i64) -> bool {
        self.credentials_expire_at_ms
            .is_some_and(|at| at - now_ms < CREDENTIAL_MARGIN_MS)
    }
}

/// How a loaded table's FileIO may touch its files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    /// Reads, and writes below the table's location (data files, manifests, manifest lists).
    Append,
}

pub async fn load(
    client: &RestClient,
    namespace: &[String],
    name: &str,
    storage: Option<&S3Spec>,
    policy: &OutboundPolicy,
) -> Result<LoadedTable, CatalogError> {
    load_with(client, namespace, name, storage, policy, Access::Read).await
}

pub async fn load_with(
    client: &RestClient,
    namespace: &[String],
    name: &str,
    storage: Option<&S3Spec>,
    policy: &OutboundPolicy,
    access: Access,
) -> Result<LoadedTable, CatalogError> {
    let load = client.load_table(namespace, name).await?;
    let metadata: TableMetadata =
        serde_json::from_value(load["metadata"].clone()).map_err(|e| {
            CatalogError::BadData(format!(
                "table metadata of {}.{name} is not valid Iceberg metadata: {e}",
                namespace.join(".")
            ))
        })?;
    let table_name = format!("{}.{name}", namespace.join("."));
    // Refused before anything is read: a table outside S3 (`file://…`), or metadata and
    // snapshots outside the table's bucket. The FileIO checks every later path the same way.
    let bucket = s3_bucket(metadata.location()).map_err(|why| {
        CatalogError::InvalidConfig(format!(
            "table {table_name} (as the catalog describes it): {why}"
        ))
    })?;
    let mut places: Vec<&str> = metadata
        .snapshots()
        .map(|snapshot| snapshot.manifest_list())
        .collect();
    places.extend(load["metadata-location"].as_str());
    for place in places {
        match s3_bucket(place) {
            Ok(b) if b == bucket => {}
            Ok(_) => {
                return Err(CatalogError::InvalidConfig(format!(
                    "the catalog names '{place}' for table {table_name}, outside its bucket '{bucket}'; Lakeport reads a table's files only from the bucket its location names"
                )));
            }
            Err(why) => {
                return Err(CatalogError::InvalidConfig(format!(
                    "table {table_name} (as the catalog describes it): {why}"
                )));
            }
        }
    }
    let props = storage_props(storage, &load, metadata.location())?;
    let credentials_expire_at_ms = props
        .props
        .get(VENDED_EXPIRY)
        .and_then(|v| v.parse::<i64>().ok());
    let writable_under = (access == Access::Append).then(|| metadata.location().to_owned());
    let file_io = file_io(props, bucket, writable_under, policy).await?;
    let identifier = TableIdent::new(
        NamespaceIdent::from_vec(namespace.to_vec())
            .map_err(|e| CatalogError::InvalidConfig(format!("namespace: {e}")))?,
        name.to_owned(),
    );
    let mut builder = Table::builder()
        .metadata(metadata)
        .identifier(identifier)
        .file_io(file_io)
        .readonly(access == Access::Read)
        .runtime(
            Runtime::try_current()
                .map_err(|e| CatalogError::Transient(format!("iceberg runtime: {e}")))?,
        );
    if let Some(location) = load["metadata-location"].as_str() {
        builder = builder.metadata_location(location);
    }
    let table = builder.build().map_err(|e| {
        CatalogError::BadData(format!(
            "cannot open table {}.{name}: {e}",
            namespace.join(".")
        ))
    })?;
    Ok(LoadedTable {
        table,
        credentials_expire_at_ms,
    })
}

/// Up to `limit` rows of the current snapshot (deletes applied), or none for an empty table.
pub async fn sample(table: &Table, limit: usize) -> Result<Vec<RecordBatch>, CatalogError> {
    if table.metadata().current_snapshot().is_none() || limit == 0 {
        return Ok(vec![]);
    }
    let scan = table.scan().select_all().build().map_err(read_error)?;
    let mut stream = scan.to_arrow().await.map_err(read_error)?;
    let mut batches = Vec::new();
    let mut rows = 0;
    while rows < limit
        && let Some(batch) = stream.try_next().await.map_err(read_error)?
    {
        let take = batch.num_rows().min(limit - rows);
        rows += take;
        batches.push(batch.slice(0, take));
    }
    Ok(batches)
}

/// The data files of the current snapshot, as URIs.
pub async fn data_files(table: &Table) -> Result<Vec<String>, CatalogError> {
    let Some(current) = table.metadata().current_snapshot() else {
        return Ok(vec![]);
    };
    Ok(super::snapshots::plan(table, current.snapshot_id(), &[])
        .await?
        .into_iter()
        .map(|planned| planned.file.key)
        .collect())
}

/// Names of the columns the default partition spec partitions by with `identity`.
pub fn identity_partition_columns(table: &Table) -> Vec<String> {
    let metadata = table.metadata();
    let schema = metadata.current_schema();
    metadata
        .default_partition_spec()
        .fields()
        .iter()
        .filter(|f| f.transform == Transform::Identity)
        .filter_map(|f| {
            schema
                .field_by_id(f.source_id)
                .map(|field| field.name.clone())
        })
        .collect()
}

pub(super) fn read_error(err: iceberg::Error) -> CatalogError {
    CatalogError::BadData(format!("reading the Iceberg table failed: {err}"))
}
