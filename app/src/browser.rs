//! Browser-only work for the Backups page: reading a chosen file in slices, previewing it
//! (decrypting a .ttbak in WebAssembly, this app's or the original app's), and uploading with
//! progress. In the server build these
//! functions exist but are never called (event handlers only run in the browser).

use crate::backup_format::{FileKind, Header};
use crate::components::FormError;
use crate::error::AppError;
use crate::model::backup::RestoreReport;
pub use crate::original_preview::{Detected, OriginalPreview};

/// What the preview learned about a chosen file.
#[derive(Debug, Clone, PartialEq)]
pub enum Preview {
    /// A backup made by this app.
    Native(NativePreview),
    /// A backup made by the original Tracker Tracker (the Node.js app).
    Original(OriginalPreview),
}

impl Preview {
    pub fn kind(&self) -> FileKind {
        match self {
            Preview::Native(p) => p.kind,
            Preview::Original(p) => p.kind,
        }
    }

    /// The URL of the instance that made the backup, when it records one.
    pub fn instance_url(&self) -> Option<&str> {
        match self {
            Preview::Native(p) => p.header.instance_url.as_deref(),
            Preview::Original(p) => p.manifest.instance_url.as_deref(),
        }
    }
}

/// What the preview learned about a backup of this app.
#[derive(Debug, Clone, PartialEq)]
pub struct NativePreview {
    pub kind: FileKind,
    pub header: Header,
    /// For a .ttbak: every chunk was decrypted and authenticated.
    pub chunks_verified: Option<u64>,
}

/// A file the person chose (drop zone or picker).
#[derive(Clone)]
pub struct Picked {
    pub name: String,
    pub size: f64,
    /// The browser's File. The wasm app is single-threaded; the wrapper makes that explicit so
    /// `Picked` can live in ordinary (thread-safe) signals.
    #[cfg(feature = "hydrate")]
    pub file: send_wrapper::SendWrapper<web_sys::File>,
}

impl PartialEq for Picked {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.size == other.size
    }
}

#[cfg(feature = "hydrate")]
mod imp {
    use super::*;
    use crate::backup_format::encrypted::{parse_header, Opener, PushDecoder};
    use crate::backup_format::preview::{plain_header, HeaderSink, MAX_SNIFF};
    use crate::original_preview::{OriginalDecrypt, DETECT_LEN};
    use wasm_bindgen::{closure::Closure, JsCast};

    /// Bytes read per step while decrypting: small enough to update the progress bar often.
    const STEP: f64 = 1024.0 * 1024.0;

    pub fn from_file(file: web_sys::File) -> Picked {
        Picked { name: file.name(), size: file.size(), file: send_wrapper::SendWrapper::new(file) }
    }

    pub async fn read_slice(p: &Picked, start: f64, end: f64) -> Result<Vec<u8>, String> {
        let blob = p.file.slice_with_f64_and_f64(start, end.min(p.size)).map_err(|_| "The file could not be read.".to_string())?;
        gloo_file::futures::read_as_bytes(&gloo_file::Blob::from(blob)).await.map_err(|e| format!("The file could not be read: {e}"))
    }

    /// Lets the browser paint and handle input between steps of heavy work.
    pub async fn yield_now() {
        gloo_timers::future::TimeoutFuture::new(0).await;
    }

    /// Which app made the file, from its first bytes (the original's plain backup is
    /// previewed from them at once).
    pub async fn detect(p: &Picked) -> Result<Detected, FormError> {
        let head = read_slice(p, 0.0, DETECT_LEN as f64).await.map_err(FormError::general)?;
        crate::original_preview::detect(&head, head.len() as f64 >= p.size)
    }

    /// Decrypts and authenticates a whole original `.ttbak` in WebAssembly, in slices,
    /// reporting progress (0.0–1.0), and reads its manifest from the verified start. A wrong
    /// password is an error on the field `backup_password`, known after the first slice.
    pub async fn preview_original_encrypted(p: &Picked, password: &str, progress: impl Fn(f64)) -> Result<Preview, FormError> {
        let head = read_slice(p, 0.0, DETECT_LEN as f64).await.map_err(FormError::general)?;
        progress(0.0);
        // The key derivation (scrypt, ~16 MiB) is the one long step: let the page paint first.
        yield_now().await;
        let mut decrypt = OriginalDecrypt::new(&head, password)?;
        yield_now().await;
        let mut pos = 0.0;
        while pos < p.size {
            let end = (pos + STEP).min(p.size);
            let bytes = read_slice(p, pos, end).await.map_err(FormError::general)?;
            decrypt.push(&bytes)?;
            pos = end;
            progress(pos / p.size);
            yield_now().await;
        }
        let preview = decrypt.finish()?;
        progress(1.0);
        Ok(Preview::Original(preview))
    }

