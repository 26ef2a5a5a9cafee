//! The REST API as pages call it: in-process while the server renders, `fetch` in the browser.
//!
//! Pages use the same routes and JSON that scripts use, so the UI has no logic of
//! its own to drift from the API's.

use std::fmt;

use lakeport_wire::ErrorBody;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// A failed call: the API's status and message, and the request field it blames.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiFailure {
    pub status: u16,
    pub message: String,
    pub field: Option<String>,
    /// The API's error kind, e.g. `CATALOG_ACCESS_DENIED`.
    pub kind: Option<String>,
}

impl ApiFailure {
    /// A failure found before or without an answer from the API.
    pub fn local(status: u16, message: String) -> Self {
        Self {
            status,
            message,
            field: None,
            kind: None,
        }
    }
}

impl fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApiFailure {}

pub type ApiResult<T> = Result<T, ApiFailure>;

pub async fn get<T: DeserializeOwned>(path: &str) -> ApiResult<T> {
    call("GET", path, None).await
}

pub async fn post<T: DeserializeOwned>(path: &str, body: &impl Serialize) -> ApiResult<T> {
    call("POST", path, Some(encode(body)?)).await
}

pub async fn put<T: DeserializeOwned>(
    path: &str,
    body: Option<&serde_json::Value>,
) -> ApiResult<T> {
    let body = body.map(encode).transpose()?;
    call("PUT", path, body).await
}

pub async fn delete<T: DeserializeOwned>(path: &str) -> ApiResult<T> {
    call("DELETE", path, None).await
}

fn encode(body: &impl Serialize) -> ApiResult<String> {
    serde_json::to_string(body)
        .map_err(|e| ApiFailure::local(0, format!("could not encode the request: {e}")))
}

async fn call<T: DeserializeOwned>(method: &str, path: &str, body: Option<String>) -> ApiResult<T> {
    let (status, text) = transport::send(method, path, body).await?;
    decode(status, &text)
}

/// Reads a success as `T`, and an error as the API's [`ErrorBody`].
fn decode<T: DeserializeOwned>(status: u16, text: &str) -> ApiResult<T> {
    if (200..300).contains(&status) {
        return serde_json::from_str(text).map_err(|e| {
            ApiFailure::local(
                status,
                format!("the server's answer was not understood: {e}"),
            )
        });
    }
    Err(match serde_json::from_str::<ErrorBody>(text) {
        Ok(body) => ApiFailure {
            status,
            message: body.error,
            field: body.field,
            kind: Some(body.kind),
        },
        Err(_) => ApiFailure::local(
            status,
            format!("the server answered {status}: {}", text.trim()),
        ),
    })
}

/// Percent-encodes a value for a path segment or query parameter.
pub fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(feature = "ssr")]
mod transport {
    use super::ApiFailure;
    use crate::backend::SharedBackend;
    use leptos::prelude::use_context;

    /// Runs the request through the API router in this process, as the person
    /// whose page is being rendered (their request's extensions carry who they are).
    pub async fn send(
        method: &str,
        path: &str,
        body: Option<String>,
    ) -> Result<(u16, String), ApiFailure> {
        let backend = use_context::<SharedBackend>().ok_or_else(|| {
            ApiFailure::local(
                500,
                "the server did not provide the API backend to the page".into(),
            )
        })?;
        let extensions = use_context::<http::request::Parts>()
            .map(|parts| parts.extensions)
            .unwrap_or_default();
        Ok(backend.call(method, path, body, extensions).await)
    }
}

#[cfg(all(feature = "hydrate", not(feature = "ssr")))]
mod transport {
    use super::ApiFailure;
    use gloo_net::http::{Method, RequestBuilder};

    /// Browser futures are not `Send`, but pages' resources must be; in the
    /// browser there is one thread, so wrapping them is sound.
    pub async fn send(
        method: &str,
        path: &str,
        body: Option<String>,
    ) -> Result<(u16, String), ApiFailure> {
        let (method, path) = (method.to_owned(), path.to_owned());
        send_wrapper::SendWrapper::new(fetch(method, path, body)).await
    }

    async fn fetch(
        method: String,
        path: String,
        body: Option<String>,
    ) -> Result<(u16, String), ApiFailure> {
        let (method, path) = (method.as_str(), path.as_str());
        let failure = |message: String| ApiFailure::local(0, message);
        let method: Method = method
            .parse()
            .map_err(|_| failure(format!("bad method {method}")))?;
        let mut request = RequestBuilder::new(path).method(method.clone());
        if !matches!(method, Method::GET | Method::HEAD) {
            let csrf = crate::session::current()
                .map(|s| s.csrf_token)
                .unwrap_or_default();
            request = request.header("x-csrf-token", &csrf);
        }
        let request = match body {
            Some(body) => request
                .header("content-type", "application/json")
                .body(body)
                .map_err(|e| failure(e.to_string()))?,
            None => request.build().map_err(|e| failure(e.to_string()))?,
        };
        let response = request
            .send()
            .await
            .map_err(|e| failure(format!("could not reach Lakeport: {e}")))?;
        let status = response.status();
        if status == 401 {
            // The session ended (signed out elsewhere, or expired): start over.
            let _ = leptos::prelude::window().location().set_href("/ui/sign-in");
        }
        let text = response.text().await.map_err(|e| failure(e.to_string()))?;
        Ok((status, text))
    }
}

#[cfg(not(any(feature = "ssr", feature = "hydrate")))]
mod transport {
    use super::ApiFailure;

    pub async fn send(_: &str, _: &str, _: Option<String>) -> Result<(u16, String), ApiFailure> {
        Err(ApiFailure::local(
            0,
            "built without the ssr or hydrate feature: no way to reach the API".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_carry_the_api_message_and_field() {
        let err = decode::<serde_json::Value>(
            400,
            r#"{"code":400,"error":"bucket: is required","kind":"INVALID_FIELD","field":"bucket"}"#,
        )
        .unwrap_err();
        assert_eq!(err.message, "bucket: is required");
        assert_eq!(err.field.as_deref(), Some("bucket"));
        let err = decode::<serde_json::Value>(502, "Bad Gateway").unwrap_err();
        assert!(err.message.contains("502"), "{err}");
        assert_eq!(decode::<u32>(200, "7").unwrap(), 7);
    }

    #[test]
    fn components_are_encoded() {
        assert_eq!(encode_component("a b/c?d"), "a%20b%2Fc%3Fd");
    }
}
