//! Integration-test harness: the real router on a random port, with a real SQLite file in a
//! temporary data dir, and an HTTP client that keeps cookies like a browser.
#![allow(dead_code)]

use app::domain::config::Config;
use app::domain::secrets::KdfCosts;
use app::domain::AppState;
use leptos::prelude::LeptosOptions;
use serde::de::DeserializeOwned;
use serde_json::Value;
use server::config::Settings;
use std::path::{Path, PathBuf};

pub mod smtp;

pub const PASSWORD: &str = "correct horse battery";

pub struct TestServer {
    pub url: String,
    pub state: AppState,
    pub data_dir: PathBuf,
    pub client: reqwest::Client,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Debug)]
pub struct CallError {
    pub status: u16,
    pub kind: String,
    pub message: String,
    /// The form field the error is about, when there is one.
    pub field: Option<String>,
}

/// The key-derivation costs of test servers: the cheapest the readers accept, so that the many
/// instances the tests make do not each pay production Argon2id. `start_production` and the
/// spawned binary (restore_crash, cli) use the production costs.
pub const COSTS: KdfCosts = KdfCosts::CHEAP;

pub fn settings_for(data_dir: &Path) -> Settings {
    let mut app = Config::for_data_dir(data_dir);
    app.base_url = Some("https://tt.example".into());
    app.kdf = COSTS;
    // Backup locations: short pauses between upload attempts (tests stop servers on purpose).
    app.remote = app::domain::config::RemoteSettings::QUICK;
    Settings { database_url: app::domain::store::sqlite_url(&data_dir.join("tracker-tracker.db")), app }
}

impl TestServer {
    /// Starts a server on a fresh data dir.
    pub async fn start(dir: &tempfile::TempDir) -> TestServer {
        Self::start_with(settings_for(dir.path())).await
    }

    /// Starts a server on a fresh data dir with the production key-derivation costs.
    pub async fn start_production(dir: &tempfile::TempDir) -> TestServer {
        let mut settings = settings_for(dir.path());
        settings.app.kdf = KdfCosts::PRODUCTION;
        Self::start_with(settings).await
    }

    /// Starts a server on an existing data dir (a "restart").
    pub async fn start_with(settings: Settings) -> TestServer {
        Self::start_with_options(settings, LeptosOptions::builder().output_name("tracker-tracker").build()).await
    }

    /// Starts a server whose static files (`/pkg`) come from `site_root/pkg`.
    pub async fn start_with_site(dir: &tempfile::TempDir, site_root: &Path) -> TestServer {
        let options = LeptosOptions::builder().output_name("tracker-tracker").site_root(site_root.display().to_string()).build();
        Self::start_with_options(settings_for(dir.path()), options).await
    }

    pub async fn start_with_options(settings: Settings, options: LeptosOptions) -> TestServer {
        let (state, router) = server::web::build(&settings, options).await.expect("server builds");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router.into_make_service()).await;
        });
        let client = reqwest::Client::builder().cookie_store(true).build().expect("client");
        TestServer { url: format!("http://{addr}"), state, data_dir: settings.app.data_dir.clone(), client, task }
    }

    /// Calls a JSON server function; Ok(value) or the decoded AppError with the HTTP status.
    pub async fn call<T: DeserializeOwned>(&self, endpoint: &str, body: Value) -> Result<T, CallError> {
        let res = self
            .client
            .post(format!("{}/api/{endpoint}", self.url))
            .header("Accept", "application/json")
            .json(&body)
            .send()
            .await
            .expect("request sent");
        Self::decode(res).await
    }

    pub async fn get<T: DeserializeOwned>(&self, endpoint: &str) -> Result<T, CallError> {
        let res = self.client.get(format!("{}/api/{endpoint}", self.url)).send().await.expect("request sent");
        Self::decode(res).await
    }

    pub async fn decode<T: DeserializeOwned>(res: reqwest::Response) -> Result<T, CallError> {
        let status = res.status().as_u16();
        let text = res.text().await.expect("body");
        if status >= 400 {
            let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            return Err(CallError {
                status,
                kind: v["kind"].as_str().unwrap_or("").to_string(),
                message: v["message"].as_str().unwrap_or(&text).to_string(),
                field: v["field"].as_str().map(str::to_string),
            });
        }
        Ok(serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad JSON {text:?}: {e}")))
    }

    pub async fn setup(&self, password: &str) {
        let _: () = self.call("auth/setup", serde_json::json!({ "password": password, "confirm": password })).await.expect("setup");
    }

    pub async fn login(&self, password: &str, code: Option<&str>) -> Result<(), CallError> {
        self.call("auth/login", serde_json::json!({ "password": password, "code": code })).await
    }

    /// Sets the backups' storage path (schedule off, no encryption), as Settings → Backups does.
    pub async fn set_storage_path(&self, dir: &Path) {
        let _: Value = self
            .call(
                "backup/settings",
                serde_json::json!({"input": {"settings": {"schedule_enabled": false, "frequency": "daily", "retention_count": 14,
                "encrypt": false, "storage_path": dir.display().to_string()}, "backup_password": {"value": null, "clear": false}}}),
            )
            .await
            .expect("the storage path is saved");
    }

    /// A new client without cookies (another browser).
    pub fn fresh_client(&mut self) {
        self.client = reqwest::Client::builder().cookie_store(true).build().expect("client");
    }
}

/// Opens the database file directly, bypassing the app, to read raw columns.
pub async fn raw_db(data_dir: &Path) -> sqlx::SqlitePool {
    sqlx::SqlitePool::connect(&format!("sqlite://{}", data_dir.join("tracker-tracker.db").display())).await.expect("raw db")
}

/// A digest of every table (all rows, all columns), to prove a refused call changed nothing.
pub async fn digest(data_dir: &Path, except: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let db = raw_db(data_dir).await;
    let tables: Vec<(String,)> = sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").fetch_all(&db).await.unwrap();
    let mut h = Sha256::new();
    for (t,) in tables {
        if except.contains(&t.as_str()) {
            continue;
        }
        let cols: Vec<(String,)> = sqlx::query_as(&format!("SELECT name FROM pragma_table_info('{t}') ORDER BY cid")).fetch_all(&db).await.unwrap();
        let expr = cols.iter().map(|(c,)| format!("quote(\"{c}\")")).collect::<Vec<_>>().join(" || ',' || ");
        let rows: Vec<(Option<String>,)> = sqlx::query_as(&format!("SELECT {expr} FROM \"{t}\" ORDER BY rowid")).fetch_all(&db).await.unwrap();
        h.update(t.as_bytes());
        for (r,) in rows {
            h.update(r.unwrap_or_default().as_bytes());
            h.update(b"\n");
        }
    }
    db.close().await;
    hex::encode(h.finalize())
}
