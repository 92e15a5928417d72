//! JSON output: one document for `scan`, one object per line for `requests` (the last line
//! holds the totals). Everything goes through serde, so every string is escaped.

use std::io::{self, Write};

use serde::Serialize;

use super::{Reporter, RequestsReport, ScanReport};

/// Writes JSON.
#[derive(Debug, Default)]
pub struct JsonReporter;

impl Reporter for JsonReporter {
    fn scan(&self, report: &ScanReport<'_>, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, report)?;
        writeln!(out)
    }

    fn requests(&self, report: &RequestsReport<'_>, out: &mut dyn Write) -> io::Result<()> {
        for row in report.rows {
            serde_json::to_writer(&mut *out, row)?;
            writeln!(out)?;
        }
        #[derive(Serialize)]
        struct Last<'a> {
            totals: &'a crate::aggregate::Totals,
        }
        serde_json::to_writer(
            &mut *out,
            &Last {
                totals: report.totals,
            },
        )?;
        writeln!(out)
    }
}
