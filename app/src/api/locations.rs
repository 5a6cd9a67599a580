//! Backup locations (S3-compatible, WebDAV): list, save, delete, test the connection, the backups
//! a location holds, restoring one, retention previews, checking a copy again, pins. Thin: the
//! domain is `domain::backup::locations`. Secrets (the S3 secret key, the WebDAV password) are
//! sent only to be stored; views say `has_secret`.

use crate::error::AppError;
use crate::model::backup::{HistoryEntry, RestoreReport};
use crate::model::locations::{ConnectionTest, LocationInput, LocationView, RemoteBackup, RemoteCopy, RetentionPolicy, RetentionPreview};
use leptos::prelude::*;
use server_fn::codec::{GetUrl, Json};

#[cfg(feature = "ssr")]
use super::ssr::*;
#[cfg(feature = "ssr")]
use crate::domain::backup::locations::{self as domain, LocationError};

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
            // A fault of this server's own disk is not the location's.
            LocationError::Remote(r @ domain::remote::RemoteError::Local { .. }) => {
                internal("a backup-location transfer failed on this server's disk", r)
            }
            // The location's own answer (DNS, TLS, credentials, …): a sentence without secrets.
            LocationError::Remote(r) => AppError::new(ErrorKind::Upstream, r.to_string()),
        }
    }
}

/// Every location by name, with its latest copy. Never carries a secret.
#[server(prefix = "/api", endpoint = "backup/locations", input = GetUrl)]
pub async fn list_locations() -> Result<Vec<LocationView>, AppError> {
    let (state, _) = require_auth().await?;
    Ok(domain::location::list(&state).await?)
}

/// Creates (`input.id` null) or updates a location; returns it as stored. `input.secret` keeps,
/// replaces or clears the S3 secret key / WebDAV password.
#[server(prefix = "/api", endpoint = "backup/locations/save", input = Json)]
pub async fn save_location(input: LocationInput) -> Result<LocationView, AppError> {
    let (state, _) = require_auth().await?;
    Ok(domain::location::save(&state, &input).await?)
}

/// Deletes a location and this instance's records of its copies (the backups there stay).
#[server(prefix = "/api", endpoint = "backup/locations/delete", input = Json)]
pub async fn delete_location(id: i64) -> Result<(), AppError> {
    let (state, _) = require_auth().await?;
    Ok(domain::location::delete(&state, id).await?)
}

/// "Test connection" on the form as typed (saved or not; an empty secret uses the stored one):
/// lists, writes, reads back and deletes a probe object. A failure there is an answer (`ok`
/// false, with the step and the problem), not an error; bad input is a 400.
#[server(prefix = "/api", endpoint = "backup/locations/test", input = Json)]
pub async fn test_location(input: LocationInput) -> Result<ConnectionTest, AppError> {
    let (state, _) = require_auth().await?;
    match domain::probe::test_connection(&state, &input).await {
        Ok(t) => Ok(t),
        Err(e) => match domain::probe::not_started(&e) {
            Some(t) => Ok(t),
            None => Err(e.into()),
        },
    }
}

/// The backups a location holds (this instance's and other instances'), newest first.
#[server(prefix = "/api", endpoint = "backup/locations/backups", input = GetUrl)]
pub async fn list_location_backups(id: i64) -> Result<Vec<RemoteBackup>, AppError> {
    let (state, _) = require_auth().await?;
    let l = domain::location::stored(&state, id).await?;
    Ok(domain::listing::list(&state, &l).await?)
}

/// Restores (or dry-runs) a backup from a location: downloaded to a temporary file on the
/// server, then the same checks, report, undo point and options as restoring a stored backup.
/// `key` as `backup/locations/backups` lists it; `totp`: "keep_current" (default) or "take_backup".
#[server(prefix = "/api", endpoint = "backup/locations/restore", input = Json)]
pub async fn restore_from_location(
    location_id: i64,
    key: String,
    current_password: String,
    backup_password: Option<String>,
    source_password: Option<String>,
    #[server(default)] totp: Option<String>,
    dry_run: bool,
) -> Result<RestoreReport, AppError> {
    use super::backup::{nonempty_secret, totp_choice};
    let (state, _) = require_auth().await?;
    let totp = totp_choice(totp.as_deref())?;
    let req = domain::fetch::LocationRestore {
        location_id,
        key,
        current_password: zeroize::Zeroizing::new(current_password),
        backup_password: nonempty_secret(backup_password),
        source_password: nonempty_secret(source_password),
        totp,
        dry_run,
    };
    Ok(domain::fetch::restore_from(&state, req).await?)
}

/// Which of the location's backups `policy` would keep and delete now (nothing is changed).
#[server(prefix = "/api", endpoint = "backup/locations/retention-preview", input = Json)]
pub async fn preview_location_retention(id: i64, policy: RetentionPolicy) -> Result<RetentionPreview, AppError> {
    let (state, _) = require_auth().await?;
    let l = domain::location::stored(&state, id).await?;
    let remote = l.client(&state)?;
    Ok(domain::retention::preview(&state, &l, &remote, &policy).await?)
}

/// Which of the storage path's backups `policy` would keep and delete now (nothing is changed):
/// "keep the last N", or the calendar policy with `last` as the count to keep.
#[server(prefix = "/api", endpoint = "backup/retention-preview", input = Json)]
pub async fn preview_local_retention(policy: RetentionPolicy) -> Result<RetentionPreview, AppError> {
    let (state, _) = require_auth().await?;
    Ok(crate::domain::backup::run::preview_prune(&state, &policy).await?)
}

/// Reads a copy back and compares it with the hash recorded at upload; records the outcome.
#[server(prefix = "/api", endpoint = "backup/locations/copies/verify", input = Json)]
pub async fn verify_location_copy(id: i64) -> Result<RemoteCopy, AppError> {
    let (state, _) = require_auth().await?;
    Ok(domain::upload::verify_copy(&state, id).await?)
}

/// Pins (retention never deletes it) or unpins one copy in a location.
#[server(prefix = "/api", endpoint = "backup/locations/copies/pin", input = Json)]
pub async fn pin_location_copy(id: i64, pinned: bool) -> Result<RemoteCopy, AppError> {
    let (state, _) = require_auth().await?;
    Ok(domain::copies::set_pinned(&state, id, pinned).await?)
}

/// Pins or unpins a stored backup: retention never deletes it, locally or in any location.
#[server(prefix = "/api", endpoint = "backup/history/pin", input = Json)]
pub async fn pin_stored_backup(id: i64, pinned: bool) -> Result<HistoryEntry, AppError> {
    let (state, _) = require_auth().await?;
    Ok(crate::domain::backup::history::set_pinned(&state, id, pinned).await?)
}
