//! Error types of the library.
//!
//! A run over a share meets bad files all the time (IIS rotates and truncates traces while they
//! are read, people copy them around), so a file that cannot be read is not a failure of the
//! run: it becomes a [`FileError`] with a [`SkipReason`], is counted in the totals and named on
//! stderr, and the exit code says the run was partial. Only a bad command line or a missing
//! root stops a run ([`ConfigError`]).

use std::io;
use std::path::PathBuf;

use serde::Serialize;
use thiserror::Error;

/// Why a file found by discovery was not analyzed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SkipReason {
    /// The file disappeared between discovery and reading (IIS rotated it away).
    Vanished,
    /// The operating system refused access.
    PermissionDenied,
    /// Any other I/O error while listing or reading.
    Unreadable,
    /// The file has no bytes.
    Empty,
    /// The file is not a FREB trace (no `<failedRequest>` root element).
    NotFreb,
    /// The file is XML-like but broken before any usable part of the trace.
    Malformed,
}

impl SkipReason {
    /// The word used in reports and in `--skipped-csv`.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Vanished => "vanished",
            SkipReason::PermissionDenied => "permission-denied",
            SkipReason::Unreadable => "unreadable",
            SkipReason::Empty => "empty",
            SkipReason::NotFreb => "not-freb",
            SkipReason::Malformed => "malformed",
        }
    }

    /// The reason an I/O error stands for.
    pub fn from_io(err: &io::Error) -> SkipReason {
        match err.kind() {
            io::ErrorKind::NotFound => SkipReason::Vanished,
            io::ErrorKind::PermissionDenied => SkipReason::PermissionDenied,
            _ => SkipReason::Unreadable,
        }
    }
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why the bytes of a file are not a usable trace.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseError {
    /// Zero bytes, or only a byte-order mark.
    #[error("the file is empty")]
    Empty,
    /// Well-formed or not, this is not a FREB trace.
    #[error("not a FREB trace: {0}")]
    NotFreb(String),
    /// The trace is broken before its root element could be read.
    #[error("malformed XML at byte {offset}: {message}")]
    Malformed {
        /// Byte offset in the (decoded) input where reading stopped.
        offset: u64,
        /// What the XML reader said.
        message: String,
    },
    /// Reading failed part way.
    #[error("read failed: {0}")]
    Io(String, SkipReason),
}

impl ParseError {
    /// The skip reason this error is counted under.
    pub fn reason(&self) -> SkipReason {
        match self {
            ParseError::Empty => SkipReason::Empty,
            ParseError::NotFreb(_) => SkipReason::NotFreb,
            ParseError::Malformed { .. } => SkipReason::Malformed,
            ParseError::Io(_, reason) => *reason,
        }
    }

    /// Wraps an I/O error met while reading.
    pub fn io(err: &io::Error) -> ParseError {
        ParseError::Io(err.to_string(), SkipReason::from_io(err))
    }
}

/// A file that was found but not analyzed, with the reason and the details.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
#[error("{}: {reason}: {detail}", path.display())]
pub struct FileError {
    /// The file (or directory) concerned, as found.
    pub path: PathBuf,
    /// The category it is counted under.
    pub reason: SkipReason,
    /// What went wrong, for a person.
    pub detail: String,
}

impl FileError {
    /// A file error from an I/O error.
    pub fn io(path: impl Into<PathBuf>, err: &io::Error) -> FileError {
        FileError {
            path: path.into(),
            reason: SkipReason::from_io(err),
            detail: err.to_string(),
        }
    }

    /// A file error from a parse error.
    pub fn parse(path: impl Into<PathBuf>, err: &ParseError) -> FileError {
        let detail = match err {
            ParseError::Io(message, _) => message.clone(),
            other => other.to_string(),
        };
        FileError {
            path: path.into(),
            reason: err.reason(),
            detail,
        }
    }
}

/// A command line that cannot run. The message says what is accepted.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    /// A filter value that does not parse.
    #[error("invalid {flag} value '{value}': {expected}")]
    InvalidFilter {
        /// The flag, e.g. `--status`.
        flag: &'static str,
        /// What the user typed.
        value: String,
        /// What would have been accepted.
        expected: String,
    },
    /// A root path that does not exist or cannot be read.
    #[error("cannot read {}: {detail}\n  hint: {hint}", path.display())]
    Root {
        /// The path as typed.
        path: PathBuf,
        /// What the operating system said.
        detail: String,
        /// How to fix it.
        hint: String,
    },
    /// Some other invalid combination or value.
    #[error("{0}")]
    Invalid(String),
}
