//! What the Backups page and the backup server functions exchange.

pub use super::backup_kinds::{MadeBy, RunStatus, Trigger, VerifyStatus};
use crate::backup_format::Header;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Records restored (or that a dry run would restore) in one section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionCount {
    pub section: String,
    pub label: String,
    /// Records in the backup: what the section holds after the restore.
    pub count: u64,
    /// Records in the section now, before the restore.
    pub now: u64,
}

/// What the person chooses for two-factor login when a restore would change it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TotpChoice {
    /// Two-factor login stays exactly as it is now (secret, backup codes, on/off). The default:
    /// the person can log in after the restore as before it.
    #[default]
    KeepCurrent,
    /// Take the backup's two-factor login (its secret and backup codes, or "off").
    TakeBackup,
}

impl TotpChoice {
    pub fn key(self) -> &'static str {
        match self {
            TotpChoice::KeepCurrent => "keep_current",
            TotpChoice::TakeBackup => "take_backup",
        }
    }

    pub fn from_key(key: &str) -> Option<TotpChoice> {
        [TotpChoice::KeepCurrent, TotpChoice::TakeBackup].into_iter().find(|c| c.key() == key)
    }
}

/// What a restore does to two-factor login.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TotpFate {
    /// Stays as it is now (on with the same secret, or off).
    Unchanged,
    /// Off now; turned on with the backup's secret.
    TurnedOn,
    /// On now; replaced by the backup's (another) secret.
    Replaced,
    /// On now; turned off because the backup has it off.
    TurnedOff,
    /// The backup has it on but its secret cannot be opened here: off after the restore.
    TurnedOffNotCarried,
}

impl TotpFate {
    /// The next login needs an authenticator (or backup code) other than the one in use now.
    pub fn needs_backup_authenticator(self) -> bool {
        matches!(self, TotpFate::TurnedOn | TotpFate::Replaced)
    }
}

/// Two-factor login before and after the restore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpReport {
    pub enabled_now: bool,
    pub enabled_in_backup: bool,
    /// The choice this report was made with.
    pub choice: TotpChoice,
    /// What this restore does, with that choice.
    pub fate: TotpFate,
    /// What it would do with the other choice (the page offers it when it differs).
    pub fate_other_choice: TotpFate,
    /// The fate in one sentence, for people.
    pub summary: String,
    /// What happens to the backup codes, for people.
    pub backup_codes: String,
}

/// One setting that the restore changes: its value now and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingChange {
    /// Stable name, e.g. "backup.schedule_enabled".
    pub key: String,
    /// For people, e.g. "Scheduled backups".
    pub label: String,
    pub now: String,
    pub after: String,
}

/// A named record (tracker, download client, tag group, notification target) that exists now
/// but not in the backup, or the other way round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedRecord {
    /// The section key, e.g. "trackers".
    pub section: String,
    /// Singular, for people, e.g. "Tracker".
    pub kind: String,
    pub name: String,
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
    /// (Kept for existing callers: `totp` says everything.)
    pub totp_disabled: bool,
    /// Two-factor login now and after, with the choice made.
    pub totp: TotpReport,
    /// Every setting whose value differs after the restore, as "now → after".
    pub settings_changes: Vec<SettingChange>,
    /// Named records that exist now and are not in the backup: they disappear.
    pub disappearing: Vec<NamedRecord>,
    /// Named records in the backup that do not exist now (by name): they appear.
    pub appearing: Vec<NamedRecord>,
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
    /// Set when the file was made by the original Tracker Tracker (the Node.js app): what of it
    /// is carried, skipped or has no home here (docs/import-original.md). `header` then holds
    /// the original's version, date and instance URL, and `restored` the converted counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original: Option<OriginalReport>,
}

