//! The backup history table: one row per stored backup (a run, scheduled, by hand or before a
//! restore, with its outcome; or a file added by hand), and the queries and updates on it.
//! Nothing here touches files.

use super::BackupError;
use crate::time::to_db;
use crate::AppState;
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};
use tt_core::model::backup::HistoryEntry;

/// Why a backup was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The 03:00 run.
    Scheduled,
    /// "Run a scheduled backup now": written, verified and pruned like a scheduled one.
    Manual,
    PreRestore,
    /// A file found in the storage directory and added by hand (see `stored::import`).
    /// Retention never deletes these: it only counts scheduled (and manual) runs.
    Imported,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Scheduled => "scheduled",
            Trigger::Manual => "manual",
            Trigger::PreRestore => "pre_restore",
            Trigger::Imported => "imported",
        }
    }
}

/// History triggers of the runs written to the storage path by the schedule's rules (retention
/// counts them together).
pub const SCHEDULE_TRIGGERS: &str = "('scheduled', 'manual')";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Row {
    pub id: i64,
    pub created_at: DateTime<Utc>,
    pub trigger_kind: String,
    pub file_name: Option<String>,
    pub directory: Option<String>,
    pub size_bytes: Option<i64>,
    pub encrypted: bool,
    pub sha256: Option<String>,
    pub status: String,
    pub error: Option<String>,
    pub verified_at: Option<DateTime<Utc>>,
    pub verify_status: Option<String>,
    pub verify_message: Option<String>,
}

impl Row {
    pub fn path(&self) -> Option<PathBuf> {
        match (&self.directory, &self.file_name) {
            (Some(d), Some(f)) => Some(Path::new(d).join(f)),
            _ => None,
        }
    }

    pub fn entry(self) -> HistoryEntry {
        let file_present = self.status == "completed" && self.path().is_some_and(|p| p.is_file());
        HistoryEntry {
            id: self.id,
            created_at: self.created_at,
            trigger: self.trigger_kind,
            file_name: self.file_name,
            directory: self.directory,
            size_bytes: self.size_bytes,
            encrypted: self.encrypted,
            sha256: self.sha256,
            status: self.status,
            error: self.error,
            verified_at: self.verified_at,
            verify_status: self.verify_status,
            verify_message: self.verify_message,
            file_present,
        }
    }
}

pub async fn start(state: &AppState, now: DateTime<Utc>, trigger: Trigger, encrypted: bool) -> Result<i64, BackupError> {
    let (id,): (i64,) =
        sqlx::query_as("INSERT INTO backup_history (created_at, trigger_kind, encrypted, status) VALUES ($1, $2, $3, 'running') RETURNING id")
            .bind(to_db(now))
            .bind(trigger.as_str())
            .bind(encrypted)
            .fetch_one(&state.db)
            .await?;
    Ok(id)
}

/// A run's file, written and verified.
pub struct Completed<'a> {
    pub file_name: &'a str,
    pub path: &'a Path,
    pub size: u64,
    pub sha256: &'a str,
    pub encrypted: bool,
}

pub async fn complete(state: &AppState, id: i64, w: &Completed<'_>) -> Result<(), BackupError> {
    let dir = w.path.parent().map(|d| d.display().to_string());
    sqlx::query(
        "UPDATE backup_history SET status = 'completed', file_name = $1, directory = $2, size_bytes = $3, sha256 = $4,
         encrypted = $5, verified_at = $6, verify_status = 'ok', verify_message = 'Verified right after writing.' WHERE id = $7",
    )
    .bind(w.file_name)
    .bind(dir)
    .bind(w.size as i64)
    .bind(w.sha256)
    .bind(w.encrypted)
    .bind(to_db(state.now()))
    .bind(id)
    .execute(&state.db)
    .await?;
    Ok(())
}

pub async fn fail(state: &AppState, id: i64, reason: &str) -> Result<(), BackupError> {
    sqlx::query("UPDATE backup_history SET status = 'failed', error = $1 WHERE id = $2").bind(reason).bind(id).execute(&state.db).await?;
    Ok(())
}

/// Marks every run still 'running' as failed with `reason`; returns when they started.
pub async fn fail_running(state: &AppState, reason: &str) -> Result<Vec<DateTime<Utc>>, BackupError> {
    let started: Vec<(String,)> =
        sqlx::query_as("UPDATE backup_history SET status = 'failed', error = $1 WHERE status = 'running' RETURNING created_at")
            .bind(reason)
            .fetch_all(&state.db)
            .await?;
    Ok(started.iter().filter_map(|(t,)| crate::time::from_db(t)).collect())
}

