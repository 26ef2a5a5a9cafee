//! `/auth/*`: sign in and out (JSON for the app and scripts, forms for pages without JavaScript), who am I, API tokens.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequest, Path, Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form, Json};
use lakeport_wire::StatusMessage;
use lakeport_wire::auth::{
    CreatedToken, Credentials, Me, NewTokenRequest, PasswordChange, PasswordChanged, SignedIn,
    TokenList,
};
use lakeport_wire::connections::Removed;
use serde::Deserialize;
use tower_sessions::Session;

use super::docs::ApiErrors;
use super::extract::{ApiJson, uuid_id};
use lakeport_app::client::encode_component;

use crate::auth::{Principal, SIGN_IN_PAGE};
use crate::error::{ApiError, ApiResult};
use crate::service::auth;
use crate::state::AppState;

#[derive(Deserialize)]
struct SignInForm {
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// The caller's address as sign-in throttling counts it.
fn client_of(state: &AppState, request: &Request) -> String {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    state.sign_in.client_key(peer, request.headers())
}

#[utoipa::path(
    post,
    path = "/auth/sign-in",
    tag = "auth",
    security(()),
    request_body(content = Credentials, description = "JSON, or a form (username, password, next) from the sign-in page, which redirects"),
    responses((status = 200, body = SignedIn, description = "Signed in: the session cookie is set"), ApiErrors)
)]
pub async fn sign_in(
    State(state): State<AppState>,
    session: Session,
    request: Request,
) -> Response {
    let client = client_of(&state, &request);
    if !is_form(&request) {
        return match ApiJson::<Credentials>::from_request(request, &()).await {
            Ok(ApiJson(credentials)) => {
                auth::sign_in(&state.pool, &state.sign_in, &client, &session, credentials)
                    .await
                    .map(Json)
                    .into_response()
            }
            Err(err) => err.into_response(),
        };
    }
    let form = match Form::<SignInForm>::from_request(request, &()).await {
        Ok(Form(form)) => form,
        Err(err) => return ApiError::BadRequest(err.body_text()).into_response(),
    };
    let next = local_path(&form.next);
    let credentials = Credentials {
        username: form.username,
        password: form.password,
    };
    match auth::sign_in(&state.pool, &state.sign_in, &client, &session, credentials).await {
        Ok(_) => Redirect::to(next).into_response(),
        // The page cannot show a Retry-After: it says to wait instead.
        Err(ApiError::TooManyRequests { .. }) => Redirect::to(&format!(
            "{SIGN_IN_PAGE}?failed=throttled&next={}",
            encode_component(next)
        ))
        .into_response(),
        Err(err) if err.status().is_client_error() => Redirect::to(&format!(
            "{SIGN_IN_PAGE}?failed=1&next={}",
            encode_component(next)
        ))
        .into_response(),
        Err(err) => err.into_response(),
    }
}

#[utoipa::path(
    post,
    path = "/auth/sign-out",
    tag = "auth",
    responses((status = 200, body = StatusMessage), ApiErrors)
)]
pub async fn sign_out(session: Session, request: Request) -> Response {
    let form = is_form(&request);
    match auth::sign_out(&session).await {
        Ok(_) if form => Redirect::to(SIGN_IN_PAGE).into_response(),
        Ok(body) => Json(body).into_response(),
        Err(err) => err.into_response(),
    }
}

/// `POST /auth/password`: the caller's own password, given the current one.
#[utoipa::path(
    post,
    path = "/auth/password",
    tag = "auth",
    request_body = PasswordChange,
    responses((status = 200, body = PasswordChanged), ApiErrors)
)]
pub async fn change_password(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    session: Session,
    request: Request,
) -> ApiResult<Json<PasswordChanged>> {
    let client = client_of(&state, &request);
    let ApiJson(change) = ApiJson::<PasswordChange>::from_request(request, &()).await?;
    Ok(Json(
        auth::change_password(
            &state.pool,
            &state.sign_in,
            &client,
            &principal,
            &session,
            change,
        )
        .await?,
    ))
}

#[utoipa::path(
    get,
    path = "/auth/me",
    tag = "auth",
    responses((status = 200, body = Me), ApiErrors)
)]
pub async fn me(Extension(principal): Extension<Principal>) -> Json<Me> {
    Json(auth::me(&principal))
}

#[utoipa::path(
    get,
    path = "/auth/tokens",
    tag = "auth",
    responses((status = 200, body = TokenList), ApiErrors)
)]
pub async fn list_tokens(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
) -> ApiResult<Json<TokenList>> {
    Ok(Json(
        auth::list_tokens(&state.pool, principal.user_id).await?,
    ))
}

#[utoipa::path(
    post,
    path = "/auth/tokens",
    tag = "auth",
    request_body = NewTokenRequest,
    responses((status = 200, body = CreatedToken, description = "The token; its secret is in this answer only"), ApiErrors)
)]
pub async fn create_token(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    ApiJson(request): ApiJson<NewTokenRequest>,
) -> ApiResult<Json<CreatedToken>> {
    Ok(Json(
        auth::create_token(&state.pool, principal.user_id, request).await?,
    ))
}

#[utoipa::path(
    delete,
    path = "/auth/tokens/{id}",
    tag = "auth",
    params(("id" = String, Path, description = "The token's id")),
    responses((status = 200, body = Removed), ApiErrors)
)]
pub async fn revoke_token(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> ApiResult<Json<Removed>> {
    let id = uuid_id(&id, "token")?;
    Ok(Json(
        auth::revoke_token(&state.pool, principal.user_id, id).await?,
    ))
}

fn is_form(request: &Request) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

/// `next` only when it is a path on this site: `//evil.example`, `/\\evil.example`
/// or a full URL would turn sign-in into an open redirect, and browsers drop
/// tabs and newlines from URLs, so `/\t/evil.example` means `//evil.example`.
fn local_path(next: &str) -> &str {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control);
    if local { next } else { "/" }
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(local_path("/ui/tables/x"), "/ui/tables/x");
        assert_eq!(local_path("//evil.example/"), "/");
        assert_eq!(local_path("https://evil.example/"), "/");
        assert_eq!(local_path("/\\evil.example"), "/");
        assert_eq!(local_path("/\t/evil.example"), "/");
        assert_eq!(local_path("/\n/evil.example"), "/");
        assert_eq!(local_path("/\r//evil.example"), "/");
        assert_eq!(local_path("/ui/a\\b"), "/");
        assert_eq!(local_path("/ui/tables?x=1#y"), "/ui/tables?x=1#y");
        assert_eq!(local_path(""), "/");
    }
}
