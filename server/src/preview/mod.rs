//! `POST /tables/preview`: sample the source, infer the schema, and return the enriched table config.

pub mod infer;

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::datatypes::Schema;
use arrow::record_batch::RecordBatch;
use futures::StreamExt;
use serde_json::{Value, json};

use crate::catalogs::iceberg_rest::IcebergRestCatalog;
use crate::catalogs::iceberg_rest::table as iceberg_table;
use crate::catalogs::partitions::hive_partitions;
use crate::catalogs::{self, Catalog, SourceFile, SourceSpec, reader};
use crate::error::{ApiError, ApiResult};
use crate::model::schema::{TableSchema, segment_arrow_schema};
use crate::model::table_config::TableConfig;
use crate::model::values::rows_as_objects;
use crate::segments::builder::{SegmentPlan, conform};
use crate::sources::{self, SourceContext};
use infer::{Inference, PartitionColumn, UnionSchema};

/// Files whose footers are read to build the union schema: enough to catch a
/// schema that drifted over time, few enough to answer quickly.
const SCHEMA_SAMPLE_FILES: usize = 16;

pub use lakeport_wire::preview::{
    BatchSummary, PreviewConfigs, PreviewOptions, PreviewRequest, PreviewResponse, PreviewSummary,
};

/// What the source looks like: its merged schema and partition folders.
#[derive(Default)]
pub struct SourceShape {
    pub union: UnionSchema,
    pub partitions: Vec<PartitionColumn>,
}

/// Reads the footers of a spread of files (first, last and evenly between) and the
/// partition folders of all of them.
pub async fn discover_shape(
    catalog: &Arc<dyn Catalog>,
    files: &[SourceFile],
) -> ApiResult<SourceShape> {
    let picks = spread(files.len(), SCHEMA_SAMPLE_FILES);
    let schemas: Vec<(String, Arc<Schema>)> = futures::stream::iter(picks.into_iter().map(|i| {
        let catalog = catalog.clone();
        let file = files[i].clone();
        async move {
            reader::read_schema(catalog, &file)
                .await
                .map(|s| (file.key.clone(), s))
        }
    }))
    .buffered(4)
    .collect::<Vec<_>>()
    .await
    .into_iter()
    .collect::<Result<_, _>>()?;
    let mut union = UnionSchema::default();
    for (key, schema) in &schemas {
        union.add(key, schema);
    }
    let plain: Vec<Schema> = schemas.iter().map(|(_, s)| s.as_ref().clone()).collect();
    union.mark_partial_columns_nullable(&plain);
    Ok(SourceShape {
        union,
        partitions: partition_columns(files),
    })
}

fn spread(len: usize, at_most: usize) -> Vec<usize> {
    if len <= at_most {
        return (0..len).collect();
    }
    let mut picks: Vec<usize> = (0..at_most)
        .map(|i| i * (len - 1) / (at_most - 1))
        .collect();
    picks.dedup();
    picks
}

fn partition_columns(files: &[SourceFile]) -> Vec<PartitionColumn> {
    let mut columns: Vec<PartitionColumn> = Vec::new();
    for file in files {
        for (name, value) in hive_partitions(&file.key) {
            let numeric = value.parse::<i64>().is_ok() || value == catalogs::partitions::HIVE_NULL;
            match columns.iter_mut().find(|c| c.name == name) {
                Some(column) => column.numeric &= numeric,
                None => columns.push(PartitionColumn { name, numeric }),
            }
        }
    }
    columns
}

