//! Grouping the failures of a run for the summary.
//!
//! Traces are read in parallel, in whatever order the threads finish; everything here sorts
//! after the merge so that the same inputs always give the same report.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde::Serialize;

use crate::compact::TraceFacts;
use crate::error::{FileError, SkipReason};
use crate::model::{Diagnosis, ErrorCode, Status, Verdict};

/// How `scan` groups failures: the option this stage owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupBy {
    /// status.substatus x module x error code x verdict (the default).
    #[default]
    Error,
    /// `System/Computer`.
    Server,
    /// Application pool.
    AppPool,
    /// URL without its query string.
    Url,
    /// Hour of the first event, UTC.
    Hour,
}

/// The numbers at the top of every report: nothing found is left unaccounted for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Files found, plus directories that could not be listed: `found = analyzed + skipped`.
    pub found: usize,
    /// Files read as traces (fully, or as far as the filters needed).
    pub analyzed: usize,
    /// Files and directories that could not be used.
    pub skipped: usize,
    /// `.xml` files whose first bytes are not a trace's: looked at, ignored, not counted in
    /// `found` (they are not failures).
    pub not_traces: usize,
    /// Symbolic links met and not followed (without `--follow`).
    pub links_not_followed: usize,
    /// Traces read with values that could not be parsed (named on stderr).
    pub warnings: usize,
    /// `skipped`, by reason.
    pub skipped_by_reason: BTreeMap<SkipReason, usize>,
    /// Traces that passed the filters.
    pub matched: usize,
    /// Matched traces cut short (read as far as they go).
    pub partial: usize,
    /// Matched traces IIS truncated at `maxLogFileSizeKB`.
    pub truncated: usize,
    /// Servers (`System/Computer`) among the matched traces.
    pub servers: Vec<String>,
    /// First event of the earliest matched trace.
    #[serde(serialize_with = "crate::report::rfc3339_opt")]
    pub first_seen: Option<DateTime<Utc>>,
    /// First event of the latest matched trace.
    #[serde(serialize_with = "crate::report::rfc3339_opt")]
    pub last_seen: Option<DateTime<Utc>>,
}

impl Totals {
    /// Counts a run.
    pub fn new<T: TraceFacts>(traces: &[T], matched: &[usize], skipped: &[FileError]) -> Totals {
        let mut by_reason = BTreeMap::new();
        for error in skipped {
            *by_reason.entry(error.reason).or_insert(0) += 1;
        }
        let picked = || matched.iter().map(|&i| &traces[i]);
        // A trace cut before its first event names no server.
        let servers: BTreeSet<&str> = picked()
            .map(|t| t.server())
            .filter(|s| !s.is_empty())
            .collect();
        Totals {
            found: traces.len() + skipped.len(),
            analyzed: traces.len(),
            skipped: skipped.len(),
            not_traces: 0,
            links_not_followed: 0,
            warnings: traces.iter().filter(|t| !t.unparsed().is_empty()).count(),
            skipped_by_reason: by_reason,
            matched: matched.len(),
            partial: picked().filter(|t| t.partial()).count(),
            truncated: picked().filter(|t| t.truncated()).count(),
            servers: servers.into_iter().map(str::to_owned).collect(),
            first_seen: picked().filter_map(|t| t.start_time()).min(),
            last_seen: picked().filter_map(|t| t.start_time()).max(),
        }
    }
}

/// What a group is a group of.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(untagged)]
pub enum GroupKey {
    /// `--by error` (default).
    Error {
        /// status.substatus.
        status: Status,
        /// Module that set the error, empty when none did.
        module: String,
        /// The module's error code.
        error_code: Option<ErrorCode>,
        /// The verdict.
        verdict: Verdict,
    },
    /// `--by server`.
    Server {
        /// `System/Computer`.
        server: String,
    },
    /// `--by app-pool`.
    AppPool {
        /// The pool.
        app_pool: String,
    },
    /// `--by url`.
    Url {
        /// The URL without its query string.
        url: String,
    },
    /// `--by hour`.
    Hour {
        /// Start of the hour, UTC.
        #[serde(serialize_with = "crate::report::rfc3339_ser")]
        hour: DateTime<Utc>,
    },
}

