//! Time spent per step, from the `*_START`/`*_END` event pairs of a trace.
//!
//! freb.xsl (`CalculateDuration`) pairs a `X_START` with the first following `X_END` at which
//! a counter of further `X_START`s is back to zero: nested pairs of the same name match from the
//! inside out, like brackets. The same is done here with one stack per key, where the key is
//! the base name and, for `NOTIFY_MODULE_*`, also the module and the notification, so that
//! two modules whose events interleave never steal each other's `END`.
//!
//! On top of freb.xsl's per-pair duration this computes *self* time (a pair's time minus the
//! pairs directly inside it), which is what points at the step that actually waited, and it
//! keeps the `START`s that never ended: in a truncated trace those are the steps still
//! running when IIS stopped writing.

use std::collections::HashMap;
use std::io;

use chrono::{DateTime, Utc};

use crate::parse::event::EventRecord;
use crate::parse::full::Document;

use super::Out;
use super::style::Tone;
use super::text::{SHORT, notification, one_line};

/// One matched `START`/`END` pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pair {
    /// Index of the `START` event in the trace.
    pub start: usize,
    /// Index of the `END` event.
    pub end: usize,
    /// What ran: `ApplicationRequestRouting EXECUTE_REQUEST_HANDLER`, `ARR_REQUEST_HEADERS`.
    pub label: String,
    /// `END` time minus `START` time; `None` when either has no timestamp.
    pub ms: Option<i64>,
    /// The pair directly around this one, as an index into the pair list.
    pub parent: Option<usize>,
}

/// Every pair of a trace, and the `START`s without an `END`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Pairing {
    /// Matched pairs, in the order of their `START`.
    pub pairs: Vec<Pair>,
    /// Indexes of `START` events that never ended, in trace order.
    pub open: Vec<usize>,
}

/// Which end of a step an event marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Start,
    End,
}

fn marker(name: &str) -> Option<(Side, &str)> {
    if let Some(base) = name.strip_suffix("_START") {
        return Some((Side::Start, base));
    }
    name.strip_suffix("_END").map(|base| (Side::End, base))
}

/// The key that an `END` must share with its `START`.
fn key(event: &EventRecord, base: &str) -> String {
    if base == "NOTIFY_MODULE" {
        let module = event.data("ModuleName").unwrap_or_default();
        let notification = event.data("Notification").unwrap_or_default();
        return format!("{base}\u{0}{module}\u{0}{notification}");
    }
    base.to_owned()
}

/// How a step is named in the performance view, from its `START` event.
pub(crate) fn label(event: &EventRecord) -> String {
    let Some((_, base)) = marker(&event.name) else {
        return one_line(&event.name, SHORT);
    };
    let who = event
        .data("ModuleName")
        .or_else(|| event.data("FilterName"));
    if base == "NOTIFY_MODULE" {
        let what = notification(event).unwrap_or_default();
        return format!("{} {what}", one_line(who.unwrap_or("?"), SHORT));
    }
    match who {
        Some(who) if !who.trim().is_empty() => {
            format!("{} {}", one_line(base, SHORT), one_line(who, SHORT))
        }
        _ => one_line(base, SHORT),
    }
}

/// Pairs the `START`/`END` events of a trace.
pub(crate) fn pair_events(events: &[EventRecord]) -> Pairing {
    let mut open: HashMap<String, Vec<usize>> = HashMap::new();
    let mut matched: Vec<(usize, usize)> = Vec::new();
    for (index, event) in events.iter().enumerate() {
        let Some((side, base)) = marker(&event.name) else {
            continue;
        };
        let stack = open.entry(key(event, base)).or_default();
        match side {
            Side::Start => stack.push(index),
            // An END with nothing open is the tail of a step that began before the trace did.
            Side::End => {
                if let Some(start) = stack.pop() {
                    matched.push((start, index));
                }
            }
        }
    }
    matched.sort_unstable();
    let parents = parents(&matched);
    let pairs = matched
        .iter()
        .zip(parents)
        .map(|(&(start, end), parent)| Pair {
            start,
            end,
            label: label(&events[start]),
            ms: elapsed_ms(&events[start], &events[end]),
            parent,
        })
        .collect();
    let mut unmatched: Vec<usize> = open.into_values().flatten().collect();
    unmatched.sort_unstable();
    Pairing {
        pairs,
        open: unmatched,
    }
}