pub async fn preview(
    cx: &SourceContext<'_>,
    request: PreviewRequest,
) -> ApiResult<PreviewResponse> {
    let PreviewRequest {
        table_config,
        config: options,
        schema: explicit_schema,
    } = request;
    table_config.validate_common()?;
    if options.sampling.max == 0 || options.sampling.min > options.sampling.max {
        return Err(ApiError::invalid(
            "config.sampling",
            "needs 0 <= min <= max and max >= 1",
        ));
    }
    let (kind, params) = table_config.sync_task()?;
    let at = format!("tableConfig.task.taskTypeConfigsMap.{kind}");
    let source = sources::resolve(cx, params, &at).await?;
    let sample = sample_source(cx, &source.spec, &options).await?;
    sources::remember(cx, &source, None).await?;

    if let Some(uris) = sample.file_uris {
        return Ok(PreviewResponse {
            schema: None,
            table_configs: PreviewConfigs {
                offline: enrich_config(&table_config, None, &cx.config.sync.default_schedule),
            },
            rows: vec![],
            source_rows: vec![],
            summary: PreviewSummary {
                n_source_rows: 0,
                n_rows: 0,
                n_columns: 0,
                batch: BatchSummary {
                    n_matching_files: uris.len(),
                },
            },
            source_files: Some(uris),
            warnings: vec![],
        });
    }
    let mut shape = sample.shape;
    if !options.inference.include_partition_columns {
        shape.partitions.clear();
    }
    let mut warnings = std::mem::take(&mut shape.union.warnings);
    let source_batches: Vec<RecordBatch> = sample.batches.iter().map(|(_, b)| b.clone()).collect();

    let schema = match explicit_schema {
        Some(schema) => {
            schema.validate()?;
            check_fields_exist(&schema, &shape)?;
            schema
        }
        None => {
            if !shape.union.conflicts.is_empty() {
                return Err(ApiError::invalid(
                    "schema",
                    format!(
                        "the sampled files disagree on column types: {}. Send an explicit schema to choose",
                        shape.union.conflicts.join("; ")
                    ),
                ));
            }
            let use_values = options.inference.schema_inference_enabled
                && !options.inference.embedded_schema_enabled;
            if !options.inference.embedded_schema_enabled
                && !options.inference.schema_inference_enabled
            {
                warnings.push(
                    "no inference mode was chosen; used the schema embedded in the Parquet files"
                        .into(),
                );
            }
            let time_column = table_config
                .segments_config
                .time_column_name
                .clone()
                .or_else(|| infer::default_time_column(&shape.union));
            infer::derive_schema(&Inference {
                schema_name: table_config.raw_name(),
                union: &shape.union,
                partitions: &shape.partitions,
                time_column: time_column.as_deref(),
                from_values: use_values.then_some(source_batches.as_slice()),
            })
            .map_err(|m| ApiError::invalid("schema", m))?
        }
    };

    let time_column = table_config
        .segments_config
        .time_column_name
        .clone()
        .or_else(|| schema.date_time_field_specs.first().map(|f| f.name.clone()));
    let plan = SegmentPlan {
        arrow_schema: Arc::new(segment_arrow_schema(&schema, &shape.union.source_types())),
        schema: schema.clone(),
        time_column,
        bloom_filter_columns: vec![],
        null_handling: table_config.null_handling_enabled(),
    };
    let transformed = sample
        .batches
        .iter()
        .map(|(key, batch)| conform(batch, key, &plan))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|m| {
            ApiError::invalid("schema", format!("sample rows do not fit the schema: {m}"))
        })?;
    let source_rows = rows_as_objects(&source_batches);
    let rows = rows_as_objects(&transformed);
    Ok(PreviewResponse {
        table_configs: PreviewConfigs {
            offline: enrich_config(
                &table_config,
                Some(&schema),
                &cx.config.sync.default_schedule,
            ),
        },
        summary: PreviewSummary {
            n_source_rows: source_rows.len(),
            n_rows: rows.len(),
            n_columns: schema.column_count(),
            batch: BatchSummary {
                n_matching_files: sample.matching_files,
            },
        },
        schema: Some(schema),
        rows,
        source_rows,
        source_files: None,
        warnings,
    })
}

/// What preview learns from the source: its shape and up to `sampling.max` rows.
struct Sample {
    shape: SourceShape,
    /// Each sampled batch with the key of the file it came from (for partition folders).
    batches: Vec<(String, RecordBatch)>,
    matching_files: usize,
    /// Set instead of the rest when only the file list was asked for.
    file_uris: Option<Vec<String>>,
}

impl Sample {
    fn files_only(uris: Vec<String>) -> Self {
        Self {
            shape: SourceShape::default(),
            batches: vec![],
            matching_files: uris.len(),
            file_uris: Some(uris),
        }
    }
}

