//! Where a trace's root element is, and whether a file is a trace at all.
//!
//! Both readers find the root element here, with quick-xml, so that what comes before it is
//! read as XML reads it: a `<failedRequest` inside a comment or a processing instruction is
//! not the root, and a file holding a DOCTYPE is refused (IIS never writes one, and a DTD is
//! how entity-expansion attacks start: OWASP's XXE advice is to refuse them). Discovery asks
//! the same question of the first bytes of `*.xml` files that IIS did not name `fr*.xml`.

use std::borrow::Cow;
use std::io::Read;

use quick_xml::Reader;
use quick_xml::events::Event;

use super::input;
use crate::error::ParseError;

/// How much of a file discovery reads to tell whether it is a trace. IIS writes the root
/// element about 200 bytes in.
pub(crate) const SNIFF_BYTES: usize = 8 * 1024;

/// Why a file with a DOCTYPE is not read.
pub(crate) const DOCTYPE_REASON: &str =
    "the file holds a DOCTYPE, which IIS never writes (DTDs are refused, never expanded)";

/// Where the root element is in the first bytes of a trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Prolog {
    /// `<failedRequest ...>` spans `start..end` (`end` just past its `>`).
    Root {
        /// Offset of its `<`.
        start: usize,
        /// Offset just past its `>`.
        end: usize,
    },
    /// More bytes are needed; `in_root_tag` when they are needed to finish the root's start
    /// tag (which may be long: it holds the URL).
    More {
        /// The bytes end inside `<failedRequest ...`.
        in_root_tag: bool,
    },
}

/// Reads what precedes the root element, as XML. `eof` says `buf` is the whole file.
pub(crate) fn find_root(buf: &[u8], eof: bool) -> Result<Prolog, ParseError> {
    let first = buf.iter().position(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|i| buf[i] != b'<') {
        return Err(ParseError::NotFreb("the file is not XML".into()));
    }
    let text = same_length_utf8(buf);
    let mut reader = Reader::from_str(&text);
    let config = reader.config_mut();
    config.check_end_names = false;
    config.allow_dangling_amp = true;
    loop {
        let before = reader.buffer_position() as usize;
        match reader.read_event() {
            Ok(Event::Decl(_) | Event::PI(_) | Event::Comment(_)) => {}
            Ok(Event::Text(t)) if t.bytes().all(|b| b.is_ascii_whitespace()) => {}
            Ok(Event::DocType(_)) => return Err(ParseError::NotFreb(DOCTYPE_REASON.into())),
            Ok(Event::Start(e) | Event::Empty(e)) => {
                if e.local_name().as_ref() != "failedRequest" {
                    return Err(ParseError::NotFreb(format!(
                        "the root element is <{}>, not <failedRequest>",
                        e.name().as_ref()
                    )));
                }
                let end = reader.buffer_position() as usize;
                return Ok(Prolog::Root { start: before, end });
            }
            Ok(Event::Eof) if eof => {
                return Err(ParseError::NotFreb(
                    "no <failedRequest> root element".into(),
                ));
            }
            Ok(Event::Eof) => return Ok(Prolog::More { in_root_tag: false }),
            Ok(_) => {
                return Err(ParseError::NotFreb(
                    "text or markup before the <failedRequest> root element".into(),
                ));
            }
            Err(err) if eof => {
                return Err(ParseError::Malformed {
                    offset: reader.error_position(),
                    message: err.to_string(),
                });
            }
            Err(_) => {
                let in_root_tag = buf[before..].starts_with(b"<failedRequest");
                return Ok(Prolog::More { in_root_tag });
            }
        }
    }
}

/// `bytes` as text of the same length: each byte of an invalid sequence becomes `?`, so that
/// offsets in the text are offsets in the file.
fn same_length_utf8(bytes: &[u8]) -> Cow<'_, str> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Cow::Borrowed(text);
    }
    let mut fixed = bytes.to_vec();
    let mut at = 0;
    while let Err(err) = std::str::from_utf8(&fixed[at..]) {
        let bad = at + err.valid_up_to();
        let len = err.error_len().unwrap_or(fixed.len() - bad);
        fixed[bad..bad + len].fill(b'?');
        at = bad + len;
    }
    Cow::Owned(String::from_utf8(fixed).unwrap_or_default())
}

/// True when these first bytes of a file (any supported encoding) are a FREB trace's: XML
/// whose first element is `<failedRequest`, without a DOCTYPE.
pub(crate) fn is_trace(head: &[u8]) -> bool {
    let Ok(stream) = input::utf8_stream(head) else {
        return false;
    };
    let mut text = Vec::with_capacity(head.len() * 2);
    if stream
        .take(4 * SNIFF_BYTES as u64)
        .read_to_end(&mut text)
        .is_err()
    {
        return false;
    }
    matches!(find_root(&text, false), Ok(Prolog::Root { .. }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROLOG: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\r\n\
        <?xml-stylesheet type='text/xsl' href='freb.xsl'?>\r\n\
        <!-- saved from url=(0014)about:internet -->\r\n";

    fn utf16le(text: &str) -> Vec<u8> {
        let mut out = vec![0xFF, 0xFE];
        for unit in text.encode_utf16() {
            out.extend_from_slice(&unit.to_le_bytes());
        }
        out
    }

    #[test]
    fn a_trace_is_known_by_its_first_bytes_in_any_encoding() {
        let trace = format!("{PROLOG}<failedRequest url=\"/\" statusCode=\"500\">");
        assert!(is_trace(trace.as_bytes()));
        assert!(is_trace(&utf16le(&trace)));
        assert!(is_trace(b"  <failedRequest/>"));
    }

    #[test]
    fn other_xml_and_text_are_not_traces() {
        for text in [
            "# Notes\n\nIIS writes `<failedRequest>` as the root element.\n",
            "see <failedRequest url=\"x\"> for the format",
            "<?xml version=\"1.0\"?><configuration><failedRequest/></configuration>",
            "<?xml version=\"1.0\"?><!-- <failedRequest url=\"x\"> --><other/>",
            "<?xml version=\"1.0\"?><!DOCTYPE failedRequest><failedRequest/>",
            "",
            "<?xml version=\"1.0\"?>",
        ] {
            assert!(!is_trace(text.as_bytes()), "{text}");
        }
    }

    #[test]
    fn the_root_is_found_past_comments_and_instructions_only() {
        let text =
            format!("{PROLOG}<!-- <failedRequest statusCode=\"200\"> --><failedRequest a=\"1\">");
        let Ok(Prolog::Root { start, end }) = find_root(text.as_bytes(), true) else {
            panic!("no root");
        };
        assert_eq!(&text[start..end], "<failedRequest a=\"1\">");
        assert_eq!(
            find_root(b"<?xml version=\"1.0\"?><failedRequest url=\"", false),
            Ok(Prolog::More { in_root_tag: true })
        );
        assert_eq!(
            find_root(b"<?xml version=\"1.0\"?><!-- cut", false),
            Ok(Prolog::More { in_root_tag: false })
        );
    }
}