    /// A plain backup's header, from the start of the file only.
    pub async fn preview_plain(p: &Picked) -> Result<Preview, String> {
        let mut len = 64.0 * 1024.0;
        loop {
            let prefix = read_slice(p, 0.0, len).await?;
            let whole = len >= p.size;
            match plain_header(&prefix, whole).map_err(|e| e.to_string())? {
                Some(header) => return Ok(Preview::Native(NativePreview { kind: FileKind::Plain, header, chunks_verified: None })),
                None => {
                    if len >= MAX_SNIFF as f64 {
                        return Err("The backup header was not found at the start of the file.".into());
                    }
                    len = (len * 4.0).min(MAX_SNIFF as f64);
                }
            }
        }
    }

    /// Decrypts and authenticates a whole .ttbak in WebAssembly, in steps, reporting progress
    /// (0.0–1.0). Returns the header found inside.
    /// A wrong password is an error on the field `backup_password`; anything else is about the file.
    pub async fn preview_encrypted(p: &Picked, password: &str, progress: impl Fn(f64)) -> Result<Preview, FormError> {
        let mut prefix = read_slice(p, 0.0, 64.0 * 1024.0).await.map_err(FormError::general)?;
        let parsed = loop {
            match parse_header(&prefix).map_err(|e| FormError::general(e.to_string()))? {
                Some(h) => break h,
                None if (prefix.len() as f64) < p.size && prefix.len() < 1 << 20 => {
                    prefix = read_slice(p, 0.0, (prefix.len() * 4) as f64).await.map_err(FormError::general)?;
                }
                None => return Err(FormError::general("The file ends inside its header: it is incomplete.")),
            }
        };
        progress(0.0);
        // Key derivation (Argon2id) is the one long step; let the page paint first.
        yield_now().await;
        let opener = Opener::new(&parsed, password.as_bytes()).map_err(|e| {
            if e.is_wrong_password() {
                FormError::at("backup_password", e.to_string())
            } else {
                FormError::general(e.to_string())
            }
        })?;
        let mut decoder = PushDecoder::new(opener, HeaderSink::default());
        let mut pos = parsed.header_len_total as f64;
        while pos < p.size {
            let end = (pos + STEP).min(p.size);
            let bytes = read_slice(p, pos, end).await.map_err(FormError::general)?;
            decoder.push(&bytes).map_err(|e| FormError::general(e.to_string()))?;
            pos = end;
            progress(pos / p.size);
            yield_now().await;
        }
        let chunks = decoder.chunks_verified();
        let sink = decoder.finish().map_err(|e| FormError::general(e.to_string()))?;
        let header = sink.into_header().map_err(|e| FormError::general(e.to_string()))?;
        progress(1.0);
        Ok(Preview::Native(NativePreview { kind: FileKind::Encrypted, header, chunks_verified: Some(chunks + 1) }))
    }

