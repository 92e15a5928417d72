//! The schema defaults the audit needs, from IIS's own schema files (`IIS_schema.xml` of
//! IIS 10, `arr_schema.xml`, `aspnetcore_schema_v2.xml`, the HttpPlatformHandler v1.2
//! schema), and the value syntax (time spans).
//!
//! An absent attribute is the schema default, not "unknown": an absent `<recycling>` still
//! means a recycle every 29 hours. So the defaults are data here, one table per element kind.

/// `webFarm/applicationRequestRouting/protocol@timeout` (arr_schema.xml). The 30 s default
/// belongs to the farm; the server proxy's own default is two minutes.
pub const FARM_PROTOCOL_TIMEOUT: &str = "00:00:30";

/// Application pool attributes: (child path, attribute, default).
const POOL: &[(&str, &str, &str)] = &[
    ("", "startMode", "OnDemand"),
    ("", "autoStart", "true"),
    ("", "managedRuntimeVersion", ""),
    ("", "enableConfigurationOverride", "true"),
    ("processModel", "idleTimeout", "00:20:00"),
    ("processModel", "idleTimeoutAction", "Terminate"),
    ("processModel", "startupTimeLimit", "00:01:30"),
    ("processModel", "maxProcesses", "1"),
    ("recycling", "disallowOverlappingRotation", "false"),
    ("recycling/periodicRestart", "time", "29:00:00"),
    ("recycling/periodicRestart", "requests", "0"),
    ("recycling/periodicRestart", "memory", "0"),
    ("recycling/periodicRestart", "privateMemory", "0"),
    ("failure", "rapidFailProtection", "true"),
];

/// Site attributes: (child path, attribute, default). `traceFailedRequestsLogging@directory`
/// of a site defaults to the `logs` path; siteDefaults' own schema default lacks `logs`, but
/// setup writes the `logs` path there.
const SITE: &[(&str, &str, &str)] = &[
    ("", "serverAutoStart", "true"),
    ("traceFailedRequestsLogging", "enabled", "false"),
    (
        "traceFailedRequestsLogging",
        "directory",
        "%SystemDrive%\\inetpub\\logs\\FailedReqLogFiles",
    ),
    ("traceFailedRequestsLogging", "maxLogFiles", "50"),
    ("traceFailedRequestsLogging", "maxLogFileSizeKB", "1024"),
];

/// Section attributes: (section path, attribute, default).
const SECTION: &[(&str, &str, &str)] = &[
    ("system.webServer/proxy", "enabled", "false"),
    ("system.webServer/proxy", "timeout", "00:02:00"),
    ("system.webServer/aspNetCore", "requestTimeout", "00:02:00"),
    ("system.webServer/aspNetCore", "startupTimeLimit", "120"),
    ("system.webServer/aspNetCore", "processPath", ""),
    ("system.webServer/aspNetCore", "hostingModel", ""),
    (
        "system.webServer/httpPlatform",
        "requestTimeout",
        "00:02:00",
    ),
    ("system.webServer/httpPlatform", "startupTimeLimit", "10"),
    ("system.webServer/httpPlatform", "processPath", ""),
    (
        "system.webServer/applicationInitialization",
        "doAppInitAfterRestart",
        "false",
    ),
    ("configurationRedirection", "enabled", "false"),
];

/// Sections that only applicationHost.config may set.
const APPHOST_ONLY: &[&str] = &[
    "system.applicationHost",
    "system.webServer/globalModules",
    "system.webServer/proxy",
    "system.webServer/rewrite/globalRules",
    "webFarms",
];

/// Sections checked for web.config overrides of a locked parent.
pub const AUDITED_SECTIONS: &[&[&str]] = &[
    &["system.webServer", "aspNetCore"],
    &["system.webServer", "httpPlatform"],
    &["system.webServer", "tracing", "traceFailedRequests"],
    &["system.webServer", "applicationInitialization"],
];

