//! Backups: export, restore (upload or stored), dry run, settings, history.

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::model::backup::TotpChoice;
use crate::model::backup::{BackupOverview, BackupSettingsInput, FoundFile, HistoryEntry, RestoreReport, VerifyResult};
use leptos::prelude::*;
use server_fn::codec::{ByteStream, GetUrl, Json, MultipartData, MultipartFormData, Streaming};

#[cfg(feature = "ssr")]
use super::ssr::*;
#[cfg(feature = "ssr")]
use crate::domain::backup::{self as domain, BackupError};

/// Downloads a backup of everything (never saved on the server). Encrypted (.ttbak) when a
/// one-off `password` is given, or when "Encrypt backups" is on with a stored backup password.
/// Plain form POST (application/x-www-form-urlencoded), so a browser form can trigger the download.
#[server(prefix = "/api", endpoint = "backup/export", output = Streaming)]
pub async fn export_backup(password: Option<String>) -> Result<ByteStream<AppError>, AppError> {
    use futures::StreamExt;
    use zeroize::Zeroizing;
    let (state, _) = require_auth().await?;
    let s = crate::domain::settings::load(&state.db).await?;
    let password = match password.filter(|p| !p.is_empty()) {
        Some(p) => {
            crate::rules::check_backup_password(&p, crate::rules::PasswordName::Backup).map_err(|e| AppError::invalid("password", e.to_string()))?;
            Some(Zeroizing::new(p))
        }
        None => domain::destination::backup_password(&state, &s)?,
    };
    let now = state.now();
    let kind = if password.is_some() { crate::backup_format::FileKind::Encrypted } else { crate::backup_format::FileKind::Plain };
    let name = crate::backup_format::file_name(now, kind);
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<bytes::Bytes, std::io::Error>>(4);
    tokio::spawn(async move {
        let mut out = tx.clone();
        if let Err(e) = domain::export::export(&state, password, now, &mut out).await {
            // Ends the body with an error, so the browser reports a failed download rather than
            // keeping a truncated file. The cause (SQL, paths) goes to the log under a reference;
            // the stream carries only the sentence with it.
            let shown = internal("the export failed", &e);
            let _ = tx.send(Err(std::io::Error::other(shown.message))).await;
        }
    });
    if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
        use http::header::{HeaderValue, CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
        // A plain form post would otherwise be redirected back to the page.
        opts.set_status(http::StatusCode::OK);
        let ctype = if kind == crate::backup_format::FileKind::Plain { "application/json" } else { "application/octet-stream" };
        opts.insert_header(CONTENT_TYPE, HeaderValue::from_static(ctype));
        opts.insert_header(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
            opts.insert_header(CONTENT_DISPOSITION, v);
        }
    }
    // Fused: the response body may be polled again after it ended.
    let stream = futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) })
        .fuse()
        .map(|item| item.map_err(|e| AppError::internal(e.to_string())));
    Ok(ByteStream::new(stream))
}

/// Restores (or dry-runs) an uploaded backup. Multipart fields: `file` (the .json or .ttbak),
/// `current_password`, `backup_password` (for .ttbak), `source_password` (optional: the login
/// password of the instance the backup came from), `totp` (optional: "keep_current", the
/// default, or "take_backup"), `dry_run` ("true" to only validate and report).
#[server(prefix = "/api", endpoint = "backup/restore", input = MultipartFormData)]
pub async fn restore_backup(data: MultipartData) -> Result<RestoreReport, AppError> {
    let (state, _) = require_auth().await?;
    let length = use_context::<http::request::Parts>()
        .and_then(|p| p.headers.get(http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()));
    let multipart = data.into_inner().ok_or_else(|| AppError::internal("the upload stream is missing"))?;
    let upload = domain::upload::receive(&state, length, multipart).await?;
    let current = upload.field("current_password").ok_or_else(|| AppError::invalid("current_password", "Enter your current login password."))?;
    let totp = match upload.field("totp") {
        None => TotpChoice::default(),
        Some(v) => TotpChoice::from_key(v.trim()).ok_or_else(|| AppError::invalid("totp", TOTP_CHOICE_HELP))?,
    };
    let req = domain::restore::RestoreRequest {
        file: upload.file.to_path_buf(),
        current_password: current,
        backup_password: upload.field("backup_password"),
        source_password: upload.field("source_password"),
        totp,
        dry_run: upload.flag("dry_run"),
    };
    let report = domain::restore::restore(&state, req).await;
    drop(upload);
    Ok(report?)
}

