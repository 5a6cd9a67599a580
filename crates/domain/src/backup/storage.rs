//! Backups written to disk (scheduled and pre-restore): a temporary file in the same directory,
//! flushed, synced and renamed, then read back and verified before it counts; free space is
//! checked first. Deleting only ever touches files this app wrote, inside the backup directory.

use super::export::export;
use super::history;
use super::{BackupError, FsRole};
use crate::secrets::purpose;
use crate::settings::{self, SettingsRow};
use crate::AppState;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};
use tt_core::backup_format::{check, encrypted::TtbakReader, FileKind, Header};
use zeroize::Zeroizing;

/// Free and total bytes of a filesystem.
#[derive(Debug, Clone, Copy)]
pub struct Space {
    pub available: u64,
    pub total: u64,
}

/// The filesystem, as the backup writer sees it; tests replace it to simulate a full disk.
pub trait Disk: Send + Sync + 'static {
    fn space(&self, dir: &Path) -> std::io::Result<Space>;
    /// Wraps the file a backup is written to.
    fn writer(&self, file: tokio::fs::File) -> Box<dyn tokio::io::AsyncWrite + Send + Unpin> {
        Box::new(file)
    }
}

pub struct RealDisk;

impl Disk for RealDisk {
    fn space(&self, dir: &Path) -> std::io::Result<Space> {
        let s = fs4::statvfs(dir)?;
        Ok(Space { available: s.available_space(), total: s.total_space() })
    }
}

/// Free space a backup must leave: 5 % of the filesystem, at most 1 GiB.
pub fn safety_margin(total: u64) -> u64 {
    (total / 20).min(1 << 30)
}

/// Why a backup was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The 03:00 run.
    Scheduled,
    /// "Run a scheduled backup now": written, verified and pruned like a scheduled one.
    Manual,
    PreRestore,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Scheduled => "scheduled",
            Trigger::Manual => "manual",
            Trigger::PreRestore => "pre_restore",
        }
    }
}

/// History triggers of the runs written to the storage path by the schedule's rules (retention
/// counts them together).
pub const SCHEDULE_TRIGGERS: &str = "('scheduled', 'manual')";

