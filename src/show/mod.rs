//! `frebscope show`: one trace in depth, in the terminal.
//!
//! `scan` answers "which layer failed" for thousands of traces; `show` is for the one trace a
//! person then wants to read, without Internet Explorer and freb.xsl. It prints, in order:
//! the request summary, the verdict with its evidence, the errors and warnings (Level 1–3),
//! the timeline (freb.xsl's compact view), the time per step (freb.xsl's performance view)
//! and the headers. Every string from the trace is escaped for the terminal.

mod headers;
pub mod hints;
pub mod json;
pub(crate) mod perf;
pub mod read;
mod style;
mod summary;
pub(crate) mod text;
pub(crate) mod timeline;

use std::io::{self, Write};
use std::path::Path;

use crate::diagnose::Hint;
use crate::model::Diagnosis;
use crate::parse::full::Document;
use crate::report::clock::Zone;
use crate::sanitize::terminal;

use style::{Painter, Tone};

/// How to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShowOptions {
    /// Print verbose events in the timeline too, and long lists and values in full.
    pub all: bool,
    /// ANSI colours.
    pub color: bool,
}

/// The page a trace is printed on: the zone of its times and the width its prose wraps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// The zone of the start time (`--local`).
    pub zone: Zone,
    /// The columns the evidence and hints wrap to; commands and timeline lines stay whole.
    pub width: usize,
}

impl Page {
    /// The width through a pipe or into a file, as `scan` and `requests` use there.
    pub const FIXED_WIDTH: usize = 120;

    /// UTC, at the fixed width.
    pub fn fixed() -> Page {
        Page {
            zone: Zone::Utc,
            width: Page::FIXED_WIDTH,
        }
    }
}

/// Where the sections write, with how.
pub(crate) struct Out<'a> {
    w: &'a mut dyn Write,
    painter: Painter,
    options: ShowOptions,
    width: usize,
}

impl Out<'_> {
    fn paint(&self, tone: Tone, text: &str) -> String {
        self.painter.paint(tone, text)
    }

    /// A blank line, then the section title.
    fn heading(&mut self, title: &str) -> io::Result<()> {
        let title = self.paint(Tone::Heading, title);
        writeln!(self.w)?;
        writeln!(self.w, "{title}")
    }
}

/// Prints one trace.
pub fn render(
    path: &Path,
    document: &Document,
    diagnosis: &Diagnosis,
    options: &ShowOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    render_with_hints(path, document, diagnosis, &[], Page::fixed(), options, out)
}

/// Prints one trace, with the hints for its failure under the verdict ([`hints::for_trace`])
/// and its start time and prose laid out for `page`.
pub fn render_with_hints(
    path: &Path,
    document: &Document,
    diagnosis: &Diagnosis,
    hints: &[Hint],
    page: Page,
    options: &ShowOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let trace = document.summarize(path);
    let mut out = Out {
        w: out,
        painter: Painter::new(options.color),
        options: *options,
        width: page.width,
    };
    let title = format!(
        "{}  ({} events)",
        terminal(&path.display().to_string()),
        document.events.len()
    );
    let title = out.paint(Tone::Strong, &title);
    writeln!(out.w, "{title}")?;
    summary::write(&mut out, document, &trace, page.zone)?;
    summary::write_verdict(&mut out, diagnosis)?;
    hints::write(&mut out, hints)?;
    timeline::write_errors(&mut out, document)?;
    timeline::write_timeline(&mut out, document)?;
    perf::write(&mut out, document)?;
    headers::write(&mut out, document)?;
    writeln!(out.w)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(document: &Document) -> String {
        let mut out = Vec::new();
        let options = ShowOptions {
            all: false,
            color: false,
        };
        render(
            Path::new("fr000001.xml"),
            document,
            &Diagnosis::not_applicable(),
            &options,
            &mut out,
        )
        .expect("writing to a Vec cannot fail");
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn an_empty_trace_cut_before_its_first_event_still_renders() {
        let document = Document {
            root: vec![
                ("statusCode".into(), "garbage".into()),
                ("triggerStatusCode".into(), "5x".into()),
                ("url".into(), "/\u{202e}txt.exe".into()),
            ],
            events: Vec::new(),
            complete: false,
            stopped: Some("the file ends before </failedRequest>".into()),
        };
        let text = rendered(&document);
        assert!(text.contains("partial: the file ends before the first event"));
        assert!(text.contains("trigger    5x"));
        assert!(text.contains("/\\u{202e}txt.exe"));
        assert!(text.contains("(no START/END pairs in the trace)"));
        assert!(text.contains("(not in the trace)"));
    }
}
