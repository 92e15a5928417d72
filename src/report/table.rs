//! Tables for people, on a terminal or in a pipe.
//!
//! Every string from a trace is escaped for the terminal before it reaches a cell (control
//! characters, escape sequences and bidirectional overrides are shown as `\x1b`, `\u{202e}`):
//! a URL can carry escape sequences.

use std::io::{self, Write};
use std::time::Duration;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Attribute, Cell, CellAlignment, Color, ContentArrangement, Table};

use super::clock::Zone;
use super::layout::{self, Column};
use super::{Reporter, RequestRow, RequestsReport, ScanReport, TableOptions};
use crate::aggregate::{Group, GroupBy, GroupKey, Totals, VerdictCount};
use crate::diagnose::Hint;
use crate::model::Verdict;
use crate::overview::{Overview, Seen};
use crate::sanitize::terminal;

/// Writes tables.
#[derive(Debug, Clone)]
pub struct TableReporter {
    /// ANSI colours.
    pub color: bool,
    /// The terminal's width, in columns; `None` when standard output is a pipe or a file,
    /// which gets a fixed layout ([`layout::PIPE_WIDTH`], request lines never cut).
    pub width: Option<u16>,
    /// Short or full names, which sections.
    pub options: TableOptions,
}

/// What a bordered column costs besides its text (`│ ` and ` ┆`), and the table's last border.
const BORDER_SEP: usize = 3;
const BORDER_BASE: usize = 1;

impl TableReporter {
    /// The width to fit.
    fn columns(&self) -> usize {
        self.width.map_or(layout::PIPE_WIDTH, usize::from)
    }

    /// The clock of the tables: UTC, or local time with `--local`.
    fn zone(&self) -> Zone {
        Zone::new(self.options.local)
    }