/// What an import of an original Tracker Tracker backup does with the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OriginalReport {
    /// `manifest.appVersion`, e.g. "2.8.9".
    pub app_version: Option<String>,
    pub created_at: DateTime<Utc>,
    pub instance_url: Option<String>,
    /// The file was the original's encrypted `.ttbak`.
    pub encrypted: bool,
    /// Per section of the original's file, in its order.
    pub sections: Vec<OriginalSection>,
    /// Records left out, grouped by section and reason.
    pub skipped: Vec<SkippedRecords>,
    /// Where `manifest.counts` differs from what the file holds (the original never compares them;
    /// the counts above are the real ones).
    pub count_mismatches: Vec<OriginalCountMismatch>,
    pub secrets: OriginalSecrets,
    /// What happens to the original's two-factor login and its backup codes, for people.
    pub totp: String,
    /// Every field of the original with no home here (known ones and ones the reader did not
    /// know), with how many records had a value in it and what happens to it.
    pub not_carried: Vec<FieldNotCarried>,
    /// Top-level members the reader does not know: skipped.
    pub unknown_top_level_keys: Vec<String>,
    /// Values changed to fit this app's rules, one sentence each.
    pub adjusted: Vec<String>,
    /// Differences in behaviour between the original and this app that matter after the import.
    pub behaviour: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OriginalSection {
    /// The original's JSON key, e.g. "trackerSnapshots".
    pub section: String,
    /// This app's section key it fills ("tracker_snapshots"); None when it has no home here.
    pub here: Option<String>,
    pub in_file: u64,
    pub carried: u64,
    pub skipped: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedRecords {
    pub section: String,
    /// Why, for people (e.g. "its tracker (trackerId) is not in the backup").
    pub reason: String,
    pub count: u64,
    /// The original ids of the first records skipped (at most [`SKIPPED_IDS_LISTED`]).
    pub ids: Vec<i64>,
}

/// How many skipped ids a report lists per section and reason.
pub const SKIPPED_IDS_LISTED: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OriginalCountMismatch {
    pub section: String,
    /// What the manifest says (None: it has no such key).
    pub manifest: Option<u64>,
    /// What the file holds (None: no such section).
    pub actual: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OriginalSecrets {
    /// Which password opened the original's secrets: "current_password", "source_password",
    /// "none" (none given opened them: every secret is cleared), or "no_secrets" (the file has
    /// none to open).
    pub opened_with: String,
    /// Secrets that opened and are carried (re-sealed under this instance's key).
    pub carried: u64,
    /// Secrets that could not be carried (no password, or damaged): cleared, owners disabled.
    pub cleared: u64,
    /// Secrets that were already empty in the file (cleared by an earlier restore of the original).
    pub empty_in_file: u64,
    /// Secrets of fields with no home here (image-host keys, Slack and email targets; TOTP
    /// backup codes without a TOTP secret): not carried.
    pub not_carried: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldNotCarried {
    pub section: String,
    /// The original's JSON name (nested ones as `thresholds.x`).
    pub field: String,
    /// Records that had a value in it (0: present in the format, nothing lost in this file).
    pub records: u64,
    /// What happens to it, for people.
    pub fate: String,
    /// The reader did not know this field (a newer original, or a hand-edited file).
    pub unknown: bool,
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
    /// This app's files: by the name (.ttbak), checked when it is added. The original's: by its
    /// first bytes.
    pub encrypted: bool,
    pub modified_at: Option<DateTime<Utc>>,
    /// Which app wrote it (by its name; the original's are read from their first bytes).
    #[serde(default)]
    pub made_by: MadeBy,
    /// When the backup was made: this app's from its name; the original's from its `createdAt`
    /// (plain: the manifest's; encrypted: the envelope's). None when it cannot be told.
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
}

/// One stored backup (Settings → Backups → History).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub id: i64,
    pub created_at: DateTime<Utc>,
    /// "scheduled" | "manual" ("Run a scheduled backup now") | "pre_restore" | "imported" (a file
    /// copied into the storage directory by hand)
    pub trigger: Trigger,
    pub file_name: Option<String>,
    /// The directory on the server that holds the file (as recorded when it was written or added).
    #[serde(default)]
    pub directory: Option<String>,
    pub size_bytes: Option<i64>,
    pub encrypted: bool,
    pub sha256: Option<String>,
    /// "running" | "completed" | "failed"
    pub status: RunStatus,
    /// Why it failed.
    pub error: Option<String>,
    pub verified_at: Option<DateTime<Utc>>,
    /// "ok" | "failed"
    pub verify_status: Option<VerifyStatus>,
    pub verify_message: Option<String>,
    /// The file is still there to download, verify or restore.
    pub file_present: bool,
    /// Which app wrote the file (the original's are restored through the import).
    #[serde(default)]
    pub made_by: MadeBy,
    /// Retention never deletes it (locally nor its copies in the locations).
    #[serde(default)]
    pub pinned: bool,
    /// Its copy in each backup location it was sent to (uploaded and verified, failed with the
    /// reason, retrying).
    #[serde(default)]
    pub copies: Vec<super::locations::RemoteCopy>,
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
    /// The newest scheduled or manual run failed, and why (shown prominently).
    pub last_failure: Option<String>,
}

/// Saving Settings → Backups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupSettingsInput {
    pub settings: super::settings::BackupSettings,
    #[serde(default)]
    pub backup_password: super::SecretUpdate,
}

pub use crate::rules::BACKUP_PASSWORD_MIN_LEN;

impl BackupSettingsInput {
    /// Field rules; `stored_password` tells whether a backup password is stored now.
    pub fn validate(&self, stored_password: bool) -> crate::validate::Checked<super::settings::BackupSettings> {
        if let Some(pw) = self.backup_password.new_value() {
            crate::rules::check_backup_password(pw, crate::rules::PasswordName::Backup)
                .map_err(|e| crate::validate::invalid("backup_password", e.to_string()))?;
        }
        let will_have = self.backup_password.new_value().is_some() || (stored_password && !self.backup_password.clear);
        self.settings.validate(will_have)
    }
}
