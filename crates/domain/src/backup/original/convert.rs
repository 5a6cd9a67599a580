//! Original records → this app's native backup records, one record at a time (a
//! [`original_backup::Sink`]): ids renumbered from 1 in file order (so every native section is in
//! ascending id order) with the parents' old → new ids kept in small maps, orphans skipped and
//! counted, values that do not fit this app's rules adjusted (and said) or refused with the
//! original's location, secrets opened with the source instance's key and sealed again.
//!
//! Secrets: an opened secret is sealed under `fresh` (the key of the temporary native file, see
//! `super`); one that cannot be carried (no password opens the file's key, or it is damaged) is
//! sealed under `lost`, a key nobody keeps, so the native restore counts it as a secret it
//! cannot open: cleared, its owner disabled with the native sentence, 2FA off with its notice.

use super::fields::{self, NOT_CARRIED};
use crate::secrets::{purpose, DataKey};
use chrono::{DateTime, Utc};
use original_backup::records as o;
use original_backup::{Error as OError, InstanceKey, Location, Section as OSection, Sink};
use std::collections::{BTreeMap, HashMap, HashSet};
use tt_core::backup_format::records::*;
use tt_core::backup_format::{Counts, Section};
use tt_core::model::auth::SecuritySettings;
use tt_core::model::backup::{SkippedRecords, SKIPPED_IDS_LISTED};
use tt_core::model::clients::{ClientConfig, ClientSnapshot, UptimeBucket};
use tt_core::model::notifications::{DismissedAlert, TargetConfig, TargetSettings, Thresholds};
use tt_core::model::settings::{BackupSettings, Frequency, GeneralSettings};
use tt_core::model::tags::{TagGroupConfig, TagMember};
use tt_core::model::trackers::{Snapshot, TrackerConfig, TrackerRole, PLATFORMS};
use zeroize::Zeroizing;

/// Which password opened the original's secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFrom {
    CurrentPassword,
    SourcePassword,
}

enum KeyState {
    /// No secret tried yet.
    Unknown,
    Known(InstanceKey, KeyFrom),
    /// No password given opened it: every secret is cleared.
    Unavailable,
}

/// Where each native section's records go (JSON lines; the caller assembles the file).
pub trait SectionOut {
    fn line(&mut self, section: Section, json: &[u8]) -> std::io::Result<()>;
}

/// Discards everything (the CLI's inspection only wants the report).
pub struct Discard;

impl SectionOut for Discard {
    fn line(&mut self, _: Section, _: &[u8]) -> std::io::Result<()> {
        Ok(())
    }
}

/// The color this app gives a tag member or tracker the original left without one.
const DEFAULT_COLOR: &str = "#3b82f6";
/// The original's default storage path when none was set (backup-scheduler.ts).
pub const ORIGINAL_DEFAULT_STORAGE: &str = "/data/backups";

const CLEARED_IN_FILE_TOKEN: &str = "API token missing: it was already empty in the original's backup — enter it and re-activate the tracker";
const CLEARED_IN_FILE_CREDENTIALS: &str = "credentials missing: they were already empty in the original's backup — re-enter them and re-enable";

pub struct Converter<O: SectionOut> {
    out: O,
    passwords: Vec<(KeyFrom, Zeroizing<String>)>,
    source_given: bool,
    key: KeyState,
    fresh: DataKey,
    lost: DataKey,
    salt: Option<String>,
    fallback_time: Option<DateTime<Utc>>,
    trackers: HashMap<i64, i64>,
    clients: HashMap<i64, i64>,
    groups: HashMap<i64, i64>,
    member_tags: HashSet<(i64, String)>,
    alert_keys: HashSet<String>,
    sections_seen: HashSet<OSection>,
    section: Option<OSection>,
    index: u64,
    /// Native records written per section.
    pub counts: Counts,
    /// Records carried per original section.
    pub carried: BTreeMap<OSection, u64>,
    skipped: BTreeMap<(OSection, &'static str), (u64, Vec<i64>)>,
    /// Records with a value in each known field that is not carried.
    pub not_carried: BTreeMap<(&'static str, &'static str), u64>,
    /// Sentences about values changed to fit, with how often.
    adjusted: BTreeMap<String, u64>,
    pub settings: Option<SettingsRecord>,
    pub secrets_carried: u64,
    pub secrets_cleared: u64,
    pub secrets_empty: u64,
    pub secrets_not_carried: u64,
    pub totp_in_file: bool,
    pub totp_codes_in_file: bool,
    pub weekly_schedule: bool,
    pub storage_path_defaulted: bool,
    /// Timestamps whose milliseconds were dropped.
    pub subsecond_times: u64,
}

fn loc(section: OSection, index: u64, field: &str) -> Location {
    Location { section: section.name(), index: Some(index), field: Some(field.to_owned()) }
}

fn invalid(at: Location, reason: impl Into<String>) -> OError {
    OError::InvalidField { at, reason: reason.into() }
}

fn io(e: std::io::Error) -> OError {
    OError::Io(e)
}

impl<O: SectionOut> Converter<O> {
    /// `passwords`: the current login password first, then the source password when given.
    pub fn new(out: O, passwords: Vec<(KeyFrom, Zeroizing<String>)>, fresh: DataKey) -> Self {
        let source_given = passwords.iter().any(|(f, _)| *f == KeyFrom::SourcePassword);
        Converter {
            out,
            passwords,
            source_given,
            key: KeyState::Unknown,
            fresh,
            lost: DataKey::generate(),
            salt: None,
            fallback_time: None,
            trackers: HashMap::new(),
            clients: HashMap::new(),
            groups: HashMap::new(),
            member_tags: HashSet::new(),
            alert_keys: HashSet::new(),
            sections_seen: HashSet::new(),
            section: None,
            index: 0,
            counts: Counts::default(),
            carried: BTreeMap::new(),
            skipped: BTreeMap::new(),
            not_carried: BTreeMap::new(),
            adjusted: BTreeMap::new(),
            settings: None,
            secrets_carried: 0,
            secrets_cleared: 0,
            secrets_empty: 0,
            secrets_not_carried: 0,
            totp_in_file: false,
            totp_codes_in_file: false,
            weekly_schedule: false,
            storage_path_defaulted: false,
            subsecond_times: 0,
        }
    }

