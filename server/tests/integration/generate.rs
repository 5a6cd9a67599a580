//! The generator fills a real instance; its data exports and checks as a valid backup.

use server::generate::{generate, Options};

#[tokio::test]
async fn generates_a_small_instance_that_backs_up_cleanly() {
    let (state, _dir) = app::domain::testing_state().await;
    let o = Options { trackers: 3, years: 0.05, clients: 2, client_days: 1, password: String::new(), seed: 7 };
    let report = generate(&state, &o).await.unwrap();
    let count = |t: &str| {
        let t = t.to_string();
        let db = state.db.clone();
        async move {
            let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {t}")).fetch_one(&db).await.unwrap();
            n as u64
        }
    };
    for (table, n) in &report.rows {
        assert_eq!(count(table).await, *n, "{table}");
    }
    assert_eq!(count("tracker_snapshots").await, 3 * (0.05f64 * 365.0 * 24.0) as u64);
    assert_eq!(count("client_snapshots").await, 2 * 288);
    let (raw,): (String,) = sqlx::query_as("SELECT api_token_enc FROM trackers LIMIT 1").fetch_one(&state.db).await.unwrap();
    assert!(raw.starts_with("tt1:"));
    let mut out = Vec::new();
    app::domain::backup::export::export(&state, None, chrono::Utc::now(), &mut out).await.unwrap();
    let checked = app::backup_format::check::check_all(&out[..]).unwrap();
    assert_eq!(checked.counts.tracker_snapshots, count("tracker_snapshots").await);
}
