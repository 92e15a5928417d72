//! The command line as clap sees it, and its conversion into a validated [`Config`].
//!
//! This is the only module that knows about clap: [`Cli::into_config`] turns the parsed
//! arguments into a [`Config`] once, checking every value, and nothing else sees clap types.
//! The checks are pure (the unit tests below run them on made-up environments); the roots are
//! checked on the file system last, by the resolver the caller passes.

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use frebscope::aggregate::GroupBy;
use frebscope::config::{
    self, ColorChoice, Config, ConfigAudit, Environment, EventInput, Events, Input, Requests, Scan,
    Show, Timeline, Watch,
};
use frebscope::diagnose;
use frebscope::discover::Root;
use frebscope::duration;
use frebscope::error::ConfigError;
use frebscope::filter::{self, Filters};
use frebscope::model::Verdict;
use frebscope::report::html;
use frebscope::report::{DataOptions, Format, RowSelection, SortBy, TableOptions, Target};
use frebscope::show::ShowOptions;

const EXAMPLES: &str = "\
Examples:
  Summarize the 502s of two servers, one through a share, and export the summary:
    frebscope scan '\\\\web01\\logs$\\FailedReqLogFiles' /mnt/web02/logs --status 502 --csv 502.csv

  When do the failures come? (cold starts cluster after quiet hours)
    frebscope scan D:\\logs --status 5xx --by hour

  The last two hours, one pool, one row per request, as CSV on stdout:
    frebscope requests D:\\logs --since 2h --app-pool Orders --csv -

  Read one trace in depth:
    frebscope show D:\\logs\\W3SVC2\\fr000123.xml

  With the servers' event logs, and each worker process's life:
    frebscope scan D:\\logs --events D:\\exports
    frebscope timeline D:\\logs --events D:\\exports";

/// Read IIS Failed Request Tracing (FREB) logs in bulk: group the failures and say, for each,
/// whether the worker process, the proxy layer (ARR, URL Rewrite, ANCM) or startup caused it.
#[derive(Debug, Parser)]
#[command(name = "frebscope", version, after_help = EXAMPLES, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    command: Subcommands,
}

#[derive(Debug, Subcommand)]
enum Subcommands {
    /// Summarize failures: verdicts, groups by status, module and error code, and hints.
    #[command(after_help = "Examples:
  frebscope scan '\\\\web01\\logs$\\FailedReqLogFiles' /mnt/web02/FailedReqLogFiles --status 502
  frebscope scan D:\\logs --status 502.3,503 --csv 502-summary.csv
  frebscope scan D:\\logs --status 5xx --by hour
  frebscope scan D:\\logs --by app-pool --json > summary.json
  frebscope scan D:\\logs --status 5xx --html report.html
  frebscope scan D:\\logs --farm-timeout 60s --proxy-timeout 5m   # your ARR timeouts
  frebscope scan D:\\logs --csv summary.csv --excel                 # for Excel: BOM, dates, text statuses
  frebscope scan D:\\logs --json --no-elapsed > today.json          # diff two runs byte for byte")]
    Scan(ScanArgs),
    /// List one row per trace, with its verdict and evidence.
    #[command(after_help = "Examples:
  frebscope requests D:\\logs --status 502 --since 2h
  frebscope requests D:\\logs --server WEB01 --csv requests.csv
  frebscope requests D:\\logs --json | jq -r 'select(.verdict==\"startup\") | .file'
  frebscope requests D:\\logs --json | jq -s 'group_by(.status_code) | map(length)'
  frebscope requests D:\\logs --json --totals | tail -n 1 | jq .totals.matched
  frebscope requests D:\\logs --csv requests.csv --excel          # opens in Excel as typed columns
  frebscope requests D:\\logs --local --sort time --limit 20      # your local time, not UTC")]
    Requests(RequestsArgs),
    /// Read traces in depth: summary, verdict, errors, timeline, time per module, headers.
    #[command(after_help = "Examples:
  frebscope show D:\\logs\\W3SVC2\\fr000123.xml
  frebscope show fr000123.xml --all --no-color | less
  frebscope show fr000123.xml --context D:\\logs\\W3SVC2
  frebscope show D:\\logs\\W3SVC2\\fr000123.xml --context D:\\logs --context \\\\web02\\logs$
  frebscope show fr000123.xml fr000124.xml --html traces.html
  frebscope show D:\\logs\\W3SVC2 --json | jq -r '.request.verdict + \" \" + (.exception // \"\")'")]
    Show(ShowArgs),
    /// List the WAS, ANCM and crash events read from event logs (.evtx, wevtutil XML,
    /// PowerShell CSV or JSON).
    #[command(after_help = "Examples:
  frebscope events D:\\exports\\WEB01-System.evtx D:\\exports\\WEB01-Application.evtx
  frebscope events samples/events --json
  frebscope events web02-events.csv --events-utc-offset +01:00 --csv -

Export them on the server with, for example:
  wevtutil epl System WEB01-System.evtx
  wevtutil qe System /q:\"*[System[Provider[@Name='Microsoft-Windows-WAS']]]\" /f:xml > was.xml
  Get-WinEvent -LogName System,Application | Export-Csv events.csv")]
    Events(EventsArgs),
    /// Show the life of each worker process (start, end and why) with its failures on it.
    #[command(after_help = "Examples:
  frebscope timeline samples/ --events samples/events
  frebscope timeline D:\\logs --events D:\\exports --app-pool Orders
  frebscope timeline D:\\logs --events D:\\exports --json > timeline.json")]
    Timeline(TimelineArgs),
    /// Audit IIS configuration: which settings cause 502s, and the fix for this pool and site.
    #[command(after_help = "Examples:
  frebscope config '\\\\web01\\c$\\Windows\\System32\\inetsrv\\config' '\\\\arr01\\c$\\Windows\\System32\\inetsrv\\config'
  frebscope config copies/            # a folder holding WEB01/c$/..., WEB02/c$/... copies
  frebscope config WEB01=./web01-applicationHost.config --json
  frebscope config samples/ --csv findings.csv

A folder is walked for applicationHost.config, redirection.config and web.config (any case).
The server is SERVER in SERVER=PATH, else the host of a \\\\SERVER\\... path, else the folder
holding a copied admin share (SERVER/c$/...). A web.config belongs to the site whose
physicalPath holds it (\\\\SERVER\\d$\\Sites\\Orders\\web.config or SERVER/d$/Sites/Orders/...).")]
    Config(ConfigArgs),
    /// Follow live shares: diagnose each new trace as it lands, keep copies, summarize at the end.
    #[command(after_help = "Examples:
  frebscope watch '\\\\web01\\logs$\\FailedReqLogFiles' '\\\\arr01\\logs$\\FailedReqLogFiles' --status 5xx
  frebscope watch D:\\logs --status 502 --archive D:\\incident --for 2h
  frebscope watch D:\\logs --interval 10s --json | jq -r 'select(.verdict==\"startup\") | .file'

Lists the folders every interval (no change notifications: they are unreliable on SMB), reads
each new trace once it is complete, and prints its verdict with the context of everything seen
so far. With --archive, each new trace is copied to DIR/SERVER/W3SVCn/<time>_frNNNNNN.xml before
IIS can rotate it away; `frebscope scan DIR` reads the whole incident later.")]
    Watch(WatchArgs),
}

