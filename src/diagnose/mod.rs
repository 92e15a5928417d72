//! Verdicts: for every failure, which layer caused it, with the evidence.
//!
//! A FREB trace names the module that set the error and the code it reported, which settles
//! many failures on its own. Some rules also need context no single trace has: whether its
//! worker process had just replaced another (R4, R5, R11, R15 and R19 read the process
//! generations of `generations`) and, for an ARR front end, what the backend was doing with
//! the same request (R8, R10 and R20a read the backend trace `link` finds by `X-ARR-LOG-ID`).
//! Both are computed once for the whole input, so the cost stays O(n log n). The rules, one
//! function each in `rules`, are documented in `docs/rules.md`; [`hints`] then turns groups of
//! verdicts into configuration advice.

pub(crate) mod event_join;
mod evidence;
pub(crate) mod generations;
mod hints;
mod link;
pub(crate) mod rules;

use std::time::Duration;

use rayon::prelude::*;

use crate::compact::{Compact, Judged, TraceFacts};

use crate::model::{Confidence, Depth, Diagnosis, Trace, Verdict};
use crate::shell::FixLine;
use generations::ProcessInfo;

/// The timeouts the rules compare with; defaults are the documented IIS defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// A failure this soon after a new process's first trace is a startup candidate.
    pub startup_window: Duration,
    /// ARR's timeout for a server farm: `webFarms/webFarm/applicationRequestRouting/protocol@timeout`
    /// (IIS default 30 s).
    pub farm_timeout: Duration,
    /// ARR's server-level timeout, for rewrites to a plain URL: `system.webServer/proxy@timeout`
    /// (IIS default 2 min).
    pub proxy_timeout: Duration,
    /// ANCM `aspNetCore@requestTimeout`.
    pub ancm_request_timeout: Duration,
    /// ANCM `aspNetCore@startupTimeLimit`.
    pub startup_time_limit: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            startup_window: Duration::from_secs(120),
            farm_timeout: Duration::from_secs(30),
            proxy_timeout: Duration::from_secs(120),
            ancm_request_timeout: Duration::from_secs(120),
            startup_time_limit: Duration::from_secs(120),
        }
    }
}

/// A configuration change suggested by the verdicts of a run.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Hint {
    /// What was seen, in one line.
    pub title: String,
    /// The setting to change and why.
    pub advice: String,
    /// The lines that change it, each with the shell it is written for.
    pub commands: Vec<FixLine>,
    /// App pools concerned.
    pub app_pools: Vec<String>,
    /// Servers concerned.
    pub servers: Vec<String>,
    /// How many failures led to this hint.
    pub count: usize,
}

impl Hint {
    /// Every command line of the hint, one per line.
    pub fn command_text(&self) -> String {
        let lines: Vec<&str> = self.commands.iter().map(|c| c.line.as_str()).collect();
        lines.join("\n")
    }
}

/// The diagnoses of a run, with the process generations they were made from, which the
/// hints read too.
#[derive(Debug)]
pub struct Analysis {
    /// One per trace, in the order of the traces.
    pub diagnoses: Vec<Diagnosis>,
    /// One per trace, in the order of the traces.
    pub processes: Vec<ProcessInfo>,
}

/// Diagnoses every trace; the result has one entry per trace, in the same order.
///
/// Traces read only to their head (they did not match the filters) and statuses below 500
/// get [`Diagnosis::not_applicable`]; they still inform the other traces' verdicts through
/// process generations and ARR links.
pub fn diagnose(traces: &[Trace], options: &Options) -> Vec<Diagnosis> {
    analyze(traces, options).diagnoses
}

/// The options of one trace when the servers' configuration is known, and for each rule the
/// note that names where its configured timeout came from (appended to that rule's evidence).
#[derive(Debug, Clone, Default)]
pub struct TraceOptions {
    /// The options with the configured timeouts.
    pub options: Options,
    /// Rule id -> note (` [configured proxy@timeout 30 s on ARR01: ...]`).
    pub notes: std::collections::BTreeMap<&'static str, String>,
}

/// [`diagnose`], keeping the process generations for [`hints`].
pub fn analyze(traces: &[Trace], options: &Options) -> Analysis {
    analyze_in_context(traces, &[], options, &|_| None)
}

/// [`analyze`] with per-trace options (the configured timeouts of the trace's server, site
/// and application) where `configured` knows them.
pub fn analyze_configured(
    traces: &[Trace],
    options: &Options,
    configured: &(dyn Fn(&Trace) -> Option<TraceOptions> + Sync),
) -> Analysis {
    analyze_in_context(traces, &[], options, configured)
}

