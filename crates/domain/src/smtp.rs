//! Sending one email through an SMTP server, with lettre's connection driven step by step so a
//! failure says which step failed: connect (plain, or implicit TLS), STARTTLS (required when
//! chosen), log in (PLAIN or LOGIN), MAIL FROM, RCPT TO for each recipient, DATA.
//!
//! Server certificates are checked against the system's roots through rustls-native-certs, which
//! honours `SSL_CERT_FILE` / `SSL_CERT_DIR` (how a private CA is trusted); when the system has no
//! roots at all, against the Mozilla roots webpki-roots carries. lettre's `tracing` feature stays
//! off: it would log every command written, the AUTH line with the password included.
//!
//! Failures are `SmtpFailure`, whose sentences never carry the password or the user name (a
//! server's answer is scrubbed of both before it is quoted).

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, CertificateStore, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::ClientId;
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};
use tt_core::model::notifications::{SmtpSecurity, SmtpServer};

/// The login, when the server needs one.
pub struct Login<'a> {
    pub username: &'a str,
    pub password: &'a str,
}

/// One email.
pub struct Email<'a> {
    pub subject: &'a str,
    pub body: &'a str,
    pub date: SystemTime,
}

/// The step a failure happened in (said in timeouts and broken conversations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Connect,
    StartTls,
    Login,
    Sender,
    Recipient,
    Message,
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Step::Connect => "connecting",
            Step::StartTls => "starting TLS",
            Step::Login => "logging in",
            Step::Sender => "giving the sender",
            Step::Recipient => "giving the recipients",
            Step::Message => "sending the message",
        })
    }
}

/// What went wrong, as said to people (history, "Send test"). `place` is "host:port".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmtpFailure {
    #[error("the sender address {0:?} is not accepted by the mail library")]
    BadSender(String),
    #[error("the recipient address {0:?} is not accepted by the mail library")]
    BadRecipient(String),
    #[error("the message could not be built ({0})")]
    Build(String),
    #[error("could not find the mail server {host} ({detail})")]
    Resolve { host: String, detail: String },
    #[error("connection refused by {place}")]
    Refused { place: String },
    #[error("no answer from {place} within {secs} s (while {step})")]
    Timeout { place: String, secs: u64, step: Step },
    #[error("could not connect to {place}: {detail}")]
    Connect { place: String, detail: String },
    #[error("TLS with {place} failed: {detail}")]
    Tls { place: String, detail: String },
    #[error("{place} does not offer STARTTLS: choose TLS (usually port 465), or no encryption for a server on a trusted network")]
    NoStartTls { place: String },
    #[error("{place} refused the connection: {code} {text}")]
    Greeting { place: String, code: String, text: String },
    #[error("{place} offers no login method this app has (PLAIN or LOGIN); if it needs no login, remove the user name and password")]
    NoLoginMethod { place: String },
    #[error("the mail server refused the user name or password: {code} {text}")]
    LoginRefused { code: String, text: String },
    #[error("the mail server refused the sender {address}: {code} {text}")]
    SenderRefused { address: String, code: String, text: String },
    #[error("the mail server refused the recipient {address}: {code} {text}; nothing was sent")]
    RecipientRefused { address: String, code: String, text: String },
    #[error("the mail server refused the message: {code} {text}")]
    MessageRefused { code: String, text: String },
    #[error("the conversation with {place} broke off while {step}: {detail}")]
    Broken { place: String, step: Step, detail: String },
}

