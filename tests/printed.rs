//! What `scan` and `requests` print for people: `--by` tables with every value under its
//! heading, argument checks that come before any reading, table cells of bounded size, and
//! CSV cells a spreadsheet cannot turn into formulas.

mod common;

use std::path::Path;
use std::time::Duration;

use assert_cmd::cargo::cargo_bin_cmd;
use common::{Root, trace_with, write};

fn run(args: &[&str]) -> std::process::Output {
    cargo_bin_cmd!("frebscope")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .args(args)
        .args(["--no-progress", "--no-color"])
        .timeout(Duration::from_secs(120))
        .output()
        .expect("frebscope runs")
}

fn stdout(args: &[&str]) -> String {
    let output = run(args);
    assert!(
        output.status.success(),
        "frebscope {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}

/// The group table of a scan: from its title to the blank line after it (the totals above
/// it hold the run's wall time, which no snapshot can).
fn group_table(output: &str, title: &str) -> String {
    let start = output
        .find(title)
        .unwrap_or_else(|| panic!("no {title:?} in:\n{output}"));
    let rest = &output[start..];
    let end = rest.find("\n\n").unwrap_or(rest.len());
    rest[..end].to_owned()
}

/// The cells of a table line, trimmed.
fn cells(line: &str) -> Vec<String> {
    line.trim_matches(|c| c == '│' || c == ' ')
        .split('┆')
        .map(|c| c.trim().to_owned())
        .collect()
}

/// Heading -> first-line text of each column in the first data row.
fn first_row(table: &str) -> Vec<(String, String)> {
    let lines: Vec<&str> = table.lines().filter(|l| l.starts_with('│')).collect();
    let header = cells(lines[0]);
    let row = cells(lines[1]);
    assert_eq!(header.len(), row.len(), "{table}");
    header.into_iter().zip(row).collect()
}

fn cell<'a>(row: &'a [(String, String)], heading: &str) -> &'a str {
    row.iter()
        .find(|(h, _)| h == heading)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no column {heading:?} in {row:?}"))
}

#[test]
fn by_tables_put_every_value_under_its_heading() {
    for (by, title, key) in [
        ("server", "By server", "server"),
        ("app-pool", "By application pool", "app pool"),
        ("url", "By URL", "URL"),
    ] {
        let table = group_table(&stdout(&["scan", "samples", "--by", by]), title);
        let row = first_row(&table);
        assert!(!cell(&row, key).is_empty(), "{by}: {table}");
        assert!(
            cell(&row, "count").parse::<usize>().is_ok(),
            "{by}: {table}"
        );
        let verdicts = cell(&row, "verdicts");
        assert!(
            !verdicts.contains('→') && !verdicts.ends_with(" s"),
            "{by}: {table}"
        );
        assert!(cell(&row, "seen (UTC)").contains('→'), "{by}: {table}");
        assert!(cell(&row, "p50 / p95").ends_with(" s"), "{by}: {table}");
        assert!(cell(&row, "top URL").starts_with('/'), "{by}: {table}");
        insta::assert_snapshot!(format!("by_{by}"), table);
    }
    let table = group_table(&stdout(&["scan", "samples", "--by", "hour"]), "By hour");
    let row = first_row(&table);
    assert!(cell(&row, "hour").starts_with("20"), "{table}");
    assert!(cell(&row, "p95").ends_with(" s"), "{table}");
    insta::assert_snapshot!("by_hour", table);
    let table = group_table(
        &stdout(&["scan", "samples"]),
        "Failures (status 500 and above) by status, module and error code",
    );
    let row = first_row(&table);
    assert!(
        cell(&row, "status").starts_with(|c: char| c.is_ascii_digit()),
        "{table}"
    );
    assert!(
        cell(&row, "error code").starts_with("WINHTTP_"),
        "a code by its short name: {table}"
    );
    insta::assert_snapshot!("by_error", table);
}

