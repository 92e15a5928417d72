//! The fast reader: what a summary needs, without tokenizing the whole file.
//!
//! Most of a trace is captured request and response bodies that no summary reads, and a full
//! XML tokenization of them runs at a few hundred MB/s per core. This reader instead finds
//! the event boundaries (`</Event>`) and each event's name (`RenderingInfo/Opcode`) with
//! `memchr::memmem`, which runs at memory speed, and hands only the few events in
//! [`super::summary::is_detail_event`] to quick-xml. The result is held equal to the full reader's by the
//! differential tests.
//!
//! The file is read in windows, so memory stays bounded by the window and [`MAX_EVENT_BYTES`]
//! whatever the file holds; the root element comes first, so a trace that the filters reject
//! costs one small read: its first read is sized by [`super::head::Hint`] to where the request
//! headers of the traces rejected before it in its folder ended.

use std::borrow::Cow;
use std::cell::RefCell;
use std::io::{Cursor, Read};
use std::path::Path;
use std::sync::LazyLock;

use memchr::memmem::Finder;
use quick_xml::events::Event;

use super::event::{EventBuilder, EventRecord, Stamp, trace_reader, xml_stream};
use super::full::visit_root_attributes;
use super::head::Head;
use super::input::read_full;
use super::sniff::{self, DOCTYPE_REASON, Prolog};
use super::summary::{
    RESPONSE_BUFFER, SummaryBuilder, is_detail_event, is_searched_body, reads_data,
    reads_descriptions,
};
use crate::error::ParseError;
use crate::model::Trace;

/// The head of a trace: where its root element, first event and request headers must be
/// (the headers sit at about 23 KB in real traces).
pub(super) const HEAD_BYTES: usize = 64 * 1024;
/// The first read of a trace read from memory, and of the full reader. A file's first read is
/// sized by [`super::head::Hint`] instead.
pub(super) const HEAD_STEP: usize = 16 * 1024;
/// After the first read, the head grows by half of what was read, and by at least this, up
/// to exactly [`HEAD_BYTES`]: a trace whose headers end a little past the first read costs one
/// small read more, one without request headers a few reads.
const HEAD_GROWTH: usize = 8 * 1024;
/// Later reads. Each reader thread keeps a buffer of about this size (plus an event cut at
/// its end): a quarter MiB reads as fast as a whole one, and with a thread pool sized for
/// shares it keeps peak memory down by several MiB.
const CHUNK_BYTES: usize = 256 * 1024;
/// An event larger than this (a huge captured body) is counted by name but not kept whole.
pub(super) const MAX_EVENT_BYTES: usize = 4 * 1024 * 1024;
/// How much of an oversized event is kept: its end, where the name is.
const TAIL_BYTES: usize = 64 * 1024;

static ROOT_END: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"</failedRequest"));
static EVENT_END: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"</Event>"));
static SYSTEM_END: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"</System>"));
static TIME_ATTR: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"SystemTime=\""));
static COMPUTER: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"<Computer>"));
static COMPUTER_END: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"</Computer>"));

/// Reads a trace from a UTF-8 stream. `keep` sees the trace once its root element and first
/// events are read; when it says no, the rest of the file is not read and the trace comes
/// back with [`crate::model::Depth::Head`].
pub(super) fn summarize(
    path: &Path,
    input: &mut dyn Read,
    keep: &dyn Fn(&Trace) -> bool,
    head: &Head,
) -> Result<Trace, ParseError> {
    // One buffer per thread, reused from file to file: allocating and faulting in a fresh
    // buffer for every trace costs more than reading a cached trace.
    BUFFER.with(|cell| {
        let mut window = Window {
            buf: cell.take(),
            len: 0,
        };
        let result = summarize_in(path, input, keep, head, &mut window);
        if window.buf.capacity() <= KEPT_CAPACITY {
            cell.replace(window.buf);
        }
        result
    })
}