#[cfg(feature = "ssr")]
const TOTP_CHOICE_HELP: &str =
    "Choose what happens to two-factor login: \"keep_current\" (keep this instance's, the default) or \"take_backup\" (take the backup's).";

/// The 2FA choice of a JSON restore request: none or blank is the default ("keep_current").
#[cfg(feature = "ssr")]
pub(crate) fn totp_choice(totp: Option<&str>) -> Result<TotpChoice, AppError> {
    match totp.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(TotpChoice::default()),
        Some(t) => TotpChoice::from_key(t).ok_or_else(|| AppError::invalid("totp", TOTP_CHOICE_HELP)),
    }
}

/// An optional password of a restore request: blank is none.
#[cfg(feature = "ssr")]
pub(crate) fn nonempty_secret(v: Option<String>) -> Option<zeroize::Zeroizing<String>> {
    v.filter(|p| !p.is_empty()).map(zeroize::Zeroizing::new)
}

/// Restores (or dry-runs) a stored backup from the history, through the same checks as an upload.
/// `totp`: "keep_current" (default) or "take_backup".
#[server(prefix = "/api", endpoint = "backup/history/restore", input = Json)]
pub async fn restore_stored_backup(
    id: i64,
    current_password: String,
    backup_password: Option<String>,
    source_password: Option<String>,
    #[server(default)] totp: Option<String>,
    dry_run: bool,
) -> Result<RestoreReport, AppError> {
    use zeroize::Zeroizing;
    let (state, _) = require_auth().await?;
    let req = domain::stored::StoredRestore {
        id,
        current_password: Zeroizing::new(current_password),
        backup_password: nonempty_secret(backup_password),
        source_password: nonempty_secret(source_password),
        totp: totp_choice(totp.as_deref())?,
        dry_run,
    };
    Ok(domain::stored::restore_stored(&state, req).await?)
}

#[server(prefix = "/api", endpoint = "backup/overview", input = GetUrl)]
pub async fn get_backup_overview() -> Result<BackupOverview, AppError> {
    let (state, _) = require_auth().await?;
    Ok(domain::settings::overview(&state).await?)
}

#[server(prefix = "/api", endpoint = "backup/settings", input = Json)]
pub async fn save_backup_settings(input: BackupSettingsInput) -> Result<BackupOverview, AppError> {
    let (state, _) = require_auth().await?;
    domain::settings::save(&state, &input).await?;
    Ok(domain::settings::overview(&state).await?)
}

/// Runs a scheduled backup now (same path as the 03:00 run: storage path, encryption,
/// verification, retention, failure notification), recorded as "manual". Returns the outcome as
/// a history entry. Without a storage path: 400 on `storage_path`, and nothing is recorded.
#[server(prefix = "/api", endpoint = "backup/run-now", input = Json)]
pub async fn run_backup_now() -> Result<HistoryEntry, AppError> {
    let (state, _) = require_auth().await?;
    let outcome = domain::run::run_now(&state).await?;
    let entries = domain::history::list(&state).await?;
    let newest = entries.into_iter().max_by_key(|e| e.id).ok_or_else(|| AppError::internal("the run left no history entry"))?;
    match outcome {
        Ok(_) => Ok(newest),
        Err(reason) => Err(AppError::new(crate::error::ErrorKind::Internal, format!("The backup failed: {reason}"))),
    }
}

