//! The original's encrypted backup, `.ttbak` (src/lib/backup.ts `encryptBackupPayload`).
//!
//! The file is a UTF-8 JSON object, written by `JSON.stringify` with its keys in this order:
//!
//! ```text
//! {"format":"tracker-tracker-encrypted-backup","version":1,"createdAt":"<ISO>",
//!  "encryptionSalt":"<64 hex, fresh per file>","ciphertext":"<base64(iv ‖ tag ‖ ct)>"}
//! ```
//!
//! Parameters:
//! - key: scrypt(backup password, `encryptionSalt` as its 64 ASCII hex characters,
//!   N = 2^14, r = 8, p = 1, 32 bytes) — [`crate::kdf`]. The salt is the only KDF input read
//!   from the file; it must be exactly 64 hex characters or nothing is derived. The password
//!   must be 1 to 128 characters (the original's restore limit, `BACKUP_PASSWORD_MAX`);
//! - cipher: one AES-256-GCM message over the whole `JSON.stringify(payload)`, 12-byte IV,
//!   16-byte tag, no AAD; `ciphertext` is standard padded base64 of `iv ‖ tag ‖ ct`;
//! - nothing outside the ciphertext is authenticated (`format`, `version`, `createdAt`, the
//!   salt). Only `createdAt` is readable without the password.
//!
//! Reading (push style, for the server and for the browser alike): [`EnvelopeDecryptor`] is
//! fed the file in chunks of any size ([`EnvelopeDecryptor::push`]); it parses the clear
//! header from the first bytes (at most [`MAX_HEADER_LEN`]), derives the key once the salt is
//! known (one scrypt, the only slow step), base64-decodes the `ciphertext` string
//! incrementally, and decrypts into a caller's `std::io::Write` as it goes. The plaintext so
//! written is **unverified** until [`EnvelopeDecryptor::finish`] has checked the tag and
//! returned `Ok`; the caller parses it only then (on the server: from a temporary file).
//!
//! Wrong password versus damaged file: one-shot GCM only answers at the end. But every
//! original payload begins with the 12 bytes `{"manifest":` (`JSON.stringify` of an object
//! whose first key is `manifest`), so the decryptor compares the first 12 plaintext bytes
//! with them as soon as they are out: a wrong key turns them into noise (4 or more of the 12
//! differ) and [`Error::WrongBackupPassword`] is returned at once, after a few dozen bytes of
//! input; 1 to 3 differing bytes are a corrupted file ([`Error::Damaged`]). A tag failure at
//! the end, after the prefix matched, proves the key right and the file changed:
//! [`Error::Damaged`]. A file that ends before the closing `"}` is [`Error::Truncated`].
//!
//! Stricter than the original (which decodes base64 leniently and ignores `version`): the
//! `ciphertext` must be canonical padded base64 with no escapes, `version` must be `1`,
//! `format` must be exact, `ciphertext` must be the last key (as the original writes it),
//! and nothing but whitespace may follow the object.

use std::io::{Read, Write};

use base64::Engine;
use chrono::{DateTime, Utc};
use serde_json::Value;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::gcm::{StreamingDecryptor, IV_LEN, MIN_SEALED_LEN, TAG_LEN};
use crate::kdf::{self, Key};
use crate::records::parse_iso;

/// The envelope's `format` value.
pub const FORMAT: &str = "tracker-tracker-encrypted-backup";
/// The longest clear header accepted before the `ciphertext` string starts.
pub const MAX_HEADER_LEN: usize = 64 * 1024;
/// The original's limit on a backup password, in characters (UTF-16 code units in JS).
pub const MAX_PASSWORD_CHARS: usize = 128;
/// How much verified plaintext [`Decrypted::prefix`] keeps (enough for the manifest).
pub const PREFIX_KEEP: usize = 64 * 1024;
/// The first bytes of every original payload.
pub const PAYLOAD_START: &[u8; 12] = b"{\"manifest\":";

