-- Times are stored to the millisecond ("2026-11-24T03:00:00.000Z", always three digits), so an
-- imported instant (the original app writes milliseconds) is kept exactly and text order stays time
-- order. Rewrites the whole-second values written before; plain string functions, portable SQL.

UPDATE instance SET created_at = substr(created_at, 1, 19) || '.000Z' WHERE length(created_at) = 20 AND substr(created_at, 20, 1) = 'Z';
UPDATE instance SET locked_until = substr(locked_until, 1, 19) || '.000Z' WHERE length(locked_until) = 20 AND substr(locked_until, 20, 1) = 'Z';
UPDATE sessions SET created_at = substr(created_at, 1, 19) || '.000Z' WHERE length(created_at) = 20 AND substr(created_at, 20, 1) = 'Z';
UPDATE sessions SET last_seen_at = substr(last_seen_at, 1, 19) || '.000Z' WHERE length(last_seen_at) = 20 AND substr(last_seen_at, 20, 1) = 'Z';
UPDATE app_settings SET updated_at = substr(updated_at, 1, 19) || '.000Z' WHERE length(updated_at) = 20 AND substr(updated_at, 20, 1) = 'Z';
UPDATE trackers SET created_at = substr(created_at, 1, 19) || '.000Z' WHERE length(created_at) = 20 AND substr(created_at, 20, 1) = 'Z';
UPDATE trackers SET updated_at = substr(updated_at, 1, 19) || '.000Z' WHERE length(updated_at) = 20 AND substr(updated_at, 20, 1) = 'Z';
UPDATE trackers SET last_access_at = substr(last_access_at, 1, 19) || '.000Z' WHERE length(last_access_at) = 20 AND substr(last_access_at, 20, 1) = 'Z';
UPDATE trackers SET paused_at = substr(paused_at, 1, 19) || '.000Z' WHERE length(paused_at) = 20 AND substr(paused_at, 20, 1) = 'Z';
UPDATE tracker_runtime SET last_polled_at = substr(last_polled_at, 1, 19) || '.000Z' WHERE length(last_polled_at) = 20 AND substr(last_polled_at, 20, 1) = 'Z';
UPDATE tracker_runtime SET last_error_at = substr(last_error_at, 1, 19) || '.000Z' WHERE length(last_error_at) = 20 AND substr(last_error_at, 20, 1) = 'Z';
UPDATE tracker_snapshots SET polled_at = substr(polled_at, 1, 19) || '.000Z' WHERE length(polled_at) = 20 AND substr(polled_at, 20, 1) = 'Z';
UPDATE tracker_roles SET achieved_at = substr(achieved_at, 1, 19) || '.000Z' WHERE length(achieved_at) = 20 AND substr(achieved_at, 20, 1) = 'Z';
UPDATE download_clients SET created_at = substr(created_at, 1, 19) || '.000Z' WHERE length(created_at) = 20 AND substr(created_at, 20, 1) = 'Z';
UPDATE download_clients SET updated_at = substr(updated_at, 1, 19) || '.000Z' WHERE length(updated_at) = 20 AND substr(updated_at, 20, 1) = 'Z';
UPDATE client_runtime SET last_polled_at = substr(last_polled_at, 1, 19) || '.000Z' WHERE length(last_polled_at) = 20 AND substr(last_polled_at, 20, 1) = 'Z';
UPDATE client_runtime SET error_since = substr(error_since, 1, 19) || '.000Z' WHERE length(error_since) = 20 AND substr(error_since, 20, 1) = 'Z';
UPDATE client_snapshots SET polled_at = substr(polled_at, 1, 19) || '.000Z' WHERE length(polled_at) = 20 AND substr(polled_at, 20, 1) = 'Z';
UPDATE client_uptime_buckets SET bucket_start = substr(bucket_start, 1, 19) || '.000Z' WHERE length(bucket_start) = 20 AND substr(bucket_start, 20, 1) = 'Z';
UPDATE notification_targets SET created_at = substr(created_at, 1, 19) || '.000Z' WHERE length(created_at) = 20 AND substr(created_at, 20, 1) = 'Z';
UPDATE notification_targets SET updated_at = substr(updated_at, 1, 19) || '.000Z' WHERE length(updated_at) = 20 AND substr(updated_at, 20, 1) = 'Z';
UPDATE notification_deliveries SET sent_at = substr(sent_at, 1, 19) || '.000Z' WHERE length(sent_at) = 20 AND substr(sent_at, 20, 1) = 'Z';
UPDATE dismissed_alerts SET dismissed_at = substr(dismissed_at, 1, 19) || '.000Z' WHERE length(dismissed_at) = 20 AND substr(dismissed_at, 20, 1) = 'Z';
UPDATE backup_history SET created_at = substr(created_at, 1, 19) || '.000Z' WHERE length(created_at) = 20 AND substr(created_at, 20, 1) = 'Z';
UPDATE backup_history SET verified_at = substr(verified_at, 1, 19) || '.000Z' WHERE length(verified_at) = 20 AND substr(verified_at, 20, 1) = 'Z';
UPDATE backup_schedule_state SET last_slot = substr(last_slot, 1, 19) || '.000Z' WHERE length(last_slot) = 20 AND substr(last_slot, 20, 1) = 'Z';
