//! A small instance holding every kind of data a backup carries — secrets, 2FA, edge values —
//! plus runtime state a backup must leave out, each marked so tests can search exported bytes.
//! Used by the backup tests (unit and integration) and handy for demos.

use super::secrets::purpose;
use super::time::to_db;
use super::AppState;
use chrono::{Duration, TimeZone, Utc};

/// Plaintext secrets stored by [`fill`]; none may appear in an export.
pub const SECRETS: [&str; 9] = [
    "SECRET-tracker-token-1",
    "SECRET-tracker-token-3",
    "SECRET-client-user",
    "SECRET-client-pass",
    "SECRET-proxy-pass",
    "SECRET-backup-pass",
    "https://discord.example/api/webhooks/SECRET-webhook",
    "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
    "SECRET-backup-code-1",
];

/// Runtime and local-only values stored by [`fill`]; none may appear in an export.
pub const TRANSIENT: [&str; 4] = ["RUNTIME-tracker-error", "RUNTIME-cached-torrents", "RUNTIME-client-error", "DELIVERY-error-text"];

/// Byte counts beyond 2^53: they must survive a round trip exactly.
pub const BIG_UPLOAD: i64 = 9_007_199_254_740_993;
pub const HUGE_DOWNLOAD: i64 = 9_223_372_036_854_775_000;

