//! Small helpers for the configuration pages: a two-step delete button, timestamps, optional
//! numbers typed in forms.

use crate::validate::{self, Checked};
use chrono::{DateTime, Utc};
use leptos::prelude::*;

/// A "Delete" button that asks for confirmation in place before calling `on_confirm`.
#[component]
pub fn ConfirmDelete(
    /// What is deleted, for the question and the button's accessible name ("Seedbox").
    #[prop(into)]
    what: String,
    /// What else goes with it, shown in the question.
    #[prop(into, optional)]
    detail: Option<String>,
    on_confirm: Callback<()>,
) -> impl IntoView {
    let asking = RwSignal::new(false);
    let label = format!("Delete {what}");
    let question = format!("Delete {what}?");
    view! {
        {move || if asking.get() {
            view! {
                <span class="confirm" role="group" aria-label=question.clone()>
                    <span>{question.clone()} " " {detail.clone().map(|d| view! { <small class="hint">{d}</small> })}</span>
                    <button class="btn btn-small btn-danger" type="button" on:click=move |_| { asking.set(false); on_confirm.run(()); }>"Yes, delete"</button>
                    <button class="btn btn-small" type="button" on:click=move |_| asking.set(false)>"Cancel"</button>
                </span>
            }.into_any()
        } else {
            view! { <button class="btn btn-small" type="button" aria-label=label.clone() on:click=move |_| asking.set(true)>"Delete"</button> }.into_any()
        }}
    }
}

/// A stored time for people: "2026-02-01 10:00 UTC".
pub fn format_time(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A whole number typed in a form field; empty means none.
pub fn parse_optional_int(field: &str, label: &str, value: &str) -> Checked<Option<i64>> {
    if value.trim().is_empty() {
        Ok(None)
    } else {
        validate::parse_int(field, label, value).map(Some)
    }
}

/// Text typed in a form field; empty means none.
pub fn optional(value: String) -> Option<String> {
    Some(value).filter(|v| !v.trim().is_empty())
}
