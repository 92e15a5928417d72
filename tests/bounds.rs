//! What a trace keeps is bounded whatever the trace holds: every kept value is capped, and
//! made-up event names are kept few and short, so that a scan's memory grows with the number
//! of traces, never with what a hostile one holds.

mod common;

use std::path::Path;

use common::{event, head};
use frebscope::parse::{parse_bytes, parse_bytes_full};

/// A trace whose every kept value is huge, with many distinct made-up event names.
fn maximal_trace(names: usize) -> String {
    let big = "W".repeat(200 * 1024);
    let root = common::Root {
        url: &format!("http://localhost/{big}"),
        app_pool: &big,
        computer: &big,
        status: "502.3",
    };
    let mut text = head(&root);
    let headers = format!(
        "  <Data Name=\"Headers\">Host: {big}\r\nUser-Agent: {big}\r\nX-ARR-LOG-ID: {big}\r\n</Data>\r\n"
    );
    text.push_str(&event(
        "GENERAL_REQUEST_HEADERS",
        &big,
        "2026-06-08T19:54:51.596Z",
        &headers,
    ));
    for i in 0..names {
        text.push_str(&event(
            &format!("MADE_UP_EVENT_{i:07}_{}", "N".repeat(300)),
            "WEB01",
            "2026-06-08T19:54:52.000Z",
            "",
        ));
    }
    let error = format!(
        "  <Data Name=\"ModuleName\">{big}</Data>\r\n  <Data Name=\"Notification\">{big}</Data>\r\n  \
<Data Name=\"HttpStatus\">502</Data>\r\n  <Data Name=\"HttpSubStatus\">3</Data>\r\n  \
<Data Name=\"ErrorCode\">2147954429</Data>\r\n  <Data Name=\"ConfigExceptionInfo\">{big}</Data>\r\n"
    );
    text.push_str(&event(
        "MODULE_SET_RESPONSE_ERROR_STATUS",
        &big,
        "2026-06-08T19:54:59.674Z",
        &error,
    ));
    let warning = format!(
        "  <Data Name=\"ModuleName\">{big}</Data>\r\n  <Data Name=\"Data1\">{big}</Data>\r\n  <Data Name=\"Data2\">{big}</Data>\r\n"
    );
    text.push_str(&event(
        "MODULE_WARNING",
        &big,
        "2026-06-08T19:54:59.700Z",
        &warning,
    ));
    let description = format!("  <Data Name=\"ErrorDescription\">{big}</Data>\r\n");
    text.push_str(&event(
        "SET_RESPONSE_ERROR_DESCRIPTION",
        &big,
        "2026-06-08T19:54:59.800Z",
        &description,
    ));
    text.push_str("</failedRequest>");
    text
}

#[test]
fn a_trace_keeps_a_bounded_summary_whatever_it_holds() {
    let text = maximal_trace(5_000);
    let path = Path::new("fr000001.xml");
    let fast = parse_bytes(path, text.as_bytes()).unwrap();
    let full = parse_bytes_full(path, text.as_bytes()).unwrap();
    assert_eq!(fast, full);
    // The serialized summary is a fair measure of the text it keeps.
    let kept = serde_json::to_string(&fast).unwrap().len();
    assert!(
        kept < 128 * 1024,
        "{kept} bytes kept of a {}-byte trace",
        text.len()
    );
    assert!(
        fast.server.len() <= 16 * 1024 && fast.server.ends_with('…'),
        "{}",
        fast.server.len()
    );
    assert!(fast.url.len() <= 64 * 1024);
    assert!(fast.events.len() <= 32, "{} names kept", fast.events.len());
    assert_eq!(fast.module().chars().last(), Some('…'));
}

/// Values that cannot be parsed are reported as such: an empty cell, `null` in JSON, a
/// warning counted in the totals; never a made-up number. Times are written in RFC 3339.
#[test]
fn unparseable_values_are_reported_empty_never_invented() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        ("fr000001.xml", "502.-1", "8078"),
        ("fr000002.xml", "70000", "-1"),
        ("fr000003.xml", "", "1e9"),
    ];
    for (name, status, time) in cases {
        let text = common::trace_with(&common::Root {
            status,
            ..common::Root::default()
        })
        .replace("timeTaken=\"8078\"", &format!("timeTaken=\"{time}\""));
        common::write(&tmp.path().join(name), text);
    }
    // A year-9999 time with an offset is year 10000 in UTC: no RFC 3339 form, so no time.
    let late = common::trace().replace("2026-06-08T19:54:51.596Z", "9999-12-31T23:59:59.000-05:00");
    common::write(&tmp.path().join("fr000004.xml"), late);
    let out = common::requests_json(&[tmp.path().as_os_str()]);
    out.assert_accounted();
    // The year-10000 start time is counted with the others.
    assert_eq!(out.total("warnings"), 4, "{}", out.totals);
    for (name, _, time) in cases {
        let row = out.row(name);
        assert!(row["status"].is_null(), "{name}: {row}");
        if time != "8078" {
            assert!(row["time_taken_ms"].is_null(), "{name}: {row}");
        }
        assert!(out.stderr.contains(name), "{}", out.stderr);
    }
    assert!(
        out.stderr.contains("unparseable statusCode \"502.-1\""),
        "{}",
        out.stderr
    );
    // No RFC 3339 form: no time (null), never a `+10000-...` one.
    let row = out.row("fr000004.xml");
    assert!(row["start_time"].is_null(), "{row}");
    // A 5xx filter does not pick up a status that could not be read.
    let filtered =
        common::requests_json(&[tmp.path().as_os_str(), "--status".as_ref(), "5xx".as_ref()]);
    assert_eq!(filtered.rows.len(), 1, "{}", filtered.stderr);
    // Every written time is RFC 3339 UTC with milliseconds.
    for row in &out.rows {
        if let Some(t) = row["start_time"].as_str().filter(|t| !t.is_empty()) {
            assert!(chrono::DateTime::parse_from_rfc3339(t).is_ok(), "{t}");
            assert_eq!(t.len(), "2026-06-08T19:54:51.596Z".len(), "{t}");
        }
    }
}

