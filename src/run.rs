//! One run of the command line: discover, parse, diagnose, aggregate, report.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use crate::aggregate::{self, Totals};
use crate::cache::{Cache, Stamp};
use crate::compact::{Compact, Names, Packed, TraceFacts};
use crate::config::{self, Config, Input};
use crate::diagnose;
use crate::discover::{self, Root};
use crate::error::FileError;
use crate::events::{self, EventLog};
use crate::iis;
use crate::model::{Depth, Diagnosis, Trace};
use crate::overview;
use crate::parse;
use crate::report::csv::CsvReporter;
use crate::report::html::{self, HtmlOptions, HtmlReporter};
use crate::report::json::JsonReporter;
use crate::report::table::TableReporter;
use crate::report::{
    DataOptions, Format, Reporter, RequestRow, RequestsReport, ScanReport, Target, suggest,
};
use crate::sanitize::{csv_cell, terminal};
use crate::show;
use crate::timeline;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// Every file found was read.
    Complete,
    /// Results were produced, but some files were skipped.
    Partial,
}

/// How many skipped files are named on stderr without `--verbose`.
const SKIPPED_SHOWN: usize = 20;

/// Where output goes, so tests can capture it.
pub struct Streams<'a> {
    /// Standard output.
    pub out: &'a mut dyn Write,
    /// Standard error.
    pub err: &'a mut dyn Write,
    /// The terminal's width; `None` when standard output is a pipe or a file (fixed layouts).
    pub width: Option<u16>,
}

/// Runs a validated configuration.
pub fn run(config: &Config, streams: &mut Streams<'_>) -> Result<RunStatus> {
    match config {
        Config::Scan(scan) => run_scan(scan, streams),
        Config::Requests(requests) => run_requests(requests, streams),
        Config::Show(show) => run_show(show, streams),
        Config::Config(audit) => run_config(audit, streams),
        Config::Events(events) => run_events(events, streams),
        Config::Timeline(timeline) => run_timeline(timeline, streams),
        Config::Watch(watch) => crate::watch::run_until_interrupted(watch, streams),
    }
}

/// Everything read from the inputs: whole traces, or for `scan` their compact records.
struct Collected<T = Trace> {
    farm: iis::diagnosis::FarmConfig,
    traces: Vec<T>,
    skipped: Vec<FileError>,
    ignored: Vec<discover::Ignored>,
    analysis: diagnose::Analysis,
    matched: Vec<usize>,
    stats: Stats,
    events: EventLog,
}

#[derive(Default)]
struct Stats {
    files: usize,
    bytes: u64,
    discover: Duration,
    read: Duration,
    diagnose: Duration,
    /// Traces taken from the rescan cache, and the cache file.
    cached: Option<(usize, PathBuf)>,
    threads: usize,
}

/// What the reader threads count while they read: bytes read, and traces the rescan cache
/// gave instead.
#[derive(Default)]
struct Counters {
    bytes: AtomicU64,
    hits: AtomicU64,
}

impl Counters {
    fn hits(&self) -> usize {
        self.hits.load(Ordering::Relaxed) as usize
    }

    /// The figures `--stats` shows of a run that found `files` traces.
    fn stats(
        &self,
        files: usize,
        times: [Duration; 3],
        cache: Option<Cache>,
        threads: usize,
    ) -> Stats {
        let [discover, read, diagnose] = times;
        Stats {
            files,
            bytes: self.bytes.load(Ordering::Relaxed),
            discover,
            read,
            diagnose,
            cached: cache.map(|c| (self.hits(), c.file().to_path_buf())),
            threads,
        }
    }
}

/// The start every scan shares: the IIS configuration set loading on its own thread, the traces
/// found under the roots (empty patterns warned about), and how long finding them took.
fn discover_input(
    input: &Input,
    err: &mut dyn Write,
) -> Result<(ConfigLoad, discover::Found, Duration)> {
    let started = Instant::now();
    let config = ConfigLoad::start(input);
    let options = discover::Options {
        follow: input.follow,
        threads: input.threads,
    };
    let found = discover::discover_with(&input.roots, &options);
    warn_empty_patterns(&found.empty_patterns, err)?;
    let discovered = started.elapsed();
    wait_at_test_gate();
    Ok((config, found, discovered))
}

fn collect(input: &Input, diagnosis: &diagnose::Options, err: &mut dyn Write) -> Result<Collected> {
    let (config, found, discovered) = discover_input(input, err)?;
    let counters = Counters::default();
    let cache = open_cache(input, err)?;
    let reading = Instant::now();
    let files_found = found.files.len();
    let results = read_all(input, found.files, &counters, cache.as_ref(), |_, r, s| {
        (r, s)
    })?;
    let read = reading.elapsed();
    let mut skipped = found.errors;
    let ignored = found.ignored;
    // Collected in place, reusing the results' memory: on a big share the traces are most of
    // what a run holds.
    let mut stamps = Vec::new();
    let traces: Vec<Trace> = results
        .into_iter()
        .filter_map(|(result, stamp)| {
            let trace = result.map_err(|e| skipped.push(e)).ok()?;
            stamps.push(stamp);
            Some(trace)
        })
        .collect();
    skipped.sort_by(|a, b| a.path.cmp(&b.path));
    let (farm, config_errors) = config.finish(err)?;
    skipped.extend(config_errors);
    let events = read_events(&input.events);
    if let Some(cache) = &cache {
        let stamped = traces
            .iter()
            .zip(&stamps)
            .filter_map(|(t, s)| Some((t, (*s)?)));
        if let Err(e) = cache.save(stamped, counters.hits()) {
            cache_warning(Some(cache), &e, err)?;
        }
    }
    drop(stamps);
    let diagnosing = Instant::now();
    let analysis = analyze(&traces, &events.events, diagnosis, &farm);
    let matched = traces
        .iter()
        .enumerate()
        .filter(|(_, t)| t.depth == Depth::Full && input.filters.matches(t))
        .map(|(i, _)| i)
        .collect();
    let times = [discovered, read, diagnosing.elapsed()];
    let stats = counters.stats(files_found, times, cache, input.threads);
    Ok(Collected {
        farm,
        traces,
        skipped,
        ignored,
        analysis,
        matched,
        stats,
        events,
    })
}

