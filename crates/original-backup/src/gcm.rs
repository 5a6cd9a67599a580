//! AES-256-GCM as the original uses it (src/lib/crypto.ts `encrypt`/`decrypt`):
//!
//! - a 12-byte IV, a 16-byte tag, no additional authenticated data;
//! - the sealed form is `iv(12) ‖ tag(16) ‖ ciphertext`, in that order (the tag **before**
//!   the ciphertext), base64-encoded (standard alphabet, padded) by the callers;
//! - the original's `decrypt` refuses anything shorter than 29 bytes (an empty plaintext);
//!   this crate accepts 28 (an empty plaintext) and refuses less.
//!
//! A `.ttbak` payload is one GCM message of up to hundreds of megabytes, so it is decrypted
//! by [`StreamingDecryptor`], built from the RustCrypto parts of GCM (`aes`, `ctr`, `ghash`;
//! no random number generator is needed, so nothing here pulls one into the wasm32 build) (NIST SP 800-38D with a
//! 96-bit IV): `H = AES_K(0¹²⁸)`, `J0 = IV ‖ 0³¹1`, the keystream is AES-CTR with a 32-bit
//! big-endian counter starting at `inc32(J0)`, the tag is
//! `GHASH_H(C ‖ pad ‖ len64(A)=0 ‖ len64(C)) ⊕ AES_K(J0)`. Because the tag precedes the
//! ciphertext in the original's layout, it is known before the first ciphertext byte, and the
//! check at the end needs no look-ahead. The comparison is constant-time. Unverified
//! plaintext is handed out as it is produced; a caller must not trust it until
//! [`StreamingDecryptor::verify`] returns true (see `envelope`). Small sealed values
//! (instance secrets) go through the same code in one call ([`open_sealed`], which returns
//! the plaintext only after the tag matched). The tests check both directions against the
//! `aes-gcm` crate (a dev-dependency) at many lengths and chunkings.

use aes::cipher::{BlockEncrypt, KeyInit, KeyIvInit, StreamCipher};
use aes::Aes256;
use ghash::universal_hash::UniversalHash;
use ghash::GHash;
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use crate::kdf::Key;

pub const IV_LEN: usize = 12;
pub const TAG_LEN: usize = 16;
/// The shortest sealed value: IV, tag and an empty ciphertext.
pub const MIN_SEALED_LEN: usize = IV_LEN + TAG_LEN;
/// GCM's limit on one message: 2^39 − 256 bits.
pub const MAX_CIPHERTEXT_LEN: u64 = (1 << 36) - 32;

type Ctr = ctr::Ctr32BE<Aes256>;

/// Opens `iv ‖ tag ‖ ciphertext` in one call. `None` if it is too short or the tag fails.
pub fn open_sealed(key: &Key, sealed: &[u8]) -> Option<Vec<u8>> {
    if sealed.len() < MIN_SEALED_LEN {
        return None;
    }
    let iv: [u8; IV_LEN] = sealed[..IV_LEN].try_into().expect("12 bytes");
    let tag: [u8; TAG_LEN] = sealed[IV_LEN..MIN_SEALED_LEN].try_into().expect("16 bytes");
    let mut d = StreamingDecryptor::new(key, &iv, &tag);
    let mut buf = sealed[MIN_SEALED_LEN..].to_vec();
    if d.update(&mut buf) && d.verify() {
        Some(buf)
    } else {
        buf.zeroize();
        None
    }
}

/// Seals `plaintext` as the original's `encrypt` does, with the given IV:
/// `iv ‖ tag ‖ ciphertext`.
pub fn seal(key: &Key, iv: &[u8; IV_LEN], plaintext: &[u8]) -> Vec<u8> {
    let mut core = Core::new(key, iv);
    let mut ct = plaintext.to_vec();
    core.ctr.apply_keystream(&mut ct);
    core.absorb(&ct);
    let tag = core.tag();
    let mut out = Vec::with_capacity(MIN_SEALED_LEN + ct.len());
    out.extend_from_slice(iv);
    out.extend_from_slice(&tag);
    out.extend_from_slice(&ct);
    out
}

/// The GCM state shared by both directions: the CTR keystream, GHASH over the ciphertext.
struct Core {
    ctr: Ctr,
    ghash: GHash,
    tag_mask: [u8; 16],
    partial: [u8; 16],
    partial_len: usize,
    ct_len: u64,
}

