//! A small accessible SVG line chart of uploaded and downloaded bytes over time.

use crate::model::human_bytes;
use crate::model::trackers::SeriesPoint;
use leptos::prelude::*;

const W: f64 = 720.0;
const H: f64 = 260.0;
// Room for the widest axis label ("1023.99 GiB") at the larger text size used on phones.
const LEFT: f64 = 124.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 32.0;

fn path(points: &[SeriesPoint], value: impl Fn(&SeriesPoint) -> i64, x: impl Fn(i64) -> f64, y: impl Fn(i64) -> f64) -> String {
    points
        .iter()
        .enumerate()
        .map(|(i, p)| format!("{}{:.1},{:.1}", if i == 0 { "M" } else { "L" }, x(p.at.timestamp()), y(value(p))))
        .collect::<Vec<_>>()
        .join(" ")
}

#[component]
pub fn UploadChart(points: Vec<SeriesPoint>, #[prop(into)] title: String) -> impl IntoView {
    if points.len() < 2 {
        return view! { <p class="hint">"The chart appears once there are two snapshots."</p> }.into_any();
    }
    let t0 = points.first().map(|p| p.at.timestamp()).unwrap_or(0);
    let t1 = points.last().map(|p| p.at.timestamp()).unwrap_or(1).max(t0 + 1);
    let max = points.iter().map(|p| p.uploaded_bytes.max(p.downloaded_bytes)).max().unwrap_or(1).max(1);
    let x = move |t: i64| LEFT + (t - t0) as f64 / (t1 - t0) as f64 * (W - LEFT - RIGHT);
    let y = move |v: i64| TOP + (1.0 - v as f64 / max as f64) * (H - TOP - BOTTOM);
    let up = path(&points, |p| p.uploaded_bytes, x, y);
    let down = path(&points, |p| p.downloaded_bytes, x, y);
    let last = points[points.len() - 1];
    let first = points[0];
    let summary = format!(
        "{title}: from {} to {}, uploaded grew from {} to {}, downloaded from {} to {}.",
        first.at.format("%Y-%m-%d"),
        last.at.format("%Y-%m-%d"),
        human_bytes(first.uploaded_bytes),
        human_bytes(last.uploaded_bytes),
        human_bytes(first.downloaded_bytes),
        human_bytes(last.downloaded_bytes)
    );
    let label = summary.clone();
    let ticks = (0..=4)
        .map(|i| {
            let v = max / 4 * i;
            let yy = y(v);
            view! {
                <line class="axis" x1=LEFT x2=W - RIGHT y1=yy y2=yy stroke-dasharray="2 4"/>
                <text x=LEFT - 6.0 y=yy + 4.0 text-anchor="end">{human_bytes(v)}</text>
            }
        })
        .collect_view();
    view! {
        <figure class="chart-figure">
            <svg class="chart" viewBox=format!("0 0 {W} {H}") role="img" aria-label=label data-testid="upload-chart">
                <title>{summary}</title>
                {ticks}
                <text x=LEFT y=H - 8.0>{first.at.format("%Y-%m-%d").to_string()}</text>
                <text x=W - RIGHT y=H - 8.0 text-anchor="end">{last.at.format("%Y-%m-%d").to_string()}</text>
                <path d=up fill="none" stroke="#16a34a" stroke-width="2"/>
                <path d=down fill="none" stroke="#dc2626" stroke-width="2"/>
            </svg>
            <figcaption class="legend">
                <span><span class="swatch" style="background:#16a34a"></span>" Uploaded"</span>
                <span><span class="swatch" style="background:#dc2626"></span>" Downloaded"</span>
            </figcaption>
        </figure>
    }
    .into_any()
}
