//! The time histograms: matched traces per interval, one chart per server, stacked by verdict.
//!
//! Every chart shares one time axis and one scale, so the servers can be compared by eye and
//! a quiet hour on one lines up with the cold starts on another. The interval is the shortest
//! round one (a minute up to a month) that keeps a chart within [`MAX_BUCKETS`] bars. Runs of
//! empty intervals are shaded as quiet periods, because "it fails after every quiet hour" is
//! the picture the chart exists for. Only geometry is computed here; the template draws it.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};

use super::hooks::Marker;
use super::lanes::Lanes;
use crate::model::{Trace, Verdict};

/// The most bars one chart has.
pub(super) const MAX_BUCKETS: i64 = 72;
/// Round intervals, in seconds, shortest first.
const INTERVALS: [i64; 14] = [
    60,
    5 * 60,
    10 * 60,
    15 * 60,
    30 * 60,
    3600,
    2 * 3600,
    3 * 3600,
    6 * 3600,
    12 * 3600,
    86_400,
    2 * 86_400,
    7 * 86_400,
    30 * 86_400,
];
/// Width of the drawing area of the SVG, in user units.
pub(super) const WIDTH: f64 = 960.0;
/// Height of one chart, in user units.
pub(super) const HEIGHT: f64 = 150.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 22.0;
/// Fewest empty intervals in a row that count as a quiet period...
const QUIET_RUN: usize = 3;
/// ...and the shortest quiet period, in seconds: an idle timeout is 20 minutes by default,
/// so an hour without a trace is long enough for a worker process to have shut down.
const QUIET_SECONDS: i64 = 3600;

/// The order the segments of a bar stack in, bottom first, with their CSS classes.
pub(super) const SERIES: [Verdict; 6] = [
    Verdict::Startup,
    Verdict::Proxy,
    Verdict::Worker,
    Verdict::Config,
    Verdict::Unknown,
    Verdict::NotApplicable,
];

/// The CSS class of a verdict's colour.
pub(super) fn verdict_class(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Startup => "v-startup",
        Verdict::Proxy => "v-proxy",
        Verdict::Worker => "v-worker",
        Verdict::Config => "v-config",
        Verdict::Unknown => "v-unknown",
        Verdict::NotApplicable => "v-none",
    }
}

/// The time axis all charts share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Axis {
    /// Start of the first interval.
    pub(super) start: DateTime<Utc>,
    /// Length of one interval, in seconds.
    pub(super) step: i64,
    /// Number of intervals.
    pub(super) buckets: usize,
}

impl Axis {
    /// The axis of a span, or `None` when no trace has a time.
    pub(super) fn for_span(first: DateTime<Utc>, last: DateTime<Utc>) -> Axis {
        let span = (last - first).num_seconds().max(1);
        let step = INTERVALS
            .iter()
            .copied()
            .find(|step| span / step < MAX_BUCKETS)
            .unwrap_or(span / MAX_BUCKETS + 1);
        let start_secs = first.timestamp().div_euclid(step) * step;
        let start = DateTime::from_timestamp(start_secs, 0).unwrap_or(first);
        let buckets = ((last.timestamp() - start_secs) / step + 1) as usize;
        Axis {
            start,
            step,
            buckets,
        }
    }

    /// The interval a time falls in, if on the axis.
    pub(super) fn bucket(&self, time: DateTime<Utc>) -> Option<usize> {
        let offset = (time - self.start).num_seconds();
        let index = offset.div_euclid(self.step);
        (0..self.buckets as i64)
            .contains(&index)
            .then_some(index as usize)
    }

    /// The start of an interval.
    pub(super) fn time_of(&self, bucket: usize) -> DateTime<Utc> {
        self.start + TimeDelta::seconds(self.step * bucket as i64)
    }

    /// `15 min`, `1 h`, `1 day`.
    pub(super) fn step_label(&self) -> String {
        duration_words(self.step)
    }

    fn x_of_seconds(&self, seconds: f64) -> f64 {
        let total = (self.step * self.buckets as i64) as f64;
        LEFT + (WIDTH - LEFT - RIGHT) * (seconds / total)
    }

    pub(super) fn x_of(&self, time: DateTime<Utc>) -> f64 {
        let seconds = (time - self.start).num_milliseconds() as f64 / 1000.0;
        self.x_of_seconds(seconds)
    }

