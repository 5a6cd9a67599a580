//! Field rules shared by the forms (inline messages in the browser), the server functions, and
//! the backup restore validator, so a value refused by a form is refused in a backup too.

use serde::{Deserialize, Serialize};

/// A refused value: which field, and a sentence saying what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct Invalid {
    pub field: String,
    pub message: String,
}

pub type Checked<T> = Result<T, Invalid>;

pub fn invalid(field: &str, message: impl Into<String>) -> Invalid {
    Invalid { field: field.to_string(), message: message.into() }
}

/// Trimmed text of `min..=max` characters.
pub fn text(field: &str, label: &str, value: &str, min: usize, max: usize) -> Checked<String> {
    let v = value.trim();
    let n = v.chars().count();
    if n < min {
        return Err(invalid(field, if min <= 1 { format!("{label} is required.") } else { format!("{label} needs at least {min} characters.") }));
    }
    if n > max {
        return Err(invalid(field, format!("{label} can be at most {max} characters (it has {n}).")));
    }
    if v.chars().any(|c| c.is_control()) {
        return Err(invalid(field, format!("{label} contains control characters.")));
    }
    Ok(v.to_string())
}

/// Optional trimmed text: empty means none.
pub fn optional_text(field: &str, label: &str, value: Option<&str>, max: usize) -> Checked<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => text(field, label, v, 1, max).map(Some),
    }
}

/// An http:// or https:// URL with a host.
pub fn http_url(field: &str, label: &str, value: &str) -> Checked<String> {
    let v = value.trim();
    let bad = || invalid(field, format!("{label} must be a web address starting with http:// or https:// (for example https://tracker.example)."));
    let rest = if let Some(r) = v.strip_prefix("https://") {
        r
    } else if let Some(r) = v.strip_prefix("http://") {
        r
    } else {
        return Err(bad());
    };
    if v.len() > 2048 || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    let (host, port) = if let Some(stripped) = host_port.strip_prefix('[') {
        // IPv6 literal: [::1]:8080
        match stripped.split_once(']') {
            Some((h, p)) => (h, p.strip_prefix(':')),
            None => return Err(bad()),
        }
    } else {
        match host_port.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host_port, None),
        }
    };
    if host.is_empty() || !host.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | ':')) {
        return Err(bad());
    }
    if let Some(p) = port {
        if p.parse::<u16>().ok().filter(|p| *p > 0).is_none() {
            return Err(invalid(field, format!("{label} has an invalid port number.")));
        }
    }
    Ok(v.to_string())
}

/// One email address, `local@domain`, or `Name <local@domain>`; returned trimmed. Deliberately
/// narrower than RFC 5322 (no quoted local parts, no comments, no groups; the address itself in
/// ASCII, an international domain in its xn-- form), so that every value it accepts is accepted
/// by the mail library on the server and by servers without SMTPUTF8.
pub fn mailbox(field: &str, label: &str, value: &str) -> Checked<String> {
    let v = value.trim();
    let bad = |why: &str| invalid(field, format!("{label} {v:?} is not an email address like name@example.com ({why})."));
    if v.is_empty() {
        return Err(invalid(field, format!("{label} is required.")));
    }
    if v.chars().count() > 320 || v.chars().any(char::is_control) {
        return Err(bad("too long or with control characters"));
    }
    let address = match v.strip_suffix('>') {
        Some(rest) => {
            let (name, addr) = rest.rsplit_once('<').ok_or_else(|| bad("a “>” without “<”"))?;
            if name.contains(['<', '>', '"', '\\']) {
                return Err(bad("the name before <…> cannot hold < > \" or \\"));
            }
            addr
        }
        None => v,
    };
    let (local, domain) = address.rsplit_once('@').ok_or_else(|| bad("no @"))?;
    let local_ok = !local.is_empty()
        && local.chars().count() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c));
    if !local_ok {
        return Err(bad("the part before @"));
    }
    // No [address literal]: the mail library does not take one.
    let domain_ok = !domain.is_empty()
        && domain.len() <= 253
        && domain.split('.').all(|l| {
            !l.is_empty() && l.len() <= 63 && !l.starts_with('-') && !l.ends_with('-') && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if !domain_ok {
        return Err(bad("the part after @"));
    }
    Ok(v.to_string())
}

/// A host name or IP address (no scheme, no port, no path), returned trimmed.
pub fn host(field: &str, label: &str, value: &str) -> Checked<String> {
    let v = text(field, label, value, 1, 253)?;
    let bad = || {
        invalid(
            field,
            format!("{label} is a name or address only, like smtp.example.com or 192.168.1.10 (no scheme such as smtp://, no port, no path)."),
        )
    };
    if v.contains(':') {
        // Only an IPv6 address has colons; a "host:port" is refused (the port has its own field).
        return v.trim_start_matches('[').trim_end_matches(']').parse::<std::net::Ipv6Addr>().map(|a| a.to_string()).map_err(|_| bad());
    }
    if !v.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_')) || v.starts_with('.') || v.starts_with('-') {
        return Err(bad());
    }
    Ok(v)
}

