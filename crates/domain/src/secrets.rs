//! Secrets at rest: envelope encryption (see docs/security.md).
//!
//! One random 256-bit data key (DEK) per instance encrypts every sensitive value with
//! AES-256-GCM (random 96-bit nonce per value; the column's purpose is the associated data, so a
//! value cannot be moved to another column). The DEK itself is stored three times, sealed:
//! - by a key derived with Argon2id from the login password and the instance salt;
//! - by the server key file in the data dir (mode 0600), so jobs work after a restart with nobody
//!   logged in;
//! - in a "portable" wrap derived from the login password with its own salt, which backups carry so
//!   the same password opens their secrets on another instance without exporting the instance salt.

use aes_gcm::aead::{Aead, KeyInit, OsRng, Payload};
use aes_gcm::{AeadCore, Aes256Gcm, Key, Nonce};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use zeroize::Zeroizing;

/// Prefix of every sealed value in the database and in backups.
pub const SEALED_PREFIX: &str = "tt1:";

/// The associated data of each secret column.
pub use tt_core::secret_purpose as purpose;

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the encryption keys are locked: log in once so the server can unlock them")]
    Locked,
    #[error("a stored secret is not in the expected format")]
    Malformed,
    #[error("a stored secret could not be decrypted (wrong key or damaged value)")]
    Undecryptable,
    #[error("the key could not be unsealed (wrong password or damaged key material)")]
    WrongKey,
    #[error("key derivation parameters are out of bounds: {0}")]
    BadParams(String),
    #[error("the server key file {path} could not be used: {reason}")]
    ServerKey { path: String, reason: String },
}

/// Argon2id parameters of the password-derived key that seals the DEK on this instance.
/// OWASP minimum for Argon2id: m = 19 MiB, t = 2, p = 1.
pub const INSTANCE_KDF: KdfParams = KdfParams { memory_kib: 19_456, iterations: 2, parallelism: 1 };
/// The portable wrap travels inside backups, so it is made costlier to attack offline.
pub const PORTABLE_KDF: KdfParams = KdfParams { memory_kib: 65_536, iterations: 3, parallelism: 1 };
/// Argon2id costs of the password hash (the PHC string carries its own parameters when verified).
pub const LOGIN_HASH_KDF: KdfParams = KdfParams { memory_kib: 19_456, iterations: 2, parallelism: 1 };

/// The costs an instance pays when it makes key material from a password: the login hash, the
/// password-sealed data key, the portable wrap copied into backups, and encrypted backup files.
/// Every derived value records the parameters it was made with, so verifying and opening do not
/// depend on these. `PRODUCTION` is what the binary uses (config.rs has no way to choose another);
/// `CHEAP` exists for tests that make dozens of instances, each of which would otherwise pay about
/// a quarter of a second of Argon2id. Never for a real instance: an offline attack on its
/// backups would be cheap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfCosts {
    pub login_hash: KdfParams,
    pub instance: KdfParams,
    pub portable: KdfParams,
    pub backup_file: tt_core::backup_format::encrypted::KdfParams,
}

impl KdfCosts {
    pub const PRODUCTION: KdfCosts = KdfCosts {
        login_hash: LOGIN_HASH_KDF,
        instance: INSTANCE_KDF,
        portable: PORTABLE_KDF,
        backup_file: tt_core::backup_format::encrypted::KdfParams { memory_kib: 64 * 1024, iterations: 3, parallelism: 1 },
    };
    /// The smallest costs the readers accept (8 KiB, one pass): for tests only.
    pub const CHEAP: KdfCosts = {
        const MIN: KdfParams = KdfParams { memory_kib: 8, iterations: 1, parallelism: 1 };
        KdfCosts {
            login_hash: MIN,
            instance: MIN,
            portable: MIN,
            backup_file: tt_core::backup_format::encrypted::KdfParams { memory_kib: 8, iterations: 1, parallelism: 1 },
        }
    };
}

