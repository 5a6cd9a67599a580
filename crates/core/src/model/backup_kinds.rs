//! The closed sets of values of the backup history and schedule, one type each. The same snake_case
//! strings on the wire (serde) and in the database's TEXT columns (sqlx, with feature `sqlx`), so
//! neither the HTTP API nor the stored rows changed when they stopped being strings.

use serde::{Deserialize, Serialize};

/// Defines `as_str`, `ALL`, `Display` and `FromStr` from one list of (variant, string) pairs, so
/// the strings cannot drift from the ones serde and sqlx derive (a test checks they agree).
macro_rules! keyed {
    ($ty:ident { $($variant:ident => $key:literal),+ $(,)? }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The value as stored and sent.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $key),+
                }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $ty {
            type Err = UnknownValue;

            fn from_str(s: &str) -> Result<$ty, UnknownValue> {
                $ty::ALL.iter().copied().find(|v| v.as_str() == s).ok_or_else(|| UnknownValue { what: stringify!($ty), value: s.to_string() })
            }
        }
    };
}

/// A string that is none of a type's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a known {what}")]
pub struct UnknownValue {
    pub what: &'static str,
    pub value: String,
}

/// Why a stored backup exists (history column `trigger_kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "sqlx", derive(sqlx::Type))]
#[cfg_attr(feature = "sqlx", sqlx(rename_all = "snake_case"))]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// The 03:00 run.
    Scheduled,
    /// "Run a scheduled backup now": written, verified and pruned like a scheduled one.
    Manual,
    /// The copy saved before a restore (restoring it undoes the restore).
    PreRestore,
    /// A file found in the storage directory and added by hand. Retention never deletes these:
    /// it only counts scheduled (and manual) runs.
    Imported,
}

keyed!(Trigger { Scheduled => "scheduled", Manual => "manual", PreRestore => "pre_restore", Imported => "imported" });

/// Where a backup run stands (history column `status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "sqlx", derive(sqlx::Type))]
#[cfg_attr(feature = "sqlx", sqlx(rename_all = "snake_case"))]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    Completed,
    Failed,
}

keyed!(RunStatus { Running => "running", Completed => "completed", Failed => "failed" });

/// The outcome of re-reading a stored backup (history column `verify_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "sqlx", derive(sqlx::Type))]
#[cfg_attr(feature = "sqlx", sqlx(rename_all = "snake_case"))]
#[serde(rename_all = "snake_case")]
pub enum VerifyStatus {
    Ok,
    Failed,
}

keyed!(VerifyStatus { Ok => "ok", Failed => "failed" });

impl VerifyStatus {
    pub fn from_ok(ok: bool) -> VerifyStatus {
        if ok {
            VerifyStatus::Ok
        } else {
            VerifyStatus::Failed
        }
    }
}

/// Which app wrote a stored backup file: this one, or the original Tracker Tracker (the Node.js
/// app) whose files found in the storage directory are restored through the import
/// (docs/import-original.md). Told by the file's name, checked against its first bytes when it
/// is added; not stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MadeBy {
    #[default]
    ThisApp,
    Original,
}

keyed!(MadeBy { ThisApp => "this_app", Original => "original" });

impl MadeBy {
    /// By a stored file's name (the original's names are never this app's).
    pub fn of_file_name(name: &str) -> MadeBy {
        if crate::backup_format::name::is_original_file_name(name) {
            MadeBy::Original
        } else {
            MadeBy::ThisApp
        }
    }
}

/// How often scheduled backups run, at 03:00 server time (settings column `backup_frequency`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "sqlx", derive(sqlx::Type))]
#[cfg_attr(feature = "sqlx", sqlx(rename_all = "snake_case"))]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    #[default]
    Daily,
    /// On Mondays.
    Weekly,
    /// On the 1st of the month.
    Monthly,
}

keyed!(Frequency { Daily => "daily", Weekly => "weekly", Monthly => "monthly" });

impl Frequency {
    /// For people, as the settings form and the restore report name it.
    pub fn label(self) -> &'static str {
        match self {
            Frequency::Daily => "Daily",
            Frequency::Weekly => "Weekly (Mondays)",
            Frequency::Monthly => "Monthly (the 1st)",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The strings of `as_str` are serde's (and so sqlx's: both derive snake_case from the same
    /// variant names), and every one reads back.
    fn agrees<T: Copy + PartialEq + std::fmt::Debug + Serialize + serde::de::DeserializeOwned + std::str::FromStr>(
        all: &[T],
        key: fn(T) -> &'static str,
    ) {
        for &v in all {
            assert_eq!(serde_json::to_string(&v).unwrap(), format!("\"{}\"", key(v)));
            assert_eq!(serde_json::from_str::<T>(&format!("\"{}\"", key(v))).unwrap(), v);
            assert!(key(v).parse::<T>().ok() == Some(v));
        }
    }

    #[test]
    fn wire_strings_are_the_ones_the_api_and_the_database_use() {
        agrees(Trigger::ALL, Trigger::as_str);
        agrees(RunStatus::ALL, RunStatus::as_str);
        agrees(VerifyStatus::ALL, VerifyStatus::as_str);
        agrees(Frequency::ALL, Frequency::as_str);
        agrees(MadeBy::ALL, MadeBy::as_str);
        let keys = |all: &[&'static str]| all.join(",");
        assert_eq!(keys(&Trigger::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>()), "scheduled,manual,pre_restore,imported");
        assert_eq!(keys(&RunStatus::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>()), "running,completed,failed");
        assert_eq!(keys(&VerifyStatus::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>()), "ok,failed");
        assert_eq!(keys(&Frequency::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>()), "daily,weekly,monthly");
    }

    #[test]
    fn unknown_values_are_refused_not_defaulted() {
        assert!(serde_json::from_str::<Trigger>("\"hourly\"").is_err());
        assert!(serde_json::from_str::<Frequency>("\"Daily\"").is_err());
        assert_eq!("yearly".parse::<Frequency>().unwrap_err().to_string(), "\"yearly\" is not a known Frequency");
    }
}
