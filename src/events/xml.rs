//! Event XML: `wevtutil qe ... /f:xml` (fragments, no root, single quotes), `/e:root` (a root
//! around them), `/f:RenderedXml` (a `RenderingInfo` with the message), `/uni:true`
//! (UTF-16), Event Viewer's "Event Xml" copies and `evtx_dump -o xml` output (`Record N`
//! lines and one XML declaration per record).
//!
//! One streaming pass with quick-xml: whatever surrounds the `<Event>` elements is skipped, so
//! fragments need no synthetic root, and DTDs are never expanded (quick-xml does not). Each
//! value is cut at 64 KiB and each record at 16 MiB ([`super::capped`]).

use std::io::{BufRead, Read};
use std::path::Path;

use chrono::{DateTime, NaiveDateTime, Utc};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::capped::{self, Budget};
use super::raw::RawEvent;
use super::{EventSkipReason, FileEvents, kinds};
use crate::parse::event::{attribute, resolve_reference};

/// Reads every `<Event>` of an XML export.
pub fn read<R: Read + 'static>(file: R, path: &Path) -> FileEvents {
    match capped::text_reader(file) {
        Ok((reader, budget)) => read_events(reader, &budget, path),
        Err(err) => FileEvents {
            problem: Some((EventSkipReason::Unreadable, err.to_string())),
            ..FileEvents::default()
        },
    }
}

/// Reads one record's XML (an `.evtx` record as the evtx crate renders it).
pub fn read_record(xml: &str) -> Option<RawEvent> {
    let mut out = Vec::new();
    let budget = Budget::default();
    let reader = Reader::from_reader(xml.as_bytes());
    let _ = walk(reader, &budget, |raw| out.push(raw));
    out.into_iter().next()
}

/// Streams the events of `reader`, keeping those that matter.
pub(super) fn read_events<R: BufRead>(reader: R, budget: &Budget, path: &Path) -> FileEvents {
    let mut file = FileEvents::default();
    let result = walk(Reader::from_reader(reader), budget, |raw| {
        file.records += 1;
        if let Some(event) = kinds::classify(&raw, path) {
            file.events.push(event);
        }
    });
    if let Err((offset, message)) = result {
        file.problem = Some((
            EventSkipReason::Malformed,
            format!("broken XML at byte {offset}: {message}; the events before it were kept"),
        ));
    }
    file
}

/// The element whose text is being collected.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    EventId,
    RecordId,
    Channel,
    Computer,
    Data,
    Message,
}

/// One `<Event>` being read.
#[derive(Default)]
struct Builder {
    raw: RawEvent,
    field: Option<Field>,
    text: String,
    data_name: String,
    /// Inside `<UserData>` or another block whose elements are no `Data`.
    in_rendering: bool,
}

impl Builder {
    fn start(&mut self, e: &BytesStart<'_>, empty: bool) {
        let name = e.local_name();
        match name.as_ref() {
            "Provider" if !self.in_rendering => {
                self.raw.provider = attribute(e, "Name").unwrap_or_default();
                self.raw.event_source = attribute(e, "EventSourceName").unwrap_or_default();
            }
            "TimeCreated" => {
                if let Some(text) = attribute(e, "SystemTime") {
                    self.raw.time = parse_system_time(&text);
                    self.raw.precise_time = text.contains('.');
                }
            }
            "RenderingInfo" => self.in_rendering = true,
            "EventID" if !self.in_rendering => self.begin(Field::EventId),
            "EventRecordID" => self.begin(Field::RecordId),
            "Channel" if !self.in_rendering => self.begin(Field::Channel),
            "Computer" => self.begin(Field::Computer),
            "Data" => {
                self.data_name = attribute(e, "Name").unwrap_or_default();
                if empty {
                    let name = std::mem::take(&mut self.data_name);
                    self.raw.push_data(name, String::new());
                } else {
                    self.begin(Field::Data);
                }
            }
            "Message" if self.in_rendering => self.begin(Field::Message),
            _ => {}
        }
    }

    fn begin(&mut self, field: Field) {
        self.field = Some(field);
        self.text.clear();
    }

    fn text(&mut self, text: &str) {
        if self.field.is_some() {
            capped::push_capped(&mut self.text, text);
        }
    }

