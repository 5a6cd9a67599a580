//! (stub — to be written)

use leptos::prelude::*;

#[component]
pub fn BackupsPage() -> impl IntoView {
    view! { <h1>"Backups"</h1> }
}
