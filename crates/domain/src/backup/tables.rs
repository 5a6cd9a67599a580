//! How each backup section maps to its table: the SELECT that exports it (ascending id, only
//! configuration and history — never runtime state), the row → record decoding, and the batched
//! INSERT that restores it. The one place to change when a table gains a column.

use crate::time::to_db;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};
use tt_core::backup_format::records::*;
use tt_core::backup_format::Section;
use tt_core::model::auth::SecuritySettings;
use tt_core::model::clients::{ClientConfig, ClientSnapshot, UptimeBucket};
use tt_core::model::notifications::{DismissedAlert, TargetSettings, Thresholds};
use tt_core::model::settings::{BackupSettings, GeneralSettings};
use tt_core::model::tags::{TagGroupConfig, TagMember};
use tt_core::model::trackers::{Snapshot, TrackerConfig, TrackerRole};

pub fn table(section: Section) -> &'static str {
    match section {
        Section::Settings => "app_settings",
        Section::Trackers => "trackers",
        Section::TrackerRoles => "tracker_roles",
        Section::TrackerSnapshots => "tracker_snapshots",
        Section::DownloadClients => "download_clients",
        Section::ClientSnapshots => "client_snapshots",
        Section::ClientUptimeBuckets => "client_uptime_buckets",
        Section::TagGroups => "tag_groups",
        Section::TagGroupMembers => "tag_group_members",
        Section::NotificationTargets => "notification_targets",
        Section::DismissedAlerts => "dismissed_alerts",
    }
}

/// Columns exported per table (the rest is runtime state or local to the instance).
fn columns(section: Section) -> &'static str {
    match section {
        Section::Settings => {
            "poll_interval_minutes, snapshot_retention_days, proxy_enabled, proxy_type, proxy_host, proxy_port, proxy_username, \
             proxy_password_enc, notifications_enabled, notify_ratio_drop_threshold, notify_buffer_milestone_gib, \
             session_timeout_minutes, lockout_threshold, lockout_minutes, totp_enabled, totp_secret_enc, totp_backup_codes_enc, \
             backup_schedule_enabled, backup_frequency, backup_retention_count, backup_encrypt, backup_password_enc, backup_storage_path, \
             backup_retention_calendar"
        }
        Section::Trackers => {
            "id, name, base_url, platform, api_path, api_token_enc, color, client_tag, is_active, is_favorite, sort_order, joined_at, \
             disabled_reason, created_at, updated_at"
        }
        Section::TrackerRoles => "id, tracker_id, role_name, achieved_at, notes",
        Section::TrackerSnapshots => {
            "id, tracker_id, polled_at, uploaded_bytes, downloaded_bytes, ratio, buffer_bytes, seeding_count, leeching_count, \
             seed_bonus, hit_and_runs, required_ratio, warned, freeleech_tokens, username, group_name, is_manual"
        }
        Section::DownloadClients => {
            "id, name, client_type, host, port, use_tls, username_enc, password_enc, poll_interval_seconds, is_default, \
             cross_seed_tags, enabled, disabled_reason, created_at, updated_at"
        }
        Section::ClientSnapshots => "id, client_id, polled_at, seeding_count, leeching_count, upload_speed_bps, download_speed_bps, tag_stats",
        Section::ClientUptimeBuckets => "id, client_id, bucket_start, checks_total, checks_ok",
        Section::TagGroups => "id, name, emoji, chart_type, description, sort_order, count_unmatched",
        Section::TagGroupMembers => "id, group_id, tag, label, color, sort_order",
        Section::NotificationTargets => {
            "id, name, target_type, enabled, config_enc, events, thresholds, tracker_ids, disabled_reason, created_at, updated_at"
        }
        Section::DismissedAlerts => "id, alert_key, dismissed_at",
    }
}

pub fn select_sql(section: Section) -> String {
    match section {
        Section::Settings => format!("SELECT {} FROM app_settings WHERE id = 1", columns(section)),
        s => format!("SELECT {} FROM {} ORDER BY id", columns(s), table(s)),
    }
}

