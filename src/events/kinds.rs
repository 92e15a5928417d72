//! Which records matter, and what each one says: the providers and IDs of `docs/events.md`.
//!
//! WAS puts the pool and the process ID at different positions per event (5186 and the
//! 5074-5078/5117 recycles name the PID first, the crash and hang events the pool first), and
//! only some events name their data, so the position is the rule and the names a check. When
//! an export kept no data (PowerShell's CSV keeps only the message), the quoted values of the
//! English message stand in for them: WAS quotes its parameters in the order of its data.

use super::raw::RawEvent;
use super::{EventKind, ServerEvent};
use crate::model::ErrorCode;

const WAS: [&str; 2] = ["Microsoft-Windows-WAS", "WAS"];
const W3SVC_WP: [&str; 2] = ["Microsoft-Windows-IIS-W3SVC-WP", "W3SVC-WP"];
const ANCM: [&str; 4] = [
    "IIS AspNetCore Module V2",
    "IIS Express AspNetCore Module V2",
    "IIS AspNetCore Module",
    "IIS Express AspNetCore Module",
];
const APPLICATION_ERROR: &str = "Application Error";
const DOTNET_RUNTIME: &str = ".NET Runtime";

/// `WAS`, `ANCM`, `W3SVC-WP` or the provider as written.
pub fn short_provider(provider: &str) -> &str {
    if is_one_of(provider, &WAS) {
        "WAS"
    } else if is_one_of(provider, &W3SVC_WP) {
        "W3SVC-WP"
    } else if is_one_of(provider, &ANCM) {
        "ANCM"
    } else {
        provider
    }
}

fn is_one_of(provider: &str, names: &[&str]) -> bool {
    names.iter().any(|n| provider.eq_ignore_ascii_case(n))
}

/// Where a WAS event keeps its pool and PID.
#[derive(Clone, Copy)]
enum Layout {
    /// Data[0] PID, Data[1] pool.
    PidPool,
    /// Data[0] pool, Data[1] PID.
    PoolPid,
    /// Data[0] pool.
    Pool,
}

/// A WAS event that matters: its kind, data layout and reason.
fn was_event(id: u32) -> Option<(EventKind, Layout, &'static str)> {
    use EventKind::*;
    use Layout::*;
    Some(match id {
        5002 => (RapidFail, Pool, "rapid-fail protection disabled the pool"),
        5009 => (Crash, PoolPid, "terminated unexpectedly"),
        5010 => (Hang, PoolPid, "failed to respond to a ping"),
        5011 => (Crash, PoolPid, "fatal communication error with WAS"),
        5012 => (StartupTimeout, PoolPid, "exceeded the start-up time limit"),
        5013 => (
            ShutdownTimeout,
            PoolPid,
            "exceeded the shut-down time limit",
        ),
        5021 => (ProcessFailed, Pool, "the pool identity is invalid"),
        5022 => (ProcessFailed, Pool, "WAS could not create a worker process"),
        5057 => (
            ProcessFailed,
            Pool,
            "the pool identity is invalid; pool disabled",
        ),
        5059 => (
            ProcessFailed,
            Pool,
            "the process failed to launch; pool disabled",
        ),
        5074 => (Recycle, PidPool, "periodic restart (processing time limit)"),
        5075 => (Recycle, PidPool, "request limit"),
        5076 => (Recycle, PidPool, "scheduled recycle time"),
        5077 => (Recycle, PidPool, "virtual memory limit"),
        5078 => (Recycle, PidPool, "an ISAPI reported an unhealthy condition"),
        5079 => (Recycle, Pool, "an administrator requested it"),
        5080 => (Recycle, Pool, "a configuration change of the pool"),
        5081 => (Recycle, Pool, "configuration store problems"),
        5093 => (Recycle, PoolPid, "overlapped recycle failed"),
        5117 => (Recycle, PidPool, "private bytes memory limit"),
        5127 => (Crash, PoolPid, "no longer trusted by WAS"),
        5186 => (IdleShutdown, PidPool, "idle timeout"),
        5195 => (IdleShutdown, PidPool, "idle timeout (reduced under load)"),
        _ => return None,
    })
}

