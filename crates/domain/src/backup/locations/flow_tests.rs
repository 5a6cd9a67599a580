//! Runs with backup locations, against the real test servers: upload, verification there, the
//! encryption a location requires, listing, retention beside foreign objects, checking a copy
//! again, "Test connection", and restoring from a location.

use super::test_services as svc;
use super::{copies, fetch, listing, location, probe, retention, upload};
use crate::backup::{history, run};
use crate::secrets::purpose;
use crate::testing::{state, PASSWORD};
use crate::AppState;
use tt_core::model::locations::*;
use tt_core::model::SecretUpdate;
use zeroize::Zeroizing;

async fn with_storage(s: &AppState, dir: &std::path::Path) {
    let storage = dir.join("backups-here");
    sqlx::query("UPDATE app_settings SET backup_storage_path = $1").bind(storage.display().to_string()).execute(&s.db).await.unwrap();
}

async fn set_backup_password(s: &AppState, pw: &str) {
    let sealed = s.keys.seal(purpose::BACKUP_PASSWORD, pw).unwrap();
    sqlx::query("UPDATE app_settings SET backup_password_enc = $1").bind(sealed).execute(&s.db).await.unwrap();
}

fn input(name: &str, target: LocationTarget, secret: &str, require_encryption: bool, retention: RetentionPolicy) -> LocationInput {
    LocationInput {
        id: None,
        settings: LocationSettings { name: name.into(), enabled: true, require_encryption, retention, target },
        secret: SecretUpdate::set(secret),
    }
}

async fn copies_of(s: &AppState, location_id: i64) -> Vec<copies::CopyRow> {
    copies::of_location(s, location_id).await.unwrap()
}

#[tokio::test]
async fn a_run_copies_the_backup_and_verifies_it_there_encrypted_when_required() {
    let Some((target, secret)) = svc::s3() else { return };
    let (s, dir) = state().await;
    with_storage(&s, dir.path()).await;
    let l = location::save(&s, &input("S3", target, &secret, true, RetentionPolicy::KeepLast { count: 14 })).await.unwrap();

    // Encryption required, no backup password: the local backup is made, this location fails and says how to fix it.
    let w = run::run_now(&s).await.unwrap().expect("the local backup is made");
    assert!(w.path.is_file());
    let rows = copies_of(&s, l.id).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, CopyStatus::Failed);
    assert!(
        rows[0]
            .error
            .as_deref()
            .unwrap()
            .starts_with("This location requires encryption, but no backup password is set: set one in Settings → Backups"),
        "{:?}",
        rows[0].error
    );
    assert_eq!(location::stored(&s, l.id).await.unwrap().failure_streak, 1);

    // With a backup password (local encryption still off): an encrypted copy goes, verified there.
    set_backup_password(&s, "a backup password 1").await;
    let w = run::run_now(&s).await.unwrap().unwrap();
    assert!(!w.encrypted, "the local backup stays plain");
    let rows = copies_of(&s, l.id).await;
    let c = rows.iter().find(|c| c.history_id == Some(w.history_id)).unwrap();
    assert_eq!((c.status, c.encrypted, c.attempts), (CopyStatus::Verified, true, 1));
    assert!(c.remote_key.ends_with(&w.file_name.replace(".json", ".ttbak")), "{}", c.remote_key);
    assert_eq!(location::stored(&s, l.id).await.unwrap().failure_streak, 0);
    // What is there is the encrypted copy: its hash is the one recorded, not the local file's.
    let remote = location::stored(&s, l.id).await.unwrap().client(&s).unwrap();
    let key = object_store::path::Path::from(c.remote_key.as_str());
    let (_, sha) = remote.read_sha256(&key).await.unwrap();
    assert_eq!(Some(sha.as_str()), c.sha256.as_deref());
    assert_ne!(sha, w.sha256);
    let start = remote.read_start(&key, 100, 8).await.unwrap();
    assert!(tt_core::backup_format::encrypted::looks_encrypted(&start));
    // No encrypted copy is left behind on the server.
    assert_eq!(std::fs::read_dir(s.config.upload_dir()).map(|d| d.count()).unwrap_or(0), 0);

    // The History shows the copy with the local backup.
    let entry = history::list(&s).await.unwrap().into_iter().find(|e| e.id == w.history_id).unwrap();
    assert_eq!(entry.copies.len(), 1);
    assert_eq!((entry.copies[0].location_name.as_str(), entry.copies[0].status), ("S3", CopyStatus::Verified));

    // The listing says what it is from this instance's record.
    let listed = listing::list(&s, &location::stored(&s, l.id).await.unwrap()).await.unwrap();
    let b = listed.iter().find(|b| b.key == c.remote_key).unwrap();
    assert_eq!((b.kind, b.described_by.as_str(), b.copy.as_ref().map(|c| c.id)), (RemoteKind::Encrypted, "record", Some(c.id)));
}

