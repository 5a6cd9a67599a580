//! Backups: export, restore, storage on disk, history, schedule (see docs/backup-format.md).

pub mod export;
pub mod history;
pub mod report;
pub mod restore;
pub mod schedule;
pub mod settings;
pub mod storage;
pub mod tables;
pub mod upload;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod schedule_tests;

#[cfg(test)]
mod scheduled_tests;

use crate::backup_format::FormatError;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(transparent)]
    Format(#[from] FormatError),
    #[error(transparent)]
    Table(#[from] tables::TableError),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Secret(#[from] crate::domain::secrets::SecretError),
    #[error(transparent)]
    Auth(#[from] crate::domain::auth::AuthError),
    #[error("{0}")]
    Io(String),
    #[error("{0}")]
    Invalid(#[from] crate::validate::Invalid),
    #[error("{0}")]
    Storage(String),
    #[error("The backup password is wrong, or the file is damaged.")]
    WrongBackupPassword,
    #[error("This is not the login password of the instance the backup came from: it does not open the backup's key. Check it, or leave the field empty to restore without the backup's secrets (they are then cleared and their owners disabled).")]
    WrongSourcePassword,
    #[error("This backup is encrypted: enter its backup password.")]
    BackupPasswordNeeded,
    #[error("The backup is larger than the upload limit of {limit}. Copy it into the backup storage directory on the server (keeping its name), add it under “Found in the storage directory” on the Backups page, and restore it from there.")]
    TooLarge { limit: String },
    #[error("No stored backup with id {0}.")]
    NotFound(i64),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<std::io::Error> for BackupError {
    fn from(e: std::io::Error) -> Self {
        BackupError::Io(e.to_string())
    }
}
