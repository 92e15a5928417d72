//! Helpers shared by every integration test (and the parse benchmark): where the inputs are
//! (the crate, `samples/`, the real traces and the rule for skipping without them), the one
//! walker over trace folders, traces written the way IIS writes them (built with the
//! frebscope-synth generator, or piece by piece where a test cuts them), and runs of the real
//! binary whose CSV or JSON output is read back by column name.

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::cargo::cargo_bin_cmd;
use chrono::{DateTime, Utc};
use frebscope_synth::events::{self as ev, Notification};
use frebscope_synth::{Status, TraceSpec};
use serde_json::Value;

/// The crate root: the tests run the binary and read `samples/` and `tests/cases` from here.
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The bundled demo farm.
pub fn samples() -> PathBuf {
    crate_dir().join("samples")
}

/// The real IIS traces in `../shared/corpus/real`, which are never copied into the repository.
/// `None` when they are not there, after saying on stderr that the calling test skips; but
/// `.ci/run` sets `FREBSCOPE_REQUIRE_SHARED=1`, and then their absence fails the test instead
/// of letting it pass unseen.
pub fn real_corpus() -> Option<PathBuf> {
    let dir = crate_dir().join("../shared/corpus/real");
    let required = std::env::var_os("FREBSCOPE_REQUIRE_SHARED").is_some_and(|v| v == "1");
    corpus_at(&dir, required)
}

/// [`real_corpus`] for any folder: `None` with a note when it is missing, a panic when it is
/// missing and `required`.
pub fn corpus_at(dir: &Path, required: bool) -> Option<PathBuf> {
    if dir.is_dir() {
        return Some(dir.to_path_buf());
    }
    assert!(
        !required,
        "{} not found, and FREBSCOPE_REQUIRE_SHARED=1 says the real traces must be there",
        dir.display()
    );
    eprintln!(
        "skipped: {} not found (real traces are not bundled)",
        dir.display()
    );
    None
}

/// Every `.xml` file below `dir` (any case), sorted; none when `dir` does not exist.
pub fn xml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(walkdir::DirEntry::into_path)
        .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("xml")))
        .collect();
    files.sort();
    files
}

/// A failed request with one `MODULE_SET_RESPONSE_ERROR_STATUS` in `EXECUTE_REQUEST_HANDLER`
/// at 2026-06-08T19:54:59.674Z (pool `Orders`, site 2, process 4312, 8078 ms, URL
/// `http://localhost:80/api/orders?id=1&x=2`), rendered by the generator.
pub fn failed_request(status: &str, module: &str, error: u32, computer: &str) -> String {
    let (code, sub) = status.split_once('.').unwrap_or((status, "0"));
    let status = Status::new(
        code.parse().expect("status code"),
        sub.parse().expect("substatus"),
    );
    let start: DateTime<Utc> = "2026-06-08T19:54:59.674Z".parse().expect("a time");
    let spec = TraceSpec {
        url: "http://localhost:80/api/orders?id=1&x=2".into(),
        site_id: 2,
        app_pool: "Orders".into(),
        process_id: 4312,
        thread_id: 2060,
        verb: "GET".into(),
        user: None,
        activity_id: "{80000006-0007-FF00-B63F-84710C7967BB}".into(),
        failure_reason: "STATUS_CODE".into(),
        status,
        trigger_status: status,
        time_taken_ms: 8078,
        computer: computer.into(),
        start,
        culture: "en-US".into(),
        events: vec![ev::module_set_response_error_status(
            module,
            Notification::ExecuteRequestHandler,
            status,
            error,
            "",
        )],
    };
    frebscope_synth::render(&spec)
}

/// A CSV document read back: its header and rows, cells looked up by column name.
#[derive(Debug)]
pub struct Csv {
    pub header: csv::StringRecord,
    pub rows: Vec<csv::StringRecord>,
}

impl Csv {
    pub fn parse(bytes: &[u8]) -> Csv {
        let mut reader = csv::Reader::from_reader(bytes);
        let header = reader.headers().expect("a CSV header").clone();
        let rows = reader.records().map(|r| r.expect("a CSV record")).collect();
        Csv { header, rows }
    }

