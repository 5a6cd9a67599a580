//! (stub — to be written)

use leptos::prelude::*;

#[component]
pub fn ClientsPage() -> impl IntoView {
    view! { <h1>"Download clients"</h1> }
}
