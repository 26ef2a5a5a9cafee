//! Syncs of lake sources: cron-scheduled and manual runs (claimed through the watcher's leases), each committed atomically.

mod build;
mod commit;
pub mod context;
mod files;
mod iceberg;
pub mod run;

pub use commit::{SNAPSHOT_ID, TIMESTAMP};
