//! The clear header: magic, length, JSON fields, their bounds and the SHA-256 checksum
//! (spec: docs/backup-format.md 2.1–2.4).
//!
//! ```text
//! magic (8) = 89 54 54 42 41 4B 0D 0A | N (u32 BE, 1 … 16384) | header JSON (N) | SHA-256 (32) | HMAC-SHA256 (32)
//! ```
//!
//! The checksum and the MAC cover magic ‖ N ‖ JSON exactly as written (never re-serialised). The
//! checksum is unkeyed and only tells accidental damage ("the header is damaged") from a wrong
//! password; it is also the associated data of every chunk. The MAC is checked in [`crate::keys`].
//! Everything an untrusted file can ask for (memory, passes, lanes, chunk size, salt length) is
//! bounded here, before any key derivation.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::TtbakError;
use crate::keys::{KdfParams, MAX_SALT_LEN, MIN_SALT_LEN};
use crate::stream::NONCE_PREFIX_LEN;

/// First bytes of every `.ttbak` file. Like PNG's: a high byte (catches 7-bit transfers), a name,
/// and CR LF (catches newline conversion).
pub const MAGIC: [u8; 8] = *b"\x89TTBAK\r\n";
/// The `format` value of the clear header.
pub const FORMAT_ID: &str = "tracker-tracker-backup";
/// The container version this code writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;
/// The largest clear header accepted (bytes of JSON).
pub const MAX_HEADER_LEN: u32 = 16 * 1024;
/// Bounds on the plaintext bytes per chunk (a reader holds about two chunks).
pub const MIN_CHUNK_SIZE: usize = 1024;
pub const MAX_CHUNK_SIZE: usize = 1024 * 1024;

pub(crate) const KDF_ALGORITHM: &str = "argon2id";
/// Argon2 version 1.3 (0x13).
pub(crate) const KDF_VERSION: u32 = 19;
pub(crate) const CIPHER_ALGORITHM: &str = "aes-256-gcm";
pub(crate) const CIPHER_CONSTRUCTION: &str = "stream-be32";
pub(crate) const COMPRESSION: &str = "deflate-raw";
/// Magic + header length field.
pub(crate) const PREAMBLE_LEN: usize = 12;
pub(crate) const CHECKSUM_LEN: usize = 32;
pub(crate) const MAC_LEN: usize = 32;

