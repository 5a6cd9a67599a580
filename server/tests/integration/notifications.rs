//! Notification targets through the real HTTP API: sealed settings, "Send test" reaching a local
//! HTTP receiver, failures returned and recorded, and answers free of secrets.

use crate::common::*;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

/// What the receiver saw: method path?query, headers, body.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) path: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

pub(crate) type Inbox = Arc<Mutex<Vec<Received>>>;

/// A tiny HTTP receiver on 127.0.0.1 that records every request and answers `status`.
pub(crate) async fn receiver(status: StatusCode, answer: &'static str) -> (String, Inbox, tokio::task::JoinHandle<()>) {
    let inbox: Inbox = Arc::default();
    async fn record(
        State((inbox, status, answer)): State<(Inbox, StatusCode, &'static str)>,
        uri: Uri,
        headers: HeaderMap,
        body: Bytes,
    ) -> (StatusCode, &'static str) {
        let path = uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_default();
        inbox.lock().unwrap().push(Received { path, headers, body: body.to_vec() });
        (status, answer)
    }
    let app = axum::Router::new().fallback(axum::routing::post(record)).with_state((inbox.clone(), status, answer));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), inbox, task)
}

/// A port nothing listens on: bound, then released.
async fn dead_port() -> u16 {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    port
}

pub(crate) fn target(name: &str, target_type: &str, config: Value) -> Value {
    json!({"input": {
        "id": null,
        "settings": {"name": name, "target_type": target_type, "enabled": true, "events": ["backup_failed", "tracker_down"],
                     "thresholds": {"ratio_drop": 0.2, "ratio_danger": 0.8, "buffer_milestone_gib": 50}, "tracker_ids": null},
        "config": config
    }})
}

#[tokio::test]
async fn send_test_reaches_a_local_receiver_and_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(&dir).await;
    srv.setup(PASSWORD).await;
    let db = raw_db(&srv.data_dir).await;
    let (base, inbox, _task) = receiver(StatusCode::OK, "thanks").await;
    let url = format!("{base}/hooks/tt/S3cretHookToken123?sig=abc");

    let t: Value = srv.call("notifications/save", target("My webhook", "webhook", json!({"url": url}))).await.unwrap();
    let id = t["id"].as_i64().unwrap();
    assert_eq!(t["has_config"], true);
    assert_eq!(t["config_set"]["url"], true);
    assert_eq!(t["destination"], base);
    assert_eq!(t["settings"]["thresholds"]["buffer_milestone_gib"], 50);

    // Sealed in the database.
    let (sealed, events): (String, String) =
        sqlx::query_as("SELECT config_enc, events FROM notification_targets WHERE id = $1").bind(id).fetch_one(&db).await.unwrap();
    assert!(sealed.starts_with("tt1:") && !sealed.contains("S3cretHookToken123"));
    assert_eq!(events, r#"["backup_failed","tracker_down"]"#);

    let delivery: Value = srv.call("notifications/test", json!({"id": id})).await.unwrap();
    assert_eq!(delivery["status"], "sent");
    assert_eq!(delivery["event"], "test");
    let got = inbox.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].path, "/hooks/tt/S3cretHookToken123?sig=abc");
    assert_eq!(got[0].headers["content-type"], "application/json");
    let body: Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(body["app"], "tracker-tracker");
    assert_eq!(body["event"], "test");
    assert_eq!(body["title"], "Tracker Tracker test");
    assert!(body["message"].as_str().unwrap().contains("My webhook"));
    assert!(body["sent_at"].as_str().unwrap().ends_with('Z'));

    let rows: Vec<(i64, String, String, Option<String>)> =
        sqlx::query_as("SELECT target_id, event, status, error FROM notification_deliveries").fetch_all(&db).await.unwrap();
    assert_eq!(rows, vec![(id, "test".to_string(), "sent".to_string(), None)]);

    // The list and the deliveries never carry the secret.
    for endpoint in ["notifications/list", "notifications/deliveries", &format!("notifications/deliveries?target_id={id}&limit=5")] {
        let text = srv.client.get(format!("{}/api/{endpoint}", srv.url)).send().await.unwrap().text().await.unwrap();
        assert!(!text.contains("S3cretHookToken123") && !text.contains("sig=abc") && !text.contains(&sealed), "{endpoint}: {text}");
    }
    let list: Vec<Value> = srv.get("notifications/list").await.unwrap();
    assert_eq!(list[0]["last_delivery"]["status"], "sent");
}

