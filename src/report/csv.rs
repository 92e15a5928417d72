//! CSV output: the `requests` rows and the `scan` summary rows, header and records read from
//! one serde definition of each row. Every string cell gets a formula guard (a leading `'`
//! before `=`, `+`, `-`, `@`, tab or CR, as OWASP advises), so a URL cannot become a
//! spreadsheet formula.
//!
//! `--excel` writes the same columns for Excel's CSV import, which reads cells by their looks:
//! a UTF-8 byte-order mark (without it Excel reads the file in the machine's ANSI code page),
//! times as `yyyy-mm-dd hh:mm:ss` in UTC (RFC 3339 with `T`, milliseconds and `Z` stays text),
//! and statuses behind an invisible word joiner (U+2060), so that `404.10` is not read as the
//! number 404.1 nor `500.100` as 500.1. The word joiner is not a formula and needs no guard,
//! unlike the usual `="404.10"` trick, which would put a formula in every row; the formula
//! guard of every other cell stays as it is.

use std::collections::BTreeMap;
use std::io::{self, Write};

use chrono::{DateTime, Utc};
use serde::{Serialize, Serializer};

use super::cells::{self, Cells, VERBATIM};
use super::{Reporter, RequestRow, RequestsReport, ScanReport, ser};
use crate::aggregate::{Group, GroupBy, GroupKey};
use crate::codes;
use crate::model::{Diagnosis, ErrorCode, Status, Trace, Verdict};

/// Writes CSV.
#[derive(Debug, Default, Clone, Copy)]
pub struct CsvReporter {
    /// For Excel: byte-order mark, Excel dates, statuses as text (`--excel`).
    pub excel: bool,
}

impl Reporter for CsvReporter {
    fn scan(&self, report: &ScanReport<'_>, out: &mut dyn Write) -> io::Result<()> {
        let rows = report.groups.iter().map(SummaryRow::new);
        write_rows(out, self.excel, SummaryRow::placeholder(report.by), rows)
    }

    fn requests(&self, report: &RequestsReport<'_>, out: &mut dyn Write) -> io::Result<()> {
        let (trace, diagnosis) = (Trace::default(), Diagnosis::not_applicable());
        let placeholder = RequestRow::new(&trace, &diagnosis);
        write_rows(out, self.excel, placeholder, report.rows.iter())
    }
}

/// Writes the header, named by the fields of `placeholder` (so that a report with no rows
/// still has one), then a record per row.
fn write_rows<T: Serialize, R: std::borrow::Borrow<T>>(
    out: &mut dyn Write,
    excel: bool,
    placeholder: T,
    rows: impl Iterator<Item = R>,
) -> io::Result<()> {
    if excel {
        out.write_all(excel::BOM.as_bytes())?;
    }
    let mut writer = crate::sanitize::csv_writer(out);
    let header = cells_of(&placeholder)?.names;
    writer.write_record(&header).map_err(to_io)?;
    for row in rows {
        let Cells { names, mut values } = cells_of(row.borrow())?;
        debug_assert_eq!(names, header, "every row has the header's columns");
        if excel {
            excel::adapt(&names, &mut values);
        }
        writer.write_record(&values).map_err(to_io)?;
    }
    writer.flush()
}

/// The cells Excel would misread, in the forms it reads right.
mod excel {
    use chrono::{DateTime, Utc};

    /// The UTF-8 byte-order mark Excel looks for.
    pub(super) const BOM: &str = "\u{feff}";
    /// Written before a status: invisible, not a digit, not white space, not a formula.
    const TEXT_MARK: char = '\u{2060}';
    /// The columns that hold a time (RFC 3339) in the `requests` and `scan` CSVs.
    const TIMES: [&str; 4] = ["start_time", "first_seen", "last_seen", "hour"];
    /// The columns that hold a status (`404.10`).
    const STATUSES: [&str; 2] = ["status", "trigger_status"];

