//! The compact record of a trace: what the cross-trace rules and the summary of a scan read of
//! every trace, and nothing more.
//!
//! The cross-trace rules (process generations, ARR links, the event-log join) need every trace
//! of a run at once, and so does the summary (counts, percentiles, the time span). A [`Trace`]
//! keeps about 1.7 KiB, mostly text only the rules of its own verdict or a `requests` line
//! read (headers, user names, descriptions, the event names); kept for every trace, memory grew
//! with the share: 217 MiB at 100,000 traces. A [`Compact`] keeps the file, the numbers and the
//! names the other traces are compared by, with the names repeated across a share (servers,
//! pools, sites, modules, URL paths) stored once ([`Names`]): about 150 bytes and its path.
//! `scan` keeps a full [`Trace`] only for the failures it must judge, and a compact record for
//! all.
//!
//! [`TraceFacts`] is what the cross-trace rules and the summary read, so that one
//! implementation of each serves both forms.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use crate::aggregate::url_without_query;
use crate::event_names::{EventNames, PackedNames};
use crate::model::{ArrRoute, Depth, ErrorCode, ModuleError, Status, Trace, Unparsed};

/// What the cross-trace rules and the summary read of a trace, whole or compact.
pub trait TraceFacts {
    /// The file, as found.
    fn file(&self) -> &Path;
    /// `System/Computer`.
    fn server(&self) -> &str;
    /// Root `siteId`.
    fn site_id(&self) -> &str;
    /// Root `appPoolId`.
    fn app_pool(&self) -> &str;
    /// Root `processId`; `0` when missing.
    fn process_id(&self) -> u32;
    /// `TimeCreated` of the first event.
    fn start_time(&self) -> Option<DateTime<Utc>>;
    /// `TimeCreated` of the last event.
    fn end_time(&self) -> Option<DateTime<Utc>>;
    /// The URL without its query string.
    fn url_path(&self) -> &str;
    /// The first segment of the URL's path, lower case (`/Orders/api?x` → `orders`): which
    /// application of a site served it.
    fn url_segment(&self) -> Cow<'_, str>;
    /// Root `statusCode`.
    fn status(&self) -> Status;
    /// The module that set the error, or `""`.
    fn module(&self) -> &str;
    /// The error code the module reported.
    fn error_code(&self) -> Option<ErrorCode>;
    /// Root `failureReason`.
    fn failure_reason(&self) -> &str;
    /// Root `timeTaken` in milliseconds.
    fn time_taken_ms(&self) -> Option<u64>;
    /// Root values that could not be parsed.
    fn unparsed(&self) -> &[Unparsed];
    /// The file ends before `</failedRequest>`.
    fn partial(&self) -> bool;
    /// IIS cut the trace at `maxLogFileSizeKB`.
    fn truncated(&self) -> bool;
    /// How much of the file was read.
    fn depth(&self) -> Depth;
    /// `X-ARR-LOG-ID` as received (an ARR backend's trace).
    fn arr_log_id(&self) -> Option<LogId>;
    /// `X-ARR-LOG-ID` this server's ARR forwarded (a front end's trace).
    fn arr_log_id_forwarded(&self) -> Option<LogId>;
    /// How ARR picked the server it forwarded to, when the trace says.
    fn arr_route(&self) -> Option<&ArrRoute>;

    /// True when the attribute `field` could not be parsed.
    fn is_unparsed(&self, field: &str) -> bool {
        self.unparsed().iter().any(|u| u.field == field)
    }
}

