//! The fast reader: what a summary needs, without tokenizing the whole file.
//!
//! Most of a trace is captured request and response bodies that no summary reads, and a full
//! XML tokenization of them runs at a few hundred MB/s per core. This reader instead finds
//! the event boundaries (`</Event>`) and each event's name (`RenderingInfo/Opcode`) with
//! `memchr::memmem`, which runs at memory speed, and hands only the few events in
//! [`is_detail_event`] to quick-xml. The result is held equal to the full reader's by the
//! differential tests.
//!
//! The file is read in windows, so memory stays bounded by the window and [`MAX_EVENT_BYTES`]
//! whatever the file holds; the root element comes first, so a trace that the filters reject
//! costs one small read.

use std::io::Read;
use std::path::Path;
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use memchr::memmem::{Finder, FinderRev};
use quick_xml::Reader;
use quick_xml::events::Event;

use super::event::{EventBuilder, EventRecord, parse_time};
use super::full::root_attributes;
use super::input::fill;
use super::summary::{SummaryBuilder, is_detail_event};
use crate::error::ParseError;
use crate::model::Trace;

/// First read: enough for the root element, the first event and the request headers of a
/// normal trace (they sit at about 23 KB).
pub const HEAD_BYTES: usize = 64 * 1024;
/// Later reads.
const CHUNK_BYTES: usize = 1024 * 1024;
/// An event larger than this (a huge captured body) is counted by name but not kept whole.
pub const MAX_EVENT_BYTES: usize = 4 * 1024 * 1024;
/// How much of an oversized event is kept: its end, where the name is.
const TAIL_BYTES: usize = 64 * 1024;

static ROOT_START: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"<failedRequest"));
static ROOT_END: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"</failedRequest"));
static EVENT_END: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"</Event>"));
static SYSTEM_END: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"</System>"));
static TIME_ATTR: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"SystemTime=\""));
static COMPUTER: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"<Computer>"));
static COMPUTER_END: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"</Computer>"));
static OPCODE_REV: LazyLock<FinderRev<'static>> = LazyLock::new(|| FinderRev::new(b"<Opcode>"));
static OPCODE_END: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"</Opcode>"));

/// Reads a trace from a UTF-8 stream. `keep` sees the trace once its root element and first
/// events are read; when it says no, the rest of the file is not read and the trace comes
/// back with [`crate::model::Depth::Head`].
pub fn summarize(
    path: &Path,
    input: &mut dyn Read,
    keep: &dyn Fn(&Trace) -> bool,
) -> Result<Trace, ParseError> {
    let mut buf = Vec::with_capacity(HEAD_BYTES);
    let mut eof = fill(input, &mut buf, HEAD_BYTES).map_err(|e| ParseError::io(&e))?;
    if buf.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseError::Empty);
    }
    let root = loop {
        match find_root(&buf, eof)? {
            Some(root) => break root,
            None => {
                eof = fill(input, &mut buf, CHUNK_BYTES).map_err(|e| ParseError::io(&e))?;
            }
        }
    };
    let mut summary = SummaryBuilder::new(path, &root.attributes);
    let mut scanner = Scanner::default();
    if root.self_closing {
        return Ok(summary.finish(true));
    }
    let mut pos = root.end;
    pos += scanner.scan(&buf[pos..], &mut summary);
    let head = {
        let mut head = summary.head();
        head.start_time = scanner.first_time();
        head
    };
    if !keep(&head) {
        return Ok(head);
    }
    while !eof {
        buf.drain(..pos);
        pos = 0;
        if buf.len() > MAX_EVENT_BYTES {
            scanner.skip_oversized(&mut buf);
        }
        eof = fill(input, &mut buf, CHUNK_BYTES).map_err(|e| ParseError::io(&e))?;
        pos += scanner.scan(&buf, &mut summary);
    }
    let complete = !scanner.oversized && root_closed(&buf[pos..]);
    summary.times(scanner.first_time(), scanner.last_time());
    Ok(summary.finish(complete))
}

/// True when `</failedRequest>` ends the window, its `>` included: a file cut just before that
/// `>` is as partial as one cut anywhere else.
fn root_closed(window: &[u8]) -> bool {
    let Some(at) = ROOT_END.find(window) else {
        return false;
    };
    let rest = &window[at + b"</failedRequest".len()..];
    rest.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'>')
}

