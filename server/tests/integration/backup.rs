//! Backups through the real HTTP API: export, restore (same instance, fresh instance with the
//! same or another password, with and without the source password), dry run, bad input.

use crate::common::*;
use app::backup_format::plain::{self, Item};
use app::backup_format::records::Record;
use app::domain::sample;
use app::domain::secrets::purpose;
use serde_json::{json, Value};

pub(crate) async fn export(srv: &TestServer, password: Option<&str>) -> (reqwest::StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let mut form = vec![];
    if let Some(p) = password {
        form.push(("password", p));
    }
    let res = srv.client.post(format!("{}/api/backup/export", srv.url)).form(&form).send().await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    (status, headers, res.bytes().await.unwrap().to_vec())
}

pub(crate) async fn restore(srv: &TestServer, file: Vec<u8>, name: &str, fields: &[(&str, &str)]) -> Result<Value, CallError> {
    let mut form = reqwest::multipart::Form::new().part("file", reqwest::multipart::Part::bytes(file).file_name(name.to_string()));
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    let res = srv.client.post(format!("{}/api/backup/restore", srv.url)).multipart(form).send().await.unwrap();
    TestServer::decode(res).await
}

fn records(bytes: &[u8]) -> Vec<Record> {
    let mut v = Vec::new();
    plain::read(bytes, |item| {
        if let Item::Record(r) = item {
            v.push(r);
        }
        Ok(())
    })
    .expect("parse");
    v
}

/// The records with every sealed value replaced by its plaintext (opened with `state`'s key), so
/// backups of different instances can be compared.
fn opened(state: &app::domain::AppState, mut recs: Vec<Record>) -> Vec<Record> {
    let open = |p: &str, v: &mut Option<String>| {
        if let Some(s) = v {
            *v = Some(state.keys.open(p, s).map(|z| z.to_string()).unwrap_or_else(|_| "UNOPENABLE".into()));
        }
    };
    for r in &mut recs {
        match r {
            Record::Settings(s) => {
                open(purpose::PROXY_PASSWORD, &mut s.proxy_password);
                open(purpose::TOTP_SECRET, &mut s.totp.secret);
                open(purpose::TOTP_BACKUP_CODES, &mut s.totp.backup_codes);
                open(purpose::BACKUP_PASSWORD, &mut s.backup_password);
            }
            Record::Tracker(t) => open(purpose::TRACKER_API_TOKEN, &mut t.api_token),
            Record::DownloadClient(c) => {
                open(purpose::CLIENT_USERNAME, &mut c.username);
                open(purpose::CLIENT_PASSWORD, &mut c.password);
            }
            Record::NotificationTarget(t) => open(purpose::NOTIFICATION_CONFIG, &mut t.config),
            _ => {}
        }
    }
    recs
}

pub(crate) async fn filled(dir: &tempfile::TempDir, password: &str) -> TestServer {
    let srv = TestServer::start(dir).await;
    srv.setup(password).await;
    sample::fill(&srv.state).await.unwrap();
    srv
}

#[tokio::test]
async fn export_streams_a_download_that_holds_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let srv = filled(&dir, PASSWORD).await;
    let (status, headers, bytes) = export(&srv, None).await;
    assert_eq!(status, 200);
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(disposition.starts_with("attachment; filename=\"tracker-tracker-backup-") && disposition.ends_with(".json\""), "{disposition}");
    let text = String::from_utf8(bytes.clone()).unwrap();
    for s in sample::SECRETS.iter().chain(sample::TRANSIENT.iter()) {
        assert!(!text.contains(s), "{s}");
    }
    // No instance salt, no password hash.
    let db = raw_db(&srv.data_dir).await;
    let (salt, hash): (Vec<u8>, String) = sqlx::query_as("SELECT instance_salt, password_hash FROM instance").fetch_one(&db).await.unwrap();
    use base64::Engine;
    for enc in
        [hex::encode(&salt), base64::engine::general_purpose::STANDARD.encode(&salt), base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&salt)]
    {
        assert!(!text.contains(&enc));
    }
    assert!(!text.contains(&hash) && !text.contains("$argon2id$"));
    assert!(!bytes.windows(salt.len()).any(|w| w == salt.as_slice()));
    // Manual exports are never saved on the server.
    let history: Vec<Value> = srv.get("backup/history").await.unwrap();
    assert!(history.is_empty());
    assert!(!dir.path().join("backups").exists());
    // Unauthenticated: refused.
    let anon = reqwest::Client::new().post(format!("{}/api/backup/export", srv.url)).send().await.unwrap();
    assert_eq!(anon.status(), 401);
}

