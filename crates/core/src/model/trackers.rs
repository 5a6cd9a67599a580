//! Trackers, their upload/download history (snapshots) and class history (roles).

use super::SecretUpdate;
use crate::validate::{self, Checked};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// The platforms a tracker can be on. `digitalcore` takes a token that is the JSON text
/// `{"uid","pass"}` (as the original app's); `custom` is a tracker no platform adapter reads: its
/// history is what is added by hand or imported.
pub const PLATFORMS: [&str; 8] = ["unit3d", "gazelle", "ggn", "nebulance", "mam", "avistaz", "digitalcore", "custom"];

fn yes() -> bool {
    true
}

/// A tracker's configuration: what the form edits and what a backup carries (no secret, no
/// runtime state).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackerConfig {
    pub name: String,
    pub base_url: String,
    pub platform: String,
    #[serde(default)]
    pub api_path: String,
    pub color: String,
    #[serde(default)]
    pub client_tag: Option<String>,
    pub is_active: bool,
    pub is_favorite: bool,
    pub sort_order: i64,
    #[serde(default)]
    pub joined_at: Option<NaiveDate>,
    /// Requests for this tracker go through the proxy of Settings → General when it is on.
    /// Absent (backups and requests from before this field): true, as every tracker did then.
    #[serde(default = "yes")]
    pub use_proxy: bool,
    /// The person's user id on the tracker.
    #[serde(default)]
    pub remote_user_id: Option<i64>,
    /// The person's profile page on the tracker (http or https).
    #[serde(default)]
    pub profile_url: Option<String>,
    /// Count cross-seeded torrents towards the tracker's unsatisfied downloads.
    #[serde(default)]
    pub count_cross_seed_unsatisfied: bool,
    /// The last day the person was seen on the tracker.
    #[serde(default)]
    pub last_access_at: Option<NaiveDate>,
}

impl TrackerConfig {
    /// Checks every field; returns the normalised config (trimmed, lower-case colour).
    pub fn validate(&self) -> Checked<TrackerConfig> {
        Ok(TrackerConfig {
            name: validate::text("name", "Name", &self.name, 1, 100)?,
            base_url: validate::http_url("base_url", "Base URL", &self.base_url)?,
            platform: validate::one_of("platform", "Platform", &self.platform, &PLATFORMS)?,
            api_path: validate::optional_text("api_path", "API path", Some(&self.api_path), 500)?.unwrap_or_default(),
            color: validate::hex_color("color", "Colour", &self.color)?,
            client_tag: validate::optional_text("client_tag", "Client tag", self.client_tag.as_deref(), 100)?,
            is_active: self.is_active,
            is_favorite: self.is_favorite,
            sort_order: validate::int_range("sort_order", "Sort order", self.sort_order, -1_000_000, 1_000_000)?,
            joined_at: self.joined_at,
            use_proxy: self.use_proxy,
            remote_user_id: match self.remote_user_id {
                Some(v) => Some(validate::int_range("remote_user_id", "Remote user id", v, 1, i64::MAX)?),
                None => None,
            },
            profile_url: match self.profile_url.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(u) => Some(validate::http_url("profile_url", "Profile URL", u)?),
            },
            count_cross_seed_unsatisfied: self.count_cross_seed_unsatisfied,
            last_access_at: self.last_access_at,
        })
    }

    pub fn new_default() -> Self {
        TrackerConfig {
            name: String::new(),
            base_url: String::new(),
            platform: "unit3d".into(),
            api_path: String::new(),
            color: "#3b82f6".into(),
            client_tag: None,
            is_active: true,
            is_favorite: false,
            sort_order: 0,
            joined_at: None,
            use_proxy: true,
            remote_user_id: None,
            profile_url: None,
            count_cross_seed_unsatisfied: false,
            last_access_at: None,
        }
    }
}

/// Create (id None) or update a tracker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackerInput {
    pub id: Option<i64>,
    pub config: TrackerConfig,
    #[serde(default)]
    pub api_token: SecretUpdate,
}

/// A tracker as the pages see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackerView {
    pub id: i64,
    pub config: TrackerConfig,
    pub has_api_token: bool,
    /// Why the tracker is not polled (e.g. its token was cleared by a restore).
    pub disabled_reason: Option<String>,
    /// Since when the person has paused it (Pause on its page); None: not paused.
    pub paused_at: Option<DateTime<Utc>>,
    pub last_polled_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub latest: Option<Snapshot>,
}

