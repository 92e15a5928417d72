//! The event logs end to end: the binary reads the demo farm's exports, the verdicts name the
//! events, bad event files are named and make the run partial, `events` and `timeline` print
//! what they should.

mod common;

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::cargo::cargo_bin_cmd;
use common::requests_json;
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn samples() -> PathBuf {
    root().join("samples")
}

fn sample_events() -> PathBuf {
    samples().join("events")
}

fn evtx_fixture() -> PathBuf {
    root().join("tests/cases/events/evtx/Application_no_crc32.evtx")
}

fn run(args: &[&OsStr]) -> (i32, String, String) {
    let output = cargo_bin_cmd!("frebscope")
        .args(args)
        .output()
        .expect("run frebscope");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn with_events() -> common::Outcome {
    let samples = samples();
    let events = sample_events();
    requests_json(&[
        samples.as_os_str(),
        OsStr::new("--events"),
        events.as_os_str(),
        OsStr::new("--events-utc-offset"),
        OsStr::new("+01:00"),
    ])
}

#[test]
fn events_keep_the_sample_verdicts_and_name_their_proof() {
    let samples = samples();
    let without = requests_json(&[samples.as_os_str()]);
    let with = with_events();
    assert_eq!(with.code, 0, "{}", with.stderr);
    assert_eq!(without.rows.len(), with.rows.len());
    for (a, b) in without.rows.iter().zip(&with.rows) {
        assert_eq!(a["file"], b["file"]);
        assert_eq!(a["verdict"], b["verdict"], "{}", b["file"]);
        assert_eq!(a["rule"], b["rule"], "{}", b["file"]);
    }
    // The cold starts: proved by WAS 5186, raised from medium to high.
    for (file, event) in [
        (
            "WEB01/FailedReqLogFiles/W3SVC2/fr000010.xml",
            "WAS 5186 at 10:42:03 ended the idle process 5220",
        ),
        (
            "WEB01/FailedReqLogFiles/W3SVC2/fr000014.xml",
            "WAS 5186 at 17:48:40 ended the idle process 9304",
        ),
        (
            "ARR01/FailedReqLogFiles/W3SVC1/fr000009.xml",
            "WAS 5186 at 15:10:10 ended the idle process 3904",
        ),
    ] {
        let before = without.row(file);
        let after = with.row(file);
        assert_eq!(before["confidence"], "medium", "{file}");
        assert_eq!(after["confidence"], "high", "{file}");
        let evidence = after["evidence"].as_str().unwrap();
        assert!(evidence.contains(event), "{file}: {evidence}");
    }
    // ANCM 1001 written after the request that waited for it, from the CSV of WEB02.
    let r5 = with.row("WEB02/FailedReqLogFiles/W3SVC2/fr000009.xml");
    assert!(
        r5["evidence"]
            .as_str()
            .unwrap()
            .contains("ANCM 1001 at 15:42:58")
    );
    // The crash of the dotnet process behind the 502.3 0x80072EFE.
    let r6 = with.row("WEB01/FailedReqLogFiles/W3SVC2/fr000007.xml");
    assert!(
        r6["evidence"]
            .as_str()
            .unwrap()
            .contains("Application Error 1000 at 10:41:30"),
        "{}",
        r6["evidence"]
    );
    // No event concerns these: same evidence as without.
    for file in [
        "ARR01/FailedReqLogFiles/W3SVC1/fr000004.xml",
        "ARR01/FailedReqLogFiles/W3SVC1/fr000012.xml",
        "WEB02/FailedReqLogFiles/W3SVC2/fr000013.xml",
        "WEB02/FailedReqLogFiles/W3SVC2/fr000005.xml",
    ] {
        assert_eq!(
            without.row(file)["evidence"],
            with.row(file)["evidence"],
            "{file}"
        );
    }
}

#[test]
fn a_local_time_without_offset_names_the_file_and_exits_2() {
    let samples = samples();
    let events = sample_events();
    let outcome = requests_json(&[
        samples.as_os_str(),
        OsStr::new("--events"),
        events.as_os_str(),
    ]);
    assert_eq!(outcome.code, 2);
    assert!(
        outcome
            .stderr
            .contains("WEB02-events.csv: needs-utc-offset"),
        "{}",
        outcome.stderr
    );
    // WEB01's exports were still read.
    let r19 = outcome.row("WEB01/FailedReqLogFiles/W3SVC2/fr000010.xml");
    assert_eq!(r19["confidence"], "high");
}

#[test]
fn the_events_folder_is_not_taken_for_traces() {
    let samples = samples();
    let outcome = requests_json(&[samples.as_os_str()]);
    outcome.assert_accounted();
    assert_eq!(outcome.total("skipped"), 0, "{}", outcome.stderr);
}

#[test]
fn events_lists_what_was_read() {
    let events = sample_events();
    let (code, out, err) = run(&[
        OsStr::new("events"),
        events.as_os_str(),
        OsStr::new("--events-utc-offset"),
        OsStr::new("+01:00"),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("16 events kept from 16 records in 3 files"),
        "{out}"
    );
    assert!(out.lines().all(|l| l.chars().count() <= 100), "{out}");
    let (code, csv, _) = run(&[
        OsStr::new("events"),
        events.as_os_str(),
        OsStr::new("--events-utc-offset"),
        OsStr::new("+01:00"),
        OsStr::new("--csv"),
        OsStr::new("-"),
    ]);
    assert_eq!(code, 0);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some(
            "time,server,provider,event_id,kind,pool,pid,reason,error_code,app_pid,site_id,record_id,channel,source"
        )
    );
    assert_eq!(lines.count(), 16);
    let (code, json, _) = run(&[
        OsStr::new("events"),
        events.as_os_str(),
        OsStr::new("--events-utc-offset"),
        OsStr::new("+01:00"),
        OsStr::new("--json"),
    ]);
    assert_eq!(code, 0);
    let doc: Value = serde_json::from_str(&json).unwrap();
    let kinds: Vec<&str> = doc["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == "idle-shutdown").count(), 7);
    assert_eq!(doc["events"][0]["time"], "2025-03-11T03:00:00.012Z");
}

#[test]
fn the_same_records_twice_count_once() {
    let dir = tempfile::tempdir().unwrap();
    for copy in ["a", "b"] {
        fs::copy(
            sample_events().join("WEB01-System.xml"),
            dir.path().join(format!("{copy}.xml")),
        )
        .unwrap();
    }
    let (code, out, _) = run(&[OsStr::new("events"), dir.path().as_os_str()]);
    assert_eq!(code, 0);
    assert!(
        out.contains("6 events kept from 12 records in 2 files (6 copies already read"),
        "{out}"
    );
}

#[test]
fn bad_event_files_are_named_counted_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("empty.evtx"), b"").unwrap();
    fs::write(dir.path().join("random.evtx"), [0x17u8; 4000]).unwrap();
    fs::write(
        dir.path().join("cut.xml"),
        "<Event><System><Provider Name='WAS'/>",
    )
    .unwrap();
    fs::write(dir.path().join("broken.json"), "[{\"Id\": 5186,").unwrap();
    let (code, out, err) = run(&[OsStr::new("events"), dir.path().as_os_str()]);
    assert_eq!(code, 2, "{out}{err}");
    for (name, reason) in [
        ("empty.evtx", "empty"),
        ("random.evtx", "not-events"),
        ("cut.xml", "malformed"),
        ("broken.json", "malformed"),
    ] {
        assert!(err.contains(&format!("{name}: {reason}")), "{name}: {err}");
    }
    assert!(err.contains("4 event files not wholly read"), "{err}");
}

