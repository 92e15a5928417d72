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
    ch.is_control() || is_bidi_control(ch)
}

/// The Unicode bidirectional formatting characters: marks (ALM U+061C, LRM, RLM), embeddings
/// and overrides (U+202A–U+202E) and isolates (U+2066–U+2069).
fn is_bidi_control(ch: char) -> bool {
    matches!(ch, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Longest escape sequence the guard waits for: frebscope's own colours are a few bytes.
const MAX_SGR: usize = 24;

/// The last line of defence for everything that reaches a terminal: a writer that passes text,
/// line feeds, tabs and SGR colour sequences (`ESC [ digits ; digits m`, which only change
/// colours), and escapes everything else a terminal would act on (other escape sequences,
/// BEL, carriage returns, C1 controls, bidi controls, bytes that are not UTF-8) the way
/// [`terminal`] does. The binary writes standard error, and standard output whenever it
/// carries text for people or is a terminal, through it, so a value that some renderer forgot
/// to escape still cannot retitle the window or wipe the screen.
pub struct TerminalGuard<W: std::io::Write> {
    inner: W,
    pending: Vec<u8>,
    out: Vec<u8>,
}

impl<W: std::io::Write> TerminalGuard<W> {
    /// Guards `inner`.
    pub fn new(inner: W) -> Self {
        TerminalGuard {
            inner,
            pending: Vec::new(),
            out: Vec::new(),
        }
    }

    fn drain(&mut self, last: bool) -> std::io::Result<()> {
        let used = escape_bytes(&self.pending, &mut self.out, last);
        self.pending.drain(..used);
        self.inner.write_all(&self.out)?;
        self.out.clear();
        Ok(())
    }
}

impl<W: std::io::Write> std::io::Write for TerminalGuard<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        self.drain(false)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.drain(true)?;
        self.inner.flush()
    }
}

impl<W: std::io::Write> Drop for TerminalGuard<W> {
    fn drop(&mut self) {
        let _ = std::io::Write::flush(self);
    }
}

/// Escapes `input` into `out`; returns how many bytes were used. Unless `last`, an incomplete
/// UTF-8 character or escape sequence at the end is left for the next call.
fn escape_bytes(input: &[u8], out: &mut Vec<u8>, last: bool) -> usize {
    let mut i = 0;
    while i < input.len() {
        let byte = input[i];
        if byte == 0x1b {
            match sgr_length(&input[i..]) {
                Some(Some(n)) => {
                    out.extend_from_slice(&input[i..i + n]);
                    i += n;
                    continue;
                }
                None if !last => return i,
                _ => {}
            }
        }
        if byte < 0x80 {
            if byte == b'\n' || byte == b'\t' || !(byte < 0x20 || byte == 0x7f) {
                out.push(byte);
            } else {
                out.extend_from_slice(terminal(&char::from(byte).to_string()).as_bytes());
            }
            i += 1;
            continue;
        }
        let width = utf8_width(byte);
        if i + width > input.len() && !last {
            return i;
        }
        match input
            .get(i..i + width)
            .and_then(|b| std::str::from_utf8(b).ok())
        {
            Some(text) => {
                out.extend_from_slice(terminal(text).as_bytes());
                i += width;
            }
            None => {
                out.extend_from_slice(format!("\\x{byte:02x}").as_bytes());
                i += 1;
            }
        }
    }
    i
}

/// For bytes starting with ESC: `Some(Some(n))` for a complete SGR sequence of `n` bytes,
/// `Some(None)` for anything else, `None` when more bytes are needed to tell.
fn sgr_length(bytes: &[u8]) -> Option<Option<usize>> {
    match bytes.get(1) {
        None => return None,
        Some(b'[') => {}
        Some(_) => return Some(None),
    }
    for (n, &b) in bytes.iter().enumerate().skip(2).take(MAX_SGR) {
        match b {
            b'm' => return Some(Some(n + 1)),
            b'0'..=b'9' | b';' => {}
            _ => return Some(None),
        }
    }
    if bytes.len() >= MAX_SGR {
        Some(None)
    } else {
        None
    }
}

/// The length of a UTF-8 character from its first byte (1 for a byte that cannot start one).
fn utf8_width(first: u8) -> usize {
    match first {
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => 1,
    }
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

/// A CSV writer for cells from traces. Besides what CSV needs quoted (`,`, `"`, line breaks),
/// it quotes every cell holding `;`: Excel in a locale whose list separator is `;` splits an
/// unquoted `x;=cmd|' /C calc'!A0` into a second cell that is a live formula. (The csv crate
/// quotes a cell that holds its comment character anywhere; `;` is given as that character
/// for this effect alone: the files are never read back with comments.)
pub(crate) fn csv_writer<W: std::io::Write>(out: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .comment(Some(b';'))
        .from_writer(out)
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
        assert_eq!(terminal("x\u{61c}y"), "x\\u{61c}y");
        assert_eq!(
            terminal("/api/orders?id=1&x=\u{e9}"),
            "/api/orders?id=1&x=\u{e9}"
        );
    }

    fn guarded(chunks: &[&[u8]]) -> String {
        use std::io::Write;
        let mut out = Vec::new();
        {
            let mut guard = TerminalGuard::new(&mut out);
            for chunk in chunks {
                guard.write_all(chunk).unwrap();
            }
            guard.flush().unwrap();
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_guard_passes_colours_and_escapes_the_rest() {
        assert_eq!(
            guarded(&[b"\x1b[1;31m502.3\x1b[0m ok\n\tnext"]),
            "\x1b[1;31m502.3\x1b[0m ok\n\tnext"
        );
        assert_eq!(
            guarded(&[b"a\x1b]0;owned\x07b\x1b[2Jc\rd"]),
            "a\\x1b]0;owned\\x07b\\x1b[2Jc\\rd"
        );
        // Split anywhere, inside a character or a sequence, the result is the same.
        let text = "é\u{202e}\u{61c}\x1b[33mx\x1b[0m\u{9b}".as_bytes();
        let whole = guarded(&[text]);
        assert_eq!(whole, "é\\u{202e}\\u{61c}\x1b[33mx\x1b[0m\\u{9b}");
        for cut in 0..text.len() {
            assert_eq!(
                guarded(&[&text[..cut], &text[cut..]]),
                whole,
                "cut at {cut}"
            );
        }
        assert_eq!(guarded(&[b"\xff\x9b[2J"]), "\\xff\\x9b[2J");
        assert_eq!(guarded(&[b"end\x1b"]), "end\\x1b");
    }

    #[test]
    fn formulas_become_text() {
        for bad in ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert!(csv_cell(bad).starts_with('\''), "{bad:?}");
        }
        assert_eq!(csv_cell("http://x/=y"), "http://x/=y");
        assert_eq!(csv_cell(""), "");
    }

    #[test]
    fn cells_holding_a_semicolon_are_quoted() {
        let mut writer = csv_writer(Vec::new());
        writer
            .write_record(
                ["x;=cmd|' /C calc'!A0", "plain", "=1+1"].map(|c| csv_cell(c).into_owned()),
            )
            .unwrap();
        let text = String::from_utf8(writer.into_inner().unwrap()).unwrap();
        assert_eq!(text, "\"x;=cmd|' /C calc'!A0\",plain,'=1+1\n");
    }
}
