//! Two-factor login with TOTP (RFC 6238: SHA-1, 6 digits, 30 s steps, ±1 step of clock skew),
//! plus single-use backup codes. The secret and the codes are sealed with the data key.
//! A code is accepted once: the last used time step is remembered, so a replayed code fails.
//!
//! The sealed backup codes (`app_settings.totp_backup_codes_enc`) are a JSON list of
//! [`StoredCode`]: this app's own codes as strings, and codes carried from the original
//! Tracker Tracker as `{"sha256", "salt"}` (it keeps only sha256hex(code without dashes,
//! uppercased ‖ salt)). A code, of either kind, is removed from the list when it is used.

use super::AuthError;
use crate::secrets::purpose;
use crate::settings;
use crate::state::AppState;
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Secret, TOTP};

const ISSUER: &str = "Tracker Tracker";
const ACCOUNT: &str = "admin";
const STEP_SECS: u64 = 30;
const BACKUP_CODE_COUNT: usize = 10;

/// What the enrolment page shows: scan the QR code or type the secret, then confirm with a code.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Enrolment {
    pub otpauth_uri: String,
    pub secret_base32: String,
    pub qr_svg: String,
}

fn totp_for(secret_base32: &str) -> Result<TOTP, AuthError> {
    let bytes =
        Secret::Encoded(secret_base32.to_string()).to_bytes().map_err(|_| AuthError::Totp("The stored two-factor secret is unreadable.".into()))?;
    TOTP::new(Algorithm::SHA1, 6, 1, STEP_SECS, bytes, Some(ISSUER.to_string()), ACCOUNT.to_string())
        // The secret is the server's (generated or stored), not the person's input: a rejection
        // is a server fault, logged with its cause under a reference.
        .map_err(|e| AuthError::Internal(format!("two-factor secret rejected: {e}")))
}

fn normalize(code: &str) -> String {
    code.chars().filter(|c| !c.is_whitespace() && *c != '-').collect::<String>().to_ascii_lowercase()
}

/// The time step at which `code` is valid around `now_secs` (±1 step), if any.
fn matching_step(totp: &TOTP, code: &str, now_secs: u64) -> Option<u64> {
    let step = now_secs / STEP_SECS;
    [step.saturating_sub(1), step, step + 1].into_iter().find(|s| constant_time_eq(totp.generate(s * STEP_SECS).as_bytes(), code.as_bytes()))
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// One stored backup code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
enum StoredCode {
    /// This app's own code, as shown to the person.
    Own(String),
    /// A code carried from the original app: only its salted hash is known.
    Original(OriginalCode),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OriginalCode {
    /// sha256 of the code (dashes removed, upper case) followed by `salt`, in lower-case hex.
    sha256: String,
    salt: String,
}

impl StoredCode {
    /// `code` is [`normalize`]d (lower case, no dashes or white space).
    fn matches(&self, code: &str) -> bool {
        match self {
            StoredCode::Own(c) => constant_time_eq(normalize(c).as_bytes(), code.as_bytes()),
            StoredCode::Original(o) => constant_time_eq(original_code_hash(code, &o.salt).as_bytes(), o.sha256.as_bytes()),
        }
    }
}

/// The original's backup-code hash (src/lib/totp.ts `hashBackupCode`): sha256hex of the code
/// without dashes, upper-cased, followed by the salt as text.
fn original_code_hash(code: &str, salt: &str) -> String {
    let normalized: String = code.chars().filter(|c| *c != '-').collect::<String>().to_ascii_uppercase();
    hex::encode(Sha256::digest(format!("{normalized}{salt}").as_bytes()))
}

/// The stored list; an unreadable one holds no usable code.
fn parse_codes(json: &str) -> Vec<StoredCode> {
    serde_json::from_str(json).unwrap_or_default()
}

fn codes_json(codes: &[StoredCode]) -> Result<String, AuthError> {
    serde_json::to_string(codes).map_err(|e| AuthError::Internal(e.to_string()))
}

/// What carrying the original's backup codes gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarriedCodes {
    /// The plaintext to seal as `totp_backup_codes_enc`.
    pub json: zeroize::Zeroizing<String>,
    /// Unused codes carried (usable here once each).
    pub carried: usize,
    /// Codes the original had already marked used: left out, so they stay unusable.
    pub used: usize,
    /// Entries whose hash is not 64 hex digits (no code can match them): left out.
    pub malformed: usize,
}

/// The original's backup codes (its opened `totpBackupCodes`) in this app's stored form: the
/// unused ones only, so a code used there stays unusable here.
pub fn carry_original_codes(codes: &original_backup::BackupCodes) -> Result<CarriedCodes, serde_json::Error> {
    let (mut kept, mut used, mut malformed) = (Vec::new(), 0, 0);
    for c in &codes.0 {
        if c.used {
            used += 1;
        } else if c.hash.len() != 64 || !c.hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            malformed += 1;
        } else {
            kept.push(StoredCode::Original(OriginalCode { sha256: c.hash.to_ascii_lowercase(), salt: c.salt.clone() }));
        }
    }
    Ok(CarriedCodes { json: zeroize::Zeroizing::new(serde_json::to_string(&kept)?), carried: kept.len(), used, malformed })
}

