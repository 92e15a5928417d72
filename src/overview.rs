//! What a person reads first: the failures (status 500 and above) grouped by status, module
//! and error code with their verdict mix, the other statuses counted in one line, the counts
//! of user requests beside the counts of traces, the trace most worth opening, and, when no
//! trace matched, what the inputs held and which filter emptied the set.
//!
//! The contract's groups ([`crate::aggregate::group`]) keep one row per verdict, because
//! scripts filter on it; a table for people reads better with one row per failure and its
//! verdicts side by side. Both come from the same traces and diagnoses.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::aggregate::{self, Group, GroupKey};
use crate::compact::{Compact, TraceFacts};
use crate::filter::Filters;
use crate::model::{Diagnosis, Status, Trace, Verdict};

/// The people's view of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overview {
    /// Failures (status 500 and above), one per status × module × error code, most frequent
    /// first; the key's verdict is the group's most frequent one, `verdicts` holds the mix.
    pub failures: Vec<Group>,
    /// Matched traces below 500, counted by status, most frequent first.
    pub others: Vec<StatusCount>,
    /// Matched traces with status 500 and above.
    pub failure_traces: usize,
    /// The user requests they stand for: an ARR front end's failure and the backend trace it
    /// is linked to are one request.
    pub failure_requests: usize,
    /// Requests per verdict (traces per verdict are in the verdict counts).
    pub requests_by_verdict: BTreeMap<Verdict, usize>,
    /// The most telling failure of the top group, to open with `show`.
    pub example: Option<PathBuf>,
    /// What every trace read covers, whatever the filters.
    pub seen: Seen,
}

/// Traces of one status below 500.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCount {
    /// The status.
    pub status: Status,
    /// How many matched traces.
    pub count: usize,
    /// Their most frequent `failureReason` (`STATUS_CODE`, `TIME_TAKEN`).
    pub reason: String,
}

/// What the traces read cover, before the filters: the answer to "why nothing matched".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seen {
    /// Traces read (fully or as far as the filters needed).
    pub traces: usize,
    /// First event of the earliest.
    pub first: Option<DateTime<Utc>>,
    /// First event of the latest.
    pub last: Option<DateTime<Utc>>,
    /// Servers seen.
    pub servers: Vec<String>,
    /// Pools seen.
    pub app_pools: Vec<String>,
    /// The filters that alone match none of the traces read (`--since`, `--server`).
    pub emptied_by: Vec<&'static str>,
}

/// A trace the set filters can be tried on one at a time: which filter alone matched nothing.
pub trait TriedAlone {
    /// True when `alone`, the `index`-th of [`single_filters`], matches this trace.
    fn matches_alone(&self, index: usize, alone: &Filters) -> bool;
}

impl TriedAlone for Trace {
    fn matches_alone(&self, _: usize, alone: &Filters) -> bool {
        alone.matches(self)
    }
}

impl TriedAlone for Compact {
    /// The record was tried when it was read, while its trace was whole.
    fn matches_alone(&self, index: usize, _: &Filters) -> bool {
        self.alone & (1 << index) != 0
    }
}

/// Builds the overview of a run.
pub fn overview<T: TraceFacts + TriedAlone>(
    traces: &[T],
    diagnoses: &[Diagnosis],
    matched: &[usize],
    filters: &Filters,
) -> Overview {
    let failing: Vec<usize> = matched
        .iter()
        .copied()
        .filter(|&i| traces[i].status().is_server_error())
        .collect();
    let backends = linked_backends(traces, diagnoses, &failing);
    let mut requests_by_verdict = BTreeMap::new();
    for &i in failing.iter().filter(|&&i| !backends.contains(&i)) {
        *requests_by_verdict.entry(diagnoses[i].verdict).or_insert(0) += 1;
    }
    let failures = failure_groups(traces, diagnoses, &failing);
    let example = failures
        .first()
        .and_then(|top| most_telling(top, traces, diagnoses, &failing));
    Overview {
        failure_traces: failing.len(),
        failure_requests: failing.len() - backends.len(),
        requests_by_verdict,
        failures,
        others: other_statuses(traces, matched),
        example,
        seen: seen(traces, filters),
    }
}

