//! The validated form of a command line: one configuration per command, assembled from the
//! option types each stage owns ([`Root`], [`Filters`], [`diagnose::Options`], [`GroupBy`],
//! [`Format`], [`ShowOptions`]).
//!
//! The command line is parsed once (by clap, in the binary) and converted into a [`Config`];
//! nothing else in the crate sees clap. Each command gets only what it uses, so dispatching on
//! [`Config`] is exhaustive. Everything that can be checked before reading a trace is checked
//! then, so that a typo fails in a millisecond with a message that says what is accepted, not
//! after an hour on a share. That validation is pure: what it needs from the system (the time,
//! whether stdout is a terminal, the colour variables) comes in an [`Environment`], and the
//! roots are checked on the file system after it, by the binary.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::aggregate::GroupBy;
use crate::diagnose;
use crate::discover::Root;
use crate::filter::Filters;
use crate::report::{DataOptions, Format, RowSelection, TableOptions, Target};
use crate::show::ShowOptions;

/// A validated command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Config {
    /// `scan`: the failure summary.
    Scan(Scan),
    /// `requests`: one row per trace.
    Requests(Requests),
    /// `show`: traces in depth.
    Show(Show),
    /// `events`: what the event logs hold.
    Events(Events),
    /// `timeline`: the life of every worker process, with the failures placed on it.
    Timeline(Timeline),
    /// `config`: the audit of IIS configuration files.
    Config(ConfigAudit),
    /// `watch`: each new trace as it lands, then the summary.
    Watch(Watch),
}

/// `config`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigAudit {
    /// Files or folders, each with the server it belongs to when given as `SERVER=PATH`.
    pub inputs: Vec<crate::iis::paths::Input>,
    /// Output format.
    pub format: Format,
}

/// What `scan` and `requests` read, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// Where the traces are.
    pub roots: Vec<Root>,
    /// Which traces to report on.
    pub filters: Filters,
    /// Reader threads.
    pub threads: usize,
    /// Name every skipped file, not only the first ones.
    pub verbose: bool,
    /// A progress bar on stderr (only ever drawn on a terminal).
    pub progress: bool,
    /// Print files, bytes, throughput and time per phase.
    pub stats: bool,
    /// Write every skipped file as CSV to this file.
    pub skipped_csv: Option<PathBuf>,
    /// Follow symbolic links under the roots.
    pub follow: bool,
    /// IIS configuration to diagnose with (`--config`), besides the configuration files found
    /// under the roots.
    pub iis_config: Vec<crate::iis::paths::Input>,
    /// The servers' event logs, read with the traces (`--events`).
    pub events: EventInput,
    /// The rescan cache's folder; `None`: no cache.
    pub cache: Option<PathBuf>,
}

/// Event logs given with `--events` (or to `frebscope events`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventInput {
    /// Files and folders of `.evtx`, wevtutil XML, PowerShell CSV or JSON exports.
    pub paths: Vec<PathBuf>,
    /// How to read local times.
    pub options: crate::events::ReadOptions,
}

/// `events`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Events {
    /// What to read.
    pub input: EventInput,
    /// Output format.
    pub format: Format,
    /// Name every file that was not wholly read.
    pub verbose: bool,
}

/// `timeline`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    /// What to read.
    pub input: Input,
    /// Timeouts and windows of the diagnosis.
    pub diagnosis: diagnose::Options,
    /// JSON instead of the text view.
    pub json: bool,
}

/// `scan`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    /// What to read.
    pub input: Input,
    /// Timeouts and windows of the diagnosis.
    pub diagnosis: diagnose::Options,
    /// The grouping.
    pub by: GroupBy,
    /// Output format.
    pub format: Format,
    /// Colours in the table.
    pub color: bool,
    /// How the tables are laid out.
    pub table: TableOptions,
    /// How CSV and JSON are written (`--excel`, `--no-elapsed`).
    pub data: DataOptions,
    /// Also write the self-contained HTML report (`--html`).
    pub html: Option<crate::report::html::HtmlOptions>,
}