/// Sends `email` from `server.from` to every `server.to`, the whole attempt within `timeout`.
pub async fn send(server: &SmtpServer, login: Option<Login<'_>>, email: &Email<'_>, timeout: Duration) -> Result<(), SmtpFailure> {
    let scrub = Scrub::of(login.as_ref());
    let place = place(server);
    let from: Mailbox = server.from.parse().map_err(|_| SmtpFailure::BadSender(server.from.clone()))?;
    let mut to: Vec<Mailbox> = Vec::with_capacity(server.to.len());
    for t in &server.to {
        to.push(t.parse().map_err(|_| SmtpFailure::BadRecipient(t.clone()))?);
    }
    let mut builder =
        lettre::Message::builder().from(from.clone()).subject(email.subject).date(email.date).message_id(None).header(ContentType::TEXT_PLAIN);
    for t in &to {
        builder = builder.to(t.clone());
    }
    let message = builder.body(email.body.to_string()).map_err(|e| SmtpFailure::Build(e.to_string()))?.formatted();

    let mut step = Step::Connect;
    let conversation = converse(server, login, &from, &to, &message, &place, &scrub, &mut step, timeout);
    match tokio::time::timeout(timeout, conversation).await {
        Ok(r) => r,
        Err(_) => Err(SmtpFailure::Timeout { place, secs: timeout.as_secs(), step }),
    }
}

#[allow(clippy::too_many_arguments)]
async fn converse(
    server: &SmtpServer,
    login: Option<Login<'_>>,
    from: &Mailbox,
    to: &[Mailbox],
    message: &[u8],
    place: &str,
    scrub: &Scrub,
    step: &mut Step,
    timeout: Duration,
) -> Result<(), SmtpFailure> {
    // Resolved here, so a name that does not resolve is said as such (lettre would fold it into
    // a connection error).
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((server.host.as_str(), server.port))
        .await
        .map_err(|e| SmtpFailure::Resolve { host: server.host.clone(), detail: e.to_string() })?
        .collect();
    if addrs.is_empty() {
        return Err(SmtpFailure::Resolve { host: server.host.clone(), detail: "it has no address".into() });
    }
    let hello = ClientId::default();
    let early = scrub.before_login();
    let implicit = match server.security {
        SmtpSecurity::Tls => Some(tls_parameters(&server.host, place)?),
        _ => None,
    };
    let mut conn = AsyncSmtpConnection::connect_tokio1(&addrs[..], Some(timeout), &hello, implicit, None)
        .await
        .map_err(|e| connect_failure(&e, place, &early, server.security == SmtpSecurity::Tls, timeout))?;
    let result = async {
        if server.security == SmtpSecurity::Starttls {
            *step = Step::StartTls;
            if !conn.can_starttls() {
                return Err(SmtpFailure::NoStartTls { place: place.to_string() });
            }
            let params = tls_parameters(&server.host, place)?;
            conn.starttls(params, &hello).await.map_err(|e| match reply(&e, &early) {
                Some((code, text)) => SmtpFailure::Broken { place: place.to_string(), step: Step::StartTls, detail: format!("{code} {text}") },
                None => SmtpFailure::Tls { place: place.to_string(), detail: tls_detail(&e, &early) },
            })?;
        }
        if let Some(l) = &login {
            *step = Step::Login;
            let mechanisms = [Mechanism::Plain, Mechanism::Login];
            if conn.server_info().get_auth_mechanism(&mechanisms).is_none() {
                return Err(SmtpFailure::NoLoginMethod { place: place.to_string() });
            }
            let credentials = Credentials::new(l.username.to_string(), l.password.to_string());
            conn.auth(&mechanisms, &credentials).await.map_err(|e| match reply(&e, scrub) {
                Some((code, text)) => SmtpFailure::LoginRefused { code, text },
                None => broken(&e, place, Step::Login, scrub),
            })?;
        }
        *step = Step::Sender;
        conn.command(Mail::new(Some(from.email.clone()), vec![])).await.map_err(|e| match reply(&e, scrub) {
            Some((code, text)) => SmtpFailure::SenderRefused { address: from.email.to_string(), code, text },
            None => broken(&e, place, Step::Sender, scrub),
        })?;
        *step = Step::Recipient;
        for t in to {
            conn.command(Rcpt::new(t.email.clone(), vec![])).await.map_err(|e| match reply(&e, scrub) {
                Some((code, text)) => SmtpFailure::RecipientRefused { address: t.email.to_string(), code, text },
                None => broken(&e, place, Step::Recipient, scrub),
            })?;
        }
        *step = Step::Message;
        let refused = |e: lettre::transport::smtp::Error| match reply(&e, scrub) {
            Some((code, text)) => SmtpFailure::MessageRefused { code, text },
            None => broken(&e, place, Step::Message, scrub),
        };
        conn.command(Data).await.map_err(refused)?;
        conn.message(message).await.map_err(refused)?;
        Ok(())
    }
    .await;
    match &result {
        // The message is accepted: a failed QUIT changes nothing.
        Ok(()) => {
            let _ = conn.quit().await;
        }
        // A failed TLS upgrade leaves lettre's stream empty: writing a QUIT to it would panic
        // (a debug assertion) or fail; the connection is only dropped.
        Err(SmtpFailure::Tls { .. }) => {}
        Err(_) => conn.abort().await,
    }
    result
}

