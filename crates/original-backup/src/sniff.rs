//! Recognising an original file from its first bytes, without reading the rest.
//!
//! - A plain backup is `JSON.stringify(payload)`: it begins `{"manifest":{...}`, so the
//!   manifest (version, appVersion, instanceUrl from 2.0.2, createdAt, counts) is read from
//!   the first few hundred bytes.
//! - An encrypted backup begins `{"format":"tracker-tracker-encrypted-backup",...`; only its
//!   clear header (createdAt, the salt) is readable before decryption. After
//!   [`crate::envelope::EnvelopeDecryptor::finish`], sniff its [`crate::envelope::Decrypted::prefix`]
//!   to get the manifest.
//! - This app's own backups (`{"header":...` or the `\x89TTBAK` magic) and anything else are
//!   [`Error::NotOriginalBackup`].
//!
//! Give [`sniff`] the first bytes of the file (64 KiB is always enough: [`SNIFF_LEN`]); if
//! they end inside the manifest or header it answers [`Error::NeedMoreBytes`].

use serde_json::Value;

use crate::envelope::{self, EnvelopeHeader, HeaderParse, FORMAT};
use crate::error::{Error, Result};
use crate::records::Manifest;

/// How many leading bytes are always enough.
pub const SNIFF_LEN: usize = 64 * 1024;

/// What the start of a file says.
#[derive(Debug, Clone, PartialEq)]
pub enum Sniffed {
    /// A plain `.json` backup, with its manifest. Note: the original never checks the
    /// manifest's counts against the file; only a full read counts for real.
    Plain(Manifest),
    /// An encrypted `.ttbak`: only its clear header is known until it is decrypted.
    Encrypted(EnvelopeHeader),
}

fn not_original(reason: impl Into<String>) -> Error {
    Error::NotOriginalBackup { reason: reason.into() }
}

/// Recognises an original backup from its first bytes.
pub fn sniff(prefix: &[u8]) -> Result<Sniffed> {
    if prefix.starts_with(b"\x89TTBAK") {
        return Err(not_original("it is an encrypted backup of this app (not of the original); restore it as such"));
    }
    let mut p = 0;
    while p < prefix.len() && matches!(prefix[p], b' ' | b'\t' | b'\n' | b'\r') {
        p += 1;
    }
    if p == prefix.len() {
        return if prefix.len() >= SNIFF_LEN { Err(not_original("it is empty")) } else { Err(Error::NeedMoreBytes) };
    }
    if prefix[p] != b'{' {
        return Err(not_original("it is not a JSON object"));
    }
    p += 1;
    while p < prefix.len() && matches!(prefix[p], b' ' | b'\t' | b'\n' | b'\r') {
        p += 1;
    }
    let more = || if prefix.len() >= SNIFF_LEN { Err(not_original("its start is not a backup manifest")) } else { Err(Error::NeedMoreBytes) };
    let mut it = serde_json::Deserializer::from_slice(&prefix[p..]).into_iter::<Value>();
    let key = match it.next() {
        Some(Ok(Value::String(k))) => k,
        Some(Err(e)) if e.is_eof() => return more(),
        None => return more(),
        _ => return Err(not_original("it is not a JSON object with named fields")),
    };
    p += it.byte_offset();
    while p < prefix.len() && matches!(prefix[p], b' ' | b'\t' | b'\n' | b'\r' | b':') {
        p += 1;
    }
    match key.as_str() {
        "manifest" => {
            let mut it = serde_json::Deserializer::from_slice(&prefix[p..]).into_iter::<Value>();
            match it.next() {
                Some(Ok(v @ Value::Object(_))) => Ok(Sniffed::Plain(Manifest::from_value(v)?)),
                Some(Ok(_)) => Err(not_original("its `manifest` is not an object")),
                Some(Err(e)) if e.is_eof() => more(),
                None => more(),
                Some(Err(e)) => Err(Error::Json { at: " in the manifest".into(), message: e.to_string() }),
            }
        }
        "format" => {
            let mut it = serde_json::Deserializer::from_slice(&prefix[p..]).into_iter::<Value>();
            match it.next() {
                Some(Ok(Value::String(f))) if f == FORMAT => {}
                Some(Ok(Value::String(f))) if f == "tracker-tracker-backup" => {
                    return Err(not_original("it is a backup of this app (not of the original); restore it as such"))
                }
                Some(Err(e)) if e.is_eof() => return more(),
                None => return more(),
                _ => return Err(not_original("its `format` is not the original's encrypted backup")),
            }
            match envelope::parse_header(prefix)? {
                HeaderParse::NeedMore => more(),
                HeaderParse::Done { header, .. } => Ok(Sniffed::Encrypted(header)),
            }
        }
        "header" => Err(not_original("it is a backup of this app (not of the original); restore it as such")),
        other => Err(not_original(format!("it begins with `{other}`, but the original's backups begin with `manifest` or `format`"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN: &str = r#"{"manifest":{"version":1,"appVersion":"2.8.9","instanceUrl":"https://tt.example","createdAt":"2026-04-10T03:00:00.123Z","encrypted":false,"counts":{"trackers":3,"trackerSnapshots":70000}},"settings":{"#;

    #[test]
    fn plain_manifest_from_the_first_bytes() {
        let Sniffed::Plain(m) = sniff(PLAIN.as_bytes()).unwrap() else { panic!() };
        assert_eq!(m.app_version.as_deref(), Some("2.8.9"));
        assert_eq!(m.instance_url.as_deref(), Some("https://tt.example"));
        assert_eq!(m.counts["trackerSnapshots"], 70000);
        // Any shorter cut inside the manifest asks for more.
        let end = PLAIN.find(r#","settings""#).unwrap();
        for cut in 0..end {
            assert!(matches!(sniff(&PLAIN.as_bytes()[..cut]), Err(Error::NeedMoreBytes)), "cut {cut}");
        }
    }

    #[test]
    fn others_are_not_original() {
        for s in [&b"\x89TTBAK\r\n...."[..], b"{\"header\":{\"format\":\"tracker-tracker-backup\"}}", b"PK\x03\x04", b"{\"settings\":{}}", b"[1,2]"] {
            assert!(matches!(sniff(s), Err(Error::NotOriginalBackup { .. })), "{:?}", String::from_utf8_lossy(s));
        }
    }
}