#[tokio::test]
async fn each_type_posts_to_its_api() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(&dir).await;
    srv.setup(PASSWORD).await;
    let (base, inbox, _task) = receiver(StatusCode::OK, "{\"ok\":true}").await;
    let cases = [
        ("discord", json!({"url": format!("{base}/api/webhooks/1/DiscordTok")}), "/api/webhooks/1/DiscordTok"),
        ("telegram", json!({"url": base, "token": "123:TgTok", "chat_id": "-100"}), "/bot123:TgTok/sendMessage"),
        ("gotify", json!({"url": format!("{base}/gotify"), "token": "GotifyTok"}), "/gotify/message"),
        ("ntfy", json!({"url": base, "topic": "tt-alerts", "token": "tk_NtfyTok"}), "/tt-alerts"),
    ];
    for (i, (kind, config, path)) in cases.iter().enumerate() {
        let t: Value = srv.call("notifications/save", target(kind, kind, config.clone())).await.unwrap();
        let d: Value = srv.call("notifications/test", json!({"id": t["id"]})).await.unwrap();
        assert_eq!(d["status"], "sent", "{kind}");
        let got = inbox.lock().unwrap()[i].clone();
        assert_eq!(got.path, *path, "{kind}");
        let text = String::from_utf8_lossy(&got.body).to_string();
        match *kind {
            "discord" => {
                let v: Value = serde_json::from_str(&text).unwrap();
                assert!(v["content"].as_str().unwrap().contains("Tracker Tracker test"));
                assert_eq!(v["username"], "Tracker Tracker");
            }
            "telegram" => {
                let v: Value = serde_json::from_str(&text).unwrap();
                assert_eq!(v["chat_id"], "-100");
                assert!(v["text"].as_str().unwrap().contains("test message"));
            }
            "gotify" => {
                let v: Value = serde_json::from_str(&text).unwrap();
                assert_eq!(got.headers["x-gotify-key"], "GotifyTok");
                assert_eq!(v["title"], "Tracker Tracker test");
                assert!(v["priority"].is_number());
            }
            "ntfy" => {
                assert_eq!(got.headers["title"], "Tracker Tracker test");
                assert_eq!(got.headers["authorization"], "Bearer tk_NtfyTok");
                assert!(text.contains("test message"));
            }
            _ => unreachable!(),
        }
    }
    let text = srv.client.get(format!("{}/api/notifications/list", srv.url)).send().await.unwrap().text().await.unwrap();
    for secret in ["DiscordTok", "TgTok", "GotifyTok", "NtfyTok"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
}

#[tokio::test]
async fn failures_are_returned_and_recorded_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(&dir).await;
    srv.setup(PASSWORD).await;
    let db = raw_db(&srv.data_dir).await;

    // The receiver is down.
    let port = dead_port().await;
    let t: Value = srv
        .call("notifications/save", target("Down", "webhook", json!({"url": format!("http://127.0.0.1:{port}/hook/DeadSecret999")})))
        .await
        .unwrap();
    let e = srv.call::<Value>("notifications/test", json!({"id": t["id"]})).await.unwrap_err();
    assert_eq!(e.status, 502, "{e:?}");
    assert!(e.message.contains(&format!("connection refused by 127.0.0.1:{port}")), "{}", e.message);
    assert!(!e.message.contains("DeadSecret999"));
    let (status, error): (String, Option<String>) =
        sqlx::query_as("SELECT status, error FROM notification_deliveries WHERE target_id = $1").bind(t["id"].as_i64()).fetch_one(&db).await.unwrap();
    assert_eq!(status, "failed");
    assert_eq!(error.as_deref(), Some(format!("connection refused by 127.0.0.1:{port}").as_str()));

    // The receiver answers 500: the status and the start of its answer are the reason.
    let (base, _inbox, _task) = receiver(StatusCode::INTERNAL_SERVER_ERROR, "database is on fire").await;
    let t: Value = srv.call("notifications/save", target("Broken", "webhook", json!({"url": format!("{base}/x/Tok3nInPath")}))).await.unwrap();
    let e = srv.call::<Value>("notifications/test", json!({"id": t["id"]})).await.unwrap_err();
    assert_eq!(e.status, 502, "{e:?}");
    assert!(e.message.contains("HTTP 500 from the webhook: database is on fire"), "{}", e.message);
    let ds: Vec<Value> = srv.get(&format!("notifications/deliveries?target_id={}", t["id"])).await.unwrap();
    assert_eq!(ds[0]["status"], "failed");
    assert_eq!(ds[0]["error"], "HTTP 500 from the webhook: database is on fire");
    let list: Vec<Value> = srv.get("notifications/list").await.unwrap();
    assert!(list.iter().all(|t| t["last_delivery"]["status"] == "failed"));

    let e = srv.call::<Value>("notifications/test", json!({"id": 4242})).await.unwrap_err();
    assert_eq!(e.status, 404);
}

