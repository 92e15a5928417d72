//! Windows paths read through Windows itself: a real share as `\\server\share\...` and as
//! `\\?\UNC\server\share\...`, patterns in both forms, `show` and `requests --csv` on it, and
//! verbatim (`\\?\C:\...`) local paths.
//!
//! The share is named by `FREBSCOPE_TEST_SHARE` (default `\\ci\logs$`) and must hold a copy of
//! the demo farm in `samples/` (its traces, configuration and event logs). CI serves it under Wine, which maps
//! `\\ci\logs$` to `$WINEPREFIX/dosdevices/unc/ci/logs$`; on Windows, share a copy of `samples/`
//! and point the variable at it. Without the share these tests print why and pass, unless
//! `FREBSCOPE_REQUIRE_SHARE=1` (set by CI) makes that a failure.
//!
//! Every read through the share is compared with the same read of `samples/` on the local disk:
//! the share must change nothing but the paths.

#![cfg(windows)]

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::cargo::cargo_bin_cmd;
use serde_json::Value;

const DEFAULT_SHARE: &str = r"\\ci\logs$";
const DEMO_TRACE: &str = r"ARR01\FailedReqLogFiles\W3SVC1\fr000006.xml";

/// The test share in its plain UNC form, or `None` (after saying why) when it is not there.
fn share() -> Option<String> {
    let share = std::env::var("FREBSCOPE_TEST_SHARE").unwrap_or_else(|_| DEFAULT_SHARE.into());
    let share = share.trim_end_matches('\\').to_owned();
    if Path::new(&share).join("WEB01").is_dir() {
        return Some(share);
    }
    let reason = format!(
        "{share} is not reachable or holds no copy of samples/ (set FREBSCOPE_TEST_SHARE to a \
         share holding one)"
    );
    if std::env::var_os("FREBSCOPE_REQUIRE_SHARE").is_some_and(|v| v == "1") {
        panic!("FREBSCOPE_REQUIRE_SHARE=1 but {reason}");
    }
    eprintln!("skipped: {reason}");
    None
}

/// `\\server\share` as `\\?\UNC\server\share`.
fn verbatim(unc: &str) -> String {
    format!(r"\\?\UNC\{}", unc.trim_start_matches('\\'))
}

/// The local copy, as an absolute Windows path (`C:\...`, or `Z:\...` under Wine).
fn samples() -> PathBuf {
    std::path::absolute(Path::new(env!("CARGO_MANIFEST_DIR")).join("samples"))
        .expect("an absolute path")
}

fn run(args: &[&OsStr]) -> Output {
    cargo_bin_cmd!("frebscope")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .args(args)
        .output()
        .expect("run frebscope")
}

