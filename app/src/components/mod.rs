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

/// An error about a form: the field it is about (None: the form as a whole) and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormError {
    pub field: Option<String>,
    pub message: String,
}

impl FormError {
    /// About the form as a whole.
    pub fn general(message: impl Into<String>) -> Self {
        FormError { field: None, message: message.into() }
    }

    pub fn at(field: &str, message: impl Into<String>) -> Self {
        FormError { field: Some(field.to_string()), message: message.into() }
    }
}

impl From<AppError> for FormError {
    fn from(e: AppError) -> Self {
        FormError { field: e.field, message: e.message }
    }
}

impl From<crate::validate::Invalid> for FormError {
    fn from(e: crate::validate::Invalid) -> Self {
        FormError { field: Some(e.field), message: e.message }
    }
}

/// The message of `error` when it is about `field` (shown next to that field).
pub fn error_at(error: Signal<Option<FormError>>, field: &'static str) -> Signal<Option<String>> {
    Signal::derive(move || error.with(|e| e.as_ref().filter(|e| e.field.as_deref() == Some(field)).map(|e| e.message.clone())))
}

/// The message of `error` when it is about none of `fields` (shown once, for the whole form):
/// with `error_at` for each field, every message shows in exactly one place.
pub fn error_elsewhere(error: Signal<Option<FormError>>, fields: &'static [&'static str]) -> Signal<Option<String>> {
    Signal::derive(move || error.with(|e| e.as_ref().filter(|e| !e.field.as_deref().is_some_and(|f| fields.contains(&f))).map(|e| e.message.clone())))
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

/// Ids for `aria-describedby`: the error first (when there is one), then the hints.
fn described_by(error: Signal<Option<String>>, error_id: String, hints: Vec<String>) -> impl Fn() -> Option<String> + Clone + Send + Sync + 'static {
    move || {
        let mut ids = Vec::new();
        if error.with(Option::is_some) {
            ids.push(error_id.clone());
        }
        ids.extend(hints.iter().cloned());
        (!ids.is_empty()).then(|| ids.join(" "))
    }
}

/// The message of a field's error, under the field; `id` is what the input's
/// `aria-describedby` points to.
#[component]
pub fn FieldError(#[prop(into)] id: String, error: Signal<Option<String>>) -> impl IntoView {
    move || error.get().map(|m| view! { <p id=id.clone() class="error field-error" role="alert">{m}</p> })
}

/// A "Show" button that turns a password input into plain text while pressed.
#[component]
fn RevealButton(#[prop(into)] controls: String, shown: RwSignal<bool>) -> impl IntoView {
    view! {
        <button class="btn btn-small reveal" type="button" aria-controls=controls aria-label="Show the password"
            aria-pressed=move || shown.get().to_string() on:click=move |_| shown.update(|s| *s = !*s)>
            "Show"
        </button>
    }
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
    /// An error about this field: shown under it; the input is then marked invalid and points to it.
    #[prop(into, optional)]
    error: Option<Signal<Option<String>>>,
    /// A password field gets a "Show" button that displays what was typed.
    #[prop(optional)]
    reveal: bool,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let error = error.unwrap_or_else(|| Signal::stored(None));
    let described = described_by(error, error_id.clone(), hint.as_ref().map(|_| hint_id.clone()).into_iter().collect());
    let is_password = kind == "password";
    // A password field has no name: a form submitted before the page is interactive (scripts
    // still loading) then cannot put the password into a URL, a log or the browser history.
    let name = (!is_password).then(|| id.clone());
    let shown = RwSignal::new(false);
    let input_type = move || if is_password && shown.get() { "text".to_string() } else { kind.clone() };
    let input = view! {
        <input
            id=id.clone()
            name=name
            type=input_type
            required=required
            autocomplete=autocomplete
            placeholder=placeholder
            aria-describedby=described
            aria-invalid=move || error.with(Option::is_some).then_some("true")
            // The attribute carries the value in the server-rendered page (before the scripts
            // run); the property binding keeps it in step afterwards. Never for a password.
            value=move || (!is_password).then(|| value.get())
            bind:value=value
        />
    };
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            {if reveal && is_password {
                view! { <div class="with-button">{input}<RevealButton controls=id.clone() shown/></div> }.into_any()
            } else {
                input.into_any()
            }}
            <FieldError id=error_id error/>
            {hint.map(|h| view! { <small id=hint_id class="hint">{h}</small> })}
        </div>
    }
}

/// A labelled checkbox bound to a signal.
#[component]
pub fn CheckField(#[prop(into)] id: String, #[prop(into)] label: String, value: RwSignal<bool>) -> impl IntoView {
    view! {
        <div class="field check">
            // `checked` for the server-rendered page, the binding once the scripts run.
            <input id=id.clone() name=id.clone() type="checkbox" checked=move || value.get() bind:checked=value/>
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
    /// Said before any error (e.g. the minimum length).
    #[prop(into, optional)]
    hint: Option<String>,
    /// An error about this field (see `TextField`).
    #[prop(into, optional)]
    error: Option<Signal<Option<String>>>,
    /// A "Show" button that displays what was typed.
    #[prop(optional)]
    reveal: bool,
) -> impl IntoView {
    let clear_id = format!("{id}-clear");
    let state_id = format!("{id}-state");
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let error = error.unwrap_or_else(|| Signal::stored(None));
    let mut hints = vec![state_id.clone()];
    if hint.is_some() {
        hints.push(hint_id.clone());
    }
    let described = described_by(error, error_id.clone(), hints);
    let shown = RwSignal::new(false);
    let input = view! {
        <input
            id=id.clone()
            type=move || if shown.get() { "text" } else { "password" }
            autocomplete="new-password"
            aria-describedby=described
            aria-invalid=move || error.with(Option::is_some).then_some("true")
            placeholder=move || if is_set.get() { "•••••••• (stored — type to replace)" } else { "not set" }
            bind:value=value
            prop:disabled=move || clear.get()
        />
    };
    view! {
        <div class="field secret">
            <label for=id.clone()>{label}</label>
            {if reveal {
                view! { <div class="with-button">{input}<RevealButton controls=id.clone() shown/></div> }.into_any()
            } else {
                input.into_any()
            }}
            <FieldError id=error_id error/>
            <small id=state_id class="hint">
                {move || if is_set.get() { "A value is stored. It is never shown again." } else { "No value stored." }}
            </small>
            {hint.map(|h| view! { <small id=hint_id class="hint">{h}</small> })}
            <Show when=move || is_set.get()>
                <span class="check">
                    <input id=clear_id.clone() type="checkbox" checked=move || clear.get() bind:checked=clear/>
                    <label for=clear_id.clone()>"Remove the stored value"</label>
                </span>
            </Show>
        </div>
    }
}

/// The mark of an encrypted backup: an inline SVG padlock (no emoji font needed) with a label.
#[component]
pub fn LockMark() -> impl IntoView {
    view! {
        <svg class="lock-mark" role="img" aria-label="Encrypted (.ttbak)" viewBox="0 0 16 16" width="14" height="14" focusable="false">
            <title>"Encrypted (.ttbak)"</title>
            <path d="M5 7V5a3 3 0 0 1 6 0v2" fill="none" stroke="currentColor" stroke-width="1.6"/>
            <rect x="3" y="7" width="10" height="8" rx="1.5" fill="currentColor"/>
        </svg>
    }
}

pub use crate::model::human_bytes;
