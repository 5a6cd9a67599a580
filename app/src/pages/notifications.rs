//! Notifications: targets (Discord, Slack, Telegram, Gotify, ntfy, generic webhook, email) with
//! their events, thresholds and tracker scope; a "Send test" button per target; the latest
//! deliveries. Delivery settings (web addresses, tokens, the email login) are write-only; an email
//! target's server, sender and recipients are shown and edited like any field.

use crate::api::notifications::{
    list_deliveries, list_notification_targets, list_tracker_choices, split_addresses, DeleteNotificationTarget, Delivery, SaveNotificationTarget,
    SendTestNotification, SmtpSecurity, SmtpServer, TargetConfig, TargetConfigUpdate, TargetInput, TargetSettings, TargetView, Thresholds,
    TrackerChoice, EVENTS,
};
use crate::components::forms::{format_time, optional, ConfirmDelete};
use crate::components::list_page::{AddOrEdit, EditCard, ListPage};
use crate::components::{form_error, CheckField, ErrorNotice, SecretField, SelectField, SuccessNotice, TextField};
use crate::model::SecretUpdate;
use crate::validate::{invalid, parse_f64, parse_int, port, Invalid};
use leptos::prelude::*;

const TYPE_OPTIONS: [(&str, &str); 7] = [
    ("discord", "Discord"),
    ("slack", "Slack"),
    ("telegram", "Telegram"),
    ("gotify", "Gotify"),
    ("ntfy", "ntfy"),
    ("webhook", "Generic webhook"),
    ("email", "Email (SMTP)"),
];

fn type_label(t: &str) -> &str {
    TYPE_OPTIONS.iter().find(|(k, _)| *k == t).map(|(_, l)| *l).unwrap_or(t)
}

fn event_label(e: &str) -> &str {
    if e == "test" {
        return "Test";
    }
    EVENTS.iter().find(|(k, _)| *k == e).map(|(_, l)| *l).unwrap_or(e)
}

#[component]
pub fn NotificationsPage() -> impl IntoView {
    let page = ListPage::<TargetView>::new();
    let delete = ServerAction::<DeleteNotificationTarget>::new();
    let test = ServerAction::<SendTestNotification>::new();
    let source = move || (page.reload.get(), delete.version().get(), test.version().get());
    let targets = Resource::new(source, |_| list_notification_targets());
    let deliveries = Resource::new(source, |_| list_deliveries(None, Some(20)));
    let trackers = Resource::new(|| (), |_| list_tracker_choices());
    let tested = RwSignal::new(None::<i64>);
    let delete_error = page.on_deleted(delete.value(), "Target deleted.");
    let (on_saved, on_cancel) = (page.on_saved(|v: &TargetView| v.settings.name.clone()), page.on_cancel());
    // The form needs the tracker list for its scope; the page has already fetched it.
    let form = move |initial: Option<TargetView>| {
        view! {
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {let initial = initial.clone();
                move || {
                    let initial = initial.clone();
                    Suspend::new(async move {
                        trackers.await.ok().map(|trackers| view! { <TargetForm initial trackers on_saved on_cancel/> })
                    })
                }}
            </Transition>
        }
    };
    view! {
        <h1>"Notifications"</h1>
        <p class="hint">"Where alerts are sent, and which. Web addresses, tokens and email passwords are stored encrypted and never shown again. Notifications as a whole can be turned off in Settings → General."</p>
        <SuccessNotice message=page.flash/>
        <ErrorNotice error=delete_error/>
        <AddOrEdit page add_label="Add a target" form/>
        {view! {
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let (list, choices, recent) = (targets.await, trackers.await, deliveries.await);
                    match (list, choices, recent) {
                        (Ok(list), Ok(choices), Ok(recent)) => view! {
                            {view! { <TargetsSection list=list.clone() choices page delete test tested/> }.into_any()}
                            {view! { <DeliveriesSection recent list/> }.into_any()}
                        }.into_any(),
                        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                    }
                })}
            </Transition>
        }.into_any()}
    }
}

