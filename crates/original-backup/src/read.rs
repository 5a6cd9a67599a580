//! The streaming reader of a plain payload (a `.json` file, or a `.ttbak`'s plaintext once
//! its tag is verified).
//!
//! The payload is read from any `std::io::Read` (buffered here) with serde_json's streaming
//! deserializer: the top-level object's sections are visited in file order, and each array
//! is walked one element at a time, each element converted to a typed [`Record`] and handed
//! to the caller's [`Sink`] before the next is read. Memory is one record (plus buffers),
//! whatever the file's size; unknown top-level keys are skipped without being kept.
//!
//! Validation: the original's own rules (`validateBackupJson`, src/lib/backup.ts) — manifest
//! version 1 with an ISO `createdAt` and non-negative integer counts; a 64-hex
//! `settings.encryptionSalt`; a valid `backupScheduleFrequency` and `backupRetentionCount`;
//! the seven required arrays; the per-record checks of trackers, snapshots, download
//! clients, tag members, uptime buckets and notification targets (see [`crate::records`]) —
//! plus stricter ones: every record needs an integer `id`, byte counts must be decimal digits
//! below 2^63, timestamps and dates must be real, a section may appear only once.
//! Not fatal, reported in [`ReadReport`]: unknown top-level keys, unknown fields (by section
//! and name, with a count), and counts that differ from the manifest's. References between
//! sections are not checked here (the original never checked them either): the caller,
//! which remaps ids, reports orphans.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::{BufReader, Read};

use serde::de::{DeserializeSeed, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::records::{Manifest, Record, Section, Settings};

/// Receives a payload's contents in file order, one record at a time.
pub trait Sink {
    /// The manifest (first in every file the original wrote).
    fn manifest(&mut self, _manifest: &Manifest) -> Result<()> {
        Ok(())
    }
    /// The settings object (second).
    fn settings(&mut self, settings: Settings) -> Result<()>;
    /// One record of an array section. An error stops the reading and is returned as is.
    fn record(&mut self, record: Record) -> Result<()>;
    /// Called when an array section starts, with its section.
    fn section_start(&mut self, _section: Section) -> Result<()> {
        Ok(())
    }
}

/// A manifest count that does not match what the file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountMismatch {
    /// The section (or the manifest's key for a key that names no section).
    pub key: String,
    /// What `manifest.counts` says (`None`: it has no such key).
    pub manifest: Option<u64>,
    /// What the file holds (`None`: no such section in the file).
    pub actual: Option<u64>,
}

/// What was read, for a dry run's report.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadReport {
    pub manifest: Manifest,
    /// Records read per array section present in the file.
    pub counts: BTreeMap<Section, u64>,
    /// Top-level keys this reader does not know, in file order (skipped, not fatal).
    pub unknown_top_level_keys: Vec<String>,
    /// Unknown fields by (section, field name) with the number of records that had them.
    pub unknown_fields: BTreeMap<(String, String), u64>,
    /// Bytes of payload read.
    pub bytes_read: u64,
}

impl ReadReport {
    /// Sections whose record count differs from `manifest.counts` (the original never
    /// compares them). A section absent from both is not a mismatch; an absent optional
    /// section with a count of 0 is not either.
    pub fn count_mismatches(&self) -> Vec<CountMismatch> {
        let mut out = Vec::new();
        for s in Section::ALL {
            let m = self.manifest.counts.get(s.name()).copied();
            let a = self.counts.get(&s).copied();
            let same = match (m, a) {
                (Some(m), Some(a)) => m == a,
                (None, None) => true,
                (Some(0), None) => !s.required(),
                (None, Some(_)) => false,
                (Some(_), None) => false,
            };
            if !same {
                out.push(CountMismatch { key: s.name().to_owned(), manifest: m, actual: a });
            }
        }
        for (k, v) in &self.manifest.counts {
            if Section::from_name(k).is_none() {
                out.push(CountMismatch { key: k.clone(), manifest: Some(*v), actual: None });
            }
        }
        out
    }
}

struct State {
    error: Option<Error>,
    manifest: Option<Manifest>,
    settings_seen: bool,
    seen: BTreeSet<String>,
    counts: BTreeMap<Section, u64>,
    unknown_top: Vec<String>,
    unknown_fields: BTreeMap<(String, String), u64>,
}

impl State {
    fn fail<E: serde::de::Error>(&mut self, e: Error) -> E {
        let msg = e.to_string();
        self.error = Some(e);
        E::custom(msg)
    }
}

struct Top<'a, S> {
    sink: &'a mut S,
    st: &'a mut State,
}

