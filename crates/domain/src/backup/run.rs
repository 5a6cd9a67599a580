//! A backup run: a history row, the file written under a temporary name, synced, renamed and
//! verified, then retention, then the copies to the backup locations; a failed run is recorded
//! and notified. Also the clean-up of runs a crash cut off, and the pruning of old backups
//! (scheduled ones by the retention count, pre-restore ones after each restore).

use super::export::export;
use super::history::{self, Trigger};
use super::locations::retention::{self, Candidate};
use super::locations::upload;
use super::{destination, disk, BackupError, FsRole};
use crate::settings::{self, SettingsRow};
use crate::AppState;
use std::path::{Path, PathBuf};
use tt_core::backup_format::{name, FileKind, Header};
use tt_core::model::locations::RetentionPolicy;

/// A backup file written and verified.
#[derive(Debug, Clone)]
pub struct Written {
    pub history_id: i64,
    pub file_name: String,
    pub path: PathBuf,
    pub size: u64,
    pub sha256: String,
    pub encrypted: bool,
    pub header: Header,
    /// How each enabled location's copy of this run went (empty until the run sends them).
    pub uploads: Vec<upload::Outcome>,
}

/// Writes a backup of the current data into the backup directory and records it in the history
/// (completed, or failed with the reason).
pub async fn write_backup(state: &AppState, trigger: Trigger) -> Result<Written, BackupError> {
    write_recorded(state, trigger).await.map_err(|(e, _)| e)
}

/// `write_backup`, also returning the reason recorded for a failure (made once: it may carry a
/// log reference).
async fn write_recorded(state: &AppState, trigger: Trigger) -> Result<Written, (BackupError, String)> {
    let pre = |e: BackupError| {
        let reason = e.reason();
        (e, reason)
    };
    let _gate = state.backup_gate.lock().await;
    let s = settings::load(&state.db).await.map_err(|e| pre(e.into()))?;
    let now = state.now();
    let encrypted = s.backup_encrypt;
    let row = history::start(state, now, trigger, encrypted).await.map_err(pre)?;
    let result = write_into(state, &s, trigger).await;
    match result {
        Ok(mut w) => {
            w.history_id = row;
            let done = history::Completed { file_name: &w.file_name, path: &w.path, size: w.size, sha256: &w.sha256, encrypted: w.encrypted };
            history::complete(state, row, &done).await.map_err(pre)?;
            Ok(w)
        }
        Err(e) => {
            let reason = e.reason();
            history::fail(state, row, &reason).await.map_err(pre)?;
            Err((e, reason))
        }
    }
}

