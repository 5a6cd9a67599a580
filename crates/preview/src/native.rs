//! This app's backups: a plain file's header from its start; a `.ttbak` decrypted and
//! authenticated chunk by chunk, its header read from the inflated payload.

use crate::{FileKind, NativePreview, Preview, PreviewError, Progress, Timed};
use tt_core::backup_format::encrypted::{parse_header, Opener, PushDecoder};
use tt_core::backup_format::preview::{plain_header, HeaderSink, MAX_SNIFF};

/// A plain backup's header, from the start of the file only.
pub(crate) fn plain(file: &mut Timed<'_>) -> Result<Preview, PreviewError> {
    let mut len = 64 * 1024;
    loop {
        let prefix = file.read_vec(0, len)?;
        let whole = len >= file.size();
        match plain_header(&prefix, whole).map_err(|e| PreviewError::general(e.to_string()))? {
            Some(header) => return Ok(Preview::Native(NativePreview { kind: FileKind::Plain, header, chunks_verified: None, timing: None })),
            None => {
                if len >= MAX_SNIFF as u64 {
                    return Err(PreviewError::general("The backup header was not found at the start of the file."));
                }
                len = (len * 4).min(MAX_SNIFF as u64);
            }
        }
    }
}

/// Decrypts and authenticates a whole .ttbak, reporting progress. A wrong password is an error
/// on the field `backup_password` (the header's MAC tells at once); anything else is about the file.
pub(crate) fn encrypted(file: &mut Timed<'_>, password: &str, progress: &mut dyn Progress) -> Result<Preview, PreviewError> {
    let general = |e: &dyn std::fmt::Display| PreviewError::general(e.to_string());
    let mut prefix = file.read_vec(0, 64 * 1024)?;
    let parsed = loop {
        match parse_header(&prefix).map_err(|e| general(&e))? {
            Some(h) => break h,
            None if (prefix.len() as u64) < file.size() && prefix.len() < 1 << 20 => {
                prefix = file.read_vec(0, (prefix.len() * 4) as u64)?;
            }
            None => return Err(PreviewError::general("The file ends inside its header: it is incomplete.")),
        }
    };
    progress.progress(0.0);
    let t = progress.now_ms();
    let opener = Opener::new(&parsed, password.as_bytes()).map_err(|e| {
        if e.is_wrong_password() {
            PreviewError::at("backup_password", e.to_string())
        } else {
            general(&e)
        }
    })?;
    let kdf_ms = progress.now_ms() - t;
    let mut decoder = PushDecoder::new(opener, HeaderSink::default());
    file.stream(parsed.header_len_total as u64, progress, |part| decoder.push(part).map_err(|e| general(&e)))?;
    let chunks = decoder.chunks_verified();
    let sink = decoder.finish().map_err(|e| general(&e))?;
    let header = sink.into_header().map_err(|e| general(&e))?;
    let timing = Some(file.timing(kdf_ms, progress));
    Ok(Preview::Native(NativePreview { kind: FileKind::Encrypted, header, chunks_verified: Some(chunks + 1), timing }))
}

#[cfg(test)]
mod tests {
    use crate::testing::{decrypt, open};
    use crate::{Opened, Preview, PreviewError, SLICE};
    use tt_core::backup_format::encrypted::{KdfParams, TtbakWriter};
    use tt_core::backup_format::{Counts, Header, Section};

    const CHEAP: KdfParams = KdfParams { memory_kib: 64, iterations: 1, parallelism: 1 };

    fn header() -> Header {
        let created = chrono::DateTime::parse_from_rfc3339("2026-11-24T03:00:00Z").expect("a valid time").with_timezone(&chrono::Utc);
        let mut counts = Counts::default();
        *counts.get_mut(Section::TagGroups) = 3;
        Header::new(created, Some("https://tt.example".into()), counts)
    }

    /// The start of a plain backup (the preview reads no further than its header), then a
    /// member `x` of `padding`.
    fn plain_with(padding: &str) -> Vec<u8> {
        format!(r#"{{"header":{},"key_wrap":null,"x":"{padding}"}}"#, serde_json::to_string(&header()).expect("json")).into_bytes()
    }

    fn plain(padding: usize) -> Vec<u8> {
        plain_with(&" ".repeat(padding))
    }

    fn ttbak(plain: &[u8], password: &str, chunk_size: usize) -> Vec<u8> {
        let mut w = TtbakWriter::with_chunk_size(Vec::new(), password.as_bytes(), CHEAP, chunk_size).expect("writer");
        std::io::Write::write_all(&mut w, plain).expect("written");
        w.finish().expect("finished")
    }

    #[test]
    fn a_plain_backup_is_previewed_from_its_start() {
        let Ok(Opened::Previewed(Preview::Native(p))) = open(&plain(0)) else { panic!("previewed") };
        assert_eq!(p.header, header());
        assert_eq!((p.chunks_verified, p.timing), (None, None));
        assert_eq!(open(b"not a backup").unwrap_err().field, None);
    }

    #[test]
    fn a_ttbak_asks_for_its_password_then_is_checked_whole() {
        // Random-looking padding does not compress: several slices of file, many chunks.
        let mut x = 1u64;
        let noise: String = (0..3 * SLICE / 2)
            .map(|_| {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                char::from(b'a' + (x >> 59) as u8)
            })
            .collect();
        let body = plain_with(&noise);
        let file = ttbak(&body, "pw", 64 * 1024);
        assert!(file.len() as u64 > SLICE, "{} bytes", file.len());
        assert_eq!(open(&file), Ok(Opened::NeedsPassword { original: false }));
        let (answer, fractions) = decrypt(&file, "pw");
        let Ok(Opened::Previewed(Preview::Native(p))) = answer else { panic!("{answer:?}") };
        assert_eq!(p.header, header());
        assert!(p.chunks_verified.expect("chunks") > 100);
        let t = p.timing.expect("timed");
        assert!(t.kdf_ms > 0.0 && t.read_ms > 0.0 && t.total_ms > t.kdf_ms, "{t:?}");
        // Reported every MiB of file, in order, up to the end.
        assert!(fractions.len() > 9, "{fractions:?}");
        assert!(fractions.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(fractions.last(), Some(&1.0));
    }

    #[test]
    fn a_wrong_password_is_at_its_field_a_damaged_file_about_the_file() {
        let file = ttbak(&plain(100_000), "pw", 4096);
        let (answer, fractions) = decrypt(&file, "not it");
        let e = answer.unwrap_err();
        assert_eq!(e.field.as_deref(), Some("backup_password"));
        assert!(fractions.len() <= 1, "nothing decrypted: {fractions:?}");
        let mut damaged = file.clone();
        let at = damaged.len() - 200;
        damaged[at] ^= 1;
        let e: PreviewError = decrypt(&damaged, "pw").0.unwrap_err();
        assert_eq!(e.field, None, "{}", e.message);
        let e = decrypt(&file[..file.len() - 10], "pw").0.unwrap_err();
        assert_eq!(e.field, None, "{}", e.message);
    }
}
