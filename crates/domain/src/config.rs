//! Runtime configuration the domain needs. The `tracker-tracker` binary fills it from the
//! environment (server/src/config.rs); tests build it directly.

use crate::secrets::KdfCosts;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Config {
    /// Where the database (by default), the server key and pre-restore backups live.
    pub data_dir: PathBuf,
    /// Public URL of this instance, written into backup headers; None when not configured.
    pub base_url: Option<String>,
    /// Largest backup upload accepted by restore, in bytes.
    pub upload_limit_bytes: u64,
    /// Send the session cookie with the `Secure` attribute (when served over https).
    pub secure_cookies: bool,
    /// Argon2id costs for new key material: always `PRODUCTION` in the binary; tests may choose
    /// `KdfCosts::CHEAP` (see there).
    pub kdf: KdfCosts,
}

impl Config {
    pub const DEFAULT_UPLOAD_LIMIT: u64 = 1024 * 1024 * 1024;

    pub fn for_data_dir(data_dir: impl Into<PathBuf>) -> Self {
        Config {
            data_dir: data_dir.into(),
            base_url: None,
            upload_limit_bytes: Self::DEFAULT_UPLOAD_LIMIT,
            secure_cookies: false,
            kdf: KdfCosts::PRODUCTION,
        }
    }

    pub fn server_key_path(&self) -> PathBuf {
        self.data_dir.join("server.key")
    }

    /// Scratch space for uploads being received (same filesystem as the data dir).
    pub fn upload_dir(&self) -> PathBuf {
        self.data_dir.join("uploads")
    }
}
