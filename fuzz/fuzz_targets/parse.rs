//! Both trace readers on arbitrary bytes: neither may panic, whatever the file holds.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fr000001.xml");
    let _ = frebscope::parse::parse_bytes(path, data);
    let _ = frebscope::parse::parse_bytes_full(path, data);
});