    fn module_name<'m>(&self, module: &'m str) -> &'m str {
        if self.options.wide {
            module
        } else {
            layout::short_module(module)
        }
    }

    fn bold(&self, text: &str) -> String {
        if self.color {
            format!("\x1b[1m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    fn dim(&self, text: &str) -> String {
        if self.color {
            format!("\x1b[2m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    fn paint_verdict(&self, text: &str) -> Cell {
        let cell = Cell::new(text);
        if !self.color {
            return cell;
        }
        let first = text.split_whitespace().next().unwrap_or("");
        match first {
            "startup" => cell.fg(Color::Yellow).add_attribute(Attribute::Bold),
            "proxy" => cell.fg(Color::Magenta).add_attribute(Attribute::Bold),
            "worker" => cell.fg(Color::Red).add_attribute(Attribute::Bold),
            "config" => cell.fg(Color::Cyan),
            _ => cell,
        }
    }

    /// A bordered table of `columns`, laid out to the width: columns a narrow terminal cannot
    /// hold are left out, cells cut with `…`, never a word broken by comfy-table.
    fn draw(&self, columns: &[Column]) -> Table {
        let fitted = layout::fit(columns, self.columns(), BORDER_SEP, BORDER_BASE);
        let mut table = Table::new();
        table
            .load_style(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Disabled);
        if self.color {
            table.enforce_styling();
        } else {
            table.force_no_tty();
        }
        table.set_header(fitted.iter().map(|&(i, _)| columns[i].header.as_ref()));
        let rows = columns.first().map_or(0, |c| c.cells.len());
        for row in 0..rows {
            let cells: Vec<Cell> = fitted
                .iter()
                .map(|&(i, w)| {
                    let column = &columns[i];
                    let text = layout::fit_lines(&column.cells[row], w);
                    let cell = if column.header.starts_with("verdict") {
                        self.paint_verdict(&text)
                    } else {
                        Cell::new(text)
                    };
                    if column.right {
                        cell.set_alignment(CellAlignment::Right)
                    } else {
                        cell
                    }
                })
                .collect();
            table.add_row(cells);
        }
        table
    }

    /// Lines of prose wrapped to the width.
    fn paragraph(&self, text: &str, indent: &str, out: &mut dyn Write) -> io::Result<()> {
        for line in layout::wrap(text, self.columns(), indent) {
            writeln!(out, "{line}")?;
        }
        Ok(())
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
        if totals.warnings > 0 {
            line.push_str(&format!(" · {} with unparseable values", totals.warnings));
        }
        if totals.not_traces > 0 {
            line.push_str(&format!(" · {} not traces, ignored", totals.not_traces));
        }
        if totals.links_not_followed > 0 {
            line.push_str(&format!(
                " · {} link{} not followed",
                totals.links_not_followed,
                plural(totals.links_not_followed)
            ));
        }
        line.push_str(&format!(" · {} matched the filters", totals.matched));
        if totals.partial > 0 {
            line.push_str(&format!(" · {} partial", totals.partial));
        }
        if totals.truncated > 0 {
            line.push_str(&format!(" · {} truncated by IIS", totals.truncated));
        }
        for part in layout::wrap(&line, self.columns(), "") {
            writeln!(out, "{}", self.bold(&part))?;
        }
        let servers = sanitized(&totals.servers);
        let mut second = format!("{} server{}", servers.len(), plural(servers.len()));
        if !servers.is_empty() {
            second.push_str(&format!(" ({})", list(&servers, 8)));
        }
        if let (Some(first), Some(last)) = (totals.first_seen, totals.last_seen) {
            second.push_str(&format!(
                " · {} → {} ({})",
                self.zone().day_time(first),
                self.zone().day_time(last),
                layout::span(last - first)
            ));
        }
        if !self.options.no_elapsed {
            second.push_str(&format!(" · {:.2} s", elapsed.as_secs_f64()));
        }
        self.paragraph(&second, "", out)
    }

    /// Why a run has nothing to show: no files, no traces among them, or filters that
    /// matched none of the traces read, with what those traces cover.
    fn write_nothing_matched(
        &self,
        totals: &Totals,
        seen: &Seen,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        writeln!(out)?;
        if totals.found == 0 {
            return self.paragraph(
                "No trace files under the paths given: frebscope looks for fr*.xml files in \
                 the folders and their subfolders (FailedReqLogFiles\\W3SVC<site>\\ on the \
                 servers). Check the path, or that failed request tracing is enabled.",
                "",
                out,
            );
        }
        if totals.analyzed == 0 {
            return self.paragraph(
                &format!(
                    "None of the {} file{} found could be read as a trace (the reasons are \
                     above and on stderr).",
                    totals.found,
                    plural(totals.found)
                ),
                "",
                out,
            );
        }
        let mut text = format!(
            "None of the {} trace{} read matched the filters.",
            seen.traces,
            plural(seen.traces)
        );
        if let (Some(first), Some(last)) = (seen.first, seen.last) {
            text.push_str(&format!(
                " They cover {} → {} ({})",
                self.zone().day_time(first),
                self.zone().day_time(last),
                layout::span(last - first)
            ));
            if !seen.servers.is_empty() {
                text.push_str(&format!(
                    ", server{} {}",
                    plural(seen.servers.len()),
                    list(&sanitized(&seen.servers), 8)
                ));
            }
            if !seen.app_pools.is_empty() {
                text.push_str(&format!(
                    ", pool{} {}",
                    plural(seen.app_pools.len()),
                    list(&sanitized(&seen.app_pools), 8)
                ));
            }
            text.push('.');
        }
        self.paragraph(&text, "", out)?;
        let why = match seen.emptied_by.as_slice() {
            [] => "Each filter alone matches some traces; together they match none.".to_owned(),
            [one] => format!("{one} matches none of them."),
            many => format!("{} each match none of them.", many.join(", ")),
        };
        self.paragraph(&why, "", out)
    }

    fn write_verdicts(
        &self,
        verdicts: &[VerdictCount],
        overview: &Overview,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        if verdicts.is_empty() {
            return writeln!(
                out,
                "\nNo failures (status 500 and above) among the matched traces."
            );
        }
        let mut title = format!(
            "Verdicts of {} failure{}",
            overview.failure_traces,
            plural(overview.failure_traces)
        );
        if overview.failure_requests != overview.failure_traces {
            title.push_str(&format!(
                " ({} user request{}: an ARR front end's trace and its backend's are one)",
                overview.failure_requests,
                plural(overview.failure_requests)
            ));
        }
        writeln!(out)?;
        for line in layout::wrap(&title, self.columns(), "") {
            writeln!(out, "{}", self.bold(&line))?;
        }
        let requests_differ = overview.failure_requests != overview.failure_traces;
        let mut columns = vec![
            Column::whole("verdict", cells(verdicts, |v| v.verdict.to_string()), 0),
            Column::whole("traces", cells(verdicts, |v| v.count.to_string()), 0).right(),
        ];
        if requests_differ {
            columns.push(
                Column::whole(
                    "requests",
                    cells(verdicts, |v| {
                        overview
                            .requests_by_verdict
                            .get(&v.verdict)
                            .copied()
                            .unwrap_or(0)
                            .to_string()
                    }),
                    1,
                )
                .right(),
            );
        }
        columns.extend([
            Column::cut(
                "servers",
                cells(verdicts, |v| list(&sanitized(&v.servers), 6)),
                8,
                3,
            ),
            Column::cut(
                "app pools",
                cells(verdicts, |v| list(&sanitized(&v.app_pools), 6)),
                9,
                2,
            ),
            Column::cut(
                "meaning",
                cells(verdicts, |v| meaning(v.verdict).into()),
                20,
                4,
            ),
        ]);
        writeln!(out, "{}", self.draw(&columns))
    }

    /// The failures, one row per status × module × error code with its verdict mix; the
    /// other statuses in one line (or in the table with `--all-statuses`).
    fn write_failures(&self, report: &ScanReport<'_>, out: &mut dyn Write) -> io::Result<()> {
        let overview = report.overview;
        let mut rows: Vec<&Group> = overview.failures.iter().collect();
        if self.options.all_statuses {
            rows.extend(report.groups.iter().filter(|g| match &g.key {
                GroupKey::Error { status, .. } => !status.is_server_error(),
                _ => false,
            }));
        }
        if !rows.is_empty() {
            let title = if self.options.all_statuses {
                "By status, module and error code"
            } else {
                "Failures (status 500 and above) by status, module and error code"
            };
            writeln!(out, "\n{}", self.bold(title))?;
            writeln!(out, "{}", self.draw(&self.failure_columns(&rows)))?;
        }
        if !overview.others.is_empty() && !self.options.all_statuses {
            let total: usize = overview.others.iter().map(|s| s.count).sum();
            let parts: Vec<String> = overview
                .others
                .iter()
                .map(|s| {
                    let reason = if s.reason.is_empty() || s.reason == "STATUS_CODE" {
                        String::new()
                    } else {
                        format!(" ({})", shown(&s.reason))
                    };
                    format!("{} ×{}{reason}", s.status, s.count)
                })
                .collect();
            let line = format!(
                "Also {total} non-failure{}: {} · --all-statuses to list them",
                plural(total),
                parts.join(", ")
            );
            writeln!(out)?;
            let lines = layout::wrap(&line, self.columns(), "");
            for line in lines {
                writeln!(out, "{}", self.dim(&line))?;
            }
        }
        Ok(())
    }

    fn failure_columns(&self, rows: &[&Group]) -> Vec<Column> {
        let key = |g: &Group| match &g.key {
            GroupKey::Error {
                status,
                module,
                error_code,
                ..
            } => (status.to_string(), module.clone(), *error_code),
            _ => (String::new(), String::new(), None),
        };
        let code = |c: Option<crate::model::ErrorCode>| {
            if self.options.wide {
                code_lines(c)
            } else {
                layout::short_code(c)
            }
        };
        vec![
            Column::whole("status", cells_of(rows, |g| key(g).0), 0),
            Column::cut(
                "module",
                cells_of(rows, |g| shown(self.module_name(&key(g).1)).into_owned()),
                8,
                0,
            ),
            Column::cut("error code", cells_of(rows, |g| code(key(g).2)), 12, 0),
            Column::whole("verdicts", cells_of(rows, verdict_lines), 0),
            Column::whole("count", cells_of(rows, |g| g.count.to_string()), 0).right(),
            Column::cut(
                "servers",
                cells_of(rows, |g| list(&sanitized(&g.servers), 3)),
                5,
                4,
            ),
            Column::whole(
                self.seen_header(rows),
                cells_of(rows, |g| seen(g, self.zone())),
                3,
            ),
            Column::whole("p50 / p95", cells_of(rows, timings), 2).right(),
            Column::cut(
                "top URL",
                cells_of(rows, |g| self.url_cell(&g.top_url)),
                10,
                0,
            ),
        ]
    }

    /// `seen (UTC)`, or the offset of the local times shown.
    fn seen_header(&self, rows: &[&Group]) -> String {
        let times = rows
            .iter()
            .flat_map(|g| [g.first_seen, g.last_seen])
            .flatten();
        format!("seen ({})", self.zone().label(times))
    }

    fn url_cell(&self, url: &str) -> String {
        if self.options.wide {
            shown(url).into_owned()
        } else {
            shown(url_path(url)).into_owned()
        }
    }

    fn write_groups(&self, by: GroupBy, groups: &[Group], out: &mut dyn Write) -> io::Result<()> {
        let title = match by {
            GroupBy::Error => "By status, module and error code",
            GroupBy::Server => "By server",
            GroupBy::AppPool => "By application pool",
            GroupBy::Url => "By URL",
            GroupBy::Hour => "By hour",
        };
        let title = if by == GroupBy::Hour {
            let hours = groups.iter().filter_map(|g| match &g.key {
                GroupKey::Hour { hour } => Some(*hour),
                _ => None,
            });
            format!("{title} ({})", self.zone().label(hours))
        } else {
            title.to_owned()
        };
        writeln!(out, "\n{}", self.bold(&title))?;
        if groups.is_empty() {
            return writeln!(out, "(no matching traces)");
        }
        let rows: Vec<&Group> = groups.iter().collect();
        let columns = match by {
            GroupBy::Hour => hour_columns(&rows, self.zone()),
            _ => self.dimension_columns(by, &rows),
        };
        writeln!(out, "{}", self.draw(&columns))
    }

    fn dimension_columns(&self, by: GroupBy, rows: &[&Group]) -> Vec<Column> {
        let key_name = match by {
            GroupBy::Server => "server",
            GroupBy::AppPool => "app pool",
            _ => "URL",
        };
        let key = |g: &Group| match &g.key {
            GroupKey::Server { server } => shown(server).into_owned(),
            GroupKey::AppPool { app_pool } => shown(app_pool).into_owned(),
            GroupKey::Url { url } => self.url_cell(url),
            _ => String::new(),
        };
        vec![
            Column::cut(key_name, cells_of(rows, key), 10, 0),
            Column::whole("count", cells_of(rows, |g| g.count.to_string()), 0).right(),
            Column::whole("verdicts", cells_of(rows, verdict_lines), 0),
            Column::cut(
                "servers",
                cells_of(rows, |g| list(&sanitized(&g.servers), 3)),
                5,
                4,
            ),
            Column::whole(
                self.seen_header(rows),
                cells_of(rows, |g| seen(g, self.zone())),
                3,
            ),
            Column::whole("p50 / p95", cells_of(rows, timings), 2).right(),
            Column::cut(
                "top URL",
                cells_of(rows, |g| self.url_cell(&g.top_url)),
                10,
                1,
            ),
        ]
    }

    fn write_hints(&self, hints: &[Hint], out: &mut dyn Write) -> io::Result<()> {
        if hints.is_empty() {
            return Ok(());
        }
        writeln!(out, "\n{}", self.bold("Hints"))?;
        for (i, hint) in hints.iter().enumerate() {
            let number = format!("{}. ", i + 1);
            let title = layout::wrap(
                &terminal(&cap(&hint.title, 4 * CELL_CHARS)),
                self.columns(),
                "   ",
            );
            for (n, line) in title.iter().enumerate() {
                if n == 0 {
                    writeln!(out, "{number}{}", line.trim_start())?;
                } else {
                    writeln!(out, "{line}")?;
                }
            }
            let mut scope = Vec::new();
            if !hint.app_pools.is_empty() {
                scope.push(format!("pools {}", list(&sanitized(&hint.app_pools), 6)));
            }
            if !hint.servers.is_empty() {
                scope.push(format!("servers {}", list(&sanitized(&hint.servers), 6)));
            }
            if !scope.is_empty() {
                let text = format!(
                    "concerns {} ({} failure{})",
                    scope.join(" on "),
                    hint.count,
                    plural(hint.count)
                );
                self.paragraph(&text, "   ", out)?;
            }
            for line in hint.advice.lines() {
                self.paragraph(&terminal(line), "   ", out)?;
            }
            // Commands stay on one line each: a line break would split them in a shell.
            for fix in &hint.commands {
                writeln!(out, "   {}> {}", fix.shell, terminal(&fix.line))?;
            }
        }
        Ok(())
    }

    /// `requests`: one line per trace (time, server, status, verdict, module, code, time
    /// taken, path), aligned like `git log --format`; the evidence below it with
    /// `--evidence`.
    fn write_request_lines(&self, rows: &[RequestRow<'_>], out: &mut dyn Write) -> io::Result<()> {
        let pipe = self.width.is_none();
        let status = |r: &RequestRow| {
            let mut s = r.status.map(|s| s.to_string()).unwrap_or_default();
            if r.partial {
                s.push_str(" partial");
            }
            if r.truncated {
                s.push_str(" truncated");
            }
            s
        };
        let zone = self.zone();
        let start = |r: &RequestRow| {
            r.start_time
                .map(|t| zone.format(t, "%m-%d %H:%M:%S"))
                .unwrap_or_default()
        };
        let time_header = format!(
            "time ({})",
            zone.label(rows.iter().filter_map(|r| r.start_time))
        );
        let path = |r: &RequestRow| self.url_cell(r.url);
        let path_cells = cells(rows, path);
        let path_min = if pipe {
            path_cells
                .iter()
                .map(|c| layout::width(c))
                .max()
                .unwrap_or(0)
        } else {
            12
        };
        let columns = vec![
            Column::whole(time_header, cells(rows, start), 0),
            Column::cut(
                "server",
                cells(rows, |r| shown(r.server).into_owned()),
                6,
                3,
            ),
            Column::whole("status", cells(rows, status), 0),
            Column::whole("verdict", cells(rows, |r| r.verdict.to_string()), 0),
            Column::cut(
                "module",
                cells(rows, |r| shown(self.module_name(r.module)).into_owned()),
                6,
                2,
            ),
            Column::cut(
                "code",
                cells(rows, |r| layout::short_code(r.error_code)),
                8,
                1,
            ),
            Column::whole(
                "taken",
                cells(rows, |r| r.time_taken_ms.map(secs).unwrap_or_default()),
                4,
            )
            .right(),
            Column::cut("path", path_cells, path_min, 0),
        ];
        let total = if pipe { usize::MAX / 2 } else { self.columns() };
        let fitted = layout::fit(&columns, total, 2, 0);
        let line = |texts: Vec<String>| -> String {
            let parts: Vec<String> = fitted
                .iter()
                .zip(texts)
                .enumerate()
                .map(|(n, (&(i, w), text))| {
                    let text = layout::ellipsis(&text, w);
                    let pad = w.saturating_sub(layout::width(&text));
                    if columns[i].right {
                        format!("{}{text}", " ".repeat(pad))
                    } else if n + 1 == fitted.len() {
                        text
                    } else {
                        format!("{text}{}", " ".repeat(pad))
                    }
                })
                .collect();
            parts.join("  ")
        };
        let header = line(
            fitted
                .iter()
                .map(|&(i, _)| columns[i].header.to_string())
                .collect(),
        );
        writeln!(out, "{}", self.bold(header.trim_end()))?;
        for (n, row) in rows.iter().enumerate() {
            let texts: Vec<String> = fitted
                .iter()
                .map(|&(i, _)| columns[i].cells[n].clone())
                .collect();
            let mut text = line(texts);
            if self.color {
                text = color_word(&text, row.verdict.as_str(), row.verdict);
            }
            writeln!(out, "{}", text.trim_end())?;
            if self.options.evidence && !row.evidence.is_empty() {
                let width = if pipe { usize::MAX / 2 } else { self.columns() };
                for l in layout::wrap(&terminal(&cap(row.evidence, EVIDENCE_CHARS)), width, "    ")
                {
                    writeln!(out, "{}", self.dim(&l))?;
                }
            }
        }
        Ok(())
    }
}

/// The first occurrence of the verdict word in a line, coloured.
fn color_word(line: &str, word: &str, verdict: Verdict) -> String {
    let code = match verdict {
        Verdict::Startup => "1;33",
        Verdict::Proxy => "1;35",
        Verdict::Worker => "1;31",
        Verdict::Config => "36",
        Verdict::Unknown | Verdict::NotApplicable => return line.to_owned(),
    };
    let needle = format!("  {word}  ");
    match line.find(&needle) {
        Some(at) => format!(
            "{}  \x1b[{code}m{word}\x1b[0m  {}",
            &line[..at],
            &line[at + needle.len()..]
        ),
        None => line.to_owned(),
    }
}

fn cells<T>(rows: &[T], f: impl Fn(&T) -> String) -> Vec<String> {
    rows.iter().map(f).collect()
}

fn cells_of(rows: &[&Group], f: impl Fn(&Group) -> String) -> Vec<String> {
    rows.iter().map(|g| f(g)).collect()
}

/// `startup 4`, `worker 2`, one verdict per line: the mix of a group, never cut.
fn verdict_lines(group: &Group) -> String {
    let lines: Vec<String> = Verdict::FAILURES
        .iter()
        .chain([&Verdict::NotApplicable])
        .filter_map(|v| group.verdicts.get(v).map(|n| format!("{v} {n}")))
        .collect();
    lines.join("\n")
}

fn hour_columns(rows: &[&Group], zone: Zone) -> Vec<Column> {
    let max = rows.iter().map(|g| g.count).max().unwrap_or(0);
    vec![
        Column::whole(
            "hour",
            cells_of(rows, |g| match &g.key {
                GroupKey::Hour { hour } => zone.format(*hour, "%Y-%m-%d %H:%M"),
                _ => String::new(),
            }),
            0,
        ),
        Column::whole("count", cells_of(rows, |g| g.count.to_string()), 0).right(),
        Column::cut("", cells_of(rows, |g| bar(g.count, max, 30)), 5, 0),
        Column::whole("verdicts", cells_of(rows, verdict_summary), 0),
        Column::whole(
            "p95",
            cells_of(rows, |g| g.time_taken_p95_ms.map(secs).unwrap_or_default()),
            1,
        )
        .right(),
    ]
}

impl Reporter for TableReporter {
    fn scan(&self, report: &ScanReport<'_>, out: &mut dyn Write) -> io::Result<()> {
        self.write_totals(report.totals, report.elapsed, out)?;
        if report.totals.matched == 0 {
            return self.write_nothing_matched(report.totals, &report.overview.seen, out);
        }
        self.write_verdicts(report.verdicts, report.overview, out)?;
        if report.by == GroupBy::Error {
            self.write_failures(report, out)?;
        } else {
            self.write_groups(report.by, report.groups, out)?;
        }
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
        if report.totals.matched == 0 {
            return self.write_nothing_matched(report.totals, &report.overview.seen, out);
        }
        if report.rows.is_empty() {
            return writeln!(out, "\nNo trace has the verdicts asked for (--verdict).");
        }
        writeln!(out)?;
        self.write_request_lines(report.rows, out)
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

/// Values from a trace for a list: each capped and escaped.
fn sanitized(values: &[String]) -> Vec<String> {
    values.iter().map(|v| shown(v).into_owned()).collect()
}

/// Most characters of a trace value a table cell holds before it is fitted to its column;
/// CSV and JSON keep values whole. A table is for reading: a 64 KiB URL or a 4 MB server name
/// would only cost time to measure and cut.
pub const CELL_CHARS: usize = 120;
/// Evidence sentences are longer by design.
const EVIDENCE_CHARS: usize = 600;

/// A value from a trace as a table shows it: capped, then escaped for the terminal.
fn shown(text: &str) -> std::borrow::Cow<'static, str> {
    std::borrow::Cow::Owned(terminal(&cap(text, CELL_CHARS)).into_owned())
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

/// `06-08 19:54 → 21:10`: when a group's traces came, in the table's zone.
fn seen(group: &Group, zone: Zone) -> String {
    match (group.first_seen, group.last_seen) {
        (Some(first), Some(last)) => {
            let (from, to) = (
                zone.format(first, "%m-%d %H:%M"),
                zone.format(last, "%m-%d %H:%M"),
            );
            match to.strip_prefix(&from[..6]) {
                Some(time) => format!("{from} → {time}"),
                None => format!("{from} → {to}"),
            }
        }
        _ => String::new(),
    }
}

/// Empty when no member's time is known.
fn timings(group: &Group) -> String {
    match (group.time_taken_p50_ms, group.time_taken_p95_ms) {
        (Some(p50), Some(p95)) => {
            format!("{:.1} / {:.1} s", p50 as f64 / 1000.0, p95 as f64 / 1000.0)
        }
        _ => String::new(),
    }
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
