//! Trackers: configuration (API token sealed) and runtime state, kept apart. Deleting a tracker
//! removes its snapshots, roles and runtime row (ON DELETE CASCADE) and drops it from the
//! tracker scope of notification targets.

use super::clients::apply_secret;
use super::secrets::{purpose, SecretError};
use super::settings::general::Proxy;
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
    #[error(transparent)]
    Settings(#[from] super::settings::SettingsError),
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
    use_proxy: bool,
    remote_user_id: Option<i64>,
    profile_url: Option<String>,
    count_cross_seed_unsatisfied: bool,
    last_access_at: Option<NaiveDate>,
    disabled_reason: Option<String>,
    paused_at: Option<DateTime<Utc>>,
    last_polled_at: Option<DateTime<Utc>>,
    last_error: Option<String>,
}

const SELECT: &str = "SELECT t.id, t.name, t.base_url, t.platform, t.api_path, t.api_token_enc, t.color, t.client_tag,
        t.is_active, t.is_favorite, t.sort_order, t.joined_at, t.use_proxy, t.remote_user_id, t.profile_url,
        t.count_cross_seed_unsatisfied, t.last_access_at, t.disabled_reason, t.paused_at, r.last_polled_at, r.last_error
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
                use_proxy: self.use_proxy,
                remote_user_id: self.remote_user_id,
                profile_url: self.profile_url,
                count_cross_seed_unsatisfied: self.count_cross_seed_unsatisfied,
                last_access_at: self.last_access_at,
            },
            has_api_token: self.api_token_enc.is_some(),
            disabled_reason: self.disabled_reason,
            paused_at: self.paused_at,
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
    let last_access = c.last_access_at.map(|d| d.to_string());
    let id = match input.id {
        Some(id) => {
            let stored: Option<(Option<String>,)> =
                sqlx::query_as("SELECT api_token_enc FROM trackers WHERE id = $1").bind(id).fetch_optional(&state.db).await?;
            let (token,) = stored.ok_or(TrackerError::NotFound(id))?;
            let token = apply_secret(state, purpose::TRACKER_API_TOKEN, token, &input.api_token)?;
            sqlx::query(
                "UPDATE trackers SET name = $1, base_url = $2, platform = $3, api_path = $4, api_token_enc = $5, color = $6,
                    client_tag = $7, is_active = $8, is_favorite = $9, sort_order = $10, joined_at = $11,
                    disabled_reason = CASE WHEN $8 = 1 AND $5 IS NOT NULL THEN NULL ELSE disabled_reason END, updated_at = $12,
                    use_proxy = $14, remote_user_id = $15, profile_url = $16, count_cross_seed_unsatisfied = $17, last_access_at = $18
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
            .bind(i64::from(c.use_proxy))
            .bind(c.remote_user_id)
            .bind(&c.profile_url)
            .bind(i64::from(c.count_cross_seed_unsatisfied))
            .bind(last_access)
            .execute(&state.db)
            .await?;
            id
        }
        None => {
            let token = apply_secret(state, purpose::TRACKER_API_TOKEN, None, &input.api_token)?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO trackers (name, base_url, platform, api_path, api_token_enc, color, client_tag, is_active, is_favorite,
                    sort_order, joined_at, created_at, updated_at, use_proxy, remote_user_id, profile_url, count_cross_seed_unsatisfied,
                    last_access_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $13, $14, $15, $16, $17) RETURNING id",
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
            .bind(i64::from(c.use_proxy))
            .bind(c.remote_user_id)
            .bind(&c.profile_url)
            .bind(i64::from(c.count_cross_seed_unsatisfied))
            .bind(last_access)
            .fetch_one(&state.db)
            .await?;
            id
        }
    };
    get(state, id).await
}

/// Pauses (`paused`) or resumes a tracker. Pausing a paused tracker keeps the time it was
/// paused; a paused tracker is not polled and keeps its history. Saving the tracker's form does
/// not change it.
pub async fn set_paused(state: &AppState, id: i64, paused: bool) -> Result<TrackerView, TrackerError> {
    let now = to_db(state.now());
    let done = if paused {
        sqlx::query("UPDATE trackers SET paused_at = COALESCE(paused_at, $1), updated_at = $1 WHERE id = $2")
    } else {
        sqlx::query("UPDATE trackers SET paused_at = NULL, updated_at = $1 WHERE id = $2")
    }
    .bind(&now)
    .bind(id)
    .execute(&state.db)
    .await?;
    if done.rows_affected() == 0 {
        return Err(TrackerError::NotFound(id));
    }
    get(state, id).await
}

