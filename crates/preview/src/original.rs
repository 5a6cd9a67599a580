//! Recognising a backup of the **original** Tracker Tracker (the Node.js app) before anything is
//! uploaded: a plain `.json` from the manifest at its start, a `.ttbak` (a JSON envelope) by
//! decrypting it with `original_backup`, the code the server uses.

use crate::{Detected, FileKind, OriginalPreview, PreviewError, Progress, Timed};
use original_backup::envelope::{self, EnvelopeDecryptor, HeaderParse};
use original_backup::{sniff, Error, Section, Sniffed};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How many leading bytes [`detect`] needs: enough for the original's manifest or envelope
/// header, and for this app's magic.
pub const DETECT_LEN: usize = original_backup::sniff::SNIFF_LEN;

/// What the page shows of an original backup's manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always 1 (anything else is refused).
    pub version: u64,
    /// package.json's version, e.g. "2.8.9".
    pub app_version: Option<String>,
    pub instance_url: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// As the original wrote them (it never checks them against the records).
    pub counts: BTreeMap<String, u64>,
}

impl From<original_backup::records::Manifest> for Manifest {
    fn from(m: original_backup::records::Manifest) -> Self {
        Manifest { version: m.version, app_version: m.app_version, instance_url: m.instance_url, created_at: m.created_at, counts: m.counts }
    }
}

fn previewed(kind: FileKind, manifest: original_backup::records::Manifest, decrypted_bytes: Option<u64>) -> OriginalPreview {
    OriginalPreview { kind, manifest: manifest.into(), decrypted_bytes, timing: None }
}

/// Recognises the maker of a file from its first bytes (`whole`: they are the whole file).
/// A file that is recognisably the original's but cannot be read is an error that says why.
pub fn detect(prefix: &[u8], whole: bool) -> Result<Detected, PreviewError> {
    if FileKind::detect(prefix) == FileKind::Encrypted {
        return Ok(Detected::ThisApp(FileKind::Encrypted));
    }
    match sniff(prefix) {
        Ok(Sniffed::Plain(manifest)) => Ok(Detected::OriginalPlain(previewed(FileKind::Plain, manifest, None))),
        Ok(Sniffed::Encrypted(_)) => Ok(Detected::OriginalEncrypted),
        // Not the original's: this app's reader says what it is (or why it is no backup).
        Err(Error::NotOriginalBackup { .. }) => Ok(Detected::ThisApp(FileKind::Plain)),
        // A prefix shorter than DETECT_LEN that ends inside the manifest is a cut file.
        Err(Error::NeedMoreBytes) if whole => Ok(Detected::ThisApp(FileKind::Plain)),
        Err(Error::NeedMoreBytes) => Err(PreviewError::general("The start of the file could not be read in full; choose it again.")),
        Err(e) => {
            Err(PreviewError::general(format!("This looks like a backup of the original Tracker Tracker, but it cannot be read: {}", sentence(&e))))
        }
    }
}

/// Decrypts and authenticates a whole original `.ttbak`, in slices, and reads its manifest from
/// the verified start. A wrong password is an error on the field `backup_password`, known after
/// the first slice.
pub(crate) fn decrypt_file(file: &mut Timed<'_>, head: &[u8], password: &str, progress: &mut dyn Progress) -> Result<OriginalPreview, PreviewError> {
    progress.progress(0.0);
    let t = progress.now_ms();
    let mut decrypt = OriginalDecrypt::new(head, password)?;
    let kdf_ms = progress.now_ms() - t;
    file.stream(0, progress, |part| decrypt.push(part))?;
    let mut preview = decrypt.finish()?;
    preview.timing = Some(file.timing(kdf_ms, progress));
    Ok(preview)
}

/// An original `.ttbak` being decrypted: fed the whole file, slice by slice.
#[derive(Debug)]
pub struct OriginalDecrypt {
    decryptor: EnvelopeDecryptor,
}

