//! Writes a large `wevtutil qe System /f:xml` export for measuring the event readers: Service
//! Control Manager records as filler, and a WAS 5186 idle shutdown every 1,000 records.
//!
//! ```text
//! cargo run --release -p frebscope-synth --bin gen_event_log -- /tmp/System.xml 1024   # about 1 GiB
//! frebscope events /tmp/System.xml --json > /dev/null
//! ```

use std::fs::File;
use std::io::{BufWriter, Write};

use chrono::{TimeDelta, TimeZone, Utc};
use frebscope_synth::event_export::{self as ex, WinEvent};

fn filler(time: chrono::DateTime<Utc>) -> WinEvent {
    // A Service Control Manager 7036, the commonest record of a System log.
    let mut e = ex::was_idle_shutdown(time, "WEB01.shop.local", 0, "", 0);
    e.provider = ex::EventProvider {
        name: "Service Control Manager",
        guid: "{555908d1-a6d7-4695-8e1e-26931d2012f4}",
        source: "Service Control Manager",
    };
    e.id = 7036;
    e.data = vec![
        (Some("param1"), "Windows Update".into()),
        (Some("param2"), "running".into()),
    ];
    e
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "System.xml".into());
    let mib: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1024);
    let start = Utc
        .with_ymd_and_hms(2025, 3, 11, 0, 0, 0)
        .single()
        .expect("a valid date");
    let mut out = BufWriter::with_capacity(1 << 20, File::create(&path)?);
    let (mut written, mut n) = (0u64, 0u64);
    while written < mib << 20 {
        n += 1;
        let time = start + TimeDelta::milliseconds(n as i64 * 50);
        let mut event = if n.is_multiple_of(1000) {
            ex::was_idle_shutdown(time, "WEB01.shop.local", n as u32, "Orders", 20)
        } else {
            filler(time)
        };
        event.record_id = n;
        let text = ex::wevtutil_xml(std::slice::from_ref(&event));
        out.write_all(text.as_bytes())?;
        written += text.len() as u64;
    }
    out.flush()?;
    eprintln!("wrote {n} records, {written} bytes, to {path}");
    Ok(())
}
