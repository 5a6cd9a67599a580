//! Restoring backups of the original Tracker Tracker (Node.js) through `backup/restore`: files
//! written by `original_backup::writer` in three vintages, dry run then restore, values checked
//! in the database against the source (sealed columns opened with this instance's key).

use crate::common::*;
use app::domain::secrets::purpose;
use original_backup::writer::{self, Instance, Options, Vintage};
use serde_json::{json, Value};

const SALT: &str = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";
const BACKUP_PW: &str = "original backup pw";

fn plain(inst: &Instance, v: Vintage, login: &str, opts: &Options) -> Vec<u8> {
    let mut out = Vec::new();
    writer::write_plain(&mut out, inst, v, login, opts).unwrap();
    out
}

fn ttbak(inst: &Instance, v: Vintage, login: &str) -> Vec<u8> {
    let mut out = Vec::new();
    writer::write_ttbak(&mut out, inst, v, login, BACKUP_PW, SALT, inst.created_at, [9; 12], &Options::default()).unwrap();
    out
}

async fn restore(srv: &TestServer, file: Vec<u8>, name: &str, fields: &[(&str, &str)]) -> Result<Value, CallError> {
    let mut form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(file).file_name(name.to_string()));
    form = form.text("current_password", PASSWORD);
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    TestServer::decode(srv.client.post(format!("{}/api/backup/restore", srv.url)).multipart(form).send().await.unwrap()).await
}

async fn started() -> (tempfile::TempDir, TestServer) {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(&dir).await;
    srv.setup(PASSWORD).await;
    (dir, srv)
}

/// A generated instance whose storage path is inside the test's directory (the original's
/// default, /data/backups, would be checked, hence created, on the machine running the tests).
fn generate(dir: &tempfile::TempDir, v: Vintage, trackers: usize, snapshots: usize, seed: u64) -> Instance {
    let mut inst = writer::generate(v, trackers, snapshots, seed);
    inst.settings.backup_storage_path = Some(dir.path().join("original-store").display().to_string());
    inst
}

fn open(srv: &TestServer, p: &str, sealed: &Option<String>) -> String {
    srv.state.keys.open(p, sealed.as_deref().expect("a sealed value")).expect("opens with this instance's key").to_string()
}

fn instant(s: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&chrono::Utc)
}

