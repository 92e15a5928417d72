//! The HTML report: one self-contained file an administrator can mail, that opens offline in
//! any browser and replaces freb.xsl for every failing trace of a run.
//!
//! What makes it safe to open: the page loads nothing (a Content-Security-Policy meta tag with
//! `default-src 'none'` forbids every network load; the one inline style sheet and the one
//! inline script are allowed by their SHA-256 hashes, so an injected `<script>` or `style`
//! attribute would not run even if escaping failed). Every string from a trace, a file name or
//! a configuration goes through askama's HTML escaping, after the terminal escaping `show`
//! uses, so control characters and bidi overrides are visible too. Anchors and ids are
//! numbers the report assigns, never trace text, and no trace text ever becomes a URL.
//!
//! What makes it light: it reads completely with JavaScript off (the script only adds table
//! sorting, a filter box and copy buttons); each trace's details are folded in `<details>`;
//! at most [`HtmlOptions::max_traces`] traces get a section, the others are listed by file.
//! The sections are rendered a few at a time and written as they are done, each from its
//! file read again in full, so memory does not grow with the number of traces.

mod drilldown;
mod histogram;
pub mod hooks;
mod lanes;
mod page;

use std::io::{self, Write};
use std::path::{Path, PathBuf};

pub use hooks::{ConfigFinding, FindingLevel, Marker, MarkerKind, process_markers};

use crate::discover::Root;
use crate::error::FileError;
use crate::filter::Filters;
use crate::model::{Diagnosis, Trace};
use crate::parse::full::Document;
use crate::timeline::Timeline;

use super::{Reporter, RequestsReport, ScanReport};

/// How many traces get a section of their own by default.
pub const DEFAULT_MAX_TRACES: usize = 500;

/// `--html` and its options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HtmlOptions {
    /// The file to write.
    pub path: PathBuf,
    /// A section for every matched trace, not only the failing (5xx) ones.
    pub all_traces: bool,
    /// At most this many sections; the other traces are listed by file.
    pub max_traces: usize,
}

/// What a run read, for the parts of the report the summary does not carry.
#[derive(Debug, Clone, Copy)]
pub struct RunData<'a> {
    /// Every trace read, in file order.
    pub traces: &'a [Trace],
    /// One per trace.
    pub diagnoses: &'a [Diagnosis],
    /// Indexes of the traces that passed the filters.
    pub matched: &'a [usize],
    /// Files that could not be used.
    pub skipped: &'a [FileError],
    /// The paths the user gave.
    pub roots: &'a [Root],
    /// The filters of the run.
    pub filters: &'a Filters,
}

/// The HTML reporter.
pub struct HtmlReporter<'a> {
    /// What the run read.
    pub run: RunData<'a>,
    /// The options.
    pub options: &'a HtmlOptions,
    /// Marks on the time axis: process restarts, and whatever event logs add.
    pub markers: &'a [Marker],
    /// Configuration findings, shown in a section of their own when there are any.
    pub findings: &'a [ConfigFinding],
    /// The life of every worker process (what `frebscope timeline` prints), drawn as lanes
    /// under each server's histogram; empty for none.
    pub lives: &'a Timeline,
}

impl Reporter for HtmlReporter<'_> {
    fn scan(&self, report: &ScanReport<'_>, out: &mut dyn Write) -> io::Result<()> {
        page::write_scan(self, report, out)
    }

    fn requests(&self, report: &RequestsReport<'_>, out: &mut dyn Write) -> io::Result<()> {
        page::write_requests(self, report, out)
    }
}

/// Writes the page of `show --html`: every trace given, unfolded, in the order given. Each is
/// read by `read` when its turn comes and dropped once written, so memory holds one at a time.
pub fn write_show(
    paths: &[PathBuf],
    read: impl FnMut(&Path) -> Result<(Document, Diagnosis), FileError>,
    out: &mut dyn Write,
) -> io::Result<()> {
    page::write_show(paths, read, out)
}
