//! frebscope reads IIS Failed Request Tracing (FREB) logs in bulk and says, for every failure,
//! whether the worker process, the proxy layer or startup caused it.
//!
//! The pipeline is one module per stage, each usable on its own from tests and benchmarks:
//!
//! 1. [`discover`] turns the paths a user typed (folders, shares, files, patterns) into trace
//!    files, reporting every path it could not read instead of silently finding nothing.
//! 2. [`parse`] reads one trace into a [`model::Trace`] (or, for `show`, a whole
//!    [`parse::full::Document`]).
//! 3. [`diagnose`] gives each failure a [`model::Diagnosis`]: a verdict with evidence, looking
//!    across traces for process restarts and ARR front-end/backend pairs. The rules are
//!    documented in `docs/rules.md`.
//! 4. [`aggregate`] counts and groups failures for the summary.
//! 5. [`report`] writes tables, CSV and JSON behind one [`report::Reporter`] trait;
//!    [`show`] prints one trace in depth.
//!
//! ```no_run
//! use std::path::Path;
//! use frebscope::{diagnose, parse};
//!
//! let trace = parse::parse_file(Path::new("fr000001.xml"), &|_| true)?;
//! let diagnosis = diagnose::diagnose(&[trace], &diagnose::Options::default()).remove(0);
//! println!("{} ({}): {}", diagnosis.verdict, diagnosis.rule, diagnosis.evidence);
//! # Ok::<(), frebscope::error::FileError>(())
//! ```
//!
//! The command line is built on the same stages: [`config`] holds its validated form, one
//! configuration per command; [`filter`] and [`duration`] read the values of its options;
//! [`run`] wires the stages together. [`error`] holds the error types of all of them.
//! [`cache`] keeps what each trace yielded, so that rescans read only what changed, and
//! [`watch`] follows live shares, diagnosing each new trace as it lands.

#![warn(missing_docs, unreachable_pub)]

pub mod aggregate;
pub mod cache;
mod codes;
pub mod compact;
pub mod config;
pub mod diagnose;
pub mod discover;
pub mod duration;
pub mod error;
mod event_names;
pub mod events;
pub mod filter;
pub mod iis;
pub mod model;
pub mod overview;
pub mod parse;
pub mod report;
pub mod run;
mod sanitize;
pub mod shell;
pub mod show;
pub mod storage;
pub mod timeline;
pub mod watch;

pub use sanitize::TerminalGuard;
