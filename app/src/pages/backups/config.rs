//! Configuration: scheduled backups, storage path, encryption and the backup password.

use crate::api::backup::SaveBackupSettings;
use crate::components::{form_error, ErrorNotice, SecretField, SelectField, SuccessNotice, TextField};
use crate::model::backup::{BackupOverview, BackupSettingsInput};
use crate::model::settings::BackupSettings;
use crate::model::SecretUpdate;
use leptos::prelude::*;

#[component]
pub(super) fn ConfigSection(dirty: RwSignal<bool>) -> impl IntoView {
    let ov = expect_context::<RwSignal<BackupOverview>>();
    let overview = ov.get_untracked();
    let saved = RwSignal::new(overview.settings.clone());
    let has_pw = RwSignal::new(overview.has_backup_password);
    let enabled = RwSignal::new(overview.settings.schedule_enabled);
    let frequency = RwSignal::new(overview.settings.frequency.clone());
    let retention = RwSignal::new(overview.settings.retention_count.to_string());
    let encrypt = RwSignal::new(overview.settings.encrypt);
    let path = RwSignal::new(overview.settings.storage_path.clone().unwrap_or_default());
    let password = RwSignal::new(String::new());
    let clear_pw = RwSignal::new(false);
    let save = ServerAction::<SaveBackupSettings>::new();
    let (local_error, error) = form_error(save.value());
    let just_saved = RwSignal::new(false);

    let form_input = move || -> Result<BackupSettingsInput, String> {
        let retention_count = crate::validate::parse_int("retention_count", "Retention count", &retention.get()).map_err(|e| e.message)?;
        Ok(BackupSettingsInput {
            settings: BackupSettings {
                schedule_enabled: enabled.get(),
                frequency: frequency.get(),
                retention_count,
                encrypt: encrypt.get(),
                storage_path: Some(path.get()).filter(|p| !p.trim().is_empty()),
            },
            backup_password: SecretUpdate { value: Some(password.get()).filter(|p| !p.is_empty()), clear: clear_pw.get() },
        })
    };
    // Inline validation with the same rules as the server.
    let problem = Memo::new(move |_| match form_input() {
        Err(m) => Some(m),
        Ok(input) => input.validate(has_pw.get()).err().map(|e| e.message),
    });
    let is_dirty = Memo::new(move |_| {
        let s = saved.get();
        enabled.get() != s.schedule_enabled
            || frequency.get() != s.frequency
            || retention.get() != s.retention_count.to_string()
            || encrypt.get() != s.encrypt
            || path.get() != s.storage_path.clone().unwrap_or_default()
            || !password.get().is_empty()
            || clear_pw.get()
    });
    Effect::new(move |_| dirty.set(is_dirty.get()));
    Effect::new(move |_| {
        if let Some(Ok(o)) = save.value().get() {
            saved.set(o.settings.clone());
            has_pw.set(o.has_backup_password);
            password.set(String::new());
            clear_pw.set(false);
            just_saved.set(true);
            ov.set(o);
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        just_saved.set(false);
        local_error.set(problem.get());
        if problem.get().is_some() {
            return;
        }
        if let Ok(input) = form_input() {
            save.dispatch(SaveBackupSettings { input });
        }
    };
    let discard = move |_| {
        let s = saved.get();
        enabled.set(s.schedule_enabled);
        frequency.set(s.frequency.clone());
        retention.set(s.retention_count.to_string());
        encrypt.set(s.encrypt);
        path.set(s.storage_path.unwrap_or_default());
        password.set(String::new());
        clear_pw.set(false);
        local_error.set(None);
    };
    view! {
        <section class="card" aria-labelledby="config-title">
            <h2 id="config-title">"Configuration"
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
                    <input id="schedule_enabled" type="checkbox" bind:checked=enabled/>
                    <label for="schedule_enabled">"Scheduled backups"</label>
                </div>
                <div class="form-grid">
                    <SelectField id="frequency" label="Frequency" value=frequency
                        options=vec![("daily", "Daily"), ("weekly", "Weekly (Mondays)"), ("monthly", "Monthly (the 1st)")]/>
                    <TextField id="retention_count" label="Backups to keep (1–365)" kind="number" value=retention/>
                </div>
                <TextField id="storage_path" label="Storage path on the server" value=path
                    placeholder="/srv/backups/tracker-tracker" hint="An absolute directory; created if missing; it must be writable."/>
                <div class="field check">
                    <input id="encrypt" type="checkbox" bind:checked=encrypt/>
                    <label for="encrypt">"Encrypt backups (.ttbak)"</label>
                </div>
                <SecretField id="backup_password" label="Backup password (separate from your login password)"
                    is_set=Signal::derive(move || has_pw.get()) value=password clear=clear_pw/>
                <div class="field-error" role="alert" aria-live="polite">
                    {move || problem.get().filter(|_| is_dirty.get()).map(|m| view! { <p class="error">{m}</p> })}
                </div>
                <ErrorNotice error/>
                <SuccessNotice message=Signal::derive(move || (just_saved.get() && !is_dirty.get()).then(|| "Saved. The schedule was updated.".to_string()))/>
                <div class="actions">
                    <button class="btn btn-primary" type="submit" disabled=move || !is_dirty.get() || save.pending().get()>"Save"</button>
                    <button class="btn" type="button" on:click=discard disabled=move || !is_dirty.get()>"Discard changes"</button>
                </div>
            </form>
        </section>
    }
}