thread_local! {
    static BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// A buffer kept between files only up to this size, which holds a chunk and the usual event
/// cut at its end: a trace with a huge event does not pin its memory on every thread.
const KEPT_CAPACITY: usize = 4 * CHUNK_BYTES;

/// The bytes read and not yet consumed. `buf` stays initialized up to its length, so reading
/// into it never zeroes memory again; `len` is how much of it holds data.
pub(crate) struct Window {
    buf: Vec<u8>,
    len: usize,
}

impl Window {
    /// An empty window.
    pub(crate) fn new() -> Window {
        Window {
            buf: Vec::new(),
            len: 0,
        }
    }

    /// The bytes read and not consumed.
    pub(crate) fn bytes(&self) -> &[u8] {
        self.data()
    }

    fn data(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// Reads up to `want` more bytes; true when the input has ended.
    fn fill(&mut self, input: &mut dyn Read, want: usize) -> Result<bool, ParseError> {
        if self.buf.len() < self.len + want {
            self.grow(self.len + want);
        }
        let n = read_full(input, &mut self.buf[self.len..self.len + want])
            .map_err(|e| ParseError::io(&e))?;
        self.len += n;
        Ok(n < want)
    }

    /// Makes room for at least `size` bytes. A new zeroed buffer, not a resized one: the
    /// allocator hands out a large zeroed block as fresh pages of the system's, which take no
    /// memory until a read writes them, where resizing writes every zero. A thread that reads
    /// the few KB left of a small trace into a chunk-sized buffer then holds those KB, not the
    /// chunk: with 64 reader threads, that is 16 MiB of a `--status` scan's peak. The size at
    /// least doubles, as a vector's would: growing by exactly what each read needs made a
    /// scan of large traces fault in three times the pages, and take a fifth longer.
    fn grow(&mut self, size: usize) {
        let mut bigger = vec![0; size.max(2 * self.buf.len())];
        bigger[..self.len].copy_from_slice(self.data());
        self.buf = bigger;
    }

    /// Drops the first `n` bytes.
    fn consume(&mut self, n: usize) {
        self.buf.copy_within(n..self.len, 0);
        self.len -= n;
    }
}

fn summarize_in(
    path: &Path,
    input: &mut dyn Read,
    keep: &dyn Fn(&Trace) -> bool,
    head: &Head,
    window: &mut Window,
) -> Result<Trace, ParseError> {
    let (start, end, mut eof) = read_to_root_from(input, window, head.first_read())?;
    let root = read_root(path, &window.data()[start..end], start)?;
    let mut summary = root.summary;
    let mut scanner = Scanner::default();
    if root.self_closing {
        return Ok(summary.finish(true));
    }
    let mut pos = end;
    // Comments, CDATA sections and processing instructions can hold anything, `</Event>` and
    // `<failedRequest` included, and IIS writes none of them past the root's start tag: a
    // trace holding one is read on as XML, as the full reader reads it. Whether a trace the
    // filters reject is read so depends only on what it holds up to where its head ends,
    // never on how much was read at once: markup is looked for in what was scanned, and in a
    // rejected trace up to the end of its request headers.
    //
    // The filters read the server and the time of the first event: only that much of the
    // trace is looked at before they decide.
    scanner.until_identified = true;
    loop {
        if let Some(rest) = scan_unless_markup(window.data(), &mut pos, &mut scanner, &mut summary)
        {
            return read_rest_as_xml(rest, input, summary, &scanner);
        }
        if !(summary.needs_server() || scanner.first_time.is_none())
            || eof
            || window.len >= HEAD_BYTES
        {
            break;
        }
        eof = window.fill(input, next_read(window.len))?;
    }
    if !keep(summary.so_far(scanner.first_time())) {
        // Rejected: read on only for the request headers (X-ARR-LOG-ID links ARR front ends
        // to this trace), within the head, and look at nothing else.
        while !summary.headers_seen() {
            let rest = &window.data()[pos..];
            let event = find_request_headers(rest);
            let before = event.map_or(rest, |(_, end)| &rest[..end]);
            if has_markup(before) {
                return read_rest_as_xml(rest, input, summary, &scanner);
            }
            if let Some((start, end)) = event {
                head.headers_end(pos + end);
                if let Some(record) = parse_event(&rest[start..end], "GENERAL_REQUEST_HEADERS") {
                    summary.detail(&record);
                }
                break;
            }
            if eof || window.len >= HEAD_BYTES {
                break;
            }
            eof = window.fill(input, next_read(window.len))?;
        }
        return Ok(summary.into_head());
    }
    if has_markup(&window.data()[pos..]) {
        return read_rest_as_xml(&window.data()[pos..], input, summary, &scanner);
    }
    scanner.until_identified = false;
    pos += scanner.scan(&window.data()[pos..], &mut summary);
    while !eof {
        window.consume(pos);
        pos = 0;
        if window.len > MAX_EVENT_BYTES {
            scanner.skip_oversized(window);
        }
        let kept = window.len;
        eof = window.fill(input, CHUNK_BYTES)?;
        // The tail of an oversized event was looked at already; anything else kept is the
        // start of an event cut at the end of the last window, and is looked at again.
        let fresh = if scanner.oversized { kept } else { 0 };
        if !scanner.oversized && has_markup(&window.data()[fresh..]) {
            return read_rest_as_xml(window.data(), input, summary, &scanner);
        }
        pos += scanner.scan(window.data(), &mut summary);
    }
    let complete = !scanner.oversized && root_closed(&window.data()[pos..]);
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

/// Scans the complete events of `window` from `pos` on while the trace is being identified,
/// and moves `pos` past them. When what the scan went over holds markup, nothing is taken
/// from it: the summary and scanner are as before, and the rest to read as XML comes back.
fn scan_unless_markup<'w>(
    window: &'w [u8],
    pos: &mut usize,
    scanner: &mut Scanner,
    summary: &mut SummaryBuilder,
) -> Option<&'w [u8]> {
    let rest = &window[*pos..];
    if !has_markup(rest) {
        *pos += scanner.scan(rest, summary);
        return None;
    }
    // Rare (IIS writes no markup): keep what the scan would change, to put it back.
    let (kept_summary, kept_scanner) = (summary.clone(), scanner.clone());
    let used = scanner.scan(rest, summary);
    if has_markup(&rest[..used]) {
        *summary = kept_summary;
        *scanner = kept_scanner;
        return Some(rest);
    }
    *pos += used;
    None
}

/// How much to read next: the head in growing steps up to exactly [`HEAD_BYTES`], then
/// chunks.
fn next_read(len: usize) -> usize {
    if len < HEAD_BYTES {
        (len / 2).max(HEAD_GROWTH).min(HEAD_BYTES - len)
    } else {
        CHUNK_BYTES
    }
}

struct Root {
    /// The trace, started from the root element's attributes.
    summary: SummaryBuilder,
    self_closing: bool,
}

/// Reads until the root element's start tag is in the window; returns where it starts and
/// ends, and whether the input has ended. Both readers find the root this way.
pub(crate) fn read_to_root(
    input: &mut dyn Read,
    window: &mut Window,
) -> Result<(usize, usize, bool), ParseError> {
    read_to_root_from(input, window, HEAD_STEP)
}

/// [`read_to_root`] with a first read of `first` bytes.
fn read_to_root_from(
    input: &mut dyn Read,
    window: &mut Window,
    first: usize,
) -> Result<(usize, usize, bool), ParseError> {
    let mut eof = window.fill(input, first)?;
    loop {
        if window.data().iter().all(u8::is_ascii_whitespace) {
            if eof {
                return Err(ParseError::Empty);
            }
            // Leading blank space means nothing; dropping it keeps memory bounded.
            window.consume(window.len);
            eof = window.fill(input, HEAD_STEP)?;
            continue;
        }
        match root_span(window.data(), eof)? {
            Some((start, end)) => return Ok((start, end, eof)),
            None => eof = window.fill(input, next_read(window.len))?,
        }
    }
}

/// Where `<failedRequest ...>` is in `buf`. `Ok(None)` asks for more input.
fn root_span(buf: &[u8], eof: bool) -> Result<Option<(usize, usize)>, ParseError> {
    match sniff::find_root(buf, eof)? {
        Prolog::Root { start, end } => Ok(Some((start, end))),
        Prolog::More { in_root_tag: true } if buf.len() > MAX_EVENT_BYTES => {
            Err(ParseError::Malformed {
                offset: buf.len() as u64,
                message: format!(
                    "the <failedRequest> start tag does not end within {} MiB",
                    MAX_EVENT_BYTES >> 20
                ),
            })
        }
        Prolog::More { in_root_tag: false } if buf.len() >= HEAD_BYTES => {
            Err(ParseError::NotFreb(format!(
                "no <failedRequest> root element in the first {} KiB",
                HEAD_BYTES >> 10
            )))
        }
        Prolog::More { .. } => Ok(None),
    }
}

/// Reads the attributes of the root's start tag.
fn read_root(path: &Path, tag: &[u8], start: usize) -> Result<Root, ParseError> {
    let tag = utf8(tag);
    let mut reader = trace_reader(&tag);
    let mut summary = SummaryBuilder::for_file(path);
    let mut apply = |name: &str, value| summary.root_attribute(name, value);
    let self_closing = match reader.read_event() {
        Ok(Event::Start(e)) => visit_root_attributes(&e, &mut apply).map(|()| false)?,
        Ok(Event::Empty(e)) => visit_root_attributes(&e, &mut apply).map(|()| true)?,
        Ok(_) => {
            return Err(ParseError::NotFreb(
                "no <failedRequest> root element".into(),
            ));
        }
        Err(err) => {
            return Err(ParseError::Malformed {
                offset: start as u64 + reader.error_position(),
                message: err.to_string(),
            });
        }
    };
    Ok(Root {
        summary,
        self_closing,
    })
}

/// True when `bytes` hold a comment, a CDATA section, a DOCTYPE or a processing instruction.
fn has_markup(bytes: &[u8]) -> bool {
    // Every window is looked at once for these, so this is a pass over every byte of a scan.
    // `!` and `?` are rare in traces (a few dozen per MB of real-shaped traces), and one
    // vector pass for either byte took a fifth of the time of two substring searches for
    // `<!` and `<?`, which stop at the `<` of every tag. Text dense with `!` or `?` falls
    // back to the substring searches, so no input makes this slower than they are.
    for (hits, at) in memchr::memchr2_iter(b'!', b'?', bytes).enumerate() {
        if at > 0 && bytes[at - 1] == b'<' {
            return true;
        }
        if hits == MARKUP_FALSE_HITS {
            // A pair found from here on has its `<` at `at` or later.
            return has_markup_pair(&bytes[at..]);
        }
    }
    false
}

/// `!` or `?` not after `<` seen before [`has_markup`] hands over to substring searches.
const MARKUP_FALSE_HITS: usize = 64;

fn has_markup_pair(bytes: &[u8]) -> bool {
    static BANG: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"<!"));
    static QUESTION: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"<?"));
    BANG.find(bytes).is_some() || QUESTION.find(bytes).is_some()
}

