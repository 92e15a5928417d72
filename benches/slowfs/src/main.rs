//! slowfs: a read-only FUSE passthrough that behaves like a file share over a slow link.
//!
//! frebscope's users read traces over SMB, where every request costs a network round trip
//! and all reads share one link; a benchmark on the local page cache hides both. This file
//! system mirrors a local folder and, like an SMB client talking to its server:
//!
//! - every metadata call (lookup, getattr, opendir, each directory page), open and read waits
//!   one round trip (`--rtt-ms`);
//! - reads are serialised over a link of `--mbps` megabytes per second: a read's bytes occupy
//!   the link after the ones before it, so throughput never exceeds the link's;
//! - nothing is cached by the kernel: files are opened in direct I/O (each read of the
//!   program is one request, up to 1 MiB, as SMB2 reads are), a file's attributes live only
//!   long enough to answer the `stat` after its lookup (every new look is a round trip);
//!   directory entries are kept for a minute, as an
//!   SMB client keeps its handle on a folder path.
//!
//! Requests are served by many threads (`--threads`), so a program with many reads in flight
//! gets them answered in parallel, up to the link's bandwidth, as on a real share.
//!
//! A virtual file `.slowfs-stats` at the root (not listed) reads as the counters so far:
//! round trips by kind and bytes sent. It costs nothing and is not counted.
//!
//! Usage: `slowfs SOURCE MOUNTPOINT [--rtt-ms 1] [--mbps 110] [--threads 128]`; unmount with
//! `fusermount3 -u MOUNTPOINT`.

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::fs::{self, File};
use std::os::unix::fs::{DirEntryExt, FileExt, MetadataExt};
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use fuser::{
    Config, Errno, FileAttr, FileHandle, FileType, Filesystem, FopenFlags, Generation, INodeNo,
    LockOwner, MountOption, OpenFlags, ReplyAttr, ReplyData, ReplyDirectory, ReplyEmpty,
    ReplyEntry, ReplyOpen, Request,
};

const STATS_NAME: &str = ".slowfs-stats";
const STATS_INO: u64 = u64::MAX - 1;
/// Directory entries per listing round trip: an SMB2 QUERY_DIRECTORY answer of 64 KiB holds
/// about this many trace names with their attributes.
const ENTRIES_PER_PAGE: u64 = 512;
/// How long the kernel keeps a folder's entry and attributes.
const DIR_TTL: Duration = Duration::from_secs(60);
const FILE_ATTR_TTL: Duration = Duration::from_millis(10);

#[derive(Default)]
struct Counters {
    lookup: AtomicU64,
    getattr: AtomicU64,
    opendir: AtomicU64,
    readdir: AtomicU64,
    open: AtomicU64,
    read: AtomicU64,
    bytes: AtomicU64,
}

impl Counters {
    fn json(&self) -> String {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let trips = get(&self.lookup)
            + get(&self.getattr)
            + get(&self.opendir)
            + get(&self.readdir)
            + get(&self.open)
            + get(&self.read);
        format!(
            "{{\"round_trips\":{trips},\"lookup\":{},\"getattr\":{},\"opendir\":{},\"readdir\":{},\"open\":{},\"read\":{},\"bytes\":{}}}\n",
            get(&self.lookup),
            get(&self.getattr),
            get(&self.opendir),
            get(&self.readdir),
            get(&self.open),
            get(&self.read),
            get(&self.bytes),
        )
    }
}

/// A folder's entries as opendir read them: inode, kind, name.
type Listing = Vec<(u64, FileType, OsString)>;

struct SlowFs {
    source: PathBuf,
    rtt: Duration,
    bytes_per_sec: f64,
    inodes: Mutex<HashMap<u64, PathBuf>>,
    dirs: Mutex<HashMap<u64, Listing>>,
    files: Mutex<HashMap<u64, File>>,
    next_handle: AtomicU64,
    /// When the link has sent every byte asked for so far.
    link_free: Mutex<Instant>,
    counters: Counters,
}

impl SlowFs {
    fn round_trip(&self, counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
        std::thread::sleep(self.rtt);
    }

    /// Waits as a read of `len` bytes would: half a round trip out, its turn on the link
    /// and the time its bytes take, half a round trip back.
    fn transfer(&self, len: usize) {
        self.counters.read.fetch_add(1, Ordering::Relaxed);
        self.counters.bytes.fetch_add(len as u64, Ordering::Relaxed);
        let half = self.rtt / 2;
        let busy = Duration::from_secs_f64(len as f64 / self.bytes_per_sec);
        let sent = {
            let mut free = self.link_free.lock().unwrap();
            let start = (Instant::now() + half).max(*free);
            *free = start + busy;
            *free
        };
        let done = sent + half;
        let now = Instant::now();
        if done > now {
            std::thread::sleep(done - now);
        }
    }

