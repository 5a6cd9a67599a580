//! The plain backup: one JSON object, written and read as a stream.
//!
//! ```text
//! {"header":{…},
//! "key_wrap":{…},
//! "settings":{…},
//! "trackers":[
//! {…},
//! {…}
//! ],
//! "tracker_roles":[
//! ],
//! …
//! }
//! ```
//! Members appear in exactly this order (header, key_wrap, then [`Section::ALL`]); records are
//! one per line in ascending id order.

use super::records::*;
use super::{Counts, FormatError, Header, KeyWrap, Section, FORMAT_ID, FORMAT_VERSION};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Serialize;
use std::fmt;
use std::io::{Read, Write};

// ---------------------------------------------------------------------------------------------
// Writing

/// Writes a plain backup section by section, checking the order, the ids and the counts the
/// header announced, so a file that contradicts its own header is never produced.
pub struct PlainWriter<W: Write> {
    out: W,
    counts: Counts,
    /// Index in Section::ALL of the next section to write.
    next: usize,
    open: Option<OpenSection>,
}

struct OpenSection {
    section: Section,
    written: u64,
    last_id: Option<i64>,
}

fn io(e: impl fmt::Display) -> FormatError {
    FormatError::Io(e.to_string())
}

impl<W: Write> PlainWriter<W> {
    /// Writes the header and the key wrap.
    pub fn begin(mut out: W, header: &Header, key_wrap: Option<&KeyWrap>) -> Result<Self, FormatError> {
        out.write_all(b"{\"header\":").map_err(io)?;
        serde_json::to_writer(&mut out, header).map_err(io)?;
        out.write_all(b",\n\"key_wrap\":").map_err(io)?;
        serde_json::to_writer(&mut out, &key_wrap).map_err(io)?;
        Ok(PlainWriter { out, counts: header.counts.clone(), next: 0, open: None })
    }

    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }

    fn expect_next(&mut self, section: Section) -> Result<(), FormatError> {
        if self.open.is_some() || Section::ALL.get(self.next) != Some(&section) {
            return Err(FormatError::Structure(format!("writer: section {} out of order", section.key())));
        }
        self.next += 1;
        Ok(())
    }

    pub fn settings(&mut self, settings: &SettingsRecord) -> Result<(), FormatError> {
        self.expect_next(Section::Settings)?;
        if self.counts.settings != 1 {
            return Err(FormatError::CountMismatch { section: "settings", expected: self.counts.settings, found: 1 });
        }
        self.out.write_all(b",\n\"settings\":").map_err(io)?;
        serde_json::to_writer(&mut self.out, settings).map_err(io)
    }

    pub fn begin_section(&mut self, section: Section) -> Result<(), FormatError> {
        if section == Section::Settings {
            return Err(FormatError::Structure("writer: settings is not a list".into()));
        }
        self.expect_next(section)?;
        write!(self.out, ",\n\"{}\":[", section.key()).map_err(io)?;
        self.open = Some(OpenSection { section, written: 0, last_id: None });
        Ok(())
    }

    /// Writes one record of the open section; ids must increase.
    pub fn record<T: Serialize>(&mut self, id: i64, record: &T) -> Result<(), FormatError> {
        let open = self.open.as_mut().ok_or_else(|| FormatError::Structure("writer: no open section".into()))?;
        if open.last_id.is_some_and(|last| id <= last) {
            return Err(FormatError::Structure(format!("writer: ids out of order in {}", open.section.key())));
        }
        self.out.write_all(if open.written == 0 { b"\n" } else { b",\n" }).map_err(io)?;
        serde_json::to_writer(&mut self.out, record).map_err(io)?;
        open.written += 1;
        open.last_id = Some(id);
        Ok(())
    }

    pub fn end_section(&mut self) -> Result<(), FormatError> {
        let open = self.open.take().ok_or_else(|| FormatError::Structure("writer: no open section".into()))?;
        let expected = self.counts.get(open.section);
        if open.written != expected {
            return Err(FormatError::CountMismatch { section: open.section.key(), expected, found: open.written });
        }
        self.out.write_all(b"\n]").map_err(io)
    }

    pub fn finish(mut self) -> Result<W, FormatError> {
        if self.open.is_some() || self.next != Section::ALL.len() {
            return Err(FormatError::Structure("writer: not every section was written".into()));
        }
        self.out.write_all(b"\n}\n").map_err(io)?;
        self.out.flush().map_err(io)?;
        Ok(self.out)
    }
}

