//! Notification targets (Discord, Telegram, Gotify, ntfy, generic webhook) and their deliveries.

use super::SecretUpdate;
use crate::validate::{self, Checked};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const TARGET_TYPES: [&str; 5] = ["discord", "telegram", "gotify", "ntfy", "webhook"];

/// Events a target can opt in to.
pub const EVENTS: [(&str, &str); 10] = [
    ("ratio_drop", "Ratio drop"),
    ("hit_and_run", "Hit-and-run"),
    ("tracker_down", "Tracker down"),
    ("buffer_milestone", "Buffer milestone"),
    ("warned", "Warned"),
    ("ratio_danger", "Ratio danger"),
    ("zero_seeding", "Zero seeding"),
    ("rank_change", "Rank change"),
    ("anniversary", "Anniversary"),
    ("backup_failed", "Backup failed"),
];

/// The secret part of a target: where and how to deliver. Stored sealed as JSON; never sent to
/// the browser after it is saved.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetConfig {
    /// Discord / generic webhook URL, Gotify or ntfy server URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Telegram bot token, Gotify app token, ntfy access token (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Telegram chat id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_id: Option<String>,
    /// ntfy topic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
}

impl TargetConfig {
    /// Checks that the fields the target type needs are present and well-formed.
    pub fn validate_for(&self, target_type: &str) -> Checked<TargetConfig> {
        let url = |label: &str| -> Checked<String> {
            let u = self.url.as_deref().unwrap_or("");
            if u.trim().is_empty() {
                return Err(validate::invalid("url", format!("{label} is required.")));
            }
            validate::http_url("url", label, u)
        };
        let required =
            |field: &str, label: &str, v: &Option<String>| -> Checked<String> { validate::text(field, label, v.as_deref().unwrap_or(""), 1, 500) };
        Ok(match target_type {
            "discord" => TargetConfig { url: Some(url("Webhook URL")?), ..Default::default() },
            "webhook" => TargetConfig { url: Some(url("Webhook URL")?), ..Default::default() },
            "telegram" => TargetConfig {
                token: Some(required("token", "Bot token", &self.token)?),
                chat_id: Some(required("chat_id", "Chat id", &self.chat_id)?),
                // Lets tests (and self-hosted Bot API servers) point elsewhere; default api.telegram.org.
                url: match self.url.as_deref().map(str::trim) {
                    None | Some("") => None,
                    Some(u) => Some(validate::http_url("url", "Bot API URL", u)?),
                },
                topic: None,
            },
            "gotify" => {
                TargetConfig { url: Some(url("Gotify server URL")?), token: Some(required("token", "App token", &self.token)?), ..Default::default() }
            }
            "ntfy" => TargetConfig {
                url: Some(url("ntfy server URL")?),
                topic: Some(required("topic", "Topic", &self.topic)?),
                token: validate::optional_text("token", "Access token", self.token.as_deref(), 500)?,
                chat_id: None,
            },
            other => return Err(validate::invalid("target_type", format!("Unknown target type {other:?}."))),
        })
    }
}

/// Numbers that tune when events fire. Missing fields take their defaults (the column starts as `{}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Thresholds {
    /// Ratio drop that triggers "ratio drop" (absolute, e.g. 0.1).
    pub ratio_drop: f64,
    /// Ratio below which "ratio danger" fires.
    pub ratio_danger: f64,
    /// Buffer step in GiB for "buffer milestone".
    pub buffer_milestone_gib: i64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds { ratio_drop: 0.1, ratio_danger: 1.0, buffer_milestone_gib: 100 }
    }
}

impl Thresholds {
    pub fn validate(&self) -> Checked<()> {
        validate::non_negative_f64("ratio_drop", "Ratio drop threshold", self.ratio_drop)?;
        validate::non_negative_f64("ratio_danger", "Ratio danger threshold", self.ratio_danger)?;
        validate::int_range("buffer_milestone_gib", "Buffer milestone (GiB)", self.buffer_milestone_gib, 1, 1_000_000)?;
        Ok(())
    }
}

