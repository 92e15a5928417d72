//! Tables for people, on a terminal or in a pipe.
//!
//! Every string from a trace is escaped for the terminal before it reaches a cell (control
//! characters, escape sequences and bidirectional overrides are shown as `\x1b`, `\u{202e}`):
//! a URL can carry escape sequences. A cell shows at most [`CELL_CHARS`] characters of a value.

use std::io::{self, Write};
use std::time::Duration;

use chrono::{DateTime, Utc};
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Attribute, Cell, CellAlignment, Color, ContentArrangement, Table};

use super::{Reporter, RequestRow, RequestsReport, ScanReport};
use crate::aggregate::{Group, GroupBy, GroupKey, Totals, VerdictCount};
use crate::diagnose::Hint;
use crate::model::Verdict;
use crate::sanitize::terminal;

/// Writes tables.
#[derive(Debug, Clone)]
pub struct TableReporter {
    /// ANSI colours.
    pub color: bool,
    /// Width to fit, in columns; `None` fits the terminal.
    pub width: Option<u16>,
}

impl TableReporter {
    fn table(&self) -> Table {
        let mut table = Table::new();
        table
            .load_style(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic);
        if let Some(width) = self.width {
            table.set_width(width);
        }
        if !self.color {
            table.force_no_tty();
        } else {
            table.enforce_styling();
        }
        table
    }

    fn bold(&self, text: &str) -> String {
        if self.color {
            format!("\x1b[1m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    fn verdict_cell(&self, verdict: Verdict) -> Cell {
        let cell = Cell::new(verdict.as_str());
        if !self.color {
            return cell;
        }
        match verdict {
            Verdict::Startup => cell.fg(Color::Yellow).add_attribute(Attribute::Bold),
            Verdict::Proxy => cell.fg(Color::Magenta).add_attribute(Attribute::Bold),
            Verdict::Worker => cell.fg(Color::Red).add_attribute(Attribute::Bold),
            Verdict::Config => cell.fg(Color::Cyan),
            Verdict::Unknown | Verdict::NotApplicable => cell,
        }
    }

    fn write_totals(
        &self,
        totals: &Totals,
        elapsed: Duration,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let mut line = format!(
            "{} files found · {} read · {} skipped",
            totals.found, totals.analyzed, totals.skipped
        );
        if !totals.skipped_by_reason.is_empty() {
            let reasons: Vec<String> = totals
                .skipped_by_reason
                .iter()
                .map(|(reason, n)| format!("{reason} {n}"))
                .collect();
            line.push_str(&format!(" ({})", reasons.join(", ")));
        }
        line.push_str(&format!(" · {} matched the filters", totals.matched));
        if totals.partial > 0 {
            line.push_str(&format!(" · {} partial", totals.partial));
        }
        if totals.truncated > 0 {
            line.push_str(&format!(" · {} truncated by IIS", totals.truncated));
        }
        writeln!(out, "{}", self.bold(&line))?;
        let servers: Vec<String> = totals
            .servers
            .iter()
            .map(|s| terminal(&cap(s, CELL_CHARS)).into_owned())
            .collect();
        let mut second = format!("{} server{}", servers.len(), plural(servers.len()));
        if !servers.is_empty() {
            second.push_str(&format!(" ({})", list(&servers, 8)));
        }
        if let (Some(first), Some(last)) = (totals.first_seen, totals.last_seen) {
            second.push_str(&format!(
                " · {} → {} ({})",
                day_time(first),
                day_time(last),
                span(last - first)
            ));
        }
        second.push_str(&format!(" · {:.2} s", elapsed.as_secs_f64()));
        writeln!(out, "{second}")
    }

    fn write_verdicts(&self, verdicts: &[VerdictCount], out: &mut dyn Write) -> io::Result<()> {
        if verdicts.is_empty() {
            return writeln!(
                out,
                "\nNo failures (status 500 and above) among the matched traces."
            );
        }
        writeln!(out, "\n{}", self.bold("Verdicts"))?;
        let mut table = self.table();
        table.set_header(["verdict", "count", "servers", "app pools", "meaning"]);
        for v in verdicts {
            table.add_row(vec![
                self.verdict_cell(v.verdict),
                Cell::new(v.count).set_alignment(CellAlignment::Right),
                Cell::new(list(&sanitized(&v.servers), 6)),
                Cell::new(list(&sanitized(&v.app_pools), 6)),
                Cell::new(meaning(v.verdict)),
            ]);
        }
        writeln!(out, "{table}")
    }

    fn write_groups(&self, by: GroupBy, groups: &[Group], out: &mut dyn Write) -> io::Result<()> {
        let title = match by {
            GroupBy::Error => "Failures by status, module and error code",
            GroupBy::Server => "By server",
            GroupBy::AppPool => "By application pool",
            GroupBy::Url => "By URL",
            GroupBy::Hour => "By hour (UTC)",
        };
        writeln!(out, "\n{}", self.bold(title))?;
        if groups.is_empty() {
            return writeln!(out, "(no matching traces)");
        }
        let columns = match by {
            GroupBy::Error => self.error_columns(),
            GroupBy::Hour => self.hour_columns(groups),
            _ => self.dimension_columns(by),
        };
        let mut table = self.table();
        fill(&mut table, &columns, groups);
        writeln!(out, "{table}")
    }

    /// The default grouping's columns.
    fn error_columns(&self) -> Vec<Column<'_>> {
        vec![
            Column::group("status", |g| match &g.key {
                GroupKey::Error { status, .. } => Cell::new(status),
                _ => Cell::new(""),
            }),
            Column::group("module", |g| match &g.key {
                GroupKey::Error { module, .. } => text_cell(module),
                _ => Cell::new(""),
            }),
            Column::group("error code", |g| match &g.key {
                GroupKey::Error { error_code, .. } => Cell::new(code_lines(*error_code)),
                _ => Cell::new(""),
            }),
            Column::group("verdict", move |g| match &g.key {
                GroupKey::Error { verdict, .. } => self.verdict_cell(*verdict),
                _ => Cell::new(""),
            }),
            count_column(),
            servers_column(),
            seen_column(),
            timings_column(),
            top_url_column(),
        ]
    }

    /// The columns of `--by server`, `--by app-pool` and `--by url`.
    fn dimension_columns(&self, by: GroupBy) -> Vec<Column<'_>> {
        let key_name = match by {
            GroupBy::Server => "server",
            GroupBy::AppPool => "app pool",
            _ => "URL",
        };
        vec![
            Column::group(key_name, |g| match &g.key {
                GroupKey::Server { server } => text_cell(server),
                GroupKey::AppPool { app_pool } => text_cell(app_pool),
                GroupKey::Url { url } => text_cell(url),
                _ => Cell::new(""),
            }),
            count_column(),
            Column::group("verdicts", |g| Cell::new(verdict_summary(g))),
            servers_column(),
            seen_column(),
            timings_column(),
            top_url_column(),
        ]
    }

