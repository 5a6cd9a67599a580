//! The restore preview of a chosen backup file, before anything is uploaded: which app made it,
//! the plain header read from its start, or — for a `.ttbak` — the whole file decrypted and
//! authenticated (this app's: Argon2id + AES-256-GCM chunks + DEFLATE; the original app's:
//! scrypt + AES-GCM of a base64 envelope) with the header or manifest read from the verified
//! payload.
//!
//! Plain Rust, tested natively. In the browser it runs in a Web Worker of its own
//! (`crates/preview-worker`, a separate small wasm module): the page's bundle links only the
//! types below (the request it posts and the answer it reads back, both serde), never the
//! decryption, inflate or format code, and the page's thread stays free while a file is checked.
#![forbid(unsafe_code)]

mod native;
pub mod original;

use serde::{Deserialize, Serialize};
pub use tt_core::backup_format::{FileKind, Header};

pub use original::{count_rows, CountRow, Manifest};

/// What the page asks the worker about the file it sends along.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Request {
    /// Which app made the file; a plain file is previewed at once, a `.ttbak` asks for its password.
    Open,
    /// Decrypt and check the whole `.ttbak` with this password.
    Decrypt { password: String },
}

/// The worker's answer to a [`Request`].
pub type Answer = Result<Opened, PreviewError>;

/// What opening (or decrypting) a file found.
// One value per answer, moved once: boxing the preview would save nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Opened {
    /// An encrypted file: its password is needed (`original`: made by the original app).
    NeedsPassword { original: bool },
    /// What the file holds.
    Previewed(Preview),
}

/// An error about the file, or (`field` = `backup_password`) about the password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewError {
    pub field: Option<String>,
    pub message: String,
}

impl PreviewError {
    /// About the file.
    pub fn general(message: impl Into<String>) -> Self {
        PreviewError { field: None, message: message.into() }
    }

    /// About a field of the form.
    pub fn at(field: &str, message: impl Into<String>) -> Self {
        PreviewError { field: Some(field.to_string()), message: message.into() }
    }
}

/// What the preview learned about a chosen file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

    /// How long decrypting took, for a `.ttbak`.
    pub fn timing(&self) -> Option<Timing> {
        match self {
            Preview::Native(p) => p.timing,
            Preview::Original(p) => p.timing,
        }
    }
}

/// What the preview learned about a backup of this app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NativePreview {
    pub kind: FileKind,
    pub header: Header,
    /// For a .ttbak: every chunk was decrypted and authenticated.
    pub chunks_verified: Option<u64>,
    /// For a .ttbak: how long the check took.
    #[serde(default)]
    pub timing: Option<Timing>,
}

/// What a backup of the original app shows before it is uploaded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OriginalPreview {
    /// `Plain` for a `.json`, `Encrypted` for a `.ttbak`.
    pub kind: FileKind,
    /// Its manifest: version, date, instance URL and the counts the original wrote (which it
    /// never checks against the records).
    pub manifest: Manifest,
    /// For a `.ttbak`: the bytes of backup decrypted here, all authenticated by the tag.
    pub decrypted_bytes: Option<u64>,
    /// For a `.ttbak`: how long the check took.
    #[serde(default)]
    pub timing: Option<Timing>,
}

/// Where the time of a `.ttbak`'s check went, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    /// Deriving the key from the password (Argon2id or scrypt): the one step no slice size changes.
    pub kdf_ms: f64,
    /// Reading the file's slices.
    pub read_ms: f64,
    /// From the request to the answer, all included.
    pub total_ms: f64,
}

/// The chosen file, read in slices (in the worker: `FileReaderSync` over the `File`).
pub trait FileSource {
    fn size(&self) -> u64;
    /// Fills `buf` with the bytes `start..end` of the file (`end` within its size).
    fn read(&mut self, start: u64, end: u64, buf: &mut Vec<u8>) -> Result<(), PreviewError>;
}

/// What the preview reports while it works, and its clock.
pub trait Progress {
    /// The fraction of the file done, 0.0–1.0.
    fn progress(&mut self, fraction: f64);
    /// Milliseconds on a monotonic clock.
    fn now_ms(&self) -> f64;
}

