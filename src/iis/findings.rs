//! The audit's findings: which effective settings cause or hide 502s, and the fix for this
//! pool, site or application.
//!
//! The ids are a contract (scripts and tests key on them); each is documented in
//! `docs/config-findings.md`. Pool findings concern only pools that serve at least one
//! application: an unused pool idling out harms no one.

use std::collections::BTreeSet;

use serde::Serialize;

use super::fix::{self, Commit, Fix, PoolChange, Shell};
use super::model::{App, Entry, Origin, ServerConfig, Setting};
use super::read::Node;
use super::schema::{self, human};

/// How much a finding matters for 502s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Causes failures on its own.
    High,
    /// Causes failures in common conditions, or hides them.
    Medium,
    /// Makes diagnosis harder.
    Low,
    /// Worth knowing; nothing to fix.
    Info,
}

impl Severity {
    /// The word shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The id (`pool-cold-start`).
    pub id: &'static str,
    /// Its severity.
    pub severity: Severity,
    /// The server (`None` when no name could be found for its file).
    pub server: Option<String>,
    /// The pool concerned.
    pub pool: Option<String>,
    /// The site concerned.
    pub site: Option<String>,
    /// The application's virtual path.
    pub app: Option<String>,
    /// The setting(s): `processModel@idleTimeout`.
    pub setting: String,
    /// The effective value(s).
    pub value: String,
    /// Where each value came from.
    pub source: String,
    /// Why it matters for 502s.
    pub why: String,
    /// One cmd line and one PowerShell line, or none when there is nothing to run.
    pub fix: Vec<Fix>,
}

/// The context a finding is built in.
struct Ctx<'a> {
    server: &'a ServerConfig,
    name: Option<String>,
    out: Vec<Finding>,
}

impl Ctx<'_> {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        id: &'static str,
        severity: Severity,
        at: (Option<&str>, Option<&str>, Option<&str>),
        settings: &[(&str, &Setting)],
        why: String,
        fix: Vec<Fix>,
    ) {
        let setting = settings
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", ");
        let value = settings
            .iter()
            .map(|(n, s)| shown_value(n, &s.value))
            .collect::<Vec<_>>()
            .join(", ");
        let source = settings
            .iter()
            .map(|(_, s)| s.origin.to_string())
            .collect::<Vec<_>>()
            .join("; ");
        self.out.push(Finding {
            id,
            severity,
            server: self.name.clone(),
            pool: at.0.map(str::to_owned),
            site: at.1.map(str::to_owned),
            app: at.2.map(str::to_owned),
            setting,
            value,
            source,
            why,
            fix,
        });
    }
}

/// Values of passwords and encrypted attributes are never shown.
fn shown_value(setting: &str, value: &str) -> String {
    let lower = setting.to_ascii_lowercase();
    if super::read::is_encrypted(value) {
        return "(encrypted)".into();
    }
    if lower.contains("password") {
        return "(password, not shown)".into();
    }
    match schema::parse_timespan(value) {
        Some(s) if value.contains(':') => format!("{value} ({})", human(s)),
        _ if value.is_empty() => "(empty)".into(),
        _ => value.to_owned(),
    }
}

fn seconds(s: &Setting) -> f64 {
    s.seconds().unwrap_or(0.0)
}

/// Every finding of one server, in a fixed order (the report ranks them).
pub fn server_findings(
    server: &ServerConfig,
    name: Option<String>,
    backends: &[&ServerConfig],
) -> Vec<Finding> {
    let mut ctx = Ctx {
        server,
        name,
        out: Vec::new(),
    };
    let apps = server.apps();
    let proxies = server.proxies();
    pool_findings(&mut ctx, &apps, proxies);
    appinit_finding(&mut ctx, &apps, proxies);
    site_findings(&mut ctx, &apps, proxies);
    arr_timeout_findings(&mut ctx, backends);
    locked_findings(&mut ctx, &apps);
    ctx.out
}

