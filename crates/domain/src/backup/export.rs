//! Export: streams the instance's data from one consistent read transaction into a plain or
//! encrypted backup, chunk by chunk, so memory stays bounded whatever the size.

use super::tables::{count_sql, decode, select_sql};
use super::{BackupError, FsRole};
use crate::{auth, AppState};
use futures::TryStreamExt;
use sha2::{Digest, Sha256};
use std::io::Write;
use tt_core::backup_format::encrypted::TtbakWriter;
use tt_core::backup_format::plain::PlainWriter;
use tt_core::backup_format::records::Record;
use tt_core::backup_format::{Counts, FileKind, FormatError, Header, Section};
use zeroize::Zeroizing;

/// Output is handed over in chunks of about this size.
const CHUNK: usize = 256 * 1024;

/// Where exported bytes go: an HTTP response, a file, a buffer.
pub trait ExportOutput: Send {
    fn put(&mut self, chunk: Vec<u8>) -> impl std::future::Future<Output = std::io::Result<()>> + Send;
}

impl ExportOutput for Vec<u8> {
    async fn put(&mut self, chunk: Vec<u8>) -> std::io::Result<()> {
        self.extend_from_slice(&chunk);
        Ok(())
    }
}

impl<'a> ExportOutput for Box<dyn tokio::io::AsyncWrite + Send + Unpin + 'a> {
    async fn put(&mut self, chunk: Vec<u8>) -> std::io::Result<()> {
        tokio::io::AsyncWriteExt::write_all(self, &chunk).await
    }
}

/// An HTTP response body: a closed receiver (the browser went away) stops the export.
impl ExportOutput for tokio::sync::mpsc::Sender<Result<bytes::Bytes, std::io::Error>> {
    async fn put(&mut self, chunk: Vec<u8>) -> std::io::Result<()> {
        self.send(Ok(bytes::Bytes::from(chunk))).await.map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the download was cancelled"))
    }
}

#[derive(Debug, Clone)]
pub struct ExportSummary {
    pub header: Header,
    pub kind: FileKind,
    pub file_name: String,
    pub size: u64,
    pub sha256: String,
}

/// The bytes between the format writer and the output: plain, or through the .ttbak encryptor.
enum Sink {
    Plain(Vec<u8>),
    /// Buffered: the JSON writer makes many tiny writes, and deflate works far faster on big ones.
    Encrypted(Box<std::io::BufWriter<TtbakWriter<Vec<u8>>>>),
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Sink::Plain(v) => v.write(buf),
            Sink::Encrypted(w) => w.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Sink {
    fn ready(&mut self) -> &mut Vec<u8> {
        match self {
            Sink::Plain(v) => v,
            Sink::Encrypted(w) => w.get_mut().get_mut(),
        }
    }

    fn finish(self) -> Result<Vec<u8>, BackupError> {
        match self {
            Sink::Plain(v) => Ok(v),
            Sink::Encrypted(w) => {
                let inner = w.into_inner().map_err(|e| BackupError::Fs { role: FsRole::BackupFile, path: None, kind: e.error().kind() })?;
                Ok(inner.finish().map_err(FormatError::from)?)
            }
        }
    }
}

struct Counter<'a, O: ExportOutput> {
    out: &'a mut O,
    hasher: Sha256,
    size: u64,
}

impl<O: ExportOutput> Counter<'_, O> {
    async fn put(&mut self, chunk: Vec<u8>) -> Result<(), BackupError> {
        if chunk.is_empty() {
            return Ok(());
        }
        self.hasher.update(&chunk);
        self.size += chunk.len() as u64;
        // Without a path: the caller that knows where it writes adds it (BackupError::at).
        self.out.put(chunk).await.map_err(|e| BackupError::Fs { role: FsRole::BackupFile, path: None, kind: e.kind() })
    }
}

fn write_record<W: Write>(w: &mut PlainWriter<W>, r: &Record) -> Result<(), FormatError> {
    match r {
        Record::Settings(s) => w.settings(s),
        Record::Tracker(x) => w.record(x.id, x),
        Record::TrackerRole(x) => w.record(x.id, x),
        Record::TrackerSnapshot(x) => w.record(x.id, x),
        Record::DownloadClient(x) => w.record(x.id, x),
        Record::ClientSnapshot(x) => w.record(x.id, x),
        Record::ClientUptimeBucket(x) => w.record(x.id, x),
        Record::TagGroup(x) => w.record(x.id, x),
        Record::TagGroupMember(x) => w.record(x.id, x),
        Record::NotificationTarget(x) => w.record(x.id, x),
        Record::DismissedAlert(x) => w.record(x.id, x),
    }
}

