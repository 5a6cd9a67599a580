//! Off-site backup locations (Settings → Backups → Locations): S3-compatible object storage and
//! WebDAV folders, each with its own retention policy, and the state of every backup's copy in
//! each. The credentials (the S3 secret key, the WebDAV password) are sealed on the server and
//! never sent to the browser: views carry `has_secret`.

use super::SecretUpdate;
use crate::validate::{self, invalid, Checked};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a location's backups go, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LocationTarget {
    S3(S3Target),
    Webdav(WebdavTarget),
}

/// An S3-compatible bucket (AWS S3, Backblaze B2, MinIO, Garage, Wasabi, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct S3Target {
    /// The service's address, e.g. `https://s3.eu-central-1.amazonaws.com` or `http://nas:9000`.
    pub endpoint: String,
    pub region: String,
    pub bucket: String,
    /// Key prefix ("folder") inside the bucket, without leading or trailing slash; "" = the top.
    #[serde(default)]
    pub prefix: String,
    pub access_key_id: String,
    /// Path-style addressing (`endpoint/bucket/key`, what MinIO and Garage need) instead of
    /// virtual-hosted style (`bucket.endpoint/key`).
    #[serde(default)]
    pub path_style: bool,
}

/// A WebDAV folder (Nextcloud, ownCloud, a NAS, `rclone serve webdav`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebdavTarget {
    /// The folder's address; backups are written directly inside it.
    pub url: String,
    /// None: the server asks for no login.
    #[serde(default)]
    pub username: Option<String>,
}

impl LocationTarget {
    pub fn kind(&self) -> &'static str {
        match self {
            LocationTarget::S3(_) => "s3",
            LocationTarget::Webdav(_) => "webdav",
        }
    }

    /// Where backups go, for people (never with a secret): `s3://bucket/prefix at endpoint` or the folder URL.
    pub fn describe(&self) -> String {
        match self {
            LocationTarget::S3(s) => {
                let path = if s.prefix.is_empty() { s.bucket.clone() } else { format!("{}/{}", s.bucket, s.prefix) };
                format!("s3://{path} at {}", s.endpoint)
            }
            LocationTarget::Webdav(w) => w.url.clone(),
        }
    }

    /// Two locations with the same identity write to the same place (and would prune each
    /// other's backups): the endpoint, bucket and prefix, or the folder URL, compared loosely
    /// (case of scheme and host, a trailing slash).
    pub fn identity(&self) -> String {
        let url = |u: &str| {
            let u = u.trim().trim_end_matches('/');
            match u.split_once("://") {
                Some((scheme, rest)) => {
                    let (host, path) = rest.split_once('/').map(|(h, p)| (h, format!("/{p}"))).unwrap_or((rest, String::new()));
                    format!("{}://{}{}", scheme.to_ascii_lowercase(), host.to_ascii_lowercase(), path)
                }
                None => u.to_string(),
            }
        };
        match self {
            LocationTarget::S3(s) => format!("s3 {} {} {}", url(&s.endpoint), s.bucket, s.prefix),
            LocationTarget::Webdav(w) => format!("webdav {}", url(&w.url)),
        }
    }

    /// Whom the stored secret may be sent to: the server (scheme, host and port of the endpoint
    /// or folder URL) and, for S3, the bucket. A form that changes it must give the secret again,
    /// so a changed address can never carry the stored one to another server.
    pub fn secret_audience(&self) -> String {
        fn origin(u: &str) -> String {
            let u = u.trim();
            let Some((scheme, rest)) = u.split_once("://") else { return u.to_ascii_lowercase() };
            let scheme = scheme.to_ascii_lowercase();
            let authority = rest.split(['/', '?', '#']).next().unwrap_or("").to_ascii_lowercase();
            // The port, explicit or the scheme's own (an IPv6 host is in brackets).
            let (host, port) = match authority.rsplit_once(':') {
                Some((h, p)) if !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()) && !p.contains(']') => (h.to_string(), p.to_string()),
                _ => (authority.clone(), if scheme == "https" { "443".into() } else { "80".into() }),
            };
            let port = port.trim_start_matches('0');
            format!("{scheme}://{host}:{}", if port.is_empty() { "0" } else { port })
        }
        match self {
            LocationTarget::S3(s) => format!("s3 {} {}", origin(&s.endpoint), s.bucket),
            LocationTarget::Webdav(w) => format!("webdav {}", origin(&w.url)),
        }
    }

    /// Whether the secret (S3 secret key, WebDAV password) is needed.
    pub fn needs_secret(&self) -> bool {
        match self {
            LocationTarget::S3(_) => true,
            LocationTarget::Webdav(w) => w.username.is_some(),
        }
    }

    /// The secret's name in sentences and its form field.
    pub fn secret_label(&self) -> (&'static str, &'static str) {
        match self {
            LocationTarget::S3(_) => ("secret key", "secret_key"),
            LocationTarget::Webdav(_) => ("password", "password"),
        }
    }

    pub fn validate(&self) -> Checked<LocationTarget> {
        match self {
            LocationTarget::S3(s) => Ok(LocationTarget::S3(S3Target {
                endpoint: endpoint_url("endpoint", "Endpoint", &s.endpoint)?,
                region: region(&s.region)?,
                bucket: bucket(&s.bucket)?,
                prefix: prefix(&s.prefix)?,
                access_key_id: access_key_id(&s.access_key_id)?,
                path_style: s.path_style,
            })),
            LocationTarget::Webdav(w) => Ok(LocationTarget::Webdav(WebdavTarget {
                url: endpoint_url("url", "Folder URL", &w.url)?,
                username: validate::optional_text("username", "Username", w.username.as_deref(), 200)?,
            })),
        }
    }
}