impl Core {
    fn new(key: &Key, iv: &[u8; IV_LEN]) -> Self {
        let aes = Aes256::new_from_slice(key.as_bytes()).expect("32-byte key");
        let mut h = aes::Block::default();
        aes.encrypt_block(&mut h);
        let ghash = GHash::new(&h);
        h.as_mut_slice().zeroize();
        let mut j0 = [0u8; 16];
        j0[..IV_LEN].copy_from_slice(iv);
        j0[15] = 1;
        let mut ctr = Ctr::new(key.as_bytes().into(), &j0.into());
        // The first keystream block is AES_K(J0), the tag mask; data starts at inc32(J0).
        let mut tag_mask = [0u8; 16];
        ctr.apply_keystream(&mut tag_mask);
        Core { ctr, ghash, tag_mask, partial: [0; 16], partial_len: 0, ct_len: 0 }
    }

    /// GHASH over ciphertext bytes, in pieces of any size.
    fn absorb(&mut self, mut rest: &[u8]) {
        self.ct_len += rest.len() as u64;
        if self.partial_len > 0 {
            let take = rest.len().min(16 - self.partial_len);
            self.partial[self.partial_len..self.partial_len + take].copy_from_slice(&rest[..take]);
            self.partial_len += take;
            rest = &rest[take..];
            if self.partial_len == 16 {
                self.ghash.update(&[self.partial.into()]);
                self.partial_len = 0;
            }
        }
        let whole = rest.len() / 16 * 16;
        // Whole blocks in one call (`update_padded` pads nothing when the length is a multiple of 16).
        self.ghash.update_padded(&rest[..whole]);
        let tail = &rest[whole..];
        if !tail.is_empty() {
            self.partial[..tail.len()].copy_from_slice(tail);
            self.partial_len = tail.len();
        }
    }

    /// The tag of everything absorbed.
    fn tag(mut self) -> [u8; 16] {
        if self.partial_len > 0 {
            let mut last = [0u8; 16];
            last[..self.partial_len].copy_from_slice(&self.partial[..self.partial_len]);
            self.ghash.update(&[last.into()]);
        }
        let mut lengths = [0u8; 16];
        lengths[8..].copy_from_slice(&(self.ct_len * 8).to_be_bytes());
        self.ghash.update(&[lengths.into()]);
        let mut tag: [u8; 16] = self.ghash.clone().finalize().into();
        for (t, m) in tag.iter_mut().zip(self.tag_mask.iter()) {
            *t ^= m;
        }
        self.tag_mask.zeroize();
        self.partial.zeroize();
        tag
    }
}

/// AES-256-GCM decryption of one message fed in pieces of any size, with the tag known first.
pub struct StreamingDecryptor {
    core: Core,
    expected_tag: [u8; 16],
}

impl StreamingDecryptor {
    pub fn new(key: &Key, iv: &[u8; IV_LEN], expected_tag: &[u8; TAG_LEN]) -> Self {
        StreamingDecryptor { core: Core::new(key, iv), expected_tag: *expected_tag }
    }

    /// Bytes of ciphertext processed so far.
    pub fn len(&self) -> u64 {
        self.core.ct_len
    }

    pub fn is_empty(&self) -> bool {
        self.core.ct_len == 0
    }

    /// Authenticates and decrypts `data` in place. Returns false (and changes nothing) if the
    /// message would exceed GCM's length limit.
    pub fn update(&mut self, data: &mut [u8]) -> bool {
        if self.core.ct_len + data.len() as u64 > MAX_CIPHERTEXT_LEN {
            return false;
        }
        self.core.absorb(data);
        self.core.ctr.apply_keystream(data);
        true
    }

    /// True if the whole message fed so far matches the tag (compared in constant time).
    pub fn verify(self) -> bool {
        let mut tag = self.core.tag();
        let ok = tag.ct_eq(&self.expected_tag).into();
        tag.zeroize();
        ok
    }
}

/// AES-256-GCM encryption of one message fed in pieces (the test writer's `.ttbak`).
pub struct StreamingEncryptor {
    core: Core,
}

