//! Settings → Security: password, two-factor login, session and lockout settings.

use crate::api::auth::{
    get_security_overview, ChangePassword, SaveSecuritySettings, SecuritySettings, TotpBegin, TotpConfirm, TotpDisable, TotpRegenerateCodes,
};
use crate::components::{action_error, action_ok, form_error, ErrorNotice, SuccessNotice, TextField};
use crate::validate::parse_int;
use leptos::prelude::*;

#[component]
pub fn SecurityPage() -> impl IntoView {
    let confirm = ServerAction::<TotpConfirm>::new();
    let disable = ServerAction::<TotpDisable>::new();
    let regen = ServerAction::<TotpRegenerateCodes>::new();
    let save = ServerAction::<SaveSecuritySettings>::new();
    let overview = Resource::new(
        move || (confirm.version().get(), disable.version().get(), regen.version().get(), save.version().get()),
        |_| get_security_overview(),
    );
    view! {
        <h1>"Security"</h1>
        <ChangePasswordCard/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(o) => view! {
                        <TwoFactorCard enabled=o.totp_enabled codes_left=o.backup_codes_left confirm disable regen/>
                        <SessionCard current=o.settings save/>
                    }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ChangePasswordCard() -> impl IntoView {
    let current = RwSignal::new(String::new());
    let new_pw = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let action = ServerAction::<ChangePassword>::new();
    let (local, error) = form_error(action.value());
    let ok = action_ok(action.value());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        local.set(None);
        if let Err(m) = crate::validate::password_rules(&new_pw.get(), &confirm.get()) {
            local.set(Some(m));
            return;
        }
        action.dispatch(ChangePassword { current: current.get(), new_password: new_pw.get(), confirm: confirm.get() });
    };
    Effect::new(move |_| {
        if ok.get() {
            current.set(String::new());
            new_pw.set(String::new());
            confirm.set(String::new());
        }
    });
    view! {
        <section class="card" aria-labelledby="pw-title">
            <h2 id="pw-title">"Change password"</h2>
            <p class="hint">"Stored tokens and passwords stay readable: only the key that protects them is re-sealed. Other sessions are logged out."</p>
            <form on:submit=submit>
                <TextField id="current-password" label="Current password" kind="password" value=current required=true autocomplete="current-password"/>
                <TextField id="new-password" label="New password" kind="password" value=new_pw required=true autocomplete="new-password" hint="At least 10 characters."/>
                <TextField id="confirm-password" label="Repeat the new password" kind="password" value=confirm required=true autocomplete="new-password"/>
                <ErrorNotice error/>
                <SuccessNotice message=Signal::derive(move || ok.get().then(|| "Password changed.".to_string()))/>
                <button class="btn btn-primary" type="submit" disabled=move || action.pending().get()>"Change password"</button>
            </form>
        </section>
    }
}

#[component]
fn TwoFactorCard(
    enabled: bool,
    codes_left: usize,
    confirm: ServerAction<TotpConfirm>,
    disable: ServerAction<TotpDisable>,
    regen: ServerAction<TotpRegenerateCodes>,
) -> impl IntoView {
    let begin = ServerAction::<TotpBegin>::new();
    let code = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let begin_error = action_error(begin.value());
    let confirm_error = action_error(confirm.value());
    let disable_error = action_error(disable.value());
    let regen_error = action_error(regen.value());
    let new_codes = Signal::derive(move || confirm.value().get().and_then(Result::ok).or_else(|| regen.value().get().and_then(Result::ok)));
    view! {
        <section class="card" aria-labelledby="tfa-title">
            <h2 id="tfa-title">"Two-factor login"</h2>
            {move || new_codes.get().map(|codes| view! {
                <div class="notice" role="status">
                    <p><strong>"Save these backup codes now."</strong>" Each works once, if you lose your authenticator. They are not shown again."</p>
                    <ul class="codes" data-testid="backup-codes">{codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}</ul>
                </div>
            })}
            {if enabled {
                view! {
                    <p>"Two-factor login is " <strong>"on"</strong> ". Backup codes left: " {codes_left} "."</p>
                    <form on:submit=move |ev: leptos::ev::SubmitEvent| ev.prevent_default()>
                        <TextField id="tfa-password" label="Current password (to change two-factor settings)" kind="password" value=password autocomplete="current-password"/>
                        <ErrorNotice error=Signal::derive(move || disable_error.get().or_else(|| regen_error.get()))/>
                        <div class="actions">
                            <button class="btn" type="button" on:click=move |_| { regen.dispatch(TotpRegenerateCodes { password: password.get() }); }>"New backup codes"</button>
                            <button class="btn btn-danger" type="button" on:click=move |_| { disable.dispatch(TotpDisable { password: password.get() }); }>"Turn off two-factor login"</button>
                        </div>
                    </form>
                }.into_any()
            } else {
                view! {
                    <p>"Two-factor login is " <strong>"off"</strong> ". Turn it on to ask for a code from an authenticator app at each login."</p>
                    <form on:submit=move |ev: leptos::ev::SubmitEvent| {
                        ev.prevent_default();
                        begin.dispatch(TotpBegin { password: password.get() });
                    }>
                        <TextField id="tfa-begin-password" label="Current password (to set up two-factor login)" kind="password" value=password autocomplete="current-password"/>
                        <ErrorNotice error=begin_error/>
                        <button class="btn btn-primary" type="submit">"Set up two-factor login"</button>
                    </form>
                    {move || begin.value().get().and_then(Result::ok).map(|e| {
                        let submit = move |ev: leptos::ev::SubmitEvent| {
                            ev.prevent_default();
                            confirm.dispatch(TotpConfirm { code: code.get() });
                        };
                        view! {
                            <div class="enrol">
                                <p>"Scan this code with your authenticator app, or type the key by hand."</p>
                                <div class="qr" role="img" aria-label="QR code of the two-factor secret" inner_html=e.qr_svg></div>
                                <p>"Key: " <code data-testid="totp-secret">{e.secret_base32}</code></p>
                                <p class="hint"><a href=e.otpauth_uri>"Open in an authenticator app on this device"</a></p>
                                <form on:submit=submit>
                                    <TextField id="totp-code" label="Code from the app" value=code required=true autocomplete="one-time-code"/>
                                    <ErrorNotice error=confirm_error/>
                                    <button class="btn btn-primary" type="submit">"Turn on"</button>
                                </form>
                            </div>
                        }
                    })}
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn SessionCard(current: SecuritySettings, save: ServerAction<SaveSecuritySettings>) -> impl IntoView {
    let timeout = RwSignal::new(current.session_timeout_minutes.to_string());
    let threshold = RwSignal::new(current.lockout_threshold.to_string());
    let minutes = RwSignal::new(current.lockout_minutes.to_string());
    let (local, error) = form_error(save.value());
    let ok = action_ok(save.value());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        local.set(None);
        let parsed = (|| {
            let input = SecuritySettings {
                session_timeout_minutes: parse_int("session_timeout_minutes", "Session timeout (minutes)", &timeout.get())?,
                lockout_threshold: parse_int("lockout_threshold", "Failed attempts before lockout", &threshold.get())?,
                lockout_minutes: parse_int("lockout_minutes", "Lockout duration (minutes)", &minutes.get())?,
            };
            input.validate()?;
            Ok::<_, crate::validate::Invalid>(input)
        })();
        match parsed {
            Ok(input) => {
                save.dispatch(SaveSecuritySettings { input });
            }
            Err(e) => local.set(Some(e.message)),
        }
    };
    view! {
        <section class="card" aria-labelledby="session-title">
            <h2 id="session-title">"Sessions and lockout"</h2>
            <form on:submit=submit>
                <TextField id="session_timeout_minutes" label="Session timeout (minutes of inactivity)" kind="number" value=timeout/>
                <TextField id="lockout_threshold" label="Failed attempts before lockout" kind="number" value=threshold/>
                <TextField id="lockout_minutes" label="Lockout duration (minutes)" kind="number" value=minutes/>
                <ErrorNotice error/>
                <SuccessNotice message=Signal::derive(move || ok.get().then(|| "Saved.".to_string()))/>
                <button class="btn btn-primary" type="submit">"Save"</button>
            </form>
        </section>
    }
}
