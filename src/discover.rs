//! From the paths a user typed to the trace files to read.
//!
//! The failure this module exists to prevent is silent emptiness: "0 failed requests" when the
//! share was unreachable is the worst answer a diagnostic tool can give. So roots are checked
//! up front and a missing one stops the run with the operating system's reason; every
//! directory that cannot be listed is reported and counted.
//!
//! Which files are traces: every `fr*.xml` (any case), as IIS names them, and every other
//! `*.xml` whose first bytes are a FREB trace's (traces collected from several servers get
//! renamed, `WEB01_fr000001.xml`). Other `.xml` files are counted as "not traces", never as
//! failures. A path that exists is always a path, whatever characters its name holds
//! (`logs [old]` is a legal folder name); only a path that does not exist may be a pattern.
//!
//! Folders are listed in parallel (a farm's share is servers × sites folders, and each
//! listing is a network round trip). Symbolic links are not followed unless asked, as in
//! fd and ripgrep, and a file reached twice (hard links, overlapping roots) is read once.
//! Roots are never canonicalized, because that is what turns `\\server\share` into
//! `\\?\UNC\server\share`.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::error::{ConfigError, FileError, SkipReason};

/// A path to read, as the user gave it: the option this stage owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Root {
    /// A folder, walked recursively for traces.
    Dir(PathBuf),
    /// One file, read whatever its name.
    File(PathBuf),
    /// A pattern with wildcards (`\\web01\logs$\W3SVC*\fr*.xml`).
    Pattern(String),
}

/// How discovery walks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Follow symbolic links (and junctions) found under a root.
    pub follow: bool,
    /// Folders listed at once.
    pub threads: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            follow: false,
            // Listings wait on the disk or the network, not the CPU: as many in flight as the
            // readers' default on a small machine.
            threads: 8,
        }
    }
}

/// What discovery found.
#[derive(Debug, Default)]
pub struct Found {
    /// Trace files, sorted by the bytes of their paths, each file once.
    pub files: Vec<PathBuf>,
    /// Directories and files that could not be listed or inspected.
    pub errors: Vec<FileError>,
    /// Patterns that matched nothing.
    pub empty_patterns: Vec<String>,
    /// Files looked at and left alone, sorted by path.
    pub ignored: Vec<Ignored>,
}

impl Found {
    /// How many ignored entries are of this kind.
    pub fn ignored_count(&self, why: Why) -> usize {
        self.ignored.iter().filter(|i| i.why == why).count()
    }
}

/// A file discovery looked at and did not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignored {
    /// The file, as found.
    pub path: PathBuf,
    /// Why.
    pub why: Why,
}

/// Why a file was left alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Why {
    /// An `.xml` file that is not a FREB trace (its first bytes say so).
    NotATrace,
    /// A symbolic link, not followed without `--follow`.
    LinkNotFollowed,
}

impl Why {
    /// For a person.
    pub fn describe(self) -> &'static str {
        match self {
            Why::NotATrace => "not a FREB trace",
            Why::LinkNotFollowed => "symbolic link, not followed (--follow follows links)",
        }
    }
}

/// Decides what a path argument is, checking that it exists and can be read. A path that
/// exists is a path, whatever its name holds; only one that does not exist may be a pattern.
pub fn resolve_root(arg: &OsStr) -> Result<Root, ConfigError> {
    let path = PathBuf::from(arg);
    match fs::metadata(&path) {
        Ok(meta) if meta.is_dir() => {
            fs::read_dir(&path).map_err(|e| root_error(&path, &e))?;
            Ok(Root::Dir(path))
        }
        Ok(_) => Ok(Root::File(path)),
        Err(e) => {
            let text = arg.to_string_lossy();
            // Windows refuses a name holding `*` or `?` outright (not "not found").
            if has_wildcard(&text) && e.kind() != std::io::ErrorKind::PermissionDenied {
                check_pattern_base(&text)?;
                return Ok(Root::Pattern(text.into_owned()));
            }
            Err(root_error(&path, &e))
        }
    }
}