/// The clear part of an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopeHeader {
    pub version: u64,
    pub created_at: DateTime<Utc>,
    /// The per-file salt, 64 hex characters.
    pub encryption_salt: String,
    /// Keys other than the five the original writes, by name (reported, not fatal).
    pub unknown_keys: Vec<String>,
}

/// The result of parsing the start of an envelope.
#[derive(Debug)]
pub enum HeaderParse {
    /// More bytes are needed (the header is not complete yet).
    NeedMore,
    /// The header, and the offset of the first character of the `ciphertext` string.
    Done { header: EnvelopeHeader, ciphertext_start: usize },
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn skip_ws(buf: &[u8], mut p: usize) -> usize {
    while p < buf.len() && is_ws(buf[p]) {
        p += 1;
    }
    p
}

fn malformed(reason: impl Into<String>) -> Error {
    Error::EnvelopeMalformed { reason: reason.into() }
}

/// Parses one JSON value at `buf[p..]`. `None` if the buffer ends inside it.
fn value_at(buf: &[u8], p: usize) -> Result<Option<(Value, usize)>> {
    let mut it = serde_json::Deserializer::from_slice(&buf[p..]).into_iter::<Value>();
    match it.next() {
        None => Ok(None),
        Some(Ok(v)) => {
            let end = p + it.byte_offset();
            // A number at the very end of the buffer may go on in the next bytes.
            if end >= buf.len() {
                return Ok(None);
            }
            Ok(Some((v, end)))
        }
        Some(Err(e)) if e.is_eof() => Ok(None),
        Some(Err(e)) => Err(malformed(format!("its JSON is invalid near byte {}: {e}", p))),
    }
}

/// Parses the clear header of an envelope from the first bytes of the file.
pub fn parse_header(buf: &[u8]) -> Result<HeaderParse> {
    let need_more = |buf: &[u8]| {
        if buf.len() >= MAX_HEADER_LEN {
            Err(malformed(format!("no `ciphertext` field within its first {MAX_HEADER_LEN} bytes")))
        } else {
            Ok(HeaderParse::NeedMore)
        }
    };
    let mut p = skip_ws(buf, 0);
    if p >= buf.len() {
        return need_more(buf);
    }
    if buf[p] != b'{' {
        return Err(malformed("it is not a JSON object"));
    }
    p += 1;
    let mut format: Option<Value> = None;
    let mut version: Option<Value> = None;
    let mut created_at: Option<Value> = None;
    let mut salt: Option<Value> = None;
    let mut unknown_keys = Vec::new();
    let mut first = true;
    loop {
        p = skip_ws(buf, p);
        if p >= buf.len() {
            return need_more(buf);
        }
        if !first {
            match buf[p] {
                b',' => p = skip_ws(buf, p + 1),
                b'}' => return Err(malformed("it has no `ciphertext` field")),
                _ => return Err(malformed(format!("unexpected byte at {p}"))),
            }
            if p >= buf.len() {
                return need_more(buf);
            }
        }
        first = false;
        if buf[p] == b'}' {
            return Err(malformed("it has no `ciphertext` field"));
        }
        let Some((key, end)) = value_at(buf, p)? else { return need_more(buf) };
        let Value::String(key) = key else { return Err(malformed(format!("a key is not a string at byte {p}"))) };
        p = skip_ws(buf, end);
        if p >= buf.len() {
            return need_more(buf);
        }
        if buf[p] != b':' {
            return Err(malformed(format!("expected `:` at byte {p}")));
        }
        p = skip_ws(buf, p + 1);
        if p >= buf.len() {
            return need_more(buf);
        }
        if key == "ciphertext" {
            if buf[p] != b'"' {
                return Err(malformed("`ciphertext` is not a string"));
            }
            let header = check_header(format, version, created_at, salt, unknown_keys)?;
            return Ok(HeaderParse::Done { header, ciphertext_start: p + 1 });
        }
        let Some((value, end)) = value_at(buf, p)? else { return need_more(buf) };
        let slot = match key.as_str() {
            "format" => &mut format,
            "version" => &mut version,
            "createdAt" => &mut created_at,
            "encryptionSalt" => &mut salt,
            _ => {
                unknown_keys.push(key);
                p = end;
                continue;
            }
        };
        if slot.is_some() {
            return Err(malformed(format!("the key `{key}` appears twice")));
        }
        *slot = Some(value);
        p = end;
    }
}

fn check_header(
    format: Option<Value>,
    version: Option<Value>,
    created_at: Option<Value>,
    salt: Option<Value>,
    unknown_keys: Vec<String>,
) -> Result<EnvelopeHeader> {
    match format {
        Some(Value::String(f)) if f == FORMAT => {}
        Some(other) => return Err(malformed(format!("its `format` is {other}, not \"{FORMAT}\""))),
        None => return Err(malformed("it has no `format` field before `ciphertext`")),
    }
    let version = match version {
        Some(Value::Number(n)) if n.as_u64() == Some(1) => 1,
        Some(other) => return Err(Error::UnsupportedVersion { what: "envelope", found: other.to_string() }),
        None => return Err(malformed("it has no `version` field before `ciphertext`")),
    };
    let created_at = match created_at {
        Some(Value::String(s)) => parse_iso(&s).ok_or_else(|| malformed(format!("its `createdAt` {s:?} is not an ISO 8601 UTC time")))?,
        _ => return Err(malformed("it has no `createdAt` string before `ciphertext`")),
    };
    let encryption_salt = match salt {
        Some(Value::String(s)) if kdf::is_salt_hex(&s) => s,
        Some(_) => return Err(Error::BadSalt { which: "envelope" }),
        None => return Err(malformed("it has no `encryptionSalt` before `ciphertext`")),
    };
    Ok(EnvelopeHeader { version, created_at, encryption_salt, unknown_keys })
}

/// Checks a backup password against the original's limits (1 to 128 characters).
pub fn check_backup_password(password: &str) -> Result<()> {
    if password.is_empty() {
        return Err(Error::BackupPasswordMissing);
    }
    if password.encode_utf16().count() > MAX_PASSWORD_CHARS {
        return Err(Error::BackupPasswordTooLong);
    }
    Ok(())
}

/// scrypt of the backup password with the envelope's salt.
pub fn derive_backup_key(password: &str, header: &EnvelopeHeader) -> Result<Key> {
    check_backup_password(password)?;
    kdf::derive(password, &header.encryption_salt, "envelope")
}

enum Secret {
    Password(Zeroizing<String>),
    Key(Key),
}

#[derive(PartialEq, Eq, Debug, Clone, Copy)]
enum State {
    Header,
    Base64,
    /// After the closing quote of `ciphertext`; `true` once `}` has been seen.
    Trailer(bool),
}

/// What a successful decryption hands back.
#[derive(Debug)]
pub struct Decrypted {
    pub header: EnvelopeHeader,
    /// Bytes of plaintext written (the size of the plain payload).
    pub plaintext_len: u64,
    /// The first [`PREFIX_KEEP`] bytes of the (now verified) plaintext, for
    /// [`crate::sniff::sniff`] (version, counts, instance URL).
    pub prefix: Vec<u8>,
}

/// Push-style streaming decryption of an original `.ttbak`.
pub struct EnvelopeDecryptor {
    secret: Option<Secret>,
    state: State,
    head: Vec<u8>,
    header: Option<EnvelopeHeader>,
    carry: Vec<u8>,
    decoded: Vec<u8>,
    sealed_head: Vec<u8>,
    gcm: Option<StreamingDecryptor>,
    prefix: Vec<u8>,
    prefix_checked: bool,
    bytes_in: u64,
    plaintext_out: u64,
}

impl std::fmt::Debug for EnvelopeDecryptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnvelopeDecryptor")
            .field("state", &self.state)
            .field("bytes_in", &self.bytes_in)
            .field("plaintext_out", &self.plaintext_out)
            .finish_non_exhaustive()
    }
}

