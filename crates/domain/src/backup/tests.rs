//! Export → restore round trips at the domain level, on real SQLite files.

use super::export::export;
use super::restore::{restore, RestoreRequest};
use super::stored::{self, StoredRestore};
use crate::testing::{state, PASSWORD};
use crate::{sample, AppState};
use tt_core::backup_format::plain::{self, Item};
use tt_core::backup_format::records::Record;
use tt_core::backup_format::{check, FormatError, Section};
use zeroize::Zeroizing;

async fn export_plain(s: &AppState) -> Vec<u8> {
    let mut out = Vec::new();
    export(s, None, s.now(), &mut out).await.expect("export");
    out
}

fn records(bytes: &[u8]) -> Vec<Record> {
    let mut v = Vec::new();
    plain::read(bytes, |item| {
        if let Item::Record(r) = item {
            v.push(r);
        }
        Ok(())
    })
    .expect("parse");
    v
}

fn req(file: &std::path::Path, current: &str) -> RestoreRequest {
    RestoreRequest {
        file: file.to_path_buf(),
        current_password: Zeroizing::new(current.into()),
        backup_password: None,
        source_password: None,
        totp: Default::default(),
        dry_run: false,
    }
}

#[tokio::test]
async fn plain_export_is_complete_and_holds_no_secret_or_transient_value() {
    let (s, _dir) = state().await;
    sample::fill(&s).await.unwrap();
    let bytes = export_plain(&s).await;
    let text = String::from_utf8(bytes.clone()).unwrap();
    for secret in sample::SECRETS.iter().chain(sample::TRANSIENT.iter()) {
        assert!(!text.contains(secret), "export contains {secret}");
    }
    assert!(!text.contains("argon2id$"), "no password hash");
    assert!(!text.contains("failed_login"), "no failed-login counter");
    assert!(!text.contains("totp_last_step") && !text.contains("last_polled_at") && !text.contains("cached_torrents"));
    // The header comes first and is readable from the start alone.
    let header = plain::sniff_header(&bytes[..600.min(bytes.len())]).unwrap().expect("header in the first bytes");
    assert_eq!(header.counts.tracker_snapshots, 60);
    assert_eq!(header.counts.trackers, 3);
    let checked = check::check_all(&bytes[..]).unwrap();
    assert_eq!(checked.counts, header.counts);
    // 64-bit byte counts are exact.
    assert!(text.contains(&sample::BIG_UPLOAD.to_string()));
    assert!(text.contains(&sample::HUGE_DOWNLOAD.to_string()));
}

