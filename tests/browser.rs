//! The HTML report in a real browser: headless Chromium opens the page from disk, and the
//! tests read back the DOM it built, its console, the connections it tried and screenshots.
//!
//! Without Chromium (`chromium`, `chromium-browser`, `google-chrome`, or `FREBSCOPE_CHROMIUM`)
//! the tests print why and pass; with `FREBSCOPE_REQUIRE_CHROMIUM=1` (set by CI) they fail.
//! Screenshots are written under `target/html-screenshots/` for a person to look at.

mod common;
mod hostile_html;

use std::fs;
use std::io;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use assert_cmd::cargo::cargo_bin_cmd;
use hostile_html::{RAN, write_hostile_trace};

/// The browser, or `None` after saying why the test does not run.
fn chromium() -> Option<PathBuf> {
    let candidates = std::env::var_os("FREBSCOPE_CHROMIUM")
        .map(PathBuf::from)
        .into_iter()
        .chain(
            ["chromium", "chromium-browser", "google-chrome"]
                .iter()
                .filter_map(|name| find_in_path(name)),
        );
    for candidate in candidates {
        if candidate.is_file() {
            return Some(candidate);
        }
    }
    let required = std::env::var_os("FREBSCOPE_REQUIRE_CHROMIUM").is_some_and(|v| v == "1");
    assert!(
        !required,
        "FREBSCOPE_REQUIRE_CHROMIUM=1 but no Chromium found: install the Debian package \
         `chromium` or set FREBSCOPE_CHROMIUM to the browser"
    );
    eprintln!(
        "SKIPPED: no Chromium (install the Debian package `chromium`, or set \
         FREBSCOPE_CHROMIUM); the HTML report was not opened in a browser"
    );
    None
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// What one headless run of the browser gave.
struct Visit {
    stdout: String,
    stderr: String,
}

impl Visit {
    /// Console messages: script errors, refused loads (CSP), `console.*` calls.
    fn console(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| l.contains(":CONSOLE") || l.contains("Refused to"))
            .collect()
    }
}

