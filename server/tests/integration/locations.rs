//! Backup locations through the real HTTP API, against the real S3 (moto) and WebDAV (wsgidav)
//! servers scripts/services.sh starts: the full path (run, upload, verification there, listing,
//! retention beside foreign objects, restore from the location onto a fresh instance with the
//! location and its credentials carried), and the faults (a server that goes away mid-upload,
//! wrong credentials, a missing bucket, TLS to a plain port, a damaged copy).
//!
//! Without the services' variables these tests print a line and pass, unless CI is set.

use crate::common::*;
use crate::notifications::{receiver, target};
use app::domain::backup::locations::remote::Remote;
use app::domain::config::RemoteSettings;
use app::model::locations::{LocationTarget, S3Target};
use axum::http::StatusCode;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

fn var(name: &str) -> Option<String> {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => Some(v),
        _ if std::env::var_os("CI").is_some() => panic!("{name} is not set and CI is: start the test services (scripts/services.sh)"),
        _ => {
            println!("skipped: {name} is not set (run the tests through scripts/test.sh, or the one command through scripts/services.sh)");
            None
        }
    }
}

fn unique() -> String {
    format!("it-{:012x}", rand::random::<u64>() >> 16)
}

struct S3 {
    endpoint: String,
    region: String,
    bucket: String,
    key: String,
    secret: String,
}

fn s3() -> Option<S3> {
    Some(S3 {
        endpoint: var("TT_TEST_S3_ENDPOINT")?,
        region: var("TT_TEST_S3_REGION")?,
        bucket: var("TT_TEST_S3_BUCKET")?,
        key: var("TT_TEST_S3_ACCESS_KEY_ID")?,
        secret: var("TT_TEST_S3_SECRET_KEY")?,
    })
}

impl S3 {
    fn target(&self, endpoint: &str, bucket: &str, prefix: &str) -> Value {
        json!({"kind": "s3", "endpoint": endpoint, "region": self.region, "bucket": bucket, "prefix": prefix,
               "access_key_id": self.key, "path_style": true})
    }

    /// A client of the same place, for the test's own reads and writes there.
    fn remote(&self, prefix: &str) -> Remote {
        let t = LocationTarget::S3(S3Target {
            endpoint: self.endpoint.clone(),
            region: self.region.clone(),
            bucket: self.bucket.clone(),
            prefix: prefix.into(),
            access_key_id: self.key.clone(),
            path_style: true,
        });
        Remote::open(&t, Some(&self.secret), &RemoteSettings::QUICK).unwrap()
    }
}

fn location(name: &str, target: Value, secret: &str, require_encryption: bool, retention: Value) -> Value {
    json!({"input": {"id": null, "settings": {"name": name, "enabled": true, "require_encryption": require_encryption,
        "retention": retention, "target": target}, "secret": {"value": secret, "clear": false}}})
}

async fn set_up_backups(srv: &TestServer, dir: &std::path::Path, backup_password: Option<&str>) {
    let storage = dir.join("stored-backups");
    let _: Value = srv
        .call(
            "backup/settings",
            json!({"input": {"settings": {"schedule_enabled": false, "frequency": "daily", "retention_count": 14, "encrypt": false,
                "storage_path": storage.display().to_string()}, "backup_password": {"value": backup_password, "clear": false}}}),
        )
        .await
        .unwrap();
}

fn names(remote: &Remote, objects: &[app::domain::backup::locations::remote::ObjectMeta]) -> Vec<String> {
    let mut v: Vec<String> = objects.iter().filter_map(|m| remote.file_name_of(m.location.as_ref()).map(str::to_string)).collect();
    v.sort();
    v
}

