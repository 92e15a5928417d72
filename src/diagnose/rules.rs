//! The verdict rules R1–R21 and R20a, one function per rule, in table order: the first that
//! matches decides.
//!
//! Each rule needs specific evidence and says `None` without it, so a failure nobody can
//! explain ends at R21 as `unknown` instead of getting a plausible but wrong verdict. Rules
//! built on inferred or unsourced facts lower their confidence and say "likely".
//! `docs/rules.md` documents every rule: what it reads, why, its confidence and its sources;
//! change it with the rule.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::Options;
use super::event_join::{self as ej, EventIndex, PoolGuess};
use super::evidence as ev;
use super::generations::ProcessInfo;
use crate::model::{ArrRoute, Confidence, ErrorCode, Status, Trace, Verdict};

/// Everything a rule may look at for one trace.
pub(super) struct Facts<'a> {
    /// The trace being judged.
    pub trace: &'a Trace,
    /// Where it sits in its worker process's life.
    pub process: &'a ProcessInfo,
    /// The ARR backend's trace of the same request, when the inputs hold it.
    pub backend: Option<Linked<'a>>,
    /// The timeouts to compare with.
    pub options: &'a Options,
    /// The servers' event logs, by server (empty without `--events`).
    pub events: &'a EventIndex<'a>,
    /// Which pool an ARR front end's backend request went to, when no backend trace says.
    pub pools: Option<&'a PoolGuess>,
}

/// A linked trace with its own process facts.
#[derive(Clone, Copy)]
pub(super) struct Linked<'a> {
    /// The backend trace.
    pub trace: &'a Trace,
    /// Its process facts.
    pub process: &'a ProcessInfo,
}

/// What a matching rule concluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Finding {
    /// The verdict.
    pub verdict: Verdict,
    /// How sure the rule is.
    pub confidence: Confidence,
    /// The sentence to print.
    pub evidence: String,
    /// The linked trace used, if any.
    pub linked_file: Option<PathBuf>,
}

impl Finding {
    fn new(verdict: Verdict, confidence: Confidence, evidence: String) -> Self {
        Finding {
            verdict,
            confidence,
            evidence,
            linked_file: None,
        }
    }

    fn linked(mut self, linked: &Trace) -> Self {
        self.linked_file = Some(linked.file.clone());
        self
    }
}

/// A rule: its result for a trace, `None` when its conditions do not all hold.
pub(super) type Rule = fn(&Facts) -> Option<Finding>;

/// The rules in the order they are tried.
pub(super) const RULES: &[(&str, Rule)] = &[
    ("R1", r1_warmup_request),
    ("R2", r2_application_failed_to_start),
    ("R3", r3_startup_time_limit),
    ("R4", r4_ancm_request_timeout),
    ("R5", r5_ancm_cannot_connect),
    ("R6", r6_ancm_backend_aborted),
    ("R7", r7_ancm_forwarder_defect),
    ("R8", r8_arr_timeout),
    ("R9", r9_arr_cannot_reach_backend),
    ("R10", r10_arr_backend_aborted),
    ("R11", r11_arr_no_server),
    ("R12", r12_arr_other_failure),
    ("R13", r13_cgi_failure),
    ("R14", r14_fastcgi),
    ("R15", r15_iisnode),
    ("R16", r16_url_rewrite_error),
    ("R17", r17_application_restarting),
    ("R18", r18_capacity),
    ("R19", r19_new_process),
    ("R20", r20_configuration),
    ("R20a", r20a_application_error),
    ("R21", r21_unexplained),
];

// Error codes the rules test for.
const WINHTTP_TIMEOUT: u32 = 0x8007_2EE2;
const WINHTTP_CANNOT_CONNECT: u32 = 0x8007_2EFD;
const WINHTTP_CONNECTION_ERROR: u32 = 0x8007_2EFE;
const WINHTTP_INVALID_SERVER_RESPONSE: u32 = 0x8007_2F78;
const INTERNET_CONNECTION_RESET: u32 = 0x8007_2EFF;
const WINHTTP_NAME_NOT_RESOLVED: u32 = 0x8007_2EE7;
const WINHTTP_SECURE_FAILURE: u32 = 0x8007_2F8F;
const CONNECTION_INVALID: u32 = 0x8007_04CD;
const INVALID_ARG: u32 = 0x8007_0057;
const OPERATION_ABORTED: u32 = 0x8007_03E3;

/// R7's "timeTaken small": a forwarder defect fails at once, far from any timeout.
const QUICK_FAILURE_MS: u64 = 10_000;
/// R19: a new process's failure this slow is a cold start rather than a coincidence.
const COLD_START_MIN_MS: u64 = 10_000;
/// FastCGI `activityTimeout` (IIS 7 and 7.5) and `requestTimeout` defaults (R14).
const FASTCGI_TIMEOUTS: [Duration; 3] = [
    Duration::from_secs(30),
    Duration::from_secs(70),
    Duration::from_secs(90),
];
const WARMUP_USER_AGENT: &str = "IIS Application Initialization";

// ---- facts about a trace -------------------------------------------------------------------

/// The status the verdict is about: the root status, or the module's when the root had none.
pub(crate) fn effective_status(trace: &Trace) -> Status {
    match (&trace.error, trace.status.code) {
        (Some(error), 0) => error.status,
        _ => trace.status,
    }
}

fn status_is(trace: &Trace, code: u16, sub: u32) -> bool {
    effective_status(trace) == Status::new(code, sub)
}

fn code_is(trace: &Trace, codes: &[u32]) -> bool {
    trace.error_code().is_some_and(|c| codes.contains(&c.0))
}

fn code_is_zero_or_absent(trace: &Trace) -> bool {
    trace.error_code().is_none_or(ErrorCode::is_success)
}

