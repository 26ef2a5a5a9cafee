//! REALTIME tables behind the API: pushed rows in, and how ingestion is going.

use bytes::Bytes;
use chrono::Utc;
use lakeport_wire::realtime::{IngestResult, IngestionStatus, MinuteRows};

use crate::error::{ApiError, ApiResult};
use crate::model::table_config::{TableConfig, TableType};
use crate::realtime::decode::IngestFormat;
use crate::realtime::ingest::{self, IngestRequest};
use crate::service::tables;
use crate::state::AppState;
use crate::store::{self, tables::TableRow};

async fn load_realtime(state: &AppState, name: &str) -> ApiResult<(TableRow, TableConfig)> {
    let table = tables::load(state, name).await?;
    if TableType::parse(&table.table_type) != Some(TableType::Realtime) {
        return Err(ApiError::invalid(
            "tableNameWithType",
            format!(
                "table '{}' is an OFFLINE table, synced from {}; rows are pushed only into REALTIME tables",
                table.name, table.source_uri
            ),
        ));
    }
    let config = serde_json::from_value(table.config.clone()).map_err(ApiError::internal)?;
    Ok((table, config))
}

/// `POST /ingest/{tableNameWithType}`.
pub async fn ingest(
    state: &AppState,
    name: &str,
    content_type: Option<&str>,
    idempotency_key: Option<String>,
    body: Bytes,
) -> ApiResult<IngestResult> {
    let (table, _) = load_realtime(state, name).await?;
    if !table.enabled {
        return Err(ApiError::Conflict(format!(
            "table '{}' is paused and takes no rows; resume it with PUT /tables/{}/state?state=enable",
            table.name, table.raw_name
        )));
    }
    let format =
        IngestFormat::from_content_type(content_type).map_err(ApiError::UnsupportedMediaType)?;
    let ingested = ingest::ingest(
        &state.worker_env(),
        &table,
        IngestRequest {
            format,
            body,
            idempotency_key,
        },
    )
    .await?;
    state.query.forget(&table.raw_name);
    Ok(IngestResult {
        status: if ingested.duplicate {
            format!(
                "Already ingested: these {} rows were loaded by an earlier request with the same Idempotency-Key",
                ingested.rows
            )
        } else {
            format!("Ingested {} rows into {}", ingested.rows, table.name)
        },
        table_name_with_type: table.name,
        rows_ingested: ingested.rows,
        chunk_id: ingested.chunk_id,
        duplicate: ingested.duplicate,
    })
}

/// `GET /tables/{name}/ingestion`.
pub async fn ingestion(state: &AppState, name: &str) -> ApiResult<IngestionStatus> {
    let (table, config) = load_realtime(state, name).await?;
    let stream = config.stream_settings()?;
    let consuming = store::realtime::consuming_totals(&state.pool, &table.name).await?;
    let completed = store::segments::totals(&state.pool, &table.name).await?;
    let since = Utc::now() - chrono::Duration::hours(1);
    let per_minute = store::realtime::rows_per_minute(&state.pool, &table.name, since).await?;
    Ok(IngestionStatus {
        table_name_with_type: table.name,
        consuming_rows: consuming.rows,
        consuming_chunks: consuming.chunks,
        oldest_consuming_ms: consuming.oldest.map(|t| t.timestamp_millis()),
        completed_segments: completed.segments,
        completed_rows: completed.rows,
        flush_threshold_rows: stream.flush_rows,
        flush_threshold_time_ms: stream.flush_time_ms,
        next_seal_ms: consuming
            .oldest
            .map(|t| t.timestamp_millis() + stream.flush_time_ms as i64),
        rows_per_minute: per_minute
            .into_iter()
            .map(|(minute, rows)| MinuteRows {
                minute_ms: minute.timestamp_millis(),
                rows,
            })
            .collect(),
    })
}
