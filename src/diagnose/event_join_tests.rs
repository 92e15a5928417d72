//! Verdicts with and without event logs: the cases where an event changes the verdict or its
//! evidence, and the distractors where it must not.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};

use crate::diagnose::{Options, analyze_with_events};
use crate::events::{EventKind, ServerEvent};
use crate::model::{Confidence, Diagnosis, ErrorCode, ModuleError, Status, Trace, Verdict};

const CANNOT_CONNECT: u32 = 0x8007_2EFD;
const TIMEOUT: u32 = 0x8007_2EE2;
const CONNECTION_ERROR: u32 = 0x8007_2EFE;

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).single().unwrap() + TimeDelta::seconds(seconds)
}

/// A failed request on WEB01, pool Orders, process 100, starting at `at(seconds)`.
fn trace(file: &str, status: &str, module: &str, code: u32, seconds: i64, ms: u64) -> Trace {
    let status = Status::parse(status).unwrap();
    Trace {
        file: file.into(),
        server: "WEB01".into(),
        site_id: "2".into(),
        app_pool: "Orders".into(),
        process_id: 100,
        url: "/orders/api/cart".into(),
        status,
        trigger_status: status,
        time_taken_ms: Some(ms),
        start_time: Some(at(seconds)),
        end_time: Some(at(seconds) + TimeDelta::milliseconds(ms as i64)),
        error: Some(ModuleError {
            module: module.into(),
            notification: "EXECUTE_REQUEST_HANDLER".into(),
            status,
            error_code: Some(ErrorCode(code)),
            config_exception: String::new(),
            time: None,
        }),
        ..Trace::default()
    }
}

fn ancm_connect(seconds: i64) -> Trace {
    trace(
        "fr1.xml",
        "502.3",
        "AspNetCoreModuleV2",
        CANNOT_CONNECT,
        seconds,
        2_000,
    )
}

fn arr(status: &str, code: u32, target: &str, seconds: i64, ms: u64) -> Trace {
    let mut t = trace(
        "arr.xml",
        status,
        "ApplicationRequestRouting",
        code,
        seconds,
        ms,
    );
    t.server = "ARR01".into();
    t.app_pool = "ArrFront".into();
    t.process_id = 9;
    t.site_id = "1".into();
    t.proxy_target = Some(target.into());
    t
}

fn event(kind: EventKind, id: u32, seconds: i64) -> ServerEvent {
    ServerEvent {
        server: "web01.contoso.local".into(),
        time: at(seconds),
        provider: "Microsoft-Windows-WAS".into(),
        event_id: id,
        kind,
        pool: Some("ORDERS".into()),
        pid: Some(100),
        reason: None,
        error_code: None,
        app_pid: None,
        site_id: None,
        source: "events.xml".into(),
        record_id: None,
        channel: None,
        precise_time: true,
    }
}

fn idle(pid: u32, seconds: i64) -> ServerEvent {
    ServerEvent {
        pid: Some(pid),
        reason: Some("idle timeout of 20 min".into()),
        ..event(EventKind::IdleShutdown, 5186, seconds)
    }
}

fn ancm(kind: EventKind, id: u32, seconds: i64, w3wp: Option<u32>) -> ServerEvent {
    ServerEvent {
        provider: "IIS AspNetCore Module V2".into(),
        pool: None,
        pid: w3wp,
        site_id: Some("2".into()),
        app_pid: Some(7000),
        ..event(kind, id, seconds)
    }
}

fn judge(traces: &[Trace], events: &[ServerEvent]) -> Vec<Diagnosis> {
    analyze_with_events(traces, events, &Options::default()).diagnoses
}

fn last(traces: &[Trace], events: &[ServerEvent]) -> Diagnosis {
    judge(traces, events).pop().unwrap()
}

#[test]
fn an_idle_shutdown_makes_a_lone_trace_first_for_its_pid() {
    let slow = trace("fr1.xml", "500", "ManagedPipelineHandler", 0, 3_600, 40_000);
    // Without events: no earlier trace of another process, nothing says it is new.
    let without = last(std::slice::from_ref(&slow), &[]);
    assert_ne!(without.rule, "R19", "{without:?}");
    let with = last(&[slow], &[idle(4812, 600)]);
    assert_eq!(
        (with.verdict, with.rule),
        (Verdict::Startup, "R19"),
        "{with:?}"
    );
    assert_eq!(with.confidence, Confidence::High);
    assert!(
        with.evidence
            .contains("a new process after WAS 5186 at 08:10:00 ended the idle process 4812"),
        "{}",
        with.evidence
    );
}