fn module_is(trace: &Trace, name: &str) -> bool {
    trace.module().eq_ignore_ascii_case(name)
}

fn is_ancm(trace: &Trace) -> bool {
    trace
        .module()
        .to_ascii_lowercase()
        .starts_with("aspnetcoremodule")
}

fn is_http_platform(trace: &Trace) -> bool {
    module_is(trace, "httpPlatformHandler")
}

/// ANCM out-of-process or HttpPlatformHandler: a child process behind a local port.
fn is_process_forwarder(trace: &Trace) -> bool {
    is_ancm(trace) || is_http_platform(trace)
}

fn has_event_prefix(trace: &Trace, prefix: &str) -> bool {
    trace.events.has_prefix(prefix)
}

/// ARR handled the request: it set the error, or its events are in the trace.
fn is_arr(trace: &Trace) -> bool {
    module_is(trace, "ApplicationRequestRouting")
        || (!is_process_forwarder(trace) && has_event_prefix(trace, "ARR_"))
}

fn is_fastcgi(trace: &Trace) -> bool {
    module_is(trace, "FastCgiModule") || has_event_prefix(trace, "FASTCGI_")
}

fn is_iisnode(trace: &Trace) -> bool {
    let status = effective_status(trace);
    module_is(trace, "iisnode") || (matches!(status.code, 500 | 503) && status.sub >= 1000)
}

fn fastcgi_script_error(trace: &Trace) -> bool {
    trace
        .warning
        .as_ref()
        .is_some_and(|w| w.data1.eq_ignore_ascii_case("FASTCGI_RESPONSE_ERROR"))
}

/// How long the proxy waited: from the forward to the error when both are known (the gap that
/// a timeout produces), else the request's whole time; `None` when the trace says neither (a
/// `timeTaken` missing or unparseable is unknown, never 0).
fn waited_ms(trace: &Trace) -> Option<u64> {
    let error_time = trace.error.as_ref().and_then(|e| e.time);
    match (trace.forward_start, error_time) {
        (Some(start), Some(end)) if end >= start => u64::try_from((end - start).num_milliseconds())
            .ok()
            .or(trace.time_taken_ms),
        _ => trace.time_taken_ms,
    }
}

/// "≈T": within ±5 % or ±2 s of T, whichever is wider.
fn approx(actual_ms: u64, target: Duration) -> bool {
    let target_ms = u64::try_from(target.as_millis()).unwrap_or(u64::MAX);
    actual_ms.abs_diff(target_ms) <= tolerance_ms(target_ms)
}

/// At least about T: not shorter than T by more than the "≈" tolerance.
fn at_least_about(actual_ms: u64, target_ms: u64) -> bool {
    actual_ms.saturating_add(tolerance_ms(target_ms)) >= target_ms
}

fn tolerance_ms(target_ms: u64) -> u64 {
    (target_ms / 20).max(2_000)
}

/// A process that replaced another and is still young: the mark of a startup.
fn is_startup_candidate(process: &ProcessInfo, options: &Options) -> bool {
    process.first_for_pid || process.in_startup_window(options.startup_window)
}

/// Lowers the confidence for HttpPlatformHandler: no primary source documents its FREB events.
fn forwarder_confidence(trace: &Trace, confidence: Confidence) -> Confidence {
    if is_http_platform(trace) {
        confidence.max(Confidence::Medium)
    } else {
        confidence
    }
}

/// Medium for a process inferred new from the traces; high when an event proves it.
fn startup_confidence(process: &ProcessInfo) -> Confidence {
    if process.started_after.is_some() {
        Confidence::High
    } else {
        Confidence::Medium
    }
}

/// The trace's own process, for the event logs.
fn own_target(t: &Trace) -> Option<ej::Target<'_>> {
    ej::Target::of(t)
}

/// What the event logs say about the application process behind ANCM at the time of the
/// failure: `Startup` when ANCM started it within `startupTimeLimit` (either side), `Worker`
/// when it or its w3wp died.
fn ancm_events(f: &Facts) -> Option<(Verdict, String)> {
    let target = own_target(f.trace)?;
    if let Some(e) = ej::app_start(f.events, &target, f.options.startup_time_limit) {
        return Some((Verdict::Startup, ej::failure_story(e, &target)));
    }
    ej::app_failure(f.events, &target)
        .or_else(|| ej::worker_failure(f.events, &target))
        .map(|e| (Verdict::Worker, ej::failure_story(e, &target)))
}

/// The backend an ARR failure went to, as the event logs see it: the linked backend trace's
/// process, or else the routed server and the pool its traces of the same path ran in.
fn arr_backend_target<'a>(f: &Facts<'a>) -> Option<(ej::Target<'a>, Option<DateTime<Utc>>)> {
    if let Some(b) = f.backend {
        return ej::Target::of(b.trace).map(|t| (t, None));
    }
    let t = f.trace;
    let start = t.start_time?;
    let server = ej::target_host(t.proxy_target.as_deref()?);
    let pool = f.pools.and_then(|g| g.pool_for(server, &t.url));
    let last_seen = pool.and_then(|p| f.pools?.last_seen_before(server, p, start));
    let target = ej::Target {
        server,
        pool,
        pid: None,
        site_id: None,
        start,
        end: t.end_time.unwrap_or(start).max(start),
    };
    Some((target, last_seen))
}