/// One line of the summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    /// What the traces have in common.
    pub key: GroupKey,
    /// How many traces.
    pub count: usize,
    /// Their verdicts, counted.
    pub verdicts: BTreeMap<Verdict, usize>,
    /// Servers they came from.
    pub servers: Vec<String>,
    /// Pools they ran in.
    pub app_pools: Vec<String>,
    /// Earliest first event.
    #[serde(serialize_with = "crate::report::rfc3339_opt")]
    pub first_seen: Option<DateTime<Utc>>,
    /// Latest first event.
    #[serde(serialize_with = "crate::report::rfc3339_opt")]
    pub last_seen: Option<DateTime<Utc>>,
    /// Median `timeTaken` of the members whose time is known; `None` when none is.
    pub time_taken_p50_ms: Option<u64>,
    /// 95th percentile `timeTaken`, likewise.
    pub time_taken_p95_ms: Option<u64>,
    /// The most frequent URL (without query string).
    pub top_url: String,
    /// One trace of the group, to open with `frebscope show`.
    pub example_file: String,
    /// The evidence of that trace.
    pub example_evidence: String,
}

/// A verdict with the servers and pools it concerns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerdictCount {
    /// The verdict.
    pub verdict: Verdict,
    /// How many matched traces got it.
    pub count: usize,
    /// Servers concerned.
    pub servers: Vec<String>,
    /// Pools concerned.
    pub app_pools: Vec<String>,
}

/// Counts the matched 5xx traces per verdict, in the fixed verdict order.
pub fn verdict_counts<T: TraceFacts>(
    traces: &[T],
    diagnoses: &[Diagnosis],
    matched: &[usize],
) -> Vec<VerdictCount> {
    Verdict::FAILURES
        .iter()
        .filter_map(|&verdict| {
            let members: Vec<&T> = matched
                .iter()
                .filter(|&&i| diagnoses[i].verdict == verdict)
                .map(|&i| &traces[i])
                .collect();
            (!members.is_empty()).then(|| VerdictCount {
                verdict,
                count: members.len(),
                servers: distinct(members.iter().map(|t| t.server())),
                app_pools: distinct(members.iter().map(|t| t.app_pool())),
            })
        })
        .collect()
}

/// Groups the matched traces.
pub fn group<T: TraceFacts>(
    traces: &[T],
    diagnoses: &[Diagnosis],
    matched: &[usize],
    by: GroupBy,
) -> Vec<Group> {
    let mut buckets: BTreeMap<GroupKey, Vec<usize>> = BTreeMap::new();
    for &i in matched {
        if let Some(key) = key_of(&traces[i], &diagnoses[i], by) {
            buckets.entry(key).or_default().push(i);
        }
    }
    if by == GroupBy::Hour {
        fill_quiet_hours(&mut buckets);
    }
    let mut groups: Vec<Group> = buckets
        .into_iter()
        .map(|(key, members)| summarize(key, &members, traces, diagnoses))
        .collect();
    if by != GroupBy::Hour {
        groups.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    }
    groups
}

/// The group a trace belongs to; `None` in the hour grouping for a trace without a time.
pub fn key_of<T: TraceFacts>(trace: &T, diagnosis: &Diagnosis, by: GroupBy) -> Option<GroupKey> {
    Some(match by {
        GroupBy::Error => GroupKey::Error {
            status: trace.status(),
            module: trace.module().to_owned(),
            error_code: trace.error_code(),
            verdict: diagnosis.verdict,
        },
        GroupBy::Server => GroupKey::Server {
            server: trace.server().to_owned(),
        },
        GroupBy::AppPool => GroupKey::AppPool {
            app_pool: trace.app_pool().to_owned(),
        },
        GroupBy::Url => GroupKey::Url {
            url: trace.url_path().to_owned(),
        },
        GroupBy::Hour => GroupKey::Hour {
            hour: trace
                .start_time()?
                .duration_trunc(TimeDelta::hours(1))
                .ok()?,
        },
    })
}