#[test]
fn r5_is_startup_when_ancm_1001_comes_after_the_failure() {
    let t = ancm_connect(100);
    let d = last(
        std::slice::from_ref(&t),
        &[ancm(EventKind::AppStart, 1001, 140, Some(100))],
    );
    assert_eq!(
        (d.verdict, d.confidence),
        (Verdict::Startup, Confidence::High),
        "{d:?}"
    );
    assert!(
        d.evidence.contains("ANCM 1001 at 08:02:20"),
        "{}",
        d.evidence
    );
    // An ANCM start in the CSV form (no w3wp PID) ties by site and time.
    let d = last(&[t], &[ancm(EventKind::AppStart, 1001, 60, None)]);
    assert_eq!(d.verdict, Verdict::Startup, "{d:?}");
}

#[test]
fn r5_is_worker_when_the_application_process_exited() {
    let d = last(
        &[ancm_connect(100)],
        &[ancm(EventKind::AppCrash, 1030, 95, Some(100))],
    );
    assert_eq!(
        (d.verdict, d.confidence),
        (Verdict::Worker, Confidence::High),
        "{d:?}"
    );
    assert!(d.evidence.contains("ANCM 1030"), "{}", d.evidence);
}

#[test]
fn r5_distractors_change_nothing() {
    let base = last(&[ancm_connect(100)], &[]);
    assert_eq!(
        (base.verdict, base.confidence),
        (Verdict::Worker, Confidence::Medium)
    );
    let other_process = ancm(EventKind::AppStart, 1001, 130, Some(555));
    let hours_away = ancm(EventKind::AppStart, 1001, 100 + 3 * 3600, Some(100));
    let other_site = ServerEvent {
        site_id: Some("7".into()),
        ..ancm(EventKind::AppStart, 1001, 120, None)
    };
    let other_server = ServerEvent {
        server: "WEB02".into(),
        ..ancm(EventKind::AppStart, 1001, 120, Some(100))
    };
    let unrelated_crash = ServerEvent {
        provider: "Application Error".into(),
        site_id: None,
        pid: None,
        ..ancm(EventKind::AppCrash, 1000, 101, None)
    };
    for distractor in [
        other_process,
        hours_away,
        other_site,
        other_server,
        unrelated_crash,
    ] {
        let d = last(&[ancm_connect(100)], std::slice::from_ref(&distractor));
        assert_eq!(d, base, "{distractor:?}");
    }
}

#[test]
fn r6_names_the_crash_of_the_application() {
    let t = trace(
        "fr1.xml",
        "502.3",
        "AspNetCoreModuleV2",
        CONNECTION_ERROR,
        100,
        3_000,
    );
    let d = last(
        &[t],
        &[ServerEvent {
            provider: "Application Error".into(),
            reason: Some("dotnet.exe crashed".into()),
            ..ancm(EventKind::AppCrash, 1000, 104, Some(100))
        }],
    );
    assert_eq!(d.verdict, Verdict::Worker);
    assert!(
        d.evidence.contains("Application Error 1000 at 08:01:44"),
        "{}",
        d.evidence
    );
}

#[test]
fn r2_quotes_the_ancm_failure_and_its_error_code() {
    let t = trace(
        "fr1.xml",
        "502.5",
        "AspNetCoreModuleV2",
        0x8007_05B4,
        100,
        2_000,
    );
    let failed = ServerEvent {
        error_code: Some(ErrorCode(0x8007_05B4)),
        ..ancm(EventKind::AppStartFailed, 1000, 101, Some(100))
    };
    let d = last(std::slice::from_ref(&t), std::slice::from_ref(&failed));
    assert_eq!(d.verdict, Verdict::Startup);
    assert!(
        d.evidence.contains("ANCM 1000 at 08:01:41"),
        "{}",
        d.evidence
    );
    // 1010 explains a 500.30, not a 502.5.
    let wrong_id = ServerEvent {
        event_id: 1010,
        ..failed
    };
    let d = last(&[t], &[wrong_id]);
    assert!(!d.evidence.contains("ANCM 1010"), "{}", d.evidence);
}