/// Opens `page` in a fresh profile with `extra` arguments (`--dump-dom`, `--screenshot=...`).
fn visit(browser: &Path, page: &Path, extra: &[String]) -> Visit {
    let profile = tempfile::tempdir().unwrap();
    let url = format!(
        "file://{}",
        page.canonicalize()
            .unwrap()
            .display()
            .to_string()
            .replace('\\', "/")
    );
    let output = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
            // A page that waits on something is a failure, not a hang.
            "--timeout=20000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(&url)
        .output()
        .unwrap_or_else(|e| panic!("could not start {}: {e}", browser.display()));
    assert!(
        output.status.success(),
        "{} failed: {}",
        browser.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    Visit {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn dump_dom(browser: &Path, page: &Path) -> Visit {
    visit(browser, page, &["--dump-dom".into()])
}

/// Writes the report of `args` to `out` and returns the run's JSON summary.
fn report(args: &[&str], out: &Path) -> serde_json::Value {
    let output = cargo_bin_cmd!("frebscope")
        .args(args)
        .args(["--no-progress", "--json", "--html"])
        .arg(out)
        .output()
        .unwrap();
    assert!(out.is_file(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("scan --json")
}

/// A local port that counts the connections made to it and closes each at once, so that a
/// browser never waits on it.
struct Listener {
    port: u16,
    count: Arc<AtomicUsize>,
}

impl Listener {
    fn start() -> Listener {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let count = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&count);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                counted.fetch_add(1, Ordering::SeqCst);
                drop(stream);
            }
        });
        Listener { port, count }
    }

    /// Connections since the last call.
    fn take(&self) -> usize {
        self.count.swap(0, Ordering::SeqCst)
    }
}

#[test]
fn samples_report_loads_cleanly_with_a_chart_per_server_and_a_section_per_failure() {
    let Some(browser) = chromium() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let page = tmp.path().join("samples.html");
    let summary = report(&["scan", "samples"], &page);
    let visit = dump_dom(&browser, &page);
    assert_eq!(visit.console(), Vec::<&str>::new(), "console messages");
    let dom = &visit.stdout;
    // The script ran under the page's policy, so its hash is right.
    assert!(
        dom.contains("data-js=\"ready\""),
        "the page's script did not run"
    );
    assert!(
        dom.contains("class=\"filter\""),
        "the script adds the filter box"
    );
    let servers = summary["totals"]["servers"].as_array().unwrap().len();
    assert_eq!(servers, 3);
    assert_eq!(dom.matches("<svg class=\"histogram\"").count(), servers);
    for n in 1..=servers {
        assert!(dom.contains(&format!("data-series=\"{n}\"")), "series {n}");
    }
    // Under each chart, the lanes of its worker processes, as the timeline finds them, and
    // the same lives in a table that reads without SVG.
    assert_eq!(dom.matches("<g class=\"lanes\">").count(), servers);
    assert_eq!(
        dom.matches("<g class=\"lane\">").count(),
        dom.matches("<rect class=\"life\"").count()
    );
    assert!(dom.matches("<g class=\"lane\">").count() >= servers);
    assert_eq!(
        dom.matches("<details class=\"sub lives\">").count(),
        servers
    );
    // Every failure is a dot on its process's lane.
    assert_eq!(dom.matches("<circle class=\"fail v-").count(), 18);
    let failures: u64 = summary["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["count"].as_u64().unwrap())
        .sum();
    assert_eq!(failures, 18);
    for n in 1..=failures {
        assert!(
            dom.contains(&format!("<details class=\"trace\" id=\"t{n}\"")),
            "no section for failure #{n}"
        );
    }
}

#[test]
fn hostile_report_runs_no_script_and_loads_nothing() {
    let Some(browser) = chromium() else {
        return;
    };
    let listener = Listener::start();
    let port = listener.port;
    let tmp = tempfile::tempdir().unwrap();
    let logs = tmp.path().join("logs");
    fs::create_dir(&logs).unwrap();
    let trace = write_hostile_trace(&logs, port);

    // The check can fail: a page that does load from the listener is seen doing so.
    let control = tmp.path().join("control.html");
    fs::write(
        &control,
        format!("<!DOCTYPE html><title>c</title><img src=\"http://127.0.0.1:{port}/control\">"),
    )
    .unwrap();
    dump_dom(&browser, &control);
    assert!(
        listener.take() > 0,
        "the browser did not reach the listener from the control page"
    );

    let scan = tmp.path().join("scan.html");
    report(&["scan", logs.to_str().unwrap()], &scan);
    let show = tmp.path().join("show.html");
    let output = cargo_bin_cmd!("frebscope")
        .arg("show")
        .arg(&trace)
        .arg("--html")
        .arg(&show)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    for page in [&scan, &show] {
        let visit = dump_dom(&browser, page);
        let dom = &visit.stdout;
        assert!(
            dom.contains("data-js=\"ready\""),
            "{}: own script",
            page.display()
        );
        assert!(!dom.contains(RAN), "{}: a payload ran", page.display());
        let title = dom
            .split("<title>")
            .nth(1)
            .and_then(|t| t.split("</title>").next())
            .unwrap_or_default();
        assert!(title.starts_with("frebscope"), "title changed: {title}");
        for element in ["<img", "<iframe", "<link", "<svg onload"] {
            assert!(
                !dom.contains(element),
                "{}: {element} built",
                page.display()
            );
        }
        assert_eq!(dom.matches("<script").count(), 1, "{}", page.display());
        assert_eq!(visit.console(), Vec::<&str>::new(), "{}", page.display());
        assert_eq!(listener.take(), 0, "{}: a network request", page.display());
    }
}

/// Screenshots of the samples report, kept as artifacts and checked to show something.
#[test]
fn screenshots_at_desktop_and_laptop_widths_are_not_blank() {
    let Some(browser) = chromium() else {
        return;
    };
    let artifacts = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("html-screenshots");
    fs::create_dir_all(&artifacts).unwrap();
    let page = artifacts.join("samples.html");
    report(&["scan", "samples"], &page);
    for (name, width) in [("desktop", 1440), ("laptop", 1024)] {
        let png = artifacts.join(format!("samples-{name}-{width}.png"));
        let _ = fs::remove_file(&png);
        visit(
            &browser,
            &page,
            &[
                format!("--window-size={width},1600"),
                format!("--screenshot={}", png.display()),
            ],
        );
        let (w, _, colours) = decode(&png);
        assert_eq!(w, width, "{}", png.display());
        assert!(
            colours >= 16,
            "{}: {colours} colours, nearly blank",
            png.display()
        );
    }
}

/// Width, height and the number of distinct colours (up to 256) of a PNG.
fn decode(path: &Path) -> (u32, u32, usize) {
    let decoder = png::Decoder::new(io::BufReader::new(fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buffer).unwrap();
    let bytes = &buffer[..info.buffer_size()];
    let step = info.color_type.samples() * usize::from(info.bit_depth as u8).div_ceil(8);
    let mut seen = std::collections::HashSet::new();
    for pixel in bytes.chunks_exact(step) {
        seen.insert(pixel.to_vec());
        if seen.len() >= 256 {
            break;
        }
    }
    (info.width, info.height, seen.len())
}
