//! The full reader: every event of a trace, with all its data.
//!
//! This is the reference: a plain streaming quick-xml parse of the whole document. `show`
//! uses it to print a trace, and the tests hold the fast reader to its results.

use std::io::{Cursor, Read};
use std::path::Path;

use quick_xml::events::Event;

use super::event::{EventBuilder, EventRecord, attribute_value, xml_stream};
use super::fast::{Window, read_to_root};
use super::input::utf8_stream;
use super::sniff::DOCTYPE_REASON;
use super::summary::{SummaryBuilder, is_detail_event};
use crate::error::ParseError;
use crate::model::Trace;

/// A whole trace as the full reader sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    /// The attributes of `<failedRequest>`, in file order.
    pub root: Vec<(String, String)>,
    /// Every complete `<Event>`, in file order.
    pub events: Vec<EventRecord>,
    /// True when `</failedRequest>` was reached.
    pub complete: bool,
    /// Why reading stopped early, when it did (a file cut short, broken XML).
    pub stopped: Option<String>,
}

impl Document {
    /// The value of a root attribute.
    pub fn root_attribute(&self, name: &str) -> Option<&str> {
        super::event::value_of(&self.root, name)
    }

    /// About how much memory the events hold, in bytes: what [`MAX_KEPT_BYTES`] counts.
    pub fn kept_bytes(&self) -> usize {
        self.events.iter().map(kept_bytes).sum()
    }

    /// The summary of this document, exactly as the fast reader would give it.
    pub fn summarize(&self, path: &Path) -> Trace {
        let mut builder = SummaryBuilder::new(path, &self.root);
        for event in &self.events {
            builder.event(&event.name, &event.computer);
            if is_detail_event(&event.name) {
                builder.detail(event);
            }
        }
        let first = self.events.iter().find_map(EventRecord::stamp);
        let last = self.events.iter().rev().find_map(EventRecord::stamp);
        builder.times(first, last);
        builder.finish(self.complete)
    }
}

/// How much of a trace's events the full reader keeps, in bytes of text: `show` prints every
/// event, and a trace with millions of them would otherwise hold them all. Past this, the
/// document ends there and says so.
pub const MAX_KEPT_BYTES: usize = 48 * 1024 * 1024;

/// Reads a whole trace from its bytes (any supported encoding).
pub fn read_document(bytes: &[u8]) -> Result<Document, ParseError> {
    read_document_from(bytes)
}

/// Reads a trace from a stream (any supported encoding), in bounded memory: the file is never
/// held whole, no XML token may exceed [`super::event::MAX_TOKEN_BYTES`], each value is capped
/// at [`super::event::MAX_VALUE_BYTES`] and the events kept at [`MAX_KEPT_BYTES`].
pub fn read_document_from<'a, R: Read + 'a>(raw: R) -> Result<Document, ParseError> {
    let mut input = utf8_stream(raw).map_err(|e| ParseError::io(&e))?;
    // The root is found as the fast reader finds it, so that both agree on what a trace is.
    let mut window = Window::new();
    let (start, _, _) = read_to_root(&mut input, &mut window)?;
    let head = window.bytes()[start..].to_vec();
    drop(window);
    let mut reader = xml_stream(Cursor::new(head).chain(input));
    let mut doc = Document::default();
    let mut builder = EventBuilder::default();
    let mut in_root = false;
    let mut kept = 0;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let event = match reader.read_event_into(&mut buf) {
            Ok(event) => event,
            Err(err) => {
                let message = err.to_string();
                let offset = start as u64 + reader.error_position();
                if !in_root {
                    return Err(ParseError::Malformed { offset, message });
                }
                doc.stopped = Some(format!("byte {offset}: {message}"));
                break;
            }
        };
        match event {
            Event::DocType(_) => return Err(ParseError::NotFreb(DOCTYPE_REASON.into())),
            Event::Start(e) if !in_root => {
                doc.root = root_attributes(&e)?;
                in_root = true;
            }
            Event::Empty(e) if !in_root => {
                doc.root = root_attributes(&e)?;
                doc.complete = true;
                break;
            }
            Event::End(e) if e.local_name().as_ref() == "failedRequest" && !builder.in_event() => {
                doc.complete = true;
                break;
            }
            Event::Eof => {
                doc.stopped = Some("the file ends before </failedRequest>".into());
                break;
            }
            event => {
                if let Some(record) = builder.feed(&event) {
                    kept += kept_bytes(&record);
                    doc.events.push(record);
                    if kept > MAX_KEPT_BYTES {
                        doc.stopped = Some(format!(
                            "only the first {} events are read: they hold {} MiB, as much as \
                             frebscope keeps of one trace",
                            doc.events.len(),
                            MAX_KEPT_BYTES >> 20
                        ));
                        break;
                    }
                }
            }
        }
    }
    Ok(doc)
}

/// About what an event costs in memory.
fn kept_bytes(event: &EventRecord) -> usize {
    let pairs =
        |v: &[(String, String)]| -> usize { v.iter().map(|(a, b)| a.len() + b.len() + 48).sum() };
    std::mem::size_of::<EventRecord>()
        + event.provider.len()
        + event.keywords.len()
        + event.computer.len()
        + event.name.len()
        + pairs(&event.data)
        + pairs(&event.descriptions)
        + event
            .keyword_names
            .iter()
            .map(|k| k.len() + 24)
            .sum::<usize>()
}

/// The attributes of the root element, or why this is not a trace.
pub(crate) fn root_attributes(
    element: &quick_xml::events::BytesStart<'_>,
) -> Result<Vec<(String, String)>, ParseError> {
    let mut attributes = Vec::new();
    visit_root_attributes(element, |name, value| {
        attributes.push((name.to_owned(), value));
    })?;
    Ok(attributes)
}

/// Hands each attribute of `<failedRequest>` to `visit`, name and value, without collecting
/// them; an error when the element is another one.
pub(crate) fn visit_root_attributes(
    element: &quick_xml::events::BytesStart<'_>,
    mut visit: impl FnMut(&str, String),
) -> Result<(), ParseError> {
    if element.local_name().as_ref() != "failedRequest" {
        return Err(ParseError::NotFreb(format!(
            "the root element is <{}>, not <failedRequest>",
            element.name().as_ref()
        )));
    }
    let mut attributes = element.attributes();
    attributes.with_checks(false);
    for attribute in attributes.flatten() {
        visit(attribute.key.as_ref(), attribute_value(&attribute));
    }
    Ok(())
}