/// The failing traces another failing trace is linked to (an ARR front end's backend).
fn linked_backends<T: TraceFacts>(
    traces: &[T],
    diagnoses: &[Diagnosis],
    failing: &[usize],
) -> HashSet<usize> {
    let linked: HashSet<&Path> = failing
        .iter()
        .filter_map(|&i| diagnoses[i].linked_file.as_deref())
        .collect();
    failing
        .iter()
        .copied()
        .filter(|&i| linked.contains(traces[i].file()))
        .collect()
}

fn failure_groups<T: TraceFacts>(
    traces: &[T],
    diagnoses: &[Diagnosis],
    failing: &[usize],
) -> Vec<Group> {
    let mut buckets: BTreeMap<GroupKey, Vec<usize>> = BTreeMap::new();
    for &i in failing {
        let t = &traces[i];
        let key = GroupKey::Error {
            status: t.status(),
            module: t.module().to_owned(),
            error_code: t.error_code(),
            verdict: Verdict::NotApplicable,
        };
        buckets.entry(key).or_default().push(i);
    }
    let mut groups: Vec<Group> = buckets
        .into_iter()
        .map(|(key, members)| {
            let mut group = aggregate::summarize(key, &members, traces, diagnoses);
            let dominant = group
                .verdicts
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
                .map(|(v, _)| *v);
            if let (GroupKey::Error { verdict, .. }, Some(d)) = (&mut group.key, dominant) {
                *verdict = d;
            }
            group
        })
        .collect();
    groups.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    groups
}

/// In the top group, the trace that says most: a decided rule before an undecided one, high
/// confidence first, a front end linked to its backend before a trace alone, then the
/// earliest.
fn most_telling<T: TraceFacts>(
    top: &Group,
    traces: &[T],
    diagnoses: &[Diagnosis],
    failing: &[usize],
) -> Option<PathBuf> {
    let GroupKey::Error {
        status,
        module,
        error_code,
        ..
    } = &top.key
    else {
        return None;
    };
    failing
        .iter()
        .copied()
        .filter(|&i| {
            let t = &traces[i];
            t.status() == *status && t.module() == module && t.error_code() == *error_code
        })
        .min_by_key(|&i| {
            let d = &diagnoses[i];
            (
                d.rule.is_empty(),
                d.verdict == Verdict::Unknown,
                d.confidence,
                d.linked_file.is_none(),
                traces[i].start_time(),
                i,
            )
        })
        .map(|i| traces[i].file().to_path_buf())
}

fn other_statuses<T: TraceFacts>(traces: &[T], matched: &[usize]) -> Vec<StatusCount> {
    let mut by_status: BTreeMap<Status, HashMap<&str, usize>> = BTreeMap::new();
    for t in matched.iter().map(|&i| &traces[i]) {
        if !t.status().is_server_error() {
            *by_status
                .entry(t.status())
                .or_default()
                .entry(t.failure_reason())
                .or_insert(0) += 1;
        }
    }
    let mut counts: Vec<StatusCount> = by_status
        .into_iter()
        .map(|(status, reasons)| StatusCount {
            status,
            count: reasons.values().sum(),
            reason: reasons
                .into_iter()
                .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(a.0)))
                .map(|(r, _)| r.to_owned())
                .unwrap_or_default(),
        })
        .collect();
    counts.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.status.cmp(&b.status)));
    counts
}

fn seen<T: TraceFacts + TriedAlone>(traces: &[T], filters: &Filters) -> Seen {
    Seen {
        traces: traces.len(),
        first: traces.iter().filter_map(|t| t.start_time()).min(),
        last: traces.iter().filter_map(|t| t.start_time()).max(),
        servers: aggregate::distinct(traces.iter().map(|t| t.server())),
        app_pools: aggregate::distinct(traces.iter().map(|t| t.app_pool())),
        emptied_by: if traces.is_empty() {
            Vec::new()
        } else {
            single_filters(filters)
                .into_iter()
                .enumerate()
                .filter(|(k, (_, alone))| !traces.iter().any(|t| t.matches_alone(*k, alone)))
                .map(|(_, (flag, _))| flag)
                .collect()
        },
    }
}

