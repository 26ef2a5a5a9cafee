//! A pipe row as the API answers it.

use lakeport_wire::ailake::{PipeTable, PipeTableSummary};

use super::plan::PipeDefinition;
use crate::error::{ApiError, ApiResult};
use crate::store::ailake::PipeRow;

pub fn definition_of(pipe: &PipeRow) -> ApiResult<PipeDefinition> {
    serde_json::from_value(pipe.definition.clone()).map_err(ApiError::internal)
}

pub fn summary(pipe: &PipeRow) -> ApiResult<PipeTableSummary> {
    Ok(PipeTableSummary {
        pipe_table_id: pipe.id.to_string(),
        table_name: pipe.table_name.clone(),
        path_prefix: pipe.path_prefix.clone(),
        columns: definition_of(pipe)?.columns,
    })
}

pub fn pipe_table(instance_name: &str, pipe: &PipeRow) -> ApiResult<PipeTable> {
    let definition = definition_of(pipe)?;
    Ok(PipeTable {
        summary: summary(pipe)?,
        database_name: instance_name.to_owned(),
        key_config: definition.key_config,
        distribution_config: definition.distribution_config,
        partition_config: definition.partition_config,
        partition_columns: definition.partition_columns,
        polling_interval_seconds: definition.polling_interval_seconds,
        source_storage_name: definition.source_storage_name,
        table_properties: definition.table_properties,
        aggregation_overrides: definition.aggregation_overrides,
        table_name_with_type: pipe.lakeport_table.clone(),
    })
}
