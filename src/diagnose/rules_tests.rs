//! One test per rule, each with the smallest trace of the shape IIS writes for it.

use chrono::{DateTime, TimeDelta, Utc};

use crate::diagnose::{Options, analyze, diagnose, hints};
use crate::model::{
    ArrRoute, Confidence, Depth, Diagnosis, ErrorCode, ModuleError, ModuleWarning, Status, Trace,
    Verdict,
};
use crate::shell::Shell;

fn base_time() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-02T08:00:00Z")
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

/// A trace being built: defaults are one request on WEB01, pool AppPool, process 100.
struct T(Trace);

impl T {
    fn new(file: &str, status: &str) -> T {
        let status = Status::parse(status).unwrap_or_default();
        T(Trace {
            file: file.into(),
            server: "WEB01".into(),
            site_id: "1".into(),
            app_pool: "AppPool".into(),
            process_id: 100,
            status,
            trigger_status: status,
            time_taken_ms: Some(50),
            start_time: Some(base_time()),
            end_time: Some(base_time()),
            ..Trace::default()
        })
    }

    /// The error event: module and code; the status is the trace's.
    fn error(mut self, module: &str, code: u32) -> T {
        self.0.error = Some(ModuleError {
            module: module.into(),
            notification: "EXECUTE_REQUEST_HANDLER".into(),
            status: self.0.status,
            error_code: Some(ErrorCode(code)),
            config_exception: String::new(),
            time: None,
        });
        self
    }

    fn process(mut self, server: &str, pool: &str, pid: u32) -> T {
        self.0.server = server.into();
        self.0.app_pool = pool.into();
        self.0.process_id = pid;
        self
    }

    /// Starts `seconds` after the base time and takes `ms`.
    fn at(mut self, seconds: i64, ms: u64) -> T {
        let start = base_time() + TimeDelta::seconds(seconds);
        self.0.start_time = Some(start);
        self.0.end_time = Some(start + TimeDelta::milliseconds(ms as i64));
        self.0.time_taken_ms = Some(ms);
        self
    }

    fn event(mut self, name: &str) -> T {
        self.0.events.insert(name);
        self
    }

    fn with(mut self, change: impl FnOnce(&mut Trace)) -> T {
        change(&mut self.0);
        self
    }
}

fn one(trace: T) -> Diagnosis {
    all(vec![trace]).remove(0)
}

fn all(traces: Vec<T>) -> Vec<Diagnosis> {
    let traces: Vec<Trace> = traces.into_iter().map(|t| t.0).collect();
    diagnose(&traces, &Options::default())
}

fn assert_verdict(d: &Diagnosis, verdict: Verdict, rule: &str, confidence: Confidence) {
    assert_eq!(
        (d.verdict, d.rule, d.confidence),
        (verdict, rule, confidence),
        "evidence: {}",
        d.evidence
    );
    assert!(!d.evidence.is_empty());
}

const ARR: &str = "ApplicationRequestRouting";
const ANCM: &str = "AspNetCoreModuleV2";

/// An old process of the pool (seen an hour earlier), then a new process `pid`.
fn pool_history(pid: u32) -> T {
    T::new("old.xml", "200")
        .process("WEB01", "Orders", pid - 1)
        .at(-3600, 20)
}

#[test]
fn r1_failed_warmup_request_is_startup() {
    let d = one(T::new("fr1.xml", "500")
        .error("ManagedPipelineHandler", 0)
        .with(|t| t.user_agent = Some("IIS Application Initialization Warmup".into())));
    assert_verdict(&d, Verdict::Startup, "R1", Confidence::High);
    assert!(d.evidence.contains("Warmup"));
}

#[test]
fn r2_ancm_start_failures_are_startup() {
    let d = one(T::new("fr.xml", "500.30").error(ANCM, 0x8007_023E));
    assert_verdict(&d, Verdict::Startup, "R2", Confidence::High);
    assert!(d.evidence.contains("In-Process Start Failure"));
    let d = one(T::new("fr.xml", "502.5").error("AspNetCoreModule", 0));
    assert_verdict(&d, Verdict::Startup, "R2", Confidence::High);
    let d = one(T::new("fr.xml", "500").error("AspNetInitializationExceptionModule", 0));
    assert_verdict(&d, Verdict::Startup, "R2", Confidence::High);
    let d = one(T::new("fr.xml", "500")
        .error(ANCM, 0)
        .event("ANCM_START_APPLICATION_FAIL")
        .with(|t| t.ancm_failure = Some("The wait operation timed out. 120000 ms".into())));
    assert_verdict(&d, Verdict::Startup, "R2", Confidence::High);
    assert!(d.evidence.contains("120000 ms"));
}