/// The ANCM events that matter, with their kind.
fn ancm_kind(id: u32, v1: bool) -> Option<EventKind> {
    use EventKind::*;
    Some(match id {
        1000 | 1007 | 1008 | 1009 | 1010 | 1020 | 1029 | 1031 => AppStartFailed,
        1001 | 1032 => AppStart,
        1002 if v1 => AppCrash,
        1003 => RapidFail,
        1004 | 1005 | 1013 => AppError,
        1011 | 1018 | 1030 => AppCrash,
        1012 | 1021 | 1022 => Recycle,
        _ => return None,
    })
}

/// The IIS-W3SVC-WP events that matter.
fn w3svc_kind(id: u32) -> Option<(EventKind, &'static str)> {
    Some(match id {
        2297 => (
            EventKind::ProcessFailed,
            "global module configuration error; start-up aborted",
        ),
        2299 => (
            EventKind::Recycle,
            "the application reported itself unhealthy",
        ),
        2269 | 2276..=2282 => (
            EventKind::ProcessFailed,
            "the worker process failed to initialize",
        ),
        _ => return None,
    })
}

/// True when a record of this provider and ID is one [`classify`] keeps (given a time).
pub fn may_matter(provider: &str, id: u32) -> bool {
    if is_one_of(provider, &WAS) {
        was_event(id).is_some()
    } else if is_one_of(provider, &ANCM) {
        ancm_kind(id, true).is_some()
    } else if is_one_of(provider, &W3SVC_WP) {
        w3svc_kind(id).is_some()
    } else {
        (provider.eq_ignore_ascii_case(APPLICATION_ERROR) && id == 1000)
            || (provider.eq_ignore_ascii_case(DOTNET_RUNTIME) && id == 1026)
    }
}

/// The event this record is, or `None` when it does not matter (or lacks a time).
pub fn classify(raw: &RawEvent, source: &std::path::Path) -> Option<ServerEvent> {
    let id = raw.event_id?;
    let time = raw.time?;
    let provider = if raw.provider.is_empty() {
        raw.event_source.as_str()
    } else {
        raw.provider.as_str()
    };
    let mut event = ServerEvent {
        server: raw.server.trim().to_string(),
        time,
        provider: provider.to_string(),
        event_id: id,
        kind: EventKind::AppError,
        pool: None,
        pid: None,
        reason: None,
        error_code: None,
        app_pid: None,
        site_id: None,
        source: source.to_path_buf(),
        record_id: raw.record_id,
        channel: (!raw.channel.is_empty()).then(|| raw.channel.clone()),
        precise_time: raw.precise_time,
    };
    let known = if is_one_of(provider, &WAS) {
        was(raw, id, &mut event)
    } else if is_one_of(provider, &ANCM) {
        ancm(raw, id, provider, &mut event)
    } else if is_one_of(provider, &W3SVC_WP) {
        w3svc(raw, id, &mut event)
    } else if provider.eq_ignore_ascii_case(APPLICATION_ERROR) && id == 1000 {
        application_error(raw, &mut event)
    } else if provider.eq_ignore_ascii_case(DOTNET_RUNTIME) && id == 1026 {
        dotnet_runtime(raw, &mut event)
    } else {
        false
    };
    known.then_some(event)
}

/// The values of a record by position: its `Data`, or else the quoted values of its message.
fn positional(raw: &RawEvent) -> Vec<String> {
    if !raw.data.is_empty() {
        return raw.data.iter().map(|(_, v)| v.trim().to_string()).collect();
    }
    raw.message
        .as_deref()
        .map(quoted_values)
        .unwrap_or_default()
}

/// `'4812' serving application pool 'Orders'` → `["4812", "Orders"]`.
fn quoted_values(message: &str) -> Vec<String> {
    let mut values = Vec::new();
    let mut rest = message;
    while let Some(start) = rest.find('\'') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('\'') else { break };
        values.push(after[..end].to_string());
        rest = &after[end + 1..];
    }
    values
}

