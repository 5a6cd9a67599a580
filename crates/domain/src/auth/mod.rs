//! Login: first-run setup, password check with lockout, TOTP, sessions, password change.

pub mod error;
pub mod password;
pub mod session;
pub mod totp;

use super::secrets::{self, derive_kek, random_salt, DataKey, KdfCosts, KdfParams, KeyWrapCrypto, PortableKeyWrap, SecretError, INSTANCE_KDF};
use super::settings;
use super::state::AppState;
use super::time::{from_db, to_db};
// The error has a file of its own so that auth's submodules can use it without importing this one.
use chrono::{DateTime, Duration, Utc};
pub use error::AuthError;
use zeroize::Zeroizing;

#[derive(Debug, Clone, sqlx::FromRow)]
struct InstanceRow {
    password_hash: String,
    instance_salt: Vec<u8>,
    dek_wrapped_password: Vec<u8>,
    /// JSON KdfParams; NULL for instances made before the column (production parameters).
    instance_kdf: Option<String>,
    locked_until: Option<String>,
}

async fn instance(state: &AppState) -> Result<Option<InstanceRow>, AuthError> {
    Ok(sqlx::query_as::<_, InstanceRow>(
        "SELECT password_hash, instance_salt, dek_wrapped_password, instance_kdf, locked_until FROM instance WHERE id = 1",
    )
    .fetch_optional(&state.db)
    .await?)
}

pub async fn is_set_up(state: &AppState) -> Result<bool, AuthError> {
    Ok(instance(state).await?.is_some())
}

/// Runs CPU-heavy key derivation off the async workers.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, AuthError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| AuthError::Internal(e.to_string()))
}

/// Key material made from a password: the hash, the sealed data key (and the parameters it was
/// sealed with), the portable wrap.
struct PasswordKeys {
    hash: String,
    dek_wrapped_password: Vec<u8>,
    instance_kdf: String,
    portable: PortableKeyWrap,
}

fn password_keys(password: &str, salt: &[u8], key: &DataKey, costs: KdfCosts) -> Result<PasswordKeys, AuthError> {
    let hash = password::hash(password, costs.login_hash).map_err(|e| AuthError::Internal(e.to_string()))?;
    let kek = derive_kek(password, salt, costs.instance)?;
    let instance_kdf = serde_json::to_string(&costs.instance).map_err(|e| AuthError::Internal(e.to_string()))?;
    Ok(PasswordKeys { hash, dek_wrapped_password: key.wrap(&kek), instance_kdf, portable: PortableKeyWrap::create(password, key, costs.portable)? })
}

/// The parameters the password-sealed data key was made with (stored beside it).
fn instance_kdf(row: &InstanceRow) -> Result<KdfParams, AuthError> {
    match &row.instance_kdf {
        None => Ok(INSTANCE_KDF),
        Some(json) => serde_json::from_str(json).map_err(|e| AuthError::Internal(format!("instance key parameters unreadable: {e}"))),
    }
}

/// First run: sets the login password and creates the instance's salt and data key.
pub async fn setup(state: &AppState, new_password: &str, confirm: &str) -> Result<(), AuthError> {
    password::check_new(new_password, confirm).map_err(AuthError::BadNewPassword)?;
    if is_set_up(state).await? {
        return Err(AuthError::AlreadySetUp);
    }
    let server_key = state.keys.load_or_create_server_key()?;
    let pw = new_password.to_string();
    let costs = state.config.kdf;
    let (salt, key, keys) = blocking(move || {
        let salt = random_salt();
        let key = DataKey::generate();
        let keys = password_keys(&pw, &salt, &key, costs);
        (salt, key, keys)
    })
    .await?;
    let keys = keys?;
    let portable = serde_json::to_string(&keys.portable).map_err(|e| AuthError::Internal(e.to_string()))?;
    // The primary-key CHECK (id = 1) makes a concurrent second setup fail here rather than win.
    let inserted = sqlx::query(
        "INSERT INTO instance (id, created_at, password_hash, instance_salt, dek_wrapped_password, instance_kdf, dek_wrapped_server, portable_key_wrap, key_id)
         VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING",
    )
    .bind(to_db(state.now()))
    .bind(&keys.hash)
    .bind(&salt)
    .bind(&keys.dek_wrapped_password)
    .bind(&keys.instance_kdf)
    .bind(key.wrap(&server_key))
    .bind(portable)
    .bind(key.key_id())
    .execute(&state.db)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(AuthError::AlreadySetUp);
    }
    state.keys.set(key);
    Ok(())
}

