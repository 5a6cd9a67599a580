//! Test vectors as files (`tests/vectors/`, described in its README): every `good_*` file must
//! decrypt to its `.plain` with both decoders; every `fail_*` file must be refused by both, with the
//! same error, the one its `.expected` names.
//!
//! The files are written by [`generate`] (ignored: run it on purpose, see the README) and
//! [`vectors_are_reproducible`] checks that the committed files are exactly what it writes, so a
//! change of the writer's output cannot go unnoticed.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use aead::stream::{NewStream, StreamBE32, StreamPrimitive};
use aes_gcm::aead::generic_array::GenericArray;
use aes_gcm::{Aes256Gcm, KeyInit};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use ttbak::{parse_header, KdfParams, Opener, PushDecoder, TtbakError, TtbakReader, TtbakWriter, TAG_LEN};

/// Cheap on purpose (64 KiB, one pass): the vectors test the container, not Argon2's cost.
const KDF: KdfParams = KdfParams { memory_kib: 64, iterations: 1, parallelism: 1 };
const PASSWORD: &str = "vector password";
const SALT: [u8; 16] = *b"ttbak test salt!";
const NONCE_PREFIX: [u8; 7] = *b"vector7";

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

/// One vector: the file, the password to try, and either the plaintext or the expected error.
struct Vector {
    file: Vec<u8>,
    password: String,
    comment: String,
    expect: Expect,
}

enum Expect {
    Plain(Vec<u8>),
    /// `error`: how the error's `Debug` starts (the whole of it for variants with fields);
    /// `message`: how its message (`Display`) starts.
    Error {
        error: String,
        message: String,
    },
}

fn good(file: Vec<u8>, plain: &[u8], comment: &str) -> Vector {
    Vector { file, password: PASSWORD.into(), comment: comment.into(), expect: Expect::Plain(plain.to_vec()) }
}

fn fail(file: Vec<u8>, error: impl Into<String>, message: &str, comment: &str) -> Vector {
    Vector { file, password: PASSWORD.into(), comment: comment.into(), expect: Expect::Error { error: error.into(), message: message.into() } }
}

// ---------------------------------------------------------------------------------------------
// Building files
// ---------------------------------------------------------------------------------------------

fn seal(plain: &[u8], chunk_size: usize) -> Vec<u8> {
    let mut w = TtbakWriter::with_randomness(Vec::new(), PASSWORD.as_bytes(), KDF, chunk_size, &SALT, NONCE_PREFIX).expect("writer");
    w.write_all(plain).expect("write");
    w.finish().expect("finish")
}

/// Deterministic pseudo-random bytes (xorshift), for payloads that do not compress.
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

fn deflate(input: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::new(ttbak::COMPRESSION_LEVEL));
    e.write_all(input).expect("deflate");
    e.finish().expect("deflate")
}

/// Backup-like JSON with random hex mixed in, so it spans many small chunks.
fn rows(n: usize) -> Vec<u8> {
    let noise = random(n * 8, 5);
    let mut out = b"{\"header\":{\"format\":\"tracker-tracker-backup\",\"format_version\":1},\"trackers\":[".to_vec();
    for i in 0..n {
        let hex: String = noise[i * 8..i * 8 + 8].iter().map(|b| format!("{b:02x}")).collect();
        out.extend_from_slice(format!("{{\"id\":{},\"name\":\"tracker {i}\",\"token\":\"{hex}\"}},", i + 1).as_bytes());
    }
    out.pop();
    out.extend_from_slice(b"]}\n");
    out
}

struct Layout {
    start: usize,
    full: usize,
    chunks: usize,
}

fn layout(file: &[u8]) -> Layout {
    let parsed = parse_header(file).expect("header").expect("whole header");
    let full = parsed.header.chunk_size() + TAG_LEN;
    Layout { start: parsed.header_len_total, full, chunks: (file.len() - parsed.header_len_total).div_ceil(full) }
}

impl Layout {
    fn chunk(&self, i: usize) -> std::ops::Range<usize> {
        self.start + i * self.full..self.start + (i + 1) * self.full
    }
}

fn flip(file: &[u8], at: usize) -> Vec<u8> {
    let mut f = file.to_vec();
    f[at] ^= 0x10;
    f
}

