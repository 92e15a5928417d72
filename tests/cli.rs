//! The `scan` and `requests` commands on the real binary: the output contract, exit codes,
//! filters, and every real trace read as `SOURCES.md` describes it.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::*;

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn real_corpus() -> Option<PathBuf> {
    let dir = crate_dir().join("../shared/corpus/real");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "skipped: {} not found (real traces are not bundled)",
            dir.display()
        );
        None
    }
}

const REQUESTS_HEADER: &str = "file,server,site_id,app_pool,process_id,start_time,url,verb,status,\
trigger_status,failure_reason,module,notification,error_code,error_name,time_taken_ms,verdict,evidence";

const SUMMARY_HEADER: &str = "status,module,error_code,error_name,verdict,count,servers,first_seen,\
last_seen,time_taken_p50_ms,time_taken_p95_ms,top_url";

/// Runs `frebscope requests --csv -` with these arguments; returns the header and the rows.
fn requests_csv<I, S>(args: I) -> (csv::StringRecord, Vec<csv::StringRecord>)
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let out = cargo_bin_cmd!("frebscope")
        .args(["requests", "--csv", "-"])
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let mut reader = csv::Reader::from_reader(out.as_slice());
    let headers = reader.headers().unwrap().clone();
    let rows = reader.records().map(Result::unwrap).collect();
    (headers, rows)
}

/// A minimal trace in IIS's shape.
fn trace(status: &str, module: &str, code: &str, computer: &str) -> String {
    let (code_num, sub) = status.split_once('.').unwrap_or((status, "0"));
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\r\n<failedRequest url=\"http://localhost:80/api/orders?id=1&amp;x=2\"\r\n               siteId=\"2\"\r\n               appPoolId=\"Orders\"\r\n               processId=\"4312\"\r\n               verb=\"GET\"\r\n               authenticationType=\"NOT_AVAILABLE\"               activityId=\"{{80000006-0007-FF00-B63F-84710C7967BB}}\"\r\n               failureReason=\"STATUS_CODE\"\r\n               statusCode=\"{status}\"\r\n               triggerStatusCode=\"{status}\"\r\n               timeTaken=\"8078\"\r\n               xmlns:freb=\"http://schemas.microsoft.com/win/2006/06/iis/freb\"\r\n               >\r\n<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">\r\n <System>\r\n  <Provider Name=\"WWW Server\" Guid=\"{{3A2A4E84-4C21-4981-AE10-3FDA0D9B0F83}}\"/>\r\n  <EventID>0</EventID>\r\n  <Version>1</Version>\r\n  <Level>3</Level>\r\n  <Opcode>16</Opcode>\r\n  <Keywords>0x100</Keywords>\r\n  <TimeCreated SystemTime=\"2026-06-08T19:54:59.674Z\"/>\r\n  <Correlation ActivityID=\"{{80000006-0007-FF00-B63F-84710C7967BB}}\"/>\r\n  <Execution ProcessID=\"4312\" ThreadID=\"2060\"/>\r\n  <Computer>{computer}</Computer>\r\n </System>\r\n <EventData>\r\n  <Data Name=\"ContextId\">{{80000006-0007-FF00-B63F-84710C7967BB}}</Data>\r\n  <Data Name=\"ModuleName\">{module}</Data>\r\n  <Data Name=\"Notification\">128</Data>\r\n  <Data Name=\"HttpStatus\">{code_num}</Data>\r\n  <Data Name=\"HttpReason\">Bad Gateway</Data>\r\n  <Data Name=\"HttpSubStatus\">{sub}</Data>\r\n  <Data Name=\"ErrorCode\">{code}</Data>\r\n  <Data Name=\"ConfigExceptionInfo\"></Data>\r\n </EventData>\r\n <RenderingInfo Culture=\"en-US\">\r\n  <Opcode>MODULE_SET_RESPONSE_ERROR_STATUS</Opcode>\r\n  <Keywords>\r\n   <Keyword>RequestNotifications</Keyword>\r\n  </Keywords>\r\n  <freb:Description Data=\"Notification\">EXECUTE_REQUEST_HANDLER</freb:Description>\r\n </RenderingInfo>\r\n <ExtendedTracingInfo xmlns=\"http://schemas.microsoft.com/win/2004/08/events/trace\">\r\n  <EventGuid>{{002E91E3-E7AE-44AB-8E07-99230FFA6ADE}}</EventGuid>\r\n </ExtendedTracingInfo>\r\n</Event>\r\n</failedRequest>"
    )
}