/// [`collect`] for `scan`, keeping of each trace its compact record, and the whole trace only
/// of the failures it judges, packed until it is judged: memory grows by about 300 bytes a
/// trace, not 1.7 KiB. With the traces gone, the cache is written as they are read.
fn collect_compact(
    input: &Input,
    diagnosis: &diagnose::Options,
    err: &mut dyn Write,
) -> Result<Collected<Compact>> {
    let (config, found, discovered) = discover_input(input, err)?;
    let counters = Counters::default();
    let cache = open_cache(input, err)?;
    let writer = match cache.as_ref().map(Cache::writer).transpose() {
        Ok(writer) => writer,
        Err(e) => {
            cache_warning(cache.as_ref(), &e, err)?;
            None
        }
    };
    let names = Names::default();
    let alone = overview::single_filters(&input.filters);
    let whole: std::sync::Mutex<Vec<(usize, Packed)>> = std::sync::Mutex::new(Vec::new());
    let keep = |index: usize, mut trace: Trace, stamp: Option<Stamp>| -> Compact {
        if let (Some(writer), Some(stamp)) = (&writer, stamp) {
            writer.add(&trace, stamp);
        }
        let alone_bits = alone
            .iter()
            .enumerate()
            .filter(|(_, (_, filters))| filters.matches(&trace))
            .fold(0u8, |bits, (bit, _)| bits | 1 << bit);
        let matched = trace.depth == Depth::Full && input.filters.matches(&trace);
        // Done with the trace's own path: the record takes it rather than a copy.
        let mut record = Compact::taking_file(&mut trace, &names);
        record.alone = alone_bits;
        record.matched = matched;
        record.judged = diagnose::is_judged(&trace);
        if record.judged {
            let packed = Packed::of(strip_for_scan(trace));
            if let Ok(mut whole) = whole.lock() {
                whole.push((index, packed));
            }
        }
        record
    };
    let reading = Instant::now();
    let files_found = found.files.len();
    let results = read_all(
        input,
        found.files,
        &counters,
        cache.as_ref(),
        |index, r, stamp| r.map(|trace| keep(index, trace, stamp)),
    )?;
    let read = reading.elapsed();
    // The records hold what they share; the tables that found it are not needed again.
    drop(names);
    let mut skipped = found.errors;
    // Collected in place: a result and a record take the same room, so the records of a big
    // share live in the one vector the readers filled.
    let records: Vec<Compact> = results
        .into_iter()
        .filter_map(|result| result.map_err(|e| skipped.push(e)).ok())
        .collect();
    let flagged = |flag: fn(&Compact) -> bool| -> Vec<usize> {
        (0..records.len()).filter(|&i| flag(&records[i])).collect()
    };
    let matched = flagged(|r| r.matched);
    let judged_at = flagged(|r| r.judged);
    // In file order, as the records: the k-th whole trace is the k-th judged record.
    let mut judged = whole.into_inner().unwrap_or_default();
    judged.sort_unstable_by_key(|(index, _)| *index);
    let judged: Vec<Packed> = judged.into_iter().map(|(_, trace)| trace).collect();
    skipped.sort_by(|a, b| a.path.cmp(&b.path));
    let (farm, config_errors) = config.finish(err)?;
    skipped.extend(config_errors);
    let events = read_events(&input.events);
    if let Some(writer) = writer
        && let Err(e) = writer.finish(counters.hits())
    {
        cache_warning(cache.as_ref(), &e, err)?;
    }
    let diagnosing = Instant::now();
    // Without configuration, `options_for` finds no server and every trace keeps the defaults.
    let configured = |t: &Trace| farm.options_for(t, diagnosis);
    let analysis = diagnose::analyze_compact(
        &records,
        judged,
        &judged_at,
        &events.events,
        diagnosis,
        &configured,
    );
    let times = [discovered, read, diagnosing.elapsed()];
    let stats = counters.stats(files_found, times, cache, input.threads);
    let collected = Collected {
        farm,
        traces: records,
        skipped,
        ignored: found.ignored,
        analysis,
        matched,
        stats,
        events,
    };
    Ok(collected)
}

/// A judged trace as `scan` keeps it: without the values no rule, hint or summary of a scan
/// reads (the user names, the activity ID, the verb and host), which `requests` and the HTML
/// report print.
fn strip_for_scan(mut trace: Trace) -> Trace {
    for value in [
        &mut trace.verb,
        &mut trace.remote_user,
        &mut trace.user_name,
        &mut trace.token_user,
        &mut trace.auth_type,
        &mut trace.activity_id,
    ] {
        *value = String::new();
    }
    trace.host = None;
    trace
}

fn cache_warning(cache: Option<&Cache>, e: &io::Error, err: &mut dyn Write) -> Result<()> {
    let file = cache.map_or_else(String::new, |c| c.file().display().to_string());
    writeln!(
        err,
        "frebscope: warning: could not write the cache {}: {e}",
        terminal(&file)
    )?;
    Ok(())
}

/// The race tests change a folder between discovery and reading: with
/// `FREBSCOPE_TEST_GATE` naming a pipe, the run waits here until the test has written to it
/// and closed it. Unset, this does nothing.
fn wait_at_test_gate() {
    if let Some(gate) = std::env::var_os("FREBSCOPE_TEST_GATE") {
        let _ = std::fs::read(gate);
    }
}

/// The event logs of `--events`; nothing without it.
fn read_events(input: &config::EventInput) -> EventLog {
    if input.paths.is_empty() {
        return EventLog::default();
    }
    events::read_paths(&input.paths, &input.options)
}

