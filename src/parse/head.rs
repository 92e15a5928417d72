//! How much of a file the first read asks for.
//!
//! A trace the filters reject needs its head up to the end of its `GENERAL_REQUEST_HEADERS`
//! event (the cross-trace rules read its `X-ARR-LOG-ID`), and no further. On a share every
//! byte read is time on the link and every read a round trip, so the first read should end
//! just past the request headers: reading too little costs a round trip more, reading too much
//! costs link time. Where the headers end depends on the server, its modules and the site
//! (about 23 KB into real traces, 10-13 KB into generated ones) and stays within a few hundred
//! bytes from trace to trace of one folder (one server's site). So the first read of a file is
//! sized from where the headers of the traces rejected before it in its folder ended, or,
//! before any in its folder, in any folder.
//!
//! A hint follows the largest end seen, drifting down slowly towards smaller ones: a trace
//! whose headers end past it costs one small read more. Hints only size reads: what a trace
//! reads as never depends on them (the reader treats every split of the input alike).

use std::hash::{Hash, Hasher};
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use super::fast::{HEAD_BYTES, HEAD_STEP};

/// Folders whose hints are kept; two folders sharing a slot take it from each other in turn.
const SLOTS: usize = 256;
/// Before any trace was rejected, a first read of 16 KiB: one read for the heads of generated
/// traces, two (with [`super::fast`]'s growth) for real ones, whose request headers end at
/// 21-25 KB. The first files read at once, one per reader thread, all read this much.
const INITIAL: usize = 16 * 1024 - MARGIN;
/// Read this much past the hint: request headers vary by a few hundred bytes.
const MARGIN: usize = 512;
/// Each smaller end seen takes this fraction of the distance off a hint.
const DRIFT: usize = 16;
/// The first read holds at least the root element and the first event (about 2 KB in).
const MIN_READ: usize = 4 * 1024;

/// Where the request headers of the traces rejected recently ended, in any folder and by
/// folder.
pub(super) struct Hint {
    /// Any folder's.
    any: AtomicUsize,
    /// One folder's: the folder's tag in the high 32 bits, the end in the low ones; 0 is none.
    folders: [AtomicU64; SLOTS],
}

/// The hint every file read shares: a scan reads one share.
static HINT: Hint = Hint::new();

impl Hint {
    const fn new() -> Hint {
        Hint {
            any: AtomicUsize::new(INITIAL),
            folders: [const { AtomicU64::new(0) }; SLOTS],
        }
    }

    /// Where the headers of the folder with `key` likely end.
    fn end(&self, key: u64) -> usize {
        let (slot, tag) = slot_and_tag(key);
        match self.folders[slot].load(Ordering::Relaxed) {
            packed if packed >> 32 == tag => (packed & 0xFFFF_FFFF) as usize,
            _ => self.any.load(Ordering::Relaxed),
        }
    }

    /// The request headers of a rejected trace in the folder with `key` ended `end` bytes in.
    fn observe(&self, key: u64, end: usize) {
        let end = end.min(HEAD_BYTES);
        let _ = self
            .any
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |hint| {
                let next = follow(hint, end);
                (next != hint).then_some(next)
            });
        let (slot, tag) = slot_and_tag(key);
        let _ = self.folders[slot].fetch_update(Ordering::Relaxed, Ordering::Relaxed, |packed| {
            let next = if packed >> 32 == tag {
                follow((packed & 0xFFFF_FFFF) as usize, end)
            } else {
                end
            };
            let next = tag << 32 | next as u64;
            (next != packed).then_some(next)
        });
    }
}

/// A hint after an end was seen: up to it at once, down towards it slowly.
fn follow(hint: usize, end: usize) -> usize {
    if end >= hint {
        end
    } else {
        hint - (hint - end).div_ceil(DRIFT)
    }
}

/// A folder key's slot, and the tag that tells it from the other folders of that slot (never
/// 0, which marks an empty slot).
fn slot_and_tag(key: u64) -> (usize, u64) {
    ((key % SLOTS as u64) as usize, (key >> 32).max(1))
}

/// How one trace's head is read: the size of its first read, and the hint that learns where
/// its request headers end (none for a trace read from memory).
pub(super) struct Head {
    first_read: usize,
    /// The key of the file's folder, when the file's reads teach the hint.
    folder: Option<u64>,
}

impl Head {
    /// A file's head: its first read sized by the hint of its folder.
    pub(super) fn of_file(path: &Path) -> Head {
        let mut hasher = std::hash::DefaultHasher::new();
        path.parent().unwrap_or(path).hash(&mut hasher);
        let key = hasher.finish();
        Head {
            first_read: read_size(HINT.end(key)),
            folder: Some(key),
        }
    }

    /// A trace read from memory, where the size of a read costs nothing.
    pub(super) fn in_memory() -> Head {
        Head {
            first_read: HEAD_STEP,
            folder: None,
        }
    }

    /// A head whose first read is of `first_read` bytes, teaching no hint.
    #[cfg(test)]
    pub(super) fn sized(first_read: usize) -> Head {
        Head {
            first_read,
            folder: None,
        }
    }

    /// How many bytes the first read asks for.
    pub(super) fn first_read(&self) -> usize {
        self.first_read
    }

    /// The trace was rejected, and its request headers ended `end` bytes in.
    pub(super) fn headers_end(&self, end: usize) {
        if let Some(key) = self.folder {
            HINT.observe(key, end);
        }
    }
}

/// A first read for headers expected to end at `end`: that and its margin.
fn read_size(end: usize) -> usize {
    (end + MARGIN).clamp(MIN_READ, HEAD_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hint_rises_at_once_and_drifts_down() {
        let hint = Hint::new();
        assert_eq!(read_size(hint.end(7)), 16 * 1024);
        hint.observe(7, 10_600);
        assert_eq!(hint.end(7), 10_600, "a folder's first end is its hint");
        hint.observe(7, 10_700);
        assert_eq!(hint.end(7), 10_700);
        hint.observe(7, 10_500);
        assert!((10_600..10_700).contains(&hint.end(7)));
        assert_eq!(read_size(10_700), 11_212);
        // A folder not seen yet reads as much as any folder needed.
        assert_eq!(hint.end(8), hint.any.load(Ordering::Relaxed));
        assert!(hint.end(8) > 10_700);
        hint.observe(8, 23_100);
        assert_eq!(hint.end(8), 23_100);
        assert!(hint.end(7) < 10_700);
    }

    #[test]
    fn folders_sharing_a_slot_do_not_read_each_others_hints() {
        let hint = Hint::new();
        let (a, b) = (5u64 << 32 | 3, 6u64 << 32 | 3);
        assert_eq!(slot_and_tag(a).0, slot_and_tag(b).0);
        hint.observe(a, 12_000);
        hint.observe(b, 30_000);
        assert_eq!(hint.end(b), 30_000);
        assert_eq!(hint.end(a), hint.any.load(Ordering::Relaxed));
    }

    #[test]
    fn reads_stay_within_the_head() {
        assert_eq!(read_size(0), MIN_READ);
        assert_eq!(read_size(10 * HEAD_BYTES), HEAD_BYTES);
        let hint = Hint::new();
        hint.observe(1, usize::MAX);
        assert_eq!(read_size(hint.end(1)), HEAD_BYTES);
    }
}
