//! App settings: one row. Each area reads and writes its own columns through its own module,
//! with validation; secrets in it are sealed.

pub mod general;
pub mod security;

use super::store::Db;

/// The whole settings row as stored (secrets still sealed).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SettingsRow {
    pub poll_interval_minutes: i64,
    pub snapshot_retention_days: Option<i64>,
    pub proxy_enabled: bool,
    pub proxy_type: String,
    pub proxy_host: Option<String>,
    pub proxy_port: Option<i64>,
    pub proxy_username: Option<String>,
    pub proxy_password_enc: Option<String>,
    pub notifications_enabled: bool,
    pub notify_ratio_drop_threshold: f64,
    pub notify_buffer_milestone_gib: i64,
    pub session_timeout_minutes: i64,
    pub lockout_threshold: i64,
    pub lockout_minutes: i64,
    pub totp_enabled: bool,
    pub totp_secret_enc: Option<String>,
    pub totp_backup_codes_enc: Option<String>,
    pub totp_pending_secret_enc: Option<String>,
    pub totp_last_step: Option<i64>,
    pub backup_schedule_enabled: bool,
    /// Decoded from its TEXT: an unknown value fails the load, it is not taken for another.
    pub backup_frequency: tt_core::model::settings::Frequency,
    pub backup_retention_count: i64,
    pub backup_encrypt: bool,
    pub backup_password_enc: Option<String>,
    pub backup_storage_path: Option<String>,
    /// JSON of the calendar retention (`CalendarRetention`), NULL when off.
    pub backup_retention_calendar: Option<String>,
    pub updated_at: String,
}

pub async fn load(db: &Db) -> Result<SettingsRow, sqlx::Error> {
    sqlx::query_as::<_, SettingsRow>("SELECT * FROM app_settings WHERE id = 1").fetch_one(db).await
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error(transparent)]
    Invalid(#[from] tt_core::validate::Invalid),
    #[error(transparent)]
    Secret(#[from] super::secrets::SecretError),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}