    pub fn into_out(self) -> O {
        self.out
    }

    /// Which password opened the secrets (None: none did, or there were none to open).
    pub fn key_from(&self) -> Option<KeyFrom> {
        match &self.key {
            KeyState::Known(_, f) => Some(*f),
            _ => None,
        }
    }

    pub fn key_unavailable(&self) -> bool {
        matches!(self.key, KeyState::Unavailable)
    }

    pub fn skipped(&self) -> Vec<SkippedRecords> {
        self.skipped
            .iter()
            .map(|((s, reason), (count, ids))| SkippedRecords { section: s.name().into(), reason: (*reason).into(), count: *count, ids: ids.clone() })
            .collect()
    }

    pub fn adjusted(&self) -> Vec<String> {
        self.adjusted.iter().map(|(s, n)| if *n > 1 { format!("{s} ({n} records)") } else { s.clone() }).collect()
    }

    fn skip(&mut self, section: OSection, reason: &'static str, id: i64) {
        let e = self.skipped.entry((section, reason)).or_default();
        e.0 += 1;
        if e.1.len() < SKIPPED_IDS_LISTED {
            e.1.push(id);
        }
    }

    fn adjust(&mut self, sentence: String) {
        *self.adjusted.entry(sentence).or_default() += 1;
    }

    fn lost_field(&mut self, section: &'static str, field: &'static str, had_value: bool) {
        debug_assert!(NOT_CARRIED.iter().any(|f| f.section == section && f.field == field), "{section}.{field} is in NOT_CARRIED");
        if had_value {
            *self.not_carried.entry((section, field)).or_default() += 1;
        }
    }

    fn now(&self) -> DateTime<Utc> {
        self.fallback_time.unwrap_or_else(Utc::now)
    }

    /// This app keeps times to the second (crate::time): the original's milliseconds are
    /// dropped here, counted, so the report and the database agree.
    fn secs(&mut self, t: DateTime<Utc>) -> DateTime<Utc> {
        let whole = crate::time::whole_seconds(t);
        if whole != t {
            self.subsecond_times += 1;
        }
        whole
    }

    /// A record's created/updated times; missing ones (older files) are the backup's own time.
    fn dates(&mut self, created: Option<DateTime<Utc>>, updated: Option<DateTime<Utc>>) -> (DateTime<Utc>, DateTime<Utc>) {
        let created = created.unwrap_or_else(|| self.now());
        let updated = updated.unwrap_or(created);
        (self.secs(created), self.secs(updated))
    }

    /// Writes one native record with the next id of its section; returns that id.
    fn emit<T: serde::Serialize>(&mut self, section: Section, make: impl FnOnce(i64) -> T) -> Result<i64, OError> {
        let id = self.counts.get(section) as i64 + 1;
        let rec = make(id);
        let json = serde_json::to_vec(&rec).map_err(|e| OError::Io(std::io::Error::other(e)))?;
        self.out.line(section, &json).map_err(io)?;
        *self.counts.get_mut(section) += 1;
        if let Some(s) = self.section {
            *self.carried.entry(s).or_default() += 1;
        }
        Ok(id)
    }

