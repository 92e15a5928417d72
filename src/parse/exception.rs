//! The exception an application's error page names, read from a captured response body.
//!
//! When an ASP.NET application throws, the worker writes its error page into the response, and
//! FREB captures it in `GENERAL_RESPONSE_ENTITY_BUFFER` (`Buffer`): the classic "yellow screen
//! of death" holds `<b> Exception Details: </b>System.InvalidOperationException: message<br>`,
//! ASP.NET Core's developer page `<div class="titleerror">InvalidOperationException: message
//! </div>`, and a plain-text 500 often starts with `System.InvalidOperationException: message`
//! followed by its stack. That line is what an admin needs beside the verdict: the type says
//! which failure it is, the message usually says why.
//!
//! The body is the application's (and so the attacker's) text: the extract is searched only
//! in the first [`SEARCHED_BYTES`] of it, in one pass each, made one line of printable text
//! (tags removed, entities decoded, control characters and runs of white space made one
//! space) and cut at [`MAX_CHARS`]. Reporters escape it again at their own boundary.

/// How far into a body the markers are looked for: error pages put the exception in their
/// first few kilobytes (at about 2.5 KB in the real traces).
const SEARCHED_BYTES: usize = 32 * 1024;
/// The longest extract kept, in characters.
pub(crate) const MAX_CHARS: usize = 300;
/// How much text after a marker is looked at for the extract.
const LINE_BYTES: usize = 2 * 1024;

/// `System.InvalidOperationException: message`, when the body names an exception.
pub(crate) fn exception_in(body: &str) -> Option<String> {
    let body = prefix(body, SEARCHED_BYTES);
    ysod(body)
        .or_else(|| core_developer_page(body))
        .or_else(|| plain_text(body))
}

/// Classic ASP.NET's error page: `Exception Details: </b>TYPE: message<br>`.
fn ysod(body: &str) -> Option<String> {
    let at = body.find("Exception Details:")? + "Exception Details:".len();
    let rest = skip_tags(&body[at..]);
    let end = rest.find("<br").unwrap_or(rest.len());
    clean(&rest[..end]).filter(|text| looks_like_exception(text))
}

/// ASP.NET Core's developer exception page: `<div class="titleerror">TYPE: message</div>`.
fn core_developer_page(body: &str) -> Option<String> {
    let marker = "class=\"titleerror\">";
    let at = body.find(marker)? + marker.len();
    let rest = &body[at..];
    let end = rest.find("</").unwrap_or(rest.len());
    clean(&rest[..end]).filter(|text| looks_like_exception(text))
}

/// A plain-text body whose first line names a namespaced exception type:
/// `System.InvalidOperationException: message` (what a .NET program writes for an unhandled
/// exception, and what many ASP.NET Core 500s hold).
fn plain_text(body: &str) -> Option<String> {
    let first = body.trim_start().lines().next()?;
    if first.contains('<') {
        return None;
    }
    let (name, _) = first.split_once(':').unwrap_or((first, ""));
    if !(name.contains('.') && is_type_name(name.trim())) {
        return None;
    }
    clean(first)
}

/// `System.IO.DirectoryNotFoundException: ...` or `HttpException (0x80004005): ...`: a type
/// name ending in `Exception`, then the message.
fn looks_like_exception(text: &str) -> bool {
    let name = text
        .split([':', ' ', '('])
        .next()
        .unwrap_or_default()
        .trim();
    is_type_name(name)
}

fn is_type_name(name: &str) -> bool {
    name.ends_with("Exception")
        && name
            .split('.')
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_alphanumeric() || c == '_'))
}

