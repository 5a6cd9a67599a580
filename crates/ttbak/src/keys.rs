//! Key derivation and the password check (spec: docs/backup-format.md 2.3–2.5).
//!
//! ```text
//! okm      = Argon2id(password, salt, m = memory_kib, t = iterations, p = parallelism,
//!                     version = 0x13, output length = 64 bytes, no secret, no associated data)
//! aes_key  = okm[0..32]     AES-256-GCM key for the chunks
//! mac_key  = okm[32..64]    HMAC-SHA256 key for the header MAC
//! MAC      = HMAC-SHA256(mac_key, magic ‖ N ‖ header JSON), compared in constant time
//! ```
//!
//! Writers use m = 64 MiB, t = 3, p = 1 and 16 random bytes of salt; readers accept m ≤ 256 MiB,
//! t ≤ 16, p ≤ 4 (and whatever else Argon2 itself accepts: t ≥ 1, m ≥ 8 × p) and 16 … 64 bytes of
//! salt. The password is its bytes, unchanged. `okm` lives in a [`Zeroizing`] buffer and is wiped
//! when dropped; the AES key schedule is wiped by the `aes` crate's `zeroize` feature.
//! A MAC mismatch is [`TtbakError::WrongPassword`]: a damaged MAC cannot be told from it.

use std::fmt;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::error::TtbakError;
use crate::header::{ParsedHeader, CHECKSUM_LEN};
use crate::stream::{stream, Stream};

/// Bounds on what an untrusted header may ask for, so a crafted file cannot make the server or the
/// browser allocate or compute without limit.
pub const MAX_MEMORY_KIB: u32 = 256 * 1024;
pub const MAX_ITERATIONS: u32 = 16;
pub const MAX_PARALLELISM: u32 = 4;
pub const SALT_LEN: usize = 16;
pub const MIN_SALT_LEN: usize = 16;
pub const MAX_SALT_LEN: usize = 64;

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for KdfParams {
    fn default() -> Self {
        KdfParams { memory_kib: 64 * 1024, iterations: 3, parallelism: 1 }
    }
}

impl KdfParams {
    /// `Err(detail)` naming the value and the limit when a reader would refuse these parameters.
    pub(crate) fn check(&self) -> Result<argon2::Params, String> {
        if self.memory_kib > MAX_MEMORY_KIB {
            return Err(format!(
                "this backup asks for {} of memory to derive its key; Tracker Tracker allows at most {}",
                human_kib(self.memory_kib),
                human_kib(MAX_MEMORY_KIB)
            ));
        }
        if self.iterations > MAX_ITERATIONS {
            return Err(format!(
                "this backup asks for {} Argon2id iterations to derive its key; Tracker Tracker allows at most {MAX_ITERATIONS}",
                self.iterations
            ));
        }
        if self.parallelism > MAX_PARALLELISM {
            return Err(format!("this backup asks for Argon2id parallelism {}; Tracker Tracker allows at most {MAX_PARALLELISM}", self.parallelism));
        }
        argon2::Params::new(self.memory_kib, self.iterations, self.parallelism, Some(64)).map_err(|e| {
            format!(
                "Argon2id refuses this backup's key parameters (memory {} KiB, {} iterations, parallelism {}): {e}",
                self.memory_kib, self.iterations, self.parallelism
            )
        })
    }
}

fn human_kib(kib: u32) -> String {
    if kib.is_multiple_of(1024 * 1024) {
        format!("{} GiB", kib / (1024 * 1024))
    } else if kib.is_multiple_of(1024) {
        format!("{} MiB", kib / 1024)
    } else {
        format!("{kib} KiB")
    }
}

pub(crate) type HmacSha256 = Hmac<Sha256>;

/// Argon2id → 64 bytes: 0..32 the AES-256-GCM key, 32..64 the HMAC-SHA256 key.
pub(crate) fn derive_keys(password: &[u8], salt: &[u8], params: argon2::Params) -> Result<Zeroizing<[u8; 64]>, TtbakError> {
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut okm = Zeroizing::new([0u8; 64]);
    argon.hash_password_into(password, salt, okm.as_mut_slice()).map_err(|e| TtbakError::KeyDerivation(e.to_string()))?;
    Ok(okm)
}

