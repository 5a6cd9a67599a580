//! The client of one backup location: object_store's S3 store (request signing, multipart
//! uploads) or its WebDAV-style HTTP store, plus what goes wrong, classified into typed causes
//! with a sentence each (DNS, connection, TLS, credentials, missing bucket or folder,
//! permission). Nothing here touches the database.
//!
//! Uploads stream from the file with bounded memory: S3 in parts of `RemoteSettings::part_size`
//! (at most two in flight), WebDAV as one PUT whose body is read from the file as it is sent
//! (object_store's HTTP store has no multipart and needs the whole body in memory; the PUT is
//! the same request it would send). Reads stream too.
//!
//! Uploads are create-only where the protocol allows it, so an object another instance put at
//! the name since it was checked is never written over (`RemoteError::Taken`): a WebDAV PUT and
//! an S3 single-request PUT carry `If-None-Match: *`. An S3 multipart upload (above
//! `part_size`) cannot: object_store 0.13 completes it without a condition, so there only the
//! check of the name just before guards it.

use crate::config::RemoteSettings;
use bytes::Bytes;
use futures::StreamExt;
use object_store::aws::{AmazonS3Builder, AwsAuthorizer, AwsCredential};
use object_store::client::HttpErrorKind;
use object_store::http::HttpBuilder;
use object_store::path::Path as ObjectPath;
use object_store::{BackoffConfig, ClientOptions, ObjectStore, ObjectStoreExt, PutPayload, RetryConfig, WriteMultipart};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tt_core::model::locations::{LocationTarget, RemoteProblem};

/// What a listing gives for each object (its key, size, time).
pub use object_store::ObjectMeta;

/// What the app was doing when a remote operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    List,
    Write,
    Read,
    Delete,
}

impl Op {
    fn doing(self) -> &'static str {
        match self {
            Op::List => "listing its contents",
            Op::Write => "uploading",
            Op::Read => "reading back",
            Op::Delete => "deleting",
        }
    }

    fn may_not(self) -> &'static str {
        match self {
            Op::List => "list the contents of",
            Op::Write => "write to",
            Op::Read => "read from",
            Op::Delete => "delete from",
        }
    }
}

/// Why a connection could not be made or went away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectFailure {
    Refused,
    TimedOut,
    Unreachable,
    /// Cut off (reset, closed, aborted) while in use.
    CutOff,
}

/// Why an https connection failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsFailure {
    /// The handshake failed although the port answers: not TLS there (a plain HTTP port), or a
    /// broken TLS set-up.
    Handshake,
    UnknownIssuer,
    Expired,
    WrongName,
    BadCertificate,
}

/// Why the credentials were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialFailure {
    /// S3 `InvalidAccessKeyId`.
    UnknownKey,
    /// S3 `SignatureDoesNotMatch`.
    WrongSecret,
    /// S3 `RequestTimeTooSkewed`: this server's clock is off.
    ClockSkew,
    /// HTTP 401 (WebDAV), or S3 refused them without saying why.
    Refused,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    Bucket { bucket: String, endpoint: String },
    Folder { url: String },
    Object { key: String },
}

#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error("The address {host} cannot be found (its DNS lookup failed): check the spelling of the address, or this server's DNS settings.")]
    Dns { host: String },
    #[error("{}", connection_sentence(addr, *why))]
    Connection { addr: String, why: ConnectFailure },
    #[error("{}", tls_sentence(addr, *why))]
    Tls { addr: String, why: TlsFailure },
    #[error("{}", credentials_sentence(place, *why))]
    Credentials { place: String, why: CredentialFailure },
    #[error("The bucket {bucket} is in another region{}: set the region to it.", region.as_ref().map(|r| format!(" ({r})")).unwrap_or_default())]
    Region { bucket: String, region: Option<String> },
    #[error("{}", missing_sentence(what))]
    Missing { what: Missing },
    #[error("The credentials work, but they may not {} {place} (access denied): give them that permission.", op.may_not())]
    Permission { place: String, op: Op },
    #[error("The WebDAV server of {place} is full (507 Insufficient Storage): free some space there, or raise the quota of this user, then run the backup again.")]
    Full { place: String },
    /// A create-only write found an object at the name (written there since the name was
    /// checked): the upload picks the next free name.
    #[error("{place} already holds {key}, so nothing was written over it.")]
    Taken { place: String, key: String },
    /// Every create-only write is refused as taken, yet nothing is at the name.
    #[error("{place} refuses create-only uploads (it answers “already exists” for a name that holds nothing), so nothing was written: this app never uploads without that guard there.")]
    CreateOnlyRefused { place: String },
    #[error("{place} answered something this app does not understand while {}; the details are in the server log (reference {reference}).", op.doing())]
    Protocol { place: String, op: Op, reference: String },
    #[error("The copy in {place} differs from the local file: read back, its SHA-256 is {found} ({size} bytes), the local file's is {expected}.")]
    Corrupted { place: String, expected: String, found: String, size: u64 },
    #[error("{}", crate::backup::io_problem(*kind, crate::backup::FsRole::BackupFile, Some(path)))]
    Local { path: PathBuf, kind: std::io::ErrorKind },
    #[error(
        "{place} already holds {name} and the next 100 numbered names after it, so nothing was written there (this app never writes over an object)."
    )]
    NoFreeName { place: String, name: String },
}

