//! Effective values, computed as IIS computes them, each with where it came from.
//!
//! IIS never stores an effective value: it is the schema default, overridden by the
//! collection-default element (`applicationPoolDefaults`, `siteDefaults`,
//! `applicationDefaults`, `virtualDirectoryDefaults`), by the element itself, by
//! `<location path>` tags from shallow to deep, and by web.config files down the URL. An
//! admin who reads "idleTimeout 20 min" needs to know which of those set it to change it in
//! the right place, so every [`Setting`] carries its [`Origin`].

use std::fmt;

use super::read::{Document, Node};
use super::schema;

/// Where an effective value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Nothing sets it: IIS's schema default.
    Schema,
    /// A collection-default element (`applicationPoolDefaults`...).
    Defaults {
        /// The element name.
        element: &'static str,
        /// The file.
        file: String,
        /// 1-based line.
        line: u32,
    },
    /// The element itself (the pool, site, application, farm or server-level section).
    Element {
        /// The file.
        file: String,
        /// 1-based line.
        line: u32,
    },
    /// A `<location path=...>` tag of applicationHost.config.
    Location {
        /// The location's path.
        path: String,
        /// The file.
        file: String,
        /// 1-based line.
        line: u32,
    },
    /// A web.config file.
    WebConfig {
        /// The file.
        file: String,
        /// 1-based line.
        line: u32,
    },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Schema => f.write_str("schema default"),
            Origin::Defaults {
                element,
                file,
                line,
            } => write!(f, "{element} ({file}:{line})"),
            Origin::Element { file, line } => write!(f, "{file}:{line}"),
            Origin::Location { path, file, line } => {
                write!(f, "<location path=\"{path}\"> ({file}:{line})")
            }
            Origin::WebConfig { file, line } => write!(f, "web.config ({file}:{line})"),
        }
    }
}

/// An effective value and its origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The value as IIS reads it (not yet parsed).
    pub value: String,
    /// Where it came from.
    pub origin: Origin,
}

impl Setting {
    fn schema(value: &str) -> Setting {
        Setting {
            value: value.to_owned(),
            origin: Origin::Schema,
        }
    }

    /// True for `true` in any case.
    pub fn is_true(&self) -> bool {
        self.value.trim().eq_ignore_ascii_case("true")
    }

    /// The value as a time span, when it is one.
    pub fn seconds(&self) -> Option<f64> {
        schema::parse_timespan(&self.value)
    }

    /// The value as an unsigned number.
    pub fn number(&self) -> Option<u64> {
        self.value.trim().parse().ok()
    }
}

/// An application of a site.
#[derive(Debug, Clone)]
pub struct App {
    /// The site's name.
    pub site: String,
    /// The site's id.
    pub site_id: String,
    /// The application's virtual path (`/`, `/orders`).
    pub path: String,
    /// Its pool.
    pub pool: Setting,
    /// `preloadEnabled`.
    pub preload: Setting,
    /// The root virtual directory's physical path, as written.
    pub physical_path: Option<String>,
    /// Line of the `<application>` element.
    pub line: u32,
}

impl App {
    /// `Default Web Site/orders`, or `Default Web Site/` for the root application, as appcmd
    /// names applications.
    pub fn appcmd_name(&self) -> String {
        format!("{}{}", self.site, self.path)
    }

    /// `Default Web Site/orders` for a `<location path>`, `Default Web Site` for the root.
    pub fn location_path(&self) -> String {
        if self.path == "/" {
            self.site.clone()
        } else {
            format!("{}{}", self.site, self.path)
        }
    }
}

/// A web.config placed at a URL path of a site.
#[derive(Debug, Clone)]
pub struct PlacedWebConfig {
    /// The document.
    pub doc: Document,
    /// The site it belongs to.
    pub site: String,
    /// The URL path of its folder (`/`, `/orders`, `/orders/admin`).
    pub url_path: String,
}

/// One server's configuration: its applicationHost.config and the web.config files placed in
/// its sites.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The server's name.
    pub server: String,
    /// applicationHost.config.
    pub apphost: Document,
    /// web.config files, each placed at its site and URL path.
    pub web_configs: Vec<PlacedWebConfig>,
    /// The collection-default elements, found once (a server may have thousands of pools).
    defaults: Defaults,
}

/// `applicationPoolDefaults`, `siteDefaults` and the server's `applicationDefaults`.
#[derive(Debug, Clone, Default)]
struct Defaults {
    pools: Option<Node>,
    sites: Option<Node>,
    apps: Option<Node>,
}