/// At start-up: unlocks the data key with the server key file, so jobs run with nobody logged in.
/// Returns false (and stays locked until the next login) when the key file is missing or differs.
pub async fn unlock_at_startup(state: &AppState) -> Result<bool, AuthError> {
    let row: Option<(Vec<u8>,)> = sqlx::query_as("SELECT dek_wrapped_server FROM instance WHERE id = 1").fetch_optional(&state.db).await?;
    let Some((wrapped,)) = row else { return Ok(false) };
    let server_key = state.keys.load_or_create_server_key()?;
    match DataKey::unwrap(&server_key, &wrapped) {
        Ok(key) => {
            state.keys.set(key);
            Ok(true)
        }
        Err(_) => Ok(false),
    }
}

fn lock_message(until: DateTime<Utc>, now: DateTime<Utc>) -> AuthError {
    let minutes = ((until - now).num_seconds() + 59) / 60;
    AuthError::Locked { until: to_db(until), minutes: minutes.max(1) }
}

/// Counts a failed attempt; locks the login once the threshold is reached.
async fn record_failure(state: &AppState) -> Result<AuthError, AuthError> {
    let now = state.now();
    let s = settings::load(&state.db).await?;
    let (attempts,): (i64,) =
        sqlx::query_as("UPDATE instance SET failed_login_attempts = failed_login_attempts + 1 WHERE id = 1 RETURNING failed_login_attempts")
            .fetch_one(&state.db)
            .await?;
    if attempts >= s.lockout_threshold {
        let until = now + Duration::minutes(s.lockout_minutes);
        sqlx::query("UPDATE instance SET locked_until = $1, failed_login_attempts = 0 WHERE id = 1").bind(to_db(until)).execute(&state.db).await?;
        return Ok(lock_message(until, now));
    }
    Ok(AuthError::WrongCredentials)
}

async fn record_success(state: &AppState) -> Result<(), AuthError> {
    sqlx::query("UPDATE instance SET failed_login_attempts = 0, locked_until = NULL WHERE id = 1").execute(&state.db).await?;
    Ok(())
}

/// Checks the login password (and, when 2FA is on and `code` is given, the TOTP or backup code)
/// under the lockout rules. Every failure counts towards the lockout, whatever part was wrong.
async fn check_credentials(state: &AppState, pw: &str, code: Option<&str>, need_code: bool, is_login: bool) -> Result<InstanceRow, AuthError> {
    // In its own task: a client that hangs up does not cancel the check half-way, so the gate is
    // released only when its Argon2 work is done and the attempt counted.
    let (state, pw, code) = (state.clone(), Zeroizing::new(pw.to_string()), code.map(|c| Zeroizing::new(c.to_string())));
    tokio::spawn(async move { check_credentials_gated(&state, &pw, code.as_deref().map(|c| c.as_str()), need_code, is_login).await })
        .await
        .map_err(|e| AuthError::Internal(e.to_string()))?
}

async fn check_credentials_gated(state: &AppState, pw: &str, code: Option<&str>, need_code: bool, is_login: bool) -> Result<InstanceRow, AuthError> {
    // Held until the attempt is counted: see `AppState::password_gate`.
    let _gate = state.password_gate.lock().await;
    let row = instance(state).await?.ok_or(AuthError::NotSetUp)?;
    let now = state.now();
    if let Some(until) = row.locked_until.as_deref().and_then(from_db) {
        if until > now {
            return Err(lock_message(until, now));
        }
    }
    let phc = row.password_hash.clone();
    let pw_owned = pw.to_string();
    let password_ok = blocking(move || password::verify(&pw_owned, &phc)).await?;
    // With a lost server key the data key is locked; the right password unlocks it (needed to
    // read the TOTP secret before the code can be checked).
    if password_ok && !state.keys.is_unlocked() {
        unlock_with_password(state, pw, &row).await?;
    }
    let code_ok = if !password_ok {
        false
    } else if need_code {
        totp::check_login_code(state, code.unwrap_or("")).await?
    } else {
        true
    };
    if !(password_ok && code_ok) {
        return Err(record_failure(state).await?);
    }
    // A login clears the failed-attempt counter; re-checking the password for an action
    // (restore, password change) leaves the login state alone.
    if is_login {
        record_success(state).await?;
    }
    Ok(row)
}