/// Answers `request` about `file`.
pub fn run(request: &Request, file: &mut dyn FileSource, progress: &mut dyn Progress) -> Answer {
    let mut file = Timed { inner: file, read_ms: 0.0, clock: progress.now_ms() };
    let head = file.read_vec(0, original::DETECT_LEN as u64)?;
    let whole = head.len() as u64 >= file.size();
    let detected = original::detect(&head, whole)?;
    match (request, detected) {
        (Request::Open, Detected::ThisApp(FileKind::Encrypted)) => Ok(Opened::NeedsPassword { original: false }),
        (Request::Open, Detected::OriginalEncrypted) => Ok(Opened::NeedsPassword { original: true }),
        (_, Detected::OriginalPlain(p)) => Ok(Opened::Previewed(Preview::Original(p))),
        (_, Detected::ThisApp(FileKind::Plain)) => native::plain(&mut file).map(Opened::Previewed),
        (Request::Decrypt { password }, Detected::ThisApp(FileKind::Encrypted)) => {
            native::encrypted(&mut file, password, progress).map(Opened::Previewed)
        }
        (Request::Decrypt { password }, Detected::OriginalEncrypted) => {
            original::decrypt_file(&mut file, &head, password, progress).map(|p| Opened::Previewed(Preview::Original(p)))
        }
    }
}

/// Which app made a chosen file, from its first bytes.
#[derive(Debug, Clone, PartialEq)]
pub enum Detected {
    /// This app's backup (or not a backup at all: its own preview says why).
    ThisApp(FileKind),
    /// The original's plain backup, previewed from its manifest.
    OriginalPlain(OriginalPreview),
    /// The original's `.ttbak`: only its date is readable before the password.
    OriginalEncrypted,
}

/// Bytes read per slice of a `.ttbak`: large, so the per-read cost of the browser's file API
/// is paid rarely; the progress is reported every [`PROGRESS_STEP`] within a slice.
pub const SLICE: u64 = 8 << 20;
/// Bytes of file between two progress reports.
pub const PROGRESS_STEP: usize = 1 << 20;

/// The file with the time its reads took.
struct Timed<'a> {
    inner: &'a mut dyn FileSource,
    read_ms: f64,
    /// When the request started.
    clock: f64,
}

impl Timed<'_> {
    fn size(&self) -> u64 {
        self.inner.size()
    }

    fn read_into(&mut self, start: u64, end: u64, buf: &mut Vec<u8>, clock: &dyn Progress) -> Result<(), PreviewError> {
        let t = clock.now_ms();
        let r = self.inner.read(start, end.min(self.size()), buf);
        self.read_ms += clock.now_ms() - t;
        r
    }

    /// A read before the clock matters (the first bytes).
    fn read_vec(&mut self, start: u64, end: u64) -> Result<Vec<u8>, PreviewError> {
        let mut buf = Vec::new();
        self.inner.read(start, end.min(self.size()), &mut buf)?;
        Ok(buf)
    }

    /// Feeds the file from `from` to its end to `push`, in slices of [`SLICE`] read into one
    /// buffer, reporting progress every [`PROGRESS_STEP`].
    fn stream(
        &mut self,
        from: u64,
        progress: &mut dyn Progress,
        mut push: impl FnMut(&[u8]) -> Result<(), PreviewError>,
    ) -> Result<(), PreviewError> {
        let size = self.size();
        let mut buf = Vec::with_capacity(SLICE.min(size) as usize);
        let mut pos = from;
        while pos < size {
            let end = (pos + SLICE).min(size);
            self.read_into(pos, end, &mut buf, progress)?;
            let mut done = pos;
            for part in buf.chunks(PROGRESS_STEP) {
                push(part)?;
                done += part.len() as u64;
                progress.progress(done as f64 / size as f64);
            }
            pos = end;
        }
        Ok(())
    }

    fn timing(&self, kdf_ms: f64, progress: &dyn Progress) -> Timing {
        Timing { kdf_ms, read_ms: self.read_ms, total_ms: progress.now_ms() - self.clock }
    }
}

#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// A file in memory.
    pub struct Mem(pub Vec<u8>);

    impl FileSource for Mem {
        fn size(&self) -> u64 {
            self.0.len() as u64
        }
        fn read(&mut self, start: u64, end: u64, buf: &mut Vec<u8>) -> Result<(), PreviewError> {
            buf.clear();
            buf.extend_from_slice(&self.0[start as usize..end as usize]);
            Ok(())
        }
    }

    /// Records the progress reported; a clock that ticks 1 ms per look.
    #[derive(Default)]
    pub struct Seen {
        pub fractions: Vec<f64>,
        pub ticks: std::cell::Cell<f64>,
    }

    impl Progress for Seen {
        fn progress(&mut self, fraction: f64) {
            self.fractions.push(fraction);
        }
        fn now_ms(&self) -> f64 {
            self.ticks.set(self.ticks.get() + 1.0);
            self.ticks.get()
        }
    }

    pub fn open(file: &[u8]) -> Answer {
        run(&Request::Open, &mut Mem(file.to_vec()), &mut Seen::default())
    }

    pub fn decrypt(file: &[u8], password: &str) -> (Answer, Vec<f64>) {
        let mut seen = Seen::default();
        let answer = run(&Request::Decrypt { password: password.into() }, &mut Mem(file.to_vec()), &mut seen);
        (answer, seen.fractions)
    }
}