impl OriginalDecrypt {
    /// Reads the envelope's clear header from the first bytes of the file (`head`, at least
    /// [`DETECT_LEN`] or the whole file) and derives the key from `password`: scrypt
    /// (N = 2^14, r = 8, p = 1, about 16 MiB), the one slow step, done here once.
    pub fn new(head: &[u8], password: &str) -> Result<Self, PreviewError> {
        let header = match envelope::parse_header(head).map_err(file_error)? {
            HeaderParse::Done { header, .. } => header,
            HeaderParse::NeedMore => return Err(PreviewError::general("The file ends inside its header: it is incomplete.")),
        };
        let key = envelope::derive_backup_key(password, &header).map_err(decrypt_error)?;
        Ok(OriginalDecrypt { decryptor: EnvelopeDecryptor::with_key(key) })
    }

    /// The next bytes of the file, from its first byte on. A wrong password shows within the
    /// first slice (the payload's first bytes are known).
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), PreviewError> {
        // Only the manifest is needed here, and the decryptor keeps the first 64 KiB of
        // plaintext itself: the rest is discarded, so memory stays small for any file size.
        self.decryptor.push(chunk, &mut std::io::sink()).map_err(decrypt_error)
    }

    /// After the last byte: the tag is checked, then the manifest is read from the verified
    /// start of the payload.
    pub fn finish(self) -> Result<OriginalPreview, PreviewError> {
        let done = self.decryptor.finish(&mut std::io::sink()).map_err(decrypt_error)?;
        match sniff(&done.prefix) {
            Ok(Sniffed::Plain(manifest)) => Ok(previewed(FileKind::Encrypted, manifest, Some(done.plaintext_len))),
            Ok(Sniffed::Encrypted(_)) => {
                Err(PreviewError::general("The decrypted backup is itself an encrypted envelope, which the original app never writes."))
            }
            Err(Error::NeedMoreBytes) => Err(PreviewError::general("The decrypted backup ends inside its manifest: it is incomplete.")),
            Err(e) => Err(PreviewError::general(format!("The backup was decrypted, but its content cannot be read: {}", sentence(&e)))),
        }
    }
}

/// A password error sits at the password field; anything else is about the file.
fn decrypt_error(e: Error) -> PreviewError {
    match e {
        Error::WrongBackupPassword => PreviewError::at(
            "backup_password",
            "The backup password is wrong: this backup of the original Tracker Tracker does not open with it. Enter the backup password that was set in the original app.",
        ),
        Error::BackupPasswordMissing | Error::BackupPasswordTooLong => PreviewError::at("backup_password", sentence(&e)),
        e => file_error(e),
    }
}

fn file_error(e: Error) -> PreviewError {
    PreviewError::general(sentence(&e))
}

/// The crate's messages are clauses ("wrong backup password: …"); on the page they stand
/// alone, so they start with a capital and end with a full stop.
fn sentence(e: &Error) -> String {
    let text = e.to_string();
    let mut chars = text.chars();
    let mut s: String = chars.next().map(|c| c.to_uppercase().collect::<String>()).unwrap_or_default();
    s.push_str(chars.as_str());
    if !s.ends_with(['.', '?', '!']) {
        s.push('.');
    }
    s
}

/// One line of the manifest's counts, as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountRow {
    /// The original's key (`trackerSnapshots`), for tests to find the line.
    pub key: String,
    pub label: String,
    pub count: u64,
}

fn label(section: Section) -> &'static str {
    match section {
        Section::Trackers => "Trackers",
        Section::TrackerSnapshots => "Tracker snapshots",
        Section::TrackerRoles => "Tracker roles",
        Section::DownloadClients => "Download clients",
        Section::TagGroups => "Tag groups",
        Section::TagGroupMembers => "Tag group members",
        Section::ClientSnapshots => "Client snapshots",
        Section::ClientUptimeBuckets => "Client uptime buckets",
        Section::DismissedAlerts => "Dismissed alerts",
        Section::NotificationTargets => "Notification targets",
    }
}

