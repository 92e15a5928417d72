//! One `<Event>` of a trace, and the state machine that builds it from XML events.
//!
//! Both readers feed this one state machine: the full reader with every XML event of the file,
//! the fast reader with the XML events of the few `<Event>` elements it selected. Writing it
//! once is what makes the two agree.

use std::io::{BufReader, Read};

use super::input::Decoding;

use chrono::{DateTime, Utc};
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::{Reader, XmlVersion};
use serde::Serialize;

/// Longest value kept from a `<Data>` or description, in bytes. Captured response bodies can be
/// megabytes; nothing frebscope reports needs more than the start of them, and the cap keeps
/// memory bounded whatever a file holds.
pub(crate) const MAX_VALUE_BYTES: usize = 64 * 1024;

/// One `<Event>` of a trace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EventRecord {
    /// `System/Provider@Name` (`WWW Server`, `ASPNET`, ...).
    pub provider: String,
    /// `System/Level`: 1 critical, 2 error, 3 warning, 4 information, 5 verbose, 0 always.
    pub level: Option<u8>,
    /// `System/Opcode`: the event number within its area (not unique: use `name`).
    pub opcode: Option<u32>,
    /// `System/Keywords`, e.g. `0x100`.
    pub keywords: String,
    /// `System/TimeCreated@SystemTime`.
    pub time: Option<DateTime<Utc>>,
    /// `System/TimeCreated@SystemTime` as written, when it is there but is not a time that
    /// can be written in RFC 3339 (`9999-12-31T23:00:00-02:00`, `yesterday`); cut short.
    pub unparsed_time: Option<String>,
    /// `System/Computer`.
    pub computer: String,
    /// `System/Execution@ProcessID`.
    pub process_id: Option<u32>,
    /// `System/Execution@ThreadID`.
    pub thread_id: Option<u32>,
    /// `RenderingInfo/Opcode`: the event name, the only reliable identifier.
    pub name: String,
    /// `EventData/Data`, name and value, in file order.
    pub data: Vec<(String, String)>,
    /// `RenderingInfo/freb:Description`, data name and text, in file order.
    pub descriptions: Vec<(String, String)>,
    /// `RenderingInfo/Keywords/Keyword`.
    pub keyword_names: Vec<String>,
}

impl EventRecord {
    /// The value of the `Data` item of this name.
    pub fn data(&self, name: &str) -> Option<&str> {
        value_of(&self.data, name)
    }

    /// The description IIS wrote for the `Data` item of this name.
    pub fn description(&self, name: &str) -> Option<&str> {
        value_of(&self.descriptions, name)
    }

    /// The event's `TimeCreated`, read or not, when it has one.
    pub(crate) fn stamp(&self) -> Option<Stamp> {
        match (&self.time, &self.unparsed_time) {
            (Some(time), _) => Some(Stamp::At(*time)),
            (None, Some(text)) => Some(Stamp::Unparseable(text.clone())),
            (None, None) => None,
        }
    }
}

/// A `TimeCreated@SystemTime` that an event holds: a time, or the text that is not one. Both
/// readers take a trace's start and end from the first and last events that hold one, read or
/// not, so that a time that cannot be read is reported, never replaced by another event's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stamp {
    /// A time.
    At(DateTime<Utc>),
    /// What the attribute held, cut short.
    Unparseable(String),
}

impl Stamp {
    /// Reads an attribute's value.
    pub(crate) fn parse(text: &str) -> Stamp {
        match parse_time(text) {
            Some(time) => Stamp::At(time),
            None => Stamp::Unparseable(cut_time_text(text)),
        }
    }

    /// The time, when it could be read.
    pub(crate) fn time(&self) -> Option<DateTime<Utc>> {
        match self {
            Stamp::At(time) => Some(*time),
            Stamp::Unparseable(_) => None,
        }
    }
}

/// The longest unreadable time text kept: enough to show what was there.
const MAX_TIME_TEXT: usize = 64;

fn cut_time_text(text: &str) -> String {
    text[..floor_char_boundary(text, MAX_TIME_TEXT)].to_owned()
}

