//! Runtime configuration the domain needs. The `tracker-tracker` binary fills it from the
//! environment (server/src/config.rs); tests build it directly.

use crate::secrets::KdfCosts;
use std::path::PathBuf;
use std::time::Duration;

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
    /// Timeouts, retries and part size of the uploads to backup locations: always
    /// `RemoteSettings::PRODUCTION` in the binary; tests choose shorter pauses.
    pub remote: RemoteSettings,
}

/// How the backup locations are talked to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteSettings {
    /// To open a connection.
    pub connect_timeout: Duration,
    /// For one request, its body included (a part of a multipart upload, a whole download).
    pub request_timeout: Duration,
    /// Retries of one request by the client after a fault that may pass (connection, 5xx).
    pub request_retries: usize,
    /// Uploads tried per location and run (the first included) before it is given up.
    pub upload_attempts: u32,
    /// The pause before the second attempt; it doubles for each one after.
    pub retry_pause: Duration,
    /// Bytes per part of an S3 multipart upload (S3's minimum is 5 MiB) and, below it, the size
    /// sent in one request; at most two parts are in memory at a time.
    pub part_size: usize,
}

impl RemoteSettings {
    pub const PRODUCTION: RemoteSettings = RemoteSettings {
        connect_timeout: Duration::from_secs(15),
        request_timeout: Duration::from_secs(30 * 60),
        request_retries: 3,
        upload_attempts: 3,
        retry_pause: Duration::from_secs(30),
        part_size: 8 * 1024 * 1024,
    };
    /// Short pauses and timeouts, the smallest parts S3 takes: for tests, which make servers go
    /// away on purpose. Never for a real instance (a short outage would fail its uploads).
    pub const QUICK: RemoteSettings = RemoteSettings {
        connect_timeout: Duration::from_secs(3),
        request_timeout: Duration::from_secs(120),
        request_retries: 0,
        upload_attempts: 3,
        retry_pause: Duration::from_millis(200),
        part_size: 5 * 1024 * 1024,
    };
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
            remote: RemoteSettings::PRODUCTION,
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