    fn bar_width(&self) -> f64 {
        (WIDTH - LEFT - RIGHT) / self.buckets as f64
    }
}

/// `90 s`, `15 min`, `2 h`, `3 days`.
pub(super) fn duration_words(seconds: i64) -> String {
    match seconds {
        s if s % 86_400 == 0 && s >= 86_400 => plural(s / 86_400, "day"),
        s if s % 3600 == 0 && s >= 3600 => format!("{} h", s / 3600),
        s if s % 60 == 0 && s > 3600 => format!("{} h {} min", s / 3600, (s % 3600) / 60),
        s if s % 60 == 0 && s >= 60 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

fn plural(n: i64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// One trace as the chart counts it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Point<'a> {
    /// The trace.
    pub(super) trace: &'a Trace,
    /// Its verdict.
    pub(super) verdict: Verdict,
    /// The anchor of its drill-down section, when it has one.
    pub(super) anchor: Option<usize>,
}

/// A rectangle of one verdict in one interval.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Segment {
    /// Left edge.
    pub(super) x: f64,
    /// Top edge.
    pub(super) y: f64,
    /// Width.
    pub(super) w: f64,
    /// Height.
    pub(super) h: f64,
    /// CSS class of the verdict.
    pub(super) class: &'static str,
    /// Tooltip.
    pub(super) title: String,
    /// The drill-down of the segment's first trace, when it has one.
    pub(super) anchor: Option<usize>,
}

/// A shaded run of empty intervals.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Band {
    /// Left edge.
    pub(super) x: f64,
    /// Width.
    pub(super) w: f64,
    /// Tooltip.
    pub(super) title: String,
}

/// A marker line.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Line {
    /// Position.
    pub(super) x: f64,
    /// CSS class of its kind.
    pub(super) class: &'static str,
    /// Tooltip.
    pub(super) title: String,
}

/// A label on the time axis.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Tick {
    /// Position.
    pub(super) x: f64,
    /// Text.
    pub(super) label: String,
}

/// One server's chart, ready to draw.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Chart {
    /// The server (`System/Computer`).
    pub(super) server: String,
    /// Matched traces on the chart.
    pub(super) total: usize,
    /// Failures (5xx) among them.
    pub(super) failures: usize,
    /// Bars, bottom segment first.
    pub(super) segments: Vec<Segment>,
    /// Quiet periods.
    pub(super) quiet: Vec<Band>,
    /// Markers.
    pub(super) markers: Vec<Line>,
    /// Time labels.
    pub(super) ticks: Vec<Tick>,
    /// Height of the tallest bar of all charts.
    pub(super) y_max: usize,
    /// Y position of the x axis.
    pub(super) baseline: f64,
    /// Y position of the top of the plot.
    pub(super) top: f64,
    /// X position of the y axis.
    pub(super) left: f64,
    /// X position of the end of the plot.
    pub(super) right: f64,
    /// Total height of the SVG.
    pub(super) height: f64,
    /// Width of the SVG.
    pub(super) width: f64,
    /// The worker processes of the server, under the bars (see [`super::lanes`]).
    pub(super) lanes: Lanes,
}

