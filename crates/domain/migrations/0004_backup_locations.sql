-- Off-site backup locations (S3-compatible object storage, WebDAV folders) and the copy of each
-- backup in each location.

-- Configuration: part of a backup (settings section, `locations`), except the runtime columns.
CREATE TABLE backup_locations (
    id                  INTEGER PRIMARY KEY,
    name                TEXT    NOT NULL,
    kind                TEXT    NOT NULL,              -- 's3' | 'webdav' (the target's own "kind")
    target              TEXT    NOT NULL,              -- JSON of the target, no secret: endpoint, region, bucket, prefix, access key id, path style | folder URL, username
    secret_enc          TEXT,                          -- sealed (backup_locations.secret): the S3 secret key or the WebDAV password
    enabled             INTEGER NOT NULL DEFAULT 1,
    require_encryption  INTEGER NOT NULL DEFAULT 1,
    retention           TEXT    NOT NULL,              -- JSON: {"mode":"keep_last","count":14} | {"mode":"calendar","last":…,"daily":…,"weekly":…,"monthly":…}
    disabled_reason     TEXT,
    failure_streak      INTEGER NOT NULL DEFAULT 0,    -- runtime: failed uploads in a row (never in a backup)
    failure_notified    INTEGER NOT NULL DEFAULT 0,    -- runtime: "backup failed" sent for this streak
    created_at          TEXT    NOT NULL,
    updated_at          TEXT    NOT NULL
);

-- One row per backup per location it was sent to; never part of a backup. Kept when the local
-- backup is deleted (its copy may outlive it: retention differs per location), so history_id
-- then becomes NULL; deleted with its location (the remote objects stay where they are).
CREATE TABLE backup_copies (
    id                 INTEGER PRIMARY KEY,
    location_id        INTEGER NOT NULL REFERENCES backup_locations(id) ON DELETE CASCADE,
    history_id         INTEGER REFERENCES backup_history(id) ON DELETE SET NULL,
    backup_created_at  TEXT    NOT NULL,             -- when the backup was made (retention's calendar)
    remote_key         TEXT    NOT NULL,             -- the object's key (prefix included) / path in the folder
    encrypted          INTEGER NOT NULL,
    size_bytes         INTEGER,
    sha256             TEXT,                         -- of the bytes uploaded (an encrypted copy's own)
    status             TEXT    NOT NULL,             -- 'uploading' | 'retrying' | 'uploaded' | 'verified' | 'failed'
    attempts           INTEGER NOT NULL DEFAULT 0,
    error              TEXT,
    pinned             INTEGER NOT NULL DEFAULT 0,
    started_at         TEXT    NOT NULL,
    updated_at         TEXT    NOT NULL,
    verified_at        TEXT,
    -- The header of the backup uploaded (instance URL, app version), for the location's listing:
    -- an encrypted object's header cannot be read without its password.
    instance_url       TEXT,
    app_version        TEXT
);
CREATE INDEX backup_copies_by_location ON backup_copies (location_id, backup_created_at);
CREATE INDEX backup_copies_by_history ON backup_copies (history_id);

-- The storage path's calendar retention (JSON {"daily":…,"weekly":…,"monthly":…}; NULL: keep the
-- last backup_retention_count only). Part of a backup (settings.backup.calendar).
ALTER TABLE app_settings ADD COLUMN backup_retention_calendar TEXT;

-- Retention (local and in every location) never deletes a pinned backup.
ALTER TABLE backup_history ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;
