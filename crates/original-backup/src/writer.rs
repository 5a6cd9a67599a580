//! A writer of original-format files, **for tests only** (feature `writer`): this crate's
//! round-trip tests and the server's import tests.
//!
//! It writes what the original's `generateBackupPayload` + `JSON.stringify` would for an
//! instance of a chosen vintage, from [`Instance`] (whose secret fields hold **plaintext**):
//! - compact JSON, top-level keys in the original's order, every record's keys in the
//!   original's column order, only the keys that existed in that vintage (see the tables
//!   below, taken from src/lib/db/schema.ts at the release tags);
//! - byte counts as decimal strings, timestamps as `toISOString()` (milliseconds, `Z`),
//!   dates as `YYYY-MM-DD`; `downloadClients.crossSeedTags` as a JSON text before 2.0.2;
//! - every non-empty secret sealed like the original's `encrypt`: AES-256-GCM under
//!   scrypt(login password, `settings.encryptionSalt` as ASCII, N=2^14, r=8, p=1, 32),
//!   `base64(iv ‖ tag ‖ ct)`. IVs are `iv_prefix(4) ‖ counter(8, big-endian)`, unique within a
//!   file (the original draws them at random; a test wants reproducible files);
//! - the `.ttbak` envelope: scrypt of the backup password with the given envelope salt, one
//!   AES-GCM over the whole payload, streamed (two passes over the deterministic payload,
//!   since the tag precedes the ciphertext);
//! - large files: [`generate_large`] makes the writer generate the snapshots while writing,
//!   so a million-snapshot file is written with bounded memory.
//!
//! Vintages: [`Vintage::V1_7`] (1.7.0: no `instanceUrl`, no `notificationTargets`, no
//! `dismissedAlerts`, `autoWipeThreshold`, no lockout fields), [`Vintage::V2_3`] (2.3.0) and
//! [`Vintage::V2_8_9`] (every field).

use std::collections::BTreeMap;
use std::io::Write;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::gcm::StreamingEncryptor;
use crate::kdf;
use crate::records::*;
use crate::secrets::InstanceKey;

/// Which release's file to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Vintage {
    V1_7,
    V2_3,
    V2_8_9,
}

impl Vintage {
    pub const ALL: [Vintage; 3] = [Vintage::V1_7, Vintage::V2_3, Vintage::V2_8_9];

    /// `manifest.appVersion`.
    pub fn app_version(self) -> &'static str {
        match self {
            Vintage::V1_7 => "1.7.0",
            Vintage::V2_3 => "2.3.0",
            Vintage::V2_8_9 => "2.8.9",
        }
    }

    fn ver(self) -> u32 {
        match self {
            Vintage::V1_7 => 10700,
            Vintage::V2_3 => 20300,
            Vintage::V2_8_9 => 20809,
        }
    }

    fn has(self, since: u32, until: u32) -> bool {
        self.ver() >= since && self.ver() < until
    }
}

const ALWAYS: u32 = 0;
const NEVER: u32 = u32::MAX;

/// (key, first version that has it, first version that no longer has it)
type Keys = &'static [(&'static str, u32, u32)];

const MANIFEST_KEYS: Keys = &[
    ("version", ALWAYS, NEVER),
    ("appVersion", ALWAYS, NEVER),
    ("instanceUrl", 20002, NEVER),
    ("createdAt", ALWAYS, NEVER),
    ("encrypted", ALWAYS, NEVER),
    ("counts", ALWAYS, NEVER),
];

const SETTINGS_KEYS: Keys = &[
    ("encryptionSalt", ALWAYS, NEVER),
    ("username", ALWAYS, NEVER),
    ("storeUsernames", ALWAYS, NEVER),
    ("totpSecret", ALWAYS, NEVER),
    ("totpBackupCodes", ALWAYS, NEVER),
    ("sessionTimeoutMinutes", ALWAYS, NEVER),
    ("autoWipeThreshold", ALWAYS, 11101),
    ("lockoutEnabled", 11101, NEVER),
    ("lockoutThreshold", 11101, NEVER),
    ("lockoutDurationMinutes", 11101, NEVER),
    ("lockedUntil", ALWAYS, NEVER),
    ("snapshotRetentionDays", ALWAYS, NEVER),
    ("trackerPollIntervalMinutes", ALWAYS, NEVER),
    ("proxyEnabled", ALWAYS, NEVER),
    ("proxyType", ALWAYS, NEVER),
    ("proxyHost", ALWAYS, NEVER),
    ("proxyPort", ALWAYS, NEVER),
    ("proxyUsername", ALWAYS, NEVER),
    ("encryptedProxyPassword", ALWAYS, NEVER),
    ("qbitmanageEnabled", ALWAYS, NEVER),
    ("qbitmanageTags", ALWAYS, NEVER),
    ("backupScheduleEnabled", ALWAYS, NEVER),
    ("backupScheduleFrequency", ALWAYS, NEVER),
    ("backupRetentionCount", ALWAYS, NEVER),
    ("backupEncryptionEnabled", ALWAYS, NEVER),
    ("encryptedBackupPassword", 11000, NEVER),
    ("backupStoragePath", ALWAYS, NEVER),
    ("draftQuicklinks", ALWAYS, NEVER),
    ("dashboardSettings", ALWAYS, NEVER),
    ("encryptedPtpimgApiKey", 20401, NEVER),
    ("encryptedOeimgApiKey", 20401, NEVER),
    ("encryptedImgbbApiKey", 20401, NEVER),
];