/// Names the event files that were not wholly read; true when there were any.
fn report_event_problems(log: &EventLog, verbose: bool, err: &mut dyn Write) -> Result<bool> {
    if log.problems.is_empty() {
        return Ok(false);
    }
    let n = log.problems.len();
    writeln!(
        err,
        "frebscope: {n} event file{} not wholly read:",
        if n == 1 { "" } else { "s" }
    )?;
    let shown = if verbose { n } else { SKIPPED_SHOWN };
    for p in log.problems.iter().take(shown) {
        writeln!(
            err,
            "  {}: {}: {}",
            terminal(&p.path.display().to_string()),
            p.reason,
            terminal(&p.detail)
        )?;
    }
    if n > shown {
        writeln!(
            err,
            "  ... and {} more (all of them with --verbose)",
            n - shown
        )?;
    }
    Ok(true)
}

/// `frebscope events`: what the event logs hold.
fn run_events(config: &config::Events, streams: &mut Streams<'_>) -> Result<RunStatus> {
    let log = read_events(&config.input);
    // Like the timeline, the listing fits 100 columns wherever it goes.
    let width = 100;
    match &config.format {
        Format::Table => events::listing::table(&log, width, streams.out)?,
        Format::Json => events::listing::json(&log, streams.out)?,
        Format::Csv(Target::Stdout) => {
            events::listing::csv(&log, streams.out)?;
            writeln!(streams.err, "frebscope: {}", events::listing::summary(&log))?;
        }
        Format::Csv(Target::File(path)) => {
            events::listing::table(&log, width, streams.out)?;
            let mut file = create(path)?;
            events::listing::csv(&log, &mut file)
                .with_context(|| format!("could not write {}", path.display()))?;
            file.flush()
                .with_context(|| format!("could not write {}", path.display()))?;
        }
    }
    streams.out.flush()?;
    let partial = report_event_problems(&log, config.verbose, streams.err)?;
    Ok(if partial {
        RunStatus::Partial
    } else {
        RunStatus::Complete
    })
}

/// `frebscope timeline`: each worker process's life, with its failures.
fn run_timeline(config: &config::Timeline, streams: &mut Streams<'_>) -> Result<RunStatus> {
    let reporting = Instant::now();
    let mut files = OutputFiles::create(&Format::Table, &config.input)?;
    let collected = collect(&config.input, &config.diagnosis, streams.err)?;
    let timeline = timeline::build(
        &collected.traces,
        &collected.analysis.diagnoses,
        &collected.analysis.processes,
        &collected.matched,
        &collected.events.events,
    );
    if config.json {
        serde_json::to_writer_pretty(&mut *streams.out, &timeline)?;
        writeln!(streams.out)?;
    } else {
        timeline::render(&timeline, 100, streams.out)?;
    }
    streams.out.flush()?;
    finish(&config.input, collected, reporting, &mut files, streams)
}

/// The rescan cache, when the run has one; a cache folder that cannot be used is a warning,
/// and the run goes on without it.
fn open_cache(input: &Input, err: &mut dyn Write) -> Result<Option<Cache>> {
    let Some(dir) = &input.cache else {
        return Ok(None);
    };
    match Cache::open(dir, &input.roots, err) {
        Ok(cache) => Ok(Some(cache)),
        Err(e) => {
            writeln!(
                err,
                "frebscope: warning: not using the cache in {}: {e}",
                terminal(&dir.display().to_string())
            )?;
            Ok(None)
        }
    }
}

/// One file's summary, or why it could not be read, with the stamp the cache keys it by.
type ReadResult = (Result<Trace, FileError>, Option<Stamp>);

/// Reads every file on a pool of `--threads` threads; results come back in file order, each
/// passed through `map` on the reader thread (so a run can keep less than the whole trace).
/// With a cache, an unchanged file's summary comes from it and the file is not opened.
fn read_all<R: Send>(
    input: &Input,
    // Taken, not borrowed: each discovered path is freed as its file is read, so a big share's
    // list is not held beside the records that copy the paths.
    files: Vec<PathBuf>,
    counters: &Counters,
    cache: Option<&Cache>,
    map: impl Fn(usize, Result<Trace, FileError>, Option<Stamp>) -> R + Sync,
) -> Result<Vec<R>> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(input.threads)
        .build()
        .context("could not start the reader threads")?;
    let progress = Progress::new(input.progress, files.len());
    let keep = |head: &Trace| input.filters.matches(head);
    let read_one = |path: &PathBuf| -> ReadResult {
        let Some(cache) = cache else {
            return (
                parse::parse_file_counted(path, &keep, &counters.bytes),
                None,
            );
        };
        let stamp = Stamp::of(path);
        if let Some(trace) = stamp.and_then(|s| cache.lookup(path, s, &input.filters)) {
            counters.hits.fetch_add(1, Ordering::Relaxed);
            return (Ok(trace), stamp);
        }
        (
            parse::parse_file_counted(path, &keep, &counters.bytes),
            stamp,
        )
    };
    let results = pool.install(|| {
        files
            .into_par_iter()
            .enumerate()
            .map(|(index, path)| {
                let (result, stamp) = read_one(&path);
                progress.tick();
                map(index, result, stamp)
            })
            .collect()
    });
    progress.finish();
    Ok(results)
}

/// A progress bar on stderr that appears only for runs longer than about a second, and only
/// when stderr is a terminal: short runs and pipes stay clean.
struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
    shown: AtomicBool,
}

