-- Tracker Tracker schema, version 1.
-- Portable SQL: TEXT timestamps (RFC 3339, UTC), INTEGER booleans (0/1), INTEGER 64-bit counters,
-- no SQLite-only functions, so a PostgreSQL migration can mirror it table for table.
-- Secrets are stored as ciphertext strings ("tt1:..."), never in clear.

-- The one instance: login, key material and lockout state. Never part of a backup.
CREATE TABLE instance (
    id                         INTEGER PRIMARY KEY CHECK (id = 1),
    created_at                 TEXT    NOT NULL,
    password_hash              TEXT    NOT NULL,   -- argon2id PHC string
    instance_salt              BLOB    NOT NULL,   -- random, never leaves the instance
    dek_wrapped_password       BLOB    NOT NULL,   -- data key sealed by Argon2id(password, instance_salt)
    dek_wrapped_server         BLOB    NOT NULL,   -- data key sealed by the server key file (jobs, restarts)
    portable_key_wrap          TEXT    NOT NULL,   -- JSON: data key sealed by Argon2id(password, own salt); copied into backups
    key_id                     TEXT    NOT NULL,   -- fingerprint of the data key (not secret)
    failed_login_attempts      INTEGER NOT NULL DEFAULT 0,
    locked_until               TEXT
);

CREATE TABLE sessions (
    token_hash    TEXT PRIMARY KEY,                -- SHA-256 of the cookie value
    created_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL
);

CREATE TABLE app_settings (
    id                          INTEGER PRIMARY KEY CHECK (id = 1),
    poll_interval_minutes       INTEGER NOT NULL DEFAULT 60,
    snapshot_retention_days     INTEGER,
    proxy_enabled               INTEGER NOT NULL DEFAULT 0,
    proxy_type                  TEXT    NOT NULL DEFAULT 'socks5',
    proxy_host                  TEXT,
    proxy_port                  INTEGER,
    proxy_username              TEXT,
    proxy_password_enc          TEXT,
    notifications_enabled       INTEGER NOT NULL DEFAULT 1,
    notify_ratio_drop_threshold REAL    NOT NULL DEFAULT 0.1,
    notify_buffer_milestone_gib INTEGER NOT NULL DEFAULT 100,
    session_timeout_minutes     INTEGER NOT NULL DEFAULT 1440,
    lockout_threshold           INTEGER NOT NULL DEFAULT 5,
    lockout_minutes             INTEGER NOT NULL DEFAULT 15,
    totp_enabled                INTEGER NOT NULL DEFAULT 0,
    totp_secret_enc             TEXT,
    totp_backup_codes_enc       TEXT,
    totp_pending_secret_enc     TEXT,
    totp_last_step              INTEGER,
    backup_schedule_enabled     INTEGER NOT NULL DEFAULT 0,
    backup_frequency            TEXT    NOT NULL DEFAULT 'daily',
    backup_retention_count      INTEGER NOT NULL DEFAULT 14,
    backup_encrypt              INTEGER NOT NULL DEFAULT 0,
    backup_password_enc         TEXT,
    backup_storage_path         TEXT,
    updated_at                  TEXT    NOT NULL
);

CREATE TABLE trackers (
    id               INTEGER PRIMARY KEY,
    name             TEXT    NOT NULL,
    base_url         TEXT    NOT NULL,
    platform         TEXT    NOT NULL,
    api_path         TEXT    NOT NULL DEFAULT '',
    api_token_enc    TEXT,
    color            TEXT    NOT NULL DEFAULT '#3b82f6',
    client_tag       TEXT,
    is_active        INTEGER NOT NULL DEFAULT 1,
    is_favorite      INTEGER NOT NULL DEFAULT 0,
    sort_order       INTEGER NOT NULL DEFAULT 0,
    joined_at        TEXT,
    disabled_reason  TEXT,
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL
);

-- Runtime state of the poller, kept apart from configuration; never part of a backup.
CREATE TABLE tracker_runtime (
    tracker_id            INTEGER PRIMARY KEY REFERENCES trackers(id) ON DELETE CASCADE,
    last_polled_at        TEXT,
    last_error            TEXT,
    last_error_at         TEXT,
    consecutive_failures  INTEGER NOT NULL DEFAULT 0,
    paused_at             TEXT
);

