//! Turning trace values into terminal text: escaped, on one line, short enough to read.
//!
//! Every value of a trace is attacker-controlled and may hold newlines, escape sequences or a
//! whole HTML page, so everything that leaves this module has gone through
//! [`sanitize::terminal`](crate::sanitize::terminal) and a length cap.

use crate::codes;
use crate::model::{ErrorCode, Status};
use crate::parse::event::EventRecord;
use crate::sanitize::terminal;

/// Longest value printed on a timeline line, in characters.
pub(crate) const SHORT: usize = 100;
/// Longest line printed in a block (a header, a line of stderr), in characters.
pub(crate) const LONG: usize = 240;
/// Most lines printed from one multi-line value outside `--all`.
pub(crate) const MAX_BLOCK_LINES: usize = 12;

/// `text` escaped, trimmed of surrounding whitespace, and cut at `max` characters with an
/// ellipsis. Line breaks become visible `\r\n`, so the result is always one line.
pub(crate) fn one_line(text: &str, max: usize) -> String {
    shorten(&terminal(text.trim()), max)
}

/// Cuts already escaped text at `max` characters, marking the cut with `…`.
pub(crate) fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let kept: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{kept}…")
}

/// The lines of a multi-line value (stderr, a header block), each escaped and shortened,
/// blank lines dropped.
pub(crate) fn block_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(|line| line.trim_end_matches('\r'))
        .filter(|line| !line.trim().is_empty())
        .map(|line| one_line(line, LONG))
        .collect()
}

/// A `freb:Description` cleaned of what FormatMessage leaves in it: the line break IIS keeps
/// as a bare CR (or an LF once an XML parser normalised it) and the ` (0x…)` suffix that
/// repeats the code.
pub(crate) fn clean_description(text: &str) -> String {
    let text = text.trim();
    let text = match text.rfind(" (0x") {
        Some(at) if text.ends_with(')') => &text[..at],
        _ => text,
    };
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// An `ErrorCode` as hex with its symbolic name and IIS's description when known:
/// `0x80072EFD ERROR_WINHTTP_CANNOT_CONNECT`. Garbage is shown as written.
pub(crate) fn error_code(raw: &str, description: Option<&str>) -> String {
    let Some(code) = ErrorCode::parse(raw) else {
        return one_line(raw, SHORT);
    };
    let mut text = code.to_string();
    if let Some(name) = codes::error_name(code) {
        text.push(' ');
        text.push_str(name);
    }
    // Zero means the module chose the status itself; FormatMessage's "The operation completed
    // successfully" adds nothing to that.
    if let Some(description) = description.map(clean_description)
        && !description.is_empty()
        && !code.is_success()
    {
        text.push_str(&format!(" ({})", one_line(&description, SHORT)));
    }
    text
}

/// A notification number by name (`128` -> `EXECUTE_REQUEST_HANDLER`), preferring the name IIS
/// wrote in the event.
pub(crate) fn notification(event: &EventRecord) -> Option<String> {
    if let Some(text) = event.description("Notification")
        && !text.trim().is_empty()
    {
        return Some(one_line(text, SHORT));
    }
    let raw = event.data("Notification")?;
    Some(
        match raw.trim().parse().ok().and_then(codes::notification_name) {
            Some(name) => name.to_owned(),
            None => one_line(raw, SHORT),
        },
    )
}

/// A status with its meaning: `502.3 Bad Gateway: forwarder connection error (ARR)`.
pub(crate) fn status_with_meaning(status: Status, module: &str) -> String {
    match codes::status_meaning(status, module).or_else(|| reason_phrase(status)) {
        Some(meaning) => format!("{status} {meaning}"),
        None => status.to_string(),
    }
}

/// The HTTP reason phrase, with the IIS substatus meaning for the 4xx codes people meet in
/// traces; 5xx meanings come from [`codes::status_meaning`].
fn reason_phrase(status: Status) -> Option<&'static str> {
    Some(match (status.code, status.sub) {
        (500, _) => "Internal Server Error",
        (503, _) => "Service Unavailable",
        (504, _) => "Gateway Timeout",
        (502, _) => "Bad Gateway",
        (401, 1) => "Unauthorized: logon failed",
        (401, 2) => "Unauthorized: logon failed due to server configuration",
        (401, 3) => "Unauthorized: denied by the resource ACL",
        (401, _) => "Unauthorized",
        (403, 14) => "Forbidden: directory listing denied",
        (403, 18) => "Forbidden: cannot execute the request from this application pool",
        (403, 502) => "Forbidden: dynamic IP restriction",
        (403, 503) => "Forbidden: IP address rejected",
        (403, _) => "Forbidden",
        (404, 0) => "Not Found",
        (404, 2) => "Not Found: denied by ISAPI and CGI restrictions",
        (404, 3) => "Not Found: MIME map policy",
        (404, 4) => "Not Found: no handler",
        (404, 5) => "Not Found: denied by request filtering (URL sequence)",
        (404, 6) => "Not Found: verb denied by request filtering",
        (404, 7) => "Not Found: file extension denied by request filtering",
        (404, 8) => "Not Found: hidden segment denied by request filtering",
        (404, 11) => "Not Found: double escape sequence denied by request filtering",
        (404, 13) => "Not Found: content length too large",
        (404, 14) => "Not Found: URL too long",
        (404, 15) => "Not Found: query string too long",
        (404, _) => "Not Found",
        (405, _) => "Method Not Allowed",
        (400, _) => "Bad Request",
        (413, _) => "Request Entity Too Large",
        (200, _) => "OK",
        (301, _) => "Moved Permanently",
        (302, _) => "Found",
        (304, _) => "Not Modified",
        (307, _) => "Temporary Redirect",
        (308, _) => "Permanent Redirect",
        _ => return None,
    })
}

