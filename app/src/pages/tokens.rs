//! API tokens for scripts: create one (its secret shown once, optionally expiring), see and revoke the live ones; and changing your password.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::client::{self, ApiFailure};
use crate::components::{
    Alert, CARD, DANGER_BUTTON, INPUT, LABEL, MAIN, MUTED, PRIMARY_BUTTON, PageHeader, TH,
    none_cell, time_cell,
};
use lakeport_wire::auth::{
    CreatedToken, NewTokenRequest, PasswordChange, PasswordChanged, TokenInfo, TokenList,
};
use lakeport_wire::connections::Removed;

#[component]
pub fn TokensPage() -> impl IntoView {
    let tokens = Resource::new(|| (), |_| client::get::<TokenList>("/auth/tokens"));
    let (name, set_name) = signal(String::new());
    let (days, set_days) = signal(String::new());
    let (created, set_created) = signal(None::<CreatedToken>);
    let (error, set_error) = signal(None::<ApiFailure>);

    let create = Action::new_local(move |(name, days): &(String, String)| {
        let body = NewTokenRequest {
            name: name.clone(),
            expires_in_days: days.trim().parse::<i64>().ok(),
            expires_at: None,
        };
        async move { client::post::<CreatedToken>("/auth/tokens", &body).await }
    });
    Effect::new(move |_| {
        if let Some(result) = create.value().get() {
            match result {
                Ok(token) => {
                    set_created.set(Some(token));
                    set_error.set(None);
                    set_name.set(String::new());
                    set_days.set(String::new());
                    tokens.refetch();
                }
                Err(err) => set_error.set(Some(err)),
            }
        }
    });

    view! {
        <Title text="API tokens" />
        <main id="main" class=MAIN>
            <PageHeader title="API tokens" />
            <p class=format!("mt-2 max-w-3xl text-sm {MUTED}")>
                "Scripts call the REST API with "
                <code class="font-mono">"Authorization: Bearer <token>"</code>
                ". A token acts as you; revoke it when the script no longer needs it."
            </p>
            <form
                class=format!("mt-6 flex flex-wrap items-end gap-3 p-4 {CARD}")
                on:submit=move |ev| {
                    ev.prevent_default();
                    create.dispatch((name.get_untracked(), days.get_untracked()));
                }
            >
                <div class="min-w-60 flex-1">
                    <label for="token-name" class=LABEL>"Token name"</label>
                    <input
                        id="token-name"
                        type="text"
                        required
                        placeholder="e.g. nightly-onboarding"
                        aria-invalid=move || error.get().is_some().then_some("true")
                        aria-describedby="token-name-error"
                        class=format!("mt-1 {INPUT}")
                        prop:value=name
                        on:input=move |ev| set_name.set(event_target_value(&ev))
                    />
                    <p id="token-name-error" class="mt-1 text-sm text-red-700 dark:text-red-400">
                        {move || error.get().map(|e| e.message)}
                    </p>
                </div>
                <div class="w-40">
                    <label for="token-days" class=LABEL>"Expires in days"</label>
                    <input
                        id="token-days"
                        type="number"
                        min="1"
                        max="3650"
                        placeholder="never"
                        class=format!("mt-1 {INPUT}")
                        prop:value=days
                        on:input=move |ev| set_days.set(event_target_value(&ev))
                    />
                </div>
                <button
                    type="submit"
                    class=PRIMARY_BUTTON
                    aria-busy=move || create.pending().get().then_some("true")
                >
                    "Create token"
                </button>
            </form>
            {move || created.get().map(|token| view! {
                <section
                    role="status"
                    class="mt-4 rounded-lg border border-green-200 bg-green-50 p-4 text-sm text-green-900 dark:border-green-900 dark:bg-green-950 dark:text-green-100"
                >
                    <p class="font-medium">
                        "Token “" {token.info.name} "” created. Copy it now: it is not shown again."
                    </p>
                    <label for="new-token" class="sr-only">"New token"</label>
                    <input
                        id="new-token"
                        data-testid="new-token"
                        readonly
                        class=format!("mt-2 font-mono {INPUT}")
                        prop:value=token.token
                    />
                </section>
            })}
            <Transition fallback=|| view! { <p class=format!("mt-6 text-sm {MUTED}")>"Loading tokens…"</p> }>
                {move || Suspend::new(async move {
                    match tokens.await {
                        Ok(list) => view! { <TokenTable tokens=list.tokens on_revoked=move || tokens.refetch() /> }.into_any(),
                        Err(err) => view! { <Alert title="Could not load tokens." message=err.message /> }.into_any(),
                    }
                })}
            </Transition>
            <ChangePassword />
        </main>
    }
}