/// Verifies the current login password for a sensitive action (restore, password change, 2FA off).
/// A wrong password counts as a failed login.
pub async fn verify_current_password(state: &AppState, pw: &str) -> Result<(), AuthError> {
    check_credentials(state, pw, None, false, false).await.map(|_| ())
}

/// Logs in; returns the new session token.
pub async fn login(state: &AppState, pw: &str, code: Option<&str>) -> Result<String, AuthError> {
    let s = settings::load(&state.db).await?;
    check_credentials(state, pw, code, s.totp_enabled, true).await?;
    Ok(session::create(&state.db, state.now()).await?)
}

/// The server key file was missing or replaced: unseal the data key with the password and seal it
/// again under the current server key, so later restarts need no login.
async fn unlock_with_password(state: &AppState, pw: &str, row: &InstanceRow) -> Result<(), AuthError> {
    let (pw, salt, wrapped) = (pw.to_string(), row.instance_salt.clone(), row.dek_wrapped_password.clone());
    let params = instance_kdf(row)?;
    let key = blocking(move || -> Result<DataKey, SecretError> {
        let kek = derive_kek(&pw, &salt, params)?;
        DataKey::unwrap(&kek, &wrapped)
    })
    .await??;
    // The login goes on even when the key file cannot be written (read-only data dir, wrong
    // owner): only unattended start-ups need it, and the log says why they will stay locked.
    match state.keys.load_or_create_server_key() {
        Ok(server_key) => {
            sqlx::query("UPDATE instance SET dek_wrapped_server = $1 WHERE id = 1").bind(key.wrap(&server_key)).execute(&state.db).await?;
        }
        Err(e) => tracing::warn!("{e}; scheduled jobs will wait for a login after each restart"),
    }
    state.keys.set(key);
    Ok(())
}

/// Returns whether the request carries a live session.
pub async fn session_is_valid(state: &AppState, token: &str) -> Result<bool, AuthError> {
    let s = settings::load(&state.db).await?;
    Ok(session::validate(&state.db, token, state.now(), s.session_timeout_minutes).await?)
}

/// Changes the login password. The data key is only re-sealed, so every secret stays readable.
/// Other sessions are ended.
pub async fn change_password(state: &AppState, current_token: &str, current: &str, new_password: &str, confirm: &str) -> Result<(), AuthError> {
    password::check_new(new_password, confirm).map_err(AuthError::BadNewPassword)?;
    let row = check_credentials(state, current, None, false, false).await?;
    let key = state.keys.get()?;
    let (pw, salt) = (new_password.to_string(), row.instance_salt.clone());
    let key_for_task = key.clone();
    let costs = state.config.kdf;
    let keys = blocking(move || password_keys(&pw, &salt, &key_for_task, costs)).await??;
    let portable = serde_json::to_string(&keys.portable).map_err(|e| AuthError::Internal(e.to_string()))?;
    sqlx::query("UPDATE instance SET password_hash = $1, dek_wrapped_password = $2, instance_kdf = $3, portable_key_wrap = $4 WHERE id = 1")
        .bind(&keys.hash)
        .bind(&keys.dek_wrapped_password)
        .bind(&keys.instance_kdf)
        .bind(portable)
        .execute(&state.db)
        .await?;
    session::delete_others(&state.db, current_token).await?;
    Ok(())
}

/// The portable key wrap (for backups).
pub async fn portable_key_wrap(state: &AppState) -> Result<PortableKeyWrap, AuthError> {
    let (json,): (String,) = sqlx::query_as("SELECT portable_key_wrap FROM instance WHERE id = 1").fetch_one(&state.db).await?;
    serde_json::from_str(&json).map_err(|e| AuthError::Internal(format!("portable key wrap unreadable: {e}")))
}

pub use secrets::purpose;
