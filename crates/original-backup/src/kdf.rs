//! The original's one key derivation (src/lib/crypto.ts `deriveKey`):
//!
//! - scrypt, N = 2^14 = 16384, r = 8, p = 1, output 32 bytes (an AES-256 key);
//! - password: the UTF-8 bytes of the password string;
//! - salt: the **UTF-8 bytes of the 64-character hex string** (Node hashes a string salt as
//!   text), not the 32 bytes it spells.
//!
//! The parameters are constants in the original and are not stored in any file; the only
//! input a file supplies is the salt, which is checked to be exactly 64 ASCII hex characters
//! before anything is derived. scrypt with these parameters needs 16 MiB of memory
//! (128 · r · N bytes) and a few tens of milliseconds natively.

use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// log2(N) of the original's scrypt.
pub const SCRYPT_LOG_N: u8 = 14;
/// r of the original's scrypt.
pub const SCRYPT_R: u32 = 8;
/// p of the original's scrypt.
pub const SCRYPT_P: u32 = 1;
/// Key length in bytes (AES-256).
pub const KEY_LEN: usize = 32;
/// Length of a salt in the original: `randomBytes(32).toString("hex")`.
pub const SALT_HEX_LEN: usize = 64;

/// A 32-byte AES-256 key, wiped when dropped.
pub struct Key(pub(crate) Zeroizing<[u8; KEY_LEN]>);

impl Key {
    /// The raw key bytes (for known-answer tests and for a caller that needs to hand the key
    /// to a worker).
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Key(Zeroizing::new(bytes))
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(..)")
    }
}

/// True if `salt` is exactly 64 ASCII hex characters (either case), as `HEX_64_RE`.
pub fn is_salt_hex(salt: &str) -> bool {
    salt.len() == SALT_HEX_LEN && salt.bytes().all(|b| b.is_ascii_hexdigit())
}

/// scrypt(password, salt-as-ASCII, N=2^14, r=8, p=1, 32). `which` names the salt in the error
/// ("instance" or "envelope").
pub fn derive(password: &str, salt_hex: &str, which: &'static str) -> Result<Key> {
    if !is_salt_hex(salt_hex) {
        return Err(Error::BadSalt { which });
    }
    let params = scrypt::Params::new(SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P, KEY_LEN).expect("the original's scrypt parameters are valid");
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    scrypt::scrypt(password.as_bytes(), salt_hex.as_bytes(), &params, key.as_mut()).expect("a 32-byte output is valid for scrypt");
    Ok(Key(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn note_vector_instance_key() {
        let key = derive("correct horse battery staple", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", "instance").unwrap();
        assert_eq!(hex::encode(key.as_bytes()), "5ff8609bd1bb560038c2c5ea0a79a6143e8178cc5818d8103d3c4eb5c3bc49a6");
    }

    #[test]
    fn salt_is_bounds_checked_before_deriving() {
        for bad in ["", "00", &"g".repeat(64), &"a".repeat(63), &"a".repeat(65), &"é".repeat(32)] {
            assert!(matches!(derive("pw", bad, "envelope"), Err(Error::BadSalt { which: "envelope" })), "{bad:?}");
        }
        assert!(derive("pw", &"AbCdEf01".repeat(8), "envelope").is_ok());
    }
}
