//! The fast reader must give exactly what the full reader gives, on every trace we have:
//! the bundled samples, the test inputs and, when present, the real traces in `../shared`.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use frebscope::parse::{parse_bytes, parse_bytes_full};

fn xml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            xml_files(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("xml"))
        {
            out.push(path);
        }
    }
}

fn assert_readers_agree(dir: &Path) -> usize {
    let mut files = Vec::new();
    xml_files(dir, &mut files);
    files.sort();
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
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let compared = assert_readers_agree(&root.join("samples"));
    assert!(compared > 0, "samples/ holds no traces");
}

#[test]
fn fast_reader_equals_full_reader_on_test_inputs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert_readers_agree(&root.join("tests"));
}

#[test]
fn fast_reader_equals_full_reader_on_real_traces() {
    let Some(real) = common::real_corpus() else {
        return;
    };
    assert_eq!(assert_readers_agree(&real), 53);
}
