//! Login (with the 2FA code when two-factor login is on).

use crate::api::auth::{get_auth_status, Login};
use crate::components::{action_error, ErrorNotice, TextField};
use leptos::prelude::*;
use leptos_router::components::Redirect;

#[component]
pub fn LoginPage() -> impl IntoView {
    let status = Resource::new_blocking(|| (), |_| get_auth_status());
    let password = RwSignal::new(String::new());
    let code = RwSignal::new(String::new());
    let action = ServerAction::<Login>::new();
    let error = action_error(action.value());

    Effect::new(move |_| {
        if matches!(action.value().get(), Some(Ok(()))) {
            let _ = window().location().set_href("/");
        }
    });

    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match status.await {
                    Ok(s) if !s.set_up => view! { <Redirect path="/setup"/> }.into_any(),
                    Ok(s) if s.logged_in => view! { <Redirect path="/"/> }.into_any(),
                    Ok(s) => {
                        let totp = s.totp_required;
                        let submit = move |ev: leptos::ev::SubmitEvent| {
                            ev.prevent_default();
                            let code = if totp { Some(code.get()) } else { None };
                            action.dispatch(Login { password: password.get(), code });
                        };
                        view! {
                            <main class="auth-page">
                                <form class="card auth-card" on:submit=submit>
                                    <h1>"Log in to Tracker Tracker"</h1>
                                    <TextField id="password" label="Password" kind="password" value=password required=true
                                        autocomplete="current-password"/>
                                    <Show when=move || totp>
                                        <TextField id="code" label="Two-factor code" value=code required=true
                                            autocomplete="one-time-code"
                                            hint="The 6-digit code from your authenticator app, or one of your backup codes."/>
                                    </Show>
                                    <ErrorNotice error/>
                                    <button class="btn btn-primary" type="submit" disabled=move || action.pending().get()>
                                        {move || if action.pending().get() { "Logging in…" } else { "Log in" }}
                                    </button>
                                </form>
                            </main>
                        }.into_any()
                    }
                    Err(e) => view! { <main class="auth-page"><p class="error" role="alert">{e.message}</p></main> }.into_any(),
                }
            })}
        </Suspense>
    }
}