// ---------------------------------------------------------------------------------------------
// The header alone

/// Checks the format id and version before the strict parse, so a file from a newer version
/// says so instead of failing on a field it does not know.
pub fn header_from_value(v: serde_json::Value) -> Result<Header, FormatError> {
    if v.get("format").and_then(|f| f.as_str()) != Some(FORMAT_ID) {
        return Err(FormatError::NotABackup);
    }
    let version = v.get("format_version").and_then(|n| n.as_u64()).ok_or(FormatError::NotABackup)?;
    if version > FORMAT_VERSION as u64 {
        return Err(FormatError::NewerVersion { found: version.min(u32::MAX as u64) as u32, supported: FORMAT_VERSION });
    }
    let original = v.clone();
    serde_path_to_error::deserialize(v).map_err(|e| header_field_error(&original, e.path(), e.inner()))
}

/// Names the header field that failed, its value as written, and what it should be.
fn header_field_error(header: &serde_json::Value, path: &serde_path_to_error::Path, inner: &serde_json::Error) -> FormatError {
    use serde_path_to_error::Segment;
    let mut at = Some(header);
    for seg in path.iter() {
        at = match seg {
            Segment::Map { key } => at.and_then(|v| v.get(key)),
            Segment::Seq { index } => at.and_then(|v| v.get(index)),
            _ => None,
        };
    }
    let field = short_path(path);
    // A missing member or a wrong object: serde's own words name it ("missing field `x`").
    let Some(value) = at.filter(|v| !v.is_object() && !v.is_array() && !field.is_empty()) else {
        let place = if field.is_empty() { String::new() } else { format!("{field}: ") };
        return FormatError::Structure(format!("the header is invalid: {place}{inner}"));
    };
    let problem = match (field.as_str(), field.strip_prefix("counts.")) {
        ("created_at", _) => "which is not a date and time (expected RFC 3339 in UTC, like 2026-11-24T03:00:00Z)".to_string(),
        (_, Some(section)) if Section::from_key(section).is_some() => {
            format!("but the number of {section} records must be a whole number, 0 or more")
        }
        _ => format!("which is not allowed there ({inner})"),
    };
    FormatError::HeaderField { field, value: shorten(&value.to_string()), problem }
}