/// For pairs sorted by start, the innermost pair that encloses each one. Pairs that overlap
/// without nesting (possible across keys) are not each other's parent.
///
/// The stack holds the pairs that may still enclose a later one, innermost on top, so their
/// ends decrease towards the top. A pair on top that ends before the current one does can
/// enclose nothing that follows: whatever it would enclose, the current pair encloses too and
/// is further in. So it is dropped for good, and each pair is pushed and popped once: linear,
/// however deep the nesting (freb.xsl's own pairing is quadratic).
fn parents(pairs: &[(usize, usize)]) -> Vec<Option<usize>> {
    let mut stack: Vec<usize> = Vec::new();
    let mut result = Vec::with_capacity(pairs.len());
    for (index, &(_, end)) in pairs.iter().enumerate() {
        while stack.last().is_some_and(|&top| pairs[top].1 < end) {
            stack.pop();
        }
        result.push(stack.last().copied());
        stack.push(index);
    }
    result
}

/// Milliseconds from one event to another, never negative (clocks are GetTickCount-based).
pub(crate) fn elapsed_ms(from: &EventRecord, to: &EventRecord) -> Option<i64> {
    ms_between(from.time, to.time)
}

/// Milliseconds between two times, never negative.
pub(crate) fn ms_between(from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> Option<i64> {
    Some((to? - from?).num_milliseconds().max(0))
}

/// The time of one kind of step over the whole trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Step {
    /// See [`Pair::label`].
    pub label: String,
    /// Wall time, counting a step nested in a step of the same label once.
    pub total_ms: i64,
    /// Time not spent in pairs nested inside.
    pub self_ms: i64,
    /// How many pairs.
    pub count: usize,
}

/// The pairs summed per label, slowest first (by total, then self, then label).
pub(crate) fn steps(pairing: &Pairing) -> Vec<Step> {
    let pairs = &pairing.pairs;
    let mut children_ms = vec![0i64; pairs.len()];
    for pair in pairs {
        if let (Some(parent), Some(ms)) = (pair.parent, pair.ms) {
            children_ms[parent] += ms;
        }
    }
    let nested = inside_same_label(pairs);
    let mut by_label: HashMap<&str, Step> = HashMap::new();
    for (index, pair) in pairs.iter().enumerate() {
        let ms = pair.ms.unwrap_or(0);
        let step = by_label.entry(&pair.label).or_insert_with(|| Step {
            label: pair.label.clone(),
            total_ms: 0,
            self_ms: 0,
            count: 0,
        });
        step.count += 1;
        step.self_ms += (ms - children_ms[index]).max(0);
        if !nested[index] {
            step.total_ms += ms;
        }
    }
    let mut steps: Vec<Step> = by_label.into_values().collect();
    steps.sort_by(|a, b| {
        b.total_ms
            .cmp(&a.total_ms)
            .then(b.self_ms.cmp(&a.self_ms))
            .then(a.label.cmp(&b.label))
    });
    steps
}

