//! Every black-box test in one binary: one link instead of one per file, and one copy of
//! the dependencies on disk. Each module is one area of the product; `common` is the harness.
//! (`outbound.rs` stands alone: it changes the process environment.)

mod common;

mod ailake;
mod api_errors;
mod auth;
mod aws_roles;
mod connections;
mod export;
mod export_iceberg;
mod export_writer;
mod hardening;
mod iceberg_append;
mod iceberg_rest;
mod iceberg_sync;
mod openapi;
mod preview;
mod process;
mod query_limits;
mod query_safety;
mod readiness;
mod realtime;
mod realtime_faults;
mod replicas;
mod seed_quickstart;
mod seed_tasks;
mod sync_local;
