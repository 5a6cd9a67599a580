//! Opening a backup file of either kind: the first bytes tell a .ttbak from plain JSON, and the
//! reader returned still yields the whole file (those bytes included), so nothing is reopened.

use super::FileKind;
use std::io::{Chain, Cursor, ErrorKind, Read};

/// How many leading bytes [`FileKind::detect`] needs (the .ttbak magic).
pub const DETECT_LEN: usize = super::encrypted::MAGIC.len();

/// The whole file again: the bytes read to detect the kind, then the rest.
pub type Whole<R> = Chain<Cursor<Vec<u8>>, R>;

/// Reads the first [`DETECT_LEN`] bytes (fewer only when the file is shorter: a single `read`
/// may return less), detects the kind, and returns a reader over the whole file.
pub fn open<R: Read>(mut r: R) -> std::io::Result<(FileKind, Whole<R>)> {
    let mut head = vec![0u8; DETECT_LEN];
    let mut n = 0;
    while n < head.len() {
        match r.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    head.truncate(n);
    let kind = FileKind::detect(&head);
    Ok((kind, Cursor::new(head).chain(r)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out one byte per read, as a pipe or a slow share may.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let Some((first, rest)) = self.0.split_first() else { return Ok(0) };
            match buf.first_mut() {
                Some(b) => *b = *first,
                None => return Ok(0),
            }
            self.0 = rest;
            Ok(1)
        }
    }

    #[test]
    fn detects_the_kind_over_short_reads_and_keeps_every_byte() {
        let plain = b"{\"tracker_tracker_backup\": 1}\n".to_vec();
        let (kind, mut r) = open(Trickle(&plain)).expect("open");
        assert_eq!(kind, FileKind::Plain);
        let mut all = Vec::new();
        r.read_to_end(&mut all).expect("read");
        assert_eq!(all, plain);

        let mut ttbak = crate::backup_format::encrypted::MAGIC.to_vec();
        ttbak.extend_from_slice(b"rest of the file");
        let (kind, mut r) = open(Trickle(&ttbak)).expect("open");
        assert_eq!(kind, FileKind::Encrypted);
        let mut all = Vec::new();
        r.read_to_end(&mut all).expect("read");
        assert_eq!(all, ttbak);
    }

    #[test]
    fn a_file_shorter_than_the_magic_is_plain_and_whole() {
        let (kind, mut r) = open(&b"{}"[..]).expect("open");
        assert_eq!(kind, FileKind::Plain);
        let mut all = Vec::new();
        r.read_to_end(&mut all).expect("read");
        assert_eq!(all, b"{}");
    }
}
