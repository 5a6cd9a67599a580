//! Retention in a location: which backups a policy keeps (pure, `select`), and applying it after
//! a verified upload (`apply`) or showing it before a policy is saved (`preview`).
//!
//! Only copies this instance uploaded and verified are candidates, and only under the location's
//! prefix with one of this app's backup names: objects another instance (or a person) put there
//! are never deleted. The newest verified backup always stays, and so does a pinned one (which
//! takes no place in the policy's counts). Nothing is deleted after a failed upload.

use super::copies::{self, CopyRow};
use super::location::StoredLocation;
use super::remote::Remote;
use super::LocationError;
use crate::AppState;
use chrono::{DateTime, Datelike, TimeZone, Utc};
use std::collections::{BTreeMap, HashSet};
use tt_core::backup_format::name;
use tt_core::model::locations::{CopyStatus, RetentionItem, RetentionPolicy, RetentionPreview};

/// Why a backup stays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    Last,
    Daily,
    Weekly,
    Monthly,
    NewestVerified,
    Pinned,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Last => "last",
            Reason::Daily => "daily",
            Reason::Weekly => "weekly",
            Reason::Monthly => "monthly",
            Reason::NewestVerified => "newest verified",
            Reason::Pinned => "pinned",
        }
    }
}

/// A backup retention may keep or delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub id: i64,
    pub created_at: DateTime<Utc>,
    pub pinned: bool,
}

/// What a policy does with a set of backups: the kept ones with their reasons, the deleted ones,
/// each newest first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selection {
    pub keep: BTreeMap<i64, Vec<Reason>>,
    pub delete: Vec<i64>,
}

/// A calendar period's key (year and day, week or month) of a local time.
type Period<Tz> = dyn Fn(&DateTime<Tz>) -> (i32, u32, u32);

/// Applies `policy` to `candidates` (any order; ties in time broken by id, newer = larger).
/// Days, ISO weeks and months are those of `tz` (the server's zone, as the schedule's 03:00).
/// As restic's `--keep-last/--keep-daily/--keep-weekly/--keep-monthly`: a backup stays if it is
/// among the `last` newest, or the newest of one of the `daily` most recent days that have a
/// backup, or of the `weekly` most recent weeks, or of the `monthly` most recent months.
pub fn select<Tz: TimeZone>(tz: &Tz, policy: &RetentionPolicy, candidates: &[Candidate]) -> Selection {
    let (last, daily, weekly, monthly) = match *policy {
        RetentionPolicy::KeepLast { count } => (count, 0, 0, 0),
        RetentionPolicy::Calendar { last, daily, weekly, monthly } => (last, daily, weekly, monthly),
    };
    let count = |n: i64| n.max(0) as usize;
    let mut sorted: Vec<Candidate> = candidates.to_vec();
    sorted.sort_by_key(|c| std::cmp::Reverse((c.created_at, c.id)));
    let mut keep: BTreeMap<i64, Vec<Reason>> = BTreeMap::new();
    let mut add = |id: i64, r: Reason| keep.entry(id).or_default().push(r);
    for c in sorted.iter().filter(|c| c.pinned) {
        add(c.id, Reason::Pinned);
    }
    let policy_set: Vec<&Candidate> = sorted.iter().filter(|c| !c.pinned).collect();
    if let Some(newest) = policy_set.first() {
        add(newest.id, Reason::NewestVerified);
    }
    for c in policy_set.iter().take(count(last)) {
        add(c.id, Reason::Last);
    }
    // The newest backup of each of the n most recent periods that have one.
    let mut per_period = |n: usize, reason: Reason, period: &Period<Tz>| {
        let mut seen = HashSet::new();
        for c in &policy_set {
            let p = period(&c.created_at.with_timezone(tz));
            if seen.contains(&p) {
                continue;
            }
            if seen.len() == n {
                break;
            }
            seen.insert(p);
            add(c.id, reason);
        }
    };
    per_period(count(daily), Reason::Daily, &|t| (t.year(), t.month(), t.day()));
    per_period(count(weekly), Reason::Weekly, &|t| (t.iso_week().year(), t.iso_week().week(), 0));
    per_period(count(monthly), Reason::Monthly, &|t| (t.year(), t.month(), 0));
    let delete = sorted.iter().map(|c| c.id).filter(|id| !keep.contains_key(id)).collect();
    Selection { keep, delete }
}