/// The charts of a run, one per server in name order, on one axis.
pub(super) fn charts(points: &[Point<'_>], markers: &[Marker]) -> Option<(Axis, Vec<Chart>)> {
    let times = points.iter().filter_map(|p| p.trace.start_time);
    let first = times.clone().min()?;
    let last = times.max()?;
    let axis = Axis::for_span(first, last);
    // server -> bucket -> verdict -> (count, first anchor)
    type Cells = BTreeMap<usize, BTreeMap<Verdict, (usize, Option<usize>)>>;
    let mut servers: BTreeMap<&str, Cells> = BTreeMap::new();
    for point in points {
        let Some(bucket) = point.trace.start_time.and_then(|t| axis.bucket(t)) else {
            continue;
        };
        let cell = servers
            .entry(point.trace.server.as_str())
            .or_default()
            .entry(bucket)
            .or_default()
            .entry(point.verdict)
            .or_insert((0, None));
        cell.0 += 1;
        cell.1 = cell.1.or(point.anchor);
    }
    let y_max = servers
        .values()
        .flat_map(|cells| cells.values())
        .map(|by_verdict| by_verdict.values().map(|c| c.0).sum::<usize>())
        .max()
        .unwrap_or(0)
        .max(1);
    let charts = servers
        .iter()
        .map(|(server, cells)| chart(server, cells, &axis, y_max, markers))
        .collect();
    Some((axis, charts))
}

fn chart(
    server: &str,
    cells: &BTreeMap<usize, BTreeMap<Verdict, (usize, Option<usize>)>>,
    axis: &Axis,
    y_max: usize,
    markers: &[Marker],
) -> Chart {
    let baseline = HEIGHT - BOTTOM;
    let scale = (baseline - TOP) / y_max as f64;
    let bar = axis.bar_width();
    let gap = if bar > 4.0 { 1.0 } else { 0.0 };
    let mut segments = Vec::new();
    let (mut total, mut failures) = (0, 0);
    for (&bucket, by_verdict) in cells {
        let x = axis.x_of_seconds((axis.step * bucket as i64) as f64);
        let mut y = baseline;
        let from = axis.time_of(bucket);
        for verdict in SERIES {
            let Some(&(count, anchor)) = by_verdict.get(&verdict) else {
                continue;
            };
            total += count;
            if verdict != Verdict::NotApplicable {
                failures += count;
            }
            let h = count as f64 * scale;
            y -= h;
            segments.push(Segment {
                x: round(x + gap / 2.0),
                y: round(y),
                w: round((bar - gap).max(0.5)),
                h: round(h),
                class: verdict_class(verdict),
                title: format!(
                    "{server} {} + {}: {count} {}",
                    from.format("%Y-%m-%d %H:%M"),
                    axis.step_label(),
                    series_label(verdict)
                ),
                anchor,
            });
        }
    }
    Chart {
        server: server.to_owned(),
        total,
        failures,
        segments,
        quiet: quiet_bands(cells, axis),
        markers: marker_lines(server, axis, markers),
        ticks: ticks(axis),
        y_max,
        baseline,
        top: TOP,
        left: LEFT,
        right: WIDTH - RIGHT,
        height: HEIGHT,
        width: WIDTH,
        lanes: Lanes::default(),
    }
}

/// `startup`, ..., and `below 500` for the traces that get no verdict.
pub(super) fn series_label(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::NotApplicable => "below 500",
        v => v.as_str(),
    }
}

fn quiet_bands(
    cells: &BTreeMap<usize, BTreeMap<Verdict, (usize, Option<usize>)>>,
    axis: &Axis,
) -> Vec<Band> {
    let mut bands = Vec::new();
    let mut run_start = None;
    for bucket in 0..=axis.buckets {
        let empty = bucket < axis.buckets && !cells.contains_key(&bucket);
        match (empty, run_start) {
            (true, None) => run_start = Some(bucket),
            (false, Some(start)) => {
                run_start = None;
                let len = bucket - start;
                if len >= QUIET_RUN && axis.step * len as i64 >= QUIET_SECONDS {
                    let x = axis.x_of_seconds((axis.step * start as i64) as f64);
                    let from = axis.time_of(start);
                    bands.push(Band {
                        x: round(x),
                        w: round(axis.bar_width() * len as f64),
                        title: format!(
                            "quiet: nothing matched from {} for {}",
                            from.format("%Y-%m-%d %H:%M"),
                            duration_words(axis.step * len as i64)
                        ),
                    });
                }
            }
            _ => {}
        }
    }
    bands
}

fn marker_lines(server: &str, axis: &Axis, markers: &[Marker]) -> Vec<Line> {
    let end = axis.time_of(axis.buckets);
    markers
        .iter()
        .filter(|m| m.server.eq_ignore_ascii_case(server))
        .filter(|m| m.time >= axis.start && m.time <= end)
        .map(|m| Line {
            x: round(axis.x_of(m.time)),
            class: m.kind.class(),
            title: format!(
                "{} {}: {}",
                m.time.format("%Y-%m-%d %H:%M:%S"),
                m.kind.as_str(),
                m.label
            ),
        })
        .collect()
}

