//! Notification targets (Discord, Slack, Telegram, Gotify, ntfy, generic webhook, email) and their
//! deliveries.

use super::SecretUpdate;
use crate::validate::{self, Checked};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const TARGET_TYPES: [&str; 7] = ["discord", "slack", "telegram", "gotify", "ntfy", "webhook", "email"];

/// Events a target can opt in to. The tracker events are raised by the tracker poller; the last
/// five are the original Tracker Tracker's, kept so its targets keep their choices.
pub const EVENTS: [(&str, &str); 15] = [
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
    ("bonus_cap", "Bonus cap"),
    ("vip_expiring", "VIP expiring"),
    ("unsatisfied_limit", "Unsatisfied limit"),
    ("active_hnrs", "Active hit-and-runs"),
    ("download_disabled", "Download disabled"),
];

/// Most recipients an email target may have.
pub const MAX_RECIPIENTS: usize = 20;

/// How the connection to a mail (SMTP) server is protected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpSecurity {
    /// Plain text throughout (a server on a trusted network; no login allowed).
    None,
    /// A plain connection upgraded with STARTTLS before anything else is said; refused when the
    /// server does not offer it (usually port 587).
    #[default]
    Starttls,
    /// TLS from the first byte, "implicit TLS" or SMTPS (usually port 465).
    Tls,
}

impl SmtpSecurity {
    pub const ALL: [SmtpSecurity; 3] = [SmtpSecurity::Starttls, SmtpSecurity::Tls, SmtpSecurity::None];

    /// The wire name (as in JSON).
    pub fn key(self) -> &'static str {
        match self {
            SmtpSecurity::None => "none",
            SmtpSecurity::Starttls => "starttls",
            SmtpSecurity::Tls => "tls",
        }
    }

    pub fn from_key(key: &str) -> Option<SmtpSecurity> {
        SmtpSecurity::ALL.into_iter().find(|s| s.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            SmtpSecurity::None => "None (plain text)",
            SmtpSecurity::Starttls => "STARTTLS",
            SmtpSecurity::Tls => "TLS (implicit, SMTPS)",
        }
    }

    /// The port this mode is usually served on.
    pub fn default_port(self) -> u16 {
        match self {
            SmtpSecurity::None => 25,
            SmtpSecurity::Starttls => 587,
            SmtpSecurity::Tls => 465,
        }
    }
}

/// An email target's server, sender and recipients: not secret (the target's view shows them, so
/// the form can edit them); the login is kept apart, in `TargetConfig::username`/`password`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmtpServer {
    /// Host name or IP address of the mail server.
    pub host: String,
    pub port: u16,
    #[serde(default)]
    pub security: SmtpSecurity,
    /// The sender, `tt@example.com` or `Tracker Tracker <tt@example.com>`.
    pub from: String,
    /// One or more recipients.
    pub to: Vec<String>,
}

impl SmtpServer {
    pub fn validate(&self) -> Checked<SmtpServer> {
        let host = validate::host("smtp_host", "Mail server", &self.host)?;
        if self.port == 0 {
            return Err(validate::invalid("smtp_port", "Port must be a whole number from 1 to 65535 (got 0)."));
        }
        let from = validate::mailbox("smtp_from", "Sender", &self.from)?;
        let mut to: Vec<String> = Vec::new();
        for t in &self.to {
            let t = validate::mailbox("smtp_to", "Recipient", t)?;
            if !to.contains(&t) {
                to.push(t);
            }
        }
        if to.is_empty() {
            return Err(validate::invalid("smtp_to", "Add at least one recipient."));
        }
        if to.len() > MAX_RECIPIENTS {
            return Err(validate::invalid("smtp_to", format!("An email target can have at most {MAX_RECIPIENTS} recipients (it has {}).", to.len())));
        }
        Ok(SmtpServer { host, port: self.port, security: self.security, from, to })
    }
}

