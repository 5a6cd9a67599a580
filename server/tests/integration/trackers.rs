//! Trackers through the real HTTP API: CRUD, bad input, sealed token, history.

use crate::common::*;
use serde_json::{json, Value};

fn tracker(name: &str, url: &str) -> Value {
    json!({"input": {"id": null, "config": {"name": name, "base_url": url, "platform": "unit3d", "api_path": "/api/user",
        "color": "#3b82f6", "client_tag": null, "is_active": true, "is_favorite": false, "sort_order": 0, "joined_at": "2021-05-01"},
        "api_token": {"value": "SECRET-http-token", "clear": false}}})
}

#[tokio::test]
async fn tracker_crud_bad_input_and_history() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(&dir).await;
    srv.setup(PASSWORD).await;

    let created: Value = srv.call("trackers/save", tracker("Aither", "https://aither.cc")).await.unwrap();
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["has_api_token"], true);
    assert!(!created.to_string().contains("SECRET-http-token"));
    let db = raw_db(&srv.data_dir).await;
    let (raw,): (String,) = sqlx::query_as("SELECT api_token_enc FROM trackers").fetch_one(&db).await.unwrap();
    assert!(raw.starts_with("tt1:") && !raw.contains("SECRET"));

    // Bad input: a message, and nothing changes.
    let before = digest(&srv.data_dir, &["sessions"]).await;
    for (body, expected) in [
        (tracker("", "https://a.example"), "Name is required"),
        (tracker(&"x".repeat(101), "https://a.example"), "at most 100 characters"),
        (tracker("FTP", "ftp://a.example"), "http:// or https://"),
    ] {
        let e = srv.call::<Value>("trackers/save", body).await.unwrap_err();
        assert_eq!(e.status, 400);
        assert!(e.message.contains(expected), "{}", e.message);
    }
    let mut bad_colour = tracker("Colour", "https://a.example");
    bad_colour["input"]["config"]["color"] = json!("#12g");
    assert!(srv.call::<Value>("trackers/save", bad_colour).await.unwrap_err().message.contains("colour"));
    let negative = json!({"input": {"tracker_id": id, "polled_at": null, "uploaded_bytes": 1, "downloaded_bytes": 1, "seeding_count": -3,
        "leeching_count": null, "seed_bonus": null, "hit_and_runs": null, "freeleech_tokens": null, "required_ratio": null, "warned": false, "username": null, "group_name": null}});
    assert!(srv.call::<Value>("trackers/snapshots/add", negative).await.unwrap_err().message.contains("cannot be negative"));
    assert_eq!(digest(&srv.data_dir, &["sessions"]).await, before);

    // A manual snapshot appears in the history, exactly.
    let snap = json!({"input": {"tracker_id": id, "polled_at": null, "uploaded_bytes": 9007199254740993i64, "downloaded_bytes": 1099511627776i64,
        "seeding_count": 12, "leeching_count": 0, "seed_bonus": 1234.5, "hit_and_runs": null, "freeleech_tokens": null, "required_ratio": null,
        "warned": false, "username": null, "group_name": null}});
    let _: Value = srv.call("trackers/snapshots/add", snap).await.unwrap();
    let page: Value = srv.get(&format!("trackers/snapshots?tracker_id={id}")).await.unwrap();
    assert_eq!(page["total"], 1);
    assert_eq!(page["snapshots"][0]["uploaded_bytes"].as_i64(), Some(9007199254740993));
    let list: Value = srv.get("trackers/list").await.unwrap();
    assert!(!list.to_string().contains("SECRET-http-token"));
    assert_eq!(list[0]["latest"]["seeding_count"], 12);

    // Delete removes the history too.
    let _: () = srv.call("trackers/delete", json!({"id": id})).await.unwrap();
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM tracker_snapshots").fetch_one(&db).await.unwrap();
    assert_eq!(n, 0);
    assert_eq!(srv.call::<()>("trackers/delete", json!({"id": id})).await.unwrap_err().status, 404);

    // Unauthenticated: refused.
    let anon = reqwest::Client::new().get(format!("{}/api/trackers/list", srv.url)).send().await.unwrap();
    assert_eq!(anon.status(), 401);
}

/// platform, api_path, use_proxy, remote_user_id, profile_url, count_cross_seed_unsatisfied, last_access_at, paused_at
type Details = (String, String, bool, Option<i64>, Option<String>, bool, Option<String>, Option<String>);