fn lookup(table: &[(&str, &str, &'static str)], path: &str, attr: &str) -> Option<&'static str> {
    table
        .iter()
        .find(|(p, a, _)| *p == path && *a == attr)
        .map(|(_, _, d)| *d)
}

/// The schema default of a pool attribute.
pub fn pool_default(path: &[&str], attr: &str) -> Option<&'static str> {
    lookup(POOL, &path.join("/"), attr)
}

/// The schema default of a site attribute.
pub fn site_default(path: &[&str], attr: &str) -> Option<&'static str> {
    lookup(SITE, &path.join("/"), attr)
}

/// The schema default of a section attribute.
pub fn section_default(path: &[&str], attr: &str) -> Option<&'static str> {
    lookup(SECTION, &path.join("/"), attr)
}

/// Whether a section may only be set in applicationHost.config.
pub fn is_apphost_only(path: &[&str]) -> bool {
    let joined = path.join("/");
    APPHOST_ONLY
        .iter()
        .any(|s| joined == *s || joined.starts_with(&format!("{s}/")))
}

/// Parses an IIS time span: `hh:mm:ss` (hours may exceed 23), `d.hh:mm:ss`, fractions of a
/// second, or a plain number of seconds (`startupTimeLimit`). `None` when it is none of these.
pub fn parse_timespan(text: &str) -> Option<f64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if !text.contains(':') {
        return text
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0);
    }
    let (days, clock) = match text.split_once('.') {
        Some((d, rest)) if rest.contains(':') && !d.contains(':') => (d.parse::<f64>().ok()?, rest),
        _ => (0.0, text),
    };
    let parts: Vec<&str> = clock.split(':').collect();
    let [h, m, s] = parts.as_slice() else {
        return None;
    };
    let (h, m, s): (f64, f64, f64) = (h.parse().ok()?, m.parse().ok()?, s.parse().ok()?);
    if m >= 60.0 || s >= 60.0 || h < 0.0 || m < 0.0 || s < 0.0 {
        return None;
    }
    Some(days * 86_400.0 + h * 3600.0 + m * 60.0 + s)
}

/// Seconds as people read them: `30 s`, `20 min`, `29 h`, `1 h 30 min`.
pub fn human(seconds: f64) -> String {
    let s = seconds.round() as u64;
    if s == 0 {
        return "0 (off)".into();
    }
    if s < 120 && !s.is_multiple_of(60) {
        return format!("{s} s");
    }
    if s.is_multiple_of(3600) {
        return format!("{} h", s / 3600);
    }
    if s >= 3600 {
        return format!("{} h {} min", s / 3600, (s % 3600) / 60);
    }
    if s.is_multiple_of(60) {
        return format!("{} min", s / 60);
    }
    format!("{s} s")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_spans_as_iis_writes_them() {
        assert_eq!(parse_timespan("00:20:00"), Some(1200.0));
        assert_eq!(parse_timespan("29:00:00"), Some(104_400.0));
        assert_eq!(parse_timespan("1.05:00:00"), Some(104_400.0));
        assert_eq!(parse_timespan("00:00:00.5"), Some(0.5));
        assert_eq!(parse_timespan("120"), Some(120.0));
        for bad in ["", "abc", "00:61:00", "1:2", "-5"] {
            assert_eq!(parse_timespan(bad), None, "{bad}");
        }
    }

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(human(30.0), "30 s");
        assert_eq!(human(1200.0), "20 min");
        assert_eq!(human(104_400.0), "29 h");
        assert_eq!(human(5400.0), "1 h 30 min");
        assert_eq!(human(0.0), "0 (off)");
    }

    #[test]
    fn defaults_follow_the_corrected_arr_timeouts() {
        assert_eq!(
            section_default(&["system.webServer", "proxy"], "timeout"),
            Some("00:02:00")
        );
        assert_eq!(FARM_PROTOCOL_TIMEOUT, "00:00:30");
        assert_eq!(
            pool_default(&["processModel"], "idleTimeout"),
            Some("00:20:00")
        );
        assert!(is_apphost_only(&["system.webServer", "proxy"]));
        assert!(!is_apphost_only(&["system.webServer", "aspNetCore"]));
    }
}
