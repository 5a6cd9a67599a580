//! The add/edit form of a backup location (S3-compatible or WebDAV): its target, its write-only
//! secret, encryption, retention with a preview of what a new policy deletes, and "Test connection".

use crate::api::locations::{PreviewLocationRetention, SaveLocation, TestLocation};
use crate::components::{error_at, error_elsewhere, CheckField, ErrorNotice, FormError, SecretField, SelectField, TextField};
use crate::model::locations::{
    LocationInput, LocationSettings, LocationTarget, LocationView, RetentionPolicy, RetentionPreview, S3Target, WebdavTarget,
};
use crate::model::SecretUpdate;
use crate::validate::parse_int;
use leptos::prelude::*;

/// The fields that show their own errors (any other error shows under the form).
const FIELDS: &[&str] = &[
    "name",
    "endpoint",
    "region",
    "bucket",
    "prefix",
    "access_key_id",
    "url",
    "username",
    "secret_key",
    "password",
    "retention.count",
    "retention.last",
    "retention.daily",
    "retention.weekly",
    "retention.monthly",
];

/// What the form holds, one signal per input.
#[derive(Clone, Copy)]
struct Fields {
    kind: RwSignal<String>,
    name: RwSignal<String>,
    enabled: RwSignal<bool>,
    require_encryption: RwSignal<bool>,
    endpoint: RwSignal<String>,
    region: RwSignal<String>,
    bucket: RwSignal<String>,
    prefix: RwSignal<String>,
    access_key_id: RwSignal<String>,
    path_style: RwSignal<bool>,
    url: RwSignal<String>,
    username: RwSignal<String>,
    secret: RwSignal<String>,
    clear_secret: RwSignal<bool>,
    mode: RwSignal<String>,
    count: RwSignal<String>,
    last: RwSignal<String>,
    daily: RwSignal<String>,
    weekly: RwSignal<String>,
    monthly: RwSignal<String>,
}

impl Fields {
    fn new(v: Option<&LocationView>) -> Fields {
        let s = |x: &str| RwSignal::new(x.to_string());
        let settings = v.map(|v| v.settings.clone());
        let (s3, dav) = match settings.as_ref().map(|s| &s.target) {
            Some(LocationTarget::S3(t)) => (Some(t.clone()), None),
            Some(LocationTarget::Webdav(t)) => (None, Some(t.clone())),
            None => (None, None),
        };
        let retention = settings.as_ref().map(|s| s.retention).unwrap_or_default();
        let (mode, count, cal) = match retention {
            RetentionPolicy::KeepLast { count } => ("keep_last", count, (3, 7, 4, 12)),
            RetentionPolicy::Calendar { last, daily, weekly, monthly } => ("calendar", 14, (last, daily, weekly, monthly)),
        };
        Fields {
            kind: s(if dav.is_some() { "webdav" } else { "s3" }),
            name: s(settings.as_ref().map(|s| s.name.as_str()).unwrap_or("")),
            enabled: RwSignal::new(settings.as_ref().is_none_or(|s| s.enabled)),
            require_encryption: RwSignal::new(settings.as_ref().is_none_or(|s| s.require_encryption)),
            endpoint: s(s3.as_ref().map(|t| t.endpoint.as_str()).unwrap_or("")),
            region: s(s3.as_ref().map(|t| t.region.as_str()).unwrap_or("us-east-1")),
            bucket: s(s3.as_ref().map(|t| t.bucket.as_str()).unwrap_or("")),
            prefix: s(s3.as_ref().map(|t| t.prefix.as_str()).unwrap_or("tracker-tracker")),
            access_key_id: s(s3.as_ref().map(|t| t.access_key_id.as_str()).unwrap_or("")),
            path_style: RwSignal::new(s3.as_ref().is_some_and(|t| t.path_style)),
            url: s(dav.as_ref().map(|t| t.url.as_str()).unwrap_or("")),
            username: s(dav.as_ref().and_then(|t| t.username.as_deref()).unwrap_or("")),
            secret: s(""),
            clear_secret: RwSignal::new(false),
            mode: s(mode),
            count: s(&count.to_string()),
            last: s(&cal.0.to_string()),
            daily: s(&cal.1.to_string()),
            weekly: s(&cal.2.to_string()),
            monthly: s(&cal.3.to_string()),
        }
    }

