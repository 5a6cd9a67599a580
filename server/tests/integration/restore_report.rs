//! The restore report tells the whole truth before anything changes: what happens to two-factor
//! login (and the person's choice is honoured), every setting as "now → after", the records per
//! section and by name, a wrong source password, a damaged key wrap.

use crate::auth::{now_code, turn_on_totp};
use crate::backup::{export, filled, restore};
use crate::common::*;
use app::domain::auth::totp;
use app::domain::secrets::purpose;
use serde_json::Value;

type TotpColumns = (bool, Option<String>, Option<String>);

async fn totp_columns(srv: &TestServer) -> TotpColumns {
    let db = raw_db(&srv.data_dir).await;
    sqlx::query_as("SELECT totp_enabled, totp_secret_enc, totp_backup_codes_enc FROM app_settings").fetch_one(&db).await.unwrap()
}

async fn logout(srv: &mut TestServer) {
    let _: () = srv.call("auth/logout", serde_json::json!({})).await.unwrap();
    srv.fresh_client();
}

#[tokio::test]
async fn two_factor_login_is_kept_by_default_and_taken_only_when_chosen() {
    let (d1, d2, d3) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let src = filled(&d1, PASSWORD).await; // 2FA on, secret SECRETS[7]
    let (_, _, bytes) = export(&src, None).await;
    let mut dst = TestServer::start(&d2).await;
    dst.setup(PASSWORD).await;

    // The default keeps this instance's 2FA (off): said so, and the alternative is named.
    let dry = restore(&dst, bytes.clone(), "b.json", &[("current_password", PASSWORD), ("dry_run", "true")]).await.unwrap();
    let t = &dry["totp"];
    assert_eq!((t["enabled_now"].clone(), t["enabled_in_backup"].clone()), (Value::Bool(false), Value::Bool(true)));
    assert_eq!(
        (t["choice"].as_str(), t["fate"].as_str(), t["fate_other_choice"].as_str()),
        (Some("keep_current"), Some("unchanged"), Some("turned_on"))
    );
    assert_eq!(t["summary"], "Two-factor login will stay off.");
    let r = restore(&dst, bytes.clone(), "b.json", &[("current_password", PASSWORD)]).await.unwrap();
    assert_eq!(r["totp"]["fate"], "unchanged");
    assert_eq!(totp_columns(&dst).await, (false, None, None));
    logout(&mut dst).await;
    dst.login(PASSWORD, None).await.expect("the password alone still logs in");

    // Taken: the report says the next login needs the other instance's authenticator, and it does.
    let fields = [("current_password", PASSWORD), ("totp", "take_backup")];
    let dry = restore(&dst, bytes.clone(), "b.json", &[fields[0], fields[1], ("dry_run", "true")]).await.unwrap();
    assert_eq!(dry["totp"]["fate"], "turned_on");
    assert!(dry["totp"]["summary"]
        .as_str()
        .unwrap()
        .contains("the next login needs a code from the authenticator of the instance the backup came from"));
    let r = restore(&dst, bytes.clone(), "b.json", &fields).await.unwrap();
    assert_eq!(r["totp"]["fate"], "turned_on");
    let (on, secret, _) = totp_columns(&dst).await;
    assert!(on);
    assert_eq!(dst.state.keys.open(purpose::TOTP_SECRET, &secret.unwrap()).unwrap().as_str(), app::domain::sample::SECRETS[7]);
    logout(&mut dst).await;
    assert!(dst.login(PASSWORD, None).await.is_err(), "a code is needed now");
    let code = totp::code_at(app::domain::sample::SECRETS[7], chrono::Utc::now().timestamp() as u64).unwrap();
    dst.login(PASSWORD, Some(&code)).await.expect("the backup's authenticator logs in");

    // An instance with a 2FA of its own: kept column for column by default; "replaced" if taken.
    let other = TestServer::start(&d3).await;
    other.setup(PASSWORD).await;
    let own_secret = turn_on_totp(&other).await;
    let before = totp_columns(&other).await;
    let dry =
        restore(&other, bytes.clone(), "b.json", &[("current_password", PASSWORD), ("totp", "take_backup"), ("dry_run", "true")]).await.unwrap();
    assert_eq!(dry["totp"]["fate"], "replaced");
    assert!(dry["totp"]["summary"].as_str().unwrap().contains("not the one you use now"), "{}", dry["totp"]);
    let r = restore(&other, bytes, "b.json", &[("current_password", PASSWORD)]).await.unwrap();
    assert_eq!((r["totp"]["fate"].as_str(), r["totp"]["fate_other_choice"].as_str()), (Some("unchanged"), Some("replaced")));
    assert_eq!(r["totp"]["backup_codes"], "Backup codes: stay as they are now.");
    assert_eq!(totp_columns(&other).await, before, "secret and backup codes exactly as they were");
    let mut other = other;
    logout(&mut other).await;
    other.login(PASSWORD, Some(&now_code(&own_secret, 1))).await.expect("this instance's authenticator still logs in");
}

