//! The records of each section. Sealed values ("tt1:…") are the source instance's ciphertext;
//! the file's `key_wrap` tells who can open them (see docs/backup-format.md).

use crate::model::auth::SecuritySettings;
use crate::model::clients::{ClientConfig, ClientSnapshot, UptimeBucket};
use crate::model::locations::LocationSettings;
use crate::model::notifications::{DismissedAlert, TargetSettings};
use crate::model::settings::{BackupSettings, GeneralSettings};
use crate::model::tags::{TagGroupConfig, TagMember};
use crate::model::trackers::{Snapshot, TrackerConfig, TrackerRole};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A sealed secret as stored: "tt1:" + base64url(nonce ‖ ciphertext ‖ tag).
pub type Sealed = String;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsRecord {
    pub general: GeneralSettings,
    pub proxy_password: Option<Sealed>,
    pub security: SecuritySettings,
    pub totp: TotpRecord,
    pub backup: BackupSettings,
    pub backup_password: Option<Sealed>,
    /// The off-site backup locations. Absent in backups made before locations existed: restoring
    /// one of those keeps the current locations (present, even empty, the list replaces them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locations: Option<Vec<LocationRecord>>,
}

/// A backup location in the settings record: its settings, its sealed secret (the S3 secret key
/// or the WebDAV password, purpose `backup_locations.secret`), and why the app turned it off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocationRecord {
    pub id: i64,
    #[serde(flatten)]
    pub settings: LocationSettings,
    pub secret: Option<Sealed>,
    pub disabled_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TotpRecord {
    pub enabled: bool,
    pub secret: Option<Sealed>,
    pub backup_codes: Option<Sealed>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackerRecord {
    pub id: i64,
    #[serde(flatten)]
    pub config: TrackerConfig,
    pub api_token: Option<Sealed>,
    pub disabled_reason: Option<String>,
    /// Paused by the person since then (absent in older backups: not paused).
    #[serde(default)]
    pub paused_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DownloadClientRecord {
    pub id: i64,
    #[serde(flatten)]
    pub config: ClientConfig,
    pub username: Option<Sealed>,
    pub password: Option<Sealed>,
    pub disabled_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TagGroupRecord {
    pub id: i64,
    #[serde(flatten)]
    pub config: TagGroupConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TagMemberRecord {
    pub id: i64,
    pub group_id: i64,
    #[serde(flatten)]
    pub member: TagMember,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationTargetRecord {
    pub id: i64,
    #[serde(flatten)]
    pub settings: TargetSettings,
    /// Sealed JSON of the target's delivery config (URL, tokens, chat id…).
    pub config: Option<Sealed>,
    pub disabled_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Any record, tagged with its section (what the streaming reader hands out).
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Settings(Box<SettingsRecord>),
    Tracker(TrackerRecord),
    TrackerRole(TrackerRole),
    TrackerSnapshot(Snapshot),
    DownloadClient(DownloadClientRecord),
    ClientSnapshot(ClientSnapshot),
    ClientUptimeBucket(UptimeBucket),
    TagGroup(TagGroupRecord),
    TagGroupMember(TagMemberRecord),
    NotificationTarget(NotificationTargetRecord),
    DismissedAlert(DismissedAlert),
}

impl Record {
    pub fn section(&self) -> super::Section {
        use super::Section as S;
        match self {
            Record::Settings(_) => S::Settings,
            Record::Tracker(_) => S::Trackers,
            Record::TrackerRole(_) => S::TrackerRoles,
            Record::TrackerSnapshot(_) => S::TrackerSnapshots,
            Record::DownloadClient(_) => S::DownloadClients,
            Record::ClientSnapshot(_) => S::ClientSnapshots,
            Record::ClientUptimeBucket(_) => S::ClientUptimeBuckets,
            Record::TagGroup(_) => S::TagGroups,
            Record::TagGroupMember(_) => S::TagGroupMembers,
            Record::NotificationTarget(_) => S::NotificationTargets,
            Record::DismissedAlert(_) => S::DismissedAlerts,
        }
    }

    /// The record's id (settings has none).
    pub fn id(&self) -> Option<i64> {
        Some(match self {
            Record::Settings(_) => return None,
            Record::Tracker(r) => r.id,
            Record::TrackerRole(r) => r.id,
            Record::TrackerSnapshot(r) => r.id,
            Record::DownloadClient(r) => r.id,
            Record::ClientSnapshot(r) => r.id,
            Record::ClientUptimeBucket(r) => r.id,
            Record::TagGroup(r) => r.id,
            Record::TagGroupMember(r) => r.id,
            Record::NotificationTarget(r) => r.id,
            Record::DismissedAlert(r) => r.id,
        })
    }
}
