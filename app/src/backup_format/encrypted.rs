//! The encrypted backup container (`.ttbak`), shared by the server and the browser.
//!
//! Layout (spec: docs/backup-format.md, section 2, "Encrypted backup"):
//!
//! ```text
//! magic (8) | header length N (u32 BE) | header JSON (N) | SHA-256 checksum (32) | HMAC-SHA256 (32) | chunks…
//! ```
//!
//! The payload is the plain backup, raw-DEFLATE compressed, cut into `chunk_size` pieces and sealed
//! with AES-256-GCM in the STREAM-BE32 construction (nonce = 7-byte prefix ‖ u32 BE counter ‖ last
//! flag), with the header checksum as associated data. Argon2id turns the password into 64 bytes:
//! the AES key and the HMAC key.
//!
//! Writing: [`TtbakWriter`]. Reading: [`TtbakReader`] (pull, server) or [`parse_header`] +
//! [`Opener::new`] + [`PushDecoder`] (push, browser). Both decoders run on one core
//! (`ChunkCore` for the chunks, `Inflater` for DEFLATE), so they accept and refuse exactly the
//! same files. No plaintext leaves a decoder before the tag of the chunk holding it has been checked,
//! and a decoder reports the end of the data only after the final chunk has been verified as final.

use std::fmt;
use std::io::{self, Read, Write};

use aead::stream::{EncryptorBE32, NewStream, StreamBE32, StreamPrimitive};
use aes_gcm::aead::generic_array::GenericArray;
use aes_gcm::{Aes256Gcm, KeyInit};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// First bytes of every `.ttbak` file. Like PNG's: a high byte (catches 7-bit transfers), a name,
/// and CR LF (catches newline conversion).
pub const MAGIC: [u8; 8] = *b"\x89TTBAK\r\n";
/// The `format` value of the clear header.
pub const FORMAT_ID: &str = "tracker-tracker-backup";
/// The container version this code writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;
/// The largest clear header accepted (bytes of JSON).
pub const MAX_HEADER_LEN: u32 = 16 * 1024;
/// AES-GCM tag length: every encrypted chunk is its plaintext plus this.
pub const TAG_LEN: usize = 16;
pub const DEFAULT_CHUNK_SIZE: usize = 64 * 1024;
pub const MIN_CHUNK_SIZE: usize = 1024;
pub const MAX_CHUNK_SIZE: usize = 1024 * 1024;
/// Bounds on what an untrusted header may ask for, so a crafted file cannot make the server or the
/// browser allocate or compute without limit.
pub const MAX_MEMORY_KIB: u32 = 256 * 1024;
pub const MAX_ITERATIONS: u32 = 16;
pub const MAX_PARALLELISM: u32 = 4;
pub const SALT_LEN: usize = 16;
pub const MIN_SALT_LEN: usize = 16;
pub const MAX_SALT_LEN: usize = 64;
pub const NONCE_PREFIX_LEN: usize = 7;
/// DEFLATE level of the writer: 3 is about three times faster than the default 6 on backup
/// JSON for a slightly larger file (readers accept any level).
pub const COMPRESSION_LEVEL: u32 = 3;

const KDF_ALGORITHM: &str = "argon2id";
/// Argon2 version 1.3 (0x13).
const KDF_VERSION: u32 = 19;
const CIPHER_ALGORITHM: &str = "aes-256-gcm";
const CIPHER_CONSTRUCTION: &str = "stream-be32";
const COMPRESSION: &str = "deflate-raw";
/// Magic + header length field.
const PREAMBLE_LEN: usize = 12;
const CHECKSUM_LEN: usize = 32;
const MAC_LEN: usize = 32;
/// How many bytes of trial decryption a reader may spend looking for the real end of a file that
/// has extra bytes after its final chunk (see [`ChunkCore::diagnose`]). Bounded so a damaged file
/// costs at most a fraction of a second, also in the browser.
const TRAILING_SEARCH_BUDGET: usize = 16 * 1024 * 1024;
/// Output slice size for the push decoder's inflater.
const INFLATE_SLICE: usize = 32 * 1024;

type HmacSha256 = Hmac<Sha256>;
type Stream = StreamBE32<Aes256Gcm>;

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// Why a `.ttbak` file could not be written or read. Messages are for people; none of them holds a
/// password or key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TtbakError {
    #[error("This file is not an encrypted Tracker Tracker backup (.ttbak): it does not start with the .ttbak signature.")]
    NotTtbak,
    #[error("The backup's header is {len} bytes long; a valid header is 1 to {MAX_HEADER_LEN} bytes. The file is damaged or was not written by Tracker Tracker.")]
    HeaderSize { len: u32 },
    #[error("The backup's header is damaged (its checksum does not match), so the file cannot be opened. Use another copy of the backup.")]
    HeaderDamaged,
    #[error("The backup's header is invalid: {0}. The file was not written by Tracker Tracker or has been tampered with.")]
    HeaderInvalid(String),
    #[error("This backup was made by a newer version of Tracker Tracker (encrypted format version {found}; this version reads up to {supported}). Update Tracker Tracker, then try again.")]
    NewerVersion { found: u32, supported: u32 },
    #[error("This backup uses {what} \"{name}\", which this version of Tracker Tracker does not support.")]
    UnsupportedAlgorithm { what: &'static str, name: String },
    /// The detail names the value and the limit.
    #[error("{0} — the file was not written by Tracker Tracker or has been tampered with.")]
    ParamsOutOfBounds(String),
    #[error("The backup password is wrong.")]
    WrongPassword,
    #[error("The backup file ends early (after {at} bytes): it is incomplete, perhaps because a download or copy was cut short.")]
    Truncated { at: u64 },
    #[error("Part of the backup is damaged or out of order: chunk {index} (starting at byte {offset}) failed its integrity check. Use another copy of the backup.")]
    ChunkDamaged { index: u64, offset: u64 },
    /// The file ends inside a chunk that fails its check. A reader cannot tell a file cut short
    /// inside a chunk from a final chunk whose bytes were changed: both are "some bytes that do not
    /// authenticate, then the end".
    #[error("The end of the backup is missing or damaged: its last chunk {index} (starting at byte {offset}) failed its integrity check. The file was probably cut short (an interrupted download or copy). Use a complete copy of the backup.")]
    TruncatedOrDamaged { index: u64, offset: u64 },
    #[error("The backup has extra data after its end (from byte {offset}). The file was altered or joined with another file.")]
    TrailingData { offset: u64 },
    #[error("The backup decrypted correctly but its contents are not valid compressed data ({0}). It was written by a faulty program.")]
    Deflate(String),
    #[error("The backup is too large for the encrypted format (at most 4294967295 chunks).")]
    TooLarge,
    #[error("Deriving the key from the backup password failed: {0}")]
    KeyDerivation(String),
    #[error("The system's random number generator failed: {0}")]
    Random(String),
    #[error("Cannot write an encrypted backup with these settings: {0}")]
    Settings(String),
    #[error("Could not read or write the backup: {message}")]
    Io { kind: io::ErrorKind, message: String },
}

impl TtbakError {
    /// The [`TtbakError`] inside an `io::Error` returned by [`TtbakReader`] or [`TtbakWriter`]
    /// (possibly passed through other readers), so callers can show the precise message.
    pub fn from_io(e: &io::Error) -> Option<TtbakError> {
        e.get_ref().and_then(|inner| inner.downcast_ref::<TtbakError>()).cloned()
    }

    pub fn is_wrong_password(&self) -> bool {
        matches!(self, TtbakError::WrongPassword)
    }

    fn io(e: &io::Error) -> TtbakError {
        TtbakError::from_io(e).unwrap_or_else(|| TtbakError::Io { kind: e.kind(), message: e.to_string() })
    }
}

impl From<TtbakError> for io::Error {
    fn from(e: TtbakError) -> io::Error {
        let kind = match &e {
            TtbakError::Truncated { .. } => io::ErrorKind::UnexpectedEof,
            TtbakError::Io { kind, .. } => *kind,
            _ => io::ErrorKind::InvalidData,
        };
        io::Error::new(kind, e)
    }
}

