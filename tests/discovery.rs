//! Which files are traces, on the real binary: renamed traces found by their first bytes,
//! other XML counted and left alone, names holding wildcard characters, pipes and devices
//! refused without blocking.

mod common;

use std::ffi::OsStr;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use assert_cmd::cargo::cargo_bin_cmd;
use common::{requests_json, trace, utf16, write};

fn os(path: &Path) -> &OsStr {
    path.as_os_str()
}

/// Traces collected from several servers into one folder get renamed; every `*.xml` whose
/// first bytes are a trace's is one. Other XML, and text that only mentions the root
/// element, is counted as "not traces" and is no failure.
#[test]
fn renamed_traces_are_found_and_other_xml_is_counted_not_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    for name in ["WEB01_fr000001.xml", "fr000006 (1).xml", "FR000005.XML"] {
        write(&dir.join(name), trace());
    }
    write(&dir.join("copy.xml"), utf16(&trace(), false, true));
    write(
        &dir.join("web.config.xml"),
        "<?xml version=\"1.0\"?>\r\n<configuration><failedRequest/></configuration>",
    );
    write(
        &dir.join("notes.xml"),
        "IIS writes one <failedRequest url=\"...\"> root per trace.\r\n",
    );
    write(
        &dir.join("hidden.xml"),
        "<?xml version=\"1.0\"?><!-- <failedRequest url=\"x\"> --><other/>",
    );
    write(
        &dir.join("README.md"),
        "# Traces\n\n<failedRequest url=\"x\">\n",
    );
    write(&dir.join("freb.xsl"), "<xsl:stylesheet/>");
    let out = requests_json(&[os(dir)]);
    out.assert_accounted();
    assert_eq!(out.total("found"), 4, "{}", out.stderr);
    assert_eq!(out.total("analyzed"), 4, "{}", out.stderr);
    assert_eq!(out.total("not_traces"), 3, "{}", out.totals);
    for name in [
        "WEB01_fr000001.xml",
        "fr000006 (1).xml",
        "FR000005.XML",
        "copy.xml",
    ] {
        assert_eq!(out.row(name)["status"], "502.3", "{name}");
    }
    // --verbose names them, and the table's header counts them.
    for name in ["web.config.xml", "notes.xml", "hidden.xml"] {
        assert!(out.stderr.contains(name), "{name}: {}", out.stderr);
    }
    assert!(!out.stderr.contains("README.md"), "{}", out.stderr);
    let table = cargo_bin_cmd!("frebscope")
        .args(["scan", "--no-progress"])
        .arg(dir)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let table = String::from_utf8_lossy(&table);
    assert!(table.contains("3 not traces, ignored"), "{table}");
}

#[test]
fn every_real_trace_is_found_whatever_its_name() {
    let Some(real) = common::real_corpus() else {
        return;
    };
    let out = requests_json(&[os(&real)]);
    out.assert_accounted();
    assert_eq!(out.total("analyzed"), 53, "{}", out.stderr);
    assert_eq!(out.rows.len(), 53);
    assert_eq!(out.total("not_traces"), 0, "{}", out.totals);
}

/// `logs [old]` and `W3SVC[2]` are legal folder names on Windows: a path that exists is read
/// as a path, never expanded as a pattern.
#[test]
fn folders_named_with_wildcard_characters_are_read() {
    let tmp = tempfile::tempdir().unwrap();
    let mut roots = Vec::new();
    for name in ["logs [old]", "W3SVC[2]", "star*", "what?"] {
        let dir = tmp.path().join(name);
        if fs::create_dir(&dir).is_err() {
            continue;
        }
        write(&dir.join("fr000001.xml"), trace());
        roots.push(dir);
    }
    for root in &roots {
        let out = requests_json(&[os(root)]);
        out.assert_accounted();
        assert_eq!(
            out.total("analyzed"),
            1,
            "{}: {}",
            root.display(),
            out.stderr
        );
    }
    // A pattern below such a folder: the existing part is taken as written.
    let pattern = tmp.path().join("logs [old]").join("fr*.xml");
    let out = requests_json(&[os(&pattern)]);
    out.assert_accounted();
    assert_eq!(out.total("analyzed"), 1, "{}", out.stderr);
}

/// A pipe named on the command line would block a reader for ever: refused as the walk
/// refuses it, by `scan`, `requests` and `show` alike.
#[cfg(unix)]
#[test]
fn a_pipe_named_as_a_file_is_refused_not_opened() {
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("fr000001.xml");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: mkfifo is not available");
        return;
    }
    let good = tmp.path().join("fr000002.xml");
    write(&good, trace());
    for command in ["scan", "requests"] {
        let output = cargo_bin_cmd!("frebscope")
            .args([command, "--no-progress"])
            .arg(&fifo)
            .arg(&good)
            .timeout(Duration::from_secs(20))
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{command}: {output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("not a regular file"), "{command}: {stderr}");
    }
    let output = cargo_bin_cmd!("frebscope")
        .args(["show", "--no-color"])
        .arg(&fifo)
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not a regular file"), "{stderr}");
}

/// A link to a device that never ends is refused by `show` before it is opened.
#[cfg(unix)]
#[test]
fn show_refuses_a_link_to_dev_zero() {
    let tmp = tempfile::tempdir().unwrap();
    let link = tmp.path().join("fr000001.xml");
    std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
    let output = cargo_bin_cmd!("frebscope")
        .args(["show", "--no-color"])
        .arg(&link)
        .timeout(Duration::from_secs(20))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a regular file"));
}

/// A missing drive path in verbatim form is not a share, and is not told to check one.
#[test]
fn a_missing_verbatim_drive_path_gets_no_share_hint() {
    let output = cargo_bin_cmd!("frebscope")
        .args(["scan", r"\\?\C:\frebscope-no-such-dir"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("share"), "{stderr}");
    let output = cargo_bin_cmd!("frebscope")
        .args(["scan", r"\\frebscope-no-such-host\logs$"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("share"), "{stderr}");
}
