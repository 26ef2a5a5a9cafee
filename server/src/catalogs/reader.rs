//! Parquet over any catalog: ranged reads for previews, whole-file decoding for syncs.

use std::ops::Range;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use bytes::Bytes;
use futures::future::BoxFuture;
use futures::{FutureExt, TryStreamExt};
use parquet::arrow::ParquetRecordBatchStreamBuilder;
use parquet::arrow::arrow_reader::{ArrowReaderOptions, ParquetRecordBatchReaderBuilder};
use parquet::arrow::async_reader::AsyncFileReader;
use parquet::errors::ParquetError;
use parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader};

use super::{Catalog, CatalogError, CatalogResult, SourceFile};

/// Reads only the byte ranges the Parquet decoder asks for, so a preview of a
/// large file costs its footer and one row group, not the whole object.
pub struct RangedParquetReader {
    catalog: Arc<dyn Catalog>,
    file: SourceFile,
}

impl RangedParquetReader {
    pub fn new(catalog: Arc<dyn Catalog>, file: SourceFile) -> Self {
        Self { catalog, file }
    }
}

impl AsyncFileReader for RangedParquetReader {
    fn get_bytes(&mut self, range: Range<u64>) -> BoxFuture<'_, parquet::errors::Result<Bytes>> {
        async move {
            self.catalog
                .read_range(&self.file, range)
                .await
                .map_err(|e| ParquetError::External(Box::new(e)))
        }
        .boxed()
    }

    fn get_metadata<'a>(
        &'a mut self,
        _options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, parquet::errors::Result<Arc<ParquetMetaData>>> {
        async move {
            let size = self.file.size;
            let metadata = ParquetMetaDataReader::new()
                .with_prefetch_hint(Some(64 * 1024))
                .load_and_finish(self, size)
                .await?;
            Ok(Arc::new(metadata))
        }
        .boxed()
    }
}

fn bad_parquet(file: &SourceFile, err: impl std::fmt::Display) -> CatalogError {
    CatalogError::BadData(format!(
        "'{}' is not a readable Parquet file: {err}",
        file.key
    ))
}

/// The Arrow schema embedded in a file's footer.
pub async fn read_schema(catalog: Arc<dyn Catalog>, file: &SourceFile) -> CatalogResult<SchemaRef> {
    let reader = RangedParquetReader::new(catalog, file.clone());
    let builder = ParquetRecordBatchStreamBuilder::new(reader)
        .await
        .map_err(|e| unwrap_catalog(file, e))?;
    Ok(builder.schema().clone())
}

/// Up to `limit` rows from the start of a file, plus the file's row count.
pub async fn read_sample(
    catalog: Arc<dyn Catalog>,
    file: &SourceFile,
    limit: usize,
) -> CatalogResult<(Vec<RecordBatch>, u64)> {
    let reader = RangedParquetReader::new(catalog, file.clone());
    let builder = ParquetRecordBatchStreamBuilder::new(reader)
        .await
        .map_err(|e| unwrap_catalog(file, e))?;
    let total_rows = builder.metadata().file_metadata().num_rows().max(0) as u64;
    let stream = builder
        .with_limit(limit)
        .with_batch_size(limit.clamp(1, 8192))
        .build()
        .map_err(|e| bad_parquet(file, e))?;
    let batches = stream
        .try_collect()
        .await
        .map_err(|e| unwrap_catalog(file, e))?;
    Ok((batches, total_rows))
}

/// Decodes a whole file held in memory. CPU-bound: call it off the async runtime.
pub fn decode_all(file: &SourceFile, bytes: Bytes) -> CatalogResult<(SchemaRef, Vec<RecordBatch>)> {
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(bytes).map_err(|e| bad_parquet(file, e))?;
    let schema = builder.schema().clone();
    let reader = builder
        .with_batch_size(64 * 1024)
        .build()
        .map_err(|e| bad_parquet(file, e))?;
    let batches = reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad_parquet(file, e))?;
    Ok((schema, batches))
}

/// Keeps a catalog failure (e.g. access denied) distinct from a corrupt file.
fn unwrap_catalog(file: &SourceFile, err: ParquetError) -> CatalogError {
    match err {
        ParquetError::External(inner) => match inner.downcast::<CatalogError>() {
            Ok(catalog_error) => *catalog_error,
            Err(other) => bad_parquet(file, other),
        },
        other => bad_parquet(file, other),
    }
}