/// Rewrites the clear header, recomputing its length and checksum; the MAC stays (it cannot be
/// recomputed without the key), so only checks made before the MAC can be reached this way.
fn reheader(file: &[u8], edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let len = u32::from_be_bytes([file[8], file[9], file[10], file[11]]) as usize;
    let mut v: serde_json::Value = serde_json::from_slice(&file[12..12 + len]).expect("header JSON");
    edit(&mut v);
    let json = serde_json::to_vec(&v).expect("JSON");
    raw_header(&json, &file[12 + len + 32..])
}

/// magic ‖ N ‖ json ‖ SHA-256, then `rest` (MAC and chunks) as given.
fn raw_header(json: &[u8], rest: &[u8]) -> Vec<u8> {
    let mut out = ttbak::MAGIC.to_vec();
    out.extend_from_slice(&(json.len() as u32).to_be_bytes());
    out.extend_from_slice(json);
    let sum = Sha256::digest(&out);
    out.extend_from_slice(&sum);
    out.extend_from_slice(rest);
    out
}

/// A correctly keyed and authenticated file whose payload is `payload` as given (not necessarily
/// valid DEFLATE), built from the primitives as docs/backup-format.md 2.5–2.6 describe: the only
/// way to reach the DEFLATE checks.
fn seal_raw_payload(payload: &[u8], chunk_size: usize) -> Vec<u8> {
    let template = seal(b"", chunk_size);
    let total = layout(&template).start;
    let signed = &template[..total - 64];
    let checksum: [u8; 32] = Sha256::digest(signed).into();
    let params = argon2::Params::new(KDF.memory_kib, KDF.iterations, KDF.parallelism, Some(64)).expect("params");
    let mut okm = [0u8; 64];
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password_into(PASSWORD.as_bytes(), &SALT, &mut okm)
        .expect("argon2");
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&okm[32..]).expect("hmac");
    mac.update(signed);
    let mut out = signed.to_vec();
    out.extend_from_slice(&checksum);
    out.extend_from_slice(&mac.finalize().into_bytes());
    // STREAM-BE32 driven by position, as the spec writes it: nonce = prefix ‖ u32 BE i ‖ last.
    let stream = StreamBE32::from_aead(Aes256Gcm::new(GenericArray::from_slice(&okm[..32])), GenericArray::from_slice(&NONCE_PREFIX));
    let pieces: Vec<&[u8]> = if payload.is_empty() { vec![&[]] } else { payload.chunks(chunk_size).collect() };
    for (i, piece) in pieces.iter().enumerate() {
        let mut buf = piece.to_vec();
        stream.encrypt_in_place(i as u32, i + 1 == pieces.len(), &checksum, &mut buf).expect("seal");
        out.extend_from_slice(&buf);
    }
    out
}