impl StreamingEncryptor {
    pub fn new(key: &Key, iv: &[u8; IV_LEN]) -> Self {
        StreamingEncryptor { core: Core::new(key, iv) }
    }

    /// Encrypts `data` in place and authenticates the ciphertext.
    pub fn update(&mut self, data: &mut [u8]) {
        self.core.ctr.apply_keystream(data);
        self.core.absorb(data);
    }

    /// The tag of everything encrypted.
    pub fn tag(self) -> [u8; TAG_LEN] {
        self.core.tag()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rng(seed: &mut u64) -> u64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    }

    fn stream_open(key: &Key, sealed: &[u8], chunk: usize) -> (Vec<u8>, bool) {
        let iv: [u8; 12] = sealed[..12].try_into().unwrap();
        let tag: [u8; 16] = sealed[12..28].try_into().unwrap();
        let mut d = StreamingDecryptor::new(key, &iv, &tag);
        let mut out = Vec::new();
        for piece in sealed[28..].chunks(chunk.max(1)) {
            let mut p = piece.to_vec();
            assert!(d.update(&mut p));
            out.extend_from_slice(&p);
        }
        (out, d.verify())
    }

    #[test]
    fn streaming_matches_the_aes_gcm_crate_at_every_length_and_chunking() {
        let mut seed = 0x9e3779b97f4a7c15u64;
        let key = Key::from_bytes([7u8; 32]);
        for len in [0usize, 1, 15, 16, 17, 31, 32, 33, 100, 1000, 4099] {
            let plain: Vec<u8> = (0..len).map(|_| rng(&mut seed) as u8).collect();
            let iv = [rng(&mut seed) as u8; 12];
            let sealed = seal(&key, &iv, &plain);
            assert_eq!(open_sealed(&key, &sealed).unwrap(), plain);
            for chunk in [1usize, 3, 16, 17, 64, 5000] {
                let (out, ok) = stream_open(&key, &sealed, chunk);
                assert!(ok, "len {len} chunk {chunk}");
                assert_eq!(out, plain);
            }
            if len > 0 {
                let mut bad = sealed.clone();
                let i = 28 + (rng(&mut seed) as usize % len);
                bad[i] ^= 0x01;
                assert!(!stream_open(&key, &bad, 7).1);
                assert!(open_sealed(&key, &bad).is_none());
            }
            let mut bad_tag = sealed.clone();
            bad_tag[12] ^= 0x80;
            assert!(!stream_open(&key, &bad_tag, 16).1);
        }
    }

    #[test]
    fn both_directions_agree_with_the_aes_gcm_crate() {
        use aes_gcm::aead::AeadInPlace;
        use aes_gcm::{Aes256Gcm, Nonce};
        let key = Key::from_bytes([0x42; 32]);
        let theirs = Aes256Gcm::new_from_slice(key.as_bytes()).unwrap();
        let mut seed = 7u64;
        for len in [0usize, 1, 16, 29, 257, 3000] {
            let plain: Vec<u8> = (0..len).map(|_| rng(&mut seed) as u8).collect();
            let iv = [len as u8; 12];
            let mut buf = plain.clone();
            let tag = theirs.encrypt_in_place_detached(Nonce::from_slice(&iv), b"", &mut buf).unwrap();
            let mut expected = iv.to_vec();
            expected.extend_from_slice(&tag);
            expected.extend_from_slice(&buf);
            assert_eq!(seal(&key, &iv, &plain), expected, "len {len}");
        }
    }

    #[test]
    fn streaming_encryption_matches_seal() {
        let key = Key::from_bytes([3u8; 32]);
        let plain: Vec<u8> = (0..1000u32).map(|i| (i * 7) as u8).collect();
        let iv = [5u8; 12];
        let mut e = StreamingEncryptor::new(&key, &iv);
        let mut ct = Vec::new();
        for piece in plain.chunks(33) {
            let mut p = piece.to_vec();
            e.update(&mut p);
            ct.extend_from_slice(&p);
        }
        let sealed = seal(&key, &iv, &plain);
        assert_eq!(&sealed[12..28], &e.tag());
        assert_eq!(&sealed[28..], &ct[..]);
    }

    #[test]
    fn too_short_does_not_open() {
        let key = Key::from_bytes([1u8; 32]);
        assert!(open_sealed(&key, &[0u8; 27]).is_none());
    }
}
