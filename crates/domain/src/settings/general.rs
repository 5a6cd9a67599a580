//! Settings → General: poll interval, snapshot retention, proxy, notification defaults.
//! The proxy password is sealed (`purpose::PROXY_PASSWORD`) and never leaves the server.

use super::{load, SettingsError};
use crate::clients::apply_secret;
use crate::secrets::purpose;
use crate::time::to_db;
use crate::AppState;
use tt_core::model::settings::{GeneralSettings, GeneralSettingsInput, GeneralSettingsView};
use zeroize::Zeroizing;

pub async fn get(state: &AppState) -> Result<GeneralSettingsView, SettingsError> {
    let s = load(&state.db).await?;
    Ok(GeneralSettingsView {
        settings: GeneralSettings {
            poll_interval_minutes: s.poll_interval_minutes,
            snapshot_retention_days: s.snapshot_retention_days,
            proxy_enabled: s.proxy_enabled,
            proxy_type: s.proxy_type,
            proxy_host: s.proxy_host,
            proxy_port: s.proxy_port,
            proxy_username: s.proxy_username,
            notifications_enabled: s.notifications_enabled,
            notify_ratio_drop_threshold: s.notify_ratio_drop_threshold,
            notify_buffer_milestone_gib: s.notify_buffer_milestone_gib,
        },
        has_proxy_password: s.proxy_password_enc.is_some(),
    })
}

/// Checks and stores the settings; a refused value changes nothing.
pub async fn save(state: &AppState, input: &GeneralSettingsInput) -> Result<GeneralSettingsView, SettingsError> {
    let s = input.settings.validate()?;
    if input.proxy_password.new_value().is_some_and(|v| v.chars().count() > 500) {
        return Err(tt_core::validate::invalid("proxy_password", "Proxy password can be at most 500 characters.").into());
    }
    let stored = load(&state.db).await?;
    let password = apply_secret(state, purpose::PROXY_PASSWORD, stored.proxy_password_enc, &input.proxy_password)?;
    sqlx::query(
        "UPDATE app_settings SET poll_interval_minutes = $1, snapshot_retention_days = $2, proxy_enabled = $3, proxy_type = $4,
            proxy_host = $5, proxy_port = $6, proxy_username = $7, proxy_password_enc = $8, notifications_enabled = $9,
            notify_ratio_drop_threshold = $10, notify_buffer_milestone_gib = $11, updated_at = $12
         WHERE id = 1",
    )
    .bind(s.poll_interval_minutes)
    .bind(s.snapshot_retention_days)
    .bind(i64::from(s.proxy_enabled))
    .bind(&s.proxy_type)
    .bind(&s.proxy_host)
    .bind(s.proxy_port)
    .bind(&s.proxy_username)
    .bind(password)
    .bind(i64::from(s.notifications_enabled))
    .bind(s.notify_ratio_drop_threshold)
    .bind(s.notify_buffer_milestone_gib)
    .bind(to_db(state.now()))
    .execute(&state.db)
    .await?;
    get(state).await
}

/// The proxy to use for outgoing tracker requests, with its password opened; None when off.
pub struct Proxy {
    pub proxy_type: String,
    pub host: String,
    pub port: i64,
    pub username: Option<String>,
    pub password: Option<Zeroizing<String>>,
}

pub async fn proxy(state: &AppState) -> Result<Option<Proxy>, SettingsError> {
    let s = load(&state.db).await?;
    let (true, Some(host), Some(port)) = (s.proxy_enabled, s.proxy_host, s.proxy_port) else { return Ok(None) };
    let password = match &s.proxy_password_enc {
        Some(sealed) => Some(state.keys.open(purpose::PROXY_PASSWORD, sealed)?),
        None => None,
    };
    Ok(Some(Proxy { proxy_type: s.proxy_type, host, port, username: s.proxy_username, password }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;
    use tt_core::model::SecretUpdate;

    fn input() -> GeneralSettingsInput {
        GeneralSettingsInput {
            settings: GeneralSettings {
                poll_interval_minutes: 30,
                snapshot_retention_days: Some(365),
                proxy_enabled: true,
                proxy_type: "socks5".into(),
                proxy_host: Some("proxy.local".into()),
                proxy_port: Some(1080),
                proxy_username: Some("me".into()),
                notifications_enabled: false,
                notify_ratio_drop_threshold: 0.25,
                notify_buffer_milestone_gib: 50,
            },
            proxy_password: SecretUpdate::set("pr0xy-pass"),
        }
    }

    #[tokio::test]
    async fn defaults_save_and_sealed_password() {
        let (state, _dir) = testing::state().await;
        let d = get(&state).await.unwrap();
        assert_eq!(d.settings.poll_interval_minutes, 60);
        assert!(d.settings.notifications_enabled && !d.has_proxy_password);

        let v = save(&state, &input()).await.unwrap();
        assert_eq!(v.settings, input().settings);
        assert!(v.has_proxy_password);
        let (raw,): (String,) = sqlx::query_as("SELECT proxy_password_enc FROM app_settings").fetch_one(&state.db).await.unwrap();
        assert!(raw.starts_with("tt1:") && !raw.contains("pr0xy-pass"));
        assert!(!serde_json::to_string(&v).unwrap().contains("pr0xy-pass"));
        let p = proxy(&state).await.unwrap().unwrap();
        assert_eq!(p.password.as_deref().map(String::as_str), Some("pr0xy-pass"));

        // Keep, then clear.
        let mut keep = input();
        keep.proxy_password = SecretUpdate::keep();
        assert!(save(&state, &keep).await.unwrap().has_proxy_password);
        keep.proxy_password = SecretUpdate { value: None, clear: true };
        assert!(!save(&state, &keep).await.unwrap().has_proxy_password);
    }

    #[tokio::test]
    async fn bad_input_is_refused_and_changes_nothing() {
        let (state, _dir) = testing::state().await;
        save(&state, &input()).await.unwrap();
        let before = get(&state).await.unwrap();
        type Change = fn(&mut GeneralSettings);
        let cases: [(Change, &str); 7] = [
            (|s| s.poll_interval_minutes = 1, "poll_interval_minutes"),
            (|s| s.proxy_port = Some(0), "proxy_port"),
            (|s| s.proxy_port = Some(70_000), "proxy_port"),
            (|s| s.proxy_type = "ftp".into(), "proxy_type"),
            (|s| s.proxy_host = None, "proxy_host"),
            (|s| s.snapshot_retention_days = Some(0), "snapshot_retention_days"),
            (|s| s.notify_ratio_drop_threshold = -1.0, "notify_ratio_drop_threshold"),
        ];
        for (change, field) in cases {
            let mut i = input();
            i.proxy_password = SecretUpdate::set("other");
            change(&mut i.settings);
            match save(&state, &i).await {
                Err(SettingsError::Invalid(e)) => assert_eq!(e.field, field, "{}", e.message),
                other => panic!("expected Invalid({field}), got {other:?}"),
            }
        }
        assert_eq!(get(&state).await.unwrap(), before);
        let p = proxy(&state).await.unwrap().unwrap();
        assert_eq!(p.password.as_deref().map(String::as_str), Some("pr0xy-pass"));
    }
}
