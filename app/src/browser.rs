//! Browser-only work for the Backups page: previewing a chosen file in the preview's Web Worker
//! (`crates/preview-worker`, its own wasm module: sniffing the file, decrypting a .ttbak of this
//! app or of the original app, off the page's thread; this bundle links only the answer's types),
//! and uploading with progress. In the server build these functions exist but are never called
//! (event handlers only run in the browser).

use crate::components::FormError;
use crate::error::AppError;
use crate::model::backup::RestoreReport;
pub use tt_preview::{NativePreview, Opened, OriginalPreview, Preview, PreviewError, Timing};

impl From<PreviewError> for FormError {
    fn from(e: PreviewError) -> Self {
        FormError { field: e.field, message: e.message }
    }
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
    use std::cell::RefCell;
    use std::rc::Rc;
    use tt_preview::{Answer, Request};
    use wasm_bindgen::{closure::Closure, JsCast, JsValue};

    /// The preview worker's script (crates/preview-worker, built by scripts/build.sh beside the
    /// page's bundle).
    const WORKER_URL: &str = "/pkg/preview-worker.js";

    pub fn from_file(file: web_sys::File) -> Picked {
        Picked { name: file.name(), size: file.size(), file: send_wrapper::SendWrapper::new(file) }
    }

    /// The preview's worker while it runs: one at a time, for the file being previewed.
    struct Running {
        worker: web_sys::Worker,
        waiting: Rc<RefCell<Waiting>>,
        _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
        _on_error: Closure<dyn FnMut(web_sys::ErrorEvent)>,
    }

    /// The request the worker is answering: where its progress and its answer go.
    #[derive(Default)]
    struct Waiting {
        progress: Option<Box<dyn Fn(f64)>>,
        answer: Option<futures::channel::oneshot::Sender<Answer>>,
    }

    thread_local! {
        static RUNNING: RefCell<Option<Running>> = const { RefCell::new(None) };
    }

    /// Stops the preview's worker, if one runs: a request it was answering ends as stopped
    /// (`None`). Another file chosen, the person's Cancel, or leaving the page.
    pub fn stop_preview() {
        if let Some(r) = RUNNING.with(|c| c.borrow_mut().take()) {
            r.worker.terminate();
        }
    }

    fn start_worker() -> Result<Running, FormError> {
        let cannot = |_| FormError::general("The preview could not start in this browser (it needs module Web Workers).");
        let options = web_sys::WorkerOptions::new();
        options.set_type(web_sys::WorkerType::Module);
        let worker = web_sys::Worker::new_with_options(WORKER_URL, &options).map_err(cannot)?;
        let waiting = Rc::new(RefCell::new(Waiting::default()));
        let w = waiting.clone();
        let on_message = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            let data = e.data();
            if let Some(fraction) = data.as_f64() {
                if let Some(p) = &w.borrow().progress {
                    p(fraction);
                }
            } else if let Some(text) = data.as_string() {
                let answer = serde_json::from_str::<Answer>(&text)
                    .unwrap_or_else(|e| Err(PreviewError::general(format!("The preview's answer could not be read: {e}"))));
                if let Some(tx) = w.borrow_mut().answer.take() {
                    let _ = tx.send(answer);
                }
            }
        });
        let w = waiting.clone();
        // The script or its wasm could not load (a failed build, an old browser).
        let on_error = Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |e: web_sys::ErrorEvent| {
            e.prevent_default();
            if let Some(tx) = w.borrow_mut().answer.take() {
                let _ = tx.send(Err(PreviewError::general(format!("The preview could not run in this browser: {}", e.message()))));
            }
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Running { worker, waiting, _on_message: on_message, _on_error: on_error })
    }

    /// Sends `request` about the file to the preview's worker (started now when none runs) and
    /// waits for its answer. `None`: the worker was stopped before it answered.
    async fn ask(p: &Picked, request: Request, progress: impl Fn(f64) + 'static) -> Option<Result<Opened, FormError>> {
        let (tx, rx) = futures::channel::oneshot::channel::<Answer>();
        let sent = RUNNING.with(|c| -> Result<(), FormError> {
            let mut running = c.borrow_mut();
            if running.is_none() {
                *running = Some(start_worker()?);
            }
            let r = running.as_ref().expect("just started");
            *r.waiting.borrow_mut() = Waiting { progress: Some(Box::new(progress)), answer: Some(tx) };
            let message = js_sys::Object::new();
            let json = serde_json::to_string(&request).map_err(|e| FormError::general(e.to_string()))?;
            let set = |k: &str, v: &JsValue| js_sys::Reflect::set(&message, &JsValue::from_str(k), v);
            set("request", &JsValue::from_str(&json))
                .and_then(|_| set("file", p.file.as_ref()))
                .map_err(|_| FormError::general("The preview could not be started."))?;
            r.worker.post_message(&message).map_err(|_| FormError::general("The file could not be handed to the preview."))
        });
        if let Err(e) = sent {
            stop_preview();
            return Some(Err(e));
        }
        // Cancelled: the worker was stopped (its sender dropped with it).
        let answer = rx.await.ok()?;
        // Kept only while a password is awaited; the next request starts it again.
        if !matches!(answer, Ok(Opened::NeedsPassword { .. })) {
            stop_preview();
        }
        Some(answer.map_err(FormError::from))
    }

    /// Opens the chosen file in the preview's worker: a plain backup (this app's or the
    /// original's) is previewed at once; a `.ttbak` asks for its password.
    pub async fn open_preview(p: &Picked) -> Option<Result<Opened, FormError>> {
        stop_preview();
        ask(p, Request::Open, |_| {}).await
    }

    /// Decrypts and authenticates the whole `.ttbak` in the preview's worker, reporting progress
    /// (0.0–1.0). A wrong password is an error on the field `backup_password`; anything else is
    /// about the file. `None`: stopped.
    pub async fn decrypt_preview(p: &Picked, password: &str, progress: impl Fn(f64) + 'static) -> Option<Result<Preview, FormError>> {
        let answer = ask(p, Request::Decrypt { password: password.to_string() }, progress).await?;
        Some(answer.and_then(|o| match o {
            Opened::Previewed(p) => Ok(p),
            Opened::NeedsPassword { .. } => Err(FormError::general("The preview asked for the password again.")),
        }))
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

    pub fn stop_preview() {}
    pub async fn open_preview(_p: &Picked) -> Option<Result<Opened, FormError>> {
        Some(Err(FormError::general(ONLY_IN_BROWSER)))
    }
    pub async fn decrypt_preview(_p: &Picked, _password: &str, _progress: impl Fn(f64) + 'static) -> Option<Result<Preview, FormError>> {
        Some(Err(FormError::general(ONLY_IN_BROWSER)))
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