#[tokio::test]
async fn full_path_run_upload_verify_list_retention_and_restore_on_a_fresh_instance() {
    let Some(s3) = s3() else { return };
    let prefix = format!("tests/{}", unique());
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(&dir).await;
    srv.setup(PASSWORD).await;
    set_up_backups(&srv, dir.path(), Some("the backup password")).await;
    // Foreign objects under the prefix: another app's file and another instance's backup name.
    let remote = s3.remote(&prefix);
    remote.put_bytes(&remote.key("tracker-tracker-backup-20200101T000000Z.ttbak"), b"not ours".to_vec()).await.unwrap();
    remote.put_bytes(&remote.key("README.txt"), b"someone else's".to_vec()).await.unwrap();

    let body = location("Offsite S3", s3.target(&s3.endpoint, &s3.bucket, &prefix), &s3.secret, true, json!({"mode": "keep_last", "count": 2}));
    let tested: Value = srv.call("backup/locations/test", body.clone()).await.unwrap();
    assert_eq!(tested["ok"], true, "{tested}");
    let saved: Value = srv.call("backup/locations/save", body).await.unwrap();
    let id = saved["id"].as_i64().unwrap();
    assert_eq!(saved["has_secret"], true);
    let listed: Value = srv.get("backup/locations").await.unwrap();
    assert!(!listed.to_string().contains(&s3.secret), "the secret is never sent back: {listed}");
    let db = raw_db(&srv.data_dir).await;
    let (sealed,): (String,) = sqlx::query_as("SELECT secret_enc FROM backup_locations WHERE id = $1").bind(id).fetch_one(&db).await.unwrap();
    assert!(sealed.starts_with("tt1:") && !sealed.contains(&s3.secret));

    // Three runs: each copied (encrypted: the location requires it), verified there; retention keeps two.
    let mut entries = Vec::new();
    for _ in 0..3 {
        let e: Value = srv.call("backup/run-now", json!({})).await.unwrap();
        assert_eq!(e["encrypted"], false, "the local backup stays plain");
        let copy = &e["copies"][0];
        assert_eq!(
            (copy["status"].as_str(), copy["encrypted"].as_bool(), copy["location_name"].as_str()),
            (Some("verified"), Some(true), Some("Offsite S3")),
            "{e}"
        );
        entries.push(e);
    }
    let there = names(&remote, &remote.list().await.unwrap());
    let ours: Vec<String> = entries[1..].iter().map(|e| e["file_name"].as_str().unwrap().replace(".json", ".ttbak")).collect();
    let mut expected = vec!["README.txt".to_string(), "tracker-tracker-backup-20200101T000000Z.ttbak".to_string()];
    expected.extend(ours.iter().cloned());
    expected.sort();
    assert_eq!(there, expected, "the oldest of ours was pruned, the foreign objects are untouched");
    let history: Value = srv.get("backup/history").await.unwrap();
    let first = history.as_array().unwrap().iter().find(|h| h["id"] == entries[0]["id"]).unwrap();
    assert_eq!(first["copies"], json!([]), "its pruned copy is no longer listed");

    // What the location holds, with what is known about each.
    let backups: Value = srv.get(&format!("backup/locations/backups?id={id}")).await.unwrap();
    let backups = backups.as_array().unwrap().clone();
    assert_eq!(backups.len(), 3, "ours and the foreign backup, not the README: {backups:?}");
    assert_eq!(backups[0]["file_name"], ours[1].as_str());
    assert_eq!((backups[0]["kind"].as_str(), backups[0]["described_by"].as_str()), (Some("encrypted"), Some("record")));
    assert_eq!(backups[0]["instance_url"], "https://tt.example");
    let foreign = backups.iter().find(|b| b["file_name"] == "tracker-tracker-backup-20200101T000000Z.ttbak").unwrap();
    assert_eq!((foreign["kind"].as_str(), foreign["described_by"].as_str(), &foreign["copy"]), (Some("unreadable"), Some("name"), &Value::Null));

    // A preview of a stricter policy deletes nothing.
    let preview: Value =
        srv.call("backup/locations/retention-preview", json!({"id": id, "policy": {"mode": "keep_last", "count": 1}})).await.unwrap();
    assert_eq!((preview["keep"].as_array().unwrap().len(), preview["delete"].as_array().unwrap().len()), (1, 1), "{preview}");
    assert_eq!(names(&remote, &remote.list().await.unwrap()).len(), 4);

    // A fresh instance on a new machine, with another login password: add the same bucket, see
    // the backups, restore the newest.
    let dir2 = tempfile::tempdir().unwrap();
    let fresh = TestServer::start(&dir2).await;
    fresh.setup("another password 456").await;
    let body = location("Found again", s3.target(&s3.endpoint, &s3.bucket, &prefix), &s3.secret, true, json!({"mode": "keep_last", "count": 14}));
    let added: Value = fresh.call("backup/locations/save", body).await.unwrap();
    let fresh_id = added["id"].as_i64().unwrap();
    let seen: Value = fresh.get(&format!("backup/locations/backups?id={fresh_id}")).await.unwrap();
    let newest = &seen[0];
    assert_eq!(newest["file_name"], ours[1].as_str());
    assert_eq!(
        (newest["kind"].as_str(), newest["described_by"].as_str()),
        (Some("encrypted"), Some("name")),
        "an encrypted header is not readable here: {newest}"
    );
    let restore = |dry_run: bool, backup_password: &str| {
        json!({"location_id": fresh_id, "key": newest["key"], "current_password": "another password 456", "backup_password": backup_password,
               "source_password": PASSWORD, "dry_run": dry_run})
    };
    let e = fresh.call::<Value>("backup/locations/restore", restore(true, "not the password")).await.unwrap_err();
    assert_eq!((e.status, e.field.as_deref()), (400, Some("backup_password")), "{e:?}");
    let report: Value = fresh.call("backup/locations/restore", restore(true, "the backup password")).await.unwrap();
    assert_eq!(report["dry_run"], true);
    assert!(report["settings_changes"].as_array().unwrap().iter().any(|c| c["key"] == "backup.locations"), "{report}");
    let report: Value = fresh.call("backup/locations/restore", restore(false, "the backup password")).await.unwrap();
    assert_eq!(report["dry_run"], false);
    assert!(report["pre_restore_backup"]["id"].is_i64());
    assert_eq!(report["secrets_cleared"], 0, "{report}");
    // The location came back with its credentials, sealed again for this instance.
    let back: Value = fresh.get("backup/locations").await.unwrap();
    assert_eq!(back.as_array().unwrap().len(), 1, "{back}");
    assert_eq!(
        (back[0]["settings"]["name"].as_str(), back[0]["has_secret"].as_bool(), back[0]["settings"]["enabled"].as_bool()),
        (Some("Offsite S3"), Some(true), Some(true))
    );
    let fresh_db = raw_db(&fresh.data_dir).await;
    let (resealed,): (String,) = sqlx::query_as("SELECT secret_enc FROM backup_locations").fetch_one(&fresh_db).await.unwrap();
    assert_ne!(resealed, sealed, "re-encrypted under the new instance's key");
    let tested: Value = fresh
        .call(
            "backup/locations/test",
            json!({"input": {"id": back[0]["id"], "settings": back[0]["settings"], "secret": {"value": null, "clear": false}}}),
        )
        .await
        .unwrap();
    assert_eq!(tested["ok"], true, "the carried secret works: {tested}");
    // The downloaded file is gone from the server.
    assert_eq!(std::fs::read_dir(fresh.data_dir.join("uploads")).map(|d| d.count()).unwrap_or(0), 0);
}