/// The clear header, as written (field order is the order in the file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TtbakHeader {
    pub format: String,
    pub format_version: u32,
    pub kdf: KdfHeader,
    pub cipher: CipherHeader,
    pub compression: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfHeader {
    pub algorithm: String,
    pub version: u32,
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    /// Base64 (standard, padded).
    pub salt: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CipherHeader {
    pub algorithm: String,
    pub construction: String,
    /// Base64 (standard, padded) of the 7-byte STREAM nonce prefix.
    pub nonce_prefix: String,
    pub chunk_size: u32,
}

impl TtbakHeader {
    pub fn kdf_params(&self) -> KdfParams {
        KdfParams { memory_kib: self.kdf.memory_kib, iterations: self.kdf.iterations, parallelism: self.kdf.parallelism }
    }

    pub fn chunk_size(&self) -> usize {
        self.cipher.chunk_size as usize
    }
}

/// Reports whether a file starts like a `.ttbak` (needs at least 8 bytes).
pub fn looks_encrypted(prefix: &[u8]) -> bool {
    prefix.starts_with(&MAGIC)
}

/// A checked clear header: magic, bounds, checksum, fields. The MAC is checked by [`Opener::new`](crate::Opener::new).
#[derive(Debug, Clone)]
pub struct ParsedHeader {
    pub header: TtbakHeader,
    /// Bytes from the start of the file to the first chunk (magic, length, header, checksum, MAC).
    pub header_len_total: usize,
    /// Magic ‖ length ‖ header JSON: what the checksum and the MAC cover.
    pub(crate) signed: Vec<u8>,
    pub(crate) checksum: [u8; CHECKSUM_LEN],
    pub(crate) mac: [u8; MAC_LEN],
    pub(crate) salt: Vec<u8>,
    pub(crate) nonce_prefix: [u8; NONCE_PREFIX_LEN],
}

impl ParsedHeader {
    /// SHA-256 of magic ‖ length ‖ header: the associated data of every chunk.
    pub fn checksum(&self) -> &[u8; CHECKSUM_LEN] {
        &self.checksum
    }
}

/// How many bytes from the start of the file [`parse_header`] needs, given what it has.
pub(crate) fn header_bytes_needed(prefix: &[u8]) -> usize {
    if prefix.len() < PREAMBLE_LEN {
        return PREAMBLE_LEN;
    }
    PREAMBLE_LEN + header_len_field(prefix) as usize + CHECKSUM_LEN + MAC_LEN
}

pub(crate) fn header_len_field(prefix: &[u8]) -> u32 {
    u32::from_be_bytes([prefix[8], prefix[9], prefix[10], prefix[11]])
}

/// Parses magic, length, header, checksum and MAC from the start of a file.
///
/// `Ok(None)`: the prefix is too short, read more (the whole header is at most 16,460 bytes).
/// Every check that needs no password is done here, so a crafted file is refused before any key
/// derivation.
pub fn parse_header(prefix: &[u8]) -> Result<Option<ParsedHeader>, TtbakError> {
    let m = prefix.len().min(MAGIC.len());
    if prefix[..m] != MAGIC[..m] {
        return Err(TtbakError::NotTtbak);
    }
    if prefix.len() < PREAMBLE_LEN {
        return Ok(None);
    }
    let len = header_len_field(prefix);
    if len == 0 || len > MAX_HEADER_LEN {
        return Err(TtbakError::HeaderSize { len });
    }
    let total = header_bytes_needed(prefix);
    if prefix.len() < total {
        return Ok(None);
    }
    let json_end = PREAMBLE_LEN + len as usize;
    let signed = &prefix[..json_end];
    let mut checksum = [0u8; CHECKSUM_LEN];
    checksum.copy_from_slice(&prefix[json_end..json_end + CHECKSUM_LEN]);
    let mut mac = [0u8; MAC_LEN];
    mac.copy_from_slice(&prefix[json_end + CHECKSUM_LEN..total]);
    // Public data, no secret to time: a plain comparison is fine.
    if Sha256::digest(signed).as_slice() != checksum {
        return Err(TtbakError::HeaderDamaged);
    }
    let (header, salt, nonce_prefix) = parse_header_json(&prefix[PREAMBLE_LEN..json_end])?;
    Ok(Some(ParsedHeader { header, header_len_total: total, signed: signed.to_vec(), checksum, mac, salt, nonce_prefix }))
}

/// Field by field, so the error says which field is missing or wrong, and so the version is known
/// before the rest is interpreted (a newer version may change the rest).
fn parse_header_json(json: &[u8]) -> Result<(TtbakHeader, Vec<u8>, [u8; NONCE_PREFIX_LEN]), TtbakError> {
    let v: serde_json::Value = serde_json::from_slice(json).map_err(|e| TtbakError::HeaderInvalid(format!("it is not valid JSON ({e})")))?;
    if !v.is_object() {
        return Err(TtbakError::HeaderInvalid("it is not a JSON object".into()));
    }
    let format = get_str(&v, "format")?;
    if format != FORMAT_ID {
        return Err(TtbakError::HeaderInvalid(format!("field `format` is \"{}\", expected \"{FORMAT_ID}\"", shorten(&format))));
    }
    let format_version = get_u32(&v, "format_version")?;
    if format_version > FORMAT_VERSION {
        return Err(TtbakError::NewerVersion { found: format_version, supported: FORMAT_VERSION });
    }
    if format_version == 0 {
        return Err(TtbakError::HeaderInvalid("field `format_version` is 0".into()));
    }

    let algorithm = get_str(&v, "kdf.algorithm")?;
    if algorithm != KDF_ALGORITHM {
        return Err(unsupported("the key derivation function", &algorithm));
    }
    let version = get_u32(&v, "kdf.version")?;
    if version != KDF_VERSION {
        return Err(unsupported("the Argon2 version", &version.to_string()));
    }
    let cipher_algorithm = get_str(&v, "cipher.algorithm")?;
    if cipher_algorithm != CIPHER_ALGORITHM {
        return Err(unsupported("the cipher", &cipher_algorithm));
    }
    let construction = get_str(&v, "cipher.construction")?;
    if construction != CIPHER_CONSTRUCTION {
        return Err(unsupported("the cipher construction", &construction));
    }
    let compression = get_str(&v, "compression")?;
    if compression != COMPRESSION {
        return Err(unsupported("the compression", &compression));
    }

    let kdf = KdfParams {
        memory_kib: get_u32(&v, "kdf.memory_kib")?,
        iterations: get_u32(&v, "kdf.iterations")?,
        parallelism: get_u32(&v, "kdf.parallelism")?,
    };
    kdf.check().map_err(TtbakError::ParamsOutOfBounds)?;
    let chunk_size = get_u32(&v, "cipher.chunk_size")?;
    if !(MIN_CHUNK_SIZE..=MAX_CHUNK_SIZE).contains(&(chunk_size as usize)) {
        return Err(TtbakError::ParamsOutOfBounds(format!(
            "this backup uses chunks of {chunk_size} bytes; Tracker Tracker accepts {MIN_CHUNK_SIZE} to {MAX_CHUNK_SIZE} bytes"
        )));
    }
    let salt_b64 = get_str(&v, "kdf.salt")?;
    let salt = decode_b64(&salt_b64, "kdf.salt")?;
    if !(MIN_SALT_LEN..=MAX_SALT_LEN).contains(&salt.len()) {
        return Err(TtbakError::ParamsOutOfBounds(format!(
            "this backup's key salt is {} bytes long; Tracker Tracker accepts {MIN_SALT_LEN} to {MAX_SALT_LEN} bytes",
            salt.len()
        )));
    }
    let prefix_b64 = get_str(&v, "cipher.nonce_prefix")?;
    let prefix = decode_b64(&prefix_b64, "cipher.nonce_prefix")?;
    let nonce_prefix: [u8; NONCE_PREFIX_LEN] = prefix.as_slice().try_into().map_err(|_| {
        TtbakError::ParamsOutOfBounds(format!(
            "this backup's nonce prefix is {} bytes long; it must be exactly {NONCE_PREFIX_LEN} bytes",
            prefix.len()
        ))
    })?;

    let header = TtbakHeader {
        format,
        format_version,
        kdf: KdfHeader { algorithm, version, memory_kib: kdf.memory_kib, iterations: kdf.iterations, parallelism: kdf.parallelism, salt: salt_b64 },
        cipher: CipherHeader { algorithm: cipher_algorithm, construction, nonce_prefix: prefix_b64, chunk_size },
        compression,
    };
    Ok((header, salt, nonce_prefix))
}

fn field<'a>(v: &'a serde_json::Value, path: &str) -> Result<&'a serde_json::Value, TtbakError> {
    path.split('.').try_fold(v, |v, key| v.get(key)).ok_or_else(|| TtbakError::HeaderInvalid(format!("field `{path}` is missing")))
}

