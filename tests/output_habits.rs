//! Output that fits admins' habits, run through the real binary: the `requests --json`
//! stream for jq, runs that can be diffed (`--no-elapsed`), CSV for Excel (`--excel`), local
//! times (`--local`), and the exception of an application's error page in the evidence.

mod common;

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use assert_cmd::cargo::cargo_bin_cmd;
use chrono::{DateTime, Utc};
use common::{Csv, crate_dir, real_corpus, samples, write};
use frebscope_synth::events::{self as ev, Notification};
use frebscope_synth::{Status, TraceSpec};
use serde_json::Value;

fn run_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = cargo_bin_cmd!("frebscope");
    cmd.current_dir(dir).args(args);
    // `show` reads its few files without a progress bar or a cache.
    if args.first() != Some(&"show") {
        cmd.args(["--no-progress", "--no-cache"]);
    }
    cmd.env_remove("NO_COLOR").timeout(Duration::from_secs(120));
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("frebscope runs")
}

fn run(args: &[&str]) -> Output {
    run_in(&crate_dir(), args, &[])
}

fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("UTF-8")
}

fn records(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn the_json_stream_is_records_only_with_nulls_and_numbers() {
    let output = run(&["requests", "samples", "--json"]);
    let text = ok(&output);
    let rows = records(&text);
    assert_eq!(rows.len(), 44, "one record per trace, no totals line");
    assert!(rows.iter().all(|r| r.get("file").is_some()));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("44 files found, 44 read, 0 skipped, 44 matched"),
        "{stderr}"
    );
    // Below 500 there is no rule, no confidence and no evidence: null, never "".
    let ok_row = rows.iter().find(|r| r["status"] == "200").expect("a 200");
    for key in ["rule", "confidence", "evidence", "module", "error_code"] {
        assert!(ok_row[key].is_null(), "{key}: {ok_row}");
    }
    assert!(!text.contains(":\"\""), "no empty strings in the stream");
    for row in &rows {
        let status = row["status"].as_str().expect("a status");
        let (code, sub) = status.split_once('.').unwrap_or((status, "0"));
        assert_eq!(row["status_code"].as_u64(), code.parse().ok(), "{row}");
        assert_eq!(row["substatus"].as_u64(), sub.parse().ok(), "{row}");
        assert!(row["time_taken_ms"].is_u64() && row["process_id"].is_u64());
    }
    let with_totals = ok(&run(&["requests", "samples", "--json", "--totals"]));
    let mut all = records(&with_totals);
    let last = all.pop().expect("the totals record");
    assert_eq!(last["totals"]["matched"], 44);
    assert_eq!(all, rows, "--totals only adds the last record");
}

#[test]
fn no_elapsed_makes_two_runs_the_same_bytes() {
    let first = ok(&run(&["scan", "samples", "--json", "--no-elapsed"]));
    let second = ok(&run(&["scan", "samples", "--json", "--no-elapsed"]));
    assert_eq!(first, second);
    let json: Value = serde_json::from_str(&first).unwrap();
    assert!(json.get("elapsed").is_none(), "{first}");
    assert!(json.get("totals").is_some());
    let with = ok(&run(&["scan", "samples", "--json"]));
    assert!(serde_json::from_str::<Value>(&with).unwrap()["elapsed"].is_f64());
    // The table's header says no wall time either: the first lines are stable too.
    let table = ok(&run(&["scan", "samples", "--no-elapsed"]));
    let second_line = table.lines().nth(1).unwrap();
    assert!(second_line.ends_with("(11 h 49 min)"), "{second_line}");
}