/// What the backend's event logs say about an ARR failure: its worker process crashed or
/// hung then (`Worker`), or it had been restarted before the request (`Startup`; a restart
/// counts within `restart_window` before the failure, or any time after the pool's last sign
/// of life when the window is `None`).
fn arr_backend_events(
    f: &Facts,
    restart_window: Option<TimeDelta>,
) -> Option<(Verdict, Confidence, String)> {
    if f.events.is_empty() {
        return None;
    }
    let (target, last_seen) = arr_backend_target(f)?;
    if let Some(e) =
        ej::worker_failure(f.events, &target).or_else(|| ej::app_failure(f.events, &target))
    {
        return Some((
            Verdict::Worker,
            Confidence::High,
            ej::failure_story(e, &target),
        ));
    }
    if f.backend.is_some() {
        // A linked backend's own process facts carry its restart.
        return None;
    }
    let from = match restart_window {
        Some(window) => Some(target.start - window),
        None => last_seen,
    };
    let restart = ej::ended_before(f.events, &target, target.start, from)?;
    let recent = target.start - restart.time <= ej::RECENT_RESTART;
    let pool_known = target.pool.is_some();
    let confidence = if recent && pool_known {
        Confidence::High
    } else {
        Confidence::Medium
    };
    let pool = target.pool.map_or_else(
        || " (pool not known from the trace)".to_string(),
        |p| format!(" in pool {p}"),
    );
    Some((
        Verdict::Startup,
        confidence,
        format!("on {}{pool}, {}", target.server, ej::restart_story(restart)),
    ))
}

// ---- the rules -----------------------------------------------------------------------------

/// R1: the Application Initialization warm-up request itself failed.
/// See R1 in docs/rules.md.
fn r1_warmup_request(f: &Facts) -> Option<Finding> {
    let t = f.trace;
    let agent = t.user_agent.as_deref()?;
    if !agent.contains(WARMUP_USER_AGENT) {
        return None;
    }
    Some(Finding::new(
        Verdict::Startup,
        Confidence::High,
        format!(
            "warm-up request (User-Agent \"{agent}\") failed with {} set by {} ({}): the application failed while starting",
            ev::status(effective_status(t), t.module()),
            ev::module(t),
            ev::code(t.error_code()),
        ),
    ))
}

/// R2: the application could not start (ANCM 500.3x/502.5, ANCM start failure, ASP.NET
/// initialization exception).
/// See R2 in docs/rules.md.
fn r2_application_failed_to_start(f: &Facts) -> Option<Finding> {
    let t = f.trace;
    let status = effective_status(t);
    let failure = t.ancm_failure.as_deref();
    let ancm_start_status = status.code == 500 && matches!(status.sub, 30..=36 | 38);
    let process_failure = status == Status::new(502, 5) && !is_arr_module_only(t);
    let aspnet_init = module_is(t, "AspNetInitializationExceptionModule");
    let (reason, confidence) = if ancm_start_status || process_failure {
        (ev::status(status, t.module()), Confidence::High)
    } else if failure.is_some() || t.has_event("ANCM_START_APPLICATION_FAIL") {
        ("ANCM_START_APPLICATION_FAIL".to_string(), Confidence::High)
    } else if aspnet_init {
        (
            format!("{status} set by AspNetInitializationExceptionModule"),
            Confidence::High,
        )
    } else if status == Status::new(500, 0) && is_ancm(t) && !ancm_executed_request(t) {
        handler_load_failure(t)?
    } else {
        return None;
    };
    // ANCM's own description, else the exception of the error page classic ASP.NET writes.
    let detail = failure
        .map(str::trim)
        .or(t.exception.as_deref().filter(|_| aspnet_init))
        .map_or_else(String::new, |d| format!(": \"{d}\""));
    if let Some(seen) = ancm_start_failure_event(f, status) {
        return Some(Finding::new(
            Verdict::Startup,
            Confidence::High,
            format!(
                "{reason}{detail}, {}; {seen}: the application failed to start (usually deterministic)",
                ev::code(t.error_code()),
            ),
        ));
    }
    let events = if aspnet_init {
        "the ASP.NET events (source ASP.NET 4.0.30319.0)"
    } else if is_http_platform(t) {
        "the process's stdout log (httpPlatform@stdoutLogEnabled) and the Application events"
    } else {
        "the ANCM events 1000/1007/1010"
    };
    Some(Finding::new(
        Verdict::Startup,
        confidence,
        format!(
            "{reason}{detail}, {}: the application failed to start (usually deterministic); see {events} in the Application log on {}",
            ev::code(t.error_code()),
            t.server
        ),
    ))
}

/// The ANCM event that says why the application did not start: 1000/1020 for a 502.5,
/// 1010 (and the in-process start failures) for a 500.0/500.3x.
fn ancm_start_failure_event(f: &Facts, status: Status) -> Option<String> {
    let target = own_target(f.trace)?;
    let ids: &[u32] = if status == Status::new(502, 5) {
        &[1000, 1020]
    } else {
        &[1010, 1007, 1008, 1009, 1029, 1031]
    };
    let limit = f.options.startup_time_limit;
    let event = ej::app_start_failure(f.events, &target, ids, limit)?;
    Some(ej::failure_story(event, &target))
}

/// A 502.5 is ARR's WebSocket failure only when ARR set it (HSC lists 502.5 under both ARR and
/// ANCM; see R2 and R12 in docs/rules.md).
fn is_arr_module_only(trace: &Trace) -> bool {
    is_arr(trace) && !is_ancm(trace)
}

/// ANCM ran the request in the application: not a handler that failed to load.
fn ancm_executed_request(trace: &Trace) -> bool {
    trace.has_event("ANCM_INPROC_EXECUTE_REQUEST_START")
        || trace.has_event("ANCM_REQUEST_FORWARD_START")
        || trace.forward_start.is_some()
}

/// ANCM 500.0: a load failure for sure with an HRESULT; with code 0 the application may have
/// chosen the 500 itself, so only "likely".
fn handler_load_failure(t: &Trace) -> Option<(String, Confidence)> {
    let meaning = ev::status(Status::new(500, 0), t.module());
    if code_is_zero_or_absent(t) {
        Some((
            format!("likely {meaning} (ErrorCode 0 and no request execution in the trace)"),
            Confidence::Medium,
        ))
    } else {
        Some((meaning, Confidence::High))
    }
}

