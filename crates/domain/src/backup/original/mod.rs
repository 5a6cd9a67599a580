//! Restoring backups made by the **original** Tracker Tracker (the Node.js app, 1.7 to 2.8.9;
//! reader in `crates/original-backup`, mapping in docs/import-original.md).
//!
//! Design: the original file is converted, streaming, into a temporary **native** plain backup
//! in the upload directory, which is then handed to the native restore unchanged. So an import
//! gets every guarantee a native restore has, from the same code: the whole file validated
//! before anything changes, one transaction, the pre-restore backup (undo), the failed-login
//! counter reset, the login password and sessions kept, 2FA by the person's choice, secrets
//! translated and cleared owners disabled with the native sentences.
//!
//! Secrets: the original's are opened with its login password (the current one is tried first,
//! then `source_password`) and sealed under a fresh data key whose key wrap, in the temporary
//! file, is sealed under a random password that lives only in memory for this request; the native
//! restore opens that wrap as a cross-instance backup's and re-seals every value under this
//! instance's key. A secret that cannot be carried is sealed under a key nobody keeps, so the
//! native restore clears it. The original's instance salt only derives its key.

pub mod convert;
pub mod fields;

use super::disk::FsRole;
use crate::secrets::{DataKey, KdfParams, KeyWrapCrypto, PortableKeyWrap, SecretError};
use convert::{Converter, KeyFrom, SectionOut};
pub use original_backup::Sniffed;
use original_backup::{ReadReport, Section as OSection};
use std::collections::HashMap;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use tt_core::backup_format::{Header, Section, FORMAT_ID, FORMAT_VERSION};
use tt_core::model::backup::{FieldNotCarried, OriginalCountMismatch, OriginalReport, OriginalSecrets, OriginalSection};
use zeroize::Zeroizing;

/// The reader's error (the app maps its variants to fields).
pub use original_backup::Error as ReadError;

/// Why an original file cannot be imported. `backup::BackupError` turns the password cases into
/// its own (the same 400s as a native restore's).
#[derive(Debug, thiserror::Error)]
pub enum OriginalError {
    /// The original's file is damaged, incomplete, or breaks its rules; or a password is wrong
    /// (the reader's sentence).
    #[error(transparent)]
    Read(ReadError),
    /// A `.ttbak` without its backup password.
    #[error("This backup is encrypted: enter its backup password.")]
    BackupPasswordNeeded,
    /// A file or directory of the import failed (the kind stays typed; `BackupError::Fs` says it).
    #[error("{}", super::disk::io_problem(*kind, *role, Some(path)))]
    Fs { role: FsRole, path: PathBuf, kind: std::io::ErrorKind },
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// The file could not be converted for a reason of the server.
    #[error("the import could not prepare its temporary file: {0}")]
    Prepare(String),
}

impl OriginalError {
    fn fs(role: FsRole, path: &Path, e: &std::io::Error) -> OriginalError {
        OriginalError::Fs { role, path: path.to_path_buf(), kind: e.kind() }
    }
}

/// How many leading bytes recognise an original file.
const SNIFF_LEN: usize = original_backup::sniff::SNIFF_LEN;

/// Recognises an original backup from the first bytes of `path`. `Ok(None)`: not one (a native
/// backup, or anything else: the native restore then says what it is).
pub fn detect(path: &Path) -> Result<Option<Sniffed>, OriginalError> {
    let mut f = std::fs::File::open(path).map_err(|e| OriginalError::fs(FsRole::BackupFile, path, &e))?;
    let mut prefix = Vec::with_capacity(SNIFF_LEN);
    (&mut f).take(SNIFF_LEN as u64).read_to_end(&mut prefix).map_err(|e| OriginalError::fs(FsRole::BackupFile, path, &e))?;
    match original_backup::sniff(&prefix) {
        Ok(s) => Ok(Some(s)),
        Err(ReadError::NotOriginalBackup { .. } | ReadError::NeedMoreBytes) => Ok(None),
        Err(e) => Err(OriginalError::Read(e)),
    }
}

fn prepare_error(what: &str, e: impl std::fmt::Display) -> OriginalError {
    OriginalError::Prepare(format!("{what}: {e}"))
}

/// The native sections' JSON lines, one temporary file each (the original's section order
/// differs from the native one, so the native file is assembled after the read). Flat files in
/// the upload directory, so the start-up clean-up removes them after a crash.
struct SectionFiles {
    files: HashMap<Section, (BufWriter<std::fs::File>, tempfile::TempPath, u64)>,
}

