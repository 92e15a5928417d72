//! `watch --archive DIR`: a copy of each new trace before IIS rotates it away.
//!
//! Copies go to `DIR/SERVER/W3SVCn/<time>_frNNNNNN.xml` (the server from the trace's
//! `System/Computer`, the site from its `siteId`, the time of its first event), so that copies
//! from many servers sit side by side in the order they happened and `scan DIR` reads the
//! whole incident later. A trace is first copied into `DIR/.incoming` while its SHA-256 is
//! computed; the copy is what gets parsed, so the verdict printed and the evidence kept are
//! of the same bytes. The same content is archived once: by hash within a run, and by
//! comparing with the file already at the target name across runs. Names come from the trace
//! and are attacker-controlled: only letters, digits, `.`, `-` and `_` are kept.

use std::collections::{HashSet, VecDeque};
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use crate::error::FileError;
use crate::model::Trace;

/// Content hashes remembered within a run; older duplicates are caught on disk instead.
const REMEMBERED: usize = 100_000;
const INCOMING: &str = ".incoming";

type Hash = [u8; 32];

pub(super) struct Archive {
    dir: PathBuf,
    seen: HashSet<Hash>,
    order: VecDeque<Hash>,
    /// The hash of the copy waiting in `.incoming`.
    pending: Option<Hash>,
}

pub(super) enum Stored {
    /// The same bytes were archived earlier in this run.
    Duplicate,
    /// A new copy, in `.incoming`, to parse and then [`Archive::place`].
    New(PathBuf),
}

impl Archive {
    pub(super) fn open(dir: &Path) -> Result<Archive> {
        fs::create_dir_all(dir.join(INCOMING)).with_context(|| {
            format!(
                "could not create the archive folder {} (check that its parent exists and is writable)",
                dir.display()
            )
        })?;
        Ok(Archive {
            dir: dir.to_path_buf(),
            seen: HashSet::new(),
            order: VecDeque::new(),
            pending: None,
        })
    }

    /// Copies `source` into `.incoming`, hashing it on the way.
    pub(super) fn store(&mut self, source: &Path) -> Result<Stored, FileError> {
        let mut input = File::open(source).map_err(|e| FileError::io(source, &e))?;
        let temp = tempfile::Builder::new()
            .suffix(".part")
            .tempfile_in(self.dir.join(INCOMING))
            .map_err(|e| FileError::io(source, &e))?;
        let (mut file, temp_path) = temp.keep().map_err(|e| FileError::io(source, &e.error))?;
        let hash = copy_hashing(&mut input, &mut file).map_err(|e| {
            let _ = fs::remove_file(&temp_path);
            FileError::io(source, &e)
        })?;
        drop(file);
        if self.seen.contains(&hash) {
            let _ = fs::remove_file(&temp_path);
            return Ok(Stored::Duplicate);
        }
        self.pending = Some(hash);
        Ok(Stored::New(temp_path))
    }

    /// Moves the copy to its place, named after the trace; drops it when the same bytes
    /// are already there.
    pub(super) fn place(&mut self, copy: &Path, trace: &Trace) -> io::Result<PathBuf> {
        let hash = self.pending.take().unwrap_or_default();
        self.remember(hash);
        let folder = self
            .dir
            .join(safe_name(&trace.server, "unknown-server"))
            .join(format!("W3SVC{}", safe_name(&trace.site_id, "0")));
        fs::create_dir_all(&folder)?;
        let time = trace
            .start_time
            .map(|t| t.format("%Y%m%dT%H%M%S%.3fZ").to_string())
            .unwrap_or_else(|| "unknown-time".into());
        let original = trace
            .file
            .file_name()
            .map(|n| safe_name(&n.to_string_lossy(), "fr.xml"))
            .unwrap_or_else(|| "fr.xml".into());
        let mut target = folder.join(format!("{time}_{original}"));
        if target.exists() {
            if hash_file(&target).ok() == Some(hash) {
                fs::remove_file(copy)?;
                return Ok(target);
            }
            let short: String = hash[..4].iter().map(|b| format!("{b:02x}")).collect();
            let stem = original.strip_suffix(".xml").unwrap_or(&original);
            target = folder.join(format!("{time}_{stem}_{short}.xml"));
        }
        fs::rename(copy, &target)?;
        Ok(target)
    }

    fn remember(&mut self, hash: Hash) {
        if self.seen.insert(hash) {
            self.order.push_back(hash);
            if self.order.len() > REMEMBERED
                && let Some(old) = self.order.pop_front()
            {
                self.seen.remove(&old);
            }
        }
    }
}

fn copy_hashing(input: &mut dyn Read, output: &mut dyn Write) -> io::Result<Hash> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        output.write_all(&buf[..n])?;
    }
    output.flush()?;
    Ok(hasher.finalize().into())
}

fn hash_file(path: &Path) -> io::Result<Hash> {
    copy_hashing(&mut File::open(path)?, &mut io::sink())
}

/// A file or folder name from attacker-controlled text: letters, digits, `.`, `-`, `_`, at
/// most 64 of them, never `.` or `..`.
fn safe_name(text: &str, empty: &str) -> String {
    let name: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    let name = name.trim_start_matches('.').to_owned();
    if name.is_empty() {
        empty.to_owned()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_traces_cannot_leave_the_archive() {
        assert_eq!(safe_name("../../etc", "x"), "_.._etc");
        assert_eq!(safe_name("..", "x"), "x");
        assert_eq!(safe_name("WEB01", "x"), "WEB01");
        assert_eq!(safe_name("a\\b/c:d", "x"), "a_b_c_d");
        assert_eq!(safe_name("", "unknown"), "unknown");
        assert_eq!(safe_name(&"x".repeat(100), "u").len(), 64);
    }
}
