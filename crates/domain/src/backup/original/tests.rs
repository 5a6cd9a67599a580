use super::*;
use crate::secrets::purpose;
use original_backup::writer::{self, Options, Vintage};
use tt_core::backup_format::check::check_all;
use tt_core::backup_format::plain::{self, Item};
use tt_core::backup_format::records::Record;

const LOGIN: &str = "original login pw";

fn write(dir: &Path, inst: &writer::Instance, v: Vintage, opts: &Options) -> PathBuf {
    let p = dir.join("original.json");
    let f = std::fs::File::create(&p).unwrap();
    writer::write_plain(BufWriter::new(f), inst, v, LOGIN, opts).unwrap();
    p
}

fn sniff(path: &Path) -> Sniffed {
    detect(path).unwrap().expect("recognised as an original backup")
}

fn pw(current: &str, source: Option<&str>) -> Passwords {
    Passwords { current: Zeroizing::new(current.into()), source: source.map(|s| Zeroizing::new(s.into())), backup: None }
}

fn records(path: &Path) -> Vec<Record> {
    let mut out = Vec::new();
    plain::read(std::fs::File::open(path).unwrap(), |item| {
        if let Item::Record(r) = item {
            out.push(r);
        }
        Ok(())
    })
    .unwrap();
    out
}

fn wrap_key(path: &Path, password: &str) -> DataKey {
    let mut wrap = None;
    plain::read(std::fs::File::open(path).unwrap(), |item| {
        if let Item::KeyWrap(w) = item {
            wrap = w;
        }
        Ok(())
    })
    .unwrap();
    wrap.expect("a key wrap").open(password).unwrap()
}

