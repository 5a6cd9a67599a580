//! (stub — to be written)

use leptos::prelude::*;

#[component]
pub fn NotificationsPage() -> impl IntoView {
    view! { <h1>"Notifications"</h1> }
}
