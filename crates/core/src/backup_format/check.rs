//! Complete validation of a backup's contents, record by record, as the reader streams them:
//! the same field rules as the forms, ascending (hence unique) ids, every reference resolved,
//! counts equal to the header's. Used by restore (before anything changes), by verify and by
//! `tracker-tracker backup inspect`. Memory holds only the ids of parent tables.

use super::plain::Item;
use super::records::*;
use super::{Counts, FormatError, Header, KeyWrap, Section};
use crate::model::settings::BackupSettings;
use crate::validate::Invalid;
use std::collections::{HashMap, HashSet};

/// A sealed value found in the file, and whose it is (for the restore report).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretRef {
    pub section: Section,
    /// None for settings.
    pub owner_id: Option<i64>,
    pub owner_name: String,
    /// Column purpose (the associated data it was sealed with).
    pub purpose: &'static str,
    /// The sealed value itself (owners' secrets only: a few dozen, never per-snapshot data).
    pub sealed: String,
}

#[derive(Debug, Default)]
pub struct Checker {
    header: Option<Header>,
    key_wrap: Option<KeyWrap>,
    counts: Counts,
    last_id: HashMap<Section, i64>,
    trackers: HashSet<i64>,
    clients: HashSet<i64>,
    groups: HashSet<i64>,
    member_tags: HashSet<(i64, String)>,
    alert_keys: HashSet<String>,
    secrets: Vec<SecretRef>,
    totp_enabled: bool,
    settings: Option<SettingsRecord>,
    names: Vec<(Section, String)>,
}

/// What a complete check learned.
#[derive(Debug, Clone)]
pub struct Checked {
    pub header: Header,
    pub key_wrap: Option<KeyWrap>,
    pub counts: Counts,
    pub secrets: Vec<SecretRef>,
    pub totp_enabled: bool,
    /// The settings the restore will bring (as in the file: sealed values not yet translated).
    pub settings: Option<SettingsRecord>,
    /// The names of the trackers, download clients, tag groups and notification targets (a few
    /// dozen: what the restore report compares with the current ones).
    pub names: Vec<(Section, String)>,
}

impl Checked {
    /// The backup settings the restore will bring (their storage path may not suit this server).
    pub fn backup_settings(&self) -> Option<&BackupSettings> {
        self.settings.as_ref().map(|s| &s.backup)
    }
}

fn sealed_ok(v: &str) -> bool {
    use base64::Engine;
    v.strip_prefix("tt1:").and_then(|b| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(b).ok()).is_some_and(|bytes| bytes.len() >= 12 + 16)
}

impl Checker {
    pub fn new() -> Self {
        Checker::default()
    }

    fn fail(section: Section, index: u64, id: Option<i64>, e: Invalid) -> FormatError {
        FormatError::record(section, index, id, format!("{} ({})", e.message, e.field))
    }

    fn secret(
        &mut self,
        section: Section,
        index: u64,
        owner_id: Option<i64>,
        owner_name: &str,
        purpose: &'static str,
        v: &Option<String>,
    ) -> Result<(), FormatError> {
        if let Some(v) = v {
            if !sealed_ok(v) {
                return Err(FormatError::record(section, index, owner_id, format!("the encrypted value for {purpose} is malformed")));
            }
            self.secrets.push(SecretRef { section, owner_id, owner_name: owner_name.to_string(), purpose, sealed: v.clone() });
        }
        Ok(())
    }

    fn parent(set: &HashSet<i64>, id: i64, what: &str, section: Section, index: u64, own: i64) -> Result<(), FormatError> {
        if set.contains(&id) {
            Ok(())
        } else {
            Err(FormatError::record(section, index, Some(own), format!("refers to {what} {id}, which is not in the backup")))
        }
    }