#[test]
fn a_real_evtx_file_is_read_and_a_damaged_copy_too() {
    let (code, out, err) = run(&[OsStr::new("events"), evtx_fixture().as_os_str()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("0 events kept from 17 records in 1 file"),
        "{out}"
    );
    // Damage the first chunk: its records are skipped and counted, nothing panics.
    let mut bytes = fs::read(evtx_fixture()).unwrap();
    for b in &mut bytes[4096 + 600..4096 + 1400] {
        *b = 0xA5;
    }
    let dir = tempfile::tempdir().unwrap();
    let damaged = dir.path().join("damaged.evtx");
    fs::write(&damaged, &bytes).unwrap();
    let (code, out, err) = run(&[OsStr::new("events"), damaged.as_os_str()]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("damaged.evtx: damaged-records"), "{err}");
    // Cut before the end of its first chunk.
    let cut = dir.path().join("cut.evtx");
    fs::write(&cut, &fs::read(evtx_fixture()).unwrap()[..30_000]).unwrap();
    let (code, _, err) = run(&[OsStr::new("events"), cut.as_os_str()]);
    assert_eq!(code, 2);
    assert!(err.contains("cut.evtx: malformed"), "{err}");
}

#[test]
fn a_missing_events_path_stops_the_run_with_a_hint() {
    let samples = samples();
    let (code, _, err) = run(&[
        OsStr::new("scan"),
        samples.as_os_str(),
        OsStr::new("--events"),
        OsStr::new("/no/such/events"),
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("/no/such/events") && err.contains("hint"),
        "{err}"
    );
    let (code, _, err) = run(&[
        OsStr::new("events"),
        sample_events().as_os_str(),
        OsStr::new("--events-utc-offset"),
        OsStr::new("CET"),
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("+01:00"), "{err}");
}

#[test]
fn timeline_places_failures_on_each_process() {
    let samples = samples();
    let events = sample_events();
    let args = [
        OsStr::new("timeline"),
        samples.as_os_str(),
        OsStr::new("--events"),
        events.as_os_str(),
        OsStr::new("--events-utc-offset"),
        OsStr::new("+01:00"),
    ];
    let (code, out, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    assert!(out.lines().all(|l| l.chars().count() <= 100), "{out}");
    assert!(out.contains("WEB01  pool Orders"), "{out}");
    assert!(
        out.contains("started  after idle-shutdown (WAS 5186 at 2025-03-11 17:48:40"),
        "{out}"
    );
    let mut json_args = args.to_vec();
    json_args.push(OsStr::new("--json"));
    let (code, json, _) = run(&json_args);
    assert_eq!(code, 0);
    let doc: Value = serde_json::from_str(&json).unwrap();
    let pools = doc["pools"].as_array().unwrap();
    let orders = pools
        .iter()
        .find(|p| p["server"] == "WEB01" && p["pool"] == "Orders")
        .unwrap();
    let pids: Vec<u64> = orders["processes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["pid"].as_u64().unwrap())
        .collect();
    assert_eq!(pids, [4812, 9304, 11876]);
    let first = &orders["processes"][0];
    assert_eq!(first["ended"]["kind"], "idle-shutdown");
    assert_eq!(first["failures"][0]["verdict"], "worker");
    assert_eq!(orders["processes"][2]["started_after"]["event"], "WAS 5186");
}

#[test]
fn show_reads_the_events_too() {
    let samples = samples();
    let trace = samples.join("WEB01/FailedReqLogFiles/W3SVC2/fr000010.xml");
    let (code, out, err) = run(&[
        OsStr::new("show"),
        trace.as_os_str(),
        OsStr::new("--context"),
        samples.join("WEB01").as_os_str(),
        OsStr::new("--no-color"),
        OsStr::new("--events"),
        sample_events().join("WEB01-System.xml").as_os_str(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("WAS 5186 at 10:42:03"), "{out}");
}
