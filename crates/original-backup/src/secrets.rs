//! The original's instance secrets (API tokens, client credentials, TOTP secret and backup
//! codes, proxy and backup passwords, image-host keys, notification configs).
//!
//! Parameters (src/lib/crypto.ts):
//! - key: scrypt(login password, `settings.encryptionSalt` **as its 64 ASCII hex characters**,
//!   N = 2^14, r = 8, p = 1, 32 bytes) — see [`crate::kdf`]. The salt is checked to be 64 hex
//!   characters before deriving;
//! - a secret is the string `base64(iv(12) ‖ tag(16) ‖ AES-256-GCM ciphertext)`, standard
//!   alphabet with padding, no AAD, no version prefix; the plaintext is UTF-8 text;
//! - every secret of one backup is under the same key. `""` is the original's "cleared" value
//!   and is not a secret (see [`is_cleared`]).
//!
//! A GCM tag failure cannot tell a wrong key from a damaged secret. [`InstanceKey::open`]
//! reports it as [`Error::WrongLoginPassword`]; [`InstanceKey::check`] tries the first
//! non-empty secret so a caller can ask for the password again before the restore. Once one
//! secret of a file has opened, the key is right and a later failure means that one secret is
//! damaged ([`InstanceKey::open_after_check`] reports it as [`Error::SecretMalformed`]).
//!
//! TOTP backup codes (src/lib/totp.ts): the plaintext of `settings.totpBackupCodes` is a JSON
//! array of `{hash, salt, used}`; a code is 8 hex digits shown as `XXXX-XXXX`; `salt` is 16
//! random bytes as 32 hex characters; `hash = sha256hex(code without dashes, uppercased ‖ salt)`
//! (the salt as text). [`BackupCodes`] parses them and checks a typed code, so an importer can
//! keep them usable.

use base64::Engine;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::gcm;
use crate::kdf::{self, Key};

/// The key every secret of one original instance is sealed under.
#[derive(Debug)]
pub struct InstanceKey {
    key: Key,
}

/// True for the original's "cleared" value: an empty string (set by its restore when a secret
/// could not be re-encrypted).
pub fn is_cleared(secret: &str) -> bool {
    secret.is_empty()
}

impl InstanceKey {
    /// Derives the key from the source instance's login password and its `encryptionSalt`.
    pub fn derive(login_password: &str, encryption_salt: &str) -> Result<Self> {
        Ok(InstanceKey { key: kdf::derive(login_password, encryption_salt, "instance")? })
    }

    pub fn from_key(key: Key) -> Self {
        InstanceKey { key }
    }

    pub fn key(&self) -> &Key {
        &self.key
    }

    /// Opens one secret. A tag failure is [`Error::WrongLoginPassword`].
    pub fn open(&self, secret: &str) -> Result<Zeroizing<String>> {
        self.open_inner(secret, "", true)
    }

    /// Opens one secret of a file whose key was already confirmed by [`InstanceKey::check`]:
    /// a tag failure is then [`Error::SecretMalformed`] naming `at` (e.g. `trackers[2].encryptedApiToken`).
    pub fn open_after_check(&self, secret: &str, at: &str) -> Result<Zeroizing<String>> {
        self.open_inner(secret, at, false)
    }

    fn open_inner(&self, secret: &str, at: &str, unconfirmed: bool) -> Result<Zeroizing<String>> {
        let at_s = if at.is_empty() { String::new() } else { format!(" ({at})") };
        let malformed = |reason: &str| Error::SecretMalformed { at: at_s.clone(), reason: reason.into() };
        let sealed = Zeroizing::new(base64::engine::general_purpose::STANDARD.decode(secret.as_bytes()).map_err(|_| malformed("it is not base64"))?);
        if sealed.len() < gcm::MIN_SEALED_LEN {
            return Err(malformed("it is shorter than an IV and a tag (28 bytes)"));
        }
        let plain = match gcm::open_sealed(&self.key, &sealed) {
            Some(p) => Zeroizing::new(p),
            None if unconfirmed => return Err(Error::WrongLoginPassword),
            None => return Err(malformed("it does not open with the key that opened the others (damaged)")),
        };
        match std::str::from_utf8(&plain) {
            Ok(s) => Ok(Zeroizing::new(s.to_owned())),
            Err(_) => Err(malformed("its content is not UTF-8 text")),
        }
    }

    /// Confirms the login password on the first non-empty secret among `candidates`.
    /// `Ok(true)`: it opened; `Ok(false)`: there was no secret to try (every secret cleared);
    /// `Err(WrongLoginPassword)`: it did not open.
    pub fn check<'a>(&self, candidates: impl IntoIterator<Item = &'a str>) -> Result<bool> {
        match candidates.into_iter().find(|s| !is_cleared(s)) {
            None => Ok(false),
            Some(s) => self.open(s).map(|_| true),
        }
    }

    /// Seals a plaintext like the original's `encrypt`, with the given IV (test writer).
    #[cfg(feature = "writer")]
    pub fn seal(&self, plaintext: &str, iv: &[u8; 12]) -> String {
        base64::engine::general_purpose::STANDARD.encode(gcm::seal(&self.key, iv, plaintext.as_bytes()))
    }
}

