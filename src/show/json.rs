//! `show --json`: one trace per line, for scripts.
//!
//! A record holds what `show` prints, as data: `file`; `request`, the trace's `requests --json`
//! record (the same fields, nulls and numbers); `exception`, the exception its error page
//! names; `hints`, as `scan --json` writes them; `errors`, the events of Level 1 to 3 (what
//! freb.xsl's "Errors & Warnings" lists) with their data; and `events` and `complete`, how
//! much of the trace there is. Times are RFC 3339 UTC; every string is escaped by serde.

use std::io::{self, Write};
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::diagnose::Hint;
use crate::model::{Diagnosis, Trace};
use crate::parse::event::EventRecord;
use crate::parse::full::Document;
use crate::report::RequestRow;
use crate::report::json::JsonRow;

/// One `show --json` record.
#[derive(Debug, Serialize)]
pub struct ShowRecord<'a> {
    /// The trace file, as given.
    #[serde(serialize_with = "path")]
    pub file: &'a Path,
    /// The `requests --json` record of the trace.
    pub request: JsonRow<'a>,
    /// The exception the captured error page names, when the trace holds one.
    pub exception: Option<&'a str>,
    /// What `scan` would advise about this failure.
    pub hints: &'a [Hint],
    /// Events of Level 1 (critical), 2 (error) and 3 (warning), in file order.
    pub errors: Vec<ErrorEvent<'a>>,
    /// How many events the trace holds.
    pub events: usize,
    /// False when the file ends before `</failedRequest>`.
    pub complete: bool,
}

/// An error or warning event.
#[derive(Debug, Serialize)]
pub struct ErrorEvent<'a> {
    /// Its position among the trace's events, from 1 (as freb.xsl numbers them).
    pub index: usize,
    /// `RenderingInfo/Opcode`.
    pub name: &'a str,
    /// 1 critical, 2 error, 3 warning.
    pub level: u8,
    /// `TimeCreated`.
    #[serde(serialize_with = "crate::report::rfc3339_opt")]
    pub time: Option<DateTime<Utc>>,
    /// `EventData` in file order (without `ContextId`, which freb.xsl hides too); a list,
    /// not an object, because a name may come twice.
    pub data: Vec<DataItem<'a>>,
}

/// One `EventData/Data` item.
#[derive(Debug, Serialize)]
pub struct DataItem<'a> {
    /// Its `Name`.
    pub name: &'a str,
    /// Its text.
    pub value: &'a str,
}

impl<'a> ErrorEvent<'a> {
    fn of(index: usize, event: &'a EventRecord) -> Option<ErrorEvent<'a>> {
        let level = event.level.filter(|l| (1..=3).contains(l))?;
        Some(ErrorEvent {
            index: index + 1,
            name: &event.name,
            level,
            time: event.time,
            data: event
                .data
                .iter()
                .filter(|(name, _)| name != "ContextId")
                .map(|(name, value)| DataItem { name, value })
                .collect(),
        })
    }
}

/// Writes one trace as one line of JSON.
pub fn write(
    path: &Path,
    document: &Document,
    trace: &Trace,
    diagnosis: &Diagnosis,
    hints: &[Hint],
    out: &mut dyn Write,
) -> io::Result<()> {
    let row = RequestRow::new(trace, diagnosis);
    let record = ShowRecord {
        file: path,
        request: JsonRow::new(&row),
        exception: trace.exception.as_deref(),
        hints,
        errors: document
            .events
            .iter()
            .enumerate()
            .filter_map(|(i, e)| ErrorEvent::of(i, e))
            .collect(),
        events: document.events.len(),
        complete: document.complete,
    };
    serde_json::to_writer(&mut *out, &record)?;
    writeln!(out)
}

fn path<S: serde::Serializer>(path: &&Path, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&path.display())
}
