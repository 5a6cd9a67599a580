//! The locations store and the locations' part of a backup, on real SQLite files.

use super::location::{self, StoredLocation};
use super::{copies, LocationError};
use crate::backup::export::export;
use crate::backup::restore::{restore, RestoreRequest};
use crate::testing::{state, PASSWORD};
use crate::AppState;
use tt_core::model::locations::*;
use tt_core::model::SecretUpdate;
use zeroize::Zeroizing;

const S3_SECRET: &str = "SECRET-s3-key-wJalrXUtnFEMI";
const DAV_SECRET: &str = "SECRET-dav-password";

pub fn s3_input(name: &str, prefix: &str) -> LocationInput {
    LocationInput {
        id: None,
        settings: LocationSettings {
            name: name.into(),
            enabled: true,
            require_encryption: true,
            retention: RetentionPolicy::Calendar { last: 3, daily: 7, weekly: 4, monthly: 6 },
            target: LocationTarget::S3(S3Target {
                endpoint: "http://127.0.0.1:9000".into(),
                region: "us-east-1".into(),
                bucket: "tt-bucket".into(),
                prefix: prefix.into(),
                access_key_id: "AKIATEST".into(),
                path_style: true,
            }),
        },
        secret: SecretUpdate::set(S3_SECRET),
    }
}

fn dav_input(name: &str) -> LocationInput {
    LocationInput {
        id: None,
        settings: LocationSettings {
            name: name.into(),
            enabled: true,
            require_encryption: false,
            retention: RetentionPolicy::KeepLast { count: 5 },
            target: LocationTarget::Webdav(WebdavTarget { url: "https://cloud.example/dav/tt".into(), username: Some("me".into()) }),
        },
        secret: SecretUpdate::set(DAV_SECRET),
    }
}

async fn raw_secret(s: &AppState, id: i64) -> Option<String> {
    sqlx::query_as::<_, (Option<String>,)>("SELECT secret_enc FROM backup_locations WHERE id = $1").bind(id).fetch_one(&s.db).await.unwrap().0
}

async fn count(s: &AppState) -> i64 {
    sqlx::query_as::<_, (i64,)>("SELECT COUNT(*) FROM backup_locations").fetch_one(&s.db).await.unwrap().0
}

#[tokio::test]
async fn a_location_is_stored_with_its_secret_sealed_and_never_shown() {
    let (s, _dir) = state().await;
    let v = location::save(&s, &s3_input("Offsite", "tt/")).await.unwrap();
    assert!(v.has_secret);
    assert_eq!(v.destination, "s3://tt-bucket/tt at http://127.0.0.1:9000");
    let sealed = raw_secret(&s, v.id).await.unwrap();
    assert!(sealed.starts_with("tt1:") && !sealed.contains(S3_SECRET), "{sealed}");
    let shown = serde_json::to_string(&location::list(&s).await.unwrap()).unwrap();
    assert!(!shown.contains(S3_SECRET) && !shown.contains(&sealed), "{shown}");
    let stored = location::stored(&s, v.id).await.unwrap();
    assert_eq!(stored.open_secret(&s).unwrap().as_deref().map(String::as_str), Some(S3_SECRET));
    // The target row holds no secret either.
    let (target,): (String,) = sqlx::query_as("SELECT target FROM backup_locations WHERE id = $1").bind(v.id).fetch_one(&s.db).await.unwrap();
    assert!(target.contains("AKIATEST") && !target.contains("SECRET"), "{target}");

    // An update without a secret keeps it; clearing it is refused for S3 (it needs one).
    let mut input = s3_input("Renamed", "tt");
    input.id = Some(v.id);
    input.secret = SecretUpdate::keep();
    let v2 = location::save(&s, &input).await.unwrap();
    assert_eq!((v2.settings.name.as_str(), v2.has_secret), ("Renamed", true));
    assert_eq!(raw_secret(&s, v.id).await.as_deref(), Some(sealed.as_str()));
    input.secret = SecretUpdate { value: None, clear: true };
    let e = location::save(&s, &input).await.unwrap_err();
    let LocationError::Invalid(i) = e else { panic!("{e:?}") };
    assert_eq!(i.field, "secret_key");
    assert_eq!(raw_secret(&s, v.id).await.as_deref(), Some(sealed.as_str()), "a refused save changes nothing");

    // Changing the kind drops the other kind's secret: a WebDAV login needs its own password.
    let mut dav = dav_input("Renamed");
    dav.id = Some(v.id);
    dav.secret = SecretUpdate::keep();
    let LocationError::Invalid(i) = location::save(&s, &dav).await.unwrap_err() else { panic!() };
    assert_eq!(i.field, "password");
    // Without a username no password is needed.
    if let LocationTarget::Webdav(w) = &mut dav.settings.target {
        w.username = None;
    }
    let v3 = location::save(&s, &dav).await.unwrap();
    assert!(!v3.has_secret);
    assert_eq!(raw_secret(&s, v.id).await, None);
}

