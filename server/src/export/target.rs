//! placeholder
use crate::error::ApiResult;
use crate::model::table_config::TaskParams;
pub fn filesystem_source_params(_p: &TaskParams, _at: &str) -> ApiResult<TaskParams> { todo!() }
