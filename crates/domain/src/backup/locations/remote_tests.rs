//! The location client against the real test servers (moto, wsgidav): streamed uploads and
//! reads, listing, and each typed cause of failure with its sentence.

use super::remote::{ConnectFailure, CredentialFailure, Missing, Op, Remote, RemoteError, TlsFailure};
use super::test_services::{self as svc, with_s3, with_webdav};
use crate::config::RemoteSettings;
use sha2::{Digest, Sha256};
use tt_core::model::locations::LocationTarget;

fn open(target: &LocationTarget, secret: &str) -> Remote {
    Remote::open(&target.validate().expect("a valid target"), Some(secret), &RemoteSettings::QUICK).expect("client")
}

/// A file of `len` pseudo-random bytes and its SHA-256.
fn random_file(dir: &std::path::Path, len: usize) -> (std::path::PathBuf, String) {
    use rand::RngCore;
    let mut bytes = vec![0u8; len];
    rand::thread_rng().fill_bytes(&mut bytes);
    let path = dir.join("payload.bin");
    std::fs::write(&path, &bytes).unwrap();
    (path, hex::encode(Sha256::digest(&bytes)))
}

async fn round_trip(remote: &Remote, len: usize) {
    let dir = tempfile::tempdir().unwrap();
    let (path, sha) = random_file(dir.path(), len);
    let key = remote.key("tracker-tracker-backup-20261201T030000Z.ttbak");
    assert_eq!(remote.put_file(&key, &path).await.unwrap(), len as u64);
    let listed = remote.list().await.unwrap();
    let names: Vec<_> = listed.iter().filter_map(|m| remote.file_name_of(m.location.as_ref())).collect();
    assert_eq!(names, vec!["tracker-tracker-backup-20261201T030000Z.ttbak"], "{listed:?}");
    assert_eq!(listed[0].size, len as u64);
    assert_eq!(remote.read_sha256(&key).await.unwrap(), (len as u64, sha.clone()));
    let start = remote.read_start(&key, len as u64, 100).await.unwrap();
    assert_eq!(&start[..], &std::fs::read(&path).unwrap()[..100.min(len)]);
    let copy = dir.path().join("copy.bin");
    assert_eq!(remote.download_to(&key, &copy).await.unwrap(), (len as u64, sha));
    assert_eq!(std::fs::read(&copy).unwrap(), std::fs::read(&path).unwrap());
    remote.delete(&key).await.unwrap();
    assert!(remote.list().await.unwrap().is_empty());
}

#[tokio::test]
async fn s3_small_and_multipart_uploads_round_trip() {
    let Some((target, secret)) = svc::s3() else { return };
    let remote = open(&target, &secret);
    round_trip(&remote, 1000).await;
    // Three parts of 5 MiB (the last one shorter).
    round_trip(&remote, 12 * 1024 * 1024 + 17).await;
}

#[tokio::test]
async fn webdav_uploads_are_one_streamed_put_and_round_trip() {
    let Some((target, password)) = svc::webdav().await else { return };
    let remote = open(&target, &password);
    round_trip(&remote, 1000).await;
    round_trip(&remote, 6 * 1024 * 1024 + 3).await;
}

async fn write_error(target: &LocationTarget, secret: &str) -> RemoteError {
    let remote = open(target, secret);
    remote.put_bytes(&remote.key("probe"), b"x".to_vec()).await.unwrap_err()
}