/// [`analyze`] with the servers' event logs: events prove process starts and ends, crashes,
/// hangs and application starts that the traces alone can only infer ([`event_join`]).
pub fn analyze_with_events(
    traces: &[Trace],
    events: &[crate::events::ServerEvent],
    options: &Options,
) -> Analysis {
    analyze_in_context(traces, events, options, &|_| None)
}

/// [`analyze`] with all that the servers say besides their traces: their event logs, and the
/// per-trace options their configuration gives (`configured`).
pub fn analyze_in_context(
    traces: &[Trace],
    events: &[crate::events::ServerEvent],
    options: &Options,
    configured: &(dyn Fn(&Trace) -> Option<TraceOptions> + Sync),
) -> Analysis {
    // The rules run after every file is read, while no other work is left: spread over the
    // cores, they no longer add their time to the run's.
    let (mut processes, backends) = rayon::join(
        || generations::process_generations(traces),
        || link::link_backends(traces),
    );
    let (event_index, pools) = event_facts(traces, &mut processes, events, options.startup_window);
    let context = Context {
        options,
        configured,
        events: &event_index,
        pools: pools.as_ref(),
    };
    let diagnoses = traces
        .par_iter()
        .enumerate()
        .map(|(index, trace)| {
            let backend = backends[index].map(|b| rules::Linked {
                trace: &traces[b],
                process: &processes[b],
            });
            context.judge(trace, &processes[index], backend)
        })
        .collect();
    Analysis {
        diagnoses,
        processes,
    }
}

/// The event logs' part of a run: the events indexed by server and time, the process facts
/// they add to `processes` (a process is new after a recycle the events show), and, when there
/// are events, the pools each server's URLs belong to.
fn event_facts<'e, T: TraceFacts>(
    traces: &[T],
    processes: &mut [ProcessInfo],
    events: &'e [crate::events::ServerEvent],
    window: Duration,
) -> (event_join::EventIndex<'e>, Option<event_join::PoolGuess>) {
    let index = event_join::EventIndex::new(events);
    event_join::apply(traces, processes, &index, window);
    let pools = (!index.is_empty()).then(|| event_join::PoolGuess::new(traces));
    (index, pools)
}

/// What every verdict of a run is judged against besides its own trace and process.
struct Context<'a> {
    options: &'a Options,
    configured: &'a (dyn Fn(&Trace) -> Option<TraceOptions> + Sync),
    events: &'a event_join::EventIndex<'a>,
    pools: Option<&'a event_join::PoolGuess>,
}

impl Context<'_> {
    /// The verdict of one trace, with the note of the configured timeout its rule used.
    fn judge(
        &self,
        trace: &Trace,
        process: &ProcessInfo,
        backend: Option<rules::Linked<'_>>,
    ) -> Diagnosis {
        let own = (self.configured)(trace);
        let facts = rules::Facts {
            trace,
            process,
            backend,
            options: own.as_ref().map_or(self.options, |o| &o.options),
            events: self.events,
            pools: self.pools,
        };
        let mut diagnosis = diagnose_one(&facts);
        if let Some(note) = own.as_ref().and_then(|o| o.notes.get(diagnosis.rule)) {
            diagnosis.evidence.push_str(note);
        }
        // Built in pieces, the text has room to spare; a run keeps one per failure.
        diagnosis.evidence.shrink_to_fit();
        diagnosis
    }
}

/// True when a trace gets a verdict of its own: read whole, with a status of 500 or more.
/// Every other trace is [`Diagnosis::not_applicable`] whatever the others hold.
pub fn is_judged(trace: &Trace) -> bool {
    trace.depth == Depth::Full && rules::effective_status(trace).is_server_error()
}

/// [`analyze_in_context`] for a run that kept `records` of every trace and the whole trace
/// only of those [`is_judged`] accepts: `judged[k]` is the trace of `records[judged_at[k]]`,
/// in increasing order. The cross-trace facts come from the records; an ARR backend kept only
/// as a record is rebuilt as a trace for the rules, which read of it only what the record
/// holds. Each judged trace is taken whole only while it is judged (see [`Judged`]), and
/// dropped once it is.
pub fn analyze_compact<J: Judged + Send>(
    records: &[Compact],
    judged: Vec<J>,
    judged_at: &[usize],
    events: &[crate::events::ServerEvent],
    options: &Options,
    configured: &(dyn Fn(&Trace) -> Option<TraceOptions> + Sync),
) -> Analysis {
    // One after the other: each builds a table over every record, and a share's records are
    // many; together they would be the run's peak.
    let mut processes = generations::process_generations(records);
    let backends = link::link_backends(records);
    let (event_index, pools) = event_facts(records, &mut processes, events, options.startup_window);
    let context = Context {
        options,
        configured,
        events: &event_index,
        pools: pools.as_ref(),
    };
    let verdicts: Vec<Diagnosis> = judged
        .into_par_iter()
        .zip(judged_at)
        .map(|(kept, &index)| {
            let trace = kept.trace(&records[index]);
            // What the rules read of a backend is all in its record, judged or not.
            let backend = backends[index].map(|b| (records[b].to_trace(), b));
            let backend = backend.as_ref().map(|(trace, b)| rules::Linked {
                trace,
                process: &processes[*b],
            });
            context.judge(&trace, &processes[index], backend)
        })
        .collect();
    // The links are done with; one table less beside the run's verdicts.
    drop(backends);
    let mut diagnoses = vec![Diagnosis::not_applicable(); records.len()];
    for (&index, diagnosis) in judged_at.iter().zip(verdicts) {
        diagnoses[index] = diagnosis;
    }
    Analysis {
        diagnoses,
        processes,
    }
}