/// Untrusted text going into a message: keep it short.
fn shorten(s: &str) -> String {
    const MAX: usize = 60;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// A field path for a message; a deeply nested one (a crafted `[[[[…]]]]`) is cut to its start
/// and its depth, so the message stays one line instead of repeating `[0]` hundreds of times.
fn short_path(path: &serde_path_to_error::Path) -> String {
    const SHOWN: usize = 6;
    let segments: Vec<&serde_path_to_error::Segment> = path.iter().collect();
    let join = |segs: &[&serde_path_to_error::Segment]| {
        let mut out = String::new();
        for (i, seg) in segs.iter().enumerate() {
            if i > 0 && !matches!(seg, serde_path_to_error::Segment::Seq { .. }) {
                out.push('.');
            }
            out.push_str(&seg.to_string());
        }
        out
    };
    if segments.len() <= SHOWN {
        join(&segments)
    } else {
        format!("{}… ({} levels deep)", join(&segments[..SHOWN]), segments.len())
    }
}

/// Reads the header from the first bytes of a plain backup. `Ok(None)` means the prefix ends
/// before the header does: read more.
pub fn sniff_header(prefix: &[u8]) -> Result<Option<Header>, FormatError> {
    let mut rest = prefix.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(prefix);
    let skip_ws = |s: &mut &[u8]| {
        while let Some((c, r)) = s.split_first() {
            if c.is_ascii_whitespace() {
                *s = r;
            } else {
                break;
            }
        }
    };
    for token in [b"{".as_slice(), b"\"header\"".as_slice(), b":".as_slice()] {
        skip_ws(&mut rest);
        if rest.len() < token.len() {
            return if token.starts_with(rest) { Ok(None) } else { Err(not_a_backup(prefix)) };
        }
        if !rest.starts_with(token) {
            return Err(not_a_backup(prefix));
        }
        rest = &rest[token.len()..];
    }
    let mut de = serde_json::Deserializer::from_slice(rest);
    match <serde_json::Value as serde::Deserialize>::deserialize(&mut de) {
        Ok(v) => header_from_value(v).map(Some),
        Err(e) if e.is_eof() => Ok(None),
        Err(e) => Err(FormatError::NotJson(e.to_string())),
    }
}

/// A file that does not start like a backup: is it JSON at all?
fn not_a_backup(prefix: &[u8]) -> FormatError {
    let first = prefix.iter().copied().find(|c| !c.is_ascii_whitespace());
    match first {
        Some(b'{') | Some(b'[') | Some(b'"') => FormatError::NotABackup,
        _ => FormatError::NotJson("it does not start with { or [".into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Streaming read

/// What the reader hands out, in file order.
#[derive(Debug)]
pub enum Item {
    Header(Header),
    KeyWrap(Option<KeyWrap>),
    Record(Record),
    /// A section is complete; `count` records were read.
    SectionEnd {
        section: Section,
        count: u64,
    },
}

/// Reads a whole plain backup, calling `on_item` for each item as soon as it is parsed. Memory
/// stays bounded by one record. Stops at the first error, from the file or from `on_item`.
pub fn read<R: Read>(reader: R, mut on_item: impl FnMut(Item) -> Result<(), FormatError>) -> Result<(), FormatError> {
    let mut failure: Option<FormatError> = None;
    let mut source = Source { inner: reader, seen: Seen::default() };
    let result = {
        let mut de = serde_json::Deserializer::from_reader(std::io::BufReader::with_capacity(256 * 1024, &mut source));
        let result = de.deserialize_map(TopVisitor { on_item: &mut on_item, failure: &mut failure });
        result.and_then(|()| de.end())
    };
    let Err(e) = result else { return Ok(()) };
    let seen = source.seen;
    // What the source saw comes first: serde_json passes a reader's error (a damaged .ttbak) or
    // the end of the input up through whatever record it was in, and a message naming that
    // record would blame it.
    if let Some(read_error) = seen.error {
        return Err(read_error);
    }
    if !seen.content {
        return Err(FormatError::Empty);
    }
    if seen.eof {
        return Err(FormatError::Truncated);
    }
    Err(failure.unwrap_or_else(|| classify(e)))
}

/// What the reader under the parser did, so failures are told by their cause, not by the text
/// of serde_json's message.
#[derive(Default)]
struct Seen {
    /// A byte other than blank space was read.
    content: bool,
    /// The input ended (a read returned 0).
    eof: bool,
    /// The first read error, as the error to report.
    error: Option<FormatError>,
}

struct Source<R> {
    inner: R,
    seen: Seen,
}

impl<R: Read> Read for Source<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.inner.read(buf) {
            Ok(0) if !buf.is_empty() => {
                self.seen.eof = true;
                Ok(0)
            }
            Ok(n) => {
                if !self.seen.content {
                    // A byte-order mark is not content either.
                    let data = buf[..n].strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(&buf[..n]);
                    self.seen.content = data.iter().any(|c| !c.is_ascii_whitespace());
                }
                Ok(n)
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                if self.seen.error.is_none() {
                    // The decrypting reader reports damage as an io::Error wrapping its own error.
                    self.seen.error = Some(match super::encrypted::TtbakError::from_io(&e) {
                        Some(t) => FormatError::Encrypted(t),
                        None => FormatError::ReadFailed { kind: e.kind() },
                    });
                }
                Err(e)
            }
        }
    }
}

fn classify(e: serde_json::Error) -> FormatError {
    use serde_json::error::Category;
    match e.classify() {
        Category::Eof => FormatError::Truncated,
        Category::Io => FormatError::ReadFailed { kind: std::io::Error::from(e).kind() },
        Category::Syntax => FormatError::NotJson(e.to_string()),
        Category::Data => FormatError::NotABackup,
    }
}

struct TopVisitor<'a, F> {
    on_item: &'a mut F,
    failure: &'a mut Option<FormatError>,
}

impl<'a, F> TopVisitor<'a, F> {
    fn fail<E: de::Error>(&mut self, f: FormatError) -> E {
        *self.failure = Some(f);
        E::custom("backup rejected")
    }
}

impl<'de, 'a, F> Visitor<'de> for TopVisitor<'a, F>
where
    F: FnMut(Item) -> Result<(), FormatError>,
{
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Tracker Tracker backup object")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        // 1. header
        match map.next_key::<String>()? {
            Some(k) if k == "header" => {}
            _ => return Err(self.fail(FormatError::NotABackup)),
        }
        let header_value: serde_json::Value = map.next_value()?;
        let header = match header_from_value(header_value) {
            Ok(h) => h,
            Err(e) => return Err(self.fail(e)),
        };
        if let Err(e) = (self.on_item)(Item::Header(header)) {
            return Err(self.fail(e));
        }
        // 2. key_wrap
        match map.next_key::<String>()? {
            Some(k) if k == "key_wrap" => {}
            Some(k) => return Err(self.fail(FormatError::Structure(format!("expected \"key_wrap\" after the header, found {k:?}")))),
            None => return Err(self.fail(FormatError::Structure("the file has a header and nothing else".into()))),
        }
        let wrap: Option<KeyWrap> = map.next_value()?;
        if let Err(e) = (self.on_item)(Item::KeyWrap(wrap)) {
            return Err(self.fail(e));
        }
        // 3. sections, in order
        for section in Section::ALL {
            let key = match map.next_key::<String>()? {
                Some(k) => k,
                None => return Err(self.fail(FormatError::Structure(format!("the section \"{}\" is missing", section.key())))),
            };
            if key != section.key() {
                let msg = match Section::from_key(&key) {
                    Some(_) => format!("the section \"{key}\" is out of place (expected \"{}\")", section.key()),
                    None => format!("unknown member {key:?} (expected \"{}\")", section.key()),
                };
                return Err(self.fail(FormatError::Structure(msg)));
            }
            let count = if section == Section::Settings {
                // An end of input or a read error inside it is told apart by `read` (see Seen).
                let record: SettingsRecord = match map.next_value_seed(Tracked::<SettingsRecord>::new()) {
                    Ok(r) => r,
                    Err(e) => return Err(self.fail(FormatError::record(section, 0, None, e.to_string()))),
                };
                if let Err(e) = (self.on_item)(Item::Record(Record::Settings(Box::new(record)))) {
                    return Err(self.fail(e));
                }
                1
            } else {
                let mut count = 0u64;
                let seed = SectionSeed { section, on_item: &mut *self.on_item, failure: &mut *self.failure, count: &mut count };
                map.next_value_seed(seed)?;
                count
            };
            if let Err(e) = (self.on_item)(Item::SectionEnd { section, count }) {
                return Err(self.fail(e));
            }
        }
        if let Some(k) = map.next_key::<String>()? {
            return Err(self.fail(FormatError::Structure(format!("unknown member {k:?} after the last section"))));
        }
        Ok(())
    }
}

