//! Every page as a lazy route: its code (and whatever only it uses) goes into its own wasm chunk,
//! fetched when the page is first shown instead of with the main bundle (docs/architecture.md,
//! "The browser bundle"). On the server `#[lazy_route]` records the chunk a page needs, and the
//! shell preloads it (`HydrationScripts` reads target/site/pkg/__wasm_split_manifest.json), so a
//! server-rendered page hydrates without waiting for a second round trip.
//!
//! One type per page, written out: `#[lazy]` names each chunk after the source position of
//! its macro call, so they cannot come from one `macro_rules!` expansion.

use crate::pages;
use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

/// `/setup`
pub struct SetupRoute;

#[lazy_route]
impl LazyRoute for SetupRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <pages::setup::SetupPage/> }.into_any()
    }
}

/// `/login`
pub struct LoginRoute;

#[lazy_route]
impl LazyRoute for LoginRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <pages::login::LoginPage/> }.into_any()
    }
}

/// `/`
pub struct DashboardRoute;

#[lazy_route]
impl LazyRoute for DashboardRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <pages::dashboard::DashboardPage/> }.into_any()
    }
}

/// `/trackers`
pub struct TrackersRoute;

#[lazy_route]
impl LazyRoute for TrackersRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <pages::trackers::TrackersPage/> }.into_any()
    }
}

/// `/trackers/:id`
pub struct TrackerDetailRoute;

#[lazy_route]
impl LazyRoute for TrackerDetailRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <pages::tracker_detail::TrackerDetailPage/> }.into_any()
    }
}

/// `/clients`
pub struct ClientsRoute;

#[lazy_route]
impl LazyRoute for ClientsRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <pages::clients::ClientsPage/> }.into_any()
    }
}

/// `/tag-groups`
pub struct TagGroupsRoute;

#[lazy_route]
impl LazyRoute for TagGroupsRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <pages::tag_groups::TagGroupsPage/> }.into_any()
    }
}

/// `/notifications`
pub struct NotificationsRoute;

#[lazy_route]
impl LazyRoute for NotificationsRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <pages::notifications::NotificationsPage/> }.into_any()
    }
}

/// `/settings/general`
pub struct GeneralSettingsRoute;

#[lazy_route]
impl LazyRoute for GeneralSettingsRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <pages::general::GeneralSettingsPage/> }.into_any()
    }
}

/// `/settings/security`
pub struct SecurityRoute;

#[lazy_route]
impl LazyRoute for SecurityRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <pages::security::SecurityPage/> }.into_any()
    }
}

/// `/settings/backups`
pub struct BackupsRoute;

#[lazy_route]
impl LazyRoute for BackupsRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <pages::backups::BackupsPage/> }.into_any()
    }
}
