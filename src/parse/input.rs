//! Byte-level input: encoding detection and reading in bounded windows.
//!
//! IIS writes traces in UTF-8, but copies get re-saved as UTF-16 (Windows PowerShell's `>`
//! writes UTF-16LE with a byte-order mark), and quick-xml reads UTF-16 bytes as garbage without
//! any error. So the encoding is sniffed from the first bytes, never taken from the
//! declaration (which a re-saved file keeps unchanged, and which may lie), and UTF-16 is
//! decoded to UTF-8 before anything else looks at it.

use std::io::{self, Cursor, Read};
use std::sync::atomic::{AtomicU64, Ordering};

/// The encodings frebscope tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Encoding {
    /// UTF-8 (or ASCII), with `bom` bytes of byte-order mark to skip.
    Utf8 {
        /// Length of the byte-order mark, 0 or 3.
        bom: usize,
    },
    /// UTF-16, little or big endian, with or without a byte-order mark.
    Utf16,
}

/// Detects the encoding from the first bytes of a file.
pub(super) fn sniff(prefix: &[u8]) -> Encoding {
    match prefix {
        [0xEF, 0xBB, 0xBF, ..] => Encoding::Utf8 { bom: 3 },
        [0xFF, 0xFE, ..] | [0xFE, 0xFF, ..] => Encoding::Utf16,
        [b'<', 0, ..] | [0, b'<', ..] => Encoding::Utf16,
        _ => Encoding::Utf8 { bom: 0 },
    }
}

/// Wraps a reader so that it yields UTF-8 without a byte-order mark.
pub(super) fn utf8_stream<'a, R: Read + 'a>(mut inner: R) -> io::Result<Box<dyn Read + 'a>> {
    let mut prefix = [0u8; 4];
    let n = read_full(&mut inner, &mut prefix)?;
    let prefix = prefix[..n].to_vec();
    Ok(match sniff(&prefix) {
        Encoding::Utf16 => {
            let (big_endian, bom) = match prefix.as_slice() {
                [0xFF, 0xFE, ..] => (false, 2),
                [0xFE, 0xFF, ..] => (true, 2),
                [0, ..] => (true, 0),
                _ => (false, 0),
            };
            let raw = Cursor::new(prefix[bom..].to_vec()).chain(inner);
            Box::new(Utf16Lossy::new(raw, big_endian))
        }
        Encoding::Utf8 { bom } => Box::new(Cursor::new(prefix[bom..].to_vec()).chain(inner)),
    })
}

/// Decodes a whole buffer to UTF-8 text; invalid sequences become U+FFFD, as in the fast
/// reader, so that a stray binary byte in a captured body does not end the trace.
pub(super) fn decode_all(bytes: &[u8]) -> io::Result<String> {
    let mut stream = utf8_stream(bytes)?;
    let mut utf8 = Vec::with_capacity(bytes.len());
    stream.read_to_end(&mut utf8)?;
    Ok(match String::from_utf8(utf8) {
        Ok(text) => text,
        Err(err) => String::from_utf8_lossy(err.as_bytes()).into_owned(),
    })
}

/// Decodes UTF-16 to UTF-8. A lone surrogate or an odd last byte becomes U+FFFD, as invalid
/// UTF-8 does, so that a damaged or cut UTF-16 trace is read as far as it goes.
struct Utf16Lossy<R> {
    inner: R,
    big_endian: bool,
    /// Bytes read but not decoded yet: an odd byte, or a high surrogate awaiting its pair.
    pending: Vec<u8>,
    /// Decoded bytes not handed out yet, from `out_pos`.
    out: Vec<u8>,
    out_pos: usize,
    eof: bool,
}

impl<R: Read> Utf16Lossy<R> {
    fn new(inner: R, big_endian: bool) -> Self {
        Utf16Lossy {
            inner,
            big_endian,
            pending: Vec::new(),
            out: Vec::new(),
            out_pos: 0,
            eof: false,
        }
    }

    fn unit(&self, pair: &[u8]) -> u16 {
        let pair = [pair[0], pair[1]];
        if self.big_endian {
            u16::from_be_bytes(pair)
        } else {
            u16::from_le_bytes(pair)
        }
    }

    /// Decodes the next chunk into `out`; false at the end of the input.
    fn refill(&mut self) -> io::Result<bool> {
        self.out.clear();
        self.out_pos = 0;
        while self.out.is_empty() {
            if self.eof {
                return Ok(false);
            }
            let mut raw = [0u8; 16 * 1024];
            let n = loop {
                match self.inner.read(&mut raw) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    other => break other?,
                }
            };
            if n == 0 {
                self.eof = true;
                if !self.pending.is_empty() {
                    self.pending.clear();
                    self.out.extend_from_slice("\u{FFFD}".as_bytes());
                }
                continue;
            }
            self.pending.extend_from_slice(&raw[..n]);
            let mut usable = self.pending.len() & !1;
            if usable >= 2
                && (0xD800..=0xDBFF).contains(&self.unit(&self.pending[usable - 2..usable]))
            {
                usable -= 2;
            }
            let units: Vec<u16> = self.pending[..usable]
                .chunks_exact(2)
                .map(|pair| self.unit(pair))
                .collect();
            for ch in char::decode_utf16(units) {
                let ch = ch.unwrap_or(char::REPLACEMENT_CHARACTER);
                let mut utf8 = [0u8; 4];
                self.out
                    .extend_from_slice(ch.encode_utf8(&mut utf8).as_bytes());
            }
            self.pending.drain(..usable);
        }
        Ok(true)
    }
}

impl<R: Read> Read for Utf16Lossy<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.out_pos == self.out.len() && !self.refill()? {
            return Ok(0);
        }
        let n = buf.len().min(self.out.len() - self.out_pos);
        buf[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
    }
}

/// Counts the bytes that pass through, for `--stats`.
pub(super) struct Counting<'c, R> {
    inner: R,
    counter: &'c AtomicU64,
}

impl<'c, R> Counting<'c, R> {
    /// Wraps a reader.
    pub(super) fn new(inner: R, counter: &'c AtomicU64) -> Self {
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
pub(super) fn read_full(input: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
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
    fn invalid_utf16_becomes_replacement_characters() {
        let mut lone = utf16le("<a>", true);
        lone.extend_from_slice(&[0x00, 0xD8]);
        lone.extend_from_slice(&utf16le("b</a>", false));
        assert_eq!(decode_all(&lone).unwrap(), "<a>\u{FFFD}b</a>");
        let mut odd = utf16be("<a>\u{1F600}", true);
        odd.push(0x00);
        assert_eq!(decode_all(&odd).unwrap(), "<a>\u{1F600}\u{FFFD}");
        let cut_pair = utf16le("<a>\u{1F600}", false);
        assert_eq!(
            decode_all(&cut_pair[..cut_pair.len() - 2]).unwrap(),
            "<a>\u{FFFD}"
        );
    }

    #[test]
    fn a_surrogate_pair_split_across_reads_is_kept() {
        let text = format!("<a>{}</a>", "\u{1F600}".repeat(20_000));
        assert_eq!(decode_all(&utf16be(&text, true)).unwrap(), text);
        assert_eq!(decode_all(&utf16le(&text, false)).unwrap(), text);
    }

    #[test]
    fn invalid_utf8_becomes_replacement_characters() {
        assert_eq!(decode_all(b"<a>\xE9</a>").unwrap(), "<a>\u{FFFD}</a>");
    }
}
