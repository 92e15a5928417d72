//! Laying out the page: the view values the templates draw, built from the typed results of a
//! run, and the order the parts are written in.
//!
//! The page is written in three parts so that the trace sections can be streamed: the head
//! (run, verdicts, charts, groups, hints, configuration), one section per trace, rendered a
//! few at a time on the rayon pool, and the tail (the traces beyond the cap, the script).

use std::collections::HashMap;
use std::ffi::OsStr;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use askama::Template;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::HtmlReporter;
use super::drilldown::{TraceView, short_time, status_class};
use super::histogram::{self, Chart, Point, SERIES, series_label, verdict_class};
use super::hooks::{ConfigFinding, MarkerKind};
use super::lanes;
use crate::aggregate::GroupBy;
use crate::aggregate::{self, Group, GroupKey, Totals};
use crate::codes;
use crate::diagnose::Hint;
use crate::discover::Root;
use crate::error::FileError;
use crate::filter::{Filters, StatusFilter};
use crate::model::{Diagnosis, Trace, Verdict};
use crate::parse::full;
use crate::report::{RequestsReport, ScanReport};
use crate::sanitize::terminal;
use crate::show::text::{LONG, SHORT, one_line};

/// The page's only style sheet.
const CSS: &str = include_str!("style.css");
/// The page's only script: sorting, filtering, copy buttons; the page reads without it.
const SCRIPT: &str = include_str!("script.js");
/// Traces past the cap listed by file; past this, only counted.
const MAX_REST: usize = 5000;
/// Skipped files named; past this, only counted.
const MAX_SKIPPED: usize = 200;
/// Member traces linked from a group row.
const MAX_GROUP_LINKS: usize = 12;
/// Trace sections rendered at once: bounds the memory of full reads.
const CHUNK: usize = 8;
/// A file larger than this gets no section: its full read holds it all in memory, and
/// [`CHUNK`] of them are read at once. IIS cuts traces at `maxLogFileSizeKB`, 1 MiB by default.
const MAX_SECTION_FILE: u64 = 16 * 1024 * 1024;

/// `sha256-...` of a text, as a Content-Security-Policy source.
fn csp_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// Nothing may load; the inline style sheet and script only by hash.
fn csp() -> String {
    format!(
        "default-src 'none'; style-src {}; script-src {}; img-src 'none'; base-uri 'none'; form-action 'none'",
        csp_hash(CSS),
        csp_hash(SCRIPT)
    )
}

/// The document head, shared by every page.
struct Top {
    title: String,
    csp: String,
    css: &'static str,
}

impl Top {
    fn new(title: String) -> Top {
        Top {
            title,
            csp: csp(),
            css: CSS,
        }
    }
}

struct Pair {
    label: String,
    value: String,
}

struct RunView {
    inputs: Vec<String>,
    filters: Vec<Pair>,
    totals: Totals,
    skipped_reasons: Vec<Pair>,
    skipped: Vec<SkippedRow>,
    skipped_more: usize,
    span: String,
    servers: Vec<String>,
}

struct SkippedRow {
    file: String,
    reason: String,
    detail: String,
}

struct VerdictRow {
    verdict: &'static str,
    class: &'static str,
    count: usize,
    percent: u32,
    share: String,
    servers: String,
    pools: String,
}

struct TimelineView {
    step: String,
    span: String,
    charts: Vec<Chart>,
    marker_kinds: Vec<(&'static str, &'static str)>,
    legend: Vec<(&'static str, &'static str)>,
    /// Some chart has worker-process lanes.
    lanes: bool,
}

struct MixPart {
    class: &'static str,
    label: &'static str,
    count: usize,
}

struct GroupRow {
    keys: Vec<String>,
    verdict_class: &'static str,
    count: usize,
    mix: Vec<MixPart>,
    servers: String,
    first: String,
    last: String,
    p50: String,
    p95: String,
    top_url: String,
    links: Vec<usize>,
    links_more: usize,
    evidence: String,
}

struct CommandView {
    shell: &'static str,
    text: String,
}

struct HintView {
    title: String,
    advice: String,
    commands: Vec<CommandView>,
    note: String,
    pools: String,
    servers: String,
    count: usize,
}

