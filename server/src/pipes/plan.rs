//! Planning a pipe table: read the prefix, check its layout, infer the schema, apply the
//! overrides and check every setting, so that a request that can never work is a 400 now.

use std::collections::BTreeMap;

use lakeport_wire::ailake::{
    CreatePipeTableRequest, DEFAULT_POLLING_INTERVAL_SECS, DistributionConfig, KeyConfig, KeyType,
    PartitionConfig, PipeColumn, TIME_UNITS,
};
use lakeport_wire::schema::FieldDataType;
use lakeport_wire::table_config::TaskParams;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use super::sql_types::{self, SqlType};
use super::{lakeport_names, layout};
use crate::catalogs;
use crate::error::{ApiError, ApiResult};
use crate::model::schedule;
use crate::model::schema::{TableSchema, segment_arrow_schema, source_types_json};
use crate::preview::{self, infer};
use crate::sources::{self, SourceContext};
use crate::store::ailake::{InstanceRow, StorageRow};

/// The functions `aggregationOverrides` may name.
pub const AGGREGATIONS: [&str; 8] = [
    "SUM",
    "MIN",
    "MAX",
    "REPLACE",
    "REPLACE_IF_NOT_NULL",
    "HLL_UNION",
    "BITMAP_UNION",
    "PERCENTILE_UNION",
];

/// What a pipe table's answer reports beyond its Lakeport table, kept with the pipe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PipeDefinition {
    pub columns: Vec<PipeColumn>,
    pub key_config: KeyConfig,
    pub distribution_config: DistributionConfig,
    pub partition_config: Option<PartitionConfig>,
    pub partition_columns: Vec<String>,
    pub polling_interval_seconds: u32,
    pub table_properties: BTreeMap<String, String>,
    pub aggregation_overrides: BTreeMap<String, String>,
    pub column_overrides: BTreeMap<String, String>,
    pub max_varchar_length: u32,
    pub source_storage_name: String,
}

/// Everything creating the pipe table writes, decided when the request came in.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PipePlan {
    pub pipe_id: Uuid,
    pub instance_id: Uuid,
    pub instance_name: String,
    pub table_name: String,
    pub path_prefix: String,
    pub storage_id: Uuid,
    pub connection_id: Option<Uuid>,
    /// The Lakeport table (`<instance>.<table>_OFFLINE`) and its SQL name.
    pub lakeport_table: String,
    pub raw_name: String,
    pub schema: TableSchema,
    /// The stored table config: secrets masked, the sync task reading the prefix.
    pub table_config: Value,
    pub segment_types: Value,
    pub source_uri: String,
    pub schedule: String,
    pub definition: PipeDefinition,
}