#[test]
fn r2_ancm_500_with_code_0_is_only_likely() {
    let d = one(T::new("fr.xml", "500").error(ANCM, 0));
    assert_verdict(&d, Verdict::Startup, "R2", Confidence::Medium);
    assert!(d.evidence.contains("likely"));
    let d = one(T::new("fr.xml", "500").error(ANCM, 0x8000_FFFF));
    assert_verdict(&d, Verdict::Startup, "R2", Confidence::High);
    // The application ran the request: its own 500, not a handler load failure.
    let d = one(T::new("fr.xml", "500")
        .error(ANCM, 0)
        .event("ANCM_INPROC_EXECUTE_REQUEST_START"));
    assert_verdict(&d, Verdict::Worker, "R20a", Confidence::High);
}

#[test]
fn r3_startup_time_limit_is_startup() {
    let d = one(T::new("fr.xml", "500.37").error(ANCM, 0).at(0, 121_000));
    assert_verdict(&d, Verdict::Startup, "R3", Confidence::High);
    assert!(d.evidence.contains("121.0 s") && d.evidence.contains("120.0 s"));
}

#[test]
fn r4_ancm_request_timeout_in_old_process_is_worker() {
    let d = one(T::new("fr.xml", "502.3")
        .error(ANCM, 0x8007_2EE2)
        .at(0, 120_400));
    assert_verdict(&d, Verdict::Worker, "R4", Confidence::High);
    assert!(d.evidence.contains("120.4 s ≈ requestTimeout 120.0 s"));
}

#[test]
fn r4_ancm_request_timeout_in_new_process_is_startup() {
    let ds = all(vec![
        pool_history(200),
        T::new("fr.xml", "502.3")
            .error(ANCM, 0x8007_2EE2)
            .process("WEB01", "Orders", 200)
            .at(0, 119_000),
    ]);
    assert_verdict(&ds[1], Verdict::Startup, "R4", Confidence::Medium);
    assert!(ds[1].evidence.contains("first trace of process 200"));
    assert!(ds[1].evidence.contains("process 199's last trace"));
}

#[test]
fn r5_ancm_cannot_connect_depends_on_process_age() {
    let ds = all(vec![
        pool_history(200),
        T::new("new.xml", "502.3")
            .error(ANCM, 0x8007_2EFD)
            .process("WEB01", "Orders", 200)
            .at(0, 2_000),
        T::new("late.xml", "502.3")
            .error(ANCM, 0x8007_2EFD)
            .process("WEB01", "Orders", 200)
            .at(3_000, 2_000),
    ]);
    assert_verdict(&ds[1], Verdict::Startup, "R5", Confidence::Medium);
    assert_verdict(&ds[2], Verdict::Worker, "R5", Confidence::Medium);
    assert!(ds[2].evidence.contains("ERROR_WINHTTP_CANNOT_CONNECT"));
}

/// As R4 reads it: ANCM_START_APPLICATION_SUCCESS in the trace means the process was started
/// for this very request, even in a process that is old by the other traces.
#[test]
fn r5_ancm_cannot_connect_after_starting_the_app_in_this_request_is_startup() {
    let ds = all(vec![
        pool_history(200),
        T::new("late.xml", "502.3")
            .error(ANCM, 0x8007_2EFD)
            .process("WEB01", "Orders", 200)
            .at(3_000, 2_000)
            .event("ANCM_START_APPLICATION_SUCCESS"),
    ]);
    assert_verdict(&ds[1], Verdict::Startup, "R5", Confidence::Medium);
    assert!(
        ds[1]
            .evidence
            .contains("ANCM started the application in this request")
    );
}

/// Hints and evidence name the technology that failed: a classic ASP.NET start failure is
/// not sent to ANCM's events or stdout log, an HttpPlatformHandler one not to ANCM either.
#[test]
fn start_failure_hints_follow_the_module() {
    let hint_for = |module: &str, status: &str| {
        let traces = vec![T::new("fr.xml", status).error(module, 0).0];
        let analysis = analyze(&traces, &Options::default());
        assert_eq!(analysis.diagnoses[0].rule, "R2", "{module}");
        let hints = hints(&traces, &analysis);
        assert_eq!(hints.len(), 1, "{hints:#?}");
        let evidence = analysis.diagnoses[0].evidence.clone();
        (
            format!("{} {}", hints[0].advice, hints[0].command_text()),
            evidence,
        )
    };
    let (aspnet, evidence) = hint_for("AspNetInitializationExceptionModule", "500");
    for wrong in ["ANCM", "aspNetCore", "AspNetCore"] {
        assert!(!aspnet.contains(wrong), "{wrong}: {aspnet}");
        assert!(!evidence.contains(wrong), "{wrong}: {evidence}");
    }
    assert!(aspnet.contains("ASP.NET 4.0.30319.0"), "{aspnet}");
    let (platform, evidence) = hint_for("httpPlatformHandler", "502.5");
    assert!(
        !platform.contains("ANCM") && !platform.contains("aspNetCore"),
        "{platform}"
    );
    assert!(platform.contains("httpPlatform"), "{platform}");
    assert!(!evidence.contains("ANCM"), "{evidence}");
    let (ancm, _) = hint_for(ANCM, "500.30");
    assert!(ancm.contains("aspNetCore@stdoutLogEnabled"), "{ancm}");
}

