//! The floor of a scan: every trace under a folder read, and nothing done with it but counting
//! its `<` bytes (one vector pass, so the bytes really reach the CPU).
//!
//! ```text
//! readfloor DIR [--threads N] [--mmap]
//! ```
//!
//! `cat` is a loose floor: it pays for its processes and a pipe. This reads as frebscope reads
//! (one open and 256 KiB `read`s per file, a buffer per thread, files handed out to `--threads`
//! threads, default 2), so the difference to a scan is what the scan does with the bytes.
//! `--mmap` maps each file instead, to measure what mapping would save: on files of a few
//! hundred KB the page faults of a fresh mapping cost more than the copy `read` makes.
//!
//! Prints the files, bytes and `<` counted, and the wall time, on one line.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

const CHUNK: usize = 256 * 1024;

struct Options {
    dir: PathBuf,
    threads: usize,
    mmap: bool,
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("readfloor: {message}\nusage: readfloor DIR [--threads N] [--mmap]");
            return ExitCode::from(2);
        }
    };
    let mut files = Vec::new();
    if let Err(err) = find_traces(&options.dir, &mut files) {
        eprintln!("readfloor: cannot list {}: {err}", options.dir.display());
        return ExitCode::FAILURE;
    }
    let started = Instant::now();
    match read_all(&files, &options) {
        Ok((bytes, tags)) => {
            let secs = started.elapsed().as_secs_f64();
            println!(
                "{} files, {bytes} bytes, {tags} '<', {secs:.3} s ({}, {} threads)",
                files.len(),
                if options.mmap { "mmap" } else { "read" },
                options.threads
            );
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("readfloor: {message}");
            ExitCode::FAILURE
        }
    }
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut dir = None;
    let mut threads = 2;
    let mut mmap = false;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--mmap" => mmap = true,
            "--threads" => {
                let value = args.next().ok_or("--threads needs a number")?;
                threads = value
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| format!("--threads {value}: not a positive number"))?;
            }
            _ if dir.is_none() && !arg.starts_with('-') => dir = Some(PathBuf::from(arg)),
            _ => return Err(format!("unexpected argument {arg}")),
        }
    }
    let dir = dir.ok_or("no folder given")?;
    Ok(Options { dir, threads, mmap })
}

/// Every `fr*.xml` under `dir`, as `benches/e2e.sh` finds them for `cat`.
fn find_traces(dir: &Path, found: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            find_traces(&path, found)?;
        } else if kind.is_file() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with("fr") && name.ends_with(".xml") {
                found.push(path);
            }
        }
    }
    Ok(())
}

/// Reads every file on `options.threads` threads; the bytes and `<` counted.
fn read_all(files: &[PathBuf], options: &Options) -> Result<(u64, u64), String> {
    let next = AtomicUsize::new(0);
    let bytes = AtomicU64::new(0);
    let tags = AtomicU64::new(0);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..options.threads)
            .map(|_| {
                scope.spawn(|| -> Result<(), String> {
                    let mut buf = vec![0; CHUNK];
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(path) = files.get(i) else {
                            return Ok(());
                        };
                        let (n, lt) = if options.mmap {
                            count_mapped(path)
                        } else {
                            count_read(path, &mut buf)
                        }
                        .map_err(|err| format!("{}: {err}", path.display()))?;
                        bytes.fetch_add(n, Ordering::Relaxed);
                        tags.fetch_add(lt, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .try_for_each(|worker| worker.join().map_err(|_| "a reader panicked".to_string())?)
    })?;
    Ok((bytes.into_inner(), tags.into_inner()))
}

fn count_read(path: &Path, buf: &mut [u8]) -> std::io::Result<(u64, u64)> {
    let mut file = File::open(path)?;
    let (mut bytes, mut tags) = (0, 0);
    loop {
        let n = match file.read(buf) {
            Ok(0) => return Ok((bytes, tags)),
            Ok(n) => n,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        bytes += n as u64;
        tags += memchr::memchr_iter(b'<', &buf[..n]).count() as u64;
    }
}

fn count_mapped(path: &Path) -> std::io::Result<(u64, u64)> {
    let file = File::open(path)?;
    if file.metadata()?.len() == 0 {
        return Ok((0, 0));
    }
    // SAFETY: the benchmark's corpus is not changed while it is read; a file truncated under
    // the mapping would end the process with SIGBUS, which is why frebscope does not map.
    let map = unsafe { memmap2::Mmap::map(&file)? };
    Ok((
        map.len() as u64,
        memchr::memchr_iter(b'<', &map).count() as u64,
    ))
}