/// Checks a create request against the storage and the files under its prefix (the
/// table name was checked by the caller, before any lookup).
pub async fn plan(
    cx: &SourceContext<'_>,
    instance: &InstanceRow,
    storage: &StorageRow,
    request: &CreatePipeTableRequest,
) -> ApiResult<PipePlan> {
    if !instance.storage_ids.contains(&storage.id) {
        return Err(ApiError::invalid(
            "sourceStorageName",
            format!(
                "storage '{}' is not one of instance '{}''s storages; provision the instance with its id in storageIds",
                storage.name, instance.name
            ),
        ));
    }
    let max_varchar = non_negative(request.max_varchar_length, "maxVarcharLength")?;
    let polling = match non_negative(request.polling_interval_seconds, "pollingIntervalSeconds")? {
        0 => DEFAULT_POLLING_INTERVAL_SECS,
        secs => secs,
    };
    let (raw_name, lakeport_table) = lakeport_names(&instance.name, &request.table_name);

    let mut params: TaskParams =
        serde_json::from_value(storage.params.clone()).map_err(ApiError::internal)?;
    params.insert("catalog.s3.prefix".into(), request.path_prefix.clone());
    params.insert("schedule".into(), schedule::every_seconds(polling));
    let spec = sources::resolve_stored(cx, &params, storage.connection_id)
        .await
        .map_err(|err| match err {
            ApiError::Invalid { message, .. } => ApiError::invalid("pathPrefix", message),
            other => other,
        })?;
    let catalog = catalogs::open(&spec, cx.config).await?;
    let files = catalog.list_files().await?;
    if files.is_empty() {
        return Err(ApiError::invalid(
            "pathPrefix",
            format!(
                "no Parquet files under {}: the schema is inferred from them, so put files there first",
                spec.display_uri()
            ),
        ));
    }
    let partition_columns =
        layout::partition_columns(&files).map_err(|m| ApiError::invalid("pathPrefix", m))?;
    let shape = preview::discover_shape(&catalog, &files).await?;
    let mut schema = infer::derive_schema(&infer::Inference {
        schema_name: &raw_name,
        union: &shape.union,
        partitions: &shape.partitions,
        time_column: None,
        from_values: None,
    })
    .map_err(|m| ApiError::invalid("pathPrefix", m))?;
    let mut source_types = preview::source_types(&shape);
    let overrides = apply_overrides(&mut schema, &mut source_types, request)?;

    // Source order: the files' columns, then the Hive folders.
    let mut order: Vec<String> = shape
        .union
        .fields
        .iter()
        .map(|f| f.name().clone())
        .collect();
    for column in &partition_columns {
        if !order.contains(column) {
            order.push(column.clone());
        }
    }
    let stored = segment_arrow_schema(&schema, &source_types);
    let columns: Vec<PipeColumn> = order
        .iter()
        .filter_map(|name| {
            let field = stored.field_with_name(name).ok()?;
            let sql_type = match overrides.get(name) {
                Some(sql) => sql_types::capped(sql, max_varchar),
                None => sql_types::name_of(field.data_type(), max_varchar),
            };
            Some(PipeColumn {
                name: name.clone(),
                sql_type,
            })
        })
        .collect();
    let types: BTreeMap<&str, FieldDataType> = schema
        .fields()
        .map(|(_, f)| (f.name.as_str(), f.data_type))
        .collect();

    let key_config = check_keys(request.key_config.as_ref(), &columns)?;
    let aggregation_overrides = check_aggregations(request, &key_config, &columns, &types)?;
    if request
        .column_expressions
        .as_ref()
        .is_some_and(|m| !m.is_empty())
    {
        return Err(ApiError::invalid(
            "columnExpressions",
            "sketch columns (HLL_HASH, BITMAP_HASH, BITMAP_HASH64, TO_BITMAP) are not supported yet; leave columnExpressions out",
        ));
    }
    let distribution_config = check_distribution(request.distribution_config.clone(), &types)?;
    let partition_config = match &request.partition_config {
        Some(config) => Some(check_partitioning(config, &types)?),
        None => None,
    };
    let table_properties = request
        .table_properties
        .clone()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| BTreeMap::from([("replication_num".into(), "1".into())]));

    sources::mask_params(&mut params);
    let schedule_expr = params.get("schedule").cloned().unwrap_or_default();
    let table_config = json!({
        "tableName": lakeport_table,
        "tableType": "OFFLINE",
        "segmentsConfig": {"schemaName": raw_name},
        "task": {"taskTypeConfigsMap": {"ExternalTableSyncTask": params}},
    });
    Ok(PipePlan {
        pipe_id: Uuid::new_v4(),
        instance_id: instance.id,
        instance_name: instance.name.clone(),
        table_name: request.table_name.clone(),
        path_prefix: request.path_prefix.clone(),
        storage_id: storage.id,
        connection_id: storage.connection_id,
        lakeport_table,
        raw_name,
        schema,
        table_config,
        segment_types: source_types_json(&source_types),
        source_uri: spec.display_uri(),
        schedule: schedule_expr,
        definition: PipeDefinition {
            columns,
            key_config,
            distribution_config,
            partition_config,
            partition_columns,
            polling_interval_seconds: polling,
            table_properties,
            aggregation_overrides,
            column_overrides: request.column_overrides.clone().unwrap_or_default(),
            max_varchar_length: max_varchar,
            source_storage_name: storage.name.clone(),
        },
    })
}

