//! Session timeout and lockout settings (Settings → Security).

use super::SettingsError;
use crate::time::to_db;
use crate::AppState;

pub async fn save(state: &AppState, input: &tt_core::model::auth::SecuritySettings) -> Result<(), SettingsError> {
    input.validate()?;
    sqlx::query("UPDATE app_settings SET session_timeout_minutes = $1, lockout_threshold = $2, lockout_minutes = $3, updated_at = $4 WHERE id = 1")
        .bind(input.session_timeout_minutes)
        .bind(input.lockout_threshold)
        .bind(input.lockout_minutes)
        .bind(to_db(state.now()))
        .execute(&state.db)
        .await?;
    Ok(())
}
