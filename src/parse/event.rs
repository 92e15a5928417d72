//! One `<Event>` of a trace, and the state machine that builds it from XML events.
//!
//! Both readers feed this one state machine: the full reader with every XML event of the file,
//! the fast reader with the XML events of the few `<Event>` elements it selected. Writing it
//! once is what makes the two agree.

use chrono::{DateTime, Utc};
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::{Reader, XmlVersion};
use serde::Serialize;

/// Longest value kept from a `<Data>` or description, in bytes. Captured response bodies can be
/// megabytes; nothing frebscope reports needs more than the start of them, and the cap keeps
/// memory bounded whatever a file holds.
pub const MAX_VALUE_BYTES: usize = 64 * 1024;

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
        self.data
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The description IIS wrote for the `Data` item of this name.
    pub fn description(&self, name: &str) -> Option<&str> {
        self.descriptions
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses `2026-06-08T19:54:59.674Z`.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
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

/// Builds [`EventRecord`]s from the XML events of a trace.
#[derive(Debug, Default)]
pub struct EventBuilder {
    current: Option<EventRecord>,
    /// Local names of the open elements inside the current `<Event>`.
    path: Vec<String>,
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
    /// True while inside an `<Event>` element.
    pub fn in_event(&self) -> bool {
        self.current.is_some()
    }

    /// An element starts (`empty` for `<x/>`).
    pub fn start(&mut self, element: &BytesStart<'_>, empty: bool) {
        let local = element.local_name();
        let local = local.as_ref();
        let Some(event) = self.current.as_mut() else {
            if local == "Event" && !empty {
                self.current = Some(EventRecord::default());
                self.path.clear();
            }
            return;
        };
        let parent = self.path.last().map(String::as_str);
        let under = |name: &str| parent == Some(name);
        match (parent, local) {
            (Some("System"), "Provider") => {
                event.provider = attribute(element, "Name").unwrap_or_default();
            }
            (Some("System"), "TimeCreated") => {
                event.time = attribute(element, "SystemTime").and_then(|t| parse_time(&t));
            }
            (Some("System"), "Execution") => {
                event.process_id = attribute(element, "ProcessID").and_then(|v| v.parse().ok());
                event.thread_id = attribute(element, "ThreadID").and_then(|v| v.parse().ok());
            }
            _ => {}
        }
        let slot = match local {
            "Level" if under("System") => Slot::Level,
            "Opcode" if under("System") => Slot::Opcode,
            "Keywords" if under("System") => Slot::Keywords,
            "Computer" if under("System") => Slot::Computer,
            "Data" if under("EventData") => Slot::Data,
            "Opcode" if under("RenderingInfo") => Slot::Name,
            "Keyword" if under("Keywords") => Slot::Keyword,
            "Description" if under("RenderingInfo") => Slot::Description,
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
        self.path.push(local.to_owned());
    }

    /// Character data (already split around entity references by the reader).
    pub fn text(&mut self, text: &str) {
        if let Some(slot) = self.slot.as_mut()
            && slot.depth == self.path.len()
        {
            push_capped(&mut slot.text, text);
        }
    }

    /// An entity or character reference inside text. Only the five predefined entities and
    /// character references are resolved; anything a DTD declared is kept as written and
    /// never expanded.
    pub fn reference(&mut self, reference: &BytesRef<'_>) {
        let resolved = resolve_reference(reference);
        self.text(&resolved);
    }

    /// Feeds one XML event; returns the record when it closes an `<Event>`. Events other
    /// than elements, text and references (comments, processing instructions, DOCTYPE) carry
    /// nothing a trace needs.
    pub fn feed(&mut self, event: &Event<'_>) -> Option<EventRecord> {
        match event {
            Event::Start(e) => self.start(e, false),
            Event::Empty(e) => self.start(e, true),
            Event::Text(t) => self.text(&t.xml10_content()),
            Event::CData(t) => self.text(&t.xml10_content()),
            Event::GeneralRef(r) => self.reference(r),
            Event::End(e) => return self.end(e.local_name().as_ref()),
            _ => {}
        }
        None
    }

    /// An element ends. Returns the event when `</Event>` closes it.
    pub fn end(&mut self, local: &str) -> Option<EventRecord> {
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
pub fn trace_reader(text: &str) -> Reader<&[u8]> {
    let mut reader = Reader::from_str(text);
    let config = reader.config_mut();
    config.check_end_names = false;
    config.allow_dangling_amp = true;
    reader
}

/// Resolves `&amp;`, `&#x41;` and friends; keeps anything else as written.
pub fn resolve_reference(reference: &BytesRef<'_>) -> String {
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
pub fn attribute(element: &BytesStart<'_>, name: &str) -> Option<String> {
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
pub fn attribute_value(attr: &quick_xml::events::attributes::Attribute<'_>) -> String {
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
pub fn push_capped(target: &mut String, text: &str) {
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
