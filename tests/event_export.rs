//! The generator's event exports read back through the readers: what `gen_samples` writes
//! for the demo farm is what `wevtutil` and `Export-Csv` write, as far as the readers can tell.

use std::path::Path;

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use frebscope::events::{self, EventKind, ReadOptions};
use frebscope_synth::event_export::*;

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 11, h, m, 0).single().unwrap()
}

fn sample() -> Vec<WinEvent> {
    let mut list = vec![
        was_idle_shutdown(at(12, 8), "WEB01.shop.local", 4812, "Orders", 20),
        was_crash(at(13, 0), "WEB01.shop.local", "Orders", 9304),
        was_hang(at(13, 5), "WEB01.shop.local", "Orders", 9305),
        was_scheduled_recycle(at(14, 0), "WEB01.shop.local", 9306, "Orders"),
        ancm_process_start(at(13, 10), "WEB01.shop.local", 2, 7720, 15507, 9304),
        ancm_process_exit(
            at(13, 20),
            "WEB01.shop.local",
            2,
            "C:\\app\\",
            7720,
            15507,
            9304,
        ),
        application_crash(
            at(13, 20),
            "WEB01.shop.local",
            "dotnet.exe",
            "C:\\Program Files\\dotnet\\dotnet.exe",
            7720,
            0xe043_4352,
        ),
    ];
    number(&mut list, 100);
    list
}

#[test]
fn the_xml_export_reads_back() {
    let text = wevtutil_xml(&sample());
    let read = events::xml::read(std::io::Cursor::new(text.into_bytes()), Path::new("x.xml"));
    assert!(read.problem.is_none(), "{:?}", read.problem);
    let kinds: Vec<EventKind> = read.events.iter().map(|e| e.kind).collect();
    assert_eq!(kinds.len(), 7);
    assert!(kinds.contains(&EventKind::Hang));
    let crash = read
        .events
        .iter()
        .find(|e| e.provider == "Application Error")
        .unwrap();
    assert_eq!(
        (crash.kind, crash.app_pid),
        (EventKind::AppCrash, Some(7720))
    );
}

#[test]
fn the_csv_export_reads_back_with_its_offset() {
    let offset = FixedOffset::east_opt(3600).unwrap();
    let text = powershell_csv(&sample(), offset);
    assert!(text.contains("\"3/11/2025 1:08:00 PM\""), "{text}");
    let options = ReadOptions {
        utc_offset: Some(offset),
    };
    let read = events::csv::read(
        std::io::Cursor::new(text.into_bytes()),
        Path::new("x.csv"),
        &options,
    );
    assert!(read.problem.is_none(), "{:?}", read.problem);
    assert_eq!(read.events.len(), 7);
    let idle = &read.events[0];
    assert_eq!((idle.pid, idle.time), (Some(4812), at(12, 8)));
    let start = read
        .events
        .iter()
        .find(|e| e.kind == EventKind::AppStart)
        .unwrap();
    assert_eq!((start.pid, start.site_id.as_deref()), (None, Some("2")));
}