    /// The index of a column; a missing one fails the test with the header.
    pub fn column(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name} in {:?}", self.header))
    }

    /// The cell of `row` in column `name`.
    pub fn get<'r>(&self, row: &'r csv::StringRecord, name: &str) -> &'r str {
        &row[self.column(name)]
    }
}

/// The root attributes a test may vary.
#[derive(Debug, Clone)]
pub struct Root<'a> {
    pub url: &'a str,
    pub app_pool: &'a str,
    pub computer: &'a str,
    pub status: &'a str,
}

impl Default for Root<'_> {
    fn default() -> Self {
        Root {
            url: "http://localhost:8088/app/orders",
            app_pool: "OrdersPool",
            computer: "WEB01",
            status: "502.3",
        }
    }
}

/// One `<Event>` as IIS serializes it, CRLF line ends.
pub fn event(name: &str, computer: &str, time: &str, data: &str) -> String {
    format!(
        "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">\r\n \
<System>\r\n  \
<Provider Name=\"WWW Server\" Guid=\"{{3A2A4E84-4C21-4981-AE10-3FDA0D9B0F83}}\"/>\r\n  \
<EventID>0</EventID>\r\n  <Version>1</Version>\r\n  <Level>4</Level>\r\n  \
<Opcode>1</Opcode>\r\n  <Keywords>0x100</Keywords>\r\n  \
<TimeCreated SystemTime=\"{time}\"/>\r\n  \
<Correlation ActivityID=\"{{40000005-0001-FB00-B63F-84710C7967BB}}\"/>\r\n  \
<Execution ProcessID=\"7120\" ThreadID=\"2060\"/>\r\n  \
<Computer>{computer}</Computer>\r\n </System>\r\n <EventData>\r\n{data} </EventData>\r\n \
<RenderingInfo Culture=\"en-US\">\r\n  <Opcode>{name}</Opcode>\r\n </RenderingInfo>\r\n</Event>\r\n"
    )
}

/// The prolog and root start tag.
pub fn head(root: &Root<'_>) -> String {
    let indent = " ".repeat(15);
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\r\n\
<?xml-stylesheet type='text/xsl' href='freb.xsl'?>\r\n\
<!-- saved from url=(0014)about:internet -->\r\n\
<failedRequest url=\"{url}\"\r\n{indent}siteId=\"2\"\r\n{indent}appPoolId=\"{pool}\"\r\n\
{indent}processId=\"7120\"\r\n{indent}verb=\"GET\"\r\n\
{indent}activityId=\"{{40000005-0001-FB00-B63F-84710C7967BB}}\"\r\n\
{indent}failureReason=\"STATUS_CODE\"\r\n{indent}statusCode=\"{status}\"\r\n\
{indent}triggerStatusCode=\"{status}\"\r\n{indent}timeTaken=\"8078\"\r\n\
{indent}xmlns:freb=\"http://schemas.microsoft.com/win/2006/06/iis/freb\"\r\n{indent}>\r\n",
        url = root.url,
        pool = root.app_pool,
        status = root.status,
    )
}

/// The events of a failing ARR/ANCM request, without the root.
pub fn events(computer: &str) -> String {
    let mut out = String::new();
    out.push_str(&event(
        "GENERAL_REQUEST_START",
        computer,
        "2026-06-08T19:54:51.596Z",
        "",
    ));
    out.push_str(&event(
        "MODULE_SET_RESPONSE_ERROR_STATUS",
        computer,
        "2026-06-08T19:54:59.674Z",
        "  <Data Name=\"ModuleName\">AspNetCoreModuleV2</Data>\r\n  \
<Data Name=\"Notification\">128</Data>\r\n  <Data Name=\"HttpStatus\">502</Data>\r\n  \
<Data Name=\"HttpReason\">Bad Gateway</Data>\r\n  <Data Name=\"HttpSubStatus\">3</Data>\r\n  \
<Data Name=\"ErrorCode\">2147954429</Data>\r\n",
    ));
    out.push_str(&event(
        "GENERAL_REQUEST_END",
        computer,
        "2026-06-08T19:54:59.674Z",
        "",
    ));
    out
}

/// A complete trace, as text.
pub fn trace_with(root: &Root<'_>) -> String {
    let mut out = head(root);
    out.push_str(&events(root.computer));
    out.push_str("</failedRequest>");
    out
}

