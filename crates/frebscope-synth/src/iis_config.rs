//! Writes IIS configuration files (applicationHost.config, web.config) in the shape IIS
//! writes them, for the demo farm in `samples/` and for tests.
//!
//! The layout follows a stock IIS 10 file: a `configSections` block first, then
//! `system.applicationHost` (pools with `applicationPoolDefaults`, sites with `siteDefaults`
//! and `applicationDefaults`), `system.webServer` (globalModules, proxy), `webFarms` at the
//! root, and per-site settings in `<location path="Site">` tags at the end; two-space indents
//! and CRLF line ends. Only the sections frebscope reads are filled in detail.

use std::fmt::Write as _;

use super::escape;

/// An application pool.
#[derive(Debug, Clone, Default)]
pub struct PoolSpec {
    /// Its name.
    pub name: String,
    /// `managedRuntimeVersion` (empty: no managed code).
    pub runtime: String,
    /// `startMode` when written.
    pub start_mode: Option<String>,
    /// `processModel@idleTimeout` when written.
    pub idle_timeout: Option<String>,
    /// Extra `processModel` attributes (identity, password...).
    pub process_model: Vec<(String, String)>,
    /// `recycling/periodicRestart` attributes when written.
    pub periodic_restart: Vec<(String, String)>,
    /// `periodicRestart/schedule` entries.
    pub schedule: Vec<String>,
}

/// An application of a site.
#[derive(Debug, Clone, Default)]
pub struct AppSpec {
    /// Virtual path (`/`, `/orders`).
    pub path: String,
    /// Its pool.
    pub pool: String,
    /// Physical path of its root virtual directory.
    pub physical_path: String,
    /// `preloadEnabled` when written.
    pub preload: Option<bool>,
}

/// A failed-request tracing rule.
#[derive(Debug, Clone, Default)]
pub struct FrebRuleSpec {
    /// `path` (`*`).
    pub path: String,
    /// `failureDefinitions@statusCodes`.
    pub status_codes: String,
    /// `failureDefinitions@timeTaken`, when written.
    pub time_taken: Option<String>,
    /// WWW Server areas.
    pub www_areas: String,
}

/// A site.
#[derive(Debug, Clone, Default)]
pub struct SiteSpec {
    /// Name.
    pub name: String,
    /// Id.
    pub id: u32,
    /// Bindings as `protocol`, `bindingInformation`.
    pub bindings: Vec<(String, String)>,
    /// Applications, the root first.
    pub apps: Vec<AppSpec>,
    /// `traceFailedRequestsLogging@enabled`.
    pub freb_enabled: bool,
    /// FREB rules (in `<location path="Site">`).
    pub freb_rules: Vec<FrebRuleSpec>,
}

/// A web farm.
#[derive(Debug, Clone, Default)]
pub struct FarmSpec {
    /// Name.
    pub name: String,
    /// Server addresses.
    pub servers: Vec<String>,
    /// `applicationRequestRouting/protocol@timeout`, when written.
    pub timeout: Option<String>,
    /// Health check URL.
    pub health_url: Option<String>,
}

/// A URL Rewrite global rule that sends a path to a farm.
#[derive(Debug, Clone, Default)]
pub struct RouteSpec {
    /// Rule name.
    pub name: String,
    /// `match@url` (ECMAScript).
    pub pattern: String,
    /// The rewrite target (`http://orders-farm/{R:0}`).
    pub url: String,
}

/// One server's applicationHost.config.
#[derive(Debug, Clone, Default)]
pub struct AppHostSpec {
    /// Pools.
    pub pools: Vec<PoolSpec>,
    /// Sites.
    pub sites: Vec<SiteSpec>,
    /// Extra global modules (ARR, URL Rewrite, ANCM) after the stock ones.
    pub extra_modules: Vec<(String, String)>,
    /// `system.webServer/proxy@enabled`.
    pub proxy_enabled: bool,
    /// Farms.
    pub farms: Vec<FarmSpec>,
    /// Global rewrite rules.
    pub routes: Vec<RouteSpec>,
}

