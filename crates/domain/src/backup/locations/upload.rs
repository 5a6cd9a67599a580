//! After a run's backup is written and verified locally: a copy to each enabled location,
//! streamed, then read back there and its SHA-256 compared with the local file's; retried with
//! growing pauses when the fault may pass; recorded per location (backup_copies). A location
//! that fails fails alone: the local backup and the other locations are not touched, and the
//! first failure of a streak sends the "backup failed" notification naming the location.
//! Retention runs in a location only after a verified upload there; its stopping is logged and
//! said in the outcome, but is no copy failure (no streak, no notification).
//!
//! A location that requires encryption gets an encrypted copy of a plain backup, made once per
//! run with the stored backup password; without one, its upload fails with a reason saying how
//! to fix it.

use super::copies::{self, NewCopy};
use super::location::{self, StoredLocation};
use super::remote::{Remote, RemoteError};
use super::{retention, LocationError};
use crate::secrets::purpose;
use crate::AppState;
use object_store::path::Path as ObjectPath;
use std::path::{Path, PathBuf};
use tt_core::backup_format::name;
use tt_core::backup_format::Header;
use tt_core::model::locations::CopyStatus;
use zeroize::Zeroizing;

/// The local backup a run wrote and verified.
pub struct Source<'a> {
    pub history_id: i64,
    pub path: &'a Path,
    pub file_name: &'a str,
    pub sha256: &'a str,
    pub encrypted: bool,
    pub header: &'a Header,
}

/// How one location's upload went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub location_id: i64,
    pub location_name: String,
    /// The copy record (None only when the database failed before it was made).
    pub copy_id: Option<i64>,
    /// None: uploaded and verified. Some: why it failed.
    pub failure: Option<String>,
    /// File names retention deleted there afterwards.
    pub pruned: Vec<String>,
    /// Retention after a verified copy stopped (a sentence with a log reference): the copy
    /// stands, so this is no copy failure and counts in no failure streak.
    pub retention_stopped: Option<String>,
}

/// The file one location receives: the local one, or the encrypted copy.
#[derive(Debug, Clone)]
struct Payload {
    path: PathBuf,
    file_name: String,
    sha256: String,
    size: u64,
    encrypted: bool,
}

/// The encrypted copy of a plain backup, made the first time a location needs it.
enum Encrypted {
    NotYet,
    Made(Payload),
    Failed(String),
}

/// Uploads `src` to every enabled location, one after another. Each location stands alone: its
/// failure, the remote's or this server's database's while handling it, is in its outcome (a
/// database fault as a sentence with a log reference) and the next locations still run. Only
/// the list of locations not being readable at all is an error.
pub async fn upload_all(state: &AppState, src: &Source<'_>) -> Result<Vec<Outcome>, LocationError> {
    let locations = location::enabled_names(state).await?;
    let mut encrypted = Encrypted::NotYet;
    let mut outcomes = Vec::new();
    for (id, name) in locations {
        let mut outcome =
            Outcome { location_id: id, location_name: name.clone(), copy_id: None, failure: None, pruned: Vec::new(), retention_stopped: None };
        let done = async {
            let l = location::stored(state, id).await?;
            // Turned off since the list was read: no upload.
            if !l.settings.enabled {
                return Ok(false);
            }
            upload_one(state, &l, src, &mut encrypted, &mut outcome).await.map(|()| true)
        }
        .await;
        if let Ok(false) = done {
            continue;
        }
        if let Err(e) = done {
            let reason = internal(&format!("the copy of {} to the backup location “{name}”", src.file_name), &e);
            if let Some(copy_id) = outcome.copy_id {
                // The attempts counted so far stay as recorded.
                if let Err(e) = copies::set_failed(state, copy_id, &reason).await {
                    tracing::error!("the failed copy {copy_id} could not be recorded as failed: {e}");
                }
            }
            outcome.pruned.clear();
            outcome.failure = Some(reason);
        }
        if let Err(e) = settle(state, id, &name, src.file_name, outcome.failure.as_deref()).await {
            tracing::error!("backup location “{name}”: its failure streak could not be updated: {e}");
        }
        outcomes.push(outcome);
    }
    if let Encrypted::Made(p) = &encrypted {
        let _ = tokio::fs::remove_file(&p.path).await;
    }
    Ok(outcomes)
}

