//! Email notification targets through the real HTTP API, delivering to the real SMTP server that
//! scripts/services.sh starts (STARTTLS with login, implicit TLS, plain): the message as the
//! server stored it, typed failure reasons, and the password sealed and never shown.

use crate::common::smtp::{smtp_service, SmtpService};
use crate::common::*;
use crate::notifications::target;
use serde_json::{json, Value};

fn email_config(svc: &SmtpService, port: u16, security: &str, to: &[&str], login: Option<(&str, &str)>) -> Value {
    let mut c = json!({"smtp": {"host": svc.host, "port": port, "security": security,
                                "from": "Tracker Tracker <tt@example.com>", "to": to}});
    if let Some((u, p)) = login {
        c["username"] = json!(u);
        c["password"] = json!(p);
    }
    c
}

async fn started() -> (tempfile::TempDir, TestServer) {
    let dir = tempfile::tempdir().unwrap();
    let srv = TestServer::start(&dir).await;
    srv.setup(PASSWORD).await;
    (dir, srv)
}

#[tokio::test]
async fn email_goes_out_over_starttls_with_login_and_the_password_stays_sealed() {
    let Some(svc) = smtp_service("email_goes_out_over_starttls_with_login_and_the_password_stays_sealed") else { return };
    let (_dir, srv) = started().await;
    let db = raw_db(&srv.data_dir).await;
    let name = format!("Mail {}", std::process::id());
    let config = email_config(&svc, svc.port, "starttls", &["me@example.com", "you@example.org"], Some((&svc.user, &svc.password)));
    let t: Value = srv.call("notifications/save", target(&name, "email", config)).await.unwrap();
    let id = t["id"].as_i64().unwrap();
    // The view: the server settings, the login only as flags.
    assert_eq!(t["config_set"]["username"], true);
    assert_eq!(t["config_set"]["password"], true);
    assert_eq!(t["smtp"]["host"], svc.host);
    assert_eq!(t["smtp"]["security"], "starttls");
    assert_eq!(t["smtp"]["to"], json!(["me@example.com", "you@example.org"]));
    assert_eq!(t["destination"], format!("smtp+starttls://{}:{}", svc.host, svc.port));
    for endpoint in ["notifications/list", "notifications/deliveries"] {
        let text = srv.client.get(format!("{}/api/{endpoint}", srv.url)).send().await.unwrap().text().await.unwrap();
        assert!(!text.contains(&svc.password), "{endpoint}: {text}");
    }
    // Sealed in the database: the raw column holds neither the password nor the server.
    let (sealed,): (String,) = sqlx::query_as("SELECT config_enc FROM notification_targets WHERE id = $1").bind(id).fetch_one(&db).await.unwrap();
    assert!(sealed.starts_with("tt1:") && !sealed.contains(&svc.password) && !sealed.contains("example.org"), "{sealed}");
    let opened: Value = serde_json::from_str(&srv.state.keys.open(app::domain::secrets::purpose::NOTIFICATION_CONFIG, &sealed).unwrap()).unwrap();
    assert_eq!(opened["password"], svc.password.as_str());

    let d: Value = srv.call("notifications/test", json!({"id": id})).await.unwrap();
    assert_eq!(d["status"], "sent", "{d}");
    let mail = svc.received(&name).await;
    assert_eq!(mail.header("X-Sink-Tls"), Some("starttls"));
    assert_eq!(mail.header("X-Sink-Login"), Some(svc.user.as_str()));
    assert_eq!(mail.header("X-MailFrom"), Some("tt@example.com"));
    assert_eq!(mail.header("X-RcptTo"), Some("me@example.com, you@example.org"));
    assert_eq!(mail.header("From"), Some("\"Tracker Tracker\" <tt@example.com>"));
    assert_eq!(mail.header("To"), Some("me@example.com, you@example.org"));
    assert_eq!(mail.header("Subject"), Some("[Tracker Tracker] Tracker Tracker test"));
    assert!(mail.header("Date").is_some() && mail.header("Message-ID").is_some());
    let head = format!("This is a test message for the notification target \"{name}\". It works.\n\n-- \nTracker Tracker - event test - ");
    // (Line ends at the end of the stored file are the store's; the message's text ends at the stamp.)
    let stamp = mail.body.trim_end_matches('\n').strip_prefix(&head).unwrap_or_else(|| panic!("{:?}", mail.body));
    // The message's own time, to the second: the delivery is recorded right after it.
    let sent = chrono::NaiveDateTime::parse_from_str(stamp, "%Y-%m-%d %H:%M:%S UTC").unwrap_or_else(|e| panic!("{e}: {stamp:?}")).and_utc();
    let recorded = chrono::DateTime::parse_from_rfc3339(d["sent_at"].as_str().unwrap()).unwrap().with_timezone(&chrono::Utc);
    assert!((recorded - sent).num_seconds().abs() <= 2, "{sent} vs {recorded}");
}