/// Every vector, by name (`good_*` and `fail_*`).
fn vectors() -> BTreeMap<&'static str, Vector> {
    let mut v = BTreeMap::new();
    let cs = ttbak::MIN_CHUNK_SIZE;

    // Good files.
    let small = b"{\"header\":{\"format\":\"tracker-tracker-backup\",\"format_version\":1},\"settings\":{\"instance_name\":\"vector\"}}\n";
    v.insert("good_small", good(seal(small, cs), small, "a small plain backup in one short final chunk"));
    v.insert("good_empty", good(seal(b"", cs), b"", "empty plaintext: a 2-byte DEFLATE stream (03 00) in the final chunk"));
    let many = rows(300);
    v.insert("good_multi_chunk_min_size", good(seal(&many, cs), &many, "many chunks of the smallest chunk size (1024), a short final chunk"));
    let full_final = (1900..2200).map(|n| random(n, 99)).find(|r| deflate(r).len() == 2 * cs).expect("a length that deflates to two chunks");
    v.insert("good_full_final_chunk", good(seal(&full_final, cs), &full_final, "the payload is exactly two chunks: the final chunk is full"));
    let repetitive = b"{\"id\":1,\"tracker_id\":7,\"uploaded\":0,\"downloaded\":0},".repeat(1000);
    v.insert(
        "good_highest_compression",
        good(seal(&repetitive, ttbak::DEFAULT_CHUNK_SIZE), &repetitive, "one row repeated: about 50 KB that deflate to a few hundred bytes"),
    );
    let large_chunk = rows(600);
    v.insert("good_largest_chunk_size", good(seal(&large_chunk, ttbak::MAX_CHUNK_SIZE), &large_chunk, "the largest chunk size (1 MiB), one chunk"));

    // Failures of the clear header (no key derivation needed to refuse them).
    let base = seal(&many, cs);
    let l = layout(&base);
    let n = l.start - 76;
    let tamper = "— the file was not written by Tracker Tracker or has been tampered with.";
    v.insert(
        "fail_truncated_preamble",
        fail(base[..10].to_vec(), "Truncated { at: 10 }", "The backup file ends early (after 10 bytes)", "cut inside the length field"),
    );
    v.insert(
        "fail_truncated_header",
        fail(base[..100].to_vec(), "Truncated { at: 100 }", "The backup file ends early", "cut inside the header JSON"),
    );
    v.insert(
        "fail_truncated_before_chunks",
        fail(
            base[..l.start].to_vec(),
            format!("Truncated {{ at: {} }}", l.start),
            "The backup file ends early",
            "a whole header and no chunk at all",
        ),
    );
    v.insert(
        "fail_bad_magic",
        fail(flip(&base, 1), "NotTtbak", "This file is not an encrypted Tracker Tracker backup", "one bit of the magic changed"),
    );
    v.insert("fail_plain_json", fail(small.to_vec(), "NotTtbak", "This file is not an encrypted", "a plain backup given as a .ttbak"));
    let mut zero = base.clone();
    zero[8..12].copy_from_slice(&[0; 4]);
    v.insert("fail_header_size_zero", fail(zero, "HeaderSize { len: 0 }", "The backup's header is 0 bytes long", "header length 0"));
    let mut big = base.clone();
    big[8..12].copy_from_slice(&16385u32.to_be_bytes());
    v.insert(
        "fail_header_size_too_big",
        fail(big, "HeaderSize { len: 16385 }", "The backup's header is 16385 bytes long", "header length above 16384"),
    );
    v.insert(
        "fail_bad_checksum",
        fail(flip(&base, 12 + n + 5), "HeaderDamaged", "The backup's header is damaged", "one bit of the checksum changed"),
    );
    v.insert(
        "fail_header_byte_flipped",
        fail(flip(&base, 12 + n / 2), "HeaderDamaged", "The backup's header is damaged", "one bit of the header JSON changed"),
    );
    let newer = reheader(&base, |h| h["format_version"] = 2.into());
    v.insert(
        "fail_newer_version",
        fail(newer, "NewerVersion { found: 2, supported: 1 }", "This backup was made by a newer version of Tracker Tracker", "format_version 2"),
    );
    let cipher = reheader(&base, |h| h["cipher"]["algorithm"] = "chacha20-poly1305".into());
    v.insert(
        "fail_unsupported_cipher",
        fail(
            cipher,
            r#"UnsupportedAlgorithm { what: "the cipher", name: "chacha20-poly1305" }"#,
            "This backup uses the cipher \"chacha20-poly1305\"",
            "an unknown cipher",
        ),
    );
    let missing = reheader(&base, |h| drop(h["kdf"].as_object_mut().and_then(|k| k.remove("salt"))));
    v.insert(
        "fail_missing_salt",
        fail(
            missing,
            r#"HeaderInvalid("field `kdf.salt` is missing")"#,
            "The backup's header is invalid: field `kdf.salt` is missing",
            "no kdf.salt",
        ),
    );
    v.insert(
        "fail_header_not_json",
        fail(
            raw_header(b"{{{", &[0; 64]),
            r#"HeaderInvalid("it is not valid JSON"#,
            "The backup's header is invalid: it is not valid JSON",
            "header bytes that are not JSON, with a valid checksum",
        ),
    );
    let memory = reheader(&base, |h| h["kdf"]["memory_kib"] = 4_194_304.into());
    v.insert(
        "fail_kdf_memory_out_of_bounds",
        fail(
            memory,
            r#"ParamsOutOfBounds("this backup asks for 4 GiB of memory to derive its key; Tracker Tracker allows at most 256 MiB")"#,
            &format!("this backup asks for 4 GiB of memory to derive its key; Tracker Tracker allows at most 256 MiB {tamper}"),
            "Argon2 memory 4 GiB: refused before any key derivation",
        ),
    );
    let iterations = reheader(&base, |h| h["kdf"]["iterations"] = 17.into());
    v.insert(
        "fail_kdf_iterations_out_of_bounds",
        fail(
            iterations,
            r#"ParamsOutOfBounds("this backup asks for 17 Argon2id iterations"#,
            "this backup asks for 17 Argon2id iterations",
            "17 Argon2 passes",
        ),
    );
    let lanes = reheader(&base, |h| h["kdf"]["parallelism"] = 5.into());
    v.insert(
        "fail_kdf_parallelism_out_of_bounds",
        fail(
            lanes,
            r#"ParamsOutOfBounds("this backup asks for Argon2id parallelism 5"#,
            "this backup asks for Argon2id parallelism 5",
            "5 Argon2 lanes",
        ),
    );
    let small_chunks = reheader(&base, |h| h["cipher"]["chunk_size"] = 512.into());
    v.insert(
        "fail_chunk_size_too_small",
        fail(
            small_chunks,
            r#"ParamsOutOfBounds("this backup uses chunks of 512 bytes; Tracker Tracker accepts 1024 to 1048576 bytes")"#,
            "this backup uses chunks of 512 bytes",
            "chunk size 512",
        ),
    );
    let big_chunks = reheader(&base, |h| h["cipher"]["chunk_size"] = 2_097_152.into());
    v.insert(
        "fail_chunk_size_too_big",
        fail(
            big_chunks,
            r#"ParamsOutOfBounds("this backup uses chunks of 2097152 bytes"#,
            "this backup uses chunks of 2097152 bytes",
            "chunk size 2 MiB",
        ),
    );
    let short_salt = reheader(&base, |h| h["kdf"]["salt"] = B64.encode([1u8; 8]).into());
    v.insert(
        "fail_salt_too_short",
        fail(short_salt, r#"ParamsOutOfBounds("this backup's key salt is 8 bytes long"#, "this backup's key salt is 8 bytes long", "an 8-byte salt"),
    );

    // The password check.
    v.insert(
        "fail_bad_mac",
        fail(
            flip(&base, 12 + n + 40),
            "WrongPassword",
            "The backup password is wrong.",
            "one bit of the MAC changed: cannot be told from a wrong password",
        ),
    );
    let unknown = reheader(&base, |h| h["comment"] = "added".into());
    v.insert(
        "fail_header_edited",
        fail(unknown, "WrongPassword", "The backup password is wrong.", "a member added and the checksum recomputed: the MAC no longer matches"),
    );
    let mut wrong = good(base.clone(), &many, "the right file, the wrong password");
    wrong.password = "Vector password".into();
    wrong.expect = Expect::Error { error: "WrongPassword".into(), message: "The backup password is wrong.".into() };
    v.insert("fail_wrong_password", wrong);

    // Chunks.
    let at = |i: usize| l.chunk(i).start;
    let last = l.chunks - 1;
    assert!(l.chunks >= 4 && base.len() - at(last) < l.full, "the base file has a short final chunk");
    v.insert(
        "fail_flipped_chunk_byte",
        fail(
            flip(&base, at(1) + 100),
            format!("ChunkDamaged {{ index: 1, offset: {} }}", at(1)),
            "Part of the backup is damaged or out of order: chunk 1",
            "one bit of chunk 1 changed",
        ),
    );
    v.insert(
        "fail_flipped_tag_byte",
        fail(
            flip(&base, at(1) + l.full - 1),
            format!("ChunkDamaged {{ index: 1, offset: {} }}", at(1)),
            "Part of the backup is damaged",
            "one bit of chunk 1's tag changed",
        ),
    );
    v.insert(
        "fail_flipped_final_chunk_byte",
        fail(
            flip(&base, at(last) + 3),
            format!("TruncatedOrDamaged {{ index: {last}, offset: {} }}", at(last)),
            "The end of the backup is missing or damaged",
            "one bit of the short final chunk changed: cannot be told from a cut inside it",
        ),
    );
    v.insert(
        "fail_dropped_final_chunk",
        fail(
            base[..at(last)].to_vec(),
            format!("Truncated {{ at: {} }}", at(last)),
            "The backup file ends early",
            "the final chunk removed: the last chunk left opens as non-final",
        ),
    );
    let mut dropped = base[..at(1)].to_vec();
    dropped.extend_from_slice(&base[at(2)..]);
    v.insert(
        "fail_dropped_middle_chunk",
        fail(
            dropped,
            format!("ChunkDamaged {{ index: 1, offset: {} }}", at(1)),
            "Part of the backup is damaged or out of order: chunk 1",
            "chunk 1 removed",
        ),
    );
    let mut dropped_byte = base.clone();
    dropped_byte.remove(at(2) + 10);
    v.insert(
        "fail_dropped_byte",
        fail(
            dropped_byte,
            format!("ChunkDamaged {{ index: 2, offset: {} }}", at(2)),
            "Part of the backup is damaged",
            "one byte of chunk 2 removed: every later chunk shifts",
        ),
    );
    let mut swapped = base.clone();
    swapped[l.chunk(1)].copy_from_slice(&base[l.chunk(2)]);
    swapped[l.chunk(2)].copy_from_slice(&base[l.chunk(1)]);
    v.insert(
        "fail_reordered_chunks",
        fail(
            swapped,
            format!("ChunkDamaged {{ index: 1, offset: {} }}", at(1)),
            "Part of the backup is damaged or out of order: chunk 1",
            "chunks 1 and 2 swapped",
        ),
    );
    v.insert(
        "fail_cut_inside_chunk",
        fail(
            base[..at(2) + 100].to_vec(),
            format!("TruncatedOrDamaged {{ index: 2, offset: {} }}", at(2)),
            "The end of the backup is missing or damaged",
            "cut 100 bytes into chunk 2",
        ),
    );
    v.insert(
        "fail_cut_inside_tag",
        fail(
            base[..at(2) + 10].to_vec(),
            format!("Truncated {{ at: {} }}", at(2) + 10),
            "The backup file ends early",
            "cut 10 bytes into chunk 2: not even a tag",
        ),
    );
    let mut newline = base.clone();
    newline.push(b'\n');
    v.insert(
        "fail_data_after_end",
        fail(
            newline,
            format!("TrailingData {{ offset: {} }}", base.len()),
            "The backup has extra data after its end",
            "a newline after the final chunk",
        ),
    );
    let mut twice = base.clone();
    twice.extend_from_slice(&base);
    v.insert(
        "fail_concatenated",
        fail(twice, format!("TrailingData {{ offset: {} }}", base.len()), "The backup has extra data after its end", "the file twice, end to end"),
    );
    let ff = seal(&full_final, cs);
    let mut after_full = ff.clone();
    after_full.extend_from_slice(&random(40, 3));
    v.insert(
        "fail_data_after_full_final_chunk",
        fail(
            after_full,
            format!("TrailingData {{ offset: {} }}", ff.len()),
            "The backup has extra data after its end",
            "40 bytes after a full final chunk",
        ),
    );

    // Authentic chunks whose DEFLATE stream is wrong.
    let mut continues = deflate(b"{}");
    continues.extend_from_slice(b"xx");
    v.insert(
        "fail_deflate_continues",
        fail(
            seal_raw_payload(&continues, cs),
            r#"Deflate("the compressed data continues after its end")"#,
            "The backup decrypted correctly but its contents are not valid",
            "bytes after the end of the DEFLATE stream",
        ),
    );
    let whole = deflate(&many);
    v.insert(
        "fail_deflate_incomplete",
        fail(
            seal_raw_payload(&whole[..whole.len() / 2], cs),
            r#"Deflate("the compressed data stops before its end")"#,
            "The backup decrypted correctly",
            "the DEFLATE stream cut in half, then sealed",
        ),
    );
    v.insert(
        "fail_deflate_invalid",
        fail(
            seal_raw_payload(&[0xff; 64], cs),
            "Deflate(",
            "The backup decrypted correctly but its contents are not valid compressed data",
            "a payload that is not DEFLATE",
        ),
    );
    v
}

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

