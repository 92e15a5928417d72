//! Writing results: one module per format behind the [`Reporter`] trait.
//!
//! The CSV and JSON layouts are a contract that scripts depend on (see the README): columns
//! keep their names and order, and new ones are only ever added at the end.

pub mod csv;
pub mod json;
pub mod table;

use std::io::{self, Write};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::aggregate::{Group, Totals, VerdictCount};
use crate::codes;
use crate::config::GroupBy;
use crate::diagnose::Hint;
use crate::model::{Diagnosis, Trace};

/// What `scan` reports.
#[derive(Debug, Serialize)]
pub struct ScanReport<'a> {
    /// Counts of the run.
    pub totals: &'a Totals,
    /// Verdict block.
    pub verdicts: &'a [VerdictCount],
    /// The grouping used.
    #[serde(skip)]
    pub by: GroupBy,
    /// The groups.
    pub groups: &'a [Group],
    /// Configuration hints.
    pub hints: &'a [Hint],
    /// Wall time of the run so far.
    #[serde(serialize_with = "seconds")]
    pub elapsed: Duration,
}

/// What `requests` reports.
#[derive(Debug, Serialize)]
pub struct RequestsReport<'a> {
    /// Counts of the run.
    pub totals: &'a Totals,
    /// One row per matched trace.
    pub rows: &'a [RequestRow],
    /// Wall time of the run so far.
    #[serde(serialize_with = "seconds")]
    pub elapsed: Duration,
}

fn seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1000.0).round() / 1000.0)
}

/// An output format.
pub trait Reporter {
    /// Writes the failure summary.
    fn scan(&self, report: &ScanReport<'_>, out: &mut dyn Write) -> io::Result<()>;
    /// Writes one row per trace.
    fn requests(&self, report: &RequestsReport<'_>, out: &mut dyn Write) -> io::Result<()>;
}

/// One trace as `requests` lists it. Field order is the CSV column order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestRow {
    /// File path, as found.
    pub file: String,
    /// `System/Computer`.
    pub server: String,
    /// Root `siteId`.
    pub site_id: String,
    /// Root `appPoolId`.
    pub app_pool: String,
    /// Root `processId`.
    pub process_id: u32,
    /// First event, RFC 3339 UTC with milliseconds.
    pub start_time: String,
    /// Root `url`.
    pub url: String,
    /// Root `verb`.
    pub verb: String,
    /// Final status as IIS writes it; `None` when the trace's could not be parsed.
    pub status: Option<String>,
    /// Trigger status; `None` when unparseable.
    pub trigger_status: Option<String>,
    /// Root `failureReason`.
    pub failure_reason: String,
    /// Module that set the error.
    pub module: String,
    /// Its notification, by name.
    pub notification: String,
    /// `0x` and 8 hex digits, empty when no module set an error.
    pub error_code: String,
    /// The code's symbolic name, when known.
    pub error_name: String,
    /// Root `timeTaken`; `None` when unparseable.
    pub time_taken_ms: Option<u64>,
    /// `startup`, `proxy`, `worker`, `config`, `unknown`, or `-` below 500.
    pub verdict: String,
    /// The evidence sentence.
    pub evidence: String,
    /// The rule that decided.
    pub rule: String,
    /// `high`, `medium` or `low`.
    pub confidence: String,
    /// The file ends before `</failedRequest>`.
    pub partial: bool,
    /// IIS truncated the trace at `maxLogFileSizeKB`.
    pub truncated: bool,
    /// The trace this verdict was linked to (ARR backend).
    pub linked_file: String,
    /// `X-ARR-LOG-ID`, received or forwarded.
    pub arr_log_id: String,
    /// `User-Agent` request header.
    pub user_agent: String,
}

impl RequestRow {
    /// The row of a trace and its diagnosis.
    pub fn new(trace: &Trace, diagnosis: &Diagnosis) -> RequestRow {
        let error = trace.error.as_ref();
        let code = trace.error_code();
        RequestRow {
            file: trace.file.display().to_string(),
            server: trace.server.clone(),
            site_id: trace.site_id.clone(),
            app_pool: trace.app_pool.clone(),
            process_id: trace.process_id,
            start_time: trace.start_time.map(rfc3339).unwrap_or_default(),
            url: trace.url.clone(),
            verb: trace.verb.clone(),
            status: (!trace.is_unparsed("statusCode")).then(|| trace.status.to_string()),
            trigger_status: (!trace.is_unparsed("triggerStatusCode"))
                .then(|| trace.trigger_status.to_string()),
            failure_reason: trace.failure_reason.clone(),
            module: error.map(|e| e.module.clone()).unwrap_or_default(),
            notification: error.map(|e| e.notification.clone()).unwrap_or_default(),
            error_code: code.map(|c| c.to_string()).unwrap_or_default(),
            error_name: code
                .and_then(codes::error_name)
                .unwrap_or_default()
                .to_owned(),
            time_taken_ms: (!trace.is_unparsed("timeTaken")).then_some(trace.time_taken_ms),
            verdict: diagnosis.verdict.to_string(),
            evidence: diagnosis.evidence.clone(),
            rule: diagnosis.rule.to_owned(),
            confidence: if diagnosis.rule.is_empty() {
                String::new()
            } else {
                format!("{:?}", diagnosis.confidence).to_lowercase()
            },
            partial: trace.partial,
            truncated: trace.truncated,
            linked_file: diagnosis
                .linked_file
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            arr_log_id: trace
                .arr_log_id_forwarded
                .clone()
                .or_else(|| trace.arr_log_id.clone())
                .unwrap_or_default(),
            user_agent: trace.user_agent.clone().unwrap_or_default(),
        }
    }
}

/// `2026-06-08T19:54:51.596Z`.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Serializes a time as [`rfc3339`]: every time frebscope writes has milliseconds.
pub fn rfc3339_ser<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(*t))
}

/// [`rfc3339_ser`] for an optional time (`null` when there is none).
pub fn rfc3339_opt<S: serde::Serializer>(
    t: &Option<DateTime<Utc>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&rfc3339(*t)),
        None => s.serialize_none(),
    }
}
