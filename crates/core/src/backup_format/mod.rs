//! The backup file formats, shared by the server and the browser (spec: docs/backup-format.md).
//!
//! - A plain backup (`.json`) is one JSON object whose first member is the header, so a reader
//!   can show what a backup holds after reading only its start ([`plain::sniff_header`]).
//! - An encrypted backup (`.ttbak`) is the plain backup's bytes, deflated and encrypted with
//!   AES-256-GCM in a chunked STREAM construction under an Argon2id key ([`encrypted`]).
//!
//! Records are written in ascending id order within each section; readers refuse anything else,
//! which rules out duplicate ids without remembering every id of a million-row section.

pub mod check;
/// The encrypted container lives in its own crate, `crates/ttbak`; re-exported under its old name
/// so `backup_format::encrypted::…` paths keep working.
pub use ttbak as encrypted;
pub mod name;
pub mod open;
pub mod plain;
pub mod preview;
pub mod records;

use serde::{Deserialize, Serialize};

/// The `format` value of every Tracker Tracker backup.
pub const FORMAT_ID: &str = "tracker-tracker-backup";
/// The newest format version this code writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// Sections in the order they appear in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    Settings,
    Trackers,
    TrackerRoles,
    TrackerSnapshots,
    DownloadClients,
    ClientSnapshots,
    ClientUptimeBuckets,
    TagGroups,
    TagGroupMembers,
    NotificationTargets,
    DismissedAlerts,
}

impl Section {
    pub const ALL: [Section; 11] = [
        Section::Settings,
        Section::Trackers,
        Section::TrackerRoles,
        Section::TrackerSnapshots,
        Section::DownloadClients,
        Section::ClientSnapshots,
        Section::ClientUptimeBuckets,
        Section::TagGroups,
        Section::TagGroupMembers,
        Section::NotificationTargets,
        Section::DismissedAlerts,
    ];

    /// The member name in the file.
    pub fn key(self) -> &'static str {
        match self {
            Section::Settings => "settings",
            Section::Trackers => "trackers",
            Section::TrackerRoles => "tracker_roles",
            Section::TrackerSnapshots => "tracker_snapshots",
            Section::DownloadClients => "download_clients",
            Section::ClientSnapshots => "client_snapshots",
            Section::ClientUptimeBuckets => "client_uptime_buckets",
            Section::TagGroups => "tag_groups",
            Section::TagGroupMembers => "tag_group_members",
            Section::NotificationTargets => "notification_targets",
            Section::DismissedAlerts => "dismissed_alerts",
        }
    }

    /// For people.
    pub fn label(self) -> &'static str {
        match self {
            Section::Settings => "App settings",
            Section::Trackers => "Trackers",
            Section::TrackerRoles => "Tracker roles",
            Section::TrackerSnapshots => "Tracker snapshots (upload/download history)",
            Section::DownloadClients => "Download clients",
            Section::ClientSnapshots => "Client snapshots",
            Section::ClientUptimeBuckets => "Client uptime buckets",
            Section::TagGroups => "Tag groups",
            Section::TagGroupMembers => "Tag group members",
            Section::NotificationTargets => "Notification targets",
            Section::DismissedAlerts => "Dismissed alerts",
        }
    }

    pub fn from_key(key: &str) -> Option<Section> {
        Section::ALL.into_iter().find(|s| s.key() == key)
    }
}

/// Records per section, as written in the header.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub settings: u64,
    pub trackers: u64,
    pub tracker_roles: u64,
    pub tracker_snapshots: u64,
    pub download_clients: u64,
    pub client_snapshots: u64,
    pub client_uptime_buckets: u64,
    pub tag_groups: u64,
    pub tag_group_members: u64,
    pub notification_targets: u64,
    pub dismissed_alerts: u64,
}

impl Counts {
    pub fn get(&self, s: Section) -> u64 {
        match s {
            Section::Settings => self.settings,
            Section::Trackers => self.trackers,
            Section::TrackerRoles => self.tracker_roles,
            Section::TrackerSnapshots => self.tracker_snapshots,
            Section::DownloadClients => self.download_clients,
            Section::ClientSnapshots => self.client_snapshots,
            Section::ClientUptimeBuckets => self.client_uptime_buckets,
            Section::TagGroups => self.tag_groups,
            Section::TagGroupMembers => self.tag_group_members,
            Section::NotificationTargets => self.notification_targets,
            Section::DismissedAlerts => self.dismissed_alerts,
        }
    }

