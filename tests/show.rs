//! `frebscope show` end to end: the real binary on hand-written traces and, when the shared
//! corpus is present, on real IIS traces. Output is compared with reviewed snapshots.

mod common;

use std::path::Path;

use assert_cmd::cargo::cargo_bin_cmd;
use frebscope::model::Diagnosis;
use frebscope::parse::full::read_document;
use frebscope::show::{ShowOptions, render};

const CASES: &str = "tests/cases/show";
/// The real traces, relative to the crate root (the snapshots show this path).
const REAL: &str = "../shared/corpus/real";

/// Runs `frebscope show --no-color` from the crate root on a relative path, so that no
/// machine-specific path reaches the snapshot.
fn show(args: &[&str]) -> String {
    let output = cargo_bin_cmd!("frebscope")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .arg("show")
        .arg("--no-color")
        .args(args)
        .output()
        .expect("frebscope runs");
    assert!(
        output.status.success(),
        "frebscope show {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    portable_paths(String::from_utf8(output.stdout).expect("show prints UTF-8"))
}

/// On Windows the paths found under a root are printed with `\` (`samples\WEB01\...`); the
/// snapshots hold `/`. Only words that are paths under the test's roots are rewritten: any other
/// `\` is the program's own output, which the snapshot must see as it is.
fn portable_paths(out: String) -> String {
    if !cfg!(windows) {
        return out;
    }
    out.split_inclusive(char::is_whitespace)
        .map(|word| {
            if ["samples\\", "tests\\"].iter().any(|r| word.starts_with(r)) {
                word.replace('\\', "/")
            } else {
                word.to_owned()
            }
        })
        .collect()
}

/// `show` on one real trace; `None` when the real traces are absent (the test then skips).
fn show_real(name: &str) -> Option<String> {
    common::real_corpus()?;
    Some(show(&[&format!("{REAL}/{name}")]))
}

#[test]
fn arr_timeout_502_3() {
    insta::assert_snapshot!(show(&[&format!("{CASES}/arr-timeout-502-3.xml")]));
}

#[test]
fn arr_timeout_502_3_with_all_events() {
    insta::assert_snapshot!(show(&["--all", &format!("{CASES}/arr-timeout-502-3.xml")]));
}

#[test]
fn fastcgi_500_in_a_file_cut_short() {
    insta::assert_snapshot!(show(&[&format!("{CASES}/fastcgi-500-cut-short.xml")]));
}

/// A demo-farm ARR timeout read with its neighbours: the cross-trace rules link it to the
/// backend trace of a process that was still starting.
#[test]
fn sample_arr_timeout_with_context() {
    insta::assert_snapshot!(show(&[
        "--context",
        "samples",
        "samples/ARR01/FailedReqLogFiles/W3SVC1/fr000006.xml",
    ]));
}

/// The same trace alone: without the backend trace there is no cold start to point at.
#[test]
fn sample_arr_timeout_alone() {
    insta::assert_snapshot!(show(&[
        "samples/ARR01/FailedReqLogFiles/W3SVC1/fr000006.xml"
    ]));
}

#[test]
fn real_arr_502_3_bad_backend() {
    if let Some(text) = show_real("FrebViewer__fr000070.arr-bad-backend.xml") {
        insta::assert_snapshot!(text);
    }
}

#[test]
fn real_fastcgi_php_500() {
    if let Some(text) = show_real("FrebViewer__fr000049.php-error.xml") {
        insta::assert_snapshot!(text);
    }
}

#[test]
fn real_config_500_19() {
    if let Some(text) = show_real("FrebViewer__fr000008.denied-ext.xml") {
        insta::assert_snapshot!(text);
    }
}

#[test]
fn real_bad_handler_500_21() {
    if let Some(text) = show_real("FrebViewer__fr000035.config-500-19.xml") {
        insta::assert_snapshot!(text);
    }
}

#[test]
fn real_ancm_trace_truncated_by_iis() {
    if let Some(text) = show_real("Nanette2022__fr000001.xml") {
        insta::assert_snapshot!(text);
    }
}

/// Colour is on only through the painter: every escape sequence in the output is one of ours,
/// and the one planted in a request header arrives escaped.
#[test]
fn colour_never_lets_trace_escapes_through() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(CASES)
        .join("arr-timeout-502-3.xml");
    let bytes = std::fs::read(&path).expect("case exists");
    let document = read_document(&bytes).expect("case parses");
    let mut out = Vec::new();
    let options = ShowOptions {
        all: true,
        color: true,
    };
    render(
        Path::new("arr.xml"),
        &document,
        &Diagnosis::not_applicable(),
        &options,
        &mut out,
    )
    .expect("renders");
    let text = String::from_utf8(out).expect("UTF-8");
    assert!(
        text.contains("\x1b[1;31m502.3"),
        "the failing status is red"
    );
    assert!(text.contains("X-Evil: \\x1b]0;pwned\\x07"));
    for (at, _) in text.match_indices('\x1b') {
        assert_eq!(
            text.as_bytes().get(at + 1),
            Some(&b'['),
            "raw escape at byte {at}"
        );
    }
    assert!(!text.contains('\x07'));
}

/// Several files in one call, each shown in full, and a file that is not a trace reported
/// without stopping the others.
#[test]
fn several_files_and_a_bad_one() {
    let output = cargo_bin_cmd!("frebscope")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["show", "--no-color"])
        .arg(format!("{CASES}/arr-timeout-502-3.xml"))
        .arg("Cargo.toml")
        .arg(format!("{CASES}/fastcgi-500-cut-short.xml"))
        .output()
        .expect("frebscope runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("arr-timeout-502-3.xml  (26 events)"));
    assert!(stdout.contains("fastcgi-500-cut-short.xml  (10 events)"));
    assert!(!String::from_utf8_lossy(&output.stderr).is_empty());
}

/// A start time and a `timeTaken` that cannot be read are shown as unparseable, with what the
/// trace held, and the evidence states no time: `show` says what `scan` warns about.
#[test]
fn unparseable_start_and_time_taken_are_shown_as_such() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("fr000001.xml");
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/readers/fr000001.xml"),
    )
    .unwrap()
    .replace("2026-03-01T10:00:00.100Z", "9999-12-31T23:59:59.000-05:00")
    .replace("timeTaken=\"1234\"", "timeTaken=\"-1\"");
    std::fs::write(&path, text).unwrap();
    let out = show(&[path.to_str().unwrap()]);
    assert!(out.contains("time taken unparseable: -1"), "{out}");
    assert!(
        out.contains("started    unparseable: 9999-12-31T23:59:59.000-05:00"),
        "{out}"
    );
    assert!(out.contains("after an unknown time"), "{out}");
    assert!(!out.contains(" 0 ms") && !out.contains("0.0 s"), "{out}");
}
