//! Tracker Tracker's shared core: what the server and the browser both run, without Leptos.
//!
//! - `model`: the types shared by pages, server functions, the store and the backup format, each
//!   configuration type with its `validate()`.
//! - `validate`: the field rules (`text`, `http_url`, …).
//! - `backup_format`: the plain backup format (reader, writer, checker, preview) and the
//!   encrypted container re-exported from the `ttbak` crate.
//! - `rules`: what the Backups page and the server both check (backup-password minimum,
//!   instance-URL comparison, upload-limit advice), once.
//! - `secret_purpose`: the associated-data labels of sealed columns.
#![forbid(unsafe_code)]

pub mod backup_format;
pub mod model;
pub mod rules;
pub mod validate;

/// The associated-data labels of sealed columns. They are part of the backup format (a value is
/// opened with the label it was sealed with), so they live where both builds can see them.
pub mod secret_purpose {
    pub const TRACKER_API_TOKEN: &str = "trackers.api_token";
    pub const CLIENT_USERNAME: &str = "download_clients.username";
    pub const CLIENT_PASSWORD: &str = "download_clients.password";
    pub const PROXY_PASSWORD: &str = "app_settings.proxy_password";
    pub const NOTIFICATION_CONFIG: &str = "notification_targets.config";
    pub const TOTP_SECRET: &str = "app_settings.totp_secret";
    pub const TOTP_PENDING_SECRET: &str = "app_settings.totp_pending_secret";
    pub const TOTP_BACKUP_CODES: &str = "app_settings.totp_backup_codes";
    pub const BACKUP_PASSWORD: &str = "app_settings.backup_password";
    /// A backup location's S3 secret key or WebDAV password.
    pub const LOCATION_SECRET: &str = "backup_locations.secret";
}
