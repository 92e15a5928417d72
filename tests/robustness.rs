//! The real binary on hostile and broken inputs: every file found is accounted for, by
//! reason, the exit code says when anything was skipped, and nothing panics.

mod common;

use std::ffi::OsStr;
use std::fs;
use std::path::Path;
use std::time::Duration;

use assert_cmd::cargo::cargo_bin_cmd;
use common::{Root, head, requests_json, trace, trace_with, utf16, write};
use tempfile::TempDir;

fn dir() -> TempDir {
    tempfile::tempdir().expect("temp dir")
}

fn os(path: &Path) -> &OsStr {
    path.as_os_str()
}

/// Pseudo-random bytes from a fixed seed (xorshift), so a failure can be reproduced.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

#[test]
fn empty_file_is_skipped_as_empty() {
    let tmp = dir();
    write(&tmp.path().join("fr000001.xml"), "");
    write(&tmp.path().join("fr000002.xml"), " \r\n\t");
    write(&tmp.path().join("fr000003.xml"), trace());
    let out = requests_json(&[os(tmp.path())]);
    out.assert_accounted();
    assert_eq!(out.total("found"), 3);
    assert_eq!(out.total("analyzed"), 1);
    assert_eq!(out.skipped("empty"), 2);
    out.assert_said("fr000001.xml: empty");
    out.assert_said("fr000002.xml: empty");
}

#[test]
fn file_cut_inside_the_root_tag_is_malformed() {
    let tmp = dir();
    let text = trace();
    let in_attribute = text.find("appPoolId=\"").unwrap() + "appPoolId=\"Ord".len();
    write(&tmp.path().join("fr000001.xml"), &text[..in_attribute]);
    let in_tag = text.find("<failedRequest").unwrap() + "<failedRequest url".len();
    write(&tmp.path().join("fr000002.xml"), &text[..in_tag]);
    let out = requests_json(&[os(tmp.path())]);
    out.assert_accounted();
    assert_eq!(out.total("analyzed"), 0);
    assert_eq!(out.skipped("malformed"), 2, "{}", out.stderr);
    out.assert_said("fr000001.xml: malformed");
}

#[test]
fn file_cut_inside_an_event_is_read_as_far_as_it_goes_and_marked_partial() {
    let tmp = dir();
    let text = trace();
    // The third event starts after the error event; cut inside a tag and inside an attribute.
    let third = text.match_indices("<Event ").nth(2).unwrap().0;
    let mid_tag = third + text[third..].find("<Computer>").unwrap() + "<Comp".len();
    let mid_attr = third + text[third..].find("SystemTime=\"").unwrap() + "SystemTime=\"2026".len();
    write(&tmp.path().join("fr000001.xml"), &text[..mid_tag]);
    write(&tmp.path().join("fr000002.xml"), &text[..mid_attr]);
    // Cut inside the very first event: the root was read, so it is still analyzed.
    let first = text.find("<Event ").unwrap() + 20;
    write(&tmp.path().join("fr000003.xml"), &text[..first]);
    let out = requests_json(&[os(tmp.path())]);
    out.assert_accounted();
    assert_eq!(out.total("analyzed"), 3, "{}", out.stderr);
    assert_eq!(out.total("skipped"), 0);
    assert_eq!(out.total("partial"), 3);
    for name in ["fr000001.xml", "fr000002.xml"] {
        let row = out.row(name);
        assert_eq!(row["partial"], true, "{row}");
        assert_eq!(row["status"], "502.3", "{row}");
        assert_eq!(row["module"], "AspNetCoreModuleV2", "{row}");
        assert_eq!(row["error_code"], "0x80072EFD", "{row}");
    }
    assert_eq!(out.row("fr000003.xml")["status"], "502.3");
}