/// A TCP proxy in front of a server that can "stop" it: after `cut_after` bytes towards the
/// server it closes every connection and then drops each new one at once, until `resume`.
struct CutProxy {
    addr: std::net::SocketAddr,
    limit: Arc<AtomicU64>,
    down: Arc<AtomicBool>,
    cut: Arc<tokio::sync::Notify>,
    _task: tokio::task::JoinHandle<()>,
}

impl CutProxy {
    async fn start(upstream: std::net::SocketAddr) -> CutProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let limit = Arc::new(AtomicU64::new(u64::MAX));
        let sent = Arc::new(AtomicU64::new(0));
        let down = Arc::new(AtomicBool::new(false));
        let cut = Arc::new(tokio::sync::Notify::new());
        let (l, s, d, c) = (limit.clone(), sent, down.clone(), cut.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else { return };
                if d.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let (l, s, d, c) = (l.clone(), s.clone(), d.clone(), c.clone());
                tokio::spawn(async move {
                    let Ok(server) = tokio::net::TcpStream::connect(upstream).await else { return };
                    let (mut cr, mut cw) = client.into_split();
                    let (mut sr, mut sw) = server.into_split();
                    let up = async {
                        use tokio::io::{AsyncReadExt, AsyncWriteExt};
                        let mut buf = vec![0u8; 16 * 1024];
                        loop {
                            let n = match cr.read(&mut buf).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => n,
                            };
                            let total = s.fetch_add(n as u64, Ordering::SeqCst) + n as u64;
                            let limit = l.load(Ordering::SeqCst);
                            if total > limit {
                                // Forward only up to the limit, then the server is gone.
                                let keep = n.saturating_sub((total - limit) as usize);
                                let _ = sw.write_all(&buf[..keep]).await;
                                d.store(true, Ordering::SeqCst);
                                c.notify_waiters();
                                return;
                            }
                            if sw.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                        }
                    };
                    let down_stream = async {
                        let _ = tokio::io::copy(&mut sr, &mut cw).await;
                    };
                    tokio::select! {
                        _ = up => {}
                        _ = down_stream => {}
                        _ = c.notified() => {}
                    }
                });
            }
        });
        CutProxy { addr, limit, down, cut, _task: task }
    }

    fn cut_after(&self, bytes: u64) {
        self.limit.store(bytes, Ordering::SeqCst);
    }

    fn is_down(&self) -> bool {
        self.down.load(Ordering::SeqCst)
    }

    fn resume(&self) {
        self.limit.store(u64::MAX, Ordering::SeqCst);
        self.down.store(false, Ordering::SeqCst);
        self.cut.notify_waiters();
    }
}

