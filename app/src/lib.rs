//! Tracker Tracker: the Leptos UI and the server functions.
//!
//! - `api`: the server functions (thin; bodies run on the server only).
//! - `pages`, `components`: the UI; `routes`: each page as a lazy route (its own wasm chunk).
//! - `backup_format`, `model`, `validate`: re-exported from the shared core (`crates/core`).
//! - `domain` (feature "ssr"): re-exported from `crates/domain`, the logic and the store.

pub mod api;
pub mod browser;
pub mod components;
pub mod error;
pub mod pages;
pub mod routes;

// The shared core (crates/core) and the server-side domain (crates/domain), under the paths the
// UI and the server functions use.
pub use tt_core::{backup_format, model, rules, secret_purpose, validate};
#[cfg(feature = "ssr")]
pub use tt_domain as domain;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{ParentRoute, Route, Router, Routes},
    path, Lazy, SsrMode,
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
    // The browser side sets data-hydrated on <body> once it has taken over (frontend/src/lib.rs).
    view! {
        <Stylesheet id="leptos" href="/pkg/tracker-tracker.css"/>
        <Title text="Tracker Tracker"/>
        <Router>
            <Routes fallback=|| view! { <main class="content"><h1>"Page not found"</h1><a href="/">"Back to the dashboard"</a></main> }>
                <Route path=path!("/setup") view={Lazy::<routes::SetupRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/login") view={Lazy::<routes::LoginRoute>::new()} ssr=SsrMode::Async/>
                <ParentRoute path=path!("") view=pages::layout::AuthedLayout ssr=SsrMode::Async>
                    <Route path=path!("") view={Lazy::<routes::DashboardRoute>::new()}/>
                    <Route path=path!("trackers") view={Lazy::<routes::TrackersRoute>::new()}/>
                    <Route path=path!("trackers/:id") view={Lazy::<routes::TrackerDetailRoute>::new()}/>
                    <Route path=path!("clients") view={Lazy::<routes::ClientsRoute>::new()}/>
                    <Route path=path!("tag-groups") view={Lazy::<routes::TagGroupsRoute>::new()}/>
                    <Route path=path!("notifications") view={Lazy::<routes::NotificationsRoute>::new()}/>
                    <Route path=path!("settings/general") view={Lazy::<routes::GeneralSettingsRoute>::new()}/>
                    <Route path=path!("settings/security") view={Lazy::<routes::SecurityRoute>::new()}/>
                    <Route path=path!("settings/backups") view={Lazy::<routes::BackupsRoute>::new()}/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
