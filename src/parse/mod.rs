//! Reading traces.
//!
//! [`parse_file`] is what a scan calls for each file: the fast reader (`fast.rs`), reading the
//! file in bounded windows and stopping early when the filters reject the trace. [`full`] is
//! the reference reader that keeps every event; `show` prints from it and the differential
//! tests hold the fast reader to it.

pub mod event;
pub(crate) mod exception;
mod fast;
pub mod full;
mod head;
mod input;
pub(crate) mod sniff;
mod summary;

/// The names under which times that could not be read are reported.
pub(crate) use summary::fields as time_fields;

use std::fs::File;
use std::path::Path;
use std::sync::atomic::AtomicU64;

use crate::error::{FileError, ParseError};
use crate::model::Trace;

/// Reads one trace file. `keep` decides, from the root element and first events, whether the
/// rest of the file is worth reading; a trace it rejects comes back read to its head
/// ([`Depth::Head`](crate::model::Depth::Head)).
pub fn parse_file(path: &Path, keep: &dyn Fn(&Trace) -> bool) -> Result<Trace, FileError> {
    parse_file_counted(path, keep, &AtomicU64::new(0))
}

/// [`parse_file`], adding the bytes read from disk to `bytes_read`.
pub fn parse_file_counted(
    path: &Path,
    keep: &dyn Fn(&Trace) -> bool,
    bytes_read: &AtomicU64,
) -> Result<Trace, FileError> {
    let file = File::open(path).map_err(|e| FileError::io(path, &e))?;
    // On a share every read is a round trip: the encoding sniff and the head come from one
    // read (a 4-byte read would cost a round trip of its own), sized to end just past where
    // the request headers of the traces rejected before in the folder ended, which is all a
    // trace the filters reject needs (see `head.rs`). Later reads are of the size the reader
    // asks for.
    let head = head::Head::of_file(path);
    let counted = input::FirstRead::new(input::Counting::new(file, bytes_read), head.first_read());
    let mut input = input::utf8_stream(counted).map_err(|e| FileError::io(path, &e))?;
    fast::summarize(path, &mut input, keep, &head).map_err(|e| FileError::parse(path, &e))
}

/// Reads one trace file with the full reader, in bounded memory. Anything but a regular file
/// (a pipe would block for ever, a device never ends) is refused before it is opened.
pub fn read_file_full(path: &Path) -> Result<full::Document, FileError> {
    let meta = std::fs::metadata(path).map_err(|e| FileError::io(path, &e))?;
    if !meta.is_file() {
        return Err(not_regular(path, &meta));
    }
    let file = File::open(path).map_err(|e| FileError::io(path, &e))?;
    full::read_document_from(file).map_err(|e| FileError::parse(path, &e))
}

/// Reads one trace file with the full reader, and its summary from that same read: what
/// `show` needs, from one pass over the file. The summary is what [`parse_file`] gives (the
/// differential tests hold the two to it).
pub fn read_file_summarized(path: &Path) -> Result<(full::Document, Trace), FileError> {
    let document = read_file_full(path)?;
    let trace = document.summarize(path);
    Ok((document, trace))
}

fn not_regular(path: &Path, meta: &std::fs::Metadata) -> FileError {
    let what = if meta.is_dir() {
        "a directory (give a trace file, or pass the folder to scan or requests)"
    } else {
        "not a regular file (a pipe, socket or device)"
    };
    FileError {
        path: path.to_path_buf(),
        reason: crate::error::SkipReason::Unreadable,
        detail: what.into(),
    }
}

/// Reads one trace from memory with the fast reader, keeping everything.
pub fn parse_bytes(path: &Path, bytes: &[u8]) -> Result<Trace, ParseError> {
    parse_bytes_filtered(path, bytes, &|_| true)
}

/// [`parse_bytes`] with a filter: `keep` sees the root element and first events, and the rest
/// of a trace it rejects is not read (the trace comes back with [`Depth::Head`]).
///
/// [`Depth::Head`]: crate::model::Depth::Head
pub fn parse_bytes_filtered(
    path: &Path,
    bytes: &[u8],
    keep: &dyn Fn(&Trace) -> bool,
) -> Result<Trace, ParseError> {
    let mut input = input::utf8_stream(bytes).map_err(|e| ParseError::io(&e))?;
    fast::summarize(path, &mut input, keep, &head::Head::in_memory())
}

/// Reads one trace from memory with the full reader and summarizes it.
pub fn parse_bytes_full(path: &Path, bytes: &[u8]) -> Result<Trace, ParseError> {
    Ok(full::read_document(bytes)?.summarize(path))
}
