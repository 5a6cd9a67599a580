//! Writes the original-format files the browser tests choose on the Backups page
//! (end2end/tests/06-original-preview.spec.ts), with the test-only writer:
//!
//! ```text
//! cargo run -p original-backup --features writer --example e2e_fixtures -- end2end/fixtures
//! ```
//!
//! The files are deterministic (fixed seed, salts and IVs), so running this again rewrites
//! them byte for byte; they are committed so that the browser tests need no Rust step.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use original_backup::writer::{self, Options, Vintage};

/// The login password of the original instance the files come from (seals its secrets).
const LOGIN_PASSWORD: &str = "original login pw 1";
/// The backup password of the `.ttbak`.
const BACKUP_PASSWORD: &str = "original backup pw 1";
/// The `.ttbak`'s own salt (the original draws one per file; fixed here for reproducibility).
const ENVELOPE_SALT: &str = "5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed";

fn create(dir: &Path, name: &str) -> Result<BufWriter<File>, String> {
    let path = dir.join(name);
    File::create(&path).map(BufWriter::new).map_err(|e| format!("cannot create {}: {e}", path.display()))
}

fn run(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let opts = Options::default();

    // A 2.8.9 plain backup: every field of the latest release.
    let plain = writer::generate(Vintage::V2_8_9, 3, 24, 14);
    let mut out = create(dir, "original-2.8.9.json")?;
    writer::write_plain(&mut out, &plain, Vintage::V2_8_9, LOGIN_PASSWORD, &opts).map_err(|e| e.to_string())?;
    out.flush().map_err(|e| e.to_string())?;

    // A 2.3.0 encrypted backup, with other counts than the plain one.
    let enc = writer::generate(Vintage::V2_3, 4, 48, 15);
    let at = Utc.with_ymd_and_hms(2026, 2, 5, 4, 0, 0).single().ok_or("a valid time")?;
    let mut out = create(dir, "original-2.3.0.ttbak")?;
    writer::write_ttbak(&mut out, &enc, Vintage::V2_3, LOGIN_PASSWORD, BACKUP_PASSWORD, ENVELOPE_SALT, at, [7; 12], &opts)
        .map_err(|e| e.to_string())?;
    out.flush().map_err(|e| e.to_string())?;
    Ok(())
}

fn main() {
    let dir = std::env::args_os().nth(1).map(PathBuf::from).unwrap_or_else(|| PathBuf::from("end2end/fixtures"));
    if let Err(e) = run(&dir) {
        eprintln!("e2e_fixtures: {e}");
        std::process::exit(1);
    }
    println!("wrote the original-format fixtures into {}", dir.display());
}