fn parse_pid(text: &str) -> Option<u32> {
    let text = text.trim().trim_end_matches('.');
    text.parse().ok()
}

fn was(raw: &RawEvent, id: u32, event: &mut ServerEvent) -> bool {
    let Some((kind, layout, reason)) = was_event(id) else {
        return false;
    };
    let values = positional(raw);
    let at = |i: usize| values.get(i).map(String::as_str);
    let (pool, pid) = match layout {
        Layout::PidPool => (at(1), at(0)),
        Layout::PoolPid => (at(0), at(1)),
        Layout::Pool => (at(0), None),
    };
    // Names, where the event has them, win over positions.
    let pool = raw.data_named("AppPoolID").or(pool);
    let pid = raw.data_named("ProcessID").or(pid);
    event.kind = kind;
    event.pool = pool
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string);
    event.pid = pid.and_then(parse_pid);
    let minutes = at(2)
        .map(str::to_string)
        .or_else(|| raw.message.as_deref().and_then(minutes_in));
    event.reason = Some(match (id, minutes.as_deref()) {
        (5186, Some(minutes)) => format!("idle timeout of {minutes} min"),
        (5009, Some(code)) => format!("terminated unexpectedly, exit code 0x{code}"),
        _ => reason.to_string(),
    });
    true
}