#[tokio::test]
async fn restore_into_the_same_instance_after_changes() {
    let dir = tempfile::tempdir().unwrap();
    let srv = filled(&dir, PASSWORD).await;
    let (_, _, original) = export(&srv, None).await;
    sqlx::query("DELETE FROM tracker_snapshots WHERE id > 150").execute(&srv.state.db).await.unwrap();
    sqlx::query("UPDATE download_clients SET name = 'renamed'").execute(&srv.state.db).await.unwrap();
    let report = restore(&srv, original.clone(), "b.json", &[("current_password", PASSWORD)]).await.unwrap();
    assert_eq!(report["same_key"], true);
    assert_eq!(report["secrets_cleared"], 0);
    assert_eq!(report["totp_disabled"], false);
    assert!(report["pre_restore_backup"]["file_name"].as_str().unwrap().starts_with("tracker-tracker-backup-"));
    let (_, _, after) = export(&srv, None).await;
    assert_eq!(records(&original), records(&after), "every restored row equals the original");
    // Still logged in.
    let _: Value = srv.get("security/overview").await.unwrap();
    // The pre-restore backup is in the history and restores the changed data back (undo).
    let history: Vec<Value> = srv.get("backup/history").await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["trigger"], "pre_restore");
    assert_eq!(history[0]["status"], "completed");
}

#[tokio::test]
async fn restore_into_a_fresh_instance_with_the_same_password() {
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let src = filled(&d1, PASSWORD).await;
    let (_, _, bytes) = export(&src, None).await;
    let dst = TestServer::start(&d2).await;
    dst.setup(PASSWORD).await;
    // Taking the backup's 2FA too, so that every record equals the source's.
    let report = restore(&dst, bytes.clone(), "b.json", &[("current_password", PASSWORD), ("totp", "take_backup")]).await.unwrap();
    assert_eq!(report["same_key"], false);
    assert_eq!(report["secrets_cleared"], 0);
    assert!(report["secrets_kept"].as_u64().unwrap() >= 9);
    assert_eq!(report["totp_disabled"], false);
    let (_, _, after) = export(&dst, None).await;
    assert_ne!(records(&bytes), records(&after), "secrets were re-encrypted for the new instance");
    assert_eq!(opened(&src.state, records(&bytes)), opened(&dst.state, records(&after)), "and open to the same values");
    // The new instance's raw columns hold its own ciphertext.
    let db = raw_db(&dst.data_dir).await;
    let (token,): (String,) = sqlx::query_as("SELECT api_token_enc FROM trackers WHERE id = 1").fetch_one(&db).await.unwrap();
    assert!(token.starts_with("tt1:") && !token.contains("SECRET"));
}

