//! The test servers scripts/services.sh starts (moto for S3, wsgidav for WebDAV), as locations.
//! A test that needs one and finds its variables unset prints a line and passes, unless CI is
//! set: there it fails, so a CI run cannot silently skip them.

use tt_core::model::locations::{LocationTarget, S3Target, WebdavTarget};

/// The value of a service's variable, or None (the test is skipped) when it is unset.
pub fn var(name: &str) -> Option<String> {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => Some(v),
        _ if std::env::var_os("CI").is_some() => panic!("{name} is not set and CI is: start the test services (scripts/services.sh)"),
        _ => {
            println!("skipped: {name} is not set (run the tests through scripts/test.sh, or the one command through scripts/services.sh)");
            None
        }
    }
}

pub fn unique(what: &str) -> String {
    format!("{what}-{:012x}", rand::random::<u64>() >> 16)
}

/// An S3 location under a fresh prefix, with the full-access key: (target, secret key).
pub fn s3() -> Option<(LocationTarget, String)> {
    let endpoint = var("TT_TEST_S3_ENDPOINT")?;
    let target = LocationTarget::S3(S3Target {
        endpoint,
        region: var("TT_TEST_S3_REGION")?,
        bucket: var("TT_TEST_S3_BUCKET")?,
        prefix: format!("tests/{}", unique("t")),
        access_key_id: var("TT_TEST_S3_ACCESS_KEY_ID")?,
        path_style: true,
    });
    Some((target, var("TT_TEST_S3_SECRET_KEY")?))
}

/// The read-only key pair: (access key id, secret key).
pub fn s3_readonly() -> Option<(String, String)> {
    Some((var("TT_TEST_S3_READONLY_ACCESS_KEY_ID")?, var("TT_TEST_S3_READONLY_SECRET_KEY")?))
}

/// A fresh folder on the WebDAV server (made with MKCOL): (target, password).
pub async fn webdav() -> Option<(LocationTarget, String)> {
    let root = var("TT_TEST_WEBDAV_URL")?;
    let user = var("TT_TEST_WEBDAV_USER")?;
    let password = var("TT_TEST_WEBDAV_PASSWORD")?;
    let url = format!("{root}/{}", unique("t"));
    let made = reqwest::Client::new()
        .request(reqwest::Method::from_bytes(b"MKCOL").expect("a method"), &url)
        .basic_auth(&user, Some(&password))
        .send()
        .await
        .expect("MKCOL sent");
    assert!(made.status().is_success(), "MKCOL {url}: {}", made.status());
    Some((LocationTarget::Webdav(WebdavTarget { url, username: Some(user) }), password))
}

pub fn with_s3(target: &LocationTarget, f: impl FnOnce(&mut S3Target)) -> LocationTarget {
    let LocationTarget::S3(mut t) = target.clone() else { panic!("not S3") };
    f(&mut t);
    LocationTarget::S3(t)
}

pub fn with_webdav(target: &LocationTarget, f: impl FnOnce(&mut WebdavTarget)) -> LocationTarget {
    let LocationTarget::Webdav(mut t) = target.clone() else { panic!("not WebDAV") };
    f(&mut t);
    LocationTarget::Webdav(t)
}

/// A local TCP port nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    drop(l);
    port
}