/// `text` without its verbatim prefix (`\\?\`): the `?` there is not a wildcard.
fn without_verbatim(text: &str) -> &str {
    text.strip_prefix(r"\\?\").unwrap_or(text)
}

fn has_wildcard(text: &str) -> bool {
    without_verbatim(text).contains(['*', '?', '['])
}

/// The part of a pattern before its first wildcard must exist: otherwise the pattern could
/// only ever match nothing.
fn check_pattern_base(pattern: &str) -> Result<(), ConfigError> {
    let base = pattern_base(pattern);
    fs::metadata(&base)
        .map(|_| ())
        .map_err(|e| root_error(&base, &e))
}

/// The folder of a pattern's matches: its folders before the first wildcard (`.` when the
/// wildcard is in the first name), in the form `glob` reads (a verbatim prefix's `?` is not a
/// wildcard).
pub(crate) fn pattern_base(pattern: &str) -> PathBuf {
    let pattern = glob_friendly(pattern);
    let wildcard = pattern.find(['*', '?', '[']).unwrap_or(pattern.len());
    let base = &pattern[..wildcard];
    PathBuf::from(match base.rfind(['/', '\\']) {
        Some(i) => &base[..=i],
        None => ".",
    })
}

/// `glob` returns nothing for verbatim roots (`\\?\UNC\server\share`, `\\?\C:\`); the plain
/// forms work, and the standard library adds the prefix back where a path needs it.
fn glob_friendly(pattern: &str) -> String {
    if let Some(rest) = pattern.strip_prefix(r"\\?\UNC\") {
        return format!(r"\\{rest}");
    }
    match pattern.strip_prefix(r"\\?\") {
        Some(rest) if rest.as_bytes().get(1) == Some(&b':') => rest.to_owned(),
        _ => pattern.to_owned(),
    }
}

/// The pattern with its leading folders that exist as written taken literally: a folder
/// named `logs [old]` is a folder, not a character class, in `logs [old]/W3SVC*`.
fn literal_prefix_escaped(pattern: &str) -> String {
    let literal = pattern
        .char_indices()
        .filter(|&(_, c)| c == '/' || c == '\\')
        .map(|(i, _)| i + 1)
        .rev()
        .find(|&end| fs::symlink_metadata(&pattern[..end]).is_ok())
        .unwrap_or(0);
    format!(
        "{}{}",
        glob::Pattern::escape(&pattern[..literal]),
        &pattern[literal..]
    )
}

/// True for the forms that name a share: `\\server\share\...` and `\\?\UNC\server\share\...`;
/// `\\?\C:\...` and `\\.\` device paths are not shares.
fn names_a_share(path: &str) -> bool {
    if let Some(rest) = path.strip_prefix(r"\\?\") {
        return rest.len() >= 4 && rest[..4].eq_ignore_ascii_case(r"UNC\");
    }
    path.starts_with(r"\\") && !path.starts_with(r"\\.\")
}

fn root_error(path: &Path, err: &std::io::Error) -> ConfigError {
    let hint = match err.kind() {
        std::io::ErrorKind::NotFound if names_a_share(&path.to_string_lossy()) => {
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

/// True for the names IIS gives traces: `fr*.xml`, any case.
fn is_trace_name(name: &OsStr) -> bool {
    static PATTERN: std::sync::LazyLock<glob::Pattern> = std::sync::LazyLock::new(|| {
        glob::Pattern::new("fr*.xml").unwrap_or_else(|_| unreachable!("the pattern is a constant"))
    });
    let options = glob::MatchOptions {
        case_sensitive: false,
        require_literal_separator: true,
        require_literal_leading_dot: false,
    };
    PATTERN.matches_with(&name.to_string_lossy(), options)
}

/// True for `*.xml`, any case: the files whose first bytes are looked at.
fn is_xml_name(name: &OsStr) -> bool {
    Path::new(name)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xml"))
}

/// Lists the trace files under every root, with the default options.
pub fn discover(roots: &[Root]) -> Found {
    discover_with(roots, &Options::default())
}

/// Lists the trace files under every root. Cheap to call again (a watch lists its roots every
/// interval): it keeps no state between calls.
pub fn discover_with(roots: &[Root], options: &Options) -> Found {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads.max(1))
        .thread_name(|i| format!("list-{i}"))
        .build();
    let listing = match pool {
        Ok(pool) => pool.install(|| list_roots(roots, options)),
        // Without threads of its own, discovery lists on the caller's.
        Err(_) => list_roots(roots, options),
    };
    listing.into_found()
}

fn list_roots(roots: &[Root], options: &Options) -> Listing {
    let listings: Vec<Listing> = roots
        .par_iter()
        .map(|root| {
            let mut listing = Listing::default();
            match root {
                Root::File(path) => listing.named_file(path),
                Root::Dir(path) => {
                    listing.merge(walk(path, &Ancestors::root(path, options), options));
                }
                Root::Pattern(pattern) => listing.merge(expand(pattern, options)),
            }
            listing
        })
        .collect();
    let mut all = Listing::default();
    for listing in listings {
        all.merge(listing);
    }
    all
}

/// What identifies a file whatever the path it was reached by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum FileId {
    #[cfg(unix)]
    Inode(u64, u64),
    #[cfg(windows)]
    Index(u64, u64),
}

#[cfg(unix)]
fn file_id(_path: &Path, meta: &fs::Metadata) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    Some(FileId::Inode(meta.dev(), meta.ino()))
}

/// Windows has no stable file index in the standard library's metadata, so the file is
/// opened for its attributes only (no read access, every sharing mode), asked for its volume
/// and index, and closed.
#[cfg(windows)]
fn file_id(path: &Path, _meta: &fs::Metadata) -> Option<FileId> {
    windows_file_id(path)
}

#[cfg(windows)]
fn windows_file_id(path: &Path) -> Option<FileId> {
    let handle = winapi_util::Handle::from_path_any(path).ok()?;
    let info = winapi_util::file::information(&handle).ok()?;
    Some(FileId::Index(
        info.volume_serial_number(),
        info.file_index(),
    ))
}

/// The device of the folder being listed, asked once, when a file in it needs an identity.
/// Windows asks each file instead.
#[cfg_attr(windows, allow(dead_code))]
enum DirDevice {
    Unknown(PathBuf),
    Known(Option<u64>),
}

/// The identity of a regular file met in a listing.
#[cfg(unix)]
fn listed_file_id(entry: &fs::DirEntry, _path: &Path, dir: &mut DirDevice) -> Option<FileId> {
    use std::os::unix::fs::{DirEntryExt, MetadataExt};
    if let DirDevice::Unknown(path) = dir {
        *dir = DirDevice::Known(fs::metadata(&*path).ok().map(|m| m.dev()));
    }
    match dir {
        DirDevice::Known(Some(dev)) => Some(FileId::Inode(*dev, entry.ino())),
        _ => None,
    }
}

#[cfg(windows)]
fn listed_file_id(_entry: &fs::DirEntry, path: &Path, _dir: &mut DirDevice) -> Option<FileId> {
    windows_file_id(path)
}

/// What one folder, pattern or root gave, before the merge.
#[derive(Debug, Default)]
struct Listing {
    files: Vec<(PathBuf, Option<FileId>)>,
    errors: Vec<FileError>,
    empty_patterns: Vec<String>,
    ignored: Vec<Ignored>,
}

impl Listing {
    fn merge(&mut self, other: Listing) {
        self.files.extend(other.files);
        self.errors.extend(other.errors);
        self.empty_patterns.extend(other.empty_patterns);
        self.ignored.extend(other.ignored);
    }

    fn is_empty(&self) -> bool {
        self.files.is_empty() && self.errors.is_empty() && self.ignored.is_empty()
    }

    /// A file named on the command line: read whatever its name, if it is a regular file.
    fn named_file(&mut self, path: &Path) {
        match fs::metadata(path) {
            Ok(meta) if meta.is_file() => {
                let id = file_id(path, &meta);
                self.files.push((path.to_path_buf(), id));
            }
            Ok(_) => self.errors.push(not_regular(path.to_path_buf())),
            Err(e) => self.errors.push(FileError::io(path, &e)),
        }
    }

    /// A regular file met in a folder or matched by a pattern: a trace by its name or by its
    /// first bytes.
    fn candidate(
        &mut self,
        path: PathBuf,
        id: impl FnOnce(&Path) -> Option<FileId>,
        any_name: bool,
    ) {
        let name = path.file_name().unwrap_or_default();
        if !is_trace_name(name) {
            if !any_name && !is_xml_name(name) {
                return;
            }
            match sniff_file(&path) {
                Ok(true) => {}
                Ok(false) => {
                    if is_xml_name(name) {
                        self.ignored.push(Ignored {
                            path,
                            why: Why::NotATrace,
                        });
                    }
                    return;
                }
                Err(e) => {
                    self.errors.push(FileError::io(path, &e));
                    return;
                }
            }
        }
        let id = id(&path);
        self.files.push((path, id));
    }

    fn into_found(mut self) -> Found {
        // One sort of the whole list, by the bytes of the path, rather than per directory as
        // it is walked: comparing paths component by component cost more than walking.
        self.files
            .sort_unstable_by(|a, b| a.0.as_os_str().cmp(b.0.as_os_str()));
        self.files.dedup_by(|a, b| a.0 == b.0);
        // The same file reached twice (a hard link, overlapping roots) keeps its first path.
        let mut seen = HashSet::new();
        let mut files: Vec<PathBuf> = self
            .files
            .into_iter()
            .filter(|(_, id)| id.as_ref().is_none_or(|id| seen.insert(id.clone())))
            .map(|(path, _)| path)
            .collect();
        // Collected in place, the list keeps the room of the (path, ID) pairs, twice what it
        // needs; a scan holds it while it reads.
        files.shrink_to_fit();
        self.errors.sort_by(|a, b| a.path.cmp(&b.path));
        self.errors.dedup_by(|a, b| a.path == b.path);
        self.ignored.sort_by(|a, b| a.path.cmp(&b.path));
        self.ignored.dedup();
        Found {
            files,
            errors: self.errors,
            empty_patterns: self.empty_patterns,
            ignored: self.ignored,
        }
    }
}

/// True when the first bytes of the file are those of a FREB trace.
fn sniff_file(path: &Path) -> std::io::Result<bool> {
    let file = fs::File::open(path)?;
    let mut head = Vec::with_capacity(crate::parse::sniff::SNIFF_BYTES);
    file.take(crate::parse::sniff::SNIFF_BYTES as u64)
        .read_to_end(&mut head)?;
    Ok(crate::parse::sniff::is_trace(&head))
}

/// The folders above the one being listed, by identity, to catch a link back to one of them.
/// Only kept when links are followed: otherwise no walk can come back to where it was.
#[derive(Debug, Clone, Default)]
struct Ancestors {
    ids: Vec<(FileId, PathBuf)>,
}

impl Ancestors {
    fn root(path: &Path, options: &Options) -> Ancestors {
        let mut ancestors = Ancestors::default();
        if options.follow {
            ancestors.push(path);
        }
        ancestors
    }

    fn push(&mut self, dir: &Path) {
        if let Ok(meta) = fs::metadata(dir)
            && let Some(id) = file_id(dir, &meta)
        {
            self.ids.push((id, dir.to_path_buf()));
        }
    }

    /// The ancestor `dir` is, when it is one.
    fn loop_to(&self, dir: &Path) -> Option<&Path> {
        let meta = fs::metadata(dir).ok()?;
        let id = file_id(dir, &meta)?;
        self.ids
            .iter()
            .find(|(a, _)| *a == id)
            .map(|(_, p)| p.as_path())
    }
}

/// Lists `dir` and, in parallel, every folder under it.
fn walk(dir: &Path, ancestors: &Ancestors, options: &Options) -> Listing {
    let mut listing = Listing::default();
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            listing.errors.push(FileError::io(dir, &e));
            return listing;
        }
    };
    let mut subdirs = Vec::new();
    let mut dir_dev = DirDevice::Unknown(dir.to_path_buf());
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                listing.errors.push(FileError::io(dir, &e));
                continue;
            }
        };
        let path = entry.path();
        let file_type = match entry.file_type() {
            Ok(t) => t,
            Err(e) => {
                listing.errors.push(FileError::io(path, &e));
                continue;
            }
        };
        let meta = if file_type.is_symlink() {
            if !options.follow {
                listing.ignored.push(Ignored {
                    path,
                    why: Why::LinkNotFollowed,
                });
                continue;
            }
            match fs::metadata(&path) {
                Ok(meta) => meta,
                Err(e) => {
                    listing.errors.push(FileError::io(path, &e));
                    continue;
                }
            }
        } else if file_type.is_dir() {
            subdirs.push(path);
            continue;
        } else if file_type.is_file() {
            // The listing gives the inode: no call per file on Unix, where a share's file
            // system would make each one a round trip.
            listing.candidate(path, |p| listed_file_id(&entry, p, &mut dir_dev), false);
            continue;
        } else {
            if is_xml_name(entry.file_name().as_os_str()) {
                listing.errors.push(not_regular(path));
            }
            continue;
        };
        if meta.is_dir() {
            match ancestors.loop_to(&path) {
                Some(ancestor) => listing.errors.push(FileError {
                    detail: format!("symbolic link loop back to {}", ancestor.display()),
                    path,
                    reason: SkipReason::Unreadable,
                }),
                None => subdirs.push(path),
            }
        } else if meta.is_file() {
            listing.candidate(path, |p| file_id(p, &meta), false);
        } else if is_xml_name(entry.file_name().as_os_str()) {
            listing.errors.push(not_regular(path));
        }
    }
    let below: Vec<Listing> = subdirs
        .par_iter()
        .map(|sub| {
            let mut ancestors = ancestors.clone();
            if options.follow {
                ancestors.push(sub);
            }
            walk(sub, &ancestors, options)
        })
        .collect();
    for sub in below {
        listing.merge(sub);
    }
    listing
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

