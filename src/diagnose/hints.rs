//! Configuration hints: what to change, where, and the command that changes it.
//!
//! Verdicts say what happened to each request; hints say what to do about the groups of them
//! that a setting can prevent (cold starts, proxy timeouts shorter than the backend's work,
//! ANCM limits, crash loops). Each hint names the pools and servers concerned, in sorted
//! order, and the hints come in a fixed order, so the same input always gives the same text.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ffi::OsStr;
use std::path::Path;

use chrono::{DateTime, TimeDelta, Utc};

use super::Hint;
use super::evidence as ev;
use super::generations::ProcessInfo;
use crate::compact::TraceFacts;
use crate::model::{ArrRoute, Diagnosis, Verdict};
use crate::shell::{self, FixLine, Shell, quote};

/// Rapid-fail protection's defaults: this many crashes within this time disable the pool.
const RAPID_FAIL_MAX_CRASHES: usize = 5;
const RAPID_FAIL_INTERVAL_MINUTES: i64 = 5;
/// The shortest ARR timeout (farm or proxy) to suggest.
const MIN_SUGGESTED_TIMEOUT_MS: u64 = 120_000;

/// The technology that failed, which decides where its logs and settings are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Tech {
    /// ASP.NET Core Module (`AspNetCoreModule`, `AspNetCoreModuleV2`).
    Ancm,
    /// HttpPlatformHandler.
    HttpPlatform,
    /// Classic ASP.NET on .NET Framework (`AspNetInitializationExceptionModule`).
    AspNet,
}

fn tech(trace: &impl TraceFacts) -> Tech {
    let module = trace.module();
    if module.eq_ignore_ascii_case("AspNetInitializationExceptionModule") {
        Tech::AspNet
    } else if module.eq_ignore_ascii_case("httpPlatformHandler") {
        Tech::HttpPlatform
    } else {
        Tech::Ancm
    }
}

/// The traces one hint is about.
#[derive(Default)]
struct Group {
    pools: BTreeSet<String>,
    servers: BTreeSet<String>,
    sites: BTreeSet<u32>,
    count: usize,
    longest_ms: Option<u64>,
    /// Some trace went through ARR on this server: Application Initialization is not
    /// recommended there.
    arr: bool,
    /// ARR farms the requests were routed to (empty name: a farm whose name is unknown).
    farms: BTreeSet<String>,
    /// Some request was proxied to a plain URL, or the trace does not say how.
    direct: bool,
    unknown_route: bool,
}

impl Group {
    fn add(&mut self, trace: &impl TraceFacts, time_ms: Option<u64>) {
        if !trace.app_pool().is_empty() {
            self.pools.insert(trace.app_pool().to_owned());
        }
        if !trace.server().is_empty() {
            self.servers.insert(trace.server().to_owned());
        }
        // A site id is a number; anything else in the trace is not placed in a command.
        if let Ok(id) = trace.site_id().trim().parse::<u32>() {
            self.sites.insert(id);
        }
        self.count += 1;
        self.longest_ms = self.longest_ms.max(time_ms);
        self.arr |= trace
            .module()
            .eq_ignore_ascii_case("ApplicationRequestRouting")
            || trace.arr_log_id_forwarded().is_some();
    }

    fn add_route(&mut self, trace: &impl TraceFacts) {
        match trace.arr_route() {
            Some(ArrRoute::Farm { name }) => {
                self.farms.insert(name.clone());
            }
            Some(ArrRoute::Direct) => self.direct = true,
            None => self.unknown_route = true,
        }
    }

    fn hint(&self, title: String, advice: String, commands: Vec<FixLine>) -> Hint {
        Hint {
            title,
            advice,
            commands,
            app_pools: self.pools.iter().cloned().collect(),
            servers: self.servers.iter().cloned().collect(),
            count: self.count,
        }
    }

    fn pool_list(&self) -> String {
        self.pools.iter().cloned().collect::<Vec<_>>().join(", ")
    }
}

