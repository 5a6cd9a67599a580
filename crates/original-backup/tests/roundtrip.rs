//! The test writer's three vintages, written and read back: every record, every field, every
//! secret (opened with the login password) equals the generated source.

use std::collections::BTreeMap;

use original_backup::read::{Collect, Sink};
use original_backup::records::*;
use original_backup::writer::{self, Instance, Options, Vintage};
use original_backup::{envelope, read, sniff, Error, InstanceKey, Sniffed};
use serde_json::{json, Value};

const LOGIN: &str = "source-login-password";
const BACKUP_PW: &str = "backup-pw-✓";
const ENV_SALT: &str = "aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbccccccccccccccccdddddddddddddddd";

fn open(key: &InstanceKey, s: &str) -> String {
    if s.is_empty() {
        return String::new();
    }
    key.open(s).unwrap().to_string()
}

fn open_opt(key: &InstanceKey, s: &Option<String>) -> Option<String> {
    s.as_ref().map(|s| open(key, s))
}

/// The records read back, with every secret opened: comparable with the source instance.
fn opened(c: Collect, key: &InstanceKey) -> Instance {
    let m = c.manifest.unwrap();
    let st = c.settings.unwrap();
    let settings = Settings {
        totp_secret: open_opt(key, &st.totp_secret),
        totp_backup_codes: open_opt(key, &st.totp_backup_codes),
        encrypted_proxy_password: open_opt(key, &st.encrypted_proxy_password),
        encrypted_backup_password: open_opt(key, &st.encrypted_backup_password),
        encrypted_ptpimg_api_key: open_opt(key, &st.encrypted_ptpimg_api_key),
        encrypted_oeimg_api_key: open_opt(key, &st.encrypted_oeimg_api_key),
        encrypted_imgbb_api_key: open_opt(key, &st.encrypted_imgbb_api_key),
        ..st
    };
    let mut inst = Instance {
        created_at: m.created_at,
        instance_url: m.instance_url,
        settings,
        trackers: vec![],
        tracker_snapshots: vec![],
        tracker_roles: vec![],
        download_clients: vec![],
        tag_groups: vec![],
        tag_group_members: vec![],
        client_snapshots: vec![],
        client_uptime_buckets: vec![],
        dismissed_alerts: vec![],
        notification_targets: vec![],
        generated_snapshots: None,
    };
    for r in c.records {
        match r {
            Record::Tracker(t) => inst.trackers.push(Tracker { encrypted_api_token: open(key, &t.encrypted_api_token), ..t }),
            Record::TrackerSnapshot(s) => inst.tracker_snapshots.push(s),
            Record::TrackerRole(r) => inst.tracker_roles.push(r),
            Record::DownloadClient(d) => inst.download_clients.push(DownloadClient {
                encrypted_username: open(key, &d.encrypted_username),
                encrypted_password: open(key, &d.encrypted_password),
                ..d
            }),
            Record::TagGroup(g) => inst.tag_groups.push(g),
            Record::TagGroupMember(m) => inst.tag_group_members.push(m),
            Record::ClientSnapshot(s) => inst.client_snapshots.push(s),
            Record::ClientUptimeBucket(b) => inst.client_uptime_buckets.push(b),
            Record::DismissedAlert(a) => inst.dismissed_alerts.push(a),
            Record::NotificationTarget(t) => {
                inst.notification_targets.push(NotificationTarget { encrypted_config: open(key, &t.encrypted_config), ..t })
            }
        }
    }
    inst
}

fn plain(inst: &Instance, v: Vintage, opts: &Options) -> Vec<u8> {
    let mut out = Vec::new();
    writer::write_plain(&mut out, inst, v, LOGIN, opts).unwrap();
    out
}

