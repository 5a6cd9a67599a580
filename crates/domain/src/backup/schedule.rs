//! Scheduled backups: at 03:00 server local time (TZ honoured) — daily, weekly on Mondays, or
//! monthly on the 1st. A 03:00 that happens twice (clocks going back) runs once, at the first;
//! one that is skipped (clocks going forward) runs at the next valid local time. The clock is
//! injected, so the next-run computation and whole runs are tested without waiting. A slot
//! missed while the server was down runs once soon after start-up.

use super::history;
use super::storage::{self, Trigger};
use super::BackupError;
use crate::time::{from_db, to_db};
use crate::{settings, AppState};
use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    Daily,
    Weekly,
    Monthly,
}

impl Frequency {
    pub fn parse(s: &str) -> Option<Frequency> {
        match s {
            "daily" => Some(Frequency::Daily),
            "weekly" => Some(Frequency::Weekly),
            "monthly" => Some(Frequency::Monthly),
            _ => None,
        }
    }

    fn matches(self, d: NaiveDate) -> bool {
        match self {
            Frequency::Daily => true,
            Frequency::Weekly => d.weekday() == Weekday::Mon,
            Frequency::Monthly => d.day() == 1,
        }
    }
}

/// Local hour of the scheduled run.
pub const RUN_AT: NaiveTime = match NaiveTime::from_hms_opt(3, 0, 0) {
    Some(t) => t,
    None => panic!("03:00 is a valid time"),
};

/// The instant of the run on local date `d`: 03:00, the first of two 03:00s, or — when 03:00 does
/// not exist that day — the first valid local minute after it.
pub fn slot_on<Tz: TimeZone>(tz: &Tz, d: NaiveDate) -> DateTime<Utc> {
    let mut t = d.and_time(RUN_AT);
    for _ in 0..(24 * 60) {
        match tz.from_local_datetime(&t) {
            LocalResult::Single(x) => return x.with_timezone(&Utc),
            LocalResult::Ambiguous(a, b) => return a.with_timezone(&Utc).min(b.with_timezone(&Utc)),
            LocalResult::None => t += Duration::minutes(1),
        }
    }
    // No valid minute in a whole day cannot happen in real zones; fall back to UTC.
    Utc.from_utc_datetime(&d.and_time(RUN_AT))
}

/// The first scheduled run strictly after `after`.
pub fn next_run<Tz: TimeZone>(after: DateTime<Utc>, freq: Frequency, tz: &Tz) -> DateTime<Utc> {
    let start = after.with_timezone(tz).date_naive() - Duration::days(1);
    let mut d = start;
    loop {
        if freq.matches(d) {
            let slot = slot_on(tz, d);
            if slot > after {
                return slot;
            }
        }
        d = d.succ_opt().unwrap_or(d);
        if d - start > Duration::days(400) {
            return after + Duration::days(1);
        }
    }
}

/// The latest scheduled run at or before `at`.
pub fn previous_run<Tz: TimeZone>(at: DateTime<Utc>, freq: Frequency, tz: &Tz) -> DateTime<Utc> {
    let start = at.with_timezone(tz).date_naive() + Duration::days(1);
    let mut d = start;
    loop {
        if freq.matches(d) {
            let slot = slot_on(tz, d);
            if slot <= at {
                return slot;
            }
        }
        d = d.pred_opt().unwrap_or(d);
        if start - d > Duration::days(400) {
            return at - Duration::days(1);
        }
    }
}

/// The time zone scheduled backups follow: the server's local zone (TZ is honoured).
pub fn server_tz() -> chrono::Local {
    chrono::Local
}

async fn last_slot(state: &AppState) -> Result<Option<DateTime<Utc>>, BackupError> {
    let (slot,): (Option<String>,) = sqlx::query_as("SELECT last_slot FROM backup_schedule_state WHERE id = 1").fetch_one(&state.db).await?;
    Ok(slot.as_deref().and_then(from_db))
}

async fn set_last_slot(state: &AppState, slot: DateTime<Utc>) -> Result<(), BackupError> {
    sqlx::query("UPDATE backup_schedule_state SET last_slot = $1 WHERE id = 1").bind(to_db(slot)).execute(&state.db).await?;
    Ok(())
}

/// Called when the schedule is turned on or its frequency changes: slots before now are not
/// "missed", so nothing runs at once.
pub async fn mark_current<Tz: TimeZone>(state: &AppState, freq: Frequency, tz: &Tz) -> Result<(), BackupError> {
    set_last_slot(state, previous_run(state.now(), freq, tz)).await
}

/// After the backup settings changed (saved, or brought by a restore): a schedule that was just
/// turned on, or whose frequency changed, does not count earlier slots as missed (nothing runs
/// at once); the scheduler is woken to recompute its next run.
pub async fn settings_changed(state: &AppState, was_on: bool, old_frequency: &str) -> Result<(), BackupError> {
    let s = settings::load(&state.db).await?;
    if s.backup_schedule_enabled && (!was_on || old_frequency != s.backup_frequency) {
        if let Some(freq) = Frequency::parse(&s.backup_frequency) {
            mark_current(state, freq, &server_tz()).await?;
        }
    }
    state.schedule_changed.notify_one();
    Ok(())
}

