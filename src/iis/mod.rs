//! Reading IIS configuration: applicationHost.config, redirection.config and web.config.
//!
//! The traces say what happened; the configuration says why it will happen again. A cold
//! start after an idle timeout, a recycle into busy hours, a farm timeout shorter than the
//! backend's own: each is a setting with an effective value, and the admin needs the value,
//! where it comes from, and the line that changes it for this pool and this site.
//!
//! - [`read`] streams one file into the sections the audit needs (bounded memory, no DTD).
//! - [`paths`] names the server of each file and places web.config files in their sites.
//! - [`model`] computes effective values as IIS does, each with its [`model::Origin`].
//! - [`findings`] turns them into findings with fix lines from [`fix`].
//! - [`diagnosis`] gives the trace diagnosis the configured timeouts and configuration-backed
//!   hints.
//!
//! One unreadable file never stops the audit: it is a [`FileEntry`] with an error, and the
//! other files are still audited.

pub mod diagnosis;
pub mod findings;
pub mod fix;
pub mod model;
pub mod paths;
pub mod read;
pub mod report;
pub mod schema;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use findings::{Finding, Severity};
use model::{Origin, PlacedWebConfig, ServerConfig, Setting};
use paths::{Input, Kind};
use read::Document;

/// One file the audit met.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileEntry {
    /// The file, as found.
    pub path: String,
    /// The server it belongs to, when a name could be found.
    pub server: Option<String>,
    /// What it is.
    pub kind: Kind,
    /// Why it could not be read or used; `None` when it was audited.
    pub error: Option<String>,
}

/// What was read: the files, and each server's configuration.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Every file met, in path order.
    pub files: Vec<FileEntry>,
    /// The servers, with their effective applicationHost.config and placed web.configs.
    pub servers: Vec<ServerConfig>,
    /// Things the user should know that are not findings (unplaced web.config files...).
    pub notes: Vec<String>,
    /// Findings about the files themselves (`encrypted-value`, `shared-config`).
    file_findings: Vec<Finding>,
}

impl Loaded {
    /// True when some file could not be read or followed.
    pub fn is_partial(&self) -> bool {
        self.files.iter().any(|f| f.error.is_some())
    }
}

/// The audit of a set of configuration files.
#[derive(Debug, Serialize)]
pub struct Audit {
    /// Every file met.
    pub files: Vec<FileEntry>,
    /// The findings, ranked by severity.
    pub findings: Vec<Finding>,
    /// Notes for stderr.
    #[serde(skip)]
    pub notes: Vec<String>,
}

impl Audit {
    /// True when some file could not be read (exit 2).
    pub fn is_partial(&self) -> bool {
        self.files.iter().any(|f| f.error.is_some())
    }
}

/// Reads the inputs and audits them.
pub fn audit(inputs: &[Input]) -> Audit {
    let loaded = load(inputs);
    let mut findings = loaded.file_findings.clone();
    findings.extend(servers_findings(&loaded.servers));
    rank(&mut findings);
    Audit {
        files: loaded.files,
        findings,
        notes: loaded.notes,
    }
}

/// The findings of every server, each compared with the others as its backends, ranked.
pub fn servers_findings(servers: &[ServerConfig]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for server in servers {
        let others: Vec<&ServerConfig> = servers
            .iter()
            .filter(|s| !std::ptr::eq(*s, server))
            .collect();
        let name = (!server.server.is_empty()).then(|| server.server.clone());
        findings.extend(findings::server_findings(server, name, &others));
    }
    rank(&mut findings);
    findings
}

/// Severity first, then server, id and place: the same input always gives the same order.
fn rank(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (
            a.severity, &a.server, a.id, &a.pool, &a.site, &a.app, &a.setting,
        )
            .cmp(&(
                b.severity, &b.server, b.id, &b.pool, &b.site, &b.app, &b.setting,
            ))
    });
}

struct Candidate {
    path: PathBuf,
    server: Option<String>,
    kind: Kind,
}

fn candidates(inputs: &[Input], files: &mut Vec<FileEntry>) -> Vec<Candidate> {
    let mut out = Vec::new();
    for input in inputs {
        let server = |p: &Path| input.server.clone().or_else(|| paths::server_of(p));
        if input.path.is_dir() {
            let (found, errors) = paths::walk(&input.path);
            for (path, error) in errors {
                files.push(FileEntry {
                    server: server(&path),
                    path: path.display().to_string(),
                    kind: Kind::ApplicationHost,
                    error: Some(format!("could not list: {error}")),
                });
            }
            for path in found {
                let kind = Kind::of(&path).unwrap_or(Kind::ApplicationHost);
                out.push(Candidate {
                    server: server(&path),
                    path,
                    kind,
                });
            }
        } else {
            let kind = Kind::of(&input.path).unwrap_or_else(|| guess_kind(&input.path));
            out.push(Candidate {
                server: server(&input.path),
                path: input.path.clone(),
                kind,
            });
        }
    }
    out
}