fn pool_findings(ctx: &mut Ctx<'_>, apps: &[App], proxies: bool) {
    let server = ctx.server;
    // Pool names compare without case; one map each way keeps thousands of pools linear.
    let defined: BTreeSet<String> = server
        .pools()
        .iter()
        .filter_map(|p| p.attr("name"))
        .map(str::to_lowercase)
        .collect();
    let mut by_pool: std::collections::HashMap<String, Vec<&App>> =
        std::collections::HashMap::new();
    for app in apps {
        by_pool
            .entry(app.pool.value.to_lowercase())
            .or_default()
            .push(app);
    }
    let mut seen = BTreeSet::new();
    for app in apps {
        let pool_name = app.pool.value.clone();
        let key = pool_name.to_lowercase();
        if !defined.contains(&key) && seen.insert(key) {
            ctx.push(
                "pool-missing",
                Severity::High,
                (Some(&pool_name), Some(&app.site), Some(&app.path)),
                &[("applicationPool", &app.pool)],
                format!(
                    "the application runs in pool \"{pool_name}\", which is not defined: IIS answers 503 for every request to it"
                ),
                fix::add_pool(&pool_name),
            );
        }
    }
    for pool in server.pools() {
        let name = pool.attr("name").unwrap_or("").to_owned();
        let Some(served) = by_pool.get(&name.to_lowercase()) else {
            continue;
        };
        one_pool(ctx, pool, &name, served, proxies);
    }
}

fn one_pool(ctx: &mut Ctx<'_>, pool: &Node, name: &str, served: &[&App], proxies: bool) {
    let server = ctx.server;
    let start_mode = server.pool_setting(pool, &[], "startMode");
    let idle = server.pool_setting(pool, &["processModel"], "idleTimeout");
    let on_demand =
        !start_mode.value.eq_ignore_ascii_case("AlwaysRunning") && start_mode.value.trim() != "1";
    let first = served[0];
    let at = (
        Some(name),
        Some(first.site.as_str()),
        Some(first.path.as_str()),
    );
    if on_demand && seconds(&idle) > 0.0 {
        let why = format!(
            "after {} without a request the worker process shuts down; the next request starts the process and the application, and a proxy in front may give up first (502.3)",
            human(seconds(&idle))
        );
        ctx.push(
            "pool-cold-start",
            Severity::High,
            at,
            &[
                ("startMode", &start_mode),
                ("processModel@idleTimeout", &idle),
            ],
            why,
            cold_start_fix(name, served, proxies),
        );
    }
    for app in served {
        let app_at = (Some(name), Some(app.site.as_str()), Some(app.path.as_str()));
        if app.preload.is_true() && on_demand {
            ctx.push(
                "preload-without-always-running",
                Severity::Medium,
                app_at,
                &[("preloadEnabled", &app.preload), ("startMode", &start_mode)],
                "preloadEnabled is honoured only when the pool is AlwaysRunning: this application is still loaded by its first user request".into(),
                fix::pool(
                    name,
                    &PoolChange {
                        appcmd: &["startMode:AlwaysRunning"],
                        powershell: &[("startMode", "'AlwaysRunning'")],
                    },
                ),
            );
        }
        if !on_demand && !app.preload.is_true() && !proxies {
            let (cmd, ps) = fix::preload(&app.site, &app.path);
            ctx.push(
                "always-running-without-preload",
                Severity::Medium,
                app_at,
                &[("startMode", &start_mode), ("preloadEnabled", &app.preload)],
                "the worker process runs, but the application is loaded by the first user request after each start or recycle".into(),
                fix::pair("site or application name", || cmd, || ps),
            );
        }
    }
    recycle_findings(ctx, pool, name, at);
    if proxies {
        let time = server.pool_setting(pool, &["recycling", "periodicRestart"], "time");
        if seconds(&idle) > 0.0 || seconds(&time) > 0.0 {
            ctx.push(
                "arr-pool-idle",
                Severity::Medium,
                at,
                &[("processModel@idleTimeout", &idle), ("recycling/periodicRestart@time", &time)],
                "this server proxies (ARR): a recycled or idled-out ARR worker loses the farm's health state and answers 502.4 until the health checks run again".into(),
                fix::pool(
                    name,
                    &PoolChange {
                        appcmd: &["processModel.idleTimeout:00:00:00", "recycling.periodicRestart.time:00:00:00"],
                        powershell: &[
                            ("processModel.idleTimeout", "([TimeSpan]::Zero)"),
                            ("recycling.periodicRestart.time", "([TimeSpan]::Zero)"),
                        ],
                    },
                ),
            );
        }
    }
}

