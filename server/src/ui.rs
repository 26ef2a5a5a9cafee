//! Serves the Leptos UI (SSR + hydration) and gives its server functions the same services the REST API uses.

use std::sync::Arc;

use axum::Router;
use lakeport_app::TableSummary;
use lakeport_app::backend::{SharedBackend, UiBackend};
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};

use crate::state::AppState;
use crate::store;

struct Backend(AppState);

#[async_trait::async_trait]
impl UiBackend for Backend {
    async fn list_tables(&self) -> Result<Vec<TableSummary>, String> {
        let pool = &self.0.pool;
        let tables = store::tables::list(pool).await.map_err(|e| e.to_string())?;
        let mut summaries = Vec::with_capacity(tables.len());
        for table in tables {
            let latest = store::runs::latest(pool, &table.name)
                .await
                .map_err(|e| e.to_string())?;
            let totals = store::segments::totals(pool, &table.name)
                .await
                .map_err(|e| e.to_string())?;
            let task = store::tasks::state(pool, &table.name)
                .await
                .map_err(|e| e.to_string())?;
            let last_success = store::runs::last_success(pool, &table.name)
                .await
                .map_err(|e| e.to_string())?;
            summaries.push(TableSummary {
                name: table.raw_name,
                status: latest
                    .as_ref()
                    .map_or_else(|| "IDLE".to_owned(), |r| r.status.clone()),
                enabled: table.enabled,
                catalog_type: table.catalog_type,
                source: table.source_uri,
                rows: totals.rows,
                segments: totals.segments,
                last_success_ms: last_success.map(|t| t.timestamp_millis()),
                next_run_ms: task
                    .and_then(|t| t.next_run_at)
                    .map(|t| t.timestamp_millis()),
                last_error: latest.and_then(|r| r.error_message),
            });
        }
        Ok(summaries)
    }
}

pub fn router(state: AppState) -> Router {
    let options = LeptosOptions::builder()
        .output_name("lakeport")
        .site_root(state.config.site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(state.config.listen_addr)
        .build();
    let backend: SharedBackend = Arc::new(Backend(state));
    let routes = generate_route_list(lakeport_app::App);
    Router::new()
        .leptos_routes_with_context(
            &options,
            routes,
            move || provide_context(backend.clone()),
            {
                let options = options.clone();
                move || lakeport_app::shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler(lakeport_app::shell))
        .with_state(options)
}
