//! Delivering notifications: a test message to one target, or an event to every enabled target
//! that asked for it. Each attempt is recorded in `notification_deliveries` ('sent' / 'failed'
//! with a reason). Reasons never carry the target's secrets: web addresses are cut to scheme and
//! host, and tokens are scrubbed from anything a receiver answers.
//!
//! Per type, by its documented HTTP API:
//! - generic webhook: POST of JSON `{"event","title","message","sent_at","app":"tracker-tracker"}`;
//! - Discord: POST of a webhook message `{"username","content","allowed_mentions"}`;
//! - Slack: POST of an incoming-webhook message `{"text"}` (mrkdwn, `&`, `<`, `>` escaped as Slack
//!   asks), which Slack answers `200 ok`;
//! - Telegram: `POST {api}/bot<token>/sendMessage` with `{"chat_id","text"}`;
//! - Gotify: `POST {url}/message` with the app token in `X-Gotify-Key`, JSON `{title,message,priority}`;
//! - ntfy: `POST {url}/{topic}`, the message as the body, `Title` header, optional Bearer token;
//! - email: one plain-text message over SMTP (`domain::smtp`), subject `[Tracker Tracker] {title}`.

use super::notifications::{self, redact_url, NotificationError, StoredTarget};
use super::smtp;
use super::time::to_db;
use super::AppState;
use chrono::{DateTime, Utc};
use reqwest::Url;
use std::time::Duration;
use tt_core::model::notifications::{Delivery, TargetConfig};

/// How long one delivery may take, connection included.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// The event name of test messages.
pub const TEST_EVENT: &str = "test";
const DEFAULT_TELEGRAM_API: &str = "https://api.telegram.org";

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("There is no notification target with id {0}.")]
    NotFound(i64),
    /// The attempt failed and was recorded as 'failed' with `reason`.
    #[error("Could not deliver to {target:?}: {reason}")]
    Failed { target_id: i64, target: String, reason: String },
    #[error(transparent)]
    Store(NotificationError),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}

impl From<NotificationError> for NotifyError {
    fn from(e: NotificationError) -> Self {
        match e {
            NotificationError::NotFound(id) => NotifyError::NotFound(id),
            NotificationError::Db(db) => NotifyError::Db(db),
            other => NotifyError::Store(other),
        }
    }
}

/// What is sent.
#[derive(Debug, Clone)]
pub struct Message<'a> {
    pub event: &'a str,
    pub title: &'a str,
    pub message: &'a str,
    pub sent_at: DateTime<Utc>,
}

/// Sends a test message to one target, whether or not it (or notifications as a whole) is
/// enabled: the person asked for it. The attempt is recorded either way.
pub async fn send_test(state: &AppState, target_id: i64) -> Result<Delivery, NotifyError> {
    let target = notifications::stored_target(state, target_id).await?;
    let http = http_client();
    let msg = Message {
        event: TEST_EVENT,
        title: "Tracker Tracker test",
        message: &format!("This is a test message for the notification target \"{}\". It works.", target.settings.name),
        sent_at: state.now(),
    };
    deliver_and_record(state, http.as_ref(), &target, &msg).await
}

/// Sends an event to every enabled target whose events include it. Nothing is sent when
/// notifications are turned off in Settings → General. One result per target tried.
pub async fn send_event(state: &AppState, event: &str, title: &str, message: &str) -> Vec<Result<Delivery, NotifyError>> {
    send_event_for(state, event, None, title, message).await
}

