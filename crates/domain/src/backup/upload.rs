//! Receives a restore upload: the file part is streamed to a temporary file under the data dir
//! (never held in memory), with the size limit enforced while it arrives; the small text fields
//! (passwords, flags) are kept in zeroizing strings.

use super::disk::{io_problem, FsRole};
use crate::AppState;
use std::collections::HashMap;
use std::path::PathBuf;
use tokio::io::AsyncWriteExt;
use zeroize::Zeroizing;

/// Largest text field accepted (passwords, flags).
const MAX_FIELD: usize = 4096;

/// Why an upload was not received. Most are the client's to fix (400): their sentences never carry
/// multer's or hyper's own text (kept as the source, for the log). `Fs` and `Internal` are the
/// server's own failures (500, with the log reference). Not a `BackupError`, so that `backup`
/// does not depend on this module (the api maps both).
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The body ended, or its stream broke off, before the multipart form was complete.
    #[error("The upload was cut off before it was complete (the connection was interrupted, or the request ended early). Send the file again.")]
    CutOff(#[source] multer::Error),
    /// Not a multipart form this server can read (headers, boundary, content type).
    #[error("The upload is not a well-formed multipart form: send the backup as the field \"file\" of a multipart/form-data request.")]
    Malformed(#[source] multer::Error),
    #[error("The upload holds more than one file: send one backup file.")]
    MoreThanOneFile,
    #[error("The form field {0:?} is too long.")]
    FieldTooLong(String),
    #[error("The form field {0:?} is not text.")]
    FieldNotText(String),
    #[error("No backup file was uploaded (the form field must be named \"file\").")]
    NoFile,
    #[error("{0}")]
    TooLarge(tt_core::rules::TooLargeForUpload),
    /// The upload folder or the temporary file in it failed (full disk, permissions): the kind
    /// stays typed, the sentence is chosen by it.
    #[error("{}", io_problem(*kind, FsRole::UploadDir, Some(path)))]
    Fs { path: PathBuf, kind: std::io::ErrorKind },
    #[error("internal error: {0}")]
    Internal(String),
}

/// Sorts multer's errors: the only one that is the server's own (its lock) is an internal fault;
/// every other comes from the bytes the client sent.
fn multipart_error(e: multer::Error) -> UploadError {
    use multer::Error as M;
    match e {
        M::IncompleteStream | M::IncompleteFieldData { .. } | M::IncompleteHeaders | M::StreamReadFailed(_) => {
            tracing::info!("restore upload cut off: {e}");
            UploadError::CutOff(e)
        }
        M::LockFailure => UploadError::Internal(format!("reading the upload: {e}")),
        _ => {
            tracing::info!("restore upload refused: {e}");
            UploadError::Malformed(e)
        }
    }
}

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

pub async fn receive(state: &AppState, content_length: Option<u64>, mut mp: multer::Multipart<'static>) -> Result<Upload, UploadError> {
    let limit = state.config.upload_limit_bytes;
    let too_large = || UploadError::TooLarge(tt_core::rules::TooLargeForUpload::Upload { limit });
    // The whole request may carry a few small fields besides the file.
    if content_length.is_some_and(|n| n > limit + 64 * 1024) {
        return Err(too_large());
    }
    let dir = state.config.upload_dir();
    let fs = |e: std::io::Error| UploadError::Fs { path: dir.clone(), kind: e.kind() };
    tokio::fs::create_dir_all(&dir).await.map_err(fs)?;
    let mut fields = HashMap::new();
    let mut file: Option<(tempfile::TempPath, u64)> = None;
    while let Some(mut field) = mp.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            if file.is_some() {
                return Err(UploadError::MoreThanOneFile);
            }
            let temp = tempfile::Builder::new().prefix("restore-").tempfile_in(&dir).map_err(fs)?;
            let (std_file, path) = temp.into_parts();
            let mut out = tokio::fs::File::from_std(std_file);
            let mut size = 0u64;
            while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                size += chunk.len() as u64;
                if tt_core::rules::over_upload_limit(size, limit) {
                    return Err(too_large());
                }
                // The server's own file: its failure (full disk, permissions) is the server's,
                // with the kind kept.
                out.write_all(&chunk).await.map_err(fs)?;
            }
            out.flush().await.map_err(fs)?;
            file = Some((path, size));
        } else {
            let mut value = Zeroizing::new(Vec::new());
            while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                if value.len() + chunk.len() > MAX_FIELD {
                    return Err(UploadError::FieldTooLong(name));
                }
                value.extend_from_slice(&chunk);
            }
            let text = String::from_utf8(value.to_vec()).map_err(|_| UploadError::FieldNotText(name.clone()))?;
            fields.insert(name, Zeroizing::new(text));
        }
    }
    let (file, size) = file.ok_or(UploadError::NoFile)?;
    Ok(Upload { file, size, fields })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    const BOUNDARY: &str = "tt-test-boundary";

    fn form(parts: &[(&str, &str)]) -> String {
        let mut body = String::new();
        for (name, value) in parts {
            let file = if *name == "file" { "; filename=\"b.json\"" } else { "" };
            body.push_str(&format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"{file}\r\n\r\n{value}\r\n"));
        }
        body.push_str(&format!("--{BOUNDARY}--\r\n"));
        body
    }

    fn multipart(chunks: Vec<Result<Bytes, std::io::Error>>) -> multer::Multipart<'static> {
        multer::Multipart::new(futures::stream::iter(chunks), BOUNDARY)
    }

    async fn receive_bytes(state: &AppState, body: &str) -> Result<Upload, UploadError> {
        receive(state, None, multipart(vec![Ok(Bytes::from(body.to_string()))])).await
    }

    #[tokio::test]
    async fn a_complete_form_is_received() {
        let (state, _dir) = crate::testing::state().await;
        let up = receive_bytes(&state, &form(&[("current_password", "pw"), ("file", "{\"x\":1}"), ("dry_run", "true")])).await.unwrap();
        assert_eq!((up.size, up.flag("dry_run")), (7, true));
        assert_eq!(up.field("current_password").as_deref().map(String::as_str), Some("pw"));
    }

    /// A body that ends early, or whose stream breaks off, is the client's: an `UploadError`
    /// whose sentence does not carry multer's text.
    #[tokio::test]
    async fn a_body_cut_off_is_the_clients_and_says_so_without_the_raw_cause() {
        let (state, _dir) = crate::testing::state().await;
        let whole = form(&[("current_password", "pw"), ("file", &"x".repeat(10_000))]);
        let cut = &whole[..whole.len() / 2];
        let broken =
            vec![Ok(Bytes::from(cut.to_string())), Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "connection reset by peer"))];
        for result in [receive_bytes(&state, cut).await, receive(&state, None, multipart(broken)).await] {
            let Err(e @ UploadError::CutOff(_)) = result else { panic!("not a cut-off upload: {:?}", result.err()) };
            let shown = e.to_string();
            assert!(shown.starts_with("The upload was cut off before it was complete"), "{shown}");
            assert!(!shown.contains("incomplete") && !shown.contains("reset"), "{shown}");
        }
        let e = receive_bytes(&state, "this is not multipart at all").await.err();
        assert!(matches!(e, Some(UploadError::CutOff(_) | UploadError::Malformed(_))), "{e:?}");
        let e = receive_bytes(&state, &form(&[("current_password", "pw")])).await.err();
        assert!(matches!(e, Some(UploadError::NoFile)), "{e:?}");
    }

    /// The server's own temporary file failing is the server's: `Fs` with the upload folder and
    /// the io kind, not an upload error.
    #[tokio::test]
    async fn the_servers_own_file_failing_is_a_typed_server_fault() {
        let (state, _dir) = crate::testing::state().await;
        // A file where the upload folder should be: nothing can be written there.
        std::fs::write(state.config.upload_dir(), b"in the way").unwrap();
        let e = receive_bytes(&state, &form(&[("file", "{}")])).await.err();
        let Some(UploadError::Fs { path: p, kind }) = e else { panic!("not a typed server fault: {e:?}") };
        assert_eq!(p, state.config.upload_dir());
        assert!(matches!(kind, std::io::ErrorKind::AlreadyExists | std::io::ErrorKind::NotADirectory), "{kind:?}");
    }
}
