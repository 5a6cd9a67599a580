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

/// A fresh instance, logged in, writing plain backups to a folder in `dir`.
async fn backing_up(dir: &tempfile::TempDir) -> TestServer {
    let srv = TestServer::start(dir).await;
    srv.setup(PASSWORD).await;
    set_up_backups(&srv, dir.path(), None).await;
    srv
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
    let proxy = CutProxy::start(s3.endpoint.trim_start_matches("http://").parse().unwrap()).await;
    let prefix = format!("tests/{}", unique());
    let dir = tempfile::tempdir().unwrap();
    let srv = backing_up(&dir).await;
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
    let srv = backing_up(&dir).await;
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

/// What a loopback server received: method, path, headers, body.
type Requests = Arc<std::sync::Mutex<Vec<(String, String, axum::http::HeaderMap, Vec<u8>)>>>;

/// A server on 127.0.0.1 that records every request and answers each with `status`.
async fn recorder(status: StatusCode) -> (String, Requests, tokio::task::JoinHandle<()>) {
    let seen: Requests = Arc::default();
    let record = {
        let seen = seen.clone();
        move |method: axum::http::Method, uri: axum::http::Uri, headers: axum::http::HeaderMap, body: axum::body::Bytes| {
            let seen = seen.clone();
            async move {
                seen.lock().unwrap().push((method.to_string(), uri.path().to_string(), headers, body.to_vec()));
                status
            }
        }
    };
    let app = axum::Router::new().fallback(record);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), seen, task)
}

fn carries(requests: &Requests, needle: &str) -> bool {
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("me:{needle}"));
    requests.lock().unwrap().iter().any(|(_, path, headers, body)| {
        let text = format!("{path} {headers:?} {}", String::from_utf8_lossy(body));
        text.contains(needle) || text.contains(&basic)
    })
}

#[tokio::test]
async fn a_location_moved_to_another_server_never_takes_the_stored_secret_there() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(&dir).await;
    srv.setup(PASSWORD).await;
    let (home, home_seen, _a) = recorder(StatusCode::UNAUTHORIZED).await;
    let (elsewhere, elsewhere_seen, _b) = recorder(StatusCode::UNAUTHORIZED).await;
    const OLD: &str = "the-stored-password-1";
    let dav = |url: String| json!({"kind": "webdav", "url": url, "username": "me"});
    let saved: Value = srv
        .call("backup/locations/save", location("NAS", dav(format!("{home}/dav/tt")), OLD, false, json!({"mode": "keep_last", "count": 5})))
        .await
        .unwrap();
    let id = saved["id"].as_i64().unwrap();
    let db = raw_db(&srv.data_dir).await;
    let row = || {
        let db = db.clone();
        async move {
            sqlx::query_as::<_, (String, String, Option<String>, String)>(
                "SELECT name, target, secret_enc, updated_at FROM backup_locations WHERE id = $1",
            )
            .bind(id)
            .fetch_one(&db)
            .await
            .unwrap()
        }
    };
    let before = row().await;
    let edited = |url: String, secret: Option<&str>| {
        json!({"input": {"id": id, "settings": {"name": "Moved", "enabled": true, "require_encryption": false,
            "retention": {"mode": "keep_last", "count": 5}, "target": dav(url)}, "secret": {"value": secret, "clear": false}}})
    };

    // The folder URL points to another server and the password is left empty: refused, for the
    // test and the save alike, and nothing reaches that server or changes here.
    for endpoint in ["backup/locations/test", "backup/locations/save"] {
        let e = srv.call::<Value>(endpoint, edited(format!("{elsewhere}/dav/tt"), None)).await.unwrap_err();
        assert_eq!((e.status, e.field.as_deref()), (400, Some("password")), "{endpoint}: {e:?}");
        assert_eq!(
            e.message,
            "Enter the password again: the stored one is only sent to the server it was saved for, and the folder URL now points to another server."
        );
    }
    assert!(elsewhere_seen.lock().unwrap().is_empty(), "no request at all went to the other server");
    assert_eq!(row().await, before, "the raw row is unchanged");

    // Another folder on the same server: the stored password is used there (and only there).
    let t: Value = srv.call("backup/locations/test", edited(format!("{home}/other"), None)).await.unwrap();
    assert_eq!((t["ok"].as_bool(), t["problem"].as_str()), (Some(false), Some("credentials")), "{t}");
    assert!(carries(&home_seen, OLD), "the stored password went to its own server");

    // Typed again for the other server: that one gets the new password, never the stored one.
    let t: Value = srv.call("backup/locations/test", edited(format!("{elsewhere}/dav/tt"), Some("a-new-password-2"))).await.unwrap();
    assert_eq!(t["problem"], "credentials", "{t}");
    assert!(!elsewhere_seen.lock().unwrap().is_empty());
    assert!(carries(&elsewhere_seen, "a-new-password-2"));
    assert!(!carries(&elsewhere_seen, OLD), "no request to the other server carried the stored password");
    assert!(!t.to_string().contains("a-new-password-2"));

    // S3: another endpoint, or another bucket, with the secret key left empty is refused the same way.
    let s3_target = |endpoint: &str, bucket: &str| {
        json!({"kind": "s3", "endpoint": endpoint, "region": "us-east-1", "bucket": bucket, "prefix": "tt",
               "access_key_id": "AKIAEXAMPLE", "path_style": true})
    };
    let saved: Value = srv
        .call("backup/locations/save", location("S3", s3_target(&home, "tt-bucket"), OLD, true, json!({"mode": "keep_last", "count": 5})))
        .await
        .unwrap();
    for (endpoint, bucket) in [(elsewhere.as_str(), "tt-bucket"), (home.as_str(), "other-bucket")] {
        let body = json!({"input": {"id": saved["id"], "settings": {"name": "S3", "enabled": true, "require_encryption": true,
            "retention": {"mode": "keep_last", "count": 5}, "target": s3_target(endpoint, bucket)}, "secret": {"value": null, "clear": false}}});
        let e = srv.call::<Value>("backup/locations/test", body).await.unwrap_err();
        assert_eq!((e.status, e.field.as_deref()), (400, Some("secret_key")), "{e:?}");
    }
    assert!(elsewhere_seen
        .lock()
        .unwrap()
        .iter()
        .all(|(_, _, h, _)| h.get("authorization").is_none_or(|a| !a.to_str().unwrap_or("").contains("AKIAEXAMPLE"))));
}