/// About six labels along the axis, on interval boundaries.
fn ticks(axis: &Axis) -> Vec<Tick> {
    let every = axis.buckets.div_ceil(6).max(1);
    let same_day = axis.time_of(0).date_naive() == axis.time_of(axis.buckets).date_naive();
    (0..=axis.buckets)
        .step_by(every)
        .map(|bucket| {
            let time = axis.time_of(bucket);
            let label = if axis.step >= 86_400 {
                time.format("%m-%d").to_string()
            } else if same_day {
                time.format("%H:%M").to_string()
            } else {
                time.format("%m-%d %H:%M").to_string()
            };
            Tick {
                x: round(axis.x_of_seconds((axis.step * bucket as i64) as f64)),
                label,
            }
        })
        .collect()
}

/// One decimal is enough for a screen, and keeps the page small and the snapshots stable.
pub(super) fn round(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn the_interval_grows_with_the_span() {
        let day = Axis::for_span(at("2026-06-08T00:10:00Z"), at("2026-06-08T23:50:00Z"));
        assert_eq!((day.step, day.buckets), (30 * 60, 48));
        assert_eq!(day.start, at("2026-06-08T00:00:00Z"));
        let hour = Axis::for_span(at("2026-06-08T10:03:00Z"), at("2026-06-08T10:58:00Z"));
        assert_eq!(hour.step, 60);
        let month = Axis::for_span(at("2026-06-01T00:00:00Z"), at("2026-06-30T00:00:00Z"));
        assert_eq!(month.step, 12 * 3600);
        let instant = Axis::for_span(at("2026-06-08T10:03:00Z"), at("2026-06-08T10:03:00Z"));
        assert_eq!((instant.step, instant.buckets), (60, 1));
        let decade = Axis::for_span(at("2016-06-01T00:00:00Z"), at("2026-06-01T00:00:00Z"));
        assert!(decade.buckets as i64 <= MAX_BUCKETS + 1, "{decade:?}");
    }

    #[test]
    fn buckets_and_bounds() {
        let axis = Axis::for_span(at("2026-06-08T00:10:00Z"), at("2026-06-08T23:50:00Z"));
        assert_eq!(axis.bucket(at("2026-06-08T00:00:00Z")), Some(0));
        assert_eq!(axis.bucket(at("2026-06-08T00:29:59Z")), Some(0));
        assert_eq!(axis.bucket(at("2026-06-08T23:59:59Z")), Some(47));
        assert_eq!(axis.bucket(at("2026-06-09T00:00:00Z")), None);
        assert_eq!(axis.bucket(at("2026-06-07T23:59:59Z")), None);
    }

    #[test]
    fn one_chart_per_server_with_quiet_runs_and_stacked_verdicts() {
        let trace = |server: &str, time: &str| Trace {
            server: server.into(),
            start_time: Some(at(time)),
            ..Trace::default()
        };
        let traces = [
            trace("WEB01", "2026-06-08T00:00:00Z"),
            trace("WEB01", "2026-06-08T00:00:10Z"),
            trace("WEB02", "2026-06-08T05:00:00Z"),
        ];
        let points: Vec<Point> = traces
            .iter()
            .enumerate()
            .map(|(i, t)| Point {
                trace: t,
                verdict: if i == 0 {
                    Verdict::Startup
                } else {
                    Verdict::Worker
                },
                anchor: Some(i + 1),
            })
            .collect();
        let markers = [Marker {
            server: "web01".into(),
            time: at("2026-06-08T00:00:00Z"),
            kind: super::super::hooks::MarkerKind::ProcessStart,
            label: "pool A".into(),
        }];
        let (axis, charts) = charts(&points, &markers).unwrap();
        assert_eq!(axis.step, 5 * 60);
        assert_eq!(charts.len(), 2);
        let web01 = &charts[0];
        assert_eq!(web01.server, "WEB01");
        assert_eq!(web01.segments.len(), 2, "startup and worker stacked");
        assert_eq!(web01.segments[0].class, "v-startup");
        assert!(web01.segments[1].y < web01.segments[0].y, "stacked upwards");
        assert_eq!(web01.y_max, 2);
        assert_eq!(web01.markers.len(), 1, "markers match servers in any case");
        assert_eq!(web01.quiet.len(), 1, "the five hours without traces");
        assert!(
            web01.quiet[0]
                .title
                .ends_with("from 2026-06-08 00:05 for 5 h"),
            "{}",
            web01.quiet[0].title
        );
        assert_eq!(charts[1].markers.len(), 0);
    }
}
