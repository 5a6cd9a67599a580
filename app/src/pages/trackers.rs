//! (stub — to be written)

use leptos::prelude::*;

#[component]
pub fn TrackersPage() -> impl IntoView {
    view! { <h1>"Trackers"</h1> }
}
