//! Lakeport: brings lake data into a queryable segment store and keeps it in sync.

pub mod api;
pub mod auth;
pub mod catalogs;
pub mod config;
pub mod demo;
pub mod error;
pub mod http;
pub mod model;
pub mod preview;
pub mod query;
pub mod segments;
pub mod service;
pub mod sources;
pub mod startup;
pub mod state;
pub mod store;
pub mod sync;
pub mod ui;