#[test]
fn random_bytes_are_not_freb() {
    let tmp = dir();
    let mut written = 0;
    for (i, len) in [1usize, 17, 4096, 70_000, 300_000].into_iter().enumerate() {
        let mut bytes = noise(i as u64 + 7, len);
        // Keep the sniffer honest: no accidental `<` or byte-order mark in front.
        bytes[0] = b'#';
        write(&tmp.path().join(format!("fr00000{i}.xml")), bytes);
        written += 1;
    }
    let out = requests_json(&[os(tmp.path())]);
    out.assert_accounted();
    assert_eq!(out.total("found"), written);
    assert_eq!(out.skipped("not-freb"), written, "{}", out.stderr);
}

#[test]
fn garbage_after_a_valid_root_never_crashes() {
    let tmp = dir();
    for i in 0..6u64 {
        let mut bytes = head(&Root::default()).into_bytes();
        bytes.extend_from_slice(&noise(i + 100, 50_000 * i as usize + 10));
        write(&tmp.path().join(format!("fr00000{i}.xml")), bytes);
    }
    let out = requests_json(&[os(tmp.path())]);
    out.assert_accounted();
    assert_eq!(out.total("found"), 6);
    // The root element was read, so each is analyzed as far as it goes.
    assert_eq!(out.total("analyzed"), 6, "{}", out.stderr);
    assert_eq!(out.total("partial"), 6);
}

#[test]
fn xml_that_is_not_freb_is_named_as_such() {
    let tmp = dir();
    write(
        &tmp.path().join("fr000001.xml"),
        "<?xml version=\"1.0\"?>\r\n<configuration><system.webServer/></configuration>",
    );
    write(
        &tmp.path().join("fr000002.xml"),
        "<failedRequestX a=\"1\"/>",
    );
    write(&tmp.path().join("fr000003.xml"), trace());
    let out = requests_json(&[os(tmp.path())]);
    out.assert_accounted();
    assert_eq!(out.skipped("not-freb"), 2, "{}", out.stderr);
    out.assert_said("fr000001.xml: not-freb");
    assert_eq!(out.total("analyzed"), 1);
}

#[test]
fn directory_named_like_a_trace_is_walked_not_read() {
    let tmp = dir();
    let inner = tmp.path().join("fr000001.xml");
    fs::create_dir(&inner).unwrap();
    write(&inner.join("fr000002.xml"), trace());
    write(&tmp.path().join("fr000003.xml"), trace());
    let out = requests_json(&[os(tmp.path())]);
    out.assert_accounted();
    assert_eq!(out.total("found"), 2);
    assert_eq!(out.total("analyzed"), 2);
    let nested = Path::new("fr000001.xml").join("fr000002.xml");
    out.row(&nested.display().to_string());
    // Through a pattern that matches the directory, and with the directory as the root.
    let pattern = tmp.path().join("fr*.xml");
    let out = requests_json(&[os(&pattern)]);
    out.assert_accounted();
    assert_eq!(out.total("found"), 2, "{}", out.stderr);
    let out = requests_json(&[os(&inner)]);
    out.assert_accounted();
    assert_eq!(out.total("found"), 1);
}

#[test]
fn utf16_and_byte_order_marks_read_like_utf8() {
    let tmp = dir();
    let text = trace();
    let mut bom8 = vec![0xEF, 0xBB, 0xBF];
    bom8.extend_from_slice(text.as_bytes());
    let inputs: [(&str, Vec<u8>); 6] = [
        ("fr000001.xml", text.clone().into_bytes()),
        ("fr000002.xml", bom8),
        ("fr000003.xml", utf16(&text, false, true)),
        ("fr000004.xml", utf16(&text, false, false)),
        ("fr000005.xml", utf16(&text, true, true)),
        ("fr000006.xml", utf16(&text, true, false)),
    ];
    for (name, bytes) in &inputs {
        write(&tmp.path().join(name), bytes);
    }
    let out = requests_json(&[os(tmp.path())]);
    out.assert_accounted();
    assert_eq!(out.total("analyzed"), 6, "{}", out.stderr);
    let mut reference = out.row("fr000001.xml").clone();
    assert_eq!(reference["module"], "AspNetCoreModuleV2");
    assert_eq!(reference["server"], "WEB01");
    for (name, _) in &inputs[1..] {
        let mut row = out.row(name).clone();
        row["file"] = serde_json::Value::Null;
        reference["file"] = serde_json::Value::Null;
        assert_eq!(row, reference, "{name} reads differently");
    }
}

