//! Trackers, their history (snapshots) and roles.

use crate::error::AppError;
use leptos::prelude::*;
use server_fn::codec::{GetUrl, Json};

#[cfg(feature = "ssr")]
use super::ssr::*;
#[cfg(feature = "ssr")]
use crate::domain::{snapshots, trackers as domain};

pub use crate::model::trackers::{
    ManualSnapshotInput, RoleInput, SeriesPoint, Snapshot, TrackerConfig, TrackerInput, TrackerRole, TrackerSnapshotPage, TrackerView, PLATFORMS,
};

#[cfg(feature = "ssr")]
impl From<domain::TrackerError> for AppError {
    fn from(e: domain::TrackerError) -> Self {
        use crate::error::ErrorKind;
        use domain::TrackerError as E;
        match e {
            E::NotFound(_) => AppError::new(ErrorKind::NotFound, e.to_string()),
            E::Invalid(i) => i.into(),
            E::Secret(s) => s.into(),
            E::Corrupt(m) => internal("stored tracker data is damaged", m),
            E::Db(db) => db.into(),
            E::Snapshot(s) => s.into(),
            E::Settings(s) => s.into(),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<snapshots::SnapshotError> for AppError {
    fn from(e: snapshots::SnapshotError) -> Self {
        use crate::error::ErrorKind;
        use snapshots::SnapshotError as E;
        match e {
            E::NotFound(_) => AppError::new(ErrorKind::NotFound, e.to_string()),
            E::Invalid(i) => i.into(),
            E::Db(db) => db.into(),
        }
    }
}

/// All trackers with their latest snapshot. Tokens are never included: only whether one is set.
#[server(prefix = "/api", endpoint = "trackers/list", input = GetUrl)]
pub async fn list_trackers() -> Result<Vec<TrackerView>, AppError> {
    let (state, _) = require_auth().await?;
    Ok(domain::list(&state).await?)
}

#[server(prefix = "/api", endpoint = "trackers/get", input = GetUrl)]
pub async fn get_tracker(id: i64) -> Result<TrackerView, AppError> {
    let (state, _) = require_auth().await?;
    Ok(domain::get(&state, id).await?)
}

/// Creates (`input.id` null) or updates a tracker; returns it as stored.
#[server(prefix = "/api", endpoint = "trackers/save", input = Json)]
pub async fn save_tracker(input: TrackerInput) -> Result<TrackerView, AppError> {
    let (state, _) = require_auth().await?;
    Ok(domain::save(&state, &input).await?)
}

/// Pauses (`paused` true) or resumes a tracker; returns it. Pausing a paused tracker keeps the
/// time it was paused.
#[server(prefix = "/api", endpoint = "trackers/pause", input = Json)]
pub async fn pause_tracker(id: i64, paused: bool) -> Result<TrackerView, AppError> {
    let (state, _) = require_auth().await?;
    Ok(domain::set_paused(&state, id, paused).await?)
}

/// Deletes a tracker with its snapshots, roles and runtime state.
#[server(prefix = "/api", endpoint = "trackers/delete", input = Json)]
pub async fn delete_tracker(id: i64) -> Result<(), AppError> {
    let (state, _) = require_auth().await?;
    Ok(domain::delete(&state, id).await?)
}

/// One page of a tracker's snapshots, newest first (`limit` 1–500, default 25).
#[server(prefix = "/api", endpoint = "trackers/snapshots", input = GetUrl)]
pub async fn list_snapshots(tracker_id: i64, offset: Option<i64>, limit: Option<i64>) -> Result<TrackerSnapshotPage, AppError> {
    let (state, _) = require_auth().await?;
    Ok(snapshots::page(&state, tracker_id, offset.unwrap_or(0), limit.unwrap_or(25)).await?)
}

/// Up to 500 evenly spaced points of upload/download over the tracker's whole history.
#[server(prefix = "/api", endpoint = "trackers/series", input = GetUrl)]
pub async fn snapshot_series(tracker_id: i64) -> Result<Vec<SeriesPoint>, AppError> {
    let (state, _) = require_auth().await?;
    Ok(snapshots::series(&state, tracker_id).await?)
}

/// Adds a snapshot typed by hand (ratio and buffer are derived).
#[server(prefix = "/api", endpoint = "trackers/snapshots/add", input = Json)]
pub async fn add_manual_snapshot(input: ManualSnapshotInput) -> Result<Snapshot, AppError> {
    let (state, _) = require_auth().await?;
    Ok(snapshots::add_manual(&state, &input).await?)
}

#[server(prefix = "/api", endpoint = "trackers/snapshots/delete", input = Json)]
pub async fn delete_snapshot(id: i64) -> Result<(), AppError> {
    let (state, _) = require_auth().await?;
    Ok(snapshots::delete(&state, id).await?)
}

#[server(prefix = "/api", endpoint = "trackers/roles", input = GetUrl)]
pub async fn list_roles(tracker_id: i64) -> Result<Vec<TrackerRole>, AppError> {
    let (state, _) = require_auth().await?;
    Ok(snapshots::roles(&state, tracker_id).await?)
}

#[server(prefix = "/api", endpoint = "trackers/roles/add", input = Json)]
pub async fn add_role(input: RoleInput) -> Result<TrackerRole, AppError> {
    let (state, _) = require_auth().await?;
    Ok(snapshots::add_role(&state, &input).await?)
}

#[server(prefix = "/api", endpoint = "trackers/roles/delete", input = Json)]
pub async fn delete_role(id: i64) -> Result<(), AppError> {
    let (state, _) = require_auth().await?;
    Ok(snapshots::delete_role(&state, id).await?)
}