    /// Checks one item; call for every item the reader yields, then [`Checker::finish`].
    pub fn item(&mut self, item: &Item) -> Result<(), FormatError> {
        use crate::secret_purpose as p;
        match item {
            Item::Header(h) => self.header = Some(h.clone()),
            Item::KeyWrap(w) => {
                // Before anything derives a key from it: a forged wrap could ask for gigabytes.
                if let Some(w) = w {
                    w.check().map_err(FormatError::KeyWrap)?;
                }
                self.key_wrap = w.clone();
            }
            Item::SectionEnd { section, count } => {
                let expected = self.header.as_ref().map(|h| h.counts.get(*section)).unwrap_or(0);
                if *count != expected {
                    return Err(FormatError::CountMismatch { section: section.key(), expected, found: *count });
                }
            }
            Item::Record(record) => {
                let section = record.section();
                let index = self.counts.get(section);
                *self.counts.get_mut(section) += 1;
                if let Some(id) = record.id() {
                    if id < 1 {
                        return Err(FormatError::record(section, index, Some(id), "ids must be positive"));
                    }
                    if let Some(last) = self.last_id.get(&section) {
                        if id <= *last {
                            let why = if id == *last { "duplicate id" } else { "ids are not in ascending order" };
                            return Err(FormatError::record(section, index, Some(id), why));
                        }
                    }
                    self.last_id.insert(section, id);
                }
                let id = record.id();
                let bad = |e: Invalid| Self::fail(section, index, id, e);
                match record {
                    Record::Settings(s) => {
                        s.general.validate().map_err(bad)?;
                        s.security.validate().map_err(bad)?;
                        s.backup.validate(s.backup_password.is_some()).map_err(bad)?;
                        self.secret(section, index, None, "Proxy", p::PROXY_PASSWORD, &s.proxy_password)?;
                        self.secret(section, index, None, "Two-factor login", p::TOTP_SECRET, &s.totp.secret)?;
                        self.secret(section, index, None, "Two-factor backup codes", p::TOTP_BACKUP_CODES, &s.totp.backup_codes)?;
                        self.secret(section, index, None, "Backups", p::BACKUP_PASSWORD, &s.backup_password)?;
                        if s.totp.enabled && s.totp.secret.is_none() {
                            return Err(FormatError::record(section, index, None, "two-factor login is on but its secret is missing"));
                        }
                        let mut last_location = 0;
                        let mut places = HashSet::new();
                        for l in s.locations.iter().flatten() {
                            let at = |why: String| FormatError::record(section, index, None, format!("backup location {}: {why}", l.id));
                            if l.id <= last_location {
                                return Err(at("location ids must be positive and ascending".into()));
                            }
                            last_location = l.id;
                            let checked = l.settings.validate().map_err(|e| at(format!("{} ({})", e.message, e.field)))?;
                            if !places.insert(checked.target.identity()) {
                                return Err(at(format!("it writes to the same place as another location ({})", checked.target.describe())));
                            }
                            self.secret(section, index, Some(l.id), &checked.name, p::LOCATION_SECRET, &l.secret)?;
                        }
                        self.totp_enabled = s.totp.enabled;
                        self.settings = Some(s.as_ref().clone());
                    }
                    Record::Tracker(r) => {
                        r.config.validate().map_err(bad)?;
                        self.secret(section, index, id, &r.config.name, p::TRACKER_API_TOKEN, &r.api_token)?;
                        self.trackers.insert(r.id);
                        self.names.push((section, r.config.name.clone()));
                    }
                    Record::TrackerRole(r) => {
                        Self::parent(&self.trackers, r.tracker_id, "tracker", section, index, r.id)?;
                        r.validate().map_err(bad)?;
                    }
                    Record::TrackerSnapshot(r) => {
                        Self::parent(&self.trackers, r.tracker_id, "tracker", section, index, r.id)?;
                        r.validate().map_err(bad)?;
                    }
                    Record::DownloadClient(r) => {
                        r.config.validate().map_err(bad)?;
                        self.secret(section, index, id, &r.config.name, p::CLIENT_USERNAME, &r.username)?;
                        self.secret(section, index, id, &r.config.name, p::CLIENT_PASSWORD, &r.password)?;
                        self.clients.insert(r.id);
                        self.names.push((section, r.config.name.clone()));
                    }
                    Record::ClientSnapshot(r) => {
                        Self::parent(&self.clients, r.client_id, "download client", section, index, r.id)?;
                        r.validate().map_err(bad)?;
                    }
                    Record::ClientUptimeBucket(r) => {
                        Self::parent(&self.clients, r.client_id, "download client", section, index, r.id)?;
                        r.validate().map_err(bad)?;
                    }
                    Record::TagGroup(r) => {
                        r.config.validate().map_err(bad)?;
                        self.groups.insert(r.id);
                        self.names.push((section, r.config.name.clone()));
                    }
                    Record::TagGroupMember(r) => {
                        Self::parent(&self.groups, r.group_id, "tag group", section, index, r.id)?;
                        r.member.validate().map_err(bad)?;
                        if !self.member_tags.insert((r.group_id, r.member.tag.clone())) {
                            return Err(FormatError::record(section, index, id, format!("the tag {:?} is listed twice in its group", r.member.tag)));
                        }
                    }
                    Record::NotificationTarget(r) => {
                        r.settings.validate().map_err(bad)?;
                        for t in r.settings.tracker_ids.iter().flatten() {
                            Self::parent(&self.trackers, *t, "tracker", section, index, r.id)?;
                        }
                        self.secret(section, index, id, &r.settings.name, p::NOTIFICATION_CONFIG, &r.config)?;
                        self.names.push((section, r.settings.name.clone()));
                    }
                    Record::DismissedAlert(r) => {
                        r.validate().map_err(bad)?;
                        if !self.alert_keys.insert(r.alert_key.clone()) {
                            return Err(FormatError::record(section, index, id, "this alert is listed twice"));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    pub fn finish(self) -> Result<Checked, FormatError> {
        let header = self.header.ok_or(FormatError::NotABackup)?;
        if !self.secrets.is_empty() && self.key_wrap.is_none() {
            return Err(FormatError::Structure("the backup holds encrypted values but no key wrap to open them".into()));
        }
        Ok(Checked {
            header,
            key_wrap: self.key_wrap,
            counts: self.counts,
            secrets: self.secrets,
            totp_enabled: self.totp_enabled,
            settings: self.settings,
            names: self.names,
        })
    }
}

/// Reads and checks a whole plain backup stream.
pub fn check_all<R: std::io::Read>(reader: R) -> Result<Checked, FormatError> {
    let mut checker = Checker::new();
    super::plain::read(reader, |item| checker.item(&item))?;
    checker.finish()
}