#[test]
fn every_vintage_converts_to_a_native_file_that_passes_the_native_check() {
    for v in Vintage::ALL {
        let dir = tempfile::tempdir().unwrap();
        let inst = writer::generate(v, 8, 5, 7);
        let file = write(dir.path(), &inst, v, &Options::default());
        let p = prepare(&file, &sniff(&file), &pw(LOGIN, None), dir.path()).unwrap();
        let checked = check_all(std::fs::File::open(&p.native).unwrap()).unwrap();
        // Trackers of all 8 platforms are kept (digitalcore and custom too, as they are), with their history.
        assert_eq!(checked.counts.trackers, 8, "{v:?}");
        assert_eq!(checked.counts.tracker_snapshots, 40, "{v:?}");
        assert_eq!(checked.counts.tracker_roles, 8);
        assert_eq!(checked.counts.download_clients, 2);
        assert_eq!(checked.header.app_version, v.app_version());
        assert_eq!(p.report.secrets.opened_with, "current_password");
        // Every target is carried: discord, gotify, telegram, slack, email.
        let targets = if v >= Vintage::V2_3 { 5 } else { 0 };
        assert_eq!(checked.counts.notification_targets, targets, "{v:?}");
        // Values: byte counts exact, instants kept, secrets open to the original plaintexts.
        let key = wrap_key(&p.native, &p.wrap_password);
        let recs = records(&p.native);
        let snaps: Vec<_> = recs.iter().filter_map(|r| if let Record::TrackerSnapshot(s) = r { Some(s) } else { None }).collect();
        for (got, want) in snaps.iter().zip(&inst.tracker_snapshots) {
            assert_eq!(got.uploaded_bytes as u64, want.uploaded_bytes);
            assert_eq!(got.downloaded_bytes as u64, want.downloaded_bytes);
            assert_eq!(got.polled_at, want.polled_at);
            assert_eq!(got.group_name, want.group);
            assert_eq!(got.buffer_bytes, want.buffer_bytes, "signed, exact");
            assert_eq!(got.share_score, want.share_score);
        }
        assert!(snaps.iter().any(|s| s.buffer_bytes.is_some_and(|b| b < 0)), "the generator writes negative buffers");
        assert!(snaps.iter().any(|s| s.share_score.is_some()));
        // Client snapshots: the original's per-tag aggregates become per-tag counts.
        let client_snaps: Vec<_> = recs.iter().filter_map(|r| if let Record::ClientSnapshot(s) = r { Some(s) } else { None }).collect();
        assert_eq!(client_snaps.len(), inst.client_snapshots.len());
        for (got, want) in client_snaps.iter().zip(&inst.client_snapshots) {
            let entries = want.tag_stats.as_deref().map(|t| original_backup::records::parse_tag_stats(t).unwrap()).unwrap_or_default();
            let want_stats: Vec<_> = entries.iter().map(|e| (e.tag.clone(), e.seeding_count as i64, e.leeching_count as i64, None, None)).collect();
            let got_stats: Vec<_> = got.tag_stats.iter().map(|t| (t.tag.clone(), t.seeding, t.leeching, t.uploaded_bytes, t.size_bytes)).collect();
            assert_eq!(got_stats, want_stats, "{v:?}");
        }
        assert!(client_snaps.iter().any(|s| !s.tag_stats.is_empty()));
        let trackers: Vec<_> = recs.iter().filter_map(|r| if let Record::Tracker(t) = r { Some(t) } else { None }).collect();
        for (got, want) in trackers.iter().zip(&inst.trackers) {
            assert_eq!(got.config.name, want.name);
            match &got.api_token {
                Some(sealed) => assert_eq!(key.open_string(purpose::TRACKER_API_TOKEN, sealed).unwrap().as_str(), want.encrypted_api_token),
                None => assert!(want.encrypted_api_token.is_empty() && !got.config.is_active),
            }
            // Every platform as it is, active as in the source (a paused tracker too), the details carried.
            assert_eq!(got.config.platform, want.platform_type);
            assert_eq!(got.config.api_path, want.api_path);
            assert_eq!(got.config.is_active, want.is_active && !want.encrypted_api_token.is_empty(), "{v:?} {}", want.name);
            assert_eq!(got.config.use_proxy, want.use_proxy);
            assert_eq!(got.config.remote_user_id, want.remote_user_id);
            assert_eq!(got.config.profile_url, want.profile_url);
            assert_eq!(got.config.count_cross_seed_unsatisfied, want.count_cross_seed_unsatisfied);
            assert_eq!(got.config.last_access_at, want.last_access_at);
            assert_eq!(got.paused_at, want.user_paused_at);
        }
        assert!(trackers.iter().any(|t| t.config.platform == "digitalcore") && trackers.iter().any(|t| t.config.platform == "custom"));
        // userPausedAt is in files from 2.4.1 on.
        assert_eq!(trackers.iter().any(|t| t.paused_at.is_some() && t.config.is_active), v == Vintage::V2_8_9, "{v:?}");
        let reported: Vec<&str> = p.report.not_carried.iter().map(|f| f.field.as_str()).collect();
        for carried in
            ["platformType", "userPausedAt", "useProxy", "remoteUserId", "profileUrl", "countCrossSeedUnsatisfied", "lastAccessAt", "shareScore"]
        {
            assert!(!reported.contains(&carried), "{v:?}: {carried} is carried now: {reported:?}");
        }
        // Every tagStats text has the original's shape: none left out.
        assert_eq!(p.report.not_carried.iter().find(|f| f.field == "tagStats").map(|f| f.records), Some(0));
        assert!(p.report.not_carried.iter().any(|f| f.field == "avatarData" && f.records == 8), "{reported:?}");
        let speeds = p.report.not_carried.iter().find(|f| f.field == "tagStats.uploadSpeed").expect("per-tag speeds are reported");
        assert_eq!(speeds.records as usize, inst.client_snapshots.iter().filter(|c| c.tag_stats.is_some()).count());
    }
}

#[test]
fn source_password_wrong_is_refused_and_none_clears_every_secret() {
    let dir = tempfile::tempdir().unwrap();
    let v = Vintage::V2_8_9;
    let inst = writer::generate(v, 3, 1, 1);
    let file = write(dir.path(), &inst, v, &Options::default());
    let s = sniff(&file);
    assert!(matches!(prepare(&file, &s, &pw("other", Some("also wrong")), dir.path()), Err(OriginalError::Read(ReadError::WrongLoginPassword))));
    let right = prepare(&file, &s, &pw("other", Some(LOGIN)), dir.path()).unwrap();
    assert_eq!(right.report.secrets.opened_with, "source_password");
    let none = prepare(&file, &s, &pw("other", None), dir.path()).unwrap();
    assert_eq!(none.report.secrets.opened_with, "none");
    assert_eq!(none.report.secrets.carried, 0);
    assert_eq!(none.report.secrets.cleared, right.report.secrets.carried);
    // Cleared secrets are still sealed values (under a key nobody has), so the native restore clears them.
    let key = wrap_key(&none.native, &none.wrap_password);
    for r in records(&none.native) {
        if let Record::Tracker(t) = r {
            if let Some(sealed) = t.api_token {
                assert!(key.open(purpose::TRACKER_API_TOKEN, &sealed).is_err());
            }
        }
    }
}

