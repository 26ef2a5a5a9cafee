//! Lakeport's web UI: Leptos components and server functions, rendered on the server and hydrated in the browser.
//!
//! The server crate renders [`shell`] and serves the server functions; the
//! `lakeport-frontend` crate hydrates [`App`] in the browser. Data reaches the
//! server functions only through the [`backend::UiBackend`] context (feature
//! `ssr`), so this crate stays free of the server's own types.

pub mod api;
#[cfg(feature = "ssr")]
pub mod backend;
mod format;
pub mod model;
mod pages;

pub use api::list_tables;
pub use model::TableSummary;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{Route, Router, Routes},
    path,
};

use pages::{NotFound, TablesPage};

/// The whole HTML document; rendered on the server only, while the browser
/// hydrates just the `<body>` contents, which is [`App`].
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                // Lets native controls and scrollbars follow the system theme,
                // as the Tailwind `dark:` variants do.
                <meta name="color-scheme" content="light dark" />
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

    view! {
        <Stylesheet id="leptos" href="/pkg/lakeport.css" />
        <Title formatter=|title: String| format!("{title} · Lakeport") />
        <div
            class="flex min-h-screen flex-col"
            data-hydrated=move || hydrated.get().then_some("true")
        >
            <Router>
                <header class="border-b border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
                    <nav
                        aria-label="Main"
                        class="mx-auto flex max-w-7xl items-center gap-2 px-4 py-3 sm:px-6 lg:px-8"
                    >
                        <a
                            href="/"
                            class="flex items-center gap-2 text-lg font-semibold tracking-tight focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-sky-600"
                        >
                            <img src="/favicon.svg" alt="" width="24" height="24" />
                            "Lakeport"
                        </a>
                    </nav>
                </header>
                <Routes fallback=|| view! { <NotFound /> }>
                    // Async: the server waits for the list and sends complete
                    // HTML, so the page reads right without JavaScript and its
                    // <title> is in the head, at the cost of no early flush.
                    <Route path=path!("/") view=TablesPage ssr=SsrMode::Async />
                </Routes>
            </Router>
        </div>
    }
}