/// `chattr +i` on a folder (refused even to root), undone when dropped. Where it cannot be made
/// (not root, a filesystem without immutable files) the test is skipped, except under CI,
/// where a skip would pass silently: there it fails.
struct Immutable(std::path::PathBuf);

impl Immutable {
    fn set(dir: &std::path::Path) -> Option<Immutable> {
        let done = std::process::Command::new("chattr").arg("+i").arg(dir).status().is_ok_and(|s| s.success());
        // Made, and really refusing a new file (chattr may succeed where the flag does nothing).
        let holds = done && std::fs::File::create(dir.join(".probe")).is_err();
        if done && !holds {
            let _ = std::process::Command::new("chattr").arg("-i").arg(dir).status();
            let _ = std::fs::remove_file(dir.join(".probe"));
        }
        if !holds {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set, but `chattr +i` cannot make {} refuse new files (run as root on ext4, xfs or btrfs)",
                dir.display()
            );
            println!("skipped: chattr +i does not work here");
        }
        holds.then(|| Immutable(dir.to_path_buf()))
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = std::process::Command::new("chattr").arg("-i").arg(&self.0).status();
    }
}

#[tokio::test]
async fn a_fault_of_this_servers_disk_while_restoring_from_a_location_is_a_500_not_the_locations() {
    let Some(s3) = s3() else { return };
    let prefix = format!("tests/{}", unique());
    let dir = tempfile::tempdir().unwrap();
    let srv = backing_up(&dir).await;
    let body = location("S3", s3.target(&s3.endpoint, &s3.bucket, &prefix), &s3.secret, false, json!({"mode": "keep_last", "count": 5}));
    let saved: Value = srv.call("backup/locations/save", body).await.unwrap();
    let e: Value = srv.call("backup/run-now", json!({})).await.unwrap();
    assert_eq!(e["copies"][0]["status"], "verified", "{e}");
    let key = e["copies"][0]["remote_key"].clone();
    // The download's folder on this server refuses new files.
    let uploads = srv.data_dir.join("uploads");
    std::fs::create_dir_all(&uploads).unwrap();
    let Some(_guard) = Immutable::set(&uploads) else { return };
    let restore = json!({"location_id": saved["id"], "key": key, "current_password": PASSWORD, "backup_password": null,
                         "source_password": null, "dry_run": true});
    let err = srv.call::<Value>("backup/locations/restore", restore.clone()).await.unwrap_err();
    assert_eq!(err.status, 500, "{err:?}");
    assert!(err.message.contains("on this server's disk") && err.message.contains("(reference "), "{err:?}");
    for remote_words in ["bucket", "S3", "connection", "credentials", s3.endpoint.as_str()] {
        assert!(!err.message.contains(remote_words), "names no remote problem: {err:?}");
    }
    // The location is fine: once the disk takes files again, the same restore works.
    drop(_guard);
    let report: Value = srv.call("backup/locations/restore", restore).await.unwrap();
    assert_eq!(report["dry_run"], true);
}