/// Writes a backup of everything a backup holds to `out`. Encrypted (.ttbak) when `password`
/// is given. Reads from a single transaction, so the counts in the header match the records.
pub async fn export<O: ExportOutput>(
    state: &AppState,
    password: Option<Zeroizing<String>>,
    created_at: chrono::DateTime<chrono::Utc>,
    out: &mut O,
) -> Result<ExportSummary, BackupError> {
    let key_wrap = auth::portable_key_wrap(state).await?;
    let kind = if password.is_some() { FileKind::Encrypted } else { FileKind::Plain };
    let sink = match password {
        None => Sink::Plain(Vec::with_capacity(CHUNK * 2)),
        Some(pw) => {
            let costs = state.config.kdf.backup_file;
            // Argon2id takes a moment: keep it off the async workers.
            let w = tokio::task::spawn_blocking(move || TtbakWriter::new(Vec::with_capacity(CHUNK * 2), pw.as_bytes(), costs))
                .await
                .map_err(|e| BackupError::Internal(e.to_string()))?
                .map_err(FormatError::from)?;
            Sink::Encrypted(Box::new(std::io::BufWriter::with_capacity(CHUNK, w)))
        }
    };

    let mut tx = state.db.begin().await?;
    let mut counts = Counts::default();
    for section in Section::ALL {
        let (n,): (i64,) = sqlx::query_as(&count_sql(section)).fetch_one(&mut *tx).await?;
        *counts.get_mut(section) = n as u64;
    }
    let now = created_at;
    let header = Header::new(now, state.config.base_url.clone(), counts);
    let mut counter = Counter { out, hasher: Sha256::new(), size: 0 };
    let mut writer = PlainWriter::begin(sink, &header, Some(&key_wrap))?;
    // A notification target's tracker scope is a JSON list, not a foreign key: ids of trackers
    // deleted since are dropped here, so every reference in the file resolves.
    let mut tracker_ids = std::collections::HashSet::new();

    for section in Section::ALL {
        if section == Section::Settings {
            let row = sqlx::query(&select_sql(section)).fetch_one(&mut *tx).await?;
            let mut record = decode(section, &row)?;
            // The backup locations travel in the settings record (their own table).
            if let Record::Settings(s) = &mut record {
                s.locations = Some(super::locations::location::records(&mut tx).await?);
            }
            write_record(&mut writer, &record)?;
            continue;
        }
        writer.begin_section(section)?;
        let sql = select_sql(section);
        let mut rows = sqlx::query(&sql).fetch(&mut *tx);
        while let Some(row) = rows.try_next().await? {
            let mut record = decode(section, &row)?;
            match &mut record {
                Record::Tracker(t) => {
                    tracker_ids.insert(t.id);
                }
                Record::NotificationTarget(t) => {
                    if let Some(ids) = &mut t.settings.tracker_ids {
                        ids.retain(|id| tracker_ids.contains(id));
                        if ids.is_empty() {
                            // Every tracker it was limited to is gone: keep it, but off, saying why.
                            t.settings.tracker_ids = None;
                            t.settings.enabled = false;
                            t.disabled_reason = Some("every tracker it was limited to was deleted — choose trackers and re-enable".into());
                        }
                    }
                }
                _ => {}
            }
            write_record(&mut writer, &record)?;
            if writer.get_mut().ready().len() >= CHUNK {
                let chunk = std::mem::replace(writer.get_mut().ready(), Vec::with_capacity(CHUNK * 2));
                counter.put(chunk).await?;
            }
        }
        drop(rows);
        writer.end_section()?;
    }
    tx.rollback().await?;
    let rest = writer.finish()?.finish()?;
    counter.put(rest).await?;
    let Counter { hasher, size, .. } = counter;
    Ok(ExportSummary { file_name: tt_core::backup_format::file_name(now, kind), header, kind, size, sha256: hex::encode(hasher.finalize()) })
}