#[tokio::test]
async fn bad_input_and_a_second_location_in_the_same_place_are_refused() {
    let (s, _dir) = state().await;
    let mut bad = s3_input("x", "tt");
    bad.secret = SecretUpdate::keep();
    let LocationError::Invalid(i) = location::save(&s, &bad).await.unwrap_err() else { panic!() };
    assert_eq!((i.field.as_str(), i.message.as_str()), ("secret_key", "Enter the secret key that goes with the access key id."));
    let mut bad = s3_input("x", "tt");
    if let LocationTarget::S3(t) = &mut bad.settings.target {
        t.bucket = "No_Such".into();
    }
    assert!(matches!(location::save(&s, &bad).await, Err(LocationError::Invalid(i)) if i.field == "bucket"));
    assert_eq!(count(&s).await, 0);

    let first = location::save(&s, &s3_input("One", "tt")).await.unwrap();
    let LocationError::Invalid(i) = location::save(&s, &s3_input("Two", "/tt/")).await.unwrap_err() else { panic!() };
    assert_eq!(i.field, "prefix");
    assert!(i.message.starts_with("The location “One” already writes to s3://tt-bucket/tt at http://127.0.0.1:9000"), "{}", i.message);
    assert_eq!(count(&s).await, 1);
    // Another prefix in the same bucket is another place.
    location::save(&s, &s3_input("Two", "tt2")).await.unwrap();
    // Saving the first one again is not a clash with itself.
    let mut again = s3_input("One", "tt");
    again.id = Some(first.id);
    location::save(&s, &again).await.unwrap();
    assert!(matches!(location::delete(&s, 999).await, Err(LocationError::NotFound(999))));
}

async fn export_to(s: &AppState, path: &std::path::Path) {
    let mut out = Vec::new();
    export(s, None, s.now(), &mut out).await.unwrap();
    std::fs::write(path, out).unwrap();
}

fn req(file: &std::path::Path, current: &str, source: Option<&str>) -> RestoreRequest {
    RestoreRequest {
        file: file.to_path_buf(),
        current_password: Zeroizing::new(current.into()),
        backup_password: None,
        source_password: source.map(|p| Zeroizing::new(p.into())),
        totp: Default::default(),
        dry_run: false,
    }
}

async fn stored_all(s: &AppState) -> Vec<StoredLocation> {
    location::stored_all(s).await.unwrap()
}