#[test]
fn httpplatform_crashes_are_not_sent_to_ancm_events() {
    for code in [0x8007_2EFE_u32, 0x8007_2EFD] {
        let d = one(T::new("fr.xml", "502.3")
            .error("httpPlatformHandler", code)
            .at(0, 2_000));
        assert_eq!(d.verdict, Verdict::Worker);
        assert!(!d.evidence.contains("ANCM"), "{}", d.evidence);
    }
}

#[test]
fn r6_ancm_backend_abort_is_worker() {
    let d = one(T::new("fr.xml", "502.3").error(ANCM, 0x8007_2EFE));
    assert_verdict(&d, Verdict::Worker, "R6", Confidence::High);
    let d = one(T::new("fr.xml", "502.3").error("httpPlatformHandler", 0x8007_2F78));
    assert_verdict(&d, Verdict::Worker, "R6", Confidence::Medium);
}

#[test]
fn r7_quick_ancm_forwarder_error_is_proxy_low() {
    let d = one(T::new("fr.xml", "502.3").error("AspNetCoreModule", 0x8007_0057));
    assert_verdict(&d, Verdict::Proxy, "R7", Confidence::Low);
    assert!(d.evidence.contains("E_INVALIDARG"));
    // Not quick: no reading.
    let d = one(T::new("fr.xml", "502.3")
        .error("AspNetCoreModule", 0x8007_04CD)
        .at(0, 60_000));
    assert_verdict(&d, Verdict::Unknown, "R21", Confidence::Low);
}

fn arr_timeout(file: &str, log_id: &str) -> T {
    T::new(file, "502.3")
        .error(ARR, 0x8007_2EE2)
        .process("ARR01", "ArrPool", 10)
        .at(100, 30_020)
        .event("ARR_REQUEST_HEADERS_START")
        .with(|t| {
            t.arr_log_id_forwarded = Some(log_id.into());
            t.proxy_target = Some("web01:80".into());
        })
}

fn backend(file: &str, log_id: &str, pid: u32, seconds: i64, ms: u64) -> T {
    T::new(file, "200")
        .process("WEB01", "Orders", pid)
        .at(seconds, ms)
        .with(|t| t.arr_log_id = Some(log_id.into()))
}

#[test]
fn r8_arr_timeout_without_backend_is_proxy() {
    let d = one(arr_timeout("fr.xml", "abc"));
    assert_verdict(&d, Verdict::Proxy, "R8", Confidence::High);
    assert!(
        d.evidence
            .contains("ARR gave up on web01:80 after 30.0 s ≈ the farm's protocol@timeout 30.0 s")
    );
}

/// The farm's protocol@timeout (30 s) applies to farm routes, system.webServer/proxy@timeout
/// (2 min) to rewrites to a plain URL.
#[test]
fn r8_compares_with_the_timeout_of_the_route() {
    let farm = |t: &mut Trace| {
        t.arr_route = Some(ArrRoute::Farm {
            name: "OrdersFarm".into(),
        })
    };
    let direct = |t: &mut Trace| t.arr_route = Some(ArrRoute::Direct);
    let d = one(arr_timeout("fr.xml", "abc").with(farm));
    assert_verdict(&d, Verdict::Proxy, "R8", Confidence::High);
    assert!(
        d.evidence.contains("the farm's protocol@timeout 30.0 s"),
        "{}",
        d.evidence
    );
    // A plain-URL rewrite waited 30 s: not the proxy timeout of 2 min.
    let d = one(arr_timeout("fr.xml", "abc").with(direct));
    assert_verdict(&d, Verdict::Unknown, "R21", Confidence::Low);
    let d = one(arr_timeout("fr.xml", "abc").at(100, 120_300).with(direct));
    assert_verdict(&d, Verdict::Proxy, "R8", Confidence::High);
    assert!(
        d.evidence
            .contains("≈ system.webServer/proxy@timeout 120.0 s"),
        "{}",
        d.evidence
    );
    // A farm route that waited 2 min did not hit the farm's 30 s.
    let d = one(arr_timeout("fr.xml", "abc").at(100, 120_300).with(farm));
    assert_verdict(&d, Verdict::Unknown, "R21", Confidence::Low);
}