CREATE TABLE tracker_snapshots (
    id                INTEGER PRIMARY KEY,
    tracker_id        INTEGER NOT NULL REFERENCES trackers(id) ON DELETE CASCADE,
    polled_at         TEXT    NOT NULL,
    uploaded_bytes    INTEGER NOT NULL,
    downloaded_bytes  INTEGER NOT NULL,
    ratio             REAL,
    buffer_bytes      INTEGER,
    seeding_count     INTEGER,
    leeching_count    INTEGER,
    seed_bonus        REAL,
    hit_and_runs      INTEGER,
    required_ratio    REAL,
    warned            INTEGER NOT NULL DEFAULT 0,
    freeleech_tokens  INTEGER,
    username          TEXT,
    group_name        TEXT,
    is_manual         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX tracker_snapshots_by_tracker ON tracker_snapshots (tracker_id, polled_at);

CREATE TABLE tracker_roles (
    id           INTEGER PRIMARY KEY,
    tracker_id   INTEGER NOT NULL REFERENCES trackers(id) ON DELETE CASCADE,
    role_name    TEXT    NOT NULL,
    achieved_at  TEXT    NOT NULL,
    notes        TEXT
);
CREATE INDEX tracker_roles_by_tracker ON tracker_roles (tracker_id);

CREATE TABLE download_clients (
    id                     INTEGER PRIMARY KEY,
    name                   TEXT    NOT NULL,
    client_type            TEXT    NOT NULL,
    host                   TEXT    NOT NULL,
    port                   INTEGER NOT NULL,
    use_tls                INTEGER NOT NULL DEFAULT 0,
    username_enc           TEXT,
    password_enc           TEXT,
    poll_interval_seconds  INTEGER NOT NULL DEFAULT 300,
    is_default             INTEGER NOT NULL DEFAULT 0,
    cross_seed_tags        TEXT    NOT NULL DEFAULT '[]',   -- JSON array of strings
    enabled                INTEGER NOT NULL DEFAULT 1,
    disabled_reason        TEXT,
    created_at             TEXT    NOT NULL,
    updated_at             TEXT    NOT NULL
);

CREATE TABLE client_runtime (
    client_id        INTEGER PRIMARY KEY REFERENCES download_clients(id) ON DELETE CASCADE,
    last_polled_at   TEXT,
    last_error       TEXT,
    error_since      TEXT,
    cached_torrents  TEXT
);

CREATE TABLE client_snapshots (
    id                   INTEGER PRIMARY KEY,
    client_id            INTEGER NOT NULL REFERENCES download_clients(id) ON DELETE CASCADE,
    polled_at            TEXT    NOT NULL,
    seeding_count        INTEGER NOT NULL,
    leeching_count       INTEGER NOT NULL,
    upload_speed_bps     INTEGER NOT NULL,
    download_speed_bps   INTEGER NOT NULL,
    tag_stats            TEXT    NOT NULL DEFAULT '[]'   -- JSON array of {tag, seeding, leeching, uploaded_bytes, size_bytes}
);
CREATE INDEX client_snapshots_by_client ON client_snapshots (client_id, polled_at);

CREATE TABLE client_uptime_buckets (
    id             INTEGER PRIMARY KEY,
    client_id      INTEGER NOT NULL REFERENCES download_clients(id) ON DELETE CASCADE,
    bucket_start   TEXT    NOT NULL,
    checks_total   INTEGER NOT NULL,
    checks_ok      INTEGER NOT NULL
);
CREATE INDEX client_uptime_by_client ON client_uptime_buckets (client_id, bucket_start);

CREATE TABLE tag_groups (
    id               INTEGER PRIMARY KEY,
    name             TEXT    NOT NULL,
    emoji            TEXT,
    chart_type       TEXT    NOT NULL DEFAULT 'bar',
    description      TEXT,
    sort_order       INTEGER NOT NULL DEFAULT 0,
    count_unmatched  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE tag_group_members (
    id          INTEGER PRIMARY KEY,
    group_id    INTEGER NOT NULL REFERENCES tag_groups(id) ON DELETE CASCADE,
    tag         TEXT    NOT NULL,
    label       TEXT,
    color       TEXT    NOT NULL DEFAULT '#64748b',
    sort_order  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX tag_group_members_by_group ON tag_group_members (group_id);

CREATE TABLE notification_targets (
    id               INTEGER PRIMARY KEY,
    name             TEXT    NOT NULL,
    target_type      TEXT    NOT NULL,
    enabled          INTEGER NOT NULL DEFAULT 1,
    config_enc       TEXT,                        -- encrypted JSON: webhook URL, bot token, chat id...
    events           TEXT    NOT NULL DEFAULT '[]', -- JSON array of event names
    thresholds       TEXT    NOT NULL DEFAULT '{}', -- JSON object
    tracker_ids      TEXT,                        -- JSON array of tracker ids; NULL = all trackers
    disabled_reason  TEXT,
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL
);

-- Delivery history; never part of a backup.
CREATE TABLE notification_deliveries (
    id          INTEGER PRIMARY KEY,
    target_id   INTEGER NOT NULL REFERENCES notification_targets(id) ON DELETE CASCADE,
    event       TEXT    NOT NULL,
    status      TEXT    NOT NULL,    -- 'sent' | 'failed'
    sent_at     TEXT    NOT NULL,
    error       TEXT
);
CREATE INDEX notification_deliveries_by_target ON notification_deliveries (target_id, sent_at);

CREATE TABLE dismissed_alerts (
    id            INTEGER PRIMARY KEY,
    alert_key     TEXT NOT NULL UNIQUE,
    dismissed_at  TEXT NOT NULL
);

-- Stored backups written by this instance (scheduled, pre-restore); never part of a backup.
CREATE TABLE backup_history (
    id              INTEGER PRIMARY KEY,
    created_at      TEXT    NOT NULL,
    trigger_kind    TEXT    NOT NULL,    -- 'scheduled' | 'pre_restore'
    file_name       TEXT,
    directory       TEXT,
    size_bytes      INTEGER,
    encrypted       INTEGER NOT NULL DEFAULT 0,
    sha256          TEXT,
    status          TEXT    NOT NULL,    -- 'running' | 'completed' | 'failed'
    error           TEXT,
    verified_at     TEXT,
    verify_status   TEXT,                -- 'ok' | 'failed'
    verify_message  TEXT
);
CREATE INDEX backup_history_by_time ON backup_history (created_at);

-- Scheduler bookkeeping (last scheduled slot run, failure streak for notifications).
CREATE TABLE backup_schedule_state (
    id                    INTEGER PRIMARY KEY CHECK (id = 1),
    last_slot             TEXT,
    failure_streak        INTEGER NOT NULL DEFAULT 0,
    failure_notified      INTEGER NOT NULL DEFAULT 0
);

-- The singleton rows exist from the start so reads never have to special-case "no settings yet".
INSERT INTO app_settings (id, updated_at) VALUES (1, '1970-01-01T00:00:00Z');
INSERT INTO backup_schedule_state (id) VALUES (1);
