//! Typed records for every section and field of the original's plain payload, versions 1.7
//! to 2.8.9 (src/lib/db/schema.ts at each release tag; src/lib/backup.ts).
//!
//! Conventions, as the original serialises (backup.ts `serializeValue`):
//! - JSON keys are camelCase (the drizzle property names; `serde(rename_all = "camelCase")`
//!   on the `Serialize` side, explicit names on the reading side);
//! - `bigint` columns are **decimal strings**; they are read into `u64` exactly, digits only,
//!   and a value ≥ 2^63 is refused with the field named ([`Error::BigintOutOfRange`]), since
//!   it could not be kept as a signed 64-bit integer. A negative or non-decimal string
//!   (which JS `BigInt()` would accept) is refused too;
//! - timestamps are `Date.toISOString()`, `YYYY-MM-DDTHH:MM:SS.sssZ`, read to
//!   `DateTime<Utc>` (the original's `ISO_8601_RE` allows any number of fraction digits or
//!   none; up to 9 are kept); `date` columns are `"YYYY-MM-DD"` → `NaiveDate`;
//! - JSON-holding `text` columns (`platformMeta`, `tagStats`, `dashboardSettings`,
//!   `draftQuicklinks`) stay strings; `jsonb` `thresholds` is an object; `integer[]`/`text[]`
//!   are arrays (but `downloadClients.crossSeedTags` was a JSON-text column before 2.0.2 and
//!   is then a string such as `"[\"cross-seed\"]"`; both forms are read into a list);
//! - secret fields (`encrypted*`, `totpSecret`, `totpBackupCodes`) stay the original's
//!   sealed strings, opened with [`crate::secrets::InstanceKey`]; `""` means cleared.
//!
//! Fields the validator requires are plain types; fields with a column default are read
//! with the original's default when a file from an older version lacks them (e.g.
//! `lockoutEnabled` → true); other fields are `Option`. Every record keeps the keys it did
//! not recognise, with their values, in `unknown`, so a caller can report them by name.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::error::{Error, Location, Result};

/// The original's 8 tracker platforms (`platformType`; not checked by its validator).
pub const KNOWN_PLATFORMS: [&str; 8] = ["unit3d", "gazelle", "ggn", "nebulance", "mam", "avistaz", "digitalcore", "custom"];
/// The original's notification target types (`VALID_NOTIFICATION_TYPES`).
pub const NOTIFICATION_TYPES: [&str; 5] = ["discord", "gotify", "telegram", "slack", "email"];
/// `VALID_BACKUP_FREQUENCIES`.
pub const BACKUP_FREQUENCIES: [&str; 3] = ["daily", "weekly", "monthly"];

/// Unknown keys of one record and their values.
pub type Unknown = BTreeMap<String, Value>;

/// Parses the original's ISO 8601 UTC form (`ISO_8601_RE`:
/// `^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z$`), fractions up to 9 digits.
pub fn parse_iso(s: &str) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    if b.len() < 20 || *b.last()? != b'Z' {
        return None;
    }
    let shape = b"dddd-dd-ddTdd:dd:dd";
    for (i, &c) in shape.iter().enumerate() {
        let ok = if c == b'd' { b[i].is_ascii_digit() } else { b[i] == c };
        if !ok {
            return None;
        }
    }
    let frac = &b[19..b.len() - 1];
    if !frac.is_empty() && (frac[0] != b'.' || frac.len() < 2 || frac.len() > 10 || !frac[1..].iter().all(u8::is_ascii_digit)) {
        return None;
    }
    let naive = NaiveDateTime::parse_from_str(&s[..s.len() - 1], "%Y-%m-%dT%H:%M:%S%.f").ok()?;
    Some(naive.and_utc())
}

/// `toISOString()`: milliseconds, `Z`.
pub fn format_iso(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Parses a decimal-string byte count exactly; `Err(true)` if it is ≥ 2^63, `Err(false)` if
/// it is not a string of decimal digits.
pub fn parse_bigint(s: &str) -> Result<u64, bool> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(false);
    }
    let digits = s.trim_start_matches('0');
    if digits.len() > 19 {
        return Err(true);
    }
    let v: u64 = if digits.is_empty() { 0 } else { digits.parse().map_err(|_| true)? };
    if v >= 1 << 63 {
        return Err(true);
    }
    Ok(v)
}

/// Parses a decimal-string count that may be negative (a buffer: downloaded more than
/// uploaded) exactly; `Err(true)` if its magnitude is ≥ 2^63, `Err(false)` if it is not an
/// optional `-` followed by decimal digits.
pub fn parse_signed_bigint(s: &str) -> Result<i64, bool> {
    match s.strip_prefix('-') {
        // Magnitude below 2^63 on both sides, so −2^63 (which no real buffer reaches) is refused too.
        Some(digits) => parse_bigint(digits).map(|v| -(v as i64)),
        None => parse_bigint(s).map(|v| v as i64),
    }
}

// ---------- Serialize helpers (the original's forms) ----------

fn ser_iso<S: Serializer>(t: &DateTime<Utc>, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&format_iso(t))
}
fn ser_opt_iso<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> std::result::Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&format_iso(t)),
        None => s.serialize_none(),
    }
}
fn ser_bigint<S: Serializer>(v: &u64, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&v.to_string())
}
fn ser_opt_bigint<S: Serializer>(v: &Option<u64>, s: S) -> std::result::Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_str(&v.to_string()),
        None => s.serialize_none(),
    }
}
fn ser_opt_signed_bigint<S: Serializer>(v: &Option<i64>, s: S) -> std::result::Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_str(&v.to_string()),
        None => s.serialize_none(),
    }
}
fn ser_opt_date<S: Serializer>(v: &Option<NaiveDate>, s: S) -> std::result::Result<S::Ok, S::Error> {
    match v {
        Some(d) => s.serialize_str(&d.format("%Y-%m-%d").to_string()),
        None => s.serialize_none(),
    }
}

// ---------- Field extraction with the field named in every error ----------

/// One record's JSON object being turned into a typed record.
pub(crate) struct Fields {
    map: Map<String, Value>,
    section: &'static str,
    index: Option<u64>,
}

impl Fields {
    pub(crate) fn new(value: Value, section: &'static str, index: Option<u64>) -> Result<Self> {
        match value {
            Value::Object(map) => Ok(Fields { map, section, index }),
            other => Err(Error::invalid(Location { section, index, field: None }, format!("must be a JSON object, not {}", kind(&other)))),
        }
    }

    pub(crate) fn at(&self, field: &str) -> Location {
        Location { section: self.section, index: self.index, field: Some(field.to_owned()) }
    }

    fn bad(&self, field: &str, reason: impl Into<String>) -> Error {
        Error::invalid(self.at(field), reason)
    }

    /// The value, `None` if absent or null.
    fn take(&mut self, k: &str) -> Option<Value> {
        match self.map.remove(k) {
            None | Some(Value::Null) => None,
            Some(v) => Some(v),
        }
    }

