//! Service functions: the logic behind each API call, shared by the REST handlers and the UI.

pub mod ailake;
pub mod auth;
pub mod connections;
pub mod exports;
pub mod realtime;
pub mod schemas;
pub mod status;
pub mod storages;
pub mod tables;
