//! Encrypted (.ttbak) backups through the real HTTP API and the CLI: round trips, fresh salts,
//! and every kind of damage refused with its own message while the database stays unchanged.

use crate::common::*;
use app::backup_format::encrypted::parse_header;
use app::domain::sample;
use serde_json::Value;

const BACKUP_PW: &str = "backup password 77";

async fn export(srv: &TestServer, password: Option<&str>) -> Vec<u8> {
    let form: Vec<(&str, &str)> = password.map(|p| vec![("password", p)]).unwrap_or_default();
    let res = srv.client.post(format!("{}/api/backup/export", srv.url)).form(&form).send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.bytes().await.unwrap().to_vec()
}

async fn restore(srv: &TestServer, file: Vec<u8>, fields: &[(&str, &str)]) -> Result<Value, CallError> {
    let mut form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(file).file_name("b.ttbak"));
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    TestServer::decode(srv.client.post(format!("{}/api/backup/restore", srv.url)).multipart(form).send().await.unwrap()).await
}

/// An instance big enough for its encrypted backup to span several 64 KiB chunks.
async fn big(dir: &tempfile::TempDir) -> TestServer {
    let srv = TestServer::start(dir).await;
    srv.setup(PASSWORD).await;
    sample::fill(&srv.state).await.unwrap();
    sqlx::query(
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 40000)
         INSERT INTO tracker_snapshots (id, tracker_id, polled_at, uploaded_bytes, downloaded_bytes, ratio, seeding_count, warned, is_manual)
         SELECT 1000 + x, 1 + x % 3, '2025-01-01T00:00:00.000Z', (x * 7919) % 1000003 * 1000, (x * 104729) % 999983 * 700, x * 0.001, x % 97, 0, 0 FROM n",
    )
    .execute(&srv.state.db)
    .await
    .unwrap();
    srv
}

fn plain_of(file: &[u8], password: &str) -> Vec<u8> {
    use std::io::Read;
    let mut r = app::backup_format::encrypted::TtbakReader::new(file, password.as_bytes()).unwrap();
    let mut out = Vec::new();
    r.read_to_end(&mut out).unwrap();
    out
}

#[tokio::test]
async fn encrypted_round_trip_same_and_fresh_instance() {
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let src = big(&d1).await;
    let file = export(&src, Some(BACKUP_PW)).await;
    assert!(file.starts_with(b"\x89TTBAK\r\n"));
    // The clear header holds no counts and no instance URL.
    let parsed = parse_header(&file).unwrap().unwrap();
    let clear = String::from_utf8_lossy(&file[..parsed.header_len_total]).to_string();
    assert!(!clear.contains("counts") && !clear.contains("tt.example") && !clear.contains("created_at"), "{clear}");
    // No secret, no salt, no plaintext anywhere in the bytes.
    for s in sample::SECRETS.iter().chain(sample::TRANSIENT.iter()) {
        assert!(!file.windows(s.len()).any(|w| w == s.as_bytes()));
    }
    let plain = export(&src, None).await;

    // Same instance, after changes.
    sqlx::query("DELETE FROM trackers WHERE id = 2").execute(&src.state.db).await.unwrap();
    let e = restore(&src, file.clone(), &[("current_password", PASSWORD)]).await.unwrap_err();
    assert!(e.message.contains("encrypted: enter its backup password"), "{}", e.message);
    let r = restore(&src, file.clone(), &[("current_password", PASSWORD), ("backup_password", BACKUP_PW)]).await.unwrap();
    assert_eq!(r["same_key"], true);
    let after = export(&src, None).await;
    assert_eq!(records(&plain), records(&after));

    // A fresh instance with the same login password.
    let dst = TestServer::start(&d2).await;
    dst.setup(PASSWORD).await;
    let r = restore(&dst, file, &[("current_password", PASSWORD), ("backup_password", BACKUP_PW)]).await.unwrap();
    assert_eq!(r["secrets_cleared"], 0);
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM tracker_snapshots").fetch_one(&dst.state.db).await.unwrap();
    assert_eq!(n, 40060);
}

