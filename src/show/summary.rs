//! The top of `show`: what the request was, how it ended, and what `scan` concludes.
//!
//! Mirrors freb.xsl's "Request Summary" (site, process, failure reason, trigger and final
//! status, time taken, URL, app pool, authentication, user, activity id), with the statuses
//! spelled out and the two ways a file can be incomplete said in words.

use std::io;

use crate::model::{Diagnosis, Status, Trace, Verdict};
use crate::parse::full::Document;
use crate::report::clock::Zone;

use super::Out;
use super::style::Tone;
use super::text::{LONG, SHORT, one_line, status_with_meaning};

/// Writes the request summary.
pub(super) fn write(
    out: &mut Out<'_>,
    document: &Document,
    trace: &Trace,
    zone: Zone,
) -> io::Result<()> {
    out.heading("Request")?;
    let module = trace.module();
    field(out, "url", &one_line(&trace.url, LONG))?;
    field(out, "verb", &one_line(&trace.verb, SHORT))?;
    field(out, "server", &one_line(&trace.server, SHORT))?;
    field(out, "site", &one_line(&trace.site_id, SHORT))?;
    field(out, "app pool", &one_line(&trace.app_pool, SHORT))?;
    field(out, "process", &process(document))?;
    field(out, "user", &user(trace))?;
    field(out, "auth", &one_line(&trace.auth_type, SHORT))?;
    field(out, "activity", &one_line(&trace.activity_id, SHORT))?;
    field(out, "reason", &one_line(&trace.failure_reason, SHORT))?;
    let trigger = status_with_meaning(trace.trigger_status, module);
    let trigger = match document.root_attribute("triggerStatusCode") {
        Some(raw) if Status::parse(raw).is_none() => one_line(raw, SHORT),
        _ if trace.trigger_status == Status::default() => "0 (none: not a status rule)".into(),
        _ => trigger,
    };
    field(out, "trigger", &trigger)?;
    let status = status_with_meaning(trace.status, module);
    let tone = status_tone(trace.status);
    let status = out.paint(tone, &status);
    field(out, "status", &status)?;
    let taken = match (trace.time_taken_ms, document.root_attribute("timeTaken")) {
        (Some(ms), _) => format!("{ms} ms"),
        (None, Some(raw)) => format!("unparseable: {}", one_line(raw, SHORT)),
        (None, None) => "(not in the trace)".into(),
    };
    field(out, "time taken", &taken)?;
    if let Some(start) = trace.start_time {
        field(
            out,
            "started",
            &match zone {
                Zone::Utc => start.format("%Y-%m-%d %H:%M:%S%.3f UTC").to_string(),
                Zone::Local => zone.format(start, "%Y-%m-%d %H:%M:%S%.3f (local, UTC%:z)"),
            },
        )?;
    } else if let Some(raw) = trace.unparsed_start() {
        field(
            out,
            "started",
            &format!("unparseable: {}", one_line(raw, SHORT)),
        )?;
    }
    completeness(out, document, trace)
}

/// Writes the verdict block.
pub(super) fn write_verdict(out: &mut Out<'_>, diagnosis: &Diagnosis) -> io::Result<()> {
    out.heading("Verdict")?;
    let tone = match diagnosis.verdict {
        Verdict::NotApplicable => Tone::Dim,
        Verdict::Unknown => Tone::Warn,
        _ => Tone::Bad,
    };
    let verdict = match diagnosis.verdict {
        Verdict::NotApplicable => "- (below 500: no verdict)".to_owned(),
        v => v.to_string(),
    };
    let verdict = out.paint(tone, &verdict);
    field(out, "verdict", &verdict)?;
    if !diagnosis.rule.is_empty() {
        field(out, "rule", diagnosis.rule)?;
    }
    if diagnosis.verdict != Verdict::NotApplicable {
        field(out, "confidence", diagnosis.confidence.as_str())?;
    }
    if !diagnosis.evidence.trim().is_empty() {
        wrapped_field(out, "evidence", &one_line(&diagnosis.evidence, 400))?;
    }
    if let Some(linked) = &diagnosis.linked_file {
        field(
            out,
            "linked",
            &one_line(&linked.display().to_string(), LONG),
        )?;
    }
    Ok(())
}

fn field(out: &mut Out<'_>, label: &str, value: &str) -> io::Result<()> {
    if value.is_empty() {
        return Ok(());
    }
    let label = out.paint(Tone::Dim, &format!("{label:<11}"));
    writeln!(out.w, "  {label}{value}")
}

/// A field whose value is prose: wrapped to the page at spaces, continued under the value.
fn wrapped_field(out: &mut Out<'_>, label: &str, value: &str) -> io::Result<()> {
    const VALUE_COLUMN: usize = 2 + 11;
    let lines = crate::report::layout::wrap(value, out.width.saturating_sub(VALUE_COLUMN), "");
    let mut lines = lines.iter();
    if let Some(first) = lines.next() {
        field(out, label, first)?;
    }
    for line in lines {
        writeln!(out.w, "{:VALUE_COLUMN$}{line}", "")?;
    }
    Ok(())
}

/// The colour of a status: red from 500, yellow for other errors.
pub(super) fn status_tone(status: Status) -> Tone {
    match status.code {
        500.. => Tone::Bad,
        400..=499 => Tone::Warn,
        _ => Tone::Good,
    }
}

/// The process id as written (the model keeps `0` for garbage, which would be misleading).
fn process(document: &Document) -> String {
    one_line(
        document.root_attribute("processId").unwrap_or_default(),
        SHORT,
    )
}

/// `remoteUserName`, `userName` and `tokenUserName`, the non-empty ones, labelled.
fn user(trace: &Trace) -> String {
    let parts: Vec<String> = [
        ("remote", &trace.remote_user),
        ("user", &trace.user_name),
        ("token", &trace.token_user),
    ]
    .iter()
    .filter(|(_, value)| !value.trim().is_empty())
    .map(|(label, value)| format!("{} ({label})", one_line(value, SHORT)))
    .collect();
    if parts.is_empty() {
        "(none)".to_owned()
    } else {
        parts.join(", ")
    }
}

/// Says when the trace does not cover the whole request.
fn completeness(out: &mut Out<'_>, document: &Document, trace: &Trace) -> io::Result<()> {
    if trace.truncated {
        let note = out.paint(
            Tone::Warn,
            "truncated by IIS at maxLogFileSizeKB (LOG_FILE_MAX_SIZE_TRUNCATE): later events are missing",
        );
        field(out, "trace", &note)?;
    }
    if !document.complete {
        let last = match document.events.last() {
            Some(event) => format!(
                "the file ends after event {} ({})",
                document.events.len(),
                one_line(&event.name, SHORT)
            ),
            None => "the file ends before the first event".to_owned(),
        };
        let why = document
            .stopped
            .as_deref()
            .map(|s| format!("; {}", one_line(s, LONG)))
            .unwrap_or_default();
        let note = out.paint(Tone::Warn, &format!("partial: {last}{why}"));
        field(out, "trace", &note)?;
    }
    Ok(())
}