    fn path_of(&self, ino: INodeNo) -> Option<PathBuf> {
        let ino = u64::from(ino);
        if ino == 1 {
            return Some(self.source.clone());
        }
        self.inodes.lock().unwrap().get(&ino).cloned()
    }

    fn handle(&self) -> u64 {
        self.next_handle.fetch_add(1, Ordering::Relaxed)
    }

    fn stats_attr(&self) -> FileAttr {
        let mut attr = attr_of(STATS_INO, &fs::metadata(&self.source).unwrap());
        attr.kind = FileType::RegularFile;
        attr.perm = 0o444;
        attr.size = self.counters.json().len() as u64;
        attr
    }
}

/// The inode number the mount shows for a source inode: 1 is the mount's root.
fn fuse_ino(real: u64) -> u64 {
    real.wrapping_add(2)
}

fn time(secs: i64, nanos: i64) -> SystemTime {
    if secs >= 0 {
        UNIX_EPOCH + Duration::new(secs as u64, nanos as u32)
    } else {
        UNIX_EPOCH
    }
}

fn kind_of(ft: fs::FileType) -> FileType {
    FileType::from_std(ft).unwrap_or(FileType::RegularFile)
}

fn attr_of(ino: u64, m: &fs::Metadata) -> FileAttr {
    FileAttr {
        ino: INodeNo(ino),
        size: m.size(),
        blocks: m.blocks(),
        atime: time(m.atime(), m.atime_nsec()),
        mtime: time(m.mtime(), m.mtime_nsec()),
        ctime: time(m.ctime(), m.ctime_nsec()),
        crtime: time(m.mtime(), m.mtime_nsec()),
        kind: kind_of(m.file_type()),
        perm: (m.mode() & 0o7777) as u16,
        nlink: m.nlink() as u32,
        uid: m.uid(),
        gid: m.gid(),
        rdev: m.rdev() as u32,
        flags: 0,
        blksize: 4096,
    }
}

/// How long the kernel may keep an entry and its attributes. A file's attributes serve the
/// `stat` that follows its lookup at once (an SMB CREATE answers with them), and nothing later.
fn ttls_of(attr: &FileAttr) -> (Duration, Duration) {
    if attr.kind == FileType::Directory {
        (DIR_TTL, DIR_TTL)
    } else {
        (FILE_ATTR_TTL, Duration::ZERO)
    }
}

impl Filesystem for SlowFs {
    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        if u64::from(parent) == 1 && name == STATS_NAME {
            reply.entry(&Duration::ZERO, &self.stats_attr(), Generation(0));
            return;
        }
        self.round_trip(&self.counters.lookup);
        let Some(dir) = self.path_of(parent) else {
            return reply.error(Errno::ENOENT);
        };
        let path = dir.join(name);
        match fs::symlink_metadata(&path) {
            Ok(m) => {
                let ino = fuse_ino(m.ino());
                self.inodes.lock().unwrap().insert(ino, path);
                let attr = attr_of(ino, &m);
                let (attr_ttl, entry_ttl) = ttls_of(&attr);
                reply.entry_with_ttls(&attr_ttl, &entry_ttl, &attr, Generation(0));
            }
            Err(e) => reply.error(Errno::from(e)),
        }
    }

    fn getattr(&self, _req: &Request, ino: INodeNo, _fh: Option<FileHandle>, reply: ReplyAttr) {
        if u64::from(ino) == STATS_INO {
            return reply.attr(&Duration::ZERO, &self.stats_attr());
        }
        self.round_trip(&self.counters.getattr);
        let Some(path) = self.path_of(ino) else {
            return reply.error(Errno::ENOENT);
        };
        match fs::symlink_metadata(&path) {
            Ok(m) => {
                let attr = attr_of(u64::from(ino), &m);
                reply.attr(&ttls_of(&attr).0, &attr);
            }
            Err(e) => reply.error(Errno::from(e)),
        }
    }

    fn opendir(&self, _req: &Request, ino: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        self.round_trip(&self.counters.opendir);
        let Some(path) = self.path_of(ino) else {
            return reply.error(Errno::ENOENT);
        };
        let read = match fs::read_dir(&path) {
            Ok(read) => read,
            Err(e) => return reply.error(Errno::from(e)),
        };
        let mut entries = vec![
            (u64::from(ino), FileType::Directory, OsString::from(".")),
            (1, FileType::Directory, OsString::from("..")),
        ];
        for entry in read.flatten() {
            let kind = entry
                .file_type()
                .map(kind_of)
                .unwrap_or(FileType::RegularFile);
            entries.push((fuse_ino(entry.ino()), kind, entry.file_name()));
        }
        let fh = self.handle();
        self.dirs.lock().unwrap().insert(fh, entries);
        reply.opened(FileHandle(fh), FopenFlags::empty());
    }

    fn readdir(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        mut reply: ReplyDirectory,
    ) {
        let entries = self.dirs.lock().unwrap().get(&u64::from(fh)).cloned();
        let Some(entries) = entries else {
            return reply.error(Errno::EBADF);
        };
        if offset < entries.len() as u64 && offset.is_multiple_of(ENTRIES_PER_PAGE) {
            self.round_trip(&self.counters.readdir);
        }
        for (i, (ino, kind, name)) in entries.iter().enumerate().skip(offset as usize) {
            let next = i as u64 + 1;
            // A page of the kernel's buffer ends early; the next call goes on from `next`,
            // and a round trip is charged when it starts a new page of the share's answer.
            if reply.add(INodeNo(*ino), next, *kind, name) {
                break;
            }
        }
        reply.ok();
    }

    fn releasedir(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        _flags: OpenFlags,
        reply: ReplyEmpty,
    ) {
        self.dirs.lock().unwrap().remove(&u64::from(fh));
        reply.ok();
    }

    fn open(&self, _req: &Request, ino: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        if u64::from(ino) == STATS_INO {
            return reply.opened(FileHandle(0), FopenFlags::FOPEN_DIRECT_IO);
        }
        self.round_trip(&self.counters.open);
        let Some(path) = self.path_of(ino) else {
            return reply.error(Errno::ENOENT);
        };
        match File::open(&path) {
            Ok(file) => {
                let fh = self.handle();
                self.files.lock().unwrap().insert(fh, file);
                reply.opened(FileHandle(fh), FopenFlags::FOPEN_DIRECT_IO);
            }
            Err(e) => reply.error(Errno::from(e)),
        }
    }

    fn read(
        &self,
        _req: &Request,
        ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        size: u32,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyData,
    ) {
        if u64::from(ino) == STATS_INO {
            let text = self.counters.json().into_bytes();
            let start = (offset as usize).min(text.len());
            return reply.data(&text[start..]);
        }
        let file = self
            .files
            .lock()
            .unwrap()
            .get(&u64::from(fh))
            .and_then(|f| f.try_clone().ok());
        let Some(file) = file else {
            return reply.error(Errno::EBADF);
        };
        let mut buf = vec![0u8; size as usize];
        let mut filled = 0;
        while filled < buf.len() {
            match file.read_at(&mut buf[filled..], offset + filled as u64) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return reply.error(Errno::from(e)),
            }
        }
        self.transfer(filled);
        reply.data(&buf[..filled]);
    }

    fn release(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        _flush: bool,
        reply: ReplyEmpty,
    ) {
        self.files.lock().unwrap().remove(&u64::from(fh));
        reply.ok();
    }
}