#[test]
fn arr_timeout_hint_gives_the_farm_setting_for_a_farm() {
    let traces: Vec<Trace> = vec![
        arr_timeout("fr.xml", "abc")
            .with(|t| {
                t.arr_route = Some(ArrRoute::Farm {
                    name: "Orders\" & calc.exe & rem \"".into(),
                })
            })
            .0,
    ];
    let analysis = analyze(&traces, &Options::default());
    let found = hints(&traces, &analysis);
    let text = found[0].command_text();
    assert!(
        found[0]
            .advice
            .contains("protocol@timeout (30 s by default)"),
        "{}",
        found[0].advice
    );
    assert!(!text.contains("system.webServer/proxy"), "{text}");
    // cmd.exe cannot hold this name: only the PowerShell line, quoted.
    assert!(text.contains("-Filter 'webFarms/webFarm[@name=''Orders\" & calc.exe & rem \"'']/applicationRequestRouting/protocol'"), "{text}");
    assert_eq!(found[0].commands.len(), 1, "{text}");
    assert_eq!(found[0].commands[0].shell, Shell::PowerShell);
    let traces: Vec<Trace> = vec![
        arr_timeout("fr.xml", "abc")
            .with(|t| {
                t.arr_route = Some(ArrRoute::Farm {
                    name: "OrdersFarm".into(),
                })
            })
            .0,
    ];
    let analysis = analyze(&traces, &Options::default());
    let farm_hints = hints(&traces, &analysis);
    let text = farm_hints[0].command_text();
    assert!(text.contains("%windir%\\system32\\inetsrv\\appcmd.exe set config -section:webFarms \"/[name='OrdersFarm'].applicationRequestRouting.protocol.timeout:00:02:00\" /commit:apphost"), "{text}");
    assert_eq!(farm_hints[0].commands[0].shell, Shell::Cmd);
    assert_eq!(farm_hints[0].commands[1].shell, Shell::PowerShell);
}

#[test]
fn r8_arr_timeout_follows_a_cold_backend() {
    let ds = all(vec![
        pool_history(200),
        arr_timeout("front.xml", "{ABC}"),
        backend("back.xml", "abc", 200, 100, 41_200),
    ]);
    assert_verdict(&ds[1], Verdict::Startup, "R8", Confidence::Medium);
    assert_eq!(ds[1].linked_file.as_deref(), Some("back.xml".as_ref()));
    assert!(ds[1].evidence.contains("back.xml took 41.2 s"));
}

#[test]
fn r8_arr_timeout_follows_a_slow_warm_backend() {
    let ds = all(vec![
        backend("earlier.xml", "zzz", 200, -3600, 20),
        arr_timeout("front.xml", "abc"),
        backend("back.xml", "abc", 200, 100, 45_000),
    ]);
    assert_verdict(&ds[1], Verdict::Worker, "R8", Confidence::Medium);
    // A quick backend leaves the time lost on the way.
    let ds = all(vec![
        arr_timeout("front.xml", "abc"),
        backend("back.xml", "abc", 200, 100, 300),
    ]);
    assert_verdict(&ds[0], Verdict::Proxy, "R8", Confidence::Medium);
}

#[test]
fn r8_needs_the_configured_timeout() {
    let d = one(arr_timeout("fr.xml", "abc").at(100, 12_000));
    assert_verdict(&d, Verdict::Unknown, "R21", Confidence::Low);
    assert!(
        d.evidence.contains("--farm-timeout and --proxy-timeout"),
        "{}",
        d.evidence
    );
}

#[test]
fn r9_arr_cannot_connect_is_proxy() {
    let d = one(T::new("fr.xml", "502.3")
        .error(ARR, 2_147_954_429)
        .at(0, 8_078)
        .with(|t| t.proxy_target = Some("localhost:59999".into())));
    assert_verdict(&d, Verdict::Proxy, "R9", Confidence::High);
    assert!(d.evidence.contains(
        "ARR could not connect to localhost:59999 (0x80072EFD ERROR_WINHTTP_CANNOT_CONNECT) after 8.1 s"
    ));
}