/// The stock global modules of an IIS 10 server with the features the demo farm uses.
const STOCK_MODULES: &[(&str, &str)] = &[
    ("UriCacheModule", "%windir%\\System32\\inetsrv\\cachuri.dll"),
    (
        "FileCacheModule",
        "%windir%\\System32\\inetsrv\\cachfile.dll",
    ),
    (
        "TokenCacheModule",
        "%windir%\\System32\\inetsrv\\cachtokn.dll",
    ),
    (
        "HttpCacheModule",
        "%windir%\\System32\\inetsrv\\cachhttp.dll",
    ),
    (
        "StaticCompressionModule",
        "%windir%\\System32\\inetsrv\\compstat.dll",
    ),
    (
        "DefaultDocumentModule",
        "%windir%\\System32\\inetsrv\\defdoc.dll",
    ),
    (
        "StaticFileModule",
        "%windir%\\System32\\inetsrv\\static.dll",
    ),
    (
        "AnonymousAuthenticationModule",
        "%windir%\\System32\\inetsrv\\authanon.dll",
    ),
    (
        "RequestFilteringModule",
        "%windir%\\System32\\inetsrv\\modrqflt.dll",
    ),
    (
        "CustomErrorModule",
        "%windir%\\System32\\inetsrv\\custerr.dll",
    ),
    (
        "HttpLoggingModule",
        "%windir%\\System32\\inetsrv\\loghttp.dll",
    ),
    (
        "FailedRequestsTracingModule",
        "%windir%\\System32\\inetsrv\\iisfreb.dll",
    ),
    ("TracingModule", "%windir%\\System32\\inetsrv\\iisetw.dll"),
    (
        "ApplicationInitializationModule",
        "%windir%\\System32\\inetsrv\\warmup.dll",
    ),
];

fn attr(out: &mut String, name: &str, value: &str) {
    let _ = write!(out, " {name}=\"{}\"", escape(value));
}

fn line(out: &mut String, indent: usize, text: &str) {
    for _ in 0..indent {
        out.push_str("  ");
    }
    out.push_str(text);
    out.push_str("\r\n");
}

/// Renders an applicationHost.config.
pub fn render_apphost(spec: &AppHostSpec) -> String {
    let mut s = String::with_capacity(16 * 1024);
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n");
    line(&mut s, 0, "<!--");
    line(&mut s, 1, "IIS configuration sections.");
    line(&mut s, 0, "-->");
    line(&mut s, 0, "<configuration>");
    config_sections(&mut s, spec);
    line(&mut s, 1, "<configProtectedData>");
    line(&mut s, 2, "<providers>");
    line(
        &mut s,
        3,
        "<add name=\"IISWASOnlyAesProvider\" type=\"Microsoft.ApplicationHost.AesProtectedConfigurationProvider\" sessionKey=\"[enc:IISWASOnlyRsaProvider:ZGVtby1zZXNzaW9uLWtleQ==:enc]\" keyContainerName=\"iisWasKey\" />",
    );
    line(&mut s, 2, "</providers>");
    line(&mut s, 1, "</configProtectedData>");
    line(&mut s, 1, "<system.applicationHost>");
    pools(&mut s, &spec.pools);
    sites(&mut s, &spec.sites);
    line(&mut s, 1, "</system.applicationHost>");
    line(&mut s, 1, "<system.webServer>");
    line(&mut s, 2, "<globalModules>");
    for (name, image) in STOCK_MODULES
        .iter()
        .map(|(n, i)| (n.to_string(), i.to_string()))
        .chain(spec.extra_modules.iter().cloned())
    {
        let mut t = String::from("<add");
        attr(&mut t, "name", &name);
        attr(&mut t, "image", &image);
        t.push_str(" />");
        line(&mut s, 3, &t);
    }
    line(&mut s, 2, "</globalModules>");
    if spec.proxy_enabled {
        line(&mut s, 2, "<proxy enabled=\"true\" />");
    }
    if !spec.routes.is_empty() {
        routes(&mut s, &spec.routes);
    }
    line(
        &mut s,
        2,
        "<staticContent lockAttributes=\"isDocFooterFileName\">",
    );
    line(
        &mut s,
        3,
        "<mimeMap fileExtension=\".json\" mimeType=\"application/json\" />",
    );
    line(
        &mut s,
        3,
        "<mimeMap fileExtension=\".woff2\" mimeType=\"font/woff2\" />",
    );
    line(&mut s, 2, "</staticContent>");
    line(&mut s, 1, "</system.webServer>");
    if !spec.farms.is_empty() || spec.proxy_enabled {
        farms(&mut s, &spec.farms);
    }
    for site in &spec.sites {
        site_location(&mut s, site);
    }
    s.push_str("</configuration>\r\n");
    s
}