/// Every carried value of `inst` against the database (same login password on both sides).
async fn assert_carried(srv: &TestServer, inst: &Instance, v: Vintage) {
    let db = raw_db(&srv.data_dir).await;
    type T = (i64, String, String, String, String, Option<String>, String, Option<String>, bool, bool, i64, Option<String>, Option<String>);
    let trackers: Vec<T> = sqlx::query_as(
        "SELECT id, name, base_url, platform, api_path, api_token_enc, color, client_tag, is_active, is_favorite, sort_order, joined_at, disabled_reason FROM trackers ORDER BY id",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    assert_eq!(trackers.len(), inst.trackers.len(), "{v:?}: every tracker is carried");
    for (row, t) in trackers.iter().zip(&inst.trackers) {
        assert_eq!(row.1, t.name);
        assert_eq!(row.2, t.base_url);
        assert_eq!(row.4, t.api_path);
        assert_eq!(row.7, t.qbt_tag);
        assert_eq!(row.9, t.is_favorite);
        assert_eq!(row.10, t.sort_order.unwrap_or(0));
        assert_eq!(row.11, t.joined_at.map(|d| d.to_string()));
        if t.encrypted_api_token.is_empty() {
            assert!(row.5.is_none() && !row.8 && row.12.is_some(), "a cleared token disables the tracker with a reason");
        } else {
            assert_eq!(open(srv, purpose::TRACKER_API_TOKEN, &row.5), t.encrypted_api_token, "{v:?}: the token opens to the original plaintext");
        }
        // All eight platforms as they are (digitalcore and custom too); active as in the source,
        // paused ones too (the pause is its own column below).
        assert_eq!(row.3, t.platform_type);
        let want_active = t.is_active && !t.encrypted_api_token.is_empty();
        assert_eq!(row.8, want_active, "{v:?} {}", t.name);
        let want_color = t.color.as_deref().map(|c| if c.len() == 5 || c.len() == 9 { &c[..c.len() - (c.len() - 1) / 4] } else { c });
        assert_eq!(Some(row.6.as_str()), want_color.map(|c| c.to_ascii_lowercase()).as_deref());
    }
    // The details both apps keep, column for column.
    type D = (bool, Option<i64>, Option<String>, bool, Option<String>, Option<String>);
    let details: Vec<D> = sqlx::query_as(
        "SELECT use_proxy, remote_user_id, profile_url, count_cross_seed_unsatisfied, last_access_at, paused_at FROM trackers ORDER BY id",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    for (row, t) in details.iter().zip(&inst.trackers) {
        assert_eq!(row.0, t.use_proxy, "{v:?} {}", t.name);
        assert_eq!(row.1, t.remote_user_id);
        assert_eq!(row.2, t.profile_url);
        assert_eq!(row.3, t.count_cross_seed_unsatisfied);
        assert_eq!(row.4, t.last_access_at.map(|d| d.to_string()));
        assert_eq!(row.5.as_deref().map(instant), t.user_paused_at, "the pause, the exact instant");
    }
    assert!(inst.trackers.iter().any(|t| t.use_proxy) && inst.trackers.iter().any(|t| !t.use_proxy));
    assert_eq!(details.iter().any(|d| d.5.is_some()), v == Vintage::V2_8_9, "{v:?}: paused trackers exist from 2.4.1");
    // Snapshots: byte counts exact, instants kept, every field of both apps.
    type S = (
        i64,
        String,
        i64,
        i64,
        Option<f64>,
        Option<i64>,
        Option<i64>,
        Option<f64>,
        Option<i64>,
        bool,
        Option<String>,
        Option<String>,
        bool,
        Option<f64>,
    );
    let snaps: Vec<S> = sqlx::query_as(
        "SELECT tracker_id, polled_at, uploaded_bytes, downloaded_bytes, ratio, buffer_bytes, seeding_count, seed_bonus, hit_and_runs, warned, username, group_name, is_manual, share_score FROM tracker_snapshots ORDER BY id",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    assert_eq!(snaps.len(), inst.tracker_snapshots.len());
    let tracker_of = |old: i64| trackers[inst.trackers.iter().position(|t| t.id == old).unwrap()].0;
    for (row, s) in snaps.iter().zip(&inst.tracker_snapshots) {
        assert_eq!(row.0, tracker_of(s.tracker_id), "the tracker id is remapped");
        assert_eq!(instant(&row.1), s.polled_at, "the exact instant");
        assert_eq!(row.2 as u64, s.uploaded_bytes);
        assert_eq!(row.3 as u64, s.downloaded_bytes);
        assert_eq!(row.4, s.ratio);
        assert_eq!(row.5, s.buffer_bytes, "signed, exact");
        assert_eq!(row.6, s.seeding_count);
        assert_eq!(row.7, s.seedbonus);
        assert_eq!(row.8, s.hit_and_runs);
        assert_eq!(row.9, s.warned.unwrap_or(false));
        assert_eq!(row.10, s.username);
        assert_eq!(row.11, s.group);
        assert_eq!(row.12, s.is_manual);
        assert_eq!(row.13, s.share_score);
    }
    assert!(snaps.iter().any(|r| r.5.is_some_and(|b| b < 0)), "negative buffers are carried");
    // Client snapshots: the original's per-tag aggregates as per-tag counts (no byte totals).
    let tag_stats: Vec<(String,)> = sqlx::query_as("SELECT tag_stats FROM client_snapshots ORDER BY id").fetch_all(&db).await.unwrap();
    assert_eq!(tag_stats.len(), inst.client_snapshots.len());
    for ((raw,), c) in tag_stats.iter().zip(&inst.client_snapshots) {
        let want: Vec<Value> = c
            .tag_stats
            .as_deref()
            .map(|t| original_backup::records::parse_tag_stats(t).unwrap())
            .unwrap_or_default()
            .iter()
            .map(|e| json!({"tag": e.tag, "seeding": e.seeding_count, "leeching": e.leeching_count, "uploaded_bytes": null, "size_bytes": null}))
            .collect();
        assert_eq!(serde_json::from_str::<Vec<Value>>(raw).unwrap(), want);
    }
    assert!(tag_stats.iter().any(|(t,)| t != "[]"));
    let roles: Vec<(String, String, Option<String>)> =
        sqlx::query_as("SELECT role_name, achieved_at, notes FROM tracker_roles ORDER BY id").fetch_all(&db).await.unwrap();
    assert_eq!(roles.len(), inst.tracker_roles.len());
    for (row, r) in roles.iter().zip(&inst.tracker_roles) {
        assert_eq!((&row.0, instant(&row.1), &row.2), (&r.role_name, r.achieved_at, &r.notes));
    }
    // Download clients: credentials open; the one cleared in the file is disabled.
    type C = (String, String, i64, bool, Option<String>, Option<String>, bool);
    let clients: Vec<C> = sqlx::query_as("SELECT name, host, port, use_tls, username_enc, password_enc, enabled FROM download_clients ORDER BY id")
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(clients.len(), 2);
    assert_eq!((clients[0].0.as_str(), clients[0].1.as_str(), clients[0].2, clients[0].3), ("qBittorrent", "192.168.1.20", 8080, false));
    assert_eq!(open(srv, purpose::CLIENT_USERNAME, &clients[0].4), "admin");
    assert_eq!(open(srv, purpose::CLIENT_PASSWORD, &clients[0].5), "qbit-pass");
    assert!(clients[1].4.is_none() && !clients[1].6);
    // Settings and their secrets.
    type A = (i64, bool, Option<String>, Option<String>, i64, String, i64, Option<String>, Option<String>);
    let s: A = sqlx::query_as(
        "SELECT poll_interval_minutes, proxy_enabled, proxy_host, proxy_password_enc, lockout_minutes, backup_frequency, backup_retention_count, backup_storage_path, backup_password_enc FROM app_settings WHERE id = 1",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    let o = &inst.settings;
    assert_eq!((s.0, s.1, s.2.as_deref()), (o.tracker_poll_interval_minutes, o.proxy_enabled, o.proxy_host.as_deref()));
    assert_eq!(open(srv, purpose::PROXY_PASSWORD, &s.3), "proxy-secret-pw");
    assert_eq!((s.4, s.5.as_str(), s.6), (o.lockout_duration_minutes, o.backup_schedule_frequency.as_str(), o.backup_retention_count));
    assert_eq!(s.7.as_deref(), o.backup_storage_path.as_deref());
    assert!(!s.7.as_deref().unwrap_or_default().starts_with("/data"), "tests keep to their directory");
    match &o.encrypted_backup_password {
        Some(p) => assert_eq!(&open(srv, purpose::BACKUP_PASSWORD, &s.8), p),
        None => assert!(s.8.is_none()),
    }
    // Notification targets: all five types carried with their configs.
    let targets: Vec<(String, String, Option<String>, String)> =
        sqlx::query_as("SELECT name, target_type, config_enc, events FROM notification_targets ORDER BY id").fetch_all(&db).await.unwrap();
    if v >= Vintage::V2_3 {
        let kinds: Vec<&str> = targets.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(kinds, ["discord", "gotify", "telegram", "slack", "email"]);
        let email: Value = serde_json::from_str(&open(srv, purpose::NOTIFICATION_CONFIG, &targets[4].2)).unwrap();
        assert_eq!((email["smtp"]["host"].as_str(), email["password"].as_str()), (Some("smtp.example"), Some("p")));
        let discord: Value = serde_json::from_str(&open(srv, purpose::NOTIFICATION_CONFIG, &targets[0].2)).unwrap();
        assert_eq!(discord["url"], "https://discord.com/api/webhooks/1/abc");
        let telegram: Value = serde_json::from_str(&open(srv, purpose::NOTIFICATION_CONFIG, &targets[2].2)).unwrap();
        assert_eq!((telegram["token"].as_str(), telegram["chat_id"].as_str()), (Some("123:abc"), Some("-100")));
        let (alerts,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM dismissed_alerts").fetch_one(&db).await.unwrap();
        assert_eq!(alerts, 1);
    } else {
        assert!(targets.is_empty());
    }
    let members: Vec<(String, Option<String>, String)> =
        sqlx::query_as("SELECT tag, label, color FROM tag_group_members ORDER BY id").fetch_all(&db).await.unwrap();
    assert_eq!(members, [("movies".into(), Some("Movies".into()), "#ff0000".into()), ("tv".into(), Some("TV".into()), "#3b82f6".into())]);
    let (buckets, checks): (i64, i64) = sqlx::query_as("SELECT COUNT(*), SUM(checks_total) FROM client_uptime_buckets").fetch_one(&db).await.unwrap();
    assert_eq!(buckets as usize, inst.client_uptime_buckets.len());
    assert_eq!(checks, inst.client_uptime_buckets.iter().map(|b| b.ok + b.fail).sum::<i64>());
    db.close().await;
}

#[tokio::test]
async fn original_each_vintage_dry_run_then_restore_carries_every_value() {
    for v in Vintage::ALL {
        let (_dir, srv) = started().await;
        let inst = generate(&_dir, v, 8, 3, 11);
        let file = plain(&inst, v, PASSWORD, &Options::default());
        let before = digest(&srv.data_dir, &["instance"]).await;
        let dry = restore(&srv, file.clone(), "tracker-tracker-backup.json", &[("dry_run", "true")]).await.unwrap();
        assert_eq!(digest(&srv.data_dir, &["instance"]).await, before, "{v:?}: a dry run changes nothing");
        let o = &dry["original"];
        assert_eq!(o["app_version"], v.app_version());
        assert_eq!(o["secrets"]["opened_with"], "current_password");
        assert_eq!(dry["header"]["app_version"], v.app_version());
        let trackers = dry["restored"].as_array().unwrap().iter().find(|s| s["section"] == "trackers").unwrap();
        assert_eq!(trackers["count"], 8);
        assert!(!o["not_carried"].as_array().unwrap().iter().any(|f| f["field"] == "totpBackupCodes"), "the backup codes are carried");
        assert!(o["totp"].as_str().unwrap().contains("the 7 unused ones work here"), "{v:?}: {}", o["totp"]);
        assert!(o["behaviour"].as_array().unwrap().iter().any(|b| b.as_str().unwrap().contains("Sundays")), "{o}");

        let done = restore(&srv, file, "tracker-tracker-backup.json", &[]).await.unwrap();
        assert_eq!(done["dry_run"], false);
        assert!(done["pre_restore_backup"]["id"].is_i64());
        assert_carried(&srv, &inst, v).await;
        // Logged in still, with the same password.
        let ok: Result<Value, _> = srv.get("backup/overview").await;
        assert!(ok.is_ok());
    }
}

#[tokio::test]
async fn original_cross_instance_with_right_wrong_and_no_source_password() {
    let (_dir, srv) = started().await;
    let v = Vintage::V2_8_9;
    let inst = generate(&_dir, v, 3, 2, 5);
    let file = plain(&inst, v, "the old instance's password", &Options::default());
    let before = digest(&srv.data_dir, &["instance"]).await;
    let e = restore(&srv, file.clone(), "b.json", &[("source_password", "not it")]).await.unwrap_err();
    assert_eq!((e.status, e.field.as_deref()), (400, Some("source_password")), "{}", e.message);
    assert_eq!(digest(&srv.data_dir, &["instance"]).await, before, "nothing changed");

    // Without one: every secret cleared, owners disabled, the report says so.
    let none = restore(&srv, file.clone(), "b.json", &[]).await.unwrap();
    assert_eq!(none["original"]["secrets"]["opened_with"], "none");
    assert!(none["secrets_cleared"].as_u64().unwrap() > 0 && none["secrets_kept"] == 0, "{none}");
    let db = raw_db(&srv.data_dir).await;
    let (with_token, active): (i64, i64) =
        sqlx::query_as("SELECT COUNT(api_token_enc), COALESCE(SUM(is_active), 0) FROM trackers").fetch_one(&db).await.unwrap();
    assert_eq!((with_token, active), (0, 0));
    let reasons: Vec<(Option<String>,)> = sqlx::query_as("SELECT disabled_reason FROM trackers").fetch_all(&db).await.unwrap();
    assert!(reasons.iter().all(|(r,)| r.is_some()));

    // With it: carried and opened under this instance's key.
    let right = restore(&srv, file, "b.json", &[("source_password", "the old instance's password"), ("totp", "take_backup")]).await.unwrap();
    assert_eq!(right["original"]["secrets"]["opened_with"], "source_password");
    assert_eq!(right["secrets_cleared"], 0, "{right}");
    let tokens: Vec<(Option<String>,)> = sqlx::query_as("SELECT api_token_enc FROM trackers ORDER BY id").fetch_all(&db).await.unwrap();
    for ((sealed,), t) in tokens.iter().zip(&inst.trackers) {
        if !t.encrypted_api_token.is_empty() {
            assert_eq!(open(&srv, purpose::TRACKER_API_TOKEN, sealed), t.encrypted_api_token);
        }
    }
    // The original's 2FA secret was taken: it opens to the original's base32 secret.
    let (enabled, secret): (bool, Option<String>) =
        sqlx::query_as("SELECT totp_enabled, totp_secret_enc FROM app_settings WHERE id = 1").fetch_one(&db).await.unwrap();
    assert!(enabled);
    assert_eq!(open(&srv, purpose::TOTP_SECRET, &secret), writer::TEST_TOTP_SECRET);
    // The original's salt is stored nowhere.
    let dump = digest_text(&srv).await;
    assert!(!dump.contains(&inst.settings.encryption_salt));
    db.close().await;
}

/// Every value of every table as text (to look for something that must not be stored).
async fn digest_text(srv: &TestServer) -> String {
    let db = raw_db(&srv.data_dir).await;
    let tables: Vec<(String,)> = sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'table'").fetch_all(&db).await.unwrap();
    let mut out = String::new();
    for (t,) in tables {
        let cols: Vec<(String,)> = sqlx::query_as(&format!("SELECT name FROM pragma_table_info('{t}')")).fetch_all(&db).await.unwrap();
        let expr = cols.iter().map(|(c,)| format!("quote(\"{c}\")")).collect::<Vec<_>>().join(" || ',' || ");
        let rows: Vec<(String,)> = sqlx::query_as(&format!("SELECT {expr} FROM \"{t}\"")).fetch_all(&db).await.unwrap();
        for (r,) in rows {
            out.push_str(&r);
            out.push('\n');
        }
    }
    db.close().await;
    out
}

#[tokio::test]
async fn original_ttbak_wrong_password_truncated_or_bit_flipped_is_refused_with_nothing_changed() {
    let (_dir, srv) = started().await;
    let v = Vintage::V2_3;
    let inst = generate(&_dir, v, 2, 2, 3);
    let file = ttbak(&inst, v, PASSWORD);
    let before = digest(&srv.data_dir, &["instance"]).await;
    let e = restore(&srv, file.clone(), "b.ttbak", &[]).await.unwrap_err();
    assert_eq!(e.field.as_deref(), Some("backup_password"), "{}", e.message);
    let e = restore(&srv, file.clone(), "b.ttbak", &[("backup_password", "wrong")]).await.unwrap_err();
    assert_eq!((e.status, e.field.as_deref()), (400, Some("backup_password")), "{}", e.message);
    let cut = file[..file.len() - 40].to_vec();
    let e = restore(&srv, cut, "b.ttbak", &[("backup_password", BACKUP_PW)]).await.unwrap_err();
    assert_eq!((e.status, e.field.as_deref()), (400, Some("file")), "{}", e.message);
    let mut flipped = file.clone();
    let mid = flipped.len() / 2;
    // A base64 letter to another base64 letter: still well-formed, but the tag no longer matches.
    flipped[mid] = if flipped[mid] == b'A' { b'B' } else { b'A' };
    let e = restore(&srv, flipped, "b.ttbak", &[("backup_password", BACKUP_PW)]).await.unwrap_err();
    assert_eq!(e.status, 400, "{}", e.message);
    assert_eq!(digest(&srv.data_dir, &["instance"]).await, before, "nothing changed");
    let ok = restore(&srv, file, "b.ttbak", &[("backup_password", BACKUP_PW)]).await.unwrap();
    assert_eq!(ok["original"]["encrypted"], true);
    let db = raw_db(&srv.data_dir).await;
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM tracker_snapshots").fetch_one(&db).await.unwrap();
    assert_eq!(n, 4);
    db.close().await;
    // No decrypted payload or converted file is left in the upload directory.
    let left: Vec<_> = std::fs::read_dir(srv.state.config.upload_dir()).unwrap().flatten().map(|e| e.file_name()).collect();
    assert!(left.is_empty(), "{left:?}");
}

#[tokio::test]
async fn original_orphans_count_mismatch_and_unknown_key_are_reported_not_fatal() {
    let (_dir, srv) = started().await;
    let v = Vintage::V2_8_9;
    let mut inst = generate(&_dir, v, 2, 2, 9);
    let mut orphan = inst.tracker_snapshots[0].clone();
    orphan.id = 777;
    orphan.tracker_id = 31_337;
    inst.tracker_snapshots.push(orphan);
    let mut counts = std::collections::BTreeMap::new();
    counts.insert("trackerSnapshots".to_string(), 99);
    let opts = Options { counts_override: Some(counts), extra_top_level: vec![("pluginData".into(), json!([1, 2]))], ..Options::default() };
    let file = plain(&inst, v, PASSWORD, &opts);
    let r = restore(&srv, file, "b.json", &[]).await.unwrap();
    let o = &r["original"];
    let skipped = o["skipped"].as_array().unwrap().iter().find(|s| s["section"] == "trackerSnapshots").unwrap();
    assert_eq!((skipped["count"].as_u64(), skipped["ids"].clone()), (Some(1), json!([777])));
    let m = o["count_mismatches"].as_array().unwrap().iter().find(|m| m["section"] == "trackerSnapshots").unwrap();
    assert_eq!((m["manifest"].as_u64(), m["actual"].as_u64()), (Some(99), Some(5)));
    assert_eq!(o["unknown_top_level_keys"], json!(["pluginData"]));
    let db = raw_db(&srv.data_dir).await;
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM tracker_snapshots").fetch_one(&db).await.unwrap();
    assert_eq!(n, 4, "the orphan is skipped, the rest restored");
    db.close().await;
}

#[tokio::test]
async fn original_import_is_undone_by_its_pre_restore_backup() {
    let (_dir, srv) = started().await;
    app::domain::sample::fill(&srv.state).await.unwrap();
    // Run-time and history tables change by design; app_settings is compared without its updated_at.
    let keep = [
        "instance",
        "backup_history",
        "backup_schedule_state",
        "sessions",
        "tracker_runtime",
        "client_runtime",
        "notification_deliveries",
        "app_settings",
    ];
    let before = digest(&srv.data_dir, &keep).await;
    let settings_before = settings_row(&srv).await;
    let v = Vintage::V1_7;
    let inst = generate(&_dir, v, 2, 2, 1);
    let r = restore(&srv, plain(&inst, v, PASSWORD, &Options::default()), "b.json", &[]).await.unwrap();
    assert_ne!(digest(&srv.data_dir, &keep).await, before, "the import changed the data");
    let undo = r["pre_restore_backup"]["id"].clone();
    let _: Value = srv.call("backup/history/restore", json!({"id": undo, "current_password": PASSWORD, "dry_run": false})).await.unwrap();
    assert_eq!(digest(&srv.data_dir, &keep).await, before, "the undo brought the data back exactly");
    assert_eq!(settings_row(&srv).await, settings_before);
}

/// Every column of app_settings but updated_at (which a restore sets to its own time), quoted.
async fn settings_row(srv: &TestServer) -> String {
    let db = raw_db(&srv.data_dir).await;
    let cols: Vec<(String,)> =
        sqlx::query_as("SELECT name FROM pragma_table_info('app_settings') WHERE name != 'updated_at'").fetch_all(&db).await.unwrap();
    let expr = cols.iter().map(|(c,)| format!("quote(\"{c}\")")).collect::<Vec<_>>().join(" || ',' || ");
    let (row,): (String,) = sqlx::query_as(&format!("SELECT {expr} FROM app_settings")).fetch_one(&db).await.unwrap();
    db.close().await;
    row
}

#[tokio::test]
async fn original_byte_count_of_2_pow_63_is_refused_with_its_location() {
    let (_dir, srv) = started().await;
    let v = Vintage::V2_8_9;
    let mut inst = generate(&_dir, v, 2, 2, 4);
    inst.tracker_snapshots[3].downloaded_bytes = 1 << 63;
    let before = digest(&srv.data_dir, &["instance"]).await;
    let e = restore(&srv, plain(&inst, v, PASSWORD, &Options::default()), "b.json", &[("dry_run", "true")]).await.unwrap_err();
    assert_eq!((e.status, e.field.as_deref()), (400, Some("file")));
    assert!(e.message.contains("trackerSnapshots[3].downloadedBytes") && e.message.contains("9223372036854775808"), "{}", e.message);
    assert_eq!(digest(&srv.data_dir, &["instance"]).await, before);
}

fn peak_rss_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse::<u64>().ok().map(|kib| kib / 1024)
}

/// A measurement, not a check of every value: an original .ttbak of `TT_IMPORT_SNAPSHOTS`
/// (default 200 000) generated snapshots, restored through the API, with the time and this
/// process's peak RSS (server and test together) printed. Run with `--run-ignored only`.
#[tokio::test]
#[ignore = "a measurement: slow in debug builds"]
async fn original_large_ttbak_import_measured() {
    let (dir, srv) = started().await;
    let n: usize = std::env::var("TT_IMPORT_SNAPSHOTS").ok().and_then(|v| v.parse().ok()).unwrap_or(200_000);
    let v = Vintage::V2_8_9;
    let mut inst = writer::generate_large(v, 10, n / 10, 1);
    inst.settings.backup_storage_path = Some(dir.path().join("store").display().to_string());
    let path = dir.path().join("large.ttbak");
    let t = std::time::Instant::now();
    let f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    writer::write_ttbak(f, &inst, v, PASSWORD, BACKUP_PW, SALT, inst.created_at, [5; 12], &Options::default()).unwrap();
    let size = std::fs::metadata(&path).unwrap().len();
    eprintln!("wrote {} MB in {:?}; peak RSS so far {:?} MiB", size / 1_000_000, t.elapsed(), peak_rss_mib());
    // Streamed from disk, so the test's own memory does not hold the file.
    let file = tokio::fs::File::open(&path).await.unwrap();
    let chunks = futures::stream::unfold(file, |mut f| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 256 * 1024];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(k) => {
                buf.truncate(k);
                Some((Ok::<_, std::io::Error>(buf), f))
            }
            Err(e) => Some((Err(e), f)),
        }
    });
    let body = reqwest::Body::wrap_stream(chunks);
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::stream_with_length(body, size).file_name("large.ttbak"))
        .text("current_password", PASSWORD)
        .text("backup_password", BACKUP_PW);
    let t = std::time::Instant::now();
    let r: Value =
        TestServer::decode(srv.client.post(format!("{}/api/backup/restore", srv.url)).multipart(form).send().await.unwrap()).await.unwrap();
    eprintln!("imported in {:?}; peak RSS {:?} MiB", t.elapsed(), peak_rss_mib());
    let snaps = r["restored"].as_array().unwrap().iter().find(|s| s["section"] == "tracker_snapshots").unwrap();
    assert_eq!(snaps["count"].as_u64(), Some(n as u64));
}

