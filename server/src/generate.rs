//! `tracker-tracker generate`: fills an instance with realistic data of a chosen size — trackers
//! with hourly snapshots over years, download clients with 5-minute snapshots, tag groups,
//! notification targets, all secrets sealed — for trying the app and for benchmarks.
//! Bulk inserts: multi-row statements inside one transaction.

use app::domain::secrets::purpose;
use app::domain::time::to_db;
use app::domain::{auth, clock::SystemClock, store, AppState};
use chrono::{Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::{QueryBuilder, Sqlite};
use std::sync::Arc;
use std::time::Instant;

#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// Number of trackers.
    #[arg(long, default_value_t = 40)]
    pub trackers: u32,
    /// Years of hourly snapshots per tracker (40 trackers × 3 years ≈ 1.05 million rows).
    #[arg(long, default_value_t = 3.0)]
    pub years: f64,
    /// Number of download clients.
    #[arg(long, default_value_t = 3)]
    pub clients: u32,
    /// Days of 5-minute client snapshots per client.
    #[arg(long, default_value_t = 30)]
    pub client_days: u32,
    /// Login password used when the instance is not set up yet.
    #[arg(long, default_value = "generated password 1")]
    pub password: String,
    /// Seed of the random generator (same seed, same data).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

pub type Options = Args;

/// Rows written per table, and the time taken.
#[derive(Debug, Default)]
pub struct Report {
    pub rows: Vec<(&'static str, u64)>,
    pub seconds: f64,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (t, n) in &self.rows {
            writeln!(f, "  {t:<24} {n:>10}")?;
        }
        write!(f, "  generated in {:.1} s", self.seconds)
    }
}

const ROWS_PER_INSERT: usize = 1000;
const PLATFORMS: [&str; 6] = ["unit3d", "gazelle", "ggn", "nebulance", "mam", "avistaz"];
const NAMES: [&str; 12] =
    ["Aither", "Blutopia", "Orpheus", "Redacted", "GazelleGames", "Nebulance", "MyAnonamouse", "AvistaZ", "Cinemaz", "PrivateHD", "Anthelion", "LST"];

pub async fn run(args: Args) -> Result<(), String> {
    let settings = crate::config::Settings::from_env().map_err(|e| e.to_string())?;
    std::fs::create_dir_all(&settings.app.data_dir).map_err(|e| format!("cannot create {}: {e}", settings.app.data_dir.display()))?;
    let db = store::connect(&settings.database_url).await.map_err(|e| e.to_string())?;
    let state = AppState::new(db, settings.app.clone(), Arc::new(SystemClock));
    if auth::is_set_up(&state).await.map_err(|e| e.to_string())? {
        if !auth::unlock_at_startup(&state).await.map_err(|e| e.to_string())? {
            return Err("the encryption keys are locked (server.key missing or different): log in once, then run generate again".into());
        }
    } else {
        auth::setup(&state, &args.password, &args.password).await.map_err(|e| e.to_string())?;
        println!("Set up a new instance; log in with the password given by --password.");
    }
    let report = generate(&state, &args).await?;
    println!("Generated into {}:\n{report}", settings.database_url);
    Ok(())
}

/// Adds the generated data to an instance that is set up and unlocked.
pub async fn generate(state: &AppState, o: &Options) -> Result<Report, String> {
    let start = Instant::now();
    let mut rng = StdRng::seed_from_u64(o.seed);
    let now = Utc::now();
    let now_text = to_db(now);
    let seal = |p: &str, v: &str| state.keys.seal(p, v).map_err(|e| e.to_string());
    let db_err = |e: sqlx::Error| e.to_string();
    let mut report = Report::default();
    let mut tx = state.db.begin().await.map_err(db_err)?;

    // Trackers and their history.
    let hours = (o.years * 365.0 * 24.0) as i64;
    let first = now - Duration::hours(hours);
    let mut tracker_ids = Vec::new();
    let mut snapshots = 0u64;
    let mut roles = 0u64;
    for i in 0..o.trackers {
        let name = format!("{} {}", NAMES[i as usize % NAMES.len()], i + 1);
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO trackers (name, base_url, platform, api_path, api_token_enc, color, client_tag, is_active, is_favorite, sort_order,
                joined_at, created_at, updated_at) VALUES ($1, $2, $3, '/api/user', $4, $5, $6, 1, $7, $8, $9, $10, $10) RETURNING id",
        )
        .bind(&name)
        .bind(format!("https://tracker{}.example", i + 1))
        .bind(PLATFORMS[i as usize % PLATFORMS.len()])
        .bind(seal(purpose::TRACKER_API_TOKEN, &format!("generated-token-{i}-{}", rng.gen::<u64>()))?)
        .bind(format!("#{:06x}", rng.gen_range(0..0xffffffu32)))
        .bind(format!("tag{}", i + 1))
        .bind(i % 7 == 0)
        .bind(i as i64)
        .bind(first.date_naive().to_string())
        .bind(&now_text)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        tracker_ids.push(id);

        for (k, role) in ["User", "Power User", "Elite"].iter().enumerate() {
            sqlx::query("INSERT INTO tracker_roles (tracker_id, role_name, achieved_at, notes) VALUES ($1, $2, $3, NULL)")
                .bind(id)
                .bind(*role)
                .bind(to_db(first + Duration::days(120 * k as i64)))
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            roles += 1;
        }

        let (mut up, mut down, mut bonus) = (rng.gen_range(0..1i64 << 40), rng.gen_range(0..1i64 << 38), 0.0f64);
        let mut seeding: i64 = rng.gen_range(10..500);
        let mut h = 0i64;
        while h < hours {
            let n = ROWS_PER_INSERT.min((hours - h) as usize);
            let mut rows = Vec::with_capacity(n);
            for k in 0..n {
                up += rng.gen_range(0..5i64 << 30);
                down += rng.gen_range(0..1i64 << 30);
                bonus += rng.gen_range(0.0..12.0);
                seeding = (seeding + rng.gen_range(-2..=2)).max(0);
                rows.push((to_db(first + Duration::hours(h + k as i64)), up, down, bonus, seeding));
            }
            let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT INTO tracker_snapshots (tracker_id, polled_at, uploaded_bytes, downloaded_bytes, ratio, buffer_bytes, seeding_count,
                    leeching_count, seed_bonus, hit_and_runs, required_ratio, warned, freeleech_tokens, username, group_name, is_manual) ",
            );
            qb.push_values(rows, |mut b, (at, up, down, bonus, seeding)| {
                b.push_bind(id)
                    .push_bind(at)
                    .push_bind(up)
                    .push_bind(down)
                    .push_bind(if down > 0 { Some(up as f64 / down as f64) } else { None })
                    .push_bind(up - down)
                    .push_bind(seeding)
                    .push_bind(0i64)
                    .push_bind(bonus)
                    .push_bind(0i64)
                    .push_bind(0.6f64)
                    .push_bind(false)
                    .push_bind(3i64)
                    .push_bind("generated")
                    .push_bind("Power User")
                    .push_bind(false);
            });
            qb.build().execute(&mut *tx).await.map_err(db_err)?;
            snapshots += n as u64;
            h += n as i64;
        }
    }

    // Download clients, 5-minute snapshots and hourly uptime buckets.
    let mut client_snaps = 0u64;
    let mut buckets = 0u64;
    for i in 0..o.clients {
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO download_clients (name, client_type, host, port, use_tls, username_enc, password_enc, poll_interval_seconds,
                is_default, cross_seed_tags, enabled, created_at, updated_at)
             VALUES ($1, $2, $3, $4, 0, $5, $6, 300, $7, '[\"cross-seed\"]', 1, $8, $8) RETURNING id",
        )
        .bind(format!("Client {}", i + 1))
        .bind(["qbittorrent", "transmission", "deluge"][i as usize % 3])
        .bind(format!("10.0.0.{}", i + 10))
        .bind(8080 + i as i64)
        .bind(seal(purpose::CLIENT_USERNAME, "admin")?)
        .bind(seal(purpose::CLIENT_PASSWORD, &format!("client-pass-{}", rng.gen::<u32>()))?)
        .bind(i == 0)
        .bind(&now_text)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        let steps = o.client_days as i64 * 24 * 12;
        let start_at = now - Duration::minutes(5 * steps);
        let mut s = 0i64;
        while s < steps {
            let n = ROWS_PER_INSERT.min((steps - s) as usize);
            let mut qb: QueryBuilder<Sqlite> = QueryBuilder::new(
                "INSERT INTO client_snapshots (client_id, polled_at, seeding_count, leeching_count, upload_speed_bps, download_speed_bps, tag_stats) ",
            );
            let rows: Vec<_> = (0..n)
                .map(|k| {
                    let seed = rng.gen_range(200..2000i64);
                    let tags = format!(
                        "[{{\"tag\":\"tag1\",\"seeding\":{},\"leeching\":0,\"uploaded_bytes\":{},\"size_bytes\":{}}}]",
                        seed / 2,
                        rng.gen_range(0..1i64 << 40),
                        rng.gen_range(0..1i64 << 42)
                    );
                    (
                        to_db(start_at + Duration::minutes(5 * (s + k as i64))),
                        seed,
                        rng.gen_range(0..5i64),
                        rng.gen_range(0..50_000_000i64),
                        rng.gen_range(0..5_000_000i64),
                        tags,
                    )
                })
                .collect();
            qb.push_values(rows, |mut b, (at, seed, leech, upb, downb, tags)| {
                b.push_bind(id).push_bind(at).push_bind(seed).push_bind(leech).push_bind(upb).push_bind(downb).push_bind(tags);
            });
            qb.build().execute(&mut *tx).await.map_err(db_err)?;
            client_snaps += n as u64;
            s += n as i64;
        }
        let hours = o.client_days as i64 * 24;
        let mut hb = 0i64;
        while hb < hours {
            let n = ROWS_PER_INSERT.min((hours - hb) as usize);
            let mut qb: QueryBuilder<Sqlite> =
                QueryBuilder::new("INSERT INTO client_uptime_buckets (client_id, bucket_start, checks_total, checks_ok) ");
            let rows: Vec<_> = (0..n).map(|k| (to_db(start_at + Duration::hours(hb + k as i64)), 12i64, 12 - rng.gen_range(0..2i64))).collect();
            qb.push_values(rows, |mut b, (at, total, ok)| {
                b.push_bind(id).push_bind(at).push_bind(total).push_bind(ok);
            });
            qb.build().execute(&mut *tx).await.map_err(db_err)?;
            buckets += n as u64;
            hb += n as i64;
        }
    }

    // Tag groups, notification targets, dismissed alerts.
    let mut members = 0u64;
    for (g, name) in ["Trackers", "Media", "Seedbox"].iter().enumerate() {
        let (gid,): (i64,) = sqlx::query_as(
            "INSERT INTO tag_groups (name, emoji, chart_type, description, sort_order, count_unmatched) VALUES ($1, NULL, $2, NULL, $3, 0) RETURNING id",
        )
        .bind(*name)
        .bind(["bar", "pie", "line"][g])
        .bind(g as i64)
        .fetch_one(&mut *tx)
        .await
        .map_err(db_err)?;
        for m in 0..4 {
            sqlx::query("INSERT INTO tag_group_members (group_id, tag, label, color, sort_order) VALUES ($1, $2, $3, $4, $5)")
                .bind(gid)
                .bind(format!("{}-{m}", name.to_lowercase()))
                .bind(format!("{name} {m}"))
                .bind(format!("#{:06x}", rng.gen_range(0..0xffffffu32)))
                .bind(m)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
            members += 1;
        }
    }
    for (i, (kind, config)) in [
        ("discord", "{\"url\":\"https://discord.example/api/webhooks/1/generated\"}"),
        ("webhook", "{\"url\":\"https://hooks.example/generated\"}"),
        ("ntfy", "{\"url\":\"https://ntfy.example\",\"topic\":\"tracker-tracker\"}"),
    ]
    .iter()
    .enumerate()
    {
        sqlx::query(
            "INSERT INTO notification_targets (name, target_type, enabled, config_enc, events, thresholds, tracker_ids, created_at, updated_at)
             VALUES ($1, $2, 1, $3, '[\"ratio_drop\",\"backup_failed\"]', '{\"ratio_drop\":0.1,\"ratio_danger\":1.0,\"buffer_milestone_gib\":100}', NULL, $4, $4)",
        )
        .bind(format!("Target {}", i + 1))
        .bind(*kind)
        .bind(seal(purpose::NOTIFICATION_CONFIG, config)?)
        .bind(&now_text)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    }
    for k in 0..5 {
        sqlx::query("INSERT INTO dismissed_alerts (alert_key, dismissed_at) VALUES ($1, $2)")
            .bind(format!("generated-alert-{}-{k}", rng.gen::<u32>()))
            .bind(&now_text)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
    }
    tx.commit().await.map_err(db_err)?;
    report.rows = vec![
        ("trackers", o.trackers as u64),
        ("tracker_roles", roles),
        ("tracker_snapshots", snapshots),
        ("download_clients", o.clients as u64),
        ("client_snapshots", client_snaps),
        ("client_uptime_buckets", buckets),
        ("tag_groups", 3),
        ("tag_group_members", members),
        ("notification_targets", 3),
        ("dismissed_alerts", 5),
    ];
    report.seconds = start.elapsed().as_secs_f64();
    Ok(report)
}