/// The failure streak after one location's upload, and the notification of a streak's first failure.
async fn settle(state: &AppState, id: i64, name: &str, file_name: &str, failure: Option<&str>) -> Result<(), LocationError> {
    match failure {
        None => location::clear_failures(state, id).await,
        Some(reason) => {
            tracing::warn!("backup location “{name}”: the upload of {file_name} failed: {reason}");
            if location::count_failure(state, id).await? {
                notify_failure(state, name, file_name, reason).await;
                location::mark_notified(state, id).await?;
            }
            Ok(())
        }
    }
}

async fn notify_failure(state: &AppState, location_name: &str, file_name: &str, reason: &str) {
    let message = format!(
        "The backup {file_name} was written and verified on the server, but its copy to the backup location “{location_name}” failed: {reason}"
    );
    let outcomes = crate::notify::send_event(state, "backup_failed", "Tracker Tracker: backup failed", &message).await;
    let failed = outcomes.iter().filter(|o| o.is_err()).count();
    if failed > 0 {
        tracing::warn!("{failed} backup-failure notification(s) could not be delivered");
    }
}

/// One location's copy, its steps recorded in `outcome` as they happen (so a database fault
/// half-way still leaves the copy's id to record it against).
async fn upload_one(
    state: &AppState,
    l: &StoredLocation,
    src: &Source<'_>,
    encrypted: &mut Encrypted,
    outcome: &mut Outcome,
) -> Result<(), LocationError> {
    let local = Payload {
        path: src.path.to_path_buf(),
        file_name: src.file_name.to_string(),
        sha256: src.sha256.to_string(),
        size: tokio::fs::metadata(src.path).await.map(|m| m.len()).unwrap_or(0),
        encrypted: src.encrypted,
    };
    let payload = if l.settings.require_encryption && !src.encrypted {
        if let Encrypted::NotYet = encrypted {
            *encrypted = match make_encrypted_copy(state, src).await {
                Ok(p) => Encrypted::Made(p),
                Err(reason) => Encrypted::Failed(reason),
            };
        }
        match encrypted {
            Encrypted::Made(p) => Ok(p.clone()),
            Encrypted::Failed(reason) => Err(reason.clone()),
            Encrypted::NotYet => Err("the encrypted copy was not made".to_string()),
        }
    } else {
        Ok(local)
    };
    // The record first: the History shows the copy while it is being made, and its failure.
    let remote = l.client(state);
    let (file_name, encrypted_flag, size, sha) = match &payload {
        Ok(p) => (p.file_name.clone(), p.encrypted, p.size, p.sha256.clone()),
        Err(_) => (encrypted_name(src.file_name), true, 0, String::new()),
    };
    let remote_key = match &remote {
        Ok(r) => r.key_text(&file_name),
        Err(_) => file_name.clone(),
    };
    let copy_id = copies::start(
        state,
        &NewCopy {
            location_id: l.id,
            history_id: src.history_id,
            backup_created_at: src.header.created_at,
            remote_key: &remote_key,
            encrypted: encrypted_flag,
            size,
            sha256: &sha,
            instance_url: src.header.instance_url.as_deref(),
            app_version: &src.header.app_version,
        },
    )
    .await?;
    outcome.copy_id = Some(copy_id);
    let fail = |reason: String| async move {
        copies::set_status(state, copy_id, CopyStatus::Failed, 0, Some(&reason)).await?;
        Ok::<_, LocationError>(reason)
    };
    let payload = match payload {
        Ok(p) => p,
        Err(reason) => {
            outcome.failure = Some(fail(reason).await?);
            return Ok(());
        }
    };
    let remote = match remote {
        Ok(r) => r,
        Err(e) => {
            outcome.failure = Some(fail(e.to_string()).await?);
            return Ok(());
        }
    };
    // Never over another object: a name taken there (another instance's backup of the same
    // second) gets "-2", "-3", … as a local one would.
    let mut payload = payload;
    let free = match free_name(&remote, &payload.file_name).await {
        Ok(free) => free,
        Err(e) => {
            // Without knowing the name is free, nothing is written (nor removed after a failure).
            outcome.failure = Some(fail(e.to_string()).await?);
            return Ok(());
        }
    };
    if free != payload.file_name {
        copies::set_key(state, copy_id, &remote.key_text(&free)).await?;
        payload.file_name = free;
    }
    match send_with_retries(state, &remote, copy_id, &mut payload).await? {
        // The copy stands verified whatever retention does next.
        Ok(()) => match retention::apply(state, l, &remote).await {
            Ok(pruned) => {
                if !pruned.is_empty() {
                    tracing::info!("backup location “{}”: retention removed {} old backup(s)", l.settings.name, pruned.len());
                }
                outcome.pruned = pruned;
            }
            Err(e) => {
                let reason = internal(&format!("retention in the backup location “{}”", l.settings.name), &e);
                tracing::warn!("backup location “{}”: the copy is verified, but retention there stopped: {reason}", l.settings.name);
                outcome.retention_stopped = Some(format!("The copy was uploaded and verified, but retention there stopped: {reason}."));
            }
        },
        Err(reason) => outcome.failure = Some(reason),
    }
    Ok(())
}