impl EnvelopeDecryptor {
    /// A decryptor that derives the key from `password` once the header is read.
    pub fn new(password: &str) -> Result<Self> {
        check_backup_password(password)?;
        Ok(Self::with(Secret::Password(Zeroizing::new(password.to_owned()))))
    }

    /// A decryptor with a key derived beforehand ([`derive_backup_key`]), e.g. in another
    /// time slice of the browser.
    pub fn with_key(key: Key) -> Self {
        Self::with(Secret::Key(key))
    }

    fn with(secret: Secret) -> Self {
        EnvelopeDecryptor {
            secret: Some(secret),
            state: State::Header,
            head: Vec::new(),
            header: None,
            carry: Vec::with_capacity(4),
            decoded: Vec::new(),
            sealed_head: Vec::with_capacity(MIN_SEALED_LEN),
            gcm: None,
            prefix: Vec::new(),
            prefix_checked: false,
            bytes_in: 0,
            plaintext_out: 0,
        }
    }

    /// Bytes of the file consumed so far (for a progress bar: divide by the file size).
    pub fn bytes_in(&self) -> u64 {
        self.bytes_in
    }

    /// Bytes of (unverified) plaintext written so far.
    pub fn plaintext_out(&self) -> u64 {
        self.plaintext_out
    }