fn new_backup_codes() -> Vec<String> {
    // No 0/o/1/l: codes are read off paper.
    const ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";
    let mut rng = rand::rngs::OsRng;
    (0..BACKUP_CODE_COUNT)
        .map(|_| {
            let mut s: String = (0..10).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect();
            s.insert(5, '-');
            s
        })
        .collect()
}

const ALREADY_ON: &str = "Two-factor login is already on. Turn it off first to move it to another authenticator.";

/// Starts enrolment (the caller has checked the password): a fresh secret, kept sealed as
/// "pending" until a code confirms it. Refused while 2FA is on, so a session alone cannot swap
/// the authenticator.
pub async fn begin(state: &AppState) -> Result<Enrolment, AuthError> {
    if settings::load(&state.db).await?.totp_enabled {
        return Err(AuthError::Totp(ALREADY_ON.into()));
    }
    let secret = Secret::generate_secret().to_encoded().to_string();
    let totp = totp_for(&secret)?;
    let uri = totp.get_url();
    let qr = qrcode::QrCode::new(uri.as_bytes()).map_err(|e| AuthError::Internal(format!("QR code of the enrolment: {e}")))?;
    let svg = qr
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build();
    let sealed = state.keys.seal(purpose::TOTP_PENDING_SECRET, &secret)?;
    sqlx::query("UPDATE app_settings SET totp_pending_secret_enc = $1 WHERE id = 1").bind(sealed).execute(&state.db).await?;
    Ok(Enrolment { otpauth_uri: uri, secret_base32: secret, qr_svg: svg })
}

/// Confirms enrolment with a code from the authenticator; turns 2FA on and returns the backup
/// codes (shown once).
pub async fn confirm(state: &AppState, code: &str) -> Result<Vec<String>, AuthError> {
    let s = settings::load(&state.db).await?;
    if s.totp_enabled {
        return Err(AuthError::Totp(ALREADY_ON.into()));
    }
    let pending = s.totp_pending_secret_enc.ok_or_else(|| AuthError::Totp("Start the two-factor set-up first.".into()))?;
    let secret = state.keys.open(purpose::TOTP_PENDING_SECRET, &pending)?;
    let totp = totp_for(&secret)?;
    let now = state.now().timestamp().max(0) as u64;
    let Some(step) = matching_step(&totp, &normalize(code), now) else {
        return Err(AuthError::Totp("That code does not match. Check the time on your phone and enter the current 6-digit code.".into()));
    };
    let codes = new_backup_codes();
    let codes_json = serde_json::to_string(&codes).map_err(|e| AuthError::Internal(e.to_string()))?;
    // Only the pending secret that was checked is confirmed (a second confirm, or a begin in
    // between, changes nothing).
    let done = sqlx::query(
        "UPDATE app_settings SET totp_enabled = 1, totp_secret_enc = $1, totp_backup_codes_enc = $2,
         totp_pending_secret_enc = NULL, totp_last_step = $3 WHERE id = 1 AND totp_enabled = 0 AND totp_pending_secret_enc = $4",
    )
    .bind(state.keys.seal(purpose::TOTP_SECRET, &secret)?)
    .bind(state.keys.seal(purpose::TOTP_BACKUP_CODES, &codes_json)?)
    .bind(step as i64)
    .bind(&pending)
    .execute(&state.db)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AuthError::Totp("The two-factor set-up changed meanwhile. Start it again.".into()));
    }
    Ok(codes)
}

