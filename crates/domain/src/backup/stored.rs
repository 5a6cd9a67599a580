//! Operations on stored backups (those the history lists): restore, verify, delete, download's
//! file lookup, and adding a file found in the storage directory. Files the original Tracker
//! Tracker wrote (told by their names, `name::parse_original`) are found, added, verified and
//! restored too: read by `original`, restored through the import like an upload of one.

use super::history;
use super::original;
use super::restore;
use super::{destination, disk, BackupError, FsRole};
use crate::settings;
use crate::AppState;
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};
use tt_core::backup_format::name;
use tt_core::model::backup::{FoundFile, HistoryEntry, MadeBy, RestoreReport, VerifyResult};
use tt_core::validate::invalid;
use zeroize::Zeroizing;

/// The file of a completed stored backup, for reading (download, verify, restore). It is read
/// where this app wrote it (or found it), as recorded in its history row, even when the storage
/// path has changed since — for example after a restore brought other backup settings, which
/// must not make the pre-restore backup (the undo) unreachable. History rows are written only by
/// this app and are never restored from a file, so the recorded directory is trusted; the name
/// must still be one of this app's (or the original app's) and the file a regular file (not a
/// symlink).
pub async fn file_of(state: &AppState, id: i64) -> Result<(PathBuf, String), BackupError> {
    let r = history::row(state, id).await?;
    let (Some(dir), Some(name)) = (&r.directory, &r.file_name) else {
        return Err(BackupError::Storage("this run did not produce a file".into()));
    };
    if r.status != history::RunStatus::Completed || !name::is_stored_file_name(name) {
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

/// The backup password to open a .ttbak this instance wrote (stored here, or fetched from one of
/// its locations): the one given, else the stored one.
pub(crate) async fn given_or_stored_password(state: &AppState, given: Option<Zeroizing<String>>) -> Result<Option<Zeroizing<String>>, BackupError> {
    Ok(match given {
        Some(p) => Some(p),
        None => destination::stored_backup_password(state, &settings::load(&state.db).await?),
    })
}

/// Restores (or dry-runs) a stored backup through the same path and rules as an upload. A stored
/// .ttbak was written with the stored backup password, which is used unless another is given.
pub async fn restore_stored(state: &AppState, req: StoredRestore) -> Result<RestoreReport, BackupError> {
    let (path, _) = file_of(state, req.id).await?;
    let request = restore::RestoreRequest {
        file: path,
        current_password: req.current_password,
        backup_password: given_or_stored_password(state, req.backup_password).await?,
        source_password: req.source_password,
        totp: req.totp,
        dry_run: req.dry_run,
    };
    restore::restore(state, request).await
}

/// Deletes a stored backup: its file (only when it is safe to, see disk::delete_file_safely)
/// and its history row. Says what happened: a file outside the backup directories (one written
/// before the storage path changed) is left where it is, and the answer says where.
pub async fn delete(state: &AppState, id: i64) -> Result<String, BackupError> {
    let r = history::row(state, id).await?;
    let s = settings::load(&state.db).await?;
    let message = match (&r.directory, &r.file_name) {
        (Some(dir), Some(name)) => {
            if disk::delete_file_safely(Path::new(dir), name, &destination::managed_dirs(state, &s))? {
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
    history::remove(state, id).await?;
    Ok(message)
}

/// Re-reads a stored backup and checks it; records the outcome. A .ttbak is decrypted with
/// `password` when given (one written with another password than the stored one), else with the
/// stored backup password; without either only the hash is checked. A wrong password is an
/// answer to the person, not a verdict on the file: nothing is recorded then.
pub async fn verify(state: &AppState, id: i64, password: Option<Zeroizing<String>>) -> Result<VerifyResult, BackupError> {
    let r = history::row(state, id).await?;
    let s = settings::load(&state.db).await?;
    let outcome = match file_of(state, id).await {
        Ok((path, name)) => {
            let password = if r.encrypted { password.or_else(|| destination::stored_backup_password(state, &s)) } else { None };
            if MadeBy::of_file_name(&name) == MadeBy::Original {
                check_original(state, &path, r.sha256.as_deref(), password).await.and_then(|(_, _, c)| match c {
                    Some((check, note)) => Ok(check.message(note)),
                    None => Err(BackupError::Storage("it is no longer a backup of the original Tracker Tracker".into())),
                })
            } else {
                disk::verify_file(&path, r.sha256.as_deref(), password).await.map(|c| c.message).map_err(BackupError::from)
            }
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
    history::set_verified(state, id, now, ok, &message).await?;
    Ok(VerifyResult { ok, message, checked_at: now })
}

fn is_wrong_password(e: &BackupError) -> bool {
    matches!(e, BackupError::Format(tt_core::backup_format::FormatError::Encrypted(t)) if t.is_wrong_password())
        || matches!(e, BackupError::WrongBackupPassword)
}

/// Reads an original app's file whole (`original::check`): its SHA-256 and size, compared with
/// `expected` when given, and the check with the note on the hash; None for the check when the
/// file is not one of the original's backups.
async fn check_original(
    state: &AppState,
    path: &Path,
    expected: Option<&str>,
    password: Option<Zeroizing<String>>,
) -> Result<(String, u64, Option<(original::OriginalCheck, &'static str)>), BackupError> {
    let (path, expected, work_dir) = (path.to_path_buf(), expected.map(str::to_string), state.config.upload_dir());
    tokio::task::spawn_blocking(move || {
        let (sha256, size) = disk::sha256_file(&path).map_err(|e| BackupError::fs(FsRole::BackupFile, &path, &e))?;
        let note = match &expected {
            Some(exp) if *exp != sha256 => return Err(disk::VerifyError::Changed { found: sha256, recorded: exp.clone() }.into()),
            Some(_) => "SHA-256 matches",
            None => "SHA-256 recorded",
        };
        let Some(sniffed) = original::detect(&path)? else { return Ok((sha256, size, None)) };
        let check = original::check(&path, &sniffed, password.as_ref(), &work_dir)?;
        Ok((sha256, size, Some((check, note))))
    })
    .await
    .map_err(|e| BackupError::Internal(e.to_string()))?
}

/// What is wrong with an original file is the person's to know; a server fault stays one.
fn is_unreadable_original(e: &BackupError) -> bool {
    matches!(e, BackupError::Original(original::OriginalError::Read(r)) if !matches!(r, original::ReadError::Io(_)))
}

/// The storage directory, canonical, and the names the history already lists there; None when
/// no storage path is set.
async fn storage_listing(state: &AppState, s: &settings::SettingsRow) -> Result<Option<(PathBuf, Vec<String>)>, BackupError> {
    let Some(dir) = &s.backup_storage_path else {
        return Ok(None);
    };
    let canon = Path::new(dir).canonicalize().map_err(|e| BackupError::fs(FsRole::StoragePath, Path::new(dir), &e))?;
    let rows = history::with_files(state).await?;
    let known = rows
        .into_iter()
        .filter(|r| r.directory.as_deref().and_then(|d| Path::new(d).canonicalize().ok()).is_some_and(|d| d == canon))
        .filter_map(|r| r.file_name)
        .collect();
    Ok(Some((canon, known)))
}

/// Backup files in the storage directory that the history does not list: copied there by hand,
/// for example one too large to upload, or written there by the original app. Only regular files
/// named like this app's backups (`tracker-tracker-backup-<stamp>.json|.ttbak`) or the
/// original's (`name::parse_original`); symlinks and other files are not offered. The
/// original's are recognised from their first bytes (kind, date); one that is not recognised
/// is offered by its name and refused, with the reason, when it is added. Newest name first.
/// No storage path set: nothing found.
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
        if !meta.file_type().is_file() || !name::is_stored_file_name(&name) || known.contains(&name) {
            continue;
        }
        let made_by = MadeBy::of_file_name(&name);
        let (encrypted, created_at) = match made_by {
            MadeBy::ThisApp => (name.ends_with(".ttbak"), time_in_name(&name)),
            MadeBy::Original => match original::detect(&entry.path()) {
                Ok(Some(original::Sniffed::Plain(m))) => (false, Some(m.created_at)),
                Ok(Some(original::Sniffed::Encrypted(h))) => (true, Some(h.created_at)),
                _ => (name.ends_with(".ttbak"), name::parse_original(&name).and_then(|n| n.created_at)),
            },
        };
        found.push(FoundFile {
            encrypted,
            size_bytes: meta.len() as i64,
            modified_at: meta.modified().ok().map(DateTime::<Utc>::from).map(crate::time::db_precision),
            file_name: name,
            made_by,
            created_at: created_at.map(crate::time::db_precision),
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
    if !name::is_stored_file_name(file_name) {
        return Err(refuse(format!(
            "“{file_name}” is not a backup file name (tracker-tracker-backup-<time>.json or .ttbak, or a name the original app gives its backups)."
        )));
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
    let password = password.or_else(|| destination::stored_backup_password(state, &s));
    if MadeBy::of_file_name(file_name) == MadeBy::Original {
        return import_original(state, file_name, &dir, &path, password).await;
    }
    let checked = match disk::verify_file(&path, None, password).await.map_err(BackupError::from) {
        Ok(c) => c,
        Err(e) if is_wrong_password(&e) => return Err(BackupError::WrongBackupPassword),
        // What is wrong with the file is the person's to know; a server fault stays one.
        Err(e @ BackupError::Format(_)) if !matches!(e, BackupError::Format(tt_core::backup_format::FormatError::ReadFailed { .. })) => {
            return Err(refuse(format!("{file_name} was not added: it is not a readable backup ({e}).")))
        }
        Err(e) => return Err(e),
    };
    // Dated by when the backup was made, not when it was added: its header's creation time, or
    // for a .ttbak that could not be opened, the time in its name (written from that header).
    let created_at = checked.header.as_ref().map(|h| h.created_at).or_else(|| time_in_name(file_name)).unwrap_or_else(|| state.now());
    let imported = history::Imported {
        created_at,
        file_name,
        dir: &dir,
        size: checked.size,
        encrypted: checked.encrypted,
        sha256: &checked.sha256,
        checked_message: &checked.message,
    };
    let id = history::insert_imported(state, &imported).await?;
    Ok(history::row(state, id).await?.entry())
}

/// [`import`] of a file named like the original app's backups: it must be one, read whole as the
/// import reads it; dated by its own `createdAt`.
async fn import_original(
    state: &AppState,
    file_name: &str,
    dir: &Path,
    path: &Path,
    password: Option<Zeroizing<String>>,
) -> Result<HistoryEntry, BackupError> {
    let refuse = |message: String| BackupError::Invalid(invalid("file_name", message));
    let (sha256, size, check) = match check_original(state, path, None, password).await {
        Ok(c) => c,
        Err(e) if is_unreadable_original(&e) => return Err(refuse(format!("{file_name} was not added: it is not a readable backup ({e})."))),
        Err(e) => return Err(e),
    };
    let Some((check, note)) = check else {
        return Err(refuse(format!(
            "{file_name} was not added: it is named like the original Tracker Tracker's backups, but it is not one of them."
        )));
    };
    let message = check.message(note);
    let imported = history::Imported {
        created_at: crate::time::db_precision(check.created_at),
        file_name,
        dir,
        size,
        encrypted: check.encrypted,
        sha256: &sha256,
        checked_message: &message,
    };
    let id = history::insert_imported(state, &imported).await?;
    Ok(history::row(state, id).await?.entry())
}

/// The creation time in one of this app's backup names.
fn time_in_name(file_name: &str) -> Option<DateTime<Utc>> {
    name::parse(file_name).and_then(|n| n.created_at)
}