/// One point of a tracker's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub id: i64,
    pub tracker_id: i64,
    pub polled_at: DateTime<Utc>,
    pub uploaded_bytes: i64,
    pub downloaded_bytes: i64,
    pub ratio: Option<f64>,
    pub buffer_bytes: Option<i64>,
    pub seeding_count: Option<i64>,
    pub leeching_count: Option<i64>,
    pub seed_bonus: Option<f64>,
    pub hit_and_runs: Option<i64>,
    pub required_ratio: Option<f64>,
    pub warned: bool,
    pub freeleech_tokens: Option<i64>,
    /// The share score some trackers report (GazelleGames). Absent in older backups: null.
    #[serde(default)]
    pub share_score: Option<f64>,
    pub username: Option<String>,
    pub group_name: Option<String>,
    pub is_manual: bool,
}

impl Snapshot {
    /// Checks the measured values (ids are checked by the caller).
    pub fn validate(&self) -> Checked<()> {
        use validate::{non_negative as nn, non_negative_f64 as nnf};
        nn("uploaded_bytes", "Uploaded bytes", self.uploaded_bytes)?;
        nn("downloaded_bytes", "Downloaded bytes", self.downloaded_bytes)?;
        if let Some(v) = self.ratio {
            nnf("ratio", "Ratio", v)?;
        }
        if let Some(v) = self.seeding_count {
            nn("seeding_count", "Seeding count", v)?;
        }
        if let Some(v) = self.leeching_count {
            nn("leeching_count", "Leeching count", v)?;
        }
        if let Some(v) = self.seed_bonus {
            nnf("seed_bonus", "Seed bonus", v)?;
        }
        if let Some(v) = self.hit_and_runs {
            nn("hit_and_runs", "Hit-and-runs", v)?;
        }
        if let Some(v) = self.required_ratio {
            nnf("required_ratio", "Required ratio", v)?;
        }
        if let Some(v) = self.freeleech_tokens {
            nn("freeleech_tokens", "Freeleech tokens", v)?;
        }
        if let Some(v) = self.share_score {
            // No sign rule: the trackers that report it do not document one.
            if !v.is_finite() {
                return Err(validate::invalid("share_score", format!("Share score must be a number (got {v}).")));
            }
        }
        if let Some(v) = self.buffer_bytes {
            // Buffer is uploaded − downloaded / required ratio: it can be negative, but not absurd.
            if v == i64::MIN {
                return Err(validate::invalid("buffer_bytes", "Buffer is out of range."));
            }
        }
        validate::optional_text("username", "Username", self.username.as_deref(), 200)?;
        validate::optional_text("group_name", "Group", self.group_name.as_deref(), 200)?;
        Ok(())
    }
}

/// The manual-snapshot form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManualSnapshotInput {
    pub tracker_id: i64,
    /// None = now.
    pub polled_at: Option<DateTime<Utc>>,
    pub uploaded_bytes: i64,
    pub downloaded_bytes: i64,
    pub seeding_count: Option<i64>,
    pub leeching_count: Option<i64>,
    pub seed_bonus: Option<f64>,
    pub hit_and_runs: Option<i64>,
    pub freeleech_tokens: Option<i64>,
    pub required_ratio: Option<f64>,
    pub warned: bool,
    pub username: Option<String>,
    pub group_name: Option<String>,
}

impl ManualSnapshotInput {
    /// The snapshot this input describes (ratio and buffer are derived), validated.
    pub fn to_snapshot(&self, now: DateTime<Utc>) -> Checked<Snapshot> {
        let ratio = if self.downloaded_bytes > 0 { Some(self.uploaded_bytes as f64 / self.downloaded_bytes as f64) } else { None };
        let required = self.required_ratio.unwrap_or(1.0);
        let buffer = if required > 0.0 { Some(self.uploaded_bytes.saturating_sub((self.downloaded_bytes as f64 * required) as i64)) } else { None };
        let polled_at = self.polled_at.unwrap_or(now);
        if polled_at > now + chrono::Duration::minutes(5) {
            return Err(validate::invalid("polled_at", "The snapshot time cannot be in the future."));
        }
        let s = Snapshot {
            id: 0,
            tracker_id: self.tracker_id,
            polled_at,
            uploaded_bytes: self.uploaded_bytes,
            downloaded_bytes: self.downloaded_bytes,
            ratio,
            buffer_bytes: buffer,
            seeding_count: self.seeding_count,
            leeching_count: self.leeching_count,
            seed_bonus: self.seed_bonus,
            hit_and_runs: self.hit_and_runs,
            required_ratio: self.required_ratio,
            warned: self.warned,
            freeleech_tokens: self.freeleech_tokens,
            share_score: None,
            username: self.username.clone().filter(|s| !s.trim().is_empty()),
            group_name: self.group_name.clone().filter(|s| !s.trim().is_empty()),
            is_manual: true,
        };
        s.validate()?;
        Ok(s)
    }
}