fn non_negative(value: Option<i32>, field: &str) -> ApiResult<u32> {
    match value {
        None => Ok(0),
        Some(n) if n >= 0 => Ok(n as u32),
        Some(n) => Err(ApiError::invalid(
            field,
            format!("{n} is negative; use 0 or more"),
        )),
    }
}

/// Retypes the overridden columns; returns the parsed types by column.
fn apply_overrides(
    schema: &mut TableSchema,
    source_types: &mut BTreeMap<String, arrow::datatypes::DataType>,
    request: &CreatePipeTableRequest,
) -> ApiResult<BTreeMap<String, SqlType>> {
    let mut parsed = BTreeMap::new();
    for (column, text) in request.column_overrides.iter().flatten() {
        let at = format!("columnOverrides.{column}");
        let sql = sql_types::parse(text).map_err(|m| ApiError::invalid(&at, m))?;
        let Some((_, mut spec)) = schema.take_field(column) else {
            return Err(ApiError::invalid(
                at,
                format!("there is no column '{column}' in the files or the Hive folders"),
            ));
        };
        spec.data_type = sql.field;
        spec.format = None;
        spec.granularity = None;
        match &sql.storage {
            Some(storage) => {
                source_types.insert(column.clone(), storage.clone());
            }
            None => {
                source_types.remove(column);
            }
        }
        infer::push_by_role(schema, spec, None);
        parsed.insert(column.clone(), sql);
    }
    Ok(parsed)
}

fn unknown_columns<'a>(
    named: impl Iterator<Item = &'a String>,
    columns: &[PipeColumn],
) -> Vec<String> {
    named
        .filter(|n| !columns.iter().any(|c| &c.name == *n))
        .map(|n| format!("'{n}'"))
        .collect()
}

fn check_keys(key: Option<&KeyConfig>, columns: &[PipeColumn]) -> ApiResult<KeyConfig> {
    let key_type = key.map_or(KeyType::Duplicate, |k| k.key_type);
    let chosen = key
        .and_then(|k| k.columns.clone())
        .filter(|c| !c.is_empty());
    let key_columns = match chosen {
        Some(named) => {
            let unknown = unknown_columns(named.iter(), columns);
            if !unknown.is_empty() {
                return Err(ApiError::invalid(
                    "keyConfig.columns",
                    format!("{} are not columns of the table", unknown.join(", ")),
                ));
            }
            named
        }
        None => columns.iter().take(1).map(|c| c.name.clone()).collect(),
    };
    if key_type != KeyType::Duplicate {
        return Err(ApiError::invalid(
            "keyConfig.type",
            format!(
                "'{}' tables are not supported yet; use 'duplicate'",
                serde_json::to_value(key_type)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default()
            ),
        ));
    }
    Ok(KeyConfig {
        key_type,
        columns: Some(key_columns),
    })
}

