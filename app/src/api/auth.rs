//! Setup, login, logout, and Settings → Security.

use crate::error::AppError;
use leptos::prelude::*;
use server_fn::codec::{GetUrl, Json};

#[cfg(feature = "ssr")]
use super::ssr::*;
#[cfg(feature = "ssr")]
use crate::domain::auth::{self as domain, session};

pub use crate::model::auth::{AuthStatus, SecurityOverview, SecuritySettings, TotpEnrolment};

/// Public: what the login and setup pages need to know.
#[server(prefix = "/api", endpoint = "auth/status", input = GetUrl)]
pub async fn get_auth_status() -> Result<AuthStatus, AppError> {
    let state = state()?;
    let set_up = domain::is_set_up(&state).await?;
    let logged_in = match session_token() {
        Some(t) if set_up => domain::session_is_valid(&state, &t).await?,
        _ => false,
    };
    let totp_required = set_up && crate::domain::settings::load(&state.db).await?.totp_enabled;
    Ok(AuthStatus { set_up, logged_in, totp_required })
}

/// Public, first run only: sets the login password and logs in.
#[server(prefix = "/api", endpoint = "auth/setup", input = Json)]
pub async fn setup(password: String, confirm: String) -> Result<(), AppError> {
    let state = state()?;
    domain::setup(&state, &password, &confirm).await?;
    let token = session::create(&state.db, state.now()).await?;
    set_cookie(session::set_cookie(&token, state.config.secure_cookies));
    Ok(())
}

/// Public: logs in with the password (and the 2FA code when two-factor login is on).
#[server(prefix = "/api", endpoint = "auth/login", input = Json)]
pub async fn login(password: String, code: Option<String>) -> Result<(), AppError> {
    let state = state()?;
    let token = domain::login(&state, &password, code.as_deref()).await?;
    set_cookie(session::set_cookie(&token, state.config.secure_cookies));
    Ok(())
}

#[server(prefix = "/api", endpoint = "auth/logout", input = Json)]
pub async fn logout() -> Result<(), AppError> {
    let state = state()?;
    if let Some(token) = session_token() {
        session::delete(&state.db, &token).await?;
    }
    set_cookie(session::clear_cookie(state.config.secure_cookies));
    Ok(())
}

#[server(prefix = "/api", endpoint = "security/overview", input = GetUrl)]
pub async fn get_security_overview() -> Result<SecurityOverview, AppError> {
    let (state, _) = require_auth().await?;
    let s = crate::domain::settings::load(&state.db).await?;
    Ok(SecurityOverview {
        totp_enabled: s.totp_enabled,
        backup_codes_left: if s.totp_enabled { domain::totp::backup_codes_left(&state).await? } else { 0 },
        settings: SecuritySettings {
            session_timeout_minutes: s.session_timeout_minutes,
            lockout_threshold: s.lockout_threshold,
            lockout_minutes: s.lockout_minutes,
        },
    })
}

#[server(prefix = "/api", endpoint = "security/settings", input = Json)]
pub async fn save_security_settings(input: SecuritySettings) -> Result<(), AppError> {
    let (state, _) = require_auth().await?;
    crate::domain::settings::security::save(&state, &input).await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "security/password", input = Json)]
pub async fn change_password(current: String, new_password: String, confirm: String) -> Result<(), AppError> {
    let (state, token) = require_auth().await?;
    domain::change_password(&state, &token, &current, &new_password, &confirm).await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "security/totp/begin", input = Json)]
pub async fn totp_begin(password: String) -> Result<TotpEnrolment, AppError> {
    let (state, _) = require_auth().await?;
    domain::verify_current_password(&state, &password).await?;
    let e = domain::totp::begin(&state).await?;
    Ok(TotpEnrolment { otpauth_uri: e.otpauth_uri, secret_base32: e.secret_base32, qr_svg: e.qr_svg })
}

/// Confirms 2FA with a code; returns the backup codes (shown once).
#[server(prefix = "/api", endpoint = "security/totp/confirm", input = Json)]
pub async fn totp_confirm(code: String) -> Result<Vec<String>, AppError> {
    let (state, _) = require_auth().await?;
    Ok(domain::totp::confirm(&state, &code).await?)
}

#[server(prefix = "/api", endpoint = "security/totp/disable", input = Json)]
pub async fn totp_disable(password: String) -> Result<(), AppError> {
    let (state, _) = require_auth().await?;
    domain::verify_current_password(&state, &password).await?;
    domain::totp::disable(&state).await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "security/totp/backup-codes", input = Json)]
pub async fn totp_regenerate_codes(password: String) -> Result<Vec<String>, AppError> {
    let (state, _) = require_auth().await?;
    domain::verify_current_password(&state, &password).await?;
    Ok(domain::totp::regenerate_backup_codes(&state).await?)
}