pub fn count_sql(section: Section) -> String {
    format!("SELECT COUNT(*) FROM {}", table(section))
}

#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("the {table} table holds a value that cannot be exported ({detail})")]
    Column { table: &'static str, detail: String },
}

fn json_col<T: serde::de::DeserializeOwned>(row: &SqliteRow, col: &str, table: &'static str) -> Result<T, TableError> {
    let text: String = row.try_get(col)?;
    serde_json::from_str(&text).map_err(|e| TableError::Column { table, detail: format!("{col}: {e}") })
}

fn json_text<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

/// Decodes one exported row into its record.
pub fn decode(section: Section, row: &SqliteRow) -> Result<Record, TableError> {
    let t = table(section);
    Ok(match section {
        Section::Settings => Record::Settings(Box::new(SettingsRecord {
            general: GeneralSettings {
                poll_interval_minutes: row.try_get("poll_interval_minutes")?,
                snapshot_retention_days: row.try_get("snapshot_retention_days")?,
                proxy_enabled: row.try_get("proxy_enabled")?,
                proxy_type: row.try_get("proxy_type")?,
                proxy_host: row.try_get("proxy_host")?,
                proxy_port: row.try_get("proxy_port")?,
                proxy_username: row.try_get("proxy_username")?,
                notifications_enabled: row.try_get("notifications_enabled")?,
                notify_ratio_drop_threshold: row.try_get("notify_ratio_drop_threshold")?,
                notify_buffer_milestone_gib: row.try_get("notify_buffer_milestone_gib")?,
            },
            proxy_password: row.try_get("proxy_password_enc")?,
            security: SecuritySettings {
                session_timeout_minutes: row.try_get("session_timeout_minutes")?,
                lockout_threshold: row.try_get("lockout_threshold")?,
                lockout_minutes: row.try_get("lockout_minutes")?,
            },
            totp: TotpRecord {
                enabled: row.try_get("totp_enabled")?,
                secret: row.try_get("totp_secret_enc")?,
                backup_codes: row.try_get("totp_backup_codes_enc")?,
            },
            backup: BackupSettings {
                schedule_enabled: row.try_get("backup_schedule_enabled")?,
                frequency: row.try_get("backup_frequency")?,
                retention_count: row.try_get("backup_retention_count")?,
                encrypt: row.try_get("backup_encrypt")?,
                storage_path: row.try_get("backup_storage_path")?,
                calendar: match row.try_get::<Option<String>, _>("backup_retention_calendar")? {
                    Some(text) => Some(
                        serde_json::from_str(&text)
                            .map_err(|e| TableError::Column { table: t, detail: format!("backup_retention_calendar: {e}") })?,
                    ),
                    None => None,
                },
            },
            backup_password: row.try_get("backup_password_enc")?,
            // Their own table: filled by the export (and the restore report) from `locations`.
            locations: None,
        })),
        Section::Trackers => Record::Tracker(TrackerRecord {
            id: row.try_get("id")?,
            config: TrackerConfig {
                name: row.try_get("name")?,
                base_url: row.try_get("base_url")?,
                platform: row.try_get("platform")?,
                api_path: row.try_get("api_path")?,
                color: row.try_get("color")?,
                client_tag: row.try_get("client_tag")?,
                is_active: row.try_get("is_active")?,
                is_favorite: row.try_get("is_favorite")?,
                sort_order: row.try_get("sort_order")?,
                joined_at: row.try_get("joined_at")?,
            },
            api_token: row.try_get("api_token_enc")?,
            disabled_reason: row.try_get("disabled_reason")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        }),
        Section::TrackerRoles => Record::TrackerRole(TrackerRole {
            id: row.try_get("id")?,
            tracker_id: row.try_get("tracker_id")?,
            role_name: row.try_get("role_name")?,
            achieved_at: row.try_get("achieved_at")?,
            notes: row.try_get("notes")?,
        }),
        Section::TrackerSnapshots => Record::TrackerSnapshot(Snapshot {
            id: row.try_get(0)?,
            tracker_id: row.try_get(1)?,
            polled_at: row.try_get(2)?,
            uploaded_bytes: row.try_get(3)?,
            downloaded_bytes: row.try_get(4)?,
            ratio: row.try_get(5)?,
            buffer_bytes: row.try_get(6)?,
            seeding_count: row.try_get(7)?,
            leeching_count: row.try_get(8)?,
            seed_bonus: row.try_get(9)?,
            hit_and_runs: row.try_get(10)?,
            required_ratio: row.try_get(11)?,
            warned: row.try_get(12)?,
            freeleech_tokens: row.try_get(13)?,
            username: row.try_get(14)?,
            group_name: row.try_get(15)?,
            is_manual: row.try_get(16)?,
        }),
        Section::DownloadClients => Record::DownloadClient(DownloadClientRecord {
            id: row.try_get("id")?,
            config: ClientConfig {
                name: row.try_get("name")?,
                client_type: row.try_get("client_type")?,
                host: row.try_get("host")?,
                port: row.try_get("port")?,
                use_tls: row.try_get("use_tls")?,
                poll_interval_seconds: row.try_get("poll_interval_seconds")?,
                is_default: row.try_get("is_default")?,
                cross_seed_tags: json_col(row, "cross_seed_tags", t)?,
                enabled: row.try_get("enabled")?,
            },
            username: row.try_get("username_enc")?,
            password: row.try_get("password_enc")?,
            disabled_reason: row.try_get("disabled_reason")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        }),
        Section::ClientSnapshots => Record::ClientSnapshot(ClientSnapshot {
            id: row.try_get(0)?,
            client_id: row.try_get(1)?,
            polled_at: row.try_get(2)?,
            seeding_count: row.try_get(3)?,
            leeching_count: row.try_get(4)?,
            upload_speed_bps: row.try_get(5)?,
            download_speed_bps: row.try_get(6)?,
            tag_stats: json_col(row, "tag_stats", t)?,
        }),
        Section::ClientUptimeBuckets => Record::ClientUptimeBucket(UptimeBucket {
            id: row.try_get("id")?,
            client_id: row.try_get("client_id")?,
            bucket_start: row.try_get("bucket_start")?,
            checks_total: row.try_get("checks_total")?,
            checks_ok: row.try_get("checks_ok")?,
        }),
        Section::TagGroups => Record::TagGroup(TagGroupRecord {
            id: row.try_get("id")?,
            config: TagGroupConfig {
                name: row.try_get("name")?,
                emoji: row.try_get("emoji")?,
                chart_type: row.try_get("chart_type")?,
                description: row.try_get("description")?,
                sort_order: row.try_get("sort_order")?,
                count_unmatched: row.try_get("count_unmatched")?,
            },
        }),
        Section::TagGroupMembers => Record::TagGroupMember(TagMemberRecord {
            id: row.try_get("id")?,
            group_id: row.try_get("group_id")?,
            member: TagMember {
                tag: row.try_get("tag")?,
                label: row.try_get("label")?,
                color: row.try_get("color")?,
                sort_order: row.try_get("sort_order")?,
            },
        }),
        Section::NotificationTargets => Record::NotificationTarget(NotificationTargetRecord {
            id: row.try_get("id")?,
            settings: TargetSettings {
                name: row.try_get("name")?,
                target_type: row.try_get("target_type")?,
                enabled: row.try_get("enabled")?,
                events: json_col(row, "events", t)?,
                thresholds: json_col::<Option<Thresholds>>(row, "thresholds", t)?.unwrap_or_default(),
                tracker_ids: match row.try_get::<Option<String>, _>("tracker_ids")? {
                    Some(text) => serde_json::from_str(&text).map_err(|e| TableError::Column { table: t, detail: format!("tracker_ids: {e}") })?,
                    None => None,
                },
            },
            config: row.try_get("config_enc")?,
            disabled_reason: row.try_get("disabled_reason")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        }),
        Section::DismissedAlerts => Record::DismissedAlert(DismissedAlert {
            id: row.try_get("id")?,
            alert_key: row.try_get("alert_key")?,
            dismissed_at: row.try_get("dismissed_at")?,
        }),
    })
}

