//! Restore: validate the whole file first, then — in one transaction — delete the current data,
//! write the backup's, carry its secrets over (re-encrypted for this instance when they come from
//! another), and reset the failed-login counter. The login password, the instance salt and the
//! sessions stay; so does two-factor login unless the person chooses the backup's. A dry run
//! stops after validation and returns the same report (see `report` for what it compares).

use super::history::Trigger;
use super::original;
use super::report::{self, TotpSides};
use super::run;
use super::tables;
use super::{BackupError, FsRole};
use crate::auth;
use crate::secrets::{purpose, DataKey, KeyWrapCrypto};
use crate::AppState;
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tt_core::backup_format::check::{Checked, Checker, SecretRef};
use tt_core::backup_format::encrypted::TtbakReader;
use tt_core::backup_format::plain::{self, Item};
use tt_core::backup_format::records::{Record, SettingsRecord};
use tt_core::backup_format::Counts;
use tt_core::backup_format::{FileKind, FormatError, Section};
use tt_core::model::backup::{PreRestoreBackup, RestoreReport, SectionCount, TotpChoice, TotpFate};
use zeroize::Zeroizing;

pub struct RestoreRequest {
    /// The backup file (an upload received to a temporary file, or a stored backup).
    pub file: PathBuf,
    /// The current login password (checked; a wrong one counts as a failed login).
    pub current_password: Zeroizing<String>,
    /// The backup password, for a .ttbak.
    pub backup_password: Option<Zeroizing<String>>,
    /// The login password of the instance the backup came from, when it differs.
    pub source_password: Option<Zeroizing<String>>,
    /// Keep this instance's two-factor login (the default) or take the backup's.
    pub totp: TotpChoice,
    pub dry_run: bool,
}

/// Who can open the backup's secrets.
enum KeySource {
    /// Made with this instance's data key: keep the values as they are.
    Same,
    /// Another instance's key, opened with a password: re-encrypt.
    Other(DataKey),
    /// Nobody: clear them.
    Unavailable,
}

/// Sentences for cleared secrets, per owner kind.
const CLEARED_CREDENTIALS: &str = "credentials cleared during restore — re-enter and re-enable";
const CLEARED_TOKEN: &str = "API token missing: cleared during restore — re-enter it and re-activate the tracker";

fn open_reader(path: &Path, password: Option<&Zeroizing<String>>) -> Result<Box<dyn Read + Send>, BackupError> {
    let fs_err = |e: std::io::Error| BackupError::fs(FsRole::BackupFile, path, &e);
    let file = std::io::BufReader::with_capacity(256 * 1024, std::fs::File::open(path).map_err(fs_err)?);
    match tt_core::backup_format::open(file).map_err(fs_err)? {
        (FileKind::Plain, reader) => Ok(Box::new(reader)),
        (FileKind::Encrypted, reader) => {
            let pw = password.ok_or(BackupError::BackupPasswordNeeded)?;
            Ok(Box::new(TtbakReader::new(reader, pw.as_bytes()).map_err(FormatError::from)?))
        }
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, BackupError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| BackupError::Internal(e.to_string()))
}

/// Pass 1: reads and checks the whole file; nothing is changed.
async fn check_file(path: &Path, backup_password: Option<&Zeroizing<String>>) -> Result<Checked, BackupError> {
    let path = path.to_path_buf();
    let pw = backup_password.cloned();
    blocking(move || -> Result<Checked, BackupError> {
        let reader = open_reader(&path, pw.as_ref())?;
        Ok(tt_core::backup_format::check::check_all(reader)?)
    })
    .await?
}

