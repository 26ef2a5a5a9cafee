//! Loads one Iceberg table through the REST client and reads it with iceberg-rust:
//! FileIO from the connection's storage keys (or the catalog's vended ones), schema, sample rows.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::record_batch::RecordBatch;
use futures::TryStreamExt;
use iceberg::Runtime;
use iceberg::io::FileIOBuilder;
use iceberg::spec::{TableMetadata, Transform};
use iceberg::table::Table;
use iceberg::{NamespaceIdent, TableIdent};
use iceberg_storage_opendal::OpenDalResolvingStorageFactory;
use serde_json::Value;

use super::client::RestClient;
use crate::catalogs::CatalogError;
use crate::catalogs::params::S3Spec;

/// FileIO properties for the connection's own storage keys. Instance metadata and
/// config files are switched off so nothing falls back to the server's identity.
fn storage_props(storage: Option<&S3Spec>) -> HashMap<String, String> {
    let mut props = HashMap::new();
    if let Some(s3) = storage {
        props.insert("s3.access-key-id".into(), s3.access_key.clone());
        props.insert(
            "s3.secret-access-key".into(),
            s3.secret_key.expose().to_owned(),
        );
        props.insert("s3.region".into(), s3.region.clone());
        if let Some(token) = &s3.session_token {
            props.insert("s3.session-token".into(), token.expose().to_owned());
        }
        if let Some(endpoint) = &s3.endpoint {
            props.insert("s3.endpoint".into(), endpoint.clone());
            props.insert("s3.path-style-access".into(), "true".into());
        }
    }
    props.insert("s3.disable-ec2-metadata".into(), "true".into());
    props.insert("s3.disable-config-load".into(), "true".into());
    props
}

/// The REST spec's key for when a vended S3 session token expires.
const VENDED_EXPIRY: &str = "s3.session-token-expires-at-ms";

/// Vended credentials win over the connection's keys: the catalog's `config`, then the
/// `storage-credentials` entry whose prefix matches the table location best.
fn vended_props(load: &Value, location: &str) -> HashMap<String, String> {
    let strings = |v: &Value| -> HashMap<String, String> {
        v.as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| k.starts_with("s3.") || k.starts_with("client."))
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
            .collect()
    };
    let mut props = strings(&load["config"]);
    let best = load["storage-credentials"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| {
            c["prefix"]
                .as_str()
                .is_some_and(|p| location.starts_with(p))
        })
        .max_by_key(|c| c["prefix"].as_str().map_or(0, str::len));
    if let Some(credential) = best {
        props.extend(strings(&credential["config"]));
    }
    props
}

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

pub async fn load(
    client: &RestClient,
    namespace: &[String],
    name: &str,
    storage: Option<&S3Spec>,
) -> Result<LoadedTable, CatalogError> {
    let load = client.load_table(namespace, name).await?;
    let metadata: TableMetadata =
        serde_json::from_value(load["metadata"].clone()).map_err(|e| {
            CatalogError::BadData(format!(
                "table metadata of {}.{name} is not valid Iceberg metadata: {e}",
                namespace.join(".")
            ))
        })?;
    let mut props = storage_props(storage);
    props.extend(vended_props(&load, metadata.location()));
    let credentials_expire_at_ms = props.get(VENDED_EXPIRY).and_then(|v| v.parse::<i64>().ok());
    let file_io = FileIOBuilder::new(Arc::new(OpenDalResolvingStorageFactory::new()))
        .with_props(props)
        .build();
    let identifier = TableIdent::new(
        NamespaceIdent::from_vec(namespace.to_vec())
            .map_err(|e| CatalogError::InvalidConfig(format!("namespace: {e}")))?,
        name.to_owned(),
    );
    let mut builder = Table::builder()
        .metadata(metadata)
        .identifier(identifier)
        .file_io(file_io)
        .readonly(true)
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
