//! `iceberg-rest`: tables behind an Iceberg REST catalog (AWS Glue, AWS S3 Tables, any REST catalog).

pub mod append;
mod client;
pub mod evolution;
mod metrics;
mod sigv4;
pub mod snapshots;
mod storage;
pub mod table;

use std::ops::Range;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;

use super::outbound::OutboundPolicy;
use super::params::IcebergRestSpec;
use super::{BrowseItem, BrowseKind, Catalog, CatalogError, CatalogResult, SourceFile};
use crate::config::Config;
use client::RestClient;

pub struct IcebergRestCatalog {
    client: Arc<RestClient>,
    spec: IcebergRestSpec,
    policy: OutboundPolicy,
}

/// Iceberg data files are only meaningful with the delete files that apply to them, so
/// they are read through `snapshots`, never as loose files.
const NOT_LOOSE_FILES: &str = "an Iceberg table is read snapshot by snapshot with its delete files, not as loose Parquet files";

impl IcebergRestCatalog {
    /// `namespace.table`, as messages name the onboarded table.
    pub fn table_name(&self) -> String {
        self.spec
            .table
            .as_ref()
            .map(|(ns, name)| format!("{}.{name}", ns.join(".")))
            .unwrap_or_default()
    }

    /// Connects to the catalog; every request it and its tables make passes the outbound policy.
    pub async fn open(spec: &IcebergRestSpec, config: &Config) -> CatalogResult<Self> {
        let policy = OutboundPolicy::from_config(&config.outbound)?;
        let mut client = RestClient::new(spec, &policy)?;
        client.connect().await?;
        Ok(Self {
            client: Arc::new(client),
            spec: spec.clone(),
            policy,
        })
    }

    /// The table the connection's `table.namespace` / `table.tableName` name, loaded now
    /// (with fresh vended credentials, when the catalog vends them).
    pub async fn open_table(&self) -> CatalogResult<table::LoadedTable> {
        let (namespace, name) = self.named_table()?;
        table::load(
            &self.client,
            namespace,
            name,
            self.spec.storage.as_ref(),
            &self.policy,
        )
        .await
    }

    /// The named table as an export target, once it is known to exist, be unpartitioned
    /// and take Parquet (each refusal an `InvalidConfig` naming the table). Nothing is
    /// written until `AppendTarget::upload_data_file`.
    pub async fn open_append_target(&self) -> CatalogResult<append::AppendTarget> {
        let (namespace, name) = self.named_table()?;
        append::AppendTarget::open(
            self.client.clone(),
            namespace.clone(),
            name.clone(),
            self.spec.storage.clone(),
            self.policy.clone(),
        )
        .await
    }

    fn named_table(&self) -> CatalogResult<&(Vec<String>, String)> {
        self.spec.table.as_ref().ok_or_else(|| {
            CatalogError::InvalidConfig(
                "name the table with catalog.iceberg-rest.table.namespace and catalog.iceberg-rest.table.tableName".into(),
            )
        })
    }
}

/// `a/b/` → `["a", "b"]`: browse paths name nested namespaces with '/'.
fn namespace_of(path: &str) -> CatalogResult<Vec<String>> {
    let relative = super::checked_relative_path(path)?;
    Ok(relative
        .split('/')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect())
}

#[async_trait]
impl Catalog for IcebergRestCatalog {
    fn root_uri(&self) -> String {
        self.spec.display_uri()
    }

    /// The root lists namespaces; a namespace lists its child namespaces and its tables.
    async fn browse(&self, path: &str) -> CatalogResult<Vec<BrowseItem>> {
        let namespace = namespace_of(path)?;
        let mut items: Vec<BrowseItem> = self
            .client
            .list_namespaces(&namespace)
            .await?
            .into_iter()
            .filter_map(|levels| levels.last().cloned())
            .map(|name| BrowseItem {
                name: format!("{name}/"),
                kind: BrowseKind::Dir,
            })
            .collect();
        if !namespace.is_empty() {
            let mut tables = self.client.list_tables(&namespace).await?;
            tables.sort();
            items.extend(tables.into_iter().map(|name| BrowseItem {
                name,
                kind: BrowseKind::Table,
            }));
        }
        Ok(items)
    }

    async fn list_files(&self) -> CatalogResult<Vec<SourceFile>> {
        Err(CatalogError::InvalidConfig(NOT_LOOSE_FILES.into()))
    }

    async fn read_all(&self, _file: &SourceFile) -> CatalogResult<Bytes> {
        Err(CatalogError::InvalidConfig(NOT_LOOSE_FILES.into()))
    }

    async fn read_range(&self, _file: &SourceFile, _range: Range<u64>) -> CatalogResult<Bytes> {
        Err(CatalogError::InvalidConfig(NOT_LOOSE_FILES.into()))
    }
}