impl TraceFacts for Trace {
    fn file(&self) -> &Path {
        &self.file
    }
    fn server(&self) -> &str {
        &self.server
    }
    fn site_id(&self) -> &str {
        &self.site_id
    }
    fn app_pool(&self) -> &str {
        &self.app_pool
    }
    fn process_id(&self) -> u32 {
        self.process_id
    }
    fn start_time(&self) -> Option<DateTime<Utc>> {
        self.start_time
    }
    fn end_time(&self) -> Option<DateTime<Utc>> {
        self.end_time
    }
    fn url_path(&self) -> &str {
        url_without_query(&self.url)
    }
    fn url_segment(&self) -> Cow<'_, str> {
        Cow::Owned(first_segment(&self.url))
    }
    fn status(&self) -> Status {
        self.status
    }
    fn module(&self) -> &str {
        Trace::module(self)
    }
    fn error_code(&self) -> Option<ErrorCode> {
        Trace::error_code(self)
    }
    fn failure_reason(&self) -> &str {
        &self.failure_reason
    }
    fn time_taken_ms(&self) -> Option<u64> {
        self.time_taken_ms
    }
    fn unparsed(&self) -> &[Unparsed] {
        &self.unparsed
    }
    fn partial(&self) -> bool {
        self.partial
    }
    fn truncated(&self) -> bool {
        self.truncated
    }
    fn depth(&self) -> Depth {
        self.depth
    }
    fn arr_log_id(&self) -> Option<LogId> {
        self.arr_log_id.as_deref().and_then(LogId::parse)
    }
    fn arr_log_id_forwarded(&self) -> Option<LogId> {
        self.arr_log_id_forwarded.as_deref().and_then(LogId::parse)
    }
    fn arr_route(&self) -> Option<&ArrRoute> {
        self.arr_route.as_ref()
    }
}

/// An `X-ARR-LOG-ID` as the ARR link compares them: IIS writes GUIDs, and neither case nor
/// braces nor surrounding space matter. A GUID is its 16 bytes, with no allocation (a share
/// holds one in most traces); anything else (a hostile or hand-made header) its trimmed text
/// in upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LogId {
    /// The GUID's bytes, in the order its text writes them.
    Guid([u8; 16]),
    /// The text of an ID that is not a GUID.
    Text(Box<str>),
}

impl LogId {
    /// The ID a header value names; `None` when it is empty.
    pub fn parse(value: &str) -> Option<LogId> {
        let id = value.trim().trim_matches(|c| c == '{' || c == '}');
        if id.is_empty() {
            return None;
        }
        Some(
            guid_bytes(id).map_or_else(|| LogId::Text(id.to_ascii_uppercase().into()), LogId::Guid),
        )
    }
}

/// The bytes of `8-4-4-4-12` hexadecimal text; `None` for anything else.
fn guid_bytes(id: &str) -> Option<[u8; 16]> {
    let text = id.as_bytes();
    if text.len() != 36 || [8, 13, 18, 23].iter().any(|&i| text[i] != b'-') {
        return None;
    }
    let mut digits = text.iter().filter(|&&c| c != b'-');
    let mut bytes = [0u8; 16];
    for byte in &mut bytes {
        let high = (*digits.next()? as char).to_digit(16)?;
        let low = (*digits.next()? as char).to_digit(16)?;
        *byte = (high * 16 + low) as u8;
    }
    Some(bytes)
}

impl std::fmt::Display for LogId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LogId::Text(text) => f.write_str(text),
            LogId::Guid(b) => {
                for (i, byte) in b.iter().enumerate() {
                    if matches!(i, 4 | 6 | 8 | 10) {
                        f.write_str("-")?;
                    }
                    write!(f, "{byte:02X}")?;
                }
                Ok(())
            }
        }
    }
}

/// The log IDs of a record: a trace holds the one its ARR forwarded (a front end) or the one
/// it received (a backend), seldom both, and IIS writes GUIDs. So one GUID is kept in place
/// (24 bytes in every record, where a [`LogId`] in place would take 32), and two IDs or one
/// that is not a GUID in a box.
#[derive(Debug, Clone)]
enum ArrIds {
    None,
    Received([u8; 16]),
    Forwarded([u8; 16]),
    Other(Box<[Option<LogId>; 2]>),
}

impl ArrIds {
    fn new(received: Option<LogId>, forwarded: Option<LogId>) -> ArrIds {
        match (received, forwarded) {
            (None, None) => ArrIds::None,
            (Some(LogId::Guid(r)), None) => ArrIds::Received(r),
            (None, Some(LogId::Guid(f))) => ArrIds::Forwarded(f),
            (received, forwarded) => ArrIds::Other(Box::new([received, forwarded])),
        }
    }

