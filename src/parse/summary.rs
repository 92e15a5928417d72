//! Turns a trace's root attributes and events into a [`Trace`].
//!
//! Both readers end here. The full reader hands over every event; the fast reader hands over
//! the name and time of every event but the body of only those in [`is_detail_event`]. So
//! this builder may look inside those events alone, which is what keeps the two readers equal.

use std::path::Path;

use chrono::{DateTime, Utc};

use super::event::{EventRecord, Stamp};
use crate::codes;
use crate::model::{ArrRoute, Depth, ErrorCode, ModuleError, ModuleWarning, Status, Trace};

/// The longest value a trace keeps of each field, in bytes: a summary lives until the end of
/// the run, and a hostile trace could otherwise make each one megabytes. Generous for what
/// IIS writes (a URL is at most 4 KiB by default with its query, a computer name 15
/// characters, a pool name 64), so that CSV and JSON keep every real value whole; a value cut
/// ends with `…`.
pub(super) mod caps {
    /// `url`: as much as the readers keep of any value.
    pub(super) const URL: usize = super::super::event::MAX_VALUE_BYTES;
    /// `System/Computer`.
    pub(super) const SERVER: usize = 16 * 1024;
    /// Free text: descriptions, PHP errors, ANCM failures, configuration errors.
    pub(super) const TEXT: usize = 1024;
    /// `User-Agent`, proxy targets.
    pub(super) const LONG_NAME: usize = 512;
    /// Computer, pool, module, user names and other names.
    pub(super) const NAME: usize = 256;
    /// Identifiers: site id, verb, activity id, failure reason, `X-ARR-LOG-ID`.
    pub(super) const ID: usize = 128;
}

