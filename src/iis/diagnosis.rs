//! The configuration in the trace diagnosis: the configured timeouts instead of the
//! defaults, and hints that state what the configuration is instead of generic advice.
//!
//! A trace names its server (`System/Computer`), site id (`siteId` = `site@id`), pool and URL;
//! the URL's deepest `application@path` gives the application, and from there the effective
//! `aspNetCore`/`httpPlatform` timeouts. On an ARR server the URL Rewrite rule that matches
//! the URL names the farm (`http://FarmName/...`), whose `protocol@timeout` applies; without a
//! farm, `proxy@timeout` does.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ffi::OsStr;
use std::time::Duration;

use regex::RegexBuilder;

use super::findings;
use super::fix::{self, Fix, PoolChange};
use super::model::{App, ServerConfig, Setting};
use super::schema::human;
use crate::compact::TraceFacts;
use crate::diagnose::{self, Analysis, Hint, Options, TraceOptions};
use crate::filter::StatusFilter;
use crate::model::{Trace, Verdict};

/// The configuration of the servers a scan reads traces from.
#[derive(Debug, Default)]
pub struct FarmConfig {
    /// The servers.
    pub servers: Vec<ServerConfig>,
}

/// The path of a trace URL without scheme, host and query: `/orders/api/cart`.
pub fn url_path(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let path = rest.find('/').map_or("/", |at| &rest[at..]);
    path.split(['?', '#']).next().unwrap_or("/")
}

impl FarmConfig {
    /// The configuration of a server, by name (any case).
    pub fn server(&self, name: &str) -> Option<&ServerConfig> {
        self.servers
            .iter()
            .find(|s| !s.server.is_empty() && s.server.eq_ignore_ascii_case(name))
    }

    fn site_name(server: &ServerConfig, site_id: &str) -> Option<String> {
        server
            .site_by_id(site_id)
            .and_then(|s| s.attr("name"))
            .map(str::to_owned)
    }

    /// The diagnosis options of one trace, with the configured timeouts and where each came
    /// from; `None` when the configuration of its server was not given.
    pub fn options_for(&self, trace: &Trace, base: &Options) -> Option<TraceOptions> {
        let server = self.server(&trace.server)?;
        let site = Self::site_name(server, &trace.site_id)?;
        let path = url_path(&trace.url);
        let mut options = base.clone();
        let mut notes = BTreeMap::new();
        let at = |s: &Setting| {
            format!(
                "{} on {}: {}",
                human(s.seconds().unwrap_or(0.0)),
                server.server,
                s.origin
            )
        };
        if let Some(app) = server.app_for(&trace.site_id, path) {
            let ancm = ["system.webServer", "aspNetCore"];
            let hp = ["system.webServer", "httpPlatform"];
            let uses = |section: &[&str]| {
                !server
                    .section_setting(&site, &app.path, section, "processPath")
                    .value
                    .is_empty()
            };
            let section: Option<(&[&str], &str)> = if uses(&ancm) {
                Some((&ancm, "aspNetCore"))
            } else if uses(&hp) {
                Some((&hp, "httpPlatform"))
            } else {
                None
            };
            if let Some((section, label)) = section {
                let request = server.section_setting(&site, &app.path, section, "requestTimeout");
                if let Some(secs) = request.seconds() {
                    options.ancm_request_timeout = Duration::from_secs_f64(secs);
                    notes.insert(
                        "R4",
                        format!(" [configured {label}@requestTimeout {}]", at(&request)),
                    );
                }
                let startup = server.section_setting(&site, &app.path, section, "startupTimeLimit");
                if let Some(secs) = startup.seconds() {
                    options.startup_time_limit = Duration::from_secs_f64(secs);
                    notes.insert(
                        "R3",
                        format!(" [configured {label}@startupTimeLimit {}]", at(&startup)),
                    );
                }
            }
        }
        if server.proxies() {
            let (setting, name) = self.proxy_timeout(server, &site, path);
            if let Some(secs) = setting.seconds() {
                // The timeout of this trace's own route, farm or plain URL, whichever R8 meets.
                options.farm_timeout = Duration::from_secs_f64(secs);
                options.proxy_timeout = options.farm_timeout;
                notes.insert("R8", format!(" [configured {name} {}]", at(&setting)));
            }
        }
        Some(TraceOptions { options, notes })
    }