    /// Opens one original secret: `Ok(None)` when it cannot be carried (no key, or damaged).
    fn open(&mut self, sealed: &str, at: &str) -> Result<Option<Zeroizing<String>>, OError> {
        if let KeyState::Unknown = self.key {
            let salt = self.salt.clone().ok_or_else(|| {
                invalid(Location { section: "settings", index: None, field: None }, "must come before the sections that hold secrets")
            })?;
            for (from, pw) in &self.passwords {
                let key = InstanceKey::derive(pw, &salt)?;
                match key.open(sealed) {
                    Ok(plain) => {
                        self.key = KeyState::Known(key, *from);
                        return Ok(Some(plain));
                    }
                    Err(OError::WrongLoginPassword) => continue,
                    // Not the original's format: this one secret is damaged; try the key on the next.
                    Err(OError::SecretMalformed { .. }) => return Ok(None),
                    Err(e) => return Err(e),
                }
            }
            if self.source_given {
                return Err(OError::WrongLoginPassword);
            }
            self.key = KeyState::Unavailable;
            return Ok(None);
        }
        match &self.key {
            KeyState::Known(key, _) => Ok(key.open_after_check(sealed, at).ok()),
            _ => Ok(None),
        }
    }

    /// A sealed value for the native file: `Some(plain)` under the file's key, `None` (lost)
    /// under a key nobody has.
    fn seal(&mut self, purpose: &str, plain: Option<&[u8]>) -> String {
        match plain {
            Some(p) => {
                self.secrets_carried += 1;
                self.fresh.seal(purpose, p)
            }
            None => {
                self.secrets_cleared += 1;
                self.lost.seal(purpose, b"")
            }
        }
    }

    /// One secret carried as it is: `Ok(None)` when it was empty in the file.
    fn carry(&mut self, sealed: &str, purpose: &'static str, at: &str) -> Result<Option<String>, OError> {
        if sealed.is_empty() {
            self.secrets_empty += 1;
            return Ok(None);
        }
        let plain = self.open(sealed, at)?;
        Ok(Some(self.seal(purpose, plain.as_ref().map(|p| p.as_bytes()))))
    }

    fn check_parent_section(&self, section: OSection) -> Result<(), OError> {
        let parent = match section {
            OSection::TrackerSnapshots | OSection::TrackerRoles | OSection::NotificationTargets => Some(OSection::Trackers),
            OSection::ClientSnapshots | OSection::ClientUptimeBuckets => Some(OSection::DownloadClients),
            OSection::TagGroupMembers => Some(OSection::TagGroups),
            _ => None,
        };
        match parent {
            Some(p) if !self.sections_seen.contains(&p) => Err(invalid(
                Location { section: section.name(), index: None, field: None },
                format!(
                    "comes before `{}`, which the original always writes first; the file was rearranged, so its references cannot be followed",
                    p.name()
                ),
            )),
            _ => Ok(()),
        }
    }

    fn tracker(&mut self, t: o::Tracker) -> Result<(), OError> {
        let s = OSection::Trackers;
        let i = self.index;
        if self.trackers.contains_key(&t.id) {
            self.skip(s, "another tracker has the same id", t.id);
            return Ok(());
        }
        self.lost_field("trackers", "remoteUserId", t.remote_user_id.is_some());
        self.lost_field("trackers", "platformMeta", t.platform_meta.is_some());
        self.lost_field("trackers", "mouseholeUrl", t.mousehole_url.is_some());
        self.lost_field("trackers", "avatarData", t.avatar_data.is_some());
        self.lost_field("trackers", "avatarMimeType", t.avatar_mime_type.is_some());
        self.lost_field("trackers", "avatarCachedAt", t.avatar_cached_at.is_some());
        self.lost_field("trackers", "avatarRemoteUrl", t.avatar_remote_url.is_some());
        self.lost_field("trackers", "useProxy", t.use_proxy);
        self.lost_field("trackers", "countCrossSeedUnsatisfied", t.count_cross_seed_unsatisfied);
        self.lost_field("trackers", "hideUnreadBadges", t.hide_unread_badges);
        self.lost_field("trackers", "lastAccessAt", t.last_access_at.is_some());
        self.lost_field("trackers", "profileUrl", t.profile_url.is_some());
        let mut disabled_reason = None;
        let mut is_active = t.is_active;
        let platform = if PLATFORMS.contains(&t.platform_type.as_str()) {
            t.platform_type.clone()
        } else {
            self.lost_field("trackers", "platformType", true);
            is_active = false;
            disabled_reason = Some(format!(
                "The original's platform “{}” is not supported here: the tracker and its history were imported, but it is not polled.",
                t.platform_type
            ));
            "unit3d".to_string()
        };
        if let Some(at) = t.user_paused_at {
            self.lost_field("trackers", "userPausedAt", true);
            if is_active {
                is_active = false;
                disabled_reason =
                    Some(format!("Paused in the original app since {}: re-activate it to poll it again.", at.format("%Y-%m-%d %H:%M UTC")));
            }
        }
        let color = match t.color.as_deref().map(str::trim) {
            None | Some("") => DEFAULT_COLOR.to_string(),
            Some(c) if c.len() == 5 || c.len() == 9 => {
                self.adjust(format!(
                    "Tracker colours with transparency (#rgba, #rrggbbaa) lost their alpha part (here colours are opaque), e.g. “{}”.",
                    t.name
                ));
                c[..c.len() - if c.len() == 5 { 1 } else { 2 }].to_string()
            }
            Some(c) => c.to_string(),
        };
        let config = TrackerConfig {
            name: t.name.clone(),
            base_url: t.base_url.clone(),
            platform,
            api_path: t.api_path.clone(),
            color,
            client_tag: t.qbt_tag.clone().filter(|q| !q.trim().is_empty()),
            is_active,
            is_favorite: t.is_favorite,
            sort_order: t.sort_order.unwrap_or(0),
            joined_at: t.joined_at,
        };
        let config = config.validate().map_err(|e| invalid(loc(s, i, &fields::tracker(&e.field)), e.message))?;
        let at = format!("trackers[{i}].encryptedApiToken");
        let api_token = self.carry(&t.encrypted_api_token, purpose::TRACKER_API_TOKEN, &at)?;
        let mut config = config;
        if api_token.is_none() {
            config.is_active = false;
            disabled_reason = Some(CLEARED_IN_FILE_TOKEN.into());
        }
        let (created, updated) = self.dates(t.created_at, t.updated_at);
        let new_id =
            self.emit(Section::Trackers, |id| TrackerRecord { id, config, api_token, disabled_reason, created_at: created, updated_at: updated })?;
        self.trackers.insert(t.id, new_id);
        Ok(())
    }