#[server(prefix = "/api", endpoint = "backup/history", input = GetUrl)]
pub async fn list_backup_history() -> Result<Vec<HistoryEntry>, AppError> {
    let (state, _) = require_auth().await?;
    Ok(domain::history::list(&state).await?)
}

/// Backup files in the storage directory that the history does not list yet.
#[server(prefix = "/api", endpoint = "backup/history/found", input = GetUrl)]
pub async fn list_found_backups() -> Result<Vec<FoundFile>, AppError> {
    let (state, _) = require_auth().await?;
    Ok(domain::stored::found_files(&state).await?)
}

/// Checks a found file whole and adds it to the history (trigger "imported").
#[server(prefix = "/api", endpoint = "backup/history/import", input = Json)]
pub async fn import_found_backup(file_name: String, backup_password: Option<String>) -> Result<HistoryEntry, AppError> {
    let (state, _) = require_auth().await?;
    Ok(domain::stored::import(&state, &file_name, given_password(backup_password)).await?)
}

#[server(prefix = "/api", endpoint = "backup/history/verify", input = Json)]
pub async fn verify_stored_backup(id: i64, backup_password: Option<String>) -> Result<VerifyResult, AppError> {
    let (state, _) = require_auth().await?;
    Ok(domain::stored::verify(&state, id, given_password(backup_password)).await?)
}

/// An optional password field: empty means "use the stored one".
#[cfg(feature = "ssr")]
fn given_password(p: Option<String>) -> Option<zeroize::Zeroizing<String>> {
    p.filter(|p| !p.is_empty()).map(zeroize::Zeroizing::new)
}

#[server(prefix = "/api", endpoint = "backup/history/delete", input = Json)]
pub async fn delete_stored_backup(id: i64) -> Result<String, AppError> {
    let (state, _) = require_auth().await?;
    Ok(domain::stored::delete(&state, id).await?)
}

/// Downloads a stored backup file (GET, so a plain link works).
#[server(prefix = "/api", endpoint = "backup/history/download", input = GetUrl, output = Streaming)]
pub async fn download_stored_backup(id: i64) -> Result<ByteStream<AppError>, AppError> {
    use futures::StreamExt;
    let (state, _) = require_auth().await?;
    let (path, name) = domain::stored::file_of(&state, id).await?;
    let file = tokio::fs::File::open(&path).await.map_err(|e| AppError::from(BackupError::fs(domain::FsRole::BackupFile, &path, &e)))?;
    let len = file.metadata().await.map(|m| m.len()).ok();
    if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
        use http::header::{HeaderValue, CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE};
        opts.set_status(http::StatusCode::OK);
        let ctype = if name.ends_with(".json") { "application/json" } else { "application/octet-stream" };
        opts.insert_header(CONTENT_TYPE, HeaderValue::from_static(ctype));
        opts.insert_header(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(len) = len {
            opts.insert_header(CONTENT_LENGTH, HeaderValue::from(len));
        }
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
            opts.insert_header(CONTENT_DISPOSITION, v);
        }
    }
    let stream =
        tokio_util::io::ReaderStream::with_capacity(file, 256 * 1024).map(|r| r.map_err(|e| internal("reading the stored backup failed", e)));
    Ok(ByteStream::new(stream))
}

#[cfg(feature = "ssr")]
impl From<domain::upload::UploadError> for AppError {
    fn from(e: domain::upload::UploadError) -> Self {
        use domain::upload::UploadError as U;
        match e {
            // The server's own folder or file: mapped like every other file failure (500 with
            // the log reference, the sentence chosen by the io kind).
            U::Fs { path, kind } => BackupError::Fs { role: domain::FsRole::UploadDir, path: Some(path), kind }.into(),
            U::TooLarge(t) => BackupError::TooLarge(t).into(),
            U::Internal(m) => internal("receiving the upload failed", m),
            // The client's: a sentence without the raw cause.
            U::CutOff(_) | U::Malformed(_) | U::MoreThanOneFile | U::FieldTooLong(_) | U::FieldNotText(_) | U::NoFile => {
                AppError::invalid("file", e.to_string())
            }
        }
    }
}

