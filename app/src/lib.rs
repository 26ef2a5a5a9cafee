//! Lakeport's web UI: Leptos pages rendered on the server and hydrated in the browser, talking to the REST API.
//!
//! The server crate renders [`shell`]; the `lakeport-frontend` crate hydrates
//! [`App`] in the browser. Pages read and change data only through
//! [`client`], which calls the REST API (in-process while rendering on the
//! server, `fetch` in the browser), so the UI never re-implements a rule.

// Leptos views are deeply nested types; the wizard's exceed the default limit.
#![recursion_limit = "256"]

#[cfg(feature = "ssr")]
pub mod backend;
pub mod client;
mod components;
mod format;
mod pages;
pub mod session;

pub use session::PageSession;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{Route, Router, Routes},
    path,
};

use components::NavBar;
use pages::{
    AilakePage, ConnectPage, ConnectionsPage, NotFound, QueryPage, SignInPage, TablePage,
    TablesPage, TokensPage,
};

/// The whole HTML document; rendered on the server only, while the browser
/// hydrates just the `<body>` contents, which is [`App`].
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // Written into the head so the hydrated app reads the same session the
    // server rendered with (see `session::current`).
    let session = session::current();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                // Lets native controls and scrollbars follow the system theme,
                // as the Tailwind `dark:` variants do.
                <meta name="color-scheme" content="light dark" />
                {session.map(|s| view! {
                    <meta name=session::USER_META content=s.username />
                    <meta name=session::CSRF_META content=s.csrf_token />
                })}
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body class="bg-slate-50 text-slate-900 antialiased dark:bg-slate-950 dark:text-slate-100">
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    // Effects never run while rendering on the server, so this marks the
    // moment the WASM has taken over the page; browser tests wait for it.
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));

    // Every route waits for its data on the server (SsrMode::Async), so each
    // page arrives complete and reads right before, or without, the WASM.
    view! {
        <Stylesheet id="leptos" href="/pkg/lakeport.css" />
        <Title formatter=|title: String| format!("{title} · Lakeport") />
        <div
            class="flex min-h-screen flex-col"
            data-hydrated=move || hydrated.get().then_some("true")
        >
            <Router>
                <a
                    href="#main"
                    class="sr-only focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-50 focus:rounded-md focus:bg-white focus:px-3 focus:py-2 focus:text-sm focus:shadow dark:focus:bg-slate-800"
                >
                    "Skip to content"
                </a>
                <NavBar />
                <Routes fallback=|| view! { <NotFound /> }>
                    <Route path=path!("/ui/sign-in") view=SignInPage ssr=SsrMode::Async />
                    <Route path=path!("/ui/tables") view=TablesPage ssr=SsrMode::Async />
                    <Route path=path!("/ui/tables/:name") view=TablePage ssr=SsrMode::Async />
                    <Route path=path!("/ui/connect") view=ConnectPage ssr=SsrMode::Async />
                    <Route path=path!("/ui/connections") view=ConnectionsPage ssr=SsrMode::Async />
                    <Route path=path!("/ui/query") view=QueryPage ssr=SsrMode::Async />
                    <Route path=path!("/ui/tokens") view=TokensPage ssr=SsrMode::Async />
                    <Route path=path!("/ui/ailake") view=AilakePage ssr=SsrMode::Async />
                </Routes>
            </Router>
        </div>
    }
}