/// The groups, one per kind of hint.
#[derive(Default)]
struct Groups {
    cold_start: Group,
    arr_timeout: Group,
    request_timeout: BTreeMap<Tech, Group>,
    ancm_startup_limit: Group,
    start_failure: BTreeMap<Tech, Group>,
    arr_no_server: Group,
}

/// The hints for a run, in a fixed order.
pub(super) fn hints<T: TraceFacts>(
    traces: &[T],
    diagnoses: &[Diagnosis],
    processes: &[ProcessInfo],
) -> Vec<Hint> {
    let groups = group(traces, diagnoses);
    let mut out = Vec::new();
    out.extend(cold_start_hint(&groups.cold_start));
    out.extend(arr_timeout_hint(&groups.arr_timeout));
    for (tech, g) in &groups.request_timeout {
        out.extend(request_timeout_hint(*tech, g));
    }
    out.extend(ancm_startup_limit_hint(&groups.ancm_startup_limit));
    for (tech, g) in &groups.start_failure {
        out.extend(start_failure_hint(*tech, g));
    }
    out.extend(rapid_fail_hint(traces, processes));
    out.extend(arr_no_server_hint(&groups.arr_no_server));
    out
}

fn group<T: TraceFacts>(traces: &[T], diagnoses: &[Diagnosis]) -> Groups {
    let by_file = linked_traces(traces, diagnoses);
    let mut groups = Groups::default();
    for (trace, diagnosis) in traces.iter().zip(diagnoses) {
        let linked = diagnosis
            .linked_file
            .as_deref()
            .and_then(|f| by_file.get(f.as_os_str()).map(|&i| &traces[i]));
        classify(&mut groups, trace, diagnosis, linked);
    }
    groups
}

/// The indices of the traces some diagnosis is linked to, by file: only those, since a run's
/// records are many and its links few. Keyed by the path's bytes: hashing a `Path` walks its components,
/// which on a big share cost more than all the rules.
pub(crate) fn linked_traces<'t, T: TraceFacts>(
    traces: &'t [T],
    diagnoses: &[Diagnosis],
) -> HashMap<&'t OsStr, usize> {
    let linked: HashSet<&OsStr> = diagnoses
        .iter()
        .filter_map(|d| d.linked_file.as_deref())
        .map(Path::as_os_str)
        .collect();
    traces
        .iter()
        .enumerate()
        .map(|(i, t)| (t.file().as_os_str(), i))
        .filter(|(file, _)| linked.contains(file))
        .collect()
}

/// Puts one diagnosis into the groups it calls for.
fn classify<T: TraceFacts>(
    groups: &mut Groups,
    trace: &T,
    diagnosis: &Diagnosis,
    linked: Option<&T>,
) {
    let startup = diagnosis.verdict == Verdict::Startup;
    match diagnosis.rule {
        // R1 is a start that failed, not a slow one: no cold-start advice fixes it.
        "R4" | "R5" | "R15" | "R17" | "R19" if startup => {
            groups.cold_start.add(trace, trace.time_taken_ms());
        }
        "R4" if diagnosis.verdict == Verdict::Worker => {
            groups
                .request_timeout
                .entry(tech(trace))
                .or_default()
                .add(trace, trace.time_taken_ms());
        }
        "R8" => {
            let backend_ms = linked.and_then(|b| b.time_taken_ms());
            groups
                .arr_timeout
                .add(trace, trace.time_taken_ms().max(backend_ms));
            groups.arr_timeout.add_route(trace);
            if startup {
                let backend = linked.unwrap_or(trace);
                groups.cold_start.add(backend, backend.time_taken_ms());
            }
        }
        "R3" => groups.ancm_startup_limit.add(trace, trace.time_taken_ms()),
        "R2" => groups
            .start_failure
            .entry(tech(trace))
            .or_default()
            .add(trace, trace.time_taken_ms()),
        "R11" => groups.arr_no_server.add(trace, trace.time_taken_ms()),
        _ => {}
    }
}