fn connection_sentence(addr: &str, why: ConnectFailure) -> String {
    match why {
        ConnectFailure::Refused => {
            format!("Nothing accepts connections at {addr} (connection refused): check the address and port, and that the server is running.")
        }
        ConnectFailure::TimedOut => {
            format!("{addr} did not answer in time: check the address and port, and any firewall between this server and it.")
        }
        ConnectFailure::Unreachable => {
            format!("{addr} cannot be reached from this server (no route to it): check the address and this server's network.")
        }
        ConnectFailure::CutOff => format!("The connection to {addr} was cut off before the request finished (the server closed or reset it)."),
    }
}

fn tls_sentence(addr: &str, why: TlsFailure) -> String {
    let what = match why {
        TlsFailure::Handshake => {
            "the TLS handshake failed. If the server serves plain HTTP on this port, use an http:// address; otherwise check its TLS set-up"
        }
        TlsFailure::UnknownIssuer => "its certificate is not signed by an authority this server trusts (self-signed?)",
        TlsFailure::Expired => "its certificate has expired (or is not valid yet: check this server's clock too)",
        TlsFailure::WrongName => "its certificate is made out to another name: use the name in the certificate",
        TlsFailure::BadCertificate => "its certificate is invalid",
    };
    format!("The https connection to {addr} failed: {what}.")
}

fn credentials_sentence(place: &str, why: CredentialFailure) -> String {
    match why {
        CredentialFailure::UnknownKey => format!("{place} does not know this access key id (InvalidAccessKeyId): check it."),
        CredentialFailure::WrongSecret => {
            format!("{place} refused the secret key: it does not match the access key id (SignatureDoesNotMatch). Enter it again.")
        }
        CredentialFailure::ClockSkew => {
            format!("{place} refused the request because this server's clock is wrong (RequestTimeTooSkewed): set its time right (NTP).")
        }
        CredentialFailure::Refused => format!("{place} refused the credentials: check the user name or access key and the password or secret key."),
    }
}

fn missing_sentence(what: &Missing) -> String {
    match what {
        Missing::Bucket { bucket, endpoint } => {
            format!("The bucket {bucket} does not exist at {endpoint}: create it, or check its name and the endpoint.")
        }
        Missing::Folder { url } => format!("The folder {url} does not exist on the WebDAV server: create it, or check the URL."),
        Missing::Object { key } => format!("{key} is not in the location (any more)."),
    }
}

impl RemoteError {
    /// The kind of failure, for the page.
    pub fn problem(&self) -> RemoteProblem {
        match self {
            RemoteError::Dns { .. } => RemoteProblem::Dns,
            RemoteError::Connection { .. } => RemoteProblem::Connection,
            RemoteError::Tls { .. } => RemoteProblem::Tls,
            RemoteError::Credentials { .. } => RemoteProblem::Credentials,
            RemoteError::Region { .. } | RemoteError::Missing { .. } => RemoteProblem::Missing,
            RemoteError::Permission { .. } => RemoteProblem::Permission,
            RemoteError::Full { .. }
            | RemoteError::Protocol { .. }
            | RemoteError::Local { .. }
            | RemoteError::NoFreeName { .. }
            | RemoteError::Taken { .. }
            | RemoteError::CreateOnlyRefused { .. } => RemoteProblem::Protocol,
            RemoteError::Corrupted { .. } => RemoteProblem::Corrupted,
        }
    }

    /// A fault that may pass by itself, worth another attempt after a pause: a connection
    /// problem, a server error, a damaged transfer. A wrong setting is not.
    pub fn is_transient(&self) -> bool {
        matches!(self, RemoteError::Dns { .. } | RemoteError::Connection { .. } | RemoteError::Protocol { .. } | RemoteError::Corrupted { .. })
    }
}

/// What the error chain of a failed request says, typed.
#[derive(Debug, Default)]
struct Causes {
    http: Option<HttpErrorKind>,
    io: Option<std::io::ErrorKind>,
    tls: Option<TlsFailure>,
    timeout: bool,
}

fn tls_failure(e: &rustls::Error) -> TlsFailure {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(C::UnknownIssuer) => TlsFailure::UnknownIssuer,
        rustls::Error::InvalidCertificate(C::Expired | C::ExpiredContext { .. } | C::NotValidYet | C::NotValidYetContext { .. }) => {
            TlsFailure::Expired
        }
        rustls::Error::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. }) => TlsFailure::WrongName,
        rustls::Error::InvalidCertificate(_) => TlsFailure::BadCertificate,
        _ => TlsFailure::Handshake,
    }
}

