//! Byte-level input: encoding detection and reading in bounded windows.
//!
//! IIS writes traces in UTF-8, but copies get re-saved as UTF-16 (Windows PowerShell's `>`
//! writes UTF-16LE with a byte-order mark), and quick-xml reads UTF-16 bytes as garbage without
//! any error. So the encoding is sniffed from the first bytes, never taken from the
//! declaration (which a re-saved file keeps unchanged, and which may lie), and UTF-16 is
//! decoded to UTF-8 before anything else looks at it.

use std::io::{self, BufReader, Cursor, Read};
use std::sync::atomic::{AtomicU64, Ordering};

use quick_xml::encoding::DecodingReader;

/// The encodings frebscope tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 (or ASCII), with `bom` bytes of byte-order mark to skip.
    Utf8 {
        /// Length of the byte-order mark, 0 or 3.
        bom: usize,
    },
    /// UTF-16, little or big endian, with or without a byte-order mark.
    Utf16,
}

/// Detects the encoding from the first bytes of a file.
pub fn sniff(prefix: &[u8]) -> Encoding {
    match prefix {
        [0xEF, 0xBB, 0xBF, ..] => Encoding::Utf8 { bom: 3 },
        [0xFF, 0xFE, ..] | [0xFE, 0xFF, ..] => Encoding::Utf16,
        [b'<', 0, ..] | [0, b'<', ..] => Encoding::Utf16,
        _ => Encoding::Utf8 { bom: 0 },
    }
}

/// Wraps a reader so that it yields UTF-8 without a byte-order mark.
pub fn utf8_stream<'a, R: Read + 'a>(mut inner: R) -> io::Result<Box<dyn Read + 'a>> {
    let mut prefix = [0u8; 4];
    let n = read_full(&mut inner, &mut prefix)?;
    let prefix = prefix[..n].to_vec();
    Ok(match sniff(&prefix) {
        Encoding::Utf16 => {
            let raw = Cursor::new(prefix).chain(inner);
            Box::new(DecodingReader::new(BufReader::new(raw)))
        }
        Encoding::Utf8 { bom } => Box::new(Cursor::new(prefix[bom..].to_vec()).chain(inner)),
    })
}

/// Decodes a whole buffer to UTF-8 text; invalid sequences become U+FFFD, as in the fast
/// reader, so that a stray binary byte in a captured body does not end the trace.
pub fn decode_all(bytes: &[u8]) -> io::Result<String> {
    let mut stream = utf8_stream(bytes)?;
    let mut utf8 = Vec::with_capacity(bytes.len());
    stream.read_to_end(&mut utf8)?;
    Ok(match String::from_utf8(utf8) {
        Ok(text) => text,
        Err(err) => String::from_utf8_lossy(err.as_bytes()).into_owned(),
    })
}

/// Counts the bytes that pass through, for `--stats`.
pub struct Counting<'c, R> {
    inner: R,
    counter: &'c AtomicU64,
}

impl<'c, R> Counting<'c, R> {
    /// Wraps a reader.
    pub fn new(inner: R, counter: &'c AtomicU64) -> Self {
        Counting { inner, counter }
    }
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Reads until `buf` is full or the input ends; returns the number of bytes read.
pub fn read_full(input: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(text: &str, bom: bool) -> Vec<u8> {
        let mut out = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
        for unit in text.encode_utf16() {
            out.extend_from_slice(&unit.to_le_bytes());
        }
        out
    }

    fn utf16be(text: &str, bom: bool) -> Vec<u8> {
        let mut out = if bom { vec![0xFE, 0xFF] } else { Vec::new() };
        for unit in text.encode_utf16() {
            out.extend_from_slice(&unit.to_be_bytes());
        }
        out
    }

    #[test]
    fn every_encoding_decodes_to_the_same_text() {
        let text = "<?xml version=\"1.0\" ?><a x=\"\u{e9}\"/>";
        let mut bom8 = vec![0xEF, 0xBB, 0xBF];
        bom8.extend_from_slice(text.as_bytes());
        for input in [
            text.as_bytes().to_vec(),
            bom8,
            utf16le(text, true),
            utf16le(text, false),
            utf16be(text, true),
            utf16be(text, false),
        ] {
            assert_eq!(decode_all(&input).unwrap(), text);
        }
    }

    #[test]
    fn invalid_utf8_becomes_replacement_characters() {
        assert_eq!(decode_all(b"<a>\xE9</a>").unwrap(), "<a>\u{FFFD}</a>");
    }
}