/// The value of the first pair named `name`: events and root elements keep their values as
/// name-value pairs in file order.
pub(crate) fn value_of<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Parses `2026-06-08T19:54:59.674Z`. A time outside the years 1–9999 once in UTC
/// (`9999-12-31T23:00:00-02:00`) is refused: it has no RFC 3339 form to be written in.
pub(crate) fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    use chrono::Datelike;
    DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
        .filter(|t| (1..=9999).contains(&t.year()))
}

/// Where in an `<Event>` the builder is; only the places whose text is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    None,
    Level,
    Opcode,
    Keywords,
    Computer,
    Data,
    Name,
    Keyword,
    Description,
}

/// The open elements a slot depends on; every other element is `Other`. Keeping these rather
/// than the names spares an allocation per element, which was most of the cost of reading an
/// event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Parent {
    System,
    EventData,
    RenderingInfo,
    Keywords,
    Other,
}

impl Parent {
    fn of(local: &str) -> Parent {
        match local {
            "System" => Parent::System,
            "EventData" => Parent::EventData,
            "RenderingInfo" => Parent::RenderingInfo,
            "Keywords" => Parent::Keywords,
            _ => Parent::Other,
        }
    }
}

/// Builds [`EventRecord`]s from the XML events of a trace.
#[derive(Debug, Default)]
pub(crate) struct EventBuilder {
    current: Option<EventRecord>,
    /// The open elements inside the current `<Event>`.
    path: Vec<Parent>,
    slot: Option<SlotState>,
}

#[derive(Debug)]
struct SlotState {
    slot: Slot,
    /// The `Name` of a `Data`, the `Data` attribute of a description.
    key: String,
    text: String,
    depth: usize,
}

impl EventBuilder {
    /// A builder already inside an `<Event>`, for a reader that starts past its start tag.
    pub(crate) fn within_event() -> Self {
        EventBuilder {
            current: Some(EventRecord::default()),
            ..EventBuilder::default()
        }
    }

    /// True while inside an `<Event>` element.
    pub(crate) fn in_event(&self) -> bool {
        self.current.is_some()
    }

    /// An element starts (`empty` for `<x/>`).
    pub(crate) fn start(&mut self, element: &BytesStart<'_>, empty: bool) {
        let local = element.local_name();
        let local = local.as_ref();
        let Some(event) = self.current.as_mut() else {
            if local == "Event" && !empty {
                self.current = Some(EventRecord::default());
                self.path.clear();
            }
            return;
        };
        let parent = self.path.last().copied();
        let under = |p: Parent| parent == Some(p);
        match (parent, local) {
            (Some(Parent::System), "Provider") => {
                event.provider = attribute(element, "Name").unwrap_or_default();
            }
            (Some(Parent::System), "TimeCreated") => {
                let stamp = attribute(element, "SystemTime").map(|t| Stamp::parse(&t));
                event.time = stamp.as_ref().and_then(Stamp::time);
                event.unparsed_time = match stamp {
                    Some(Stamp::Unparseable(text)) => Some(text),
                    _ => None,
                };
            }
            (Some(Parent::System), "Execution") => {
                event.process_id = attribute(element, "ProcessID").and_then(|v| v.parse().ok());
                event.thread_id = attribute(element, "ThreadID").and_then(|v| v.parse().ok());
            }
            _ => {}
        }
        let slot = match local {
            "Level" if under(Parent::System) => Slot::Level,
            "Opcode" if under(Parent::System) => Slot::Opcode,
            "Keywords" if under(Parent::System) => Slot::Keywords,
            "Computer" if under(Parent::System) => Slot::Computer,
            "Data" if under(Parent::EventData) => Slot::Data,
            "Opcode" if under(Parent::RenderingInfo) => Slot::Name,
            "Keyword" if under(Parent::Keywords) => Slot::Keyword,
            "Description" if under(Parent::RenderingInfo) => Slot::Description,
            _ => Slot::None,
        };
        if empty {
            record_empty(event, slot, element);
            return;
        }
        if slot != Slot::None && self.slot.is_none() {
            let key = match slot {
                Slot::Data => attribute(element, "Name").unwrap_or_default(),
                Slot::Description => attribute(element, "Data").unwrap_or_default(),
                _ => String::new(),
            };
            self.slot = Some(SlotState {
                slot,
                key,
                text: String::new(),
                depth: self.path.len() + 1,
            });
        }
        self.path.push(Parent::of(local));
    }

