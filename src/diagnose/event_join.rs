//! Traces meet the servers' event logs: which WAS, ANCM or crash event concerns a failure.
//!
//! An event concerns a trace when it is on the same server (the first DNS label, any case),
//! of the same pool (any case), about the same worker process, and near in time: the windows
//! below come from how late each event is written (`docs/events.md`). Clocks of two servers
//! differ by a few seconds ([`CLOCK_SKEW`]), so every comparison allows for it. Events of
//! other pools, other processes, hours away or after the failure concern nothing.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::generations::ProcessInfo;
use crate::compact::{TraceFacts, first_segment};
use crate::events::{EventKind, ServerEvent, server_key};

/// How far apart two servers' clocks may be.
pub(crate) const CLOCK_SKEW: TimeDelta = TimeDelta::seconds(5);
/// A crash is logged seconds after the fault, a hang (5010) up to `pingInterval +
/// pingResponseTime` (30 s + 90 s) after it began: the window around a failure in which a
/// crash or hang of its process explains it.
const FAILURE_BEFORE: TimeDelta = TimeDelta::minutes(2);
const FAILURE_AFTER: TimeDelta = TimeDelta::minutes(5);
/// A lifecycle event this soon before a fast failure of the new process correlates them.
pub(crate) const RECENT_RESTART: TimeDelta = TimeDelta::minutes(5);

/// The events of a run, by server, in time order.
#[derive(Debug, Default)]
pub(crate) struct EventIndex<'a> {
    by_server: HashMap<String, Vec<&'a ServerEvent>>,
}

impl<'a> EventIndex<'a> {
    /// Indexes `events` by server.
    pub(crate) fn new(events: &'a [ServerEvent]) -> Self {
        let mut by_server: HashMap<String, Vec<&ServerEvent>> = HashMap::new();
        for event in events {
            by_server
                .entry(server_key(&event.server))
                .or_default()
                .push(event);
        }
        for list in by_server.values_mut() {
            list.sort_by_key(|e| e.time);
        }
        EventIndex { by_server }
    }

    /// True when no event was read.
    pub(crate) fn is_empty(&self) -> bool {
        self.by_server.is_empty()
    }

    /// The events of one server between two times (inclusive).
    fn between(
        &self,
        server: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> impl DoubleEndedIterator<Item = &'a ServerEvent> + '_ {
        let list = self
            .by_server
            .get(&server_key(server))
            .map_or(&[][..], Vec::as_slice);
        let start = list.partition_point(|e| e.time < from);
        let end = list.partition_point(|e| e.time <= to);
        list[start..end.max(start)].iter().copied()
    }
}

/// What is known of the process a trace ran in: server, pool and PID (the PID unknown for an
/// ARR front end's backend without a trace), and the time of the failure.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target<'t> {
    /// The server.
    pub(crate) server: &'t str,
    /// The pool; `None` when the failure cannot name it (any pool of the server).
    pub(crate) pool: Option<&'t str>,
    /// The w3wp process ID.
    pub(crate) pid: Option<u32>,
    /// The IIS site, for ANCM events that name no process.
    pub(crate) site_id: Option<&'t str>,
    /// Start of the failing request.
    pub(crate) start: DateTime<Utc>,
    /// End of the failing request.
    pub(crate) end: DateTime<Utc>,
}

