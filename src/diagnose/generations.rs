//! Process generations: which worker process of a pool replaced which, and when.
//!
//! FREB writes the worker process ID on every trace, so following the IDs of one pool over time
//! shows each new process. A failure early in a process that replaced another is the classic
//! cold start after an idle shutdown, a recycle or a crash; a failure in a process that has been
//! serving for hours is not. Every trace counts here, also non-failures and traces read only to
//! their head, because they are what tells when a process was first and last seen.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};

use crate::model::Trace;

/// Where a trace sits in the life of its worker process, as far as the inputs show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessInfo {
    /// The earliest trace of its (server, pool, process ID), and an earlier trace of another
    /// process of the same pool exists: the process is new.
    pub first_for_pid: bool,
    /// Time from the first trace of this process to this trace.
    pub age: Option<TimeDelta>,
    /// The process this one replaced, when the inputs show one.
    pub previous: Option<PreviousProcess>,
}

/// The process seen last before a new one appeared in the same pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviousProcess {
    /// Its process ID.
    pub pid: u32,
    /// End of its last trace before the new process's first trace.
    pub last_seen: DateTime<Utc>,
    /// From `last_seen` to the new process's first trace; negative when they overlapped.
    pub gap: TimeDelta,
}

impl ProcessInfo {
    /// True when this trace falls within `window` of the first trace of a process that
    /// replaced another: the candidates for a startup verdict.
    pub fn in_startup_window(&self, window: std::time::Duration) -> bool {
        let Some(window) = TimeDelta::from_std(window).ok() else {
            return false;
        };
        self.previous.is_some() && self.age.is_some_and(|age| age <= window)
    }
}

/// The key that orders the traces of one pool: server, pool, start time, then file for ties.
fn order_key(trace: &Trace) -> (&str, &str, Option<DateTime<Utc>>, &std::ffi::OsStr) {
    (
        &trace.server,
        &trace.app_pool,
        trace.start_time,
        trace.file.as_os_str(),
    )
}

/// Computes the process facts for every trace; the result is in the order of `traces`.
///
/// One sort over all traces, then one pass per pool: O(n log n).
pub fn process_generations(traces: &[Trace]) -> Vec<ProcessInfo> {
    let mut infos = vec![ProcessInfo::default(); traces.len()];
    let mut order: Vec<usize> = (0..traces.len())
        .filter(|&i| traces[i].start_time.is_some() && traces[i].process_id != 0)
        .collect();
    order.sort_unstable_by(|&a, &b| order_key(&traces[a]).cmp(&order_key(&traces[b])));
    for pool in order.chunk_by(|&a, &b| same_pool(&traces[a], &traces[b])) {
        follow_pool(traces, pool, &mut infos);
    }
    infos
}

fn same_pool(a: &Trace, b: &Trace) -> bool {
    a.server == b.server && a.app_pool == b.app_pool
}

/// What is known about one process while walking its pool.
struct Generation {
    first_seen: DateTime<Utc>,
    previous: Option<PreviousProcess>,
}

/// Walks one pool's traces in time order, noting for each process its first trace and the
/// process whose trace came just before it.
fn follow_pool(traces: &[Trace], pool: &[usize], infos: &mut [ProcessInfo]) {
    let mut generations: HashMap<u32, Generation> = HashMap::new();
    let mut last: Option<usize> = None;
    for &index in pool {
        let trace = &traces[index];
        let Some(start) = trace.start_time else {
            continue;
        };
        let is_new = !generations.contains_key(&trace.process_id);
        if is_new {
            let previous = last.map(|l| previous_process(&traces[l], start));
            let first_for_pid = previous.is_some();
            generations.insert(
                trace.process_id,
                Generation {
                    first_seen: start,
                    previous,
                },
            );
            infos[index].first_for_pid = first_for_pid;
        }
        if let Some(generation) = generations.get(&trace.process_id) {
            infos[index].age = Some(start - generation.first_seen);
            infos[index].previous = generation.previous.clone();
        }
        last = Some(index);
    }
}

fn previous_process(last: &Trace, new_start: DateTime<Utc>) -> PreviousProcess {
    let last_seen = last.end_time.or(last.start_time).unwrap_or(new_start);
    PreviousProcess {
        pid: last.process_id,
        last_seen,
        gap: new_start - last_seen,
    }
}