/// An http(s) address without credentials, query or fragment, stored without a trailing slash.
fn endpoint_url(field: &str, label: &str, value: &str) -> Checked<String> {
    let v = validate::http_url(field, label, value)?;
    let rest = v.split_once("://").map(|(_, r)| r).unwrap_or("");
    let authority = rest.split('/').next().unwrap_or("");
    if authority.contains('@') {
        return Err(invalid(field, format!("{label} may not hold a user name or password: put them in their own fields.")));
    }
    if v.contains(['?', '#']) {
        return Err(invalid(field, format!("{label} may not have a query (?…) or fragment (#…).")));
    }
    Ok(v.trim_end_matches('/').to_string())
}

fn region(value: &str) -> Checked<String> {
    let v = validate::text("region", "Region", value, 1, 64)?;
    if !v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_')) {
        return Err(invalid("region", "Region may hold only letters, digits, \"-\" and \"_\" (for example eu-central-1, or us-east-1 for MinIO)."));
    }
    Ok(v)
}

/// S3's bucket naming rules (3–63 lower-case letters, digits, dots and hyphens, starting and
/// ending with a letter or digit).
fn bucket(value: &str) -> Checked<String> {
    let v = value.trim();
    let n = v.chars().count();
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let ok = (3..=63).contains(&n)
        && v.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-'))
        && edge(v.chars().next())
        && edge(v.chars().last())
        && !v.contains("..");
    if !ok {
        return Err(invalid(
            "bucket",
            "Bucket must be an S3 bucket name: 3 to 63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit.",
        ));
    }
    Ok(v.to_string())
}

/// A key prefix: "/"-separated parts of letters, digits, "-", "_" and "."; slashes at either end dropped.
fn prefix(value: &str) -> Checked<String> {
    let v = value.trim().trim_matches('/');
    if v.is_empty() {
        return Ok(String::new());
    }
    if v.chars().count() > 512 {
        return Err(invalid("prefix", "Prefix can be at most 512 characters."));
    }
    for part in v.split('/') {
        let ok = !part.is_empty() && part != "." && part != ".." && part.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !ok {
            return Err(invalid(
                "prefix",
                "Prefix must be folder names made of letters, digits, \"-\", \"_\" and \".\", separated by \"/\" (for example tracker-tracker or backups/tt).",
            ));
        }
    }
    Ok(v.to_string())
}

