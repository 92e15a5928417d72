//! A 200 MB trace is read in bounded memory: the reader's peak stays far below the file size.
//! Kept in its own test binary so that the peak reported for finished children is this run's.

mod common;

use std::fs::File;
use std::io::{BufWriter, Write};

use assert_cmd::cargo::cargo_bin_cmd;
use common::{Root, event, events, head};

const FILE_BYTES: u64 = 200 * 1024 * 1024;
/// Peak resident memory allowed to the reader, whatever the file size.
const PEAK_LIMIT_BYTES: u64 = 64 * 1024 * 1024;

/// Writes a trace of about `FILE_BYTES`: many events with 60 KB captured bodies, one body
/// larger than the reader's per-event limit, and the error event and root end at the very end.
fn write_big_trace(path: &std::path::Path) -> u64 {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path).unwrap());
    let header = head(&Root::default());
    out.write_all(header.as_bytes()).unwrap();
    let body = "x".repeat(60 * 1024);
    let data = format!("  <Data Name=\"Buffer\">{body}</Data>\r\n");
    let chunk = event(
        "GENERAL_RESPONSE_ENTITY_BUFFER",
        "WEB01",
        "2026-06-08T19:54:52.000Z",
        &data,
    );
    let huge = event(
        "GENERAL_RESPONSE_ENTITY_BUFFER",
        "WEB01",
        "2026-06-08T19:54:53.000Z",
        &format!("  <Data Name=\"Buffer\">{}</Data>\r\n", "y".repeat(9 << 20)),
    );
    let mut written = header.len() as u64;
    let mut huge_done = false;
    while written < FILE_BYTES {
        if !huge_done && written > FILE_BYTES / 2 {
            out.write_all(huge.as_bytes()).unwrap();
            written += huge.len() as u64;
            huge_done = true;
        }
        out.write_all(chunk.as_bytes()).unwrap();
        written += chunk.len() as u64;
    }
    let tail = format!("{}</failedRequest>", events("WEB01"));
    out.write_all(tail.as_bytes()).unwrap();
    out.flush().unwrap();
    written + tail.len() as u64
}

#[test]
fn a_200_mb_trace_is_read_in_bounded_memory() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("fr000001.xml");
    let size = write_big_trace(&file);
    assert!(size >= FILE_BYTES);
    let output = cargo_bin_cmd!("frebscope")
        .args(["requests", "--json", "--totals", "--no-progress"])
        .arg(&file)
        .output()
        .unwrap();
    let out = common::parse_outcome(&output);
    out.assert_accounted();
    // Read to the end: the error event sits after 200 MB of bodies.
    let row = out.row("fr000001.xml");
    assert_eq!(row["partial"], false, "{row}");
    assert_eq!(row["module"], "AspNetCoreModuleV2", "{row}");
    assert_eq!(row["error_code"], "0x80072EFD", "{row}");
    let Some(peak) = common::children_peak_rss() else {
        eprintln!("skipped the memory bound: no peak RSS of children on this platform");
        return;
    };
    eprintln!(
        "peak RSS {:.1} MiB for a {:.0} MiB trace",
        peak as f64 / 1048576.0,
        size as f64 / 1048576.0
    );
    assert!(
        peak < PEAK_LIMIT_BYTES,
        "peak RSS {peak} bytes for a {size}-byte trace"
    );
}
