//! Builds the application from a config: database, migrations, state, workers and the HTTP server.

use std::future::Future;
use std::net::SocketAddr;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

use crate::config::Config;
use crate::segments::DeepStore;
use crate::state::AppState;
use crate::store::Database;
use crate::store::secrets::SecretBox;
use crate::{api, auth, http, ui, watcher};

pub struct Application {
    listener: TcpListener,
    state: AppState,
    database: Database,
}

impl Application {
    /// Opens (or starts) the database, applies migrations and binds the listener.
    /// A port of 0 picks a free one: see [`Application::port`].
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        crate::model::schedule::parse(&config.sync.default_schedule)
            .map_err(|e| anyhow::anyhow!("sync.default_schedule: {e}"))?;
        let session = crate::catalogs::aws_credentials::SESSION_SECS;
        if !session.contains(&config.aws.assume_role_duration_secs) {
            anyhow::bail!(
                "aws.assume_role_duration_secs must be {} to {} seconds (STS's bounds), not {}",
                session.start(),
                session.end(),
                config.aws.assume_role_duration_secs
            );
        }
        crate::catalogs::outbound::OutboundPolicy::from_config(&config.outbound)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        std::fs::create_dir_all(&config.data_dir)?;
        for root in &config.local_roots {
            if root.starts_with(&config.data_dir) {
                std::fs::create_dir_all(root)?;
            }
        }
        let secrets = SecretBox::load(
            config.secret_key.as_ref().map(|k| k.expose()),
            &config.data_dir,
        )?;
        let deep_store = DeepStore::new(config.segments_dir())?;
        let database = Database::open(&config).await?;
        database.migrate().await?;
        crate::service::auth::ensure_first_admin(&database.pool, &config).await?;
        let listener = TcpListener::bind(config.listen_addr).await?;
        let mut config = config;
        config.listen_addr = listener.local_addr()?;
        let state = AppState::new(database.pool.clone(), config, secrets, deep_store)?;
        crate::service::storages::register_configured(&state, &state.config.ailake.object_storages)
            .await;
        Ok(Self {
            listener,
            state,
            database,
        })
    }

    pub fn port(&self) -> u16 {
        self.state.config.listen_addr.port()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then lets runs in progress finish and
    /// stops the embedded database, if any.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let Self {
            listener,
            state,
            database,
        } = self;
        let (stop_tx, stop_rx) = watch::channel(false);
        let workers = state
            .config
            .sync
            .workers_enabled
            .then(|| tokio::spawn(watcher::run_workers(state.worker_env(), stop_rx.clone())));
        let app = router(state.clone());
        let session_sweeper = tokio::spawn(auth::session::sweep_expired(state.pool.clone()));
        tracing::info!(addr = %state.config.listen_addr, worker = %state.worker_id, "Lakeport is listening");
        // The peer address is what sign-in throttling counts.
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        })
        .await?;
        if let Some(workers) = workers {
            let _ = workers.await;
        }
        session_sweeper.abort();
        database.close().await;
        Ok(())
    }
}

/// The API and the UI behind one sign-in check (sessions or API tokens), all
/// inside one envelope of limits and security headers.
pub fn router(state: AppState) -> Router {
    let envelope = http::Envelope::new(&state.config);
    let max_body = envelope.max_body_bytes();
    let (api, openapi) = api::router();
    let api = api.with_state(state.clone());
    let sessions = auth::session::layer(state.pool.clone(), &state.config.auth);
    let docs = utoipa_swagger_ui::SwaggerUi::new(api::docs::SWAGGER_PATH)
        .url(api::docs::OPENAPI_PATH, openapi);
    api.clone()
        .merge(docs)
        .merge(ui::router(state.clone(), api))
        .layer(axum::middleware::from_fn_with_state(
            state,
            auth::authenticate,
        ))
        .layer(sessions)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(RequestBodyLimitLayer::new(max_body))
        .layer(CatchPanicLayer::new())
        .layer(axum::middleware::from_fn_with_state(
            envelope,
            http::envelope,
        ))
        .layer(TraceLayer::new_for_http())
}