impl Progress {
    fn new(enabled: bool, total: usize) -> Progress {
        let bar = (enabled && io::stderr().is_terminal()).then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::hidden());
            if let Ok(style) =
                ProgressStyle::with_template("{bar:40} {pos}/{len} traces, {per_sec}, {eta} left")
            {
                bar.set_style(style);
            }
            bar
        });
        Progress {
            bar,
            started: Instant::now(),
            shown: AtomicBool::new(false),
        }
    }

    fn tick(&self) {
        let Some(bar) = &self.bar else {
            return;
        };
        bar.inc(1);
        if self.started.elapsed() > Duration::from_secs(1)
            && !self.shown.swap(true, Ordering::Relaxed)
        {
            bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// The files a run writes, created before anything is read: a destination that cannot be
/// created fails in a millisecond, not after an hour on a share.
struct OutputFiles {
    csv: Option<BufWriter<File>>,
    skipped_csv: Option<BufWriter<File>>,
}

impl OutputFiles {
    fn create(format: &Format, input: &Input) -> Result<OutputFiles> {
        let csv = match format {
            Format::Csv(Target::File(path)) => Some(create(path)?),
            _ => None,
        };
        let skipped_csv = input.skipped_csv.as_deref().map(create).transpose()?;
        Ok(OutputFiles { csv, skipped_csv })
    }
}

fn run_scan(scan: &config::Scan, streams: &mut Streams<'_>) -> Result<RunStatus> {
    let started = Instant::now();
    let mut files = OutputFiles::create(&scan.format, &scan.input)?;
    if let Some(options) = &scan.html {
        // The HTML report shows every failing trace in depth: it keeps them whole.
        let collected = collect(&scan.input, &scan.diagnosis, streams.err)?;
        let hints = scan_hints(
            scan,
            &collected.farm,
            &collected.traces,
            &collected.analysis,
        );
        return report_scan(
            scan,
            collected,
            hints,
            started,
            &mut files,
            streams,
            |collected, report, err| write_html(&scan.input, options, collected, report, err),
        );
    }
    let mut collected = collect_compact(&scan.input, &scan.diagnosis, streams.err)?;
    let hints = scan_hints(
        scan,
        &collected.farm,
        &collected.traces,
        &collected.analysis,
    );
    // The hints were the last to read the process facts; the report reads only verdicts.
    collected.analysis.processes = Vec::new();
    report_scan(
        scan,
        collected,
        hints,
        started,
        &mut files,
        streams,
        |_, _, _| Ok(()),
    )
}

/// The configuration hints of a scan. Traces outside the filters were only read as far as
/// their head and have no verdict, so the hints of all traces are the hints of the matched
/// ones.
fn scan_hints<T: TraceFacts>(
    scan: &config::Scan,
    farm: &iis::diagnosis::FarmConfig,
    traces: &[T],
    analysis: &diagnose::Analysis,
) -> Vec<diagnose::Hint> {
    let hints = diagnose::hints(traces, analysis);
    if farm.servers.is_empty() {
        return hints;
    }
    iis::diagnosis::hints(farm, traces, analysis, hints, &scan.input.filters.status)
}

/// The summary of a scan, in its format, then what every run ends with.
fn report_scan<T: TraceFacts + overview::TriedAlone + Send + 'static>(
    scan: &config::Scan,
    collected: Collected<T>,
    hints: Vec<diagnose::Hint>,
    started: Instant,
    files: &mut OutputFiles,
    streams: &mut Streams<'_>,
    html: impl FnOnce(&Collected<T>, &ScanReport<'_>, &mut dyn Write) -> Result<()>,
) -> Result<RunStatus> {
    let Collected {
        traces,
        analysis,
        matched,
        ..
    } = &collected;
    let totals = collected.totals();
    let reporting = Instant::now();
    let diagnoses = &analysis.diagnoses;
    let verdicts = aggregate::verdict_counts(traces, diagnoses, matched);
    let groups = aggregate::group(traces, diagnoses, matched, scan.by);
    let overview = overview::overview(traces, diagnoses, matched, &scan.input.filters);
    // The most telling failure of the top group; none without failures (never a 404).
    let example = overview.example.as_ref().map(|p| p.display().to_string());
    let open_example = example.map(|file| {
        suggest::show_line(
            suggest::platform_shell(),
            &file,
            &scan.input.roots,
            &scan.diagnosis,
        )
    });
    let report = ScanReport {
        totals: &totals,
        verdicts: &verdicts,
        by: scan.by,
        groups: &groups,
        hints: &hints,
        elapsed: started.elapsed(),
        overview: &overview,
        open_example,
    };
    let table = TableReporter {
        color: scan.color,
        width: streams.width,
        options: scan.table,
    };
    emit(
        &scan.format,
        &table,
        &scan.data,
        true,
        streams,
        files,
        &totals,
        |r, out| r.scan(&report, out),
    )?;
    html(&collected, &report, streams.err)?;
    finish(&scan.input, collected, reporting, files, streams)
}

fn run_requests(requests: &config::Requests, streams: &mut Streams<'_>) -> Result<RunStatus> {
    let started = Instant::now();
    let mut files = OutputFiles::create(&requests.format, &requests.input)?;
    let collected = collect(&requests.input, &requests.diagnosis, streams.err)?;
    let totals = collected.totals();
    let reporting = Instant::now();
    let diagnoses = &collected.analysis.diagnoses;
    let mut rows: Vec<RequestRow> = collected
        .matched
        .iter()
        .map(|&i| RequestRow::new(&collected.traces[i], &diagnoses[i]))
        .collect();
    requests.rows.apply(&mut rows);
    let overview = overview::overview(
        &collected.traces,
        diagnoses,
        &collected.matched,
        &requests.input.filters,
    );
    let report = RequestsReport {
        totals: &totals,
        rows: &rows,
        elapsed: started.elapsed(),
        overview: &overview,
    };
    let table = TableReporter {
        color: requests.color,
        width: streams.width,
        options: requests.table,
    };
    emit(
        &requests.format,
        &table,
        &requests.data,
        false,
        streams,
        &mut files,
        &totals,
        |r, out| r.requests(&report, out),
    )?;
    drop(rows);
    finish(&requests.input, collected, reporting, &mut files, streams)
}

/// Writes the HTML report of a scan to its file.
fn write_html(
    input: &Input,
    options: &HtmlOptions,
    collected: &Collected,
    report: &ScanReport<'_>,
    err: &mut dyn Write,
) -> Result<()> {
    let mut markers = html::process_markers(&collected.traces, &collected.analysis);
    markers.extend(event_markers(&collected.events.events));
    let findings = html_findings(&collected.farm);
    let lives = timeline::build(
        &collected.traces,
        &collected.analysis.diagnoses,
        &collected.analysis.processes,
        &collected.matched,
        &collected.events.events,
    );
    let reporter = HtmlReporter {
        run: html::RunData {
            traces: &collected.traces,
            diagnoses: &collected.analysis.diagnoses,
            matched: &collected.matched,
            skipped: &collected.skipped,
            roots: &input.roots,
            filters: &input.filters,
        },
        options,
        markers: &markers,
        findings: &findings,
        lives: &lives,
    };
    let path = &options.path;
    let mut file = create(path)?;
    reporter
        .scan(report, &mut file)
        .and_then(|()| file.flush())
        .with_context(|| format!("could not write {}", path.display()))?;
    writeln!(
        err,
        "frebscope: wrote {}",
        terminal(&path.display().to_string())
    )?;
    Ok(())
}

/// The events worth a line on the report's time axis: idle shutdowns, recycles, crashes and
/// hangs. Event logs name a server by its full DNS name, traces by its short one.
fn event_markers(events: &[events::ServerEvent]) -> Vec<html::Marker> {
    use events::EventKind;
    events
        .iter()
        .filter_map(|e| {
            let kind = match e.kind {
                EventKind::IdleShutdown => html::MarkerKind::IdleShutdown,
                EventKind::Recycle => html::MarkerKind::Recycle,
                EventKind::Crash | EventKind::Hang | EventKind::AppCrash => html::MarkerKind::Crash,
                EventKind::RapidFail | EventKind::AppStartFailed => html::MarkerKind::Other,
                _ => return None,
            };
            let mut label = format!("{} {}", e.label(), e.kind.as_str());
            if let Some(pool) = &e.pool {
                label.push_str(&format!(": pool {pool}"));
            }
            if let Some(pid) = e.pid {
                label.push_str(&format!(", process {pid}"));
            }
            Some(html::Marker {
                server: e.server.split('.').next().unwrap_or(&e.server).to_owned(),
                time: e.time,
                kind,
                label,
            })
        })
        .collect()
}

impl<T: TraceFacts> Collected<T> {
    fn totals(&self) -> Totals {
        let mut totals = Totals::new(&self.traces, &self.matched, &self.skipped);
        totals.not_traces = count_ignored(&self.ignored, discover::Why::NotATrace);
        totals.links_not_followed = count_ignored(&self.ignored, discover::Why::LinkNotFollowed);
        totals
    }
}

/// After the report: the skipped files, the statistics, and the exit status.
fn finish<T: TraceFacts + Send + 'static>(
    input: &Input,
    collected: Collected<T>,
    reporting: Instant,
    files: &mut OutputFiles,
    streams: &mut Streams<'_>,
) -> Result<RunStatus> {
    report_skipped(input.verbose, &collected.skipped, streams.err)?;
    report_unparsed(input, &collected.traces, streams.err)?;
    if input.verbose {
        report_ignored(&collected.ignored, streams.err)?;
    }
    if let (Some(path), Some(file)) = (&input.skipped_csv, files.skipped_csv.as_mut()) {
        write_skipped_csv(path, &collected.skipped, file)?;
    }
    let events_partial = report_event_problems(&collected.events, input.verbose, streams.err)?;
    if !input.events.paths.is_empty() {
        writeln!(
            streams.err,
            "frebscope: events: {}",
            events::listing::summary(&collected.events)
        )?;
    }
    if input.stats {
        write_stats(&collected.stats, reporting.elapsed(), streams.err)?;
    }
    let status = if collected.skipped.is_empty() && !events_partial {
        RunStatus::Complete
    } else {
        RunStatus::Partial
    };
    release(collected);
    Ok(status)
}

/// Frees what a run read on a thread of its own: on a big share, freeing every trace takes
/// longer than writing the report, and the process can end without waiting for it.
fn release<T: Send + 'static>(collected: Collected<T>) {
    // When the thread cannot start, the closure is dropped here, and `collected` with it.
    let _ = std::thread::Builder::new()
        .name("release".into())
        .spawn(move || drop(collected));
}

