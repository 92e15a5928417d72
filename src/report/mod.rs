//! Writing results: one module per format behind the [`Reporter`] trait.
//!
//! The CSV and JSON layouts are a contract that scripts depend on (see the README): columns
//! keep their names and order, and new ones are only ever added at the end.

mod cells;
pub mod clock;
pub mod csv;
pub mod html;
pub mod json;
pub mod layout;
pub mod suggest;
pub mod table;

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::aggregate::{Group, GroupBy, Totals, VerdictCount};
use crate::codes;
use crate::diagnose::Hint;
use crate::model::{Confidence, Diagnosis, ErrorCode, Status, Trace, Verdict};
use crate::overview::Overview;
use crate::shell::FixLine;

/// Where an output goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Standard output (`-`).
    Stdout,
    /// A file, created or replaced.
    File(PathBuf),
}

impl Target {
    /// `-` is standard output, anything else a file.
    pub fn from_arg(arg: &std::ffi::OsStr) -> Target {
        if arg == "-" {
            Target::Stdout
        } else {
            Target::File(PathBuf::from(arg))
        }
    }
}

/// The format of a command's main output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    /// A table for people (the default).
    Table,
    /// CSV for spreadsheets and scripts, to a file (with the table on stdout) or to stdout.
    Csv(Target),
    /// JSON (`scan`: one document; `requests`: one record per line).
    Json,
}

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
    /// The people's view: failures with their verdict mix, the other statuses, requests.
    #[serde(skip)]
    pub overview: &'a Overview,
    /// The `frebscope show` line that opens an example trace with the same inputs.
    #[serde(skip)]
    pub open_example: Option<FixLine>,
}

/// What `requests` reports.
#[derive(Debug, Serialize)]
pub struct RequestsReport<'a> {
    /// Counts of the run.
    pub totals: &'a Totals,
    /// One row per matched trace.
    pub rows: &'a [RequestRow<'a>],
    /// Wall time of the run so far.
    #[serde(serialize_with = "seconds")]
    pub elapsed: Duration,
    /// What the inputs held, for a run where nothing matched.
    #[serde(skip)]
    pub overview: &'a Overview,
}

/// How the tables for people are laid out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TableOptions {
    /// Full module names and URLs instead of the short ones.
    pub wide: bool,
    /// `scan`: list the statuses below 500 in the table too.
    pub all_statuses: bool,
    /// `requests`: the evidence on a second line under each trace.
    pub evidence: bool,
    /// Times in the viewer's local time zone instead of UTC (`--local`).
    pub local: bool,
    /// Leave out the run's wall time (`--no-elapsed`), so that two runs can be compared.
    pub no_elapsed: bool,
}

/// How the outputs for programs (CSV, JSON) are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DataOptions {
    /// CSV for Excel (`--excel`): a byte-order mark, times as `yyyy-mm-dd hh:mm:ss` (UTC),
    /// statuses that stay text.
    pub excel: bool,
    /// `requests --json`: end the stream with a totals record (`--totals`).
    pub totals: bool,
    /// Leave out the run's wall time (`--no-elapsed`).
    pub no_elapsed: bool,
}

/// `requests --sort`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    /// Oldest first.
    Time,
    /// Slowest first.
    Duration,
    /// Highest status first.
    Status,
}

/// Which rows `requests` writes, in every format, and in what order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowSelection {
    /// Only these verdicts (`--verdict startup,proxy`); empty: all.
    pub verdicts: Vec<Verdict>,
    /// The order; `None`: the order the files were found in.
    pub sort: Option<SortBy>,
    /// At most this many rows.
    pub limit: Option<usize>,
}

