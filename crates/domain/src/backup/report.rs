//! What a restore changes, worked out before anything changes: two-factor login, every setting
//! as "now → after", and the records per section and by name. Pure functions over what the check
//! read from the file and what the database holds now, so the dry run and the restore say the
//! same thing.

use super::tables;
use super::BackupError;
use crate::secrets::purpose;
use sqlx::SqlitePool;
use std::collections::BTreeMap;
use tt_core::backup_format::records::SettingsRecord;
use tt_core::backup_format::Section;
use tt_core::model::backup::{NamedRecord, SettingChange, TotpChoice, TotpFate, TotpReport};
use tt_core::model::settings::Frequency;

/// The sections whose records people know by name.
pub const NAMED: [Section; 4] = [Section::Trackers, Section::DownloadClients, Section::TagGroups, Section::NotificationTargets];

fn kind(section: Section) -> &'static str {
    match section {
        Section::Trackers => "Tracker",
        Section::DownloadClients => "Download client",
        Section::TagGroups => "Tag group",
        Section::NotificationTargets => "Notification target",
        other => other.label(),
    }
}

/// The instance as it is now: what the report compares the backup with.
pub struct Current {
    pub settings: SettingsRecord,
    pub counts: Vec<(Section, u64)>,
    pub names: Vec<(Section, String)>,
}

impl Current {
    pub fn count(&self, section: Section) -> u64 {
        self.counts.iter().find(|(s, _)| *s == section).map(|(_, n)| *n).unwrap_or(0)
    }
}

pub async fn current(db: &SqlitePool) -> Result<Current, BackupError> {
    let row = sqlx::query(&tables::select_sql(Section::Settings)).fetch_one(db).await?;
    let mut settings = match tables::decode(Section::Settings, &row)? {
        tt_core::backup_format::records::Record::Settings(s) => *s,
        _ => return Err(BackupError::Internal("the settings row decoded as another record".into())),
    };
    settings.locations = Some(super::locations::location::records(&mut *db.acquire().await?).await?);
    let mut counts = Vec::new();
    for s in Section::ALL {
        let (n,): (i64,) = sqlx::query_as(&tables::count_sql(s)).fetch_one(db).await?;
        counts.push((s, n.max(0) as u64));
    }
    let mut names = Vec::new();
    for s in NAMED {
        let rows: Vec<(String,)> = sqlx::query_as(&format!("SELECT name FROM {} ORDER BY id", tables::table(s))).fetch_all(db).await?;
        names.extend(rows.into_iter().map(|(n,)| (s, n)));
    }
    Ok(Current { settings, counts, names })
}

/// Records known by name that exist only on one side: (disappearing, appearing). Counted per
/// name, so one of two trackers with the same name disappearing is listed too.
pub fn name_changes(now: &[(Section, String)], after: &[(Section, String)]) -> (Vec<NamedRecord>, Vec<NamedRecord>) {
    let count = |list: &[(Section, String)]| {
        let mut m: BTreeMap<(Section, String), usize> = BTreeMap::new();
        for (s, n) in list {
            *m.entry((*s, n.clone())).or_default() += 1;
        }
        m
    };
    let (now, after) = (count(now), count(after));
    let extra = |a: &BTreeMap<(Section, String), usize>, b: &BTreeMap<(Section, String), usize>| -> Vec<NamedRecord> {
        a.iter()
            .flat_map(|((s, n), k)| {
                let more = k.saturating_sub(b.get(&(*s, n.clone())).copied().unwrap_or(0));
                std::iter::repeat_n(NamedRecord { section: s.key().into(), kind: kind(*s).into(), name: n.clone() }, more)
            })
            .collect()
    };
    (extra(&now, &after), extra(&after, &now))
}

fn on_off(b: bool) -> String {
    if b { "on" } else { "off" }.into()
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(|v| v.to_string()).unwrap_or_else(|| "not set".into())
}

