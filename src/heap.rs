//! How the process asks the C library's allocator to hand memory back.
//!
//! glibc serves a large allocation (128 KiB and more) from its own mapping, returned to the
//! system when freed; but the first time such a block is freed it raises that threshold to the
//! block's size, for good. From then on a run's large vectors (the records of a share, their
//! sort keys, the tables of the cross-trace rules) come from the heap, and when they are freed
//! their pages stay with the process: at 100,000 traces about a third of the peak resident
//! memory was memory already freed. Setting the threshold once turns that adjustment off, so
//! freed vectors go back to the system and the peak is what the run holds.
//!
//! glibc also gives every thread that allocates at the same time as another a heap (an arena)
//! of its own, up to eight per core. On a share a scan reads with 64 threads, so the records
//! end up spread over a dozen arenas, each with its own free space that no other thread
//! reuses: at 100,000 traces that was 6 to 8 MiB of the peak. One arena per
//! core, and at most four, keeps that waste to a MiB or two; a trace costs a few dozen
//! allocations beside a file read, so the readers seldom wait on each other's. (On two cores,
//! 100,000 small traces from a warm cache take a fifth longer with two arenas than with
//! sixteen; traces of ordinary size, and any share, take the same time.)
//!
//! Only glibc has these settings; other C libraries and Windows' heap are left as they are.

/// The allocator's arenas at most: on two cores, at 100,000 traces, eight arenas peaked 2 to 3
/// MiB above four and sixteen 4 to 8 MiB above, for a tenth less time at most.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MAX_ARENAS: usize = 4;

/// Keeps large allocations in their own mappings for the whole run, and the heap in one arena
/// per core, up to four.
pub fn return_large_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        /// glibc's default threshold, made fixed.
        const LARGE_BLOCK: libc::c_int = 128 * 1024;
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let arenas = libc::c_int::try_from(cores.min(MAX_ARENAS)).unwrap_or(1);
        // SAFETY: `mallopt` only changes a setting of the allocator; it is called before any
        // thread starts, and a refused value leaves the default in place.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, LARGE_BLOCK);
            libc::mallopt(libc::M_ARENA_MAX, arenas);
        }
    }
}
