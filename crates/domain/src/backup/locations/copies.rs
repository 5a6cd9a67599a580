//! The backup_copies table: one row per backup per location it was sent to, with where the copy
//! stands (uploading, retrying, uploaded, verified, failed with the reason). Touches no remote.

use super::LocationError;
use crate::time::to_db;
use crate::AppState;
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;
use std::collections::HashMap;
use tt_core::model::locations::{CopyStatus, RemoteCopy};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CopyRow {
    pub id: i64,
    pub location_id: i64,
    pub history_id: Option<i64>,
    pub backup_created_at: DateTime<Utc>,
    pub remote_key: String,
    pub encrypted: bool,
    pub size_bytes: Option<i64>,
    pub sha256: Option<String>,
    pub status: CopyStatus,
    pub attempts: i64,
    pub error: Option<String>,
    pub pinned: bool,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub verified_at: Option<DateTime<Utc>>,
    pub instance_url: Option<String>,
    pub app_version: Option<String>,
}

const COLUMNS: &str = "id, location_id, history_id, backup_created_at, remote_key, encrypted, size_bytes, sha256, status, attempts, error, pinned, \
                       started_at, updated_at, verified_at, instance_url, app_version";

#[derive(Debug, sqlx::FromRow)]
struct Named {
    #[sqlx(flatten)]
    row: CopyRow,
    location_name: String,
}

impl CopyRow {
    pub fn view(self, location_name: String) -> RemoteCopy {
        RemoteCopy {
            id: self.id,
            location_id: self.location_id,
            location_name,
            history_id: self.history_id,
            remote_key: self.remote_key,
            backup_created_at: self.backup_created_at,
            encrypted: self.encrypted,
            size_bytes: self.size_bytes,
            sha256: self.sha256,
            status: self.status,
            attempts: self.attempts,
            error: self.error,
            pinned: self.pinned,
            updated_at: self.updated_at,
            verified_at: self.verified_at,
        }
    }

    /// The object's file name (the last part of its key).
    pub fn file_name(&self) -> &str {
        self.remote_key.rsplit('/').next().unwrap_or(&self.remote_key)
    }
}

fn named_sql(filter: &str) -> String {
    let cols = COLUMNS.split(", ").map(|c| format!("c.{}", c.trim())).collect::<Vec<_>>().join(", ");
    format!("SELECT {cols}, l.name AS location_name FROM backup_copies c JOIN backup_locations l ON l.id = c.location_id {filter}")
}

/// A copy about to be uploaded.
pub struct NewCopy<'a> {
    pub location_id: i64,
    pub history_id: i64,
    pub backup_created_at: DateTime<Utc>,
    pub remote_key: &'a str,
    pub encrypted: bool,
    pub size: u64,
    pub sha256: &'a str,
    pub instance_url: Option<&'a str>,
    pub app_version: &'a str,
}

pub async fn start(state: &AppState, c: &NewCopy<'_>) -> Result<i64, LocationError> {
    let now = to_db(state.now());
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO backup_copies (location_id, history_id, backup_created_at, remote_key, encrypted, size_bytes, sha256, status, attempts,
            started_at, updated_at, instance_url, app_version, pinned)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $9, $10, $11, COALESCE((SELECT pinned FROM backup_history WHERE id = $2), 0)) RETURNING id",
    )
    .bind(c.location_id)
    .bind(c.history_id)
    .bind(to_db(c.backup_created_at))
    .bind(c.remote_key)
    .bind(c.encrypted)
    .bind(c.size as i64)
    .bind(c.sha256)
    .bind(CopyStatus::Uploading)
    .bind(&now)
    .bind(c.instance_url)
    .bind(c.app_version)
    .fetch_one(&state.db)
    .await?;
    Ok(id)
}

/// Records where a copy stands; `attempts` counts the uploads tried so far.
pub async fn set_status(state: &AppState, id: i64, status: CopyStatus, attempts: i64, error: Option<&str>) -> Result<(), LocationError> {
    let verified_at = (status == CopyStatus::Verified).then(|| to_db(state.now()));
    sqlx::query(
        "UPDATE backup_copies SET status = $1, attempts = $2, error = $3, updated_at = $4, verified_at = COALESCE($5, verified_at) WHERE id = $6",
    )
    .bind(status)
    .bind(attempts)
    .bind(error)
    .bind(to_db(state.now()))
    .bind(verified_at)
    .bind(id)
    .execute(&state.db)
    .await?;
    Ok(())
}

/// Records a copy as failed with `error`, keeping the attempts counted so far.
pub async fn set_failed(state: &AppState, id: i64, error: &str) -> Result<(), LocationError> {
    sqlx::query("UPDATE backup_copies SET status = $1, error = $2, updated_at = $3 WHERE id = $4")
        .bind(CopyStatus::Failed)
        .bind(error)
        .bind(to_db(state.now()))
        .bind(id)
        .execute(&state.db)
        .await?;
    Ok(())
}

/// Records an object an upload's attempt may have left at `remote_key` (not proved this app's,
/// so never deleted) as a failed copy of the same backup beside `of`: the History and the
/// listing show it, and it is never taken for a good copy (no hash; retention keeps off it).
pub async fn record_left(state: &AppState, of: i64, remote_key: &str, error: &str) -> Result<i64, LocationError> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO backup_copies (location_id, history_id, backup_created_at, remote_key, encrypted, size_bytes, sha256, status, attempts, error,
            started_at, updated_at, instance_url, app_version, pinned)
         SELECT location_id, history_id, backup_created_at, $1, encrypted, NULL, NULL, $2, attempts, $3, started_at, $4, instance_url, app_version, 0
         FROM backup_copies WHERE id = $5 RETURNING id",
    )
    .bind(remote_key)
    .bind(CopyStatus::Failed)
    .bind(error)
    .bind(to_db(state.now()))
    .bind(of)
    .fetch_optional(&state.db)
    .await?
    .ok_or(LocationError::CopyNotFound(of))?;
    Ok(id)
}