/// One `Data` item as freb.xsl's compact view shows it: the description IIS wrote for it
/// when there is one, otherwise the raw value; `ErrorCode` decoded.
pub(crate) fn data_value(event: &EventRecord, name: &str, raw: &str, max: usize) -> String {
    let description = event.description(name);
    if name == "ErrorCode" {
        return error_code(raw, description);
    }
    match description {
        Some(text) if !text.trim().is_empty() => one_line(&clean_description(text), max),
        _ => one_line(raw, max),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_cut_on_one_line() {
        assert_eq!(one_line("a\r\nb", 10), "a\\r\\nb");
        assert_eq!(one_line(&"x".repeat(50), 10), format!("{}…", "x".repeat(9)));
        assert_eq!(one_line("\x1b[2J", 10), "\\x1b[2J");
    }

    #[test]
    fn error_codes_are_hex_with_names() {
        assert_eq!(
            error_code("2147954429", None),
            "0x80072EFD ERROR_WINHTTP_CANNOT_CONNECT"
        );
        assert_eq!(
            error_code(
                "2147942402",
                Some("The system cannot find the file specified.\r (0x80070002)")
            ),
            "0x80070002 ERROR_FILE_NOT_FOUND (The system cannot find the file specified.)"
        );
        assert_eq!(error_code("junk\x1b", None), "junk\\x1b");
    }

    #[test]
    fn statuses_carry_their_meaning() {
        let s = |t| Status::parse(t).unwrap_or_default();
        assert_eq!(
            status_with_meaning(s("502.3"), "ApplicationRequestRouting"),
            "502.3 Bad Gateway: forwarder connection error"
        );
        assert!(status_with_meaning(s("502.3"), "AspNetCoreModuleV2").contains("out-of-process"));
        assert_eq!(
            status_with_meaning(s("404.7"), ""),
            "404.7 Not Found: file extension denied by request filtering"
        );
        assert_eq!(status_with_meaning(s("599.7"), ""), "599.7");
    }
}
