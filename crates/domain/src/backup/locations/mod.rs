//! Off-site backup locations (S3-compatible, WebDAV): one module per concern.
//!
//! - `location`: the locations table (CRUD, the sealed secret, the locations' part of a backup).
//! - `copies`: the backup_copies table (each backup's copy in each location and where it stands).
//! - `remote`: the object_store client of one location and the typed causes of its failures.
//! - `probe`: "Test connection" (list, write, read back, delete a probe object).
//! - `upload`: a run's copy to each enabled location, verified there, retried, recorded, notified.
//! - `retention`: which backups a policy keeps (pure), applied after a verified upload; previews.
//! - `listing`: the backups a location holds, with what their headers say.
//! - `fetch`: restoring from a location (download to a temporary file, then the normal restore).

pub mod copies;
pub mod fetch;
pub mod listing;
pub mod location;
pub mod probe;
pub mod remote;
pub mod retention;
pub mod upload;

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
    /// The location could not be used: its sentence says why (DNS, TLS, credentials, …).
    #[error(transparent)]
    Remote(#[from] remote::RemoteError),
}

#[cfg(test)]
pub(crate) mod tests;

#[cfg(test)]
pub(crate) mod test_services;

#[cfg(test)]
mod remote_tests;

#[cfg(test)]
mod flow_tests;
