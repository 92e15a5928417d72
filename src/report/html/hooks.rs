//! What other parts of a run can add to the HTML report: markers on the time histograms and
//! configuration findings.
//!
//! The report draws process restarts from the traces' own process generations; event logs
//! (recycles, crashes, idle shutdowns) and configuration files are read elsewhere and handed
//! in as these typed values, so the report never parses them itself.

use chrono::{DateTime, Utc};

use crate::diagnose::Analysis;
use crate::model::Trace;

/// What a vertical marker on a server's histogram stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MarkerKind {
    /// A new worker process replaced another (seen in the traces' process IDs).
    ProcessStart,
    /// A worker process recycle (WAS 5074-5080).
    Recycle,
    /// A worker process crash or hang (WAS 5009-5011).
    Crash,
    /// An idle-timeout shutdown (WAS 5186).
    IdleShutdown,
    /// Anything else worth a line on the time axis.
    Other,
}

impl MarkerKind {
    /// The word shown in the legend and the CSS class suffix.
    pub fn as_str(self) -> &'static str {
        match self {
            MarkerKind::ProcessStart => "process start",
            MarkerKind::Recycle => "recycle",
            MarkerKind::Crash => "crash",
            MarkerKind::IdleShutdown => "idle shutdown",
            MarkerKind::Other => "event",
        }
    }

    /// The CSS class of the marker line.
    pub fn class(self) -> &'static str {
        match self {
            MarkerKind::ProcessStart => "m-start",
            MarkerKind::Recycle => "m-recycle",
            MarkerKind::Crash => "m-crash",
            MarkerKind::IdleShutdown => "m-idle",
            MarkerKind::Other => "m-other",
        }
    }
}

/// One moment on one server's time axis.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Marker {
    /// `System/Computer` of the server, as the traces name it (compared case-insensitively).
    pub server: String,
    /// When it happened.
    pub time: DateTime<Utc>,
    /// What it was.
    pub kind: MarkerKind,
    /// One line for the tooltip: `pool Orders: process 9304 replaced 4812 after 81 min`.
    pub label: String,
}

/// How serious a configuration finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FindingLevel {
    /// A setting that causes failures.
    Error,
    /// A setting that makes failures likely.
    Warning,
    /// Worth knowing.
    Info,
}

impl FindingLevel {
    /// The word shown.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingLevel::Error => "error",
            FindingLevel::Warning => "warning",
            FindingLevel::Info => "info",
        }
    }
}

/// One finding about the IIS configuration, as the configuration reader states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigFinding {
    /// How serious.
    pub level: FindingLevel,
    /// What was found, in one line.
    pub title: String,
    /// Why it matters and what to change.
    pub detail: String,
    /// Where: the file and the element or attribute.
    pub source: String,
    /// A command that changes it, when there is one.
    pub command: Option<String>,
}

/// A marker for every process that replaced another, from the process generations of a run:
/// the restarts the traces themselves show.
pub fn process_markers(traces: &[Trace], analysis: &Analysis) -> Vec<Marker> {
    let mut markers: Vec<Marker> = traces
        .iter()
        .zip(&analysis.processes)
        .filter_map(|(trace, info)| {
            let previous = info.previous.as_ref().filter(|_| info.first_for_pid)?;
            let time = trace.start_time?;
            let gap = previous.gap.num_minutes();
            let after = if gap > 0 {
                format!(" after {gap} min without traces")
            } else {
                String::new()
            };
            Some(Marker {
                server: trace.server.clone(),
                time,
                kind: MarkerKind::ProcessStart,
                label: format!(
                    "pool {}: process {} replaced {}{after}",
                    trace.app_pool, trace.process_id, previous.pid
                ),
            })
        })
        .collect();
    markers.sort();
    markers.dedup();
    markers
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose;

    #[test]
    fn a_marker_for_each_process_that_replaced_another() {
        let trace = |pid: u32, time: &str| Trace {
            server: "WEB01".into(),
            app_pool: "Orders".into(),
            process_id: pid,
            start_time: Some(time.parse().unwrap()),
            end_time: Some(time.parse().unwrap()),
            ..Trace::default()
        };
        let traces = [
            trace(4812, "2026-06-08T08:00:00Z"),
            trace(4812, "2026-06-08T08:10:00Z"),
            trace(9304, "2026-06-08T09:31:00Z"),
            trace(9304, "2026-06-08T09:32:00Z"),
        ];
        let analysis = diagnose::analyze(&traces, &diagnose::Options::default());
        let markers = process_markers(&traces, &analysis);
        assert_eq!(markers.len(), 1, "{markers:?}");
        assert_eq!(markers[0].kind, MarkerKind::ProcessStart);
        assert_eq!(
            markers[0].time,
            "2026-06-08T09:31:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(
            markers[0].label,
            "pool Orders: process 9304 replaced 4812 after 81 min without traces"
        );
    }
}