/// Reads the rest of a trace, from an event boundary, as the full reader reads it: every
/// XML event through quick-xml, so that markup cannot hide or forge an event.
fn read_rest_as_xml(
    rest: &[u8],
    input: &mut dyn Read,
    mut summary: SummaryBuilder,
    scanner: &Scanner,
) -> Result<Trace, ParseError> {
    let stream = Cursor::new(rest.to_vec()).chain(input);
    let mut reader = xml_stream(stream);
    // The root's start tag was read before: its end tag closes nothing this reader saw.
    reader.config_mut().allow_unmatched_ends = true;
    let mut builder = EventBuilder::default();
    let (mut first, mut last) = (None, None);
    let mut buf = Vec::new();
    let mut complete = false;
    loop {
        buf.clear();
        match reader.read_event_into(&mut buf) {
            Err(_) | Ok(Event::Eof) => break,
            Ok(Event::DocType(_)) => return Err(ParseError::NotFreb(DOCTYPE_REASON.into())),
            Ok(Event::End(e))
                if e.local_name().as_ref() == "failedRequest" && !builder.in_event() =>
            {
                complete = true;
                break;
            }
            Ok(event) => {
                if let Some(record) = builder.feed(&event) {
                    summary.event(&record.name, &record.computer);
                    if is_detail_event(&record.name) {
                        summary.detail(&record);
                    }
                    if let Some(stamp) = record.stamp() {
                        if first.is_none() {
                            first = Some(stamp.clone());
                        }
                        last = Some(stamp);
                    }
                }
            }
        }
    }
    let first = scanner.first_time().or(first);
    let last = last.or_else(|| scanner.last_time());
    summary.times(first, last);
    Ok(summary.finish(complete))
}

