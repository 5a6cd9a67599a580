//! The restore preview's Web Worker: a wasm module of its own, started by the page
//! (`app/src/browser.rs`) when the person opens a file to restore, so the page's bundle carries
//! none of the decryption, inflate or format code and its thread stays free during the check.
//!
//! `worker.js` (copied beside it into `target/site/pkg/preview-worker.js`) loads this module and
//! calls [`answer`] for each message `{ request, file }`. While it works, [`answer`] posts the
//! fraction done (a number) to the page; its return value, the JSON of a
//! [`tt_preview::Answer`], is the last message. The password travels only from the page to
//! this worker, in the browser.
#![forbid(unsafe_code)]

use tt_preview::{Answer, FileSource, PreviewError, Progress, Request};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Answers the page's `request` (JSON of a [`Request`]) about `file`; returns the JSON of the
/// [`Answer`].
#[wasm_bindgen]
pub fn answer(file: web_sys::File, request: &str) -> String {
    let answer: Answer = match serde_json::from_str::<Request>(request) {
        Ok(request) => match web_sys::FileReaderSync::new() {
            Ok(reader) => tt_preview::run(&request, &mut WorkerFile { file, reader }, &mut Page::new()),
            Err(_) => Err(PreviewError::general("This browser cannot read files in a worker; the preview cannot run here.")),
        },
        Err(e) => Err(PreviewError::general(format!("The page sent a request the preview does not know: {e}"))),
    };
    serde_json::to_string(&answer)
        .unwrap_or_else(|e| format!(r#"{{"Err":{{"field":null,"message":"The preview's answer could not be written: {e}"}}}}"#))
}

/// The File, read synchronously (a worker may block: the page does not wait on it).
struct WorkerFile {
    file: web_sys::File,
    reader: web_sys::FileReaderSync,
}

impl FileSource for WorkerFile {
    fn size(&self) -> u64 {
        self.file.size() as u64
    }

    fn read(&mut self, start: u64, end: u64, buf: &mut Vec<u8>) -> Result<(), PreviewError> {
        let unreadable =
            |_| PreviewError::general("The file could not be read (it may have been moved or changed since it was chosen); choose it again.");
        let blob = self.file.slice_with_f64_and_f64(start as f64, end as f64).map_err(unreadable)?;
        let buffer = self.reader.read_as_array_buffer(&blob).map_err(unreadable)?;
        let bytes = js_sys::Uint8Array::new(&buffer);
        // One copy, into the buffer the previous slice used (grown, never zeroed again).
        buf.resize(bytes.length() as usize, 0);
        bytes.copy_to(buf);
        Ok(())
    }
}

/// Progress goes to the page as a number; the clock is the worker's `performance.now()`.
struct Page {
    scope: web_sys::DedicatedWorkerGlobalScope,
    performance: Option<web_sys::Performance>,
}

impl Page {
    fn new() -> Page {
        let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
        let performance = scope.performance();
        Page { scope, performance }
    }
}

impl Progress for Page {
    fn progress(&mut self, fraction: f64) {
        // A lost progress message only leaves the bar behind; the answer still comes.
        let _ = self.scope.post_message(&JsValue::from_f64(fraction));
    }

    fn now_ms(&self) -> f64 {
        self.performance.as_ref().map(|p| p.now()).unwrap_or(0.0)
    }
}