fn causes(e: &(dyn std::error::Error + 'static)) -> Causes {
    let mut c = Causes::default();
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(h) = err.downcast_ref::<object_store::client::HttpError>() {
            c.http.get_or_insert(h.kind());
        }
        if let Some(r) = err.downcast_ref::<reqwest::Error>() {
            c.timeout |= r.is_timeout();
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            c.io.get_or_insert(io.kind());
            // tokio-rustls hands TLS failures over inside an io::Error.
            if let Some(t) = io.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
                c.tls = Some(tls_failure(t));
            }
        }
        if let Some(t) = err.downcast_ref::<rustls::Error>() {
            c.tls = Some(tls_failure(t));
        }
        cur = err.source();
    }
    c
}

/// S3's error document (`<Error><Code>…</Code>…<Region>…</Region></Error>`).
#[derive(Debug, serde::Deserialize)]
struct S3ErrorDoc {
    #[serde(rename = "Code")]
    code: String,
    #[serde(rename = "Region", default)]
    region: Option<String>,
}

enum Flavour {
    S3 {
        bucket: String,
        /// Where the bucket's objects are: `endpoint/bucket` (path style) or `bucket.host`.
        bucket_url: String,
        region: String,
        credential: AwsCredential,
    },
    Webdav {
        base: reqwest::Url,
    },
}

/// One location's client.
pub struct Remote {
    store: Arc<dyn ObjectStore>,
    flavour: Flavour,
    /// S3's key prefix (None: the top of the bucket). WebDAV: the folder URL is the store's base.
    prefix: Option<ObjectPath>,
    /// Plain requests beside object_store: the WebDAV upload, S3's diagnosis of a refusal.
    http: reqwest::Client,
    /// For DNS and TCP checks when a request could not be made.
    host: String,
    port: u16,
    https: bool,
    /// "the bucket my-backups at https://…" / "the folder https://…", in sentences.
    place: String,
    settings: RemoteSettings,
}

