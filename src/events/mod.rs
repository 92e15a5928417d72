//! Windows event logs: the servers' own record of when worker processes started, ended, crashed,
//! hung or were recycled.
//!
//! A FREB trace shows one request; whether its worker process had just replaced one that IIS
//! shut down for idleness, or had crashed, is written by WAS in the System log and by the
//! ASP.NET Core Module and Windows Error Reporting in the Application log. This module reads
//! those logs in the forms admins export them (see `docs/events.md`):
//!
//! * `.evtx` files ([`evtx`], through the `evtx` crate, damaged records skipped and counted);
//! * `wevtutil qe ... /f:xml` and `/f:RenderedXml` output, with or without a root element, in
//!   UTF-8 or UTF-16 ([`xml`]);
//! * `Get-WinEvent | Export-Csv` from Windows PowerShell 5.1 and PowerShell 7 ([`csv`]);
//! * `Get-WinEvent | ConvertTo-Json`, both date forms ([`json`]).
//!
//! Every reader streams and caps what it keeps, so a 1 GB log costs a few MiB; of all the
//! records only those of the providers and IDs in [`kinds`] are kept, each as a
//! [`ServerEvent`]. The same record exported twice (System.evtx and a CSV of it) is counted once.
//! A file that cannot be read is reported as [`EventFileError`], like a bad trace file.

mod capped;
pub mod csv;
pub mod evtx;
pub mod json;
pub mod kinds;
pub mod listing;
mod local_time;
mod raw;
pub mod xml;

use std::collections::HashMap;
use std::fmt;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, Utc};
use serde::Serialize;
use thiserror::Error;

use crate::model::ErrorCode;
pub use local_time::parse_offset;
pub use raw::RawEvent;

/// What an event says happened, in the words of `docs/events.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventKind {
    /// WAS shut an idle worker process down (5186, 5195).
    IdleShutdown,
    /// A worker process or the application was recycled (5074-5081, 5093, 5117, ANCM 1012/1021).
    Recycle,
    /// The worker process crashed (WAS 5009, 5011, 5127; Application Error 1000 for w3wp.exe).
    Crash,
    /// The worker process stopped answering WAS's pings and was killed (5010).
    Hang,
    /// The worker process did not start within `startupTimeLimit` (5012).
    StartupTimeout,
    /// The worker process did not stop within `shutdownTimeLimit` (5013).
    ShutdownTimeout,
    /// Rapid-fail protection stopped the pool (WAS 5002) or ANCM gave up (1003).
    RapidFail,
    /// WAS could not create a worker process (5021, 5022, 5057, 5059; W3SVC-WP 2297...).
    ProcessFailed,
    /// ANCM started the application (1001 out of process, 1032 in process).
    AppStart,
    /// ANCM could not start the application (1000, 1007-1010, 1020, 1029, 1031).
    AppStartFailed,
    /// The application's process died (ANCM 1011, 1018, 1030, V1 1002; Application Error
    /// 1000 for dotnet.exe and other programs).
    AppCrash,
    /// ANCM reported another error (1004, 1005, 1013).
    AppError,
}