/// Like `send_event`, about one tracker: targets limited to other trackers are skipped.
pub async fn send_event_for(
    state: &AppState,
    event: &str,
    tracker_id: Option<i64>,
    title: &str,
    message: &str,
) -> Vec<Result<Delivery, NotifyError>> {
    match super::settings::load(&state.db).await {
        Ok(s) if !s.notifications_enabled => return Vec::new(),
        Ok(_) => {}
        Err(e) => return vec![Err(NotifyError::Db(e))],
    }
    let targets = match notifications::stored_targets(state).await {
        Ok(t) => t,
        Err(e) => return vec![Err(e.into())],
    };
    let chosen: Vec<StoredTarget> = targets
        .into_iter()
        .filter(|t| t.settings.enabled && t.settings.events.iter().any(|e| e == event))
        .filter(|t| match (tracker_id, &t.settings.tracker_ids) {
            (Some(id), Some(ids)) => ids.contains(&id),
            _ => true,
        })
        .collect();
    if chosen.is_empty() {
        return Vec::new();
    }
    let http = http_client();
    let msg = Message { event, title, message, sent_at: state.now() };
    let jobs = chosen.iter().map(|t| deliver_and_record(state, http.as_ref(), t, &msg));
    futures::future::join_all(jobs).await
}

/// One attempt: open the settings, send, record the outcome.
async fn deliver_and_record(
    state: &AppState,
    http: Result<&reqwest::Client, &String>,
    target: &StoredTarget,
    msg: &Message<'_>,
) -> Result<Delivery, NotifyError> {
    let outcome = async {
        let http = http.map_err(Clone::clone)?;
        let config = target
            .open_config(state)
            .map_err(|e| format!("its delivery settings could not be read ({e}); edit the target and enter them again"))?
            .ok_or_else(|| "it has no delivery settings; edit the target and fill them in".to_string())?;
        let config = config.validate_for(&target.settings.target_type).map_err(|e| format!("its delivery settings are not valid ({})", e.message))?;
        deliver(http, &target.settings.target_type, &config, msg).await
    }
    .await;
    let delivery = notifications::record_delivery(state, target.id, msg.event, outcome.as_ref().err().map(String::as_str)).await;
    match (outcome, delivery) {
        (Ok(()), Ok(d)) => Ok(d),
        (Err(reason), Ok(_)) => {
            tracing::warn!("notification {:?} to target {} ({:?}) failed: {reason}", msg.event, target.id, target.settings.name);
            Err(NotifyError::Failed { target_id: target.id, target: target.settings.name.clone(), reason })
        }
        (_, Err(e)) => {
            tracing::error!("could not record a notification delivery to target {}: {e}", target.id);
            Err(e.into())
        }
    }
}

/// The HTTP client for deliveries: a timeout, and redirects followed only within the same host.
fn http_client() -> Result<reqwest::Client, String> {
    let policy = reqwest::redirect::Policy::custom(|attempt| {
        let same_origin = attempt.previous().first().is_some_and(|first| {
            first.scheme() == attempt.url().scheme()
                && first.host_str() == attempt.url().host_str()
                && first.port_or_known_default() == attempt.url().port_or_known_default()
        });
        if attempt.previous().len() > 5 {
            attempt.error("too many redirects")
        } else if same_origin {
            attempt.follow()
        } else {
            attempt.stop()
        }
    });
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT)
        .redirect(policy)
        .user_agent(concat!("tracker-tracker/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("the HTTP client could not start ({})", e.without_url()))
}

fn host_port(u: &Url) -> String {
    let host = u.host_str().unwrap_or("?");
    match u.port_or_known_default() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }
}

/// Parses a configured address and appends path segments (percent-encoded).
fn endpoint(base: &str, segments: &[&str]) -> Result<Url, String> {
    let mut u = Url::parse(base.trim()).map_err(|_| format!("{} is not a valid web address", redact_url(base)))?;
    if !segments.is_empty() {
        let mut path = u.path_segments_mut().map_err(|_| format!("{} cannot take a path", redact_url(base)))?;
        path.pop_if_empty();
        path.extend(segments);
    }
    Ok(u)
}