async fn write_into(state: &AppState, s: &SettingsRow, trigger: Trigger) -> Result<Written, BackupError> {
    let dir = destination::backup_dir(state, s, trigger)?;
    let password = destination::backup_password(state, s)?;
    let fs = |e: std::io::Error| BackupError::fs(FsRole::StoragePath, &dir, &e);
    tokio::fs::create_dir_all(&dir).await.map_err(fs)?;
    let meta = tokio::fs::metadata(&dir).await.map_err(fs)?;
    if !meta.is_dir() {
        return Err(BackupError::Storage(format!("the storage path {} is not a directory", dir.display())));
    }

    // Free space: the last backup's size (or the database's) plus a safety margin.
    let space = state.disk.space(&dir).map_err(fs)?;
    let estimate = history::last_completed_size(state).await?.unwrap_or(0).max(database_size(state));
    let margin = disk::safety_margin(space.total);
    if space.available < estimate.saturating_add(margin) {
        return Err(BackupError::Storage(format!(
            "not enough free space in {}: {} free, the backup needs about {} and {} must stay free",
            dir.display(),
            disk::human(space.available),
            disk::human(estimate),
            disk::human(margin)
        )));
    }

    let kind = if password.is_some() { FileKind::Encrypted } else { FileKind::Plain };
    let created_at = state.now();
    let final_name = disk::unique_name(&dir, tt_core::backup_format::file_name(created_at, kind));
    let temp = dir.join(format!(".{final_name}.partial"));
    let outcome = async {
        let file = tokio::fs::OpenOptions::new().write(true).create_new(true).open(&temp).await.map_err(fs)?;
        let mut out = state.disk.writer(file);
        // A write that failed (a full disk) comes back without a path: it is the storage path's.
        let summary = export(state, password.clone(), created_at, &mut out).await.map_err(|e| e.at(FsRole::StoragePath, &dir))?;
        tokio::io::AsyncWriteExt::shutdown(&mut out).await.map_err(fs)?;
        drop(out);
        disk::sync_file(&temp).await.map_err(fs)?;
        Ok::<_, BackupError>(summary)
    }
    .await;
    let summary = match outcome {
        Ok(s) => s,
        Err(e) => {
            let _ = tokio::fs::remove_file(&temp).await;
            return Err(e);
        }
    };
    let path = dir.join(&final_name);
    disk::commit(&temp, &path).await.map_err(fs)?;

    // Read it back: the bytes must hash the same and parse completely (tags of a .ttbak included).
    if let Err(e) = disk::verify_file(&path, Some(&summary.sha256), password.clone()).await {
        let _ = tokio::fs::remove_file(&path).await;
        return Err(BackupError::Storage(format!("the backup was written but failed verification, so it was removed: {e}")));
    }
    Ok(Written {
        history_id: 0,
        file_name: final_name,
        path,
        size: summary.size,
        sha256: summary.sha256,
        encrypted: password.is_some(),
        header: summary.header,
        uploads: Vec::new(),
    })
}

fn database_size(state: &AppState) -> u64 {
    let db = state.config.data_dir.join("tracker-tracker.db");
    std::fs::metadata(db).map(|m| m.len()).unwrap_or(0)
}

/// One scheduled backup run: write and verify, then apply retention; a failure is recorded and
/// notified.
pub async fn run_scheduled_backup(state: &AppState) -> Result<Result<Written, String>, BackupError> {
    run(state, Trigger::Scheduled).await
}

/// "Run a scheduled backup now": the same run, recorded as "manual". Without a storage path it
/// is refused before anything happens (no failed run in the history, no "backup failed"
/// notification): that is a setting to make, said at once to the person who asked.
pub async fn run_now(state: &AppState) -> Result<Result<Written, String>, BackupError> {
    if settings::load(&state.db).await?.backup_storage_path.is_none() {
        return Err(BackupError::NoStoragePath);
    }
    run(state, Trigger::Manual).await
}

