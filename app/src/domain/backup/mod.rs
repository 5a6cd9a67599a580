//! Backups: export, restore, schedule, storage, history (see docs/backup-format.md).