    fn end(&mut self, name: &str) {
        if name == "RenderingInfo" {
            self.in_rendering = false;
            return;
        }
        let Some(field) = self.field.take() else {
            return;
        };
        let text = std::mem::take(&mut self.text);
        match field {
            Field::EventId => self.raw.event_id = text.trim().parse().ok(),
            Field::RecordId => self.raw.record_id = text.trim().parse().ok(),
            Field::Channel => self.raw.channel = text.trim().to_string(),
            Field::Computer => self.raw.server = text.trim().to_string(),
            Field::Data => {
                let name = std::mem::take(&mut self.data_name);
                self.raw.push_data(name, text);
            }
            Field::Message => self.raw.message = Some(text),
        }
    }
}

/// Walks the XML, calling `emit` for every complete `<Event>`; an error comes with the byte
/// offset where reading stopped.
fn walk<R: BufRead>(
    mut reader: Reader<R>,
    budget: &Budget,
    mut emit: impl FnMut(RawEvent),
) -> Result<(), (u64, String)> {
    let config = reader.config_mut();
    config.trim_text(false);
    config.check_end_names = false;
    config.allow_unmatched_ends = true;
    let mut buf = Vec::new();
    let mut current: Option<Builder> = None;
    loop {
        buf.clear();
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| (reader.error_position(), e.to_string()))?;
        match event {
            Event::Start(e) if e.local_name().as_ref() == "Event" => {
                current = Some(Builder::default());
            }
            Event::Start(e) => {
                if let Some(b) = current.as_mut() {
                    b.start(&e, false);
                }
            }
            Event::Empty(e) => {
                if let Some(b) = current.as_mut() {
                    b.start(&e, true);
                }
            }
            Event::Text(t) => {
                if let Some(b) = current.as_mut() {
                    b.text(t.as_ref());
                }
            }
            Event::CData(t) => {
                if let Some(b) = current.as_mut() {
                    b.text(t.as_ref());
                }
            }
            Event::GeneralRef(r) => {
                if let Some(b) = current.as_mut() {
                    b.text(&resolve_reference(&r));
                }
            }
            Event::End(e) if e.local_name().as_ref() == "Event" => {
                if let Some(b) = current.take() {
                    emit(b.raw);
                }
                budget.reset();
            }
            Event::End(e) => {
                if let Some(b) = current.as_mut() {
                    b.end(e.local_name().as_ref());
                }
            }
            Event::Eof if current.is_some() => {
                return Err((
                    reader.buffer_position(),
                    "the file ends inside an event (cut short?)".into(),
                ));
            }
            Event::Eof => break,
            _ => {}
        }
        if current.is_none() {
            // Between events (a root, `Record N` lines, declarations): nothing is kept.
            budget.reset();
        }
    }
    Ok(())
}

