//! From the paths a user typed to the trace files to read.
//!
//! The failure this module exists to prevent is silent emptiness: "0 failed requests" when the
//! share was unreachable is the worst answer a diagnostic tool can give. So roots are checked
//! up front and a missing one stops the run with the operating system's reason; every
//! directory that cannot be listed is reported and counted; folders are walked with walkdir
//! rather than expanded with `glob`, which returns nothing, without an error, for an
//! unreachable share or a `\\?\UNC\` root. Roots are never canonicalized, because that is
//! what turns `\\server\share` into `\\?\UNC\server\share`.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobMatcher};
use walkdir::WalkDir;

use crate::error::{ConfigError, FileError, SkipReason};

/// A path to read, as the user gave it: the option this stage owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Root {
    /// A folder, walked recursively for `fr*.xml`.
    Dir(PathBuf),
    /// One file, read whatever its name.
    File(PathBuf),
    /// A pattern with wildcards (`\\web01\logs$\W3SVC*\fr*.xml`).
    Pattern(String),
}

/// What discovery found.
#[derive(Debug, Default)]
pub struct Found {
    /// Trace files, sorted by the bytes of their paths, without duplicates.
    pub files: Vec<PathBuf>,
    /// Directories and files that could not be listed or inspected.
    pub errors: Vec<FileError>,
    /// Patterns that matched nothing.
    pub empty_patterns: Vec<String>,
}

/// Decides what a path argument is, checking that it exists and can be read.
pub fn resolve_root(arg: &OsStr) -> Result<Root, ConfigError> {
    let text = arg.to_string_lossy();
    if has_wildcard(&text) {
        check_pattern_base(&text)?;
        return Ok(Root::Pattern(text.into_owned()));
    }
    let path = PathBuf::from(arg);
    match fs::metadata(&path) {
        Ok(meta) if meta.is_dir() => {
            fs::read_dir(&path).map_err(|e| root_error(&path, &e))?;
            Ok(Root::Dir(path))
        }
        Ok(_) => Ok(Root::File(path)),
        Err(e) => Err(root_error(&path, &e)),
    }
}