/// `file_name`, or the first of `stem-2.ext`, `stem-3.ext`, … that no object has there. A check
/// that fails is an error: guessing could overwrite (and, after a failed upload, remove) an
/// object this app did not write.
async fn free_name(remote: &Remote, file_name: &str) -> Result<String, RemoteError> {
    let (base, from, ext) = numbered(file_name);
    let candidates = std::iter::once(file_name.to_string()).chain((from..from + 100).map(|n| format!("{base}-{n}.{ext}")));
    for candidate in candidates {
        if !remote.exists(&remote.key(&candidate)).await? {
            return Ok(candidate);
        }
    }
    Err(RemoteError::NoFreeName { place: remote.place().to_string(), name: file_name.to_string() })
}

/// A name's base, the next counter and the extension: a name that has a counter already
/// ("…Z-2") counts on from it.
fn numbered(file_name: &str) -> (&str, u32, &str) {
    let (stem, ext) = file_name.rsplit_once('.').unwrap_or((file_name, ""));
    match stem.rsplit_once('-') {
        Some((base, n)) if n.parse::<u32>().is_ok_and(|n| n >= 2) => (base, n.parse::<u32>().unwrap_or(1) + 1, ext),
        _ => (stem, 2, ext),
    }
}

/// The name after `file_name` in the "-2", "-3", … sequence.
fn next_name(file_name: &str) -> String {
    let (base, n, ext) = numbered(file_name);
    format!("{base}-{n}.{ext}")
}

/// The name of a plain backup's encrypted copy: the same stamp, `.ttbak`.
fn encrypted_name(file_name: &str) -> String {
    match file_name.strip_suffix(".json") {
        Some(stem) => format!("{stem}.ttbak"),
        None => file_name.to_string(),
    }
}

/// The pauses between a location's upload attempts: `retry_pause`, then doubled each time.
pub fn retry_pauses(settings: &crate::config::RemoteSettings) -> Vec<std::time::Duration> {
    let attempts = settings.upload_attempts.max(1);
    (1..attempts).map(|i| settings.retry_pause.saturating_mul(1 << (i - 1).min(16))).collect()
}

