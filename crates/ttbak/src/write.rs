//! The writer (spec: docs/backup-format.md 2.7): raw DEFLATE at level 3, cut into chunks of
//! `chunk_size` bytes (64 KiB by default), each sealed with AES-256-GCM STREAM-BE32 under a key
//! from Argon2id, after a clear header with a fresh 16-byte salt and 7-byte nonce prefix drawn from
//! the operating system's CSPRNG.
//!
//! A full chunk is sealed as non-final only once another payload byte exists; `finish` seals what
//! is held as the final chunk (even when full). Writers refuse parameters readers would refuse.

use std::fmt;
use std::io::{self, Write};

use aead::stream::EncryptorBE32;
use aes_gcm::Aes256Gcm;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use hmac::Mac as _;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::TtbakError;
use crate::header::{
    CipherHeader, KdfHeader, TtbakHeader, CHECKSUM_LEN, CIPHER_ALGORITHM, CIPHER_CONSTRUCTION, COMPRESSION, FORMAT_ID, FORMAT_VERSION, KDF_ALGORITHM,
    KDF_VERSION, MAC_LEN, MAGIC, MAX_CHUNK_SIZE, MIN_CHUNK_SIZE, PREAMBLE_LEN,
};
use crate::keys::{derive_keys, header_mac, KdfParams, SALT_LEN};
use crate::stream::{stream, NONCE_PREFIX_LEN, TAG_LEN};

/// Plaintext bytes per chunk that [`TtbakWriter::new`] writes.
pub const DEFAULT_CHUNK_SIZE: usize = 64 * 1024;
/// DEFLATE level of the writer: 3 is about three times faster than the default 6 on backup
/// JSON for a slightly larger file (readers accept any level).
pub const COMPRESSION_LEVEL: u32 = 3;

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

    /// With a given salt and nonce prefix instead of fresh random ones: for the test vectors and
    /// the known-answer test only. Reusing a salt and nonce prefix with the same password reuses
    /// nonces under one key, which breaks AES-GCM: production code calls [`TtbakWriter::new`].
    #[doc(hidden)]
    pub fn with_randomness(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{HmacSha256, MAX_MEMORY_KIB};
    use crate::parse_header;
    use crate::testutil::*;
    use aes_gcm::aead::generic_array::GenericArray;
    use aes_gcm::KeyInit;
    use hmac::Mac;
    use std::io::Read;

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
    fn writer_refuses_what_readers_refuse() {
        let too_much = KdfParams { memory_kib: MAX_MEMORY_KIB + 1, ..FAST };
        assert!(matches!(TtbakWriter::new(Vec::new(), PW, too_much), Err(TtbakError::Settings(_))));
        assert!(matches!(TtbakWriter::with_chunk_size(Vec::new(), PW, FAST, 100), Err(TtbakError::Settings(_))));
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
}