/// Turns 2FA off (the caller has checked the password).
pub async fn disable(state: &AppState) -> Result<(), AuthError> {
    sqlx::query(
        "UPDATE app_settings SET totp_enabled = 0, totp_secret_enc = NULL, totp_backup_codes_enc = NULL,
         totp_pending_secret_enc = NULL, totp_last_step = NULL WHERE id = 1",
    )
    .execute(&state.db)
    .await?;
    Ok(())
}

/// Replaces the backup codes (the caller has checked the password).
pub async fn regenerate_backup_codes(state: &AppState) -> Result<Vec<String>, AuthError> {
    let s = settings::load(&state.db).await?;
    if !s.totp_enabled {
        return Err(AuthError::Totp("Two-factor login is not turned on.".into()));
    }
    let codes = new_backup_codes();
    let json = serde_json::to_string(&codes).map_err(|e| AuthError::Internal(e.to_string()))?;
    sqlx::query("UPDATE app_settings SET totp_backup_codes_enc = $1 WHERE id = 1")
        .bind(state.keys.seal(purpose::TOTP_BACKUP_CODES, &json)?)
        .execute(&state.db)
        .await?;
    Ok(codes)
}

/// How many backup codes are left (for the Security page): this app's and the original's.
pub async fn backup_codes_left(state: &AppState) -> Result<usize, AuthError> {
    let s = settings::load(&state.db).await?;
    let Some(sealed) = s.totp_backup_codes_enc else { return Ok(0) };
    let json = state.keys.open(purpose::TOTP_BACKUP_CODES, &sealed)?;
    Ok(parse_codes(&json).len())
}

/// Checks a login code: a current TOTP code (not used before) or an unused backup code, which is
/// then consumed.
pub(super) async fn check_login_code(state: &AppState, code: &str) -> Result<bool, AuthError> {
    let s = settings::load(&state.db).await?;
    let Some(sealed) = s.totp_secret_enc.as_deref() else { return Ok(false) };
    let code = normalize(code);
    if code.is_empty() {
        return Ok(false);
    }
    let secret = state.keys.open(purpose::TOTP_SECRET, sealed)?;
    let totp = totp_for(&secret)?;
    let now = state.now().timestamp().max(0) as u64;
    if let Some(step) = matching_step(&totp, &code, now) {
        // Compare-and-set, so a code is accepted once even by two logins at the same moment.
        let used = sqlx::query("UPDATE app_settings SET totp_last_step = $1 WHERE id = 1 AND (totp_last_step IS NULL OR totp_last_step < $1)")
            .bind(step as i64)
            .execute(&state.db)
            .await?;
        return Ok(used.rows_affected() == 1);
    }
    let mut codes_sealed = s.totp_backup_codes_enc;
    // Compare-and-set on the sealed list, so two logins at the same moment cannot both spend
    // one code; when another login changed the list meanwhile, look again in the new one.
    for _ in 0..3 {
        let Some(sealed) = codes_sealed.as_deref() else { return Ok(false) };
        let mut codes = parse_codes(&state.keys.open(purpose::TOTP_BACKUP_CODES, sealed)?);
        let Some(pos) = codes.iter().position(|c| c.matches(&code)) else { return Ok(false) };
        codes.remove(pos);
        let spent = sqlx::query("UPDATE app_settings SET totp_backup_codes_enc = $1 WHERE id = 1 AND totp_backup_codes_enc = $2")
            .bind(state.keys.seal(purpose::TOTP_BACKUP_CODES, &codes_json(&codes)?)?)
            .bind(sealed)
            .execute(&state.db)
            .await?;
        if spent.rows_affected() == 1 {
            return Ok(true);
        }
        codes_sealed = settings::load(&state.db).await?.totp_backup_codes_enc;
    }
    Ok(false)
}