/// A time that cannot be read (out of range once in UTC, not a time, empty) is left empty and
/// reported as every other unparseable value is: named on stderr, counted in `warnings`, an
/// empty CSV cell; and both readers give the same summary of it.
#[test]
fn unparseable_times_are_warned_and_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let first = "2026-06-08T19:54:51.596Z";
    let last = "2026-06-08T19:54:59.674Z";
    let cases = [
        // (file, time replaced, by, the fields named)
        (
            "fr000001.xml",
            first,
            "9999-12-31T23:59:59.000-05:00",
            &["TimeCreated (first event)"][..],
        ),
        (
            "fr000002.xml",
            first,
            "",
            &["TimeCreated (first event)"][..],
        ),
        (
            "fr000003.xml",
            first,
            "2026-13-45T99:99:99Z",
            &["TimeCreated (first event)"][..],
        ),
        (
            "fr000004.xml",
            last,
            "not a time \u{1b}[2J",
            &[
                "TimeCreated (last event)",
                "TimeCreated (MODULE_SET_RESPONSE_ERROR_STATUS)",
            ][..],
        ),
    ];
    for (name, from, to, fields) in cases {
        let text = common::trace().replace(from, to);
        let path = tmp.path().join(name);
        let fast = parse_bytes(&path, text.as_bytes()).unwrap();
        let full = parse_bytes_full(&path, text.as_bytes()).unwrap();
        assert_eq!(fast, full, "{name}");
        let named: Vec<&str> = fast.unparsed.iter().map(|u| u.field).collect();
        assert_eq!(named, fields, "{name}");
        common::write(&path, text);
    }
    // A good trace beside them: it is not counted.
    common::write(&tmp.path().join("fr000005.xml"), common::trace());
    let out = common::requests_json(&[tmp.path().as_os_str()]);
    out.assert_accounted();
    assert_eq!(out.total("warnings"), 4, "{}", out.totals);
    for name in ["fr000001.xml", "fr000002.xml", "fr000003.xml"] {
        assert!(out.row(name)["start_time"].is_null(), "{}", out.row(name));
        assert!(out.stderr.contains(name), "{}", out.stderr);
    }
    assert_eq!(
        out.row("fr000004.xml")["start_time"],
        "2026-06-08T19:54:51.596Z"
    );
    assert!(
        out.stderr
            .contains("unparseable TimeCreated (first event) \"9999-12-31T23:59:59.000-05:00\""),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("TimeCreated (last event) \"not a time \\x1b[2J\""),
        "the value reaches the terminal escaped: {}",
        out.stderr
    );
    assert!(!out.stderr.contains('\u{1b}'), "{}", out.stderr);
    assert!(!out.stderr.contains("fr000005.xml"), "{}", out.stderr);
    // The scan's header counts them, and the CSV leaves the cell empty.
    let scan = assert_cmd::cargo::cargo_bin_cmd!("frebscope")
        .args(["scan", "--no-progress"])
        .arg(tmp.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&scan.stdout);
    assert!(stdout.contains("4 with unparseable values"), "{stdout}");
    let csv = assert_cmd::cargo::cargo_bin_cmd!("frebscope")
        .args(["requests", "--no-progress", "--csv", "-"])
        .arg(tmp.path())
        .output()
        .unwrap();
    let table = common::Csv::parse(&csv.stdout);
    let mut empty = 0;
    for row in &table.rows {
        if table.get(row, "start_time").is_empty() {
            empty += 1;
        }
    }
    assert_eq!(empty, 3, "{}", String::from_utf8_lossy(&csv.stdout));
}

/// A group whose every `timeTaken` is unparseable has no percentiles: an empty CSV cell and
/// `null` in JSON, never 0.
#[test]
fn a_group_without_a_known_time_has_no_percentiles() {
    let tmp = tempfile::tempdir().unwrap();
    let text = common::trace().replace("timeTaken=\"8078\"", "timeTaken=\"-1\"");
    common::write(&tmp.path().join("fr000001.xml"), text);
    let run = |format: &str| {
        let output = assert_cmd::cargo::cargo_bin_cmd!("frebscope")
            .args(["scan", "--no-progress", format])
            .args((format == "--csv").then_some("-"))
            .arg(tmp.path())
            .output()
            .unwrap();
        output.stdout
    };
    let csv = common::Csv::parse(&run("--csv"));
    assert_eq!(csv.rows.len(), 1);
    assert_eq!(csv.get(&csv.rows[0], "time_taken_p50_ms"), "");
    assert_eq!(csv.get(&csv.rows[0], "time_taken_p95_ms"), "");
    let json: serde_json::Value = serde_json::from_slice(&run("--json")).unwrap();
    let group = &json["groups"][0];
    assert!(group["time_taken_p50_ms"].is_null(), "{group}");
    assert!(group["time_taken_p95_ms"].is_null(), "{group}");
    let table = String::from_utf8(run("--color=never")).unwrap();
    assert!(table.contains("p50 / p95"), "{table}");
    assert!(!table.contains("0.0 / 0.0 s"), "{table}");
}