/// `requests`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requests {
    /// What to read.
    pub input: Input,
    /// Timeouts and windows of the diagnosis.
    pub diagnosis: diagnose::Options,
    /// Output format.
    pub format: Format,
    /// Colours in the table.
    pub color: bool,
    /// How the request lines are laid out.
    pub table: TableOptions,
    /// How CSV and JSON are written (`--excel`, `--totals`, `--no-elapsed`).
    pub data: DataOptions,
    /// Which rows, in what order (every format).
    pub rows: RowSelection,
}

/// `show`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Show {
    /// The traces to print, in order.
    pub files: Vec<Root>,
    /// Neighbouring traces for the cross-trace rules, read through discovery.
    pub context: Vec<Root>,
    /// Timeouts and windows of the diagnosis.
    pub diagnosis: diagnose::Options,
    /// How to print.
    pub view: ShowOptions,
    /// IIS configuration to diagnose with (`--config`).
    pub iis_config: Vec<crate::iis::paths::Input>,
    /// Write the traces to this HTML file instead of the terminal (`--html`).
    pub html: Option<PathBuf>,
    /// One JSON record per trace on stdout instead of the text (`--json`).
    pub json: bool,
    /// The start time in the viewer's zone (`--local`); JSON stays in UTC.
    pub local: bool,
    /// The servers' event logs (`--events`).
    pub events: EventInput,
}

/// `watch`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watch {
    /// What to read (the rescan cache is off: each trace is read once as it lands).
    pub input: Input,
    /// Timeouts and windows of the diagnosis.
    pub diagnosis: diagnose::Options,
    /// Interval, duration, archive and output.
    pub options: crate::watch::Options,
    /// Colours in the summary table.
    pub color: bool,
}

impl Config {
    /// True when standard output carries CSV or JSON for programs rather than text for
    /// people: the only output that is not passed through the terminal guard when it goes to
    /// a file or a pipe.
    pub fn stdout_is_data(&self) -> bool {
        let format = match self {
            Config::Scan(scan) => &scan.format,
            Config::Requests(requests) => &requests.format,
            Config::Config(audit) => &audit.format,
            Config::Show(show) => return show.json,
            Config::Events(events) => &events.format,
            Config::Timeline(timeline) => return timeline.json,
            Config::Watch(watch) => return watch.options.json,
        };
        matches!(format, Format::Json | Format::Csv(Target::Stdout))
    }
}

/// `--color`: when to colour the output, as ripgrep and fd decide it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorChoice {
    /// When stdout is a terminal, `NO_COLOR` is unset or empty and `TERM` is not `dumb`.
    #[default]
    Auto,
    /// Always, even through a pipe (`less -R`).
    Always,
    /// Never.
    Never,
}

impl ColorChoice {
    /// Whether to colour, in this environment.
    pub fn enabled(self, env: &Environment) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => env.stdout_is_terminal && !env.no_color && !env.term_is_dumb,
        }
    }
}

/// What validation needs to know about the system, read once by [`Environment::current`] and
/// made up by tests.
#[derive(Debug, Clone)]
pub struct Environment {
    /// The time `--since 2h` counts back from.
    pub now: DateTime<Utc>,
    /// Standard output is a terminal.
    pub stdout_is_terminal: bool,
    /// `NO_COLOR` is set to something (<https://no-color.org>).
    pub no_color: bool,
    /// `TERM=dumb`: a terminal that shows escape sequences as text.
    pub term_is_dumb: bool,
    /// The cores this process may use.
    pub cores: usize,
    /// The rescan cache's default folder ([`crate::cache::default_dir`]); `None`: off.
    pub cache_dir: Option<PathBuf>,
    /// Whether a folder may be on a network share ([`crate::storage::is_remote`]), for the
    /// default reader threads.
    pub is_remote: fn(&Path) -> bool,
}