/// A file given by name that is not called applicationHost.config, web.config or
/// redirection.config (a renamed copy): its name still tells which it is, mostly.
fn guess_kind(path: &Path) -> Kind {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if name.ends_with(".xdt") {
        Kind::Transform
    } else if name.contains("redirection") {
        Kind::Redirection
    } else if name.starts_with("web") {
        Kind::WebConfig
    } else {
        Kind::ApplicationHost
    }
}

fn server_key(server: &Option<String>) -> String {
    server.as_deref().unwrap_or("").to_ascii_lowercase()
}

/// Reads the inputs into servers.
pub fn load(inputs: &[Input]) -> Loaded {
    let mut files = Vec::new();
    let found = candidates(inputs, &mut files);
    let read: Vec<Result<Document, String>> = found
        .par_iter()
        .map(|c| read::read_file(&c.path).map_err(|e| e.to_string()))
        .collect();
    let mut loaded = Loaded::default();
    let mut apphosts: BTreeMap<String, (Option<String>, Document)> = BTreeMap::new();
    let mut unnamed: Vec<Document> = Vec::new();
    let mut redirections: Vec<(Option<String>, Document)> = Vec::new();
    let mut webs: Vec<(Option<String>, Document)> = Vec::new();
    for (c, result) in found.iter().zip(read) {
        let mut entry = FileEntry {
            path: c.path.display().to_string(),
            server: c.server.clone(),
            kind: c.kind,
            error: None,
        };
        match result {
            Err(e) => entry.error = Some(e),
            Ok(doc) => {
                loaded
                    .file_findings
                    .extend(findings::encrypted_findings(&doc, c.server.clone()));
                if doc.truncated {
                    loaded.notes.push(format!(
                        "{}: more than {} elements in the audited sections; the rest was not read",
                        entry.path,
                        read::MAX_NODES
                    ));
                }
                match c.kind {
                    Kind::ApplicationHost if c.server.is_none() => unnamed.push(doc),
                    Kind::ApplicationHost => match apphosts.entry(server_key(&c.server)) {
                        std::collections::btree_map::Entry::Occupied(_) => {
                            loaded.notes.push(format!(
                                    "{}: a second applicationHost.config for {}; only the first is audited",
                                    entry.path,
                                    c.server.as_deref().unwrap_or("")
                                ));
                        }
                        std::collections::btree_map::Entry::Vacant(slot) => {
                            slot.insert((c.server.clone(), doc));
                        }
                    },
                    Kind::Redirection => redirections.push((c.server.clone(), doc)),
                    Kind::WebConfig => webs.push((c.server.clone(), doc)),
                    Kind::Transform => {}
                }
            }
        }
        loaded.files.push(entry);
    }
    let shared = follow_redirections(&mut loaded, &mut apphosts, redirections, inputs);
    // A shared applicationHost.config given as an input too is audited once, as the
    // configuration of the servers that point at it.
    unnamed.retain(|doc| !shared.iter().any(|p| same_file(p, &doc.path)));
    for doc in &unnamed {
        loaded.notes.push(format!(
            "{}: no server name could be found (not below \\\\SERVER\\c$ or SERVER/c$); name it with SERVER=PATH",
            doc.path.display()
        ));
    }
    for (_, (server, doc)) in apphosts {
        loaded.servers.push(ServerConfig::new(
            server.unwrap_or_default(),
            doc,
            Vec::new(),
        ));
    }
    for doc in unnamed {
        loaded
            .servers
            .push(ServerConfig::new(String::new(), doc, Vec::new()));
    }
    place_web_configs(&mut loaded, webs);
    loaded.files.sort_by(|a, b| a.path.cmp(&b.path));
    loaded
}

