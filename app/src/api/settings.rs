//! Settings → General.

use crate::error::AppError;
use leptos::prelude::*;
use server_fn::codec::{GetUrl, Json};

#[cfg(feature = "ssr")]
use super::ssr::*;
#[cfg(feature = "ssr")]
use crate::domain::settings::general as domain;

pub use crate::model::settings::{GeneralSettings, GeneralSettingsInput, GeneralSettingsView, PROXY_TYPES};

/// Poll interval, snapshot retention, proxy and notification defaults. The proxy password is
/// never included: only whether one is stored.
#[server(prefix = "/api", endpoint = "settings/general/get", input = GetUrl)]
pub async fn get_general_settings() -> Result<GeneralSettingsView, AppError> {
    let (state, _) = require_auth().await?;
    Ok(domain::get(&state).await?)
}

#[server(prefix = "/api", endpoint = "settings/general/save", input = Json)]
pub async fn save_general_settings(input: GeneralSettingsInput) -> Result<GeneralSettingsView, AppError> {
    let (state, _) = require_auth().await?;
    Ok(domain::save(&state, &input).await?)
}
