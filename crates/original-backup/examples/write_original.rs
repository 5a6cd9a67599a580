//! Writes an original-format backup (plain `.json` and `.ttbak`) of a generated instance with
//! the test-only writer, for benchmarks (scripts/bench.sh) and for trying the import by hand:
//!
//! ```text
//! cargo run --release -p original-backup --features writer --example write_original -- \
//!     --out DIR [--trackers 40] [--per-tracker 25000] [--vintage 2.8.9] \
//!     [--login-password P] [--backup-password P] [--storage-path PATH]
//! ```
//!
//! The default is the 1M-snapshot instance (40 trackers × 25 000 hourly snapshots, plus the
//! writer's few records of every other section, 2FA on with `writer::TEST_TOTP_SECRET`).
//! Snapshots are generated while writing, so memory stays small whatever the count. Writes
//! `original-<version>.json` and `original-<version>.ttbak` into DIR and prints their paths
//! and sizes.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use original_backup::writer::{self, Instance, Options, Vintage};

/// The `.ttbak`'s salt (the original draws one per file; fixed so the file is reproducible).
const ENVELOPE_SALT: &str = "be9cbe9cbe9cbe9cbe9cbe9cbe9cbe9cbe9cbe9cbe9cbe9cbe9cbe9cbe9cbe9c";

struct Args {
    out: PathBuf,
    trackers: usize,
    per_tracker: usize,
    vintage: Vintage,
    login_password: String,
    backup_password: String,
    storage_path: Option<String>,
}

const USAGE: &str = "usage: write_original --out DIR [--trackers N] [--per-tracker N] [--vintage 1.7.0|2.3.0|2.8.9] \
                     [--login-password P] [--backup-password P] [--storage-path PATH]";

fn parse() -> Result<Args, String> {
    let mut a = Args {
        out: PathBuf::new(),
        trackers: 40,
        per_tracker: 25_000,
        vintage: Vintage::V2_8_9,
        login_password: "original login pw 1".into(),
        backup_password: "original backup pw 1".into(),
        storage_path: None,
    };
    let mut out = None;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"));
        let number = |v: String| v.parse::<usize>().map_err(|_| format!("{flag}: {v:?} is not a whole number"));
        match flag.as_str() {
            "--out" => out = Some(PathBuf::from(value()?)),
            "--trackers" => a.trackers = number(value()?)?,
            "--per-tracker" => a.per_tracker = number(value()?)?,
            "--vintage" => {
                let v = value()?;
                a.vintage = Vintage::ALL
                    .into_iter()
                    .find(|x| x.app_version() == v || x.app_version().trim_end_matches(".0") == v)
                    .ok_or_else(|| format!("--vintage: {v:?} is not one of 1.7.0, 2.3.0, 2.8.9"))?;
            }
            "--login-password" => a.login_password = value()?,
            "--backup-password" => a.backup_password = value()?,
            "--storage-path" => a.storage_path = Some(value()?),
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    a.out = out.ok_or_else(|| format!("--out is required\n{USAGE}"))?;
    if a.trackers == 0 {
        return Err("--trackers must be at least 1".into());
    }
    Ok(a)
}

fn create(path: &Path) -> Result<BufWriter<File>, String> {
    File::create(path).map(|f| BufWriter::with_capacity(1 << 20, f)).map_err(|e| format!("cannot create {}: {e}", path.display()))
}

fn finish(mut out: BufWriter<File>, path: &Path) -> Result<u64, String> {
    out.flush().map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    std::fs::metadata(path).map(|m| m.len()).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn run(a: &Args) -> Result<(), String> {
    std::fs::create_dir_all(&a.out).map_err(|e| format!("cannot create {}: {e}", a.out.display()))?;
    let mut inst: Instance = writer::generate_large(a.vintage, a.trackers, a.per_tracker, 1);
    if let Some(p) = &a.storage_path {
        inst.settings.backup_storage_path = Some(p.clone());
    }
    let opts = Options::default();
    let version = a.vintage.app_version();
    let snapshots = a.trackers * a.per_tracker;

    let path = a.out.join(format!("original-{version}.json"));
    let t = Instant::now();
    let mut out = create(&path)?;
    writer::write_plain(&mut out, &inst, a.vintage, &a.login_password, &opts).map_err(|e| e.to_string())?;
    let size = finish(out, &path)?;
    println!("{}\t{size}\t{snapshots} snapshots\t{:.1} s", path.display(), t.elapsed().as_secs_f64());

    let path = a.out.join(format!("original-{version}.ttbak"));
    let t = Instant::now();
    let mut out = create(&path)?;
    writer::write_ttbak(&mut out, &inst, a.vintage, &a.login_password, &a.backup_password, ENVELOPE_SALT, inst.created_at, [9; 12], &opts)
        .map_err(|e| e.to_string())?;
    let size = finish(out, &path)?;
    println!("{}\t{size}\t{snapshots} snapshots\t{:.1} s", path.display(), t.elapsed().as_secs_f64());
    Ok(())
}

fn main() {
    let result = parse().and_then(|a| run(&a));
    if let Err(e) = result {
        eprintln!("write_original: {e}");
        std::process::exit(2);
    }
}