fn cold_start_fix(pool: &str, served: &[&App], proxies: bool) -> Vec<Fix> {
    // Application Initialization is not recommended with ARR: on a front end the fix is to
    // stop idling, not to preload.
    let (appcmd, powershell): (&[&str], &[(&str, &str)]) = if proxies {
        (
            &["processModel.idleTimeout:00:00:00"],
            &[("processModel.idleTimeout", "([TimeSpan]::Zero)")],
        )
    } else {
        (
            &[
                "startMode:AlwaysRunning",
                "processModel.idleTimeout:00:00:00",
            ],
            &[
                ("startMode", "'AlwaysRunning'"),
                ("processModel.idleTimeout", "([TimeSpan]::Zero)"),
            ],
        )
    };
    let base = fix::pool(pool, &PoolChange { appcmd, powershell });
    if proxies {
        return base;
    }
    let preloads: Vec<_> = served
        .iter()
        .filter(|a| !a.preload.is_true())
        .map(|a| fix::preload(&a.site, &a.path))
        .collect();
    if preloads.is_empty() {
        return base;
    }
    let (cmds, pss): (Vec<_>, Vec<_>) = preloads.into_iter().unzip();
    let mut out = Vec::new();
    for (line, extra, shell) in [
        (&base[0], cmds, Shell::Cmd),
        (&base[1], pss, Shell::Powershell),
    ] {
        if line.command.starts_with("rem ") || line.command.starts_with("# ") {
            out.push(line.clone());
            continue;
        }
        match fix::join(extra, shell) {
            Ok(more) => out.push(Fix {
                shell,
                command: format!(
                    "{}{}{more}",
                    line.command,
                    if shell == Shell::Cmd { " & " } else { "; " }
                ),
            }),
            Err(_) => out.push(line.clone()),
        }
    }
    out
}

fn recycle_findings(
    ctx: &mut Ctx<'_>,
    pool: &Node,
    name: &str,
    at: (Option<&str>, Option<&str>, Option<&str>),
) {
    let server = ctx.server;
    let restart = ["recycling", "periodicRestart"];
    let time = server.pool_setting(pool, &restart, "time");
    let schedule = server.pool_schedule(pool);
    if seconds(&time) > 0.0 && schedule.is_empty() {
        ctx.push(
            "periodic-recycle-drifts",
            Severity::Medium,
            at,
            &[("recycling/periodicRestart@time", &time)],
            format!(
                "the pool recycles every {} after it starts, a moment that drifts through the day into busy hours; each recycle is a cold start",
                human(seconds(&time))
            ),
            fix::recycle_schedule(name),
        );
    }
    for (attr, limit) in [
        ("memory", 102_400u64),
        ("privateMemory", 102_400),
        ("requests", 1000),
    ] {
        let s = server.pool_setting(pool, &restart, attr);
        let v = s.number().unwrap_or(0);
        if v > 0 && v < limit {
            let unit = if attr == "requests" { "requests" } else { "KB" };
            let switch = format!("recycling.periodicRestart.{attr}:0");
            let property = format!("recycling.periodicRestart.{attr}");
            ctx.push(
                "recycle-storm",
                Severity::High,
                at,
                &[(&format!("recycling/periodicRestart@{attr}"), &s)],
                format!(
                    "a limit of {v} {unit} is reached within minutes of a start: the pool recycles again and again, and every recycle is a cold start"
                ),
                fix::pool(
                    name,
                    &PoolChange {
                        appcmd: &[&switch],
                        powershell: &[(&property, "0")],
                    },
                ),
            );
        }
    }
    let overlap = server.pool_setting(pool, &["recycling"], "disallowOverlappingRotation");
    if overlap.is_true() {
        ctx.push(
            "overlapped-recycle-disabled",
            Severity::Medium,
            at,
            &[("recycling@disallowOverlappingRotation", &overlap)],
            "the old worker stops before the new one starts: every recycle leaves a gap with no process (queued requests, 503), then a cold start".into(),
            fix::pool(
                name,
                &PoolChange {
                    appcmd: &["recycling.disallowOverlappingRotation:false"],
                    powershell: &[("recycling.disallowOverlappingRotation", "$false")],
                },
            ),
        );
    }
}

