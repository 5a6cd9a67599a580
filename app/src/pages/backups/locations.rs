//! Locations: the local storage path and the off-site backup locations (S3-compatible, WebDAV):
//! their state, add/edit/delete, and the backups each holds (restorable from there).

use super::location_form::LocationForm;
use super::{Reload, Source};
use crate::api::locations::{list_location_backups, DeleteLocation};
use crate::components::{action_error, human_bytes, ErrorNotice, LockMark};
use crate::error::AppError;
use crate::model::backup::BackupOverview;
use crate::model::locations::{CopyStatus, LocationView, RemoteBackup, RemoteCopy, RemoteKind};
use leptos::prelude::*;
use leptos::task::spawn_local;

/// Which form is open: none, a new location, or the location with this id.
#[derive(Clone, Copy, PartialEq)]
enum Editing {
    None,
    New,
    Existing(i64),
}

#[component]
pub(super) fn LocationsSection(locations: Resource<Result<Vec<LocationView>, AppError>>, restore_source: RwSignal<Option<Source>>) -> impl IntoView {
    let ov = expect_context::<RwSignal<BackupOverview>>();
    let reload = expect_context::<Reload>();
    let editing = RwSignal::new(Editing::None);
    let confirm_delete = RwSignal::new(None::<i64>);
    let delete = ServerAction::<DeleteLocation>::new();
    // What the last action did, for the live region (kept here: the list re-renders on reload).
    let notice = RwSignal::new(None::<String>);
    let deleted_name = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            notice.set(Some(format!("Deleted the location “{}”. The backups stored there stay.", deleted_name.get_untracked())));
            reload.0.update(|n| *n += 1);
        }
    });
    let on_done = Callback::new(move |saved: Option<LocationView>| {
        editing.set(Editing::None);
        if let Some(v) = saved {
            notice.set(Some(format!("Saved the location “{}”.", v.settings.name)));
            reload.0.update(|n| *n += 1);
        }
        crate::browser::focus("#locations-title");
    });
    let local = move || {
        let s = ov.get().settings;
        match s.storage_path {
            Some(p) => view! { <p data-testid="local-location">"On this server: " <code class="dir">{p}</code> {format!(" — keeps the last {}.", s.retention_count)}
                <span class="hint">" Set under Configuration."</span></p> }.into_any(),
            None => view! { <p data-testid="local-location">"On this server: no storage path set yet (see Configuration)."</p> }.into_any(),
        }
    };
    view! {
        <section class="card" aria-labelledby="locations-title">
            <h2 id="locations-title" tabindex="-1">"Locations"</h2>
            <p class="hint">"Every backup run writes and verifies the backup on this server, then copies it to each enabled location below and reads it back there to compare its SHA-256. On a new machine, add the same location to see its backups and restore one."</p>
            {local}
            <p role="status" aria-live="polite" class="hint" data-testid="locations-notice">{move || notice.get()}</p>
            <ErrorNotice error=action_error(delete.value())/>
            <Transition fallback=|| view! { <p class="loading">"Loading the locations…"</p> }>
                {move || Suspend::new(async move {
                    match locations.await {
                        Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p>"No off-site locations yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="location-list">
                                {list.into_iter().map(|l| {
                                    let id = l.id;
                                    let name = l.settings.name.clone();
                                    let for_form = l.clone();
                                    view! {
                                        <li data-testid="location">
                                            <LocationSummary location=l.clone()/>
                                            <div class="actions">
                                                <button class="btn btn-small" type="button" aria-label=format!("Edit {name}")
                                                    on:click=move |_| editing.set(Editing::Existing(id))>"Edit"</button>
                                                {let name = name.clone(); move || if confirm_delete.get() == Some(id) {
                                                    let name = name.clone();
                                                    view! {
                                                        <button class="btn btn-small btn-danger" type="button" on:click=move |_| {
                                                            deleted_name.set(name.clone());
                                                            notice.set(None);
                                                            delete.dispatch(DeleteLocation { id });
                                                            confirm_delete.set(None);
                                                        }>"Confirm delete"</button>
                                                        <button class="btn btn-small" type="button" on:click=move |_| confirm_delete.set(None)>"Cancel"</button>
                                                        <span class="hint">"Deletes the location here; the backups stored there stay."</span>
                                                    }.into_any()
                                                } else {
                                                    view! { <button class="btn btn-small" type="button" aria-label=format!("Delete {name}")
                                                        on:click=move |_| confirm_delete.set(Some(id))>"Delete"</button> }.into_any()
                                                }}
                                            </div>
                                            <Show when=move || editing.get() == Editing::Existing(id)>
                                                <LocationForm location=Some(for_form.clone()) on_done/>
                                            </Show>
                                            <HeldBackups location_id=id location_name=name.clone() restore_source/>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Transition>
            {move || if editing.get() == Editing::New {
                view! { <LocationForm location=None on_done/> }.into_any()
            } else {
                view! {
                    <div class="actions">
                        <button class="btn" type="button" on:click=move |_| { notice.set(None); editing.set(Editing::New); }>"Add a location"</button>
                    </div>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn LocationSummary(location: LocationView) -> impl IntoView {
    let s = &location.settings;
    view! {
        <p>
            <strong>{s.name.clone()}</strong> " "
            {if s.enabled { view! { <span class="badge ok">"Enabled"</span> }.into_any() } else { view! { <span class="badge">"Off"</span> }.into_any() }}
            " " <code class="dir">{location.destination.clone()}</code>
        </p>
        <p class="hint">
            {if s.require_encryption { "Encrypted copies only. " } else { "Copies as written. " }}
            {format!("Keeps {}.", s.retention.describe())}
            {(!location.has_secret && s.target.needs_secret()).then(|| format!(" No {} set.", s.target.secret_label().0))}
        </p>
        {location.disabled_reason.clone().map(|r| view! { <p class="notice" role="note">{r}</p> })}
        {location.last_copy.clone().map(|c| view! { <p>"Latest copy: " <CopyState copy=c/></p> })}
        {(location.failure_streak > 0).then(|| view! { <p class="error">{format!("{} failed upload(s) in a row.", location.failure_streak)}</p> })}
    }
}

/// A copy's state, in words: verified, failed with the reason, or pending.
#[component]
pub(super) fn CopyState(copy: RemoteCopy) -> impl IntoView {
    let attempts = copy.attempts;
    match copy.status {
        CopyStatus::Verified => view! { <span class="badge ok" data-testid="copy-state">"Uploaded and verified"</span> }.into_any(),
        CopyStatus::Failed => view! {
            <span class="badge bad" data-testid="copy-state">"Failed"</span> " " <small>{copy.error.clone().unwrap_or_default()}</small>
        }
        .into_any(),
        CopyStatus::Retrying => view! {
            <span class="badge warn" data-testid="copy-state">"Pending retry"</span> " "
            <small>{format!("attempt {attempts}: {}", copy.error.clone().unwrap_or_default())}</small>
        }
        .into_any(),
        CopyStatus::Uploading => view! { <span class="badge" data-testid="copy-state">"Uploading"</span> }.into_any(),
        CopyStatus::Uploaded => view! { <span class="badge" data-testid="copy-state">"Uploaded, being checked"</span> }.into_any(),
    }
}

/// The backups a location holds (also ones written by other instances), listed on request;
/// each can be restored through the normal restore flow.
#[component]
fn HeldBackups(location_id: i64, location_name: String, restore_source: RwSignal<Option<Source>>) -> impl IntoView {
    let list = RwSignal::new(None::<Result<Vec<RemoteBackup>, AppError>>);
    let loading = RwSignal::new(false);
    let load = move |_| {
        loading.set(true);
        spawn_local(async move {
            let r = list_location_backups(location_id).await;
            list.set(Some(r));
            loading.set(false);
        });
    };
    let region = format!("held-{location_id}");
    let (show_label, region_label) = (format!("Show the backups in {location_name}"), format!("Backups in {location_name}"));
    view! {
        <div class="actions">
            <button class="btn btn-small" type="button" aria-controls=region.clone() aria-label=show_label
                on:click=load disabled=move || loading.get()>{move || if loading.get() { "Listing…" } else { "Show the backups there" }}</button>
        </div>
        <div id=region role="region" aria-live="polite" aria-label=region_label>
            {move || list.get().map(|r| match r {
                Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                Ok(items) if items.is_empty() => view! { <p>"No backups there yet."</p> }.into_any(),
                Ok(items) => {
                    let location_name = location_name.clone();
                    view! {
                        <div class="table-wrap">
                            <table class="stack">
                                <thead><tr>
                                    <th scope="col">"Date (UTC)"</th><th scope="col" class="num">"Size"</th><th scope="col">"Kind"</th>
                                    <th scope="col">"Written by"</th><th scope="col">"Actions"</th>
                                </tr></thead>
                                <tbody>
                                    {items.into_iter().map(|b| held_row(b, location_id, location_name.clone(), restore_source)).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any()
                }
            })}
        </div>
    }
}

fn held_row(b: RemoteBackup, location_id: i64, location_name: String, restore_source: RwSignal<Option<Source>>) -> impl IntoView {
    let date = b.created_at.or(b.modified_at).map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_else(|| "—".into());
    let encrypted = b.kind == RemoteKind::Encrypted;
    let kind = match b.kind {
        RemoteKind::Plain => view! { "Plain (.json)" }.into_any(),
        RemoteKind::Encrypted => view! { "Encrypted " <LockMark/> }.into_any(),
        RemoteKind::Unreadable => view! { <span class="error">"Not readable as a backup"</span> }.into_any(),
    };
    let by = match (b.instance_url.clone(), b.described_by.as_str()) {
        (Some(u), _) => u,
        (None, "name") => "Unknown (encrypted; written by another instance)".to_string(),
        (None, _) => "Unknown".to_string(),
    };
    let name = b.file_name.clone();
    let key = b.key.clone();
    let readable = b.kind != RemoteKind::Unreadable;
    let choose = move |_| {
        restore_source.set(Some(Source::Remote {
            location_id,
            location_name: location_name.clone(),
            key: key.clone(),
            name: name.clone(),
            encrypted,
        }));
        crate::browser::focus("#restore-title");
    };
    view! {
        <tr data-testid="held-backup">
            <td data-label="Date (UTC)">{date}<br/><small class="hint"><code>{b.file_name.clone()}</code></small></td>
            <td class="num" data-label="Size">{human_bytes(b.size_bytes)}</td>
            <td data-label="Kind">{kind}</td>
            <td data-label="Written by">{by}{b.copy.clone().map(|c| view! { <br/><CopyState copy=c/> })}</td>
            <td class="actions">
                {readable.then(|| view! {
                    <button class="btn btn-small" type="button" aria-label=format!("Restore {}", b.file_name) on:click=choose>"Restore"</button>
                })}
            </td>
        </tr>
    }
}
