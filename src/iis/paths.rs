//! Which server a configuration file belongs to, and where a web.config sits in its sites.
//!
//! A configuration file does not name its server. Admins reach it through the admin share
//! (`\\web01\c$\Windows\System32\inetsrv\config\applicationHost.config`, or
//! `\\?\UNC\web01\c$\...`) or copy the shares of several servers into one folder
//! (`WEB01/c$/Windows/...`), so the name comes from the path unless the user gives it
//! (`WEB01=PATH`). The same shapes map a web.config back to the server's own path
//! (`\\web01\d$\Sites\Orders\web.config` is `D:\Sites\Orders\web.config` on WEB01), which is
//! what `physicalPath` holds.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// A path the user gave, with the server name when it was given as `SERVER=PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// The server named by the user.
    pub server: Option<String>,
    /// The file or folder.
    pub path: PathBuf,
}

/// Parses `PATH` or `SERVER=PATH`. A server name holds no path separator, colon or space.
pub fn parse_input(arg: &OsStr) -> Input {
    let text = arg.to_string_lossy();
    if let Some((name, path)) = text.split_once('=')
        && is_host_name(name)
        && !path.is_empty()
    {
        return Input {
            server: Some(name.to_owned()),
            path: PathBuf::from(path),
        };
    }
    Input {
        server: None,
        path: PathBuf::from(arg),
    }
}

fn is_host_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_')
}

/// The components of a path split on both separators, whatever the platform.
fn components(path: &str) -> Vec<&str> {
    path.split(['\\', '/']).filter(|c| !c.is_empty()).collect()
}

fn is_drive_share(component: &str) -> bool {
    let b = component.as_bytes();
    b.len() == 2 && b[0].is_ascii_alphabetic() && b[1] == b'$'
}

/// The host of a UNC path (`\\web01\...`, `\\?\UNC\web01\...`, `//web01/...`).
fn unc_host(text: &str) -> Option<&str> {
    let lower = text.to_ascii_lowercase();
    let rest = if lower.starts_with("\\\\?\\unc\\") || lower.starts_with("//?/unc/") {
        &text[8..]
    } else if (text.starts_with("\\\\") || text.starts_with("//"))
        && !text[2..].starts_with(['?', '.'])
    {
        &text[2..]
    } else {
        return None;
    };
    components(rest).first().copied()
}

/// The server a path belongs to: the name before its first admin share (`web01` in
/// `\\web01\c$\...`, `WEB01` in a copy, `WEB01/c$/...`, and in a copy on a share,
/// `\\fileserver\logs$\WEB01\c$\...`), else the UNC host (`\\web01\config\...`).
///
/// The admin share comes first because a share is as often where copies of several servers
/// were gathered as it is the server itself: the host of `\\fileserver\logs$` is the file
/// server, and the folder beside `c$` under it is the server the copy came from.
pub fn server_of(path: &Path) -> Option<String> {
    let text = path.to_string_lossy();
    let parts = components(&text);
    let beside_admin_share = parts
        .windows(2)
        .find(|w| is_drive_share(w[1]) && !w[0].ends_with(':'))
        .map(|w| w[0].to_owned());
    beside_admin_share.or_else(|| unc_host(&text).map(str::to_owned))
}

/// The path on the server itself (`D:\Sites\Orders\web.config`) of a file reached through an
/// admin share or a copy of one.
pub fn server_local_path(path: &Path) -> Option<String> {
    let text = path.to_string_lossy();
    let parts = components(&text);
    let at = parts.iter().position(|c| is_drive_share(c))?;
    let drive = parts[at].chars().next()?.to_ascii_uppercase();
    let rest = parts[at + 1..].join("\\");
    Some(format!("{drive}:\\{rest}"))
}

/// Expands the variables IIS writes in physical paths, for a remote server whose
/// environment is not known: `%SystemDrive%` is taken as `C:` (reported as an assumption).
pub fn expand(physical: &str) -> String {
    let mut out = physical.replace('/', "\\");
    for (var, value) in [
        ("%systemdrive%", "C:"),
        ("%windir%", "C:\\Windows"),
        ("%systemroot%", "C:\\Windows"),
        ("%programfiles%", "C:\\Program Files"),
    ] {
        while let Some(at) = out.to_ascii_lowercase().find(var) {
            out.replace_range(at..at + var.len(), value);
        }
    }
    out
}

/// Case-insensitive, separator-agnostic form for comparing Windows paths.
pub fn normalized(path: &str) -> String {
    let mut p = path.replace('/', "\\").to_lowercase();
    while p.ends_with('\\') && p.len() > 3 {
        p.pop();
    }
    p
}

/// The part of `path` below `folder` (both normalized), as URL segments, when it is below.
pub fn below(folder: &str, path: &str) -> Option<Vec<String>> {
    let (f, p) = (normalized(folder), normalized(path));
    if p == f {
        return Some(Vec::new());
    }
    let rest = p.strip_prefix(&format!("{}\\", f.trim_end_matches('\\')))?;
    Some(
        path.replace('/', "\\")
            .rsplit('\\')
            .take(rest.split('\\').count())
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .map(str::to_owned)
            .collect(),
    )
}

/// What a configuration file is, by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Kind {
    /// applicationHost.config (any case, IIS Express's applicationhost.config too).
    ApplicationHost,
    /// redirection.config.
    Redirection,
    /// web.config.
    WebConfig,
    /// An Azure App Service applicationHost.xdt transform: refused.
    Transform,
}