/// Deserializes one value with the path of the failing field in the message
/// ("seeding_count: invalid type: floating point `1.5`, expected i64").
struct Tracked<T>(std::marker::PhantomData<T>);

impl<T> Tracked<T> {
    fn new() -> Self {
        Tracked(std::marker::PhantomData)
    }
}

impl<'de, T: serde::Deserialize<'de>> DeserializeSeed<'de> for Tracked<T> {
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        serde_path_to_error::deserialize(d).map_err(|e| {
            let path = short_path(e.path());
            let inner = e.into_inner();
            if path.is_empty() {
                inner
            } else {
                de::Error::custom(format!("{path}: {inner}"))
            }
        })
    }
}

struct SectionSeed<'a, F> {
    section: Section,
    on_item: &'a mut F,
    failure: &'a mut Option<FormatError>,
    count: &'a mut u64,
}

impl<'de, 'a, F> DeserializeSeed<'de> for SectionSeed<'a, F>
where
    F: FnMut(Item) -> Result<(), FormatError>,
{
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, 'a, F> Visitor<'de> for SectionSeed<'a, F>
where
    F: FnMut(Item) -> Result<(), FormatError>,
{
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a list of {} records", self.section.key())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        loop {
            let index = *self.count;
            let next = match self.section {
                Section::Settings => unreachable_settings(),
                Section::Trackers => seq.next_element_seed(Tracked::new()).map(|r| r.map(Record::Tracker)),
                Section::TrackerRoles => seq.next_element_seed(Tracked::new()).map(|r| r.map(Record::TrackerRole)),
                Section::TrackerSnapshots => seq.next_element_seed(Tracked::new()).map(|r| r.map(Record::TrackerSnapshot)),
                Section::DownloadClients => seq.next_element_seed(Tracked::new()).map(|r| r.map(Record::DownloadClient)),
                Section::ClientSnapshots => seq.next_element_seed(Tracked::new()).map(|r| r.map(Record::ClientSnapshot)),
                Section::ClientUptimeBuckets => seq.next_element_seed(Tracked::new()).map(|r| r.map(Record::ClientUptimeBucket)),
                Section::TagGroups => seq.next_element_seed(Tracked::new()).map(|r| r.map(Record::TagGroup)),
                Section::TagGroupMembers => seq.next_element_seed(Tracked::new()).map(|r| r.map(Record::TagGroupMember)),
                Section::NotificationTargets => seq.next_element_seed(Tracked::new()).map(|r| r.map(Record::NotificationTarget)),
                Section::DismissedAlerts => seq.next_element_seed(Tracked::new()).map(|r| r.map(Record::DismissedAlert)),
            };
            let record = match next {
                Ok(Some(r)) => r,
                Ok(None) => return Ok(()),
                Err(e) => {
                    // An end of input or a read error inside a record is told apart by `read`.
                    *self.failure = Some(FormatError::record(self.section, index, None, e.to_string()));
                    return Err(de::Error::custom("backup rejected"));
                }
            };
            *self.count += 1;
            if let Err(f) = (self.on_item)(Item::Record(record)) {
                *self.failure = Some(f);
                return Err(de::Error::custom("backup rejected"));
            }
        }
    }
}

