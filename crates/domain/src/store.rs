//! The database: connection options, migrations, and the handful of helpers every entity uses.

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::str::FromStr;
use std::time::Duration;

pub type Db = SqlitePool;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("could not open the database at {url}: {source}")]
    Open { url: String, source: sqlx::Error },
    #[error("could not update the database schema: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Opens (creating if needed) the SQLite database with WAL and foreign keys on, then migrates it.
pub async fn connect(url: &str) -> Result<Db, StoreError> {
    let opts = SqliteConnectOptions::from_str(url)
        .map_err(|source| StoreError::Open { url: url.to_string(), source })?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(30));
    let pool =
        SqlitePoolOptions::new().max_connections(8).connect_with(opts).await.map_err(|source| StoreError::Open { url: url.to_string(), source })?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}

/// SQLite URL for a file path.
pub fn sqlite_url(path: &std::path::Path) -> String {
    format!("sqlite://{}", path.display())
}