fn config_sections(s: &mut String, spec: &AppHostSpec) {
    line(s, 1, "<configSections>");
    line(s, 2, "<sectionGroup name=\"system.applicationHost\">");
    line(
        s,
        3,
        "<section name=\"applicationPools\" allowDefinition=\"AppHostOnly\" overrideModeDefault=\"Deny\" />",
    );
    line(
        s,
        3,
        "<section name=\"sites\" allowDefinition=\"AppHostOnly\" overrideModeDefault=\"Deny\" />",
    );
    line(s, 2, "</sectionGroup>");
    line(s, 2, "<sectionGroup name=\"system.webServer\">");
    line(
        s,
        3,
        "<section name=\"globalModules\" allowDefinition=\"AppHostOnly\" overrideModeDefault=\"Deny\" />",
    );
    line(
        s,
        3,
        "<section name=\"aspNetCore\" overrideModeDefault=\"Allow\" />",
    );
    if spec.proxy_enabled {
        line(
            s,
            3,
            "<section name=\"proxy\" overrideModeDefault=\"Deny\" allowDefinition=\"AppHostOnly\" />",
        );
        line(s, 3, "<sectionGroup name=\"rewrite\">");
        line(
            s,
            4,
            "<section name=\"globalRules\" overrideModeDefault=\"Deny\" allowDefinition=\"AppHostOnly\" />",
        );
        line(s, 3, "</sectionGroup>");
    }
    line(s, 3, "<sectionGroup name=\"tracing\">");
    line(
        s,
        4,
        "<section name=\"traceFailedRequests\" overrideModeDefault=\"Allow\" />",
    );
    line(s, 3, "</sectionGroup>");
    line(s, 2, "</sectionGroup>");
    if spec.proxy_enabled {
        line(
            s,
            2,
            "<section name=\"webFarms\" overrideModeDefault=\"Deny\" allowDefinition=\"AppHostOnly\" />",
        );
    }
    line(s, 1, "</configSections>");
}

fn pools(s: &mut String, pools: &[PoolSpec]) {
    line(s, 2, "<applicationPools>");
    for p in pools {
        let mut t = String::from("<add");
        attr(&mut t, "name", &p.name);
        attr(&mut t, "managedRuntimeVersion", &p.runtime);
        if let Some(m) = &p.start_mode {
            attr(&mut t, "startMode", m);
        }
        let has_children = p.idle_timeout.is_some()
            || !p.process_model.is_empty()
            || !p.periodic_restart.is_empty()
            || !p.schedule.is_empty();
        if !has_children {
            t.push_str(" />");
            line(s, 3, &t);
            continue;
        }
        t.push('>');
        line(s, 3, &t);
        if p.idle_timeout.is_some() || !p.process_model.is_empty() {
            let mut m = String::from("<processModel");
            for (k, v) in &p.process_model {
                attr(&mut m, k, v);
            }
            if let Some(idle) = &p.idle_timeout {
                attr(&mut m, "idleTimeout", idle);
            }
            m.push_str(" />");
            line(s, 4, &m);
        }
        if !p.periodic_restart.is_empty() || !p.schedule.is_empty() {
            line(s, 4, "<recycling>");
            let mut r = String::from("<periodicRestart");
            for (k, v) in &p.periodic_restart {
                attr(&mut r, k, v);
            }
            if p.schedule.is_empty() {
                r.push_str(" />");
                line(s, 5, &r);
            } else {
                r.push('>');
                line(s, 5, &r);
                line(s, 6, "<schedule>");
                for v in &p.schedule {
                    let mut a = String::from("<add");
                    attr(&mut a, "value", v);
                    a.push_str(" />");
                    line(s, 7, &a);
                }
                line(s, 6, "</schedule>");
                line(s, 5, "</periodicRestart>");
            }
            line(s, 4, "</recycling>");
        }
        line(s, 3, "</add>");
    }
    line(
        s,
        3,
        "<applicationPoolDefaults managedRuntimeVersion=\"v4.0\">",
    );
    line(
        s,
        4,
        "<processModel identityType=\"ApplicationPoolIdentity\" />",
    );
    line(s, 3, "</applicationPoolDefaults>");
    line(s, 2, "</applicationPools>");
}