impl EventKind {
    /// The word used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::IdleShutdown => "idle-shutdown",
            EventKind::Recycle => "recycle",
            EventKind::Crash => "crash",
            EventKind::Hang => "hang",
            EventKind::StartupTimeout => "startup-timeout",
            EventKind::ShutdownTimeout => "shutdown-timeout",
            EventKind::RapidFail => "rapid-fail",
            EventKind::ProcessFailed => "process-failed",
            EventKind::AppStart => "app-start",
            EventKind::AppStartFailed => "app-start-failed",
            EventKind::AppCrash => "app-crash",
            EventKind::AppError => "app-error",
        }
    }

    /// The worker process ended (or was told to end) with this event.
    pub fn ends_process(self) -> bool {
        matches!(
            self,
            EventKind::IdleShutdown
                | EventKind::Recycle
                | EventKind::Crash
                | EventKind::Hang
                | EventKind::StartupTimeout
                | EventKind::ShutdownTimeout
        )
    }

    /// The worker process failed by itself: a crash or a hang.
    pub fn is_failure(self) -> bool {
        matches!(self, EventKind::Crash | EventKind::Hang)
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One event that matters for the verdicts, whatever the file it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerEvent {
    /// `System/Computer` or `MachineName`, as written (often a FQDN).
    pub server: String,
    /// When it was logged, UTC.
    pub time: DateTime<Utc>,
    /// `Provider@Name` / `ProviderName`.
    pub provider: String,
    /// The event ID.
    pub event_id: u32,
    /// What it means.
    pub kind: EventKind,
    /// The application pool, when the event names one.
    pub pool: Option<String>,
    /// The worker process (w3wp) the event is about, when it names one.
    pub pid: Option<u32>,
    /// Why: the recycle reason, the exit or exception code in words, the idle timeout.
    pub reason: Option<String>,
    /// The error code the event carries (ANCM `ErrorCode`, an exception code).
    pub error_code: Option<ErrorCode>,
    /// The application's own process (ANCM's dotnet child, the program of Application Error).
    pub app_pid: Option<u32>,
    /// The IIS site of an ANCM application (`/LM/W3SVC/<site>/ROOT`).
    pub site_id: Option<String>,
    /// The file it was read from.
    pub source: PathBuf,
    /// `EventRecordID`, when the export kept it.
    pub record_id: Option<u64>,
    /// `Channel` / `LogName`.
    pub channel: Option<String>,
    /// The time came with sub-second digits (XML, evtx), not from a one-second CSV.
    #[serde(skip)]
    pub precise_time: bool,
}

impl ServerEvent {
    /// `WAS 5186`, `ANCM 1001`, `Application Error 1000`.
    pub fn label(&self) -> String {
        format!(
            "{} {}",
            kinds::short_provider(&self.provider),
            self.event_id
        )
    }

    /// The key two exports of the same record share.
    fn identity(&self) -> Identity {
        let server = server_key(&self.server);
        match (self.record_id, &self.channel) {
            (Some(id), Some(channel)) => Identity::Record(server, channel.to_ascii_lowercase(), id),
            _ => Identity::Content(
                server,
                self.provider.to_ascii_lowercase(),
                self.event_id,
                self.time.timestamp(),
                self.pid,
                self.pool.as_deref().map(str::to_lowercase),
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Identity {
    Record(String, String, u64),
    Content(String, String, u32, i64, Option<u32>, Option<String>),
}

/// The name two servers are compared by: the first DNS label, lower case (`WEB01` in a trace,
/// `web01.contoso.local` in the System log).
pub fn server_key(name: &str) -> String {
    let name = name.trim();
    // An IP address has no label to take.
    if name.parse::<std::net::IpAddr>().is_ok() {
        return name.to_ascii_lowercase();
    }
    let host = name.split(':').next().unwrap_or(name);
    host.split('.').next().unwrap_or(host).to_lowercase()
}

/// The first DNS label as written: `WEB01` of `WEB01.shop.local`, for narrow columns.
pub fn short_server(name: &str) -> &str {
    let name = name.trim();
    if name.parse::<std::net::IpAddr>().is_ok() {
        return name;
    }
    name.split('.').next().unwrap_or(name)
}

/// What the readers need to know that a file may not say.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// The UTC offset of local times written without a zone (PowerShell CSV `TimeCreated`).
    pub utc_offset: Option<FixedOffset>,
}

/// Why an event file was not (wholly) read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventSkipReason {
    /// The operating system refused or failed the read.
    Unreadable,
    /// The file has no bytes.
    Empty,
    /// The file is no event export frebscope knows.
    NotEvents,
    /// The export is broken; the records before the damage were kept.
    Malformed,
    /// Local times without a zone, and no `--events-utc-offset`.
    NeedsUtcOffset,
    /// Some records of an `.evtx` file were damaged and skipped; the others were kept.
    DamagedRecords,
}

impl EventSkipReason {
    /// The word used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            EventSkipReason::Unreadable => "unreadable",
            EventSkipReason::Empty => "empty",
            EventSkipReason::NotEvents => "not-events",
            EventSkipReason::Malformed => "malformed",
            EventSkipReason::NeedsUtcOffset => "needs-utc-offset",
            EventSkipReason::DamagedRecords => "damaged-records",
        }
    }
}

impl fmt::Display for EventSkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An event file that could not be read, or not wholly.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
#[error("{}: {reason}: {detail}", path.display())]
pub struct EventFileError {
    /// The file.
    pub path: PathBuf,
    /// The category.
    pub reason: EventSkipReason,
    /// What went wrong and how to fix it.
    pub detail: String,
}

impl EventFileError {
    fn new(path: &Path, reason: EventSkipReason, detail: impl Into<String>) -> Self {
        EventFileError {
            path: path.to_path_buf(),
            reason,
            detail: detail.into(),
        }
    }

    fn io(path: &Path, err: &io::Error) -> Self {
        EventFileError::new(path, EventSkipReason::Unreadable, err.to_string())
    }
}

/// What one reader made of one file: the events it kept, how many records it saw, and the
/// problem that stopped it, if one did (the events before it are kept).
#[derive(Debug, Default)]
pub struct FileEvents {
    /// The events that matter.
    pub events: Vec<ServerEvent>,
    /// Records read, kept or not.
    pub records: u64,
    /// Why the file was not wholly read.
    pub problem: Option<(EventSkipReason, String)>,
}

/// Everything read from the event paths of a run.
#[derive(Debug, Default, Serialize)]
pub struct EventLog {
    /// The events that matter, sorted by time, then server; each record once.
    pub events: Vec<ServerEvent>,
    /// Event files read.
    pub files: usize,
    /// Records seen in them.
    pub records: u64,
    /// Copies of a record already read from another export.
    pub duplicates: u64,
    /// Files that could not be read, or not wholly.
    pub problems: Vec<EventFileError>,
}

impl EventLog {
    /// True when some file was not wholly read: the run is partial.
    pub fn is_partial(&self) -> bool {
        !self.problems.is_empty()
    }
}

/// The export formats, told apart by their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Evtx,
    Xml,
    Csv,
    Json,
}

