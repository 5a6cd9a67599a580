//! Where backups are written and with which password: the storage path (or, for pre-restore
//! backups without one, `<data dir>/backups`), the directories this app may delete from, and the
//! sealed backup password, all from the settings row.

use super::history::Trigger;
use super::BackupError;
use crate::secrets::purpose;
use crate::settings::SettingsRow;
use crate::AppState;
use std::path::PathBuf;
use zeroize::Zeroizing;

/// The directory backups go to: the configured storage path, or for pre-restore backups
/// without one, `<data dir>/backups`.
pub fn backup_dir(state: &AppState, s: &SettingsRow, trigger: Trigger) -> Result<PathBuf, BackupError> {
    match (&s.backup_storage_path, trigger) {
        (Some(p), _) => Ok(PathBuf::from(p)),
        (None, Trigger::PreRestore) => Ok(state.config.data_dir.join("backups")),
        // Imported rows are files found there, never written: no place of their own.
        (None, Trigger::Scheduled | Trigger::Manual | Trigger::Imported) => Err(BackupError::NoStoragePath),
    }
}

/// Directories this app writes backups to (the only places it deletes from).
pub fn managed_dirs(state: &AppState, s: &SettingsRow) -> Vec<PathBuf> {
    let mut dirs = vec![state.config.data_dir.join("backups")];
    if let Some(p) = &s.backup_storage_path {
        dirs.push(PathBuf::from(p));
    }
    dirs
}

/// The stored backup password, when encryption is on.
pub fn backup_password(state: &AppState, s: &SettingsRow) -> Result<Option<Zeroizing<String>>, BackupError> {
    if !s.backup_encrypt {
        return Ok(None);
    }
    let sealed = s.backup_password_enc.as_deref().ok_or_else(|| BackupError::Storage("encryption is on but no backup password is set".into()))?;
    state
        .keys
        .open(purpose::BACKUP_PASSWORD, sealed)
        .map(Some)
        .map_err(|e| BackupError::Storage(format!("the backup password could not be read ({e})")))
}

/// The stored backup password whether or not encryption is on now: stored .ttbak files written
/// with it are opened with it. None when none is stored or it cannot be unsealed.
pub fn stored_backup_password(state: &AppState, s: &SettingsRow) -> Option<Zeroizing<String>> {
    s.backup_password_enc.as_deref().and_then(|sealed| state.keys.open(purpose::BACKUP_PASSWORD, sealed).ok())
}