impl SectionFiles {
    fn new(parent: &Path) -> std::io::Result<Self> {
        let mut files = HashMap::new();
        for s in Section::ALL.into_iter().filter(|s| *s != Section::Settings) {
            let (file, path) = tempfile::Builder::new().prefix("import-section-").tempfile_in(parent)?.into_parts();
            files.insert(s, (BufWriter::with_capacity(64 * 1024, file), path, 0));
        }
        Ok(SectionFiles { files })
    }
}

impl SectionOut for SectionFiles {
    fn line(&mut self, section: Section, json: &[u8]) -> std::io::Result<()> {
        let Some((w, _, n)) = self.files.get_mut(&section) else { return Err(std::io::Error::other("no file for this section")) };
        // The native plain writer's layout: one record per line (see tt_core::backup_format::plain).
        w.write_all(if *n == 0 { b"\n" } else { b",\n" })?;
        w.write_all(json)?;
        *n += 1;
        Ok(())
    }
}

/// An original file converted to a temporary native one.
pub struct Prepared {
    /// The native plain backup (deleted when dropped).
    pub native: tempfile::TempPath,
    /// Opens the native file's key wrap; only in memory.
    pub wrap_password: Zeroizing<String>,
    pub report: OriginalReport,
}

/// What the import needs besides the file.
pub struct Passwords {
    pub current: Zeroizing<String>,
    pub source: Option<Zeroizing<String>>,
    pub backup: Option<Zeroizing<String>>,
}

/// Decrypts (a `.ttbak`, to a temporary file whose tag is checked before anything is parsed),
/// reads and converts the original file at `path` into a temporary native plain backup in
/// `work_dir`.
pub fn prepare(path: &Path, sniffed: &Sniffed, pw: &Passwords, work_dir: &Path) -> Result<Prepared, OriginalError> {
    std::fs::create_dir_all(work_dir).map_err(|e| OriginalError::fs(FsRole::UploadDir, work_dir, &e))?;
    let fs_upload = |e: std::io::Error| OriginalError::fs(FsRole::UploadDir, work_dir, &e);
    let encrypted = matches!(sniffed, Sniffed::Encrypted(_));
    // The decrypted payload, when the file is a .ttbak (deleted when dropped).
    let payload_temp = if encrypted { Some(decrypt_to_temp(path, pw.backup.as_ref(), work_dir)?) } else { None };
    let payload_path: PathBuf = payload_temp.as_ref().map(|t| t.to_path_buf()).unwrap_or_else(|| path.to_path_buf());

    let mut passwords = vec![(KeyFrom::CurrentPassword, pw.current.clone())];
    if let Some(s) = &pw.source {
        passwords.push((KeyFrom::SourcePassword, s.clone()));
    }
    let fresh = DataKey::generate();
    let wrap_password = Zeroizing::new(DataKey::generate().key_id());
    // The wrap's password is random and never leaves memory: the KDF's cost adds nothing.
    let costs = KdfParams { memory_kib: 8, iterations: 1, parallelism: 1 };
    let wrap = PortableKeyWrap::create(&wrap_password, &fresh, costs)?;
    let files = SectionFiles::new(work_dir).map_err(fs_upload)?;
    let mut conv = Converter::new(files, passwords, fresh);
    let input = std::fs::File::open(&payload_path).map_err(|e| OriginalError::fs(FsRole::BackupFile, &payload_path, &e))?;
    let read = original_backup::read(input, &mut conv).map_err(OriginalError::Read)?;
    drop(payload_temp);

    let report = build_report(&conv, &read, encrypted);
    let header = Header {
        format: FORMAT_ID.to_string(),
        format_version: FORMAT_VERSION,
        app_version: read.manifest.app_version.clone().unwrap_or_else(|| "unknown".into()),
        created_at: read.manifest.created_at,
        instance_url: read.manifest.instance_url.clone(),
        counts: conv.counts.clone(),
    };
    let settings = conv.settings.clone().ok_or_else(|| prepare_error("the settings", "missing after the read"))?;
    let files = conv.into_out();
    let native = assemble(files, &header, &wrap, &settings, work_dir).map_err(fs_upload)?;
    Ok(Prepared { native, wrap_password, report })
}

