//! Which traces a run reports on: `--status`, `--since`, `--until`, `--server`, `--site`,
//! `--app-pool` and `--url`, combined with AND.
//!
//! Every filter reads only the root element and the first event, so the fast reader can
//! apply them after a 64 KiB read and skip the rest of a trace that does not match.

use chrono::{DateTime, TimeDelta, Utc};

use crate::duration;
use crate::error::ConfigError;
use crate::model::{Status, Trace};

/// One term of `--status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    /// `502.3`: that status and substatus.
    Exact(Status),
    /// `502`: any substatus of 502.
    Code(u16),
    /// `5xx` or `500-599`: codes in the range, inclusive.
    Range(u16, u16),
}

impl StatusFilter {
    /// True when the status matches.
    pub fn matches(self, status: Status) -> bool {
        match self {
            StatusFilter::Exact(s) => s == status,
            StatusFilter::Code(c) => status.code == c,
            StatusFilter::Range(lo, hi) => (lo..=hi).contains(&status.code),
        }
    }
}

const STATUS_ACCEPTED: &str = "use a code (502), a code with substatus (502.3), a class (5xx), a range (500-599), or a comma list of these";

/// Parses one `--site` value: a site id (`2`) or the name of its FREB folder (`W3SVC2`, any
/// case), which is how admins meet site ids. Returns the id.
pub fn parse_site(text: &str) -> Result<String, ConfigError> {
    let trimmed = text.trim();
    let digits = match trimmed.get(..5) {
        Some(prefix) if prefix.eq_ignore_ascii_case("W3SVC") => &trimmed[5..],
        _ => trimmed,
    };
    match digits.parse::<u32>() {
        Ok(id) if !digits.starts_with('+') => Ok(id.to_string()),
        _ => Err(ConfigError::InvalidFilter {
            flag: "--site",
            value: text.to_owned(),
            expected: "use site ids (2) or FREB folder names (W3SVC2), comma-separated".into(),
        }),
    }
}

/// Parses `502,502.3,5xx,500-599`.
pub fn parse_status_list(text: &str) -> Result<Vec<StatusFilter>, ConfigError> {
    let invalid = || ConfigError::InvalidFilter {
        flag: "--status",
        value: text.to_owned(),
        expected: STATUS_ACCEPTED.to_owned(),
    };
    let mut out = Vec::new();
    for term in text.split(',').map(str::trim) {
        out.push(parse_status_term(term).ok_or_else(invalid)?);
    }
    Ok(out)
}

fn parse_status_term(term: &str) -> Option<StatusFilter> {
    let valid = |code: u16| (100..=999).contains(&code);
    if let Some(class) = term.strip_suffix("xx").or_else(|| term.strip_suffix("XX")) {
        let digit: u16 = class.parse().ok().filter(|d| (1..=9).contains(d))?;
        return Some(StatusFilter::Range(digit * 100, digit * 100 + 99));
    }
    if let Some((lo, hi)) = term.split_once('-') {
        let (lo, hi): (u16, u16) = (lo.trim().parse().ok()?, hi.trim().parse().ok()?);
        return (valid(lo) && valid(hi) && lo <= hi).then_some(StatusFilter::Range(lo, hi));
    }
    if term.contains('.') {
        let status = Status::parse(term)?;
        return valid(status.code).then_some(StatusFilter::Exact(status));
    }
    let code: u16 = term.parse().ok()?;
    valid(code).then_some(StatusFilter::Code(code))
}

const TIME_ACCEPTED: &str = "use a date (2026-06-08), a local date and time (\"2026-06-08 13:00\"), \
     an RFC 3339 time (2026-06-08T19:54:51Z, 2026-06-08T21:54:51+02:00) \
     or a time ago, as a duration (90m, 1.5h, 3d, 1w)";

/// Parses `--since`/`--until`: RFC 3339, or a time ago before `now` in the duration grammar
/// of [`crate::duration`].
pub fn parse_time(
    flag: &'static str,
    text: &str,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, ConfigError> {
    let invalid = |expected: &str| ConfigError::InvalidFilter {
        flag,
        value: text.to_owned(),
        expected: expected.to_owned(),
    };
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Some(local) = local_date_time(text) {
        return local.ok_or_else(|| invalid("that local time does not exist (a clock change)"));
    }
    let too_far = || invalid("that is further back than a time can be");
    let ago = match duration::parse_duration(text) {
        Ok(ago) => ago,
        Err(duration::Problem::Syntax) => return Err(invalid(TIME_ACCEPTED)),
        Err(duration::Problem::TooLarge) => return Err(too_far()),
    };
    let ago = TimeDelta::from_std(ago).map_err(|_| too_far())?;
    now.checked_sub_signed(ago).ok_or_else(too_far)
}

/// A date (`2026-06-08`, its midnight) or a date and time without a zone
/// (`2026-06-08 13:00`, `2026-06-08T13:00:05`), in the viewer's local time zone: how people
/// type a time. `Some(None)` for a local time a clock change skips.
fn local_date_time(text: &str) -> Option<Option<DateTime<Utc>>> {
    use chrono::{Local, NaiveDate, NaiveDateTime, TimeZone};
    let naive = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .or_else(|| {
            [
                "%Y-%m-%d %H:%M",
                "%Y-%m-%d %H:%M:%S",
                "%Y-%m-%dT%H:%M",
                "%Y-%m-%dT%H:%M:%S",
            ]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        })?;
    Some(
        Local
            .from_local_datetime(&naive)
            .earliest()
            .map(|t| t.with_timezone(&Utc)),
    )
}

/// All filters of a run. Empty lists and `None` mean "no restriction".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// `--status`.
    pub status: Vec<StatusFilter>,
    /// `--since`: first event at or after.
    pub since: Option<DateTime<Utc>>,
    /// `--until`: first event before.
    pub until: Option<DateTime<Utc>>,
    /// `--server`, compared case-insensitively with `System/Computer`.
    pub servers: Vec<String>,
    /// `--site`: site ids.
    pub sites: Vec<String>,
    /// `--app-pool`, case-insensitive.
    pub app_pools: Vec<String>,
    /// `--url`: case-insensitive substring.
    pub url: Option<String>,
}

