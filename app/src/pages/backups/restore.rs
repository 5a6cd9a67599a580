//! Restore: from an uploaded file (previewed in the browser first) or a stored backup, with a dry run.

use super::original_report::OriginalReportBody;
use super::restore_flow::{Answer, MadeBy, RestoreFlow, RestoreInputs, Step};
use super::{refresh, Reload, Restored, Source};
use crate::api::backup::RestoreStoredBackup;
use crate::api::locations::RestoreFromLocation;
use crate::backup_format::{Header, Section};
use crate::browser::{self, Opened, OriginalPreview, Picked, Preview, Timing};
use crate::components::{human_bytes, ErrorNotice, FormError, TextField};
use crate::error::AppError;
use crate::model::backup::{BackupOverview, NamedRecord, RestoreReport, TotpChoice, TotpFate};
use leptos::prelude::*;
use leptos::task::spawn_local;
use tt_preview::count_rows;

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
    .into_any()
}

/// How long the check of a .ttbak took in this browser, the key derivation apart (it depends on
/// the backup's costs, not on its size).
#[component]
fn TimingNote(timing: Timing) -> impl IntoView {
    let secs = |ms: f64| format!("{:.1} s", ms / 1000.0);
    view! {
        <p class="hint" data-testid="preview-timing" data-kdf-ms=format!("{:.0}", timing.kdf_ms)
            data-read-ms=format!("{:.0}", timing.read_ms) data-total-ms=format!("{:.0}", timing.total_ms)>
            {format!("Checked in {} (deriving the key from the password: {}).", secs(timing.total_ms), secs(timing.kdf_ms))}
        </p>
    }
}

/// A backup of the original app: what its manifest says, and what that is worth.
#[component]
fn OriginalSummary(preview: OriginalPreview) -> impl IntoView {
    let m = preview.manifest;
    view! {
        <p class="notice info" data-testid="made-by-original">
            <strong>"This backup was made by the original Tracker Tracker"</strong>
            " (the Node.js app). It is restored through the same dry run and restore as this app's backups."
        </p>
        <dl class="summary-grid" data-testid="backup-preview" data-made-by="original">
            <div><dt>"Made by"</dt><dd data-testid="original-app-version">{format!(
                "The original Tracker Tracker {}", m.app_version.clone().unwrap_or_else(|| "(version not recorded)".into()))}</dd></div>
            <div><dt>"Backup format version"</dt><dd>{m.version}</dd></div>
            <div><dt>"Created (UTC)"</dt><dd data-testid="original-created">{m.created_at.format("%Y-%m-%d %H:%M:%S").to_string()}</dd></div>
            <div><dt>"Instance"</dt><dd data-testid="original-instance">{m.instance_url.clone().unwrap_or_else(|| "not recorded".into())}</dd></div>
            {count_rows(&m).into_iter().map(|r| view! {
                <div><dt>{r.label}</dt><dd data-section=r.key>{r.count}</dd></div>
            }).collect_view()}
        </dl>
        <p class="hint" data-testid="original-counts-note">
            "These counts are the ones the original app wrote in the backup's manifest; the original never checks them against the records. The dry run reads every record and counts for real."
        </p>
        {match preview.decrypted_bytes {
            Some(n) => view! { <p class="success">{format!("Decrypted and checked in this browser: all {} of the backup are authentic.", human_bytes(i64::try_from(n).unwrap_or(i64::MAX)))}</p> }.into_any(),
            None => view! { <p class="hint">"Read in this browser from the start of the file."</p> }.into_any(),
        }}
    }
    .into_any()
}

