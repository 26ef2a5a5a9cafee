//! Serves the Leptos UI (SSR + hydration); pages reach the REST API in-process through [`InProcessApi`].

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{Request, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use lakeport_app::backend::{ApiBackend, SharedBackend};
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower::ServiceExt;

use crate::auth::Principal;
use crate::error::ApiError;
use crate::state::AppState;

/// Largest API answer a page render reads.
const MAX_PAGE_DATA_BYTES: usize = 64 * 1024 * 1024;

/// The REST API router, called without a network hop. It sits inside the
/// sign-in check, so the page request's caller (its `Principal`) is passed on.
struct InProcessApi(Router);

#[async_trait::async_trait]
impl ApiBackend for InProcessApi {
    async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<String>,
        extensions: axum::http::Extensions,
    ) -> (u16, String) {
        let mut request = match Request::builder()
            .method(method)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.unwrap_or_default()))
        {
            Ok(request) => request,
            Err(err) => {
                return page_error(ApiError::BadRequest(format!(
                    "bad request from page: {err}"
                )));
            }
        };
        // Only who is calling crosses over: the page request's other extensions
        // (its own route parameters, above all) would confuse the API's router.
        if let Some(principal) = extensions.get::<Principal>() {
            request.extensions_mut().insert(principal.clone());
        }
        if let Some(session) = extensions.get::<tower_sessions::Session>() {
            request.extensions_mut().insert(session.clone());
        }
        let response = match self.0.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let status = response.status().as_u16();
        match axum::body::to_bytes(response.into_body(), MAX_PAGE_DATA_BYTES).await {
            Ok(bytes) => (status, String::from_utf8_lossy(&bytes).into_owned()),
            Err(err) => page_error(ApiError::internal(anyhow::anyhow!(
                "reading the API answer: {err}"
            ))),
        }
    }
}

/// An error of the in-process call itself, in the API's error shape.
fn page_error(err: ApiError) -> (u16, String) {
    let body = err.body();
    (body.code, serde_json::to_string(&body).unwrap_or_default())
}

/// Tells the security-headers layer the nonce leptos put on this page's inline
/// (hydration) scripts, so the page's CSP allows exactly those.
fn hand_over_nonce() {
    if let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
    ) && let Ok(value) = axum::http::HeaderValue::from_str(&nonce)
    {
        response.insert_header(crate::http::NONCE_HEADER, value);
    }
}

pub fn router(state: AppState, api: Router) -> Router {
    let options = LeptosOptions::builder()
        .output_name("lakeport")
        .site_root(state.config.site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(state.config.listen_addr)
        .build();
    let backend: SharedBackend = Arc::new(InProcessApi(api));
    let routes = generate_route_list(lakeport_app::App);
    Router::new()
        .route("/", get(|| async { Redirect::to("/ui/tables") }))
        .leptos_routes_with_context(
            &options,
            routes,
            move || {
                provide_context(backend.clone());
                hand_over_nonce();
            },
            {
                let options = options.clone();
                move || lakeport_app::shell(options.clone())
            },
        )
        .fallback(fallback)
        .with_state(options)
}

/// Unknown paths: under the API's first segments the API's JSON 404 (a script must
/// not get a page), everywhere else the site's files or the app's not-found page.
async fn fallback(uri: Uri, options: State<LeptosOptions>, request: Request<Body>) -> Response {
    if crate::api::is_api_path(uri.path()) {
        return crate::api::not_found().await.into_response();
    }
    leptos_axum::file_and_error_handler_with_context(hand_over_nonce, lakeport_app::shell)(
        uri, options, request,
    )
    .await
}
