//! (stub — to be written)

use leptos::prelude::*;

#[component]
pub fn TagGroupsPage() -> impl IntoView {
    view! { <h1>"Tag groups"</h1> }
}
