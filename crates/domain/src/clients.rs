//! Download clients: configuration (credentials sealed), the one default client, their runtime
//! state and snapshot history. Deleting a client removes its snapshots, uptime buckets and
//! runtime row (ON DELETE CASCADE).

use super::secrets::{purpose, SecretError};
use super::time::{from_db, to_db};
use super::AppState;
use chrono::{DateTime, Utc};
use tt_core::model::clients::{ClientConfig, ClientInput, ClientSnapshot, ClientView, SnapshotPage, TagStat};
use tt_core::model::SecretUpdate;
use tt_core::validate::Invalid;
use zeroize::Zeroizing;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("There is no download client with id {0}.")]
    NotFound(i64),
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error("stored download client data is damaged: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}

/// Most snapshots one page may hold.
pub const MAX_PAGE: i64 = 500;

#[derive(Debug, sqlx::FromRow)]
struct ClientRow {
    id: i64,
    name: String,
    client_type: String,
    host: String,
    port: i64,
    use_tls: bool,
    username_enc: Option<String>,
    password_enc: Option<String>,
    poll_interval_seconds: i64,
    is_default: bool,
    cross_seed_tags: String,
    enabled: bool,
    disabled_reason: Option<String>,
    last_polled_at: Option<String>,
    last_error: Option<String>,
}

const SELECT: &str = "SELECT c.id, c.name, c.client_type, c.host, c.port, c.use_tls, c.username_enc, c.password_enc,
        c.poll_interval_seconds, c.is_default, c.cross_seed_tags, c.enabled, c.disabled_reason,
        r.last_polled_at, r.last_error
     FROM download_clients c LEFT JOIN client_runtime r ON r.client_id = c.id";

fn time_opt(field: &str, v: Option<&str>) -> Result<Option<DateTime<Utc>>, ClientError> {
    match v {
        None => Ok(None),
        Some(s) => from_db(s).map(Some).ok_or_else(|| ClientError::Corrupt(format!("{field} is not a timestamp: {s:?}"))),
    }
}

impl ClientRow {
    fn into_view(self) -> Result<ClientView, ClientError> {
        let cross_seed_tags: Vec<String> =
            serde_json::from_str(&self.cross_seed_tags).map_err(|e| ClientError::Corrupt(format!("cross-seed tags of client {}: {e}", self.id)))?;
        Ok(ClientView {
            id: self.id,
            config: ClientConfig {
                name: self.name,
                client_type: self.client_type,
                host: self.host,
                port: self.port,
                use_tls: self.use_tls,
                poll_interval_seconds: self.poll_interval_seconds,
                is_default: self.is_default,
                cross_seed_tags,
                enabled: self.enabled,
            },
            has_username: self.username_enc.is_some(),
            has_password: self.password_enc.is_some(),
            disabled_reason: self.disabled_reason,
            last_polled_at: time_opt("last_polled_at", self.last_polled_at.as_deref())?,
            last_error: self.last_error,
        })
    }
}

/// All clients: the default first, then by name.
pub async fn list(state: &AppState) -> Result<Vec<ClientView>, ClientError> {
    let rows = sqlx::query_as::<_, ClientRow>(&format!("{SELECT} ORDER BY c.is_default DESC, c.name, c.id")).fetch_all(&state.db).await?;
    rows.into_iter().map(ClientRow::into_view).collect()
}

pub async fn get(state: &AppState, id: i64) -> Result<ClientView, ClientError> {
    sqlx::query_as::<_, ClientRow>(&format!("{SELECT} WHERE c.id = $1"))
        .bind(id)
        .fetch_optional(&state.db)
        .await?
        .ok_or(ClientError::NotFound(id))?
        .into_view()
}

/// The new sealed value of a secret column given its stored value and the form's update.
pub(crate) fn apply_secret(state: &AppState, purpose: &str, stored: Option<String>, update: &SecretUpdate) -> Result<Option<String>, SecretError> {
    if let Some(v) = update.new_value() {
        Ok(Some(state.keys.seal(purpose, v)?))
    } else if update.clear {
        Ok(None)
    } else {
        Ok(stored)
    }
}

/// Creates (id None) or updates a client. Input is checked first: a refused value changes nothing.
/// Marking a client as the default clears the mark on every other client, in the same transaction.
pub async fn save(state: &AppState, input: &ClientInput) -> Result<ClientView, ClientError> {
    let c = input.config.validate()?;
    for (field, label, update) in [("username", "Username", &input.username), ("password", "Password", &input.password)] {
        if let Some(v) = update.new_value() {
            if v.chars().count() > 500 {
                return Err(tt_core::validate::invalid(field, format!("{label} can be at most 500 characters.")).into());
            }
        }
    }
    let tags = serde_json::to_string(&c.cross_seed_tags).map_err(|e| ClientError::Corrupt(e.to_string()))?;
    let now = to_db(state.now());
    let mut tx = state.db.begin().await?;
    let id = match input.id {
        Some(id) => {
            let stored: Option<(Option<String>, Option<String>)> =
                sqlx::query_as("SELECT username_enc, password_enc FROM download_clients WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?;
            let (user_enc, pass_enc) = stored.ok_or(ClientError::NotFound(id))?;
            let user_enc = apply_secret(state, purpose::CLIENT_USERNAME, user_enc, &input.username)?;
            let pass_enc = apply_secret(state, purpose::CLIENT_PASSWORD, pass_enc, &input.password)?;
            sqlx::query(
                "UPDATE download_clients SET name = $1, client_type = $2, host = $3, port = $4, use_tls = $5,
                    username_enc = $6, password_enc = $7, poll_interval_seconds = $8, is_default = $9,
                    cross_seed_tags = $10, enabled = $11,
                    disabled_reason = CASE WHEN $11 = 1 THEN NULL ELSE disabled_reason END,
                    updated_at = $12
                 WHERE id = $13",
            )
            .bind(&c.name)
            .bind(&c.client_type)
            .bind(&c.host)
            .bind(c.port)
            .bind(i64::from(c.use_tls))
            .bind(user_enc)
            .bind(pass_enc)
            .bind(c.poll_interval_seconds)
            .bind(i64::from(c.is_default))
            .bind(&tags)
            .bind(i64::from(c.enabled))
            .bind(&now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            id
        }
        None => {
            let user_enc = apply_secret(state, purpose::CLIENT_USERNAME, None, &input.username)?;
            let pass_enc = apply_secret(state, purpose::CLIENT_PASSWORD, None, &input.password)?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO download_clients (name, client_type, host, port, use_tls, username_enc, password_enc,
                    poll_interval_seconds, is_default, cross_seed_tags, enabled, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING id",
            )
            .bind(&c.name)
            .bind(&c.client_type)
            .bind(&c.host)
            .bind(c.port)
            .bind(i64::from(c.use_tls))
            .bind(user_enc)
            .bind(pass_enc)
            .bind(c.poll_interval_seconds)
            .bind(i64::from(c.is_default))
            .bind(&tags)
            .bind(i64::from(c.enabled))
            .bind(&now)
            .fetch_one(&mut *tx)
            .await?;
            id
        }
    };
    if c.is_default {
        sqlx::query("UPDATE download_clients SET is_default = 0, updated_at = $1 WHERE id <> $2 AND is_default <> 0")
            .bind(&now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    get(state, id).await
}

/// Deletes a client with its snapshots, uptime buckets and runtime state.
pub async fn delete(state: &AppState, id: i64) -> Result<(), ClientError> {
    let done = sqlx::query("DELETE FROM download_clients WHERE id = $1").bind(id).execute(&state.db).await?;
    if done.rows_affected() == 0 {
        return Err(ClientError::NotFound(id));
    }
    Ok(())
}

/// The opened credentials of a client, for the poller. Never send these to the browser.
pub struct Credentials {
    pub username: Option<Zeroizing<String>>,
    pub password: Option<Zeroizing<String>>,
}

pub async fn credentials(state: &AppState, id: i64) -> Result<Credentials, ClientError> {
    let row: Option<(Option<String>, Option<String>)> =
        sqlx::query_as("SELECT username_enc, password_enc FROM download_clients WHERE id = $1").bind(id).fetch_optional(&state.db).await?;
    let (u, p) = row.ok_or(ClientError::NotFound(id))?;
    Ok(Credentials {
        username: u.map(|s| state.keys.open(purpose::CLIENT_USERNAME, &s)).transpose()?,
        password: p.map(|s| state.keys.open(purpose::CLIENT_PASSWORD, &s)).transpose()?,
    })
}

#[derive(Debug, sqlx::FromRow)]
struct SnapshotRow {
    id: i64,
    client_id: i64,
    polled_at: String,
    seeding_count: i64,
    leeching_count: i64,
    upload_speed_bps: i64,
    download_speed_bps: i64,
    tag_stats: String,
}

/// One page of a client's snapshots, newest first. `limit` is clamped to 1..=MAX_PAGE.
pub async fn snapshots(state: &AppState, client_id: i64, offset: i64, limit: i64) -> Result<SnapshotPage, ClientError> {
    let exists: Option<(i64,)> = sqlx::query_as("SELECT id FROM download_clients WHERE id = $1").bind(client_id).fetch_optional(&state.db).await?;
    if exists.is_none() {
        return Err(ClientError::NotFound(client_id));
    }
    let limit = limit.clamp(1, MAX_PAGE);
    let offset = offset.max(0);
    let (total,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM client_snapshots WHERE client_id = $1").bind(client_id).fetch_one(&state.db).await?;
    let rows = sqlx::query_as::<_, SnapshotRow>(
        "SELECT id, client_id, polled_at, seeding_count, leeching_count, upload_speed_bps, download_speed_bps, tag_stats
         FROM client_snapshots WHERE client_id = $1 ORDER BY polled_at DESC, id DESC LIMIT $2 OFFSET $3",
    )
    .bind(client_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(&state.db)
    .await?;
    let items = rows
        .into_iter()
        .map(|r| {
            let tag_stats: Vec<TagStat> =
                serde_json::from_str(&r.tag_stats).map_err(|e| ClientError::Corrupt(format!("tag stats of snapshot {}: {e}", r.id)))?;
            Ok(ClientSnapshot {
                id: r.id,
                client_id: r.client_id,
                polled_at: time_opt("polled_at", Some(&r.polled_at))?.unwrap_or(DateTime::<Utc>::MIN_UTC),
                seeding_count: r.seeding_count,
                leeching_count: r.leeching_count,
                upload_speed_bps: r.upload_speed_bps,
                download_speed_bps: r.download_speed_bps,
                tag_stats,
            })
        })
        .collect::<Result<Vec<_>, ClientError>>()?;
    Ok(SnapshotPage { items, total, offset, limit })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    fn input(name: &str) -> ClientInput {
        ClientInput {
            id: None,
            config: ClientConfig { name: name.into(), host: "10.0.0.2".into(), ..ClientConfig::new_default() },
            username: SecretUpdate::set("admin-user"),
            password: SecretUpdate::set("hunter2-secret"),
        }
    }

    async fn count(state: &AppState, sql: &str) -> i64 {
        let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&state.db).await.unwrap();
        n
    }

    #[tokio::test]
    async fn credentials_are_sealed_and_never_in_the_view() {
        let (state, _dir) = testing::state().await;
        let v = save(&state, &input("qB")).await.unwrap();
        assert!(v.has_username && v.has_password);
        let (u, p): (String, String) =
            sqlx::query_as("SELECT username_enc, password_enc FROM download_clients WHERE id = $1").bind(v.id).fetch_one(&state.db).await.unwrap();
        assert!(u.starts_with("tt1:") && !u.contains("admin-user"));
        assert!(p.starts_with("tt1:") && !p.contains("hunter2-secret"));
        let json = serde_json::to_string(&list(&state).await.unwrap()).unwrap();
        assert!(!json.contains("hunter2-secret") && !json.contains("admin-user") && !json.contains("tt1:"));
        let c = credentials(&state, v.id).await.unwrap();
        assert_eq!(c.password.as_deref().map(String::as_str), Some("hunter2-secret"));

        // Keep, replace, clear.
        let mut edit = ClientInput { id: Some(v.id), username: SecretUpdate::keep(), password: SecretUpdate::keep(), ..input("qB 2") };
        save(&state, &edit).await.unwrap();
        let c = credentials(&state, v.id).await.unwrap();
        assert_eq!(c.username.as_deref().map(String::as_str), Some("admin-user"));
        edit.password = SecretUpdate::set("new-pass");
        edit.username = SecretUpdate { value: None, clear: true };
        let v2 = save(&state, &edit).await.unwrap();
        assert!(!v2.has_username && v2.has_password);
        let c = credentials(&state, v.id).await.unwrap();
        assert!(c.username.is_none());
        assert_eq!(c.password.as_deref().map(String::as_str), Some("new-pass"));
    }

    #[tokio::test]
    async fn bad_input_is_refused_and_changes_nothing() {
        let (state, _dir) = testing::state().await;
        let v = save(&state, &input("qB")).await.unwrap();
        let cases: Vec<(ClientConfig, &str)> = vec![
            (ClientConfig { name: "  ".into(), ..v.config.clone() }, "name"),
            (ClientConfig { name: "x".repeat(101), ..v.config.clone() }, "name"),
            (ClientConfig { port: 0, ..v.config.clone() }, "port"),
            (ClientConfig { port: 70_000, ..v.config.clone() }, "port"),
            (ClientConfig { host: "ftp://seedbox".into(), ..v.config.clone() }, "host"),
            (ClientConfig { client_type: "utorrent".into(), ..v.config.clone() }, "client_type"),
        ];
        for (config, field) in cases {
            let e = save(&state, &ClientInput { id: Some(v.id), config, ..input("x") }).await.unwrap_err();
            match e {
                ClientError::Invalid(i) => {
                    assert_eq!(i.field, field);
                    assert!(!i.message.is_empty());
                }
                other => panic!("expected Invalid, got {other:?}"),
            }
            let e = save(&state, &ClientInput { id: None, ..input("") }).await.unwrap_err();
            assert!(matches!(e, ClientError::Invalid(_)));
        }
        assert_eq!(list(&state).await.unwrap(), vec![v]);
        assert!(matches!(save(&state, &ClientInput { id: Some(999), ..input("x") }).await, Err(ClientError::NotFound(999))));
    }

    #[tokio::test]
    async fn only_one_default() {
        let (state, _dir) = testing::state().await;
        let mut a = input("A");
        a.config.is_default = true;
        let a = save(&state, &a).await.unwrap();
        let mut b = input("B");
        b.config.is_default = true;
        let b = save(&state, &b).await.unwrap();
        assert!(!get(&state, a.id).await.unwrap().config.is_default);
        assert!(get(&state, b.id).await.unwrap().config.is_default);
        let mut again = ClientInput { id: Some(a.id), config: a.config.clone(), ..input("A") };
        again.config.is_default = true;
        save(&state, &again).await.unwrap();
        assert_eq!(count(&state, "SELECT COUNT(*) FROM download_clients WHERE is_default = 1").await, 1);
        assert_eq!(list(&state).await.unwrap()[0].id, a.id, "the default comes first");
    }

    #[tokio::test]
    async fn delete_cascades_and_runtime_is_shown() {
        let (state, _dir) = testing::state().await;
        let a = save(&state, &input("A")).await.unwrap();
        let b = save(&state, &input("B")).await.unwrap();
        for id in [a.id, b.id] {
            for i in 0..3 {
                sqlx::query("INSERT INTO client_snapshots (client_id, polled_at, seeding_count, leeching_count, upload_speed_bps, download_speed_bps, tag_stats) VALUES ($1, $2, 5, 1, 100, 200, '[{\"tag\":\"x\",\"seeding\":1,\"leeching\":0,\"uploaded_bytes\":5,\"size_bytes\":9}]')")
                    .bind(id)
                    .bind(format!("2026-01-0{}T00:00:00.000Z", i + 1))
                    .execute(&state.db)
                    .await
                    .unwrap();
            }
            sqlx::query(
                "INSERT INTO client_uptime_buckets (client_id, bucket_start, checks_total, checks_ok) VALUES ($1, '2026-01-01T00:00:00.000Z', 12, 11)",
            )
            .bind(id)
            .execute(&state.db)
            .await
            .unwrap();
            sqlx::query(
                "INSERT INTO client_runtime (client_id, last_polled_at, last_error) VALUES ($1, '2026-01-03T00:00:00.000Z', 'connection refused')",
            )
            .bind(id)
            .execute(&state.db)
            .await
            .unwrap();
        }
        let v = get(&state, a.id).await.unwrap();
        assert_eq!(v.last_error.as_deref(), Some("connection refused"));
        assert_eq!(v.last_polled_at.map(to_db).as_deref(), Some("2026-01-03T00:00:00.000Z"));

        let page = snapshots(&state, a.id, 0, 2).await.unwrap();
        assert_eq!((page.total, page.items.len()), (3, 2));
        assert_eq!(to_db(page.items[0].polled_at), "2026-01-03T00:00:00.000Z");
        assert_eq!(page.items[0].tag_stats[0].tag, "x");
        assert_eq!(snapshots(&state, a.id, 2, 2).await.unwrap().items.len(), 1);

        delete(&state, a.id).await.unwrap();
        assert_eq!(count(&state, "SELECT COUNT(*) FROM client_snapshots").await, 3);
        assert_eq!(count(&state, "SELECT COUNT(*) FROM client_uptime_buckets").await, 1);
        assert_eq!(count(&state, "SELECT COUNT(*) FROM client_runtime").await, 1);
        assert_eq!(count(&state, &format!("SELECT COUNT(*) FROM client_snapshots WHERE client_id = {}", b.id)).await, 3);
        assert!(matches!(delete(&state, a.id).await, Err(ClientError::NotFound(_))));
        assert!(matches!(snapshots(&state, a.id, 0, 10).await, Err(ClientError::NotFound(_))));
    }
}
