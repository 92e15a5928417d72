//! The life of every worker process, per server and pool, with the failures placed on it.
//!
//! "It fails after every quiet period" is hard to see in a list of requests and obvious on a
//! line per process: when it was first and last seen, what started it (WAS ended the previous
//! one for idleness, a recycle, a crash) and how it ended. [`Timeline`] is plain data, built
//! once from the traces, their verdicts and the events; the text view here and any other
//! reporter (JSON through serde, HTML) draw the same thing.

use std::collections::BTreeMap;
use std::io::{self, Write};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::diagnose::event_join::CLOCK_SKEW;
use crate::diagnose::generations::ProcessInfo;
use crate::events::{ServerEvent, server_key};
use crate::model::{Depth, Diagnosis, Trace, Verdict};
use crate::sanitize::terminal;

/// Every pool of every server, in server then pool order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Timeline {
    /// One entry per (server, pool).
    pub pools: Vec<PoolLife>,
}

/// The processes of one pool, in the order they appeared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PoolLife {
    /// The server, as its traces name it.
    pub server: String,
    /// The application pool.
    pub pool: String,
    /// Its worker processes, by first sign of life.
    pub processes: Vec<ProcessLife>,
    /// Events of the pool that name no process (5080 config recycle, 5002 rapid-fail).
    pub pool_events: Vec<EventMark>,
}

/// One worker process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProcessLife {
    /// Its process ID.
    pub pid: u32,
    /// Its first trace or event.
    #[serde(serialize_with = "rfc3339")]
    pub first_seen: DateTime<Utc>,
    /// Its last trace or event.
    #[serde(serialize_with = "rfc3339")]
    pub last_seen: DateTime<Utc>,
    /// What started it, when an event says: the end of the process before it.
    pub started_after: Option<EventMark>,
    /// How it ended, when an event says.
    pub ended: Option<EventMark>,
    /// Its traces with a verdict (status 500 and above), in time order.
    pub failures: Vec<FailureMark>,
    /// What else the event logs say of it while it lived (its application crashed or was
    /// started again by ANCM), in time order.
    pub events: Vec<EventMark>,
    /// Its traces in all, failures or not.
    pub traces: usize,
}

/// An event on the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventMark {
    /// When.
    #[serde(serialize_with = "rfc3339")]
    pub time: DateTime<Utc>,
    /// `WAS 5186`.
    pub event: String,
    /// `idle-shutdown`, `recycle`, `crash`...
    pub kind: String,
    /// The process it names.
    pub pid: Option<u32>,
    /// Why, in words.
    pub reason: Option<String>,
}

impl EventMark {
    fn of(event: &ServerEvent) -> Self {
        EventMark {
            time: event.time,
            event: event.label(),
            kind: event.kind.as_str().to_string(),
            pid: event.pid,
            reason: event.reason.clone(),
        }
    }

    fn words(&self) -> String {
        let reason = self
            .reason
            .as_deref()
            .map_or_else(String::new, |r| format!(", {r}"));
        format!(
            "{} ({} at {}{reason})",
            self.kind,
            self.event,
            clock(self.time)
        )
    }
}

/// A failure on the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailureMark {
    /// Start of the request.
    #[serde(serialize_with = "rfc3339")]
    pub time: DateTime<Utc>,
    /// The trace file.
    pub file: String,
    /// `502.3`.
    pub status: String,
    /// The verdict.
    pub verdict: Verdict,
    /// The rule that decided.
    pub rule: String,
    /// The URL.
    pub url: String,
}

fn rfc3339<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::Millis, true))
}

/// The process being assembled.
struct Building {
    life: ProcessLife,
}

/// Builds the timeline of the `matched` traces' pools from every trace and event.
pub fn build(
    traces: &[Trace],
    diagnoses: &[Diagnosis],
    processes: &[ProcessInfo],
    matched: &[usize],
    events: &[ServerEvent],
) -> Timeline {
    // (server key, pool lower) → (names as written, pid → process)
    type Pools = BTreeMap<(String, String), ((String, String), BTreeMap<u32, Vec<Building>>)>;
    let mut pools: Pools = BTreeMap::new();
    let wanted: std::collections::HashSet<(String, String)> = matched
        .iter()
        .map(|&i| pool_key(&traces[i].server, &traces[i].app_pool))
        .collect();
    let mut order: Vec<usize> = (0..traces.len())
        .filter(|&i| traces[i].start_time.is_some() && traces[i].process_id != 0)
        .collect();
    order.sort_by_key(|&i| (traces[i].start_time, traces[i].file.clone()));
    for i in order {
        let trace = &traces[i];
        let key = pool_key(&trace.server, &trace.app_pool);
        if !wanted.contains(&key) {
            continue;
        }
        let start = trace.start_time.unwrap_or_default();
        let end = trace.end_time.unwrap_or(start).max(start);
        let entry = pools.entry(key).or_insert_with(|| {
            (
                (trace.server.clone(), trace.app_pool.clone()),
                BTreeMap::new(),
            )
        });
        let lives = entry.1.entry(trace.process_id).or_default();
        // A PID seen again after an event ended it is a new process (Windows reuses PIDs).
        let reuse = lives.last().is_some_and(|b| {
            b.life
                .ended
                .as_ref()
                .is_some_and(|e| e.time + CLOCK_SKEW < start)
        });
        if lives.is_empty() || reuse {
            lives.push(Building {
                life: ProcessLife {
                    pid: trace.process_id,
                    first_seen: start,
                    last_seen: end,
                    started_after: processes[i].started_after.as_deref().map(EventMark::of),
                    ended: None,
                    failures: Vec::new(),
                    events: Vec::new(),
                    traces: 0,
                },
            });
        }
        let Some(building) = lives.last_mut() else {
            continue;
        };
        let life = &mut building.life;
        life.last_seen = life.last_seen.max(end);
        life.traces += 1;
        let diagnosis = &diagnoses[i];
        if trace.depth == Depth::Full && diagnosis.verdict != Verdict::NotApplicable {
            life.failures.push(FailureMark {
                time: start,
                file: trace.file.display().to_string(),
                status: crate::diagnose::rules::effective_status(trace).to_string(),
                verdict: diagnosis.verdict,
                rule: diagnosis.rule.to_string(),
                url: trace.url.clone(),
            });
        }
        // The end event of this process: the first one after its last trace so far.
        life.ended = end_event(events, trace, life.first_seen).map(EventMark::of);
    }
    let mut timeline = Timeline::default();
    for ((server_pool_key, (names, lives)), pool_events) in pools.into_iter().map(|(k, v)| {
        let pool_events = events_of_pool(events, &k);
        ((k, v), pool_events)
    }) {
        let _ = server_pool_key;
        let mut processes: Vec<ProcessLife> =
            lives.into_values().flatten().map(|b| b.life).collect();
        for p in &mut processes {
            p.events = events_of_process(events, &names.0, p);
        }
        processes.sort_by_key(|p| (p.first_seen, p.pid));
        timeline.pools.push(PoolLife {
            server: names.0,
            pool: names.1,
            processes,
            pool_events,
        });
    }
    timeline
}