async fn run(state: &AppState, trigger: Trigger) -> Result<Result<Written, String>, BackupError> {
    let mut outcome = write_recorded(state, trigger).await;
    match &mut outcome {
        Ok(w) => {
            let _uploads = state.upload_gate.lock().await;
            let s = settings::load(&state.db).await?;
            let policy = tt_core::model::settings::BackupSettings {
                retention_count: s.backup_retention_count,
                calendar: super::settings::calendar_of(&s),
                ..Default::default()
            }
            .policy();
            let deleted = prune(state, &policy).await?;
            if !deleted.is_empty() {
                tracing::info!("backup retention removed {} old backup(s)", deleted.len());
            }
            sqlx::query("UPDATE backup_schedule_state SET failure_streak = 0, failure_notified = 0 WHERE id = 1").execute(&state.db).await?;
            // Then off-site: each location succeeds or fails on its own (recorded and notified
            // there); the local backup stands either way.
            let src = upload::Source {
                history_id: w.history_id,
                path: &w.path,
                file_name: &w.file_name,
                sha256: &w.sha256,
                encrypted: w.encrypted,
                header: &w.header,
            };
            match upload::upload_all(state, &src).await {
                Ok(uploads) => w.uploads = uploads,
                Err(e) => tracing::error!("the backup {} could not be sent to the backup locations: {e}", w.file_name),
            }
        }
        Err((e, reason)) => {
            tracing::warn!("{} backup failed: {e}", trigger.as_str());
            record_failure(state, trigger, reason).await?;
        }
    }
    Ok(outcome.map_err(|(_, reason)| reason))
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

/// At start-up: a run still marked 'running' was cut off by a crash or a stop. It is recorded as
/// failed, and its half-written `.partial` file (never renamed to a backup name) is removed from
/// the backup directories. Returns how many runs were closed.
pub async fn close_interrupted_runs(state: &AppState) -> Result<u64, BackupError> {
    let uploads = super::locations::copies::close_interrupted(state).await?;
    if uploads > 0 {
        tracing::warn!("{uploads} upload(s) to backup locations were cut off by a stop; recorded as failed");
    }
    let started = history::fail_running(state, "The server stopped while this backup was being written; no file was kept.").await?;
    let closed = started.len() as u64;
    if closed == 0 {
        return Ok(0);
    }
    // Only a .partial named for the time one of those runs started (the name is taken moments
    // after the row): a storage directory shared with another instance keeps that one's files.
    let of_a_closed_run = |name: &str| {
        name::parse(name)
            .and_then(|n| n.created_at)
            .is_some_and(|at| started.iter().any(|s| at >= *s - chrono::Duration::seconds(1) && at <= *s + chrono::Duration::minutes(10)))
    };
    let s = settings::load(&state.db).await?;
    for dir in destination::managed_dirs(state, &s) {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            let backup_name = name.strip_prefix('.').and_then(|n| n.strip_suffix(".partial"));
            let ours = backup_name.is_some_and(|n| name::is_backup_file_name(n) && of_a_closed_run(n));
            if ours && e.file_type().is_ok_and(|t| t.is_file()) {
                match std::fs::remove_file(e.path()) {
                    Ok(()) => tracing::info!("removed the unfinished backup file {}", e.path().display()),
                    Err(err) => tracing::warn!("could not remove the unfinished backup file {}: {err}", e.path().display()),
                }
            }
        }
    }
    Ok(closed)
}

/// Retention in the storage directory: applies `policy` to the completed scheduled backups (the
/// 03:00 runs and the ones run by hand, written there the same way) and deletes the others (file
/// and row). "Keep the last N" counts by write order (by id: a clock that was once ahead cannot
/// make old files look new); a calendar policy goes by when each backup was made, in the
/// server's time zone, and the last written always stays too. Failed runs don't count and are
/// never a reason to delete; the newest completed backup always stays, and so does a pinned one
/// (not counted). Rows pointing elsewhere are left alone.
pub async fn prune(state: &AppState, policy: &RetentionPolicy) -> Result<Vec<String>, BackupError> {
    let s = settings::load(&state.db).await?;
    let Some(storage_path) = s.backup_storage_path.clone() else { return Ok(Vec::new()) };
    let managed = destination::managed_dirs(state, &s);
    let rows = history::completed_scheduled(state).await?;
    let storage_canon = Path::new(&storage_path).canonicalize().ok();
    let doomed = prune_selection(policy, &rows);
    let mut deleted = Vec::new();
    for r in rows.into_iter().filter(|r| doomed.contains(&r.id)) {
        let in_storage = r.directory.as_deref().and_then(|d| Path::new(d).canonicalize().ok()).is_some_and(|d| Some(d) == storage_canon);
        if in_storage {
            delete_stored(state, &r, &managed, "backup retention", &mut deleted).await?;
        }
    }
    Ok(deleted)
}

