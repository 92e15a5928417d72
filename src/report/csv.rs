//! CSV output. Every cell whose text comes from a trace goes through
//! [`crate::sanitize::csv_cell`], so a URL cannot become a spreadsheet formula.

use std::io::{self, Write};

use super::{Reporter, RequestsReport, ScanReport, rfc3339};
use crate::aggregate::{Group, GroupKey};
use crate::codes;
use crate::config::GroupBy;
use crate::model::Verdict;
use crate::sanitize::csv_cell;

/// Writes CSV.
#[derive(Debug, Default)]
pub struct CsvReporter;

/// Columns of the `--by error` summary (the contract).
pub const SUMMARY_HEADER: [&str; 12] = [
    "status",
    "module",
    "error_code",
    "error_name",
    "verdict",
    "count",
    "servers",
    "first_seen",
    "last_seen",
    "time_taken_p50_ms",
    "time_taken_p95_ms",
    "top_url",
];

/// Columns that follow the key in the other groupings, and after the contract columns.
const COMMON_TAIL: [&str; 4] = ["app_pools", "verdicts", "example_file", "example_evidence"];

/// Columns of `requests` (the contract; more may follow).
pub const REQUESTS_HEADER: [&str; 25] = [
    "file",
    "server",
    "site_id",
    "app_pool",
    "process_id",
    "start_time",
    "url",
    "verb",
    "status",
    "trigger_status",
    "failure_reason",
    "module",
    "notification",
    "error_code",
    "error_name",
    "time_taken_ms",
    "verdict",
    "evidence",
    "rule",
    "confidence",
    "partial",
    "truncated",
    "linked_file",
    "arr_log_id",
    "user_agent",
];

fn to_io(err: csv::Error) -> io::Error {
    match err.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

impl Reporter for CsvReporter {
    fn scan(&self, report: &ScanReport<'_>, out: &mut dyn Write) -> io::Result<()> {
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record(header(report.by)).map_err(to_io)?;
        for group in report.groups {
            writer.write_record(summary_record(group)).map_err(to_io)?;
        }
        writer.flush()
    }

    fn requests(&self, report: &RequestsReport<'_>, out: &mut dyn Write) -> io::Result<()> {
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record(REQUESTS_HEADER).map_err(to_io)?;
        for row in report.rows {
            let record: Vec<String> = vec![
                csv_cell(&row.file).into_owned(),
                csv_cell(&row.server).into_owned(),
                csv_cell(&row.site_id).into_owned(),
                csv_cell(&row.app_pool).into_owned(),
                row.process_id.to_string(),
                row.start_time.clone(),
                csv_cell(&row.url).into_owned(),
                csv_cell(&row.verb).into_owned(),
                row.status.clone().unwrap_or_default(),
                row.trigger_status.clone().unwrap_or_default(),
                csv_cell(&row.failure_reason).into_owned(),
                csv_cell(&row.module).into_owned(),
                csv_cell(&row.notification).into_owned(),
                row.error_code.clone(),
                row.error_name.clone(),
                row.time_taken_ms
                    .map(|ms| ms.to_string())
                    .unwrap_or_default(),
                row.verdict.clone(),
                csv_cell(&row.evidence).into_owned(),
                row.rule.clone(),
                row.confidence.clone(),
                row.partial.to_string(),
                row.truncated.to_string(),
                csv_cell(&row.linked_file).into_owned(),
                csv_cell(&row.arr_log_id).into_owned(),
                csv_cell(&row.user_agent).into_owned(),
            ];
            writer.write_record(&record).map_err(to_io)?;
        }
        writer.flush()
    }
}

fn header(by: GroupBy) -> Vec<&'static str> {
    let key: &[&str] = match by {
        GroupBy::Error => return SUMMARY_HEADER.iter().chain(&COMMON_TAIL).copied().collect(),
        GroupBy::Server => &["server"],
        GroupBy::AppPool => &["app_pool"],
        GroupBy::Url => &["url"],
        GroupBy::Hour => &["hour"],
    };
    // The contract's columns after its key: `count` to `top_url`.
    let metrics = &SUMMARY_HEADER[5..];
    key.iter()
        .chain(metrics)
        .chain(&COMMON_TAIL)
        .copied()
        .collect()
}

fn summary_record(group: &Group) -> Vec<String> {
    let mut record: Vec<String> = match &group.key {
        GroupKey::Error {
            status,
            module,
            error_code,
            verdict,
        } => vec![
            status.to_string(),
            csv_cell(module).into_owned(),
            error_code.map(|c| c.to_string()).unwrap_or_default(),
            error_code
                .and_then(codes::error_name)
                .unwrap_or_default()
                .to_owned(),
            verdict.to_string(),
        ],
        GroupKey::Server { server } => vec![csv_cell(server).into_owned()],
        GroupKey::AppPool { app_pool } => vec![csv_cell(app_pool).into_owned()],
        GroupKey::Url { url } => vec![csv_cell(url).into_owned()],
        GroupKey::Hour { hour } => vec![rfc3339(*hour)],
    };
    record.extend([
        group.count.to_string(),
        csv_cell(&group.servers.join(" ")).into_owned(),
        group.first_seen.map(rfc3339).unwrap_or_default(),
        group.last_seen.map(rfc3339).unwrap_or_default(),
        group.time_taken_p50_ms.to_string(),
        group.time_taken_p95_ms.to_string(),
        csv_cell(&group.top_url).into_owned(),
        csv_cell(&group.app_pools.join(" ")).into_owned(),
        verdict_list(group),
        csv_cell(&group.example_file).into_owned(),
        csv_cell(&group.example_evidence).into_owned(),
    ]);
    record
}

/// `startup:3 proxy:1`, in the fixed verdict order.
fn verdict_list(group: &Group) -> String {
    let mut parts = Vec::new();
    for verdict in Verdict::FAILURES.iter().chain([&Verdict::NotApplicable]) {
        if let Some(n) = group.verdicts.get(verdict) {
            parts.push(format!("{verdict}:{n}"));
        }
    }
    parts.join(" ")
}
