//! Backup file names: `tracker-tracker-backup-YYYYMMDDTHHMMSSZ[-N].json|ttbak`, made here and
//! parsed here (the stamp is the backup's creation time; `-N` tells apart two made in the same
//! second).

use super::FileKind;
use chrono::{DateTime, Utc};

const PREFIX: &str = "tracker-tracker-backup-";
const STAMP: &str = "%Y%m%dT%H%M%SZ";

/// `tracker-tracker-backup-20261124T030000Z.json` / `.ttbak`.
pub fn file_name(created_at: DateTime<Utc>, kind: FileKind) -> String {
    format!("{PREFIX}{}.{}", created_at.format(STAMP), kind.extension())
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
    let rest = name.strip_prefix(PREFIX)?;
    let (stem, ext) = rest.rsplit_once('.')?;
    let kind = match ext {
        "json" => FileKind::Plain,
        "ttbak" => FileKind::Encrypted,
        _ => return None,
    };
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
