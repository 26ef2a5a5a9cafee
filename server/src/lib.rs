//! Lakeport: brings lake data into a queryable segment store and keeps it in sync.
//!
//! Imports point one way, down this list; a module may use its own layer and the ones
//! below it, never one above (`tests/layers.rs` checks every `crate::`/`super::` path):
//!
//! 1. wiring: `startup` (and `main`, `demo`): builds and runs everything.
//! 2. edge: `api` (REST handlers), `ui` (pages), `http` (headers, timeouts, limits).
//! 3. service: `service` (the logic behind the handlers), `auth` (who is calling).
//! 4. context: `state` ([`state::AppState`]), what requests and the watcher share.
//! 5. `watcher`: the background loop that claims due tasks and hands each to its engine.
//! 6. engines: `preview`, `sync`, `realtime`, `export`, `query`, `pipes` (AI Lake), and `auth::throttle` (which state holds).
//! 7. `sources`: saved connections and their secrets, resolved for a source.
//! 8. backends: `catalogs` (lakes), `store` (Postgres), `segments` (deep store).
//! 9. foundation: `model`, `config`, `error` (which imports nothing from the crate).
//!
//! `AppState` bundles parts of several lower layers, so it sits above them: only the
//! edge, service and auth take it. The layers below get just the parts they need,
//! which state hands out as narrower contexts: [`sources::SourceContext`] (pool,
//! secret box, config) for preview and sources, [`sync::context::WorkerEnv`] for the
//! watcher. Within a layer modules may use one another, but not in a cycle.
//!
//! Below all of them sits the `lakeport-wire` crate: the API's requests, answers and input
//! rules, which the web app shares and the OpenAPI document (`api::docs`) is generated from.

pub mod api;
pub mod auth;
pub mod catalogs;
pub mod config;
pub mod demo;
pub mod error;
pub mod export;
pub mod http;
pub mod model;
pub mod pipes;
pub mod preview;
pub mod query;
pub mod realtime;
pub mod segments;
pub mod service;
pub mod sources;
pub mod startup;
pub mod state;
pub mod store;
pub mod sync;
pub mod ui;
pub mod watcher;