#[tokio::test]
async fn restore_into_an_instance_with_another_password() {
    let (d1, d2, d3) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let src = filled(&d1, PASSWORD).await;
    let (_, _, bytes) = export(&src, None).await;

    // With the source instance's password: everything carried over.
    let other = "another password 42";
    let dst = TestServer::start(&d2).await;
    dst.setup(other).await;
    let report =
        restore(&dst, bytes.clone(), "b.json", &[("current_password", other), ("source_password", PASSWORD), ("totp", "take_backup")]).await.unwrap();
    assert_eq!(report["secrets_cleared"], 0, "{report}");
    let (_, _, after) = export(&dst, None).await;
    assert_eq!(opened(&src.state, records(&bytes)), opened(&dst.state, records(&after)));

    // Without it: secrets cleared, owners disabled with a reason, 2FA off, all reported.
    let dst2 = TestServer::start(&d3).await;
    dst2.setup(other).await;
    let report = restore(&dst2, bytes.clone(), "b.json", &[("current_password", other), ("totp", "take_backup")]).await.unwrap();
    assert_eq!(report["secrets_kept"], 0);
    assert!(report["secrets_cleared"].as_u64().unwrap() >= 9);
    assert_eq!(report["totp_disabled"], true);
    let cleared = report["cleared"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect::<Vec<_>>().join("\n");
    assert!(cleared.contains("Download client “qBittorrent”: credentials cleared during restore — re-enter and re-enable"), "{cleared}");
    assert!(cleared.contains("Tracker “Aither”: API token missing"), "{cleared}");
    // 2FA is told once, by the 2FA report, not again among the cleared secrets.
    assert!(!cleared.contains("Two-factor"), "{cleared}");
    assert_eq!(report["totp"]["fate"], "turned_off_not_carried");
    assert!(report["totp"]["summary"].as_str().unwrap().contains("its secret could not be carried over"), "{report}");
    assert_eq!(report["totp"]["backup_codes"], "Backup codes: removed with two-factor login.");
    let db = raw_db(&dst2.data_dir).await;
    let (enabled, reason, user): (bool, Option<String>, Option<String>) =
        sqlx::query_as("SELECT enabled, disabled_reason, username_enc FROM download_clients WHERE id = 1").fetch_one(&db).await.unwrap();
    assert!(!enabled && user.is_none());
    assert_eq!(reason.as_deref(), Some("credentials cleared during restore — re-enter and re-enable"));
    let (active, token): (bool, Option<String>) =
        sqlx::query_as("SELECT is_active, api_token_enc FROM trackers WHERE id = 1").fetch_one(&db).await.unwrap();
    assert!(!active && token.is_none());
    let (target_enabled,): (bool,) = sqlx::query_as("SELECT enabled FROM notification_targets WHERE id = 1").fetch_one(&db).await.unwrap();
    assert!(!target_enabled);
    let (totp,): (bool,) = sqlx::query_as("SELECT totp_enabled FROM app_settings").fetch_one(&db).await.unwrap();
    assert!(!totp);
    // The backup password is gone: schedule and encryption are off, so backups (and undo) still work.
    let (sched, encrypt, bpw): (bool, bool, Option<String>) =
        sqlx::query_as("SELECT backup_schedule_enabled, backup_encrypt, backup_password_enc FROM app_settings").fetch_one(&db).await.unwrap();
    assert!(!sched && !encrypt && bpw.is_none());
    assert!(report["pre_restore_backup"]["id"].as_i64().is_some());
    // The rest of the data is all there.
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM tracker_snapshots").fetch_one(&db).await.unwrap();
    assert_eq!(n, 60);
    // The user stays logged in and 2FA is off for the next login.
    let status: Value = dst2.get("auth/status").await.unwrap();
    assert_eq!(status["logged_in"], true);
    assert_eq!(status["totp_required"], false);
}

/// Each bad file is refused with its own message, and every table is left exactly as it was.
#[tokio::test]
async fn bad_backups_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let srv = filled(&dir, PASSWORD).await;
    let (_, _, good) = export(&srv, None).await;
    let text = String::from_utf8(good.clone()).unwrap();
    let header_end = text.find('\n').unwrap();
    let header: Value = serde_json::from_str(&format!("{}}}", &text[..header_end - 1])).unwrap();
    let snapshots = header["header"]["counts"]["tracker_snapshots"].as_u64().unwrap();

    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("not JSON", b"PK\x03\x04 this is a zip".to_vec(), "not JSON"),
        ("JSON, not a backup", br#"{"hello": "world"}"#.to_vec(), "not a Tracker Tracker backup"),
        ("JSON array", b"[1,2,3]".to_vec(), "not a Tracker Tracker backup"),
        (
            "newer version",
            text.replacen("\"format_version\":1", "\"format_version\":2", 1).into_bytes(),
            "made by a newer version of Tracker Tracker",
        ),
        (
            "counts differ",
            text.replacen(&format!("\"tracker_snapshots\":{snapshots}"), &format!("\"tracker_snapshots\":{}", snapshots + 1), 1).into_bytes(),
            "The header says tracker_snapshots has 61 record(s), but the file holds 60",
        ),
        ("missing tracker", text.replacen("{\"id\":100,\"tracker_id\":1,", "{\"id\":100,\"tracker_id\":77,", 1).into_bytes(), "refers to tracker 77"),
        (
            "ftp URL",
            text.replacen("\"base_url\":\"https://aither.cc\"", "\"base_url\":\"ftp://aither.cc\"", 1).into_bytes(),
            "must be a web address starting with http:// or https://",
        ),
        ("port 70000", text.replacen("\"port\":8080", "\"port\":70000", 1).into_bytes(), "Port must be a whole number from 1 to 65535 (got 70000)"),
        ("negative count", text.replacen("\"seeding_count\":0,", "\"seeding_count\":-5,", 1).into_bytes(), "Seeding count cannot be negative"),
        (
            "non-integer count",
            text.replacen("\"seeding_count\":0,", "\"seeding_count\":1.5,", 1).into_bytes(),
            "seeding_count: invalid type: floating point `1.5`",
        ),
        ("duplicate id", text.replacen("{\"id\":103,", "{\"id\":100,", 1).into_bytes(), "(id 100): duplicate id"),
        ("truncated JSON", good[..good.len() / 2].to_vec(), "ends early"),
        ("trailing garbage member", text.replacen("\n}\n", ",\n\"extra\":[]\n}\n", 1).into_bytes(), "unknown member \"extra\""),
    ];
    for (name, bytes, expected) in cases {
        assert_ne!(bytes, good, "case {name} must change the file");
        let before = digest(&srv.data_dir, &[]).await;
        let e = restore(&srv, bytes, "bad.json", &[("current_password", PASSWORD)]).await.unwrap_err();
        assert_eq!(e.status, 400, "{name}: {}", e.message);
        assert!(e.message.contains(expected), "{name}: got {:?}, expected it to contain {expected:?}", e.message);
        assert_eq!(digest(&srv.data_dir, &[]).await, before, "{name}: the database changed");
    }

    // A wrong current password: refused, counted as a failed login, nothing else changed.
    let before = digest(&srv.data_dir, &["instance"]).await;
    let db = raw_db(&srv.data_dir).await;
    let (n0,): (i64,) = sqlx::query_as("SELECT failed_login_attempts FROM instance").fetch_one(&db).await.unwrap();
    let e = restore(&srv, good.clone(), "b.json", &[("current_password", "not my password")]).await.unwrap_err();
    assert_eq!(e.kind, "wrong_credentials");
    let (n1,): (i64,) = sqlx::query_as("SELECT failed_login_attempts FROM instance").fetch_one(&db).await.unwrap();
    assert_eq!(n1, n0 + 1);
    assert_eq!(digest(&srv.data_dir, &["instance"]).await, before);
    // No current password at all.
    let e = restore(&srv, good.clone(), "b.json", &[]).await.unwrap_err();
    assert!(e.message.contains("current login password"), "{}", e.message);
}

