//! What the list pages (trackers, download clients, tag groups, notification targets) share:
//! which item the form is open for, the success line, reloading the list after a save, and the
//! loading / empty / error states of the list itself.

use super::ErrorNotice;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{de::DeserializeOwned, Serialize};

/// The state of one list page. `V` is what the form edits.
pub struct ListPage<V: Send + Sync + 'static> {
    /// Bumped after a save so the list is fetched again.
    pub reload: RwSignal<u32>,
    /// `None`: no form open; `Some(None)`: adding; `Some(Some(v))`: editing `v`.
    pub editing: RwSignal<Option<Option<V>>>,
    /// The latest success message ("Saved “Seedbox”.").
    pub flash: RwSignal<Option<String>>,
}

// Manual impls: derive would require `V: Copy`, but only the signals are copied.
impl<V: Send + Sync + 'static> Clone for ListPage<V> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<V: Send + Sync + 'static> Copy for ListPage<V> {}

impl<V: Clone + Send + Sync + 'static> ListPage<V> {
    #[allow(clippy::new_without_default)] // created inside a component, with its reactive owner
    pub fn new() -> Self {
        Self { reload: RwSignal::new(0), editing: RwSignal::new(None), flash: RwSignal::new(None) }
    }

    /// Opens the form, empty (`None`) or to edit an item, and clears the last message.
    pub fn open(self, item: Option<V>) {
        self.flash.set(None);
        self.editing.set(Some(item));
    }

    /// What a form calls after a successful save: close it, say so, fetch the list again.
    pub fn on_saved<S: Clone + Send + Sync + 'static>(self, name: fn(&S) -> String) -> Callback<S> {
        Callback::new(move |saved: S| {
            self.flash.set(Some(format!("Saved “{}”.", name(&saved))));
            self.editing.set(None);
            self.reload.update(|n| *n += 1);
        })
    }

    pub fn on_cancel(self) -> Callback<()> {
        Callback::new(move |()| self.editing.set(None))
    }

    /// Shows `message` each time a delete succeeds; returns the delete's error line.
    pub fn on_deleted<S>(self, result: S, message: &'static str) -> Signal<Option<String>>
    where
        S: With<Value = Option<Result<(), AppError>>> + Copy + Send + Sync + 'static,
    {
        Effect::new(move |_| {
            if result.with(|r| matches!(r, Some(Ok(())))) {
                self.flash.set(Some(message.into()));
            }
        });
        super::action_error(result)
    }
}

/// The "Add …" button, or the form in its place while one is open.
#[component]
pub fn AddOrEdit<V, F, IV>(page: ListPage<V>, add_label: &'static str, form: F) -> impl IntoView
where
    V: Clone + Send + Sync + 'static,
    F: Fn(Option<V>) -> IV + Send + Sync + 'static,
    IV: IntoView + 'static,
{
    move || match page.editing.get() {
        None => view! {
            <div class="actions">
                <button class="btn btn-primary" type="button" on:click=move |_| page.open(None)>{add_label}</button>
            </div>
        }
        .into_any(),
        Some(item) => form(item).into_any(),
    }
}

/// The card around an add/edit form: title, the fields, the error line, Save and Cancel.
#[component]
pub fn EditCard<F>(
    /// Prefix of the element ids ("client" → "client-form-title").
    id: &'static str,
    #[prop(into)] title: String,
    on_submit: F,
    #[prop(into)] pending: Signal<bool>,
    save_label: &'static str,
    on_cancel: Callback<()>,
    error: Signal<Option<String>>,
    children: Children,
) -> impl IntoView
where
    F: Fn(leptos::ev::SubmitEvent) + 'static,
{
    let title_id = format!("{id}-form-title");
    let labelled_by = title_id.clone();
    view! {
        <section class="card" aria-labelledby=labelled_by>
            <h2 id=title_id>{title}</h2>
            <form on:submit=on_submit novalidate>
                {children()}
                <ErrorNotice error/>
                <div class="actions">
                    <button class="btn btn-primary" type="submit" disabled=move || pending.get()>{save_label}</button>
                    <button class="btn" type="button" on:click=move |_| on_cancel.run(())>"Cancel"</button>
                </div>
            </form>
        </section>
    }
}

/// A fetched list: "Loading…", then the `empty` line, the list, or the error.
#[component]
pub fn ListLoader<T, F, IV>(list: Resource<Result<Vec<T>, AppError>>, empty: &'static str, show: F) -> impl IntoView
where
    T: Clone + Serialize + DeserializeOwned + Send + Sync + 'static,
    F: Fn(Vec<T>) -> IV + Copy + Send + Sync + 'static,
    IV: IntoView + 'static,
{
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(items) if items.is_empty() => view! { <p class="card">{empty}</p> }.into_any(),
                    Ok(items) => show(items).into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}