/// When the next scheduled run happens (None when the schedule is off).
pub async fn next_scheduled<Tz: TimeZone>(state: &AppState, tz: &Tz) -> Result<Option<DateTime<Utc>>, BackupError> {
    let s = settings::load(&state.db).await?;
    let Some(freq) = Frequency::parse(&s.backup_frequency).filter(|_| s.backup_schedule_enabled) else {
        return Ok(None);
    };
    let now = state.now();
    let due = previous_run(now, freq, tz);
    if last_slot(state).await?.is_none_or(|last| last < due) {
        return Ok(Some(now));
    }
    Ok(Some(next_run(now, freq, tz)))
}

/// What one scheduler check did.
#[derive(Debug)]
pub enum Tick {
    /// Schedule off, or nothing due: the next check should happen by this time.
    Idle(Option<DateTime<Utc>>),
    Ran(Box<Result<storage::Written, String>>),
}

/// Runs the scheduled backup if a slot is due (including one missed while the server was down:
/// only the latest missed slot runs, once).
pub async fn tick<Tz: TimeZone>(state: &AppState, tz: &Tz) -> Result<Tick, BackupError> {
    let s = settings::load(&state.db).await?;
    let Some(freq) = Frequency::parse(&s.backup_frequency).filter(|_| s.backup_schedule_enabled) else {
        return Ok(Tick::Idle(None));
    };
    let now = state.now();
    let due = previous_run(now, freq, tz);
    let last = last_slot(state).await?;
    if last.is_some_and(|l| l >= due) {
        return Ok(Tick::Idle(Some(next_run(now, freq, tz))));
    }
    set_last_slot(state, due).await?;
    let outcome = run_scheduled_backup(state).await?;
    Ok(Tick::Ran(Box::new(outcome)))
}

/// One scheduled backup run: write and verify, then apply retention; a failure is recorded and
/// notified.
pub async fn run_scheduled_backup(state: &AppState) -> Result<Result<storage::Written, String>, BackupError> {
    run(state, Trigger::Scheduled).await
}

/// "Run a scheduled backup now": the same run, recorded as "manual". Without a storage path it
/// is refused before anything happens (no failed run in the history, no "backup failed"
/// notification): that is a setting to make, said at once to the person who asked.
pub async fn run_now(state: &AppState) -> Result<Result<storage::Written, String>, BackupError> {
    if settings::load(&state.db).await?.backup_storage_path.is_none() {
        return Err(BackupError::NoStoragePath);
    }
    run(state, Trigger::Manual).await
}

async fn run(state: &AppState, trigger: Trigger) -> Result<Result<storage::Written, String>, BackupError> {
    let outcome = storage::write_backup(state, trigger).await;
    match &outcome {
        Ok(_) => {
            let s = settings::load(&state.db).await?;
            let deleted = history::prune(state, s.backup_retention_count).await?;
            if !deleted.is_empty() {
                tracing::info!("backup retention removed {} old backup(s)", deleted.len());
            }
            sqlx::query("UPDATE backup_schedule_state SET failure_streak = 0, failure_notified = 0 WHERE id = 1").execute(&state.db).await?;
        }
        Err(e) => {
            tracing::warn!("{} backup failed: {e}", trigger.as_str());
            record_failure(state, trigger, &e.to_string()).await?;
        }
    }
    Ok(outcome.map_err(|e| e.to_string()))
}

/// Counts a failure; the first of a streak is sent to the targets that opt in to "backup_failed".
async fn record_failure(state: &AppState, trigger: Trigger, reason: &str) -> Result<(), BackupError> {
    let (notified,): (i64,) =
        sqlx::query_as("UPDATE backup_schedule_state SET failure_streak = failure_streak + 1 WHERE id = 1 RETURNING failure_notified")
            .fetch_one(&state.db)
            .await?;
    if notified == 0 {
        let which = if trigger == Trigger::Manual { "The backup run by hand (“Run a scheduled backup now”)" } else { "The scheduled backup" };
        let message = format!("{which} failed: {reason}");
        let outcomes = crate::notify::send_event(state, "backup_failed", "Tracker Tracker: backup failed", &message).await;
        let failed = outcomes.iter().filter(|o| o.is_err()).count();
        if failed > 0 {
            tracing::warn!("{failed} backup-failure notification(s) could not be delivered");
        }
        sqlx::query("UPDATE backup_schedule_state SET failure_notified = 1 WHERE id = 1").execute(&state.db).await?;
    }
    Ok(())
}

/// The background job: checks at least every minute (so clock changes and suspends are caught),
/// and at once when the settings change.
pub async fn run_forever(state: AppState) {
    let tz = server_tz();
    loop {
        let wait = match tick(&state, &tz).await {
            Ok(Tick::Idle(Some(next))) => (next - state.now()).to_std().unwrap_or_default().min(std::time::Duration::from_secs(60)),
            Ok(Tick::Idle(None)) => std::time::Duration::from_secs(3600),
            Ok(Tick::Ran(_)) => std::time::Duration::from_secs(1),
            Err(e) => {
                tracing::error!("backup scheduler: {e}");
                std::time::Duration::from_secs(60)
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = state.schedule_changed.notified() => {}
        }
    }
}