    /// The timeout ARR applies to a URL: the farm's when the matching rewrite rule targets a
    /// farm, else the server proxy's.
    pub fn proxy_timeout(
        &self,
        server: &ServerConfig,
        site: &str,
        path: &str,
    ) -> (Setting, String) {
        if let Some(farm_name) = routed_farm(server, site, path)
            && let Some(farm) = server.farms().into_iter().find(|f| {
                f.attr("name")
                    .is_some_and(|n| n.eq_ignore_ascii_case(&farm_name))
            })
        {
            return (
                server.farm_timeout(farm),
                format!("webFarm {farm_name} protocol@timeout"),
            );
        }
        (
            server.section_setting(site, path, &["system.webServer", "proxy"], "timeout"),
            "proxy@timeout".to_owned(),
        )
    }
}

/// The farm the first matching rewrite rule sends a URL to, when it names one.
fn routed_farm(server: &ServerConfig, site: &str, path: &str) -> Option<String> {
    let farms: BTreeSet<String> = server
        .farms()
        .iter()
        .filter_map(|f| f.attr("name"))
        .map(str::to_ascii_lowercase)
        .collect();
    let subject = path.trim_start_matches('/');
    for rule in server.rewrite_rules(site, path) {
        let node = &rule.node;
        if node
            .attr("enabled")
            .is_some_and(|e| e.eq_ignore_ascii_case("false"))
        {
            continue;
        }
        let Some(m) = node.child("match") else {
            continue;
        };
        let pattern = m.attr("url").unwrap_or(".*");
        let ignore_case = !m
            .attr("ignoreCase")
            .is_some_and(|v| v.eq_ignore_ascii_case("false"));
        let negate = m
            .attr("negate")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let wildcard = node
            .attr("patternSyntax")
            .is_some_and(|s| s.eq_ignore_ascii_case("Wildcard"));
        let regex = if wildcard {
            format!(
                "^{}$",
                regex::escape(pattern)
                    .replace("\\*", ".*")
                    .replace("\\?", ".")
            )
        } else {
            pattern.to_owned()
        };
        let Ok(re) = RegexBuilder::new(&regex)
            .case_insensitive(ignore_case)
            .size_limit(1 << 20)
            .build()
        else {
            continue;
        };
        if re.is_match(subject) == negate {
            continue;
        }
        let action = node.child("action")?;
        let url = action.attr("url").unwrap_or("");
        let host = url
            .split_once("://")
            .map(|(_, r)| r.split(['/', ':']).next().unwrap_or(""))
            .unwrap_or("");
        return farms
            .contains(&host.to_ascii_lowercase())
            .then(|| host.to_owned());
    }
    None
}

/// One cold-start statement's key: pool and the settings that explain it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct ColdKey {
    pool: String,
    on_demand: bool,
    idle_secs: u64,
    not_preloaded: Vec<String>,
    time_secs: u64,
    proxies: bool,
}

#[derive(Default)]
struct ColdGroup {
    servers: BTreeSet<String>,
    count: usize,
    after_idle: usize,
    apps: Vec<App>,
}

/// The hints of a scan, with the configuration: cold starts and ARR timeouts become
/// statements about the configured pools and farms (the generic hint they replace is
/// dropped), and FREB coverage of the statuses asked for is checked.
pub fn hints<T: TraceFacts>(
    farm: &FarmConfig,
    traces: &[T],
    analysis: &Analysis,
    generic: Vec<Hint>,
    statuses: &[StatusFilter],
) -> Vec<Hint> {
    let (cold, covered_pools) = cold_start_hints(farm, traces, analysis);
    let arr = arr_timeout_hints(farm, traces, analysis);
    let mut out = Vec::new();
    for hint in generic {
        let cold_start = hint.title.contains("cold start");
        let all_covered = !hint.app_pools.is_empty()
            && hint
                .app_pools
                .iter()
                .all(|p| covered_pools.contains(&p.to_lowercase()));
        if cold_start && all_covered {
            continue;
        }
        if hint.title.contains("ARR timeout") && !arr.is_empty() {
            continue;
        }
        out.push(hint);
    }
    let mut configured = cold;
    configured.extend(arr);
    configured.extend(coverage_hints(farm, statuses));
    configured.extend(out);
    configured
}

