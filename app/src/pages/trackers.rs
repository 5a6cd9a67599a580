//! Trackers: list, create, edit, delete (with a confirm step). The API token is write-only.

use crate::api::trackers::{list_trackers, DeleteTracker, SaveTracker, TrackerConfig, TrackerInput, TrackerView, PLATFORMS};
use crate::components::forms::{format_time, parse_optional_int, ConfirmDelete};
use crate::components::list_page::{AddOrEdit, EditCard, ListLoader, ListPage};
use crate::components::{form_error, human_bytes, CheckField, ErrorNotice, SecretField, SelectField, SuccessNotice, TextField};
use crate::model::SecretUpdate;
use crate::validate::{parse_int, Invalid};
use leptos::prelude::*;
use leptos_router::components::A;

const PLATFORM_OPTIONS: [(&str, &str); 8] = [
    ("unit3d", "UNIT3D"),
    ("gazelle", "Gazelle"),
    ("ggn", "GazelleGames"),
    ("nebulance", "Nebulance"),
    ("mam", "MyAnonamouse"),
    ("avistaz", "AvistaZ"),
    ("digitalcore", "DigitalCore"),
    ("custom", "Custom (no platform adapter)"),
];

pub fn platform_label(p: &str) -> String {
    PLATFORM_OPTIONS.iter().find(|(k, _)| *k == p).map(|(_, l)| l.to_string()).unwrap_or_else(|| p.to_string())
}

#[component]
pub fn TrackersPage() -> impl IntoView {
    let page = ListPage::<TrackerView>::new();
    let delete = ServerAction::<DeleteTracker>::new();
    let trackers = Resource::new(move || (page.reload.get(), delete.version().get()), |_| list_trackers());
    let delete_error = page.on_deleted(delete.value(), "Tracker deleted, with its history.");
    let (on_saved, on_cancel) = (page.on_saved(|v: &TrackerView| v.config.name.clone()), page.on_cancel());
    debug_assert_eq!(PLATFORMS.len(), PLATFORM_OPTIONS.len());
    view! {
        <h1>"Trackers"</h1>
        <p class="hint">"The private trackers whose statistics are recorded. API tokens are stored encrypted and never shown again."</p>
        <SuccessNotice message=page.flash/>
        <ErrorNotice error=delete_error/>
        <AddOrEdit page add_label="Add a tracker" form=move |initial| view! { <TrackerForm initial on_saved on_cancel/> }/>
        <ListLoader list=trackers empty="No trackers yet. Add one to start recording its history."
            show=move |list| view! { <TrackerTable list page delete/> }/>
    }
}

