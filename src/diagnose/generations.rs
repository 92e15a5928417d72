//! Process generations: which worker process of a pool replaced which, and when.
//!
//! FREB writes the worker process ID on every trace, so following the IDs of one pool over time
//! shows each new process. A failure early in a process that replaced another is the classic
//! cold start after an idle shutdown, a recycle or a crash; a failure in a process that has been
//! serving for hours is not. Every trace counts here, also non-failures and traces read only to
//! their head, because they are what tells when a process was first and last seen.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};

use crate::compact::TraceFacts;

/// Where a trace sits in the life of its worker process, as far as the inputs show.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessInfo {
    /// The earliest trace of its (server, pool, process ID), and an earlier trace of another
    /// process of the same pool exists: the process is new.
    pub first_for_pid: bool,
    /// Time from the first trace of this process to this trace.
    pub age: Option<TimeDelta>,
    /// The process this one replaced, when the inputs show one. Shared by every trace of the
    /// new process: one per process, not one per trace.
    pub previous: Option<Arc<PreviousProcess>>,
    /// The event that ended the process before this one (WAS 5186, a recycle, a crash), when
    /// the servers' event logs show one: the process is new even without an earlier trace.
    /// Boxed: rare, and large beside the rest, which every trace of a run keeps.
    pub started_after: Option<Box<crate::events::ServerEvent>>,
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
        (self.previous.is_some() || self.started_after.is_some())
            && self.age.is_some_and(|age| age <= window)
    }
}

/// Computes the process facts for every trace; the result is in the order of `traces`.
///
/// One sort over all traces, by server, pool, start time and then file for ties, then one pass
/// per pool: O(n log n).
pub(crate) fn process_generations<T: TraceFacts>(traces: &[T]) -> Vec<ProcessInfo> {
    let mut infos = vec![ProcessInfo::default(); traces.len()];
    let counted = |t: &T| t.start_time().is_some() && t.process_id() != 0;
    // Pools are numbered in (server, pool) order, so that the sort compares numbers and
    // times, and names only to find a trace's number.
    // A set filled one pair at a time, not a sorted vector of every trace's pair (which is
    // what collecting into a `BTreeSet` builds first): a share has few pools and many traces.
    let mut pools: BTreeSet<(&str, &str)> = BTreeSet::new();
    for trace in traces.iter().filter(|t| counted(t)) {
        pools.insert(pool(trace));
    }
    let pools: Vec<(&str, &str)> = pools.into_iter().collect();
    // One key per trace, so kept narrow: 32-bit pool numbers and indices (20 bytes, not 32).
    let mut order: Vec<(u32, DateTime<Utc>, u32)> = Vec::with_capacity(traces.len());
    order.extend(traces.iter().enumerate().filter_map(|(index, trace)| {
        let start = trace.start_time().filter(|_| counted(trace))?;
        let number = pools.binary_search(&pool(trace)).ok()?;
        Some((
            u32::try_from(number).ok()?,
            start,
            u32::try_from(index).ok()?,
        ))
    }));
    order.sort_unstable_by(|a, b| {
        (a.0, a.1).cmp(&(b.0, b.1)).then_with(|| {
            traces[a.2 as usize]
                .file()
                .as_os_str()
                .cmp(traces[b.2 as usize].file().as_os_str())
        })
    });
    for same_pool in order.chunk_by(|a, b| a.0 == b.0) {
        let indices: Vec<usize> = same_pool
            .iter()
            .map(|&(_, _, index)| index as usize)
            .collect();
        follow_pool(traces, &indices, &mut infos);
    }
    infos
}

fn pool<T: TraceFacts>(trace: &T) -> (&str, &str) {
    (trace.server(), trace.app_pool())
}

/// What is known about one process while walking its pool.
struct Generation {
    first_seen: DateTime<Utc>,
    previous: Option<Arc<PreviousProcess>>,
}

/// Walks one pool's traces in time order, noting for each process its first trace and the
/// process whose trace came just before it.
fn follow_pool<T: TraceFacts>(traces: &[T], pool: &[usize], infos: &mut [ProcessInfo]) {
    let mut generations: HashMap<u32, Generation> = HashMap::new();
    let mut last: Option<usize> = None;
    for &index in pool {
        let trace = &traces[index];
        let Some(start) = trace.start_time() else {
            continue;
        };
        let is_new = !generations.contains_key(&trace.process_id());
        if is_new {
            let previous = last.map(|l| Arc::new(previous_process(&traces[l], start)));
            let first_for_pid = previous.is_some();
            generations.insert(
                trace.process_id(),
                Generation {
                    first_seen: start,
                    previous,
                },
            );
            infos[index].first_for_pid = first_for_pid;
        }
        if let Some(generation) = generations.get(&trace.process_id()) {
            infos[index].age = Some(start - generation.first_seen);
            infos[index].previous = generation.previous.clone();
        }
        last = Some(index);
    }
}

fn previous_process<T: TraceFacts>(last: &T, new_start: DateTime<Utc>) -> PreviousProcess {
    let last_seen = last.end_time().or(last.start_time()).unwrap_or(new_start);
    PreviousProcess {
        pid: last.process_id(),
        last_seen,
        gap: new_start - last_seen,
    }
}
