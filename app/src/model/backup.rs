//! What the Backups page and the backup server functions exchange.

use crate::backup_format::Header;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Records restored (or that a dry run would restore) in one section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionCount {
    pub section: String,
    pub label: String,
    pub count: u64,
}

/// The answer of a restore or a dry run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreReport {
    pub dry_run: bool,
    pub header: Header,
    pub restored: Vec<SectionCount>,
    /// Secrets carried over (re-encrypted for this instance when they came from another).
    pub secrets_kept: u64,
    /// Secrets that could not be opened and were cleared.
    pub secrets_cleared: u64,
    /// One sentence per cleared secret: whose, and what to do.
    pub cleared: Vec<String>,
    /// Two-factor login was on in the backup but its secret could not be carried: it is off now.
    pub totp_disabled: bool,
    /// The backup was made with this instance's data key (same instance, secrets kept as they are).
    pub same_key: bool,
    /// The backup's instance URL differs from this instance's.
    pub instance_url_differs: bool,
    /// What will not work after the restore as it did where the backup was made (for example a
    /// storage path this server cannot write to), with what to do.
    pub warnings: Vec<String>,
    /// The backup of the data as it was before the restore (in the history): restoring it undoes
    /// this restore.
    pub pre_restore_backup: Option<PreRestoreBackup>,
}

/// The stored backup a restore saved first, so that it can be undone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreRestoreBackup {
    /// Its id in the backup history (restore it with `backup/history/restore`).
    pub id: i64,
    pub file_name: String,
    pub encrypted: bool,
}

/// A backup file in the storage directory that the history does not list (copied there by hand).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoundFile {
    pub file_name: String,
    pub size_bytes: i64,
    /// By its name (.ttbak); checked from its first bytes when it is added.
    pub encrypted: bool,
    pub modified_at: Option<DateTime<Utc>>,
}

/// One stored backup (Settings → Backups → History).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub id: i64,
    pub created_at: DateTime<Utc>,
    /// "scheduled" | "pre_restore" | "imported" (a file copied into the storage directory by hand)
    pub trigger: String,
    pub file_name: Option<String>,
    pub size_bytes: Option<i64>,
    pub encrypted: bool,
    pub sha256: Option<String>,
    /// "running" | "completed" | "failed"
    pub status: String,
    /// Why it failed.
    pub error: Option<String>,
    pub verified_at: Option<DateTime<Utc>>,
    /// "ok" | "failed"
    pub verify_status: Option<String>,
    pub verify_message: Option<String>,
    /// The file is still there to download, verify or restore.
    pub file_present: bool,
}

/// The outcome of verifying a stored backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyResult {
    pub ok: bool,
    pub message: String,
    pub checked_at: DateTime<Utc>,
}

/// Everything the Backups page shows at the top.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupOverview {
    pub settings: super::settings::BackupSettings,
    pub has_backup_password: bool,
    /// When the next scheduled backup runs (None when the schedule is off).
    pub next_run: Option<DateTime<Utc>>,
    /// The same, as local time on the server with its zone, for display.
    pub next_run_local: Option<String>,
    /// This instance's public URL (TT_BASE_URL), to compare with a backup's.
    pub instance_url: Option<String>,
    /// Largest upload restore accepts, in bytes.
    pub upload_limit_bytes: u64,
    /// The newest scheduled run failed, and why (shown prominently).
    pub last_failure: Option<String>,
}

/// Saving Settings → Backups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupSettingsInput {
    pub settings: super::settings::BackupSettings,
    #[serde(default)]
    pub backup_password: super::SecretUpdate,
}

/// A backup password must be at least this long.
pub const BACKUP_PASSWORD_MIN_LEN: usize = 8;

impl BackupSettingsInput {
    /// Field rules; `stored_password` tells whether a backup password is stored now.
    pub fn validate(&self, stored_password: bool) -> crate::validate::Checked<super::settings::BackupSettings> {
        if let Some(pw) = self.backup_password.new_value() {
            if pw.chars().count() < BACKUP_PASSWORD_MIN_LEN {
                return Err(crate::validate::invalid(
                    "backup_password",
                    format!("Use at least {BACKUP_PASSWORD_MIN_LEN} characters for the backup password."),
                ));
            }
        }
        let will_have = self.backup_password.new_value().is_some() || (stored_password && !self.backup_password.clear);
        self.settings.validate(will_have)
    }
}