impl<'t> Target<'t> {
    /// The trace's own process.
    pub(crate) fn of<T: TraceFacts>(trace: &'t T) -> Option<Target<'t>> {
        let start = trace.start_time()?;
        Some(Target {
            server: trace.server(),
            pool: Some(trace.app_pool()),
            pid: (trace.process_id() != 0).then_some(trace.process_id()),
            site_id: Some(trace.site_id()),
            start,
            end: trace.end_time().unwrap_or(start).max(start),
        })
    }

    fn pool_matches(&self, event: &ServerEvent) -> bool {
        match (self.pool, event.pool.as_deref()) {
            (Some(mine), Some(theirs)) => mine.to_lowercase() == theirs.to_lowercase(),
            _ => true,
        }
    }

    /// Same process: the PIDs agree, or neither side names one and the pool does.
    fn process_matches(&self, event: &ServerEvent) -> bool {
        if !self.pool_matches(event) {
            return false;
        }
        match (self.pid, event.pid) {
            (Some(mine), Some(theirs)) => mine == theirs,
            (None, _) => event.pool.is_some() || self.pool.is_none(),
            (Some(_), None) => false,
        }
    }

    /// An ANCM event of this process: its w3wp PID, or, when the export lost it (CSV), the
    /// same site.
    fn ancm_matches(&self, event: &ServerEvent) -> bool {
        match (self.pid, event.pid) {
            (Some(mine), Some(theirs)) => mine == theirs,
            // Without the w3wp PID only the site ties an event to the trace: an event that
            // names neither (another program's crash) concerns nothing.
            _ => matches!(
                (self.site_id, event.site_id.as_deref()),
                (Some(mine), Some(theirs)) if mine == theirs
            ),
        }
    }
}

/// A crash or hang of the target's process at the time of the failure (5009-5011, 5127,
/// Application Error 1000 for w3wp.exe).
pub(crate) fn worker_failure<'a>(
    index: &EventIndex<'a>,
    target: &Target,
) -> Option<&'a ServerEvent> {
    index
        .between(
            target.server,
            target.start - FAILURE_BEFORE - CLOCK_SKEW,
            target.end + FAILURE_AFTER + CLOCK_SKEW,
        )
        .filter(|e| e.kind.is_failure() && target.process_matches(e))
        .min_by_key(|e| distance(e.time, target))
}

/// The application's process behind ANCM died at the time of the failure (ANCM 1030/1002,
/// 1011/1018, Application Error 1000 for the application's program).
pub(crate) fn app_failure<'a>(index: &EventIndex<'a>, target: &Target) -> Option<&'a ServerEvent> {
    index
        .between(
            target.server,
            target.start - FAILURE_BEFORE - CLOCK_SKEW,
            target.end + FAILURE_AFTER + CLOCK_SKEW,
        )
        .filter(|e| e.kind == EventKind::AppCrash && target.ancm_matches(e))
        .min_by_key(|e| distance(e.time, target))
}

/// ANCM started the application within `limit` of the failure, before or after it (1001 is
/// written when the start completes, often after the request that waited for it failed).
pub(crate) fn app_start<'a>(
    index: &EventIndex<'a>,
    target: &Target,
    limit: Duration,
) -> Option<&'a ServerEvent> {
    let limit = TimeDelta::from_std(limit).unwrap_or(TimeDelta::MAX) + CLOCK_SKEW;
    index
        .between(target.server, target.start - limit, target.end + limit)
        .filter(|e| e.kind == EventKind::AppStart && target.ancm_matches(e))
        .min_by_key(|e| distance(e.time, target))
}

/// ANCM could not start the application around the failure: one of `ids` (1000/1020 for a
/// 502.5, 1010... for a 500.0/500.3x).
pub(crate) fn app_start_failure<'a>(
    index: &EventIndex<'a>,
    target: &Target,
    ids: &[u32],
    limit: Duration,
) -> Option<&'a ServerEvent> {
    let limit = TimeDelta::from_std(limit).unwrap_or(TimeDelta::MAX) + CLOCK_SKEW;
    index
        .between(
            target.server,
            target.start - limit,
            target.end + FAILURE_AFTER,
        )
        .filter(|e| {
            e.kind == EventKind::AppStartFailed
                && ids.contains(&e.event_id)
                && target.ancm_matches(e)
        })
        .min_by_key(|e| distance(e.time, target))
}

/// A recycle of the target's pool around the failure (for a 500.11/500.12).
pub(crate) fn recycle_near<'a>(index: &EventIndex<'a>, target: &Target) -> Option<&'a ServerEvent> {
    index
        .between(
            target.server,
            target.start - RECENT_RESTART - CLOCK_SKEW,
            target.end + FAILURE_AFTER,
        )
        .filter(|e| e.kind == EventKind::Recycle && target.pool_matches(e))
        .min_by_key(|e| distance(e.time, target))
}

