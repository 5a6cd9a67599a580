//! Configuration: scheduled backups, storage path, encryption and the backup password.

use super::location_form::RetentionPreviewView;
use crate::api::backup::SaveBackupSettings;
use crate::api::locations::PreviewLocalRetention;
use crate::components::{action_error, error_at, error_elsewhere, ErrorNotice, FormError, SecretField, SelectField, SuccessNotice, TextField};
use crate::model::backup::{BackupOverview, BackupSettingsInput, BACKUP_PASSWORD_MIN_LEN};
use crate::model::settings::{BackupSettings, CalendarRetention, Frequency};
use crate::model::SecretUpdate;
use leptos::prelude::*;

/// The fields of this form that show their own errors (any other error shows under the form).
const FIELDS: &[&str] = &["retention_count", "retention.daily", "retention.weekly", "retention.monthly", "storage_path", "backup_password"];

/// The calendar fields as shown (a policy without them starts from a common choice).
fn calendar_fields(c: Option<CalendarRetention>) -> (String, [String; 3]) {
    let mode = if c.is_some() { "calendar" } else { "keep_last" };
    let c = c.unwrap_or(CalendarRetention { daily: 7, weekly: 4, monthly: 12 });
    (mode.to_string(), [c.daily.to_string(), c.weekly.to_string(), c.monthly.to_string()])
}

