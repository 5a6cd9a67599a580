//! Notification targets imported from an original Tracker Tracker backup keep delivering: a Slack
//! and a Discord target reach local HTTP receivers, an email target the SMTP test server
//! (scripts/services.sh), each checked on what the receiver got.

use crate::common::smtp::smtp_service;
use crate::common::*;
use crate::notifications::receiver;
use app::domain::secrets::purpose;
use axum::http::StatusCode;
use original_backup::writer::{self, Instance, Options, Vintage};
use serde_json::{json, Value};

const V: Vintage = Vintage::V2_8_9;

/// An original 2.8.9 instance (its five targets: discord, gotify, telegram, slack, email) with
/// the given configs (plaintext JSON; the writer seals them under the login password).
fn instance(dir: &tempfile::TempDir, configs: &[(&str, String)]) -> Instance {
    let mut inst = writer::generate(V, 4, 1, 5);
    inst.settings.backup_storage_path = Some(dir.path().join("original-store").display().to_string());
    for (kind, config) in configs {
        let t = inst.notification_targets.iter_mut().find(|t| t.kind == *kind).unwrap();
        t.encrypted_config = config.clone();
    }
    inst
}

async fn import(srv: &TestServer, inst: &Instance) -> Value {
    let mut file = Vec::new();
    writer::write_plain(&mut file, inst, V, PASSWORD, &Options::default()).unwrap();
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(file).file_name("tracker-tracker-backup.json"))
        .text("current_password", PASSWORD);
    TestServer::decode(srv.client.post(format!("{}/api/backup/restore", srv.url)).multipart(form).send().await.unwrap()).await.unwrap()
}

async fn target_id(srv: &TestServer, name: &str) -> i64 {
    let list: Vec<Value> = srv.get("notifications/list").await.unwrap();
    list.iter().find(|t| t["settings"]["name"] == name).unwrap_or_else(|| panic!("no target {name}: {list:?}"))["id"].as_i64().unwrap()
}

fn test_text(name: &str) -> String {
    format!("This is a test message for the notification target \"{name}\". It works.")
}

#[tokio::test]
async fn imported_slack_and_discord_targets_reach_their_receivers() {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(&dir).await;
    srv.setup(PASSWORD).await;
    let (discord, discord_inbox, _d) = receiver(StatusCode::NO_CONTENT, "").await;
    let (slack, slack_inbox, _s) = receiver(StatusCode::OK, "ok").await;
    let inst = instance(
        &dir,
        &[
            ("discord", json!({"webhookUrl": format!("{discord}/api/webhooks/123/DiscordT0ken")}).to_string()),
            ("slack", json!({"webhookUrl": format!("{slack}/services/T0001/B0001/SlackT0kenXYZ")}).to_string()),
        ],
    );
    let done = import(&srv, &inst).await;
    assert_eq!(done["dry_run"], false, "{done}");

    // Sealed again under this instance's key; the raw column shows neither address.
    let db = raw_db(&srv.data_dir).await;
    let rows: Vec<(String, String, String, String)> =
        sqlx::query_as("SELECT name, target_type, config_enc, events FROM notification_targets ORDER BY id").fetch_all(&db).await.unwrap();
    let slack_row = rows.iter().find(|r| r.1 == "slack").unwrap();
    assert!(slack_row.2.starts_with("tt1:") && !slack_row.2.contains("SlackT0ken"));
    let opened: Value = serde_json::from_str(&srv.state.keys.open(purpose::NOTIFICATION_CONFIG, &slack_row.2).unwrap()).unwrap();
    assert_eq!(opened, json!({"url": format!("{slack}/services/T0001/B0001/SlackT0kenXYZ")}));
    // The original's 2.6.0+ flags are events here (the generated slack target had bonus cap and download disabled on).
    assert_eq!(slack_row.3, r#"["ratio_drop","tracker_down","warned","ratio_danger","zero_seeding","anniversary","bonus_cap","download_disabled"]"#);

    for (name, inbox, path, body) in [
        (
            "discord target",
            &discord_inbox,
            "/api/webhooks/123/DiscordT0ken",
            json!({"username": "Tracker Tracker", "content": format!("**Tracker Tracker test**\n{}", test_text("discord target")), "allowed_mentions": {"parse": []}}),
        ),
        (
            "slack target",
            &slack_inbox,
            "/services/T0001/B0001/SlackT0kenXYZ",
            json!({"text": format!("*Tracker Tracker test*\n{}", test_text("slack target"))}),
        ),
    ] {
        let id = target_id(&srv, name).await;
        let d: Value = srv.call("notifications/test", json!({"id": id})).await.unwrap();
        assert_eq!(d["status"], "sent", "{name}: {d}");
        let got = inbox.lock().unwrap().clone();
        assert_eq!(got.len(), 1, "{name}");
        assert_eq!(got[0].path, path);
        assert_eq!(got[0].headers["content-type"], "application/json");
        // The exact bytes: the server and this test serialise with the same serde_json.
        assert_eq!(String::from_utf8(got[0].body.clone()).unwrap(), serde_json::to_string(&body).unwrap(), "{name}");
    }
    let text = srv.client.get(format!("{}/api/notifications/list", srv.url)).send().await.unwrap().text().await.unwrap();
    assert!(!text.contains("SlackT0ken") && !text.contains("DiscordT0ken"), "{text}");
}

#[tokio::test]
async fn an_imported_email_target_delivers_to_the_smtp_server() {
    let Some(svc) = smtp_service("an_imported_email_target_delivers_to_the_smtp_server") else { return };
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(&dir).await;
    srv.setup(PASSWORD).await;
    let to = format!("imported-{}@example.com", std::process::id());
    // The original's shape: no encryption mode; port ≠ 465 means STARTTLS here.
    let config = json!({"host": svc.host, "port": svc.port, "username": svc.user, "password": svc.password,
                        "from": "Tracker Tracker <tt@example.com>", "to": to});
    let inst = instance(&dir, &[("email", config.to_string())]);
    let done = import(&srv, &inst).await;
    let adjusted = done["original"]["adjusted"].to_string();
    assert!(
        adjusted.contains(&format!("“email target”: the original kept no encryption mode for email; here it uses STARTTLS on port {}", svc.port)),
        "{adjusted}"
    );

    let db = raw_db(&srv.data_dir).await;
    let (sealed,): (String,) =
        sqlx::query_as("SELECT config_enc FROM notification_targets WHERE target_type = 'email'").fetch_one(&db).await.unwrap();
    assert!(!sealed.contains(&svc.password));
    let list = srv.client.get(format!("{}/api/notifications/list", srv.url)).send().await.unwrap().text().await.unwrap();
    assert!(!list.contains(&svc.password));

    let id = target_id(&srv, "email target").await;
    let d: Value = srv.call("notifications/test", json!({"id": id})).await.unwrap();
    assert_eq!(d["status"], "sent", "{d}");
    let mail = svc.received(&to).await;
    assert_eq!(mail.header("X-RcptTo"), Some(to.as_str()));
    assert_eq!(mail.header("To"), Some(to.as_str()));
    assert_eq!(mail.header("X-Sink-Tls"), Some("starttls"));
    assert_eq!(mail.header("X-Sink-Login"), Some(svc.user.as_str()));
    assert_eq!(mail.header("Subject"), Some("[Tracker Tracker] Tracker Tracker test"));
    let head = format!("{}\n\n-- \nTracker Tracker - event test - ", test_text("email target"));
    assert!(mail.body.starts_with(&head), "{:?}", mail.body);
}
