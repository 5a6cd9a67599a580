//! Property: for random valid backups holding records of every section, writing with the plain
//! writer and reading back with the plain reader and the checker gives back exactly what was
//! written (header, key wrap, every record in order, the counts), and the checker accepts it.
//!
//! The generators stay inside the field rules the checker applies (the same as the forms'), so
//! a refusal here is a bug in the writer, the reader or the checker, not in the data.

use base64::Engine;
use chrono::{DateTime, NaiveDate, Utc};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, subsequence};
use tt_core::backup_format::check::Checker;
use tt_core::backup_format::plain::{self, Item, PlainWriter};
use tt_core::backup_format::records::*;
use tt_core::backup_format::{Counts, FormatError, Header, KeyWrap, Section};
use tt_core::model::auth::SecuritySettings;
use tt_core::model::clients::{ClientConfig, ClientSnapshot, TagStat, UptimeBucket, CLIENT_TYPES};
use tt_core::model::notifications::{DismissedAlert, TargetSettings, Thresholds, EVENTS, TARGET_TYPES};
use tt_core::model::settings::{BackupSettings, GeneralSettings, PROXY_TYPES};
use tt_core::model::tags::{TagGroupConfig, TagMember, CHART_TYPES};
use tt_core::model::trackers::{Snapshot, TrackerConfig, TrackerRole, PLATFORMS};

// ---------------------------------------------------------------------------------------------
// Field values

/// Text the `text` rule accepts: starts with a non-blank character, no control characters, with
/// what JSON must escape (quote, backslash) and characters beyond ASCII.
fn text(max_tail: usize) -> impl Strategy<Value = String> {
    let pattern = format!("[a-zA-Z0-9é漢🦀\"\\\\<&#][a-zA-Z0-9 é漢🦀\"\\\\<&#./-]{{0,{max_tail}}}");
    proptest::string::string_regex(&pattern).expect("a valid pattern")
}

fn optional_text(max_tail: usize) -> impl Strategy<Value = Option<String>> {
    prop::option::of(text(max_tail))
}

fn color() -> impl Strategy<Value = String> {
    prop_oneof!["#[0-9a-fA-F]{6}", "#[0-9a-fA-F]{3}"]
}

fn url() -> impl Strategy<Value = String> {
    "https?://[a-z0-9]{1,20}(\\.[a-z]{2,5})?(:[1-9][0-9]{0,3})?(/[a-zA-Z0-9_.-]{0,12})?"
}

fn one_of(allowed: &'static [&'static str]) -> impl Strategy<Value = String> {
    select(allowed).prop_map(String::from)
}

/// Finite and not negative, with subnormals and the extremes: every double must come back
/// bit for bit.
fn non_negative_f64() -> impl Strategy<Value = f64> {
    use proptest::num::f64 as f;
    f::POSITIVE | f::NORMAL | f::SUBNORMAL | f::ZERO
}

fn non_negative() -> impl Strategy<Value = i64> {
    prop_oneof![0..1_000_000i64, 0..=i64::MAX]
}

fn sort_order() -> impl Strategy<Value = i64> {
    -1_000_000..=1_000_000i64
}

/// Any instant from 1970 to 2100, to the nanosecond.
fn time() -> impl Strategy<Value = DateTime<Utc>> {
    (0..4_102_444_800i64, 0..1_000_000_000u32).prop_map(|(s, n)| DateTime::from_timestamp(s, n).expect("in chrono's range"))
}

fn date() -> impl Strategy<Value = NaiveDate> {
    (700_000..760_000i32).prop_map(|d| NaiveDate::from_num_days_from_ce_opt(d).expect("in chrono's range"))
}