#[tokio::test]
async fn bad_targets_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(&dir).await;
    srv.setup(PASSWORD).await;
    let ok: Value = srv.call("notifications/save", target("Hook", "webhook", json!({"url": "https://hooks.example/abc"}))).await.unwrap();
    let before: Vec<Value> = srv.get("notifications/list").await.unwrap();
    let mut cases: Vec<(Value, &str)> = Vec::new();
    let mut t = target("Hook", "webhook", json!({"url": "ftp://hooks.example/abc"}));
    t["input"]["id"] = ok["id"].clone();
    cases.push((t.clone(), "http:// or https://"));
    let mut bad = t.clone();
    bad["input"]["config"] = json!({"url": "https://hooks.example/abc"});
    bad["input"]["settings"]["events"] = json!(["backup_failed", "moon_landing"]);
    cases.push((bad, "Unknown event"));
    let mut bad = t.clone();
    bad["input"]["config"] = json!({"url": "https://hooks.example/abc"});
    bad["input"]["settings"]["name"] = json!("");
    cases.push((bad, "Name is required"));
    let mut bad = t.clone();
    bad["input"]["config"] = json!({"token": "only-a-token"});
    bad["input"]["settings"]["target_type"] = json!("telegram");
    cases.push((bad, "Chat id is required"));
    let mut bad = t.clone();
    bad["input"]["config"] = Value::Null;
    bad["input"]["settings"]["tracker_ids"] = json!([12345]);
    cases.push((bad, "no tracker with id 12345"));
    for (input, message) in cases {
        let e = srv.call::<Value>("notifications/save", input).await.unwrap_err();
        assert_eq!(e.status, 400);
        assert!(e.message.contains(message), "{message}: {}", e.message);
    }
    let after: Vec<Value> = srv.get("notifications/list").await.unwrap();
    assert_eq!(before, after);

    // Tracker scope: trackers come from the trackers table.
    let db = raw_db(&srv.data_dir).await;
    sqlx::query("INSERT INTO trackers (name, base_url, platform, created_at, updated_at) VALUES ('Aither', 'https://aither.cc', 'unit3d', 'x', 'x')")
        .execute(&db)
        .await
        .unwrap();
    let choices: Vec<Value> = srv.get("notifications/trackers").await.unwrap();
    assert_eq!(choices[0]["name"], "Aither");
    let mut scoped = target("Hook", "webhook", Value::Null);
    scoped["input"]["id"] = ok["id"].clone();
    scoped["input"]["settings"]["tracker_ids"] = json!([choices[0]["id"]]);
    let v: Value = srv.call("notifications/save", scoped).await.unwrap();
    assert_eq!(v["settings"]["tracker_ids"], json!([choices[0]["id"]]));
    assert_eq!(v["destination"], "https://hooks.example", "delivery settings kept");

    let _: () = srv.call("notifications/delete", json!({"id": ok["id"]})).await.unwrap();
    let list: Vec<Value> = srv.get("notifications/list").await.unwrap();
    assert!(list.is_empty());
}