#[test]
fn excel_csv_has_a_bom_excel_dates_and_statuses_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.csv");
    let excel = dir.path().join("excel.csv");
    let root = samples();
    let root = root.to_str().unwrap();
    ok(&run(&["requests", root, "--csv", plain.to_str().unwrap()]));
    ok(&run(&[
        "requests",
        root,
        "--csv",
        excel.to_str().unwrap(),
        "--excel",
    ]));
    let plain = std::fs::read(&plain).unwrap();
    let excel = std::fs::read(&excel).unwrap();
    assert!(!plain.starts_with(b"\xef\xbb\xbf"));
    assert!(
        excel.starts_with(b"\xef\xbb\xbf"),
        "a UTF-8 byte-order mark"
    );
    let (plain, excel) = (Csv::parse(&plain), Csv::parse(&excel[3..]));
    assert_eq!(plain.header, excel.header, "the same columns");
    assert_eq!(plain.rows.len(), excel.rows.len());
    for (p, e) in plain.rows.iter().zip(&excel.rows) {
        let time = excel.get(e, "start_time");
        let parsed = chrono::NaiveDateTime::parse_from_str(time, "%Y-%m-%d %H:%M:%S")
            .unwrap_or_else(|err| panic!("{time}: {err}"));
        let utc: DateTime<Utc> = plain.get(p, "start_time").parse().unwrap();
        assert_eq!(parsed, utc.naive_utc().with_nanosecond(0).unwrap());
        let status = excel.get(e, "status");
        assert_eq!(
            status.strip_prefix('\u{2060}'),
            Some(plain.get(p, "status"))
        );
        assert!(!status.starts_with('='), "no formula");
        assert_eq!(excel.get(e, "url"), plain.get(p, "url"));
    }
    // The summary's times too; --excel needs --csv.
    let summary = ok(&run(&["scan", "samples", "--csv", "-", "--excel"]));
    let summary = Csv::parse(summary.strip_prefix('\u{feff}').unwrap().as_bytes());
    let row = &summary.rows[0];
    assert_eq!(summary.get(row, "first_seen").len(), 19);
    let refused = run(&["requests", "samples", "--excel"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--csv"));
}

use chrono::Timelike;

/// `TZ` pins the zone on Unix (a POSIX rule, which needs no tzdata on the machine). Windows does not read `TZ` (under Wine the zone is the host's),
/// so there the expected text comes from this process's own zone, the child's too.
#[test]
fn local_shows_the_viewers_time_and_says_so() {
    let tz = [("TZ", "CET-1CEST,M3.5.0,M10.5.0/3")];
    let utc = ok(&run_in(
        &crate_dir(),
        &["requests", "samples", "--sort", "time", "--limit", "1"],
        &tz,
    ));
    let local = ok(&run_in(
        &crate_dir(),
        &[
            "requests", "samples", "--sort", "time", "--limit", "1", "--local",
        ],
        &tz,
    ));
    assert!(utc.contains("time (UTC)"), "{utc}");
    assert!(utc.contains("03-11 07:42:10"), "{utc}");
    let first: DateTime<Utc> = "2025-03-11T07:42:10Z".parse().unwrap();
    let (time, offset, since) = if cfg!(unix) {
        (
            "03-11 08:42:10".to_owned(),
            "+01:00".to_owned(),
            "2025-03-11 08:42:10+01:00".to_owned(),
        )
    } else {
        let here = first.with_timezone(&chrono::Local);
        (
            here.format("%m-%d %H:%M:%S").to_string(),
            here.format("%:z").to_string(),
            here.format("%Y-%m-%d %H:%M:%S%:z").to_string(),
        )
    };
    assert!(local.contains(&format!("time (UTC{offset})")), "{local}");
    assert!(local.contains(&time), "{local}");
    assert!(local.contains(&since), "the span in the header: {local}");
    // CSV and JSON stay in UTC whatever the table shows.
    let json = ok(&run_in(
        &crate_dir(),
        &["requests", "samples", "--json", "--local", "--sort", "time"],
        &tz,
    ));
    assert_eq!(records(&json)[0]["start_time"], "2025-03-11T07:42:10.219Z");
    // `show` says when the request started, in the same zone.
    let front = "samples/ARR01/FailedReqLogFiles/W3SVC1/fr000006.xml";
    let shown = ok(&run_in(
        &crate_dir(),
        &["show", front, "--local", "--no-color"],
        &tz,
    ));
    let started: DateTime<Utc> = "2025-03-11T13:10:02.390Z".parse().unwrap();
    let expected = if cfg!(unix) {
        "2025-03-11 14:10:02.390 (local, UTC+01:00)".to_owned()
    } else {
        started
            .with_timezone(&chrono::Local)
            .format("%Y-%m-%d %H:%M:%S%.3f (local, UTC%:z)")
            .to_string()
    };
    assert!(shown.contains(&format!("started    {expected}")), "{shown}");
    let wide = [("TZ", "CET-1CEST,M3.5.0,M10.5.0/3"), ("COLUMNS", "200")];
    let scan = ok(&run_in(
        &crate_dir(),
        &["scan", "samples", "--local"],
        &wide,
    ));
    assert!(scan.contains(&format!("seen (UTC{}", &offset)), "{scan}");
}

/// An ASP.NET 500 whose captured error page is hostile: the exception in the evidence is
/// one line, cut, and escaped in every output.
fn aspnet_500(body: &str) -> String {
    let status = Status::new(500, 0);
    let spec = TraceSpec {
        url: "http://localhost/orders/".into(),
        site_id: 2,
        app_pool: "Orders".into(),
        process_id: 4312,
        thread_id: 2060,
        verb: "GET".into(),
        user: None,
        activity_id: "{80000006-0007-FF00-B63F-84710C7967BB}".into(),
        failure_reason: "STATUS_CODE".into(),
        status,
        trigger_status: status,
        time_taken_ms: 120,
        computer: "WEB01".into(),
        start: "2026-06-08T19:54:59.674Z".parse().unwrap(),
        culture: "en-US".into(),
        events: vec![
            ev::module_set_response_error_status(
                "ManagedPipelineHandler",
                Notification::ExecuteRequestHandler,
                status,
                0,
                "",
            ),
            ev::response_entity_buffer(body),
        ],
    };
    frebscope_synth::render(&spec)
}

#[test]
fn worker_evidence_names_the_exception_of_the_error_page() {
    let dir = tempfile::tempdir().unwrap();
    // Long, but under the 64 KiB a body is searched within.
    let long = "y".repeat(20_000);
    write(
        &dir.path().join("fr000001.xml"),
        aspnet_500(&format!(
            "<html><b> Exception Details: </b>System.InvalidOperationException: bad\x1b[2J\u{202e}order {long}<br></html>"
        )),
    );
    write(
        &dir.path().join("fr000002.xml"),
        aspnet_500("<html><body>Sorry</body></html>"),
    );
    let root = dir.path().to_str().unwrap();
    let rows = records(&ok(&run(&["requests", root, "--json"])));
    let evidence = |name: &str| {
        rows.iter()
            .find(|r| r["file"].as_str().unwrap().ends_with(name))
            .and_then(|r| r["evidence"].as_str())
            .unwrap()
            .to_owned()
    };
    let named = evidence("fr000001.xml");
    assert!(
        named.contains("the response names \"System.InvalidOperationException: bad"),
        "{named}"
    );
    assert!(!named.contains('\x1b'), "{named:?}");
    assert!(
        named.len() < 1_000,
        "the extract is cut: {} bytes",
        named.len()
    );
    assert!(!evidence("fr000002.xml").contains("response names"));
    // The table escapes what is left (the bidi override).
    let table = ok(&run(&["requests", root, "--evidence"]));
    assert!(
        table.contains("System.InvalidOperationException"),
        "{table}"
    );
    assert!(
        !table.contains('\u{202e}') && table.contains("\\u{202e}"),
        "{table}"
    );
}

#[test]
fn real_aspnet_errors_show_their_exception() {
    let Some(real) = real_corpus() else { return };
    let real = real.to_str().unwrap();
    let rows = records(&ok(&run(&["requests", real, "--json", "--status", "500"])));
    let evidence = |name: &str| {
        rows.iter()
            .find(|r| r["file"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("no {name}"))["evidence"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert!(
        evidence("FrebViewer__fr000018.aspnet-error.xml").contains(
            "the response names \"System.InvalidOperationException: Intentional FREB test error: simulated application failure\""
        )
    );
    assert!(
        evidence("FrebViewer__fr000046.vbnet-error.xml").contains(
            "System.IndexOutOfRangeException: Index was outside the bounds of the array."
        )
    );
    // Classic ASP.NET failing to start: the page names why.
    assert!(
        evidence("blogezy__fr000001.xml")
            .contains("System.IO.DirectoryNotFoundException: Could not find a part of the path"),
        "{}",
        evidence("blogezy__fr000001.xml")
    );
}

/// `show --json`: one record per trace, with the hint `scan` gives its failure; the structure
/// is documented in docs/output.md, and this snapshot holds it.
#[test]
fn show_json_is_one_documented_record_per_trace() {
    let front = "samples/ARR01/FailedReqLogFiles/W3SVC1/fr000006.xml";
    let text = ok(&run(&["show", front, "--context", "samples", "--json"]));
    let mut all = records(&text);
    assert_eq!(all.len(), 1, "{text}");
    let mut record = all.pop().unwrap();
    // Windows writes the paths it finds with `\`.
    for pointer in ["/file", "/request/file", "/request/linked_file"] {
        if let Some(value) = record.pointer_mut(pointer)
            && let Some(path) = value.as_str()
        {
            *value = Value::String(path.replace('\\', "/"));
        }
    }
    assert_eq!(record["request"]["verdict"], "startup");
    assert!(
        record["hints"][0]["title"]
            .as_str()
            .unwrap()
            .contains("ARR timeout"),
        "{record}"
    );
    insta::assert_snapshot!(
        "show_json_arr_timeout",
        serde_json::to_string_pretty(&record).unwrap()
    );
    // The text view prints the same hint under the verdict.
    let shown = ok(&run(&["show", front, "--context", "samples", "--no-color"]));
    let hint = shown.find("\nHint\n").expect("a Hint section");
    assert!(shown.find("\nVerdict\n").unwrap() < hint, "{shown}");
    // Below 500 there is no hint.
    let ok_trace = ok(&run(&["show", "samples", "--json"]));
    for r in records(&ok_trace) {
        if r["request"]["status_code"].as_u64() < Some(500) {
            assert_eq!(r["hints"], Value::Array(Vec::new()), "{r}");
        }
    }
}

/// The local tables as people see them, at 80 columns, in a pinned zone. Unix only: Windows
/// takes the zone from the system, not from `TZ`, so there the exact text cannot be pinned
/// (`local_shows_the_viewers_time_and_says_so` checks it against this machine's zone instead).
#[cfg(unix)]
#[test]
fn local_tables_at_80_columns() {
    let env = [("TZ", "CET-1CEST,M3.5.0,M10.5.0/3"), ("COLUMNS", "80")];
    let requests = ok(&run_in(
        &crate_dir(),
        &[
            "requests",
            "samples",
            "--local",
            "--no-elapsed",
            "--sort",
            "time",
            "--limit",
            "6",
            "--no-color",
        ],
        &env,
    ));
    // From the servers line on: the counts line above it is the same in every zone.
    let from = requests.find("3 servers").expect("the servers line");
    insta::assert_snapshot!("requests_local_80", &requests[from..]);
    let hours = ok(&run_in(
        &crate_dir(),
        &[
            "scan",
            "samples",
            "--local",
            "--no-elapsed",
            "--by",
            "hour",
            "--status",
            "5xx",
            "--no-color",
        ],
        &env,
    ));
    let table = &hours[hours.find("By hour").expect("the hour table")..];
    let table = &table[..table.find("\n\n").unwrap_or(table.len())];
    insta::assert_snapshot!("scan_by_hour_local_80", table);
}
