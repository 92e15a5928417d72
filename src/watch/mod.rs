//! `frebscope watch`: follow live shares during an incident.
//!
//! IIS keeps only `maxLogFiles` traces per site (50 by default), so the traces of this
//! morning's 502s are overwritten by this afternoon's 404s; an admin chasing an intermittent
//! failure wants each new trace diagnosed as it lands, and kept. So the folders are listed
//! every interval (polling: change notifications are unreliable over SMB, and one listing per
//! folder is one round trip), and each new trace is read once it is complete: its
//! `</failedRequest>` is written, or its size stayed the same across two polls (a trace IIS
//! never finished). Its verdict is printed with the cross-trace context of everything seen so
//! far, so a new process's first failure reads as a cold start and an ARR 502 meets its
//! backend trace (when the backend's trace lands after the front end's, an update line says
//! what the link changed).
//!
//! Memory stays bounded however long it runs: the state per file covers only the files the
//! last listing showed, the context keeps the most recent [`CONTEXT_TRACES`] traces, and the
//! archive remembers a bounded number of content hashes (the files on disk settle the rest).

mod archive;
mod file_state;

use std::collections::{HashMap, VecDeque};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Result;
use rayon::prelude::*;
use serde::Serialize;

use crate::aggregate::GroupBy;
use crate::aggregate::{self, Totals};
use crate::cache::Stamp;
use crate::config::Watch;
use crate::diagnose;
use crate::discover;
use crate::discover::Root;
use crate::error::FileError;
use crate::model::{Depth, Diagnosis, Trace, Verdict};
use crate::parse;
use crate::report::table::TableReporter;
use crate::report::{Reporter, RequestRow, ScanReport};
use crate::run::{RunStatus, Streams};
use crate::sanitize::terminal;
use archive::Archive;
use file_state::Files;

/// The traces kept for cross-trace context: a day of a busy farm's traces, in a few MiB of
/// compact summaries; the oldest go first.
pub const CONTEXT_TRACES: usize = 20_000;
/// The longest wait between tries at an unreachable root.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// How often the wait between polls looks at Ctrl-C and the deadline.
const TICK: Duration = Duration::from_millis(50);

/// What `watch` does besides reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Time between listings.
    pub interval: Duration,
    /// Stop after this long (`--for`); `None`: until Ctrl-C.
    pub duration: Option<Duration>,
    /// Copy each new trace here (`--archive`).
    pub archive: Option<PathBuf>,
    /// One JSON record per new trace instead of a line of text.
    pub json: bool,
}

/// What was last printed about a trace: a later trace that changes it prints an update.
type Printed = Option<(Verdict, &'static str, Option<Box<Path>>)>;

struct Watcher<'a> {
    config: &'a Watch,
    options: &'a Options,
    files: Files,
    /// The traces of the context, oldest first, and what was printed about each.
    context: VecDeque<Trace>,
    printed: VecDeque<Printed>,
    /// Stats the listed files, many at a time: on a share each is a round trip.
    pool: rayon::ThreadPool,
    archive: Option<Archive>,
    skipped: Vec<FileError>,
    /// Traces read since the start, including those dropped from the context.
    total: usize,
    /// Roots that could not be listed, with when that was first seen.
    down: HashMap<usize, Instant>,
    backoff: Duration,
}

/// Runs `watch` until the deadline or Ctrl-C, then prints the summary.
pub fn run_until_interrupted(config: &Watch, streams: &mut Streams<'_>) -> Result<RunStatus> {
    static STOP: AtomicBool = AtomicBool::new(false);
    // A second handler cannot be set in the same process (a library caller running watch
    // twice): the first one still sets the same flag.
    let _ = ctrlc::set_handler(|| STOP.store(true, Ordering::Relaxed));
    STOP.store(false, Ordering::Relaxed);
    run(config, streams, &STOP)
}