    fn received(&self) -> Option<LogId> {
        match self {
            ArrIds::Received(guid) => Some(LogId::Guid(*guid)),
            ArrIds::Other(ids) => ids[0].clone(),
            ArrIds::None | ArrIds::Forwarded(_) => None,
        }
    }

    fn forwarded(&self) -> Option<LogId> {
        match self {
            ArrIds::Forwarded(guid) => Some(LogId::Guid(*guid)),
            ArrIds::Other(ids) => ids[1].clone(),
            ArrIds::None | ArrIds::Received(_) => None,
        }
    }
}

/// `/orders/api/x?y` → `orders`; `http://host/Orders/x` → `orders`.
pub(crate) fn first_segment(url: &str) -> String {
    let path = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest.find('/').map_or("", |i| &rest[i..]));
    path.trim_start_matches('/')
        .split(['/', '?'])
        .next()
        .unwrap_or("")
        .to_lowercase()
}

/// The names of a run, each stored once and shared by every record that holds it: a farm's
/// share has a few servers, pools, sites, modules and URL paths, repeated in every trace.
/// Shared by the reader threads. Looking a name up allocates nothing; only a new one is
/// stored.
#[derive(Default)]
pub struct Names {
    inner: Mutex<Interned>,
}

#[derive(Default)]
struct Interned {
    names: HashSet<Arc<str>>,
    /// Keyed by the addresses of their interned parts, which identify them.
    shared: HashMap<[usize; 4], Arc<Shared>>,
    errors: HashMap<(usize, Status, Option<ErrorCode>), Arc<CompactError>>,
    routes: HashSet<Arc<ArrRoute>>,
}

impl Interned {
    fn name(&mut self, name: &str) -> Arc<str> {
        intern(&mut self.names, name, |n| Arc::from(n))
    }
}

/// The copy of `value` in `set`, stored there first when it is new.
fn intern<T: Eq + std::hash::Hash + ?Sized>(
    set: &mut HashSet<Arc<T>>,
    value: &T,
    new: impl FnOnce(&T) -> Arc<T>,
) -> Arc<T> {
    if let Some(known) = set.get(value) {
        return Arc::clone(known);
    }
    let new = new(value);
    set.insert(Arc::clone(&new));
    new
}

fn address(name: &Arc<str>) -> usize {
    Arc::as_ptr(name).cast::<u8>() as usize
}

/// What many traces have in common: where they ran, and why they were traced.
#[derive(Debug)]
struct Shared {
    server: Arc<str>,
    site_id: Arc<str>,
    app_pool: Arc<str>,
    failure_reason: Arc<str>,
}

/// What a trace's module error says, for the summary and for a trace another one's verdict
/// reads.
#[derive(Debug, PartialEq, Eq)]
struct CompactError {
    module: Arc<str>,
    status: Status,
    error_code: Option<ErrorCode>,
}

impl Names {
    fn with<R>(&self, f: impl FnOnce(&mut Interned) -> R) -> Option<R> {
        self.inner.lock().ok().map(|mut inner| f(&mut inner))
    }

    fn shared(&self, trace: &Trace) -> Arc<Shared> {
        let make = |i: &mut Interned| Shared {
            server: i.name(&trace.server),
            site_id: i.name(&trace.site_id),
            app_pool: i.name(&trace.app_pool),
            failure_reason: i.name(&trace.failure_reason),
        };
        self.with(|i| {
            let parts = make(i);
            let key = [
                address(&parts.server),
                address(&parts.site_id),
                address(&parts.app_pool),
                address(&parts.failure_reason),
            ];
            Arc::clone(i.shared.entry(key).or_insert_with(|| Arc::new(parts)))
        })
        .unwrap_or_else(|| Arc::new(make(&mut Interned::default())))
    }

    /// The URL's path without its query: unique URLs are common (IDs in paths), so a URL is
    /// one interned string, and its first segment is found again when asked.
    fn url(&self, url: &str) -> Arc<str> {
        let path = url_without_query(url);
        self.with(|i| i.name(path))
            .unwrap_or_else(|| Arc::from(path))
    }