/// A target's non-secret settings: what a backup carries beside the sealed config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetSettings {
    pub name: String,
    pub target_type: String,
    pub enabled: bool,
    pub events: Vec<String>,
    #[serde(default)]
    pub thresholds: Thresholds,
    /// None = all trackers.
    #[serde(default)]
    pub tracker_ids: Option<Vec<i64>>,
}

impl TargetSettings {
    pub fn validate(&self) -> Checked<TargetSettings> {
        let mut events = Vec::new();
        for e in &self.events {
            if !EVENTS.iter().any(|(k, _)| k == e) {
                return Err(validate::invalid("events", format!("Unknown event {e:?}.")));
            }
            if !events.contains(e) {
                events.push(e.clone());
            }
        }
        self.thresholds.validate()?;
        let tracker_ids = match &self.tracker_ids {
            None => None,
            Some(ids) => {
                let mut out: Vec<i64> = Vec::with_capacity(ids.len());
                for id in ids {
                    if *id <= 0 {
                        return Err(validate::invalid("tracker_ids", format!("Unknown tracker id {id}.")));
                    }
                    if !out.contains(id) {
                        out.push(*id);
                    }
                }
                if out.is_empty() {
                    return Err(validate::invalid("tracker_ids", "Choose at least one tracker, or choose all trackers."));
                }
                Some(out)
            }
        };
        Ok(TargetSettings {
            name: validate::text("name", "Name", &self.name, 1, 100)?,
            target_type: validate::one_of("target_type", "Type", &self.target_type, &TARGET_TYPES)?,
            enabled: self.enabled,
            events,
            thresholds: self.thresholds.clone(),
            tracker_ids,
        })
    }
}

/// Create or update a target. `config` replaces the stored delivery settings as a whole;
/// otherwise `config_update` changes them field by field (keep / replace / clear, as the form
/// sends them); with neither, the stored ones are kept (only allowed when updating without
/// changing the type).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetInput {
    pub id: Option<i64>,
    pub settings: TargetSettings,
    #[serde(default)]
    pub config: Option<TargetConfig>,
    #[serde(default)]
    pub config_update: Option<TargetConfigUpdate>,
}

/// Field-by-field change of the sealed delivery settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetConfigUpdate {
    #[serde(default)]
    pub url: SecretUpdate,
    #[serde(default)]
    pub token: SecretUpdate,
    #[serde(default)]
    pub chat_id: SecretUpdate,
    #[serde(default)]
    pub topic: SecretUpdate,
}

impl TargetConfigUpdate {
    /// The stored settings (None when there are none, or the type changes) with this update applied.
    /// The result still needs `validate_for`.
    pub fn apply(&self, stored: Option<&TargetConfig>) -> TargetConfig {
        fn one(update: &SecretUpdate, old: Option<&String>) -> Option<String> {
            if let Some(v) = update.new_value() {
                Some(v.to_string())
            } else if update.clear {
                None
            } else {
                old.cloned()
            }
        }
        TargetConfig {
            url: one(&self.url, stored.and_then(|s| s.url.as_ref())),
            token: one(&self.token, stored.and_then(|s| s.token.as_ref())),
            chat_id: one(&self.chat_id, stored.and_then(|s| s.chat_id.as_ref())),
            topic: one(&self.topic, stored.and_then(|s| s.topic.as_ref())),
        }
    }

    /// Checks only the values typed in the form (the server checks the merged result too).
    pub fn check_typed(&self) -> Checked<()> {
        if let Some(u) = self.url.new_value() {
            validate::http_url("url", "URL", u)?;
        }
        if let Some(t) = self.token.new_value() {
            validate::text("token", "Token", t, 1, 500)?;
        }
        if let Some(c) = self.chat_id.new_value() {
            validate::text("chat_id", "Chat id", c, 1, 500)?;
        }
        if let Some(t) = self.topic.new_value() {
            validate::text("topic", "Topic", t, 1, 500)?;
        }
        Ok(())
    }
}