fn records(bytes: &[u8]) -> Vec<app::backup_format::records::Record> {
    let mut v = Vec::new();
    app::backup_format::plain::read(bytes, |item| {
        if let app::backup_format::plain::Item::Record(r) = item {
            v.push(r);
        }
        Ok(())
    })
    .unwrap();
    v
}

#[tokio::test]
async fn two_encrypted_exports_differ_and_decrypt_to_equal_payloads() {
    let (state, _dir) = app::domain::testing_state().await;
    sample::fill(&state).await.unwrap();
    let at = chrono::Utc::now();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let pw = || Some(zeroize::Zeroizing::new(BACKUP_PW.to_string()));
    app::domain::backup::export::export(&state, pw(), at, &mut a).await.unwrap();
    app::domain::backup::export::export(&state, pw(), at, &mut b).await.unwrap();
    assert_ne!(a, b, "fresh salt and nonces per file");
    let (ha, hb) = (parse_header(&a).unwrap().unwrap(), parse_header(&b).unwrap().unwrap());
    assert_ne!(ha.header.kdf.salt, hb.header.kdf.salt);
    assert_eq!(plain_of(&a, BACKUP_PW), plain_of(&b, BACKUP_PW));
}

#[tokio::test]
async fn damaged_encrypted_backups_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let srv = big(&dir).await;
    let file = export(&srv, Some(BACKUP_PW)).await;
    let start = parse_header(&file).unwrap().unwrap().header_len_total;
    let chunk = 64 * 1024 + 16;
    let chunks = (file.len() - start).div_ceil(chunk);
    assert!(chunks >= 3, "the test needs at least three chunks, got {chunks}");
    let flip = |at: usize| {
        let mut f = file.clone();
        f[at] ^= 0x04;
        f
    };
    let swapped = {
        let mut f = file.clone();
        let (a, b) = (start, start + chunk);
        let first: Vec<u8> = f[a..a + chunk].to_vec();
        let second: Vec<u8> = f[b..b + chunk].to_vec();
        f[a..a + chunk].copy_from_slice(&second);
        f[b..b + chunk].copy_from_slice(&first);
        f
    };
    // A header asking for 4 GiB of memory, with a correct checksum (so only the bound stops it).
    let absurd = {
        let text = String::from_utf8_lossy(&file[12..start - 64]).to_string();
        let big = text.replacen(&format!("\"memory_kib\":{},", COSTS.backup_file.memory_kib), "\"memory_kib\":4194304,", 1);
        assert_ne!(big, text);
        let mut f = b"\x89TTBAK\r\n".to_vec();
        f.extend_from_slice(&(big.len() as u32).to_be_bytes());
        f.extend_from_slice(big.as_bytes());
        use sha2::Digest;
        let sum = sha2::Sha256::digest(&f);
        f.extend_from_slice(&sum);
        f.extend_from_slice(&[0u8; 32]);
        f.extend_from_slice(&file[start..]);
        f
    };
    let last_chunk = format!("chunk {}", chunks - 1);
    type Case<'a> = (&'a str, Vec<u8>, &'a [(&'a str, &'a str)], &'a str);
    let cases: Vec<Case> = vec![
        ("no backup password", file.clone(), &[], "encrypted: enter its backup password"),
        ("wrong backup password", file.clone(), &[("backup_password", "not the password")], "The backup password is wrong."),
        ("truncated at a chunk boundary", file[..start + chunk].to_vec(), &[("backup_password", BACKUP_PW)], "ends early"),
        ("truncated in a chunk", file[..file.len() - 5000].to_vec(), &[("backup_password", BACKUP_PW)], "cut short"),
        ("bit flip in the clear header", flip(20), &[("backup_password", BACKUP_PW)], "header is damaged"),
        ("bit flip in the first chunk", flip(start + 100), &[("backup_password", BACKUP_PW)], "chunk 0"),
        ("bit flip in the last chunk", flip(file.len() - 20), &[("backup_password", BACKUP_PW)], &last_chunk),
        ("two chunks swapped", swapped, &[("backup_password", BACKUP_PW)], "chunk 0"),
        ("absurd Argon2 memory", absurd, &[("backup_password", BACKUP_PW)], "256 MiB"),
    ];
    for (name, bytes, extra, expected) in cases {
        let before = digest(&srv.data_dir, &[]).await;
        let mut fields = vec![("current_password", PASSWORD)];
        fields.extend_from_slice(extra);
        let t = std::time::Instant::now();
        let e = restore(&srv, bytes, &fields).await.unwrap_err();
        assert_eq!(e.status, 400, "{name}: {}", e.message);
        assert!(e.message.contains(expected), "{name}: got {:?}, expected {expected:?}", e.message);
        assert_eq!(digest(&srv.data_dir, &[]).await, before, "{name}: the database changed");
        if name == "absurd Argon2 memory" {
            assert!(t.elapsed() < std::time::Duration::from_secs(5), "refused before deriving anything");
        }
    }
}

