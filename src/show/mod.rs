//! `frebscope show`: one trace in depth, in the terminal.

use std::io::{self, Write};
use std::path::Path;

use crate::model::Diagnosis;
use crate::parse::full::Document;

/// How to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShowOptions {
    /// Print verbose events in the timeline too.
    pub all: bool,
    /// ANSI colours.
    pub color: bool,
}

/// Prints one trace.
pub fn render(
    path: &Path,
    document: &Document,
    diagnosis: &Diagnosis,
    _options: &ShowOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let trace = document.summarize(path);
    writeln!(
        out,
        "{}",
        crate::sanitize::terminal(&path.display().to_string())
    )?;
    writeln!(
        out,
        "status {} · verdict {} · {}",
        trace.status,
        diagnosis.verdict,
        crate::sanitize::terminal(&diagnosis.evidence)
    )?;
    writeln!(out, "{} events", document.events.len())
}