impl Remote {
    /// A client for `target` (validated) with its secret. Makes no request.
    pub fn open(target: &LocationTarget, secret: Option<&str>, settings: &RemoteSettings) -> Result<Remote, RemoteError> {
        let bad_url = |url: &str| RemoteError::Protocol { place: url.to_string(), op: Op::List, reference: reference_for("invalid URL", &url) };
        let endpoint = match target {
            LocationTarget::S3(s) => &s.endpoint,
            LocationTarget::Webdav(w) => &w.url,
        };
        let url = reqwest::Url::parse(endpoint).map_err(|_| bad_url(endpoint))?;
        let host = url.host_str().ok_or_else(|| bad_url(endpoint))?.to_string();
        let port = url.port_or_known_default().ok_or_else(|| bad_url(endpoint))?;
        let https = url.scheme() == "https";
        let options =
            ClientOptions::new().with_timeout(settings.request_timeout).with_connect_timeout(settings.connect_timeout).with_allow_http(!https);
        let retry = RetryConfig {
            backoff: BackoffConfig { init_backoff: Duration::from_millis(500), max_backoff: Duration::from_secs(10), base: 2.0 },
            max_retries: settings.request_retries,
            retry_timeout: Duration::from_secs(120),
        };
        let mut http = reqwest::Client::builder().connect_timeout(settings.connect_timeout).timeout(settings.request_timeout);
        let (store, flavour, prefix, place): (Arc<dyn ObjectStore>, _, _, _) = match target {
            LocationTarget::S3(s) => {
                // Virtual-hosted style: object_store expects the bucket in the endpoint's host.
                let (endpoint, bucket_url) = if s.path_style {
                    (s.endpoint.clone(), format!("{}/{}", s.endpoint, s.bucket))
                } else {
                    let mut u = url.clone();
                    u.set_host(Some(&format!("{}.{host}", s.bucket))).map_err(|_| bad_url(endpoint))?;
                    let u = u.as_str().trim_end_matches('/').to_string();
                    (u.clone(), u)
                };
                let store = AmazonS3Builder::new()
                    .with_endpoint(endpoint)
                    .with_region(&s.region)
                    .with_bucket_name(&s.bucket)
                    .with_access_key_id(&s.access_key_id)
                    .with_secret_access_key(secret.unwrap_or_default())
                    .with_virtual_hosted_style_request(!s.path_style)
                    .with_allow_http(!https)
                    .with_client_options(options)
                    .with_retry(retry)
                    .build()
                    .map_err(|e| RemoteError::Protocol { place: target.describe(), op: Op::List, reference: reference_for("S3 client", &e) })?;
                let prefix = (!s.prefix.is_empty()).then(|| ObjectPath::from(s.prefix.as_str()));
                let place = format!("the bucket {} at {}", s.bucket, s.endpoint);
                let credential = AwsCredential { key_id: s.access_key_id.clone(), secret_key: secret.unwrap_or_default().to_string(), token: None };
                let flavour = Flavour::S3 { bucket: s.bucket.clone(), bucket_url, region: s.region.clone(), credential };
                (Arc::new(store) as Arc<dyn ObjectStore>, flavour, prefix, place)
            }
            LocationTarget::Webdav(w) => {
                let mut headers = http::HeaderMap::new();
                if let Some(user) = &w.username {
                    use base64::Engine;
                    let token =
                        zeroize::Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(format!("{user}:{}", secret.unwrap_or_default())));
                    let mut value = http::HeaderValue::from_str(&format!("Basic {}", token.as_str()))
                        .map_err(|_| RemoteError::Credentials { place: format!("the folder {}", w.url), why: CredentialFailure::Refused })?;
                    value.set_sensitive(true);
                    headers.insert(http::header::AUTHORIZATION, value);
                }
                http = http.default_headers(headers.clone());
                let store = HttpBuilder::new()
                    .with_url(&w.url)
                    .with_client_options(options.with_default_headers(headers))
                    .with_retry(retry)
                    .build()
                    .map_err(|e| RemoteError::Protocol { place: target.describe(), op: Op::List, reference: reference_for("WebDAV client", &e) })?;
                (Arc::new(store) as Arc<dyn ObjectStore>, Flavour::Webdav { base: url.clone() }, None, format!("the folder {}", w.url))
            }
        };
        let http =
            http.build().map_err(|e| RemoteError::Protocol { place: place.clone(), op: Op::List, reference: reference_for("HTTP client", &e) })?;
        Ok(Remote { store, flavour, prefix, http, host, port, https, place, settings: settings.clone() })
    }

    /// The location, in sentences ("the bucket … at …", "the folder …").
    pub fn place(&self) -> &str {
        &self.place
    }

    /// The key of a file in the location (under the prefix).
    pub fn key(&self, file_name: &str) -> ObjectPath {
        match &self.prefix {
            Some(p) => p.clone().join(file_name),
            None => ObjectPath::from(file_name),
        }
    }

    /// A key as stored and shown ("prefix/name").
    pub fn key_text(&self, file_name: &str) -> String {
        self.key(file_name).to_string()
    }

    /// Whether `key` (as listed) lies directly under this location's prefix, and its file name.
    pub fn file_name_of<'a>(&self, key: &'a str) -> Option<&'a str> {
        let rest = match &self.prefix {
            Some(p) => key.strip_prefix(p.as_ref())?.strip_prefix('/')?,
            None => key,
        };
        (!rest.is_empty() && !rest.contains('/')).then_some(rest)
    }

    /// The objects directly under the prefix (or in the folder), their locations as keys.
    pub async fn list(&self) -> Result<Vec<object_store::ObjectMeta>, RemoteError> {
        let objects = match self.store.list_with_delimiter(self.prefix.as_ref()).await {
            Ok(r) => r.objects,
            Err(e) => return Err(self.classify(Op::List, &e).await),
        };
        match &self.flavour {
            Flavour::S3 { .. } => Ok(objects),
            // The HTTP store lists paths from the server's root: keys are relative to the folder.
            Flavour::Webdav { base } => {
                let folder = ObjectPath::from_url_path(base.path()).unwrap_or_default();
                Ok(objects
                    .into_iter()
                    .filter_map(|mut m| {
                        let rest: Vec<_> = m.location.prefix_match(&folder)?.collect();
                        m.location = ObjectPath::from_iter(rest);
                        Some(m)
                    })
                    .collect())
            }
        }
    }

    /// Uploads a file to `key`, streamed; returns the bytes sent.
    pub async fn put_file(&self, key: &ObjectPath, path: &Path) -> Result<u64, RemoteError> {
        let local = |e: std::io::Error| RemoteError::Local { path: path.to_path_buf(), kind: e.kind() };
        let size = tokio::fs::metadata(path).await.map_err(local)?.len();
        match &self.flavour {
            Flavour::Webdav { base } => self.webdav_put(base, key, path, size).await.map(|_| size),
            Flavour::S3 { .. } if size <= self.settings.part_size as u64 => {
                let bytes = tokio::fs::read(path).await.map_err(local)?;
                self.s3_put_create(key, PutPayload::from(bytes)).await.map(|()| size)
            }
            Flavour::S3 { .. } => self.s3_multipart(key, path).await,
        }
    }

    /// A create-only S3 PUT (If-None-Match: *): never over an object put there meanwhile. A
    /// store without conditional writes answers 501 or 400, which object_store hands over only
    /// as an unclassified error (its status is not public), or as `NotImplemented`: then, when
    /// the name still holds nothing, one plain PUT, guarded by that check alone as a multipart
    /// upload is. Nothing is remembered: each upload asks again.
    async fn s3_put_create(&self, key: &ObjectPath, payload: PutPayload) -> Result<(), RemoteError> {
        let create = object_store::PutOptions { mode: object_store::PutMode::Create, ..Default::default() };
        let e = match self.store.put_opts(key, payload.clone(), create).await {
            Ok(_) => return Ok(()),
            Err(e) => e,
        };
        let refused = match &e {
            object_store::Error::NotImplemented { .. } => true,
            other => matches!(self.classify(Op::Write, other).await, RemoteError::Protocol { .. }),
        };
        if !refused {
            return Err(self.classify(Op::Write, &e).await);
        }
        if self.exists(key).await? {
            return Err(RemoteError::Taken { place: self.place.clone(), key: key.to_string() });
        }
        tracing::info!("{} did not take a create-only PUT ({e}); writing {key} with a plain PUT after checking the name", self.place);
        match self.store.put(key, payload).await {
            Ok(_) => Ok(()),
            Err(e) => Err(self.classify(Op::Write, &e).await),
        }
    }

    async fn s3_multipart(&self, key: &ObjectPath, path: &Path) -> Result<u64, RemoteError> {
        let local = |e: std::io::Error| RemoteError::Local { path: path.to_path_buf(), kind: e.kind() };
        let mut file = tokio::fs::File::open(path).await.map_err(local)?;
        let upload = match self.store.put_multipart(key).await {
            Ok(u) => u,
            Err(e) => return Err(self.classify(Op::Write, &e).await),
        };
        let mut writer = WriteMultipart::new_with_chunk_size(upload, self.settings.part_size);
        let mut buf = vec![0u8; 1024 * 1024];
        let mut sent = 0u64;
        let outcome: Result<(), RemoteError> = async {
            loop {
                let n = file.read(&mut buf).await.map_err(local)?;
                if n == 0 {
                    return Ok(());
                }
                // At most two parts on their way, so memory stays about three parts whatever the size.
                if let Err(e) = writer.wait_for_capacity(2).await {
                    return Err(self.classify(Op::Write, &e).await);
                }
                writer.write(&buf[..n]);
                sent += n as u64;
            }
        }
        .await;
        match outcome {
            Ok(()) => match writer.finish().await {
                Ok(_) => Ok(sent),
                Err(e) => Err(self.classify(Op::Write, &e).await),
            },
            Err(e) => {
                // An unfinished multipart upload costs storage until it is aborted.
                if let Err(abort) = writer.abort().await {
                    tracing::warn!("the unfinished upload to {} could not be aborted: {abort}", self.place);
                }
                Err(e)
            }
        }
    }

    async fn webdav_put(&self, base: &reqwest::Url, key: &ObjectPath, path: &Path, size: u64) -> Result<(), RemoteError> {
        let local = |e: std::io::Error| RemoteError::Local { path: path.to_path_buf(), kind: e.kind() };
        let first = self.webdav_put_body(base, key, Self::file_body(path).await.map_err(local)?, size, true).await;
        match first {
            Err(WebdavPut::NoConditional) => {
                if self.exists(key).await? {
                    return Err(RemoteError::Taken { place: self.place.clone(), key: key.to_string() });
                }
                self.webdav_put_body(base, key, Self::file_body(path).await.map_err(local)?, size, false).await.map_err(|e| e.into_remote(self))
            }
            other => other.map_err(|e| e.into_remote(self)),
        }
    }

    async fn file_body(path: &Path) -> std::io::Result<reqwest::Body> {
        let file = tokio::fs::File::open(path).await?;
        Ok(reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::with_capacity(file, 256 * 1024)))
    }

    /// One PUT into the folder. Unlike object_store's, it never creates folders: a missing one
    /// is a setting to fix (a typo must not make new folders on the server). `create_only`
    /// sends If-None-Match: *; a server that answers 501 to it (no conditional PUT) is said
    /// as `NoConditional`, for the caller to send a plain PUT after the name check.
    async fn webdav_put_body(
        &self,
        base: &reqwest::Url,
        key: &ObjectPath,
        body: reqwest::Body,
        size: u64,
        create_only: bool,
    ) -> Result<(), WebdavPut> {
        let mut url = base.clone();
        url.path_segments_mut()
            .map_err(|_| RemoteError::Missing { what: Missing::Folder { url: base.to_string() } })?
            .pop_if_empty()
            .extend(key.parts().map(|p| p.as_ref().to_string()));
        // The body's time grows with its size: at least the request timeout, or 256 KiB/s.
        let timeout = self.settings.request_timeout.max(Duration::from_secs(size / (256 * 1024)));
        // Create-only: a server that honours If-None-Match answers 412 when the name is taken.
        let mut request = self.http.put(url).header(http::header::CONTENT_LENGTH, size).timeout(timeout).body(body);
        if create_only {
            request = request.header(http::header::IF_NONE_MATCH, "*");
        }
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => return Err(WebdavPut::Failed(self.transport(Op::Write, &e).await)),
        };
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        if create_only && status == http::StatusCode::NOT_IMPLEMENTED {
            tracing::info!("{} answered 501 to a create-only PUT; writing {key} with a plain PUT after checking the name", self.place);
            return Err(WebdavPut::NoConditional);
        }
        let folder = || RemoteError::Missing { what: Missing::Folder { url: base.to_string() } };
        Err(WebdavPut::Failed(match status.as_u16() {
            401 => RemoteError::Credentials { place: self.place.clone(), why: CredentialFailure::Refused },
            403 => RemoteError::Permission { place: self.place.clone(), op: Op::Write },
            404 | 409 => folder(),
            412 => RemoteError::Taken { place: self.place.clone(), key: key.to_string() },
            507 => RemoteError::Full { place: self.place.clone() },
            _ => RemoteError::Protocol { place: self.place.clone(), op: Op::Write, reference: reference_for("WebDAV PUT", &status) },
        }))
    }

    /// Reads an object whole, streamed; returns its size and SHA-256 (hex).
    pub async fn read_sha256(&self, key: &ObjectPath) -> Result<(u64, String), RemoteError> {
        let mut hasher = Sha256::new();
        let size = self
            .read_each(key, |chunk| {
                hasher.update(chunk);
                std::future::ready(Ok(()))
            })
            .await?;
        Ok((size, hex::encode(hasher.finalize())))
    }

    /// Streams an object into `file` (created), hashing it; returns size and SHA-256.
    pub async fn download_to(&self, key: &ObjectPath, file: &Path) -> Result<(u64, String), RemoteError> {
        let local = |e: std::io::Error| RemoteError::Local { path: file.to_path_buf(), kind: e.kind() };
        let mut out = tokio::fs::OpenOptions::new().write(true).create_new(true).open(file).await.map_err(local)?;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        let stream = match self.store.get(key).await {
            Ok(r) => r.into_stream(),
            Err(e) => return Err(self.classify(Op::Read, &e).await),
        };
        futures::pin_mut!(stream);
        while let Some(chunk) = stream.next().await {
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) => return Err(self.classify(Op::Read, &e).await),
            };
            hasher.update(&chunk);
            size += chunk.len() as u64;
            out.write_all(&chunk).await.map_err(local)?;
        }
        out.flush().await.map_err(local)?;
        out.sync_all().await.map_err(local)?;
        Ok((size, hex::encode(hasher.finalize())))
    }

    async fn read_each<F, Fut>(&self, key: &ObjectPath, mut each: F) -> Result<u64, RemoteError>
    where
        F: FnMut(&Bytes) -> Fut,
        Fut: std::future::Future<Output = Result<(), RemoteError>>,
    {
        let stream = match self.store.get(key).await {
            Ok(r) => r.into_stream(),
            Err(e) => return Err(self.classify(Op::Read, &e).await),
        };
        futures::pin_mut!(stream);
        let mut size = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) => return Err(self.classify(Op::Read, &e).await),
            };
            size += chunk.len() as u64;
            each(&chunk).await?;
        }
        Ok(size)
    }

    /// The first `len` bytes of an object of `size` bytes (a ranged request).
    pub async fn read_start(&self, key: &ObjectPath, size: u64, len: u64) -> Result<Bytes, RemoteError> {
        let end = size.min(len);
        if end == 0 {
            return Ok(Bytes::new());
        }
        match self.store.get_range(key, 0..end).await {
            Ok(b) => Ok(b),
            Err(e) => Err(self.classify(Op::Read, &e).await),
        }
    }

    /// A small object, create-only on both protocols (with the same fallback as `put_file`).
    pub async fn put_bytes(&self, key: &ObjectPath, bytes: Vec<u8>) -> Result<(), RemoteError> {
        let bytes = Bytes::from(bytes);
        match &self.flavour {
            Flavour::Webdav { base } => {
                let size = bytes.len() as u64;
                match self.webdav_put_body(base, key, reqwest::Body::from(bytes.clone()), size, true).await {
                    Err(WebdavPut::NoConditional) => {
                        if self.exists(key).await? {
                            return Err(RemoteError::Taken { place: self.place.clone(), key: key.to_string() });
                        }
                        self.webdav_put_body(base, key, reqwest::Body::from(bytes), size, false).await.map_err(|e| e.into_remote(self))
                    }
                    other => other.map_err(|e| e.into_remote(self)),
                }
            }
            Flavour::S3 { .. } => self.s3_put_create(key, PutPayload::from(bytes)).await,
        }
    }

    pub async fn read_bytes(&self, key: &ObjectPath) -> Result<Bytes, RemoteError> {
        match self.store.get(key).await {
            Ok(r) => match r.bytes().await {
                Ok(b) => Ok(b),
                Err(e) => Err(self.classify(Op::Read, &e).await),
            },
            Err(e) => Err(self.classify(Op::Read, &e).await),
        }
    }

    /// Whether an object is at `key`.
    pub async fn exists(&self, key: &ObjectPath) -> Result<bool, RemoteError> {
        match self.store.head(key).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(self.classify(Op::Read, &e).await),
        }
    }

    pub async fn delete(&self, key: &ObjectPath) -> Result<(), RemoteError> {
        match self.store.delete(key).await {
            Ok(()) => Ok(()),
            Err(e) => Err(self.classify(Op::Delete, &e).await),
        }
    }

    /// What a failed object_store call means, as one of the typed causes.
    async fn classify(&self, op: Op, e: &object_store::Error) -> RemoteError {
        use object_store::Error as E;
        let s3 = matches!(self.flavour, Flavour::S3 { .. });
        match e {
            E::AlreadyExists { path, .. } => RemoteError::Taken { place: self.place.clone(), key: path.clone() },
            E::NotFound { path, .. } => match (op, s3) {
                (Op::Write | Op::List, _) => self.missing_container(),
                // A missing key, or a missing bucket: S3 says which.
                (_, true) => match self.s3_verdict(op, false).await {
                    Some(verdict @ RemoteError::Missing { .. }) => verdict,
                    _ => RemoteError::Missing { what: Missing::Object { key: path.clone() } },
                },
                (_, false) => RemoteError::Missing { what: Missing::Object { key: path.clone() } },
            },
            E::Unauthenticated { .. } if !s3 => RemoteError::Credentials { place: self.place.clone(), why: CredentialFailure::Refused },
            E::PermissionDenied { .. } if !s3 => RemoteError::Permission { place: self.place.clone(), op },
            E::Unauthenticated { .. } | E::PermissionDenied { .. } => match self.s3_verdict(op, true).await {
                Some(v) => v,
                None => RemoteError::Credentials { place: self.place.clone(), why: CredentialFailure::Refused },
            },
            other => match self.transport(op, other).await {
                // Some S3 answers reach us without their status (a refused listing): ask S3.
                protocol @ RemoteError::Protocol { .. } if s3 => self.s3_verdict(op, false).await.unwrap_or(protocol),
                classified => classified,
            },
        }
    }

    fn missing_container(&self) -> RemoteError {
        match &self.flavour {
            Flavour::S3 { bucket, .. } => RemoteError::Missing {
                what: Missing::Bucket { bucket: bucket.clone(), endpoint: self.place.rsplit(" at ").next().unwrap_or_default().to_string() },
            },
            Flavour::Webdav { base } => RemoteError::Missing { what: Missing::Folder { url: base.to_string() } },
        }
    }

    /// Why S3 refused: a GET of a key that does not exist, signed by object_store's signer,
    /// whose error document names the cause (the refused request's own answer does not reach us
    /// through object_store). It reads nothing and writes nothing. None when the answer says
    /// nothing more. `refused`: the failed request was refused (403), so a check that reads fine
    /// means the operation itself is not permitted.
    async fn s3_verdict(&self, op: Op, refused: bool) -> Option<RemoteError> {
        let Flavour::S3 { bucket, bucket_url, region, credential } = &self.flavour else { return None };
        let probe = self.key(&format!(".tracker-tracker-check-{:016x}", rand::random::<u64>()));
        let url = format!("{bucket_url}/{probe}");
        let mut request = http::Request::builder().method(http::Method::GET).uri(&url).body(object_store::client::HttpRequestBody::empty()).ok()?;
        AwsAuthorizer::new(credential, "s3", region).authorize(&mut request, None);
        let response = self.http.get(&url).headers(request.headers().clone()).send().await.ok()?;
        let status = response.status();
        let body = response.text().await.ok()?;
        let doc: Option<S3ErrorDoc> = quick_xml::de::from_str(&body).ok();
        let place = self.place.clone();
        let credentials = |why| Some(RemoteError::Credentials { place: place.clone(), why });
        match doc.as_ref().map(|d| d.code.as_str()) {
            Some("InvalidAccessKeyId") => credentials(CredentialFailure::UnknownKey),
            Some("SignatureDoesNotMatch") => credentials(CredentialFailure::WrongSecret),
            Some("RequestTimeTooSkewed") => credentials(CredentialFailure::ClockSkew),
            Some("AuthorizationHeaderMalformed" | "PermanentRedirect" | "IllegalLocationConstraintException") => {
                Some(RemoteError::Region { bucket: bucket.clone(), region: doc.and_then(|d| d.region).and_then(|r| quotable_region(&r)) })
            }
            Some("NoSuchBucket") => Some(self.missing_container()),
            Some("AccessDenied" | "AllAccessDisabled") => Some(RemoteError::Permission { place, op }),
            // Reading works (the key is simply not there): what was refused is the operation itself.
            Some("NoSuchKey") if refused => Some(RemoteError::Permission { place, op }),
            _ if refused && status.is_success() => Some(RemoteError::Permission { place, op }),
            _ => None,
        }
    }

    /// A request that got no answer: DNS, connection, TLS, cut off, or something else.
    async fn transport(&self, op: Op, e: &(dyn std::error::Error + Send + Sync + 'static)) -> RemoteError {
        let c = causes(e);
        let addr = format!("{}:{}", self.host, self.port);
        if let Some(why) = c.tls {
            return RemoteError::Tls { addr, why };
        }
        let connect_stage = c.http == Some(HttpErrorKind::Connect)
            || matches!(
                c.io,
                Some(std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::HostUnreachable | std::io::ErrorKind::NetworkUnreachable)
            )
            || e.downcast_ref::<reqwest::Error>().is_some_and(reqwest::Error::is_connect);
        if connect_stage {
            return self.diagnose_connect(addr).await;
        }
        if c.timeout || c.http == Some(HttpErrorKind::Timeout) || c.io == Some(std::io::ErrorKind::TimedOut) {
            return RemoteError::Connection { addr, why: ConnectFailure::TimedOut };
        }
        let cut = matches!(c.http, Some(HttpErrorKind::Interrupted | HttpErrorKind::Request))
            || matches!(
                c.io,
                Some(
                    std::io::ErrorKind::ConnectionReset
                        | std::io::ErrorKind::ConnectionAborted
                        | std::io::ErrorKind::BrokenPipe
                        | std::io::ErrorKind::UnexpectedEof
                        | std::io::ErrorKind::NotConnected
                )
            );
        if cut {
            return RemoteError::Connection { addr, why: ConnectFailure::CutOff };
        }
        RemoteError::Protocol { place: self.place.clone(), op, reference: reference_for(&format!("{} {}", op.doing(), self.place), e) }
    }

    /// The connection could not be made: find out which step fails, each typed.
    async fn diagnose_connect(&self, addr: String) -> RemoteError {
        let resolved = match tokio::net::lookup_host((self.host.as_str(), self.port)).await {
            Ok(addrs) => addrs.collect::<Vec<_>>(),
            Err(_) => Vec::new(),
        };
        if resolved.is_empty() {
            return RemoteError::Dns { host: self.host.clone() };
        }
        let mut last = ConnectFailure::Refused;
        for a in resolved {
            match tokio::time::timeout(self.settings.connect_timeout, tokio::net::TcpStream::connect(a)).await {
                // The port answers: the failure came after, in the TLS handshake.
                Ok(Ok(_)) if self.https => return RemoteError::Tls { addr, why: TlsFailure::Handshake },
                Ok(Ok(_)) => return RemoteError::Connection { addr, why: ConnectFailure::CutOff },
                Ok(Err(e)) => {
                    last = match e.kind() {
                        std::io::ErrorKind::ConnectionRefused => ConnectFailure::Refused,
                        std::io::ErrorKind::TimedOut => ConnectFailure::TimedOut,
                        _ => ConnectFailure::Unreachable,
                    }
                }
                Err(_) => last = ConnectFailure::TimedOut,
            }
        }
        RemoteError::Connection { addr, why: last }
    }
}