/// The details a tracker keeps (platforms digitalcore and custom, proxy use, remote user id,
/// profile URL, cross-seed counting, last access), the person's pause, and a snapshot's share
/// score: through the API, checked in the database.
#[tokio::test]
async fn tracker_details_pause_and_share_score_through_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(&dir).await;
    srv.setup(PASSWORD).await;
    let db = raw_db(&srv.data_dir).await;
    let details = |id: i64| {
        let db = db.clone();
        async move {
            let row: Details = sqlx::query_as(
                "SELECT platform, api_path, use_proxy, remote_user_id, profile_url, count_cross_seed_unsatisfied, last_access_at, paused_at
                 FROM trackers WHERE id = $1",
            )
            .bind(id)
            .fetch_one(&db)
            .await
            .unwrap();
            row
        }
    };

    // A request without the new members (as before they existed) gets their defaults.
    let plain: Value = srv.call("trackers/save", tracker("Plain", "https://plain.example")).await.unwrap();
    assert_eq!(plain["config"]["use_proxy"], true);
    assert_eq!(details(plain["id"].as_i64().unwrap()).await, ("unit3d".into(), "/api/user".into(), true, None, None, false, None, None));

    let mut body = tracker("DigitalCore", "https://digitalcore.club");
    let c = &mut body["input"]["config"];
    c["platform"] = json!("digitalcore");
    c["api_path"] = json!("/api/v1/status");
    c["use_proxy"] = json!(false);
    c["remote_user_id"] = json!(98765);
    c["profile_url"] = json!("https://digitalcore.club/profile/98765");
    c["count_cross_seed_unsatisfied"] = json!(true);
    c["last_access_at"] = json!("2026-03-14");
    let saved: Value = srv.call("trackers/save", body.clone()).await.unwrap();
    let id = saved["id"].as_i64().unwrap();
    for (k, v) in [
        ("platform", json!("digitalcore")),
        ("use_proxy", json!(false)),
        ("remote_user_id", json!(98765)),
        ("profile_url", json!("https://digitalcore.club/profile/98765")),
        ("count_cross_seed_unsatisfied", json!(true)),
        ("last_access_at", json!("2026-03-14")),
    ] {
        assert_eq!(saved["config"][k], v, "{k}");
    }
    let stored = (
        "digitalcore".to_string(),
        "/api/v1/status".to_string(),
        false,
        Some(98765),
        Some("https://digitalcore.club/profile/98765".to_string()),
        true,
        Some("2026-03-14".to_string()),
        None,
    );
    assert_eq!(details(id).await, stored);
    let got: Value = srv.get(&format!("trackers/get?id={id}")).await.unwrap();
    assert_eq!(got["config"], saved["config"]);

    // A custom tracker: no platform adapter, kept as it is.
    let mut custom = tracker("HDBits", "https://hdbits.org");
    custom["input"]["config"]["platform"] = json!("custom");
    let custom: Value = srv.call("trackers/save", custom).await.unwrap();
    assert_eq!(details(custom["id"].as_i64().unwrap()).await.0, "custom");

    // Bad input: a clear message naming the field, and nothing changes.
    let before = digest(&srv.data_dir, &["sessions"]).await;
    for (field, value, expected) in [
        ("profile_url", json!("digitalcore.club/profile/1"), "Profile URL must be a web address"),
        ("profile_url", json!("javascript:alert(1)"), "Profile URL must be a web address"),
        ("platform", json!("xbtit"), "Platform"),
        ("remote_user_id", json!(0), "Remote user id"),
    ] {
        let mut bad = body.clone();
        bad["input"]["id"] = json!(id);
        bad["input"]["config"][field] = value;
        let e = srv.call::<Value>("trackers/save", bad).await.unwrap_err();
        assert_eq!((e.status, e.field.as_deref()), (400, Some(field)), "{}", e.message);
        assert!(e.message.contains(expected), "{}", e.message);
    }
    assert_eq!(digest(&srv.data_dir, &["sessions"]).await, before);

    // Pause: stored in the tracker's row, shown in its view, kept by an edit; resume clears it.
    let paused: Value = srv.call("trackers/pause", json!({"id": id, "paused": true})).await.unwrap();
    let at = paused["paused_at"].as_str().expect("paused").to_string();
    assert_eq!(details(id).await.7.as_deref(), Some(at.as_str()));
    assert_eq!(paused["config"]["is_active"], true, "a pause is not a deactivation");
    let mut edit = body.clone();
    edit["input"]["id"] = json!(id);
    edit["input"]["api_token"] = json!({"value": null, "clear": false});
    let edited: Value = srv.call("trackers/save", edit).await.unwrap();
    assert_eq!(edited["paused_at"], json!(at));
    let list: Value = srv.get("trackers/list").await.unwrap();
    assert!(list.as_array().unwrap().iter().any(|t| t["id"] == id && t["paused_at"] == json!(at)));
    let resumed: Value = srv.call("trackers/pause", json!({"id": id, "paused": false})).await.unwrap();
    assert_eq!(resumed["paused_at"], Value::Null);
    assert_eq!(details(id).await, stored);
    assert_eq!(srv.call::<Value>("trackers/pause", json!({"id": 999, "paused": true})).await.unwrap_err().status, 404);

    // A share score is stored with its snapshot and shown in the history (imported or restored
    // snapshots carry it; a manual one has none).
    sqlx::query(
        "INSERT INTO tracker_snapshots (tracker_id, polled_at, uploaded_bytes, downloaded_bytes, buffer_bytes, share_score) VALUES ($1, '2026-03-01T00:00:00.000Z', 5, 10, -5, 0.7321)",
    )
    .bind(id)
    .execute(&db)
    .await
    .unwrap();
    let page: Value = srv.get(&format!("trackers/snapshots?tracker_id={id}")).await.unwrap();
    assert_eq!((page["snapshots"][0]["share_score"].as_f64(), page["snapshots"][0]["buffer_bytes"].as_i64()), (Some(0.7321), Some(-5)));
    db.close().await;
}