#[tokio::test]
async fn locations_travel_in_the_settings_sealed_and_come_back_by_place() {
    let (s, dir) = state().await;
    let a = location::save(&s, &s3_input("Offsite", "tt")).await.unwrap();
    location::save(&s, &dav_input("Nextcloud")).await.unwrap();
    // A copy record at the first location: a restore must keep it (retention there carries on).
    let copy = copies::start(
        &s,
        &copies::NewCopy {
            location_id: a.id,
            history_id: crate::backup::history::start(&s, s.now(), crate::backup::history::Trigger::Manual, false).await.unwrap(),
            backup_created_at: s.now(),
            remote_key: "tt/tracker-tracker-backup-20261201T030000Z.ttbak",
            encrypted: true,
            size: 10,
            sha256: "00",
            instance_url: None,
            app_version: "0.1.0",
        },
    )
    .await
    .unwrap();
    let file = dir.path().join("b.json");
    export_to(&s, &file).await;
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("\"locations\":[{\"id\":") && text.contains("\"name\":\"Offsite\"") && text.contains("\"kind\":\"webdav\""));
    assert!(!text.contains(S3_SECRET) && !text.contains(DAV_SECRET), "secrets travel sealed");
    let before: Vec<_> = stored_all(&s).await.into_iter().map(|l| (l.id, l.settings, l.secret_enc)).collect();

    // Changed since: the first renamed, the second deleted, a third added.
    let mut renamed = s3_input("Renamed", "tt");
    renamed.id = Some(a.id);
    location::save(&s, &renamed).await.unwrap();
    let dav = stored_all(&s).await.into_iter().find(|l| l.settings.name == "Nextcloud").unwrap();
    location::delete(&s, dav.id).await.unwrap();
    location::save(&s, &s3_input("Third", "other")).await.unwrap();

    let report = restore(&s, req(&file, PASSWORD, None)).await.unwrap();
    let change = report.settings_changes.iter().find(|c| c.key == "backup.locations").expect("the report says the locations change");
    assert!(change.now.contains("Renamed") && change.now.contains("Third") && change.after.contains("Nextcloud"), "{change:?}");
    let after: Vec<_> = stored_all(&s).await.into_iter().map(|l| (l.id, l.settings, l.secret_enc)).collect();
    let sorted = |mut v: Vec<(i64, LocationSettings, Option<String>)>| {
        v.sort_by_key(|x| x.0);
        v
    };
    assert_eq!(sorted(after), sorted(before), "as they were, ids and sealed secrets included");
    let kept = copies::row(&s, copy).await.unwrap();
    assert_eq!(kept.location_id, a.id, "the copy record stays with its place");
}

#[tokio::test]
async fn from_another_instance_the_secret_is_re_encrypted_with_the_source_password_or_cleared() {
    let (source, dir) = state().await;
    let v = location::save(&source, &s3_input("Offsite", "tt")).await.unwrap();
    let file = dir.path().join("b.json");
    export_to(&source, &file).await;

    // Another instance with another login password.
    let other_dir = tempfile::tempdir().unwrap();
    let other = crate::testing::open(other_dir.path(), std::sync::Arc::new(crate::clock::SystemClock)).await;
    crate::auth::setup(&other, "another password 456", "another password 456").await.unwrap();

    // Without the source password: the location comes back off, secret cleared, saying why.
    let report = restore(&other, req(&file, "another password 456", None)).await.unwrap();
    assert!(
        report.cleared.contains(&"Backup location “Offsite”: credentials cleared during restore — re-enter and re-enable.".to_string()),
        "{:?}",
        report.cleared
    );
    let l = location::stored(&other, v.id).await.unwrap();
    assert!(!l.settings.enabled && l.secret_enc.is_none());
    assert_eq!(l.disabled_reason.as_deref(), Some("credentials cleared during restore — re-enter and re-enable"));

    // With it: sealed again under this instance's key, opening to the same secret, and on.
    restore(&other, req(&file, "another password 456", Some(PASSWORD))).await.unwrap();
    let l = location::stored(&other, v.id).await.unwrap();
    assert!(l.settings.enabled && l.disabled_reason.is_none());
    let sealed = l.secret_enc.clone().unwrap();
    assert_ne!(Some(sealed), location::stored(&source, v.id).await.unwrap().secret_enc, "re-encrypted for this instance");
    assert_eq!(l.open_secret(&other).unwrap().as_deref().map(String::as_str), Some(S3_SECRET));
}

#[tokio::test]
async fn a_backup_from_before_locations_restores_and_keeps_the_current_ones() {
    let (s, dir) = state().await;
    let file = dir.path().join("old.json");
    export_to(&s, &file).await;
    // The same file as written before this change: no "locations" member in the settings.
    let text = std::fs::read_to_string(&file).unwrap().replace(",\"locations\":[]", "");
    assert!(!text.contains("locations"));
    std::fs::write(&file, text).unwrap();
    let v = location::save(&s, &s3_input("Offsite", "tt")).await.unwrap();
    let report = restore(&s, req(&file, PASSWORD, None)).await.unwrap();
    assert!(!report.settings_changes.iter().any(|c| c.key == "backup.locations"), "{:?}", report.settings_changes);
    assert_eq!(stored_all(&s).await.iter().map(|l| l.id).collect::<Vec<_>>(), vec![v.id]);
    assert!(raw_secret(&s, v.id).await.is_some());
}

