//! One trace in depth, as freb.xsl users expect to read it: the request summary, the verdict,
//! the errors and warnings, the compact timeline, the time per module and the headers.
//!
//! The values are the ones `show` prints, through the same text helpers (escaped for the
//! terminal, so control characters and bidi overrides are visible; the template then escapes
//! them for HTML). Each list is capped so that one huge trace cannot make the page heavy; a
//! note says what was left out and that `frebscope show --all` has it.

use chrono::{DateTime, Utc};

use crate::model::{Diagnosis, Status, Trace, Verdict};
use crate::parse::event::EventRecord;
use crate::parse::full::Document;
use crate::show::perf::{self, ms_between};
use crate::show::text::{
    LONG, MAX_BLOCK_LINES, SHORT, block_lines, error_code, notification, one_line,
    status_with_meaning,
};
use crate::show::timeline::{compact_data, is_shown_elsewhere};

use super::histogram::verdict_class;

/// Timeline rows kept per trace.
const MAX_TIMELINE: usize = 300;
/// Steps of the performance view kept per trace.
const MAX_STEPS: usize = 15;
/// Steps still open at the end that are listed.
const MAX_OPEN: usize = 10;
/// Header lines kept per block.
const MAX_HEADER_LINES: usize = 60;
/// A label and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Field {
    /// The label.
    pub(super) label: &'static str,
    /// The value, escaped for the terminal.
    pub(super) value: String,
}

/// A Level 1-3 event with its data spelled out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Problem {
    /// Event number, from 1.
    pub(super) number: usize,
    /// `+8063 ms`.
    pub(super) offset: String,
    /// `Critical`, `Error`, `Warning`.
    pub(super) severity: &'static str,
    /// The event name.
    pub(super) name: String,
    /// Its data, labelled; a value may hold several lines.
    pub(super) details: Vec<Field>,
}

/// One line of the compact view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TimelineRow {
    /// Event number, from 1.
    pub(super) number: usize,
    /// `+8063 ms`.
    pub(super) offset: String,
    /// The event name.
    pub(super) name: String,
    /// CSS class of its level.
    pub(super) class: &'static str,
    /// `Name="value", ...`.
    pub(super) data: String,
}

/// A row of the performance view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct StepRow {
    /// What ran.
    pub(super) label: String,
    /// Wall time.
    pub(super) total_ms: i64,
    /// Time not in nested steps.
    pub(super) self_ms: i64,
    /// How many pairs.
    pub(super) count: usize,
    /// Bar length in percent of the slowest step.
    pub(super) percent: u32,
}

/// A step that started and never ended in the trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct OpenStep {
    /// Event number of its START.
    pub(super) number: usize,
    /// `>= 30000 ms`.
    pub(super) running: String,
    /// What ran.
    pub(super) label: String,
}

/// One `GENERAL_*_HEADERS` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct HeaderBlock {
    /// Event number.
    pub(super) number: usize,
    /// The header lines.
    pub(super) lines: Vec<String>,
    /// Lines left out.
    pub(super) more: usize,
}

/// A `GENERAL_SET_RESPONSE_HEADER`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SetHeader {
    /// Event number.
    pub(super) number: usize,
    /// Header name.
    pub(super) name: String,
    /// Its value.
    pub(super) value: String,
    /// `Replace` was true.
    pub(super) replace: bool,
}

/// Everything the drill-down of one trace shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TraceView {
    /// Anchor number: the section's id is `t{anchor}`.
    pub(super) anchor: usize,
    /// The file, as found.
    pub(super) file: String,
    /// Events in the file.
    pub(super) event_count: usize,
    /// Final status.
    pub(super) status: String,
    /// CSS class of the status.
    pub(super) status_class: &'static str,
    /// Server.
    pub(super) server: String,
    /// URL, shortened for the one-line summary.
    pub(super) url_short: String,
    /// Start time, `2026-06-08 19:54:51.596`.
    pub(super) started: String,
    /// Verdict word.
    pub(super) verdict: String,
    /// CSS class of the verdict.
    pub(super) verdict_class: &'static str,
    /// The request summary.
    pub(super) request: Vec<Field>,
    /// Rule, confidence, evidence, linked file.
    pub(super) diagnosis: Vec<Field>,
    /// The linked trace's anchor, when it has a section in the same page.
    pub(super) linked_anchor: Option<usize>,
    /// Partial or truncated, in words.
    pub(super) notes: Vec<String>,
    /// Level 1-3 events.
    pub(super) problems: Vec<Problem>,
    /// The compact view.
    pub(super) timeline: Vec<TimelineRow>,
    /// Verbose events not in the compact view.
    pub(super) verbose_hidden: usize,
    /// Events cut by [`MAX_TIMELINE`].
    pub(super) timeline_more: usize,
    /// Time per step, slowest first.
    pub(super) steps: Vec<StepRow>,
    /// Steps left out.
    pub(super) steps_more: usize,
    /// Steps never ended.
    pub(super) open: Vec<OpenStep>,
    /// Open steps left out.
    pub(super) open_more: usize,
    /// Request header blocks.
    pub(super) request_headers: Vec<HeaderBlock>,
    /// Response header blocks.
    pub(super) response_headers: Vec<HeaderBlock>,
    /// Headers set by modules.
    pub(super) set_headers: Vec<SetHeader>,
}