    fn snapshot(&mut self, r: o::TrackerSnapshot) -> Result<(), OError> {
        let s = OSection::TrackerSnapshots;
        let i = self.index;
        let Some(&tracker_id) = self.trackers.get(&r.tracker_id) else {
            self.skip(s, "its tracker (trackerId) is not in the backup or was not carried", r.id);
            return Ok(());
        };
        self.lost_field("trackerSnapshots", "shareScore", r.share_score.is_some());
        // Below 2^63: the reader refused anything larger, so the conversion is exact.
        let exact = |v: u64, f: &str| i64::try_from(v).map_err(|_| OError::BigintOutOfRange { at: loc(s, i, f), value: v.to_string() });
        let snap = Snapshot {
            id: 0,
            tracker_id,
            polled_at: self.secs(r.polled_at),
            uploaded_bytes: exact(r.uploaded_bytes, "uploadedBytes")?,
            downloaded_bytes: exact(r.downloaded_bytes, "downloadedBytes")?,
            ratio: r.ratio,
            buffer_bytes: r.buffer_bytes.map(|b| exact(b, "bufferBytes")).transpose()?,
            seeding_count: r.seeding_count,
            leeching_count: r.leeching_count,
            seed_bonus: r.seedbonus,
            hit_and_runs: r.hit_and_runs,
            required_ratio: r.required_ratio,
            warned: r.warned.unwrap_or(false),
            freeleech_tokens: r.freeleech_tokens,
            username: r.username,
            group_name: r.group,
            is_manual: r.is_manual,
        };
        snap.validate().map_err(|e| invalid(loc(s, i, &fields::snapshot(&e.field)), e.message))?;
        self.emit(Section::TrackerSnapshots, |id| Snapshot { id, ..snap })?;
        Ok(())
    }

    fn role(&mut self, r: o::TrackerRole) -> Result<(), OError> {
        let s = OSection::TrackerRoles;
        let Some(&tracker_id) = self.trackers.get(&r.tracker_id) else {
            self.skip(s, "its tracker (trackerId) is not in the backup or was not carried", r.id);
            return Ok(());
        };
        let role = TrackerRole { id: 0, tracker_id, role_name: r.role_name, achieved_at: self.secs(r.achieved_at), notes: r.notes };
        role.validate().map_err(|e| invalid(loc(s, self.index, &fields::role(&e.field)), e.message))?;
        self.emit(Section::TrackerRoles, |id| TrackerRole { id, ..role })?;
        Ok(())
    }

    fn client(&mut self, c: o::DownloadClient) -> Result<(), OError> {
        let s = OSection::DownloadClients;
        let i = self.index;
        if self.clients.contains_key(&c.id) {
            self.skip(s, "another download client has the same id", c.id);
            return Ok(());
        }
        self.lost_field("downloadClients", "errorSince", c.error_since.is_some());
        let config = ClientConfig {
            name: c.name.clone(),
            client_type: c.kind.clone(),
            host: c.host.clone(),
            port: c.port,
            use_tls: c.use_ssl,
            poll_interval_seconds: c.poll_interval_seconds,
            is_default: c.is_default,
            cross_seed_tags: c.cross_seed_tags.clone(),
            enabled: c.enabled,
        };
        let mut config = config.validate().map_err(|e| invalid(loc(s, i, &fields::client(&e.field)), e.message))?;
        let username = self.carry(&c.encrypted_username, purpose::CLIENT_USERNAME, &format!("downloadClients[{i}].encryptedUsername"))?;
        let password = self.carry(&c.encrypted_password, purpose::CLIENT_PASSWORD, &format!("downloadClients[{i}].encryptedPassword"))?;
        let mut disabled_reason = None;
        if username.is_none() || password.is_none() {
            config.enabled = false;
            disabled_reason = Some(CLEARED_IN_FILE_CREDENTIALS.into());
        }
        let (created, updated) = self.dates(c.created_at, c.updated_at);
        let new_id = self.emit(Section::DownloadClients, |id| DownloadClientRecord {
            id,
            config,
            username,
            password,
            disabled_reason,
            created_at: created,
            updated_at: updated,
        })?;
        self.clients.insert(c.id, new_id);
        Ok(())
    }