    fn policy(&self) -> Result<RetentionPolicy, FormError> {
        let n = |field: &str, label: &str, v: RwSignal<String>| parse_int(field, label, &v.get()).map_err(FormError::from);
        Ok(if self.mode.get() == "calendar" {
            RetentionPolicy::Calendar {
                last: n("retention.last", "Last backups to keep", self.last)?,
                daily: n("retention.daily", "Days", self.daily)?,
                weekly: n("retention.weekly", "Weeks", self.weekly)?,
                monthly: n("retention.monthly", "Months", self.monthly)?,
            }
        } else {
            RetentionPolicy::KeepLast { count: n("retention.count", "Backups to keep", self.count)? }
        })
    }

    fn input(&self, id: Option<i64>) -> Result<LocationInput, FormError> {
        let target = if self.kind.get() == "webdav" {
            LocationTarget::Webdav(WebdavTarget { url: self.url.get(), username: Some(self.username.get()).filter(|u| !u.trim().is_empty()) })
        } else {
            LocationTarget::S3(S3Target {
                endpoint: self.endpoint.get(),
                region: self.region.get(),
                bucket: self.bucket.get(),
                prefix: self.prefix.get(),
                access_key_id: self.access_key_id.get(),
                path_style: self.path_style.get(),
            })
        };
        let settings = LocationSettings {
            name: self.name.get(),
            enabled: self.enabled.get(),
            require_encryption: self.require_encryption.get(),
            retention: self.policy()?,
            target,
        };
        // Same rules as the server, before anything is sent.
        let settings = settings.validate().map_err(FormError::from)?;
        Ok(LocationInput {
            id,
            settings,
            secret: SecretUpdate { value: Some(self.secret.get()).filter(|v| !v.is_empty()), clear: self.clear_secret.get() },
        })
    }
}

