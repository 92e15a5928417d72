//! The `scan` and `requests` commands on the real binary: the output contract, exit codes,
//! filters, and every real trace read as `SOURCES.md` describes it.

mod common;

use std::fs;
use std::path::Path;

use assert_cmd::cargo::cargo_bin_cmd;
use common::{Csv, crate_dir, failed_request, real_corpus};
use predicates::prelude::*;

const REQUESTS_HEADER: &str = "file,server,site_id,app_pool,process_id,start_time,url,verb,status,\
trigger_status,failure_reason,module,notification,error_code,error_name,time_taken_ms,verdict,evidence";

const SUMMARY_HEADER: &str = "status,module,error_code,error_name,verdict,count,servers,first_seen,\
last_seen,time_taken_p50_ms,time_taken_p95_ms,top_url";

/// Runs `frebscope requests --csv -` with these arguments and reads the CSV back.
fn requests_csv<I, S>(args: I) -> Csv
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let out = cargo_bin_cmd!("frebscope")
        .args(["requests", "--csv", "-"])
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    Csv::parse(&out)
}

/// The standard output of `frebscope ARGS ROOT`, which must succeed.
fn stdout_of<S: AsRef<std::ffi::OsStr>>(args: &[&str], root: S) -> Vec<u8> {
    cargo_bin_cmd!("frebscope")
        .args(args)
        .arg(root)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone()
}

/// `frebscope ARGS ROOT` stops with exit 1 and says `says` on stderr.
fn refused(args: &[&str], root: &Path, says: &str) {
    cargo_bin_cmd!("frebscope")
        .args(args)
        .arg(root)
        .assert()
        .code(1)
        .stderr(predicate::str::contains(says));
}

fn farm(dir: &Path) {
    let w1 = dir.join("web01/W3SVC2");
    let w2 = dir.join("web02/W3SVC2");
    fs::create_dir_all(&w1).unwrap();
    fs::create_dir_all(&w2).unwrap();
    fs::write(
        w1.join("fr000001.xml"),
        failed_request("502.3", "ApplicationRequestRouting", 2147954429, "WEB01"),
    )
    .unwrap();
    fs::write(
        w1.join("FR000002.XML"),
        failed_request("502.3", "ApplicationRequestRouting", 2147954429, "WEB01"),
    )
    .unwrap();
    fs::write(
        w2.join("fr000001.xml"),
        failed_request("404", "IIS Web Core", 2147942402, "WEB02"),
    )
    .unwrap();
    fs::write(w2.join("freb.xsl"), "<xsl/>").unwrap();
}

#[test]
fn requests_csv_follows_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    farm(dir.path());
    let out = stdout_of(&["requests", "--csv", "-"], dir.path());
    let text = String::from_utf8(out).unwrap();
    let mut lines = text.lines();
    assert!(lines.next().unwrap().starts_with(REQUESTS_HEADER));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 3, "{text}");
    let arr = rows.iter().find(|r| r.contains("WEB01")).unwrap();
    assert!(arr.contains(",2026-06-08T19:54:59.674Z,"), "{arr}");
    assert!(arr.contains(",502.3,502.3,STATUS_CODE,ApplicationRequestRouting,EXECUTE_REQUEST_HANDLER,0x80072EFD,ERROR_WINHTTP_CANNOT_CONNECT,8078,"), "{arr}");
    assert!(
        arr.contains("http://localhost:80/api/orders?id=1&x=2"),
        "{arr}"
    );
    let not_found = rows.iter().find(|r| r.contains("WEB02")).unwrap();
    assert!(not_found.contains(",404,404,"), "{not_found}");
    assert!(
        not_found.contains(",-,"),
        "verdict below 500 is '-': {not_found}"
    );
}

#[test]
fn scan_filters_by_status_and_writes_the_summary_csv() {
    let dir = tempfile::tempdir().unwrap();
    farm(dir.path());
    let csv = dir.path().join("summary.csv");
    cargo_bin_cmd!("frebscope")
        .args(["scan", "--status", "5xx", "--no-color", "--csv"])
        .arg(&csv)
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "3 files found · 3 read · 0 skipped · 2 matched the filters",
        ))
        .stdout(predicate::str::contains("WINHTTP_CANNOT"));
    let text = fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    assert!(lines.next().unwrap().starts_with(SUMMARY_HEADER));
    let row = lines.next().unwrap();
    assert!(
        row.starts_with("502.3,ApplicationRequestRouting,0x80072EFD,ERROR_WINHTTP_CANNOT_CONNECT,"),
        "{row}"
    );
    assert!(row.contains(",2,WEB01,2026-06-08T19:54:59.674Z,2026-06-08T19:54:59.674Z,8078,8078,http://localhost:80/api/orders,"), "{row}");
    assert_eq!(lines.next(), None);
}

