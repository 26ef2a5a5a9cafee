//! placeholder
use crate::error::ApiResult;
use crate::model::table_config::TaskParams;
#[derive(Debug, Clone)]
pub struct ParquetOptions;
impl ParquetOptions { pub fn from_params(_p: &TaskParams, _at: &str) -> ApiResult<Self> { todo!() } }