#[tokio::test]
async fn same_instance_round_trip_restores_every_row() {
    let (s, dir) = state().await;
    sample::fill(&s).await.unwrap();
    let before = export_plain(&s).await;
    let file = dir.path().join("b.json");
    std::fs::write(&file, &before).unwrap();
    // Change the data.
    sqlx::query("DELETE FROM trackers WHERE id = 1").execute(&s.db).await.unwrap();
    sqlx::query("UPDATE tag_groups SET name = 'changed'").execute(&s.db).await.unwrap();
    let changed = export_plain(&s).await;
    let report = restore(&s, req(&file, PASSWORD)).await.unwrap();
    assert!(report.same_key);
    assert_eq!(report.secrets_cleared, 0);
    assert!(!report.totp_disabled);
    let after = export_plain(&s).await;
    assert_eq!(records(&before), records(&after));
    // Counters reset, a pre-restore backup exists.
    let (n,): (i64,) = sqlx::query_as("SELECT failed_login_attempts FROM instance").fetch_one(&s.db).await.unwrap();
    assert_eq!(n, 0);
    let pre = report.pre_restore_backup.expect("pre-restore backup");
    assert!(dir.path().join("backups").join(&pre.file_name).is_file());
    assert!(!pre.encrypted);
    // Transient state is gone (not restored).
    let (rt,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM tracker_runtime").fetch_one(&s.db).await.unwrap();
    assert_eq!(rt, 0);

    // Undo: restoring the pre-restore backup brings back the data as it was just before.
    let undo = StoredRestore {
        id: pre.id,
        current_password: Zeroizing::new(PASSWORD.into()),
        backup_password: None,
        source_password: None,
        totp: Default::default(),
        dry_run: false,
    };
    let undone = stored::restore_stored(&s, undo).await.unwrap();
    assert_eq!(records(&export_plain(&s).await), records(&changed));
    assert_ne!(undone.pre_restore_backup.map(|p| p.id), Some(pre.id), "the undo saved its own undo point");
}

#[tokio::test]
async fn dry_run_changes_nothing() {
    let (s, dir) = state().await;
    sample::fill(&s).await.unwrap();
    let bytes = export_plain(&s).await;
    let file = dir.path().join("b.json");
    std::fs::write(&file, &bytes).unwrap();
    sqlx::query("DELETE FROM trackers WHERE id = 2").execute(&s.db).await.unwrap();
    let mid = export_plain(&s).await;
    let mut r = req(&file, PASSWORD);
    r.dry_run = true;
    let report = restore(&s, r).await.unwrap();
    assert!(report.dry_run);
    assert_eq!(report.restored.iter().find(|c| c.section == "trackers").unwrap().count, 3);
    assert_eq!(records(&mid), records(&export_plain(&s).await));
}

#[tokio::test]
async fn a_snapshot_whose_tracker_is_missing_is_refused() {
    let (s, dir) = state().await;
    sample::fill(&s).await.unwrap();
    let text = String::from_utf8(export_plain(&s).await).unwrap();
    let bad = text.replacen("{\"id\":100,\"tracker_id\":1,", "{\"id\":100,\"tracker_id\":99,", 1);
    assert_ne!(bad, text);
    let file = dir.path().join("bad.json");
    std::fs::write(&file, bad).unwrap();
    let e = restore(&s, req(&file, PASSWORD)).await.unwrap_err();
    assert!(matches!(e, super::BackupError::Format(FormatError::Record { .. })), "{e}");
    assert!(e.to_string().contains("tracker 99"), "{e}");
    let _ = Section::Trackers;
}

#[tokio::test]
async fn a_storage_path_this_server_cannot_use_is_reported_before_restoring() {
    let (s, dir) = state().await;
    sample::fill(&s).await.unwrap();
    let dry_run_with_storage_path = |path: std::path::PathBuf| {
        let (s, dir) = (s.clone(), dir.path().to_path_buf());
        async move {
            sqlx::query("UPDATE app_settings SET backup_storage_path = $1, backup_schedule_enabled = 1")
                .bind(path.display().to_string())
                .execute(&s.db)
                .await
                .unwrap();
            let file = dir.join("b.json");
            std::fs::write(&file, export_plain(&s).await).unwrap();
            let mut r = req(&file, PASSWORD);
            r.dry_run = true;
            restore(&s, r).await.unwrap().warnings
        }
    };
    // Missing but creatable (its nearest existing parent is a writable directory): fine.
    let creatable = dir.path().join("new").join("deeper");
    assert_eq!(dry_run_with_storage_path(creatable.clone()).await, Vec::<String>::new());
    assert!(!dir.path().join("new").exists(), "the check creates nothing");

    // Under a regular file: it can never be created on this server.
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, b"not a directory").unwrap();
    let blocked = blocker.join("backups");
    let warnings = dry_run_with_storage_path(blocked.clone()).await;
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    let w = &warnings[0];
    assert!(w.contains(&blocked.display().to_string()) && w.contains("is not a directory"), "{w}");
    assert!(w.contains("Scheduled backups will fail until then."), "{w}");
}

#[tokio::test]
async fn a_restore_does_not_bring_back_used_two_factor_codes() {
    use crate::auth::{self, totp};
    let (s, dir) = state().await;
    sample::fill(&s).await.unwrap();
    let file = dir.path().join("b.json");
    std::fs::write(&file, export_plain(&s).await).unwrap();
    // After the backup was made: a backup code and the current TOTP code are used to log in.
    auth::login(&s, PASSWORD, Some("abcde-fghij")).await.unwrap();
    let code = totp::code_at(sample::SECRETS[7], s.now().timestamp() as u64).unwrap();
    auth::login(&s, PASSWORD, Some(&code)).await.unwrap();
    let last_step = || async { sqlx::query_as::<_, (Option<i64>,)>("SELECT totp_last_step FROM app_settings").fetch_one(&s.db).await.unwrap().0 };
    let step_before = last_step().await;

    let report = restore(&s, req(&file, PASSWORD)).await.unwrap();
    assert!(report.same_key && !report.totp_disabled);
    assert_eq!(last_step().await, step_before, "the last used step is kept");
    assert_eq!(totp::backup_codes_left(&s).await.unwrap(), 1, "the spent backup code is not brought back");
    assert!(auth::login(&s, PASSWORD, Some("abcde-fghij")).await.is_err());
    assert!(auth::login(&s, PASSWORD, Some(&code)).await.is_err(), "the TOTP code cannot be replayed");
    auth::login(&s, PASSWORD, Some(sample::SECRETS[8])).await.unwrap();

    // Codes replaced by "New backup codes" since the backup stay replaced: the new set is kept.
    let fresh = totp::regenerate_backup_codes(&s).await.unwrap();
    restore(&s, req(&file, PASSWORD)).await.unwrap();
    assert_eq!(totp::backup_codes_left(&s).await.unwrap(), fresh.len());
    assert!(auth::login(&s, PASSWORD, Some(sample::SECRETS[8])).await.is_err(), "an old code stays replaced");
    auth::login(&s, PASSWORD, Some(&fresh[0])).await.unwrap();
}