/// Which parts of the sealed delivery settings are stored (never their values).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetConfigFlags {
    pub url: bool,
    pub token: bool,
    pub chat_id: bool,
    pub topic: bool,
}

impl TargetConfigFlags {
    pub fn of(c: &TargetConfig) -> Self {
        TargetConfigFlags { url: c.url.is_some(), token: c.token.is_some(), chat_id: c.chat_id.is_some(), topic: c.topic.is_some() }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetView {
    pub id: i64,
    pub settings: TargetSettings,
    pub has_config: bool,
    pub disabled_reason: Option<String>,
    pub last_delivery: Option<Delivery>,
    /// Which delivery settings are stored.
    #[serde(default)]
    pub config_set: TargetConfigFlags,
    /// Where messages go, without secrets: scheme and host only ("https://discord.com").
    #[serde(default)]
    pub destination: Option<String>,
}

/// A tracker a target can be limited to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackerChoice {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub id: i64,
    pub target_id: i64,
    pub event: String,
    /// "sent" or "failed"
    pub status: String,
    pub sent_at: DateTime<Utc>,
    pub error: Option<String>,
}

/// A dismissed dashboard alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DismissedAlert {
    pub id: i64,
    pub alert_key: String,
    pub dismissed_at: DateTime<Utc>,
}

impl DismissedAlert {
    pub fn validate(&self) -> Checked<()> {
        validate::text("alert_key", "Alert key", &self.alert_key, 1, 200).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_per_type() {
        let c = TargetConfig { url: Some("http://127.0.0.1:9/hook".into()), ..Default::default() };
        assert!(c.validate_for("webhook").is_ok());
        assert!(c.validate_for("telegram").is_err());
        assert_eq!(TargetConfig { url: Some("ftp://x".into()), ..Default::default() }.validate_for("discord").unwrap_err().field, "url");
        let t = TargetConfig { token: Some("123:abc".into()), chat_id: Some("42".into()), ..Default::default() };
        assert!(t.validate_for("telegram").is_ok());
    }

    #[test]
    fn config_update_merges_field_by_field() {
        let stored = TargetConfig { url: Some("https://ntfy.sh".into()), topic: Some("mine".into()), token: Some("tk".into()), chat_id: None };
        let keep = TargetConfigUpdate::default();
        assert_eq!(keep.apply(Some(&stored)), stored);
        let u = TargetConfigUpdate { topic: SecretUpdate::set("other"), token: SecretUpdate { value: None, clear: true }, ..Default::default() };
        let merged = u.apply(Some(&stored));
        assert_eq!(merged.topic.as_deref(), Some("other"));
        assert_eq!(merged.token, None);
        assert_eq!(merged.url.as_deref(), Some("https://ntfy.sh"));
        assert_eq!(u.apply(None).url, None);
        let bad = TargetConfigUpdate { url: SecretUpdate::set("ftp://x"), ..Default::default() };
        assert_eq!(bad.check_typed().unwrap_err().field, "url");
    }

    #[test]
    fn thresholds_default_from_empty_object() {
        let t: Thresholds = serde_json::from_str("{}").unwrap();
        assert_eq!(t, Thresholds::default());
    }

    #[test]
    fn tracker_scope() {
        let mut s = TargetSettings {
            name: "Me".into(),
            target_type: "webhook".into(),
            enabled: true,
            events: vec![],
            thresholds: Thresholds::default(),
            tracker_ids: Some(vec![]),
        };
        assert_eq!(s.validate().unwrap_err().field, "tracker_ids");
        s.tracker_ids = Some(vec![2, 1, 2]);
        assert_eq!(s.validate().unwrap().tracker_ids, Some(vec![2, 1]));
    }

    #[test]
    fn events_are_known() {
        let s = TargetSettings {
            name: "Me".into(),
            target_type: "webhook".into(),
            enabled: true,
            events: vec!["backup_failed".into(), "nope".into()],
            thresholds: Thresholds::default(),
            tracker_ids: None,
        };
        assert_eq!(s.validate().unwrap_err().field, "events");
    }
}
