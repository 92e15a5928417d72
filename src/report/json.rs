//! JSON output: one document for `scan`, one record per line for `requests` (JSON Lines, for
//! jq). Everything goes through serde, so every string is escaped.
//!
//! The `requests` stream holds only records, one per trace, so that `jq` filters never meet
//! anything else: the totals go to standard error, or into the stream as one last
//! `{"totals": ...}` record with `--totals`. A record has the CSV's columns, in the CSV's order,
//! then `status_code` and `substatus`; where the CSV writes an empty cell a record has `null`,
//! and numbers are JSON numbers. `status` stays the string IIS writes (`"502.3"`): a number
//! would turn `404.10` into `404.1`.

use std::io::{self, Write};
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Reporter, RequestRow, RequestsReport, ScanReport};
use crate::model::{Confidence, ErrorCode, Status, Verdict};

/// Writes JSON.
#[derive(Debug, Clone, Copy)]
pub struct JsonReporter {
    /// `requests`: end the stream with a `{"totals": ...}` record (`--totals`).
    pub totals: bool,
    /// `scan`: write the run's wall time (`elapsed`); off with `--no-elapsed`, so that two
    /// runs over the same traces give the same bytes.
    pub elapsed: bool,
}

impl Default for JsonReporter {
    fn default() -> Self {
        JsonReporter {
            totals: false,
            elapsed: true,
        }
    }
}

impl Reporter for JsonReporter {
    fn scan(&self, report: &ScanReport<'_>, out: &mut dyn Write) -> io::Result<()> {
        if self.elapsed {
            serde_json::to_writer_pretty(&mut *out, report)?;
        } else {
            let mut value = serde_json::to_value(report)?;
            if let Some(fields) = value.as_object_mut() {
                fields.remove("elapsed");
            }
            serde_json::to_writer_pretty(&mut *out, &value)?;
        }
        writeln!(out)
    }

    fn requests(&self, report: &RequestsReport<'_>, out: &mut dyn Write) -> io::Result<()> {
        for row in report.rows {
            serde_json::to_writer(&mut *out, &JsonRow::new(row))?;
            writeln!(out)?;
        }
        if self.totals {
            #[derive(Serialize)]
            struct Last<'a> {
                totals: &'a crate::aggregate::Totals,
            }
            serde_json::to_writer(
                &mut *out,
                &Last {
                    totals: report.totals,
                },
            )?;
            writeln!(out)?;
        }
        Ok(())
    }
}

/// One trace as the `requests --json` stream (and `watch --json`) writes it: the fields of
/// [`RequestRow`] in its order, an absent value as `null`, then the status as two numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JsonRow<'a> {
    /// File path, as found.
    #[serde(serialize_with = "path")]
    pub file: &'a Path,
    /// `System/Computer`.
    pub server: Option<&'a str>,
    /// Root `siteId`.
    pub site_id: Option<&'a str>,
    /// Root `appPoolId`.
    pub app_pool: Option<&'a str>,
    /// Root `processId` (`null` when the trace has none).
    pub process_id: Option<u32>,
    /// First event, RFC 3339 UTC with milliseconds.
    #[serde(serialize_with = "super::rfc3339_opt")]
    pub start_time: Option<DateTime<Utc>>,
    /// Root `url`.
    pub url: Option<&'a str>,
    /// Root `verb`.
    pub verb: Option<&'a str>,
    /// Final status as IIS writes it (`"502.3"`).
    pub status: Option<Status>,
    /// Trigger status.
    pub trigger_status: Option<Status>,
    /// Root `failureReason`.
    pub failure_reason: Option<&'a str>,
    /// Module that set the error.
    pub module: Option<&'a str>,
    /// Its notification.
    pub notification: Option<&'a str>,
    /// The module's error code (`"0x80072EE2"`).
    pub error_code: Option<ErrorCode>,
    /// The code's symbolic name.
    pub error_name: Option<&'static str>,
    /// Root `timeTaken`, in milliseconds.
    pub time_taken_ms: Option<u64>,
    /// The verdict (`"-"` below 500).
    pub verdict: Verdict,
    /// The evidence sentence.
    pub evidence: Option<&'a str>,
    /// The rule that decided.
    pub rule: Option<&'static str>,
    /// How sure the rule is.
    pub confidence: Option<Confidence>,
    /// The file ends before `</failedRequest>`.
    pub partial: bool,
    /// IIS truncated the trace.
    pub truncated: bool,
    /// The trace this verdict was linked to.
    pub linked_file: Option<String>,
    /// `X-ARR-LOG-ID`.
    pub arr_log_id: Option<&'a str>,
    /// `User-Agent`.
    pub user_agent: Option<&'a str>,
    /// The HTTP status of `status` as a number (`502`).
    pub status_code: Option<u16>,
    /// The IIS substatus of `status` as a number (`3`; `0` when IIS wrote none).
    pub substatus: Option<u32>,
}

