//! Per-file parse cost: the fast reader against the full reader, and a filtered read that
//! stops after the root element; then both readers on the same traces saved as UTF-16LE, as
//! IIS writes them when configured so (the cost of decoding them first).
//!
//! Inputs are the bundled `samples/` and, when present, the real traces in `../shared`.
//! Run with `cargo bench --bench parse`; throughput is reported in bytes per second.

#[path = "../tests/common/mod.rs"]
mod common;

use std::fs;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use frebscope::parse::{parse_bytes, parse_bytes_filtered, parse_bytes_full};

/// The bundled samples and, when present, the real traces, read into memory.
fn corpus() -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = common::xml_files(&common::samples());
    if let Some(real) = common::real_corpus() {
        files.extend(common::xml_files(&real));
    }
    files
        .into_iter()
        .filter_map(|path| fs::read(&path).ok().map(|bytes| (path, bytes)))
        .collect()
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
                let _ = black_box(parse_bytes_filtered(path, data, &|_| false));
            }
        })
    });
    group.finish();
}

fn bench_utf16(c: &mut Criterion) {
    let files: Vec<(PathBuf, Vec<u8>)> = corpus()
        .into_iter()
        .map(|(path, bytes)| {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            (path, common::utf16(&text, false, true))
        })
        .collect();
    if files.is_empty() {
        return;
    }
    let bytes: u64 = files.iter().map(|(_, b)| b.len() as u64).sum();
    let mut group = c.benchmark_group("parse utf-16");
    group.throughput(Throughput::Bytes(bytes));
    group.sample_size(10);
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
    group.finish();
}

criterion_group!(benches, bench_readers, bench_utf16);
criterion_main!(benches);