fn stdout_of(args: &[&OsStr]) -> String {
    let output = run(args);
    assert_eq!(
        output.status.code(),
        Some(0),
        "frebscope {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("output is UTF-8")
}

/// A path printed by frebscope, relative to the root it was read from, with `/` separators.
fn relative(path: &str, root: &str) -> String {
    let rest = path
        .strip_prefix(root)
        .unwrap_or_else(|| panic!("{path} is not under {root}"));
    rest.trim_start_matches(['\\', '/']).replace('\\', "/")
}

/// `requests --json` rows over `root`, with their paths made relative to it, in path order.
fn requests_rows(root: &str) -> Vec<Value> {
    let out = stdout_of(&[
        OsStr::new("requests"),
        OsStr::new(root),
        OsStr::new("--json"),
        OsStr::new("--no-progress"),
    ]);
    let mut rows: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .filter(|v: &Value| v.get("totals").is_none())
        .collect();
    for row in &mut rows {
        for key in ["file", "linked_file"] {
            if let Some(path) = row[key].as_str().filter(|p| !p.is_empty()) {
                row[key] = Value::String(relative(path, root));
            }
        }
        // Other values may name files under the root too (the configuration an evidence cites).
        if let Some(fields) = row.as_object_mut() {
            for value in fields.values_mut() {
                if let Some(text) = value.as_str().filter(|t| t.contains(root)) {
                    *value = Value::String(text.replace(root, "ROOT"));
                }
            }
        }
    }
    rows.sort_by(|a, b| a["file"].as_str().cmp(&b["file"].as_str()));
    rows
}

fn traces_under(dir: &Path) -> usize {
    fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .map(|p| {
            if p.is_dir() {
                traces_under(&p)
            } else {
                let name = p
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .to_lowercase();
                usize::from(name.starts_with("fr") && name.ends_with(".xml"))
            }
        })
        .sum()
}

/// `requests --json` totals and the number of rows for `args`.
fn found_by(args: &[&str]) -> (u64, Vec<Value>) {
    let mut all: Vec<&OsStr> = vec![OsStr::new("requests")];
    all.extend(args.iter().map(OsStr::new));
    all.extend([
        OsStr::new("--json"),
        OsStr::new("--totals"),
        OsStr::new("--no-progress"),
    ]);
    let out = stdout_of(&all);
    let mut values: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let totals = values.pop().expect("a totals line")["totals"].clone();
    (totals["found"].as_u64().expect("found"), values)
}

#[test]
fn share_roots_in_both_forms_read_like_the_local_folder() {
    let Some(share) = share() else { return };
    let local = samples().display().to_string();
    let expected = requests_rows(&local);
    assert_eq!(expected.len(), traces_under(&samples()));
    for root in [share.clone(), verbatim(&share)] {
        assert_eq!(requests_rows(&root), expected, "read through {root}");
    }
}

#[test]
fn share_patterns_in_both_forms_expand() {
    let Some(share) = share() else { return };
    let web = traces_under(&samples().join("WEB01")) + traces_under(&samples().join("WEB02"));
    for base in [share.clone(), verbatim(&share)] {
        let (found, rows) = found_by(&[&format!(r"{base}\WEB0*")]);
        assert_eq!(found as usize, web, r"{base}\WEB0*");
        assert!(
            rows.iter()
                .all(|r| matches!(r["server"].as_str(), Some("WEB01" | "WEB02"))),
            "{rows:?}"
        );
        let (found, _) = found_by(&[&format!(r"{base}\*\FailedReqLogFiles\W3SVC2")]);
        assert_eq!(found as usize, web, r"{base}\*\FailedReqLogFiles\W3SVC2");
        let (found, _) = found_by(&[&format!(
            r"{base}\ARR01\FailedReqLogFiles\W3SVC1\fr00000?.xml"
        )]);
        assert_eq!(found, 9, r"{base}\ARR01\...\fr00000?.xml");
    }
}

#[test]
fn requests_csv_through_the_share_matches_the_local_folder() {
    let Some(share) = share() else { return };
    let csv_rows = |root: &str| -> Vec<Vec<String>> {
        let out = stdout_of(&[
            OsStr::new("requests"),
            OsStr::new(root),
            OsStr::new("--csv"),
            OsStr::new("-"),
            OsStr::new("--no-progress"),
        ]);
        let mut reader = csv::Reader::from_reader(out.as_bytes());
        let headers = reader.headers().expect("a header").clone();
        let paths: Vec<usize> = ["file", "linked_file"]
            .iter()
            .filter_map(|name| headers.iter().position(|h| h == *name))
            .collect();
        let mut rows: Vec<Vec<String>> = reader
            .records()
            .map(|r| {
                let record = r.expect("a CSV row");
                record
                    .iter()
                    .enumerate()
                    .map(|(i, cell)| {
                        if paths.contains(&i) && !cell.is_empty() {
                            relative(cell, root)
                        } else {
                            cell.replace(root, "ROOT")
                        }
                    })
                    .collect()
            })
            .collect();
        rows.sort();
        rows
    };
    let expected = csv_rows(&samples().display().to_string());
    assert!(!expected.is_empty());
    assert_eq!(csv_rows(&verbatim(&share)), expected);
    assert_eq!(csv_rows(&share), expected);
}

#[test]
fn show_with_context_through_the_share_matches_the_local_folder() {
    let Some(share) = share() else { return };
    let show = |root: &str, file: &str| -> String {
        let out = stdout_of(&[
            OsStr::new("show"),
            OsStr::new("--no-color"),
            OsStr::new("--context"),
            OsStr::new(root),
            OsStr::new(file),
        ]);
        // The evidence wraps to the page, and paths of other lengths wrap it elsewhere.
        let out = out.replace(file, "FILE").replace(root, "ROOT");
        out.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    let local = samples().display().to_string();
    let expected = show(&local, &format!(r"{local}\{DEMO_TRACE}"));
    assert!(
        expected.contains(r"ROOT\WEB01\FailedReqLogFiles\W3SVC2\fr000009.xml"),
        "the demo trace links to its backend trace:\n{expected}"
    );
    for root in [share.clone(), verbatim(&share)] {
        assert_eq!(show(&root, &format!(r"{root}\{DEMO_TRACE}")), expected);
    }
}

#[test]
fn scan_through_the_share_counts_like_the_local_folder() {
    let Some(share) = share() else { return };
    let totals = |root: &str| -> (Value, Value) {
        let out = stdout_of(&[
            OsStr::new("scan"),
            OsStr::new(root),
            OsStr::new("--json"),
            OsStr::new("--no-progress"),
        ]);
        let json: Value = serde_json::from_str(&out).expect("scan --json");
        (json["totals"].clone(), json["verdicts"].clone())
    };
    let expected = totals(&samples().display().to_string());
    assert_eq!(totals(&share), expected);
    assert_eq!(totals(&verbatim(&share)), expected);
}

#[test]
fn a_missing_folder_on_the_share_is_an_error_naming_the_share() {
    let Some(share) = share() else { return };
    for root in [share.clone(), verbatim(&share)] {
        let missing = format!(r"{root}\NO-SUCH-SERVER");
        let output = run(&[OsStr::new("scan"), OsStr::new(&missing)]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(&missing), "{stderr}");
        assert!(stderr.contains("server and share"), "{stderr}");
    }
}

/// `\\?\C:\...`: the `?` of the prefix is not a wildcard; only the pattern's own are.
#[test]
fn verbatim_drive_patterns_expand() {
    let local = samples();
    let web = traces_under(&local.join("WEB01")) + traces_under(&local.join("WEB02"));
    let pattern = format!(r"\\?\{}\WEB0*", local.display());
    let (found, _) = found_by(&[&pattern]);
    assert_eq!(found as usize, web, "{pattern}");
}

/// The folder before the wildcard must exist, verbatim or not: the prefix's `?` is not where
/// the pattern starts.
#[test]
fn a_verbatim_drive_pattern_under_a_missing_folder_is_an_error() {
    let missing = format!(r"\\?\{}\no-such-folder\WEB0*", samples().display());
    let output = run(&[OsStr::new("scan"), OsStr::new(&missing)]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(r"no-such-folder"), "{stderr}");
    assert!(!stderr.contains("server and share"), "{stderr}");
}

/// Only `\\server\share` and `\\?\UNC\` roots are shares: a missing `\\?\C:\...` folder gets
/// the hint for a local path.
#[test]
fn a_missing_verbatim_drive_path_is_not_called_a_share() {
    let local = samples();
    let missing = format!(r"\\?\{}\no-such-folder", local.display());
    let output = run(&[OsStr::new("scan"), OsStr::new(&missing)]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no-such-folder"), "{stderr}");
    assert!(!stderr.contains("server and share"), "{stderr}");
}
