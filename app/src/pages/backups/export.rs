//! Export: a backup downloaded to this browser.

use crate::components::{ErrorNotice, SuccessNotice, TextField};
use crate::model::backup::BackupOverview;
use leptos::prelude::*;

#[component]
pub(super) fn ExportSection(dirty: RwSignal<bool>) -> impl IntoView {
    let ov = expect_context::<RwSignal<BackupOverview>>();
    let one_off = RwSignal::new(String::new());
    // What the server answered (in the download frame), and the one-off password's own check.
    let error = RwSignal::new(None::<String>);
    let pw_error = RwSignal::new(None::<String>);
    let started = RwSignal::new(false);
    let frame = NodeRef::<leptos::html::Iframe>::new();
    let encrypt = move || ov.with(|o| o.settings.encrypt);
    let has_pw = move || ov.with(|o| o.has_backup_password);
    let blocked = move || -> Option<&'static str> {
        if dirty.get() {
            Some("Save or discard the configuration changes below first.")
        } else if encrypt() && !has_pw() && one_off.with(|p| p.is_empty()) {
            Some("Encryption is on but no backup password is set: set one below, or type a one-off password.")
        } else {
            None
        }
    };
    let what = move || {
        if !one_off.with(|p| p.is_empty()) {
            "an encrypted .ttbak file, with the one-off password below"
        } else if encrypt() {
            "an encrypted .ttbak file, with your backup password"
        } else {
            "a plain .json file (its secrets stay encrypted inside it)"
        }
    };
    let on_frame_load = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(f) = frame.get() {
            if let Some(msg) = crate::browser::frame_error(&f) {
                error.set(Some(msg));
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = frame;
    };
    view! {
        <section class="card" aria-labelledby="export-title">
            <h2 id="export-title">"Export"</h2>
            <p>"Downloads a backup of everything to this browser — " {what} ". It is " <strong>"downloaded to your browser, not saved on the server"</strong> "."</p>
            {move || has_pw().then(|| view! {
                <p class="notice">"A backup password is set. If it is lost, the encrypted backups made with it cannot be opened by anyone — not by you, and not by us. Keep it somewhere safe, apart from the backups."</p>
            })}
            <form method="post" action="/api/backup/export" target="export-frame"
                on:submit=move |ev| {
                    error.set(None);
                    pw_error.set(None);
                    if blocked().is_some() {
                        ev.prevent_default();
                        return;
                    }
                    if let Err(m) = check_one_off(&one_off.get()) {
                        ev.prevent_default();
                        pw_error.set(Some(m));
                        crate::browser::focus("#export-password");
                        return;
                    }
                    started.set(true);
                }>
                <TextField id="export-password" label="One-off backup password (optional)" kind="password" value=one_off
                    autocomplete="new-password" reveal=true error=Signal::derive(move || pw_error.get())
                    hint=format!("Encrypts this download only; leave empty to use the settings. At least {} characters; check it with “Show”: the file cannot be opened without it.", crate::model::backup::BACKUP_PASSWORD_MIN_LEN)/>
                <input type="hidden" name="password" prop:value=move || one_off.get()/>
                <div class="actions">
                    <button class="btn btn-primary" type="submit" disabled=move || blocked().is_some()
                        aria-describedby="export-blocked">"Export Now"</button>
                    <span id="export-blocked" class="hint">{move || blocked().unwrap_or("")}</span>
                </div>
            </form>
            <ErrorNotice error=Signal::derive(move || error.get())/>
            <SuccessNotice message=Signal::derive(move || (started.get() && error.get().is_none() && pw_error.get().is_none()).then(|| "The download has started: your browser saves the file.".to_string()))/>
            <iframe name="export-frame" title="Export download" hidden node_ref=frame on:load=on_frame_load></iframe>
        </section>
    }
}

/// Empty means "use the settings": only a password that is typed must be long enough.
fn check_one_off(p: &str) -> Result<(), String> {
    if p.is_empty() {
        return Ok(());
    }
    crate::rules::check_backup_password(p, crate::rules::PasswordName::OneOffBackup).map_err(|e| e.to_string())
}