struct FindingView {
    level: &'static str,
    title: String,
    detail: String,
    source: String,
    command: String,
}

struct TracesIntro {
    selected: usize,
    shown: usize,
    cap: usize,
    all: bool,
}

#[derive(Template)]
#[template(path = "report/scan.html")]
struct ScanHead {
    top: Top,
    run: RunView,
    verdicts: Vec<VerdictRow>,
    failures: usize,
    timeline: Option<TimelineView>,
    key_titles: Vec<&'static str>,
    groups: Vec<GroupRow>,
    hints: Vec<HintView>,
    findings: Vec<FindingView>,
    traces: TracesIntro,
}

#[derive(Template)]
#[template(path = "report/trace.html")]
struct TraceSection<'a> {
    t: &'a TraceView,
    open: bool,
}

/// A section that could not be drawn.
#[derive(Template)]
#[template(path = "report/trace_missing.html")]
struct MissingSection {
    anchor: usize,
    file: String,
    status: String,
    server: String,
    reason: String,
}

struct RestRow {
    file: String,
    started: String,
    status: String,
    status_class: &'static str,
    server: String,
    verdict: &'static str,
    verdict_class: &'static str,
}

#[derive(Template)]
#[template(path = "report/tail.html")]
struct Tail {
    rest: Vec<RestRow>,
    rest_more: usize,
    failed: Vec<SkippedRow>,
    script: &'static str,
}

#[derive(Template)]
#[template(path = "report/show.html")]
struct ShowHead {
    top: Top,
    files: Vec<String>,
}

#[derive(Template)]
#[template(path = "report/requests.html")]
struct RequestsPage {
    top: Top,
    run: RunView,
    rows: Vec<RequestView>,
    script: &'static str,
}

struct RequestView {
    file: String,
    started: String,
    server: String,
    status: String,
    verdict: String,
    url: String,
    evidence: String,
}

fn io_error(e: askama::Error) -> io::Error {
    io::Error::other(e.to_string())
}

/// Writes the scan report.
pub(super) fn write_scan(
    reporter: &HtmlReporter<'_>,
    report: &ScanReport<'_>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let run = &reporter.run;
    let selected = select(reporter);
    let shown = &selected[..selected.len().min(reporter.options.max_traces)];
    let anchors: HashMap<usize, usize> =
        shown.iter().enumerate().map(|(n, &i)| (i, n + 1)).collect();
    let head = ScanHead {
        top: Top::new(format!(
            "frebscope: {} failures on {}",
            failures(report),
            servers_title(&report.totals.servers)
        )),
        run: run_view(run.roots, run.filters, report.totals, run.skipped),
        verdicts: verdict_rows(report),
        failures: failures(report),
        timeline: timeline_view(reporter, &anchors),
        key_titles: key_titles(report.by),
        groups: group_rows(reporter, report, shown, &anchors),
        hints: report.hints.iter().map(hint_view).collect(),
        findings: reporter.findings.iter().map(finding_view).collect(),
        traces: TracesIntro {
            selected: selected.len(),
            shown: shown.len(),
            cap: reporter.options.max_traces,
            all: reporter.options.all_traces,
        },
    };
    head.write_into(out)?;
    drop(head);
    write_sections(reporter, shown, &anchors, out)?;
    let rest = &selected[shown.len()..];
    Tail {
        rest: rest
            .iter()
            .take(MAX_REST)
            .map(|&i| rest_row(&run.traces[i], &run.diagnoses[i]))
            .collect(),
        rest_more: rest.len().saturating_sub(MAX_REST),
        failed: Vec::new(),
        script: SCRIPT,
    }
    .write_into(out)
}

fn failures(report: &ScanReport<'_>) -> usize {
    report.verdicts.iter().map(|v| v.count).sum()
}

fn servers_title(servers: &[String]) -> String {
    match servers.len() {
        0 => "no server".into(),
        1 => one_line(&servers[0], SHORT),
        n => format!("{n} servers"),
    }
}