/// Decrypts an original `.ttbak` to a temporary file in `work_dir`; it returns only once the
/// GCM tag is verified, so nothing unauthenticated is ever parsed.
fn decrypt_to_temp(path: &Path, backup_password: Option<&Zeroizing<String>>, work_dir: &Path) -> Result<tempfile::TempPath, OriginalError> {
    let fs_work = |e: std::io::Error| OriginalError::fs(FsRole::UploadDir, work_dir, &e);
    let backup_pw = backup_password.ok_or(OriginalError::BackupPasswordNeeded)?;
    let input = std::fs::File::open(path).map_err(|e| OriginalError::fs(FsRole::BackupFile, path, &e))?;
    let temp = tempfile::Builder::new().prefix("import-payload-").tempfile_in(work_dir).map_err(fs_work)?;
    let (file, temp_path) = temp.into_parts();
    let mut out = BufWriter::with_capacity(256 * 1024, file);
    original_backup::decrypt(std::io::BufReader::with_capacity(256 * 1024, input), backup_pw, &mut out, |_| {}).map_err(OriginalError::Read)?;
    out.flush().map_err(fs_work)?;
    Ok(temp_path)
}

/// Reads and converts an original file without writing anything but a `.ttbak`'s decrypted
/// payload (in `work_dir`, removed again) and without opening its secrets: the report of what
/// an import would carry (`tracker-tracker backup inspect`).
pub fn inspect(
    path: &Path,
    sniffed: &Sniffed,
    backup_password: Option<&Zeroizing<String>>,
    work_dir: &Path,
) -> Result<OriginalReport, OriginalError> {
    let encrypted = matches!(sniffed, Sniffed::Encrypted(_));
    let payload_temp = if encrypted { Some(decrypt_to_temp(path, backup_password, work_dir)?) } else { None };
    let payload_path: PathBuf = payload_temp.as_ref().map(|t| t.to_path_buf()).unwrap_or_else(|| path.to_path_buf());
    let input = std::fs::File::open(&payload_path).map_err(|e| OriginalError::fs(FsRole::BackupFile, &payload_path, &e))?;
    let mut conv = Converter::new(convert::Discard, Vec::new(), DataKey::generate());
    let read = original_backup::read(input, &mut conv).map_err(OriginalError::Read)?;
    Ok(build_report(&conv, &read, encrypted))
}

/// What reading an original file whole found (a file of the storage directory being added to
/// the history, or verified there).
#[derive(Debug, Clone, PartialEq)]
pub struct OriginalCheck {
    /// When the original made it: the manifest's `createdAt`, or the envelope's for a `.ttbak`.
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub encrypted: bool,
    /// Records read and checked (settings included); None: a `.ttbak` without its password,
    /// whose contents were not read.
    pub records: Option<u64>,
    pub app_version: Option<String>,
}

impl OriginalCheck {
    /// For the history's "verified" column, after `hash_note` ("SHA-256 matches"…).
    pub fn message(&self, hash_note: &str) -> String {
        let made = match &self.app_version {
            Some(v) => format!("a backup of the original Tracker Tracker {v}"),
            None => "a backup of the original Tracker Tracker".to_string(),
        };
        match self.records {
            Some(n) => format!(
                "{hash_note}; {made}: {n} records read and checked as the import reads them{}.",
                if self.encrypted { ", its encryption tag verified" } else { "" }
            ),
            None => format!(
                "{hash_note}; {made}, encrypted. The contents were not decrypted: no backup password was given or stored (enter it to check them)."
            ),
        }
    }
}

/// Reads an original file whole as the import does (a `.ttbak` decrypted to a temporary file in
/// `work_dir`, its tag checked; every record validated), without opening its secrets or keeping
/// anything. A `.ttbak` without `backup_password` is only recognised.
pub fn check(path: &Path, sniffed: &Sniffed, backup_password: Option<&Zeroizing<String>>, work_dir: &Path) -> Result<OriginalCheck, OriginalError> {
    let (created_at, encrypted, app_version) = match sniffed {
        Sniffed::Plain(m) => (m.created_at, false, m.app_version.clone()),
        Sniffed::Encrypted(h) => (h.created_at, true, None),
    };
    if encrypted && backup_password.is_none() {
        return Ok(OriginalCheck { created_at, encrypted, records: None, app_version });
    }
    std::fs::create_dir_all(work_dir).map_err(|e| OriginalError::fs(FsRole::UploadDir, work_dir, &e))?;
    let report = inspect(path, sniffed, backup_password, work_dir)?;
    let records = 1 + report.sections.iter().map(|s| s.in_file).sum::<u64>();
    Ok(OriginalCheck { created_at, encrypted, records: Some(records), app_version: report.app_version.or(app_version) })
}