    /// The columns of `--by hour`: a bar per hour, scaled to the busiest one.
    fn hour_columns(&self, groups: &[Group]) -> Vec<Column<'_>> {
        let max = groups.iter().map(|g| g.count).max().unwrap_or(0);
        vec![
            Column::group("hour", |g| match &g.key {
                GroupKey::Hour { hour } => Cell::new(hour.format("%Y-%m-%d %H:00").to_string()),
                _ => Cell::new(""),
            }),
            count_column(),
            Column::group("", move |g| Cell::new(bar(g.count, max, 30))),
            Column::group("verdicts", |g| Cell::new(verdict_summary(g))),
            Column::group("p95", |g| {
                let text = if g.count == 0 {
                    String::new()
                } else {
                    secs(g.time_taken_p95_ms)
                };
                Cell::new(text).set_alignment(CellAlignment::Right)
            }),
        ]
    }

    fn write_hints(&self, hints: &[Hint], out: &mut dyn Write) -> io::Result<()> {
        if hints.is_empty() {
            return Ok(());
        }
        writeln!(out, "\n{}", self.bold("Hints"))?;
        for (i, hint) in hints.iter().enumerate() {
            writeln!(
                out,
                "{}. {}",
                i + 1,
                terminal(&cap(&hint.title, 4 * CELL_CHARS))
            )?;
            let mut scope = Vec::new();
            if !hint.app_pools.is_empty() {
                scope.push(format!("pools {}", list(&sanitized(&hint.app_pools), 6)));
            }
            if !hint.servers.is_empty() {
                scope.push(format!("servers {}", list(&sanitized(&hint.servers), 6)));
            }
            if !scope.is_empty() {
                writeln!(
                    out,
                    "   concerns {} ({} failure{})",
                    scope.join(" on "),
                    hint.count,
                    plural(hint.count)
                )?;
            }
            for line in hint.advice.lines() {
                writeln!(out, "   {}", terminal(line))?;
            }
            for fix in &hint.commands {
                writeln!(out, "   {}> {}", fix.shell, terminal(&fix.line))?;
            }
        }
        Ok(())
    }
}