/// The 2FA state a restore must not roll back: the secret in use, its backup codes as stored
/// now, and the last used time step.
pub struct UsedCodes {
    secret: zeroize::Zeroizing<String>,
    codes_sealed: Option<String>,
    last_step: Option<i64>,
}

/// Read inside the restore's transaction, before the settings are replaced; None when 2FA is off.
pub async fn used_codes(conn: &mut sqlx::SqliteConnection, state: &AppState) -> Result<Option<UsedCodes>, AuthError> {
    let (enabled, secret, codes_sealed, last_step): (bool, Option<String>, Option<String>, Option<i64>) =
        sqlx::query_as("SELECT totp_enabled, totp_secret_enc, totp_backup_codes_enc, totp_last_step FROM app_settings WHERE id = 1")
            .fetch_one(&mut *conn)
            .await?;
    let (true, Some(sealed)) = (enabled, secret) else { return Ok(None) };
    Ok(Some(UsedCodes { secret: state.keys.open(purpose::TOTP_SECRET, &sealed)?, codes_sealed, last_step }))
}

/// In the same transaction, after the settings were written: when the restored 2FA secret is the
/// one in use before, the backup codes as they are now stay (a code spent since the backup was
/// made stays spent; codes replaced by "New backup codes" stay replaced) and so does the last
/// used time step (the current code cannot be replayed).
pub async fn keep_used_codes_used(conn: &mut sqlx::SqliteConnection, state: &AppState, before: &UsedCodes) -> Result<(), AuthError> {
    let (enabled, secret): (bool, Option<String>) =
        sqlx::query_as("SELECT totp_enabled, totp_secret_enc FROM app_settings WHERE id = 1").fetch_one(&mut *conn).await?;
    let (true, Some(secret)) = (enabled, secret) else { return Ok(()) };
    if !constant_time_eq(state.keys.open(purpose::TOTP_SECRET, &secret)?.as_bytes(), before.secret.as_bytes()) {
        return Ok(()); // another enrolment: its own codes, nothing known about their use here
    }
    sqlx::query("UPDATE app_settings SET totp_backup_codes_enc = $1, totp_last_step = $2 WHERE id = 1")
        .bind(&before.codes_sealed)
        .bind(before.last_step)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Every two-factor column of the settings row, as stored (sealed values stay sealed).
pub struct TotpColumns {
    enabled: bool,
    secret: Option<String>,
    backup_codes: Option<String>,
    pending_secret: Option<String>,
    last_step: Option<i64>,
}

pub async fn columns(conn: &mut sqlx::SqliteConnection) -> Result<TotpColumns, AuthError> {
    let (enabled, secret, backup_codes, pending_secret, last_step) = sqlx::query_as(
        "SELECT totp_enabled, totp_secret_enc, totp_backup_codes_enc, totp_pending_secret_enc, totp_last_step FROM app_settings WHERE id = 1",
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(TotpColumns { enabled, secret, backup_codes, pending_secret, last_step })
}

/// Puts the two-factor columns back as [`columns`] read them (a restore that keeps this
/// instance's two-factor login, in its transaction).
pub async fn restore_columns(conn: &mut sqlx::SqliteConnection, c: &TotpColumns) -> Result<(), AuthError> {
    sqlx::query(
        "UPDATE app_settings SET totp_enabled = $1, totp_secret_enc = $2, totp_backup_codes_enc = $3, totp_pending_secret_enc = $4, \
         totp_last_step = $5 WHERE id = 1",
    )
    .bind(c.enabled)
    .bind(&c.secret)
    .bind(&c.backup_codes)
    .bind(&c.pending_secret)
    .bind(c.last_step)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Test helper and CLI aid: the code an authenticator would show for `secret` at `unix_secs`.
pub fn code_at(secret_base32: &str, unix_secs: u64) -> Result<String, AuthError> {
    Ok(totp_for(secret_base32)?.generate(unix_secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_vector() {
        // RFC 6238 appendix B: secret "12345678901234567890", T = 59 → 94287082 (8 digits); 6 digits → 287082.
        let secret = Secret::Raw(b"12345678901234567890".to_vec()).to_encoded().to_string();
        assert_eq!(code_at(&secret, 59).unwrap(), "287082");
        assert_eq!(code_at(&secret, 1111111109).unwrap(), "081804");
    }

    #[test]
    fn skew_window_is_one_step() {
        let secret = Secret::generate_secret().to_encoded().to_string();
        let totp = totp_for(&secret).unwrap();
        let now = 1_800_000_000u64;
        let prev = totp.generate(now - 30);
        let far = totp.generate(now - 90);
        assert!(matching_step(&totp, &prev, now).is_some());
        assert!(matching_step(&totp, &far, now).is_none() || far == totp.generate(now));
    }

    #[test]
    fn the_original_backup_code_hash() {
        // Independently: python3 -c "import hashlib; print(hashlib.sha256(b'DEADBEEF' + b'ffeeddccbbaa99887766554433221100').hexdigest())"
        let salt = "ffeeddccbbaa99887766554433221100";
        let want = "d8050da4cbdccc620842e0c417d9cd7487d38d705afa31634ca4e5bb48d424ea";
        assert_eq!(original_code_hash("DEAD-BEEF", salt), want);
        // As typed at login (normalize: lower case, no dashes or spaces), it still matches.
        let stored = StoredCode::Original(OriginalCode { sha256: want.into(), salt: salt.into() });
        assert!(stored.matches(&normalize(" dead-beef ")));
        assert!(stored.matches(&normalize("DEADBEEF")));
        assert!(!stored.matches(&normalize("DEAD-BEEE")));
        // The original's own test vector (original-backup/src/secrets.rs, computed with hashlib).
        assert_eq!(
            original_code_hash("a1b2-c3d4", "00112233445566778899aabbccddeeff"),
            "f4c4e50d5bd457fb2442708545b854b581937f5de9db743495f991e521d09afb"
        );
    }

    #[test]
    fn carried_original_codes_keep_only_the_unused_ones() {
        let json = format!(
            r#"[{{"hash":"{h}","salt":"ffeeddccbbaa99887766554433221100","used":false}},{{"hash":"{h}","salt":"ffeeddccbbaa99887766554433221100","used":true}},{{"hash":"zz","salt":"s","used":false}}]"#,
            h = "D8050DA4CBDCCC620842E0C417D9CD7487D38D705AFA31634CA4E5BB48D424EA"
        );
        let carried = carry_original_codes(&original_backup::BackupCodes::parse(&json).unwrap()).unwrap();
        assert_eq!((carried.carried, carried.used, carried.malformed), (1, 1, 1));
        let codes = parse_codes(&carried.json);
        assert_eq!(codes.len(), 1);
        assert!(codes[0].matches(&normalize("DEAD-BEEF")), "an upper-case hex hash is kept in lower case");
        // Both kinds live in one list; the old list of strings still reads.
        let mixed: Vec<StoredCode> = serde_json::from_str(&format!(r#"["abcde-fghij",{}]"#, &carried.json[1..carried.json.len() - 1])).unwrap();
        assert!(mixed[0].matches("abcdefghij") && mixed[1].matches("deadbeef"));
        assert_eq!(parse_codes(r#"["abcde-fghij","23456-789ab"]"#).len(), 2);
        // An object with anything else (say the original's `used`) is not taken for a usable code.
        assert!(parse_codes(r#"[{"sha256":"00","salt":"s","used":true}]"#).is_empty());
    }

    #[test]
    fn backup_codes_are_distinct_and_readable() {
        let codes = new_backup_codes();
        assert_eq!(codes.len(), BACKUP_CODE_COUNT);
        let unique: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(unique.len(), codes.len());
        assert!(codes.iter().all(|c| c.len() == 11 && c.as_bytes()[5] == b'-'));
        assert_eq!(normalize(" ABCDE-fghij "), "abcdefghij");
    }
}
