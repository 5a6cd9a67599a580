//! Download clients and their history (snapshots, uptime buckets).

use super::SecretUpdate;
use crate::validate::{self, Checked};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const CLIENT_TYPES: [&str; 3] = ["qbittorrent", "transmission", "deluge"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientConfig {
    pub name: String,
    pub client_type: String,
    pub host: String,
    pub port: i64,
    pub use_tls: bool,
    pub poll_interval_seconds: i64,
    pub is_default: bool,
    #[serde(default)]
    pub cross_seed_tags: Vec<String>,
    pub enabled: bool,
}

impl ClientConfig {
    pub fn validate(&self) -> Checked<ClientConfig> {
        let host = validate::text("host", "Host", &self.host, 1, 253)?;
        if host.contains("://") || host.contains('/') || host.chars().any(char::is_whitespace) {
            return Err(validate::invalid("host", "Host is a name or address only, like 192.168.1.10 or seedbox.example (no http:// and no path)."));
        }
        let mut tags = Vec::with_capacity(self.cross_seed_tags.len());
        for t in &self.cross_seed_tags {
            let t = validate::text("cross_seed_tags", "Cross-seed tag", t, 1, 100)?;
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
        if tags.len() > 50 {
            return Err(validate::invalid("cross_seed_tags", "At most 50 cross-seed tags."));
        }
        Ok(ClientConfig {
            name: validate::text("name", "Name", &self.name, 1, 100)?,
            client_type: validate::one_of("client_type", "Client type", &self.client_type, &CLIENT_TYPES)?,
            host,
            port: validate::port("port", "Port", self.port)?,
            use_tls: self.use_tls,
            poll_interval_seconds: validate::int_range("poll_interval_seconds", "Poll interval (seconds)", self.poll_interval_seconds, 10, 86_400)?,
            is_default: self.is_default,
            cross_seed_tags: tags,
            enabled: self.enabled,
        })
    }

    pub fn new_default() -> Self {
        ClientConfig {
            name: String::new(),
            client_type: "qbittorrent".into(),
            host: String::new(),
            port: 8080,
            use_tls: false,
            poll_interval_seconds: 300,
            is_default: false,
            cross_seed_tags: Vec::new(),
            enabled: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientInput {
    pub id: Option<i64>,
    pub config: ClientConfig,
    #[serde(default)]
    pub username: SecretUpdate,
    #[serde(default)]
    pub password: SecretUpdate,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientView {
    pub id: i64,
    pub config: ClientConfig,
    pub has_username: bool,
    pub has_password: bool,
    pub disabled_reason: Option<String>,
    pub last_polled_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

/// Per-tag totals inside a client snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TagStat {
    pub tag: String,
    pub seeding: i64,
    pub leeching: i64,
    /// None: not recorded (the original app's per-tag aggregates have no byte totals).
    pub uploaded_bytes: Option<i64>,
    pub size_bytes: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientSnapshot {
    pub id: i64,
    pub client_id: i64,
    pub polled_at: DateTime<Utc>,
    pub seeding_count: i64,
    pub leeching_count: i64,
    pub upload_speed_bps: i64,
    pub download_speed_bps: i64,
    #[serde(default)]
    pub tag_stats: Vec<TagStat>,
}

impl ClientSnapshot {
    pub fn validate(&self) -> Checked<()> {
        use validate::non_negative as nn;
        nn("seeding_count", "Seeding count", self.seeding_count)?;
        nn("leeching_count", "Leeching count", self.leeching_count)?;
        nn("upload_speed_bps", "Upload speed", self.upload_speed_bps)?;
        nn("download_speed_bps", "Download speed", self.download_speed_bps)?;
        for t in &self.tag_stats {
            validate::text("tag_stats.tag", "Tag", &t.tag, 1, 100)?;
            nn("tag_stats.seeding", "Tag seeding count", t.seeding)?;
            nn("tag_stats.leeching", "Tag leeching count", t.leeching)?;
            if let Some(v) = t.uploaded_bytes {
                nn("tag_stats.uploaded_bytes", "Tag uploaded bytes", v)?;
            }
            if let Some(v) = t.size_bytes {
                nn("tag_stats.size_bytes", "Tag size", v)?;
            }
        }
        Ok(())
    }
}

/// One page of a client's snapshots, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotPage {
    pub items: Vec<ClientSnapshot>,
    /// All snapshots of the client.
    pub total: i64,
    pub offset: i64,
    pub limit: i64,
}

/// Availability of a client over one hour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UptimeBucket {
    pub id: i64,
    pub client_id: i64,
    pub bucket_start: DateTime<Utc>,
    pub checks_total: i64,
    pub checks_ok: i64,
}

impl UptimeBucket {
    pub fn validate(&self) -> Checked<()> {
        validate::non_negative("checks_total", "Checks", self.checks_total)?;
        validate::non_negative("checks_ok", "Successful checks", self.checks_ok)?;
        if self.checks_ok > self.checks_total {
            return Err(validate::invalid("checks_ok", "Successful checks cannot exceed all checks."));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_rules() {
        let ok = ClientConfig { name: "qB".into(), host: "10.0.0.2".into(), ..ClientConfig::new_default() };
        assert!(ok.validate().is_ok());
        for (port, good) in [(0, false), (1, true), (65_535, true), (70_000, false)] {
            assert_eq!(ClientConfig { port, ..ok.clone() }.validate().is_ok(), good, "port {port}");
        }
        assert_eq!(ClientConfig { host: "http://x".into(), ..ok.clone() }.validate().unwrap_err().field, "host");
        assert_eq!(ClientConfig { client_type: "utorrent".into(), ..ok.clone() }.validate().unwrap_err().field, "client_type");
        let tags = ClientConfig { cross_seed_tags: vec!["a".into(), " a ".into(), "b".into()], ..ok }.validate().unwrap();
        assert_eq!(tags.cross_seed_tags, vec!["a", "b"]);
    }
}
