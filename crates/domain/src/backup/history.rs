//! The backup history table: one row per stored backup (a run, scheduled, by hand or before a
//! restore, with its outcome; or a file added by hand), and the queries and updates on it.
//! Nothing here touches files.

use super::BackupError;
use crate::time::to_db;
use crate::AppState;
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};
use tt_core::model::backup::{HistoryEntry, MadeBy};

// One definition, shared with the wire (tt-core); here decoded from and bound to the TEXT columns.
pub use tt_core::model::backup::{RunStatus, Trigger, VerifyStatus};

/// The history triggers of the runs written to the storage path by the schedule's rules
/// (retention counts them together), bound as `$1, $2` of `IN ($1, $2)`.
pub const SCHEDULE_TRIGGERS: [Trigger; 2] = [Trigger::Scheduled, Trigger::Manual];

/// Rows decode straight into the enums: a value this build does not know fails the query (a
/// database error), it is never shown as another.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Row {
    pub id: i64,
    pub created_at: DateTime<Utc>,
    pub trigger_kind: Trigger,
    pub file_name: Option<String>,
    pub directory: Option<String>,
    pub size_bytes: Option<i64>,
    pub encrypted: bool,
    pub sha256: Option<String>,
    pub status: RunStatus,
    pub error: Option<String>,
    pub verified_at: Option<DateTime<Utc>>,
    pub verify_status: Option<VerifyStatus>,
    pub verify_message: Option<String>,
    pub pinned: bool,
}

impl Row {
    pub fn path(&self) -> Option<PathBuf> {
        match (&self.directory, &self.file_name) {
            (Some(d), Some(f)) => Some(Path::new(d).join(f)),
            _ => None,
        }
    }

    pub fn entry(self) -> HistoryEntry {
        let file_present = self.status == RunStatus::Completed && self.path().is_some_and(|p| p.is_file());
        let made_by = self.file_name.as_deref().map(MadeBy::of_file_name).unwrap_or_default();
        HistoryEntry {
            made_by,
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
            pinned: self.pinned,
            copies: Vec::new(),
        }
    }
}

pub async fn start(state: &AppState, now: DateTime<Utc>, trigger: Trigger, encrypted: bool) -> Result<i64, BackupError> {
    let (id,): (i64,) =
        sqlx::query_as("INSERT INTO backup_history (created_at, trigger_kind, encrypted, status) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(to_db(now))
            .bind(trigger)
            .bind(encrypted)
            .bind(RunStatus::Running)
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
        "UPDATE backup_history SET status = $1, file_name = $2, directory = $3, size_bytes = $4, sha256 = $5,
         encrypted = $6, verified_at = $7, verify_status = $8, verify_message = 'Verified right after writing.' WHERE id = $9",
    )
    .bind(RunStatus::Completed)
    .bind(w.file_name)
    .bind(dir)
    .bind(w.size as i64)
    .bind(w.sha256)
    .bind(w.encrypted)
    .bind(to_db(state.now()))
    .bind(VerifyStatus::Ok)
    .bind(id)
    .execute(&state.db)
    .await?;
    Ok(())
}

pub async fn fail(state: &AppState, id: i64, reason: &str) -> Result<(), BackupError> {
    sqlx::query("UPDATE backup_history SET status = $1, error = $2 WHERE id = $3")
        .bind(RunStatus::Failed)
        .bind(reason)
        .bind(id)
        .execute(&state.db)
        .await?;
    Ok(())
}

/// Marks every run still 'running' as failed with `reason`; returns when they started.
pub async fn fail_running(state: &AppState, reason: &str) -> Result<Vec<DateTime<Utc>>, BackupError> {
    let started: Vec<(String,)> = sqlx::query_as("UPDATE backup_history SET status = $1, error = $2 WHERE status = $3 RETURNING created_at")
        .bind(RunStatus::Failed)
        .bind(reason)
        .bind(RunStatus::Running)
        .fetch_all(&state.db)
        .await?;
    Ok(started.iter().filter_map(|(t,)| crate::time::from_db(t)).collect())
}

pub async fn last_completed_size(state: &AppState) -> Result<Option<u64>, BackupError> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT size_bytes FROM backup_history WHERE status = $1 AND size_bytes IS NOT NULL ORDER BY id DESC LIMIT 1")
            .bind(RunStatus::Completed)
            .fetch_optional(&state.db)
            .await?;
    Ok(row.map(|(n,)| n.max(0) as u64))
}

/// Newest first, each with its copies in the backup locations.
pub async fn list(state: &AppState) -> Result<Vec<HistoryEntry>, BackupError> {
    let rows: Vec<Row> = sqlx::query_as("SELECT * FROM backup_history ORDER BY created_at DESC, id DESC").fetch_all(&state.db).await?;
    let mut copies = super::locations::copies::by_history(state).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let id = r.id;
            HistoryEntry { copies: copies.remove(&id).unwrap_or_default(), ..r.entry() }
        })
        .collect())
}