#[derive(Debug, Args)]
struct WatchArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Copy each new trace into DIR/SERVER/W3SVCn/<time>_frNNNNNN.xml (same content: once).
    #[arg(long, value_name = "DIR")]
    archive: Option<PathBuf>,
    /// Time between listings of the folders.
    #[arg(long, value_name = "DURATION", default_value = "5s")]
    interval: String,
    /// Stop after this long and print the summary [default: until Ctrl-C].
    #[arg(long = "for", value_name = "DURATION")]
    duration: Option<String>,
    /// One JSON object per new trace and line (the requests --json fields and `update`).
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct EventsArgs {
    /// Event log files or folders (walked for *.evtx, *.xml, *.csv, *.json).
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// UTC offset of local times in PowerShell exports (TimeCreated), e.g. +01:00.
    #[arg(long, value_name = "OFFSET", allow_hyphen_values = true)]
    events_utc_offset: Option<String>,
    /// Also write the events as CSV to FILE (`-`: to stdout, instead of the table).
    #[arg(long, value_name = "FILE")]
    csv: Option<OsString>,
    /// Write the events as JSON on stdout instead of the table.
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// Name every file that was not wholly read, not only the first 20.
    #[arg(long, short = 'v')]
    verbose: bool,
}

#[derive(Debug, Args)]
struct TimelineArgs {
    /// Write the timeline as JSON on stdout.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    input: InputArgs,
}

/// The servers' event logs, read with the traces.
#[derive(Debug, Args)]
struct EventLogArgs {
    /// Event logs of the servers (.evtx, wevtutil XML, PowerShell CSV/JSON): files or
    /// folders. They prove idle shutdowns, recycles, crashes and application starts. Put it
    /// after the trace paths: it takes every path that follows.
    #[arg(long = "events", value_name = "PATH", num_args = 1..)]
    events: Vec<PathBuf>,
    /// UTC offset of local times in PowerShell exports (TimeCreated), e.g. +01:00.
    #[arg(long, value_name = "OFFSET", allow_hyphen_values = true)]
    events_utc_offset: Option<String>,
}

impl EventLogArgs {
    fn into_input(self, resolve: Resolve<'_>) -> Result<EventInput, ConfigError> {
        event_input(self.events, self.events_utc_offset, resolve)
    }
}