#[test]
fn every_vintage_round_trips_plain_and_encrypted() {
    for v in Vintage::ALL {
        let inst = writer::generate(v, 9, 30, 42);
        let file = plain(&inst, v, &Options::default());

        let Sniffed::Plain(m) = sniff(&file[..4096.min(file.len())]).unwrap() else { panic!() };
        assert_eq!(m.app_version.as_deref(), Some(v.app_version()));
        assert_eq!(m.counts["trackerSnapshots"], 9 * 30);

        let mut c = Collect::default();
        let report = read(&file[..], &mut c).unwrap();
        assert!(report.count_mismatches().is_empty(), "{v:?}: {:?}", report.count_mismatches());
        assert!(report.unknown_fields.is_empty(), "{v:?}: {:?}", report.unknown_fields);
        assert!(report.unknown_top_level_keys.is_empty());
        assert_eq!(report.bytes_read, file.len() as u64);
        let key = InstanceKey::derive(LOGIN, &c.settings.as_ref().unwrap().encryption_salt).unwrap();
        assert!(key.check(c.settings.as_ref().unwrap().secrets().into_iter().map(|(_, s)| s)).unwrap());
        // Every sealed field of every record opens with the confirmed key.
        let mut sealed = 0;
        for r in &c.records {
            for (field, secret) in r.secrets() {
                key.open_after_check(secret, &format!("{}.{field}", r.section().name())).unwrap();
                sealed += 1;
            }
        }
        let expected_sealed = inst.trackers.iter().filter(|t| !t.encrypted_api_token.is_empty()).count()
            + 2 // the first client's username and password
            + inst.notification_targets.len();
        assert_eq!(sealed, expected_sealed, "{v:?}");
        let back = opened(c, &key);
        assert_eq!(back, inst, "{v:?}");

        // The same payload inside a .ttbak, decrypted streaming in odd-sized pushes.
        let mut ttbak = Vec::new();
        let at = writer::generate(v, 0, 0, 0).created_at;
        writer::write_ttbak(&mut ttbak, &inst, v, LOGIN, BACKUP_PW, ENV_SALT, at, [9; 12], &Options::default()).unwrap();
        let Sniffed::Encrypted(h) = sniff(&ttbak[..300]).unwrap() else { panic!() };
        assert_eq!(h.created_at, at);
        let mut d = envelope::EnvelopeDecryptor::new(BACKUP_PW).unwrap();
        let mut out = Vec::new();
        for piece in ttbak.chunks(4093) {
            d.push(piece, &mut out).unwrap();
        }
        let done = d.finish(&mut out).unwrap();
        assert_eq!(out, file, "{v:?}: the .ttbak holds exactly the plain payload");
        assert!(matches!(sniff(&done.prefix), Ok(Sniffed::Plain(_))));
        // The streaming two-pass writer wrote exactly the one-shot seal of the payload.
        let key = original_backup::kdf::derive(BACKUP_PW, ENV_SALT, "envelope").unwrap();
        let one_shot = {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.encode(original_backup::gcm::seal(&key, &[9; 12], &file))
        };
        assert!(String::from_utf8(ttbak.clone()).unwrap().ends_with(&format!("\"ciphertext\":\"{one_shot}\"}}")));

        // Another login password opens none of the secrets.
        let wrong = InstanceKey::derive("not-it", writer::TEST_INSTANCE_SALT).unwrap();
        assert!(matches!(wrong.open(&inst_secret(&file)), Err(Error::WrongLoginPassword)));
    }
}

/// The first sealed totpSecret in a written file.
fn inst_secret(file: &[u8]) -> String {
    let v: Value = serde_json::from_slice(file).unwrap();
    v["settings"]["totpSecret"].as_str().unwrap().to_owned()
}

/// The keys of the first object found after `"<section>":[` (or `"<section>":{`), in file order.
fn first_keys(file: &str, section: &str) -> Vec<String> {
    let start = file
        .find(&format!("\"{section}\":["))
        .map(|i| i + section.len() + 4)
        .or_else(|| file.find(&format!("\"{section}\":{{")).map(|i| i + section.len() + 3))
        .unwrap();
    let body = &file[start..];
    let mut it = serde_json::Deserializer::from_str(body).into_iter::<Value>();
    let obj_len = {
        it.next().unwrap().unwrap();
        it.byte_offset()
    };
    let obj = &body[..obj_len];
    // Top-level keys of this object, in order: walk with a depth counter.
    let mut keys = Vec::new();
    let (mut depth, mut i, b) = (0i32, 0usize, obj.as_bytes());
    while i < b.len() {
        match b[i] {
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth -= 1,
            b'"' => {
                let mut j = i + 1;
                while b[j] != b'"' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                if depth == 1 && b[j + 1] == b':' {
                    keys.push(obj[i + 1..j].to_owned());
                }
                i = j;
            }
            _ => {}
        }
        i += 1;
    }
    keys
}