#[test]
fn damaged_or_cut_utf16_is_read_as_far_as_it_goes() {
    let tmp = dir();
    let text = trace();
    // Cut at an odd byte inside the third event.
    let third = text.match_indices("<Event ").nth(2).unwrap().0 + 40;
    let mut cut = utf16(&text[..third], false, true);
    cut.push(b'<');
    write(&tmp.path().join("fr000001.xml"), cut);
    let cut_be = utf16(&text[..third], true, false);
    write(
        &tmp.path().join("fr000002.xml"),
        &cut_be[..cut_be.len() - 1],
    );
    // A lone surrogate in the URL.
    let marked = text.replace("/app/orders", "/app/\u{1}orders");
    let mut lone = Vec::new();
    for pair in utf16(&marked, false, true).chunks(2) {
        if pair == [1, 0] {
            lone.extend_from_slice(&[0x00, 0xDC]);
        } else {
            lone.extend_from_slice(pair);
        }
    }
    write(&tmp.path().join("fr000003.xml"), lone);
    let out = requests_json(&[os(tmp.path())]);
    out.assert_accounted();
    assert_eq!(out.total("analyzed"), 3, "{}", out.stderr);
    for name in ["fr000001.xml", "fr000002.xml"] {
        let row = out.row(name);
        assert_eq!(row["partial"], true, "{row}");
        assert_eq!(row["module"], "AspNetCoreModuleV2", "{row}");
    }
    let row = out.row("fr000003.xml");
    assert_eq!(row["partial"], false, "{row}");
    assert_eq!(row["url"], "http://localhost:8088/app/\u{fffd}orders");
}

#[test]
fn encoding_declaration_that_lies_is_ignored() {
    let tmp = dir();
    let root = Root {
        url: "http://localhost/caf\u{e9}/menu",
        ..Root::default()
    };
    let text = trace_with(&root);
    // Says UTF-16, is UTF-8.
    write(
        &tmp.path().join("fr000001.xml"),
        text.replace("encoding=\"UTF-8\"", "encoding=\"UTF-16\""),
    );
    // Says ISO-8859-1, is UTF-8.
    write(
        &tmp.path().join("fr000002.xml"),
        text.replace("encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\""),
    );
    // Says UTF-8, is UTF-16LE.
    write(&tmp.path().join("fr000003.xml"), utf16(&text, false, true));
    // Says UTF-8, holds a Latin-1 byte: still read, the byte replaced.
    let mut latin1 = text.replace('\u{e9}', "\u{1}").into_bytes();
    for b in latin1.iter_mut().filter(|b| **b == 1) {
        *b = 0xE9;
    }
    write(&tmp.path().join("fr000004.xml"), latin1);
    let out = requests_json(&[os(tmp.path())]);
    out.assert_accounted();
    assert_eq!(out.total("analyzed"), 4, "{}", out.stderr);
    for name in ["fr000001.xml", "fr000002.xml", "fr000003.xml"] {
        assert_eq!(out.row(name)["url"], "http://localhost/caf\u{e9}/menu");
    }
    assert_eq!(
        out.row("fr000004.xml")["url"],
        "http://localhost/caf\u{fffd}/menu"
    );
}

/// Nested entity definitions that would expand to gigabytes if anything expanded them.
fn billion_laughs() -> String {
    let mut dtd = String::from("<!DOCTYPE failedRequest [\r\n<!ENTITY lol0 \"lol\">\r\n");
    for i in 1..=12 {
        let refs = format!("&lol{};", i - 1).repeat(10);
        dtd.push_str(&format!("<!ENTITY lol{i} \"{refs}\">\r\n"));
    }
    dtd.push_str("]>\r\n");
    let root = Root {
        url: "http://localhost/&lol12;",
        app_pool: "&lol12;",
        computer: "&lol12;",
        ..Root::default()
    };
    let text = trace_with(&root);
    let at = text.find("<failedRequest").unwrap();
    format!("{}{dtd}{}", &text[..at], &text[at..])
}

