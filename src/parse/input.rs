//! Byte-level input: encoding detection and reading in bounded windows.
//!
//! IIS writes traces in UTF-8, but copies get re-saved as UTF-16 (Windows PowerShell's `>`
//! writes UTF-16LE with a byte-order mark), and quick-xml reads UTF-16 bytes as garbage without
//! any error. So the encoding is sniffed from the first bytes, never taken from the
//! declaration (which a re-saved file keeps unchanged, and which may lie), and UTF-16 is
//! decoded to UTF-8 (by encoding_rs, which quick-xml already uses) before anything else looks
//! at it.

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

/// Wraps a reader so that it yields UTF-8 without a byte-order mark. UTF-8 passes through as
/// it is (the fast reader replaces invalid sequences where it reads text); UTF-16 is decoded
/// by encoding_rs.
pub(super) fn utf8_stream<'a, R: Read + 'a>(mut inner: R) -> io::Result<Box<dyn Read + 'a>> {
    let mut prefix = [0u8; 4];
    let n = read_full(&mut inner, &mut prefix)?;
    let prefix = prefix[..n].to_vec();
    Ok(match sniff(&prefix) {
        Encoding::Utf16 => {
            let (encoding, bom) = match prefix.as_slice() {
                [0xFF, 0xFE, ..] => (encoding_rs::UTF_16LE, 2),
                [0xFE, 0xFF, ..] => (encoding_rs::UTF_16BE, 2),
                [0, ..] => (encoding_rs::UTF_16BE, 0),
                _ => (encoding_rs::UTF_16LE, 0),
            };
            let raw = Cursor::new(prefix[bom..].to_vec()).chain(inner);
            Box::new(Decoding::new(raw, encoding))
        }
        Encoding::Utf8 { bom } => Box::new(Cursor::new(prefix[bom..].to_vec()).chain(inner)),
    })
}

/// Decodes a whole buffer to UTF-8 text; invalid sequences become U+FFFD, as in the fast
/// reader, so that a stray binary byte in a captured body does not end the trace.
#[cfg(test)]
fn decode_all(bytes: &[u8]) -> io::Result<String> {
    let mut stream = utf8_stream(bytes)?;
    let mut utf8 = Vec::with_capacity(bytes.len());
    stream.read_to_end(&mut utf8)?;
    Ok(match String::from_utf8(utf8) {
        Ok(text) => text,
        Err(err) => String::from_utf8_lossy(err.as_bytes()).into_owned(),
    })
}

/// Decodes a stream to UTF-8 with encoding_rs, a chunk at a time. Malformed input (a lone
/// surrogate, an odd last byte, invalid UTF-8) becomes U+FFFD, so that a damaged or cut trace
/// is read as far as it goes.
pub struct Decoding<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    /// Bytes read and not decoded yet, from `raw_pos` to `raw_len`.
    raw: Box<[u8]>,
    raw_pos: usize,
    raw_len: usize,
    /// Decoded bytes not handed out yet, from `out_pos` to `out_len`.
    out: Box<[u8]>,
    out_pos: usize,
    out_len: usize,
    eof: bool,
    done: bool,
}

const DECODE_CHUNK: usize = 32 * 1024;

impl<R: Read> Decoding<R> {
    /// Decodes `inner`, which holds `encoding` without a byte-order mark.
    pub fn new(inner: R, encoding: &'static encoding_rs::Encoding) -> Self {
        let decoder = encoding.new_decoder_without_bom_handling();
        // Room for any chunk: UTF-16 takes at most 3 bytes of UTF-8 per 2 bytes of input.
        let out_room = decoder
            .max_utf8_buffer_length(DECODE_CHUNK)
            .unwrap_or(4 * DECODE_CHUNK);
        Decoding {
            inner,
            decoder,
            raw: vec![0; DECODE_CHUNK].into_boxed_slice(),
            raw_pos: 0,
            raw_len: 0,
            out: vec![0; out_room].into_boxed_slice(),
            out_pos: 0,
            out_len: 0,
            eof: false,
            done: false,
        }
    }