const TRACKER_KEYS: Keys = &[
    ("id", ALWAYS, NEVER),
    ("name", ALWAYS, NEVER),
    ("baseUrl", ALWAYS, NEVER),
    ("apiPath", ALWAYS, NEVER),
    ("platformType", ALWAYS, NEVER),
    ("encryptedApiToken", ALWAYS, NEVER),
    ("isActive", ALWAYS, NEVER),
    ("userPausedAt", 20401, NEVER),
    ("color", ALWAYS, NEVER),
    ("qbtTag", ALWAYS, NEVER),
    ("remoteUserId", ALWAYS, NEVER),
    ("platformMeta", ALWAYS, NEVER),
    ("mouseholeUrl", 20600, NEVER),
    ("avatarData", ALWAYS, NEVER),
    ("avatarMimeType", 20803, NEVER),
    ("avatarCachedAt", ALWAYS, NEVER),
    ("avatarRemoteUrl", ALWAYS, NEVER),
    ("useProxy", ALWAYS, NEVER),
    ("countCrossSeedUnsatisfied", ALWAYS, NEVER),
    ("hideUnreadBadges", 20600, NEVER),
    ("isFavorite", ALWAYS, NEVER),
    ("sortOrder", ALWAYS, NEVER),
    ("joinedAt", ALWAYS, NEVER),
    ("lastAccessAt", ALWAYS, NEVER),
    ("profileUrl", 20401, NEVER),
    ("createdAt", ALWAYS, NEVER),
    ("updatedAt", ALWAYS, NEVER),
];

const SNAPSHOT_KEYS: Keys = &[
    ("id", ALWAYS, NEVER),
    ("trackerId", ALWAYS, NEVER),
    ("polledAt", ALWAYS, NEVER),
    ("uploadedBytes", ALWAYS, NEVER),
    ("downloadedBytes", ALWAYS, NEVER),
    ("ratio", ALWAYS, NEVER),
    ("bufferBytes", ALWAYS, NEVER),
    ("seedingCount", ALWAYS, NEVER),
    ("leechingCount", ALWAYS, NEVER),
    ("seedbonus", ALWAYS, NEVER),
    ("hitAndRuns", ALWAYS, NEVER),
    ("requiredRatio", ALWAYS, NEVER),
    ("warned", ALWAYS, NEVER),
    ("freeleechTokens", ALWAYS, NEVER),
    ("shareScore", ALWAYS, NEVER),
    ("username", ALWAYS, NEVER),
    ("group", ALWAYS, NEVER),
    ("isManual", 20803, NEVER),
];

const ROLE_KEYS: Keys =
    &[("id", ALWAYS, NEVER), ("trackerId", ALWAYS, NEVER), ("roleName", ALWAYS, NEVER), ("achievedAt", ALWAYS, NEVER), ("notes", ALWAYS, NEVER)];

const CLIENT_KEYS: Keys = &[
    ("id", ALWAYS, NEVER),
    ("name", ALWAYS, NEVER),
    ("type", ALWAYS, NEVER),
    ("enabled", ALWAYS, NEVER),
    ("host", ALWAYS, NEVER),
    ("port", ALWAYS, NEVER),
    ("useSsl", ALWAYS, NEVER),
    ("encryptedUsername", ALWAYS, NEVER),
    ("encryptedPassword", ALWAYS, NEVER),
    ("pollIntervalSeconds", ALWAYS, NEVER),
    ("isDefault", ALWAYS, NEVER),
    ("crossSeedTags", ALWAYS, NEVER),
    ("errorSince", 11000, NEVER),
    ("createdAt", ALWAYS, NEVER),
    ("updatedAt", ALWAYS, NEVER),
];

const TAG_GROUP_KEYS: Keys = &[
    ("id", ALWAYS, NEVER),
    ("name", ALWAYS, NEVER),
    ("emoji", ALWAYS, NEVER),
    ("chartType", ALWAYS, NEVER),
    ("description", ALWAYS, NEVER),
    ("sortOrder", ALWAYS, NEVER),
    ("countUnmatched", ALWAYS, NEVER),
    ("createdAt", ALWAYS, NEVER),
    ("updatedAt", ALWAYS, NEVER),
];

const TAG_MEMBER_KEYS: Keys = &[
    ("id", ALWAYS, NEVER),
    ("groupId", ALWAYS, NEVER),
    ("tag", ALWAYS, NEVER),
    ("label", ALWAYS, NEVER),
    ("color", ALWAYS, NEVER),
    ("sortOrder", ALWAYS, NEVER),
];

const CLIENT_SNAPSHOT_KEYS: Keys = &[
    ("id", ALWAYS, NEVER),
    ("clientId", ALWAYS, NEVER),
    ("polledAt", ALWAYS, NEVER),
    ("totalSeedingCount", ALWAYS, NEVER),
    ("totalLeechingCount", ALWAYS, NEVER),
    ("uploadSpeedBytes", ALWAYS, NEVER),
    ("downloadSpeedBytes", ALWAYS, NEVER),
    ("tagStats", ALWAYS, NEVER),
];

const BUCKET_KEYS: Keys =
    &[("id", ALWAYS, NEVER), ("clientId", ALWAYS, NEVER), ("bucketTs", ALWAYS, NEVER), ("ok", ALWAYS, NEVER), ("fail", ALWAYS, NEVER)];

const ALERT_KEYS: Keys = &[("id", ALWAYS, NEVER), ("alertKey", ALWAYS, NEVER), ("alertType", ALWAYS, NEVER), ("dismissedAt", ALWAYS, NEVER)];

