//! What can go wrong when setting up, logging in or checking a session.

use crate::secrets::SecretError;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("Tracker Tracker is already set up. Log in instead.")]
    AlreadySetUp,
    #[error("Tracker Tracker is not set up yet. Choose a password first.")]
    NotSetUp,
    #[error("{0}")]
    BadNewPassword(String),
    #[error("Incorrect password or code.")]
    WrongCredentials,
    #[error("Too many failed attempts. Logging in is locked until {until} (about {minutes} minute(s)).")]
    Locked { until: String, minutes: i64 },
    #[error("You are not logged in, or your session has expired. Log in again.")]
    Unauthenticated,
    #[error("{0}")]
    Totp(String),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("internal error: {0}")]
    Internal(String),
}
