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