fn expand(pattern: &str, options: &Options) -> Listing {
    let mut listing = Listing::default();
    let match_options = glob::MatchOptions {
        case_sensitive: false,
        require_literal_separator: true,
        require_literal_leading_dot: false,
    };
    let friendly = literal_prefix_escaped(&glob_friendly(pattern));
    let paths = match glob::glob_with(&friendly, match_options) {
        Ok(paths) => paths,
        Err(err) => {
            listing.errors.push(FileError {
                path: PathBuf::from(pattern),
                reason: SkipReason::Unreadable,
                detail: format!("invalid pattern: {err}"),
            });
            return listing;
        }
    };
    let mut dirs = Vec::new();
    for entry in paths {
        match entry {
            Ok(path) => match fs::metadata(&path) {
                Ok(meta) if meta.is_dir() => dirs.push(path),
                Ok(meta) if meta.is_file() => listing.candidate(path, |p| file_id(p, &meta), true),
                Ok(_) => listing.errors.push(not_regular(path)),
                Err(e) => listing.errors.push(FileError::io(path, &e)),
            },
            Err(err) => listing.errors.push(FileError::io(err.path(), err.error())),
        }
    }
    let below: Vec<Listing> = dirs
        .par_iter()
        .map(|dir| walk(dir, &Ancestors::root(dir, options), options))
        .collect();
    for sub in below {
        listing.merge(sub);
    }
    if listing.is_empty() {
        listing.empty_patterns.push(pattern.to_owned());
    }
    listing
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_names_match_any_case() {
        for name in ["fr000001.xml", "FR000001.XML", "fr1.Xml"] {
            assert!(is_trace_name(OsStr::new(name)), "{name}");
        }
        for name in [
            "freb.xsl",
            "u_ex2606.log",
            "afr000001.xml",
            "fr000001.xml.bak",
        ] {
            assert!(!is_trace_name(OsStr::new(name)), "{name}");
        }
    }

    #[test]
    fn verbatim_patterns_become_plain() {
        assert_eq!(
            glob_friendly(r"\\?\UNC\web01\logs$\W3SVC1\fr*.xml"),
            r"\\web01\logs$\W3SVC1\fr*.xml"
        );
        assert_eq!(glob_friendly(r"\\?\C:\logs\WEB0*"), r"C:\logs\WEB0*");
        assert_eq!(glob_friendly(r"C:\logs\fr*.xml"), r"C:\logs\fr*.xml");
    }

    #[test]
    fn verbatim_prefix_is_not_a_wildcard() {
        assert!(!has_wildcard(r"\\?\UNC\web01\logs$"));
        assert!(!has_wildcard(r"\\?\C:\logs"));
        assert!(has_wildcard(r"\\?\UNC\web01\logs$\fr*.xml"));
        assert!(has_wildcard(r"\\?\C:\logs\WEB0*"));
        assert!(has_wildcard("logs/W3SVC?/"));
    }

    /// The folder a verbatim pattern needs is the one before its own first wildcard, not
    /// `\\` before the prefix's `?`.
    #[test]
    fn a_verbatim_pattern_needs_the_folder_before_its_own_wildcard() {
        for (pattern, base) in [
            (
                r"\\?\C:\frebscope-no-such-folder\WEB0*",
                r"C:\frebscope-no-such-folder\",
            ),
            (
                r"\\?\UNC\frebscope-no-such-host\logs$\W3SVC?",
                r"\\frebscope-no-such-host\logs$\",
            ),
        ] {
            match check_pattern_base(pattern) {
                Err(ConfigError::Root { path, hint, .. }) => {
                    assert_eq!(path, Path::new(base), "{pattern}");
                    // Only a share gets the share hint (a missing host may also fail
                    // otherwise than "not found", with the general hint).
                    if !base.starts_with(r"\\") {
                        assert!(!hint.contains("server and share"), "{pattern}: {hint}");
                    }
                }
                other => panic!("{pattern}: {other:?}"),
            }
        }
    }

    #[test]
    fn only_share_paths_get_the_share_hint() {
        assert!(names_a_share(r"\\web01\logs$"));
        assert!(names_a_share(r"\\?\UNC\web01\logs$"));
        assert!(names_a_share(r"\\?\unc\web01\logs$"));
        assert!(!names_a_share(r"\\?\C:\x"));
        assert!(!names_a_share(r"\\.\pipe\x"));
        assert!(!names_a_share(r"C:\x"));
        let err = root_error(
            Path::new(r"\\?\C:\x"),
            &std::io::Error::from(std::io::ErrorKind::NotFound),
        );
        assert!(!err.to_string().contains("share"), "{err}");
    }

    #[test]
    fn missing_root_is_an_error_that_says_why() {
        let err = resolve_root(OsStr::new("/no/such/dir/frebscope")).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("/no/such/dir/frebscope"), "{text}");
        assert!(text.contains("hint:"), "{text}");
    }

    #[test]
    fn an_existing_path_with_wildcard_characters_is_a_path() {
        let tmp = tempfile::tempdir().unwrap();
        for name in ["logs [old]", "W3SVC[2]", "what?", "star*"] {
            let dir = tmp.path().join(name);
            if fs::create_dir(&dir).is_err() {
                continue; // not every file system takes every name
            }
            assert_eq!(
                resolve_root(dir.as_os_str()).unwrap(),
                Root::Dir(dir.clone())
            );
        }
    }

    #[test]
    fn the_existing_part_of_a_pattern_is_taken_literally() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("logs [old]").join("W3SVC2");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("fr000001.xml"), "x").unwrap();
        let pattern = tmp.path().join("logs [old]").join("W3SVC*");
        let Root::Pattern(text) = resolve_root(pattern.as_os_str()).unwrap() else {
            panic!("not a pattern");
        };
        let found = discover(&[Root::Pattern(text)]);
        assert_eq!(found.files, [dir.join("fr000001.xml")]);
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

    #[test]
    fn a_verbatim_drive_pattern_expands() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("WEB01");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("fr000001.xml"), "x").unwrap();
        let pattern = format!(r"\\?\{}\WEB0*", tmp.path().display());
        let root = resolve_root(OsStr::new(&pattern)).unwrap();
        let found = discover(&[root]);
        assert_eq!(found.files.len(), 1, "{found:?}");
    }
}