impl<'de, S: Sink> DeserializeSeed<'de> for Top<'_, S> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, S: Sink> Visitor<'de> for Top<'_, S> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("the original's backup object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            let known = key == "manifest" || key == "settings" || Section::from_name(&key).is_some();
            if known && !self.st.seen.insert(key.clone()) {
                return Err(self.st.fail(Error::DuplicateSection { section: key }));
            }
            match key.as_str() {
                "manifest" => {
                    let v: Value = map.next_value()?;
                    let m = Manifest::from_value(v).map_err(|e| self.st.fail(e))?;
                    for k in m.unknown.keys() {
                        *self.st.unknown_fields.entry(("manifest".into(), k.clone())).or_default() += 1;
                    }
                    self.sink.manifest(&m).map_err(|e| self.st.fail(e))?;
                    self.st.manifest = Some(m);
                }
                "settings" => {
                    let v: Value = map.next_value()?;
                    let s = Settings::from_value(v).map_err(|e| self.st.fail(e))?;
                    for k in s.unknown.keys() {
                        *self.st.unknown_fields.entry(("settings".into(), k.clone())).or_default() += 1;
                    }
                    self.sink.settings(s).map_err(|e| self.st.fail(e))?;
                    self.st.settings_seen = true;
                }
                other => match Section::from_name(other) {
                    Some(section) => {
                        self.sink.section_start(section).map_err(|e| self.st.fail(e))?;
                        map.next_value_seed(Array { sink: &mut *self.sink, st: &mut *self.st, section })?;
                    }
                    None => {
                        map.next_value::<IgnoredAny>()?;
                        self.st.unknown_top.push(key);
                    }
                },
            }
        }
        Ok(())
    }
}

struct Array<'a, S> {
    sink: &'a mut S,
    st: &'a mut State,
    section: Section,
}

impl<'de, S: Sink> DeserializeSeed<'de> for Array<'_, S> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        let name = self.section.name();
        d.deserialize_seq(self).map_err(|e| D::Error::custom(format!("{e} (in `{name}`, which must be a list)")))
    }
}

impl<'de, S: Sink> Visitor<'de> for Array<'_, S> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a list of {}", self.section.name())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        let mut i: u64 = 0;
        while let Some(v) = seq.next_element::<Value>()? {
            let rec = Record::from_value(self.section, v, i).map_err(|e| self.st.fail(e))?;
            for k in rec.unknown_names() {
                *self.st.unknown_fields.entry((self.section.name().into(), k)).or_default() += 1;
            }
            self.sink.record(rec).map_err(|e| self.st.fail(e))?;
            i += 1;
        }
        self.st.counts.insert(self.section, i);
        Ok(())
    }
}

struct Counting<R, P> {
    inner: R,
    n: u64,
    progress: P,
}

impl<R: Read, P: FnMut(u64)> Read for Counting<R, P> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.n += n as u64;
        (self.progress)(self.n);
        Ok(n)
    }
}

/// Reads a whole plain payload from `input`, handing its contents to `sink` one record at a
/// time, and checks it as described in the module comment.
pub fn read<R: Read, S: Sink>(input: R, sink: &mut S) -> Result<ReadReport> {
    read_with_progress(input, sink, |_| {})
}

/// [`read`], calling `progress(bytes read so far)` after each read from `input` (every 64 KiB).
pub fn read_with_progress<R: Read, S: Sink>(input: R, sink: &mut S, progress: impl FnMut(u64)) -> Result<ReadReport> {
    let mut counting = Counting { inner: input, n: 0, progress };
    let mut st = State {
        error: None,
        manifest: None,
        settings_seen: false,
        seen: BTreeSet::new(),
        counts: BTreeMap::new(),
        unknown_top: Vec::new(),
        unknown_fields: BTreeMap::new(),
    };
    {
        let buffered = BufReader::with_capacity(64 * 1024, &mut counting);
        let mut de = serde_json::Deserializer::from_reader(buffered);
        let r = Top { sink, st: &mut st }.deserialize(&mut de).and_then(|()| de.end());
        if let Err(e) = r {
            if let Some(ours) = st.error.take() {
                return Err(ours);
            }
            return Err(json_error(e));
        }
    }
    let manifest = st.manifest.ok_or(Error::MissingSection { section: "manifest" })?;
    if !st.settings_seen {
        return Err(Error::MissingSection { section: "settings" });
    }
    for s in Section::ALL {
        if s.required() && !st.counts.contains_key(&s) {
            return Err(Error::MissingSection { section: s.name() });
        }
    }
    Ok(ReadReport { manifest, counts: st.counts, unknown_top_level_keys: st.unknown_top, unknown_fields: st.unknown_fields, bytes_read: counting.n })
}

pub(crate) fn json_error(e: serde_json::Error) -> Error {
    if e.is_io() {
        return Error::Io(std::io::Error::other(e.to_string()));
    }
    let at = format!(" at line {} column {}", e.line(), e.column());
    if e.is_eof() {
        return Error::Truncated { reason: format!("in the middle of its content ({})", at.trim()) };
    }
    Error::Json { at, message: e.to_string() }
}

/// A [`Sink`] that keeps everything in memory (tests, small files).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Collect {
    pub manifest: Option<Manifest>,
    pub settings: Option<Settings>,
    pub records: Vec<Record>,
}

impl Sink for Collect {
    fn manifest(&mut self, m: &Manifest) -> Result<()> {
        self.manifest = Some(m.clone());
        Ok(())
    }
    fn settings(&mut self, s: Settings) -> Result<()> {
        self.settings = Some(s);
        Ok(())
    }
    fn record(&mut self, r: Record) -> Result<()> {
        self.records.push(r);
        Ok(())
    }
}