fn sites(s: &mut String, sites: &[SiteSpec]) {
    line(s, 2, "<sites>");
    for site in sites {
        let mut t = String::from("<site");
        attr(&mut t, "name", &site.name);
        attr(&mut t, "id", &site.id.to_string());
        attr(&mut t, "serverAutoStart", "true");
        t.push('>');
        line(s, 3, &t);
        for app in &site.apps {
            let mut a = String::from("<application");
            attr(&mut a, "path", &app.path);
            attr(&mut a, "applicationPool", &app.pool);
            if let Some(p) = app.preload {
                attr(&mut a, "preloadEnabled", if p { "true" } else { "false" });
            }
            a.push('>');
            line(s, 4, &a);
            let mut v = String::from("<virtualDirectory path=\"/\"");
            attr(&mut v, "physicalPath", &app.physical_path);
            v.push_str(" />");
            line(s, 5, &v);
            line(s, 4, "</application>");
        }
        line(s, 4, "<bindings>");
        for (protocol, info) in &site.bindings {
            let mut b = String::from("<binding");
            attr(&mut b, "protocol", protocol);
            attr(&mut b, "bindingInformation", info);
            b.push_str(" />");
            line(s, 5, &b);
        }
        line(s, 4, "</bindings>");
        let mut f = String::from("<traceFailedRequestsLogging");
        attr(
            &mut f,
            "enabled",
            if site.freb_enabled { "true" } else { "false" },
        );
        f.push_str(" />");
        line(s, 4, &f);
        line(s, 3, "</site>");
    }
    line(s, 3, "<siteDefaults>");
    line(
        s,
        4,
        "<logFile logFormat=\"W3C\" directory=\"%SystemDrive%\\inetpub\\logs\\LogFiles\" />",
    );
    line(
        s,
        4,
        "<traceFailedRequestsLogging directory=\"%SystemDrive%\\inetpub\\logs\\FailedReqLogFiles\" />",
    );
    line(s, 3, "</siteDefaults>");
    line(
        s,
        3,
        "<applicationDefaults applicationPool=\"DefaultAppPool\" />",
    );
    line(
        s,
        3,
        "<virtualDirectoryDefaults allowSubDirConfig=\"true\" />",
    );
    line(s, 2, "</sites>");
}

fn routes(s: &mut String, routes: &[RouteSpec]) {
    line(s, 2, "<rewrite>");
    line(s, 3, "<globalRules>");
    for r in routes {
        let mut t = String::from("<rule");
        attr(&mut t, "name", &r.name);
        attr(&mut t, "patternSyntax", "ECMAScript");
        attr(&mut t, "stopProcessing", "true");
        t.push('>');
        line(s, 4, &t);
        let mut m = String::from("<match");
        attr(&mut m, "url", &r.pattern);
        m.push_str(" />");
        line(s, 5, &m);
        let mut a = String::from("<action type=\"Rewrite\"");
        attr(&mut a, "url", &r.url);
        a.push_str(" />");
        line(s, 5, &a);
        line(s, 4, "</rule>");
    }
    line(s, 3, "</globalRules>");
    line(s, 2, "</rewrite>");
}

