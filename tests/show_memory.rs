//! `show` reads one trace in bounded memory whatever the file holds: a trace of 150 MB of
//! events, and a sparse file of a valid head followed by 256 MiB of zeros. Kept in its own test
//! binary so that the peak reported for finished children is this binary's.

mod common;

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::time::Duration;

use assert_cmd::cargo::cargo_bin_cmd;
use common::{Root, event, events, head};

/// What any command may use on any single file.
const PEAK_LIMIT_BYTES: u64 = 128 * 1024 * 1024;

fn assert_peak_bounded(what: &str) {
    let Some(peak) = common::children_peak_rss() else {
        eprintln!("skipped the memory bound: no peak RSS of children on this platform");
        return;
    };
    eprintln!("{what}: peak RSS {:.1} MiB", peak as f64 / 1048576.0);
    assert!(peak < PEAK_LIMIT_BYTES, "{what}: peak RSS {peak} bytes");
}

#[test]
fn show_reads_a_huge_trace_and_a_sparse_file_in_bounded_memory() {
    let tmp = tempfile::tempdir().unwrap();
    let big = tmp.path().join("fr000001.xml");
    {
        let mut out = BufWriter::with_capacity(1 << 20, File::create(&big).unwrap());
        out.write_all(head(&Root::default()).as_bytes()).unwrap();
        let body = "x".repeat(60 * 1024);
        let chunk = event(
            "GENERAL_RESPONSE_ENTITY_BUFFER",
            "WEB01",
            "2026-06-08T19:54:52.000Z",
            &format!("  <Data Name=\"Buffer\">{body}</Data>\r\n"),
        );
        for _ in 0..(150 * 1024 * 1024 / chunk.len()) {
            out.write_all(chunk.as_bytes()).unwrap();
        }
        out.write_all(format!("{}</failedRequest>", events("WEB01")).as_bytes())
            .unwrap();
        out.flush().unwrap();
    }
    let output = cargo_bin_cmd!("frebscope")
        .args(["show", "--no-color"])
        .arg(&big)
        .timeout(Duration::from_secs(300))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{:?}", output.status);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("only the first"),
        "{}",
        &stdout[..stdout.len().min(2000)]
    );
    assert_peak_bounded("show on a 150 MB trace");

    // A valid head, then 256 MiB of zeros that take no disk space.
    let sparse = tmp.path().join("fr000002.xml");
    let mut file = OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .open(&sparse)
        .unwrap();
    file.write_all(head(&Root::default()).as_bytes()).unwrap();
    if file.set_len(256 << 20).is_err() {
        eprintln!("skipped the sparse file: this file system cannot make one");
        return;
    }
    drop(file);
    let output = cargo_bin_cmd!("frebscope")
        .args(["show", "--no-color"])
        .arg(&sparse)
        .timeout(Duration::from_secs(300))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("memory allocation"), "{stderr}");
    assert!(
        stdout.contains("partial") || !stderr.is_empty(),
        "{stdout}\n{stderr}"
    );
    assert_peak_bounded("show on a 256 MiB sparse file");
}
