//! The rescan cache: what each trace yielded, so that scanning a share again reads only what
//! changed.
//!
//! Admins scan the same share again and again during an incident, and over SMB every trace
//! read costs round trips and bandwidth while the summary of an unchanged file cannot change.
//! So each run stores, per trace, the summary it read, keyed by the path, size and
//! modification time of the file; the next run with the same roots takes the summary of an
//! unchanged file from here and reads only new and changed files. The summary kept is the
//! one the run used: a trace the filters rejected keeps its head only, so a later run whose
//! filters accept it reads it again.
//!
//! The file is never trusted: it starts with a magic line and a format version, every record
//! has a bounded length, and a checksum and a record count end it. A file that is corrupt,
//! cut short, too large, foreign or from another format version is ignored with a warning and
//! rebuilt. Writers write a temporary file beside it and rename it over the old one, so two
//! runs sharing a cache never leave a torn file: the last one to finish wins.
//!
//! The records are serialised with postcard (serde, compact, no schema to ship, and decoding
//! allocates no more than its input holds) and checked with CRC-32 (crc32fast): the checksum
//! is there to catch damage, not an adversary, who could as well write a valid file of false
//! summaries; the cache lives in the user's own cache folder for that reason.

pub(crate) mod record;

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::discover::Root;
use crate::filter::Filters;
use crate::model::Trace;
use record::TraceRecord;

/// The format of the records; bump it whenever [`Trace`] or [`record`] changes.
pub const FORMAT: u32 = 5;
const MAGIC: &[u8; 16] = b"frebscope cache\n";
/// A cache file larger than this is not read: about ten times what a million traces need.
const MAX_FILE_BYTES: u64 = 1 << 30;
/// A record larger than this is damage: a trace's kept values are capped at 64 KiB each.
const MAX_RECORD_BYTES: u32 = 4 << 20;
const END: u32 = u32::MAX;
/// A file modified this recently may still change within its time stamp's resolution, so its
/// summary is not stored (the next run reads it again), as git does with racily clean files.
const SETTLE: Duration = Duration::from_secs(2);

/// The environment variable that sets the default cache folder; `off` turns caching off
/// unless `--cache` asks for it. The test suite sets it to `off` (`.cargo/config.toml`).
pub const ENV: &str = "FREBSCOPE_CACHE";

/// The cache folder a run uses when none is given: `$FREBSCOPE_CACHE`, else the user's cache
/// folder (`%LOCALAPPDATA%` on Windows, `~/.cache` on Linux) with `frebscope` in it.
pub fn default_dir() -> Option<PathBuf> {
    match std::env::var_os(ENV) {
        Some(v) if v.is_empty() || v == "off" || v == "0" => None,
        Some(v) => Some(PathBuf::from(v)),
        None => dirs::cache_dir().map(|d| d.join("frebscope")),
    }
}

/// What a file looked like when it was read: with its path, the key of its summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    size: u64,
    mtime: (i64, u32),
}

impl Stamp {
    /// The file's size and modification time; `None` when it cannot be inspected (reading it
    /// will say why) or has no modification time.
    pub fn of(path: &Path) -> Option<Stamp> {
        let meta = fs::metadata(path).ok()?;
        let modified = meta.modified().ok()?;
        Some(Stamp {
            size: meta.len(),
            mtime: since_epoch(modified),
        })
    }

    fn settled(&self, now: SystemTime) -> bool {
        let (now_s, now_n) = since_epoch(now);
        let now = now_s as i128 * 1_000_000_000 + now_n as i128;
        let then = self.mtime.0 as i128 * 1_000_000_000 + self.mtime.1 as i128;
        now - then >= SETTLE.as_nanos() as i128
    }
}