fn farms(s: &mut String, farms: &[FarmSpec]) {
    line(s, 1, "<webFarms>");
    for f in farms {
        let mut t = String::from("<webFarm");
        attr(&mut t, "name", &f.name);
        attr(&mut t, "enabled", "true");
        t.push('>');
        line(s, 2, &t);
        for server in &f.servers {
            let mut a = String::from("<server");
            attr(&mut a, "address", server);
            attr(&mut a, "enabled", "true");
            a.push_str(" />");
            line(s, 3, &a);
        }
        line(s, 3, "<applicationRequestRouting>");
        if let Some(url) = &f.health_url {
            let mut h = String::from("<healthCheck");
            attr(&mut h, "url", url);
            attr(&mut h, "interval", "00:00:10");
            h.push_str(" />");
            line(s, 4, &h);
        }
        if let Some(timeout) = &f.timeout {
            let mut p = String::from("<protocol");
            attr(&mut p, "timeout", timeout);
            p.push_str(" />");
            line(s, 4, &p);
        }
        line(s, 3, "</applicationRequestRouting>");
        line(s, 2, "</webFarm>");
    }
    line(s, 2, "<applicationRequestRouting>");
    line(s, 3, "<hostAffinityProviderList>");
    line(
        s,
        4,
        "<add name=\"Microsoft.Web.Arr.HostNameRoundRobin\" />",
    );
    line(s, 3, "</hostAffinityProviderList>");
    line(s, 2, "</applicationRequestRouting>");
    line(s, 1, "</webFarms>");
}

fn site_location(s: &mut String, site: &SiteSpec) {
    if site.freb_rules.is_empty() {
        return;
    }
    let mut t = String::from("<location");
    attr(&mut t, "path", &site.name);
    t.push('>');
    line(s, 1, &t);
    line(s, 2, "<system.webServer>");
    line(s, 3, "<tracing>");
    line(s, 4, "<traceFailedRequests>");
    for r in &site.freb_rules {
        let mut a = String::from("<add");
        attr(&mut a, "path", &r.path);
        a.push('>');
        line(s, 5, &a);
        line(s, 6, "<traceAreas>");
        let mut w = String::from("<add provider=\"WWW Server\"");
        attr(&mut w, "areas", &r.www_areas);
        attr(&mut w, "verbosity", "Verbose");
        w.push_str(" />");
        line(s, 7, &w);
        line(
            s,
            7,
            "<add provider=\"ASPNET\" areas=\"Infrastructure,Module,Page,AppServices\" verbosity=\"Verbose\" />",
        );
        line(s, 6, "</traceAreas>");
        let mut f = String::from("<failureDefinitions");
        if let Some(t) = &r.time_taken {
            attr(&mut f, "timeTaken", t);
        }
        attr(&mut f, "statusCodes", &r.status_codes);
        f.push_str(" />");
        line(s, 6, &f);
        line(s, 5, "</add>");
    }
    line(s, 4, "</traceFailedRequests>");
    line(s, 3, "</tracing>");
    line(s, 2, "</system.webServer>");
    line(s, 1, "</location>");
}