fn access_key_id(value: &str) -> Checked<String> {
    let v = validate::text("access_key_id", "Access key id", value, 1, 128)?;
    if v.chars().any(char::is_whitespace) {
        return Err(invalid("access_key_id", "Access key id cannot contain spaces."));
    }
    Ok(v)
}

/// Which backups a location (or the local storage path) keeps. Whatever the policy, the newest
/// verified backup and pinned backups are never deleted, nor anything this app did not write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum RetentionPolicy {
    /// The newest `count` backups.
    KeepLast { count: i64 },
    /// The newest `last`, plus the newest backup of each of the `daily` most recent days that
    /// have one, of the `weekly` most recent ISO weeks, and of the `monthly` most recent months
    /// (restic's `--keep-last/-daily/-weekly/-monthly`; days, weeks and months in the server's
    /// time zone).
    Calendar { last: i64, daily: i64, weekly: i64, monthly: i64 },
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        RetentionPolicy::KeepLast { count: 14 }
    }
}

impl RetentionPolicy {
    pub fn validate(&self) -> Checked<RetentionPolicy> {
        match *self {
            RetentionPolicy::KeepLast { count } => {
                Ok(RetentionPolicy::KeepLast { count: validate::int_range("retention.count", "Backups to keep", count, 1, 365)? })
            }
            RetentionPolicy::Calendar { last, daily, weekly, monthly } => {
                let p = RetentionPolicy::Calendar {
                    last: validate::int_range("retention.last", "Last backups to keep", last, 0, 365)?,
                    daily: validate::int_range("retention.daily", "Days with one backup each", daily, 0, 366)?,
                    weekly: validate::int_range("retention.weekly", "Weeks with one backup each", weekly, 0, 520)?,
                    monthly: validate::int_range("retention.monthly", "Months with one backup each", monthly, 0, 240)?,
                };
                if last + daily + weekly + monthly == 0 {
                    return Err(invalid(
                        "retention.last",
                        "A calendar policy must keep something: set at least one of last, days, weeks or months above 0.",
                    ));
                }
                Ok(p)
            }
        }
    }

    /// For people: "the last 14" or "the last 3, 7 daily, 4 weekly, 12 monthly".
    pub fn describe(&self) -> String {
        match *self {
            RetentionPolicy::KeepLast { count } => format!("the last {count}"),
            RetentionPolicy::Calendar { last, daily, weekly, monthly } => {
                format!("the last {last}, one a day for {daily} days, one a week for {weekly} weeks, one a month for {monthly} months")
            }
        }
    }
}

/// A location's settings, as the form edits them (the secret apart).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocationSettings {
    pub name: String,
    pub enabled: bool,
    /// Upload only encrypted backups here: a plain backup is encrypted with the backup password
    /// first (no password set: this location's upload fails and says how to fix it).
    #[serde(default = "yes")]
    pub require_encryption: bool,
    #[serde(default)]
    pub retention: RetentionPolicy,
    pub target: LocationTarget,
}

fn yes() -> bool {
    true
}

impl LocationSettings {
    pub fn validate(&self) -> Checked<LocationSettings> {
        Ok(LocationSettings {
            name: validate::text("name", "Name", &self.name, 1, 100)?,
            enabled: self.enabled,
            require_encryption: self.require_encryption,
            retention: self.retention.validate()?,
            target: self.target.validate()?,
        })
    }
}

/// Creates (`id` None) or updates a location. `secret`: the S3 secret key or WebDAV password
/// (kept when not given, as every stored secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocationInput {
    #[serde(default)]
    pub id: Option<i64>,
    pub settings: LocationSettings,
    #[serde(default)]
    pub secret: SecretUpdate,
}

/// A location as the page shows it. Never carries the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocationView {
    pub id: i64,
    pub settings: LocationSettings,
    pub has_secret: bool,
    /// Why it is off, when the app turned it off (credentials cleared by a restore).
    pub disabled_reason: Option<String>,
    /// Where its backups go, for people.
    pub destination: String,
    /// The latest copy of a backup made there.
    pub last_copy: Option<RemoteCopy>,
    /// Failed uploads in a row (0 after a verified one).
    pub failure_streak: i64,
}