/// The manifest's counts in the original's section order, then any key this reader does not
/// know under its own name (older files lack the sections added later: not shown).
pub fn count_rows(manifest: &Manifest) -> Vec<CountRow> {
    let known = Section::ALL
        .into_iter()
        .filter_map(|s| manifest.counts.get(s.name()).map(|&count| CountRow { key: s.name().into(), label: label(s).into(), count }));
    let unknown = manifest.counts.iter().filter(|(k, _)| Section::from_name(k).is_none()).map(|(k, &count)| CountRow {
        key: k.clone(),
        label: k.clone(),
        count,
    });
    known.chain(unknown).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use original_backup::writer::{self, Options, Vintage};

    const LOGIN: &str = "login pw";
    const BACKUP_PW: &str = "backup pw ✓";
    const SALT: &str = "00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff";

    fn plain(v: Vintage) -> Vec<u8> {
        let mut out = Vec::new();
        writer::write_plain(&mut out, &writer::generate(v, 2, 5, 1), v, LOGIN, &Options::default()).expect("written");
        out
    }

    fn ttbak(v: Vintage) -> Vec<u8> {
        let at = chrono::Utc.with_ymd_and_hms(2026, 3, 1, 2, 0, 0).single().expect("a valid time");
        let mut out = Vec::new();
        writer::write_ttbak(&mut out, &writer::generate(v, 2, 5, 1), v, LOGIN, BACKUP_PW, SALT, at, [3; 12], &Options::default()).expect("written");
        out
    }

    fn head(file: &[u8]) -> &[u8] {
        &file[..file.len().min(DETECT_LEN)]
    }

    /// Feeds the file in slices of `step` bytes, as the browser does.
    fn decrypt(file: &[u8], password: &str, step: usize) -> Result<OriginalPreview, PreviewError> {
        let mut d = OriginalDecrypt::new(head(file), password)?;
        for chunk in file.chunks(step) {
            d.push(chunk)?;
        }
        d.finish()
    }

    #[test]
    fn a_plain_original_is_previewed_from_its_start() {
        let file = plain(Vintage::V2_8_9);
        let Detected::OriginalPlain(p) = detect(head(&file), false).expect("recognised") else { panic!("not recognised as the original's") };
        assert_eq!(p.kind, FileKind::Plain);
        assert_eq!(p.decrypted_bytes, None);
        assert_eq!(p.manifest.app_version.as_deref(), Some("2.8.9"));
        assert_eq!(p.manifest.instance_url.as_deref(), Some("https://tt.example.org"));
        let rows = count_rows(&p.manifest);
        assert_eq!(rows[0], CountRow { key: "trackers".into(), label: "Trackers".into(), count: 2 });
        assert_eq!(rows[1], CountRow { key: "trackerSnapshots".into(), label: "Tracker snapshots".into(), count: 10 });
        assert_eq!(rows.len(), 10, "every section of 2.8.9");
    }

    #[test]
    fn an_older_manifest_shows_only_its_counts_and_no_url() {
        let file = plain(Vintage::V1_7);
        let Detected::OriginalPlain(p) = detect(head(&file), false).expect("recognised") else { panic!("not recognised") };
        assert_eq!(p.manifest.instance_url, None);
        let keys: Vec<_> = count_rows(&p.manifest).into_iter().map(|r| r.key).collect();
        assert!(!keys.contains(&"notificationTargets".to_string()) && !keys.contains(&"dismissedAlerts".to_string()), "{keys:?}");
    }

    #[test]
    fn unknown_count_keys_come_last_under_their_own_name() {
        let mut counts = std::collections::BTreeMap::new();
        counts.insert("aaaNew".to_string(), 4);
        counts.insert("trackers".to_string(), 1);
        let opts = Options { counts_override: Some(counts), ..Options::default() };
        let mut file = Vec::new();
        writer::write_plain(&mut file, &writer::generate(Vintage::V2_8_9, 1, 1, 1), Vintage::V2_8_9, LOGIN, &opts).expect("written");
        let Detected::OriginalPlain(p) = detect(head(&file), false).expect("recognised") else { panic!("not recognised") };
        let rows = count_rows(&p.manifest);
        assert_eq!(rows.iter().map(|r| r.label.as_str()).collect::<Vec<_>>(), ["Trackers", "aaaNew"]);
    }

    #[test]
    fn this_apps_files_and_others_go_to_this_apps_preview() {
        let mut ttbak = tt_core::backup_format::encrypted::MAGIC.to_vec();
        ttbak.extend_from_slice(b"rest");
        assert_eq!(detect(&ttbak, true), Ok(Detected::ThisApp(FileKind::Encrypted)));
        for other in [&br#"{"header":{"format":"tracker-tracker-backup"}}"#[..], b"not json", b"", br#"{"manif"#] {
            assert_eq!(detect(other, true), Ok(Detected::ThisApp(FileKind::Plain)), "{:?}", String::from_utf8_lossy(other));
        }
        // Cut short of the whole file: read again rather than guess.
        assert!(detect(br#"{"manif"#, false).is_err());
    }

    #[test]
    fn a_broken_original_says_what_is_wrong() {
        let e = detect(br#"{"manifest":{"version":2,"createdAt":"2026-01-01T00:00:00.000Z","counts":{}},"settings":{}}"#, true).unwrap_err();
        assert_eq!(e.field, None);
        assert!(
            e.message
                .starts_with("This looks like a backup of the original Tracker Tracker, but it cannot be read: This backup uses manifest version 2"),
            "{}",
            e.message
        );
        assert!(e.message.ends_with('.'));
    }

    #[test]
    fn an_encrypted_original_opens_with_its_password_in_any_slices() {
        let file = ttbak(Vintage::V2_3);
        assert_eq!(detect(head(&file), false), Ok(Detected::OriginalEncrypted));
        for step in [1 << 20, 4096, 7] {
            let p = decrypt(&file, BACKUP_PW, step).expect("the right password");
            assert_eq!(p.kind, FileKind::Encrypted);
            assert_eq!(p.manifest.app_version.as_deref(), Some("2.3.0"));
            assert_eq!(Some(p.decrypted_bytes.expect("decrypted") as usize), Some(plain(Vintage::V2_3).len()));
            assert_eq!(count_rows(&p.manifest)[1].count, 10);
        }
    }

    #[test]
    fn a_wrong_password_is_said_at_its_field_within_the_first_slice() {
        let file = ttbak(Vintage::V2_8_9);
        let mut d = OriginalDecrypt::new(head(&file), "not the password").expect("any password derives a key");
        let e = d.push(&file[..4096]).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("backup_password"));
        assert!(e.message.starts_with("The backup password is wrong"), "{}", e.message);
        let long = "x".repeat(129);
        assert_eq!(OriginalDecrypt::new(head(&file), &long).unwrap_err().field.as_deref(), Some("backup_password"));
    }

    #[test]
    fn a_damaged_or_cut_file_is_about_the_file() {
        let file = ttbak(Vintage::V2_8_9);
        // A flipped base64 character far from the start: the key is right, the tag fails.
        let mut flipped = file.clone();
        let at = flipped.len() - 100;
        flipped[at] = if flipped[at] == b'A' { b'B' } else { b'A' };
        let e = decrypt(&flipped, BACKUP_PW, 4096).unwrap_err();
        assert_eq!(e.field, None);
        assert!(e.message.starts_with("The encrypted backup is damaged"), "{}", e.message);
        let e = decrypt(&file[..file.len() - 50], BACKUP_PW, 4096).unwrap_err();
        assert_eq!(e.field, None);
        assert!(e.message.starts_with("The backup file is incomplete"), "{}", e.message);
        let e = OriginalDecrypt::new(&file[..60], BACKUP_PW).unwrap_err();
        assert_eq!(e.message, "The file ends inside its header: it is incomplete.");
    }
}