#[tokio::test]
async fn s3_refusals_say_which_setting_is_wrong() {
    let Some((target, secret)) = svc::s3() else { return };
    let e = write_error(&target, "not-the-secret").await;
    assert!(matches!(e, RemoteError::Credentials { why: CredentialFailure::WrongSecret, .. }), "{e:?}");
    let bucket = svc::var("TT_TEST_S3_BUCKET").unwrap();
    let endpoint = svc::var("TT_TEST_S3_ENDPOINT").unwrap();
    assert_eq!(
        e.to_string(),
        format!(
            "the bucket {bucket} at {endpoint} refused the secret key: it does not match the access key id (SignatureDoesNotMatch). Enter it again."
        )
    );
    let e = write_error(&with_s3(&target, |t| t.access_key_id = "AKIANOSUCHKEY0000000".into()), &secret).await;
    assert!(matches!(e, RemoteError::Credentials { why: CredentialFailure::UnknownKey, .. }), "{e:?}");
    let e = write_error(&with_s3(&target, |t| t.bucket = "no-such-bucket-here".into()), &secret).await;
    assert!(matches!(&e, RemoteError::Missing { what: Missing::Bucket { bucket, .. } } if bucket == "no-such-bucket-here"), "{e:?}");
    assert_eq!(e.to_string(), format!("The bucket no-such-bucket-here does not exist at {endpoint}: create it, or check its name and the endpoint."));
    let Some((ro_key, ro_secret)) = svc::s3_readonly() else { return };
    let e = write_error(&with_s3(&target, |t| t.access_key_id = ro_key), &ro_secret).await;
    assert!(matches!(e, RemoteError::Permission { op: Op::Write, .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!("The credentials work, but they may not write to the bucket {bucket} at {endpoint} (access denied): give them that permission.")
    );
    assert!(!e.is_transient());
}

#[tokio::test]
async fn connection_failures_are_told_apart() {
    let Some((target, secret)) = svc::s3() else { return };
    let endpoint = svc::var("TT_TEST_S3_ENDPOINT").unwrap();
    let port = endpoint.rsplit(':').next().unwrap().to_string();
    // https:// to the plain-HTTP port of the S3 server.
    let e = write_error(&with_s3(&target, |t| t.endpoint = format!("https://127.0.0.1:{port}")), &secret).await;
    assert!(matches!(e, RemoteError::Tls { why: TlsFailure::Handshake, .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!("The https connection to 127.0.0.1:{port} failed: the TLS handshake failed. If the server serves plain HTTP on this port, use an http:// address; otherwise check its TLS set-up.")
    );
    let closed = svc::closed_port();
    let e = write_error(&with_s3(&target, |t| t.endpoint = format!("http://127.0.0.1:{closed}")), &secret).await;
    assert!(matches!(e, RemoteError::Connection { why: ConnectFailure::Refused, .. }), "{e:?}");
    assert!(e.is_transient());
    let e = write_error(&with_s3(&target, |t| t.endpoint = "http://no-such-host.invalid:9000".into()), &secret).await;
    assert!(matches!(&e, RemoteError::Dns { host } if host == "no-such-host.invalid"), "{e:?}");
}

#[tokio::test]
async fn webdav_refusals_say_which_setting_is_wrong() {
    let Some((target, password)) = svc::webdav().await else { return };
    let e = write_error(&target, "wrong password").await;
    assert!(matches!(e, RemoteError::Credentials { why: CredentialFailure::Refused, .. }), "{e:?}");
    let missing = with_webdav(&target, |w| w.url.push_str("/no/such/folder"));
    let e = write_error(&missing, &password).await;
    assert!(matches!(&e, RemoteError::Missing { what: Missing::Folder { .. } }), "{e:?}");
    let Some(ro) = svc::var("TT_TEST_WEBDAV_READONLY_URL") else { return };
    let e = write_error(&with_webdav(&target, |w| w.url = ro), &password).await;
    assert!(matches!(e, RemoteError::Permission { op: Op::Write, .. }), "{e:?}");
}

/// A 400 MiB backup goes up in parts (S3) or as one streamed PUT (WebDAV) and reads back whole
/// with the hash of its bytes. The file is sparse: its size costs no disk here. Memory is
/// measured by scripts/bench.sh, not here (a test is no benchmark).
async fn large_upload_round_trips(remote: &Remote, dir: &std::path::Path) {
    const SIZE: u64 = 400 * 1024 * 1024;
    let path = dir.join("tracker-tracker-backup-20261201T030000Z.ttbak");
    std::fs::File::create(&path).unwrap().set_len(SIZE).unwrap();
    let expected = {
        let mut h = Sha256::new();
        let zeros = vec![0u8; 1024 * 1024];
        for _ in 0..SIZE / zeros.len() as u64 {
            h.update(&zeros);
        }
        hex::encode(h.finalize())
    };
    let key = remote.key("tracker-tracker-backup-20261201T030000Z.ttbak");
    assert_eq!(remote.put_file(&key, &path).await.unwrap(), SIZE);
    assert_eq!(remote.read_sha256(&key).await.unwrap(), (SIZE, expected));
    remote.delete(&key).await.unwrap();
}

#[tokio::test]
async fn a_400_mib_upload_to_s3_round_trips_in_parts() {
    let Some((target, secret)) = svc::s3() else { return };
    let dir = tempfile::tempdir().unwrap();
    // The binary's part size (8 MiB), not the tests' smallest.
    let settings = RemoteSettings { part_size: RemoteSettings::PRODUCTION.part_size, ..RemoteSettings::QUICK };
    let remote = Remote::open(&target.validate().unwrap(), Some(&secret), &settings).unwrap();
    large_upload_round_trips(&remote, dir.path()).await;
}

#[tokio::test]
async fn a_400_mib_upload_to_webdav_round_trips_streamed() {
    let Some((target, password)) = svc::webdav().await else { return };
    let dir = tempfile::tempdir().unwrap();
    large_upload_round_trips(&open(&target, &password), dir.path()).await;
}

/// Uploads are create-only: an object at the name (another instance's, put there since the name
/// was checked) is never written over, and the refusal is typed so the upload takes the next name.
async fn never_writes_over(remote: &Remote) {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = random_file(dir.path(), 1000);
    let key = remote.key("tracker-tracker-backup-20261201T030000Z.json");
    remote.put_bytes(&key, b"another instance's".to_vec()).await.unwrap();
    let e = remote.put_file(&key, &path).await.unwrap_err();
    assert!(matches!(&e, RemoteError::Taken { key: k, .. } if k == key.as_ref()), "{e:?}");
    assert_eq!(&remote.read_bytes(&key).await.unwrap()[..], b"another instance's");
    remote.delete(&key).await.unwrap();
}

#[tokio::test]
async fn s3_single_request_uploads_never_write_over_an_object() {
    let Some((target, secret)) = svc::s3() else { return };
    never_writes_over(&open(&target, &secret)).await;
}

#[tokio::test]
async fn webdav_uploads_never_write_over_an_object() {
    let Some((target, password)) = svc::webdav().await else { return };
    never_writes_over(&open(&target, &password)).await;
}

/// A WebDAV server out of space (507) is told as such, not as an unknown answer. wsgidav cannot
/// be made full, so a loopback server answers every request with 507.
#[tokio::test]
async fn a_full_webdav_server_is_told_as_full() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        loop {
            let Ok((mut sock, _)) = listener.accept().await else { return };
            tokio::spawn(async move {
                // Read the request head, then answer at once (the client may still be sending the body).
                let mut buf = vec![0u8; 64 * 1024];
                let mut head = Vec::new();
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = sock.write_all(b"HTTP/1.1 507 Insufficient Storage\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await;
                let _ = sock.shutdown().await;
            });
        }
    });
    let target = LocationTarget::Webdav(tt_core::model::locations::WebdavTarget { url: format!("http://{addr}/dav"), username: None });
    let remote = open(&target, "");
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = random_file(dir.path(), 1000);
    let e = remote.put_file(&remote.key("tracker-tracker-backup-20261201T030000Z.json"), &path).await.unwrap_err();
    assert!(matches!(e, RemoteError::Full { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!(
            "The WebDAV server of the folder http://{addr}/dav is full (507 Insufficient Storage): free some space there, or raise the quota of this user, then run the backup again."
        )
    );
    assert!(!e.is_transient(), "a full server is not retried within the run");
    server.abort();
}

/// An S3 store without conditional writes: a loopback recorder that answers 501 to a PUT with
/// If-None-Match and keeps the body of a plain one (HEAD and GET answer from what it keeps).
/// The create-only PUT falls back to a plain one after the name check; the probe of "Test
/// connection" (put_bytes) the same.
#[tokio::test]
async fn an_s3_store_answering_501_to_create_only_puts_gets_a_plain_put_after_the_check() {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};
    type Seen = Arc<Mutex<Vec<(String, String, bool, u16)>>>;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen: Seen = Arc::default();
    let kept: Arc<Mutex<HashMap<String, Vec<u8>>>> = Arc::default();
    let (s, k) = (seen.clone(), kept.clone());
    let server = tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        loop {
            let Ok((mut sock, _)) = listener.accept().await else { return };
            let (seen, kept) = (s.clone(), k.clone());
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                let mut data = Vec::new();
                loop {
                    let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") else {
                        match sock.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => data.extend_from_slice(&buf[..n]),
                        }
                        continue;
                    };
                    let head = String::from_utf8_lossy(&data[..end]).to_string();
                    let mut lines = head.split("\r\n");
                    let mut first = lines.next().unwrap_or("").split(' ');
                    let (method, path) = (first.next().unwrap_or("").to_string(), first.next().unwrap_or("").to_string());
                    let headers: Vec<(String, String)> =
                        lines.filter_map(|l| l.split_once(':').map(|(a, b)| (a.trim().to_ascii_lowercase(), b.trim().to_string()))).collect();
                    let header = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
                    let len: usize = header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
                    while data.len() < end + 4 + len {
                        match sock.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => data.extend_from_slice(&buf[..n]),
                        }
                    }
                    let body = data[end + 4..end + 4 + len].to_vec();
                    data.drain(..end + 4 + len);
                    let conditional = header("if-none-match").is_some();
                    let object = path.split('?').next().unwrap_or("").to_string();
                    let found = kept.lock().unwrap().get(&object).cloned();
                    let meta = "last-modified: Tue, 01 Dec 2026 03:00:00 GMT\r\netag: \"e\"\r\n";
                    let (status, answer): (u16, Vec<u8>) = match (method.as_str(), found) {
                        ("PUT", _) if conditional => (501, b"HTTP/1.1 501 Not Implemented\r\ncontent-length: 0\r\n\r\n".to_vec()),
                        ("PUT", _) => {
                            kept.lock().unwrap().insert(object.clone(), body);
                            (200, b"HTTP/1.1 200 OK\r\netag: \"e\"\r\ncontent-length: 0\r\n\r\n".to_vec())
                        }
                        ("HEAD", Some(b)) => (200, format!("HTTP/1.1 200 OK\r\n{meta}content-length: {}\r\n\r\n", b.len()).into_bytes()),
                        ("GET", Some(b)) => {
                            let mut a = format!("HTTP/1.1 200 OK\r\n{meta}content-length: {}\r\n\r\n", b.len()).into_bytes();
                            a.extend_from_slice(&b);
                            (200, a)
                        }
                        ("GET", None) if path.contains("list-type=2") => {
                            let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult><Name>plain</Name><Prefix></Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>";
                            (
                                200,
                                format!("HTTP/1.1 200 OK\r\ncontent-type: application/xml\r\ncontent-length: {}\r\n\r\n{xml}", xml.len())
                                    .into_bytes(),
                            )
                        }
                        // object_store deletes through DeleteObjects (POST ?delete).
                        ("POST", _) if path.contains("delete") => {
                            let text = String::from_utf8_lossy(&body).to_string();
                            let key = text.split("<Key>").nth(1).and_then(|r| r.split("</Key>").next()).unwrap_or("").to_string();
                            kept.lock().unwrap().remove(&format!("/plain/{key}"));
                            let xml =
                                format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><DeleteResult><Deleted><Key>{key}</Key></Deleted></DeleteResult>");
                            (
                                200,
                                format!("HTTP/1.1 200 OK\r\ncontent-type: application/xml\r\ncontent-length: {}\r\n\r\n{xml}", xml.len())
                                    .into_bytes(),
                            )
                        }
                        ("DELETE", _) => {
                            kept.lock().unwrap().remove(&object);
                            (204, b"HTTP/1.1 204 No Content\r\n\r\n".to_vec())
                        }
                        _ => (404, b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n".to_vec()),
                    };
                    let name = object.rsplit('/').next().unwrap_or("").to_string();
                    seen.lock().unwrap().push((method, name, conditional, status));
                    if sock.write_all(&answer).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    let target = LocationTarget::S3(tt_core::model::locations::S3Target {
        endpoint: format!("http://{addr}"),
        region: "us-east-1".into(),
        bucket: "plain".into(),
        prefix: String::new(),
        access_key_id: "AKIAEXAMPLE".into(),
        path_style: true,
    });
    let remote = open(&target, "a secret key");
    let dir = tempfile::tempdir().unwrap();
    let (path, sha) = random_file(dir.path(), 1000);
    let name = "tracker-tracker-backup-20261201T030000Z.json";
    remote.put_file(&remote.key(name), &path).await.unwrap();
    assert_eq!(remote.read_sha256(&remote.key(name)).await.unwrap(), (1000, sha));
    let writes = |seen: &Seen| -> Vec<(String, bool, u16)> {
        seen.lock().unwrap().iter().filter(|(m, n, ..)| m != "GET" || !n.starts_with(".tracker")).map(|(m, _, c, st)| (m.clone(), *c, *st)).collect()
    };
    assert_eq!(writes(&seen)[..3], [("PUT".to_string(), true, 501), ("HEAD".to_string(), false, 404), ("PUT".to_string(), false, 200)]);
    // A name that holds something is never written by the fallback.
    seen.lock().unwrap().clear();
    let e = remote.put_file(&remote.key(name), &path).await.unwrap_err();
    assert!(matches!(e, RemoteError::Taken { .. }), "{e:?}");
    assert_eq!(writes(&seen), [("PUT".to_string(), true, 501), ("HEAD".to_string(), false, 200)]);
    // The connection test's probe: create-only on S3 too, with the same fallback.
    seen.lock().unwrap().clear();
    let probe = super::probe::run(&remote).await;
    assert!(probe.ok, "{probe:?}");
    let w = writes(&seen);
    assert_eq!(w.iter().filter(|(m, ..)| m == "PUT").map(|(_, c, st)| (*c, *st)).collect::<Vec<_>>(), [(true, 501), (false, 200)]);
    server.abort();
}
