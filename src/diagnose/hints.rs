//! Configuration hints: what to change, where, and the command that changes it.
//!
//! Verdicts say what happened to each request; hints say what to do about the groups of them
//! that a setting can prevent (cold starts, proxy timeouts shorter than the backend's work,
//! ANCM limits, crash loops). Each hint names the pools and servers concerned, in sorted
//! order, and the hints come in a fixed order, so the same input always gives the same text.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ffi::OsStr;

use chrono::{DateTime, TimeDelta, Utc};

use super::Hint;
use super::evidence as ev;
use super::generations::ProcessInfo;
use crate::model::{Diagnosis, Trace, Verdict};

/// Rapid-fail protection's defaults: this many crashes within this time disable the pool.
const RAPID_FAIL_MAX_CRASHES: usize = 5;
const RAPID_FAIL_INTERVAL_MINUTES: i64 = 5;
/// The shortest `proxy@timeout` to suggest.
const MIN_SUGGESTED_TIMEOUT_MS: u64 = 120_000;

/// The traces one hint is about.
#[derive(Default)]
struct Group {
    pools: BTreeSet<String>,
    servers: BTreeSet<String>,
    sites: BTreeSet<String>,
    count: usize,
    longest_ms: u64,
}

impl Group {
    fn add(&mut self, trace: &Trace, time_ms: u64) {
        if !trace.app_pool.is_empty() {
            self.pools.insert(trace.app_pool.clone());
        }
        if !trace.server.is_empty() {
            self.servers.insert(trace.server.clone());
        }
        if !trace.site_id.is_empty() {
            self.sites.insert(trace.site_id.clone());
        }
        self.count += 1;
        self.longest_ms = self.longest_ms.max(time_ms);
    }

