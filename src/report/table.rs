//! Tables for people, on a terminal or in a pipe.
//!
//! Every string from a trace is escaped for the terminal before it reaches a cell (control
//! characters, escape sequences and bidirectional overrides are shown as `\x1b`, `\u{202e}`):
//! a URL can carry escape sequences.

use std::io::{self, Write};
use std::time::Duration;

use chrono::{DateTime, Utc};
use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Attribute, Cell, CellAlignment, Color, ContentArrangement, Table};

use super::{Reporter, RequestsReport, ScanReport};
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
            .map(|s| terminal(s).into_owned())
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
        let mut table = self.table();
        match by {
            GroupBy::Error => self.error_rows(&mut table, groups),
            GroupBy::Hour => self.hour_rows(&mut table, groups),
            _ => self.dimension_rows(&mut table, by, groups),
        }
        writeln!(out, "{table}")
    }

    fn error_rows(&self, table: &mut Table, groups: &[Group]) {
        table.set_header([
            "status",
            "module",
            "error code",
            "verdict",
            "count",
            "servers",
            "seen (UTC)",
            "p50 / p95",
            "top URL",
        ]);
        for g in groups {
            let GroupKey::Error {
                status,
                module,
                error_code,
                verdict,
            } = &g.key
            else {
                continue;
            };
            table.add_row(vec![
                Cell::new(status),
                Cell::new(terminal(module)),
                Cell::new(code_lines(*error_code)),
                self.verdict_cell(*verdict),
                Cell::new(g.count).set_alignment(CellAlignment::Right),
                Cell::new(list(&sanitized(&g.servers), 3)),
                Cell::new(seen(g)),
                Cell::new(timings(g)).set_alignment(CellAlignment::Right),
                Cell::new(terminal(url_path(&g.top_url))),
            ]);
        }
    }

    fn dimension_rows(&self, table: &mut Table, by: GroupBy, groups: &[Group]) {
        let key_name = match by {
            GroupBy::Server => "server",
            GroupBy::AppPool => "app pool",
            _ => "URL",
        };
        table.set_header([
            key_name,
            "count",
            "verdicts",
            "servers",
            "first seen",
            "last seen",
            "p50",
            "p95",
            "top URL",
        ]);
        for g in groups {
            let key = match &g.key {
                GroupKey::Server { server } => server.as_str(),
                GroupKey::AppPool { app_pool } => app_pool.as_str(),
                GroupKey::Url { url } => url.as_str(),
                _ => "",
            };
            table.add_row(vec![
                Cell::new(terminal(key)),
                Cell::new(g.count).set_alignment(CellAlignment::Right),
                Cell::new(verdict_summary(g)),
                Cell::new(list(&sanitized(&g.servers), 3)),
                Cell::new(seen(g)),
                Cell::new(timings(g)).set_alignment(CellAlignment::Right),
                Cell::new(terminal(url_path(&g.top_url))),
            ]);
        }
    }

    fn hour_rows(&self, table: &mut Table, groups: &[Group]) {
        table.set_header(["hour", "count", "", "verdicts", "p95"]);
        let max = groups.iter().map(|g| g.count).max().unwrap_or(0);
        for g in groups {
            let GroupKey::Hour { hour } = &g.key else {
                continue;
            };
            table.add_row(vec![
                Cell::new(hour.format("%Y-%m-%d %H:00").to_string()),
                Cell::new(g.count).set_alignment(CellAlignment::Right),
                Cell::new(bar(g.count, max, 30)),
                Cell::new(verdict_summary(g)),
                Cell::new(if g.count == 0 {
                    String::new()
                } else {
                    secs(g.time_taken_p95_ms)
                })
                .set_alignment(CellAlignment::Right),
            ]);
        }
    }

    fn write_hints(&self, hints: &[Hint], out: &mut dyn Write) -> io::Result<()> {
        if hints.is_empty() {
            return Ok(());
        }
        writeln!(out, "\n{}", self.bold("Hints"))?;
        for (i, hint) in hints.iter().enumerate() {
            writeln!(out, "{}. {}", i + 1, terminal(&hint.title))?;
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
            for line in hint.command.lines() {
                writeln!(out, "   $ {}", terminal(line))?;
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
        if let Some(example) = report.groups.iter().find(|g| !g.example_file.is_empty()) {
            writeln!(
                out,
                "\nOpen one trace: frebscope show '{}'",
                terminal(&example.example_file)
            )?;
        }
        Ok(())
    }

    fn requests(&self, report: &RequestsReport<'_>, out: &mut dyn Write) -> io::Result<()> {
        self.write_totals(report.totals, report.elapsed, out)?;
        let mut table = self.table();
        table.set_header([
            "start (UTC)",
            "server",
            "status",
            "module",
            "error code",
            "time",
            "verdict",
            "evidence",
            "url",
            "file",
        ]);
        for row in report.rows {
            let mut status = row.status.to_string();
            if row.partial {
                status.push_str(" (partial)");
            }
            if row.truncated {
                status.push_str(" (truncated)");
            }
            let code = match (row.error_code, row.error_name) {
                (None, _) => String::new(),
                (Some(c), None) => c.to_string(),
                (Some(c), Some(n)) => format!("{c} {n}"),
            };
            let start = row
                .start_time
                .map(|t| t.format("%Y-%m-%d %H:%M:%S%.3f").to_string());
            table.add_row(vec![
                Cell::new(start.unwrap_or_default()),
                Cell::new(terminal(row.server)),
                Cell::new(status),
                Cell::new(terminal(row.module)),
                Cell::new(code),
                Cell::new(secs(row.time_taken_ms)).set_alignment(CellAlignment::Right),
                self.verdict_cell(row.verdict),
                Cell::new(terminal(row.evidence)),
                Cell::new(terminal(row.url)),
                Cell::new(terminal(&row.file.display().to_string())),
            ]);
        }
        writeln!(out, "{table}")
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

fn sanitized(values: &[String]) -> Vec<String> {
    values.iter().map(|v| terminal(v).into_owned()).collect()
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