impl Reporter for TableReporter {
    fn scan(&self, report: &ScanReport<'_>, out: &mut dyn Write) -> io::Result<()> {
        self.write_totals(report.totals, report.elapsed, out)?;
        self.write_verdicts(report.verdicts, out)?;
        self.write_groups(report.by, report.groups, out)?;
        self.write_hints(report.hints, out)?;
        if let Some(open) = &report.open_example {
            writeln!(
                out,
                "\nOpen one trace ({}): {}",
                open.shell,
                terminal(&open.line)
            )?;
        }
        Ok(())
    }

    fn requests(&self, report: &RequestsReport<'_>, out: &mut dyn Write) -> io::Result<()> {
        self.write_totals(report.totals, report.elapsed, out)?;
        let mut table = self.table();
        fill(&mut table, &self.request_columns(), report.rows);
        writeln!(out, "{table}")
    }
}

impl TableReporter {
    /// The columns of `requests`.
    fn request_columns(&self) -> Vec<Column<'_, RequestRow<'_>>> {
        vec![
            Column::new("start (UTC)", |r: &RequestRow| {
                let start = r
                    .start_time
                    .map(|t| t.format("%Y-%m-%d %H:%M:%S%.3f").to_string());
                Cell::new(start.unwrap_or_default())
            }),
            Column::new("server", |r: &RequestRow| text_cell(r.server)),
            Column::new("status", |r: &RequestRow| {
                let mut status = r.status.to_string();
                if r.partial {
                    status.push_str(" (partial)");
                }
                if r.truncated {
                    status.push_str(" (truncated)");
                }
                Cell::new(status)
            }),
            Column::new("module", |r: &RequestRow| text_cell(r.module)),
            Column::new("error code", |r: &RequestRow| {
                Cell::new(match (r.error_code, r.error_name) {
                    (None, _) => String::new(),
                    (Some(c), None) => c.to_string(),
                    (Some(c), Some(n)) => format!("{c} {n}"),
                })
            }),
            Column::new("time", |r: &RequestRow| {
                Cell::new(secs(r.time_taken_ms)).set_alignment(CellAlignment::Right)
            }),
            Column::new("verdict", move |r: &RequestRow| {
                self.verdict_cell(r.verdict)
            }),
            Column::new("evidence", |r: &RequestRow| {
                capped_cell(r.evidence, EVIDENCE_CHARS)
            }),
            Column::new("url", |r: &RequestRow| text_cell(r.url)),
            Column::new("file", |r: &RequestRow| {
                text_cell(&r.file.display().to_string())
            }),
        ]
    }
}

fn meaning(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Startup => "the app or its process was starting, or failed to start",
        Verdict::Proxy => "ARR, URL Rewrite or ANCM forwarding could not complete the request",
        Verdict::Worker => "the app threw, crashed, hung or was too slow",
        Verdict::Config => "IIS configuration rejected the request before the app ran",
        Verdict::Unknown => "not enough evidence to say",
        Verdict::NotApplicable => "",
    }
}

fn verdict_summary(group: &Group) -> String {
    let parts: Vec<String> = Verdict::FAILURES
        .iter()
        .filter_map(|v| group.verdicts.get(v).map(|n| format!("{v} {n}")))
        .collect();
    parts.join(", ")
}

/// One column of a table: its heading and how to fill its cell for a row (a group, a
/// request). The headings and the cells of a table come from the same list, so they cannot
/// drift apart.
struct Column<'a, R = Group> {
    header: &'static str,
    cell: Box<dyn Fn(&R) -> Cell + 'a>,
}

impl<'a, R> Column<'a, R> {
    fn new(header: &'static str, cell: impl Fn(&R) -> Cell + 'a) -> Column<'a, R> {
        Column {
            header,
            cell: Box::new(cell),
        }
    }
}

impl<'a> Column<'a, Group> {
    /// A column of a summary table.
    fn group(header: &'static str, cell: impl Fn(&Group) -> Cell + 'a) -> Column<'a, Group> {
        Column::new(header, cell)
    }
}