/// What this copy's own attempts may have left at the key being written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Left {
    Nothing,
    /// The PUT was answered as done: the object there is ours (perhaps damaged).
    Ours,
    /// An attempt failed after its request may have gone out (cut off, timed out, a server
    /// error): the server may have kept the whole file, a partial one, or nothing.
    Maybe,
}

/// Whether a failed write may have reached the server (its body started going out).
fn may_have_written(e: &RemoteError) -> bool {
    use super::remote::ConnectFailure;
    match e {
        RemoteError::Connection { why: ConnectFailure::Refused | ConnectFailure::Unreachable, .. } | RemoteError::Dns { .. } => false,
        RemoteError::Connection { .. } | RemoteError::Protocol { .. } => true,
        _ => false,
    }
}

/// Uploads and verifies, retrying faults that may pass; records each step. A name found taken
/// by the create-only write moves the upload to the next free name, without counting as an
/// attempt — unless this copy's own earlier attempt may be what holds it: an object there that
/// is the backup byte for byte is the upload done (its answer was lost); a damaged one known
/// ours (its PUT was answered) is deleted before the next attempt; one that differs and cannot
/// be proved ours (it appeared after a cut-off attempt: a partial file, or another instance's)
/// is kept, never deleted, and recorded as a failed copy so the History and the listing show
/// it. The outer error is the database's, the inner one the location's reason.
async fn send_with_retries(state: &AppState, remote: &Remote, copy_id: i64, p: &mut Payload) -> Result<Result<(), String>, LocationError> {
    let pauses = retry_pauses(&state.config.remote);
    let attempts = pauses.len() as u32 + 1;
    let mut key = ObjectPath::from(remote.key_text(&p.file_name).as_str());
    let mut attempt = 1;
    let mut renames = 0;
    let mut left = Left::Nothing;
    loop {
        if left == Left::Ours {
            // Our damaged or unchecked object: replaced, under the same name.
            match remote.delete(&key).await {
                Ok(()) => left = Left::Nothing,
                Err(e) => tracing::info!("backup location {}: our earlier upload at {key} could not be removed yet: {e}", remote.place()),
            }
        }
        copies::set_status(state, copy_id, CopyStatus::Uploading, attempt as i64, None).await?;
        let e = match remote.put_file(&key, &p.path).await {
            Ok(_) => {
                left = Left::Ours;
                copies::set_status(state, copy_id, CopyStatus::Uploaded, attempt as i64, None).await?;
                match verify(remote, &key, &p.sha256).await {
                    Ok(_) => {
                        copies::set_status(state, copy_id, CopyStatus::Verified, attempt as i64, None).await?;
                        return Ok(Ok(()));
                    }
                    Err(e) => e,
                }
            }
            Err(RemoteError::Taken { .. }) if left != Left::Nothing => match remote.read_sha256(&key).await {
                Ok((_, found)) if found == p.sha256 => {
                    tracing::info!(
                        "backup location {}: {key} already holds this backup whole (an earlier attempt's answer was lost)",
                        remote.place()
                    );
                    copies::set_status(state, copy_id, CopyStatus::Uploaded, attempt as i64, None).await?;
                    copies::set_status(state, copy_id, CopyStatus::Verified, attempt as i64, None).await?;
                    return Ok(Ok(()));
                }
                Ok((size, found)) if left == Left::Ours => {
                    RemoteError::Corrupted { place: remote.place().to_string(), expected: p.sha256.clone(), found, size }
                }
                Ok((size, _)) => {
                    let reason = format!(
                        "An earlier attempt of this upload was cut off, and then this name held an object of {size} bytes that is not this backup (what the server kept of the cut-off upload, or another instance's backup): it was kept, since this app deletes only what it can prove it wrote. The backup went up under another name."
                    );
                    let left_id = copies::record_left(state, copy_id, key.as_ref(), &reason).await?;
                    tracing::warn!("backup location {}: {key} was left as failed copy {left_id}: {reason}", remote.place());
                    left = Left::Nothing;
                    match rename(state, remote, copy_id, p, &mut key).await? {
                        Ok(()) => continue,
                        Err(e) => e,
                    }
                }
                Err(e) => e,
            },
            Err(RemoteError::Taken { key: taken, .. }) => match remote.exists(&key).await {
                // Refused as taken, yet nothing is there: the server refuses every create-only write.
                Ok(false) => RemoteError::CreateOnlyRefused { place: remote.place().to_string() },
                Ok(true) if renames < 100 => {
                    renames += 1;
                    tracing::info!("backup location {}: {taken} was taken meanwhile", remote.place());
                    match rename(state, remote, copy_id, p, &mut key).await? {
                        Ok(()) => continue,
                        Err(e) => e,
                    }
                }
                Ok(true) => RemoteError::NoFreeName { place: remote.place().to_string(), name: p.file_name.clone() },
                Err(e) => e,
            },
            Err(e) => {
                if left == Left::Nothing && may_have_written(&e) {
                    left = Left::Maybe;
                }
                e
            }
        };
        let reason = e.to_string();
        if !e.is_transient() || attempt >= attempts {
            let mut reason = if attempt > 1 { format!("{reason} (after {attempt} attempts)") } else { reason };
            match left {
                // Ours and not verified: it goes.
                Left::Ours => {
                    if let Err(e) = remote.delete(&key).await {
                        tracing::warn!("after the failed upload, our copy at {key} could not be removed: {e}");
                        reason.push_str(&format!(" The damaged copy there could not be removed ({e}); it stays recorded as this failed copy."));
                    }
                }
                // A cut-off attempt may have left something: the whole backup is the upload
                // done; anything else is kept and said, recorded as this failed copy.
                Left::Maybe => match remote.read_sha256(&key).await {
                    Ok((_, found)) if found == p.sha256 => {
                        tracing::info!("backup location {}: {key} holds this backup whole (a cut-off attempt's write went through)", remote.place());
                        copies::set_status(state, copy_id, CopyStatus::Uploaded, attempt as i64, None).await?;
                        copies::set_status(state, copy_id, CopyStatus::Verified, attempt as i64, None).await?;
                        return Ok(Ok(()));
                    }
                    Ok((size, _)) => reason.push_str(&format!(
                        " The cut-off upload left an object of {size} bytes at {key}: it was kept (this app deletes only what it can prove it wrote) and is recorded as this failed copy."
                    )),
                    Err(_) => {}
                },
                Left::Nothing => {}
            }
            copies::set_status(state, copy_id, CopyStatus::Failed, attempt as i64, Some(&reason)).await?;
            return Ok(Err(reason));
        }
        let pause = pauses[(attempt - 1) as usize];
        copies::set_status(state, copy_id, CopyStatus::Retrying, attempt as i64, Some(&reason)).await?;
        tracing::info!("backup location {}: attempt {attempt} failed ({reason}); trying again in {pause:?}", remote.place());
        tokio::time::sleep(pause).await;
        attempt += 1;
    }
}