const TARGET_KEYS: Keys = &[
    ("id", ALWAYS, NEVER),
    ("name", ALWAYS, NEVER),
    ("type", ALWAYS, NEVER),
    ("enabled", ALWAYS, NEVER),
    ("encryptedConfig", ALWAYS, NEVER),
    ("notifyRatioDrop", ALWAYS, NEVER),
    ("notifyHitAndRun", ALWAYS, NEVER),
    ("notifyTrackerDown", ALWAYS, NEVER),
    ("notifyBufferMilestone", ALWAYS, NEVER),
    ("notifyWarned", ALWAYS, NEVER),
    ("notifyRatioDanger", ALWAYS, NEVER),
    ("notifyZeroSeeding", ALWAYS, NEVER),
    ("notifyRankChange", ALWAYS, NEVER),
    ("notifyAnniversary", ALWAYS, NEVER),
    ("notifyBonusCap", 20600, NEVER),
    ("notifyVipExpiring", 20600, NEVER),
    ("notifyUnsatisfiedLimit", 20600, NEVER),
    ("notifyActiveHnrs", 20600, NEVER),
    ("notifyDownloadDisabled", 20803, NEVER),
    ("thresholds", ALWAYS, NEVER),
    ("includeTrackerName", ALWAYS, NEVER),
    ("scope", ALWAYS, NEVER),
    ("createdAt", ALWAYS, NEVER),
    ("updatedAt", ALWAYS, NEVER),
];

/// One original instance, with **plaintext** in every secret field (`""` = cleared, kept).
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    pub created_at: DateTime<Utc>,
    pub instance_url: Option<String>,
    pub settings: Settings,
    pub trackers: Vec<Tracker>,
    pub tracker_snapshots: Vec<TrackerSnapshot>,
    pub tracker_roles: Vec<TrackerRole>,
    pub download_clients: Vec<DownloadClient>,
    pub tag_groups: Vec<TagGroup>,
    pub tag_group_members: Vec<TagGroupMember>,
    pub client_snapshots: Vec<ClientSnapshot>,
    pub client_uptime_buckets: Vec<ClientUptimeBucket>,
    pub dismissed_alerts: Vec<DismissedAlert>,
    pub notification_targets: Vec<NotificationTarget>,
    /// More tracker snapshots, generated while writing (after `tracker_snapshots`, ids
    /// continuing), for large test files: see [`generate_large`].
    pub generated_snapshots: Option<GeneratedSnapshots>,
}

/// [`SnapshotIter`]'s parameters: this many snapshots per tracker of the instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GeneratedSnapshots {
    pub per_tracker: usize,
    pub seed: u64,
}

impl Instance {
    /// The generated snapshots (empty without [`Instance::generated_snapshots`]).
    pub fn generated_snapshot_iter(&self, vintage: Vintage) -> SnapshotIter {
        let (per, seed) = self.generated_snapshots.map(|g| (g.per_tracker, g.seed)).unwrap_or((0, 0));
        let first_id = self.tracker_snapshots.iter().map(|s| s.id).max().unwrap_or(0);
        SnapshotIter::new(vintage, &self.trackers, per, seed, first_id)
    }
}

/// Knobs for negative tests; the defaults write a faithful file.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Replaces the computed `manifest.counts` (a count-mismatch test).
    pub counts_override: Option<BTreeMap<String, u64>>,
    /// Extra top-level members written after the last section (an unknown-key test).
    pub extra_top_level: Vec<(String, Value)>,
    /// The first 4 bytes of every IV.
    pub iv_prefix: [u8; 4],
}

struct Sealer {
    key: InstanceKey,
    prefix: [u8; 4],
    counter: u64,
}

impl Sealer {
    fn seal(&mut self, plain: &str) -> String {
        if plain.is_empty() {
            return String::new();
        }
        self.counter += 1;
        let mut iv = [0u8; 12];
        iv[..4].copy_from_slice(&self.prefix);
        iv[4..].copy_from_slice(&self.counter.to_be_bytes());
        self.key.seal(plain, &iv)
    }
    fn seal_opt(&mut self, plain: &Option<String>) -> Option<String> {
        plain.as_ref().map(|p| self.seal(p))
    }
}

fn write_object<W: Write, T: Serialize>(out: &mut W, rec: &T, keys: Keys, v: Vintage, fix: impl Fn(&str, Value) -> Value) -> Result<()> {
    let Value::Object(mut map) = serde_json::to_value(rec).expect("records serialise") else { unreachable!() };
    out.write_all(b"{")?;
    let mut first = true;
    for &(k, since, until) in keys {
        if !v.has(since, until) {
            continue;
        }
        let value = fix(k, map.remove(k).unwrap_or_else(|| panic!("the writer has no value for {k}")));
        if !first {
            out.write_all(b",")?;
        }
        first = false;
        serde_json::to_writer(&mut *out, k).map_err(std::io::Error::other)?;
        out.write_all(b":")?;
        serde_json::to_writer(&mut *out, &value).map_err(std::io::Error::other)?;
    }
    out.write_all(b"}")?;
    Ok(())
}

fn write_array<W: Write, T: Serialize>(
    out: &mut W,
    name: &str,
    items: &[T],
    keys: Keys,
    v: Vintage,
    fix: impl Fn(&str, Value) -> Value + Copy,
) -> Result<()> {
    write!(out, ",\"{name}\":[")?;
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        write_object(out, item, keys, v, fix)?;
    }
    out.write_all(b"]")?;
    Ok(())
}