/// Runs `watch` until the deadline or until `stop` is set (Ctrl-C), then prints the summary.
pub fn run(config: &Watch, streams: &mut Streams<'_>, stop: &AtomicBool) -> Result<RunStatus> {
    let options = &config.options;
    let started = Instant::now();
    let deadline = options.duration.map(|d| started + d);
    let mut watcher = Watcher {
        config,
        options,
        files: Files::default(),
        context: VecDeque::new(),
        printed: VecDeque::new(),
        pool: rayon::ThreadPoolBuilder::new()
            .num_threads(config.input.threads)
            .build()?,
        archive: match &options.archive {
            Some(dir) => Some(Archive::open(dir)?),
            None => None,
        },
        skipped: Vec::new(),
        total: 0,
        down: HashMap::new(),
        backoff: options.interval,
    };
    if !options.json {
        writeln!(
            streams.err,
            "frebscope: watching {} root{} every {}; Ctrl-C prints the summary",
            config.input.roots.len(),
            if config.input.roots.len() == 1 {
                ""
            } else {
                "s"
            },
            human(options.interval)
        )?;
    }
    loop {
        let wait = watcher.poll(streams)?;
        streams.out.flush()?;
        if !sleep(wait, deadline, stop) {
            break;
        }
    }
    // One last look, so that what landed since the previous poll is in the summary.
    watcher.poll(streams)?;
    watcher.summary(streams, started.elapsed())?;
    Ok(if watcher.skipped.is_empty() {
        RunStatus::Complete
    } else {
        RunStatus::Partial
    })
}

/// Waits `wait`, or less when the deadline comes or `stop` is set; false when it is time to
/// end.
fn sleep(wait: Duration, deadline: Option<Instant>, stop: &AtomicBool) -> bool {
    let until = Instant::now() + wait;
    loop {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        let now = Instant::now();
        if deadline.is_some_and(|d| now >= d) {
            return false;
        }
        if now >= until {
            return true;
        }
        let mut step = TICK.min(until - now);
        if let Some(d) = deadline {
            step = step.min(d.saturating_duration_since(now));
        }
        std::thread::sleep(step);
    }
}