    /// Lossy UTF-8: what goes through comes out valid.
    pub fn utf8(inner: R) -> Self {
        Decoding::new(inner, encoding_rs::UTF_8)
    }

    /// Decodes the next chunk; false at the end of the input.
    fn refill(&mut self) -> io::Result<bool> {
        self.out_pos = 0;
        self.out_len = 0;
        while self.out_len == 0 {
            if self.done {
                return Ok(false);
            }
            if self.raw_pos == self.raw_len && !self.eof {
                self.raw_pos = 0;
                self.raw_len = loop {
                    match self.inner.read(&mut self.raw) {
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        other => break other?,
                    }
                };
                self.eof = self.raw_len == 0;
            }
            let (_, read, written, _) = self.decoder.decode_to_utf8(
                &self.raw[self.raw_pos..self.raw_len],
                &mut self.out,
                self.eof,
            );
            self.raw_pos += read;
            self.out_len = written;
            if self.eof && self.raw_pos == self.raw_len {
                self.done = true;
            }
        }
        Ok(true)
    }
}

impl<R: Read> Read for Decoding<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.out_pos == self.out_len && !self.refill()? {
            return Ok(0);
        }
        let n = buf.len().min(self.out_len - self.out_pos);
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

/// A reader whose first read asks the file for `first` bytes at once and whose later reads
/// go straight through: on a share every read is a round trip, so the encoding sniff's few
/// bytes and the head come from one request, and later reads are exactly the size asked for
/// (a `BufReader` would turn a small read into one of its whole capacity).
pub(super) struct FirstRead<R> {
    inner: R,
    first: usize,
    buf: Vec<u8>,
    pos: usize,
}

impl<R> FirstRead<R> {
    /// Wraps a reader whose first read will be of `first` bytes.
    pub(super) fn new(inner: R, first: usize) -> Self {
        FirstRead {
            inner,
            first: first.max(1),
            buf: Vec::new(),
            pos: 0,
        }
    }
}

impl<R: Read> Read for FirstRead<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.first > 0 {
            let want = std::mem::take(&mut self.first);
            if out.len() >= want {
                return self.inner.read(out);
            }
            self.buf.resize(want, 0);
            let n = loop {
                match self.inner.read(&mut self.buf) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    other => break other?,
                }
            };
            self.buf.truncate(n);
        }
        if self.pos < self.buf.len() {
            let n = out.len().min(self.buf.len() - self.pos);
            out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
            self.pos += n;
            if self.pos == self.buf.len() {
                self.buf = Vec::new();
                self.pos = 0;
            }
            return Ok(n);
        }
        self.inner.read(out)
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

    /// Records the size of every read asked of it.
    struct Asked<'a> {
        data: &'a [u8],
        sizes: Vec<usize>,
    }

    impl Read for Asked<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            self.sizes.push(out.len());
            let n = out.len().min(self.data.len());
            out[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn the_first_read_is_one_request_and_later_reads_go_straight_through() {
        let data: Vec<u8> = (0..100u8).collect();
        let mut asked = Asked {
            data: &data,
            sizes: Vec::new(),
        };
        let mut input = FirstRead::new(&mut asked, 30);
        let mut got = Vec::new();
        let mut four = [0u8; 4];
        read_full(&mut input, &mut four).unwrap();
        got.extend_from_slice(&four);
        let mut rest = [0u8; 26];
        read_full(&mut input, &mut rest).unwrap();
        got.extend_from_slice(&rest);
        let mut more = [0u8; 10];
        read_full(&mut input, &mut more).unwrap();
        got.extend_from_slice(&more);
        input.read_to_end(&mut got).unwrap();
        assert_eq!(got, data);
        assert_eq!(asked.sizes[..2], [30, 10]);
    }

    #[test]
    fn invalid_utf8_becomes_replacement_characters() {
        assert_eq!(decode_all(b"<a>\xE9</a>").unwrap(), "<a>\u{FFFD}</a>");
    }
}