/// Walks the events of a trace window by window.
#[derive(Default, Clone)]
struct Scanner {
    first_time: Option<Vec<u8>>,
    last_time: Option<Vec<u8>>,
    /// The events of the current window, reused from window to window.
    events: Vec<(usize, usize)>,
    /// Stop at the first event once the server and the start time are known.
    until_identified: bool,
    /// Inside an event too large to keep; its start was already counted.
    oversized: bool,
    oversized_computer: String,
}

impl Scanner {
    /// Handles every complete event in `window`; returns the bytes consumed.
    fn scan(&mut self, window: &[u8], summary: &mut SummaryBuilder) -> usize {
        let mut pos = 0;
        self.events.clear();
        while let Some(found) = EVENT_END.find(&window[pos..]) {
            let end = pos + found + b"</Event>".len();
            if self.oversized {
                self.finish_oversized(&window[pos..end], summary);
            } else {
                self.event(&window[pos..end], summary);
                self.events.push((pos, end));
            }
            pos = end;
            if self.until_identified && self.first_time.is_some() && !summary.needs_server() {
                break;
            }
        }
        // Only the last time of a trace is kept, so only the last event that has one is read:
        // looking at the time of every event cost more than finding the events.
        for &(start, end) in self.events.iter().rev() {
            if let Some(time) = system_time(system_part(&window[start..end])) {
                set(&mut self.last_time, time);
                break;
            }
        }
        pos
    }