/// The traces that get a section or a line: matched, failing unless all were asked for, in
/// time order (file order for ties and for traces without a time).
fn select(reporter: &HtmlReporter<'_>) -> Vec<usize> {
    let run = &reporter.run;
    let mut selected: Vec<usize> = run
        .matched
        .iter()
        .copied()
        .filter(|&i| reporter.options.all_traces || run.traces[i].status.is_server_error())
        .collect();
    selected.sort_by(|&a, &b| {
        let (a, b) = (&run.traces[a], &run.traces[b]);
        a.start_time
            .cmp(&b.start_time)
            .then_with(|| a.file.cmp(&b.file))
    });
    selected
}

fn run_view(roots: &[Root], filters: &Filters, totals: &Totals, skipped: &[FileError]) -> RunView {
    let inputs = roots
        .iter()
        .map(|root| match root {
            Root::Dir(p) | Root::File(p) => one_line(&p.display().to_string(), LONG),
            Root::Pattern(p) => one_line(p, LONG),
        })
        .collect();
    let span = match (totals.first_seen, totals.last_seen) {
        (Some(first), Some(last)) => format!(
            "{} to {} UTC ({})",
            short_time(first),
            short_time(last),
            span_words(first, last)
        ),
        _ => "no trace with a time".into(),
    };
    RunView {
        inputs,
        filters: filter_pairs(filters),
        totals: totals.clone(),
        skipped_reasons: totals
            .skipped_by_reason
            .iter()
            .map(|(reason, count)| Pair {
                label: reason.to_string(),
                value: count.to_string(),
            })
            .collect(),
        skipped: skipped.iter().take(MAX_SKIPPED).map(skipped_row).collect(),
        skipped_more: skipped.len().saturating_sub(MAX_SKIPPED),
        span,
        servers: totals.servers.iter().map(|s| one_line(s, SHORT)).collect(),
    }
}

fn skipped_row(e: &FileError) -> SkippedRow {
    SkippedRow {
        file: one_line(&e.path.display().to_string(), LONG),
        reason: e.reason.to_string(),
        detail: one_line(&e.detail, LONG),
    }
}

fn span_words(first: DateTime<Utc>, last: DateTime<Utc>) -> String {
    let minutes = (last - first).num_minutes();
    match minutes {
        m if m < 120 => format!("{m} min"),
        m if m < 48 * 60 => format!("{} h {} min", m / 60, m % 60),
        m => format!("{} days {} h", m / 1440, (m % 1440) / 60),
    }
}

fn filter_pairs(filters: &Filters) -> Vec<Pair> {
    let mut pairs = Vec::new();
    let mut push = |label: &str, value: String| {
        if !value.is_empty() {
            pairs.push(Pair {
                label: label.to_owned(),
                value: one_line(&value, LONG),
            });
        }
    };
    push(
        "--status",
        filters
            .status
            .iter()
            .map(|s| match s {
                StatusFilter::Exact(status) => status.to_string(),
                StatusFilter::Code(code) => code.to_string(),
                StatusFilter::Range(lo, hi) => format!("{lo}-{hi}"),
            })
            .collect::<Vec<_>>()
            .join(","),
    );
    let time = |t: Option<DateTime<Utc>>| t.map(crate::report::rfc3339).unwrap_or_default();
    push("--since", time(filters.since));
    push("--until", time(filters.until));
    push("--server", filters.servers.join(","));
    push("--site", filters.sites.join(","));
    push("--app-pool", filters.app_pools.join(","));
    push("--url", filters.url.clone().unwrap_or_default());
    pairs
}

fn verdict_rows(report: &ScanReport<'_>) -> Vec<VerdictRow> {
    let total = failures(report).max(1);
    report
        .verdicts
        .iter()
        .map(|v| VerdictRow {
            verdict: v.verdict.as_str(),
            class: verdict_class(v.verdict),
            count: v.count,
            percent: (v.count * 100 / total) as u32,
            share: match v.count * 100 / total {
                0 => "<1%".into(),
                p => format!("{p}%"),
            },
            servers: list(&v.servers),
            pools: list(&v.app_pools),
        })
        .collect()
}

fn list(values: &[String]) -> String {
    one_line(&values.join(" "), LONG)
}