fn since_epoch(t: SystemTime) -> (i64, u32) {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => (d.as_secs() as i64, d.subsec_nanos()),
        Err(e) => {
            let d = e.duration();
            let (s, n) = (d.as_secs() as i64, d.subsec_nanos());
            if n == 0 {
                (-s, 0)
            } else {
                (-s - 1, 1_000_000_000 - n)
            }
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Entry {
    path: Vec<u8>,
    stamp: Stamp,
    trace: TraceRecord,
}

/// The summaries of one set of roots, as the previous run left them.
pub struct Cache {
    file: PathBuf,
    /// Taken out as they are used, so that memory does not hold a trace twice.
    entries: HashMap<Vec<u8>, Mutex<Option<(Stamp, TraceRecord)>>>,
    /// How many entries the file held.
    loaded: usize,
}

fn key(path: &Path) -> Vec<u8> {
    path.as_os_str().as_encoded_bytes().to_vec()
}

/// The cache file of a set of roots: the same command line finds the same file.
fn file_for(dir: &Path, roots: &[Root]) -> PathBuf {
    let mut hasher = crc32fast::Hasher::new();
    for root in roots {
        let text = match root {
            Root::Dir(p) | Root::File(p) => p.as_os_str().as_encoded_bytes().to_vec(),
            Root::Pattern(p) => p.as_bytes().to_vec(),
        };
        hasher.update(&text);
        hasher.update(&[0]);
    }
    dir.join(format!("scan-v{FORMAT}-{:08x}.bin", hasher.finalize()))
}

impl Cache {
    /// Opens the cache of `roots` in `dir`. A file that cannot be trusted is reported on
    /// `warn` and left to be replaced; a missing one is an empty cache.
    pub fn open(dir: &Path, roots: &[Root], warn: &mut dyn Write) -> io::Result<Cache> {
        let file = file_for(dir, roots);
        let entries = match load(&file) {
            Ok(entries) => entries,
            Err(reason) => {
                writeln!(
                    warn,
                    "frebscope: warning: ignoring the cache {}: {reason}; it is rebuilt by this run",
                    crate::sanitize::terminal(&file.display().to_string())
                )?;
                HashMap::new()
            }
        };
        let loaded = entries.len();
        Ok(Cache {
            file,
            entries,
            loaded,
        })
    }

    /// The cache file.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// The summary of `path` when the file is unchanged and the stored form is the one this
    /// run needs: whole for a trace the filters accept, the head for one they reject.
    pub fn lookup(&self, path: &Path, stamp: Stamp, filters: &Filters) -> Option<Trace> {
        let slot = self.entries.get(&key(path))?;
        let (stored, record) = slot.lock().ok()?.take()?;
        if stored != stamp {
            return None;
        }
        let full = record.is_full();
        let trace = record.into_trace(path.to_path_buf());
        (filters.matches(&trace) == full).then_some(trace)
    }

    /// Replaces the cache file with the summaries of this run: a temporary file renamed over
    /// the old one, so a reader never sees half of it. When every summary came from the cache
    /// (`hits`) and the file held no others, the file is only marked as used: a rescan of an
    /// unchanged share writes nothing.
    pub fn save<'a>(
        &self,
        traces: impl Iterator<Item = (&'a Trace, Stamp)>,
        hits: usize,
    ) -> io::Result<()> {
        // A trace with values that could not be parsed is not kept: read again on every run,
        // it warns about them every time, as an uncached run does.
        let traces: Vec<(&Trace, Stamp)> = traces.filter(|(t, _)| t.unparsed.is_empty()).collect();
        if hits == traces.len() && hits == self.loaded && self.file.exists() {
            return File::options()
                .write(true)
                .open(&self.file)?
                .set_modified(SystemTime::now());
        }
        let traces = traces.into_iter();
        let dir = self.file.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(dir)?;
        let mut temp = tempfile::Builder::new()
            .prefix(".scan-")
            .suffix(".tmp")
            .tempfile_in(dir)?;
        // No fsync: a file torn by a crash fails its checksum and is rebuilt, and rescans
        // should not wait on the disk.
        write_entries(BufWriter::new(temp.as_file_mut()), traces)?;
        persist(temp, &self.file)?;
        prune(dir);
        Ok(())
    }
}

/// A cache file not used for this long is removed: the cache folder does not grow with every
/// set of roots ever scanned.
const UNUSED: Duration = Duration::from_secs(30 * 24 * 3600);

fn prune(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !name.starts_with("scan-") || !name.ends_with(".bin") {
            continue;
        }
        let unused = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > UNUSED);
        if unused {
            let _ = fs::remove_file(entry.path());
        }
    }
}