    fn client_snapshot(&mut self, r: o::ClientSnapshot) -> Result<(), OError> {
        let s = OSection::ClientSnapshots;
        let i = self.index;
        let Some(&client_id) = self.clients.get(&r.client_id) else {
            self.skip(s, "its download client (clientId) is not in the backup or was not carried", r.id);
            return Ok(());
        };
        self.lost_field("clientSnapshots", "tagStats", r.tag_stats.as_deref().is_some_and(|t| !t.trim().is_empty() && t.trim() != "[]"));
        let exact = |v: Option<u64>, f: &str| {
            v.map(|v| i64::try_from(v).map_err(|_| OError::BigintOutOfRange { at: loc(s, i, f), value: v.to_string() })).transpose()
        };
        let snap = ClientSnapshot {
            id: 0,
            client_id,
            polled_at: self.secs(r.polled_at),
            seeding_count: r.total_seeding_count.unwrap_or(0),
            leeching_count: r.total_leeching_count.unwrap_or(0),
            upload_speed_bps: exact(r.upload_speed_bytes, "uploadSpeedBytes")?.unwrap_or(0),
            download_speed_bps: exact(r.download_speed_bytes, "downloadSpeedBytes")?.unwrap_or(0),
            tag_stats: Vec::new(),
        };
        snap.validate().map_err(|e| invalid(loc(s, i, &fields::client_snapshot(&e.field)), e.message))?;
        self.emit(Section::ClientSnapshots, |id| ClientSnapshot { id, ..snap })?;
        Ok(())
    }

    fn bucket(&mut self, r: o::ClientUptimeBucket) -> Result<(), OError> {
        let s = OSection::ClientUptimeBuckets;
        let Some(&client_id) = self.clients.get(&r.client_id) else {
            self.skip(s, "its download client (clientId) is not in the backup or was not carried", r.id);
            return Ok(());
        };
        let total = r.ok.checked_add(r.fail).ok_or_else(|| invalid(loc(s, self.index, "fail"), "ok + fail is out of range"))?;
        let b = UptimeBucket { id: 0, client_id, bucket_start: self.secs(r.bucket_ts), checks_total: total, checks_ok: r.ok };
        b.validate().map_err(|e| invalid(loc(s, self.index, if e.field == "checks_ok" { "ok" } else { "fail" }), e.message))?;
        self.emit(Section::ClientUptimeBuckets, |id| UptimeBucket { id, ..b })?;
        Ok(())
    }

    fn group(&mut self, g: o::TagGroup) -> Result<(), OError> {
        let s = OSection::TagGroups;
        if self.groups.contains_key(&g.id) {
            self.skip(s, "another tag group has the same id", g.id);
            return Ok(());
        }
        self.lost_field("tagGroups", "createdAt", g.created_at.is_some());
        self.lost_field("tagGroups", "updatedAt", g.updated_at.is_some());
        let chart_type = if tt_core::model::tags::CHART_TYPES.contains(&g.chart_type.as_str()) {
            g.chart_type.clone()
        } else {
            self.adjust(format!("Tag group “{}”: chart type “{}” does not exist here; it is shown as a bar chart.", g.name, g.chart_type));
            "bar".to_string()
        };
        let config = TagGroupConfig {
            name: g.name,
            emoji: g.emoji.filter(|e| !e.is_empty()),
            chart_type,
            description: g.description.filter(|d| !d.is_empty()),
            sort_order: g.sort_order,
            count_unmatched: g.count_unmatched,
        };
        let config = config.validate().map_err(|e| invalid(loc(s, self.index, &fields::camel(&e.field)), e.message))?;
        let new_id = self.emit(Section::TagGroups, |id| TagGroupRecord { id, config })?;
        self.groups.insert(g.id, new_id);
        Ok(())
    }

    fn member(&mut self, m: o::TagGroupMember) -> Result<(), OError> {
        let s = OSection::TagGroupMembers;
        let Some(&group_id) = self.groups.get(&m.group_id) else {
            self.skip(s, "its tag group (groupId) is not in the backup or was not carried", m.id);
            return Ok(());
        };
        let member = TagMember {
            tag: m.tag,
            label: Some(m.label).filter(|l| !l.is_empty()),
            color: m.color.filter(|c| !c.trim().is_empty()).unwrap_or_else(|| DEFAULT_COLOR.into()),
            sort_order: m.sort_order,
        };
        let member = member.validate().map_err(|e| invalid(loc(s, self.index, &fields::camel(&e.field)), e.message))?;
        if !self.member_tags.insert((group_id, member.tag.clone())) {
            self.skip(s, "its tag is already listed in its group", m.id);
            return Ok(());
        }
        self.emit(Section::TagGroupMembers, |id| TagMemberRecord { id, group_id, member })?;
        Ok(())
    }