/// R3: ANCM 500.37, the application did not start within `startupTimeLimit`.
/// See R3 in docs/rules.md.
fn r3_startup_time_limit(f: &Facts) -> Option<Finding> {
    let t = f.trace;
    if !status_is(t, 500, 37) {
        return None;
    }
    Some(Finding::new(
        Verdict::Startup,
        Confidence::High,
        format!(
            "{} after {} (startupTimeLimit {}): a cold start took longer than ANCM allows",
            ev::status(effective_status(t), t.module()),
            ev::took(t.time_taken_ms),
            ev::duration(f.options.startup_time_limit),
        ),
    ))
}

/// R4: ANCM/HttpPlatformHandler waited `requestTimeout` for the application.
/// See R4 in docs/rules.md.
fn r4_ancm_request_timeout(f: &Facts) -> Option<Finding> {
    let t = f.trace;
    if !(is_process_forwarder(t) && status_is(t, 502, 3) && code_is(t, &[WINHTTP_TIMEOUT])) {
        return None;
    }
    // Without the time waited, nothing says the timeout was reached.
    let waited = waited_ms(t)?;
    if !approx(waited, f.options.ancm_request_timeout) {
        return None;
    }
    let facts = format!(
        "{} waited {} ≈ requestTimeout {} ({})",
        ev::module(t),
        ev::seconds(waited),
        ev::duration(f.options.ancm_request_timeout),
        ev::code(t.error_code()),
    );
    let started_app = t.has_event("ANCM_START_APPLICATION_SUCCESS");
    if !started_app && let Some((verdict, seen)) = ancm_events(f) {
        let reading = if verdict == Verdict::Startup {
            "a cold start that outlasted requestTimeout"
        } else {
            "the application process hung or died"
        };
        return Some(Finding::new(
            verdict,
            Confidence::High,
            format!("{facts}; {seen}: {reading}"),
        ));
    }
    if started_app || is_startup_candidate(f.process, f.options) {
        let why = if started_app {
            "ANCM started the application in this request".to_string()
        } else {
            ev::process_story(t, f.process)
        };
        let confidence = if started_app {
            Confidence::Medium
        } else {
            startup_confidence(f.process)
        };
        return Some(Finding::new(
            Verdict::Startup,
            confidence,
            format!("{facts}; {why}: likely a cold start that outlasted requestTimeout"),
        ));
    }
    Some(Finding::new(
        Verdict::Worker,
        forwarder_confidence(t, Confidence::High),
        format!(
            "{facts}; {}: the application hung or was too slow",
            ev::process_story(t, f.process)
        ),
    ))
}

/// R5: ANCM/HttpPlatformHandler could not connect to its backend process.
/// See R5 in docs/rules.md.
fn r5_ancm_cannot_connect(f: &Facts) -> Option<Finding> {
    let t = f.trace;
    if !(is_process_forwarder(t) && status_is(t, 502, 3) && code_is(t, &[WINHTTP_CANNOT_CONNECT])) {
        return None;
    }
    let facts = format!(
        "{} could not connect to the application process ({}) after {}; {}",
        ev::module(t),
        ev::code(t.error_code()),
        ev::took(waited_ms(t)),
        ev::process_story(t, f.process),
    );
    // As in R4: a trace holding ANCM_START_APPLICATION_SUCCESS shows the process being
    // started for this very request, whatever the other traces say.
    if t.has_event("ANCM_START_APPLICATION_SUCCESS") {
        return Some(Finding::new(
            Verdict::Startup,
            Confidence::Medium,
            format!(
                "{facts}; ANCM started the application in this request: likely it was not listening yet"
            ),
        ));
    }
    if let Some((verdict, seen)) = ancm_events(f) {
        let reading = if verdict == Verdict::Startup {
            "the application was not listening yet while it started"
        } else {
            "the application process was down"
        };
        return Some(Finding::new(
            verdict,
            Confidence::High,
            format!("{facts}; {seen}: {reading}"),
        ));
    }
    if is_startup_candidate(f.process, f.options) {
        return Some(Finding::new(
            Verdict::Startup,
            startup_confidence(f.process),
            format!("{facts}: likely the application was not listening yet after a restart"),
        ));
    }
    Some(Finding::new(
        Verdict::Worker,
        Confidence::Medium,
        format!(
            "{facts}: likely the application process was down or had crashed; {}",
            crash_events(t)
        ),
    ))
}

/// Where the crash of a forwarder's child process is recorded.
fn crash_events(t: &Trace) -> &'static str {
    if is_http_platform(t) {
        "check the process's stdout log (httpPlatform@stdoutLogFile) and Application Error events in the Application log"
    } else {
        "check ANCM events 1030 (V2) / 1002 (V1) and Application Error 1000 in the Application log"
    }
}

/// R6: the backend process closed the connection or answered garbage mid-request.
/// See R6 in docs/rules.md.
fn r6_ancm_backend_aborted(f: &Facts) -> Option<Finding> {
    let t = f.trace;
    let codes = [
        WINHTTP_CONNECTION_ERROR,
        WINHTTP_INVALID_SERVER_RESPONSE,
        INTERNET_CONNECTION_RESET,
    ];
    if !(is_process_forwarder(t) && status_is(t, 502, 3) && code_is(t, &codes)) {
        return None;
    }
    let lost = format!(
        "{} lost the application process mid-request ({}) after {}",
        ev::module(t),
        ev::code(t.error_code()),
        ev::took(waited_ms(t)),
    );
    let seen = own_target(t).and_then(|target| {
        ej::app_failure(f.events, &target)
            .or_else(|| ej::worker_failure(f.events, &target))
            .map(|e| ej::failure_story(e, &target))
    });
    let look = if is_http_platform(t) {
        "look for Application Error 1000 for the process httpPlatform@processPath names"
    } else {
        "look for ANCM event 1030 (V2) / 1002 (V1) or Application Error 1000 for dotnet.exe"
    };
    let evidence = match seen {
        Some(seen) => format!("{lost}; {seen}: the application process crashed"),
        None => format!("{lost}: it closed the connection or crashed; {look}"),
    };
    Some(Finding::new(
        Verdict::Worker,
        forwarder_confidence(t, Confidence::High),
        evidence,
    ))
}

