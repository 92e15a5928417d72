//! The HTML report as a file: what it holds, that it escapes every string from a trace, that
//! it caps the trace sections, and a snapshot of a small farm's page. The same pages opened
//! in a real browser are in `browser.rs`.

mod common;
mod hostile_html;

use std::fs;
use std::path::Path;
use std::process::Output;

use assert_cmd::cargo::cargo_bin_cmd;
use hostile_html::write_hostile_trace;

/// Runs frebscope with `args`, then `--html OUT`, and returns the page and the run's output.
fn html_of(args: &[&str], dir: &Path) -> (String, Output) {
    let out = dir.join("report.html");
    let output = cargo_bin_cmd!("frebscope")
        .args(args)
        .arg("--html")
        .arg(&out)
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    let html = fs::read_to_string(&out)
        .unwrap_or_else(|e| panic!("no report ({e}); stderr:\n{}", stderr(&output)));
    (html, output)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

/// The page holds the payloads as text only: no element, attribute or URL of theirs.
fn assert_inert(html: &str) {
    assert_eq!(count(html, "<script"), 1, "only the page's own script");
    assert_eq!(count(html, "<style"), 1, "only the page's own style sheet");
    for tag in ["<img", "<iframe", "<link", "<svg onload", "</pre><script"] {
        assert!(!html.contains(tag), "raw {tag} in the page");
    }
    assert!(!html.contains("href=\"javascript"), "a javascript: link");
    let at = html.find("document.title=").unwrap_or(0);
    assert!(
        html.contains("&#60;script&#62;document.title="),
        "payload shown as text: {}",
        &html[at.saturating_sub(80)..(at + 80).min(html.len())]
    );
    assert!(
        html.contains("javascript:document.title="),
        "pool shown as text"
    );
    assert!(
        html.contains("&#60;iframe src=http://127.0.0.1:"),
        "description as text"
    );
}

#[test]
fn hostile_trace_text_reaches_the_scan_page_as_text() {
    let tmp = tempfile::tempdir().unwrap();
    let traces = tmp.path().join("logs");
    fs::create_dir(&traces).unwrap();
    write_hostile_trace(&traces, 9);
    let (html, output) = html_of(
        &["scan", traces.to_str().unwrap(), "--no-progress"],
        tmp.path(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_inert(&html);
    assert!(
        html.contains("User-Agent: &#34;&#62;&#60;svg onload="),
        "headers shown"
    );
    assert_eq!(count(&html, "<details class=\"trace\""), 1);
}

#[test]
fn hostile_trace_text_reaches_the_show_page_as_text() {
    let tmp = tempfile::tempdir().unwrap();
    let path = write_hostile_trace(tmp.path(), 9);
    let (html, output) = html_of(&["show", path.to_str().unwrap()], tmp.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        output.stdout.is_empty(),
        "the page replaces the terminal text"
    );
    assert_inert(&html);
    assert_eq!(count(&html, "<details class=\"trace\" id=\"t1\" open>"), 1);
}

#[test]
fn the_page_loads_nothing_and_allows_only_its_own_style_and_script() {
    let (html, _) = html_of(
        &["scan", "samples", "--no-progress"],
        tempfile::tempdir().unwrap().path(),
    );
    let csp = html
        .split("http-equiv=\"Content-Security-Policy\" content=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a CSP meta tag")
        .replace("&#39;", "'");
    assert!(csp.starts_with("default-src 'none'; "), "{csp}");
    assert!(csp.contains("style-src 'sha256-"), "{csp}");
    assert!(csp.contains("script-src 'sha256-"), "{csp}");
    assert!(!csp.contains("unsafe"), "{csp}");
    // Every link stays in the page; nothing has a source to load.
    for (at, _) in html.match_indices(" href=\"") {
        assert!(html[at + 7..].starts_with('#'), "{}", &html[at..at + 60]);
    }
    assert!(!html.contains(" src=\""), "an element that loads");
    assert!(!html.contains("url("), "a style sheet that loads");
    assert!(!html.contains("@import"), "a style sheet that loads");
    assert!(
        !html.contains(" style=\""),
        "inline style attributes need 'unsafe-inline'"
    );
}

#[test]
fn samples_page_has_every_part() {
    let tmp = tempfile::tempdir().unwrap();
    let (html, output) = html_of(&["scan", "samples", "--no-progress"], tmp.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    for id in ["run", "verdicts", "timeline", "groups", "hints", "traces"] {
        assert!(html.contains(&format!("<section id=\"{id}\">")), "{id}");
    }
    // 18 failures in the sample farm, one section each; three servers, one chart each.
    assert_eq!(count(&html, "<details class=\"trace\""), 18);
    assert_eq!(count(&html, "<svg class=\"histogram\""), 3);
    // Restarts from the process generations are marked on the charts.
    assert!(
        html.contains("class=\"marker m-start\""),
        "process restarts marked"
    );
    // Hints carry labelled commands for both shells.
    assert!(html.contains("<span class=\"shell\">cmd</span>"));
    assert!(html.contains("<span class=\"shell\">PowerShell</span>"));
    assert!(html.contains("Set-ItemProperty -LiteralPath &#39;IIS:\\AppPools\\"));
    // Groups link to their traces, bars to theirs.
    assert!(html.contains("<td class=\"links\"><a href=\"#t"));
    assert!(html.contains("<a href=\"#t1\"><rect"));
    // The terminal still gets its table.
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("Verdicts"), "{stdout}");
    assert!(stderr(&output).contains("wrote "));
}

#[test]
fn event_logs_mark_idle_shutdowns_recycles_and_crashes_on_the_charts() {
    let tmp = tempfile::tempdir().unwrap();
    let plain = html_of(&["scan", "samples", "--no-progress"], tmp.path()).0;
    assert_eq!(count(&plain, "class=\"marker m-idle\""), 0);
    let (html, output) = html_of(
        &[
            "scan",
            "samples",
            "--no-progress",
            "--events-utc-offset",
            "+01:00",
            "--events",
            "samples/events",
        ],
        tmp.path(),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        count(&html, "class=\"marker m-idle\"") > 0,
        "idle shutdowns marked"
    );
    assert!(
        count(&html, "class=\"marker m-crash\"") > 0,
        "the crash marked"
    );
    assert!(html.contains("WAS 5186 idle-shutdown: pool Orders"));
}

#[test]
fn trace_sections_stop_at_the_cap_and_the_rest_are_listed_by_file() {
    let tmp = tempfile::tempdir().unwrap();
    let (html, _) = html_of(
        &["scan", "samples", "--no-progress", "--html-max-traces", "5"],
        tmp.path(),
    );
    assert_eq!(count(&html, "<details class=\"trace\""), 5);
    assert!(
        html.contains("At most 5 get a section"),
        "the cap is stated"
    );
    assert!(html.contains("Listed by file (13 past the cap)"));
    // --html-all-traces: a section for every matched trace, 4xx and 200s too.
    let (all, _) = html_of(
        &["scan", "samples", "--no-progress", "--html-all-traces"],
        tmp.path(),
    );
    assert_eq!(count(&all, "<details class=\"trace\""), 44);
}

#[test]
fn html_options_need_html() {
    let output = cargo_bin_cmd!("frebscope")
        .args(["scan", "samples", "--html-all-traces"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("--html"), "{}", stderr(&output));
}

/// The page with the style sheet, the script and their hashes left out: those are constants
/// of the build, reviewed as source.
fn redacted(html: &str) -> String {
    let mut out = cut_between(html, "<style>", "</style>");
    out = cut_between(&out, "<script>", "</script>");
    out.lines()
        .map(|line| {
            if line.contains("Content-Security-Policy") {
                "<meta http-equiv=\"Content-Security-Policy\" content=\"[hashes]\">".into()
            } else {
                portable_paths(line)
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// On Windows the paths found under a root are written with `\` (`farm\ARR01\fr000002.xml`);
/// the snapshot holds `/`. Only the paths under the test's root are rewritten: any other `\` is
/// the page's own.
fn portable_paths(line: &str) -> String {
    const ROOT: &str = "tests/cases/diagnosis/farm";
    if !cfg!(windows) {
        return line.to_owned();
    }
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find(ROOT) {
        let (before, path) = rest.split_at(at);
        out.push_str(before);
        let end = path
            .find(|c: char| !(c.is_ascii_alphanumeric() || "._-/\\".contains(c)))
            .unwrap_or(path.len());
        out.push_str(&path[..end].replace('\\', "/"));
        rest = &path[end..];
    }
    out.push_str(rest);
    out
}

fn cut_between(text: &str, open: &str, close: &str) -> String {
    match (text.find(open), text.find(close)) {
        (Some(a), Some(b)) if a < b => {
            format!("{}{open}[…]{}", &text[..a], &text[b..])
        }
        _ => text.to_owned(),
    }
}

#[test]
fn farm_page_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let (html, _) = html_of(
        &[
            "scan",
            "tests/cases/diagnosis/farm",
            "--no-progress",
            "--html-max-traces",
            "3",
        ],
        tmp.path(),
    );
    insta::assert_snapshot!("farm_page", redacted(&html));
}

/// The processes `frebscope timeline` finds, drawn as lanes under each server's chart: one
/// lane per process, each failure a dot on its process's lane, how each ended.
#[test]
fn worker_process_lives_are_drawn_under_each_chart() {
    let tmp = tempfile::tempdir().unwrap();
    let args = [
        "samples",
        "--no-progress",
        "--events-utc-offset",
        "+01:00",
        "--events",
        "samples/events",
    ];
    let (html, output) = html_of(&[&["scan"][..], &args[..]].concat(), tmp.path());
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let timeline = cargo_bin_cmd!("frebscope")
        .arg("timeline")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    let timeline: serde_json::Value = serde_json::from_slice(&timeline.stdout).unwrap();
    let pools = timeline["pools"].as_array().unwrap();
    let processes: usize = pools
        .iter()
        .map(|p| p["processes"].as_array().unwrap().len())
        .sum();
    let failures: usize = pools
        .iter()
        .flat_map(|p| p["processes"].as_array().unwrap())
        .map(|p| p["failures"].as_array().unwrap().len())
        .sum();
    assert!(processes >= 3 && failures > 0, "{timeline}");
    // One group of lanes per chart, one lane per process, one dot per failure.
    assert_eq!(count(&html, "<g class=\"lanes\">"), 3);
    assert_eq!(count(&html, "<g class=\"lane\">"), processes);
    assert_eq!(count(&html, "<rect class=\"life\""), processes);
    assert_eq!(count(&html, "<circle class=\"fail v-"), failures);
    // Each lane says its pool and PID, in the drawing and in words.
    for pool in pools {
        for p in pool["processes"].as_array().unwrap() {
            let label = format!("{} · PID {}", pool["pool"].as_str().unwrap(), p["pid"]);
            assert!(html.contains(&format!(">{label}</text>")), "{label}");
        }
    }
    // The event logs say how processes ended: a line to the idle shutdown.
    assert!(html.contains("<line class=\"tail ended\""));
    assert!(html.contains("ended idle-shutdown (WAS 5186 at 2025-03-11"));
    // The same lives as a table, for a reader without SVG.
    assert_eq!(count(&html, "<details class=\"sub lives\">"), 3);
    assert!(html.contains("<table class=\"lives\">"));
    // Failures link to their sections.
    assert!(html.contains("\"><circle class=\"fail v-startup\""));
    assert!(html.contains("<a href=\"#t") && html.contains("><circle class=\"fail"));
}

#[test]
fn hostile_pool_names_reach_the_lanes_as_text() {
    let tmp = tempfile::tempdir().unwrap();
    let traces = tmp.path().join("logs");
    fs::create_dir(&traces).unwrap();
    write_hostile_trace(&traces, 9);
    let (html, _) = html_of(
        &["scan", traces.to_str().unwrap(), "--no-progress"],
        tmp.path(),
    );
    assert_inert(&html);
    assert_eq!(count(&html, "<g class=\"lane\">"), 1);
    assert!(
        html.contains(
            ">javascript:document.title=&#39;PWNED&#39;+&#39;-BY-SCRIPT&#39; · PID 7120</text>"
        ),
        "the pool name is the lane's text"
    );
}