/// The verdict of one trace: the first rule that matches.
fn diagnose_one(facts: &rules::Facts) -> Diagnosis {
    let trace = facts.trace;
    if trace.depth == Depth::Head || !rules::effective_status(trace).is_server_error() {
        return Diagnosis::not_applicable();
    }
    for (rule, check) in rules::RULES {
        if let Some(finding) = check(facts) {
            return Diagnosis {
                verdict: finding.verdict,
                rule,
                confidence: finding.confidence,
                evidence: finding.evidence,
                linked_file: finding.linked_file.map(std::path::PathBuf::into_boxed_path),
            };
        }
    }
    // R21 always matches; this is only reached if the table is edited without it.
    Diagnosis {
        verdict: Verdict::Unknown,
        rule: "",
        confidence: Confidence::Low,
        evidence: String::new(),
        linked_file: None,
    }
}

pub(crate) use hints::linked_traces;

/// The configuration hints that the diagnoses of a run call for.
pub fn hints<T: TraceFacts>(traces: &[T], analysis: &Analysis) -> Vec<Hint> {
    hints::hints(traces, &analysis.diagnoses, &analysis.processes)
}

#[cfg(test)]
mod compact_tests {
    //! The compact analysis and the whole one must agree on every verdict and process fact.

    use super::*;
    use crate::compact::{Compact, Names, Packed};

    fn sample_traces() -> Vec<Trace> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
        let mut files: Vec<std::path::PathBuf> = walkdir::WalkDir::new(&root)
            .into_iter()
            .filter_map(Result::ok)
            .map(walkdir::DirEntry::into_path)
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("fr") && n.ends_with(".xml"))
            })
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| crate::parse::parse_file(p, &|_| true).expect("a sample trace"))
            .collect()
    }

    fn compact(traces: &[Trace], options: &Options) -> (Vec<Compact>, Analysis) {
        let names = Names::default();
        let records: Vec<Compact> = traces.iter().map(|t| Compact::of(t, &names)).collect();
        let judged_at: Vec<usize> = (0..traces.len())
            .filter(|&i| is_judged(&traces[i]))
            .collect();
        let judged: Vec<Packed> = judged_at
            .iter()
            .map(|&i| Packed::of(traces[i].clone()))
            .collect();
        let analysis = analyze_compact(&records, judged, &judged_at, &[], options, &|_| None);
        (records, analysis)
    }

    #[test]
    fn compact_and_whole_analyses_agree_on_the_samples() {
        let traces = sample_traces();
        assert!(traces.len() > 40, "{} sample traces", traces.len());
        let options = Options::default();
        let whole = analyze(&traces, &options);
        let (records, lean) = compact(&traces, &options);
        assert_eq!(lean.diagnoses, whole.diagnoses);
        assert_eq!(lean.processes, whole.processes);
        // Linked verdicts were reached: the comparison is not between two empty sets.
        assert!(whole.diagnoses.iter().any(|d| d.linked_file.is_some()));
        assert!(!hints(&traces, &whole).is_empty());
        assert_eq!(hints(&records, &lean), hints(&traces, &whole));
    }

    #[test]
    fn a_backend_kept_as_a_record_is_judged_against_as_if_whole() {
        // Only the front ends are whole: their backends' verdict facts come from records.
        let traces = sample_traces();
        let options = Options::default();
        let whole = analyze(&traces, &options);
        let names = Names::default();
        let records: Vec<Compact> = traces.iter().map(|t| Compact::of(t, &names)).collect();
        let judged_at: Vec<usize> = (0..traces.len())
            .filter(|&i| is_judged(&traces[i]) && traces[i].arr_log_id_forwarded.is_some())
            .collect();
        assert!(!judged_at.is_empty());
        let judged: Vec<Trace> = judged_at.iter().map(|&i| traces[i].clone()).collect();
        let lean = analyze_compact(&records, judged, &judged_at, &[], &options, &|_| None);
        for &i in &judged_at {
            assert_eq!(lean.diagnoses[i], whole.diagnoses[i], "{i}");
        }
    }
}