/// The storage path's calendar policy, over 70 daily runs (at noon UTC, so the day is the same in
/// the server's zone whatever it is): the exact files that remain, and a preview.
#[tokio::test]
async fn the_storage_path_keeps_its_calendar_policy() {
    use crate::backup::{run, settings as backup_settings};
    use chrono::{Duration, TimeZone, Utc};
    use tt_core::model::backup::BackupSettingsInput;
    use tt_core::model::settings::{BackupSettings, CalendarRetention};
    let start = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
    let clock = crate::clock::ManualClock::new(start);
    let (s, dir) = crate::testing::state_with_clock(std::sync::Arc::new(clock.clone())).await;
    let storage = dir.path().join("stored");
    let input = BackupSettingsInput {
        settings: BackupSettings {
            retention_count: 1,
            storage_path: Some(storage.display().to_string()),
            calendar: Some(CalendarRetention { daily: 3, weekly: 2, monthly: 2 }),
            ..Default::default()
        },
        backup_password: SecretUpdate::keep(),
    };
    backup_settings::save(&s, &input).await.unwrap();
    assert_eq!(backup_settings::overview(&s).await.unwrap().settings.calendar, Some(CalendarRetention { daily: 3, weekly: 2, monthly: 2 }));
    for day in 0..70 {
        clock.set(start + Duration::days(day));
        run::run_now(&s).await.unwrap().unwrap();
    }
    let mut left: Vec<String> = std::fs::read_dir(&storage).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect();
    left.sort();
    let stamp = |d: &str| format!("tracker-tracker-backup-{d}T120000Z.json");
    // The newest of March and February, of this ISO week and the last, and the last three days.
    assert_eq!(left, ["20260228", "20260308", "20260309", "20260310", "20260311"].map(stamp));
    let preview = run::preview_prune(&s, &RetentionPolicy::KeepLast { count: 2 }).await.unwrap();
    assert_eq!(preview.keep.iter().map(|i| i.file_name.clone()).collect::<Vec<_>>(), [stamp("20260311"), stamp("20260310")]);
    assert_eq!(preview.delete.len(), 3);
    assert_eq!(std::fs::read_dir(&storage).unwrap().count(), 5, "a preview deletes nothing");
    // The policy travels in a backup's settings.
    let mut out = Vec::new();
    export(&s, None, s.now(), &mut out).await.unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains(r#""calendar":{"daily":3,"weekly":2,"monthly":2}"#), "the calendar is in the backup");
}

#[tokio::test]
async fn moving_a_location_to_another_place_forgets_the_copies_of_the_old_one() {
    let (s, _dir) = state().await;
    let v = location::save(&s, &s3_input("Offsite", "tt/")).await.unwrap();
    let copies_of = |id: i64| {
        let db = s.db.clone();
        async move { sqlx::query_as::<_, (i64,)>("SELECT COUNT(*) FROM backup_copies WHERE location_id = $1").bind(id).fetch_one(&db).await.unwrap().0 }
    };
    sqlx::query(
        "INSERT INTO backup_copies (location_id, backup_created_at, remote_key, encrypted, sha256, status, started_at, updated_at)
         VALUES ($1, '2026-01-01T03:00:00.000Z', 'tt/tracker-tracker-backup-20260101T030000Z.ttbak', 1, 'ab', 'verified', '2026-01-01T03:00:00.000Z', '2026-01-01T03:00:00.000Z')",
    )
    .bind(v.id)
    .execute(&s.db)
    .await
    .unwrap();
    // The same place under another name and policy: the copy stays this location's.
    let mut same = s3_input("Renamed", "tt/");
    same.id = Some(v.id);
    same.secret = SecretUpdate::default();
    same.settings.retention = RetentionPolicy::KeepLast { count: 3 };
    location::save(&s, &same).await.unwrap();
    assert_eq!(copies_of(v.id).await, 1);
    // Another bucket with the same prefix: the key "tt/…" there was never written by this app.
    let mut moved = same.clone();
    if let LocationTarget::S3(t) = &mut moved.settings.target {
        t.bucket = "another-bucket".into();
    }
    moved.secret = SecretUpdate::set(S3_SECRET);
    location::save(&s, &moved).await.unwrap();
    assert_eq!(copies_of(v.id).await, 0, "retention and the listing must not take the new bucket's objects for ours");
}

async fn raw_row(s: &AppState, id: i64) -> (String, String, Option<String>, String) {
    sqlx::query_as("SELECT name, target, secret_enc, updated_at FROM backup_locations WHERE id = $1").bind(id).fetch_one(&s.db).await.unwrap()
}

#[tokio::test]
async fn the_stored_secret_is_never_used_for_another_server_or_bucket() {
    let (s, _dir) = state().await;
    let v = location::save(&s, &s3_input("Offsite", "tt")).await.unwrap();
    let before = raw_row(&s, v.id).await;
    let edit = |f: &dyn Fn(&mut S3Target)| {
        let mut i = s3_input("Renamed", "tt");
        i.id = Some(v.id);
        i.secret = SecretUpdate::default();
        if let LocationTarget::S3(t) = &mut i.settings.target {
            f(t);
        }
        i
    };
    let refused =
        "Enter the secret key again: the stored one is only sent to the server it was saved for, and the endpoint or the bucket has changed.";
    for moved in [
        edit(&|t| t.endpoint = "http://attacker.example:9000".into()),
        edit(&|t| t.endpoint = "http://127.0.0.1:9001".into()),
        edit(&|t| t.endpoint = "https://127.0.0.1:9000".into()),
        edit(&|t| t.bucket = "another-bucket".into()),
    ] {
        for e in [location::save(&s, &moved).await.unwrap_err(), location::prepare(&s, &moved).await.unwrap_err()] {
            let LocationError::Invalid(i) = e else { panic!("{e:?}") };
            assert_eq!((i.field.as_str(), i.message.as_str()), ("secret_key", refused));
        }
        assert_eq!(raw_row(&s, v.id).await, before, "nothing changed");
    }
    // The same server and bucket (another prefix, a trailing slash): the stored secret is used.
    let same = edit(&|t| {
        t.prefix = "elsewhere".into();
        t.endpoint = "http://127.0.0.1:9000/".into();
    });
    let (_, sealed) = location::prepare(&s, &same).await.unwrap();
    assert_eq!(sealed, before.2);
    // Given again, the new place is saved with it.
    let mut moved = edit(&|t| t.bucket = "another-bucket".into());
    moved.secret = SecretUpdate::set("another secret");
    location::save(&s, &moved).await.unwrap();
    let opened = location::stored(&s, v.id).await.unwrap().open_secret(&s).unwrap().unwrap();
    assert_eq!(opened.as_str(), "another secret");

    // WebDAV: another server in the folder URL is refused too; a folder URL without login there
    // forgets the stored password rather than keep it for later.
    let d = location::save(&s, &dav_input("NAS")).await.unwrap();
    let before = raw_row(&s, d.id).await;
    let mut moved = dav_input("NAS");
    moved.id = Some(d.id);
    moved.secret = SecretUpdate::default();
    moved.settings.target = LocationTarget::Webdav(WebdavTarget { url: "https://other.example/dav/tt".into(), username: Some("me".into()) });
    let LocationError::Invalid(i) = location::save(&s, &moved).await.unwrap_err() else { panic!() };
    assert_eq!(
        (i.field.as_str(), i.message.as_str()),
        (
            "password",
            "Enter the password again: the stored one is only sent to the server it was saved for, and the folder URL now points to another server."
        )
    );
    assert_eq!(raw_row(&s, d.id).await, before);
    moved.settings.target = LocationTarget::Webdav(WebdavTarget { url: "https://cloud.example/other/folder".into(), username: Some("me".into()) });
    assert_eq!(location::prepare(&s, &moved).await.unwrap().1, before.2, "another folder on the same server");
    moved.settings.target = LocationTarget::Webdav(WebdavTarget { url: "https://other.example/dav/tt".into(), username: None });
    location::save(&s, &moved).await.unwrap();
    assert_eq!(raw_secret(&s, d.id).await, None);
}
