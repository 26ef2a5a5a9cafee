//! Building one segment from one source file, off the async runtime.

use std::sync::Arc;

use arrow::record_batch::RecordBatch;

use crate::catalogs::SourceFile;
use crate::segments::builder::{BuiltSegment, SegmentPlan, conform, write_segment};
use crate::segments::{DeepStore, segment_name};

/// What a file became: a segment (with its name), or the reason it did not.
pub type FileOutcome = Result<(SourceFile, String, BuiltSegment), (SourceFile, String)>;

/// Where a table's segments go and what they look like.
#[derive(Clone)]
pub struct SegmentTarget {
    pub plan: Arc<SegmentPlan>,
    pub store: DeepStore,
    pub table_name: String,
    pub raw_name: String,
}

impl SegmentTarget {
    /// Produces the file's batches (decoding is CPU work too), conforms them to the
    /// table schema and writes the segment, all on a blocking thread.
    pub async fn build<F>(&self, file: SourceFile, batches: F) -> FileOutcome
    where
        F: FnOnce() -> Result<Vec<RecordBatch>, String> + Send + 'static,
    {
        let name = segment_name(&self.raw_name, &file.key, &file.etag);
        let dest = self
            .store
            .path(&DeepStore::location(&self.table_name, &name));
        let plan = self.plan.clone();
        let key = file.key.clone();
        let built = tokio::task::spawn_blocking(move || -> Result<BuiltSegment, String> {
            let conformed = batches()?
                .iter()
                .map(|b| conform(b, &key, &plan))
                .collect::<Result<Vec<_>, _>>()?;
            write_segment(&plan, &conformed, &dest)
        })
        .await
        .unwrap_or_else(|e| Err(format!("segment build crashed: {e}")));
        match built {
            Ok(built) => Ok((file, name, built)),
            Err(error) => Err((file, error)),
        }
    }
}
