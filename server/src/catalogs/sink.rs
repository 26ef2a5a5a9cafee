//! placeholder
use std::path::Path;
use super::{CatalogResult, SourceSpec};
use crate::config::Config;
use crate::error::ApiResult;
pub async fn put_file(_s: &SourceSpec, _c: &Config, _n: &str, _f: &Path) -> CatalogResult<String> { todo!() }
pub fn check_local_destination(_p: &Path, _c: &Config) -> ApiResult<()> { todo!() }
