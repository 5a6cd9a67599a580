//! Server-side domain logic (feature "ssr"): plain Rust over the store, testable without HTTP.
//! Server functions in `api/` are thin wrappers around these modules.

pub mod auth;
pub mod backup;
pub mod clients;
pub mod notifications;
pub mod notify;
pub mod snapshots;
pub mod tags;
pub mod trackers;
pub mod clock;
pub mod config;
pub mod secrets;
pub mod settings;
pub mod state;
pub mod store;
pub mod time;

pub use state::AppState;

/// Helpers for tests: a real SQLite file in a temp dir, set up and unlocked.
#[cfg(test)]
pub mod testing {
    use super::{auth, clock::SystemClock, config::Config, store, AppState};
    use std::sync::Arc;

    pub const PASSWORD: &str = "test password 123";

    /// A fresh instance, set up with `PASSWORD`, keys unlocked. Keep the TempDir alive.
    pub async fn state() -> (AppState, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = store::connect(&store::sqlite_url(&dir.path().join("test.db"))).await.expect("db");
        let state = AppState::new(db, Config::for_data_dir(dir.path()), Arc::new(SystemClock));
        auth::setup(&state, PASSWORD, PASSWORD).await.expect("setup");
        (state, dir)
    }
}
