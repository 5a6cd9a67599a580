//! Login sessions: a random 256-bit token in an HttpOnly, SameSite=Strict cookie; only its
//! SHA-256 is stored, so a copy of the database cannot be used to log in. Sessions expire after
//! the configured idle time. Sessions are never part of a backup, and a restore leaves them alone,
//! so the person restoring stays logged in.

use crate::store::Db;
use crate::time::{from_db, to_db};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};

pub const COOKIE_NAME: &str = "tt_session";
/// The cookie outlives the browser session; the server-side idle timeout is what ends a login.
const COOKIE_MAX_AGE_SECS: i64 = 30 * 24 * 3600;
/// Avoid a database write on every request: last-seen is refreshed at most this often.
const TOUCH_EVERY: Duration = Duration::seconds(60);

fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub async fn create(db: &Db, now: DateTime<Utc>) -> Result<String, sqlx::Error> {
    let mut raw = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    let token = URL_SAFE_NO_PAD.encode(raw);
    sqlx::query("INSERT INTO sessions (token_hash, created_at, last_seen_at) VALUES ($1, $2, $2)")
        .bind(hash_token(&token))
        .bind(to_db(now))
        .execute(db)
        .await?;
    Ok(token)
}

/// True when the token names a live session; refreshes its last-seen time, drops it when idle too long.
pub async fn validate(db: &Db, token: &str, now: DateTime<Utc>, idle_minutes: i64) -> Result<bool, sqlx::Error> {
    let hash = hash_token(token);
    let row: Option<(String,)> = sqlx::query_as("SELECT last_seen_at FROM sessions WHERE token_hash = $1").bind(&hash).fetch_optional(db).await?;
    let Some((last_seen,)) = row else { return Ok(false) };
    let last_seen = from_db(&last_seen).unwrap_or(DateTime::<Utc>::MIN_UTC);
    if now - last_seen > Duration::minutes(idle_minutes) {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(&hash).execute(db).await?;
        return Ok(false);
    }
    if now - last_seen > TOUCH_EVERY {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2").bind(to_db(now)).bind(&hash).execute(db).await?;
    }
    Ok(true)
}

pub async fn delete(db: &Db, token: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(hash_token(token)).execute(db).await?;
    Ok(())
}

/// Ends every other session (after a password change).
pub async fn delete_others(db: &Db, keep_token: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE token_hash <> $1").bind(hash_token(keep_token)).execute(db).await?;
    Ok(())
}

pub fn set_cookie(token: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE_NAME}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={COOKIE_MAX_AGE_SECS}{secure}")
}

pub fn clear_cookie(secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE_NAME}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}")
}

/// The session token from a request's Cookie headers.
pub fn token_from_headers(headers: &http::HeaderMap) -> Option<String> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value.to_string())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_attributes() {
        let c = set_cookie("abc", false);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.contains("Path=/"));
        assert!(set_cookie("abc", true).contains("; Secure"));
    }

    #[test]
    fn token_is_read_among_other_cookies() {
        let mut h = http::HeaderMap::new();
        h.insert(http::header::COOKIE, "a=1; tt_session=tok; b=2".parse().unwrap());
        assert_eq!(token_from_headers(&h).as_deref(), Some("tok"));
        let mut empty = http::HeaderMap::new();
        empty.insert(http::header::COOKIE, "tt_session=".parse().unwrap());
        assert_eq!(token_from_headers(&empty), None);
    }
}
