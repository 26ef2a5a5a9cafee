//! The watcher: cron-scheduled and manual syncs, claimed through leases, each run committed atomically.

mod build;
mod commit;
pub mod context;
mod files;
mod iceberg;
pub mod run;
pub mod worker;

pub use commit::{SNAPSHOT_ID, TIMESTAMP};
