//! Files that change under the scan, and files the operating system refuses to open.

#![cfg(unix)]

mod common;

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

use common::{Root, trace, trace_with, write};

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_frebscope"))
}

/// IIS rotates traces away, truncates and rewrites them while they are read. A FIFO given as
/// the first root holds the reader (one thread, files in order) right after discovery, so the
/// test changes the folder at a known point: after the listing, before any read.
#[test]
fn files_deleted_truncated_or_rewritten_during_the_scan_are_accounted_for() {
    let tmp = tempfile::tempdir().unwrap();
    let gate = tmp.path().join("gate");
    let made = Command::new("mkfifo").arg(&gate).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: mkfifo is not available");
        return;
    }
    let logs = tmp.path().join("logs");
    fs::create_dir(&logs).unwrap();
    for i in 1..=8 {
        write(&logs.join(format!("fr{i:06}.xml")), trace());
    }
    let child = Command::new(binary())
        .args([
            "requests",
            "--json",
            "--totals",
            "--no-progress",
            "--threads",
            "1",
        ])
        .arg(&logs)
        .env("FREBSCOPE_TEST_GATE", &gate)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Blocks until the scan opens the gate, which it does only once discovery is done (a pipe
    // given as a root is refused, never opened, so the gate is a hook of its own).
    let mut writer = OpenOptions::new().write(true).open(&gate).unwrap();
    fs::remove_file(logs.join("fr000001.xml")).unwrap();
    fs::remove_file(logs.join("fr000002.xml")).unwrap();
    OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(logs.join("fr000003.xml"))
        .unwrap();
    let text = trace();
    write(&logs.join("fr000004.xml"), &text[..text.len() / 2]);
    let rewritten = Root {
        status: "503",
        ..Root::default()
    };
    write(&logs.join("fr000005.xml"), trace_with(&rewritten));
    // Replaced by a directory of the same name.
    fs::remove_file(logs.join("fr000006.xml")).unwrap();
    fs::create_dir(logs.join("fr000006.xml")).unwrap();
    writer.write_all(b"go").unwrap();
    drop(writer);
    let output = child.wait_with_output().unwrap();
    let out = common::parse_outcome(&output);
    out.assert_accounted();
    assert_eq!(out.total("found"), 8, "{}", out.stderr);
    assert_eq!(out.skipped("vanished"), 2, "{}", out.stderr);
    assert_eq!(out.skipped("empty"), 1, "{}", out.stderr);
    assert_eq!(out.skipped("unreadable"), 1, "{}", out.stderr);
    assert_eq!(out.total("analyzed"), 4, "{}", out.stderr);
    out.assert_said("fr000001.xml: vanished");
    out.assert_said("fr000006.xml: unreadable");
    assert_eq!(out.row("fr000004.xml")["partial"], true);
    assert_eq!(out.row("fr000005.xml")["status"], "503");
}

/// How to run the binary as someone the permission bits apply to, if there is a way.
fn unprivileged() -> Option<Vec<String>> {
    let uid = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return Some(Vec::new());
    }
    let wrap: Vec<String> = [
        "setpriv",
        "--reuid=65534",
        "--regid=65534",
        "--clear-groups",
        "--",
    ]
    .map(String::from)
    .into();
    let works = Command::new(&wrap[0])
        .args(&wrap[1..])
        .arg("true")
        .status()
        .is_ok_and(|s| s.success());
    works.then_some(wrap)
}

#[test]
fn permission_denied_on_a_file_and_a_directory() {
    let Some(wrap) = unprivileged() else {
        eprintln!("skipped: running as root and setpriv cannot drop privileges here");
        return;
    };
    // The binary must be reachable by the unprivileged user: copy it next to the traces.
    let tmp = tempfile::tempdir().unwrap();
    fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let exe = tmp.path().join("frebscope");
    fs::copy(binary(), &exe).unwrap();
    fs::set_permissions(&exe, fs::Permissions::from_mode(0o755)).unwrap();
    let logs = tmp.path().join("logs");
    let closed = logs.join("W3SVC2");
    fs::create_dir_all(&closed).unwrap();
    write(&logs.join("fr000001.xml"), trace());
    write(&logs.join("fr000002.xml"), trace());
    write(&closed.join("fr000003.xml"), trace());
    for path in [&logs.join("fr000001.xml"), &closed.join("fr000003.xml")] {
        fs::set_permissions(path, fs::Permissions::from_mode(0o644)).unwrap();
    }
    fs::set_permissions(&logs, fs::Permissions::from_mode(0o755)).unwrap();
    fs::set_permissions(logs.join("fr000002.xml"), fs::Permissions::from_mode(0o000)).unwrap();
    fs::set_permissions(&closed, fs::Permissions::from_mode(0o000)).unwrap();
    let mut command = match wrap.split_first() {
        Some((first, rest)) => {
            let mut c = Command::new(first);
            c.args(rest).arg(&exe);
            c
        }
        None => Command::new(&exe),
    };
    let output = command
        .args(["requests", "--json", "--totals", "--no-progress"])
        .arg(&logs)
        .output()
        .unwrap();
    // Let the temp dir be removed.
    fs::set_permissions(&closed, fs::Permissions::from_mode(0o755)).unwrap();
    let out = common::parse_outcome(&output);
    out.assert_accounted();
    assert_eq!(out.total("analyzed"), 1, "{}", out.stderr);
    assert_eq!(out.skipped("permission-denied"), 2, "{}", out.stderr);
    out.assert_said("fr000002.xml: permission-denied");
    out.assert_said("W3SVC2: permission-denied");
    // A root that cannot be listed at all stops the run with a reason.
    let mut command = match wrap.split_first() {
        Some((first, rest)) => {
            let mut c = Command::new(first);
            c.args(rest).arg(&exe);
            c
        }
        None => Command::new(&exe),
    };
    fs::set_permissions(&closed, fs::Permissions::from_mode(0o000)).unwrap();
    let output = command
        .args(["scan", "--no-progress"])
        .arg(&closed)
        .output()
        .unwrap();
    fs::set_permissions(&closed, fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ermission denied"), "{stderr}");
}

/// A pipe named like a trace is counted, not lost in a folder walk, and never opened (which
/// would block the run) when a pattern matches it.
#[test]
fn pipe_named_like_a_trace_is_counted_not_opened() {
    let tmp = tempfile::tempdir().unwrap();
    write(&tmp.path().join("fr000001.xml"), trace());
    let made = Command::new("mkfifo")
        .arg(tmp.path().join("fr000002.xml"))
        .status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: mkfifo is not available");
        return;
    }
    let pattern = tmp.path().join("fr*.xml");
    for root in [tmp.path(), pattern.as_path()] {
        let output = assert_cmd::Command::new(binary())
            .args(["requests", "--json", "--totals", "--no-progress"])
            .arg(root)
            .timeout(std::time::Duration::from_secs(20))
            .output()
            .unwrap();
        let out = common::parse_outcome(&output);
        out.assert_accounted();
        assert_eq!(out.total("found"), 2, "{}: {}", root.display(), out.stderr);
        assert_eq!(out.skipped("unreadable"), 1, "{}", out.stderr);
        assert!(
            out.stderr
                .contains("fr000002.xml: unreadable: not a regular file"),
            "{}",
            out.stderr
        );
    }
}
