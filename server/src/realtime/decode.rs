//! placeholder
use arrow::record_batch::RecordBatch;
use crate::segments::builder::SegmentPlan;
#[derive(Debug, Clone, Copy)]
pub enum IngestFormat { Json, NdJson, ArrowStream }
impl IngestFormat { pub fn from_content_type(_c: Option<&str>) -> Result<Self, String> { todo!() } }
#[derive(Debug)]
pub struct RowError;
impl std::fmt::Display for RowError { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "x") } }
pub fn decode(_f: IngestFormat, _b: &[u8], _p: &SegmentPlan) -> Result<RecordBatch, RowError> { todo!() }