/// "host:port", an IPv6 address in brackets.
pub fn place(server: &SmtpServer) -> String {
    if server.host.contains(':') {
        format!("[{}]:{}", server.host, server.port)
    } else {
        format!("{}:{}", server.host, server.port)
    }
}

/// TLS settings for `host`: the system's roots, or the bundled ones when the system has none.
fn tls_parameters(host: &str, place: &str) -> Result<TlsParameters, SmtpFailure> {
    let store = if system_has_roots() { CertificateStore::Default } else { CertificateStore::WebpkiRoots };
    TlsParameters::builder(host.to_string())
        .certificate_store(store)
        .build_rustls()
        .map_err(|e| SmtpFailure::Tls { place: place.to_string(), detail: e.to_string() })
}

/// Whether the system (or SSL_CERT_FILE / SSL_CERT_DIR) gives any root certificate; read once.
fn system_has_roots() -> bool {
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| {
        let found = rustls_native_certs::load_native_certs();
        if found.certs.is_empty() {
            tracing::warn!("no system root certificates found; email TLS uses the bundled Mozilla roots");
        }
        !found.certs.is_empty()
    })
}

/// Removes the login from text a server sent: the user name and password as typed and as the
/// AUTH commands carried them (base64). A password too short to find safely (under
/// `Scrub::SHORTEST` characters: "ab" is in many words) cannot be removed, so then the server's
/// words after the login was sent are left out entirely and only the typed failure is said. A
/// short user name is no secret (it is in the sender address and the server's own records): it
/// is only not searched for.
struct Scrub {
    parts: Vec<String>,
    /// The password is too short to search for: text that may quote it is left out.
    short_password: bool,
}

impl Scrub {
    const SHORTEST: usize = 4;
    const LEFT_OUT: &'static str = "(the server's own words are left out: they could contain the login)";

    fn of(login: Option<&Login<'_>>) -> Scrub {
        use base64::Engine;
        let Some(l) = login else { return Scrub { parts: Vec::new(), short_password: false } };
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let plain = b64(&format!("\0{}\0{}", l.username, l.password));
        let mut parts = vec![l.password.to_string(), b64(l.password), plain];
        if l.username.chars().count() >= Self::SHORTEST {
            parts.extend([l.username.to_string(), b64(l.username)]);
        }
        let short_password = !l.password.is_empty() && l.password.chars().count() < Self::SHORTEST;
        Scrub { parts, short_password }
    }

    /// For text the server sent before the login went out (connecting, STARTTLS): it cannot
    /// hold the password, so a short one hides nothing there.
    fn before_login(&self) -> Scrub {
        Scrub { parts: self.parts.clone(), short_password: false }
    }

    fn apply(&self, text: &str) -> String {
        if self.short_password {
            return Self::LEFT_OUT.to_string();
        }
        let parts: Vec<&str> = self.parts.iter().map(String::as_str).filter(|s| s.chars().count() >= Self::SHORTEST).collect();
        let mut out: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
        let mut secrets = parts;
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        for s in secrets {
            if out.contains(s) {
                out = out.replace(s, "[redacted]");
            }
        }
        let out = out.trim();
        if out.chars().count() > 200 {
            let mut cut: String = out.chars().take(199).collect();
            cut.push('…');
            cut
        } else {
            out.to_string()
        }
    }
}

