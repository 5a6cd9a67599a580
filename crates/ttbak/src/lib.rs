//! The encrypted backup container (`.ttbak`), shared by the server and the browser (wasm32).
//!
//! Layout (spec: docs/backup-format.md, section 2, "Encrypted backup"; all integers big-endian):
//!
//! ```text
//! offset 0       magic (8)                  89 54 54 42 41 4B 0D 0A  ("\x89TTBAK\r\n")
//! offset 8       header length N (u32 BE)   1 ≤ N ≤ 16384
//! offset 12      clear header JSON (N)      format, format_version, kdf {…}, cipher {…}, compression
//! offset 12+N    checksum (32)              SHA-256(bytes 0 … 12+N−1)
//! offset 44+N    header MAC (32)            HMAC-SHA256(mac_key, bytes 0 … 12+N−1)
//! offset 76+N    chunks…                    chunk_size + 16 bytes each; the final one 16 … chunk_size + 16
//! ```
//!
//! Crypto parameters (container version 1):
//!
//! - **KDF**: Argon2id, version 0x13 (19), 64 bytes of output, no secret, no associated data;
//!   writers use m = 64 MiB, t = 3, p = 1 ([`KdfParams::default`]) and a fresh 16-byte random salt;
//!   readers accept m ≤ 256 MiB (and ≥ 8 × p), t 1 … 16, p 1 … 4, salts of 16 … 64 bytes. Output
//!   bytes 0..32 are the AES-256-GCM key, 32..64 the HMAC-SHA256 key ([`keys`]).
//! - **Header**: SHA-256 checksum (accidental damage; also every chunk's associated data) and
//!   HMAC-SHA256 MAC (the password check), both over magic ‖ N ‖ header JSON as written ([`header`]).
//! - **Chunks**: AES-256-GCM in the STREAM-BE32 construction: nonce = 7-byte random prefix ‖ u32 BE
//!   chunk counter ‖ last flag (1 byte, 0x01 for the final chunk); 16-byte tags; associated data =
//!   header checksum; chunk size 1 KiB … 1 MiB, 64 KiB written (`stream`).
//! - **Payload**: the plain backup, raw DEFLATE (RFC 1951, no wrapper), written at level 3
//!   ([`write`](mod@write), `inflate`).
//!
//! Writing: [`TtbakWriter`]. Reading: [`TtbakReader`] (pull, server) or [`parse_header`] +
//! [`Opener::new`] + [`PushDecoder`] (push, browser). Both decoders run on one core
//! (`ChunkCore` for the chunks, `Inflater` for DEFLATE), so they accept and refuse exactly the
//! same files. No plaintext leaves a decoder before the tag of the chunk holding it has been checked,
//! and a decoder reports the end of the data only after the final chunk has been verified as final.
//!
//! One concern per module: [`error`] (every failure, typed), [`header`] (clear header: parse,
//! bounds, checksum), [`keys`] (KDF parameters, Argon2id, header MAC, [`Opener`]), `stream`
//! (the chunk core both decoders share), `inflate` (DEFLATE that knows where it ends),
//! [`write`](mod@write) and [`read`]. Test vectors as files: `tests/vectors/` (see its README).

#![forbid(unsafe_code)]

pub mod error;
pub mod header;
mod inflate;
pub mod keys;
pub mod read;
mod stream;
pub mod write;

#[cfg(test)]
mod testutil;

pub use error::TtbakError;
pub use header::{
    looks_encrypted, parse_header, CipherHeader, KdfHeader, ParsedHeader, TtbakHeader, FORMAT_ID, FORMAT_VERSION, MAGIC, MAX_CHUNK_SIZE,
    MAX_HEADER_LEN, MIN_CHUNK_SIZE,
};
pub use keys::{KdfParams, Opener, MAX_ITERATIONS, MAX_MEMORY_KIB, MAX_PARALLELISM, MAX_SALT_LEN, MIN_SALT_LEN, SALT_LEN};
pub use read::{PushDecoder, TtbakReader};
pub use stream::{NONCE_PREFIX_LEN, TAG_LEN};
pub use write::{TtbakWriter, COMPRESSION_LEVEL, DEFAULT_CHUNK_SIZE};
