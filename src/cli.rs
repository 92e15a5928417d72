//! The command line as clap sees it, and its conversion into a validated [`Config`].
//!
//! This is the only module that knows about clap: [`Cli::into_config`] turns the parsed
//! arguments into a [`Config`] once, checking every value, and nothing else sees clap types.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use frebscope::config::{self, Command, Config, Format, GroupBy, Target};
use frebscope::diagnose;
use frebscope::discover::resolve_root;
use frebscope::error::ConfigError;
use frebscope::filter::{self, Filters};

const EXAMPLES: &str = "\
Examples:
  Summarize the 502s of two servers, one through a share, and export the summary:
    frebscope scan '\\\\web01\\logs$\\FailedReqLogFiles' /mnt/web02/logs --status 502 --csv 502.csv

  When do the failures come? (cold starts cluster after quiet hours)
    frebscope scan D:\\logs --status 5xx --by hour

  The last two hours, one pool, one row per request, as CSV on stdout:
    frebscope requests D:\\logs --since 2h --app-pool Orders --csv -

  Read one trace in depth:
    frebscope show D:\\logs\\W3SVC2\\fr000123.xml";

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
  frebscope scan D:\\logs --by app-pool --json > summary.json")]
    Scan(ScanArgs),
    /// List one row per trace, with its verdict and evidence.
    #[command(after_help = "Examples:
  frebscope requests D:\\logs --status 502 --since 2h
  frebscope requests D:\\logs --server WEB01 --csv requests.csv
  frebscope requests D:\\logs --json | jq -r 'select(.verdict==\"startup\") | .file'")]
    Requests(RequestsArgs),
    /// Read traces in depth: summary, verdict, errors, timeline, time per module, headers.
    #[command(after_help = "Examples:
  frebscope show D:\\logs\\W3SVC2\\fr000123.xml
  frebscope show fr000123.xml --all --no-color | less
  frebscope show fr000123.xml --context D:\\logs\\W3SVC2")]
    Show(ShowArgs),
}

#[derive(Debug, Args)]
struct ScanArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Group by something else than status, module and error code.
    #[arg(long, value_enum, default_value_t = By::Error)]
    by: By,
    /// Also write the summary as CSV to FILE (`-`: to stdout, instead of the table).
    #[arg(long, value_name = "FILE")]
    csv: Option<OsString>,
    /// Write the summary as JSON on stdout instead of the table.
    #[arg(long, conflicts_with = "csv")]
    json: bool,
}

#[derive(Debug, Args)]
struct RequestsArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Also write the rows as CSV to FILE (`-`: to stdout, instead of the table).
    #[arg(long, value_name = "FILE")]
    csv: Option<OsString>,
    /// Write one JSON object per trace and line on stdout (the last line holds the totals).
    #[arg(long, conflicts_with = "csv")]
    json: bool,
}

