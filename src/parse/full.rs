//! The full reader: every event of a trace, with all its data.
//!
//! This is the reference: a plain streaming quick-xml parse of the whole document. `show`
//! uses it to print a trace, and the tests hold the fast reader to its results.

use std::path::Path;

use quick_xml::events::Event;

use super::event::{EventBuilder, EventRecord, attribute_value, trace_reader};
use super::input::decode_all;
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

    /// The summary of this document, exactly as the fast reader would give it.
    pub fn summarize(&self, path: &Path) -> Trace {
        let mut builder = SummaryBuilder::new(path, &self.root);
        for event in &self.events {
            builder.event(&event.name, &event.computer);
            if is_detail_event(&event.name) {
                builder.detail(event);
            }
        }
        let first = self.events.iter().find_map(|e| e.time);
        let last = self.events.iter().rev().find_map(|e| e.time);
        builder.times(first, last);
        builder.finish(self.complete)
    }
}

/// Reads a whole trace from its bytes (any supported encoding).
pub fn read_document(bytes: &[u8]) -> Result<Document, ParseError> {
    let text = decode_all(bytes).map_err(|e| ParseError::io(&e))?;
    // ASCII whitespace only, as the fast reader counts it.
    let start = text.trim_start_matches(|c: char| c.is_ascii_whitespace());
    if start.is_empty() {
        return Err(ParseError::Empty);
    }
    // Text that neither starts as XML nor holds a root element is not a trace, as the fast
    // reader says, however the XML reader would stumble over it.
    if !start.starts_with('<') && !start.contains("<failedRequest") {
        return Err(ParseError::NotFreb("the file is not XML".into()));
    }
    let mut reader = trace_reader(&text);
    let mut doc = Document::default();
    let mut builder = EventBuilder::default();
    let mut in_root = false;
    loop {
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(err) => {
                let message = err.to_string();
                if !in_root && !doc.complete {
                    return Err(ParseError::Malformed {
                        offset: reader.error_position(),
                        message,
                    });
                }
                doc.stopped = Some(format!("byte {}: {message}", reader.error_position()));
                break;
            }
        };
        match event {
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
                if !in_root {
                    return Err(ParseError::NotFreb("no <failedRequest> element".into()));
                }
                doc.stopped = Some("the file ends before </failedRequest>".into());
                break;
            }
            event => doc.events.extend(builder.feed(&event)),
        }
    }
    Ok(doc)
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