/// The backend trace a startup verdict is about: the linked one for an ARR front end.
fn cold_start_trace(
    index: usize,
    analysis: &Analysis,
    files: &HashMap<&OsStr, usize>,
) -> Option<usize> {
    let d = &analysis.diagnoses[index];
    if d.verdict != Verdict::Startup || d.rule == "R1" || d.rule == "R2" {
        return None;
    }
    match &d.linked_file {
        Some(f) if d.rule == "R8" => files.get(f.as_os_str()).copied(),
        _ => Some(index),
    }
}

fn cold_start_hints<T: TraceFacts>(
    farm: &FarmConfig,
    traces: &[T],
    analysis: &Analysis,
) -> (Vec<Hint>, BTreeSet<String>) {
    let files = diagnose::linked_traces(traces, &analysis.diagnoses);
    let mut groups: BTreeMap<ColdKey, ColdGroup> = BTreeMap::new();
    let mut counted = BTreeSet::new();
    let mut covered = BTreeSet::new();
    for i in 0..traces.len() {
        let Some(b) = cold_start_trace(i, analysis, &files) else {
            continue;
        };
        let backend = &traces[b];
        let Some(server) = farm.server(backend.server()) else {
            continue;
        };
        let Some(pool) = server.pool(backend.app_pool()) else {
            continue;
        };
        let name = pool.attr("name").unwrap_or("").to_owned();
        let start = server.pool_setting(pool, &[], "startMode");
        let idle = server.pool_setting(pool, &["processModel"], "idleTimeout");
        let time = server.pool_setting(pool, &["recycling", "periodicRestart"], "time");
        let apps: Vec<App> = server
            .apps()
            .into_iter()
            .filter(|a| a.pool.value.eq_ignore_ascii_case(&name))
            .collect();
        let key = ColdKey {
            pool: name.clone(),
            on_demand: !start.value.eq_ignore_ascii_case("AlwaysRunning"),
            idle_secs: idle.seconds().unwrap_or(0.0) as u64,
            not_preloaded: apps
                .iter()
                .filter(|a| !a.preload.is_true())
                .map(|a| a.path.clone())
                .collect(),
            time_secs: time.seconds().unwrap_or(0.0) as u64,
            proxies: server.proxies(),
        };
        covered.insert(name.to_lowercase());
        let group = groups.entry(key.clone()).or_default();
        group.servers.insert(server.server.clone());
        if group.apps.is_empty() {
            group.apps = apps;
        }
        // A front-end failure and its backend trace are one cold start, counted once per
        // failing trace as the generic hint does.
        if counted.insert(i) {
            group.count += 1;
            let gap = analysis.processes[b]
                .previous
                .as_ref()
                .map(|p| p.gap.num_seconds());
            let gap = after_idle(gap, key.idle_secs);
            group.after_idle += usize::from(gap);
        }
    }
    let hints = groups.into_iter().map(|(k, g)| cold_hint(&k, &g)).collect();
    (hints, covered)
}

/// The process replaced another after a gap (seconds) at least as long as the idle timeout.
fn after_idle(gap: Option<i64>, idle_secs: u64) -> bool {
    idle_secs > 0 && gap.is_some_and(|g| g >= idle_secs as i64)
}