    fn event(&mut self, event: &[u8], summary: &mut SummaryBuilder) {
        let mut computer_name = String::new();
        if self.first_time.is_none() || summary.needs_server() {
            let system = system_part(event);
            if self.first_time.is_none() {
                self.first_time = system_time(system).map(<[u8]>::to_vec);
            }
            if summary.needs_server() {
                computer_name = computer(system);
            }
        }
        let name = event_name(event, summary);
        summary.event(&name, &computer_name);
        if !summary.wants_detail(&name) {
            return;
        }
        if might_matter(&name, event) {
            if let Some(record) = parse_event(event, &name) {
                summary.detail(&record);
            }
        } else if name == RESPONSE_BUFFER {
            summary.body_without_exception();
        }
    }

    fn note_time(&mut self, system: &[u8]) {
        let Some(time) = system_time(system) else {
            return;
        };
        if self.first_time.is_none() {
            self.first_time = Some(time.to_vec());
        }
        set(&mut self.last_time, time);
    }

    /// The window holds only the start of a huge event: note what the summary needs from its
    /// start, and keep only its tail.
    fn skip_oversized(&mut self, window: &mut Window) {
        if !self.oversized {
            let system = system_part(window.data());
            self.note_time(system);
            self.oversized_computer = computer(system);
            self.oversized = true;
        }
        window.consume(window.len - TAIL_BYTES);
    }

    fn finish_oversized(&mut self, tail: &[u8], summary: &mut SummaryBuilder) {
        let name = event_name(tail, summary);
        let computer = std::mem::take(&mut self.oversized_computer);
        summary.event(&name, &computer);
        self.oversized = false;
    }

    fn first_time(&self) -> Option<Stamp> {
        self.first_time.as_deref().map(stamp_from_bytes)
    }

    fn last_time(&self) -> Option<Stamp> {
        self.last_time.as_deref().map(stamp_from_bytes)
    }
}

