//! The validated form of a command line.
//!
//! The command line is parsed once (by clap, in the binary) and converted into a [`Config`]
//! here; nothing else in the crate sees clap. Everything that can be checked before reading a
//! trace is checked here, so that a typo fails in a millisecond with a message that says what
//! is accepted, not after an hour on a share.

use std::path::PathBuf;
use std::time::Duration;

use crate::diagnose;
use crate::error::ConfigError;
use crate::filter::Filters;

/// Where an output goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Standard output (`-`).
    Stdout,
    /// A file, created or replaced.
    File(PathBuf),
}

impl Target {
    /// `-` is standard output, anything else a file.
    pub fn from_arg(arg: &std::ffi::OsStr) -> Target {
        if arg == "-" {
            Target::Stdout
        } else {
            Target::File(PathBuf::from(arg))
        }
    }
}

/// The format of a command's main output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    /// A table for people (the default).
    Table,
    /// CSV for spreadsheets and scripts.
    Csv(Target),
    /// JSON (`scan`: one document; `requests`: one object per line).
    Json,
}

/// How `scan` groups failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupBy {
    /// status.substatus x module x error code x verdict (the default).
    #[default]
    Error,
    /// `System/Computer`.
    Server,
    /// Application pool.
    AppPool,
    /// URL without its query string.
    Url,
    /// Hour of the first event, UTC.
    Hour,
}

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// The failure summary.
    Scan {
        /// The grouping.
        by: GroupBy,
        /// Output format.
        format: Format,
    },
    /// One row per trace.
    Requests {
        /// Output format.
        format: Format,
    },
    /// Follow live shares: each new trace as it lands, and the summary at the end.
    Watch(crate::watch::Options),
    /// One trace in depth.
    Show {
        /// Print every event, verbose ones included.
        all: bool,
        /// Folder of neighbouring traces for the cross-trace rules.
        context: Option<PathBuf>,
    },
}

/// A path to read, as the user gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Root {
    /// A folder, walked recursively for `fr*.xml`.
    Dir(PathBuf),
    /// One file, read whatever its name.
    File(PathBuf),
    /// A pattern with wildcards (`\\web01\logs$\W3SVC*\fr*.xml`).
    Pattern(String),
}

/// Everything a run needs, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The subcommand and its options.
    pub command: Command,
    /// Where the traces are.
    pub roots: Vec<Root>,
    /// Which traces to report on.
    pub filters: Filters,
    /// Timeouts and windows of the diagnosis.
    pub diagnosis: diagnose::Options,
    /// Reader threads.
    pub threads: usize,
    /// Name every skipped file, not only the first ones.
    pub verbose: bool,
    /// Colours on the terminal.
    pub color: bool,
    /// A progress bar on stderr (only ever drawn on a terminal).
    pub progress: bool,
    /// Print files, bytes, throughput and time per phase.
    pub stats: bool,
    /// Write every skipped file as CSV to this file.
    pub skipped_csv: Option<PathBuf>,
    /// The rescan cache's folder; `None`: no cache.
    pub cache: Option<PathBuf>,
}

/// The default reader threads: reading traces waits on the network more than on the CPU, so
/// many more threads than cores keep requests in flight. Measured on a simulated SMB share
/// (`benches/share.sh`, 110 MB/s): at a 10 ms round trip 64 threads read within 3 % of the
/// bandwidth floor where 32 took 23 % longer; at 1 ms both are within 5 %. On a local disk
/// with a warm cache the extra threads cost about 20 MiB of read buffers and no time.
pub fn default_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    (cores * 4).clamp(64, 256)
}

const DURATION_ACCEPTED: &str =
    "use seconds (30, 30s), minutes (2m), hours (1h) or an IIS time span (00:02:00)";

/// Parses `30s`, `2m`, `120`, `1h` or `00:02:00`.
pub fn parse_duration(flag: &'static str, text: &str) -> Result<Duration, ConfigError> {
    let invalid = || ConfigError::InvalidFilter {
        flag,
        value: text.to_owned(),
        expected: DURATION_ACCEPTED.to_owned(),
    };
    let text = text.trim();
    if text.contains(':') {
        let parts: Vec<&str> = text.split(':').collect();
        let [h, m, s] = parts.as_slice() else {
            return Err(invalid());
        };
        let (h, m): (u64, u64) = (
            h.parse().map_err(|_| invalid())?,
            m.parse().map_err(|_| invalid())?,
        );
        let s: f64 = s.parse().map_err(|_| invalid())?;
        if m >= 60 || !(0.0..60.0).contains(&s) {
            return Err(invalid());
        }
        return Ok(Duration::from_secs(h * 3600 + m * 60) + Duration::from_secs_f64(s));
    }
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: f64 = number.parse().map_err(|_| invalid())?;
    let scale = match unit {
        "" | "s" => 1.0,
        "ms" => 0.001,
        "m" => 60.0,
        "h" => 3600.0,
        _ => return Err(invalid()),
    };
    Duration::try_from_secs_f64(n * scale).map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(
            parse_duration("--x", "30s").unwrap(),
            Duration::from_secs(30)
        );
        assert_eq!(
            parse_duration("--x", "120").unwrap(),
            Duration::from_secs(120)
        );
        assert_eq!(
            parse_duration("--x", "2m").unwrap(),
            Duration::from_secs(120)
        );
        assert_eq!(
            parse_duration("--x", "00:02:00").unwrap(),
            Duration::from_secs(120)
        );
        assert_eq!(
            parse_duration("--x", "1.5s").unwrap(),
            Duration::from_millis(1500)
        );
        for bad in ["", "abc", "2x", "00:61:00", "1:2", "-5s"] {
            let err = parse_duration("--x", bad).unwrap_err();
            assert!(err.to_string().contains("IIS time span"), "{bad}");
        }
    }

    #[test]
    fn default_threads_suit_io() {
        assert!((64..=256).contains(&default_threads()));
    }
}