#[tokio::test]
async fn retention_in_a_location_deletes_only_its_own_backups() {
    let Some((target, password)) = svc::webdav().await else { return };
    let (s, dir) = state().await;
    with_storage(&s, dir.path()).await;
    let l = location::save(&s, &input("Nextcloud", target, &password, false, RetentionPolicy::KeepLast { count: 2 })).await.unwrap();
    let stored = location::stored(&s, l.id).await.unwrap();
    let remote = stored.client(&s).unwrap();
    // Foreign objects: another instance's backup (a plain one, whose header the listing reads),
    // a file of someone else's, and one in a sub-folder.
    let foreign_backup = std::fs::read(run::write_backup(&s, history::Trigger::Manual).await.unwrap().path).unwrap();
    remote.put_bytes(&remote.key("tracker-tracker-backup-20200101T000000Z.json"), foreign_backup).await.unwrap();
    remote.put_bytes(&remote.key("notes.txt"), b"mine".to_vec()).await.unwrap();
    for _ in 0..4 {
        run::run_now(&s).await.unwrap().unwrap();
    }
    let rows = copies_of(&s, l.id).await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows.iter().all(|c| c.status == CopyStatus::Verified));
    let names: Vec<String> =
        remote.list().await.unwrap().into_iter().filter_map(|m| remote.file_name_of(m.location.as_ref()).map(str::to_string)).collect();
    assert_eq!(names.len(), 4, "two of ours and the two foreign ones: {names:?}");
    assert!(names.contains(&"tracker-tracker-backup-20200101T000000Z.json".to_string()) && names.contains(&"notes.txt".to_string()));
    for c in &rows {
        assert!(names.contains(&c.file_name().to_string()));
    }
    // The listing shows the other instance's backup from its header, and not the note.
    let listed = listing::list(&s, &stored).await.unwrap();
    assert_eq!(listed.len(), 3);
    let theirs = listed.iter().find(|b| b.file_name == "tracker-tracker-backup-20200101T000000Z.json").unwrap();
    assert_eq!((theirs.kind, theirs.described_by.as_str()), (RemoteKind::Plain, "header"));
    assert_eq!(theirs.instance_url, s.config.base_url);
    assert!(theirs.copy.is_none());

    // A preview of a calendar policy: the newest always stays; nothing is deleted by looking.
    let preview = retention::preview(&s, &stored, &remote, &RetentionPolicy::KeepLast { count: 1 }).await.unwrap();
    assert_eq!((preview.keep.len(), preview.delete.len()), (1, 1));
    assert!(preview.keep[0].reasons.contains(&"newest verified".to_string()));
    assert_eq!(copies_of(&s, l.id).await.len(), 2);
    // A pinned copy is kept on top of the count.
    let oldest = copies_of(&s, l.id).await.pop().unwrap();
    copies::set_pinned(&s, oldest.id, true).await.unwrap();
    run::run_now(&s).await.unwrap().unwrap();
    let rows = copies_of(&s, l.id).await;
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().any(|c| c.id == oldest.id));
}