fn farm(dir: &Path) {
    let w1 = dir.join("web01/W3SVC2");
    let w2 = dir.join("web02/W3SVC2");
    fs::create_dir_all(&w1).unwrap();
    fs::create_dir_all(&w2).unwrap();
    fs::write(
        w1.join("fr000001.xml"),
        trace("502.3", "ApplicationRequestRouting", "2147954429", "WEB01"),
    )
    .unwrap();
    fs::write(
        w1.join("FR000002.XML"),
        trace("502.3", "ApplicationRequestRouting", "2147954429", "WEB01"),
    )
    .unwrap();
    fs::write(
        w2.join("fr000001.xml"),
        trace("404", "IIS Web Core", "2147942402", "WEB02"),
    )
    .unwrap();
    fs::write(w2.join("freb.xsl"), "<xsl/>").unwrap();
}

#[test]
fn requests_csv_follows_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    farm(dir.path());
    let out = cargo_bin_cmd!("frebscope")
        .args(["requests", "--csv", "-"])
        .arg(dir.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    let mut lines = text.lines();
    assert!(lines.next().unwrap().starts_with(REQUESTS_HEADER));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 3, "{text}");
    let arr = rows.iter().find(|r| r.contains("WEB01")).unwrap();
    assert!(arr.contains(",2026-06-08T19:54:59.674Z,"), "{arr}");
    assert!(arr.contains(",502.3,502.3,STATUS_CODE,ApplicationRequestRouting,EXECUTE_REQUEST_HANDLER,0x80072EFD,ERROR_WINHTTP_CANNOT_CONNECT,8078,"), "{arr}");
    assert!(
        arr.contains("http://localhost:80/api/orders?id=1&x=2"),
        "{arr}"
    );
    let not_found = rows.iter().find(|r| r.contains("WEB02")).unwrap();
    assert!(not_found.contains(",404,404,"), "{not_found}");
    assert!(
        not_found.contains(",-,"),
        "verdict below 500 is '-': {not_found}"
    );
}

#[test]
fn scan_filters_by_status_and_writes_the_summary_csv() {
    let dir = tempfile::tempdir().unwrap();
    farm(dir.path());
    let csv = dir.path().join("summary.csv");
    cargo_bin_cmd!("frebscope")
        .args(["scan", "--status", "5xx", "--no-color", "--csv"])
        .arg(&csv)
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "3 files found · 3 read · 0 skipped · 2 matched the filters",
        ))
        .stdout(predicate::str::contains("0x80072EFD"));
    let text = fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    assert!(lines.next().unwrap().starts_with(SUMMARY_HEADER));
    let row = lines.next().unwrap();
    assert!(
        row.starts_with("502.3,ApplicationRequestRouting,0x80072EFD,ERROR_WINHTTP_CANNOT_CONNECT,"),
        "{row}"
    );
    assert!(row.contains(",2,WEB01,2026-06-08T19:54:59.674Z,2026-06-08T19:54:59.674Z,8078,8078,http://localhost:80/api/orders,"), "{row}");
    assert_eq!(lines.next(), None);
}