    fn required(&self, k: &str) -> Error {
        self.bad(k, "is required but missing")
    }

    fn int_of(&self, k: &str, v: Value) -> Result<i64> {
        match &v {
            Value::Number(n) => n.as_i64().ok_or_else(|| self.bad(k, format!("must be a whole number, not {n}"))),
            other => Err(self.bad(k, format!("must be a number, not {}", kind(other)))),
        }
    }
    pub(crate) fn req_int(&mut self, k: &str) -> Result<i64> {
        let v = self.take(k).ok_or_else(|| self.required(k))?;
        self.int_of(k, v)
    }
    pub(crate) fn opt_int(&mut self, k: &str) -> Result<Option<i64>> {
        self.take(k).map(|v| self.int_of(k, v)).transpose()
    }
    pub(crate) fn int_or(&mut self, k: &str, default: i64) -> Result<i64> {
        Ok(self.opt_int(k)?.unwrap_or(default))
    }
    pub(crate) fn opt_f64(&mut self, k: &str) -> Result<Option<f64>> {
        match self.take(k) {
            None => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_f64()),
            Some(other) => Err(self.bad(k, format!("must be a number, not {}", kind(&other)))),
        }
    }
    fn str_of(&self, k: &str, v: Value) -> Result<String> {
        match v {
            Value::String(s) => Ok(s),
            other => Err(self.bad(k, format!("must be a string, not {}", kind(&other)))),
        }
    }
    pub(crate) fn req_str(&mut self, k: &str) -> Result<String> {
        let v = self.take(k).ok_or_else(|| self.required(k))?;
        self.str_of(k, v)
    }
    pub(crate) fn opt_str(&mut self, k: &str) -> Result<Option<String>> {
        self.take(k).map(|v| self.str_of(k, v)).transpose()
    }
    pub(crate) fn str_or(&mut self, k: &str, default: &str) -> Result<String> {
        Ok(self.opt_str(k)?.unwrap_or_else(|| default.to_owned()))
    }
    pub(crate) fn opt_bool(&mut self, k: &str) -> Result<Option<bool>> {
        match self.take(k) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(other) => Err(self.bad(k, format!("must be true or false, not {}", kind(&other)))),
        }
    }
    pub(crate) fn bool_or(&mut self, k: &str, default: bool) -> Result<bool> {
        Ok(self.opt_bool(k)?.unwrap_or(default))
    }
    fn iso_of(&self, k: &str, v: Value) -> Result<DateTime<Utc>> {
        let s = self.str_of(k, v)?;
        parse_iso(&s).ok_or_else(|| self.bad(k, format!("must be an ISO 8601 UTC time such as 2026-04-10T03:00:00.000Z, not {s:?}")))
    }
    pub(crate) fn req_iso(&mut self, k: &str) -> Result<DateTime<Utc>> {
        let v = self.take(k).ok_or_else(|| self.required(k))?;
        self.iso_of(k, v)
    }
    pub(crate) fn opt_iso(&mut self, k: &str) -> Result<Option<DateTime<Utc>>> {
        self.take(k).map(|v| self.iso_of(k, v)).transpose()
    }
    pub(crate) fn opt_date(&mut self, k: &str) -> Result<Option<NaiveDate>> {
        let Some(v) = self.take(k) else { return Ok(None) };
        let s = self.str_of(k, v)?;
        let shape_ok = s.len() == 10 && s.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
        if !shape_ok {
            return Err(self.bad(k, format!("must be a date such as 2026-04-10, not {s:?}")));
        }
        NaiveDate::parse_from_str(&s, "%Y-%m-%d").map(Some).map_err(|_| self.bad(k, format!("{s:?} is not a calendar date")))
    }
    fn bigint_of(&self, k: &str, v: Value) -> Result<u64> {
        let s = match v {
            Value::String(s) => s,
            other => return Err(self.bad(k, format!("must be a decimal string such as \"5368709120\", not {}", kind(&other)))),
        };
        parse_bigint(&s).map_err(|too_big| {
            if too_big {
                Error::BigintOutOfRange { at: self.at(k), value: s.clone() }
            } else {
                self.bad(k, format!("must be a whole number of 0 or more written in decimal digits, not {s:?}"))
            }
        })
    }
    pub(crate) fn req_bigint(&mut self, k: &str) -> Result<u64> {
        let v = self.take(k).ok_or_else(|| self.required(k))?;
        self.bigint_of(k, v)
    }
    pub(crate) fn opt_bigint(&mut self, k: &str) -> Result<Option<u64>> {
        self.take(k).map(|v| self.bigint_of(k, v)).transpose()
    }
    /// A bigint that may be negative (`bufferBytes`).
    pub(crate) fn opt_signed_bigint(&mut self, k: &str) -> Result<Option<i64>> {
        let Some(v) = self.take(k) else { return Ok(None) };
        let s = match v {
            Value::String(s) => s,
            other => return Err(self.bad(k, format!("must be a decimal string such as \"-5368709120\", not {}", kind(&other)))),
        };
        parse_signed_bigint(&s).map(Some).map_err(|too_big| {
            if too_big {
                Error::BigintOutOfRange { at: self.at(k), value: s.clone() }
            } else {
                self.bad(k, format!("must be a whole number written in decimal digits, with a leading - if negative, not {s:?}"))
            }
        })
    }
    /// `text[]`, or (before 2.0.2) a JSON text holding an array of strings.
    pub(crate) fn str_list(&mut self, k: &str) -> Result<Vec<String>> {
        let v = match self.take(k) {
            None => return Ok(Vec::new()),
            Some(Value::String(s)) => {
                serde_json::from_str::<Value>(&s).map_err(|_| self.bad(k, "must be a list of strings or a JSON text of one"))?
            }
            Some(v) => v,
        };
        match v {
            Value::Array(items) => items
                .into_iter()
                .map(|i| match i {
                    Value::String(s) => Ok(s),
                    other => Err(self.bad(k, format!("must hold strings only, not {}", kind(&other)))),
                })
                .collect(),
            Value::Null => Ok(Vec::new()),
            other => Err(self.bad(k, format!("must be a list of strings, not {}", kind(&other)))),
        }
    }
    pub(crate) fn opt_int_list(&mut self, k: &str) -> Result<Option<Vec<i64>>> {
        match self.take(k) {
            None => Ok(None),
            Some(Value::Array(items)) => items.into_iter().map(|i| self.int_of(k, i)).collect::<Result<_>>().map(Some),
            Some(other) => Err(self.bad(k, format!("must be a list of numbers or null, not {}", kind(&other)))),
        }
    }
    pub(crate) fn opt_object(&mut self, k: &str) -> Result<Option<Map<String, Value>>> {
        match self.take(k) {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m)),
            Some(other) => Err(self.bad(k, format!("must be an object or null, not {}", kind(&other)))),
        }
    }
    pub(crate) fn rest(self) -> Unknown {
        self.map.into_iter().collect()
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

// ---------- The sections ----------

/// Declares one record type and its reader from a single field list: each field is written
/// once, with the [`Fields`] getter that reads it (`name: Type = getter(args)`), so the struct
/// and its parsing cannot drift apart. Fields are read in the order listed (the first bad one
/// is the one reported); `where check` runs `check(&fields, &value)` right after that field is
/// read, `then check` runs `check(&fields, &record)` after all of them. The keys left over go
/// to `unknown`. With `in "section"` the array record's `from_value(value, index)` is made too.
macro_rules! record {
    (
        $(#[$sm:meta])*
        $name:ident $(in $section:literal)? $(then $after:path)? {
            $( $(#[$fm:meta])* $field:ident : $ty:ty = $get:ident ( $($arg:expr),* ) $(where $check:path)? ),+ $(,)?
        }
    ) => {
        $(#[$sm])*
        #[derive(Debug, Clone, PartialEq, Serialize)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            $( $(#[$fm])* pub $field: $ty, )+
            #[serde(skip)]
            pub unknown: Unknown,
        }

        impl $name {
            fn from_fields(mut f: Fields) -> Result<Self> {
                $(
                    let $field = f.$get($($arg),*)?;
                    $( $check(&f, &$field)?; )?
                )+
                let record = $name { $($field,)+ unknown: Unknown::new() };
                $( $after(&f, &record)?; )?
                Ok($name { unknown: f.rest(), ..record })
            }

            $(
                pub(crate) fn from_value(v: Value, index: u64) -> Result<Self> {
                    Self::from_fields(Fields::new(v, $section, Some(index))?)
                }
            )?
        }
    };
}

/// `manifest` (`BackupManifest`). `instanceUrl` exists from 2.0.2; `counts` gained
/// `dismissedAlerts` (2.0.2) and `notificationTargets` (2.3.0).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// Always 1 (`CURRENT_BACKUP_VERSION`); anything else is refused.
    pub version: u64,
    /// package.json's version, e.g. "2.8.9".
    pub app_version: Option<String>,
    pub instance_url: Option<String>,
    #[serde(serialize_with = "ser_iso")]
    pub created_at: DateTime<Utc>,
    /// Always false, even inside a `.ttbak`.
    pub encrypted: Option<bool>,
    /// Not compared with the arrays by the original; [`crate::read::ReadReport`] does.
    pub counts: BTreeMap<String, u64>,
    #[serde(skip)]
    pub unknown: Unknown,
}

impl Manifest {
    pub(crate) fn from_value(v: Value) -> Result<Self> {
        let mut f = Fields::new(v, "manifest", None)?;
        let version = match f.take("version") {
            Some(Value::Number(n)) if n.as_u64() == Some(1) => 1,
            Some(other) => return Err(Error::UnsupportedVersion { what: "manifest", found: other.to_string() }),
            None => return Err(f.required("version")),
        };
        let app_version = f.opt_str("appVersion")?;
        let instance_url = f.opt_str("instanceUrl")?;
        let created_at = f.req_iso("createdAt")?;
        let encrypted = f.opt_bool("encrypted")?;
        let counts = match f.take("counts") {
            Some(Value::Object(m)) => {
                let mut counts = BTreeMap::new();
                for (k, v) in m {
                    let n = v.as_u64().ok_or_else(|| f.bad(&format!("counts.{k}"), "must be a whole number of 0 or more"))?;
                    counts.insert(k, n);
                }
                counts
            }
            _ => return Err(f.bad("counts", "must be an object")),
        };
        Ok(Manifest { version, app_version, instance_url, created_at, encrypted, counts, unknown: f.rest() })
    }
}

record! {
    /// `settings`: the `appSettings` row minus `id`, `passwordHash`, `failedLoginAttempts`,
    /// `encryptedSchedulerKey`, `createdAt`.
    Settings then settings_rules {
        /// The source instance's salt (64 hex), required: the instance key's salt.
        encryption_salt: String = req_str("encryptionSalt") where salt_rule,
        username: Option<String> = opt_str("username"),
        store_usernames: bool = bool_or("storeUsernames", true),
        /// Secret: base32 TOTP secret (SHA-1, 6 digits, 30 s).
        totp_secret: Option<String> = opt_str("totpSecret"),
        /// Secret: JSON `[{hash, salt, used}]`, hash = sha256hex(code without dashes, uppercased ‖ salt).
        totp_backup_codes: Option<String> = opt_str("totpBackupCodes"),
        session_timeout_minutes: Option<i64> = opt_int("sessionTimeoutMinutes"),
        /// Before 1.11.1 only.
        auto_wipe_threshold: Option<i64> = opt_int("autoWipeThreshold"),
        /// From 1.11.1 (default true).
        lockout_enabled: bool = bool_or("lockoutEnabled", true),
        /// From 1.11.1 (default 5).
        lockout_threshold: i64 = int_or("lockoutThreshold", 5),
        /// From 1.11.1 (default 15).
        lockout_duration_minutes: i64 = int_or("lockoutDurationMinutes", 15),
        #[serde(serialize_with = "ser_opt_iso")]
        locked_until: Option<DateTime<Utc>> = opt_iso("lockedUntil"),
        snapshot_retention_days: Option<i64> = opt_int("snapshotRetentionDays"),
        tracker_poll_interval_minutes: i64 = int_or("trackerPollIntervalMinutes", 60),
        proxy_enabled: bool = bool_or("proxyEnabled", false),
        proxy_type: String = str_or("proxyType", "socks5"),
        proxy_host: Option<String> = opt_str("proxyHost"),
        proxy_port: Option<i64> = opt_int("proxyPort"),
        /// Plaintext in the original.
        proxy_username: Option<String> = opt_str("proxyUsername"),
        /// Secret.
        encrypted_proxy_password: Option<String> = opt_str("encryptedProxyPassword"),
        qbitmanage_enabled: bool = bool_or("qbitmanageEnabled", false),
        qbitmanage_tags: Option<String> = opt_str("qbitmanageTags"),
        backup_schedule_enabled: bool = bool_or("backupScheduleEnabled", false),
        /// daily | weekly (cron `0 3 * * 0`, Sunday) | monthly.
        backup_schedule_frequency: String = str_or("backupScheduleFrequency", "daily"),
        backup_retention_count: i64 = int_or("backupRetentionCount", 14),
        backup_encryption_enabled: bool = bool_or("backupEncryptionEnabled", false),
        /// Secret, from 1.10.0: the backup password itself.
        encrypted_backup_password: Option<String> = opt_str("encryptedBackupPassword"),
        backup_storage_path: Option<String> = opt_str("backupStoragePath"),
        /// JSON text.
        draft_quicklinks: Option<String> = opt_str("draftQuicklinks"),
        /// JSON text.
        dashboard_settings: Option<String> = opt_str("dashboardSettings"),
        /// Secrets, from 2.4.1.
        encrypted_ptpimg_api_key: Option<String> = opt_str("encryptedPtpimgApiKey"),
        encrypted_oeimg_api_key: Option<String> = opt_str("encryptedOeimgApiKey"),
        encrypted_imgbb_api_key: Option<String> = opt_str("encryptedImgbbApiKey"),
    }
}

fn salt_rule(f: &Fields, salt: &str) -> Result<()> {
    if !crate::kdf::is_salt_hex(salt) {
        return Err(f.bad("encryptionSalt", "must be exactly 64 hexadecimal characters"));
    }
    Ok(())
}

fn settings_rules(f: &Fields, s: &Settings) -> Result<()> {
    if !BACKUP_FREQUENCIES.contains(&s.backup_schedule_frequency.as_str()) {
        return Err(f.bad("backupScheduleFrequency", "must be one of: daily, weekly, monthly"));
    }
    if !(1..=365).contains(&s.backup_retention_count) {
        return Err(f.bad("backupRetentionCount", "must be a whole number from 1 to 365"));
    }
    Ok(())
}

impl Settings {
    pub(crate) fn from_value(v: Value) -> Result<Self> {
        Self::from_fields(Fields::new(v, "settings", None)?)
    }

    /// The secret fields that are set, by JSON name.
    pub fn secrets(&self) -> Vec<(&'static str, &str)> {
        [
            ("totpSecret", &self.totp_secret),
            ("totpBackupCodes", &self.totp_backup_codes),
            ("encryptedProxyPassword", &self.encrypted_proxy_password),
            ("encryptedBackupPassword", &self.encrypted_backup_password),
            ("encryptedPtpimgApiKey", &self.encrypted_ptpimg_api_key),
            ("encryptedOeimgApiKey", &self.encrypted_oeimg_api_key),
            ("encryptedImgbbApiKey", &self.encrypted_imgbb_api_key),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
        .collect()
    }
}

record! {
    /// `trackers[]`: the row minus `lastPolledAt`, `lastError`, `lastErrorAt`,
    /// `consecutiveFailures`, `pausedAt`.
    Tracker in "trackers" then tracker_color_rule {
        id: i64 = req_int("id"),
        /// 1–100 characters (UTF-16 code units, as JS counts).
        name: String = req_str("name") where tracker_name_rule,
        /// http(s), not localhost or a private network (the original's `isUnsafeNetworkHost`).
        base_url: String = req_str("baseUrl") where base_url_rule,
        api_path: String = str_or("apiPath", "/api/user"),
        /// One of [`KNOWN_PLATFORMS`] in files the original wrote (not checked).
        platform_type: String = str_or("platformType", "unit3d"),
        /// Secret, may be `""` (cleared).
        encrypted_api_token: String = req_str("encryptedApiToken"),
        is_active: bool = bool_or("isActive", true),
        /// From 2.4.1.
        #[serde(serialize_with = "ser_opt_iso")]
        user_paused_at: Option<DateTime<Utc>> = opt_iso("userPausedAt"),
        color: Option<String> = opt_str("color"),
        qbt_tag: Option<String> = opt_str("qbtTag"),
        remote_user_id: Option<i64> = opt_int("remoteUserId"),
        /// JSON text.
        platform_meta: Option<String> = opt_str("platformMeta"),
        /// From 2.6.0.
        mousehole_url: Option<String> = opt_str("mouseholeUrl"),
        /// base64.
        avatar_data: Option<String> = opt_str("avatarData"),
        /// From 2.8.3.
        avatar_mime_type: Option<String> = opt_str("avatarMimeType"),
        #[serde(serialize_with = "ser_opt_iso")]
        avatar_cached_at: Option<DateTime<Utc>> = opt_iso("avatarCachedAt"),
        avatar_remote_url: Option<String> = opt_str("avatarRemoteUrl"),
        use_proxy: bool = bool_or("useProxy", false),
        count_cross_seed_unsatisfied: bool = bool_or("countCrossSeedUnsatisfied", false),
        /// From 2.6.0.
        hide_unread_badges: bool = bool_or("hideUnreadBadges", false),
        is_favorite: bool = bool_or("isFavorite", false),
        sort_order: Option<i64> = opt_int("sortOrder"),
        #[serde(serialize_with = "ser_opt_date")]
        joined_at: Option<NaiveDate> = opt_date("joinedAt"),
        #[serde(serialize_with = "ser_opt_date")]
        last_access_at: Option<NaiveDate> = opt_date("lastAccessAt"),
        /// From 2.4.1.
        profile_url: Option<String> = opt_str("profileUrl"),
        #[serde(serialize_with = "ser_opt_iso")]
        created_at: Option<DateTime<Utc>> = opt_iso("createdAt"),
        #[serde(serialize_with = "ser_opt_iso")]
        updated_at: Option<DateTime<Utc>> = opt_iso("updatedAt"),
    }
}

fn tracker_name_rule(f: &Fields, name: &str) -> Result<()> {
    let units = name.encode_utf16().count();
    if units == 0 || units > 100 {
        return Err(f.bad("name", "must be between 1 and 100 characters"));
    }
    Ok(())
}

fn base_url_rule(f: &Fields, base_url: &str) -> Result<()> {
    check_base_url(base_url).map_err(|reason| f.bad("baseUrl", reason))
}

fn tracker_color_rule(f: &Fields, t: &Tracker) -> Result<()> {
    match &t.color {
        Some(c) if !is_hex_color(c) => Err(f.bad("color", "must be a hex colour such as #00d4ff, or null")),
        _ => Ok(()),
    }
}

/// The original's permissive hex colour: `#` and 3, 4, 6 or 8 hex digits.
pub fn is_hex_color(c: &str) -> bool {
    let Some(h) = c.strip_prefix('#') else { return false };
    matches!(h.len(), 3 | 4 | 6 | 8) && h.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The original's tracker URL rule: a valid URL, http or https, whose host is not localhost,
/// `*.localhost`, `ip6-localhost`, `*.local`, nor a loopback, private, link-local, CGNAT or
/// 0.0.0.0/8 IPv4 address, nor `::`, `::1`, a unique-local or link-local IPv6 address, nor an
/// IPv4-mapped IPv6 address of the kinds above. (WHATWG URL parsing, like JS `new URL`, turns
/// shorthand IPv4 such as `127.1` into `127.0.0.1` first.)
pub fn check_base_url(s: &str) -> std::result::Result<(), &'static str> {
    let url = url::Url::parse(s).map_err(|_| "is not a valid URL")?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err("must use http or https");
    }
    let unsafe_host = match url.host() {
        None => true,
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d.is_empty() || d == "localhost" || d.ends_with(".localhost") || d == "ip6-localhost" || d.ends_with(".local")
        }
        Some(url::Host::Ipv4(ip)) => is_private_v4(ip),
        Some(url::Host::Ipv6(ip)) => {
            let seg = ip.segments();
            if let Some(v4) = ip.to_ipv4_mapped() {
                is_private_v4(v4)
            } else {
                ip.is_unspecified() || ip.is_loopback() || (seg[0] & 0xfe00) == 0xfc00 || (seg[0] & 0xffc0) == 0xfe80
            }
        }
    };
    if unsafe_host {
        return Err("must not target localhost or a private network address");
    }
    Ok(())
}

fn is_private_v4(ip: std::net::Ipv4Addr) -> bool {
    let o = ip.octets();
    o[0] == 10
        || o[0] == 127
        || o[0] == 0
        || (o[0] == 169 && o[1] == 254)
        || (o[0] == 172 && (16..32).contains(&o[1]))
        || (o[0] == 192 && o[1] == 168)
        || (o[0] == 100 && (64..128).contains(&o[1]))
}

record! {
    /// `trackerSnapshots[]` (every column).
    TrackerSnapshot in "trackerSnapshots" {
        id: i64 = req_int("id"),
        tracker_id: i64 = req_int("trackerId"),
        #[serde(serialize_with = "ser_iso")]
        polled_at: DateTime<Utc> = req_iso("polledAt"),
        #[serde(serialize_with = "ser_bigint")]
        uploaded_bytes: u64 = req_bigint("uploadedBytes"),
        #[serde(serialize_with = "ser_bigint")]
        downloaded_bytes: u64 = req_bigint("downloadedBytes"),
        ratio: Option<f64> = opt_f64("ratio"),
        /// Negative when more was downloaded than uploaded.
        #[serde(serialize_with = "ser_opt_signed_bigint")]
        buffer_bytes: Option<i64> = opt_signed_bigint("bufferBytes"),
        seeding_count: Option<i64> = opt_int("seedingCount"),
        leeching_count: Option<i64> = opt_int("leechingCount"),
        seedbonus: Option<f64> = opt_f64("seedbonus"),
        hit_and_runs: Option<i64> = opt_int("hitAndRuns"),
        required_ratio: Option<f64> = opt_f64("requiredRatio"),
        warned: Option<bool> = opt_bool("warned"),
        freeleech_tokens: Option<i64> = opt_int("freeleechTokens"),
        share_score: Option<f64> = opt_f64("shareScore"),
        username: Option<String> = opt_str("username"),
        /// JSON key `group` (column `group_name`).
        group: Option<String> = opt_str("group"),
        /// From 2.8.3 (default false).
        is_manual: bool = bool_or("isManual", false),
    }
}

record! {
    /// `trackerRoles[]`.
    TrackerRole in "trackerRoles" {
        id: i64 = req_int("id"),
        tracker_id: i64 = req_int("trackerId"),
        role_name: String = req_str("roleName"),
        #[serde(serialize_with = "ser_iso")]
        achieved_at: DateTime<Utc> = req_iso("achievedAt"),
        notes: Option<String> = opt_str("notes"),
    }
}

record! {
    /// `downloadClients[]` (from 2.0.2 an explicit column list; before it the row minus
    /// `lastPolledAt`, `lastError`, `cachedTorrents`, `cachedTorrentsAt` — the same keys).
    DownloadClient in "downloadClients" then port_rule {
        id: i64 = req_int("id"),
        name: String = str_or("name", ""),
        /// "qbittorrent" (the original's only adapter).
        #[serde(rename = "type")]
        kind: String = str_or("type", "qbittorrent"),
        enabled: bool = bool_or("enabled", true),
        host: String = req_str("host"),
        /// 1–65535.
        port: i64 = req_int("port"),
        use_ssl: bool = bool_or("useSsl", false),
        /// Secrets, may be `""` (cleared).
        encrypted_username: String = req_str("encryptedUsername"),
        encrypted_password: String = req_str("encryptedPassword"),
        poll_interval_seconds: i64 = int_or("pollIntervalSeconds", 300),
        is_default: bool = bool_or("isDefault", false),
        /// An array from 2.0.2; a JSON text before.
        cross_seed_tags: Vec<String> = str_list("crossSeedTags"),
        /// From 1.10.0.
        #[serde(serialize_with = "ser_opt_iso")]
        error_since: Option<DateTime<Utc>> = opt_iso("errorSince"),
        #[serde(serialize_with = "ser_opt_iso")]
        created_at: Option<DateTime<Utc>> = opt_iso("createdAt"),
        #[serde(serialize_with = "ser_opt_iso")]
        updated_at: Option<DateTime<Utc>> = opt_iso("updatedAt"),
    }
}

fn port_rule(f: &Fields, c: &DownloadClient) -> Result<()> {
    if !(1..=65535).contains(&c.port) {
        return Err(f.bad("port", "must be a whole number from 1 to 65535"));
    }
    Ok(())
}

record! {
    /// `tagGroups[]`.
    TagGroup in "tagGroups" {
        id: i64 = req_int("id"),
        name: String = str_or("name", ""),
        emoji: Option<String> = opt_str("emoji"),
        chart_type: String = str_or("chartType", "bar"),
        description: Option<String> = opt_str("description"),
        sort_order: i64 = int_or("sortOrder", 0),
        count_unmatched: bool = bool_or("countUnmatched", false),
        #[serde(serialize_with = "ser_opt_iso")]
        created_at: Option<DateTime<Utc>> = opt_iso("createdAt"),
        #[serde(serialize_with = "ser_opt_iso")]
        updated_at: Option<DateTime<Utc>> = opt_iso("updatedAt"),
    }
}

record! {
    /// `tagGroupMembers[]`.
    TagGroupMember in "tagGroupMembers" {
        id: i64 = req_int("id"),
        group_id: i64 = req_int("groupId"),
        tag: String = req_str("tag"),
        label: String = req_str("label"),
        color: Option<String> = opt_str("color"),
        sort_order: i64 = int_or("sortOrder", 0),
    }
}

record! {
    /// `clientSnapshots[]`.
    ClientSnapshot in "clientSnapshots" {
        id: i64 = req_int("id"),
        client_id: i64 = req_int("clientId"),
        #[serde(serialize_with = "ser_iso")]
        polled_at: DateTime<Utc> = req_iso("polledAt"),
        total_seeding_count: Option<i64> = opt_int("totalSeedingCount"),
        total_leeching_count: Option<i64> = opt_int("totalLeechingCount"),
        #[serde(serialize_with = "ser_opt_bigint")]
        upload_speed_bytes: Option<u64> = opt_bigint("uploadSpeedBytes"),
        #[serde(serialize_with = "ser_opt_bigint")]
        download_speed_bytes: Option<u64> = opt_bigint("downloadSpeedBytes"),
        /// JSON text.
        tag_stats: Option<String> = opt_str("tagStats"),
    }
}

/// One entry of a client snapshot's `tagStats` (the original's `TagStats`, unchanged from 1.7.0
/// to 2.8.9: download-clients/qbt/types.ts, formerly qbt/types.ts).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TagStatEntry {
    /// Lower-cased; `"untagged"` for torrents with none of the known tags.
    pub tag: String,
    pub seeding_count: u64,
    pub leeching_count: u64,
    /// Bytes per second, summed over the tag's torrents.
    pub upload_speed: f64,
    pub download_speed: f64,
}

/// The `tagStats` JSON text of a client snapshot, `None` when it does not have the original's
/// shape (the original itself logs and skips such a text).
pub fn parse_tag_stats(text: &str) -> Option<Vec<TagStatEntry>> {
    let entries: Vec<TagStatEntry> = serde_json::from_str(text).ok()?;
    let counts_fit = entries.iter().all(|e| i64::try_from(e.seeding_count).is_ok() && i64::try_from(e.leeching_count).is_ok());
    counts_fit.then_some(entries)
}

record! {
    /// `clientUptimeBuckets[]` (optional section).
    ClientUptimeBucket in "clientUptimeBuckets" {
        id: i64 = req_int("id"),
        client_id: i64 = req_int("clientId"),
        #[serde(serialize_with = "ser_iso")]
        bucket_ts: DateTime<Utc> = req_iso("bucketTs"),
        ok: i64 = req_int("ok"),
        fail: i64 = req_int("fail"),
    }
}

record! {
    /// `dismissedAlerts[]` (optional section, from 2.0.2).
    DismissedAlert in "dismissedAlerts" {
        id: i64 = req_int("id"),
        alert_key: String = req_str("alertKey"),
        alert_type: String = req_str("alertType"),
        #[serde(serialize_with = "ser_opt_iso")]
        dismissed_at: Option<DateTime<Utc>> = opt_iso("dismissedAt"),
    }
}

/// `notificationTargets[].thresholds` (jsonb).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Thresholds {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ratio_drop_delta: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buffer_milestone_bytes: Option<f64>,
    #[serde(flatten)]
    pub unknown: Unknown,
}

