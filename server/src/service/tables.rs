//! Tables: create (checking the source really works first), read, update, pause, trigger, delete.

use std::collections::BTreeMap;

use arrow::datatypes::DataType;
use lakeport_wire::StatusMessage;
use lakeport_wire::tables::{TableConfigs, TableNames, TableStateChanged};
use serde_json::Value;

use crate::catalogs::iceberg_rest::IcebergRestCatalog;
use crate::catalogs::iceberg_rest::evolution::FieldBindings;
use crate::catalogs::{self, SourceSpec};
use crate::error::{ApiError, ApiResult};
use crate::model::schedule;
use crate::model::schema::{FieldRole, TableSchema, source_types_json};
use crate::model::table_config::{OFFLINE_SUFFIX, TableConfig};
use crate::preview;
use crate::service::schemas;
use crate::sources::{self, ResolvedSource};
use crate::state::AppState;
use crate::store::{self, tables::NewTable};

/// `name` or `name_OFFLINE` → `name_OFFLINE`, the key tables are stored under.
pub fn name_with_type(name: &str) -> String {
    format!(
        "{}{OFFLINE_SUFFIX}",
        name.strip_suffix(OFFLINE_SUFFIX).unwrap_or(name)
    )
}

pub async fn load(state: &AppState, name: &str) -> ApiResult<store::tables::TableRow> {
    store::tables::get(&state.pool, &name_with_type(name))
        .await?
        .ok_or_else(|| {
            ApiError::NotFound(format!("table '{}' does not exist", name_with_type(name)))
        })
}

/// Everything about a table config that can be checked before touching the database.
struct Checked {
    config: TableConfig,
    schema: TableSchema,
    source: ResolvedSource,
    schedule: String,
    enabled: bool,
}

async fn check(state: &AppState, body: Value) -> ApiResult<Checked> {
    let config: TableConfig = serde_json::from_value(body).map_err(|e| {
        ApiError::invalid("tableConfig", format!("is not a valid table config: {e}"))
    })?;
    config.validate_common()?;
    let (kind, params) = config.sync_task()?;
    let at = format!("task.taskTypeConfigsMap.{kind}");
    let schema_name = config
        .segments_config
        .schema_name
        .clone()
        .unwrap_or_else(|| config.raw_name().to_owned());
    let schema = match schemas::get(state, &schema_name).await {
        Err(ApiError::NotFound(_)) => {
            return Err(ApiError::invalid(
                "segmentsConfig.schemaName",
                format!(
                    "schema '{schema_name}' does not exist; create it with POST /schemas first"
                ),
            ));
        }
        other => other?,
    };
    if let Some(time_column) = &config.segments_config.time_column_name
        && !matches!(schema.field(time_column), Some((FieldRole::DateTime, _)))
    {
        return Err(ApiError::invalid(
            "segmentsConfig.timeColumnName",
            format!("'{time_column}' is not a dateTimeFieldSpecs field of schema '{schema_name}'"),
        ));
    }
    let schedule_expr = params
        .get("schedule")
        .cloned()
        .unwrap_or_else(|| state.config.sync.default_schedule.clone());
    schedule::parse(&schedule_expr).map_err(|m| ApiError::invalid(format!("{at}.schedule"), m))?;
    let enabled = match params.get("enabled").map(|v| v.to_ascii_lowercase()) {
        None => true,
        Some(v) if v == "true" => true,
        Some(v) if v == "false" => false,
        Some(other) => {
            return Err(ApiError::invalid(
                format!("{at}.enabled"),
                format!("must be \"true\" or \"false\", not '{other}'"),
            ));
        }
    };
    let source = sources::resolve(&state.sources(), params, &at).await?;
    Ok(Checked {
        schema,
        source,
        schedule: schedule_expr,
        enabled,
        config,
    })
}

/// The source must answer now, and have every field of the schema: a table that can
/// never sync is not created. Returns the source's column types and, for an Iceberg
/// table, which field id feeds each column.
async fn inspect_source(
    state: &AppState,
    spec: &SourceSpec,
    schema: &TableSchema,
) -> ApiResult<(BTreeMap<String, DataType>, Option<FieldBindings>)> {
    if let SourceSpec::IcebergRest(rest) = spec {
        let catalog = IcebergRestCatalog::open(rest, &state.config).await?;
        let table = catalog.open_table().await?.table;
        let shape = preview::iceberg_shape(&table, true)?;
        preview::check_fields_exist(schema, &shape)?;
        let columns: Vec<String> = schema.fields().map(|(_, f)| f.name.clone()).collect();
        let metadata = table.metadata();
        let bindings = FieldBindings::onboard(
            metadata.uuid().to_string(),
            metadata.current_schema(),
            &columns,
        )
        .map_err(|m| ApiError::invalid("schema", m))?;
        return Ok((preview::source_types(&shape), Some(bindings)));
    }
    let catalog = catalogs::open(spec, &state.config).await?;
    let files = catalog.list_files().await?;
    if files.is_empty() {
        return Ok((BTreeMap::new(), None));
    }
    let shape = preview::discover_shape(&catalog, &files).await?;
    preview::check_fields_exist(schema, &shape)?;
    Ok((preview::source_types(&shape), None))
}