/// Writes the main output in its format: the table on stdout unless stdout carries CSV or
/// JSON; CSV to its file or stdout. With a CSV file, the terminal gets the table when it is
/// a summary (`scan`) and only the totals when it would repeat the file row by row
/// (`requests`). The `requests` JSON stream holds only records: its totals go to stderr
/// unless `--totals` puts them in the stream.
#[allow(clippy::too_many_arguments)]
fn emit(
    format: &Format,
    table: &TableReporter,
    data: &DataOptions,
    table_with_file: bool,
    streams: &mut Streams<'_>,
    files: &mut OutputFiles,
    totals: &Totals,
    write: impl Fn(&dyn Reporter, &mut dyn Write) -> io::Result<()>,
) -> Result<()> {
    let json = JsonReporter {
        totals: data.totals,
        elapsed: !data.no_elapsed,
    };
    let csv = CsvReporter { excel: data.excel };
    match format {
        Format::Table => write(table, streams.out)?,
        Format::Json => {
            write(&json, streams.out)?;
            // `scan` writes one document with its totals in it; a stream of records does not.
            if !table_with_file && !data.totals {
                writeln!(streams.err, "{}", totals_line(totals))?;
            }
        }
        Format::Csv(Target::Stdout) => {
            write(&csv, streams.out)?;
            writeln!(streams.err, "{}", totals_line(totals))?;
        }
        Format::Csv(Target::File(path)) => {
            if table_with_file {
                write(table, streams.out)?;
            } else {
                writeln!(streams.out, "{}", totals_line(totals))?;
            }
            let Some(file) = files.csv.as_mut() else {
                anyhow::bail!("{} was not created", path.display());
            };
            write(&csv, file).with_context(|| format!("could not write {}", path.display()))?;
            file.flush()
                .with_context(|| format!("could not write {}", path.display()))?;
            writeln!(
                streams.err,
                "frebscope: wrote {}",
                terminal(&path.display().to_string())
            )?;
        }
    }
    streams.out.flush()?;
    Ok(())
}