impl Fields {
    /// `thresholds`: an object or null; a bad value inside is named `thresholds.<key>`.
    fn thresholds(&mut self) -> Result<Option<Thresholds>> {
        let Some(t) = self.opt_object("thresholds")? else { return Ok(None) };
        let mut tf = Fields { map: t, section: self.section, index: self.index };
        Ok(Some(Thresholds {
            ratio_drop_delta: tf.opt_f64("ratioDropDelta").map_err(|_| self.bad("thresholds.ratioDropDelta", "must be a number"))?,
            buffer_milestone_bytes: tf
                .opt_f64("bufferMilestoneBytes")
                .map_err(|_| self.bad("thresholds.bufferMilestoneBytes", "must be a number"))?,
            unknown: tf.rest(),
        }))
    }
}

record! {
    /// `notificationTargets[]` (optional section, from 2.3.0): the row minus
    /// `lastDeliveryStatus`, `lastDeliveryAt`, `lastDeliveryError`.
    NotificationTarget in "notificationTargets" {
        id: i64 = req_int("id"),
        name: String = req_str("name"),
        /// One of [`NOTIFICATION_TYPES`].
        #[serde(rename = "type")]
        kind: String = req_str("type") where target_type_rule,
        enabled: bool = bool_or("enabled", true),
        /// Secret: JSON whose shape depends on `type` (discord/slack `{webhookUrl}`, gotify
        /// `{serverUrl, appToken}`, telegram `{botToken, chatId}`, email
        /// `{host, port, username, password, from, to}`).
        encrypted_config: String = req_str("encryptedConfig"),
        notify_ratio_drop: bool = bool_or("notifyRatioDrop", false),
        notify_hit_and_run: bool = bool_or("notifyHitAndRun", false),
        notify_tracker_down: bool = bool_or("notifyTrackerDown", false),
        notify_buffer_milestone: bool = bool_or("notifyBufferMilestone", false),
        notify_warned: bool = bool_or("notifyWarned", false),
        notify_ratio_danger: bool = bool_or("notifyRatioDanger", false),
        notify_zero_seeding: bool = bool_or("notifyZeroSeeding", false),
        notify_rank_change: bool = bool_or("notifyRankChange", false),
        notify_anniversary: bool = bool_or("notifyAnniversary", false),
        /// From 2.6.0.
        notify_bonus_cap: bool = bool_or("notifyBonusCap", false),
        notify_vip_expiring: bool = bool_or("notifyVipExpiring", false),
        notify_unsatisfied_limit: bool = bool_or("notifyUnsatisfiedLimit", false),
        notify_active_hnrs: bool = bool_or("notifyActiveHnrs", false),
        /// From 2.8.3.
        notify_download_disabled: bool = bool_or("notifyDownloadDisabled", false),
        thresholds: Option<Thresholds> = thresholds(),
        include_tracker_name: bool = bool_or("includeTrackerName", true),
        /// Tracker ids (not a foreign key); `None` = all trackers.
        scope: Option<Vec<i64>> = opt_int_list("scope"),
        #[serde(serialize_with = "ser_opt_iso")]
        created_at: Option<DateTime<Utc>> = opt_iso("createdAt"),
        #[serde(serialize_with = "ser_opt_iso")]
        updated_at: Option<DateTime<Utc>> = opt_iso("updatedAt"),
    }
}