#[tokio::test]
async fn email_over_implicit_tls_and_over_plain_text() {
    let Some(svc) = smtp_service("email_over_implicit_tls_and_over_plain_text") else { return };
    let (_dir, srv) = started().await;
    let tag = std::process::id();
    let tls_name = format!("TLS mail {tag}");
    let config = email_config(&svc, svc.tls_port, "tls", &["tls@example.com"], Some((&svc.user, &svc.password)));
    let t: Value = srv.call("notifications/save", target(&tls_name, "email", config)).await.unwrap();
    let d: Value = srv.call("notifications/test", json!({"id": t["id"]})).await.unwrap();
    assert_eq!(d["status"], "sent");
    let mail = svc.received(&tls_name).await;
    assert_eq!((mail.header("X-Sink-Tls"), mail.header("X-Sink-Login")), (Some("implicit"), Some(svc.user.as_str())));
    assert_eq!(mail.header("X-RcptTo"), Some("tls@example.com"));

    // No encryption, no login: a relay on a trusted network.
    let plain_name = format!("Plain mail {tag}");
    let t: Value = srv
        .call("notifications/save", target(&plain_name, "email", email_config(&svc, svc.port, "none", &["plain@example.com"], None)))
        .await
        .unwrap();
    let d: Value = srv.call("notifications/test", json!({"id": t["id"]})).await.unwrap();
    assert_eq!(d["status"], "sent");
    let mail = svc.received(&plain_name).await;
    assert_eq!((mail.header("X-Sink-Tls"), mail.header("X-Sink-Login")), (Some("none"), Some("")));
}

#[tokio::test]
async fn email_failures_say_what_failed_and_never_carry_the_password() {
    let Some(svc) = smtp_service("email_failures_say_what_failed_and_never_carry_the_password") else { return };
    let (_dir, srv) = started().await;
    let db = raw_db(&srv.data_dir).await;
    let wrong = "Wr0ng-Passw0rd-Never-Shown";
    let tag = std::process::id();
    let (h, p) = (svc.host.as_str(), svc.port);
    // (A STARTTLS client on the implicit-TLS port is not among them: each side waits for the
    // other until the 10 s delivery timeout, too slow for this suite.)
    let cases: Vec<(String, Value, String)> = vec![
        (
            format!("wrong login {tag}"),
            email_config(&svc, p, "starttls", &["me@example.com"], Some((&svc.user, wrong))),
            "the mail server refused the user name or password: 535 5.7.8 Authentication credentials invalid".into(),
        ),
        (
            format!("refused recipient {tag}"),
            email_config(&svc, p, "starttls", &["me@example.com", "refused@example.com"], Some((&svc.user, &svc.password))),
            "the mail server refused the recipient refused@example.com: 550 5.1.1 <refused@example.com>: no such mailbox here; nothing was sent"
                .into(),
        ),
        (
            // The test certificate is for 127.0.0.1 only.
            format!("wrong name {tag}"),
            json!({"smtp": {"host": "localhost", "port": p, "security": "starttls", "from": "tt@example.com", "to": ["me@example.com"]},
                   "username": svc.user, "password": wrong}),
            format!("TLS with localhost:{p} failed: its certificate is not for this host name"),
        ),
        (
            format!("TLS to a plain port {tag}"),
            email_config(&svc, p, "tls", &["me@example.com"], Some((&svc.user, wrong))),
            format!(
                "TLS with {h}:{p} failed: it did not answer in TLS (check the security mode: implicit TLS is usually port 465, STARTTLS port 587)"
            ),
        ),
    ];
    for (name, config, reason) in cases {
        let t: Value = srv.call("notifications/save", target(&name, "email", config)).await.unwrap();
        let e = srv.call::<Value>("notifications/test", json!({"id": t["id"]})).await.unwrap_err();
        assert_eq!(e.status, 502, "{name}: {e:?}");
        let (error,): (Option<String>,) =
            sqlx::query_as("SELECT error FROM notification_deliveries WHERE target_id = $1").bind(t["id"].as_i64()).fetch_one(&db).await.unwrap();
        let error = error.unwrap();
        assert_eq!(error, reason, "{name}");
        assert_eq!(e.message, format!("The test message to \"{name}\" was not delivered: {error}."));
        assert!(!error.contains(wrong) && !error.contains(&svc.password), "{name}: {error}");
        assert_eq!(svc.count(&name), 0, "{name}: nothing stored");
    }
}

