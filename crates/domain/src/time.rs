//! Timestamps are stored as RFC 3339 text in UTC to the millisecond, always with three digits
//! ("2026-11-24T03:00:00.000Z"): portable across SQLite and PostgreSQL, sortable as text (one
//! fixed width), exact in backups, and exact for the original app's times (JavaScript dates carry
//! milliseconds). Migration 0007 rewrote the whole-second values stored before.

use chrono::{DateTime, SecondsFormat, Utc};

pub fn to_db(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub fn from_db(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

/// Drops what is finer than a millisecond, so a value equals what the database gives back.
pub fn db_precision(t: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::Timelike;
    let millis = t.nanosecond() / 1_000_000 * 1_000_000;
    t.with_nanosecond(millis).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_width_millisecond_text_sorts_as_time() {
        let whole = DateTime::parse_from_rfc3339("2026-11-24T03:00:00Z").unwrap().with_timezone(&Utc);
        let later = DateTime::parse_from_rfc3339("2026-11-24T03:00:00.5Z").unwrap().with_timezone(&Utc);
        assert_eq!(to_db(whole), "2026-11-24T03:00:00.000Z");
        assert_eq!(to_db(later), "2026-11-24T03:00:00.500Z");
        assert!(to_db(whole) < to_db(later));
        assert_eq!(from_db(&to_db(later)), Some(later));
    }

    #[test]
    fn precision_is_the_millisecond() {
        let t = DateTime::parse_from_rfc3339("2026-11-24T03:00:00.123456789Z").unwrap().with_timezone(&Utc);
        assert_eq!(to_db(db_precision(t)), "2026-11-24T03:00:00.123Z");
        assert_eq!(from_db(&to_db(t)), Some(db_precision(t)));
    }
}
