//! The schedule's arithmetic, pure: runs at 03:00 server local time (TZ honoured) — daily,
//! weekly on Mondays, or monthly on the 1st. A 03:00 that happens twice (clocks going back) runs
//! once, at the first; one that is skipped (clocks going forward) runs at the next valid local
//! time. The scheduler (`scheduler`) applies it with the injected clock.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};

pub use tt_core::model::settings::Frequency;

/// Whether a run of `freq` falls on local date `d`.
fn runs_on(freq: Frequency, d: NaiveDate) -> bool {
    match freq {
        Frequency::Daily => true,
        Frequency::Weekly => d.weekday() == Weekday::Mon,
        Frequency::Monthly => d.day() == 1,
    }
}

/// Local hour of the scheduled run.
pub const RUN_AT: NaiveTime = match NaiveTime::from_hms_opt(3, 0, 0) {
    Some(t) => t,
    None => panic!("03:00 is a valid time"),
};

/// The instant of the run on local date `d`: 03:00, the first of two 03:00s, or — when 03:00 does
/// not exist that day — the first valid local minute after it.
pub fn slot_on<Tz: TimeZone>(tz: &Tz, d: NaiveDate) -> DateTime<Utc> {
    let mut t = d.and_time(RUN_AT);
    for _ in 0..(24 * 60) {
        match tz.from_local_datetime(&t) {
            LocalResult::Single(x) => return x.with_timezone(&Utc),
            LocalResult::Ambiguous(a, b) => return a.with_timezone(&Utc).min(b.with_timezone(&Utc)),
            LocalResult::None => t += Duration::minutes(1),
        }
    }
    // No valid minute in a whole day cannot happen in real zones; fall back to UTC.
    Utc.from_utc_datetime(&d.and_time(RUN_AT))
}

/// The first scheduled run strictly after `after`.
pub fn next_run<Tz: TimeZone>(after: DateTime<Utc>, freq: Frequency, tz: &Tz) -> DateTime<Utc> {
    let start = after.with_timezone(tz).date_naive() - Duration::days(1);
    let mut d = start;
    loop {
        if runs_on(freq, d) {
            let slot = slot_on(tz, d);
            if slot > after {
                return slot;
            }
        }
        d = d.succ_opt().unwrap_or(d);
        if d - start > Duration::days(400) {
            return after + Duration::days(1);
        }
    }
}

/// The latest scheduled run at or before `at`.
pub fn previous_run<Tz: TimeZone>(at: DateTime<Utc>, freq: Frequency, tz: &Tz) -> DateTime<Utc> {
    let start = at.with_timezone(tz).date_naive() + Duration::days(1);
    let mut d = start;
    loop {
        if runs_on(freq, d) {
            let slot = slot_on(tz, d);
            if slot <= at {
                return slot;
            }
        }
        d = d.pred_opt().unwrap_or(d);
        if start - d > Duration::days(400) {
            return at - Duration::days(1);
        }
    }
}

/// The time zone scheduled backups follow: the server's local zone (TZ is honoured).
pub fn server_tz() -> chrono::Local {
    chrono::Local
}