/// The `<System>` part of an event (all of it when `</System>` is missing).
fn system_part(event: &[u8]) -> &[u8] {
    &event[..SYSTEM_END.find(event).unwrap_or(0)]
}

/// The raw `TimeCreated@SystemTime` of a `<System>` part.
fn system_time(system: &[u8]) -> Option<&[u8]> {
    let at = TIME_ATTR.find(system)?;
    let value = &system[at + b"SystemTime=\"".len()..];
    Some(&value[..memchr::memchr(b'"', value).unwrap_or(value.len())])
}

fn set(slot: &mut Option<Vec<u8>>, value: &[u8]) {
    let kept = slot.get_or_insert_with(Vec::new);
    kept.clear();
    kept.extend_from_slice(value);
}

/// Where the first `GENERAL_REQUEST_HEADERS` event in `window` starts and ends.
fn find_request_headers(window: &[u8]) -> Option<(usize, usize)> {
    static NAME: LazyLock<Finder<'static>> =
        LazyLock::new(|| Finder::new(b"<Opcode>GENERAL_REQUEST_HEADERS</Opcode>"));
    let at = NAME.find(window)?;
    // `<Event ` with its space: `<EventData` and `<EventID` start the same way. Stepping back
    // over `E` with memrchr beats a reverse substring search, which has no vector path.
    let start = memchr::memrchr_iter(b'E', &window[..at])
        .find(|&i| i > 0 && window[i - 1] == b'<' && window[i..at].starts_with(b"Event "))?
        - 1;
    let end = at + EVENT_END.find(&window[at..])? + b"</Event>".len();
    Some((start, end))
}

/// Whether the XML parse of an event the summary wants could change the summary, judged from
/// its raw bytes: most of the events that could matter do not, and their parse is skipped.
/// What a parse could find must be spelled out in the raw bytes, unless a character reference
/// spells part of it (`&#88;` is `X`): an event holding one is always parsed.
fn might_matter(name: &str, event: &[u8]) -> bool {
    static CHAR_REF: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"&#"));
    let spelled_out = match name {
        // IIS logs every request header it sets, and only `X-ARR-LOG-ID` matters here.
        "GENERAL_SET_REQUEST_HEADER" => contains_ignore_case(event, b"x-arr-log-id"),
        RESPONSE_BUFFER => !names_no_exception(event),
        _ => return true,
    };
    spelled_out || CHAR_REF.find(event).is_some()
}

/// True when a response body's event certainly names no exception, and its body would have
/// been searched: the word `Exception` is not in it (every extract ends its type name with
/// it), and [`is_searched_body`] says yes of the event's length, which the body is never
/// longer than (resolving references and line ends only shortens valid UTF-8; invalid bytes
/// may decode longer, so such an event is parsed). Such a body counts as searched without
/// being parsed.
fn names_no_exception(event: &[u8]) -> bool {
    static EXCEPTION: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"Exception"));
    is_searched_body(event.len())
        && EXCEPTION.find(event).is_none()
        && std::str::from_utf8(event).is_ok()
}

fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// A `SystemTime` value as written, its references resolved as the full reader resolves
/// them in an attribute.
fn stamp_from_bytes(bytes: &[u8]) -> Stamp {
    match std::str::from_utf8(bytes) {
        Ok(text) if !text.contains('&') => Stamp::parse(text),
        _ => Stamp::parse(&unescape(bytes)),
    }
}

fn computer(system: &[u8]) -> String {
    let Some(start) = COMPUTER.find(system) else {
        return String::new();
    };
    let rest = &system[start + b"<Computer>".len()..];
    let end = COMPUTER_END.find(rest).unwrap_or(rest.len());
    unescape(&rest[..end]).trim().to_owned()
}

/// The last `<Opcode>` of an event is the name in `RenderingInfo`, which comes after
/// `<System>`; an `<Opcode>` inside `<System>` is the event number, not a name.
fn event_name<'a>(event: &'a [u8], summary: &SummaryBuilder) -> Cow<'a, str> {
    let Some(raw) = raw_event_name(event) else {
        return Cow::Borrowed("");
    };
    // Most events repeat a name just seen: matching its raw bytes against those spares
    // decoding it and looking it up.
    summary
        .recent_name(raw)
        .map_or_else(|| decode_name(raw), Cow::Borrowed)
}