#[tokio::test]
async fn a_copy_damaged_in_the_location_fails_its_check_and_says_so() {
    let Some((target, secret)) = svc::s3() else { return };
    let (s, dir) = state().await;
    with_storage(&s, dir.path()).await;
    let l = location::save(&s, &input("S3", target, &secret, false, RetentionPolicy::KeepLast { count: 5 })).await.unwrap();
    run::run_now(&s).await.unwrap().unwrap();
    let c = copies_of(&s, l.id).await.remove(0);
    assert_eq!(upload::verify_copy(&s, c.id).await.unwrap().status, CopyStatus::Verified);
    let remote = location::stored(&s, l.id).await.unwrap().client(&s).unwrap();
    // Damaged there (put_bytes is create-only: the copy goes first).
    let key = object_store::path::Path::from(c.remote_key.as_str());
    remote.delete(&key).await.unwrap();
    remote.put_bytes(&key, b"{\"header\": damaged".to_vec()).await.unwrap();
    let checked = upload::verify_copy(&s, c.id).await.unwrap();
    assert_eq!(checked.status, CopyStatus::Failed);
    let why = checked.error.unwrap();
    assert!(
        why.starts_with(&format!("Checked again: The copy in {} differs from the local file: read back, its SHA-256 is ", remote.place())),
        "{why}"
    );
    assert!(why.contains(&format!("the local file's is {}", c.sha256.unwrap())), "{why}");

    // Restoring it is refused before anything changes: the download differs from what was uploaded.
    let e = fetch::restore_from(
        &s,
        fetch::LocationRestore {
            location_id: l.id,
            key: c.remote_key.clone(),
            current_password: Zeroizing::new(PASSWORD.into()),
            backup_password: None,
            source_password: None,
            totp: Default::default(),
            dry_run: true,
        },
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("differs from the local file"), "{e}");
}

#[tokio::test]
async fn test_connection_reports_each_step_and_the_first_failure() {
    let Some((target, secret)) = svc::s3() else { return };
    let (s, _dir) = state().await;
    let ok = probe::test_connection(&s, &input("S3", target.clone(), &secret, true, RetentionPolicy::default())).await.unwrap();
    assert!(ok.ok, "{ok:?}");
    assert_eq!(
        ok.steps.iter().map(|s| s.step.as_str()).collect::<Vec<_>>(),
        ["List the backups there", "Write a test object", "Read it back", "Delete it"]
    );
    // Nothing left behind, nothing saved.
    let remote = super::remote::Remote::open(&target.validate().unwrap(), Some(&secret), &s.config.remote).unwrap();
    assert!(remote.list().await.unwrap().is_empty());
    assert!(location::list(&s).await.unwrap().is_empty());
    let bad = probe::test_connection(&s, &input("S3", target, "wrong secret", true, RetentionPolicy::default())).await.unwrap();
    assert!(!bad.ok);
    assert_eq!(bad.problem, Some(RemoteProblem::Credentials));
    assert!(bad.message.contains("(SignatureDoesNotMatch)"), "{}", bad.message);
    assert_eq!(bad.steps.len(), 1);
    assert!(!bad.steps[0].ok);
}