impl Filters {
    /// True when no filter is set.
    pub fn is_empty(&self) -> bool {
        *self == Filters::default()
    }

    /// True when the trace passes every filter.
    pub fn matches(&self, trace: &Trace) -> bool {
        self.status_matches(trace)
            && self.time_matches(trace)
            && any_eq(&self.servers, &trace.server)
            && any_eq(&self.sites, &trace.site_id)
            && any_eq(&self.app_pools, &trace.app_pool)
            && self.url_matches(trace)
    }

    fn status_matches(&self, trace: &Trace) -> bool {
        self.status.is_empty() || self.status.iter().any(|f| f.matches(trace.status))
    }

    fn time_matches(&self, trace: &Trace) -> bool {
        if self.since.is_none() && self.until.is_none() {
            return true;
        }
        let Some(t) = trace.start_time else {
            return false;
        };
        self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t < u)
    }

    fn url_matches(&self, trace: &Trace) -> bool {
        self.url
            .as_ref()
            .is_none_or(|needle| trace.url.to_lowercase().contains(&needle.to_lowercase()))
    }
}

fn any_eq(wanted: &[String], value: &str) -> bool {
    wanted.is_empty() || wanted.iter().any(|w| w.eq_ignore_ascii_case(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trace(status: &str) -> Trace {
        Trace {
            status: Status::parse(status).unwrap(),
            ..Trace::default()
        }
    }

    #[test]
    fn status_terms() {
        let f = parse_status_list("502.3,404,5xx,400-401").unwrap();
        assert_eq!(f[0], StatusFilter::Exact(Status::new(502, 3)));
        assert_eq!(f[1], StatusFilter::Code(404));
        assert_eq!(f[2], StatusFilter::Range(500, 599));
        assert_eq!(f[3], StatusFilter::Range(400, 401));
        for bad in ["", "abc", "5x", "600-500", "0xx", "502.x", "99", "1000"] {
            assert!(parse_status_list(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn code_matches_every_substatus_but_exact_does_not() {
        let filters = Filters {
            status: parse_status_list("502").unwrap(),
            ..Filters::default()
        };
        assert!(filters.matches(&trace("502.3")));
        assert!(filters.matches(&trace("502")));
        assert!(!filters.matches(&trace("500")));
        let exact = Filters {
            status: parse_status_list("502.3").unwrap(),
            ..Filters::default()
        };
        assert!(exact.matches(&trace("502.3")));
        assert!(!exact.matches(&trace("502.4")));
    }

    #[test]
    fn relative_and_absolute_times() {
        let now = DateTime::parse_from_rfc3339("2026-06-08T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let t = parse_time("--since", "2h", now).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-06-08T10:00:00+00:00");
        let t = parse_time("--since", "2026-06-08T14:00:00+02:00", now).unwrap();
        assert_eq!(t, now);
        let day = parse_time("--since", "2026-06-08", now).unwrap();
        let minute = parse_time("--since", "2026-06-08 13:00", now).unwrap();
        assert_eq!(minute - day, TimeDelta::hours(13), "both local");
        let err = parse_time("--since", "yesterday", now).unwrap_err();
        assert!(err.to_string().contains("RFC 3339"));
        let t = parse_time("--since", "1.5h", now).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-06-08T10:30:00+00:00");
        let t = parse_time("--until", "1d", now).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-06-07T12:00:00+00:00");
        for far in ["99999999999999999999w", "999999999999d"] {
            let err = parse_time("--since", far, now).unwrap_err();
            assert!(err.to_string().contains("further back"), "{far}: {err}");
        }
    }

    #[test]
    fn filters_combine() {
        let filters = Filters {
            status: parse_status_list("5xx").unwrap(),
            servers: vec!["web01".into()],
            url: Some("/API/".into()),
            ..Filters::default()
        };
        let mut t = trace("502.3");
        t.server = "WEB01".into();
        t.url = "http://x/api/orders".into();
        assert!(filters.matches(&t));
        t.server = "WEB02".into();
        assert!(!filters.matches(&t));
    }
}