fn appinit_finding(ctx: &mut Ctx<'_>, apps: &[App], proxies: bool) {
    let server = ctx.server;
    let preloaded: Vec<&App> = apps.iter().filter(|a| a.preload.is_true()).collect();
    let Some(first) = preloaded.first() else {
        return;
    };
    if !server.has_global_module("ApplicationInitializationModule") {
        ctx.push(
            "appinit-module-missing",
            Severity::High,
            (Some(&first.pool.value), Some(&first.site), Some(&first.path)),
            &[("preloadEnabled", &first.preload)],
            format!(
                "preloadEnabled is set on {} application(s), but ApplicationInitializationModule is not in globalModules: without the feature, nothing is preloaded",
                preloaded.len()
            ),
            fix::feature("IIS-ApplicationInit", "Web-AppInit"),
        );
    }
    if proxies {
        ctx.push(
            "preload-on-arr",
            Severity::Low,
            (Some(&first.pool.value), Some(&first.site), Some(&first.path)),
            &[("preloadEnabled", &first.preload)],
            "Application Initialization has known incompatibilities with ARR and is not recommended on an ARR server: keep the ARR pool from idling out instead".into(),
            Vec::new(),
        );
    }
}

/// Whether a FREB `statusCodes` list covers 502: `502`, `502.3`, or a range around it.
pub fn covers_502(status_codes: &str) -> bool {
    covers_status(status_codes, 502)
}

/// Whether a FREB `statusCodes` list covers a status code: the code, one of its substatuses,
/// or a range around it (`400-599`, `500-`).
pub fn covers_status(status_codes: &str, wanted: u32) -> bool {
    status_codes.split(',').any(|item| {
        let item = item.trim();
        let code = |s: &str| {
            s.trim()
                .split('.')
                .next()
                .and_then(|c| c.trim().parse::<u32>().ok())
        };
        match item.split_once('-') {
            Some((a, b)) => match (code(a), code(b)) {
                (Some(a), Some(b)) => (a..=b).contains(&wanted),
                (Some(a), None) if b.trim().is_empty() => a <= wanted,
                _ => false,
            },
            None => code(item) == Some(wanted),
        }
    })
}

fn commit_of(origin: &Origin) -> Commit {
    match origin {
        Origin::WebConfig { .. } => Commit::WebConfig,
        _ => Commit::AppHost,
    }
}

/// The FREB rules of a site's root.
pub fn freb_rules(server: &ServerConfig, site: &str) -> Vec<Entry> {
    server.section_collection(
        site,
        "/",
        &["system.webServer", "tracing", "traceFailedRequests"],
        "path",
    )
}

