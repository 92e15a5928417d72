use std::path::PathBuf;

use super::*;
use crate::discover;
use crate::discover::Root;
use crate::model::Depth;
use crate::parse;

fn sample_traces() -> Vec<Trace> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("samples");
    let found = discover::discover(&[Root::Dir(root)]);
    assert!(found.files.len() > 10, "samples/ holds the demo farm");
    found
        .files
        .iter()
        .map(|p| parse::parse_file(p, &|_| true).expect("samples parse"))
        .collect()
}

fn old_stamp(size: u64) -> Stamp {
    Stamp {
        size,
        mtime: (1_700_000_000, 123_456_789),
    }
}

fn written(traces: &[Trace]) -> Vec<u8> {
    let mut bytes = Vec::new();
    write_entries(&mut bytes, traces.iter().map(|t| (t, old_stamp(7)))).unwrap();
    bytes
}

#[test]
fn every_field_of_every_sample_survives_the_round_trip() {
    let traces = sample_traces();
    let entries = read_entries(written(&traces).as_slice()).unwrap();
    assert_eq!(entries.len(), traces.len());
    for trace in &traces {
        let slot = entries.get(&key(&trace.file)).expect("stored");
        let (stamp, record) = slot.lock().unwrap().take().unwrap();
        assert_eq!(stamp, old_stamp(7));
        assert_eq!(&record.into_trace(trace.file.clone()), trace);
    }
}

#[test]
fn head_traces_keep_their_depth() {
    let mut trace = sample_traces().remove(0);
    trace.depth = Depth::Head;
    let entries = read_entries(written(std::slice::from_ref(&trace)).as_slice()).unwrap();
    let (_, record) = entries
        .values()
        .next()
        .unwrap()
        .lock()
        .unwrap()
        .take()
        .unwrap();
    assert!(!record.is_full());
    assert_eq!(record.into_trace(trace.file.clone()), trace);
}

#[test]
fn damaged_files_are_refused_with_a_reason() {
    let good = written(&sample_traces());
    let mut flipped = good.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x20;
    let mut huge = good[..20].to_vec();
    huge.extend_from_slice(&(MAX_RECORD_BYTES + 1).to_le_bytes());
    let mut other_version = good.clone();
    other_version[16..20].copy_from_slice(&(FORMAT + 1).to_le_bytes());
    let mut trailing = good.clone();
    trailing.push(0);
    let cases: [(&str, &[u8]); 7] = [
        ("empty", b""),
        ("foreign", b"<failedRequest url=\"x\"/>"),
        ("truncated", &good[..good.len() - 5]),
        ("cut in a record", &good[..good.len() / 3]),
        ("oversized record", &huge),
        ("other format", &other_version),
        ("trailing bytes", &trailing),
    ];
    for (name, bytes) in cases {
        let err = read_entries(bytes).err();
        assert!(err.is_some(), "{name} was accepted");
    }
    // A flipped byte either breaks a record's decoding or the checksum; never accepted.
    assert!(read_entries(flipped.as_slice()).is_err());
}

#[test]
fn a_damaged_cache_file_is_ignored_with_a_warning_and_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let roots = [Root::Dir(PathBuf::from("/logs"))];
    let file = file_for(dir.path(), &roots);
    let mut cut = MAGIC.to_vec();
    cut.extend_from_slice(&FORMAT.to_le_bytes());
    cut.extend_from_slice(&[0xff, 0xff]);
    fs::write(&file, cut).unwrap();
    let mut warnings = Vec::new();
    let cache = Cache::open(dir.path(), &roots, &mut warnings).unwrap();
    let text = String::from_utf8(warnings).unwrap();
    assert!(text.contains("ignoring the cache"), "{text}");
    assert!(text.contains("cut short"), "{text}");
    let traces = sample_traces();
    cache
        .save(traces.iter().map(|t| (t, old_stamp(1))), 0)
        .unwrap();
    let mut warnings = Vec::new();
    let again = Cache::open(dir.path(), &roots, &mut warnings).unwrap();
    assert!(warnings.is_empty());
    assert_eq!(again.entries.len(), traces.len());
}

