//! History: stored backups (verify, download, restore, delete) and files found in the storage directory.

use super::locations::CopyState;
use super::{refresh, Reload, Source};
use crate::api::backup::{DeleteStoredBackup, ImportFoundBackup, RunBackupNow, VerifyStoredBackup};
use crate::api::locations::{PinStoredBackup, VerifyLocationCopy};
use crate::components::{action_error, human_bytes, ErrorNotice, LockMark, TextField};
use crate::error::AppError;
use crate::model::backup::{BackupOverview, FoundFile, HistoryEntry, MadeBy, RunStatus, Trigger, VerifyStatus};
use crate::model::locations::CopyStatus;
use leptos::prelude::*;

/// The mark of a file written by the original Tracker Tracker (restored through the import).
const ORIGINAL_LABEL: &str = "Original app";

/// The trigger of a stored backup, for people. Exhaustive: a new trigger does not compile until
/// it has its label (an unknown value from the server does not decode at all).
fn trigger_label(trigger: Trigger) -> &'static str {
    match trigger {
        Trigger::Scheduled => "Scheduled",
        Trigger::Manual => "Run by hand",
        Trigger::PreRestore => "Before a restore",
        Trigger::Imported => "Added by hand",
    }
}

#[component]
pub(super) fn HistorySection(
    entries: Vec<HistoryEntry>,
    restore_source: RwSignal<Option<Source>>,
    notice: RwSignal<Option<String>>,
) -> impl IntoView {
    let reload = expect_context::<Reload>();
    let ov = expect_context::<RwSignal<BackupOverview>>();
    let verify = ServerAction::<VerifyStoredBackup>::new();
    let delete = ServerAction::<DeleteStoredBackup>::new();
    let run_now = ServerAction::<RunBackupNow>::new();
    let pin = ServerAction::<PinStoredBackup>::new();
    let verify_copy = ServerAction::<VerifyLocationCopy>::new();
    let confirm_delete = RwSignal::new(None::<i64>);
    let check_password = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(Ok(m)) = delete.value().get() {
            notice.set(Some(m));
        }
        if let Some(Ok(c)) = verify_copy.value().get() {
            notice.set(Some(match (c.status, c.error) {
                (CopyStatus::Verified, _) => format!("The copy in {} was read back whole: it matches.", c.location_name),
                (_, Some(why)) => why,
                (_, None) => format!("The copy in {} could not be checked.", c.location_name),
            }));
            reload.0.update(|n| *n += 1);
        }
        if let Some(Ok(e)) = pin.value().get() {
            let name = e.file_name.unwrap_or_default();
            notice.set(Some(if e.pinned {
                format!("Pinned {name}: retention never deletes it, here or in any location.")
            } else {
                format!("Unpinned {name}: retention counts it again.")
            }));
            reload.0.update(|n| *n += 1);
        }
        // Not after a refused run-now: the reload re-renders this section, and its message with it.
        if verify.value().get().is_some() || matches!(delete.value().get(), Some(Ok(_))) || matches!(run_now.value().get(), Some(Ok(_))) {
            reload.0.update(|n| *n += 1);
        }
        if run_now.value().get().is_some() {
            refresh(ov);
        }
    });
    let errors = Signal::derive(move || {
        action_error(verify.value())
            .get()
            .or_else(|| action_error(delete.value()).get())
            .or_else(|| action_error(pin.value()).get())
            .or_else(|| action_error(verify_copy.value()).get())
            .or_else(|| action_error(run_now.value()).get())
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
                                <th scope="col">"Date (UTC)"</th><th scope="col">"Trigger"</th><th scope="col">"File"</th><th scope="col" class="num">"Size"</th>
                                <th scope="col">"Status"</th><th scope="col">"Verified"</th><th scope="col">"Locations"</th><th scope="col">"Actions"</th>
                            </tr></thead>
                            <tbody>
                                {entries.into_iter().map(|e| {
                                    let id = e.id;
                                    let name = e.file_name.clone().unwrap_or_default();
                                    let encrypted = e.encrypted;
                                    let present = e.file_present;
                                    let status = match (e.status, e.error.clone()) {
                                        (RunStatus::Failed, Some(why)) => view! { <span class="badge bad">"Failed"</span> " " <span>{why}</span> }.into_any(),
                                        (RunStatus::Failed, None) => view! { <span class="badge bad">"Failed"</span> }.into_any(),
                                        (RunStatus::Completed, _) => view! { <span class="badge ok">"Completed"</span> }.into_any(),
                                        (RunStatus::Running, _) => view! { <span class="badge">"Running"</span> }.into_any(),
                                    };
                                    let verified = match e.verify_status {
                                        Some(VerifyStatus::Ok) => view! { <span class="badge ok" title=e.verify_message.clone()>"OK"</span> " " <small class="hint">{e.verify_message.clone()}</small> }.into_any(),
                                        Some(VerifyStatus::Failed) => view! { <span class="badge bad">"Failed"</span> " " <small>{e.verify_message.clone()}</small> }.into_any(),
                                        None => view! { <span class="hint">"—"</span> }.into_any(),
                                    };
                                    let name_for_restore = name.clone();
                                    let pinned = e.pinned;
                                    let copies = if e.copies.is_empty() {
                                        view! { <span class="hint">"—"</span> }.into_any()
                                    } else {
                                        view! {
                                            <ul class="copies">
                                                {e.copies.iter().cloned().map(|c| {
                                                    let copy_id = c.id;
                                                    let label = format!("Verify the copy in {}", c.location_name);
                                                    let checkable = matches!(c.status, CopyStatus::Verified | CopyStatus::Failed) && c.sha256.is_some();
                                                    view! {
                                                        <li><span data-testid="history-copy">{c.location_name.clone()} ": " <CopyState copy=c/></span>
                                                            {checkable.then(|| view! { " " <button class="btn btn-small" type="button" aria-label=label
                                                                disabled=move || verify_copy.pending().get()
                                                                on:click=move |_| { notice.set(None); verify_copy.dispatch(VerifyLocationCopy { id: copy_id }); }>"Verify"</button> })}
                                                        </li>
                                                    }
                                                }).collect_view()}
                                            </ul>
                                        }.into_any()
                                    };
                                    view! {
                                        <tr data-testid="history-row">
                                            <td data-label="Date (UTC)">{e.created_at.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
                                            <td data-label="Trigger">{trigger_label(e.trigger)}</td>
                                            <td data-label="File" class="history-file">
                                                <code>{e.file_name.clone().unwrap_or_else(|| "—".into())}</code>
                                                {(e.made_by == MadeBy::Original).then(|| view! { " " <span class="badge" data-testid="made-by-original">{ORIGINAL_LABEL}</span> })}
                                                {e.directory.clone().map(|d| view! { <small class="hint">"in " <code class="dir">{d}</code></small> })}
                                                {(!present && e.file_name.is_some()).then(|| view! { <small class="hint">"The file is no longer there."</small> })}
                                            </td>
                                            <td class="num" data-label="Size">{e.size_bytes.map(human_bytes).unwrap_or_default()}
                                                {encrypted.then(|| view! { " " <LockMark/> })}</td>
                                            <td data-label="Status">{status}</td>
                                            <td data-label="Verified">{verified}</td>
                                            <td data-label="Locations">{copies}</td>
                                            <td class="actions">
                                                {(e.file_name.is_some()).then(|| view! {
                                                    <button class="btn btn-small" type="button" aria-pressed=if pinned { "true" } else { "false" }
                                                        aria-label=format!("{} {}", if pinned { "Unpin" } else { "Pin" }, name)
                                                        on:click=move |_| { notice.set(None); pin.dispatch(PinStoredBackup { id, pinned: !pinned }); }>
                                                        {if pinned { "Unpin" } else { "Pin" }}</button>
                                                })}
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
pub(super) fn FoundFiles(found: Resource<Result<Vec<FoundFile>, AppError>>) -> impl IntoView {
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
                        <p class="hint">"Backup files copied here by hand, or written here by the original Tracker Tracker. Adding one checks it whole first; then it can be verified and restored like the others (an original app's backup is imported, as when it is uploaded)."</p>
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
                                        {f.created_at.map(|t| view! { " " <span class="hint">"made " {t.format("%Y-%m-%d %H:%M:%S UTC").to_string()}</span> })}
                                        {(f.made_by == MadeBy::Original).then(|| view! { " " <span class="badge" data-testid="made-by-original">{ORIGINAL_LABEL}</span> })}
                                        {f.encrypted.then(|| view! { " " <LockMark/> })}
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