/// The `.expected` text: `key: value` lines.
fn expected_text(v: &Vector) -> String {
    let mut s = format!("comment: {}\npassword: {}\n", v.comment, v.password);
    match &v.expect {
        Expect::Plain(_) => s.push_str("expect: ok\n"),
        Expect::Error { error, message } => s.push_str(&format!("expect: error\nerror: {error}\nmessage: {message}\n")),
    }
    s
}

fn parse_expected(text: &str) -> BTreeMap<String, String> {
    text.lines().filter_map(|l| l.split_once(": ")).map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// `cargo test -p ttbak --test vectors -- --ignored generate`: (re)writes tests/vectors/.
#[test]
#[ignore = "writes the vector files; run on purpose"]
fn generate() {
    let dir = dir();
    fs::create_dir_all(&dir).expect("vectors dir");
    for entry in fs::read_dir(&dir).expect("vectors dir").flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if name.ends_with(".ttbak") || name.ends_with(".expected") || name.ends_with(".plain") {
            fs::remove_file(entry.path()).expect("remove old vector");
        }
    }
    for (name, v) in vectors() {
        fs::write(dir.join(format!("{name}.ttbak")), &v.file).expect("write");
        fs::write(dir.join(format!("{name}.expected")), expected_text(&v)).expect("write");
        if let Expect::Plain(p) = &v.expect {
            fs::write(dir.join(format!("{name}.plain")), p).expect("write");
        }
    }
}