/// The proxy requests for this tracker go through: the one of Settings → General when it is on
/// and the tracker uses it (`use_proxy`), otherwise none (a direct connection).
pub async fn proxy_for(state: &AppState, id: i64) -> Result<Option<Proxy>, TrackerError> {
    let row: Option<(bool,)> = sqlx::query_as("SELECT use_proxy FROM trackers WHERE id = $1").bind(id).fetch_optional(&state.db).await?;
    let (use_proxy,) = row.ok_or(TrackerError::NotFound(id))?;
    if !use_proxy {
        return Ok(None);
    }
    Ok(super::settings::general::proxy(state).await?)
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
            (Box::new(|c: &mut TrackerConfig| c.platform = "xbtit".into()), "platform"),
            (Box::new(|c: &mut TrackerConfig| c.profile_url = Some("ftp://aither.cc/users/me".into())), "profile_url"),
            (Box::new(|c: &mut TrackerConfig| c.profile_url = Some("https://".into())), "profile_url"),
            (Box::new(|c: &mut TrackerConfig| c.remote_user_id = Some(0)), "remote_user_id"),
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

    type DetailRow = (String, bool, Option<i64>, Option<String>, bool, Option<String>, Option<String>);
    async fn details(s: &AppState, id: i64) -> DetailRow {
        sqlx::query_as(
            "SELECT platform, use_proxy, remote_user_id, profile_url, count_cross_seed_unsatisfied, last_access_at, paused_at FROM trackers WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&s.db)
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn details_are_stored_as_given_and_default_as_before() {
        let (s, _d) = state().await;
        // Defaults: the proxy is used (as every tracker did before the setting existed), nothing else set.
        let plain = save(&s, &input("Plain")).await.unwrap();
        assert_eq!(details(&s, plain.id).await, ("unit3d".into(), true, None, None, false, None, None));
        let mut i = input("DigitalCore");
        i.config.platform = "digitalcore".into();
        i.config.use_proxy = false;
        i.config.remote_user_id = Some(98_765);
        i.config.profile_url = Some(" https://digitalcore.club/profile/98765 ".into());
        i.config.count_cross_seed_unsatisfied = true;
        i.config.last_access_at = NaiveDate::from_ymd_opt(2026, 3, 14);
        let v = save(&s, &i).await.unwrap();
        let want = (
            "digitalcore".to_string(),
            false,
            Some(98_765),
            Some("https://digitalcore.club/profile/98765".to_string()),
            true,
            Some("2026-03-14".to_string()),
            None,
        );
        assert_eq!(details(&s, v.id).await, want);
        assert_eq!(v.config.profile_url.as_deref(), Some("https://digitalcore.club/profile/98765"));
        assert_eq!(get(&s, v.id).await.unwrap().config, v.config);
        // Edited back: an empty profile URL is none.
        i.id = Some(v.id);
        i.config.platform = "custom".into();
        i.config.profile_url = Some("  ".into());
        i.config.use_proxy = true;
        let e = save(&s, &i).await.unwrap();
        assert_eq!((e.config.platform.as_str(), e.config.profile_url.as_deref(), e.config.use_proxy), ("custom", None, true));
    }

    #[tokio::test]
    async fn pause_and_resume_are_the_persons_and_survive_an_edit() {
        let (s, _d) = state().await;
        let v = save(&s, &input("Aither")).await.unwrap();
        assert_eq!(v.paused_at, None);
        let paused = set_paused(&s, v.id, true).await.unwrap();
        let at = paused.paused_at.expect("paused");
        assert_eq!(details(&s, v.id).await.6, Some(to_db(at)));
        assert!(paused.config.is_active, "pausing is not deactivating");
        // Pausing again keeps the first time; saving the form keeps the pause.
        assert_eq!(set_paused(&s, v.id, true).await.unwrap().paused_at, Some(at));
        let mut edit = input("Aither renamed");
        edit.id = Some(v.id);
        edit.api_token = SecretUpdate::keep();
        assert_eq!(save(&s, &edit).await.unwrap().paused_at, Some(at));
        assert_eq!(set_paused(&s, v.id, false).await.unwrap().paused_at, None);
        assert_eq!(details(&s, v.id).await.6, None);
        assert!(matches!(set_paused(&s, 999, true).await, Err(TrackerError::NotFound(999))));
    }

    #[tokio::test]
    async fn the_proxy_is_used_only_by_trackers_that_use_it() {
        let (s, _d) = state().await;
        let uses = save(&s, &input("Uses")).await.unwrap().id;
        let mut direct = input("Direct");
        direct.config.use_proxy = false;
        let direct = save(&s, &direct).await.unwrap().id;
        assert!(proxy_for(&s, uses).await.unwrap().is_none(), "no proxy configured");
        sqlx::query("UPDATE app_settings SET proxy_enabled = 1, proxy_host = 'proxy.local', proxy_port = 1080").execute(&s.db).await.unwrap();
        assert_eq!(proxy_for(&s, uses).await.unwrap().map(|p| p.host), Some("proxy.local".to_string()));
        assert!(proxy_for(&s, direct).await.unwrap().is_none());
        assert!(matches!(proxy_for(&s, 999).await, Err(TrackerError::NotFound(999))));
    }

    #[tokio::test]
    async fn delete_cascades_and_cleans_target_scopes() {
        let (s, _d) = state().await;
        let a = save(&s, &input("A")).await.unwrap().id;
        let b = save(&s, &input("B")).await.unwrap().id;
        for t in [a, b] {
            sqlx::query(
                "INSERT INTO tracker_snapshots (tracker_id, polled_at, uploaded_bytes, downloaded_bytes) VALUES ($1, '2025-01-01T00:00:00.000Z', 1, 1)",
            )
            .bind(t)
            .execute(&s.db)
            .await
            .unwrap();
        }
        sqlx::query("INSERT INTO tracker_roles (tracker_id, role_name, achieved_at) VALUES ($1, 'User', '2025-01-01T00:00:00.000Z')")
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