#[component]
fn TargetsSection(
    list: Vec<TargetView>,
    choices: Vec<TrackerChoice>,
    page: ListPage<TargetView>,
    delete: ServerAction<DeleteNotificationTarget>,
    test: ServerAction<SendTestNotification>,
    tested: RwSignal<Option<i64>>,
) -> impl IntoView {
    let empty = list.is_empty();
    let rows = list
        .into_iter()
        .map(|t| {
            let id = t.id;
            let name = t.settings.name.clone();
            let for_edit = t.clone();
            let events = if t.settings.events.is_empty() {
                "none (tests only)".to_string()
            } else {
                t.settings.events.iter().map(|e| event_label(e)).collect::<Vec<_>>().join(", ")
            };
            let scope = match &t.settings.tracker_ids {
                None => "All trackers".to_string(),
                Some(ids) => ids
                    .iter()
                    .map(|id| choices.iter().find(|c| c.id == *id).map(|c| c.name.clone()).unwrap_or_else(|| format!("#{id}")))
                    .collect::<Vec<_>>()
                    .join(", "),
            };
            let outcome = move || {
                (tested.get() == Some(id)).then(|| {
                    if test.pending().get() {
                        view! { <span role="status">"Sending…"</span> }.into_any()
                    } else {
                        match test.value().get() {
                            Some(Ok(d)) => {
                                view! { <span class="success" role="status">{format!("Test sent at {}.", format_time(&d.sent_at))}</span> }.into_any()
                            }
                            Some(Err(e)) => view! { <span class="error" role="alert">{e.message}</span> }.into_any(),
                            None => ().into_any(),
                        }
                    }
                })
            };
            view! {
                <tr>
                    <td data-label="Name">
                        <strong>{t.settings.name.clone()}</strong>
                        {(!t.settings.enabled).then(|| view! { " " <span class="badge warn">"Off"</span> })}
                        {t.disabled_reason.clone().map(|r| view! { <br/><small class="hint">{r}</small> })}
                        {t.destination.clone().map(|d| view! { <br/><code>{d}</code> })}
                        {(!t.has_config).then(|| view! { <br/><span class="badge bad">"No delivery settings"</span> })}
                    </td>
                    <td data-label="Type">{type_label(&t.settings.target_type).to_string()}</td>
                    <td data-label="Events">{events}</td>
                    <td data-label="Trackers">{scope}</td>
                    <td data-label="Last delivery">
                        {match t.last_delivery.clone() {
                            None => view! { "none yet" }.into_any(),
                            Some(d) => view! { <DeliveryStatus d/> }.into_any(),
                        }}
                    </td>
                    <td>
                        <div class="actions">
                            <button class="btn btn-small" type="button" aria-label=format!("Send a test to {name}")
                                disabled=move || test.pending().get()
                                on:click=move |_| { tested.set(Some(id)); test.dispatch(SendTestNotification { id }); }>"Send test"</button>
                            <button class="btn btn-small" type="button" aria-label=format!("Edit {name}")
                                on:click=move |_| page.open(Some(for_edit.clone()))>"Edit"</button>
                            <ConfirmDelete what=name.clone() detail="Its delivery history is deleted too."
                                on_confirm=Callback::new(move |()| { page.flash.set(None); delete.dispatch(DeleteNotificationTarget { id }); })/>
                        </div>
                        {outcome}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        {if empty {
            view! { <p class="card">"No notification targets yet."</p> }.into_any()
        } else {
            view! {
                <div class="card table-wrap">
                    <table class="stack">
                        <caption class="visually-hidden">"Notification targets"</caption>
                        <thead><tr><th scope="col">"Name"</th><th scope="col">"Type"</th><th scope="col">"Events"</th><th scope="col">"Trackers"</th><th scope="col">"Last delivery"</th><th scope="col">"Actions"</th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            }.into_any()
        }}
    }
}

#[component]
fn DeliveryStatus(d: Delivery) -> impl IntoView {
    let ok = d.status == "sent";
    view! {
        <span class=if ok { "badge ok" } else { "badge bad" }>{if ok { "Sent" } else { "Failed" }}</span>
        " " <small>{format_time(&d.sent_at)} " · " {event_label(&d.event).to_string()}</small>
        {d.error.map(|e| view! { <br/><small>{e}</small> })}
    }
}

#[component]
fn DeliveriesSection(recent: Vec<Delivery>, list: Vec<TargetView>) -> impl IntoView {
    let body = if recent.is_empty() {
        view! { <p>"Nothing sent yet."</p> }.into_any()
    } else {
        let rows = recent
            .into_iter()
            .map(|d| {
                let target = list.iter().find(|t| t.id == d.target_id).map(|t| t.settings.name.clone()).unwrap_or_default();
                let ok = d.status == "sent";
                view! {
                    <tr>
                        <td data-label="When">{format_time(&d.sent_at)}</td>
                        <td data-label="Target">{target}</td>
                        <td data-label="Event">{event_label(&d.event).to_string()}</td>
                        <td data-label="Result"><span class=if ok { "badge ok" } else { "badge bad" }>{if ok { "Sent" } else { "Failed" }}</span></td>
                        <td data-label="Reason">{d.error.unwrap_or_default()}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <div class="table-wrap">
                <table class="stack">
                    <thead><tr><th scope="col">"When"</th><th scope="col">"Target"</th><th scope="col">"Event"</th><th scope="col">"Result"</th><th scope="col">"Reason"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! {
        <section class="card" aria-labelledby="deliveries-title">
            <h2 id="deliveries-title">"Recent deliveries"</h2>
            {body}
        </section>
    }
}

/// A write-only part of the delivery settings: the typed value and the "remove" mark.
#[derive(Clone, Copy)]
struct SecretInput {
    value: RwSignal<String>,
    clear: RwSignal<bool>,
}

impl SecretInput {
    fn new() -> Self {
        SecretInput { value: RwSignal::new(String::new()), clear: RwSignal::new(false) }
    }

    fn update(&self) -> SecretUpdate {
        SecretUpdate { value: optional(self.value.get()), clear: self.clear.get() }
    }
}

#[component]
fn TargetForm(initial: Option<TargetView>, trackers: Vec<TrackerChoice>, on_saved: Callback<TargetView>, on_cancel: Callback<()>) -> impl IntoView {
    let id = initial.as_ref().map(|t| t.id);
    let settings = initial.as_ref().map(|t| t.settings.clone()).unwrap_or(TargetSettings {
        name: String::new(),
        target_type: "discord".into(),
        enabled: true,
        events: Vec::new(),
        thresholds: Thresholds::default(),
        tracker_ids: None,
    });
    let flags = initial.as_ref().map(|t| t.config_set).unwrap_or_default();
    let initial_type = settings.target_type.clone();
    let name = RwSignal::new(settings.name.clone());
    let target_type = RwSignal::new(settings.target_type.clone());
    let enabled = RwSignal::new(settings.enabled);
    let events = RwSignal::new(settings.events.clone());
    let ratio_drop = RwSignal::new(settings.thresholds.ratio_drop.to_string());
    let ratio_danger = RwSignal::new(settings.thresholds.ratio_danger.to_string());
    let milestone = RwSignal::new(settings.thresholds.buffer_milestone_gib.to_string());
    let all_trackers = RwSignal::new(settings.tracker_ids.is_none());
    let chosen = RwSignal::new(settings.tracker_ids.clone().unwrap_or_default());
    let (url, token, chat_id, topic) = (SecretInput::new(), SecretInput::new(), SecretInput::new(), SecretInput::new());
    let (username, password) = (SecretInput::new(), SecretInput::new());
    // Email: the stored server, sender and recipients are shown (not secret).
    let smtp = initial.as_ref().and_then(|t| t.smtp.clone());
    let smtp_host = RwSignal::new(smtp.as_ref().map(|s| s.host.clone()).unwrap_or_default());
    let smtp_security = RwSignal::new(smtp.as_ref().map(|s| s.security).unwrap_or_default().key().to_string());
    let smtp_port = RwSignal::new(smtp.as_ref().map(|s| s.port).unwrap_or(SmtpSecurity::default().default_port()).to_string());
    let smtp_from = RwSignal::new(smtp.as_ref().map(|s| s.from.clone()).unwrap_or_default());
    let smtp_to = RwSignal::new(smtp.as_ref().map(|s| s.to.join(", ")).unwrap_or_default());
    // Choosing another mode moves a port left at a mode's usual one to the new mode's.
    Effect::new(move |previous: Option<String>| {
        let now = smtp_security.get();
        if previous.as_ref().is_some_and(|p| *p != now) {
            let usual = SmtpSecurity::ALL.iter().any(|m| smtp_port.get_untracked().trim() == m.default_port().to_string());
            if let (true, Some(mode)) = (usual || smtp_port.get_untracked().trim().is_empty(), SmtpSecurity::from_key(&now)) {
                smtp_port.set(mode.default_port().to_string());
            }
        }
        now
    });
    let same_type = {
        let initial_type = initial_type.clone();
        let existing = id.is_some();
        Signal::derive(move || existing && target_type.with(|t| *t == initial_type))
    };
    let is_set = move |stored: bool| Signal::derive(move || stored && same_type.get());

    let save = ServerAction::<SaveNotificationTarget>::new();
    let (local, error) = form_error(save.value());
    Effect::new(move |_| {
        if let Some(Ok(v)) = save.value().get() {
            on_saved.run(v);
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        local.set(None);
        let parsed = (|| -> Result<TargetInput, Invalid> {
            let kind = target_type.get();
            let chosen_events: Vec<String> = EVENTS.iter().map(|(k, _)| k.to_string()).filter(|k| events.with(|e| e.contains(k))).collect();
            let settings = TargetSettings {
                name: name.get(),
                target_type: kind.clone(),
                enabled: enabled.get(),
                events: chosen_events,
                thresholds: Thresholds {
                    ratio_drop: parse_f64("ratio_drop", "Ratio drop threshold", &ratio_drop.get())?,
                    ratio_danger: parse_f64("ratio_danger", "Ratio danger threshold", &ratio_danger.get())?,
                    buffer_milestone_gib: parse_int("buffer_milestone_gib", "Buffer milestone (GiB)", &milestone.get())?,
                },
                tracker_ids: if all_trackers.get() { None } else { Some(chosen.get()) },
            }
            .validate()?;
            let smtp = if kind == "email" {
                let port = port("smtp_port", "Port", parse_int("smtp_port", "Port", &smtp_port.get())?)? as u16;
                let security = SmtpSecurity::from_key(&smtp_security.get())
                    .ok_or_else(|| invalid("smtp_security", "Choose how the connection is protected."))?;
                Some(SmtpServer { host: smtp_host.get(), port, security, from: smtp_from.get(), to: split_addresses(&smtp_to.get()) })
            } else {
                None
            };
            let update = TargetConfigUpdate {
                url: url.update(),
                token: token.update(),
                chat_id: chat_id.update(),
                topic: topic.update(),
                smtp,
                username: username.update(),
                password: password.update(),
            };
            update.check_typed()?;
            // Stand-ins for the stored values (never sent): the merged settings must be complete.
            let stored = same_type.get().then(|| TargetConfig {
                url: flags.url.then(|| "https://stored.invalid".to_string()),
                token: flags.token.then(|| "stored".to_string()),
                chat_id: flags.chat_id.then(|| "stored".to_string()),
                topic: flags.topic.then(|| "stored".to_string()),
                smtp: None,
                username: flags.username.then(|| "stored".to_string()),
                password: flags.password.then(|| "stored".to_string()),
            });
            update.apply(stored.as_ref()).validate_for(&kind)?;
            Ok(TargetInput { id, settings, config: None, config_update: Some(update) })
        })();
        match parsed {
            Ok(input) => {
                save.dispatch(SaveNotificationTarget { input });
            }
            Err(e) => local.set(Some(e.message)),
        }
    };

    let config_fields = move || {
        let url_field = |label: &'static str| {
            view! { <SecretField id="target-url" label=label is_set=is_set(flags.url) value=url.value clear=url.clear/> }
        };
        match target_type.get().as_str() {
            "discord" => url_field("Discord webhook URL").into_any(),
            "slack" => url_field("Slack incoming-webhook URL (https://hooks.slack.com/services/…)").into_any(),
            "email" => {
                let modes: Vec<(&'static str, &'static str)> = SmtpSecurity::ALL.iter().map(|m| (m.key(), m.label())).collect();
                view! {
                    <div class="form-grid">
                        <TextField id="target-smtp-host" label="Mail server" value=smtp_host placeholder="smtp.example.com"/>
                        <SelectField id="target-smtp-security" label="Security" value=smtp_security options=modes/>
                        <TextField id="target-smtp-port" label="Port" kind="number" value=smtp_port hint="587 for STARTTLS, 465 for TLS, 25 for none."/>
                    </div>
                    <SecretField id="target-username" label="User name (optional)" is_set=is_set(flags.username) value=username.value clear=username.clear/>
                    <SecretField id="target-password" label="Password (optional)" is_set=is_set(flags.password) value=password.value clear=password.clear/>
                    <TextField id="target-smtp-from" label="From" value=smtp_from placeholder="Tracker Tracker <tt@example.com>"/>
                    <TextField id="target-smtp-to" label="To" value=smtp_to placeholder="me@example.com" hint="One or more addresses, separated by commas."/>
                }
                .into_any()
            }
            "webhook" => url_field("Webhook URL").into_any(),
            "telegram" => view! {
                <SecretField id="target-token" label="Bot token" is_set=is_set(flags.token) value=token.value clear=token.clear/>
                <SecretField id="target-chat" label="Chat id" is_set=is_set(flags.chat_id) value=chat_id.value clear=chat_id.clear/>
                {url_field("Bot API server (optional, default https://api.telegram.org)")}
            }
            .into_any(),
            "gotify" => view! {
                {url_field("Gotify server URL")}
                <SecretField id="target-token" label="App token" is_set=is_set(flags.token) value=token.value clear=token.clear/>
            }
            .into_any(),
            "ntfy" => view! {
                {url_field("ntfy server URL (e.g. https://ntfy.sh)")}
                <SecretField id="target-topic" label="Topic" is_set=is_set(flags.topic) value=topic.value clear=topic.clear/>
                <SecretField id="target-token" label="Access token (optional)" is_set=is_set(flags.token) value=token.value clear=token.clear/>
            }
            .into_any(),
            _ => ().into_any(),
        }
    };
    let event_boxes = EVENTS
        .iter()
        .map(|(key, label)| {
            let key: &'static str = key;
            let box_id = format!("event-{key}");
            view! {
                <div class="field check">
                    <input id=box_id.clone() type="checkbox"
                        prop:checked=move || events.with(|e| e.iter().any(|x| x == key))
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            events.update(|e| {
                                e.retain(|x| x != key);
                                if on {
                                    e.push(key.to_string());
                                }
                            });
                        }/>
                    <label for=box_id>{*label}</label>
                </div>
            }
        })
        .collect_view();
    let no_trackers = trackers.is_empty();
    let tracker_boxes = trackers
        .into_iter()
        .map(|t| {
            let tid = t.id;
            let box_id = format!("tracker-{tid}");
            view! {
                <div class="field check">
                    <input id=box_id.clone() type="checkbox"
                        prop:checked=move || chosen.with(|c| c.contains(&tid))
                        prop:disabled=move || all_trackers.get()
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            chosen.update(|c| {
                                c.retain(|x| *x != tid);
                                if on {
                                    c.push(tid);
                                }
                            });
                        }/>
                    <label for=box_id>{t.name}</label>
                </div>
            }
        })
        .collect_view();
    let title = if initial.is_some() { format!("Edit “{}”", settings.name) } else { "New notification target".to_string() };
    view! {
        <EditCard id="target" title on_submit=submit pending=save.pending() save_label="Save target" on_cancel error>
                {view! { <div class="form-grid">
                    <TextField id="target-name" label="Name" value=name required=true placeholder="My phone"/>
                    <SelectField id="target-type" label="Type" value=target_type options=TYPE_OPTIONS.to_vec()/>
                </div> }.into_any()}
                <CheckField id="target-enabled" label="Enabled" value=enabled/>
                {view! { <fieldset>
                    <legend>"Delivery settings"</legend>
                    {move || (same_type.get()).then(|| view! {
                        <p class="hint">"Stored web addresses, tokens and logins are not shown. Leave such a field empty to keep it, or type a new value to replace it."</p>
                    })}
                    {config_fields}
                </fieldset> }.into_any()}
                {view! { <fieldset>
                    <legend>"Events"</legend>
                    <p class="hint">"What this target is told about. Tests are always delivered."</p>
                    <div class="check-grid">{event_boxes}</div>
                </fieldset> }.into_any()}
                {view! { <fieldset>
                    <legend>"Thresholds"</legend>
                    <div class="form-grid">
                        <TextField id="target-ratio-drop" label="Ratio drop of at least" value=ratio_drop hint="For “Ratio drop”, e.g. 0.1."/>
                        <TextField id="target-ratio-danger" label="Ratio below" value=ratio_danger hint="For “Ratio danger”, e.g. 1.0."/>
                        <TextField id="target-milestone" label="Buffer milestone (GiB)" kind="number" value=milestone hint="For “Buffer milestone”."/>
                    </div>
                </fieldset> }.into_any()}
                {view! { <fieldset>
                    <legend>"Trackers"</legend>
                    <div class="field check">
                        <input id="scope-all" type="radio" name="scope" prop:checked=move || all_trackers.get() on:change=move |_| all_trackers.set(true)/>
                        <label for="scope-all">"All trackers"</label>
                    </div>
                    <div class="field check">
                        <input id="scope-some" type="radio" name="scope" prop:checked=move || !all_trackers.get() on:change=move |_| all_trackers.set(false)/>
                        <label for="scope-some">"Only the trackers chosen below"</label>
                    </div>
                    {no_trackers.then(|| view! { <p class="hint">"No trackers yet."</p> })}
                    <div class="check-grid">{tracker_boxes}</div>
                </fieldset> }.into_any()}
        </EditCard>
    }
    .into_any()
}