    fn error(&self, e: &ModuleError) -> Arc<CompactError> {
        let make = |i: &mut Interned| CompactError {
            module: i.name(&e.module),
            status: e.status,
            error_code: e.error_code,
        };
        self.with(|i| {
            let parts = make(i);
            let key = (address(&parts.module), parts.status, parts.error_code);
            Arc::clone(i.errors.entry(key).or_insert_with(|| Arc::new(parts)))
        })
        .unwrap_or_else(|| Arc::new(make(&mut Interned::default())))
    }

    fn route(&self, route: &ArrRoute) -> Arc<ArrRoute> {
        let new = |r: &ArrRoute| Arc::new(r.clone());
        self.with(|i| intern(&mut i.routes, route, new))
            .unwrap_or_else(|| new(route))
    }
}

/// The compact record of one trace (see the module documentation): about 150 bytes and its
/// path, the names shared with the other records.
#[derive(Debug, Clone)]
pub struct Compact {
    file: Box<Path>,
    shared: Arc<Shared>,
    url: Arc<str>,
    error: Option<Arc<CompactError>>,
    arr_ids: ArrIds,
    arr_route: Option<Arc<ArrRoute>>,
    /// Almost always empty: a boxed vector is one thin pointer in every record, where a slice
    /// or a vector would take two or three words.
    #[allow(clippy::box_collection)]
    unparsed: Option<Box<Vec<Unparsed>>>,
    start_time: Option<DateTime<Utc>>,
    end_time: Option<DateTime<Utc>>,
    /// `timeTaken`, meaningful when `time_known`: an `Option<u64>` would take twice the room.
    time_taken_ms: u64,
    time_known: bool,
    status: Status,
    process_id: u32,
    partial: bool,
    truncated: bool,
    depth: Depth,
    /// Bit `i` set: the `i`-th filter set alone ([`crate::overview::single_filters`]) matches
    /// this trace; the trace itself is gone when the summary asks.
    pub(crate) alone: u8,
    /// The run's filters match this trace (it was read whole).
    pub(crate) matched: bool,
    /// The trace gets a verdict of its own ([`crate::diagnose::is_judged`]).
    pub(crate) judged: bool,
}

impl Compact {
    /// The compact record of `trace`, its names taken from `names`.
    pub fn of(trace: &Trace, names: &Names) -> Compact {
        Compact::with_file(trace, trace.file.clone().into_boxed_path(), names)
    }

    /// [`Compact::of`], moving the trace's path into the record instead of copying it; the
    /// trace is left without one.
    pub fn taking_file(trace: &mut Trace, names: &Names) -> Compact {
        let file = std::mem::take(&mut trace.file).into_boxed_path();
        Compact::with_file(trace, file, names)
    }

    fn with_file(trace: &Trace, file: Box<Path>, names: &Names) -> Compact {
        Compact {
            file,
            shared: names.shared(trace),
            url: names.url(&trace.url),
            error: trace.error.as_ref().map(|e| names.error(e)),
            arr_ids: ArrIds::new(trace.arr_log_id(), trace.arr_log_id_forwarded()),
            arr_route: trace.arr_route.as_ref().map(|r| names.route(r)),
            unparsed: (!trace.unparsed.is_empty()).then(|| Box::new(trace.unparsed.clone())),
            start_time: trace.start_time,
            end_time: trace.end_time,
            time_taken_ms: trace.time_taken_ms.unwrap_or(0),
            time_known: trace.time_taken_ms.is_some(),
            status: trace.status,
            process_id: trace.process_id,
            partial: trace.partial,
            truncated: trace.truncated,
            depth: trace.depth,
            alone: 0,
            matched: false,
            judged: false,
        }
    }