/// Moves the upload to the next free name after `p.file_name`, recorded. The inner error: no
/// free name could be found (the check failed, or all were taken).
async fn rename(
    state: &AppState,
    remote: &Remote,
    copy_id: i64,
    p: &mut Payload,
    key: &mut ObjectPath,
) -> Result<Result<(), RemoteError>, LocationError> {
    match free_name(remote, &next_name(&p.file_name)).await {
        Ok(free) => {
            tracing::info!("backup location {}: uploading as {free}", remote.place());
            copies::set_key(state, copy_id, &remote.key_text(&free)).await?;
            *key = ObjectPath::from(remote.key_text(&free).as_str());
            p.file_name = free;
            Ok(Ok(()))
        }
        Err(e) => Ok(Err(e)),
    }
}

/// Reads the object back whole and compares its SHA-256 with the expected one.
pub async fn verify(remote: &Remote, key: &ObjectPath, expected: &str) -> Result<u64, RemoteError> {
    let (size, found) = remote.read_sha256(key).await?;
    if found != expected {
        return Err(RemoteError::Corrupted { place: remote.place().to_string(), expected: expected.to_string(), found, size });
    }
    Ok(size)
}

/// Re-reads a copy and checks it against the hash recorded when it was uploaded; records the
/// outcome (verified, or failed with the reason).
pub async fn verify_copy(state: &AppState, copy_id: i64) -> Result<tt_core::model::locations::RemoteCopy, LocationError> {
    let c = copies::row(state, copy_id).await?;
    let l = location::stored(state, c.location_id).await?;
    let remote = l.client(state)?;
    let Some(sha) = c.sha256.clone().filter(|s| !s.is_empty()) else {
        return Err(tt_core::validate::invalid("copy_id", "This copy was never uploaded, so there is nothing to check.").into());
    };
    let key = ObjectPath::from(c.remote_key.as_str());
    match verify(&remote, &key, &sha).await {
        Ok(_) => copies::set_status(state, c.id, CopyStatus::Verified, c.attempts, None).await?,
        // The location unreachable for now says nothing of the copy: its record (and pin) stays.
        Err(e) if e.is_transient() && !matches!(e, RemoteError::Corrupted { .. }) => return Err(e.into()),
        Err(e) => copies::set_status(state, c.id, CopyStatus::Failed, c.attempts, Some(&format!("Checked again: {e}"))).await?,
    }
    let mut views = copies::by_history(state).await?;
    let fresh = copies::row(state, c.id).await?;
    Ok(c.history_id.and_then(|h| views.remove(&h)).and_then(|v| v.into_iter().find(|x| x.id == c.id)).unwrap_or_else(|| fresh.view(l.settings.name)))
}

