//! The part of a restore report that only an original Tracker Tracker (Node.js app) backup has:
//! what was carried per section, what was skipped and why, what has no home here, what was
//! adjusted, and where the two apps behave differently. Everything comes from the server's
//! report (`RestoreReport::original`); nothing is worked out here.

use crate::model::backup::OriginalReport;
use leptos::prelude::*;

/// How the report names which password opened the original's secrets.
fn opened_with(key: &str) -> &'static str {
    match key {
        "current_password" => "They opened with this instance's login password.",
        "source_password" => "They opened with the login password you gave for the original instance.",
        "no_secrets" => "The file holds no secrets to open.",
        _ => "No password you gave opens them: they are cleared and their owners disabled.",
    }
}

#[component]
pub(super) fn OriginalReportBody(report: OriginalReport) -> impl IntoView {
    let s = report.secrets.clone();
    let version = report.app_version.clone().unwrap_or_else(|| "(version not recorded)".into());
    view! {
        <div class="original-report" data-testid="original-report">
            <p><strong>{format!("From the original Tracker Tracker {version}, per section of its file (in the file → carried, skipped):")}</strong></p>
            <ul class="changes" data-testid="original-sections">
                {report.sections.iter().map(|x| {
                    let here = if x.here.is_some() { "" } else { " (no home here)" };
                    view! { <li data-section=x.section.clone()>{format!("{}{here}: {} → {} carried, {} skipped", x.section, x.in_file, x.carried, x.skipped)}</li> }
                }).collect_view()}
            </ul>
            {(!report.skipped.is_empty()).then(|| view! {
                <p><strong>"Skipped records:"</strong></p>
                <ul class="changes" data-testid="original-skipped">
                    {report.skipped.iter().map(|k| {
                        let ids = k.ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", ");
                        let more = if (k.ids.len() as u64) < k.count { ", …" } else { "" };
                        view! { <li data-section=k.section.clone()>{format!("{}: {} record(s), {} (ids {ids}{more})", k.section, k.count, k.reason)}</li> }
                    }).collect_view()}
                </ul>
            })}
            {(!report.count_mismatches.is_empty()).then(|| view! {
                <p><strong>"The file's manifest counts differ from what it holds (the original never compared them; the counts above are the real ones):"</strong></p>
                <ul class="changes" data-testid="original-count-mismatches">
                    {report.count_mismatches.iter().map(|m| {
                        let said = m.manifest.map_or("no count".to_string(), |n| n.to_string());
                        let held = m.actual.map_or("no such section".to_string(), |n| n.to_string());
                        view! { <li>{format!("{}: manifest {said}, file {held}", m.section)}</li> }
                    }).collect_view()}
                </ul>
            })}
            <p data-testid="original-secrets">
                {format!(
                    "The original's secrets: {} carried (sealed again under this instance's key), {} cleared, {} already empty in the file, {} of fields with no home here. ",
                    s.carried, s.cleared, s.empty_in_file, s.not_carried
                )}
                {opened_with(&s.opened_with)}
            </p>
            <p>{report.totp.clone()}</p>
            {(!report.not_carried.is_empty()).then(|| view! {
                <details data-testid="original-not-carried">
                    <summary>{format!("Fields with no home here ({})", report.not_carried.len())}</summary>
                    <ul class="changes">
                        {report.not_carried.iter().map(|f| {
                            let unknown = if f.unknown { " (not known to this importer)" } else { "" };
                            view! { <li>{format!("{}.{}{unknown}, {} record(s) with a value: {}", f.section, f.field, f.records, f.fate)}</li> }
                        }).collect_view()}
                    </ul>
                </details>
            })}
            {(!report.unknown_top_level_keys.is_empty()).then(|| view! {
                <p>{format!("Skipped parts of the file this importer does not know: {}.", report.unknown_top_level_keys.join(", "))}</p>
            })}
            {(!report.adjusted.is_empty()).then(|| view! {
                <p><strong>"Values changed to fit this app:"</strong></p>
                <ul class="changes" data-testid="original-adjusted">{report.adjusted.iter().map(|a| view! { <li>{a.clone()}</li> }).collect_view()}</ul>
            })}
            {(!report.behaviour.is_empty()).then(|| view! {
                <div class="notice" data-testid="original-behaviour">
                    <p><strong>"Differences from the original that matter after the import:"</strong></p>
                    <ul>{report.behaviour.iter().map(|b| view! { <li>{b.clone()}</li> }).collect_view()}</ul>
                </div>
            })}
        </div>
    }
}