/// Writes the native plain backup: header, key wrap, settings, then each section's lines.
fn assemble(
    files: SectionFiles,
    header: &Header,
    wrap: &PortableKeyWrap,
    settings: &tt_core::backup_format::records::SettingsRecord,
    work_dir: &Path,
) -> std::io::Result<tempfile::TempPath> {
    let temp = tempfile::Builder::new().prefix("import-native-").suffix(".json").tempfile_in(work_dir)?;
    let (file, path) = temp.into_parts();
    let mut out = BufWriter::with_capacity(256 * 1024, file);
    out.write_all(b"{\"header\":")?;
    serde_json::to_writer(&mut out, header)?;
    out.write_all(b",\n\"key_wrap\":")?;
    serde_json::to_writer(&mut out, wrap)?;
    out.write_all(b",\n\"settings\":")?;
    serde_json::to_writer(&mut out, settings)?;
    let SectionFiles { mut files } = files;
    for s in Section::ALL.into_iter().filter(|s| *s != Section::Settings) {
        let (w, section_path, _) = files.remove(&s).ok_or_else(|| std::io::Error::other("a section file is missing"))?;
        drop(w.into_inner().map_err(|e| e.into_error())?);
        write!(out, ",\n\"{}\":[", s.key())?;
        std::io::copy(&mut std::fs::File::open(&section_path)?, &mut out)?;
        // Disk: each section's lines are dropped once copied.
        drop(section_path);
        out.write_all(b"\n]")?;
    }
    out.write_all(b"\n}\n")?;
    out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    Ok(path)
}

fn native_key(s: OSection) -> &'static str {
    match s {
        OSection::Trackers => Section::Trackers.key(),
        OSection::TrackerSnapshots => Section::TrackerSnapshots.key(),
        OSection::TrackerRoles => Section::TrackerRoles.key(),
        OSection::DownloadClients => Section::DownloadClients.key(),
        OSection::TagGroups => Section::TagGroups.key(),
        OSection::TagGroupMembers => Section::TagGroupMembers.key(),
        OSection::ClientSnapshots => Section::ClientSnapshots.key(),
        OSection::ClientUptimeBuckets => Section::ClientUptimeBuckets.key(),
        OSection::DismissedAlerts => Section::DismissedAlerts.key(),
        OSection::NotificationTargets => Section::NotificationTargets.key(),
    }
}

/// The backup codes' part of the 2FA sentence, once the secret opened.
fn codes_sentence(fate: convert::CodesFate) -> String {
    match fate {
        convert::CodesFate::Carried { unused, used, malformed } => {
            let mut s = format!(
                "Its backup codes are carried: the {unused} unused one{} work{} here too, once each, in place of an authenticator code",
                if unused == 1 { "" } else { "s" },
                if unused == 1 { "s" } else { "" }
            );
            if used > 0 {
                s.push_str(&format!("; the {used} already used in the original stay unusable"));
            }
            if malformed > 0 {
                s.push_str(&format!("; {malformed} damaged one{} could not be carried", if malformed == 1 { "" } else { "s" }));
            }
            s.push_str(if unused == 0 { ". None is left: make new ones in Settings → Security after the import." } else { "." });
            s
        }
        convert::CodesFate::NoneInFile => "It had no backup codes: make some in Settings → Security after the import.".into(),
        convert::CodesFate::NotCarried => {
            "Its backup codes could not be carried (damaged in the file): make new ones in Settings → Security after the import.".into()
        }
    }
}