#[tokio::test]
async fn a_backup_restores_from_the_location_onto_another_instance() {
    let Some((target, secret)) = svc::s3() else { return };
    let (source, dir) = state().await;
    with_storage(&source, dir.path()).await;
    location::save(&source, &input("S3", target.clone(), &secret, false, RetentionPolicy::default())).await.unwrap();
    sqlx::query("UPDATE app_settings SET poll_interval_minutes = 42").execute(&source.db).await.unwrap();
    run::run_now(&source).await.unwrap().unwrap();

    // A fresh instance with the same login password adds the location and restores the newest.
    let (fresh, _dir2) = state().await;
    let l = location::save(&fresh, &input("Same bucket", target, &secret, false, RetentionPolicy::default())).await.unwrap();
    let listed = listing::list(&fresh, &location::stored(&fresh, l.id).await.unwrap()).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].described_by.as_str(), listed[0].kind), ("header", RemoteKind::Plain));
    let req = |dry_run| fetch::LocationRestore {
        location_id: l.id,
        key: listed[0].key.clone(),
        current_password: Zeroizing::new(PASSWORD.into()),
        backup_password: None,
        source_password: None,
        totp: Default::default(),
        dry_run,
    };
    let report = fetch::restore_from(&fresh, req(true)).await.unwrap();
    assert!(report.dry_run);
    assert!(report.settings_changes.iter().any(|c| c.key == "general.poll_interval_minutes" && c.after == "42"), "{:?}", report.settings_changes);
    let report = fetch::restore_from(&fresh, req(false)).await.unwrap();
    assert!(!report.dry_run && report.pre_restore_backup.is_some());
    let (poll,): (i64,) = sqlx::query_as("SELECT poll_interval_minutes FROM app_settings").fetch_one(&fresh.db).await.unwrap();
    assert_eq!(poll, 42);
    // The restored settings brought the location back (the same login password opened its secret).
    let back = location::list(&fresh).await.unwrap();
    assert_eq!(back.len(), 1);
    assert_eq!((back[0].settings.name.as_str(), back[0].has_secret, back[0].settings.enabled), ("S3", true, true));
    assert_eq!(std::fs::read_dir(fresh.config.upload_dir()).map(|d| d.count()).unwrap_or(0), 0, "the download is removed");
}

/// Another instance wrote a backup with the very name this run's has (the same second): it is
/// neither overwritten nor deleted; this one goes up as "-2".
#[tokio::test]
async fn a_name_taken_in_the_location_is_never_overwritten() {
    use chrono::TimeZone;
    let Some((target, secret)) = svc::s3() else { return };
    let at = chrono::Utc.with_ymd_and_hms(2026, 12, 1, 3, 0, 0).unwrap();
    let (s, dir) = crate::testing::state_with_clock(std::sync::Arc::new(crate::clock::ManualClock::new(at))).await;
    with_storage(&s, dir.path()).await;
    let l = location::save(&s, &input("S3", target, &secret, false, RetentionPolicy::KeepLast { count: 1 })).await.unwrap();
    let remote = location::stored(&s, l.id).await.unwrap().client(&s).unwrap();
    let taken = "tracker-tracker-backup-20261201T030000Z.json";
    remote.put_bytes(&remote.key(taken), b"another instance's".to_vec()).await.unwrap();
    let w = run::run_now(&s).await.unwrap().unwrap();
    assert_eq!(w.file_name, taken, "the local name is free");
    let c = copies_of(&s, l.id).await.remove(0);
    assert_eq!(c.status, CopyStatus::Verified);
    assert_eq!(c.file_name(), "tracker-tracker-backup-20261201T030000Z-2.json");
    assert_eq!(&remote.read_bytes(&remote.key(taken)).await.unwrap()[..], b"another instance's");
    // A second run (the same second): retention keeps one of ours and never touches theirs.
    run::run_now(&s).await.unwrap().unwrap();
    let rows = copies_of(&s, l.id).await;
    assert_eq!(rows.len(), 1, "{rows:#?}");
    assert_eq!(&remote.read_bytes(&remote.key(taken)).await.unwrap()[..], b"another instance's");
}

