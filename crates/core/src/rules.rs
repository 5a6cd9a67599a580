//! Rules the Backups page and the server both apply. Each lives here once, so the check the page
//! makes before sending and the one the server makes on receipt cannot drift apart.

use crate::model::human_bytes;

/// A backup password must be at least this long (in characters, not bytes).
pub const BACKUP_PASSWORD_MIN_LEN: usize = 8;

/// How the refusal names the password: the page's one-off field says which one it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordName {
    /// "the backup password": the stored one, and the export API's `password` field.
    Backup,
    /// "the one-off backup password": the export form's field on the page.
    OneOffBackup,
}

impl PasswordName {
    fn words(self) -> &'static str {
        match self {
            PasswordName::Backup => "backup password",
            PasswordName::OneOffBackup => "one-off backup password",
        }
    }
}

/// A backup password shorter than [`BACKUP_PASSWORD_MIN_LEN`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("Use at least {BACKUP_PASSWORD_MIN_LEN} characters for the {}.", name.words())]
pub struct BackupPasswordTooShort {
    pub name: PasswordName,
}

/// Checks a backup password that is about to be used. An empty one is the caller's to handle
/// (it means "none" or "the stored one" depending on the form), so it is not special here.
pub fn check_backup_password(password: &str, name: PasswordName) -> Result<(), BackupPasswordTooShort> {
    if password.chars().count() < BACKUP_PASSWORD_MIN_LEN {
        return Err(BackupPasswordTooShort { name });
    }
    Ok(())
}

/// Whether two instance URLs (a backup's header and this instance's TT_BASE_URL) differ, as the
/// restore report says. Trailing slashes do not count: "https://a/" and "https://a" are one.
/// A URL recorded on one side only differs from none.
pub fn instance_urls_differ(backup: Option<&str>, ours: Option<&str>) -> bool {
    backup.map(|u| u.trim_end_matches('/')) != ours.map(|u| u.trim_end_matches('/'))
}

/// Whether the page warns that a backup comes from another instance: only when the backup
/// records its URL (one that records none is not said to come from elsewhere) and it differs.
pub fn from_another_instance(backup: Option<&str>, ours: Option<&str>) -> bool {
    backup.is_some() && instance_urls_differ(backup, ours)
}

/// Whether an upload of `size` bytes is refused under a limit of `limit` bytes.
pub fn over_upload_limit(size: u64, limit: u64) -> bool {
    size > limit
}

/// A file larger than the upload limit, and what to do instead: put it in the storage directory,
/// where the page lists it under "Found in the storage directory".
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TooLargeForUpload {
    /// Told by the page, which knows the file's size before sending it.
    #[error(
        "This file is {}, larger than the upload limit of {}. Copy it into the backup storage directory on the server (keeping its name): it then appears on this page under “Found in the storage directory”, to be checked, added and restored from there.",
        human(*size),
        human(*limit)
    )]
    File { size: u64, limit: u64 },
    /// Told by the server, which stops reading at the limit and so never learns the whole size.
    #[error(
        "The backup is larger than the upload limit of {}. Copy it into the backup storage directory on the server (keeping its name), add it under “Found in the storage directory” on the Backups page, and restore it from there.",
        human(*limit)
    )]
    Upload { limit: u64 },
}

/// Byte counts above i64::MAX (not a real file) are shown as i64::MAX rather than wrapping.
fn human(bytes: u64) -> String {
    human_bytes(i64::try_from(bytes).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_password_minimum_counts_characters_not_bytes() {
        assert_eq!(check_backup_password("1234567", PasswordName::Backup), Err(BackupPasswordTooShort { name: PasswordName::Backup }));
        assert_eq!(check_backup_password("12345678", PasswordName::Backup), Ok(()));
        // Seven characters of two bytes each: 14 bytes, still too short.
        assert!(check_backup_password(&"é".repeat(7), PasswordName::Backup).is_err());
        assert!(check_backup_password(&"é".repeat(8), PasswordName::Backup).is_ok());
        assert!(check_backup_password("", PasswordName::Backup).is_err());
    }

    #[test]
    fn backup_password_messages_name_the_field() {
        let stored = check_backup_password("short", PasswordName::Backup).unwrap_err();
        assert_eq!(stored.to_string(), "Use at least 8 characters for the backup password.");
        let one_off = check_backup_password("short", PasswordName::OneOffBackup).unwrap_err();
        assert_eq!(one_off.to_string(), "Use at least 8 characters for the one-off backup password.");
    }

    #[test]
    fn instance_urls_compare_without_trailing_slashes() {
        assert!(!instance_urls_differ(Some("https://tt.example/"), Some("https://tt.example")));
        assert!(!instance_urls_differ(Some("https://tt.example//"), Some("https://tt.example/")));
        assert!(instance_urls_differ(Some("https://other.example"), Some("https://tt.example")));
        assert!(!instance_urls_differ(None, None));
        assert!(instance_urls_differ(None, Some("https://tt.example")));
        assert!(instance_urls_differ(Some("https://tt.example"), None));
    }

    #[test]
    fn the_page_warns_only_about_a_recorded_url() {
        assert!(!from_another_instance(None, Some("https://tt.example")));
        assert!(!from_another_instance(Some("https://tt.example/"), Some("https://tt.example")));
        assert!(from_another_instance(Some("https://other.example"), Some("https://tt.example")));
        assert!(from_another_instance(Some("https://other.example"), None));
    }

    #[test]
    fn the_upload_limit_is_inclusive() {
        assert!(!over_upload_limit(1024, 1024));
        assert!(over_upload_limit(1025, 1024));
        assert!(!over_upload_limit(0, 0));
    }

    #[test]
    fn too_large_sentences() {
        let page = TooLargeForUpload::File { size: 3 << 30, limit: 1 << 30 }.to_string();
        assert_eq!(
            page,
            "This file is 3.00 GiB, larger than the upload limit of 1.00 GiB. Copy it into the backup storage directory on the server (keeping its name): it then appears on this page under “Found in the storage directory”, to be checked, added and restored from there."
        );
        let server = TooLargeForUpload::Upload { limit: 512 << 20 }.to_string();
        assert_eq!(
            server,
            "The backup is larger than the upload limit of 512.00 MiB. Copy it into the backup storage directory on the server (keeping its name), add it under “Found in the storage directory” on the Backups page, and restore it from there."
        );
        assert!(TooLargeForUpload::Upload { limit: u64::MAX }.to_string().contains("8.00 EiB"));
    }
}