    /// A [`Trace`] holding what this record keeps, the rest left empty: for a trace another
    /// one's verdict or hint reads (an ARR backend, a process's first trace) when only its
    /// compact record was kept. What the rules read of such a trace is all here: server,
    /// pool, site, process, times, status, module error, time taken and ARR log IDs.
    pub fn to_trace(&self) -> Trace {
        Trace {
            file: self.file.to_path_buf(),
            server: self.shared.server.to_string(),
            site_id: self.shared.site_id.to_string(),
            app_pool: self.shared.app_pool.to_string(),
            process_id: self.process_id,
            url: self.url.to_string(),
            failure_reason: self.shared.failure_reason.to_string(),
            status: self.status,
            time_taken_ms: self.time_taken_ms(),
            start_time: self.start_time,
            end_time: self.end_time,
            error: self.error.as_ref().map(|e| ModuleError {
                module: e.module.to_string(),
                status: e.status,
                error_code: e.error_code,
                ..ModuleError::default()
            }),
            arr_log_id: self.arr_ids.received().as_ref().map(LogId::to_string),
            arr_log_id_forwarded: self.arr_ids.forwarded().as_ref().map(LogId::to_string),
            arr_route: self.arr_route.as_deref().cloned(),
            partial: self.partial,
            truncated: self.truncated,
            depth: self.depth,
            unparsed: self.unparsed().to_vec(),
            ..Trace::default()
        }
    }
}

impl TraceFacts for Compact {
    fn file(&self) -> &Path {
        &self.file
    }
    fn server(&self) -> &str {
        &self.shared.server
    }
    fn site_id(&self) -> &str {
        &self.shared.site_id
    }
    fn app_pool(&self) -> &str {
        &self.shared.app_pool
    }
    fn process_id(&self) -> u32 {
        self.process_id
    }
    fn start_time(&self) -> Option<DateTime<Utc>> {
        self.start_time
    }
    fn end_time(&self) -> Option<DateTime<Utc>> {
        self.end_time
    }
    fn url_path(&self) -> &str {
        &self.url
    }
    fn url_segment(&self) -> Cow<'_, str> {
        Cow::Owned(first_segment(&self.url))
    }
    fn status(&self) -> Status {
        self.status
    }
    fn module(&self) -> &str {
        self.error.as_ref().map_or("", |e| &e.module)
    }
    fn error_code(&self) -> Option<ErrorCode> {
        self.error.as_ref().and_then(|e| e.error_code)
    }
    fn failure_reason(&self) -> &str {
        &self.shared.failure_reason
    }
    fn time_taken_ms(&self) -> Option<u64> {
        self.time_known.then_some(self.time_taken_ms)
    }
    fn unparsed(&self) -> &[Unparsed] {
        self.unparsed.as_deref().map_or(&[], Vec::as_slice)
    }
    fn partial(&self) -> bool {
        self.partial
    }
    fn truncated(&self) -> bool {
        self.truncated
    }
    fn depth(&self) -> Depth {
        self.depth
    }
    fn arr_log_id(&self) -> Option<LogId> {
        self.arr_ids.received()
    }
    fn arr_log_id_forwarded(&self) -> Option<LogId> {
        self.arr_ids.forwarded()
    }
    fn arr_route(&self) -> Option<&ArrRoute> {
        self.arr_route.as_deref()
    }
}

/// A trace the run must judge, kept until the cross-trace facts are known: the whole trace as
/// the analysis reads it, given by [`Judged::trace`] with the record it belongs to.
pub trait Judged: Sync {
    /// The whole trace of `record`.
    fn trace(&self, record: &Compact) -> Cow<'_, Trace>;
}

impl Judged for Trace {
    fn trace(&self, _: &Compact) -> Cow<'_, Trace> {
        Cow::Borrowed(self)
    }
}

/// A judged trace packed in the cache's serialised form: what a [`Trace`] holds of a failure
/// (its header, the module error, the request headers the rules read) in a few hundred bytes,
/// where the trace itself takes 864 before its strings. Unpacked one at a time as it is
/// judged; its file and unparsed values are its record's.
#[derive(Debug)]
pub struct Packed(PackedForm);

#[derive(Debug)]
enum PackedForm {
    Bytes(Box<[u8]>),
    /// The rare trace that does not serialise stays whole rather than lose its verdict.
    Whole(Box<Trace>),
}