#[test]
fn orphans_are_skipped_and_reported_counts_compared_unknown_keys_listed() {
    let dir = tempfile::tempdir().unwrap();
    let v = Vintage::V2_8_9;
    let mut inst = writer::generate(v, 2, 2, 3);
    let mut orphan = inst.tracker_snapshots[0].clone();
    orphan.id = 9_001;
    orphan.tracker_id = 4_242;
    inst.tracker_snapshots.push(orphan);
    let mut counts = std::collections::BTreeMap::new();
    counts.insert("trackers".to_string(), 5);
    let opts =
        Options { counts_override: Some(counts), extra_top_level: vec![("futureThing".into(), serde_json::json!({"a": 1}))], ..Options::default() };
    let file = write(dir.path(), &inst, v, &opts);
    let p = prepare(&file, &sniff(&file), &pw(LOGIN, None), dir.path()).unwrap();
    let skipped = p.report.skipped.iter().find(|s| s.section == "trackerSnapshots").unwrap();
    assert_eq!((skipped.count, skipped.ids.clone()), (1, vec![9_001]));
    let snaps = p.report.sections.iter().find(|s| s.section == "trackerSnapshots").unwrap();
    assert_eq!((snaps.in_file, snaps.carried, snaps.skipped), (5, 4, 1));
    assert!(p.report.count_mismatches.contains(&OriginalCountMismatch { section: "trackers".into(), manifest: Some(5), actual: Some(2) }));
    assert_eq!(p.report.unknown_top_level_keys, vec!["futureThing".to_string()]);
    assert_eq!(check_all(std::fs::File::open(&p.native).unwrap()).unwrap().counts.tracker_snapshots, 4);
}

#[test]
fn ttbak_is_decrypted_with_its_password_and_a_wrong_one_is_said() {
    let dir = tempfile::tempdir().unwrap();
    let v = Vintage::V2_3;
    let inst = writer::generate(v, 2, 1, 5);
    let path = dir.path().join("b.ttbak");
    let salt = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";
    let f = BufWriter::new(std::fs::File::create(&path).unwrap());
    writer::write_ttbak(f, &inst, v, LOGIN, "backup pw", salt, inst.created_at, [7; 12], &Options::default()).unwrap();
    let s = sniff(&path);
    assert!(matches!(s, Sniffed::Encrypted(_)));
    let mut p = pw(LOGIN, None);
    assert!(matches!(prepare(&path, &s, &p, dir.path()), Err(OriginalError::BackupPasswordNeeded)));
    p.backup = Some(Zeroizing::new("wrong".into()));
    assert!(matches!(prepare(&path, &s, &p, dir.path()), Err(OriginalError::Read(ReadError::WrongBackupPassword))));
    p.backup = Some(Zeroizing::new("backup pw".into()));
    let ok = prepare(&path, &s, &p, dir.path()).unwrap();
    assert!(ok.report.encrypted);
    assert_eq!(check_all(std::fs::File::open(&ok.native).unwrap()).unwrap().counts.trackers, 2);
    // Nothing but the native file is left in the work directory (the payload and section files are gone).
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(left.len(), 2, "{left:?}");
}

#[test]
fn a_native_backup_is_not_taken_for_an_original() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("n.json");
    std::fs::write(&p, b"{\"header\":{\"format\":\"tracker-tracker-backup\"}}").unwrap();
    assert!(detect(&p).unwrap().is_none());
}