fn build_report<O: SectionOut>(conv: &Converter<O>, read: &ReadReport, encrypted: bool) -> OriginalReport {
    let skipped = conv.skipped();
    let sections = OSection::ALL
        .into_iter()
        .filter_map(|s| {
            let in_file = *read.counts.get(&s)?;
            let carried = conv.carried.get(&s).copied().unwrap_or(0);
            Some(OriginalSection {
                section: s.name().into(),
                here: Some(native_key(s).into()),
                in_file,
                carried,
                skipped: in_file - carried.min(in_file),
            })
        })
        .collect();
    let present = |section: &str| section == "settings" || OSection::from_name(section).is_some_and(|s| read.counts.contains_key(&s));
    let mut not_carried: Vec<FieldNotCarried> = fields::NOT_CARRIED
        .iter()
        .filter(|f| present(f.section))
        .map(|f| FieldNotCarried {
            section: f.section.into(),
            field: f.field.into(),
            records: if f.field == "encryptionSalt" { 1 } else { conv.not_carried.get(&(f.section, f.field)).copied().unwrap_or(0) },
            fate: f.fate.into(),
            unknown: false,
        })
        .collect();
    for ((section, field), n) in &read.unknown_fields {
        not_carried.push(FieldNotCarried {
            section: section.clone(),
            field: field.clone(),
            records: *n,
            fate: "not carried: this importer does not know this field (a newer original, or an edited file); skipped".into(),
            unknown: true,
        });
    }
    let opened_with = match conv.key_from() {
        Some(KeyFrom::CurrentPassword) => "current_password",
        Some(KeyFrom::SourcePassword) => "source_password",
        None if conv.key_unavailable() => "none",
        None => "no_secrets",
    };
    let totp = match (conv.totp_in_file, conv.settings.as_ref().is_some_and(|s| s.totp.enabled)) {
        (false, _) => "Two-factor login was off in the original: there is none to carry.".to_string(),
        (true, true) if conv.key_from().is_some() => format!(
            "The original's two-factor secret opened and is carried: with “take the backup's” (totp = take_backup) the same authenticator app works here. {}",
            codes_sentence(conv.totp_codes)
        ),
        (true, _) => "The original's two-factor login cannot be carried without its login password: it is off if you take the backup's (this instance's stays as it is by default). Its backup codes are not carried either: new ones are needed (Settings → Security, once two-factor login is on here).".to_string(),
    };
    let mut behaviour = vec!["The original never checks its manifest's counts; the counts here are what the file really holds.".to_string()];
    if conv.weekly_schedule {
        behaviour.push("Weekly scheduled backups ran on Sundays at 03:00 in the original; here they run on Mondays at 03:00.".into());
    }
    if conv.storage_path_defaulted {
        behaviour.push(format!(
            "The original wrote its backups to {} when no storage path was set: that path is taken, and checked on this server like any restored path (see the warnings).",
            convert::ORIGINAL_DEFAULT_STORAGE
        ));
    }
    if conv.submilli_times > 0 {
        behaviour.push(format!(
            "This app keeps times to the millisecond, as the original writes them: {} timestamp(s) in this file were finer than that and are rounded down to the millisecond.",
            conv.submilli_times
        ));
    }
    behaviour.push("The original's retention counted manual exports too; here it counts the backups in the history.".into());
    if conv.proxy_trackers > 0 && conv.settings.as_ref().is_some_and(|st| !st.general.proxy_enabled) {
        behaviour.push(format!(
            "{} tracker(s) are set to use the proxy, which is off: the original did not poll such a tracker without its proxy; here it connects directly while the proxy is off (turn it on in Settings → General, or turn off “Use the proxy” on the tracker).",
            conv.proxy_trackers
        ));
    }
    if conv.undelivered_targets > 0 {
        behaviour.push(format!(
            "The original sent notifications to its Discord targets only; here its {} other target(s) (Gotify, Telegram, Slack, email) deliver too: try each with “Send test”.",
            conv.undelivered_targets
        ));
    }
    OriginalReport {
        app_version: read.manifest.app_version.clone(),
        created_at: read.manifest.created_at,
        instance_url: read.manifest.instance_url.clone(),
        encrypted,
        sections,
        skipped,
        count_mismatches: read
            .count_mismatches()
            .into_iter()
            .map(|m| OriginalCountMismatch { section: m.key, manifest: m.manifest, actual: m.actual })
            .collect(),
        secrets: OriginalSecrets {
            opened_with: opened_with.into(),
            carried: conv.secrets_carried,
            cleared: conv.secrets_cleared,
            empty_in_file: conv.secrets_empty,
            not_carried: conv.secrets_not_carried,
        },
        totp,
        not_carried,
        unknown_top_level_keys: read.unknown_top_level_keys.clone(),
        adjusted: conv.adjusted(),
        behaviour,
    }
}

#[cfg(test)]
mod tests;