pub(crate) fn header_mac(mac_key: &[u8], signed: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(mac_key).unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(signed);
    mac
}

/// The keys of one file, after the password has been checked against the header MAC.
pub struct Opener {
    pub(crate) stream: Stream,
    pub(crate) aad: [u8; CHECKSUM_LEN],
    pub(crate) chunk_size: usize,
    pub(crate) data_offset: u64,
}

impl fmt::Debug for Opener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Opener").field("chunk_size", &self.chunk_size).field("data_offset", &self.data_offset).finish_non_exhaustive()
    }
}

impl Opener {
    /// Derives the keys (slow: Argon2id, run it off the UI thread / async workers) and checks the
    /// header MAC. A MAC mismatch is [`TtbakError::WrongPassword`].
    pub fn new(parsed: &ParsedHeader, password: &[u8]) -> Result<Opener, TtbakError> {
        // parse_header checked the parameters; checking again keeps Opener safe on its own.
        let params = parsed.header.kdf_params().check().map_err(TtbakError::ParamsOutOfBounds)?;
        let okm = derive_keys(password, &parsed.salt, params)?;
        header_mac(&okm[32..], &parsed.signed).verify_slice(&parsed.mac).map_err(|_| TtbakError::WrongPassword)?;
        Ok(Opener {
            stream: stream(&okm[..32], &parsed.nonce_prefix),
            aad: parsed.checksum,
            chunk_size: parsed.header.chunk_size(),
            data_offset: parsed.header_len_total as u64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::header_len_field;
    use crate::testutil::*;
    use crate::{parse_header, PushDecoder, TtbakReader, TtbakWriter};
    use std::io::Write;

    #[test]
    fn wrong_password() {
        let (_, file) = sample_file();
        assert_eq!(read_all(&file, b"wrong").unwrap_err(), TtbakError::WrongPassword);
        assert_eq!(push_all(&file, b"", 4096).unwrap_err(), TtbakError::WrongPassword);
        assert!(TtbakError::WrongPassword.is_wrong_password());
        assert!(TtbakError::WrongPassword.to_string().contains("password is wrong"));
    }

    #[test]
    fn damaged_mac_reads_as_wrong_password() {
        // The MAC is the password check: a reader cannot tell a changed MAC from a wrong password
        // (both are "this key does not produce this MAC") and must not go on without it.
        let (_, file) = sample_file();
        let len = header_len_field(&file) as usize;
        for at in [12 + len + 32, 12 + len + 63] {
            assert_eq!(read_all(&flip(&file, at), PW).unwrap_err(), TtbakError::WrongPassword);
        }
    }

    #[test]
    fn unknown_header_fields_are_ignored() {
        let (_, file) = sample_file();
        let edited = reheader(&file, |v| {
            v["comment"] = "added by a later version".into();
            v["kdf"]["hint"] = serde_json::json!({"x": 1});
        });
        let parsed = parse_header(&edited).unwrap().unwrap();
        // The header is authenticated (MAC and AAD): edited, it is refused as such, not misread.
        assert_eq!(Opener::new(&parsed, PW).unwrap_err(), TtbakError::WrongPassword);
        // With a MAC recomputed from the key, the edited header opens.
        let okm = derive_keys(PW, &parsed.salt, FAST.check().unwrap()).unwrap();
        let mut resigned = parsed.clone();
        resigned.mac.copy_from_slice(&header_mac(&okm[32..], &parsed.signed).finalize().into_bytes());
        assert!(Opener::new(&resigned, PW).is_ok());
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let (_, file) = sample_file();
        let parsed = parse_header(&file).unwrap().unwrap();
        let opener = Opener::new(&parsed, PW).unwrap();
        let okm = derive_keys(PW, &parsed.salt, FAST.check().unwrap()).unwrap();
        let mut w = TtbakWriter::with_chunk_size(Vec::new(), PW, FAST, CS).unwrap();
        w.write_all(b"x").unwrap();
        let texts = [
            format!("{opener:?}"),
            format!("{w:?}"),
            format!("{:?}", TtbakReader::new(&file[..], PW).unwrap()),
            format!("{:?}", PushDecoder::new(opener, Vec::new())),
        ];
        let key_hex: String = okm[..8].iter().map(|b| format!("{b:02x}")).collect();
        for t in texts {
            assert!(!t.contains("correct horse") && !t.contains(&key_hex) && !t.contains(&format!("{:?}", &okm[..4])), "{t}");
        }
    }

    /// The test vector printed in docs/backup-format.md 2.10.
    #[test]
    fn known_answer() {
        let file = hex(KAT_FILE);
        let parsed = parse_header(&file).unwrap().unwrap();
        let okm = derive_keys(KAT_PASSWORD, &parsed.salt, parsed.header.kdf_params().check().unwrap()).unwrap();
        assert_eq!(to_hex(&okm[..32]), KAT_AES_KEY);
        assert_eq!(to_hex(&okm[32..]), KAT_MAC_KEY);
        assert_eq!(to_hex(parsed.checksum()), KAT_CHECKSUM);
        assert_eq!(open_all_ways(&file, KAT_PASSWORD).unwrap(), KAT_PLAIN);
        assert_eq!(read_all(&file, b"Password"), Err(TtbakError::WrongPassword));
    }

    #[test]
    #[ignore = "prints the known-answer vector for the docs"]
    fn print_known_answer() {
        let mut w = TtbakWriter::with_randomness(Vec::new(), KAT_PASSWORD, FAST, CS, &KAT_SALT, KAT_NONCE_PREFIX).unwrap();
        w.write_all(KAT_PLAIN).unwrap();
        let file = w.finish().unwrap();
        let okm = derive_keys(KAT_PASSWORD, &KAT_SALT, FAST.check().unwrap()).unwrap();
        println!("file: {}\naes key: {}\nmac key: {}", to_hex(&file), to_hex(&okm[..32]), to_hex(&okm[32..]));
        let parsed = parse_header(&file).unwrap().unwrap();
        println!("checksum: {}\nheader_len_total: {}", to_hex(parsed.checksum()), parsed.header_len_total);
        println!("header: {}", std::str::from_utf8(&parsed.signed[12..]).unwrap());
    }

    const KAT_PASSWORD: &[u8] = b"password";
    const KAT_PLAIN: &[u8] = b"{\"header\":{\"format\":\"tracker-tracker-backup\"}}\n";
    const KAT_SALT: [u8; 16] = *b"0123456789abcdef";
    const KAT_NONCE_PREFIX: [u8; 7] = *b"nonce-7";
    const KAT_FILE: &str = "
        89545442414b0d0a000001437b22666f726d6174223a22747261636b65722d747261636b65722d6261636b7570222c22
        666f726d61745f76657273696f6e223a312c226b6466223a7b22616c676f726974686d223a226172676f6e326964222c
        2276657273696f6e223a31392c226d656d6f72795f6b6962223a313032342c22697465726174696f6e73223a312c2270
        6172616c6c656c69736d223a312c2273616c74223a224d4445794d7a51314e6a63344f5746695932526c5a673d3d227d
        2c22636970686572223a7b22616c676f726974686d223a226165732d3235362d67636d222c22636f6e73747275637469
        6f6e223a2273747265616d2d62653332222c226e6f6e63655f707265666978223a22626d3975593255744e773d3d222c
        226368756e6b5f73697a65223a313032347d2c22636f6d7072657373696f6e223a226465666c6174652d726177227d97
        142844493625f4f8f75cbd8d6579d4f3c72a27098a008c62817f2983bed69c87728ac782cb0eccd615c9a100e5e515f2
        5e07264220b425743772abb25921f98301e8122aef33b82929b82bbce4c77e5265b3997e0407b556809c0e396ea9be25
        105f017853d1c91e7db9d818ba34cc2c4d9067a4e4046dda
    ";
    const KAT_AES_KEY: &str = "71ebc936944750ce9bb11cb934bdc3179052da98ee0cfb4ea086d53c6b99c820";
    const KAT_MAC_KEY: &str = "785fa9eccf1ac1d298f1c7a07ad6d3231beaf9f9a7841b378a35875cca60fd33";
    const KAT_CHECKSUM: &str = "97142844493625f4f8f75cbd8d6579d4f3c72a27098a008c62817f2983bed69c";
}
