//! Notification targets: their settings, their sealed delivery settings (`config_enc`, the JSON of
//! `TargetConfig` under `purpose::NOTIFICATION_CONFIG`) and the delivery history. Sending lives in
//! `domain::notify`.

use super::secrets::{purpose, SecretError};
use super::smtp;
use super::time::{from_db, to_db};
use super::AppState;
use tt_core::model::notifications::{
    Delivery, SmtpSecurity, TargetConfig, TargetConfigFlags, TargetInput, TargetSettings, TargetView, Thresholds, TrackerChoice,
};
use tt_core::validate::{invalid, Invalid};

#[derive(Debug, thiserror::Error)]
pub enum NotificationError {
    #[error("There is no notification target with id {0}.")]
    NotFound(i64),
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error("stored notification data is damaged: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}

/// Most deliveries one call returns.
pub const MAX_DELIVERIES: i64 = 200;

#[derive(Debug, sqlx::FromRow)]
struct TargetRow {
    id: i64,
    name: String,
    target_type: String,
    enabled: bool,
    config_enc: Option<String>,
    events: String,
    thresholds: String,
    tracker_ids: Option<String>,
    disabled_reason: Option<String>,
}

const TARGET_COLUMNS: &str = "id, name, target_type, enabled, config_enc, events, thresholds, tracker_ids, disabled_reason";

/// A target as stored, its delivery settings still sealed.
#[derive(Debug, Clone)]
pub struct StoredTarget {
    pub id: i64,
    pub settings: TargetSettings,
    pub config_enc: Option<String>,
    pub disabled_reason: Option<String>,
}

impl StoredTarget {
    /// Opens the sealed delivery settings.
    pub fn open_config(&self, state: &AppState) -> Result<Option<TargetConfig>, NotificationError> {
        let Some(sealed) = &self.config_enc else { return Ok(None) };
        let json = state.keys.open(purpose::NOTIFICATION_CONFIG, sealed)?;
        serde_json::from_str(&json).map(Some).map_err(|e| NotificationError::Corrupt(format!("delivery settings of target {}: {e}", self.id)))
    }
}

impl TryFrom<TargetRow> for StoredTarget {
    type Error = NotificationError;

    fn try_from(r: TargetRow) -> Result<Self, Self::Error> {
        let corrupt = |what: &str, e: serde_json::Error| NotificationError::Corrupt(format!("{what} of target {}: {e}", r.id));
        let events: Vec<String> = serde_json::from_str(&r.events).map_err(|e| corrupt("events", e))?;
        let thresholds: Thresholds = serde_json::from_str(&r.thresholds).map_err(|e| corrupt("thresholds", e))?;
        let tracker_ids: Option<Vec<i64>> = match &r.tracker_ids {
            None => None,
            Some(s) => serde_json::from_str(s).map_err(|e| corrupt("tracker ids", e))?,
        };
        Ok(StoredTarget {
            id: r.id,
            settings: TargetSettings { name: r.name, target_type: r.target_type, enabled: r.enabled, events, thresholds, tracker_ids },
            config_enc: r.config_enc,
            disabled_reason: r.disabled_reason,
        })
    }
}

/// All targets as stored, by name.
pub async fn stored_targets(state: &AppState) -> Result<Vec<StoredTarget>, NotificationError> {
    sqlx::query_as::<_, TargetRow>(&format!("SELECT {TARGET_COLUMNS} FROM notification_targets ORDER BY name, id"))
        .fetch_all(&state.db)
        .await?
        .into_iter()
        .map(StoredTarget::try_from)
        .collect()
}

pub async fn stored_target(state: &AppState, id: i64) -> Result<StoredTarget, NotificationError> {
    sqlx::query_as::<_, TargetRow>(&format!("SELECT {TARGET_COLUMNS} FROM notification_targets WHERE id = $1"))
        .bind(id)
        .fetch_optional(&state.db)
        .await?
        .ok_or(NotificationError::NotFound(id))?
        .try_into()
}

/// Where a target's messages go, without secrets (scheme and host only; for email the server
/// and its security mode).
pub fn destination(target_type: &str, config: &TargetConfig) -> Option<String> {
    if let Some(s) = &config.smtp {
        let scheme = match s.security {
            SmtpSecurity::None => "smtp",
            SmtpSecurity::Starttls => "smtp+starttls",
            SmtpSecurity::Tls => "smtps",
        };
        return Some(format!("{scheme}://{}", smtp::place(s)));
    }
    match (target_type, config.url.as_deref()) {
        ("telegram", None) => Some("https://api.telegram.org".to_string()),
        (_, Some(u)) => Some(redact_url(u)),
        (_, None) => None,
    }
}

async fn view(state: &AppState, t: StoredTarget) -> Result<TargetView, NotificationError> {
    let (config_set, destination, smtp) = match t.open_config(state) {
        // The mail server, sender and recipients are not secrets; the login stays a flag.
        Ok(Some(c)) => (TargetConfigFlags::of(&c), destination(&t.settings.target_type, &c), c.smtp),
        Ok(None) => (TargetConfigFlags::default(), None, None),
        Err(e) => {
            // One damaged value should not hide the whole list; the page shows the target and
            // asks for new delivery settings.
            tracing::warn!("notification target {}: {e}", t.id);
            (TargetConfigFlags::default(), None, None)
        }
    };
    let last_delivery = deliveries(state, Some(t.id), 1).await?.into_iter().next();
    Ok(TargetView {
        id: t.id,
        has_config: t.config_enc.is_some(),
        settings: t.settings,
        disabled_reason: t.disabled_reason,
        last_delivery,
        config_set,
        destination,
        smtp,
    })
}

/// All targets, by name, with their last delivery. Never carries the delivery settings.
pub async fn list(state: &AppState) -> Result<Vec<TargetView>, NotificationError> {
    let mut out = Vec::new();
    for t in stored_targets(state).await? {
        out.push(view(state, t).await?);
    }
    Ok(out)
}

pub async fn get(state: &AppState, id: i64) -> Result<TargetView, NotificationError> {
    let t = stored_target(state, id).await?;
    view(state, t).await
}

/// The trackers a target can be limited to (read directly: the trackers module is separate).
pub async fn tracker_choices(state: &AppState) -> Result<Vec<TrackerChoice>, NotificationError> {
    let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, name FROM trackers ORDER BY sort_order, name").fetch_all(&state.db).await?;
    Ok(rows.into_iter().map(|(id, name)| TrackerChoice { id, name }).collect())
}

/// Creates (id None) or updates a target. Everything is checked before anything is written.
pub async fn save(state: &AppState, input: &TargetInput) -> Result<TargetView, NotificationError> {
    let settings = input.settings.validate()?;
    if let Some(ids) = &settings.tracker_ids {
        let known: Vec<i64> = tracker_choices(state).await?.into_iter().map(|t| t.id).collect();
        if let Some(missing) = ids.iter().find(|id| !known.contains(id)) {
            return Err(invalid("tracker_ids", format!("There is no tracker with id {missing}.")).into());
        }
    }
    let stored = match input.id {
        Some(id) => Some(stored_target(state, id).await?),
        None => None,
    };
    let same_type = stored.as_ref().is_some_and(|s| s.settings.target_type == settings.target_type);
    let stored_config = match &stored {
        Some(s) if same_type && (input.config.is_none() && input.config_update.is_some()) => match s.open_config(state) {
            Ok(c) => c,
            Err(NotificationError::Secret(SecretError::Locked)) => return Err(SecretError::Locked.into()),
            // Damaged settings: the update has to be complete on its own.
            Err(_) => None,
        },
        _ => None,
    };
    // The new sealed delivery settings.
    let config_enc: String = if let Some(c) = &input.config {
        seal(state, &c.validate_for(&settings.target_type)?)?
    } else if let Some(u) = &input.config_update {
        u.check_typed()?;
        seal(state, &u.apply(stored_config.as_ref()).validate_for(&settings.target_type)?)?
    } else {
        match stored.as_ref().and_then(|s| s.config_enc.clone()) {
            Some(sealed) if same_type => sealed,
            _ => {
                return Err(invalid(
                    "config",
                    "Fill in the delivery settings (web address, token, chat id, topic or mail server) for this type of target.",
                )
                .into())
            }
        }
    };
    let events = json(&settings.events)?;
    let thresholds = json(&settings.thresholds)?;
    let tracker_ids = settings.tracker_ids.as_ref().map(json).transpose()?;
    let now = to_db(state.now());
    let id = match input.id {
        Some(id) => {
            let done = sqlx::query(
                "UPDATE notification_targets SET name = $1, target_type = $2, enabled = $3, config_enc = $4, events = $5,
                    thresholds = $6, tracker_ids = $7,
                    disabled_reason = CASE WHEN $3 = 1 THEN NULL ELSE disabled_reason END,
                    updated_at = $8
                 WHERE id = $9",
            )
            .bind(&settings.name)
            .bind(&settings.target_type)
            .bind(i64::from(settings.enabled))
            .bind(&config_enc)
            .bind(&events)
            .bind(&thresholds)
            .bind(&tracker_ids)
            .bind(&now)
            .bind(id)
            .execute(&state.db)
            .await?;
            if done.rows_affected() == 0 {
                return Err(NotificationError::NotFound(id));
            }
            id
        }
        None => {
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO notification_targets (name, target_type, enabled, config_enc, events, thresholds, tracker_ids, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
            )
            .bind(&settings.name)
            .bind(&settings.target_type)
            .bind(i64::from(settings.enabled))
            .bind(&config_enc)
            .bind(&events)
            .bind(&thresholds)
            .bind(&tracker_ids)
            .bind(&now)
            .fetch_one(&state.db)
            .await?;
            id
        }
    };
    get(state, id).await
}

fn seal(state: &AppState, config: &TargetConfig) -> Result<String, NotificationError> {
    let plain = zeroize::Zeroizing::new(json(config)?);
    Ok(state.keys.seal(purpose::NOTIFICATION_CONFIG, &plain)?)
}

fn json<T: serde::Serialize + ?Sized>(v: &T) -> Result<String, NotificationError> {
    serde_json::to_string(v).map_err(|e| NotificationError::Corrupt(e.to_string()))
}

/// Deletes a target and its delivery history.
pub async fn delete(state: &AppState, id: i64) -> Result<(), NotificationError> {
    let done = sqlx::query("DELETE FROM notification_targets WHERE id = $1").bind(id).execute(&state.db).await?;
    if done.rows_affected() == 0 {
        return Err(NotificationError::NotFound(id));
    }
    Ok(())
}

#[derive(Debug, sqlx::FromRow)]
struct DeliveryRow {
    id: i64,
    target_id: i64,
    event: String,
    status: String,
    sent_at: String,
    error: Option<String>,
}

impl TryFrom<DeliveryRow> for Delivery {
    type Error = NotificationError;

    fn try_from(r: DeliveryRow) -> Result<Self, Self::Error> {
        let sent_at = from_db(&r.sent_at).ok_or_else(|| NotificationError::Corrupt(format!("delivery {} has a bad time {:?}", r.id, r.sent_at)))?;
        Ok(Delivery { id: r.id, target_id: r.target_id, event: r.event, status: r.status, sent_at, error: r.error })
    }
}

/// The latest deliveries, newest first: of one target, or of all. `limit` is clamped to 1..=MAX_DELIVERIES.
pub async fn deliveries(state: &AppState, target_id: Option<i64>, limit: i64) -> Result<Vec<Delivery>, NotificationError> {
    let limit = limit.clamp(1, MAX_DELIVERIES);
    let rows = match target_id {
        Some(id) => {
            sqlx::query_as::<_, DeliveryRow>(
                "SELECT id, target_id, event, status, sent_at, error FROM notification_deliveries
                 WHERE target_id = $1 ORDER BY sent_at DESC, id DESC LIMIT $2",
            )
            .bind(id)
            .bind(limit)
            .fetch_all(&state.db)
            .await?
        }
        None => {
            sqlx::query_as::<_, DeliveryRow>(
                "SELECT id, target_id, event, status, sent_at, error FROM notification_deliveries
                 ORDER BY sent_at DESC, id DESC LIMIT $1",
            )
            .bind(limit)
            .fetch_all(&state.db)
            .await?
        }
    };
    rows.into_iter().map(Delivery::try_from).collect()
}

/// Records one delivery attempt. `error` None means it was sent.
pub async fn record_delivery(state: &AppState, target_id: i64, event: &str, error: Option<&str>) -> Result<Delivery, NotificationError> {
    let now = state.now();
    let status = if error.is_none() { "sent" } else { "failed" };
    let (id,): (i64,) =
        sqlx::query_as("INSERT INTO notification_deliveries (target_id, event, status, sent_at, error) VALUES ($1, $2, $3, $4, $5) RETURNING id")
            .bind(target_id)
            .bind(event)
            .bind(status)
            .bind(to_db(now))
            .bind(error)
            .fetch_one(&state.db)
            .await?;
    Ok(Delivery {
        id,
        target_id,
        event: event.to_string(),
        status: status.to_string(),
        sent_at: from_db(&to_db(now)).unwrap_or(now),
        error: error.map(str::to_string),
    })
}

/// Scheme and host (and an explicit port) of a web address: what may be shown or logged.
pub fn redact_url(url: &str) -> String {
    match reqwest::Url::parse(url.trim()) {
        Ok(u) => {
            let host = u.host_str().unwrap_or("");
            match u.port() {
                Some(p) => format!("{}://{host}:{p}", u.scheme()),
                None => format!("{}://{host}", u.scheme()),
            }
        }
        Err(_) => "(an invalid web address)".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;
    use tt_core::model::notifications::TargetConfigUpdate;
    use tt_core::model::SecretUpdate;

    const HOOK: &str = "https://hooks.example/services/T000/B000/s3cr3t-webhook-token";

    fn settings(name: &str, target_type: &str) -> TargetSettings {
        TargetSettings {
            name: name.into(),
            target_type: target_type.into(),
            enabled: true,
            events: vec!["backup_failed".into(), "ratio_drop".into()],
            thresholds: Thresholds::default(),
            tracker_ids: None,
        }
    }

    fn webhook(name: &str) -> TargetInput {
        TargetInput {
            id: None,
            settings: settings(name, "webhook"),
            config: Some(TargetConfig { url: Some(HOOK.into()), ..Default::default() }),
            config_update: None,
        }
    }

    async fn raw_config(state: &AppState, id: i64) -> String {
        let (c,): (String,) =
            sqlx::query_as("SELECT config_enc FROM notification_targets WHERE id = $1").bind(id).fetch_one(&state.db).await.unwrap();
        c
    }

    #[tokio::test]
    async fn config_is_sealed_and_never_in_the_view() {
        let (state, _dir) = testing::state().await;
        let v = save(&state, &webhook("Hook")).await.unwrap();
        assert!(v.has_config && v.config_set.url && !v.config_set.token);
        assert_eq!(v.destination.as_deref(), Some("https://hooks.example"));
        let raw = raw_config(&state, v.id).await;
        assert!(raw.starts_with("tt1:") && !raw.contains("s3cr3t") && !raw.contains("hooks.example"));
        let json = serde_json::to_string(&list(&state).await.unwrap()).unwrap();
        assert!(!json.contains("s3cr3t") && !json.contains("tt1:"), "{json}");
        let (events, thresholds, trackers): (String, String, Option<String>) =
            sqlx::query_as("SELECT events, thresholds, tracker_ids FROM notification_targets").fetch_one(&state.db).await.unwrap();
        assert_eq!(events, r#"["backup_failed","ratio_drop"]"#);
        assert!(thresholds.contains("\"ratio_drop\":0.1"));
        assert_eq!(trackers, None);
    }

    #[tokio::test]
    async fn an_email_login_is_sealed_and_only_flagged_in_the_view() {
        use tt_core::model::notifications::SmtpServer;
        let (state, _dir) = testing::state().await;
        let smtp = SmtpServer {
            host: "smtp.example.com".into(),
            port: 465,
            security: SmtpSecurity::Tls,
            from: "tt@example.com".into(),
            to: vec!["me@example.com".into()],
        };
        let input = TargetInput {
            id: None,
            settings: settings("Mail", "email"),
            config: Some(TargetConfig {
                smtp: Some(smtp.clone()),
                username: Some("mailer-login".into()),
                password: Some("Sm7p-Secret-Pass".into()),
                ..Default::default()
            }),
            config_update: None,
        };
        let v = save(&state, &input).await.unwrap();
        assert!(v.config_set.smtp && v.config_set.username && v.config_set.password);
        assert_eq!(v.smtp.as_ref(), Some(&smtp));
        assert_eq!(v.destination.as_deref(), Some("smtps://smtp.example.com:465"));
        let raw = raw_config(&state, v.id).await;
        assert!(raw.starts_with("tt1:") && !raw.contains("Sm7p") && !raw.contains("mailer-login"));
        let json = serde_json::to_string(&list(&state).await.unwrap()).unwrap();
        assert!(!json.contains("Sm7p-Secret-Pass") && !json.contains("mailer-login"), "{json}");
    }

    #[tokio::test]
    async fn edits_keep_merge_or_replace_the_config() {
        let (state, _dir) = testing::state().await;
        let ntfy = TargetInput {
            id: None,
            settings: settings("Phone", "ntfy"),
            config: None,
            config_update: Some(TargetConfigUpdate {
                url: SecretUpdate::set("https://ntfy.example"),
                topic: SecretUpdate::set("alerts-x1"),
                token: SecretUpdate::set("tk_secret"),
                ..Default::default()
            }),
        };
        let v = save(&state, &ntfy).await.unwrap();
        assert!(v.config_set.url && v.config_set.topic && v.config_set.token);
        let before = raw_config(&state, v.id).await;

        // Keep: neither config nor update.
        let keep = TargetInput { id: Some(v.id), settings: settings("Phone 2", "ntfy"), config: None, config_update: None };
        save(&state, &keep).await.unwrap();
        assert_eq!(raw_config(&state, v.id).await, before, "kept as is");

        // Merge: a new topic, the token cleared, the URL kept.
        let merge = TargetInput {
            config_update: Some(TargetConfigUpdate {
                topic: SecretUpdate::set("other"),
                token: SecretUpdate { value: None, clear: true },
                ..Default::default()
            }),
            ..keep.clone()
        };
        let v2 = save(&state, &merge).await.unwrap();
        assert!(v2.config_set.url && v2.config_set.topic && !v2.config_set.token);
        let opened = stored_target(&state, v.id).await.unwrap().open_config(&state).unwrap().unwrap();
        assert_eq!(opened.topic.as_deref(), Some("other"));
        assert_eq!(opened.url.as_deref(), Some("https://ntfy.example"));

        // Changing the type needs new delivery settings.
        let retype = TargetInput { settings: settings("Phone", "gotify"), ..keep.clone() };
        match save(&state, &retype).await {
            Err(NotificationError::Invalid(i)) => assert_eq!(i.field, "config"),
            other => panic!("{other:?}"),
        }
        let retype =
            TargetInput { config_update: Some(TargetConfigUpdate { token: SecretUpdate::set("app-token"), ..Default::default() }), ..retype };
        match save(&state, &retype).await {
            Err(NotificationError::Invalid(i)) => assert_eq!(i.field, "url", "stored values of another type are not reused"),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn bad_input_is_refused_and_changes_nothing() {
        let (state, _dir) = testing::state().await;
        let v = save(&state, &webhook("Hook")).await.unwrap();
        let before = list(&state).await.unwrap();
        let raw = raw_config(&state, v.id).await;
        let edit = |f: &dyn Fn(&mut TargetInput)| {
            let mut i = webhook("Hook");
            i.id = Some(v.id);
            f(&mut i);
            i
        };
        let cases: Vec<(TargetInput, &str)> = vec![
            (edit(&|i| i.settings.name = " ".into()), "name"),
            (edit(&|i| i.settings.name = "n".repeat(101)), "name"),
            (edit(&|i| i.settings.events.push("nope".into())), "events"),
            (edit(&|i| i.settings.target_type = "pager".into()), "target_type"),
            (edit(&|i| i.config = Some(TargetConfig { url: Some("ftp://files.example/hook".into()), ..Default::default() })), "url"),
            (
                edit(&|i| {
                    i.config = None;
                    i.config_update = Some(TargetConfigUpdate { url: SecretUpdate::set("ftp://x"), ..Default::default() })
                }),
                "url",
            ),
            (edit(&|i| i.settings.tracker_ids = Some(vec![77])), "tracker_ids"),
            (edit(&|i| i.settings.thresholds.buffer_milestone_gib = 0), "buffer_milestone_gib"),
        ];
        for (input, field) in cases {
            match save(&state, &input).await {
                Err(NotificationError::Invalid(i)) => {
                    assert_eq!(i.field, field, "{}", i.message);
                    assert!(!i.message.is_empty());
                }
                other => panic!("expected Invalid({field}), got {other:?}"),
            }
        }
        assert_eq!(list(&state).await.unwrap(), before);
        assert_eq!(raw_config(&state, v.id).await, raw);
        // A new target needs delivery settings.
        let e = save(&state, &TargetInput { config: None, ..webhook("New") }).await.unwrap_err();
        assert!(matches!(e, NotificationError::Invalid(ref i) if i.field == "config"), "{e:?}");
    }

    #[tokio::test]
    async fn tracker_scope_and_delete_cascade() {
        let (state, _dir) = testing::state().await;
        for (name, order) in [("Zeta", 0), ("Alpha", 1)] {
            sqlx::query("INSERT INTO trackers (name, base_url, platform, sort_order, created_at, updated_at) VALUES ($1, 'https://t.example', 'unit3d', $2, 'x', 'x')")
                .bind(name)
                .bind(order)
                .execute(&state.db)
                .await
                .unwrap();
        }
        let choices = tracker_choices(&state).await.unwrap();
        assert_eq!(choices.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["Zeta", "Alpha"]);
        let mut i = webhook("Scoped");
        i.settings.tracker_ids = Some(vec![choices[1].id]);
        let v = save(&state, &i).await.unwrap();
        assert_eq!(v.settings.tracker_ids, Some(vec![choices[1].id]));

        record_delivery(&state, v.id, "test", None).await.unwrap();
        record_delivery(&state, v.id, "test", Some("HTTP 500 from the webhook: oops")).await.unwrap();
        assert_eq!(get(&state, v.id).await.unwrap().last_delivery.unwrap().status, "failed");
        assert_eq!(deliveries(&state, None, 10).await.unwrap().len(), 2);
        delete(&state, v.id).await.unwrap();
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM notification_deliveries").fetch_one(&state.db).await.unwrap();
        assert_eq!(n, 0);
        assert!(matches!(delete(&state, v.id).await, Err(NotificationError::NotFound(_))));
    }
}