/// `value` cut at `max` bytes on a character boundary, with `…` when cut.
pub(super) fn capped(value: &str, max: usize) -> String {
    if value.len() <= max {
        return value.to_owned();
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = String::with_capacity(end + '…'.len_utf8());
    out.push_str(&value[..end]);
    out.push('…');
    out
}

/// [`capped`] for an owned value, reusing it when it fits.
fn capped_owned(value: String, max: usize) -> String {
    if value.len() <= max {
        value
    } else {
        capped(&value, max)
    }
}

/// Name of the event IIS appends when it cut a trace at `maxLogFileSizeKB`.
pub(super) const TRUNCATE_EVENT: &str = "LOG_FILE_MAX_SIZE_TRUNCATE";

/// The events whose data the summary reads. Everything else counts by name only.
pub(super) fn is_detail_event(name: &str) -> bool {
    matches!(
        name,
        "MODULE_SET_RESPONSE_ERROR_STATUS"
            | "SET_RESPONSE_ERROR_DESCRIPTION"
            | "GENERAL_REQUEST_HEADERS"
            | "GENERAL_SET_REQUEST_HEADER"
            | "MODULE_WARNING"
            | "HANDLER_CHANGED"
            | "ARR_SERVER_ROUTED"
            | "ARR_REQUEST_ROUTED"
            | "ARR_WEBFARM_NOT_ROUTED"
            | "REWRITE_ACTION"
            | "ARR_REQUEST_HEADERS_START"
            | "ANCM_REQUEST_FORWARD_START"
            | "FASTCGI_ASSIGN_PROCESS"
            | "ANCM_START_APPLICATION_FAIL"
            | RESPONSE_BUFFER
    )
}

/// The event that holds a captured response body, where an error page names its exception.
pub(super) const RESPONSE_BUFFER: &str = "GENERAL_RESPONSE_ENTITY_BUFFER";
/// How many response bodies of a trace are searched for an exception: an error page is
/// written in the first ones, and a long response in many chunks is not parsed chunk by chunk.
const BUFFERS_SEARCHED: u8 = 4;

/// True when a response body of `len` bytes is searched for an exception, and counted among
/// the [`BUFFERS_SEARCHED`]. A body cut at the readers' value cap is not: the fast reader does
/// not parse an event past its own size cap at all, and the two readers must agree. Error
/// pages are a few kilobytes.
pub(super) fn is_searched_body(len: usize) -> bool {
    len + 4 <= super::event::MAX_VALUE_BYTES
}

/// True when [`SummaryBuilder::detail`] reads the `RenderingInfo` descriptions of this event,
/// not only its data.
pub(super) fn reads_descriptions(name: &str) -> bool {
    name == "MODULE_SET_RESPONSE_ERROR_STATUS"
}

/// True when [`SummaryBuilder::detail`] reads the data of this event, not only its time.
pub(super) fn reads_data(name: &str) -> bool {
    !matches!(
        name,
        "ARR_REQUEST_HEADERS_START" | "ANCM_REQUEST_FORWARD_START"
    )
}

/// Accumulates one trace.
#[derive(Debug, Clone)]
pub(super) struct SummaryBuilder {
    trace: Trace,
    routed_server: Option<String>,
    farm_host: Option<String>,
    rewrite_target: Option<String>,
    headers_seen: bool,
    /// Response bodies searched for an exception so far.
    buffers_searched: u8,
    /// The last two names inserted: events come in START/END pairs of the same few names,
    /// and skipping the set lookup for them is most of the per-event cost saved.
    recent: [&'static str; 2],
}

impl SummaryBuilder {
    /// Starts a trace from the attributes of its `<failedRequest>` element.
    pub(super) fn new(path: &Path, root: &[(String, String)]) -> Self {
        let mut builder = SummaryBuilder::for_file(path);
        for (name, value) in root {
            builder.root_attribute(name, value.clone());
        }
        builder
    }

    /// Starts a trace whose root attributes come one by one through [`Self::root_attribute`].
    pub(super) fn for_file(path: &Path) -> Self {
        SummaryBuilder {
            trace: Trace {
                file: path.to_path_buf(),
                ..Trace::default()
            },
            routed_server: None,
            farm_host: None,
            rewrite_target: None,
            headers_seen: false,
            buffers_searched: 0,
            recent: [""; 2],
        }
    }

    /// One attribute of the `<failedRequest>` element.
    pub(super) fn root_attribute(&mut self, name: &str, value: String) {
        apply_root_attribute(&mut self.trace, name, value);
    }

    /// A complete event was read; `detail` is its body when the reader parsed it.
    pub(super) fn event(&mut self, name: &str, computer: &str) {
        let trace = &mut self.trace;
        trace.event_count += 1;
        if trace.server.is_empty() && !computer.is_empty() {
            trace.server = capped(computer, caps::SERVER);
        }
        if name == TRUNCATE_EVENT {
            trace.truncated = true;
        }
        if (name.is_empty() || !self.recent.contains(&name))
            && let Some(known) = trace.events.insert(name)
        {
            self.recent = [known, self.recent[0]];
        }
    }

    /// The catalogue's copy of a name among the last two seen, when `raw` is that name exactly
    /// as written.
    pub(super) fn recent_name(&self, raw: &[u8]) -> Option<&'static str> {
        self.recent
            .iter()
            .find(|name| !name.is_empty() && name.as_bytes() == raw)
            .copied()
    }

    /// True once the first `GENERAL_REQUEST_HEADERS` was read.
    pub(super) fn headers_seen(&self) -> bool {
        self.headers_seen
    }

    /// True until an event has named the server.
    pub(super) fn needs_server(&self) -> bool {
        self.trace.server.is_empty()
    }

    /// The times of the first and last events that carry one; a time that cannot be read is
    /// left empty and noted.
    pub(super) fn times(&mut self, first: Option<Stamp>, last: Option<Stamp>) {
        let same = first == last;
        self.trace.start_time = stamp_time(&mut self.trace, fields::FIRST_TIME, first);
        self.trace.end_time = if same {
            self.trace.start_time
        } else {
            stamp_time(&mut self.trace, fields::LAST_TIME, last)
        };
    }

    /// Whether the body of an event of this name can still change the summary. The fast
    /// reader parses a body only then; it must agree with the guards in [`Self::detail`].
    pub(super) fn wants_detail(&self, name: &str) -> bool {
        let trace = &self.trace;
        match name {
            "MODULE_SET_RESPONSE_ERROR_STATUS" => trace.error.is_none(),
            "SET_RESPONSE_ERROR_DESCRIPTION" => trace.error_description.is_none(),
            "GENERAL_REQUEST_HEADERS" => !self.headers_seen,
            "GENERAL_SET_REQUEST_HEADER" => trace.arr_log_id_forwarded.is_none(),
            "MODULE_WARNING" => trace.warning.is_none(),
            "ARR_WEBFARM_NOT_ROUTED" => self.farm_host.is_none(),
            "REWRITE_ACTION" => self.rewrite_target.is_none(),
            "ARR_REQUEST_HEADERS_START" | "ANCM_REQUEST_FORWARD_START" => {
                trace.forward_start.is_none()
            }
            "FASTCGI_ASSIGN_PROCESS" => trace.fastcgi_new_process.is_none(),
            "ANCM_START_APPLICATION_FAIL" => trace.ancm_failure.is_none(),
            RESPONSE_BUFFER => self.wants_buffer(),
            other => is_detail_event(other),
        }
    }

    /// The body of an event for which [`is_detail_event`] is true. Only the record's name,
    /// time and data are read, and its descriptions when [`reads_descriptions`] says so: the
    /// fast reader fills no more of it.
    pub(super) fn detail(&mut self, event: &EventRecord) {
        let trace = &mut self.trace;
        match event.name.as_str() {
            "MODULE_SET_RESPONSE_ERROR_STATUS" if trace.error.is_none() => {
                note_unparsed_time(trace, fields::ERROR_TIME, event);
                trace.error = Some(module_error(event));
            }
            "SET_RESPONSE_ERROR_DESCRIPTION" if trace.error_description.is_none() => {
                let text = event.data("ErrorDescription").unwrap_or_default().trim();
                trace.error_description = Some(capped(text, caps::TEXT));
            }
            "GENERAL_REQUEST_HEADERS" if !self.headers_seen => {
                self.headers_seen = true;
                read_request_headers(trace, event.data("Headers").unwrap_or_default());
            }
            "GENERAL_SET_REQUEST_HEADER" => {
                let name = event.data("HeaderName").unwrap_or_default();
                if name.trim().eq_ignore_ascii_case("X-ARR-LOG-ID")
                    && trace.arr_log_id_forwarded.is_none()
                {
                    let value = event.data("HeaderValue").unwrap_or_default();
                    trace.arr_log_id_forwarded = Some(capped(value.trim(), caps::ID));
                }
            }
            "MODULE_WARNING" if trace.warning.is_none() => {
                trace.warning = Some(ModuleWarning {
                    module: owned(event.data("ModuleName"), caps::NAME),
                    data1: owned(event.data("Data1"), caps::NAME),
                    data2: owned(event.data("Data2"), caps::TEXT),
                    error_code: event.data("ErrorCode").and_then(ErrorCode::parse),
                });
            }
            "HANDLER_CHANGED" => {
                trace.handler = event
                    .data("NewHandlerName")
                    .map(|v| capped(v.trim(), caps::NAME));
            }
            "ARR_SERVER_ROUTED" | "ARR_REQUEST_ROUTED" => {
                if let Some(server) = non_empty(event.data("Server"), caps::LONG_NAME) {
                    self.routed_server = Some(server);
                }
            }
            "ARR_WEBFARM_NOT_ROUTED" if self.farm_host.is_none() => {
                self.farm_host = non_empty(event.data("HostName"), caps::LONG_NAME);
            }
            "REWRITE_ACTION" if self.rewrite_target.is_none() => {
                let url = event.data("RewriteURL").unwrap_or_default().trim();
                if is_absolute_http(url) {
                    self.rewrite_target = Some(capped(url, caps::LONG_NAME));
                }
            }
            "ARR_REQUEST_HEADERS_START" | "ANCM_REQUEST_FORWARD_START"
                if trace.forward_start.is_none() =>
            {
                note_unparsed_time(trace, fields::FORWARD_TIME, event);
                trace.forward_start = event.time;
            }
            "FASTCGI_ASSIGN_PROCESS" if trace.fastcgi_new_process.is_none() => {
                trace.fastcgi_new_process = event
                    .data("IsNewProcess")
                    .map(|v| v.trim().eq_ignore_ascii_case("true"));
            }
            "ANCM_START_APPLICATION_FAIL" if trace.ancm_failure.is_none() => {
                trace.ancm_failure = Some(owned(event.data("FailureDescription"), caps::TEXT));
            }
            RESPONSE_BUFFER if self.wants_buffer() => {
                let body = event.data("Buffer").unwrap_or_default();
                if is_searched_body(body.len()) {
                    self.buffers_searched += 1;
                    self.trace.exception = super::exception::exception_in(body);
                }
            }
            _ => {}
        }
    }

    /// A response body the fast reader found, from its raw bytes, to name no exception, and
    /// small enough to be searched: it counts as searched, as [`Self::detail`] counts it.
    pub(super) fn body_without_exception(&mut self) {
        if self.wants_buffer() {
            self.buffers_searched += 1;
        }
    }

    /// A failure's first response bodies are searched for the exception of an error page,
    /// until one names it: below 500 there is no failure to explain.
    fn wants_buffer(&self) -> bool {
        self.trace.status.is_server_error()
            && self.trace.exception.is_none()
            && self.buffers_searched < BUFFERS_SEARCHED
    }

    /// The trace so far, started at `start`: what the filters decide on.
    pub(super) fn so_far(&mut self, start: Option<Stamp>) -> &Trace {
        self.trace.start_time = stamp_time(&mut self.trace, fields::FIRST_TIME, start);
        &self.trace
    }

    /// The trace so far, cut down to what a trace that did not match the filters keeps.
    pub(super) fn into_head(mut self) -> Trace {
        order_unparsed(&mut self.trace);
        let t = self.trace;
        Trace {
            file: t.file,
            server: t.server,
            site_id: t.site_id,
            app_pool: t.app_pool,
            process_id: t.process_id,
            url: t.url,
            verb: t.verb,
            activity_id: t.activity_id,
            failure_reason: t.failure_reason,
            status: t.status,
            trigger_status: t.trigger_status,
            time_taken_ms: t.time_taken_ms,
            start_time: t.start_time,
            user_agent: t.user_agent,
            host: t.host,
            arr_log_id: t.arr_log_id,
            unparsed: t.unparsed,
            depth: Depth::Head,
            ..Trace::default()
        }
    }

    /// The finished trace; `complete` is false when the file ended before `</failedRequest>`.
    pub(super) fn finish(mut self, complete: bool) -> Trace {
        order_unparsed(&mut self.trace);
        self.trace.partial = !complete;
        self.trace.arr_route = if self.routed_server.is_some() {
            let name = self.rewrite_target.as_deref().map(url_host).unwrap_or("");
            Some(ArrRoute::Farm {
                name: name.to_owned(),
            })
        } else if self.farm_host.is_some() {
            Some(ArrRoute::Direct)
        } else {
            None
        };
        self.trace.proxy_target = self
            .routed_server
            .or(self.farm_host)
            .or(self.rewrite_target);
        self.trace
    }
}

/// The host of an absolute URL, without port: `http://OrdersFarm:80/x` -> `OrdersFarm`.
fn url_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let end = rest.find(['/', ':', '?', '#']).unwrap_or(rest.len());
    &rest[..end]
}