/// A negative reply of the server: its code and text (scrubbed).
fn reply(e: &lettre::transport::smtp::Error, scrub: &Scrub) -> Option<(String, String)> {
    let code = e.status()?;
    let text = std::error::Error::source(e).map(|s| scrub.apply(&s.to_string())).unwrap_or_default();
    Some((code.to_string(), text))
}

/// The io::Error and the rustls::Error in an error's chain, if any.
fn causes<'e>(e: &'e (dyn std::error::Error + 'static)) -> (Option<&'e std::io::Error>, Option<&'e rustls::Error>) {
    let (mut io, mut tls) = (None, None);
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cur {
        if let Some(i) = c.downcast_ref::<std::io::Error>() {
            io = io.or(Some(i));
            if let Some(t) = i.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
                tls = tls.or(Some(t));
            }
        }
        if let Some(t) = c.downcast_ref::<rustls::Error>() {
            tls = tls.or(Some(t));
        }
        cur = c.source();
    }
    (io, tls)
}

fn tls_sentence(t: &rustls::Error) -> String {
    use rustls::{CertificateError as C, Error as E};
    match t {
        E::InvalidCertificate(C::UnknownIssuer) => {
            "its certificate is not signed by an authority this server trusts (a private CA is trusted through SSL_CERT_FILE)".into()
        }
        E::InvalidCertificate(C::NotValidForName) | E::InvalidCertificate(C::NotValidForNameContext { .. }) => {
            "its certificate is not for this host name".into()
        }
        E::InvalidCertificate(C::Expired) | E::InvalidCertificate(C::ExpiredContext { .. }) => "its certificate has expired".into(),
        E::InvalidMessage(_) | E::InappropriateMessage { .. } | E::InappropriateHandshakeMessage { .. } => {
            "it did not answer in TLS (check the security mode: implicit TLS is usually port 465, STARTTLS port 587)".into()
        }
        other => other.to_string(),
    }
}

fn tls_detail(e: &lettre::transport::smtp::Error, scrub: &Scrub) -> String {
    match causes(e) {
        (_, Some(t)) => tls_sentence(t),
        (Some(io), None) => scrub.apply(&io.to_string()),
        (None, None) => scrub.apply(&e.to_string()),
    }
}

fn connect_failure(e: &lettre::transport::smtp::Error, place: &str, scrub: &Scrub, implicit_tls: bool, timeout: Duration) -> SmtpFailure {
    let place = place.to_string();
    if let Some((code, text)) = reply(e, scrub) {
        return SmtpFailure::Greeting { place, code, text };
    }
    match causes(e) {
        (_, Some(t)) => SmtpFailure::Tls { place, detail: tls_sentence(t) },
        (Some(io), None) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused => SmtpFailure::Refused { place },
            std::io::ErrorKind::TimedOut => SmtpFailure::Timeout { place, secs: timeout.as_secs(), step: Step::Connect },
            // A plain-text server answering a TLS hello closes or sends garbage.
            std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::InvalidData if implicit_tls => {
                SmtpFailure::Tls { place, detail: format!("{} (check the security mode and port)", scrub.apply(&io.to_string())) }
            }
            _ => SmtpFailure::Connect { place, detail: scrub.apply(&io.to_string()) },
        },
        (None, None) => SmtpFailure::Connect { place, detail: scrub.apply(&e.to_string()) },
    }
}