    pub fn get_mut(&mut self, s: Section) -> &mut u64 {
        match s {
            Section::Settings => &mut self.settings,
            Section::Trackers => &mut self.trackers,
            Section::TrackerRoles => &mut self.tracker_roles,
            Section::TrackerSnapshots => &mut self.tracker_snapshots,
            Section::DownloadClients => &mut self.download_clients,
            Section::ClientSnapshots => &mut self.client_snapshots,
            Section::ClientUptimeBuckets => &mut self.client_uptime_buckets,
            Section::TagGroups => &mut self.tag_groups,
            Section::TagGroupMembers => &mut self.tag_group_members,
            Section::NotificationTargets => &mut self.notification_targets,
            Section::DismissedAlerts => &mut self.dismissed_alerts,
        }
    }

    pub fn total(&self) -> u64 {
        Section::ALL.iter().map(|s| self.get(*s)).sum()
    }
}

/// The first member of every plain backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub format: String,
    pub format_version: u32,
    /// The Tracker Tracker version that wrote the file.
    pub app_version: String,
    /// RFC 3339, UTC.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// The public URL of the instance that wrote it, when configured.
    pub instance_url: Option<String>,
    pub counts: Counts,
}

impl Header {
    pub fn new(created_at: chrono::DateTime<chrono::Utc>, instance_url: Option<String>, counts: Counts) -> Header {
        Header {
            format: FORMAT_ID.to_string(),
            format_version: FORMAT_VERSION,
            app_version: env!("CARGO_PKG_VERSION").to_string(),
            created_at,
            instance_url,
            counts,
        }
    }
}

/// The instance's data key sealed under its login password with a salt of its own (never the
/// instance salt): the same password opens the backup's secrets on another instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyWrap {
    /// "argon2id/aes-256-gcm"
    pub algorithm: String,
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    /// Base64 (standard) of the Argon2id salt.
    pub salt: String,
    /// Base64 (standard) of nonce (12) ‖ sealed key (32 + 16-byte tag).
    pub sealed_key: String,
    /// Public fingerprint of the data key: equal ids mean the secrets can be kept as they are.
    pub key_id: String,
}

/// The one algorithm a key wrap may name.
pub const KEY_WRAP_ALGORITHM: &str = "argon2id/aes-256-gcm";
/// Bounds for a key wrap's Argon2id parameters (read from a file, hence untrusted): checked
/// before any key derivation. Argon2 itself needs at least 8 KiB per lane.
pub const KEY_WRAP_MAX_MEMORY_KIB: u32 = 262_144;
pub const KEY_WRAP_MAX_ITERATIONS: u32 = 16;
pub const KEY_WRAP_MAX_PARALLELISM: u32 = 4;
pub const KEY_WRAP_SALT_LEN: std::ops::RangeInclusive<usize> = 8..=64;
/// nonce (12) ‖ sealed 32-byte key ‖ tag (16).
pub const KEY_WRAP_SEALED_LEN: usize = 12 + 32 + 16;

impl KeyWrap {
    /// Checks every field against the documented bounds, without deriving anything. `Err` names
    /// the field and what is wrong with it: a wrap that fails here is damaged or forged, which
    /// is not the same as a password that does not open it.
    pub fn check(&self) -> Result<(), String> {
        use base64::Engine;
        if self.algorithm != KEY_WRAP_ALGORITHM {
            return Err(format!("its algorithm is {:?}; the only one Tracker Tracker knows is {KEY_WRAP_ALGORITHM:?}", self.algorithm));
        }
        if !(1..=KEY_WRAP_MAX_PARALLELISM).contains(&self.parallelism) {
            return Err(format!("it asks for Argon2id parallelism {}; allowed are 1 to {KEY_WRAP_MAX_PARALLELISM}", self.parallelism));
        }
        let min_memory = 8 * self.parallelism;
        if !(min_memory..=KEY_WRAP_MAX_MEMORY_KIB).contains(&self.memory_kib) {
            return Err(format!(
                "it asks for {} KiB of memory to derive its key; allowed are {min_memory} to {KEY_WRAP_MAX_MEMORY_KIB} KiB",
                self.memory_kib
            ));
        }
        if !(1..=KEY_WRAP_MAX_ITERATIONS).contains(&self.iterations) {
            return Err(format!("it asks for {} Argon2id iterations; allowed are 1 to {KEY_WRAP_MAX_ITERATIONS}", self.iterations));
        }
        let b64 = base64::engine::general_purpose::STANDARD;
        match b64.decode(&self.salt) {
            Err(_) => return Err("its salt is not valid base64".into()),
            Ok(salt) if !KEY_WRAP_SALT_LEN.contains(&salt.len()) => {
                return Err(format!(
                    "its salt is {} bytes long; allowed are {} to {} bytes",
                    salt.len(),
                    KEY_WRAP_SALT_LEN.start(),
                    KEY_WRAP_SALT_LEN.end()
                ))
            }
            Ok(_) => {}
        }
        match b64.decode(&self.sealed_key) {
            Err(_) => return Err("its sealed key is not valid base64".into()),
            Ok(k) if k.len() != KEY_WRAP_SEALED_LEN => {
                return Err(format!("its sealed key is {} bytes long instead of {KEY_WRAP_SEALED_LEN}", k.len()))
            }
            Ok(_) => {}
        }
        if self.key_id.len() != 32 || !self.key_id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err("its key id is not 32 lowercase hexadecimal digits".into());
        }
        Ok(())
    }
}

