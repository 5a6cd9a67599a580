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
    serde_json::from_value(v).map_err(|e| FormatError::Structure(format!("the header is invalid: {e}")))
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
    let mut de = serde_json::Deserializer::from_reader(std::io::BufReader::with_capacity(256 * 1024, reader));
    let result = de.deserialize_map(TopVisitor { on_item: &mut on_item, failure: &mut failure });
    let result = result.and_then(|()| de.end());
    match (result, failure) {
        (_, Some(f)) => Err(f),
        (Ok(()), None) => Ok(()),
        (Err(e), None) => Err(classify(e)),
    }
}

fn classify(e: serde_json::Error) -> FormatError {
    use serde_json::error::Category;
    match e.classify() {
        Category::Eof => FormatError::Truncated,
        Category::Io => {
            // The decrypting reader reports damage as an io::Error wrapping its own error.
            let io_err: std::io::Error = e.into();
            match super::encrypted::TtbakError::from_io(&io_err) {
                Some(t) => FormatError::Encrypted(t),
                None => FormatError::Io(io_err.to_string()),
            }
        }
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
                let record: SettingsRecord = match map.next_value_seed(Tracked::<SettingsRecord>::new()) {
                    Ok(r) => r,
                    Err(e) if e.to_string().contains("EOF while parsing") => return Err(self.fail(FormatError::Truncated)),
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
            let path = e.path().to_string();
            let inner = e.into_inner();
            if path == "." {
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
                    let msg = e.to_string();
                    // End of input inside a record is truncation, not a bad field.
                    *self.failure = Some(if msg.contains("EOF while parsing") {
                        FormatError::Truncated
                    } else {
                        FormatError::record(self.section, index, None, msg)
                    });
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
