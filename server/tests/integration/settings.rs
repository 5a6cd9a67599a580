//! Settings → General through the real HTTP API.

use crate::common::*;
use serde_json::{json, Value};

fn general(password: Value) -> Value {
    json!({"input": {
        "settings": {
            "poll_interval_minutes": 15, "snapshot_retention_days": 90,
            "proxy_enabled": true, "proxy_type": "http", "proxy_host": "proxy.lan", "proxy_port": 3128, "proxy_username": "me",
            "notifications_enabled": false, "notify_ratio_drop_threshold": 0.05, "notify_buffer_milestone_gib": 25
        },
        "proxy_password": password
    }})
}

#[tokio::test]
async fn general_settings_round_trip_with_a_sealed_proxy_password() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(&dir).await;
    srv.setup(PASSWORD).await;
    let db = raw_db(&srv.data_dir).await;

    let d: Value = srv.get("settings/general/get").await.unwrap();
    assert_eq!(d["settings"]["poll_interval_minutes"], 60);
    assert_eq!(d["settings"]["notifications_enabled"], true);
    assert_eq!(d["has_proxy_password"], false);

    let v: Value = srv.call("settings/general/save", general(json!({"value": "Pr0xyPassw0rd!"}))).await.unwrap();
    assert_eq!(v["has_proxy_password"], true);
    assert_eq!(v["settings"]["proxy_port"], 3128);
    let (sealed,): (String,) = sqlx::query_as("SELECT proxy_password_enc FROM app_settings").fetch_one(&db).await.unwrap();
    assert!(sealed.starts_with("tt1:") && !sealed.contains("Pr0xyPassw0rd!"));
    let text = srv.client.get(format!("{}/api/settings/general/get", srv.url)).send().await.unwrap().text().await.unwrap();
    assert!(!text.contains("Pr0xyPassw0rd!") && !text.contains(&sealed), "{text}");
    assert!(text.contains("\"proxy_host\":\"proxy.lan\""));

    // Keep (no value), then clear.
    let v: Value = srv.call("settings/general/save", general(json!({}))).await.unwrap();
    assert_eq!(v["has_proxy_password"], true);
    let (kept,): (String,) = sqlx::query_as("SELECT proxy_password_enc FROM app_settings").fetch_one(&db).await.unwrap();
    assert_eq!(kept, sealed);
    let v: Value = srv.call("settings/general/save", general(json!({"clear": true}))).await.unwrap();
    assert_eq!(v["has_proxy_password"], false);

    let _: () = srv.call("auth/logout", json!({})).await.unwrap();
    assert_eq!(srv.get::<Value>("settings/general/get").await.unwrap_err().status, 401);
    assert_eq!(srv.call::<Value>("settings/general/save", general(json!({}))).await.unwrap_err().status, 401);
}

#[tokio::test]
async fn bad_general_settings_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(&dir).await;
    srv.setup(PASSWORD).await;
    let _: Value = srv.call("settings/general/save", general(json!({"value": "keep me"}))).await.unwrap();
    let before: Value = srv.get("settings/general/get").await.unwrap();
    let cases: Vec<(&str, Value, &str)> = vec![
        ("proxy_port", json!(0), "Proxy port"),
        ("proxy_port", json!(70000), "Proxy port"),
        ("poll_interval_minutes", json!(2), "Poll interval"),
        ("proxy_type", json!("ftp"), "Proxy type"),
        ("proxy_host", Value::Null, "host and port"),
        ("snapshot_retention_days", json!(0), "Snapshot retention"),
    ];
    for (field, value, message) in cases {
        let mut input = general(json!({"value": "other"}));
        input["input"]["settings"][field] = value;
        let e = srv.call::<Value>("settings/general/save", input).await.unwrap_err();
        assert_eq!((e.status, e.kind.as_str()), (400, "invalid"), "{field}");
        assert!(e.message.contains(message), "{field}: {}", e.message);
    }
    let after: Value = srv.get("settings/general/get").await.unwrap();
    assert_eq!(before, after);
    let db = raw_db(&srv.data_dir).await;
    let (sealed,): (String,) = sqlx::query_as("SELECT proxy_password_enc FROM app_settings").fetch_one(&db).await.unwrap();
    let opened = srv.state.keys.open(app::domain::secrets::purpose::PROXY_PASSWORD, &sealed).unwrap();
    assert_eq!(opened.as_str(), "keep me");
}
