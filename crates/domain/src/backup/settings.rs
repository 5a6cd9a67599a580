//! Settings → Backups: read and save (validated; the storage directory is created and tested for
//! writing when saved; the backup password is sealed and never returned).

use super::{history, schedule, scheduler};
use super::{BackupError, FsRole};
use crate::secrets::purpose;
use crate::time::to_db;
use crate::{settings, AppState};
use std::path::Path;
use tt_core::model::backup::{BackupOverview, BackupSettingsInput, RunStatus};
use tt_core::model::settings::BackupSettings;
use tt_core::validate::invalid;

pub async fn overview(state: &AppState) -> Result<BackupOverview, BackupError> {
    let s = settings::load(&state.db).await?;
    let tz = schedule::server_tz();
    let next = scheduler::next_scheduled(state, &tz).await?;
    let last_failure = history::last_scheduled_outcome(state).await?;
    Ok(BackupOverview {
        settings: BackupSettings {
            schedule_enabled: s.backup_schedule_enabled,
            frequency: s.backup_frequency,
            retention_count: s.backup_retention_count,
            encrypt: s.backup_encrypt,
            calendar: calendar_of(&s),
            storage_path: s.backup_storage_path,
        },
        has_backup_password: s.backup_password_enc.is_some(),
        next_run: next,
        next_run_local: next.map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string()),
        instance_url: state.config.base_url.clone(),
        upload_limit_bytes: state.config.upload_limit_bytes,
        last_failure: last_failure.filter(|(status, _)| *status == RunStatus::Failed).map(|(_, e)| e.unwrap_or_default()),
    })
}

/// Creates the directory if needed and proves it is writable by writing and removing a file.
pub async fn check_storage_dir(dir: &Path) -> Result<(), tt_core::validate::Invalid> {
    let field = "storage_path";
    let refuse = |e: std::io::Error| invalid(field, sentence(&super::io_problem(e.kind(), FsRole::StoragePath, Some(dir))));
    tokio::fs::create_dir_all(dir).await.map_err(refuse)?;
    let meta = tokio::fs::metadata(dir).await.map_err(refuse)?;
    if !meta.is_dir() {
        return Err(invalid(field, format!("The storage path {} is not a directory.", dir.display())));
    }
    write_probe(dir).await.map_err(refuse)
}

/// A clause as a sentence: capital first letter, full stop.
fn sentence(clause: &str) -> String {
    let mut chars = clause.chars();
    let first: String = chars.next().map(|c| c.to_uppercase().collect()).unwrap_or_default();
    format!("{first}{}.", chars.as_str())
}

/// Proves `dir` is writable by creating and removing a probe file. create_new: it never follows
/// or truncates something already there under the probe's name.
async fn write_probe(dir: &Path) -> std::io::Result<()> {
    let probe = dir.join(format!(".tracker-tracker-write-test-{}", std::process::id()));
    tokio::fs::OpenOptions::new().write(true).create_new(true).open(&probe).await?;
    let _ = tokio::fs::remove_file(&probe).await;
    Ok(())
}

/// Why backups could not be written to `dir` on this server, found without creating anything:
/// the nearest existing part of the path must be a directory this server may write to (proved by
/// writing and removing a probe file). None when backups could be written there.
pub async fn storage_dir_problem(dir: &Path) -> Option<String> {
    let mut existing = dir;
    loop {
        match tokio::fs::metadata(existing).await {
            Ok(m) if m.is_dir() => break,
            Ok(_) => return Some(format!("{} is not a directory", existing.display())),
            // Missing, or below a file: look at the part above.
            Err(e) if matches!(e.kind(), std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory) => match existing.parent() {
                Some(parent) => existing = parent,
                None => return Some("no part of it exists".into()),
            },
            Err(e) => return Some(super::io_problem(e.kind(), FsRole::StoragePath, Some(existing))),
        }
    }
    write_probe(existing).await.err().map(|e| super::io_problem(e.kind(), FsRole::StoragePath, Some(existing)))
}

/// The stored calendar retention; a value that does not decode is logged and read as off.
pub fn calendar_of(s: &settings::SettingsRow) -> Option<tt_core::model::settings::CalendarRetention> {
    let text = s.backup_retention_calendar.as_deref()?;
    match serde_json::from_str(text) {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::warn!("the stored calendar retention {text:?} does not decode ({e}); keeping the last backups only");
            None
        }
    }
}

pub async fn save(state: &AppState, input: &BackupSettingsInput) -> Result<(), BackupError> {
    let current = settings::load(&state.db).await?;
    let valid = input.validate(current.backup_password_enc.is_some())?;
    if let Some(p) = &valid.storage_path {
        check_storage_dir(Path::new(p)).await?;
    }
    let password_enc = match (input.backup_password.new_value(), input.backup_password.clear) {
        (Some(pw), _) => Some(state.keys.seal(purpose::BACKUP_PASSWORD, pw)?),
        (None, true) => None,
        (None, false) => current.backup_password_enc.clone(),
    };
    sqlx::query(
        "UPDATE app_settings SET backup_schedule_enabled = $1, backup_frequency = $2, backup_retention_count = $3,
         backup_encrypt = $4, backup_password_enc = $5, backup_storage_path = $6, updated_at = $7, backup_retention_calendar = $8 WHERE id = 1",
    )
    .bind(valid.schedule_enabled)
    .bind(valid.frequency)
    .bind(valid.retention_count)
    .bind(valid.encrypt)
    .bind(password_enc)
    .bind(&valid.storage_path)
    .bind(to_db(state.now()))
    .bind(valid.calendar.and_then(|c| serde_json::to_string(&c).ok()))
    .execute(&state.db)
    .await?;
    scheduler::settings_changed(state, current.backup_schedule_enabled, current.backup_frequency).await
}