/// "#rrggbb" (or "#rgb"), returned lower-case.
pub fn hex_color(field: &str, label: &str, value: &str) -> Checked<String> {
    let v = value.trim();
    let ok = v.starts_with('#') && matches!(v.len(), 4 | 7) && v[1..].chars().all(|c| c.is_ascii_hexdigit());
    if ok {
        Ok(v.to_ascii_lowercase())
    } else {
        Err(invalid(field, format!("{label} must be a colour like #3b82f6.")))
    }
}

pub fn int_range(field: &str, label: &str, value: i64, min: i64, max: i64) -> Checked<i64> {
    if value < min || value > max {
        Err(invalid(field, format!("{label} must be a whole number from {min} to {max} (got {value}).")))
    } else {
        Ok(value)
    }
}

pub fn non_negative(field: &str, label: &str, value: i64) -> Checked<i64> {
    if value < 0 {
        Err(invalid(field, format!("{label} cannot be negative (got {value}).")))
    } else {
        Ok(value)
    }
}

pub fn non_negative_f64(field: &str, label: &str, value: f64) -> Checked<f64> {
    if !value.is_finite() || value < 0.0 {
        Err(invalid(field, format!("{label} must be a number of zero or more (got {value}).")))
    } else {
        Ok(value)
    }
}

pub fn port(field: &str, label: &str, value: i64) -> Checked<i64> {
    int_range(field, label, value, 1, 65_535)
}

pub fn one_of(field: &str, label: &str, value: &str, allowed: &[&str]) -> Checked<String> {
    if allowed.contains(&value) {
        Ok(value.to_string())
    } else {
        Err(invalid(field, format!("{label} must be one of: {} (got {value:?}).", allowed.join(", "))))
    }
}

/// Parses a whole number typed in a form field.
pub fn parse_int(field: &str, label: &str, value: &str) -> Checked<i64> {
    value.trim().parse::<i64>().map_err(|_| invalid(field, format!("{label} must be a whole number (got {:?}).", value.trim())))
}

/// Parses a decimal number typed in a form field.
pub fn parse_f64(field: &str, label: &str, value: &str) -> Checked<f64> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| invalid(field, format!("{label} must be a number (got {:?}).", value.trim())))
}

/// Login password rules, shared by the setup and change-password forms and the server.
pub const PASSWORD_MIN_LEN: usize = 10;
pub const PASSWORD_MAX_LEN: usize = 1024;