/// A class (rank) the person reached on a tracker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackerRole {
    pub id: i64,
    pub tracker_id: i64,
    pub role_name: String,
    pub achieved_at: DateTime<Utc>,
    pub notes: Option<String>,
}

impl TrackerRole {
    pub fn validate(&self) -> Checked<()> {
        validate::text("role_name", "Role name", &self.role_name, 1, 100)?;
        validate::optional_text("notes", "Notes", self.notes.as_deref(), 2000)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> TrackerConfig {
        TrackerConfig { name: "Aither".into(), base_url: "https://aither.cc".into(), ..TrackerConfig::new_default() }
    }

    #[test]
    fn tracker_rules() {
        assert!(config().validate().is_ok());
        let bad = |f: fn(&mut TrackerConfig)| {
            let mut c = config();
            f(&mut c);
            c.validate().unwrap_err().field
        };
        assert_eq!(bad(|c| c.name = "".into()), "name");
        assert_eq!(bad(|c| c.name = "x".repeat(101)), "name");
        assert_eq!(bad(|c| c.base_url = "ftp://tracker.example".into()), "base_url");
        assert_eq!(bad(|c| c.platform = "other".into()), "platform");
        assert_eq!(bad(|c| c.color = "blue".into()), "color");
        assert_eq!(bad(|c| c.profile_url = Some("aither.cc/users/me".into())), "profile_url");
        assert_eq!(bad(|c| c.remote_user_id = Some(-4)), "remote_user_id");
        for p in ["digitalcore", "custom"] {
            assert_eq!(TrackerConfig { platform: p.into(), ..config() }.validate().unwrap().platform, p);
        }
        let blank = TrackerConfig { profile_url: Some(" ".into()), ..config() }.validate().unwrap();
        assert_eq!(blank.profile_url, None);
    }

    #[test]
    fn a_config_without_the_details_reads_with_their_defaults() {
        // As sent by clients and written in backups before the details existed.
        let old = r##"{"name":"Aither","base_url":"https://aither.cc","platform":"unit3d","api_path":"","color":"#3b82f6",
            "client_tag":null,"is_active":true,"is_favorite":false,"sort_order":0,"joined_at":null}"##;
        let c: TrackerConfig = serde_json::from_str(old).unwrap();
        assert!(c.use_proxy, "every tracker used the proxy before the setting existed");
        assert_eq!((c.remote_user_id, c.profile_url, c.count_cross_seed_unsatisfied, c.last_access_at), (None, None, false, None));
    }

    #[test]
    fn manual_snapshot_derives_ratio_and_refuses_negatives() {
        let now = Utc::now();
        let mut input = ManualSnapshotInput {
            tracker_id: 1,
            polled_at: None,
            uploaded_bytes: 3 << 40,
            downloaded_bytes: 1 << 40,
            seeding_count: Some(10),
            leeching_count: Some(0),
            seed_bonus: None,
            hit_and_runs: None,
            freeleech_tokens: None,
            required_ratio: None,
            warned: false,
            username: None,
            group_name: None,
        };
        let s = input.to_snapshot(now).unwrap();
        assert_eq!(s.ratio, Some(3.0));
        assert_eq!(s.buffer_bytes, Some(2 << 40));
        assert!(s.is_manual);
        input.seeding_count = Some(-1);
        assert_eq!(input.to_snapshot(now).unwrap_err().field, "seeding_count");
    }
}

/// One page of a tracker's history, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackerSnapshotPage {
    pub snapshots: Vec<Snapshot>,
    pub total: i64,
    pub offset: i64,
    pub limit: i64,
}

/// A point of the upload/download chart.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SeriesPoint {
    pub at: DateTime<Utc>,
    pub uploaded_bytes: i64,
    pub downloaded_bytes: i64,
}

/// Adding a role to a tracker's class history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleInput {
    pub tracker_id: i64,
    pub role_name: String,
    pub achieved_at: DateTime<Utc>,
    pub notes: Option<String>,
}