fn check_aggregations(
    request: &CreatePipeTableRequest,
    key: &KeyConfig,
    columns: &[PipeColumn],
    types: &BTreeMap<&str, FieldDataType>,
) -> ApiResult<BTreeMap<String, String>> {
    if key.key_type != KeyType::Aggregate {
        return Ok(BTreeMap::new());
    }
    let keys = key.columns.clone().unwrap_or_default();
    let given = request.aggregation_overrides.clone().unwrap_or_default();
    let missing: Vec<String> = columns
        .iter()
        .filter(|c| !keys.contains(&c.name) && !given.contains_key(&c.name))
        .map(|c| format!("'{}'", c.name))
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::invalid(
            "aggregationOverrides",
            format!(
                "an aggregate table needs a function for every non-key column; missing: {}",
                missing.join(", ")
            ),
        ));
    }
    let mut checked = BTreeMap::new();
    for (column, function) in given {
        let at = format!("aggregationOverrides.{column}");
        if keys.contains(&column) {
            return Err(ApiError::invalid(
                at,
                "is a key column, which is never aggregated",
            ));
        }
        if !columns.iter().any(|c| c.name == column) {
            return Err(ApiError::invalid(
                at,
                format!("there is no column '{column}'"),
            ));
        }
        let function = function.trim().to_ascii_uppercase();
        if !AGGREGATIONS.contains(&function.as_str()) {
            return Err(ApiError::invalid(
                at,
                format!("'{function}' is not one of {}", AGGREGATIONS.join(", ")),
            ));
        }
        if function == "SUM" && !types.get(column.as_str()).is_some_and(|t| t.is_numeric()) {
            return Err(ApiError::invalid(at, "SUM needs a numeric column"));
        }
        checked.insert(column, function);
    }
    Ok(checked)
}

fn check_distribution(
    config: Option<DistributionConfig>,
    types: &BTreeMap<&str, FieldDataType>,
) -> ApiResult<DistributionConfig> {
    let config = config.unwrap_or(DistributionConfig::Random { buckets: 1 });
    let (buckets, columns) = match &config {
        DistributionConfig::Hash { columns, buckets } => (*buckets, columns.as_slice()),
        DistributionConfig::Random { buckets } => (*buckets, &[][..]),
    };
    if buckets < 1 {
        return Err(ApiError::invalid(
            "distributionConfig.buckets",
            "must be 1 or more",
        ));
    }
    if let DistributionConfig::Hash { columns: named, .. } = &config
        && named.is_empty()
    {
        return Err(ApiError::invalid(
            "distributionConfig.columns",
            "a hash distribution needs at least one column",
        ));
    }
    if let Some(unknown) = columns.iter().find(|c| !types.contains_key(c.as_str())) {
        return Err(ApiError::invalid(
            "distributionConfig.columns",
            format!("there is no column '{unknown}'"),
        ));
    }
    Ok(config)
}

fn check_partitioning(
    config: &PartitionConfig,
    types: &BTreeMap<&str, FieldDataType>,
) -> ApiResult<PartitionConfig> {
    let known = |column: &str, at: &str| -> ApiResult<FieldDataType> {
        types
            .get(column)
            .copied()
            .ok_or_else(|| ApiError::invalid(at, format!("there is no column '{column}'")))
    };
    let time_column = |column: &str, unit: &str| -> ApiResult<()> {
        if known(column, "partitionConfig.column")? != FieldDataType::Timestamp {
            return Err(ApiError::invalid(
                "partitionConfig.column",
                format!(
                    "'{column}' is not a DATE or DATETIME column; override its type or partition by column"
                ),
            ));
        }
        if !TIME_UNITS.contains(&unit) {
            return Err(ApiError::invalid(
                "partitionConfig.unit",
                format!("'{unit}' is not one of {}", TIME_UNITS.join(", ")),
            ));
        }
        Ok(())
    };
    match config {
        PartitionConfig::Column { columns } => {
            if columns.is_empty() {
                return Err(ApiError::invalid(
                    "partitionConfig.columns",
                    "name at least one column",
                ));
            }
            for column in columns {
                known(column, "partitionConfig.columns")?;
            }
        }
        PartitionConfig::DateTrunc { column, unit } => time_column(column, unit)?,
        PartitionConfig::TimeSlice {
            column,
            unit,
            slices,
        } => {
            time_column(column, unit)?;
            if *slices < 1 {
                return Err(ApiError::invalid(
                    "partitionConfig.slices",
                    "must be 1 or more",
                ));
            }
        }
    }
    Ok(config.clone())
}