/// Where a backup's copy in a location stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "sqlx", derive(sqlx::Type))]
#[cfg_attr(feature = "sqlx", sqlx(rename_all = "snake_case"))]
#[serde(rename_all = "snake_case")]
pub enum CopyStatus {
    /// Being uploaded.
    Uploading,
    /// An attempt failed with a fault that may pass; another follows after a pause.
    Retrying,
    /// Uploaded; being read back.
    Uploaded,
    /// Uploaded, read back, and its SHA-256 equals the local file's.
    Verified,
    /// Given up for this run, with the reason.
    Failed,
}

impl CopyStatus {
    pub const ALL: [CopyStatus; 5] = [CopyStatus::Uploading, CopyStatus::Retrying, CopyStatus::Uploaded, CopyStatus::Verified, CopyStatus::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            CopyStatus::Uploading => "uploading",
            CopyStatus::Retrying => "retrying",
            CopyStatus::Uploaded => "uploaded",
            CopyStatus::Verified => "verified",
            CopyStatus::Failed => "failed",
        }
    }
}

/// A backup's copy in one location (the History shows one per location).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteCopy {
    pub id: i64,
    pub location_id: i64,
    pub location_name: String,
    /// The history entry of the local backup it copies (None once that is deleted locally).
    pub history_id: Option<i64>,
    /// The object's key (S3, prefix included) or its path inside the WebDAV folder.
    pub remote_key: String,
    pub backup_created_at: DateTime<Utc>,
    pub encrypted: bool,
    pub size_bytes: Option<i64>,
    pub sha256: Option<String>,
    pub status: CopyStatus,
    pub attempts: i64,
    /// Why it failed (or why the last attempt did, while retrying).
    pub error: Option<String>,
    pub pinned: bool,
    pub updated_at: DateTime<Utc>,
    pub verified_at: Option<DateTime<Utc>>,
}

/// What kind of file a remote object is, from its first bytes (or its name when unread).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemoteKind {
    Plain,
    Encrypted,
    /// Its first bytes are neither: not a backup, or damaged.
    Unreadable,
}

/// A backup found in a location (written by this instance or another one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteBackup {
    /// The object's key / path in the location (what restoring from it names).
    pub key: String,
    pub file_name: String,
    pub size_bytes: i64,
    pub modified_at: Option<DateTime<Utc>>,
    pub kind: RemoteKind,
    /// When the backup was made: from its header when it could be read, else from its name.
    pub created_at: Option<DateTime<Utc>>,
    /// The instance that wrote it (`instance_url` of its header), when known: a plain backup's
    /// header is read with a ranged request; an encrypted one's is inside the encryption, so
    /// it is known only for copies this instance uploaded.
    pub instance_url: Option<String>,
    pub app_version: Option<String>,
    /// Where `created_at`/`instance_url` come from: "header" (read from the object), "record"
    /// (this instance's record of its upload) or "name" (the time in the file name only).
    pub described_by: String,
    /// This instance's copy record, when it uploaded it.
    pub copy: Option<RemoteCopy>,
}

/// One step of "Test connection" and how it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestStep {
    pub step: String,
    pub ok: bool,
    pub message: String,
}

/// What kind of failure a remote operation met (the page can show advice per kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemoteProblem {
    /// The host name does not resolve.
    Dns,
    /// Nothing answers at the address (refused, unreachable, timed out).
    Connection,
    /// The https connection failed (not a TLS port, untrusted certificate, …).
    Tls,
    /// The access key / secret or the user name / password are refused.
    Credentials,
    /// The bucket or folder does not exist.
    Missing,
    /// The credentials work but may not do this (write, read or delete).
    Permission,
    /// The server answered something this app did not expect.
    Protocol,
    /// The read-back object differs from the local file.
    Corrupted,
}

/// The outcome of "Test connection": write, read back and delete a probe object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionTest {
    pub ok: bool,
    /// One sentence: "Connected: wrote, read back and deleted a test object." or what failed.
    pub message: String,
    pub problem: Option<RemoteProblem>,
    pub steps: Vec<TestStep>,
}

