//! Receives a restore upload: the file part is streamed to a temporary file under the data dir
//! (never held in memory), with the size limit enforced while it arrives; the small text fields
//! (passwords, flags) are kept in zeroizing strings.

use super::{BackupError, FsRole};
use crate::AppState;
use std::collections::HashMap;
use tokio::io::AsyncWriteExt;
use zeroize::Zeroizing;

/// Largest text field accepted (passwords, flags).
const MAX_FIELD: usize = 4096;

pub struct Upload {
    /// Deleted when dropped.
    pub file: tempfile::TempPath,
    pub size: u64,
    pub fields: HashMap<String, Zeroizing<String>>,
}

impl Upload {
    pub fn field(&self, name: &str) -> Option<Zeroizing<String>> {
        self.fields.get(name).filter(|v| !v.is_empty()).cloned()
    }

    pub fn flag(&self, name: &str) -> bool {
        self.fields.get(name).is_some_and(|v| matches!(v.as_str(), "true" | "on" | "1" | "yes"))
    }
}

/// Removes uploads left behind by a crash (called at start-up).
pub fn clean_leftovers(state: &AppState) {
    if let Ok(entries) = std::fs::read_dir(state.config.upload_dir()) {
        for e in entries.flatten() {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

pub async fn receive(state: &AppState, content_length: Option<u64>, mut mp: multer::Multipart<'static>) -> Result<Upload, BackupError> {
    let limit = state.config.upload_limit_bytes;
    let too_large = || BackupError::TooLarge(tt_core::rules::TooLargeForUpload::Upload { limit });
    // The whole request may carry a few small fields besides the file.
    if content_length.is_some_and(|n| n > limit + 64 * 1024) {
        return Err(too_large());
    }
    let dir = state.config.upload_dir();
    let fs = |e: std::io::Error| BackupError::fs(FsRole::UploadDir, &dir, &e);
    tokio::fs::create_dir_all(&dir).await.map_err(fs)?;
    let mut fields = HashMap::new();
    let mut file: Option<(tempfile::TempPath, u64)> = None;
    while let Some(mut field) = mp.next_field().await.map_err(|e| BackupError::Io(format!("the upload could not be read: {e}")))? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            if file.is_some() {
                return Err(BackupError::Io("the upload holds more than one file".into()));
            }
            let temp = tempfile::Builder::new().prefix("restore-").tempfile_in(&dir).map_err(fs)?;
            let (std_file, path) = temp.into_parts();
            let mut out = tokio::fs::File::from_std(std_file);
            let mut size = 0u64;
            while let Some(chunk) = field.chunk().await.map_err(|e| BackupError::Io(format!("the upload was interrupted: {e}")))? {
                size += chunk.len() as u64;
                if tt_core::rules::over_upload_limit(size, limit) {
                    return Err(too_large());
                }
                out.write_all(&chunk).await.map_err(fs)?;
            }
            out.flush().await.map_err(fs)?;
            file = Some((path, size));
        } else {
            let mut value = Zeroizing::new(Vec::new());
            while let Some(chunk) = field.chunk().await.map_err(|e| BackupError::Io(format!("the upload was interrupted: {e}")))? {
                if value.len() + chunk.len() > MAX_FIELD {
                    return Err(BackupError::Io(format!("the field {name:?} is too long")));
                }
                value.extend_from_slice(&chunk);
            }
            let text = String::from_utf8(value.to_vec()).map_err(|_| BackupError::Io(format!("the field {name:?} is not text")))?;
            fields.insert(name, Zeroizing::new(text));
        }
    }
    let (file, size) = file.ok_or_else(|| BackupError::Io("no backup file was uploaded (the form field must be named \"file\")".into()))?;
    Ok(Upload { file, size, fields })
}
