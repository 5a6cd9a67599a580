//! The one error type of this crate. Every variant is a sentence a person can act on; the
//! variants a caller must tell apart (a wrong backup password, a wrong login password, a
//! damaged or truncated file, a value out of range) are distinct.

use std::fmt;

/// Where in a backup a problem sits: a section (`trackers`, `settings`, ...), the record's
/// position in it (0-based) when the section is an array, and the field's JSON name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub section: &'static str,
    pub index: Option<u64>,
    pub field: Option<String>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.section)?;
        if let Some(i) = self.index {
            write!(f, "[{i}]")?;
        }
        if let Some(field) = &self.field {
            write!(f, ".{field}")?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The first bytes are neither the original's plain backup nor its encrypted envelope.
    #[error("this file is not a backup made by the original Tracker Tracker: {reason}")]
    NotOriginalBackup { reason: String },

    /// The start of the file was too short to tell (sniffing needs more bytes).
    #[error("the start of the file is too short to recognise it; read more of it first")]
    NeedMoreBytes,

    /// The `.ttbak` envelope's JSON is not laid out as the original writes it.
    #[error("the encrypted backup's outer layer is malformed: {reason}")]
    EnvelopeMalformed { reason: String },

    /// The envelope or the manifest names a version this reader does not know.
    #[error("this backup uses {what} version {found}, but only version 1 exists in the original app")]
    UnsupportedVersion { what: &'static str, found: String },

    /// A salt that feeds scrypt is not the 64 hexadecimal characters the original writes.
    #[error("the {which} salt must be exactly 64 hexadecimal characters; this file's is not, so no key is derived from it")]
    BadSalt { which: &'static str },

    /// The backup password was empty.
    #[error("enter the backup password that was set in the original app for encrypted backups")]
    BackupPasswordMissing,

    /// The backup password is longer than the original ever accepted.
    #[error("the backup password is longer than 128 characters, which the original app never accepted")]
    BackupPasswordTooLong,

    /// The key derived from the backup password does not open the envelope.
    #[error("wrong backup password: this encrypted backup does not open with it")]
    WrongBackupPassword,

    /// The envelope opened with the right key but its content fails the authentication check,
    /// or its encoded data is corrupt.
    #[error("the encrypted backup is damaged (it was changed or corrupted after it was written): {reason}")]
    Damaged { reason: String },

    /// The file ends before the envelope or the payload is complete.
    #[error("the backup file is incomplete: it ends {reason}; was the download or copy cut short?")]
    Truncated { reason: String },

    /// The login password given for the source instance does not open its secrets.
    #[error("wrong login password for the original instance: its saved secrets do not open with it")]
    WrongLoginPassword,

    /// One instance secret (an AES-GCM string) is not in the original's format.
    #[error("a saved secret{at} is not in the original's format: {reason}")]
    SecretMalformed { at: String, reason: String },

    /// The payload is not JSON, or JSON of the wrong shape where the reader was.
    #[error("the backup's content is not valid JSON{at}: {message}")]
    Json { at: String, message: String },

    /// A required top-level section is missing.
    #[error("the backup has no `{section}` section, which every original backup has")]
    MissingSection { section: &'static str },

    /// A top-level section appears twice.
    #[error("the backup has the `{section}` section twice")]
    DuplicateSection { section: String },

    /// A field breaks the original's own rules (or this reader's stricter ones).
    #[error("{at}: {reason}")]
    InvalidField { at: Location, reason: String },

    /// A byte count (a decimal string in the original) is 2^63 or more: it cannot be kept
    /// exactly as a signed 64-bit integer.
    #[error(
        "{at}: the value {value} is 2^63 or more, too large to be kept exactly as a 64-bit integer; the backup is refused rather than changing it"
    )]
    BigintOutOfRange { at: Location, value: String },

    /// Reading the input or writing the output failed.
    #[error("could not read or write the backup: {0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    pub(crate) fn invalid(at: Location, reason: impl Into<String>) -> Self {
        Error::InvalidField { at, reason: reason.into() }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_reads_like_a_json_path() {
        let at = Location { section: "trackerSnapshots", index: Some(4), field: Some("uploadedBytes".into()) };
        assert_eq!(at.to_string(), "trackerSnapshots[4].uploadedBytes");
        let e = Error::BigintOutOfRange { at, value: "9223372036854775808".into() };
        assert!(e.to_string().starts_with("trackerSnapshots[4].uploadedBytes: the value 9223372036854775808"));
    }

    #[test]
    fn wrong_passwords_read_differently() {
        assert_ne!(Error::WrongBackupPassword.to_string(), Error::WrongLoginPassword.to_string());
        assert!(Error::WrongBackupPassword.to_string().contains("backup password"));
        assert!(Error::WrongLoginPassword.to_string().contains("login password"));
    }
}
