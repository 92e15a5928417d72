//! `Get-WinEvent ... | Export-Csv`: Windows PowerShell 5.1 (a `#TYPE` first line, every value
//! quoted) and PowerShell 7 (no `#TYPE`), with `,` or, from `-UseCulture`, `;`.
//!
//! The CSV keeps no `EventData` (`Properties` is a type name), so pool and PID come from the
//! English `Message` ([`super::kinds`]); `TimeCreated` is a local time without a zone
//! ([`super::local_time`]), so the reader needs `--events-utc-offset` unless the value
//! carries its zone.

use std::io::{BufRead, Read};
use std::path::Path;

use super::capped::{self, Budget};
use super::local_time::{self, Written};
use super::raw::RawEvent;
use super::{EventSkipReason, FileEvents, ReadOptions, kinds};

/// Reads a PowerShell CSV export.
pub fn read<R: Read + 'static>(file: R, path: &Path, options: &ReadOptions) -> FileEvents {
    match capped::text_reader(file) {
        Ok((reader, budget)) => read_rows(reader, &budget, path, options),
        Err(err) => problem(EventSkipReason::Unreadable, err.to_string()),
    }
}

fn problem(reason: EventSkipReason, detail: String) -> FileEvents {
    FileEvents {
        problem: Some((reason, detail)),
        ..FileEvents::default()
    }
}

/// Where the columns the classification needs are.
struct Columns {
    id: usize,
    provider: usize,
    machine: Option<usize>,
    time: usize,
    message: Option<usize>,
    record: Option<usize>,
    log: Option<usize>,
}

impl Columns {
    fn find(header: &csv::StringRecord) -> Result<Columns, String> {
        let at = |name: &str| {
            header
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(name))
        };
        if at("Date and Time").is_some() && at("Event ID").is_some() {
            return Err(
                "an Event Viewer CSV keeps no computer name nor pool: export with \
                        Get-WinEvent ... | Export-Csv, or save as .evtx"
                    .into(),
            );
        }
        let need = |name: &str| {
            at(name).ok_or_else(|| {
                format!("no {name} column: expected the columns of Get-WinEvent | Export-Csv")
            })
        };
        Ok(Columns {
            id: need("Id")?,
            provider: need("ProviderName")?,
            machine: at("MachineName"),
            time: need("TimeCreated")?,
            message: at("Message"),
            record: at("RecordId"),
            log: at("LogName"),
        })
    }
}

fn read_rows<R: BufRead>(
    mut reader: R,
    budget: &Budget,
    path: &Path,
    options: &ReadOptions,
) -> FileEvents {
    let mut header_line = String::new();
    loop {
        header_line.clear();
        match reader.read_line(&mut header_line) {
            Ok(0) => return FileEvents::default(),
            Ok(_) if header_line.starts_with("#TYPE") || header_line.trim().is_empty() => {}
            Ok(_) => break,
            Err(err) => return problem(EventSkipReason::Unreadable, err.to_string()),
        }
    }
    let delimiter = if header_line.matches("\";\"").count() > header_line.matches("\",\"").count()
        || (!header_line.contains(',') && header_line.contains(';'))
    {
        b';'
    } else {
        b','
    };
    let builder = || {
        let mut b = csv::ReaderBuilder::new();
        b.has_headers(false).flexible(true).delimiter(delimiter);
        b
    };
    let header = builder()
        .from_reader(header_line.as_bytes())
        .records()
        .next()
        .and_then(Result::ok);
    let Some(header) = header else {
        return problem(EventSkipReason::NotEvents, "no header line".into());
    };
    let columns = match Columns::find(&header) {
        Ok(c) => c,
        Err(detail) => return problem(EventSkipReason::NotEvents, detail),
    };
    budget.reset();
    let mut file = FileEvents::default();
    let mut record = csv::StringRecord::new();
    let mut rows = builder().from_reader(reader);
    loop {
        match rows.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(err) => {
                file.problem = Some((
                    EventSkipReason::Malformed,
                    format!("{err}; the rows before it were kept"),
                ));
                break;
            }
        }
        budget.reset();
        file.records += 1;
        match row_event(&record, &columns, options) {
            Ok(Some(raw)) => {
                if let Some(event) = kinds::classify(&raw, path) {
                    file.events.push(event);
                }
            }
            Ok(None) => {}
            Err(detail) => {
                file.problem = Some((EventSkipReason::NeedsUtcOffset, detail));
                file.events.clear();
                break;
            }
        }
    }
    file
}