/// Bounds for parameters read from a backup (untrusted): the key wrap's, defined with the format.
use tt_core::backup_format::{
    KEY_WRAP_MAX_ITERATIONS as MAX_ITERATIONS, KEY_WRAP_MAX_MEMORY_KIB as MAX_MEMORY_KIB, KEY_WRAP_MAX_PARALLELISM as MAX_PARALLELISM,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl KdfParams {
    fn argon2(&self) -> Result<Argon2<'static>, SecretError> {
        if self.memory_kib > MAX_MEMORY_KIB || self.iterations > MAX_ITERATIONS || self.parallelism > MAX_PARALLELISM {
            return Err(SecretError::BadParams(format!(
                "memory {} KiB (max {MAX_MEMORY_KIB}), iterations {} (max {MAX_ITERATIONS}), parallelism {} (max {MAX_PARALLELISM})",
                self.memory_kib, self.iterations, self.parallelism
            )));
        }
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, Some(32)).map_err(|e| SecretError::BadParams(e.to_string()))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

/// A key-encryption key derived from a password.
pub fn derive_kek(password: &str, salt: &[u8], params: KdfParams) -> Result<Zeroizing<[u8; 32]>, SecretError> {
    let mut out = Zeroizing::new([0u8; 32]);
    params.argon2()?.hash_password_into(password.as_bytes(), salt, out.as_mut()).map_err(|e| SecretError::BadParams(e.to_string()))?;
    Ok(out)
}

pub fn random_salt() -> Vec<u8> {
    let mut salt = vec![0u8; 16];
    OsRng.fill_bytes(&mut salt);
    salt
}

/// The instance's data key. Zeroized on drop; never printed.
pub struct DataKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(..)")
    }
}

impl DataKey {
    pub fn generate() -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(key.as_mut());
        DataKey(key)
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(self.0.as_ref()))
    }

    /// A public fingerprint of the key: equal fingerprints mean secrets can be copied as they are.
    pub fn key_id(&self) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.0.as_ref()).expect("HMAC takes any key length");
        mac.update(b"tracker-tracker key id v1");
        hex::encode(&mac.finalize().into_bytes()[..16])
    }

    /// Encrypts a value for the column `purpose`.
    pub fn seal(&self, purpose: &str, plaintext: &[u8]) -> String {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ct = self
            .cipher()
            .encrypt(&nonce, Payload { msg: plaintext, aad: purpose.as_bytes() })
            .expect("AES-GCM encryption of an in-memory buffer cannot fail");
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&ct);
        format!("{SEALED_PREFIX}{}", URL_SAFE_NO_PAD.encode(blob))
    }

    pub fn open(&self, purpose: &str, sealed: &str) -> Result<Zeroizing<Vec<u8>>, SecretError> {
        let b64 = sealed.strip_prefix(SEALED_PREFIX).ok_or(SecretError::Malformed)?;
        let blob = URL_SAFE_NO_PAD.decode(b64).map_err(|_| SecretError::Malformed)?;
        if blob.len() < 12 + 16 {
            return Err(SecretError::Malformed);
        }
        let (nonce, ct) = blob.split_at(12);
        self.cipher()
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad: purpose.as_bytes() })
            .map(Zeroizing::new)
            .map_err(|_| SecretError::Undecryptable)
    }

    pub fn open_string(&self, purpose: &str, sealed: &str) -> Result<Zeroizing<String>, SecretError> {
        let bytes = self.open(purpose, sealed)?;
        String::from_utf8(bytes.to_vec()).map(Zeroizing::new).map_err(|_| SecretError::Malformed)
    }

    /// Seals this key under a key-encryption key: nonce (12) || ciphertext (32 + 16).
    pub fn wrap(&self, kek: &[u8; 32]) -> Vec<u8> {
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(kek));
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ct = cipher
            .encrypt(&nonce, Payload { msg: self.0.as_ref(), aad: b"tracker-tracker data key" })
            .expect("AES-GCM encryption of an in-memory buffer cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        out
    }

    pub fn unwrap(kek: &[u8; 32], blob: &[u8]) -> Result<DataKey, SecretError> {
        if blob.len() != 12 + 32 + 16 {
            return Err(SecretError::WrongKey);
        }
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(kek));
        let (nonce, ct) = blob.split_at(12);
        let plain = Zeroizing::new(
            cipher.decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad: b"tracker-tracker data key" }).map_err(|_| SecretError::WrongKey)?,
        );
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(&plain);
        Ok(DataKey(key))
    }
}

/// The data key sealed under a password with its own salt: the form in which a backup carries
/// the key to its secrets. Defined with the backup format (it is part of the file).
pub use tt_core::backup_format::KeyWrap as PortableKeyWrap;

pub const PORTABLE_ALGORITHM: &str = tt_core::backup_format::KEY_WRAP_ALGORITHM;

