//! Pieces every page uses: the navigation bar, status badges, times, alerts and button styles.

mod nav;

pub use nav::NavBar;

use leptos::prelude::*;

use crate::format;

/// Classes of the one primary action on a screen.
pub const PRIMARY_BUTTON: &str = "inline-flex items-center justify-center gap-2 rounded-md bg-sky-700 px-3 py-2 text-sm font-semibold text-white shadow-sm hover:bg-sky-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-sky-600 disabled:cursor-not-allowed disabled:opacity-50 aria-busy:opacity-70";
/// Classes of other buttons.
pub const SECONDARY_BUTTON: &str = "inline-flex items-center justify-center gap-2 rounded-md bg-white px-3 py-2 text-sm font-medium text-slate-700 shadow-sm ring-1 ring-slate-300 ring-inset hover:bg-slate-50 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-sky-600 disabled:cursor-not-allowed disabled:opacity-50 aria-busy:opacity-70 dark:bg-slate-800 dark:text-slate-200 dark:ring-slate-700 dark:hover:bg-slate-700";
/// Classes of buttons that stop or remove something.
pub const DANGER_BUTTON: &str = "inline-flex items-center justify-center gap-2 rounded-md bg-white px-3 py-2 text-sm font-medium text-red-700 shadow-sm ring-1 ring-red-300 ring-inset hover:bg-red-50 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-red-600 disabled:cursor-not-allowed disabled:opacity-50 dark:bg-slate-800 dark:text-red-300 dark:ring-red-800 dark:hover:bg-slate-700";
/// Classes of text inputs and selects.
pub const INPUT: &str = "block w-full rounded-md border-0 bg-white px-3 py-1.5 text-sm text-slate-900 shadow-sm ring-1 ring-slate-300 ring-inset placeholder:text-slate-400 focus:ring-2 focus:ring-sky-600 focus:outline-none aria-invalid:ring-red-500 dark:bg-slate-900 dark:text-slate-100 dark:ring-slate-700";
pub const LABEL: &str = "block text-sm font-medium text-slate-800 dark:text-slate-200";
pub const MAIN: &str = "mx-auto w-full min-w-0 max-w-7xl flex-1 px-4 py-6 sm:px-6 lg:px-8";
pub const CARD: &str =
    "rounded-lg border border-slate-200 bg-white shadow-sm dark:border-slate-800 dark:bg-slate-900";
/// Classes of a column header cell, and of one over numbers.
pub const TH: &str = "px-3 py-2 text-left text-xs font-semibold tracking-wide whitespace-nowrap text-slate-600 uppercase dark:text-slate-400";
pub const TH_NUM: &str = "px-3 py-2 text-right text-xs font-semibold tracking-wide whitespace-nowrap text-slate-600 uppercase dark:text-slate-400";
pub const MUTED: &str = "text-slate-500 dark:text-slate-400";
/// Classes of an empty or "not applicable" table cell.
pub const NONE_CELL: &str = "text-slate-400 dark:text-slate-500";

#[component]
pub fn StatusBadge(status: String) -> impl IntoView {
    let (label, colours) = match status.as_str() {
        "IDLE" => (
            "Idle",
            "bg-slate-100 text-slate-700 ring-slate-500/20 dark:bg-slate-800 dark:text-slate-300 dark:ring-slate-400/20",
        ),
        "RUNNING" => (
            "Running",
            "bg-sky-50 text-sky-700 ring-sky-600/20 dark:bg-sky-950 dark:text-sky-300 dark:ring-sky-400/30",
        ),
        // An export's segment being written, and one waiting for its Iceberg batch commit.
        "IN_PROGRESS" => (
            "In progress",
            "bg-sky-50 text-sky-700 ring-sky-600/20 dark:bg-sky-950 dark:text-sky-300 dark:ring-sky-400/30",
        ),
        "STAGED" => (
            "Staged",
            "bg-violet-50 text-violet-700 ring-violet-600/20 dark:bg-violet-950 dark:text-violet-300 dark:ring-violet-400/30",
        ),
        "COMPLETED" => (
            "Completed",
            "bg-green-50 text-green-700 ring-green-600/20 dark:bg-green-950 dark:text-green-300 dark:ring-green-400/30",
        ),
        "FAILED" => (
            "Failed",
            "bg-red-50 text-red-700 ring-red-600/20 dark:bg-red-950 dark:text-red-300 dark:ring-red-400/30",
        ),
        "PAUSED" => (
            "Paused",
            "bg-amber-50 text-amber-800 ring-amber-600/30 dark:bg-amber-950 dark:text-amber-300 dark:ring-amber-400/30",
        ),
        // A state this build does not know yet: show it as the server spells it.
        _ => (
            status.as_str(),
            "bg-slate-100 text-slate-700 ring-slate-500/20 dark:bg-slate-800 dark:text-slate-300 dark:ring-slate-400/20",
        ),
    };
    let class = format!(
        "inline-flex items-center rounded-full px-2 py-0.5 text-xs font-medium whitespace-nowrap ring-1 ring-inset {colours}"
    );
    let label = label.to_owned();
    view! { <span data-status=status class=class>{label}</span> }
}

/// A `<time>` in UTC minutes with the full instant on hover, or a dash.
pub fn time_cell(ms: Option<i64>, missing: &'static str) -> AnyView {
    match ms {
        Some(ms) => view! {
            <time datetime=format::utc_iso(ms) title=format::utc_datetime(ms) class="tabular-nums">
                {format::utc_minutes(ms)}
            </time>
        }
        .into_any(),
        None => none_cell(missing),
    }
}

/// A dash for an empty cell, with its meaning spelled out for screen readers,
/// which would otherwise announce a bare dash.
pub fn none_cell(meaning: &'static str) -> AnyView {
    view! { <span class=NONE_CELL aria-label=meaning title=meaning>"—"</span> }.into_any()
}

/// An error box, announced by screen readers when it appears.
#[component]
pub fn Alert(#[prop(into)] title: String, #[prop(into)] message: String) -> impl IntoView {
    view! {
        <div
            role="alert"
            class="mt-4 rounded-lg border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800 dark:border-red-900 dark:bg-red-950 dark:text-red-200"
        >
            <p class="font-medium">{title}</p>
            <p class="mt-1 break-words whitespace-pre-wrap">{message}</p>
        </div>
    }
}

/// A page's title row with its actions on the right.
#[component]
pub fn PageHeader(
    #[prop(into)] title: String,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="flex flex-wrap items-center justify-between gap-3">
            <h1 class="text-2xl font-semibold tracking-tight break-all">{title}</h1>
            <div class="flex flex-wrap items-center gap-2">{children.map(|c| c())}</div>
        </div>
    }
}

/// Calls `tick` every `ms` while the page is open in the browser; never on the
/// server, whose render is a snapshot.
pub fn use_polling(ms: u64, tick: impl Fn() + Clone + 'static) {
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    Effect::new(move |_| {
        let handle =
            set_interval_with_handle(tick.clone(), std::time::Duration::from_millis(ms)).ok();
        on_cleanup(move || {
            if let Some(handle) = handle {
                handle.clear();
            }
        });
    });
    #[cfg(not(all(feature = "hydrate", not(feature = "ssr"))))]
    let _ = (ms, tick);
}

/// Asks the person to confirm with the browser's own dialog (keyboard-accessible
/// everywhere); true on the server, where nothing is clicked.
pub fn confirm(question: &str) -> bool {
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        window().confirm_with_message(question).unwrap_or(false)
    }
    #[cfg(not(all(feature = "hydrate", not(feature = "ssr"))))]
    {
        let _ = question;
        true
    }
}