/// R7: ANCM's own forwarding failed at once (client abort class, ANCM defects).
/// See R7 in docs/rules.md.
fn r7_ancm_forwarder_defect(f: &Facts) -> Option<Finding> {
    let t = f.trace;
    let codes = [CONNECTION_INVALID, INVALID_ARG, OPERATION_ABORTED];
    if !(is_ancm(t) && status_is(t, 502, 3) && code_is(t, &codes)) {
        return None;
    }
    // A failure is quick only when the trace says how long it took.
    let waited = waited_ms(t)?;
    if waited >= QUICK_FAILURE_MS {
        return None;
    }
    Some(Finding::new(
        Verdict::Proxy,
        Confidence::Low,
        format!(
            "{} failed forwarding after {} ({}): likely a forwarder or client-abort problem, not the application (the backend may have logged 200); consider upgrading ANCM",
            ev::module(t),
            ev::seconds(waited),
            ev::code(t.error_code()),
        ),
    ))
}

fn is_arr_502_3(t: &Trace) -> bool {
    is_arr(t) && status_is(t, 502, 3)
}

/// R8: ARR's timeout expired; the backend's trace, when linked, says why.
/// See R8 in docs/rules.md.
fn r8_arr_timeout(f: &Facts) -> Option<Finding> {
    let t = f.trace;
    if !(is_arr_502_3(t) && code_is(t, &[WINHTTP_TIMEOUT])) {
        return None;
    }
    // Without the time waited, no timeout can be matched.
    let waited = waited_ms(t)?;
    let timeout = arr_timeout_matching(t, waited, f.options)?;
    let facts = format!(
        "ARR gave up on {} after {} ≈ {} ({})",
        ev::target(t),
        ev::seconds(waited),
        timeout,
        ev::code(t.error_code()),
    );
    if let Some((verdict, confidence, seen)) = arr_backend_events(f, None) {
        let reading = if verdict == Verdict::Startup {
            "the backend was starting"
        } else {
            "the backend's worker process failed"
        };
        let mut finding = Finding::new(verdict, confidence, format!("{facts}; {seen}: {reading}"));
        if let Some(b) = f.backend {
            finding = finding.linked(b.trace);
        }
        return Some(finding);
    }
    Some(match f.backend {
        Some(backend) => arr_timeout_with_backend(f, backend, facts, waited),
        None => Finding::new(
            Verdict::Proxy,
            Confidence::High,
            format!(
                "{facts}: the ARR timeout is shorter than the backend's execution time{}",
                log_id_note(t)
            ),
        ),
    })
}

/// The ARR timeout that a wait matches, named: the farm's when ARR routed to a farm, the
/// server-level `proxy@timeout` for a plain URL, either when the trace does not say.
fn arr_timeout_matching(t: &Trace, waited: u64, options: &Options) -> Option<String> {
    let farm = || {
        approx(waited, options.farm_timeout).then(|| {
            format!(
                "the farm's protocol@timeout {}",
                ev::duration(options.farm_timeout)
            )
        })
    };
    let proxy = || {
        approx(waited, options.proxy_timeout).then(|| {
            format!(
                "system.webServer/proxy@timeout {}",
                ev::duration(options.proxy_timeout)
            )
        })
    };
    match &t.arr_route {
        Some(ArrRoute::Farm { .. }) => farm(),
        Some(ArrRoute::Direct) => proxy(),
        None => farm().or_else(proxy),
    }
}

fn log_id_note(t: &Trace) -> String {
    t.arr_log_id_forwarded
        .as_deref()
        .map_or_else(String::new, |id| {
            format!(" (no backend trace with X-ARR-LOG-ID {id} in the inputs)")
        })
}

/// R8 with the backend's trace: a slow new process is a cold start, a slow old one a slow
/// application; a quick backend leaves the blame with the proxy path.
fn arr_timeout_with_backend(f: &Facts, b: Linked, facts: String, waited: u64) -> Finding {
    let backend = format!(
        "backend trace {} took {} ({})",
        ev::file_name(b.trace),
        ev::took(b.trace.time_taken_ms),
        ev::process_story(b.trace, b.process),
    );
    // A backend time that cannot be read says neither slow nor quick: no verdict is made up.
    let Some(backend_ms) = b.trace.time_taken_ms else {
        return Finding::new(
            Verdict::Unknown,
            Confidence::Low,
            format!(
                "{facts}; {backend}: whether the backend was slower than the ARR timeout is unknown"
            ),
        )
        .linked(b.trace);
    };
    let slow = at_least_about(backend_ms, waited);
    let (verdict, reading) = if slow && is_startup_candidate(b.process, f.options) {
        (
            Verdict::Startup,
            "a cold start of the backend outlasted the ARR timeout",
        )
    } else if slow {
        (
            Verdict::Worker,
            "the backend application was slower than the ARR timeout",
        )
    } else {
        (
            Verdict::Proxy,
            "the backend finished sooner, so the time was lost between ARR and the backend",
        )
    };
    let confidence = if verdict == Verdict::Startup {
        startup_confidence(b.process)
    } else {
        Confidence::Medium
    };
    Finding::new(
        verdict,
        confidence,
        format!("{facts}; {backend}: {reading}"),
    )
    .linked(b.trace)
}