#[tokio::test]
async fn an_unknown_two_factor_choice_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let srv = filled(&dir, PASSWORD).await;
    let (_, _, bytes) = export(&srv, None).await;
    let before = digest(&srv.data_dir, &[]).await;
    let e = restore(&srv, bytes, "b.json", &[("current_password", PASSWORD), ("totp", "maybe")]).await.unwrap_err();
    assert_eq!((e.status, e.kind.as_str(), e.field.as_deref()), (400, "invalid", Some("totp")));
    assert!(e.message.contains("keep_current") && e.message.contains("take_backup"), "{}", e.message);
    assert_eq!(digest(&srv.data_dir, &[]).await, before);
}

#[tokio::test]
async fn the_report_names_every_setting_and_record_the_restore_changes() {
    let dir = tempfile::tempdir().unwrap();
    let srv = filled(&dir, PASSWORD).await;
    let db = raw_db(&srv.data_dir).await;
    sqlx::query("UPDATE app_settings SET backup_password_enc = NULL").execute(&db).await.unwrap();
    let (_, _, older) = export(&srv, None).await;

    // Since that backup: scheduled backups set up, a tracker renamed, history grew.
    let store = tempfile::tempdir().unwrap();
    let path = store.path().display().to_string();
    let sealed = srv.state.keys.seal(purpose::BACKUP_PASSWORD, "backup password 1").unwrap();
    sqlx::query(
        "UPDATE app_settings SET backup_schedule_enabled = 1, backup_frequency = 'daily', backup_retention_count = 30, \
         backup_storage_path = $1, backup_password_enc = $2, session_timeout_minutes = 60",
    )
    .bind(&path)
    .bind(&sealed)
    .execute(&db)
    .await
    .unwrap();
    sqlx::query("UPDATE trackers SET name = 'Renamed tracker' WHERE id = 1").execute(&db).await.unwrap();
    sqlx::query("DELETE FROM tracker_snapshots WHERE id IN (SELECT id FROM tracker_snapshots ORDER BY id DESC LIMIT 10)").execute(&db).await.unwrap();

    let expected = [
        ("backup.schedule_enabled", "on", "off"),
        ("backup.frequency", "daily", "weekly (Mondays)"),
        ("backup.retention_count", "30", "9"),
        ("backup.storage_path", path.as_str(), "not set"),
        ("backup.password", "set", "not set"),
        ("security.session_timeout_minutes", "60", "90"),
    ];
    for dry_run in [true, false] {
        let fields = [("current_password", PASSWORD), ("dry_run", if dry_run { "true" } else { "false" })];
        let r = restore(&srv, older.clone(), "b.json", &fields).await.unwrap();
        let changes: Vec<(String, String, String)> = r["settings_changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["key"].as_str().unwrap().into(), c["now"].as_str().unwrap().into(), c["after"].as_str().unwrap().into()))
            .collect();
        let want: Vec<(String, String, String)> = expected.iter().map(|(k, a, b)| (k.to_string(), a.to_string(), b.to_string())).collect();
        assert_eq!(changes, want, "dry run {dry_run}: every changed setting, and nothing else");
        assert_eq!(r["settings_changes"][0]["label"], "Scheduled backups");
        let section = |key: &str| r["restored"].as_array().unwrap().iter().find(|c| c["section"] == key).unwrap().clone();
        assert_eq!((section("tracker_snapshots")["now"].as_u64(), section("tracker_snapshots")["count"].as_u64()), (Some(50), Some(60)));
        assert_eq!((section("trackers")["now"].as_u64(), section("trackers")["count"].as_u64()), (Some(3), Some(3)));
        assert_eq!(r["disappearing"], serde_json::json!([{"section": "trackers", "kind": "Tracker", "name": "Renamed tracker"}]));
        assert_eq!(r["appearing"], serde_json::json!([{"section": "trackers", "kind": "Tracker", "name": "Aither"}]));
    }
    // And the restore did what the report said.
    let (sched, path_after, pw, timeout): (bool, Option<String>, Option<String>, i64) =
        sqlx::query_as("SELECT backup_schedule_enabled, backup_storage_path, backup_password_enc, session_timeout_minutes FROM app_settings")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!((sched, path_after, pw, timeout), (false, None, None, 90));
}

#[tokio::test]
async fn a_wrong_source_password_is_said_before_anything_changes() {
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let src = filled(&d1, PASSWORD).await;
    let (_, _, bytes) = export(&src, None).await;
    let other = "another password 42";
    let dst = TestServer::start(&d2).await;
    dst.setup(other).await;
    let before = digest(&dst.data_dir, &[]).await;
    for dry_run in ["true", "false"] {
        let fields = [("current_password", other), ("source_password", "not the source password"), ("dry_run", dry_run)];
        let e = restore(&dst, bytes.clone(), "b.json", &fields).await.unwrap_err();
        assert_eq!((e.status, e.kind.as_str(), e.field.as_deref()), (400, "invalid", Some("source_password")));
        assert!(e.message.starts_with("This is not the login password of the instance the backup came from"), "{}", e.message);
        assert_eq!(digest(&dst.data_dir, &[]).await, before, "nothing changed");
    }
    // An empty field still means "I don't have it": the secrets are cleared, as reported.
    let r = restore(&dst, bytes, "b.json", &[("current_password", other), ("source_password", ""), ("dry_run", "true")]).await.unwrap();
    assert_eq!(r["secrets_kept"], 0);
}

/// A key wrap outside the documented bounds is a damaged or forged file, not a wrong password:
/// refused with a message that names the problem, before any key is derived.
#[tokio::test]
async fn a_damaged_key_wrap_is_refused_not_taken_for_a_wrong_password() {
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let src = filled(&d1, PASSWORD).await;
    let (_, _, bytes) = export(&src, None).await;
    let text = String::from_utf8(bytes).unwrap();
    let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    assert!(lines[1].starts_with("\"key_wrap\":{"));
    let wrap: Value = serde_json::from_str(lines[1].trim_start_matches("\"key_wrap\":").trim_end_matches(',')).unwrap();
    use base64::Engine;
    let b64 = |n: usize| base64::engine::general_purpose::STANDARD.encode(vec![7u8; n]);
    let edits: Vec<(&str, Value, &str)> = vec![
        ("memory_kib", 4_194_304.into(), "it asks for 4194304 KiB of memory to derive its key; allowed are 8 to 262144 KiB"),
        ("memory_kib", 4.into(), "it asks for 4 KiB of memory"),
        ("iterations", 0.into(), "it asks for 0 Argon2id iterations; allowed are 1 to 16"),
        ("iterations", 1000.into(), "it asks for 1000 Argon2id iterations"),
        ("parallelism", 64.into(), "it asks for Argon2id parallelism 64; allowed are 1 to 4"),
        ("algorithm", "scrypt/aes-256-gcm".into(), "its algorithm is \"scrypt/aes-256-gcm\""),
        ("salt", "not base64!".into(), "its salt is not valid base64"),
        ("salt", b64(4).into(), "its salt is 4 bytes long; allowed are 8 to 64 bytes"),
        ("sealed_key", b64(59).into(), "its sealed key is 59 bytes long instead of 60"),
        ("key_id", "0123".into(), "its key id is not 32 lowercase hexadecimal digits"),
    ];
    let other = "another password 42";
    let dst = TestServer::start(&d2).await;
    dst.setup(other).await;
    let before = digest(&dst.data_dir, &[]).await;
    for (i, (field, value, detail)) in edits.into_iter().enumerate() {
        let mut w = wrap.clone();
        w[field] = value;
        lines[1] = format!("\"key_wrap\":{w},");
        let file = lines.join("\n").into_bytes();
        let dry_run = if i == 0 { "false" } else { "true" };
        let fields = [("current_password", other), ("source_password", PASSWORD), ("dry_run", dry_run)];
        let e = restore(&dst, file, "b.json", &fields).await.unwrap_err();
        assert_eq!((e.status, e.kind.as_str(), e.field.as_deref()), (400, "invalid", Some("file")), "{field}");
        assert!(e.message.starts_with("The backup's key wrap (the part that opens its secrets) is damaged or forged: "), "{}", e.message);
        assert!(e.message.contains(detail), "{field}: {}", e.message);
        assert_eq!(digest(&dst.data_dir, &[]).await, before, "{field}: nothing changed");
    }
}

#[tokio::test]
async fn a_backup_password_that_differs_is_reported_and_a_stored_restore_takes_the_choice() {
    let dir = tempfile::tempdir().unwrap();
    let srv = filled(&dir, PASSWORD).await; // backup password SECRETS[5]
    let (_, _, bytes) = export(&srv, None).await;
    let sealed = srv.state.keys.seal(purpose::BACKUP_PASSWORD, "another backup password").unwrap();
    sqlx::query("UPDATE app_settings SET backup_password_enc = $1").bind(&sealed).execute(&srv.state.db).await.unwrap();
    let r = restore(&srv, bytes.clone(), "b.json", &[("current_password", PASSWORD), ("dry_run", "true")]).await.unwrap();
    assert_eq!(
        r["settings_changes"],
        serde_json::json!([{"key": "backup.password", "label": "Backup password", "now": "set", "after": "set (another one)"}])
    );

    // The stored-restore endpoint takes the same choice, and refuses an unknown one by its field.
    let r = restore(&srv, bytes, "b.json", &[("current_password", PASSWORD)]).await.unwrap();
    let id = r["pre_restore_backup"]["id"].as_i64().unwrap();
    let body = |totp: &str| serde_json::json!({"id": id, "current_password": PASSWORD, "backup_password": null, "source_password": null, "totp": totp, "dry_run": true});
    let e = srv.call::<Value>("backup/history/restore", body("maybe")).await.unwrap_err();
    assert_eq!((e.status, e.field.as_deref()), (400, Some("totp")), "{}", e.message);
    let r: Value = srv.call("backup/history/restore", body("take_backup")).await.unwrap();
    assert_eq!((r["totp"]["choice"].as_str(), r["totp"]["fate"].as_str()), (Some("take_backup"), Some("unchanged")));
}

/// The messages of issue 12 through the API: the file field, the problem named, nothing changed.
#[tokio::test]
async fn bad_files_are_named_through_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let srv = filled(&dir, PASSWORD).await;
    let (_, _, plain) = export(&srv, None).await;
    let (_, _, sealed) = export(&srv, Some("backup password 1")).await;
    let text = String::from_utf8(plain).unwrap();
    let created = text.split("\"created_at\":\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let bad_date = text.replacen(&format!("\"created_at\":\"{created}\""), "\"created_at\":\"not-a-date\"", 1).into_bytes();
    let negative = text.replacen("\"tracker_snapshots\":60", "\"tracker_snapshots\":-5", 1).into_bytes();
    let cut = sealed[..sealed.len() - 100].to_vec();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty.json", Vec::new(), "The backup file is empty"),
        ("date.json", bad_date, "created_at is \"not-a-date\", which is not a date and time"),
        ("count.json", negative, "counts.tracker_snapshots is -5"),
        ("cut.ttbak", cut, "The end of the backup is missing or damaged"),
    ];
    let before = digest(&srv.data_dir, &[]).await;
    for (name, file, expected) in cases {
        let fields = [("current_password", PASSWORD), ("backup_password", "backup password 1"), ("dry_run", "true")];
        let e = restore(&srv, file, name, &fields).await.unwrap_err();
        assert_eq!((e.status, e.field.as_deref()), (400, Some("file")), "{name}: {}", e.message);
        assert!(e.message.contains(expected), "{name}: {}", e.message);
        assert!(!e.message.contains(", record "), "{name}: no innocent record is blamed: {}", e.message);
    }
    assert_eq!(digest(&srv.data_dir, &[]).await, before);
}
