//! Disk operations for backup files, below everything else in the domain (the app state holds a
//! [`Disk`]): free space, the atomic write's steps (a temporary name, sync, rename, sync of the
//! directory), reading a file back to verify it, and deleting only files this app wrote. Nothing
//! here knows the database or the settings.

use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};
use tt_core::backup_format::{check, encrypted::TtbakReader, name, FileKind, FormatError, Header};
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

pub fn unique_name(dir: &Path, name: String) -> String {
    if !dir.join(&name).exists() {
        return name;
    }
    let (stem, ext) = name.rsplit_once('.').unwrap_or((&name, ""));
    (2..).map(|n| format!("{stem}-{n}.{ext}")).find(|candidate| !dir.join(candidate).exists()).unwrap_or(name.clone())
}

pub async fn sync_file(path: &Path) -> std::io::Result<()> {
    let f = tokio::fs::File::open(path).await?;
    f.sync_all().await
}

pub async fn sync_dir(dir: &Path) -> std::io::Result<()> {
    let d = tokio::fs::File::open(dir).await?;
    d.sync_all().await
}

/// Renames a fully written and synced temporary file to its backup name and syncs the directory,
/// so the backup name only ever points at a complete file. The temporary file is removed when
/// the rename fails.
pub async fn commit(temp: &Path, path: &Path) -> std::io::Result<()> {
    if let Err(e) = tokio::fs::rename(temp, path).await {
        let _ = tokio::fs::remove_file(temp).await;
        return Err(e);
    }
    if let Some(dir) = path.parent() {
        // The file is complete either way; a directory that cannot be synced (some network
        // shares) only loses durability of the name on a power cut.
        let _ = sync_dir(dir).await;
    }
    Ok(())
}

pub fn human(bytes: u64) -> String {
    tt_core::model::human_bytes(bytes.min(i64::MAX as u64) as i64)
}

/// Why reading a backup file back failed.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("{}", io_problem(*kind, FsRole::BackupFile, Some(path)))]
    Fs { path: PathBuf, kind: std::io::ErrorKind },
    #[error("its SHA-256 is {found}, but {recorded} was recorded when it was written: the file has changed")]
    Changed { found: String, recorded: String },
    #[error(transparent)]
    Format(#[from] FormatError),
    #[error("internal error: {0}")]
    Internal(String),
}

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
pub async fn verify_file(path: &Path, expected_sha256: Option<&str>, password: Option<Zeroizing<String>>) -> Result<FileCheck, VerifyError> {
    let path = path.to_path_buf();
    let expected = expected_sha256.map(str::to_string);
    tokio::task::spawn_blocking(move || -> Result<FileCheck, VerifyError> {
        let fs = |e: std::io::Error| VerifyError::Fs { path: path.clone(), kind: e.kind() };
        let (sha256, size) = sha256_file(&path).map_err(fs)?;
        let hash_note = match &expected {
            Some(exp) if *exp != sha256 => return Err(VerifyError::Changed { found: sha256, recorded: exp.clone() }),
            Some(_) => "SHA-256 matches",
            None => "SHA-256 recorded",
        };
        let file = std::io::BufReader::with_capacity(256 * 1024, std::fs::File::open(&path).map_err(fs)?);
        let (kind, reader) = tt_core::backup_format::open(file).map_err(fs)?;
        let encrypted = kind == FileKind::Encrypted;
        let checked = match (kind, password) {
            (FileKind::Plain, _) => check::check_all(reader)?,
            (FileKind::Encrypted, Some(pw)) => check::check_all(TtbakReader::new(reader, pw.as_bytes()).map_err(FormatError::from)?)?,
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
    .map_err(|e| VerifyError::Internal(e.to_string()))?
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
/// this app's backup names (or the original app's), directly inside one of the managed directories.
pub fn delete_file_safely(dir: &Path, file_name: &str, managed: &[PathBuf]) -> std::io::Result<bool> {
    if !name::is_stored_file_name(file_name) {
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

/// What a path is to the app, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsRole {
    /// The configured backup directory (or `<data dir>/backups`).
    StoragePath,
    /// A backup file being written or read.
    BackupFile,
    /// Where uploads wait while they are checked.
    UploadDir,
    File,
}

impl FsRole {
    fn name(self) -> &'static str {
        match self {
            FsRole::StoragePath => "the storage path",
            FsRole::BackupFile => "the backup file",
            FsRole::UploadDir => "the upload folder",
            FsRole::File => "a file",
        }
    }
}

/// The kinds [`io_problem`] explains with what to do; any other is an unexpected server fault.
pub fn io_kind_is_explained(kind: std::io::ErrorKind) -> bool {
    use std::io::ErrorKind as K;
    matches!(
        kind,
        K::NotFound
            | K::PermissionDenied
            | K::StorageFull
            | K::QuotaExceeded
            | K::ReadOnlyFilesystem
            | K::AlreadyExists
            | K::NotADirectory
            | K::IsADirectory
            | K::Interrupted
            | K::TimedOut
            | K::StaleNetworkFileHandle
            | K::ResourceBusy
    )
}

/// A sentence for a failed file operation: what failed, where, and what to do. Chosen by
/// `io::ErrorKind`, so it reads the same on every system and in every locale.
pub fn io_problem(kind: std::io::ErrorKind, role: FsRole, path: Option<&Path>) -> String {
    use std::io::ErrorKind as K;
    let what = match path {
        Some(p) => format!("{} {}", role.name(), p.display()),
        None => role.name().to_string(),
    };
    match kind {
        K::NotFound if matches!(role, FsRole::StoragePath | FsRole::UploadDir) => format!("{what} does not exist (check the path, or create it)"),
        K::NotFound => format!("{what} does not exist (check the path)"),
        K::PermissionDenied => {
            format!("the server is not allowed to use {what}: give the user it runs as read and write access to it, or choose another place")
        }
        K::StorageFull => format!("the disk holding {what} is full: free some space, or choose a place on another disk"),
        K::QuotaExceeded => format!("the disk quota for {what} is used up: free some space, or raise the quota"),
        K::ReadOnlyFilesystem => format!("{what} is on a read-only filesystem: mount it read-write, or choose another place"),
        K::AlreadyExists => format!("{what} exists but is not a directory: choose another path"),
        K::NotADirectory => format!("{what} could not be created: part of it is a file, not a directory; choose another path"),
        K::IsADirectory => format!("{what} is a directory, not a file"),
        K::Interrupted | K::TimedOut | K::StaleNetworkFileHandle | K::ResourceBusy => {
            format!("{what} was busy or went away while it was used (a network share?): try again")
        }
        other => format!("{what} could not be used (the system reported: {other})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