    /// The clear header, once the first bytes have been pushed.
    pub fn header(&self) -> Option<&EnvelopeHeader> {
        self.header.as_ref()
    }

    /// Feeds the next bytes of the file. Plaintext is written to `out` as it is decrypted and
    /// is unverified until [`EnvelopeDecryptor::finish`] returns `Ok`.
    pub fn push<W: Write>(&mut self, chunk: &[u8], out: &mut W) -> Result<()> {
        self.bytes_in += chunk.len() as u64;
        let mut rest = chunk;
        if self.state == State::Header {
            let room = MAX_HEADER_LEN.saturating_sub(self.head.len()).max(1);
            let take = rest.len().min(room);
            self.head.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            match parse_header(&self.head)? {
                HeaderParse::NeedMore => {
                    if rest.is_empty() {
                        return Ok(());
                    }
                    // The header limit was reached with bytes left over.
                    return Err(malformed(format!("no `ciphertext` field within its first {MAX_HEADER_LEN} bytes")));
                }
                HeaderParse::Done { header, ciphertext_start } => {
                    let key = match self.secret.take() {
                        Some(Secret::Key(k)) => k,
                        Some(Secret::Password(pw)) => derive_backup_key(&pw, &header)?,
                        None => unreachable!("the key is taken once"),
                    };
                    let head = std::mem::take(&mut self.head);
                    self.header = Some(header);
                    self.secret = Some(Secret::Key(key));
                    self.state = State::Base64;
                    self.base64(&head[ciphertext_start..], out)?;
                }
            }
        }
        match self.state {
            State::Base64 => self.base64(rest, out),
            State::Trailer(_) => self.trailer(rest),
            State::Header => Ok(()),
        }
    }

