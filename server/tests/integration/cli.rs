//! `tracker-tracker backup inspect`, run as a process.

use crate::common::*;
use std::process::Command;

fn inspect(file: &std::path::Path, password_file: Option<&std::path::Path>) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tracker-tracker"));
    cmd.args(["backup", "inspect"]).arg(file).env("RUST_LOG", "warn");
    if let Some(p) = password_file {
        cmd.arg("--password-file").arg(p);
    }
    let out = cmd.output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

#[tokio::test]
async fn inspect_prints_counts_and_refuses_damaged_files() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(&dir).await;
    srv.setup(PASSWORD).await;
    app::domain::sample::fill(&srv.state).await.unwrap();
    let res = srv.client.post(format!("{}/api/backup/export", srv.url)).send().await.unwrap();
    let bytes = res.bytes().await.unwrap().to_vec();
    let good = dir.path().join("good.json");
    std::fs::write(&good, &bytes).unwrap();

    let (code, stdout, stderr) = inspect(&good, None);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("Format:      tracker-tracker-backup version 1"), "{stdout}");
    assert!(stdout.contains("Tracker snapshots (upload/download history)") && stdout.contains("60"), "{stdout}");
    assert!(stdout.contains("Verified:    all 94 records"), "{stdout}");

    let truncated = dir.path().join("cut.json");
    std::fs::write(&truncated, &bytes[..bytes.len() - 100]).unwrap();
    let (code, _, stderr) = inspect(&truncated, None);
    assert_eq!(code, 1);
    assert!(stderr.contains("ends early"), "{stderr}");

    let text = String::from_utf8(bytes).unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, text.replacen("\"port\":8080", "\"port\":70000", 1)).unwrap();
    let (code, _, stderr) = inspect(&bad, None);
    assert_eq!(code, 1);
    assert!(stderr.contains("download_clients, record 0 (id 1)") && stderr.contains("70000"), "{stderr}");

    // A key wrap out of bounds is a damaged file here too, named before any key derivation.
    let forged = dir.path().join("forged.json");
    let asked = format!("\"memory_kib\":{},", COSTS.portable.memory_kib);
    assert!(text.contains(&asked), "the key wrap is where the test expects it");
    std::fs::write(&forged, text.replacen(&asked, "\"memory_kib\":4194304,", 1)).unwrap();
    let (code, _, stderr) = inspect(&forged, None);
    assert_eq!(code, 1);
    assert!(stderr.contains("key wrap") && stderr.contains("4194304 KiB"), "{stderr}");

    let (code, _, stderr) = inspect(&dir.path().join("missing.json"), None);
    assert_eq!(code, 1);
    assert!(stderr.contains("cannot open"), "{stderr}");
}

/// `backup inspect` names the problem: an empty file, a .ttbak cut short (not a record that
/// happened to be in the decoder), a missing file (a sentence, not the OS's words).
#[tokio::test]
async fn inspect_names_empty_cut_and_missing_files() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(&dir).await;
    srv.setup(PASSWORD).await;
    app::domain::sample::fill(&srv.state).await.unwrap();

    let empty = dir.path().join("empty.json");
    std::fs::write(&empty, b"").unwrap();
    let (code, _, stderr) = inspect(&empty, None);
    assert_eq!(code, 1);
    assert_eq!(
        stderr.trim_end(),
        format!("tracker-tracker: {}: The backup file is empty: it holds no data at all (perhaps a download or copy failed before it began). Choose another copy of the backup.", empty.display())
    );

    let res = srv.client.post(format!("{}/api/backup/export", srv.url)).form(&[("password", "backup password 1")]).send().await.unwrap();
    let bytes = res.bytes().await.unwrap().to_vec();
    let pw = dir.path().join("pw.txt");
    std::fs::write(&pw, "backup password 1\n").unwrap();
    let cut = dir.path().join("cut.ttbak");
    std::fs::write(&cut, &bytes[..bytes.len() - 20]).unwrap();
    let (code, _, stderr) = inspect(&cut, Some(&pw));
    assert_eq!(code, 1);
    let prefix = format!("tracker-tracker: {}: The end of the backup is missing or damaged: its last chunk 0 (starting at byte ", cut.display());
    assert!(stderr.starts_with(&prefix), "{stderr}");
    assert!(!stderr.contains("record"), "{stderr}");

    let missing = dir.path().join("missing.json");
    let (code, _, stderr) = inspect(&missing, None);
    assert_eq!(code, 1);
    assert_eq!(stderr.trim_end(), format!("tracker-tracker: cannot open {}: the backup file does not exist (check the path).", missing.display()));
}

/// `backup inspect` recognises the original Tracker Tracker's files: plain and .ttbak (with
/// its password), version, date, real counts against the manifest's, what would not be carried.
#[tokio::test]
async fn inspect_original_plain_and_ttbak() {
    use original_backup::writer::{self, Options, Vintage};
    let dir = tempfile::tempdir().unwrap();
    let v = Vintage::V2_8_9;
    let inst = writer::generate(v, 3, 4, 2);
    let mut counts = std::collections::BTreeMap::new();
    counts.insert("trackerSnapshots".to_string(), 13);
    let mut plain = Vec::new();
    writer::write_plain(&mut plain, &inst, v, "login", &Options { counts_override: Some(counts), ..Options::default() }).unwrap();
    let json = dir.path().join("original.json");
    std::fs::write(&json, &plain).unwrap();
    let (code, stdout, stderr) = inspect(&json, None);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("the original Tracker Tracker (Node.js), version 2.8.9"), "{stdout}");
    assert!(stdout.contains("Created:     2026-02-05T00:00:00.123+00:00"), "{stdout}");
    assert!(stdout.contains("says 13 for trackerSnapshots, the file holds 12"), "{stdout}");
    assert!(stdout.contains("trackers.avatarData (3):"), "{stdout}");
    assert!(!stdout.contains("trackers.useProxy"), "carried now: {stdout}");
    // Every target is carried, Slack and email included.
    assert!(stdout.lines().any(|l| l.split_whitespace().eq(["notificationTargets", "5", "5", "0"])), "{stdout}");
    assert!(!stdout.contains("notificationTargets.type"), "{stdout}");

    let mut ttbak = Vec::new();
    let salt = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";
    writer::write_ttbak(&mut ttbak, &inst, v, "login", "bk-pw", salt, inst.created_at, [3; 12], &Options::default()).unwrap();
    let enc = dir.path().join("original.ttbak");
    std::fs::write(&enc, &ttbak).unwrap();
    let (code, _, stderr) = inspect(&enc, None);
    assert_eq!(code, 1);
    assert!(stderr.contains("--password-file"), "{stderr}");
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "bk-pw\n").unwrap();
    let (code, stdout, stderr) = inspect(&enc, Some(&pw));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("encrypted .ttbak") && stdout.contains("trackerSnapshots                   12           12          0"), "{stdout}");
    std::fs::write(&pw, "wrong\n").unwrap();
    let (code, _, stderr) = inspect(&enc, Some(&pw));
    assert_eq!(code, 1);
    assert!(stderr.contains("wrong backup password"), "{stderr}");
}
