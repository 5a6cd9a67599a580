//! Backups: export, restore, storage on disk, history, schedule (see docs/backup-format.md).

pub mod destination;
pub mod disk;
pub mod export;
pub mod history;
pub mod locations;
pub mod original;
pub mod report;
pub mod restore;
pub mod run;
pub mod schedule;
pub mod scheduler;
pub mod settings;
pub mod stored;
pub mod tables;
pub mod upload;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod schedule_tests;

#[cfg(test)]
mod scheduled_tests;

// File roles and their sentences live with the disk operations (below everything else).
pub use disk::{io_kind_is_explained, io_problem, FsRole};
use std::path::{Path, PathBuf};
use tt_core::backup_format::FormatError;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(transparent)]
    Format(#[from] FormatError),
    #[error(transparent)]
    Table(#[from] tables::TableError),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Secret(#[from] crate::secrets::SecretError),
    #[error(transparent)]
    Auth(#[from] crate::auth::AuthError),
    /// A file or directory the server works with failed: the kind stays typed, and the message
    /// names the path and what to do (never the OS's own text, "… (os error 2)").
    #[error("{}", io_problem(*kind, *role, path.as_deref()))]
    Fs { role: FsRole, path: Option<PathBuf>, kind: std::io::ErrorKind },
    #[error("{0}")]
    Invalid(#[from] tt_core::validate::Invalid),
    #[error("{0}")]
    Storage(String),
    /// Asked for before anything is written: a configuration to fix, not a failed run.
    #[error("No storage path is set, so there is nowhere to write the backup. Set “Storage path” (a directory on the server) in Settings → Backups and save, then run it again.")]
    NoStoragePath,
    #[error("The backup password is wrong, or the file is damaged.")]
    WrongBackupPassword,
    #[error("This is not the login password of the instance the backup came from: it does not open the backup's key. Check it, or leave the field empty to restore without the backup's secrets (they are then cleared and their owners disabled).")]
    WrongSourcePassword,
    #[error("This backup is encrypted: enter its backup password.")]
    BackupPasswordNeeded,
    #[error("{0}")]
    TooLarge(tt_core::rules::TooLargeForUpload),
    #[error("No stored backup with id {0}.")]
    NotFound(i64),
    #[error("internal error: {0}")]
    Internal(String),
    /// A backup of the original Tracker Tracker (Node.js) that cannot be imported.
    #[error(transparent)]
    Original(original::OriginalError),
    #[error(transparent)]
    Location(Box<locations::LocationError>),
}

impl From<locations::LocationError> for BackupError {
    fn from(e: locations::LocationError) -> Self {
        match e {
            locations::LocationError::Db(d) => BackupError::Db(d),
            locations::LocationError::Secret(s) => BackupError::Secret(s),
            other => BackupError::Location(Box::new(other)),
        }
    }
}

/// The import's password and file cases become the native restore's own, so the API answers
/// them alike (400 on backup_password / source_password).
impl From<original::OriginalError> for BackupError {
    fn from(e: original::OriginalError) -> Self {
        use original::{OriginalError as O, ReadError as R};
        match e {
            O::Read(R::WrongBackupPassword) => BackupError::WrongBackupPassword,
            O::Read(R::BackupPasswordMissing) | O::BackupPasswordNeeded => BackupError::BackupPasswordNeeded,
            // Raised only when a source password was given and neither it nor the current one opens the secrets.
            O::Read(R::WrongLoginPassword) => BackupError::WrongSourcePassword,
            O::Fs { role, path, kind } => BackupError::Fs { role, path: Some(path), kind },
            O::Secret(s) => BackupError::Secret(s),
            other => BackupError::Original(other),
        }
    }
}

impl BackupError {
    pub fn fs(role: FsRole, path: &Path, e: &std::io::Error) -> BackupError {
        BackupError::Fs { role, path: Some(path.to_path_buf()), kind: e.kind() }
    }

    /// The failure as recorded for people (the history's `error`, the notification, run-now's
    /// answer): its sentence when it is one; for a fault whose text is a raw cause (SQL, an
    /// internal error) a reference to the log line that holds it, as `api::internal` does.
    pub fn reason(&self) -> String {
        match self {
            BackupError::Db(_)
            | BackupError::Table(_)
            | BackupError::Internal(_)
            | BackupError::Secret(_)
            | BackupError::Auth(_)
            | BackupError::Location(_) => {
                let reference = format!("{:08x}", rand::random::<u32>());
                tracing::error!(reference, "backup failed: {self}");
                format!("an internal error on the server (server log reference {reference})")
            }
            other => other.to_string(),
        }
    }

    /// The same failure, now that the caller knows the path (an error from a writer that did not).
    pub fn at(self, role: FsRole, path: &Path) -> BackupError {
        match self {
            BackupError::Fs { kind, path: None, .. } => BackupError::Fs { role, path: Some(path.to_path_buf()), kind },
            other => other,
        }
    }
}

impl From<disk::VerifyError> for BackupError {
    fn from(e: disk::VerifyError) -> Self {
        match e {
            disk::VerifyError::Fs { path, kind } => BackupError::Fs { role: FsRole::BackupFile, path: Some(path), kind },
            disk::VerifyError::Changed { .. } => BackupError::Storage(e.to_string()),
            disk::VerifyError::Format(f) => BackupError::Format(f),
            disk::VerifyError::Internal(m) => BackupError::Internal(m),
        }
    }
}

/// For `?` on an io::Error where the path is not at hand; callers that know it use
/// [`BackupError::fs`].
impl From<std::io::Error> for BackupError {
    fn from(e: std::io::Error) -> Self {
        BackupError::Fs { role: FsRole::File, path: None, kind: e.kind() }
    }
}

#[cfg(test)]
mod io_problem_tests {
    use super::*;
    use std::io::ErrorKind as K;

    #[test]
    fn file_errors_are_sentences_that_name_the_path() {
        let p = Path::new("/srv/backups");
        let cases = [
            (K::NotFound, "the storage path /srv/backups does not exist (check the path, or create it)"),
            (
                K::PermissionDenied,
                "the server is not allowed to use the storage path /srv/backups: give the user it runs as read and write access to it, or choose another place",
            ),
            (K::StorageFull, "the disk holding the storage path /srv/backups is full: free some space, or choose a place on another disk"),
            (K::ReadOnlyFilesystem, "the storage path /srv/backups is on a read-only filesystem: mount it read-write, or choose another place"),
            (K::AlreadyExists, "the storage path /srv/backups exists but is not a directory: choose another path"),
            (K::NotADirectory, "the storage path /srv/backups could not be created: part of it is a file, not a directory; choose another path"),
        ];
        for (kind, expected) in cases {
            assert_eq!(io_problem(kind, FsRole::StoragePath, Some(p)), expected);
            assert!(io_kind_is_explained(kind));
        }
        assert_eq!(io_problem(K::NotFound, FsRole::BackupFile, None), "the backup file does not exist (check the path)");
        // From an io::Error: the kind is kept, the OS's text is not used.
        let e = BackupError::fs(FsRole::BackupFile, Path::new("/x/b.json"), &std::io::Error::from_raw_os_error(2));
        assert_eq!(e.to_string(), "the backup file /x/b.json does not exist (check the path)");
        let e = BackupError::from(std::io::Error::new(K::StorageFull, "No space left on device (os error 28)")).at(FsRole::StoragePath, p);
        assert_eq!(e.to_string(), "the disk holding the storage path /srv/backups is full: free some space, or choose a place on another disk");
        assert!(!io_kind_is_explained(K::Other));
    }

    #[test]
    fn a_recorded_reason_never_holds_a_raw_cause() {
        let e = BackupError::Db(sqlx::Error::Protocol("no such table: /srv/tt/secret.db".into()));
        let r = e.reason();
        assert!(r.starts_with("an internal error on the server (server log reference "), "{r}");
        assert!(!r.contains("no such table") && !r.contains("/srv"), "{r}");
        assert!(!BackupError::Internal("task panicked at src/x.rs".into()).reason().contains("panicked"));
        // Sentences for people stay as they are.
        let full =
            BackupError::from(std::io::Error::new(K::StorageFull, "No space left on device (os error 28)")).at(FsRole::StoragePath, Path::new("/b"));
        assert_eq!(full.reason(), full.to_string());
        assert_eq!(BackupError::NoStoragePath.reason(), BackupError::NoStoragePath.to_string());
    }

    #[tokio::test]
    async fn saving_a_storage_path_under_a_file_says_why_it_cannot_be_used() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a-file");
        std::fs::write(&file, b"x").unwrap();
        let e = settings::check_storage_dir(&file.join("sub")).await.unwrap_err();
        assert_eq!(e.field, "storage_path");
        // Once "… could not be created: Not a directory (os error 20)."
        let shown = file.join("sub").display().to_string();
        assert_eq!(e.message, format!("The storage path {shown} could not be created: part of it is a file, not a directory; choose another path."));
        let e = settings::check_storage_dir(&file).await.unwrap_err();
        assert_eq!(e.message, format!("The storage path {} exists but is not a directory: choose another path.", file.display()));
    }
}
