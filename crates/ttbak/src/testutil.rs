//! Helpers shared by the unit tests of every module: sample data, a writer that writes in uneven
//! pieces, both decoders in several slice sizes, and ways to damage a file.

use std::io::{Read, Write};

use sha2::{Digest, Sha256};

use crate::header::{header_len_field, parse_header, MAGIC};
use crate::{KdfParams, Opener, PushDecoder, TtbakError, TtbakReader, TtbakWriter, COMPRESSION_LEVEL, TAG_LEN};

pub(crate) const FAST: KdfParams = KdfParams { memory_kib: 1024, iterations: 1, parallelism: 1 };
pub(crate) const PW: &[u8] = b"correct horse battery staple";
pub(crate) const CS: usize = 1024;

/// Deterministic mix of incompressible and compressible bytes.
pub(crate) fn data(n: usize, seed: u64) -> Vec<u8> {
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

pub(crate) fn random(n: usize, seed: u64) -> Vec<u8> {
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
pub(crate) fn exact(target: usize) -> Vec<u8> {
    (target - 64..target + 64).map(|n| random(n, 99)).find(|r| deflated_len(r) == target).expect("some length deflates to exactly the target")
}

pub(crate) fn deflated_len(input: &[u8]) -> usize {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(COMPRESSION_LEVEL));
    e.write_all(input).unwrap();
    e.finish().unwrap().len()
}

/// Writes `input` in uneven pieces.
pub(crate) fn seal(input: &[u8], cs: usize) -> Vec<u8> {
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

pub(crate) fn read_all(file: &[u8], pw: &[u8]) -> Result<Vec<u8>, TtbakError> {
    let mut r = TtbakReader::new(file, pw)?;
    let mut out = Vec::new();
    match r.read_to_end(&mut out) {
        Ok(_) => Ok(out),
        Err(e) => Err(TtbakError::from_io(&e).expect("reader errors carry a TtbakError")),
    }
}

/// As the browser does it: header from a prefix, then the rest in `slice`-byte pieces.
pub(crate) fn push_all(file: &[u8], pw: &[u8], slice: usize) -> Result<Vec<u8>, TtbakError> {
    let parsed = parse_header(file)?.ok_or(TtbakError::Truncated { at: file.len() as u64 })?;
    let opener = Opener::new(&parsed, pw)?;
    let mut d = PushDecoder::new(opener, Vec::new());
    for piece in file[parsed.header_len_total..].chunks(slice) {
        d.push(piece)?;
    }
    d.finish()
}

/// Both decoders, several slice sizes: all must agree.
pub(crate) fn open_all_ways(file: &[u8], pw: &[u8]) -> Result<Vec<u8>, TtbakError> {
    let expected = read_all(file, pw);
    for slice in [1, 7, 4096, 65537, file.len().max(1)] {
        assert_eq!(push_all(file, pw, slice), expected, "push decoder, slices of {slice}");
    }
    expected
}

pub(crate) struct Layout {
    pub(crate) data_start: usize,
    pub(crate) full: usize,
    pub(crate) chunks: usize,
}

pub(crate) fn layout(file: &[u8]) -> Layout {
    let parsed = parse_header(file).unwrap().unwrap();
    let full = parsed.header.chunk_size() + TAG_LEN;
    let data = file.len() - parsed.header_len_total;
    Layout { data_start: parsed.header_len_total, full, chunks: data.div_ceil(full) }
}

pub(crate) fn flip(file: &[u8], at: usize) -> Vec<u8> {
    let mut f = file.to_vec();
    f[at] ^= 0x10;
    f
}

/// Rewrites the clear header and recomputes its length and checksum (the MAC stays: it cannot
/// be recomputed without the password, which is the point).
pub(crate) fn reheader(file: &[u8], edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
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

pub(crate) type Edit = fn(&mut serde_json::Value);

pub(crate) fn sample_file() -> (Vec<u8>, Vec<u8>) {
    let input = data(300_000, 7);
    let file = seal(&input, CS);
    (input, file)
}

pub(crate) fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

pub(crate) fn to_hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}