/// One stored TOTP backup code of the original.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BackupCode {
    /// sha256 hex of the normalised code followed by `salt`.
    pub hash: String,
    pub salt: String,
    pub used: bool,
}

/// The original's TOTP backup codes (the opened `totpBackupCodes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupCodes(pub Vec<BackupCode>);

impl BackupCodes {
    /// Parses the opened `totpBackupCodes` plaintext.
    pub fn parse(plaintext: &str) -> Result<Self> {
        serde_json::from_str::<Vec<BackupCode>>(plaintext).map(BackupCodes).map_err(|e| Error::SecretMalformed {
            at: " (settings.totpBackupCodes)".into(),
            reason: format!("it is not the original's list of backup codes ({e})"),
        })
    }

    /// How many are still unused.
    pub fn unused(&self) -> usize {
        self.0.iter().filter(|c| !c.used).count()
    }

    /// The index of the unused code `code` matches (dashes ignored, any case), as the
    /// original's `verifyBackupCode` (which compares in constant time too).
    pub fn find(&self, code: &str) -> Option<usize> {
        let normalized: String = code.chars().filter(|&c| c != '-').collect::<String>().to_uppercase();
        self.0.iter().position(|entry| {
            if entry.used {
                return false;
            }
            let digest = hex::encode(Sha256::digest(format!("{normalized}{}", entry.salt).as_bytes()));
            digest.as_bytes().ct_eq(entry.hash.to_ascii_lowercase().as_bytes()).into()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_codes_check_like_the_original() {
        // hash = sha256hex("A1B2C3D4" + salt), computed with Python's hashlib.
        let salt = "00112233445566778899aabbccddeeff";
        let hash = "f4c4e50d5bd457fb2442708545b854b581937f5de9db743495f991e521d09afb";
        let json = format!(r#"[{{"hash":"{hash}","salt":"{salt}","used":false}},{{"hash":"{hash}","salt":"{salt}","used":true}}]"#);
        let codes = BackupCodes::parse(&json).unwrap();
        assert_eq!(codes.unused(), 1);
        assert_eq!(codes.find("a1b2-c3d4"), Some(0));
        assert_eq!(codes.find("A1B2C3D4"), Some(0));
        assert_eq!(codes.find("A1B2-C3D5"), None);
        assert!(BackupCodes::parse("{}").is_err());
    }

    const SALT: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    const VECTOR: &str = "AAECAwQFBgcICQoLdKOgrYTOJOoGcUg0hI97fIAPsVV4q7FKxgXk91CNWld910c=";

    #[test]
    fn note_vector_opens() {
        let key = InstanceKey::derive("correct horse battery staple", SALT).unwrap();
        assert_eq!(key.open(VECTOR).unwrap().as_str(), "my-unit3d-api-token");
        assert!(key.check(["", VECTOR]).unwrap());
        assert!(!key.check(["", ""]).unwrap());
    }

    #[test]
    fn wrong_login_password_is_its_own_error() {
        let key = InstanceKey::derive("correct horse battery stapler", SALT).unwrap();
        assert!(matches!(key.open(VECTOR), Err(Error::WrongLoginPassword)));
        assert!(matches!(key.check([VECTOR]), Err(Error::WrongLoginPassword)));
    }

    #[test]
    fn the_decoded_salt_is_not_the_salt() {
        // Deriving with the 32 decoded bytes (a plausible mistake) gives another key.
        let params = scrypt::Params::new(14, 8, 1, 32).unwrap();
        let mut wrong = [0u8; 32];
        scrypt::scrypt(b"correct horse battery staple", &hex::decode(SALT).unwrap(), &params, &mut wrong).unwrap();
        assert!(hex::encode(wrong).starts_with("9c925d34"));
        assert!(hex::encode(wrong).ends_with("8665"));
        let key = InstanceKey::from_key(Key::from_bytes(wrong));
        assert!(key.open(VECTOR).is_err());
    }

    #[test]
    fn damaged_secret_after_check_names_the_field() {
        let key = InstanceKey::derive("correct horse battery staple", SALT).unwrap();
        let mut bytes = base64::engine::general_purpose::STANDARD.decode(VECTOR).unwrap();
        bytes[30] ^= 4;
        let bad = base64::engine::general_purpose::STANDARD.encode(bytes);
        match key.open_after_check(&bad, "trackers[0].encryptedApiToken") {
            Err(Error::SecretMalformed { at, .. }) => assert!(at.contains("trackers[0].encryptedApiToken")),
            other => panic!("{other:?}"),
        }
        assert!(matches!(key.open("not base64!"), Err(Error::SecretMalformed { .. })));
        assert!(matches!(key.open("AAAA"), Err(Error::SecretMalformed { .. })));
    }
}
