//! Property tests of the container: write → read is the identity; the push decoder (browser)
//! agrees with the pull reader (server) however the bytes are sliced; any single flipped or
//! dropped byte of a small file is refused by both. Case counts are modest so the suite stays fast.

use std::io::{Read, Write};
use std::sync::OnceLock;

use proptest::prelude::*;
use ttbak::{parse_header, KdfParams, Opener, PushDecoder, TtbakError, TtbakReader, TtbakWriter, MAX_CHUNK_SIZE, MIN_CHUNK_SIZE};

/// Cheap on purpose: each case derives keys two or three times.
const KDF: KdfParams = KdfParams { memory_kib: 64, iterations: 1, parallelism: 1 };
const PW: &[u8] = b"property password";

/// Writes `plain` in pieces of the given sizes (cycled), as an exporter streaming rows does.
fn seal(plain: &[u8], chunk_size: usize, pieces: &[usize]) -> Vec<u8> {
    let mut w = TtbakWriter::with_chunk_size(Vec::new(), PW, KDF, chunk_size).expect("writer");
    let mut rest = plain;
    for &n in pieces.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (piece, tail) = rest.split_at(n.min(rest.len()));
        w.write_all(piece).expect("write");
        rest = tail;
    }
    w.finish().expect("finish")
}

fn pull(file: &[u8]) -> Result<Vec<u8>, TtbakError> {
    let mut r = TtbakReader::new(file, PW)?;
    let mut out = Vec::new();
    r.read_to_end(&mut out).map_err(|e| TtbakError::from_io(&e).expect("reader errors carry a TtbakError"))?;
    Ok(out)
}

/// As the browser does: the header from the file's start, then the rest in the given slice sizes
/// (cycled).
fn push(file: &[u8], slices: &[usize]) -> Result<Vec<u8>, TtbakError> {
    let parsed = parse_header(file)?.ok_or(TtbakError::Truncated { at: file.len() as u64 })?;
    let mut d = PushDecoder::new(Opener::new(&parsed, PW)?, Vec::new());
    let mut rest = &file[parsed.header_len_total..];
    for &n in slices.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (piece, tail) = rest.split_at(n.min(rest.len()));
        d.push(piece)?;
        rest = tail;
    }
    d.finish()
}

/// Payloads that compress (JSON-like runs) and payloads that do not (random bytes), mixed.
fn payload() -> impl Strategy<Value = Vec<u8>> {
    let part = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..3000),
        (0usize..200).prop_map(|n| br#"{"id":1,"tracker_id":7,"uploaded":123456789},"#.repeat(n)),
    ];
    prop::collection::vec(part, 0..4).prop_map(|parts| parts.concat())
}

fn chunk_size() -> impl Strategy<Value = usize> {
    prop_oneof![MIN_CHUNK_SIZE..=4 * MIN_CHUNK_SIZE, Just(MAX_CHUNK_SIZE)]
}

fn slices() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..5000, 1..8)
}

/// A small file: a few chunks of the smallest size, a short final one.
fn small_file() -> &'static (Vec<u8>, Vec<u8>) {
    static FILE: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
    FILE.get_or_init(|| {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let plain: Vec<u8> = (0..2600)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 40) as u8
            })
            .collect();
        let file = seal(&plain, MIN_CHUNK_SIZE, &[333]);
        (plain, file)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn write_then_read_is_the_identity(plain in payload(), cs in chunk_size(), pieces in slices()) {
        let file = seal(&plain, cs, &pieces);
        prop_assert_eq!(pull(&file), Ok(plain.clone()));
        prop_assert_eq!(push(&file, &[file.len().max(1)]), Ok(plain));
    }

    /// Also on damaged files: the two decoders must give the same error, not only the same data.
    #[test]
    fn push_decoder_equals_pull_reader(plain in payload(), cs in MIN_CHUNK_SIZE..=2 * MIN_CHUNK_SIZE, slicing in slices(), damage in any::<Option<(prop::sample::Index, u8)>>()) {
        let mut file = seal(&plain, cs, &[4096]);
        if let Some((at, mask)) = damage {
            let at = at.index(file.len());
            file[at] ^= mask | 1;
        }
        prop_assert_eq!(push(&file, &slicing), pull(&file));
    }
}

// Fewer cases: a damaged chunk makes each decoder try every shorter length as a final chunk
// (docs/backup-format.md 2.9), and this crate's code is unoptimised in test builds.
proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn a_flipped_byte_is_refused(at in any::<prop::sample::Index>(), mask in 1u8..=255, slicing in slices()) {
        let (plain, file) = small_file();
        let mut bad = file.clone();
        let at = at.index(bad.len());
        bad[at] ^= mask;
        let pulled = pull(&bad);
        prop_assert!(pulled.is_err(), "byte {} ^ {:#04x}: the reader accepted the file (plain intact: {})", at, mask, pulled.as_ref().is_ok_and(|p| p == plain));
        prop_assert_eq!(push(&bad, &slicing), pulled);
    }

    #[test]
    fn a_dropped_byte_is_refused(at in any::<prop::sample::Index>(), slicing in slices()) {
        let (_, file) = small_file();
        let mut bad = file.clone();
        let at = at.index(bad.len());
        bad.remove(at);
        let pulled = pull(&bad);
        prop_assert!(pulled.is_err(), "byte {} dropped: the reader accepted the file", at);
        prop_assert_eq!(push(&bad, &slicing), pulled);
    }
}

#[test]
fn the_small_file_opens() {
    let (plain, file) = small_file();
    assert!(file.len() > 2 * (MIN_CHUNK_SIZE + 16), "a few chunks: {}", file.len());
    assert_eq!(pull(file).as_ref(), Ok(plain));
    assert_eq!(push(file, &[100]).as_ref(), Ok(plain));
}