/// Writes the encrypted copy of a plain backup into the upload directory (removed at start-up
/// after a crash), and checks it whole. The reason when it cannot be made.
async fn make_encrypted_copy(state: &AppState, src: &Source<'_>) -> Result<Payload, String> {
    let s = crate::settings::load(&state.db).await.map_err(|e| internal("loading the settings", &e))?;
    let Some(sealed) = s.backup_password_enc.as_deref() else {
        return Err("This location requires encryption, but no backup password is set: set one in Settings → Backups (encrypting the local backups may stay off), or turn off “Require encryption” for this location.".into());
    };
    let password: Zeroizing<String> = state.keys.open(purpose::BACKUP_PASSWORD, sealed).map_err(|e| internal("opening the backup password", &e))?;
    let dir = state.config.upload_dir();
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(|e| crate::backup::disk::io_problem(e.kind(), crate::backup::disk::FsRole::UploadDir, Some(&dir)))?;
    let file_name = encrypted_name(src.file_name);
    let out = dir.join(format!("location-copy-{:08x}-{file_name}", rand::random::<u32>()));
    let (input, output, costs) = (src.path.to_path_buf(), out.clone(), state.config.kdf.backup_file);
    let pw = password.clone();
    let written = tokio::task::spawn_blocking(move || encrypt_file(&input, &output, pw.as_bytes(), costs))
        .await
        .map_err(|e| internal("encrypting the copy", &e))?;
    let (size, sha256) = match written {
        Ok(w) => w,
        Err(e) => {
            let _ = std::fs::remove_file(&out);
            return Err(format!(
                "the encrypted copy could not be written: {}",
                crate::backup::disk::io_problem(e.kind(), crate::backup::disk::FsRole::UploadDir, Some(&dir))
            ));
        }
    };
    if let Err(e) = crate::backup::disk::verify_file(&out, Some(&sha256), Some(password)).await {
        let _ = std::fs::remove_file(&out);
        return Err(format!("the encrypted copy failed its check, so it was not uploaded: {e}"));
    }
    Ok(Payload { path: out, file_name, sha256, size, encrypted: true })
}