#[test]
fn the_docs_list_every_field_that_is_not_carried() {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/import-original.md")).unwrap();
    for f in fields::NOT_CARRIED {
        let name = format!("`{}`", f.field);
        let row = doc.lines().filter(|l| l.starts_with('|') && l.contains(&name)).find(|l| {
            let l = l.to_lowercase();
            l.contains("not carried") || l.contains("no home") || l.contains("no paused state") || l.contains("used once")
        });
        assert!(row.is_some(), "docs/import-original.md has no row saying what happens to {}.{}", f.section, f.field);
    }
}

#[test]
fn values_that_do_not_fit_are_adjusted_and_said() {
    let dir = tempfile::tempdir().unwrap();
    let v = Vintage::V2_8_9;
    let mut inst = writer::generate(v, 3, 2, 2);
    inst.settings.backup_storage_path = None;
    inst.settings.tracker_poll_interval_minutes = 2;
    inst.settings.proxy_enabled = false;
    inst.trackers[0].platform_type = "xbtit".into();
    inst.trackers[1].profile_url = Some("javascript:alert(1)".into());
    inst.trackers[2].remote_user_id = Some(0);
    inst.client_snapshots[0].tag_stats = Some("[{\"tag\":\"x\",\"count\":12}]".into());
    inst.client_snapshots[1].tag_stats =
        Some(format!("[{{\"tag\":\"{}\",\"seedingCount\":1,\"leechingCount\":0,\"uploadSpeed\":0,\"downloadSpeed\":0}}]", "t".repeat(101)));
    let file = write(dir.path(), &inst, v, &Options::default());
    let p = prepare(&file, &sniff(&file), &pw(LOGIN, None), dir.path()).unwrap();
    let recs = records(&p.native);
    let Some(Record::Settings(s)) = recs.iter().find(|r| matches!(r, Record::Settings(_))) else { panic!("no settings") };
    // 2.8.9's generated instance has lockout off: always on here, at the highest threshold.
    assert_eq!(s.security.lockout_threshold, 100);
    assert_eq!(s.general.poll_interval_minutes, 5);
    assert_eq!(s.backup.storage_path.as_deref(), Some("/data/backups"));
    let adjusted = p.report.adjusted.join("\n");
    assert!(adjusted.contains("lockout was off") && adjusted.contains("trackerPollIntervalMinutes") && adjusted.contains("donut"), "{adjusted}");
    assert!(adjusted.contains("transparency"), "{adjusted}");
    // A platform the original does not offer is read by no adapter there: custom here, and said.
    assert!(adjusted.contains("“xbtit”") && adjusted.contains("imported as custom"), "{adjusted}");
    assert!(adjusted.contains("javascript:alert(1)") && adjusted.contains("left out"), "{adjusted}");
    assert!(adjusted.contains("remote user id 0"), "{adjusted}");
    assert!(adjusted.contains("longer than 100 characters"), "{adjusted}");
    let trackers: Vec<_> = recs.iter().filter_map(|r| if let Record::Tracker(t) = r { Some(t) } else { None }).collect();
    assert_eq!(trackers[0].config.platform, "custom");
    assert_eq!((trackers[1].config.profile_url.as_deref(), trackers[2].config.remote_user_id), (None, None));
    // A tagStats text without the original's shape is reported, that snapshot has no per-tag figures.
    let unreadable = p.report.not_carried.iter().find(|f| f.field == "tagStats").expect("reported");
    assert_eq!(unreadable.records, 1);
    let client_snaps: Vec<_> = recs.iter().filter_map(|r| if let Record::ClientSnapshot(s) = r { Some(s) } else { None }).collect();
    assert!(client_snaps[0].tag_stats.is_empty() && client_snaps[1].tag_stats.is_empty());
    let behaviour = p.report.behaviour.join("\n");
    assert!(behaviour.contains("/data/backups") && behaviour.contains("Sundays"), "{behaviour}");
    assert!(!behaviour.contains("millisecond"), "JavaScript times are kept exactly: {behaviour}");
    // Trackers 0 and 2 use the proxy, which is off: the original refused to poll them, here they connect directly.
    assert!(behaviour.contains("2 tracker(s) are set to use the proxy") && behaviour.contains("connects directly"), "{behaviour}");
    // Scope ids that name no tracker are dropped.
    assert!(p.report.adjusted.iter().any(|a| a.contains("tracker list named trackers that are not in the backup")));
    let Some(Record::NotificationTarget(t)) = recs.iter().find(|r| matches!(r, Record::NotificationTarget(x) if x.settings.target_type == "gotify"))
    else {
        panic!("no gotify target")
    };
    assert_eq!(t.settings.tracker_ids, Some(vec![1]), "original tracker 3 is the first one here");
    assert_eq!(
        t.settings.events,
        [
            "ratio_drop",
            "tracker_down",
            "buffer_milestone",
            "warned",
            "zero_seeding",
            "anniversary",
            "bonus_cap",
            "unsatisfied_limit",
            "download_disabled"
        ]
    );
}