// ---------------------------------------------------------------------------------------------
// Parameters and the clear header
// ---------------------------------------------------------------------------------------------

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for KdfParams {
    fn default() -> Self {
        KdfParams { memory_kib: 64 * 1024, iterations: 3, parallelism: 1 }
    }
}

impl KdfParams {
    /// `Err(detail)` naming the value and the limit when a reader would refuse these parameters.
    fn check(&self) -> Result<argon2::Params, String> {
        if self.memory_kib > MAX_MEMORY_KIB {
            return Err(format!(
                "this backup asks for {} of memory to derive its key; Tracker Tracker allows at most {}",
                human_kib(self.memory_kib),
                human_kib(MAX_MEMORY_KIB)
            ));
        }
        if self.iterations > MAX_ITERATIONS {
            return Err(format!(
                "this backup asks for {} Argon2id iterations to derive its key; Tracker Tracker allows at most {MAX_ITERATIONS}",
                self.iterations
            ));
        }
        if self.parallelism > MAX_PARALLELISM {
            return Err(format!("this backup asks for Argon2id parallelism {}; Tracker Tracker allows at most {MAX_PARALLELISM}", self.parallelism));
        }
        argon2::Params::new(self.memory_kib, self.iterations, self.parallelism, Some(64)).map_err(|e| {
            format!(
                "Argon2id refuses this backup's key parameters (memory {} KiB, {} iterations, parallelism {}): {e}",
                self.memory_kib, self.iterations, self.parallelism
            )
        })
    }
}

fn human_kib(kib: u32) -> String {
    if kib.is_multiple_of(1024 * 1024) {
        format!("{} GiB", kib / (1024 * 1024))
    } else if kib.is_multiple_of(1024) {
        format!("{} MiB", kib / 1024)
    } else {
        format!("{kib} KiB")
    }
}

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

/// A checked clear header: magic, bounds, checksum, fields. The MAC is checked by [`Opener::new`].
#[derive(Debug, Clone)]
pub struct ParsedHeader {
    pub header: TtbakHeader,
    /// Bytes from the start of the file to the first chunk (magic, length, header, checksum, MAC).
    pub header_len_total: usize,
    /// Magic ‖ length ‖ header JSON: what the checksum and the MAC cover.
    signed: Vec<u8>,
    checksum: [u8; CHECKSUM_LEN],
    mac: [u8; MAC_LEN],
    salt: Vec<u8>,
    nonce_prefix: [u8; NONCE_PREFIX_LEN],
}

impl ParsedHeader {
    /// SHA-256 of magic ‖ length ‖ header: the associated data of every chunk.
    pub fn checksum(&self) -> &[u8; CHECKSUM_LEN] {
        &self.checksum
    }
}

/// How many bytes from the start of the file [`parse_header`] needs, given what it has.
fn header_bytes_needed(prefix: &[u8]) -> usize {
    if prefix.len() < PREAMBLE_LEN {
        return PREAMBLE_LEN;
    }
    PREAMBLE_LEN + header_len_field(prefix) as usize + CHECKSUM_LEN + MAC_LEN
}

fn header_len_field(prefix: &[u8]) -> u32 {
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

// ---------------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------------

/// Argon2id → 64 bytes: 0..32 the AES-256-GCM key, 32..64 the HMAC-SHA256 key.
fn derive_keys(password: &[u8], salt: &[u8], params: argon2::Params) -> Result<Zeroizing<[u8; 64]>, TtbakError> {
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut okm = Zeroizing::new([0u8; 64]);
    argon.hash_password_into(password, salt, okm.as_mut_slice()).map_err(|e| TtbakError::KeyDerivation(e.to_string()))?;
    Ok(okm)
}

fn header_mac(mac_key: &[u8], signed: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(mac_key).unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(signed);
    mac
}

fn stream(aes_key: &[u8], nonce_prefix: &[u8; NONCE_PREFIX_LEN]) -> Stream {
    // Both slices have the exact lengths the types require (32 and 7), so from_slice cannot panic.
    let cipher = Aes256Gcm::new(GenericArray::from_slice(aes_key));
    Stream::from_aead(cipher, GenericArray::from_slice(nonce_prefix))
}

/// The keys of one file, after the password has been checked against the header MAC.
pub struct Opener {
    stream: Stream,
    aad: [u8; CHECKSUM_LEN],
    chunk_size: usize,
    data_offset: u64,
}

impl fmt::Debug for Opener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Opener").field("chunk_size", &self.chunk_size).field("data_offset", &self.data_offset).finish_non_exhaustive()
    }
}

impl Opener {
    /// Derives the keys (slow: Argon2id, run it off the UI thread / async workers) and checks the
    /// header MAC. A MAC mismatch is [`TtbakError::WrongPassword`].
    pub fn new(parsed: &ParsedHeader, password: &[u8]) -> Result<Opener, TtbakError> {
        // parse_header checked the parameters; checking again keeps Opener safe on its own.
        let params = parsed.header.kdf_params().check().map_err(TtbakError::ParamsOutOfBounds)?;
        let okm = derive_keys(password, &parsed.salt, params)?;
        header_mac(&okm[32..], &parsed.signed).verify_slice(&parsed.mac).map_err(|_| TtbakError::WrongPassword)?;
        Ok(Opener {
            stream: stream(&okm[..32], &parsed.nonce_prefix),
            aad: parsed.checksum,
            chunk_size: parsed.header.chunk_size(),
            data_offset: parsed.header_len_total as u64,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------------------------

/// Compresses and encrypts everything written to it into `inner`. The header is written in
/// [`TtbakWriter::new`]; chunks are written as they fill; [`TtbakWriter::finish`] writes the final
/// chunk. A writer dropped without `finish` leaves a file that readers report as truncated.
pub struct TtbakWriter<W: Write> {
    deflate: flate2::write::DeflateEncoder<ChunkSink<W>>,
}

impl<W: Write> fmt::Debug for TtbakWriter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sink = self.deflate.get_ref();
        f.debug_struct("TtbakWriter").field("chunk_size", &sink.chunk_size).field("chunks_written", &sink.chunks).finish_non_exhaustive()
    }
}

impl<W: Write> TtbakWriter<W> {
    /// Derives the key (slow: Argon2id) and writes the header to `inner`.
    pub fn new(inner: W, password: &[u8], kdf: KdfParams) -> Result<Self, TtbakError> {
        Self::with_chunk_size(inner, password, kdf, DEFAULT_CHUNK_SIZE)
    }

    pub fn with_chunk_size(inner: W, password: &[u8], kdf: KdfParams, chunk_size: usize) -> Result<Self, TtbakError> {
        // Fresh for every file: two files with the same password share neither keys nor nonces.
        let mut salt = [0u8; SALT_LEN];
        let mut nonce_prefix = [0u8; NONCE_PREFIX_LEN];
        let mut rng = rand::rngs::OsRng;
        rng.try_fill_bytes(&mut salt).map_err(|e| TtbakError::Random(e.to_string()))?;
        rng.try_fill_bytes(&mut nonce_prefix).map_err(|e| TtbakError::Random(e.to_string()))?;
        Self::with_randomness(inner, password, kdf, chunk_size, &salt, nonce_prefix)
    }

    fn with_randomness(
        mut inner: W,
        password: &[u8],
        kdf: KdfParams,
        chunk_size: usize,
        salt: &[u8],
        nonce_prefix: [u8; NONCE_PREFIX_LEN],
    ) -> Result<Self, TtbakError> {
        // Never write a file a reader would refuse.
        let params = kdf.check().map_err(TtbakError::Settings)?;
        if !(MIN_CHUNK_SIZE..=MAX_CHUNK_SIZE).contains(&chunk_size) {
            return Err(TtbakError::Settings(format!("chunk size {chunk_size} is outside {MIN_CHUNK_SIZE}..={MAX_CHUNK_SIZE}")));
        }
        let header = TtbakHeader {
            format: FORMAT_ID.into(),
            format_version: FORMAT_VERSION,
            kdf: KdfHeader {
                algorithm: KDF_ALGORITHM.into(),
                version: KDF_VERSION,
                memory_kib: kdf.memory_kib,
                iterations: kdf.iterations,
                parallelism: kdf.parallelism,
                salt: B64.encode(salt),
            },
            cipher: CipherHeader {
                algorithm: CIPHER_ALGORITHM.into(),
                construction: CIPHER_CONSTRUCTION.into(),
                nonce_prefix: B64.encode(nonce_prefix),
                chunk_size: chunk_size as u32,
            },
            compression: COMPRESSION.into(),
        };
        let json = serde_json::to_vec(&header).map_err(|e| TtbakError::Settings(e.to_string()))?;
        let mut out = Vec::with_capacity(PREAMBLE_LEN + json.len() + CHECKSUM_LEN + MAC_LEN);
        out.extend_from_slice(&MAGIC);
        // Bounded by construction (a few hundred bytes), far below MAX_HEADER_LEN.
        out.extend_from_slice(&(json.len() as u32).to_be_bytes());
        out.extend_from_slice(&json);
        let checksum: [u8; CHECKSUM_LEN] = Sha256::digest(&out).into();
        let okm = derive_keys(password, salt, params)?;
        let mac = header_mac(&okm[32..], &out).finalize().into_bytes();
        out.extend_from_slice(&checksum);
        out.extend_from_slice(&mac);
        inner.write_all(&out).map_err(|e| TtbakError::io(&e))?;

        let sink = ChunkSink {
            inner,
            encryptor: Some(EncryptorBE32::from_stream_primitive(stream(&okm[..32], &nonce_prefix))),
            buf: Vec::with_capacity(chunk_size + TAG_LEN),
            chunk_size,
            aad: checksum,
            chunks: 0,
        };
        Ok(TtbakWriter { deflate: flate2::write::DeflateEncoder::new(sink, flate2::Compression::new(COMPRESSION_LEVEL)) })
    }

    /// The output, e.g. to drain a `Vec<u8>` while streaming. Only whole encrypted chunks are ever
    /// appended to it, so taking its contents between writes is safe.
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.deflate.get_mut().inner
    }

    /// Ends the deflate stream, encrypts the final chunk and returns the output.
    pub fn finish(self) -> Result<W, TtbakError> {
        let sink = self.deflate.finish().map_err(|e| TtbakError::io(&e))?;
        sink.finish()
    }
}

impl<W: Write> Write for TtbakWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.deflate.write(buf)
    }

    /// Flushes `inner` only. Compressed data waits for a whole chunk (or `finish`); forcing it out
    /// would end a chunk early and cost a deflate sync block every time.
    fn flush(&mut self) -> io::Result<()> {
        self.deflate.get_mut().inner.flush()
    }
}

