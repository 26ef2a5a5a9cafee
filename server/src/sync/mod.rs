//! The watcher: cron-scheduled and manual syncs, claimed through leases, each run committed atomically.

pub mod run;
pub mod schedule;
pub mod worker;