/// A database fault while one location is handled (its copy record refused, or its progress
/// not recordable half-way) fails that location alone, with a log reference; the location after
/// it still gets its copy.
#[tokio::test]
async fn a_database_fault_in_one_location_leaves_the_others_running() {
    let Some((target, secret)) = svc::s3() else { return };
    let (s, dir) = state().await;
    with_storage(&s, dir.path()).await;
    let prefix = |p: &str| super::test_services::with_s3(&target, |t| t.prefix = format!("{}/{p}", t.prefix));
    let halfway = location::save(&s, &input("A half-way", prefix("a"), &secret, false, RetentionPolicy::default())).await.unwrap();
    let refused = location::save(&s, &input("B refused", prefix("b"), &secret, false, RetentionPolicy::default())).await.unwrap();
    let good = location::save(&s, &input("C good", prefix("c"), &secret, false, RetentionPolicy::default())).await.unwrap();
    // A's copy record is made but can never be updated; B's cannot be made at all.
    for (when, id) in [("UPDATE", halfway.id), ("INSERT", refused.id)] {
        sqlx::query(&format!(
            "CREATE TRIGGER fault_{id} BEFORE {when} ON backup_copies WHEN NEW.location_id = {id} BEGIN SELECT RAISE(ABORT, 'injected fault'); END"
        ))
        .execute(&s.db)
        .await
        .unwrap();
    }

    let w = run::run_now(&s).await.unwrap().expect("the local backup is made");
    let names: Vec<_> = w.uploads.iter().map(|o| (o.location_name.as_str(), o.failure.is_some())).collect();
    assert_eq!(names, [("A half-way", true), ("B refused", true), ("C good", false)], "{:#?}", w.uploads);
    for o in &w.uploads[..2] {
        let why = o.failure.as_deref().unwrap();
        assert!(why.starts_with("an internal error on the server (server log reference "), "{why}");
        assert!(!why.contains("injected"), "the cause stays in the log: {why}");
    }
    assert!(w.uploads[0].copy_id.is_some() && w.uploads[1].copy_id.is_none());
    let c = copies_of(&s, good.id).await;
    assert_eq!((c.len(), c[0].status), (1, CopyStatus::Verified));
    let remote = location::stored(&s, good.id).await.unwrap().client(&s).unwrap();
    assert_eq!(remote.read_sha256(&object_store::path::Path::from(c[0].remote_key.as_str())).await.unwrap().1, w.sha256);
    // Each failure is counted against its own location.
    let streaks: Vec<(i64, i64)> = sqlx::query_as("SELECT id, failure_streak FROM backup_locations ORDER BY name").fetch_all(&s.db).await.unwrap();
    assert_eq!(streaks, [(halfway.id, 1), (refused.id, 1), (good.id, 0)]);
}

/// Retention that stops after a verified copy is no copy failure: no failure streak, and the
/// run's outcome says retention stopped (with a log reference), the copy itself verified.
#[tokio::test]
async fn retention_stopping_after_a_verified_copy_is_not_a_copy_failure() {
    let Some((target, secret)) = svc::s3() else { return };
    let (s, dir) = state().await;
    with_storage(&s, dir.path()).await;
    let prefix = super::test_services::with_s3(&target, |t| t.prefix = format!("{}/retention-stops", t.prefix));
    let l = location::save(&s, &input("S3", prefix, &secret, false, RetentionPolicy::KeepLast { count: 1 })).await.unwrap();
    run::run_now(&s).await.unwrap().unwrap();
    sqlx::query("CREATE TRIGGER no_forget BEFORE DELETE ON backup_copies BEGIN SELECT RAISE(ABORT, 'injected fault'); END")
        .execute(&s.db)
        .await
        .unwrap();
    let w = run::run_now(&s).await.unwrap().unwrap();
    let o = &w.uploads[0];
    assert_eq!(o.failure, None, "{o:?}");
    let why = o.retention_stopped.as_deref().unwrap();
    assert!(
        why.starts_with("The copy was uploaded and verified, but retention there stopped: an internal error on the server (server log reference "),
        "{why}"
    );
    let c = copies_of(&s, l.id).await;
    assert_eq!(c[0].status, CopyStatus::Verified);
    assert_eq!(location::stored(&s, l.id).await.unwrap().failure_streak, 0);
}
