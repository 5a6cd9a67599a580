-- Tracker details the original Tracker Tracker keeps and a person would miss after switching
-- (docs/import-original.md). All are configuration or history, so all are backed up.

-- Route this tracker's requests through the proxy of Settings → General when it is on.
-- 1 for every existing tracker: until now every tracker used the proxy when it was on.
ALTER TABLE trackers ADD COLUMN use_proxy INTEGER NOT NULL DEFAULT 1;
-- The person's user id on the tracker (some platforms' APIs need it).
ALTER TABLE trackers ADD COLUMN remote_user_id INTEGER;
-- The person's profile page on the tracker (http or https).
ALTER TABLE trackers ADD COLUMN profile_url TEXT;
-- Count cross-seeded torrents towards the tracker's unsatisfied downloads.
ALTER TABLE trackers ADD COLUMN count_cross_seed_unsatisfied INTEGER NOT NULL DEFAULT 0;
-- The last day the person was seen on the tracker (a date, YYYY-MM-DD).
ALTER TABLE trackers ADD COLUMN last_access_at TEXT;
-- Paused by the person (Pause on the tracker's page): not polled until resumed. Configuration,
-- unlike tracker_runtime's state, so it is in backups.
ALTER TABLE trackers ADD COLUMN paused_at TEXT;

-- The runtime column of the same name was meant for an automatic pause after repeated failures;
-- nothing ever wrote or read it, and a pause is now the person's, in trackers.paused_at.
ALTER TABLE tracker_runtime DROP COLUMN paused_at;

-- A tracker's share score (GazelleGames reports one), as the original records it.
ALTER TABLE tracker_snapshots ADD COLUMN share_score REAL;
