//! Backup file names: `tracker-tracker-backup-YYYYMMDDTHHMMSSZ[-N].json|ttbak`, made here and
//! parsed here (the stamp is the backup's creation time; `-N` tells apart two made in the same
//! second); and the names the original Tracker Tracker gives its backups, recognised
//! ([`parse_original`]) so such files found in the storage directory can be restored.

use super::FileKind;
use chrono::{DateTime, Utc};

const PREFIX: &str = "tracker-tracker-backup-";
const STAMP: &str = "%Y%m%dT%H%M%SZ";

/// `tracker-tracker-backup-20261124T030000Z.json` / `.ttbak`.
pub fn file_name(created_at: DateTime<Utc>, kind: FileKind) -> String {
    format!("{PREFIX}{}.{}", created_at.format(STAMP), kind.extension())
}

/// `tracker-tracker-backup-<stem>.json|ttbak` → the stem and the kind its extension names (both
/// apps use that prefix and those extensions).
fn stem_and_kind(name: &str) -> Option<(&str, FileKind)> {
    let (stem, ext) = name.strip_prefix(PREFIX)?.rsplit_once('.')?;
    match ext {
        "json" => Some((stem, FileKind::Plain)),
        "ttbak" => Some((stem, FileKind::Encrypted)),
        _ => None,
    }
}

/// What a backup name says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupName {
    pub kind: FileKind,
    /// The stamp as a time; None for digits that are no date (`20261399T…`), which still make a
    /// well-formed name.
    pub created_at: Option<DateTime<Utc>>,
}

/// The parts of one of this app's backup names; None for any other name (`.partial`, `..`,
/// other extensions, a malformed stamp or copy number).
pub fn parse(name: &str) -> Option<BackupName> {
    let (stem, kind) = stem_and_kind(name)?;
    let (stamp, copy) = match stem.split_once('-') {
        Some((a, b)) => (a, Some(b)),
        None => (stem, None),
    };
    let b = stamp.as_bytes();
    let stamp_ok = b.len() == 16 && b[..8].iter().all(u8::is_ascii_digit) && b[8] == b'T' && b[9..15].iter().all(u8::is_ascii_digit) && b[15] == b'Z';
    let copy_ok = copy.is_none_or(|s| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()));
    if !(stamp_ok && copy_ok) {
        return None;
    }
    let created_at = chrono::NaiveDateTime::parse_from_str(stamp, STAMP).ok().map(|t| t.and_utc());
    Some(BackupName { kind, created_at })
}

/// True for names this app gives its backups.
pub fn is_backup_file_name(name: &str) -> bool {
    parse(name).is_some()
}

/// What the name of a backup written by the **original** Tracker Tracker (the Node.js app) says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OriginalName {
    /// By the extension; the file's first bytes decide (the original's browser download names an
    /// encrypted backup `.json` too).
    pub kind: FileKind,
    /// The stamp as a time, for the names that carry one.
    pub created_at: Option<DateTime<Utc>>,
}

/// The names the original gives its backups (none of them one of this app's): written to its
/// storage path, `tracker-tracker-backup-2026-04-10T03-00-00-123Z.json|ttbak` (`toISOString()`
/// with `:` and `.` made `-`; export route, backup-scheduler.ts), and downloaded by the browser,
/// `tracker-tracker-backup-<digits>.json` (`Date.now()` or the history id; BackupsSection.tsx).
pub fn parse_original(name: &str) -> Option<OriginalName> {
    let (stem, kind) = stem_and_kind(name)?;
    let b = stem.as_bytes();
    let shape = b"dddd-dd-ddTdd-dd-dd-dddZ";
    let stamped = b.len() == shape.len() && shape.iter().zip(b).all(|(s, c)| if *s == b'd' { c.is_ascii_digit() } else { c == s });
    if stamped {
        let created_at = chrono::NaiveDateTime::parse_from_str(&stem[..23], "%Y-%m-%dT%H-%M-%S-%3f").ok().map(|t| t.and_utc());
        return Some(OriginalName { kind, created_at });
    }
    let downloaded = kind == FileKind::Plain && (1..=20).contains(&b.len()) && b.iter().all(u8::is_ascii_digit);
    downloaded.then_some(OriginalName { kind, created_at: None })
}