pub async fn create(state: &AppState, body: Value) -> ApiResult<StatusMessage> {
    let Checked {
        mut config,
        schema,
        source,
        schedule: schedule_expr,
        enabled,
    } = check(state, body).await?;
    let name = config.name_with_type();
    if store::tables::get(&state.pool, &name).await?.is_some() {
        return Err(ApiError::Conflict(format!("table '{name}' already exists")));
    }
    let (source_types, iceberg_bindings) = inspect_source(state, &source.spec, &schema).await?;
    let connection_id = sources::remember(&state.sources(), &source, None)
        .await?
        .or(source.connection_id);

    config.table_name = name.clone();
    config.table_type = Some("OFFLINE".into());
    config.segments_config.schema_name = Some(schema.schema_name.clone());
    sources::mask(&mut config);
    let stored = serde_json::to_value(&config).map_err(ApiError::internal)?;
    let segment_types = source_types_json(&source_types);

    let mut tx = state.pool.begin().await?;
    store::tables::insert(
        &mut *tx,
        &NewTable {
            name: &name,
            raw_name: config.raw_name(),
            schema_name: &schema.schema_name,
            connection_id,
            config: &stored,
            segment_types: &segment_types,
            catalog_type: source.spec.catalog_type(),
            source_uri: &source.spec.display_uri(),
            schedule: &schedule_expr,
            enabled,
        },
    )
    .await?;
    if let Some(bindings) = &iceberg_bindings {
        store::iceberg::save(&mut *tx, &name, bindings).await?;
    }
    store::tasks::create(&mut *tx, &name, "CREATE").await?;
    if !enabled {
        store::tasks::set_next_run(&mut *tx, &name, None).await?;
    }
    tx.commit().await?;
    state.wake_workers();
    Ok(StatusMessage::new(format!(
        "Table {name} successfully added"
    )))
}

pub async fn update(state: &AppState, path_name: &str, body: Value) -> ApiResult<StatusMessage> {
    let existing = load(state, path_name).await?;
    let Checked {
        mut config,
        schema,
        source,
        schedule: schedule_expr,
        enabled,
    } = check(state, body).await?;
    if config.name_with_type() != existing.name {
        return Err(ApiError::invalid(
            "tableName",
            format!(
                "'{}' does not match the table in the path ('{}')",
                config.table_name, existing.name
            ),
        ));
    }
    let old_config: TableConfig =
        serde_json::from_value(existing.config.clone()).map_err(ApiError::internal)?;
    let (_, old_params) = old_config.sync_task()?;
    let old_spec = catalogs::parse_source(old_params, "stored")?;
    if !same_source(&old_spec, &source.spec) {
        return Err(ApiError::invalid(
            "task",
            "the source of an existing table cannot be changed (its loaded files would no longer match); create a new table instead",
        ));
    }
    let connection_id = sources::remember(&state.sources(), &source, None)
        .await?
        .or(existing.connection_id);
    config.table_name = existing.name.clone();
    config.table_type = Some("OFFLINE".into());
    config.segments_config.schema_name = Some(schema.schema_name.clone());
    sources::mask(&mut config);
    let stored = serde_json::to_value(&config).map_err(ApiError::internal)?;

    let mut tx = state.pool.begin().await?;
    store::tables::update(
        &mut *tx,
        &NewTable {
            name: &existing.name,
            raw_name: &existing.raw_name,
            schema_name: &schema.schema_name,
            connection_id,
            config: &stored,
            segment_types: &existing.segment_types,
            catalog_type: &existing.catalog_type,
            source_uri: &existing.source_uri,
            schedule: &schedule_expr,
            enabled,
        },
    )
    .await?;
    let next = if enabled {
        schedule::next_after(&schedule_expr, chrono::Utc::now())
    } else {
        None
    };
    store::tasks::set_next_run(&mut *tx, &existing.name, next).await?;
    tx.commit().await?;
    state.wake_workers();
    Ok(StatusMessage::new(format!(
        "Table config updated for {}",
        existing.name
    )))
}

