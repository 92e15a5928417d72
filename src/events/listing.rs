//! `frebscope events`: what was read from the event logs, as a table, CSV or JSON.

use std::io::{self, Write};

use chrono::SecondsFormat;
use serde::Serialize;

use super::{EventLog, ServerEvent};
use crate::sanitize::{csv_cell, terminal};

/// The CSV columns, in order (new ones only ever at the end).
pub const CSV_HEADER: [&str; 14] = [
    "time",
    "server",
    "provider",
    "event_id",
    "kind",
    "pool",
    "pid",
    "reason",
    "error_code",
    "app_pid",
    "site_id",
    "record_id",
    "channel",
    "source",
];

/// A table that fits `width` columns: one line per event, then the counts.
pub fn table(log: &EventLog, width: usize, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "{:<19}  {:<8} {:<22} {:<16} {:<10} {:>6}  reason",
        "time (UTC)", "server", "event", "kind", "pool", "pid"
    )?;
    for e in &log.events {
        let line = format!(
            "{:<19}  {:<8} {:<22} {:<16} {:<10} {:>6}  {}",
            e.time.format("%Y-%m-%d %H:%M:%S"),
            clip(super::short_server(&e.server), 8),
            clip(&e.label(), 22),
            e.kind.as_str(),
            clip(e.pool.as_deref().unwrap_or("-"), 10),
            e.pid.map_or_else(|| "-".to_string(), |p| p.to_string()),
            e.reason.as_deref().unwrap_or(""),
        );
        writeln!(out, "{}", clip(&terminal(&line), width))?;
    }
    writeln!(out)?;
    writeln!(out, "{}", summary(log))
}

/// `12 events kept from 340 records in 3 files (1 duplicate)`.
pub fn summary(log: &EventLog) -> String {
    let plural = |n: u64, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut text = format!(
        "{} kept from {} in {}",
        plural(log.events.len() as u64, "event"),
        plural(log.records, "record"),
        plural(log.files as u64, "file"),
    );
    if log.duplicates > 0 {
        let copies = if log.duplicates == 1 {
            "copy"
        } else {
            "copies"
        };
        text.push_str(&format!(
            " ({} {copies} already read from another export)",
            log.duplicates
        ));
    }
    if !log.problems.is_empty() {
        text.push_str(&format!(
            "; {} not wholly read",
            plural(log.problems.len() as u64, "file")
        ));
    }
    text
}

fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// One CSV row per event; cells from the logs are neutralised for spreadsheets.
pub fn csv(log: &EventLog, out: &mut dyn Write) -> io::Result<()> {
    let mut writer = ::csv::Writer::from_writer(out);
    writer.write_record(CSV_HEADER)?;
    for e in &log.events {
        writer.write_record(row(e))?;
    }
    writer.flush()
}

fn row(e: &ServerEvent) -> Vec<String> {
    let opt = |v: Option<String>| v.unwrap_or_default();
    vec![
        e.time.to_rfc3339_opts(SecondsFormat::Millis, true),
        csv_cell(&e.server).into_owned(),
        csv_cell(&e.provider).into_owned(),
        e.event_id.to_string(),
        e.kind.as_str().to_string(),
        csv_cell(e.pool.as_deref().unwrap_or("")).into_owned(),
        opt(e.pid.map(|p| p.to_string())),
        csv_cell(e.reason.as_deref().unwrap_or("")).into_owned(),
        opt(e.error_code.map(|c| c.to_string())),
        opt(e.app_pid.map(|p| p.to_string())),
        csv_cell(e.site_id.as_deref().unwrap_or("")).into_owned(),
        opt(e.record_id.map(|r| r.to_string())),
        csv_cell(e.channel.as_deref().unwrap_or("")).into_owned(),
        csv_cell(&e.source.display().to_string()).into_owned(),
    ]
}

/// The whole log as one JSON document: events, counts and problems.
pub fn json(log: &EventLog, out: &mut dyn Write) -> io::Result<()> {
    #[derive(Serialize)]
    struct Document<'a> {
        events: &'a [ServerEvent],
        files: usize,
        records: u64,
        duplicates: u64,
        problems: &'a [super::EventFileError],
    }
    let document = Document {
        events: &log.events,
        files: log.files,
        records: log.records,
        duplicates: log.duplicates,
        problems: &log.problems,
    };
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}
