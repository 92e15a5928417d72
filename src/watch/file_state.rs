//! Which listed files are ready to read: new or changed since the last poll, and complete.
//!
//! A trace is complete when its `</failedRequest>` is written (the last bytes of the file say
//! so: one small read), or when its size and time stayed the same across two polls, which is
//! how a trace IIS never finished (a crash, a full disk) ends. A file that changes after it
//! was read (IIS rotated it: deleted and recreated under the same name) is a new trace.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::cache::Stamp;

enum State {
    /// Seen incomplete with this stamp.
    Waiting(Stamp),
    /// Read with this stamp.
    Done(Stamp),
}

/// The state of every file the last listing showed.
#[derive(Default)]
pub(super) struct Files {
    map: HashMap<PathBuf, State>,
}

impl Files {
    /// Takes this poll's listing and returns the files to read now, in listing order. Files
    /// no longer listed are forgotten, except under `unlisted` roots (which could not be
    /// listed this time: their files are still there, and must not read as new when the
    /// root is back).
    pub(super) fn update(
        &mut self,
        listed: Vec<(PathBuf, Stamp)>,
        unlisted: &[PathBuf],
    ) -> Vec<PathBuf> {
        let mut ready = Vec::new();
        let mut next = HashMap::with_capacity(listed.len());
        for (path, stamp) in listed {
            let state = match self.map.remove(&path) {
                Some(State::Done(before)) if before == stamp => State::Done(stamp),
                Some(State::Waiting(before)) if before == stamp => {
                    ready.push(path.clone());
                    State::Done(stamp)
                }
                _ if is_complete(&path) => {
                    ready.push(path.clone());
                    State::Done(stamp)
                }
                _ => State::Waiting(stamp),
            };
            next.insert(path, state);
        }
        for (path, state) in self.map.drain() {
            if unlisted.iter().any(|root| path.starts_with(root)) {
                next.insert(path, state);
            }
        }
        self.map = next;
        ready
    }

    /// Files known, for tests.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.map.len()
    }
}

/// The end tag, in UTF-8 and in both UTF-16 byte orders.
fn end_tags() -> [Vec<u8>; 3] {
    let tag = "</failedRequest>";
    let le = tag.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let be = tag.encode_utf16().flat_map(u16::to_be_bytes).collect();
    [tag.as_bytes().to_vec(), le, be]
}

/// True when the file's last bytes hold `</failedRequest>`.
fn is_complete(path: &Path) -> bool {
    const TAIL: u64 = 256;
    let Ok(mut file) = File::open(path) else {
        return false;
    };
    let Ok(len) = file.seek(SeekFrom::End(0)) else {
        return false;
    };
    if file
        .seek(SeekFrom::Start(len.saturating_sub(TAIL)))
        .is_err()
    {
        return false;
    }
    let mut tail = Vec::with_capacity(TAIL as usize);
    if file.take(TAIL).read_to_end(&mut tail).is_err() {
        return false;
    }
    end_tags()
        .iter()
        .any(|tag| memchr::memmem::find(&tail, tag).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn stamp(path: &Path) -> Stamp {
        Stamp::of(path).unwrap()
    }

    #[test]
    fn complete_files_are_ready_at_once_and_only_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fr000001.xml");
        fs::write(&path, "<failedRequest url=\"/\">\n</failedRequest>\r\n").unwrap();
        let mut files = Files::default();
        let listed = || vec![(path.clone(), stamp(&path))];
        assert_eq!(files.update(listed(), &[]), vec![path.clone()]);
        assert!(files.update(listed(), &[]).is_empty());
    }

    #[test]
    fn incomplete_files_wait_until_their_size_is_stable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fr000001.xml");
        fs::write(&path, "<failedRequest url=\"/\">").unwrap();
        let mut files = Files::default();
        let listed = || vec![(path.clone(), stamp(&path))];
        assert!(files.update(listed(), &[]).is_empty(), "first sight");
        fs::write(&path, "<failedRequest url=\"/\"><Event>").unwrap();
        assert!(files.update(listed(), &[]).is_empty(), "it grew");
        assert_eq!(files.update(listed(), &[]), vec![path.clone()], "stable");
    }

    #[test]
    fn utf16_end_tags_count() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fr000001.xml");
        let text = "<failedRequest></failedRequest>";
        let bytes: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        fs::write(&path, bytes).unwrap();
        assert!(is_complete(&path));
    }

    #[test]
    fn files_under_an_unlisted_root_are_remembered() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fr000001.xml");
        fs::write(&path, "<failedRequest></failedRequest>").unwrap();
        let mut files = Files::default();
        files.update(vec![(path.clone(), stamp(&path))], &[]);
        files.update(Vec::new(), &[dir.path().to_path_buf()]);
        assert_eq!(files.len(), 1);
        assert!(
            files
                .update(vec![(path.clone(), stamp(&path))], &[])
                .is_empty()
        );
        files.update(Vec::new(), &[]);
        assert_eq!(files.len(), 0, "gone from a listed root: forgotten");
    }
}
