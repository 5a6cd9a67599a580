//! Trackers: configuration (API token sealed) and runtime state, kept apart. Deleting a tracker
//! removes its snapshots, roles and runtime row (ON DELETE CASCADE) and drops it from the
//! tracker scope of notification targets.

use super::clients::apply_secret;
use super::secrets::{purpose, SecretError};
use super::time::to_db;
use super::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use tt_core::model::trackers::{Snapshot, TrackerConfig, TrackerInput, TrackerView};
use tt_core::validate::Invalid;

#[derive(Debug, thiserror::Error)]
pub enum TrackerError {
    #[error("There is no tracker with id {0}.")]
    NotFound(i64),
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error("stored tracker data is damaged: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Snapshot(#[from] super::snapshots::SnapshotError),
}

#[derive(Debug, sqlx::FromRow)]
struct TrackerRow {
    id: i64,
    name: String,
    base_url: String,
    platform: String,
    api_path: String,
    api_token_enc: Option<String>,
    color: String,
    client_tag: Option<String>,
    is_active: bool,
    is_favorite: bool,
    sort_order: i64,
    joined_at: Option<NaiveDate>,
    disabled_reason: Option<String>,
    last_polled_at: Option<DateTime<Utc>>,
    last_error: Option<String>,
}

const SELECT: &str = "SELECT t.id, t.name, t.base_url, t.platform, t.api_path, t.api_token_enc, t.color, t.client_tag,
        t.is_active, t.is_favorite, t.sort_order, t.joined_at, t.disabled_reason, r.last_polled_at, r.last_error
     FROM trackers t LEFT JOIN tracker_runtime r ON r.tracker_id = t.id";

impl TrackerRow {
    fn into_view(self, latest: Option<Snapshot>) -> TrackerView {
        TrackerView {
            id: self.id,
            config: TrackerConfig {
                name: self.name,
                base_url: self.base_url,
                platform: self.platform,
                api_path: self.api_path,
                color: self.color,
                client_tag: self.client_tag,
                is_active: self.is_active,
                is_favorite: self.is_favorite,
                sort_order: self.sort_order,
                joined_at: self.joined_at,
            },
            has_api_token: self.api_token_enc.is_some(),
            disabled_reason: self.disabled_reason,
            last_polled_at: self.last_polled_at,
            last_error: self.last_error,
            latest,
        }
    }
}

/// All trackers (favourites first, then by sort order and name), each with its latest snapshot.
pub async fn list(state: &AppState) -> Result<Vec<TrackerView>, TrackerError> {
    let rows =
        sqlx::query_as::<_, TrackerRow>(&format!("{SELECT} ORDER BY t.is_favorite DESC, t.sort_order, t.name, t.id")).fetch_all(&state.db).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let latest = super::snapshots::latest(state, r.id).await?;
        out.push(r.into_view(latest));
    }
    Ok(out)
}

pub async fn get(state: &AppState, id: i64) -> Result<TrackerView, TrackerError> {
    let row = sqlx::query_as::<_, TrackerRow>(&format!("{SELECT} WHERE t.id = $1"))
        .bind(id)
        .fetch_optional(&state.db)
        .await?
        .ok_or(TrackerError::NotFound(id))?;
    let latest = super::snapshots::latest(state, id).await?;
    Ok(row.into_view(latest))
}