/// R9: ARR could not reach the backend at all (connect, DNS, TLS).
/// See R9 in docs/rules.md.
fn r9_arr_cannot_reach_backend(f: &Facts) -> Option<Finding> {
    let t = f.trace;
    let codes = [
        WINHTTP_CANNOT_CONNECT,
        WINHTTP_NAME_NOT_RESOLVED,
        WINHTTP_SECURE_FAILURE,
    ];
    if !(is_arr_502_3(t) && code_is(t, &codes)) {
        return None;
    }
    let action = match t.error_code().map(|c| c.0) {
        Some(WINHTTP_NAME_NOT_RESOLVED) => "could not resolve",
        Some(WINHTTP_SECURE_FAILURE) => "could not set up TLS with",
        _ => "could not connect to",
    };
    let window = TimeDelta::from_std(f.options.startup_window).unwrap_or(TimeDelta::MAX);
    if let Some((verdict, confidence, seen)) = arr_backend_events(f, Some(window)) {
        let reading = if verdict == Verdict::Startup {
            "the backend was restarting"
        } else {
            "the backend's worker process failed"
        };
        return Some(Finding::new(
            verdict,
            confidence,
            format!(
                "ARR {action} {} ({}) after {}; {seen}: {reading}",
                ev::target(t),
                ev::code(t.error_code()),
                ev::took(waited_ms(t)),
            ),
        ));
    }
    Some(Finding::new(
        Verdict::Proxy,
        Confidence::High,
        format!(
            "ARR {action} {} ({}) after {}: nothing answered at the configured address (backend down, wrong host or port, firewall, certificate)",
            ev::target(t),
            ev::code(t.error_code()),
            ev::took(waited_ms(t)),
        ),
    ))
}

/// R10: the backend aborted the connection or sent an invalid response.
/// See R10 in docs/rules.md.
fn r10_arr_backend_aborted(f: &Facts) -> Option<Finding> {
    let t = f.trace;
    if !(is_arr_502_3(t)
        && code_is(
            t,
            &[WINHTTP_CONNECTION_ERROR, WINHTTP_INVALID_SERVER_RESPONSE],
        ))
    {
        return None;
    }
    let mut base = format!(
        "{} aborted the connection or sent an invalid response to ARR ({}) after {}: the backend closed mid-request or crashed",
        ev::target(t),
        ev::code(t.error_code()),
        ev::took(waited_ms(t)),
    );
    if let Some((Verdict::Worker, _, seen)) = arr_backend_events(f, Some(TimeDelta::zero())) {
        base = format!("{base}; {seen}");
    }
    Some(match f.backend {
        Some(b) => Finding::new(
            Verdict::Worker,
            Confidence::High,
            format!(
                "{base}; backend trace {} ended with {} after {}",
                ev::file_name(b.trace),
                effective_status(b.trace),
                ev::took(b.trace.time_taken_ms)
            ),
        )
        .linked(b.trace),
        None => Finding::new(Verdict::Worker, Confidence::High, base),
    })
}

/// R11: ARR had no healthy server to send the request to.
/// See R11 in docs/rules.md.
fn r11_arr_no_server(f: &Facts) -> Option<Finding> {
    let t = f.trace;
    if !status_is(t, 502, 4) {
        return None;
    }
    let status = ev::status(effective_status(t), t.module());
    if is_startup_candidate(f.process, f.options) {
        return Some(Finding::new(
            Verdict::Startup,
            Confidence::Medium,
            format!(
                "{status}; {}: likely the ARR pool itself had just restarted and not yet marked the farm healthy",
                ev::process_story(t, f.process)
            ),
        ));
    }
    Some(Finding::new(
        Verdict::Proxy,
        Confidence::High,
        format!("{status}: every farm member was offline or unhealthy"),
    ))
}

/// R12: ARR's other failures (map, WebSocket, forward, execute).
/// See R12 in docs/rules.md.
fn r12_arr_other_failure(f: &Facts) -> Option<Finding> {
    let t = f.trace;
    let status = effective_status(t);
    let arr_number = (status == Status::new(502, 2) || status == Status::new(502, 5)) && is_arr(t);
    if !(arr_number || status == Status::new(502, 6) || status == Status::new(502, 7)) {
        return None;
    }
    Some(Finding::new(
        Verdict::Proxy,
        Confidence::High,
        format!(
            "{} set by {} ({}): ARR failed to route or forward the request",
            ev::status(status, "ApplicationRequestRouting"),
            ev::module(t),
            ev::code(t.error_code()),
        ),
    ))
}

/// R13: a CGI program timed out or exited before answering.
/// See R13 in docs/rules.md.
fn r13_cgi_failure(f: &Facts) -> Option<Finding> {
    let t = f.trace;
    let status = effective_status(t);
    if !(module_is(t, "CgiModule") && status.code == 502 && matches!(status.sub, 1 | 2)) {
        return None;
    }
    Some(Finding::new(
        Verdict::Worker,
        Confidence::High,
        format!(
            "{} after {} ({}): the CGI program timed out or exited early",
            ev::status(status, t.module()),
            ev::took(t.time_taken_ms),
            ev::code(t.error_code()),
        ),
    ))
}