/// Which of a location's backups a policy would keep and delete (before saving it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionPreview {
    pub policy: RetentionPolicy,
    pub keep: Vec<RetentionItem>,
    pub delete: Vec<RetentionItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionItem {
    /// The copy's id in a location; the history entry's id for the storage path.
    pub id: i64,
    pub file_name: String,
    pub created_at: DateTime<Utc>,
    /// Why it stays: "last", "daily", "weekly", "monthly", "newest verified", "pinned", or empty when deleted.
    pub reasons: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s3() -> LocationTarget {
        LocationTarget::S3(S3Target {
            endpoint: "https://s3.eu-central-1.amazonaws.com/".into(),
            region: "eu-central-1".into(),
            bucket: "my-backups".into(),
            prefix: "/tracker-tracker/".into(),
            access_key_id: "AKIAEXAMPLE".into(),
            path_style: false,
        })
    }

    fn settings(target: LocationTarget) -> LocationSettings {
        LocationSettings { name: " Offsite ".into(), enabled: true, require_encryption: true, retention: RetentionPolicy::default(), target }
    }

    #[test]
    fn a_valid_location_is_normalised() {
        let s = settings(s3()).validate().unwrap();
        assert_eq!(s.name, "Offsite");
        let LocationTarget::S3(t) = &s.target else { panic!() };
        assert_eq!((t.endpoint.as_str(), t.prefix.as_str()), ("https://s3.eu-central-1.amazonaws.com", "tracker-tracker"));
        assert_eq!(s.target.describe(), "s3://my-backups/tracker-tracker at https://s3.eu-central-1.amazonaws.com");
        let w = settings(LocationTarget::Webdav(WebdavTarget {
            url: "https://cloud.example/remote.php/dav/files/me/tt/".into(),
            username: Some("me".into()),
        }));
        let w = w.validate().unwrap();
        assert_eq!(w.target.describe(), "https://cloud.example/remote.php/dav/files/me/tt");
        assert!(w.target.needs_secret());
        let anon = LocationTarget::Webdav(WebdavTarget { url: "http://nas:8080/dav".into(), username: Some("  ".into()) }).validate().unwrap();
        assert!(!anon.needs_secret(), "an empty user name is no login");
    }

    #[test]
    fn each_bad_field_is_named_with_a_sentence() {
        let with = |f: &dyn Fn(&mut S3Target)| {
            let LocationTarget::S3(mut t) = s3() else { unreachable!() };
            f(&mut t);
            LocationTarget::S3(t).validate().unwrap_err()
        };
        assert_eq!(with(&|t| t.endpoint = "s3.amazonaws.com".into()).field, "endpoint");
        let e = with(&|t| t.endpoint = "https://key:secret@s3.example".into());
        assert_eq!(
            (e.field.as_str(), e.message.as_str()),
            ("endpoint", "Endpoint may not hold a user name or password: put them in their own fields.")
        );
        assert_eq!(with(&|t| t.endpoint = "https://s3.example/?x=1".into()).field, "endpoint");
        assert_eq!(with(&|t| t.region = "eu central".into()).field, "region");
        assert_eq!(with(&|t| t.region = "".into()).message, "Region is required.");
        for b in ["ab", "My-Bucket", "-bucket", "bucket-", "a..b", "under_score"] {
            assert_eq!(with(&|t| t.bucket = b.into()).field, "bucket", "{b}");
        }
        for p in ["a//b", "a/../b", "a b", "ü"] {
            assert_eq!(with(&|t| t.prefix = p.into()).field, "prefix", "{p}");
        }
        assert_eq!(with(&|t| t.access_key_id = "AKIA X".into()).field, "access_key_id");
        let mut s = settings(s3());
        s.name = "".into();
        assert_eq!(s.validate().unwrap_err().message, "Name is required.");
    }

    #[test]
    fn retention_policies_have_bounds_and_must_keep_something() {
        assert_eq!(RetentionPolicy::KeepLast { count: 0 }.validate().unwrap_err().field, "retention.count");
        assert_eq!(RetentionPolicy::KeepLast { count: 366 }.validate().unwrap_err().field, "retention.count");
        assert!(RetentionPolicy::KeepLast { count: 365 }.validate().is_ok());
        let cal = |last, daily, weekly, monthly| RetentionPolicy::Calendar { last, daily, weekly, monthly }.validate();
        assert!(cal(0, 7, 0, 0).is_ok());
        assert_eq!(cal(0, 0, 0, 0).unwrap_err().field, "retention.last");
        assert_eq!(cal(0, 0, 521, 0).unwrap_err().field, "retention.weekly");
        assert_eq!(cal(-1, 7, 0, 0).unwrap_err().field, "retention.last");
    }

    #[test]
    fn identity_ignores_case_of_the_host_and_a_trailing_slash() {
        let a = LocationTarget::Webdav(WebdavTarget { url: "https://Cloud.Example/dav/TT/".into(), username: None });
        let b = LocationTarget::Webdav(WebdavTarget { url: "https://cloud.example/dav/TT".into(), username: Some("x".into()) });
        let c = LocationTarget::Webdav(WebdavTarget { url: "https://cloud.example/dav/tt".into(), username: None });
        assert_eq!(a.identity(), b.identity());
        assert_ne!(a.identity(), c.identity(), "paths are case-sensitive");
    }

    #[test]
    fn the_secret_audience_is_the_server_and_the_bucket() {
        let t = s3();
        let a = t.secret_audience();
        let with = |f: &dyn Fn(&mut S3Target)| {
            let LocationTarget::S3(mut s) = t.clone() else { unreachable!() };
            f(&mut s);
            LocationTarget::S3(s).secret_audience()
        };
        // The same server: case, an explicit default port, another prefix or region.
        assert_eq!(with(&|s| s.endpoint = s.endpoint.to_uppercase().replace("HTTPS", "https")), a);
        assert_eq!(with(&|s| s.prefix = "elsewhere".into()), a);
        assert_eq!(with(&|s| s.region = "us-east-1".into()), a);
        // Another server or bucket.
        assert_ne!(with(&|s| s.endpoint = "https://s3.example.net".into()), a);
        assert_ne!(with(&|s| s.endpoint = "https://s3.eu-central-1.amazonaws.com:8443".into()), a);
        assert_eq!(with(&|s| s.endpoint = "https://s3.eu-central-1.amazonaws.com:443/".into()), a);
        assert_ne!(with(&|s| s.endpoint = s.endpoint.replace("https", "http")), a);
        assert_ne!(with(&|s| s.bucket = "other-bucket".into()), a);
        let dav = |url: &str| LocationTarget::Webdav(WebdavTarget { url: url.into(), username: Some("me".into()) }).secret_audience();
        assert_eq!(dav("https://nas.example:443/dav/a"), dav("https://NAS.example/dav/b"));
        assert_eq!(dav("http://127.0.0.1:8080/x"), "webdav http://127.0.0.1:8080");
        assert_ne!(dav("http://127.0.0.1:8080/x"), dav("http://127.0.0.1:8081/x"));
        assert_ne!(dav("http://[::1]:8080/x"), dav("http://[::1]:8081/x"));
        assert_eq!(dav("http://[::1]/x"), "webdav http://[::1]:80");
    }

    #[test]
    fn wire_form_is_tagged_and_old_fields_default() {
        let json = serde_json::json!({"name": "B2", "enabled": true,
            "target": {"kind": "s3", "endpoint": "https://s3.us-west-004.backblazeb2.com", "region": "us-west-004", "bucket": "bkt", "access_key_id": "k"}});
        let s: LocationSettings = serde_json::from_value(json).unwrap();
        assert!(s.require_encryption, "encryption is required by default");
        assert_eq!(s.retention, RetentionPolicy::KeepLast { count: 14 });
        let back = serde_json::to_value(&s).unwrap();
        assert_eq!(back["target"]["kind"], "s3");
        assert_eq!(back["retention"], serde_json::json!({"mode": "keep_last", "count": 14}));
    }
}