/// The original's TOTP backup codes, carried: each unused one logs in once, a used one never;
/// a native backup of this instance carries them to another; new codes replace them.
#[tokio::test]
async fn original_backup_codes_log_in_once_and_travel_in_native_backups() {
    let (dir, srv) = started().await;
    let v = Vintage::V2_8_9;
    let inst = generate(&dir, v, 1, 1, 4);
    let file = plain(&inst, v, PASSWORD, &Options::default());
    let done = restore(&srv, file, "tracker-tracker-backup-2026-04-10T03-00-00-123Z.json", &[("totp", "take_backup")]).await.unwrap();
    let sentence = done["original"]["totp"].as_str().unwrap();
    assert!(sentence.contains("the 7 unused ones work here") && sentence.contains("the 1 already used in the original stay unusable"), "{sentence}");
    assert!(!done["original"]["not_carried"].as_array().unwrap().iter().any(|f| f["field"] == "totpBackupCodes"));
    // Sealed in the database: neither a code nor the original's JSON is readable there.
    let db = raw_db(&srv.data_dir).await;
    let (sealed,): (String,) = sqlx::query_as("SELECT totp_backup_codes_enc FROM app_settings WHERE id = 1").fetch_one(&db).await.unwrap();
    assert!(sealed.starts_with("tt1:") && !sealed.contains("sha256") && !sealed.contains("DEAD"));
    db.close().await;
    let o: Value = srv.get("security/overview").await.unwrap();
    assert_eq!((o["totp_enabled"].as_bool(), o["backup_codes_left"].as_u64()), (Some(true), Some(7)));

    let [used, a, b, c, ..] = writer::TEST_BACKUP_CODES;
    let _: () = srv.call("auth/logout", json!({})).await.unwrap();
    assert!(srv.login(PASSWORD, Some(used)).await.is_err(), "a code used in the original stays unusable");
    srv.login(PASSWORD, Some(a)).await.unwrap();
    let _: () = srv.call("auth/logout", json!({})).await.unwrap();
    let e = srv.login(PASSWORD, Some(a)).await.unwrap_err();
    assert_eq!(e.message, "Incorrect password or code.", "a code works once");
    // Typed the way people do: lower case, without the dash.
    srv.login(PASSWORD, Some(&b.replace('-', "").to_lowercase())).await.unwrap();
    let o: Value = srv.get("security/overview").await.unwrap();
    assert_eq!(o["backup_codes_left"], 5);
    // The original's authenticator works too.
    let _: () = srv.call("auth/logout", json!({})).await.unwrap();
    srv.login(PASSWORD, Some(&crate::auth::now_code(writer::TEST_TOTP_SECRET, 0))).await.unwrap();

    // A native backup of this instance carries the 5 left to a fresh instance; the spent ones stay spent.
    let (status, _, native) = crate::backup::export(&srv, None).await;
    assert!(status.is_success());
    let dir2 = tempfile::tempdir().unwrap();
    let mut other = TestServer::start(&dir2).await;
    other.setup(PASSWORD).await;
    // Encrypted with the backup password the original stored (carried too).
    let backup_pw = inst.settings.encrypted_backup_password.clone().expect("the generated instance stores one");
    let fields = [("current_password", PASSWORD), ("totp", "take_backup"), ("backup_password", backup_pw.as_str())];
    let r = crate::backup::restore(&other, native, "n.ttbak", &fields).await.unwrap();
    assert!(r["totp"]["backup_codes"].as_str().unwrap().starts_with("Backup codes: those of the backup"), "{r}");
    other.fresh_client();
    assert!(other.login(PASSWORD, Some(a)).await.is_err());
    assert!(other.login(PASSWORD, Some(b)).await.is_err());
    other.login(PASSWORD, Some(c)).await.unwrap();
    let o: Value = other.get("security/overview").await.unwrap();
    assert_eq!(o["backup_codes_left"], 4);

    // New backup codes replace every carried one.
    let fresh: Vec<String> = other.call("security/totp/backup-codes", json!({"password": PASSWORD})).await.unwrap();
    let _: () = other.call("auth/logout", json!({})).await.unwrap();
    assert!(other.login(PASSWORD, Some(writer::TEST_BACKUP_CODES[4])).await.is_err(), "the original's codes are gone");
    other.login(PASSWORD, Some(&fresh[0])).await.unwrap();
    let o: Value = other.get("security/overview").await.unwrap();
    assert_eq!(o["backup_codes_left"].as_u64(), Some(fresh.len() as u64 - 1));
}