fn create(path: &Path) -> Result<BufWriter<File>> {
    let file = File::create(path).with_context(|| {
        format!(
            "could not create {} (check that its folder exists and is writable)",
            path.display()
        )
    })?;
    Ok(BufWriter::new(file))
}

fn totals_line(totals: &Totals) -> String {
    format!(
        "frebscope: {} files found, {} read, {} skipped, {} matched",
        totals.found, totals.analyzed, totals.skipped, totals.matched
    )
}

/// Names skipped files on stderr, and writes them all with `--skipped-csv`.
fn report_skipped(verbose: bool, skipped: &[FileError], err: &mut dyn Write) -> Result<()> {
    if !skipped.is_empty() {
        writeln!(
            err,
            "frebscope: skipped {} file{}:",
            skipped.len(),
            if skipped.len() == 1 { "" } else { "s" }
        )?;
        let shown = if verbose {
            skipped.len()
        } else {
            SKIPPED_SHOWN
        };
        for e in skipped.iter().take(shown) {
            let path = e.path.display().to_string();
            writeln!(
                err,
                "  {}: {}: {}",
                terminal(&path),
                e.reason,
                terminal(&e.detail)
            )?;
        }
        if skipped.len() > shown {
            writeln!(
                err,
                "  ... and {} more (all of them with --verbose or --skipped-csv FILE)",
                skipped.len() - shown
            )?;
        }
    }
    Ok(())
}

/// Writes every skipped file to the `--skipped-csv` file created at the start of the run.
fn write_skipped_csv(path: &Path, skipped: &[FileError], file: &mut BufWriter<File>) -> Result<()> {
    {
        let mut writer = crate::sanitize::csv_writer(&mut *file);
        writer.write_record(["file", "reason", "detail"])?;
        for e in skipped {
            let path = e.path.display().to_string();
            writer.write_record([
                csv_cell(&path).as_ref(),
                e.reason.as_str(),
                csv_cell(&e.detail).as_ref(),
            ])?;
        }
        writer.flush()?;
    }
    file.flush()
        .with_context(|| format!("could not write {}", path.display()))?;
    Ok(())
}

/// Names the traces holding values that could not be parsed, and what they held.
fn report_unparsed<T: TraceFacts>(input: &Input, traces: &[T], err: &mut dyn Write) -> Result<()> {
    let with: Vec<&T> = traces.iter().filter(|t| !t.unparsed().is_empty()).collect();
    let shown = if input.verbose {
        with.len()
    } else {
        SKIPPED_SHOWN
    };
    for trace in with.iter().take(shown) {
        let values: Vec<String> = trace
            .unparsed()
            .iter()
            .map(|u| format!("{} \"{}\"", u.field, terminal(&u.value)))
            .collect();
        writeln!(
            err,
            "frebscope: warning: {}: unparseable {} (left empty)",
            terminal(&trace.file().display().to_string()),
            values.join(", ")
        )?;
    }
    if with.len() > shown {
        writeln!(
            err,
            "frebscope: warning: ... and {} more traces with unparseable values (--verbose names them)",
            with.len() - shown
        )?;
    }
    Ok(())
}

fn count_ignored(ignored: &[discover::Ignored], why: discover::Why) -> usize {
    ignored.iter().filter(|i| i.why == why).count()
}

/// Names, with `--verbose`, the files discovery looked at and left alone.
fn report_ignored(ignored: &[discover::Ignored], err: &mut dyn Write) -> Result<()> {
    if ignored.is_empty() {
        return Ok(());
    }
    writeln!(
        err,
        "frebscope: ignored {} file{}:",
        ignored.len(),
        if ignored.len() == 1 { "" } else { "s" }
    )?;
    for i in ignored {
        let path = i.path.display().to_string();
        writeln!(err, "  {}: {}", terminal(&path), i.why.describe())?;
    }
    Ok(())
}

fn write_stats(stats: &Stats, report: Duration, err: &mut dyn Write) -> Result<()> {
    let mib = stats.bytes as f64 / (1024.0 * 1024.0);
    let read = stats.read.as_secs_f64();
    writeln!(err, "frebscope stats:")?;
    writeln!(err, "  files        {}", stats.files)?;
    writeln!(err, "  threads      {}", stats.threads)?;
    writeln!(err, "  bytes read   {:.1} MiB", mib)?;
    writeln!(
        err,
        "  throughput   {:.0} MiB/s, {:.0} files/s",
        if read > 0.0 { mib / read } else { 0.0 },
        if read > 0.0 {
            stats.files as f64 / read
        } else {
            0.0
        }
    )?;
    writeln!(err, "  discover     {:.3} s", stats.discover.as_secs_f64())?;
    writeln!(err, "  read+parse   {:.3} s", read)?;
    writeln!(err, "  diagnose     {:.3} s", stats.diagnose.as_secs_f64())?;
    writeln!(err, "  report       {:.3} s", report.as_secs_f64())?;
    if let Some((hits, file)) = &stats.cached {
        writeln!(
            err,
            "  cache        {hits} of {} traces unchanged, from {}",
            stats.files,
            terminal(&file.display().to_string())
        )?;
    }
    Ok(())
}