#[tokio::test]
async fn bad_email_settings_are_refused_with_the_field_and_change_nothing() {
    // No SMTP server needed: validation happens before anything is sent.
    let (_dir, srv) = started().await;
    let good = json!({"smtp": {"host": "smtp.example.com", "port": 587, "security": "starttls", "from": "tt@example.com", "to": ["me@example.com"]},
                      "username": "tt", "password": "pw"});
    let before: Vec<Value> = srv.get("notifications/list").await.unwrap();
    let with = |f: &dyn Fn(&mut Value)| {
        let mut c = good.clone();
        f(&mut c);
        target("Mail", "email", c)
    };
    let cases: Vec<(Value, &str, &str)> = vec![
        (target("Mail", "email", json!({})), "smtp_host", "Mail server is required."),
        (with(&|c| c["smtp"]["host"] = json!("")), "smtp_host", "Mail server is required."),
        (with(&|c| c["smtp"]["host"] = json!("smtp.example.com:587")), "smtp_host", "Mail server is a name or address only"),
        (
            with(&|c| c["smtp"]["from"] = json!("tt.example.com")),
            "smtp_from",
            "Sender \"tt.example.com\" is not an email address like name@example.com (no @).",
        ),
        (with(&|c| c["smtp"]["to"] = json!(["me@example.com", "you@"])), "smtp_to", "Recipient \"you@\" is not an email address"),
        (with(&|c| c["smtp"]["to"] = json!([])), "smtp_to", "Add at least one recipient."),
        (with(&|c| c["password"] = Value::Null), "password", "Password is required with a user name"),
        (
            with(&|c| c["smtp"]["security"] = json!("none")),
            "smtp_security",
            "A login over an unencrypted connection would send the password in plain text",
        ),
        (target("Slack", "slack", json!({"url": "hooks.slack.com/services/T/B/X"})), "url", "Slack webhook URL must be a web address"),
        (target("Slack", "slack", json!({})), "url", "Slack webhook URL is required."),
    ];
    for (input, field, message) in cases {
        let e = srv.call::<Value>("notifications/save", input).await.unwrap_err();
        assert_eq!(e.status, 400, "{message}: {e:?}");
        assert_eq!(e.field.as_deref(), Some(field), "{message}: {e:?}");
        assert!(e.message.starts_with(message), "{message}: {}", e.message);
    }
    let after: Vec<Value> = srv.get("notifications/list").await.unwrap();
    assert_eq!(before, after);

    // Editing keeps the stored login when only the server changes.
    let t: Value = srv.call("notifications/save", target("Mail", "email", good.clone())).await.unwrap();
    let mut edit = target("Mail", "email", Value::Null);
    edit["input"]["id"] = t["id"].clone();
    edit["input"]["config_update"] =
        json!({"smtp": {"host": "mail.example.net", "port": 465, "security": "tls", "from": "tt@example.com", "to": ["me@example.com"]}});
    let v: Value = srv.call("notifications/save", edit).await.unwrap();
    assert_eq!((v["smtp"]["host"].as_str(), v["config_set"]["password"].as_bool()), (Some("mail.example.net"), Some(true)));
    let (sealed,): (String,) = sqlx::query_as("SELECT config_enc FROM notification_targets WHERE id = $1")
        .bind(t["id"].as_i64())
        .fetch_one(&raw_db(&srv.data_dir).await)
        .await
        .unwrap();
    let opened: Value = serde_json::from_str(&srv.state.keys.open(app::domain::secrets::purpose::NOTIFICATION_CONFIG, &sealed).unwrap()).unwrap();
    assert_eq!((opened["username"].as_str(), opened["password"].as_str()), (Some("tt"), Some("pw")));
}