    fn base64<W: Write>(&mut self, data: &[u8], out: &mut W) -> Result<()> {
        if self.state != State::Base64 {
            return self.trailer(data);
        }
        let (chars, after) = match data.iter().position(|&b| b == b'"') {
            Some(q) => (&data[..q], Some(&data[q + 1..])),
            None => (data, None),
        };
        // Decode whole groups of 4. Until the closing quote the last group is held back (it
        // may be the padded final one), so padding anywhere but at the very end, and any byte
        // outside the alphabet, is an error of the decoder (the base64 crate: canonical,
        // padded, standard alphabet).
        let mut all = std::mem::take(&mut self.carry);
        all.extend_from_slice(chars);
        let now_len = match after {
            Some(_) => all.len(),
            None => all.len().saturating_sub(1) / 4 * 4,
        };
        if now_len > 0 {
            self.decoded.clear();
            let decoded = base64::engine::general_purpose::STANDARD.decode_vec(&all[..now_len], &mut self.decoded);
            if let Err(e) = decoded {
                let reason = match e {
                    base64::DecodeError::InvalidByte(_, b'\\') => "it holds an escaped character, which is not base64".to_string(),
                    base64::DecodeError::InvalidByte(_, b'=') | base64::DecodeError::InvalidPadding => "its base64 padding is misplaced".to_string(),
                    base64::DecodeError::InvalidByte(_, b) => format!("it holds the byte 0x{b:02x}, which is not base64"),
                    base64::DecodeError::InvalidLength(_) | base64::DecodeError::InvalidLastSymbol(_, _) => {
                        "it is not a whole number of base64 groups (part of it is missing)".to_string()
                    }
                };
                return Err(Error::Damaged { reason: format!("its encrypted data is not valid: {reason}") });
            }
            let decoded = std::mem::take(&mut self.decoded);
            let r = self.sealed(&decoded, out);
            self.decoded = decoded;
            r?;
        }
        self.carry = all[now_len..].to_vec();
        if let Some(after) = after {
            self.state = State::Trailer(false);
            return self.trailer(after);
        }
        Ok(())
    }

    fn sealed<W: Write>(&mut self, mut bytes: &[u8], out: &mut W) -> Result<()> {
        if self.gcm.is_none() {
            let take = bytes.len().min(MIN_SEALED_LEN - self.sealed_head.len());
            self.sealed_head.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if self.sealed_head.len() < MIN_SEALED_LEN {
                return Ok(());
            }
            let iv: [u8; IV_LEN] = self.sealed_head[..IV_LEN].try_into().expect("12 bytes");
            let tag: [u8; TAG_LEN] = self.sealed_head[IV_LEN..].try_into().expect("16 bytes");
            let Some(Secret::Key(key)) = &self.secret else { unreachable!("the key is set before the ciphertext") };
            self.gcm = Some(StreamingDecryptor::new(key, &iv, &tag));
        }
        if bytes.is_empty() {
            return Ok(());
        }
        let gcm = self.gcm.as_mut().expect("set above");
        let mut buf = Zeroizing::new(bytes.to_vec());
        if !gcm.update(&mut buf) {
            return Err(Error::Damaged { reason: "its encrypted data is longer than AES-GCM allows".into() });
        }
        if self.prefix.len() < PREFIX_KEEP {
            let take = buf.len().min(PREFIX_KEEP - self.prefix.len());
            self.prefix.extend_from_slice(&buf[..take]);
        }
        if !self.prefix_checked && self.prefix.len() >= PAYLOAD_START.len() {
            self.prefix_checked = true;
            let differing = self.prefix.iter().zip(PAYLOAD_START.iter()).filter(|(a, b)| a != b).count();
            if differing >= 4 {
                return Err(Error::WrongBackupPassword);
            }
            if differing > 0 {
                return Err(Error::Damaged { reason: "the start of its content is corrupted".into() });
            }
        }
        out.write_all(&buf)?;
        self.plaintext_out += buf.len() as u64;
        Ok(())
    }

    fn trailer(&mut self, data: &[u8]) -> Result<()> {
        for &b in data {
            match self.state {
                State::Trailer(false) if b == b'}' => self.state = State::Trailer(true),
                _ if is_ws(b) => {}
                State::Trailer(false) => return Err(malformed("`ciphertext` is not its last field, as the original always writes it")),
                _ => return Err(malformed("there is more data after the end of its JSON object")),
            }
        }
        Ok(())
    }

