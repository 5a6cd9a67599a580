//! The frame around every page behind the login: navigation, log out, and the session check.

use crate::api::auth::{get_auth_status, Logout};
use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect, A};

#[component]
pub fn AuthedLayout() -> impl IntoView {
    let status = Resource::new_blocking(|| (), |_| get_auth_status());
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match status.await {
                    Ok(s) if !s.set_up => view! { <Redirect path="/setup"/> }.into_any(),
                    Ok(s) if !s.logged_in => view! { <Redirect path="/login"/> }.into_any(),
                    Ok(_) => view! { <Frame/> }.into_any(),
                    Err(e) => view! { <main class="auth-page"><p class="error" role="alert">{e.message}</p></main> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Frame() -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    Effect::new(move |_| {
        if logout.value().get().is_some() {
            let _ = window().location().set_href("/login");
        }
    });
    view! {
        <div class="app">
            <a class="skip-link" href="#content">"Skip to content"</a>
            <header class="topbar">
                <A href="/" attr:class="brand">"Tracker Tracker"</A>
                <button class="btn btn-quiet" on:click=move |_| { logout.dispatch(Logout {}); }>"Log out"</button>
            </header>
            <nav class="sidebar" aria-label="Main">
                <ul>
                    <li><A href="/" exact=true>"Dashboard"</A></li>
                    <li><A href="/trackers">"Trackers"</A></li>
                    <li><A href="/clients">"Download clients"</A></li>
                    <li><A href="/tag-groups">"Tag groups"</A></li>
                    <li><A href="/notifications">"Notifications"</A></li>
                </ul>
                <p class="nav-heading">"Settings"</p>
                <ul>
                    <li><A href="/settings/general">"General"</A></li>
                    <li><A href="/settings/security">"Security"</A></li>
                    <li><A href="/settings/backups">"Backups"</A></li>
                </ul>
            </nav>
            <main id="content" class="content">
                <Outlet/>
            </main>
        </div>
    }
}
