//! (stub — to be written)

use leptos::prelude::*;

#[component]
pub fn DashboardPage() -> impl IntoView {
    view! { <h1>"Dashboard"</h1> }
}