pub async fn last_completed_size(state: &AppState) -> Result<Option<u64>, BackupError> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT size_bytes FROM backup_history WHERE status = 'completed' AND size_bytes IS NOT NULL ORDER BY id DESC LIMIT 1")
            .fetch_optional(&state.db)
            .await?;
    Ok(row.map(|(n,)| n.max(0) as u64))
}

/// Newest first.
pub async fn list(state: &AppState) -> Result<Vec<HistoryEntry>, BackupError> {
    let rows: Vec<Row> = sqlx::query_as("SELECT * FROM backup_history ORDER BY created_at DESC, id DESC").fetch_all(&state.db).await?;
    Ok(rows.into_iter().map(Row::entry).collect())
}

pub async fn row(state: &AppState, id: i64) -> Result<Row, BackupError> {
    sqlx::query_as("SELECT * FROM backup_history WHERE id = $1").bind(id).fetch_optional(&state.db).await?.ok_or(BackupError::NotFound(id))
}

/// Completed runs of the schedule (scheduled and manual), newest written first.
pub async fn completed_scheduled(state: &AppState) -> Result<Vec<Row>, BackupError> {
    let sql = format!("SELECT * FROM backup_history WHERE status = 'completed' AND trigger_kind IN {SCHEDULE_TRIGGERS} ORDER BY id DESC");
    Ok(sqlx::query_as(&sql).fetch_all(&state.db).await?)
}

/// Completed rows with this trigger, newest written first.
pub async fn completed_with(state: &AppState, trigger: Trigger) -> Result<Vec<Row>, BackupError> {
    Ok(sqlx::query_as("SELECT * FROM backup_history WHERE status = 'completed' AND trigger_kind = $1 ORDER BY id DESC")
        .bind(trigger.as_str())
        .fetch_all(&state.db)
        .await?)
}

/// Every row that names a file.
pub async fn with_files(state: &AppState) -> Result<Vec<Row>, BackupError> {
    Ok(sqlx::query_as("SELECT * FROM backup_history WHERE file_name IS NOT NULL").fetch_all(&state.db).await?)
}

/// The status and error of the schedule's latest run (scheduled or manual), if any.
pub async fn last_scheduled_outcome(state: &AppState) -> Result<Option<(String, Option<String>)>, BackupError> {
    Ok(sqlx::query_as(&format!("SELECT status, error FROM backup_history WHERE trigger_kind IN {SCHEDULE_TRIGGERS} ORDER BY id DESC LIMIT 1"))
        .fetch_optional(&state.db)
        .await?)
}

pub async fn remove(state: &AppState, id: i64) -> Result<(), BackupError> {
    sqlx::query("DELETE FROM backup_history WHERE id = $1").bind(id).execute(&state.db).await?;
    Ok(())
}

/// Records the outcome of re-reading a stored backup.
pub async fn set_verified(state: &AppState, id: i64, at: DateTime<Utc>, ok: bool, message: &str) -> Result<(), BackupError> {
    sqlx::query("UPDATE backup_history SET verified_at = $1, verify_status = $2, verify_message = $3 WHERE id = $4")
        .bind(to_db(at))
        .bind(if ok { "ok" } else { "failed" })
        .bind(message)
        .bind(id)
        .execute(&state.db)
        .await?;
    Ok(())
}

/// A file added by hand, checked when added.
pub struct Imported<'a> {
    pub created_at: DateTime<Utc>,
    pub file_name: &'a str,
    pub dir: &'a Path,
    pub size: u64,
    pub encrypted: bool,
    pub sha256: &'a str,
    pub checked_message: &'a str,
}

/// Adds a completed row for a file added by hand; returns its id.
pub async fn insert_imported(state: &AppState, f: &Imported<'_>) -> Result<i64, BackupError> {
    let now = to_db(state.now());
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO backup_history (created_at, trigger_kind, file_name, directory, size_bytes, encrypted, sha256, status,
         verified_at, verify_status, verify_message) VALUES ($1, $2, $3, $4, $5, $6, $7, 'completed', $8, 'ok', $9) RETURNING id",
    )
    .bind(to_db(f.created_at))
    .bind(Trigger::Imported.as_str())
    .bind(f.file_name)
    .bind(f.dir.display().to_string())
    .bind(f.size as i64)
    .bind(f.encrypted)
    .bind(f.sha256)
    .bind(&now)
    .bind(format!("Checked when added: {}", f.checked_message))
    .fetch_one(&state.db)
    .await?;
    Ok(id)
}