/// One row as a record; `Err` when its time is local and no offset was given.
fn row_event(
    row: &csv::StringRecord,
    columns: &Columns,
    options: &ReadOptions,
) -> Result<Option<RawEvent>, String> {
    let get = |i: Option<usize>| row.get(i?).map(str::trim).filter(|v| !v.is_empty());
    let Some(id) = get(Some(columns.id)).and_then(|v| v.parse().ok()) else {
        return Ok(None);
    };
    let provider = get(Some(columns.provider)).unwrap_or_default();
    // Only rows that may matter need their time; others are not worth failing a file for.
    if !kinds::may_matter(provider, id) {
        return Ok(None);
    }
    let time_text = get(Some(columns.time)).unwrap_or_default();
    let time = match local_time::parse(time_text) {
        Some(written) => match written.to_utc(options.utc_offset) {
            Some(t) => Some(t),
            None => return Err(needs_offset(time_text)),
        },
        None => None,
    };
    let mut message = get(columns.message).map(str::to_string);
    if let Some(m) = message.as_mut() {
        m.truncate(floor_char_boundary(m, capped::VALUE_LIMIT));
    }
    Ok(Some(RawEvent {
        provider: provider.to_string(),
        event_id: Some(id),
        time,
        precise_time: matches!(local_time::parse(time_text), Some(Written::Absolute(_)))
            && time_text.contains('.'),
        server: get(columns.machine).unwrap_or_default().to_string(),
        channel: get(columns.log).unwrap_or_default().to_string(),
        record_id: get(columns.record).and_then(|v| v.parse().ok()),
        message,
        ..RawEvent::default()
    }))
}

/// The message for a local time that no offset resolves.
pub fn needs_offset(time: &str) -> String {
    format!(
        "TimeCreated '{time}' is a local time without a zone; pass --events-utc-offset with \
         the UTC offset of the machine that exported it (e.g. --events-utc-offset +01:00)"
    )
}