fn keep(_: &str, v: Value) -> Value {
    v
}

/// Writes the plain payload (`.json`) of `inst` as `vintage` would, sealing secrets under
/// scrypt(`login_password`, `inst.settings.encryption_salt`).
pub fn write_plain<W: Write>(mut out: W, inst: &Instance, vintage: Vintage, login_password: &str, opts: &Options) -> Result<()> {
    let key = InstanceKey::derive(login_password, &inst.settings.encryption_salt)?;
    let mut s = Sealer { key, prefix: opts.iv_prefix, counter: 0 };
    let out = &mut out;

    let mut counts = BTreeMap::new();
    let mut add = |name: &str, n: usize| {
        counts.insert(name.to_owned(), n as u64);
    };
    add("trackers", inst.trackers.len());
    add("trackerSnapshots", inst.tracker_snapshots.len() + inst.generated_snapshot_iter(vintage).len());
    add("trackerRoles", inst.tracker_roles.len());
    add("downloadClients", inst.download_clients.len());
    add("tagGroups", inst.tag_groups.len());
    add("tagGroupMembers", inst.tag_group_members.len());
    add("clientSnapshots", inst.client_snapshots.len());
    add("clientUptimeBuckets", inst.client_uptime_buckets.len());
    if vintage >= Vintage::V2_3 {
        add("dismissedAlerts", inst.dismissed_alerts.len());
        add("notificationTargets", inst.notification_targets.len());
    }
    let counts = opts.counts_override.clone().unwrap_or(counts);
    // counts in the original's order (insertion order of its object literal).
    let order = [
        "trackers",
        "trackerSnapshots",
        "trackerRoles",
        "downloadClients",
        "tagGroups",
        "tagGroupMembers",
        "clientSnapshots",
        "clientUptimeBuckets",
        "dismissedAlerts",
        "notificationTargets",
    ];
    let manifest = Manifest {
        version: 1,
        app_version: Some(vintage.app_version().to_owned()),
        instance_url: inst.instance_url.clone(),
        created_at: inst.created_at,
        encrypted: Some(false),
        counts: BTreeMap::new(),
        unknown: BTreeMap::new(),
    };
    out.write_all(b"{\"manifest\":")?;
    let counts_fix = |k: &str, v: Value| {
        if k != "counts" {
            return v;
        }
        // Serialised by hand below to keep the original's key order.
        Value::Null
    };
    // Write the manifest without its closing brace's `counts`, then counts in order.
    let mut buf = Vec::new();
    write_object(&mut buf, &manifest, MANIFEST_KEYS, vintage, counts_fix)?;
    let mut counts_json = String::from("{");
    let mut first = true;
    for k in order.iter().map(|k| k.to_string()).chain(counts.keys().filter(|k| !order.contains(&k.as_str())).cloned()) {
        if let Some(n) = counts.get(&k) {
            if !first {
                counts_json.push(',');
            }
            first = false;
            counts_json.push_str(&format!("{}:{n}", serde_json::to_string(&k).expect("a string")));
        }
    }
    counts_json.push('}');
    let text = String::from_utf8(buf).expect("JSON is UTF-8").replace("\"counts\":null", &format!("\"counts\":{counts_json}"));
    out.write_all(text.as_bytes())?;

    let st = &inst.settings;
    let sealed_settings = Settings {
        totp_secret: s.seal_opt(&st.totp_secret),
        totp_backup_codes: s.seal_opt(&st.totp_backup_codes),
        encrypted_proxy_password: s.seal_opt(&st.encrypted_proxy_password),
        encrypted_backup_password: s.seal_opt(&st.encrypted_backup_password),
        encrypted_ptpimg_api_key: s.seal_opt(&st.encrypted_ptpimg_api_key),
        encrypted_oeimg_api_key: s.seal_opt(&st.encrypted_oeimg_api_key),
        encrypted_imgbb_api_key: s.seal_opt(&st.encrypted_imgbb_api_key),
        ..st.clone()
    };
    out.write_all(b",\"settings\":")?;
    write_object(out, &sealed_settings, SETTINGS_KEYS, vintage, keep)?;

    let trackers: Vec<Tracker> = inst.trackers.iter().map(|t| Tracker { encrypted_api_token: s.seal(&t.encrypted_api_token), ..t.clone() }).collect();
    write_array(out, "trackers", &trackers, TRACKER_KEYS, vintage, keep)?;
    write!(out, ",\"trackerSnapshots\":[")?;
    for (i, snap) in inst.tracker_snapshots.iter().cloned().chain(inst.generated_snapshot_iter(vintage)).enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        write_object(out, &snap, SNAPSHOT_KEYS, vintage, keep)?;
    }
    out.write_all(b"]")?;
    write_array(out, "trackerRoles", &inst.tracker_roles, ROLE_KEYS, vintage, keep)?;
    let clients: Vec<DownloadClient> = inst
        .download_clients
        .iter()
        .map(|c| DownloadClient { encrypted_username: s.seal(&c.encrypted_username), encrypted_password: s.seal(&c.encrypted_password), ..c.clone() })
        .collect();
    let tags_as_text = vintage < Vintage::V2_3;
    write_array(out, "downloadClients", &clients, CLIENT_KEYS, vintage, move |k, v| {
        if k == "crossSeedTags" && tags_as_text {
            Value::String(v.to_string())
        } else {
            v
        }
    })?;
    write_array(out, "tagGroups", &inst.tag_groups, TAG_GROUP_KEYS, vintage, keep)?;
    write_array(out, "tagGroupMembers", &inst.tag_group_members, TAG_MEMBER_KEYS, vintage, keep)?;
    write_array(out, "clientSnapshots", &inst.client_snapshots, CLIENT_SNAPSHOT_KEYS, vintage, keep)?;
    write_array(out, "clientUptimeBuckets", &inst.client_uptime_buckets, BUCKET_KEYS, vintage, keep)?;
    if vintage >= Vintage::V2_3 {
        write_array(out, "dismissedAlerts", &inst.dismissed_alerts, ALERT_KEYS, vintage, keep)?;
        let targets: Vec<NotificationTarget> =
            inst.notification_targets.iter().map(|t| NotificationTarget { encrypted_config: s.seal(&t.encrypted_config), ..t.clone() }).collect();
        write_array(out, "notificationTargets", &targets, TARGET_KEYS, vintage, keep)?;
    }
    for (k, v) in &opts.extra_top_level {
        write!(out, ",{}:{}", serde_json::to_string(k).expect("a string"), v)?;
    }
    out.write_all(b"}")?;
    out.flush()?;
    Ok(())
}