#[test]
fn vectors_are_reproducible() {
    let dir = dir();
    let vectors = vectors();
    for (name, v) in &vectors {
        let file = fs::read(dir.join(format!("{name}.ttbak"))).unwrap_or_else(|e| panic!("{name}.ttbak: {e} (run the generator, see the README)"));
        assert!(file == v.file, "{name}.ttbak differs from what the generator writes");
        assert_eq!(fs::read_to_string(dir.join(format!("{name}.expected"))).expect("expected"), expected_text(v), "{name}.expected");
    }
    let on_disk = fs::read_dir(&dir).expect("vectors dir").flatten().filter(|e| e.file_name().to_string_lossy().ends_with(".ttbak")).count();
    assert_eq!(on_disk, vectors.len(), "files in tests/vectors that the generator does not write");
}

// ---------------------------------------------------------------------------------------------
// Decoding, as the server and the browser do
// ---------------------------------------------------------------------------------------------

fn pull(file: &[u8], password: &[u8]) -> Result<Vec<u8>, TtbakError> {
    let mut r = TtbakReader::new(file, password)?;
    let mut out = Vec::new();
    r.read_to_end(&mut out).map_err(|e| TtbakError::from_io(&e).expect("reader errors carry a TtbakError"))?;
    Ok(out)
}

