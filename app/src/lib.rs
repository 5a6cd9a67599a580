//! Tracker Tracker: the Leptos UI and the server functions.
//!
//! - `api`: the server functions (thin; bodies run on the server only).
//! - `pages`, `components`: the UI.
//! - `backup_format`, `model`, `validate`: re-exported from the shared core (`crates/core`).
//! - `domain` (feature "ssr"): re-exported from `crates/domain`, the logic and the store.

pub mod api;
pub mod browser;
pub mod components;
pub mod error;
pub mod pages;

// The shared core (crates/core) and the server-side domain (crates/domain), under the paths the
// UI and the server functions use.
pub use tt_core::{backup_format, model, rules, secret_purpose, validate};
#[cfg(feature = "ssr")]
pub use tt_domain as domain;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{ParentRoute, Route, Router, Routes},
    path, SsrMode,
};

/// The HTML document around the app (server side).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" type="image/png" href="/favicon.png"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Lets tests (and people debugging) see when the browser side has taken over.
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Stylesheet id="leptos" href="/pkg/tracker-tracker.css"/>
        <Title text="Tracker Tracker"/>
        <Router>
            <Routes fallback=|| view! { <main class="content"><h1>"Page not found"</h1><a href="/">"Back to the dashboard"</a></main> }>
                <Route path=path!("/setup") view=pages::setup::SetupPage ssr=SsrMode::Async/>
                <Route path=path!("/login") view=pages::login::LoginPage ssr=SsrMode::Async/>
                <ParentRoute path=path!("") view=pages::layout::AuthedLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=pages::dashboard::DashboardPage/>
                    <Route path=path!("trackers") view=pages::trackers::TrackersPage/>
                    <Route path=path!("trackers/:id") view=pages::tracker_detail::TrackerDetailPage/>
                    <Route path=path!("clients") view=pages::clients::ClientsPage/>
                    <Route path=path!("tag-groups") view=pages::tag_groups::TagGroupsPage/>
                    <Route path=path!("notifications") view=pages::notifications::NotificationsPage/>
                    <Route path=path!("settings/general") view=pages::general::GeneralSettingsPage/>
                    <Route path=path!("settings/security") view=pages::security::SecurityPage/>
                    <Route path=path!("settings/backups") view=pages::backups::BackupsPage/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