fn truncate(s: &str, max_chars: usize) -> String {
    if s.chars().count() <= max_chars {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max_chars.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// A header value for possibly non-ASCII text (RFC 2047 encoded-word when needed).
fn header_text(s: &str) -> String {
    use base64::Engine;
    let clean: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if clean.is_ascii() {
        clean
    } else {
        format!("=?UTF-8?B?{}?=", base64::engine::general_purpose::STANDARD.encode(clean.as_bytes()))
    }
}

/// Slack's mrkdwn needs these three escaped (https://api.slack.com/reference/surfaces/formatting).
fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// The email a message becomes: its subject and plain-text body.
pub fn email_text(msg: &Message<'_>) -> (String, String) {
    let subject = format!("[Tracker Tracker] {}", msg.title);
    let body = format!("{}\n\n-- \nTracker Tracker - event {} - {}\n", msg.message, msg.event, msg.sent_at.format("%Y-%m-%d %H:%M:%S UTC"));
    (subject, body)
}

async fn deliver_email(config: &TargetConfig, msg: &Message<'_>) -> Result<(), String> {
    let server = config.smtp.as_ref().ok_or_else(|| "it has no mail server; edit the target and fill it in".to_string())?;
    let login = match (&config.username, &config.password) {
        (Some(username), Some(password)) => Some(smtp::Login { username, password }),
        _ => None,
    };
    let (subject, body) = email_text(msg);
    let email = smtp::Email { subject: &subject, body: &body, date: msg.sent_at.into() };
    smtp::send(server, login, &email, TIMEOUT).await.map_err(|e| e.to_string())
}

/// Sends one message; Err carries a reason without secrets.
pub async fn deliver(http: &reqwest::Client, target_type: &str, config: &TargetConfig, msg: &Message<'_>) -> Result<(), String> {
    let url_of = |c: &TargetConfig| c.url.clone().unwrap_or_default();
    let (label, request, shown) = match target_type {
        "email" => return deliver_email(config, msg).await,
        "slack" => {
            let url = endpoint(&url_of(config), &[])?;
            let text = truncate(&format!("*{}*\n{}", slack_escape(msg.title), slack_escape(msg.message)), 3000);
            ("Slack", http.post(url.clone()).json(&serde_json::json!({ "text": text })), url)
        }
        "webhook" => {
            let url = endpoint(&url_of(config), &[])?;
            let body = serde_json::json!({
                "event": msg.event,
                "title": msg.title,
                "message": msg.message,
                "sent_at": to_db(msg.sent_at),
                "app": "tracker-tracker",
            });
            ("the webhook", http.post(url.clone()).json(&body), url)
        }
        "discord" => {
            let url = endpoint(&url_of(config), &[])?;
            let content = truncate(&format!("**{}**\n{}", msg.title, msg.message), 2000);
            let body = serde_json::json!({
                "username": "Tracker Tracker",
                "content": content,
                "allowed_mentions": { "parse": [] },
            });
            ("Discord", http.post(url.clone()).json(&body), url)
        }
        "telegram" => {
            let token = config.token.as_deref().unwrap_or_default();
            let base = config.url.as_deref().unwrap_or(DEFAULT_TELEGRAM_API);
            let url = endpoint(base, &[&format!("bot{token}"), "sendMessage"])?;
            let body = serde_json::json!({
                "chat_id": config.chat_id.as_deref().unwrap_or_default(),
                "text": truncate(&format!("{}\n\n{}", msg.title, msg.message), 4000),
                "disable_web_page_preview": true,
            });
            ("Telegram", http.post(url.clone()).json(&body), url)
        }
        "gotify" => {
            let url = endpoint(&url_of(config), &["message"])?;
            let body = serde_json::json!({ "title": msg.title, "message": msg.message, "priority": 5 });
            let req = http.post(url.clone()).header("X-Gotify-Key", config.token.as_deref().unwrap_or_default()).json(&body);
            ("Gotify", req, url)
        }
        "ntfy" => {
            let url = endpoint(&url_of(config), &[config.topic.as_deref().unwrap_or_default()])?;
            let mut req =
                http.post(url.clone()).header("Title", header_text(msg.title)).header("Tags", header_text(msg.event)).body(msg.message.to_string());
            if let Some(token) = config.token.as_deref() {
                req = req.bearer_auth(token);
            }
            ("ntfy", req, url)
        }
        other => return Err(format!("unknown target type {other:?}")),
    };
    let secrets = secret_parts(config, &shown);
    let res = request.send().await.map_err(|e| describe_send_error(&e, &shown, &secrets))?;
    let status = res.status();
    if status.is_success() {
        return Ok(());
    }
    if status.is_redirection() {
        return Err(format!("HTTP {} from {label}: it redirects elsewhere, and redirects to another host are not followed", status.as_u16()));
    }
    let body = read_start(res, 4096).await;
    let snippet = scrub(&truncate(body.trim(), 200), &secrets);
    let snippet: String = snippet.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if snippet.is_empty() {
        Err(format!("HTTP {} from {label}", status.as_u16()))
    } else {
        Err(format!("HTTP {} from {label}: {snippet}", status.as_u16()))
    }
}

/// Values that must not appear in a reason: tokens, the full address, its path and query.
fn secret_parts(config: &TargetConfig, url: &Url) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |s: &str| {
        if s.len() >= 4 && !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    };
    if let Some(t) = &config.token {
        add(t);
    }
    if let Some(u) = &config.url {
        add(u.trim());
    }
    add(url.as_str());
    if url.path() != "/" {
        add(url.path());
    }
    if let Some(q) = url.query() {
        add(q);
    }
    if let Some(p) = url.password() {
        add(p);
    }
    for seg in url.path_segments().into_iter().flatten() {
        if seg.len() >= 16 {
            add(seg);
        }
    }
    // Longest first, so a value containing another is removed whole.
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out
}

fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for s in secrets {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), "[redacted]");
        }
    }
    out
}

