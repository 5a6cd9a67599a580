//! One tracker: its details, an upload/download chart over its whole history, the snapshot
//! table (paged), the manual snapshot form, and its class history (roles).

use crate::api::trackers::{
    get_tracker, list_roles, list_snapshots, snapshot_series, AddManualSnapshot, AddRole, DeleteRole, DeleteSnapshot, ManualSnapshotInput,
    PauseTracker, RoleInput, TrackerView,
};
use crate::components::chart::UploadChart;
use crate::components::forms::{format_time, parse_optional_int, ConfirmDelete};
use crate::components::{action_error, form_error, human_bytes, CheckField, ErrorNotice, SuccessNotice, TextField};
use crate::pages::trackers::platform_label;
use crate::validate::Invalid;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

const PAGE: i64 = 25;

#[component]
pub fn TrackerDetailPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let changed = RwSignal::new(0u32);
    let offset = RwSignal::new(0i64);
    let tracker = Resource::new(move || (id(), changed.get()), |(id, _)| get_tracker(id));
    let series = Resource::new(move || (id(), changed.get()), |(id, _)| snapshot_series(id));
    let page = Resource::new(move || (id(), changed.get(), offset.get()), |(id, _, o)| list_snapshots(id, Some(o), Some(PAGE)));
    let roles = Resource::new(move || (id(), changed.get()), |(id, _)| list_roles(id));
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match tracker.await {
                    Ok(t) => view! {
                        <p><a href="/trackers">"← All trackers"</a></p>
                        <h1><span class="swatch" style=format!("background:{}", t.config.color)></span>" "{t.config.name.clone()}</h1>
                        <p>{platform_label(&t.config.platform)} " · " <a href=t.config.base_url.clone() rel="noopener noreferrer">{t.config.base_url.clone()}</a>
                            " · API token " {if t.has_api_token { "set" } else { "missing" }}
                            {t.config.joined_at.map(|d| format!(" · joined {d}"))}
                            {t.config.last_access_at.map(|d| format!(" · last access {d}"))}</p>
                        <TrackerDetails t=t.clone()/>
                        {t.disabled_reason.clone().map(|r| view! { <p class="notice">{r}</p> })}
                        <PauseControl t changed/>
                    }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                }
            })}
        </Suspense>
        {view! {
            <section class="card" aria-labelledby="chart-title">
                <h2 id="chart-title">"Upload and download over time"</h2>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match series.await {
                            Ok(points) => view! { <UploadChart points title="Upload and download"/> }.into_any(),
                            Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
        }.into_any()}
        {move || view! { <ManualSnapshotForm tracker_id=id() changed/> }.into_any()}
        {view! {
            <section class="card" aria-labelledby="snapshots-title">
                <h2 id="snapshots-title">"History"</h2>
                <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match page.await {
                            Ok(p) if p.snapshots.is_empty() => view! { <p>"No snapshots yet. Add one by hand above, or wait for the next poll."</p> }.into_any(),
                            Ok(p) => {
                                let last = (p.offset + p.snapshots.len() as i64).min(p.total);
                                let more = last < p.total;
                                let first = p.offset == 0;
                                view! {
                                    <SnapshotTable snapshots=p.snapshots changed/>
                                    <p class="hint">{format!("{}–{} of {}", p.offset + 1, last, p.total)}</p>
                                    <div class="actions">
                                        <button class="btn btn-small" type="button" disabled=first on:click=move |_| offset.update(|o| *o = (*o - PAGE).max(0))>"Newer"</button>
                                        <button class="btn btn-small" type="button" disabled=!more on:click=move |_| offset.update(|o| *o += PAGE)>"Older"</button>
                                    </div>
                                }.into_any()
                            }
                            Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
        }.into_any()}
        {view! {
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match roles.await {
                        Ok(r) => view! { <Roles tracker_id=id() roles=r changed/> }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                    }
                })}
            </Transition>
        }.into_any()}
    }
}

/// The details a tracker keeps that are not part of its title line.
#[component]
fn TrackerDetails(t: TrackerView) -> impl IntoView {
    let c = t.config;
    view! {
        <ul class="details">
            {c.profile_url.map(|u| view! { <li>"Profile: " <a href=u.clone() rel="noopener noreferrer">{u.clone()}</a></li> })}
            {c.remote_user_id.map(|id| view! { <li>{format!("Your user id on the tracker: {id}")}</li> })}
            <li>{if c.use_proxy { "Requests go through the proxy when one is set (Settings → General)." } else { "Requests never go through the proxy." }}</li>
            {c.count_cross_seed_unsatisfied.then(|| view! { <li>"Cross-seeded torrents count towards unsatisfied downloads."</li> })}
            {(c.platform == "custom").then(|| view! { <li>"Custom platform: no platform adapter reads it; its history is what you add by hand or import."</li> })}
        </ul>
    }
}