fn write_entries<'a>(
    mut out: impl Write,
    traces: impl Iterator<Item = (&'a Trace, Stamp)>,
) -> io::Result<()> {
    let now = SystemTime::now();
    write_header(&mut out)?;
    let mut sums = Sums::default();
    for (trace, stamp) in traces {
        write_entry(&mut out, trace, stamp, now, &mut sums)?;
    }
    write_trailer(&mut out, &sums)?;
    out.flush()
}

/// The count and checksum of the records written so far.
#[derive(Default)]
struct Sums {
    crc: crc32fast::Hasher,
    count: u64,
}

fn write_header(out: &mut impl Write) -> io::Result<()> {
    out.write_all(MAGIC)?;
    out.write_all(&FORMAT.to_le_bytes())
}

/// Writes one record, unless its file may still change or the record is out of bounds.
fn write_entry(
    out: &mut impl Write,
    trace: &Trace,
    stamp: Stamp,
    now: SystemTime,
    sums: &mut Sums,
) -> io::Result<()> {
    if !stamp.settled(now) {
        return Ok(());
    }
    let entry = Entry {
        path: key(&trace.file),
        stamp,
        trace: TraceRecord::from(trace),
    };
    let bytes = postcard::to_allocvec(&entry).map_err(io::Error::other)?;
    let Ok(len) = u32::try_from(bytes.len()) else {
        return Ok(());
    };
    if len >= MAX_RECORD_BYTES {
        return Ok(());
    }
    out.write_all(&len.to_le_bytes())?;
    out.write_all(&bytes)?;
    sums.crc.update(&bytes);
    sums.count += 1;
    Ok(())
}

fn write_trailer(out: &mut impl Write, sums: &Sums) -> io::Result<()> {
    out.write_all(&END.to_le_bytes())?;
    out.write_all(&sums.count.to_le_bytes())?;
    out.write_all(&sums.crc.clone().finalize().to_le_bytes())
}

/// A cache file written while the traces are read, for a run that does not keep them: each
/// trace's record goes to the temporary file as soon as it is read, from any reader thread,
/// and [`Writer::finish`] renames the file over the old one (or, when nothing changed, only
/// marks the old one as used).
pub struct Writer<'c> {
    cache: &'c Cache,
    state: Mutex<Option<Writing>>,
    now: SystemTime,
}

struct Writing {
    temp: tempfile::NamedTempFile,
    out: BufWriter<File>,
    sums: Sums,
    /// Traces offered, kept or not: with the hits, whether anything changed.
    offered: usize,
}

impl Cache {
    /// Starts a cache file written as the traces are read.
    pub fn writer(&self) -> io::Result<Writer<'_>> {
        let dir = self.file.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(dir)?;
        let temp = tempfile::Builder::new()
            .prefix(".scan-")
            .suffix(".tmp")
            .tempfile_in(dir)?;
        let mut out = BufWriter::new(temp.as_file().try_clone()?);
        write_header(&mut out)?;
        Ok(Writer {
            cache: self,
            state: Mutex::new(Some(Writing {
                temp,
                out,
                sums: Sums::default(),
                offered: 0,
            })),
            now: SystemTime::now(),
        })
    }
}

impl Writer<'_> {
    /// Stores the summary of one trace read (or taken from the cache). A trace with values
    /// that could not be parsed is not kept, as [`Cache::save`] does. After a write error the
    /// writer stops, and [`Writer::finish`] reports it.
    pub fn add(&self, trace: &Trace, stamp: Stamp) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        let Some(writing) = state.as_mut() else {
            return;
        };
        if !trace.unparsed.is_empty() {
            return;
        }
        writing.offered += 1;
        let Writing { out, sums, .. } = writing;
        if write_entry(out, trace, stamp, self.now, sums).is_err() {
            *state = None;
        }
    }

    /// Ends the file and puts it in place; `hits` traces came from the cache. When every
    /// trace came from it and it held no others, the old file stays and is marked as used.
    pub fn finish(self, hits: usize) -> io::Result<()> {
        let state = self
            .state
            .into_inner()
            .map_err(|_| io::Error::other("a reader failed"))?;
        let Some(mut writing) = state else {
            return Err(io::Error::other("writing the cache failed"));
        };
        let cache = self.cache;
        if hits == writing.offered && hits == cache.loaded && cache.file.exists() {
            drop(writing.out);
            return File::options()
                .write(true)
                .open(&cache.file)?
                .set_modified(SystemTime::now());
        }
        write_trailer(&mut writing.out, &writing.sums)?;
        writing.out.flush()?;
        drop(writing.out);
        let dir = cache.file.parent().unwrap_or(Path::new(".")).to_path_buf();
        persist(writing.temp, &cache.file)?;
        prune(&dir);
        Ok(())
    }
}