fn site_findings(ctx: &mut Ctx<'_>, apps: &[App], proxies: bool) {
    let server = ctx.server;
    let module_listed = !server.global_modules().is_empty();
    let roots: std::collections::HashMap<&str, &str> = apps
        .iter()
        .filter(|a| a.path == "/")
        .map(|a| (a.site.as_str(), a.pool.value.as_str()))
        .collect();
    for site in server.sites() {
        let name = site.attr("name").unwrap_or("").to_owned();
        let pool = roots.get(name.as_str()).map(|p| (*p).to_owned());
        let at = (pool.as_deref(), Some(name.as_str()), Some("/"));
        let rules = freb_rules(server, &name);
        let Some(first) = rules.first() else {
            continue;
        };
        let rule_path = first.node.attr("path").unwrap_or("*").to_owned();
        let codes: Vec<(String, Setting)> = rules
            .iter()
            .map(|r| {
                let codes = r
                    .node
                    .child("failureDefinitions")
                    .and_then(|f| f.attr("statusCodes"))
                    .unwrap_or("")
                    .to_owned();
                (
                    r.node.attr("path").unwrap_or("").to_owned(),
                    Setting {
                        value: codes,
                        origin: r.origin.clone(),
                    },
                )
            })
            .collect();
        if !codes.iter().any(|(_, s)| covers_502(&s.value)) {
            let (path, setting) = &codes[0];
            let value = if setting.value.trim().is_empty() {
                "500-599".to_owned()
            } else {
                format!("{},500-599", setting.value.trim())
            };
            ctx.push(
                "freb-rule-misses-502",
                Severity::Medium,
                at,
                &[("traceFailedRequests/add/failureDefinitions@statusCodes", setting)],
                "the site has failed-request tracing rules, but none captures 502: its 502s can be real and leave no trace".into(),
                fix::freb_rule(&name, path, "failureDefinitions", "statusCodes", &value, commit_of(&setting.origin)),
            );
        }
        let enabled = server.site_setting(site, &["traceFailedRequestsLogging"], "enabled");
        if !enabled.is_true() {
            ctx.push(
                "freb-logging-disabled",
                Severity::Medium,
                at,
                &[("traceFailedRequestsLogging@enabled", &enabled)],
                "the site has tracing rules, but failed-request logging is off for it: no trace is written".into(),
                fix::site_attribute(&name, "traceFailedRequestsLogging.enabled", "true", "$true"),
            );
        }
        if proxies {
            let routed = rules.iter().any(|r| {
                r.node.child("traceAreas").is_some_and(|areas| {
                    areas.children_named("add").any(|a| {
                        a.attr("provider")
                            .is_some_and(|p| p.eq_ignore_ascii_case("WWW Server"))
                            && a.attr("areas").is_some_and(|x| {
                                x.split(',')
                                    .any(|s| s.trim().eq_ignore_ascii_case("RequestRouting"))
                            })
                    })
                })
            });
            if !routed {
                let setting = Setting {
                    value: "no WWW Server area RequestRouting".into(),
                    origin: first.origin.clone(),
                };
                ctx.push(
                    "freb-arr-areas-missing",
                    Severity::Low,
                    at,
                    &[("traceFailedRequests/add/traceAreas", &setting)],
                    "on an ARR server the routing events (which backend, which error) are traced only with the WWW Server area RequestRouting".into(),
                    fix::freb_add_area(&name, &rule_path, commit_of(&first.origin)),
                );
            }
        }
        let files = server.site_setting(site, &["traceFailedRequestsLogging"], "maxLogFiles");
        if files.number() == Some(50) {
            ctx.push(
                "freb-retention-default",
                Severity::Info,
                at,
                &[("traceFailedRequestsLogging@maxLogFiles", &files)],
                "only 50 traces are kept per site: a burst of 502s overwrites the evidence within minutes".into(),
                fix::site_attribute(&name, "traceFailedRequestsLogging.maxLogFiles", "500", "500"),
            );
        }
        if module_listed && !server.has_global_module("FailedRequestsTracingModule") {
            let setting = Setting {
                value: "FailedRequestsTracingModule not installed".into(),
                origin: Origin::Element {
                    file: server.apphost.path.display().to_string(),
                    line: 0,
                },
            };
            ctx.push(
                "freb-module-missing",
                Severity::Medium,
                at,
                &[("globalModules", &setting)],
                "the site has tracing rules, but the Failed Request Tracing feature is not installed: nothing is traced".into(),
                fix::feature("IIS-HttpTracing", "Web-Http-Tracing"),
            );
        }
    }
}

/// The host of a server address or URL, without port, lower case.
fn host_of(address: &str) -> String {
    let a = address.trim();
    let a = a.split_once("://").map_or(a, |(_, rest)| rest);
    let a = a.split(['/', ':']).next().unwrap_or("");
    a.to_ascii_lowercase()
}

/// Whether a farm server address names a server of the run (`web01`, `web01.corp.example`).
pub fn address_names(address: &str, server: &str) -> bool {
    let host = host_of(address);
    let name = server.to_ascii_lowercase();
    !name.is_empty() && (host == name || host.split('.').next() == Some(name.as_str()))
}

