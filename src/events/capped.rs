//! Bounded reading: text in whatever encoding the export used, and a cap on one record.
//!
//! The readers stream, but a stream parser still buffers one token or one row whole: a
//! hostile export with a single 1 GB `<Message>` or CSV field would be held in memory. A
//! [`Capped`] reader counts the bytes read since the reader last finished a record and fails
//! the read past [`RECORD_LIMIT`], so memory stays bounded whatever a file holds.

use std::cell::Cell;
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;

use encoding_rs::{UTF_16BE, UTF_16LE};
use encoding_rs_io::DecodeReaderBytesBuilder;

/// The most bytes one record may take (real records are a few KiB).
pub(super) const RECORD_LIMIT: u64 = 16 * 1024 * 1024;

/// The longest value kept from a record, in bytes.
pub(super) const VALUE_LIMIT: usize = 64 * 1024;

/// The count a [`Capped`] reader keeps, shared with the parser that resets it.
#[derive(Clone, Default)]
pub(super) struct Budget(Rc<Cell<u64>>);

impl Budget {
    /// A record ended: the next one starts counting from zero.
    pub(super) fn reset(&self) {
        self.0.set(0);
    }
}

/// A reader that fails once a record grows past [`RECORD_LIMIT`].
pub(super) struct Capped<R> {
    inner: R,
    used: Budget,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.used.0.get() > RECORD_LIMIT {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "a record is longer than {} MiB: not an event export, or a damaged one",
                    RECORD_LIMIT / (1024 * 1024)
                ),
            ));
        }
        let n = self.inner.read(buf)?;
        self.used.0.set(self.used.0.get() + n as u64);
        Ok(n)
    }
}

/// The file as UTF-8 text, capped per record: UTF-16 (`wevtutil /uni:true`, with or without a
/// byte-order mark) is transcoded, a UTF-8 byte-order mark dropped, anything else passed on.
pub(super) fn text_reader<R: Read + 'static>(
    mut inner: R,
) -> io::Result<(Box<dyn BufRead>, Budget)> {
    let mut head = [0u8; 2];
    let mut filled = 0;
    while filled < 2 {
        match inner.read(&mut head[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    let head = head[..filled].to_vec();
    let encoding = match head.as_slice() {
        [b'<', 0] => Some(UTF_16LE),
        [0, b'<'] => Some(UTF_16BE),
        _ => None,
    };
    let budget = Budget::default();
    let capped = Capped {
        inner: io::Cursor::new(head).chain(inner),
        used: budget.clone(),
    };
    let decoded = DecodeReaderBytesBuilder::new()
        .encoding(encoding)
        .bom_sniffing(true)
        .strip_bom(true)
        .build(capped);
    Ok((
        Box::new(BufReader::with_capacity(64 * 1024, decoded)),
        budget,
    ))
}

/// The first bytes of a file as text, for telling formats apart.
pub(super) fn decode_head(head: &[u8]) -> String {
    let utf16 = |le: bool, bytes: &[u8]| {
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|p| {
                if le {
                    u16::from_le_bytes([p[0], p[1]])
                } else {
                    u16::from_be_bytes([p[0], p[1]])
                }
            })
            .collect();
        String::from_utf16_lossy(&units)
    };
    match head {
        [0xFF, 0xFE, rest @ ..] => utf16(true, rest),
        [0xFE, 0xFF, rest @ ..] => utf16(false, rest),
        [_, 0, ..] => utf16(true, head),
        [0, _, ..] => utf16(false, head),
        [0xEF, 0xBB, 0xBF, rest @ ..] => String::from_utf8_lossy(rest).into_owned(),
        _ => String::from_utf8_lossy(head).into_owned(),
    }
}

/// Appends `text` to `value` up to [`VALUE_LIMIT`] bytes, cutting at a character boundary.
pub(super) fn push_capped(value: &mut String, text: &str) {
    let room = VALUE_LIMIT.saturating_sub(value.len());
    if text.len() <= room {
        value.push_str(text);
        return;
    }
    let mut cut = room;
    while cut > 0 && !text.is_char_boundary(cut) {
        cut -= 1;
    }
    value.push_str(&text[..cut]);
}