/// An ASP.NET Core application's web.config, as `dotnet publish` writes it (out of process).
pub fn render_aspnetcore_web_config(dll: &str, request_timeout: Option<&str>) -> String {
    let mut s = String::new();
    s.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n");
    line(&mut s, 0, "<configuration>");
    line(
        &mut s,
        1,
        "<location path=\".\" inheritInChildApplications=\"false\">",
    );
    line(&mut s, 2, "<system.webServer>");
    line(&mut s, 3, "<handlers>");
    line(
        &mut s,
        4,
        "<add name=\"aspNetCore\" path=\"*\" verb=\"*\" modules=\"AspNetCoreModuleV2\" resourceType=\"Unspecified\" />",
    );
    line(&mut s, 3, "</handlers>");
    let mut a = String::from("<aspNetCore processPath=\"dotnet\"");
    attr(&mut a, "arguments", &format!(".\\{dll}"));
    attr(&mut a, "stdoutLogEnabled", "false");
    attr(&mut a, "stdoutLogFile", ".\\logs\\stdout");
    attr(&mut a, "hostingModel", "outofprocess");
    if let Some(t) = request_timeout {
        attr(&mut a, "requestTimeout", t);
    }
    a.push_str(" />");
    line(&mut s, 3, &a);
    line(&mut s, 2, "</system.webServer>");
    line(&mut s, 1, "</location>");
    line(&mut s, 0, "</configuration>");
    s
}

/// One file of the demo farm: its path below `samples/` and its text.
pub struct FarmFile {
    /// Path below the samples folder, admin-share shaped (`WEB01/c$/Windows/...`).
    pub path: String,
    /// The file's text.
    pub text: String,
}

const APPHOST: &str = "c$/Windows/System32/inetsrv/config/applicationHost.config";

/// The demo farm's configuration, matching the story its traces tell: OnDemand backend pools
/// with the default 20 min idle timeout and nothing preloaded, ASP.NET Core `Orders` out of
/// process with a 2 min requestTimeout in its web.config, and ARR01 routing `/orders` and
/// `/catalog` to two farms whose protocol timeout is 30 s.
pub fn demo_farm() -> Vec<FarmFile> {
    let mut files = vec![FarmFile {
        path: format!("ARR01/{APPHOST}"),
        text: render_apphost(&arr01()),
    }];
    for server in ["WEB01", "WEB02"] {
        files.push(FarmFile {
            path: format!("{server}/{APPHOST}"),
            text: render_apphost(&backend(server)),
        });
        files.push(FarmFile {
            path: format!("{server}/d$/sites/shop/orders/web.config"),
            text: render_aspnetcore_web_config("Orders.Api.dll", Some("00:02:00")),
        });
    }
    files
}

fn arr01() -> AppHostSpec {
    let farm = |name: &str, health: &str, timeout: Option<&str>| FarmSpec {
        name: name.into(),
        servers: vec!["WEB01".into(), "WEB02".into()],
        timeout: timeout.map(str::to_owned),
        health_url: Some(format!("http://{name}/{health}")),
    };
    AppHostSpec {
        pools: vec![PoolSpec {
            name: "ArrFront".into(),
            runtime: String::new(),
            ..PoolSpec::default()
        }],
        sites: vec![SiteSpec {
            name: "Shop Front".into(),
            id: 1,
            bindings: vec![
                ("http".into(), "*:80:shop.example.com".into()),
                ("https".into(), "*:443:shop.example.com".into()),
            ],
            apps: vec![AppSpec {
                path: "/".into(),
                pool: "ArrFront".into(),
                physical_path: "D:\\sites\\arr-front".into(),
                preload: None,
            }],
            freb_enabled: true,
            freb_rules: vec![FrebRuleSpec {
                path: "*".into(),
                status_codes: "404,502-504".into(),
                time_taken: Some("00:00:20".into()),
                www_areas: "Authentication,Security,Filter,StaticFile,CGI,Compression,Cache,RequestNotifications,Module,FastCGI,WebSocket,Rewrite,RequestRouting".into(),
            }],
        }],
        extra_modules: vec![
            ("RewriteModule".into(), "%SystemRoot%\\system32\\inetsrv\\rewrite.dll".into()),
            (
                "ApplicationRequestRouting".into(),
                "%ProgramFiles%\\IIS\\Application Request Routing\\requestRouter.dll".into(),
            ),
        ],
        proxy_enabled: true,
        farms: vec![
            farm("orders-farm", "orders/health", Some("00:00:30")),
            farm("catalog-farm", "catalog/health", None),
        ],
        routes: vec![
            RouteSpec {
                name: "ARR_orders-farm_loadbalance".into(),
                pattern: "^orders/(.*)".into(),
                url: "http://orders-farm/{R:0}".into(),
            },
            RouteSpec {
                name: "ARR_catalog-farm_loadbalance".into(),
                pattern: "^catalog/(.*)".into(),
                url: "http://catalog-farm/{R:0}".into(),
            },
        ],
    }
}

