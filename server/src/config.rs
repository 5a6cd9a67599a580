//! Configuration from the environment (every variable is listed in the README).

use app::domain::config::{Config, RemoteSettings};
use app::domain::secrets::KdfCosts;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is not valid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// Everything the binary reads from the environment.
#[derive(Debug, Clone)]
pub struct Settings {
    pub app: Config,
    pub database_url: String,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// Parses sizes like "1073741824", "512MiB", "1GiB", "2G".
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().ok()?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(mult)
}

impl Settings {
    pub fn from_env() -> Result<Settings, ConfigError> {
        let data_dir = PathBuf::from(var("TT_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let base_url = match var("TT_BASE_URL") {
            Some(u) => Some(
                app::validate::http_url("TT_BASE_URL", "TT_BASE_URL", &u)
                    .map_err(|e| ConfigError::Invalid { name: "TT_BASE_URL", reason: e.message })?
                    .trim_end_matches('/')
                    .to_string(),
            ),
            None => None,
        };
        let upload_limit_bytes = match var("TT_UPLOAD_LIMIT") {
            Some(v) => parse_size(&v)
                .filter(|n| *n > 0)
                .ok_or(ConfigError::Invalid { name: "TT_UPLOAD_LIMIT", reason: format!("{v:?} is not a size like 1GiB or 536870912") })?,
            None => Config::DEFAULT_UPLOAD_LIMIT,
        };
        let secure_cookies = match var("TT_SECURE_COOKIES").as_deref() {
            Some("1" | "true" | "yes") => true,
            Some("0" | "false" | "no") => false,
            Some(other) => return Err(ConfigError::Invalid { name: "TT_SECURE_COOKIES", reason: format!("{other:?} is not true/false") }),
            None => base_url.as_deref().is_some_and(|u| u.starts_with("https://")),
        };
        let database_url = var("DATABASE_URL").unwrap_or_else(|| app::domain::store::sqlite_url(&data_dir.join("tracker-tracker.db")));
        let app = Config { data_dir, base_url, upload_limit_bytes, secure_cookies, kdf: KdfCosts::PRODUCTION, remote: RemoteSettings::PRODUCTION };
        Ok(Settings { app, database_url })
    }
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1024"), Some(1024));
        assert_eq!(parse_size("1GiB"), Some(1 << 30));
        assert_eq!(parse_size("512 MiB"), Some(512 << 20));
        assert_eq!(parse_size("12x"), None);
        assert_eq!(parse_size("GiB"), None);
    }
}