/// True for names the original app gives its backups.
pub fn is_original_file_name(name: &str) -> bool {
    parse_original(name).is_some()
}

/// A name a stored backup file may have: this app's or the original's.
pub fn is_stored_file_name(name: &str) -> bool {
    is_backup_file_name(name) || is_original_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn backup_names() {
        assert!(is_backup_file_name("tracker-tracker-backup-20261124T030000Z.json"));
        assert!(is_backup_file_name("tracker-tracker-backup-20261124T030000Z-2.ttbak"));
        for bad in [
            "tracker-tracker-backup-20261124T030000Z.json.partial",
            ".tracker-tracker-backup-20261124T030000Z.json.partial",
            "tracker-tracker-backup-../../etc/passwd.json",
            "tracker-tracker-backup-20261124T030000Z.txt",
            "notes.json",
            "tracker-tracker-backup-2026112T030000Z.json",
            "tracker-tracker-backup-20261124T030000Z-.json",
        ] {
            assert!(!is_backup_file_name(bad), "{bad}");
        }
    }

    #[test]
    fn original_names() {
        let at = Utc.with_ymd_and_hms(2026, 4, 10, 3, 0, 0).single().expect("valid time") + chrono::Duration::milliseconds(123);
        let stamped = parse_original("tracker-tracker-backup-2026-04-10T03-00-00-123Z.ttbak").expect("the original's name");
        assert_eq!(stamped, OriginalName { kind: FileKind::Encrypted, created_at: Some(at) });
        assert_eq!(parse_original("tracker-tracker-backup-2026-04-10T03-00-00-123Z.json").map(|n| n.kind), Some(FileKind::Plain));
        assert_eq!(parse_original("tracker-tracker-backup-1775790000123.json"), Some(OriginalName { kind: FileKind::Plain, created_at: None }));
        assert!(is_original_file_name("tracker-tracker-backup-7.json"));
        for bad in [
            "tracker-tracker-backup-20261124T030000Z.json",
            "tracker-tracker-backup-2026-04-10T03:00:00.123Z.json",
            "tracker-tracker-backup-2026-04-10T03-00-00-123Z.json.partial",
            "tracker-tracker-backup-2026-04-10T03-00-00Z.json",
            "tracker-tracker-backup-1775790000123.ttbak",
            "tracker-tracker-backup-.json",
            "tracker-tracker-backup-../../x.json",
            "backup-2026-04-10T03-00-00-123Z.json",
            "notes.json",
        ] {
            assert!(!is_original_file_name(bad), "{bad}");
        }
        // Digits that are no date still make a well-formed name.
        assert_eq!(parse_original("tracker-tracker-backup-2026-13-10T03-00-00-123Z.json").map(|n| n.created_at), Some(None));
        assert!(is_stored_file_name("tracker-tracker-backup-20261124T030000Z.json") && is_stored_file_name("tracker-tracker-backup-7.json"));
    }

    #[test]
    fn a_made_name_parses_back_to_its_time_and_kind() {
        let at = Utc.with_ymd_and_hms(2026, 11, 24, 3, 0, 0).single().expect("valid time");
        for kind in [FileKind::Plain, FileKind::Encrypted] {
            let name = file_name(at, kind);
            assert_eq!(parse(&name), Some(BackupName { kind, created_at: Some(at) }));
            let copy = name.replace("Z.", "Z-3.");
            assert_eq!(parse(&copy), Some(BackupName { kind, created_at: Some(at) }));
        }
        assert_eq!(file_name(at, FileKind::Encrypted), "tracker-tracker-backup-20261124T030000Z.ttbak");
        let odd = parse("tracker-tracker-backup-20261399T030000Z.json").expect("well-formed");
        assert_eq!(odd.created_at, None);
    }
}