/// The text up to `max` bytes, cut on a character boundary.
fn prefix(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// White space and tags at the start (`</b> `).
fn skip_tags(mut text: &str) -> &str {
    loop {
        let trimmed = text.trim_start();
        match trimmed.strip_prefix('<') {
            Some(rest) => match rest.find('>') {
                Some(end) => text = &rest[end + 1..],
                None => return trimmed,
            },
            None => return trimmed,
        }
    }
}

/// One line of printable text: tags dropped, entities decoded, control characters and runs of
/// white space made one space, at most [`MAX_CHARS`] characters (`…` when cut).
fn clean(html: &str) -> Option<String> {
    let html = prefix(html, LINE_BYTES);
    let mut out = String::with_capacity(html.len().min(MAX_CHARS * 4));
    let mut chars = html.char_indices();
    let mut count = 0;
    let mut space = false;
    let mut push = |out: &mut String, c: char, count: &mut usize| {
        let c = if c.is_control() || c.is_whitespace() {
            ' '
        } else {
            c
        };
        if c == ' ' {
            if space || out.is_empty() {
                return;
            }
            space = true;
        } else {
            space = false;
        }
        out.push(c);
        *count += 1;
    };
    while let Some((i, c)) = chars.next() {
        if count > MAX_CHARS {
            break;
        }
        match c {
            '<' => {
                // A tag: skipped whole, read as a space.
                for (_, c) in chars.by_ref() {
                    if c == '>' {
                        break;
                    }
                }
                push(&mut out, ' ', &mut count);
            }
            '&' => match entity(&html[i..]) {
                Some((decoded, len)) => {
                    push(&mut out, decoded, &mut count);
                    for _ in 1..len {
                        chars.next();
                    }
                }
                None => push(&mut out, '&', &mut count),
            },
            c => push(&mut out, c, &mut count),
        }
    }
    let text = out.trim_end();
    if text.is_empty() {
        return None;
    }
    if text.chars().count() > MAX_CHARS {
        let cut: String = text.chars().take(MAX_CHARS - 1).collect();
        return Some(format!("{}…", cut.trim_end()));
    }
    Some(text.to_owned())
}

/// An HTML entity at the start of `text` (`&amp;`, `&#39;`, `&#x27;`): the character and the
/// entity's length in characters (all ASCII).
fn entity(text: &str) -> Option<(char, usize)> {
    let end = text.bytes().take(12).position(|b| b == b';')?;
    let name = &text[1..end];
    let c = match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)?
        }
    };
    Some((c, end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The error page of the real trace FrebViewer fr000018 (ASP.NET 4.8), as the XML reader
    /// hands it over, shortened.
    const YSOD: &str = "<!DOCTYPE html>\n<html>\n    <head>\n        <title>Intentional FREB test error: simulated application failure</title>\n    </head>\n    <body bgcolor=\"white\">\n            <span><H1>Server Error in '/' Application.<hr width=100% size=1 color=silver></H1>\n\n            <b> Description: </b>An unhandled exception occurred during the execution of the current web request.\n\n            <br><br>\n\n            <b> Exception Details: </b>System.InvalidOperationException: Intentional FREB test error: simulated application failure<br><br>\n\n            <b>Source Error:</b> <br><br>\n";

    #[test]
    fn the_yellow_screen_names_type_and_message() {
        assert_eq!(
            exception_in(YSOD).as_deref(),
            Some(
                "System.InvalidOperationException: Intentional FREB test error: simulated application failure"
            )
        );
    }

    #[test]
    fn entities_in_the_message_are_decoded() {
        let page = "<b> Exception Details: </b>System.IO.DirectoryNotFoundException: Could not find a part of the path &#39;C:\\app\\bin\\roslyn\\csc.exe&#39; &amp; more.<br>";
        assert_eq!(
            exception_in(page).as_deref(),
            Some(
                "System.IO.DirectoryNotFoundException: Could not find a part of the path 'C:\\app\\bin\\roslyn\\csc.exe' & more."
            )
        );
    }

    #[test]
    fn the_core_developer_page_and_plain_text_are_read() {
        let page = "<h1>An unhandled exception occurred while processing the request.</h1>\n<div class=\"titleerror\">InvalidOperationException: No service for type &#x27;IFoo&#x27;.</div>";
        assert_eq!(
            exception_in(page).as_deref(),
            Some("InvalidOperationException: No service for type 'IFoo'.")
        );
        let text = "System.NullReferenceException: Object reference not set to an instance of an object.\r\n   at Shop.Orders.Get() in Orders.cs:line 12\r\n";
        assert_eq!(
            exception_in(text).as_deref(),
            Some(
                "System.NullReferenceException: Object reference not set to an instance of an object."
            )
        );
    }

    #[test]
    fn pages_without_an_exception_give_nothing() {
        for body in [
            "",
            "<html><body>Service Unavailable</body></html>",
            "<b> Exception Details: </b>not a type name<br>",
            "Hello: world",
            "Exception: no namespace",
            "<div class=\"titleerror\"></div>",
            "&&&&;;;;<<<>>>",
        ] {
            assert_eq!(exception_in(body), None, "{body:?}");
        }
    }

    #[test]
    fn hostile_text_comes_out_one_printable_line() {
        let page = "<b> Exception Details: </b>System.Exception: a\x1b]0;owned\x07\r\n\tb&#27;[31m&#x202e;c<br>";
        let text = exception_in(page).unwrap();
        assert!(!text.chars().any(|c| c.is_control()), "{text:?}");
        assert!(
            text.starts_with("System.Exception: a ]0;owned b [31m"),
            "{text:?}"
        );
        // Bidi controls are kept as characters; every reporter escapes them (sanitize::terminal).
        assert!(text.contains('\u{202e}'));
    }

    #[test]
    fn huge_input_is_bounded_in_time_and_in_the_extract() {
        let message = "x".repeat(5_000_000);
        let page = format!("<b> Exception Details: </b>System.Exception: {message}<br>");
        let text = exception_in(&page).unwrap();
        assert_eq!(text.chars().count(), MAX_CHARS);
        assert!(text.ends_with('…'));
        // A marker past the searched prefix is not looked for.
        let late = format!("{}{}", " ".repeat(SEARCHED_BYTES), YSOD);
        assert_eq!(exception_in(&late), None);
        // Tags and entities without an end, and multi-byte text at every cut.
        let open = format!(
            "<b> Exception Details: </b>System.Exception: {}",
            "é<&#".repeat(100_000)
        );
        let text = exception_in(&open).unwrap();
        assert!(text.chars().count() <= MAX_CHARS);
        assert_eq!(exception_in(&"<".repeat(1_000_000)), None);
        assert_eq!(exception_in(&"é".repeat(1_000_000)), None);
    }
}
