//! Tracker Tracker's domain, server only: plain Rust over the store (SQLite through sqlx) and the
//! backup files, testable without HTTP. The server functions in `app/src/api/` are thin wrappers
//! around these modules; the types they share with the browser come from `tt_core`.
#![forbid(unsafe_code)]

pub mod auth;
pub mod backup;
pub mod clients;
pub mod clock;
pub mod config;
pub mod notifications;
pub mod notify;
pub mod sample;
pub mod secrets;
pub mod settings;
pub mod smtp;
pub mod snapshots;
pub mod state;
pub mod store;
pub mod tags;
pub mod time;
pub mod trackers;

pub use state::AppState;

/// A fresh, set-up instance in a temp dir (for integration tests and benchmarks), with the
/// production key-derivation costs.
pub async fn testing_state() -> (AppState, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = store::connect(&store::sqlite_url(&dir.path().join("tracker-tracker.db"))).await.expect("db");
    let state = AppState::new(db, config::Config::for_data_dir(dir.path()), std::sync::Arc::new(clock::SystemClock));
    auth::setup(&state, "test password 123", "test password 123").await.expect("setup");
    (state, dir)
}

/// Helpers for tests: a real SQLite file in a temp dir, set up and unlocked.
#[cfg(test)]
pub mod testing {
    use super::{auth, clock::SystemClock, config::Config, secrets::KdfCosts, store, AppState};
    use std::sync::Arc;

    pub const PASSWORD: &str = "test password 123";

    /// A fresh instance, set up with `PASSWORD`, keys unlocked, with the cheap test KDF costs
    /// (the tests that are about the costs use `KdfCosts::PRODUCTION` themselves). Keep the
    /// TempDir alive.
    pub async fn state() -> (AppState, tempfile::TempDir) {
        state_with_clock(Arc::new(SystemClock)).await
    }

    /// The same, with a clock the test controls.
    pub async fn state_with_clock(clock: Arc<dyn super::clock::Clock>) -> (AppState, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("temp dir");
        let state = open(dir.path(), clock).await;
        auth::setup(&state, PASSWORD, PASSWORD).await.expect("setup");
        (state, dir)
    }

    /// Opens the instance in `dir` as a freshly started server would (no login).
    pub async fn open(dir: &std::path::Path, clock: Arc<dyn super::clock::Clock>) -> AppState {
        let db = store::connect(&store::sqlite_url(&dir.join("tracker-tracker.db"))).await.expect("db");
        let config = Config { kdf: KdfCosts::CHEAP, remote: super::config::RemoteSettings::QUICK, ..Config::for_data_dir(dir) };
        let state = AppState::new(db, config, clock);
        auth::unlock_at_startup(&state).await.expect("unlock");
        state
    }
}