/// What `policy` would keep and delete in the storage directory now (nothing is changed).
pub async fn preview_prune(state: &AppState, policy: &RetentionPolicy) -> Result<tt_core::model::locations::RetentionPreview, BackupError> {
    use tt_core::model::locations::{RetentionItem, RetentionPreview};
    let policy = policy.validate()?;
    if let RetentionPolicy::Calendar { last: 0, .. } = policy {
        return Err(tt_core::validate::invalid("retention.last", "The storage path keeps at least the last backup: set last to 1 or more.").into());
    }
    let s = settings::load(&state.db).await?;
    let storage_canon = s.backup_storage_path.as_deref().and_then(|p| Path::new(p).canonicalize().ok());
    let rows: Vec<history::Row> = history::completed_scheduled(state)
        .await?
        .into_iter()
        .filter(|r| r.directory.as_deref().and_then(|d| Path::new(d).canonicalize().ok()).is_some_and(|d| Some(d) == storage_canon))
        .collect();
    let doomed = prune_selection(&policy, &rows);
    let item = |r: &history::Row| RetentionItem {
        id: r.id,
        file_name: r.file_name.clone().unwrap_or_default(),
        created_at: r.created_at,
        reasons: Vec::new(),
    };
    let (delete, keep): (Vec<_>, Vec<_>) = rows.iter().partition(|r| doomed.contains(&r.id));
    Ok(RetentionPreview { policy, keep: keep.into_iter().map(item).collect(), delete: delete.into_iter().map(item).collect() })
}

/// The ids of the completed scheduled backups (`rows`, newest written first) a policy deletes.
pub fn prune_selection(policy: &RetentionPolicy, rows: &[history::Row]) -> Vec<i64> {
    match *policy {
        RetentionPolicy::KeepLast { count } => rows.iter().filter(|r| !r.pinned).skip(count.max(1) as usize).map(|r| r.id).collect(),
        RetentionPolicy::Calendar { .. } => {
            let candidates: Vec<Candidate> = rows.iter().map(|r| Candidate { id: r.id, created_at: r.created_at, pinned: r.pinned }).collect();
            let last_written = rows.first().map(|r| r.id);
            retention::select(&chrono::Local, policy, &candidates).delete.into_iter().filter(|id| Some(*id) != last_written).collect()
        }
    }
}

/// Deletes a stored backup's file (only as disk::delete_file_safely allows) and then its row.
/// One file that cannot be deleted (permissions, a busy share) is logged and kept, and the rest
/// still are; the backup just written stays good either way.
async fn delete_stored(state: &AppState, r: &history::Row, allowed: &[PathBuf], what: &str, deleted: &mut Vec<String>) -> Result<(), BackupError> {
    let (Some(dir), Some(name)) = (&r.directory, &r.file_name) else { return Ok(()) };
    match disk::delete_file_safely(Path::new(dir), name, allowed) {
        Ok(true) => {
            history::remove(state, r.id).await?;
            deleted.push(name.clone());
        }
        Ok(false) => {}
        Err(e) => tracing::warn!("{what} could not delete {name} in {dir}: {e}"),
    }
    Ok(())
}

/// Pre-restore backups kept: older ones are deleted after each restore, so undo points do not
/// pile up forever. The newest is always the undo point of the latest restore.
pub const PRE_RESTORE_KEEP: usize = 5;

/// After a restore has committed (its file read whole, twice): keeps the newest
/// [`PRE_RESTORE_KEEP`] completed pre-restore backups (by write order, so the newest is this
/// restore's undo point) and deletes older ones, file and row. Only files this app wrote as
/// pre-restore backups, inside a backup directory (see disk::delete_file_safely); one that
/// cannot be deleted is logged and kept. Returns the names deleted.
pub async fn prune_pre_restore(state: &AppState) -> Result<Vec<String>, BackupError> {
    let s = settings::load(&state.db).await?;
    let managed = destination::managed_dirs(state, &s);
    let rows = history::completed_with(state, Trigger::PreRestore).await?;
    let mut deleted = Vec::new();
    for r in rows.into_iter().filter(|r| !r.pinned).skip(PRE_RESTORE_KEEP) {
        // The app wrote this row and its file: its recorded directory counts too, or a restore
        // that brought another storage path would leave older undo points there for ever.
        let mut allowed = managed.clone();
        allowed.extend(r.directory.as_deref().map(PathBuf::from));
        delete_stored(state, &r, &allowed, "pruning old pre-restore backups", &mut deleted).await?;
    }
    Ok(deleted)
}
