//! Off-site backup locations (S3-compatible, WebDAV): one module per concern.
//!
//! - `location`: the locations table (CRUD, the sealed secret, the locations' part of a backup).
//! - `copies`: the backup_copies table (each backup's copy in each location and where it stands).
//! - `remote`: the object_store client of one location and the typed causes of its failures.

pub mod copies;
pub mod location;
pub mod remote;

use crate::secrets::SecretError;
use tt_core::validate::Invalid;

#[derive(Debug, thiserror::Error)]
pub enum LocationError {
    #[error("There is no backup location with id {0}.")]
    NotFound(i64),
    #[error("There is no copy with id {0} in the backup locations.")]
    CopyNotFound(i64),
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error("stored backup-location data is damaged: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}

#[cfg(test)]
pub(crate) mod tests;

#[cfg(test)]
pub(crate) mod test_services;

#[cfg(test)]
mod remote_tests;