/// The CSS class of a status.
pub(super) fn status_class(status: Status) -> &'static str {
    match status.code {
        500.. => "s-5xx",
        400..=499 => "s-4xx",
        _ => "s-ok",
    }
}

impl TraceView {
    /// Builds the view of one trace.
    pub(super) fn new(
        anchor: usize,
        trace: &Trace,
        document: &Document,
        diagnosis: &Diagnosis,
        linked_anchor: Option<usize>,
    ) -> TraceView {
        let start = document.events.iter().find_map(|e| e.time);
        let (timeline, verbose_hidden, timeline_more) = timeline(document, start);
        let pairing = perf::pair_events(&document.events);
        let all_steps = perf::steps(&pairing);
        let shown: Vec<&perf::Step> = all_steps
            .iter()
            .filter(|s| s.total_ms > 0 || s.self_ms > 0)
            .take(MAX_STEPS)
            .collect();
        let slowest = shown.first().map_or(1, |s| s.total_ms.max(1));
        let steps = shown
            .iter()
            .map(|s| StepRow {
                label: s.label.clone(),
                total_ms: s.total_ms,
                self_ms: s.self_ms,
                count: s.count,
                percent: ((s.total_ms.max(0) * 100) / slowest) as u32,
            })
            .collect();
        let (open, open_more) = open_steps(document, &pairing);
        let (request_headers, response_headers) = (
            headers(document, "GENERAL_REQUEST_HEADERS"),
            headers(document, "GENERAL_RESPONSE_HEADERS"),
        );
        TraceView {
            anchor,
            file: one_line(&trace.file.display().to_string(), LONG),
            event_count: document.events.len(),
            status: trace.status.to_string(),
            status_class: status_class(trace.status),
            server: one_line(&trace.server, SHORT),
            url_short: one_line(&trace.url, 90),
            started: trace.start_time.map(short_time).unwrap_or_default(),
            verdict: match diagnosis.verdict {
                Verdict::NotApplicable => "-".into(),
                v => v.to_string(),
            },
            verdict_class: verdict_class(diagnosis.verdict),
            request: request_fields(document, trace),
            diagnosis: diagnosis_fields(diagnosis),
            linked_anchor,
            notes: notes(document, trace),
            problems: problems(document, start),
            timeline,
            verbose_hidden,
            timeline_more,
            steps_more: all_steps.len().saturating_sub(MAX_STEPS),
            steps,
            open,
            open_more,
            request_headers,
            response_headers,
            set_headers: set_headers(document),
        }
    }
}

/// `2026-06-08 19:54:51.596`.
pub(super) fn short_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.3f").to_string()
}

