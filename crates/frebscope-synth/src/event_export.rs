//! Writes Windows event log exports in the shapes admins produce them, for the samples and
//! tests: `wevtutil qe ... /f:xml` (single quotes, no root, one event per line) and
//! `Get-WinEvent | Export-Csv` from Windows PowerShell 5.1 (the `#TYPE` line, every column of
//! `EventLogRecord`, `TimeCreated` in the exporting machine's local time and culture).
//!
//! The constructors ([`was_idle_shutdown`], [`ancm_process_start`], ...) take the values a
//! real event carries and render its data and message the way WAS, ANCM and Windows Error
//! Reporting write them (`docs/events.md` lists the sources), so a reader tested on these
//! files is tested on the real layout.

use std::fmt::Write as _;

use chrono::{DateTime, FixedOffset, Utc};

/// A provider as `System/Provider` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventProvider {
    /// `Name`.
    pub name: &'static str,
    /// `Guid`, empty for classic providers.
    pub guid: &'static str,
    /// `EventSourceName`, empty when not written.
    pub source: &'static str,
}

/// WAS.
pub const WAS: EventProvider = EventProvider {
    name: "Microsoft-Windows-WAS",
    guid: "{524B5D04-133C-4A62-8362-64E8EDB9CE40}",
    source: "WAS",
};
/// The ASP.NET Core Module V2.
pub const ANCM: EventProvider = EventProvider {
    name: "IIS AspNetCore Module V2",
    guid: "",
    source: "",
};
/// Windows Error Reporting's crash event.
pub const APPLICATION_ERROR: EventProvider = EventProvider {
    name: "Application Error",
    guid: "",
    source: "",
};

/// One event record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WinEvent {
    /// The provider.
    pub provider: EventProvider,
    /// `EventID`.
    pub id: u32,
    /// `EventID@Qualifiers`.
    pub qualifiers: u32,
    /// `Level`: 2 error, 3 warning, 4 information.
    pub level: u8,
    /// `Task`.
    pub task: u16,
    /// `TimeCreated@SystemTime`.
    pub time: DateTime<Utc>,
    /// `EventRecordID`.
    pub record_id: u64,
    /// `System` or `Application`.
    pub channel: &'static str,
    /// `Computer`.
    pub computer: String,
    /// `EventData/Data`: (`Name` or none, value).
    pub data: Vec<(Option<&'static str>, String)>,
    /// `EventData/Binary`, hex.
    pub binary: Option<String>,
    /// The rendered message (what Event Viewer and PowerShell show).
    pub message: String,
}

fn was_event(id: u32, level: u8, time: DateTime<Utc>, computer: &str) -> WinEvent {
    let qualifiers = match level {
        2 => 49152,
        3 => 32768,
        _ => 16384,
    };
    WinEvent {
        provider: WAS,
        id,
        qualifiers,
        level,
        task: 0,
        time,
        record_id: 0,
        channel: "System",
        computer: computer.to_string(),
        data: Vec::new(),
        binary: None,
        message: String::new(),
    }
}

/// WAS 5186: an idle worker process was shut down (PID first, then the pool).
pub fn was_idle_shutdown(
    time: DateTime<Utc>,
    computer: &str,
    pid: u32,
    pool: &str,
    minutes: u32,
) -> WinEvent {
    let mut e = was_event(5186, 4, time, computer);
    e.data = vec![
        (Some("ProcessID"), pid.to_string()),
        (Some("AppPoolID"), pool.to_string()),
        (Some("param3"), minutes.to_string()),
    ];
    e.message = format!(
        "A worker process with process id of '{pid}' serving application pool '{pool}' was shutdown due to inactivity. Application Pool timeout configuration was set to {minutes} minutes. A new worker process will be started when needed."
    );
    e
}

/// WAS 5076: a scheduled recycle.
pub fn was_scheduled_recycle(
    time: DateTime<Utc>,
    computer: &str,
    pid: u32,
    pool: &str,
) -> WinEvent {
    let mut e = was_event(5076, 4, time, computer);
    e.data = vec![
        (Some("ProcessID"), pid.to_string()),
        (Some("AppPoolID"), pool.to_string()),
    ];
    e.message = format!(
        "A worker process with process id of '{pid}' serving application pool '{pool}' has requested a recycle because it reached its scheduled recycle time."
    );
    e
}

/// WAS 5011: the worker process crashed (lost its pipe to WAS).
pub fn was_crash(time: DateTime<Utc>, computer: &str, pool: &str, pid: u32) -> WinEvent {
    let mut e = was_event(5011, 3, time, computer);
    e.data = vec![
        (Some("AppPoolID"), pool.to_string()),
        (Some("ProcessID"), pid.to_string()),
    ];
    e.binary = Some("6D000780".into());
    e.message = format!(
        "A process serving application pool '{pool}' suffered a fatal communication error with the Windows Process Activation Service. The process id was '{pid}'. The data field contains the error number."
    );
    e
}

