//! The scheduler: the background job that runs the scheduled backup when a slot is due (see
//! `schedule` for when that is), remembering the last slot it ran, and woken when the backup
//! settings change. A slot missed while the server was down runs once soon after start-up.

use super::run;
use super::schedule::{next_run, previous_run, server_tz, Frequency};
use super::BackupError;
use crate::time::{from_db, to_db};
use crate::{settings, AppState};
use chrono::{DateTime, TimeZone, Utc};

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
pub async fn settings_changed(state: &AppState, was_on: bool, old_frequency: Frequency) -> Result<(), BackupError> {
    let s = settings::load(&state.db).await?;
    if s.backup_schedule_enabled && (!was_on || old_frequency != s.backup_frequency) {
        mark_current(state, s.backup_frequency, &server_tz()).await?;
    }
    state.schedule_changed.notify_one();
    Ok(())
}

/// When the next scheduled run happens (None when the schedule is off).
pub async fn next_scheduled<Tz: TimeZone>(state: &AppState, tz: &Tz) -> Result<Option<DateTime<Utc>>, BackupError> {
    let s = settings::load(&state.db).await?;
    let Some(freq) = Some(s.backup_frequency).filter(|_| s.backup_schedule_enabled) else {
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
    Ran(Box<Result<run::Written, String>>),
}

/// Runs the scheduled backup if a slot is due (including one missed while the server was down:
/// only the latest missed slot runs, once).
pub async fn tick<Tz: TimeZone>(state: &AppState, tz: &Tz) -> Result<Tick, BackupError> {
    let s = settings::load(&state.db).await?;
    let Some(freq) = Some(s.backup_frequency).filter(|_| s.backup_schedule_enabled) else {
        return Ok(Tick::Idle(None));
    };
    let now = state.now();
    let due = previous_run(now, freq, tz);
    let last = last_slot(state).await?;
    if last.is_some_and(|l| l >= due) {
        return Ok(Tick::Idle(Some(next_run(now, freq, tz))));
    }
    set_last_slot(state, due).await?;
    let outcome = run::run_scheduled_backup(state).await?;
    Ok(Tick::Ran(Box::new(outcome)))
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