impl Packed {
    /// `trace`, packed. What its record holds as the same text (server, site, pool, failure
    /// reason) is left out, and the event names go as the catalogue's bits.
    pub fn of(mut trace: Trace) -> Packed {
        let events = std::mem::take(&mut trace.events);
        let held = [
            std::mem::take(&mut trace.server),
            std::mem::take(&mut trace.site_id),
            std::mem::take(&mut trace.app_pool),
            std::mem::take(&mut trace.failure_reason),
        ];
        let record = crate::cache::record::TraceRecord::from(&trace);
        match postcard::to_allocvec(&(record, events.pack())) {
            Ok(bytes) => Packed(PackedForm::Bytes(bytes.into_boxed_slice())),
            Err(_) => Packed(PackedForm::Whole(Box::new(trace.with_held(held)))),
        }
    }
}

impl Trace {
    fn with_held(mut self, [server, site_id, app_pool, failure_reason]: [String; 4]) -> Trace {
        self.server = server;
        self.site_id = site_id;
        self.app_pool = app_pool;
        self.failure_reason = failure_reason;
        self
    }
}

type PackedRecord = (crate::cache::record::TraceRecord, PackedNames);

impl Judged for Packed {
    fn trace(&self, record: &Compact) -> Cow<'_, Trace> {
        match &self.0 {
            PackedForm::Bytes(bytes) => match postcard::from_bytes::<PackedRecord>(bytes) {
                Ok((r, events)) => {
                    let mut trace = r.into_trace(record.file.to_path_buf()).with_held([
                        record.server().to_owned(),
                        record.site_id().to_owned(),
                        record.app_pool().to_owned(),
                        record.failure_reason().to_owned(),
                    ]);
                    trace.events = EventNames::unpack(events);
                    trace.unparsed = record.unparsed().to_vec();
                    Cow::Owned(trace)
                }
                // Bytes this run wrote itself; should they not decode, the record still holds
                // what the cross-trace rules read.
                Err(_) => Cow::Owned(record.to_trace()),
            },
            PackedForm::Whole(trace) => Cow::Borrowed(trace),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ModuleError;

    fn sample() -> Trace {
        Trace {
            file: "W3SVC1/fr000001.xml".into(),
            server: "WEB01".into(),
            site_id: "1".into(),
            app_pool: "Orders".into(),
            process_id: 4812,
            url: "http://web01:80/Orders/api/cart?id=7".into(),
            failure_reason: "STATUS_CODE".into(),
            status: Status::new(502, 3),
            time_taken_ms: Some(30_000),
            start_time: DateTime::from_timestamp(1_741_680_000, 0),
            end_time: DateTime::from_timestamp(1_741_680_030, 0),
            error: Some(ModuleError {
                module: "ApplicationRequestRouting".into(),
                notification: "EXECUTE_REQUEST_HANDLER".into(),
                status: Status::new(502, 3),
                error_code: Some(ErrorCode(0x80072EE2)),
                ..ModuleError::default()
            }),
            arr_log_id_forwarded: Some("{AB-CD}".into()),
            arr_route: Some(ArrRoute::Farm {
                name: "OrdersFarm".into(),
            }),
            user_agent: Some("curl/8".into()),
            ..Trace::default()
        }
    }

    fn facts<T: TraceFacts>(t: &T) -> String {
        format!(
            "{:?} {} {} {} {} {:?} {:?} {} {} {} {} {:?} {} {:?} {:?} {:?} {:?} {:?} {:?}",
            t.file(),
            t.server(),
            t.site_id(),
            t.app_pool(),
            t.process_id(),
            t.start_time(),
            t.end_time(),
            t.url_path(),
            t.url_segment(),
            t.status(),
            t.module(),
            t.error_code(),
            t.failure_reason(),
            t.time_taken_ms(),
            t.depth(),
            t.arr_log_id(),
            t.arr_log_id_forwarded(),
            t.arr_route(),
            (t.partial(), t.truncated(), t.unparsed().len()),
        )
    }

    #[test]
    fn a_compact_record_answers_as_its_trace_does() {
        let trace = sample();
        let names = Names::default();
        let compact = Compact::of(&trace, &names);
        assert_eq!(facts(&compact), facts(&trace));
        assert_eq!(compact.url_path(), "http://web01:80/Orders/api/cart");
        assert_eq!(compact.url_segment(), "orders");
        // Rebuilt as a trace, it still answers the same.
        assert_eq!(facts(&compact.to_trace()), facts(&trace));
        // A trace with both log IDs, and one with none.
        for (received, forwarded) in [(Some("{12-34}"), Some("{AB-CD}")), (None, None)] {
            let trace = Trace {
                arr_log_id: received.map(str::to_owned),
                arr_log_id_forwarded: forwarded.map(str::to_owned),
                time_taken_ms: received.map(|_| 0),
                ..sample()
            };
            assert_eq!(facts(&Compact::of(&trace, &names)), facts(&trace));
        }
    }

    #[test]
    fn a_packed_trace_unpacks_as_it_was() {
        let mut trace = sample();
        trace.time_taken_ms = Some(u64::MAX);
        trace.unparsed = vec![Unparsed {
            field: "timeTaken",
            value: "soon".into(),
        }];
        trace.events = [
            "GENERAL_REQUEST_START",
            "MODULE_SET_RESPONSE_ERROR_STATUS",
            "MY_OWN_EVENT",
        ]
        .into_iter()
        .collect();
        let record = Compact::of(&trace, &Names::default());
        let packed = Packed::of(trace.clone());
        assert!(matches!(packed.0, PackedForm::Bytes(_)));
        assert_eq!(*packed.trace(&record), trace);
    }

    #[test]
    fn log_ids_compare_as_guids_whatever_their_case_and_braces() {
        let a = LogId::parse("{5c2a4e84-4c21-4981-ae10-000000093419}").unwrap();
        let b = LogId::parse(" 5C2A4E84-4C21-4981-AE10-000000093419 ").unwrap();
        assert_eq!(a, b);
        assert!(matches!(a, LogId::Guid(_)));
        assert_eq!(a.to_string(), "5C2A4E84-4C21-4981-AE10-000000093419");
        assert_ne!(
            a,
            LogId::parse("5c2a4e84-4c21-4981-ae10-000000093418").unwrap()
        );
        // Not a GUID: compared as text, in upper case.
        assert_eq!(LogId::parse("{ab-cd}"), Some(LogId::Text("AB-CD".into())));
        assert_eq!(
            LogId::parse("5c2a4e84-4c21-4981-ae10-00000009341g").map(|i| i.to_string()),
            Some("5C2A4E84-4C21-4981-AE10-00000009341G".into())
        );
        assert_eq!(LogId::parse(" {} "), None);
        // Multi-byte text of a GUID's length is text, not a panic.
        assert!(matches!(
            LogId::parse(&"é".repeat(18)),
            Some(LogId::Text(_))
        ));
    }

    #[test]
    fn a_record_keeps_every_shape_of_log_ids() {
        let guid = |text: &str| LogId::parse(text).unwrap();
        let a = guid("5c2a4e84-4c21-4981-ae10-000000093419");
        let b = guid("5c2a4e84-4c21-4981-ae10-00000009341a");
        let text = guid("not-a-guid");
        let shapes = [
            (None, None),
            (Some(a.clone()), None),
            (None, Some(a.clone())),
            (Some(a.clone()), Some(b.clone())),
            (Some(text.clone()), None),
            (None, Some(text.clone())),
            (Some(text), Some(b)),
        ];
        for (received, forwarded) in shapes {
            let ids = ArrIds::new(received.clone(), forwarded.clone());
            assert_eq!((ids.received(), ids.forwarded()), (received, forwarded));
        }
        assert!(std::mem::size_of::<ArrIds>() <= 24);
    }

    #[test]
    fn names_are_stored_once() {
        let names = Names::default();
        let a = Compact::of(&sample(), &names);
        let b = Compact::of(&sample(), &names);
        assert!(Arc::ptr_eq(&a.shared, &b.shared));
        assert!(Arc::ptr_eq(&a.url, &b.url));
        assert!(Arc::ptr_eq(
            a.error.as_ref().unwrap(),
            b.error.as_ref().unwrap()
        ));
    }
}