/// An empty text is an absent value.
fn present(text: &str) -> Option<&str> {
    (!text.is_empty()).then_some(text)
}

impl<'a> JsonRow<'a> {
    /// The record of a row.
    pub fn new(row: &RequestRow<'a>) -> JsonRow<'a> {
        JsonRow {
            file: row.file,
            server: present(row.server),
            site_id: present(row.site_id),
            app_pool: present(row.app_pool),
            // IIS writes the worker's PID; 0 is what the reader keeps when there is none.
            process_id: (row.process_id != 0).then_some(row.process_id),
            start_time: row.start_time,
            url: present(row.url),
            verb: present(row.verb),
            status: row.status,
            trigger_status: row.trigger_status,
            failure_reason: present(row.failure_reason),
            module: present(row.module),
            notification: present(row.notification),
            error_code: row.error_code,
            error_name: row.error_name,
            time_taken_ms: row.time_taken_ms,
            verdict: row.verdict,
            evidence: present(row.evidence),
            rule: present(row.rule),
            confidence: row.confidence,
            partial: row.partial,
            truncated: row.truncated,
            linked_file: row.linked_file.map(|p| p.display().to_string()),
            arr_log_id: row.arr_log_id.and_then(present),
            user_agent: row.user_agent.and_then(present),
            status_code: row.status.map(|s| s.code),
            substatus: row.status.map(|s| s.sub),
        }
    }
}

/// A path as it displays (serde's own refuses paths that are not UTF-8).
fn path<S: serde::Serializer>(path: &&Path, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&path.display())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Diagnosis, Trace};

    fn record(trace: &Trace, diagnosis: &Diagnosis) -> serde_json::Value {
        serde_json::to_value(JsonRow::new(&RequestRow::new(trace, diagnosis))).unwrap()
    }

    #[test]
    fn absent_values_are_null_and_numbers_are_numbers() {
        let trace = Trace {
            file: "fr000001.xml".into(),
            status: Status::new(404, 10),
            time_taken_ms: Some(15),
            ..Trace::default()
        };
        let json = record(&trace, &Diagnosis::not_applicable());
        assert_eq!(json["status"], "404.10");
        assert_eq!(json["status_code"], 404);
        assert_eq!(json["substatus"], 10);
        assert_eq!(json["time_taken_ms"], 15);
        for key in [
            "server",
            "process_id",
            "start_time",
            "module",
            "error_code",
            "error_name",
            "evidence",
            "rule",
            "confidence",
            "linked_file",
            "arr_log_id",
            "user_agent",
        ] {
            assert!(json[key].is_null(), "{key}: {json}");
        }
        assert_eq!(json["verdict"], "-");
        assert_eq!(json["partial"], false);
    }

    #[test]
    fn an_unparseable_status_is_null_in_all_three_fields() {
        let trace = Trace {
            unparsed: vec![crate::model::Unparsed {
                field: "statusCode",
                value: "5x".into(),
            }],
            ..Trace::default()
        };
        let json = record(&trace, &Diagnosis::not_applicable());
        for key in ["status", "status_code", "substatus"] {
            assert!(json[key].is_null(), "{key}: {json}");
        }
    }

    #[test]
    fn records_have_the_csv_columns_then_the_status_numbers() {
        let (trace, diagnosis) = (Trace::default(), Diagnosis::not_applicable());
        let row = RequestRow::new(&trace, &diagnosis);
        let mut columns: Vec<String> = super::super::cells::cells(&row)
            .unwrap()
            .names
            .iter()
            .map(|n| n.to_string())
            .collect();
        columns.extend(["status_code".to_owned(), "substatus".to_owned()]);
        let text = serde_json::to_string(&JsonRow::new(&row)).unwrap();
        let at: Vec<usize> = columns
            .iter()
            .map(|c| {
                text.find(&format!("\"{c}\":"))
                    .unwrap_or_else(|| panic!("{c}"))
            })
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{text}");
        let json: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&text).unwrap();
        assert_eq!(json.len(), columns.len());
    }
}