#[tokio::test]
async fn an_upload_over_the_limit_is_refused_with_a_pointer_to_stored_backups() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = settings_for(dir.path());
    settings.app.upload_limit_bytes = 4096;
    let srv = TestServer::start_with(settings).await;
    srv.setup(PASSWORD).await;
    sample::fill(&srv.state).await.unwrap();
    let (_, _, bytes) = export(&srv, None).await;
    assert!(bytes.len() > 4096);
    let before = digest(&srv.data_dir, &[]).await;
    let e = restore(&srv, bytes, "b.json", &[("current_password", PASSWORD)]).await.unwrap_err();
    assert_eq!(e.status, 413);
    assert!(e.message.contains("larger than the upload limit") && e.message.contains("Found in the storage directory"), "{}", e.message);
    assert_eq!(digest(&srv.data_dir, &[]).await, before);
    // Nothing is left behind in the upload dir.
    let leftovers = std::fs::read_dir(dir.path().join("uploads")).map(|d| d.count()).unwrap_or(0);
    assert_eq!(leftovers, 0);
}

#[tokio::test]
async fn dry_run_reports_without_writing() {
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let src = filled(&d1, PASSWORD).await;
    let (_, _, bytes) = export(&src, None).await;
    let dst = TestServer::start(&d2).await;
    dst.setup("another password 42").await;
    let before = digest(&dst.data_dir, &[]).await;
    let report = restore(&dst, bytes, "b.json", &[("current_password", "another password 42"), ("dry_run", "true")]).await.unwrap();
    assert_eq!(report["dry_run"], true);
    // By default this instance's 2FA (off) stays; taking the backup's could not carry its secret.
    assert_eq!(report["totp_disabled"], false);
    assert_eq!(report["totp"]["fate"], "unchanged");
    assert_eq!(report["totp"]["fate_other_choice"], "turned_off_not_carried");
    assert!(report["secrets_cleared"].as_u64().unwrap() > 0);
    assert!(report["pre_restore_backup"].is_null());
    let counts: Vec<(String, u64)> =
        report["restored"].as_array().unwrap().iter().map(|c| (c["section"].as_str().unwrap().to_string(), c["count"].as_u64().unwrap())).collect();
    assert!(counts.contains(&("tracker_snapshots".into(), 60)));
    assert_eq!(digest(&dst.data_dir, &[]).await, before);
}