fn target_type_rule(f: &Fields, kind: &str) -> Result<()> {
    if !NOTIFICATION_TYPES.contains(&kind) {
        return Err(f.bad("type", "must be one of: discord, gotify, telegram, slack, email"));
    }
    Ok(())
}

/// The array sections, in the original's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Section {
    Trackers,
    TrackerSnapshots,
    TrackerRoles,
    DownloadClients,
    TagGroups,
    TagGroupMembers,
    ClientSnapshots,
    ClientUptimeBuckets,
    DismissedAlerts,
    NotificationTargets,
}

impl Section {
    pub const ALL: [Section; 10] = [
        Section::Trackers,
        Section::TrackerSnapshots,
        Section::TrackerRoles,
        Section::DownloadClients,
        Section::TagGroups,
        Section::TagGroupMembers,
        Section::ClientSnapshots,
        Section::ClientUptimeBuckets,
        Section::DismissedAlerts,
        Section::NotificationTargets,
    ];

    /// The JSON key (also the key in `manifest.counts`).
    pub fn name(self) -> &'static str {
        match self {
            Section::Trackers => "trackers",
            Section::TrackerSnapshots => "trackerSnapshots",
            Section::TrackerRoles => "trackerRoles",
            Section::DownloadClients => "downloadClients",
            Section::TagGroups => "tagGroups",
            Section::TagGroupMembers => "tagGroupMembers",
            Section::ClientSnapshots => "clientSnapshots",
            Section::ClientUptimeBuckets => "clientUptimeBuckets",
            Section::DismissedAlerts => "dismissedAlerts",
            Section::NotificationTargets => "notificationTargets",
        }
    }

    pub fn from_name(name: &str) -> Option<Section> {
        Section::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Required by the original's validator (the other three are optional, for older files).
    pub fn required(self) -> bool {
        !matches!(self, Section::ClientUptimeBuckets | Section::DismissedAlerts | Section::NotificationTargets)
    }
}