/// The form. `location`: the one edited (None: a new one). `on_done` runs after a save (with
/// what was saved) or on cancel (None).
#[component]
pub(super) fn LocationForm(location: Option<LocationView>, on_done: Callback<Option<LocationView>>) -> impl IntoView {
    let id = location.as_ref().map(|l| l.id);
    let saved_policy = location.as_ref().map(|l| l.settings.retention);
    let has_secret = location.as_ref().is_some_and(|l| l.has_secret);
    let kind_at_start = location.as_ref().map(|l| l.settings.target.kind());
    let f = Fields::new(location.as_ref());
    let save = ServerAction::<SaveLocation>::new();
    let test = ServerAction::<TestLocation>::new();
    let preview = ServerAction::<PreviewLocationRetention>::new();
    let error = RwSignal::new(None::<FormError>);
    let error_sig = Signal::derive(move || error.get());
    // The stored secret only counts for the kind it was stored for (changing the kind drops it).
    let secret_set = Signal::derive(move || has_secret && kind_at_start == Some(if f.kind.get() == "webdav" { "webdav" } else { "s3" }));
    let title = if location.is_some() { "Edit the location" } else { "Add a location" };
    let focus_error = move |e: &FormError| {
        let target = match e.field.as_deref().filter(|x| FIELDS.contains(x)) {
            Some(field) => format!("#loc-{}", field.replace(['.', '_'], "-")),
            None => "#location-form-error".to_string(),
        };
        crate::browser::focus(&target);
    };
    // A changed policy of a saved location: its preview must have been seen before saving.
    let policy_needs_preview = move || -> bool {
        let (Some(_), Ok(p)) = (id, f.policy()) else { return false };
        Some(p) != saved_policy && preview.value().with(|v| !matches!(v, Some(Ok(r)) if r.policy == p))
    };
    let run_preview = move || {
        if let Some(id) = id {
            match f.policy().and_then(|p| p.validate().map_err(FormError::from)) {
                Ok(policy) => {
                    error.set(None);
                    preview.dispatch(PreviewLocationRetention { id, policy });
                }
                Err(e) => {
                    focus_error(&e);
                    error.set(Some(e));
                }
            }
        }
    };
    // A save waiting for the preview of its new policy: it goes on when that deletes nothing;
    // otherwise what it deletes is shown and the next "Save" saves.
    let save_after_preview = RwSignal::new(None::<LocationInput>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match f.input(id) {
            Ok(input) if policy_needs_preview() => {
                save_after_preview.set(Some(input));
                run_preview();
            }
            Ok(input) => {
                error.set(None);
                save.dispatch(SaveLocation { input });
            }
            Err(e) => {
                focus_error(&e);
                error.set(Some(e));
            }
        }
    };
    let run_test = move |_| match f.input(id) {
        Ok(input) => {
            error.set(None);
            test.dispatch(TestLocation { input });
        }
        Err(e) => {
            focus_error(&e);
            error.set(Some(e));
        }
    };
    Effect::new(move |_| match save.value().get() {
        Some(Ok(v)) => on_done.run(Some(v)),
        Some(Err(e)) => {
            let e = FormError::from(e);
            focus_error(&e);
            error.set(Some(e));
        }
        None => {}
    });
    Effect::new(move |_| match preview.value().get() {
        Some(Ok(r)) => {
            if let Some(input) = save_after_preview.try_update(Option::take).flatten() {
                if r.delete.is_empty() && input.settings.retention == r.policy {
                    save.dispatch(SaveLocation { input });
                }
            }
        }
        Some(Err(e)) => {
            save_after_preview.set(None);
            error.set(Some(e.into()));
        }
        None => {}
    });
    Effect::new(move |_| {
        if let Some(Err(e)) = test.value().get() {
            error.set(Some(e.into()));
        }
    });
    let at = move |field: &'static str| error_at(error_sig, field);
    let is_s3 = move || f.kind.get() != "webdav";
    let calendar = move || f.mode.get() == "calendar";

    view! {
        <form class="location-form card" on:submit=submit novalidate aria-labelledby="location-form-title" data-testid="location-form">
            <h3 id="location-form-title">{title}</h3>
            {view! {
                <div class="form-grid">
                    <TextField id="loc-name" label="Name" value=f.name error=at("name") placeholder="Backblaze B2"/>
                    <SelectField id="loc-kind" label="Kind" value=f.kind options=vec![("s3", "S3-compatible object storage"), ("webdav", "WebDAV folder")]/>
                </div>
            }.into_any()}
            {move || if is_s3() {
                view! {
                    <fieldset>
                        <legend>"S3-compatible bucket"</legend>
                        <TextField id="loc-endpoint" label="Endpoint URL" value=f.endpoint error=at("endpoint") placeholder="https://s3.eu-central-003.backblazeb2.com"/>
                        <div class="form-grid">
                            <TextField id="loc-region" label="Region" value=f.region error=at("region")/>
                            <TextField id="loc-bucket" label="Bucket" value=f.bucket error=at("bucket")/>
                        </div>
                        <TextField id="loc-prefix" label="Key prefix" value=f.prefix error=at("prefix")
                            hint="The “folder” inside the bucket the backups go to; empty for the top."/>
                        <TextField id="loc-access-key-id" label="Access key id" value=f.access_key_id error=at("access_key_id") autocomplete="off"/>
                        <SecretField id="loc-secret-key" label="Secret key" is_set=secret_set value=f.secret clear=f.clear_secret error=at("secret_key")/>
                        <CheckField id="loc-path-style" label="Path-style addressing (MinIO, Garage, most self-hosted servers)" value=f.path_style/>
                    </fieldset>
                }.into_any()
            } else {
                view! {
                    <fieldset>
                        <legend>"WebDAV folder"</legend>
                        <TextField id="loc-url" label="Folder URL" value=f.url error=at("url") placeholder="https://cloud.example/remote.php/dav/files/me/tt"/>
                        <TextField id="loc-username" label="Username" value=f.username error=at("username") autocomplete="off"
                            hint="Leave empty when the server asks for no login."/>
                        <SecretField id="loc-password" label="Password" is_set=secret_set value=f.secret clear=f.clear_secret error=at("password")/>
                    </fieldset>
                }.into_any()
            }}
            {view! {
                <CheckField id="loc-require-encryption" label="Require encryption (only encrypted .ttbak copies are sent here)" value=f.require_encryption/>
                <p class="hint">"A plain backup is encrypted with the backup password before it leaves this server; with no backup password set, the upload to this location fails and says so."</p>
                <CheckField id="loc-enabled" label="Enabled (each backup run copies to this location)" value=f.enabled/>
            }.into_any()}
            {view! {
                <fieldset>
                    <legend>"Retention in this location"</legend>
                    <SelectField id="loc-retention-mode" label="Policy" value=f.mode
                        options=vec![("keep_last", "Keep the last N"), ("calendar", "Calendar: last N, plus one per day, week and month")]/>
                    {move || if calendar() {
                        view! {
                            <div class="form-grid">
                                <TextField id="loc-retention-last" label="Last backups (0–365)" kind="number" value=f.last error=at("retention.last")/>
                                <TextField id="loc-retention-daily" label="Days with one each (0–366)" kind="number" value=f.daily error=at("retention.daily")/>
                                <TextField id="loc-retention-weekly" label="Weeks with one each (0–520)" kind="number" value=f.weekly error=at("retention.weekly")/>
                                <TextField id="loc-retention-monthly" label="Months with one each (0–240)" kind="number" value=f.monthly error=at("retention.monthly")/>
                            </div>
                        }.into_any()
                    } else {
                        view! { <TextField id="loc-retention-count" label="Backups to keep (1–365)" kind="number" value=f.count error=at("retention.count")/> }.into_any()
                    }}
                    <p class="hint">"Only this instance's verified copies are ever deleted; never the newest verified one, never a pinned one, never anything else under the prefix."</p>
                    {id.map(|_| view! {
                        <button class="btn" type="button" on:click=move |_| run_preview() disabled=move || preview.pending().get()>"Preview what this policy deletes"</button>
                    })}
                    <RetentionPreviewView preview=Signal::derive(move || preview.value().get().and_then(Result::ok))/>
                </fieldset>
            }.into_any()}
            {view! {
                <div id="location-form-error" tabindex="-1"><ErrorNotice error=error_elsewhere(error_sig, FIELDS)/></div>
                <div role="status" aria-live="polite" data-testid="connection-test">
                    {move || test.pending().get().then(|| view! { <p>"Testing the connection…"</p> })}
                    {move || test.value().get().and_then(Result::ok).map(|t| view! {
                        <div class=if t.ok { "success-box" } else { "notice" }>
                            <p class=if t.ok { "success" } else { "error" } data-testid="connection-test-message">{t.message.clone()}</p>
                            <ul class="hint">
                                {t.steps.into_iter().map(|s| view! { <li>{if s.ok { "✓ " } else { "✗ " }}{s.step}": "{s.message}</li> }).collect_view()}
                            </ul>
                        </div>
                    })}
                </div>
                <Show when=move || policy_needs_preview() && !preview.pending().get()>
                    <p class="hint">"The retention policy changed: “Save” first checks which backups it would delete there, and shows them before saving."</p>
                </Show>
                <div class="actions">
                    <button class="btn btn-primary" type="submit" disabled=move || save.pending().get()>"Save"</button>
                    <button class="btn" type="button" on:click=run_test disabled=move || test.pending().get()>"Test connection"</button>
                    <button class="btn" type="button" on:click=move |_| on_done.run(None)>"Cancel"</button>
                </div>
            }.into_any()}
        </form>
    }
}

