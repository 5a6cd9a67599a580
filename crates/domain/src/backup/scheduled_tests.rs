//! Whole scheduled runs with an injected clock: writing, restoring what was written after a
//! restart with nobody logged in, missed runs, retention, failures, verification.

use super::disk::{Disk, Space};
use super::scheduler::{tick, Tick};
use super::{history, restore, run, settings as backup_settings, stored};
use crate::clock::ManualClock;
use crate::testing::{self, PASSWORD};
use crate::{sample, AppState};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Europe::Berlin;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tt_core::model::backup::BackupSettingsInput;
use tt_core::model::settings::BackupSettings;
use tt_core::model::SecretUpdate;
use zeroize::Zeroizing;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

async fn schedule(state: &AppState, dir: &Path, retention: i64, password: Option<&str>) {
    let input = BackupSettingsInput {
        settings: BackupSettings {
            schedule_enabled: true,
            frequency: tt_core::model::settings::Frequency::Daily,
            retention_count: retention,
            encrypt: password.is_some(),
            storage_path: Some(dir.display().to_string()),
            calendar: None,
        },
        backup_password: password.map(SecretUpdate::set).unwrap_or_default(),
    };
    backup_settings::save(state, &input).await.unwrap();
}

fn backups_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir).unwrap().flatten().map(|e| e.file_name().to_string_lossy().to_string()).collect();
    v.sort();
    v
}

async fn run(state: &AppState) -> Result<super::run::Written, String> {
    match tick(state, &Berlin).await.unwrap() {
        Tick::Ran(r) => *r,
        Tick::Idle(next) => panic!("nothing ran (next: {next:?})"),
    }
}

async fn setup() -> (AppState, ManualClock, tempfile::TempDir, PathBuf) {
    let clock = ManualClock::new(utc("2026-03-10T12:00:00Z"));
    let (state, dir) = testing::state_with_clock(Arc::new(clock.clone())).await;
    sample::fill(&state).await.unwrap();
    let store = dir.path().join("store");
    (state, clock, dir, store)
}

#[tokio::test]
async fn a_scheduled_run_after_a_restart_writes_a_backup_that_restores() {
    let (state, clock, dir, store) = setup().await;
    schedule(&state, &store, 14, None).await;
    assert!(matches!(tick(&state, &Berlin).await.unwrap(), Tick::Idle(Some(_))), "nothing is due right after turning it on");
    state.db.close().await;

    // Restart: nobody logs in; the server key unlocks the keys.
    let state = testing::open(dir.path(), Arc::new(clock.clone())).await;
    clock.set(utc("2026-03-11T02:00:30Z")); // 03:00:30 in Berlin
    let written = run(&state).await.unwrap();
    assert_eq!(backups_in(&store), vec![written.file_name.clone()]);
    assert!(written.file_name.ends_with(".json"));
    let rows = history::list(&state).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].trigger.as_str(), rows[0].status.as_str()), ("scheduled", "completed"));
    assert_eq!(rows[0].sha256.as_deref(), Some(written.sha256.as_str()));
    assert_eq!(rows[0].size_bytes, Some(written.size as i64));
    // Not again in the same slot.
    assert!(matches!(tick(&state, &Berlin).await.unwrap(), Tick::Idle(_)));

    // The file restores into a fresh instance.
    let (fresh, _d2) = testing::state().await;
    let report = restore::restore(
        &fresh,
        restore::RestoreRequest {
            file: written.path.clone(),
            current_password: Zeroizing::new(PASSWORD.into()),
            backup_password: None,
            source_password: None,
            totp: Default::default(),
            dry_run: false,
        },
    )
    .await
    .unwrap();
    assert_eq!(report.secrets_cleared, 0);
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM tracker_snapshots").fetch_one(&fresh.db).await.unwrap();
    assert_eq!(n, 60);
}