fn cold_hint(k: &ColdKey, g: &ColdGroup) -> Hint {
    let servers: Vec<String> = g.servers.iter().cloned().collect();
    let mut state = vec![if k.on_demand {
        "OnDemand".to_owned()
    } else {
        "AlwaysRunning".to_owned()
    }];
    state.push(if k.idle_secs > 0 {
        format!("idleTimeout {}", human(k.idle_secs as f64))
    } else {
        "idleTimeout 0 (off)".to_owned()
    });
    if !k.not_preloaded.is_empty() {
        state.push(format!("{} not preloaded", k.not_preloaded.join(", ")));
    }
    let mut title = format!(
        "pool {} on {}: {}: {} came from cold starts",
        k.pool,
        servers.join(", "),
        state.join(", "),
        plural(g.count, "failure")
    );
    if k.idle_secs > 0 && g.after_idle == g.count {
        title.push_str(&format!(" after ≥ {} idle", human(k.idle_secs as f64)));
    } else if k.idle_secs > 0 && g.after_idle > 0 {
        title.push_str(&format!(
            " ({} after >= {} idle)",
            g.after_idle,
            human(k.idle_secs as f64)
        ));
    }
    // Recommend only what is not set already; on an ARR server, no preload (Application
    // Initialization is not recommended with ARR).
    let mut appcmd: Vec<&str> = Vec::new();
    let mut ps: Vec<(&str, &str)> = Vec::new();
    let mut changes = Vec::new();
    if k.on_demand && !k.proxies {
        appcmd.push("startMode:AlwaysRunning");
        ps.push(("startMode", "'AlwaysRunning'"));
        changes.push("startMode=\"AlwaysRunning\"");
    }
    if k.idle_secs > 0 {
        appcmd.push("processModel.idleTimeout:00:00:00");
        ps.push(("processModel.idleTimeout", "([TimeSpan]::Zero)"));
        changes.push("idleTimeout 0");
    }
    let preload = !k.proxies && !k.not_preloaded.is_empty();
    if preload {
        changes.push("preloadEnabled=\"true\" on the application (with Application Initialization installed)");
    }
    let advice = if changes.is_empty() {
        format!(
            "the pool is already AlwaysRunning without idle timeout{}: these cold starts come from recycles (periodicRestart time {}) or crashes; read the WAS events 5074/5077/5009",
            if k.not_preloaded.is_empty() {
                " and preloaded"
            } else {
                ""
            },
            human(k.time_secs as f64)
        )
    } else {
        format!("set {} on {}", changes.join(", "), servers.join(", "))
    };
    let mut fixes = if appcmd.is_empty() {
        Vec::new()
    } else {
        fix::pool(
            &k.pool,
            &PoolChange {
                appcmd: &appcmd,
                powershell: &ps,
            },
        )
    };
    if preload {
        let preload_fixes: Vec<Fix> = g
            .apps
            .iter()
            .filter(|a| !a.preload.is_true())
            .flat_map(|a| {
                let (c, p) = fix::preload(&a.site, &a.path);
                fix::pair("site or application name", || c, || p)
            })
            .collect();
        fixes.extend(preload_fixes);
    }
    Hint {
        title,
        advice,
        commands: fix_lines(&fixes),
        app_pools: vec![k.pool.clone()],
        servers,
        count: g.count,
    }
}

fn fix_lines(fixes: &[Fix]) -> Vec<crate::shell::FixLine> {
    fixes
        .iter()
        .map(|f| crate::shell::FixLine::new(f.shell.printed(), f.command.clone()))
        .collect()
}

/// ARR timeouts under one configured timeout: (setting, count, slowest backend ms, backends).
type ArrGroup = (Setting, usize, Option<u64>, BTreeSet<String>);

fn arr_timeout_hints<T: TraceFacts>(
    farm: &FarmConfig,
    traces: &[T],
    analysis: &Analysis,
) -> Vec<Hint> {
    let files = diagnose::linked_traces(traces, &analysis.diagnoses);
    // (server, timeout name) -> (setting, count, slowest backend ms, backend servers)
    let mut groups: BTreeMap<(String, String), ArrGroup> = BTreeMap::new();
    for (trace, d) in traces.iter().zip(&analysis.diagnoses) {
        if d.rule != "R8" {
            continue;
        }
        let Some(server) = farm.server(trace.server()) else {
            continue;
        };
        let Some(site) = FarmConfig::site_name(server, trace.site_id()) else {
            continue;
        };
        let (setting, name) = farm.proxy_timeout(server, &site, url_path(trace.url_path()));
        let backend = d
            .linked_file
            .as_ref()
            .and_then(|f| files.get(f.as_os_str()))
            .map(|&b| &traces[b]);
        // Option's order puts an unknown time below every known one.
        let slowest = backend.map_or(trace.time_taken_ms(), |b| {
            b.time_taken_ms().max(trace.time_taken_ms())
        });
        let e = groups
            .entry((server.server.clone(), name))
            .or_insert_with(|| (setting, 0, None, BTreeSet::new()));
        e.1 += 1;
        e.2 = e.2.max(slowest);
        if let Some(b) = backend {
            e.3.insert(b.server().to_owned());
        }
    }
    let mut out = Vec::new();
    for ((server, name), (setting, count, slowest_ms, backends)) in groups {
        let configured = setting.seconds().unwrap_or(0.0);
        let slowest = slowest_ms.map(|ms| ms as f64 / 1000.0);
        // The backends' own limit, when their configuration is known.
        let routes = name
            .strip_prefix("webFarm ")
            .and_then(|n| n.strip_suffix(" protocol@timeout"))
            .and_then(|n| farm.server(&server).map(|s| findings::farm_routes(s, n)))
            .unwrap_or_default();
        let limit = backends
            .iter()
            .filter_map(|b| farm.server(b))
            .flat_map(findings::backend_timeouts)
            .filter(|(_, _, app, _)| findings::routed_to(app, &routes))
            .map(|(s, ..)| s)
            .fold(0.0f64, f64::max);
        let wanted = slowest.unwrap_or(0.0).max(limit);
        let mut title = format!(
            "{server}: {name} is {} ({}): {} at that limit",
            human(configured),
            setting.origin,
            plural(count, "ARR timeout"),
        );
        if let Some(slowest) = slowest {
            title.push_str(&format!(
                "; the slowest backend request took {}",
                human(slowest)
            ));
        }
        if limit > 0.0 {
            title.push_str(&format!(", and the backends allow up to {}", human(limit)));
        }
        let (advice, fixes) = if wanted > configured {
            let value = fix::timespan_minutes(wanted + 60.0);
            let fixes = match name
                .strip_prefix("webFarm ")
                .and_then(|n| n.strip_suffix(" protocol@timeout"))
            {
                Some(farm_name) => fix::farm_timeout(farm_name, &value),
                None => fix::proxy_timeout(&value),
            };
            (
                format!(
                    "raise {name} on {server} to {value} (longer than the backend needs), or make the slow backend requests faster"
                ),
                fixes,
            )
        } else {
            (
                format!(
                    "{name} on {server} already exceeds what the backends need: the slow requests themselves are the problem"
                ),
                Vec::new(),
            )
        };
        out.push(Hint {
            title,
            advice,
            commands: fix_lines(&fixes),
            app_pools: Vec::new(),
            servers: vec![server],
            count,
        });
    }
    out
}

