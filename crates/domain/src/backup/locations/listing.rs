//! The backups a location holds, written by this instance or another one: every object with one
//! of this app's backup names directly under the prefix (or in the folder), with its date, size,
//! kind and the instance that wrote it. A plain backup's header is read with a ranged request
//! of its first bytes (the header is the file's first member); an encrypted backup's header is
//! inside the encryption, so for one this instance did not upload only its container (from the
//! first bytes) and the time in its name are known.

use super::copies::{self, CopyRow};
use super::location::StoredLocation;
use super::remote::Remote;
use super::LocationError;
use crate::AppState;
use futures::StreamExt;
use std::collections::HashMap;
use tt_core::backup_format::{encrypted, name, plain};
use tt_core::model::locations::{RemoteBackup, RemoteKind};

/// Bytes read from the start of a plain backup for its header (counts and URL fit well within).
const HEADER_BYTES: u64 = 16 * 1024;

pub async fn list(state: &AppState, location: &StoredLocation) -> Result<Vec<RemoteBackup>, LocationError> {
    let remote = location.client(state)?;
    let objects = remote.list().await?;
    let rows: HashMap<String, CopyRow> = copies::of_location(state, location.id).await?.into_iter().map(|c| (c.remote_key.clone(), c)).collect();
    let found: Vec<(String, String, u64, chrono::DateTime<chrono::Utc>)> = objects
        .into_iter()
        .filter_map(|m| {
            let key = m.location.to_string();
            let file = remote.file_name_of(&key)?.to_string();
            name::is_backup_file_name(&file).then_some((key, file, m.size, m.last_modified))
        })
        .collect();
    let described = futures::stream::iter(found)
        .map(|(key, file, size, modified)| {
            let remote = &remote;
            let copy = rows.get(&key).cloned();
            let name = location.settings.name.clone();
            async move { describe(remote, key, file, size, modified, copy, name).await }
        })
        .buffered(4)
        .collect::<Vec<_>>()
        .await;
    let mut out = described;
    out.sort_by(|a, b| (b.created_at, counter(&b.file_name), &b.file_name).cmp(&(a.created_at, counter(&a.file_name), &a.file_name)));
    Ok(out)
}

/// The `-N` a name got when its second was taken (0 without): later within the same second.
fn counter(file_name: &str) -> u32 {
    let stem = file_name.rsplit_once('.').map(|(s, _)| s).unwrap_or(file_name);
    stem.rsplit_once('-').and_then(|(_, n)| n.parse().ok()).unwrap_or(0)
}

async fn describe(
    remote: &Remote,
    key: String,
    file_name: String,
    size: u64,
    modified: chrono::DateTime<chrono::Utc>,
    copy: Option<CopyRow>,
    location_name: String,
) -> RemoteBackup {
    let from_name = name::parse(&file_name).and_then(|n| n.created_at);
    let mut b = RemoteBackup {
        key: key.clone(),
        file_name,
        size_bytes: size as i64,
        modified_at: Some(modified),
        kind: RemoteKind::Unreadable,
        created_at: from_name,
        instance_url: None,
        app_version: None,
        described_by: "name".into(),
        copy: None,
    };
    if let Some(c) = copy {
        b.kind = if c.encrypted { RemoteKind::Encrypted } else { RemoteKind::Plain };
        b.created_at = Some(c.backup_created_at);
        b.instance_url = c.instance_url.clone();
        b.app_version = c.app_version.clone();
        b.described_by = "record".into();
        b.copy = Some(c.view(location_name));
        return b;
    }
    let start = match remote.read_start(&object_store::path::Path::from(key.as_str()), size, HEADER_BYTES).await {
        Ok(bytes) => bytes,
        Err(e) => {
            tracing::warn!("listing {}: the start of {key} could not be read: {e}", remote.place());
            return b;
        }
    };
    if encrypted::looks_encrypted(&start) {
        b.kind = RemoteKind::Encrypted;
        return b;
    }
    if let Ok(Some(h)) = plain::sniff_header(&start) {
        b.kind = RemoteKind::Plain;
        b.created_at = Some(h.created_at);
        b.instance_url = h.instance_url;
        b.app_version = Some(h.app_version);
        b.described_by = "header".into();
    }
    b
}
