//! Next-run computation over whole years, month ends and both DST changes.

use super::schedule::*;
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Europe::{Berlin, Helsinki};

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[test]
fn daily_every_day_of_a_year_at_three_local() {
    let mut t = utc("2026-01-01T00:00:00Z");
    let mut days = 0;
    while t < utc("2027-01-01T00:00:00Z") {
        let next = next_run(t, Frequency::Daily, &Berlin);
        let local = next.with_timezone(&Berlin);
        assert_eq!((local.hour(), local.minute()), (3, 0), "{next}");
        assert!(next > t);
        assert!(next - t <= Duration::hours(25), "{t} → {next}");
        // Nothing in between: the previous run from `next - 1s` is before `t`.
        assert!(previous_run(next - Duration::seconds(1), Frequency::Daily, &Berlin) <= t);
        t = next;
        if local.year() == 2026 {
            days += 1;
        }
    }
    assert_eq!(days, 365, "one run per day of 2026, DST days included");
}

#[test]
fn weekly_on_mondays_and_monthly_on_the_first() {
    let mut t = utc("2026-01-01T00:00:00Z");
    let mut weeks = 0;
    while t < utc("2027-01-01T00:00:00Z") {
        t = next_run(t, Frequency::Weekly, &Berlin);
        let local = t.with_timezone(&Berlin);
        if local.year() == 2026 {
            assert_eq!(local.weekday(), Weekday::Mon);
            assert_eq!(local.hour(), 3);
            weeks += 1;
        }
    }
    assert_eq!(weeks, 52, "2026 has 52 Mondays");
    let mut t = utc("2026-01-15T12:00:00Z");
    let mut months = Vec::new();
    for _ in 0..14 {
        t = next_run(t, Frequency::Monthly, &Berlin);
        let local = t.with_timezone(&Berlin);
        assert_eq!((local.day(), local.hour(), local.minute()), (1, 3, 0));
        months.push((local.year(), local.month()));
    }
    assert_eq!(months.first(), Some(&(2026, 2)));
    assert_eq!(months.last(), Some(&(2027, 3)), "crosses the year boundary");
}

#[test]
fn month_ends_and_leap_days() {
    // From the last evening of a month, the monthly run is the 1st of the next month.
    for (from, expect) in [
        ("2026-01-31T22:00:00Z", (2026, 2, 1)),
        ("2026-02-28T23:30:00Z", (2026, 3, 1)),
        ("2028-02-29T12:00:00Z", (2028, 3, 1)),
        ("2026-12-31T23:59:59Z", (2027, 1, 1)),
    ] {
        let local = next_run(utc(from), Frequency::Monthly, &Berlin).with_timezone(&Berlin);
        assert_eq!((local.year(), local.month(), local.day(), local.hour()), (expect.0, expect.1, expect.2, 3), "{from}");
    }
    // Daily across the leap day.
    let local = next_run(utc("2028-02-28T02:30:00Z"), Frequency::Daily, &Berlin).with_timezone(&Berlin);
    assert_eq!((local.month(), local.day()), (2, 29));
}

#[test]
fn berlin_dst_changes_keep_three_local() {
    // Spring forward (29 March 2026, 02:00 → 03:00): 03:00 CEST = 01:00 UTC.
    assert_eq!(next_run(utc("2026-03-28T12:00:00Z"), Frequency::Daily, &Berlin), utc("2026-03-29T01:00:00Z"));
    // The day before and after are 02:00 UTC (CET) and 01:00 UTC (CEST).
    assert_eq!(next_run(utc("2026-03-27T12:00:00Z"), Frequency::Daily, &Berlin), utc("2026-03-28T02:00:00Z"));
    assert_eq!(next_run(utc("2026-03-29T12:00:00Z"), Frequency::Daily, &Berlin), utc("2026-03-30T01:00:00Z"));
    // Fall back (25 October 2026, 03:00 CEST → 02:00 CET): 03:00 happens once, at 02:00 UTC.
    assert_eq!(next_run(utc("2026-10-24T12:00:00Z"), Frequency::Daily, &Berlin), utc("2026-10-25T02:00:00Z"));
    let runs: Vec<_> = (0..3)
        .scan(utc("2026-10-24T12:00:00Z"), |t, _| {
            *t = next_run(*t, Frequency::Daily, &Berlin);
            Some(*t)
        })
        .collect();
    assert_eq!(runs, vec![utc("2026-10-25T02:00:00Z"), utc("2026-10-26T02:00:00Z"), utc("2026-10-27T02:00:00Z")]);
}

#[test]
fn a_skipped_three_runs_at_the_next_valid_time_and_a_doubled_one_runs_once() {
    // Helsinki moves 03:00 → 04:00 on 29 March 2026: 03:00 does not exist; the run is at 04:00
    // EEST (01:00 UTC), the first valid local time after it.
    let spring = next_run(utc("2026-03-28T12:00:00Z"), Frequency::Daily, &Helsinki);
    assert_eq!(spring, utc("2026-03-29T01:00:00Z"));
    assert_eq!(spring.with_timezone(&Helsinki).hour(), 4);
    // On 25 October 2026 Helsinki goes 04:00 EEST → 03:00 EET: 03:00 happens twice
    // (00:00 UTC and 01:00 UTC). The run is at the first, and the next one is the next day.
    let first = next_run(utc("2026-10-24T12:00:00Z"), Frequency::Daily, &Helsinki);
    assert_eq!(first, utc("2026-10-25T00:00:00Z"));
    let after = next_run(first, Frequency::Daily, &Helsinki);
    assert_eq!(after, utc("2026-10-26T01:00:00Z"), "the second 03:00 does not run again");
    assert_eq!(previous_run(utc("2026-10-25T01:30:00Z"), Frequency::Daily, &Helsinki), first);
}

#[test]
fn slot_on_each_day_is_at_three_or_the_first_valid_minute() {
    let mut d = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    while d.year() == 2026 {
        let local = slot_on(&Helsinki, d).with_timezone(&Helsinki);
        assert_eq!(local.date_naive(), d);
        assert!(local.hour() == 3 || (local.hour(), local.minute()) == (4, 0), "{d}: {local}");
        d = d.succ_opt().unwrap();
    }
    let _ = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0);
}
