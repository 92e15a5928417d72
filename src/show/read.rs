//! Reading the traces `show` prints: each file once, for its summary and its events alike.
//!
//! The cross-trace rules need the summary of every trace before the first one is printed, so
//! a document is read long before its turn. Kept documents are what memory holds, so they are
//! kept within [`KEPT_BUDGET`]: a trace given alone is always kept (the common case, and the
//! one whose size the full reader already bounds), and with several, those past the budget
//! are read again when their turn comes rather than held. Memory stays one document plus the
//! budget, whatever the files hold.

use std::path::{Path, PathBuf};

use crate::error::FileError;
use crate::model::Trace;
use crate::parse::{self, full::Document};

/// The most bytes of events kept, across the documents waiting for their turn.
pub const KEPT_BUDGET: usize = 32 * 1024 * 1024;

/// The traces to print, read.
#[derive(Debug, Default)]
pub struct Targets {
    /// The summary of each trace read, in the order given.
    pub traces: Vec<Trace>,
    /// The document of each trace, when it was kept.
    documents: Vec<Option<Document>>,
    /// The files that could not be read.
    pub failed: Vec<FileError>,
}

impl Targets {
    /// Reads every file, one after the other (a document can be tens of MiB; reading them in
    /// parallel would hold one per thread).
    pub fn read(files: &[PathBuf]) -> Targets {
        let alone = files.len() == 1;
        let mut targets = Targets::default();
        let mut kept = 0;
        for path in files {
            match parse::read_file_summarized(path) {
                Ok((document, trace)) => {
                    let size = document.kept_bytes();
                    let keep = alone || kept + size <= KEPT_BUDGET;
                    if keep {
                        kept += size;
                    }
                    targets.traces.push(trace);
                    targets.documents.push(keep.then_some(document));
                }
                Err(e) => targets.failed.push(e),
            }
        }
        targets
    }

    /// The document of the `index`th trace read: the one kept, once, or the file read again
    /// when it was not kept.
    pub fn take_document(&mut self, index: usize, path: &Path) -> Result<Document, FileError> {
        match self.documents.get_mut(index).and_then(Option::take) {
            Some(document) => Ok(document),
            None => parse::read_file_full(path),
        }
    }

    /// How many of the documents were kept (for the tests).
    pub fn kept(&self) -> usize {
        self.documents.iter().filter(|d| d.is_some()).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples_of(server: &str) -> Vec<PathBuf> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("samples")
            .join(server);
        let mut files: Vec<PathBuf> = walk(&dir);
        files.sort();
        files
    }

    fn walk(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(walk(&path));
            } else if path.extension().is_some_and(|e| e == "xml")
                && path
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("fr"))
            {
                out.push(path);
            }
        }
        out
    }

    #[test]
    fn each_trace_is_read_once_and_its_summary_is_the_fast_readers() {
        let files = samples_of("WEB01");
        assert!(files.len() > 3, "{files:?}");
        let mut targets = Targets::read(&files);
        assert!(targets.failed.is_empty(), "{:?}", targets.failed);
        assert_eq!(targets.kept(), files.len(), "small traces are all kept");
        for (i, path) in files.iter().enumerate() {
            let fast = parse::parse_file(path, &|_| true).unwrap();
            assert_eq!(targets.traces[i], fast, "{}", path.display());
            let document = targets.take_document(i, path).unwrap();
            assert_eq!(document.summarize(path), fast);
        }
        assert_eq!(targets.kept(), 0, "each document is handed over once");
    }

    #[test]
    fn documents_past_the_budget_are_read_again_in_their_turn() {
        let files = samples_of("WEB01");
        let mut targets = Targets::read(&files);
        // As if the budget had been spent: the document comes from the file again.
        targets.documents.iter_mut().for_each(|d| *d = None);
        let again = targets.take_document(0, &files[0]).unwrap();
        assert_eq!(again.summarize(&files[0]), targets.traces[0]);
    }
}
