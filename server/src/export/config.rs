//! A table's `DataExportTask` block, key for key as seed 003 names them, checked before it is
//! stored: what a cycle exports, when, where to, and how the Parquet is written.

use lakeport_wire::rules::parse_period;

use super::options::ParquetOptions;
use super::target::filesystem_source_params;
use crate::catalogs::iceberg_rest::IcebergRestCatalog;
use crate::catalogs::{SourceSpec, sink};
use crate::error::{ApiError, ApiResult};
use crate::model::schedule;
use crate::model::table_config::{EXPORT_TASK_TYPE, TableConfig, TaskParams, strip_type_suffix};
use crate::sources::{self, ResolvedSource, SourceContext};
use crate::store;
use crate::store::tables::TableRow;

pub const FILESYSTEM: &str = "filesystem";
pub const ICEBERG_REST: &str = "iceberg-rest";
const DEFAULT_BUFFER: &str = "1d";
const DEFAULT_COMMIT_THRESHOLD: usize = 250;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    Filesystem,
    IcebergRest,
}

impl TargetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Filesystem => FILESYSTEM,
            TargetKind::IcebergRest => ICEBERG_REST,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ExportConfig {
    /// Quartz cron; without one the task runs only when `/tasks/schedule` asks.
    pub schedule: Option<String>,
    /// The table whose completed segments are exported, with its type suffix.
    pub source_table: String,
    pub target: TargetKind,
    /// The destination as flat source parameters (`catalogType` + `catalog.*`), secrets as
    /// sent (possibly masked): what `sources::resolve` turns into a [`SourceSpec`].
    pub target_params: TaskParams,
    pub options: ParquetOptions,
    /// Segments ending within this window of now wait (`bufferTimePeriod`).
    pub buffer_ms: u64,
    pub initial_watermark_ms: Option<i64>,
    pub max_tasks: Option<usize>,
    pub commit_threshold: usize,
}

/// The `task.taskTypeConfigsMap.DataExportTask` path, for error messages.
pub fn block_path() -> String {
    format!("task.taskTypeConfigsMap.{EXPORT_TASK_TYPE}")
}

/// Reads the block without touching anything outside it.
pub fn parse(params: &TaskParams) -> ApiResult<ExportConfig> {
    let at = block_path();
    let field = |key: &str| format!("{at}.{key}");
    let get = |key: &str| {
        params
            .get(key)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let schedule = get("schedule");
    if let Some(expr) = &schedule {
        schedule::parse(expr).map_err(|m| ApiError::invalid(field("schedule"), m))?;
    }
    let source_table = get("sourceTableName").ok_or_else(|| {
        ApiError::invalid(
            field("sourceTableName"),
            "is required: the table to export, with its suffix, e.g. my_events_REALTIME",
        )
    })?;
    let target = match get("externalTable.target").as_deref() {
        None | Some(FILESYSTEM) => TargetKind::Filesystem,
        Some(ICEBERG_REST) => TargetKind::IcebergRest,
        Some(other) => {
            return Err(ApiError::invalid(
                field("externalTable.target"),
                format!("'{other}' is not a target; use '{FILESYSTEM}' or '{ICEBERG_REST}'"),
            ));
        }
    };
    let options = ParquetOptions::from_params(params, &at)?;
    let target_params = match target {
        TargetKind::Filesystem => filesystem_source_params(params, &at)?,
        TargetKind::IcebergRest => {
            let mut rest: TaskParams = params
                .iter()
                .filter(|(k, _)| k.starts_with("catalog.iceberg-rest."))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            rest.insert("catalogType".into(), ICEBERG_REST.into());
            rest
        }
    };
    let buffer_text = get("bufferTimePeriod").unwrap_or_else(|| DEFAULT_BUFFER.to_owned());
    let buffer_ms =
        parse_period(&buffer_text).map_err(|m| ApiError::invalid(field("bufferTimePeriod"), m))?;
    let initial_watermark_ms = get("initialWatermarkMs")
        .map(|v| {
            v.parse::<i64>().ok().filter(|ms| *ms >= 0).ok_or_else(|| {
                ApiError::invalid(
                    field("initialWatermarkMs"),
                    format!("'{v}' is not milliseconds since the Unix epoch"),
                )
            })
        })
        .transpose()?;
    let positive = |key: &str| -> ApiResult<Option<usize>> {
        get(key)
            .map(|v| {
                v.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| {
                    ApiError::invalid(field(key), format!("'{v}' is not a positive whole number"))
                })
            })
            .transpose()
    };
    let max_tasks = positive("tableMaxNumTasks")?;
    let commit_threshold = positive("iceberg.commitThreshold")?.unwrap_or(DEFAULT_COMMIT_THRESHOLD);
    Ok(ExportConfig {
        schedule,
        source_table,
        target,
        target_params,
        options,
        buffer_ms,
        initial_watermark_ms,
        max_tasks,
        commit_threshold,
    })
}

/// The export block of a table config, parsed, if the config has one.
pub fn of_config(config: &TableConfig) -> ApiResult<Option<ExportConfig>> {
    config.task_params(EXPORT_TASK_TYPE).map(parse).transpose()
}

/// The cron schedule of a stored table's export, if it has one (the watcher's next run).
pub fn schedule_of(table: &TableRow) -> Option<String> {
    let config: TableConfig = serde_json::from_value(table.config.clone()).ok()?;
    of_config(&config).ok().flatten()?.schedule
}

/// Everything about the block that needs the outside world, checked before the table is
/// stored: the source table exists (or is the table being created), and the destination
/// resolves (masked secrets from its saved connection), is allowed, and for Iceberg is a table
/// that exists, is unpartitioned and uses Parquet. Returns the resolved destination.
pub async fn check(
    cx: &SourceContext<'_>,
    config: &ExportConfig,
    owner: &str,
) -> ApiResult<ResolvedSource> {
    let at = block_path();
    if config.source_table != owner
        && store::tables::get(cx.pool, &config.source_table)
            .await?
            .is_none()
    {
        let hint =
            match store::tables::by_raw_name(cx.pool, strip_type_suffix(&config.source_table))
                .await?
            {
                Some(table) => format!("; did you mean '{}'?", table.name),
                None => String::new(),
            };
        return Err(ApiError::invalid(
            format!("{at}.sourceTableName"),
            format!("table '{}' does not exist{hint}", config.source_table),
        ));
    }
    let target = sources::resolve(cx, &config.target_params, &at).await?;
    match &target.spec {
        SourceSpec::IcebergRest(rest) => {
            let catalog = IcebergRestCatalog::open(rest, cx.config).await?;
            catalog.open_append_target().await?;
        }
        SourceSpec::Local(_) | SourceSpec::S3(_) => {
            sink::check_destination(&target.spec, cx.config)?
        }
    }
    Ok(target)
}