/// Cuts the compressed stream into chunks and encrypts them. A full chunk is only sealed as
/// non-final once another byte arrives; `finish` seals what is left as the final chunk.
struct ChunkSink<W: Write> {
    inner: W,
    /// `None` once finished or after a failed write (a half-written chunk cannot be resumed).
    encryptor: Option<EncryptorBE32<Aes256Gcm>>,
    buf: Vec<u8>,
    chunk_size: usize,
    aad: [u8; CHECKSUM_LEN],
    chunks: u64,
}

impl<W: Write> ChunkSink<W> {
    fn seal_next(&mut self) -> Result<(), TtbakError> {
        let mut encryptor = self.encryptor.take().ok_or_else(failed_earlier)?;
        // Fails only when the 32-bit chunk counter is exhausted.
        encryptor.encrypt_next_in_place(&self.aad, &mut self.buf).map_err(|_| TtbakError::TooLarge)?;
        self.inner.write_all(&self.buf).map_err(|e| TtbakError::io(&e))?;
        self.buf.clear();
        self.chunks += 1;
        self.encryptor = Some(encryptor);
        Ok(())
    }

    fn finish(mut self) -> Result<W, TtbakError> {
        let encryptor = self.encryptor.take().ok_or_else(failed_earlier)?;
        encryptor.encrypt_last_in_place(&self.aad, &mut self.buf).map_err(|_| TtbakError::TooLarge)?;
        self.inner.write_all(&self.buf).map_err(|e| TtbakError::io(&e))?;
        self.inner.flush().map_err(|e| TtbakError::io(&e))?;
        Ok(self.inner)
    }
}

fn failed_earlier() -> TtbakError {
    TtbakError::Io { kind: io::ErrorKind::Other, message: "an earlier write failed; the backup is incomplete".into() }
}

