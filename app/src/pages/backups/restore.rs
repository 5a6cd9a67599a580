//! Restore: from an uploaded file (previewed in the browser first) or a stored backup, with a dry run.

use super::{refresh, Reload, Source};
use crate::api::backup::RestoreStoredBackup;
use crate::backup_format::{FileKind, Header, Section};
use crate::browser::{self, Picked, Preview};
use crate::components::{human_bytes, ErrorNotice, TextField};
use crate::error::AppError;
use crate::model::backup::{BackupOverview, RestoreReport};
use leptos::prelude::*;
use leptos::task::spawn_local;

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
pub(super) fn RestoreSection(restore_source: RwSignal<Option<Source>>) -> impl IntoView {
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
