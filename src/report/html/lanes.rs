//! The worker-process lanes under each server's histogram: one bar per process, from its first
//! to its last sign of life, with its failures placed on it.
//!
//! The histogram says when the failures came; the lanes say which process they came from and
//! how it ended, so "it fails after every quiet hour" shows as a new bar starting at each red
//! mark. The data is the `timeline` command's ([`crate::timeline::Timeline`]), so the page and
//! the terminal draw the same lives. Only geometry and words are computed here; the template
//! draws them, and the page's text view lists the same processes in a table.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::histogram::{Axis, HEIGHT, round, verdict_class};
use crate::events::server_key;
use crate::timeline::{EventMark, FailureMark, PoolLife, ProcessLife, Timeline};

/// The most lanes drawn under one chart; the others are counted, and listed in the table.
pub(super) const MAX_LANES: usize = 24;
/// The most processes the table lists for one server (a rapid-fail loop makes thousands).
const MAX_ROWS: usize = 200;
/// Height of one lane, in user units: the label on top, the bar and its failures below it,
/// so that a failure at the start of a process (a cold start) never hides the label.
const LANE_H: f64 = 22.0;
/// Baseline of the label in its lane.
const LABEL_Y: f64 = 9.0;
/// Top of the bar in its lane.
const BAR_Y: f64 = 12.0;
/// Height of a process's bar.
const BAR_H: f64 = 8.0;
/// Space between the time labels and the first lane.
const GAP_ABOVE: f64 = 8.0;

/// One worker process, ready to draw.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Lane {
    /// Top of the bar.
    pub(super) y: f64,
    /// Baseline of the label.
    pub(super) text_y: f64,
    /// Middle of the bar, where the failures sit.
    pub(super) mid: f64,
    /// Left edge of the bar (first seen).
    pub(super) x: f64,
    /// Width of the bar (to the last sign of life).
    pub(super) w: f64,
    /// After the last sign of life: to the event that ended it, or dashed to the end of the
    /// axis when nothing in the inputs says it ended.
    pub(super) tail: Option<Tail>,
    /// `Orders · PID 4812`.
    pub(super) label: String,
    /// Where the label starts, and whether it ends there instead (near the right edge).
    pub(super) label_x: f64,
    pub(super) label_end: bool,
    /// Tooltip: the whole life in words.
    pub(super) title: String,
    /// Its failures.
    pub(super) failures: Vec<Dot>,
}

/// What follows a process's last trace.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Tail {
    /// From.
    pub(super) x1: f64,
    /// To.
    pub(super) x2: f64,
    /// `ended` (an event ended it) or `open` (no end in the inputs).
    pub(super) class: &'static str,
    /// Tooltip.
    pub(super) title: String,
}

/// A failure on a lane.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Dot {
    /// Position.
    pub(super) x: f64,
    /// CSS class of its verdict.
    pub(super) class: &'static str,
    /// Tooltip.
    pub(super) title: String,
    /// Its drill-down section, when it has one.
    pub(super) anchor: Option<usize>,
}

/// One process as the page's table lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct LifeRow {
    pub(super) pool: String,
    pub(super) pid: u32,
    pub(super) first: String,
    pub(super) last: String,
    pub(super) traces: usize,
    pub(super) failures: usize,
    pub(super) started: String,
    pub(super) ended: String,
}

/// The lanes of one server's chart.
#[derive(Debug, Clone, PartialEq, Default)]
pub(super) struct Lanes {
    /// Drawn, at most [`MAX_LANES`].
    pub(super) lanes: Vec<Lane>,
    /// The processes of the server, for the table, at most [`MAX_ROWS`].
    pub(super) rows: Vec<LifeRow>,
    /// How many processes the server had.
    pub(super) total: usize,
    /// Processes not drawn.
    pub(super) more: usize,
    /// Top of the lanes.
    pub(super) top: f64,
    /// Where a note on the processes not drawn goes.
    pub(super) more_y: f64,
    /// Height the lanes add to the chart.
    pub(super) height: f64,
}