/// `show`: every trace named (folders and patterns through discovery) and every `--context`
/// neighbour are read as one input, as `scan` reads its roots, so that the cross-trace rules
/// (process generations, ARR links) give the verdict `scan` gives. Each named trace is then
/// read in full and printed.
fn run_show(config: &config::Show, streams: &mut Streams<'_>) -> Result<RunStatus> {
    let (farm, config_errors) = load_iis_config(&config.iis_config, &[], streams.err)?;
    let targets = discover::discover(&config.files);
    warn_empty_patterns(&targets.empty_patterns, streams.err)?;
    if targets.files.is_empty() && targets.errors.is_empty() {
        anyhow::bail!(
            "no trace files (fr*.xml) found in {}; name a trace file, or a folder that holds some",
            roots_text(&config.files)
        );
    }
    let neighbours = discover::discover(&config.context);
    warn_empty_patterns(&neighbours.empty_patterns, streams.err)?;
    let mut seen: HashSet<PathBuf> = targets.files.iter().map(|p| identity(p)).collect();
    let neighbour_files: Vec<&PathBuf> = neighbours
        .files
        .iter()
        .filter(|p| seen.insert(identity(p)))
        .collect();
    // The traces shown are read once, in full, for their summaries and their events; the
    // neighbours only for the cross-trace rules, with the fast reader.
    let read = |path: &PathBuf| parse::parse_file(path, &|_| true);
    let (mut shown_files, neighbour_results): (show::read::Targets, Vec<_>) = rayon::join(
        || show::read::Targets::read(&targets.files),
        || neighbour_files.par_iter().map(|p| read(p)).collect(),
    );
    let mut failed_targets = targets.errors;
    failed_targets.append(&mut shown_files.failed);
    let mut traces: Vec<Trace> = std::mem::take(&mut shown_files.traces);
    let shown_count = traces.len();
    let mut skipped_neighbours = neighbours.errors;
    for result in neighbour_results {
        match result {
            Ok(trace) => traces.push(trace),
            Err(e) => skipped_neighbours.push(e),
        }
    }
    let event_log = read_events(&config.events);
    let mut analysis = analyze(&traces, &event_log.events, &config.diagnosis, &farm);
    // What `scan` would advise about each shown failure (the HTML page has no place for it).
    let hints: Vec<Vec<diagnose::Hint>> = (0..shown_count)
        .map(|i| match config.html {
            None => show::hints::for_trace(&traces, &mut analysis, &farm, i),
            Some(_) => Vec::new(),
        })
        .collect();
    let diagnoses = analysis.diagnoses;
    let mut status = if config_errors.is_empty() {
        RunStatus::Complete
    } else {
        RunStatus::Partial
    };
    if report_event_problems(&event_log, false, streams.err)? {
        status = RunStatus::Partial;
    }
    let shown: Vec<(&Trace, &Diagnosis)> =
        traces.iter().zip(&diagnoses).take(shown_count).collect();
    if let Some(target) = &config.html {
        show_html(
            target,
            &shown,
            &mut shown_files,
            &mut failed_targets,
            streams.err,
        )?;
    } else {
        for (i, ((trace, diagnosis), hints)) in shown.into_iter().zip(&hints).enumerate() {
            match shown_files.take_document(i, &trace.file) {
                Ok(document) if config.json => {
                    show::json::write(&trace.file, &document, trace, diagnosis, hints, streams.out)?
                }
                Ok(document) => show::render_with_hints(
                    &trace.file,
                    &document,
                    diagnosis,
                    hints,
                    show::Page {
                        zone: crate::report::clock::Zone::new(config.local),
                        width: streams.width.map_or(show::Page::FIXED_WIDTH, usize::from),
                    },
                    &config.view,
                    streams.out,
                )?,
                Err(e) => failed_targets.push(e),
            }
        }
        streams.out.flush()?;
    }
    failed_targets.sort_by(|a, b| a.path.cmp(&b.path));
    for e in &failed_targets {
        writeln!(streams.err, "frebscope: {}", terminal(&e.to_string()))?;
        status = RunStatus::Partial;
    }
    if !skipped_neighbours.is_empty() {
        skipped_neighbours.sort_by(|a, b| a.path.cmp(&b.path));
        let n = skipped_neighbours.len();
        writeln!(
            streams.err,
            "frebscope: {n} neighbouring trace{} could not be read; the cross-trace rules ran without {}",
            if n == 1 { "" } else { "s" },
            if n == 1 { "it" } else { "them" },
        )?;
        report_skipped(false, &skipped_neighbours, streams.err)?;
        status = RunStatus::Partial;
    }
    Ok(status)
}

/// `show --html`: every trace on one page, each read when its turn comes.
fn show_html(
    target: &Path,
    shown: &[(&Trace, &Diagnosis)],
    documents: &mut show::read::Targets,
    failed: &mut Vec<FileError>,
    err: &mut dyn Write,
) -> Result<()> {
    let paths: Vec<PathBuf> = shown.iter().map(|(t, _)| t.file.clone()).collect();
    let by_path: HashMap<&Path, (usize, &Diagnosis)> = shown
        .iter()
        .enumerate()
        .map(|(i, (t, d))| (t.file.as_path(), (i, *d)))
        .collect();
    let mut file = create(target)?;
    html::write_show(
        &paths,
        |path| {
            let (index, diagnosis) = by_path
                .get(path)
                .map_or((usize::MAX, None), |(i, d)| (*i, Some(*d)));
            let document = documents
                .take_document(index, path)
                .inspect_err(|e| failed.push(e.clone()))?;
            let diagnosis = diagnosis.map_or_else(Diagnosis::not_applicable, Clone::clone);
            Ok((document, diagnosis))
        },
        &mut file,
    )
    .and_then(|()| file.flush())
    .with_context(|| format!("could not write {}", target.display()))?;
    writeln!(
        err,
        "frebscope: wrote {}",
        terminal(&target.display().to_string())
    )?;
    Ok(())
}

fn warn_empty_patterns(patterns: &[String], err: &mut dyn Write) -> Result<()> {
    for pattern in patterns {
        writeln!(
            err,
            "frebscope: warning: pattern '{}' matched no files",
            terminal(pattern)
        )?;
    }
    Ok(())
}

fn roots_text(roots: &[Root]) -> String {
    let names: Vec<String> = roots
        .iter()
        .map(|r| match r {
            Root::Dir(p) | Root::File(p) => terminal(&p.display().to_string()).into_owned(),
            Root::Pattern(p) => terminal(p).into_owned(),
        })
        .collect();
    names.join(", ")
}

