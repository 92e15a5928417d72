//! Both trace readers on arbitrary bytes: neither may panic, whatever the file holds.
//!
//! From the repository root, with a nightly toolchain and `cargo install cargo-fuzz`:
//!
//! ```text
//! cargo +nightly fuzz run parse -- -max_total_time=660 -max_len=32768
//! ```

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fr000001.xml");
    let _ = frebscope::parse::parse_bytes(path, data);
    let _ = frebscope::parse::parse_bytes_full(path, data);
});
