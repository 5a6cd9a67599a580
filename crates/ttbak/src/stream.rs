//! The STREAM-BE32 construction (the writer seals with it too) and the chunk core both decoders
//! share (spec: docs/backup-format.md 2.6, 2.8, 2.9).
//!
//! AES-256-GCM in the STREAM construction with a 32-bit big-endian counter (`aead`'s
//! `StreamBE32`):
//!
//! ```text
//! nonce_i = nonce_prefix (7 bytes) ‖ u32 BE (i) ‖ last (1 byte: 0x01 for the final chunk, else 0x00)
//! chunk_i = AES-256-GCM(aes_key, nonce_i, plaintext = payload[i × chunk_size ..], aad = header checksum)
//!         = ciphertext ‖ 16-byte tag
//! ```
//!
//! Every chunk but the last holds exactly `chunk_size` bytes of payload; the last one 1 …
//! `chunk_size` (0 only for an empty payload) and ends the file. At most 2³² chunks.

use std::io::{self, Read};

use aead::stream::{NewStream, StreamBE32, StreamPrimitive};
use aes_gcm::aead::generic_array::GenericArray;
use aes_gcm::{Aes256Gcm, KeyInit};

use crate::error::TtbakError;
use crate::header::CHECKSUM_LEN;
use crate::keys::Opener;

/// AES-GCM tag length: every encrypted chunk is its plaintext plus this.
pub const TAG_LEN: usize = 16;
pub const NONCE_PREFIX_LEN: usize = 7;
/// How many bytes of trial decryption a reader may spend looking for the real end of a file that
/// has extra bytes after its final chunk (see `ChunkCore::diagnose`). Bounded so a damaged file
/// costs at most a fraction of a second, also in the browser.
const TRAILING_SEARCH_BUDGET: usize = 16 * 1024 * 1024;

pub(crate) type Stream = StreamBE32<Aes256Gcm>;

pub(crate) fn stream(aes_key: &[u8], nonce_prefix: &[u8; NONCE_PREFIX_LEN]) -> Stream {
    // Both slices have the exact lengths the types require (32 and 7), so from_slice cannot panic.
    let cipher = Aes256Gcm::new(GenericArray::from_slice(aes_key));
    Stream::from_aead(cipher, GenericArray::from_slice(nonce_prefix))
}

/// Collects ciphertext and opens chunks; shared by [`TtbakReader`](crate::TtbakReader) and
/// [`PushDecoder`](crate::PushDecoder).
///
/// It drives the STREAM primitive (`StreamBE32`, which `DecryptorBE32` wraps) with explicit chunk
/// positions: naming a failure needs to try one chunk both as final and as non-final, which
/// `DecryptorBE32` cannot do (its `decrypt_last` consumes it). Same construction, same nonces.
///
/// The ciphertext buffer holds up to one chunk (`chunk_size + 16`) plus one byte: a full chunk is
/// opened as non-final only once that extra byte proves something follows; at the end of the file
/// whatever is buffered is opened as final.
pub(crate) struct ChunkCore {
    stream: Stream,
    aad: [u8; CHECKSUM_LEN],
    /// `chunk_size + TAG_LEN`.
    full: usize,
    data_offset: u64,
    cipher: Vec<u8>,
    /// Plaintext of the chunk opened last; also scratch space for trial decryptions.
    pub(crate) plain: Vec<u8>,
    /// Chunks verified so far, which is the index of the next one.
    pub(crate) index: u64,
    /// The final chunk has been verified.
    pub(crate) done: bool,
}

impl ChunkCore {
    pub(crate) fn new(opener: Opener) -> ChunkCore {
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
    pub(crate) fn offset(&self) -> u64 {
        self.data_offset + self.index * self.full as u64
    }

    /// A full chunk and at least one byte after it are buffered.
    pub(crate) fn ready(&self) -> bool {
        self.cipher.len() > self.full
    }

    pub(crate) fn fill(&mut self, data: &[u8]) -> usize {
        let n = (self.full + 1 - self.cipher.len()).min(data.len());
        self.cipher.extend_from_slice(&data[..n]);
        n
    }

    /// One read from `r` into the buffer; `Ok(0)` at the end of the file.
    pub(crate) fn fill_from<R: Read>(&mut self, r: &mut R) -> Result<usize, TtbakError> {
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
    pub(crate) fn open_next(&mut self) -> Result<&[u8], TtbakError> {
        self.check_position(false)?;
        if !self.try_open(self.full, false) {
            return Err(self.diagnose(false));
        }
        self.cipher.drain(..self.full);
        self.index += 1;
        Ok(&self.plain)
    }

    /// At the end of the file: opens what is buffered as the final chunk.
    pub(crate) fn open_final(&mut self) -> Result<&[u8], TtbakError> {
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