/// IIS never writes a DOCTYPE: a file holding one is refused by both readers, so nothing in
/// it can be expanded, and neither can an entity reference come out as a name.
#[test]
fn billion_laughs_are_refused_as_not_freb() {
    let tmp = dir();
    let file = tmp.path().join("fr000001.xml");
    write(&file, billion_laughs());
    let output = cargo_bin_cmd!("frebscope")
        .args(["requests", "--json", "--totals", "--no-progress"])
        .arg(&file)
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    let out = common::parse_outcome(&output);
    out.assert_accounted();
    assert_eq!(out.total("analyzed"), 0, "{}", out.stderr);
    assert_eq!(out.skipped("not-freb"), 1, "{}", out.stderr);
    assert!(out.stderr.contains("DOCTYPE"), "{}", out.stderr);
    // `show` reads with the full reader: refused there too, and nothing expanded.
    let output = cargo_bin_cmd!("frebscope")
        .args(["show", "--no-color"])
        .arg(&file)
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("not-freb") || stderr.contains("DOCTYPE"),
        "{stderr}"
    );
    assert!(!String::from_utf8_lossy(&output.stdout).contains("lol"));
}

#[test]
fn skipped_files_are_all_named_with_verbose_and_in_the_csv() {
    let tmp = dir();
    for i in 0..25 {
        write(&tmp.path().join(format!("fr{i:06}.xml")), "");
    }
    write(&tmp.path().join("fr000100.xml"), trace());
    // Runs the binary on the folder, checks the partial run's exit code and totals, and
    // returns its stderr with how many skipped files it names.
    let run = |args: &[&OsStr]| {
        let output = cargo_bin_cmd!("frebscope")
            .args(args)
            .arg(tmp.path())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            stdout.contains("26 files found · 1 read · 25 skipped (empty 25)"),
            "{stdout}"
        );
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let named = stderr.lines().filter(|l| l.contains(": empty: ")).count();
        (stderr, named)
    };
    let csv = tmp.path().join("skipped.csv");
    let (stderr, named) = run(&[
        OsStr::new("scan"),
        OsStr::new("--no-progress"),
        OsStr::new("--skipped-csv"),
        os(&csv),
    ]);
    assert_eq!(named, 20, "{stderr}");
    assert!(stderr.contains("and 5 more"), "{stderr}");
    let rows = fs::read_to_string(&csv).unwrap();
    let mut lines = rows.lines();
    assert_eq!(lines.next(), Some("file,reason,detail"));
    assert_eq!(lines.filter(|l| l.contains(",empty,")).count(), 25);

    let (stderr, named) = run(&[
        OsStr::new("requests"),
        OsStr::new("--no-progress"),
        OsStr::new("--verbose"),
    ]);
    assert_eq!(named, 25, "{stderr}");
}

