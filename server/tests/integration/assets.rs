//! The static bundle (`/pkg`): validators, so a browser revalidates instead of downloading it
//! again on every visit, for the precompressed variants too.

use crate::common::*;
use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, ETAG, IF_NONE_MATCH};

async fn get(srv: &TestServer, path: &str, encoding: Option<&str>, etag: Option<&str>) -> reqwest::Response {
    // reqwest is built without its decompression features: the encoding sent is the one seen.
    let mut req = reqwest::Client::new().get(format!("{}/pkg/{path}", srv.url));
    if let Some(e) = encoding {
        req = req.header(ACCEPT_ENCODING, e);
    }
    if let Some(t) = etag {
        req = req.header(IF_NONE_MATCH, t);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn bundle_files_have_an_etag_answer_304_when_unchanged_and_change_with_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    let pkg = site.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join("tracker-tracker.js"), "console.log('bundle v1');").unwrap();
    std::fs::write(pkg.join("tracker-tracker.js.br"), b"fake brotli v1").unwrap();
    let srv = TestServer::start_with_site(&dir, &site).await;

    for (encoding, body, content_encoding) in [(None, "console.log('bundle v1');", None), (Some("br"), "fake brotli v1", Some("br"))] {
        let first = get(&srv, "tracker-tracker.js", encoding, None).await;
        assert_eq!(first.status(), 200);
        assert_eq!(first.headers().get(CACHE_CONTROL).unwrap(), "no-cache", "revalidate on every use");
        assert_eq!(first.headers().get(CONTENT_ENCODING).map(|v| v.to_str().unwrap()), content_encoding);
        let etag = first.headers().get(ETAG).expect("an ETag").to_str().unwrap().to_string();
        assert_eq!(first.text().await.unwrap(), body);

        let again = get(&srv, "tracker-tracker.js", encoding, Some(&etag)).await;
        assert_eq!(again.status(), 304, "{encoding:?}");
        assert_eq!(again.headers().get(ETAG).unwrap().to_str().unwrap(), etag);
        assert_eq!(again.bytes().await.unwrap().len(), 0, "no body");
    }

    // A rebuilt file: a new ETag, so the old one no longer matches and the new bytes come.
    let old = get(&srv, "tracker-tracker.js", None, None).await.headers().get(ETAG).unwrap().to_str().unwrap().to_string();
    std::fs::write(pkg.join("tracker-tracker.js"), "console.log('bundle v2, longer');").unwrap();
    let res = get(&srv, "tracker-tracker.js", None, Some(&old)).await;
    assert_eq!(res.status(), 200);
    let new = res.headers().get(ETAG).unwrap().to_str().unwrap().to_string();
    assert_ne!(new, old);
    assert_eq!(res.text().await.unwrap(), "console.log('bundle v2, longer');");
}