    /// Character data (already split around entity references by the reader).
    pub(crate) fn text(&mut self, text: &str) {
        if self.keeps_text()
            && let Some(slot) = self.slot.as_mut()
        {
            push_capped(&mut slot.text, text);
        }
    }

    /// True when text here is kept: most text in an event is indentation, and normalizing it
    /// only to drop it is wasted work.
    fn keeps_text(&self) -> bool {
        self.slot
            .as_ref()
            .is_some_and(|slot| slot.depth == self.path.len())
    }

    /// An entity or character reference inside text. Only the five predefined entities and
    /// character references are resolved; anything a DTD declared is kept as written and
    /// never expanded.
    pub(crate) fn reference(&mut self, reference: &BytesRef<'_>) {
        let resolved = resolve_reference(reference);
        self.text(&resolved);
    }

    /// Feeds one XML event; returns the record when it closes an `<Event>`. Events other
    /// than elements, text and references (comments, processing instructions, DOCTYPE) carry
    /// nothing a trace needs.
    pub(crate) fn feed(&mut self, event: &Event<'_>) -> Option<EventRecord> {
        match event {
            Event::Start(e) => self.start(e, false),
            Event::Empty(e) => self.start(e, true),
            Event::Text(t) if self.keeps_text() => self.text(&t.xml10_content()),
            Event::CData(t) if self.keeps_text() => self.text(&t.xml10_content()),
            Event::GeneralRef(r) if self.keeps_text() => self.reference(r),
            Event::End(e) => return self.end(e.local_name().as_ref()),
            _ => {}
        }
        None
    }

    /// The event read so far, for a reader that stops before `</Event>`; a value still open
    /// is dropped.
    pub(crate) fn finish(mut self) -> Option<EventRecord> {
        self.current.take()
    }

    /// An element ends. Returns the event when `</Event>` closes it.
    pub(crate) fn end(&mut self, local: &str) -> Option<EventRecord> {
        self.current.as_ref()?;
        if self.path.is_empty() {
            if local == "Event" {
                self.slot = None;
                return self.current.take();
            }
            return None;
        }
        if let Some(slot) = self.slot.take_if(|s| s.depth == self.path.len()) {
            self.store(slot);
        }
        self.path.pop();
        None
    }

    fn store(&mut self, slot: SlotState) {
        let Some(event) = self.current.as_mut() else {
            return;
        };
        let text = slot.text;
        match slot.slot {
            Slot::Level => event.level = text.trim().parse().ok(),
            Slot::Opcode => event.opcode = text.trim().parse().ok(),
            Slot::Keywords => event.keywords = text.trim().to_owned(),
            Slot::Computer => event.computer = text.trim().to_owned(),
            Slot::Data => event.data.push((slot.key, text)),
            Slot::Name => event.name = text.trim().to_owned(),
            Slot::Keyword => event.keyword_names.push(text.trim().to_owned()),
            Slot::Description => event.descriptions.push((slot.key, text)),
            Slot::None => {}
        }
    }
}

/// `<Data Name="X"/>` is an empty value, not a missing one.
fn record_empty(event: &mut EventRecord, slot: Slot, element: &BytesStart<'_>) {
    match slot {
        Slot::Data => {
            let name = attribute(element, "Name").unwrap_or_default();
            event.data.push((name, String::new()));
        }
        Slot::Description => {
            let name = attribute(element, "Data").unwrap_or_default();
            event.descriptions.push((name, String::new()));
        }
        _ => {}
    }
}