#[test]
fn scan_json_and_groupings() {
    let dir = tempfile::tempdir().unwrap();
    farm(dir.path());
    let out = cargo_bin_cmd!("frebscope")
        .args(["scan", "--json"])
        .arg(dir.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(json["totals"]["found"], 3);
    assert_eq!(json["totals"]["matched"], 3);
    assert_eq!(json["groups"][0]["count"], 2);
    for by in ["server", "app-pool", "url", "hour"] {
        cargo_bin_cmd!("frebscope")
            .args(["scan", "--no-color", "--by", by])
            .arg(dir.path())
            .assert()
            .success()
            .stdout(
                predicate::str::contains("WEB01")
                    .or(predicate::str::contains("Orders"))
                    .or(predicate::str::contains("2026-06-08 19:00")),
            );
    }
}

#[test]
fn requests_json_is_one_object_per_line() {
    let dir = tempfile::tempdir().unwrap();
    farm(dir.path());
    let out = cargo_bin_cmd!("frebscope")
        .args(["requests", "--json", "--server", "web01"])
        .arg(dir.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let lines: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "two rows and the totals");
    assert_eq!(lines[0]["status"], "502.3");
    assert_eq!(lines[2]["totals"]["matched"], 2);
}

#[test]
fn missing_root_and_bad_filters_exit_1_and_say_what_is_accepted() {
    cargo_bin_cmd!("frebscope")
        .args(["scan", "/no/such/folder/FailedReqLogFiles"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "/no/such/folder/FailedReqLogFiles",
        ))
        .stderr(predicate::str::contains("hint:"));
    let dir = tempfile::tempdir().unwrap();
    cargo_bin_cmd!("frebscope")
        .args(["scan", "--status", "50x"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("5xx"));
    cargo_bin_cmd!("frebscope")
        .args(["requests", "--since", "yesterday"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("RFC 3339"));
    cargo_bin_cmd!("frebscope").args(["scan"]).assert().code(1);
}

#[test]
fn a_bad_file_is_counted_named_and_makes_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    farm(dir.path());
    fs::write(dir.path().join("web01/W3SVC2/fr000003.xml"), "").unwrap();
    cargo_bin_cmd!("frebscope")
        .args(["scan", "--no-color"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stdout(predicate::str::contains(
            "4 files found · 3 read · 1 skipped (empty 1)",
        ))
        .stderr(predicate::str::contains("fr000003.xml: empty"));
}

#[test]
fn help_teaches_by_example() {
    cargo_bin_cmd!("frebscope")
        .args(["scan", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Examples:"))
        .stdout(predicate::str::contains("--status 502"));
}

/// One row of SOURCES.md: file, final status, and the first module error (module,
/// notification, error code) or none.
struct Expected {
    file: String,
    status: String,
    error: Option<(String, String, u32)>,
}

fn sources(dir: &Path) -> Vec<Expected> {
    let text = fs::read_to_string(dir.join("SOURCES.md")).unwrap();
    text.lines()
        .filter(|l| l.starts_with("| ") && l.contains(".xml |"))
        .map(|line| {
            let cols: Vec<&str> = line.split(" | ").map(str::trim).collect();
            let file = cols[0].trim_start_matches("| ").to_owned();
            let status = cols[4].split_whitespace().next().unwrap().to_owned();
            let error = (cols[5] != "-").then(|| {
                let first = cols[5].split(';').next().unwrap();
                let parts: Vec<&str> = first.split(" / ").map(str::trim).collect();
                let code = u32::from_str_radix(parts[3].trim_start_matches("0x"), 16).unwrap();
                (parts[0].to_owned(), parts[1].to_owned(), code)
            });
            Expected {
                file,
                status,
                error,
            }
        })
        .collect()
}

#[test]
fn every_real_trace_reads_as_sources_md_says() {
    let Some(dir) = real_corpus() else {
        return;
    };
    let expected = sources(&dir);
    assert_eq!(expected.len(), 53);
    let pattern = format!("{}/*.xml", dir.display());
    let (headers, rows) = requests_csv([&pattern]);
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    assert_eq!(rows.len(), 53);
    for want in &expected {
        let row = rows
            .iter()
            .find(|r| r[col("file")].ends_with(&want.file))
            .unwrap_or_else(|| panic!("{} missing", want.file));
        assert_eq!(row[col("status")], want.status, "{}", want.file);
        match &want.error {
            None => {
                assert_eq!(&row[col("module")], "", "{}", want.file);
                assert_eq!(&row[col("error_code")], "", "{}", want.file);
            }
            Some((module, notification, code)) => {
                assert_eq!(&row[col("module")], module, "{}", want.file);
                assert_eq!(&row[col("notification")], notification, "{}", want.file);
                assert_eq!(
                    row[col("error_code")],
                    format!("0x{code:08X}"),
                    "{}",
                    want.file
                );
            }
        }
    }
}

/// The README's first command must show something worth seeing: all three verdicts of the
/// mission (startup, proxy, worker) and at least one configuration hint.
#[test]
fn samples_show_every_verdict_and_a_hint() {
    let out = cargo_bin_cmd!("frebscope")
        .args(["scan", "--json"])
        .arg(crate_dir().join("samples"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let verdicts: Vec<&str> = json["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["verdict"].as_str().unwrap())
        .collect();
    for wanted in ["startup", "proxy", "worker"] {
        assert!(
            verdicts.contains(&wanted),
            "{wanted} missing from {verdicts:?}"
        );
    }
    let hints = json["hints"].as_array().unwrap();
    assert!(
        hints
            .iter()
            .any(|h| h["command"].as_str().unwrap().contains("startMode")),
        "{hints:?}"
    );
}

/// `samples/README.md` states the verdict each demo trace should get, and why; the binary
/// must agree on every one of them.
#[test]
fn samples_get_the_verdicts_their_readme_states() {
    let samples = crate_dir().join("samples");
    let readme = fs::read_to_string(samples.join("README.md")).unwrap();
    let expected: Vec<(String, String)> = readme
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains(".xml`"))
        .map(|l| {
            let cols: Vec<&str> = l.split(" | ").collect();
            let file = cols[1].trim_matches('`').to_owned();
            let verdict = cols[5].trim_matches('*').to_owned();
            (file, verdict)
        })
        .collect();
    assert!(expected.len() >= 40, "{} rows", expected.len());
    let (_, rows) = requests_csv([&samples]);
    assert_eq!(rows.len(), expected.len());
    for (file, verdict) in &expected {
        let row = rows
            .iter()
            .find(|r| Path::new(&r[0]).ends_with(file))
            .unwrap_or_else(|| panic!("{file} missing"));
        assert_eq!(&row[16], verdict, "{file}: {}", &row[17]);
    }
}

#[test]
fn skipped_list_needs_a_file_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    cargo_bin_cmd!("frebscope")
        .args(["scan", "--skipped-csv", "-"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--skipped-csv needs a file name"));
}

/// With `--status 502` the backends' slow 200s and 500s are only read as far as their request
/// headers, and that must be enough to link the ARR 502s to them: the verdicts must not change.
#[test]
fn a_status_filter_keeps_the_links_to_backend_traces() {
    let samples = crate_dir().join("samples");
    let verdicts = |args: &[&str]| -> Vec<(String, String, String)> {
        let mut all: Vec<std::ffi::OsString> = args.iter().map(Into::into).collect();
        all.push(samples.clone().into());
        let (_, rows) = requests_csv(all);
        rows.into_iter()
            .filter(|r| r[8].starts_with("502"))
            .map(|r| (r[0].to_owned(), r[16].to_owned(), r[22].to_owned()))
            .collect()
    };
    let unfiltered = verdicts(&[]);
    let filtered = verdicts(&["--status", "502"]);
    assert!(
        filtered
            .iter()
            .any(|(_, v, linked)| v == "startup" && !linked.is_empty())
    );
    assert_eq!(filtered, unfiltered);
}

/// `--color always` colours through a pipe (for `less -R`); `NO_COLOR` and `TERM=dumb` turn
/// the automatic colour off, and the last of `--color` and `--no-color` wins.
#[test]
fn colour_can_be_forced_through_a_pipe() {
    let samples = crate_dir().join("samples");
    let scan = |args: &[&str], env: &[(&str, &str)]| -> String {
        let mut cmd = cargo_bin_cmd!("frebscope");
        cmd.arg("scan")
            .arg(&samples)
            .args(args)
            .env_remove("NO_COLOR");
        for (key, value) in env {
            cmd.env(key, value);
        }
        let out = cmd.assert().success().get_output().stdout.clone();
        String::from_utf8(out).unwrap()
    };
    assert!(!scan(&[], &[]).contains('\x1b'), "a pipe gets no colour");
    assert!(scan(&["--color", "always"], &[]).contains("\x1b["));
    assert!(
        scan(
            &["--color", "always"],
            &[("NO_COLOR", "1"), ("TERM", "dumb")]
        )
        .contains("\x1b[")
    );
    assert!(!scan(&["--color", "always", "--no-color"], &[]).contains('\x1b'));
    assert!(scan(&["--no-color", "--color=always"], &[]).contains("\x1b["));
}

/// Every duration option reads the same grammar, and too large a value is refused.
#[test]
fn durations_share_one_grammar() {
    let samples = crate_dir().join("samples");
    for args in [
        ["--since", "1.5h"],
        ["--arr-timeout", "1d"],
        ["--startup-window", "1.00:00:00"],
        ["--until", "500ms"],
    ] {
        cargo_bin_cmd!("frebscope")
            .arg("requests")
            .arg(&samples)
            .args(args)
            .assert()
            .success();
    }
    cargo_bin_cmd!("frebscope")
        .args(["scan", "--startup-window", "99999999999999999:00:00"])
        .arg(&samples)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("too large"));
}
