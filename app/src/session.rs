//! Who is looking at the page: put into the request by the server's sign-in check, and into meta tags for the browser.

use serde::{Deserialize, Serialize};

/// The signed-in person of a browser session. The server adds it to the request's
/// extensions; the shell writes it into `<meta>` tags, from which the hydrated app
/// reads the same values, so both renders agree.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageSession {
    pub username: String,
    /// Sent back in the `X-CSRF-Token` header of every state-changing request.
    pub csrf_token: String,
}

pub const USER_META: &str = "lakeport-user";
pub const CSRF_META: &str = "csrf-token";

/// The session of the page being rendered (server) or shown (browser).
pub fn current() -> Option<PageSession> {
    #[cfg(feature = "ssr")]
    {
        leptos::prelude::use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<PageSession>().cloned())
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        let username = meta_content(USER_META)?;
        let csrf_token = meta_content(CSRF_META)?;
        Some(PageSession {
            username,
            csrf_token,
        })
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        None
    }
}

#[cfg(all(feature = "hydrate", not(feature = "ssr")))]
fn meta_content(name: &str) -> Option<String> {
    use leptos::wasm_bindgen::JsCast;
    leptos::prelude::document()
        .query_selector(&format!("meta[name=\"{name}\"]"))
        .ok()
        .flatten()
        .and_then(|e| e.dyn_into::<web_sys::HtmlMetaElement>().ok())
        .map(|m| m.content())
}
