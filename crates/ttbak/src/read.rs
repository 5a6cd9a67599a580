//! The two decoders, on one core so they accept and refuse exactly the same files (spec:
//! docs/backup-format.md 2.8): [`TtbakReader`], a `std::io::Read` (the server), and
//! [`PushDecoder`], fed slices of any size (the browser, after [`parse_header`]
//! and [`Opener::new`]).
//!
//! Neither releases a byte whose chunk tag has not been checked, and both report the end of the
//! data only after the final chunk has been verified as final and the DEFLATE stream has ended.

use std::fmt;
use std::io::{self, Read, Write};

use crate::error::TtbakError;
use crate::header::{header_bytes_needed, parse_header, TtbakHeader};
use crate::inflate::Inflater;
use crate::keys::Opener;
use crate::stream::ChunkCore;

/// Output slice size for the push decoder's inflater.
const INFLATE_SLICE: usize = 32 * 1024;

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
/// the header ([`ParsedHeader::header_len_total`](crate::ParsedHeader::header_len_total)) in any slice sizes; the plain backup goes to
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
    use crate::testutil::*;
    use crate::{ParsedHeader, TtbakWriter};

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
}