/// Original files copied into (or written by the original to) the storage directory: found by
/// their names, told apart and dated by their first bytes, added after a whole read, verified,
/// restored from the history through the import; other files stay ignored or refused as before.
#[tokio::test]
async fn original_files_in_the_storage_directory_are_found_dated_added_and_restored() {
    let (dir, srv) = started().await;
    let store = dir.path().join("store");
    srv.set_storage_path(&store).await;
    let v = Vintage::V2_8_9;
    let inst = generate(&dir, v, 3, 4, 21);
    let plain_bytes = plain(&inst, v, PASSWORD, &Options::default());
    let sealed_at = inst.created_at + chrono::Duration::hours(25);
    let mut ttbak_bytes = Vec::new();
    writer::write_ttbak(&mut ttbak_bytes, &inst, v, PASSWORD, BACKUP_PW, SALT, sealed_at, [3; 12], &Options::default()).unwrap();
    // The names the original gives them; the stamps in them are not what dates them.
    let (p_name, t_name) = ("tracker-tracker-backup-2026-04-10T03-00-00-123Z.json", "tracker-tracker-backup-2026-04-11T03-00-00-000Z.ttbak");
    // Its browser download names even an encrypted backup .json: the first bytes tell.
    let downloaded = "tracker-tracker-backup-1775790000123.json";
    let junk = "tracker-tracker-backup-2026-04-12T03-00-00-000Z.json";
    std::fs::write(store.join(p_name), &plain_bytes).unwrap();
    std::fs::write(store.join(t_name), &ttbak_bytes).unwrap();
    std::fs::write(store.join(downloaded), &ttbak_bytes).unwrap();
    std::fs::write(store.join(junk), b"{\"not\": \"a backup\"}").unwrap();
    std::fs::write(store.join("notes.json"), &plain_bytes).unwrap();
    std::fs::write(store.join("tracker-tracker-backup-2026-04-10T03-00-00-123Z.txt"), &plain_bytes).unwrap();

    let found: Vec<Value> = srv.get("backup/history/found").await.unwrap();
    let names: Vec<&str> = found.iter().map(|f| f["file_name"].as_str().unwrap()).collect();
    assert_eq!(names, [junk, t_name, p_name, downloaded], "other names stay ignored");
    let by = |n: &str| found.iter().find(|f| f["file_name"] == n).unwrap().clone();
    let at = |t: chrono::DateTime<chrono::Utc>| json!(t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true));
    assert_eq!(
        (by(p_name)["made_by"].clone(), by(p_name)["encrypted"].clone(), by(p_name)["created_at"].clone()),
        (json!("original"), json!(false), at(inst.created_at))
    );
    assert_eq!((by(t_name)["encrypted"].clone(), by(t_name)["created_at"].clone()), (json!(true), at(sealed_at)));
    assert_eq!((by(downloaded)["encrypted"].clone(), by(downloaded)["created_at"].clone()), (json!(true), at(sealed_at)));
    assert_eq!(by(p_name)["size_bytes"], plain_bytes.len() as i64);

    // A file with the original's name that is not one of its backups is refused and not listed.
    let e = srv.call::<Value>("backup/history/import", json!({"file_name": junk})).await.unwrap_err();
    assert_eq!((e.status, e.field.as_deref()), (400, Some("file_name")));
    assert!(e.message.contains("not one of them"), "{}", e.message);
    let e = srv.call::<Value>("backup/history/import", json!({"file_name": "notes.json"})).await.unwrap_err();
    assert!(e.message.contains("not a backup file name"), "{}", e.message);

    // The plain one: read whole, dated by its createdAt, marked as the original's.
    let entry: Value = srv.call("backup/history/import", json!({"file_name": p_name})).await.unwrap();
    assert_eq!(
        (entry["trigger"].as_str(), entry["made_by"].as_str(), entry["encrypted"].as_bool()),
        (Some("imported"), Some("original"), Some(false))
    );
    assert_eq!(entry["created_at"], at(inst.created_at));
    assert_eq!(entry["sha256"], hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&plain_bytes)));
    let msg = entry["verify_message"].as_str().unwrap();
    assert!(msg.contains("original Tracker Tracker 2.8.9") && msg.contains("records read and checked"), "{msg}");
    let plain_id = entry["id"].as_i64().unwrap();
    // The .ttbak: a wrong backup password adds nothing; the right one checks the tag.
    let e = srv.call::<Value>("backup/history/import", json!({"file_name": t_name, "backup_password": "not it"})).await.unwrap_err();
    assert_eq!((e.status, e.field.as_deref()), (400, Some("backup_password")), "{}", e.message);
    let entry: Value = srv.call("backup/history/import", json!({"file_name": t_name, "backup_password": BACKUP_PW})).await.unwrap();
    assert_eq!((entry["encrypted"].as_bool(), entry["created_at"].clone()), (Some(true), at(sealed_at)));
    assert!(entry["verify_message"].as_str().unwrap().contains("encryption tag verified"), "{entry}");
    let ttbak_id = entry["id"].as_i64().unwrap();
    // Without any password it is only recognised and hashed.
    let entry: Value = srv.call("backup/history/import", json!({"file_name": downloaded})).await.unwrap();
    assert!(entry["verify_message"].as_str().unwrap().contains("not decrypted"), "{entry}");
    let history: Vec<Value> = srv.get("backup/history").await.unwrap();
    assert_eq!(history.iter().filter(|h| h["made_by"] == "original").count(), 3);
    let found: Vec<Value> = srv.get("backup/history/found").await.unwrap();
    assert_eq!(found.len(), 1, "{found:?}");

    // Verify re-reads it whole; download gives the file as it is.
    let r: Value = srv.call("backup/history/verify", json!({"id": plain_id})).await.unwrap();
    assert_eq!(r["ok"], true, "{r}");
    assert!(r["message"].as_str().unwrap().starts_with("SHA-256 matches"), "{r}");
    let res = srv.client.get(format!("{}/api/backup/history/download?id={plain_id}", srv.url)).send().await.unwrap();
    assert_eq!(res.bytes().await.unwrap().to_vec(), plain_bytes);

    // Restore from the history, as an upload of it would: a dry run of the plain one, then the .ttbak.
    let dry: Value = srv.call("backup/history/restore", json!({"id": plain_id, "current_password": PASSWORD, "dry_run": true})).await.unwrap();
    assert_eq!(dry["original"]["app_version"], "2.8.9");
    let db = raw_db(&srv.data_dir).await;
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM trackers").fetch_one(&db).await.unwrap();
    assert_eq!(n, 0, "a dry run changes nothing");
    let e = srv.call::<Value>("backup/history/restore", json!({"id": ttbak_id, "current_password": PASSWORD, "dry_run": false})).await.unwrap_err();
    assert_eq!(e.field.as_deref(), Some("backup_password"), "{}", e.message);
    let done: Value = srv
        .call("backup/history/restore", json!({"id": ttbak_id, "current_password": PASSWORD, "backup_password": BACKUP_PW, "dry_run": false}))
        .await
        .unwrap();
    assert_eq!((done["dry_run"].as_bool(), done["original"]["encrypted"].as_bool()), (Some(false), Some(true)));
    let (trackers, snaps): (i64, i64) =
        sqlx::query_as("SELECT (SELECT COUNT(*) FROM trackers), (SELECT COUNT(*) FROM tracker_snapshots)").fetch_one(&db).await.unwrap();
    assert_eq!((trackers, snaps), (3, 12));
    db.close().await;
}