    /// Ends the input: checks that the envelope is complete and the tag matches. Only after
    /// `Ok` may the plaintext written to `out` be trusted.
    pub fn finish<W: Write>(self, out: &mut W) -> Result<Decrypted> {
        out.flush()?;
        match self.state {
            State::Header => {
                return Err(Error::Truncated { reason: "before its encrypted data begins".into() });
            }
            State::Base64 => {
                return Err(Error::Truncated { reason: "inside its encrypted data (the closing `\"}` is missing)".into() });
            }
            State::Trailer(false) => {
                return Err(Error::Truncated { reason: "before the closing `}` of the envelope".into() });
            }
            State::Trailer(true) => {}
        }
        let Some(gcm) = self.gcm else {
            return Err(Error::Damaged { reason: "its encrypted data is shorter than an IV and a tag".into() });
        };
        let len = gcm.len();
        if !gcm.verify() {
            if self.prefix_checked {
                return Err(Error::Damaged { reason: "its authentication tag does not match its content".into() });
            }
            // Too short to have shown the payload's first bytes: cannot tell which.
            return Err(Error::WrongBackupPassword);
        }
        Ok(Decrypted { header: self.header.expect("set with the state"), plaintext_len: len, prefix: self.prefix })
    }
}

/// Decrypts a whole `.ttbak` from `input` into `out`, calling `progress(bytes_in)` after each
/// chunk. Returns only after the tag is verified (on the server `out` is a temporary file).
pub fn decrypt<R: Read, W: Write>(mut input: R, password: &str, out: &mut W, mut progress: impl FnMut(u64)) -> Result<Decrypted> {
    let mut d = EnvelopeDecryptor::new(password)?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        d.push(&buf[..n], out)?;
        progress(d.bytes_in());
    }
    d.finish(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = r#"{"format": "tracker-tracker-encrypted-backup", "version": 1, "createdAt": "2026-04-10T03:00:00.000Z", "encryptionSalt": "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100", "ciphertext": "AAEC"#;

    #[test]
    fn header_parses_at_every_split() {
        for cut in 0..HEAD.len() {
            match parse_header(&HEAD.as_bytes()[..cut]).unwrap() {
                HeaderParse::NeedMore => {}
                HeaderParse::Done { ciphertext_start, .. } => {
                    assert_eq!(ciphertext_start, HEAD.len() - 4, "cut {cut}");
                }
            }
        }
        let HeaderParse::Done { header, ciphertext_start } = parse_header(HEAD.as_bytes()).unwrap() else { panic!() };
        assert_eq!(&HEAD[ciphertext_start..], "AAEC");
        assert_eq!(header.created_at.to_rfc3339(), "2026-04-10T03:00:00+00:00");
        assert!(header.unknown_keys.is_empty());
    }

    #[test]
    fn header_rules() {
        let bad_version = HEAD.replace("\"version\": 1", "\"version\": 2");
        assert!(matches!(parse_header(bad_version.as_bytes()), Err(Error::UnsupportedVersion { .. })));
        let bad_salt = HEAD.replace("ffeedd", "zzeedd");
        assert!(matches!(parse_header(bad_salt.as_bytes()), Err(Error::BadSalt { .. })));
        let bad_format = HEAD.replace("tracker-tracker-encrypted-backup", "other");
        assert!(matches!(parse_header(bad_format.as_bytes()), Err(Error::EnvelopeMalformed { .. })));
        let extra = HEAD.replace("{\"format\"", "{\"x\":[1,2],\"format\"");
        let HeaderParse::Done { header, .. } = parse_header(extra.as_bytes()).unwrap() else { panic!() };
        assert_eq!(header.unknown_keys, vec!["x".to_string()]);
        assert!(matches!(parse_header(b"[1]"), Err(Error::EnvelopeMalformed { .. })));
        let long = format!("{{\"format\":\"{}\"", " ".repeat(MAX_HEADER_LEN));
        assert!(matches!(parse_header(long.as_bytes()), Err(Error::EnvelopeMalformed { .. })));
    }

    #[test]
    fn passwords_are_bounded() {
        assert!(matches!(EnvelopeDecryptor::new(""), Err(Error::BackupPasswordMissing)));
        assert!(matches!(EnvelopeDecryptor::new(&"x".repeat(129)), Err(Error::BackupPasswordTooLong)));
        assert!(EnvelopeDecryptor::new(&"é".repeat(128)).is_ok());
    }
}