/// A [`Sink`] that only counts (a dry run's first pass).
#[derive(Debug, Default, Clone, Copy)]
pub struct Discard;

impl Sink for Discard {
    fn settings(&mut self, _: Settings) -> Result<()> {
        Ok(())
    }
    fn record(&mut self, _: Record) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SALT: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

    fn minimal(extra: &str) -> String {
        format!(
            r#"{{"manifest":{{"version":1,"appVersion":"2.8.9","instanceUrl":null,"createdAt":"2026-04-10T03:00:00.000Z","encrypted":false,"counts":{{"trackers":1,"trackerSnapshots":2}}}},"settings":{{"encryptionSalt":"{SALT}"}},"trackers":[{{"id":1,"name":"T","baseUrl":"https://t.example","encryptedApiToken":""}}],"trackerSnapshots":[{{"id":1,"trackerId":1,"polledAt":"2026-01-01T00:00:00.000Z","uploadedBytes":"1","downloadedBytes":"2"}}],"trackerRoles":[],"downloadClients":[],"tagGroups":[],"tagGroupMembers":[],"clientSnapshots":[]{extra}}}"#
        )
    }

    #[test]
    fn counts_and_mismatches() {
        let mut c = Collect::default();
        let r = read(minimal("").as_bytes(), &mut c).unwrap();
        assert_eq!(r.counts[&Section::Trackers], 1);
        assert_eq!(r.counts[&Section::TrackerSnapshots], 1);
        assert_eq!(c.records.len(), 2);
        let m = r.count_mismatches();
        assert!(m.contains(&CountMismatch { key: "trackerSnapshots".into(), manifest: Some(2), actual: Some(1) }));
        assert!(m.contains(&CountMismatch { key: "trackerRoles".into(), manifest: None, actual: Some(0) }));
    }

    #[test]
    fn unknown_top_level_keys_are_reported_not_fatal() {
        let r = read(minimal(r#","futureSection":[{"a":[1,{"b":2}]}]"#).as_bytes(), &mut Discard).unwrap();
        assert_eq!(r.unknown_top_level_keys, vec!["futureSection".to_string()]);
    }

    #[test]
    fn nested_and_manifest_unknown_fields_are_counted() {
        let s = minimal(
            r#","notificationTargets":[{"id":1,"name":"n","type":"discord","encryptedConfig":"","thresholds":{"ratioDropDelta":0.2,"newLimit":3}}]"#,
        )
        .replace(r#""encrypted":false,"#, r#""encrypted":false,"signedBy":"x","#);
        let mut seen = Vec::new();
        let r = read_with_progress(s.as_bytes(), &mut Discard, |n| seen.push(n)).unwrap();
        assert_eq!(r.unknown_fields[&("notificationTargets".to_string(), "thresholds.newLimit".to_string())], 1);
        assert_eq!(r.unknown_fields[&("manifest".to_string(), "signedBy".to_string())], 1);
        assert_eq!(seen.last().copied(), Some(s.len() as u64));
    }

    #[test]
    fn duplicates_and_missing_sections_are_refused() {
        let dup = minimal(r#","trackers":[]"#);
        assert!(matches!(read(dup.as_bytes(), &mut Discard), Err(Error::DuplicateSection { .. })));
        let missing = minimal("").replace(r#","clientSnapshots":[]"#, "");
        assert!(matches!(read(missing.as_bytes(), &mut Discard), Err(Error::MissingSection { section: "clientSnapshots" })));
    }

    #[test]
    fn errors_are_typed() {
        let s = minimal("");
        assert!(matches!(read(&s.as_bytes()[..s.len() - 30], &mut Discard), Err(Error::Truncated { .. })));
        assert!(matches!(read(&b"hello"[..], &mut Discard), Err(Error::Json { .. })));
        let v2 = s.replace(r#""version":1"#, r#""version":2"#);
        assert!(matches!(read(v2.as_bytes(), &mut Discard), Err(Error::UnsupportedVersion { .. })));
        let bad = s.replace(r#""uploadedBytes":"1""#, r#""uploadedBytes":"-1""#);
        match read(bad.as_bytes(), &mut Discard) {
            Err(Error::InvalidField { at, .. }) => assert_eq!(at.to_string(), "trackerSnapshots[0].uploadedBytes"),
            other => panic!("{other:?}"),
        }
        let not_list = s.replace(r#""trackerRoles":[]"#, r#""trackerRoles":{}"#);
        assert!(matches!(read(not_list.as_bytes(), &mut Discard), Err(Error::Json { .. })));
    }

    #[test]
    fn a_sink_error_stops_the_read_and_is_returned() {
        struct Stop;
        impl Sink for Stop {
            fn settings(&mut self, _: Settings) -> Result<()> {
                Ok(())
            }
            fn record(&mut self, _: Record) -> Result<()> {
                Err(Error::MissingSection { section: "sentinel" })
            }
        }
        assert!(matches!(read(minimal("").as_bytes(), &mut Stop), Err(Error::MissingSection { section: "sentinel" })));
    }
}