#[component]
fn TrackerTable(list: Vec<TrackerView>, page: ListPage<TrackerView>, delete: ServerAction<DeleteTracker>) -> impl IntoView {
    let rows = list
        .into_iter()
        .map(|t| {
            let id = t.id;
            let name = t.config.name.clone();
            let for_edit = t.clone();
            let latest = t.latest.clone();
            view! {
                <tr>
                    <td data-label="Name">
                        <span class="swatch" style=format!("background:{}", t.config.color)></span>" "
                        <A href=format!("/trackers/{id}")><strong>{t.config.name.clone()}</strong></A>
                        {t.config.is_favorite.then(|| view! { " " <span class="badge" aria-label="favourite">"★"</span> })}
                        {t.paused_at.map(|at| view! { " " <span class="badge warn" title=format!("Paused since {}", format_time(&at))>"Paused"</span> })}
                        {(!t.config.is_active).then(|| view! { " " <span class="badge warn">"Inactive"</span> })}
                        {t.disabled_reason.clone().map(|r| view! { <br/><small class="hint">{r}</small> })}
                    </td>
                    <td data-label="Platform">{platform_label(&t.config.platform)}</td>
                    <td class="num" data-label="Uploaded">{latest.as_ref().map(|s| human_bytes(s.uploaded_bytes)).unwrap_or_else(|| "—".into())}</td>
                    <td class="num" data-label="Downloaded">{latest.as_ref().map(|s| human_bytes(s.downloaded_bytes)).unwrap_or_else(|| "—".into())}</td>
                    <td class="num" data-label="Ratio">{latest.as_ref().and_then(|s| s.ratio).map(|r| format!("{r:.2}")).unwrap_or_else(|| "—".into())}</td>
                    <td data-label="API token">{if t.has_api_token { view! { <span class="badge ok">"Set"</span> }.into_any() } else { view! { <span class="badge warn">"Missing"</span> }.into_any() }}</td>
                    <td>
                        <div class="actions">
                            <button class="btn btn-small" type="button" aria-label=format!("Edit {name}")
                                on:click=move |_| page.open(Some(for_edit.clone()))>"Edit"</button>
                            <ConfirmDelete what=name.clone() detail="Its whole upload/download history and roles are deleted too."
                                on_confirm=Callback::new(move |()| { page.flash.set(None); delete.dispatch(DeleteTracker { id }); })/>
                        </div>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="card table-wrap">
            <table class="stack">
                <caption class="visually-hidden">"Trackers"</caption>
                <thead><tr>
                    <th scope="col">"Name"</th><th scope="col">"Platform"</th><th scope="col" class="num">"Uploaded"</th>
                    <th scope="col" class="num">"Downloaded"</th><th scope="col" class="num">"Ratio"</th><th scope="col">"API token"</th><th scope="col">"Actions"</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

#[component]
fn TrackerForm(initial: Option<TrackerView>, on_saved: Callback<TrackerView>, on_cancel: Callback<()>) -> impl IntoView {
    let id = initial.as_ref().map(|v| v.id);
    let c = initial.as_ref().map(|v| v.config.clone()).unwrap_or_else(TrackerConfig::new_default);
    let name = RwSignal::new(c.name.clone());
    let base_url = RwSignal::new(c.base_url.clone());
    let platform = RwSignal::new(c.platform.clone());
    let api_path = RwSignal::new(c.api_path.clone());
    let color = RwSignal::new(c.color.clone());
    let client_tag = RwSignal::new(c.client_tag.clone().unwrap_or_default());
    let sort_order = RwSignal::new(c.sort_order.to_string());
    let joined = RwSignal::new(c.joined_at.map(|d| d.to_string()).unwrap_or_default());
    let last_access = RwSignal::new(c.last_access_at.map(|d| d.to_string()).unwrap_or_default());
    let profile_url = RwSignal::new(c.profile_url.clone().unwrap_or_default());
    let remote_user_id = RwSignal::new(c.remote_user_id.map(|v| v.to_string()).unwrap_or_default());
    let is_active = RwSignal::new(c.is_active);
    let is_favorite = RwSignal::new(c.is_favorite);
    let use_proxy = RwSignal::new(c.use_proxy);
    let count_cross_seed = RwSignal::new(c.count_cross_seed_unsatisfied);
    let token = RwSignal::new(String::new());
    let clear_token = RwSignal::new(false);
    let has_token = initial.as_ref().is_some_and(|v| v.has_api_token);
    let save = ServerAction::<SaveTracker>::new();
    let (local, error) = form_error(save.value());
    Effect::new(move |_| {
        if let Some(Ok(v)) = save.value().get() {
            on_saved.run(v);
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        local.set(None);
        let parsed = (|| -> Result<TrackerInput, Invalid> {
            let date = |field: &str, label: &str, text: String| match text.trim() {
                "" => Ok(None),
                d => chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .map(Some)
                    .map_err(|_| crate::validate::invalid(field, format!("{label} must be a date like 2021-05-01."))),
            };
            let joined_at = date("joined_at", "Joined date", joined.get())?;
            let last_access_at = date("last_access_at", "Last access", last_access.get())?;
            let config = TrackerConfig {
                name: name.get(),
                base_url: base_url.get(),
                platform: platform.get(),
                api_path: api_path.get(),
                color: color.get(),
                client_tag: Some(client_tag.get()).filter(|t| !t.trim().is_empty()),
                is_active: is_active.get(),
                is_favorite: is_favorite.get(),
                sort_order: parse_int("sort_order", "Sort order", &sort_order.get())?,
                joined_at,
                use_proxy: use_proxy.get(),
                remote_user_id: parse_optional_int("remote_user_id", "Remote user id", &remote_user_id.get())?,
                profile_url: Some(profile_url.get()).filter(|u| !u.trim().is_empty()),
                count_cross_seed_unsatisfied: count_cross_seed.get(),
                last_access_at,
            }
            .validate()?;
            Ok(TrackerInput { id, config, api_token: SecretUpdate { value: Some(token.get()).filter(|v| !v.is_empty()), clear: clear_token.get() } })
        })();
        match parsed {
            Ok(input) => {
                save.dispatch(SaveTracker { input });
            }
            Err(e) => local.set(Some(e.message)),
        }
    };
    let title = if initial.is_some() { format!("Edit “{}”", c.name) } else { "New tracker".to_string() };
    let fields = view! {
        <div class="form-grid">
            <TextField id="tracker-name" label="Name" value=name required=true placeholder="Aither"/>
            <TextField id="tracker-url" label="Base URL" kind="url" value=base_url required=true placeholder="https://aither.cc"/>
            <SelectField id="tracker-platform" label="Platform" value=platform options=PLATFORM_OPTIONS.to_vec()/>
            <TextField id="tracker-api-path" label="API path" value=api_path placeholder="/api/user" hint="Optional: where the platform's API lives."/>
            <SecretField id="tracker-token" label="API token" is_set=Signal::derive(move || has_token) value=token clear=clear_token
                hint="MyAnonamouse: the mam_id cookie. DigitalCore: {\"uid\":\"…\",\"pass\":\"…\"} (its uid and pass cookies)."/>
            <TextField id="tracker-color" label="Colour" value=color hint="Like #3b82f6." placeholder="#3b82f6"/>
            <TextField id="tracker-tag" label="Client tag" value=client_tag hint="The torrent tag used for this tracker in your clients."/>
            <TextField id="tracker-joined" label="Joined on" kind="date" value=joined/>
            <TextField id="tracker-sort" label="Sort order" kind="number" value=sort_order/>
            <TextField id="tracker-profile" label="Profile page" kind="url" value=profile_url placeholder="https://aither.cc/users/me"
                hint="Optional: your profile on the tracker."/>
            <TextField id="tracker-remote-user" label="Your user id on the tracker" kind="number" value=remote_user_id
                hint="Optional: some platforms' APIs need it."/>
            <TextField id="tracker-last-access" label="Last access on" kind="date" value=last_access
                hint="The last day you were seen on the tracker (many prune inactive accounts)."/>
        </div>
    }
    .into_any();
    let checks = view! {
        <CheckField id="tracker-active" label="Active (polled)" value=is_active/>
        <CheckField id="tracker-favorite" label="Favourite (listed first)" value=is_favorite/>
        <CheckField id="tracker-proxy" label="Use the proxy (when one is set in Settings → General)" value=use_proxy/>
        <CheckField id="tracker-cross-seed" label="Count cross-seeded torrents towards unsatisfied downloads" value=count_cross_seed/>
    }
    .into_any();
    view! {
        <EditCard id="tracker" title on_submit=submit pending=save.pending() save_label="Save tracker" on_cancel error>
                {fields}
                {checks}
        </EditCard>
    }
    .into_any()
}