/// The kind of a backup file, from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FileKind {
    Plain,
    Encrypted,
}

impl FileKind {
    pub fn detect(prefix: &[u8]) -> FileKind {
        if encrypted::looks_encrypted(prefix) {
            FileKind::Encrypted
        } else {
            FileKind::Plain
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            FileKind::Plain => "json",
            FileKind::Encrypted => "ttbak",
        }
    }
}

pub use name::file_name;
pub use open::open;

/// Why a backup file was refused. Messages are for people.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("This file is not JSON ({0}). Choose a .json or .ttbak backup made by Tracker Tracker.")]
    NotJson(String),
    #[error("This file is JSON, but not a Tracker Tracker backup (it has no backup header).")]
    NotABackup,
    #[error("This backup was made by a newer version of Tracker Tracker (format version {found}; this version reads up to {supported}). Update Tracker Tracker, then restore it.")]
    NewerVersion { found: u32, supported: u32 },
    #[error("The backup file ends early: it is incomplete (perhaps a download or copy was cut short).")]
    Truncated,
    /// Nothing but (at most) blank space: told apart from a file cut short, which has a start.
    #[error(
        "The backup file is empty: it holds no data at all (perhaps a download or copy failed before it began). Choose another copy of the backup."
    )]
    Empty,
    /// One header field that does not parse: its path, its value as written, and why.
    #[error("The backup's header is invalid: {field} is {value}, {problem}.")]
    HeaderField { field: String, value: String, problem: String },
    #[error("The backup's structure is wrong: {0}")]
    Structure(String),
    #[error("The backup's key wrap (the part that opens its secrets) is damaged or forged: {0}. The file is refused; nothing was changed.")]
    KeyWrap(String),
    #[error("The header says {section} has {expected} record(s), but the file holds {found}. The file was changed or damaged.")]
    CountMismatch { section: &'static str, expected: u64, found: u64 },
    #[error("{section}, record {index}{id}: {message}")]
    Record { section: &'static str, index: u64, id: String, message: String },
    #[error(transparent)]
    Encrypted(#[from] encrypted::TtbakError),
    #[error("could not read the backup: {0}")]
    Io(String),
    /// The file (or the disk under it) failed while it was being read: a server fault, kept typed.
    #[error("The backup could not be read: {}", read_problem(*kind))]
    ReadFailed { kind: std::io::ErrorKind },
}

/// A sentence for an I/O failure while reading a backup that is already open.
fn read_problem(kind: std::io::ErrorKind) -> &'static str {
    use std::io::ErrorKind as K;
    match kind {
        K::PermissionDenied => "the server is not allowed to read the file",
        K::NotFound => "the file was removed while it was being read",
        K::IsADirectory => "it is a directory, not a file",
        K::Interrupted | K::TimedOut => "reading it was interrupted",
        _ => "the disk or filesystem reported an error while reading it",
    }
}

impl FormatError {
    pub fn record(section: Section, index: u64, id: Option<i64>, message: impl Into<String>) -> FormatError {
        FormatError::Record { section: section.key(), index, id: id.map(|i| format!(" (id {i})")).unwrap_or_default(), message: message.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_sections() {
        let t = chrono::DateTime::parse_from_rfc3339("2026-11-24T03:00:05Z").unwrap().with_timezone(&chrono::Utc);
        assert_eq!(file_name(t, FileKind::Plain), "tracker-tracker-backup-20261124T030005Z.json");
        assert_eq!(file_name(t, FileKind::Encrypted), "tracker-tracker-backup-20261124T030005Z.ttbak");
        for s in Section::ALL {
            assert_eq!(Section::from_key(s.key()), Some(s));
        }
        let json = serde_json::to_value(Counts::default()).unwrap();
        let keys: Vec<_> = json.as_object().unwrap().keys().cloned().collect();
        let mut expected: Vec<_> = Section::ALL.iter().map(|s| s.key().to_string()).collect();
        expected.sort();
        let mut keys_sorted = keys.clone();
        keys_sorted.sort();
        assert_eq!(keys_sorted, expected, "every section has a count");
    }
}