/// For each pair, whether an enclosing pair has the same label (a child request's
/// `GENERAL_REQUEST` inside the parent's): its time is already in the outer one.
///
/// Pairs and their parents form a forest. A depth-first walk keeps, for each label, how many
/// pairs on the path from the root carry it, so the answer for a pair is one lookup and the
/// walk visits each pair twice: linear however deep the nesting, where walking up the parent
/// chain from every pair was quadratic.
fn inside_same_label(pairs: &[Pair]) -> Vec<bool> {
    // Labels as small numbers, so that "has an ancestor labelled L" is a lookup.
    let mut ids: HashMap<&str, usize> = HashMap::new();
    let label_of: Vec<usize> = pairs
        .iter()
        .map(|p| {
            let next = ids.len();
            *ids.entry(p.label.as_str()).or_insert(next)
        })
        .collect();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); pairs.len()];
    let mut roots = Vec::new();
    for (index, pair) in pairs.iter().enumerate() {
        match pair.parent {
            Some(parent) => children[parent].push(index),
            None => roots.push(index),
        }
    }
    let mut on_path = vec![0usize; ids.len()];
    let mut nested = vec![false; pairs.len()];
    // (pair, entering): a pair is entered, its children walked, then it is left.
    let mut work: Vec<(usize, bool)> = roots.into_iter().rev().map(|r| (r, true)).collect();
    while let Some((index, entering)) = work.pop() {
        let label = label_of[index];
        if entering {
            nested[index] = on_path[label] > 0;
            on_path[label] += 1;
            work.push((index, false));
            work.extend(children[index].iter().rev().map(|&c| (c, true)));
        } else {
            on_path[label] -= 1;
        }
    }
    nested
}

/// Steps listed outside `--all`.
const TOP_STEPS: usize = 15;
/// Open steps listed outside `--all`.
const TOP_OPEN: usize = 10;

/// Writes the performance view: steps slowest first, then the steps still open.
pub(crate) fn write(out: &mut Out<'_>, document: &Document) -> io::Result<()> {
    out.heading("Performance (START/END pairs, slowest first)")?;
    let pairing = pair_events(&document.events);
    let steps = steps(&pairing);
    if steps.is_empty() && pairing.open.is_empty() {
        writeln!(out.w, "  (no START/END pairs in the trace)")?;
        return Ok(());
    }
    if !steps.is_empty() {
        let header = format!("  {:>10}  {:>10}  {:>5}  step", "total", "self", "count");
        let header = out.paint(Tone::Dim, &header);
        writeln!(out.w, "{header}")?;
    }
    let shown: Vec<&Step> = steps
        .iter()
        .filter(|step| out.options.all || step.total_ms > 0 || step.self_ms > 0)
        .take(if out.options.all {
            usize::MAX
        } else {
            TOP_STEPS
        })
        .collect();
    for step in &shown {
        writeln!(
            out.w,
            "  {:>10}  {:>10}  {:>5}  {}",
            format!("{} ms", step.total_ms),
            format!("{} ms", step.self_ms),
            step.count,
            step.label
        )?;
    }
    if steps.len() > shown.len() {
        let note = format!(
            "… {} more steps, the shortest ones (--all shows them)",
            steps.len() - shown.len()
        );
        let note = out.paint(Tone::Dim, &note);
        writeln!(out.w, "  {note}")?;
    }
    write_open(out, document, &pairing)
}