impl Watcher<'_> {
    /// One listing of every root and the reading of what is new; returns the time to wait
    /// before the next.
    fn poll(&mut self, streams: &mut Streams<'_>) -> Result<Duration> {
        let reachable = self.check_roots(streams.err)?;
        if reachable.is_empty() {
            self.backoff = (self.backoff * 2).min(MAX_BACKOFF.max(self.options.interval));
            return Ok(self.backoff);
        }
        self.backoff = self.options.interval;
        let found = discover::discover(&reachable);
        let stamped = self.pool.install(|| {
            found
                .files
                .par_iter()
                .filter_map(|p| Stamp::of(p).map(|s| (p.clone(), s)))
                .collect()
        });
        let unlisted: Vec<PathBuf> = self
            .config
            .input
            .roots
            .iter()
            .enumerate()
            .filter(|(i, _)| self.down.contains_key(i))
            .map(|(_, root)| PathBuf::from(root_base(root)))
            .collect();
        let ready = self.files.update(stamped, &unlisted);
        let mut new = Vec::new();
        for path in ready {
            match self.ingest(&path) {
                Ok(Some(trace)) => new.push(trace),
                Ok(None) => {}
                Err(e) => {
                    writeln!(
                        streams.err,
                        "frebscope: skipped {}: {}: {}",
                        terminal(&e.path.display().to_string()),
                        e.reason,
                        terminal(&e.detail)
                    )?;
                    self.skipped.push(e);
                    if self.skipped.len() > CONTEXT_TRACES {
                        self.skipped.remove(0);
                    }
                }
            }
        }
        if !new.is_empty() {
            self.land(new, streams.out)?;
        }
        Ok(self.options.interval)
    }

    /// The roots that can be listed now; says once when one cannot, and when it is back.
    fn check_roots(&mut self, err: &mut dyn Write) -> Result<Vec<Root>> {
        let mut reachable = Vec::new();
        for (index, root) in self.config.input.roots.iter().enumerate() {
            let shown = root_text(root);
            match probe(root) {
                Ok(()) => {
                    if let Some(since) = self.down.remove(&index) {
                        writeln!(
                            err,
                            "frebscope: {} is back after {}; resuming",
                            terminal(&shown),
                            human(since.elapsed())
                        )?;
                    }
                    reachable.push(root.clone());
                }
                Err(e) => {
                    if let std::collections::hash_map::Entry::Vacant(slot) = self.down.entry(index)
                    {
                        slot.insert(Instant::now());
                        writeln!(
                            err,
                            "frebscope: {} cannot be listed ({e}); retrying with backoff, up to every {}",
                            terminal(&shown),
                            human(MAX_BACKOFF.max(self.options.interval))
                        )?;
                    }
                }
            }
        }
        Ok(reachable)
    }

    /// Reads a complete (or settled) trace, archiving it first when asked: the archived copy
    /// is what is parsed, so the verdict and the evidence kept are of the same bytes.
    fn ingest(&mut self, path: &Path) -> Result<Option<Trace>, FileError> {
        let keep = |head: &Trace| self.config.input.filters.matches(head);
        let trace = match &mut self.archive {
            Some(archive) => match archive.store(path)? {
                archive::Stored::Duplicate => return Ok(None),
                archive::Stored::New(copy) => {
                    let mut trace = parse::parse_file(&copy, &keep)?;
                    trace.file = path.to_path_buf();
                    archive
                        .place(&copy, &trace)
                        .map_err(|e| FileError::io(path, &e))?;
                    trace
                }
            },
            None => parse::parse_file(path, &keep)?,
        };
        Ok(Some(trace))
    }

    /// Adds new traces to the context, diagnoses, and prints the new failures and the
    /// verdicts the new traces changed.
    fn land(&mut self, new: Vec<Trace>, out: &mut dyn Write) -> Result<()> {
        self.total += new.len();
        for trace in new {
            self.context.push_back(trace);
            self.printed.push_back(None);
        }
        while self.context.len() > CONTEXT_TRACES {
            self.context.pop_front();
            self.printed.pop_front();
        }
        let traces = self.context.make_contiguous();
        let diagnoses = diagnose::diagnose(traces, &self.config.diagnosis);
        for ((trace, printed), diagnosis) in traces.iter().zip(&mut self.printed).zip(&diagnoses) {
            if trace.depth != Depth::Full || !self.config.input.filters.matches(trace) {
                continue;
            }
            let now = (
                diagnosis.verdict,
                diagnosis.rule,
                diagnosis.linked_file.clone(),
            );
            let update = match printed {
                None => false,
                Some(before) if *before == now => continue,
                Some(_) => true,
            };
            *printed = Some(now);
            if self.options.json {
                write_json(trace, diagnosis, update, out)?;
            } else {
                write_line(trace, diagnosis, update, out)?;
            }
        }
        Ok(())
    }

    fn summary(&mut self, streams: &mut Streams<'_>, elapsed: Duration) -> Result<()> {
        let traces = self.context.make_contiguous();
        let analysis = diagnose::analyze(traces, &self.config.diagnosis);
        let matched: Vec<usize> = traces
            .iter()
            .enumerate()
            .filter(|(_, t)| t.depth == Depth::Full && self.config.input.filters.matches(t))
            .map(|(i, _)| i)
            .collect();
        let totals = Totals::new(traces, &matched, &self.skipped);
        if self.options.json {
            #[derive(Serialize)]
            struct Last<'a> {
                totals: &'a Totals,
                seen: usize,
            }
            serde_json::to_writer(
                &mut *streams.out,
                &Last {
                    totals: &totals,
                    seen: self.total,
                },
            )?;
            writeln!(streams.out)?;
            return Ok(());
        }
        if self.total > traces.len() {
            writeln!(
                streams.out,
                "\nSummary of the last {} of the {} traces seen:",
                traces.len(),
                self.total
            )?;
        } else {
            writeln!(streams.out)?;
        }
        let verdicts = aggregate::verdict_counts(traces, &analysis.diagnoses, &matched);
        let groups = aggregate::group(traces, &analysis.diagnoses, &matched, GroupBy::Error);
        let hints = diagnose::hints(traces, &analysis);
        let overview = crate::overview::overview(
            traces,
            &analysis.diagnoses,
            &matched,
            &self.config.input.filters,
        );
        let report = ScanReport {
            totals: &totals,
            verdicts: &verdicts,
            by: GroupBy::Error,
            groups: &groups,
            hints: &hints,
            elapsed,
            overview: &overview,
            // The files named are live: IIS may have rotated them away by now.
            open_example: None,
        };
        let table = TableReporter {
            color: self.config.color,
            width: streams.width,
            options: Default::default(),
        };
        table.scan(&report, streams.out)?;
        Ok(())
    }
}

