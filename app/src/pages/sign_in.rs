//! The sign-in page: a plain HTML form, so it works before and without the WASM.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::{Alert, CARD, INPUT, LABEL, PRIMARY_BUTTON};

#[component]
pub fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || {
        query
            .read()
            .get("next")
            .unwrap_or_else(|| "/ui/tables".into())
    };
    let failed = move || query.read().get("failed");

    view! {
        <Title text="Sign in" />
        <main id="main" class="mx-auto w-full max-w-sm flex-1 px-4 py-16">
            <h1 class="text-2xl font-semibold tracking-tight">"Sign in to Lakeport"</h1>
            {move || failed().map(|why| if why == "throttled" {
                view! { <Alert title="Too many sign-in attempts." message="Wait a minute, then try again." /> }
            } else {
                view! { <Alert title="Sign-in failed." message="Wrong username or password." /> }
            })}
            <form method="post" action="/auth/sign-in" class=format!("mt-6 space-y-4 p-6 {CARD}")>
                <input type="hidden" name="next" prop:value=next />
                <div>
                    <label for="username" class=LABEL>"Username"</label>
                    <input
                        id="username"
                        name="username"
                        type="text"
                        autocomplete="username"
                        required
                        autofocus
                        class=format!("mt-1 {INPUT}")
                    />
                </div>
                <div>
                    <label for="password" class=LABEL>"Password"</label>
                    <input
                        id="password"
                        name="password"
                        type="password"
                        autocomplete="current-password"
                        required
                        class=format!("mt-1 {INPUT}")
                    />
                </div>
                <button type="submit" class=format!("w-full {PRIMARY_BUTTON}")>"Sign in"</button>
            </form>
            <p class="mt-4 text-xs text-slate-500 dark:text-slate-400">
                "First run? The first user is "
                <code>"admin"</code>
                "; its password is in "
                <code>"initial-admin-password"</code>
                " in Lakeport's data folder unless one was configured."
            </p>
        </main>
    }
}
