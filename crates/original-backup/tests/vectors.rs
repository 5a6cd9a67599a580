//! Walks tests/vectors/: the note's two known-answer vectors and the fail_* files.

use std::path::PathBuf;

use original_backup::envelope::{self, EnvelopeDecryptor};
use original_backup::read::{Collect, Discard};
use original_backup::records::Section;
use original_backup::{kdf, read, sniff, Error, InstanceKey, Sniffed};
use serde_json::Value;

fn vector(name: &str) -> Vec<u8> {
    let p: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "vectors", name].iter().collect();
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn json(name: &str) -> Value {
    serde_json::from_slice(&vector(name)).unwrap()
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap()
}

/// Decrypts `file` pushing `chunk` bytes at a time.
fn decrypt_chunked(file: &[u8], password: &str, chunk: usize) -> Result<(envelope::Decrypted, Vec<u8>), (Error, u64)> {
    let mut d = EnvelopeDecryptor::new(password).map_err(|e| (e, 0))?;
    let mut out = Vec::new();
    for piece in file.chunks(chunk) {
        if let Err(e) = d.push(piece, &mut out) {
            return Err((e, d.bytes_in()));
        }
    }
    let n = d.bytes_in();
    d.finish(&mut out).map(|r| (r, out)).map_err(|e| (e, n))
}

