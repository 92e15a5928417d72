//! ARR front end ↔ backend: the same request seen by both servers.
//!
//! ARR adds an `X-ARR-LOG-ID` request header when it forwards a request; the backend's trace
//! shows it among the received headers. When the inputs hold both servers' traces, a front-end
//! 502 can then be explained by what the backend was doing at the time (starting, or slow).
//! Traces have no globally unique ID, so links are by index into the input, and the choice
//! among several candidates is by file path so that the result does not depend on input order.

use std::collections::HashMap;

use crate::compact::{LogId, TraceFacts};

/// For every trace, the index of the backend trace that received the request this trace's ARR
/// forwarded, if the inputs hold it.
pub(crate) fn link_backends<T: TraceFacts>(traces: &[T]) -> Vec<Option<usize>> {
    let backends = backends_by_log_id(traces);
    traces
        .iter()
        .enumerate()
        .map(|(index, trace)| {
            let id = trace.arr_log_id_forwarded()?;
            backends.get(&id).copied().flatten().filter(|&b| b != index)
        })
        .collect()
}

/// The backend trace per log ID that some trace forwarded; with several (retries, duplicated
/// files), the earliest, then the smallest path. Keyed by the forwarded IDs only: on a farm
/// every backend trace received an ID, and a table of them all would be the largest a scan
/// builds, where the front ends that look them up are a few.
fn backends_by_log_id<T: TraceFacts>(traces: &[T]) -> HashMap<LogId, Option<usize>> {
    let mut map: HashMap<LogId, Option<usize>> = traces
        .iter()
        .filter_map(|trace| trace.arr_log_id_forwarded())
        .map(|id| (id, None))
        .collect();
    for (index, trace) in traces.iter().enumerate() {
        let Some(kept) = trace.arr_log_id().and_then(|id| map.get_mut(&id)) else {
            continue;
        };
        match kept {
            Some(kept) if !precedes(&traces[index], &traces[*kept]) => {}
            _ => *kept = Some(index),
        }
    }
    map
}

fn precedes<T: TraceFacts>(a: &T, b: &T) -> bool {
    (a.start_time(), a.file()) < (b.start_time(), b.file())
}