/// Checks that a root can be listed now.
fn probe(root: &Root) -> io::Result<()> {
    match root {
        Root::Dir(p) => std::fs::read_dir(p).map(|_| ()),
        Root::File(p) => std::fs::metadata(p).map(|_| ()),
        Root::Pattern(_) => std::fs::read_dir(root_base(root)).map(|_| ()),
    }
}

/// The folder a root lives in: itself, or a pattern's part before its first wildcard.
fn root_base(root: &Root) -> String {
    match root {
        Root::Dir(p) | Root::File(p) => p.display().to_string(),
        Root::Pattern(p) => {
            let wildcard = p.find(['*', '?', '[']).unwrap_or(p.len());
            match p[..wildcard].rfind(['/', '\\']) {
                Some(i) => p[..=i].to_owned(),
                None => ".".to_owned(),
            }
        }
    }
}

fn root_text(root: &Root) -> String {
    match root {
        Root::Dir(p) | Root::File(p) => p.display().to_string(),
        Root::Pattern(p) => p.clone(),
    }
}

/// `5s`, `2m30s`, `1h5m`.
fn human(d: Duration) -> String {
    let secs = d.as_secs();
    if secs == 0 {
        return format!("{} ms", d.as_millis());
    }
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    match (h, m, s) {
        (0, 0, s) => format!("{s}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, s) => format!("{m}m{s}s"),
        (h, m, _) => format!("{h}h{m}m"),
    }
}

/// One line per new failure: when, where, what, the verdict and its evidence.
fn write_line(
    trace: &Trace,
    diagnosis: &Diagnosis,
    update: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    let time = trace
        .start_time
        .map(|t| t.format("%Y-%m-%d %H:%M:%SZ").to_string())
        .unwrap_or_else(|| "-".into());
    let file = trace
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut line = format!(
        "{}{time}  {}  W3SVC{}  {}  {}  {}",
        if update { "update: " } else { "" },
        terminal(&trace.server),
        terminal(&trace.site_id),
        trace.status,
        diagnosis.verdict,
        terminal(trace.module()),
    );
    if let Some(code) = trace.error_code() {
        line.push_str(&format!(" {code}"));
    }
    line.push_str(&format!(
        "  {}  {}",
        terminal(aggregate::url_without_query(&trace.url)),
        terminal(&file)
    ));
    if trace.partial {
        line.push_str(" (partial)");
    }
    if !diagnosis.evidence.is_empty() {
        line.push_str(&format!("\n    {}", terminal(&diagnosis.evidence)));
    }
    writeln!(out, "{line}")
}

/// One JSON record per new trace: the `requests --json` fields, and `update` when a later
/// trace changed the verdict of one already written.
fn write_json(
    trace: &Trace,
    diagnosis: &Diagnosis,
    update: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    #[derive(Serialize)]
    struct Record<'a> {
        #[serde(flatten)]
        row: crate::report::json::JsonRow<'a>,
        update: bool,
    }
    let row = RequestRow::new(trace, diagnosis);
    let record = Record {
        row: crate::report::json::JsonRow::new(&row),
        update,
    };
    serde_json::to_writer(&mut *out, &record)?;
    writeln!(out)
}
