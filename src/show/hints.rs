//! The hints of one trace: what `scan` would advise about its failure.
//!
//! `scan` turns groups of verdicts into configuration advice (cold starts, ARR timeouts,
//! ANCM limits). For `show`, the hints are those of a run in which this trace is the only
//! failure among the traces read with it (its `--context`): the same rules, the same text and
//! commands, about this one request, so `show` never advises on a failure it is not showing.

use std::io;

use crate::diagnose::{self, Analysis, Hint};
use crate::iis::diagnosis::FarmConfig;
use crate::model::{Diagnosis, Trace};

use super::Out;
use super::style::Tone;
use super::text::{LONG, one_line};

/// The hints for the failure of `traces[index]`, with the configuration when it is known.
pub fn for_trace(
    traces: &[Trace],
    analysis: &mut Analysis,
    farm: &FarmConfig,
    index: usize,
) -> Vec<Hint> {
    let Some(trace) = traces.get(index) else {
        return Vec::new();
    };
    if analysis
        .diagnoses
        .get(index)
        .is_none_or(|d| d.rule.is_empty())
    {
        return Vec::new();
    }
    // Every other trace is not a failure in this run: swapped in place, then back, so the
    // process generations are not copied.
    let only = analysis
        .diagnoses
        .iter()
        .enumerate()
        .map(|(i, d)| {
            if i == index {
                d.clone()
            } else {
                Diagnosis::not_applicable()
            }
        })
        .collect();
    let all = std::mem::replace(&mut analysis.diagnoses, only);
    let mut hints = diagnose::hints(traces, analysis);
    if !farm.servers.is_empty() {
        hints = crate::iis::diagnosis::hints(farm, traces, analysis, hints, &[]);
    }
    analysis.diagnoses = all;
    // The hints that read process lives rather than verdicts (rapid-fail protection) are
    // kept only for this trace's pool and server.
    hints.into_iter().filter(|h| concerns(h, trace)).collect()
}

fn concerns(hint: &Hint, trace: &Trace) -> bool {
    let pool = hint.app_pools.is_empty() || hint.app_pools.contains(&trace.app_pool);
    let server = hint.servers.is_empty() || hint.servers.contains(&trace.server);
    pool && server
}

/// Hint prose wrapped to the page under a two-space indent, as `scan` wraps its hints.
fn wrap(text: &str, width: usize) -> Vec<String> {
    crate::report::layout::wrap(text, width, "  ")
}

/// Writes the hints under the verdict, prose wrapped, each command on one line with its shell.
pub(super) fn write(out: &mut Out<'_>, hints: &[Hint]) -> io::Result<()> {
    if hints.is_empty() {
        return Ok(());
    }
    out.heading(if hints.len() == 1 { "Hint" } else { "Hints" })?;
    for hint in hints {
        for line in wrap(&one_line(&hint.title, 2 * LONG), out.width) {
            let line = out.paint(Tone::Strong, &line);
            writeln!(out.w, "{line}")?;
        }
        for paragraph in hint.advice.lines().filter(|l| !l.trim().is_empty()) {
            for line in wrap(&one_line(paragraph, 2 * LONG), out.width) {
                writeln!(out.w, "{line}")?;
            }
        }
        // Commands stay whole: a cut command would do something else in a shell.
        for fix in &hint.commands {
            let command = crate::sanitize::terminal(&fix.line);
            writeln!(out.w, "  {}> {command}", fix.shell)?;
        }
    }
    Ok(())
}