fn apply_root_attribute(trace: &mut Trace, name: &str, value: String) {
    match name {
        "url" => trace.url = capped_owned(value, caps::URL),
        "siteId" => trace.site_id = capped_owned(trimmed(value), caps::ID),
        "appPoolId" => trace.app_pool = capped_owned(value, caps::NAME),
        "processId" => trace.process_id = value.trim().parse().unwrap_or(0),
        "verb" => trace.verb = capped_owned(value, caps::ID),
        "remoteUserName" => trace.remote_user = capped_owned(value, caps::NAME),
        "userName" => trace.user_name = capped_owned(value, caps::NAME),
        "tokenUserName" => trace.token_user = capped_owned(value, caps::NAME),
        "authenticationType" => trace.auth_type = capped_owned(value, caps::NAME),
        "activityId" => trace.activity_id = capped_owned(trimmed(value), caps::ID),
        "failureReason" => trace.failure_reason = capped_owned(trimmed(value), caps::ID),
        "statusCode" => match Status::parse(&value) {
            Some(status) => trace.status = status,
            None => unparsed(trace, "statusCode", &value),
        },
        "triggerStatusCode" => match Status::parse(&value) {
            Some(status) => trace.trigger_status = status,
            None => unparsed(trace, "triggerStatusCode", &value),
        },
        "timeTaken" => match parse_time_taken(&value) {
            Some(ms) => trace.time_taken_ms = Some(ms),
            None => unparsed(trace, "timeTaken", &value),
        },
        _ => {}
    }
}