struct Root {
    attributes: Vec<(String, String)>,
    /// Offset just past the start tag's `>`.
    end: usize,
    self_closing: bool,
}

/// Finds and reads `<failedRequest ...>`. `Ok(None)` asks for more input.
fn find_root(buf: &[u8], eof: bool) -> Result<Option<Root>, ParseError> {
    let Some(start) = ROOT_START.find(buf) else {
        if eof {
            return Err(without_root(buf));
        }
        if buf.len() >= HEAD_BYTES {
            return Err(not_freb(buf));
        }
        return Ok(None);
    };
    let Some(close) = tag_end(&buf[start..]) else {
        if eof {
            return Err(ParseError::Malformed {
                offset: buf.len() as u64,
                message: "the file ends inside the <failedRequest> start tag".into(),
            });
        }
        if buf.len() > MAX_EVENT_BYTES {
            return Err(ParseError::Malformed {
                offset: start as u64,
                message: format!(
                    "the <failedRequest> start tag does not end within {} MiB",
                    MAX_EVENT_BYTES >> 20
                ),
            });
        }
        return Ok(None);
    };
    let end = start + close + 1;
    let tag = String::from_utf8_lossy(&buf[start..end]);
    let mut reader = Reader::from_str(&tag);
    reader.config_mut().allow_dangling_amp = true;
    let (attributes, self_closing) = match reader.read_event() {
        Ok(Event::Start(e)) => (root_attributes(&e)?, false),
        Ok(Event::Empty(e)) => (root_attributes(&e)?, true),
        Ok(_) => return Err(not_freb(buf)),
        Err(err) => {
            return Err(ParseError::Malformed {
                offset: start as u64 + reader.error_position(),
                message: err.to_string(),
            });
        }
    };
    Ok(Some(Root {
        attributes,
        end,
        self_closing,
    }))
}

/// Why a whole file without `<failedRequest` is not a trace: XML cut before its root element
/// (IIS still writing it, a copy cut short) is malformed, as the full reader says; anything
/// else is not FREB.
fn without_root(buf: &[u8]) -> ParseError {
    let not_freb = not_freb(buf);
    if !looks_like_xml(buf) {
        return not_freb;
    }
    let text = String::from_utf8_lossy(buf);
    let mut reader = Reader::from_str(&text);
    let config = reader.config_mut();
    config.check_end_names = false;
    config.allow_dangling_amp = true;
    loop {
        match reader.read_event() {
            Err(err) => {
                return ParseError::Malformed {
                    offset: reader.error_position(),
                    message: err.to_string(),
                };
            }
            Ok(Event::Start(e) | Event::Empty(e)) => {
                return root_attributes(&e).err().unwrap_or(not_freb);
            }
            Ok(Event::Eof) => return not_freb,
            Ok(_) => {}
        }
    }
}

fn looks_like_xml(buf: &[u8]) -> bool {
    buf.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|&b| b == b'<')
}

fn not_freb(buf: &[u8]) -> ParseError {
    ParseError::NotFreb(if looks_like_xml(buf) {
        "no <failedRequest> root element".into()
    } else {
        "the file is not XML".into()
    })
}

/// Offset of the `>` that ends the tag starting at `tag[0]`, skipping quoted values.
fn tag_end(tag: &[u8]) -> Option<usize> {
    let mut quote = None;
    for (i, &b) in tag.iter().enumerate() {
        match (quote, b) {
            (None, b'"' | b'\'') => quote = Some(b),
            (Some(q), _) if b == q => quote = None,
            (None, b'>') => return Some(i),
            _ => {}
        }
    }
    None
}

/// Walks the events of a trace window by window.
#[derive(Default)]
struct Scanner {
    first_time: Option<Vec<u8>>,
    last_time: Option<Vec<u8>>,
    /// Inside an event too large to keep; its start was already counted.
    oversized: bool,
    oversized_computer: String,
}

impl Scanner {
    /// Handles every complete event in `window`; returns the bytes consumed.
    fn scan(&mut self, window: &[u8], summary: &mut SummaryBuilder) -> usize {
        let mut pos = 0;
        while let Some(found) = EVENT_END.find(&window[pos..]) {
            let end = pos + found + b"</Event>".len();
            if self.oversized {
                self.finish_oversized(&window[pos..end], summary);
            } else {
                self.event(&window[pos..end], summary);
            }
            pos = end;
        }
        pos
    }