/// A complete trace with the default attributes.
pub fn trace() -> String {
    trace_with(&Root::default())
}

/// UTF-16 code units of `text`, little or big endian, with or without a byte-order mark.
pub fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() * 2 + 2);
    let units = bom.then_some(0xFEFF).into_iter().chain(text.encode_utf16());
    for unit in units {
        let bytes = if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        };
        out.extend_from_slice(&bytes);
    }
    out
}

pub fn write(path: &Path, bytes: impl AsRef<[u8]>) {
    fs::write(path, bytes).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// What a `requests --json` run said.
#[derive(Debug)]
pub struct Outcome {
    pub code: i32,
    pub rows: Vec<Value>,
    pub totals: Value,
    pub stderr: String,
}

impl Outcome {
    pub fn total(&self, key: &str) -> u64 {
        self.totals[key]
            .as_u64()
            .unwrap_or_else(|| panic!("no {key} in {}", self.totals))
    }

    pub fn skipped(&self, reason: &str) -> u64 {
        self.totals["skipped_by_reason"][reason]
            .as_u64()
            .unwrap_or(0)
    }

    /// Every file is accounted for, and the exit code says whether any was skipped.
    pub fn assert_accounted(&self) {
        let found = self.total("found");
        assert_eq!(
            found,
            self.total("analyzed") + self.total("skipped"),
            "{}",
            self.totals
        );
        let by_reason: u64 = self.totals["skipped_by_reason"]
            .as_object()
            .map(|m| m.values().filter_map(Value::as_u64).sum())
            .unwrap_or(0);
        assert_eq!(by_reason, self.total("skipped"), "{}", self.totals);
        assert_eq!(self.rows.len() as u64, self.total("matched"));
        let expected = if self.total("skipped") > 0 { 2 } else { 0 };
        assert_eq!(self.code, expected, "exit code; stderr:\n{}", self.stderr);
    }

    /// Standard error says `text`.
    pub fn assert_said(&self, text: &str) {
        assert!(
            self.stderr.contains(text),
            "stderr lacks {text:?}:\n{}",
            self.stderr
        );
    }

    /// The row of the file whose name ends with `name`.
    pub fn row(&self, name: &str) -> &Value {
        self.rows
            .iter()
            // Windows joins the paths it finds with `\`.
            .find(|r| {
                r["file"]
                    .as_str()
                    .is_some_and(|f| f.replace('\\', "/").ends_with(&name.replace('\\', "/")))
            })
            .unwrap_or_else(|| panic!("no row for {name}; stderr:\n{}", self.stderr))
    }
}

/// Runs `frebscope requests --json --totals` over `args` and reads the output back.
pub fn requests_json(args: &[&std::ffi::OsStr]) -> Outcome {
    let output = cargo_bin_cmd!("frebscope")
        .arg("requests")
        .args(args)
        .args(["--json", "--totals", "--no-progress", "--verbose"])
        .output()
        .expect("run frebscope");
    parse_outcome(&output)
}

/// Reads the output of `requests --json --totals`: the records, then the totals record.
pub fn parse_outcome(output: &std::process::Output) -> Outcome {
    let stdout = String::from_utf8(output.stdout.clone()).expect("JSON output is UTF-8");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let mut values: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let last = values
        .pop()
        .unwrap_or_else(|| panic!("no output; stderr:\n{stderr}"));
    Outcome {
        code: output.status.code().unwrap_or(-1),
        rows: values,
        totals: last["totals"].clone(),
        stderr,
    }
}

/// Peak resident set size of the largest finished child of this process, in bytes.
#[cfg(target_os = "linux")]
pub fn children_peak_rss() -> Option<u64> {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a whole struct rusage through a valid pointer; it is read only
    // when the call succeeded.
    let usage = unsafe {
        if libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr()) != 0 {
            return None;
        }
        usage.assume_init()
    };
    // ru_maxrss is in KiB on Linux.
    u64::try_from(usage.ru_maxrss)
        .ok()
        .filter(|&kib| kib > 0)
        .map(|kib| kib * 1024)
}

#[cfg(not(target_os = "linux"))]
pub fn children_peak_rss() -> Option<u64> {
    None
}
