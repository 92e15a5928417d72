//! The events of a trace: first the errors and warnings, then every event on one line.
//!
//! "Errors and warnings" is freb.xsl's list of Level 1–3 events, with each event's data spelled
//! out (error codes decoded, stderr and config errors shown line by line) because that is where
//! the cause is written. The timeline is freb.xsl's compact view: number, offset from the
//! first event, name and data on one line, `ContextId` hidden. Verbose (Level 5) events are
//! most of a trace and rarely the point, so they are hidden unless `--all`.

use std::io;

use chrono::{DateTime, Utc};

use crate::model::Status;
use crate::parse::event::EventRecord;
use crate::parse::full::Document;

use super::Out;
use super::perf::ms_between;
use super::style::Tone;
use super::text::{
    MAX_BLOCK_LINES, SHORT, block_lines, data_value, error_code, notification, one_line,
    status_with_meaning,
};

/// Data items never shown: the activity id repeated on every event.
const HIDDEN_DATA: [&str; 2] = ["ContextId", "Context ID"];

/// Writes the Level 1–3 events with all their data.
pub(super) fn write_errors(out: &mut Out<'_>, document: &Document) -> io::Result<()> {
    out.heading("Errors and warnings")?;
    let start = first_time(document);
    let mut any = false;
    for (index, event) in document.events.iter().enumerate() {
        let Some(severity) = severity(event.level) else {
            continue;
        };
        any = true;
        let tone = if event.level == Some(3) {
            Tone::Warn
        } else {
            Tone::Bad
        };
        let severity = out.paint(tone, severity);
        let name = out.paint(Tone::Strong, &one_line(&event.name, SHORT));
        let offset = offset(start, event);
        writeln!(
            out.w,
            "  #{:<4} {offset:>10}  {severity}  {name}",
            index + 1
        )?;
        write_error_details(out, event)?;
    }
    if !any {
        writeln!(out.w, "  (none)")?;
    }
    Ok(())
}

/// freb.xsl's severity names for the levels it lists as errors and warnings.
fn severity(level: Option<u8>) -> Option<&'static str> {
    match level? {
        1 => Some("Critical"),
        2 => Some("Error"),
        3 => Some("Warning"),
        _ => None,
    }
}

fn write_error_details(out: &mut Out<'_>, event: &EventRecord) -> io::Result<()> {
    if let Some(module) = event.data("ModuleName") {
        let module = out.paint(Tone::Strong, &one_line(module, SHORT));
        detail(out, "module", &module)?;
    }
    if let Some(notification) = notification(event) {
        detail(out, "notification", &notification)?;
    }
    if let Some(status) = http_status(event) {
        let module = event.data("ModuleName").unwrap_or_default();
        detail(out, "status", &status_with_meaning(status, module))?;
    }
    for (name, value) in &event.data {
        if is_shown_elsewhere(name) || value.trim().is_empty() {
            continue;
        }
        if name == "ErrorCode" {
            detail(
                out,
                "error code",
                &error_code(value, event.description(name)),
            )?;
            continue;
        }
        let label = label_for(&event.name, name);
        detail_block(out, &label, value)?;
    }
    Ok(())
}

/// Data the compact view leaves out because another part of the page already shows it.
pub(crate) fn is_shown_elsewhere(name: &str) -> bool {
    HIDDEN_DATA.contains(&name)
        || matches!(
            name,
            "ModuleName" | "Notification" | "HttpStatus" | "HttpSubStatus" | "HttpReason"
        )
}

/// Plain words for the data names that carry the cause.
fn label_for(event: &str, data: &str) -> String {
    match (event, data) {
        (_, "ErrorDescription") => "description".into(),
        (_, "ConfigExceptionInfo") => "config error".into(),
        ("MODULE_WARNING", "Data1") => "warning".into(),
        ("MODULE_WARNING", "Data2") => "detail".into(),
        // A data name is the trace's text like any other.
        _ => one_line(data, SHORT),
    }
}

/// `HttpStatus` and `HttpSubStatus` of an event, when it has a status.
fn http_status(event: &EventRecord) -> Option<Status> {
    let code = event.data("HttpStatus")?.trim().parse().ok()?;
    let sub = event
        .data("HttpSubStatus")
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    Some(Status::new(code, sub))
}

fn detail(out: &mut Out<'_>, label: &str, value: &str) -> io::Result<()> {
    let label = out.paint(Tone::Dim, &format!("{label:<13}"));
    writeln!(out.w, "         {label}{value}")
}

/// A value that may span lines (stderr, a config error): first line next to the label, the
/// rest under it, at most [`MAX_BLOCK_LINES`] unless `--all`.
fn detail_block(out: &mut Out<'_>, label: &str, value: &str) -> io::Result<()> {
    let lines = block_lines(value);
    let limit = if out.options.all {
        usize::MAX
    } else {
        MAX_BLOCK_LINES
    };
    let mut iter = lines.iter();
    let first = iter.next().map(String::as_str).unwrap_or_default();
    detail(out, label, first)?;
    for line in iter.by_ref().take(limit.saturating_sub(1)) {
        writeln!(out.w, "         {:<13}{line}", "")?;
    }
    let rest = lines.len().saturating_sub(limit);
    if rest > 0 {
        let note = out.paint(
            Tone::Dim,
            &format!("… {rest} more lines (--all shows them)"),
        );
        writeln!(out.w, "         {:<13}{note}", "")?;
    }
    Ok(())
}

/// Writes every event on one line, Level 5 only with `--all`.
pub(super) fn write_timeline(out: &mut Out<'_>, document: &Document) -> io::Result<()> {
    out.heading("Timeline")?;
    let start = first_time(document);
    let mut hidden = 0usize;
    for (index, event) in document.events.iter().enumerate() {
        if event.level == Some(5) && !out.options.all {
            hidden += 1;
            continue;
        }
        let offset = offset(start, event);
        let tone = match event.level {
            Some(1 | 2) => Tone::Bad,
            Some(3) => Tone::Warn,
            Some(5) => Tone::Dim,
            _ => Tone::Strong,
        };
        let name = out.paint(tone, &one_line(&event.name, SHORT));
        let data = compact_data(event);
        let line = format!("  {:>5}  {offset:>10}  {name}", index + 1);
        if data.is_empty() {
            writeln!(out.w, "{line}")?;
        } else {
            writeln!(out.w, "{line}  {data}")?;
        }
    }
    if hidden > 0 {
        let note = format!("{hidden} verbose events hidden (--all shows them)");
        let note = out.paint(Tone::Dim, &note);
        writeln!(out.w, "  {note}")?;
    }
    Ok(())
}

/// The data of an event as freb.xsl's compact view lists it, on one line.
pub(crate) fn compact_data(event: &EventRecord) -> String {
    event
        .data
        .iter()
        .filter(|(name, _)| !HIDDEN_DATA.contains(&name.as_str()))
        .map(|(name, raw)| {
            format!(
                "{}=\"{}\"",
                one_line(name, SHORT),
                data_value(event, name, raw, 60)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The time of the first event that has one: the request's start as the trace saw it.
pub(super) fn first_time(document: &Document) -> Option<DateTime<Utc>> {
    document.events.iter().find_map(|e| e.time)
}

/// `+8063 ms` from the first event, or `?` when a time is missing.
fn offset(start: Option<DateTime<Utc>>, event: &EventRecord) -> String {
    match ms_between(start, event.time) {
        Some(ms) => format!("+{ms} ms"),
        None => "?".to_owned(),
    }
}