#[test]
fn r10_arr_backend_abort_is_worker() {
    let d = one(T::new("fr.xml", "502.3").error(ARR, 0x8007_2EFE));
    assert_verdict(&d, Verdict::Worker, "R10", Confidence::High);
}

#[test]
fn r11_no_farm_server_is_proxy_unless_arr_just_started() {
    let d = one(T::new("fr.xml", "502.4").error(ARR, 0));
    assert_verdict(&d, Verdict::Proxy, "R11", Confidence::High);
    let ds = all(vec![
        pool_history(200),
        T::new("fr.xml", "502.4")
            .error(ARR, 0)
            .process("WEB01", "Orders", 200),
    ]);
    assert_verdict(&ds[1], Verdict::Startup, "R11", Confidence::Medium);
}

#[test]
fn r12_other_arr_failures_are_proxy() {
    let d = one(T::new("fr.xml", "502.5").error(ARR, 0));
    assert_verdict(&d, Verdict::Proxy, "R12", Confidence::High);
    assert!(d.evidence.contains("WebSocket"));
    let d = one(T::new("fr.xml", "502.7").error(ARR, 0));
    assert_verdict(&d, Verdict::Proxy, "R12", Confidence::High);
}

#[test]
fn r13_cgi_failures_are_worker() {
    let d = one(T::new("fr.xml", "502.2").error("CgiModule", 0xC000_00FD));
    assert_verdict(&d, Verdict::Worker, "R13", Confidence::High);
    assert!(d.evidence.contains("STATUS_STACK_OVERFLOW"));
}

#[test]
fn r14_fastcgi_new_child_is_startup_and_hang_is_worker() {
    let d = one(T::new("fr.xml", "500")
        .error("FastCgiModule", 0x8007_0002)
        .event("FASTCGI_ASSIGN_PROCESS")
        .with(|t| t.fastcgi_new_process = Some(true)));
    assert_verdict(&d, Verdict::Startup, "R14", Confidence::Medium);
    let d = one(T::new("fr.xml", "500")
        .error("FastCgiModule", 0x8007_0102)
        .event("FASTCGI_WAITING_FOR_RESPONSE")
        .at(0, 90_100)
        .with(|t| t.fastcgi_new_process = Some(false)));
    assert_verdict(&d, Verdict::Worker, "R14", Confidence::Medium);
}

#[test]
fn r15_iisnode_substatus_decides() {
    let d = one(T::new("fr.xml", "503.1001").error("iisnode", 0));
    assert_verdict(&d, Verdict::Startup, "R15", Confidence::High);
    let d = one(T::new("fr.xml", "500.1013").error("iisnode", 109));
    assert_verdict(&d, Verdict::Worker, "R15", Confidence::High);
    assert!(d.evidence.contains("ERROR_BROKEN_PIPE"));
}

#[test]
fn r16_url_rewrite_error_is_proxy() {
    let d = one(T::new("fr.xml", "500.52").error("RewriteModule", 0x8007_000D));
    assert_verdict(&d, Verdict::Proxy, "R16", Confidence::High);
}

#[test]
fn r17_application_restarting_is_startup() {
    let d = one(T::new("fr.xml", "500.12").error("IIS Web Core", 0));
    assert_verdict(&d, Verdict::Startup, "R17", Confidence::High);
    let d = one(T::new("fr.xml", "503")
        .error(ANCM, 0x8007_0001)
        .event("ANCM_INPROC_REQUEST_SHUTDOWN"));
    assert_verdict(&d, Verdict::Startup, "R17", Confidence::High);
}

#[test]
fn r18_full_queues_are_worker() {
    let d = one(T::new("fr.xml", "503.2").error("IIS Web Core", 0));
    assert_verdict(&d, Verdict::Worker, "R18", Confidence::High);
}

#[test]
fn r19_slow_failure_of_new_process_is_startup() {
    let ds = all(vec![
        pool_history(4312),
        T::new("fr.xml", "500")
            .error("IIS Web Core", 0x8007_0020)
            .process("WEB01", "Orders", 4312)
            .at(34, 41_200),
    ]);
    assert_verdict(&ds[1], Verdict::Startup, "R19", Confidence::Medium);
    assert!(ds[1].evidence.contains(
        "first trace of process 4312 in pool Orders on WEB01, 60 min after process 4311's last trace"
    ));
    assert!(ds[1].evidence.contains("took 41.2 s"));
}

#[test]
fn r19_needs_a_replaced_process() {
    // The first process ever seen of a pool: nothing says it replaced one.
    let d = one(T::new("fr.xml", "500")
        .error("IIS Web Core", 0x8007_0020)
        .at(0, 41_200));
    assert_verdict(&d, Verdict::Unknown, "R21", Confidence::Low);
}