#[tokio::test]
async fn checking_a_copy_again_while_the_location_is_unreachable_keeps_its_record_and_pin() {
    let Some(s3) = s3() else { return };
    let proxy = CutProxy::start(s3.endpoint.trim_start_matches("http://").parse().unwrap()).await;
    let prefix = format!("tests/{}", unique());
    let dir = tempfile::tempdir().unwrap();
    let srv = backing_up(&dir).await;
    let endpoint = format!("http://{}", proxy.addr);
    let body = location("S3", s3.target(&endpoint, &s3.bucket, &prefix), &s3.secret, false, json!({"mode": "keep_last", "count": 5}));
    let _: Value = srv.call("backup/locations/save", body).await.unwrap();
    let e: Value = srv.call("backup/run-now", json!({})).await.unwrap();
    let copy = e["copies"][0].clone();
    assert_eq!(copy["status"], "verified", "{e}");
    let pinned: Value = srv.call("backup/locations/copies/pin", json!({"id": copy["id"], "pinned": true})).await.unwrap();
    assert_eq!(pinned["pinned"], true);
    let db = raw_db(&srv.data_dir).await;
    let row = || {
        let db = db.clone();
        let id = copy["id"].as_i64().unwrap();
        async move {
            sqlx::query_as::<_, (String, i64, Option<String>, String)>("SELECT status, pinned, error, updated_at FROM backup_copies WHERE id = $1")
                .bind(id)
                .fetch_one(&db)
                .await
                .unwrap()
        }
    };
    let before = row().await;

    // The location goes away: the check says why, and the copy's record and pin stay as they were.
    proxy.cut_after(0);
    let err = srv.call::<Value>("backup/locations/copies/verify", json!({"id": copy["id"]})).await.unwrap_err();
    assert!(proxy.is_down());
    assert_eq!(err.status, 502, "{err:?}");
    assert!(err.message.contains(&proxy.addr.to_string()), "says which server could not be reached: {err:?}");
    assert_eq!(row().await, before);
    let history: Value = srv.get("backup/history").await.unwrap();
    let listed = history.as_array().unwrap().iter().find(|h| h["id"] == e["id"]).unwrap();
    assert_eq!((listed["copies"][0]["status"].as_str(), listed["copies"][0]["pinned"].as_bool()), (Some("verified"), Some(true)));

    // Back: checked, still verified and pinned.
    proxy.resume();
    let checked: Value = srv.call("backup/locations/copies/verify", json!({"id": copy["id"]})).await.unwrap();
    assert_eq!((checked["status"].as_str(), checked["pinned"].as_bool()), (Some("verified"), Some(true)), "{checked}");
}

