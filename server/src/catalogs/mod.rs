//! Talking to sources: one trait, one implementation per catalog kind (`local`, `s3`, `iceberg-rest`).

pub mod aws_credentials;
pub mod iceberg_rest;
mod local;
pub mod outbound;
pub mod params;
pub mod partitions;
pub mod reader;
mod s3;
pub mod sink;

use std::ops::Range;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};

use crate::config::Config;
pub use crate::error::CatalogError;
pub use params::{SourceSpec, parse_source};

pub use lakeport_wire::connections::{BrowseItem, BrowseKind};

/// A data file of the source. `key` is relative to the connection's root, so
/// it stays the same if the root is spelled differently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    pub key: String,
    pub size: u64,
    /// What changes when the file is re-written: the S3 ETag, or mtime+size on disk.
    pub etag: String,
    pub last_modified: Option<DateTime<Utc>>,
}

pub type CatalogResult<T> = Result<T, CatalogError>;

#[async_trait]
pub trait Catalog: Send + Sync {
    /// Where the data lives, as a URI a person recognises (`s3://bucket/prefix/`).
    fn root_uri(&self) -> String;

    /// Lists directories and Parquet files directly under `path` (relative to the root).
    async fn browse(&self, path: &str) -> CatalogResult<Vec<BrowseItem>>;

    /// Every Parquet data file under the root, at any depth, sorted by key.
    async fn list_files(&self) -> CatalogResult<Vec<SourceFile>>;

    async fn read_all(&self, file: &SourceFile) -> CatalogResult<Bytes>;

    async fn read_range(&self, file: &SourceFile, range: Range<u64>) -> CatalogResult<Bytes>;

    fn file_uri(&self, file: &SourceFile) -> String {
        format!("{}{}", self.root_uri(), file.key)
    }
}

/// Opens the catalog a source spec describes. Secrets must already be resolved.
/// Every endpoint it names passes the outbound policy first.
pub async fn open(spec: &SourceSpec, config: &Config) -> CatalogResult<Arc<dyn Catalog>> {
    match spec {
        SourceSpec::Local(local) => Ok(Arc::new(local::LocalCatalog::open(
            local,
            &config.local_roots,
        )?)),
        SourceSpec::S3(s3) => {
            let policy = outbound::OutboundPolicy::from_config(&config.outbound)?;
            Ok(Arc::new(
                s3::S3Catalog::open(s3, config.s3_endpoint.as_deref(), &policy, &config.aws)
                    .await?,
            ))
        }
        SourceSpec::IcebergRest(rest) => Ok(Arc::new(
            iceberg_rest::IcebergRestCatalog::open(rest, config).await?,
        )),
    }
}

/// Whether a listed object is a data file: Parquet, and not a marker or hidden file
/// that writers such as Spark leave beside the data.
pub fn is_data_file(key: &str) -> bool {
    let name = key.rsplit('/').next().unwrap_or(key);
    !name.starts_with('.')
        && !name.starts_with('_')
        && name.to_ascii_lowercase().ends_with(".parquet")
}

/// Joins a browse path onto a root, refusing anything that could climb out of it.
pub fn checked_relative_path(path: &str) -> CatalogResult<String> {
    let trimmed = path.trim_start_matches('/');
    let mut parts = Vec::new();
    for part in trimmed.split('/') {
        match part {
            "" | "." => continue,
            ".." => {
                return Err(CatalogError::InvalidConfig(format!(
                    "path '{path}' may not contain '..': browsing is limited to the connection's prefix"
                )));
            }
            p if p.contains('\\') || p.contains('\0') => {
                return Err(CatalogError::InvalidConfig(format!(
                    "path '{path}' contains an invalid character"
                )));
            }
            p => parts.push(p),
        }
    }
    let mut joined = parts.join("/");
    if !joined.is_empty() {
        joined.push('/');
    }
    Ok(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browse_paths_cannot_climb_out() {
        assert!(checked_relative_path("../etc").is_err());
        assert!(checked_relative_path("a/../../b").is_err());
        assert_eq!(checked_relative_path("").unwrap(), "");
        assert_eq!(checked_relative_path("/2024/01").unwrap(), "2024/01/");
        assert_eq!(checked_relative_path("2024//01/").unwrap(), "2024/01/");
    }

    #[test]
    fn markers_and_hidden_files_are_not_data() {
        assert!(is_data_file("year=2024/part-0.parquet"));
        assert!(!is_data_file("year=2024/_SUCCESS"));
        assert!(!is_data_file(".part-0.parquet.crc"));
        assert!(!is_data_file("notes.txt"));
    }
}