/// Servers whose redirection.config enables shared configuration read applicationHost.config
/// from the share: that file replaces the local one (which is not the live configuration).
fn follow_redirections(
    loaded: &mut Loaded,
    apphosts: &mut BTreeMap<String, (Option<String>, Document)>,
    redirections: Vec<(Option<String>, Document)>,
    inputs: &[Input],
) -> Vec<PathBuf> {
    let mut shared_paths = Vec::new();
    for (server, doc) in redirections {
        let Some(node) = doc.root.child("configurationRedirection") else {
            continue;
        };
        let enabled = node
            .attr("enabled")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let share = node.attr("path").unwrap_or("").to_owned();
        if !enabled {
            continue;
        }
        let file = doc.path.display().to_string();
        let setting = Setting {
            value: share.clone(),
            origin: Origin::Element {
                file: file.clone(),
                line: node.line,
            },
        };
        loaded.file_findings.push(Finding {
            id: "shared-config",
            severity: Severity::Info,
            server: server.clone(),
            pool: None,
            site: None,
            app: None,
            setting: "configurationRedirection@path".into(),
            value: setting.value.clone(),
            source: setting.origin.to_string(),
            why: "shared configuration: this server reads applicationHost.config from the share; the local copy is not the live configuration, and a change made with appcmd on any member goes to the share".into(),
            fix: Vec::new(),
        });
        match read_shared(&share, inputs) {
            Ok(shared) => {
                let key = server_key(&server);
                loaded.notes.push(format!(
                    "{}: shared configuration: audited {} instead of the local applicationHost.config",
                    server.as_deref().unwrap_or("?"),
                    shared.path.display()
                ));
                loaded.files.push(FileEntry {
                    path: shared.path.display().to_string(),
                    server: server.clone(),
                    kind: Kind::ApplicationHost,
                    error: None,
                });
                shared_paths.push(shared.path.clone());
                apphosts.insert(key, (server.clone(), shared));
            }
            Err(error) => loaded.files.push(FileEntry {
                path: format!("{share}\\applicationHost.config"),
                server: server.clone(),
                kind: Kind::ApplicationHost,
                error: Some(format!(
                    "the shared configuration named by {file} could not be read: {error}; pass a copy of the share as a path"
                )),
            }),
        }
    }
    shared_paths
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// Reads `<share>\applicationHost.config`, as written or in a copy of the share below one of
/// the input folders (`HOST/SHARE/applicationHost.config`).
fn read_shared(share: &str, inputs: &[Input]) -> Result<Document, String> {
    let trimmed = share.trim_end_matches(['\\', '/']);
    let direct = PathBuf::from(format!("{trimmed}\\applicationHost.config"));
    let mut tried = vec![direct];
    let parts: Vec<&str> = trimmed
        .split(['\\', '/'])
        .filter(|p| !p.is_empty())
        .collect();
    for input in inputs.iter().filter(|i| i.path.is_dir()) {
        let mut copy = input.path.clone();
        for p in &parts {
            copy.push(p);
        }
        copy.push("applicationHost.config");
        tried.push(copy);
    }
    let mut last = String::from("no path to try");
    for path in tried {
        match read::read_file(&path) {
            Ok(doc) => return Ok(doc),
            Err(e) => last = e.to_string(),
        }
    }
    Err(last)
}

/// Places each web.config at the site and URL path whose physicalPath holds its folder.
fn place_web_configs(loaded: &mut Loaded, webs: Vec<(Option<String>, Document)>) {
    for (server, doc) in webs {
        let file = doc.path.display().to_string();
        let Some(index) = loaded.servers.iter().position(|s| {
            !s.server.is_empty()
                && s.server
                    .eq_ignore_ascii_case(server.as_deref().unwrap_or(""))
        }) else {
            loaded.notes.push(format!(
                "{file}: no applicationHost.config of its server {} was given: not audited",
                server.as_deref().unwrap_or("(no server name found)")
            ));
            continue;
        };
        let folder = paths::server_local_path(&doc.path)
            .and_then(|p| p.rsplit_once('\\').map(|(dir, _)| dir.to_owned()));
        let placed = folder.and_then(|dir| place(&loaded.servers[index], &dir));
        match placed {
            Some((site, url_path)) => loaded.servers[index].web_configs.push(PlacedWebConfig {
                doc,
                site,
                url_path,
            }),
            None => loaded.notes.push(format!(
                "{file}: not inside any physicalPath of {}'s sites (reach it as \\\\SERVER\\d$\\... or SERVER/d$/...): not audited",
                server.as_deref().unwrap_or("?")
            )),
        }
    }
}

/// The site and URL path of a server-local folder: the virtual directory with the deepest
/// physicalPath holding it.
fn place(server: &ServerConfig, folder: &str) -> Option<(String, String)> {
    let mut best: Option<(usize, String, String)> = None;
    for site in server.sites() {
        let site_name = site.attr("name").unwrap_or("");
        for app in site.children_named("application") {
            let app_path = app.attr("path").unwrap_or("/");
            for vdir in app.children_named("virtualDirectory") {
                let Some(physical) = vdir.attr("physicalPath") else {
                    continue;
                };
                let expanded = paths::expand(physical);
                let Some(rest) = paths::below(&expanded, folder) else {
                    continue;
                };
                let depth = paths::normalized(&expanded).len();
                let mut url = String::new();
                for seg in [app_path, vdir.attr("path").unwrap_or("/")] {
                    for s in seg.split('/').filter(|s| !s.is_empty()) {
                        url.push('/');
                        url.push_str(s);
                    }
                }
                for s in rest {
                    url.push('/');
                    url.push_str(&s);
                }
                if url.is_empty() {
                    url.push('/');
                }
                if best.as_ref().is_none_or(|b| depth > b.0) {
                    best = Some((depth, site_name.to_owned(), url));
                }
            }
        }
    }
    best.map(|(_, site, url)| (site, url))
}