fn unreachable_settings<T, E>() -> Result<Option<T>, E> {
    // Settings is an object, read by the top-level visitor; SectionSeed is never built for it.
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup_format::encrypted::{KdfParams, TtbakReader, TtbakWriter};
    use crate::model::auth::SecuritySettings;
    use crate::model::settings::{BackupSettings, GeneralSettings};
    use crate::model::trackers::Snapshot;
    use proptest::prelude::*;

    fn settings(threshold: f64) -> SettingsRecord {
        SettingsRecord {
            general: GeneralSettings {
                poll_interval_minutes: 60,
                snapshot_retention_days: None,
                proxy_enabled: false,
                proxy_type: "socks5".into(),
                proxy_host: None,
                proxy_port: None,
                proxy_username: None,
                notifications_enabled: true,
                notify_ratio_drop_threshold: threshold,
                notify_buffer_milestone_gib: 100,
            },
            proxy_password: None,
            security: SecuritySettings { session_timeout_minutes: 60, lockout_threshold: 5, lockout_minutes: 15 },
            totp: TotpRecord { enabled: false, secret: None, backup_codes: None },
            backup: BackupSettings::default(),
            backup_password: None,
            locations: None,
        }
    }

    fn snapshot(id: i64, ratio: f64, seed_bonus: f64, required_ratio: f64) -> Snapshot {
        Snapshot {
            id,
            tracker_id: 1,
            polled_at: chrono::DateTime::parse_from_rfc3339("2026-11-24T03:00:00Z").unwrap().with_timezone(&chrono::Utc),
            uploaded_bytes: 1 << 40,
            downloaded_bytes: 1 << 39,
            ratio: Some(ratio),
            buffer_bytes: None,
            seeding_count: Some(3),
            leeching_count: None,
            seed_bonus: Some(seed_bonus),
            hit_and_runs: None,
            required_ratio: Some(required_ratio),
            warned: false,
            freeleech_tokens: None,
            share_score: None,
            username: Some("someone".into()),
            group_name: None,
            is_manual: false,
        }
    }

    /// A whole plain backup: settings, and `snapshots` as its only records.
    fn backup(threshold: f64, snapshots: &[Snapshot]) -> Vec<u8> {
        let counts = Counts { settings: 1, tracker_snapshots: snapshots.len() as u64, ..Counts::default() };
        let created = chrono::DateTime::parse_from_rfc3339("2026-11-24T03:00:00Z").unwrap().with_timezone(&chrono::Utc);
        let mut w = PlainWriter::begin(Vec::new(), &Header::new(created, None, counts), None).unwrap();
        w.settings(&settings(threshold)).unwrap();
        for section in &Section::ALL[1..] {
            w.begin_section(*section).unwrap();
            if *section == Section::TrackerSnapshots {
                for s in snapshots {
                    w.record(s.id, s).unwrap();
                }
            }
            w.end_section().unwrap();
        }
        w.finish().unwrap()
    }

    fn read_all(bytes: impl Read) -> Result<(f64, Vec<Snapshot>), FormatError> {
        let (mut threshold, mut snapshots) = (f64::NAN, Vec::new());
        read(bytes, |item| {
            match item {
                Item::Record(Record::Settings(s)) => threshold = s.general.notify_ratio_drop_threshold,
                Item::Record(Record::TrackerSnapshot(s)) => snapshots.push(s),
                _ => {}
            }
            Ok(())
        })?;
        Ok((threshold, snapshots))
    }

    fn read_err(bytes: &[u8]) -> String {
        read_all(bytes).unwrap_err().to_string()
    }

    /// Every finite double, with the awkward ones over-represented: any bit pattern (mostly huge
    /// or tiny exponents), subnormals, ±0, and ratios of two integers as trackers report them.
    fn any_finite() -> impl Strategy<Value = f64> {
        prop_oneof![
            any::<u64>().prop_map(f64::from_bits).prop_filter("finite", |x| x.is_finite()),
            (any::<bool>(), 1u64..(1 << 52)).prop_map(|(neg, m)| if neg { -f64::from_bits(m) } else { f64::from_bits(m) }),
            Just(0.0),
            Just(-0.0),
            Just(f64::MIN_POSITIVE),
            Just(f64::MAX),
            Just(f64::MIN),
            (1u64..1 << 50, 1u64..1 << 50).prop_map(|(a, b)| a as f64 / b as f64),
            (0.0f64..1e6),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

        /// read(write(x)) gives back the very same double, bit for bit.
        #[test]
        fn every_finite_double_reads_back_bit_for_bit(t in any_finite(), r in any_finite(), b in any_finite(), q in any_finite()) {
            let bytes = backup(t, &[snapshot(1, r, b, q)]);
            let (t2, s) = read_all(&bytes[..]).unwrap();
            prop_assert_eq!(t2.to_bits(), t.to_bits(), "threshold {:?} came back as {:?}", t, t2);
            let s = &s[0];
            for (name, before, after) in [("ratio", r, s.ratio), ("seed_bonus", b, s.seed_bonus), ("required_ratio", q, s.required_ratio)] {
                let after = after.unwrap();
                prop_assert_eq!(after.to_bits(), before.to_bits(), "{} {:?} came back as {:?}", name, before, after);
            }
        }
    }

    #[test]
    fn the_double_of_the_issue_reads_back_exactly() {
        // Written as its shortest form 7.2775408945681175, read back one unit in the last place
        // off (7.277540894568117) by serde_json without float_roundtrip.
        let x: f64 = "7.2775408945681175".parse().unwrap();
        let bytes = backup(0.1, &[snapshot(1, x, x, x)]);
        assert!(String::from_utf8_lossy(&bytes).contains("\"ratio\":7.2775408945681175,"));
        let (_, s) = read_all(&bytes[..]).unwrap();
        assert_eq!(s[0].ratio.map(f64::to_bits), Some(x.to_bits()));
    }

    #[test]
    fn an_empty_file_says_it_is_empty() {
        let expected = "The backup file is empty: it holds no data at all (perhaps a download or copy failed before it began). Choose another copy of the backup.";
        for empty in [&b""[..], b"\n \r\n\t", b"\xEF\xBB\xBF"] {
            assert!(matches!(read_all(empty), Err(FormatError::Empty)), "{empty:?}");
            assert_eq!(read_err(empty), expected);
            assert!(matches!(crate::backup_format::preview::plain_header(empty, true), Err(FormatError::Empty)));
        }
        // A file with a start is cut short, not empty.
        assert_eq!(read_err(b"{"), "The backup file ends early: it is incomplete (perhaps a download or copy was cut short).");
        assert!(matches!(crate::backup_format::preview::plain_header(b"{\"hea", true), Err(FormatError::Truncated)));
    }

    #[test]
    fn a_bad_header_field_is_named_with_its_value() {
        let good = String::from_utf8(backup(0.1, &[snapshot(1, 1.0, 2.0, 0.5)])).unwrap();
        let bad = good.replacen("\"created_at\":\"2026-11-24T03:00:00Z\"", "\"created_at\":\"not-a-date\"", 1);
        assert_eq!(
            read_err(bad.as_bytes()),
            "The backup's header is invalid: created_at is \"not-a-date\", which is not a date and time (expected RFC 3339 in UTC, like 2026-11-24T03:00:00Z)."
        );
        let bad = good.replacen("\"tracker_snapshots\":1", "\"tracker_snapshots\":-5", 1);
        assert_eq!(
            read_err(bad.as_bytes()),
            "The backup's header is invalid: counts.tracker_snapshots is -5, but the number of tracker_snapshots records must be a whole number, 0 or more."
        );
        // The same through the header sniffer the browser uses.
        let e = sniff_header(bad.as_bytes()).unwrap_err().to_string();
        assert!(e.contains("counts.tracker_snapshots is -5"), "{e}");
        let bad = good.replacen("\"app_version\":\"", "\"app_version\":7,\"x\":\"", 1);
        assert_eq!(
            read_err(bad.as_bytes()),
            "The backup's header is invalid: app_version is 7, which is not allowed there (invalid type: integer `7`, expected a string)."
        );
        let bad = good.replacen(&format!("\"app_version\":\"{}\",", env!("CARGO_PKG_VERSION")), "", 1);
        assert_eq!(read_err(bad.as_bytes()), "The backup's structure is wrong: the header is invalid: missing field `app_version`");
    }

    #[test]
    fn a_deeply_nested_value_does_not_repeat_its_path() {
        // A record with flattened fields (a tracker) keeps unknown members, so it reads them
        // whole: 500 levels deep passes serde_json's limit of 128 inside the path tracker.
        let good = String::from_utf8(backup(0.1, &[])).unwrap();
        let deep = format!("{}{}", "[".repeat(500), "]".repeat(500));
        let bad = good.replacen("\"trackers\":[\n", &format!("\"trackers\":[\n{{\"id\":1,\"extra\":{deep}}}\n"), 1);
        assert_ne!(bad, good);
        // The path used to repeat "[0]" 124 times.
        assert_eq!(
            read_err(bad.as_bytes()),
            "trackers, record 0: extra[0][0][0][0][0]… (125 levels deep): recursion limit exceeded at line 5 column 141"
        );
    }

    /// A .ttbak cut short (or with a damaged end) names the damage, not the record the parser
    /// happened to be in when the decrypting reader gave up.
    #[test]
    fn a_truncated_ttbak_says_so_without_blaming_a_record() {
        let snapshots: Vec<Snapshot> = (1..=400).map(|i| snapshot(i, i as f64 / 7.0, (i * i) as f64 / 3.0, 0.6)).collect();
        let plain = backup(0.1, &snapshots);
        let fast = KdfParams { memory_kib: 1024, iterations: 1, parallelism: 1 };
        let mut w = TtbakWriter::with_chunk_size(Vec::new(), b"pw", fast, 1024).unwrap();
        std::io::Write::write_all(&mut w, &plain).unwrap();
        let file = w.finish().unwrap();
        assert!(file.len() > 4 * 1024, "several chunks: {}", file.len());
        for cut in [file.len() - 10, file.len() / 2, file.len() / 2 + 1040] {
            let reader = TtbakReader::new(&file[..cut], b"pw").unwrap();
            let e = read_all(reader).unwrap_err();
            assert!(matches!(e, FormatError::Encrypted(crate::backup_format::encrypted::TtbakError::TruncatedOrDamaged { .. })), "{e:?}");
            // Once "tracker_snapshots, record 202: …: The end of the backup is missing…".
            let text = e.to_string();
            assert!(text.starts_with("The end of the backup is missing or damaged: its last chunk "), "{text}");
            assert!(
                text.ends_with("failed its integrity check. The file was probably cut short (an interrupted download or copy). Use a complete copy of the backup."),
                "{text}"
            );
            assert!(!text.contains("record") && !text.contains("tracker_snapshots"), "{text}");
        }
        let mut flipped = file.clone();
        let at = file.len() / 2;
        flipped[at] ^= 1;
        let e = read_all(TtbakReader::new(&flipped[..], b"pw").unwrap()).unwrap_err().to_string();
        assert!(e.starts_with("Part of the backup is damaged or out of order: chunk "), "{e}");
        assert!(!e.contains("record"), "{e}");
        // Whole, it reads.
        assert_eq!(read_all(TtbakReader::new(&file[..], b"pw").unwrap()).unwrap().1.len(), 400);
    }
}