/// One record of an array section.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Tracker(Tracker),
    TrackerSnapshot(TrackerSnapshot),
    TrackerRole(TrackerRole),
    DownloadClient(DownloadClient),
    TagGroup(TagGroup),
    TagGroupMember(TagGroupMember),
    ClientSnapshot(ClientSnapshot),
    ClientUptimeBucket(ClientUptimeBucket),
    DismissedAlert(DismissedAlert),
    NotificationTarget(NotificationTarget),
}

impl Record {
    pub(crate) fn from_value(section: Section, v: Value, index: u64) -> Result<Self> {
        Ok(match section {
            Section::Trackers => Record::Tracker(Tracker::from_value(v, index)?),
            Section::TrackerSnapshots => Record::TrackerSnapshot(TrackerSnapshot::from_value(v, index)?),
            Section::TrackerRoles => Record::TrackerRole(TrackerRole::from_value(v, index)?),
            Section::DownloadClients => Record::DownloadClient(DownloadClient::from_value(v, index)?),
            Section::TagGroups => Record::TagGroup(TagGroup::from_value(v, index)?),
            Section::TagGroupMembers => Record::TagGroupMember(TagGroupMember::from_value(v, index)?),
            Section::ClientSnapshots => Record::ClientSnapshot(ClientSnapshot::from_value(v, index)?),
            Section::ClientUptimeBuckets => Record::ClientUptimeBucket(ClientUptimeBucket::from_value(v, index)?),
            Section::DismissedAlerts => Record::DismissedAlert(DismissedAlert::from_value(v, index)?),
            Section::NotificationTargets => Record::NotificationTarget(NotificationTarget::from_value(v, index)?),
        })
    }