/// Each filter that is set, alone (at most eight).
pub(crate) fn single_filters(filters: &Filters) -> Vec<(&'static str, Filters)> {
    let none = Filters::default;
    let candidates = [
        (
            "--status",
            Filters {
                status: filters.status.clone(),
                ..none()
            },
        ),
        (
            "--since",
            Filters {
                since: filters.since,
                ..none()
            },
        ),
        (
            "--until",
            Filters {
                until: filters.until,
                ..none()
            },
        ),
        (
            "--server",
            Filters {
                servers: filters.servers.clone(),
                ..none()
            },
        ),
        (
            "--site",
            Filters {
                sites: filters.sites.clone(),
                ..none()
            },
        ),
        (
            "--app-pool",
            Filters {
                app_pools: filters.app_pools.clone(),
                ..none()
            },
        ),
        (
            "--url",
            Filters {
                url: filters.url.clone(),
                ..none()
            },
        ),
    ];
    candidates
        .into_iter()
        .filter(|(_, alone)| !alone.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ErrorCode, ModuleError};

    fn trace(file: &str, status: u16, module: &str) -> Trace {
        Trace {
            file: file.into(),
            server: "WEB01".into(),
            app_pool: "Orders".into(),
            status: Status::new(status, 3),
            error: Some(ModuleError {
                module: module.into(),
                error_code: Some(ErrorCode(0x80072EE2)),
                ..ModuleError::default()
            }),
            ..Trace::default()
        }
    }

    fn diagnosis(verdict: Verdict, linked: Option<&str>) -> Diagnosis {
        Diagnosis {
            verdict,
            rule: "R8",
            linked_file: linked.map(|l| PathBuf::from(l).into_boxed_path()),
            ..Diagnosis::not_applicable()
        }
    }

    #[test]
    fn one_row_per_failure_with_its_verdict_mix_and_requests_apart_from_traces() {
        let traces = vec![
            trace("a.xml", 502, "ApplicationRequestRouting"),
            trace("b.xml", 502, "ApplicationRequestRouting"),
            trace("backend.xml", 500, "AspNetCoreModuleV2"),
            trace("c.xml", 404, "IIS Web Core"),
        ];
        let diagnoses = vec![
            diagnosis(Verdict::Startup, Some("backend.xml")),
            diagnosis(Verdict::Worker, None),
            diagnosis(Verdict::Startup, None),
            Diagnosis::not_applicable(),
        ];
        let o = overview(&traces, &diagnoses, &[0, 1, 2, 3], &Filters::default());
        assert_eq!(o.failures.len(), 2, "{:#?}", o.failures);
        assert_eq!(o.failures[0].count, 2);
        assert_eq!(o.failures[0].verdicts.len(), 2);
        assert_eq!((o.failure_traces, o.failure_requests), (3, 2));
        assert_eq!(o.requests_by_verdict[&Verdict::Startup], 1);
        assert_eq!(o.others.len(), 1);
        assert_eq!(o.others[0].status, Status::new(404, 3));
        assert_eq!(
            o.example.as_deref(),
            Some(Path::new("a.xml")),
            "linked first"
        );
    }

    #[test]
    fn the_filter_that_empties_the_set_is_named() {
        let traces = vec![trace("a.xml", 502, "ApplicationRequestRouting")];
        let filters = Filters {
            servers: vec!["WEB9".into()],
            url: Some("/api".into()),
            ..Filters::default()
        };
        let mut t = traces.clone();
        t[0].url = "http://x/api/cart".into();
        let o = overview(&t, &[Diagnosis::not_applicable()], &[], &filters);
        assert_eq!(o.seen.emptied_by, ["--server"]);
        assert_eq!(o.seen.servers, ["WEB01"]);
    }
}