#[component]
pub(super) fn RestoreSection(restore_source: RwSignal<Option<Source>>) -> impl IntoView {
    let reload = expect_context::<Reload>();
    let restored = expect_context::<Restored>();
    let ov = expect_context::<RwSignal<BackupOverview>>();
    let overview = ov.get_untracked();
    let flow = RwSignal::new(RestoreFlow::default());
    let inputs = RestoreInputs::new();
    let drag = RwSignal::new(false);
    let limit = overview.upload_limit_bytes;
    let instance_url = overview.instance_url.clone();
    let stored_restore = ServerAction::<RestoreStoredBackup>::new();
    let remote_restore = ServerAction::<RestoreFromLocation>::new();
    let check_button = NodeRef::<leptos::html::Button>::new();

    // Slices of the flow, so that each part of the view re-renders only when its own part changes
    // (the upload progress, for one, must not re-create the report that has the focus).
    let step = Memo::new(move |_| flow.with(|f| f.step.clone()));
    let dry = Memo::new(move |_| flow.with(|f| f.dry_run.clone()));
    let result = Memo::new(move |_| flow.with(|f| f.result.clone()));
    let request = Memo::new(move |_| flow.with(|f| f.request));
    let busy = Memo::new(move |_| request.with(Option::is_some));
    let announce = Memo::new(move |_| flow.with(|f| f.announce.clone()));
    let totp_choice = Memo::new(move |_| flow.with(|f| f.totp_choice));
    let error = Memo::new(move |_| flow.with(|f| f.error.clone()));
    // The input the error sits next to; None when it is about no field shown now.
    let field_of_error = Memo::new(move |_| restore_source.with(|s| flow.with(|f| f.error_input(s.as_ref()))));
    let error_at_field = move |input: &'static str| {
        Signal::derive(move || (field_of_error.get() == Some(input)).then(|| error.with(|e| e.as_ref().map(|e| e.message.clone()))).flatten())
    };
    let general_error =
        Signal::derive(move || field_of_error.get().is_none().then(|| error.with(|e| e.as_ref().map(|e| e.message.clone()))).flatten());
    let url_differs = Memo::new(move |_| flow.with(|f| f.comes_from_another_instance(instance_url.as_deref())));
    let can_check = Memo::new(move |_| restore_source.with(|s| flow.with(|f| f.can_check(s.as_ref()))));
    let take_fate = Memo::new(move |_| flow.with(RestoreFlow::take_fate));
    let report_current = Memo::new(move |_| flow.with(RestoreFlow::report_current));
    let from_original = Memo::new(move |_| flow.with(RestoreFlow::made_by_original));

    let focus_id = |id: &str| browser::focus(&format!("#{id}"));
    // Shows an error and moves the focus to its field, or to the message itself.
    let fail = move |e: FormError| {
        if let Some(id) = restore_source.with_untracked(|s| flow.try_update(|f| f.fail(e, s.as_ref()))) {
            focus_id(id);
        }
    };
    let chosen = move || {
        flow.update(RestoreFlow::chosen);
        inputs.chosen();
    };

    // A stored backup chosen in the history: read on the server, nothing to preview here.
    Effect::new(move |_| {
        if let Some(Source::Stored { .. } | Source::Remote { .. }) = restore_source.get() {
            chosen();
        }
    });

    let pick = move |p: Picked| {
        chosen();
        restore_source.set(Some(Source::Upload(p.clone())));
        spawn_local(async move {
            let asks = |made_by| {
                flow.update(|f| f.needs_password(made_by));
                browser::focus("#preview-password");
            };
            match browser::open_preview(&p).await {
                Some(Ok(Opened::NeedsPassword { original: false })) => asks(MadeBy::ThisApp),
                Some(Ok(Opened::NeedsPassword { original: true })) => asks(MadeBy::Original),
                Some(Ok(Opened::Previewed(pv))) => {
                    flow.update(|f| f.previewed(pv));
                    browser::focus("#restore-preview");
                }
                Some(Err(e)) => fail(e),
                // Another file was chosen meanwhile: its own preview takes over.
                None => {}
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
        let Some(Source::Upload(p)) = restore_source.get_untracked() else {
            flow.update(|f| f.error = None);
            return;
        };
        let pw = inputs.backup_password.get_untracked();
        if let Some(Err(e)) = flow.try_update(|f| f.begin_decrypt(&pw)) {
            fail(e);
            return;
        }
        spawn_local(async move {
            let progress = move |x| flow.update(|f| f.decrypting(x));
            match browser::decrypt_preview(&p, &pw, progress).await {
                Some(Ok(pv)) => {
                    flow.update(|f| f.previewed(pv));
                    browser::focus("#restore-preview");
                }
                Some(Err(e)) => {
                    if let Some(id) = restore_source.with_untracked(|s| flow.try_update(|f| f.decrypt_failed(e, s.as_ref()))) {
                        focus_id(id);
                    }
                }
                // Cancelled, or another file chosen: whoever stopped it set the step.
                None => {}
            }
        });
    };
    let cancel_decrypt = move |_| {
        browser::stop_preview();
        flow.update(RestoreFlow::decrypt_cancelled);
        browser::focus("#preview-password");
    };
    // Leaving the page stops a preview still running.
    on_cleanup(browser::stop_preview);

    // What a dry run or a restore answered.
    let finish = move |outcome: Result<RestoreReport, AppError>| {
        let outcome = outcome.map_err(FormError::from);
        match restore_source.with_untracked(|s| flow.try_update(|f| f.finished(outcome, s.as_ref()))).flatten() {
            Some(Answer::Checked { focus: true }) => browser::focus("#dry-run-report"),
            Some(Answer::Checked { focus: false }) | None => {}
            Some(Answer::Restored) => {
                browser::focus("#restore-result");
                reload.0.update(|n| *n += 1);
                restored.0.update(|n| *n += 1);
                refresh(ov);
            }
            Some(Answer::Failed(id)) => focus_id(id),
        }
    };

    // Runs the dry run or the restore, from the upload or the stored backup.
    let run = move |dry_run: bool, focus_after: bool| {
        let Some(source) = restore_source.get_untracked() else {
            flow.update(|f| f.error = None);
            return;
        };
        let current = inputs.current_password.get_untracked();
        if let Some(Err(e)) = flow.try_update(|f| f.begin(&source, dry_run, focus_after, &current, limit)) {
            fail(e);
            return;
        }
        let choice = flow.with_untracked(|f| f.totp_choice);
        match source {
            Source::Upload(p) => {
                let fields = inputs.upload_fields(dry_run, choice);
                spawn_local(async move {
                    let outcome = browser::upload_restore(&p, &fields, move |x| flow.update(|f| f.uploaded(x))).await;
                    finish(outcome);
                });
            }
            Source::Stored { id, .. } => {
                stored_restore.dispatch(inputs.stored_request(id, dry_run, choice));
            }
            Source::Remote { location_id, key, .. } => {
                remote_restore.dispatch(inputs.location_request(location_id, key, dry_run, choice));
            }
        }
    };
    Effect::new(move |_| {
        if let Some(outcome) = stored_restore.value().get() {
            finish(outcome);
        }
    });
    Effect::new(move |_| {
        if let Some(outcome) = remote_restore.value().get() {
            finish(outcome);
        }
    });
    // The two-factor choice changed after a dry run: check again, so that the report always
    // says what "Restore now" will do.
    let choose_totp = move |c: TotpChoice| {
        if flow.try_update(|f| f.choose_totp(c)) == Some(true) {
            run(true, false);
        }
    };
    let (backup_pw, current_pw, source_pw, confirm) = (inputs.backup_password, inputs.current_password, inputs.source_password, inputs.confirm);

    view! {
        <section class="card" aria-labelledby="restore-title">
            {view! { <h2 id="restore-title" tabindex="-1">"Restore"</h2>
            <p>"Restoring replaces all current data with the backup's. The current data is saved first (see History), so a restore can be undone. Your login password stays the same and you stay logged in."</p>
            <div class="visually-hidden" role="status" aria-live="polite" data-testid="restore-announce">{move || announce.get()}</div>
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
                Source::Remote { location_name, name, .. } => view! {
                    <p data-testid="restore-remote-source">"Backup in the location " <strong>{location_name}</strong> ": " <strong>{name}</strong>
                        " — the server downloads it to a temporary file; nothing passes through this browser."</p>
                }.into_any(),
            })} }.into_any()}
            {move || match step.get() {
                Step::NeedPassword => view! {
                    <form on:submit=decrypt>
                        {if from_original.get_untracked() {
                            view! { <p data-testid="made-by-original">"This is an encrypted backup made by the original Tracker Tracker (the Node.js app). Enter the backup password that was set in the original app: the file is decrypted and checked here, in your browser, before anything is uploaded."</p> }.into_any()
                        } else {
                            view! { <p>"This backup is encrypted. Enter its backup password: it is decrypted and checked here, in your browser, before anything is uploaded."</p> }.into_any()
                        }}
                        <TextField id="preview-password" label="Backup password" kind="password" value=backup_pw autocomplete="off"
                            reveal=true error=error_at_field("preview-password")/>
                        <button class="btn btn-primary" type="submit">"Open backup"</button>
                    </form>
                }.into_any(),
                Step::Decrypting(f) => view! {
                    <label for="decrypt-progress">"Decrypting and checking the file in this browser…"</label>
                    <progress id="decrypt-progress" max="100" value=format!("{:.0}", f * 100.0)>{format!("{:.0}%", f * 100.0)}</progress>
                    <div class="actions"><button class="btn" type="button" on:click=cancel_decrypt>"Cancel"</button></div>
                }.into_any(),
                Step::Ready(p) => { let timing = p.timing(); view! {
                    <div id="restore-preview" tabindex="-1" role="region" aria-label="What the backup holds">
                        {match p {
                            Preview::Native(n) => view! { <HeaderSummary header=n.header chunks=n.chunks_verified/> }.into_any(),
                            Preview::Original(o) => view! { <OriginalSummary preview=o/> }.into_any(),
                        }}
                        {timing.map(|t| view! { <TimingNote timing=t/> })}
                    </div>
                }.into_any() }
                Step::Choose => ().into_any(),
            }}
            {view! { <Show when=move || from_original.get() && matches!(step.get(), Step::Ready(_))>
                <div class="notice" role="note" data-testid="original-secrets-note">
                    <strong>"Its saved secrets (API tokens, client passwords, two-factor login) are sealed with the original app's login password."</strong>
                    " Your current login password is tried first; if the original app's was another one, enter it below as the login password of the instance this came from. Otherwise those secrets are cleared and their owners disabled."
                </div>
            </Show> }.into_any()}
            {view! { <Show when=move || url_differs.get()>
                <div class="notice" role="note">
                    <strong>"This backup comes from another instance"</strong>
                    " (its URL differs from this one's). Secrets it holds can only be carried over with the login password of that instance — enter it below; otherwise they are cleared and their owners disabled."
                </div>
            </Show> }.into_any()}
            {view! { <Show when=move || restore_source.get().is_some()>
                <div class="form-grid">
                    <TextField id="restore-current-password" label="Your current login password" kind="password" value=current_pw autocomplete="current-password"
                        reveal=true error=error_at_field("restore-current-password")/>
                    <TextField id="restore-source-password" label="Login password of the instance this came from (optional)" kind="password" value=source_pw autocomplete="off"
                        hint="Only needed when the backup comes from another instance with another password." error=error_at_field("restore-source-password")/>
                </div>
                <Show when=move || matches!(restore_source.get(), Some(Source::Stored { encrypted: true, .. } | Source::Remote { encrypted: true, .. }))>
                    <TextField id="restore-backup-password" label="Backup password (if not the stored one)" kind="password" value=backup_pw autocomplete="off"
                        error=error_at_field("restore-backup-password")/>
                </Show>
                <div class="actions">
                    <button class="btn" type="button" node_ref=check_button disabled=move || !can_check.get() on:click=move |_| run(true, true)>"Check (dry run)"</button>
                </div>
            </Show> }.into_any()}
            {view! { <div id="restore-error" tabindex="-1">
                <ErrorNotice error=general_error/>
            </div> }.into_any()}
            {move || request.get().map(|r| view! {
                <p role="status">{r.label()}</p>
                {r.upload.map(|f| view! {
                    <label for="upload-progress">"Upload"</label>
                    <progress id="upload-progress" max="100" value=format!("{:.0}", f * 100.0)>{format!("{:.0}%", f * 100.0)}</progress>
                })}
            })}
            {view! { <Show when=move || dry.with(Option::is_some)>
                <div class="notice info" id="dry-run-report" tabindex="-1" role="region" aria-labelledby="dry-run-title" data-testid="dry-run-report">
                    <h3 id="dry-run-title">"Dry run: what the restore will do"</h3>
                    {move || dry.get().map(|r| view! { <ReportBody report=r/> })}
                    <Show when=move || take_fate.get().is_some()>
                        <TotpChoiceField choice=totp_choice.into() take=take_fate.get_untracked().unwrap_or(TotpFate::Unchanged) on_choose=Callback::new(choose_totp)/>
                    </Show>
                    <form on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); if confirm.get() == "RESTORE" && report_current.get() { run(false, true); } }>
                        <TextField id="restore-confirm" label="Type RESTORE to replace all current data with this backup" value=confirm autocomplete="off"/>
                        <button class="btn btn-danger" type="submit" disabled=move || confirm.get() != "RESTORE" || busy.get() || !report_current.get()>"Restore now"</button>
                        <Show when=move || !busy.get() && !report_current.get()>
                            <p class="hint">"The two-factor choice changed since this report: press “Check (dry run)” again."</p>
                        </Show>
                    </form>
                </div>
            </Show> }.into_any()}
            {move || result.get().map(|r| view! {
                <div class="success-box" id="restore-result" tabindex="-1" role="region" aria-labelledby="restore-result-title" data-testid="restore-result">
                    <h3 id="restore-result-title">"Restore complete"</h3>
                    <ReportBody report=r.clone()/>
                    {r.pre_restore_backup.clone().map(|pre| {
                        let name = pre.file_name.clone();
                        let encrypted_note = pre.encrypted.then_some(
                            " It is encrypted with the backup password stored before this restore: if the restore brought another one, type the earlier one.",
                        );
                        let choice = r.totp.choice;
                        let undo = move |_| {
                            flow.update(|f| f.undo(choice));
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
            }.into_any())}
        </section>
    }
}

/// What the "take" option does, for people.
fn take_detail(take: TotpFate) -> &'static str {
    match take {
        TotpFate::TurnedOn => "Two-factor login is turned on with the backup's secret and backup codes: the next login asks for a code from that instance's authenticator.",
        TotpFate::Replaced => "The backup's secret and backup codes replace this instance's: the next login asks for a code from that instance's authenticator, not yours.",
        TotpFate::TurnedOff => "Two-factor login is turned off, as in the backup: the next login asks for the password only.",
        TotpFate::TurnedOffNotCarried => "The backup's two-factor secret cannot be carried over (that needs the other instance's login password): two-factor login is turned off.",
        TotpFate::Unchanged => "Two-factor login stays as it is now.",
    }
}

/// Take the backup's two-factor login, or keep this instance's (the default).
#[component]
fn TotpChoiceField(
    choice: Signal<TotpChoice>,
    /// What taking the backup's two-factor login does.
    take: TotpFate,
    on_choose: Callback<TotpChoice>,
) -> impl IntoView {
    let option = move |c: TotpChoice, label: &'static str, detail: &'static str| {
        let id = format!("totp-{}", c.key());
        let detail_id = format!("{id}-detail");
        view! {
            <div class="field check">
                <input id=id.clone() type="radio" name="totp" value=c.key() aria-describedby=detail_id.clone()
                    checked=move || choice.get() == c prop:checked=move || choice.get() == c
                    on:change=move |_| on_choose.run(c)/>
                <label for=id>{label}<br/><small id=detail_id class="hint">{detail}</small></label>
            </div>
        }
    };
    view! {
        <fieldset class="totp-choice" data-testid="totp-choice">
            <legend>"Two-factor login after the restore"</legend>
            {take.needs_backup_authenticator().then(|| view! {
                <p class="notice"><strong>"Taking the backup's two-factor login means the next login needs a code from the authenticator app (or a backup code) of the instance the backup came from."</strong>
                    " Without it you cannot log in. Keep this instance's unless you have that authenticator."</p>
            })}
            {option(TotpChoice::KeepCurrent, "Keep this instance's two-factor login as it is now",
                "You log in after the restore as you do now.")}
            {option(TotpChoice::TakeBackup, "Take the backup's two-factor login", take_detail(take))}
        </fieldset>
    }
    .into_any()
}

#[component]
fn ReportBody(report: RestoreReport) -> impl IntoView {
    let dry = report.dry_run;
    let totp = report.totp.clone();
    let totp_warn = totp.fate != TotpFate::Unchanged;
    // The not-carried summary already says to set it up again; the link is the way there.
    let totp_off = matches!(totp.fate, TotpFate::TurnedOff | TotpFate::TurnedOffNotCarried);
    let named = |records: &[NamedRecord]| {
        records.iter().map(|n| view! { <li data-section=n.section.clone()>{format!("{} “{}”", n.kind, n.name)}</li> }).collect_view()
    };
    let original = report.original.clone();
    view! {
        {original.map(|o| view! { <OriginalReportBody report=o/> })}
        <p><strong>{if dry { "Will restore, per section (now → after):" } else { "Restored, per section (before → now):" }}</strong></p>
        <ul class="changes" data-testid="section-counts">
            {report.restored.iter().map(|c| view! {
                <li data-section=c.section.clone()>{format!("{}: {} → {}", c.label, c.now, c.count)}</li>
            }).collect_view()}
        </ul>
        {(!report.disappearing.is_empty()).then(|| view! {
            <p><strong>{if dry { "Will disappear (not in the backup):" } else { "Gone (not in the backup):" }}</strong></p>
            <ul class="changes" data-testid="disappearing">{named(&report.disappearing)}</ul>
        })}
        {(!report.appearing.is_empty()).then(|| view! {
            <p><strong>{if dry { "Will appear (only in the backup):" } else { "Back from the backup:" }}</strong></p>
            <ul class="changes" data-testid="appearing">{named(&report.appearing)}</ul>
        })}
        {if report.settings_changes.is_empty() {
            view! { <p data-testid="settings-changes">{if dry { "Settings: none will change." } else { "Settings: none changed." }}</p> }.into_any()
        } else {
            view! {
                <p><strong>{if dry { "Settings that will change (now → after):" } else { "Settings changed (before → now):" }}</strong></p>
                <ul class="changes" data-testid="settings-changes">
                    {report.settings_changes.iter().map(|c| view! {
                        <li data-key=c.key.clone()>{format!("{}: {} → {}", c.label, c.now, c.after)}</li>
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
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
        <div class:notice=totp_warn data-testid="totp-notice">
            <p><strong>{totp.summary.clone()}</strong></p>
            <p>{totp.backup_codes.clone()}</p>
            {totp_off.then(|| view! { <p><a href="/settings/security">"Set up two-factor login again (Settings → Security)"</a></p> })}
        </div>
    }
    .into_any()
}
