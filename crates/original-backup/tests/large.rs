//! A million-snapshot original backup, written, decrypted and read with bounded memory.
//! Ignored by default (minutes in the dev profile); run it optimised:
//!   cargo test --release -p original-backup --test large -- --ignored --nocapture

use std::io::{BufReader, BufWriter, Seek};
use std::time::Instant;

use original_backup::read::Discard;
use original_backup::writer::{self, Options, Vintage};

/// Peak resident set of this process (Linux), in MiB.
fn peak_rss_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    Some(line.split_whitespace().nth(1)?.parse::<u64>().ok()? / 1024)
}

#[test]
#[ignore]
fn a_million_snapshots_with_bounded_memory() {
    let inst = writer::generate_large(Vintage::V2_8_9, 40, 25_000, 1);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.ttbak");
    let t = Instant::now();
    let f = std::fs::File::create(&path).unwrap();
    writer::write_ttbak(
        BufWriter::new(f),
        &inst,
        Vintage::V2_8_9,
        "login",
        "backup",
        writer::TEST_INSTANCE_SALT,
        inst.created_at,
        [1; 12],
        &Options::default(),
    )
    .unwrap();
    let size = std::fs::metadata(&path).unwrap().len();
    eprintln!("wrote {} MB in {:?}, peak RSS {:?} MiB", size / 1_000_000, t.elapsed(), peak_rss_mib());

    let t = Instant::now();
    let mut plain = tempfile::tempfile().unwrap();
    let done = {
        let mut out = BufWriter::new(&mut plain);
        original_backup::decrypt(BufReader::new(std::fs::File::open(&path).unwrap()), "backup", &mut out, |_| {}).unwrap()
    };
    eprintln!("decrypted {} MB in {:?}, peak RSS {:?} MiB", done.plaintext_len / 1_000_000, t.elapsed(), peak_rss_mib());

    let t = Instant::now();
    plain.rewind().unwrap();
    let report = original_backup::read(plain, &mut Discard).unwrap();
    eprintln!(
        "read {} snapshots in {:?}, peak RSS {:?} MiB",
        report.counts[&original_backup::Section::TrackerSnapshots],
        t.elapsed(),
        peak_rss_mib()
    );
    assert_eq!(report.counts[&original_backup::Section::TrackerSnapshots], 1_000_000);
    assert!(report.count_mismatches().is_empty());
    if let Some(peak) = peak_rss_mib() {
        assert!(peak < 150, "peak RSS {peak} MiB");
    }
}