/// Creates (id None) or updates a tracker. Input is checked first: a refused value changes nothing.
pub async fn save(state: &AppState, input: &TrackerInput) -> Result<TrackerView, TrackerError> {
    let c = input.config.validate()?;
    if let Some(v) = input.api_token.new_value() {
        if v.chars().count() > 1000 {
            return Err(tt_core::validate::invalid("api_token", "The API token can be at most 1000 characters.").into());
        }
    }
    let now = to_db(state.now());
    let joined = c.joined_at.map(|d| d.to_string());
    let id = match input.id {
        Some(id) => {
            let stored: Option<(Option<String>,)> =
                sqlx::query_as("SELECT api_token_enc FROM trackers WHERE id = $1").bind(id).fetch_optional(&state.db).await?;
            let (token,) = stored.ok_or(TrackerError::NotFound(id))?;
            let token = apply_secret(state, purpose::TRACKER_API_TOKEN, token, &input.api_token)?;
            sqlx::query(
                "UPDATE trackers SET name = $1, base_url = $2, platform = $3, api_path = $4, api_token_enc = $5, color = $6,
                    client_tag = $7, is_active = $8, is_favorite = $9, sort_order = $10, joined_at = $11,
                    disabled_reason = CASE WHEN $8 = 1 AND $5 IS NOT NULL THEN NULL ELSE disabled_reason END, updated_at = $12
                 WHERE id = $13",
            )
            .bind(&c.name)
            .bind(&c.base_url)
            .bind(&c.platform)
            .bind(&c.api_path)
            .bind(token)
            .bind(&c.color)
            .bind(&c.client_tag)
            .bind(i64::from(c.is_active))
            .bind(i64::from(c.is_favorite))
            .bind(c.sort_order)
            .bind(joined)
            .bind(&now)
            .bind(id)
            .execute(&state.db)
            .await?;
            id
        }
        None => {
            let token = apply_secret(state, purpose::TRACKER_API_TOKEN, None, &input.api_token)?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO trackers (name, base_url, platform, api_path, api_token_enc, color, client_tag, is_active, is_favorite,
                    sort_order, joined_at, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
            )
            .bind(&c.name)
            .bind(&c.base_url)
            .bind(&c.platform)
            .bind(&c.api_path)
            .bind(token)
            .bind(&c.color)
            .bind(&c.client_tag)
            .bind(i64::from(c.is_active))
            .bind(i64::from(c.is_favorite))
            .bind(c.sort_order)
            .bind(joined)
            .bind(&now)
            .fetch_one(&state.db)
            .await?;
            id
        }
    };
    get(state, id).await
}

