//! The locations table: create, update, delete, list (views without secrets), the sealed
//! secret, and the locations' part of a backup (export as records, restore by place).

use super::remote::Remote;
use super::{copies, LocationError};
use crate::secrets::{purpose, SecretError};
use crate::time::to_db;
use crate::AppState;
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;
use tt_core::backup_format::records::LocationRecord;
use tt_core::model::locations::{LocationInput, LocationSettings, LocationTarget, LocationView, RetentionPolicy};
use tt_core::validate::invalid;
use zeroize::Zeroizing;

#[derive(Debug, sqlx::FromRow)]
struct Row {
    id: i64,
    name: String,
    kind: String,
    target: String,
    secret_enc: Option<String>,
    enabled: bool,
    require_encryption: bool,
    retention: String,
    disabled_reason: Option<String>,
    failure_streak: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

const COLUMNS: &str =
    "id, name, kind, target, secret_enc, enabled, require_encryption, retention, disabled_reason, failure_streak, created_at, updated_at";

/// A location as stored, its secret still sealed.
#[derive(Debug, Clone)]
pub struct StoredLocation {
    pub id: i64,
    pub settings: LocationSettings,
    pub secret_enc: Option<String>,
    pub disabled_reason: Option<String>,
    pub failure_streak: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl StoredLocation {
    /// The S3 secret key or WebDAV password, opened.
    pub fn open_secret(&self, state: &AppState) -> Result<Option<Zeroizing<String>>, SecretError> {
        self.secret_enc.as_deref().map(|s| state.keys.open(purpose::LOCATION_SECRET, s)).transpose()
    }

    /// A client for this location (no request made yet).
    pub fn client(&self, state: &AppState) -> Result<Remote, LocationError> {
        client_for(state, &self.settings.target, self.secret_enc.as_deref())
    }
}

/// A client for a target and its sealed secret.
pub fn client_for(state: &AppState, target: &LocationTarget, sealed: Option<&str>) -> Result<Remote, LocationError> {
    let secret = sealed.map(|s| state.keys.open(purpose::LOCATION_SECRET, s)).transpose()?;
    if secret.is_none() && target.needs_secret() {
        let (label, field) = target.secret_label();
        return Err(invalid(field, format!("No {label} is stored for this location: enter it and save.")).into());
    }
    Ok(Remote::open(target, secret.as_deref().map(String::as_str), &state.config.remote)?)
}

impl TryFrom<Row> for StoredLocation {
    type Error = LocationError;