/// A proxy in front of the WebDAV server that plays another instance: just before the first PUT
/// reaches the server, it puts an object of its own at the same name. Returns (base, PUT answers).
async fn racing_webdav_proxy(upstream: String) -> (String, Arc<std::sync::Mutex<Vec<(String, u16)>>>, tokio::task::JoinHandle<()>) {
    let puts: Arc<std::sync::Mutex<Vec<(String, u16)>>> = Arc::default();
    let raced = Arc::new(AtomicBool::new(false));
    let client = reqwest::Client::new();
    let upstream_base = {
        let u = reqwest::Url::parse(&upstream).unwrap();
        format!("{}://{}", u.scheme(), u.authority())
    };
    let handler = {
        let puts = puts.clone();
        move |method: axum::http::Method, uri: axum::http::Uri, headers: axum::http::HeaderMap, body: axum::body::Bytes| {
            let (puts, raced, client, base) = (puts.clone(), raced.clone(), client.clone(), upstream_base.clone());
            async move {
                let url = format!("{base}{}", uri.path_and_query().map(|p| p.as_str()).unwrap_or("/"));
                let method = reqwest::Method::from_bytes(method.as_str().as_bytes()).unwrap();
                let mut forward = reqwest::header::HeaderMap::new();
                for (k, v) in &headers {
                    if k != "host" && k != "content-length" {
                        forward.insert(
                            reqwest::header::HeaderName::from_bytes(k.as_str().as_bytes()).unwrap(),
                            reqwest::header::HeaderValue::from_bytes(v.as_bytes()).unwrap(),
                        );
                    }
                }
                if method == reqwest::Method::PUT && !raced.swap(true, Ordering::SeqCst) {
                    let auth = forward.get("authorization").cloned();
                    let mut theirs = client.put(&url).body(b"another instance's".to_vec());
                    if let Some(a) = auth {
                        theirs = theirs.header("authorization", a);
                    }
                    assert!(theirs.send().await.unwrap().status().is_success());
                }
                let answer = client.request(method.clone(), &url).headers(forward).body(body.to_vec()).send().await.unwrap();
                let status = answer.status().as_u16();
                if method == reqwest::Method::PUT {
                    puts.lock().unwrap().push((uri.path().to_string(), status));
                }
                let mut out = axum::http::Response::builder().status(status);
                for (k, v) in answer.headers() {
                    if k != "content-length" && k != "transfer-encoding" && k != "connection" {
                        out = out.header(k.as_str(), v.as_bytes());
                    }
                }
                out.body(axum::body::Body::from(answer.bytes().await.unwrap())).unwrap()
            }
        }
    };
    let app = axum::Router::new().fallback(handler);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let path = reqwest::Url::parse(&upstream).unwrap().path().to_string();
    (format!("http://{addr}{path}"), puts, task)
}

