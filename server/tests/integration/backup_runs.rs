//! Stored backups through the real HTTP API: "Run a scheduled backup now" (recorded as manual,
//! refused without a storage path), the history's directory, the date of an added file, and the
//! bound on pre-restore backups.

use crate::common::*;
use crate::notifications::{receiver, target};
use axum::http::StatusCode;
use serde_json::{json, Value};

async fn save_backup_settings(srv: &TestServer, storage_path: Option<&str>, retention: i64) {
    let _: Value = srv
        .call(
            "backup/settings",
            json!({"input": {"settings": {"schedule_enabled": false, "frequency": "daily", "retention_count": retention,
            "encrypt": false, "storage_path": storage_path}, "backup_password": {"value": null, "clear": false}}}),
        )
        .await
        .unwrap();
}

async fn export(srv: &TestServer) -> Vec<u8> {
    let res = srv.client.post(format!("{}/api/backup/export", srv.url)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.bytes().await.unwrap().to_vec()
}

async fn history_rows(srv: &TestServer) -> Vec<(i64, String, String, Option<String>, Option<String>)> {
    let db = raw_db(&srv.data_dir).await;
    sqlx::query_as("SELECT id, trigger_kind, status, file_name, directory FROM backup_history ORDER BY id").fetch_all(&db).await.unwrap()
}

#[tokio::test]
async fn run_now_without_a_storage_path_is_a_400_that_records_and_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(&dir).await;
    srv.setup(PASSWORD).await;
    let (base, inbox, _task) = receiver(StatusCode::OK, "ok").await;
    let _: Value = srv.call("notifications/save", target("Hook", "webhook", json!({"url": format!("{base}/hook")}))).await.unwrap();

    let e = srv.call::<Value>("backup/run-now", json!({})).await.unwrap_err();
    assert_eq!((e.status, e.kind.as_str()), (400, "invalid"), "{e:?}");
    assert_eq!(
        e.message,
        "No storage path is set, so there is nowhere to write the backup. Set “Storage path” (a directory on the server) in Settings → Backups and save, then run it again."
    );
    assert!(history_rows(&srv).await.is_empty(), "no failed run in the history");
    assert!(inbox.lock().unwrap().is_empty(), "no “Backup failed” notification");
    let overview: Value = srv.get("backup/overview").await.unwrap();
    assert!(overview["last_failure"].is_null(), "{overview}");

    // The receiver works: a run that really fails (the storage path is a file) is recorded as a
    // failed manual run and notified, with a sentence instead of the OS's words.
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, b"x").unwrap();
    let db = raw_db(&srv.data_dir).await;
    sqlx::query("UPDATE app_settings SET backup_storage_path = $1").bind(blocker.display().to_string()).execute(&db).await.unwrap();
    let e = srv.call::<Value>("backup/run-now", json!({})).await.unwrap_err();
    assert_eq!(e.status, 500);
    let reason = format!("the storage path {} exists but is not a directory: choose another path", blocker.display());
    assert_eq!(e.message, format!("The backup failed: {reason}"));
    assert!(!e.message.contains("os error"), "{}", e.message);
    let rows = history_rows(&srv).await;
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].1.as_str(), rows[0].2.as_str()), ("manual", "failed"));
    let got = inbox.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    let body = String::from_utf8_lossy(&got[0].body);
    assert!(body.contains(&format!("The backup run by hand (“Run a scheduled backup now”) failed: {reason}")), "{body}");
}

#[tokio::test]
async fn run_now_is_recorded_as_manual_with_its_directory_and_retention_counts_it() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(&dir).await;
    srv.setup(PASSWORD).await;
    app::domain::sample::fill(&srv.state).await.unwrap();
    let store = dir.path().join("store");
    save_backup_settings(&srv, Some(store.to_str().unwrap()), 2).await;
    let db = raw_db(&srv.data_dir).await;
    // A 03:00 run written before (the schedule's own trigger), then three runs by hand.
    let scheduled = app::domain::backup::run::run_scheduled_backup(&srv.state).await.unwrap().unwrap();
    let mut manual = Vec::new();
    for _ in 0..3 {
        let entry: Value = srv.call("backup/run-now", json!({})).await.unwrap();
        assert_eq!(entry["trigger"], "manual");
        assert_eq!(entry["status"], "completed");
        assert_eq!(entry["directory"], store.display().to_string());
        manual.push(entry["file_name"].as_str().unwrap().to_string());
    }
    // Retention 2 over scheduled and manual runs alike: the two last written stay.
    let rows = history_rows(&srv).await;
    let kept: Vec<(&str, &str)> = rows.iter().map(|r| (r.1.as_str(), r.3.as_deref().unwrap())).collect();
    assert_eq!(kept, vec![("manual", manual[1].as_str()), ("manual", manual[2].as_str())]);
    assert!(rows.iter().all(|r| r.4.as_deref() == Some(store.to_str().unwrap())));
    let mut files: Vec<String> = std::fs::read_dir(&store).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
    files.sort();
    // (The scheduled run's file is gone: a later run in the same second may reuse its name.)
    // Sorted both sides: within one second the names are …Z.json then …Z-2.json, which sort the
    // other way round.
    let mut want = vec![manual[1].clone(), manual[2].clone()];
    want.sort();
    assert_eq!(files, want);
    assert!(rows.iter().all(|r| r.0 != scheduled.history_id));
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM backup_history WHERE trigger_kind = 'scheduled'").fetch_one(&db).await.unwrap();
    assert_eq!(n, 0);
    // The history answer carries the directory.
    let history: Vec<Value> = srv.get("backup/history").await.unwrap();
    assert!(history.iter().all(|h| h["directory"] == store.display().to_string()), "{history:?}");
}