/// The copies retention may touch in a location: verified, uploaded by this instance, under its
/// prefix, with one of this app's names.
fn candidates(remote: &Remote, rows: &[CopyRow]) -> Vec<CopyRow> {
    rows.iter()
        .filter(|c| c.status == CopyStatus::Verified)
        .filter(|c| remote.file_name_of(&c.remote_key).is_some_and(name::is_backup_file_name))
        .cloned()
        .collect()
}

fn selection(policy: &RetentionPolicy, rows: &[CopyRow]) -> Selection {
    let list: Vec<Candidate> = rows.iter().map(|c| Candidate { id: c.id, created_at: c.backup_created_at, pinned: c.pinned }).collect();
    select(&chrono::Local, policy, &list)
}

/// Applies the location's policy after a verified upload: deletes the objects it does not keep
/// and their records. One object that cannot be deleted is logged and kept. Also forgets the
/// records of failed uploads whose local backup is gone. Returns the file names deleted.
pub async fn apply(state: &AppState, location: &StoredLocation, remote: &Remote) -> Result<Vec<String>, LocationError> {
    let rows = copies::of_location(state, location.id).await?;
    let candidates = candidates(remote, &rows);
    let chosen = selection(&location.settings.retention, &candidates);
    let mut deleted = Vec::new();
    for id in chosen.delete {
        let Some(c) = candidates.iter().find(|c| c.id == id) else { continue };
        match remote.delete(&object_store::path::Path::from(c.remote_key.as_str())).await {
            Ok(()) => {
                copies::remove(state, c.id).await?;
                deleted.push(c.file_name().to_string());
            }
            Err(e) => tracing::warn!("retention in the backup location “{}” could not delete {}: {e}", location.settings.name, c.remote_key),
        }
    }
    for c in rows.iter().filter(|c| c.status == CopyStatus::Failed && c.history_id.is_none()) {
        copies::remove(state, c.id).await?;
    }
    Ok(deleted)
}