#[test]
fn vintages_have_the_keys_of_their_release_in_the_original_order() {
    let f17 = String::from_utf8(plain(&writer::generate(Vintage::V1_7, 2, 2, 1), Vintage::V1_7, &Options::default())).unwrap();
    let f23 = String::from_utf8(plain(&writer::generate(Vintage::V2_3, 2, 2, 1), Vintage::V2_3, &Options::default())).unwrap();
    let f289 = String::from_utf8(plain(&writer::generate(Vintage::V2_8_9, 2, 2, 1), Vintage::V2_8_9, &Options::default())).unwrap();

    let top = |f: &str| -> Vec<String> { first_keys(&format!("{{\"x\":{f}}}"), "x") };
    assert_eq!(
        top(&f17),
        [
            "manifest",
            "settings",
            "trackers",
            "trackerSnapshots",
            "trackerRoles",
            "downloadClients",
            "tagGroups",
            "tagGroupMembers",
            "clientSnapshots",
            "clientUptimeBuckets"
        ]
    );
    assert_eq!(top(&f289).len(), 12);
    assert_eq!(top(&f289)[10..], ["dismissedAlerts", "notificationTargets"]);
    assert_eq!(top(&f23), top(&f289));

    assert_eq!(first_keys(&f17, "manifest"), ["version", "appVersion", "createdAt", "encrypted", "counts"]);
    assert_eq!(first_keys(&f289, "manifest"), ["version", "appVersion", "instanceUrl", "createdAt", "encrypted", "counts"]);
    assert!(f17.contains("\"counts\":{\"trackers\":2,\"trackerSnapshots\":4,\"trackerRoles\":2,\"downloadClients\":2,\"tagGroups\":1,\"tagGroupMembers\":2,\"clientSnapshots\":2,\"clientUptimeBuckets\":2}"));

    let s17 = first_keys(&f17, "settings");
    assert!(s17.contains(&"autoWipeThreshold".to_string()) && !s17.iter().any(|k| k.starts_with("lockout")));
    assert!(!s17.contains(&"encryptedBackupPassword".to_string()));
    let s289 = first_keys(&f289, "settings");
    assert_eq!(s289.len(), 31);
    assert_eq!(&s289[5..9], ["sessionTimeoutMinutes", "lockoutEnabled", "lockoutThreshold", "lockoutDurationMinutes"]);
    assert!(!first_keys(&f23, "settings").contains(&"encryptedPtpimgApiKey".to_string()));

    let t289 = first_keys(&f289, "trackers");
    assert_eq!(t289.len(), 27);
    assert_eq!(t289[..8], ["id", "name", "baseUrl", "apiPath", "platformType", "encryptedApiToken", "isActive", "userPausedAt"]);
    assert_eq!(first_keys(&f17, "trackers").len(), 22);
    assert_eq!(first_keys(&f23, "trackers").len(), 22);
    assert_eq!(first_keys(&f289, "trackerSnapshots").last().unwrap(), "isManual");
    assert_eq!(first_keys(&f23, "trackerSnapshots").last().unwrap(), "group");
    assert_eq!(first_keys(&f289, "notificationTargets").len(), 24);
    assert_eq!(first_keys(&f23, "notificationTargets").len(), 19);

    // Serialisation rules.
    assert!(f289.contains("\"uploadedBytes\":\"9223372036854775807\""), "byte counts are decimal strings");
    assert!(f289.contains("\"polledAt\":\"2025-01-01T00:00:00."), "ISO with milliseconds");
    assert!(f289.contains("\"joinedAt\":\"2020-01-15\""), "dates");
    assert!(f289.contains("\"crossSeedTags\":[\"cross-seed\",\"xs\"]"));
    assert!(f17.contains("\"crossSeedTags\":\"[\\\"cross-seed\\\",\\\"xs\\\"]\""), "a JSON text before 2.0.2");
    assert!(f289.contains("\"encryptedUsername\":\"\""), "cleared secrets stay empty strings");
    assert!(!f289.contains("qbit-pass") && !f289.contains(writer::TEST_TOTP_SECRET), "secrets are sealed");
    assert!(!f289.contains("\": ") && !f289.contains(", \""), "compact");
}

#[test]
fn totp_backup_codes_are_stored_like_the_original() {
    let inst = writer::generate(Vintage::V2_8_9, 1, 1, 3);
    let codes: Value = serde_json::from_str(inst.settings.totp_backup_codes.as_ref().unwrap()).unwrap();
    let first = &codes[0];
    // sha256hex("A1B2C3D4" + salt), computed independently of the writer's helper.
    use sha2::Digest;
    let expect = hex::encode(sha2::Sha256::digest(format!("A1B2C3D4{}", first["salt"].as_str().unwrap())));
    assert_eq!(first["hash"], json!(expect));
    assert_eq!(first["used"], json!(true));
    assert_eq!(codes.as_array().unwrap().len(), 8);
    // And the reading side checks them: the first is used, the others match.
    let parsed = original_backup::BackupCodes::parse(inst.settings.totp_backup_codes.as_ref().unwrap()).unwrap();
    assert_eq!(parsed.unused(), 7);
    assert_eq!(parsed.find(writer::TEST_BACKUP_CODES[0]), None);
    assert_eq!(parsed.find(&writer::TEST_BACKUP_CODES[3].to_lowercase()), Some(3));
}