struct Args {
    source: PathBuf,
    mountpoint: PathBuf,
    rtt_ms: f64,
    mbps: f64,
    threads: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut positional = Vec::new();
    let mut rtt_ms = 1.0;
    let mut mbps = 110.0;
    let mut threads = 128;
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| -> Result<String, String> {
            args.next()
                .and_then(|v| v.into_string().ok())
                .ok_or(format!("{name} needs a value"))
        };
        match arg.to_str() {
            Some("--rtt-ms") => rtt_ms = value("--rtt-ms")?.parse().map_err(|e| format!("{e}"))?,
            Some("--mbps") => mbps = value("--mbps")?.parse().map_err(|e| format!("{e}"))?,
            Some("--threads") => {
                threads = value("--threads")?.parse().map_err(|e| format!("{e}"))?
            }
            Some(flag) if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            _ => positional.push(PathBuf::from(arg)),
        }
    }
    let [source, mountpoint] = <[PathBuf; 2]>::try_from(positional)
        .map_err(|_| "usage: slowfs SOURCE MOUNTPOINT [--rtt-ms 1] [--mbps 110] [--threads 128]")?;
    if mbps <= 0.0 || rtt_ms < 0.0 || threads == 0 {
        return Err("--mbps and --threads must be positive, --rtt-ms at least 0".into());
    }
    Ok(Args {
        source,
        mountpoint,
        rtt_ms,
        mbps,
        threads,
    })
}

fn main() {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("slowfs: {message}");
            std::process::exit(2);
        }
    };
    let fs = SlowFs {
        source: args.source,
        rtt: Duration::from_secs_f64(args.rtt_ms / 1000.0),
        bytes_per_sec: args.mbps * 1e6,
        inodes: Mutex::new(HashMap::new()),
        dirs: Mutex::new(HashMap::new()),
        files: Mutex::new(HashMap::new()),
        next_handle: AtomicU64::new(1),
        link_free: Mutex::new(Instant::now()),
        counters: Counters::default(),
    };
    let mut config = Config::default();
    config.mount_options.extend([
        MountOption::RO,
        MountOption::FSName("slowfs".into()),
        MountOption::NoAtime,
    ]);
    config.n_threads = Some(args.threads);
    config.clone_fd = true;
    if let Err(e) = fuser::mount(fs, &args.mountpoint, &config) {
        eprintln!("slowfs: {}: {e}", args.mountpoint.display());
        std::process::exit(1);
    }
}
