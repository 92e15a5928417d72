//! A 50 MB applicationHost.config is audited in bounded memory: the reader streams the file and
//! keeps only the audited sections, so its peak stays far below the file size. Kept in its own
//! test binary so that the peak reported for finished children is this run's.

mod common;

use std::fs::File;
use std::io::{BufWriter, Write};

use assert_cmd::cargo::cargo_bin_cmd;

const FILE_BYTES: u64 = 50 * 1024 * 1024;
/// Peak resident memory allowed, whatever the file size.
const PEAK_LIMIT_BYTES: u64 = 48 * 1024 * 1024;

/// 3,000 pools and sites (kept), a 4 MB attribute value (cut to 4 KiB), and tens of MB of a
/// section the audit does not read.
fn write_big_config(path: &std::path::Path) -> u64 {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path).unwrap());
    let written = std::cell::Cell::new(0u64);
    let put = |out: &mut BufWriter<File>, text: &str| {
        out.write_all(text.as_bytes()).unwrap();
        written.set(written.get() + text.len() as u64);
    };
    put(
        &mut out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<configuration>\r\n  <system.applicationHost>\r\n    <applicationPools>\r\n",
    );
    for i in 0..3000 {
        put(
            &mut out,
            &format!("      <add name=\"Pool{i}\" managedRuntimeVersion=\"\" />\r\n"),
        );
    }
    let huge = "x".repeat(4 * 1024 * 1024);
    put(
        &mut out,
        &format!("      <add name=\"Big\" description=\"{huge}\" />\r\n"),
    );
    put(&mut out, "    </applicationPools>\r\n    <sites>\r\n");
    for i in 0..3000 {
        put(
            &mut out,
            &format!(
                "      <site name=\"Site{i}\" id=\"{}\"><application path=\"/\" applicationPool=\"Pool{i}\"><virtualDirectory path=\"/\" physicalPath=\"D:\\sites\\s{i}\" /></application></site>\r\n",
                i + 1
            ),
        );
    }
    put(
        &mut out,
        "    </sites>\r\n  </system.applicationHost>\r\n  <system.webServer>\r\n    <staticContent>\r\n",
    );
    let mut n = 0u64;
    while written.get() < FILE_BYTES - 1024 {
        put(
            &mut out,
            &format!(
                "      <mimeMap fileExtension=\".ext{n}\" mimeType=\"application/x-generated-{n}-padding-padding-padding\" />\r\n"
            ),
        );
        n += 1;
    }
    put(
        &mut out,
        "    </staticContent>\r\n  </system.webServer>\r\n</configuration>\r\n",
    );
    out.flush().unwrap();
    written.get()
}

#[test]
fn a_50_mb_configuration_is_read_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("applicationHost.config");
    let size = write_big_config(&path);
    assert!(size >= FILE_BYTES - 2048, "{size}");
    let arg = format!("WEB01={}", path.display());
    let out = cargo_bin_cmd!("frebscope")
        .args(["config", "--json", &arg])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let cold = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "pool-cold-start")
        .count();
    assert_eq!(cold, 3000, "every served pool is audited");
    match common::children_peak_rss() {
        Some(peak) => assert!(
            peak < PEAK_LIMIT_BYTES,
            "peak RSS {} MiB for a {} MiB file",
            peak / (1024 * 1024),
            size / (1024 * 1024)
        ),
        None => eprintln!("peak memory not measured on this platform; the audit itself ran"),
    }
}