/// The longest `timeTaken` believed, in milliseconds: a week. IIS counts a request's time in
/// a 32-bit millisecond field, and no request waits that long on a worker process.
const MAX_TIME_TAKEN_MS: u64 = 7 * 24 * 3600 * 1000;

/// `timeTaken` in milliseconds: digits only, within a week.
fn parse_time_taken(value: &str) -> Option<u64> {
    let value = value.trim();
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok().filter(|&ms| ms <= MAX_TIME_TAKEN_MS)
}

/// The names under which times that could not be read are reported, each read from one event
/// that both readers agree on.
pub(crate) mod fields {
    /// The first event's time: the trace's start.
    pub(crate) const FIRST_TIME: &str = "TimeCreated (first event)";
    /// The last event's time: the trace's end.
    pub(crate) const LAST_TIME: &str = "TimeCreated (last event)";
    /// The time of the module error (`MODULE_SET_RESPONSE_ERROR_STATUS`).
    pub(crate) const ERROR_TIME: &str = "TimeCreated (MODULE_SET_RESPONSE_ERROR_STATUS)";
    /// The time the proxy forwarded the request (`ARR_REQUEST_HEADERS_START`,
    /// `ANCM_REQUEST_FORWARD_START`).
    pub(crate) const FORWARD_TIME: &str = "TimeCreated (request forwarded)";

