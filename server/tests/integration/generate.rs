//! The generator fills a real instance; its data exports and checks as a valid backup.

use server::generate::{generate, Options};

#[tokio::test]
async fn generates_a_small_instance_that_backs_up_cleanly() {
    let (state, _dir) = app::domain::testing_state().await;
    let o = Options { trackers: 3, years: 0.05, clients: 2, client_days: 1, password: String::new(), seed: 7 };
    let report = generate(&state, &o).await.unwrap();
    let count = |t: &str| {
        let t = t.to_string();
        let db = state.db.clone();
        async move {
            let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {t}")).fetch_one(&db).await.unwrap();
            n as u64
        }
    };
    for (table, n) in &report.rows {
        assert_eq!(count(table).await, *n, "{table}");
    }
    assert_eq!(count("tracker_snapshots").await, 3 * (0.05f64 * 365.0 * 24.0) as u64);
    assert_eq!(count("client_snapshots").await, 2 * 288);
    let (raw,): (String,) = sqlx::query_as("SELECT api_token_enc FROM trackers LIMIT 1").fetch_one(&state.db).await.unwrap();
    assert!(raw.starts_with("tt1:"));
    let mut out = Vec::new();
    app::domain::backup::export::export(&state, None, chrono::Utc::now(), &mut out).await.unwrap();
    let checked = app::backup_format::check::check_all(&out[..]).unwrap();
    assert_eq!(checked.counts.tracker_snapshots, count("tracker_snapshots").await);
}

/// The header's `created_at` blanked: the one value two exports of the same data may differ in.
fn without_created_at(bytes: &[u8]) -> String {
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let key = "{\"header\":{\"format\":\"tracker-tracker-backup\",\"format_version\":1,\"app_version\":";
    assert!(text.starts_with(key), "{}", &text[..200.min(text.len())]);
    let start = text.find("\"created_at\":\"").unwrap() + "\"created_at\":\"".len();
    let end = start + text[start..].find('"').unwrap();
    format!("{}{}", &text[..start], &text[end..])
}

/// Export → restore that export on the same instance → export again: the same bytes (every
/// double included: ratios and seed bonus once came back one unit in the last place off).
#[tokio::test]
async fn a_generated_instance_round_trips_byte_for_byte() {
    use crate::common::*;
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(&dir).await;
    srv.setup(PASSWORD).await;
    let o = Options { trackers: 3, years: 4.0 / 365.0, clients: 2, client_days: 1, password: String::new(), seed: 12 };
    generate(&srv.state, &o).await.unwrap();
    let export = || async {
        let res = srv.client.post(format!("{}/api/backup/export", srv.url)).send().await.unwrap();
        assert_eq!(res.status(), 200);
        res.bytes().await.unwrap().to_vec()
    };
    let first = export().await;
    let doubles = String::from_utf8_lossy(&first).matches("\"ratio\":").count();
    assert!(doubles > 200, "enough doubles to catch a drift of 5% of them: {doubles}");
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(first.clone()).file_name("b.json"))
        .text("current_password", PASSWORD);
    let res = srv.client.post(format!("{}/api/backup/restore", srv.url)).multipart(form).send().await.unwrap();
    let report: serde_json::Value = TestServer::decode(res).await.unwrap();
    assert_eq!(report["secrets_cleared"], 0, "{report}");
    let second = export().await;
    let (a, b) = (without_created_at(&first), without_created_at(&second));
    if a != b {
        let line = a.lines().zip(b.lines()).find(|(x, y)| x != y);
        panic!("the second export differs from the first; first differing line: {line:?}");
    }
}