fn backend(server: &str) -> AppHostSpec {
    let mut catalog = PoolSpec {
        name: "Catalog".into(),
        runtime: "v4.0".into(),
        ..PoolSpec::default()
    };
    let mut orders = PoolSpec {
        name: "Orders".into(),
        runtime: String::new(),
        ..PoolSpec::default()
    };
    if server == "WEB02" {
        // WEB02's admin wrote the idle timeout out, and runs Catalog as a domain account.
        orders.idle_timeout = Some("00:20:00".into());
        catalog.process_model = vec![
            ("identityType".into(), "SpecificUser".into()),
            ("userName".into(), "CORP\\svc-catalog".into()),
            (
                "password".into(),
                "[enc:IISWASOnlyAesProvider:bm90LWEtcmVhbC1wYXNzd29yZA==:enc]".into(),
            ),
        ];
    }
    let app = |path: &str, pool: &str, dir: &str| AppSpec {
        path: path.into(),
        pool: pool.into(),
        physical_path: format!("D:\\sites\\shop{dir}"),
        preload: None,
    };
    AppHostSpec {
        pools: vec![catalog, orders],
        sites: vec![SiteSpec {
            name: "Shop".into(),
            id: 2,
            bindings: vec![("http".into(), "*:80:".into())],
            apps: vec![
                app("/", "Catalog", ""),
                app("/catalog", "Catalog", "\\catalog"),
                app("/orders", "Orders", "\\orders"),
            ],
            freb_enabled: true,
            freb_rules: vec![FrebRuleSpec {
                path: "*".into(),
                status_codes: "400-599".into(),
                time_taken: Some("00:00:10".into()),
                www_areas: "Authentication,Security,Filter,StaticFile,CGI,Compression,Cache,RequestNotifications,Module,FastCGI,WebSocket,ANCM".into(),
            }],
        }],
        extra_modules: vec![(
            "AspNetCoreModuleV2".into(),
            "%ProgramFiles%\\IIS\\Asp.Net Core Module\\V2\\aspnetcorev2.dll".into(),
        )],
        ..AppHostSpec::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Well-formed XML, every element closed, read with quick-xml.
    fn well_formed(text: &str) -> Vec<String> {
        let mut reader = quick_xml::Reader::from_str(text);
        reader.config_mut().check_end_names = true;
        let mut names = Vec::new();
        loop {
            match reader.read_event().expect("well-formed") {
                quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                    names.push(e.name().as_ref().to_owned());
                }
                quick_xml::events::Event::Eof => break,
                _ => {}
            }
        }
        names
    }

    #[test]
    fn rendered_files_are_well_formed() {
        let spec = AppHostSpec {
            pools: vec![PoolSpec {
                name: "A&B \"x\"".into(),
                idle_timeout: Some("00:05:00".into()),
                schedule: vec!["03:00:00".into()],
                ..PoolSpec::default()
            }],
            proxy_enabled: true,
            farms: vec![FarmSpec {
                name: "f".into(),
                servers: vec!["web01".into()],
                timeout: Some("00:00:30".into()),
                health_url: None,
            }],
            ..AppHostSpec::default()
        };
        let names = well_formed(&render_apphost(&spec));
        assert!(names.iter().any(|n| n == "webFarm"));
        assert!(render_apphost(&spec).contains("name=\"A&amp;B &quot;x&quot;\""));
        let web = render_aspnetcore_web_config("Orders.dll", Some("00:02:00"));
        assert!(well_formed(&web).iter().any(|n| n == "aspNetCore"));
        for file in demo_farm() {
            assert!(well_formed(&file.text).len() > 3, "{}", file.path);
        }
    }
}