/// Quiet hours are the point of the hour view (cold starts follow them), so they are shown
/// as empty rows rather than left out; only for spans a person would read (a month).
fn fill_quiet_hours(buckets: &mut BTreeMap<GroupKey, Vec<usize>>) {
    let hours: Vec<DateTime<Utc>> = buckets
        .keys()
        .filter_map(|k| match k {
            GroupKey::Hour { hour } => Some(*hour),
            _ => None,
        })
        .collect();
    let (Some(&first), Some(&last)) = (hours.first(), hours.last()) else {
        return;
    };
    if last - first > TimeDelta::days(31) {
        return;
    }
    let mut hour = first;
    while hour < last {
        buckets.entry(GroupKey::Hour { hour }).or_default();
        hour += TimeDelta::hours(1);
    }
}

pub(crate) fn summarize<T: TraceFacts>(
    key: GroupKey,
    members: &[usize],
    traces: &[T],
    diagnoses: &[Diagnosis],
) -> Group {
    let picked = || members.iter().map(|&i| &traces[i]);
    let mut times: Vec<u64> = picked().filter_map(|t| t.time_taken_ms()).collect();
    times.sort_unstable();
    let mut verdicts = BTreeMap::new();
    for &i in members {
        *verdicts.entry(diagnoses[i].verdict).or_insert(0) += 1;
    }
    let example = members.first().copied();
    Group {
        key,
        count: members.len(),
        verdicts,
        servers: distinct(picked().map(|t| t.server())),
        app_pools: distinct(picked().map(|t| t.app_pool())),
        first_seen: picked().filter_map(|t| t.start_time()).min(),
        last_seen: picked().filter_map(|t| t.start_time()).max(),
        time_taken_p50_ms: percentile(&times, 50),
        time_taken_p95_ms: percentile(&times, 95),
        top_url: top_url(picked().map(|t| t.url_path())),
        example_file: example.map_or_else(String::new, |i| traces[i].file().display().to_string()),
        example_evidence: example.map_or_else(String::new, |i| diagnoses[i].evidence.clone()),
    }
}

/// Nearest-rank percentile of sorted values; 0 for none.
/// The `p`th percentile of sorted values; `None` for none (no time is not a time of 0).
pub(crate) fn percentile(sorted: &[u64], p: usize) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    Some(sorted[rank.min(sorted.len()) - 1])
}

/// The most frequent URL, the smallest of those tied. Counted by sorting, not in a map: a
/// group of 404s can hold as many distinct URLs as traces, and a sorted list of them takes a
/// fraction of a map's room.
fn top_url<'a>(urls: impl Iterator<Item = &'a str>) -> String {
    let mut urls: Vec<&str> = urls.collect();
    urls.sort_unstable();
    let mut best: Option<(&str, usize)> = None;
    for run in urls.chunk_by(|a, b| a == b) {
        if best.is_none_or(|(_, count)| run.len() > count) {
            best = Some((run[0], run.len()));
        }
    }
    best.map(|(url, _)| url.to_owned()).unwrap_or_default()
}

/// The URL up to its query string: `/api/orders?id=7` and `?id=8` are the same endpoint.
pub(crate) fn url_without_query(url: &str) -> &str {
    url.split_once('?').map_or(url, |(path, _)| path)
}

/// The distinct non-empty values, sorted. Inserted one at a time: collecting an iterator into
/// a `BTreeSet` first gathers and sorts every value, which over a share's traces is a vector of
/// them all for a handful of servers.
pub(crate) fn distinct<'a>(values: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut set: BTreeSet<&str> = BTreeSet::new();
    for value in values.filter(|v| !v.is_empty()) {
        set.insert(value);
    }
    set.into_iter().map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u64> = (1..=20).collect();
        assert_eq!(percentile(&v, 50), Some(10));
        assert_eq!(percentile(&v, 95), Some(19));
        assert_eq!(percentile(&[7], 95), Some(7));
        assert_eq!(percentile(&[], 50), None);
    }

    #[test]
    fn top_url_ignores_query_and_breaks_ties_alphabetically() {
        let urls = ["/b?x=1", "/a", "/b?x=2", "/a"];
        assert_eq!(top_url(urls.iter().map(|u| url_without_query(u))), "/a");
    }
}