fn has_wildcard(text: &str) -> bool {
    // `\\?\` is a verbatim prefix, not a wildcard.
    let body = text.strip_prefix(r"\\?\").unwrap_or(text);
    body.contains(['*', '?', '['])
}

/// The part of a pattern before its first wildcard must exist: otherwise the pattern could
/// only ever match nothing.
fn check_pattern_base(pattern: &str) -> Result<(), ConfigError> {
    let pattern = glob_friendly(pattern);
    let wildcard = pattern.find(['*', '?', '[']).unwrap_or(pattern.len());
    let base = &pattern[..wildcard];
    let base = match base.rfind(['/', '\\']) {
        Some(i) => &base[..=i],
        None => ".",
    };
    let base = Path::new(base);
    fs::metadata(base)
        .map(|_| ())
        .map_err(|e| root_error(base, &e))
}

/// `glob` returns nothing for `\\?\UNC\server\share` roots; the plain UNC form works.
fn glob_friendly(pattern: &str) -> String {
    match pattern.strip_prefix(r"\\?\UNC\") {
        Some(rest) => format!(r"\\{rest}"),
        None => pattern.to_owned(),
    }
}

fn root_error(path: &Path, err: &std::io::Error) -> ConfigError {
    let hint = match err.kind() {
        std::io::ErrorKind::NotFound if path.to_string_lossy().starts_with(r"\\") => {
            "check the server and share names, and that the share is reachable from this machine"
        }
        std::io::ErrorKind::NotFound => {
            "check the path; FREB traces are usually under \
             %SystemDrive%\\inetpub\\logs\\FailedReqLogFiles"
        }
        std::io::ErrorKind::PermissionDenied => {
            "run as an account that can read the folder (FailedReqLogFiles is readable by \
             Administrators by default)"
        }
        _ => "check that the path exists and can be read",
    };
    ConfigError::Root {
        path: path.to_path_buf(),
        detail: err.to_string(),
        hint: hint.to_owned(),
    }
}

/// Matches trace file names: `fr*.xml`, any case.
fn trace_name_matcher() -> GlobMatcher {
    GlobBuilder::new("fr*.xml")
        .case_insensitive(true)
        .literal_separator(true)
        .build()
        .map(|g| g.compile_matcher())
        .unwrap_or_else(|_| unreachable!("the pattern is a constant"))
}

/// Lists the trace files under every root.
pub fn discover(roots: &[Root]) -> Found {
    let matcher = trace_name_matcher();
    let mut found = Found::default();
    for root in roots {
        match root {
            Root::File(path) => found.files.push(path.clone()),
            Root::Dir(path) => walk(path, &matcher, &mut found),
            Root::Pattern(pattern) => expand(pattern, &matcher, &mut found),
        }
    }
    // One sort of the whole list, by the bytes of the path, rather than per directory as it
    // is walked: comparing paths component by component cost more than walking the share.
    found
        .files
        .sort_unstable_by(|a, b| a.as_os_str().cmp(b.as_os_str()));
    found.files.dedup();
    found.errors.sort_by(|a, b| a.path.cmp(&b.path));
    found
}

fn walk(dir: &Path, matcher: &GlobMatcher, found: &mut Found) {
    let walker = WalkDir::new(dir).follow_links(true);
    for entry in walker {
        match entry {
            Ok(entry) if entry.file_type().is_file() => {
                if matcher.is_match(Path::new(entry.file_name())) {
                    found.files.push(entry.into_path());
                }
            }
            Ok(entry) if entry.file_type().is_dir() => {}
            Ok(entry) => {
                if matcher.is_match(Path::new(entry.file_name())) {
                    found.errors.push(not_regular(entry.into_path()));
                }
            }
            Err(err) => found.errors.push(walk_error(dir, &err)),
        }
    }
}

/// A pipe, socket or device named like a trace: counted, never opened (a pipe would block
/// the run for ever).
fn not_regular(path: PathBuf) -> FileError {
    FileError {
        path,
        reason: SkipReason::Unreadable,
        detail: "not a regular file (a pipe, socket or device)".into(),
    }
}

fn walk_error(root: &Path, err: &walkdir::Error) -> FileError {
    let path = err.path().unwrap_or(root).to_path_buf();
    if let Some(ancestor) = err.loop_ancestor() {
        return FileError {
            path,
            reason: SkipReason::Unreadable,
            detail: format!("symbolic link loop back to {}", ancestor.display()),
        };
    }
    match err.io_error() {
        Some(io) => FileError::io(path, io),
        None => FileError {
            path,
            reason: SkipReason::Unreadable,
            detail: err.to_string(),
        },
    }
}

fn expand(pattern: &str, matcher: &GlobMatcher, found: &mut Found) {
    let options = glob::MatchOptions {
        case_sensitive: false,
        require_literal_separator: true,
        require_literal_leading_dot: false,
    };
    let paths = match glob::glob_with(&glob_friendly(pattern), options) {
        Ok(paths) => paths,
        Err(err) => {
            found.errors.push(FileError {
                path: PathBuf::from(pattern),
                reason: SkipReason::Unreadable,
                detail: format!("invalid pattern: {err}"),
            });
            return;
        }
    };
    let before = found.files.len() + found.errors.len();
    for entry in paths {
        match entry {
            Ok(path) => match fs::metadata(&path) {
                Ok(meta) if meta.is_dir() => walk(&path, matcher, found),
                Ok(meta) if !meta.is_file() => found.errors.push(not_regular(path)),
                // Reading it says why it cannot be read.
                _ => found.files.push(path),
            },
            Err(err) => found.errors.push(FileError::io(err.path(), err.error())),
        }
    }
    if found.files.len() + found.errors.len() == before {
        found.empty_patterns.push(pattern.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_names_match_any_case() {
        let m = trace_name_matcher();
        for name in ["fr000001.xml", "FR000001.XML", "fr1.Xml"] {
            assert!(m.is_match(name), "{name}");
        }
        for name in [
            "freb.xsl",
            "u_ex2606.log",
            "afr000001.xml",
            "fr000001.xml.bak",
        ] {
            assert!(!m.is_match(name), "{name}");
        }
    }

    #[test]
    fn verbatim_unc_patterns_become_plain_unc() {
        assert_eq!(
            glob_friendly(r"\\?\UNC\web01\logs$\W3SVC1\fr*.xml"),
            r"\\web01\logs$\W3SVC1\fr*.xml"
        );
        assert_eq!(glob_friendly(r"C:\logs\fr*.xml"), r"C:\logs\fr*.xml");
    }

    #[test]
    fn verbatim_prefix_is_not_a_wildcard() {
        assert!(!has_wildcard(r"\\?\UNC\web01\logs$"));
        assert!(has_wildcard(r"\\?\UNC\web01\logs$\fr*.xml"));
        assert!(has_wildcard("logs/W3SVC?/"));
    }

    #[test]
    fn missing_root_is_an_error_that_says_why() {
        let err = resolve_root(OsStr::new("/no/such/dir/frebscope")).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("/no/such/dir/frebscope"), "{text}");
        assert!(text.contains("hint:"), "{text}");
    }
}

#[cfg(all(test, windows))]
mod windows_tests {
    use std::path::{Component, Path, Prefix};

    use super::*;

    #[test]
    fn unc_roots_keep_their_share_prefix() {
        let path = Path::new(r"\\web01\logs$\FailedReqLogFiles\W3SVC2");
        let Some(Component::Prefix(prefix)) = path.components().next() else {
            panic!("no prefix");
        };
        assert!(
            matches!(prefix.kind(), Prefix::UNC(server, share) if server == "web01" && share == "logs$")
        );
        let verbatim = Path::new(r"\\?\UNC\web01\logs$\FailedReqLogFiles");
        let Some(Component::Prefix(prefix)) = verbatim.components().next() else {
            panic!("no prefix");
        };
        assert!(matches!(prefix.kind(), Prefix::VerbatimUNC(..)));
    }

    #[test]
    fn an_unreachable_share_is_an_error_not_an_empty_result() {
        let err = resolve_root(OsStr::new(r"\\frebscope-no-such-host\logs$")).unwrap_err();
        assert!(err.to_string().contains("frebscope-no-such-host"));
    }
}
