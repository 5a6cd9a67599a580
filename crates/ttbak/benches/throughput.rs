//! Throughput of the container with production parameters: `cargo bench -p ttbak`.
//!
//! Encrypts 64 MiB of backup-like JSON (Argon2id 64 MiB × 3 passes, 64 KiB chunks, DEFLATE level
//! 3), then decrypts it with the pull reader and the push decoder, and prints MB/s of plaintext
//! for each, with the key derivation timed apart (it is paid once per file, whatever its size).
//! Plain Rust with `std::time`: no benchmark framework to compile.

use std::io::{Read, Write};
use std::time::Instant;

use ttbak::{parse_header, KdfParams, Opener, PushDecoder, TtbakReader, TtbakWriter};

const PW: &[u8] = b"correct horse battery staple";
const SIZE: usize = 64 * 1024 * 1024;

/// Rows shaped like a backup's snapshot sections: repetitive keys, varying numbers.
fn backup_like_json(n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n + 256);
    out.extend_from_slice(br#"{"header":{"format":"tracker-tracker-backup","format_version":1},"tracker_snapshots":["#);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut id = 1u64;
    while out.len() < n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let row = format!(
            r#"{{"id":{id},"tracker_id":{},"taken_at":"2026-{:02}-{:02}T{:02}:00:00Z","uploaded":{},"downloaded":{},"ratio":{:.3},"seeding":{}}},"#,
            x % 40,
            x % 12 + 1,
            x % 28 + 1,
            x % 24,
            x >> 20,
            x >> 24,
            (x % 10_000) as f64 / 1000.0,
            x % 500
        );
        out.extend_from_slice(row.as_bytes());
        id += 1;
    }
    out.truncate(n);
    out
}

fn mb_per_s(bytes: usize, secs: f64) -> f64 {
    bytes as f64 / 1e6 / secs
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument is a size in MiB (e.g. for a quick run).
    let size = std::env::args().skip(1).find_map(|a| a.parse::<usize>().ok()).map_or(SIZE, |mib| mib * 1024 * 1024);
    let input = backup_like_json(size);
    let kdf = KdfParams::default();
    println!(
        "ttbak throughput: {} MiB of backup-like JSON, Argon2id {} MiB × {} passes × {} lane, 64 KiB chunks",
        size / (1024 * 1024),
        kdf.memory_kib / 1024,
        kdf.iterations,
        kdf.parallelism
    );

    // Key derivation alone: opening a header is one Argon2id run plus an HMAC.
    let mut w = TtbakWriter::new(Vec::new(), PW, kdf).expect("writer");
    w.write_all(b"{}").expect("write");
    let small = w.finish().expect("finish");
    let parsed = parse_header(&small).expect("header").expect("whole header");
    let runs = 3;
    let started = Instant::now();
    for _ in 0..runs {
        Opener::new(&parsed, PW).expect("open");
    }
    let kdf_ms = started.elapsed().as_secs_f64() * 1000.0 / runs as f64;
    println!("key derivation (Argon2id + header MAC): {kdf_ms:.0} ms per file");

    // Write: the writer's constructor derives the key, so it is timed apart.
    let started = Instant::now();
    let mut w = TtbakWriter::new(Vec::with_capacity(input.len() / 4), PW, kdf).expect("writer");
    let kdf_write = started.elapsed().as_secs_f64();
    let started = Instant::now();
    for piece in input.chunks(64 * 1024) {
        w.write_all(piece).expect("write");
    }
    let file = w.finish().expect("finish");
    let secs = started.elapsed().as_secs_f64();
    println!(
        "write (deflate + AES-GCM):   {:>7.1} MB/s   ({} → {} bytes, {:.1} %; plus {:.0} ms key derivation)",
        mb_per_s(input.len(), secs),
        input.len(),
        file.len(),
        file.len() as f64 * 100.0 / input.len() as f64,
        kdf_write * 1000.0
    );

    let mut r = TtbakReader::new(&file[..], PW).expect("reader");
    let started = Instant::now();
    let mut out = Vec::with_capacity(input.len());
    r.read_to_end(&mut out).expect("read");
    let secs = started.elapsed().as_secs_f64();
    assert!(out == input, "pull reader output differs from the input");
    println!("pull read (TtbakReader):     {:>7.1} MB/s of plaintext", mb_per_s(input.len(), secs));
    drop(out);

    let parsed = parse_header(&file).expect("header").expect("whole header");
    let mut d = PushDecoder::new(Opener::new(&parsed, PW).expect("open"), Vec::with_capacity(input.len()));
    let started = Instant::now();
    // The browser reads the File in 1 MiB slices.
    for piece in file[parsed.header_len_total..].chunks(1024 * 1024) {
        d.push(piece).expect("push");
    }
    let out = d.finish().expect("finish");
    let secs = started.elapsed().as_secs_f64();
    assert!(out == input, "push decoder output differs from the input");
    println!("push decode (PushDecoder):   {:>7.1} MB/s of plaintext", mb_per_s(input.len(), secs));
}