/// Checks the offset, then that every event path exists (with the roots' resolver).
fn event_input(
    paths: Vec<PathBuf>,
    offset: Option<String>,
    resolve: Resolve<'_>,
) -> Result<EventInput, ConfigError> {
    let utc_offset = match offset {
        Some(text) => Some(frebscope::events::parse_offset(&text).ok_or_else(|| {
            ConfigError::InvalidFilter {
                flag: "--events-utc-offset",
                value: text.clone(),
                expected: "an offset from UTC such as +01:00, -05:00, +0530 or UTC".into(),
            }
        })?),
        None => None,
    };
    for path in &paths {
        resolve(path.as_os_str())?;
    }
    Ok(EventInput {
        paths,
        options: frebscope::events::ReadOptions { utc_offset },
    })
}

#[derive(Debug, Args)]
struct ConfigArgs {
    /// applicationHost.config, redirection.config or web.config files, or folders; SERVER=PATH
    /// names the server.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<OsString>,
    /// Also write the findings as CSV to FILE (`-`: to stdout, instead of the table).
    #[arg(long, value_name = "FILE")]
    csv: Option<OsString>,
    /// Write the files and findings as JSON on stdout instead of the table.
    #[arg(long, conflicts_with = "csv")]
    json: bool,
}

#[derive(Debug, Args)]
struct ScanArgs {
    /// Group by something else than status, module and error code.
    #[arg(long, value_enum, default_value_t = By::Error)]
    by: By,
    /// Also write the summary as CSV to FILE (`-`: to stdout, instead of the table).
    #[arg(long, value_name = "FILE")]
    csv: Option<OsString>,
    /// Write the summary as JSON on stdout instead of the table.
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// List the statuses below 500 in the table too, not only counted in one line.
    #[arg(long)]
    all_statuses: bool,
    /// Full module names, error codes and URLs in the tables (short ones by default).
    #[arg(long)]
    wide: bool,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    html: HtmlArgs,
    // Last: its diagnosis options end the help under their own heading.
    #[command(flatten)]
    input: InputArgs,
}

#[derive(Debug, Args)]
struct HtmlArgs {
    /// Also write a self-contained HTML report to FILE: charts per server, groups, hints and
    /// every failing trace readable as freb.xsl shows it (opens offline in any browser).
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// In the HTML report, a section for every matched trace, not only the 5xx ones.
    #[arg(long, requires = "html")]
    html_all_traces: bool,
    /// In the HTML report, at most N trace sections; the others are listed by file.
    #[arg(long, value_name = "N", requires = "html", default_value_t = html::DEFAULT_MAX_TRACES)]
    html_max_traces: usize,
}

impl HtmlArgs {
    fn options(&self) -> Option<html::HtmlOptions> {
        self.html.clone().map(|path| html::HtmlOptions {
            path,
            all_traces: self.html_all_traces,
            max_traces: self.html_max_traces,
        })
    }
}

#[derive(Debug, Args)]
struct RequestsArgs {
    /// Also write the rows as CSV to FILE (`-`: to stdout, instead of the table).
    #[arg(long, value_name = "FILE")]
    csv: Option<OsString>,
    /// Write one JSON record per trace and line on stdout (JSON Lines, for jq): absent
    /// values are null, status stays "502.3" beside status_code and substatus numbers.
    #[arg(long, conflicts_with = "csv")]
    json: bool,
    /// Print each trace's evidence on an indented line below it (-v does the same).
    #[arg(long)]
    evidence: bool,
    /// Order the traces: time (oldest first), duration (slowest first), status (highest
    /// first) [default: as found].
    #[arg(long, value_enum, value_name = "KEY")]
    sort: Option<SortKey>,
    /// At most N traces (after --sort).
    #[arg(long, value_name = "N")]
    limit: Option<usize>,
    /// Only these verdicts, comma-separated: startup, proxy, worker, config, unknown, - (below
    /// 500).
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    verdict: Vec<String>,
    /// Full module names and URLs (short ones by default).
    #[arg(long)]
    wide: bool,
    /// With --json: end the stream with one {"totals": ...} record (without it the totals go
    /// to stderr and the stream holds only trace records).
    #[arg(long, requires = "json")]
    totals: bool,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    input: InputArgs,
}

/// Options of `scan` and `requests` that change how times and files are written.
#[derive(Debug, Args)]
struct OutputArgs {
    /// Times in the tables in your local time zone, named in the header (UTC by default;
    /// CSV and JSON always write UTC).
    #[arg(long)]
    local: bool,
    /// With --csv: CSV for Excel: a UTF-8 byte-order mark, times as yyyy-mm-dd hh:mm:ss in
    /// UTC (which Excel reads as dates), and statuses kept as text (404.10 stays 404.10).
    #[arg(long, requires = "csv")]
    excel: bool,
    /// Leave out the run's wall time (the table's header, scan --json's "elapsed"), so that
    /// two runs over the same traces can be diffed.
    #[arg(long)]
    no_elapsed: bool,
}

impl OutputArgs {
    fn data(&self, totals: bool) -> DataOptions {
        DataOptions {
            excel: self.excel,
            totals,
            no_elapsed: self.no_elapsed,
        }
    }
}