#[test]
fn scan_json_carries_the_counts() {
    let tmp = dir();
    write(&tmp.path().join("fr000001.xml"), "");
    write(&tmp.path().join("fr000002.xml"), "plain text");
    write(&tmp.path().join("fr000003.xml"), trace());
    let output = cargo_bin_cmd!("frebscope")
        .args(["scan", "--json", "--no-progress"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let totals = &json["totals"];
    assert_eq!(totals["found"], 3);
    assert_eq!(totals["analyzed"], 1);
    assert_eq!(totals["skipped"], 2);
    assert_eq!(totals["skipped_by_reason"]["empty"], 1);
    assert_eq!(totals["skipped_by_reason"]["not-freb"], 1);
}

/// Links are left alone unless `--follow` is given (as in fd and ripgrep), and counted.
#[cfg(unix)]
#[test]
fn symlinks_are_not_followed_without_follow() {
    let tmp = dir();
    let root = tmp.path().join("logs");
    let outside = tmp.path().join("elsewhere");
    fs::create_dir_all(&root).unwrap();
    fs::create_dir_all(&outside).unwrap();
    write(&root.join("fr000001.xml"), trace());
    write(&outside.join("fr000002.xml"), trace());
    std::os::unix::fs::symlink(&outside, root.join("out")).unwrap();
    std::os::unix::fs::symlink(outside.join("fr000002.xml"), root.join("fr000003.xml")).unwrap();
    let run = |follow: bool| {
        let mut cmd = cargo_bin_cmd!("frebscope");
        cmd.args([
            "requests",
            "--json",
            "--totals",
            "--no-progress",
            "--verbose",
        ]);
        if follow {
            cmd.arg("--follow");
        }
        let output = cmd
            .arg(&root)
            .timeout(Duration::from_secs(30))
            .output()
            .unwrap();
        common::parse_outcome(&output)
    };
    let out = run(false);
    out.assert_accounted();
    assert_eq!(out.total("analyzed"), 1, "{}", out.stderr);
    assert_eq!(out.total("links_not_followed"), 2, "{}", out.totals);
    assert!(out.stderr.contains("not followed"), "{}", out.stderr);
    // Followed, the linked folder and the linked file are the same file: read once.
    let out = run(true);
    out.assert_accounted();
    assert_eq!(out.total("analyzed"), 2, "{}", out.stderr);
    assert_eq!(out.total("links_not_followed"), 0, "{}", out.totals);
}

/// One file reached by several paths (a hard link, overlapping roots, the same root twice)
/// is counted and read once.
#[cfg(unix)]
#[test]
fn a_file_reached_twice_is_read_once() {
    let tmp = dir();
    let root = tmp.path().join("logs");
    let sub = root.join("W3SVC2");
    fs::create_dir_all(&sub).unwrap();
    write(&sub.join("fr000001.xml"), trace());
    fs::hard_link(sub.join("fr000001.xml"), sub.join("fr000002.xml")).unwrap();
    let output = cargo_bin_cmd!("frebscope")
        .args(["requests", "--json", "--totals", "--no-progress"])
        .arg(&root)
        .arg(&sub)
        .arg(&root)
        .arg(tmp.path().join("logs/./W3SVC2/fr000001.xml"))
        .output()
        .unwrap();
    let out = common::parse_outcome(&output);
    out.assert_accounted();
    assert_eq!(out.total("found"), 1, "{}", out.stderr);
    assert_eq!(out.total("analyzed"), 1, "{}", out.stderr);
}

#[cfg(unix)]
#[test]
fn symlink_loop_is_reported_not_followed_forever() {
    let tmp = dir();
    let sub = tmp.path().join("W3SVC1");
    fs::create_dir(&sub).unwrap();
    write(&sub.join("fr000001.xml"), trace());
    std::os::unix::fs::symlink(tmp.path(), sub.join("loop")).unwrap();
    // A dangling link named like a trace, too.
    std::os::unix::fs::symlink(tmp.path().join("gone.xml"), sub.join("fr000002.xml")).unwrap();
    let output = cargo_bin_cmd!("frebscope")
        .args([
            "requests",
            "--json",
            "--totals",
            "--no-progress",
            "--follow",
        ])
        .arg(tmp.path())
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    let out = common::parse_outcome(&output);
    out.assert_accounted();
    assert_eq!(out.total("analyzed"), 1);
    assert_eq!(out.total("skipped"), 2, "{}", out.stderr);
    out.assert_said("loop");
    assert_eq!(out.skipped("vanished"), 1, "{}", out.stderr);
}

#[cfg(unix)]
#[test]
fn non_utf8_file_names_are_read_and_named() {
    use std::os::unix::ffi::OsStrExt;
    let tmp = dir();
    let good = tmp.path().join(OsStr::from_bytes(b"fr\xff\xfe0001.xml"));
    let empty = tmp.path().join(OsStr::from_bytes(b"fr\xe9t\xe9.xml"));
    if fs::write(&good, trace()).is_err() {
        eprintln!("skipped: this file system refuses non-UTF-8 names");
        return;
    }
    write(&empty, "");
    let csv = tmp.path().join("skipped.csv");
    let output = cargo_bin_cmd!("frebscope")
        .args([
            "requests",
            "--json",
            "--totals",
            "--no-progress",
            "--skipped-csv",
        ])
        .arg(&csv)
        .arg(tmp.path())
        .output()
        .unwrap();
    let out = common::parse_outcome(&output);
    out.assert_accounted();
    assert_eq!(out.total("analyzed"), 1);
    assert_eq!(out.skipped("empty"), 1);
    out.row("fr\u{fffd}\u{fffd}0001.xml");
    out.assert_said("fr\u{fffd}t\u{fffd}.xml: empty");
    let rows = fs::read_to_string(&csv).unwrap();
    assert!(rows.contains("fr\u{fffd}t\u{fffd}.xml,empty,"), "{rows}");
}

#[test]
fn long_and_deep_paths_are_read() {
    let tmp = dir();
    let mut deep = tmp.path().to_path_buf();
    for i in 0..12 {
        deep.push(format!("{i:02}-{}", "d".repeat(60)));
    }
    fs::create_dir_all(&deep).unwrap();
    let file = deep.join("fr000001.xml");
    assert!(file.as_os_str().len() > 260, "{}", file.display());
    write(&file, trace());
    let out = requests_json(&[os(tmp.path())]);
    out.assert_accounted();
    assert_eq!(out.total("analyzed"), 1, "{}", out.stderr);
    // The file itself as the root.
    let out = requests_json(&[os(&file)]);
    out.assert_accounted();
    assert_eq!(out.total("analyzed"), 1, "{}", out.stderr);
}

/// Linux limits a path to 4096 bytes: a tree deeper than that cannot be listed by full path,
/// and must be counted, not lost.
#[cfg(target_os = "linux")]
#[test]
fn tree_deeper_than_path_max_is_counted() {
    let tmp = dir();
    write(&tmp.path().join("fr000001.xml"), trace());
    let segment = "d".repeat(200);
    let deep = vec![segment.as_str(); 25].join("/");
    // std creates directories by full path, which fails past PATH_MAX; GNU mkdir -p does not.
    let made = std::process::Command::new("mkdir")
        .arg("-p")
        .arg(&deep)
        .current_dir(tmp.path())
        .status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: mkdir -p cannot create a tree deeper than PATH_MAX here");
        return;
    }
    let out = requests_json(&[os(tmp.path())]);
    out.assert_accounted();
    assert_eq!(out.total("analyzed"), 1);
    assert_eq!(out.skipped("unreadable"), 1, "{}", out.stderr);
    out.assert_said("too long");
}

#[cfg(windows)]
#[test]
fn windows_path_longer_than_260_characters_is_read() {
    let tmp = dir();
    let mut deep = tmp.path().to_path_buf();
    for i in 0..6 {
        deep.push(format!("{i:02}-{}", "d".repeat(60)));
    }
    fs::create_dir_all(&deep).unwrap();
    let file = deep.join("fr000001.xml");
    assert!(file.as_os_str().len() > 260);
    write(&file, trace());
    write(&deep.join("fr000002.xml"), "");
    for root in [tmp.path().to_path_buf(), file.clone()] {
        let out = requests_json(&[os(&root)]);
        out.assert_accounted();
        assert_eq!(out.total("analyzed"), 1, "{}", out.stderr);
    }
    // The verbatim form of the same folder.
    let verbatim = format!(r"\\?\{}", tmp.path().display());
    let out = requests_json(&[OsStr::new(&verbatim)]);
    out.assert_accounted();
    assert_eq!(out.total("found"), 2, "{}", out.stderr);
    assert_eq!(out.skipped("empty"), 1);
}

/// The real-trace tests cannot pass unseen in CI: with FREBSCOPE_REQUIRE_SHARED=1 a missing
/// corpus is a failure.
#[test]
#[should_panic(expected = "FREBSCOPE_REQUIRE_SHARED=1")]
fn a_missing_corpus_fails_when_it_is_required() {
    let missing = tempfile::tempdir().unwrap().path().join("no-such-corpus");
    common::corpus_at(&missing, true);
}

#[test]
fn a_missing_corpus_is_a_skip_otherwise() {
    let missing = tempfile::tempdir().unwrap().path().join("no-such-corpus");
    assert_eq!(common::corpus_at(&missing, false), None);
}