fn timeline_view(
    reporter: &HtmlReporter<'_>,
    anchors: &HashMap<usize, usize>,
) -> Option<TimelineView> {
    let run = &reporter.run;
    let points: Vec<Point> = run
        .matched
        .iter()
        .map(|&i| Point {
            trace: &run.traces[i],
            verdict: run.diagnoses[i].verdict,
            anchor: anchors.get(&i).copied(),
        })
        .collect();
    let (axis, mut charts) = histogram::charts(&points, reporter.markers)?;
    // The timeline names a failure by its file as displayed; the lanes link it to its section.
    let by_file: HashMap<String, usize> = anchors
        .iter()
        .map(|(&i, &a)| (run.traces[i].file.display().to_string(), a))
        .collect();
    for chart in &mut charts {
        chart.lanes = lanes::lanes(&chart.server, &axis, reporter.lives, &by_file);
        chart.height += chart.lanes.height;
        escape_lanes(&mut chart.lanes);
        chart.server = one_line(&chart.server, SHORT);
    }
    let mut kinds: Vec<MarkerKind> = reporter.markers.iter().map(|m| m.kind).collect();
    kinds.sort();
    kinds.dedup();
    let end = axis.time_of(axis.buckets);
    Some(TimelineView {
        step: axis.step_label(),
        span: format!(
            "{} to {} UTC",
            axis.start.format("%Y-%m-%d %H:%M"),
            end.format("%Y-%m-%d %H:%M")
        ),
        lanes: charts.iter().any(|c| !c.lanes.lanes.is_empty()),
        charts,
        marker_kinds: kinds.iter().map(|k| (k.class(), k.as_str())).collect(),
        legend: SERIES
            .iter()
            .map(|&v| (verdict_class(v), series_label(v)))
            .collect(),
    })
}

/// Pool names, URLs and event reasons come from traces and event logs: escaped as every
/// other string of the page.
fn escape_lanes(lanes: &mut lanes::Lanes) {
    for lane in &mut lanes.lanes {
        lane.label = one_line(&lane.label, SHORT);
        lane.title = one_line(&lane.title, LONG);
        if let Some(tail) = lane.tail.as_mut() {
            tail.title = one_line(&tail.title, LONG);
        }
        for dot in &mut lane.failures {
            dot.title = one_line(&dot.title, LONG);
        }
    }
    for row in &mut lanes.rows {
        row.pool = one_line(&row.pool, SHORT);
        row.started = one_line(&row.started, LONG);
        row.ended = one_line(&row.ended, LONG);
    }
}

fn key_titles(by: GroupBy) -> Vec<&'static str> {
    match by {
        GroupBy::Error => vec!["status", "module", "error code", "verdict"],
        GroupBy::Server => vec!["server"],
        GroupBy::AppPool => vec!["app pool"],
        GroupBy::Url => vec!["URL"],
        GroupBy::Hour => vec!["hour (UTC)"],
    }
}

fn key_cells(key: &GroupKey) -> Vec<String> {
    match key {
        GroupKey::Error {
            status,
            module,
            error_code,
            verdict,
        } => vec![
            status.to_string(),
            one_line(module, SHORT),
            error_code
                .map(|c| match codes::error_name(c) {
                    Some(name) => format!("{c} {name}"),
                    None => c.to_string(),
                })
                .unwrap_or_default(),
            verdict.to_string(),
        ],
        GroupKey::Server { server } => vec![one_line(server, SHORT)],
        GroupKey::AppPool { app_pool } => vec![one_line(app_pool, SHORT)],
        GroupKey::Url { url } => vec![one_line(url, LONG)],
        GroupKey::Hour { hour } => vec![hour.format("%Y-%m-%d %H:00").to_string()],
    }
}

fn group_rows(
    reporter: &HtmlReporter<'_>,
    report: &ScanReport<'_>,
    shown: &[usize],
    anchors: &HashMap<usize, usize>,
) -> Vec<GroupRow> {
    let run = &reporter.run;
    let index: HashMap<&GroupKey, usize> = report
        .groups
        .iter()
        .enumerate()
        .map(|(n, g)| (&g.key, n))
        .collect();
    let mut links: Vec<Vec<usize>> = vec![Vec::new(); report.groups.len()];
    for &i in shown {
        if let Some(key) = aggregate::key_of(&run.traces[i], &run.diagnoses[i], report.by)
            && let Some(&n) = index.get(&key)
            && let Some(&anchor) = anchors.get(&i)
        {
            links[n].push(anchor);
        }
    }
    let mut rows: Vec<(bool, GroupRow)> = report
        .groups
        .iter()
        .zip(links)
        .filter(|(g, _)| g.count > 0 || report.by == GroupBy::Hour)
        .map(|(g, links)| (failing(g), group_row(g, links)))
        .collect();
    // The failures are what the page is read for: their groups come first (the sort is
    // stable, so each part keeps the summary's order), except in time order by hour.
    if report.by != GroupBy::Hour {
        rows.sort_by_key(|(failing, _)| !failing);
    }
    rows.into_iter().map(|(_, row)| row).collect()
}