#[test]
fn r20_configuration_errors_are_config() {
    let d = one(T::new("fr.xml", "500.19")
        .error("RequestFilteringModule", 0x8007_00B7)
        .with(|t| {
            if let Some(e) = t.error.as_mut() {
                e.config_exception =
                    "web.config ( 8) :Cannot add duplicate collection entry".into();
            }
        }));
    assert_verdict(&d, Verdict::Config, "R20", Confidence::High);
    assert!(d.evidence.contains("duplicate collection entry"));
    let d = one(T::new("fr.xml", "500.21").error("IIS Web Core", 0x8007_000D));
    assert_verdict(&d, Verdict::Config, "R20", Confidence::High);
}

#[test]
fn r20a_application_errors_are_worker() {
    let d = one(T::new("fr.xml", "500")
        .error("ManagedPipelineHandler", 0)
        .with(|t| t.handler = Some("PageHandlerFactory-Integrated-4.0".into())));
    assert_verdict(&d, Verdict::Worker, "R20a", Confidence::High);
    let d = one(T::new("fr.xml", "500").error("FastCgiModule", 0).with(|t| {
        t.warning = Some(ModuleWarning {
            module: "FastCgiModule".into(),
            data1: "FASTCGI_RESPONSE_ERROR".into(),
            data2: "\nPHP Fatal error:  Uncaught Error\n".into(),
            error_code: Some(ErrorCode(5)),
        })
    }));
    assert_verdict(&d, Verdict::Worker, "R20a", Confidence::High);
    assert!(d.evidence.contains("PHP Fatal error"));
}

#[test]
fn r20a_arr_relaying_a_backend_500_is_likely_worker() {
    let d = one(T::new("fr.xml", "500")
        .error(ARR, 0)
        .event("ARR_RESPONSE_HEADERS_START"));
    assert_verdict(&d, Verdict::Worker, "R20a", Confidence::Medium);
}

#[test]
fn r21_unexplained_failures_are_unknown() {
    let d = one(T::new("fr.xml", "502.3").error(ARR, 0x8007_2F76));
    assert_verdict(&d, Verdict::Unknown, "R21", Confidence::Low);
    assert!(d.evidence.contains("ERROR_WINHTTP_HEADER_NOT_FOUND"));
}

#[test]
fn below_500_and_head_traces_get_no_verdict() {
    let d = one(T::new("fr.xml", "404").error("IIS Web Core", 0x8007_0002));
    assert_eq!(d, Diagnosis::not_applicable());
    let d = one(T::new("fr.xml", "500")
        .error("ManagedPipelineHandler", 0)
        .with(|t| t.depth = Depth::Head));
    assert_eq!(d, Diagnosis::not_applicable());
}

#[test]
fn verdicts_do_not_depend_on_input_order() {
    let build = || {
        vec![
            pool_history(200),
            arr_timeout("front.xml", "abc"),
            backend("back.xml", "abc", 200, 100, 41_200),
            backend("back-dup.xml", "abc", 200, 100, 300),
            T::new("x.xml", "500")
                .error("IIS Web Core", 0x8007_0020)
                .process("WEB01", "Orders", 200)
                .at(200, 15_000),
        ]
    };
    let forward = all(build());
    let mut reversed_input = build();
    reversed_input.reverse();
    let mut reversed = all(reversed_input);
    reversed.reverse();
    assert_eq!(forward, reversed);
}

#[test]
fn hints_name_pools_settings_and_commands() {
    let traces: Vec<Trace> = vec![
        pool_history(200),
        arr_timeout("front.xml", "abc"),
        backend("back.xml", "abc", 200, 100, 41_200),
    ]
    .into_iter()
    .map(|t| t.0)
    .collect();
    let analysis = analyze(&traces, &Options::default());
    let hints = hints(&traces, &analysis);
    assert_eq!(hints.len(), 2, "{hints:#?}");
    assert_eq!(hints[0].app_pools, ["Orders"]);
    assert_eq!(hints[0].servers, ["WEB01"]);
    assert!(hints[0].command_text().contains("/startMode:AlwaysRunning"));
    assert!(hints[0].advice.contains("preloadEnabled"));
    assert_eq!(hints[1].app_pools, ["ArrPool"]);
    assert!(
        hints[1]
            .command_text()
            .contains("system.webServer/proxy /timeout:\"00:02:00\"")
    );
}