/// The event that ended the process before the target's (another PID of the pool, or the
/// whole pool recycled) when no sign of the target's process precedes it: the target's
/// process is new. `first_seen` is the first sign of life of the target's process; with no
/// PID (an ARR backend without a trace), `last_seen_pool` is the last sign of the pool, and
/// only an event after it counts.
pub(crate) fn ended_before<'a>(
    index: &EventIndex<'a>,
    target: &Target,
    first_seen: DateTime<Utc>,
    last_seen_pool: Option<DateTime<Utc>>,
) -> Option<&'a ServerEvent> {
    let from = last_seen_pool.unwrap_or(DateTime::<Utc>::MIN_UTC);
    index
        .between(target.server, from, first_seen + CLOCK_SKEW)
        .rev()
        .find(|e| {
            e.kind.ends_process()
                && e.pool.is_some()
                && target.pool_matches(e)
                && match (target.pid, e.pid) {
                    (Some(mine), Some(theirs)) => mine != theirs,
                    _ => true,
                }
        })
}

fn distance(time: DateTime<Utc>, target: &Target) -> TimeDelta {
    if time < target.start {
        target.start - time
    } else if time > target.end {
        time - target.end
    } else {
        TimeDelta::zero()
    }
}

/// Marks the processes that events prove new: the earliest trace of its process, or one
/// within `window` of it, after an event ended another process of the same pool.
pub(crate) fn apply<T: TraceFacts>(
    traces: &[T],
    processes: &mut [ProcessInfo],
    index: &EventIndex<'_>,
    window: Duration,
) {
    if index.is_empty() {
        return;
    }
    let window = TimeDelta::from_std(window).unwrap_or(TimeDelta::MAX);
    for (trace, info) in traces.iter().zip(processes.iter_mut()) {
        let (Some(target), Some(age)) = (Target::of(trace), info.age) else {
            continue;
        };
        if target.pid.is_none() || age > window {
            continue;
        }
        let first_seen = target.start - age;
        let last_seen = info.previous.as_ref().map(|p| p.last_seen - CLOCK_SKEW);
        if let Some(event) = ended_before(index, &target, first_seen, last_seen) {
            info.started_after = Some(Box::new(event.clone()));
            if age.is_zero() {
                info.first_for_pid = true;
            }
        }
    }
}

/// `WAS 5186 at 12:08:30`.
pub(crate) fn event_at(event: &ServerEvent) -> String {
    format!("{} at {}", event.label(), event.time.format("%H:%M:%S"))
}

/// `a new process after WAS 5186 at 12:08:30 ended the idle process 4812 (idle timeout of 20
/// min)`.
pub(crate) fn restart_story(event: &ServerEvent) -> String {
    let old = event.pid.map_or_else(
        || "the pool's processes".to_string(),
        |p| format!("process {p}"),
    );
    let what = match event.kind {
        EventKind::IdleShutdown => match event.pid {
            Some(p) => format!("ended the idle process {p}"),
            None => "ended the idle process".to_string(),
        },
        EventKind::Recycle => format!("recycled {old}"),
        EventKind::Crash => format!("reported {old} crashed"),
        EventKind::Hang => format!("killed the hung {old}"),
        EventKind::StartupTimeout => format!("gave up starting {old}"),
        _ => format!("ended {old}"),
    };
    let reason = event
        .reason
        .as_deref()
        .map_or_else(String::new, |r| format!(" ({r})"));
    format!("a new process after {} {what}{reason}", event_at(event))
}