    pub fn section(&self) -> Section {
        match self {
            Record::Tracker(_) => Section::Trackers,
            Record::TrackerSnapshot(_) => Section::TrackerSnapshots,
            Record::TrackerRole(_) => Section::TrackerRoles,
            Record::DownloadClient(_) => Section::DownloadClients,
            Record::TagGroup(_) => Section::TagGroups,
            Record::TagGroupMember(_) => Section::TagGroupMembers,
            Record::ClientSnapshot(_) => Section::ClientSnapshots,
            Record::ClientUptimeBucket(_) => Section::ClientUptimeBuckets,
            Record::DismissedAlert(_) => Section::DismissedAlerts,
            Record::NotificationTarget(_) => Section::NotificationTargets,
        }
    }

    /// The sealed secret fields of this record that are set (not `""`), by JSON name, to open
    /// with [`crate::secrets::InstanceKey`].
    pub fn secrets(&self) -> Vec<(&'static str, &str)> {
        let all: Vec<(&'static str, &str)> = match self {
            Record::Tracker(t) => vec![("encryptedApiToken", &t.encrypted_api_token)],
            Record::DownloadClient(c) => {
                vec![("encryptedUsername", &c.encrypted_username), ("encryptedPassword", &c.encrypted_password)]
            }
            Record::NotificationTarget(n) => vec![("encryptedConfig", &n.encrypted_config)],
            _ => vec![],
        };
        all.into_iter().filter(|(_, v)| !v.is_empty()).collect()
    }