    fn alert(&mut self, a: o::DismissedAlert) -> Result<(), OError> {
        let s = OSection::DismissedAlerts;
        self.lost_field("dismissedAlerts", "alertType", !a.alert_type.is_empty());
        if !self.alert_keys.insert(a.alert_key.clone()) {
            self.skip(s, "the same alert is already dismissed", a.id);
            return Ok(());
        }
        let alert = DismissedAlert {
            id: 0,
            alert_key: a.alert_key,
            dismissed_at: {
                let t = a.dismissed_at.unwrap_or_else(|| self.now());
                self.secs(t)
            },
        };
        alert.validate().map_err(|e| invalid(loc(s, self.index, &fields::camel(&e.field)), e.message))?;
        self.emit(Section::DismissedAlerts, |id| DismissedAlert { id, ..alert })?;
        Ok(())
    }

    fn target(&mut self, n: o::NotificationTarget) -> Result<(), OError> {
        let s = OSection::NotificationTargets;
        let i = self.index;
        self.lost_field("notificationTargets", "notifyBonusCap", n.notify_bonus_cap);
        self.lost_field("notificationTargets", "notifyVipExpiring", n.notify_vip_expiring);
        self.lost_field("notificationTargets", "notifyUnsatisfiedLimit", n.notify_unsatisfied_limit);
        self.lost_field("notificationTargets", "notifyActiveHnrs", n.notify_active_hnrs);
        self.lost_field("notificationTargets", "notifyDownloadDisabled", n.notify_download_disabled);
        self.lost_field("notificationTargets", "includeTrackerName", !n.include_tracker_name);
        if !matches!(n.kind.as_str(), "discord" | "gotify" | "telegram") {
            self.lost_field("notificationTargets", "type", true);
            if !n.encrypted_config.is_empty() {
                self.secrets_not_carried += 1;
            }
            self.skip(s, "its type (slack or email) has no home here yet", n.id);
            return Ok(());
        }
        let flags = [
            ("ratio_drop", n.notify_ratio_drop),
            ("hit_and_run", n.notify_hit_and_run),
            ("tracker_down", n.notify_tracker_down),
            ("buffer_milestone", n.notify_buffer_milestone),
            ("warned", n.notify_warned),
            ("ratio_danger", n.notify_ratio_danger),
            ("zero_seeding", n.notify_zero_seeding),
            ("rank_change", n.notify_rank_change),
            ("anniversary", n.notify_anniversary),
        ];
        let events = flags.iter().filter(|(_, on)| *on).map(|(e, _)| (*e).to_string()).collect();
        let mut thresholds = Thresholds::default();
        if let Some(t) = &n.thresholds {
            if let Some(d) = t.ratio_drop_delta {
                thresholds.ratio_drop = d;
            }
            if let Some(bytes) = t.buffer_milestone_bytes {
                let gib = (bytes / (1u64 << 30) as f64).round().clamp(1.0, 1_000_000.0);
                if (gib * (1u64 << 30) as f64 - bytes).abs() > 0.5 {
                    self.adjust(format!(
                        "Notification target “{}”: the buffer milestone of {bytes} bytes is kept as {gib} GiB (here milestones are whole GiB).",
                        n.name
                    ));
                }
                thresholds.buffer_milestone_gib = gib as i64;
            }
        }
        let tracker_ids = match &n.scope {
            None => None,
            Some(ids) => {
                let mapped: Vec<i64> = ids.iter().filter_map(|old| self.trackers.get(old).copied()).collect();
                if mapped.len() != ids.len() {
                    self.adjust(format!(
                        "Notification target “{}”: its tracker list named trackers that are not in the backup (the original never updated it); they were left out.",
                        n.name
                    ));
                }
                if mapped.is_empty() {
                    self.adjust(format!("Notification target “{}”: none of the trackers it was limited to are in the backup; it is off.", n.name));
                }
                Some(mapped)
            }
        };
        let mut enabled = n.enabled;
        let tracker_ids = match tracker_ids {
            Some(v) if v.is_empty() => {
                enabled = false;
                None
            }
            other => other,
        };
        let settings = TargetSettings { name: n.name.clone(), target_type: n.kind.clone(), enabled, events, thresholds, tracker_ids };
        let mut settings = settings.validate().map_err(|e| invalid(loc(s, i, &fields::target(&e.field)), e.message))?;
        let mut disabled_reason = None;
        let config = if n.encrypted_config.is_empty() {
            self.secrets_empty += 1;
            settings.enabled = false;
            disabled_reason = Some(CLEARED_IN_FILE_CREDENTIALS.into());
            None
        } else {
            let plain = self.open(&n.encrypted_config, &format!("notificationTargets[{i}].encryptedConfig"))?;
            let converted = plain.and_then(|p| {
                let c = target_config(&n.kind, &p)?;
                let valid = c.validate_for(&n.kind).ok()?;
                serde_json::to_vec(&valid).ok().map(Zeroizing::new)
            });
            Some(self.seal(purpose::NOTIFICATION_CONFIG, converted.as_ref().map(|c| c.as_slice())))
        };
        let (created, updated) = self.dates(n.created_at, n.updated_at);
        self.emit(Section::NotificationTargets, |id| NotificationTargetRecord {
            id,
            settings,
            config,
            disabled_reason,
            created_at: created,
            updated_at: updated,
        })?;
        Ok(())
    }