impl Kind {
    /// The kind of a file name, or `None` for other files.
    pub fn of(path: &Path) -> Option<Kind> {
        let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
        match name.as_str() {
            "applicationhost.config" => Some(Kind::ApplicationHost),
            "redirection.config" => Some(Kind::Redirection),
            "web.config" => Some(Kind::WebConfig),
            "applicationhost.xdt" => Some(Kind::Transform),
            _ => None,
        }
    }
}

/// Configuration files under a folder (any depth), sorted. Configuration history copies
/// (`inetpub\history\CFGHISTORY_*`) are old versions, not the live configuration: skipped.
pub fn walk(folder: &Path) -> (Vec<PathBuf>, Vec<(PathBuf, String)>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    let walker = walkdir::WalkDir::new(folder)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| {
            !e.file_name()
                .to_string_lossy()
                .to_ascii_uppercase()
                .starts_with("CFGHISTORY_")
        });
    for entry in walker {
        match entry {
            Ok(e) if e.file_type().is_file() && Kind::of(e.path()).is_some() => {
                files.push(e.into_path());
            }
            Ok(_) => {}
            Err(err) => {
                let path = err
                    .path()
                    .map_or_else(|| folder.to_path_buf(), Path::to_path_buf);
                errors.push((path, err.to_string()));
            }
        }
    }
    files.sort();
    (files, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_names_come_from_shares_and_copies() {
        let cases = [
            (
                "\\\\web01\\c$\\Windows\\System32\\inetsrv\\config\\applicationHost.config",
                Some("web01"),
            ),
            (
                "\\\\?\\UNC\\web02\\c$\\Windows\\System32\\inetsrv\\config",
                Some("web02"),
            ),
            ("//arr01/c$/Windows/System32/inetsrv/config", Some("arr01")),
            (
                "samples/WEB01/c$/Windows/System32/inetsrv/config/applicationHost.config",
                Some("WEB01"),
            ),
            (
                "C:\\Windows\\System32\\inetsrv\\config\\applicationHost.config",
                None,
            ),
            ("\\\\?\\C:\\Windows\\System32\\inetsrv\\config", None),
            ("/tmp/applicationHost.config", None),
        ];
        for (path, want) in cases {
            assert_eq!(server_of(Path::new(path)).as_deref(), want, "{path}");
        }
    }

    /// Copies of several servers gathered on a share: the server is the folder beside the
    /// admin share, not the file server, in every form Windows and the standard library give.
    #[test]
    fn copies_on_a_share_belong_to_the_copied_server() {
        let config = r"c$\Windows\System32\inetsrv\config\applicationHost.config";
        for root in [
            r"\\ci\logs$",
            r"\\ci\logs$\",
            r"\\?\UNC\ci\logs$",
            r"\\?\unc\ci\logs$",
            "//ci/logs$",
            r"\\?\Z:\work\samples",
            r"Z:\work\samples",
        ] {
            let path = Path::new(root).join("WEB01").join(config);
            assert_eq!(
                server_of(&path).as_deref(),
                Some("WEB01"),
                "{}",
                path.display()
            );
            let path = format!(r"{root}\ARR01\{config}");
            assert_eq!(
                server_of(Path::new(&path)).as_deref(),
                Some("ARR01"),
                "{path}"
            );
        }
        // A share of the configuration folder itself: the host is the server.
        assert_eq!(
            server_of(Path::new(r"\\web01\config\applicationHost.config")).as_deref(),
            Some("web01")
        );
        assert_eq!(
            server_of(Path::new(r"\\?\UNC\web01\config")).as_deref(),
            Some("web01")
        );
        assert_eq!(
            server_local_path(Path::new(
                r"\\?\UNC\ci\logs$\WEB01\d$\sites\shop\orders\web.config"
            ))
            .as_deref(),
            Some(r"D:\sites\shop\orders\web.config")
        );
    }

    #[test]
    fn server_equals_path_names_the_server() {
        let input = parse_input(OsStr::new("WEB01=/mnt/web01/config"));
        assert_eq!(input.server.as_deref(), Some("WEB01"));
        assert_eq!(input.path, PathBuf::from("/mnt/web01/config"));
        let plain = parse_input(OsStr::new("C:\\a=b\\config"));
        assert_eq!(plain.server, None);
    }

    #[test]
    fn web_configs_map_to_the_server_path() {
        assert_eq!(
            server_local_path(Path::new("\\\\web01\\d$\\Sites\\Orders\\web.config")).as_deref(),
            Some("D:\\Sites\\Orders\\web.config")
        );
        assert_eq!(
            server_local_path(Path::new("copies/WEB01/d$/Sites/Orders/web.config")).as_deref(),
            Some("D:\\Sites\\Orders\\web.config")
        );
        assert_eq!(
            expand("%SystemDrive%\\inetpub\\wwwroot"),
            "C:\\inetpub\\wwwroot"
        );
        assert_eq!(
            below("D:\\Sites\\Orders", "d:\\sites\\orders\\Admin"),
            Some(vec!["Admin".to_string()])
        );
        assert_eq!(below("D:\\Sites\\Orders", "D:\\Sites\\OrdersOld"), None);
    }
}