    fn hint(&self, title: String, advice: String, command: String) -> Hint {
        Hint {
            title,
            advice,
            command,
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
    ancm_request_timeout: Group,
    ancm_startup_limit: Group,
    start_failure: Group,
    arr_no_server: Group,
}

/// The hints for a run, in a fixed order.
pub(super) fn hints(
    traces: &[Trace],
    diagnoses: &[Diagnosis],
    processes: &[ProcessInfo],
) -> Vec<Hint> {
    let groups = group(traces, diagnoses);
    let mut out = Vec::new();
    out.extend(cold_start_hint(&groups.cold_start));
    out.extend(arr_timeout_hint(&groups.arr_timeout));
    out.extend(ancm_request_timeout_hint(&groups.ancm_request_timeout));
    out.extend(ancm_startup_limit_hint(&groups.ancm_startup_limit));
    out.extend(start_failure_hint(&groups.start_failure));
    out.extend(rapid_fail_hint(traces, processes));
    out.extend(arr_no_server_hint(&groups.arr_no_server));
    out
}

fn group(traces: &[Trace], diagnoses: &[Diagnosis]) -> Groups {
    // Keyed by the path's bytes: hashing a `Path` walks its components, which on a big share
    // cost more than all the rules.
    let by_file: HashMap<&OsStr, &Trace> = traces.iter().map(|t| (t.file.as_os_str(), t)).collect();
    let mut groups = Groups::default();
    for (trace, diagnosis) in traces.iter().zip(diagnoses) {
        let linked = diagnosis
            .linked_file
            .as_deref()
            .and_then(|f| by_file.get(f.as_os_str()).copied());
        classify(&mut groups, trace, diagnosis, linked);
    }
    groups
}

/// Puts one diagnosis into the groups it calls for.
fn classify(groups: &mut Groups, trace: &Trace, diagnosis: &Diagnosis, linked: Option<&Trace>) {
    let startup = diagnosis.verdict == Verdict::Startup;
    match diagnosis.rule {
        // R1 is a start that failed, not a slow one: no cold-start advice fixes it.
        "R4" | "R5" | "R15" | "R17" | "R19" if startup => {
            groups.cold_start.add(trace, trace.time_taken_ms);
        }
        "R4" if diagnosis.verdict == Verdict::Worker => {
            groups.ancm_request_timeout.add(trace, trace.time_taken_ms);
        }
        "R8" => {
            let backend_ms = linked.map_or(0, |b| b.time_taken_ms);
            groups
                .arr_timeout
                .add(trace, trace.time_taken_ms.max(backend_ms));
            if startup {
                let backend = linked.unwrap_or(trace);
                groups.cold_start.add(backend, backend.time_taken_ms);
            }
        }
        "R3" => groups.ancm_startup_limit.add(trace, trace.time_taken_ms),
        "R2" => groups.start_failure.add(trace, trace.time_taken_ms),
        "R11" => groups.arr_no_server.add(trace, trace.time_taken_ms),
        _ => {}
    }
}

fn cold_start_hint(g: &Group) -> Option<Hint> {
    if g.count == 0 {
        return None;
    }
    let command = appcmd_per_pool(
        &g.pools,
        "/startMode:AlwaysRunning /processModel.idleTimeout:00:00:00",
    );
    Some(g.hint(
        format!("{} during cold starts in pool(s) {}", plural(g.count, "failure"), g.pool_list()),
        format!(
            "Start the worker before users arrive: set startMode=\"AlwaysRunning\" on the pool and preloadEnabled=\"true\" on the application (with Application Initialization installed), e.g. {}; stop idle shutdowns (processModel idleTimeout, 20 min by default) and move the periodic recycle (recycling/periodicRestart time, 1740 min by default) to a schedule outside busy hours",
            preload_command(&g.sites)
        ),
        command,
    ))
}

/// One `appcmd set apppool` line per pool concerned, joined for cmd.exe.
fn appcmd_per_pool(pools: &BTreeSet<String>, settings: &str) -> String {
    pools
        .iter()
        .map(|p| {
            format!(
                "%windir%\\system32\\inetsrv\\appcmd set apppool /apppool.name:\"{p}\" {settings}"
            )
        })
        .collect::<Vec<_>>()
        .join(" & ")
}

/// The site ids for a PowerShell `-in` list, or a placeholder when the traces named none.
fn site_ids(sites: &BTreeSet<String>) -> String {
    if sites.is_empty() {
        "<site id>".to_string()
    } else {
        sites.iter().cloned().collect::<Vec<_>>().join(",")
    }
}

/// PowerShell that sets `preloadEnabled` on every application of the sites concerned.
fn preload_command(sites: &BTreeSet<String>) -> String {
    let ids = site_ids(sites);
    format!(
        "Get-Website | Where-Object id -in {ids} | ForEach-Object {{ Set-ItemProperty \"IIS:\\Sites\\$($_.Name)\" -Name applicationDefaults.preloadEnabled -Value $true }}"
    )
}

fn arr_timeout_hint(g: &Group) -> Option<Hint> {
    if g.count == 0 {
        return None;
    }
    let suggested = suggested_timeout(g.longest_ms);
    Some(g.hint(
        format!(
            "{}; the slowest request took {}",
            plural(g.count, "ARR timeout"),
            ev::seconds(g.longest_ms)
        ),
        format!(
            "ARR's proxy timeout (30 s by default) is shorter than the backend needs: raise system.webServer/proxy@timeout on the ARR server(s) to {suggested} (or the farm's applicationRequestRouting/protocol@timeout), and make the slow backend requests faster"
        ),
        format!(
            "%windir%\\system32\\inetsrv\\appcmd set config -section:system.webServer/proxy /timeout:\"{suggested}\" /commit:apphost"
        ),
    ))
}

/// Half as long again as the slowest request, in whole minutes, at least two minutes.
fn suggested_timeout(longest_ms: u64) -> String {
    let wanted = longest_ms
        .saturating_mul(3)
        .div_ceil(2)
        .max(MIN_SUGGESTED_TIMEOUT_MS);
    let minutes = wanted.div_ceil(60_000);
    format!("{:02}:{:02}:00", minutes / 60, minutes % 60)
}

fn ancm_request_timeout_hint(g: &Group) -> Option<Hint> {
    if g.count == 0 {
        return None;
    }
    let suggested = suggested_timeout(g.longest_ms);
    Some(g.hint(
        format!("{} hit ANCM's requestTimeout", plural(g.count, "request")),
        format!(
            "The application did not answer within aspNetCore@requestTimeout (2 min by default, out-of-process only): find the slow requests; if they are legitimate, raise requestTimeout to {suggested}"
        ),
        site_config_command(&g.sites, "system.webServer/aspNetCore", "requestTimeout", &suggested),
    ))
}

fn ancm_startup_limit_hint(g: &Group) -> Option<Hint> {
    if g.count == 0 {
        return None;
    }
    Some(g.hint(
        format!("{} exceeded ANCM's startupTimeLimit", plural(g.count, "cold start")),
        "The application took longer to start than aspNetCore@startupTimeLimit (120 s by default): make startup faster (many apps starting at once, CPU or memory pressure) or raise the limit".to_string(),
        site_config_command(&g.sites, "system.webServer/aspNetCore", "startupTimeLimit", "300"),
    ))
}

/// PowerShell that sets one attribute of a section on every site concerned.
fn site_config_command(sites: &BTreeSet<String>, filter: &str, name: &str, value: &str) -> String {
    let ids = site_ids(sites);
    format!(
        "Get-Website | Where-Object id -in {ids} | ForEach-Object {{ Set-WebConfigurationProperty -PSPath \"IIS:\\Sites\\$($_.Name)\" -Filter {filter} -Name {name} -Value '{value}' }}"
    )
}

fn start_failure_hint(g: &Group) -> Option<Hint> {
    if g.count == 0 {
        return None;
    }
    Some(g.hint(
        format!("{} failed because the application could not start", plural(g.count, "request")),
        "The application fails to start (runtime missing, bitness, startup exception, ANCM configuration): read the ANCM events 1000/1007/1010 in the Application log and enable aspNetCore@stdoutLogEnabled to see the startup error".to_string(),
        "Get-WinEvent -FilterHashtable @{LogName='Application'; ProviderName='IIS AspNetCore Module V2'} -MaxEvents 20 | Format-List TimeCreated, Id, Message".to_string(),
    ))
}

fn arr_no_server_hint(g: &Group) -> Option<Hint> {
    if g.count == 0 {
        return None;
    }
    let command = appcmd_per_pool(&g.pools, "/processModel.idleTimeout:00:00:00");
    Some(g.hint(
        format!("{} found no healthy server in the ARR farm (502.4)", plural(g.count, "request")),
        "Check the farm's health test (healthCheck url and responseMatch) and the servers' states; keep the ARR pool from idling out (idleTimeout 0), since its restart resets the farm's health".to_string(),
        command,
    ))
}

/// Pools whose worker process was replaced rapid-fail often: five new processes within five
/// minutes is what rapid-fail protection stops a pool for (then every request gets 503).
fn rapid_fail_hint(traces: &[Trace], processes: &[ProcessInfo]) -> Option<Hint> {
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
        "Get-WinEvent -FilterHashtable @{LogName='System'; ProviderName='Microsoft-Windows-WAS'; Id=5002,5009,5010,5011} -MaxEvents 50 | Format-List TimeCreated, Id, Message".to_string(),
    ))
}

type PoolKey = (String, String);

/// The first-trace time of every process that replaced another, per (server, pool), sorted.
fn process_starts(
    traces: &[Trace],
    processes: &[ProcessInfo],
) -> BTreeMap<PoolKey, Vec<DateTime<Utc>>> {
    let mut starts: BTreeMap<PoolKey, Vec<_>> = BTreeMap::new();
    for (trace, info) in traces.iter().zip(processes) {
        if let (true, Some(start)) = (info.first_for_pid, trace.start_time) {
            starts
                .entry((trace.server.clone(), trace.app_pool.clone()))
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