/// R14: FastCGI started a new child for this request, or the child never answered.
/// See R14 in docs/rules.md.
fn r14_fastcgi(f: &Facts) -> Option<Finding> {
    let t = f.trace;
    if !is_fastcgi(t) || t.error.is_none() {
        return None;
    }
    // A script that wrote an error to stderr failed by itself (R20a), even in a new child.
    if t.fastcgi_new_process == Some(true) && !fastcgi_script_error(t) {
        return Some(Finding::new(
            Verdict::Startup,
            Confidence::Medium,
            format!(
                "FastCGI started a new child process for this request (IsNewProcess=true) and the request failed with {} after {}: likely the child failed while starting",
                effective_status(t),
                ev::took(t.time_taken_ms),
            ),
        ));
    }
    let waiting = t.has_event("FASTCGI_WAITING_FOR_RESPONSE");
    let taken = t.time_taken_ms?;
    let timeout = FASTCGI_TIMEOUTS.iter().find(|&&d| approx(taken, d))?;
    if !waiting {
        return None;
    }
    Some(Finding::new(
        Verdict::Worker,
        Confidence::Medium,
        format!(
            "FastCGI waited for the child's response and the request failed with {} after {} ≈ a FastCGI default timeout of {}: likely the script hung",
            effective_status(t),
            ev::took(t.time_taken_ms),
            ev::duration(*timeout),
        ),
    ))
}

/// R15: iisnode's own substatus codes.
/// See R15 in docs/rules.md.
fn r15_iisnode(f: &Facts) -> Option<Finding> {
    let t = f.trace;
    if !is_iisnode(t) {
        return None;
    }
    let status = effective_status(t);
    let text = format!(
        "{} ({})",
        ev::status(status, "iisnode"),
        ev::code(t.error_code())
    );
    match (status.code, status.sub) {
        (503, 1001) => Some(Finding::new(
            Verdict::Startup,
            Confidence::High,
            format!("{text}: the application was recycling"),
        )),
        (500, 1000) if f.process.first_for_pid => Some(Finding::new(
            Verdict::Startup,
            Confidence::Medium,
            format!(
                "{text}; {}: likely node.exe failed while starting",
                ev::process_story(t, f.process)
            ),
        )),
        (500, 1002 | 1004..=1018) => Some(Finding::new(
            Verdict::Worker,
            Confidence::High,
            format!("{text}: node.exe crashed or broke the pipe"),
        )),
        (503, 1000 | 1003) => Some(Finding::new(
            Verdict::Worker,
            Confidence::High,
            format!("{text}: node.exe was overloaded"),
        )),
        _ => None,
    }
}

/// R16: a URL Rewrite rule or its configuration failed.
/// See R16 in docs/rules.md.
fn r16_url_rewrite_error(f: &Facts) -> Option<Finding> {
    let t = f.trace;
    let status = effective_status(t);
    if !(status.code == 500 && (50..=53).contains(&status.sub)) {
        return None;
    }
    Some(Finding::new(
        Verdict::Proxy,
        Confidence::High,
        format!(
            "{} set by {} ({}): a URL Rewrite rule or its configuration failed",
            ev::status(status, t.module()),
            ev::module(t),
            ev::code(t.error_code()),
        ),
    ))
}

/// R17: the application was shutting down or restarting when the request came.
/// See R17 in docs/rules.md.
fn r17_application_restarting(f: &Facts) -> Option<Finding> {
    let t = f.trace;
    let status = effective_status(t);
    let restarting = status == Status::new(500, 11) || status == Status::new(500, 12);
    let shutdown_event = t.has_event("ANCM_INPROC_REQUEST_SHUTDOWN");
    if !(restarting || shutdown_event) {
        return None;
    }
    let what = if restarting {
        ev::status(status, t.module())
    } else {
        format!("{status} with ANCM_INPROC_REQUEST_SHUTDOWN")
    };
    let recycle = own_target(t).and_then(|target| {
        ej::recycle_near(f.events, &target).map(|e| ej::failure_story(e, &target))
    });
    if let Some(seen) = recycle {
        return Some(Finding::new(
            Verdict::Startup,
            Confidence::High,
            format!("{what}; {seen}: the application was shutting down or restarting (recycle)"),
        ));
    }
    Some(Finding::new(
        Verdict::Startup,
        Confidence::High,
        format!(
            "{what}: the application was shutting down or restarting (recycle); look for WAS events 5074–5080/5117 on {}",
            t.server
        ),
    ))
}

/// R18: the pool or a queue was full.
/// See R18 in docs/rules.md.
fn r18_capacity(f: &Facts) -> Option<Finding> {
    let t = f.trace;
    let status = effective_status(t);
    if !(status.code == 503 && (2..=4).contains(&status.sub)) {
        return None;
    }
    Some(Finding::new(
        Verdict::Worker,
        Confidence::High,
        format!(
            "{}: the worker process could not take more requests",
            ev::status(status, t.module())
        ),
    ))
}

/// R19: any other failure, slow, early in a process that replaced another: a cold start.
/// See R19 in docs/rules.md.
fn r19_new_process(f: &Facts) -> Option<Finding> {
    let t = f.trace;
    if !is_startup_candidate(f.process, f.options) {
        return None;
    }
    // A fast failure counts when WAS ended the previous process just before it.
    let recent_restart = f.process.started_after.as_ref().is_some_and(|e| {
        t.start_time
            .is_some_and(|start| start - e.time <= ej::RECENT_RESTART)
    });
    // Slow only when the trace says so: an unknown time is not a short one, nor a long one.
    let slow = t.time_taken_ms.is_some_and(|ms| ms >= COLD_START_MIN_MS);
    if !slow && !recent_restart {
        return None;
    }
    let reading = match &f.process.started_after {
        Some(event) => format!("a cold start after the {}", event.kind),
        None => "likely a cold start after an idle shutdown, recycle or crash".to_string(),
    };
    Some(Finding::new(
        Verdict::Startup,
        startup_confidence(f.process),
        format!(
            "{}; {} set by {} took {}: {reading}",
            ev::process_story(t, f.process),
            effective_status(t),
            ev::module(t),
            ev::took(t.time_taken_ms),
        ),
    ))
}

