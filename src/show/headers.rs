//! Request and response headers, as IIS logged them.
//!
//! `GENERAL_REQUEST_HEADERS` and `GENERAL_RESPONSE_HEADERS` hold the whole block as one CRLF
//! separated value; `GENERAL_SET_RESPONSE_HEADER` records each header a module set on the way,
//! which is how a response that never reached `GENERAL_RESPONSE_HEADERS` (a truncated trace, an
//! aborted request) still shows what was being sent. Child requests log their own blocks, so
//! every block is listed with its event number.

use std::io;

use crate::parse::full::Document;

use super::Out;
use super::style::Tone;
use super::text::{LONG, SHORT, block_lines, one_line};

/// Writes the request and response headers.
pub(super) fn write(out: &mut Out<'_>, document: &Document) -> io::Result<()> {
    out.heading("Request headers")?;
    blocks(out, document, "GENERAL_REQUEST_HEADERS")?;
    out.heading("Response headers")?;
    blocks(out, document, "GENERAL_RESPONSE_HEADERS")?;
    set_headers(out, document)
}

fn blocks(out: &mut Out<'_>, document: &Document, event_name: &str) -> io::Result<()> {
    let mut any = false;
    for (index, event) in document.events.iter().enumerate() {
        if event.name != event_name {
            continue;
        }
        any = true;
        let note = out.paint(Tone::Dim, &format!("event #{}", index + 1));
        writeln!(out.w, "  {note}")?;
        let lines = block_lines(event.data("Headers").unwrap_or_default());
        if lines.is_empty() {
            writeln!(out.w, "    (empty)")?;
        }
        for line in lines {
            writeln!(out.w, "    {line}")?;
        }
    }
    if !any {
        writeln!(out.w, "  (not in the trace)")?;
    }
    Ok(())
}

/// `GENERAL_SET_RESPONSE_HEADER` events: which header a module set, in order.
fn set_headers(out: &mut Out<'_>, document: &Document) -> io::Result<()> {
    let set: Vec<_> = document
        .events
        .iter()
        .enumerate()
        .filter(|(_, e)| e.name == "GENERAL_SET_RESPONSE_HEADER")
        .collect();
    if set.is_empty() {
        return Ok(());
    }
    let title = out.paint(Tone::Dim, "  set by modules (GENERAL_SET_RESPONSE_HEADER):");
    writeln!(out.w, "{title}")?;
    for (index, event) in set {
        let name = one_line(event.data("HeaderName").unwrap_or_default(), SHORT);
        let value = one_line(event.data("HeaderValue").unwrap_or_default(), LONG);
        let replace = match event.data("Replace").map(str::trim) {
            Some("true") => " (replace)",
            _ => "",
        };
        let number = out.paint(Tone::Dim, &format!("#{:<5}", index + 1));
        writeln!(out.w, "    {number} {name}: {value}{replace}")?;
    }
    Ok(())
}