#[test]
fn hints_report_rapid_process_replacement() {
    let traces: Vec<Trace> = (0..7)
        .map(|i| {
            T::new(&format!("fr{i}.xml"), "200")
                .process("WEB02", "Api", 300 + i)
                .at(i64::from(i) * 30, 10)
                .0
        })
        .collect();
    let analysis = analyze(&traces, &Options::default());
    let hints = hints(&traces, &analysis);
    assert_eq!(hints.len(), 1, "{hints:#?}");
    assert!(hints[0].title.contains("6 new worker processes"));
    assert!(hints[0].command_text().contains("5009"));
}

#[test]
fn many_traces_of_one_pool_diagnose_in_one_pass() {
    // 40 000 traces, a new process every 100: a quadratic scan would take minutes here.
    let traces: Vec<Trace> = (0..40_000u32)
        .map(|i| {
            let t = T::new(
                &format!("fr{i:06}.xml"),
                if i % 7 == 0 { "502.3" } else { "200" },
            )
            .error(ARR, 0x8007_2EE2)
            .process("WEB01", "Orders", 1000 + i / 100)
            .at(i64::from(i), 30_000)
            .with(|t| {
                t.arr_log_id_forwarded = Some(format!("id{i}"));
                t.arr_log_id = Some(format!("id{}", i + 1));
            });
            t.0
        })
        .collect();
    let started = std::time::Instant::now();
    let analysis = analyze(&traces, &Options::default());
    let _ = hints(&traces, &analysis);
    assert_eq!(analysis.diagnoses.len(), traces.len());
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

// ---- a timeTaken that is missing or unparseable is unknown, never 0 -----------------------

impl T {
    /// `timeTaken` missing or unparseable (`-1`, `1e9`): the trace does not say how long.
    fn time_unknown(mut self) -> T {
        self.0.time_taken_ms = None;
        self
    }
}

/// No evidence sentence states a time the trace does not hold.
fn assert_no_made_up_time(d: &Diagnosis) {
    assert!(
        !d.evidence.contains(" 0.0 s") && !d.evidence.contains("took 0"),
        "a made-up time: {}",
        d.evidence
    );
}

#[test]
fn r3_with_an_unknown_time_says_so() {
    let d = one(T::new("fr.xml", "500.37").error(ANCM, 0).time_unknown());
    assert_verdict(&d, Verdict::Startup, "R3", Confidence::High);
    assert!(
        d.evidence.contains("after an unknown time"),
        "{}",
        d.evidence
    );
    assert_no_made_up_time(&d);
}

#[test]
fn r4_needs_the_time_waited() {
    let d = one(T::new("fr.xml", "502.3")
        .error(ANCM, 0x8007_2EE2)
        .time_unknown());
    assert_verdict(&d, Verdict::Unknown, "R21", Confidence::Low);
    assert!(d.evidence.contains("unknown"), "{}", d.evidence);
    assert_no_made_up_time(&d);
    // The gap from the forward to the error is in the trace: that is the time waited.
    let d = one(T::new("fr.xml", "502.3")
        .error(ANCM, 0x8007_2EE2)
        .time_unknown()
        .with(|t| {
            t.forward_start = Some(base_time());
            if let Some(e) = t.error.as_mut() {
                e.time = Some(base_time() + TimeDelta::milliseconds(120_100));
            }
        }));
    assert_verdict(&d, Verdict::Worker, "R4", Confidence::High);
    assert!(d.evidence.contains("waited 120.1 s"), "{}", d.evidence);
}

#[test]
fn r5_and_r6_with_an_unknown_time_say_so() {
    let d = one(T::new("fr.xml", "502.3")
        .error(ANCM, 0x8007_2EFD)
        .time_unknown());
    assert_verdict(&d, Verdict::Worker, "R5", Confidence::Medium);
    assert!(
        d.evidence.contains("after an unknown time"),
        "{}",
        d.evidence
    );
    assert_no_made_up_time(&d);
    let d = one(T::new("fr.xml", "502.3")
        .error(ANCM, 0x8007_2EFE)
        .time_unknown());
    assert_verdict(&d, Verdict::Worker, "R6", Confidence::High);
    assert!(
        d.evidence.contains("after an unknown time"),
        "{}",
        d.evidence
    );
    assert_no_made_up_time(&d);
}

#[test]
fn r7_does_not_call_an_unknown_time_quick() {
    let d = one(T::new("fr.xml", "502.3")
        .error("AspNetCoreModule", 0x8007_0057)
        .time_unknown());
    assert_verdict(&d, Verdict::Unknown, "R21", Confidence::Low);
    assert_no_made_up_time(&d);
}

#[test]
fn r8_does_not_match_a_timeout_with_an_unknown_time() {
    let d = one(arr_timeout("fr.xml", "abc").time_unknown());
    assert_verdict(&d, Verdict::Unknown, "R21", Confidence::Low);
    assert!(
        d.evidence.contains("how long the proxy waited is unknown"),
        "{}",
        d.evidence
    );
    assert_no_made_up_time(&d);
}

#[test]
fn r8_with_a_backend_of_unknown_time_gives_no_verdict() {
    let ds = all(vec![
        pool_history(200),
        arr_timeout("front.xml", "abc"),
        backend("back.xml", "abc", 200, 100, 41_200).time_unknown(),
    ]);
    assert_verdict(&ds[1], Verdict::Unknown, "R8", Confidence::Low);
    assert_eq!(ds[1].linked_file.as_deref(), Some("back.xml".as_ref()));
    assert!(
        ds[1].evidence.contains("back.xml took an unknown time"),
        "{}",
        ds[1].evidence
    );
    assert_no_made_up_time(&ds[1]);
}

#[test]
fn r9_r10_and_r13_with_an_unknown_time_say_so() {
    let d = one(T::new("fr.xml", "502.3")
        .error(ARR, 0x8007_2EFD)
        .time_unknown());
    assert_verdict(&d, Verdict::Proxy, "R9", Confidence::High);
    assert!(
        d.evidence.contains("after an unknown time"),
        "{}",
        d.evidence
    );
    assert_no_made_up_time(&d);
    let ds = all(vec![
        arr_timeout("front.xml", "abc").with(|t| {
            if let Some(e) = t.error.as_mut() {
                e.error_code = Some(ErrorCode(0x8007_2EFE));
            }
        }),
        backend("back.xml", "abc", 200, 100, 300).time_unknown(),
    ]);
    assert_verdict(&ds[0], Verdict::Worker, "R10", Confidence::High);
    assert!(
        ds[0].evidence.contains("after an unknown time"),
        "{}",
        ds[0].evidence
    );
    assert_no_made_up_time(&ds[0]);
    let d = one(T::new("fr.xml", "502.2")
        .error("CgiModule", 0xC000_00FD)
        .time_unknown());
    assert_verdict(&d, Verdict::Worker, "R13", Confidence::High);
    assert_no_made_up_time(&d);
}

#[test]
fn r14_matches_no_fastcgi_timeout_with_an_unknown_time() {
    let d = one(T::new("fr.xml", "500")
        .error("FastCgiModule", 0x8007_0102)
        .event("FASTCGI_WAITING_FOR_RESPONSE")
        .time_unknown()
        .with(|t| t.fastcgi_new_process = Some(false)));
    assert_verdict(&d, Verdict::Unknown, "R21", Confidence::Low);
    assert_no_made_up_time(&d);
    let d = one(T::new("fr.xml", "500")
        .error("FastCgiModule", 0x8007_0002)
        .event("FASTCGI_ASSIGN_PROCESS")
        .time_unknown()
        .with(|t| t.fastcgi_new_process = Some(true)));
    assert_verdict(&d, Verdict::Startup, "R14", Confidence::Medium);
    assert!(
        d.evidence.contains("after an unknown time"),
        "{}",
        d.evidence
    );
}

#[test]
fn r19_does_not_call_an_unknown_time_slow() {
    let ds = all(vec![
        pool_history(4312),
        T::new("fr.xml", "500")
            .error("IIS Web Core", 0x8007_0020)
            .process("WEB01", "Orders", 4312)
            .at(34, 41_200)
            .time_unknown(),
    ]);
    assert_verdict(&ds[1], Verdict::Unknown, "R21", Confidence::Low);
    assert!(
        ds[1].evidence.contains("after an unknown time"),
        "{}",
        ds[1].evidence
    );
    assert_no_made_up_time(&ds[1]);
}

#[test]
fn hints_state_no_slowest_time_that_no_trace_holds() {
    let traces: Vec<Trace> = vec![arr_timeout("front.xml", "abc").with(|t| {
        t.time_taken_ms = None;
        t.forward_start = Some(base_time());
        if let Some(e) = t.error.as_mut() {
            e.time = Some(base_time() + TimeDelta::milliseconds(30_020));
        }
    })]
    .into_iter()
    .map(|t| t.0)
    .collect();
    let analysis = analyze(&traces, &Options::default());
    assert_eq!(analysis.diagnoses[0].rule, "R8", "{:?}", analysis.diagnoses);
    let hints = hints(&traces, &analysis);
    let arr = hints
        .iter()
        .find(|h| h.title.contains("ARR timeout"))
        .expect("an ARR timeout hint");
    assert!(!arr.title.contains("slowest"), "{}", arr.title);
}