/// The status codes a scan asks for, one representative per filter.
fn asked_codes(statuses: &[StatusFilter]) -> Vec<u16> {
    let mut codes: Vec<u16> = statuses
        .iter()
        .map(|s| match *s {
            StatusFilter::Exact(st) => st.code,
            StatusFilter::Code(c) => c,
            StatusFilter::Range(a, b) if (a..=b).contains(&502) => 502,
            StatusFilter::Range(a, _) => a,
        })
        .collect();
    codes.sort_unstable();
    codes.dedup();
    codes
}

fn covers(status_codes: &str, code: u16) -> bool {
    findings::covers_status(status_codes, u32::from(code))
}

fn coverage_hints(farm: &FarmConfig, statuses: &[StatusFilter]) -> Vec<Hint> {
    let mut out = Vec::new();
    for code in asked_codes(statuses) {
        for server in &farm.servers {
            for site in server.sites() {
                let name = site.attr("name").unwrap_or("");
                let rules = findings::freb_rules(server, name);
                let enabled = server.site_setting(site, &["traceFailedRequestsLogging"], "enabled");
                let problem = if rules.is_empty() {
                    Some("has no failed-request tracing rules".to_owned())
                } else if !rules.iter().any(|r| {
                    covers(
                        r.node
                            .child("failureDefinitions")
                            .and_then(|f| f.attr("statusCodes"))
                            .unwrap_or(""),
                        code,
                    )
                }) {
                    Some(format!("has tracing rules, but none captures {code}"))
                } else if !enabled.is_true() {
                    Some(format!(
                        "has failed-request logging off ({})",
                        enabled.origin
                    ))
                } else {
                    None
                };
                if let Some(problem) = problem {
                    out.push(Hint {
                        title: format!("site {name} on {} {problem}", server.server),
                        advice: format!(
                            "its {code}s can be real and leave no trace: the counts above miss them; `frebscope config` prints the fix"
                        ),
                        commands: Vec::new(),
                        app_pools: Vec::new(),
                        servers: vec![server.server.clone()],
                        count: 0,
                    });
                }
            }
        }
    }
    out
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_paths_of_trace_urls() {
        assert_eq!(
            url_path("http://shop.example.com:80/orders/api/cart?x=1"),
            "/orders/api/cart"
        );
        assert_eq!(url_path("http://host"), "/");
        assert_eq!(url_path("/a/b"), "/a/b");
    }

    #[test]
    fn coverage_of_other_codes() {
        assert!(covers("500-599", 503));
        assert!(covers("404,503", 503));
        assert!(!covers("502", 503));
        assert!(!covers("404", 502));
    }
}