/// Recipients as typed in one field: separated by commas, semicolons or line breaks.
pub fn split_addresses(text: &str) -> Vec<String> {
    text.split([',', ';', '\n', '\r']).map(str::trim).filter(|a| !a.is_empty()).map(str::to_string).collect()
}

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
    /// Email: the mail server, sender and recipients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp: Option<SmtpServer>,
    /// Email: the SMTP login user name (with `password`, or neither).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Email: the SMTP login password. Kept as typed (not trimmed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// Longest SMTP password accepted.
const MAX_PASSWORD_CHARS: usize = 1024;

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
            "slack" => TargetConfig { url: Some(url("Slack webhook URL")?), ..Default::default() },
            "webhook" => TargetConfig { url: Some(url("Webhook URL")?), ..Default::default() },
            "telegram" => TargetConfig {
                token: Some(required("token", "Bot token", &self.token)?),
                chat_id: Some(required("chat_id", "Chat id", &self.chat_id)?),
                // Lets tests (and self-hosted Bot API servers) point elsewhere; default api.telegram.org.
                url: match self.url.as_deref().map(str::trim) {
                    None | Some("") => None,
                    Some(u) => Some(validate::http_url("url", "Bot API URL", u)?),
                },
                ..Default::default()
            },
            "gotify" => {
                TargetConfig { url: Some(url("Gotify server URL")?), token: Some(required("token", "App token", &self.token)?), ..Default::default() }
            }
            "ntfy" => TargetConfig {
                url: Some(url("ntfy server URL")?),
                topic: Some(required("topic", "Topic", &self.topic)?),
                token: validate::optional_text("token", "Access token", self.token.as_deref(), 500)?,
                ..Default::default()
            },
            "email" => self.validate_email()?,
            other => return Err(validate::invalid("target_type", format!("Unknown target type {other:?}."))),
        })
    }

    fn validate_email(&self) -> Checked<TargetConfig> {
        let smtp = self.smtp.as_ref().ok_or_else(|| validate::invalid("smtp_host", "Mail server is required."))?.validate()?;
        let username = validate::optional_text("username", "User name", self.username.as_deref(), 500)?;
        let password = match self.password.as_deref() {
            None | Some("") => None,
            Some(p) if p.chars().count() > MAX_PASSWORD_CHARS => {
                return Err(validate::invalid("password", format!("Password can be at most {MAX_PASSWORD_CHARS} characters.")))
            }
            Some(p) if p.contains(['\r', '\n', '\0']) => return Err(validate::invalid("password", "Password cannot contain line breaks or NUL.")),
            Some(p) => Some(p.to_string()),
        };
        match (&username, &password) {
            (Some(_), None) => return Err(validate::invalid("password", "Password is required with a user name (or remove the user name).")),
            (None, Some(_)) => return Err(validate::invalid("username", "User name is required with a password (or remove the password).")),
            (Some(_), Some(_)) if smtp.security == SmtpSecurity::None => {
                return Err(validate::invalid(
                    "smtp_security",
                    "A login over an unencrypted connection would send the password in plain text: choose STARTTLS or TLS, or remove the user name and password.",
                ))
            }
            _ => {}
        }
        Ok(TargetConfig { smtp: Some(smtp), username, password, ..Default::default() })
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
    /// Email: the server, sender and recipients as a whole (not secret: the form shows the stored
    /// ones and sends them back); None keeps the stored ones.
    #[serde(default)]
    pub smtp: Option<SmtpServer>,
    #[serde(default)]
    pub username: SecretUpdate,
    #[serde(default)]
    pub password: SecretUpdate,
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
            smtp: self.smtp.clone().or_else(|| stored.and_then(|s| s.smtp.clone())),
            username: one(&self.username, stored.and_then(|s| s.username.as_ref())),
            password: one(&self.password, stored.and_then(|s| s.password.as_ref())),
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
        if let Some(s) = &self.smtp {
            s.validate()?;
        }
        if let Some(u) = self.username.new_value() {
            validate::text("username", "User name", u, 1, 500)?;
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
    #[serde(default)]
    pub smtp: bool,
    #[serde(default)]
    pub username: bool,
    #[serde(default)]
    pub password: bool,
}

impl TargetConfigFlags {
    pub fn of(c: &TargetConfig) -> Self {
        TargetConfigFlags {
            url: c.url.is_some(),
            token: c.token.is_some(),
            chat_id: c.chat_id.is_some(),
            topic: c.topic.is_some(),
            smtp: c.smtp.is_some(),
            username: c.username.is_some(),
            password: c.password.is_some(),
        }
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
    /// Where messages go, without secrets: scheme and host only ("https://discord.com"); for
    /// email, "smtp://host:port" with the security mode.
    #[serde(default)]
    pub destination: Option<String>,
    /// Email: the stored server, sender and recipients (not secret; the login is never shown).
    #[serde(default)]
    pub smtp: Option<SmtpServer>,
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
    fn slack_needs_a_web_address() {
        let ok = TargetConfig { url: Some(" https://hooks.slack.com/services/T0/B0/x ".into()), ..Default::default() };
        assert_eq!(ok.validate_for("slack").unwrap().url.as_deref(), Some("https://hooks.slack.com/services/T0/B0/x"));
        let missing = TargetConfig::default().validate_for("slack").unwrap_err();
        assert_eq!((missing.field.as_str(), missing.message.as_str()), ("url", "Slack webhook URL is required."));
        let bad = TargetConfig { url: Some("hooks.slack.com/services/T0/B0/x".into()), ..Default::default() }.validate_for("slack").unwrap_err();
        assert_eq!(bad.field, "url");
        assert!(bad.message.starts_with("Slack webhook URL must be a web address starting with http:// or https://"), "{}", bad.message);
    }

    fn server() -> SmtpServer {
        SmtpServer {
            host: "smtp.example.com".into(),
            port: 587,
            security: SmtpSecurity::Starttls,
            from: "Tracker Tracker <tt@example.com>".into(),
            to: vec!["me@example.com".into()],
        }
    }

    fn email(smtp: SmtpServer, username: Option<&str>, password: Option<&str>) -> TargetConfig {
        TargetConfig { smtp: Some(smtp), username: username.map(Into::into), password: password.map(Into::into), ..Default::default() }
    }

    #[test]
    fn email_settings_are_checked() {
        let ok = email(server(), Some("tt"), Some(" pass word ")).validate_for("email").unwrap();
        assert_eq!(ok.password.as_deref(), Some(" pass word "), "a password is kept as typed");
        assert!(ok.url.is_none() && ok.token.is_none());
        // Recipients: deduplicated, each checked.
        let two = email(SmtpServer { to: vec!["a@example.com".into(), " a@example.com".into(), "b@example.com".into()], ..server() }, None, None);
        assert_eq!(two.validate_for("email").unwrap().smtp.unwrap().to, ["a@example.com", "b@example.com"]);

        let refused = |c: TargetConfig| c.validate_for("email").unwrap_err();
        let e = refused(TargetConfig::default());
        assert_eq!((e.field.as_str(), e.message.as_str()), ("smtp_host", "Mail server is required."));
        let e = refused(email(SmtpServer { host: " ".into(), ..server() }, None, None));
        assert_eq!((e.field.as_str(), e.message.as_str()), ("smtp_host", "Mail server is required."));
        assert_eq!(refused(email(SmtpServer { host: "smtp://smtp.example.com".into(), ..server() }, None, None)).field, "smtp_host");
        assert_eq!(refused(email(SmtpServer { port: 0, ..server() }, None, None)).field, "smtp_port");
        let e = refused(email(SmtpServer { from: "tt.example.com".into(), ..server() }, None, None));
        assert_eq!(
            (e.field.as_str(), e.message.as_str()),
            ("smtp_from", "Sender \"tt.example.com\" is not an email address like name@example.com (no @).")
        );
        let e = refused(email(SmtpServer { to: vec!["me@example.com".into(), "you@".into()], ..server() }, None, None));
        assert_eq!(e.field, "smtp_to");
        assert!(e.message.starts_with("Recipient \"you@\" is not an email address"), "{}", e.message);
        assert_eq!(refused(email(SmtpServer { to: vec![], ..server() }, None, None)).message, "Add at least one recipient.");
        let many = (0..=MAX_RECIPIENTS).map(|i| format!("r{i}@example.com")).collect();
        assert_eq!(refused(email(SmtpServer { to: many, ..server() }, None, None)).field, "smtp_to");
        assert_eq!(refused(email(server(), Some("tt"), None)).field, "password");
        assert_eq!(refused(email(server(), None, Some("pw"))).field, "username");
        assert_eq!(refused(email(server(), Some("tt"), Some("a\nb"))).field, "password");
        // No login in plain text; without one, plain text is allowed (a relay on a trusted network).
        let plain = SmtpServer { security: SmtpSecurity::None, port: 25, ..server() };
        assert_eq!(refused(email(plain.clone(), Some("tt"), Some("pw"))).field, "smtp_security");
        assert!(email(plain, None, None).validate_for("email").is_ok());
    }

    #[test]
    fn email_update_keeps_the_login_and_replaces_the_server() {
        let stored = email(server(), Some("tt"), Some("old secret"));
        let moved = SmtpServer { host: "mail.example.net".into(), port: 465, security: SmtpSecurity::Tls, ..server() };
        let u = TargetConfigUpdate { smtp: Some(moved.clone()), ..Default::default() };
        let merged = u.apply(Some(&stored));
        assert_eq!(merged.smtp.as_ref(), Some(&moved));
        assert_eq!((merged.username.as_deref(), merged.password.as_deref()), (Some("tt"), Some("old secret")));
        let u = TargetConfigUpdate { password: SecretUpdate::set("new"), ..Default::default() };
        let merged = u.apply(Some(&stored));
        assert_eq!((merged.smtp.as_ref(), merged.password.as_deref()), (Some(&server()), Some("new")));
        let cleared = TargetConfigUpdate {
            username: SecretUpdate { value: None, clear: true },
            password: SecretUpdate { value: None, clear: true },
            ..Default::default()
        }
        .apply(Some(&stored));
        assert!(cleared.username.is_none() && cleared.password.is_none() && cleared.smtp.is_some());
        let flags = TargetConfigFlags::of(&stored);
        assert!(flags.smtp && flags.username && flags.password && !flags.url);
        let bad = TargetConfigUpdate { smtp: Some(SmtpServer { from: "x".into(), ..server() }), ..Default::default() };
        assert_eq!(bad.check_typed().unwrap_err().field, "smtp_from");
    }

    #[test]
    fn addresses_split_and_security_names() {
        assert_eq!(split_addresses(" a@x.com, b@x.com;c@x.com\n\n"), ["a@x.com", "b@x.com", "c@x.com"]);
        assert!(split_addresses(" , ").is_empty());
        for s in SmtpSecurity::ALL {
            assert_eq!(SmtpSecurity::from_key(s.key()), Some(s));
            assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{}\"", s.key()));
        }
        let json = r#"{"host":"h.example","port":465,"from":"a@b.c","to":["d@e.f"]}"#;
        assert_eq!(serde_json::from_str::<SmtpServer>(json).unwrap().security, SmtpSecurity::Starttls, "security defaults to STARTTLS");
    }

    #[test]
    fn new_events_are_known() {
        for e in ["bonus_cap", "vip_expiring", "unsatisfied_limit", "active_hnrs", "download_disabled"] {
            assert!(EVENTS.iter().any(|(k, _)| *k == e), "{e}");
        }
    }

    #[test]
    fn config_update_merges_field_by_field() {
        let stored = TargetConfig { url: Some("https://ntfy.sh".into()), topic: Some("mine".into()), token: Some("tk".into()), ..Default::default() };
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