#[test]
fn lookups_check_the_stamp_and_the_form_the_filters_need() {
    let dir = tempfile::tempdir().unwrap();
    let roots = [Root::Dir(PathBuf::from("/logs"))];
    let traces = sample_traces();
    let trace = traces
        .iter()
        .find(|t| t.status.code == 502)
        .expect("a 502 in samples");
    let save = |t: &Trace| {
        let cache = Cache::open(dir.path(), &roots, &mut Vec::new()).unwrap();
        cache.save(std::iter::once((t, old_stamp(9))), 0).unwrap();
        Cache::open(dir.path(), &roots, &mut Vec::new()).unwrap()
    };
    let all = Filters::default();
    let only_404 = Filters {
        status: crate::filter::parse_status_list("404").unwrap(),
        ..Filters::default()
    };
    assert_eq!(
        save(trace).lookup(&trace.file, old_stamp(9), &all).as_ref(),
        Some(trace)
    );
    assert!(
        save(trace)
            .lookup(&trace.file, old_stamp(10), &all)
            .is_none(),
        "size changed"
    );
    let mut later = old_stamp(9);
    later.mtime.1 += 1;
    assert!(
        save(trace).lookup(&trace.file, later, &all).is_none(),
        "time changed"
    );
    assert!(
        save(trace)
            .lookup(&trace.file, old_stamp(9), &only_404)
            .is_none(),
        "a whole trace the filters reject is read again for its head"
    );
    let mut head = trace.clone();
    head.depth = Depth::Head;
    assert!(
        save(&head)
            .lookup(&trace.file, old_stamp(9), &all)
            .is_none(),
        "a head the filters now accept is read again whole"
    );
}

#[test]
fn files_modified_just_now_are_not_stored() {
    let now = SystemTime::now();
    let fresh = Stamp {
        size: 1,
        mtime: since_epoch(now),
    };
    assert!(!fresh.settled(now));
    assert!(old_stamp(1).settled(now));
}

#[test]
fn concurrent_writers_leave_a_whole_file() {
    let dir = tempfile::tempdir().unwrap();
    let roots = [Root::Dir(PathBuf::from("/logs"))];
    let traces = sample_traces();
    std::thread::scope(|s| {
        for n in 0..4 {
            let traces = &traces;
            let roots = &roots;
            let dir = dir.path();
            s.spawn(move || {
                for _ in 0..5 {
                    let cache = Cache::open(dir, roots, &mut Vec::new()).unwrap();
                    let keep = traces.len() - n;
                    cache
                        .save(traces[..keep].iter().map(|t| (t, old_stamp(1))), 0)
                        .unwrap();
                }
            });
        }
    });
    let mut warnings = Vec::new();
    let cache = Cache::open(dir.path(), &roots, &mut warnings).unwrap();
    assert!(
        warnings.is_empty(),
        "{}",
        String::from_utf8_lossy(&warnings)
    );
    assert!(cache.entries.len() + 4 > traces.len());
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn negative_times_keep_their_order() {
    let before = UNIX_EPOCH - Duration::from_millis(1500);
    assert_eq!(since_epoch(before), (-2, 500_000_000));
}

#[test]
fn cache_files_unused_for_a_month_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("scan-v1-00000000.bin");
    let recent = dir.path().join("scan-v1-11111111.bin");
    let other = dir.path().join("notes.txt");
    for path in [&old, &recent, &other] {
        fs::write(path, b"x").unwrap();
    }
    let month_ago = SystemTime::now() - Duration::from_secs(31 * 24 * 3600);
    for path in [&old, &other] {
        File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(month_ago)
            .unwrap();
    }
    prune(dir.path());
    assert!(!old.exists());
    assert!(recent.exists());
    assert!(other.exists(), "only cache files are pruned");
}
