//! The one duration grammar of the command line, for the diagnosis timeouts
//! (`--arr-timeout 1d`) and the times ago of `--since`/`--until` (`--since 1.5h`) alike.
//!
//! A duration is a number with an optional unit, or an IIS time span:
//!
//! | form | examples |
//! |---|---|
//! | a number of seconds | `30`, `1.5` |
//! | a number and a unit: `ms`, `s`, `m`, `h`, `d` or `w` | `500ms`, `30s`, `2m`, `1.5h`, `1d`, `1w` |
//! | an IIS time span `[days.]hh:mm:ss[.fraction]`, as `applicationHost.config` writes them | `00:02:00`, `1.00:00:00` |
//!
//! Numbers are read as decimals, never through floating point, and every step is checked:
//! a value too large for a duration is an error that says so, not a wrapped or saturated value.

use std::time::Duration;

use crate::error::ConfigError;

/// What a duration may look like, for the error messages.
const ACCEPTED: &str = "use seconds (30, 1.5), a number and a unit: ms s m h d w \
     (500ms, 30s, 2m, 1.5h, 1d), or an IIS time span ([d.]hh:mm:ss, 00:02:00)";

const NANOS_PER_SEC: u128 = 1_000_000_000;

/// Parses a duration for `flag`, as the module documentation describes.
pub fn parse(flag: &'static str, text: &str) -> Result<Duration, ConfigError> {
    parse_duration(text).map_err(|problem| ConfigError::InvalidFilter {
        flag,
        value: text.to_owned(),
        expected: match problem {
            Problem::Syntax => ACCEPTED,
            Problem::TooLarge => "the duration is too large",
        }
        .to_owned(),
    })
}

/// Why a text is not a duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// It does not follow the grammar.
    Syntax,
    /// It does, but no duration is that long.
    TooLarge,
}

/// Parses a duration, saying only what is wrong; [`parse`] words it for a flag.
pub fn parse_duration(text: &str) -> Result<Duration, Problem> {
    let nanos = parse_nanos(text.trim())?;
    let secs = u64::try_from(nanos / NANOS_PER_SEC).map_err(|_| Problem::TooLarge)?;
    // The remainder is below one second, so it fits.
    Ok(Duration::new(secs, (nanos % NANOS_PER_SEC) as u32))
}

fn parse_nanos(text: &str) -> Result<u128, Problem> {
    if text.contains(':') {
        return parse_time_span(text);
    }
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let unit_nanos: u128 = match unit {
        "" | "s" => NANOS_PER_SEC,
        "ms" => 1_000_000,
        "m" => 60 * NANOS_PER_SEC,
        "h" => 3_600 * NANOS_PER_SEC,
        "d" => 86_400 * NANOS_PER_SEC,
        "w" => 604_800 * NANOS_PER_SEC,
        _ => return Err(Problem::Syntax),
    };
    scaled(number, unit_nanos)
}

/// `[d.]hh:mm:ss[.fraction]`: minutes and seconds below 60, hours below 24 when days are given.
fn parse_time_span(text: &str) -> Result<u128, Problem> {
    let [hours, minutes, seconds] = text.split(':').collect::<Vec<_>>()[..] else {
        return Err(Problem::Syntax);
    };
    let (days, hours) = match hours.split_once('.') {
        Some((days, hours)) => (whole(days)?, whole(hours)?),
        None => (0, whole(hours)?),
    };
    let minutes = whole(minutes)?;
    let seconds = scaled(seconds, NANOS_PER_SEC)?;
    let hours_limit_ok = days == 0 || hours < 24;
    if minutes >= 60 || seconds >= 60 * NANOS_PER_SEC || !hours_limit_ok {
        return Err(Problem::Syntax);
    }
    let whole_seconds = days
        .checked_mul(86_400)
        .and_then(|d| hours.checked_mul(3_600)?.checked_add(d))
        .and_then(|s| s.checked_add(minutes * 60))
        .ok_or(Problem::TooLarge)?;
    whole_seconds
        .checked_mul(NANOS_PER_SEC)
        .and_then(|n| n.checked_add(seconds))
        .ok_or(Problem::TooLarge)
}

/// Digits only.
fn whole(text: &str) -> Result<u128, Problem> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Problem::Syntax);
    }
    text.parse().map_err(|_| Problem::TooLarge)
}

/// A decimal number (`1.5`, `.5`, `2.`) times `unit` nanoseconds, rounded down to whole
/// nanoseconds.
fn scaled(number: &str, unit: u128) -> Result<u128, Problem> {
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    if int.is_empty() && frac.is_empty() {
        return Err(Problem::Syntax);
    }
    let int = if int.is_empty() { 0 } else { whole(int)? };
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Problem::Syntax);
    }
    // Digits past the nanosecond cannot change the result of any unit here.
    let frac = &frac[..frac.len().min(18)];
    let frac_nanos = if frac.is_empty() {
        0
    } else {
        let digits: u128 = frac.parse().map_err(|_| Problem::Syntax)?;
        digits * unit / 10u128.pow(frac.len() as u32)
    };
    int.checked_mul(unit)
        .and_then(|n| n.checked_add(frac_nanos))
        .ok_or(Problem::TooLarge)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Duration {
        parse("--x", text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn numbers_units_and_time_spans() {
        let secs = Duration::from_secs;
        assert_eq!(ok("30"), secs(30));
        assert_eq!(ok("30s"), secs(30));
        assert_eq!(ok(" 2m "), secs(120));
        assert_eq!(ok("1.5h"), secs(5_400));
        assert_eq!(ok("1d"), secs(86_400));
        assert_eq!(ok("1w"), secs(604_800));
        assert_eq!(ok("500ms"), Duration::from_millis(500));
        assert_eq!(ok("1.5s"), Duration::from_millis(1_500));
        assert_eq!(ok(".5m"), secs(30));
        assert_eq!(ok("0"), Duration::ZERO);
        assert_eq!(ok("00:02:00"), secs(120));
        assert_eq!(ok("01:30:00.5"), Duration::from_millis(5_400_500));
        assert_eq!(ok("1.00:00:00"), secs(86_400));
        assert_eq!(ok("48:00:00"), secs(172_800));
    }

    #[test]
    fn fractions_are_exact() {
        assert_eq!(ok("0.1s"), Duration::from_millis(100));
        assert_eq!(ok("0.001s"), Duration::from_millis(1));
        assert_eq!(ok("1.000000001s"), Duration::new(1, 1));
        assert_eq!(ok("0.3h"), Duration::from_secs(1_080));
    }

    #[test]
    fn malformed_values_say_what_is_accepted() {
        for bad in [
            "",
            "abc",
            "2x",
            "00:61:00",
            "1:2",
            "-5s",
            "1.2.3s",
            "s",
            ".",
            "1 h",
            "1.24:00:00",
            "00:00:60",
            "1e3",
        ] {
            let err = parse("--x", bad).unwrap_err().to_string();
            assert!(err.contains("IIS time span"), "{bad}: {err}");
            assert!(err.contains("--x"), "{bad}: {err}");
        }
    }

    #[test]
    fn overflow_is_an_error_not_a_wrap() {
        for huge in [
            "99999999999999999:00:00",
            "99999999999999999999999999999999999999999s",
            "18446744073709551616",
            "99999999999999999999w",
        ] {
            let err = parse("--startup-window", huge).unwrap_err().to_string();
            assert!(err.contains("too large"), "{huge}: {err}");
        }
        assert_eq!(ok("18446744073709551615"), Duration::from_secs(u64::MAX));
    }
}