impl Environment {
    /// The environment of this process.
    pub fn current() -> Environment {
        use std::io::IsTerminal;
        Environment {
            now: Utc::now(),
            stdout_is_terminal: std::io::stdout().is_terminal(),
            no_color: std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()),
            term_is_dumb: std::env::var_os("TERM").is_some_and(|t| t == "dumb"),
            cores: std::thread::available_parallelism().map_or(2, usize::from),
            cache_dir: crate::cache::default_dir(),
            is_remote: crate::storage::is_remote,
        }
    }

    /// The default reader threads for `roots` ([`crate::storage`] says why). On a share,
    /// reading waits on the network more than on the CPU, so many more threads than cores keep
    /// requests in flight: on a simulated SMB share (`benches/share.sh`, 110 MB/s) at a 10 ms
    /// round trip 64 threads read within 5 % of the bandwidth floor where 32 took about 20 %
    /// longer; at 1 ms both are within 5 %. On a local disk two per core (8 to 32) read as fast
    /// as any number, and 64 held 20 MiB more of read buffers.
    pub fn default_threads(&self, roots: &[Root]) -> usize {
        if crate::storage::any_remote(roots, self.is_remote) {
            (self.cores * 4).clamp(SHARE_THREADS, MAX_THREADS)
        } else {
            (self.cores * 2).clamp(8, 32)
        }
    }
}

/// The fewest reader threads a run on a share gets by default.
pub const SHARE_THREADS: usize = 64;

/// The most reader threads `--threads` gives.
pub const MAX_THREADS: usize = 256;

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Environment {
        Environment {
            now: DateTime::UNIX_EPOCH,
            stdout_is_terminal: true,
            no_color: false,
            term_is_dumb: false,
            cores: 2,
            cache_dir: None,
            is_remote: |_| true,
        }
    }

    fn share() -> Vec<Root> {
        vec![Root::Dir(r"\\web01\logs$".into())]
    }

    #[test]
    fn default_threads_suit_io() {
        let roots = share();
        assert_eq!(env().default_threads(&roots), 64);
        let one = Environment { cores: 1, ..env() };
        assert_eq!(one.default_threads(&roots), 64);
        let many = Environment { cores: 32, ..env() };
        assert_eq!(many.default_threads(&roots), 128);
        let huge = Environment {
            cores: 512,
            ..env()
        };
        assert_eq!(huge.default_threads(&roots), MAX_THREADS);
    }

    #[test]
    fn a_local_disk_gets_two_threads_per_core() {
        let local = Environment {
            is_remote: |_| false,
            ..env()
        };
        let roots = vec![Root::Dir("logs".into())];
        assert_eq!(local.default_threads(&roots), 8);
        assert_eq!(
            Environment {
                cores: 8,
                ..local.clone()
            }
            .default_threads(&roots),
            16
        );
        assert_eq!(
            Environment {
                cores: 64,
                ..local.clone()
            }
            .default_threads(&roots),
            32
        );
        // One root on a share makes the run a share's.
        let both = Environment {
            is_remote: |p| p.starts_with("share"),
            ..env()
        };
        let mixed = vec![Root::Dir("logs".into()), Root::Dir("share".into())];
        assert_eq!(both.default_threads(&roots), 8);
        assert_eq!(both.default_threads(&mixed), 64);
    }

    #[test]
    fn colour_as_ripgrep_and_fd_decide_it() {
        let auto = ColorChoice::Auto;
        assert!(auto.enabled(&env()));
        let pipe = Environment {
            stdout_is_terminal: false,
            ..env()
        };
        assert!(!auto.enabled(&pipe));
        assert!(ColorChoice::Always.enabled(&pipe));
        let no_color = Environment {
            no_color: true,
            ..env()
        };
        assert!(!auto.enabled(&no_color));
        assert!(ColorChoice::Always.enabled(&no_color));
        let dumb = Environment {
            term_is_dumb: true,
            ..env()
        };
        assert!(!auto.enabled(&dumb));
        assert!(!ColorChoice::Never.enabled(&env()));
    }
}
