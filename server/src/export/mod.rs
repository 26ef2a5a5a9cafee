//! DataExportTask (seed 003): completed segments written back to the lake as Parquet files or
//! Iceberg commits, with a watermark and per-segment checkpoints so nothing is exported twice.

pub mod config;
pub mod cycle;
mod json;
pub mod options;
pub mod parquet;
pub mod target;
