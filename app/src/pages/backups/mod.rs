//! Settings → Backups: export, scheduled-backup settings, off-site locations, history, and restore with a preview
//! computed in the browser before anything is uploaded.

mod config;
mod export;
mod history;
mod kit;
mod location_form;
mod locations;
mod original_report;
mod restore;
mod restore_flow;

use crate::api::backup::{get_backup_overview, list_backup_history, list_found_backups};
use crate::api::locations::list_locations;
use crate::browser::Picked;
use crate::error::AppError;
use crate::model::backup::{BackupOverview, FoundFile, HistoryEntry};
use crate::model::locations::LocationView;
use leptos::prelude::*;
use leptos::task::spawn_local;

use config::ConfigSection;
use export::ExportSection;
use history::{FoundFiles, HistorySection};
use locations::LocationsSection;
use restore::RestoreSection;

/// Shared by the sections: bump to reload the overview and the history.
#[derive(Clone, Copy)]
pub(super) struct Reload(RwSignal<u32>);

/// Bumped by each finished restore (an undo is one too): what the page showed of the settings
/// before may no longer be true (the emergency kit, for one, was for a password typed earlier).
#[derive(Clone, Copy)]
pub(super) struct Restored(pub(super) RwSignal<u32>);

/// Where a restore reads from.
#[derive(Clone, PartialEq)]
pub(super) enum Source {
    Upload(Picked),
    Stored {
        id: i64,
        name: String,
        encrypted: bool,
    },
    /// A backup held by a backup location (`key` as the location lists it).
    Remote {
        location_id: i64,
        location_name: String,
        key: String,
        name: String,
        encrypted: bool,
    },
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
    let locations = Resource::new(move || reload.0.get(), |_| list_locations());
    view! {
        <h1>"Backups"</h1>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(o) => view! { <Sections initial=o history found locations/> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Reloads the overview (settings, next run, last failure) in place, without re-mounting the forms.
pub(super) fn refresh(ov: RwSignal<BackupOverview>) {
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
    locations: Resource<Result<Vec<LocationView>, AppError>>,
) -> impl IntoView {
    let ov = RwSignal::new(initial);
    provide_context(ov);
    provide_context(Restored(RwSignal::new(0)));
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
        {view! { <LocationsSection locations restore_source/> }.into_any()}
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
                    <strong>"The last backup run failed: "</strong>{reason}
                    <p class="hint">"Fix the cause below, then use “Run a scheduled backup now” to check. Targets that opt in to “Backup failed” were notified."</p>
                </div>
            }
        })
    }
}