/// `WAS 5011 at 17:00:01: process 8716 of pool Orders crashed (fatal communication error
/// with WAS)`, with the delta to the failure.
pub(crate) fn failure_story(event: &ServerEvent, target: &Target) -> String {
    let who = match (event.kind, event.pid, event.app_pid) {
        (EventKind::AppCrash | EventKind::AppStart, Some(w3wp), Some(app)) => {
            format!("application process {app} of w3wp {w3wp}")
        }
        (EventKind::AppCrash | EventKind::AppStart, None, Some(app)) => {
            format!("application process {app}")
        }
        (
            EventKind::AppCrash | EventKind::AppStart | EventKind::AppStartFailed,
            Some(w3wp),
            None,
        ) => {
            format!("the application of w3wp {w3wp}")
        }
        (_, Some(p), _) => format!("process {p}"),
        (_, None, Some(p)) => format!("application process {p}"),
        (_, None, None) => "the application".to_string(),
    };
    let pool = event
        .pool
        .as_deref()
        .map_or_else(String::new, |p| format!(" of pool {p}"));
    let what = match event.kind {
        EventKind::Hang => "hung",
        EventKind::AppCrash => "exited",
        EventKind::AppStart => "started",
        EventKind::AppStartFailed => "failed to start",
        EventKind::Recycle => "was recycled",
        _ => "crashed",
    };
    // An application start needs no words beyond "started".
    let reason = event
        .reason
        .as_deref()
        .filter(|_| event.kind != EventKind::AppStart)
        .map_or_else(String::new, |r| format!(" ({r})"));
    let code = event
        .error_code
        .filter(|c| !reason.contains(&c.to_string()))
        .map_or_else(String::new, |c| format!(", ErrorCode {c}"));
    format!(
        "{} on {}: {who}{pool} {what}{reason}{code}, {} the failure",
        event_at(event),
        crate::events::short_server(&event.server),
        relative(event.time, target)
    )
}

/// `12.0 s after`, `3 min before`, `during`.
fn relative(time: DateTime<Utc>, target: &Target) -> String {
    let d = distance(time, target);
    if d < TimeDelta::seconds(1) {
        return "during".into();
    }
    let words = super::evidence::gap(d);
    if time < target.start {
        format!("{words} before")
    } else {
        format!("{words} after")
    }
}

/// Where an ARR front end's request went on the backend when no backend trace says: the pool
/// that the backend's traces of the same first path segment ran in, and when each pool was
/// last seen alive.
#[derive(Debug, Default)]
pub(crate) struct PoolGuess {
    by_path: HashMap<(String, String), Vec<String>>,
    seen: HashMap<(String, String), Vec<DateTime<Utc>>>,
}

impl PoolGuess {
    /// Learns the pools of every server from its traces.
    pub(crate) fn new<T: TraceFacts>(traces: &[T]) -> Self {
        let mut guess = PoolGuess::default();
        for trace in traces.iter().filter(|t| !t.app_pool().is_empty()) {
            let server = server_key(trace.server());
            let pool = trace.app_pool().to_lowercase();
            let pools = guess
                .by_path
                .entry((server.clone(), trace.url_segment().into_owned()))
                .or_default();
            if !pools.iter().any(|p| p.to_lowercase() == pool) {
                pools.push(trace.app_pool().to_owned());
            }
            if let Some(start) = trace.start_time() {
                let times = guess.seen.entry((server, pool)).or_default();
                times.push(trace.end_time().unwrap_or(start).max(start));
            }
        }
        for times in guess.seen.values_mut() {
            times.sort_unstable();
        }
        guess
    }

    /// The one pool of `server` that served URLs like `url`, if exactly one did.
    pub(crate) fn pool_for(&self, server: &str, url: &str) -> Option<&str> {
        let pools = self
            .by_path
            .get(&(server_key(server), first_segment(url)))?;
        match pools.as_slice() {
            [one] => Some(one),
            _ => None,
        }
    }

    /// The last trace of `pool` on `server` that ended before `time`.
    pub(crate) fn last_seen_before(
        &self,
        server: &str,
        pool: &str,
        time: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let times = self.seen.get(&(server_key(server), pool.to_lowercase()))?;
        let n = times.partition_point(|t| *t < time);
        n.checked_sub(1).map(|i| times[i])
    }
}

/// The host a proxy target names: `WEB02`, `web02:8080`, `http://web02/orders` → `web02...`.
pub(crate) fn target_host(target: &str) -> &str {
    let rest = target.split_once("://").map_or(target, |(_, rest)| rest);
    rest.split('/').next().unwrap_or(rest)
}

#[cfg(test)]
#[path = "event_join_tests.rs"]
mod tests;