const APPCMD: &str = r"%windir%\system32\inetsrv\appcmd.exe";
const APPHOST: &str = "'MACHINE/WEBROOT/APPHOST'";

fn cold_start_hint(g: &Group) -> Option<Hint> {
    if g.count == 0 {
        return None;
    }
    let mut commands = Vec::new();
    for pool in &g.pools {
        commands.extend(pool_commands(
            pool,
            &[
                ("startMode", "AlwaysRunning", "AlwaysRunning"),
                ("processModel.idleTimeout", "00:00:00", "([TimeSpan]::Zero)"),
            ],
        ));
    }
    let preload = if g.arr {
        "; on an ARR server keep to idleTimeout 0 and no periodic recycle: Application Initialization is not recommended together with ARR".to_string()
    } else {
        commands.push(preload_command(&g.sites));
        String::new()
    };
    Some(g.hint(
        format!("{} during cold starts in pool(s) {}", plural(g.count, "failure"), g.pool_list()),
        format!(
            "Start the worker before users arrive: set startMode=\"AlwaysRunning\" on the pool and preloadEnabled=\"true\" on the application (with Application Initialization installed); stop idle shutdowns (processModel idleTimeout, 20 min by default) and move the periodic recycle (recycling/periodicRestart time, 1740 min by default) to a schedule outside busy hours{preload}"
        ),
        commands,
    ))
}

/// For one pool, an appcmd line (cmd.exe) and PowerShell lines that set `settings`, each given
/// as (attribute, appcmd value, PowerShell value).
fn pool_commands(pool: &str, settings: &[(&str, &str, &str)]) -> Vec<FixLine> {
    let appcmd_settings: Vec<String> = settings
        .iter()
        .map(|(name, value, _)| format!("/{name}:{value}"))
        .collect();
    let mut lines = Vec::new();
    if cmd_line_fits(pool) {
        lines.push(FixLine::new(
            Shell::Cmd,
            format!(
                "{APPCMD} set apppool /apppool.name:{} {}",
                quote(Shell::Cmd, pool),
                appcmd_settings.join(" ")
            ),
        ));
    }
    let path = quote(Shell::PowerShell, &format!(r"IIS:\AppPools\{pool}"));
    for (name, _, value) in settings {
        lines.push(FixLine::new(
            Shell::PowerShell,
            format!("Set-ItemProperty -LiteralPath {path} -Name {name} -Value {value}"),
        ));
    }
    lines
}

