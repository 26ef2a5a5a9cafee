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
use crate::model::table_config::{EXPORT_TASK_TYPE, TableConfig, TableType};
use crate::service::schemas;
use crate::sources::{self, ResolvedSource};
use crate::state::AppState;
use crate::store::tasks::TaskKind;
use crate::store::{self, tables::NewTable};
use crate::{export, preview};
use lakeport_wire::rules::HTTP_STREAM_TYPE;

/// Finds a table by the name a path gives: with its type suffix, or the raw name SQL uses.
pub async fn load(state: &AppState, name: &str) -> ApiResult<store::tables::TableRow> {
    let found = match TableType::of_name(name) {
        Some(_) => store::tables::get(&state.pool, name).await?,
        None => store::tables::by_raw_name(&state.pool, name).await?,
    };
    found.ok_or_else(|| ApiError::NotFound(format!("table '{name}' does not exist")))
}

/// Where a table's rows come from.
enum Feed {
    /// An OFFLINE table's lake source, with its secrets.
    Source(Box<ResolvedSource>),
    /// A REALTIME table: rows pushed to `POST /ingest/{table}`.
    Stream,
}

/// Everything about a table config that can be checked before touching the database.
struct Checked {
    config: TableConfig,
    schema: TableSchema,
    feed: Feed,
    schedule: String,
    enabled: bool,
    /// The DataExportTask block and its resolved destination, if the config has one.
    export: Option<ResolvedSource>,
}

async fn check(state: &AppState, body: Value) -> ApiResult<Checked> {
    let config: TableConfig = serde_json::from_value(body).map_err(|e| {
        ApiError::invalid("tableConfig", format!("is not a valid table config: {e}"))
    })?;
    config.validate_common()?;
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
    let (feed, schedule_expr, enabled) = match config.table_type() {
        TableType::Realtime => {
            if let Ok((kind, _)) = config.sync_task() {
                return Err(ApiError::invalid(
                    format!("task.taskTypeConfigsMap.{kind}"),
                    "a REALTIME table takes rows pushed to POST /ingest/{table}, not from a lake source; make an OFFLINE table to sync one",
                ));
            }
            config.stream_settings()?;
            (Feed::Stream, String::new(), true)
        }
        TableType::Offline => {
            let (kind, params) = config.sync_task()?;
            let at = format!("task.taskTypeConfigsMap.{kind}");
            let schedule_expr = params
                .get("schedule")
                .cloned()
                .unwrap_or_else(|| state.config.sync.default_schedule.clone());
            schedule::parse(&schedule_expr)
                .map_err(|m| ApiError::invalid(format!("{at}.schedule"), m))?;
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
            (Feed::Source(Box::new(source)), schedule_expr, enabled)
        }
    };
    let export = match export::config::of_config(&config)? {
        Some(export) => {
            Some(export::config::check(&state.sources(), &export, &config.name_with_type()).await?)
        }
        None => None,
    };
    Ok(Checked {
        schema,
        feed,
        schedule: schedule_expr,
        enabled,
        export,
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
        feed,
        schedule: schedule_expr,
        enabled,
        export,
    } = check(state, body).await?;
    let name = config.name_with_type();
    if let Some(existing) = store::tables::by_raw_name(&state.pool, config.raw_name()).await? {
        return Err(ApiError::Conflict(format!(
            "table '{}' already exists{}",
            existing.name,
            if existing.name == name {
                String::new()
            } else {
                format!(
                    "; '{name}' would share its SQL name '{}'",
                    existing.raw_name
                )
            }
        )));
    }
    let (source_types, iceberg_bindings, connection_id, catalog_type, source_uri) = match &feed {
        Feed::Source(source) => {
            let (types, bindings) = inspect_source(state, &source.spec, &schema).await?;
            let connection_id = sources::remember(&state.sources(), source, None)
                .await?
                .or(source.connection_id);
            (
                types,
                bindings,
                connection_id,
                source.spec.catalog_type().to_owned(),
                source.spec.display_uri(),
            )
        }
        Feed::Stream => (
            BTreeMap::new(),
            None,
            None,
            HTTP_STREAM_TYPE.to_owned(),
            format!("POST /ingest/{name}"),
        ),
    };
    if let Some(destination) = &export {
        sources::remember(&state.sources(), destination, None).await?;
    }

    config.table_name = name.clone();
    config.table_type = Some(config.table_type().as_str().into());
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
            table_type: config.table_type().as_str(),
            schema_name: &schema.schema_name,
            connection_id,
            config: &stored,
            segment_types: &segment_types,
            catalog_type: &catalog_type,
            source_uri: &source_uri,
            schedule: &schedule_expr,
            enabled,
        },
    )
    .await?;
    if let Some(bindings) = &iceberg_bindings {
        store::iceberg::save(&mut *tx, &name, bindings).await?;
    }
    match feed {
        Feed::Source(_) => {
            store::tasks::create(&mut *tx, &name, TaskKind::Sync, "CREATE").await?;
            if !enabled {
                store::tasks::set_next_run(&mut *tx, &name, TaskKind::Sync, None).await?;
            }
        }
        Feed::Stream => {
            store::tasks::create(&mut *tx, &name, TaskKind::Seal, "CREATE").await?;
            store::tasks::set_next_run(&mut *tx, &name, TaskKind::Seal, None).await?;
        }
    }
    sync_export_task(&mut tx, &name, &config).await?;
    tx.commit().await?;
    state.wake_workers();
    Ok(StatusMessage::new(format!(
        "Table {name} successfully added"
    )))
}