fn push(file: &[u8], password: &[u8], slice: usize) -> Result<Vec<u8>, TtbakError> {
    let parsed = parse_header(file)?.ok_or(TtbakError::Truncated { at: file.len() as u64 })?;
    let mut d = PushDecoder::new(Opener::new(&parsed, password)?, Vec::new());
    for piece in file[parsed.header_len_total..].chunks(slice) {
        d.push(piece)?;
    }
    d.finish()
}

#[test]
fn every_vector_decodes_as_expected() {
    let dir = dir();
    let mut names: Vec<String> = fs::read_dir(&dir)
        .expect("tests/vectors")
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().strip_suffix(".ttbak").map(str::to_string))
        .collect();
    names.sort();
    assert!(names.iter().filter(|n| n.starts_with("good_")).count() >= 4, "good vectors: {names:?}");
    assert!(names.iter().filter(|n| n.starts_with("fail_")).count() >= 10, "fail vectors: {names:?}");
    for name in &names {
        let file = fs::read(dir.join(format!("{name}.ttbak"))).expect("vector");
        let exp = parse_expected(&fs::read_to_string(dir.join(format!("{name}.expected"))).unwrap_or_else(|e| panic!("{name}.expected: {e}")));
        let password = exp.get("password").unwrap_or_else(|| panic!("{name}: no password")).as_bytes();
        let pulled = pull(&file, password);
        for slice in [1, 7, 1000, 65_537, file.len().max(1)] {
            assert_eq!(push(&file, password, slice), pulled, "{name}: the push decoder (slices of {slice}) and the pull reader disagree");
        }
        match exp.get("expect").map(String::as_str) {
            Some("ok") => {
                assert!(name.starts_with("good_"), "{name}: only good_* files decode");
                let plain = fs::read(dir.join(format!("{name}.plain"))).expect("plain");
                assert!(pulled.as_deref() == Ok(&plain[..]), "{name}: {:?}", pulled.map(|p| p.len()));
            }
            Some("error") => {
                assert!(name.starts_with("fail_"), "{name}: only fail_* files are refused");
                let err = match pulled {
                    Ok(p) => panic!("{name}: decoded {} bytes instead of being refused", p.len()),
                    Err(e) => e,
                };
                let (debug, message) = (format!("{err:?}"), err.to_string());
                assert!(debug.starts_with(&exp["error"]), "{name}: error {debug}, expected {}", exp["error"]);
                assert!(message.starts_with(&exp["message"]), "{name}: message {message:?}, expected {:?}", exp["message"]);
            }
            other => panic!("{name}: `expect: {other:?}`"),
        }
    }
}