#[tokio::test]
async fn stored_backups_stay_usable_after_the_storage_path_changes() {
    let (state, clock, dir, store_a) = setup().await;
    let store_b = dir.path().join("store-b");
    schedule(&state, &store_a, 14, None).await;
    clock.set(utc("2026-03-11T02:30:00Z"));
    let in_a = run(&state).await.unwrap(); // its settings name store A
    schedule(&state, &store_b, 14, None).await;
    let current_password = || Zeroizing::new(PASSWORD.to_string());

    // Written before the path changed: still verified, downloaded and restored from where it is.
    let v = stored::verify(&state, in_a.history_id, None).await.unwrap();
    assert!(v.ok, "{}", v.message);
    assert_eq!(stored::file_of(&state, in_a.history_id).await.unwrap().0, in_a.path.canonicalize().unwrap());
    let req = |id| stored::StoredRestore {
        id,
        current_password: current_password(),
        backup_password: None,
        source_password: None,
        totp: Default::default(),
        dry_run: false,
    };
    let report = stored::restore_stored(&state, req(in_a.history_id)).await.unwrap();
    let settings = crate::settings::load(&state.db).await.unwrap();
    assert_eq!(settings.backup_storage_path.as_deref(), Some(store_a.to_str().unwrap()), "the backup's settings came back");

    // The undo point was written to store B, which the restored settings no longer name: it
    // must still restore, or the restore could not be undone.
    let pre = report.pre_restore_backup.expect("pre-restore backup");
    assert!(store_b.join(&pre.file_name).is_file());
    stored::restore_stored(&state, req(pre.id)).await.unwrap();
    let settings = crate::settings::load(&state.db).await.unwrap();
    assert_eq!(settings.backup_storage_path.as_deref(), Some(store_b.to_str().unwrap()), "undone");

    // Deleting a backup outside the current storage directory removes its row, not its file.
    let message = stored::delete(&state, in_a.history_id).await.unwrap();
    assert!(message.contains("stays in"), "{message}");
    assert!(in_a.path.is_file());
    assert!(history::list(&state).await.unwrap().iter().all(|r| r.id != in_a.history_id));
    // Inside it, both go.
    let message = stored::delete(&state, pre.id).await.unwrap();
    assert_eq!(message, format!("Deleted {}.", pre.file_name));
    assert!(!store_b.join(&pre.file_name).exists());
}

#[tokio::test]
async fn missed_runs_run_once_after_start_up() {
    let (state, clock, _dir, store) = setup().await;
    schedule(&state, &store, 14, None).await;
    // The server was down for four days.
    clock.set(utc("2026-03-15T09:00:00Z"));
    run(&state).await.unwrap();
    assert!(matches!(tick(&state, &Berlin).await.unwrap(), Tick::Idle(_)), "one catch-up run, no pile-up");
    assert_eq!(backups_in(&store).len(), 1);
}

#[tokio::test]
async fn retention_keeps_the_newest_and_leaves_foreign_files_alone() {
    let (state, clock, dir, store) = setup().await;
    schedule(&state, &store, 3, None).await;
    // Things the app did not write, planted in the directory.
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("precious.json"), b"keep me").unwrap();
    std::fs::write(store.join("notes.txt"), b"mine").unwrap();
    std::os::unix::fs::symlink(outside.join("precious.json"), store.join("tracker-tracker-backup-20200101T000000Z.json")).unwrap();
    // A history row that points elsewhere.
    std::fs::write(outside.join("tracker-tracker-backup-20200102T000000Z.json"), b"{}").unwrap();
    sqlx::query(
        "INSERT INTO backup_history (created_at, trigger_kind, file_name, directory, size_bytes, encrypted, sha256, status)
         VALUES ('2020-01-02T00:00:00Z', 'scheduled', 'tracker-tracker-backup-20200102T000000Z.json', $1, 2, 0, 'x', 'completed')",
    )
    .bind(outside.display().to_string())
    .execute(&state.db)
    .await
    .unwrap();

    let mut written = Vec::new();
    for day in 11..=15 {
        clock.set(utc(&format!("2026-03-{day}T02:30:00Z")));
        written.push(run(&state).await.unwrap().file_name);
    }
    let mut expected: Vec<String> = written[2..].to_vec();
    expected.push("notes.txt".into());
    expected.push("tracker-tracker-backup-20200101T000000Z.json".into());
    expected.sort();
    assert_eq!(backups_in(&store), expected);
    let completed: Vec<String> = history::list(&state)
        .await
        .unwrap()
        .into_iter()
        .filter(|h| h.status.as_str() == "completed" && h.trigger.as_str() == "scheduled")
        .filter_map(|h| h.file_name)
        .collect();
    assert_eq!(completed.len(), 4, "3 newest + the row pointing elsewhere");
    assert!(completed.contains(&"tracker-tracker-backup-20200102T000000Z.json".to_string()));
    assert!(outside.join("precious.json").exists() && outside.join("tracker-tracker-backup-20200102T000000Z.json").exists());
}