fn failing(group: &Group) -> bool {
    group.verdicts.keys().any(|&v| v != Verdict::NotApplicable)
}

fn group_row(g: &Group, mut links: Vec<usize>) -> GroupRow {
    let links_more = links.len().saturating_sub(MAX_GROUP_LINKS);
    links.truncate(MAX_GROUP_LINKS);
    let main = g
        .verdicts
        .iter()
        .max_by_key(|&(_, count)| *count)
        .map_or(Verdict::NotApplicable, |(&v, _)| v);
    GroupRow {
        keys: key_cells(&g.key),
        verdict_class: verdict_class(main),
        count: g.count,
        mix: SERIES
            .iter()
            .filter_map(|v| {
                g.verdicts.get(v).map(|&count| MixPart {
                    class: verdict_class(*v),
                    label: series_label(*v),
                    count,
                })
            })
            .collect(),
        servers: list(&g.servers),
        first: g.first_seen.map(short_time).unwrap_or_default(),
        last: g.last_seen.map(short_time).unwrap_or_default(),
        p50: g
            .time_taken_p50_ms
            .map(|ms| ms.to_string())
            .unwrap_or_default(),
        p95: g
            .time_taken_p95_ms
            .map(|ms| ms.to_string())
            .unwrap_or_default(),
        top_url: one_line(&g.top_url, LONG),
        links,
        links_more,
        evidence: one_line(&g.example_evidence, 600),
    }
}

/// A hint's command lines, each labelled with the shell it is written for; every value in
/// them is already quoted for that shell by the hint (see `crate::shell`).
fn commands(hint: &Hint) -> (Vec<CommandView>, String) {
    let views = hint
        .commands
        .iter()
        .map(|c| CommandView {
            shell: c.shell.label(),
            text: terminal(&c.line).into_owned(),
        })
        .collect();
    (views, String::new())
}

fn hint_view(hint: &Hint) -> HintView {
    let (commands, note) = commands(hint);
    HintView {
        title: one_line(&hint.title, 600),
        advice: one_line(&hint.advice, 2000),
        commands,
        note,
        pools: list(&hint.app_pools),
        servers: list(&hint.servers),
        count: hint.count,
    }
}

fn finding_view(finding: &ConfigFinding) -> FindingView {
    FindingView {
        level: finding.level.as_str(),
        title: one_line(&finding.title, 600),
        detail: one_line(&finding.detail, 2000),
        source: one_line(&finding.source, LONG),
        command: finding
            .command
            .as_deref()
            .map(|c| terminal(c).into_owned())
            .unwrap_or_default(),
    }
}

/// Renders the sections a few at a time, in order, each from its file read again in full.
fn write_sections(
    reporter: &HtmlReporter<'_>,
    shown: &[usize],
    anchors: &HashMap<usize, usize>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let run = &reporter.run;
    let by_file: HashMap<&OsStr, usize> = shown
        .iter()
        .map(|&i| (run.traces[i].file.as_os_str(), i))
        .collect();
    for chunk in shown.chunks(CHUNK) {
        let rendered: Vec<io::Result<String>> = chunk
            .par_iter()
            .map(|&i| {
                let trace = &run.traces[i];
                let diagnosis = &run.diagnoses[i];
                let linked = diagnosis
                    .linked_file
                    .as_deref()
                    .and_then(|f| by_file.get(f.as_os_str()))
                    .and_then(|j| anchors.get(j).copied());
                section(anchors[&i], trace, diagnosis, linked)
            })
            .collect();
        for html in rendered {
            out.write_all(html?.as_bytes())?;
        }
    }
    Ok(())
}

