//! What the browser shows before anything is uploaded: the header of a plain backup read from
//! the file's first bytes, or — for a .ttbak — the header found inside the decrypted payload,
//! while every chunk of the file is decrypted and authenticated. Plain Rust, so it is tested
//! natively and runs unchanged in WebAssembly.

use super::plain::sniff_header;
use super::{FormatError, Header};
use std::io::Write;

/// The header of a plain backup must start within this many bytes.
pub const MAX_SNIFF: usize = 1 << 20;

/// A sink for decrypted plain-backup bytes that keeps only what it needs to read the header
/// and counts the rest, so memory stays bounded whatever the file size.
#[derive(Default)]
pub struct HeaderSink {
    buf: Vec<u8>,
    header: Option<Header>,
    error: Option<String>,
    total: u64,
}

impl Write for HeaderSink {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.total += data.len() as u64;
        if self.header.is_none() && self.error.is_none() && self.buf.len() < MAX_SNIFF {
            let take = data.len().min(MAX_SNIFF - self.buf.len());
            self.buf.extend_from_slice(&data[..take]);
            match sniff_header(&self.buf) {
                Ok(Some(h)) => {
                    self.header = Some(h);
                    self.buf = Vec::new();
                }
                Ok(None) => {}
                Err(e) => self.error = Some(e.to_string()),
            }
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl HeaderSink {
    /// Bytes of plain backup seen.
    pub fn total(&self) -> u64 {
        self.total
    }

    pub fn header(&self) -> Option<&Header> {
        self.header.as_ref()
    }

    /// The header, once all bytes went through.
    pub fn into_header(self) -> Result<Header, FormatError> {
        if let Some(e) = self.error {
            return Err(FormatError::Structure(format!("the decrypted contents are not a backup: {e}")));
        }
        self.header.ok_or(FormatError::NotABackup)
    }
}

/// Reads the header of a plain backup from its start; `Ok(None)` asks for a longer prefix.
pub fn plain_header(prefix: &[u8], is_whole_file: bool) -> Result<Option<Header>, FormatError> {
    match sniff_header(prefix)? {
        Some(h) => Ok(Some(h)),
        None if is_whole_file && is_blank(prefix) => Err(FormatError::Empty),
        None if is_whole_file => Err(FormatError::Truncated),
        None if prefix.len() >= MAX_SNIFF => Err(FormatError::Structure("the header does not fit in the first MiB".into())),
        None => Ok(None),
    }
}

/// No byte but blank space (or a byte-order mark): an empty file, not one cut short.
fn is_blank(bytes: &[u8]) -> bool {
    bytes.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(bytes).iter().all(u8::is_ascii_whitespace)
}