/// WAS 5010: the worker process did not answer WAS's ping.
pub fn was_hang(time: DateTime<Utc>, computer: &str, pool: &str, pid: u32) -> WinEvent {
    let mut e = was_event(5010, 3, time, computer);
    e.data = vec![
        (Some("AppPoolID"), pool.to_string()),
        (Some("ProcessID"), pid.to_string()),
    ];
    e.message = format!(
        "A process serving application pool '{pool}' failed to respond to a ping. The process id was '{pid}'."
    );
    e
}

fn ancm_event(
    id: u32,
    level: u8,
    time: DateTime<Utc>,
    computer: &str,
    text: String,
    w3wp: u32,
) -> WinEvent {
    WinEvent {
        provider: ANCM,
        id,
        qualifiers: 0,
        level,
        task: 0,
        time,
        record_id: 0,
        channel: "Application",
        computer: computer.to_string(),
        data: vec![
            (None, text.clone()),
            (None, format!("Process Id: {w3wp}.")),
            (
                None,
                "File Version: 18.0.24201.0. Description: IIS ASP.NET Core Module V2 Request Handler".into(),
            ),
        ],
        binary: None,
        message: text,
    }
}

/// ANCM 1001: the application's process started and listens.
pub fn ancm_process_start(
    time: DateTime<Utc>,
    computer: &str,
    site: u32,
    child: u32,
    port: u16,
    w3wp: u32,
) -> WinEvent {
    let text = format!(
        "Application '/LM/W3SVC/{site}/ROOT' started process '{child}' successfully and process '{child}' is listening on port '{port}'."
    );
    ancm_event(1001, 4, time, computer, text, w3wp)
}

/// ANCM 1030: the application's process exited by itself.
pub fn ancm_process_exit(
    time: DateTime<Utc>,
    computer: &str,
    site: u32,
    root: &str,
    child: u32,
    port: u16,
    w3wp: u32,
) -> WinEvent {
    let text = format!(
        "Application '/LM/W3SVC/{site}/ROOT' with physical root '{root}' shut down process with Id '{child}' listening on port '{port}'"
    );
    ancm_event(1030, 4, time, computer, text, w3wp)
}

/// Application Error 1000 for a program (the unnamed 15-value form of Server 2016/2019).
pub fn application_crash(
    time: DateTime<Utc>,
    computer: &str,
    program: &str,
    path: &str,
    pid: u32,
    exception: u32,
) -> WinEvent {
    let values = [
        program.to_string(),
        "8.0.1124.51707".into(),
        "672a9c1e".into(),
        "KERNELBASE.dll".into(),
        "10.0.17763.6414".into(),
        "8c3a0b54".into(),
        format!("{exception:08x}"),
        "000000000003b6f9".into(),
        format!("{pid:x}"),
        "01db928e1f0c4a5d".into(),
        path.to_string(),
        "C:\\Windows\\System32\\KERNELBASE.dll".into(),
        "9b3c1f2e-8d4a-4b6e-a1f0-3c2d5e6f7a8b".into(),
        String::new(),
        String::new(),
    ];
    let message = format!(
        "Faulting application name: {program}, version: 8.0.1124.51707, time stamp: 0x672a9c1e\r\nFaulting module name: KERNELBASE.dll, version: 10.0.17763.6414, time stamp: 0x8c3a0b54\r\nException code: 0x{exception:08x}\r\nFault offset: 0x000000000003b6f9\r\nFaulting process id: 0x{pid:x}\r\nFaulting application start time: 0x01db928e1f0c4a5d\r\nFaulting application path: {path}\r\nFaulting module path: C:\\Windows\\System32\\KERNELBASE.dll\r\nReport Id: 9b3c1f2e-8d4a-4b6e-a1f0-3c2d5e6f7a8b\r\nFaulting package full name: \r\nFaulting package-relative application ID: "
    );
    WinEvent {
        provider: APPLICATION_ERROR,
        id: 1000,
        qualifiers: 0,
        level: 2,
        task: 100,
        time,
        record_id: 0,
        channel: "Application",
        computer: computer.to_string(),
        data: values.into_iter().map(|v| (None, v)).collect(),
        binary: None,
        message,
    }
}

/// Numbers the records of one log in time order, from `first`.
pub fn number(events: &mut [WinEvent], first: u64) {
    events.sort_by_key(|e| e.time);
    for (i, e) in events.iter_mut().enumerate() {
        e.record_id = first + i as u64;
    }
}

fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' => out.push_str("&apos;"),
            '"' => out.push_str("&quot;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

/// `2025-03-11T12:08:30.1234567Z`: EvtRender writes seven fractional digits.
fn system_time(t: DateTime<Utc>) -> String {
    use chrono::Timelike;
    format!(
        "{}.{:07}Z",
        t.format("%Y-%m-%dT%H:%M:%S"),
        t.nanosecond() / 100
    )
}

/// `wevtutil qe <log> /f:xml`: raw EvtRender XML, single quotes, no declaration, no root,
/// one event per line (CRLF).
pub fn wevtutil_xml(events: &[WinEvent]) -> String {
    let mut out = String::new();
    for e in events {
        let keywords = if e.provider.guid.is_empty() || e.provider.name == WAS.name {
            "0x80000000000000"
        } else {
            "0x8000000000000000"
        };
        out.push_str(
            "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>",
        );
        let _ = write!(out, "<Provider Name='{}'", xml_escape(e.provider.name));
        if !e.provider.guid.is_empty() {
            let _ = write!(out, " Guid='{}'", e.provider.guid);
        }
        if !e.provider.source.is_empty() {
            let _ = write!(out, " EventSourceName='{}'", e.provider.source);
        }
        out.push_str("/>");
        let _ = write!(
            out,
            "<EventID Qualifiers='{}'>{}</EventID><Version>0</Version><Level>{}</Level><Task>{}</Task><Opcode>0</Opcode><Keywords>{keywords}</Keywords><TimeCreated SystemTime='{}'/><EventRecordID>{}</EventRecordID><Correlation/><Execution ProcessID='0' ThreadID='0'/><Channel>{}</Channel><Computer>{}</Computer><Security/></System><EventData>",
            e.qualifiers,
            e.id,
            e.level,
            e.task,
            system_time(e.time),
            e.record_id,
            e.channel,
            xml_escape(&e.computer),
        );
        for (name, value) in &e.data {
            match (name, value.is_empty()) {
                (Some(n), _) => {
                    let _ = write!(out, "<Data Name='{n}'>{}</Data>", xml_escape(value));
                }
                (None, true) => out.push_str("<Data></Data>"),
                (None, false) => {
                    let _ = write!(out, "<Data>{}</Data>", xml_escape(value));
                }
            }
        }
        if let Some(binary) = &e.binary {
            let _ = write!(out, "<Binary>{binary}</Binary>");
        }
        out.push_str("</EventData></Event>\r\n");
    }
    out
}

/// The columns of `Get-WinEvent | Export-Csv` (all `EventLogRecord` properties, in order).
const CSV_COLUMNS: &str = "\"Message\",\"Id\",\"Version\",\"Qualifiers\",\"Level\",\"Task\",\"Opcode\",\"Keywords\",\"RecordId\",\"ProviderName\",\"ProviderId\",\"LogName\",\"ProcessId\",\"ThreadId\",\"MachineName\",\"UserId\",\"TimeCreated\",\"ActivityId\",\"RelatedActivityId\",\"ContainerLog\",\"MatchedQueryIds\",\"Bookmark\",\"LevelDisplayName\",\"OpcodeDisplayName\",\"TaskDisplayName\",\"KeywordsDisplayNames\",\"Properties\"";

/// `Get-WinEvent ... | Export-Csv` in Windows PowerShell 5.1 on an en-US machine whose clock
/// is `offset` from UTC: a `#TYPE` line, every value quoted, `$null` as an empty field,
/// `TimeCreated` as `M/d/yyyy h:mm:ss tt` local time, CRLF.
pub fn powershell_csv(events: &[WinEvent], offset: FixedOffset) -> String {
    let mut out = String::from("#TYPE System.Diagnostics.Eventing.Reader.EventLogRecord\r\n");
    out.push_str(CSV_COLUMNS);
    out.push_str("\r\n");
    for e in events {
        let quote = |v: &str| format!("\"{}\"", v.replace('"', "\"\""));
        let qualifiers = if e.provider.guid.is_empty() || e.provider.name == WAS.name {
            quote(&e.qualifiers.to_string())
        } else {
            String::new()
        };
        let (keywords, level_name) = (
            "36028797018963968",
            match e.level {
                2 => "Error",
                3 => "Warning",
                _ => "Information",
            },
        );
        let provider_id = if e.provider.guid.is_empty() {
            String::new()
        } else {
            quote(
                e.provider
                    .guid
                    .trim_matches(['{', '}'])
                    .to_ascii_lowercase()
                    .as_str(),
            )
        };
        let local = e.time.with_timezone(&offset);
        let fields = [
            quote(&e.message),
            quote(&e.id.to_string()),
            quote("0"),
            qualifiers,
            quote(&e.level.to_string()),
            quote(&e.task.to_string()),
            quote("0"),
            quote(keywords),
            quote(&e.record_id.to_string()),
            quote(e.provider.name),
            provider_id,
            quote(e.channel),
            quote("0"),
            quote("0"),
            quote(&e.computer),
            String::new(),
            quote(&local.format("%-m/%-d/%Y %-I:%M:%S %p").to_string()),
            String::new(),
            String::new(),
            quote(e.channel),
            quote("System.UInt32[]"),
            quote("System.Diagnostics.Eventing.Reader.EventBookmark"),
            quote(level_name),
            quote("Info"),
            String::new(),
            quote("System.Collections.ObjectModel.ReadOnlyCollection`1[System.String]"),
            quote(
                "System.Collections.Generic.List`1[System.Diagnostics.Eventing.Reader.EventProperty]",
            ),
        ];
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    out
}