/// A collection entry with where it came from.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The `<add>` element.
    pub node: Node,
    /// Its origin.
    pub origin: Origin,
}

/// One layer of configuration that applies to a URL: a section container (`configuration`
/// or `location`) and how to name it.
struct Layer<'a> {
    container: &'a Node,
    origin: LayerOrigin<'a>,
    /// This layer locks the sections it sets (`overrideMode="Deny"`).
    locks: bool,
}

#[derive(Clone, Copy)]
enum LayerOrigin<'a> {
    Global(&'a str),
    Location(&'a str, &'a str),
    WebConfig(&'a str),
}

impl LayerOrigin<'_> {
    fn origin(self, line: u32) -> Origin {
        match self {
            LayerOrigin::Global(file) => Origin::Element {
                file: file.to_owned(),
                line,
            },
            LayerOrigin::Location(path, file) => Origin::Location {
                path: path.to_owned(),
                file: file.to_owned(),
                line,
            },
            LayerOrigin::WebConfig(file) => Origin::WebConfig {
                file: file.to_owned(),
                line,
            },
        }
    }

    fn is_web_config(self) -> bool {
        matches!(self, LayerOrigin::WebConfig(_))
    }
}

/// A web.config value the parent level locked: IIS answers 500.19 for that URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedOverride {
    /// The section, `system.webServer/aspNetCore`.
    pub section: String,
    /// Where the lock is.
    pub lock: Origin,
    /// The web.config that sets it anyway.
    pub at: Origin,
}

fn file_of(doc: &Document) -> String {
    doc.path.display().to_string()
}

fn is_global_location(path: &str) -> bool {
    let p = path.trim();
    p.is_empty() || p == "."
}

/// Whether `location` (a location path, `Site/app`) covers `target` (`Site/app/dir`), whole
/// segments, any case.
pub fn path_covers(location: &str, target: &str) -> bool {
    let l = location.trim().trim_end_matches('/').to_lowercase();
    let t = target.trim_end_matches('/').to_lowercase();
    t == l || t.starts_with(&format!("{l}/"))
}

fn url_covers(prefix: &str, url: &str) -> bool {
    prefix == "/" || path_covers(prefix, url)
}

fn depth(path: &str) -> usize {
    path.split('/').filter(|s| !s.is_empty()).count()
}

fn locks(node: &Node) -> bool {
    node.attr("overrideMode")
        .is_some_and(|m| m.eq_ignore_ascii_case("deny"))
        || node
            .attr("allowOverride")
            .is_some_and(|m| m.eq_ignore_ascii_case("false"))
}

impl ServerConfig {
    /// A server's configuration from its applicationHost.config.
    pub fn new(server: String, apphost: Document, web_configs: Vec<PlacedWebConfig>) -> Self {
        let mut config = ServerConfig {
            server,
            apphost,
            web_configs,
            defaults: Defaults::default(),
        };
        let pools = config
            .global_node(&["system.applicationHost", "applicationPools"])
            .and_then(|p| p.child("applicationPoolDefaults"))
            .cloned();
        let sites = config.global_node(&["system.applicationHost", "sites"]);
        let defaults = Defaults {
            pools,
            sites: sites.and_then(|s| s.child("siteDefaults")).cloned(),
            apps: sites.and_then(|s| s.child("applicationDefaults")).cloned(),
        };
        config.defaults = defaults;
        config
    }

    fn file(&self) -> String {
        file_of(&self.apphost)
    }