/// Your own password; the warning says what else it ends.
#[component]
fn ChangePassword() -> impl IntoView {
    let (current, set_current) = signal(String::new());
    let (new, set_new) = signal(String::new());
    let (outcome, set_outcome) = signal(None::<Result<String, String>>);
    let change = Action::new_local(move |(current, new): &(String, String)| {
        let body = PasswordChange {
            current_password: current.clone(),
            new_password: new.clone(),
        };
        async move { client::post::<PasswordChanged>("/auth/password", &body).await }
    });
    Effect::new(move |_| match change.value().get() {
        Some(Ok(_)) => {
            set_current.set(String::new());
            set_new.set(String::new());
            set_outcome.set(Some(Ok(
                "Password changed. Your other sessions have ended and your API tokens are revoked."
                    .into(),
            )));
        }
        Some(Err(err)) => set_outcome.set(Some(Err(err.message))),
        None => {}
    });
    view! {
        <section class=format!("mt-10 max-w-xl p-4 {CARD}") aria-labelledby="password-heading">
            <h2 id="password-heading" class="text-lg font-semibold">"Change your password"</h2>
            <p class=format!("mt-1 text-sm {MUTED}")>
                "This signs you out everywhere else and revokes all of your API tokens: scripts using them stop working until you create new ones."
            </p>
            <form
                class="mt-4 space-y-3"
                on:submit=move |ev| {
                    ev.prevent_default();
                    change.dispatch((current.get_untracked(), new.get_untracked()));
                }
            >
                <div>
                    <label for="current-password" class=LABEL>"Current password"</label>
                    <input id="current-password" type="password" required autocomplete="current-password"
                        class=format!("mt-1 {INPUT}") prop:value=current
                        on:input=move |ev| set_current.set(event_target_value(&ev)) />
                </div>
                <div>
                    <label for="new-password" class=LABEL>"New password (at least 12 characters)"</label>
                    <input id="new-password" type="password" required minlength="12" autocomplete="new-password"
                        class=format!("mt-1 {INPUT}") prop:value=new
                        on:input=move |ev| set_new.set(event_target_value(&ev)) />
                </div>
                <button type="submit" class=PRIMARY_BUTTON
                    aria-busy=move || change.pending().get().then_some("true")>
                    "Change password"
                </button>
                {move || outcome.get().map(|o| match o {
                    Ok(text) => view! { <p role="status" class="text-sm text-green-800 dark:text-green-300">{text}</p> }.into_any(),
                    Err(text) => view! { <p role="alert" class="text-sm text-red-700 dark:text-red-400">{text}</p> }.into_any(),
                })}
            </form>
        </section>
    }
}

#[component]
fn TokenTable(
    tokens: Vec<TokenInfo>,
    on_revoked: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    if tokens.is_empty() {
        return view! { <p class=format!("mt-6 text-sm {MUTED}")>"You have no live tokens."</p> }
            .into_any();
    }
    view! {
        <div tabindex="0" role="region" aria-label="Tokens" class=format!("mt-6 overflow-x-auto {CARD}")>
            <table class="min-w-full divide-y divide-slate-200 text-sm dark:divide-slate-800">
                <caption class="sr-only">"Your live API tokens"</caption>
                <thead class="bg-slate-50 dark:bg-slate-800/50">
                    <tr>
                        <th scope="col" class=TH>"Name"</th>
                        <th scope="col" class=TH>"Starts with"</th>
                        <th scope="col" class=TH>"Created (UTC)"</th>
                        <th scope="col" class=TH>"Last used (UTC)"</th>
                        <th scope="col" class=TH>"Expires (UTC)"</th>
                        <th scope="col" class=TH><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody class="divide-y divide-slate-200 dark:divide-slate-800">
                    {tokens.into_iter().map(|token| {
                        let on_revoked = on_revoked.clone();
                        view! { <TokenRow token on_revoked /> }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn TokenRow(
    token: TokenInfo,
    on_revoked: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let (error, set_error) = signal(None::<String>);
    let id = token.id.clone();
    let name = token.name.clone();
    let revoke = Action::new_local(move |_: &()| {
        let path = format!("/auth/tokens/{}", client::encode_component(&id));
        async move { client::delete::<Removed>(&path).await }
    });
    Effect::new(move |_| match revoke.value().get() {
        Some(Ok(_)) => on_revoked(),
        Some(Err(err)) => set_error.set(Some(err.message)),
        None => {}
    });
    let label = format!("Revoke token {name}");
    let td = "px-3 py-2 whitespace-nowrap";
    let key = token.name.clone();
    view! {
        <tr data-token=key>
            <td class=format!("{td} font-medium")>{token.name}</td>
            <td class=format!("{td} font-mono text-xs")>{token.prefix} "…"</td>
            <td class=td>{time_cell(Some(token.created_at), "unknown")}</td>
            <td class=td>{token.last_used_at.map_or_else(|| none_cell("never used"), |t| time_cell(Some(t), "never"))}</td>
            <td class=td>
                {token.expires_at.map_or_else(|| none_cell("never expires"), |t| time_cell(Some(t), "never"))}
                {token.expired.then(|| view! { <span class="ml-2 text-xs font-medium text-red-700 dark:text-red-400">"expired"</span> })}
            </td>
            <td class=format!("{td} text-right")>
                <button
                    type="button"
                    class=DANGER_BUTTON
                    aria-label=label
                    on:click=move |_| {
                        let confirmed = crate::components::confirm(&format!("Revoke the token “{name}”? Scripts using it stop working at once."));
                        if confirmed {
                            revoke.dispatch(());
                        }
                    }
                >
                    "Revoke"
                </button>
                {move || error.get().map(|e| view! { <p role="alert" class="mt-1 text-xs text-red-700 dark:text-red-400">{e}</p> })}
            </td>
        </tr>
    }
}
