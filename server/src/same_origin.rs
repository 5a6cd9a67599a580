//! Refuses state-changing requests that a browser sent on behalf of another site (CSRF).
//!
//! The session cookie is SameSite=Strict, but "site" ignores the port: another web app on the
//! same host (a torrent client's UI on :8080, say) is the same site and its pages would send the
//! cookie along. So every non-GET request is checked here, before any server function runs:
//! - `Sec-Fetch-Site` (set by the browser, a page cannot forge it): only `same-origin` and `none`
//!   (typed or bookmarked by the person) pass;
//! - without it (older browsers), `Origin` must be this instance: the request's own `Host`, or
//!   the origin of `TT_BASE_URL` (behind a reverse proxy that rewrites `Host`);
//! - with neither header the request does not come from a web page (curl, scripts): it passes,
//!   and the session check still applies.

use app::error::{AppError, ErrorKind};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

const NOT_THIS_INSTANCE: &str = "the request's Origin is not this instance";

/// The origin (`scheme://host[:port]`, lower case, no path) of a URL, if it has one.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.trim().split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if scheme.is_empty() || authority.is_empty() {
        return None;
    }
    let scheme = scheme.to_ascii_lowercase();
    let authority = authority.to_ascii_lowercase();
    // Browsers leave the default port out of Origin.
    let authority = match (scheme.as_str(), authority.rsplit_once(':')) {
        ("http", Some((host, "80"))) | ("https", Some((host, "443"))) => host.to_string(),
        _ => authority,
    };
    Some(format!("{scheme}://{authority}"))
}

/// Why this request is refused, or None when it may go on.
pub fn refusal(method: &Method, headers: &HeaderMap, base_origin: Option<&str>) -> Option<&'static str> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return None;
    }
    let value = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(|v| v.trim().to_ascii_lowercase());
    if let Some(site) = value("sec-fetch-site") {
        return match site.as_str() {
            "same-origin" | "none" => None,
            _ => Some("the browser says this request came from another site"),
        };
    }
    // Neither header: not sent by a web page (curl, a script); the session check still applies.
    let origin = value("origin")?;
    let Some(origin) = origin_of(&origin) else { return Some(NOT_THIS_INSTANCE) };
    if base_origin.is_some_and(|b| b == origin) {
        return None;
    }
    let (scheme, authority) = origin.split_once("://").unwrap_or_default();
    // The public address over another scheme (a page injected at http:// while the instance is
    // https) is not this instance.
    if base_origin.and_then(|b| b.split_once("://")).is_some_and(|(s, a)| a == authority && s != scheme) {
        return Some(NOT_THIS_INSTANCE);
    }
    // The Host the request was sent to, read with the Origin's scheme (so ":443" matches https).
    let to_host = value("host").is_some_and(|host| origin_of(&format!("{scheme}://{host}")).as_deref() == Some(origin.as_str()));
    (!to_host).then_some(NOT_THIS_INSTANCE)
}

/// The middleware: answers 403 with the API's error body when `refusal` says so.
pub async fn guard(State(base_origin): State<Arc<Option<String>>>, req: Request, next: Next) -> Response {
    match refusal(req.method(), req.headers(), base_origin.as_deref()) {
        None => next.run(req).await,
        Some(why) => {
            tracing::warn!("refused {} {}: {why}", req.method(), req.uri().path());
            // The API's own error body, so clients read it like any other error.
            let error = AppError::new(ErrorKind::Forbidden, format!("Refused: {why}. Open Tracker Tracker at its own address and try again."));
            let body = serde_json::to_string(&error).unwrap_or_default();
            (StatusCode::FORBIDDEN, [(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn origins_are_normalised() {
        assert_eq!(origin_of("https://TT.example/").as_deref(), Some("https://tt.example"));
        assert_eq!(origin_of("https://tt.example:443/x?y").as_deref(), Some("https://tt.example"));
        assert_eq!(origin_of("http://127.0.0.1:3000").as_deref(), Some("http://127.0.0.1:3000"));
        assert_eq!(origin_of("null"), None);
        assert_eq!(origin_of("https://"), None);
    }

    #[test]
    fn browsers_fetch_metadata_decides_when_present() {
        let post = Method::POST;
        assert_eq!(refusal(&post, &headers(&[("sec-fetch-site", "same-origin")]), None), None);
        assert_eq!(refusal(&post, &headers(&[("sec-fetch-site", "none")]), None), None);
        // Same site, other port (another app on the same host): refused, whatever Origin says.
        assert!(refusal(&post, &headers(&[("sec-fetch-site", "same-site"), ("origin", "http://127.0.0.1:3000"), ("host", "127.0.0.1:3000")]), None)
            .is_some());
        assert!(refusal(&post, &headers(&[("sec-fetch-site", "cross-site")]), None).is_some());
        // Reading is never refused.
        assert_eq!(refusal(&Method::GET, &headers(&[("sec-fetch-site", "cross-site")]), None), None);
    }

    #[test]
    fn origin_must_be_this_instance() {
        let post = Method::POST;
        let host = ("host", "127.0.0.1:3000");
        assert_eq!(refusal(&post, &headers(&[host, ("origin", "http://127.0.0.1:3000")]), None), None);
        assert!(refusal(&post, &headers(&[host, ("origin", "http://127.0.0.1:8080")]), None).is_some());
        assert!(refusal(&post, &headers(&[host, ("origin", "https://evil.example")]), None).is_some());
        assert!(refusal(&post, &headers(&[host, ("origin", "null")]), None).is_some());
        assert_eq!(refusal(&post, &headers(&[("host", "tt.example"), ("origin", "https://tt.example")]), None), None);
        assert_eq!(refusal(&post, &headers(&[("host", "tt.example:443"), ("origin", "https://tt.example")]), None), None);
        // Behind a proxy that rewrites Host, TT_BASE_URL names the public origin.
        let proxied = headers(&[host, ("origin", "https://tt.example")]);
        assert!(refusal(&post, &proxied, None).is_some());
        assert_eq!(refusal(&post, &proxied, Some("https://tt.example")), None);
        // The public name over plain http, although the Host matches: not this instance.
        let downgraded = headers(&[("host", "tt.example"), ("origin", "http://tt.example")]);
        assert_eq!(refusal(&post, &downgraded, None), None);
        assert!(refusal(&post, &downgraded, Some("https://tt.example")).is_some());
        // Another address of the same server (its LAN IP) still works.
        assert_eq!(refusal(&post, &headers(&[host, ("origin", "http://127.0.0.1:3000")]), Some("https://tt.example")), None);
        // No browser headers: curl or a script.
        assert_eq!(refusal(&post, &headers(&[host]), None), None);
    }
}