#[test]
fn secret_vector() {
    let v = json("secret.json");
    let key = InstanceKey::derive(s(&v, "loginPassword"), s(&v, "encryptionSalt")).unwrap();
    assert_eq!(hex::encode(key.key().as_bytes()), s(&v, "key"));
    assert_eq!(key.open(s(&v, "secret")).unwrap().as_str(), s(&v, "plaintext"));
    let sealed = base64_decode(s(&v, "secret"));
    assert_eq!(hex::encode(&sealed[..12]), s(&v, "iv"));
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

#[test]
fn envelope_vector() {
    let v = json("envelope.json");
    let file = vector(s(&v, "file"));

    // Recognised from its first bytes; only createdAt is readable.
    let Sniffed::Encrypted(header) = sniff(&file[..260.min(file.len())]).unwrap() else { panic!("not sniffed as encrypted") };
    assert_eq!(original_backup::records::format_iso(&header.created_at), s(&v, "createdAt"));
    assert_eq!(header.encryption_salt, s(&v, "encryptionSalt"));

    let key = envelope::derive_backup_key(s(&v, "backupPassword"), &header).unwrap();
    assert_eq!(hex::encode(key.as_bytes()), s(&v, "key"));

    let mut plaintexts = Vec::new();
    for chunk in [1, 2, 3, 7, 64, 100_000] {
        let (done, out) = decrypt_chunked(&file, s(&v, "backupPassword"), chunk).unwrap();
        assert!(out.starts_with(s(&v, "plaintextStarts").as_bytes()));
        assert_eq!(done.plaintext_len, out.len() as u64);
        assert_eq!(done.prefix, out);
        plaintexts.push(out);
    }
    assert!(plaintexts.windows(2).all(|w| w[0] == w[1]));

    // A pre-derived key works the same (the browser derives in its own slice).
    let mut d = EnvelopeDecryptor::with_key(kdf::Key::from_bytes(*key.as_bytes()));
    let mut out = Vec::new();
    d.push(&file, &mut out).unwrap();
    d.finish(&mut out).unwrap();
    assert_eq!(out, plaintexts[0]);

    // The one-call form, with progress.
    let mut seen = Vec::new();
    let mut out2 = Vec::new();
    envelope::decrypt(&file[..], s(&v, "backupPassword"), &mut out2, |n| seen.push(n)).unwrap();
    assert_eq!(out2, out);
    assert_eq!(*seen.last().unwrap(), file.len() as u64);

    // The verified plaintext is an original 2.8.9 payload.
    let Sniffed::Plain(m) = sniff(&out).unwrap() else { panic!() };
    assert_eq!(m.app_version.as_deref(), Some("2.8.9"));
    let mut c = Collect::default();
    let report = read(&out[..], &mut c).unwrap();
    assert_eq!(report.manifest, m);
    assert!(c.records.is_empty());
    assert_eq!(c.settings.unwrap().encryption_salt, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
    assert_eq!(report.counts.len(), 7, "the 7 required sections, the optional ones absent");
    assert!(report.counts.values().all(|&n| n == 0));
    assert!(!report.counts.contains_key(&Section::NotificationTargets));
    assert!(report.unknown_top_level_keys.is_empty() && report.unknown_fields.is_empty());
    // Its manifest counts only `trackers`: the other sections are reported as differing.
    let mismatches = report.count_mismatches();
    assert_eq!(mismatches.len(), 6);
    assert!(mismatches.iter().all(|m| m.manifest.is_none() && m.actual == Some(0)));
}

#[test]
fn fail_truncated() {
    let file = vector("fail_truncated.ttbak");
    for chunk in [1, 50, 100_000] {
        let (e, _) = decrypt_chunked(&file, "backup-pass-1", chunk).unwrap_err();
        assert!(matches!(e, Error::Truncated { .. }), "{e:?}");
    }
    // Cut anywhere: never accepted, and never mistaken for a wrong password.
    let whole = vector("envelope.ttbak");
    for cut in (0..whole.len() - 1).step_by(13) {
        let (e, _) = decrypt_chunked(&whole[..cut], "backup-pass-1", 64).unwrap_err();
        assert!(matches!(e, Error::Truncated { .. } | Error::Damaged { .. }), "cut {cut}: {e:?}");
    }
}

#[test]
fn fail_flipped() {
    let file = vector("fail_flipped.ttbak");
    let (e, _) = decrypt_chunked(&file, "backup-pass-1", 64).unwrap_err();
    assert!(matches!(e, Error::Damaged { .. }), "{e:?}");
    // Every single-bit flip inside the ciphertext field is refused.
    let whole = vector("envelope.ttbak");
    let start = whole.windows(15).position(|w| w == b"\"ciphertext\": \"").unwrap() + 15;
    let end = whole.len() - 2;
    for i in (start..end).step_by(5) {
        let mut bad = whole.clone();
        bad[i] = if bad[i] == b'A' { b'B' } else { b'A' };
        let (e, _) = decrypt_chunked(&bad, "backup-pass-1", 100).unwrap_err();
        assert!(matches!(e, Error::Damaged { .. } | Error::WrongBackupPassword), "byte {i}: {e:?}");
        if i >= start + 60 {
            // Past the IV, the tag and the payload's first 12 bytes: the key is known right.
            assert!(matches!(e, Error::Damaged { .. }), "byte {i}: {e:?}");
        }
    }
}

#[test]
fn fail_wrong_password() {
    let file = vector("fail_wrong_password.ttbak");
    for chunk in [1, 64, 100_000] {
        let (e, at) = decrypt_chunked(&file, "backup-pass-2", chunk).unwrap_err();
        assert!(matches!(e, Error::WrongBackupPassword), "{e:?}");
        if chunk == 1 {
            // Said after the header and ~40 bytes of ciphertext, not at the end of the file.
            assert!(at < 320, "after {at} bytes");
        }
    }
}

#[test]
fn fail_bigint_2_63() {
    let file = vector("fail_bigint_2_63.json");
    assert!(matches!(sniff(&file), Ok(Sniffed::Plain(_))));
    match read(&file[..], &mut Discard) {
        Err(Error::BigintOutOfRange { at, value }) => {
            assert_eq!(at.to_string(), "trackerSnapshots[0].uploadedBytes");
            assert_eq!(value, "9223372036854775808");
        }
        other => panic!("{other:?}"),
    }
    // One less is read exactly.
    let ok = String::from_utf8(file).unwrap().replace("9223372036854775808", "9223372036854775807");
    let mut c = Collect::default();
    read(ok.as_bytes(), &mut c).unwrap();
    let original_backup::Record::TrackerSnapshot(snap) = &c.records[1] else { panic!() };
    assert_eq!(snap.uploaded_bytes, i64::MAX as u64);
}

#[test]
fn fail_not_json() {
    let file = vector("fail_not_json.json");
    assert!(matches!(sniff(&file), Err(Error::NotOriginalBackup { .. })));
    assert!(matches!(read(&file[..], &mut Discard), Err(Error::Json { .. })));
    assert!(matches!(decrypt_chunked(&file, "x", 64), Err((Error::EnvelopeMalformed { .. }, _))));
}

#[test]
fn envelope_strictness() {
    let whole = String::from_utf8(vector("envelope.ttbak")).unwrap();
    let ct_at = whole.find("\"ciphertext\": \"").unwrap() + 15 + 200;
    let damaged = |s: String| -> Error { decrypt_chunked(s.as_bytes(), "backup-pass-1", 37).unwrap_err().0 };
    // An escape, a byte outside the alphabet, padding in the middle: damaged.
    for bad in ["\\/", "*", "=="] {
        let mut s = whole.clone();
        s.replace_range(ct_at..ct_at + bad.len(), bad);
        assert!(matches!(damaged(s), Error::Damaged { .. }), "{bad}");
    }
    // One base64 character missing: damaged (not a whole number of groups).
    let mut s = whole.clone();
    s.remove(ct_at);
    assert!(matches!(damaged(s), Error::Damaged { .. }));
    // Header rules.
    let v2 = whole.replace("\"version\": 1", "\"version\": 2");
    assert!(matches!(damaged(v2), Error::UnsupportedVersion { what: "envelope", .. }));
    let short_salt = whole.replace("ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100", "ffeeddcc");
    assert!(matches!(damaged(short_salt), Error::BadSalt { which: "envelope" }));
    // `ciphertext` must be last, and nothing may follow the object.
    let mut s = whole.clone();
    s.insert_str(s.len() - 1, ", \"extra\": 1");
    assert!(matches!(damaged(s), Error::EnvelopeMalformed { .. }));
    assert!(matches!(damaged(format!("{whole}x")), Error::EnvelopeMalformed { .. }));
    // Whitespace after it is fine (a file saved by an editor).
    let (_, out) = decrypt_chunked(format!("{whole}\n").as_bytes(), "backup-pass-1", 37).unwrap();
    assert!(out.starts_with(b"{\"manifest\":"));
}