#[test]
fn scan_json_and_groupings() {
    let dir = tempfile::tempdir().unwrap();
    farm(dir.path());
    let out = stdout_of(&["scan", "--json"], dir.path());
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(json["totals"]["found"], 3);
    assert_eq!(json["totals"]["matched"], 3);
    assert_eq!(json["groups"][0]["count"], 2);
    for by in ["server", "app-pool", "url", "hour"] {
        cargo_bin_cmd!("frebscope")
            .args(["scan", "--no-color", "--by", by])
            .arg(dir.path())
            .assert()
            .success()
            .stdout(
                predicate::str::contains("WEB01")
                    .or(predicate::str::contains("Orders"))
                    .or(predicate::str::contains("2026-06-08 19:00")),
            );
    }
}

/// The stream holds only records, for jq; the totals go to stderr, or last with `--totals`.
#[test]
fn requests_json_is_one_record_per_line_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    farm(dir.path());
    let output = cargo_bin_cmd!("frebscope")
        .args(["requests", "--json", "--no-progress", "--server", "web01"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(output.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "two records, no totals: {lines:?}");
    assert!(lines.iter().all(|l| l.get("totals").is_none()));
    assert_eq!(lines[0]["status"], "502.3");
    assert_eq!(lines[0]["status_code"], 502);
    assert_eq!(lines[0]["substatus"], 3);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("2 matched"), "{stderr}");

    let out = stdout_of(
        &["requests", "--json", "--totals", "--server", "web01"],
        dir.path(),
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "two records and the totals");
    assert_eq!(lines[2]["totals"]["matched"], 2);
    // --totals belongs to the JSON stream.
    cargo_bin_cmd!("frebscope")
        .args(["requests", "--totals"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--json"));
}

#[test]
fn missing_root_and_bad_filters_exit_1_and_say_what_is_accepted() {
    cargo_bin_cmd!("frebscope")
        .args(["scan", "/no/such/folder/FailedReqLogFiles"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "/no/such/folder/FailedReqLogFiles",
        ))
        .stderr(predicate::str::contains("hint:"));
    let dir = tempfile::tempdir().unwrap();
    refused(&["scan", "--status", "50x"], dir.path(), "5xx");
    refused(
        &["requests", "--since", "yesterday"],
        dir.path(),
        "RFC 3339",
    );
    cargo_bin_cmd!("frebscope").args(["scan"]).assert().code(1);
}

#[test]
fn a_bad_file_is_counted_named_and_makes_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    farm(dir.path());
    fs::write(dir.path().join("web01/W3SVC2/fr000003.xml"), "").unwrap();
    cargo_bin_cmd!("frebscope")
        .args(["scan", "--no-color"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stdout(predicate::str::contains(
            "4 files found · 3 read · 1 skipped (empty 1)",
        ))
        .stderr(predicate::str::contains("fr000003.xml: empty"));
}

#[test]
fn help_teaches_by_example() {
    cargo_bin_cmd!("frebscope")
        .args(["scan", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Examples:"))
        .stdout(predicate::str::contains("--status 502"));
}

/// One row of SOURCES.md: file, final status, and the first module error (module,
/// notification, error code) or none.
struct Expected {
    file: String,
    status: String,
    error: Option<(String, String, u32)>,
}

fn sources(dir: &Path) -> Vec<Expected> {
    let text = fs::read_to_string(dir.join("SOURCES.md")).unwrap();
    text.lines()
        .filter(|l| l.starts_with("| ") && l.contains(".xml |"))
        .map(|line| {
            let cols: Vec<&str> = line.split(" | ").map(str::trim).collect();
            let file = cols[0].trim_start_matches("| ").to_owned();
            let status = cols[4].split_whitespace().next().unwrap().to_owned();
            let error = (cols[5] != "-").then(|| {
                let first = cols[5].split(';').next().unwrap();
                let parts: Vec<&str> = first.split(" / ").map(str::trim).collect();
                let code = u32::from_str_radix(parts[3].trim_start_matches("0x"), 16).unwrap();
                (parts[0].to_owned(), parts[1].to_owned(), code)
            });
            Expected {
                file,
                status,
                error,
            }
        })
        .collect()
}

#[test]
fn every_real_trace_reads_as_sources_md_says() {
    let Some(dir) = real_corpus() else {
        return;
    };
    let expected = sources(&dir);
    assert_eq!(expected.len(), 53);
    let pattern = format!("{}/*.xml", dir.display());
    let csv = requests_csv([&pattern]);
    let col = |name: &str| csv.column(name);
    assert_eq!(csv.rows.len(), 53);
    for want in &expected {
        let row = csv
            .rows
            .iter()
            .find(|r| r[col("file")].ends_with(&want.file))
            .unwrap_or_else(|| panic!("{} missing", want.file));
        assert_eq!(row[col("status")], want.status, "{}", want.file);
        match &want.error {
            None => {
                assert_eq!(&row[col("module")], "", "{}", want.file);
                assert_eq!(&row[col("error_code")], "", "{}", want.file);
            }
            Some((module, notification, code)) => {
                assert_eq!(&row[col("module")], module, "{}", want.file);
                assert_eq!(&row[col("notification")], notification, "{}", want.file);
                assert_eq!(
                    row[col("error_code")],
                    format!("0x{code:08X}"),
                    "{}",
                    want.file
                );
            }
        }
    }
}

/// The README's first command must show something worth seeing: all three verdicts of the
/// mission (startup, proxy, worker) and at least one configuration hint.
#[test]
fn samples_show_every_verdict_and_a_hint() {
    let out = cargo_bin_cmd!("frebscope")
        .args(["scan", "--json"])
        .arg(crate_dir().join("samples"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let verdicts: Vec<&str> = json["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["verdict"].as_str().unwrap())
        .collect();
    for wanted in ["startup", "proxy", "worker"] {
        assert!(
            verdicts.contains(&wanted),
            "{wanted} missing from {verdicts:?}"
        );
    }
    let hints = json["hints"].as_array().unwrap();
    assert!(
        hints
            .iter()
            .flat_map(|h| h["commands"].as_array().unwrap())
            .any(|c| c["line"].as_str().unwrap().contains("startMode")),
        "{hints:?}"
    );
}

/// `samples/README.md` states the verdict each demo trace should get, and why; the binary
/// must agree on every one of them.
#[test]
fn samples_get_the_verdicts_their_readme_states() {
    let samples = crate_dir().join("samples");
    let readme = fs::read_to_string(samples.join("README.md")).unwrap();
    let expected: Vec<(String, String)> = readme
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains(".xml`"))
        .map(|l| {
            let cols: Vec<&str> = l.split(" | ").collect();
            let file = cols[1].trim_matches('`').to_owned();
            let verdict = cols[5].trim_matches('*').to_owned();
            (file, verdict)
        })
        .collect();
    assert!(expected.len() >= 40, "{} rows", expected.len());
    let csv = requests_csv([&samples]);
    assert_eq!(csv.rows.len(), expected.len());
    for (file, verdict) in &expected {
        let row = csv
            .rows
            .iter()
            .find(|r| Path::new(csv.get(r, "file")).ends_with(file))
            .unwrap_or_else(|| panic!("{file} missing"));
        assert_eq!(
            csv.get(row, "verdict"),
            verdict,
            "{file}: {}",
            csv.get(row, "evidence")
        );
    }
}

#[test]
fn skipped_list_needs_a_file_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    refused(
        &["scan", "--skipped-csv", "-"],
        dir.path(),
        "--skipped-csv needs a file name",
    );
}

/// With `--status 502` the backends' slow 200s and 500s are only read as far as their request
/// headers, and that must be enough to link the ARR 502s to them: the verdicts must not change.
#[test]
fn a_status_filter_keeps_the_links_to_backend_traces() {
    let samples = crate_dir().join("samples");
    let verdicts = |args: &[&str]| -> Vec<(String, String, String)> {
        let mut all: Vec<std::ffi::OsString> = args.iter().map(Into::into).collect();
        all.push(samples.clone().into());
        let csv = requests_csv(all);
        let cell = |r: &csv::StringRecord, name: &str| csv.get(r, name).to_owned();
        csv.rows
            .iter()
            .filter(|r| csv.get(r, "status").starts_with("502"))
            .map(|r| (cell(r, "file"), cell(r, "verdict"), cell(r, "linked_file")))
            .collect()
    };
    let unfiltered = verdicts(&[]);
    let filtered = verdicts(&["--status", "502"]);
    assert!(
        filtered
            .iter()
            .any(|(_, v, linked)| v == "startup" && !linked.is_empty())
    );
    assert_eq!(filtered, unfiltered);
}

/// `--color always` colours through a pipe (for `less -R`); `NO_COLOR` and `TERM=dumb` turn
/// the automatic colour off, and the last of `--color` and `--no-color` wins.
#[test]
fn colour_can_be_forced_through_a_pipe() {
    let samples = crate_dir().join("samples");
    let scan = |args: &[&str], env: &[(&str, &str)]| -> String {
        let mut cmd = cargo_bin_cmd!("frebscope");
        cmd.arg("scan")
            .arg(&samples)
            .args(args)
            .env_remove("NO_COLOR");
        for (key, value) in env {
            cmd.env(key, value);
        }
        let out = cmd.assert().success().get_output().stdout.clone();
        String::from_utf8(out).unwrap()
    };
    assert!(!scan(&[], &[]).contains('\x1b'), "a pipe gets no colour");
    assert!(scan(&["--color", "always"], &[]).contains("\x1b["));
    assert!(
        scan(
            &["--color", "always"],
            &[("NO_COLOR", "1"), ("TERM", "dumb")]
        )
        .contains("\x1b[")
    );
    assert!(!scan(&["--color", "always", "--no-color"], &[]).contains('\x1b'));
    assert!(scan(&["--no-color", "--color=always"], &[]).contains("\x1b["));
}

/// Every duration option reads the same grammar, and too large a value is refused.
#[test]
fn durations_share_one_grammar() {
    let samples = crate_dir().join("samples");
    for args in [
        ["--since", "1.5h"],
        ["--arr-timeout", "1d"],
        ["--startup-window", "1.00:00:00"],
        ["--until", "500ms"],
    ] {
        cargo_bin_cmd!("frebscope")
            .arg("requests")
            .arg(&samples)
            .args(args)
            .assert()
            .success();
    }
    refused(
        &["scan", "--startup-window", "99999999999999999:00:00"],
        &samples,
        "too large",
    );
}

/// CSV and JSON are written from one definition of the row: on the demo farm, every JSON
/// record has the CSV's columns, in order, then `status_code` and `substatus`, with the same
/// values; an empty cell is a JSON `null`, and numbers are JSON numbers.
#[test]
fn requests_csv_and_json_rows_agree() {
    let samples = crate_dir().join("samples");
    let csv = requests_csv([&samples]);
    let out = stdout_of(&["requests", "--json"], &samples);
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), csv.rows.len());
    let mut header: Vec<&str> = csv.header.iter().collect();
    header.extend(["status_code", "substatus"]);
    let mut nulls = 0;
    for (line, record) in lines.iter().zip(&csv.rows) {
        let json: serde_json::Map<String, serde_json::Value> = serde_json::from_str(line).unwrap();
        let mut keys: Vec<&str> = json.keys().map(String::as_str).collect();
        let mut names = header.clone();
        keys.sort_unstable();
        names.sort_unstable();
        assert_eq!(keys, names);
        // The keys come in the CSV's column order.
        let at: Vec<usize> = header
            .iter()
            .map(|name| line.find(&format!("\"{name}\":")).unwrap())
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{line}");
        for (name, cell) in csv.header.iter().zip(record) {
            match &json[name] {
                serde_json::Value::Null => {
                    assert_eq!(cell, "", "{name} of {}", csv.get(record, "file"));
                    nulls += 1;
                }
                serde_json::Value::String(s) => assert_eq!(s, cell, "{name}"),
                other => assert_eq!(other.to_string(), cell, "{name}"),
            }
        }
        assert!(json["process_id"].is_u64() && json["time_taken_ms"].is_u64());
        let status = csv.get(record, "status");
        let (code, sub) = status.split_once('.').unwrap_or((status, "0"));
        assert_eq!(json["status_code"].to_string(), code);
        assert_eq!(json["substatus"].to_string(), sub);
    }
    assert!(nulls > 0, "the demo farm has absent values");
}