impl<W: Write> Write for ChunkSink<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if data.is_empty() {
            return Ok(0);
        }
        if self.buf.len() == self.chunk_size {
            // More data follows, so the buffered chunk is not the final one.
            self.seal_next()?;
        }
        let n = (self.chunk_size - self.buf.len()).min(data.len());
        self.buf.extend_from_slice(&data[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

// ---------------------------------------------------------------------------------------------
// Reading core: chunks
// ---------------------------------------------------------------------------------------------

/// Collects ciphertext and opens chunks; shared by [`TtbakReader`] and [`PushDecoder`].
///
/// It drives the STREAM primitive (`StreamBE32`, which `DecryptorBE32` wraps) with explicit chunk
/// positions: naming a failure needs to try one chunk both as final and as non-final, which
/// `DecryptorBE32` cannot do (its `decrypt_last` consumes it). Same construction, same nonces.
///
/// The ciphertext buffer holds up to one chunk (`chunk_size + 16`) plus one byte: a full chunk is
/// opened as non-final only once that extra byte proves something follows; at the end of the file
/// whatever is buffered is opened as final.
struct ChunkCore {
    stream: Stream,
    aad: [u8; CHECKSUM_LEN],
    /// `chunk_size + TAG_LEN`.
    full: usize,
    data_offset: u64,
    cipher: Vec<u8>,
    /// Plaintext of the chunk opened last; also scratch space for trial decryptions.
    plain: Vec<u8>,
    /// Chunks verified so far, which is the index of the next one.
    index: u64,
    /// The final chunk has been verified.
    done: bool,
}

impl ChunkCore {
    fn new(opener: Opener) -> ChunkCore {
        let full = opener.chunk_size + TAG_LEN;
        ChunkCore {
            stream: opener.stream,
            aad: opener.aad,
            full,
            data_offset: opener.data_offset,
            cipher: Vec::with_capacity(full + 1),
            plain: Vec::with_capacity(full),
            index: 0,
            done: false,
        }
    }

    /// File offset of the buffered chunk.
    fn offset(&self) -> u64 {
        self.data_offset + self.index * self.full as u64
    }

    /// A full chunk and at least one byte after it are buffered.
    fn ready(&self) -> bool {
        self.cipher.len() > self.full
    }

    fn fill(&mut self, data: &[u8]) -> usize {
        let n = (self.full + 1 - self.cipher.len()).min(data.len());
        self.cipher.extend_from_slice(&data[..n]);
        n
    }

    /// One read from `r` into the buffer; `Ok(0)` at the end of the file.
    fn fill_from<R: Read>(&mut self, r: &mut R) -> Result<usize, TtbakError> {
        let start = self.cipher.len();
        self.cipher.resize(self.full + 1, 0);
        let result = loop {
            match r.read(&mut self.cipher[start..]) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other,
            }
        };
        let n = *result.as_ref().unwrap_or(&0);
        self.cipher.truncate(start + n);
        result.map_err(|e| TtbakError::io(&e))
    }

    /// Decrypts `cipher[..len]` into `plain`; true when its tag checks out at `index` with `last`.
    fn try_open(&mut self, len: usize, last: bool) -> bool {
        let Ok(position) = u32::try_from(self.index) else { return false };
        self.plain.clear();
        self.plain.extend_from_slice(&self.cipher[..len]);
        self.stream.decrypt_in_place(position, last, &self.aad, &mut self.plain).is_ok()
    }

    fn check_position(&self, last: bool) -> Result<(), TtbakError> {
        // The writer's STREAM counter stops at u32::MAX, reserved for a final chunk.
        match u32::try_from(self.index) {
            Ok(p) if last || p < u32::MAX => Ok(()),
            _ => Err(TtbakError::TooLarge),
        }
    }

    /// Opens the buffered full chunk as non-final (call when [`ready`](Self::ready)).
    fn open_next(&mut self) -> Result<&[u8], TtbakError> {
        self.check_position(false)?;
        if !self.try_open(self.full, false) {
            return Err(self.diagnose(false));
        }
        self.cipher.drain(..self.full);
        self.index += 1;
        Ok(&self.plain)
    }

    /// At the end of the file: opens what is buffered as the final chunk.
    fn open_final(&mut self) -> Result<&[u8], TtbakError> {
        if self.done {
            self.plain.clear();
            return Ok(&self.plain);
        }
        let w = self.cipher.len();
        if w < TAG_LEN {
            // Not even a tag: the file stops inside the header's end, a tag or a chunk.
            return Err(TtbakError::Truncated { at: self.offset() + w as u64 });
        }
        self.check_position(true)?;
        if !self.try_open(w, true) {
            return Err(self.diagnose(true));
        }
        self.cipher.clear();
        self.index += 1;
        self.done = true;
        Ok(&self.plain)
    }

    /// Names the failure of the buffered chunk, which failed to open as non-final (more bytes
    /// follow) or as final (`at_eof`). Every conclusion except the last two is proven by a tag.
    fn diagnose(&mut self, at_eof: bool) -> TtbakError {
        let index = self.index;
        let offset = self.offset();
        let w = if at_eof { self.cipher.len() } else { self.full };
        if at_eof {
            // A whole chunk that is valid as non-final: the file ends at a chunk boundary.
            if w == self.full && self.try_open(w, false) {
                return TtbakError::Truncated { at: offset + w as u64 };
            }
        } else if self.try_open(w, true) {
            // A full final chunk with bytes after it.
            return TtbakError::TrailingData { offset: offset + w as u64 };
        }
        // A shorter final chunk followed by extra bytes: try each possible end, nearest first.
        // Bounded, as each trial costs its length.
        let mut budget = TRAILING_SEARCH_BUDGET;
        for len in (TAG_LEN..w).rev() {
            if len > budget {
                break;
            }
            budget -= len;
            if self.try_open(len, true) {
                return TtbakError::TrailingData { offset: offset + len as u64 };
            }
        }
        if at_eof && w < self.full {
            TtbakError::TruncatedOrDamaged { index, offset }
        } else {
            TtbakError::ChunkDamaged { index, offset }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reading core: DEFLATE
// ---------------------------------------------------------------------------------------------

/// Raw DEFLATE decompression that knows where the stream ends, so data after the end and a stream
/// cut short are both refused (flate2's Read/Write adapters stop silently at the end).
struct Inflater {
    z: flate2::Decompress,
    ended: bool,
}

impl Inflater {
    fn new() -> Inflater {
        Inflater { z: flate2::Decompress::new(false), ended: false }
    }

    /// Returns (bytes consumed, bytes produced).
    fn run(&mut self, input: &[u8], output: &mut [u8]) -> Result<(usize, usize), TtbakError> {
        if self.ended {
            return if input.is_empty() { Ok((0, 0)) } else { Err(data_after_end()) };
        }
        let (in0, out0) = (self.z.total_in(), self.z.total_out());
        let status = self.z.decompress(input, output, flate2::FlushDecompress::None).map_err(|e| TtbakError::Deflate(e.to_string()))?;
        // Both deltas are bounded by the slice lengths.
        let consumed = (self.z.total_in() - in0) as usize;
        let produced = (self.z.total_out() - out0) as usize;
        if status == flate2::Status::StreamEnd {
            self.ended = true;
            if consumed < input.len() {
                return Err(data_after_end());
            }
        }
        Ok((consumed, produced))
    }

    /// After the final chunk: the deflate stream must have ended too.
    fn check_ended(&self) -> Result<(), TtbakError> {
        if self.ended {
            Ok(())
        } else {
            Err(TtbakError::Deflate("the compressed data stops before its end".into()))
        }
    }

    /// Inflates all of `input` into `out`, `scratch.len()` bytes at a time.
    fn run_into<W: Write>(&mut self, input: &[u8], out: &mut W, scratch: &mut [u8]) -> Result<(), TtbakError> {
        let mut pos = 0;
        loop {
            let (consumed, produced) = self.run(&input[pos..], scratch)?;
            pos += consumed;
            out.write_all(&scratch[..produced]).map_err(|e| TtbakError::io(&e))?;
            // Output space left over means nothing is pending inside the inflater.
            if pos == input.len() && produced < scratch.len() {
                return Ok(());
            }
            if consumed == 0 && produced == 0 {
                return Err(TtbakError::Deflate("the decompressor made no progress".into()));
            }
        }
    }
}

fn data_after_end() -> TtbakError {
    TtbakError::Deflate("the compressed data continues after its end".into())
}

// ---------------------------------------------------------------------------------------------
// Decoders
// ---------------------------------------------------------------------------------------------

/// Reads a `.ttbak` and yields the plain backup. `read` returns 0 only once the final chunk and
/// the end of the deflate stream have been verified. Errors come back as `io::Error` wrapping a
/// [`TtbakError`] ([`TtbakError::from_io`]); after one, every later call fails the same way.
pub struct TtbakReader<R: Read> {
    inner: R,
    header: TtbakHeader,
    core: ChunkCore,
    inflater: Inflater,
    /// Position in `core.plain` (the plaintext of the chunk opened last).
    plain_pos: usize,
    failed: Option<TtbakError>,
}

impl<R: Read> fmt::Debug for TtbakReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TtbakReader")
            .field("header", &self.header)
            .field("chunks_verified", &self.core.index)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl<R: Read> TtbakReader<R> {
    /// Reads and checks the header, derives the key (slow: Argon2id) and checks the password.
    pub fn new(mut inner: R, password: &[u8]) -> Result<Self, TtbakError> {
        let mut buf = Vec::with_capacity(256);
        let parsed = loop {
            if let Some(parsed) = parse_header(&buf)? {
                break parsed;
            }
            // Read exactly what the header still needs, so no chunk byte is taken here.
            let need = header_bytes_needed(&buf);
            let start = buf.len();
            buf.resize(need, 0);
            let n = loop {
                match inner.read(&mut buf[start..]) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    other => break other.map_err(|e| TtbakError::io(&e))?,
                }
            };
            buf.truncate(start + n);
            if n == 0 {
                return Err(if buf.is_empty() { TtbakError::NotTtbak } else { TtbakError::Truncated { at: buf.len() as u64 } });
            }
        };
        let opener = Opener::new(&parsed, password)?;
        Ok(TtbakReader { inner, header: parsed.header, core: ChunkCore::new(opener), inflater: Inflater::new(), plain_pos: 0, failed: None })
    }

    pub fn header(&self) -> &TtbakHeader {
        &self.header
    }

    pub fn chunks_verified(&self) -> u64 {
        self.core.index
    }

    pub fn into_inner(self) -> R {
        self.inner
    }

    fn read_inner(&mut self, buf: &mut [u8]) -> Result<usize, TtbakError> {
        loop {
            let (consumed, produced) = self.inflater.run(&self.core.plain[self.plain_pos..], buf)?;
            self.plain_pos += consumed;
            if produced > 0 {
                return Ok(produced);
            }
            if self.plain_pos < self.core.plain.len() {
                if consumed == 0 {
                    return Err(TtbakError::Deflate("the decompressor made no progress".into()));
                }
                continue;
            }
            // This chunk is used up and nothing is pending: the next one, or the end.
            if self.core.done {
                self.inflater.check_ended()?;
                return Ok(0);
            }
            self.next_chunk()?;
        }
    }

    fn next_chunk(&mut self) -> Result<(), TtbakError> {
        loop {
            if self.core.ready() {
                self.core.open_next()?;
                break;
            }
            if self.core.fill_from(&mut self.inner)? == 0 {
                self.core.open_final()?;
                break;
            }
        }
        self.plain_pos = 0;
        Ok(())
    }
}

impl<R: Read> Read for TtbakReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(e) = &self.failed {
            return Err(e.clone().into());
        }
        if buf.is_empty() {
            return Ok(0);
        }
        self.read_inner(buf).map_err(|e| {
            self.failed = Some(e.clone());
            e.into()
        })
    }
}

/// Push-based decoder for the browser, which reads a `File` in async slices: feed the bytes after
/// the header ([`ParsedHeader::header_len_total`]) in any slice sizes; the plain backup goes to
/// `out`. Memory stays at about two chunks plus the deflate window. After an error every later
/// call fails the same way.
pub struct PushDecoder<W: Write> {
    core: ChunkCore,
    inflater: Inflater,
    out: W,
    scratch: Vec<u8>,
    failed: Option<TtbakError>,
}

impl<W: Write> fmt::Debug for PushDecoder<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushDecoder").field("chunks_verified", &self.core.index).field("failed", &self.failed).finish_non_exhaustive()
    }
}