/// The directory backups go to: the configured storage path, or for pre-restore backups
/// without one, `<data dir>/backups`.
pub fn backup_dir(state: &AppState, s: &SettingsRow, trigger: Trigger) -> Result<PathBuf, BackupError> {
    match (&s.backup_storage_path, trigger) {
        (Some(p), _) => Ok(PathBuf::from(p)),
        (None, Trigger::PreRestore) => Ok(state.config.data_dir.join("backups")),
        (None, Trigger::Scheduled | Trigger::Manual) => Err(BackupError::NoStoragePath),
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

/// True for names this app gives its backups: `tracker-tracker-backup-YYYYMMDDTHHMMSSZ[-N].json|ttbak`.
pub fn is_backup_file_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("tracker-tracker-backup-") else { return false };
    let (stem, ext) = match rest.rsplit_once('.') {
        Some(x) => x,
        None => return false,
    };
    if ext != "json" && ext != "ttbak" {
        return false;
    }
    let (stamp, suffix) = match stem.split_once('-') {
        Some((a, b)) => (a, Some(b)),
        None => (stem, None),
    };
    let b = stamp.as_bytes();
    let stamp_ok = b.len() == 16 && b[..8].iter().all(u8::is_ascii_digit) && b[8] == b'T' && b[9..15].iter().all(u8::is_ascii_digit) && b[15] == b'Z';
    stamp_ok && suffix.is_none_or(|s| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
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
}

/// Writes a backup of the current data into the backup directory and records it in the history
/// (completed, or failed with the reason).
pub async fn write_backup(state: &AppState, trigger: Trigger) -> Result<Written, BackupError> {
    let _gate = state.backup_gate.lock().await;
    let s = settings::load(&state.db).await?;
    let now = state.now();
    let encrypted = s.backup_encrypt;
    let row = history::start(state, now, trigger, encrypted).await?;
    let result = write_into(state, &s, trigger).await;
    match result {
        Ok(mut w) => {
            w.history_id = row;
            history::complete(state, row, &w).await?;
            Ok(w)
        }
        Err(e) => {
            history::fail(state, row, &e.to_string()).await?;
            Err(e)
        }
    }
}

async fn write_into(state: &AppState, s: &SettingsRow, trigger: Trigger) -> Result<Written, BackupError> {
    let dir = backup_dir(state, s, trigger)?;
    let password = backup_password(state, s)?;
    let fs = |e: std::io::Error| BackupError::fs(FsRole::StoragePath, &dir, &e);
    tokio::fs::create_dir_all(&dir).await.map_err(fs)?;
    let meta = tokio::fs::metadata(&dir).await.map_err(fs)?;
    if !meta.is_dir() {
        return Err(BackupError::Storage(format!("the storage path {} is not a directory", dir.display())));
    }

    // Free space: the last backup's size (or the database's) plus a safety margin.
    let space = state.disk.space(&dir).map_err(fs)?;
    let estimate = history::last_completed_size(state).await?.unwrap_or(0).max(database_size(state));
    let margin = safety_margin(space.total);
    if space.available < estimate.saturating_add(margin) {
        return Err(BackupError::Storage(format!(
            "not enough free space in {}: {} free, the backup needs about {} and {} must stay free",
            dir.display(),
            human(space.available),
            human(estimate),
            human(margin)
        )));
    }

    let kind = if password.is_some() { FileKind::Encrypted } else { FileKind::Plain };
    let created_at = state.now();
    let final_name = unique_name(&dir, tt_core::backup_format::file_name(created_at, kind));
    let temp = dir.join(format!(".{final_name}.partial"));
    let outcome = async {
        let file = tokio::fs::OpenOptions::new().write(true).create_new(true).open(&temp).await.map_err(fs)?;
        let mut out = state.disk.writer(file);
        // A write that failed (a full disk) comes back without a path: it is the storage path's.
        let summary = export(state, password.clone(), created_at, &mut out).await.map_err(|e| e.at(FsRole::StoragePath, &dir))?;
        tokio::io::AsyncWriteExt::shutdown(&mut out).await.map_err(fs)?;
        drop(out);
        sync_file(&temp).await.map_err(fs)?;
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
    if let Err(e) = tokio::fs::rename(&temp, &path).await {
        let _ = tokio::fs::remove_file(&temp).await;
        return Err(fs(e));
    }
    let _ = sync_dir(&dir).await;

    // Read it back: the bytes must hash the same and parse completely (tags of a .ttbak included).
    if let Err(e) = verify_file(&path, Some(&summary.sha256), password.clone()).await {
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
    })
}

fn database_size(state: &AppState) -> u64 {
    let db = state.config.data_dir.join("tracker-tracker.db");
    std::fs::metadata(db).map(|m| m.len()).unwrap_or(0)
}

fn unique_name(dir: &Path, name: String) -> String {
    if !dir.join(&name).exists() {
        return name;
    }
    let (stem, ext) = name.rsplit_once('.').unwrap_or((&name, ""));
    (2..).map(|n| format!("{stem}-{n}.{ext}")).find(|candidate| !dir.join(candidate).exists()).unwrap_or(name.clone())
}

async fn sync_file(path: &Path) -> std::io::Result<()> {
    let f = tokio::fs::File::open(path).await?;
    f.sync_all().await
}

async fn sync_dir(dir: &Path) -> std::io::Result<()> {
    let d = tokio::fs::File::open(dir).await?;
    d.sync_all().await
}

pub fn human(bytes: u64) -> String {
    tt_core::model::human_bytes(bytes.min(i64::MAX as u64) as i64)
}

/// Re-reads a backup file: its SHA-256 (compared when `expected_sha256` is given) and a complete
/// parse and check of its contents — for a .ttbak, every chunk's authentication tag, when the
/// password is known. Returns a sentence describing what was checked.
/// What reading a backup file back found.
#[derive(Debug, Clone)]
pub struct FileCheck {
    pub sha256: String,
    pub size: u64,
    pub encrypted: bool,
    /// For a person: what was checked.
    pub message: String,
    /// The backup's header, when its contents were read (not for a .ttbak without its password).
    pub header: Option<Header>,
}

/// Reads a backup file whole and checks it: its SHA-256 against `expected_sha256` when given,
/// then every record (and, for a .ttbak when `password` is given, every chunk's tag).
pub async fn verify_file(path: &Path, expected_sha256: Option<&str>, password: Option<Zeroizing<String>>) -> Result<FileCheck, BackupError> {
    let path = path.to_path_buf();
    let expected = expected_sha256.map(str::to_string);
    tokio::task::spawn_blocking(move || -> Result<FileCheck, BackupError> {
        let (sha256, size) = sha256_file(&path).map_err(|e| BackupError::fs(FsRole::BackupFile, &path, &e))?;
        let hash_note = match &expected {
            Some(exp) if *exp != sha256 => {
                return Err(BackupError::Storage(format!(
                    "its SHA-256 is {sha256}, but {exp} was recorded when it was written: the file has changed"
                )));
            }
            Some(_) => "SHA-256 matches",
            None => "SHA-256 recorded",
        };
        let mut head = [0u8; 8];
        let fs = |e: std::io::Error| BackupError::fs(FsRole::BackupFile, &path, &e);
        let mut f = std::fs::File::open(&path).map_err(fs)?;
        let n = read_up_to(&mut f, &mut head).map_err(fs)?;
        let kind = FileKind::detect(&head[..n]);
        let encrypted = kind == FileKind::Encrypted;
        let f = std::fs::File::open(&path).map_err(fs)?;
        let checked = match (kind, password) {
            (FileKind::Plain, _) => check::check_all(f)?,
            (FileKind::Encrypted, Some(pw)) => {
                let reader = TtbakReader::new(std::io::BufReader::new(f), pw.as_bytes()).map_err(tt_core::backup_format::FormatError::from)?;
                check::check_all(reader)?
            }
            (FileKind::Encrypted, None) => {
                let message = format!("{hash_note}. The contents were not decrypted: no backup password is stored (enter it to check them).");
                return Ok(FileCheck { sha256, size, encrypted, message, header: None });
            }
        };
        let message = format!(
            "{hash_note}; {} records read and checked{}.",
            checked.counts.total(),
            if encrypted { ", every encrypted chunk authenticated" } else { "" }
        );
        Ok(FileCheck { sha256, size, encrypted, message, header: Some(checked.header) })
    })
    .await
    .map_err(|e| BackupError::Internal(e.to_string()))?
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// SHA-256 (hex) and size of a file, read in blocks.
pub fn sha256_file(path: &Path) -> std::io::Result<(String, u64)> {
    let mut f = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((hex::encode(hasher.finalize()), size))
}

/// Deletes a stored backup file, only when it is a regular file (not a symlink) with one of
/// this app's backup names, directly inside one of the managed directories.
pub fn delete_file_safely(dir: &Path, file_name: &str, managed: &[PathBuf]) -> Result<bool, BackupError> {
    if !is_backup_file_name(file_name) {
        return Ok(false);
    }
    let canon_dir = match dir.canonicalize() {
        Ok(d) => d,
        Err(_) => return Ok(false),
    };
    let inside = managed.iter().filter_map(|m| m.canonicalize().ok()).any(|m| m == canon_dir);
    if !inside {
        return Ok(false);
    }
    let path = canon_dir.join(file_name);
    match std::fs::symlink_metadata(&path) {
        Ok(m) if m.file_type().is_file() => {
            std::fs::remove_file(&path)?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_names() {
        assert!(is_backup_file_name("tracker-tracker-backup-20261124T030000Z.json"));
        assert!(is_backup_file_name("tracker-tracker-backup-20261124T030000Z-2.ttbak"));
        for bad in [
            "tracker-tracker-backup-20261124T030000Z.json.partial",
            ".tracker-tracker-backup-20261124T030000Z.json.partial",
            "tracker-tracker-backup-../../etc/passwd.json",
            "tracker-tracker-backup-20261124T030000Z.txt",
            "notes.json",
            "tracker-tracker-backup-2026112T030000Z.json",
            "tracker-tracker-backup-20261124T030000Z-.json",
        ] {
            assert!(!is_backup_file_name(bad), "{bad}");
        }
    }

    #[test]
    fn margin_is_five_percent_up_to_a_gib() {
        assert_eq!(safety_margin(100 << 20), 5 << 20);
        assert_eq!(safety_margin(1 << 40), 1 << 30);
    }

    #[test]
    fn deletes_only_managed_regular_backup_files() {
        let root = tempfile::tempdir().unwrap();
        let managed = root.path().join("backups");
        let outside = root.path().join("elsewhere");
        std::fs::create_dir_all(&managed).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        let name = "tracker-tracker-backup-20261124T030000Z.json";
        std::fs::write(managed.join(name), b"{}").unwrap();
        std::fs::write(outside.join(name), b"{}").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(outside.join(name), managed.join("tracker-tracker-backup-20261125T030000Z.json")).unwrap();
        let dirs = vec![managed.clone()];
        assert!(!delete_file_safely(&outside, name, &dirs).unwrap(), "outside the managed dir");
        assert!(!delete_file_safely(&managed, "tracker-tracker-backup-20261125T030000Z.json", &dirs).unwrap(), "a symlink");
        assert!(!delete_file_safely(&managed.join(".."), name, &dirs).unwrap(), "a path with ..");
        assert!(outside.join(name).exists());
        assert!(delete_file_safely(&managed, name, &dirs).unwrap());
        assert!(!managed.join(name).exists());
    }
}
