//! The `config` command's outputs: a ranked table with the fixes below it, JSON, CSV.
//!
//! Every string from a configuration file is attacker-controlled: terminal text goes through
//! [`terminal`], CSV cells through [`csv_cell`], JSON through serde.

use std::io::{self, Write};

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};

use super::Audit;
use super::findings::Finding;
use crate::sanitize::{csv_cell, terminal};

/// The CSV header; columns are only ever added at the end.
pub const CSV_HEADER: [&str; 12] = [
    "id",
    "severity",
    "server",
    "pool",
    "site",
    "app",
    "setting",
    "value",
    "source",
    "why",
    "fix_cmd",
    "fix_powershell",
];

fn or_dash(v: &Option<String>) -> String {
    v.as_deref()
        .map_or_else(|| "-".to_owned(), |s| terminal(s).into_owned())
}

fn place(f: &Finding) -> String {
    let mut parts = Vec::new();
    if let Some(p) = &f.pool {
        parts.push(format!("pool {}", terminal(p)));
    }
    if let Some(s) = &f.site {
        let app = f.app.as_deref().filter(|a| *a != "/").unwrap_or("");
        parts.push(format!("site {}{}", terminal(s), terminal(app)));
    }
    if parts.is_empty() {
        "-".into()
    } else {
        parts.join("\n")
    }
}

/// The table: one row per finding, then each finding's reason and fix lines.
pub fn write_table(audit: &Audit, width: Option<u16>, out: &mut dyn Write) -> io::Result<()> {
    let read = audit.files.iter().filter(|f| f.error.is_none()).count();
    writeln!(
        out,
        "{} configuration file{} · {} read · {} not read · {} finding{}",
        audit.files.len(),
        if audit.files.len() == 1 { "" } else { "s" },
        read,
        audit.files.len() - read,
        audit.findings.len(),
        if audit.findings.len() == 1 { "" } else { "s" },
    )?;
    if audit.findings.is_empty() {
        writeln!(out, "\nNo findings.")?;
        return Ok(());
    }
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .force_no_tty()
        .set_header([
            "#",
            "severity",
            "id",
            "server",
            "where",
            "setting = value",
            "source",
        ]);
    if let Some(w) = width {
        table.set_width(w);
    }
    for (i, f) in audit.findings.iter().enumerate() {
        table.add_row([
            (i + 1).to_string(),
            f.severity.as_str().to_owned(),
            f.id.to_owned(),
            or_dash(&f.server),
            place(f),
            format!("{} = {}", terminal(&f.setting), terminal(&f.value)),
            terminal(&f.source).into_owned(),
        ]);
    }
    writeln!(out, "\n{table}")?;
    writeln!(out, "\nWhy, and the fix")?;
    for (i, f) in audit.findings.iter().enumerate() {
        writeln!(
            out,
            "{}. {} ({}): {}",
            i + 1,
            f.id,
            or_dash(&f.server),
            terminal(&f.why)
        )?;
        for fix in &f.fix {
            writeln!(out, "   {}> {}", fix.shell.as_str(), terminal(&fix.command))?;
        }
    }
    Ok(())
}

/// The JSON document: `{"files": [...], "findings": [...]}`.
pub fn write_json(audit: &Audit, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, audit)?;
    writeln!(out)
}

/// CSV, one row per finding.
pub fn write_csv(audit: &Audit, out: &mut dyn Write) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(CSV_HEADER)?;
    for f in &audit.findings {
        let fix = |shell: &str| {
            f.fix
                .iter()
                .find(|x| x.shell.as_str() == shell)
                .map(|x| x.command.clone())
                .unwrap_or_default()
        };
        let cells = [
            f.id.to_owned(),
            f.severity.as_str().to_owned(),
            f.server.clone().unwrap_or_default(),
            f.pool.clone().unwrap_or_default(),
            f.site.clone().unwrap_or_default(),
            f.app.clone().unwrap_or_default(),
            f.setting.clone(),
            f.value.clone(),
            f.source.clone(),
            f.why.clone(),
            fix("cmd"),
            fix("powershell"),
        ];
        w.write_record(cells.iter().map(|c| csv_cell(c).into_owned()))?;
    }
    w.flush()
}