fn request_fields(document: &Document, trace: &Trace) -> Vec<Field> {
    let module = trace.module();
    let raw = |name| one_line(document.root_attribute(name).unwrap_or_default(), SHORT);
    let trigger = match document.root_attribute("triggerStatusCode") {
        Some(raw) if Status::parse(raw).is_none() => one_line(raw, SHORT),
        _ if trace.trigger_status == Status::default() => "0 (none: not a status rule)".into(),
        _ => status_with_meaning(trace.trigger_status, module),
    };
    let fields = [
        ("URL", one_line(&trace.url, LONG)),
        ("Verb", one_line(&trace.verb, SHORT)),
        ("Server", one_line(&trace.server, SHORT)),
        ("Site", one_line(&trace.site_id, SHORT)),
        ("App pool", one_line(&trace.app_pool, SHORT)),
        ("Process", raw("processId")),
        ("User", user(trace)),
        ("Authentication", one_line(&trace.auth_type, SHORT)),
        ("Activity ID", one_line(&trace.activity_id, SHORT)),
        ("Failure reason", one_line(&trace.failure_reason, SHORT)),
        ("Trigger status", trigger),
        ("Final status", status_with_meaning(trace.status, module)),
        (
            "Time taken",
            match (trace.time_taken_ms, document.root_attribute("timeTaken")) {
                (Some(ms), _) => format!("{ms} ms"),
                (None, Some(raw)) => format!("unparseable: {}", one_line(raw, SHORT)),
                (None, None) => "not in the trace".into(),
            },
        ),
        (
            "Started",
            match (trace.start_time, trace.unparsed_start()) {
                (Some(t), _) => format!("{} UTC", short_time(t)),
                (None, Some(raw)) => format!("unparseable: {}", one_line(raw, SHORT)),
                (None, None) => String::new(),
            },
        ),
    ];
    fields
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(label, value)| Field { label, value })
        .collect()
}

fn user(trace: &Trace) -> String {
    [
        ("remote", &trace.remote_user),
        ("user", &trace.user_name),
        ("token", &trace.token_user),
    ]
    .iter()
    .filter(|(_, value)| !value.trim().is_empty())
    .map(|(label, value)| format!("{} ({label})", one_line(value, SHORT)))
    .collect::<Vec<_>>()
    .join(", ")
}

fn diagnosis_fields(diagnosis: &Diagnosis) -> Vec<Field> {
    let mut fields = Vec::new();
    if !diagnosis.rule.is_empty() {
        fields.push(Field {
            label: "Rule",
            value: diagnosis.rule.to_owned(),
        });
    }
    if diagnosis.verdict != Verdict::NotApplicable {
        fields.push(Field {
            label: "Confidence",
            value: format!("{:?}", diagnosis.confidence).to_lowercase(),
        });
    }
    if !diagnosis.evidence.trim().is_empty() {
        fields.push(Field {
            label: "Evidence",
            value: one_line(&diagnosis.evidence, 1000),
        });
    }
    if let Some(linked) = &diagnosis.linked_file {
        fields.push(Field {
            label: "Linked trace",
            value: one_line(&linked.display().to_string(), LONG),
        });
    }
    fields
}

fn notes(document: &Document, trace: &Trace) -> Vec<String> {
    let mut notes = Vec::new();
    if trace.truncated {
        notes.push(
            "truncated by IIS at maxLogFileSizeKB (LOG_FILE_MAX_SIZE_TRUNCATE): later events are missing"
                .to_owned(),
        );
    }
    if !document.complete {
        let last = match document.events.last() {
            Some(event) => format!(
                "the file ends after event {} ({})",
                document.events.len(),
                one_line(&event.name, SHORT)
            ),
            None => "the file ends before the first event".to_owned(),
        };
        let why = document
            .stopped
            .as_deref()
            .map(|s| format!("; {}", one_line(s, LONG)))
            .unwrap_or_default();
        notes.push(format!("partial: {last}{why}"));
    }
    notes
}

fn offset(start: Option<DateTime<Utc>>, event: &EventRecord) -> String {
    match ms_between(start, event.time) {
        Some(ms) => format!("+{ms} ms"),
        None => "?".to_owned(),
    }
}

fn severity(level: Option<u8>) -> Option<&'static str> {
    match level? {
        1 => Some("Critical"),
        2 => Some("Error"),
        3 => Some("Warning"),
        _ => None,
    }
}

fn problems(document: &Document, start: Option<DateTime<Utc>>) -> Vec<Problem> {
    document
        .events
        .iter()
        .enumerate()
        .filter_map(|(index, event)| {
            Some(Problem {
                number: index + 1,
                offset: offset(start, event),
                severity: severity(event.level)?,
                name: one_line(&event.name, SHORT),
                details: problem_details(event),
            })
        })
        .collect()
}