/// Writes a `.ttbak` envelope of `inst` as `vintage` would: scrypt(`backup_password`,
/// `envelope_salt`) and one AES-256-GCM over the plain payload with IV `iv`.
///
/// The original's layout puts the tag before the ciphertext, so the payload is produced
/// twice (it is deterministic): once to compute the tag, once to encrypt and base64-encode it
/// into `out`. Memory stays small whatever the payload's size.
#[allow(clippy::too_many_arguments)]
pub fn write_ttbak<W: Write>(
    mut out: W,
    inst: &Instance,
    vintage: Vintage,
    login_password: &str,
    backup_password: &str,
    envelope_salt: &str,
    envelope_created_at: DateTime<Utc>,
    iv: [u8; 12],
    opts: &Options,
) -> Result<()> {
    let key = kdf::derive(backup_password, envelope_salt, "envelope")?;
    let mut first = Encrypting { enc: StreamingEncryptor::new(&key, &iv), out: std::io::sink(), buf: Vec::new() };
    write_plain(&mut first, inst, vintage, login_password, opts)?;
    let tag = first.enc.tag();
    write!(
        out,
        "{{\"format\":\"{}\",\"version\":1,\"createdAt\":\"{}\",\"encryptionSalt\":\"{}\",\"ciphertext\":\"",
        crate::envelope::FORMAT,
        format_iso(&envelope_created_at),
        envelope_salt,
    )?;
    {
        let mut b64 = base64::write::EncoderWriter::new(&mut out, &base64::engine::general_purpose::STANDARD);
        b64.write_all(&iv)?;
        b64.write_all(&tag)?;
        let mut second = Encrypting { enc: StreamingEncryptor::new(&key, &iv), out: &mut b64, buf: Vec::new() };
        write_plain(&mut second, inst, vintage, login_password, opts)?;
        if second.enc.tag() != tag {
            return Err(std::io::Error::other("the payload differed between the two passes").into());
        }
        b64.finish()?;
    }
    out.write_all(b"\"}")?;
    out.flush()?;
    Ok(())
}

/// Encrypts what is written through it and passes the ciphertext on.
struct Encrypting<W> {
    enc: StreamingEncryptor,
    out: W,
    buf: Vec<u8>,
}

impl<W: Write> Write for Encrypting<W> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.clear();
        self.buf.extend_from_slice(data);
        self.enc.update(&mut self.buf);
        self.out.write_all(&self.buf)?;
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// The original's stored form of TOTP backup codes (plaintext of `totpBackupCodes`):
/// `[{hash, salt, used}]`, hash = sha256hex(code without dashes, uppercased ‖ salt).
pub fn backup_codes_json(codes: &[(&str, &str, bool)]) -> String {
    let entries: Vec<Value> = codes
        .iter()
        .map(|(code, salt, used)| {
            let normalized = code.replace('-', "").to_uppercase();
            let hash = hex::encode(Sha256::digest(format!("{normalized}{salt}").as_bytes()));
            json!({"hash": hash, "salt": salt, "used": used})
        })
        .collect();
    Value::Array(entries).to_string()
}

/// The 8 TOTP backup codes of [`generate`]'s instance (the first one marked used).
pub const TEST_BACKUP_CODES: [&str; 8] = ["A1B2-C3D4", "0F0F-1E1E", "DEAD-BEEF", "1234-5678", "9ABC-DEF0", "CAFE-F00D", "0000-FFFF", "7777-8888"];
/// The TOTP secret of [`generate`]'s instance (base32).
pub const TEST_TOTP_SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
/// The instance salt of [`generate`]'s instance.
pub const TEST_INSTANCE_SALT: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn ms(t: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(t).single().expect("in range")
}

/// Tracker snapshots generated on the fly (hourly from 2025-01-01, growing byte counts,
/// every 7th with only the required fields), for files too large to hold in memory.
/// Deterministic for a seed; ids continue after `first_id`.
pub struct SnapshotIter {
    vintage: Vintage,
    trackers: Vec<(usize, i64)>,
    per_tracker: usize,
    seed: u64,
    t: usize,
    h: usize,
    up: u64,
    down: u64,
    rng: u64,
    id: i64,
}

