//! The labeled cases: every trace under `tests/cases/diagnosis` is parsed, all of them are
//! diagnosed together (process generations and ARR links need their neighbours), and each
//! verdict and rule is compared with `expected.csv`.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use frebscope::diagnose::{Options, analyze, diagnose, hints};
use frebscope::model::{Diagnosis, Trace};
use frebscope::parse::parse_bytes;

fn cases_dir() -> PathBuf {
    common::crate_dir().join("tests/cases/diagnosis")
}

/// Every `.xml` below `dir`, as paths relative to it with `/` separators, sorted.
fn case_files(dir: &Path) -> Vec<String> {
    let mut found: Vec<String> = common::xml_files(dir)
        .iter()
        .map(|path| {
            let relative = path.strip_prefix(dir).expect("inside the case folder");
            relative.to_string_lossy().replace('\\', "/")
        })
        .collect();
    found.sort();
    found
}

fn expected() -> BTreeMap<String, (String, String)> {
    let text = fs::read_to_string(cases_dir().join("expected.csv")).expect("expected.csv exists");
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            assert_eq!(fields.len(), 3, "expected.csv line {line:?}");
            (
                fields[0].to_string(),
                (fields[1].to_string(), fields[2].to_string()),
            )
        })
        .collect()
}

fn parse_cases(files: &[String]) -> Vec<Trace> {
    let dir = cases_dir();
    files
        .iter()
        .map(|name| {
            let bytes = fs::read(dir.join(name)).expect("case file is readable");
            parse_bytes(Path::new(name), &bytes)
                .unwrap_or_else(|e| panic!("{name} does not parse: {e}"))
        })
        .collect()
}

#[test]
fn every_case_is_listed_once() {
    let files = case_files(&cases_dir());
    let listed: Vec<String> = expected().into_keys().collect();
    assert_eq!(
        files, listed,
        "files on disk and rows of expected.csv differ"
    );
}

#[test]
fn every_case_gets_its_expected_verdict_and_rule() {
    let files = case_files(&cases_dir());
    let traces = parse_cases(&files);
    let diagnoses = diagnose(&traces, &Options::default());
    let expected = expected();
    let mut wrong = Vec::new();
    for (name, diagnosis) in files.iter().zip(&diagnoses) {
        let Some((verdict, rule)) = expected.get(name) else {
            wrong.push(format!("{name}: not in expected.csv"));
            continue;
        };
        if diagnosis.verdict.as_str() != verdict || diagnosis.rule != rule {
            wrong.push(format!(
                "{name}: expected {verdict} {rule}, got {} {} ({})",
                diagnosis.verdict, diagnosis.rule, diagnosis.evidence
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn farm_front_end_verdicts_name_the_backend_trace() {
    let files = case_files(&cases_dir());
    let traces = parse_cases(&files);
    let diagnoses = diagnose(&traces, &Options::default());
    let linked = |name: &str| -> Option<&Diagnosis> {
        files.iter().position(|f| f == name).map(|i| &diagnoses[i])
    };
    let cold = linked("farm/ARR01/fr000002.xml").expect("case exists");
    assert_eq!(
        cold.linked_file.as_deref(),
        Some(Path::new("farm/WEB01/fr000002.xml"))
    );
    assert!(
        cold.evidence.contains("first trace of process 1200"),
        "{}",
        cold.evidence
    );
    let unlinked = linked("farm/ARR01/fr000006.xml").expect("case exists");
    assert_eq!(unlinked.linked_file, None);
}

#[test]
fn farm_hints_cover_cold_starts_and_the_arr_timeout() {
    let files = case_files(&cases_dir());
    let traces = parse_cases(&files);
    let analysis = analyze(&traces, &Options::default());
    let hints = hints(&traces, &analysis);
    let cold = hints
        .iter()
        .find(|h| h.command_text().contains("AlwaysRunning"))
        .expect("a cold-start hint");
    assert!(cold.servers.contains(&"WEB01".to_string()));
    assert!(cold.servers.contains(&"WEB02".to_string()));
    let arr = hints
        .iter()
        .find(|h| h.title.contains("ARR timeout"))
        .expect("an ARR timeout hint");
    assert!(arr.servers.contains(&"ARR01".to_string()));
    // The slowest linked backend took 48 s: 72 s rounds up to two minutes.
    assert!(
        arr.command_text().contains("protocol.timeout:00:02:00"),
        "{}",
        arr.command_text()
    );
}

#[test]
fn real_traces_get_the_verdicts_their_owners_report() {
    let Some(dir) = common::real_corpus() else {
        return;
    };
    let cases = [
        ("FrebViewer__fr000070.arr-bad-backend.xml", "proxy", "R9"),
        ("FrebViewer__fr000035.config-500-19.xml", "config", "R20"),
        ("FrebViewer__fr000008.denied-ext.xml", "config", "R20"),
        ("FrebViewer__fr000018.aspnet-error.xml", "worker", "R20a"),
        ("FrebViewer__fr000049.php-error.xml", "worker", "R20a"),
        ("FrebViewer__fr000010.asp-error.xml", "worker", "R20a"),
        ("FrebViewer__fr000004.static-404.xml", "-", ""),
    ];
    for (name, verdict, rule) in cases {
        let bytes = fs::read(dir.join(name)).expect("real trace is readable");
        let trace = parse_bytes(Path::new(name), &bytes).expect("real trace parses");
        let d = diagnose(std::slice::from_ref(&trace), &Options::default()).remove(0);
        assert_eq!(
            (d.verdict.as_str(), d.rule),
            (verdict, rule),
            "{name}: {}",
            d.evidence
        );
    }
}

#[test]
#[ignore = "prints every case's evidence for review"]
fn print_evidence() {
    let files = case_files(&cases_dir());
    let traces = parse_cases(&files);
    let analysis = analyze(&traces, &Options::default());
    for (name, d) in files.iter().zip(&analysis.diagnoses) {
        println!(
            "{name}: {} {} {:?}: {}",
            d.verdict, d.rule, d.confidence, d.evidence
        );
    }
    for h in hints(&traces, &analysis) {
        println!("{h:#?}");
    }
}