/// The lanes of `server`'s processes on `axis`, below a chart of height [`HEIGHT`]. `anchors`
/// gives the drill-down of a trace by its file, as the timeline names it.
pub(super) fn lanes(
    server: &str,
    axis: &Axis,
    timeline: &Timeline,
    anchors: &HashMap<String, usize>,
) -> Lanes {
    let key = server_key(server);
    let pools: Vec<&PoolLife> = timeline
        .pools
        .iter()
        .filter(|p| server_key(&p.server) == key)
        .collect();
    let mut lives: Vec<(&PoolLife, &ProcessLife, bool)> = Vec::new();
    for pool in &pools {
        for (i, process) in pool.processes.iter().enumerate() {
            let replaced = i + 1 < pool.processes.len();
            lives.push((pool, process, replaced));
        }
    }
    if lives.is_empty() {
        return Lanes::default();
    }
    let top = HEIGHT + GAP_ABOVE;
    let end = axis.time_of(axis.buckets);
    let lanes: Vec<Lane> = lives
        .iter()
        .take(MAX_LANES)
        .enumerate()
        .map(|(n, (pool, p, replaced))| {
            lane(
                top + LANE_H * n as f64,
                pool,
                p,
                *replaced,
                axis,
                end,
                anchors,
            )
        })
        .collect();
    let more = lives.len() - lanes.len();
    let rows = lives
        .iter()
        .take(MAX_ROWS)
        .map(|(pool, p, _)| row(pool, p))
        .collect();
    let drawn = lanes.len() + usize::from(more > 0);
    Lanes {
        more_y: top + LANE_H * lanes.len() as f64 + 11.0,
        lanes,
        rows,
        total: lives.len(),
        more,
        top,
        height: GAP_ABOVE + LANE_H * drawn as f64 + 4.0,
    }
}

fn lane(
    y: f64,
    pool: &PoolLife,
    p: &ProcessLife,
    replaced: bool,
    axis: &Axis,
    axis_end: DateTime<Utc>,
    anchors: &HashMap<String, usize>,
) -> Lane {
    let clamp = |t: DateTime<Utc>| t.clamp(axis.start, axis_end);
    let x = axis.x_of(clamp(p.first_seen));
    let last = axis.x_of(clamp(p.last_seen));
    let tail = match (&p.ended, replaced) {
        (Some(e), _) if e.time > p.last_seen => Some(Tail {
            x1: round(last),
            x2: round(axis.x_of(clamp(e.time))),
            class: "ended",
            title: format!("ended: {}", event_words(e)),
        }),
        (None, false) if p.last_seen < axis_end => Some(Tail {
            x1: round(last),
            x2: round(axis.x_of(axis_end)),
            class: "open",
            title: "no end in the inputs: still running as far as they show".into(),
        }),
        _ => None,
    };
    let label = format!("{} · PID {}", pool.pool, p.pid);
    let label_end = x > axis.x_of(axis_end) * 0.75;
    Lane {
        y: round(y + BAR_Y),
        text_y: round(y + LABEL_Y),
        mid: round(y + BAR_Y + BAR_H / 2.0),
        x: round(x),
        w: round((last - x).max(2.0)),
        tail,
        label_x: round(if label_end { last } else { x }),
        label_end,
        title: life_words(pool, p, replaced),
        label,
        failures: p
            .failures
            .iter()
            .map(|f| dot(f, axis, axis_end, anchors))
            .collect(),
    }
}

fn dot(
    f: &FailureMark,
    axis: &Axis,
    axis_end: DateTime<Utc>,
    anchors: &HashMap<String, usize>,
) -> Dot {
    let name = f.file.rsplit(['/', '\\']).next().unwrap_or(&f.file);
    Dot {
        x: round(axis.x_of(f.time.clamp(axis.start, axis_end))),
        class: verdict_class(f.verdict),
        title: format!(
            "{} {} {} {} {name} {}",
            f.time.format("%Y-%m-%d %H:%M:%S"),
            f.status,
            f.verdict.as_str(),
            f.rule,
            f.url
        ),
        anchor: anchors.get(&f.file).copied(),
    }
}

