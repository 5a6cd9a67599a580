//! (stub — to be written)

use leptos::prelude::*;

#[component]
pub fn GeneralSettingsPage() -> impl IntoView {
    view! { <h1>"General"</h1> }
}
