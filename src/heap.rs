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
//! Only glibc has the adjustment; other C libraries and Windows' heap are left as they are.

/// Keeps large allocations in their own mappings for the whole run.
pub fn return_large_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        /// glibc's default threshold, made fixed.
        const LARGE_BLOCK: libc::c_int = 128 * 1024;
        // SAFETY: `mallopt` only changes a setting of the allocator; it is called before any
        // thread starts, and a refused value leaves the default in place.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, LARGE_BLOCK);
        }
    }
}