#[tokio::test]
async fn inspect_decrypts_and_verifies_a_ttbak() {
    let dir = tempfile::tempdir().unwrap();
    let srv = big(&dir).await;
    let file = export(&srv, Some(BACKUP_PW)).await;
    let path = dir.path().join("b.ttbak");
    std::fs::write(&path, &file).unwrap();
    let pw = dir.path().join("pw.txt");
    std::fs::write(&pw, format!("{BACKUP_PW}\n")).unwrap();
    let run = |pwfile: Option<&std::path::Path>, f: &std::path::Path| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_tracker-tracker"));
        c.args(["backup", "inspect"]).arg(f);
        if let Some(p) = pwfile {
            c.arg("--password-file").arg(p);
        }
        c.output().unwrap()
    };
    let out = run(Some(&pw), &path);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The test server's cheap costs (8 KiB, one pass); production files say "m=64 MiB t=3 p=1".
    assert!(stdout.contains("encrypted .ttbak") && stdout.contains("Argon2id m=8 KiB t=1 p=1"), "{stdout}");
    assert!(stdout.contains("40060") && stdout.contains("every encrypted chunk authenticated"), "{stdout}");
    let out = run(None, &path);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--password-file"));
    let mut damaged = file.clone();
    let n = damaged.len();
    damaged[n - 30] ^= 1;
    let bad = dir.path().join("bad.ttbak");
    std::fs::write(&bad, damaged).unwrap();
    let out = run(Some(&pw), &bad);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("integrity check"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test]
async fn encrypted_restore_into_an_instance_with_another_password() {
    let (d1, d2, d3) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let src = TestServer::start(&d1).await;
    src.setup(PASSWORD).await;
    sample::fill(&src.state).await.unwrap();
    let file = export(&src, Some(BACKUP_PW)).await;
    let other = "another password 42";
    let with = TestServer::start(&d2).await;
    with.setup(other).await;
    let r = restore(
        &with,
        file.clone(),
        &[("current_password", other), ("backup_password", BACKUP_PW), ("source_password", PASSWORD), ("totp", "take_backup")],
    )
    .await
    .unwrap();
    assert_eq!(r["secrets_cleared"], 0, "{r}");
    assert_eq!(r["totp_disabled"], false);
    let s = app::domain::settings::load(&with.state.db).await.unwrap();
    let token: (String,) = sqlx::query_as("SELECT api_token_enc FROM trackers WHERE id = 1").fetch_one(&with.state.db).await.unwrap();
    assert_eq!(with.state.keys.open(app::domain::secrets::purpose::TRACKER_API_TOKEN, &token.0).unwrap().as_str(), sample::SECRETS[0]);
    assert!(s.totp_enabled);

    let without = TestServer::start(&d3).await;
    without.setup(other).await;
    let r = restore(&without, file, &[("current_password", other), ("backup_password", BACKUP_PW), ("totp", "take_backup")]).await.unwrap();
    assert_eq!(r["secrets_kept"], 0);
    assert_eq!(r["totp_disabled"], true);
    let (enabled,): (bool,) = sqlx::query_as("SELECT enabled FROM download_clients WHERE id = 1").fetch_one(&without.state.db).await.unwrap();
    assert!(!enabled);
}