/// What the policy would keep and delete now (nothing changed yet); also the storage path's.
#[component]
pub(super) fn RetentionPreviewView(#[prop(into)] preview: Signal<Option<RetentionPreview>>) -> impl IntoView {
    move || {
        preview.get().map(|r| {
            let deletes = r.delete.len();
            view! {
                <div class="notice info" role="region" aria-label="Retention preview" data-testid="retention-preview">
                    <p><strong>{if deletes == 0 {
                        format!("This policy ({}) deletes none of the {} backups there now.", r.policy.describe(), r.keep.len())
                    } else {
                        format!("This policy ({}) would delete {deletes} of the {} backups there at the next run:", r.policy.describe(), r.keep.len() + deletes)
                    }}</strong></p>
                    {(deletes > 0).then(|| view! {
                        <ul>{r.delete.iter().map(|d| view! { <li><code>{d.file_name.clone()}</code> " (" {d.created_at.format("%Y-%m-%d %H:%M UTC").to_string()} ")"</li> }).collect_view()}</ul>
                    })}
                    {(!r.keep.is_empty()).then(|| view! {
                        <details><summary>"Kept"</summary>
                            <ul>{r.keep.iter().map(|k| view! { <li><code>{k.file_name.clone()}</code> " — " {k.reasons.join(", ")}</li> }).collect_view()}</ul>
                        </details>
                    })}
                </div>
            }
        })
    }
}