/// A stored secret before and after, by what it opens to: "set", "not set", or "set (another one)".
fn secret_change(now: &Option<String>, after: &Option<String>, same: bool) -> (String, String) {
    match (now, after) {
        (Some(_), Some(_)) if !same => ("set".into(), "set (another one)".into()),
        (a, b) => (set_or_not(a), set_or_not(b)),
    }
}

fn set_or_not<T>(v: &Option<T>) -> String {
    if v.is_some() { "set" } else { "not set" }.into()
}

fn frequency(f: Frequency) -> String {
    match f {
        Frequency::Daily => "daily",
        Frequency::Weekly => "weekly (Mondays)",
        Frequency::Monthly => "monthly (the 1st)",
    }
    .into()
}

/// The calendar part of the storage path's retention, for people.
fn calendar(c: &Option<tt_core::model::settings::CalendarRetention>) -> String {
    match c {
        None => "off".into(),
        Some(c) => format!("one a day for {} days, one a week for {} weeks, one a month for {} months", c.daily, c.weekly, c.monthly),
    }
}

/// The backup locations for people: "Offsite: s3://bucket/tt at https://… (off)", one after another.
fn locations(list: &Option<Vec<tt_core::backup_format::records::LocationRecord>>) -> String {
    match list.as_deref() {
        None | Some([]) => "none".into(),
        Some(list) => list
            .iter()
            .map(|l| format!("{}: {}{}", l.settings.name, l.settings.target.describe(), if l.settings.enabled { "" } else { " (off)" }))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

/// Every setting whose value differs, in the order of the settings pages. Stored secrets are
/// compared by what they open to (`same_secret(purpose, now, after)`: their sealed forms differ
/// even for the same value). Two-factor login is not among them: its own report says it.
pub fn settings_changes(now: &SettingsRecord, after: &SettingsRecord, same_secret: impl Fn(&'static str, &str, &str) -> bool) -> Vec<SettingChange> {
    let (g0, g1) = (&now.general, &after.general);
    let (s0, s1) = (&now.security, &after.security);
    let (b0, b1) = (&now.backup, &after.backup);
    let retention = |d: &Option<i64>| d.map(|d| format!("{d} days")).unwrap_or_else(|| "forever".into());
    let same = |p: &'static str, a: &Option<String>, b: &Option<String>| match (a, b) {
        (Some(a), Some(b)) => same_secret(p, a, b),
        _ => true,
    };
    let backup_pw =
        secret_change(&now.backup_password, &after.backup_password, same(purpose::BACKUP_PASSWORD, &now.backup_password, &after.backup_password));
    let proxy_pw =
        secret_change(&now.proxy_password, &after.proxy_password, same(purpose::PROXY_PASSWORD, &now.proxy_password, &after.proxy_password));
    let rows: Vec<(&str, &str, String, String)> = vec![
        ("backup.schedule_enabled", "Scheduled backups", on_off(b0.schedule_enabled), on_off(b1.schedule_enabled)),
        ("backup.frequency", "Backup frequency", frequency(b0.frequency), frequency(b1.frequency)),
        ("backup.retention_count", "Backups to keep", b0.retention_count.to_string(), b1.retention_count.to_string()),
        ("backup.calendar", "Calendar retention", calendar(&b0.calendar), calendar(&b1.calendar)),
        ("backup.storage_path", "Backup storage path", opt(&b0.storage_path), opt(&b1.storage_path)),
        ("backup.encrypt", "Encrypt backups", on_off(b0.encrypt), on_off(b1.encrypt)),
        ("backup.password", "Backup password", backup_pw.0, backup_pw.1),
        ("backup.locations", "Backup locations", locations(&now.locations), locations(&after.locations)),
        (
            "security.session_timeout_minutes",
            "Session timeout (minutes)",
            s0.session_timeout_minutes.to_string(),
            s1.session_timeout_minutes.to_string(),
        ),
        ("security.lockout_threshold", "Failed attempts before lockout", s0.lockout_threshold.to_string(), s1.lockout_threshold.to_string()),
        ("security.lockout_minutes", "Lockout duration (minutes)", s0.lockout_minutes.to_string(), s1.lockout_minutes.to_string()),
        ("general.poll_interval_minutes", "Poll interval (minutes)", g0.poll_interval_minutes.to_string(), g1.poll_interval_minutes.to_string()),
        ("general.snapshot_retention_days", "Keep snapshots", retention(&g0.snapshot_retention_days), retention(&g1.snapshot_retention_days)),
        ("general.proxy_enabled", "Proxy", on_off(g0.proxy_enabled), on_off(g1.proxy_enabled)),
        ("general.proxy_type", "Proxy type", g0.proxy_type.clone(), g1.proxy_type.clone()),
        ("general.proxy_host", "Proxy host", opt(&g0.proxy_host), opt(&g1.proxy_host)),
        ("general.proxy_port", "Proxy port", opt(&g0.proxy_port), opt(&g1.proxy_port)),
        ("general.proxy_username", "Proxy username", opt(&g0.proxy_username), opt(&g1.proxy_username)),
        ("general.proxy_password", "Proxy password", proxy_pw.0, proxy_pw.1),
        ("general.notifications_enabled", "Notifications", on_off(g0.notifications_enabled), on_off(g1.notifications_enabled)),
        (
            "general.notify_ratio_drop_threshold",
            "Ratio drop threshold",
            g0.notify_ratio_drop_threshold.to_string(),
            g1.notify_ratio_drop_threshold.to_string(),
        ),
        (
            "general.notify_buffer_milestone_gib",
            "Buffer milestone (GiB)",
            g0.notify_buffer_milestone_gib.to_string(),
            g1.notify_buffer_milestone_gib.to_string(),
        ),
    ];
    rows.into_iter()
        .filter(|(_, _, a, b)| a != b)
        .map(|(key, label, now, after)| SettingChange { key: key.into(), label: label.into(), now, after })
        .collect()
}

/// Two-factor login as it is now and as the backup has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TotpSides {
    pub enabled_now: bool,
    pub enabled_in_backup: bool,
    /// The backup's secret opens here (with this instance's key, or the source password).
    pub carried: bool,
    /// The backup's secret is the one in use now.
    pub same_secret: bool,
    /// The backup's backup codes open here.
    pub codes_carried: bool,
}

impl TotpSides {
    /// What taking the backup's two-factor login does.
    pub fn fate_if_taken(&self) -> TotpFate {
        match (self.enabled_in_backup, self.carried, self.enabled_now) {
            (true, false, _) => TotpFate::TurnedOffNotCarried,
            (true, true, false) => TotpFate::TurnedOn,
            (true, true, true) if self.same_secret => TotpFate::Unchanged,
            (true, true, true) => TotpFate::Replaced,
            (false, _, true) => TotpFate::TurnedOff,
            (false, _, false) => TotpFate::Unchanged,
        }
    }

    pub fn fate(&self, choice: TotpChoice) -> TotpFate {
        match choice {
            TotpChoice::KeepCurrent => TotpFate::Unchanged,
            TotpChoice::TakeBackup => self.fate_if_taken(),
        }
    }

    pub fn report(&self, choice: TotpChoice, dry_run: bool) -> TotpReport {
        let fate = self.fate(choice);
        let other = match choice {
            TotpChoice::KeepCurrent => TotpChoice::TakeBackup,
            TotpChoice::TakeBackup => TotpChoice::KeepCurrent,
        };
        let (will, was) = if dry_run { ("will be", "will stay") } else { ("was", "stays") };
        let summary = match fate {
            TotpFate::Unchanged if self.enabled_now => {
                format!("Two-factor login {was} on with the authenticator you use now; the next login asks for its code as before.")
            }
            TotpFate::Unchanged => format!("Two-factor login {was} off."),
            TotpFate::TurnedOn => format!(
                "Two-factor login {will} turned on with the backup's secret: the next login needs a code from the authenticator of the instance the backup came from (or one of its backup codes)."
            ),
            TotpFate::Replaced => format!(
                "Two-factor login {will} switched to the backup's secret: the next login needs a code from the authenticator of the instance the backup came from (or one of its backup codes), not the one you use now."
            ),
            TotpFate::TurnedOff => format!("Two-factor login {will} turned off, as in the backup: the next login asks for the password only."),
            TotpFate::TurnedOffNotCarried => format!(
                "Two-factor login {will} off: the backup has it on, but its secret could not be carried over (it needs the login password of the instance the backup came from). Set it up again in Settings → Security after the restore."
            ),
        };
        let backup_codes = match fate {
            TotpFate::Unchanged if self.enabled_now => match choice {
                TotpChoice::TakeBackup => "Backup codes: stay as they are now (a code used since the backup was made stays used).".into(),
                TotpChoice::KeepCurrent => "Backup codes: stay as they are now.".into(),
            },
            TotpFate::Unchanged => "Backup codes: none (two-factor login is off).".into(),
            TotpFate::TurnedOn | TotpFate::Replaced if self.codes_carried => {
                "Backup codes: those of the backup, as they were when it was made (codes used since then on the other instance still work here once)."
                    .into()
            }
            TotpFate::TurnedOn | TotpFate::Replaced => {
                "Backup codes: none could be carried over — make new ones in Settings → Security after the next login.".into()
            }
            TotpFate::TurnedOff | TotpFate::TurnedOffNotCarried => "Backup codes: removed with two-factor login.".into(),
        };
        TotpReport {
            enabled_now: self.enabled_now,
            enabled_in_backup: self.enabled_in_backup,
            choice,
            fate,
            fate_other_choice: self.fate(other),
            summary,
            backup_codes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sides(now: bool, backup: bool, carried: bool, same: bool) -> TotpSides {
        TotpSides { enabled_now: now, enabled_in_backup: backup, carried, same_secret: same, codes_carried: carried }
    }

    #[test]
    fn every_two_factor_case_has_its_fate() {
        use TotpFate::*;
        let cases = [
            (sides(false, false, false, false), Unchanged),
            (sides(false, true, true, false), TurnedOn),
            (sides(false, true, false, false), TurnedOffNotCarried),
            (sides(true, true, true, true), Unchanged),
            (sides(true, true, true, false), Replaced),
            (sides(true, true, false, false), TurnedOffNotCarried),
            (sides(true, false, false, false), TurnedOff),
        ];
        for (s, taken) in cases {
            assert_eq!(s.fate(TotpChoice::TakeBackup), taken, "{s:?}");
            assert_eq!(s.fate(TotpChoice::KeepCurrent), Unchanged, "keeping never changes anything: {s:?}");
            let r = s.report(TotpChoice::KeepCurrent, true);
            assert_eq!((r.fate, r.fate_other_choice), (Unchanged, taken));
        }
        let r = sides(false, true, true, false).report(TotpChoice::TakeBackup, true);
        assert!(r.summary.contains("the next login needs a code from the authenticator of the instance the backup came from"), "{}", r.summary);
        assert!(r.fate.needs_backup_authenticator());
    }

    #[test]
    fn names_that_disappear_and_appear() {
        let now = vec![(Section::Trackers, "A".to_string()), (Section::Trackers, "B".to_string()), (Section::TagGroups, "G".to_string())];
        let after = vec![(Section::Trackers, "B".to_string()), (Section::Trackers, "C".to_string()), (Section::TagGroups, "G".to_string())];
        let (gone, new) = name_changes(&now, &after);
        assert_eq!(gone, vec![NamedRecord { section: "trackers".into(), kind: "Tracker".into(), name: "A".into() }]);
        assert_eq!(new, vec![NamedRecord { section: "trackers".into(), kind: "Tracker".into(), name: "C".into() }]);
        // Two of the same name now, one after: one disappears.
        let twice = vec![(Section::Trackers, "A".to_string()), (Section::Trackers, "A".to_string())];
        let (gone, new) = name_changes(&twice, &twice[..1]);
        assert_eq!((gone.len(), new.len()), (1, 0));
    }
}
