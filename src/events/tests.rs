//! The reader's plumbing: format sniffing, folders, bad files, duplicates across exports.

use std::fs;
use std::path::PathBuf;

use super::*;

const WAS_5186: &str = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-WAS'/><EventID Qualifiers='16384'>5186</EventID><TimeCreated SystemTime='2025-03-11T12:08:30.1234567Z'/><EventRecordID>9001</EventRecordID><Channel>System</Channel><Computer>WEB01</Computer></System><EventData><Data Name='ProcessID'>4812</Data><Data Name='AppPoolID'>Orders</Data><Data Name='param3'>20</Data></EventData></Event>";

const CSV_5186: &str = "#TYPE System.Diagnostics.Eventing.Reader.EventLogRecord\r\n\"Message\",\"Id\",\"RecordId\",\"ProviderName\",\"LogName\",\"MachineName\",\"TimeCreated\"\r\n\"A worker process with process id of '4812' serving application pool 'Orders' was shutdown due to inactivity.\",\"5186\",\"9001\",\"Microsoft-Windows-WAS\",\"System\",\"web01.contoso.local\",\"3/11/2025 1:08:30 PM\"\r\n";

fn dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary folder")
}

fn options() -> ReadOptions {
    ReadOptions {
        utc_offset: parse_offset("+01:00"),
    }
}

#[test]
fn formats_are_sniffed_whatever_the_name() {
    assert_eq!(sniff(b"ElfFile\0rest"), Some(Format::Evtx));
    assert_eq!(sniff(b"  <Event"), Some(Format::Xml));
    assert_eq!(sniff(b"\xEF\xBB\xBF<Events>"), Some(Format::Xml));
    assert_eq!(sniff(b"<\0E\0"), Some(Format::Xml));
    assert_eq!(sniff(b"\xFF\xFE<\0E\0"), Some(Format::Xml));
    assert_eq!(sniff(b"Record 1\n<?xml"), Some(Format::Xml));
    assert_eq!(sniff(b"[\r\n    {"), Some(Format::Json));
    assert_eq!(sniff(b"#TYPE System"), Some(Format::Csv));
    assert_eq!(sniff(b"\"Message\",\"Id\""), Some(Format::Csv));
    assert_eq!(sniff(b"MZ\x90\0"), None);
}

#[test]
fn the_same_record_in_two_exports_counts_once_with_the_precise_time() {
    let d = dir();
    fs::write(d.path().join("System.xml"), WAS_5186).unwrap();
    fs::write(d.path().join("System.csv"), CSV_5186).unwrap();
    fs::write(d.path().join("notes.txt"), "not read").unwrap();
    let log = read_paths(&[d.path().to_path_buf()], &options());
    assert_eq!(log.files, 2);
    assert_eq!(log.events.len(), 1, "{:?}", log.events);
    assert_eq!(log.duplicates, 1);
    assert!(log.problems.is_empty(), "{:?}", log.problems);
    let e = &log.events[0];
    assert!(e.precise_time);
    assert_eq!(e.time.to_rfc3339(), "2025-03-11T12:08:30.123456700+00:00");
}

#[test]
fn bad_files_are_named_and_counted() {
    let d = dir();
    fs::write(d.path().join("empty.evtx"), b"").unwrap();
    fs::write(d.path().join("garbage.evtx"), b"\x00\x01binary").unwrap();
    fs::write(d.path().join("fake.evtx"), b"ElfFile\0 too short").unwrap();
    fs::write(
        d.path().join("cut.xml"),
        format!("{WAS_5186}<Event><System <<<"),
    )
    .unwrap();
    fs::write(d.path().join("local.csv"), CSV_5186).unwrap();
    let missing = d.path().join("missing.evtx");
    let log = read_paths(
        &[d.path().to_path_buf(), missing.clone()],
        &ReadOptions::default(),
    );
    let reasons: Vec<(String, EventSkipReason)> = log
        .problems
        .iter()
        .map(|p| {
            (
                p.path.file_name().unwrap().to_string_lossy().into_owned(),
                p.reason,
            )
        })
        .collect();
    assert_eq!(
        reasons,
        vec![
            ("cut.xml".to_string(), EventSkipReason::Malformed),
            ("empty.evtx".to_string(), EventSkipReason::Empty),
            ("fake.evtx".to_string(), EventSkipReason::Malformed),
            ("garbage.evtx".to_string(), EventSkipReason::NotEvents),
            ("local.csv".to_string(), EventSkipReason::NeedsUtcOffset),
            ("missing.evtx".to_string(), EventSkipReason::Unreadable),
        ]
    );
    // The record before the damage is kept.
    assert_eq!(log.events.len(), 1);
    assert!(log.is_partial());
}

#[test]
fn a_file_without_records_is_not_events() {
    let d = dir();
    let path = d.path().join("fr000001.xml");
    fs::write(
        &path,
        "<?xml version=\"1.0\"?><failedRequest url=\"x\"></failedRequest>",
    )
    .unwrap();
    let err = read_file(&path, &options()).unwrap_err();
    assert_eq!(err.reason, EventSkipReason::NotEvents);
}

#[test]
fn events_sort_by_time() {
    let d = dir();
    let later = WAS_5186
        .replace("12:08:30", "13:00:00")
        .replace("9001", "9002");
    fs::write(d.path().join("a.xml"), format!("{later}\n{WAS_5186}")).unwrap();
    let log = read_paths(&[d.path().to_path_buf()], &options());
    let times: Vec<String> = log.events.iter().map(|e| e.time.to_rfc3339()).collect();
    assert!(times[0] < times[1], "{times:?}");
    let _ = PathBuf::new();
}