fn clock(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn event_words(e: &EventMark) -> String {
    let reason = e
        .reason
        .as_deref()
        .map_or_else(String::new, |r| format!(", {r}"));
    format!("{} ({} at {}{reason})", e.kind, e.event, clock(e.time))
}

fn started_words(p: &ProcessLife) -> String {
    p.started_after.as_ref().map_or_else(
        || "first seen in the inputs".to_string(),
        |e| format!("after {}", event_words(e)),
    )
}

fn ended_words(p: &ProcessLife, replaced: bool) -> String {
    match (&p.ended, replaced) {
        (Some(e), _) => event_words(e),
        (None, true) => "no end event; a later process of the pool replaced it".into(),
        (None, false) => "no end in the inputs: still running as far as they show".into(),
    }
}

fn life_words(pool: &PoolLife, p: &ProcessLife, replaced: bool) -> String {
    format!(
        "pool {}, PID {}: {} → {} UTC, {} trace{}, {} failure{}; started {}; ended {}",
        pool.pool,
        p.pid,
        clock(p.first_seen),
        clock(p.last_seen),
        p.traces,
        if p.traces == 1 { "" } else { "s" },
        p.failures.len(),
        if p.failures.len() == 1 { "" } else { "s" },
        started_words(p),
        ended_words(p, replaced),
    )
}

fn row(pool: &PoolLife, p: &ProcessLife) -> LifeRow {
    let replaced = pool
        .processes
        .last()
        .is_some_and(|last| !std::ptr::eq(last, p));
    LifeRow {
        pool: pool.pool.clone(),
        pid: p.pid,
        first: clock(p.first_seen),
        last: clock(p.last_seen),
        traces: p.traces,
        failures: p.failures.len(),
        started: started_words(p),
        ended: ended_words(p, replaced),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Verdict;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn life(pid: u32, first: &str, last: &str, ended: Option<&str>) -> ProcessLife {
        ProcessLife {
            pid,
            first_seen: at(first),
            last_seen: at(last),
            started_after: None,
            ended: ended.map(|t| EventMark {
                time: at(t),
                event: "WAS 5186".into(),
                kind: "idle-shutdown".into(),
                pid: Some(pid),
                reason: Some("idle timeout of 20 min".into()),
            }),
            failures: Vec::new(),
            events: Vec::new(),
            traces: 2,
        }
    }

    #[test]
    fn one_lane_per_process_with_failures_and_how_it_ended() {
        let mut first = life(
            4812,
            "2026-06-08T08:00:00Z",
            "2026-06-08T09:00:00Z",
            Some("2026-06-08T09:20:00Z"),
        );
        first.failures.push(FailureMark {
            time: at("2026-06-08T08:30:00Z"),
            file: "logs/W3SVC2/fr000007.xml".into(),
            status: "502.3".into(),
            verdict: Verdict::Startup,
            rule: "R8".into(),
            url: "/orders".into(),
        });
        let second = life(9304, "2026-06-08T10:00:00Z", "2026-06-08T11:00:00Z", None);
        let timeline = Timeline {
            pools: vec![PoolLife {
                server: "WEB01".into(),
                pool: "Orders".into(),
                processes: vec![first, second],
                pool_events: Vec::new(),
            }],
        };
        let axis = Axis::for_span(at("2026-06-08T08:00:00Z"), at("2026-06-08T12:00:00Z"));
        let anchors = HashMap::from([("logs/W3SVC2/fr000007.xml".to_string(), 3)]);
        let drawn = lanes("web01.corp.example", &axis, &timeline, &anchors);
        assert_eq!(drawn.lanes.len(), 2);
        assert_eq!(drawn.rows.len(), 2);
        let (a, b) = (&drawn.lanes[0], &drawn.lanes[1]);
        assert_eq!(a.label, "Orders · PID 4812");
        assert!(a.y < b.y, "one lane under the other");
        assert!(a.x < b.x && a.x + a.w <= b.x, "in time order on one axis");
        assert_eq!(a.tail.as_ref().map(|t| t.class), Some("ended"));
        assert!(
            a.title
                .contains("ended idle-shutdown (WAS 5186 at 2026-06-08 09:20:00")
        );
        assert_eq!(
            b.tail.as_ref().map(|t| t.class),
            Some("open"),
            "the last one runs on"
        );
        assert!(b.title.contains("still running as far as they show"));
        assert_eq!(a.failures.len(), 1);
        assert_eq!(a.failures[0].anchor, Some(3));
        assert_eq!(a.failures[0].class, "v-startup");
        assert!(a.failures[0].x > a.x && a.failures[0].x < a.x + a.w);
        assert!(drawn.height > 2.0 * LANE_H);
        // Another server's chart gets none of them.
        assert!(lanes("WEB02", &axis, &timeline, &anchors).lanes.is_empty());
    }

    #[test]
    fn many_processes_are_capped_and_counted() {
        let processes = (0..250)
            .map(|i| {
                life(
                    1000 + i,
                    "2026-06-08T08:00:00Z",
                    "2026-06-08T08:10:00Z",
                    None,
                )
            })
            .collect();
        let timeline = Timeline {
            pools: vec![PoolLife {
                server: "WEB01".into(),
                pool: "Orders".into(),
                processes,
                pool_events: Vec::new(),
            }],
        };
        let axis = Axis::for_span(at("2026-06-08T08:00:00Z"), at("2026-06-08T09:00:00Z"));
        let drawn = lanes("WEB01", &axis, &timeline, &HashMap::new());
        assert_eq!(drawn.lanes.len(), MAX_LANES);
        assert_eq!(drawn.more, 250 - MAX_LANES);
        assert_eq!(drawn.rows.len(), MAX_ROWS, "the table lists the first ones");
        assert_eq!(drawn.total, 250);
    }
}
