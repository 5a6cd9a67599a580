//! Both decoders on arbitrary bytes, with the test vectors' password: neither may panic, and the
//! pull reader (server) and the push decoder (browser) must accept and refuse exactly the same
//! files, with the same error. Seed with `tests/vectors` (see README.md) so the fuzzer starts
//! from files whose MAC verifies and mutates their chunks.
#![no_main]

use std::io::Read;

use libfuzzer_sys::fuzz_target;
use ttbak::{parse_header, Opener, PushDecoder, TtbakError, TtbakReader};

/// The password of the files in `tests/vectors`.
const PASSWORD: &[u8] = b"vector password";

fuzz_target!(|data: &[u8]| {
    // A header may ask for up to 256 MiB × 16 passes of Argon2id: legitimate, but far too slow
    // for a fuzzer. Skip expensive parameters (the header parser is fuzzed on its own).
    if let Ok(Some(parsed)) = parse_header(data) {
        let kdf = parsed.header.kdf_params();
        if kdf.memory_kib > 1024 || kdf.iterations > 2 {
            return;
        }
    }
    let pulled = pull(data);
    // Slice sizes from the data itself, so the fuzzer also explores how the browser slices.
    let slice = 1 + data.first().map_or(0, |&b| b as usize) * 37;
    let pushed = push(data, slice);
    assert_eq!(pushed, pulled);
});

fn pull(file: &[u8]) -> Result<Vec<u8>, TtbakError> {
    let mut r = TtbakReader::new(file, PASSWORD)?;
    let mut out = Vec::new();
    r.read_to_end(&mut out).map_err(|e| TtbakError::from_io(&e).expect("reader errors carry a TtbakError"))?;
    Ok(out)
}

fn push(file: &[u8], slice: usize) -> Result<Vec<u8>, TtbakError> {
    // As TtbakReader says of an empty file (parse_header alone would ask for more bytes).
    if file.is_empty() {
        return Err(TtbakError::NotTtbak);
    }
    let parsed = parse_header(file)?.ok_or(TtbakError::Truncated { at: file.len() as u64 })?;
    let mut d = PushDecoder::new(Opener::new(&parsed, PASSWORD)?, Vec::new());
    for piece in file[parsed.header_len_total..].chunks(slice) {
        d.push(piece)?;
    }
    d.finish()
}