/// One file reached by two paths (`x.xml` and `./x.xml`, a trace named and inside its
/// `--context`) is read once.
fn identity(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Diagnoses with the configured timeouts where the configuration of a trace's server is known.
fn analyze(
    traces: &[Trace],
    events: &[events::ServerEvent],
    base: &diagnose::Options,
    farm: &iis::diagnosis::FarmConfig,
) -> diagnose::Analysis {
    if farm.servers.is_empty() {
        return diagnose::analyze_with_events(traces, events, base);
    }
    diagnose::analyze_in_context(traces, events, base, &|t| farm.options_for(t, base))
}

/// The IIS configuration of a run, loaded on a thread of its own while the traces are found
/// and read: finding the configuration files under the roots is a walk of its own, and on a
/// share its round trips would otherwise come after all the reading.
struct ConfigLoad {
    thread: std::thread::JoinHandle<(LoadedConfig, Vec<u8>)>,
}

/// The IIS configuration of a run, and the files that could not be read.
type LoadedConfig = Result<(iis::diagnosis::FarmConfig, Vec<FileError>)>;

impl ConfigLoad {
    fn start(input: &Input) -> ConfigLoad {
        let given = input.iis_config.clone();
        let roots = input.roots.clone();
        ConfigLoad {
            thread: std::thread::spawn(move || {
                let mut notes = Vec::new();
                let loaded = load_iis_config(&given, &roots, &mut notes);
                (loaded, notes)
            }),
        }
    }

    /// The configuration, its notes written to `err` now, where a run without the thread
    /// wrote them.
    fn finish(self, err: &mut dyn Write) -> Result<(iis::diagnosis::FarmConfig, Vec<FileError>)> {
        let (loaded, notes) = self
            .thread
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        err.write_all(&notes)?;
        loaded
    }
}

/// The IIS configuration of a run: `--config` inputs and configuration files under the
/// folders read. Files that could not be read come back as skipped entries (exit 2).
fn load_iis_config(
    given: &[iis::paths::Input],
    roots: &[Root],
    err: &mut dyn Write,
) -> Result<(iis::diagnosis::FarmConfig, Vec<FileError>)> {
    let mut inputs = given.to_vec();
    for root in roots {
        if let Root::Dir(dir) = root {
            let (found, _) = iis::paths::walk(dir);
            inputs.extend(
                found
                    .into_iter()
                    .map(|path| iis::paths::Input { server: None, path }),
            );
        }
    }
    if inputs.is_empty() {
        return Ok((iis::diagnosis::FarmConfig::default(), Vec::new()));
    }
    let loaded = iis::load(&inputs);
    for note in &loaded.notes {
        writeln!(err, "frebscope: config: {}", terminal(note))?;
    }
    let errors = loaded
        .files
        .iter()
        .filter_map(|f| {
            f.error.as_ref().map(|e| FileError {
                path: PathBuf::from(&f.path),
                reason: crate::error::SkipReason::Malformed,
                detail: e.clone(),
            })
        })
        .collect();
    Ok((
        iis::diagnosis::FarmConfig {
            servers: loaded.servers,
        },
        errors,
    ))
}

/// `frebscope config`: the audit as a table, JSON or CSV; exit 2 when a file was not read.
fn run_config(config: &config::ConfigAudit, streams: &mut Streams<'_>) -> Result<RunStatus> {
    let audit = iis::audit(&config.inputs);
    match &config.format {
        Format::Table => {
            iis::report::write_table(&audit, streams.width.or(Some(160)), streams.out)?
        }
        Format::Json => iis::report::write_json(&audit, streams.out)?,
        Format::Csv(Target::Stdout) => iis::report::write_csv(&audit, streams.out)?,
        Format::Csv(Target::File(path)) => {
            iis::report::write_table(&audit, streams.width.or(Some(160)), streams.out)?;
            let mut file = create(path)?;
            iis::report::write_csv(&audit, &mut file)
                .with_context(|| format!("could not write {}", path.display()))?;
            file.flush()
                .with_context(|| format!("could not write {}", path.display()))?;
            writeln!(
                streams.err,
                "frebscope: wrote {}",
                terminal(&path.display().to_string())
            )?;
        }
    }
    streams.out.flush()?;
    for note in &audit.notes {
        writeln!(streams.err, "frebscope: {}", terminal(note))?;
    }
    let failed: Vec<_> = audit.files.iter().filter(|f| f.error.is_some()).collect();
    for f in &failed {
        writeln!(
            streams.err,
            "frebscope: not read: {}",
            terminal(f.error.as_deref().unwrap_or(""))
        )?;
    }
    Ok(if failed.is_empty() {
        RunStatus::Complete
    } else {
        RunStatus::Partial
    })
}

/// The configuration findings of the servers a scan read configuration for, for the HTML
/// report.
fn html_findings(farm: &iis::diagnosis::FarmConfig) -> Vec<html::ConfigFinding> {
    use iis::findings::Severity;
    iis::servers_findings(&farm.servers)
        .into_iter()
        .map(|f| {
            let place: Vec<String> = [("server", &f.server), ("pool", &f.pool), ("site", &f.site)]
                .iter()
                .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k} {v}")))
                .collect();
            let command = f
                .fix
                .iter()
                .map(|x| format!("{}> {}", x.shell.as_str(), x.command))
                .collect::<Vec<_>>()
                .join("\n");
            html::ConfigFinding {
                level: match f.severity {
                    Severity::High => html::FindingLevel::Error,
                    Severity::Medium => html::FindingLevel::Warning,
                    Severity::Low | Severity::Info => html::FindingLevel::Info,
                },
                title: format!(
                    "{} ({}): {} = {}",
                    f.id,
                    place.join(", "),
                    f.setting,
                    f.value
                ),
                detail: f.why,
                source: f.source,
                command: (!command.is_empty()).then_some(command),
            }
        })
        .collect()
}
