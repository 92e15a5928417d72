//! Findings (each positive and negative) and inheritance, on small configurations.

use std::path::Path;

use super::findings::{self, Finding};
use super::model::{Origin, PlacedWebConfig, ServerConfig};
use super::read;

const SITE: &str = r#"<site name="Shop" id="2"><application path="/" applicationPool="Shop"><virtualDirectory path="/" physicalPath="D:\sites\shop" /></application></site>"#;

fn doc(name: &str, text: &str) -> read::Document {
    read::read(Path::new(name), text.as_bytes()).unwrap()
}

/// A server with these pools, sites and extra root-level XML.
fn server(pools: &str, sites: &str, extra: &str) -> ServerConfig {
    let text = format!(
        "<configuration>\n<system.applicationHost>\n<applicationPools>\n{pools}\n</applicationPools>\n<sites>\n{sites}\n</sites>\n</system.applicationHost>\n{extra}\n</configuration>\n"
    );
    ServerConfig::new(
        "WEB01".into(),
        doc("applicationHost.config", &text),
        Vec::new(),
    )
}

fn run(s: &ServerConfig, backends: &[&ServerConfig]) -> Vec<Finding> {
    findings::server_findings(s, Some(s.server.clone()), backends)
}

fn ids(s: &ServerConfig) -> Vec<&'static str> {
    run(s, &[]).iter().map(|f| f.id).collect()
}

fn has(s: &ServerConfig, id: &str) -> bool {
    ids(s).contains(&id)
}

const WARM_POOL: &str = r#"<add name="Shop" startMode="AlwaysRunning"><processModel idleTimeout="00:00:00" /><recycling><periodicRestart time="00:00:00" /></recycling></add>"#;
const PRELOADED_SITE: &str = r#"<site name="Shop" id="2"><application path="/" applicationPool="Shop" preloadEnabled="true"><virtualDirectory path="/" physicalPath="D:\sites\shop" /></application></site>"#;
const APPINIT: &str = r#"<system.webServer><globalModules><add name="ApplicationInitializationModule" image="warmup.dll" /><add name="FailedRequestsTracingModule" image="iisfreb.dll" /></globalModules></system.webServer>"#;

