//! The rescan cache against an uncached run: the same reports, whatever the cache holds.
//!
//! Each run is the real binary with an explicit `--cache` (the suite's environment turns the
//! cache off otherwise). Reports are compared without their elapsed time.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

mod common;

fn frebscope(args: &[&std::ffi::OsStr]) -> (String, String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_frebscope"))
        .args(args)
        .arg("--no-progress")
        .output()
        .unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
        out.status.code().unwrap_or(-1),
    )
}

/// `scan --json` without its elapsed time.
fn scan(root: &Path, cache: Option<&Path>, extra: &[&str]) -> (Value, String) {
    let mut args: Vec<&std::ffi::OsStr> =
        vec!["scan".as_ref(), root.as_os_str(), "--json".as_ref()];
    match cache {
        Some(dir) => args.extend(["--cache".as_ref(), dir.as_os_str()]),
        None => args.push("--no-cache".as_ref()),
    }
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    args.push("--stats".as_ref());
    let (stdout, stderr, code) = frebscope(&args);
    assert!(code == 0 || code == 2, "{stderr}");
    let mut json: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    json.as_object_mut().unwrap().remove("elapsed");
    (json, stderr)
}

/// `requests --json`, one value per line.
fn requests(root: &Path, cache: Option<&Path>, extra: &[&str]) -> Vec<Value> {
    let mut args: Vec<&std::ffi::OsStr> =
        vec!["requests".as_ref(), root.as_os_str(), "--json".as_ref()];
    match cache {
        Some(dir) => args.extend(["--cache".as_ref(), dir.as_os_str()]),
        None => args.push("--no-cache".as_ref()),
    }
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    let (stdout, stderr, code) = frebscope(&args);
    assert!(code == 0 || code == 2, "{stderr}");
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn unchanged(stderr: &str) -> usize {
    let line = stderr
        .lines()
        .find(|l| l.contains("traces unchanged"))
        .unwrap_or_else(|| panic!("no cache line in --stats: {stderr}"));
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Sets every file's modification time to one fixed past moment, as traces written a while
/// ago have (the cache does not keep files modified within the last seconds); a file changed
/// since keeps its new size.
fn age(root: &Path) {
    let old = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_750_000_000);
    for entry in walk(root) {
        let file = fs::File::options().write(true).open(&entry).unwrap();
        file.set_modified(old).unwrap();
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

use common::samples;

#[test]
fn rescans_report_what_uncached_runs_report_and_read_only_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let share = dir.path().join("share");
    let cache = dir.path().join("cache");
    copy_tree(&samples(), &share);
    age(&share);
    // The traces: the samples' event exports are XML too, but not traces, and never cached.
    let files = walk(&share)
        .iter()
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("fr") && n.ends_with(".xml"))
        })
        .count();

    let (uncached, _) = scan(&share, None, &[]);
    let (cold, stderr) = scan(&share, Some(&cache), &[]);
    assert_eq!(unchanged(&stderr), 0);
    let (warm, stderr) = scan(&share, Some(&cache), &[]);
    assert_eq!(
        unchanged(&stderr),
        files,
        "a rescan of an unchanged share reads no trace"
    );
    assert_eq!(cold, uncached);
    assert_eq!(warm, uncached);
    assert_eq!(
        requests(&share, Some(&cache), &[]),
        requests(&share, None, &[])
    );

    // A filtered run over the whole-trace cache, and a whole run after the filtered one:
    // each reads what the cached form cannot answer, and reports the same.
    for filter in [&["--status", "502"][..], &["--server", "WEB01"], &[]] {
        let (cached, _) = scan(&share, Some(&cache), filter);
        let (plain, _) = scan(&share, None, filter);
        assert_eq!(cached, plain, "{filter:?}");
    }

    // Change one trace, add one, remove one: only the changed and new ones are read.
    let traces: Vec<PathBuf> = walk(&share);
    let changed = &traces[0];
    let mut bytes = fs::read(changed).unwrap();
    bytes.extend_from_slice(b"\r\n");
    fs::write(changed, bytes).unwrap();
    fs::copy(&traces[1], traces[1].with_file_name("fr900001.xml")).unwrap();
    fs::remove_file(&traces[2]).unwrap();
    age(&share);
    let (after, stderr) = scan(&share, Some(&cache), &[]);
    assert_eq!(unchanged(&stderr), files - 2, "{stderr}");
    let (plain, _) = scan(&share, None, &[]);
    assert_eq!(after, plain);
}

#[test]
fn a_corrupt_cache_is_ignored_with_a_warning_and_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let share = dir.path().join("share");
    let cache = dir.path().join("cache");
    copy_tree(&samples(), &share);
    age(&share);
    let (plain, _) = scan(&share, None, &[]);
    scan(&share, Some(&cache), &[]);
    let file = walk(&cache)
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "bin"))
        .unwrap();
    for damage in [
        |b: &mut Vec<u8>| b.truncate(b.len() / 2),
        |b: &mut Vec<u8>| {
            let at = b.len() / 2;
            b[at] ^= 0xFF;
        },
        |b: &mut Vec<u8>| *b = b"<failedRequest/>".to_vec(),
        |b: &mut Vec<u8>| b[20..24].copy_from_slice(&u32::MAX.to_le_bytes()),
    ] {
        let mut bytes = fs::read(&file).unwrap();
        damage(&mut bytes);
        fs::write(&file, &bytes).unwrap();
        let (report, stderr) = scan(&share, Some(&cache), &[]);
        assert!(stderr.contains("ignoring the cache"), "{stderr}");
        assert_eq!(unchanged(&stderr), 0);
        assert_eq!(report, plain);
        let (_, stderr) = scan(&share, Some(&cache), &[]);
        assert!(!stderr.contains("ignoring the cache"), "rebuilt: {stderr}");
    }
}

#[test]
fn the_real_traces_read_the_same_through_the_cache() {
    let Some(real) = common::real_corpus() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let share = dir.path().join("real");
    copy_tree(&real, &share);
    age(&share);
    let cache = dir.path().join("cache");
    let plain = requests(&share, None, &[]);
    requests(&share, Some(&cache), &[]);
    assert_eq!(requests(&share, Some(&cache), &[]), plain);
}
