//! placeholder
use std::path::Path;
use arrow::datatypes::SchemaRef;
use crate::catalogs::CatalogResult;
pub struct AppendTarget;
pub struct StagedDataFile;
pub enum CommitOutcome { Committed { snapshot_id: i64 }, Unknown { reason: String } }
impl StagedDataFile { pub fn to_json(&self) -> anyhow::Result<serde_json::Value> { todo!() } pub fn from_json(_v: &serde_json::Value) -> anyhow::Result<Self> { todo!() } pub fn path(&self) -> &str { todo!() } }
impl AppendTarget {
 pub fn arrow_schema(&self) -> SchemaRef { todo!() }
 pub async fn upload_data_file(&self, _n: &str, _p: &Path) -> CatalogResult<StagedDataFile> { todo!() }
 pub async fn commit(&self, _f: &[StagedDataFile], _id: &str) -> CatalogResult<CommitOutcome> { todo!() }
 pub async fn find_commit(&self, _id: &str) -> CatalogResult<Option<i64>> { todo!() }
}
impl super::IcebergRestCatalog { pub async fn open_append_target(&self) -> CatalogResult<AppendTarget> { todo!() } }