/// Paused or not, with the button that changes it.
#[component]
fn PauseControl(t: TrackerView, changed: RwSignal<u32>) -> impl IntoView {
    let pause = ServerAction::<PauseTracker>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = pause.value().get() {
            changed.update(|n| *n += 1);
        }
    });
    let id = t.id;
    let paused = t.paused_at.is_some();
    let status = match t.paused_at {
        Some(at) => format!("Paused since {}: not polled until you resume it. Its history is kept.", format_time(&at)),
        None => "Polled with the others.".to_string(),
    };
    view! {
        <div class="actions" data-testid="pause-control">
            <p role="status">{paused.then(|| view! { <span class="badge warn">"Paused"</span> " " })}{status}</p>
            <button class="btn btn-small" type="button" disabled=move || pause.pending().get()
                on:click=move |_| { pause.dispatch(PauseTracker { id, paused: !paused }); }>
                {if paused { "Resume" } else { "Pause" }}
            </button>
        </div>
        <ErrorNotice error=action_error(pause.value())/>
    }
}

#[component]
fn SnapshotTable(snapshots: Vec<crate::model::trackers::Snapshot>, changed: RwSignal<u32>) -> impl IntoView {
    let delete = ServerAction::<DeleteSnapshot>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            changed.update(|n| *n += 1);
        }
    });
    let rows = snapshots
        .into_iter()
        .map(|s| {
            let id = s.id;
            let when = format_time(&s.polled_at);
            view! {
                <tr data-testid="snapshot-row">
                    <td data-label="Polled">{when.clone()} {s.is_manual.then(|| view! { " " <span class="badge">"manual"</span> })}</td>
                    <td class="num" data-label="Uploaded">{human_bytes(s.uploaded_bytes)}</td>
                    <td class="num" data-label="Downloaded">{human_bytes(s.downloaded_bytes)}</td>
                    <td class="num" data-label="Ratio">{s.ratio.map(|r| format!("{r:.3}")).unwrap_or_else(|| "—".into())}</td>
                    <td class="num" data-label="Buffer">{s.buffer_bytes.map(human_bytes).unwrap_or_else(|| "—".into())}</td>
                    <td class="num" data-label="Seeding">{s.seeding_count.map(|n| n.to_string()).unwrap_or_else(|| "—".into())}</td>
                    <td class="num" data-label="Bonus">{s.seed_bonus.map(|b| format!("{b:.1}")).unwrap_or_else(|| "—".into())}</td>
                    <td class="num" data-label="Share score">{s.share_score.map(|v| format!("{v:.3}")).unwrap_or_else(|| "—".into())}</td>
                    <td><ConfirmDelete what=format!("the snapshot of {when}") on_confirm=Callback::new(move |()| { delete.dispatch(DeleteSnapshot { id }); })/></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <ErrorNotice error=action_error(delete.value())/>
        <div class="table-wrap">
            <table class="stack">
                <caption class="visually-hidden">"Snapshots, newest first"</caption>
                <thead><tr>
                    <th scope="col">"Polled"</th><th scope="col" class="num">"Uploaded"</th><th scope="col" class="num">"Downloaded"</th>
                    <th scope="col" class="num">"Ratio"</th><th scope="col" class="num">"Buffer"</th><th scope="col" class="num">"Seeding"</th>
                    <th scope="col" class="num">"Bonus"</th><th scope="col" class="num">"Share score"</th><th scope="col">"Actions"</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// Sizes typed as "1.5 TiB", "800 GiB", "123456" (bytes).
pub fn parse_bytes(field: &str, label: &str, text: &str) -> Result<i64, Invalid> {
    let t = text.trim();
    let bad = || crate::validate::invalid(field, format!("{label} must be a size like 1.5 TiB, 800 GiB or a number of bytes (got {t:?})."));
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().map_err(|_| bad())?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kib" | "kb" | "k" => 1024.0,
        "mib" | "mb" | "m" => 1024f64.powi(2),
        "gib" | "gb" | "g" => 1024f64.powi(3),
        "tib" | "tb" | "t" => 1024f64.powi(4),
        "pib" | "pb" | "p" => 1024f64.powi(5),
        _ => return Err(bad()),
    };
    let v = n * mult;
    if !v.is_finite() || v < 0.0 || v > i64::MAX as f64 {
        return Err(bad());
    }
    // Whole numbers of bytes are kept exact (no float round trip).
    if unit.trim().is_empty() || unit.trim().eq_ignore_ascii_case("b") {
        return num.parse::<i64>().map_err(|_| bad());
    }
    Ok(v.round() as i64)
}

#[component]
fn ManualSnapshotForm(tracker_id: i64, changed: RwSignal<u32>) -> impl IntoView {
    let uploaded = RwSignal::new(String::new());
    let downloaded = RwSignal::new(String::new());
    let seeding = RwSignal::new(String::new());
    let leeching = RwSignal::new(String::new());
    let bonus = RwSignal::new(String::new());
    let warned = RwSignal::new(false);
    let add = ServerAction::<AddManualSnapshot>::new();
    let (local, error) = form_error(add.value());
    let ok = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(Ok(s)) = add.value().get() {
            ok.set(Some(format!("Snapshot added: {} up, {} down.", human_bytes(s.uploaded_bytes), human_bytes(s.downloaded_bytes))));
            changed.update(|n| *n += 1);
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        local.set(None);
        ok.set(None);
        let parsed = (|| -> Result<ManualSnapshotInput, Invalid> {
            let bonus = match bonus.get().trim() {
                "" => None,
                b => Some(crate::validate::parse_f64("seed_bonus", "Seed bonus", b)?),
            };
            let input = ManualSnapshotInput {
                tracker_id,
                polled_at: None,
                uploaded_bytes: parse_bytes("uploaded_bytes", "Uploaded", &uploaded.get())?,
                downloaded_bytes: parse_bytes("downloaded_bytes", "Downloaded", &downloaded.get())?,
                seeding_count: parse_optional_int("seeding_count", "Seeding", &seeding.get())?,
                leeching_count: parse_optional_int("leeching_count", "Leeching", &leeching.get())?,
                seed_bonus: bonus,
                hit_and_runs: None,
                freeleech_tokens: None,
                required_ratio: None,
                warned: warned.get(),
                username: None,
                group_name: None,
            };
            input.to_snapshot(chrono::Utc::now())?;
            Ok(input)
        })();
        match parsed {
            Ok(input) => {
                add.dispatch(AddManualSnapshot { input });
            }
            Err(e) => local.set(Some(e.message)),
        }
    };
    view! {
        <section class="card" aria-labelledby="manual-title">
            <h2 id="manual-title">"Add a snapshot by hand"</h2>
            <form on:submit=submit novalidate>
                <div class="form-grid">
                    <TextField id="manual-uploaded" label="Uploaded" value=uploaded required=true placeholder="12.5 TiB"/>
                    <TextField id="manual-downloaded" label="Downloaded" value=downloaded required=true placeholder="3 TiB"/>
                    <TextField id="manual-seeding" label="Seeding" kind="number" value=seeding/>
                    <TextField id="manual-leeching" label="Leeching" kind="number" value=leeching/>
                    <TextField id="manual-bonus" label="Seed bonus" value=bonus/>
                </div>
                <CheckField id="manual-warned" label="Warned" value=warned/>
                <ErrorNotice error/>
                <SuccessNotice message=Signal::derive(move || ok.get())/>
                <button class="btn btn-primary" type="submit" disabled=move || add.pending().get()>"Add snapshot"</button>
            </form>
        </section>
    }
}

#[component]
fn Roles(tracker_id: i64, roles: Vec<crate::model::trackers::TrackerRole>, changed: RwSignal<u32>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let date = RwSignal::new(String::new());
    let notes = RwSignal::new(String::new());
    let add = ServerAction::<AddRole>::new();
    let delete = ServerAction::<DeleteRole>::new();
    let local = RwSignal::new(None::<String>);
    let err = Signal::derive(move || local.get().or_else(|| action_error(add.value()).get()).or_else(|| action_error(delete.value()).get()));
    Effect::new(move |_| {
        if matches!(add.value().get(), Some(Ok(_))) || matches!(delete.value().get(), Some(Ok(()))) {
            changed.update(|n| *n += 1);
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        local.set(None);
        let achieved_at = match chrono::NaiveDate::parse_from_str(date.get().trim(), "%Y-%m-%d") {
            Ok(d) => d.and_hms_opt(0, 0, 0).map(|t| t.and_utc()).unwrap_or_default(),
            Err(_) => {
                local.set(Some("Achieved on must be a date like 2024-05-01.".into()));
                return;
            }
        };
        add.dispatch(AddRole { input: RoleInput { tracker_id, role_name: name.get(), achieved_at, notes: Some(notes.get()) } });
    };
    let items = roles
        .into_iter()
        .map(|r| {
            let id = r.id;
            view! {
                <li>{format!("{} — {}", r.achieved_at.format("%Y-%m-%d"), r.role_name)} {r.notes.clone().map(|n| view! { " " <small class="hint">{n}</small> })} " "
                    <ConfirmDelete what=format!("the role {}", r.role_name) on_confirm=Callback::new(move |()| { delete.dispatch(DeleteRole { id }); })/></li>
            }
        })
        .collect_view();
    view! {
        <section class="card" aria-labelledby="roles-title">
            <h2 id="roles-title">"Class history"</h2>
            <ul>{items}</ul>
            <form on:submit=submit novalidate>
                <div class="form-grid">
                    <TextField id="role-name" label="Role" value=name placeholder="Power User"/>
                    <TextField id="role-date" label="Achieved on" kind="date" value=date/>
                    <TextField id="role-notes" label="Notes" value=notes/>
                </div>
                <ErrorNotice error=err/>
                <button class="btn" type="submit">"Add role"</button>
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::parse_bytes;

    #[test]
    fn sizes() {
        assert_eq!(parse_bytes("u", "U", "1 KiB").unwrap(), 1024);
        assert_eq!(parse_bytes("u", "U", "1.5 TiB").unwrap(), 1_649_267_441_664);
        assert_eq!(parse_bytes("u", "U", "9007199254740993").unwrap(), 9_007_199_254_740_993);
        assert!(parse_bytes("u", "U", "-1 GiB").is_err());
        assert!(parse_bytes("u", "U", "lots").is_err());
    }
}
