//! Backup locations (S3-compatible, WebDAV): list, save, delete, test the connection, the backups
//! a location holds, restoring one, retention previews, pins. Thin: the domain is
//! `domain::backup::locations`.

#[cfg(feature = "ssr")]
use super::ssr::*;
#[cfg(feature = "ssr")]
use crate::domain::backup::locations::LocationError;
#[cfg(feature = "ssr")]
use crate::error::AppError;

#[cfg(feature = "ssr")]
impl From<LocationError> for AppError {
    fn from(e: LocationError) -> Self {
        use crate::error::ErrorKind;
        match e {
            LocationError::NotFound(_) | LocationError::CopyNotFound(_) => AppError::new(ErrorKind::NotFound, e.to_string()),
            LocationError::Invalid(i) => i.into(),
            LocationError::Secret(s) => s.into(),
            LocationError::Corrupt(m) => internal("stored backup-location data is damaged", m),
            LocationError::Db(db) => db.into(),
        }
    }
}