/// Making and opening a key wrap needs the KDF and the data key, which live here (the wrap's
/// fields are defined with the format in `tt_core`).
pub trait KeyWrapCrypto: Sized {
    fn create(password: &str, key: &DataKey, costs: KdfParams) -> Result<Self, SecretError>;
    fn open(&self, password: &str) -> Result<DataKey, SecretError>;
}

impl KeyWrapCrypto for PortableKeyWrap {
    fn create(password: &str, key: &DataKey, costs: KdfParams) -> Result<Self, SecretError> {
        let salt = random_salt();
        let kek = derive_kek(password, &salt, costs)?;
        Ok(PortableKeyWrap {
            algorithm: PORTABLE_ALGORITHM.to_string(),
            memory_kib: costs.memory_kib,
            iterations: costs.iterations,
            parallelism: costs.parallelism,
            salt: STANDARD.encode(&salt),
            sealed_key: STANDARD.encode(key.wrap(&kek)),
            key_id: key.key_id(),
        })
    }

    /// Opens the wrap with a password. Parameters come from a file: they are bounded first.
    fn open(&self, password: &str) -> Result<DataKey, SecretError> {
        self.check().map_err(SecretError::BadParams)?;
        let params = KdfParams { memory_kib: self.memory_kib, iterations: self.iterations, parallelism: self.parallelism };
        let salt = STANDARD.decode(&self.salt).map_err(|_| SecretError::Malformed)?;
        let sealed = STANDARD.decode(&self.sealed_key).map_err(|_| SecretError::Malformed)?;
        let kek = derive_kek(password, &salt, params)?;
        let key = DataKey::unwrap(&kek, &sealed)?;
        if key.key_id() != self.key_id {
            return Err(SecretError::WrongKey);
        }
        Ok(key)
    }
}

/// Holds the unlocked data key in memory, and the server key file that unlocks it at start-up.
pub struct KeyStore {
    server_key_path: PathBuf,
    key: RwLock<Option<Arc<DataKey>>>,
}

impl KeyStore {
    pub fn new(server_key_path: PathBuf) -> Self {
        KeyStore { server_key_path, key: RwLock::new(None) }
    }

    pub fn server_key_path(&self) -> &std::path::Path {
        &self.server_key_path
    }

    /// The unlocked data key, or `Locked` before setup / when the server key is missing and
    /// nobody has logged in since.
    pub fn get(&self) -> Result<Arc<DataKey>, SecretError> {
        self.key.read().unwrap_or_else(|p| p.into_inner()).clone().ok_or(SecretError::Locked)
    }

    pub fn set(&self, key: DataKey) {
        *self.key.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(key));
    }

    pub fn is_unlocked(&self) -> bool {
        self.key.read().unwrap_or_else(|p| p.into_inner()).is_some()
    }

    pub fn seal(&self, purpose: &str, plaintext: &str) -> Result<String, SecretError> {
        Ok(self.get()?.seal(purpose, plaintext.as_bytes()))
    }

    pub fn open(&self, purpose: &str, sealed: &str) -> Result<Zeroizing<String>, SecretError> {
        self.get()?.open_string(purpose, sealed)
    }

    /// Reads the server key, creating it (32 random bytes, mode 0600) when absent. A file of the
    /// wrong size (truncated, or not a key) can never open anything: it is moved aside to
    /// `server.key.invalid-<unix time>` and replaced, so the instance behaves as after a lost
    /// key (locked until the next login, which seals the data key again).
    pub fn load_or_create_server_key(&self) -> Result<Zeroizing<[u8; 32]>, SecretError> {
        let path = &self.server_key_path;
        let fail = |reason: String| SecretError::ServerKey { path: path.display().to_string(), reason };
        match std::fs::read(path) {
            Ok(bytes) if bytes.len() == 32 => {
                let bytes = Zeroizing::new(bytes);
                let mut key = Zeroizing::new([0u8; 32]);
                key.copy_from_slice(&bytes);
                Ok(key)
            }
            Ok(bytes) => {
                drop(Zeroizing::new(bytes));
                let aside = path.with_extension(format!("key.invalid-{}", chrono::Utc::now().timestamp()));
                std::fs::rename(path, &aside).map_err(|e| fail(format!("it is not a 32-byte key and cannot be moved aside: {e}")))?;
                tracing::warn!("{} was not a 32-byte key; moved it to {} and created a new one", path.display(), aside.display());
                self.load_or_create_server_key()
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = Zeroizing::new([0u8; 32]);
                OsRng.fill_bytes(key.as_mut());
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
                }
                match write_private_file(path, key.as_ref()) {
                    Ok(()) => Ok(key),
                    // Another request (a second first-run set-up) wrote it first: use that one.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => self.load_or_create_server_key(),
                    Err(e) => Err(fail(e.to_string())),
                }
            }
            Err(e) => Err(fail(e.to_string())),
        }
    }
}

