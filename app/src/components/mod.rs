//! Small building blocks shared by the pages.

use crate::error::AppError;
use leptos::prelude::*;

pub mod chart;
pub mod forms;
pub mod list_page;

/// An error line that screen readers announce.
#[component]
pub fn ErrorNotice(#[prop(into)] error: Signal<Option<String>>) -> impl IntoView {
    view! {
        <div class="error-slot" role="alert" aria-live="assertive">
            {move || error.get().map(|e| view! { <p class="error">{e}</p> })}
        </div>
    }
}

/// A success line (polite live region).
#[component]
pub fn SuccessNotice(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    view! {
        <div class="status-slot" role="status" aria-live="polite">
            {move || message.get().map(|m| view! { <p class="success">{m}</p> })}
        </div>
    }
}

/// The error message of an action's latest result.
pub fn action_error<O, S>(value: S) -> Signal<Option<String>>
where
    O: Send + Sync + 'static,
    S: With<Value = Option<Result<O, AppError>>> + Send + Sync + 'static,
{
    Signal::derive(move || value.with(|v| v.as_ref().and_then(|r| r.as_ref().err()).map(|e| e.message.clone())))
}

/// A form's error line: the form's own check (`local`, set before sending) or else the server's
/// answer. Returns `(local, shown)`.
pub fn form_error<O, S>(result: S) -> (RwSignal<Option<String>>, Signal<Option<String>>)
where
    O: Send + Sync + 'static,
    S: With<Value = Option<Result<O, AppError>>> + Send + Sync + 'static,
{
    let local = RwSignal::new(None::<String>);
    let server = action_error(result);
    (local, Signal::derive(move || local.get().or_else(|| server.get())))
}

/// True once the action's latest run succeeded.
pub fn action_ok<O, S>(value: S) -> Signal<bool>
where
    O: Send + Sync + 'static,
    S: With<Value = Option<Result<O, AppError>>> + Send + Sync + 'static,
{
    Signal::derive(move || value.with(|v| matches!(v, Some(Ok(_)))))
}

/// A labelled text-like input bound to a signal.
#[component]
pub fn TextField(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    value: RwSignal<String>,
    #[prop(into, default = "text".to_string())] kind: String,
    #[prop(into, optional)] hint: Option<String>,
    #[prop(into, optional)] autocomplete: Option<String>,
    #[prop(optional)] required: bool,
    #[prop(into, optional)] placeholder: Option<String>,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    let described = hint.as_ref().map(|_| hint_id.clone());
    // A password field has no name: a form submitted before the page is interactive (scripts
    // still loading) then cannot put the password into a URL, a log or the browser history.
    let name = (kind != "password").then(|| id.clone());
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input
                id=id.clone()
                name=name
                type=kind
                required=required
                autocomplete=autocomplete
                placeholder=placeholder
                aria-describedby=described
                bind:value=value
            />
            {hint.map(|h| view! { <small id=hint_id class="hint">{h}</small> })}
        </div>
    }
}

/// A labelled checkbox bound to a signal.
#[component]
pub fn CheckField(#[prop(into)] id: String, #[prop(into)] label: String, value: RwSignal<bool>) -> impl IntoView {
    view! {
        <div class="field check">
            <input id=id.clone() name=id.clone() type="checkbox" bind:checked=value/>
            <label for=id>{label}</label>
        </div>
    }
}

/// A labelled select bound to a signal; options are (value, label).
#[component]
pub fn SelectField(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    value: RwSignal<String>,
    options: Vec<(&'static str, &'static str)>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <select id=id.clone() name=id on:change=move |ev| value.set(event_target_value(&ev)) prop:value=move || value.get()>
                {options
                    .into_iter()
                    .map(|(v, l)| view! { <option value=v selected=move || value.get() == v>{l}</option> })
                    .collect_view()}
            </select>
        </div>
    }
}

/// A write-only secret: the stored value is never shown; the person can see whether one is set,
/// type a replacement, or clear it.
#[component]
pub fn SecretField(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    /// Whether a value is stored now.
    #[prop(into)]
    is_set: Signal<bool>,
    /// The replacement typed by the person ("" = keep).
    value: RwSignal<String>,
    /// Set when the person asks to remove the stored value.
    clear: RwSignal<bool>,
) -> impl IntoView {
    let clear_id = format!("{id}-clear");
    let hint_id = format!("{id}-state");
    view! {
        <div class="field secret">
            <label for=id.clone()>{label}</label>
            <input
                id=id.clone()
                type="password"
                autocomplete="new-password"
                aria-describedby=hint_id.clone()
                placeholder=move || if is_set.get() { "•••••••• (stored — type to replace)" } else { "not set" }
                bind:value=value
                prop:disabled=move || clear.get()
            />
            <small id=hint_id class="hint">
                {move || if is_set.get() { "A value is stored. It is never shown again." } else { "No value stored." }}
            </small>
            <Show when=move || is_set.get()>
                <span class="check">
                    <input id=clear_id.clone() type="checkbox" bind:checked=clear/>
                    <label for=clear_id.clone()>"Remove the stored value"</label>
                </span>
            </Show>
        </div>
    }
}

pub use crate::model::human_bytes;