impl<W: Write> PushDecoder<W> {
    pub fn new(opener: Opener, out: W) -> Self {
        PushDecoder { core: ChunkCore::new(opener), inflater: Inflater::new(), out, scratch: vec![0; INFLATE_SLICE], failed: None }
    }

    /// Feeds the next bytes of the file.
    pub fn push(&mut self, mut ciphertext: &[u8]) -> Result<(), TtbakError> {
        self.check_failed()?;
        while !ciphertext.is_empty() {
            let n = self.core.fill(ciphertext);
            ciphertext = &ciphertext[n..];
            if self.core.ready() {
                let result = match self.core.open_next() {
                    Ok(plain) => self.inflater.run_into(plain, &mut self.out, &mut self.scratch),
                    Err(e) => Err(e),
                };
                result.map_err(|e| self.fail(e))?;
            }
        }
        Ok(())
    }

    /// The end of the file: opens the final chunk and checks that the data is complete.
    pub fn finish(mut self) -> Result<W, TtbakError> {
        self.check_failed()?;
        let plain = self.core.open_final()?;
        self.inflater.run_into(plain, &mut self.out, &mut self.scratch)?;
        self.inflater.check_ended()?;
        self.out.flush().map_err(|e| TtbakError::io(&e))?;
        Ok(self.out)
    }