#[test]
fn slack_and_email_targets_are_carried_with_their_settings_sealed_again() {
    use tt_core::model::notifications::{SmtpSecurity, SmtpServer, TargetConfig};
    let dir = tempfile::tempdir().unwrap();
    let v = Vintage::V2_8_9;
    let mut inst = writer::generate(v, 3, 1, 2);
    // A second email target on the SMTPS port, recipients as a list.
    let mut smtps = inst.notification_targets[4].clone();
    smtps.id = 6;
    smtps.name = "smtps target".into();
    smtps.encrypted_config =
        r#"{"host":"mail.example.net","port":465,"username":"me@example.net","password":"s3cret pw","from":"tt@example.net","to":"a@example.net; b@example.net"}"#.into();
    inst.notification_targets.push(smtps);
    let file = write(dir.path(), &inst, v, &Options::default());
    let p = prepare(&file, &sniff(&file), &pw(LOGIN, None), dir.path()).unwrap();
    let key = wrap_key(&p.native, &p.wrap_password);
    let targets: Vec<_> = records(&p.native).into_iter().filter_map(|r| if let Record::NotificationTarget(t) = r { Some(t) } else { None }).collect();
    assert_eq!(
        targets.iter().map(|t| t.settings.target_type.as_str()).collect::<Vec<_>>(),
        ["discord", "gotify", "telegram", "slack", "email", "email"]
    );
    let config = |i: usize| -> TargetConfig {
        let sealed = targets[i].config.as_deref().expect("sealed");
        serde_json::from_str(&key.open_string(purpose::NOTIFICATION_CONFIG, sealed).unwrap()).unwrap()
    };
    assert_eq!(config(3), TargetConfig { url: Some("https://hooks.slack.com/services/T/B/X".into()), ..Default::default() });
    let email = config(4);
    assert_eq!(
        email.smtp,
        Some(SmtpServer {
            host: "smtp.example".into(),
            port: 587,
            security: SmtpSecurity::Starttls,
            from: "tt@example".into(),
            to: vec!["me@example".into()]
        })
    );
    assert_eq!((email.username.as_deref(), email.password.as_deref()), (Some("u"), Some("p")));
    let smtps = config(5);
    let server = smtps.smtp.unwrap();
    assert_eq!((server.security, server.to), (SmtpSecurity::Tls, vec!["a@example.net".to_string(), "b@example.net".to_string()]));
    assert_eq!(smtps.password.as_deref(), Some("s3cret pw"));
    // The native file holds the settings sealed only.
    let text = std::fs::read_to_string(&p.native).unwrap();
    assert!(!text.contains("s3cret pw") && !text.contains("hooks.slack.com"));
    // The five events of the original (2.6.0+, 2.8.3+) are carried: email target i=4 had bonus cap and download disabled.
    assert_eq!(
        targets[4].settings.events,
        ["ratio_drop", "hit_and_run", "tracker_down", "warned", "zero_seeding", "rank_change", "anniversary", "bonus_cap", "download_disabled"]
    );
    for f in ["notifyBonusCap", "notifyVipExpiring", "notifyUnsatisfiedLimit", "notifyActiveHnrs", "notifyDownloadDisabled", "type"] {
        assert!(!p.report.not_carried.iter().any(|n| n.field == f), "{f} is carried now");
    }
    let adjusted = p.report.adjusted.join("\n");
    assert!(
        adjusted.contains("Notification target “email target”: the original kept no encryption mode for email; here it uses STARTTLS on port 587"),
        "{adjusted}"
    );
    assert!(
        adjusted.contains("“smtps target”: the original kept no encryption mode for email; here it uses TLS (implicit, SMTPS) on port 465"),
        "{adjusted}"
    );
    assert!(p.report.behaviour.iter().any(|b| b.contains("Discord targets only; here its 5 other target(s)")), "{:?}", p.report.behaviour);
}

