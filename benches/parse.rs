//! Per-file parse cost: the fast reader against the full reader, and a filtered read that
//! stops after the root element.
//!
//! Inputs are the bundled `samples/` and, when present, the real traces in `../shared`.
//! Run with `cargo bench --bench parse`; throughput is reported in bytes per second.

use std::fs;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use frebscope::parse::{fast, input, parse_bytes, parse_bytes_full};

fn traces(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            traces(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("xml"))
            && let Ok(bytes) = fs::read(&path)
        {
            out.push((path, bytes));
        }
    }
}

fn corpus() -> Vec<(PathBuf, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    traces(&root.join("samples"), &mut out);
    traces(&root.join("../shared/corpus/real"), &mut out);
    out
}

fn bench_readers(c: &mut Criterion) {
    let files = corpus();
    if files.is_empty() {
        eprintln!("no traces found under samples/ or ../shared/corpus/real: nothing to measure");
        return;
    }
    let bytes: u64 = files.iter().map(|(_, b)| b.len() as u64).sum();
    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Bytes(bytes));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(4));
    group.bench_function("fast", |b| {
        b.iter(|| {
            for (path, data) in &files {
                let _ = black_box(parse_bytes(path, data));
            }
        })
    });
    group.bench_function("full", |b| {
        b.iter(|| {
            for (path, data) in &files {
                let _ = black_box(parse_bytes_full(path, data));
            }
        })
    });
    group.bench_function("fast, filter rejects at the root", |b| {
        b.iter(|| {
            for (path, data) in &files {
                if let Ok(mut stream) = input::utf8_stream(data.as_slice()) {
                    let _ = black_box(fast::summarize(path, &mut stream, &|_| false));
                }
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench_readers);
criterion_main!(benches);