#[test]
fn a_crash_of_the_routed_backend_makes_an_arr_failure_worker() {
    let front = arr("502.3", CANNOT_CONNECT, "web01", 100, 2_000);
    let base = last(std::slice::from_ref(&front), &[]);
    assert_eq!(base.verdict, Verdict::Proxy);
    let crash = ServerEvent {
        pool: Some("Orders".into()),
        ..event(EventKind::Crash, 5011, 104)
    };
    let d = last(std::slice::from_ref(&front), std::slice::from_ref(&crash));
    assert_eq!(
        (d.verdict, d.confidence),
        (Verdict::Worker, Confidence::High),
        "{d:?}"
    );
    assert!(
        d.evidence.contains("WAS 5011 at 08:01:44 on web01"),
        "{}",
        d.evidence
    );
    // Hours before, or on another server: the proxy verdict stands.
    for distractor in [
        ServerEvent {
            time: at(100 - 4 * 3600),
            ..crash.clone()
        },
        ServerEvent {
            server: "WEB02".into(),
            ..crash.clone()
        },
    ] {
        assert_eq!(last(std::slice::from_ref(&front), &[distractor]), base);
    }
}

#[test]
fn a_restart_of_the_routed_backend_makes_an_arr_timeout_startup() {
    let front = arr("502.3", TIMEOUT, "WEB01.contoso.local", 3_600, 30_000);
    let base = last(std::slice::from_ref(&front), &[]);
    assert_eq!(base.verdict, Verdict::Proxy);
    // A backend trace of the same path names the pool; the idle shutdown came after it.
    let mut earlier = trace("b.xml", "404", "StaticFile", 2, 60, 10);
    earlier.process_id = 4812;
    let d = last(&[earlier.clone(), front.clone()], &[idle(4812, 1_260)]);
    assert_eq!(d.verdict, Verdict::Startup, "{d:?}");
    assert!(d.evidence.contains("in pool Orders"), "{}", d.evidence);
    // The process was seen alive after the shutdown: the event explains nothing.
    let mut later = earlier.clone();
    later.process_id = 5000;
    later.start_time = Some(at(2_000));
    later.end_time = Some(at(2_000));
    let d = last(&[earlier, later, front], &[idle(4812, 1_260)]);
    assert_eq!(d.verdict, Verdict::Proxy, "{d:?}");
}

#[test]
fn events_after_the_failure_or_of_other_pools_change_nothing() {
    let slow = trace("fr1.xml", "500", "ManagedPipelineHandler", 0, 3_600, 40_000);
    let base = last(std::slice::from_ref(&slow), &[]);
    let after = idle(4812, 3_700);
    let other_pool = ServerEvent {
        pool: Some("Catalog".into()),
        ..idle(4812, 600)
    };
    let same_pid = idle(100, 600);
    for distractor in [after, other_pool, same_pid] {
        assert_eq!(
            last(
                std::slice::from_ref(&slow),
                std::slice::from_ref(&distractor)
            ),
            base,
            "{distractor:?}"
        );
    }
}

#[test]
fn a_hang_of_the_process_makes_an_ancm_timeout_worker_with_the_event() {
    let t = trace(
        "fr1.xml",
        "502.3",
        "AspNetCoreModuleV2",
        TIMEOUT,
        100,
        120_000,
    );
    let hang = event(EventKind::Hang, 5010, 250);
    let d = last(&[t], &[hang]);
    assert_eq!(
        (d.verdict, d.confidence),
        (Verdict::Worker, Confidence::High),
        "{d:?}"
    );
    assert!(d.evidence.contains("WAS 5010"), "{}", d.evidence);
}

#[test]
fn clocks_a_few_seconds_apart_still_join() {
    // The front end's clock is 4 s ahead of the backend's: the crash seems to precede.
    let front = arr("502.3", CANNOT_CONNECT, "web01", 100, 1_000);
    let crash = event(EventKind::Crash, 5009, 100 - 120 - 4);
    assert_eq!(last(&[front], &[crash]).verdict, Verdict::Worker);
}

#[test]
fn a_recycle_explains_a_500_11() {
    let t = trace("fr1.xml", "500.11", "AspNetCoreModuleV2", 0, 100, 50);
    let recycle = ServerEvent {
        reason: Some("a configuration change of the pool".into()),
        pid: None,
        ..event(EventKind::Recycle, 5080, 90)
    };
    let d = last(&[t], &[recycle]);
    assert_eq!(d.rule, "R17");
    assert!(
        d.evidence.contains("WAS 5080 at 08:01:30"),
        "{}",
        d.evidence
    );
}