/// Same place in the same store: credentials may rotate, the data may not move.
fn same_source(a: &SourceSpec, b: &SourceSpec) -> bool {
    match (a, b) {
        (SourceSpec::S3(a), SourceSpec::S3(b)) => {
            a.bucket == b.bucket && a.prefix == b.prefix && a.endpoint == b.endpoint
        }
        (SourceSpec::Local(a), SourceSpec::Local(b)) => a.path == b.path,
        (SourceSpec::IcebergRest(a), SourceSpec::IcebergRest(b)) => {
            a.uri == b.uri && a.warehouse == b.warehouse
        }
        _ => false,
    }
}

/// Pauses or resumes scheduled syncs. A run in progress finishes; segments and the
/// checkpoint are kept, so a resumed table carries on from where it stopped.
pub async fn set_enabled(
    state: &AppState,
    name: &str,
    enabled: bool,
) -> ApiResult<TableStateChanged> {
    let table = load(state, name).await?;
    let mut config: TableConfig =
        serde_json::from_value(table.config.clone()).map_err(ApiError::internal)?;
    if let Some(params) = config.sync_task_mut() {
        params.insert("enabled".into(), enabled.to_string());
    }
    let stored = serde_json::to_value(&config).map_err(ApiError::internal)?;
    let mut tx = state.pool.begin().await?;
    store::tables::set_enabled(&mut *tx, &table.name, enabled, &stored).await?;
    let next = if enabled {
        schedule::next_after(&table.schedule, chrono::Utc::now())
    } else {
        None
    };
    store::tasks::set_next_run(&mut *tx, &table.name, next).await?;
    tx.commit().await?;
    state.wake_workers();
    let verb = if enabled { "enabled" } else { "disabled" };
    Ok(TableStateChanged {
        status: format!("Table {} {verb}", table.name),
        enabled,
    })
}

/// Asks for a sync now. A paused table is refused: pausing means nothing runs.
pub async fn trigger(state: &AppState, name: &str, trigger: &str) -> ApiResult<String> {
    let table = load_enabled(state, name).await?;
    store::tasks::request_run(&state.pool, &table.name, trigger).await?;
    state.wake_workers();
    Ok(table.name)
}

/// Like [`trigger`], and returns the table's name with the id of the request, which
/// names the task (`Task_<type>_<table>_<id>`) that `/tasks/{type}/{table}/taskstates` reports.
pub async fn trigger_named(
    state: &AppState,
    name: &str,
    trigger: &str,
) -> ApiResult<(String, i64)> {
    let table = load_enabled(state, name).await?;
    let now_ms = chrono::Utc::now().timestamp_millis();
    let request_id = store::tasks::request_named_run(&state.pool, &table.name, trigger, now_ms)
        .await?
        .ok_or_else(|| {
            ApiError::internal(anyhow::anyhow!("table '{}' has no sync task", table.name))
        })?;
    state.wake_workers();
    Ok((table.name, request_id))
}

async fn load_enabled(state: &AppState, name: &str) -> ApiResult<store::tables::TableRow> {
    let table = load(state, name).await?;
    if !table.enabled {
        return Err(ApiError::Conflict(format!(
            "table '{}' is paused; resume it with PUT /tables/{}/state?state=enable first",
            table.name, table.raw_name
        )));
    }
    Ok(table)
}

pub async fn delete(state: &AppState, name: &str) -> ApiResult<StatusMessage> {
    let table = load(state, name).await?;
    store::tables::delete(&state.pool, &table.name).await?;
    if let Err(err) = state.deep_store.remove_table(&table.name) {
        tracing::warn!(table = %table.name, error = %err, "segment files of a deleted table were not all removed");
    }
    state.query.forget(&table.raw_name);
    Ok(StatusMessage::new(format!(
        "Tables: [{}] deleted",
        table.name
    )))
}

pub async fn config(state: &AppState, name: &str) -> ApiResult<TableConfigs> {
    let table = load(state, name).await?;
    let offline = serde_json::from_value(table.config).map_err(ApiError::internal)?;
    Ok(TableConfigs { offline })
}

pub async fn list(state: &AppState) -> ApiResult<TableNames> {
    let tables = store::tables::list(&state.pool).await?;
    Ok(TableNames {
        tables: tables.into_iter().map(|t| t.raw_name).collect(),
    })
}