/// `2025-03-11T12:08:30.1234567Z`, with 0 to 9 fractional digits; a time without its `Z` is
/// still UTC (EvtRender writes UTC only). Malformed times are refused, not guessed.
pub fn parse_system_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    let bare = text.strip_suffix('Z').unwrap_or(text);
    NaiveDateTime::parse_from_str(bare, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::EventKind;

    fn read_str(text: &str) -> FileEvents {
        read_events(text.as_bytes(), &Budget::default(), Path::new("t.xml"))
    }

    const FRAGMENT_5186: &str = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-WAS' Guid='{524B5D04-133C-4A62-8362-64E8EDB9CE40}' EventSourceName='WAS'/><EventID Qualifiers='16384'>5186</EventID><Version>0</Version><Level>4</Level><Task>0</Task><Opcode>0</Opcode><Keywords>0x80000000000000</Keywords><TimeCreated SystemTime='2025-03-11T12:08:30.1234567Z'/><EventRecordID>9001</EventRecordID><Correlation/><Execution ProcessID='0' ThreadID='0'/><Channel>System</Channel><Computer>WEB01.contoso.local</Computer><Security/></System><EventData><Data Name='ProcessID'>4812</Data><Data Name='AppPoolID'>Orders</Data><Data Name='param3'>20</Data></EventData></Event>";

    #[test]
    fn fragments_without_a_root_are_read() {
        let text = format!(
            "{FRAGMENT_5186}\r\n{}\r\n",
            FRAGMENT_5186.replace("9001", "9002")
        );
        let read = read_str(&text);
        assert_eq!(read.records, 2);
        assert!(read.problem.is_none());
        let e = &read.events[0];
        assert_eq!(e.kind, EventKind::IdleShutdown);
        assert_eq!((e.pid, e.pool.as_deref()), (Some(4812), Some("Orders")));
        assert_eq!(e.server, "WEB01.contoso.local");
        assert_eq!(e.time.to_rfc3339(), "2025-03-11T12:08:30.123456700+00:00");
        assert_eq!(e.record_id, Some(9001));
        assert_eq!(e.channel.as_deref(), Some("System"));
    }

    #[test]
    fn a_root_and_rendered_xml_are_read() {
        let rendered = FRAGMENT_5186.replace(
            "</EventData></Event>",
            "</EventData><RenderingInfo Culture='fr-FR'><Message>Un processus de travail &#13;&#10;'4812'</Message><Level>Information</Level><Provider>Microsoft-Windows-WAS</Provider><Channel>Système</Channel></RenderingInfo></Event>",
        );
        let read = read_str(&format!("<Events>{rendered}</Events>"));
        assert_eq!(read.events.len(), 1);
        assert_eq!(read.events[0].channel.as_deref(), Some("System"));
        assert_eq!(read.events[0].pid, Some(4812));
    }

    #[test]
    fn other_providers_are_counted_not_kept() {
        let scm = "<Event><System><Provider Name='Service Control Manager'/><EventID Qualifiers='16384'>7036</EventID><TimeCreated SystemTime='2025-03-11T12:00:00.0Z'/><Computer>WEB01</Computer></System><EventData><Data Name='param1'>x</Data></EventData></Event>";
        let read = read_str(&format!("{scm}\n{FRAGMENT_5186}"));
        assert_eq!((read.records, read.events.len()), (2, 1));
    }

    #[test]
    fn evtx_dump_output_and_viewer_copies_are_read() {
        let pretty = format!(
            "Record 9001\n<?xml version=\"1.0\" encoding=\"utf-8\"?>\n{}\nRecord 9002\n<?xml version=\"1.0\" encoding=\"utf-8\"?>\n{}\n",
            FRAGMENT_5186.replace('\'', "\""),
            FRAGMENT_5186
                .replace("9001", "9002")
                .replace("<Data Name='param3'>20</Data>", "<Data />"),
        );
        let read = read_str(&pretty);
        assert_eq!(read.events.len(), 2, "{:?}", read.problem);
        let viewer = format!("- {}", FRAGMENT_5186.replace("<System>", "\n  - <System>"));
        assert_eq!(read_str(&viewer).events.len(), 1);
    }

    #[test]
    fn utf16_exports_are_transcoded() {
        for bom in [true, false] {
            let mut bytes: Vec<u8> = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
            for unit in FRAGMENT_5186.encode_utf16() {
                bytes.extend_from_slice(&unit.to_le_bytes());
            }
            let read = read(std::io::Cursor::new(bytes), Path::new("u.xml"));
            assert_eq!(read.events.len(), 1, "bom {bom}: {:?}", read.problem);
        }
    }

    #[test]
    fn broken_xml_keeps_what_came_before() {
        let text = format!("{FRAGMENT_5186}\n<Event><System><Provider Name='WAS'/></Sys");
        let read = read_str(&text);
        assert_eq!(read.events.len(), 1);
        assert_eq!(read.problem.map(|p| p.0), Some(EventSkipReason::Malformed));
        let text = format!("{FRAGMENT_5186}\n<Event><System <<>>");
        let read = read_str(&text);
        assert_eq!(read.events.len(), 1);
        assert_eq!(read.problem.map(|p| p.0), Some(EventSkipReason::Malformed));
    }

    #[test]
    fn entities_are_not_expanded() {
        let text = format!(
            "<!DOCTYPE x [<!ENTITY big 'AAAA'>]><Events>{}</Events>",
            FRAGMENT_5186.replace(">Orders<", ">Ord&big;ers<")
        );
        let read = read_str(&text);
        assert_eq!(read.events[0].pool.as_deref(), Some("Ord&big;ers"));
    }

    #[test]
    fn times_accept_zero_to_nine_digits_and_refuse_garbage() {
        assert!(parse_system_time("2017-06-15T14:27:10.000000000Z").is_some());
        assert!(parse_system_time("2017-06-15T14:27:10Z").is_some());
        assert!(parse_system_time("2017-06-15T14:27:10.1Z").is_some());
        assert!(parse_system_time("yesterday").is_none());
        assert!(parse_system_time("2017-13-15T14:27:10Z").is_none());
    }
}
