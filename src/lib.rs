//! frebscope reads IIS Failed Request Tracing (FREB) logs in bulk and says, for every failure,
//! whether the worker process, the proxy layer or startup caused it.
//!
//! The pipeline is one module per stage, each usable on its own from tests and benchmarks:
//!
//! 1. [`discover`] turns the paths a user typed (folders, shares, files, patterns) into trace
//!    files, reporting every path it could not read instead of silently finding nothing.
//! 2. [`parse`] reads one trace into a [`model::Trace`], in parallel over files.
//! 3. [`diagnose`] gives each failure a verdict with evidence, looking across traces for process
//!    restarts and ARR front-end/backend pairs.
//! 4. [`aggregate`] groups failures for the summary.
//! 5. [`report`] writes tables, CSV and JSON.
//!
//! [`run`] wires the stages together for the command line; [`config::Config`] is the validated
//! form of the command line that everything else reads.

pub mod aggregate;
pub mod codes;
pub mod config;
pub mod diagnose;
pub mod discover;
pub mod error;
pub mod event_names;
pub mod filter;
pub mod model;
pub mod parse;
pub mod report;
pub mod run;
pub mod sanitize;
pub mod show;
pub mod synth;
pub mod vt;
