//! Notification targets: list, create/update, delete, send a test, the delivery history, and the
//! trackers a target can be limited to.

use crate::error::AppError;
use leptos::prelude::*;
use server_fn::codec::{GetUrl, Json};

#[cfg(feature = "ssr")]
use super::ssr::*;
#[cfg(feature = "ssr")]
use crate::domain::{notifications as domain, notify};

pub use crate::model::notifications::{
    split_addresses, Delivery, SmtpSecurity, SmtpServer, TargetConfig, TargetConfigFlags, TargetConfigUpdate, TargetInput, TargetSettings,
    TargetView, Thresholds, TrackerChoice, EVENTS, TARGET_TYPES,
};

#[cfg(feature = "ssr")]
impl From<domain::NotificationError> for AppError {
    fn from(e: domain::NotificationError) -> Self {
        use crate::error::ErrorKind;
        use domain::NotificationError as E;
        match e {
            E::NotFound(_) => AppError::new(ErrorKind::NotFound, e.to_string()),
            E::Invalid(i) => i.into(),
            E::Secret(s) => s.into(),
            E::Corrupt(m) => internal("stored notification data is damaged", m),
            E::Db(db) => db.into(),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<notify::NotifyError> for AppError {
    fn from(e: notify::NotifyError) -> Self {
        use crate::error::ErrorKind;
        use notify::NotifyError as E;
        match e {
            E::NotFound(_) => AppError::new(ErrorKind::NotFound, e.to_string()),
            // The reason is already free of secrets; the attempt is recorded as 'failed'.
            E::Failed { target, reason, .. } => {
                AppError::new(ErrorKind::Upstream, format!("The test message to \"{target}\" was not delivered: {reason}."))
            }
            E::Store(s) => s.into(),
            E::Db(db) => db.into(),
        }
    }
}

/// All targets by name, with their last delivery. Delivery settings are never included.
#[server(prefix = "/api", endpoint = "notifications/list", input = GetUrl)]
pub async fn list_notification_targets() -> Result<Vec<TargetView>, AppError> {
    let (state, _) = require_auth().await?;
    Ok(domain::list(&state).await?)
}

/// Creates (`input.id` null) or updates a target; returns it as stored.
#[server(prefix = "/api", endpoint = "notifications/save", input = Json)]
pub async fn save_notification_target(input: TargetInput) -> Result<TargetView, AppError> {
    let (state, _) = require_auth().await?;
    Ok(domain::save(&state, &input).await?)
}

/// Deletes a target and its delivery history.
#[server(prefix = "/api", endpoint = "notifications/delete", input = Json)]
pub async fn delete_notification_target(id: i64) -> Result<(), AppError> {
    let (state, _) = require_auth().await?;
    Ok(domain::delete(&state, id).await?)
}

/// Sends a test message to one target now and returns the recorded delivery; a failed attempt is
/// recorded too and answered with an error giving the reason.
#[server(prefix = "/api", endpoint = "notifications/test", input = Json)]
pub async fn send_test_notification(id: i64) -> Result<Delivery, AppError> {
    let (state, _) = require_auth().await?;
    Ok(notify::send_test(&state, id).await?)
}

/// The latest deliveries, newest first: of one target, or of all (`limit` 1–200, default 20).
#[server(prefix = "/api", endpoint = "notifications/deliveries", input = GetUrl)]
pub async fn list_deliveries(target_id: Option<i64>, limit: Option<i64>) -> Result<Vec<Delivery>, AppError> {
    let (state, _) = require_auth().await?;
    Ok(domain::deliveries(&state, target_id, limit.unwrap_or(20)).await?)
}

/// The trackers a target can be limited to, in display order.
#[server(prefix = "/api", endpoint = "notifications/trackers", input = GetUrl)]
pub async fn list_tracker_choices() -> Result<Vec<TrackerChoice>, AppError> {
    let (state, _) = require_auth().await?;
    Ok(domain::tracker_choices(&state).await?)
}