/// Pins or unpins a stored backup: retention never deletes a pinned one, locally or in a
/// location (its copies are pinned with it).
pub async fn set_pinned(state: &AppState, id: i64, pinned: bool) -> Result<HistoryEntry, BackupError> {
    let done = sqlx::query("UPDATE backup_history SET pinned = $1 WHERE id = $2").bind(pinned).bind(id).execute(&state.db).await?;
    if done.rows_affected() == 0 {
        return Err(BackupError::NotFound(id));
    }
    super::locations::copies::set_pinned_for_history(state, id, pinned).await?;
    let entry = row(state, id).await?.entry();
    let mut copies = super::locations::copies::by_history(state).await?;
    Ok(HistoryEntry { copies: copies.remove(&id).unwrap_or_default(), ..entry })
}

pub async fn row(state: &AppState, id: i64) -> Result<Row, BackupError> {
    sqlx::query_as("SELECT * FROM backup_history WHERE id = $1").bind(id).fetch_optional(&state.db).await?.ok_or(BackupError::NotFound(id))
}

/// Completed runs of the schedule (scheduled and manual), newest written first.
pub async fn completed_scheduled(state: &AppState) -> Result<Vec<Row>, BackupError> {
    let [a, b] = SCHEDULE_TRIGGERS;
    Ok(sqlx::query_as("SELECT * FROM backup_history WHERE status = $1 AND trigger_kind IN ($2, $3) ORDER BY id DESC")
        .bind(RunStatus::Completed)
        .bind(a)
        .bind(b)
        .fetch_all(&state.db)
        .await?)
}

/// Completed rows with this trigger, newest written first.
pub async fn completed_with(state: &AppState, trigger: Trigger) -> Result<Vec<Row>, BackupError> {
    Ok(sqlx::query_as("SELECT * FROM backup_history WHERE status = $1 AND trigger_kind = $2 ORDER BY id DESC")
        .bind(RunStatus::Completed)
        .bind(trigger)
        .fetch_all(&state.db)
        .await?)
}

/// Every row that names a file.
pub async fn with_files(state: &AppState) -> Result<Vec<Row>, BackupError> {
    Ok(sqlx::query_as("SELECT * FROM backup_history WHERE file_name IS NOT NULL").fetch_all(&state.db).await?)
}

/// The status and error of the schedule's latest run (scheduled or manual), if any.
pub async fn last_scheduled_outcome(state: &AppState) -> Result<Option<(RunStatus, Option<String>)>, BackupError> {
    let [a, b] = SCHEDULE_TRIGGERS;
    Ok(sqlx::query_as("SELECT status, error FROM backup_history WHERE trigger_kind IN ($1, $2) ORDER BY id DESC LIMIT 1")
        .bind(a)
        .bind(b)
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
        .bind(VerifyStatus::from_ok(ok))
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
         verified_at, verify_status, verify_message) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(to_db(f.created_at))
    .bind(Trigger::Imported)
    .bind(f.file_name)
    .bind(f.dir.display().to_string())
    .bind(f.size as i64)
    .bind(f.encrypted)
    .bind(f.sha256)
    .bind(RunStatus::Completed)
    .bind(&now)
    .bind(VerifyStatus::Ok)
    .bind(format!("Checked when added: {}", f.checked_message))
    .fetch_one(&state.db)
    .await?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The enums read and write the TEXT values the rows have always held, and a value this
    /// build does not know is an error, never taken for a known one.
    #[tokio::test]
    async fn rows_decode_into_the_enums_and_unknown_values_are_errors() {
        let (state, _dir) = crate::testing::state().await;
        let id = start(&state, state.now(), Trigger::PreRestore, false).await.unwrap();
        let raw: (String, String) =
            sqlx::query_as("SELECT trigger_kind, status FROM backup_history WHERE id = $1").bind(id).fetch_one(&state.db).await.unwrap();
        assert_eq!(raw, ("pre_restore".to_string(), "running".to_string()));
        set_verified(&state, id, state.now(), false, "damaged").await.unwrap();
        let r = row(&state, id).await.unwrap();
        assert_eq!((r.trigger_kind, r.status, r.verify_status), (Trigger::PreRestore, RunStatus::Running, Some(VerifyStatus::Failed)));

        for (column, value) in [("trigger_kind", "hourly"), ("status", "Completed"), ("verify_status", "maybe")] {
            sqlx::query(&format!("UPDATE backup_history SET {column} = $1 WHERE id = $2")).bind(value).bind(id).execute(&state.db).await.unwrap();
            assert!(matches!(row(&state, id).await, Err(BackupError::Db(_))), "{column} = {value:?} must not decode");
            assert!(matches!(list(&state).await, Err(BackupError::Db(_))));
            sqlx::query("UPDATE backup_history SET trigger_kind = 'pre_restore', status = 'running', verify_status = 'failed' WHERE id = $1")
                .bind(id)
                .execute(&state.db)
                .await
                .unwrap();
        }
    }

    #[tokio::test]
    async fn an_unknown_frequency_in_the_settings_row_is_an_error() {
        let (state, _dir) = crate::testing::state().await;
        assert_eq!(crate::settings::load(&state.db).await.unwrap().backup_frequency, tt_core::model::settings::Frequency::Daily);
        sqlx::query("UPDATE app_settings SET backup_frequency = 'hourly' WHERE id = 1").execute(&state.db).await.unwrap();
        assert!(crate::settings::load(&state.db).await.is_err());
    }
}
