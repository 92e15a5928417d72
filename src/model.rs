//! The facts frebscope keeps about one trace, and the small value types they are made of.
//!
//! A `fr######.xml` file can be several hundred kilobytes, mostly captured response bodies.
//! [`Trace`] is what remains once the parser has pulled out the root attributes and the handful
//! of events that say who failed and why; everything downstream (filters, diagnosis,
//! aggregation, reports) works on it and never looks at XML again.

use std::fmt;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use crate::event_names::EventNames;

/// An HTTP status with the IIS substatus, as IIS writes it in `statusCode` (`502.3`, `404`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Status {
    /// The HTTP status code (`502`).
    pub code: u16,
    /// The IIS substatus (`3`); `0` when IIS wrote none.
    pub sub: u32,
}

impl Status {
    /// Builds a status from its two parts.
    pub const fn new(code: u16, sub: u32) -> Self {
        Status { code, sub }
    }

    /// Parses `502.3`, `404` or `0`; `None` for anything else, an HTTP status outside
    /// 100–999 (`70000`) or a negative substatus (`502.-1`) included.
    pub fn parse(text: &str) -> Option<Status> {
        let text = text.trim();
        let (code, sub) = match text.split_once('.') {
            Some((c, s)) => (c, s.parse().ok()?),
            None => (text, 0),
        };
        let code: u16 = code.parse().ok()?;
        if code != 0 && !(100..=999).contains(&code) {
            return None;
        }
        Some(Status { code, sub })
    }

    /// True for 500 and above, the statuses a verdict is given for.
    pub fn is_server_error(self) -> bool {
        self.code >= 500
    }
}

impl fmt::Display for Status {
    /// IIS omits a zero substatus: `500`, not `500.0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.sub == 0 {
            write!(f, "{}", self.code)
        } else {
            write!(f, "{}.{}", self.code, self.sub)
        }
    }
}

impl Serialize for Status {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A Win32, WinHTTP or HRESULT error code as a module reported it.
///
/// FREB stores `ErrorCode` as unsigned decimal (`2147954429`) while people and documentation
/// use hex (`0x80072EFD`); both parse to the same value and it always prints as hex.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ErrorCode(pub u32);

impl ErrorCode {
    /// Parses decimal (`2147954429`, also negative `-2147012867`) or hex (`0x80072EFD`).
    pub fn parse(text: &str) -> Option<ErrorCode> {
        let text = text.trim();
        let text = text.split_whitespace().next()?;
        if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
            return u32::from_str_radix(hex, 16).ok().map(ErrorCode);
        }
        if let Ok(v) = text.parse::<u32>() {
            return Some(ErrorCode(v));
        }
        text.parse::<i32>().ok().map(|v| ErrorCode(v as u32))
    }

    /// True for `0`, which modules report when they chose the status themselves.
    pub fn is_success(self) -> bool {
        self.0 == 0
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:08X}", self.0)
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Which layer a failure came from.
///
/// Every output writes it as [`Verdict::as_str`] says, so renaming a variant cannot change
/// the CSV or JSON contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    /// The application or its process starting, restarting or failing to start.
    Startup,
    /// ARR, URL Rewrite or ANCM forwarding could not complete the request.
    Proxy,
    /// The application in the worker process threw, crashed, hung or was too slow.
    Worker,
    /// IIS configuration rejected the request before the application ran.
    Config,
    /// Not enough evidence for any of the above.
    Unknown,
    /// Status below 500: no verdict is given.
    NotApplicable,
}

impl Verdict {
    /// The word used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Startup => "startup",
            Verdict::Proxy => "proxy",
            Verdict::Worker => "worker",
            Verdict::Config => "config",
            Verdict::Unknown => "unknown",
            Verdict::NotApplicable => "-",
        }
    }

    /// Every verdict a 5xx can get, in the order reports list them.
    pub const FAILURES: [Verdict; 5] = [
        Verdict::Startup,
        Verdict::Proxy,
        Verdict::Worker,
        Verdict::Config,
        Verdict::Unknown,
    ];
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Verdict {
    /// A unit variant named by [`Verdict::as_str`]: JSON writes the word, and the CSV cells
    /// know it for frebscope's own word rather than text from a trace.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_unit_variant("Verdict", *self as u32, self.as_str())
    }
}

/// How sure a verdict is: rules built on inferred or unsourced facts say so.
///
/// Written everywhere as [`Confidence::as_str`] says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Confidence {
    /// Stated by a primary source and visible in the trace.
    #[default]
    High,
    /// Inferred from sources, or from traces around this one.
    Medium,
    /// Field knowledge without a primary source.
    Low,
}