/// The slowest effective out-of-process backend timeout of a server's applications:
/// (seconds, setting name, app, setting).
pub fn backend_timeouts(backend: &ServerConfig) -> Vec<(f64, &'static str, App, Setting)> {
    let mut out = Vec::new();
    for app in backend.apps() {
        let ancm = ["system.webServer", "aspNetCore"];
        let hosting = backend.section_setting(&app.site, &app.path, &ancm, "hostingModel");
        if !backend
            .section_setting(&app.site, &app.path, &ancm, "processPath")
            .value
            .is_empty()
            && !hosting.value.eq_ignore_ascii_case("inprocess")
        {
            let t = backend.section_setting(&app.site, &app.path, &ancm, "requestTimeout");
            out.push((seconds(&t), "aspNetCore@requestTimeout", app.clone(), t));
        }
        let hp = ["system.webServer", "httpPlatform"];
        if !backend
            .section_setting(&app.site, &app.path, &hp, "processPath")
            .value
            .is_empty()
        {
            let t = backend.section_setting(&app.site, &app.path, &hp, "requestTimeout");
            out.push((seconds(&t), "httpPlatform@requestTimeout", app, t));
        }
    }
    out
}

fn arr_timeout_findings(ctx: &mut Ctx<'_>, backends: &[&ServerConfig]) {
    let server = ctx.server;
    let farms = server.farms();
    for farm in &farms {
        let farm_name = farm.attr("name").unwrap_or("").to_owned();
        let timeout = server.farm_timeout(farm);
        let members: Vec<&str> = farm
            .children_named("server")
            .filter_map(|s| s.attr("address"))
            .collect();
        let routes = farm_routes(server, &farm_name);
        let Some((secs, setting, app, value, backend)) = slowest(backends, &members, &routes)
        else {
            continue;
        };
        if secs > seconds(&timeout) {
            let why = format!(
                "ARR gives up after {} and answers 502.3 (0x80072EE2) while {} (site {}, {}) may still work for up to {}",
                human(seconds(&timeout)),
                backend,
                app.site,
                app.path,
                human(secs)
            );
            let timeout_setting =
                format!("webFarm[{farm_name}]/applicationRequestRouting/protocol@timeout");
            let backend_setting = format!("{backend}: {setting}");
            ctx.push(
                "arr-timeout-short",
                Severity::Medium,
                (None, None, None),
                &[(&timeout_setting, &timeout), (&backend_setting, &value)],
                why,
                fix::farm_timeout(&farm_name, &fix::timespan_minutes(secs + 60.0)),
            );
        }
    }
    if farms.is_empty() && server.proxies() {
        let timeout = server.section_setting("", "/", &["system.webServer", "proxy"], "timeout");
        let targets: Vec<String> = server
            .rewrite_rules("", "/")
            .iter()
            .filter_map(|r| {
                r.node
                    .child("action")
                    .and_then(|a| a.attr("url"))
                    .map(host_of)
            })
            .collect();
        let targets: Vec<&str> = targets.iter().map(String::as_str).collect();
        if let Some((secs, setting, app, value, backend)) = slowest(backends, &targets, &[])
            && secs > seconds(&timeout)
        {
            let backend_setting = format!("{backend}: {setting}");
            ctx.push(
                "arr-timeout-short",
                Severity::Medium,
                (None, None, None),
                &[("system.webServer/proxy@timeout", &timeout), (&backend_setting, &value)],
                format!(
                    "ARR gives up after {} and answers 502.3 (0x80072EE2) while {backend} (site {}, {}) may still work for up to {}",
                    human(seconds(&timeout)),
                    app.site,
                    app.path,
                    human(secs)
                ),
                fix::proxy_timeout(&fix::timespan_minutes(secs + 60.0)),
            );
        }
    }
}