/// Deletes a tracker with its history; notification targets limited to it forget it (a target
/// limited to no tracker left is turned off, with the reason).
pub async fn delete(state: &AppState, id: i64) -> Result<(), TrackerError> {
    let mut tx = state.db.begin().await?;
    let done = sqlx::query("DELETE FROM trackers WHERE id = $1").bind(id).execute(&mut *tx).await?;
    if done.rows_affected() == 0 {
        return Err(TrackerError::NotFound(id));
    }
    let scoped: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, tracker_ids FROM notification_targets WHERE tracker_ids IS NOT NULL").fetch_all(&mut *tx).await?;
    for (target, ids) in scoped {
        let mut list: Vec<i64> = serde_json::from_str(&ids).map_err(|e| TrackerError::Corrupt(format!("tracker scope of target {target}: {e}")))?;
        if !list.contains(&id) {
            continue;
        }
        list.retain(|t| *t != id);
        if list.is_empty() {
            sqlx::query("UPDATE notification_targets SET tracker_ids = NULL, enabled = 0, disabled_reason = $1 WHERE id = $2")
                .bind("every tracker it was limited to was deleted — choose trackers and re-enable")
                .bind(target)
                .execute(&mut *tx)
                .await?;
        } else {
            let text = serde_json::to_string(&list).map_err(|e| TrackerError::Corrupt(e.to_string()))?;
            sqlx::query("UPDATE notification_targets SET tracker_ids = $1 WHERE id = $2").bind(text).bind(target).execute(&mut *tx).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// The tracker's API token, for the poller (never sent to the browser).
pub async fn api_token(state: &AppState, id: i64) -> Result<Option<zeroize::Zeroizing<String>>, TrackerError> {
    let row: Option<(Option<String>,)> =
        sqlx::query_as("SELECT api_token_enc FROM trackers WHERE id = $1").bind(id).fetch_optional(&state.db).await?;
    let (sealed,) = row.ok_or(TrackerError::NotFound(id))?;
    Ok(match sealed {
        Some(s) => Some(state.keys.open(purpose::TRACKER_API_TOKEN, &s)?),
        None => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::state;
    use tt_core::model::SecretUpdate;

    fn input(name: &str) -> TrackerInput {
        TrackerInput {
            id: None,
            config: TrackerConfig { name: name.into(), base_url: "https://aither.cc".into(), ..TrackerConfig::new_default() },
            api_token: SecretUpdate::set("SECRET-token-xyz"),
        }
    }

    async fn count(s: &AppState, table: &str) -> i64 {
        let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(&s.db).await.unwrap();
        n
    }

    #[tokio::test]
    async fn token_is_ciphertext_and_never_in_a_view() {
        let (s, _d) = state().await;
        let v = save(&s, &input("Aither")).await.unwrap();
        assert!(v.has_api_token);
        let (raw,): (String,) = sqlx::query_as("SELECT api_token_enc FROM trackers").fetch_one(&s.db).await.unwrap();
        assert!(raw.starts_with("tt1:") && !raw.contains("SECRET-token-xyz"));
        assert!(!serde_json::to_string(&list(&s).await.unwrap()).unwrap().contains("SECRET-token-xyz"));
        assert_eq!(api_token(&s, v.id).await.unwrap().unwrap().as_str(), "SECRET-token-xyz");
        // Keep, then clear.
        let mut edit = input("Aither 2");
        edit.id = Some(v.id);
        edit.api_token = SecretUpdate::keep();
        assert!(save(&s, &edit).await.unwrap().has_api_token);
        edit.api_token = SecretUpdate { value: None, clear: true };
        assert!(!save(&s, &edit).await.unwrap().has_api_token);
    }

    #[tokio::test]
    async fn bad_input_changes_nothing() {
        let (s, _d) = state().await;
        let v = save(&s, &input("Aither")).await.unwrap();
        for (f, field) in [
            (Box::new(|c: &mut TrackerConfig| c.name = String::new()) as Box<dyn Fn(&mut TrackerConfig)>, "name"),
            (Box::new(|c: &mut TrackerConfig| c.name = "x".repeat(101)), "name"),
            (Box::new(|c: &mut TrackerConfig| c.base_url = "ftp://aither.cc".into()), "base_url"),
            (Box::new(|c: &mut TrackerConfig| c.color = "#12345g".into()), "color"),
        ] {
            let mut i = input("Aither");
            i.id = Some(v.id);
            f(&mut i.config);
            match save(&s, &i).await {
                Err(TrackerError::Invalid(e)) => assert_eq!(e.field, field),
                other => panic!("expected invalid {field}, got {other:?}"),
            }
        }
        assert_eq!(get(&s, v.id).await.unwrap().config.name, "Aither");
        assert_eq!(count(&s, "trackers").await, 1);
    }

    #[tokio::test]
    async fn delete_cascades_and_cleans_target_scopes() {
        let (s, _d) = state().await;
        let a = save(&s, &input("A")).await.unwrap().id;
        let b = save(&s, &input("B")).await.unwrap().id;
        for t in [a, b] {
            sqlx::query(
                "INSERT INTO tracker_snapshots (tracker_id, polled_at, uploaded_bytes, downloaded_bytes) VALUES ($1, '2025-01-01T00:00:00Z', 1, 1)",
            )
            .bind(t)
            .execute(&s.db)
            .await
            .unwrap();
        }
        sqlx::query("INSERT INTO tracker_roles (tracker_id, role_name, achieved_at) VALUES ($1, 'User', '2025-01-01T00:00:00Z')")
            .bind(a)
            .execute(&s.db)
            .await
            .unwrap();
        sqlx::query("INSERT INTO tracker_runtime (tracker_id, last_error) VALUES ($1, 'x')").bind(a).execute(&s.db).await.unwrap();
        sqlx::query("INSERT INTO notification_targets (name, target_type, tracker_ids, created_at, updated_at) VALUES ('only A', 'webhook', $1, 'x', 'x'), ('A and B', 'webhook', $2, 'x', 'x')")
            .bind(format!("[{a}]"))
            .bind(format!("[{a},{b}]"))
            .execute(&s.db)
            .await
            .unwrap();
        delete(&s, a).await.unwrap();
        assert_eq!(count(&s, "tracker_snapshots").await, 1);
        assert_eq!(count(&s, "tracker_roles").await, 0);
        assert_eq!(count(&s, "tracker_runtime").await, 0);
        let scopes: Vec<(Option<String>, bool)> =
            sqlx::query_as("SELECT tracker_ids, enabled FROM notification_targets ORDER BY id").fetch_all(&s.db).await.unwrap();
        assert_eq!(scopes, vec![(None, false), (Some(format!("[{b}]")), true)]);
        assert!(matches!(delete(&s, a).await, Err(TrackerError::NotFound(_))));
    }
}