#[component]
pub(super) fn ConfigSection(dirty: RwSignal<bool>) -> impl IntoView {
    let ov = expect_context::<RwSignal<BackupOverview>>();
    let overview = ov.get_untracked();
    let saved = RwSignal::new(overview.settings.clone());
    let has_pw = RwSignal::new(overview.has_backup_password);
    let enabled = RwSignal::new(overview.settings.schedule_enabled);
    let frequency = RwSignal::new(overview.settings.frequency);
    let retention = RwSignal::new(overview.settings.retention_count.to_string());
    let (mode0, [d0, w0, m0]) = calendar_fields(overview.settings.calendar);
    let mode = RwSignal::new(mode0);
    let (daily, weekly, monthly) = (RwSignal::new(d0), RwSignal::new(w0), RwSignal::new(m0));
    let preview = ServerAction::<PreviewLocalRetention>::new();
    let encrypt = RwSignal::new(overview.settings.encrypt);
    let path = RwSignal::new(overview.settings.storage_path.clone().unwrap_or_default());
    let password = RwSignal::new(String::new());
    let clear_pw = RwSignal::new(false);
    let save = ServerAction::<SaveBackupSettings>::new();
    let just_saved = RwSignal::new(false);
    // The backup password of the save in flight, for the emergency kit (kept in this page only).
    let typed_pw = RwSignal::new(None::<String>);
    let kit = RwSignal::new(None::<super::kit::Kit>);
    // After any restore or undo the stored backup password may be another: the kit offer goes.
    let restored = expect_context::<super::Restored>();
    Effect::new(move |first: Option<()>| {
        restored.0.track();
        if first.is_some() {
            kit.set(None);
        }
    });

    // Puts the form back to `s` (after a discard, or when the stored settings changed elsewhere:
    // a restore, an undo).
    let reset_to = move |s: BackupSettings| {
        enabled.set(s.schedule_enabled);
        frequency.set(s.frequency);
        retention.set(s.retention_count.to_string());
        let (m, [d, w, mo]) = calendar_fields(s.calendar);
        mode.set(m);
        daily.set(d);
        weekly.set(w);
        monthly.set(mo);
        encrypt.set(s.encrypt);
        path.set(s.storage_path.clone().unwrap_or_default());
        password.set(String::new());
        clear_pw.set(false);
        saved.set(s);
    };

    let form_input = move || -> Result<BackupSettingsInput, FormError> {
        let retention_count = crate::validate::parse_int("retention_count", "Retention count", &retention.get())?;
        let n = |field: &str, label: &str, v: RwSignal<String>| crate::validate::parse_int(field, label, &v.get());
        let calendar = if mode.get() == "calendar" {
            Some(CalendarRetention {
                daily: n("retention.daily", "Days", daily)?,
                weekly: n("retention.weekly", "Weeks", weekly)?,
                monthly: n("retention.monthly", "Months", monthly)?,
            })
        } else {
            None
        };
        Ok(BackupSettingsInput {
            settings: BackupSettings {
                schedule_enabled: enabled.get(),
                frequency: frequency.get(),
                retention_count,
                encrypt: encrypt.get(),
                storage_path: Some(path.get()).filter(|p| !p.trim().is_empty()),
                calendar,
            },
            backup_password: SecretUpdate { value: Some(password.get()).filter(|p| !p.is_empty()), clear: clear_pw.get() },
        })
    };
    // Inline validation with the same rules as the server.
    let problem = Memo::new(move |_| match form_input() {
        Err(e) => Some(e),
        Ok(input) => input.validate(has_pw.get()).err().map(FormError::from),
    });
    let is_dirty = Memo::new(move |_| {
        let s = saved.get();
        enabled.get() != s.schedule_enabled
            || frequency.get() != s.frequency
            || retention.get() != s.retention_count.to_string()
            || (mode.get(), [daily.get(), weekly.get(), monthly.get()]) != calendar_fields(s.calendar)
            || encrypt.get() != s.encrypt
            || path.get() != s.storage_path.clone().unwrap_or_default()
            || !password.get().is_empty()
            || clear_pw.get()
    });
    // One error at a time, shown in one place: the form's own check while there are changes,
    // else what the server answered to the last save.
    let server_error = RwSignal::new(None::<FormError>);
    let error = Signal::derive(move || problem.get().filter(|_| is_dirty.get()).or_else(|| server_error.get()));
    Effect::new(move |_| dirty.set(is_dirty.get()));
    Effect::new(move |_| match save.value().get() {
        Some(Ok(o)) => {
            saved.set(o.settings.clone());
            has_pw.set(o.has_backup_password);
            password.set(String::new());
            clear_pw.set(false);
            just_saved.set(true);
            server_error.set(None);
            if let Some(pw) = typed_pw.get_untracked() {
                kit.set(Some(super::kit::Kit::new(pw, &o)));
            }
            typed_pw.set(None);
            ov.set(o);
        }
        Some(Err(e)) => {
            typed_pw.set(None);
            server_error.set(Some(e.into()));
        }
        None => {}
    });
    // The stored settings changed without this form (a restore, an undo, a reload of the
    // overview): show them, and drop the "Saved" message of an earlier save.
    Effect::new(move |_| {
        let o = ov.get();
        if o.settings != saved.get_untracked() || o.has_backup_password != has_pw.get_untracked() {
            has_pw.set(o.has_backup_password);
            reset_to(o.settings);
            just_saved.set(false);
            server_error.set(None);
            // The kit was for the password typed before; the stored one may be another now.
            kit.set(None);
        }
    });
    let save_after_preview = RwSignal::new(None::<BackupSettingsInput>);
    let do_save = move |input: BackupSettingsInput| {
        typed_pw.set(input.backup_password.new_value().map(str::to_string));
        save.dispatch(SaveBackupSettings { input });
    };
    let preview_shows = move |p| preview.value().with_untracked(|v| matches!(v, Some(Ok(r)) if r.policy == p));
    let policy_needs_preview = move || {
        form_input()
            .ok()
            .map(|i| i.settings.policy())
            .is_some_and(|p| p != saved.get().policy() && !preview.value().with(|v| matches!(v, Some(Ok(r)) if r.policy == p)))
    };
    let run_preview = move |_| {
        if let Ok(i) = form_input() {
            preview.dispatch(PreviewLocalRetention { policy: i.settings.policy() });
        }
    };
    let preview_error = action_error(preview.value());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        just_saved.set(false);
        server_error.set(None);
        if let Some(p) = problem.get() {
            crate::browser::focus(&format!("#{}", p.field.as_deref().filter(|f| FIELDS.contains(f)).unwrap_or("config-title").replace('.', "-")));
            return;
        }
        if let Ok(input) = form_input() {
            // A changed policy: first see which stored backups it would delete; when it
            // deletes some, they are shown and the next "Save" saves.
            let policy = input.settings.policy();
            if policy != saved.get_untracked().policy() && !preview_shows(policy) {
                save_after_preview.set(Some(input));
                preview.dispatch(PreviewLocalRetention { policy });
                return;
            }
            do_save(input);
        }
    };
    Effect::new(move |_| match preview.value().get() {
        Some(Ok(r)) => {
            if let Some(input) = save_after_preview.try_update(Option::take).flatten() {
                if r.delete.is_empty() && input.settings.policy() == r.policy {
                    do_save(input);
                }
            }
        }
        Some(Err(_)) => save_after_preview.set(None),
        None => {}
    });
    let discard = move |_| {
        reset_to(saved.get());
        server_error.set(None);
    };
    let min_hint = format!(
        "At least {BACKUP_PASSWORD_MIN_LEN} characters. It encrypts the .ttbak backups; if it is lost they cannot be opened by anyone. After saving a new one you can download an emergency kit."
    );
    view! {
        <section class="card" aria-labelledby="config-title">
            <h2 id="config-title" tabindex="-1">"Configuration"
                <span class="badge" class:warn=move || is_dirty.get() class:ok=move || !is_dirty.get() role="status">
                    {move || if is_dirty.get() { "Unsaved changes" } else { "Saved" }}
                </span>
            </h2>
            <p class="hint">{move || match ov.get().next_run_local {
                Some(n) => format!("Next scheduled backup: {n}."),
                None => "Scheduled backups are off.".to_string(),
            }} " Scheduled backups run at 03:00 server time (daily, on Mondays, or on the 1st of the month) and are written to the storage path on the server."</p>
            <form on:submit=submit novalidate>
                <div class="field check">
                    // `checked` for the server-rendered page (before the scripts run), the binding after.
                    <input id="schedule_enabled" type="checkbox" checked=move || enabled.get() bind:checked=enabled/>
                    <label for="schedule_enabled">"Scheduled backups"</label>
                </div>
                <div class="form-grid">
                    <FrequencyField value=frequency/>
                    <TextField id="retention_count" label="Backups to keep (1–365)" kind="number" value=retention
                        error=error_at(error, "retention_count")/>
                </div>
                {view! {
                    <div class="form-grid">
                        <SelectField id="retention_mode" label="Retention on this server" value=mode
                            options=vec![("keep_last", "Keep the last N"), ("calendar", "Calendar: the last N, plus one per day, week and month")]/>
                    </div>
                    <Show when=move || mode.get() == "calendar">
                        <div class="form-grid">
                            <TextField id="retention-daily" label="Days with one each (0–366)" kind="number" value=daily error=error_at(error, "retention.daily")/>
                            <TextField id="retention-weekly" label="Weeks with one each (0–520)" kind="number" value=weekly error=error_at(error, "retention.weekly")/>
                            <TextField id="retention-monthly" label="Months with one each (0–240)" kind="number" value=monthly error=error_at(error, "retention.monthly")/>
                        </div>
                    </Show>
                    <div class="actions">
                        <button class="btn" type="button" on:click=run_preview disabled=move || preview.pending().get()>"Preview what this policy deletes"</button>
                    </div>
                    <ErrorNotice error=preview_error/>
                    <RetentionPreviewView preview=Signal::derive(move || preview.value().get().and_then(Result::ok))/>
                    <Show when=move || policy_needs_preview() && !preview.pending().get()>
                        <p class="hint">"The retention policy changed: “Save” first checks which stored backups it would delete, and shows them before saving."</p>
                    </Show>
                }.into_any()}
                <TextField id="storage_path" label="Storage path on the server" value=path error=error_at(error, "storage_path")
                    placeholder="/srv/backups/tracker-tracker" hint="An absolute directory; created if missing; it must be writable."/>
                <div class="field check">
                    <input id="encrypt" type="checkbox" checked=move || encrypt.get() bind:checked=encrypt/>
                    <label for="encrypt">"Encrypt backups (.ttbak)"</label>
                </div>
                <SecretField id="backup_password" label="Backup password (separate from your login password)"
                    is_set=Signal::derive(move || has_pw.get()) value=password clear=clear_pw reveal=true
                    hint=min_hint error=error_at(error, "backup_password")/>
                <ErrorNotice error=error_elsewhere(error, FIELDS)/>
                <SuccessNotice message=Signal::derive(move || (just_saved.get() && !is_dirty.get()).then(|| "Saved. The schedule was updated.".to_string()))/>
                <div class="actions">
                    <button class="btn btn-primary" type="submit" disabled=move || !is_dirty.get() || save.pending().get()>"Save"</button>
                    <button class="btn" type="button" on:click=discard disabled=move || !is_dirty.get()>"Discard changes"</button>
                </div>
            </form>
            {move || kit.get().map(|k| view! { <super::kit::KitOffer kit=k on_close=Callback::new(move |()| kit.set(None))/> })}
        </section>
    }
}

/// The frequency select, typed: its options are `Frequency::ALL` (the DOM's value is one of their
/// `as_str`, so it always parses; anything else would leave the choice as it was).
#[component]
fn FrequencyField(value: RwSignal<Frequency>) -> impl IntoView {
    view! {
        <div class="field">
            <label for="frequency">"Frequency"</label>
            <select id="frequency" name="frequency" prop:value=move || value.get().as_str()
                on:change=move |ev| {
                    if let Ok(f) = event_target_value(&ev).parse::<Frequency>() {
                        value.set(f)
                    }
                }>
                {Frequency::ALL
                    .iter()
                    .map(|&f| view! { <option value=f.as_str() selected=move || value.get() == f>{f.label()}</option> })
                    .collect_view()}
            </select>
        </div>
    }
}