/// Deletes the data a restore replaces, children first. Sessions, the instance row (password,
/// salt, keys) and the backup history stay; runtime tables go with their owners (cascade).
pub async fn wipe(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    for t in [
        "notification_deliveries",
        "notification_targets",
        "dismissed_alerts",
        "tag_group_members",
        "tag_groups",
        "client_uptime_buckets",
        "client_snapshots",
        "client_runtime",
        "download_clients",
        "tracker_snapshots",
        "tracker_roles",
        "tracker_runtime",
        "trackers",
    ] {
        sqlx::query(&format!("DELETE FROM {t}")).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Writes the settings record over the settings row (transient 2FA enrolment state is cleared).
pub async fn write_settings(conn: &mut SqliteConnection, s: &SettingsRecord, now: chrono::DateTime<chrono::Utc>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE app_settings SET poll_interval_minutes = $1, snapshot_retention_days = $2, proxy_enabled = $3, proxy_type = $4,
         proxy_host = $5, proxy_port = $6, proxy_username = $7, proxy_password_enc = $8, notifications_enabled = $9,
         notify_ratio_drop_threshold = $10, notify_buffer_milestone_gib = $11, session_timeout_minutes = $12,
         lockout_threshold = $13, lockout_minutes = $14, totp_enabled = $15, totp_secret_enc = $16, totp_backup_codes_enc = $17,
         totp_pending_secret_enc = NULL, totp_last_step = NULL, backup_schedule_enabled = $18, backup_frequency = $19,
         backup_retention_count = $20, backup_encrypt = $21, backup_password_enc = $22, backup_storage_path = $23, updated_at = $24,
         backup_retention_calendar = $25
         WHERE id = 1",
    )
    .bind(s.general.poll_interval_minutes)
    .bind(s.general.snapshot_retention_days)
    .bind(s.general.proxy_enabled)
    .bind(&s.general.proxy_type)
    .bind(&s.general.proxy_host)
    .bind(s.general.proxy_port)
    .bind(&s.general.proxy_username)
    .bind(&s.proxy_password)
    .bind(s.general.notifications_enabled)
    .bind(s.general.notify_ratio_drop_threshold)
    .bind(s.general.notify_buffer_milestone_gib)
    .bind(s.security.session_timeout_minutes)
    .bind(s.security.lockout_threshold)
    .bind(s.security.lockout_minutes)
    .bind(s.totp.enabled)
    .bind(&s.totp.secret)
    .bind(&s.totp.backup_codes)
    .bind(s.backup.schedule_enabled)
    .bind(s.backup.frequency)
    .bind(s.backup.retention_count)
    .bind(s.backup.encrypt)
    .bind(&s.backup_password)
    .bind(&s.backup.storage_path)
    .bind(to_db(now))
    .bind(s.backup.calendar.as_ref().map(json_text))
    .execute(conn)
    .await?;
    Ok(())
}

/// Rows per INSERT statement: SQLite's variable limit (32766) over the widest table (17 columns).
pub const BATCH_ROWS: usize = 500;

/// Inserts a batch of records of one section (never Settings) with one multi-row INSERT.
pub async fn insert_batch(conn: &mut SqliteConnection, section: Section, batch: &[Record]) -> Result<(), sqlx::Error> {
    if batch.is_empty() {
        return Ok(());
    }
    let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(format!("INSERT INTO {} ({}) ", table(section), columns(section)));
    qb.push_values(batch, |mut b, record| match record {
        Record::Settings(_) => {}
        Record::Tracker(r) => {
            b.push_bind(r.id)
                .push_bind(r.config.name.clone())
                .push_bind(r.config.base_url.clone())
                .push_bind(r.config.platform.clone())
                .push_bind(r.config.api_path.clone())
                .push_bind(r.api_token.clone())
                .push_bind(r.config.color.clone())
                .push_bind(r.config.client_tag.clone())
                .push_bind(r.config.is_active)
                .push_bind(r.config.is_favorite)
                .push_bind(r.config.sort_order)
                .push_bind(r.config.joined_at.map(|d| d.to_string()))
                .push_bind(r.disabled_reason.clone())
                .push_bind(to_db(r.created_at))
                .push_bind(to_db(r.updated_at));
        }
        Record::TrackerRole(r) => {
            b.push_bind(r.id).push_bind(r.tracker_id).push_bind(r.role_name.clone()).push_bind(to_db(r.achieved_at)).push_bind(r.notes.clone());
        }
        Record::TrackerSnapshot(r) => {
            b.push_bind(r.id)
                .push_bind(r.tracker_id)
                .push_bind(to_db(r.polled_at))
                .push_bind(r.uploaded_bytes)
                .push_bind(r.downloaded_bytes)
                .push_bind(r.ratio)
                .push_bind(r.buffer_bytes)
                .push_bind(r.seeding_count)
                .push_bind(r.leeching_count)
                .push_bind(r.seed_bonus)
                .push_bind(r.hit_and_runs)
                .push_bind(r.required_ratio)
                .push_bind(r.warned)
                .push_bind(r.freeleech_tokens)
                .push_bind(r.username.clone())
                .push_bind(r.group_name.clone())
                .push_bind(r.is_manual);
        }
        Record::DownloadClient(r) => {
            b.push_bind(r.id)
                .push_bind(r.config.name.clone())
                .push_bind(r.config.client_type.clone())
                .push_bind(r.config.host.clone())
                .push_bind(r.config.port)
                .push_bind(r.config.use_tls)
                .push_bind(r.username.clone())
                .push_bind(r.password.clone())
                .push_bind(r.config.poll_interval_seconds)
                .push_bind(r.config.is_default)
                .push_bind(json_text(&r.config.cross_seed_tags))
                .push_bind(r.config.enabled)
                .push_bind(r.disabled_reason.clone())
                .push_bind(to_db(r.created_at))
                .push_bind(to_db(r.updated_at));
        }
        Record::ClientSnapshot(r) => {
            b.push_bind(r.id)
                .push_bind(r.client_id)
                .push_bind(to_db(r.polled_at))
                .push_bind(r.seeding_count)
                .push_bind(r.leeching_count)
                .push_bind(r.upload_speed_bps)
                .push_bind(r.download_speed_bps)
                .push_bind(json_text(&r.tag_stats));
        }
        Record::ClientUptimeBucket(r) => {
            b.push_bind(r.id).push_bind(r.client_id).push_bind(to_db(r.bucket_start)).push_bind(r.checks_total).push_bind(r.checks_ok);
        }
        Record::TagGroup(r) => {
            b.push_bind(r.id)
                .push_bind(r.config.name.clone())
                .push_bind(r.config.emoji.clone())
                .push_bind(r.config.chart_type.clone())
                .push_bind(r.config.description.clone())
                .push_bind(r.config.sort_order)
                .push_bind(r.config.count_unmatched);
        }
        Record::TagGroupMember(r) => {
            b.push_bind(r.id)
                .push_bind(r.group_id)
                .push_bind(r.member.tag.clone())
                .push_bind(r.member.label.clone())
                .push_bind(r.member.color.clone())
                .push_bind(r.member.sort_order);
        }
        Record::NotificationTarget(r) => {
            b.push_bind(r.id)
                .push_bind(r.settings.name.clone())
                .push_bind(r.settings.target_type.clone())
                .push_bind(r.settings.enabled)
                .push_bind(r.config.clone())
                .push_bind(json_text(&r.settings.events))
                .push_bind(json_text(&r.settings.thresholds))
                .push_bind(r.settings.tracker_ids.as_ref().map(json_text))
                .push_bind(r.disabled_reason.clone())
                .push_bind(to_db(r.created_at))
                .push_bind(to_db(r.updated_at));
        }
        Record::DismissedAlert(r) => {
            b.push_bind(r.id).push_bind(r.alert_key.clone()).push_bind(to_db(r.dismissed_at));
        }
    });
    qb.build().execute(conn).await?;
    Ok(())
}