    pub(super) fn adapt(names: &[&str], values: &mut [String]) {
        for (name, value) in names.iter().zip(values.iter_mut()) {
            if value.is_empty() {
                continue;
            }
            if TIMES.contains(name) {
                *value = excel_time(value);
            } else if STATUSES.contains(name)
                && value.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            {
                value.insert(0, TEXT_MARK);
            }
        }
    }

    /// `2025-03-11T13:10:02.123Z` -> `2025-03-11 13:10:02`: the form Excel reads as a date
    /// and time in every locale. A cell that is not a time is left as it is.
    pub(super) fn excel_time(value: &str) -> String {
        DateTime::parse_from_rfc3339(value).map_or_else(
            |_| value.to_owned(),
            |t| {
                t.with_timezone(&Utc)
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string()
            },
        )
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn times_become_excel_dates_and_statuses_stay_text() {
            let names = ["status", "start_time", "url", "trigger_status", "hour"];
            let mut values: Vec<String> = [
                "404.10",
                "2025-03-11T13:10:02.123Z",
                "'=HYPERLINK(1)",
                "",
                "not a time",
            ]
            .map(String::from)
            .to_vec();
            adapt(&names, &mut values);
            assert_eq!(values[0], "\u{2060}404.10");
            assert_eq!(values[1], "2025-03-11 13:10:02");
            assert_eq!(values[2], "'=HYPERLINK(1)", "the formula guard is kept");
            assert_eq!(values[3], "");
            assert_eq!(values[4], "not a time");
        }
    }
}

fn cells_of<T: Serialize>(row: &T) -> io::Result<Cells> {
    cells::cells(row).map_err(io::Error::other)
}

fn to_io(err: csv::Error) -> io::Error {
    match err.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// One group of the `scan` summary as CSV writes it: the key columns of its grouping, then
/// the same metric columns for every grouping (the contract in the README).
#[derive(Debug, Serialize)]
struct SummaryRow<'a> {
    key: KeyColumns<'a>,
    count: usize,
    #[serde(serialize_with = "ser::spaced")]
    servers: &'a [String],
    #[serde(serialize_with = "ser::time_or_empty")]
    first_seen: Option<DateTime<Utc>>,
    #[serde(serialize_with = "ser::time_or_empty")]
    last_seen: Option<DateTime<Utc>>,
    time_taken_p50_ms: Option<u64>,
    time_taken_p95_ms: Option<u64>,
    top_url: &'a str,
    #[serde(serialize_with = "ser::spaced")]
    app_pools: &'a [String],
    verdicts: VerdictTally<'a>,
    example_file: &'a str,
    example_evidence: &'a str,
}

/// The columns that say what a group is a group of; untagged, so that each variant's fields
/// are the columns.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum KeyColumns<'a> {
    Error {
        status: Status,
        module: &'a str,
        #[serde(serialize_with = "ser::or_empty")]
        error_code: Option<ErrorCode>,
        #[serde(serialize_with = "ser::or_empty")]
        error_name: Option<&'static str>,
        verdict: Verdict,
    },
    Server {
        server: &'a str,
    },
    AppPool {
        app_pool: &'a str,
    },
    Url {
        url: &'a str,
    },
    Hour {
        #[serde(serialize_with = "ser::time")]
        hour: DateTime<Utc>,
    },
}