impl SnapshotIter {
    pub fn new(vintage: Vintage, trackers: &[Tracker], per_tracker: usize, seed: u64, first_id: i64) -> Self {
        SnapshotIter {
            vintage,
            trackers: trackers.iter().enumerate().map(|(i, t)| (i, t.id)).collect(),
            per_tracker,
            seed,
            t: 0,
            h: 0,
            up: 0,
            down: 0,
            rng: 0,
            id: first_id,
        }
    }

    fn next_rand(&mut self) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng
    }
}

impl Iterator for SnapshotIter {
    type Item = TrackerSnapshot;

    fn next(&mut self) -> Option<TrackerSnapshot> {
        if self.per_tracker == 0 {
            return None;
        }
        let &(i, tracker_id) = self.trackers.get(self.t)?;
        if self.h == 0 {
            self.rng = (self.seed ^ (i as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15)) | 1;
            self.up = 5_368_709_120 + (self.next_rand() % 1_000_000_000);
            self.down = 1_073_741_824;
        }
        let h = self.h;
        self.id += 1;
        self.up += self.next_rand() % 500_000_000;
        self.down += self.next_rand() % 100_000_000;
        let (up, down) = (self.up, self.down);
        let full = h % 7 != 3;
        let t0: i64 = 1_735_689_600_000;
        let jitter = (self.next_rand() % 1000) as i64;
        let (id, manual_field) = (self.id, self.vintage.ver() >= 20803);
        let mut r = |m: u64| self.next_rand() % m;
        let snap = TrackerSnapshot {
            id,
            tracker_id,
            polled_at: ms(t0 + h as i64 * 3_600_000 + jitter),
            uploaded_bytes: if i == 0 && h == 0 { (1u64 << 63) - 1 } else { up },
            downloaded_bytes: down,
            ratio: if full { Some(up as f64 / down as f64) } else { None },
            // Every fourth full one negative: more downloaded than the ratio covers.
            buffer_bytes: if !full {
                None
            } else if h % 4 == 2 {
                Some(-(down as i64) - 1)
            } else {
                Some(up.saturating_sub(down) as i64)
            },
            seeding_count: Some(r(500) as i64),
            leeching_count: if full { Some(r(5) as i64) } else { None },
            seedbonus: if full { Some(r(10_000_000) as f64 / 100.0) } else { None },
            hit_and_runs: if full { Some(r(3) as i64) } else { None },
            required_ratio: if full { Some(0.6) } else { None },
            warned: if full { Some(r(2) == 0) } else { None },
            freeleech_tokens: if full { Some(r(10) as i64) } else { None },
            share_score: if full { Some(1.0 / 3.0) } else { None },
            username: Some(format!("user{i}")),
            group: if full { Some("Power User".into()) } else { None },
            is_manual: manual_field && h == 1,
            unknown: BTreeMap::new(),
        };
        self.h += 1;
        if self.h == self.per_tracker {
            self.h = 0;
            self.t += 1;
        }
        Some(snap)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = if self.per_tracker == 0 { 0 } else { (self.trackers.len().saturating_sub(self.t)) * self.per_tracker - self.h };
        (n, Some(n))
    }
}

impl ExactSizeIterator for SnapshotIter {}

/// Like [`generate`], but the snapshots (`trackers × snapshots_per_tracker`, e.g. a million)
/// are not held: [`Instance::generated_snapshots`] makes the writer produce them while
/// writing, so memory stays small whatever the count.
pub fn generate_large(vintage: Vintage, trackers: usize, snapshots_per_tracker: usize, seed: u64) -> Instance {
    let mut inst = generate(vintage, trackers, 0, seed);
    inst.generated_snapshots = Some(GeneratedSnapshots { per_tracker: snapshots_per_tracker, seed });
    inst
}

