//! The top bar: the product, the pages, who is signed in, and sign-out.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::session;

const LINKS: &[(&str, &str)] = &[
    ("/ui/tables", "Tables"),
    ("/ui/query", "Query"),
    ("/ui/connections", "Connections"),
    ("/ui/ailake", "AI Lake"),
    ("/ui/tokens", "API tokens"),
];

#[component]
pub fn NavBar() -> impl IntoView {
    let location = use_location();
    let session = session::current();
    let signed_in = session.is_some();

    view! {
        <header class="border-b border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
            <nav
                aria-label="Main"
                class="mx-auto flex max-w-7xl flex-wrap items-center gap-x-4 gap-y-2 px-4 py-3 sm:px-6 lg:px-8"
            >
                <a
                    href="/ui/tables"
                    class="flex items-center gap-2 text-lg font-semibold tracking-tight focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-sky-600"
                >
                    <img src="/favicon.svg" alt="" width="24" height="24" />
                    "Lakeport"
                </a>
                {signed_in.then(|| view! {
                    <ul class="flex flex-wrap items-center gap-1 text-sm">
                        {LINKS.iter().map(|(href, label)| {
                            let current = move || {
                                let path = location.pathname.get();
                                (path == *href || path.starts_with(&format!("{href}/"))).then_some("page")
                            };
                            view! {
                                <li>
                                    <a
                                        href=*href
                                        aria-current=current
                                        class="rounded-md px-2 py-1 text-slate-700 hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-sky-600 aria-[current=page]:bg-slate-100 aria-[current=page]:font-semibold dark:text-slate-300 dark:hover:bg-slate-800 dark:aria-[current=page]:bg-slate-800"
                                    >
                                        {*label}
                                    </a>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                })}
                {session.map(|s| view! {
                    // A plain form: signing out works before the WASM loads too.
                    <form method="post" action="/auth/sign-out" class="ml-auto flex items-center gap-2 text-sm">
                        <span class="text-slate-600 dark:text-slate-400">
                            "Signed in as " <strong class="font-medium text-slate-900 dark:text-slate-100">{s.username}</strong>
                        </span>
                        <button
                            type="submit"
                            class="rounded-md px-2 py-1 font-medium text-sky-700 hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-sky-600 dark:text-sky-400 dark:hover:bg-slate-800"
                        >
                            "Sign out"
                        </button>
                    </form>
                })}
            </nav>
        </header>
    }
}