/// Up to `max` bytes of a response body, as text.
async fn read_start(mut res: reqwest::Response, max: usize) -> String {
    let mut buf: Vec<u8> = Vec::new();
    while buf.len() < max {
        match res.chunk().await {
            Ok(Some(c)) => buf.extend_from_slice(&c),
            _ => break,
        }
    }
    buf.truncate(max);
    String::from_utf8_lossy(&buf).into_owned()
}

/// A sentence about a failed request, without the URL reqwest would print.
fn describe_send_error(e: &reqwest::Error, url: &Url, secrets: &[String]) -> String {
    let place = host_port(url);
    let innermost = {
        let mut src: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
        let mut last: Option<&(dyn std::error::Error + 'static)> = None;
        let mut io_kind = None;
        while let Some(s) = src {
            if let Some(io) = s.downcast_ref::<std::io::Error>() {
                io_kind = Some(io.kind());
            }
            last = Some(s);
            src = s.source();
        }
        (last.map(|l| scrub(&l.to_string(), secrets)), io_kind)
    };
    match innermost {
        _ if e.is_timeout() => format!("no answer from {place} within {} s", TIMEOUT.as_secs()),
        (_, Some(std::io::ErrorKind::ConnectionRefused)) => format!("connection refused by {place}"),
        _ if e.is_redirect() => format!("too many redirects from {place}"),
        (Some(inner), _) if e.is_connect() => format!("could not connect to {place}: {inner}"),
        (Some(inner), _) => format!("the request to {place} failed: {inner}"),
        (None, _) if e.is_connect() => format!("could not connect to {place}"),
        (None, _) => format!("the request to {place} failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;
    use tt_core::model::notifications::{TargetInput, TargetSettings, Thresholds};

    /// A one-request HTTP receiver: answers `status` with `body`, hands back the raw request.
    async fn receiver(status: u16, body: &'static str) -> (String, tokio::task::JoinHandle<String>) {
        receiver_with(status, String::new(), body).await
    }

    async fn receiver_with(status: u16, extra_headers: String, body: &'static str) -> (String, tokio::task::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            loop {
                let n = sock.read(&mut chunk).await.unwrap();
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf).to_string();
                if let Some(end) = text.find("\r\n\r\n") {
                    let len = text[..end]
                        .lines()
                        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap()))
                        .unwrap_or(0);
                    if buf.len() >= end + 4 + len {
                        break;
                    }
                }
            }
            let reply = format!("HTTP/1.1 {status} X\r\n{extra_headers}content-length: {}\r\nconnection: close\r\n\r\n{body}", body.len());
            sock.write_all(reply.as_bytes()).await.unwrap();
            String::from_utf8_lossy(&buf).to_string()
        });
        (format!("http://{addr}"), task)
    }

    async fn target(state: &AppState, target_type: &str, config: TargetConfig, events: &[&str]) -> i64 {
        let input = TargetInput {
            id: None,
            settings: TargetSettings {
                name: format!("{target_type} target"),
                target_type: target_type.into(),
                enabled: true,
                events: events.iter().map(|e| e.to_string()).collect(),
                thresholds: Thresholds::default(),
                tracker_ids: None,
            },
            config: Some(config),
            config_update: None,
        };
        notifications::save(state, &input).await.unwrap().id
    }

    fn msg() -> Message<'static> {
        Message { event: "backup_failed", title: "Backup failed", message: "Disk full", sent_at: Utc::now() }
    }

    #[tokio::test]
    async fn each_type_sends_its_documented_request() {
        let http = http_client().unwrap();
        let cases: Vec<(&str, TargetConfig, &str, &[&str])> = vec![
            (
                "webhook",
                TargetConfig { url: Some("/hooks/abc?k=1".into()), ..Default::default() },
                "POST /hooks/abc?k=1 ",
                &["\"app\":\"tracker-tracker\"", "\"event\":\"backup_failed\"", "\"message\":\"Disk full\"", "\"sent_at\":"],
            ),
            (
                "discord",
                TargetConfig { url: Some("/api/webhooks/1/tok".into()), ..Default::default() },
                "POST /api/webhooks/1/tok ",
                &["\"content\":\"**Backup failed**\\nDisk full\"", "\"username\":\"Tracker Tracker\""],
            ),
            (
                "slack",
                TargetConfig { url: Some("/services/T0/B0/xyz".into()), ..Default::default() },
                "POST /services/T0/B0/xyz ",
                &["\r\n\r\n{\"text\":\"*Backup failed*\\nDisk full\"}"],
            ),
            (
                "telegram",
                TargetConfig { url: Some("".into()), token: Some("123:ABC".into()), chat_id: Some("42".into()), ..Default::default() },
                "POST /bot123:ABC/sendMessage ",
                &["\"chat_id\":\"42\"", "\"text\":\"Backup failed\\n\\nDisk full\""],
            ),
            (
                "gotify",
                TargetConfig { url: Some("/gotify/".into()), token: Some("AppTok".into()), ..Default::default() },
                "POST /gotify/message ",
                &["x-gotify-key: AppTok", "\"priority\":5", "\"title\":\"Backup failed\""],
            ),
            (
                "ntfy",
                TargetConfig { url: Some("".into()), topic: Some("my topic".into()), token: Some("tk_1".into()), ..Default::default() },
                "POST /my%20topic ",
                &["title: Backup failed", "authorization: Bearer tk_1", "\r\n\r\nDisk full"],
            ),
        ];
        for (kind, mut config, first_line, parts) in cases {
            let (base, task) = receiver(200, "ok").await;
            let u = config.url.take().unwrap_or_default();
            config.url = Some(format!("{base}{u}"));
            deliver(&http, kind, &config, &msg()).await.unwrap_or_else(|e| panic!("{kind}: {e}"));
            let req = task.await.unwrap();
            let lower = req.to_ascii_lowercase();
            assert!(req.starts_with(first_line), "{kind}: {req}");
            for p in parts {
                assert!(req.contains(p) || lower.contains(&p.to_ascii_lowercase()), "{kind}: {p} not in {req}");
            }
        }
    }

    #[tokio::test]
    async fn slack_text_is_escaped_as_slack_asks() {
        let http = http_client().unwrap();
        let (base, task) = receiver(200, "ok").await;
        let config = TargetConfig { url: Some(format!("{base}/services/T/B/X")), ..Default::default() };
        let m = Message { event: "test", title: "<!channel> & co", message: "ratio < 1 > 0", sent_at: Utc::now() };
        deliver(&http, "slack", &config, &m).await.unwrap();
        let req = task.await.unwrap();
        let body = &req[req.find("\r\n\r\n").unwrap() + 4..];
        assert_eq!(body, r#"{"text":"*&lt;!channel&gt; &amp; co*\nratio &lt; 1 &gt; 0"}"#);
    }

    #[test]
    fn email_subject_and_body() {
        let m = Message { event: "backup_failed", title: "Backup failed", message: "Disk full", sent_at: "2026-01-02T03:04:05Z".parse().unwrap() };
        let (subject, body) = email_text(&m);
        assert_eq!(subject, "[Tracker Tracker] Backup failed");
        assert_eq!(body, "Disk full\n\n-- \nTracker Tracker - event backup_failed - 2026-01-02 03:04:05 UTC\n");
    }

    #[tokio::test]
    async fn failures_are_clear_and_without_secrets() {
        let http = http_client().unwrap();
        // Receiver down: a port that was bound then released.
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let config = TargetConfig { url: Some(format!("http://127.0.0.1:{port}/hook/s3cr3t-path-token")), ..Default::default() };
        let e = deliver(&http, "webhook", &config, &msg()).await.unwrap_err();
        assert_eq!(e, format!("connection refused by 127.0.0.1:{port}"));

        // A 500 whose body echoes the secret path.
        let (base, _task) = receiver(500, "boom at /hook/s3cr3t-path-token, try later").await;
        let config = TargetConfig { url: Some(format!("{base}/hook/s3cr3t-path-token")), ..Default::default() };
        let e = deliver(&http, "webhook", &config, &msg()).await.unwrap_err();
        assert!(e.starts_with("HTTP 500 from the webhook: boom at [redacted]"), "{e}");
        assert!(!e.contains("s3cr3t"));

        // Telegram's token sits in the path; it never shows.
        let (base, _task) = receiver(401, "{\"ok\":false,\"description\":\"Unauthorized\"}").await;
        let config = TargetConfig { url: Some(base), token: Some("999:SECRETTOKEN".into()), chat_id: Some("1".into()), ..Default::default() };
        let e = deliver(&http, "telegram", &config, &msg()).await.unwrap_err();
        assert!(e.starts_with("HTTP 401 from Telegram"), "{e}");
        assert!(!e.contains("SECRETTOKEN"));

        assert_eq!(redact_url("https://discord.com/api/webhooks/1/abc?x=y"), "https://discord.com");
        assert_eq!(redact_url("http://user:pw@127.0.0.1:9999/x"), "http://127.0.0.1:9999");
    }

    #[tokio::test]
    async fn redirects_to_another_host_are_not_followed() {
        let http = http_client().unwrap();
        let (elsewhere, _unused) = receiver(200, "ok").await;
        let (base, task) = receiver_with(302, format!("location: {elsewhere}/stolen\r\n"), "").await;
        let config = TargetConfig { url: Some(format!("{base}/hook")), ..Default::default() };
        let e = deliver(&http, "webhook", &config, &msg()).await.unwrap_err();
        assert!(e.starts_with("HTTP 302 from the webhook"), "{e}");
        assert!(task.await.unwrap().starts_with("POST /hook "));
    }

    #[tokio::test]
    async fn tracker_events_skip_targets_limited_to_other_trackers() {
        let (state, _dir) = testing::state().await;
        for name in ["A", "B"] {
            sqlx::query(
                "INSERT INTO trackers (name, base_url, platform, created_at, updated_at) VALUES ($1, 'https://t.example', 'unit3d', 'x', 'x')",
            )
            .bind(name)
            .execute(&state.db)
            .await
            .unwrap();
        }
        let url = Some("http://127.0.0.1:9/x".to_string());
        let all = target(&state, "webhook", TargetConfig { url: url.clone(), ..Default::default() }, &["tracker_down"]).await;
        let only_a = target(&state, "webhook", TargetConfig { url, ..Default::default() }, &["tracker_down"]).await;
        sqlx::query("UPDATE notification_targets SET tracker_ids = '[1]' WHERE id = $1").bind(only_a).execute(&state.db).await.unwrap();
        let tried = |results: Vec<Result<Delivery, NotifyError>>| -> Vec<i64> {
            let mut ids: Vec<i64> = results
                .into_iter()
                .map(|r| match r {
                    Err(NotifyError::Failed { target_id, .. }) => target_id,
                    other => panic!("{other:?}"),
                })
                .collect();
            ids.sort();
            ids
        };
        assert_eq!(tried(send_event_for(&state, "tracker_down", Some(2), "B down", "x").await), vec![all]);
        assert_eq!(tried(send_event_for(&state, "tracker_down", Some(1), "A down", "x").await), vec![all, only_a]);
        assert_eq!(tried(send_event(&state, "tracker_down", "?", "x").await), vec![all, only_a]);
    }

    #[tokio::test]
    async fn send_test_and_events_record_every_attempt() {
        let (state, _dir) = testing::state().await;
        let (base, task) = receiver(204, "").await;
        let ok = target(&state, "webhook", TargetConfig { url: Some(format!("{base}/in")), ..Default::default() }, &["backup_failed"]).await;
        let d = send_test(&state, ok).await.unwrap();
        assert_eq!((d.status.as_str(), d.event.as_str()), ("sent", "test"));
        assert!(task.await.unwrap().contains("\"event\":\"test\""));

        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let down =
            target(&state, "webhook", TargetConfig { url: Some(format!("http://127.0.0.1:{port}/t0ken")), ..Default::default() }, &["backup_failed"])
                .await;
        match send_test(&state, down).await {
            Err(NotifyError::Failed { reason, .. }) => assert_eq!(reason, format!("connection refused by 127.0.0.1:{port}")),
            other => panic!("{other:?}"),
        }
        let _other =
            target(&state, "webhook", TargetConfig { url: Some(format!("http://127.0.0.1:{port}/x")), ..Default::default() }, &["ratio_drop"]).await;

        // An event goes to the targets that asked for it only.
        let (base2, task2) = receiver(200, "ok").await;
        sqlx::query("UPDATE notification_targets SET config_enc = $1 WHERE id = $2")
            .bind(state.keys.seal(crate::secrets::purpose::NOTIFICATION_CONFIG, &format!("{{\"url\":\"{base2}/in\"}}")).unwrap())
            .bind(ok)
            .execute(&state.db)
            .await
            .unwrap();
        let results = send_event(&state, "backup_failed", "Backup failed", "Disk full").await;
        assert_eq!(results.len(), 2);
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
        assert!(task2.await.unwrap().contains("\"message\":\"Disk full\""));
        assert!(send_event(&state, "anniversary", "x", "y").await.is_empty());

        let rows: Vec<(i64, String, String, Option<String>)> =
            sqlx::query_as("SELECT target_id, event, status, error FROM notification_deliveries ORDER BY id").fetch_all(&state.db).await.unwrap();
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0], (ok, "test".into(), "sent".into(), None));
        assert_eq!(rows[1].2, "failed");
        assert!(rows[1].3.as_deref().unwrap().contains("connection refused"));
        assert!(rows.iter().all(|r| !r.3.as_deref().unwrap_or("").contains("t0ken")));

        // Notifications turned off: nothing is sent, nothing recorded.
        sqlx::query("UPDATE app_settings SET notifications_enabled = 0").execute(&state.db).await.unwrap();
        assert!(send_event(&state, "backup_failed", "x", "y").await.is_empty());
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM notification_deliveries").fetch_one(&state.db).await.unwrap();
        assert_eq!(n, 4);
        assert!(matches!(send_test(&state, 9999).await, Err(NotifyError::NotFound(9999))));
    }
}
