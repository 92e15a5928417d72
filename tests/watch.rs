//! `frebscope watch` on a folder where traces appear, grow, are rotated and vanish while it
//! runs. Every run ends by itself (`--for`), with a short interval.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::Duration;

use serde_json::Value;

mod common;

const INTERVAL: &str = "150ms";
const STEP: Duration = Duration::from_millis(600);

fn sample(server: &str, site: u32, n: u32) -> Vec<u8> {
    let path = common::samples()
        .join(server)
        .join("FailedReqLogFiles")
        .join(format!("W3SVC{site}"))
        .join(format!("fr{n:06}.xml"));
    fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn spawn(args: &[&std::ffi::OsStr]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_frebscope"))
        .arg("watch")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("frebscope starts")
}

fn finish(child: Child) -> (Vec<Value>, String, Option<i32>) {
    let output = child.wait_with_output().expect("frebscope ends by itself");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let records = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    (
        records,
        String::from_utf8(output.stderr).unwrap(),
        output.status.code(),
    )
}

fn files_of(records: &[Value]) -> Vec<(String, String, bool)> {
    records
        .iter()
        .filter(|r| r.get("file").is_some())
        .map(|r| {
            let file = Path::new(r["file"].as_str().unwrap())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (
                file,
                r["status"].as_str().unwrap().to_owned(),
                r["partial"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[test]
fn traces_that_appear_grow_and_rotate_are_each_reported_once_and_archived() {
    let dir = tempfile::tempdir().unwrap();
    let share = dir.path().join("share/W3SVC1");
    let archive = dir.path().join("archive");
    fs::create_dir_all(&share).unwrap();
    let child = spawn(&[
        dir.path().join("share").as_os_str(),
        // Long enough that the two writes of the growing trace fall within one interval.
        "--interval".as_ref(),
        "1s".as_ref(),
        "--for".as_ref(),
        "6s".as_ref(),
        "--json".as_ref(),
        "--archive".as_ref(),
        archive.as_os_str(),
    ]);
    sleep(STEP);
    // Appears whole.
    fs::write(share.join("fr000001.xml"), sample("ARR01", 1, 4)).unwrap();
    // Appears in two writes, a poll or more apart: read once, complete.
    let grown = sample("ARR01", 1, 5);
    let (first, rest) = grown.split_at(grown.len() / 2);
    fs::write(share.join("fr000002.xml"), first).unwrap();
    sleep(Duration::from_millis(100));
    {
        use std::io::Write;
        let mut f = fs::OpenOptions::new()
            .append(true)
            .open(share.join("fr000002.xml"))
            .unwrap();
        f.write_all(rest).unwrap();
    }
    sleep(Duration::from_millis(1300));
    // Rotated: deleted and written again under the same name with another trace.
    fs::remove_file(share.join("fr000001.xml")).unwrap();
    sleep(Duration::from_millis(1300));
    fs::write(share.join("fr000001.xml"), sample("ARR01", 1, 3)).unwrap();
    sleep(Duration::from_millis(1300));
    // The same bytes again under another name: a copy, neither reported nor archived again.
    fs::write(share.join("fr000003.xml"), sample("ARR01", 1, 3)).unwrap();
    let (records, stderr, code) = finish(child);
    assert_eq!(code, Some(0), "{stderr}");
    let seen = files_of(&records);
    assert_eq!(
        seen,
        [
            ("fr000001.xml".to_owned(), "502.3".to_owned(), false),
            ("fr000002.xml".to_owned(), "502.3".to_owned(), false),
            ("fr000001.xml".to_owned(), "404".to_owned(), false),
        ],
        "{records:#?}"
    );
    let last = records.last().unwrap();
    assert_eq!(last["seen"], 3, "{last}");
    assert_eq!(last["totals"]["analyzed"], 3, "{last}");

    let archived: Vec<PathBuf> = walk(&archive);
    assert_eq!(archived.len(), 3, "{archived:?}");
    for path in &archived {
        let rel = path.strip_prefix(&archive).unwrap();
        let parts: Vec<_> = rel
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        assert_eq!(parts[0], "ARR01", "{rel:?}");
        assert_eq!(parts[1], "W3SVC1", "{rel:?}");
        assert!(
            parts[2].starts_with("2025") && parts[2].ends_with("_fr000001.xml")
                || parts[2].ends_with("_fr000002.xml"),
            "{rel:?}"
        );
    }
    // The archive reads as any set of traces.
    let scan = Command::new(env!("CARGO_BIN_EXE_frebscope"))
        .args(["requests", "--json"])
        .arg(format!("{}/*/*/*.xml", archive.display()))
        .output()
        .unwrap();
    let text = String::from_utf8(scan.stdout).unwrap();
    let statuses: Vec<String> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| v.get("status").and_then(|s| s.as_str()).map(str::to_owned))
        .collect();
    assert_eq!(statuses.len(), 3, "{text}");
}

#[test]
fn a_trace_never_finished_is_read_once_its_size_is_stable() {
    let dir = tempfile::tempdir().unwrap();
    let share = dir.path().join("W3SVC2");
    fs::create_dir_all(&share).unwrap();
    let child = spawn(&[
        dir.path().as_os_str(),
        "--interval".as_ref(),
        INTERVAL.as_ref(),
        "--for".as_ref(),
        "2500ms".as_ref(),
        "--json".as_ref(),
    ]);
    sleep(STEP);
    let whole = sample("WEB01", 2, 10);
    let cut = &whole[..whole.len() * 2 / 3];
    fs::write(share.join("fr000010.xml"), cut).unwrap();
    let (records, stderr, code) = finish(child);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        files_of(&records),
        [("fr000010.xml".to_owned(), "500".to_owned(), true)],
        "{records:#?}"
    );
}

#[test]
fn a_share_that_drops_is_reported_once_and_resumed_without_repeats() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("share");
    let away = dir.path().join("away");
    fs::create_dir_all(root.join("W3SVC2")).unwrap();
    fs::write(root.join("W3SVC2/fr000001.xml"), sample("WEB02", 2, 5)).unwrap();
    let child = spawn(&[
        root.as_os_str(),
        "--interval".as_ref(),
        INTERVAL.as_ref(),
        "--for".as_ref(),
        "4s".as_ref(),
    ]);
    sleep(STEP);
    fs::rename(&root, &away).unwrap();
    sleep(STEP * 2);
    fs::rename(&away, &root).unwrap();
    sleep(STEP);
    fs::write(root.join("W3SVC2/fr000002.xml"), sample("WEB02", 2, 1)).unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(stderr.matches("cannot be listed").count(), 1, "{stderr}");
    assert_eq!(stderr.matches("is back after").count(), 1, "{stderr}");
    // The lines as traces landed come before the summary's blank line.
    let landed = stdout.split("\n\n").next().unwrap();
    assert_eq!(landed.matches("fr000001.xml").count(), 1, "{stdout}");
    assert_eq!(landed.matches("fr000002.xml").count(), 1, "{stdout}");
    // The summary of what it saw ends the run.
    assert!(
        stdout.contains("verdict") || stdout.contains("Verdict"),
        "{stdout}"
    );
}

#[test]
fn an_arr_502_meets_its_backend_trace_when_that_lands_later() {
    let dir = tempfile::tempdir().unwrap();
    let front = dir.path().join("ARR01/W3SVC1");
    let back = dir.path().join("WEB01/W3SVC2");
    fs::create_dir_all(&front).unwrap();
    fs::create_dir_all(&back).unwrap();
    // The backend's earlier traces (its previous process), and the front end's 502.
    for n in 1..=8 {
        fs::write(back.join(format!("fr{n:06}.xml")), sample("WEB01", 2, n)).unwrap();
    }
    fs::write(front.join("fr000006.xml"), sample("ARR01", 1, 6)).unwrap();
    let child = spawn(&[
        dir.path().as_os_str(),
        "--interval".as_ref(),
        INTERVAL.as_ref(),
        "--for".as_ref(),
        "2s".as_ref(),
        "--json".as_ref(),
        "--status".as_ref(),
        "502".as_ref(),
    ]);
    sleep(STEP);
    fs::write(back.join("fr000009.xml"), sample("WEB01", 2, 9)).unwrap();
    let (records, stderr, code) = finish(child);
    assert_eq!(code, Some(0), "{stderr}");
    let front_records: Vec<&Value> = records
        .iter()
        .filter(|r| r["file"].as_str().is_some_and(|f| f.contains("ARR01")))
        .collect();
    assert_eq!(front_records.len(), 2, "{records:#?}");
    assert_eq!(front_records[0]["update"], false);
    assert!(front_records[0]["linked_file"].is_null());
    assert_eq!(front_records[1]["update"], true);
    assert_eq!(
        front_records[1]["verdict"], "startup",
        "{:#?}",
        front_records[1]
    );
    assert!(
        front_records[1]["linked_file"]
            .as_str()
            .unwrap()
            .ends_with("fr000009.xml")
    );
}

#[test]
fn filters_and_bad_options_are_checked_before_watching() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_frebscope"))
        .arg("watch")
        .arg(dir.path())
        .args(["--interval", "0s"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--interval"));
    let out = Command::new(env!("CARGO_BIN_EXE_frebscope"))
        .arg("watch")
        .arg(dir.path())
        .args(["--for", "soon"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.file_name().is_some_and(|n| n == ".incoming") {
            assert_eq!(
                fs::read_dir(&path).unwrap().count(),
                0,
                "copies left in .incoming"
            );
            continue;
        }
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}