#[test]
fn count_mismatch_and_unknown_keys_are_reported_not_fatal() {
    let inst = writer::generate(Vintage::V2_8_9, 2, 3, 5);
    let mut counts = BTreeMap::new();
    counts.insert("trackers".to_string(), 2);
    counts.insert("trackerSnapshots".to_string(), 7);
    counts.insert("somethingNew".to_string(), 1);
    let opts = Options {
        counts_override: Some(counts),
        extra_top_level: vec![("futureTable".into(), json!([{"id": 1, "x": {"deep": [1, 2, 3]}}]))],
        ..Options::default()
    };
    let file = plain(&inst, Vintage::V2_8_9, &opts);
    let report = read(&file[..], &mut original_backup::read::Discard).unwrap();
    assert_eq!(report.unknown_top_level_keys, ["futureTable"]);
    let mm = report.count_mismatches();
    assert!(mm.iter().any(|m| m.key == "trackerSnapshots" && m.manifest == Some(7) && m.actual == Some(6)));
    assert!(mm.iter().any(|m| m.key == "somethingNew" && m.actual.is_none()));
    assert!(mm.iter().any(|m| m.key == "trackerRoles" && m.manifest.is_none()));
}

#[test]
fn unknown_fields_are_counted_by_section_and_name() {
    let inst = writer::generate(Vintage::V2_8_9, 2, 2, 5);
    let file = String::from_utf8(plain(&inst, Vintage::V2_8_9, &Options::default())).unwrap();
    let file = file.replace("\"isManual\":", "\"newSnapshotField\":1,\"isManual\":");
    let mut c = Collect::default();
    let report = read(file.as_bytes(), &mut c).unwrap();
    assert_eq!(report.unknown_fields[&("trackerSnapshots".to_string(), "newSnapshotField".to_string())], 4);
    let Record::TrackerSnapshot(s) = c.records.iter().find(|r| r.section() == Section::TrackerSnapshots).unwrap() else { panic!() };
    assert_eq!(s.unknown["newSnapshotField"], json!(1));
}

#[test]
fn records_arrive_one_at_a_time_in_file_order() {
    struct Order(Vec<Section>, usize);
    impl Sink for Order {
        fn settings(&mut self, _: Settings) -> original_backup::Result<()> {
            Ok(())
        }
        fn section_start(&mut self, s: Section) -> original_backup::Result<()> {
            self.0.push(s);
            Ok(())
        }
        fn record(&mut self, r: Record) -> original_backup::Result<()> {
            assert_eq!(Some(&r.section()), self.0.last());
            self.1 += 1;
            Ok(())
        }
    }
    let inst = writer::generate(Vintage::V2_3, 3, 4, 8);
    let file = plain(&inst, Vintage::V2_3, &Options::default());
    // A reader that hands out one byte per call: nothing depends on read sizes.
    struct OneByte<'a>(&'a [u8]);
    impl std::io::Read for OneByte<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0.is_empty() || buf.is_empty() {
                return Ok(0);
            }
            buf[0] = self.0[0];
            self.0 = &self.0[1..];
            Ok(1)
        }
    }
    let mut o = Order(vec![], 0);
    let report = read(OneByte(&file), &mut o).unwrap();
    assert_eq!(o.0, Section::ALL.to_vec());
    assert_eq!(o.1 as u64, report.counts.values().sum::<u64>());
}

#[test]
fn generated_snapshots_stream_like_listed_ones() {
    let large = writer::generate_large(Vintage::V2_8_9, 3, 50, 11);
    assert!(large.tracker_snapshots.is_empty());
    let mut listed = large.clone();
    listed.tracker_snapshots = large.generated_snapshot_iter(Vintage::V2_8_9).collect();
    listed.generated_snapshots = None;
    assert_eq!(listed.tracker_snapshots.len(), 150);
    let a = plain(&large, Vintage::V2_8_9, &Options::default());
    let b = plain(&listed, Vintage::V2_8_9, &Options::default());
    assert_eq!(a, b);
    let mut c = Collect::default();
    let report = read(&a[..], &mut c).unwrap();
    assert_eq!(report.counts[&Section::TrackerSnapshots], 150);
    assert!(report.count_mismatches().is_empty());
    // Ids ascend across trackers; byte counts grow within each tracker.
    let snaps: Vec<&TrackerSnapshot> = c.records.iter().filter_map(|r| if let Record::TrackerSnapshot(s) = r { Some(s) } else { None }).collect();
    assert!(snaps.windows(2).all(|w| w[0].id < w[1].id));
    assert!(snaps.windows(2).filter(|w| w[0].tracker_id == w[1].tracker_id && w[0].id > 1).all(|w| w[0].uploaded_bytes < w[1].uploaded_bytes));
}
