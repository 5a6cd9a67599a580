//! Every way writing or reading a `.ttbak` can fail, as one typed error (spec: docs/backup-format.md
//! 2.9). The decoders are `std::io::Read`/`Write` adapters, so the error also travels inside an
//! `io::Error` ([`TtbakError::from_io`]) and keeps its `io::ErrorKind` where it has one.

use std::io;

use crate::header::MAX_HEADER_LEN;

/// Why a `.ttbak` file could not be written or read. Messages are for people; none of them holds a
/// password or key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TtbakError {
    #[error("This file is not an encrypted Tracker Tracker backup (.ttbak): it does not start with the .ttbak signature.")]
    NotTtbak,
    #[error("The backup's header is {len} bytes long; a valid header is 1 to {MAX_HEADER_LEN} bytes. The file is damaged or was not written by Tracker Tracker.")]
    HeaderSize { len: u32 },
    #[error("The backup's header is damaged (its checksum does not match), so the file cannot be opened. Use another copy of the backup.")]
    HeaderDamaged,
    #[error("The backup's header is invalid: {0}. The file was not written by Tracker Tracker or has been tampered with.")]
    HeaderInvalid(String),
    #[error("This backup was made by a newer version of Tracker Tracker (encrypted format version {found}; this version reads up to {supported}). Update Tracker Tracker, then try again.")]
    NewerVersion { found: u32, supported: u32 },
    #[error("This backup uses {what} \"{name}\", which this version of Tracker Tracker does not support.")]
    UnsupportedAlgorithm { what: &'static str, name: String },
    /// The detail names the value and the limit.
    #[error("{0} — the file was not written by Tracker Tracker or has been tampered with.")]
    ParamsOutOfBounds(String),
    #[error("The backup password is wrong.")]
    WrongPassword,
    #[error("The backup file ends early (after {at} bytes): it is incomplete, perhaps because a download or copy was cut short.")]
    Truncated { at: u64 },
    #[error("Part of the backup is damaged or out of order: chunk {index} (starting at byte {offset}) failed its integrity check. Use another copy of the backup.")]
    ChunkDamaged { index: u64, offset: u64 },
    /// The file ends inside a chunk that fails its check. A reader cannot tell a file cut short
    /// inside a chunk from a final chunk whose bytes were changed: both are "some bytes that do not
    /// authenticate, then the end".
    #[error("The end of the backup is missing or damaged: its last chunk {index} (starting at byte {offset}) failed its integrity check. The file was probably cut short (an interrupted download or copy). Use a complete copy of the backup.")]
    TruncatedOrDamaged { index: u64, offset: u64 },
    #[error("The backup has extra data after its end (from byte {offset}). The file was altered or joined with another file.")]
    TrailingData { offset: u64 },
    #[error("The backup decrypted correctly but its contents are not valid compressed data ({0}). It was written by a faulty program.")]
    Deflate(String),
    #[error("The backup is too large for the encrypted format (at most 4294967295 chunks).")]
    TooLarge,
    #[error("Deriving the key from the backup password failed: {0}")]
    KeyDerivation(String),
    #[error("The system's random number generator failed: {0}")]
    Random(String),
    #[error("Cannot write an encrypted backup with these settings: {0}")]
    Settings(String),
    #[error("Could not read or write the backup: {message}")]
    Io { kind: io::ErrorKind, message: String },
}

impl TtbakError {
    /// The [`TtbakError`] inside an `io::Error` returned by [`TtbakReader`](crate::TtbakReader) or [`TtbakWriter`](crate::TtbakWriter)
    /// (possibly passed through other readers), so callers can show the precise message.
    pub fn from_io(e: &io::Error) -> Option<TtbakError> {
        e.get_ref().and_then(|inner| inner.downcast_ref::<TtbakError>()).cloned()
    }

    pub fn is_wrong_password(&self) -> bool {
        matches!(self, TtbakError::WrongPassword)
    }

    pub(crate) fn io(e: &io::Error) -> TtbakError {
        TtbakError::from_io(e).unwrap_or_else(|| TtbakError::Io { kind: e.kind(), message: e.to_string() })
    }
}

impl From<TtbakError> for io::Error {
    fn from(e: TtbakError) -> io::Error {
        let kind = match &e {
            TtbakError::Truncated { .. } => io::ErrorKind::UnexpectedEof,
            TtbakError::Io { kind, .. } => *kind,
            _ => io::ErrorKind::InvalidData,
        };
        io::Error::new(kind, e)
    }
}