/// Writes a file readable by its owner only (created with mode 0600, never wider). It appears
/// whole or not at all: written under a temporary name, then linked to `path`, which fails with
/// AlreadyExists rather than replace a file another request put there first.
fn write_private_file(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let temp = path.with_extension(format!("key.tmp-{}-{:08x}", std::process::id(), OsRng.next_u32()));
    let written = (|| {
        let mut file = opts.open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::hard_link(&temp, path)
    })();
    let _ = std::fs::remove_file(&temp);
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_key_created_by_several_requests_at_once_is_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.key");
        let keys: Vec<[u8; 32]> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8).map(|_| s.spawn(|| *KeyStore::new(path.clone()).load_or_create_server_key().unwrap())).collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(keys.iter().all(|k| *k == keys[0]), "every caller got the key that is on disk");
        assert_eq!(std::fs::read(&path).unwrap(), keys[0]);
        let names: Vec<String> = std::fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        assert_eq!(names, vec!["server.key".to_string()], "no temporary file left");
    }

    #[test]
    fn seal_and_open_round_trip_with_fresh_nonces() {
        let key = DataKey::generate();
        let a = key.seal(purpose::TRACKER_API_TOKEN, b"secret-token");
        let b = key.seal(purpose::TRACKER_API_TOKEN, b"secret-token");
        assert_ne!(a, b, "each value gets its own nonce");
        assert!(a.starts_with(SEALED_PREFIX));
        assert!(!a.contains("secret-token"));
        assert_eq!(key.open_string(purpose::TRACKER_API_TOKEN, &a).unwrap().as_str(), "secret-token");
    }

    #[test]
    fn a_value_cannot_be_opened_for_another_column_or_key() {
        let key = DataKey::generate();
        let sealed = key.seal(purpose::TRACKER_API_TOKEN, b"x");
        assert!(matches!(key.open(purpose::CLIENT_PASSWORD, &sealed), Err(SecretError::Undecryptable)));
        assert!(matches!(DataKey::generate().open(purpose::TRACKER_API_TOKEN, &sealed), Err(SecretError::Undecryptable)));
        assert!(matches!(key.open(purpose::TRACKER_API_TOKEN, "plain"), Err(SecretError::Malformed)));
    }

    #[test]
    fn wrap_unwrap_and_wrong_kek() {
        let key = DataKey::generate();
        let kek = derive_kek("correct horse", b"0123456789abcdef", INSTANCE_KDF).unwrap();
        let blob = key.wrap(&kek);
        let back = DataKey::unwrap(&kek, &blob).unwrap();
        assert_eq!(back.key_id(), key.key_id());
        let other = derive_kek("wrong horse", b"0123456789abcdef", INSTANCE_KDF).unwrap();
        assert!(matches!(DataKey::unwrap(&other, &blob), Err(SecretError::WrongKey)));
    }

    #[test]
    fn portable_wrap_opens_with_the_password_only() {
        let key = DataKey::generate();
        let wrap = PortableKeyWrap::create("pass phrase one", &key, PORTABLE_KDF).unwrap();
        assert_eq!(wrap.open("pass phrase one").unwrap().key_id(), key.key_id());
        assert!(matches!(wrap.open("pass phrase two"), Err(SecretError::WrongKey)));
    }

    #[test]
    fn portable_wrap_refuses_absurd_parameters_before_deriving() {
        let key = DataKey::generate();
        let mut wrap = PortableKeyWrap::create("pw-pw-pw-pw", &key, PORTABLE_KDF).unwrap();
        wrap.memory_kib = 4 * 1024 * 1024;
        assert!(matches!(wrap.open("pw-pw-pw-pw"), Err(SecretError::BadParams(_))));
    }

    #[test]
    fn server_key_file_is_private_and_stable() {
        let dir = tempfile::tempdir().unwrap();
        let store = KeyStore::new(dir.path().join("server.key"));
        let a = store.load_or_create_server_key().unwrap();
        let b = store.load_or_create_server_key().unwrap();
        assert_eq!(a.as_ref(), b.as_ref());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("server.key")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