#[test]
fn pool_cold_start() {
    assert!(has(
        &server(r#"<add name="Shop" />"#, SITE, ""),
        "pool-cold-start"
    ));
    assert!(!has(
        &server(WARM_POOL, PRELOADED_SITE, APPINIT),
        "pool-cold-start"
    ));
    // AlwaysRunning with an idle timeout still idles out? No: AlwaysRunning restarts it; OnDemand
    // with idleTimeout 0 never idles out.
    let no_idle = r#"<add name="Shop"><processModel idleTimeout="00:00:00" /></add>"#;
    assert!(!has(&server(no_idle, SITE, ""), "pool-cold-start"));
}

#[test]
fn unused_pools_get_no_pool_findings() {
    let pools = r#"<add name="Shop" startMode="AlwaysRunning"><processModel idleTimeout="0" /><recycling><periodicRestart time="0" /></recycling></add><add name="Unused" />"#;
    let found = run(&server(pools, PRELOADED_SITE, APPINIT), &[]);
    assert!(
        found.iter().all(|f| f.pool.as_deref() != Some("Unused")),
        "{found:?}"
    );
}

#[test]
fn preload_without_always_running() {
    assert!(has(
        &server(r#"<add name="Shop" />"#, PRELOADED_SITE, APPINIT),
        "preload-without-always-running"
    ));
    assert!(!has(
        &server(WARM_POOL, PRELOADED_SITE, APPINIT),
        "preload-without-always-running"
    ));
    // Inherited from the site's applicationDefaults.
    let site = r#"<site name="Shop" id="2"><applicationDefaults preloadEnabled="true" /><application path="/" applicationPool="Shop"><virtualDirectory path="/" physicalPath="D:\s" /></application></site>"#;
    assert!(has(
        &server(r#"<add name="Shop" />"#, site, APPINIT),
        "preload-without-always-running"
    ));
}

#[test]
fn always_running_without_preload() {
    assert!(has(
        &server(WARM_POOL, SITE, APPINIT),
        "always-running-without-preload"
    ));
    assert!(!has(
        &server(WARM_POOL, PRELOADED_SITE, APPINIT),
        "always-running-without-preload"
    ));
}

#[test]
fn appinit_module_missing() {
    assert!(has(
        &server(WARM_POOL, PRELOADED_SITE, ""),
        "appinit-module-missing"
    ));
    assert!(!has(
        &server(WARM_POOL, PRELOADED_SITE, APPINIT),
        "appinit-module-missing"
    ));
    assert!(!has(&server(WARM_POOL, SITE, ""), "appinit-module-missing"));
}

#[test]
fn periodic_recycle_drifts() {
    assert!(has(
        &server(r#"<add name="Shop" />"#, SITE, ""),
        "periodic-recycle-drifts"
    ));
    let scheduled = r#"<add name="Shop"><recycling><periodicRestart><schedule><add value="03:00:00" /></schedule></periodicRestart></recycling></add>"#;
    assert!(!has(
        &server(scheduled, SITE, ""),
        "periodic-recycle-drifts"
    ));
    // The defaults' schedule is inherited, and a pool's <clear/> drops it again.
    let defaults = r#"<add name="Shop" /><applicationPoolDefaults><recycling><periodicRestart><schedule><add value="02:00:00" /></schedule></periodicRestart></recycling></applicationPoolDefaults>"#;
    assert!(!has(&server(defaults, SITE, ""), "periodic-recycle-drifts"));
    let cleared = r#"<add name="Shop"><recycling><periodicRestart><schedule><clear /></schedule></periodicRestart></recycling></add><applicationPoolDefaults><recycling><periodicRestart><schedule><add value="02:00:00" /></schedule></periodicRestart></recycling></applicationPoolDefaults>"#;
    assert!(has(&server(cleared, SITE, ""), "periodic-recycle-drifts"));
    let removed = r#"<add name="Shop"><recycling><periodicRestart><schedule><remove value="02:00:00" /></schedule></periodicRestart></recycling></add><applicationPoolDefaults><recycling><periodicRestart><schedule><add value="02:00:00" /></schedule></periodicRestart></recycling></applicationPoolDefaults>"#;
    assert!(has(&server(removed, SITE, ""), "periodic-recycle-drifts"));
}

#[test]
fn recycle_storm() {
    for attrs in [
        r#"privateMemory="5""#,
        r#"memory="102399""#,
        r#"requests="999""#,
    ] {
        let pool =
            format!(r#"<add name="Shop"><recycling><periodicRestart {attrs} /></recycling></add>"#);
        assert!(has(&server(&pool, SITE, ""), "recycle-storm"), "{attrs}");
    }
    for attrs in [
        r#"privateMemory="2097152""#,
        r#"memory="0""#,
        r#"requests="1000""#,
    ] {
        let pool =
            format!(r#"<add name="Shop"><recycling><periodicRestart {attrs} /></recycling></add>"#);
        assert!(!has(&server(&pool, SITE, ""), "recycle-storm"), "{attrs}");
    }
}

#[test]
fn overlapped_recycle_disabled() {
    let off = r#"<add name="Shop"><recycling disallowOverlappingRotation="true" /></add>"#;
    assert!(has(&server(off, SITE, ""), "overlapped-recycle-disabled"));
    // From applicationPoolDefaults too, and overridden by the pool.
    let defaults = r#"<add name="Shop" /><applicationPoolDefaults><recycling disallowOverlappingRotation="True" /></applicationPoolDefaults>"#;
    assert!(has(
        &server(defaults, SITE, ""),
        "overlapped-recycle-disabled"
    ));
    let overridden = r#"<add name="Shop"><recycling disallowOverlappingRotation="false" /></add><applicationPoolDefaults><recycling disallowOverlappingRotation="true" /></applicationPoolDefaults>"#;
    assert!(!has(
        &server(overridden, SITE, ""),
        "overlapped-recycle-disabled"
    ));
}

const ARR_SITE: &str = r#"<site name="Front" id="1"><application path="/" applicationPool="Arr"><virtualDirectory path="/" physicalPath="D:\front" /></application></site>"#;

fn arr(timeout: &str) -> ServerConfig {
    let protocol = if timeout.is_empty() {
        String::new()
    } else {
        format!(r#"<protocol timeout="{timeout}" />"#)
    };
    let mut s = server(
        r#"<add name="Arr" />"#,
        ARR_SITE,
        &format!(
            r#"<system.webServer><proxy enabled="true" /><rewrite><globalRules><rule name="r"><match url="^orders/(.*)" /><action type="Rewrite" url="http://orders-farm/{{R:0}}" /></rule></globalRules></rewrite></system.webServer>
<webFarms><webFarm name="orders-farm"><server address="web01.corp.example" /><applicationRequestRouting>{protocol}</applicationRequestRouting></webFarm></webFarms>"#
        ),
    );
    s.server = "ARR01".into();
    s
}

fn ancm_backend(request_timeout: &str) -> ServerConfig {
    let site = r#"<site name="Shop" id="2"><application path="/" applicationPool="Shop"><virtualDirectory path="/" physicalPath="D:\s" /></application><application path="/orders" applicationPool="Shop"><virtualDirectory path="/" physicalPath="D:\s\orders" /></application></site>"#;
    let mut s = server(r#"<add name="Shop" />"#, site, "");
    let attr = if request_timeout.is_empty() {
        String::new()
    } else {
        format!(r#" requestTimeout="{request_timeout}""#)
    };
    s.web_configs.push(PlacedWebConfig {
        doc: doc(
            "web.config",
            &format!(
                "<configuration>\n<location path=\".\" inheritInChildApplications=\"false\">\n<system.webServer>\n<aspNetCore processPath=\"dotnet\" hostingModel=\"outofprocess\"{attr} />\n</system.webServer>\n</location>\n</configuration>"
            ),
        ),
        site: "Shop".into(),
        url_path: "/orders".into(),
    });
    s
}

#[test]
fn arr_timeout_short() {
    let web01 = ancm_backend("00:02:00");
    let found = run(&arr(""), &[&web01]);
    let f = found
        .iter()
        .find(|f| f.id == "arr-timeout-short")
        .expect("farm 30 s < ANCM 2 min");
    assert!(
        f.source
            .starts_with("schema default; web.config (web.config:"),
        "{}",
        f.source
    );
    assert!(
        f.fix[0].command.contains("protocol.timeout:00:03:00"),
        "{:?}",
        f.fix
    );
    // A farm timeout longer than the backend's: nothing to say.
    assert!(
        !run(&arr("00:05:00"), &[&web01])
            .iter()
            .any(|f| f.id == "arr-timeout-short")
    );
    // A backend that no farm server names is not compared.
    let mut other = ancm_backend("");
    other.server = "WEB09".into();
    assert!(
        !run(&arr(""), &[&other])
            .iter()
            .any(|f| f.id == "arr-timeout-short")
    );
    // In-process apps have no requestTimeout.
    let mut inprocess = ancm_backend("");
    let text = "<configuration><system.webServer><aspNetCore processPath=\"dotnet\" hostingModel=\"inprocess\" /></system.webServer></configuration>";
    inprocess.web_configs[0].doc = doc("web.config", text);
    assert!(
        !run(&arr(""), &[&inprocess])
            .iter()
            .any(|f| f.id == "arr-timeout-short")
    );
}

#[test]
fn arr_pool_idle() {
    assert!(has(&arr(""), "arr-pool-idle"));
    let warm = r#"<add name="Arr"><processModel idleTimeout="00:00:00" /><recycling><periodicRestart time="00:00:00" /></recycling></add>"#;
    let s = server(
        warm,
        ARR_SITE,
        r#"<system.webServer><proxy enabled="true" /></system.webServer>"#,
    );
    assert!(!has(&s, "arr-pool-idle"));
    // A server that does not proxy: no ARR finding for the same pool.
    assert!(!has(
        &server(r#"<add name="Arr" />"#, ARR_SITE, ""),
        "arr-pool-idle"
    ));
}

fn freb(codes: &str, areas: &str, logging: &str) -> ServerConfig {
    let site = format!(
        r#"<site name="Front" id="1"><application path="/" applicationPool="Arr"><virtualDirectory path="/" physicalPath="D:\front" /></application><traceFailedRequestsLogging enabled="{logging}" maxLogFiles="500" /></site>"#
    );
    server(
        r#"<add name="Arr" />"#,
        &site,
        &format!(
            r#"<system.webServer><proxy enabled="true" /></system.webServer>
<location path="Front"><system.webServer><tracing><traceFailedRequests><add path="*"><traceAreas><add provider="WWW Server" areas="{areas}" verbosity="Verbose" /></traceAreas><failureDefinitions statusCodes="{codes}" /></add></traceFailedRequests></tracing></system.webServer></location>"#
        ),
    )
}

#[test]
fn freb_rule_misses_502() {
    let s = freb("404,500", "Rewrite,RequestRouting", "true");
    let found = run(&s, &[]);
    let f = found
        .iter()
        .find(|f| f.id == "freb-rule-misses-502")
        .unwrap();
    assert!(
        f.source.contains("<location path=\"Front\">"),
        "{}",
        f.source
    );
    assert!(
        f.fix[0].command.contains("statusCodes:404,500,500-599")
            && f.fix[0].command.contains("/commit:apphost")
    );
    assert!(!has(
        &freb("400-599", "RequestRouting", "true"),
        "freb-rule-misses-502"
    ));
}

#[test]
fn freb_logging_disabled() {
    assert!(has(
        &freb("502", "RequestRouting", "false"),
        "freb-logging-disabled"
    ));
    assert!(!has(
        &freb("502", "RequestRouting", "true"),
        "freb-logging-disabled"
    ));
    // No rules: nothing is expected to be logged.
    assert!(!has(
        &server(r#"<add name="Arr" />"#, ARR_SITE, ""),
        "freb-logging-disabled"
    ));
}

#[test]
fn freb_arr_areas_missing() {
    assert!(has(
        &freb("502", "Rewrite", "true"),
        "freb-arr-areas-missing"
    ));
    assert!(!has(
        &freb("502", "Rewrite,RequestRouting", "true"),
        "freb-arr-areas-missing"
    ));
}

#[test]
fn freb_retention_default() {
    let site = r#"<site name="Front" id="1"><application path="/" applicationPool="Arr"><virtualDirectory path="/" physicalPath="D:\front" /></application><traceFailedRequestsLogging enabled="true" /></site>"#;
    let rules = r#"<location path="Front"><system.webServer><tracing><traceFailedRequests><add path="*"><failureDefinitions statusCodes="500-599" /></add></traceFailedRequests></tracing></system.webServer></location>"#;
    assert!(has(
        &server(r#"<add name="Arr" />"#, site, rules),
        "freb-retention-default"
    ));
    assert!(!has(
        &freb("502", "RequestRouting", "true"),
        "freb-retention-default"
    ));
}

#[test]
fn encrypted_values_are_found_never_printed() {
    let pools = r#"<add name="Shop"><processModel identityType="SpecificUser" userName="CORP\svc" password="[enc:IISWASOnlyAesProvider:U0VDUkVU:enc]" /></add>"#;
    let s = server(pools, SITE, "");
    let found = findings::encrypted_findings(&s.apphost, Some("WEB01".into()));
    assert_eq!(found.len(), 1);
    let text = format!("{found:?}");
    assert!(
        text.contains("processModel [name=Shop]@password") || text.contains("@password"),
        "{text}"
    );
    assert!(!text.contains("U0VDUkVU"), "{text}");
    let plain = server(r#"<add name="Shop" />"#, SITE, "");
    assert!(findings::encrypted_findings(&plain.apphost, None).is_empty());
}

#[test]
fn pool_missing() {
    let site = r#"<site name="Shop" id="2"><application path="/"><virtualDirectory path="/" physicalPath="D:\s" /></application></site><applicationDefaults applicationPool="DefaultAppPool" />"#;
    let found = run(&server(r#"<add name="Other" />"#, site, ""), &[]);
    let f = found.iter().find(|f| f.id == "pool-missing").unwrap();
    assert_eq!(f.pool.as_deref(), Some("DefaultAppPool"));
    assert!(
        f.source.starts_with("applicationDefaults ("),
        "{}",
        f.source
    );
    assert!(!has(
        &server(r#"<add name="Shop" />"#, SITE, ""),
        "pool-missing"
    ));
}

#[test]
fn locked_section_overridden_by_web_config() {
    let locked = r#"<location path="Shop" overrideMode="Deny"><system.webServer><aspNetCore requestTimeout="00:01:00" /></system.webServer></location>"#;
    let mut s = server(r#"<add name="Shop" />"#, SITE, locked);
    s.web_configs.push(PlacedWebConfig {
        doc: doc("web.config", "<configuration><system.webServer><aspNetCore requestTimeout=\"00:10:00\" /></system.webServer></configuration>"),
        site: "Shop".into(),
        url_path: "/".into(),
    });
    assert!(has(&s, "config-override-locked"));
    // The locked parent value stays the effective one.
    let t = s.section_setting(
        "Shop",
        "/",
        &["system.webServer", "aspNetCore"],
        "requestTimeout",
    );
    assert_eq!(t.value, "00:01:00");
    let open = server(
        r#"<add name="Shop" />"#,
        SITE,
        &locked.replace("Deny", "Allow"),
    );
    assert!(!has(&open, "config-override-locked"));
}

// --- inheritance ------------------------------------------------------------------------------

#[test]
fn schema_then_defaults_then_the_pool() {
    let pools = r#"<add name="A" /><add name="B"><processModel idleTimeout="00:05:00" /></add><applicationPoolDefaults><processModel idleTimeout="00:10:00" /></applicationPoolDefaults>"#;
    let s = server(pools, "", "");
    let a = s.pool_setting(s.pool("A").unwrap(), &["processModel"], "idleTimeout");
    assert_eq!(a.value, "00:10:00");
    assert!(
        matches!(
            a.origin,
            Origin::Defaults {
                element: "applicationPoolDefaults",
                line: 4,
                ..
            }
        ),
        "{:?}",
        a.origin
    );
    let b = s.pool_setting(s.pool("b").unwrap(), &["processModel"], "idleTimeout");
    assert_eq!(b.value, "00:05:00");
    assert!(matches!(b.origin, Origin::Element { .. }));
    let start = s.pool_setting(s.pool("A").unwrap(), &[], "startMode");
    assert_eq!(
        (start.value.as_str(), &start.origin),
        ("OnDemand", &Origin::Schema)
    );
}

#[test]
fn site_defaults_and_application_defaults() {
    let sites = r#"<site name="Shop" id="2"><applicationDefaults applicationPool="ShopPool" /><application path="/"><virtualDirectory path="/" physicalPath="D:\s" /></application><application path="/api" applicationPool="Api"><virtualDirectory path="/" physicalPath="D:\api" /></application></site><siteDefaults><traceFailedRequestsLogging enabled="true" maxLogFiles="200" /></siteDefaults><applicationDefaults applicationPool="DefaultAppPool" preloadEnabled="true" />"#;
    let s = server("", sites, "");
    let apps = s.apps();
    assert_eq!(apps[0].pool.value, "ShopPool");
    assert_eq!(apps[1].pool.value, "Api");
    // preloadEnabled is not an attribute of the server-wide applicationDefaults.
    assert!(!apps[0].preload.is_true());
    let site = s.sites()[0];
    let files = s.site_setting(site, &["traceFailedRequestsLogging"], "maxLogFiles");
    assert_eq!(files.value, "200");
    assert!(matches!(
        files.origin,
        Origin::Defaults {
            element: "siteDefaults",
            ..
        }
    ));
}

#[test]
fn locations_shallow_to_deep_then_web_configs() {
    let extra = r#"<system.webServer><aspNetCore requestTimeout="00:01:00" /></system.webServer>
<location path="Shop"><system.webServer><aspNetCore requestTimeout="00:02:00" /></system.webServer></location>
<location path="Shop/orders"><system.webServer><aspNetCore requestTimeout="00:03:00" startupTimeLimit="200" /></system.webServer></location>
<location path="Shop/ordersadmin"><system.webServer><aspNetCore requestTimeout="00:09:00" /></system.webServer></location>"#;
    let mut s = server("", SITE, extra);
    let section = ["system.webServer", "aspNetCore"];
    assert_eq!(
        s.section_setting("Shop", "/", &section, "requestTimeout")
            .value,
        "00:02:00"
    );
    let deep = s.section_setting("Shop", "/orders", &section, "requestTimeout");
    assert_eq!(deep.value, "00:03:00");
    assert!(matches!(&deep.origin, Origin::Location { path, .. } if path == "Shop/orders"));
    assert_eq!(
        s.section_setting("Other", "/", &section, "requestTimeout")
            .value,
        "00:01:00"
    );
    // A web.config beats applicationHost.config, attribute by attribute.
    s.web_configs.push(PlacedWebConfig {
        doc: doc("web.config", "<configuration><system.webServer><aspNetCore requestTimeout=\"00:04:00\" /></system.webServer></configuration>"),
        site: "Shop".into(),
        url_path: "/orders".into(),
    });
    let web = s.section_setting("Shop", "/orders/api", &section, "requestTimeout");
    assert_eq!(web.value, "00:04:00");
    assert!(matches!(web.origin, Origin::WebConfig { .. }));
    assert_eq!(
        s.section_setting("Shop", "/orders", &section, "startupTimeLimit")
            .value,
        "200"
    );
    // Proxy settings are AppHostOnly: a web.config cannot change them.
    s.web_configs[0].doc = doc(
        "web.config",
        "<configuration><system.webServer><proxy timeout=\"00:09:00\" /></system.webServer></configuration>",
    );
    let proxy = s.section_setting("Shop", "/orders", &["system.webServer", "proxy"], "timeout");
    assert_eq!(
        (proxy.value.as_str(), &proxy.origin),
        ("00:02:00", &Origin::Schema)
    );
}

#[test]
fn collections_clear_and_remove_down_the_levels() {
    let extra = r#"<system.webServer><tracing><traceFailedRequests><add path="*"><failureDefinitions statusCodes="500" /></add><add path="*.aspx"><failureDefinitions statusCodes="404" /></add></traceFailedRequests></tracing></system.webServer>
<location path="Shop"><system.webServer><tracing><traceFailedRequests><remove path="*.aspx" /></traceFailedRequests></tracing></system.webServer></location>"#;
    let mut s = server("", SITE, extra);
    let section = ["system.webServer", "tracing", "traceFailedRequests"];
    let paths = |s: &ServerConfig| -> Vec<String> {
        s.section_collection("Shop", "/", &section, "path")
            .iter()
            .map(|e| e.node.attr("path").unwrap().to_owned())
            .collect()
    };
    assert_eq!(paths(&s), ["*"]);
    s.web_configs.push(PlacedWebConfig {
        doc: doc("web.config", "<configuration><system.webServer><tracing><traceFailedRequests><clear /><add path=\"api/*\"><failureDefinitions statusCodes=\"502\" /></add></traceFailedRequests></tracing></system.webServer></configuration>"),
        site: "Shop".into(),
        url_path: "/".into(),
    });
    assert_eq!(paths(&s), ["api/*"]);
}
