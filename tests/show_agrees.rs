//! `show` and `scan` read the same inputs the same way: every trace shown with the inputs a
//! scan read gets the verdict the scan gave, the line `scan` suggests does exactly that, and
//! `show` reads folders through discovery and names the neighbours it could not read.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::Value;

fn frebscope(args: &[&str]) -> Output {
    cargo_bin_cmd!("frebscope")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .args(args)
        .output()
        .expect("frebscope runs")
}

/// File -> (verdict, rule) as `requests` gives them for these roots.
fn scan_verdicts(roots: &[&str]) -> BTreeMap<String, (String, String)> {
    let mut args = vec!["requests"];
    args.extend(roots);
    args.extend(["--json", "--no-progress"]);
    let output = frebscope(&args);
    assert!(output.status.success());
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v.get("file").is_some())
        .map(|v| {
            // A rule is null where no rule applies (below 500).
            let field = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
            (field("file"), (field("verdict"), field("rule")))
        })
        .collect()
}

/// (verdict, rule) of every trace `show` printed, in order.
fn shown_verdicts(stdout: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(stdout);
    let mut found = Vec::new();
    let mut verdict = None;
    for line in text.lines() {
        let line = line.trim();
        if let Some(v) = line.strip_prefix("verdict ") {
            if let Some(previous) = verdict.replace(v.trim().to_owned()) {
                found.push((previous, String::new()));
            }
        } else if let Some(rule) = line.strip_prefix("rule ") {
            let v = verdict.take().expect("a rule follows its verdict");
            found.push((v, rule.trim().to_owned()));
        }
    }
    found.extend(verdict.map(|v| (v, String::new())));
    // Below 500 show says why there is no verdict.
    found
        .into_iter()
        .map(|(v, r)| (v.split(' ').next().unwrap_or("").to_owned(), r))
        .collect()
}

#[test]
fn every_sample_shown_with_the_scan_inputs_gets_the_scan_verdict() {
    let verdicts = scan_verdicts(&["samples"]);
    assert!(verdicts.len() >= 40, "{}", verdicts.len());
    for (file, expected) in &verdicts {
        let output = frebscope(&["show", "--no-color", file, "--context", "samples"]);
        assert!(output.status.success(), "{file}");
        let shown = shown_verdicts(&output.stdout);
        assert_eq!(shown, std::slice::from_ref(expected), "{file}");
    }
}

/// All arguments are one input: an ARR front end shown with its backend trace is linked to it.
#[test]
fn show_reads_all_its_arguments_as_one_input() {
    let front = "samples/ARR01/FailedReqLogFiles/W3SVC1/fr000006.xml";
    let output = frebscope(&["requests", "samples", "--json", "--no-progress"]);
    let row: Value = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        // Windows writes the paths it finds under `samples` with `\`.
        .find(|v| v["file"].as_str().map(|f| f.replace('\\', "/")).as_deref() == Some(front))
        .expect("the ARR trace");
    let backend = row["linked_file"].as_str().unwrap().to_owned();
    assert!(!backend.is_empty(), "{row}");
    let output = frebscope(&["show", "--no-color", front, &backend]);
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    let backend_name = Path::new(&backend).file_name().unwrap().to_str().unwrap();
    assert!(
        text.contains(&format!("backend trace {backend_name}")),
        "{text}"
    );
    assert!(!text.contains("no backend trace"), "{text}");
}

/// Following the suggested line, as a POSIX shell reads it, gives the scan's verdict.
#[cfg(unix)]
#[test]
fn the_suggested_show_line_gives_the_scan_verdict() {
    let output = frebscope(&["scan", "samples", "--no-progress", "--no-color"]);
    let text = String::from_utf8(output.stdout).unwrap();
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("Open one trace (sh): "))
        .unwrap_or_else(|| panic!("no suggestion in:\n{text}"));
    let args = line.strip_prefix("frebscope ").expect("a frebscope line");
    let bin = assert_cmd::cargo::cargo_bin!("frebscope");
    let shown = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("exec \"$0\" {args} --no-color"))
        .arg(bin)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(shown.status.success(), "{line}");
    let verdicts = scan_verdicts(&["samples"]);
    let file = args.split('\'').nth(1).unwrap();
    assert_eq!(
        shown_verdicts(&shown.stdout),
        [verdicts[file].clone()],
        "{line}"
    );
}

#[test]
fn show_of_a_folder_reads_the_traces_in_it() {
    let output = frebscope(&["show", "--no-color", "samples/ARR01"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(!stderr.contains("Is a directory"), "{stderr}");
    let shown = shown_verdicts(&output.stdout);
    let scanned = scan_verdicts(&["samples/ARR01"]);
    assert_eq!(shown, scanned.into_values().collect::<Vec<_>>());

    let empty = tempfile::tempdir().unwrap();
    let output = frebscope(&["show", empty.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no trace files"), "{stderr}");
}

/// Neighbours that cannot be read are named and counted, and the run says it was partial.
#[test]
fn show_names_the_neighbours_it_could_not_read() {
    let context = tempfile::tempdir().unwrap();
    common::write(&context.path().join("fr000001.xml"), common::trace());
    common::write(&context.path().join("fr000002.xml"), "");
    common::write(
        &context.path().join("fr000003.xml"),
        "<html>not a trace</html>",
    );
    let output = frebscope(&[
        "show",
        "--no-color",
        "samples/ARR01/FailedReqLogFiles/W3SVC1/fr000006.xml",
        "--context",
        context.path().to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("2 neighbouring traces could not be read"),
        "{stderr}"
    );
    assert!(stderr.contains("fr000002.xml: empty"), "{stderr}");
    assert!(stderr.contains("fr000003.xml"), "{stderr}");
}