/// File names a folder walk takes for event exports.
const EVENT_EXTENSIONS: [&str; 4] = ["evtx", "xml", "csv", "json"];

/// The event files under `paths`: a file is taken whatever its name, a folder is walked for
/// `*.evtx`, `*.xml`, `*.csv` and `*.json`. Paths that cannot be listed are problems.
pub fn discover(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<EventFileError>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        if path.is_dir() {
            for entry in walkdir::WalkDir::new(path).follow_links(false) {
                match entry {
                    Ok(entry)
                        if entry.file_type().is_file() && has_event_extension(entry.path()) =>
                    {
                        files.push(entry.into_path());
                    }
                    Ok(_) => {}
                    Err(err) => problems.push(EventFileError::new(
                        err.path().unwrap_or(path),
                        EventSkipReason::Unreadable,
                        err.to_string(),
                    )),
                }
            }
        } else {
            files.push(path.clone());
        }
    }
    files.sort();
    files.dedup();
    (files, problems)
}

fn has_event_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EVENT_EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// Reads every event file under `paths`, in parallel, and merges what they hold.
pub fn read_paths(paths: &[PathBuf], options: &ReadOptions) -> EventLog {
    use rayon::prelude::*;
    let (files, mut problems) = discover(paths);
    let results: Vec<(PathBuf, Result<FileEvents, EventFileError>)> = files
        .par_iter()
        .map(|path| (path.clone(), read_file(path, options)))
        .collect();
    let mut log = EventLog {
        files: files.len(),
        ..EventLog::default()
    };
    let mut all = Vec::new();
    for (path, result) in results {
        match result {
            Ok(read) => {
                log.records += read.records;
                if let Some((reason, detail)) = read.problem {
                    problems.push(EventFileError::new(&path, reason, detail));
                }
                all.extend(read.events);
            }
            Err(problem) => problems.push(problem),
        }
    }
    let (mut events, duplicates) = deduplicate(all);
    link_application_processes(&mut events);
    log.events = events;
    log.duplicates = duplicates;
    problems.sort_by(|a, b| a.path.cmp(&b.path));
    log.problems = problems;
    log
}