/// A sealed value as the checker accepts it: "tt1:" + base64url of nonce, ciphertext and tag.
fn sealed() -> impl Strategy<Value = Option<Sealed>> {
    prop::option::of(vec(any::<u8>(), 28..80).prop_map(|b| format!("tt1:{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b))))
}

fn key_wrap() -> impl Strategy<Value = KeyWrap> {
    let b64 = |b: Vec<u8>| base64::engine::general_purpose::STANDARD.encode(b);
    (1..=4u32, 0..=262_144u32, 1..=16u32, vec(any::<u8>(), 8..=64), vec(any::<u8>(), 60), "[0-9a-f]{32}").prop_map(
        move |(parallelism, memory, iterations, salt, sealed_key, key_id)| KeyWrap {
            algorithm: "argon2id/aes-256-gcm".into(),
            memory_kib: memory.max(8 * parallelism),
            iterations,
            parallelism,
            salt: b64(salt),
            sealed_key: b64(sealed_key),
            key_id,
        },
    )
}

/// Ascending positive ids, `n` of them, with gaps (ids need not be dense).
fn ids(n: usize) -> impl Strategy<Value = Vec<i64>> {
    (1..1_000i64, vec(1..1_000i64, n)).prop_map(|(start, gaps)| {
        gaps.iter()
            .scan(start, |next, gap| {
                let id = *next;
                *next += gap;
                Some(id)
            })
            .collect()
    })
}

/// `n` random records of a section, given their ids in order.
fn with_ids<T: Clone + std::fmt::Debug, S: Strategy<Value = T>>(
    n: std::ops::Range<usize>,
    one: impl Fn() -> S,
) -> impl Strategy<Value = Vec<(i64, T)>> {
    vec(one(), n).prop_flat_map(|items| ids(items.len()).prop_map(move |ids| ids.into_iter().zip(items.clone()).collect()))
}

// ---------------------------------------------------------------------------------------------
// Records

fn settings() -> impl Strategy<Value = SettingsRecord> {
    let general = (
        5..=1_440i64,
        prop::option::of(1..=36_500i64),
        any::<bool>(),
        one_of(&PROXY_TYPES),
        optional_text(40),
        prop::option::of(1..=65_535i64),
        optional_text(40),
        any::<bool>(),
        non_negative_f64(),
        1..=1_000_000i64,
    )
        .prop_map(|(poll, retention, proxy_enabled, proxy_type, host, port, user, notify, threshold, milestone)| GeneralSettings {
            poll_interval_minutes: poll,
            snapshot_retention_days: retention,
            // A proxy that is on needs its host and port.
            proxy_enabled: proxy_enabled && host.is_some() && port.is_some(),
            proxy_type,
            proxy_host: host,
            proxy_port: port,
            proxy_username: user,
            notifications_enabled: notify,
            notify_ratio_drop_threshold: threshold,
            notify_buffer_milestone_gib: milestone,
        });
    let security = (5..=43_200i64, 1..=100i64, 1..=1_440i64).prop_map(|(session_timeout_minutes, lockout_threshold, lockout_minutes)| {
        SecuritySettings { session_timeout_minutes, lockout_threshold, lockout_minutes }
    });
    // The frequency keeps its default: the field's type is the schedule's to decide.
    let calendar =
        prop::option::of((0..=366i64, 0..=520i64, 0..=240i64).prop_map(|(daily, weekly, monthly)| tt_core::model::settings::CalendarRetention {
            daily,
            weekly,
            monthly,
        }));
    let backup = (any::<bool>(), 1..=365i64, any::<bool>(), prop::option::of("/[a-z0-9_-]{1,12}(/[a-z0-9_-]{1,12}){0,3}"), calendar).prop_map(
        |(schedule, retention_count, encrypt, storage_path, calendar)| BackupSettings {
            schedule_enabled: schedule && storage_path.is_some(),
            retention_count,
            encrypt,
            storage_path,
            calendar,
            ..BackupSettings::default()
        },
    );
    // Absent (a backup from before locations) or a list, ids ascending.
    let locations = prop::option::of(vec(location(), 0..3))
        .prop_map(|list| list.map(|l| l.into_iter().enumerate().map(|(i, mut r)| (r.id = i as i64 * 3 + 1, r).1).collect::<Vec<_>>()));
    (general, sealed(), security, any::<bool>(), sealed(), sealed(), backup, sealed(), locations).prop_map(
        |(general, proxy_password, security, totp_on, secret, codes, mut backup, backup_password, locations)| {
            backup.encrypt &= backup_password.is_some();
            SettingsRecord {
                general,
                proxy_password,
                security,
                totp: TotpRecord { enabled: totp_on && secret.is_some(), secret, backup_codes: codes },
                backup,
                backup_password,
                locations,
            }
        },
    )
}

fn location() -> impl Strategy<Value = LocationRecord> {
    use tt_core::model::locations::*;
    let s3 = (
        url(),
        "[a-z]{2}-[a-z]{4,8}-[1-9]",
        "[a-z0-9][a-z0-9.-]{1,20}[a-z0-9]",
        "([a-z0-9_-]{1,8}(/[a-z0-9_-]{1,8}){0,2})?",
        "[A-Z0-9]{16,20}",
        any::<bool>(),
    )
        .prop_map(|(endpoint, region, bucket, prefix, access_key_id, path_style)| {
            LocationTarget::S3(S3Target { endpoint, region, bucket: bucket.replace("..", "a"), prefix, access_key_id, path_style })
        });
    let webdav = (url(), optional_text(20)).prop_map(|(url, username)| LocationTarget::Webdav(WebdavTarget { url, username }));
    let retention = prop_oneof![
        (1..=365i64).prop_map(|count| RetentionPolicy::KeepLast { count }),
        (1..=365i64, 0..=366i64, 0..=520i64, 0..=240i64).prop_map(|(last, daily, weekly, monthly)| RetentionPolicy::Calendar {
            last,
            daily,
            weekly,
            monthly
        }),
    ];
    (text(40), any::<bool>(), any::<bool>(), retention, prop_oneof![s3, webdav], sealed(), optional_text(40), time(), time()).prop_map(
        |(name, enabled, require_encryption, retention, target, secret, disabled_reason, created_at, updated_at)| LocationRecord {
            id: 1,
            settings: LocationSettings { name, enabled, require_encryption, retention, target },
            secret,
            disabled_reason,
            created_at,
            updated_at,
        },
    )
}

fn tracker() -> impl Strategy<Value = TrackerRecord> {
    let config =
        (
            text(60),
            url(),
            one_of(&PLATFORMS),
            proptest::string::string_regex("(/[a-z0-9_.-]{1,20}){0,3}").expect("a valid pattern"),
            color(),
            optional_text(40),
            any::<bool>(),
            any::<bool>(),
            sort_order(),
            prop::option::of(date()),
        )
            .prop_map(|(name, base_url, platform, api_path, color, client_tag, is_active, is_favorite, sort_order, joined_at)| {
                TrackerConfig { name, base_url, platform, api_path, color, client_tag, is_active, is_favorite, sort_order, joined_at }
            });
    (config, sealed(), optional_text(80), time(), time()).prop_map(|(config, api_token, disabled_reason, created_at, updated_at)| TrackerRecord {
        id: 0,
        config,
        api_token,
        disabled_reason,
        created_at,
        updated_at,
    })
}

fn role(tracker_ids: Vec<i64>) -> impl Strategy<Value = TrackerRole> {
    (select(tracker_ids), text(60), time(), optional_text(200)).prop_map(|(tracker_id, role_name, achieved_at, notes)| TrackerRole {
        id: 0,
        tracker_id,
        role_name,
        achieved_at,
        notes,
    })
}

fn snapshot(tracker_ids: Vec<i64>) -> impl Strategy<Value = Snapshot> {
    let counts = (non_negative(), non_negative(), prop::option::of((i64::MIN + 1)..=i64::MAX), prop::option::of(non_negative()));
    let more = (prop::option::of(non_negative()), prop::option::of(non_negative()), prop::option::of(non_negative()), any::<bool>(), any::<bool>());
    let doubles = (prop::option::of(non_negative_f64()), prop::option::of(non_negative_f64()), prop::option::of(non_negative_f64()));
    (select(tracker_ids), time(), counts, more, doubles, optional_text(60), optional_text(60)).prop_map(
        |(tracker_id, polled_at, (up, down, buffer, seeding), (leeching, hnr, tokens, warned, manual), (ratio, bonus, required), user, group)| {
            Snapshot {
                id: 0,
                tracker_id,
                polled_at,
                uploaded_bytes: up,
                downloaded_bytes: down,
                ratio,
                buffer_bytes: buffer,
                seeding_count: seeding,
                leeching_count: leeching,
                seed_bonus: bonus,
                hit_and_runs: hnr,
                required_ratio: required,
                warned,
                freeleech_tokens: tokens,
                username: user,
                group_name: group,
                is_manual: manual,
            }
        },
    )
}

fn client() -> impl Strategy<Value = DownloadClientRecord> {
    let config = (
        text(60),
        one_of(&CLIENT_TYPES),
        "[a-z0-9][a-z0-9.-]{0,30}",
        1..=65_535i64,
        any::<bool>(),
        10..=86_400i64,
        any::<bool>(),
        vec(text(30), 0..4),
        any::<bool>(),
    )
        .prop_map(|(name, client_type, host, port, use_tls, poll, is_default, cross_seed_tags, enabled)| ClientConfig {
            name,
            client_type,
            host,
            port,
            use_tls,
            poll_interval_seconds: poll,
            is_default,
            cross_seed_tags,
            enabled,
        });
    (config, sealed(), sealed(), optional_text(80), time(), time()).prop_map(
        |(config, username, password, disabled_reason, created_at, updated_at)| DownloadClientRecord {
            id: 0,
            config,
            username,
            password,
            disabled_reason,
            created_at,
            updated_at,
        },
    )
}

fn client_snapshot(client_ids: Vec<i64>) -> impl Strategy<Value = ClientSnapshot> {
    let stat = (text(40), non_negative(), non_negative(), non_negative(), non_negative())
        .prop_map(|(tag, seeding, leeching, uploaded_bytes, size_bytes)| TagStat { tag, seeding, leeching, uploaded_bytes, size_bytes });
    (select(client_ids), time(), non_negative(), non_negative(), non_negative(), non_negative(), vec(stat, 0..4)).prop_map(
        |(client_id, polled_at, seeding_count, leeching_count, upload_speed_bps, download_speed_bps, tag_stats)| ClientSnapshot {
            id: 0,
            client_id,
            polled_at,
            seeding_count,
            leeching_count,
            upload_speed_bps,
            download_speed_bps,
            tag_stats,
        },
    )
}

fn uptime_bucket(client_ids: Vec<i64>) -> impl Strategy<Value = UptimeBucket> {
    (select(client_ids), time(), 0..=i64::MAX, any::<u64>()).prop_map(|(client_id, bucket_start, total, ok)| UptimeBucket {
        id: 0,
        client_id,
        bucket_start,
        checks_total: total,
        // Successful checks cannot exceed all checks.
        checks_ok: i64::try_from(ok % (total as u64 + 1)).expect("at most checks_total"),
    })
}

fn tag_group() -> impl Strategy<Value = TagGroupRecord> {
    (text(60), optional_text(8), one_of(&CHART_TYPES), optional_text(200), sort_order(), any::<bool>())
        .prop_map(|(name, emoji, chart_type, description, sort_order, count_unmatched)| TagGroupConfig {
            name,
            emoji,
            chart_type,
            description,
            sort_order,
            count_unmatched,
        })
        .prop_map(|config| TagGroupRecord { id: 0, config })
}

fn tag_member(group_ids: Vec<i64>) -> impl Strategy<Value = TagMemberRecord> {
    (select(group_ids), text(40), optional_text(40), color(), sort_order()).prop_map(|(group_id, tag, label, color, sort_order)| TagMemberRecord {
        id: 0,
        group_id,
        member: TagMember { tag, label, color, sort_order },
    })
}

fn target(tracker_ids: Vec<i64>) -> impl Strategy<Value = NotificationTargetRecord> {
    let keys: Vec<String> = EVENTS.iter().map(|(k, _)| k.to_string()).collect();
    let trackers = if tracker_ids.is_empty() {
        Just(None).boxed()
    } else {
        let n = tracker_ids.len();
        prop::option::of(subsequence(tracker_ids, 1..=n)).boxed()
    };
    let thresholds = (non_negative_f64(), non_negative_f64(), 1..=1_000_000i64)
        .prop_map(|(ratio_drop, ratio_danger, buffer_milestone_gib)| Thresholds { ratio_drop, ratio_danger, buffer_milestone_gib });
    let n_events = keys.len();
    (
        text(60),
        one_of(&TARGET_TYPES),
        any::<bool>(),
        subsequence(keys, 0..=n_events),
        thresholds,
        trackers,
        sealed(),
        optional_text(80),
        time(),
        time(),
    )
        .prop_map(|(name, target_type, enabled, events, thresholds, tracker_ids, config, disabled_reason, created_at, updated_at)| {
            NotificationTargetRecord {
                id: 0,
                settings: TargetSettings { name, target_type, enabled, events, thresholds, tracker_ids },
                config,
                disabled_reason,
                created_at,
                updated_at,
            }
        })
}

// ---------------------------------------------------------------------------------------------
// A whole backup

#[derive(Debug, Clone)]
struct Backup {
    created_at: DateTime<Utc>,
    instance_url: Option<String>,
    key_wrap: Option<KeyWrap>,
    /// Every record in file order, settings first.
    records: Vec<Record>,
}

/// Records of every section; the children refer to parents of the same backup. Sections whose
/// parents are absent stay empty (the checker refuses a dangling reference).
fn backup() -> impl Strategy<Value = Backup> {
    let parents = (
        with_ids(0..4, tracker),
        with_ids(0..3, client),
        with_ids(0..3, tag_group),
        time(),
        prop::option::of(url()),
        prop::option::of(key_wrap()),
        settings(),
    );
    parents.prop_flat_map(|(trackers, clients, groups, created_at, instance_url, key_wrap, settings)| {
        let tracker_ids: Vec<i64> = trackers.iter().map(|(id, _)| *id).collect();
        let client_ids: Vec<i64> = clients.iter().map(|(id, _)| *id).collect();
        let group_ids: Vec<i64> = groups.iter().map(|(id, _)| *id).collect();
        let children_of = |parents: &[i64], n: std::ops::Range<usize>| if parents.is_empty() { 0..1 } else { n };
        let t = tracker_ids.clone();
        let roles = with_ids(children_of(&tracker_ids, 0..4), move || role(if t.is_empty() { vec![1] } else { t.clone() }));
        let t = tracker_ids.clone();
        let snapshots = with_ids(children_of(&tracker_ids, 0..6), move || snapshot(if t.is_empty() { vec![1] } else { t.clone() }));
        let c = client_ids.clone();
        let client_snapshots = with_ids(children_of(&client_ids, 0..5), move || client_snapshot(if c.is_empty() { vec![1] } else { c.clone() }));
        let c = client_ids.clone();
        let buckets = with_ids(children_of(&client_ids, 0..5), move || uptime_bucket(if c.is_empty() { vec![1] } else { c.clone() }));
        let g = group_ids.clone();
        let members = with_ids(children_of(&group_ids, 0..6), move || tag_member(if g.is_empty() { vec![1] } else { g.clone() }));
        let t = tracker_ids.clone();
        let targets = with_ids(0..4, move || target(t.clone()));
        let alerts = with_ids(0..4, || (text(60), time()).prop_map(|(alert_key, dismissed_at)| DismissedAlert { id: 0, alert_key, dismissed_at }));
        (
            Just((trackers, clients, groups, created_at, instance_url, key_wrap, settings)),
            roles,
            snapshots,
            client_snapshots,
            buckets,
            members,
            targets,
            alerts,
        )
            .prop_map(|(parents, roles, snapshots, client_snapshots, buckets, members, targets, alerts)| {
                assemble(parents, roles, snapshots, client_snapshots, buckets, members, targets, alerts)
            })
    })
}

/// Records with the id they get.
type WithIds<T> = Vec<(i64, T)>;

type Parents =
    (WithIds<TrackerRecord>, WithIds<DownloadClientRecord>, WithIds<TagGroupRecord>, DateTime<Utc>, Option<String>, Option<KeyWrap>, SettingsRecord);

/// Puts the generated parts together in file order. A section whose parents are absent was
/// generated with at most one placeholder record, dropped here.
#[allow(clippy::too_many_arguments)]
fn assemble(
    (trackers, clients, groups, created_at, instance_url, key_wrap, settings): Parents,
    roles: WithIds<TrackerRole>,
    snapshots: WithIds<Snapshot>,
    client_snapshots: WithIds<ClientSnapshot>,
    buckets: WithIds<UptimeBucket>,
    members: WithIds<TagMemberRecord>,
    targets: WithIds<NotificationTargetRecord>,
    alerts: WithIds<DismissedAlert>,
) -> Backup {
    let (has_trackers, has_clients, has_groups) = (!trackers.is_empty(), !clients.is_empty(), !groups.is_empty());
    let mut records = vec![Record::Settings(Box::new(settings))];
    records.extend(trackers.into_iter().map(|(id, t)| Record::Tracker(TrackerRecord { id, ..t })));
    if has_trackers {
        records.extend(roles.into_iter().map(|(id, r)| Record::TrackerRole(TrackerRole { id, ..r })));
        records.extend(snapshots.into_iter().map(|(id, s)| Record::TrackerSnapshot(Snapshot { id, ..s })));
    }
    records.extend(clients.into_iter().map(|(id, c)| Record::DownloadClient(DownloadClientRecord { id, ..c })));
    if has_clients {
        records.extend(client_snapshots.into_iter().map(|(id, s)| Record::ClientSnapshot(ClientSnapshot { id, ..s })));
        records.extend(buckets.into_iter().map(|(id, b)| Record::ClientUptimeBucket(UptimeBucket { id, ..b })));
    }
    records.extend(groups.into_iter().map(|(id, g)| Record::TagGroup(TagGroupRecord { id, ..g })));
    if has_groups {
        // A tag appears once per group: the record's index (one digit) makes it unique.
        records.extend(members.into_iter().enumerate().map(|(i, (id, m))| {
            let member = TagMember { tag: format!("{}{i}", m.member.tag.trim()), ..m.member };
            Record::TagGroupMember(TagMemberRecord { id, group_id: m.group_id, member })
        }));
    }
    records.extend(targets.into_iter().map(|(id, t)| Record::NotificationTarget(NotificationTargetRecord { id, ..t })));
    // An alert is dismissed once: the index (one digit) makes its key unique.
    records.extend(
        alerts
            .into_iter()
            .enumerate()
            .map(|(i, (id, a))| Record::DismissedAlert(DismissedAlert { id, alert_key: format!("{}{i}", a.alert_key.trim()), ..a })),
    );
    let mut backup = Backup { created_at, instance_url, key_wrap, records };
    if backup.key_wrap.is_none() {
        without_secrets(&mut backup.records);
    }
    backup
}

/// Sealed values need a key wrap to open them: a backup without one holds none.
fn without_secrets(records: &mut [Record]) {
    for r in records {
        match r {
            Record::Settings(s) => {
                s.proxy_password = None;
                s.totp = TotpRecord { enabled: false, secret: None, backup_codes: None };
                s.backup_password = None;
                s.backup.encrypt = false;
                for l in s.locations.iter_mut().flatten() {
                    l.secret = None;
                }
            }
            Record::Tracker(t) => t.api_token = None,
            Record::DownloadClient(c) => {
                c.username = None;
                c.password = None;
            }
            Record::NotificationTarget(t) => t.config = None,
            _ => {}
        }
    }
}

fn counts(records: &[Record]) -> Counts {
    let mut counts = Counts::default();
    for r in records {
        *counts.get_mut(r.section()) += 1;
    }
    counts
}

/// Writes the backup with the plain writer, section by section.
fn write(b: &Backup) -> Result<Vec<u8>, FormatError> {
    let header = Header::new(b.created_at, b.instance_url.clone(), counts(&b.records));
    let mut w = PlainWriter::begin(Vec::new(), &header, b.key_wrap.as_ref())?;
    let mut records = b.records.iter().peekable();
    for section in Section::ALL {
        if section == Section::Settings {
            match records.next() {
                Some(Record::Settings(s)) => w.settings(s)?,
                other => panic!("the settings come first, not {other:?}"),
            }
            continue;
        }
        w.begin_section(section)?;
        while let Some(r) = records.next_if(|r| r.section() == section) {
            match r {
                Record::Settings(_) => unreachable!("written above"),
                Record::Tracker(x) => w.record(x.id, x)?,
                Record::TrackerRole(x) => w.record(x.id, x)?,
                Record::TrackerSnapshot(x) => w.record(x.id, x)?,
                Record::DownloadClient(x) => w.record(x.id, x)?,
                Record::ClientSnapshot(x) => w.record(x.id, x)?,
                Record::ClientUptimeBucket(x) => w.record(x.id, x)?,
                Record::TagGroup(x) => w.record(x.id, x)?,
                Record::TagGroupMember(x) => w.record(x.id, x)?,
                Record::NotificationTarget(x) => w.record(x.id, x)?,
                Record::DismissedAlert(x) => w.record(x.id, x)?,
            }
        }
        w.end_section()?;
    }
    assert!(records.next().is_none(), "every record belongs to a section, in section order");
    w.finish()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn write_then_read_is_the_identity(b in backup()) {
        let bytes = write(&b).map_err(|e| TestCaseError::fail(format!("the writer refused valid data: {e}")))?;
        let mut checker = Checker::new();
        let (mut header, mut key_wrap, mut records, mut ends) = (None, None, Vec::new(), Vec::new());
        plain::read(bytes.as_slice(), |item| {
            checker.item(&item)?;
            match item {
                Item::Header(h) => header = Some(h),
                Item::KeyWrap(w) => key_wrap = Some(w),
                Item::Record(r) => records.push(r),
                Item::SectionEnd { section, count } => ends.push((section, count)),
            }
            Ok(())
        })
        .map_err(|e| TestCaseError::fail(format!("the reader or the checker refused it: {e}")))?;
        let checked = checker.finish().map_err(|e| TestCaseError::fail(format!("the checker refused it at the end: {e}")))?;

        let expected_counts = counts(&b.records);
        let header = header.expect("the header is read first");
        prop_assert_eq!(&header, &Header::new(b.created_at, b.instance_url.clone(), expected_counts.clone()));
        prop_assert_eq!(key_wrap, Some(b.key_wrap.clone()));
        prop_assert_eq!(&records, &b.records);
        let expected_ends: Vec<(Section, u64)> = Section::ALL.iter().map(|s| (*s, expected_counts.get(*s))).collect();
        prop_assert_eq!(ends, expected_ends);
        prop_assert_eq!(&checked.counts, &expected_counts);
        prop_assert_eq!(checked.header, header);
        prop_assert_eq!(checked.settings.as_ref(), b.records.first().and_then(|r| match r { Record::Settings(s) => Some(s.as_ref()), _ => None }));
    }
}

/// The generator reaches every section: a property over empty sections would prove little.
#[test]
fn the_generator_fills_every_section() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = backup();
    let mut seen = Counts::default();
    for _ in 0..200 {
        let b = strategy.new_tree(&mut runner).expect("a value").current();
        for s in Section::ALL {
            *seen.get_mut(s) += counts(&b.records).get(s);
        }
    }
    for s in Section::ALL {
        assert!(seen.get(s) > 0, "no {} in 200 backups", s.key());
    }
}
