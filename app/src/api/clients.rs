//! Download clients: list, create/update, delete, and a client's recent snapshots.

use crate::error::AppError;
use leptos::prelude::*;
use server_fn::codec::{GetUrl, Json};

#[cfg(feature = "ssr")]
use super::ssr::*;
#[cfg(feature = "ssr")]
use crate::domain::clients as domain;

pub use crate::model::clients::{ClientConfig, ClientInput, ClientSnapshot, ClientView, SnapshotPage, CLIENT_TYPES};

#[cfg(feature = "ssr")]
impl From<domain::ClientError> for AppError {
    fn from(e: domain::ClientError) -> Self {
        use crate::error::ErrorKind;
        use domain::ClientError as E;
        match e {
            E::NotFound(_) => AppError::new(ErrorKind::NotFound, e.to_string()),
            E::Invalid(i) => i.into(),
            E::Secret(s) => s.into(),
            E::Corrupt(m) => internal("stored download client data is damaged", m),
            E::Db(db) => db.into(),
        }
    }
}

/// All download clients (the default first). Credentials are never included: only whether they are set.
#[server(prefix = "/api", endpoint = "clients/list", input = GetUrl)]
pub async fn list_clients() -> Result<Vec<ClientView>, AppError> {
    let (state, _) = require_auth().await?;
    Ok(domain::list(&state).await?)
}

/// Creates (`input.id` null) or updates a client; returns it as stored.
#[server(prefix = "/api", endpoint = "clients/save", input = Json)]
pub async fn save_client(input: ClientInput) -> Result<ClientView, AppError> {
    let (state, _) = require_auth().await?;
    Ok(domain::save(&state, &input).await?)
}

/// Deletes a client with its snapshots, uptime history and runtime state.
#[server(prefix = "/api", endpoint = "clients/delete", input = Json)]
pub async fn delete_client(id: i64) -> Result<(), AppError> {
    let (state, _) = require_auth().await?;
    Ok(domain::delete(&state, id).await?)
}

/// One page of a client's snapshots, newest first (`limit` 1–500, default 50).
#[server(prefix = "/api", endpoint = "clients/snapshots", input = GetUrl)]
pub async fn list_client_snapshots(client_id: i64, offset: Option<i64>, limit: Option<i64>) -> Result<SnapshotPage, AppError> {
    let (state, _) = require_auth().await?;
    Ok(domain::snapshots(&state, client_id, offset.unwrap_or(0), limit.unwrap_or(50)).await?)
}
