//! First run: choose the login password.

use crate::api::auth::{get_auth_status, Setup};
use crate::components::{action_error, ErrorNotice, TextField};
use leptos::prelude::*;
use leptos_router::components::Redirect;

#[component]
pub fn SetupPage() -> impl IntoView {
    let status = Resource::new_blocking(|| (), |_| get_auth_status());
    let password = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let action = ServerAction::<Setup>::new();
    let local_error = RwSignal::new(None::<String>);
    let error = Signal::derive(move || local_error.get().or_else(|| action_error(action.value()).get()));

    Effect::new(move |_| {
        if matches!(action.value().get(), Some(Ok(()))) {
            let _ = window().location().set_href("/");
        }
    });

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        local_error.set(None);
        if let Err(msg) = crate::validate::password_rules(&password.get(), &confirm.get()) {
            local_error.set(Some(msg));
            return;
        }
        action.dispatch(Setup { password: password.get(), confirm: confirm.get() });
    };

    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match status.await {
                    Ok(s) if s.set_up => view! { <Redirect path="/login"/> }.into_any(),
                    _ => view! {
                        <main class="auth-page">
                            <form class="card auth-card" on:submit=submit>
                                <h1>"Welcome to Tracker Tracker"</h1>
                                <p>"Choose the password you will log in with. It also protects the tokens and passwords this app stores."</p>
                                <TextField id="password" label="Password" kind="password" value=password required=true
                                    autocomplete="new-password" hint="At least 10 characters."/>
                                <TextField id="confirm" label="Repeat the password" kind="password" value=confirm required=true
                                    autocomplete="new-password"/>
                                <ErrorNotice error/>
                                <button class="btn btn-primary" type="submit" disabled=move || action.pending().get()>
                                    {move || if action.pending().get() { "Setting up…" } else { "Set password" }}
                                </button>
                            </form>
                        </main>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