/// A disk that fills up after a few bytes, or reports almost no free space.
struct FullDisk {
    free: u64,
    fail_after: Option<usize>,
}

struct FailingWriter {
    inner: tokio::fs::File,
    left: usize,
}

impl tokio::io::AsyncWrite for FailingWriter {
    fn poll_write(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>, buf: &[u8]) -> std::task::Poll<std::io::Result<usize>> {
        if self.left == 0 {
            return std::task::Poll::Ready(Err(std::io::Error::new(std::io::ErrorKind::StorageFull, "No space left on device")));
        }
        let n = buf.len().min(self.left);
        let this = &mut *self;
        match std::pin::Pin::new(&mut this.inner).poll_write(cx, &buf[..n]) {
            std::task::Poll::Ready(Ok(k)) => {
                this.left -= k;
                std::task::Poll::Ready(Ok(k))
            }
            other => other,
        }
    }
    fn poll_flush(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl Disk for FullDisk {
    fn space(&self, _dir: &Path) -> std::io::Result<Space> {
        Ok(Space { available: self.free, total: 100 << 30 })
    }
    fn writer(&self, file: tokio::fs::File) -> Box<dyn tokio::io::AsyncWrite + Send + Unpin> {
        match self.fail_after {
            Some(left) => Box::new(FailingWriter { inner: file, left }),
            None => Box::new(file),
        }
    }
}

async fn failing_run(state: &AppState, clock: &ManualClock, day: u32) -> String {
    clock.set(utc(&format!("2026-03-{day}T02:30:00Z")));
    run(state).await.unwrap_err()
}

#[tokio::test]
async fn failures_are_recorded_leave_no_partial_file_and_keep_older_backups() {
    let (mut state, clock, dir, store) = setup().await;
    schedule(&state, &store, 1, None).await;
    clock.set(utc("2026-03-11T02:30:00Z"));
    let good = run(&state).await.unwrap().file_name;

    // 1. The disk fills up while writing.
    state.disk = Arc::new(FullDisk { free: 500 << 30, fail_after: Some(10_000) });
    let reason = failing_run(&state, &clock, 12).await;
    assert!(reason.contains("is full"), "{reason}");
    assert_eq!(backups_in(&store), vec![good.clone()], "no partial file, the older backup kept");

    // 2. Not enough free space: refused before writing.
    state.disk = Arc::new(FullDisk { free: 1 << 20, fail_after: None });
    let reason = failing_run(&state, &clock, 13).await;
    assert!(reason.contains("not enough free space"), "{reason}");
    assert_eq!(backups_in(&store), vec![good.clone()]);

    // 3. The storage path is not a writable directory.
    state.disk = Arc::new(super::disk::RealDisk);
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, b"x").unwrap();
    sqlx::query("UPDATE app_settings SET backup_storage_path = $1").bind(blocker.join("sub").display().to_string()).execute(&state.db).await.unwrap();
    let reason = failing_run(&state, &clock, 14).await;
    assert!(reason.contains("storage path") && reason.contains("could not be created"), "{reason}");

    let rows = history::list(&state).await.unwrap();
    let failed: Vec<_> = rows.iter().filter(|r| r.status.as_str() == "failed").collect();
    assert_eq!(failed.len(), 3);
    assert!(failed.iter().all(|r| r.error.as_deref().is_some_and(|e| !e.is_empty())));
    // Failed runs never delete anything: retention 1 still keeps the good one.
    assert_eq!(backups_in(&store), vec![good]);
    let (streak,): (i64,) = sqlx::query_as("SELECT failure_streak FROM backup_schedule_state").fetch_one(&state.db).await.unwrap();
    assert_eq!(streak, 3);
}

#[tokio::test]
async fn verify_detects_a_flipped_byte() {
    let (state, clock, _dir, store) = setup().await;
    schedule(&state, &store, 14, None).await;
    clock.set(utc("2026-03-11T02:30:00Z"));
    let w = run(&state).await.unwrap();
    let ok = stored::verify(&state, w.history_id, None).await.unwrap();
    assert!(ok.ok, "{}", ok.message);
    let mut bytes = std::fs::read(&w.path).unwrap();
    let i = bytes.len() / 2;
    bytes[i] ^= 0x01;
    std::fs::write(&w.path, bytes).unwrap();
    let bad = stored::verify(&state, w.history_id, None).await.unwrap();
    assert!(!bad.ok);
    assert!(bad.message.contains("SHA-256"), "{}", bad.message);
    let row = history::list(&state).await.unwrap().into_iter().find(|r| r.id == w.history_id).unwrap();
    assert_eq!(row.verify_status.map(history::VerifyStatus::as_str), Some("failed"));
    let _ = Duration::zero();
}

#[tokio::test]
async fn an_encrypted_scheduled_run_after_a_restart_restores_with_its_password() {
    let (state, clock, dir, store) = setup().await;
    schedule(&state, &store, 14, Some("scheduled backup pw")).await;
    state.db.close().await;
    let state = testing::open(dir.path(), Arc::new(clock.clone())).await;
    clock.set(utc("2026-03-11T02:05:00Z"));
    let w = run(&state).await.unwrap();
    assert!(w.file_name.ends_with(".ttbak") && w.encrypted);
    assert!(std::fs::read(&w.path).unwrap().starts_with(b"\x89TTBAK\r\n"));
    // Verify decrypts it with the stored backup password.
    let v = stored::verify(&state, w.history_id, None).await.unwrap();
    assert!(v.ok && v.message.contains("every encrypted chunk authenticated"), "{}", v.message);
    let (fresh, _d2) = testing::state().await;
    let report = restore::restore(
        &fresh,
        restore::RestoreRequest {
            file: w.path.clone(),
            current_password: Zeroizing::new(PASSWORD.into()),
            backup_password: Some(Zeroizing::new("scheduled backup pw".into())),
            source_password: None,
            totp: Default::default(),
            dry_run: false,
        },
    )
    .await
    .unwrap();
    assert_eq!(report.secrets_cleared, 0);
    assert_eq!(report.restored.iter().find(|c| c.section == "tracker_snapshots").unwrap().count, 60);
}

/// A tiny HTTP receiver on 127.0.0.1: answers 200 to every request and keeps the bodies.
async fn receiver() -> (String, Arc<std::sync::Mutex<Vec<String>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let inbox = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = inbox.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let n = sock.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let len = text[..end]
                            .lines()
                            .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap_or(0)))
                            .unwrap_or(0);
                        if buf.len() >= end + 4 + len {
                            seen.lock().unwrap().push(text[end + 4..].to_string());
                            break;
                        }
                    }
                }
                let _ = sock.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok").await;
            });
        }
    });
    (url, inbox)
}