#[tokio::test]
async fn a_location_that_stops_mid_upload_fails_alone_is_notified_once_and_the_next_run_succeeds() {
    let Some(s3) = s3() else { return };
    let upstream: std::net::SocketAddr = s3.endpoint.trim_start_matches("http://").parse().unwrap();
    let proxy = CutProxy::start(upstream).await;
    let prefix = format!("tests/{}", unique());
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(&dir).await;
    srv.setup(PASSWORD).await;
    set_up_backups(&srv, dir.path(), None).await;
    let (base, inbox, _task) = receiver(StatusCode::OK, "ok").await;
    let _: Value = srv.call("notifications/save", target("Hook", "webhook", json!({"url": format!("{base}/hook")}))).await.unwrap();
    let endpoint = format!("http://{}", proxy.addr);
    let body = location("Flaky S3", s3.target(&endpoint, &s3.bucket, &prefix), &s3.secret, false, json!({"mode": "keep_last", "count": 14}));
    let saved: Value = srv.call("backup/locations/save", body).await.unwrap();
    let id = saved["id"].as_i64().unwrap();

    // The server goes away after the request's headers and part of the backup.
    proxy.cut_after(1500);
    let e: Value = srv.call("backup/run-now", json!({})).await.unwrap();
    assert!(proxy.is_down(), "the upload was cut off");
    assert_eq!(e["status"], "completed", "the local backup is made: {e}");
    let local = std::path::Path::new(e["directory"].as_str().unwrap()).join(e["file_name"].as_str().unwrap());
    assert!(local.is_file(), "and kept");
    assert!(e["size_bytes"].as_i64().unwrap() > 1500, "the backup is larger than what got through");
    let copy = &e["copies"][0];
    assert_eq!((copy["status"].as_str(), copy["attempts"].as_i64()), (Some("failed"), Some(3)), "{copy}");
    let why = copy["error"].as_str().unwrap();
    assert!(why.starts_with(&format!("The connection to {} was cut off before the request finished", proxy.addr)), "{why}");
    assert!(why.ends_with("(after 3 attempts)"), "{why}");
    let sent = inbox.lock().unwrap().clone();
    assert_eq!(sent.len(), 1, "one “backup failed” notification");
    let text = String::from_utf8_lossy(&sent[0].body).to_string();
    assert!(text.contains("backup location “Flaky S3” failed") && text.contains(e["file_name"].as_str().unwrap()), "{text}");

    // Still down: failed again, no second notification in the same streak.
    let e2: Value = srv.call("backup/run-now", json!({})).await.unwrap();
    assert_eq!(e2["copies"][0]["status"], "failed");
    assert_eq!(inbox.lock().unwrap().len(), 1);
    let db = raw_db(&srv.data_dir).await;
    let (streak,): (i64,) = sqlx::query_as("SELECT failure_streak FROM backup_locations WHERE id = $1").bind(id).fetch_one(&db).await.unwrap();
    assert_eq!(streak, 2);

    // Back up: the next run succeeds and ends the streak; nothing partial was left there.
    proxy.resume();
    let e3: Value = srv.call("backup/run-now", json!({})).await.unwrap();
    assert_eq!(e3["copies"][0]["status"], "verified", "{e3}");
    let (streak, notified): (i64, i64) =
        sqlx::query_as("SELECT failure_streak, failure_notified FROM backup_locations WHERE id = $1").bind(id).fetch_one(&db).await.unwrap();
    assert_eq!((streak, notified), (0, 0));
    let remote = s3.remote(&prefix);
    assert_eq!(names(&remote, &remote.list().await.unwrap()), vec![e3["file_name"].as_str().unwrap().to_string()]);
}