type TrackerDetails = (i64, String, bool, Option<i64>, Option<String>, bool, Option<String>, Option<String>);

async fn tracker_details(s: &AppState) -> Vec<TrackerDetails> {
    sqlx::query_as(
        "SELECT id, platform, use_proxy, remote_user_id, profile_url, count_cross_seed_unsatisfied, last_access_at, paused_at FROM trackers ORDER BY id",
    )
    .fetch_all(&s.db)
    .await
    .unwrap()
}

async fn share_scores(s: &AppState) -> Vec<(i64, Option<f64>, Option<i64>)> {
    sqlx::query_as("SELECT id, share_score, buffer_bytes FROM tracker_snapshots ORDER BY id").fetch_all(&s.db).await.unwrap()
}

#[tokio::test]
async fn tracker_details_share_scores_and_negative_buffers_round_trip() {
    let (s, dir) = state().await;
    sample::fill(&s).await.unwrap();
    let (trackers, snaps) = (tracker_details(&s).await, share_scores(&s).await);
    assert_eq!(
        trackers[1],
        (
            2,
            "gazelle".into(),
            false,
            Some(4242),
            Some("https://blutopia.cc/users/me".into()),
            true,
            Some("2024-12-31".into()),
            Some("2024-10-27T00:00:00.000Z".into())
        )
    );
    assert!(snaps.iter().any(|r| r.1.is_some()) && snaps.iter().any(|r| r.2.is_some_and(|b| b < 0)));
    let file = dir.path().join("b.json");
    std::fs::write(&file, export_plain(&s).await).unwrap();
    // Everything changed after the backup…
    sqlx::query("UPDATE trackers SET use_proxy = 1 - use_proxy, remote_user_id = 1, profile_url = NULL, count_cross_seed_unsatisfied = 0, last_access_at = NULL, paused_at = NULL")
        .execute(&s.db)
        .await
        .unwrap();
    sqlx::query("UPDATE tracker_snapshots SET share_score = 7.5, buffer_bytes = 0").execute(&s.db).await.unwrap();
    // …comes back as it was, column for column.
    restore(&s, req(&file, PASSWORD)).await.unwrap();
    assert_eq!(tracker_details(&s).await, trackers);
    assert_eq!(share_scores(&s).await, snaps);
}

/// The sample exported as this app wrote backups before trackers had their details and
/// snapshots their share score: the same records without those members.
fn without_new_fields(text: &str) -> String {
    const NEW: [&str; 7] =
        ["use_proxy", "remote_user_id", "profile_url", "count_cross_seed_unsatisfied", "last_access_at", "paused_at", "share_score"];
    let mut removed = 0;
    let out: Vec<String> = text
        .split('\n')
        .map(|line| {
            let (body, comma) = match line.strip_suffix(',') {
                Some(b) => (b, ","),
                None => (line, ""),
            };
            if !body.starts_with("{\"id\":") {
                return line.to_string();
            }
            let mut v: serde_json::Map<String, serde_json::Value> = serde_json::from_str(body).unwrap();
            for k in NEW {
                removed += usize::from(v.remove(k).is_some());
            }
            format!("{}{comma}", serde_json::to_string(&v).unwrap())
        })
        .collect();
    assert_eq!(removed, 3 * 6 + 60, "every new member of every tracker and snapshot was taken out");
    out.join("\n")
}

#[tokio::test]
async fn a_backup_from_before_tracker_details_restores_with_their_defaults() {
    let (s, dir) = state().await;
    sample::fill(&s).await.unwrap();
    let old = without_new_fields(&String::from_utf8(export_plain(&s).await).unwrap());
    let file = dir.path().join("old.json");
    std::fs::write(&file, old).unwrap();
    let report = restore(&s, req(&file, PASSWORD)).await.unwrap();
    assert_eq!(report.restored.iter().find(|c| c.section == "trackers").unwrap().count, 3);
    // The proxy is used (as every tracker did then), nothing else set, no tracker paused.
    for (id, _, use_proxy, remote, profile, cross_seed, last_access, paused) in tracker_details(&s).await {
        assert_eq!((use_proxy, remote, profile, cross_seed, last_access, paused), (true, None, None, false, None, None), "tracker {id}");
    }
    let snaps = share_scores(&s).await;
    assert_eq!(snaps.len(), 60);
    assert!(snaps.iter().all(|r| r.1.is_none()));
}