#[tokio::test]
async fn a_failure_streak_sends_one_backup_failed_notification() {
    let (state, clock, dir, store) = setup().await;
    let (url, inbox) = receiver().await;
    // sample::fill made two targets; only this one opts in to "backup_failed" and points here.
    sqlx::query("DELETE FROM notification_targets").execute(&state.db).await.unwrap();
    let config = state.keys.seal(crate::secrets::purpose::NOTIFICATION_CONFIG, &format!("{{\"url\":\"{url}\"}}")).unwrap();
    sqlx::query(
        "INSERT INTO notification_targets (name, target_type, enabled, config_enc, events, thresholds, created_at, updated_at)
         VALUES ('Local hook', 'webhook', 1, $1, '[\"backup_failed\"]', '{}', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
                ('Not interested', 'webhook', 1, $1, '[\"ratio_drop\"]', '{}', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
    )
    .bind(&config)
    .execute(&state.db)
    .await
    .unwrap();
    schedule(&state, &store, 3, None).await;
    // The storage path becomes unusable: two failed runs in a row.
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, b"x").unwrap();
    sqlx::query("UPDATE app_settings SET backup_storage_path = $1").bind(blocker.display().to_string()).execute(&state.db).await.unwrap();
    failing_run(&state, &clock, 11).await;
    failing_run(&state, &clock, 12).await;
    {
        let got = inbox.lock().unwrap().clone();
        assert_eq!(got.len(), 1, "one notification per failure streak: {got:?}");
        assert!(got[0].contains("backup_failed") && got[0].contains("is not a directory"), "{}", got[0]);
    }
    let (sent,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM notification_deliveries WHERE event = 'backup_failed' AND status = 'sent'")
        .fetch_one(&state.db)
        .await
        .unwrap();
    assert_eq!(sent, 1);
    // A success ends the streak; the next failure is notified again.
    sqlx::query("UPDATE app_settings SET backup_storage_path = $1").bind(store.display().to_string()).execute(&state.db).await.unwrap();
    clock.set(utc("2026-03-13T02:30:00Z"));
    run(&state).await.unwrap();
    sqlx::query("UPDATE app_settings SET backup_storage_path = $1").bind(blocker.display().to_string()).execute(&state.db).await.unwrap();
    failing_run(&state, &clock, 14).await;
    assert_eq!(inbox.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn two_backups_in_the_same_second_each_get_their_own_file() {
    let (state, clock, _dir, store) = setup().await;
    schedule(&state, &store, 14, None).await;
    clock.set(utc("2026-03-11T02:30:00Z"));
    // Run now and the undo point of a restore at the same moment (the clock does not move).
    let (a, b) = tokio::join!(
        super::run::write_backup(&state, super::history::Trigger::Scheduled),
        super::run::write_backup(&state, super::history::Trigger::PreRestore)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_ne!(a.file_name, b.file_name);
    assert_eq!(backups_in(&store), {
        let mut v = vec![a.file_name.clone(), b.file_name.clone()];
        v.sort();
        v
    });
    for w in [a, b] {
        assert!(stored::verify(&state, w.history_id, None).await.unwrap().ok);
    }
}

#[tokio::test]
async fn retention_keeps_the_last_written_even_after_the_clock_was_ahead() {
    let (state, clock, _dir, store) = setup().await;
    schedule(&state, &store, 2, None).await;
    // The server clock was once years ahead when a backup was made, then corrected.
    clock.set(utc("2030-01-01T02:30:00Z"));
    let ahead = super::run::run_scheduled_backup(&state).await.unwrap().unwrap().file_name;
    let mut newer = Vec::new();
    for day in 11..=12 {
        clock.set(utc(&format!("2026-03-{day}T02:30:00Z")));
        newer.push(super::run::run_scheduled_backup(&state).await.unwrap().unwrap().file_name);
    }
    assert_eq!(backups_in(&store), newer, "the two last written are kept; {ahead} (dated 2030) is pruned");
}

#[tokio::test]
async fn a_run_cut_off_by_a_stop_is_closed_at_start_up() {
    let (state, clock, _dir, store) = setup().await;
    schedule(&state, &store, 14, None).await;
    clock.set(utc("2026-03-11T02:30:00Z"));
    let good = run(&state).await.unwrap().file_name;
    // What a crash mid-write leaves: a 'running' row and a hidden .partial file.
    sqlx::query(
        "INSERT INTO backup_history (created_at, trigger_kind, encrypted, status) VALUES ('2026-03-12T02:30:00Z', 'scheduled', 0, 'running')",
    )
    .execute(&state.db)
    .await
    .unwrap();
    let partial = store.join(".tracker-tracker-backup-20260312T023000Z.json.partial");
    std::fs::write(&partial, b"{\"half").unwrap();
    std::fs::write(store.join(".someone-elses.partial"), b"x").unwrap();
    // Another instance sharing the directory, writing right now (no run of ours at that time).
    let theirs = store.join(".tracker-tracker-backup-20260312T050000Z.json.partial");
    std::fs::write(&theirs, b"{\"busy").unwrap();

    assert_eq!(run::close_interrupted_runs(&state).await.unwrap(), 1);
    assert!(!partial.exists());
    assert!(store.join(".someone-elses.partial").exists(), "only files named like ours are removed");
    assert!(theirs.exists(), "only the .partial of a run that was cut off");
    assert!(store.join(&good).exists());
    let (status, error): (String, Option<String>) =
        sqlx::query_as("SELECT status, error FROM backup_history WHERE created_at = '2026-03-12T02:30:00Z'").fetch_one(&state.db).await.unwrap();
    assert_eq!(status, "failed");
    assert!(error.unwrap().contains("server stopped"));
    assert_eq!(run::close_interrupted_runs(&state).await.unwrap(), 0);
}

#[tokio::test]
async fn restoring_a_backup_with_the_schedule_on_starts_no_run_at_once() {
    let (state, clock, _dir, store) = setup().await;
    schedule(&state, &store, 14, None).await;
    clock.set(utc("2026-03-11T02:30:00Z"));
    let written = run(&state).await.unwrap();

    // A fresh instance (schedule off, never ran) restores it at noon.
    let fresh_clock = ManualClock::new(utc("2026-03-20T11:00:00Z"));
    let (fresh, _d2) = testing::state_with_clock(Arc::new(fresh_clock.clone())).await;
    let request = restore::RestoreRequest {
        file: written.path.clone(),
        current_password: Zeroizing::new(PASSWORD.into()),
        backup_password: None,
        source_password: None,
        totp: Default::default(),
        dry_run: false,
    };
    restore::restore(&fresh, request).await.unwrap();
    assert!(matches!(tick(&fresh, &Berlin).await.unwrap(), Tick::Idle(Some(_))), "the next run is at 03:00, not now");
    fresh_clock.set(utc("2026-03-21T02:00:30Z"));
    assert!(matches!(tick(&fresh, &Berlin).await.unwrap(), Tick::Ran(_)));
}

#[tokio::test]
async fn a_ttbak_written_with_another_password_is_verified_and_added_with_that_password() {
    let (state, clock, _dir, store) = setup().await;
    schedule(&state, &store, 14, Some("the old backup pw")).await;
    clock.set(utc("2026-03-11T02:05:00Z"));
    let old = run(&state).await.unwrap();
    // Another .ttbak with the old password, copied into the directory by hand.
    let copied = "tracker-tracker-backup-20200101T000000Z.ttbak";
    std::fs::copy(&old.path, store.join(copied)).unwrap();
    // The stored password changes.
    schedule(&state, &store, 14, Some("the new backup pw")).await;

    // The stored (new) password does not open it: said to the person, not recorded as a failure.
    let e = stored::verify(&state, old.history_id, None).await.unwrap_err();
    assert!(matches!(e, super::BackupError::WrongBackupPassword), "{e}");
    let row = history::list(&state).await.unwrap().into_iter().find(|r| r.id == old.history_id).unwrap();
    assert_eq!(row.verify_status.map(history::VerifyStatus::as_str), Some("ok"), "the earlier verification stands");
    let e = stored::import(&state, copied, Some(Zeroizing::new("a wrong one".into()))).await.unwrap_err();
    assert!(matches!(e, super::BackupError::WrongBackupPassword), "{e}");
    assert!(history::list(&state).await.unwrap().iter().all(|r| r.file_name.as_deref() != Some(copied)), "not added");

    // With its own password: decrypted and checked whole.
    let v = stored::verify(&state, old.history_id, Some(Zeroizing::new("the old backup pw".into()))).await.unwrap();
    assert!(v.ok && v.message.contains("every encrypted chunk authenticated"), "{}", v.message);
    let added = stored::import(&state, copied, Some(Zeroizing::new("the old backup pw".into()))).await.unwrap();
    assert_eq!(added.trigger.as_str(), "imported");
    assert!(added.verify_message.unwrap().contains("every encrypted chunk authenticated"));
}