#[tokio::test]
async fn a_backup_copied_into_the_storage_directory_is_found_checked_added_and_restored() {
    let dir = tempfile::tempdir().unwrap();
    let srv = filled(&dir, PASSWORD).await;
    let store = dir.path().join("store");
    srv.set_storage_path(&store).await;
    // Nothing found yet.
    let found: Vec<Value> = srv.get("backup/history/found").await.unwrap();
    assert!(found.is_empty(), "{found:?}");

    let (_, _, bytes) = export(&srv, None).await;
    let good = "tracker-tracker-backup-20250101T000000Z.json";
    let damaged = "tracker-tracker-backup-20250103T000000Z.json";
    std::fs::write(store.join(good), &bytes).unwrap();
    std::fs::write(store.join(damaged), b"{\"not\": \"a backup\"}").unwrap();
    std::fs::write(store.join("notes.json"), &bytes).unwrap();
    std::os::unix::fs::symlink(store.join(good), store.join("tracker-tracker-backup-20250102T000000Z.json")).unwrap();

    // Only regular files with backup names are offered: not the symlink, not notes.json.
    let found: Vec<Value> = srv.get("backup/history/found").await.unwrap();
    let names: Vec<&str> = found.iter().map(|f| f["file_name"].as_str().unwrap()).collect();
    assert_eq!(names, vec![damaged, good]);
    assert_eq!(found[1]["size_bytes"], bytes.len() as i64);

    // A damaged file is refused and not listed; a name outside the rules is refused too.
    let e = srv.call::<Value>("backup/history/import", json!({"file_name": damaged})).await.unwrap_err();
    assert_eq!(e.status, 400);
    assert!(e.message.contains("not a readable backup"), "{}", e.message);
    let e = srv.call::<Value>("backup/history/import", json!({"file_name": "../notes.json"})).await.unwrap_err();
    assert!(e.message.contains("not a backup file name"), "{}", e.message);
    let e = srv.call::<Value>("backup/history/import", json!({"file_name": "tracker-tracker-backup-20250102T000000Z.json"})).await.unwrap_err();
    assert!(e.message.contains("is not a file"), "{}", e.message);
    let history: Vec<Value> = srv.get("backup/history").await.unwrap();
    assert!(history.is_empty(), "{history:?}");

    // The good one is checked whole and listed with its SHA-256.
    let entry: Value = srv.call("backup/history/import", json!({"file_name": good})).await.unwrap();
    assert_eq!(entry["trigger"], "imported");
    assert_eq!(entry["status"], "completed");
    assert_eq!(entry["sha256"], hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes)));
    assert!(entry["verify_message"].as_str().unwrap().contains("records read and checked"), "{entry}");
    let e = srv.call::<Value>("backup/history/import", json!({"file_name": good})).await.unwrap_err();
    assert!(e.message.contains("already in the history"), "{}", e.message);
    let found: Vec<Value> = srv.get("backup/history/found").await.unwrap();
    assert_eq!(found.len(), 1);

    // Restoring it from the history brings back data changed since.
    let db = raw_db(&srv.data_dir).await;
    let before: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM trackers").fetch_one(&db).await.unwrap();
    sqlx::query("DELETE FROM trackers").execute(&db).await.unwrap();
    let report: Value = srv.call("backup/history/restore", json!({"id": entry["id"], "current_password": PASSWORD, "dry_run": false})).await.unwrap();
    assert_eq!(report["dry_run"], false);
    let after: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM trackers").fetch_one(&db).await.unwrap();
    assert_eq!(after, before);
    // The symlink and the foreign file are still there.
    assert!(store.join("notes.json").exists());
    assert!(std::fs::symlink_metadata(store.join("tracker-tracker-backup-20250102T000000Z.json")).is_ok());
}

/// A multipart body that ends before its form does (the request itself is complete, its closing
/// boundary and the rest of the file are not) is the client's: 400 on "file" with a sentence,
/// never multer's own text; nothing is restored and no upload is left behind.
#[tokio::test]
async fn a_truncated_multipart_upload_is_a_400_without_the_raw_cause() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(&dir).await;
    srv.setup(PASSWORD).await;
    let (_, _, backup) = export(&srv, None).await;
    let before = digest(&srv.data_dir, &[]).await;
    let boundary = "tt-cut-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"current_password\"\r\n\r\n{PASSWORD}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.json\"\r\nContent-Type: application/json\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&backup[..backup.len() / 2]);
    let res = srv
        .client
        .post(format!("{}/api/backup/restore", srv.url))
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap();
    let e = TestServer::decode::<Value>(res).await.unwrap_err();
    assert_eq!((e.status, e.kind.as_str(), e.field.as_deref()), (400, "invalid", Some("file")), "{e:?}");
    assert!(e.message.starts_with("The upload was cut off before it was complete"), "{}", e.message);
    // multer's own words ("field \"file\" received with incomplete data", "incomplete stream").
    assert!(!e.message.contains("incomplete") && !e.message.contains("received"), "{}", e.message);
    assert_eq!(digest(&srv.data_dir, &[]).await, before, "nothing changed");
    let left: Vec<_> = std::fs::read_dir(srv.data_dir.join("uploads")).map(|d| d.flatten().collect()).unwrap_or_default();
    assert!(left.is_empty(), "upload left behind: {left:?}");
}