/// How a WebDAV PUT failed: a typed cause, or a 501 to its If-None-Match.
enum WebdavPut {
    Failed(RemoteError),
    NoConditional,
}

impl From<RemoteError> for WebdavPut {
    fn from(e: RemoteError) -> Self {
        WebdavPut::Failed(e)
    }
}

impl WebdavPut {
    fn into_remote(self, remote: &Remote) -> RemoteError {
        match self {
            WebdavPut::Failed(e) => e,
            // Only a create-only PUT is answered so; a plain one that is cannot be told apart.
            WebdavPut::NoConditional => {
                RemoteError::Protocol { place: remote.place.clone(), op: Op::Write, reference: reference_for("WebDAV PUT", &"501") }
            }
        }
    }
}

/// The region an S3 error names, when it can be quoted to the page: a region name (letters,
/// digits, "-", "_"), nothing else. (SigV4 never sends the secret key, so the server cannot
/// quote it; the character check keeps markup and prose out of the sentence.)
fn quotable_region(region: &str) -> Option<String> {
    let r = region.trim();
    let name = !r.is_empty() && r.len() <= 64 && r.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'));
    name.then(|| r.to_string())
}

/// Logs a fault whose details are not for the page, and returns the reference the sentence names.
fn reference_for(context: &str, e: &dyn std::fmt::Display) -> String {
    let reference = format!("{:08x}", rand::random::<u32>());
    tracing::warn!(reference, "backup location: {context}: {e}");
    reference
}

#[cfg(test)]
mod quoting_tests {
    use super::quotable_region;

    #[test]
    fn a_region_is_quoted_only_when_it_is_a_name() {
        assert_eq!(quotable_region("eu-central-1"), Some("eu-central-1".into()));
        assert_eq!(quotable_region(" us_east_2 "), Some("us_east_2".into()));
        assert_eq!(quotable_region("eu-central-1 <script>"), None);
        assert_eq!(quotable_region("a region"), None);
        assert_eq!(quotable_region(""), None);
        assert_eq!(quotable_region(&"a".repeat(65)), None);
    }
}