#[tokio::test]
async fn a_name_taken_between_the_check_and_the_upload_is_not_written_over() {
    let (Some(root), Some(user), Some(password)) = (var("TT_TEST_WEBDAV_URL"), var("TT_TEST_WEBDAV_USER"), var("TT_TEST_WEBDAV_PASSWORD")) else {
        return;
    };
    let folder = format!("{root}/{}", unique());
    let dav = reqwest::Client::new();
    let made = dav.request(reqwest::Method::from_bytes(b"MKCOL").unwrap(), &folder).basic_auth(&user, Some(&password)).send().await.unwrap();
    assert!(made.status().is_success());
    let (proxied, puts, _task) = racing_webdav_proxy(folder.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let srv = backing_up(&dir).await;
    let body =
        location("NAS", json!({"kind": "webdav", "url": proxied, "username": user}), &password, false, json!({"mode": "keep_last", "count": 5}));
    let _: Value = srv.call("backup/locations/save", body).await.unwrap();
    let e: Value = srv.call("backup/run-now", json!({})).await.unwrap();
    let name = e["file_name"].as_str().unwrap().to_string();
    let second = name.replace(".json", "-2.json");
    let copy = &e["copies"][0];
    assert_eq!(copy["status"], "verified", "{e}");
    assert!(copy["remote_key"].as_str().unwrap().ends_with(&second), "{copy}");
    // Our create-only PUT was refused (412) at the taken name; the next name took it.
    let seen = puts.lock().unwrap().clone();
    assert_eq!(
        seen.iter().map(|(p, s)| (p.rsplit('/').next().unwrap().to_string(), *s)).collect::<Vec<_>>(),
        [(name.clone(), 412), (second.clone(), 201)]
    );
    let get = |n: String| {
        let (dav, url, user, password) = (dav.clone(), format!("{folder}/{n}"), user.clone(), password.clone());
        async move { dav.get(url).basic_auth(user, Some(password)).send().await.unwrap().bytes().await.unwrap().to_vec() }
    };
    assert_eq!(get(name).await, b"another instance's", "theirs is untouched");
    let local = std::fs::read(std::path::Path::new(e["directory"].as_str().unwrap()).join(e["file_name"].as_str().unwrap())).unwrap();
    assert_eq!(get(second).await, local, "ours is there whole");
}

/// What a scripted WebDAV proxy does with one request.
enum Act {
    /// Passed on as it is.
    Forward,
    /// Passed on, and the body of the answer damaged (its first byte flipped).
    Damage,
    /// Only the first `n` bytes of the body reach the server; the client gets 502, as from a
    /// reverse proxy whose upstream connection broke mid-upload.
    CutAfter(usize),
    /// Answered by the proxy itself with this status.
    Answer(u16),
}

type Seen = Arc<std::sync::Mutex<Vec<(String, String, bool, u16)>>>;

/// A proxy in front of the WebDAV server that does what `script` says for each request
/// (method, path, whether If-None-Match was sent, how many requests came before), and records
/// (method, file name, If-None-Match sent, status answered).
async fn scripted_webdav_proxy(
    upstream: String,
    script: impl Fn(&str, bool, usize) -> Act + Send + Sync + Clone + 'static,
) -> (String, Seen, tokio::task::JoinHandle<()>) {
    let seen: Seen = Arc::default();
    let client = reqwest::Client::new();
    let upstream_base = {
        let u = reqwest::Url::parse(&upstream).unwrap();
        format!("{}://{}", u.scheme(), u.authority())
    };
    let handler = {
        let seen = seen.clone();
        move |method: axum::http::Method, uri: axum::http::Uri, headers: axum::http::HeaderMap, body: axum::body::Bytes| {
            let (seen, client, base, script) = (seen.clone(), client.clone(), upstream_base.clone(), script.clone());
            async move {
                let url = format!("{base}{}", uri.path_and_query().map(|p| p.as_str()).unwrap_or("/"));
                let conditional = headers.contains_key("if-none-match");
                let n = seen.lock().unwrap().len();
                let act = script(method.as_str(), conditional, n);
                let name = uri.path().rsplit('/').next().unwrap_or("").to_string();
                let record = |status: u16| seen.lock().unwrap().push((method.to_string(), name.clone(), conditional, status));
                let mut forward = reqwest::header::HeaderMap::new();
                for (k, v) in &headers {
                    if k != "host" && k != "content-length" {
                        forward.insert(
                            reqwest::header::HeaderName::from_bytes(k.as_str().as_bytes()).unwrap(),
                            reqwest::header::HeaderValue::from_bytes(v.as_bytes()).unwrap(),
                        );
                    }
                }
                let m = reqwest::Method::from_bytes(method.as_str().as_bytes()).unwrap();
                match act {
                    Act::Answer(status) => {
                        record(status);
                        return axum::http::Response::builder().status(status).body(axum::body::Body::empty()).unwrap();
                    }
                    Act::CutAfter(keep) => {
                        let part = body[..keep.min(body.len())].to_vec();
                        let answer = client.request(m, &url).headers(forward).body(part).send().await.unwrap();
                        assert!(answer.status().is_success(), "the partial file is kept there: {}", answer.status());
                        record(502);
                        return axum::http::Response::builder().status(502).body(axum::body::Body::empty()).unwrap();
                    }
                    Act::Forward | Act::Damage => {}
                }
                let answer = client.request(m, &url).headers(forward).body(body.to_vec()).send().await.unwrap();
                let status = answer.status().as_u16();
                record(status);
                let mut out = axum::http::Response::builder().status(status);
                for (k, v) in answer.headers() {
                    if k != "content-length" && k != "transfer-encoding" && k != "connection" {
                        out = out.header(k.as_str(), v.as_bytes());
                    }
                }
                let mut bytes = answer.bytes().await.unwrap().to_vec();
                if matches!(act, Act::Damage) && !bytes.is_empty() {
                    bytes[0] ^= 0xff;
                }
                out.body(axum::body::Body::from(bytes)).unwrap()
            }
        }
    };
    let app = axum::Router::new().fallback(handler);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let path = reqwest::Url::parse(&upstream).unwrap().path().to_string();
    (format!("http://{addr}{path}"), seen, task)
}

struct Dav {
    folder: String,
    user: String,
    password: String,
    client: reqwest::Client,
}

/// A fresh folder on the WebDAV test server.
async fn dav_folder() -> Option<Dav> {
    let (root, user, password) = (var("TT_TEST_WEBDAV_URL")?, var("TT_TEST_WEBDAV_USER")?, var("TT_TEST_WEBDAV_PASSWORD")?);
    let folder = format!("{root}/{}", unique());
    let client = reqwest::Client::new();
    let made = client.request(reqwest::Method::from_bytes(b"MKCOL").unwrap(), &folder).basic_auth(&user, Some(&password)).send().await.unwrap();
    assert!(made.status().is_success());
    Some(Dav { folder, user, password, client })
}

impl Dav {
    async fn get(&self, name: &str) -> Vec<u8> {
        let answer = self.client.get(format!("{}/{name}", self.folder)).basic_auth(&self.user, Some(&self.password)).send().await.unwrap();
        assert!(answer.status().is_success(), "{name}: {}", answer.status());
        answer.bytes().await.unwrap().to_vec()
    }

    async fn save(&self, srv: &TestServer, proxied: &str) -> i64 {
        let body = location(
            "NAS",
            json!({"kind": "webdav", "url": proxied, "username": self.user}),
            &self.password,
            false,
            json!({"mode": "keep_last", "count": 5}),
        );
        let saved: Value = srv.call("backup/locations/save", body).await.unwrap();
        saved["id"].as_i64().unwrap()
    }
}

fn local_bytes(e: &Value) -> Vec<u8> {
    std::fs::read(std::path::Path::new(e["directory"].as_str().unwrap()).join(e["file_name"].as_str().unwrap())).unwrap()
}

/// The first read-back comes back damaged: the retry deletes our own copy and writes the same
/// name again (its create-only PUT would otherwise find the name taken by us and move on).
#[tokio::test]
async fn a_damaged_read_back_is_retried_under_the_same_name() {
    let Some(dav) = dav_folder().await else { return };
    let damaged = Arc::new(AtomicBool::new(false));
    let d = damaged.clone();
    let (proxied, seen, _task) =
        scripted_webdav_proxy(
            dav.folder.clone(),
            move |method, _, _| {
                if method == "GET" && !d.swap(true, Ordering::SeqCst) {
                    Act::Damage
                } else {
                    Act::Forward
                }
            },
        )
        .await;
    let dir = tempfile::tempdir().unwrap();
    let srv = backing_up(&dir).await;
    dav.save(&srv, &proxied).await;
    let e: Value = srv.call("backup/run-now", json!({})).await.unwrap();
    let name = e["file_name"].as_str().unwrap().to_string();
    let copies = e["copies"].as_array().unwrap();
    assert_eq!(copies.len(), 1, "one copy record: {e}");
    assert_eq!((copies[0]["status"].as_str(), copies[0]["attempts"].as_i64()), (Some("verified"), Some(2)), "{e}");
    assert!(copies[0]["remote_key"].as_str().unwrap().ends_with(&name), "the same name, no -2: {e}");
    let writes: Vec<_> = seen.lock().unwrap().iter().filter(|(m, ..)| m == "PUT" || m == "DELETE").cloned().collect();
    assert_eq!(
        writes,
        [("PUT".into(), name.clone(), true, 201), ("DELETE".into(), name.clone(), false, 204), ("PUT".into(), name.clone(), true, 201)]
    );
    assert_eq!(dav.get(&name).await, local_bytes(&e), "the bytes there are the backup's");
    let db = raw_db(&srv.data_dir).await;
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM backup_copies").fetch_one(&db).await.unwrap();
    assert_eq!(n, 1);
}

/// The first PUT is cut mid-way and the server keeps the part it got. That object cannot be
/// proved ours (another instance could have written the name since), so it is never deleted:
/// it is recorded as a failed copy of this backup (the History and the listing show it), and
/// the backup goes up whole as "-2". Nothing in the folder is left unrecorded.
#[tokio::test]
async fn a_put_cut_mid_way_leaves_a_recorded_partial_file_and_the_backup_goes_up_whole() {
    let Some(dav) = dav_folder().await else { return };
    let cut = Arc::new(AtomicBool::new(false));
    let c = cut.clone();
    let (proxied, seen, _task) = scripted_webdav_proxy(dav.folder.clone(), move |method, _, _| {
        if method == "PUT" && !c.swap(true, Ordering::SeqCst) {
            Act::CutAfter(1000)
        } else {
            Act::Forward
        }
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let srv = backing_up(&dir).await;
    let id = dav.save(&srv, &proxied).await;
    let e: Value = srv.call("backup/run-now", json!({})).await.unwrap();
    let name = e["file_name"].as_str().unwrap().to_string();
    let second = name.replace(".json", "-2.json");
    let local = local_bytes(&e);
    assert!(local.len() > 1000);
    let puts: Vec<_> = seen.lock().unwrap().iter().filter(|(m, ..)| m == "PUT" || m == "DELETE").cloned().collect();
    assert_eq!(puts, [("PUT".into(), name.clone(), true, 502), ("PUT".into(), name.clone(), true, 412), ("PUT".into(), second.clone(), true, 201)]);
    assert_eq!(dav.get(&name).await, local[..1000], "the partial file is kept");
    assert_eq!(dav.get(&second).await, local, "the backup is there whole");
    let db = raw_db(&srv.data_dir).await;
    let rows: Vec<(String, String, Option<String>, Option<String>)> =
        sqlx::query_as("SELECT remote_key, status, sha256, error FROM backup_copies ORDER BY id").fetch_all(&db).await.unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows[0].0.ends_with(&second) && rows[0].1 == "verified", "{rows:?}");
    assert!(rows[1].0.ends_with(&name) && rows[1].1 == "failed" && rows[1].2.is_none(), "{rows:?}");
    assert!(
        rows[1].3.as_deref().unwrap().starts_with("An earlier attempt of this upload was cut off, and then this name held an object of 1000 bytes"),
        "{rows:?}"
    );
    // Every object in the folder is one this instance has a record of.
    let listed: Value = srv.get(&format!("backup/locations/backups?id={id}")).await.unwrap();
    let objects = listed.as_array().unwrap();
    assert_eq!(objects.len(), 2, "{listed}");
    assert!(objects.iter().all(|b| !b["copy"].is_null()), "{listed}");
}

/// A WebDAV server without conditional PUT answers 501 to If-None-Match: the upload is sent
/// again without it (the name was checked just before), and verified.
#[tokio::test]
async fn a_webdav_server_answering_501_to_create_only_puts_gets_a_plain_put() {
    let Some(dav) = dav_folder().await else { return };
    let (proxied, seen, _task) =
        scripted_webdav_proxy(
            dav.folder.clone(),
            |method, conditional, _| if method == "PUT" && conditional { Act::Answer(501) } else { Act::Forward },
        )
        .await;
    let dir = tempfile::tempdir().unwrap();
    let srv = backing_up(&dir).await;
    let id = dav.save(&srv, &proxied).await;
    let e: Value = srv.call("backup/run-now", json!({})).await.unwrap();
    let name = e["file_name"].as_str().unwrap().to_string();
    assert_eq!((e["copies"][0]["status"].as_str(), e["copies"][0]["attempts"].as_i64()), (Some("verified"), Some(1)), "{e}");
    let puts: Vec<_> = seen.lock().unwrap().iter().filter(|(m, ..)| m == "PUT").cloned().collect();
    assert_eq!(puts, [("PUT".into(), name.clone(), true, 501), ("PUT".into(), name.clone(), false, 201)]);
    assert_eq!(dav.get(&name).await, local_bytes(&e));
    // "Test connection" writes its probe the same way.
    let mut body = location(
        "NAS",
        json!({"kind": "webdav", "url": proxied, "username": dav.user}),
        &dav.password,
        false,
        json!({"mode": "keep_last", "count": 5}),
    );
    body["input"]["id"] = json!(id);
    let before = seen.lock().unwrap().len();
    let tested: Value = srv.call("backup/locations/test", body).await.unwrap();
    assert_eq!(tested["ok"], true, "{tested}");
    let probe: Vec<_> = seen.lock().unwrap()[before..].iter().filter(|(m, ..)| m == "PUT").map(|(_, _, c, st)| (*c, *st)).collect();
    assert_eq!(probe, [(true, 501), (false, 201)]);
}

/// A server that answers 412 to every If-None-Match, with nothing at the name: said at once,
/// not 100 renames.
#[tokio::test]
async fn a_server_refusing_every_create_only_put_is_said_at_once() {
    let Some(dav) = dav_folder().await else { return };
    let (proxied, seen, _task) =
        scripted_webdav_proxy(
            dav.folder.clone(),
            |method, conditional, _| if method == "PUT" && conditional { Act::Answer(412) } else { Act::Forward },
        )
        .await;
    let dir = tempfile::tempdir().unwrap();
    let srv = backing_up(&dir).await;
    dav.save(&srv, &proxied).await;
    let e: Value = srv.call("backup/run-now", json!({})).await.unwrap();
    let copy = &e["copies"][0];
    assert_eq!((copy["status"].as_str(), copy["attempts"].as_i64()), (Some("failed"), Some(1)), "{e}");
    assert!(copy["error"].as_str().unwrap().contains("refuses create-only uploads"), "{copy}");
    assert_eq!(seen.lock().unwrap().iter().filter(|(m, ..)| m == "PUT").count(), 1);
}