type Entries = HashMap<Vec<u8>, Mutex<Option<(Stamp, TraceRecord)>>>;

/// Reads a cache file, or says why it cannot be trusted.
fn load(file: &Path) -> Result<Entries, String> {
    let handle = match File::open(file) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(HashMap::new()),
        Err(e) => return Err(e.to_string()),
    };
    let len = handle.metadata().map_err(|e| e.to_string())?.len();
    if len > MAX_FILE_BYTES {
        return Err(format!("it is larger than {} MiB", MAX_FILE_BYTES >> 20));
    }
    read_entries(BufReader::new(handle.take(MAX_FILE_BYTES)))
}

fn read_entries(mut input: impl Read) -> Result<Entries, String> {
    let cut = |e: io::Error| match e.kind() {
        io::ErrorKind::UnexpectedEof => "it is cut short".to_owned(),
        _ => e.to_string(),
    };
    let mut magic = [0u8; 16];
    input
        .read_exact(&mut magic)
        .map_err(|_| "it is not a frebscope cache file")?;
    if &magic != MAGIC {
        return Err("it is not a frebscope cache file".into());
    }
    let version = read_u32(&mut input).map_err(cut)?;
    if version != FORMAT {
        return Err(format!(
            "it was written in format {version}, this build reads {FORMAT}"
        ));
    }
    let mut entries = HashMap::new();
    let mut crc = crc32fast::Hasher::new();
    let mut count = 0u64;
    let mut buf = Vec::new();
    loop {
        let len = read_u32(&mut input).map_err(cut)?;
        if len == END {
            break;
        }
        if len >= MAX_RECORD_BYTES {
            return Err(format!("a record claims {len} bytes"));
        }
        buf.resize(len as usize, 0);
        input.read_exact(&mut buf).map_err(cut)?;
        crc.update(&buf);
        let entry: Entry =
            postcard::from_bytes(&buf).map_err(|e| format!("a record does not decode ({e})"))?;
        entries.insert(entry.path, Mutex::new(Some((entry.stamp, entry.trace))));
        count += 1;
    }
    let mut trailer = [0u8; 12];
    input.read_exact(&mut trailer).map_err(cut)?;
    let expected_count = u64::from_le_bytes(trailer[..8].try_into().unwrap_or_default());
    let expected_crc = u32::from_le_bytes(trailer[8..].try_into().unwrap_or_default());
    if expected_count != count || expected_crc != crc.finalize() {
        return Err("its checksum does not match".into());
    }
    if input.read(&mut [0u8; 1]).map_err(cut)? != 0 {
        return Err("it has bytes after its end".into());
    }
    Ok(entries)
}

fn read_u32(input: &mut impl Read) -> io::Result<u32> {
    let mut b = [0u8; 4];
    input.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

#[cfg(test)]
mod tests;

/// Moves the finished temp file over the cache file. On Windows a rename over a file that
/// another run is replacing or reading at that moment is refused with "access denied": the
/// rename is tried again a few times, and if the other run still holds it, its file stands
/// (concurrent runs replace the cache whole, and the last one wins).
fn persist(temp: tempfile::NamedTempFile, file: &Path) -> io::Result<()> {
    let mut temp = temp;
    for attempt in 0..10 {
        match temp.persist(file) {
            Ok(_) => return Ok(()),
            Err(e) if e.error.kind() == io::ErrorKind::PermissionDenied => {
                temp = e.file;
                std::thread::sleep(std::time::Duration::from_millis(10 << attempt.min(4)));
            }
            Err(e) => return Err(e.error),
        }
    }
    Ok(())
}