fn pool_key(server: &str, pool: &str) -> (String, String) {
    (server_key(server), pool.to_lowercase())
}

/// The first event that ended `trace`'s process after it was first seen.
fn end_event<'e>(
    events: &'e [ServerEvent],
    trace: &Trace,
    first_seen: DateTime<Utc>,
) -> Option<&'e ServerEvent> {
    let key = pool_key(&trace.server, &trace.app_pool);
    let last = trace.end_time.or(trace.start_time)?;
    events.iter().find(|e| {
        e.kind.ends_process()
            && e.pid == Some(trace.process_id)
            && e.time + CLOCK_SKEW >= last
            && e.time + CLOCK_SKEW >= first_seen
            && e.pool
                .as_deref()
                .is_none_or(|p| pool_key(&e.server, p) == key)
            && server_key(&e.server) == key.0
    })
}

/// The events of a process's w3wp PID that do not end it, while it lived.
fn events_of_process(events: &[ServerEvent], server: &str, p: &ProcessLife) -> Vec<EventMark> {
    let until = p.ended.as_ref().map_or(p.last_seen, |e| e.time);
    events
        .iter()
        .filter(|e| {
            !e.kind.ends_process()
                && e.pid == Some(p.pid)
                && server_key(&e.server) == server_key(server)
                && e.time + CLOCK_SKEW >= p.first_seen
                && e.time <= until + CLOCK_SKEW
        })
        .map(EventMark::of)
        .collect()
}

/// The events of a pool that name no process.
fn events_of_pool(events: &[ServerEvent], key: &(String, String)) -> Vec<EventMark> {
    events
        .iter()
        .filter(|e| {
            e.pid.is_none()
                && server_key(&e.server) == key.0
                && e.pool.as_deref().is_some_and(|p| p.to_lowercase() == key.1)
        })
        .map(EventMark::of)
        .collect()
}

fn clock(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// The text view: at most `width` columns (100 by default), escaped for the terminal.
pub fn render(timeline: &Timeline, width: usize, out: &mut dyn Write) -> io::Result<()> {
    if timeline.pools.is_empty() {
        return writeln!(out, "No worker process in the inputs.");
    }
    let mut line =
        |text: String| -> io::Result<()> { writeln!(out, "{}", fit(&terminal(&text), width)) };
    for pool in &timeline.pools {
        line(format!("{}  pool {}", pool.server, pool.pool))?;
        for event in &pool.pool_events {
            line(format!("  pool event: {}", event.words()))?;
        }
        for p in &pool.processes {
            line(format!(
                "  PID {:<7} {} → {}   {} trace{}, {} failure{}",
                p.pid,
                clock(p.first_seen),
                clock(p.last_seen),
                p.traces,
                if p.traces == 1 { "" } else { "s" },
                p.failures.len(),
                if p.failures.len() == 1 { "" } else { "s" },
            ))?;
            let start = p.started_after.as_ref().map_or_else(
                || "first seen in the inputs".to_string(),
                |e| format!("after {}", e.words()),
            );
            line(format!("    started  {start}"))?;
            // Failures and the process's own events, in time order.
            let mut rows: Vec<(DateTime<Utc>, String)> = p
                .failures
                .iter()
                .map(|f| {
                    let name = f.file.rsplit(['/', '\\']).next().unwrap_or(&f.file);
                    let text = format!(
                        "    ✗ {}  {:<6} {:<8} {:<4} {name}  {}",
                        f.time.format("%H:%M:%S"),
                        f.status,
                        f.verdict.as_str(),
                        f.rule,
                        f.url
                    );
                    (f.time, text)
                })
                .collect();
            rows.extend(p.events.iter().map(|e| {
                let reason = e.reason.as_deref().unwrap_or("");
                (
                    e.time,
                    format!(
                        "    · {}  {} {}: {reason}",
                        e.time.format("%H:%M:%S"),
                        e.event,
                        e.kind
                    ),
                )
            }));
            rows.sort_by_key(|(time, _)| *time);
            for (_, text) in rows {
                line(text)?;
            }
            let end = p
                .ended
                .as_ref()
                .map_or_else(|| "no end in the inputs".to_string(), EventMark::words);
            line(format!("    ended    {end}"))?;
        }
        line(String::new())?;
    }
    Ok(())
}

/// Cuts a line to `width` characters, marking the cut.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}