/// Keeps the export task row in step with the config: one while it has a DataExportTask
/// block (due at its schedule's next time; none means only on request), none otherwise.
async fn sync_export_task(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    name: &str,
    config: &TableConfig,
) -> ApiResult<()> {
    match export::config::of_config(config)? {
        Some(export) => {
            store::tasks::create(&mut **tx, name, TaskKind::Export, "CREATE").await?;
            let next = export
                .schedule
                .as_deref()
                .and_then(|expr| schedule::next_after(expr, chrono::Utc::now()));
            store::tasks::set_next_run(&mut **tx, name, TaskKind::Export, next).await?;
        }
        None => store::tasks::remove(&mut **tx, name, TaskKind::Export).await?,
    }
    Ok(())
}

pub async fn update(state: &AppState, path_name: &str, body: Value) -> ApiResult<StatusMessage> {
    let existing = load(state, path_name).await?;
    let Checked {
        mut config,
        schema,
        feed,
        schedule: schedule_expr,
        enabled,
        export,
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
    let connection_id = match &feed {
        Feed::Source(source) => {
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
            sources::remember(&state.sources(), source, None)
                .await?
                .or(existing.connection_id)
        }
        Feed::Stream => None,
    };
    if let Some(destination) = &export {
        sources::remember(&state.sources(), destination, None).await?;
    }
    config.table_name = existing.name.clone();
    config.table_type = Some(existing.table_type.clone());
    config.segments_config.schema_name = Some(schema.schema_name.clone());
    sources::mask(&mut config);
    let stored = serde_json::to_value(&config).map_err(ApiError::internal)?;

    let mut tx = state.pool.begin().await?;
    store::tables::update(
        &mut *tx,
        &NewTable {
            name: &existing.name,
            raw_name: &existing.raw_name,
            table_type: &existing.table_type,
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
    if let Feed::Source(_) = feed {
        let next = if enabled {
            schedule::next_after(&schedule_expr, chrono::Utc::now())
        } else {
            None
        };
        store::tasks::set_next_run(&mut *tx, &existing.name, TaskKind::Sync, next).await?;
    }
    sync_export_task(&mut tx, &existing.name, &config).await?;
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
    store::tasks::set_next_run(&mut *tx, &table.name, TaskKind::Sync, next).await?;
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
    if !store::tasks::request_run(&state.pool, &table.name, TaskKind::Sync, trigger).await? {
        return Err(ApiError::invalid(
            "name",
            format!(
                "table '{}' is a REALTIME table: its rows are pushed to POST /ingest/{}, it has no sync to run",
                table.name, table.name
            ),
        ));
    }
    state.wake_workers();
    Ok(table.name)
}

/// Like [`trigger`], and returns the table's name with the id of the request, which
/// names the task (`Task_<type>_<table>_<id>`) that `/tasks/{type}/{table}/taskstates` reports.
pub async fn trigger_named(
    state: &AppState,
    name: &str,
    task_type: &str,
    trigger: &str,
) -> ApiResult<(String, i64)> {
    let table = load_enabled(state, name).await?;
    let kind = if task_type == EXPORT_TASK_TYPE {
        TaskKind::Export
    } else {
        TaskKind::Sync
    };
    let now_ms = chrono::Utc::now().timestamp_millis();
    let request_id = store::tasks::request_named_run(&state.pool, &table.name, kind, trigger, now_ms)
        .await?
        .ok_or_else(|| {
            ApiError::invalid(
                "taskType",
                match kind {
                    TaskKind::Export => format!(
                        "table '{}' has no {EXPORT_TASK_TYPE} block in task.taskTypeConfigsMap; add one with PUT /tables/{}",
                        table.name, table.raw_name
                    ),
                    _ => format!(
                        "table '{}' is a REALTIME table: its rows are pushed to POST /ingest/{}, it has no {task_type} to run",
                        table.name, table.name
                    ),
                },
            )
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
    let config: TableConfig = serde_json::from_value(table.config).map_err(ApiError::internal)?;
    Ok(match config.table_type() {
        TableType::Offline => TableConfigs {
            offline: Some(config),
            realtime: None,
        },
        TableType::Realtime => TableConfigs {
            offline: None,
            realtime: Some(config),
        },
    })
}

pub async fn list(state: &AppState) -> ApiResult<TableNames> {
    let tables = store::tables::list(&state.pool).await?;
    Ok(TableNames {
        tables: tables.into_iter().map(|t| t.raw_name).collect(),
    })
}
