//! Neutralising text that comes from a trace.
//!
//! Every URL, header, user name and module name in a trace was chosen by whoever sent the
//! request (or by the application), so it is attacker-controlled. Printed raw, an escape
//! sequence in a URL can rewrite the admin's terminal; written raw to CSV, `=HYPERLINK(...)`
//! becomes a live formula in Excel. Each output neutralises at its own boundary.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Makes text safe to print on a terminal: control characters (C0, DEL, C1), and the Unicode
/// bidirectional overrides that can reorder what a line appears to say, are shown escaped
/// (`\n`, `\x1b`, `\u{202e}`), never sent raw.
pub(crate) fn terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for ch in text.chars() {
        match ch {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 && needs_escape(c) => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn needs_escape(ch: char) -> bool {
    ch.is_control()
        || matches!(ch, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Makes a CSV cell safe to open in a spreadsheet, following OWASP's advice on CSV injection:
/// a cell that starts with `=`, `+`, `-`, `@`, tab or carriage return gets a leading `'` so that
/// it is read as text, not as a formula. Quoting is the CSV writer's job.
pub(crate) fn csv_cell(text: &str) -> Cow<'_, str> {
    match text.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{text}")),
        _ => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_reach_the_terminal_escaped() {
        assert_eq!(terminal("/a\x1b[31mred"), "/a\\x1b[31mred");
        assert_eq!(terminal("a\r\nb\t"), "a\\r\\nb\\t");
        assert_eq!(terminal("x\u{202e}y"), "x\\u{202e}y");
        assert_eq!(terminal("x\u{9b}y"), "x\\u{9b}y");
        assert_eq!(
            terminal("/api/orders?id=1&x=\u{e9}"),
            "/api/orders?id=1&x=\u{e9}"
        );
    }

    #[test]
    fn formulas_become_text() {
        for bad in ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert!(csv_cell(bad).starts_with('\''), "{bad:?}");
        }
        assert_eq!(csv_cell("http://x/=y"), "http://x/=y");
        assert_eq!(csv_cell(""), "");
    }
}
