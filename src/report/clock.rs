//! How the tables for people write a time: in UTC, the default and what CSV and JSON always
//! write, or with `--local` in the viewer's time zone, each table saying which.
//!
//! IIS writes trace times in UTC, and a farm's servers may sit in several zones: UTC is the
//! one clock every trace agrees on. An admin reading a table during an incident thinks in the
//! wall clock, though, so `--local` converts at the last moment, in the table only. A local
//! zone has no name chrono can give portably, so a table names its offset from UTC
//! (`UTC+01:00`), every offset when the times shown span a daylight-saving change.

use chrono::{DateTime, Local, Utc};

/// The clock of a table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Zone {
    /// UTC (the default).
    #[default]
    Utc,
    /// The viewer's local time zone (`--local`; on Unix `TZ` decides).
    Local,
}

impl Zone {
    /// `--local` or not.
    pub fn new(local: bool) -> Zone {
        if local { Zone::Local } else { Zone::Utc }
    }

    /// `t` written with the chrono format `format`, in this zone.
    pub fn format(self, t: DateTime<Utc>, format: &str) -> String {
        match self {
            Zone::Utc => t.format(format).to_string(),
            Zone::Local => t.with_timezone(&Local).format(format).to_string(),
        }
    }

    /// `2025-03-11 07:42:10Z` in UTC, `2025-03-11 08:42:10+01:00` in local time: a time that
    /// says its zone, for prose.
    pub fn day_time(self, t: DateTime<Utc>) -> String {
        match self {
            Zone::Utc => t.format("%Y-%m-%d %H:%M:%SZ").to_string(),
            Zone::Local => t
                .with_timezone(&Local)
                .format("%Y-%m-%d %H:%M:%S%:z")
                .to_string(),
        }
    }

    /// The zone of the times shown, for a heading: `UTC`, or `UTC+01:00` (`UTC+01:00/+02:00`
    /// across a daylight-saving change; `local` when no time is shown).
    pub fn label(self, times: impl IntoIterator<Item = DateTime<Utc>>) -> String {
        if self == Zone::Utc {
            return "UTC".to_owned();
        }
        let mut offsets: Vec<String> = Vec::new();
        for t in times {
            let offset = t.with_timezone(&Local).format("%:z").to_string();
            if !offsets.contains(&offset) {
                offsets.push(offset);
            }
        }
        offsets.sort();
        if offsets.is_empty() {
            "local".to_owned()
        } else {
            format!("UTC{}", offsets.join("/"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_is_written_as_utc_whatever_the_machine_zone() {
        let t: DateTime<Utc> = "2025-03-11T13:10:02.500Z".parse().unwrap();
        assert_eq!(Zone::Utc.format(t, "%m-%d %H:%M:%S"), "03-11 13:10:02");
        assert_eq!(Zone::Utc.day_time(t), "2025-03-11 13:10:02Z");
        assert_eq!(Zone::Utc.label([t]), "UTC");
    }

    /// Compared with chrono's own conversion on this machine: the test holds whatever the
    /// zone of the machine running it (the integration tests pin `TZ` for exact values).
    #[test]
    fn local_times_say_their_offset() {
        let t: DateTime<Utc> = "2025-03-11T13:10:02Z".parse().unwrap();
        let local = t.with_timezone(&Local);
        assert_eq!(
            Zone::Local.format(t, "%H:%M"),
            local.format("%H:%M").to_string()
        );
        assert_eq!(
            Zone::Local.label([t, t]),
            format!("UTC{}", local.format("%:z"))
        );
        assert!(
            Zone::Local
                .day_time(t)
                .ends_with(&local.format("%:z").to_string())
        );
        assert_eq!(Zone::Local.label([]), "local");
    }
}
