//! The SMTP test server that scripts/services.sh starts (aiosmtpd on 127.0.0.1), and the messages
//! it wrote to its Maildir, decoded.

use base64::Engine;
use std::path::PathBuf;
use std::time::Duration;

pub struct SmtpService {
    pub host: String,
    /// Plain, offering STARTTLS; login only after STARTTLS.
    pub port: u16,
    /// Implicit TLS.
    pub tls_port: u16,
    pub user: String,
    pub password: String,
    pub maildir: PathBuf,
}

fn addr(var: &str) -> Option<(String, u16)> {
    let v = std::env::var(var).ok()?;
    let (h, p) = v.rsplit_once(':')?;
    Some((h.to_string(), p.parse().ok()?))
}

/// The running test server. Without one: under CI (`CI` set, as `.ci/run` runs) the test fails;
/// otherwise it is skipped with a line saying so (e.g. `cargo nextest` run directly).
pub fn smtp_service(test: &str) -> Option<SmtpService> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    match (addr("TT_TEST_SMTP_ADDR"), addr("TT_TEST_SMTPS_ADDR"), var("TT_TEST_SMTP_USER"), var("TT_TEST_SMTP_PASSWORD"), var("TT_TEST_SMTP_MAILDIR"))
    {
        (Some((host, port)), Some((_, tls_port)), Some(user), Some(password), Some(maildir)) => {
            Some(SmtpService { host, port, tls_port, user, password, maildir: maildir.into() })
        }
        _ if std::env::var_os("CI").is_some() => {
            panic!("{test}: no SMTP test server (TT_TEST_SMTP_ADDR and the rest are unset): run the tests through scripts/test.sh, or scripts/services.sh <command>")
        }
        _ => {
            eprintln!("SKIPPED {test}: no SMTP test server; run it through scripts/test.sh or `scripts/services.sh cargo nextest run …`");
            None
        }
    }
}

/// A stored message: its headers (unfolded, in order) and its body (transfer encoding undone,
/// line ends as \n).
#[derive(Debug, Clone)]
pub struct Mail {
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Mail {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn parse(raw: &[u8]) -> Mail {
        let text = String::from_utf8_lossy(raw).replace("\r\n", "\n");
        let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in head.lines() {
            if line.starts_with([' ', '\t']) {
                if let Some(last) = headers.last_mut() {
                    last.1.push(' ');
                    last.1.push_str(line.trim());
                }
            } else if let Some((k, v)) = line.split_once(':') {
                headers.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
        let mut mail = Mail { headers, body: String::new() };
        let encoding = mail.header("Content-Transfer-Encoding").unwrap_or("7bit").to_ascii_lowercase();
        let bytes = match encoding.as_str() {
            "quoted-printable" => quoted_printable(body),
            "base64" => base64::engine::general_purpose::STANDARD.decode(body.split_whitespace().collect::<String>()).expect("base64 body"),
            _ => body.as_bytes().to_vec(),
        };
        mail.body = String::from_utf8(bytes).expect("a UTF-8 body").replace("\r\n", "\n");
        mail
    }
}

fn quoted_printable(body: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let lines: Vec<&str> = body.split('\n').collect();
    for (i, line) in lines.iter().enumerate() {
        let line = line.trim_end_matches([' ', '\t']);
        let (line, soft) = match line.strip_suffix('=') {
            Some(l) => (l, true),
            None => (line, false),
        };
        let b = line.as_bytes();
        let mut j = 0;
        while j < b.len() {
            if b[j] == b'=' && j + 3 <= b.len() {
                out.push(u8::from_str_radix(std::str::from_utf8(&b[j + 1..j + 3]).unwrap(), 16).expect("=XX"));
                j += 3;
            } else {
                out.push(b[j]);
                j += 1;
            }
        }
        if !soft && i + 1 < lines.len() {
            out.push(b'\n');
        }
    }
    out
}

impl SmtpService {
    /// Waits (10 s at most) for the one stored message whose text contains `marker`.
    pub async fn received(&self, marker: &str) -> Mail {
        for _ in 0..100 {
            let mut found = Vec::new();
            for sub in ["new", "cur"] {
                if let Ok(entries) = std::fs::read_dir(self.maildir.join(sub)) {
                    for e in entries.flatten() {
                        let raw = std::fs::read(e.path()).unwrap_or_default();
                        let mail = Mail::parse(&raw);
                        if mail.body.contains(marker) || mail.headers.iter().any(|(_, v)| v.contains(marker)) {
                            found.push(mail);
                        }
                    }
                }
            }
            match found.len() {
                0 => tokio::time::sleep(Duration::from_millis(100)).await,
                1 => return found.remove(0),
                n => panic!("{n} messages carry {marker:?}"),
            }
        }
        panic!("no message carrying {marker:?} reached {}", self.maildir.display())
    }

    /// How many stored messages carry `marker` (for "nothing was sent").
    pub fn count(&self, marker: &str) -> usize {
        ["new", "cur"]
            .iter()
            .filter_map(|sub| std::fs::read_dir(self.maildir.join(sub)).ok())
            .flat_map(|d| d.flatten())
            .filter(|e| {
                let mail = Mail::parse(&std::fs::read(e.path()).unwrap_or_default());
                mail.body.contains(marker) || mail.headers.iter().any(|(_, v)| v.contains(marker))
            })
            .count()
    }
}