#[test]
fn site_filter_takes_ids_and_folder_names_and_rejects_the_rest() {
    let output = run(&["scan", "samples", "--site", "abc"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("invalid --site value 'abc'") && stderr.contains("W3SVC2"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
    let matched = |site: &str| {
        let out = run(&["requests", "samples", "--site", site, "--csv", "-"]);
        assert!(out.status.success(), "{site}");
        String::from_utf8_lossy(&out.stdout).lines().count() - 1
    };
    let by_id = matched("1");
    assert!(by_id > 0);
    assert_eq!(matched("W3SVC1"), by_id);
    assert_eq!(matched("w3svc1"), by_id);
}

/// A CSV destination that cannot be created stops the run before anything is read or printed.
#[test]
fn output_files_that_cannot_be_created_fail_first() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("no-such-folder").join("out.csv");
    let missing = missing.to_str().unwrap();
    for args in [
        ["scan", "samples", "--csv", missing],
        ["requests", "samples", "--csv", missing],
        ["scan", "samples", "--skipped-csv", missing],
        ["requests", "samples", "--skipped-csv", missing],
    ] {
        let output = run(&args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert!(
            output.stdout.is_empty(),
            "{args:?} printed before failing:\n{}",
            String::from_utf8_lossy(&output.stdout)
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("could not create"), "{stderr}");
    }
}

/// A 60,000-character URL and a 4 MB server name: tables show a capped cell with an ellipsis
/// and render at once; CSV keeps the values.
#[test]
fn huge_values_are_capped_in_tables_and_kept_in_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let url = format!("http://localhost/{}", "u".repeat(60_000));
    let computer = "C".repeat(4 << 20);
    let root = Root {
        url: &url,
        computer: &computer,
        ..Root::default()
    };
    write(&tmp.path().join("fr000001.xml"), trace_with(&root));
    let dir = tmp.path().to_str().unwrap();
    for args in [
        vec!["scan", dir],
        vec!["scan", dir, "--by", "server"],
        vec!["scan", dir, "--by", "url"],
        vec!["scan", dir, "--by", "app-pool"],
        vec!["requests", dir],
    ] {
        let text = stdout(&args);
        assert!(text.len() < 64 * 1024, "{args:?}: {} bytes", text.len());
        assert!(text.contains("CCCC…") || text.contains("uuuu…"), "{args:?}");
    }
    let csv = stdout(&["requests", dir, "--csv", "-"]);
    assert!(csv.contains(&url), "the CSV keeps the whole URL");
    assert!(
        csv.contains(&"C".repeat(10_000)),
        "the CSV keeps the server name"
    );
}

#[test]
fn csv_cells_holding_a_semicolon_are_quoted() {
    let tmp = tempfile::tempdir().unwrap();
    let root = Root {
        url: "x;=cmd|' /C calc'!A0",
        app_pool: "P;=1+1",
        ..Root::default()
    };
    write(&tmp.path().join("fr000001.xml"), trace_with(&root));
    let dir = tmp.path().to_str().unwrap();
    let csv = stdout(&["requests", dir, "--csv", "-"]);
    assert!(csv.contains(",\"x;=cmd|' /C calc'!A0\","), "{csv}");
    assert!(csv.contains(",\"P;=1+1\","), "{csv}");
    let summary = stdout(&["scan", dir, "--by", "url", "--csv", "-"]);
    assert!(summary.contains("\"x;=cmd|' /C calc'!A0\""), "{summary}");
    assert!(Path::new(dir).is_dir());
}

#[test]
fn requests_lines_put_every_value_under_its_heading() {
    let output = stdout(&["requests", "samples", "--status", "502"]);
    let lines: Vec<&str> = output
        .lines()
        .skip_while(|l| !l.starts_with("time"))
        .collect();
    let split = |line: &str| -> Vec<String> {
        line.split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let header = split(lines[0]);
    let first = split(lines[1]);
    assert_eq!(header.len(), first.len(), "{output}");
    let row: Vec<(String, String)> = header.into_iter().zip(first).collect();
    assert!(cell(&row, "time (UTC)").starts_with("03-11 "), "{output}");
    assert!(cell(&row, "status").starts_with("502"), "{output}");
    assert!(cell(&row, "code").starts_with("WINHTTP_"), "{output}");
    assert!(cell(&row, "taken").ends_with(" s"), "{output}");
    assert!(
        ["startup", "proxy", "worker", "config", "unknown"].contains(&cell(&row, "verdict")),
        "{output}"
    );
    assert!(cell(&row, "path").starts_with('/'), "{output}");
}