    /// The names of the fields the reader did not recognise, nested ones as `thresholds.x`.
    pub fn unknown_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.unknown().keys().cloned().collect();
        if let Record::NotificationTarget(NotificationTarget { thresholds: Some(t), .. }) = self {
            names.extend(t.unknown.keys().map(|k| format!("thresholds.{k}")));
        }
        names
    }

    /// The keys of this record that the reader did not recognise.
    pub fn unknown(&self) -> &Unknown {
        match self {
            Record::Tracker(r) => &r.unknown,
            Record::TrackerSnapshot(r) => &r.unknown,
            Record::TrackerRole(r) => &r.unknown,
            Record::DownloadClient(r) => &r.unknown,
            Record::TagGroup(r) => &r.unknown,
            Record::TagGroupMember(r) => &r.unknown,
            Record::ClientSnapshot(r) => &r.unknown,
            Record::ClientUptimeBucket(r) => &r.unknown,
            Record::DismissedAlert(r) => &r.unknown,
            Record::NotificationTarget(r) => &r.unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bigints_exact_and_bounded() {
        assert_eq!(parse_bigint("0"), Ok(0));
        assert_eq!(parse_bigint("5368709120"), Ok(5_368_709_120));
        assert_eq!(parse_bigint("9223372036854775807"), Ok(i64::MAX as u64));
        assert_eq!(parse_bigint("0009223372036854775807"), Ok(i64::MAX as u64));
        assert_eq!(parse_bigint("9223372036854775808"), Err(true));
        assert_eq!(parse_bigint("18446744073709551616"), Err(true));
        assert_eq!(parse_bigint("99999999999999999999999"), Err(true));
        for bad in ["", "-1", "+1", " 1", "1.0", "0x10", "1e3"] {
            assert_eq!(parse_bigint(bad), Err(false), "{bad:?}");
        }
    }

    #[test]
    fn signed_bigints_carry_negative_buffers_exactly() {
        assert_eq!(parse_signed_bigint("-5368709120"), Ok(-5_368_709_120));
        assert_eq!(parse_signed_bigint("5368709120"), Ok(5_368_709_120));
        assert_eq!(parse_signed_bigint("-9223372036854775807"), Ok(-i64::MAX));
        assert_eq!(parse_signed_bigint("-0"), Ok(0));
        assert_eq!(parse_signed_bigint("-9223372036854775808"), Err(true));
        assert_eq!(parse_signed_bigint("9223372036854775808"), Err(true));
        for bad in ["", "-", "--1", "+1", "- 1", "-1.5"] {
            assert_eq!(parse_signed_bigint(bad), Err(false), "{bad:?}");
        }
        let snap = |buffer: serde_json::Value| {
            TrackerSnapshot::from_value(
                json!({"id": 1, "trackerId": 1, "polledAt": "2026-04-10T03:00:00.000Z", "uploadedBytes": "1", "downloadedBytes": "2", "bufferBytes": buffer}),
                0,
            )
        };
        assert_eq!(snap(json!("-1073741824")).unwrap().buffer_bytes, Some(-1_073_741_824));
        assert!(matches!(snap(json!("-9223372036854775808")), Err(Error::BigintOutOfRange { .. })));
        assert!(matches!(snap(json!(-5)), Err(Error::InvalidField { .. })));
    }

    #[test]
    fn tag_stats_of_the_original_shape_only() {
        let ok = parse_tag_stats(r#"[{"tag":"aither","seedingCount":12,"leechingCount":1,"uploadSpeed":1048576,"downloadSpeed":0.5}]"#).unwrap();
        assert_eq!(ok, [TagStatEntry { tag: "aither".into(), seeding_count: 12, leeching_count: 1, upload_speed: 1_048_576.0, download_speed: 0.5 }]);
        assert_eq!(parse_tag_stats("[]"), Some(vec![]));
        for bad in [
            "not json",
            "{}",
            r#"[{"tag":"x","count":12}]"#,
            r#"[{"tag":"x","seedingCount":-1,"leechingCount":0,"uploadSpeed":0,"downloadSpeed":0}]"#,
            r#"[{"tag":"x","seedingCount":1.5,"leechingCount":0,"uploadSpeed":0,"downloadSpeed":0}]"#,
            r#"[{"tag":"x","seedingCount":1,"leechingCount":0,"uploadSpeed":0,"downloadSpeed":0,"extra":1}]"#,
            r#"[{"tag":"x","seedingCount":9223372036854775808,"leechingCount":0,"uploadSpeed":0,"downloadSpeed":0}]"#,
        ] {
            assert_eq!(parse_tag_stats(bad), None, "{bad}");
        }
    }

    #[test]
    fn bigint_error_names_the_field() {
        let v = json!({"id":1,"trackerId":1,"polledAt":"2026-01-01T00:00:00.000Z","uploadedBytes":"9223372036854775808","downloadedBytes":"0"});
        match TrackerSnapshot::from_value(v, 7) {
            Err(Error::BigintOutOfRange { at, value }) => {
                assert_eq!(at.to_string(), "trackerSnapshots[7].uploadedBytes");
                assert_eq!(value, "9223372036854775808");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn iso_times() {
        let t = parse_iso("2026-04-10T03:00:00.123Z").unwrap();
        assert_eq!(format_iso(&t), "2026-04-10T03:00:00.123Z");
        assert!(parse_iso("2026-04-10T03:00:00Z").is_some());
        assert_eq!(parse_iso("2026-04-10T03:00:00.123456789Z").unwrap().timestamp_subsec_nanos(), 123_456_789);
        for bad in
            ["2026-04-10T03:00:00.123", "2026-04-10 03:00:00Z", "2026-04-10T03:00:00+00:00", "2026-13-10T03:00:00Z", "2026-04-10T03:00:00.Z", "x"]
        {
            assert!(parse_iso(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn base_url_rule_mirrors_the_original() {
        for ok in ["https://tracker.example", "http://1.2.3.4/", "https://[2001:db8::1]/"] {
            assert!(check_base_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ftp://x.example",
            "not a url",
            "http://localhost",
            "http://a.localhost",
            "http://box.local",
            "http://127.1",
            "http://10.0.0.1",
            "http://172.16.0.1",
            "http://192.168.1.1",
            "http://169.254.1.1",
            "http://100.64.0.1",
            "http://0.0.0.0",
            "http://[::1]",
            "http://[fd00::1]",
            "http://[fe80::1]",
            "http://[::ffff:127.0.0.1]",
            "http://2130706433",
        ] {
            assert!(check_base_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cross_seed_tags_in_both_forms() {
        let base = json!({"id":1,"host":"h","port":8080,"encryptedUsername":"","encryptedPassword":""});
        let mut a = base.clone();
        a["crossSeedTags"] = json!(["x", "y"]);
        let mut b = base.clone();
        b["crossSeedTags"] = json!("[\"x\",\"y\"]");
        assert_eq!(DownloadClient::from_value(a, 0).unwrap().cross_seed_tags, vec!["x", "y"]);
        assert_eq!(DownloadClient::from_value(b, 0).unwrap().cross_seed_tags, vec!["x", "y"]);
        let mut c = base;
        c["port"] = json!(0);
        assert!(matches!(DownloadClient::from_value(c, 0), Err(Error::InvalidField { .. })));
    }

    #[test]
    fn unknown_fields_are_kept_by_name() {
        let v = json!({"id":1,"trackerId":2,"roleName":"Power User","achievedAt":"2026-01-01T00:00:00.000Z","notes":null,"futureField":42});
        let r = TrackerRole::from_value(v, 0).unwrap();
        assert_eq!(r.unknown.get("futureField"), Some(&json!(42)));
    }

    #[test]
    fn the_first_bad_field_in_reading_order_is_the_one_named() {
        // A `where` rule runs right after its field, before the fields after it are read.
        let v = json!({"id":1,"name":"","baseUrl":"not a url","encryptedApiToken":"","color":"blue"});
        match Tracker::from_value(v, 2) {
            Err(Error::InvalidField { at, .. }) => assert_eq!(at.to_string(), "trackers[2].name"),
            other => panic!("{other:?}"),
        }
        // A `then` rule runs after every field: a later field's type error comes first.
        let v = json!({"id":1,"name":"T","baseUrl":"https://t.example","encryptedApiToken":"","color":"blue","isFavorite":"yes"});
        match Tracker::from_value(v, 0) {
            Err(Error::InvalidField { at, .. }) => assert_eq!(at.to_string(), "trackers[0].isFavorite"),
            other => panic!("{other:?}"),
        }
        let v = json!({"id":1,"host":"h","port":0,"encryptedUsername":"","encryptedPassword":"","createdAt":"x"});
        match DownloadClient::from_value(v, 0) {
            Err(Error::InvalidField { at, .. }) => assert_eq!(at.to_string(), "downloadClients[0].createdAt"),
            other => panic!("{other:?}"),
        }
        // Nested thresholds keys are named under their object; unknown keys are kept.
        let base = json!({"id":1,"name":"n","type":"discord","encryptedConfig":"","thresholds":{"ratioDropDelta":"x"}});
        match NotificationTarget::from_value(base, 4) {
            Err(Error::InvalidField { at, .. }) => assert_eq!(at.to_string(), "notificationTargets[4].thresholds.ratioDropDelta"),
            other => panic!("{other:?}"),
        }
        let ok = json!({"id":1,"name":"n","type":"discord","encryptedConfig":"","thresholds":{"ratioDropDelta":0.5,"later":1},"extra":true});
        let n = NotificationTarget::from_value(ok, 0).unwrap();
        assert_eq!(n.thresholds.as_ref().and_then(|t| t.ratio_drop_delta), Some(0.5));
        assert_eq!(Record::NotificationTarget(n).unknown_names(), ["extra", "thresholds.later"]);
    }

    #[test]
    fn tracker_rules() {
        let ok = json!({"id":1,"name":"T","baseUrl":"https://t.example","encryptedApiToken":"","color":"#0af"});
        let t = Tracker::from_value(ok.clone(), 0).unwrap();
        assert!(t.is_active && t.api_path == "/api/user" && t.platform_type == "unit3d");
        for (k, v) in [("name", json!("")), ("name", json!("x".repeat(101))), ("color", json!("blue")), ("baseUrl", json!("http://localhost:3000"))] {
            let mut bad = ok.clone();
            bad[k] = v;
            assert!(matches!(Tracker::from_value(bad, 3), Err(Error::InvalidField { .. })), "{k}");
        }
        let mut no_token = ok;
        no_token.as_object_mut().unwrap().remove("encryptedApiToken");
        assert!(Tracker::from_value(no_token, 0).is_err());
    }
}
