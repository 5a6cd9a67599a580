//! Types shared by the pages, the server functions, the store and the backup format. Each entity's
//! configuration type has a `validate()` that the form, the server function and the restore
//! validator all use, so the same value is accepted or refused everywhere.

pub mod auth;
pub mod backup;
pub mod backup_kinds;
pub mod clients;
pub mod locations;
pub mod notifications;
pub mod settings;
pub mod tags;
pub mod trackers;

use serde::{Deserialize, Serialize};

/// How a form changes a stored secret: keep it (default), replace it, or clear it.
/// The stored value itself is never sent to the browser.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretUpdate {
    /// A new value; None or "" keeps the stored one.
    #[serde(default)]
    pub value: Option<String>,
    /// Remove the stored value.
    #[serde(default)]
    pub clear: bool,
}

impl SecretUpdate {
    pub fn keep() -> Self {
        SecretUpdate::default()
    }

    pub fn set(value: impl Into<String>) -> Self {
        SecretUpdate { value: Some(value.into()), clear: false }
    }

    /// The new value, if one was typed.
    pub fn new_value(&self) -> Option<&str> {
        self.value.as_deref().filter(|v| !v.is_empty())
    }
}

/// What the UI knows about a stored secret.
pub type SecretIsSet = bool;

/// Formats a byte count for people (binary units).
pub fn human_bytes(bytes: i64) -> String {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value.abs() >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.2} {}", UNITS[unit])
    }
}