#[derive(Debug, Args)]
struct ShowArgs {
    /// Trace files to print; a folder or a pattern prints every trace found in it.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<OsString>,
    /// Show verbose events in the timeline too.
    #[arg(long)]
    all: bool,
    /// Folders, files or patterns of neighbouring traces, for the rules that look across
    /// traces (repeatable; `scan` suggests the ones it read).
    #[arg(long, value_name = "PATH")]
    context: Vec<OsString>,
    /// Write the traces to FILE as one self-contained HTML page instead of the terminal.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Write one JSON record per trace and line on stdout instead of the text: file, request
    /// (the requests --json record), exception, hints, errors, events, complete.
    #[arg(long, conflicts_with = "html")]
    json: bool,
    /// The start time in your local time zone (UTC by default; --json always writes UTC).
    #[arg(long)]
    local: bool,
    #[command(flatten)]
    color: ColorArgs,
    #[command(flatten)]
    event_logs: EventLogArgs,
    #[command(flatten)]
    diagnosis: DiagnosisArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SortKey {
    Time,
    Duration,
    Status,
}

impl From<SortKey> for SortBy {
    fn from(key: SortKey) -> SortBy {
        match key {
            SortKey::Time => SortBy::Time,
            SortKey::Duration => SortBy::Duration,
            SortKey::Status => SortBy::Status,
        }
    }
}

/// `--verdict startup,proxy`.
fn verdict_list(words: &[String]) -> Result<Vec<Verdict>, ConfigError> {
    words
        .iter()
        .map(|w| w.trim())
        .filter(|w| !w.is_empty())
        .map(|w| {
            Verdict::FAILURES
                .iter()
                .chain([&Verdict::NotApplicable])
                .find(|v| v.as_str().eq_ignore_ascii_case(w))
                .copied()
                .ok_or_else(|| ConfigError::InvalidFilter {
                    flag: "--verdict",
                    value: w.to_owned(),
                    expected: "use startup, proxy, worker, config, unknown or - (below 500)"
                        .to_owned(),
                })
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum By {
    /// status.substatus x module x error code x verdict
    Error,
    /// the server that wrote the trace (System/Computer)
    Server,
    /// the application pool
    AppPool,
    /// the URL without its query string
    Url,
    /// the hour of the request, UTC
    Hour,
}

impl From<By> for GroupBy {
    fn from(by: By) -> GroupBy {
        match by {
            By::Error => GroupBy::Error,
            By::Server => GroupBy::Server,
            By::AppPool => GroupBy::AppPool,
            By::Url => GroupBy::Url,
            By::Hour => GroupBy::Hour,
        }
    }
}

#[derive(Debug, Args)]
struct InputArgs {
    /// Folders (walked for fr*.xml and renamed traces), trace files or patterns;
    /// `\\server\share\...` works.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<OsString>,
    /// Status codes: 502, 502.3, 5xx, 500-599, or a comma list of these.
    #[arg(long, value_name = "LIST")]
    status: Option<String>,
    /// Only traces from this time on: a date (2026-06-08) or a date and time without a zone
    /// ("2026-06-08 13:00"), both in local time; RFC 3339 (2026-06-08T19:00:00Z); or a time
    /// ago (2h, 1.5d).
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// Only traces before this time, in the forms of --since (2026-06-09, 30m).
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
    /// Only these servers (System/Computer), comma-separated.
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    server: Vec<String>,
    /// Only these sites: ids (2) or FREB folder names (W3SVC2), comma-separated.
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    site: Vec<String>,
    /// Only these application pools, comma-separated.
    #[arg(long, value_name = "POOLS", value_delimiter = ',')]
    app_pool: Vec<String>,
    /// Only URLs containing this text (case-insensitive).
    #[arg(long, value_name = "TEXT")]
    url: Option<String>,
    /// Reader threads, the requests in flight on a share [default: on a share (or a FUSE or
    /// network file system, or a mapped drive) 64, 4 per core past 16; on a local disk 2 per
    /// core, 8 to 32].
    #[arg(long, short = 'j', value_name = "N")]
    threads: Option<usize>,
    /// Name every skipped file on stderr, not only the first 20.
    #[arg(long, short = 'v')]
    verbose: bool,
    /// Write every skipped file to FILE as CSV (file,reason,detail).
    #[arg(long, value_name = "FILE")]
    skipped_csv: Option<OsString>,
    /// Print files, bytes read, throughput and time per phase on stderr.
    #[arg(long)]
    stats: bool,
    /// Follow symbolic links (and junctions) under the folders given; without it they are
    /// counted and left alone, so a link to another tree is never walked by surprise.
    #[arg(long, short = 'L')]
    follow: bool,
    /// No progress bar.
    #[arg(long)]
    no_progress: bool,
    /// Keep what each trace yielded in DIR, so that a rescan reads only new and changed files
    /// [default: the user's cache folder, or $FREBSCOPE_CACHE].
    #[arg(long, value_name = "DIR", conflicts_with = "no_cache")]
    cache: Option<PathBuf>,
    /// Read every trace; neither read nor write the rescan cache.
    #[arg(long)]
    no_cache: bool,
    #[command(flatten)]
    color: ColorArgs,
    #[command(flatten)]
    event_logs: EventLogArgs,
    #[command(flatten)]
    diagnosis: DiagnosisArgs,
}

#[derive(Debug, Args)]
struct ColorArgs {
    /// When to colour: auto (a terminal, NO_COLOR unset, TERM not dumb), always (for less -R)
    /// or never.
    #[arg(
        long,
        value_enum,
        value_name = "WHEN",
        default_value_t = ColorWhen::Auto,
        overrides_with = "no_color"
    )]
    color: ColorWhen,
    /// No colours: --color never (the NO_COLOR environment variable does the same).
    #[arg(long, overrides_with = "color")]
    no_color: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorWhen {
    Auto,
    Always,
    Never,
}

impl ColorArgs {
    fn enabled(&self, env: &Environment) -> bool {
        let choice = match (self.no_color, self.color) {
            (true, _) | (false, ColorWhen::Never) => ColorChoice::Never,
            (false, ColorWhen::Always) => ColorChoice::Always,
            (false, ColorWhen::Auto) => ColorChoice::Auto,
        };
        choice.enabled(env)
    }
}

/// Durations: see `frebscope::duration` (the same grammar as the README's and --help's).
#[derive(Debug, Args)]
#[command(next_help_heading = "Diagnosis (DURATION: 30, 30s, 500ms, 2m, 1.5h, 1d, 1w or 00:02:00)")]
struct DiagnosisArgs {
    /// A failure this soon after a new process's first trace is a startup candidate.
    #[arg(long, value_name = "DURATION", default_value = "120s")]
    startup_window: String,
    /// ARR's timeout for a server farm: webFarms/webFarm/applicationRequestRouting/protocol@timeout
    /// (IIS default 30 s).
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    farm_timeout: String,
    /// ARR's server-level timeout, for rewrites to a plain URL: system.webServer/proxy@timeout
    /// (IIS default 2 min).
    #[arg(long, value_name = "DURATION", default_value = "120s")]
    proxy_timeout: String,
    /// Sets both --farm-timeout and --proxy-timeout.
    #[arg(long, value_name = "DURATION", conflicts_with_all = ["farm_timeout", "proxy_timeout"])]
    arr_timeout: Option<String>,
    /// ANCM's requestTimeout (aspNetCore@requestTimeout).
    #[arg(long, value_name = "DURATION", default_value = "120s")]
    ancm_request_timeout: String,
    /// ANCM's startupTimeLimit (aspNetCore@startupTimeLimit).
    #[arg(long, value_name = "DURATION", default_value = "120s")]
    startup_time_limit: String,
    /// IIS configuration (applicationHost.config, web.config, or a folder of them) whose
    /// timeouts replace the ones above per server, site and application; SERVER=PATH names the
    /// server. Repeatable; configuration files under the PATHs are read too.
    #[arg(long = "config", value_name = "[SERVER=]PATH")]
    iis_config: Vec<OsString>,
}

impl DiagnosisArgs {
    /// The `--config` inputs, each path checked with `resolve`.
    fn iis_config(
        &self,
        resolve: Resolve<'_>,
    ) -> Result<Vec<frebscope::iis::paths::Input>, ConfigError> {
        config_inputs(&self.iis_config, resolve)
    }

    fn options(&self) -> Result<diagnose::Options, ConfigError> {
        let (farm_timeout, proxy_timeout) = match &self.arr_timeout {
            Some(both) => {
                let d = duration::parse("--arr-timeout", both)?;
                (d, d)
            }
            None => (
                duration::parse("--farm-timeout", &self.farm_timeout)?,
                duration::parse("--proxy-timeout", &self.proxy_timeout)?,
            ),
        };
        Ok(diagnose::Options {
            startup_window: duration::parse("--startup-window", &self.startup_window)?,
            farm_timeout,
            proxy_timeout,
            ancm_request_timeout: duration::parse(
                "--ancm-request-timeout",
                &self.ancm_request_timeout,
            )?,
            startup_time_limit: duration::parse("--startup-time-limit", &self.startup_time_limit)?,
        })
    }
}

fn format_of(csv: Option<OsString>, json: bool) -> Format {
    match (csv, json) {
        (Some(target), _) => Format::Csv(Target::from_arg(&target)),
        (None, true) => Format::Json,
        (None, false) => Format::Table,
    }
}

/// `PATH` or `SERVER=PATH` configuration inputs, each path checked with `resolve`.
fn config_inputs(
    args: &[OsString],
    resolve: Resolve<'_>,
) -> Result<Vec<frebscope::iis::paths::Input>, ConfigError> {
    args.iter()
        .map(|arg| {
            let input = frebscope::iis::paths::parse_input(arg);
            resolve(input.path.as_os_str())?;
            Ok(input)
        })
        .collect()
}

/// Decides what a path argument is; the binary passes
/// [`frebscope::discover::resolve_root`], which checks it on the file system.
pub type Resolve<'a> = &'a dyn Fn(&OsStr) -> Result<Root, ConfigError>;

impl Cli {
    /// Validates the command line in `env`; the roots are resolved last, with `resolve`.
    pub fn into_config(
        self,
        env: &Environment,
        resolve: Resolve<'_>,
    ) -> Result<Config, ConfigError> {
        Ok(match self.command {
            Subcommands::Scan(args) => {
                let diagnosis = args.input.diagnosis.options()?;
                let color = args.input.color.enabled(env);
                Config::Scan(Scan {
                    diagnosis,
                    by: args.by.into(),
                    format: format_of(args.csv, args.json),
                    color,
                    table: TableOptions {
                        wide: args.wide,
                        all_statuses: args.all_statuses,
                        evidence: false,
                        local: args.output.local,
                        no_elapsed: args.output.no_elapsed,
                    },
                    data: args.output.data(false),
                    html: args.html.options(),
                    input: args.input.into_input(env, resolve)?,
                })
            }
            Subcommands::Requests(args) => {
                let diagnosis = args.input.diagnosis.options()?;
                let color = args.input.color.enabled(env);
                let rows = RowSelection {
                    verdicts: verdict_list(&args.verdict)?,
                    sort: args.sort.map(SortBy::from),
                    limit: args.limit,
                };
                Config::Requests(Requests {
                    diagnosis,
                    format: format_of(args.csv, args.json),
                    color,
                    table: TableOptions {
                        wide: args.wide,
                        all_statuses: false,
                        evidence: args.evidence || args.input.verbose,
                        local: args.output.local,
                        no_elapsed: args.output.no_elapsed,
                    },
                    data: args.output.data(args.totals),
                    rows,
                    input: args.input.into_input(env, resolve)?,
                })
            }
            Subcommands::Watch(args) => {
                let interval = duration::parse("--interval", &args.interval)?;
                if interval < std::time::Duration::from_millis(10) {
                    return Err(ConfigError::Invalid(
                        "--interval must be at least 10ms (5s suits a share)".into(),
                    ));
                }
                let duration = args
                    .duration
                    .as_deref()
                    .map(|d| duration::parse("--for", d))
                    .transpose()?;
                let options = frebscope::watch::Options {
                    interval,
                    duration,
                    archive: args.archive,
                    json: args.json,
                };
                let diagnosis = args.input.diagnosis.options()?;
                let color = args.input.color.enabled(env);
                let mut input = args.input.into_input(env, resolve)?;
                // Each trace is read once, as it lands: the rescan cache has nothing to add.
                input.cache = None;
                Config::Watch(Watch {
                    input,
                    diagnosis,
                    options,
                    color,
                })
            }
            Subcommands::Show(args) => {
                let diagnosis = args.diagnosis.options()?;
                let view = ShowOptions {
                    all: args.all,
                    color: args.color.enabled(env),
                };
                let files = args
                    .files
                    .iter()
                    .map(|f| resolve(f))
                    .collect::<Result<Vec<_>, _>>()?;
                let context = args
                    .context
                    .iter()
                    .map(|c| resolve(c))
                    .collect::<Result<Vec<_>, _>>()?;
                Config::Show(Show {
                    files,
                    context,
                    diagnosis,
                    view,
                    iis_config: args.diagnosis.iis_config(resolve)?,
                    html: args.html,
                    json: args.json,
                    local: args.local,
                    events: args.event_logs.into_input(resolve)?,
                })
            }
            Subcommands::Config(args) => Config::Config(ConfigAudit {
                inputs: config_inputs(&args.paths, resolve)?,
                format: format_of(args.csv, args.json),
            }),
            Subcommands::Events(args) => Config::Events(Events {
                format: format_of(args.csv, args.json),
                verbose: args.verbose,
                input: event_input(args.paths, args.events_utc_offset, resolve)?,
            }),
            Subcommands::Timeline(args) => Config::Timeline(Timeline {
                diagnosis: args.input.diagnosis.options()?,
                json: args.json,
                input: args.input.into_input(env, resolve)?,
            }),
        })
    }
}

impl InputArgs {
    fn filters(&self, env: &Environment) -> Result<Filters, ConfigError> {
        let time = |flag, text: &Option<String>| {
            text.as_deref()
                .map(|t| filter::parse_time(flag, t, env.now))
                .transpose()
        };
        let filters = Filters {
            status: match &self.status {
                Some(list) => filter::parse_status_list(list)?,
                None => Vec::new(),
            },
            since: time("--since", &self.since)?,
            until: time("--until", &self.until)?,
            servers: trimmed(&self.server),
            sites: trimmed(&self.site)
                .iter()
                .map(|site| filter::parse_site(site))
                .collect::<Result<_, _>>()?,
            app_pools: trimmed(&self.app_pool),
            url: self.url.clone().filter(|u| !u.is_empty()),
        };
        if let (Some(since), Some(until)) = (filters.since, filters.until)
            && since >= until
        {
            return Err(ConfigError::Invalid(format!(
                "--since ({since}) must be before --until ({until})"
            )));
        }
        Ok(filters)
    }

    fn into_input(self, env: &Environment, resolve: Resolve<'_>) -> Result<Input, ConfigError> {
        let filters = self.filters(env)?;
        if self.threads == Some(0) {
            return Err(ConfigError::Invalid("--threads must be at least 1".into()));
        }
        let skipped_csv = skipped_csv_target(self.skipped_csv)?;
        let iis_config = self.diagnosis.iis_config(resolve)?;
        let roots = self
            .paths
            .iter()
            .map(|p| resolve(p))
            .collect::<Result<Vec<_>, _>>()?;
        let threads = match self.threads {
            Some(n) => n.min(config::MAX_THREADS),
            None => env.default_threads(&roots),
        };
        let events = self.event_logs.into_input(resolve)?;
        Ok(Input {
            roots,
            filters,
            threads,
            verbose: self.verbose,
            progress: !self.no_progress,
            stats: self.stats,
            skipped_csv,
            follow: self.follow,
            iis_config,
            events,
            cache: match (self.no_cache, self.cache) {
                (true, _) => None,
                (false, Some(dir)) => Some(dir),
                (false, None) => env.cache_dir.clone(),
            },
        })
    }
}

/// Standard output carries the report, so the skipped list needs a file of its own.
fn skipped_csv_target(arg: Option<OsString>) -> Result<Option<PathBuf>, ConfigError> {
    match arg.map(|a| Target::from_arg(&a)) {
        Some(Target::Stdout) => Err(ConfigError::Invalid(
            "--skipped-csv needs a file name: standard output carries the report".into(),
        )),
        Some(Target::File(path)) => Ok(Some(path)),
        None => Ok(None),
    }
}

fn trimmed(values: &[String]) -> Vec<String> {
    values
        .iter()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn env() -> Environment {
        Environment {
            now: "2026-06-08T12:00:00Z".parse().expect("a time"),
            stdout_is_terminal: true,
            no_color: false,
            term_is_dumb: false,
            cores: 2,
            cache_dir: None,
            is_remote: |_| true,
        }
    }

    /// Every path is a folder; nothing touches the file system.
    fn folders(arg: &OsStr) -> Result<Root, ConfigError> {
        Ok(Root::Dir(PathBuf::from(arg)))
    }

    fn config_in(env: &Environment, args: &[&str]) -> Result<Config, ConfigError> {
        let cli = Cli::try_parse_from(std::iter::once("frebscope").chain(args.iter().copied()))
            .unwrap_or_else(|e| panic!("{args:?}: {e}"));
        cli.into_config(env, &folders)
    }

    fn config(args: &[&str]) -> Result<Config, ConfigError> {
        config_in(&env(), args)
    }

    fn scan(args: &[&str]) -> Scan {
        match config(args) {
            Ok(Config::Scan(scan)) => scan,
            other => panic!("{args:?}: {other:?}"),
        }
    }

    fn error(args: &[&str]) -> String {
        match config(args) {
            Err(e) => e.to_string(),
            Ok(c) => panic!("{args:?} was accepted: {c:?}"),
        }
    }

    #[test]
    fn scan_gets_what_it_asked_for() {
        let s = scan(&[
            "scan",
            "logs",
            "--status",
            "5xx",
            "--since",
            "1.5h",
            "--by",
            "hour",
            "-j",
            "3",
            "--arr-timeout",
            "1d",
            "--csv",
            "-",
        ]);
        assert_eq!(s.input.roots, [Root::Dir("logs".into())]);
        assert_eq!(s.by, GroupBy::Hour);
        assert_eq!(s.format, Format::Csv(Target::Stdout));
        assert_eq!(s.input.threads, 3);
        assert_eq!(s.diagnosis.farm_timeout, Duration::from_secs(86_400));
        assert_eq!(s.diagnosis.proxy_timeout, Duration::from_secs(86_400));
        assert_eq!(
            s.input.filters.since.map(|t| t.to_rfc3339()).as_deref(),
            Some("2026-06-08T10:30:00+00:00")
        );
        assert!(s.input.progress && s.color);
    }

    #[test]
    fn sites_are_ids_or_folder_names() {
        let s = scan(&["scan", "logs", "--site", "2,W3SVC3,w3svc04"]);
        assert_eq!(s.input.filters.sites, ["2", "3", "4"]);
        assert!(error(&["scan", "logs", "--site", "abc"]).contains("W3SVC2"));
        let s = scan(&[
            "scan",
            "logs",
            "--farm-timeout",
            "45s",
            "--proxy-timeout",
            "5m",
        ]);
        assert_eq!(s.diagnosis.farm_timeout, Duration::from_secs(45));
        assert_eq!(s.diagnosis.proxy_timeout, Duration::from_secs(300));
    }

    #[test]
    fn defaults_are_the_iis_defaults() {
        let s = scan(&["scan", "logs"]);
        assert_eq!(s.diagnosis, diagnose::Options::default());
        assert_eq!(s.input.threads, 64);
        assert_eq!(s.format, Format::Table);
        assert!(s.input.filters.is_empty());
        assert_eq!(s.input.cache, None, "the environment's default: off here");
    }

    #[test]
    fn the_cache_follows_its_flags_and_the_environment() {
        let dir = PathBuf::from("/var/cache/frebscope");
        let with_default = Environment {
            cache_dir: Some(dir.clone()),
            ..env()
        };
        let input = |env: &Environment, args: &[&str]| {
            let Ok(Config::Scan(s)) = config_in(env, args) else {
                panic!("not scan");
            };
            s.input.cache
        };
        assert_eq!(input(&with_default, &["scan", "x"]), Some(dir.clone()));
        assert_eq!(input(&with_default, &["scan", "x", "--no-cache"]), None);
        assert_eq!(
            input(&env(), &["scan", "x", "--cache", "/tmp/c"]),
            Some(PathBuf::from("/tmp/c"))
        );
        assert!(
            Cli::try_parse_from(["frebscope", "scan", "x", "--cache", "c", "--no-cache"]).is_err()
        );
    }

    #[test]
    fn watch_gets_its_options_and_no_cache() {
        let with_default = Environment {
            cache_dir: Some(PathBuf::from("/c")),
            ..env()
        };
        let Ok(Config::Watch(w)) = config_in(
            &with_default,
            &[
                "watch",
                "x",
                "--interval",
                "2s",
                "--for",
                "1h",
                "--archive",
                "a",
                "--json",
            ],
        ) else {
            panic!("not watch");
        };
        assert_eq!(w.options.interval, Duration::from_secs(2));
        assert_eq!(w.options.duration, Some(Duration::from_secs(3600)));
        assert_eq!(w.options.archive, Some(PathBuf::from("a")));
        assert!(w.options.json);
        assert_eq!(w.input.cache, None);
        assert!(config_in(&env(), &["watch", "x", "--interval", "1ms"]).is_err());
    }

    #[test]
    fn show_gets_only_what_show_uses() {
        let Ok(Config::Show(show)) = config(&["show", "a.xml", "--all", "--context", "dir"]) else {
            panic!("not show");
        };
        assert_eq!(show.files, [Root::Dir("a.xml".into())]);
        assert_eq!(show.context, [Root::Dir("dir".into())]);
        assert!(show.view.all && show.view.color);
    }

    #[test]
    fn colour_flags_and_environment() {
        assert!(!scan(&["scan", "x", "--no-color"]).color);
        assert!(!scan(&["scan", "x", "--color", "never"]).color);
        // The last of --color and --no-color wins, as in ripgrep.
        assert!(scan(&["scan", "x", "--no-color", "--color", "always"]).color);
        assert!(!scan(&["scan", "x", "--color", "always", "--no-color"]).color);
        let pipe = Environment {
            stdout_is_terminal: false,
            ..env()
        };
        let Ok(Config::Requests(r)) = config_in(&pipe, &["requests", "x", "--color", "always"])
        else {
            panic!("not requests");
        };
        assert!(r.color);
        let dumb = Environment {
            term_is_dumb: true,
            ..env()
        };
        let Ok(Config::Show(s)) = config_in(&dumb, &["show", "x"]) else {
            panic!("not show");
        };
        assert!(!s.view.color);
    }

    #[test]
    fn bad_values_are_refused_with_what_is_accepted() {
        assert!(error(&["scan", "x", "--status", "5x"]).contains("a class (5xx)"));
        assert!(error(&["scan", "x", "--since", "yesterday"]).contains("RFC 3339"));
        assert!(error(&["scan", "x", "-j", "0"]).contains("at least 1"));
        assert!(error(&["scan", "x", "--skipped-csv", "-"]).contains("needs a file name"));
        assert!(error(&["scan", "x", "--since", "1h", "--until", "2h"]).contains("must be before"));
        assert!(
            error(&["show", "x", "--startup-window", "99999999999999999:00:00"])
                .contains("too large")
        );
        assert!(error(&["requests", "x", "--arr-timeout", "soon"]).contains("IIS time span"));
    }

    #[test]
    fn values_are_checked_before_the_roots() {
        let missing = |_: &OsStr| -> Result<Root, ConfigError> {
            Err(ConfigError::Invalid("no such root".into()))
        };
        let cli = Cli::try_parse_from(["frebscope", "scan", "x", "--status", "bad"]).unwrap();
        let err = cli.into_config(&env(), &missing).unwrap_err();
        assert!(err.to_string().contains("--status"), "{err}");
    }

    #[test]
    fn threads_are_capped() {
        assert_eq!(
            scan(&["scan", "x", "-j", "100000"]).input.threads,
            config::MAX_THREADS
        );
    }
}