    /// The server-level elements at a path: outside any location, and in `<location path="">`.
    fn global_nodes<'a>(
        &'a self,
        path: &'a [&'a str],
    ) -> impl Iterator<Item = (&'a Node, Origin)> + 'a {
        let file = self.file();
        let root = &self.apphost.root;
        let direct = root.at(path).map(|n| {
            (
                n,
                Origin::Element {
                    file: file.clone(),
                    line: n.line,
                },
            )
        });
        let located = root
            .children_named("location")
            .filter(|l| is_global_location(l.attr("path").unwrap_or("")))
            .filter_map(move |l| {
                l.at(path).map(|n| {
                    (
                        n,
                        Origin::Location {
                            path: String::new(),
                            file: file_of(&self.apphost),
                            line: n.line,
                        },
                    )
                })
            });
        direct.into_iter().chain(located)
    }

    fn global_node<'a>(&'a self, path: &'a [&'a str]) -> Option<&'a Node> {
        self.global_nodes(path).map(|(n, _)| n).last()
    }

    /// Application pools (`add` elements), in file order.
    pub fn pools(&self) -> Vec<&Node> {
        self.global_nodes(&["system.applicationHost", "applicationPools"])
            .flat_map(|(n, _)| n.children_named("add"))
            .collect()
    }

    /// The pool with this name (pool names compare without case).
    pub fn pool(&self, name: &str) -> Option<&Node> {
        self.pools()
            .into_iter()
            .find(|p| p.attr("name").is_some_and(|n| n.eq_ignore_ascii_case(name)))
    }

    /// An effective pool attribute: the pool, then `applicationPoolDefaults`, then the schema.
    /// `path` is the child element (`["processModel"]`), empty for the pool's own attribute.
    pub fn pool_setting(&self, pool: &Node, path: &[&str], attr: &str) -> Setting {
        if let Some(n) = pool.at(path)
            && let Some(v) = n.attr(attr)
        {
            return Setting {
                value: v.to_owned(),
                origin: Origin::Element {
                    file: self.file(),
                    line: n.line,
                },
            };
        }
        let defaults = self.defaults.pools.as_ref().and_then(|d| d.at(path));
        if let Some(n) = defaults
            && let Some(v) = n.attr(attr)
        {
            return Setting {
                value: v.to_owned(),
                origin: Origin::Defaults {
                    element: "applicationPoolDefaults",
                    file: self.file(),
                    line: n.line,
                },
            };
        }
        Setting::schema(schema::pool_default(path, attr).unwrap_or(""))
    }

    /// The effective periodic-restart schedule of a pool: the defaults' entries, then the
    /// pool's `<clear/>`, `<remove>` and `<add>`.
    pub fn pool_schedule(&self, pool: &Node) -> Vec<Entry> {
        let path = ["recycling", "periodicRestart", "schedule"];
        let mut entries = Vec::new();
        if let Some(d) = self.defaults.pools.as_ref().and_then(|d| d.at(&path)) {
            let origin = |line| Origin::Defaults {
                element: "applicationPoolDefaults",
                file: self.file(),
                line,
            };
            apply_collection(&mut entries, d, "value", &origin);
        }
        if let Some(n) = pool.at(&path) {
            let origin = |line| Origin::Element {
                file: self.file(),
                line,
            };
            apply_collection(&mut entries, n, "value", &origin);
        }
        entries
    }

    /// Sites (`site` elements), in file order.
    pub fn sites(&self) -> Vec<&Node> {
        self.global_nodes(&["system.applicationHost", "sites"])
            .flat_map(|(n, _)| n.children_named("site"))
            .collect()
    }

    /// The site with this id.
    pub fn site_by_id(&self, id: &str) -> Option<&Node> {
        self.sites()
            .into_iter()
            .find(|s| s.attr("id").is_some_and(|i| i.trim() == id.trim()))
    }

    /// An effective site attribute at a child path: the site, `siteDefaults`, the schema.
    pub fn site_setting(&self, site: &Node, path: &[&str], attr: &str) -> Setting {
        if let Some(n) = site.at(path)
            && let Some(v) = n.attr(attr)
        {
            return Setting {
                value: v.to_owned(),
                origin: Origin::Element {
                    file: self.file(),
                    line: n.line,
                },
            };
        }
        let defaults = self.defaults.sites.as_ref().and_then(|d| d.at(path));
        if let Some(n) = defaults
            && let Some(v) = n.attr(attr)
        {
            return Setting {
                value: v.to_owned(),
                origin: Origin::Defaults {
                    element: "siteDefaults",
                    file: self.file(),
                    line: n.line,
                },
            };
        }
        Setting::schema(schema::site_default(path, attr).unwrap_or(""))
    }

    /// The applications of every site, with pool and preload resolved.
    pub fn apps(&self) -> Vec<App> {
        let server_defaults = self.defaults.apps.as_ref();
        let mut out = Vec::new();
        for site in self.sites() {
            let name = site.attr("name").unwrap_or("").to_owned();
            let id = site.attr("id").unwrap_or("").to_owned();
            let site_defaults = site.child("applicationDefaults");
            for app in site.children_named("application") {
                let setting = |attr: &str, server_level: bool, fallback: &str| {
                    if let Some(v) = app.attr(attr) {
                        return Setting {
                            value: v.to_owned(),
                            origin: Origin::Element {
                                file: self.file(),
                                line: app.line,
                            },
                        };
                    }
                    for (d, allowed) in [(site_defaults, true), (server_defaults, server_level)] {
                        if let (Some(d), true) = (d, allowed)
                            && let Some(v) = d.attr(attr)
                        {
                            return Setting {
                                value: v.to_owned(),
                                origin: Origin::Defaults {
                                    element: "applicationDefaults",
                                    file: self.file(),
                                    line: d.line,
                                },
                            };
                        }
                    }
                    Setting::schema(fallback)
                };
                let physical_path = app
                    .children_named("virtualDirectory")
                    .find(|v| v.attr("path") == Some("/"))
                    .and_then(|v| v.attr("physicalPath"))
                    .map(str::to_owned);
                out.push(App {
                    site: name.clone(),
                    site_id: id.clone(),
                    path: app.attr("path").unwrap_or("/").to_owned(),
                    pool: setting("applicationPool", true, ""),
                    // preloadEnabled is not an attribute of the server-wide applicationDefaults.
                    preload: setting("preloadEnabled", false, "false"),
                    physical_path,
                    line: app.line,
                });
            }
        }
        out
    }

    /// The layers that apply to `site` + `url` (`/orders/api`), shallow to deep.
    fn layers<'a>(&'a self, site: &str, url: &str, apphost_only: bool) -> Vec<Layer<'a>> {
        let file = self
            .apphost
            .path
            .to_str()
            .unwrap_or("applicationHost.config");
        let root = &self.apphost.root;
        let mut layers = vec![Layer {
            container: root,
            origin: LayerOrigin::Global(file),
            locks: false,
        }];
        let target = if url == "/" || url.is_empty() {
            site.to_owned()
        } else {
            format!("{site}{url}")
        };
        let mut located: Vec<&Node> = root
            .children_named("location")
            .filter(|l| {
                let p = l.attr("path").unwrap_or("");
                is_global_location(p) || path_covers(p, &target)
            })
            .collect();
        located.sort_by_key(|l| {
            let p = l.attr("path").unwrap_or("");
            if is_global_location(p) { 0 } else { depth(p) }
        });
        for l in located {
            layers.push(Layer {
                container: l,
                origin: LayerOrigin::Location(l.attr("path").unwrap_or(""), file),
                locks: locks(l),
            });
        }
        if apphost_only {
            return layers;
        }
        let mut webs: Vec<&PlacedWebConfig> = self
            .web_configs
            .iter()
            .filter(|w| w.site.eq_ignore_ascii_case(site) && url_covers(&w.url_path, url))
            .collect();
        webs.sort_by_key(|w| depth(&w.url_path));
        for w in webs {
            let wfile = w.doc.path.to_str().unwrap_or("web.config");
            layers.push(Layer {
                container: &w.doc.root,
                origin: LayerOrigin::WebConfig(wfile),
                locks: false,
            });
            let rel = url
                .get(w.url_path.trim_end_matches('/').len()..)
                .unwrap_or("")
                .trim_start_matches('/');
            for l in w.doc.root.children_named("location") {
                let p = l.attr("path").unwrap_or("");
                if is_global_location(p) || path_covers(p, rel) {
                    layers.push(Layer {
                        container: l,
                        origin: LayerOrigin::WebConfig(wfile),
                        locks: locks(l),
                    });
                }
            }
        }
        layers
    }

    /// The effective attribute of a section element (`["system.webServer", "aspNetCore"]`)
    /// for a URL of a site, through applicationHost.config and web.config files. A web.config
    /// setting a section locked above is ignored (and reported by [`Self::locked_overrides`]).
    pub fn section_setting(&self, site: &str, url: &str, path: &[&str], attr: &str) -> Setting {
        let apphost_only = schema::is_apphost_only(path);
        let mut best = None;
        let mut locked = false;
        for layer in self.layers(site, url, apphost_only) {
            let Some(n) = layer.container.at(path) else {
                continue;
            };
            if locked && layer.origin.is_web_config() {
                continue;
            }
            if let Some(v) = n.attr(attr) {
                best = Some(Setting {
                    value: v.to_owned(),
                    origin: layer.origin.origin(n.line),
                });
            }
            locked |= layer.locks;
        }
        best.unwrap_or_else(|| Setting::schema(schema::section_default(path, attr).unwrap_or("")))
    }

    /// The effective entries of a collection (`traceFailedRequests`, keyed by `path`) for a URL.
    pub fn section_collection(
        &self,
        site: &str,
        url: &str,
        path: &[&str],
        key: &str,
    ) -> Vec<Entry> {
        let apphost_only = schema::is_apphost_only(path);
        let mut entries = Vec::new();
        let mut locked = false;
        for layer in self.layers(site, url, apphost_only) {
            let Some(n) = layer.container.at(path) else {
                continue;
            };
            if locked && layer.origin.is_web_config() {
                continue;
            }
            let origin = |line| layer.origin.origin(line);
            apply_collection(&mut entries, n, key, &origin);
            locked |= layer.locks;
        }
        entries
    }

    /// Sections that web.config files set although a `<location overrideMode="Deny">` above
    /// locks them.
    pub fn locked_overrides(&self, site: &str, url: &str) -> Vec<LockedOverride> {
        let mut out = Vec::new();
        for section in schema::AUDITED_SECTIONS {
            let mut lock = None;
            for layer in self.layers(site, url, false) {
                let Some(n) = layer.container.at(section) else {
                    continue;
                };
                match (&lock, layer.origin.is_web_config()) {
                    (Some(lock_origin), true) => {
                        out.push(LockedOverride {
                            section: section.join("/"),
                            lock: Clone::clone(lock_origin),
                            at: layer.origin.origin(n.line),
                        });
                        break;
                    }
                    _ if layer.locks => lock = Some(layer.origin.origin(n.line)),
                    _ => {}
                }
            }
        }
        out
    }

    /// Global modules (`system.webServer/globalModules`), after `<clear/>` and `<remove>`.
    pub fn global_modules(&self) -> Vec<Entry> {
        let mut entries = Vec::new();
        for (n, origin) in self.global_nodes(&["system.webServer", "globalModules"]) {
            let f = |line| match &origin {
                Origin::Location { path, file, .. } => Origin::Location {
                    path: path.clone(),
                    file: file.clone(),
                    line,
                },
                _ => Origin::Element {
                    file: self.file(),
                    line,
                },
            };
            apply_collection(&mut entries, n, "name", &f);
        }
        entries
    }

    /// Whether a global module is installed (names are case-sensitive).
    pub fn has_global_module(&self, name: &str) -> bool {
        self.global_modules()
            .iter()
            .any(|e| e.node.attr("name") == Some(name))
    }

    /// Web farms (`webFarms/webFarm`).
    pub fn farms(&self) -> Vec<&Node> {
        self.global_nodes(&["webFarms"])
            .flat_map(|(n, _)| n.children_named("webFarm"))
            .collect()
    }

    /// A farm's `applicationRequestRouting/protocol@timeout`.
    pub fn farm_timeout(&self, farm: &Node) -> Setting {
        match farm.at(&["applicationRequestRouting", "protocol"]) {
            Some(p) if p.attr("timeout").is_some() => Setting {
                value: p.attr("timeout").unwrap_or_default().to_owned(),
                origin: Origin::Element {
                    file: self.file(),
                    line: p.line,
                },
            },
            _ => Setting::schema(schema::FARM_PROTOCOL_TIMEOUT),
        }
    }

    /// Whether this server proxies: ARR `proxy@enabled`, or at least one `<webFarm>`.
    pub fn proxies(&self) -> bool {
        !self.farms().is_empty()
            || self
                .section_setting("", "/", &["system.webServer", "proxy"], "enabled")
                .is_true()
    }

    /// The URL Rewrite rules that apply to a URL of a site: global rules, then the site's.
    pub fn rewrite_rules(&self, site: &str, url: &str) -> Vec<Entry> {
        let mut rules = self.section_collection(
            site,
            url,
            &["system.webServer", "rewrite", "globalRules"],
            "name",
        );
        rules.extend(self.section_collection(
            site,
            url,
            &["system.webServer", "rewrite", "rules"],
            "name",
        ));
        rules
    }

    /// The application (deepest path prefix) of a URL path in a site.
    pub fn app_for(&self, site_id: &str, url_path: &str) -> Option<App> {
        self.apps()
            .into_iter()
            .filter(|a| a.site_id.trim() == site_id.trim() && url_covers(&a.path, url_path))
            .max_by_key(|a| depth(&a.path))
    }
}

/// Applies `<clear/>`, `<remove key>` and `<add key>` of one collection element.
fn apply_collection(
    entries: &mut Vec<Entry>,
    collection: &Node,
    key: &str,
    origin: &dyn Fn(u32) -> Origin,
) {
    for item in &collection.children {
        let k = item.attr(key).unwrap_or("");
        match item.name.as_str() {
            "clear" => entries.clear(),
            "remove" => entries.retain(|e| e.node.attr(key) != Some(k)),
            "add" | "rule" => {
                entries.retain(|e| e.node.attr(key) != Some(k));
                entries.push(Entry {
                    node: item.clone(),
                    origin: origin(item.line),
                });
            }
            _ => {}
        }
    }
}
