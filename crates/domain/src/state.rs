//! Everything a request or a job needs, cloned cheaply into each.

use super::backup::disk::{Disk, RealDisk};
use super::{clock::Clock, config::Config, secrets::KeyStore, store::Db};
use std::sync::Arc;
use tokio::sync::{Mutex, Notify};

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub keys: Arc<KeyStore>,
    pub clock: Arc<dyn Clock>,
    /// Free space and file writes for stored backups (replaced in tests to simulate a full disk).
    pub disk: Arc<dyn Disk>,
    /// Woken when the backup settings change, so the scheduler recomputes its next run at once.
    pub schedule_changed: Arc<Notify>,
    /// One password check at a time: the lockout check, the Argon2 verification and the failure
    /// count happen as one step (parallel guesses cannot all pass the check before any is
    /// counted), and at most one 19 MiB Argon2 computation runs for logins.
    pub password_gate: Arc<Mutex<()>>,
    /// One backup file written at a time (schedule, Run now, the undo point of a restore), so two
    /// never pick the same name or measure free space for each other.
    pub backup_gate: Arc<Mutex<()>>,
    /// One run at a time sends its backup to the locations (and prunes the local ones first),
    /// so retention never deletes a file another run is still uploading.
    pub upload_gate: Arc<Mutex<()>>,
}

impl AppState {
    pub fn new(db: Db, config: Config, clock: Arc<dyn Clock>) -> Self {
        AppState {
            db,
            keys: Arc::new(KeyStore::new(config.server_key_path())),
            config: Arc::new(config),
            clock,
            disk: Arc::new(RealDisk),
            schedule_changed: Arc::new(Notify::new()),
            password_gate: Arc::new(Mutex::new(())),
            backup_gate: Arc::new(Mutex::new(())),
            upload_gate: Arc::new(Mutex::new(())),
        }
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}