#[cfg(feature = "ssr")]
impl From<BackupError> for AppError {
    fn from(e: BackupError) -> Self {
        use crate::error::ErrorKind;
        match e {
            BackupError::Auth(a) => a.into(),
            BackupError::Invalid(i) => i.into(),
            BackupError::Secret(s) => s.into(),
            BackupError::Db(d) => d.into(),
            BackupError::TooLarge(_) => AppError::new(ErrorKind::TooLarge, e.to_string()),
            BackupError::NotFound(_) => AppError::new(ErrorKind::NotFound, e.to_string()),
            BackupError::BackupPasswordNeeded => AppError::invalid("backup_password", e.to_string()),
            BackupError::WrongBackupPassword => AppError::invalid("backup_password", e.to_string()),
            BackupError::WrongSourcePassword => AppError::invalid("source_password", e.to_string()),
            BackupError::Format(crate::backup_format::FormatError::Encrypted(t)) => {
                let field = if t.is_wrong_password() { "backup_password" } else { "file" };
                AppError::invalid(field, t.to_string())
            }
            BackupError::Format(crate::backup_format::FormatError::ReadFailed { .. }) => internal("reading the backup failed", e),
            BackupError::Format(f) => AppError::invalid("file", f.to_string()),
            BackupError::NoStoragePath => AppError::invalid("storage_path", e.to_string()),
            BackupError::Storage(m) => server_problem(m),
            // A kind the sentence cannot explain is a server fault: logged with a reference.
            BackupError::Fs { kind, .. } if !crate::domain::backup::io_kind_is_explained(kind) => internal("a file operation failed", e),
            BackupError::Fs { .. } => server_problem(e),
            BackupError::Table(t) => internal("reading the data failed", t),
            BackupError::Internal(m) => internal("internal error", m),
            BackupError::Location(l) => (*l).into(),
            BackupError::Original(o) => {
                use crate::domain::backup::original::{OriginalError as O, ReadError as R};
                match o {
                    O::Read(R::Io(_)) | O::Prepare(_) | O::Fs { .. } | O::Secret(_) => internal("importing the original backup failed", o),
                    O::BackupPasswordNeeded => AppError::invalid("backup_password", o.to_string()),
                    O::Read(r) => AppError::invalid("file", r.to_string()),
                }
            }
        }
    }
}

#[cfg(all(test, feature = "ssr"))]
mod error_tests {
    use super::*;
    use crate::domain::backup::upload::UploadError;
    use crate::error::ErrorKind;
    use std::io::ErrorKind as K;

    /// The server's own upload file failing is a server fault (500 with a log reference), never
    /// 400 "file"; the io kind chooses the sentence.
    #[test]
    fn a_failed_write_of_the_upload_is_a_500_with_a_reference() {
        let fs = |kind| UploadError::Fs { path: "/data/uploads".into(), kind };
        let e = AppError::from(fs(K::StorageFull));
        assert_eq!((e.kind, e.kind.http_status(), e.field.as_deref()), (ErrorKind::Internal, 500, None));
        assert!(e.message.starts_with("The disk holding the upload folder /data/uploads is full"), "{}", e.message);
        assert!(e.message.contains("(Server log reference "), "{}", e.message);
        // A kind no sentence explains: the context only, the rest in the log.
        let e = AppError::from(fs(K::Other));
        assert_eq!((e.kind, e.kind.http_status()), (ErrorKind::Internal, 500));
        assert!(e.message.starts_with("A file operation failed on the server. The details are in the server log (reference "), "{}", e.message);
    }

    #[test]
    fn a_bad_upload_is_the_clients_400_on_file() {
        let e = AppError::from(UploadError::MoreThanOneFile);
        assert_eq!((e.kind.http_status(), e.field.as_deref()), (400, Some("file")));
        assert_eq!(e.message, "The upload holds more than one file: send one backup file.");
    }
}