#[tokio::test]
async fn a_file_added_from_the_storage_directory_is_dated_by_its_header() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(&dir).await;
    srv.setup(PASSWORD).await;
    let store = dir.path().join("store");
    save_backup_settings(&srv, Some(store.to_str().unwrap()), 14).await;
    let text = String::from_utf8(export(&srv).await).unwrap();
    // Made long ago (its header says so), copied in today under another time in its name.
    let created = "2024-02-29T13:14:15Z";
    let key = "\"created_at\":\"";
    let start = text.find(key).unwrap() + key.len();
    let end = start + text[start..].find('"').unwrap();
    let text = format!("{}{created}{}", &text[..start], &text[end..]);
    let name = "tracker-tracker-backup-20250101T000000Z.json";
    std::fs::write(store.join(name), &text).unwrap();
    let entry: Value = srv.call("backup/history/import", json!({"file_name": name})).await.unwrap();
    assert_eq!(entry["created_at"], created);
    assert_eq!(entry["directory"], store.canonicalize().unwrap().display().to_string());
    let db = raw_db(&srv.data_dir).await;
    let (raw,): (String,) = sqlx::query_as("SELECT created_at FROM backup_history WHERE file_name = $1").bind(name).fetch_one(&db).await.unwrap();
    assert_eq!(raw, "2024-02-29T13:14:15.000Z", "stored to the millisecond");
}

#[tokio::test]
async fn pre_restore_backups_are_bounded_and_the_latest_undo_point_stays() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(&dir).await;
    srv.setup(PASSWORD).await;
    app::domain::sample::fill(&srv.state).await.unwrap();
    let bytes = export(&srv).await;
    // A file in the same directory that the app did not write as a pre-restore backup.
    let backups = dir.path().join("backups");
    std::fs::create_dir_all(&backups).unwrap();
    let foreign = backups.join("tracker-tracker-backup-20200101T000000Z.json");
    std::fs::write(&foreign, &bytes).unwrap();

    let mut undo_points = Vec::new();
    for _ in 0..7 {
        let form = reqwest::multipart::Form::new()
            .part("file", reqwest::multipart::Part::bytes(bytes.clone()).file_name("b.json"))
            .text("current_password", PASSWORD);
        let res = srv.client.post(format!("{}/api/backup/restore", srv.url)).multipart(form).send().await.unwrap();
        let report: Value = TestServer::decode(res).await.unwrap();
        undo_points
            .push((report["pre_restore_backup"]["id"].as_i64().unwrap(), report["pre_restore_backup"]["file_name"].as_str().unwrap().to_string()));
    }
    let rows = history_rows(&srv).await;
    let kept: Vec<(i64, String)> = rows.iter().map(|r| (r.0, r.3.clone().unwrap())).collect();
    assert_eq!(kept, undo_points[2..].to_vec(), "the newest {} remain", app::domain::backup::run::PRE_RESTORE_KEEP);
    assert!(rows.iter().all(|r| r.1 == "pre_restore" && r.2 == "completed"));
    let mut files: Vec<String> = std::fs::read_dir(&backups).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
    files.sort();
    let mut expected: Vec<String> = undo_points[2..].iter().map(|(_, n)| n.clone()).collect();
    expected.push("tracker-tracker-backup-20200101T000000Z.json".into());
    expected.sort();
    assert_eq!(files, expected, "older pre-restore files deleted, the foreign one kept");
    // The newest is the undo point of the last restore, and it still undoes it.
    let (last_id, _) = undo_points.last().unwrap().clone();
    let report: Value = srv.call("backup/history/restore", json!({"id": last_id, "current_password": PASSWORD, "dry_run": false})).await.unwrap();
    assert_eq!(report["dry_run"], false);
}

/// An empty file is called empty wherever a backup is read: an upload to restore, a file added
/// from the storage directory (the command line's `backup inspect` is in cli.rs).
#[tokio::test]
async fn an_empty_file_is_said_to_be_empty() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(&dir).await;
    srv.setup(PASSWORD).await;
    let empty =
        "The backup file is empty: it holds no data at all (perhaps a download or copy failed before it began). Choose another copy of the backup.";
    for dry_run in ["true", "false"] {
        let form = reqwest::multipart::Form::new()
            .part("file", reqwest::multipart::Part::bytes(Vec::new()).file_name("b.json"))
            .text("current_password", PASSWORD)
            .text("dry_run", dry_run);
        let res = srv.client.post(format!("{}/api/backup/restore", srv.url)).multipart(form).send().await.unwrap();
        let e = TestServer::decode::<Value>(res).await.unwrap_err();
        assert_eq!((e.status, e.message.as_str()), (400, empty));
    }
    let store = dir.path().join("store");
    save_backup_settings(&srv, Some(store.to_str().unwrap()), 14).await;
    let name = "tracker-tracker-backup-20250101T000000Z.json";
    std::fs::write(store.join(name), b"").unwrap();
    let e = srv.call::<Value>("backup/history/import", json!({"file_name": name})).await.unwrap_err();
    assert_eq!(e.status, 400);
    assert_eq!(e.message, format!("{name} was not added: it is not a readable backup ({empty})."));
    assert!(history_rows(&srv).await.is_empty());
}