fn problem_details(event: &EventRecord) -> Vec<Field> {
    let mut details = Vec::new();
    if let Some(module) = event.data("ModuleName") {
        details.push(Field {
            label: "Module",
            value: one_line(module, SHORT),
        });
    }
    if let Some(notification) = notification(event) {
        details.push(Field {
            label: "Notification",
            value: notification,
        });
    }
    if let Some(status) = http_status(event) {
        let module = event.data("ModuleName").unwrap_or_default();
        details.push(Field {
            label: "Status",
            value: status_with_meaning(status, module),
        });
    }
    for (name, value) in &event.data {
        if is_shown_elsewhere(name) || value.trim().is_empty() {
            continue;
        }
        let (label, value) = match (event.name.as_str(), name.as_str()) {
            (_, "ErrorCode") => ("Error code", error_code(value, event.description(name))),
            (_, "ErrorDescription") => ("Description", block(value)),
            (_, "ConfigExceptionInfo") => ("Config error", block(value)),
            ("MODULE_WARNING", "Data1") => ("Warning", block(value)),
            ("MODULE_WARNING", "Data2") => ("Detail", block(value)),
            _ => ("", format!("{}: {}", one_line(name, SHORT), block(value))),
        };
        details.push(Field { label, value });
    }
    details
}

/// A multi-line value, at most [`MAX_BLOCK_LINES`] lines, shown as lines by the page.
fn block(value: &str) -> String {
    let lines = block_lines(value);
    let mut text = lines
        .iter()
        .take(MAX_BLOCK_LINES)
        .cloned()
        .collect::<Vec<_>>()
        .join("\n");
    if lines.len() > MAX_BLOCK_LINES {
        text.push_str(&format!(
            "\n… {} more lines (frebscope show --all has them)",
            lines.len() - MAX_BLOCK_LINES
        ));
    }
    text
}

fn http_status(event: &EventRecord) -> Option<Status> {
    let code = event.data("HttpStatus")?.trim().parse().ok()?;
    let sub = event
        .data("HttpSubStatus")
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    Some(Status::new(code, sub))
}

fn timeline(document: &Document, start: Option<DateTime<Utc>>) -> (Vec<TimelineRow>, usize, usize) {
    let mut rows = Vec::new();
    let (mut verbose, mut more) = (0, 0);
    for (index, event) in document.events.iter().enumerate() {
        if event.level == Some(5) {
            verbose += 1;
            continue;
        }
        if rows.len() == MAX_TIMELINE {
            more += 1;
            continue;
        }
        rows.push(TimelineRow {
            number: index + 1,
            offset: offset(start, event),
            name: one_line(&event.name, SHORT),
            class: match event.level {
                Some(1 | 2) => "l-error",
                Some(3) => "l-warn",
                _ => "l-info",
            },
            data: compact_data(event),
        });
    }
    (rows, verbose, more)
}

fn open_steps(document: &Document, pairing: &perf::Pairing) -> (Vec<OpenStep>, usize) {
    let last = document.events.iter().rev().find_map(|e| e.time);
    let open = pairing
        .open
        .iter()
        .take(MAX_OPEN)
        .filter_map(|&index| {
            let event = document.events.get(index)?;
            Some(OpenStep {
                number: index + 1,
                running: match ms_between(event.time, last) {
                    Some(ms) => format!(">= {ms} ms"),
                    None => "?".to_owned(),
                },
                label: perf::label(event),
            })
        })
        .collect();
    (open, pairing.open.len().saturating_sub(MAX_OPEN))
}

fn headers(document: &Document, event_name: &str) -> Vec<HeaderBlock> {
    document
        .events
        .iter()
        .enumerate()
        .filter(|(_, e)| e.name == event_name)
        .map(|(index, event)| {
            let lines = block_lines(event.data("Headers").unwrap_or_default());
            HeaderBlock {
                number: index + 1,
                more: lines.len().saturating_sub(MAX_HEADER_LINES),
                lines: lines.into_iter().take(MAX_HEADER_LINES).collect(),
            }
        })
        .collect()
}

fn set_headers(document: &Document) -> Vec<SetHeader> {
    document
        .events
        .iter()
        .enumerate()
        .filter(|(_, e)| e.name == "GENERAL_SET_RESPONSE_HEADER")
        .take(MAX_HEADER_LINES)
        .map(|(index, event)| SetHeader {
            number: index + 1,
            name: one_line(event.data("HeaderName").unwrap_or_default(), SHORT),
            value: one_line(event.data("HeaderValue").unwrap_or_default(), LONG),
            replace: event.data("Replace").map(str::trim) == Some("true"),
        })
        .collect()
}
