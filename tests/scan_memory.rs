//! `scan` of 100,000 traces stays within 75 MiB: memory does not grow with the share by the
//! size of a whole trace summary per file. Kept in its own test binary so that the peak
//! reported for finished children is this scan's.
//!
//! The share is written here: 100 folders of distinct small traces shaped as IIS writes them
//! on an ARR farm (one in ten an ARR front end's 502.3 with the `X-ARR-LOG-ID` it forwarded,
//! one in ten the backend's 500 that received it, the rest 404s with the request headers), each
//! with its own URL, activity ID and log ID. Copies, not hard links: discovery reads a file
//! reached by two links once.

mod common;

use std::fs;
use std::path::Path;

use assert_cmd::cargo::cargo_bin_cmd;
use chrono::{DateTime, Utc};
use frebscope_synth::events::{self as ev, Notification};
use frebscope_synth::{Status, TraceSpec};

const TRACES: usize = 100_000;
const FOLDERS: usize = 100;
/// Peak resident memory allowed to the scan. Keeping a whole summary of every trace took
/// 217 MiB here (release build), the first compact records 120–140 MiB; the records with the
/// judged failures packed take 56–58 MiB (release build on two cores, the README's figure)
/// and about 65 MiB in the debug build this test runs. On a machine of more cores the
/// allocator takes up to four arenas and a local disk up to 32 reader threads: a few MiB more.
const PEAK_LIMIT_BYTES: u64 = 75 * 1024 * 1024;
/// Replaced in each copy by the trace's own number, so that no two traces share an ID.
const TOKEN: &str = "987654321";

/// A trace of one kind, with [`TOKEN`] where its number goes.
fn template(kind: usize) -> String {
    let start: DateTime<Utc> = "2026-06-08T19:54:51.596Z".parse().expect("a time");
    let log_id = format!("5c2a4e84-4c21-4981-ae10-000{TOKEN}");
    let (computer, pool, site, pid, status, module, error, url) = match kind {
        0 => (
            "ARR01",
            "ArrFront",
            1,
            5120,
            Status::new(502, 3),
            "ApplicationRequestRouting",
            0x8007_2EE2,
            format!("http://shop.example.com:80/orders/api/cart?id={TOKEN}"),
        ),
        1 => (
            "WEB01",
            "Orders",
            2,
            4312,
            Status::new(500, 0),
            "ManagedPipelineHandler",
            0,
            format!("http://web01:80/orders/api/cart?id={TOKEN}"),
        ),
        _ => (
            "WEB02",
            "Catalog",
            2,
            6044,
            Status::new(404, 0),
            "IIS Web Core",
            0x8007_0002,
            format!("http://web02:80/catalog/images/item-{TOKEN}.png"),
        ),
    };
    let agent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)";
    let mut headers = vec![
        ("Accept", "*/*"),
        ("Host", "shop.example.com"),
        ("User-Agent", agent),
    ];
    // A backend receives the log ID; a front end sets it on the request it forwards.
    if kind != 0 {
        headers.push(("X-ARR-LOG-ID", &log_id));
    }
    let mut events = vec![
        ev::request_start(site, pool, 1, &url, "GET"),
        ev::request_headers(&headers),
    ];
    if kind == 0 {
        events.push(ev::set_request_header("X-ARR-LOG-ID", &log_id, false));
    }
    events.push(ev::module_set_response_error_status(
        module,
        Notification::ExecuteRequestHandler,
        status,
        error,
        "",
    ));
    events.push(ev::request_end(1_024, 512, status));
    frebscope_synth::render(&TraceSpec {
        url,
        site_id: site,
        app_pool: pool.into(),
        process_id: pid,
        thread_id: 2060,
        verb: "GET".into(),
        user: None,
        activity_id: format!("{{80000006-0007-FF00-B63F-000{TOKEN}}}"),
        failure_reason: "STATUS_CODE".into(),
        status,
        trigger_status: status,
        time_taken_ms: if kind == 0 { 30_000 } else { 120 },
        computer: computer.into(),
        start,
        culture: "en-US".into(),
        events,
    })
}

fn write_share(root: &Path) {
    let templates: Vec<String> = (0..10).map(template).collect();
    for folder in 0..FOLDERS {
        let dir = root.join(format!("SRV{folder:02}")).join("W3SVC2");
        fs::create_dir_all(&dir).unwrap();
        for n in 0..TRACES / FOLDERS {
            let i = folder * (TRACES / FOLDERS) + n;
            let kind = i % 10;
            // The backend received the log ID its front end (the trace before it) forwarded.
            let id = if kind == 1 { i - 1 } else { i };
            let text = templates[kind].replace(TOKEN, &format!("{id:09}"));
            fs::write(dir.join(format!("fr{n:06}.xml")), text).unwrap();
        }
    }
}

#[test]
fn a_scan_of_100000_traces_stays_within_160_mib() {
    let tmp = tempfile::tempdir().unwrap();
    write_share(tmp.path());
    let output = cargo_bin_cmd!("frebscope")
        .args(["scan", "--json", "--no-progress", "--no-cache"])
        .arg(tmp.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let totals = &report["totals"];
    assert_eq!(totals["found"], TRACES, "{totals}");
    assert_eq!(totals["analyzed"], TRACES, "{totals}");
    let failures: u64 = report["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["count"].as_u64().unwrap())
        .sum();
    assert_eq!(failures, (TRACES / 5) as u64, "{}", report["verdicts"]);
    // The front ends met their backends: the cross-trace rules saw every trace.
    let arr = report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"]["module"] == "ApplicationRequestRouting")
        .expect("the ARR group");
    assert_eq!(arr["count"], TRACES / 10, "{arr}");
    let evidence = arr["example_evidence"].as_str().unwrap();
    assert!(evidence.contains("backend trace fr"), "{evidence}");
    let Some(peak) = common::children_peak_rss() else {
        eprintln!("skipped the memory bound: no peak RSS of children on this platform");
        return;
    };
    eprintln!(
        "peak RSS {:.1} MiB for {TRACES} traces",
        peak as f64 / 1048576.0
    );
    assert!(
        peak <= PEAK_LIMIT_BYTES,
        "peak RSS {:.1} MiB for {TRACES} traces",
        peak as f64 / 1048576.0
    );
}