pub async fn fill(state: &AppState) -> Result<(), sqlx::Error> {
    let db = &state.db;
    let seal = |p: &str, v: &str| state.keys.seal(p, v).expect("keys unlocked");
    let t0 = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).single().expect("valid date");
    let now = to_db(t0 + Duration::days(400));

    sqlx::query(
        "UPDATE app_settings SET poll_interval_minutes = 30, snapshot_retention_days = 730, proxy_enabled = 1, proxy_type = 'http',
         proxy_host = 'proxy.example', proxy_port = 3128, proxy_username = 'proxyuser', proxy_password_enc = $1,
         notifications_enabled = 1, notify_ratio_drop_threshold = 0.25, notify_buffer_milestone_gib = 50,
         session_timeout_minutes = 90, lockout_threshold = 7, lockout_minutes = 20,
         totp_enabled = 1, totp_secret_enc = $2, totp_backup_codes_enc = $3, totp_last_step = 123,
         backup_schedule_enabled = 0, backup_frequency = 'weekly', backup_retention_count = 9, backup_encrypt = 0,
         backup_password_enc = $4, updated_at = $5 WHERE id = 1",
    )
    .bind(seal(purpose::PROXY_PASSWORD, SECRETS[4]))
    .bind(seal(purpose::TOTP_SECRET, SECRETS[7]))
    .bind(seal(purpose::TOTP_BACKUP_CODES, &format!("[\"{}\",\"abcde-fghij\"]", SECRETS[8])))
    .bind(seal(purpose::BACKUP_PASSWORD, SECRETS[5]))
    .bind(&now)
    .execute(db)
    .await?;

    let trackers: [(i64, &str, &str, Option<&str>); 3] = [
        (1, "Aither", "https://aither.cc", Some(SECRETS[0])),
        (2, "Blutopia", "https://blutopia.cc", None),
        (3, "Ätherische Tracker 🚀 «quoted» \"name\"", "http://127.0.0.1:8080/tracker", Some(SECRETS[1])),
    ];
    for (id, name, url, token) in trackers {
        sqlx::query(
            "INSERT INTO trackers (id, name, base_url, platform, api_path, api_token_enc, color, client_tag, is_active, is_favorite,
             sort_order, joined_at, created_at, updated_at) VALUES ($1, $2, $3, $4, '/api/user', $5, '#3b82f6', $6, 1, $7, $8, '2021-05-01', $9, $9)",
        )
        .bind(id)
        .bind(name)
        .bind(url)
        .bind(["unit3d", "gazelle", "mam"][(id - 1) as usize])
        .bind(token.map(|t| seal(purpose::TRACKER_API_TOKEN, t)))
        .bind(if id == 1 { Some("aither") } else { None })
        .bind(id == 1)
        .bind(id * 10)
        .bind(&now)
        .execute(db)
        .await?;
    }
    // Tracker 2 holds every detail at a value other than its default (tracker 1 keeps the defaults).
    sqlx::query(
        "UPDATE trackers SET use_proxy = 0, remote_user_id = 4242, profile_url = 'https://blutopia.cc/users/me', count_cross_seed_unsatisfied = 1,
         last_access_at = '2024-12-31', paused_at = $1 WHERE id = 2",
    )
    .bind(to_db(t0 + Duration::days(300)))
    .execute(db)
    .await?;
    sqlx::query(
        "INSERT INTO tracker_runtime (tracker_id, last_polled_at, last_error, last_error_at, consecutive_failures) VALUES (1, $1, $2, $1, 4)",
    )
    .bind(&now)
    .bind(TRANSIENT[0])
    .execute(db)
    .await?;
    sqlx::query("INSERT INTO tracker_roles (id, tracker_id, role_name, achieved_at, notes) VALUES (1, 1, 'User', $1, NULL), (2, 1, 'Power User', $2, 'after 1 year')")
        .bind(to_db(t0))
        .bind(to_db(t0 + Duration::days(365)))
        .execute(db)
        .await?;
    for i in 0..60i64 {
        let tracker = 1 + i % 3;
        let up = if i == 7 { BIG_UPLOAD } else { 1_000_000_000 * (i + 1) };
        let down = if i == 8 { HUGE_DOWNLOAD } else { 500_000_000 * (i + 1) };
        sqlx::query(
            "INSERT INTO tracker_snapshots (id, tracker_id, polled_at, uploaded_bytes, downloaded_bytes, ratio, buffer_bytes, seeding_count,
             leeching_count, seed_bonus, hit_and_runs, required_ratio, warned, freeleech_tokens, username, group_name, is_manual, share_score)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
        )
        .bind(100 + i * 3)
        .bind(tracker)
        .bind(to_db(t0 + Duration::hours(i)))
        .bind(up)
        .bind(down)
        .bind(if i % 5 == 0 { None } else { Some(up as f64 / down as f64) })
        .bind(up - down)
        .bind(Some(i * 2))
        .bind(if i % 4 == 0 { None } else { Some(i % 3) })
        .bind(Some(1234.5678 + i as f64))
        .bind(Some(0i64))
        .bind(Some(0.6))
        .bind(i == 13)
        .bind(Some(i % 7))
        .bind(Some("me"))
        .bind(Some("Power User"))
        .bind(i == 59)
        .bind(if i % 2 == 0 { Some(1.0 / 3.0 + i as f64) } else { None })
        .execute(db)
        .await?;
    }

    for (id, name) in [(1i64, "qBittorrent"), (2, "Transmission box")] {
        sqlx::query(
            "INSERT INTO download_clients (id, name, client_type, host, port, use_tls, username_enc, password_enc, poll_interval_seconds,
             is_default, cross_seed_tags, enabled, created_at, updated_at) VALUES ($1, $2, $3, '10.0.0.5', $4, $5, $6, $7, 300, $8, $9, 1, $10, $10)",
        )
        .bind(id)
        .bind(name)
        .bind(if id == 1 { "qbittorrent" } else { "transmission" })
        .bind(if id == 1 { 8080 } else { 9091 })
        .bind(id == 2)
        .bind(seal(purpose::CLIENT_USERNAME, SECRETS[2]))
        .bind(seal(purpose::CLIENT_PASSWORD, SECRETS[3]))
        .bind(id == 1)
        .bind(if id == 1 { "[\"cross-seed\",\"xseed\"]" } else { "[]" })
        .bind(&now)
        .execute(db)
        .await?;
        sqlx::query("INSERT INTO client_runtime (client_id, last_polled_at, last_error, error_since, cached_torrents) VALUES ($1, $2, $3, $2, $4)")
            .bind(id)
            .bind(&now)
            .bind(TRANSIENT[2])
            .bind(format!("[{{\"name\":\"{}\"}}]", TRANSIENT[1]))
            .execute(db)
            .await?;
    }
    for i in 0..12i64 {
        sqlx::query(
            "INSERT INTO client_snapshots (id, client_id, polled_at, seeding_count, leeching_count, upload_speed_bps, download_speed_bps, tag_stats)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(i + 1)
        .bind(1 + i % 2)
        .bind(to_db(t0 + Duration::minutes(5 * i)))
        .bind(100 + i)
        .bind(i % 3)
        .bind(1_000_000 * i)
        .bind(10_000 * i)
        // The second tag's byte totals were not recorded (as in snapshots imported from the original app).
        .bind(format!(
            "[{{\"tag\":\"aither\",\"seeding\":{i},\"leeching\":0,\"uploaded_bytes\":{},\"size_bytes\":{}}},{{\"tag\":\"blu\",\"seeding\":1,\"leeching\":{i},\"uploaded_bytes\":null,\"size_bytes\":null}}]",
            BIG_UPLOAD,
            1i64 << 40
        ))
        .execute(db)
        .await?;
    }
    for i in 0..5i64 {
        sqlx::query("INSERT INTO client_uptime_buckets (id, client_id, bucket_start, checks_total, checks_ok) VALUES ($1, 1, $2, 12, $3)")
            .bind(i + 1)
            .bind(to_db(t0 + Duration::hours(i)))
            .bind(12 - i)
            .execute(db)
            .await?;
    }

    sqlx::query("INSERT INTO tag_groups (id, name, emoji, chart_type, description, sort_order, count_unmatched) VALUES (1, 'Trackers', '📦', 'bar', 'by tracker tag', 0, 1), (2, 'Media', NULL, 'pie', NULL, 1, 0)")
        .execute(db)
        .await?;
    sqlx::query("INSERT INTO tag_group_members (id, group_id, tag, label, color, sort_order) VALUES (1, 1, 'aither', 'Aither', '#ff0000', 0), (2, 1, 'blu', NULL, '#00ff00', 1), (3, 2, 'movies', 'Movies', '#0000ff', 0)")
        .execute(db)
        .await?;

    for (id, name, kind) in [(1i64, "Discord", "discord"), (2, "Hook", "webhook")] {
        sqlx::query(
            "INSERT INTO notification_targets (id, name, target_type, enabled, config_enc, events, thresholds, tracker_ids, created_at, updated_at)
             VALUES ($1, $2, $3, 1, $4, $5, '{\"ratio_drop\":0.2,\"ratio_danger\":0.9,\"buffer_milestone_gib\":25}', $6, $7, $7)",
        )
        .bind(id)
        .bind(name)
        .bind(kind)
        .bind(seal(purpose::NOTIFICATION_CONFIG, &format!("{{\"url\":\"{}\"}}", SECRETS[6])))
        .bind(if id == 1 { "[\"ratio_drop\",\"backup_failed\"]" } else { "[\"warned\"]" })
        .bind(if id == 1 { None } else { Some("[1,3]") })
        .bind(&now)
        .execute(db)
        .await?;
    }
    sqlx::query("INSERT INTO notification_deliveries (target_id, event, status, sent_at, error) VALUES (1, 'test', 'failed', $1, $2)")
        .bind(&now)
        .bind(TRANSIENT[3])
        .execute(db)
        .await?;
    sqlx::query("INSERT INTO dismissed_alerts (id, alert_key, dismissed_at) VALUES (1, 'ratio:1', $1), (2, 'hnr:3', $1)")
        .bind(&now)
        .execute(db)
        .await?;
    sqlx::query("UPDATE instance SET failed_login_attempts = 3").execute(db).await?;
    Ok(())
}