impl RowSelection {
    /// Applies the selection to the rows.
    pub fn apply(&self, rows: &mut Vec<RequestRow<'_>>) {
        if !self.verdicts.is_empty() {
            rows.retain(|r| self.verdicts.contains(&r.verdict));
        }
        match self.sort {
            None => {}
            Some(SortBy::Time) => rows.sort_by_key(|r| r.start_time),
            Some(SortBy::Duration) => {
                rows.sort_by_key(|r| std::cmp::Reverse(r.time_taken_ms));
            }
            Some(SortBy::Status) => rows.sort_by_key(|r| std::cmp::Reverse(r.status)),
        }
        if let Some(limit) = self.limit {
            rows.truncate(limit);
        }
    }
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

/// One trace as `requests` lists it: typed values borrowed from the trace and its diagnosis,
/// formatted by each reporter.
///
/// This one definition is the `requests` contract: field order is the CSV column order and the
/// JSON key order, and the field names are the column names. A value that is absent is an
/// empty cell in CSV; the JSON stream writes it as `null` (see [`json::JsonRow`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestRow<'a> {
    /// File path, as found.
    #[serde(serialize_with = "ser::path")]
    pub file: &'a Path,
    /// `System/Computer`.
    pub server: &'a str,
    /// Root `siteId`.
    pub site_id: &'a str,
    /// Root `appPoolId`.
    pub app_pool: &'a str,
    /// Root `processId`.
    pub process_id: u32,
    /// First event, written in RFC 3339 UTC with milliseconds.
    #[serde(serialize_with = "ser::time_or_empty")]
    pub start_time: Option<DateTime<Utc>>,
    /// Root `url`.
    pub url: &'a str,
    /// Root `verb`.
    pub verb: &'a str,
    /// Final status as IIS writes it; `None` (an empty cell, `null` in JSON) when the trace's
    /// could not be parsed.
    pub status: Option<Status>,
    /// Trigger status; `None` when unparseable.
    pub trigger_status: Option<Status>,
    /// Root `failureReason`.
    pub failure_reason: &'a str,
    /// Module that set the error, empty when none did.
    pub module: &'a str,
    /// Its notification, by name.
    pub notification: &'a str,
    /// The module's error code, when one set an error.
    #[serde(serialize_with = "ser::or_empty")]
    pub error_code: Option<ErrorCode>,
    /// The code's symbolic name, when known.
    #[serde(serialize_with = "ser::or_empty")]
    pub error_name: Option<&'static str>,
    /// Root `timeTaken`; `None` (an empty cell, `null` in JSON) when unparseable.
    pub time_taken_ms: Option<u64>,
    /// The verdict (`-` below 500).
    pub verdict: Verdict,
    /// The evidence sentence.
    pub evidence: &'a str,
    /// The rule that decided, empty when none applies.
    pub rule: &'static str,
    /// How sure the rule is; absent when no rule decided.
    #[serde(serialize_with = "ser::or_empty")]
    pub confidence: Option<Confidence>,
    /// The file ends before `</failedRequest>`.
    pub partial: bool,
    /// IIS truncated the trace at `maxLogFileSizeKB`.
    pub truncated: bool,
    /// The trace this verdict was linked to (ARR backend).
    #[serde(serialize_with = "ser::path_or_empty")]
    pub linked_file: Option<&'a Path>,
    /// `X-ARR-LOG-ID`, forwarded or else received.
    #[serde(serialize_with = "ser::or_empty")]
    pub arr_log_id: Option<&'a str>,
    /// `User-Agent` request header.
    #[serde(serialize_with = "ser::or_empty")]
    pub user_agent: Option<&'a str>,
}

impl<'a> RequestRow<'a> {
    /// The row of a trace and its diagnosis.
    pub fn new(trace: &'a Trace, diagnosis: &'a Diagnosis) -> RequestRow<'a> {
        let error = trace.error.as_ref();
        let error_code = trace.error_code();
        RequestRow {
            file: &trace.file,
            server: &trace.server,
            site_id: &trace.site_id,
            app_pool: &trace.app_pool,
            process_id: trace.process_id,
            start_time: trace.start_time,
            url: &trace.url,
            verb: &trace.verb,
            status: (!trace.is_unparsed("statusCode")).then_some(trace.status),
            trigger_status: (!trace.is_unparsed("triggerStatusCode"))
                .then_some(trace.trigger_status),
            failure_reason: &trace.failure_reason,
            module: error.map_or("", |e| e.module.as_str()),
            notification: error.map_or("", |e| e.notification.as_str()),
            error_code,
            error_name: error_code.and_then(codes::error_name),
            time_taken_ms: trace.time_taken_ms,
            verdict: diagnosis.verdict,
            evidence: &diagnosis.evidence,
            rule: diagnosis.rule,
            confidence: (!diagnosis.rule.is_empty()).then_some(diagnosis.confidence),
            partial: trace.partial,
            truncated: trace.truncated,
            linked_file: diagnosis.linked_file.as_deref(),
            arr_log_id: trace
                .arr_log_id_forwarded
                .as_deref()
                .or(trace.arr_log_id.as_deref()),
            user_agent: trace.user_agent.as_deref(),
        }
    }
}

/// `2026-06-08T19:54:51.596Z`: how every report writes a time.
pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The `serialize_with` helpers of the rows: how an absent value, a path and a time are
/// written, in one place for CSV and JSON alike.
mod ser {
    use std::path::Path;

    use chrono::{DateTime, Utc};
    use serde::{Serialize, Serializer};

    /// `None` as an empty string, not `null`.
    pub(super) fn or_empty<T: Serialize, S: Serializer>(
        value: &Option<T>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(value) => value.serialize(s),
            None => s.serialize_str(""),
        }
    }

    /// A path as it displays (serde's own refuses paths that are not UTF-8).
    pub(super) fn path<S: Serializer>(path: &&Path, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&path.display())
    }

    pub(super) fn path_or_empty<S: Serializer>(
        path: &Option<&Path>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        or_empty(&path.map(|p| p.display().to_string()), s)
    }

    pub(super) fn time<S: Serializer>(time: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::rfc3339(*time))
    }

    pub(super) fn time_or_empty<S: Serializer>(
        time: &Option<DateTime<Utc>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        or_empty(&time.map(super::rfc3339), s)
    }

    /// `WEB01 WEB02`: the lists of a summary row in one cell.
    pub(super) fn spaced<S: Serializer>(values: &&[String], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&values.join(" "))
    }
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
