//! The backup history: every stored backup run (scheduled or pre-restore), with its outcome, and
//! backup files copied into the storage directory by hand and added to it ("imported").

use super::restore;
use super::storage::{self, Trigger, Written};
use super::{BackupError, FsRole};
use crate::settings;
use crate::time::to_db;
use crate::AppState;
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};
use tt_core::model::backup::{FoundFile, HistoryEntry, RestoreReport, VerifyResult};
use tt_core::validate::invalid;
use zeroize::Zeroizing;

#[derive(Debug, Clone, sqlx::FromRow)]
struct Row {
    id: i64,
    created_at: DateTime<Utc>,
    trigger_kind: String,
    file_name: Option<String>,
    directory: Option<String>,
    size_bytes: Option<i64>,
    encrypted: bool,
    sha256: Option<String>,
    status: String,
    error: Option<String>,
    verified_at: Option<DateTime<Utc>>,
    verify_status: Option<String>,
    verify_message: Option<String>,
}

impl Row {
    fn path(&self) -> Option<PathBuf> {
        match (&self.directory, &self.file_name) {
            (Some(d), Some(f)) => Some(Path::new(d).join(f)),
            _ => None,
        }
    }

    fn entry(self) -> HistoryEntry {
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

pub(super) async fn start(state: &AppState, now: DateTime<Utc>, trigger: Trigger, encrypted: bool) -> Result<i64, BackupError> {
    let (id,): (i64,) =
        sqlx::query_as("INSERT INTO backup_history (created_at, trigger_kind, encrypted, status) VALUES ($1, $2, $3, 'running') RETURNING id")
            .bind(to_db(now))
            .bind(trigger.as_str())
            .bind(encrypted)
            .fetch_one(&state.db)
            .await?;
    Ok(id)
}

pub(super) async fn complete(state: &AppState, id: i64, w: &Written) -> Result<(), BackupError> {
    let dir = w.path.parent().map(|d| d.display().to_string());
    sqlx::query(
        "UPDATE backup_history SET status = 'completed', file_name = $1, directory = $2, size_bytes = $3, sha256 = $4,
         encrypted = $5, verified_at = $6, verify_status = 'ok', verify_message = 'Verified right after writing.' WHERE id = $7",
    )
    .bind(&w.file_name)
    .bind(dir)
    .bind(w.size as i64)
    .bind(&w.sha256)
    .bind(w.encrypted)
    .bind(to_db(state.now()))
    .bind(id)
    .execute(&state.db)
    .await?;
    Ok(())
}

pub(super) async fn fail(state: &AppState, id: i64, reason: &str) -> Result<(), BackupError> {
    sqlx::query("UPDATE backup_history SET status = 'failed', error = $1 WHERE id = $2").bind(reason).bind(id).execute(&state.db).await?;
    Ok(())
}

/// At start-up: a run still marked 'running' was cut off by a crash or a stop. It is recorded as
/// failed, and its half-written `.partial` file (never renamed to a backup name) is removed from
/// the backup directories. Returns how many runs were closed.
pub async fn close_interrupted_runs(state: &AppState) -> Result<u64, BackupError> {
    let started: Vec<(String,)> =
        sqlx::query_as("UPDATE backup_history SET status = 'failed', error = $1 WHERE status = 'running' RETURNING created_at")
            .bind("The server stopped while this backup was being written; no file was kept.")
            .fetch_all(&state.db)
            .await?;
    let closed = started.len() as u64;
    if closed == 0 {
        return Ok(0);
    }
    let started: Vec<DateTime<Utc>> = started.iter().filter_map(|(t,)| crate::time::from_db(t)).collect();
    // Only a .partial named for the time one of those runs started (the name is taken moments
    // after the row): a storage directory shared with another instance keeps that one's files.
    let of_a_closed_run = |name: &str| {
        time_in_name(name)
            .is_some_and(|at| started.iter().any(|s| at >= *s - chrono::Duration::seconds(1) && at <= *s + chrono::Duration::minutes(10)))
    };
    let s = settings::load(&state.db).await?;
    for dir in storage::managed_dirs(state, &s) {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            let backup_name = name.strip_prefix('.').and_then(|n| n.strip_suffix(".partial"));
            let ours = backup_name.is_some_and(|n| storage::is_backup_file_name(n) && of_a_closed_run(n));
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

pub(super) async fn last_completed_size(state: &AppState) -> Result<Option<u64>, BackupError> {
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

async fn row(state: &AppState, id: i64) -> Result<Row, BackupError> {
    sqlx::query_as("SELECT * FROM backup_history WHERE id = $1").bind(id).fetch_optional(&state.db).await?.ok_or(BackupError::NotFound(id))
}

/// The file of a completed stored backup, for reading (download, verify, restore). It is read
/// where this app wrote it (or found it), as recorded in its history row, even when the storage
/// path has changed since — for example after a restore brought other backup settings, which
/// must not make the pre-restore backup (the undo) unreachable. History rows are written only by
/// this app and are never restored from a file, so the recorded directory is trusted; the name
/// must still be one of this app's and the file a regular file (not a symlink).
pub async fn file_of(state: &AppState, id: i64) -> Result<(PathBuf, String), BackupError> {
    let r = row(state, id).await?;
    let (Some(dir), Some(name)) = (&r.directory, &r.file_name) else {
        return Err(BackupError::Storage("this run did not produce a file".into()));
    };
    if r.status != "completed" || !storage::is_backup_file_name(name) {
        return Err(BackupError::Storage("this run did not produce a backup file".into()));
    }
    let canon = Path::new(dir).canonicalize().map_err(|_| BackupError::Storage(format!("the directory {dir} no longer exists")))?;
    let path = canon.join(name);
    match std::fs::symlink_metadata(&path) {
        Ok(m) if m.file_type().is_file() => Ok((path, name.clone())),
        _ => Err(BackupError::Storage(format!("the file {name} is missing from {dir}"))),
    }
}

/// What restoring a stored backup needs besides its id.
pub struct StoredRestore {
    pub id: i64,
    pub current_password: Zeroizing<String>,
    /// For a .ttbak written with another backup password than the stored one.
    pub backup_password: Option<Zeroizing<String>>,
    pub source_password: Option<Zeroizing<String>>,
    pub totp: tt_core::model::backup::TotpChoice,
    pub dry_run: bool,
}

/// Restores (or dry-runs) a stored backup through the same path and rules as an upload. A stored
/// .ttbak was written with the stored backup password, which is used unless another is given.
pub async fn restore_stored(state: &AppState, req: StoredRestore) -> Result<RestoreReport, BackupError> {
    let (path, _) = file_of(state, req.id).await?;
    let backup_password = match req.backup_password {
        Some(p) => Some(p),
        None => storage::stored_backup_password(state, &settings::load(&state.db).await?),
    };
    let request = restore::RestoreRequest {
        file: path,
        current_password: req.current_password,
        backup_password,
        source_password: req.source_password,
        totp: req.totp,
        dry_run: req.dry_run,
    };
    restore::restore(state, request).await
}

/// Deletes a stored backup: its file (only when it is safe to, see storage::delete_file_safely)
/// and its history row. Says what happened: a file outside the backup directories (one written
/// before the storage path changed) is left where it is, and the answer says where.
pub async fn delete(state: &AppState, id: i64) -> Result<String, BackupError> {
    let r = row(state, id).await?;
    let s = settings::load(&state.db).await?;
    let message = match (&r.directory, &r.file_name) {
        (Some(dir), Some(name)) => {
            if storage::delete_file_safely(Path::new(dir), name, &storage::managed_dirs(state, &s))? {
                format!("Deleted {name}.")
            } else if Path::new(dir).join(name).exists() {
                format!(
                    "Removed {name} from the history. The file stays in {dir}: it is outside the backup storage directory, so this app does not delete it."
                )
            } else {
                format!("Removed {name} from the history (its file was already gone).")
            }
        }
        _ => "Removed the failed run from the history.".to_string(),
    };
    sqlx::query("DELETE FROM backup_history WHERE id = $1").bind(id).execute(&state.db).await?;
    Ok(message)
}

/// Re-reads a stored backup and checks it; records the outcome. A .ttbak is decrypted with
/// `password` when given (one written with another password than the stored one), else with the
/// stored backup password; without either only the hash is checked. A wrong password is an
/// answer to the person, not a verdict on the file: nothing is recorded then.
pub async fn verify(state: &AppState, id: i64, password: Option<Zeroizing<String>>) -> Result<VerifyResult, BackupError> {
    let r = row(state, id).await?;
    let s = settings::load(&state.db).await?;
    let outcome = match file_of(state, id).await {
        Ok((path, _)) => {
            let password = if r.encrypted { password.or_else(|| storage::stored_backup_password(state, &s)) } else { None };
            storage::verify_file(&path, r.sha256.as_deref(), password).await.map(|c| c.message)
        }
        Err(e) => Err(e),
    };
    if outcome.as_ref().is_err_and(is_wrong_password) {
        return Err(BackupError::WrongBackupPassword);
    }
    let now = state.now();
    let (ok, message) = match outcome {
        Ok(m) => (true, m),
        Err(e) => (false, e.to_string()),
    };
    sqlx::query("UPDATE backup_history SET verified_at = $1, verify_status = $2, verify_message = $3 WHERE id = $4")
        .bind(to_db(now))
        .bind(if ok { "ok" } else { "failed" })
        .bind(&message)
        .bind(id)
        .execute(&state.db)
        .await?;
    Ok(VerifyResult { ok, message, checked_at: now })
}

fn is_wrong_password(e: &BackupError) -> bool {
    matches!(e, BackupError::Format(tt_core::backup_format::FormatError::Encrypted(t)) if t.is_wrong_password())
}

/// Retention: keeps the newest `keep` completed scheduled backups (the 03:00 runs and the ones
/// run by hand, written there the same way) in the storage directory and deletes older ones
/// (file and row). Newest means last written (by id: a clock that was once ahead cannot make
/// old files look new). Failed runs don't count and are never a reason to delete; the newest
/// completed backup always stays. Rows pointing elsewhere are left alone.
pub async fn prune(state: &AppState, keep: i64) -> Result<Vec<String>, BackupError> {
    let s = settings::load(&state.db).await?;
    let Some(storage_path) = s.backup_storage_path.clone() else { return Ok(Vec::new()) };
    let managed = storage::managed_dirs(state, &s);
    let sql = format!("SELECT * FROM backup_history WHERE status = 'completed' AND trigger_kind IN {} ORDER BY id DESC", storage::SCHEDULE_TRIGGERS);
    let rows: Vec<Row> = sqlx::query_as(&sql).fetch_all(&state.db).await?;
    let storage_canon = Path::new(&storage_path).canonicalize().ok();
    let keep = keep.max(1) as usize;
    let mut deleted = Vec::new();
    for r in rows.into_iter().skip(keep) {
        let in_storage = r.directory.as_deref().and_then(|d| Path::new(d).canonicalize().ok()).is_some_and(|d| Some(d) == storage_canon);
        if in_storage {
            delete_stored(state, &r, &managed, "backup retention", &mut deleted).await?;
        }
    }
    Ok(deleted)
}

/// Deletes a stored backup's file (only as storage::delete_file_safely allows) and then its row.
/// One file that cannot be deleted (permissions, a busy share) is logged and kept, and the rest
/// still are; the backup just written stays good either way.
async fn delete_stored(state: &AppState, r: &Row, allowed: &[PathBuf], what: &str, deleted: &mut Vec<String>) -> Result<(), BackupError> {
    let (Some(dir), Some(name)) = (&r.directory, &r.file_name) else { return Ok(()) };
    match storage::delete_file_safely(Path::new(dir), name, allowed) {
        Ok(true) => {
            sqlx::query("DELETE FROM backup_history WHERE id = $1").bind(r.id).execute(&state.db).await?;
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
/// pre-restore backups, inside a backup directory (see storage::delete_file_safely); one that
/// cannot be deleted is logged and kept. Returns the names deleted.
pub async fn prune_pre_restore(state: &AppState) -> Result<Vec<String>, BackupError> {
    let s = settings::load(&state.db).await?;
    let managed = storage::managed_dirs(state, &s);
    let rows: Vec<Row> = sqlx::query_as("SELECT * FROM backup_history WHERE status = 'completed' AND trigger_kind = $1 ORDER BY id DESC")
        .bind(Trigger::PreRestore.as_str())
        .fetch_all(&state.db)
        .await?;
    let mut deleted = Vec::new();
    for r in rows.into_iter().skip(PRE_RESTORE_KEEP) {
        // The app wrote this row and its file: its recorded directory counts too, or a restore
        // that brought another storage path would leave older undo points there for ever.
        let mut allowed = managed.clone();
        allowed.extend(r.directory.as_deref().map(PathBuf::from));
        delete_stored(state, &r, &allowed, "pruning old pre-restore backups", &mut deleted).await?;
    }
    Ok(deleted)
}

/// The trigger of a history row for a file added by hand (see `import`). Retention never
/// deletes these: it only counts scheduled (and manual) runs.
pub const IMPORTED: &str = "imported";

/// The storage directory, canonical, and the names the history already lists there; None when
/// no storage path is set.
async fn storage_listing(state: &AppState, s: &settings::SettingsRow) -> Result<Option<(PathBuf, Vec<String>)>, BackupError> {
    let Some(dir) = &s.backup_storage_path else {
        return Ok(None);
    };
    let canon = Path::new(dir).canonicalize().map_err(|e| BackupError::fs(FsRole::StoragePath, Path::new(dir), &e))?;
    let rows: Vec<Row> = sqlx::query_as("SELECT * FROM backup_history WHERE file_name IS NOT NULL").fetch_all(&state.db).await?;
    let known = rows
        .into_iter()
        .filter(|r| r.directory.as_deref().and_then(|d| Path::new(d).canonicalize().ok()).is_some_and(|d| d == canon))
        .filter_map(|r| r.file_name)
        .collect();
    Ok(Some((canon, known)))
}

/// Backup files in the storage directory that the history does not list: copied there by hand,
/// for example one too large to upload. Only regular files named like this app's backups
/// (`tracker-tracker-backup-….json|.ttbak`); symlinks and other files are not offered.
/// Newest name first. No storage path set: nothing found.
pub async fn found_files(state: &AppState) -> Result<Vec<FoundFile>, BackupError> {
    let s = settings::load(&state.db).await?;
    let Some((dir, known)) = storage_listing(state, &s).await? else {
        return Ok(Vec::new());
    };
    let mut found = Vec::new();
    let fs = |e: std::io::Error| BackupError::fs(FsRole::StoragePath, &dir, &e);
    for entry in std::fs::read_dir(&dir).map_err(fs)? {
        let entry = entry.map_err(fs)?;
        let name = entry.file_name().to_string_lossy().to_string();
        let meta = entry.metadata().map_err(fs)?; // of the entry itself: a symlink is not a file here
        if !meta.file_type().is_file() || !storage::is_backup_file_name(&name) || known.contains(&name) {
            continue;
        }
        found.push(FoundFile {
            encrypted: name.ends_with(".ttbak"),
            size_bytes: meta.len() as i64,
            modified_at: meta.modified().ok().map(DateTime::<Utc>::from).map(crate::time::whole_seconds),
            file_name: name,
        });
    }
    found.sort_by(|a, b| b.file_name.cmp(&a.file_name));
    Ok(found)
}

/// Adds a backup file found in the storage directory to the history, after checking it whole
/// (every record; every chunk of a .ttbak, decrypted with `password` when given, else with the
/// stored backup password; without either only its hash is recorded). It can then be
/// verified, downloaded and restored like any stored backup. A file that fails the check is
/// refused and not listed.
pub async fn import(state: &AppState, file_name: &str, password: Option<Zeroizing<String>>) -> Result<HistoryEntry, BackupError> {
    let s = settings::load(&state.db).await?;
    let Some((dir, known)) = storage_listing(state, &s).await? else {
        return Err(BackupError::Invalid(invalid("storage_path", "No storage path is set: choose one in Settings → Backups first.")));
    };
    let refuse = |message: String| BackupError::Invalid(invalid("file_name", message));
    if !storage::is_backup_file_name(file_name) {
        return Err(refuse(format!("“{file_name}” is not a backup file name (tracker-tracker-backup-<time>.json or .ttbak).")));
    }
    if known.iter().any(|k| k == file_name) {
        return Err(refuse(format!("{file_name} is already in the history.")));
    }
    let path = dir.join(file_name);
    match std::fs::symlink_metadata(&path) {
        Ok(m) if m.file_type().is_file() => {}
        _ => return Err(refuse(format!("{file_name} is not a file in {}.", dir.display()))),
    }
    // One read gives the hash that later verifications compare against and checks every record.
    let password = password.or_else(|| storage::stored_backup_password(state, &s));
    let checked = match storage::verify_file(&path, None, password).await {
        Ok(c) => c,
        Err(e) if is_wrong_password(&e) => return Err(BackupError::WrongBackupPassword),
        // What is wrong with the file is the person's to know; a server fault stays one.
        Err(e @ BackupError::Format(_)) if !matches!(e, BackupError::Format(tt_core::backup_format::FormatError::ReadFailed { .. })) => {
            return Err(refuse(format!("{file_name} was not added: it is not a readable backup ({e}).")))
        }
        Err(e) => return Err(e),
    };
    let now = to_db(state.now());
    // Dated by when the backup was made, not when it was added: its header's creation time, or
    // for a .ttbak that could not be opened, the time in its name (written from that header).
    let created_at = checked.header.as_ref().map(|h| h.created_at).or_else(|| time_in_name(file_name)).unwrap_or_else(|| state.now());
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO backup_history (created_at, trigger_kind, file_name, directory, size_bytes, encrypted, sha256, status,
         verified_at, verify_status, verify_message) VALUES ($1, $2, $3, $4, $5, $6, $7, 'completed', $8, 'ok', $9) RETURNING id",
    )
    .bind(to_db(created_at))
    .bind(IMPORTED)
    .bind(file_name)
    .bind(dir.display().to_string())
    .bind(checked.size as i64)
    .bind(checked.encrypted)
    .bind(&checked.sha256)
    .bind(&now)
    .bind(format!("Checked when added: {}", checked.message))
    .fetch_one(&state.db)
    .await?;
    Ok(row(state, id).await?.entry())
}

/// The creation time in one of this app's backup names (`tracker-tracker-backup-YYYYMMDDTHHMMSSZ…`).
fn time_in_name(name: &str) -> Option<DateTime<Utc>> {
    let stamp = name.strip_prefix("tracker-tracker-backup-")?.get(..16)?;
    chrono::NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%SZ").ok().map(|t| t.and_utc())
}
