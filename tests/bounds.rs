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
    assert_eq!(out.total("warnings"), 3, "{}", out.totals);
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