/// The name of an event as written between `<Opcode>` and `</Opcode>`.
fn raw_event_name(event: &[u8]) -> Option<&[u8]> {
    // The name closes a few tags from the end. An upper-case `O` is rare in those tags, so
    // walking back over it with memrchr reaches `</Opcode>` in a step or two: an order of
    // magnitude cheaper than a reverse substring search or a walk over every `<`.
    let close = memchr::memrchr_iter(b'O', event)
        .find(|&i| i >= 2 && &event[i - 2..i] == b"</" && event[i..].starts_with(b"Opcode>"))?
        - 2;
    // Text cannot hold a raw `<`, so the tag before `</Opcode>` is the one it closes.
    let start =
        memchr::memrchr(b'<', &event[..close]).filter(|&i| event[i..].starts_with(b"<Opcode>"))?;
    let raw = &event[start + b"<Opcode>".len()..close];
    // Only an event without RenderingInfo can end on System's number (or on an empty or
    // odd System/Opcode): check where it is whenever the text does not look like a name.
    let looks_like_name = raw
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_');
    if !looks_like_name && start < SYSTEM_END.find(event).unwrap_or(0) {
        return Some(b"");
    }
    Some(raw)
}

fn decode_name(raw: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(raw) {
        Ok(name) if !name.contains('&') => Cow::Borrowed(name.trim()),
        _ => Cow::Owned(unescape(raw).trim().to_owned()),
    }
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

/// Parses one `<Event>` element (with any whitespace before it) into the part of a record
/// that [`SummaryBuilder::detail`] reads. Of the `<System>` part only the time is taken, the
/// way the scanner takes it: the rest of `<System>` is half the event and none of the summary.
/// `RenderingInfo` and what follows are read only for an event whose descriptions are used,
/// and nothing past `<System>` for an event whose time is all that is used.
fn parse_event(bytes: &[u8], name: &str) -> Option<EventRecord> {
    let Some(at) = SYSTEM_END.find(bytes) else {
        return parse_xml(bytes, EventBuilder::default(), Until::EventEnd);
    };
    let (system, rest) = bytes.split_at(at + b"</System>".len());
    let stamp = system_time(system).map(stamp_from_bytes);
    let time = stamp.as_ref().and_then(Stamp::time);
    let unparsed_time = match stamp {
        Some(Stamp::Unparseable(text)) => Some(text),
        _ => None,
    };
    if !reads_data(name) {
        return Some(EventRecord {
            name: name.to_owned(),
            time,
            unparsed_time,
            ..EventRecord::default()
        });
    }
    let mut record = match event_data(rest) {
        Some(data) if !reads_descriptions(name) => {
            let mut record = parse_xml(data, EventBuilder::within_event(), Until::SliceEnd)?;
            record.name = name.to_owned();
            record
        }
        _ => parse_xml(rest, EventBuilder::within_event(), Until::EventEnd)?,
    };
    record.time = time;
    record.unparsed_time = unparsed_time;
    Some(record)
}

/// What follows `</System>` up to the end of `</EventData>`, when reading only that much can
/// be trusted: text cannot hold a raw `<`, but a CDATA section can.
fn event_data(rest: &[u8]) -> Option<&[u8]> {
    static EVENT_DATA_END: LazyLock<Finder<'static>> =
        LazyLock::new(|| Finder::new(b"</EventData>"));
    static CDATA: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"<![CDATA["));
    let end = EVENT_DATA_END.find(rest)? + b"</EventData>".len();
    let data = &rest[..end];
    CDATA.find(data).is_none().then_some(data)
}

/// Where a slice given to [`parse_xml`] ends.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Until {
    /// At `</Event>`: a slice that ends before it holds no complete event.
    EventEnd,
    /// With the slice: a part of an event, read from inside it.
    SliceEnd,
}