/// The steps that started and never ended in the file: in a truncated or cut trace, what was
/// still running when the trace stops, and for how long at least.
fn write_open(out: &mut Out<'_>, document: &Document, pairing: &Pairing) -> io::Result<()> {
    if pairing.open.is_empty() {
        return Ok(());
    }
    let last = document.events.iter().rev().find_map(|e| e.time);
    let title = out.paint(Tone::Warn, "  started and not ended in the trace:");
    writeln!(out.w, "{title}")?;
    let limit = if out.options.all {
        usize::MAX
    } else {
        TOP_OPEN
    };
    for &index in pairing.open.iter().take(limit) {
        let Some(event) = document.events.get(index) else {
            continue;
        };
        let running = match ms_between(event.time, last) {
            Some(ms) => format!(">= {ms} ms"),
            None => "?".to_owned(),
        };
        writeln!(out.w, "  {running:>10}  #{:<5} {}", index + 1, label(event))?;
    }
    if pairing.open.len() > limit {
        let note = format!("… {} more (--all shows them)", pairing.open.len() - limit);
        let note = out.paint(Tone::Dim, &note);
        writeln!(out.w, "  {note}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::event::parse_time;

    fn event(name: &str, ms: u32, data: &[(&str, &str)]) -> EventRecord {
        EventRecord {
            name: name.to_owned(),
            time: parse_time(&format!(
                "2026-06-08T19:54:{:02}.{:03}Z",
                ms / 1000,
                ms % 1000
            )),
            data: data
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            ..EventRecord::default()
        }
    }

    fn module(side: &str, name: &str, notification: &str, ms: u32) -> EventRecord {
        event(
            &format!("NOTIFY_MODULE_{side}"),
            ms,
            &[("ModuleName", name), ("Notification", notification)],
        )
    }

    /// Each pair as (start, end, ms, parent), for comparing with what a test expects.
    fn shape(pairing: &Pairing) -> Vec<(usize, usize, Option<i64>, Option<usize>)> {
        pairing
            .pairs
            .iter()
            .map(|p| (p.start, p.end, p.ms, p.parent))
            .collect()
    }

    #[test]
    fn nested_pairs_match_from_the_inside_out() {
        let events = [
            event("A_START", 0, &[]),  // 0
            event("B_START", 10, &[]), // 1
            event("A_START", 20, &[]), // 2 nested A
            event("A_END", 50, &[]),   // 3 closes 2
            event("B_END", 60, &[]),   // 4
            event("A_END", 100, &[]),  // 5 closes 0
        ];
        let pairing = pair_events(&events);
        let found = shape(&pairing);
        assert_eq!(
            found,
            vec![
                (0, 5, Some(100), None),
                (1, 4, Some(50), Some(0)),
                (2, 3, Some(30), Some(1)),
            ]
        );
        assert!(pairing.open.is_empty());
        let steps = steps(&pairing);
        // The inner A is inside the outer A: counted once in total, by itself in self time.
        assert_eq!(steps[0].label, "A");
        assert_eq!(
            (steps[0].total_ms, steps[0].self_ms, steps[0].count),
            (100, 80, 2)
        );
        assert_eq!(steps[1].label, "B");
        assert_eq!((steps[1].total_ms, steps[1].self_ms), (50, 20));
    }

    #[test]
    fn module_notifications_pair_by_module_and_notification() {
        let events = [
            module("START", "RewriteModule", "1", 0),                // 0
            module("START", "IsapiFilterModule", "1", 5),            // 1 interleaved, other module
            module("END", "RewriteModule", "1", 10),                 // 2 closes 0, not 1
            module("END", "IsapiFilterModule", "1", 40),             // 3 closes 1
            module("START", "ApplicationRequestRouting", "128", 40), // 4
            module("START", "StaticFileModule", "128", 41),          // 5 nested, other module
            module("END", "StaticFileModule", "128", 45),            // 6
            module("END", "ApplicationRequestRouting", "128", 8040), // 7
        ];
        let pairing = pair_events(&events);
        let found = shape(&pairing);
        assert_eq!(
            found,
            vec![
                (0, 2, Some(10), None),
                (1, 3, Some(35), None),
                (4, 7, Some(8000), None),
                (5, 6, Some(4), Some(2)),
            ]
        );
        let steps = steps(&pairing);
        assert_eq!(
            steps[0].label,
            "ApplicationRequestRouting EXECUTE_REQUEST_HANDLER"
        );
        assert_eq!((steps[0].total_ms, steps[0].self_ms), (8000, 7996));
        assert_eq!(steps[1].label, "IsapiFilterModule BEGIN_REQUEST");
    }

    #[test]
    fn a_start_cut_off_by_truncation_stays_open() {
        let events = [
            module("END", "AspNetCoreModuleV2", "1", 0), // tail of a step begun before the trace
            module("START", "AspNetCoreModuleV2", "128", 1),
            event("GENERAL_READ_ENTITY_START", 2, &[]),
            event("GENERAL_READ_ENTITY_END", 3, &[]),
            event("ANCM_REQUEST_FORWARD_START", 4, &[]),
            event("LOG_FILE_MAX_SIZE_TRUNCATE", 730, &[]),
        ];
        let pairing = pair_events(&events);
        assert_eq!(pairing.pairs.len(), 1);
        assert_eq!(pairing.pairs[0].label, "GENERAL_READ_ENTITY");
        assert_eq!(pairing.open, vec![1, 4]);
    }

    /// Pairs and sums 200,000 pairs in a thread, failing if that takes more than two minutes.
    fn within_a_minute(events: Vec<EventRecord>) -> (Pairing, Vec<Step>) {
        let (done, wait) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let pairing = pair_events(&events);
            let steps = steps(&pairing);
            let _ = done.send((pairing, steps));
        });
        wait.recv_timeout(std::time::Duration::from_secs(120))
            .expect("the performance view of 200,000 pairs did not finish in two minutes")
    }

    const PAIRS: usize = 200_000;

    fn numbered(side: &str, i: usize) -> EventRecord {
        event(&format!("X{i}_{side}"), (i % 1000) as u32, &[])
    }

    /// Hostile traces: 200,000 pairs nested of one name, nested of distinct names (no
    /// ancestor shares a label, so every walk up the chain went to the root), and crossing
    /// without nesting (each overlaps the next, which kept every pair on the stack). The
    /// quadratic walks took minutes on these even optimised (hours in a debug build); the guard
    /// allows two minutes for what now takes seconds in a debug build, so only a quadratic walk
    /// fails it.
    #[test]
    fn deep_nesting_and_crossing_pairs_are_linear() {
        let mut same: Vec<EventRecord> = (0..PAIRS)
            .map(|i| event("X_START", (i % 1000) as u32, &[]))
            .collect();
        same.extend((0..PAIRS).map(|_| event("X_END", 999, &[])));
        let (pairing, steps) = within_a_minute(same);
        assert_eq!(pairing.pairs.len(), PAIRS);
        assert_eq!(pairing.pairs[PAIRS - 1].parent, Some(PAIRS - 2));
        assert_eq!((steps.len(), steps[0].count), (1, PAIRS));

        let mut distinct: Vec<EventRecord> = (0..PAIRS).map(|i| numbered("START", i)).collect();
        distinct.extend((0..PAIRS).rev().map(|i| numbered("END", i)));
        let (pairing, steps) = within_a_minute(distinct);
        assert_eq!(pairing.pairs.len(), PAIRS);
        assert_eq!(pairing.pairs[PAIRS - 1].parent, Some(PAIRS - 2));
        assert_eq!(steps.len(), PAIRS);

        let mut crossing = Vec::with_capacity(2 * PAIRS);
        for i in 0..PAIRS {
            crossing.push(numbered("START", i));
            if i > 0 {
                crossing.push(numbered("END", i - 1));
            }
        }
        crossing.push(numbered("END", PAIRS - 1));
        let (pairing, _) = within_a_minute(crossing);
        assert_eq!(pairing.pairs.len(), PAIRS);
        assert!(pairing.pairs.iter().all(|p| p.parent.is_none()));
    }

    #[test]
    fn missing_times_and_garbage_do_not_panic() {
        let mut end = event("X_END", 0, &[]);
        end.time = None;
        let events = [
            event("X_START", 5, &[]),
            end,
            event("_START", 0, &[]),
            event("_END", 0, &[]),
            event("", 0, &[]),
        ];
        let pairing = pair_events(&events);
        assert_eq!(pairing.pairs[0].ms, None);
        let steps = steps(&pairing);
        assert_eq!(steps.len(), 2);
    }
}