/// An XML reader over a trace, configured for what IIS writes: end tags are not checked (a
/// trace cut short still yields its complete events) and a bare `&` (IIS does not escape
/// every attribute) is text, not an error.
pub(crate) fn trace_reader(text: &str) -> Reader<&[u8]> {
    let mut reader = Reader::from_str(text);
    let config = reader.config_mut();
    config.check_end_names = false;
    config.allow_dangling_amp = true;
    reader
}

/// A streaming XML reader over a trace, configured as [`trace_reader`]. Invalid UTF-8 becomes
/// U+FFFD, as where the fast reader reads text. It reads through
/// [`TokenGuard`], so that no single XML token (a text run, a tag) can make it buffer more
/// than [`MAX_TOKEN_BYTES`]: quick-xml holds a whole token in memory.
pub fn xml_stream<R: Read>(input: R) -> Reader<BufReader<TokenGuard<Decoding<R>>>> {
    let mut reader = Reader::from_reader(BufReader::with_capacity(
        64 * 1024,
        TokenGuard::new(Decoding::utf8(input)),
    ));
    let config = reader.config_mut();
    config.check_end_names = false;
    config.allow_dangling_amp = true;
    reader
}

/// Longest run of bytes without a `>` that the streaming reader accepts. Every XML token ends
/// with `>` or is text followed by one; IIS writes captured bodies in chunks far below this.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024 * 1024;

/// Fails a read once more than [`MAX_TOKEN_BYTES`] have passed without a `>`: what stops a
/// file of zeros or a sparse file from being buffered whole as one XML text token.
pub struct TokenGuard<R> {
    inner: R,
    since_gt: usize,
}

impl<R> TokenGuard<R> {
    /// Wraps a reader.
    pub fn new(inner: R) -> Self {
        TokenGuard { inner, since_gt: 0 }
    }
}

impl<R: Read> Read for TokenGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.since_gt = match memchr::memrchr(b'>', &buf[..n]) {
            Some(at) => n - at - 1,
            None => self.since_gt + n,
        };
        if self.since_gt > MAX_TOKEN_BYTES {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "more than {} MiB without a '>': not XML as IIS writes it",
                    MAX_TOKEN_BYTES >> 20
                ),
            ));
        }
        Ok(n)
    }
}

/// Resolves `&amp;`, `&#x41;` and friends; keeps anything else as written.
pub(crate) fn resolve_reference(reference: &BytesRef<'_>) -> String {
    if let Ok(Some(ch)) = reference.resolve_char_ref() {
        return ch.to_string();
    }
    let name: &str = reference;
    match quick_xml::escape::resolve_predefined_entity(name) {
        Some(text) => text.to_owned(),
        None => format!("&{name};"),
    }
}

/// The value of an attribute with entities resolved; the raw value if it does not resolve
/// (IIS does not escape `appPoolId`, so a `&` in a pool name is legal there).
pub(crate) fn attribute(element: &BytesStart<'_>, name: &str) -> Option<String> {
    let mut attributes = element.attributes();
    attributes.with_checks(false);
    for attr in attributes.flatten() {
        if attr.key.local_name().as_ref() == name {
            return Some(attribute_value(&attr));
        }
    }
    None
}

/// See [`attribute`].
pub(crate) fn attribute_value(attr: &quick_xml::events::attributes::Attribute<'_>) -> String {
    match attr.normalized_value(XmlVersion::Implicit1_0) {
        Ok(value) => cap(value.into_owned()),
        Err(_) => cap(attr.value.to_string()),
    }
}

fn cap(mut value: String) -> String {
    if value.len() > MAX_VALUE_BYTES {
        let cut = floor_char_boundary(&value, MAX_VALUE_BYTES);
        value.truncate(cut);
    }
    value
}

/// Appends without letting `target` grow past [`MAX_VALUE_BYTES`].
pub(crate) fn push_capped(target: &mut String, text: &str) {
    let room = MAX_VALUE_BYTES.saturating_sub(target.len());
    if room == 0 {
        return;
    }
    if text.len() <= room {
        target.push_str(text);
    } else {
        target.push_str(&text[..floor_char_boundary(text, room)]);
    }
}

fn floor_char_boundary(text: &str, index: usize) -> usize {
    let mut i = index.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}
