//! Settings → Backups: export, scheduled-backup settings, history, and restore with a preview
//! computed in the browser before anything is uploaded.

use crate::api::backup::{
    get_backup_overview, list_backup_history, list_found_backups, DeleteStoredBackup, ImportFoundBackup, RestoreStoredBackup, RunBackupNow,
    SaveBackupSettings, VerifyStoredBackup,
};
use crate::backup_format::{FileKind, Header, Section};
use crate::browser::{self, Picked, Preview};
use crate::components::{action_error, form_error, human_bytes, ErrorNotice, SecretField, SelectField, SuccessNotice, TextField};
use crate::error::AppError;
use crate::model::backup::{BackupOverview, BackupSettingsInput, FoundFile, HistoryEntry, RestoreReport};
use crate::model::settings::BackupSettings;
use crate::model::SecretUpdate;
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Shared by the sections: bump to reload the overview and the history.
#[derive(Clone, Copy)]
struct Reload(RwSignal<u32>);

/// Where a restore reads from.
#[derive(Clone, PartialEq)]
enum Source {
    Upload(Picked),
    Stored { id: i64, name: String, encrypted: bool },
}

#[component]
pub fn BackupsPage() -> impl IntoView {
    // Every resource is created here, before any suspense, so the browser finds the values the
    // server serialized (resources created inside a resolved Suspend may not line up).
    let reload = Reload(RwSignal::new(0));
    provide_context(reload);
    let overview = Resource::new(|| (), |_| get_backup_overview());
    let history = Resource::new(move || reload.0.get(), |_| list_backup_history());
    let found = Resource::new(move || reload.0.get(), |_| list_found_backups());
    view! {
        <h1>"Backups"</h1>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(o) => view! { <Sections initial=o history found/> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Reloads the overview (settings, next run, last failure) in place, without re-mounting the forms.
fn refresh(ov: RwSignal<BackupOverview>) {
    spawn_local(async move {
        if let Ok(o) = get_backup_overview().await {
            ov.set(o);
        }
    });
}

#[component]
fn Sections(
    initial: BackupOverview,
    history: Resource<Result<Vec<HistoryEntry>, AppError>>,
    found: Resource<Result<Vec<FoundFile>, AppError>>,
) -> impl IntoView {
    let ov = RwSignal::new(initial);
    provide_context(ov);
    // The configuration form reports here whether it has unsaved changes (export waits for it).
    let dirty = RwSignal::new(false);
    let restore_source = RwSignal::new(None::<Source>);
    // What the last history action did; kept here because the history is re-rendered on reload.
    let history_notice = RwSignal::new(None::<String>);
    // Each section is type-erased (into_any) to keep the view type small for the compiler.
    view! {
        {view! { <LastFailure/> }.into_any()}
        {view! { <ExportSection dirty/> }.into_any()}
        {view! { <ConfigSection dirty/> }.into_any()}
        <Transition fallback=|| view! { <p class="loading">"Loading the history…"</p> }>
            {move || Suspend::new(async move {
                match history.await {
                    Ok(h) => view! { <HistorySection entries=h restore_source notice=history_notice/> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                }
            })}
        </Transition>
        {view! { <FoundFiles found/> }.into_any()}
        {view! { <RestoreSection restore_source/> }.into_any()}
    }
}

#[component]
fn LastFailure() -> impl IntoView {
    let ov = expect_context::<RwSignal<BackupOverview>>();
    move || {
        ov.get().last_failure.map(|reason| {
            view! {
                <div class="notice" role="alert">
                    <strong>"The last scheduled backup failed: "</strong>{reason}
                    <p class="hint">"Fix the cause below, then use “Run a scheduled backup now” to check. Targets that opt in to “Backup failed” were notified."</p>
                </div>
            }
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Export

#[component]
fn ExportSection(dirty: RwSignal<bool>) -> impl IntoView {
    let ov = expect_context::<RwSignal<BackupOverview>>();
    let one_off = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
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
            if let Some(msg) = browser::frame_error(&f) {
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
                    if blocked().is_some() {
                        ev.prevent_default();
                        return;
                    }
                    if let Err(m) = check_one_off(&one_off.get()) {
                        ev.prevent_default();
                        error.set(Some(m));
                        return;
                    }
                    started.set(true);
                }>
                <TextField id="export-password" label="One-off backup password (optional)" kind="password" value=one_off
                    autocomplete="new-password" hint="Encrypts this download only; leave empty to use the settings."/>
                <input type="hidden" name="password" prop:value=move || one_off.get()/>
                <div class="actions">
                    <button class="btn btn-primary" type="submit" disabled=move || blocked().is_some()
                        aria-describedby="export-blocked">"Export Now"</button>
                    <span id="export-blocked" class="hint">{move || blocked().unwrap_or("")}</span>
                </div>
            </form>
            <ErrorNotice error=Signal::derive(move || error.get())/>
            <SuccessNotice message=Signal::derive(move || (started.get() && error.get().is_none()).then(|| "The download has started: your browser saves the file.".to_string()))/>
            <iframe name="export-frame" title="Export download" hidden node_ref=frame on:load=on_frame_load></iframe>
        </section>
    }
}

fn check_one_off(p: &str) -> Result<(), String> {
    let min = crate::model::backup::BACKUP_PASSWORD_MIN_LEN;
    if !p.is_empty() && p.chars().count() < min {
        return Err(format!("Use at least {min} characters for the one-off backup password."));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Configuration

#[component]
fn ConfigSection(dirty: RwSignal<bool>) -> impl IntoView {
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

// ---------------------------------------------------------------------------------------------
// History

fn trigger_label(trigger: &str) -> &'static str {
    match trigger {
        "pre_restore" => "Before a restore",
        "imported" => "Added by hand",
        _ => "Scheduled",
    }
}

#[component]
fn HistorySection(entries: Vec<HistoryEntry>, restore_source: RwSignal<Option<Source>>, notice: RwSignal<Option<String>>) -> impl IntoView {
    let reload = expect_context::<Reload>();
    let ov = expect_context::<RwSignal<BackupOverview>>();
    let verify = ServerAction::<VerifyStoredBackup>::new();
    let delete = ServerAction::<DeleteStoredBackup>::new();
    let run_now = ServerAction::<RunBackupNow>::new();
    let confirm_delete = RwSignal::new(None::<i64>);
    let check_password = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(Ok(m)) = delete.value().get() {
            notice.set(Some(m));
        }
        if verify.value().get().is_some() || matches!(delete.value().get(), Some(Ok(_))) || run_now.value().get().is_some() {
            reload.0.update(|n| *n += 1);
        }
        if run_now.value().get().is_some() {
            refresh(ov);
        }
    });
    let errors = Signal::derive(move || {
        action_error(verify.value()).get().or_else(|| action_error(delete.value()).get()).or_else(|| action_error(run_now.value()).get())
    });
    let empty = entries.is_empty();
    let any_encrypted = entries.iter().any(|e| e.encrypted && e.file_present);
    view! {
        <section class="card" aria-labelledby="history-title">
            <h2 id="history-title">"History"</h2>
            <p class="hint">"Backups stored on the server: scheduled ones, the copy saved before each restore (restore it to undo one), and files you added by hand."</p>
            <div class="actions">
                <button class="btn" type="button" disabled=move || run_now.pending().get() on:click=move |_| { notice.set(None); run_now.dispatch(RunBackupNow {}); }>
                    {move || if run_now.pending().get() { "Running…" } else { "Run a scheduled backup now" }}
                </button>
                <span class="hint">"Writes to the storage path like the 03:00 run, to check the configuration."</span>
            </div>
            <ErrorNotice error=errors/>
            {move || notice.get().map(|m| view! { <p role="status" class="hint" data-testid="history-notice">{m}</p> })}
            {any_encrypted.then(|| view! { <BackupPasswordField id="history-backup-password" value=check_password what="Verify"/> })}
            {if empty {
                view! { <p>"No stored backups yet."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="stack">
                            <thead><tr>
                                <th scope="col">"Date (UTC)"</th><th scope="col">"Trigger"</th><th scope="col" class="num">"Size"</th>
                                <th scope="col">"Status"</th><th scope="col">"Verified"</th><th scope="col">"Actions"</th>
                            </tr></thead>
                            <tbody>
                                {entries.into_iter().map(|e| {
                                    let id = e.id;
                                    let name = e.file_name.clone().unwrap_or_default();
                                    let encrypted = e.encrypted;
                                    let present = e.file_present;
                                    let status = match (e.status.as_str(), e.error.clone()) {
                                        ("failed", Some(why)) => view! { <span class="badge bad">"Failed"</span> " " <span>{why}</span> }.into_any(),
                                        ("completed", _) => view! { <span class="badge ok">"Completed"</span> }.into_any(),
                                        (other, _) => view! { <span class="badge">{other.to_string()}</span> }.into_any(),
                                    };
                                    let verified = match e.verify_status.as_deref() {
                                        Some("ok") => view! { <span class="badge ok" title=e.verify_message.clone()>"OK"</span> " " <small class="hint">{e.verify_message.clone()}</small> }.into_any(),
                                        Some(_) => view! { <span class="badge bad">"Failed"</span> " " <small>{e.verify_message.clone()}</small> }.into_any(),
                                        None => view! { <span class="hint">"—"</span> }.into_any(),
                                    };
                                    let name_for_restore = name.clone();
                                    view! {
                                        <tr data-testid="history-row">
                                            <td data-label="Date (UTC)">{e.created_at.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
                                            <td data-label="Trigger">{trigger_label(&e.trigger)}</td>
                                            <td class="num" data-label="Size">{e.size_bytes.map(human_bytes).unwrap_or_default()}
                                                {encrypted.then(|| view! { " " <span role="img" aria-label="encrypted" title="Encrypted (.ttbak)">"🔒"</span> })}</td>
                                            <td data-label="Status">{status}</td>
                                            <td data-label="Verified">{verified}</td>
                                            <td class="actions">
                                                {present.then(|| view! {
                                                    <a class="btn btn-small" href=format!("/api/backup/history/download?id={id}") download=name.clone()
                                                        aria-label=format!("Download {name}")>"Download"</a>
                                                    <button class="btn btn-small" type="button" on:click=move |_| { notice.set(None); verify.dispatch(VerifyStoredBackup { id, backup_password: optional(check_password) }); }
                                                        aria-label=format!("Verify {name}")>"Verify"</button>
                                                    <button class="btn btn-small" type="button" aria-label=format!("Restore {name}")
                                                        on:click=move |_| restore_source.set(Some(Source::Stored { id, name: name_for_restore.clone(), encrypted }))>"Restore"</button>
                                                })}
                                                {move || if confirm_delete.get() == Some(id) {
                                                    view! {
                                                        <button class="btn btn-small btn-danger" type="button" on:click=move |_| { delete.dispatch(DeleteStoredBackup { id }); confirm_delete.set(None); }>"Confirm delete"</button>
                                                        <button class="btn btn-small" type="button" on:click=move |_| confirm_delete.set(None)>"Cancel"</button>
                                                    }.into_any()
                                                } else {
                                                    view! { <button class="btn btn-small" type="button" on:click=move |_| confirm_delete.set(Some(id))>"Delete"</button> }.into_any()
                                                }}
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}

/// For encrypted files written with another backup password than the stored one (an older
/// password, another instance): used by `what` instead of the stored password.
#[component]
fn BackupPasswordField(id: &'static str, value: RwSignal<String>, what: &'static str) -> impl IntoView {
    view! {
        <TextField id=id label="Backup password for encrypted files" kind="password" value autocomplete="off"
            hint=format!("Leave empty to use the stored backup password. {what} decrypts a .ttbak with the one you type here.")/>
    }
}

fn optional(field: RwSignal<String>) -> Option<String> {
    Some(field.get_untracked()).filter(|p| !p.is_empty())
}

/// Backup files copied into the storage directory by hand (one too large to upload, one from
/// another machine): checked and added to the history on request, then restorable from there.
#[component]
fn FoundFiles(found: Resource<Result<Vec<FoundFile>, AppError>>) -> impl IntoView {
    let reload = expect_context::<Reload>();
    let import = ServerAction::<ImportFoundBackup>::new();
    let adding = RwSignal::new(None::<String>);
    let check_password = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(Ok(_)) = import.value().get() {
            reload.0.update(|n| *n += 1);
        }
    });
    let error = action_error(import.value());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let files = found.await.unwrap_or_default();
                let any_encrypted = files.iter().any(|f| f.encrypted);
                (!files.is_empty()).then(|| view! {
                    <section class="card found" aria-labelledby="found-title">
                        <h2 id="found-title">"Found in the storage directory"</h2>
                        <p class="hint">"Backup files copied here by hand. Adding one checks it whole first; then it can be verified and restored like the others."</p>
                        <ErrorNotice error/>
                        {any_encrypted.then(|| view! { <BackupPasswordField id="found-backup-password" value=check_password what="Check and add"/> })}
                        <ul class="found-list">
                            {files.into_iter().map(|f| {
                                let name = f.file_name.clone();
                                let label = format!("Check and add {name}");
                                let busy = { let name = name.clone(); move || import.pending().get() && adding.get().as_deref() == Some(name.as_str()) };
                                view! {
                                    <li data-testid="found-file">
                                        <code>{f.file_name.clone()}</code> " " <span class="hint">{human_bytes(f.size_bytes)}</span>
                                        {f.encrypted.then(|| view! { " " <span role="img" aria-label="encrypted" title="Encrypted (.ttbak)">"🔒"</span> })}
                                        " "
                                        <button class="btn btn-small" type="button" aria-label=label disabled=move || import.pending().get()
                                            on:click=move |_| { adding.set(Some(name.clone())); import.dispatch(ImportFoundBackup { file_name: name.clone(), backup_password: optional(check_password) }); }>
                                            {move || if busy() { "Checking…" } else { "Check and add" }}
                                        </button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    </section>
                })
            })}
        </Transition>
    }
}

// ---------------------------------------------------------------------------------------------
// Restore

/// The steps of a restore, in order.
#[derive(Clone, PartialEq)]
enum Step {
    Choose,
    NeedPassword,
    Decrypting(f64),
    Ready(Preview),
}

#[component]
/// `chunks`: for a .ttbak, how many encrypted chunks the browser decrypted and authenticated;
/// None for a plain backup, of which only the start was read here.
fn HeaderSummary(header: Header, chunks: Option<u64>) -> impl IntoView {
    view! {
        <dl class="summary-grid" data-testid="backup-preview">
            <div><dt>"Format version"</dt><dd>{header.format_version}</dd></div>
            <div><dt>"Made by"</dt><dd>{format!("Tracker Tracker {}", header.app_version)}</dd></div>
            <div><dt>"Created (UTC)"</dt><dd>{header.created_at.format("%Y-%m-%d %H:%M:%S").to_string()}</dd></div>
            <div><dt>"Instance"</dt><dd>{header.instance_url.clone().unwrap_or_else(|| "not recorded".into())}</dd></div>
            {Section::ALL.into_iter().map(|s| view! {
                <div><dt>{s.label()}</dt><dd data-section=s.key()>{header.counts.get(s)}</dd></div>
            }).collect_view()}
        </dl>
        {match chunks {
            Some(n) => view! { <p class="success">{format!("Decrypted and checked in this browser: all {n} encrypted chunks are authentic.")}</p> }.into_any(),
            None => view! { <p class="hint">"Read in this browser from the start of the file. The dry run checks every record on the server before anything changes."</p> }.into_any(),
        }}
    }
}

#[component]
fn RestoreSection(restore_source: RwSignal<Option<Source>>) -> impl IntoView {
    let reload = expect_context::<Reload>();
    let ov = expect_context::<RwSignal<BackupOverview>>();
    let overview = ov.get_untracked();
    let step = RwSignal::new(Step::Choose);
    let error = RwSignal::new(None::<String>);
    let backup_pw = RwSignal::new(String::new());
    let current_pw = RwSignal::new(String::new());
    let source_pw = RwSignal::new(String::new());
    let confirm = RwSignal::new(String::new());
    let dry = RwSignal::new(None::<RestoreReport>);
    let result = RwSignal::new(None::<RestoreReport>);
    let busy = RwSignal::new(None::<String>);
    let upload_progress = RwSignal::new(None::<f64>);
    let drag = RwSignal::new(false);
    let limit = overview.upload_limit_bytes;
    let instance_url = overview.instance_url.clone();
    let stored_restore = ServerAction::<RestoreStoredBackup>::new();
    let check_button = NodeRef::<leptos::html::Button>::new();

    let reset_after_source = move || {
        error.set(None);
        dry.set(None);
        result.set(None);
        confirm.set(String::new());
        backup_pw.set(String::new());
        upload_progress.set(None);
    };

    // A stored backup chosen in the history: read on the server, nothing to preview here.
    Effect::new(move |_| {
        if let Some(Source::Stored { .. }) = restore_source.get() {
            reset_after_source();
            step.set(Step::Choose);
        }
    });
    let stored_dry_run = RwSignal::new(true);

    let pick = move |p: Picked| {
        reset_after_source();
        restore_source.set(Some(Source::Upload(p.clone())));
        step.set(Step::Choose);
        spawn_local(async move {
            match browser::kind_of(&p).await {
                Ok(FileKind::Encrypted) => step.set(Step::NeedPassword),
                Ok(FileKind::Plain) => match browser::preview_plain(&p).await {
                    Ok(pv) => step.set(Step::Ready(pv)),
                    Err(e) => error.set(Some(e)),
                },
                Err(e) => error.set(Some(e)),
            }
        });
    };

    let on_change = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let input: web_sys::HtmlInputElement = ev.target().expect("change event has a target").unchecked_into();
            if let Some(file) = input.files().and_then(|f| f.get(0)) {
                pick(browser::from_file(file));
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, pick);
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        drag.set(false);
        #[cfg(feature = "hydrate")]
        if let Some(file) = ev.data_transfer().and_then(|d| d.files()).and_then(|f| f.get(0)) {
            pick(browser::from_file(file));
        }
    };

    let decrypt = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        let Some(Source::Upload(p)) = restore_source.get_untracked() else { return };
        let pw = backup_pw.get_untracked();
        if pw.is_empty() {
            error.set(Some("Enter the backup password of this file.".into()));
            return;
        }
        step.set(Step::Decrypting(0.0));
        spawn_local(async move {
            match browser::preview_encrypted(&p, &pw, move |f| step.set(Step::Decrypting(f))).await {
                Ok(pv) => step.set(Step::Ready(pv)),
                Err(e) => {
                    step.set(Step::NeedPassword);
                    error.set(Some(e));
                }
            }
        });
    };

    // Runs the dry run or the restore, from the upload or the stored backup.
    let run = move |dry_run: bool| {
        error.set(None);
        let Some(source) = restore_source.get_untracked() else { return };
        if current_pw.get_untracked().is_empty() {
            error.set(Some("Enter your current login password.".into()));
            return;
        }
        match source {
            Source::Upload(p) => {
                if p.size > limit as f64 {
                    error.set(Some(format!(
                        "This file is {}, larger than the upload limit of {}. Copy it into the backup storage directory on the server (keeping its name): it then appears on this page under “Found in the storage directory”, to be checked, added and restored from there.",
                        human_bytes(p.size as i64),
                        human_bytes(limit as i64)
                    )));
                    return;
                }
                let fields = [
                    ("current_password", current_pw.get_untracked()),
                    ("backup_password", backup_pw.get_untracked()),
                    ("source_password", source_pw.get_untracked()),
                    ("dry_run", dry_run.to_string()),
                ];
                busy.set(Some(if dry_run { "Checking the backup…".into() } else { "Restoring…".into() }));
                upload_progress.set(Some(0.0));
                spawn_local(async move {
                    let fields: Vec<(&str, String)> = fields.iter().map(|(k, v)| (*k, v.clone())).collect();
                    let outcome = browser::upload_restore(&p, &fields, move |f| upload_progress.set(Some(f))).await;
                    busy.set(None);
                    finish(outcome, dry_run, dry, result, error, reload, ov);
                });
            }
            Source::Stored { id, .. } => {
                busy.set(Some(if dry_run { "Checking the backup…".into() } else { "Restoring…".into() }));
                stored_dry_run.set(dry_run);
                stored_restore.dispatch(RestoreStoredBackup {
                    id,
                    current_password: current_pw.get_untracked(),
                    backup_password: Some(backup_pw.get_untracked()).filter(|p| !p.is_empty()),
                    source_password: Some(source_pw.get_untracked()).filter(|p| !p.is_empty()),
                    totp: None,
                    dry_run,
                });
            }
        }
    };
    Effect::new(move |_| {
        if let Some(outcome) = stored_restore.value().get() {
            busy.set(None);
            finish(outcome, stored_dry_run.get_untracked(), dry, result, error, reload, ov);
        }
    });

    let url_differs = move || {
        let from_file = match step.get() {
            Step::Ready(p) => p.header.instance_url,
            _ => dry.get().and_then(|d| d.header.instance_url),
        };
        from_file.is_some_and(|u| Some(u.trim_end_matches('/')) != instance_url.as_deref().map(|i| i.trim_end_matches('/')))
    };
    let can_check = move || {
        busy.get().is_none()
            && match restore_source.get() {
                Some(Source::Upload(_)) => matches!(step.get(), Step::Ready(_)),
                Some(Source::Stored { .. }) => true,
                None => false,
            }
    };

    view! {
        <section class="card" aria-labelledby="restore-title">
            <h2 id="restore-title">"Restore"</h2>
            <p>"Restoring replaces all current data with the backup's. The current data is saved first (see History), so a restore can be undone. Your login password stays the same and you stay logged in."</p>
            <div class="dropzone" class:active=move || drag.get()
                on:dragover=move |ev: leptos::ev::DragEvent| { ev.prevent_default(); drag.set(true); }
                on:dragleave=move |_| drag.set(false)
                on:drop=on_drop>
                <p>"Drop a backup file (.json or .ttbak) here, or"</p>
                <input id="restore-file" type="file" accept=".json,.ttbak,application/json" class="visually-hidden file-input" on:change=on_change/>
                <label for="restore-file" class="btn">"Choose a file…"</label>
            </div>
            {move || restore_source.get().map(|s| match s {
                Source::Upload(p) => view! { <p>"File: " <strong>{p.name.clone()}</strong> " (" {human_bytes(p.size as i64)} ")"</p> }.into_any(),
                Source::Stored { name, .. } => view! { <p>"Stored backup: " <strong>{name}</strong> " — read on the server, nothing is uploaded."</p> }.into_any(),
            })}
            {move || match step.get() {
                Step::NeedPassword => view! {
                    <form on:submit=decrypt>
                        <p>"This backup is encrypted. Enter its backup password: it is decrypted and checked here, in your browser, before anything is uploaded."</p>
                        <TextField id="preview-password" label="Backup password" kind="password" value=backup_pw autocomplete="off"/>
                        <button class="btn btn-primary" type="submit">"Open backup"</button>
                    </form>
                }.into_any(),
                Step::Decrypting(f) => view! {
                    <label for="decrypt-progress">"Decrypting and checking the file in this browser…"</label>
                    <progress id="decrypt-progress" max="100" value=format!("{:.0}", f * 100.0)>{format!("{:.0}%", f * 100.0)}</progress>
                }.into_any(),
                Step::Ready(p) => view! { <HeaderSummary header=p.header.clone() chunks=p.chunks_verified/> }.into_any(),
                Step::Choose => ().into_any(),
            }}
            <ErrorNotice error=Signal::derive(move || error.get())/>
            <Show when=move || url_differs()>
                <div class="notice" role="note">
                    <strong>"This backup comes from another instance"</strong>
                    " (its URL differs from this one's). Secrets it holds can only be carried over with the login password of that instance — enter it below; otherwise they are cleared and their owners disabled."
                </div>
            </Show>
            <Show when=move || restore_source.get().is_some()>
                <div class="form-grid">
                    <TextField id="restore-current-password" label="Your current login password" kind="password" value=current_pw autocomplete="current-password"/>
                    <TextField id="restore-source-password" label="Login password of the instance this came from (optional)" kind="password" value=source_pw autocomplete="off"
                        hint="Only needed when the backup comes from another instance with another password."/>
                </div>
                <Show when=move || matches!(restore_source.get(), Some(Source::Stored { encrypted: true, .. }))>
                    <TextField id="restore-backup-password" label="Backup password (if not the stored one)" kind="password" value=backup_pw autocomplete="off"/>
                </Show>
                <div class="actions">
                    <button class="btn" type="button" node_ref=check_button disabled=move || !can_check() on:click=move |_| run(true)>"Check (dry run)"</button>
                </div>
            </Show>
            {move || busy.get().map(|b| view! {
                <p role="status">{b}</p>
                {upload_progress.get().map(|f| view! {
                    <label for="upload-progress">"Upload"</label>
                    <progress id="upload-progress" max="100" value=format!("{:.0}", f * 100.0)>{format!("{:.0}%", f * 100.0)}</progress>
                })}
            })}
            {move || dry.get().map(|r| view! {
                <div class="notice info" data-testid="dry-run-report">
                    <h3>"Dry run: what the restore will do"</h3>
                    <ReportBody report=r.clone()/>
                    <form on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); if confirm.get() == "RESTORE" { run(false); } }>
                        <TextField id="restore-confirm" label="Type RESTORE to replace all current data with this backup" value=confirm autocomplete="off"/>
                        <button class="btn btn-danger" type="submit" disabled=move || confirm.get() != "RESTORE" || busy.get().is_some()>"Restore now"</button>
                    </form>
                </div>
            })}
            {move || result.get().map(|r| view! {
                <div class="success-box" role="status" data-testid="restore-result">
                    <h3>"Restore complete"</h3>
                    <ReportBody report=r.clone()/>
                    {r.pre_restore_backup.clone().map(|pre| {
                        let name = pre.file_name.clone();
                        let encrypted_note = pre.encrypted.then_some(
                            " It is encrypted with the backup password stored before this restore: if the restore brought another one, type the earlier one.",
                        );
                        let undo = move |_| {
                            restore_source.set(Some(Source::Stored { id: pre.id, name: pre.file_name.clone(), encrypted: pre.encrypted }));
                            if let Some(b) = check_button.get_untracked() {
                                let _ = b.focus();
                            }
                        };
                        view! {
                            <p>"The data as it was before is saved as " <code>{name}</code> " (in History)."</p>
                            <div class="actions">
                                <button class="btn" type="button" on:click=undo>"Undo this restore"</button>
                                <span class="hint">"Chooses that copy to restore: check it with a dry run and confirm, as here."{encrypted_note}</span>
                            </div>
                        }
                    })}
                    <p><a href="/">"Open the dashboard"</a>" to see the restored data."</p>
                </div>
            })}
        </section>
    }
}

fn finish(
    outcome: Result<RestoreReport, AppError>,
    dry_run: bool,
    dry: RwSignal<Option<RestoreReport>>,
    result: RwSignal<Option<RestoreReport>>,
    error: RwSignal<Option<String>>,
    reload: Reload,
    ov: RwSignal<BackupOverview>,
) {
    match outcome {
        Ok(r) if dry_run => dry.set(Some(r)),
        Ok(r) => {
            dry.set(None);
            result.set(Some(r));
            reload.0.update(|n| *n += 1);
            refresh(ov);
        }
        Err(e) => error.set(Some(e.message)),
    }
}

#[component]
fn ReportBody(report: RestoreReport) -> impl IntoView {
    let verb = if report.dry_run { "Will restore" } else { "Restored" };
    view! {
        <ul>
            {report.restored.iter().map(|c| view! { <li>{format!("{verb} {} {}", c.count, c.label.to_lowercase())}</li> }).collect_view()}
        </ul>
        <p>{format!("Secrets kept: {}. Secrets cleared: {}.", report.secrets_kept, report.secrets_cleared)}
            {report.same_key.then_some(" (Made by this instance: its secrets are kept as they are.)")}</p>
        {(!report.cleared.is_empty()).then(|| view! {
            <ul class="cleared">{report.cleared.iter().map(|c| view! { <li>{c.clone()}</li> }).collect_view()}</ul>
        })}
        {(!report.warnings.is_empty()).then(|| view! {
            <div class="notice" data-testid="restore-warnings">
                <ul>{report.warnings.iter().map(|w| view! { <li>{w.clone()}</li> }).collect_view()}</ul>
            </div>
        })}
        {if report.totp_disabled {
            view! {
                <p class="notice" data-testid="totp-notice">
                    <strong>"Two-factor login "{if report.dry_run { "will be turned off" } else { "was turned off" }}</strong>
                    ": its secret could not be carried over. "
                    <a href="/settings/security">"Set it up again in Settings → Security"</a>"."
                </p>
            }.into_any()
        } else {
            view! { <p>"Two-factor login: unchanged by this restore."</p> }.into_any()
        }}
    }
}