/// The key a copy goes to, when the one first chosen was taken there.
pub async fn set_key(state: &AppState, id: i64, remote_key: &str) -> Result<(), LocationError> {
    sqlx::query("UPDATE backup_copies SET remote_key = $1 WHERE id = $2").bind(remote_key).bind(id).execute(&state.db).await?;
    Ok(())
}

pub async fn row(state: &AppState, id: i64) -> Result<CopyRow, LocationError> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM backup_copies WHERE id = $1"))
        .bind(id)
        .fetch_optional(&state.db)
        .await?
        .ok_or(LocationError::CopyNotFound(id))
}

/// A location's copies, newest backup first.
pub async fn of_location(state: &AppState, location_id: i64) -> Result<Vec<CopyRow>, LocationError> {
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM backup_copies WHERE location_id = $1 ORDER BY backup_created_at DESC, id DESC"))
        .bind(location_id)
        .fetch_all(&state.db)
        .await?)
}

/// The latest copy made in a location.
pub async fn latest_of(state: &AppState, location_id: i64) -> Result<Option<RemoteCopy>, LocationError> {
    let row: Option<Named> =
        sqlx::query_as(&named_sql("WHERE c.location_id = $1 ORDER BY c.id DESC LIMIT 1")).bind(location_id).fetch_optional(&state.db).await?;
    Ok(row.map(|n| n.row.view(n.location_name)))
}

/// Every copy of the local backups, by history id (for the History).
pub async fn by_history(state: &AppState) -> Result<HashMap<i64, Vec<RemoteCopy>>, LocationError> {
    let rows: Vec<Named> = sqlx::query_as(&named_sql("WHERE c.history_id IS NOT NULL ORDER BY l.name, c.id")).fetch_all(&state.db).await?;
    let mut out: HashMap<i64, Vec<RemoteCopy>> = HashMap::new();
    for n in rows {
        if let Some(h) = n.row.history_id {
            out.entry(h).or_default().push(n.row.view(n.location_name));
        }
    }
    Ok(out)
}

pub async fn remove(state: &AppState, id: i64) -> Result<(), LocationError> {
    sqlx::query("DELETE FROM backup_copies WHERE id = $1").bind(id).execute(&state.db).await?;
    Ok(())
}

/// Pins or unpins the copies of a local backup (the history row carries its own flag).
pub async fn set_pinned_for_history(state: &AppState, history_id: i64, pinned: bool) -> Result<(), LocationError> {
    sqlx::query("UPDATE backup_copies SET pinned = $1 WHERE history_id = $2").bind(pinned).bind(history_id).execute(&state.db).await?;
    Ok(())
}

/// Pins or unpins one copy (also one whose local backup is gone).
pub async fn set_pinned(state: &AppState, id: i64, pinned: bool) -> Result<RemoteCopy, LocationError> {
    let done = sqlx::query("UPDATE backup_copies SET pinned = $1 WHERE id = $2").bind(pinned).bind(id).execute(&state.db).await?;
    if done.rows_affected() == 0 {
        return Err(LocationError::CopyNotFound(id));
    }
    let n: Named = sqlx::query_as(&named_sql("WHERE c.id = $1")).bind(id).fetch_one(&state.db).await?;
    Ok(n.row.view(n.location_name))
}

/// At start-up: uploads a stop cut off are recorded as failed.
pub async fn close_interrupted(state: &AppState) -> Result<u64, LocationError> {
    let done = sqlx::query("UPDATE backup_copies SET status = $1, error = $2, updated_at = $3 WHERE status IN ($4, $5, $6)")
        .bind(CopyStatus::Failed)
        .bind("The server stopped during this upload; the next backup run uploads a new backup.")
        .bind(to_db(state.now()))
        .bind(CopyStatus::Uploading)
        .bind(CopyStatus::Retrying)
        .bind(CopyStatus::Uploaded)
        .execute(&state.db)
        .await?;
    Ok(done.rows_affected())
}

/// A location's copy rows as they are (for a restore, which moves them to the restored location).
pub async fn rows_of(conn: &mut SqliteConnection, location_id: i64) -> Result<Vec<CopyRow>, LocationError> {
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM backup_copies WHERE location_id = $1")).bind(location_id).fetch_all(&mut *conn).await?)
}

/// Puts back copy rows a restore saved, ids and all.
pub async fn reinsert(conn: &mut SqliteConnection, rows: &[CopyRow]) -> Result<(), LocationError> {
    for c in rows {
        sqlx::query(&format!(
            "INSERT INTO backup_copies ({COLUMNS}) VALUES ($1, $2, (SELECT id FROM backup_history WHERE id = $3), $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
        ))
        .bind(c.id)
        .bind(c.location_id)
        .bind(c.history_id)
        .bind(to_db(c.backup_created_at))
        .bind(&c.remote_key)
        .bind(c.encrypted)
        .bind(c.size_bytes)
        .bind(&c.sha256)
        .bind(c.status)
        .bind(c.attempts)
        .bind(&c.error)
        .bind(c.pinned)
        .bind(to_db(c.started_at))
        .bind(to_db(c.updated_at))
        .bind(c.verified_at.map(to_db))
        .bind(&c.instance_url)
        .bind(&c.app_version)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