async fn sample_source(
    cx: &SourceContext<'_>,
    spec: &SourceSpec,
    options: &PreviewOptions,
) -> ApiResult<Sample> {
    let max = options.sampling.max;
    if let SourceSpec::IcebergRest(rest) = spec {
        let catalog = IcebergRestCatalog::open(rest, cx.config).await?;
        let table = catalog.open_table().await?.table;
        if options.preview_files.preview_files_only {
            let uris = iceberg_table::data_files(&table).await?;
            return Ok(Sample::files_only(uris));
        }
        let shape = iceberg_shape(&table, options.inference.include_partition_columns)?;
        let batches = iceberg_table::sample(&table, max).await?;
        let matching_files = iceberg_table::data_files(&table).await?.len();
        return Ok(Sample {
            shape,
            batches: batches.into_iter().map(|b| (String::new(), b)).collect(),
            matching_files,
            file_uris: None,
        });
    }

    let catalog = catalogs::open(spec, cx.config).await?;
    let files = catalog.list_files().await?;
    if options.preview_files.preview_files_only {
        let uris: Vec<String> = files.iter().map(|f| catalog.file_uri(f)).collect();
        return Ok(Sample::files_only(uris));
    }
    if files.is_empty() {
        return Err(ApiError::invalid(
            "tableConfig.task",
            format!(
                "no Parquet files under {} to infer a schema from",
                catalog.root_uri()
            ),
        ));
    }
    let shape = discover_shape(&catalog, &files).await?;
    let mut batches = Vec::new();
    let mut rows = 0;
    for file in &files {
        if rows >= max {
            break;
        }
        let (file_batches, _) = reader::read_sample(catalog.clone(), file, max - rows).await?;
        for batch in file_batches {
            rows += batch.num_rows();
            batches.push((file.key.clone(), batch));
        }
    }
    Ok(Sample {
        shape,
        batches,
        matching_files: files.len(),
        file_uris: None,
    })
}

/// An Iceberg table's columns, from its current schema (not from data files).
pub fn iceberg_shape(
    table: &iceberg::table::Table,
    include_partition_columns: bool,
) -> ApiResult<SourceShape> {
    let arrow_schema = iceberg::arrow::schema_to_arrow_schema(table.metadata().current_schema())
        .map_err(|e| {
            ApiError::invalid(
                "tableConfig.task",
                format!("the Iceberg schema has types Lakeport cannot read: {e}"),
            )
        })?;
    let mut union = UnionSchema::default();
    union.add("", &arrow_schema);
    if !include_partition_columns {
        let partitioned = iceberg_table::identity_partition_columns(table);
        union.fields.retain(|f| !partitioned.contains(f.name()));
    }
    Ok(SourceShape {
        union,
        partitions: vec![],
    })
}

/// Every field of a schema must come from a column of the files or a partition folder.
pub fn check_fields_exist(schema: &TableSchema, shape: &SourceShape) -> ApiResult<()> {
    for (_, field) in schema.fields() {
        let in_files = shape.union.fields.iter().any(|f| f.name() == &field.name);
        let in_partitions = shape.partitions.iter().any(|p| p.name == field.name);
        if !in_files && !in_partitions {
            return Err(ApiError::invalid(
                "schema",
                format!(
                    "field '{}' is neither a column of the source files nor a partition folder",
                    field.name
                ),
            ));
        }
    }
    Ok(())
}

/// The table config to persist: the input with its name, time column, schedule and
/// defaults filled in, and every secret masked.
pub fn enrich_config(
    input: &TableConfig,
    schema: Option<&TableSchema>,
    default_schedule: &str,
) -> TableConfig {
    let mut config = input.clone();
    config.table_name = input.name_with_type();
    config.table_type = Some("OFFLINE".into());
    if let Some(schema) = schema {
        config
            .segments_config
            .schema_name
            .get_or_insert_with(|| input.raw_name().to_owned());
        if config.segments_config.time_column_name.is_none() {
            config.segments_config.time_column_name =
                schema.date_time_field_specs.first().map(|f| f.name.clone());
        }
        config.extra.entry("fieldConfigList").or_insert_with(|| {
            Value::Array(
                schema
                    .fields()
                    .map(
                        |(_, f)| json!({ "name": f.name, "encodingType": "RAW", "indexTypes": [] }),
                    )
                    .collect(),
            )
        });
    }
    config
        .segments_config
        .extra
        .entry("replication")
        .or_insert(json!("1"));
    let index_config = config
        .extra
        .entry("tableIndexConfig")
        .or_insert_with(|| json!({ "loadMode": "MMAP" }));
    if let Some(index_config) = index_config.as_object_mut() {
        index_config
            .entry("nullHandlingEnabled")
            .or_insert(json!(true));
    }
    config.extra.entry("ingestionConfig").or_insert_with(|| {
        json!({ "batchIngestionConfig": { "segmentIngestionType": "APPEND", "segmentIngestionFrequency": "DAILY" } })
    });
    config.extra.entry("tenants").or_insert_with(|| json!({}));
    config.extra.entry("metadata").or_insert_with(|| json!({}));
    if let Some(params) = config.sync_task_mut() {
        params
            .entry("schedule".into())
            .or_insert_with(|| default_schedule.into());
        params
            .entry("executor".into())
            .or_insert_with(|| "controller".into());
    }
    sources::mask(&mut config);
    config
}

/// Source types by column, for fixing a new table's segment schema.
pub fn source_types(shape: &SourceShape) -> BTreeMap<String, arrow::datatypes::DataType> {
    shape.union.source_types()
}