impl<'a> SummaryRow<'a> {
    fn new(group: &'a Group) -> SummaryRow<'a> {
        let key = match &group.key {
            GroupKey::Error {
                status,
                module,
                error_code,
                verdict,
            } => KeyColumns::Error {
                status: *status,
                module,
                error_code: *error_code,
                error_name: error_code.and_then(codes::error_name),
                verdict: *verdict,
            },
            GroupKey::Server { server } => KeyColumns::Server { server },
            GroupKey::AppPool { app_pool } => KeyColumns::AppPool { app_pool },
            GroupKey::Url { url } => KeyColumns::Url { url },
            GroupKey::Hour { hour } => KeyColumns::Hour { hour: *hour },
        };
        SummaryRow {
            key,
            count: group.count,
            servers: &group.servers,
            first_seen: group.first_seen,
            last_seen: group.last_seen,
            time_taken_p50_ms: group.time_taken_p50_ms,
            time_taken_p95_ms: group.time_taken_p95_ms,
            top_url: &group.top_url,
            app_pools: &group.app_pools,
            verdicts: VerdictTally(&group.verdicts),
            example_file: &group.example_file,
            example_evidence: &group.example_evidence,
        }
    }

    /// A row of this grouping, for its column names.
    fn placeholder(by: GroupBy) -> SummaryRow<'static> {
        static NO_VERDICTS: BTreeMap<Verdict, usize> = BTreeMap::new();
        let key = match by {
            GroupBy::Error => KeyColumns::Error {
                status: Status::default(),
                module: "",
                error_code: None,
                error_name: None,
                verdict: Verdict::NotApplicable,
            },
            GroupBy::Server => KeyColumns::Server { server: "" },
            GroupBy::AppPool => KeyColumns::AppPool { app_pool: "" },
            GroupBy::Url => KeyColumns::Url { url: "" },
            GroupBy::Hour => KeyColumns::Hour {
                hour: DateTime::UNIX_EPOCH,
            },
        };
        SummaryRow {
            key,
            count: 0,
            servers: &[],
            first_seen: None,
            last_seen: None,
            time_taken_p50_ms: None,
            time_taken_p95_ms: None,
            top_url: "",
            app_pools: &[],
            verdicts: VerdictTally(&NO_VERDICTS),
            example_file: "",
            example_evidence: "",
        }
    }
}

/// `startup:3 proxy:1 -:2`, in the fixed verdict order: frebscope's own words, written
/// without the formula guard.
#[derive(Debug)]
struct VerdictTally<'a>(&'a BTreeMap<Verdict, usize>);

impl Serialize for VerdictTally<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let parts: Vec<String> = Verdict::FAILURES
            .iter()
            .chain([&Verdict::NotApplicable])
            .filter_map(|v| self.0.get(v).map(|n| format!("{v}:{n}")))
            .collect();
        s.serialize_newtype_struct(VERBATIM, &parts.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(by: GroupBy) -> String {
        cells::cells(&SummaryRow::placeholder(by))
            .unwrap()
            .names
            .join(",")
    }

    #[test]
    fn summary_headers_follow_the_contract() {
        let tail = "count,servers,first_seen,last_seen,time_taken_p50_ms,time_taken_p95_ms,\
                    top_url,app_pools,verdicts,example_file,example_evidence";
        assert_eq!(
            header(GroupBy::Error),
            format!("status,module,error_code,error_name,verdict,{tail}")
        );
        assert_eq!(header(GroupBy::Server), format!("server,{tail}"));
        assert_eq!(header(GroupBy::AppPool), format!("app_pool,{tail}"));
        assert_eq!(header(GroupBy::Url), format!("url,{tail}"));
        assert_eq!(header(GroupBy::Hour), format!("hour,{tail}"));
    }

    #[test]
    fn requests_csv_columns_are_the_json_keys() {
        let (trace, diagnosis) = (Trace::default(), Diagnosis::not_applicable());
        let row = RequestRow::new(&trace, &diagnosis);
        let names = cells::cells(&row).unwrap().names;
        let json = serde_json::to_value(&row).unwrap();
        // serde_json sorts its keys, or keeps their order when a dependency turns on its
        // `preserve_order` feature (the evtx crate does): compare them as sets.
        let mut keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(keys, sorted, "the JSON object has the CSV's columns");
        assert_eq!(
            names.join(","),
            "file,server,site_id,app_pool,process_id,start_time,url,verb,status,trigger_status,\
             failure_reason,module,notification,error_code,error_name,time_taken_ms,verdict,\
             evidence,rule,confidence,partial,truncated,linked_file,arr_log_id,user_agent"
        );
    }
}