#[derive(Debug, Args)]
struct ShowArgs {
    /// Trace files to print.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<OsString>,
    /// Show verbose events in the timeline too.
    #[arg(long)]
    all: bool,
    /// Folder of neighbouring traces, for the rules that look across traces.
    #[arg(long, value_name = "DIR")]
    context: Option<PathBuf>,
    /// No colours (the NO_COLOR environment variable does the same).
    #[arg(long)]
    no_color: bool,
    #[command(flatten)]
    diagnosis: DiagnosisArgs,
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

#[derive(Debug, Args)]
struct InputArgs {
    /// Folders (walked for fr*.xml), trace files or patterns; `\\server\share\...` works.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<OsString>,
    /// Status codes: 502, 502.3, 5xx, 500-599, or a comma list of these.
    #[arg(long, value_name = "LIST")]
    status: Option<String>,
    /// Only traces from this time on: RFC 3339 (2026-06-08T19:00:00Z) or ago (2h, 3d).
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// Only traces before this time: RFC 3339 or ago (30m).
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
    /// Only these servers (System/Computer), comma-separated.
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    server: Vec<String>,
    /// Only these site ids, comma-separated.
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    site: Vec<String>,
    /// Only these application pools, comma-separated.
    #[arg(long, value_name = "POOLS", value_delimiter = ',')]
    app_pool: Vec<String>,
    /// Only URLs containing this text (case-insensitive).
    #[arg(long, value_name = "TEXT")]
    url: Option<String>,
    /// Reader threads [default: 4 per core, 4 to 32]. Raise it for slow shares.
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
    /// No progress bar.
    #[arg(long)]
    no_progress: bool,
    /// No colours (the NO_COLOR environment variable does the same).
    #[arg(long)]
    no_color: bool,
    #[command(flatten)]
    diagnosis: DiagnosisArgs,
}

#[derive(Debug, Args)]
struct DiagnosisArgs {
    /// A failure this soon after a new process's first trace is a startup candidate.
    #[arg(long, value_name = "DURATION", default_value = "120s")]
    startup_window: String,
    /// ARR's proxy timeout (system.webServer/proxy@timeout).
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    arr_timeout: String,
    /// ANCM's requestTimeout (aspNetCore@requestTimeout).
    #[arg(long, value_name = "DURATION", default_value = "120s")]
    ancm_request_timeout: String,
    /// ANCM's startupTimeLimit (aspNetCore@startupTimeLimit).
    #[arg(long, value_name = "DURATION", default_value = "120s")]
    startup_time_limit: String,
}

impl DiagnosisArgs {
    fn into_options(self) -> Result<diagnose::Options, ConfigError> {
        Ok(diagnose::Options {
            startup_window: config::parse_duration("--startup-window", &self.startup_window)?,
            arr_timeout: config::parse_duration("--arr-timeout", &self.arr_timeout)?,
            ancm_request_timeout: config::parse_duration(
                "--ancm-request-timeout",
                &self.ancm_request_timeout,
            )?,
            startup_time_limit: config::parse_duration(
                "--startup-time-limit",
                &self.startup_time_limit,
            )?,
        })
    }
}

fn color_wanted(no_color: bool) -> bool {
    use std::io::IsTerminal;
    let env_off = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    // Last, because on Windows it turns on the console's virtual-terminal mode.
    !no_color && !env_off && std::io::stdout().is_terminal() && frebscope::vt::stdout_takes_ansi()
}

fn format_of(csv: Option<OsString>, json: bool) -> Format {
    match (csv, json) {
        (Some(target), _) => Format::Csv(Target::from_arg(&target)),
        (None, true) => Format::Json,
        (None, false) => Format::Table,
    }
}

impl Cli {
    /// Validates the command line.
    pub fn into_config(self) -> Result<Config, ConfigError> {
        match self.command {
            Subcommands::Scan(args) => {
                let by = match args.by {
                    By::Error => GroupBy::Error,
                    By::Server => GroupBy::Server,
                    By::AppPool => GroupBy::AppPool,
                    By::Url => GroupBy::Url,
                    By::Hour => GroupBy::Hour,
                };
                let format = format_of(args.csv, args.json);
                args.input.into_config(Command::Scan { by, format })
            }
            Subcommands::Requests(args) => {
                let format = format_of(args.csv, args.json);
                args.input.into_config(Command::Requests { format })
            }
            Subcommands::Show(args) => {
                let roots = args
                    .files
                    .iter()
                    .map(|f| resolve_root(f))
                    .collect::<Result<Vec<_>, _>>()?;
                if let Some(dir) = &args.context {
                    resolve_root(dir.as_os_str())?;
                }
                Ok(Config {
                    command: Command::Show {
                        all: args.all,
                        context: args.context,
                    },
                    roots,
                    filters: Filters::default(),
                    diagnosis: args.diagnosis.into_options()?,
                    threads: config::default_threads(),
                    verbose: false,
                    color: color_wanted(args.no_color),
                    progress: false,
                    stats: false,
                    skipped_csv: None,
                })
            }
        }
    }
}

impl InputArgs {
    fn into_config(self, command: Command) -> Result<Config, ConfigError> {
        let now = chrono::Utc::now();
        let filters = Filters {
            status: match &self.status {
                Some(list) => filter::parse_status_list(list)?,
                None => Vec::new(),
            },
            since: self
                .since
                .as_deref()
                .map(|t| filter::parse_time("--since", t, now))
                .transpose()?,
            until: self
                .until
                .as_deref()
                .map(|t| filter::parse_time("--until", t, now))
                .transpose()?,
            servers: trimmed(self.server),
            sites: trimmed(self.site),
            app_pools: trimmed(self.app_pool),
            url: self.url.filter(|u| !u.is_empty()),
        };
        if let (Some(since), Some(until)) = (filters.since, filters.until)
            && since >= until
        {
            return Err(ConfigError::Invalid(format!(
                "--since ({since}) must be before --until ({until})"
            )));
        }
        let threads = match self.threads {
            Some(0) => {
                return Err(ConfigError::Invalid("--threads must be at least 1".into()));
            }
            Some(n) => n.min(256),
            None => config::default_threads(),
        };
        let roots = self
            .paths
            .iter()
            .map(|p| resolve_root(p))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Config {
            command,
            roots,
            filters,
            diagnosis: self.diagnosis.into_options()?,
            threads,
            verbose: self.verbose,
            color: color_wanted(self.no_color),
            progress: !self.no_progress,
            stats: self.stats,
            skipped_csv: skipped_csv_target(self.skipped_csv)?,
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

fn trimmed(values: Vec<String>) -> Vec<String> {
    values
        .into_iter()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect()
}