/// Feeds `bytes` to `builder` until it completes an event, or until `bytes` end.
fn parse_xml(bytes: &[u8], mut builder: EventBuilder, until: Until) -> Option<EventRecord> {
    let text = utf8(bytes);
    let mut reader = trace_reader(&text);
    // Reading may start inside the event, whose end tag then closes nothing the reader saw.
    reader.config_mut().allow_unmatched_ends = builder.in_event();
    loop {
        match reader.read_event().ok()? {
            Event::Eof if until == Until::SliceEnd => return builder.finish(),
            Event::Eof => return None,
            event => {
                if let Some(record) = builder.feed(&event) {
                    return Some(record);
                }
            }
        }
    }
}

/// `bytes` as text, invalid UTF-8 replaced. Checking for valid UTF-8 first is much faster than
/// the lossy conversion's walk.
fn utf8(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn sample_traces() -> Vec<PathBuf> {
        let mut found = Vec::new();
        let mut dirs = vec![PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("fr"))
                {
                    found.push(path);
                }
            }
        }
        found.sort();
        assert!(found.len() > 20, "the samples are there");
        found
    }

    #[test]
    fn markup_check_agrees_with_the_substring_searches() {
        let mut cases: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"!".to_vec(),
            b"<".to_vec(),
            b"<!".to_vec(),
            b"<?".to_vec(),
            b"?<".to_vec(),
            b"a<b!c?d".to_vec(),
            b"<Data>why? because!</Data>".to_vec(),
            b"<Data>x</Data><!-- c -->".to_vec(),
        ];
        // Dense `!` and `?` hand over to the substring searches: a pair before, at and after
        // the hand-over, and none at all.
        for pair_at in [
            None,
            Some(3),
            Some(MARKUP_FALSE_HITS),
            Some(MARKUP_FALSE_HITS + 1),
            Some(2 * MARKUP_FALSE_HITS),
            Some(500),
        ] {
            for filler in [b'!', b'?'] {
                let mut text = vec![filler; 1000];
                if let Some(at) = pair_at {
                    text[at] = b'<';
                }
                cases.push(text);
            }
        }
        // Pseudo-random text over the bytes that matter.
        let mut state = 0x2545_f491_u32;
        for _ in 0..2000 {
            let len = (state % 300) as usize;
            let text: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    b"<!?ab"[(state % 5) as usize]
                })
                .collect();
            cases.push(text);
        }
        for text in &cases {
            assert_eq!(
                has_markup(text),
                has_markup_pair(text),
                "{:?}",
                String::from_utf8_lossy(text)
            );
        }
    }

    /// The trace with a comment before its `nth` event.
    fn with_comment_before_event(text: &[u8], nth: usize) -> Option<Vec<u8>> {
        let at = memchr::memmem::find_iter(text, b"<Event ").nth(nth)?;
        let mut out = text[..at].to_vec();
        out.extend_from_slice(b"<!-- <Event> </Event> -->");
        out.extend_from_slice(&text[at..]);
        Some(out)
    }

    fn read(bytes: &[u8], keep: bool, first_read: usize) -> Trace {
        let mut input = bytes;
        summarize(
            Path::new("fr000001.xml"),
            &mut input,
            &|_| keep,
            &Head::sized(first_read),
        )
        .unwrap()
    }

    #[test]
    fn what_a_trace_reads_as_never_depends_on_the_first_read() {
        for path in sample_traces() {
            let text = std::fs::read(&path).unwrap();
            let mut inputs = vec![text.clone()];
            inputs.extend(
                [1, 5, 12, 40]
                    .into_iter()
                    .filter_map(|nth| with_comment_before_event(&text, nth)),
            );
            for input in &inputs {
                for keep in [false, true] {
                    let expected = read(input, keep, HEAD_STEP);
                    for first_read in [1, 4096, 11_500, 23_000, HEAD_BYTES, 300_000] {
                        assert_eq!(
                            read(input, keep, first_read),
                            expected,
                            "{} (keep {keep}, first read {first_read})",
                            path.display()
                        );
                    }
                }
            }
        }
    }
}