fn internal(what: &str, e: &dyn std::fmt::Display) -> String {
    let reference = format!("{:08x}", rand::random::<u32>());
    tracing::error!(reference, "backup location upload: {what}: {e}");
    format!("an internal error on the server (server log reference {reference})")
}

/// A writer that hashes and counts what passes through.
struct Hashing<W: std::io::Write> {
    inner: W,
    hasher: sha2::Sha256,
    size: u64,
}

impl<W: std::io::Write> std::io::Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        use sha2::Digest;
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn encrypt_file(input: &Path, output: &Path, password: &[u8], costs: tt_core::backup_format::encrypted::KdfParams) -> std::io::Result<(u64, String)> {
    use sha2::Digest;
    use std::io::Write;
    use tt_core::backup_format::encrypted::TtbakWriter;
    let out = std::fs::OpenOptions::new().write(true).create_new(true).open(output)?;
    let hashing = Hashing { inner: std::io::BufWriter::with_capacity(256 * 1024, out), hasher: sha2::Sha256::new(), size: 0 };
    let writer = TtbakWriter::new(hashing, password, costs).map_err(std::io::Error::other)?;
    let mut buffered = std::io::BufWriter::with_capacity(256 * 1024, writer);
    std::io::copy(&mut std::io::BufReader::with_capacity(256 * 1024, std::fs::File::open(input)?), &mut buffered)?;
    let writer = buffered.into_inner().map_err(|e| std::io::Error::new(e.error().kind(), "flushing the encrypted copy failed"))?;
    let mut hashing = writer.finish().map_err(std::io::Error::other)?;
    hashing.flush()?;
    let file = hashing.inner.into_inner().map_err(|e| std::io::Error::new(e.error().kind(), "flushing the encrypted copy failed"))?;
    file.sync_all()?;
    Ok((hashing.size, hex::encode(hashing.hasher.finalize())))
}

/// Whether a name in a location is one of this app's backups (retention and listing use it).
pub fn is_backup_name(file_name: &str) -> bool {
    name::is_backup_file_name(file_name)
}

#[cfg(test)]
mod schedule_tests {
    use super::{next_name, retry_pauses};
    use crate::config::RemoteSettings;
    use std::time::Duration;

    /// The binary's schedule, as README and docs/security.md say it: three attempts, 30 s then
    /// 60 s apart (the tests run the same loop with `RemoteSettings::QUICK`'s 200 ms).
    #[test]
    fn the_production_retry_schedule_is_three_attempts_30_s_then_60_s_apart() {
        assert_eq!(retry_pauses(&RemoteSettings::PRODUCTION), [Duration::from_secs(30), Duration::from_secs(60)]);
        assert_eq!(retry_pauses(&RemoteSettings::QUICK), [Duration::from_millis(200), Duration::from_millis(400)]);
        assert_eq!(retry_pauses(&RemoteSettings { upload_attempts: 1, ..RemoteSettings::PRODUCTION }), Vec::<Duration>::new());
        assert_eq!(retry_pauses(&RemoteSettings { upload_attempts: 0, ..RemoteSettings::PRODUCTION }), Vec::<Duration>::new());
    }

    #[test]
    fn a_taken_name_moves_to_the_next_number() {
        assert_eq!(next_name("tracker-tracker-backup-20261201T030000Z.ttbak"), "tracker-tracker-backup-20261201T030000Z-2.ttbak");
        assert_eq!(next_name("tracker-tracker-backup-20261201T030000Z-2.ttbak"), "tracker-tracker-backup-20261201T030000Z-3.ttbak");
        assert_eq!(next_name("tracker-tracker-backup-20261201T030000Z-9.json"), "tracker-tracker-backup-20261201T030000Z-10.json");
    }
}
