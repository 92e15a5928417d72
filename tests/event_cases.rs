//! The labeled event cases: each folder under `tests/cases/events` holds traces and the
//! `events.xml` exported from their servers; `expected.csv` says the verdict, rule and
//! confidence of one trace with the events, and its verdict and rule without them. The cases
//! where the events change the verdict stand beside distractors (another pool, another
//! server, an event after the failure) where they must not.

use std::fs;
use std::path::{Path, PathBuf};

use frebscope::diagnose::{Options, analyze_with_events};
use frebscope::events::{ReadOptions, read_paths};
use frebscope::model::{Diagnosis, Trace};
use frebscope::parse::parse_bytes;

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/events")
}

fn traces_of(dir: &Path) -> Vec<Trace> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().contains("-fr"))
        })
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| parse_bytes(p, &fs::read(p).unwrap()).unwrap())
        .collect()
}

fn verdict_of(traces: &[Trace], diagnoses: &[Diagnosis], file: &str) -> Diagnosis {
    let index = traces
        .iter()
        .position(|t| t.file.ends_with(file))
        .unwrap_or_else(|| panic!("no trace {file}"));
    diagnoses[index].clone()
}

#[test]
fn every_event_case_gets_its_expected_verdict() {
    let text = fs::read_to_string(cases_dir().join("expected.csv")).unwrap();
    let mut wrong = Vec::new();
    let mut cases = 0;
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split(',').collect();
        let [case, file, verdict, rule, confidence, without] = f.as_slice() else {
            panic!("expected.csv line {line:?}");
        };
        cases += 1;
        let dir = cases_dir().join(case);
        let traces = traces_of(&dir);
        let log = read_paths(&[dir.join("events.xml")], &ReadOptions::default());
        assert!(log.problems.is_empty(), "{case}: {:?}", log.problems);
        assert_eq!(log.events.len(), 1, "{case}");
        let with = analyze_with_events(&traces, &log.events, &Options::default()).diagnoses;
        let alone = analyze_with_events(&traces, &[], &Options::default()).diagnoses;
        let got = verdict_of(&traces, &with, file);
        let got_alone = verdict_of(&traces, &alone, file);
        let got_text = format!(
            "{} {} {}",
            got.verdict,
            got.rule,
            serde_json::to_value(got.confidence)
                .unwrap()
                .as_str()
                .unwrap()
        );
        if got_text != format!("{verdict} {rule} {confidence}") {
            wrong.push(format!("{case}: got {got_text}: {}", got.evidence));
        }
        if format!("{} {}", got_alone.verdict, got_alone.rule) != *without {
            wrong.push(format!(
                "{case} without events: got {} {}",
                got_alone.verdict, got_alone.rule
            ));
        }
        // A distractor leaves the evidence as it was, word for word.
        if format!("{verdict} {rule}") == *without && got.evidence != got_alone.evidence {
            wrong.push(format!("{case}: the evidence changed: {}", got.evidence));
        }
    }
    assert!(cases >= 7);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