fn fill<R>(table: &mut Table, columns: &[Column<'_, R>], rows: &[R]) {
    table.set_header(columns.iter().map(|c| c.header));
    for row in rows {
        table.add_row(columns.iter().map(|c| (c.cell)(row)).collect::<Vec<_>>());
    }
}

fn count_column<'a>() -> Column<'a> {
    Column::group("count", |g| {
        Cell::new(g.count).set_alignment(CellAlignment::Right)
    })
}

fn servers_column<'a>() -> Column<'a> {
    Column::group("servers", |g| Cell::new(list(&sanitized(&g.servers), 3)))
}

fn seen_column<'a>() -> Column<'a> {
    Column::group("seen (UTC)", |g| Cell::new(seen(g)))
}

fn timings_column<'a>() -> Column<'a> {
    Column::group("p50 / p95", |g| {
        Cell::new(timings(g)).set_alignment(CellAlignment::Right)
    })
}

fn top_url_column<'a>() -> Column<'a> {
    Column::group("top URL", |g| text_cell(url_path(&g.top_url)))
}

/// Most characters of a trace value a table cell shows; CSV and JSON keep values whole. A
/// table is for reading: a 64 KiB URL or a 4 MB server name would only make comfy-table
/// wrap for minutes.
pub const CELL_CHARS: usize = 120;
/// Evidence sentences are longer by design.
const EVIDENCE_CHARS: usize = 600;

/// A cell for text from a trace: capped, then escaped for the terminal.
fn text_cell(text: &str) -> Cell {
    capped_cell(text, CELL_CHARS)
}

fn capped_cell(text: &str, max: usize) -> Cell {
    Cell::new(terminal(&cap(text, max)))
}

/// `text` cut at `max` characters, the cut marked with `…`.
pub fn cap(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => std::borrow::Cow::Borrowed(text),
        Some(_) => {
            let end = text
                .char_indices()
                .nth(max.saturating_sub(1))
                .map_or(text.len(), |(i, _)| i);
            std::borrow::Cow::Owned(format!("{}…", &text[..end]))
        }
    }
}

/// Values from a trace for a list: each capped and escaped.
fn sanitized(values: &[String]) -> Vec<String> {
    values
        .iter()
        .map(|v| terminal(&cap(v, CELL_CHARS)).into_owned())
        .collect()
}

/// `a, b, c +2`.
fn list(values: &[String], max: usize) -> String {
    let shown: Vec<&str> = values.iter().take(max).map(String::as_str).collect();
    let mut text = shown.join(", ");
    if values.len() > max {
        text.push_str(&format!(" +{}", values.len() - max));
    }
    text
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn secs(ms: u64) -> String {
    format!("{:.1} s", ms as f64 / 1000.0)
}

fn short_time(t: DateTime<Utc>) -> String {
    t.format("%m-%d %H:%M").to_string()
}

/// `06-08 19:54 → 21:10`: when a group's traces came.
fn seen(group: &Group) -> String {
    match (group.first_seen, group.last_seen) {
        (Some(first), Some(last)) if first.date_naive() == last.date_naive() => {
            format!("{} → {}", short_time(first), last.format("%H:%M"))
        }
        (Some(first), Some(last)) => format!("{} → {}", short_time(first), short_time(last)),
        _ => String::new(),
    }
}

fn timings(group: &Group) -> String {
    format!(
        "{:.1} / {:.1} s",
        group.time_taken_p50_ms as f64 / 1000.0,
        group.time_taken_p95_ms as f64 / 1000.0
    )
}

/// The code on one line and its name on the next: the name is what people search for, and
/// it does not wrap in the middle.
fn code_lines(code: Option<crate::model::ErrorCode>) -> String {
    match code {
        None => String::new(),
        Some(c) => match crate::codes::error_name(c) {
            Some(name) => format!("{c}\n{name}"),
            None => c.to_string(),
        },
    }
}

/// A URL without scheme and host, for narrow table cells; CSV and JSON keep it whole.
fn url_path(url: &str) -> &str {
    let Some(rest) = url.split_once("://").map(|(_, r)| r) else {
        return url;
    };
    rest.find('/').map_or(url, |i| &rest[i..])
}

fn day_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%SZ").to_string()
}

fn span(d: chrono::TimeDelta) -> String {
    let secs = d.num_seconds();
    if secs < 120 {
        format!("{secs} s")
    } else if secs < 7200 {
        format!("{} min", secs / 60)
    } else {
        format!("{:.1} h", secs as f64 / 3600.0)
    }
}

fn bar(count: usize, max: usize, width: usize) -> String {
    if max == 0 || count == 0 {
        return String::new();
    }
    let eighths = (count * width * 8).div_ceil(max);
    let mut text = "█".repeat(eighths / 8);
    const PARTS: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
    text.push_str(PARTS[eighths % 8]);
    text
}
