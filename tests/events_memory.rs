//! A large event export is read in bounded memory: the reader's peak stays far below the file
//! size. Its own test binary, so that the peak reported for finished children is this run's.

mod common;

use std::fs::File;
use std::io::{BufWriter, Write};

use assert_cmd::cargo::cargo_bin_cmd;

const FILE_BYTES: u64 = 128 * 1024 * 1024;
const PEAK_LIMIT_BYTES: u64 = 64 * 1024 * 1024;

/// A `wevtutil qe System /f:xml` export of about `FILE_BYTES`: Service Control Manager noise
/// with a 1 MiB message now and then, and a WAS 5186 every 1,000 records.
fn write_big_export(path: &std::path::Path) -> u64 {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path).unwrap());
    let noise = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Service Control Manager' Guid='{555908d1-a6d7-4695-8e1e-26931d2012f4}' EventSourceName='Service Control Manager'/><EventID Qualifiers='16384'>7036</EventID><Version>0</Version><Level>4</Level><Task>0</Task><Opcode>0</Opcode><Keywords>0x8080000000000000</Keywords><TimeCreated SystemTime='2025-03-11T10:00:00.0000000Z'/><EventRecordID>1</EventRecordID><Correlation/><Execution ProcessID='744' ThreadID='9120'/><Channel>System</Channel><Computer>WEB01.shop.local</Computer><Security/></System><EventData><Data Name='param1'>Windows Update</Data><Data Name='param2'>running</Data></EventData><RenderingInfo Culture='en-US'><Message>MESSAGE</Message></RenderingInfo></Event>\r\n";
    let short = noise.replace(
        "MESSAGE",
        "The Windows Update service entered the running state.",
    );
    let long = noise.replace("MESSAGE", &"x".repeat(1 << 20));
    let mut written = 0u64;
    let mut n = 0u64;
    let mut kept = 0u64;
    while written < FILE_BYTES {
        n += 1;
        let record = if n.is_multiple_of(20_000) {
            long.clone()
        } else if n.is_multiple_of(1000) {
            kept += 1;
            format!(
                "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-WAS' Guid='{{524B5D04-133C-4A62-8362-64E8EDB9CE40}}' EventSourceName='WAS'/><EventID Qualifiers='16384'>5186</EventID><TimeCreated SystemTime='2025-03-11T10:00:00.0000000Z'/><EventRecordID>{n}</EventRecordID><Channel>System</Channel><Computer>WEB01</Computer></System><EventData><Data Name='ProcessID'>{n}</Data><Data Name='AppPoolID'>Orders</Data><Data Name='param3'>20</Data></EventData></Event>\r\n"
            )
        } else {
            short.replace("<EventRecordID>1<", &format!("<EventRecordID>{n}<"))
        };
        out.write_all(record.as_bytes()).unwrap();
        written += record.len() as u64;
    }
    out.flush().unwrap();
    kept
}

#[test]
fn a_large_export_is_read_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("System.xml");
    let kept = write_big_export(&path);
    let output = cargo_bin_cmd!("frebscope")
        .args(["events", "--json"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(doc["events"].as_array().unwrap().len() as u64, kept);
    match common::children_peak_rss() {
        Some(peak) => assert!(
            peak < PEAK_LIMIT_BYTES,
            "peak {} MiB for a {} MiB export",
            peak >> 20,
            FILE_BYTES >> 20
        ),
        None => eprintln!("peak memory is not measured on this platform"),
    }
}
