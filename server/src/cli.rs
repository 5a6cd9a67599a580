//! `tracker-tracker backup ...`: maintenance commands on backup files.

use app::backup_format::encrypted::TtbakReader;
use app::backup_format::{check, FileKind, FormatError, Section};
use app::domain::backup::original::{self, Sniffed};
use app::domain::backup::{io_problem, FsRole};
use clap::Subcommand;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

#[derive(Subcommand)]
pub enum BackupCommand {
    /// Print a backup's header and counts and verify the whole file (decrypting a .ttbak).
    /// Exits with status 1 when the file is damaged or cannot be opened.
    Inspect {
        /// The .json or .ttbak file.
        file: PathBuf,
        /// A file holding the backup password (for .ttbak); a trailing newline is ignored.
        #[arg(long)]
        password_file: Option<PathBuf>,
    },
}

pub async fn backup(command: BackupCommand) -> Result<(), String> {
    match command {
        BackupCommand::Inspect { file, password_file } => {
            let password = match password_file {
                Some(p) => Some(read_password(&p)?),
                None => None,
            };
            let report = tokio::task::spawn_blocking(move || inspect(&file, password)).await.map_err(|e| e.to_string())??;
            println!("{report}");
            Ok(())
        }
    }
}

fn read_password(path: &Path) -> Result<Zeroizing<String>, String> {
    let text = Zeroizing::new(
        std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the password file {}: {}.", path.display(), io_problem(e.kind(), FsRole::File, None)))?,
    );
    let pw = Zeroizing::new(text.trim_end_matches(['\n', '\r']).to_string());
    if pw.is_empty() {
        return Err(format!("the password file {} is empty", path.display()));
    }
    Ok(pw)
}

/// Reads and checks the whole file; returns the report to print.
pub fn inspect(path: &Path, password: Option<Zeroizing<String>>) -> Result<String, String> {
    let damaged = |e: FormatError| format!("{}: {e}", path.display());
    // A sentence by kind, not the OS's "No such file or directory (os error 2)".
    let cannot_open = |e: std::io::Error| format!("cannot open {}: {}.", path.display(), io_problem(e.kind(), FsRole::BackupFile, None));
    let meta = std::fs::metadata(path).map_err(cannot_open)?;
    if let Some(sniffed) = original::detect(path).map_err(|e| format!("{}: {e}", path.display()))? {
        return inspect_original(path, meta.len(), &sniffed, password);
    }
    let file = std::io::BufReader::with_capacity(256 * 1024, std::fs::File::open(path).map_err(cannot_open)?);
    let (kind, file) = app::backup_format::open(file).map_err(cannot_open)?;
    let (checked, encryption) = match kind {
        FileKind::Plain => (check::check_all(file).map_err(damaged)?, None),
        FileKind::Encrypted => {
            let pw =
                password.ok_or_else(|| format!("{} is an encrypted backup (.ttbak): give its password with --password-file FILE", path.display()))?;
            let reader = TtbakReader::new(file, pw.as_bytes()).map_err(|e| damaged(e.into()))?;
            let h = reader.header();
            let kdf = h.kdf_params();
            let memory = if kdf.memory_kib % 1024 == 0 { format!("{} MiB", kdf.memory_kib / 1024) } else { format!("{} KiB", kdf.memory_kib) };
            let line = format!(
                "AES-256-GCM STREAM, {} KiB chunks; key from Argon2id m={memory} t={} p={}",
                h.chunk_size() / 1024,
                kdf.iterations,
                kdf.parallelism
            );
            (check::check_all(reader).map_err(damaged)?, Some(line))
        }
    };
    let h = &checked.header;
    let mut out = String::new();
    let size = meta.len();
    out +=
        &format!("File:        {} ({} bytes, {})\n", path.display(), size, if kind == FileKind::Plain { "plain .json" } else { "encrypted .ttbak" });
    out += &format!("Format:      {} version {} (written by Tracker Tracker {})\n", h.format, h.format_version, h.app_version);
    out += &format!("Created:     {}\n", h.created_at.to_rfc3339());
    out += &format!("Instance:    {}\n", h.instance_url.as_deref().unwrap_or("(not recorded)"));
    if let Some(e) = encryption {
        out += &format!("Encryption:  {e}\n");
    }
    out += &format!("Secrets:     {} sealed value(s){}\n", checked.secrets.len(), if checked.key_wrap.is_some() { ", with a key wrap" } else { "" });
    out += "Counts:\n";
    for s in Section::ALL {
        out += &format!("  {:<46} {:>12}\n", s.label(), h.counts.get(s));
    }
    out += &format!(
        "Verified:    all {} records read and checked against the header{}.",
        checked.counts.total(),
        if kind == FileKind::Encrypted { "; every encrypted chunk authenticated" } else { "" }
    );
    Ok(out)
}