async fn test_answer(srv: &TestServer, target: Value, secret: &str) -> Value {
    srv.call("backup/locations/test", location("Test", target, secret, true, json!({"mode": "keep_last", "count": 14}))).await.unwrap()
}

#[tokio::test]
async fn wrong_credentials_a_missing_bucket_and_tls_to_a_plain_port_are_told_clearly() {
    let Some(s3) = s3() else { return };
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(&dir).await;
    srv.setup(PASSWORD).await;
    let prefix = format!("tests/{}", unique());
    let place = format!("the bucket {} at {}", s3.bucket, s3.endpoint);

    let t = test_answer(&srv, s3.target(&s3.endpoint, &s3.bucket, &prefix), "wrong-secret").await;
    assert_eq!((t["ok"].as_bool(), t["problem"].as_str()), (Some(false), Some("credentials")), "{t}");
    assert_eq!(t["message"], format!("{place} refused the secret key: it does not match the access key id (SignatureDoesNotMatch). Enter it again."));
    assert!(!t.to_string().contains("wrong-secret"), "the secret typed is never echoed");

    let t = test_answer(&srv, s3.target(&s3.endpoint, "no-such-bucket", &prefix), &s3.secret).await;
    assert_eq!(t["problem"], "missing", "{t}");
    assert_eq!(t["message"], format!("The bucket no-such-bucket does not exist at {}: create it, or check its name and the endpoint.", s3.endpoint));
    assert_eq!(
        (t["steps"][0]["step"].as_str(), t["steps"][0]["ok"].as_bool()),
        (Some("List the backups there"), Some(false)),
        "S3 says so at once: {t}"
    );

    let port = s3.endpoint.rsplit(':').next().unwrap();
    let t = test_answer(&srv, s3.target(&format!("https://127.0.0.1:{port}"), &s3.bucket, &prefix), &s3.secret).await;
    assert_eq!(t["problem"], "tls", "{t}");
    assert_eq!(
        t["message"],
        format!("The https connection to 127.0.0.1:{port} failed: the TLS handshake failed. If the server serves plain HTTP on this port, use an http:// address; otherwise check its TLS set-up.")
    );

    // The same in a run: the location fails with the sentence, the local backup is made.
    set_up_backups(&srv, dir.path(), None).await;
    let _: Value = srv
        .call(
            "backup/locations/save",
            location("Wrong key", s3.target(&s3.endpoint, &s3.bucket, &prefix), "wrong-secret", false, json!({"mode": "keep_last", "count": 3})),
        )
        .await
        .unwrap();
    let e: Value = srv.call("backup/run-now", json!({})).await.unwrap();
    assert_eq!(e["status"], "completed");
    assert_eq!(e["copies"][0]["status"], "failed");
    assert_eq!(e["copies"][0]["attempts"], 0, "a wrong setting is not retried: the check for a free name fails, so nothing is sent");
    assert!(e["copies"][0]["error"].as_str().unwrap().contains("(SignatureDoesNotMatch)"), "{e}");

    // WebDAV: a wrong password and a missing folder.
    let (Some(root), Some(user), Some(password)) = (var("TT_TEST_WEBDAV_URL"), var("TT_TEST_WEBDAV_USER"), var("TT_TEST_WEBDAV_PASSWORD")) else {
        return;
    };
    let dav = |url: String| json!({"kind": "webdav", "url": url, "username": user});
    let t = test_answer(&srv, dav(root.clone()), "not the password").await;
    assert_eq!(t["problem"], "credentials", "{t}");
    let missing = format!("{root}/{}", unique());
    let t = test_answer(&srv, dav(missing.clone()), &password).await;
    assert_eq!(t["problem"], "missing", "{t}");
    assert_eq!(t["message"], format!("The folder {missing} does not exist on the WebDAV server: create it, or check the URL."));
}

