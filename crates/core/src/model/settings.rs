//! Settings → General and Settings → Backups.

pub use super::backup_kinds::Frequency;
use super::SecretUpdate;
use crate::validate::{self, Checked};
use serde::{Deserialize, Serialize};

pub const PROXY_TYPES: [&str; 2] = ["socks5", "http"];

/// Poll interval, snapshot retention, proxy, notification defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneralSettings {
    pub poll_interval_minutes: i64,
    /// None = keep snapshots forever.
    pub snapshot_retention_days: Option<i64>,
    pub proxy_enabled: bool,
    pub proxy_type: String,
    pub proxy_host: Option<String>,
    pub proxy_port: Option<i64>,
    pub proxy_username: Option<String>,
    pub notifications_enabled: bool,
    pub notify_ratio_drop_threshold: f64,
    pub notify_buffer_milestone_gib: i64,
}

impl GeneralSettings {
    pub fn validate(&self) -> Checked<GeneralSettings> {
        let proxy_host = validate::optional_text("proxy_host", "Proxy host", self.proxy_host.as_deref(), 253)?;
        let proxy_port = match self.proxy_port {
            Some(p) => Some(validate::port("proxy_port", "Proxy port", p)?),
            None => None,
        };
        if self.proxy_enabled && (proxy_host.is_none() || proxy_port.is_none()) {
            return Err(validate::invalid("proxy_host", "To use a proxy, give its host and port."));
        }
        Ok(GeneralSettings {
            poll_interval_minutes: validate::int_range("poll_interval_minutes", "Poll interval (minutes)", self.poll_interval_minutes, 5, 1_440)?,
            snapshot_retention_days: match self.snapshot_retention_days {
                Some(d) => Some(validate::int_range("snapshot_retention_days", "Snapshot retention (days)", d, 1, 36_500)?),
                None => None,
            },
            proxy_enabled: self.proxy_enabled,
            proxy_type: validate::one_of("proxy_type", "Proxy type", &self.proxy_type, &PROXY_TYPES)?,
            proxy_host,
            proxy_port,
            proxy_username: validate::optional_text("proxy_username", "Proxy username", self.proxy_username.as_deref(), 200)?,
            notifications_enabled: self.notifications_enabled,
            notify_ratio_drop_threshold: validate::non_negative_f64(
                "notify_ratio_drop_threshold",
                "Ratio drop threshold",
                self.notify_ratio_drop_threshold,
            )?,
            notify_buffer_milestone_gib: validate::int_range(
                "notify_buffer_milestone_gib",
                "Buffer milestone (GiB)",
                self.notify_buffer_milestone_gib,
                1,
                1_000_000,
            )?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneralSettingsView {
    pub settings: GeneralSettings,
    pub has_proxy_password: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneralSettingsInput {
    pub settings: GeneralSettings,
    #[serde(default)]
    pub proxy_password: SecretUpdate,
}

/// The backup settings (Settings → Backups).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupSettings {
    pub schedule_enabled: bool,
    /// "daily" | "weekly" | "monthly" (an unknown value does not decode)
    pub frequency: Frequency,
    pub retention_count: i64,
    pub encrypt: bool,
    /// Absolute directory on the server.
    pub storage_path: Option<String>,
    /// The calendar policy for the storage path: besides the last `retention_count`, the newest
    /// backup of each of so many days, ISO weeks and months. None: keep the last
    /// `retention_count` only. (Absent in backups made before it existed.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<CalendarRetention>,
}

/// The calendar part of a retention policy (the "last N" is the count beside it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarRetention {
    pub daily: i64,
    pub weekly: i64,
    pub monthly: i64,
}

impl Default for BackupSettings {
    fn default() -> Self {
        BackupSettings {
            schedule_enabled: false,
            frequency: Frequency::Daily,
            retention_count: 14,
            encrypt: false,
            storage_path: None,
            calendar: None,
        }
    }
}

impl BackupSettings {
    /// Field rules (the server also checks the directory itself when saving).
    pub fn validate(&self, has_backup_password: bool) -> Checked<BackupSettings> {
        let storage_path = validate::optional_text("storage_path", "Storage path", self.storage_path.as_deref(), 4096)?;
        if let Some(p) = &storage_path {
            if !p.starts_with('/') {
                return Err(validate::invalid(
                    "storage_path",
                    "The storage path must be an absolute directory on the server, like /srv/backups/tracker-tracker.",
                ));
            }
            if p.split('/').any(|part| part == "..") {
                return Err(validate::invalid("storage_path", "The storage path may not contain \"..\"."));
            }
        }
        if self.schedule_enabled && storage_path.is_none() {
            return Err(validate::invalid("storage_path", "Scheduled backups need a storage path: set the directory where they are written."));
        }
        if self.encrypt && !has_backup_password {
            return Err(validate::invalid("backup_password", "Encrypted backups need a backup password: set one, or turn encryption off."));
        }
        let retention_count = validate::int_range("retention_count", "Retention count", self.retention_count, 1, 365)?;
        let calendar = match self.calendar {
            None => None,
            Some(c) => {
                let policy =
                    super::locations::RetentionPolicy::Calendar { last: retention_count, daily: c.daily, weekly: c.weekly, monthly: c.monthly };
                match policy.validate()? {
                    super::locations::RetentionPolicy::Calendar { daily, weekly, monthly, .. } => Some(CalendarRetention { daily, weekly, monthly }),
                    super::locations::RetentionPolicy::KeepLast { .. } => None,
                }
            }
        };
        Ok(BackupSettings {
            schedule_enabled: self.schedule_enabled,
            frequency: self.frequency,
            retention_count,
            encrypt: self.encrypt,
            storage_path,
            calendar,
        })
    }

    /// The storage path's retention policy.
    pub fn policy(&self) -> super::locations::RetentionPolicy {
        match self.calendar {
            None => super::locations::RetentionPolicy::KeepLast { count: self.retention_count },
            Some(c) => {
                super::locations::RetentionPolicy::Calendar { last: self.retention_count, daily: c.daily, weekly: c.weekly, monthly: c.monthly }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_settings_rules() {
        let d = BackupSettings::default();
        assert!(d.validate(false).is_ok());
        assert_eq!(BackupSettings { schedule_enabled: true, ..d.clone() }.validate(false).unwrap_err().field, "storage_path");
        assert_eq!(BackupSettings { encrypt: true, ..d.clone() }.validate(false).unwrap_err().field, "backup_password");
        assert!(BackupSettings { encrypt: true, ..d.clone() }.validate(true).is_ok());
        assert_eq!(BackupSettings { retention_count: 0, ..d.clone() }.validate(false).unwrap_err().field, "retention_count");
        assert_eq!(BackupSettings { retention_count: 366, ..d.clone() }.validate(false).unwrap_err().field, "retention_count");
        assert_eq!(BackupSettings { storage_path: Some("relative/dir".into()), ..d.clone() }.validate(false).unwrap_err().field, "storage_path");
        assert_eq!(BackupSettings { storage_path: Some("/srv/../etc".into()), ..d.clone() }.validate(false).unwrap_err().field, "storage_path");
        let cal = |daily, weekly, monthly| BackupSettings { calendar: Some(CalendarRetention { daily, weekly, monthly }), ..d.clone() };
        assert_eq!(
            cal(7, 4, 12).validate(false).unwrap().policy(),
            super::super::locations::RetentionPolicy::Calendar { last: 14, daily: 7, weekly: 4, monthly: 12 }
        );
        assert_eq!(cal(400, 0, 0).validate(false).unwrap_err().field, "retention.daily");
        assert_eq!(d.policy(), super::super::locations::RetentionPolicy::KeepLast { count: 14 });
        // Absent in older files, and not written when off.
        let old: BackupSettings =
            serde_json::from_str(r#"{"schedule_enabled":false,"frequency":"daily","retention_count":3,"encrypt":false,"storage_path":null}"#)
                .unwrap();
        assert_eq!(old.calendar, None);
        assert!(!serde_json::to_string(&old).unwrap().contains("calendar"));
    }
}