/// Reads one event file, whatever its name: the format is sniffed from its first bytes.
pub fn read_file(path: &Path, options: &ReadOptions) -> Result<FileEvents, EventFileError> {
    let mut file = fs::File::open(path).map_err(|e| EventFileError::io(path, &e))?;
    let mut head = [0u8; 512];
    let n = read_up_to(&mut file, &mut head).map_err(|e| EventFileError::io(path, &e))?;
    let head = &head[..n];
    if head.is_empty() {
        return Err(EventFileError::new(
            path,
            EventSkipReason::Empty,
            "the file is empty",
        ));
    }
    let format = sniff(head).ok_or_else(|| {
        EventFileError::new(
            path,
            EventSkipReason::NotEvents,
            "not an event export: expected .evtx, wevtutil XML, Get-WinEvent CSV or JSON",
        )
    })?;
    drop(file);
    let read = match format {
        Format::Evtx => evtx::read(path),
        Format::Xml => open(path).map(|f| xml::read(f, path)),
        Format::Csv => open(path).map(|f| csv::read(f, path, options)),
        Format::Json => open(path).map(|f| json::read(f, path, options)),
    }?;
    if read.records == 0 && read.problem.is_none() {
        return Err(EventFileError::new(
            path,
            EventSkipReason::NotEvents,
            "no event records in the file",
        ));
    }
    Ok(read)
}

fn open(path: &Path) -> Result<fs::File, EventFileError> {
    fs::File::open(path).map_err(|e| EventFileError::io(path, &e))
}

fn read_up_to(file: &mut fs::File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Tells the formats apart by their first bytes, whatever the file is called.
fn sniff(head: &[u8]) -> Option<Format> {
    if head.starts_with(b"ElfFile\0") {
        return Some(Format::Evtx);
    }
    let text = capped::decode_head(head);
    let text = text.trim_start_matches('\u{feff}').trim_start();
    if text.starts_with('<') || text.starts_with("Record ") || text.starts_with("- <") {
        return Some(Format::Xml);
    }
    if text.starts_with('[') || text.starts_with('{') {
        return Some(Format::Json);
    }
    if text.starts_with("#TYPE") || text.starts_with('"') {
        return Some(Format::Csv);
    }
    // Event Viewer "Copy details": header lines, then the XML.
    if text.starts_with("Log Name:") {
        return Some(Format::Xml);
    }
    None
}

/// Gives an application's crash (Application Error 1000 for dotnet.exe) the w3wp PID and site
/// of the ANCM event that started or lost the same process: the only link from a dotnet PID to
/// a trace.
fn link_application_processes(events: &mut [ServerEvent]) {
    let mut hosts: HashMap<(String, u32), (u32, Option<String>)> = HashMap::new();
    for e in events.iter() {
        if let (Some(app), Some(w3wp)) = (e.app_pid, e.pid)
            && kinds::short_provider(&e.provider) == "ANCM"
        {
            hosts.insert((server_key(&e.server), app), (w3wp, e.site_id.clone()));
        }
    }
    for e in events.iter_mut().filter(|e| e.pid.is_none()) {
        let Some(app) = e.app_pid else { continue };
        if let Some((w3wp, site)) = hosts.get(&(server_key(&e.server), app)) {
            e.pid = Some(*w3wp);
            e.site_id = e.site_id.take().or_else(|| site.clone());
        }
    }
}

/// Keeps one copy of every record, the one with the most precise time; sorts by time.
fn deduplicate(events: Vec<ServerEvent>) -> (Vec<ServerEvent>, u64) {
    let mut kept: Vec<ServerEvent> = Vec::with_capacity(events.len());
    let mut seen: HashMap<Identity, usize> = HashMap::new();
    let mut duplicates = 0;
    for event in events {
        let identity = event.identity();
        match seen.get(&identity) {
            Some(&index) => {
                duplicates += 1;
                if event.precise_time && !kept[index].precise_time {
                    kept[index] = merge_copy(event, &kept[index]);
                }
            }
            None => {
                seen.insert(identity, kept.len());
                kept.push(event);
            }
        }
    }
    kept.sort_by(|a, b| {
        (a.time, server_key(&a.server), a.event_id, &a.source).cmp(&(
            b.time,
            server_key(&b.server),
            b.event_id,
            &b.source,
        ))
    });
    (kept, duplicates)
}

/// The precise copy, completed with what only the other copy had (a CSV keeps no w3wp PID
/// for ANCM; an evtx keeps no message).
fn merge_copy(mut precise: ServerEvent, other: &ServerEvent) -> ServerEvent {
    precise.pool = precise.pool.or_else(|| other.pool.clone());
    precise.pid = precise.pid.or(other.pid);
    precise.reason = precise.reason.or_else(|| other.reason.clone());
    precise.error_code = precise.error_code.or(other.error_code);
    precise.app_pid = precise.app_pid.or(other.app_pid);
    precise.site_id = precise.site_id.or_else(|| other.site_id.clone());
    precise
}

#[cfg(test)]
mod tests;
