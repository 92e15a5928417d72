//! The fast reader must give exactly what the full reader gives, on every trace we have:
//! the bundled samples, the test inputs and, when present, the real traces in `../shared`.

mod common;

use std::fs;
use std::path::Path;

use common::{crate_dir, real_corpus, samples, xml_files};
use frebscope::parse::{parse_bytes, parse_bytes_full};

fn assert_readers_agree(dir: &Path) -> usize {
    let files = xml_files(dir);
    let mut compared = 0;
    for file in &files {
        let bytes = fs::read(file).unwrap();
        let fast = parse_bytes(file, &bytes);
        let full = parse_bytes_full(file, &bytes);
        match (fast, full) {
            (Ok(fast), Ok(full)) => {
                assert_eq!(fast, full, "readers disagree on {}", file.display());
                compared += 1;
            }
            (Err(a), Err(b)) => assert_eq!(a.reason(), b.reason(), "{}", file.display()),
            (a, b) => panic!("{}: fast {a:?} full {b:?}", file.display()),
        }
    }
    compared
}

#[test]
fn fast_reader_equals_full_reader_on_samples() {
    let compared = assert_readers_agree(&samples());
    assert!(compared > 0, "samples/ holds no traces");
}

#[test]
fn fast_reader_equals_full_reader_on_test_inputs() {
    assert_readers_agree(&crate_dir().join("tests"));
}

#[test]
fn fast_reader_equals_full_reader_on_real_traces() {
    let Some(real) = real_corpus() else {
        return;
    };
    assert_eq!(assert_readers_agree(&real), 53);
}