/// The site ids for a PowerShell `-in` list (numbers only), or `$null` with a note when the
/// traces named none.
fn site_ids(sites: &BTreeSet<u32>) -> String {
    if sites.is_empty() {
        "@() <# put your site ids here #>".to_string()
    } else {
        sites
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// PowerShell that sets `preloadEnabled` on every application of the sites concerned.
fn preload_command(sites: &BTreeSet<u32>) -> FixLine {
    let ids = site_ids(sites);
    FixLine::new(
        Shell::PowerShell,
        format!(
            "Get-Website | Where-Object id -in {ids} | ForEach-Object {{ Set-ItemProperty -LiteralPath \"IIS:\\Sites\\$($_.Name)\" -Name applicationDefaults.preloadEnabled -Value $true }}"
        ),
    )
}

fn arr_timeout_hint(g: &Group) -> Option<Hint> {
    if g.count == 0 {
        return None;
    }
    let suggested = suggested_timeout(g.longest_ms);
    let mut commands = Vec::new();
    let mut which = Vec::new();
    for farm in &g.farms {
        commands.extend(farm_timeout_commands(farm, &suggested));
    }
    if !g.farms.is_empty() {
        let names: Vec<&str> = g
            .farms
            .iter()
            .map(|f| {
                if f.is_empty() {
                    "(name not in the trace)"
                } else {
                    f.as_str()
                }
            })
            .collect();
        which.push(format!(
            "the requests went to server farm(s) {}: raise the farm's webFarms/webFarm/applicationRequestRouting/protocol@timeout (30 s by default) to {suggested}",
            names.join(", ")
        ));
    }
    if g.direct {
        commands.extend(proxy_timeout_commands(&suggested));
        which.push(format!(
            "requests rewritten to a plain URL (no farm) use the server-level system.webServer/proxy@timeout (2 min by default): raise it to {suggested}"
        ));
    }
    if g.unknown_route && g.farms.is_empty() && !g.direct {
        commands.extend(farm_timeout_commands("", &suggested));
        commands.extend(proxy_timeout_commands(&suggested));
        which.push(format!(
            "the traces do not say whether ARR routed to a farm: a rule that rewrites to http://FarmName/... uses the farm's webFarms/webFarm/applicationRequestRouting/protocol@timeout (30 s by default), one that rewrites to a plain URL uses system.webServer/proxy@timeout (2 min by default); raise the one that applies to {suggested}"
        ));
    }
    let slowest = g.longest_ms.map_or_else(String::new, |ms| {
        format!("; the slowest request took {}", ev::seconds(ms))
    });
    Some(g.hint(
        format!("{}{slowest}", plural(g.count, "ARR timeout")),
        format!(
            "ARR's timeout is shorter than the backend needs: {}; and make the slow backend requests faster",
            which.join("; ")
        ),
        commands,
    ))
}

/// A value goes into a cmd.exe line only when cmd.exe can hold it literally and the line
/// stays harmless if pasted into PowerShell by mistake (no `$`, no backtick); the PowerShell
/// line, which quotes anything, is always there.
fn cmd_line_fits(value: &str) -> bool {
    shell::double_quotes_safe_for_windows_shells(value)
}

/// The farm's timeout, in cmd.exe and in PowerShell; an empty name becomes a placeholder.
fn farm_timeout_commands(farm: &str, timeout: &str) -> Vec<FixLine> {
    let farm = if farm.is_empty() { "<farm name>" } else { farm };
    let mut lines = Vec::new();
    if cmd_line_fits(farm) {
        lines.push(FixLine::new(
            Shell::Cmd,
            format!(
                "{APPCMD} set config -section:webFarms {} /commit:apphost",
                quote(
                    Shell::Cmd,
                    &format!(
                        "/[name='{farm}'].applicationRequestRouting.protocol.timeout:{timeout}"
                    )
                )
            ),
        ));
    }
    lines.push(FixLine::new(
            Shell::PowerShell,
            format!(
                "Set-WebConfigurationProperty -PSPath {APPHOST} -Filter {} -Name timeout -Value '{timeout}'",
                quote(
                    Shell::PowerShell,
                    &format!("webFarms/webFarm[@name='{farm}']/applicationRequestRouting/protocol")
                )
            ),
        ));
    lines
}

/// The server-level proxy timeout, in cmd.exe and in PowerShell.
fn proxy_timeout_commands(timeout: &str) -> Vec<FixLine> {
    vec![
        FixLine::new(
            Shell::Cmd,
            format!(
                "{APPCMD} set config -section:system.webServer/proxy /timeout:\"{timeout}\" /commit:apphost"
            ),
        ),
        FixLine::new(
            Shell::PowerShell,
            format!(
                "Set-WebConfigurationProperty -PSPath {APPHOST} -Filter 'system.webServer/proxy' -Name timeout -Value '{timeout}'"
            ),
        ),
    ]
}

/// Half as long again as the slowest request, in whole minutes, at least two minutes (when
/// no request says how long it took).
fn suggested_timeout(longest_ms: Option<u64>) -> String {
    let wanted = longest_ms
        .unwrap_or(0)
        .saturating_mul(3)
        .div_ceil(2)
        .max(MIN_SUGGESTED_TIMEOUT_MS);
    let minutes = wanted.div_ceil(60_000);
    format!("{:02}:{:02}:00", minutes / 60, minutes % 60)
}

fn request_timeout_hint(tech: Tech, g: &Group) -> Option<Hint> {
    if g.count == 0 {
        return None;
    }
    let suggested = suggested_timeout(g.longest_ms);
    let (name, section, attribute) = match tech {
        Tech::HttpPlatform => (
            "HttpPlatformHandler",
            "system.webServer/httpPlatform",
            "httpPlatform@requestTimeout (2 min by default, whole minutes)",
        ),
        _ => (
            "ANCM",
            "system.webServer/aspNetCore",
            "aspNetCore@requestTimeout (2 min by default, out-of-process only)",
        ),
    };
    Some(g.hint(
        format!("{} hit {name}'s requestTimeout", plural(g.count, "request")),
        format!(
            "The application did not answer within {attribute}: find the slow requests; if they are legitimate, raise requestTimeout to {suggested}"
        ),
        vec![site_config_command(&g.sites, section, "requestTimeout", &suggested)],
    ))
}

fn ancm_startup_limit_hint(g: &Group) -> Option<Hint> {
    if g.count == 0 {
        return None;
    }
    Some(g.hint(
        format!("{} exceeded ANCM's startupTimeLimit", plural(g.count, "cold start")),
        "The application took longer to start than aspNetCore@startupTimeLimit (120 s by default): make startup faster (many apps starting at once, CPU or memory pressure) or raise the limit".to_string(),
        vec![site_config_command(&g.sites, "system.webServer/aspNetCore", "startupTimeLimit", "300")],
    ))
}

/// PowerShell that sets one attribute of a section on every site concerned.
fn site_config_command(sites: &BTreeSet<u32>, filter: &str, name: &str, value: &str) -> FixLine {
    let ids = site_ids(sites);
    FixLine::new(
        Shell::PowerShell,
        format!(
            "Get-Website | Where-Object id -in {ids} | ForEach-Object {{ Set-WebConfigurationProperty -PSPath \"IIS:\\Sites\\$($_.Name)\" -Filter {} -Name {name} -Value {} }}",
            quote(Shell::PowerShell, filter),
            quote(Shell::PowerShell, value)
        ),
    )
}

fn start_failure_hint(tech: Tech, g: &Group) -> Option<Hint> {
    if g.count == 0 {
        return None;
    }
    let (advice, command) = match tech {
        Tech::Ancm => (
            "The ASP.NET Core application fails to start (runtime missing, bitness, startup exception, ANCM configuration): read the ANCM events 1000/1007/1010 in the Application log and enable aspNetCore@stdoutLogEnabled to see the startup error".to_string(),
            FixLine::new(
                Shell::PowerShell,
                "Get-WinEvent -FilterHashtable @{LogName='Application'; ProviderName='IIS AspNetCore Module V2'} -MaxEvents 20 | Format-List TimeCreated, Id, Message",
            ),
        ),
        Tech::HttpPlatform => (
            "The process HttpPlatformHandler starts fails (httpPlatform@processPath or arguments wrong, the program exits, or it does not listen on HTTP_PLATFORM_PORT within startupTimeLimit, 10 s by default): enable httpPlatform@stdoutLogEnabled with a stdoutLogFile to see its output".to_string(),
            site_config_command(&g.sites, "system.webServer/httpPlatform", "stdoutLogEnabled", "true"),
        ),
        Tech::AspNet => (
            "The ASP.NET application fails to initialize (an exception in Application_Start, a broken web.config, a missing assembly, or a pool whose .NET Framework version, managedRuntimeVersion, does not match the application): the ASP.NET warnings in the Application log (source ASP.NET 4.0.30319.0) carry the exception".to_string(),
            FixLine::new(
                Shell::PowerShell,
                "Get-WinEvent -FilterHashtable @{LogName='Application'; ProviderName='ASP.NET 4.0.30319.0'} -MaxEvents 20 | Format-List TimeCreated, Id, Message",
            ),
        ),
    };
    Some(g.hint(
        format!(
            "{} failed because the application could not start",
            plural(g.count, "request")
        ),
        advice,
        vec![command],
    ))
}

fn arr_no_server_hint(g: &Group) -> Option<Hint> {
    if g.count == 0 {
        return None;
    }
    let commands = g
        .pools
        .iter()
        .flat_map(|pool| {
            pool_commands(
                pool,
                &[("processModel.idleTimeout", "00:00:00", "([TimeSpan]::Zero)")],
            )
        })
        .collect();
    Some(g.hint(
        format!("{} found no healthy server in the ARR farm (502.4)", plural(g.count, "request")),
        "Check the farm's health test (healthCheck url and responseMatch) and the servers' states; keep the ARR pool from idling out (idleTimeout 0), since its restart resets the farm's health".to_string(),
        commands,
    ))
}

/// Pools whose worker process was replaced rapid-fail often: five new processes within five
/// minutes is what rapid-fail protection stops a pool for (then every request gets 503).
fn rapid_fail_hint<T: TraceFacts>(traces: &[T], processes: &[ProcessInfo]) -> Option<Hint> {
    let starts = process_starts(traces, processes);
    let window = TimeDelta::minutes(RAPID_FAIL_INTERVAL_MINUTES);
    let mut group = Group::default();
    let mut restarts = 0;
    for ((server, pool), times) in &starts {
        let Some(count) = most_within(times, window) else {
            continue;
        };
        if count >= RAPID_FAIL_MAX_CRASHES {
            group.pools.insert(pool.clone());
            group.servers.insert(server.clone());
            group.count += 1;
            restarts = restarts.max(count);
        }
    }
    if group.count == 0 {
        return None;
    }
    Some(group.hint(
        format!(
            "Pool(s) {} started up to {restarts} new worker processes within {RAPID_FAIL_INTERVAL_MINUTES} minutes",
            group.pool_list()
        ),
        format!(
            "Worker processes are being replaced rapidly (crash, hang or recycle loop); rapid-fail protection disables a pool after {RAPID_FAIL_MAX_CRASHES} crashes in {RAPID_FAIL_INTERVAL_MINUTES} minutes and every request then gets 503: find the cause in the WAS events (5002 pool disabled, 5009/5011 crash, 5010 hang) before changing failure.rapidFailProtection"
        ),
        vec![FixLine::new(
            Shell::PowerShell,
            "Get-WinEvent -FilterHashtable @{LogName='System'; ProviderName='Microsoft-Windows-WAS'; Id=5002,5009,5010,5011} -MaxEvents 50 | Format-List TimeCreated, Id, Message",
        )],
    ))
}

type PoolKey = (String, String);

/// The first-trace time of every process that replaced another, per (server, pool), sorted.
fn process_starts<T: TraceFacts>(
    traces: &[T],
    processes: &[ProcessInfo],
) -> BTreeMap<PoolKey, Vec<DateTime<Utc>>> {
    let mut starts: BTreeMap<PoolKey, Vec<_>> = BTreeMap::new();
    for (trace, info) in traces.iter().zip(processes) {
        if let (true, Some(start)) = (info.first_for_pid, trace.start_time()) {
            starts
                .entry((trace.server().to_owned(), trace.app_pool().to_owned()))
                .or_default()
                .push(start);
        }
    }
    for times in starts.values_mut() {
        times.sort();
    }
    starts
}

/// The largest number of sorted times that fit in one window (two pointers, linear).
fn most_within(times: &[DateTime<Utc>], window: TimeDelta) -> Option<usize> {
    let mut best = None;
    let mut first = 0;
    for (last, &time) in times.iter().enumerate() {
        while time - times[first] > window {
            first += 1;
        }
        best = best.max(Some(last - first + 1));
    }
    best
}

/// `1 request`, `3 requests`.
fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}
