//! Settings → General: poll interval, snapshot retention, proxy, notification defaults.

use crate::api::settings::{get_general_settings, GeneralSettings, GeneralSettingsInput, GeneralSettingsView, SaveGeneralSettings};
use crate::components::forms::{optional, parse_optional_int};
use crate::components::{form_error, CheckField, ErrorNotice, SecretField, SelectField, SuccessNotice, TextField};
use crate::model::SecretUpdate;
use crate::validate::{parse_f64, parse_int, Invalid};
use leptos::prelude::*;

#[component]
pub fn GeneralSettingsPage() -> impl IntoView {
    let settings = Resource::new(|| (), |_| get_general_settings());
    view! {
        <h1>"General"</h1>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(v) => view! { <GeneralForm initial=v/> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn GeneralForm(initial: GeneralSettingsView) -> impl IntoView {
    let s = initial.settings;
    let poll = RwSignal::new(s.poll_interval_minutes.to_string());
    let retention = RwSignal::new(s.snapshot_retention_days.map(|d| d.to_string()).unwrap_or_default());
    let proxy_enabled = RwSignal::new(s.proxy_enabled);
    let proxy_type = RwSignal::new(s.proxy_type);
    let proxy_host = RwSignal::new(s.proxy_host.unwrap_or_default());
    let proxy_port = RwSignal::new(s.proxy_port.map(|p| p.to_string()).unwrap_or_default());
    let proxy_username = RwSignal::new(s.proxy_username.unwrap_or_default());
    let proxy_password = RwSignal::new(String::new());
    let clear_password = RwSignal::new(false);
    let has_password = RwSignal::new(initial.has_proxy_password);
    let notifications = RwSignal::new(s.notifications_enabled);
    let ratio_drop = RwSignal::new(s.notify_ratio_drop_threshold.to_string());
    let milestone = RwSignal::new(s.notify_buffer_milestone_gib.to_string());

    let save = ServerAction::<SaveGeneralSettings>::new();
    let (local, error) = form_error(save.value());
    let saved = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(v)) = save.value().get() {
            has_password.set(v.has_proxy_password);
            proxy_password.set(String::new());
            clear_password.set(false);
            saved.set(true);
        }
    });

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        local.set(None);
        saved.set(false);
        let parsed = (|| -> Result<GeneralSettingsInput, Invalid> {
            let settings = GeneralSettings {
                poll_interval_minutes: parse_int("poll_interval_minutes", "Poll interval (minutes)", &poll.get())?,
                snapshot_retention_days: parse_optional_int("snapshot_retention_days", "Snapshot retention (days)", &retention.get())?,
                proxy_enabled: proxy_enabled.get(),
                proxy_type: proxy_type.get(),
                proxy_host: optional(proxy_host.get()),
                proxy_port: parse_optional_int("proxy_port", "Proxy port", &proxy_port.get())?,
                proxy_username: optional(proxy_username.get()),
                notifications_enabled: notifications.get(),
                notify_ratio_drop_threshold: parse_f64("notify_ratio_drop_threshold", "Ratio drop threshold", &ratio_drop.get())?,
                notify_buffer_milestone_gib: parse_int("notify_buffer_milestone_gib", "Buffer milestone (GiB)", &milestone.get())?,
            }
            .validate()?;
            let proxy_password = SecretUpdate { value: optional(proxy_password.get()), clear: clear_password.get() };
            Ok(GeneralSettingsInput { settings, proxy_password })
        })();
        match parsed {
            Ok(input) => {
                save.dispatch(SaveGeneralSettings { input });
            }
            Err(e) => local.set(Some(e.message)),
        }
    };

    view! {
        <form on:submit=submit novalidate>
            {view! { <section class="card" aria-labelledby="polling-title">
                <h2 id="polling-title">"Polling and history"</h2>
                <div class="form-grid">
                    <TextField id="poll_interval_minutes" label="Poll interval (minutes)" kind="number" value=poll
                        hint="How often trackers are asked for your statistics: 5 to 1440."/>
                    <TextField id="snapshot_retention_days" label="Snapshot retention (days)" kind="number" value=retention
                        hint="Older snapshots are removed. Leave empty to keep them forever."/>
                </div>
            </section> }.into_any()}
            {view! { <section class="card" aria-labelledby="proxy-title">
                <h2 id="proxy-title">"Proxy"</h2>
                <p class="hint">"Tracker requests go through this proxy when it is on."</p>
                <CheckField id="proxy_enabled" label="Use a proxy for tracker requests" value=proxy_enabled/>
                <div class="form-grid">
                    <SelectField id="proxy_type" label="Proxy type" value=proxy_type options=vec![("socks5", "SOCKS5"), ("http", "HTTP")]/>
                    <TextField id="proxy_host" label="Proxy host" value=proxy_host placeholder="proxy.lan"/>
                    <TextField id="proxy_port" label="Proxy port" kind="number" value=proxy_port placeholder="1080"/>
                    <TextField id="proxy_username" label="Proxy username (optional)" value=proxy_username autocomplete="off"/>
                    <SecretField id="proxy_password" label="Proxy password (optional)" is_set=has_password value=proxy_password clear=clear_password/>
                </div>
            </section> }.into_any()}
            {view! { <section class="card" aria-labelledby="notify-title">
                <h2 id="notify-title">"Notifications"</h2>
                <CheckField id="notifications_enabled" label="Send notifications (off: no target receives anything, tests still work)" value=notifications/>
                <div class="form-grid">
                    <TextField id="notify_ratio_drop_threshold" label="Default ratio drop threshold" value=ratio_drop
                        hint="A drop in ratio at least this large counts as a ratio drop, e.g. 0.1."/>
                    <TextField id="notify_buffer_milestone_gib" label="Default buffer milestone (GiB)" kind="number" value=milestone
                        hint="Notify each time the buffer passes a multiple of this."/>
                </div>
            </section> }.into_any()}
            <ErrorNotice error/>
            <SuccessNotice message=Signal::derive(move || saved.get().then(|| "Settings saved.".to_string()))/>
            <div class="actions">
                <button class="btn btn-primary" type="submit" disabled=move || save.pending().get()>"Save settings"</button>
            </div>
        </form>
    }
    .into_any()
}