fn floor_char_boundary(text: &str, limit: usize) -> usize {
    let mut cut = limit.min(text.len());
    while cut > 0 && !text.is_char_boundary(cut) {
        cut -= 1;
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::EventKind;
    use chrono::FixedOffset;

    const HEADER: &str = "\"Message\",\"Id\",\"Version\",\"Qualifiers\",\"Level\",\"Task\",\"Opcode\",\"Keywords\",\"RecordId\",\"ProviderName\",\"ProviderId\",\"LogName\",\"ProcessId\",\"ThreadId\",\"MachineName\",\"UserId\",\"TimeCreated\",\"ActivityId\",\"RelatedActivityId\",\"ContainerLog\",\"MatchedQueryIds\",\"Bookmark\",\"LevelDisplayName\",\"OpcodeDisplayName\",\"TaskDisplayName\",\"KeywordsDisplayNames\",\"Properties\"";

    fn row(message: &str, id: u32, record: u64, time: &str) -> String {
        format!(
            "\"{message}\",\"{id}\",\"0\",\"16384\",\"4\",\"0\",\"0\",\"36028797018963968\",\"{record}\",\"Microsoft-Windows-WAS\",\"524b5d04-133c-4a62-8362-64e8edb9ce40\",\"System\",\"0\",\"0\",\"WEB02.contoso.local\",,\"{time}\",,,\"System\",\"System.UInt32[]\",\"System.Diagnostics.Eventing.Reader.EventBookmark\",\"Information\",\"Info\",,\"System.Collections.ObjectModel.ReadOnlyCollection`1[System.String]\",\"System.Collections.Generic.List`1[System.Diagnostics.Eventing.Reader.EventProperty]\""
        )
    }

    const IDLE: &str = "A worker process with process id of '3904' serving application pool 'Orders' was shutdown due to inactivity. Application Pool timeout configuration was set to 20 minutes. A new worker process will be started when needed.";

    fn read_text(text: &str, offset: Option<&str>) -> FileEvents {
        let options = ReadOptions {
            utc_offset: offset.and_then(local_time::parse_offset),
        };
        read_rows(
            text.as_bytes(),
            &Budget::default(),
            Path::new("e.csv"),
            &options,
        )
    }

    #[test]
    fn windows_powershell_with_type_line() {
        let text = format!(
            "#TYPE System.Diagnostics.Eventing.Reader.EventLogRecord\r\n{HEADER}\r\n{}\r\n",
            row(IDLE, 5186, 7001, "3/11/2025 4:10:12 PM")
        );
        let read = read_text(&text, Some("+01:00"));
        assert!(read.problem.is_none(), "{:?}", read.problem);
        let e = &read.events[0];
        assert_eq!(e.kind, EventKind::IdleShutdown);
        assert_eq!((e.pid, e.pool.as_deref()), (Some(3904), Some("Orders")));
        assert_eq!(e.time.to_rfc3339(), "2025-03-11T15:10:12+00:00");
        assert!(!e.precise_time);
    }

    #[test]
    fn powershell_7_semicolons_and_multiline_messages() {
        let header = HEADER.replace("\",\"", "\";\"");
        let crash = "A process serving application pool 'Orders' terminated unexpectedly.\r\nThe process id was '8716'. The process exit code was '0xc0000005'.";
        let text = format!(
            "{header}\n{}\n",
            row(crash, 5009, 7002, "11.03.2025 17:00:01")
                .replace("\",\"", "\";\"")
                .replace(",,", ";;")
        );
        let read = read_text(&text, Some("+01:00"));
        assert!(read.problem.is_none(), "{:?}", read.problem);
        assert_eq!(read.events[0].kind, EventKind::Crash);
        assert_eq!(read.events[0].pid, Some(8716));
    }

    #[test]
    fn a_local_time_without_offset_is_refused_and_named() {
        let text = format!(
            "{HEADER}\n{}\n",
            row(IDLE, 5186, 7001, "3/11/2025 4:10:12 PM")
        );
        let read = read_text(&text, None);
        let (reason, detail) = read.problem.unwrap();
        assert_eq!(reason, EventSkipReason::NeedsUtcOffset);
        assert!(detail.contains("--events-utc-offset"), "{detail}");
        assert!(read.events.is_empty());
    }

    #[test]
    fn a_zone_in_the_value_needs_no_offset() {
        let text = format!(
            "{HEADER}\n{}\n",
            row(IDLE, 5186, 7001, "2025-03-11T16:10:12.5+01:00")
        );
        let read = read_text(&text, None);
        assert_eq!(
            read.events[0].time.to_rfc3339(),
            "2025-03-11T15:10:12.500+00:00"
        );
    }

    #[test]
    fn event_viewer_csv_and_other_files_are_not_events() {
        let read = read_text(
            "Level,Date and Time,Source,Event ID,Task Category\r\nInformation,9/29/2026 10:01:02 AM,Service Control Manager,7036,None\r\n",
            None,
        );
        assert_eq!(read.problem.unwrap().0, EventSkipReason::NotEvents);
        let read = read_text("\"a\",\"b\"\n\"1\",\"2\"\n", None);
        assert_eq!(read.problem.unwrap().0, EventSkipReason::NotEvents);
    }

    #[test]
    fn rows_of_other_providers_need_no_time() {
        let other = row("x", 7036, 1, "garbage")
            .replace("Microsoft-Windows-WAS", "Service Control Manager");
        let text = format!(
            "{HEADER}\n{other}\n{}\n",
            row(IDLE, 5186, 7001, "3/11/2025 4:10:12 PM")
        );
        let read = read_text(&text, Some("+00:00"));
        assert_eq!((read.records, read.events.len()), (2, 1));
        let _ = FixedOffset::east_opt(0);
    }
}