impl Confidence {
    /// The word used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::High => "high",
            Confidence::Medium => "medium",
            Confidence::Low => "low",
        }
    }
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Confidence {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_unit_variant("Confidence", *self as u32, self.as_str())
    }
}

/// The first `MODULE_SET_RESPONSE_ERROR_STATUS` of a trace: the module that set the error.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ModuleError {
    /// `ModuleName`, e.g. `ApplicationRequestRouting`.
    pub module: String,
    /// The notification by name (`EXECUTE_REQUEST_HANDLER`), or the raw number if unnamed.
    pub notification: String,
    /// `HttpStatus` and `HttpSubStatus` of the event.
    pub status: Status,
    /// `ErrorCode`, when present and parseable.
    pub error_code: Option<ErrorCode>,
    /// `ConfigExceptionInfo`, empty when IIS had none.
    pub config_exception: String,
    /// Timestamp of the event (`TimeCreated`), when present.
    pub time: Option<DateTime<Utc>>,
}

/// The first `MODULE_WARNING` of a trace (FastCGI stderr, WebDAV, ...).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ModuleWarning {
    /// `ModuleName`.
    pub module: String,
    /// `Data1`, e.g. `FASTCGI_RESPONSE_ERROR`.
    pub data1: String,
    /// `Data2`, e.g. the PHP error text.
    pub data2: String,
    /// `ErrorCode`.
    pub error_code: Option<ErrorCode>,
}

/// How much of a file was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Depth {
    /// The whole trace was read.
    #[default]
    Full,
    /// Only the root element and the first events: the trace did not match the filters, and
    /// only what the cross-trace rules need (server, pool, process, time, headers) was kept.
    Head,
}

/// How ARR picked the server it forwarded a request to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub enum ArrRoute {
    /// A member of a server farm (`ARR_SERVER_ROUTED`); the farm's name is the host of the
    /// rewrite target (`http://OrdersFarm/{R:0}`), when the trace holds the rewrite.
    Farm {
        /// The farm's name, empty when unknown.
        name: String,
    },
    /// A plain URL, no farm (`ARR_WEBFARM_NOT_ROUTED`).
    Direct,
}

/// Everything frebscope keeps of one trace.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Trace {
    /// The file the trace was read from, as found (never canonicalized).
    pub file: PathBuf,
    /// `System/Computer` of the first event: the server that wrote the trace.
    pub server: String,
    /// Root `siteId`.
    pub site_id: String,
    /// Root `appPoolId`.
    pub app_pool: String,
    /// Root `processId`; `0` when missing.
    pub process_id: u32,
    /// Root `url`.
    pub url: String,
    /// Root `verb`.
    pub verb: String,
    /// Root `remoteUserName`.
    pub remote_user: String,
    /// Root `userName`.
    pub user_name: String,
    /// Root `tokenUserName`.
    pub token_user: String,
    /// Root `authenticationType`.
    pub auth_type: String,
    /// Root `activityId`.
    pub activity_id: String,
    /// Root `failureReason` (`STATUS_CODE`, `TIME_TAKEN`, ...).
    pub failure_reason: String,
    /// Root `statusCode`: the final status.
    pub status: Status,
    /// Root `triggerStatusCode`: the status that matched the tracing rule.
    pub trigger_status: Status,
    /// Root `timeTaken` in milliseconds; `None` when the trace has none or it could not be
    /// read (`-1`, `1e9`): an unknown time, never 0.
    pub time_taken_ms: Option<u64>,
    /// `TimeCreated` of the first event.
    pub start_time: Option<DateTime<Utc>>,
    /// `TimeCreated` of the last event.
    pub end_time: Option<DateTime<Utc>>,
    /// The module that set the error status, if any did.
    pub error: Option<ModuleError>,
    /// `SET_RESPONSE_ERROR_DESCRIPTION`, trimmed.
    pub error_description: Option<String>,
    /// The first `MODULE_WARNING`.
    pub warning: Option<ModuleWarning>,
    /// `User-Agent` request header.
    pub user_agent: Option<String>,
    /// `Host` request header.
    pub host: Option<String>,
    /// `X-ARR-LOG-ID` as received in the request headers (this server is an ARR backend).
    pub arr_log_id: Option<String>,
    /// `X-ARR-LOG-ID` that this server's ARR set on the forwarded request (this is a front end).
    pub arr_log_id_forwarded: Option<String>,
    /// Where a proxy sent the request: `ARR_SERVER_ROUTED` Server, `ARR_WEBFARM_NOT_ROUTED`
    /// HostName or a `REWRITE_ACTION` to an absolute URL.
    pub proxy_target: Option<String>,
    /// How ARR chose the backend, when the trace says: a farm member or a plain URL. It decides
    /// which timeout applied (the farm's `protocol@timeout` or `system.webServer/proxy@timeout`).
    pub arr_route: Option<ArrRoute>,
    /// `TimeCreated` of `ARR_REQUEST_HEADERS_START` or `ANCM_REQUEST_FORWARD_START`.
    pub forward_start: Option<DateTime<Utc>>,
    /// `HANDLER_CHANGED` NewHandlerName, the last one.
    pub handler: Option<String>,
    /// `FASTCGI_ASSIGN_PROCESS` IsNewProcess.
    pub fastcgi_new_process: Option<bool>,
    /// `ANCM_START_APPLICATION_FAIL` FailureDescription.
    pub ancm_failure: Option<String>,
    /// The exception the application's error page names in the captured response
    /// (`GENERAL_RESPONSE_ENTITY_BUFFER`): `System.InvalidOperationException: message`, one
    /// line, at most 300 characters. Read only for statuses 500 and above.
    pub exception: Option<String>,
    /// IIS cut the trace at `maxLogFileSizeKB` (`LOG_FILE_MAX_SIZE_TRUNCATE`).
    pub truncated: bool,
    /// The file ends before `</failedRequest>`: read as far as it goes.
    pub partial: bool,
    /// How much of the file was read.
    pub depth: Depth,
    /// Number of complete events read.
    pub event_count: u32,
    /// Root attributes whose values could not be read (`statusCode="502.-1"`): reported as
    /// unknown, never as a made-up number. At most a few, each value cut short.
    pub unparsed: Vec<Unparsed>,
    /// The names (`RenderingInfo/Opcode`) of the events present.
    pub events: EventNames,
}