/// What `policy` would keep and delete among the location's backups now (nothing is changed).
pub async fn preview(
    state: &AppState,
    location: &StoredLocation,
    remote: &Remote,
    policy: &RetentionPolicy,
) -> Result<RetentionPreview, LocationError> {
    let policy = policy.validate()?;
    let rows = copies::of_location(state, location.id).await?;
    let candidates = candidates(remote, &rows);
    let chosen = selection(&policy, &candidates);
    let item = |c: &CopyRow, reasons: Vec<String>| RetentionItem {
        id: c.id,
        file_name: c.file_name().to_string(),
        created_at: c.backup_created_at,
        reasons,
    };
    let mut keep = Vec::new();
    let mut delete = Vec::new();
    for c in &candidates {
        match chosen.keep.get(&c.id) {
            Some(reasons) => keep.push(item(c, reasons.iter().map(|r| r.as_str().to_string()).collect())),
            None => delete.push(item(c, Vec::new())),
        }
    }
    Ok(RetentionPreview { policy, keep, delete })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, NaiveDate};

    fn year_of_daily_runs(tz: &impl TimeZone, from: NaiveDate, days: i64) -> Vec<Candidate> {
        (0..days)
            .map(|i| Candidate { id: i + 1, created_at: crate::backup::schedule::slot_on(tz, from + Duration::days(i)), pinned: false })
            .collect()
    }

    fn dates<Tz: TimeZone>(tz: &Tz, all: &[Candidate], ids: impl IntoIterator<Item = i64>) -> Vec<String> {
        let mut v: Vec<String> = ids
            .into_iter()
            .map(|id| all.iter().find(|c| c.id == id).expect("known id").created_at.with_timezone(tz).date_naive().to_string())
            .collect();
        v.sort();
        v
    }

    /// A year of daily 03:00 runs in Berlin (both DST changes included), pruned after every run
    /// as the app does: the exact set that remains.
    #[test]
    fn a_calendar_policy_over_a_year_of_daily_runs_keeps_exactly_its_set() {
        let tz = chrono_tz::Europe::Berlin;
        let all = year_of_daily_runs(&tz, NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(), 365);
        let policy = RetentionPolicy::Calendar { last: 3, daily: 7, weekly: 4, monthly: 6 };
        let mut stored: Vec<Candidate> = Vec::new();
        for c in &all {
            stored.push(*c);
            let chosen = select(&tz, &policy, &stored);
            assert!(chosen.keep.contains_key(&c.id), "the backup just made stays");
            stored.retain(|s| !chosen.delete.contains(&s.id));
        }
        let kept = dates(&tz, &all, stored.iter().map(|c| c.id));
        assert_eq!(
            kept,
            [
                // The newest of each of the last six months.
                "2026-07-31",
                "2026-08-31",
                "2026-09-30",
                "2026-10-31",
                "2026-11-30",
                // The newest of ISO weeks 50 and 51 (weeks 52 and 53 are covered by the days).
                "2026-12-13",
                "2026-12-20",
                // The last seven days (the last three among them).
                "2026-12-25",
                "2026-12-26",
                "2026-12-27",
                "2026-12-28",
                "2026-12-29",
                "2026-12-30",
                "2026-12-31",
            ]
        );
        // Pruning once at the end gives the same set.
        let once = select(&tz, &policy, &all);
        assert_eq!(dates(&tz, &all, once.keep.keys().copied()), kept);
        assert_eq!(once.delete.len(), 365 - kept.len());
        let reasons = &once.keep[&365];
        assert_eq!(reasons, &vec![Reason::NewestVerified, Reason::Last, Reason::Daily, Reason::Weekly, Reason::Monthly]);
        assert_eq!(
            once.keep[&all.iter().find(|c| c.created_at.with_timezone(&tz).day() == 13 && c.created_at.with_timezone(&tz).month() == 12).unwrap().id],
            vec![Reason::Weekly]
        );
    }

    #[test]
    fn keep_last_keeps_the_newest_and_pinned_ones_on_top() {
        let tz = Utc;
        let mut all = year_of_daily_runs(&tz, NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(), 30);
        all[2].pinned = true; // 2026-03-03
        let chosen = select(&tz, &RetentionPolicy::KeepLast { count: 5 }, &all);
        assert_eq!(
            dates(&tz, &all, chosen.keep.keys().copied()),
            ["2026-03-03", "2026-03-26", "2026-03-27", "2026-03-28", "2026-03-29", "2026-03-30"]
        );
        assert_eq!(chosen.keep[&3], vec![Reason::Pinned]);
        assert_eq!(chosen.delete.len(), 24);
        // Whatever the policy, the newest stays (a calendar policy of one old month keeps it too).
        let chosen = select(&tz, &RetentionPolicy::Calendar { last: 0, daily: 0, weekly: 0, monthly: 1 }, &all);
        assert_eq!(chosen.keep.len(), 2, "{chosen:?}");
        assert!(select(&tz, &RetentionPolicy::KeepLast { count: 1 }, &[]).keep.is_empty());
    }

    #[test]
    fn several_runs_a_day_keep_the_newest_of_the_day() {
        let tz = Utc;
        let day = |d: u32, h: u32, id: i64| Candidate { id, created_at: Utc.with_ymd_and_hms(2026, 5, d, h, 0, 0).unwrap(), pinned: false };
        let all = [day(1, 3, 1), day(1, 15, 2), day(2, 3, 3), day(2, 9, 4), day(2, 20, 5), day(3, 3, 6)];
        let chosen = select(&tz, &RetentionPolicy::Calendar { last: 1, daily: 3, weekly: 0, monthly: 0 }, &all);
        assert_eq!(chosen.keep.keys().copied().collect::<Vec<_>>(), vec![2, 5, 6]);
        assert_eq!(chosen.delete, vec![4, 3, 1]);
    }
}