#[test]
fn totp_backup_codes_are_carried_unused_only_or_said_not_to_be() {
    let dir = tempfile::tempdir().unwrap();
    let v = Vintage::V2_8_9;
    let inst = writer::generate(v, 1, 1, 2);
    let file = write(dir.path(), &inst, v, &Options::default());
    let p = prepare(&file, &sniff(&file), &pw(LOGIN, None), dir.path()).unwrap();
    let key = wrap_key(&p.native, &p.wrap_password);
    let recs = records(&p.native);
    let Some(Record::Settings(s)) = recs.iter().find(|r| matches!(r, Record::Settings(_))) else { panic!("no settings") };
    // The generated instance has 8 codes, the first used: 7 carried as salted hashes, none in clear.
    let json = key.open_string(purpose::TOTP_BACKUP_CODES, s.totp.backup_codes.as_ref().expect("carried")).unwrap();
    let list: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    assert_eq!(list.len(), 7);
    assert!(list.iter().all(|c| c["sha256"].as_str().is_some_and(|h| h.len() == 64) && c.get("used").is_none()));
    for code in writer::TEST_BACKUP_CODES {
        assert!(!json.contains(code) && !json.contains(&code.replace('-', "")));
    }
    assert!(p.report.totp.contains("the 7 unused ones work here") && p.report.totp.contains("the 1 already used"), "{}", p.report.totp);
    assert!(!p.report.not_carried.iter().any(|f| f.field == "totpBackupCodes"));

    // Without the login password: sealed as lost (the native restore clears them), and said.
    let none = prepare(&file, &sniff(&file), &pw("not it", None), dir.path()).unwrap();
    let recs = records(&none.native);
    let Some(Record::Settings(s)) = recs.iter().find(|r| matches!(r, Record::Settings(_))) else { panic!("no settings") };
    let key = wrap_key(&none.native, &none.wrap_password);
    assert!(key.open(purpose::TOTP_BACKUP_CODES, s.totp.backup_codes.as_ref().unwrap()).is_err());
    assert!(none.report.totp.contains("backup codes are not carried either: new ones are needed"), "{}", none.report.totp);

    // A list that is not the original's shape is not carried, and said.
    let mut odd = inst.clone();
    odd.settings.totp_backup_codes = Some("{\"not\":\"a list\"}".into());
    let file = write(dir.path(), &odd, v, &Options::default());
    let p = prepare(&file, &sniff(&file), &pw(LOGIN, None), dir.path()).unwrap();
    assert!(p.report.totp.contains("could not be carried"), "{}", p.report.totp);
}

#[test]
fn a_rearranged_file_is_refused_with_its_location() {
    let dir = tempfile::tempdir().unwrap();
    let v = Vintage::V2_8_9;
    let inst = writer::generate(v, 1, 1, 2);
    let text = String::from_utf8(std::fs::read(write(dir.path(), &inst, v, &Options::default())).unwrap()).unwrap();
    // Move the snapshots before the trackers (the original never writes them so).
    let start = text.find(",\"trackers\":[").unwrap();
    let snaps = text.find(",\"trackerSnapshots\":[").unwrap();
    let roles = text.find(",\"trackerRoles\":[").unwrap();
    let moved = format!("{}{}{}{}", &text[..start], &text[snaps..roles], &text[start..snaps], &text[roles..]);
    let path = dir.path().join("moved.json");
    std::fs::write(&path, moved).unwrap();
    match prepare(&path, &sniff(&path), &pw(LOGIN, None), dir.path()) {
        Err(OriginalError::Read(ReadError::InvalidField { at, reason })) => {
            assert_eq!(at.section, "trackerSnapshots");
            assert!(reason.contains("comes before `trackers`"), "{reason}");
        }
        other => panic!("{:?}", other.err()),
    }
}