fn get_str(v: &serde_json::Value, path: &str) -> Result<String, TtbakError> {
    field(v, path)?.as_str().map(str::to_string).ok_or_else(|| TtbakError::HeaderInvalid(format!("field `{path}` must be a string")))
}

fn get_u32(v: &serde_json::Value, path: &str) -> Result<u32, TtbakError> {
    field(v, path)?
        .as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| TtbakError::HeaderInvalid(format!("field `{path}` must be a whole number from 0 to 4294967295")))
}

fn decode_b64(s: &str, path: &str) -> Result<Vec<u8>, TtbakError> {
    B64.decode(s).map_err(|_| TtbakError::HeaderInvalid(format!("field `{path}` is not valid base64")))
}

fn unsupported(what: &'static str, name: &str) -> TtbakError {
    TtbakError::UnsupportedAlgorithm { what, name: shorten(name) }
}

/// Untrusted text going into a message: keep it short.
fn shorten(s: &str) -> String {
    const MAX: usize = 40;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;
    use std::time::{Duration, Instant};

    #[test]
    fn header_holds_only_container_fields() {
        let (_, file) = sample_file();
        let len = header_len_field(&file) as usize;
        let v: serde_json::Value = serde_json::from_slice(&file[12..12 + len]).unwrap();
        let keys = |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(&v), ["cipher", "compression", "format", "format_version", "kdf"]);
        assert_eq!(keys(&v["kdf"]), ["algorithm", "iterations", "memory_kib", "parallelism", "salt", "version"]);
        assert_eq!(keys(&v["cipher"]), ["algorithm", "chunk_size", "construction", "nonce_prefix"]);
        // Written in the documented order.
        let text = std::str::from_utf8(&file[12..12 + len]).unwrap();
        assert!(text.starts_with(r#"{"format":"tracker-tracker-backup","format_version":1,"kdf":{"algorithm":"argon2id","version":19,"memory_kib":1024,"iterations":1,"parallelism":1,"salt":""#), "{text}");
        assert!(text.ends_with(r#"","chunk_size":1024},"compression":"deflate-raw"}"#), "{text}");
    }

    #[test]
    fn damaged_header() {
        let (_, file) = sample_file();
        let len = header_len_field(&file) as usize;
        // Any bit of the JSON or of the checksum: the checksum no longer matches.
        for at in [12, 12 + len / 2, 12 + len - 1, 12 + len, 12 + len + 31] {
            assert_eq!(read_all(&flip(&file, at), PW).unwrap_err(), TtbakError::HeaderDamaged, "byte {at}");
        }
        // The length field: a different length is checked against different bytes.
        assert_eq!(read_all(&flip(&file, 11), PW).unwrap_err(), TtbakError::HeaderDamaged);
        let mut big = file.clone();
        big[8] = 0x01;
        assert_eq!(read_all(&big, PW).unwrap_err(), TtbakError::HeaderSize { len: u32::from_be_bytes([1, big[9], big[10], big[11]]) });
        let mut zero = file.clone();
        zero[8..12].copy_from_slice(&[0; 4]);
        assert_eq!(read_all(&zero, PW).unwrap_err(), TtbakError::HeaderSize { len: 0 });
    }

    #[test]
    fn bad_magic() {
        let (_, file) = sample_file();
        assert_eq!(read_all(&flip(&file, 0), PW).unwrap_err(), TtbakError::NotTtbak);
        assert_eq!(read_all(&flip(&file, 7), PW).unwrap_err(), TtbakError::NotTtbak);
        assert_eq!(read_all(b"{\"header\":{}}", PW).unwrap_err(), TtbakError::NotTtbak);
        assert_eq!(read_all(b"", PW).unwrap_err(), TtbakError::NotTtbak);
        assert_eq!(parse_header(b"PK\x03\x04").unwrap_err(), TtbakError::NotTtbak);
        assert!(looks_encrypted(&file) && !looks_encrypted(&file[..7]) && !looks_encrypted(b"{}"));
    }

    #[test]
    fn parse_header_wants_more_bytes() {
        let (_, file) = sample_file();
        let total = parse_header(&file).unwrap().unwrap().header_len_total;
        for n in [0, 1, 7, 8, 11, 12, 100, total - 1] {
            assert!(parse_header(&file[..n]).unwrap().is_none(), "{n} bytes");
        }
        assert_eq!(parse_header(&file[..total]).unwrap().unwrap().header_len_total, total);
    }

    #[test]
    fn absurd_parameters_refused_before_key_derivation() {
        let (_, file) = sample_file();
        let absurd = reheader(&file, |v| v["kdf"]["memory_kib"] = 4_194_304.into());
        let started = Instant::now();
        let err = read_all(&absurd, PW).unwrap_err();
        // Deriving a 4 GiB Argon2id key would take many seconds (or fail to allocate).
        assert!(started.elapsed() < Duration::from_millis(200));
        assert!(matches!(err, TtbakError::ParamsOutOfBounds(_)), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains("4 GiB") && msg.contains("256 MiB") && msg.contains("tampered"), "{msg}");
        assert_eq!(parse_header(&absurd).unwrap_err(), err);

        let out_of_bounds: Vec<(&str, Edit)> = vec![
            ("iterations", |v| v["kdf"]["iterations"] = 17.into()),
            ("parallelism", |v| v["kdf"]["parallelism"] = 5.into()),
            ("Argon2id refuses", |v| v["kdf"]["iterations"] = 0.into()),
            ("Argon2id refuses", |v| v["kdf"]["memory_kib"] = 4.into()),
            ("chunks of 512", |v| v["cipher"]["chunk_size"] = 512.into()),
            ("chunks of 2097152", |v| v["cipher"]["chunk_size"] = 2_097_152.into()),
            ("salt is 8 bytes", |v| v["kdf"]["salt"] = B64.encode([1u8; 8]).into()),
            ("salt is 65 bytes", |v| v["kdf"]["salt"] = B64.encode([1u8; 65]).into()),
            ("nonce prefix is 8 bytes", |v| v["cipher"]["nonce_prefix"] = B64.encode([1u8; 8]).into()),
        ];
        for (needle, edit) in out_of_bounds {
            let err = parse_header(&reheader(&file, edit)).unwrap_err();
            assert!(matches!(&err, TtbakError::ParamsOutOfBounds(m) if m.contains(needle)), "{needle}: {err:?}");
        }
    }

    #[test]
    fn invalid_headers() {
        let (_, file) = sample_file();
        let err = |edit: fn(&mut serde_json::Value)| parse_header(&reheader(&file, edit)).unwrap_err();
        let newer = err(|v| v["format_version"] = 2.into());
        assert_eq!(newer, TtbakError::NewerVersion { found: 2, supported: 1 });
        assert!(newer.to_string().contains("made by a newer version of Tracker Tracker"));
        // The version is read before anything else that might have changed with it.
        assert_eq!(err(|v| *v = serde_json::json!({"format": FORMAT_ID, "format_version": 7})), TtbakError::NewerVersion { found: 7, supported: 1 });

        let invalid = |edit: fn(&mut serde_json::Value), needle: &str| match err(edit) {
            TtbakError::HeaderInvalid(m) => assert!(m.contains(needle), "{m}"),
            other => panic!("{needle}: {other:?}"),
        };
        invalid(|v| v["format"] = "something-else".into(), "`format`");
        invalid(|v| v["format_version"] = 0.into(), "`format_version`");
        invalid(|v| v["format_version"] = "1".into(), "`format_version`");
        invalid(|v| v["kdf"].as_object_mut().unwrap().remove("salt").map(drop).unwrap(), "`kdf.salt` is missing");
        invalid(|v| v["cipher"].as_object_mut().unwrap().remove("chunk_size").map(drop).unwrap(), "`cipher.chunk_size` is missing");
        invalid(|v| v["kdf"]["memory_kib"] = (-1).into(), "`kdf.memory_kib`");
        invalid(|v| v["kdf"]["memory_kib"] = 5_000_000_000u64.into(), "`kdf.memory_kib`");
        invalid(|v| v["kdf"]["salt"] = "not base64!".into(), "`kdf.salt` is not valid base64");
        invalid(|v| *v = serde_json::json!([1, 2]), "not a JSON object");

        let unsupported = |edit: fn(&mut serde_json::Value), what: &str| match err(edit) {
            TtbakError::UnsupportedAlgorithm { what: w, .. } => assert_eq!(w, what),
            other => panic!("{what}: {other:?}"),
        };
        unsupported(|v| v["kdf"]["algorithm"] = "scrypt".into(), "the key derivation function");
        unsupported(|v| v["kdf"]["version"] = 16.into(), "the Argon2 version");
        unsupported(|v| v["cipher"]["algorithm"] = "chacha20-poly1305".into(), "the cipher");
        unsupported(|v| v["cipher"]["construction"] = "stream-le31".into(), "the cipher construction");
        unsupported(|v| v["compression"] = "zstd".into(), "the compression");

        // Not JSON at all, with a valid checksum.
        let mut raw = MAGIC.to_vec();
        raw.extend_from_slice(&3u32.to_be_bytes());
        raw.extend_from_slice(b"{{{");
        let sum = Sha256::digest(&raw);
        raw.extend_from_slice(&sum);
        raw.extend_from_slice(&[0; 32]);
        assert!(matches!(parse_header(&raw), Err(TtbakError::HeaderInvalid(m)) if m.contains("not valid JSON")));
    }
}
