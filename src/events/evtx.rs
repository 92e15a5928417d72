//! `.evtx` files (`wevtutil epl`, Event Viewer "Save All Events As"), read with the `evtx`
//! crate.
//!
//! The crate renders each record as XML, which then goes through the same field reader as a
//! `wevtutil` export ([`super::xml::read_record`]), so both forms of the same record agree. A
//! damaged record (a bad chunk, a torn write) is skipped and counted; the others are kept, and
//! the records the crate can carve from a chunk's free space are recovered.

use std::fs::File;
use std::path::Path;

use evtx::{EvtxParser, ParserSettings};

use super::{EventFileError, EventSkipReason, FileEvents, kinds, xml};

/// Reads every record of an `.evtx` file.
pub fn read(path: &Path) -> Result<FileEvents, EventFileError> {
    // `EvtxParser::from_path` canonicalizes, which turns `\\server\share` into `\\?\UNC\...`:
    // open the file ourselves.
    let file = File::open(path).map_err(|e| EventFileError::io(path, &e))?;
    let settings = ParserSettings::new()
        .num_threads(1)
        .indent(false)
        .recover_records(true);
    let mut parser = EvtxParser::from_read_seek(file)
        .map_err(|e| EventFileError::new(path, EventSkipReason::Malformed, e.to_string()))?
        .with_configuration(settings);
    let mut read = FileEvents::default();
    let mut damaged = 0u64;
    let mut first_damage = None;
    for record in parser.records() {
        match record {
            Ok(record) => {
                read.records += 1;
                let Some(raw) = xml::read_record(&record.data) else {
                    continue;
                };
                if let Some(event) = kinds::classify(&raw, path) {
                    read.events.push(event);
                }
            }
            Err(err) => {
                damaged += 1;
                first_damage.get_or_insert_with(|| err.to_string());
            }
        }
    }
    if damaged == 0 && read.records == 0 {
        read.problem = Some((
            EventSkipReason::Malformed,
            "no readable chunk of records (the file is cut short or empty)".into(),
        ));
    } else if damaged > 0 {
        read.problem = Some((
            EventSkipReason::DamagedRecords,
            format!(
                "{damaged} damaged record{} or chunk{} skipped, {} records read (first damage: {})",
                if damaged == 1 { "" } else { "s" },
                if damaged == 1 { "" } else { "s" },
                read.records,
                first_damage.unwrap_or_default()
            ),
        ));
    }
    Ok(read)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn fixture() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/cases/events/evtx/Application_no_crc32.evtx")
    }

    #[test]
    fn every_record_of_a_real_file_reads_into_its_fields() {
        let file = File::open(fixture()).unwrap();
        let mut parser = EvtxParser::from_read_seek(file).unwrap();
        let mut count = 0;
        for record in parser.records() {
            let record = record.unwrap();
            let raw = xml::read_record(&record.data).expect("one event per record");
            assert!(!raw.provider.is_empty(), "{}", record.data);
            assert!(
                raw.event_id.is_some() && raw.time.is_some(),
                "{}",
                record.data
            );
            assert_eq!(raw.channel, "Application");
            assert_eq!(raw.record_id, Some(record.event_record_id));
            assert!(raw.precise_time);
            count += 1;
        }
        assert_eq!(count, 17);
        let read = read(&fixture()).unwrap();
        assert_eq!((read.records, read.events.len()), (17, 0));
        assert!(read.problem.is_none());
    }
}