/// A generated instance with every field of `vintage` set (to non-default values where
/// possible), `trackers` trackers (platforms cycling through all 8) with
/// `snapshots_per_tracker` hourly snapshots each, and the fields `vintage` lacks at the value
/// a reader gives them when absent. Deterministic for a `seed`.
pub fn generate(vintage: Vintage, trackers: usize, snapshots_per_tracker: usize, seed: u64) -> Instance {
    let mut rng = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407) | 1;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let has = |since: u32| vintage.ver() >= since;
    let t0: i64 = 1_735_689_600_000; // 2025-01-01T00:00:00.000Z
    let created_at = ms(t0 + 400 * 86_400_000 + 123);
    let settings = Settings {
        encryption_salt: TEST_INSTANCE_SALT.into(),
        username: Some("admin".into()),
        store_usernames: false,
        totp_secret: Some(TEST_TOTP_SECRET.into()),
        totp_backup_codes: Some(backup_codes_json(
            &TEST_BACKUP_CODES
                .iter()
                .enumerate()
                .map(|(i, c)| (*c, ["00112233445566778899aabbccddeeff", "ffeeddccbbaa99887766554433221100"][i % 2], i == 0))
                .collect::<Vec<_>>(),
        )),
        session_timeout_minutes: Some(720),
        auto_wipe_threshold: if has(11101) { None } else { Some(10) },
        lockout_enabled: !has(11101),
        lockout_threshold: if has(11101) { 7 } else { 5 },
        lockout_duration_minutes: if has(11101) { 30 } else { 15 },
        locked_until: Some(ms(t0 + 5_000)),
        snapshot_retention_days: Some(365),
        tracker_poll_interval_minutes: 30,
        proxy_enabled: true,
        proxy_type: "http".into(),
        proxy_host: Some("proxy.example.net".into()),
        proxy_port: Some(3128),
        proxy_username: Some("proxyuser".into()),
        encrypted_proxy_password: Some("proxy-secret-pw".into()),
        qbitmanage_enabled: true,
        qbitmanage_tags: Some("{\"issue\":\"issue\"}".into()),
        backup_schedule_enabled: true,
        backup_schedule_frequency: "weekly".into(),
        backup_retention_count: 30,
        backup_encryption_enabled: true,
        encrypted_backup_password: if has(11000) { Some("stored-backup-pw".into()) } else { None },
        backup_storage_path: Some("/data/backups".into()),
        draft_quicklinks: Some("[{\"label\":\"Docs\",\"url\":\"https://docs.example\"}]".into()),
        dashboard_settings: Some("{\"layout\":\"grid\"}".into()),
        encrypted_ptpimg_api_key: if has(20401) { Some("ptpimg-key".into()) } else { None },
        encrypted_oeimg_api_key: if has(20401) { Some("oeimg-key".into()) } else { None },
        encrypted_imgbb_api_key: if has(20401) { Some("".into()) } else { None },
        unknown: BTreeMap::new(),
    };
    let mut out_trackers = Vec::new();
    let mut snaps = Vec::new();
    let mut roles = Vec::new();
    for i in 0..trackers {
        let id = (i as i64 + 1) * 3; // ids with gaps, as after deletions
        let platform = KNOWN_PLATFORMS[i % KNOWN_PLATFORMS.len()];
        let token = match platform {
            "mam" => format!("mam-cookie-{i}"),
            "avistaz" => format!("{{\"cookies\":\"c{i}\",\"userAgent\":\"UA\",\"username\":\"u{i}\"}}"),
            "digitalcore" => format!("{{\"uid\":\"{i}\",\"pass\":\"p{i}\"}}"),
            _ if i == 1 => String::new(), // cleared by an earlier restore
            _ => format!("api-token-{i}-{}", next() % 100_000),
        };
        out_trackers.push(Tracker {
            id,
            name: format!("Tracker {i} ✓"),
            base_url: format!("https://tracker{i}.example.org"),
            api_path: if platform == "gazelle" { "/ajax.php".into() } else { "/api/user".into() },
            platform_type: platform.into(),
            encrypted_api_token: token,
            is_active: i % 5 != 4,
            // Paused by its user (and still active, as the original keeps it).
            user_paused_at: if has(20401) && i % 5 == 3 { Some(ms(t0 + 86_400_000 + 250)) } else { None },
            color: Some(["#00d4ff", "#f0a", "#12345678"][i % 3].into()),
            qbt_tag: Some(format!("t{i}")),
            remote_user_id: Some(1000 + i as i64),
            platform_meta: Some("{\"rank\":\"User\"}".into()),
            mousehole_url: if has(20600) && platform == "mam" { Some("http://mousehole:5010".into()) } else { None },
            avatar_data: Some("iVBORw0KGgo=".into()),
            avatar_mime_type: if has(20803) { Some("image/png".into()) } else { None },
            avatar_cached_at: Some(ms(t0 + 2 * 86_400_000 + 7)),
            avatar_remote_url: Some(format!("https://tracker{i}.example.org/avatar.png")),
            use_proxy: i % 2 == 0,
            count_cross_seed_unsatisfied: i % 3 == 0,
            hide_unread_badges: has(20600) && i % 2 == 1,
            is_favorite: i == 0,
            sort_order: Some(i as i64),
            joined_at: NaiveDate::from_ymd_opt(2020, 1 + (i % 12) as u32, 15),
            last_access_at: NaiveDate::from_ymd_opt(2025, 6, 1),
            profile_url: if has(20401) { Some(format!("https://tracker{i}.example.org/users/me")) } else { None },
            created_at: Some(ms(t0)),
            updated_at: Some(ms(t0 + 999)),
            unknown: BTreeMap::new(),
        });
        roles.push(TrackerRole {
            id: i as i64 + 1,
            tracker_id: id,
            role_name: "Power User".into(),
            achieved_at: ms(t0 + 3_600_000),
            notes: if i % 2 == 0 { Some("promoted".into()) } else { None },
            unknown: BTreeMap::new(),
        });
    }
    snaps.extend(SnapshotIter::new(vintage, &out_trackers, snapshots_per_tracker, seed, 0));
    let clients = vec![
        DownloadClient {
            id: 2,
            name: "qBittorrent".into(),
            kind: "qbittorrent".into(),
            enabled: true,
            host: "192.168.1.20".into(),
            port: 8080,
            use_ssl: false,
            encrypted_username: "admin".into(),
            encrypted_password: "qbit-pass".into(),
            poll_interval_seconds: 120,
            is_default: true,
            cross_seed_tags: vec!["cross-seed".into(), "xs".into()],
            error_since: if has(11000) { Some(ms(t0 + 77)) } else { None },
            created_at: Some(ms(t0)),
            updated_at: Some(ms(t0 + 1)),
            unknown: BTreeMap::new(),
        },
        DownloadClient {
            id: 5,
            name: "Seedbox".into(),
            kind: "qbittorrent".into(),
            enabled: false,
            host: "seedbox.example.net".into(),
            port: 443,
            use_ssl: true,
            encrypted_username: String::new(),
            encrypted_password: String::new(),
            poll_interval_seconds: 300,
            is_default: false,
            cross_seed_tags: vec![],
            error_since: None,
            created_at: Some(ms(t0)),
            updated_at: Some(ms(t0)),
            unknown: BTreeMap::new(),
        },
    ];
    let mut client_snaps = Vec::new();
    let mut buckets = Vec::new();
    for h in 0..(snapshots_per_tracker.max(1)) {
        client_snaps.push(ClientSnapshot {
            id: h as i64 + 1,
            client_id: 2,
            polled_at: ms(t0 + h as i64 * 3_600_000),
            total_seeding_count: Some(300 + h as i64),
            total_leeching_count: if h % 2 == 0 { Some(2) } else { None },
            upload_speed_bytes: Some(1_048_576 * (h as u64 + 1)),
            download_speed_bytes: if h % 2 == 0 { Some(0) } else { None },
            // The original's per-tag aggregates (download-clients/aggregator.ts), as JSON text.
            tag_stats: if h % 3 == 2 {
                None
            } else {
                Some(format!(
                    "[{{\"tag\":\"cross-seed\",\"seedingCount\":{},\"leechingCount\":{},\"uploadSpeed\":{},\"downloadSpeed\":0}},{{\"tag\":\"untagged\",\"seedingCount\":3,\"leechingCount\":0,\"uploadSpeed\":0,\"downloadSpeed\":{}}}]",
                    12 + h,
                    h % 2,
                    524_288 * (h + 1),
                    4096 * h
                ))
            },
            unknown: BTreeMap::new(),
        });
        buckets.push(ClientUptimeBucket {
            id: h as i64 + 1,
            client_id: 2,
            bucket_ts: ms(t0 + h as i64 * 3_600_000),
            ok: 12,
            fail: (h % 3) as i64,
            unknown: BTreeMap::new(),
        });
    }
    let groups = vec![TagGroup {
        id: 1,
        name: "Categories".into(),
        emoji: Some("📁".into()),
        chart_type: "donut".into(),
        description: Some("by category".into()),
        sort_order: 2,
        count_unmatched: true,
        created_at: Some(ms(t0)),
        updated_at: Some(ms(t0 + 5)),
        unknown: BTreeMap::new(),
    }];
    let members = vec![
        TagGroupMember {
            id: 1,
            group_id: 1,
            tag: "movies".into(),
            label: "Movies".into(),
            color: Some("#ff0000".into()),
            sort_order: 0,
            unknown: BTreeMap::new(),
        },
        TagGroupMember { id: 2, group_id: 1, tag: "tv".into(), label: "TV".into(), color: None, sort_order: 1, unknown: BTreeMap::new() },
    ];
    let (alerts, targets) = if vintage >= Vintage::V2_3 {
        let alerts = vec![DismissedAlert {
            id: 1,
            alert_key: "ratio-danger:3".into(),
            alert_type: "ratio_danger".into(),
            dismissed_at: Some(ms(t0 + 10_000)),
            unknown: BTreeMap::new(),
        }];
        let configs = [
            ("discord", "{\"webhookUrl\":\"https://discord.com/api/webhooks/1/abc\"}"),
            ("gotify", "{\"serverUrl\":\"https://gotify.example\",\"appToken\":\"gt\"}"),
            ("telegram", "{\"botToken\":\"123:abc\",\"chatId\":\"-100\"}"),
            ("slack", "{\"webhookUrl\":\"https://hooks.slack.com/services/T/B/X\"}"),
            ("email", "{\"host\":\"smtp.example\",\"port\":587,\"username\":\"u\",\"password\":\"p\",\"from\":\"tt@example\",\"to\":\"me@example\"}"),
        ];
        let targets = configs
            .iter()
            .enumerate()
            .map(|(i, (kind, cfg))| NotificationTarget {
                id: i as i64 + 1,
                name: format!("{kind} target"),
                kind: (*kind).into(),
                enabled: i != 2,
                encrypted_config: (*cfg).into(),
                notify_ratio_drop: true,
                notify_hit_and_run: i % 2 == 0,
                notify_tracker_down: true,
                notify_buffer_milestone: i == 1,
                notify_warned: true,
                notify_ratio_danger: i == 3,
                notify_zero_seeding: true,
                notify_rank_change: i == 4,
                notify_anniversary: true,
                notify_bonus_cap: has(20600),
                notify_vip_expiring: has(20600) && i == 0,
                notify_unsatisfied_limit: has(20600) && i == 1,
                notify_active_hnrs: has(20600) && i == 2,
                notify_download_disabled: has(20803),
                thresholds: if i % 2 == 0 {
                    Some(Thresholds { ratio_drop_delta: Some(0.1), buffer_milestone_bytes: Some(107_374_182_400.0), unknown: BTreeMap::new() })
                } else {
                    None
                },
                include_tracker_name: i != 4,
                scope: if i == 0 { None } else { Some(vec![3, 999]) },
                created_at: Some(ms(t0)),
                updated_at: Some(ms(t0 + 2)),
                unknown: BTreeMap::new(),
            })
            .collect();
        (alerts, targets)
    } else {
        (vec![], vec![])
    };
    Instance {
        created_at,
        instance_url: if has(20002) { Some("https://tt.example.org".into()) } else { None },
        settings,
        trackers: out_trackers,
        tracker_snapshots: snaps,
        tracker_roles: roles,
        download_clients: clients,
        tag_groups: groups,
        tag_group_members: members,
        client_snapshots: client_snaps,
        client_uptime_buckets: buckets,
        dismissed_alerts: alerts,
        notification_targets: targets,
        generated_snapshots: None,
    }
}