type SecretKey = (Section, Option<i64>, &'static str);

/// Works out, for every sealed value, what this instance will store: the same value, a
/// re-encrypted one, or nothing.
fn translate_all(source: &KeySource, ours: &DataKey, secrets: &[SecretRef]) -> HashMap<SecretKey, Option<String>> {
    secrets
        .iter()
        .map(|r| {
            let sealed = &r.sealed;
            let new = match source {
                KeySource::Same => ours.open(r.purpose, sealed).ok().map(|_| sealed.clone()),
                KeySource::Other(key) => key.open(r.purpose, sealed).ok().map(|plain| ours.seal(r.purpose, &plain)),
                KeySource::Unavailable => None,
            };
            ((r.section, r.owner_id, r.purpose), new)
        })
        .collect()
}

/// Two-factor login's secrets are not among these: the 2FA report says what happens to them.
fn cleared_sentence(r: &SecretRef) -> String {
    match r.purpose {
        purpose::TRACKER_API_TOKEN => format!("Tracker “{}”: {CLEARED_TOKEN}.", r.owner_name),
        purpose::CLIENT_USERNAME | purpose::CLIENT_PASSWORD => format!("Download client “{}”: {CLEARED_CREDENTIALS}.", r.owner_name),
        purpose::NOTIFICATION_CONFIG => format!("Notification target “{}”: {CLEARED_CREDENTIALS}.", r.owner_name),
        purpose::LOCATION_SECRET => format!("Backup location “{}”: {CLEARED_CREDENTIALS}.", r.owner_name),
        purpose::PROXY_PASSWORD => "Proxy: password cleared during restore — the proxy is off until you enter it again in Settings → General.".into(),
        purpose::BACKUP_PASSWORD => {
            "Backups: the backup password was cleared — scheduled backups are paused and encryption is off until you set it again in Settings → Backups.".into()
        }
        other => format!("{other}: cleared during restore."),
    }
}

fn is_totp(purpose: &str) -> bool {
    purpose == purpose::TOTP_SECRET || purpose == purpose::TOTP_BACKUP_CODES
}

/// Whose key sealed the backup's secrets. The current login password is tried first (people
/// often keep theirs), then the source password; a source password that does not open the key
/// is said as such instead of silently clearing every secret.
async fn key_source(checked: &Checked, ours: &DataKey, req: &RestoreRequest) -> Result<KeySource, BackupError> {
    let Some(w) = &checked.key_wrap else { return Ok(KeySource::Unavailable) };
    if w.key_id == ours.key_id() {
        return Ok(KeySource::Same);
    }
    let wrap = w.clone();
    let current = req.current_password.clone();
    let given = req.source_password.clone();
    let key = blocking(move || wrap.open(&current).ok().or_else(|| given.as_ref().and_then(|pw| wrap.open(pw).ok()))).await?;
    match key {
        Some(k) => Ok(KeySource::Other(k)),
        None if req.source_password.is_some() => Err(BackupError::WrongSourcePassword),
        None => Ok(KeySource::Unavailable),
    }
}

/// The backup's sealed value opened to its plaintext, when its key is at hand.
fn open_backup_value(source: &KeySource, ours: &DataKey, purpose: &str, sealed: &Option<String>) -> Option<Zeroizing<Vec<u8>>> {
    let sealed = sealed.as_ref()?;
    match source {
        KeySource::Same => ours.open(purpose, sealed).ok(),
        KeySource::Other(key) => key.open(purpose, sealed).ok(),
        KeySource::Unavailable => None,
    }
}

fn totp_sides(current: &SettingsRecord, backup: Option<&SettingsRecord>, source: &KeySource, ours: &DataKey) -> TotpSides {
    let enabled_now = current.totp.enabled && current.totp.secret.is_some();
    let now_secret = current.totp.secret.as_ref().filter(|_| enabled_now).and_then(|s| ours.open(purpose::TOTP_SECRET, s).ok());
    let (enabled_in_backup, backup_secret, codes_carried) = match backup {
        Some(b) => (
            b.totp.enabled,
            open_backup_value(source, ours, purpose::TOTP_SECRET, &b.totp.secret),
            open_backup_value(source, ours, purpose::TOTP_BACKUP_CODES, &b.totp.backup_codes).is_some(),
        ),
        None => (false, None, false),
    };
    let same_secret = match (&now_secret, &backup_secret) {
        (Some(a), Some(b)) => auth::totp::constant_time_eq(a, b),
        _ => false,
    };
    TotpSides { enabled_now, enabled_in_backup, carried: backup_secret.is_some(), same_secret, codes_carried }
}

/// Validates the backup and, unless it is a dry run, restores it. A backup of the original
/// Tracker Tracker (Node.js) is first converted to a temporary native backup (`original`), which
/// is then restored exactly like any other.
pub async fn restore(state: &AppState, req: RestoreRequest) -> Result<RestoreReport, BackupError> {
    let path = req.file.clone();
    let Some(sniffed) = blocking(move || original::detect(&path)).await?? else {
        return restore_native(state, req).await;
    };
    // Checked (and a failure counted) before the file is even converted.
    auth::verify_current_password(state, &req.current_password).await?;
    let work_dir = state.config.upload_dir();
    let path = req.file.clone();
    let pw = original::Passwords { current: req.current_password.clone(), source: req.source_password.clone(), backup: req.backup_password.clone() };
    let prepared = blocking(move || original::prepare(&path, &sniffed, &pw, &work_dir)).await??;
    let native = RestoreRequest {
        file: prepared.native.to_path_buf(),
        current_password: req.current_password,
        backup_password: None,
        // Opens the temporary file's key wrap: its secrets are then translated like a
        // cross-instance backup's.
        source_password: Some(prepared.wrap_password.clone()),
        totp: req.totp,
        dry_run: req.dry_run,
    };
    let mut report = restore_native(state, native).await?;
    report.original = Some(prepared.report);
    Ok(report)
}

/// [`restore`] of a native backup file.
async fn restore_native(state: &AppState, req: RestoreRequest) -> Result<RestoreReport, BackupError> {
    auth::verify_current_password(state, &req.current_password).await?;
    let checked = check_file(&req.file, req.backup_password.as_ref()).await?;

    let ours = state.keys.get()?;
    let source = key_source(&checked, &ours, &req).await?;
    let translations = translate_all(&source, &ours, &checked.secrets);
    let current = report::current(&state.db).await?;
    let sides = totp_sides(&current.settings, checked.settings.as_ref(), &source, &ours);
    let totp = sides.report(req.totp, req.dry_run);
    let totp_disabled = totp.fate == TotpFate::TurnedOffNotCarried;
    // 2FA's own secrets are told by the 2FA report; when it is kept they are not used at all.
    let counted = |r: &&SecretRef| !(req.totp == TotpChoice::KeepCurrent && is_totp(r.purpose));
    let mut cleared: Vec<String> = Vec::new();
    let (mut kept, mut lost) = (0u64, 0u64);
    for r in checked.secrets.iter().filter(counted) {
        match translations.get(&(r.section, r.owner_id, r.purpose)) {
            Some(Some(_)) => kept += 1,
            _ => {
                lost += 1;
                let line = cleared_sentence(r);
                if !is_totp(r.purpose) && !cleared.contains(&line) {
                    cleared.push(line);
                }
            }
        }
    }
    // The settings as they will be: the backup's, less what could not be carried.
    let mut after = checked.settings.clone().unwrap_or_else(|| current.settings.clone());
    apply_settings_secrets(&mut after, &translations, totp_disabled);
    // A backup from before locations existed keeps the current ones.
    if after.locations.is_none() {
        after.locations = current.settings.locations.clone();
    }
    if req.totp == TotpChoice::KeepCurrent {
        after.totp = current.settings.totp.clone();
    }
    let mut warnings = Vec::new();
    if let Some(path) = &after.backup.storage_path {
        if let Some(why) = super::settings::storage_dir_problem(Path::new(path)).await {
            let scheduled = if after.backup.schedule_enabled { " Scheduled backups will fail until then." } else { "" };
            warnings.push(format!(
                "Backups: the backup's storage path {path} cannot be used on this server ({why}). Choose another in Settings → Backups after restoring.{scheduled}"
            ));
        }
    }
    let (disappearing, appearing) = report::name_changes(&current.names, &checked.names);
    let mut report = RestoreReport {
        dry_run: req.dry_run,
        header: checked.header.clone(),
        restored: Section::ALL
            .iter()
            .map(|s| SectionCount { section: s.key().into(), label: s.label().into(), count: checked.counts.get(*s), now: current.count(*s) })
            .collect(),
        secrets_kept: kept,
        secrets_cleared: lost,
        cleared,
        totp_disabled,
        // Both sides are sealed with this instance's key by now (the backup's were translated).
        settings_changes: report::settings_changes(&current.settings, &after, |p, a, b| match (ours.open(p, a), ours.open(p, b)) {
            (Ok(a), Ok(b)) => auth::totp::constant_time_eq(&a, &b),
            _ => false,
        }),
        totp,
        disappearing,
        appearing,
        same_key: matches!(source, KeySource::Same),
        instance_url_differs: tt_core::rules::instance_urls_differ(checked.header.instance_url.as_deref(), state.config.base_url.as_deref()),
        warnings,
        pre_restore_backup: None,
        original: None,
    };
    if req.dry_run {
        return Ok(report);
    }

    // Undo point: the current data, saved and verified before anything is deleted.
    let saved = run::write_backup(state, Trigger::PreRestore)
        .await
        .map_err(|e| BackupError::Storage(format!("the current data could not be saved before restoring, so nothing was changed: {e}")))?;
    report.pre_restore_backup = Some(PreRestoreBackup { id: saved.history_id, file_name: saved.file_name, encrypted: saved.encrypted });

    let before = crate::settings::load(&state.db).await?;
    write_all(state, &req, &checked.counts, Arc::new(translations), totp_disabled).await?;
    // Undo points do not pile up: the oldest go, never this restore's.
    match run::prune_pre_restore(state).await {
        Ok(gone) if !gone.is_empty() => tracing::info!("removed {} old pre-restore backup(s)", gone.len()),
        Ok(_) => {}
        Err(e) => tracing::warn!("old pre-restore backups could not be pruned: {e}"),
    }
    // A backup whose schedule is on must not start a run the moment it is restored. The data is
    // committed by now: a failure here is logged, not reported as a failed restore.
    if let Err(e) = super::scheduler::settings_changed(state, before.backup_schedule_enabled, before.backup_frequency).await {
        tracing::warn!("after the restore, the backup schedule could not be updated: {e}");
    }
    tracing::info!(
        "restore committed: {} records from a backup made {} ({} secrets kept, {} cleared)",
        checked.counts.total(),
        checked.header.created_at,
        report.secrets_kept,
        report.secrets_cleared
    );
    Ok(report)
}

enum Msg {
    Batch(Section, Vec<Record>),
    Done(Box<Checked>),
    Failed(BackupError),
}

/// Pass 2, in one transaction. The file is read again (and checked again, so a file changed
/// between the passes is refused) on a blocking thread that hands batches to this task.
async fn write_all(
    state: &AppState,
    req: &RestoreRequest,
    expected: &Counts,
    translations: Arc<HashMap<SecretKey, Option<String>>>,
    totp_disabled: bool,
) -> Result<(), BackupError> {
    let (tx_msgs, mut rx) = tokio::sync::mpsc::channel::<Msg>(4);
    let path = req.file.clone();
    let pw = req.backup_password.clone();
    let parser = tokio::task::spawn_blocking(move || {
        let run = || -> Result<Checked, BackupError> {
            let reader = open_reader(&path, pw.as_ref())?;
            let mut checker = Checker::new();
            let mut batch: Vec<Record> = Vec::with_capacity(tables::BATCH_ROWS);
            let mut current: Option<Section> = None;
            plain::read(reader, |item| {
                checker.item(&item)?;
                match item {
                    Item::Record(r) => {
                        current = Some(r.section());
                        batch.push(r);
                        if batch.len() >= tables::BATCH_ROWS {
                            send_batch(&tx_msgs, current, &mut batch)?;
                        }
                    }
                    Item::SectionEnd { .. } => send_batch(&tx_msgs, current, &mut batch)?,
                    _ => {}
                }
                Ok(())
            })?;
            Ok(checker.finish()?)
        };
        let msg = match run() {
            Ok(c) => Msg::Done(Box::new(c)),
            Err(e) => Msg::Failed(e),
        };
        let _ = tx_msgs.blocking_send(msg);
    });

    let mut tx = state.db.begin().await?;
    tracing::info!("restore: replacing the instance's data");
    tables::wipe(&mut tx).await?;
    // Read under the write lock the wipe took, so a login meanwhile cannot be rolled back.
    let used_codes = auth::totp::used_codes(&mut tx, state).await?;
    let kept_totp = match req.totp {
        TotpChoice::KeepCurrent => Some(auth::totp::columns(&mut tx).await?),
        TotpChoice::TakeBackup => None,
    };
    let now = state.now();
    let mut finished = false;
    while let Some(msg) = rx.recv().await {
        match msg {
            Msg::Batch(section, mut records) => {
                for r in &mut records {
                    apply_secrets(r, &translations, totp_disabled);
                }
                if section == Section::Settings {
                    if let Some(Record::Settings(s)) = records.first() {
                        tables::write_settings(&mut tx, s, now).await?;
                        if let Some(list) = &s.locations {
                            super::locations::location::restore_records(&mut tx, list).await?;
                        }
                    }
                } else {
                    tables::insert_batch(&mut tx, section, &records).await?;
                    if section == Section::TrackerSnapshots {
                        test_hold_point().await;
                    }
                }
            }
            Msg::Done(second) => {
                if &second.counts != expected {
                    return Err(BackupError::Storage("the backup file changed while it was being restored; nothing was changed".into()));
                }
                finished = true;
                break;
            }
            Msg::Failed(e) => return Err(e),
        }
    }
    drop(rx);
    let _ = parser.await;
    if !finished {
        return Err(BackupError::Internal("the backup reader stopped early".into()));
    }
    match &kept_totp {
        // Two-factor login exactly as it was before: secret, codes, last used step, set-up in progress.
        Some(columns) => auth::totp::restore_columns(&mut tx, columns).await?,
        None => {
            if let Some(used) = &used_codes {
                auth::totp::keep_used_codes_used(&mut tx, state, used).await?;
            }
        }
    }
    sqlx::query("UPDATE instance SET failed_login_attempts = 0, locked_until = NULL WHERE id = 1").execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// A test's handle on the middle of a restore, in debug builds only: with `TT_TEST_HOLD_RESTORE`
/// set, the restore stops inside its transaction after its first tracker snapshots are written
/// and waits to be killed, so restore_crash kills it there every time instead of racing a big
/// table. Release builds have no such hook.
async fn test_hold_point() {
    #[cfg(debug_assertions)]
    if std::env::var_os("TT_TEST_HOLD_RESTORE").is_some() {
        tracing::warn!("restore: held inside its transaction (TT_TEST_HOLD_RESTORE), waiting to be killed");
        std::future::pending::<()>().await;
    }
}

fn send_batch(tx: &tokio::sync::mpsc::Sender<Msg>, section: Option<Section>, batch: &mut Vec<Record>) -> Result<(), FormatError> {
    let Some(section) = section else { return Ok(()) };
    if batch.is_empty() {
        return Ok(());
    }
    let full = std::mem::replace(batch, Vec::with_capacity(tables::BATCH_ROWS));
    tx.blocking_send(Msg::Batch(section, full)).map_err(|_| FormatError::Io("the restore was stopped".into()))
}

/// Replaces each sealed value by what this instance stores, and disables owners whose secrets
/// were cleared, with a visible reason.
fn apply_secrets(r: &mut Record, t: &HashMap<SecretKey, Option<String>>, totp_disabled: bool) {
    let get = |section: Section, id: Option<i64>, p: &'static str, v: &Option<String>| sealed_or_lost(t, section, id, p, v);
    match r {
        Record::Settings(s) => apply_settings_secrets(s, t, totp_disabled),
        Record::Tracker(x) => {
            let (v, lost) = get(Section::Trackers, Some(x.id), purpose::TRACKER_API_TOKEN, &x.api_token);
            x.api_token = v;
            if lost {
                x.config.is_active = false;
                x.disabled_reason = Some(CLEARED_TOKEN.into());
            }
        }
        Record::DownloadClient(x) => {
            let (u, lost_u) = get(Section::DownloadClients, Some(x.id), purpose::CLIENT_USERNAME, &x.username);
            let (p, lost_p) = get(Section::DownloadClients, Some(x.id), purpose::CLIENT_PASSWORD, &x.password);
            x.username = u;
            x.password = p;
            if lost_u || lost_p {
                x.config.enabled = false;
                x.disabled_reason = Some(CLEARED_CREDENTIALS.into());
            }
        }
        Record::NotificationTarget(x) => {
            let (v, lost) = get(Section::NotificationTargets, Some(x.id), purpose::NOTIFICATION_CONFIG, &x.config);
            x.config = v;
            if lost {
                x.settings.enabled = false;
                x.disabled_reason = Some(CLEARED_CREDENTIALS.into());
            }
        }
        _ => {}
    }
}

fn sealed_or_lost(
    t: &HashMap<SecretKey, Option<String>>,
    section: Section,
    id: Option<i64>,
    p: &'static str,
    v: &Option<String>,
) -> (Option<String>, bool) {
    match v {
        None => (None, false),
        Some(_) => match t.get(&(section, id, p)) {
            Some(Some(new)) => (Some(new.clone()), false),
            _ => (None, true),
        },
    }
}

/// The settings' part of [`apply_secrets`]: a lost proxy password turns the proxy off, a lost
/// backup password turns scheduled and encrypted backups off, a lost 2FA secret turns 2FA off.
fn apply_settings_secrets(s: &mut SettingsRecord, t: &HashMap<SecretKey, Option<String>>, totp_disabled: bool) {
    let get = |section: Section, id: Option<i64>, p: &'static str, v: &Option<String>| sealed_or_lost(t, section, id, p, v);
    let (v, lost) = get(Section::Settings, None, purpose::PROXY_PASSWORD, &s.proxy_password);
    s.proxy_password = v;
    if lost {
        s.general.proxy_enabled = false;
    }
    let (secret, _) = get(Section::Settings, None, purpose::TOTP_SECRET, &s.totp.secret);
    let (codes, _) = get(Section::Settings, None, purpose::TOTP_BACKUP_CODES, &s.totp.backup_codes);
    if totp_disabled || secret.is_none() {
        s.totp.enabled = false;
        s.totp.secret = None;
        s.totp.backup_codes = None;
    } else {
        s.totp.secret = secret;
        s.totp.backup_codes = codes;
    }
    let (v, lost) = get(Section::Settings, None, purpose::BACKUP_PASSWORD, &s.backup_password);
    s.backup_password = v;
    if lost {
        // Encryption without a password would refuse every backup, the undo point included.
        s.backup.schedule_enabled = false;
        s.backup.encrypt = false;
    }
    for l in s.locations.iter_mut().flatten() {
        let (v, lost) = get(Section::Settings, Some(l.id), purpose::LOCATION_SECRET, &l.secret);
        l.secret = v;
        if lost {
            l.settings.enabled = false;
            l.disabled_reason = Some(CLEARED_CREDENTIALS.into());
        }
    }
}