    fn try_from(r: Row) -> Result<Self, LocationError> {
        let corrupt = |what: &str, e: serde_json::Error| LocationError::Corrupt(format!("{what} of backup location {}: {e}", r.id));
        let target: LocationTarget = serde_json::from_str(&r.target).map_err(|e| corrupt("the target", e))?;
        if target.kind() != r.kind {
            return Err(LocationError::Corrupt(format!("backup location {} is of kind {:?} but its target is {:?}", r.id, r.kind, target.kind())));
        }
        let retention: RetentionPolicy = serde_json::from_str(&r.retention).map_err(|e| corrupt("the retention policy", e))?;
        Ok(StoredLocation {
            id: r.id,
            settings: LocationSettings { name: r.name, enabled: r.enabled, require_encryption: r.require_encryption, retention, target },
            secret_enc: r.secret_enc,
            disabled_reason: r.disabled_reason,
            failure_streak: r.failure_streak,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, LocationError> {
    serde_json::to_string(v).map_err(|e| LocationError::Corrupt(e.to_string()))
}

/// Every location, by name.
pub async fn stored_all(state: &AppState) -> Result<Vec<StoredLocation>, LocationError> {
    let rows: Vec<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM backup_locations ORDER BY name, id")).fetch_all(&state.db).await?;
    rows.into_iter().map(StoredLocation::try_from).collect()
}

/// The enabled locations' ids and names, by name: only the columns a run needs to go through
/// them one by one, so one location's damaged row fails that location alone.
pub async fn enabled_names(state: &AppState) -> Result<Vec<(i64, String)>, LocationError> {
    Ok(sqlx::query_as("SELECT id, name FROM backup_locations WHERE enabled = 1 ORDER BY name, id").fetch_all(&state.db).await?)
}

pub async fn stored(state: &AppState, id: i64) -> Result<StoredLocation, LocationError> {
    let row: Row = sqlx::query_as(&format!("SELECT {COLUMNS} FROM backup_locations WHERE id = $1"))
        .bind(id)
        .fetch_optional(&state.db)
        .await?
        .ok_or(LocationError::NotFound(id))?;
    row.try_into()
}

async fn view(state: &AppState, l: StoredLocation) -> Result<LocationView, LocationError> {
    let last_copy = copies::latest_of(state, l.id).await?;
    Ok(LocationView {
        id: l.id,
        has_secret: l.secret_enc.is_some(),
        destination: l.settings.target.describe(),
        settings: l.settings,
        disabled_reason: l.disabled_reason,
        last_copy,
        failure_streak: l.failure_streak,
    })
}

/// Every location by name, with its latest copy. Never carries a secret.
pub async fn list(state: &AppState) -> Result<Vec<LocationView>, LocationError> {
    let mut out = Vec::new();
    for l in stored_all(state).await? {
        out.push(view(state, l).await?);
    }
    Ok(out)
}

pub async fn get(state: &AppState, id: i64) -> Result<LocationView, LocationError> {
    let l = stored(state, id).await?;
    view(state, l).await
}

/// The settings and the sealed secret a save would store: everything checked, nothing written.
/// Also what "Test connection" tries before saving (a new secret, or the stored one).
pub async fn prepare(state: &AppState, input: &LocationInput) -> Result<(LocationSettings, Option<String>), LocationError> {
    let settings = input.settings.validate()?;
    let stored = match input.id {
        Some(id) => Some(stored(state, id).await?),
        None => None,
    };
    let identity = settings.target.identity();
    for other in stored_all(state).await? {
        if Some(other.id) != input.id && other.settings.target.identity() == identity {
            let field = match settings.target {
                LocationTarget::S3(_) => "prefix",
                LocationTarget::Webdav(_) => "url",
            };
            return Err(invalid(
                field,
                format!(
                    "The location “{}” already writes to {}: two locations in one place would delete each other's backups. Use another prefix or folder.",
                    other.settings.name,
                    settings.target.describe()
                ),
            )
            .into());
        }
    }
    let (label, field) = settings.target.secret_label();
    let same_kind = stored.as_ref().is_some_and(|s| s.settings.target.kind() == settings.target.kind());
    let secret = if let Some(v) = input.secret.new_value() {
        if v.chars().count() > 1024 || v.chars().any(char::is_control) {
            return Err(invalid(field, format!("The {label} must be at most 1024 characters, without control characters.")).into());
        }
        Some(state.keys.seal(purpose::LOCATION_SECRET, v)?)
    } else if input.secret.clear || !same_kind {
        None
    } else {
        match stored.as_ref() {
            // The stored secret goes only to the server (and bucket) it was given for: a form
            // that points elsewhere must bring it again, or it would be handed to that server.
            Some(s) if s.secret_enc.is_some() && s.settings.target.secret_audience() != settings.target.secret_audience() => {
                if settings.target.needs_secret() {
                    let which = match settings.target {
                        LocationTarget::S3(_) => "the endpoint or the bucket has changed",
                        LocationTarget::Webdav(_) => "the folder URL now points to another server",
                    };
                    return Err(invalid(
                        field,
                        format!("Enter the {label} again: the stored one is only sent to the server it was saved for, and {which}."),
                    )
                    .into());
                }
                // No login there: the stored password is forgotten, never sent.
                None
            }
            Some(s) => s.secret_enc.clone(),
            None => None,
        }
    };
    if secret.is_none() && settings.target.needs_secret() {
        let what = match settings.target {
            LocationTarget::S3(_) => "Enter the secret key that goes with the access key id.",
            LocationTarget::Webdav(_) => "Enter the password of this user (or leave the username empty if the server asks for no login).",
        };
        return Err(invalid(field, what).into());
    }
    Ok((settings, secret))
}

/// Creates (`input.id` None) or updates a location. Everything is checked before anything is
/// written. Turning a location on clears the reason the app had turned it off.
pub async fn save(state: &AppState, input: &LocationInput) -> Result<LocationView, LocationError> {
    let (settings, secret) = prepare(state, input).await?;
    let target = json(&settings.target)?;
    let retention = json(&settings.retention)?;
    let now = to_db(state.now());
    let id = match input.id {
        Some(id) => {
            let before = stored(state, id).await?.settings.target.identity();
            let mut tx = state.db.begin().await?;
            let done = sqlx::query(
                "UPDATE backup_locations SET name = $1, kind = $2, target = $3, secret_enc = $4, enabled = $5, require_encryption = $6,
                    retention = $7, disabled_reason = CASE WHEN $5 = 1 THEN NULL ELSE disabled_reason END, updated_at = $8
                 WHERE id = $9",
            )
            .bind(&settings.name)
            .bind(settings.target.kind())
            .bind(&target)
            .bind(&secret)
            .bind(settings.enabled)
            .bind(settings.require_encryption)
            .bind(&retention)
            .bind(&now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() == 0 {
                return Err(LocationError::NotFound(id));
            }
            // Another place (bucket, endpoint, prefix, folder): the copies recorded were written to
            // the old one. Their records go, so retention, the listing and restores never take an
            // object of the new place for one this app wrote (the objects in the old place stay).
            if settings.target.identity() != before {
                sqlx::query("DELETE FROM backup_copies WHERE location_id = $1").bind(id).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            id
        }
        None => {
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO backup_locations (name, kind, target, secret_enc, enabled, require_encryption, retention, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
            )
            .bind(&settings.name)
            .bind(settings.target.kind())
            .bind(&target)
            .bind(&secret)
            .bind(settings.enabled)
            .bind(settings.require_encryption)
            .bind(&retention)
            .bind(&now)
            .fetch_one(&state.db)
            .await?;
            id
        }
    };
    get(state, id).await
}

/// Deletes a location and this instance's records of its copies. The backups stored there stay
/// (this app deletes remote objects only through retention).
pub async fn delete(state: &AppState, id: i64) -> Result<(), LocationError> {
    let done = sqlx::query("DELETE FROM backup_locations WHERE id = $1").bind(id).execute(&state.db).await?;
    if done.rows_affected() == 0 {
        return Err(LocationError::NotFound(id));
    }
    Ok(())
}

/// Counts a failed upload; true when it is the first of a streak (the one to notify about).
pub async fn count_failure(state: &AppState, id: i64) -> Result<bool, LocationError> {
    let row: Option<(i64,)> =
        sqlx::query_as("UPDATE backup_locations SET failure_streak = failure_streak + 1 WHERE id = $1 RETURNING failure_notified")
            .bind(id)
            .fetch_optional(&state.db)
            .await?;
    Ok(row.is_some_and(|(notified,)| notified == 0))
}

pub async fn mark_notified(state: &AppState, id: i64) -> Result<(), LocationError> {
    sqlx::query("UPDATE backup_locations SET failure_notified = 1 WHERE id = $1").bind(id).execute(&state.db).await?;
    Ok(())
}

/// A verified upload ends the streak.
pub async fn clear_failures(state: &AppState, id: i64) -> Result<(), LocationError> {
    sqlx::query("UPDATE backup_locations SET failure_streak = 0, failure_notified = 0 WHERE id = $1").bind(id).execute(&state.db).await?;
    Ok(())
}

/// The locations as a backup carries them (inside the export's read transaction), by id.
pub async fn records(conn: &mut SqliteConnection) -> Result<Vec<LocationRecord>, LocationError> {
    let rows: Vec<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM backup_locations ORDER BY id")).fetch_all(&mut *conn).await?;
    rows.into_iter()
        .map(|r| {
            let l = StoredLocation::try_from(r)?;
            Ok(LocationRecord {
                id: l.id,
                settings: l.settings,
                secret: l.secret_enc,
                disabled_reason: l.disabled_reason,
                created_at: l.created_at,
                updated_at: l.updated_at,
            })
        })
        .collect()
}

/// Restores the backup's locations (their secrets already translated for this instance) as
/// they are in the file, ids included, replacing the current ones. This instance's records of
/// the copies in a place that a restored location writes to again are kept and moved to it, so
/// retention there carries on; the others go with their location. Failure streaks start afresh.
pub async fn restore_records(conn: &mut SqliteConnection, records: &[LocationRecord]) -> Result<(), LocationError> {
    let rows: Vec<Row> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM backup_locations")).fetch_all(&mut *conn).await?;
    let mut moved = Vec::new();
    for r in rows {
        let l = StoredLocation::try_from(r)?;
        let identity = l.settings.target.identity();
        if let Some(to) = records.iter().find(|r| r.settings.target.identity() == identity) {
            moved.push((l.id, to.id));
        }
    }
    let mut saved = Vec::new();
    for (from, to) in &moved {
        for mut c in copies::rows_of(conn, *from).await? {
            c.location_id = *to;
            saved.push(c);
        }
    }
    sqlx::query("DELETE FROM backup_locations").execute(&mut *conn).await?;
    for r in records {
        sqlx::query(
            "INSERT INTO backup_locations (id, name, kind, target, secret_enc, enabled, require_encryption, retention, disabled_reason, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(r.id)
        .bind(&r.settings.name)
        .bind(r.settings.target.kind())
        .bind(json(&r.settings.target)?)
        .bind(&r.secret)
        .bind(r.settings.enabled)
        .bind(r.settings.require_encryption)
        .bind(json(&r.settings.retention)?)
        .bind(&r.disabled_reason)
        .bind(to_db(r.created_at))
        .bind(to_db(r.updated_at))
        .execute(&mut *conn)
        .await?;
    }
    copies::reinsert(conn, &saved).await?;
    Ok(())
}
