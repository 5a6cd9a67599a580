//! The dashboard: totals across trackers and a card per tracker.

use crate::api::trackers::list_trackers;
use crate::components::human_bytes;
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn DashboardPage() -> impl IntoView {
    let trackers = Resource::new(|| (), |_| list_trackers());
    view! {
        <h1>"Dashboard"</h1>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match trackers.await {
                    Ok(list) if list.is_empty() => view! {
                        <div class="card">
                            <p>"Nothing recorded yet."</p>
                            <A href="/trackers" attr:class="btn btn-primary">"Add a tracker"</A>
                        </div>
                    }.into_any(),
                    Ok(list) => {
                        let up: i64 = list.iter().filter_map(|t| t.latest.as_ref()).map(|s| s.uploaded_bytes).fold(0i64, |a, b| a.saturating_add(b));
                        let down: i64 = list.iter().filter_map(|t| t.latest.as_ref()).map(|s| s.downloaded_bytes).fold(0i64, |a, b| a.saturating_add(b));
                        let ratio = if down > 0 { format!("{:.2}", up as f64 / down as f64) } else { "—".into() };
                        view! {
                            <dl class="summary-grid card">
                                <div><dt>"Trackers"</dt><dd>{list.len()}</dd></div>
                                <div><dt>"Uploaded"</dt><dd>{human_bytes(up)}</dd></div>
                                <div><dt>"Downloaded"</dt><dd>{human_bytes(down)}</dd></div>
                                <div><dt>"Overall ratio"</dt><dd>{ratio}</dd></div>
                            </dl>
                            <div class="tracker-cards">
                                {list.into_iter().map(|t| {
                                    let s = t.latest.clone();
                                    view! {
                                        <A href=format!("/trackers/{}", t.id) attr:class="card tracker-card">
                                            <h2><span class="swatch" style=format!("background:{}", t.config.color)></span>" "{t.config.name.clone()}</h2>
                                            {match s {
                                                Some(s) => view! {
                                                    <p>{format!("↑ {}  ↓ {}", human_bytes(s.uploaded_bytes), human_bytes(s.downloaded_bytes))}</p>
                                                    <p class="hint">{format!("Ratio {} · as of {}", s.ratio.map(|r| format!("{r:.2}")).unwrap_or_else(|| "—".into()), s.polled_at.format("%Y-%m-%d %H:%M UTC"))}</p>
                                                }.into_any(),
                                                None => view! { <p class="hint">"No snapshot yet."</p> }.into_any(),
                                            }}
                                        </A>
                                    }
                                }).collect_view()}
                            </div>
                        }.into_any()
                    }
                    Err(e) => view! { <p class="error" role="alert">{e.message}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}