fn broken(e: &lettre::transport::smtp::Error, place: &str, step: Step, scrub: &Scrub) -> SmtpFailure {
    SmtpFailure::Broken { place: place.to_string(), step, detail: scrub.apply(&e.to_string()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_address_the_form_accepts_parses_here_too() {
        // The same kinds as tt-core's validate tests: the shared rule is narrower than lettre's.
        for a in [
            "me@example.com",
            "first.last+tag@mail.example.org",
            "Tracker Tracker <tt@example.com>",
            "<bare@example.com>",
            "tt@example",
            "o'brien@example.co.uk",
        ] {
            assert!(tt_core::validate::mailbox("to", "Recipient", a).is_ok(), "{a}");
            assert!(a.parse::<Mailbox>().is_ok(), "lettre refuses {a}");
        }
        assert!(tt_core::validate::mailbox("to", "Recipient", "ops@[127.0.0.1]").is_err(), "lettre refuses address literals");
    }

    #[test]
    fn scrub_removes_the_login_and_control_characters() {
        let s = Scrub::of(Some(&Login { username: "alice", password: "hunter2-secret" }));
        assert_eq!(s.apply("5.7.8 bad password hunter2-secret for alice\r\n"), "5.7.8 bad password [redacted] for [redacted]");
        // As the AUTH PLAIN and LOGIN commands carried them.
        use base64::Engine;
        let plain = base64::engine::general_purpose::STANDARD.encode("\0alice\0hunter2-secret");
        let login = base64::engine::general_purpose::STANDARD.encode("hunter2-secret");
        assert_eq!(s.apply(&format!("535 bad {plain} / {login}")), "535 bad [redacted] / [redacted]");
        assert_eq!(Scrub::of(None).apply("250 ok"), "250 ok");
    }

    #[test]
    fn a_password_too_short_to_scrub_leaves_the_server_words_after_the_login_out() {
        for (username, password) in [("alice", "ab"), ("alice", "x"), ("bob", "pw")] {
            let s = Scrub::of(Some(&Login { username, password }));
            let said = s.apply(&format!("535 5.7.8 {password} is wrong for {username}, about it"));
            assert_eq!(said, Scrub::LEFT_OUT);
            assert!(!said.contains(password));
            // Before the login went out, the server's words are quoted (it never had the password).
            assert_eq!(s.before_login().apply("421 4.3.2 service not available"), "421 4.3.2 service not available");
        }
        // A short user name is not a secret: the server's words stay, the password is removed.
        let s = Scrub::of(Some(&Login { username: "bob", password: "a long password" }));
        assert_eq!(s.apply("535 5.7.8 a long password is wrong for bob"), "535 5.7.8 [redacted] is wrong for bob");
        use base64::Engine;
        let plain = base64::engine::general_purpose::STANDARD.encode("\0bob\0a long password");
        assert_eq!(s.apply(&format!("535 bad {plain}")), "535 bad [redacted]");
        // The typed reason stays: the code and what was refused.
        let e = SmtpFailure::LoginRefused { code: "535".into(), text: Scrub::of(Some(&Login { username: "alice", password: "pw" })).apply("pw?") };
        assert_eq!(
            e.to_string(),
            "the mail server refused the user name or password: 535 (the server's own words are left out: they could contain the login)"
        );
    }

    #[tokio::test]
    async fn a_closed_port_is_connection_refused_and_a_silent_one_times_out() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let server = SmtpServer {
            host: "127.0.0.1".into(),
            port,
            security: SmtpSecurity::Starttls,
            from: "tt@example.com".into(),
            to: vec!["me@example.com".into()],
        };
        let email = Email { subject: "s", body: "b", date: SystemTime::now() };
        let login = || Some(Login { username: "alice", password: "pw-never-shown" });
        let e = send(&server, login(), &email, Duration::from_secs(5)).await.unwrap_err();
        assert_eq!(e, SmtpFailure::Refused { place: format!("127.0.0.1:{port}") });
        assert_eq!(e.to_string(), format!("connection refused by 127.0.0.1:{port}"));

        // Accepts the connection, never greets.
        let quiet = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = quiet.local_addr().unwrap().port();
        let _hold = tokio::spawn(async move {
            let (_sock, _) = quiet.accept().await.unwrap();
            tokio::time::sleep(Duration::from_secs(30)).await;
        });
        let e = send(&SmtpServer { port, ..server.clone() }, login(), &email, Duration::from_millis(500)).await.unwrap_err();
        assert!(matches!(e, SmtpFailure::Timeout { step: Step::Connect, .. }), "{e:?}");
        assert!(!e.to_string().contains("pw-never-shown"));

        let e = send(&SmtpServer { host: "no-such-host.invalid".into(), ..server }, login(), &email, Duration::from_secs(5)).await.unwrap_err();
        assert!(matches!(e, SmtpFailure::Resolve { .. }), "{e:?}");
    }
}