/// `inspect` of a backup made by the original Tracker Tracker (Node.js): read whole (a .ttbak
/// decrypted first, its tag checked), converted without opening its secrets, and told as what an
/// import would carry.
fn inspect_original(path: &Path, size: u64, sniffed: &Sniffed, password: Option<Zeroizing<String>>) -> Result<String, String> {
    let encrypted = matches!(sniffed, Sniffed::Encrypted(_));
    if encrypted && password.is_none() {
        return Err(format!(
            "{} is an encrypted backup of the original Tracker Tracker (.ttbak): give its backup password with --password-file FILE",
            path.display()
        ));
    }
    let r = original::inspect(path, sniffed, password.as_ref(), &std::env::temp_dir()).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = String::new();
    let kind = if encrypted { "encrypted .ttbak, AES-256-GCM under scrypt of its backup password; tag verified" } else { "plain .json" };
    out += &format!("File:        {} ({size} bytes, {kind})\n", path.display());
    out += &format!("Format:      the original Tracker Tracker (Node.js), version {}\n", r.app_version.as_deref().unwrap_or("(not recorded)"));
    out += &format!("Created:     {}\n", r.created_at.to_rfc3339());
    out += &format!("Instance:    {}\n", r.instance_url.as_deref().unwrap_or("(not recorded)"));
    let sealed = r.secrets.cleared + r.secrets.not_carried;
    out += &format!(
        "Secrets:     {sealed} sealed value(s), {} empty; opened only by a restore, with the original's login password\n",
        r.secrets.empty_in_file
    );
    out += "Counts (in the file / carried / skipped):\n";
    for s in &r.sections {
        out += &format!("  {:<24} {:>12} {:>12} {:>10}\n", s.section, s.in_file, s.carried, s.skipped);
    }
    for m in &r.count_mismatches {
        let n = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_else(|| "none".into());
        out += &format!(
            "Manifest:    says {} for {}, the file holds {} (the original never checks its counts)\n",
            n(m.manifest),
            m.section,
            n(m.actual)
        );
    }
    for s in &r.skipped {
        let ids = s.ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
        out += &format!("Skipped:     {} {}: {} (ids {ids})\n", s.count, s.section, s.reason);
    }
    for k in &r.unknown_top_level_keys {
        out += &format!("Unknown:     top-level member {k:?}, skipped\n");
    }
    out += "Not carried (records with a value):\n";
    for f in r.not_carried.iter().filter(|f| f.records > 0) {
        out += &format!("  {}.{} ({}): {}\n", f.section, f.field, f.records, f.fate);
    }
    for a in &r.adjusted {
        out += &format!("Adjusted:    {a}\n");
    }
    out += &format!("Two-factor:  {}\n", r.totp);
    for b in &r.behaviour {
        out += &format!("Note:        {b}\n");
    }
    out += "Verified:    every record read and converted; restore it with the Backups page or backup/restore (docs/import-original.md).";
    Ok(out)
}