impl Trace {
    /// True when an event of this name is in the trace.
    pub fn has_event(&self, name: &str) -> bool {
        self.events.contains(name)
    }

    /// The error code the module reported, if any.
    pub fn error_code(&self) -> Option<ErrorCode> {
        self.error.as_ref().and_then(|e| e.error_code)
    }

    /// The module that set the error, or `""`.
    pub fn module(&self) -> &str {
        self.error.as_ref().map_or("", |e| e.module.as_str())
    }
}

/// A value of a trace that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unparsed {
    /// The attribute, e.g. `statusCode`.
    pub field: &'static str,
    /// What the trace held, cut short.
    pub value: String,
}

impl Trace {
    /// True when the attribute `field` could not be parsed.
    pub fn is_unparsed(&self, field: &str) -> bool {
        self.unparsed.iter().any(|u| u.field == field)
    }

    /// What the first event's time held when it could not be read: the trace's start.
    pub fn unparsed_start(&self) -> Option<&str> {
        self.unparsed
            .iter()
            .find(|u| u.field == crate::parse::time_fields::FIRST_TIME)
            .map(|u| u.value.as_str())
    }
}

/// The verdict of one trace with the sentence that justifies it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnosis {
    /// The verdict.
    pub verdict: Verdict,
    /// The rule that decided (`R8`), empty when none applies.
    pub rule: &'static str,
    /// How sure the rule is.
    pub confidence: Confidence,
    /// Facts from the trace and the rule's reading of them, for a person to check.
    pub evidence: String,
    /// File of a linked trace (the ARR backend trace for a front-end 502).
    pub linked_file: Option<Box<std::path::Path>>,
}

impl Diagnosis {
    /// The diagnosis of a status below 500.
    pub fn not_applicable() -> Self {
        Diagnosis {
            verdict: Verdict::NotApplicable,
            rule: "",
            confidence: Confidence::High,
            evidence: String::new(),
            linked_file: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_prints_as_iis_writes_it() {
        assert_eq!(Status::parse("502.3").unwrap().to_string(), "502.3");
        assert_eq!(Status::parse("404").unwrap().to_string(), "404");
        assert_eq!(Status::parse("500.0").unwrap().to_string(), "500");
        assert_eq!(Status::parse("x"), None);
        assert_eq!(Status::parse("502."), None);
        for bad in ["502.-1", "70000", "", "-1", "5e2"] {
            assert_eq!(Status::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn error_codes_parse_from_decimal_and_hex() {
        assert_eq!(ErrorCode::parse("2147954429"), Some(ErrorCode(0x80072EFD)));
        assert_eq!(ErrorCode::parse("0x80072efd"), Some(ErrorCode(0x80072EFD)));
        assert_eq!(ErrorCode::parse("-2147012867"), Some(ErrorCode(0x80072EFD)));
        assert_eq!(ErrorCode::parse("109").unwrap().to_string(), "0x0000006D");
        assert_eq!(ErrorCode::parse(""), None);
        assert_eq!(ErrorCode::parse("junk"), None);
    }
}