    pub fn chunks_verified(&self) -> u64 {
        self.core.index
    }

    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }

    fn check_failed(&self) -> Result<(), TtbakError> {
        match &self.failed {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    fn fail(&mut self, e: TtbakError) -> TtbakError {
        self.failed = Some(e.clone());
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    const FAST: KdfParams = KdfParams { memory_kib: 1024, iterations: 1, parallelism: 1 };
    const PW: &[u8] = b"correct horse battery staple";
    const CS: usize = 1024;

    /// Deterministic mix of incompressible and compressible bytes.
    fn data(n: usize, seed: u64) -> Vec<u8> {
        let mut x = seed | 1;
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if x.is_multiple_of(3) {
                out.extend_from_slice(b"{\"tracker_id\":17,\"uploaded\":123456789,\"downloaded\":42},");
            } else {
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
        out.truncate(n);
        out
    }

    fn random(n: usize, seed: u64) -> Vec<u8> {
        let mut x = seed | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 32) as u8
            })
            .collect()
    }

    /// Random bytes whose compressed payload is exactly `target` bytes.
    fn exact(target: usize) -> Vec<u8> {
        (target - 64..target + 64).map(|n| random(n, 99)).find(|r| deflated_len(r) == target).expect("some length deflates to exactly the target")
    }

    fn deflated_len(input: &[u8]) -> usize {
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(COMPRESSION_LEVEL));
        e.write_all(input).unwrap();
        e.finish().unwrap().len()
    }

    /// Writes `input` in uneven pieces.
    fn seal(input: &[u8], cs: usize) -> Vec<u8> {
        let mut w = TtbakWriter::with_chunk_size(Vec::new(), PW, FAST, cs).unwrap();
        for (i, piece) in input.chunks(777).enumerate() {
            if i % 2 == 0 {
                w.write_all(piece).unwrap();
            } else {
                for small in piece.chunks(5) {
                    w.write_all(small).unwrap();
                }
            }
        }
        w.finish().unwrap()
    }

    fn read_all(file: &[u8], pw: &[u8]) -> Result<Vec<u8>, TtbakError> {
        let mut r = TtbakReader::new(file, pw)?;
        let mut out = Vec::new();
        match r.read_to_end(&mut out) {
            Ok(_) => Ok(out),
            Err(e) => Err(TtbakError::from_io(&e).expect("reader errors carry a TtbakError")),
        }
    }

    /// As the browser does it: header from a prefix, then the rest in `slice`-byte pieces.
    fn push_all(file: &[u8], pw: &[u8], slice: usize) -> Result<Vec<u8>, TtbakError> {
        let parsed = parse_header(file)?.ok_or(TtbakError::Truncated { at: file.len() as u64 })?;
        let opener = Opener::new(&parsed, pw)?;
        let mut d = PushDecoder::new(opener, Vec::new());
        for piece in file[parsed.header_len_total..].chunks(slice) {
            d.push(piece)?;
        }
        d.finish()
    }

    /// Both decoders, several slice sizes: all must agree.
    fn open_all_ways(file: &[u8], pw: &[u8]) -> Result<Vec<u8>, TtbakError> {
        let expected = read_all(file, pw);
        for slice in [1, 7, 4096, 65537, file.len().max(1)] {
            assert_eq!(push_all(file, pw, slice), expected, "push decoder, slices of {slice}");
        }
        expected
    }

    struct Layout {
        data_start: usize,
        full: usize,
        chunks: usize,
    }

    fn layout(file: &[u8]) -> Layout {
        let parsed = parse_header(file).unwrap().unwrap();
        let full = parsed.header.chunk_size() + TAG_LEN;
        let data = file.len() - parsed.header_len_total;
        Layout { data_start: parsed.header_len_total, full, chunks: data.div_ceil(full) }
    }

    fn flip(file: &[u8], at: usize) -> Vec<u8> {
        let mut f = file.to_vec();
        f[at] ^= 0x10;
        f
    }

    /// Rewrites the clear header and recomputes its length and checksum (the MAC stays: it cannot
    /// be recomputed without the password, which is the point).
    fn reheader(file: &[u8], edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
        let len = header_len_field(file) as usize;
        let mut v: serde_json::Value = serde_json::from_slice(&file[12..12 + len]).unwrap();
        edit(&mut v);
        let json = serde_json::to_vec(&v).unwrap();
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&(json.len() as u32).to_be_bytes());
        out.extend_from_slice(&json);
        let sum = Sha256::digest(&out);
        out.extend_from_slice(&sum);
        out.extend_from_slice(&file[12 + len + 32..]);
        out
    }

    type Edit = fn(&mut serde_json::Value);

    fn sample_file() -> (Vec<u8>, Vec<u8>) {
        let input = data(300_000, 7);
        let file = seal(&input, CS);
        (input, file)
    }

    #[test]
    fn round_trips() {
        // Inputs whose compressed payload is exactly one and exactly two chunks: the final chunk is
        // full, so the lookahead decides alone that it is final.
        let cases: Vec<(&str, Vec<u8>, usize)> = vec![
            ("empty", Vec::new(), CS),
            ("one byte", vec![42], CS),
            ("exactly one chunk", exact(CS), CS),
            ("exactly two chunks", exact(2 * CS), CS),
            ("many chunks", data(300_000, 1), CS),
            ("incompressible", random(50_000, 3), CS),
            ("default chunk size", data(400_000, 5), DEFAULT_CHUNK_SIZE),
            ("largest chunk size", data(1_500_000, 6), MAX_CHUNK_SIZE),
        ];
        for (name, input, cs) in cases {
            let file = seal(&input, cs);
            let l = layout(&file);
            let compressed = deflated_len(&input);
            assert_eq!(l.chunks, compressed.div_ceil(cs).max(1), "{name}: chunk count");
            assert_eq!(file.len(), l.data_start + compressed + l.chunks * TAG_LEN, "{name}: size");
            assert_eq!(open_all_ways(&file, PW).as_deref(), Ok(&input[..]), "{name}");
        }
    }

    #[test]
    fn exact_chunk_cases_have_full_final_chunks() {
        let input = exact(CS);
        let file = seal(&input, CS);
        let l = layout(&file);
        assert_eq!((l.chunks, file.len() - l.data_start), (1, CS + TAG_LEN));
    }

    #[test]
    fn defaults_round_trip() {
        let input = data(200_000, 11);
        let mut w = TtbakWriter::new(Vec::new(), PW, KdfParams::default()).unwrap();
        w.write_all(&input).unwrap();
        let file = w.finish().unwrap();
        let parsed = parse_header(&file).unwrap().unwrap();
        assert_eq!(parsed.header.kdf_params(), KdfParams { memory_kib: 65536, iterations: 3, parallelism: 1 });
        assert_eq!(parsed.header.chunk_size(), 65536);
        assert_eq!(B64.decode(&parsed.header.kdf.salt).unwrap().len(), 16);
        assert_eq!(B64.decode(&parsed.header.cipher.nonce_prefix).unwrap().len(), 7);
        assert_eq!(read_all(&file, PW).unwrap(), input);
        assert_eq!(push_all(&file, PW, 10_000).unwrap(), input);
    }

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
    fn same_password_and_input_give_different_files() {
        let input = data(20_000, 2);
        let (a, b) = (seal(&input, CS), seal(&input, CS));
        assert_ne!(a, b);
        let (ha, hb) = (parse_header(&a).unwrap().unwrap(), parse_header(&b).unwrap().unwrap());
        assert_ne!(ha.header.kdf.salt, hb.header.kdf.salt);
        assert_ne!(ha.header.cipher.nonce_prefix, hb.header.cipher.nonce_prefix);
        assert_eq!(read_all(&a, PW).unwrap(), input);
        assert_eq!(read_all(&b, PW).unwrap(), input);
    }

    #[test]
    fn wrong_password() {
        let (_, file) = sample_file();
        assert_eq!(read_all(&file, b"wrong").unwrap_err(), TtbakError::WrongPassword);
        assert_eq!(push_all(&file, b"", 4096).unwrap_err(), TtbakError::WrongPassword);
        assert!(TtbakError::WrongPassword.is_wrong_password());
        assert!(TtbakError::WrongPassword.to_string().contains("password is wrong"));
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
    fn damaged_mac_reads_as_wrong_password() {
        // The MAC is the password check: a reader cannot tell a changed MAC from a wrong password
        // (both are "this key does not produce this MAC") and must not go on without it.
        let (_, file) = sample_file();
        let len = header_len_field(&file) as usize;
        for at in [12 + len + 32, 12 + len + 63] {
            assert_eq!(read_all(&flip(&file, at), PW).unwrap_err(), TtbakError::WrongPassword);
        }
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
    fn damaged_chunks() {
        let (input, file) = sample_file();
        let l = layout(&file);
        assert!(l.chunks > 10);
        let last_start = l.data_start + (l.chunks - 1) * l.full;
        assert!(file.len() - last_start < l.full, "this sample's final chunk is short");
        let cases = [
            (l.data_start, TtbakError::ChunkDamaged { index: 0, offset: l.data_start as u64 }),
            (l.data_start + l.full - 1, TtbakError::ChunkDamaged { index: 0, offset: l.data_start as u64 }),
            (l.data_start + 5 * l.full + 100, TtbakError::ChunkDamaged { index: 5, offset: (l.data_start + 5 * l.full) as u64 }),
            // A short final chunk: cut short and changed look the same (see TruncatedOrDamaged).
            (last_start, TtbakError::TruncatedOrDamaged { index: l.chunks as u64 - 1, offset: last_start as u64 }),
            (file.len() - 1, TtbakError::TruncatedOrDamaged { index: l.chunks as u64 - 1, offset: last_start as u64 }),
        ];
        for (at, expected) in cases {
            let bad = flip(&file, at);
            assert_eq!(open_all_ways(&bad, PW).unwrap_err(), expected, "bit flipped at {at}");
        }
        // Nothing from a chunk is released before its tag is checked: only whole earlier chunks
        // reach the output.
        let bad = flip(&file, l.data_start + 5 * l.full + 100);
        let parsed = parse_header(&bad).unwrap().unwrap();
        let mut d = PushDecoder::new(Opener::new(&parsed, PW).unwrap(), Vec::new());
        assert!(d.push(&bad[parsed.header_len_total..]).is_err());
        assert_eq!(d.chunks_verified(), 5);
        let out = d.get_mut().clone();
        assert!(input.starts_with(&out) && out.len() < input.len());
        // Errors stick.
        assert!(matches!(d.push(b"x"), Err(TtbakError::ChunkDamaged { index: 5, .. })));
        assert!(matches!(d.finish(), Err(TtbakError::ChunkDamaged { index: 5, .. })));
    }

    #[test]
    fn damaged_full_final_chunk() {
        let input = exact(2 * CS);
        let file = seal(&input, CS);
        let l = layout(&file);
        assert_eq!(file.len(), l.data_start + 2 * l.full);
        let offset = (l.data_start + l.full) as u64;
        for at in [l.data_start + l.full, file.len() - 1] {
            assert_eq!(open_all_ways(&flip(&file, at), PW).unwrap_err(), TtbakError::ChunkDamaged { index: 1, offset });
        }
    }

    #[test]
    fn swapped_chunks() {
        let (_, file) = sample_file();
        let l = layout(&file);
        let mut bad = file.clone();
        let (a, b) = (l.data_start + 2 * l.full, l.data_start + 3 * l.full);
        let second = file[b..b + l.full].to_vec();
        bad.copy_within(a..a + l.full, b);
        bad[a..a + l.full].copy_from_slice(&second);
        assert_eq!(open_all_ways(&bad, PW).unwrap_err(), TtbakError::ChunkDamaged { index: 2, offset: a as u64 });
        // A chunk repeated in place of the next one.
        let mut dup = file.clone();
        dup.copy_within(a..a + l.full, b);
        assert_eq!(open_all_ways(&dup, PW).unwrap_err(), TtbakError::ChunkDamaged { index: 3, offset: b as u64 });
    }

    #[test]
    fn truncated() {
        let (_, file) = sample_file();
        let l = layout(&file);
        let truncated = |len: usize| TtbakError::Truncated { at: len as u64 };
        // Inside the header, and right after it (no chunk at all).
        for len in [1, 8, 12, 100, l.data_start - 1, l.data_start] {
            assert_eq!(read_all(&file[..len], PW).unwrap_err(), truncated(len), "cut at {len}");
        }
        assert_eq!(push_all(&file[..l.data_start], PW, 7).unwrap_err(), truncated(l.data_start));
        // At chunk boundaries: the chunk at the end opens as non-final, so the file is proven cut.
        for k in [1, 2, l.chunks - 1] {
            let len = l.data_start + k * l.full;
            assert_eq!(open_all_ways(&file[..len], PW).unwrap_err(), truncated(len), "cut after chunk {k}");
        }
        // Inside a chunk, less than a tag left.
        for extra in [1, 15] {
            let len = l.data_start + 3 * l.full + extra;
            assert_eq!(open_all_ways(&file[..len], PW).unwrap_err(), truncated(len));
        }
        // Inside a chunk, more than a tag left: cannot be told from a damaged final chunk.
        for (k, extra) in [(3, 16), (3, 500), (3, l.full - 1), (l.chunks - 1, 20)] {
            let len = l.data_start + k * l.full + extra;
            let expected = TtbakError::TruncatedOrDamaged { index: k as u64, offset: (l.data_start + k * l.full) as u64 };
            assert_eq!(open_all_ways(&file[..len], PW).unwrap_err(), expected, "cut at chunk {k} + {extra}");
        }
        // The final chunk's tag cut short.
        let len = file.len() - 3;
        let last = l.chunks as u64 - 1;
        let offset = (l.data_start + (l.chunks - 1) * l.full) as u64;
        assert_eq!(open_all_ways(&file[..len], PW).unwrap_err(), TtbakError::TruncatedOrDamaged { index: last, offset });
        let io_err: io::Error = truncated(5).into();
        assert_eq!(io_err.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn unfinished_writer_leaves_a_truncated_file() {
        let input = data(100_000, 4);
        let mut w = TtbakWriter::with_chunk_size(Vec::new(), PW, FAST, CS).unwrap();
        w.write_all(&input).unwrap();
        let file = std::mem::take(w.get_mut());
        drop(w);
        let err = read_all(&file, PW).unwrap_err();
        assert!(matches!(err, TtbakError::Truncated { .. }), "{err:?}");
    }

    #[test]
    fn trailing_data() {
        let (input, file) = sample_file();
        let end = file.len() as u64;
        for garbage in [vec![0u8], vec![b'\n'], random(17, 1), random(CS + 100, 2), random(10 * CS, 3), file.clone()] {
            let mut bad = file.clone();
            bad.extend_from_slice(&garbage);
            assert_eq!(open_all_ways(&bad, PW).unwrap_err(), TtbakError::TrailingData { offset: end }, "{} bytes", garbage.len());
        }
        // After a full final chunk.
        let full_final = exact(CS);
        let file = seal(&full_final, CS);
        for garbage in [vec![0u8], random(CS + 16, 4), random(5 * CS, 5)] {
            let mut bad = file.clone();
            bad.extend_from_slice(&garbage);
            assert_eq!(open_all_ways(&bad, PW).unwrap_err(), TtbakError::TrailingData { offset: file.len() as u64 });
        }
        let _ = input;
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

    #[test]
    fn unknown_header_fields_are_ignored() {
        let (_, file) = sample_file();
        let edited = reheader(&file, |v| {
            v["comment"] = "added by a later version".into();
            v["kdf"]["hint"] = serde_json::json!({"x": 1});
        });
        let parsed = parse_header(&edited).unwrap().unwrap();
        // The header is authenticated (MAC and AAD): edited, it is refused as such, not misread.
        assert_eq!(Opener::new(&parsed, PW).unwrap_err(), TtbakError::WrongPassword);
        // With a MAC recomputed from the key, the edited header opens.
        let okm = derive_keys(PW, &parsed.salt, FAST.check().unwrap()).unwrap();
        let mut resigned = parsed.clone();
        resigned.mac.copy_from_slice(&header_mac(&okm[32..], &parsed.signed).finalize().into_bytes());
        assert!(Opener::new(&resigned, PW).is_ok());
    }

    #[test]
    fn types_cross_threads() {
        // The server derives keys and streams on blocking threads.
        fn send<T: Send>() {}
        fn send_sync<T: Send + Sync + 'static>() {}
        send::<TtbakWriter<Vec<u8>>>();
        send::<TtbakReader<std::io::BufReader<std::fs::File>>>();
        send::<PushDecoder<Vec<u8>>>();
        send::<Opener>();
        send_sync::<TtbakError>();
        send_sync::<ParsedHeader>();
    }

    #[test]
    fn writer_refuses_what_readers_refuse() {
        let too_much = KdfParams { memory_kib: MAX_MEMORY_KIB + 1, ..FAST };
        assert!(matches!(TtbakWriter::new(Vec::new(), PW, too_much), Err(TtbakError::Settings(_))));
        assert!(matches!(TtbakWriter::with_chunk_size(Vec::new(), PW, FAST, 100), Err(TtbakError::Settings(_))));
    }

    #[test]
    fn io_errors_carry_the_ttbak_error() {
        let json: Vec<String> = (0..20_000).map(|i| format!("{i}:{:x}", i * 7919)).collect();
        let file = seal(&serde_json::to_vec(&json).unwrap(), CS);
        let l = layout(&file);
        assert!(l.chunks > 5);
        let bad = flip(&file, l.data_start + 3 * l.full);
        let mut r = TtbakReader::new(&bad[..], PW).unwrap();
        let mut sink = Vec::new();
        let e = r.read_to_end(&mut sink).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert!(matches!(TtbakError::from_io(&e), Some(TtbakError::ChunkDamaged { index: 3, .. })));
        // Through serde_json, as the plain-format reader sees it.
        let r = TtbakReader::new(&bad[..], PW).unwrap();
        let json_err = serde_json::from_reader::<_, serde_json::Value>(r).unwrap_err();
        assert!(json_err.is_io());
        let e: io::Error = json_err.into();
        assert!(matches!(TtbakError::from_io(&e), Some(TtbakError::ChunkDamaged { index: 3, .. })));
        assert_eq!(TtbakError::from_io(&io::Error::other("plain")), None);
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let (_, file) = sample_file();
        let parsed = parse_header(&file).unwrap().unwrap();
        let opener = Opener::new(&parsed, PW).unwrap();
        let okm = derive_keys(PW, &parsed.salt, FAST.check().unwrap()).unwrap();
        let mut w = TtbakWriter::with_chunk_size(Vec::new(), PW, FAST, CS).unwrap();
        w.write_all(b"x").unwrap();
        let texts = [
            format!("{opener:?}"),
            format!("{w:?}"),
            format!("{:?}", TtbakReader::new(&file[..], PW).unwrap()),
            format!("{:?}", PushDecoder::new(opener, Vec::new())),
        ];
        let key_hex: String = okm[..8].iter().map(|b| format!("{b:02x}")).collect();
        for t in texts {
            assert!(!t.contains("correct horse") && !t.contains(&key_hex) && !t.contains(&format!("{:?}", &okm[..4])), "{t}");
        }
    }

    /// Decrypts a file with nothing but the primitives, step by step as docs/backup-format.md
    /// tells a reader in another language to, and with aead's DecryptorBE32.
    #[test]
    fn spec_reader_agrees() {
        use aes_gcm::aead::{Aead, Payload};
        let input = data(50_000, 8);
        let file = seal(&input, CS);
        let n = u32::from_be_bytes(file[8..12].try_into().unwrap()) as usize;
        let header: serde_json::Value = serde_json::from_slice(&file[12..12 + n]).unwrap();
        let checksum = &file[12 + n..12 + n + 32];
        let mac = &file[12 + n + 32..12 + n + 64];
        assert_eq!(Sha256::digest(&file[..12 + n]).as_slice(), checksum);
        let salt = B64.decode(header["kdf"]["salt"].as_str().unwrap()).unwrap();
        let prefix = B64.decode(header["cipher"]["nonce_prefix"].as_str().unwrap()).unwrap();
        let cs = header["cipher"]["chunk_size"].as_u64().unwrap() as usize;
        let params = argon2::Params::new(1024, 1, 1, Some(64)).unwrap();
        let mut okm = [0u8; 64];
        argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params).hash_password_into(PW, &salt, &mut okm).unwrap();
        let mut h = <HmacSha256 as Mac>::new_from_slice(&okm[32..]).unwrap();
        h.update(&file[..12 + n]);
        h.verify_slice(mac).unwrap();
        let aes = Aes256Gcm::new_from_slice(&okm[..32]).unwrap();
        let chunks: Vec<&[u8]> = file[12 + n + 64..].chunks(cs + 16).collect();
        let mut payload = Vec::new();
        for (i, c) in chunks.iter().enumerate() {
            let mut nonce = prefix.clone();
            nonce.extend_from_slice(&(i as u32).to_be_bytes());
            nonce.push(u8::from(i == chunks.len() - 1));
            let plain = aes.decrypt(GenericArray::from_slice(&nonce), Payload { msg: c, aad: checksum }).unwrap();
            payload.extend_from_slice(&plain);
        }
        let mut plain = Vec::new();
        flate2::read::DeflateDecoder::new(&payload[..]).read_to_end(&mut plain).unwrap();
        assert_eq!(plain, input);

        let mut d = aead::stream::DecryptorBE32::from_aead(aes, GenericArray::from_slice(&prefix));
        let mut payload2 = Vec::new();
        for c in &chunks[..chunks.len() - 1] {
            payload2.extend(d.decrypt_next(Payload { msg: c, aad: checksum }).unwrap());
        }
        payload2.extend(d.decrypt_last(Payload { msg: chunks[chunks.len() - 1], aad: checksum }).unwrap());
        assert_eq!(payload2, payload);
    }

    /// The test vector printed in docs/backup-format-ttbak.md.
    #[test]
    fn known_answer() {
        let file = hex(KAT_FILE);
        let parsed = parse_header(&file).unwrap().unwrap();
        let okm = derive_keys(KAT_PASSWORD, &parsed.salt, parsed.header.kdf_params().check().unwrap()).unwrap();
        assert_eq!(to_hex(&okm[..32]), KAT_AES_KEY);
        assert_eq!(to_hex(&okm[32..]), KAT_MAC_KEY);
        assert_eq!(to_hex(parsed.checksum()), KAT_CHECKSUM);
        assert_eq!(open_all_ways(&file, KAT_PASSWORD).unwrap(), KAT_PLAIN);
        assert_eq!(read_all(&file, b"Password"), Err(TtbakError::WrongPassword));
    }

    #[test]
    #[ignore = "prints the known-answer vector for the docs"]
    fn print_known_answer() {
        let mut w = TtbakWriter::with_randomness(Vec::new(), KAT_PASSWORD, FAST, CS, &KAT_SALT, KAT_NONCE_PREFIX).unwrap();
        w.write_all(KAT_PLAIN).unwrap();
        let file = w.finish().unwrap();
        let okm = derive_keys(KAT_PASSWORD, &KAT_SALT, FAST.check().unwrap()).unwrap();
        println!("file: {}\naes key: {}\nmac key: {}", to_hex(&file), to_hex(&okm[..32]), to_hex(&okm[32..]));
        let parsed = parse_header(&file).unwrap().unwrap();
        println!("checksum: {}\nheader_len_total: {}", to_hex(parsed.checksum()), parsed.header_len_total);
        println!("header: {}", std::str::from_utf8(&parsed.signed[12..]).unwrap());
    }

    /// Sample files for readers in other languages: `TTBAK_SAMPLES=dir cargo test -- --ignored write_samples`.
    #[test]
    #[ignore = "writes sample files"]
    fn write_samples() {
        let Ok(dir) = std::env::var("TTBAK_SAMPLES") else { return };
        let samples = [
            ("empty", Vec::new(), CS),
            ("small-chunks", data(300_000, 1), CS),
            ("exact-two-chunks", exact(2 * CS), CS),
            ("default-chunks", data(1_000_000, 2), DEFAULT_CHUNK_SIZE),
        ];
        for (name, input, cs) in samples {
            std::fs::write(format!("{dir}/{name}.plain"), &input).unwrap();
            std::fs::write(format!("{dir}/{name}.ttbak"), seal(&input, cs)).unwrap();
        }
        let mut w = TtbakWriter::new(Vec::new(), PW, KdfParams::default()).unwrap();
        w.write_all(&data(100_000, 3)).unwrap();
        std::fs::write(format!("{dir}/default-kdf.plain"), data(100_000, 3)).unwrap();
        std::fs::write(format!("{dir}/default-kdf.ttbak"), w.finish().unwrap()).unwrap();
    }

    const KAT_PASSWORD: &[u8] = b"password";
    const KAT_PLAIN: &[u8] = b"{\"header\":{\"format\":\"tracker-tracker-backup\"}}\n";
    const KAT_SALT: [u8; 16] = *b"0123456789abcdef";
    const KAT_NONCE_PREFIX: [u8; 7] = *b"nonce-7";
    const KAT_FILE: &str = "
        89545442414b0d0a000001437b22666f726d6174223a22747261636b65722d747261636b65722d6261636b7570222c22
        666f726d61745f76657273696f6e223a312c226b6466223a7b22616c676f726974686d223a226172676f6e326964222c
        2276657273696f6e223a31392c226d656d6f72795f6b6962223a313032342c22697465726174696f6e73223a312c2270
        6172616c6c656c69736d223a312c2273616c74223a224d4445794d7a51314e6a63344f5746695932526c5a673d3d227d
        2c22636970686572223a7b22616c676f726974686d223a226165732d3235362d67636d222c22636f6e73747275637469
        6f6e223a2273747265616d2d62653332222c226e6f6e63655f707265666978223a22626d3975593255744e773d3d222c
        226368756e6b5f73697a65223a313032347d2c22636f6d7072657373696f6e223a226465666c6174652d726177227d97
        142844493625f4f8f75cbd8d6579d4f3c72a27098a008c62817f2983bed69c87728ac782cb0eccd615c9a100e5e515f2
        5e07264220b425743772abb25921f98301e8122aef33b82929b82bbce4c77e5265b3997e0407b556809c0e396ea9be25
        105f017853d1c91e7db9d818ba34cc2c4d9067a4e4046dda
    ";
    const KAT_AES_KEY: &str = "71ebc936944750ce9bb11cb934bdc3179052da98ee0cfb4ea086d53c6b99c820";
    const KAT_MAC_KEY: &str = "785fa9eccf1ac1d298f1c7a07ad6d3231beaf9f9a7841b378a35875cca60fd33";
    const KAT_CHECKSUM: &str = "97142844493625f4f8f75cbd8d6579d4f3c72a27098a008c62817f2983bed69c";

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    fn to_hex(b: &[u8]) -> String {
        b.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// `cargo test --release --lib -- --ignored --nocapture measure`
    #[test]
    #[ignore = "measurement; run in release"]
    fn measure() {
        let params = KdfParams::default().check().unwrap();
        let started = Instant::now();
        let runs = 3;
        for _ in 0..runs {
            derive_keys(PW, &[7; 16], params.clone()).unwrap();
        }
        println!("Argon2id (64 MiB, 3 iterations, 1 lane): {:.0} ms per derivation", started.elapsed().as_secs_f64() * 1000.0 / runs as f64);

        let input = data(50 * 1024 * 1024, 9);
        let mb = input.len() as f64 / 1e6;
        let mut w = TtbakWriter::new(Vec::with_capacity(input.len()), PW, KdfParams::default()).unwrap();
        let started = Instant::now();
        for piece in input.chunks(64 * 1024) {
            w.write_all(piece).unwrap();
        }
        let file = w.finish().unwrap();
        let enc = started.elapsed().as_secs_f64();
        println!("encrypt (deflate + AES-GCM): {:.0} MB/s ({} -> {} bytes)", mb / enc, input.len(), file.len());

        let started = Instant::now();
        let deflated = deflated_len(&input);
        println!("  of which deflate alone: {:.0} MB/s ({deflated} bytes)", mb / started.elapsed().as_secs_f64());

        let mut r = TtbakReader::new(&file[..], PW).unwrap();
        let started = Instant::now();
        let mut out = Vec::with_capacity(input.len());
        r.read_to_end(&mut out).unwrap();
        let dec = started.elapsed().as_secs_f64();
        assert_eq!(out, input);
        println!("decrypt, TtbakReader: {:.0} MB/s of plaintext", mb / dec);

        let parsed = parse_header(&file).unwrap().unwrap();
        let mut d = PushDecoder::new(Opener::new(&parsed, PW).unwrap(), Vec::with_capacity(input.len()));
        let started = Instant::now();
        for piece in file[parsed.header_len_total..].chunks(1024 * 1024) {
            d.push(piece).unwrap();
        }
        let out = d.finish().unwrap();
        let dec = started.elapsed().as_secs_f64();
        assert_eq!(out, input);
        println!("decrypt, PushDecoder: {:.0} MB/s of plaintext", mb / dec);

        let incompressible = random(50 * 1024 * 1024, 10);
        let mut w = TtbakWriter::new(Vec::with_capacity(incompressible.len() + 1_000_000), PW, KdfParams::default()).unwrap();
        let started = Instant::now();
        w.write_all(&incompressible).unwrap();
        let file = w.finish().unwrap();
        let enc = started.elapsed().as_secs_f64();
        let mut r = TtbakReader::new(&file[..], PW).unwrap();
        let started = Instant::now();
        let mut out = Vec::with_capacity(incompressible.len());
        r.read_to_end(&mut out).unwrap();
        let dec = started.elapsed().as_secs_f64();
        println!("incompressible 50 MB: encrypt {:.0} MB/s, decrypt {:.0} MB/s", mb / enc, mb / dec);
    }
}