pub fn password_rules(password: &str, confirm: &str) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < PASSWORD_MIN_LEN {
        return Err(format!("Use at least {PASSWORD_MIN_LEN} characters for the password."));
    }
    if chars > PASSWORD_MAX_LEN {
        return Err(format!("The password may be at most {PASSWORD_MAX_LEN} characters long."));
    }
    if password.trim().is_empty() {
        return Err("The password cannot be only spaces.".into());
    }
    if password != confirm {
        return Err("The two passwords do not match.".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(text("name", "Name", "   ", 1, 100).is_err());
        assert!(text("name", "Name", &"x".repeat(101), 1, 100).is_err());
        assert_eq!(text("name", "Name", "  Aither ", 1, 100).unwrap(), "Aither");
        assert_eq!(text("name", "Name", &"é".repeat(100), 1, 100).unwrap().chars().count(), 100);
    }

    #[test]
    fn urls() {
        for ok in ["https://aither.cc", "http://127.0.0.1:8080/api", "https://[::1]:443/x", "https://user@host.example/path?q=1"] {
            assert!(http_url("u", "URL", ok).is_ok(), "{ok}");
        }
        for bad in [
            "ftp://tracker.example",
            "https://",
            "tracker.example",
            "https://exa mple.com",
            "javascript:alert(1)",
            "https://host:0",
            "https://host:70000",
        ] {
            assert!(http_url("u", "URL", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn colours_ports_ranges() {
        assert_eq!(hex_color("c", "Colour", "#3B82F6").unwrap(), "#3b82f6");
        assert!(hex_color("c", "Colour", "3b82f6").is_err());
        assert!(hex_color("c", "Colour", "#zzzzzz").is_err());
        assert!(port("p", "Port", 0).is_err());
        assert!(port("p", "Port", 70_000).is_err());
        assert!(port("p", "Port", 8080).is_ok());
        assert!(non_negative("n", "Count", -1).is_err());
        assert!(parse_int("n", "Count", "1.5").is_err());
        assert!(non_negative_f64("n", "Ratio", f64::NAN).is_err());
        assert!(one_of("t", "Type", "ftp", &["http", "socks5"]).is_err());
    }

    /// Accepted addresses (crates/domain's smtp tests check the mail library takes the same ones).
    const GOOD_MAILBOXES: [&str; 6] = [
        "me@example.com",
        "first.last+tag@mail.example.org",
        "Tracker Tracker <tt@example.com>",
        "<bare@example.com>",
        "tt@example",
        "o'brien@example.co.uk",
    ];

    #[test]
    fn mailboxes() {
        for good in GOOD_MAILBOXES {
            assert!(mailbox("to", "Recipient", good).is_ok(), "{good}");
        }
        assert_eq!(mailbox("to", "Recipient", "  me@example.com ").unwrap(), "me@example.com");
        for bad in [
            "",
            "me",
            "me@",
            "@example.com",
            "me@@example.com",
            "me @example.com",
            "a..b@example.com",
            "me@-x.com",
            "me@exa mple.com",
            "Name <me@example.com",
            "Na<me <me@x.com>",
            "me@example.com, you@example.com",
            "me@[nonsense]",
            "ops@[127.0.0.1]",
            "jörg@example.com",
            "me@bücher.example",
        ] {
            let e = mailbox("to", "Recipient", bad).unwrap_err();
            assert_eq!(e.field, "to", "{bad}");
            assert!(e.message.starts_with("Recipient"), "{}", e.message);
        }
        assert_eq!(mailbox("from", "Sender", "me").unwrap_err().message, "Sender \"me\" is not an email address like name@example.com (no @).");
    }

    #[test]
    fn hosts() {
        assert_eq!(host("h", "Mail server", " smtp.example.com ").unwrap(), "smtp.example.com");
        assert_eq!(host("h", "Mail server", "[::1]").unwrap(), "::1");
        assert!(host("h", "Mail server", "192.168.1.10").is_ok());
        for bad in ["", "smtp://smtp.example.com", "smtp.example.com:587", "smtp.example.com/x", "a b", "-x", "user@host"] {
            assert_eq!(host("h", "Mail server", bad).unwrap_err().field, "h", "{bad}");
        }
    }
}
