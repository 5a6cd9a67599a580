//! (stub — to be written)

use leptos::prelude::*;

#[component]
pub fn TrackerDetailPage() -> impl IntoView {
    view! { <h1>"Tracker"</h1> }
}
