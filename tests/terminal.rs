//! The terminal layouts: `scan`, `requests` and `show` at 80, 120 and 200 columns and through a pipe
//! (snapshots), and no table cell broken inside a word at 80 columns, on the samples and on
//! the real traces.

mod common;

use std::collections::HashSet;
use std::path::Path;

use assert_cmd::cargo::cargo_bin_cmd;

/// The output of the binary run in the crate folder with `COLUMNS` set (or removed: a pipe),
/// with the run's wall time taken out.
fn run(columns: Option<u16>, args: &[&str]) -> String {
    let mut cmd = cargo_bin_cmd!("frebscope");
    cmd.current_dir(common::crate_dir())
        .args(args)
        .arg("--no-color");
    match columns {
        Some(c) => cmd.env("COLUMNS", c.to_string()),
        None => cmd.env_remove("COLUMNS"),
    };
    let output = cmd.output().expect("the binary runs");
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    without_elapsed(&portable(&text))
}

/// On Windows the program prints `samples\ARR01\...` and suggests a PowerShell line; the
/// snapshots hold the `/` form and the sh line. Only the sample paths are rewritten: the
/// PowerShell hint lines keep their own backslashes (`IIS:\AppPools\...`).
fn portable(text: &str) -> String {
    if !cfg!(windows) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("samples\\") {
        let (before, path) = rest.split_at(at);
        out.push_str(before);
        let end = path
            .find(|c: char| !(c.is_ascii_alphanumeric() || "._-$/\\".contains(c)))
            .unwrap_or(path.len());
        out.push_str(&path[..end].replace('\\', "/"));
        rest = &path[end..];
    }
    out.push_str(rest);
    out.replace("Open one trace (PowerShell):", "Open one trace (sh):")
}

fn without_elapsed(text: &str) -> String {
    text.lines()
        .map(|line| match line.rfind(" · ") {
            Some(at)
                if line.ends_with(" s")
                    && line[at + " · ".len()..line.len() - 2]
                        .parse::<f64>()
                        .is_ok() =>
            {
                format!("{} · [elapsed]", &line[..at])
            }
            _ => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn scan_at_80_120_and_200_columns_and_through_a_pipe() {
    for (name, columns) in [
        ("80", Some(80)),
        ("120", Some(120)),
        ("200", Some(200)),
        ("pipe", None),
    ] {
        let out = run(columns, &["scan", "samples"]);
        insta::assert_snapshot!(format!("scan_{name}"), out);
    }
}

#[test]
fn requests_at_80_120_and_200_columns_and_through_a_pipe() {
    for (name, columns) in [
        ("80", Some(80)),
        ("120", Some(120)),
        ("200", Some(200)),
        ("pipe", None),
    ] {
        let out = run(columns, &["requests", "samples"]);
        insta::assert_snapshot!(format!("requests_{name}"), out);
    }
    let evidence = run(
        Some(80),
        &[
            "requests",
            "samples",
            "--verdict",
            "startup",
            "--sort",
            "time",
            "--limit",
            "3",
            "--evidence",
        ],
    );
    insta::assert_snapshot!("requests_80_evidence", evidence);
}

/// `show` wraps its evidence and hints to the terminal as `scan` does: an ARR timeout read with
/// its neighbours, whose hint lines are the longest `show` prints.
#[test]
fn show_at_80_120_and_200_columns_and_through_a_pipe() {
    for (name, columns) in [
        ("80", Some(80)),
        ("120", Some(120)),
        ("200", Some(200)),
        ("pipe", None),
    ] {
        let out = run(
            columns,
            &[
                "show",
                "samples/ARR01/FailedReqLogFiles/W3SVC1/fr000006.xml",
                "--context",
                "samples",
            ],
        );
        insta::assert_snapshot!(format!("show_{name}"), out);
    }
}

#[test]
fn nothing_matched_says_why() {
    let out = run(Some(120), &["requests", "samples", "--server", "WEB9"]);
    assert!(out.contains("--server matches none of them"), "{out}");
    assert!(out.contains("servers ARR01, WEB01, WEB02"), "{out}");
    assert!(out.contains("(11 h 49 min)"), "{out}");
    let out = run(Some(120), &["scan", "samples", "--since", "2099-01-01"]);
    assert!(out.contains("--since matches none of them"), "{out}");
    let empty = tempfile::tempdir().unwrap();
    let path = empty.path().to_str().unwrap();
    let out = run(Some(120), &["scan", path]);
    assert!(
        out.contains("No trace files under the paths given"),
        "{out}"
    );
}

#[test]
fn requests_csv_to_a_file_prints_the_totals_not_the_rows() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("r.csv");
    let out = run(
        Some(120),
        &["requests", "samples", "--csv", csv.to_str().unwrap()],
    );
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.contains("44 matched"), "{out}");
}

/// Every line fits in 80 columns, and every word of a table cell is whole: a word of the
/// same table laid out without a width limit, or cut with `…`.
fn assert_no_broken_words(args: &[&str]) {
    let narrow = run(Some(80), args);
    let wide = run(Some(10_000), args);
    let words = |text: &str| -> HashSet<String> {
        text.lines()
            .filter(|l| l.starts_with('│'))
            .flat_map(|l| l.split(['│', '┆']).map(str::to_owned).collect::<Vec<_>>())
            .flat_map(|cell| {
                cell.split_whitespace()
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let whole = words(&wide);
    for line in narrow
        .lines()
        .filter(|l| l.starts_with('│') || l.starts_with('┌'))
    {
        assert!(line.chars().count() <= 80, "wider than 80 columns: {line}");
    }
    for word in words(&narrow) {
        assert!(
            word.ends_with('…') || whole.contains(&word),
            "{word:?} is a broken word ({args:?})\n{narrow}"
        );
    }
}

#[test]
fn no_table_cell_breaks_inside_a_word_at_80_columns() {
    for by in ["error", "server", "app-pool", "url", "hour"] {
        assert_no_broken_words(&["scan", "samples", "--by", by]);
    }
    assert_no_broken_words(&["scan", "samples", "--all-statuses"]);
    let Some(real) = common::real_corpus() else {
        return;
    };
    let real = real.to_str().expect("a UTF-8 path");
    assert_no_broken_words(&["scan", real]);
    assert_no_broken_words(&["scan", real, "--all-statuses"]);
    let lines = run(Some(80), &["requests", real]);
    for line in lines.lines() {
        assert!(line.chars().count() <= 80, "wider than 80 columns: {line}");
    }
    assert!(Path::new(real).is_dir());
}