    fn convert_settings(&mut self, st: o::Settings) -> Result<SettingsRecord, OError> {
        let at = |f: &str| Location { section: "settings", index: None, field: Some(f.to_owned()) };
        self.lost_field("settings", "username", st.username.is_some());
        self.lost_field("settings", "storeUsernames", !st.store_usernames);
        self.lost_field("settings", "autoWipeThreshold", st.auto_wipe_threshold.is_some());
        self.lost_field("settings", "lockoutEnabled", !st.lockout_enabled);
        self.lost_field("settings", "lockedUntil", st.locked_until.is_some());
        self.lost_field("settings", "qbitmanageEnabled", st.qbitmanage_enabled);
        self.lost_field("settings", "qbitmanageTags", st.qbitmanage_tags.is_some());
        self.lost_field("settings", "draftQuicklinks", st.draft_quicklinks.is_some());
        self.lost_field("settings", "dashboardSettings", st.dashboard_settings.is_some());
        for (field, v) in [
            ("encryptedPtpimgApiKey", &st.encrypted_ptpimg_api_key),
            ("encryptedOeimgApiKey", &st.encrypted_oeimg_api_key),
            ("encryptedImgbbApiKey", &st.encrypted_imgbb_api_key),
        ] {
            let set = v.as_deref().is_some_and(|v| !v.is_empty());
            self.lost_field("settings", field, set);
            if set {
                self.secrets_not_carried += 1;
            }
        }
        let codes = st.totp_backup_codes.as_deref().is_some_and(|c| !c.is_empty());
        self.lost_field("settings", "totpBackupCodes", codes);
        if codes {
            self.secrets_not_carried += 1;
            self.totp_codes_in_file = true;
        }
        let mut adjusted = Vec::new();
        let poll = clamp("poll interval in minutes", "trackerPollIntervalMinutes", st.tracker_poll_interval_minutes, 5, 1440, &mut adjusted);
        let retention = st.snapshot_retention_days.map(|d| clamp("snapshot retention in days", "snapshotRetentionDays", d, 1, 36_500, &mut adjusted));
        let mut proxy_enabled = st.proxy_enabled;
        let proxy_type = if tt_core::model::settings::PROXY_TYPES.contains(&st.proxy_type.as_str()) {
            st.proxy_type.clone()
        } else {
            if proxy_enabled {
                adjusted.push(format!("Settings: the proxy type “{}” is not supported here (socks5 or http); the proxy is off.", st.proxy_type));
            }
            proxy_enabled = false;
            "socks5".to_string()
        };
        let proxy_host = st.proxy_host.clone().filter(|h| !h.trim().is_empty());
        let proxy_port = st.proxy_port.filter(|p| (1..=65535).contains(p));
        if proxy_enabled && (proxy_host.is_none() || proxy_port.is_none()) {
            adjusted.push("Settings: the proxy was on without a host and port; it is off.".into());
            proxy_enabled = false;
        }
        let proxy_password = match st.encrypted_proxy_password.as_deref() {
            None => None,
            Some(v) => self.carry(v, purpose::PROXY_PASSWORD, "settings.encryptedProxyPassword")?,
        };
        let general = GeneralSettings {
            poll_interval_minutes: poll,
            snapshot_retention_days: retention,
            proxy_enabled,
            proxy_type,
            proxy_host,
            proxy_port,
            proxy_username: st.proxy_username.clone().filter(|u| !u.is_empty()),
            notifications_enabled: true,
            notify_ratio_drop_threshold: 0.1,
            notify_buffer_milestone_gib: 100,
        };
        let general = general.validate().map_err(|e| invalid(at(&fields::settings(&e.field)), e.message))?;
        let lockout_threshold = if st.lockout_enabled {
            clamp("failed attempts before lockout", "lockoutThreshold", st.lockout_threshold, 1, 100, &mut adjusted)
        } else {
            adjusted.push(
                "Settings: lockout was off in the original; here it is always on, so the threshold is the highest allowed (100 failed attempts)."
                    .into(),
            );
            100
        };
        let security = SecuritySettings {
            session_timeout_minutes: clamp(
                "session timeout in minutes",
                "sessionTimeoutMinutes",
                st.session_timeout_minutes.unwrap_or(1440),
                5,
                43_200,
                &mut adjusted,
            ),
            lockout_threshold,
            lockout_minutes: clamp("lockout duration in minutes", "lockoutDurationMinutes", st.lockout_duration_minutes, 1, 1440, &mut adjusted),
        };
        let totp_secret = match st.totp_secret.as_deref() {
            None | Some("") => None,
            Some(v) => {
                self.totp_in_file = true;
                self.carry(v, purpose::TOTP_SECRET, "settings.totpSecret")?
            }
        };
        let backup_password = match st.encrypted_backup_password.as_deref() {
            None => None,
            Some(v) => self.carry(v, purpose::BACKUP_PASSWORD, "settings.encryptedBackupPassword")?,
        };
        let storage_path = match st.backup_storage_path.clone().filter(|p| !p.trim().is_empty()) {
            Some(p) => Some(p),
            None => {
                self.storage_path_defaulted = true;
                Some(ORIGINAL_DEFAULT_STORAGE.to_string())
            }
        };
        // The original offers the same three names; anything else cannot be scheduled here.
        let frequency = st.backup_schedule_frequency.parse::<Frequency>().map_err(|_| {
            invalid(
                at("backupScheduleFrequency"),
                format!("\"{}\" is not a backup frequency (daily, weekly or monthly)", st.backup_schedule_frequency),
            )
        })?;
        self.weekly_schedule = frequency == Frequency::Weekly;
        let mut backup = BackupSettings {
            schedule_enabled: st.backup_schedule_enabled,
            frequency,
            retention_count: st.backup_retention_count,
            encrypt: st.backup_encryption_enabled,
            storage_path,
            // The original has "keep the last N" only.
            calendar: None,
        };
        if backup.encrypt && backup_password.is_none() {
            adjusted.push("Settings: encrypted backups were on without a stored backup password (the original asked for it at each export); encryption is off until you set one in Settings → Backups.".into());
            backup.encrypt = false;
        }
        let backup = backup.validate(backup_password.is_some()).map_err(|e| invalid(at(&fields::settings(&e.field)), e.message))?;
        for a in adjusted {
            self.adjust(a);
        }
        Ok(SettingsRecord {
            general,
            proxy_password,
            security,
            totp: TotpRecord { enabled: totp_secret.is_some(), secret: totp_secret, backup_codes: None },
            backup,
            backup_password,
            // The original app has no backup locations: a restore keeps the current ones.
            locations: None,
        })
    }
}

/// A setting outside this app's range is brought into it, and said.
fn clamp(label: &str, field: &str, v: i64, min: i64, max: i64, adjusted: &mut Vec<String>) -> i64 {
    let c = v.clamp(min, max);
    if c != v {
        adjusted.push(format!("Settings: {label} ({field}) of {v} is outside what this app allows ({min} to {max}); it is {c} here."));
    }
    c
}

/// The original's notification config JSON → this app's (None: not the shape its type has).
fn target_config(kind: &str, plain: &str) -> Option<TargetConfig> {
    let v: serde_json::Value = serde_json::from_str(plain).ok()?;
    let s = |k: &str| {
        v.get(k).and_then(|x| match x {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    };
    Some(match kind {
        "discord" => TargetConfig { url: s("webhookUrl"), ..Default::default() },
        "gotify" => TargetConfig { url: s("serverUrl"), token: s("appToken"), ..Default::default() },
        "telegram" => TargetConfig { token: s("botToken"), chat_id: s("chatId"), ..Default::default() },
        _ => return None,
    })
}

impl<O: SectionOut> Sink for Converter<O> {
    fn manifest(&mut self, m: &o::Manifest) -> Result<(), OError> {
        self.fallback_time = Some(m.created_at);
        Ok(())
    }

    fn settings(&mut self, st: o::Settings) -> Result<(), OError> {
        self.salt = Some(st.encryption_salt.clone());
        self.section = None;
        let rec = self.convert_settings(st)?;
        self.counts.settings = 1;
        self.settings = Some(rec);
        Ok(())
    }

    fn section_start(&mut self, section: OSection) -> Result<(), OError> {
        self.check_parent_section(section)?;
        self.sections_seen.insert(section);
        self.section = Some(section);
        self.index = 0;
        self.carried.entry(section).or_default();
        Ok(())
    }

    fn record(&mut self, r: o::Record) -> Result<(), OError> {
        if self.salt.is_none() {
            return Err(invalid(
                Location { section: r.section().name(), index: Some(self.index), field: None },
                "comes before `settings`, which the original always writes second; the file was rearranged",
            ));
        }
        match r {
            o::Record::Tracker(t) => self.tracker(t)?,
            o::Record::TrackerSnapshot(x) => self.snapshot(x)?,
            o::Record::TrackerRole(x) => self.role(x)?,
            o::Record::DownloadClient(x) => self.client(x)?,
            o::Record::TagGroup(x) => self.group(x)?,
            o::Record::TagGroupMember(x) => self.member(x)?,
            o::Record::ClientSnapshot(x) => self.client_snapshot(x)?,
            o::Record::ClientUptimeBucket(x) => self.bucket(x)?,
            o::Record::DismissedAlert(x) => self.alert(x)?,
            o::Record::NotificationTarget(x) => self.target(x)?,
        }
        self.index += 1;
        Ok(())
    }
}
