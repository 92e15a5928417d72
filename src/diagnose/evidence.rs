//! The wording of evidence sentences: times, codes, modules and process histories.
//!
//! Every verdict carries one sentence a person can check against the trace, so the facts are
//! always written the same way: seconds with one decimal, codes through [`codes::describe`].

use std::time::Duration;

use chrono::TimeDelta;

use super::event_join;
use super::generations::ProcessInfo;
use crate::codes;
use crate::model::{ErrorCode, Status, Trace};

/// `8078` ms → `8.1 s`.
pub(super) fn seconds(ms: u64) -> String {
    format!("{:.1} s", ms as f64 / 1000.0)
}

/// A time the trace may not hold (`timeTaken` missing or unparseable): `8.1 s`, or words
/// that say it is unknown, never `0.0 s`.
pub(super) fn took(ms: Option<u64>) -> String {
    ms.map_or_else(
        || "an unknown time (timeTaken missing or unparseable)".to_string(),
        seconds,
    )
}

/// A configured duration in the same form as the timings it is compared with.
pub(super) fn duration(d: Duration) -> String {
    seconds(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A time difference; negative ones are written as such.
pub(super) fn delta(d: TimeDelta) -> String {
    let ms = d.num_milliseconds();
    if ms < 0 {
        format!("-{}", seconds(ms.unsigned_abs()))
    } else {
        seconds(ms.unsigned_abs())
    }
}

/// A gap between processes, in the unit an admin thinks in: `34.0 s`, `81 min`, `2.8 h`
/// (idle timeouts are minutes, recycles hours).
pub(super) fn gap(d: TimeDelta) -> String {
    let secs = d.num_seconds();
    if !(0..120).contains(&secs) && secs >= 0 {
        if secs < 3 * 3600 {
            return format!("{} min", secs / 60);
        }
        return format!("{:.1} h", secs as f64 / 3600.0);
    }
    delta(d)
}

/// The error code, decoded, or a note that the module gave none.
pub(super) fn code(code: Option<ErrorCode>) -> String {
    match code {
        None => "no error code".to_string(),
        Some(c) if c.is_success() => "ErrorCode 0".to_string(),
        Some(c) => codes::describe(c),
    }
}

/// `502.3 (Bad Gateway: forwarder connection error)`, or the bare status when unknown.
pub(super) fn status(status: Status, module: &str) -> String {
    match codes::status_meaning(status, module) {
        Some(meaning) => format!("{status} ({meaning})"),
        None => status.to_string(),
    }
}

/// The module that set the error, or a note that none did.
pub(super) fn module(trace: &Trace) -> &str {
    match trace.module() {
        "" => "no module",
        m => m,
    }
}

/// Where the proxy sent the request, or a generic name.
pub(super) fn target(trace: &Trace) -> &str {
    trace.proxy_target.as_deref().unwrap_or("the backend")
}

/// The file name of a trace, short enough for a sentence.
pub(super) fn file_name(trace: &Trace) -> String {
    trace.file.file_name().map_or_else(
        || trace.file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// `process 4312 in pool Orders on WEB01`.
pub(super) fn process_name(trace: &Trace) -> String {
    format!(
        "process {} in pool {} on {}",
        trace.process_id,
        or_unnamed(&trace.app_pool),
        or_unnamed(&trace.server)
    )
}

fn or_unnamed(text: &str) -> &str {
    if text.is_empty() { "(unnamed)" } else { text }
}

/// The life of the trace's process as the inputs show it, e.g. `first trace of process 4312 in
/// pool Orders on WEB01, 34.0 s after process 3920's last trace`; with the event logs, `...; a
/// new process after WAS 5186 at 12:08:30 ended the idle process 3920`.
pub(super) fn process_story(trace: &Trace, info: &ProcessInfo) -> String {
    let traces = traces_story(trace, info);
    match &info.started_after {
        Some(event) => format!("{traces}; {}", event_join::restart_story(event)),
        None => traces,
    }
}

fn traces_story(trace: &Trace, info: &ProcessInfo) -> String {
    let opening = if info.first_for_pid {
        format!("first trace of {}", process_name(trace))
    } else {
        let age = info.age.map_or_else(|| "an unknown time".to_string(), gap);
        format!(
            "{}, whose first trace was {age} earlier",
            process_name(trace)
        )
    };
    let Some(prev) = &info.previous else {
        if info.started_after.is_some() {
            return opening;
        }
        return format!(
            "{} (no earlier process of the pool in the inputs)",
            process_name(trace)
        );
    };
    if prev.gap < TimeDelta::zero() {
        format!(
            "{opening}, started while process {} was still serving (overlapped recycle)",
            prev.pid
        )
    } else {
        format!(
            "{opening}, {} after process {}'s last trace",
            gap(prev.gap),
            prev.pid
        )
    }
}