/// `... was set to 20 minutes.` → `20` (the one WAS value its message does not quote).
fn minutes_in(message: &str) -> Option<String> {
    let rest = &message[message.find("set to ")? + "set to ".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    (!digits.is_empty()).then_some(digits)
}

fn ancm(raw: &RawEvent, id: u32, provider: &str, event: &mut ServerEvent) -> bool {
    let v1 = !provider.to_ascii_uppercase().ends_with("V2");
    let Some(kind) = ancm_kind(id, v1) else {
        return false;
    };
    event.kind = kind;
    let text = raw
        .data_at(0)
        .map(str::to_string)
        .or_else(|| raw.message.clone())
        .unwrap_or_default();
    // Data[1] is `Process Id: 4312.`, the w3wp that hosts ANCM (V2 since 2018).
    event.pid = raw
        .data
        .iter()
        .skip(1)
        .find_map(|(_, v)| v.trim().strip_prefix("Process Id:"))
        .and_then(parse_pid);
    let values = quoted_values(&text);
    if let Some(app) = values.first() {
        event.site_id = site_of(app);
    }
    event.error_code = error_code_in(&text);
    event.app_pid = match id {
        1001 => values.get(1).and_then(|v| parse_pid(v)),
        1005 | 1030 => process_with_id(&text),
        _ => None,
    };
    event.reason = Some(ancm_reason(id, &text));
    true
}

/// `/LM/W3SVC/2/ROOT/api` → `2`.
fn site_of(app: &str) -> Option<String> {
    let upper = app.to_ascii_uppercase();
    let rest = upper.strip_prefix("/LM/W3SVC/")?;
    let site = rest.split('/').next()?;
    (!site.is_empty() && site.bytes().all(|b| b.is_ascii_digit())).then(|| site.to_string())
}

/// `ErrorCode = '0x80004005'` or `ErrorCode '0x8007023e'`.
fn error_code_in(text: &str) -> Option<ErrorCode> {
    let at = text.find("ErrorCode")?;
    let rest = &text[at + "ErrorCode".len()..];
    let rest = rest.trim_start_matches([' ', '=', '\'', ':']);
    let end = rest
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(rest.len());
    ErrorCode::parse(&rest[..end])
}

/// `... process with Id '12852' ...` → 12852.
fn process_with_id(text: &str) -> Option<u32> {
    let at = text.find("with Id '")?;
    let rest = &text[at + "with Id '".len()..];
    parse_pid(rest.split('\'').next()?)
}

fn ancm_reason(id: u32, text: &str) -> String {
    let what = match id {
        1000 => "failed to start the application process",
        1001 => "started the application process",
        1002 | 1030 => "the application process exited by itself",
        1003 => "rapid fail count exceeded",
        1005 => "failed to shut the application process down gracefully",
        1007 => "failed to load the CLR",
        1010 => "failed to start the application",
        1011 => "the application exited from Program.Main",
        1018 => "the application hit an unhandled exception",
        1012 => "recycled after app_offline.htm",
        1020 => "failed to start the application process after retries",
        1021 | 1022 => "recycled after a configuration change",
        1031 => "the in-process application failed to start",
        1032 => "the in-process application started",
        _ => "",
    };
    let first_line = text.lines().next().unwrap_or("").trim();
    if what.is_empty() {
        clip(first_line)
    } else {
        what.to_string()
    }
}

fn w3svc(raw: &RawEvent, id: u32, event: &mut ServerEvent) -> bool {
    let Some((kind, reason)) = w3svc_kind(id) else {
        return false;
    };
    event.kind = kind;
    event.reason = Some(reason.to_string());
    if id == 2297 {
        event.pool = positional(raw).into_iter().next().filter(|p| !p.is_empty());
    }
    true
}

/// Application Error 1000: the faulting program and its PID (hex).
fn application_error(raw: &RawEvent, event: &mut ServerEvent) -> bool {
    let message = raw.message.as_deref().unwrap_or("");
    let name = raw
        .data_named("AppName")
        .or_else(|| (!raw.data.is_empty()).then(|| raw.data_at(0)).flatten())
        .map(str::to_string)
        .or_else(|| line_value(message, "Faulting application name:"))
        .unwrap_or_default();
    // Newer builds name the fields; older ones write the same 15 values unnamed.
    let named = raw.data_named("AppName").is_some();
    let field = |name: &str, index: usize, label: &str| {
        let value = if named {
            raw.data_named(name)
        } else {
            raw.data_at(index)
        };
        value
            .map(str::to_string)
            .or_else(|| line_value(message, label))
    };
    let pid = field("ProcessId", 8, "Faulting process id:").and_then(|hex| hex_pid(&hex));
    let exception =
        field("ExceptionCode", 6, "Exception code:").and_then(|c| hex_pid(&c).map(ErrorCode));
    let name = name.trim().trim_end_matches(',').to_string();
    let worker = name.eq_ignore_ascii_case("w3wp.exe");
    event.kind = if worker {
        EventKind::Crash
    } else {
        EventKind::AppCrash
    };
    if worker {
        event.pid = pid;
    } else {
        event.app_pid = pid;
    }
    event.error_code = exception;
    event.reason = Some(match exception {
        Some(code) => format!("{} crashed, exception code {code}", clip(&name)),
        None => format!("{} crashed", clip(&name)),
    });
    true
}

/// `Faulting process id: 0x709c` → `0x709c`; the value ends at a comma or the line's end.
fn line_value(message: &str, label: &str) -> Option<String> {
    let line = message.lines().find_map(|l| l.trim().strip_prefix(label))?;
    Some(line.split(',').next().unwrap_or("").trim().to_string())
}

/// `709c`, `0x3560` → the number (Application Error writes PIDs in hex).
fn hex_pid(text: &str) -> Option<u32> {
    let text = text.trim();
    let hex = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    u32::from_str_radix(hex, 16).ok()
}

/// .NET Runtime 1026: an unhandled managed exception; no PID, only the program.
fn dotnet_runtime(raw: &RawEvent, event: &mut ServerEvent) -> bool {
    let text = raw
        .data_at(0)
        .map(str::to_string)
        .or_else(|| raw.message.clone())
        .unwrap_or_default();
    let program = line_value(&text, "Application:").unwrap_or_default();
    event.kind = if program.eq_ignore_ascii_case("w3wp.exe") {
        EventKind::Crash
    } else {
        EventKind::AppCrash
    };
    event.reason = Some(format!(
        "{} ended on an unhandled exception",
        clip(&program)
    ));
    true
}

/// Keeps evidence sentences short whatever an event holds.
fn clip(text: &str) -> String {
    const MAX: usize = 120;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        let mut cut: String = text.chars().take(MAX).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::path::Path;

    fn raw(provider: &str, id: u32, data: &[&str]) -> RawEvent {
        RawEvent {
            provider: provider.into(),
            event_id: Some(id),
            time: chrono::Utc.with_ymd_and_hms(2025, 3, 11, 12, 0, 0).single(),
            server: "WEB01.contoso.local".into(),
            data: data
                .iter()
                .map(|v| (String::new(), v.to_string()))
                .collect(),
            ..RawEvent::default()
        }
    }

    fn kind_of(r: &RawEvent) -> ServerEvent {
        classify(r, Path::new("x")).expect("kept")
    }

    #[test]
    fn idle_shutdown_names_the_pid_first() {
        let e = kind_of(&raw(
            "Microsoft-Windows-WAS",
            5186,
            &["4812", "Orders", "20"],
        ));
        assert_eq!(e.kind, EventKind::IdleShutdown);
        assert_eq!((e.pid, e.pool.as_deref()), (Some(4812), Some("Orders")));
        assert_eq!(e.reason.as_deref(), Some("idle timeout of 20 min"));
        let e = kind_of(&raw("WAS", 5195, &["77", "Api", "20", "5"]));
        assert_eq!(e.kind, EventKind::IdleShutdown);
        assert_eq!(e.pid, Some(77));
    }

    #[test]
    fn each_recycle_has_its_reason() {
        for (id, reason) in [
            (5074, "periodic restart"),
            (5075, "request limit"),
            (5076, "scheduled"),
            (5077, "virtual memory"),
            (5078, "ISAPI"),
            (5117, "private bytes"),
        ] {
            let e = kind_of(&raw("Microsoft-Windows-WAS", id, &["4812", "Orders"]));
            assert_eq!(e.kind, EventKind::Recycle, "{id}");
            assert_eq!((e.pid, e.pool.as_deref()), (Some(4812), Some("Orders")));
            assert!(e.reason.as_deref().unwrap().contains(reason), "{id}");
        }
        for id in [5079, 5080, 5081] {
            let e = kind_of(&raw("Microsoft-Windows-WAS", id, &["Orders"]));
            assert_eq!((e.kind, e.pid), (EventKind::Recycle, None), "{id}");
            assert_eq!(e.pool.as_deref(), Some("Orders"));
        }
        let e = kind_of(&raw("Microsoft-Windows-WAS", 5093, &["Orders", "99"]));
        assert_eq!((e.kind, e.pid), (EventKind::Recycle, Some(99)));
    }

    #[test]
    fn crash_hang_and_timeouts_name_the_pool_first() {
        for (id, kind) in [
            (5009, EventKind::Crash),
            (5011, EventKind::Crash),
            (5127, EventKind::Crash),
            (5010, EventKind::Hang),
            (5012, EventKind::StartupTimeout),
            (5013, EventKind::ShutdownTimeout),
        ] {
            let e = kind_of(&raw("Microsoft-Windows-WAS", id, &["Orders", "4812", "ff"]));
            assert_eq!(e.kind, kind, "{id}");
            assert_eq!((e.pid, e.pool.as_deref()), (Some(4812), Some("Orders")));
        }
        let e = kind_of(&raw(
            "Microsoft-Windows-WAS",
            5009,
            &["Orders", "4812", "c0000005"],
        ));
        assert!(e.reason.unwrap().contains("0xc0000005"));
    }

    #[test]
    fn named_data_win_over_positions() {
        let mut r = raw("Microsoft-Windows-WAS", 5011, &[]);
        r.data = vec![
            ("ProcessID".into(), "28828".into()),
            ("AppPoolID".into(), "DefaultAppPool".into()),
        ];
        let e = kind_of(&r);
        assert_eq!(
            (e.pid, e.pool.as_deref()),
            (Some(28828), Some("DefaultAppPool"))
        );
    }

    #[test]
    fn rapid_fail_and_process_failures() {
        let e = kind_of(&raw("Microsoft-Windows-WAS", 5002, &["Orders"]));
        assert_eq!(e.kind, EventKind::RapidFail);
        for id in [5021, 5022, 5057, 5059] {
            let e = kind_of(&raw("Microsoft-Windows-WAS", id, &["Orders"]));
            assert_eq!(e.kind, EventKind::ProcessFailed, "{id}");
        }
        let e = kind_of(&raw(
            "Microsoft-Windows-IIS-W3SVC-WP",
            2297,
            &["Orders", "x"],
        ));
        assert_eq!(
            (e.kind, e.pool.as_deref()),
            (EventKind::ProcessFailed, Some("Orders"))
        );
        let e = kind_of(&raw("W3SVC-WP", 2299, &["unhealthy"]));
        assert_eq!(e.kind, EventKind::Recycle);
    }

    #[test]
    fn other_records_are_dropped() {
        assert!(classify(&raw("Microsoft-Windows-WAS", 5139, &[]), Path::new("x")).is_none());
        assert!(classify(&raw("Service Control Manager", 7036, &[]), Path::new("x")).is_none());
        assert!(classify(&raw("IIS AspNetCore Module V2", 1006, &[]), Path::new("x")).is_none());
        assert!(classify(&raw("IIS AspNetCore Module V2", 1002, &[]), Path::new("x")).is_none());
        let mut no_time = raw("WAS", 5186, &["1", "p"]);
        no_time.time = None;
        assert!(classify(&no_time, Path::new("x")).is_none());
    }

    #[test]
    fn ancm_start_names_the_w3wp_and_its_child() {
        let e = kind_of(&raw(
            "IIS AspNetCore Module V2",
            1001,
            &[
                "Application '/LM/W3SVC/2/ROOT' started process '12852' successfully and process '12852' is listening on port '15507'.",
                "Process Id: 4312.",
                "File Version: 18.0.24201.0. Description: IIS ASP.NET Core Module V2 Request Handler",
            ],
        ));
        assert_eq!(e.kind, EventKind::AppStart);
        assert_eq!((e.pid, e.app_pid), (Some(4312), Some(12852)));
        assert_eq!(e.site_id.as_deref(), Some("2"));
    }

    #[test]
    fn ancm_failures_carry_their_error_code() {
        let e = kind_of(&raw(
            "IIS AspNetCore Module V2",
            1000,
            &[
                "Application '/LM/W3SVC/2/ROOT' with physical root 'C:\\app\\' failed to start process with commandline 'dotnet .\\App.dll' at stage 'PostStartCheck', ErrorCode = '0x800705b4', assigned port 15507, retryCounter '1'.",
                "Process Id: 4312.",
            ],
        ));
        assert_eq!(e.kind, EventKind::AppStartFailed);
        assert_eq!(e.error_code, Some(ErrorCode(0x8007_05B4)));
        let e = kind_of(&raw(
            "IIS AspNetCore Module V2",
            1010,
            &["Failed to start application '/LM/W3SVC/2/ROOT', ErrorCode '0x8007023e'."],
        ));
        assert_eq!(
            (e.kind, e.error_code),
            (EventKind::AppStartFailed, Some(ErrorCode(0x8007_023E)))
        );
        let e = kind_of(&raw(
            "IIS AspNetCore Module V2",
            1030,
            &[
                "Application '/LM/W3SVC/2/ROOT' with physical root 'C:\\app\\' shut down process with Id '12852' listening on port '15507'",
                "Process Id: 4312.",
            ],
        ));
        assert_eq!(
            (e.kind, e.pid, e.app_pid),
            (EventKind::AppCrash, Some(4312), Some(12852))
        );
        for (id, kind) in [
            (1003, EventKind::RapidFail),
            (1005, EventKind::AppError),
            (1012, EventKind::Recycle),
            (1018, EventKind::AppCrash),
            (1020, EventKind::AppStartFailed),
            (1032, EventKind::AppStart),
        ] {
            assert_eq!(
                kind_of(&raw("IIS AspNetCore Module V2", id, &["x"])).kind,
                kind,
                "{id}"
            );
        }
        assert_eq!(
            kind_of(&raw("IIS AspNetCore Module", 1002, &["x"])).kind,
            EventKind::AppCrash
        );
    }

    #[test]
    fn application_error_tells_w3wp_from_the_application() {
        let mut values = vec![
            "w3wp.exe",
            "8.5.9600.16384",
            "5215df96",
            "MSVCR120.dll",
            "12.0",
            "524f83ff",
            "c0000409",
            "6dd27",
            "709c",
        ];
        let e = kind_of(&raw("Application Error", 1000, &values));
        assert_eq!((e.kind, e.pid), (EventKind::Crash, Some(0x709c)));
        assert_eq!(e.error_code, Some(ErrorCode(0xC000_0409)));
        values[0] = "dotnet.exe";
        let e = kind_of(&raw("Application Error", 1000, &values));
        assert_eq!(
            (e.kind, e.pid, e.app_pid),
            (EventKind::AppCrash, None, Some(0x709c))
        );
        let mut named = raw("Application Error", 1000, &[]);
        named.data = vec![
            ("AppName".into(), "w3wp.exe".into()),
            ("ExceptionCode".into(), "0xe0434352".into()),
            ("ProcessId".into(), "0x3560".into()),
        ];
        let e = kind_of(&named);
        assert_eq!((e.kind, e.pid), (EventKind::Crash, Some(0x3560)));
        let mut message_only = raw("Application Error", 1000, &[]);
        message_only.message = Some("Faulting application name: w3wp.exe, version: 10.0\r\nException code: 0xc0000005\r\nFaulting process id: 0x12cc\r\n".into());
        let e = kind_of(&message_only);
        assert_eq!((e.kind, e.pid), (EventKind::Crash, Some(0x12cc)));
    }

    #[test]
    fn dotnet_runtime_1026_has_no_pid() {
        let e = kind_of(&raw(
            ".NET Runtime",
            1026,
            &[
                "Application: w3wp.exe\nFramework Version: v4.0.30319\nDescription: The process was terminated due to an unhandled exception.",
            ],
        ));
        assert_eq!((e.kind, e.pid), (EventKind::Crash, None));
        let e = kind_of(&raw(
            ".NET Runtime",
            1026,
            &["Application: Shop.exe\nCoreCLR Version: 8.0"],
        ));
        assert_eq!(e.kind, EventKind::AppCrash);
    }

    #[test]
    fn messages_stand_in_for_missing_data() {
        let mut r = raw("Microsoft-Windows-WAS", 5186, &[]);
        r.message = Some("A worker process with process id of '4812' serving application pool 'Orders' was shutdown due to inactivity. Application Pool timeout configuration was set to 20 minutes. A new worker process will be started when needed.".into());
        let e = kind_of(&r);
        assert_eq!((e.pid, e.pool.as_deref()), (Some(4812), Some("Orders")));
        let mut r = raw("Microsoft-Windows-WAS", 5009, &[]);
        r.message = Some("A process serving application pool 'Orders' terminated unexpectedly. The process id was '3904'. The process exit code was '0xc0000005'.".into());
        let e = kind_of(&r);
        assert_eq!((e.pid, e.pool.as_deref()), (Some(3904), Some("Orders")));
    }

    #[test]
    fn server_names_compare_by_their_first_label() {
        assert_eq!(super::super::server_key("WEB01.contoso.local"), "web01");
        assert_eq!(super::super::server_key("web01"), "web01");
        assert_eq!(super::super::server_key("web01:8080"), "web01");
        assert_eq!(super::super::server_key("10.0.1.11"), "10.0.1.11");
    }
}
