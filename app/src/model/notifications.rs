//! Notification targets (Discord, Telegram, Gotify, ntfy, generic webhook) and their deliveries.

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
        let required = |field: &str, label: &str, v: &Option<String>| -> Checked<String> {
            validate::text(field, label, v.as_deref().unwrap_or(""), 1, 500)
        };
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
            "gotify" => TargetConfig {
                url: Some(url("Gotify server URL")?),
                token: Some(required("token", "App token", &self.token)?),
                ..Default::default()
            },
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

/// Numbers that tune when events fire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
        Ok(TargetSettings {
            name: validate::text("name", "Name", &self.name, 1, 100)?,
            target_type: validate::one_of("target_type", "Type", &self.target_type, &TARGET_TYPES)?,
            enabled: self.enabled,
            events,
            thresholds: self.thresholds.clone(),
            tracker_ids: self.tracker_ids.clone(),
        })
    }
}

/// Create or update a target. `config` None keeps the stored one (only allowed when updating
/// without changing the type).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetInput {
    pub id: Option<i64>,
    pub settings: TargetSettings,
    #[serde(default)]
    pub config: Option<TargetConfig>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetView {
    pub id: i64,
    pub settings: TargetSettings,
    pub has_config: bool,
    pub disabled_reason: Option<String>,
    pub last_delivery: Option<Delivery>,
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