fn section(
    anchor: usize,
    trace: &Trace,
    diagnosis: &Diagnosis,
    linked: Option<usize>,
) -> io::Result<String> {
    let missing = |reason: String| {
        MissingSection {
            anchor,
            file: one_line(&trace.file.display().to_string(), LONG),
            status: trace.status.to_string(),
            server: one_line(&trace.server, SHORT),
            reason,
        }
        .render()
        .map_err(io_error)
    };
    let document = match read_full(&trace.file) {
        Ok(document) => document,
        Err(reason) => return missing(reason),
    };
    let view = TraceView::new(anchor, trace, &document, diagnosis, linked);
    TraceSection {
        t: &view,
        open: false,
    }
    .render()
    .map_err(io_error)
}

fn read_full(path: &Path) -> Result<full::Document, String> {
    let size = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
    if size > MAX_SECTION_FILE {
        return Err(format!(
            "the file is {} MiB, too large to include; frebscope show reads it",
            size / (1024 * 1024)
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    full::read_document(&bytes).map_err(|e| e.to_string())
}

fn rest_row(trace: &Trace, diagnosis: &Diagnosis) -> RestRow {
    RestRow {
        file: one_line(&trace.file.display().to_string(), LONG),
        started: trace.start_time.map(short_time).unwrap_or_default(),
        status: trace.status.to_string(),
        status_class: status_class(trace.status),
        server: one_line(&trace.server, SHORT),
        verdict: diagnosis.verdict.as_str(),
        verdict_class: verdict_class(diagnosis.verdict),
    }
}

/// Writes the page of `show --html`.
pub(super) fn write_show(
    paths: &[PathBuf],
    mut read: impl FnMut(&Path) -> Result<(full::Document, Diagnosis), FileError>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let title = match paths {
        [one] => format!(
            "frebscope show: {}",
            one_line(&one.display().to_string(), LONG)
        ),
        many => format!("frebscope show: {} traces", many.len()),
    };
    ShowHead {
        top: Top::new(title),
        files: paths
            .iter()
            .map(|p| one_line(&p.display().to_string(), LONG))
            .collect(),
    }
    .write_into(out)?;
    let mut failed = Vec::new();
    for (n, path) in paths.iter().enumerate() {
        let (document, diagnosis) = match read(path) {
            Ok(read) => read,
            Err(e) => {
                failed.push(skipped_row(&e));
                continue;
            }
        };
        let trace = document.summarize(path);
        let view = TraceView::new(n + 1, &trace, &document, &diagnosis, None);
        TraceSection {
            t: &view,
            open: true,
        }
        .write_into(out)?;
    }
    Tail {
        rest: Vec::new(),
        rest_more: 0,
        failed,
        script: SCRIPT,
    }
    .write_into(out)
}

/// Writes the page of `requests` in HTML: the run and one row per trace.
pub(super) fn write_requests(
    reporter: &HtmlReporter<'_>,
    report: &RequestsReport<'_>,
    out: &mut dyn Write,
) -> io::Result<()> {
    let run = &reporter.run;
    RequestsPage {
        top: Top::new(format!("frebscope: {} requests", report.rows.len())),
        run: run_view(run.roots, run.filters, report.totals, run.skipped),
        rows: report
            .rows
            .iter()
            .map(|r| RequestView {
                file: one_line(&r.file.display().to_string(), LONG),
                started: r.start_time.map(short_time).unwrap_or_default(),
                server: one_line(r.server, SHORT),
                status: r.status.map(|s| s.to_string()).unwrap_or_default(),
                verdict: r.verdict.to_string(),
                url: one_line(r.url, LONG),
                evidence: one_line(r.evidence, 600),
            })
            .collect(),
        script: SCRIPT,
    }
    .write_into(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::html::hooks::FindingLevel;
    use crate::report::html::{HtmlOptions, RunData};
    use crate::shell::{FixLine, Shell};

    fn hint(lines: &[(Shell, &str)], pools: &[&str]) -> Hint {
        Hint {
            title: "t".into(),
            advice: "a".into(),
            commands: lines.iter().map(|(s, l)| FixLine::new(*s, *l)).collect(),
            app_pools: pools.iter().map(|p| (*p).to_owned()).collect(),
            servers: vec!["WEB01".into()],
            count: 1,
        }
    }

    #[test]
    fn each_command_line_is_shown_with_its_shell() {
        let cmd = "%windir%\\system32\\inetsrv\\appcmd.exe set apppool /apppool.name:\"Orders\" /x";
        let ps = "Set-ItemProperty -LiteralPath 'IIS:\\AppPools\\Orders' -Name x -Value 1";
        let (views, note) = commands(&hint(
            &[(Shell::Cmd, cmd), (Shell::PowerShell, ps)],
            &["Orders"],
        ));
        assert_eq!((views[0].shell, views[0].text.as_str()), ("cmd", cmd));
        assert_eq!((views[1].shell, views[1].text.as_str()), ("PowerShell", ps));
        assert!(note.is_empty());
        let (views, _) = commands(&hint(&[(Shell::PowerShell, "x\u{1b}[2J")], &[]));
        assert_eq!(views[0].text, "x\\x1b[2J");
    }

    #[test]
    fn the_requests_page_lists_each_row_escaped() {
        let trace = Trace {
            file: "fr<b>1.xml".into(),
            server: "WEB\u{1b}[31m01".into(),
            url: "/a?x=\"><script>alert(1)</script>".into(),
            status: crate::model::Status::new(502, 3),
            ..Trace::default()
        };
        let diagnosis = Diagnosis::not_applicable();
        let rows = [crate::report::RequestRow::new(&trace, &diagnosis)];
        let totals = Totals::default();
        let filters = Filters::default();
        let options = HtmlOptions {
            path: "r.html".into(),
            all_traces: false,
            max_traces: 10,
        };
        let reporter = HtmlReporter {
            run: RunData {
                traces: &[],
                diagnoses: &[],
                matched: &[],
                skipped: &[],
                roots: &[],
                filters: &filters,
            },
            options: &options,
            markers: &[],
            findings: &[],
            lives: &crate::timeline::Timeline::default(),
        };
        let report = RequestsReport {
            totals: &totals,
            rows: &rows,
            elapsed: std::time::Duration::ZERO,
            overview: &crate::overview::Overview::default(),
        };
        let mut out = Vec::new();
        write_requests(&reporter, &report, &mut out).unwrap();
        let html = String::from_utf8(out).unwrap();
        assert!(html.contains("<td>502.3</td>"));
        assert!(html.contains("fr&#60;b&#62;1.xml"));
        assert!(html.contains("WEB\\x1b[31m01"), "terminal escapes too");
        assert!(html.contains("&#60;script&#62;alert(1)"));
        assert_eq!(html.matches("<script").count(), 1);
    }

    #[test]
    fn configuration_findings_get_their_section_escaped() {
        let totals = Totals::default();
        let filters = Filters::default();
        let options = HtmlOptions {
            path: "r.html".into(),
            all_traces: false,
            max_traces: 10,
        };
        let findings = [ConfigFinding {
            level: FindingLevel::Warning,
            title: "idleTimeout is 20 min on <script>alert(1)</script>".into(),
            detail: "d".into(),
            source: "applicationHost.config".into(),
            command: Some("appcmd set apppool \"</pre><b>\"".into()),
        }];
        let reporter = HtmlReporter {
            run: RunData {
                traces: &[],
                diagnoses: &[],
                matched: &[],
                skipped: &[],
                roots: &[],
                filters: &filters,
            },
            options: &options,
            markers: &[],
            findings: &findings,
            lives: &crate::timeline::Timeline::default(),
        };
        let report = ScanReport {
            totals: &totals,
            verdicts: &[],
            by: GroupBy::Error,
            groups: &[],
            hints: &[],
            elapsed: std::time::Duration::ZERO,
            overview: &crate::overview::Overview::default(),
            open_example: None,
        };
        let mut out = Vec::new();
        write_scan(&reporter, &report, &mut out).unwrap();
        let html = String::from_utf8(out).unwrap();
        assert!(html.contains("<section id=\"config\">"));
        assert!(html.contains("<a href=\"#config\">"));
        assert!(html.contains("on &#60;script&#62;alert(1)&#60;/script&#62;"));
        assert!(html.contains("&#60;/pre&#62;&#60;b&#62;"));
        assert!(html.contains("No matched trace has a time."));
        assert_eq!(html.matches("<script").count(), 1);
    }
}
