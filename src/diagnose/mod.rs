//! Verdicts: for every failure, which layer caused it, with the evidence.

use std::time::Duration;

use crate::model::{Confidence, Diagnosis, Trace, Verdict};

/// The timeouts the rules compare with; defaults are the documented IIS defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// A failure this soon after a new process's first trace is a startup candidate.
    pub startup_window: Duration,
    /// ARR `system.webServer/proxy@timeout`.
    pub arr_timeout: Duration,
    /// ANCM `aspNetCore@requestTimeout`.
    pub ancm_request_timeout: Duration,
    /// ANCM `aspNetCore@startupTimeLimit`.
    pub startup_time_limit: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            startup_window: Duration::from_secs(120),
            arr_timeout: Duration::from_secs(30),
            ancm_request_timeout: Duration::from_secs(120),
            startup_time_limit: Duration::from_secs(120),
        }
    }
}

/// A configuration change suggested by the verdicts of a run.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Hint {
    /// What was seen, in one line.
    pub title: String,
    /// The setting to change and why.
    pub advice: String,
    /// The appcmd or PowerShell line that changes it.
    pub command: String,
    /// App pools concerned.
    pub app_pools: Vec<String>,
    /// Servers concerned.
    pub servers: Vec<String>,
    /// How many failures led to this hint.
    pub count: usize,
}

/// Diagnoses every trace; the result has one entry per trace, in the same order.
pub fn diagnose(traces: &[Trace], _options: &Options) -> Vec<Diagnosis> {
    traces
        .iter()
        .map(|t| {
            if t.status.is_server_error() {
                Diagnosis {
                    verdict: Verdict::Unknown,
                    rule: "",
                    confidence: Confidence::Low,
                    evidence: String::new(),
                    linked_file: None,
                }
            } else {
                Diagnosis::not_applicable()
            }
        })
        .collect()
}

/// The configuration hints that the diagnoses of a run call for.
pub fn hints(_traces: &[Trace], _diagnoses: &[Diagnosis]) -> Vec<Hint> {
    Vec::new()
}