/// R20: IIS configuration rejected the request before the application ran.
/// See R20 in docs/rules.md.
fn r20_configuration(f: &Facts) -> Option<Finding> {
    let t = f.trace;
    let status = effective_status(t);
    let config_status = status.code == 500 && matches!(status.sub, 19 | 21..=24);
    let exception = t
        .error
        .as_ref()
        .map(|e| e.config_exception.trim())
        .filter(|e| !e.is_empty());
    if !config_status && exception.is_none() {
        return None;
    }
    let detail = exception
        .or(t.error_description.as_deref().map(str::trim))
        .map_or_else(String::new, |d| format!(": \"{d}\""));
    let confidence = if config_status {
        Confidence::High
    } else {
        Confidence::Medium
    };
    Some(Finding::new(
        Verdict::Config,
        confidence,
        format!(
            "{} set by {} ({}){detail}",
            ev::status(status, t.module()),
            ev::module(t),
            ev::code(t.error_code()),
        ),
    ))
}

/// Modules that run the application itself: an error they set with code 0 is the
/// application's own.
const APPLICATION_HANDLERS: [&str; 5] = [
    "ManagedPipelineHandler",
    "IsapiModule",
    "FastCgiModule",
    "CgiModule",
    "iisnode",
];

/// R20a: the application failed or chose the status itself.
/// See R20a in docs/rules.md.
fn r20a_application_error(f: &Facts) -> Option<Finding> {
    let t = f.trace;
    if fastcgi_script_error(t) || application_handler_error(t) {
        return Some(Finding::new(
            Verdict::Worker,
            Confidence::High,
            format!(
                "{} set by {}{} ({}){}{}: the application failed or chose this status",
                effective_status(t),
                ev::module(t),
                handler_note(t),
                ev::code(t.error_code()),
                warning_note(t),
                exception_note(t),
            ),
        ));
    }
    arr_relayed_backend_error(f)
}

fn application_handler_error(t: &Trace) -> bool {
    if t.error.is_none() || !code_is_zero_or_absent(t) {
        return false;
    }
    let in_process_ancm = is_ancm(t) && !t.has_event("ANCM_REQUEST_FORWARD_START");
    in_process_ancm || APPLICATION_HANDLERS.iter().any(|m| module_is(t, m))
}

fn handler_note(t: &Trace) -> String {
    t.handler
        .as_deref()
        .map_or_else(String::new, |h| format!(" (handler {h})"))
}

/// `; the response names "System.InvalidOperationException: ..."`: the exception of the
/// application's error page, when the trace captured it.
fn exception_note(t: &Trace) -> String {
    t.exception
        .as_deref()
        .map_or_else(String::new, |e| format!("; the response names \"{e}\""))
}

fn warning_note(t: &Trace) -> String {
    let Some(w) = &t.warning else {
        return String::new();
    };
    let first_line = w.data2.lines().map(str::trim).find(|l| !l.is_empty());
    match first_line {
        Some(text) => format!("; {} {}: \"{text}\"", w.module, w.data1),
        None => format!("; {} {}", w.module, w.data1),
    }
}

/// ARR relays a backend's own 500 with ErrorCode 0 after the backend's response headers
/// arrived; the backend's application failed. Only 500: a relayed 503 may come from HTTP.sys
/// on the backend (pool stopped), which is not the application.
fn arr_relayed_backend_error(f: &Facts) -> Option<Finding> {
    let t = f.trace;
    let relayed = module_is(t, "ApplicationRequestRouting")
        && code_is_zero_or_absent(t)
        && effective_status(t).code == 500
        && t.has_event("ARR_RESPONSE_HEADERS_START");
    if !relayed {
        return None;
    }
    let base = format!(
        "ARR relayed {} from {} (response headers received, ErrorCode 0): likely the backend application failed{}",
        effective_status(t),
        ev::target(t),
        exception_note(t),
    );
    Some(match f.backend {
        Some(b) => Finding::new(
            Verdict::Worker,
            Confidence::Medium,
            format!("{base}; see backend trace {}", ev::file_name(b.trace)),
        )
        .linked(b.trace),
        None => Finding::new(Verdict::Worker, Confidence::Medium, base),
    })
}

/// R21: nothing above explains the failure.
/// See R21 in docs/rules.md.
fn r21_unexplained(f: &Facts) -> Option<Finding> {
    let t = f.trace;
    Some(Finding::new(
        Verdict::Unknown,
        Confidence::Low,
        format!(
            "{} set by {} ({}) after {}: no rule explains it{}",
            ev::status(effective_status(t), t.module()),
            ev::module(t),
            ev::code(t.error_code()),
            ev::took(t.time_taken_ms),
            timeout_mismatch_note(t, f.options),
        ),
    ))
}

/// A proxy timeout whose wait matches no configured timeout usually means the real timeout
/// differs from the one frebscope was told; say which flag to pass.
fn timeout_mismatch_note(t: &Trace, options: &Options) -> String {
    if !(status_is(t, 502, 3) && code_is(t, &[WINHTTP_TIMEOUT])) {
        return String::new();
    }
    let configured = if is_process_forwarder(t) {
        format!(
            "the {} configured; pass the real value with --ancm-request-timeout",
            ev::duration(options.ancm_request_timeout)
        )
    } else {
        format!(
            "the farm timeout {} or the proxy timeout {} configured; pass the real values with --farm-timeout and --proxy-timeout",
            ev::duration(options.farm_timeout),
            ev::duration(options.proxy_timeout)
        )
    };
    match waited_ms(t) {
        Some(waited) => format!(
            " (a proxy timeout after {} does not match {configured})",
            ev::seconds(waited),
        ),
        None => " (how long the proxy waited is unknown: timeTaken is missing or unparseable)"
            .to_string(),
    }
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