type Slowest = (f64, &'static str, App, Setting, String);

/// The `match@url` patterns of the rewrite rules that send requests to a farm.
pub fn farm_routes(server: &ServerConfig, farm: &str) -> Vec<regex::Regex> {
    server
        .rewrite_rules("", "/")
        .iter()
        .filter(|r| {
            r.node
                .child("action")
                .and_then(|a| a.attr("url"))
                .is_some_and(|u| host_of(u).eq_ignore_ascii_case(farm))
        })
        .filter_map(|r| r.node.child("match").and_then(|m| m.attr("url")))
        .filter_map(|p| {
            regex::RegexBuilder::new(p)
                .case_insensitive(true)
                .size_limit(1 << 20)
                .build()
                .ok()
        })
        .collect()
}

/// Whether requests for an application can reach it through one of the routes (no routes
/// known: any application can).
pub fn routed_to(app: &App, routes: &[regex::Regex]) -> bool {
    // The backend sees the URL the rule rewrote to (`{R:0}`: the same path), so the root
    // application receives everything; another one what its path starts.
    let path = app.path.trim_start_matches('/');
    path.is_empty() || routes.is_empty() || routes.iter().any(|r| r.is_match(&format!("{path}/")))
}

fn slowest(
    backends: &[&ServerConfig],
    addresses: &[&str],
    routes: &[regex::Regex],
) -> Option<Slowest> {
    let mut best: Option<Slowest> = None;
    for b in backends {
        if !addresses.iter().any(|a| address_names(a, &b.server)) {
            continue;
        }
        for (secs, name, app, setting) in backend_timeouts(b) {
            if !routed_to(&app, routes) {
                continue;
            }
            if best.as_ref().is_none_or(|x| secs > x.0) {
                best = Some((secs, name, app, setting, b.server.clone()));
            }
        }
    }
    best
}

fn locked_findings(ctx: &mut Ctx<'_>, apps: &[App]) {
    let server = ctx.server;
    for app in apps {
        for locked in server.locked_overrides(&app.site, &app.path) {
            let setting = Setting {
                value: format!("locked at {}", locked.lock),
                origin: locked.at.clone(),
            };
            ctx.push(
                "config-override-locked",
                Severity::High,
                (Some(&app.pool.value), Some(&app.site), Some(&app.path)),
                &[(&locked.section, &setting)],
                "a web.config sets a section that applicationHost.config locks (overrideMode=\"Deny\"): IIS answers 500.19 for this URL".into(),
                fix::unlock(&app.location_path(), &locked.section),
            );
        }
    }
}

/// `encrypted-value` findings for one file's encrypted attributes.
pub fn encrypted_findings(doc: &super::read::Document, server: Option<String>) -> Vec<Finding> {
    if doc.encrypted.is_empty() {
        return Vec::new();
    }
    let file = doc.path.display().to_string();
    let listed: Vec<String> = doc
        .encrypted
        .iter()
        .take(5)
        .map(|e| {
            let key = if e.key.is_empty() {
                String::new()
            } else {
                format!(" [{}]", e.key)
            };
            format!("{}{key}@{} (line {})", e.element, e.attribute, e.line)
        })
        .collect();
    let total = doc.encrypted.len() + doc.encrypted_more;
    let more = if total > listed.len() {
        format!(" and {} more", total - listed.len())
    } else {
        String::new()
    };
    vec![Finding {
        id: "encrypted-value",
        severity: Severity::Info,
        server,
        pool: None,
        site: None,
        app: None,
        setting: format!("{}{more}", listed.join(", ")),
        value: "(encrypted)".into(),
        source: format!("{file}:{}", doc.encrypted[0].line),
        why: format!(
            "{total} value(s) are encrypted with the server's machine key: frebscope cannot read them and never prints them; check them on the server if they matter"
        ),
        fix: Vec::new(),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lists_that_cover_502() {
        for yes in [
            "502", "500-599", "400-599", "502.3", "404,502", "500-", " 502 ",
        ] {
            assert!(covers_502(yes), "{yes}");
        }
        for no in ["", "404", "500", "503-504", "200-399", "5022"] {
            assert!(!covers_502(no), "{no}");
        }
    }

    #[test]
    fn farm_addresses_name_servers() {
        assert!(address_names("WEB01", "web01"));
        assert!(address_names("web01.corp.example", "WEB01"));
        assert!(address_names("http://web01:8080/", "web01"));
        assert!(!address_names("web010", "web01"));
        assert!(!address_names("10.0.1.11", "web01"));
    }
}