#[tokio::test]
async fn a_damaged_copy_fails_its_check_and_says_so_and_webdav_runs_plain_when_allowed() {
    let (Some(root), Some(user), Some(password)) = (var("TT_TEST_WEBDAV_URL"), var("TT_TEST_WEBDAV_USER"), var("TT_TEST_WEBDAV_PASSWORD")) else {
        return;
    };
    let folder = format!("{root}/{}", unique());
    let made = reqwest::Client::new()
        .request(reqwest::Method::from_bytes(b"MKCOL").unwrap(), &folder)
        .basic_auth(&user, Some(&password))
        .send()
        .await
        .unwrap();
    assert!(made.status().is_success());
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(&dir).await;
    srv.setup(PASSWORD).await;
    set_up_backups(&srv, dir.path(), None).await;
    let body =
        location("NAS", json!({"kind": "webdav", "url": folder, "username": user}), &password, false, json!({"mode": "keep_last", "count": 5}));
    let _: Value = srv.call("backup/locations/save", body).await.unwrap();
    let e: Value = srv.call("backup/run-now", json!({})).await.unwrap();
    let copy = e["copies"][0].clone();
    assert_eq!((copy["status"].as_str(), copy["encrypted"].as_bool()), (Some("verified"), Some(false)), "{e}");
    assert_eq!(copy["sha256"], e["sha256"], "the local file itself went");
    let url = format!("{folder}/{}", e["file_name"].as_str().unwrap());
    let fetched = reqwest::Client::new().get(&url).basic_auth(&user, Some(&password)).send().await.unwrap().bytes().await.unwrap();
    let local = std::fs::read(std::path::Path::new(e["directory"].as_str().unwrap()).join(e["file_name"].as_str().unwrap())).unwrap();
    assert_eq!(fetched.to_vec(), local, "the exact bytes");

    // Someone damages it there: checking again fails and says so.
    let put = reqwest::Client::new().put(&url).basic_auth(&user, Some(&password)).body(b"{\"header\":{}}".to_vec()).send().await.unwrap();
    assert!(put.status().is_success());
    let checked: Value = srv.call("backup/locations/copies/verify", json!({"id": copy["id"]})).await.unwrap();
    assert_eq!(checked["status"], "failed");
    let why = checked["error"].as_str().unwrap();
    assert!(
        why.starts_with(&format!("Checked again: The copy in the folder {folder} differs from the local file: read back, its SHA-256 is ")),
        "{why}"
    );
    assert!(why.contains(&format!("(13 bytes), the local file's is {}", e["sha256"].as_str().unwrap())), "{why}");
    let history: Value = srv.get("backup/history").await.unwrap();
    assert_eq!(history[0]["copies"][0]["status"], "failed", "the History shows it");
}
