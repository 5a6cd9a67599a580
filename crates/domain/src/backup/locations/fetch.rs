//! Restoring from a location (the disaster-recovery path): the object is streamed to a
//! temporary file on the server (no upload through the browser, so no limit but the disk), its
//! hash checked against this instance's record of the upload when there is one, and the file
//! then goes through the normal restore (validation, dry run, pre-restore backup, one
//! transaction). The temporary file is removed afterwards (and at start-up after a crash).

use super::copies;
use super::location;
use super::remote::RemoteError;
use super::LocationError;
use crate::backup::restore::{self, RestoreRequest};
use crate::backup::{disk, BackupError, FsRole};
use crate::AppState;
use object_store::path::Path as ObjectPath;
use tt_core::backup_format::name;
use tt_core::model::backup::{RestoreReport, TotpChoice};
use tt_core::validate::invalid;
use zeroize::Zeroizing;

pub struct LocationRestore {
    pub location_id: i64,
    /// The object's key as the location's listing gives it.
    pub key: String,
    pub current_password: Zeroizing<String>,
    /// For an encrypted backup written with another password than the stored one.
    pub backup_password: Option<Zeroizing<String>>,
    pub source_password: Option<Zeroizing<String>>,
    pub totp: TotpChoice,
    pub dry_run: bool,
}

pub async fn restore_from(state: &AppState, req: LocationRestore) -> Result<RestoreReport, BackupError> {
    let l = location::stored(state, req.location_id).await?;
    let remote = l.client(state)?;
    let refuse = |m: String| BackupError::Invalid(invalid("key", m));
    let Some(file_name) = remote.file_name_of(&req.key).map(str::to_string) else {
        return Err(refuse(format!("{} is not directly in the location “{}”.", req.key, l.settings.name)));
    };
    if !name::is_backup_file_name(&file_name) {
        return Err(refuse(format!("{file_name} is not a backup file name (tracker-tracker-backup-<time>.json or .ttbak).")));
    }
    // Checked before anything is downloaded (and a failure counted), as for an upload.
    crate::auth::verify_current_password(state, &req.current_password).await?;
    let key = ObjectPath::from(req.key.as_str());
    let objects = remote.list().await.map_err(LocationError::from)?;
    let Some(meta) = objects.iter().find(|m| m.location == key) else {
        return Err(LocationError::from(RemoteError::Missing { what: super::remote::Missing::Object { key: req.key.clone() } }).into());
    };
    let dir = state.config.upload_dir();
    let fs = |e: std::io::Error| BackupError::fs(FsRole::UploadDir, &dir, &e);
    tokio::fs::create_dir_all(&dir).await.map_err(fs)?;
    let space = state.disk.space(&dir).map_err(fs)?;
    let margin = disk::safety_margin(space.total);
    if space.available < meta.size.saturating_add(margin) {
        return Err(BackupError::Storage(format!(
            "not enough free space in {} to download {file_name}: {} free, it needs {} and {} must stay free",
            dir.display(),
            disk::human(space.available),
            disk::human(meta.size),
            disk::human(margin)
        )));
    }
    let temp = dir.join(format!("location-restore-{:08x}-{file_name}", rand::random::<u32>()));
    let result = async {
        let (size, sha256) = remote.download_to(&key, &temp).await.map_err(LocationError::from)?;
        // This instance's record of what it uploaded there (whatever its last check said).
        let recorded = copies::of_location(state, l.id).await?.into_iter().find(|c| c.remote_key == req.key);
        if let Some(expected) = recorded.and_then(|c| c.sha256).filter(|s| !s.is_empty()) {
            if expected != sha256 {
                return Err(LocationError::from(RemoteError::Corrupted { place: remote.place().to_string(), expected, found: sha256, size }).into());
            }
        }
        let request = RestoreRequest {
            file: temp.clone(),
            current_password: req.current_password,
            backup_password: crate::backup::stored::given_or_stored_password(state, req.backup_password).await?,
            source_password: req.source_password,
            totp: req.totp,
            dry_run: req.dry_run,
        };
        restore::restore(state, request).await
    }
    .await;
    if let Err(e) = tokio::fs::remove_file(&temp).await {
        if e.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!("the downloaded backup {} could not be removed: {e}", temp.display());
        }
    }
    result
}
