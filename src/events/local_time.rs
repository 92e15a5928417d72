//! PowerShell's `TimeCreated`: a local time in the exporting machine's culture.
//!
//! `Export-Csv` writes `DateTime.ToString()`: `5/31/2026 4:36:21 PM` under en-US,
//! `31/05/2026 16:36:21` under en-GB or fr-FR, `31.05.2026 16:36:21` under de-DE,
//! `2026-05-31 16:36:21` under sv-SE, all without a zone and without milliseconds. Nothing in
//! the file says which zone: the user says it (`--events-utc-offset`), and a value that carries
//! its own zone (pwsh's ISO form with an offset) needs none. A slash date with AM/PM is read
//! month first (en-US), a slash date on a 24-hour clock day first (en-GB, fr-FR, es-ES...).

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

/// A time as written: with its zone, or local.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Written {
    /// The value said its zone (or was UTC by definition).
    Absolute(DateTime<Utc>),
    /// A wall-clock time of an unknown zone.
    Local(NaiveDateTime),
}

impl Written {
    /// The UTC time, given the offset of local times; `None` when a local time has none.
    pub(super) fn to_utc(self, offset: Option<FixedOffset>) -> Option<DateTime<Utc>> {
        match self {
            Written::Absolute(t) => Some(t),
            Written::Local(t) => offset
                .and_then(|o| o.from_local_datetime(&t).single())
                .map(|t| t.with_timezone(&Utc)),
        }
    }
}

/// Reads one of the common forms; `None` for anything else (never guessed).
pub(super) fn parse(text: &str) -> Option<Written> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(Written::Absolute(t.with_timezone(&Utc)));
    }
    if let Ok(t) = DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%:z") {
        return Some(Written::Absolute(t.with_timezone(&Utc)));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Some(Written::Local(t));
        }
    }
    culture_form(text).map(Written::Local)
}

/// `M/d/yyyy h:mm:ss tt`, `dd/MM/yyyy HH:mm:ss`, `dd.MM.yyyy HH:mm:ss`.
fn culture_form(text: &str) -> Option<NaiveDateTime> {
    let mut parts = text.split_whitespace();
    let date = parts.next()?;
    let time = parts.next()?;
    let meridiem = parts.next().map(str::to_ascii_uppercase);
    if parts.next().is_some() {
        return None;
    }
    let (separator, month_first) = if date.contains('/') {
        ('/', meridiem.is_some())
    } else if date.contains('.') {
        ('.', false)
    } else if date.contains('-') {
        ('-', false)
    } else {
        return None;
    };
    let fields: Vec<u32> = date
        .split(separator)
        .map(|f| f.parse().ok())
        .collect::<Option<_>>()?;
    let [a, b, year] = fields.as_slice() else {
        return None;
    };
    let (month, day) = if month_first { (*a, *b) } else { (*b, *a) };
    let date = NaiveDate::from_ymd_opt(i32::try_from(*year).ok()?, month, day)?;
    let time = NaiveTime::parse_from_str(time, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(time, "%H:%M"))
        .ok()?;
    let time = match meridiem.as_deref() {
        None => time,
        Some(m) => twelve_hour(time, m)?,
    };
    Some(date.and_time(time))
}

fn twelve_hour(time: NaiveTime, meridiem: &str) -> Option<NaiveTime> {
    use chrono::Timelike;
    let hour = time.hour();
    if !(1..=12).contains(&hour) {
        return None;
    }
    let hour24 = match meridiem {
        "AM" => hour % 12,
        "PM" => hour % 12 + 12,
        _ => return None,
    };
    time.with_hour(hour24)
}

/// `+02:00`, `-05:00`, `+0530`, `UTC`, `Z`: the offset of `--events-utc-offset`.
pub fn parse_offset(text: &str) -> Option<FixedOffset> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("utc") || text.eq_ignore_ascii_case("z") {
        return FixedOffset::east_opt(0);
    }
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let (hours, minutes) = match rest.split_once(':') {
        Some((h, m)) => (h, m),
        None if rest.len() == 4 => rest.split_at(2),
        None => (rest, "0"),
    };
    let hours: i32 = hours.parse().ok()?;
    let minutes: i32 = minutes.parse().ok()?;
    if hours > 14 || minutes >= 60 {
        return None;
    }
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(text: &str) -> String {
        match parse(text) {
            Some(Written::Local(t)) => t.to_string(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn culture_forms() {
        assert_eq!(local("5/31/2026 4:36:21 PM"), "2026-05-31 16:36:21");
        assert_eq!(local("3/11/2025 12:08:30 AM"), "2025-03-11 00:08:30");
        assert_eq!(local("19/04/2023 13:59:09"), "2023-04-19 13:59:09");
        assert_eq!(local("04/05/2023 13:59:09"), "2023-05-04 13:59:09");
        assert_eq!(local("31.05.2026 16:36:21"), "2026-05-31 16:36:21");
        assert_eq!(local("2026-05-31 16:36:21"), "2026-05-31 16:36:21");
        assert_eq!(
            local("2026-05-31T16:36:21.1234567"),
            "2026-05-31 16:36:21.123456700"
        );
    }

    #[test]
    fn zones_in_the_value_need_no_offset() {
        let t = parse("2026-05-31T16:36:21.1234567+02:00").unwrap();
        assert_eq!(
            t.to_utc(None).unwrap().to_rfc3339(),
            "2026-05-31T14:36:21.123456700+00:00"
        );
        assert!(matches!(
            parse("2019-11-19T22:32:50Z"),
            Some(Written::Absolute(_))
        ));
    }

    #[test]
    fn local_times_need_an_offset() {
        let t = parse("5/31/2026 4:36:21 PM").unwrap();
        assert_eq!(t.to_utc(None), None);
        let t = t.to_utc(parse_offset("-04:00")).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-05-31T20:36:21+00:00");
    }

    #[test]
    fn garbage_is_refused() {
        for bad in [
            "",
            "yesterday",
            "13/31/2026 4:00:00 PM",
            "31/05/2026",
            "5/31/2026 13:00:00 PM",
            "1.2.3.4 10:00:00",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn offsets() {
        assert_eq!(parse_offset("+02:00").unwrap().local_minus_utc(), 7200);
        assert_eq!(parse_offset("-0530").unwrap().local_minus_utc(), -19800);
        assert_eq!(parse_offset("+1").unwrap().local_minus_utc(), 3600);
        assert_eq!(parse_offset("UTC").unwrap().local_minus_utc(), 0);
        for bad in ["2", "+25:00", "+02:75", "CET"] {
            assert!(parse_offset(bad).is_none(), "{bad}");
        }
    }
}