    /// Posts the restore form with the file, reporting upload progress (0.0–1.0).
    pub async fn upload_restore(p: &Picked, fields: &[(&str, String)], progress: impl Fn(f64) + 'static) -> Result<RestoreReport, AppError> {
        use crate::error::ErrorKind;
        let fail = |m: &str| AppError { kind: ErrorKind::Network, message: m.to_string(), field: None };
        let form = web_sys::FormData::new().map_err(|_| fail("The upload could not be prepared."))?;
        for (k, v) in fields {
            form.append_with_str(k, v).map_err(|_| fail("The upload could not be prepared."))?;
        }
        form.append_with_blob_and_filename("file", &p.file, &p.name).map_err(|_| fail("The upload could not be prepared."))?;
        let xhr = web_sys::XmlHttpRequest::new().map_err(|_| fail("The upload could not be started."))?;
        xhr.open_with_async("POST", "/api/backup/restore", true).map_err(|_| fail("The upload could not be started."))?;
        let _ = xhr.set_request_header("Accept", "application/json");
        let on_progress = Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
            if e.length_computable() && e.total() > 0.0 {
                progress(e.loaded() / e.total());
            }
        });
        if let Ok(upload) = xhr.upload() {
            upload.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
        }
        let (tx, rx) = futures::channel::oneshot::channel::<bool>();
        let tx = std::rc::Rc::new(std::cell::RefCell::new(Some(tx)));
        let (tx_ok, tx_err) = (tx.clone(), tx);
        let on_load = Closure::<dyn FnMut()>::new(move || {
            if let Some(t) = tx_ok.borrow_mut().take() {
                let _ = t.send(true);
            }
        });
        let on_error = Closure::<dyn FnMut()>::new(move || {
            if let Some(t) = tx_err.borrow_mut().take() {
                let _ = t.send(false);
            }
        });
        xhr.set_onload(Some(on_load.as_ref().unchecked_ref()));
        xhr.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        xhr.send_with_opt_form_data(Some(&form)).map_err(|_| fail("The upload could not be sent."))?;
        let loaded = rx.await.unwrap_or(false);
        drop((on_progress, on_load, on_error));
        if !loaded {
            return Err(fail("The upload was interrupted: the server could not be reached, or it closed the connection (an upload over the size limit is refused this way)."));
        }
        let status = xhr.status().unwrap_or(0);
        let text = xhr.response_text().ok().flatten().unwrap_or_default();
        if (200..300).contains(&status) {
            serde_json::from_str(&text).map_err(|e| fail(&format!("The server's answer could not be read: {e}")))
        } else {
            Err(serde_json::from_str::<AppError>(&text).unwrap_or_else(|_| fail(&format!("The server answered {status}: {text}"))))
        }
    }

    /// Moves the keyboard focus to the element `selector` names once the page has drawn the
    /// latest change, and scrolls it into view (a result, an error, a field).
    pub fn focus(selector: &str) {
        focus_within_frames(selector.to_string(), 10);
    }

    /// Tries at the next frames: the element may be drawn a little after the change that shows it.
    fn focus_within_frames(selector: String, frames_left: u32) {
        leptos::prelude::request_animation_frame(move || {
            match leptos::prelude::document().query_selector(&selector).ok().flatten().and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok()) {
                Some(el) => {
                    let _ = el.focus();
                    el.scroll_into_view();
                }
                None if frames_left > 0 => focus_within_frames(selector, frames_left - 1),
                None => {}
            }
        });
    }

    /// This page's origin ("https://tt.example"), when the server did not say its own URL.
    pub fn page_origin() -> Option<String> {
        leptos::prelude::window().location().origin().ok()
    }

    /// A `blob:` URL of a text file made here, for a download link.
    pub fn text_file_url(text: &str) -> Option<String> {
        let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
        let blob = web_sys::Blob::new_with_str_sequence(&parts).ok()?;
        web_sys::Url::create_object_url_with_blob(&blob).ok()
    }

    pub fn revoke_url(url: &str) {
        let _ = web_sys::Url::revoke_object_url(url);
    }

    /// The error a failed export left in the hidden download frame, if any.
    pub fn frame_error(frame: &web_sys::HtmlIFrameElement) -> Option<String> {
        let doc = frame.content_document()?;
        let text = doc.body()?.text_content()?;
        if text.trim().is_empty() {
            return None;
        }
        Some(match serde_json::from_str::<AppError>(&text) {
            Ok(e) => e.message,
            Err(_) => format!("The export failed: {}", text.chars().take(300).collect::<String>()),
        })
    }
}

#[cfg(feature = "hydrate")]
pub use imp::*;

#[cfg(not(feature = "hydrate"))]
mod imp {
    //! Server build: never called.
    use super::*;

    const ONLY_IN_BROWSER: &str = "This runs in the browser only.";

    pub async fn detect(_p: &Picked) -> Result<Detected, FormError> {
        Err(FormError::general(ONLY_IN_BROWSER))
    }
    pub async fn preview_original_encrypted(_p: &Picked, _password: &str, _progress: impl Fn(f64)) -> Result<Preview, FormError> {
        Err(FormError::general(ONLY_IN_BROWSER))
    }
    pub async fn preview_plain(_p: &Picked) -> Result<Preview, String> {
        Err(ONLY_IN_BROWSER.into())
    }
    pub async fn preview_encrypted(_p: &Picked, _password: &str, _progress: impl Fn(f64)) -> Result<Preview, FormError> {
        Err(FormError::general(ONLY_IN_BROWSER))
    }
    pub fn focus(_selector: &str) {}
    pub fn page_origin() -> Option<String> {
        None
    }
    pub fn text_file_url(_text: &str) -> Option<String> {
        None
    }
    pub fn revoke_url(_url: &str) {}
    pub async fn upload_restore(_p: &Picked, _fields: &[(&str, String)], _progress: impl Fn(f64) + 'static) -> Result<RestoreReport, AppError> {
        Err(AppError::internal(ONLY_IN_BROWSER))
    }
}

#[cfg(not(feature = "hydrate"))]
pub use imp::*;