    /// Where a field is listed: root attributes first, in file order, then the times.
    pub(super) fn rank(field: &str) -> usize {
        [FIRST_TIME, LAST_TIME, ERROR_TIME, FORWARD_TIME]
            .iter()
            .position(|f| *f == field)
            .map_or(0, |i| i + 1)
    }
}

/// The time of a stamp; one that cannot be read is noted as `field`.
fn stamp_time(
    trace: &mut Trace,
    field: &'static str,
    stamp: Option<Stamp>,
) -> Option<DateTime<Utc>> {
    match stamp? {
        Stamp::At(time) => Some(time),
        Stamp::Unparseable(text) => {
            unparsed(trace, field, &text);
            None
        }
    }
}

/// Notes the time of a detail event when it is there and cannot be read.
fn note_unparsed_time(trace: &mut Trace, field: &'static str, event: &EventRecord) {
    if let Some(text) = &event.unparsed_time {
        unparsed(trace, field, text);
    }
}

/// The readers meet the events in different orders (the fast one reads the start time
/// before the body of the events around it): a fixed order keeps their summaries equal.
fn order_unparsed(trace: &mut Trace) {
    trace.unparsed.sort_by_key(|u| fields::rank(u.field));
}

/// Notes a root attribute that could not be parsed (once per attribute).
fn unparsed(trace: &mut Trace, field: &'static str, value: &str) {
    if !trace.is_unparsed(field) {
        trace.unparsed.push(crate::model::Unparsed {
            field,
            value: capped(value, caps::ID),
        });
    }
}

/// `value` without surrounding white space, reusing its memory when it has none.
fn trimmed(value: String) -> String {
    if value.trim().len() == value.len() {
        value
    } else {
        value.trim().to_owned()
    }
}

fn module_error(event: &EventRecord) -> ModuleError {
    let code: u16 = event
        .data("HttpStatus")
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let sub: u32 = event
        .data("HttpSubStatus")
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    ModuleError {
        module: capped(
            event.data("ModuleName").unwrap_or_default().trim(),
            caps::NAME,
        ),
        notification: capped(&notification(event), caps::NAME),
        status: Status::new(code, sub),
        error_code: event.data("ErrorCode").and_then(ErrorCode::parse),
        config_exception: capped(
            event.data("ConfigExceptionInfo").unwrap_or_default().trim(),
            caps::TEXT,
        ),
        time: event.time,
    }
}

/// The notification by name: IIS's description when it wrote one, else our table, else the
/// number as written.
fn notification(event: &EventRecord) -> String {
    if let Some(name) = non_empty(event.description("Notification"), caps::NAME) {
        return name;
    }
    let raw = event.data("Notification").unwrap_or_default().trim();
    raw.parse::<u32>()
        .ok()
        .and_then(codes::notification_name)
        .map_or_else(|| raw.to_owned(), str::to_owned)
}

/// Reads `User-Agent`, `Host` and `X-ARR-LOG-ID` from a `Headers` block (`Name: value` lines).
fn read_request_headers(trace: &mut Trace, block: &str) {
    for line in block.lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        let name = name.trim();
        let (slot, max) = if name.eq_ignore_ascii_case("User-Agent") {
            (&mut trace.user_agent, caps::LONG_NAME)
        } else if name.eq_ignore_ascii_case("Host") {
            (&mut trace.host, caps::NAME)
        } else if name.eq_ignore_ascii_case("X-ARR-LOG-ID") {
            (&mut trace.arr_log_id, caps::ID)
        } else {
            continue;
        };
        if slot.is_none() {
            *slot = Some(capped(value, max));
        }
    }
}

fn is_absolute_http(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

fn owned(value: Option<&str>, max: usize) -> String {
    capped(value.unwrap_or_default(), max)
}

fn non_empty(value: Option<&str>, max: usize) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| capped(v, max))
}