    fn event(&mut self, event: &[u8], summary: &mut SummaryBuilder) {
        let system_end = SYSTEM_END.find(event).unwrap_or(0);
        let system = &event[..system_end];
        self.note_time(system);
        let computer = if summary.needs_server() {
            computer(system)
        } else {
            String::new()
        };
        let name = event_name(&event[system_end..]);
        summary.event(&name, &computer);
        if is_detail_event(&name)
            && let Some(record) = parse_event(event)
        {
            summary.detail(&record);
        }
    }

    fn note_time(&mut self, system: &[u8]) {
        let Some(at) = TIME_ATTR.find(system) else {
            return;
        };
        let value = &system[at + b"SystemTime=\"".len()..];
        let value = &value[..memchr::memchr(b'"', value).unwrap_or(value.len())];
        if self.first_time.is_none() {
            self.first_time = Some(value.to_vec());
        }
        match &mut self.last_time {
            Some(last) => {
                last.clear();
                last.extend_from_slice(value);
            }
            None => self.last_time = Some(value.to_vec()),
        }
    }

    /// The window holds only the start of a huge event: note what the summary needs from its
    /// start, and keep only its tail.
    fn skip_oversized(&mut self, buf: &mut Vec<u8>) {
        if !self.oversized {
            let system_end = SYSTEM_END.find(buf).unwrap_or(0);
            let system = &buf[..system_end];
            self.note_time(system);
            self.oversized_computer = computer(system);
            self.oversized = true;
        }
        let cut = buf.len() - TAIL_BYTES;
        buf.drain(..cut);
    }

    fn finish_oversized(&mut self, tail: &[u8], summary: &mut SummaryBuilder) {
        let name = event_name(tail);
        let computer = std::mem::take(&mut self.oversized_computer);
        summary.event(&name, &computer);
        self.oversized = false;
    }

    fn first_time(&self) -> Option<DateTime<Utc>> {
        self.first_time.as_deref().and_then(time_from_bytes)
    }

    fn last_time(&self) -> Option<DateTime<Utc>> {
        self.last_time.as_deref().and_then(time_from_bytes)
    }
}

fn time_from_bytes(bytes: &[u8]) -> Option<DateTime<Utc>> {
    std::str::from_utf8(bytes).ok().and_then(parse_time)
}

fn computer(system: &[u8]) -> String {
    let Some(start) = COMPUTER.find(system) else {
        return String::new();
    };
    let rest = &system[start + b"<Computer>".len()..];
    let end = COMPUTER_END.find(rest).unwrap_or(rest.len());
    unescape(&rest[..end]).trim().to_owned()
}

/// The last `<Opcode>` of an event is the name in `RenderingInfo`; `System/Opcode` is a
/// number. `after_system` starts past `</System>`.
fn event_name(after_system: &[u8]) -> String {
    let Some(start) = OPCODE_REV.rfind(after_system) else {
        return String::new();
    };
    let rest = &after_system[start + b"<Opcode>".len()..];
    let Some(end) = OPCODE_END.find(rest) else {
        return String::new();
    };
    unescape(&rest[..end]).trim().to_owned()
}

fn unescape(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    if !text.contains('&') {
        return text.into_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_ref();
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        match after.find(';') {
            Some(semi) => {
                let reference = quick_xml::events::BytesRef::new(&after[..semi]);
                out.push_str(&super::event::resolve_reference(&reference));
                rest = &after[semi + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Parses one `<Event>` element (with any whitespace before it) into a record.
fn parse_event(bytes: &[u8]) -> Option<EventRecord> {
    let text = String::from_utf8_lossy(bytes);
    let mut reader = Reader::from_str(&text);
    let config = reader.config_mut();
    config.check_end_names = false;
    config.allow_dangling_amp = true;
    let mut builder = EventBuilder::default();
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) => builder.start(&e, false),
            Event::Empty(e) => builder.start(&e, true),
            Event::Text(t) => builder.text(&t.xml10_content()),
            Event::CData(t) => builder.text(&t.xml10_content()),
            Event::GeneralRef(r) => builder.reference(&r),
            Event::End(e) => {
                if let Some(record) = builder.end(e.local_name().as_ref()) {
                    return Some(record);
                }
            }
            Event::Eof => return None,
            _ => {}
        }
    }
}
