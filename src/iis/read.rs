//! Reading one IIS configuration file into the few sections the audit needs.
//!
//! A real applicationHost.config runs from 30 KB to tens of megabytes (thousands of sites, big
//! `staticContent` or `rewriteMaps` sections), and every value in it may be hostile. So the
//! file is streamed through quick-xml, never held whole: only the elements under the sections
//! the audit reads are kept ([`KEPT_SECTIONS`]), every attribute value is cut at
//! [`MAX_VALUE_BYTES`], at most [`MAX_NODES`] elements are kept, and a single tag or text run
//! longer than [`MAX_MARKUP_BYTES`] stops the read (it would otherwise sit whole in quick-xml's
//! buffer). A DOCTYPE is refused: IIS never writes one, and entities are never expanded.
//!
//! UTF-8 (with or without BOM) and UTF-16 (LE/BE with BOM, or LE/BE sniffed from `<?`) are
//! decoded by `encoding_rs_io` before quick-xml sees the bytes.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use encoding_rs_io::DecodeReaderBytesBuilder;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use thiserror::Error;

/// Attribute values are cut here (on a character boundary).
pub const MAX_VALUE_BYTES: usize = 4096;
/// Elements kept per file; a file with more is read on, its extra elements ignored.
pub const MAX_NODES: usize = 250_000;
/// One tag or one run of text longer than this stops the read.
pub const MAX_MARKUP_BYTES: usize = 8 * 1024 * 1024;
/// Attributes kept per element.
const MAX_ATTRIBUTES: usize = 64;
/// Encrypted values remembered per file (they are only counted beyond).
const MAX_ENCRYPTED: usize = 1000;

/// The sections (below `configuration`, or below `configuration/location`) whose elements
/// are kept. Everything else is streamed past.
pub const KEPT_SECTIONS: &[&[&str]] = &[
    &["system.applicationHost", "applicationPools"],
    &["system.applicationHost", "sites"],
    &["system.webServer", "globalModules"],
    &["system.webServer", "modules"],
    &["system.webServer", "proxy"],
    &["system.webServer", "tracing"],
    &["system.webServer", "aspNetCore"],
    &["system.webServer", "httpPlatform"],
    &["system.webServer", "rewrite"],
    &["system.webServer", "applicationInitialization"],
    &["webFarms"],
    &["configurationRedirection"],
];

/// One kept element.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Node {
    /// Element name as written (`add`, `applicationPoolDefaults`).
    pub name: String,
    /// Attributes in file order, values unescaped and capped.
    pub attrs: Vec<(String, String)>,
    /// 1-based line of the start tag.
    pub line: u32,
    /// Kept child elements.
    pub children: Vec<Node>,
}

impl Node {
    /// The value of an attribute.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first child with this name.
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    /// All children with this name.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The element at a path of child names (first match at each step).
    pub fn at(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self, |node, name| node.child(name))
    }
}

/// An attribute holding an `[enc:...:enc]` value. The value itself is never kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encrypted {
    /// The element path, `system.applicationHost/applicationPools/add`.
    pub element: String,
    /// The attribute name.
    pub attribute: String,
    /// The key attribute of the element when it has one (`name="Orders"`).
    pub key: String,
    /// 1-based line.
    pub line: u32,
}

/// A configuration file as far as the audit reads it.
#[derive(Debug, Clone, Default)]
pub struct Document {
    /// The file.
    pub path: PathBuf,
    /// `configuration` and the kept elements below it.
    pub root: Node,
    /// Encrypted attributes found anywhere in the file.
    pub encrypted: Vec<Encrypted>,
    /// Encrypted attributes beyond the ones kept.
    pub encrypted_more: usize,
    /// More than [`MAX_NODES`] elements were kept: the rest was ignored.
    pub truncated: bool,
}

/// Why a configuration file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReadError {
    /// The operating system refused or failed.
    #[error("{path}: could not read: {message}")]
    Io {
        /// The file.
        path: String,
        /// The system's reason.
        message: String,
    },
    /// The XML is broken.
    #[error("{path}:{line}:{column}: malformed XML: {message}")]
    Malformed {
        /// The file.
        path: String,
        /// 1-based line.
        line: u32,
        /// 1-based column, in characters.
        column: u32,
        /// What went wrong.
        message: String,
    },
    /// A `<!DOCTYPE>`: IIS never writes one, and frebscope never reads DTDs.
    #[error(
        "{path}:{line}: a <!DOCTYPE> is refused: IIS configuration files never have one, and DTDs are never read"
    )]
    Doctype {
        /// The file.
        path: String,
        /// 1-based line.
        line: u32,
    },
    /// An Azure App Service XDT transform, not a configuration.
    #[error(
        "{path}: an XDT transform (Azure App Service applicationHost.xdt), not a configuration: frebscope audits the applicationHost.config it is applied to, not the transform; copy the site's applicationHost.config from Kudu (D:\\local\\Config\\applicationhost.config) instead"
    )]
    Transform {
        /// The file.
        path: String,
    },
    /// Not a `<configuration>` document.
    #[error(
        "{path}: not an IIS configuration file (the root element is <{root}>, not <configuration>)"
    )]
    NotConfiguration {
        /// The file.
        path: String,
        /// The root element seen.
        root: String,
    },
}

/// Reads a configuration file.
pub fn read_file(path: &Path) -> Result<Document, ReadError> {
    let file = File::open(path).map_err(|e| io_error(path, &e))?;
    read(path, file)
}

/// Reads configuration bytes from any reader; `path` names them in errors.
pub fn read(path: &Path, input: impl Read) -> Result<Document, ReadError> {
    let display = path.display().to_string();
    let mut decoded = decoder(input).map_err(|e| io_error(path, &e))?;
    let mut reader = Reader::from_reader(Counting::new(&mut decoded));
    reader.config_mut().check_end_names = true;
    let mut builder = Builder::new(path);
    let mut buf = Vec::with_capacity(4096);
    loop {
        let event = match reader.read_event_into(&mut buf) {
            Ok(event) => event,
            Err(err) => {
                let (line, column) = reader.get_ref().line_column(reader.error_position());
                return Err(ReadError::Malformed {
                    path: display,
                    line,
                    column,
                    message: err.to_string(),
                });
            }
        };
        let line = reader.get_ref().line;
        match event {
            Event::Start(e) => {
                let at = line.saturating_sub(newlines(&e));
                builder.start(&e, at)?;
            }
            Event::Empty(e) => {
                let at = line.saturating_sub(newlines(&e));
                builder.start(&e, at)?;
                builder.end();
            }
            Event::End(_) => builder.end(),
            Event::DocType(_) => {
                return Err(ReadError::Doctype {
                    path: display,
                    line,
                });
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    builder.finish()
}

fn newlines(e: &BytesStart<'_>) -> u32 {
    memchr::memchr_iter(b'\n', e.as_ref().as_bytes()).count() as u32
}

fn io_error(path: &Path, err: &io::Error) -> ReadError {
    ReadError::Io {
        path: path.display().to_string(),
        message: err.to_string(),
    }
}

/// The decoding reader: BOM first, else UTF-16 sniffed from `<?` / `<c` with a zero byte,
/// else UTF-8. The BOM is stripped, so quick-xml always sees UTF-8.
fn decoder<R: Read>(mut input: R) -> io::Result<impl BufRead> {
    let mut head = [0u8; 4];
    let mut got = 0;
    while got < head.len() {
        match input.read(&mut head[got..])? {
            0 => break,
            n => got += n,
        }
    }
    let head = &head[..got];
    let sniffed = match head {
        [b'<', 0, _, 0] => Some(encoding_rs::UTF_16LE),
        [0, b'<', 0, _] => Some(encoding_rs::UTF_16BE),
        _ => None,
    };
    let chained = io::Cursor::new(head.to_vec()).chain(input);
    let reader = DecodeReaderBytesBuilder::new()
        .encoding(sniffed)
        .bom_sniffing(true)
        .strip_bom(true)
        .build(chained);
    Ok(BufReader::with_capacity(64 * 1024, reader))
}

/// A `BufRead` that counts the lines quick-xml has consumed and refuses a run of bytes
/// without `<` or `>` longer than [`MAX_MARKUP_BYTES`] (one tag or text that quick-xml would
/// otherwise buffer whole).
struct Counting<R> {
    inner: R,
    line: u32,
    run: usize,
    /// Bytes consumed so far.
    total: u64,
    /// Offsets of the last newlines consumed, to place an error that quick-xml reports
    /// behind what it has consumed.
    newlines: VecDeque<u64>,
}

/// Newline offsets remembered for placing errors.
const NEWLINES_KEPT: usize = 4096;

impl<R: BufRead> Counting<R> {
    fn new(inner: R) -> Self {
        Counting {
            inner,
            line: 1,
            run: 0,
            total: 0,
            newlines: VecDeque::with_capacity(NEWLINES_KEPT),
        }
    }

    /// 1-based line and column (in bytes) of an offset at or before what was consumed.
    fn line_column(&self, offset: u64) -> (u32, u32) {
        let after = self
            .newlines
            .iter()
            .rev()
            .take_while(|&&n| n >= offset)
            .count();
        let line = self.line.saturating_sub(after as u32).max(1);
        let line_start = self
            .newlines
            .iter()
            .rev()
            .find(|&&n| n < offset)
            .map_or(0, |n| n + 1);
        let column = offset.saturating_sub(line_start) + 1;
        (line, u32::try_from(column).unwrap_or(u32::MAX))
    }
}

impl<R: BufRead> Read for Counting<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = {
            let available = self.fill_buf()?;
            let n = available.len().min(out.len());
            out[..n].copy_from_slice(&available[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counting<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.run > MAX_MARKUP_BYTES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "one tag or text is longer than {} MiB; refused to keep memory bounded",
                    MAX_MARKUP_BYTES / (1024 * 1024)
                ),
            ));
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        // The inner buffer still holds the bytes being consumed: fill_buf returns it again
        // without reading.
        if let Ok(bytes) = self.inner.fill_buf() {
            let bytes = &bytes[..amount.min(bytes.len())];
            for at in memchr::memchr_iter(b'\n', bytes) {
                self.line += 1;
                if self.newlines.len() == NEWLINES_KEPT {
                    self.newlines.pop_front();
                }
                self.newlines.push_back(self.total + at as u64);
            }
            self.run = match memchr::memrchr2(b'<', b'>', bytes) {
                Some(at) => bytes.len() - at - 1,
                None => self.run + bytes.len(),
            };
            self.total += bytes.len() as u64;
        }
        self.inner.consume(amount);
    }
}

/// Builds the kept tree from start and end events.
struct Builder {
    path: PathBuf,
    /// Element names from the root to the current element.
    names: Vec<String>,
    /// Open kept elements; `None` where an element is streamed past.
    open: Vec<Option<Node>>,
    root: Option<Node>,
    nodes: usize,
    encrypted: Vec<Encrypted>,
    encrypted_more: usize,
    truncated: bool,
    root_seen: bool,
}

impl Builder {
    fn new(path: &Path) -> Self {
        Builder {
            path: path.to_path_buf(),
            names: Vec::new(),
            open: Vec::new(),
            root: None,
            nodes: 0,
            encrypted: Vec::new(),
            encrypted_more: 0,
            truncated: false,
            root_seen: false,
        }
    }

    fn display(&self) -> String {
        self.path.display().to_string()
    }

    fn start(&mut self, e: &BytesStart<'_>, line: u32) -> Result<(), ReadError> {
        let name = e.name().as_ref().to_owned();
        if !self.root_seen {
            self.root_seen = true;
            let transform = e.attributes().flatten().any(|a| {
                a.key.as_ref().starts_with("xmlns:")
                    && a.value.as_ref() == "http://schemas.microsoft.com/XML-Document-Transform"
            });
            if transform {
                return Err(ReadError::Transform {
                    path: self.display(),
                });
            }
            if name != "configuration" {
                return Err(ReadError::NotConfiguration {
                    path: self.display(),
                    root: cap(&name).to_owned(),
                });
            }
        } else if e.name().as_ref().starts_with("xdt:")
            || e.attributes()
                .flatten()
                .any(|a| a.key.as_ref().starts_with("xdt:"))
        {
            return Err(ReadError::Transform {
                path: self.display(),
            });
        }
        self.names.push(name);
        let wanted = self.keeps();
        let keep = wanted && self.nodes < MAX_NODES;
        if wanted && !keep {
            self.truncated = true;
        }
        // Attributes of elements streamed past are only looked at for encrypted values.
        let attrs = if keep || memchr::memmem::find(e.as_ref().as_bytes(), b"[enc:").is_some() {
            self.attributes(e, line)
        } else {
            Vec::new()
        };
        let node = keep.then(|| {
            self.nodes += 1;
            Node {
                name: cap(self.names.last().map_or("", String::as_str)).to_owned(),
                attrs,
                line,
                children: Vec::new(),
            }
        });
        self.open.push(node);
        Ok(())
    }

    fn end(&mut self) {
        self.names.pop();
        let Some(done) = self.open.pop() else {
            return;
        };
        let Some(done) = done else {
            return;
        };
        match self.open.iter_mut().rev().find_map(Option::as_mut) {
            Some(parent) => parent.children.push(done),
            None => self.root = Some(done),
        }
    }

    /// Whether the current element path lies in a kept section or on the way to one.
    fn keeps(&self) -> bool {
        let Some((first, rest)) = self.names.split_first() else {
            return false;
        };
        if first != "configuration" {
            return false;
        }
        let rest = match rest.split_first() {
            Some((location, inner)) if location == "location" => inner,
            _ => rest,
        };
        if rest.is_empty() {
            return true;
        }
        KEPT_SECTIONS
            .iter()
            .any(|section| section.iter().zip(rest).all(|(want, have)| want == have))
    }

    fn attributes(&mut self, e: &BytesStart<'_>, line: u32) -> Vec<(String, String)> {
        let mut attrs = Vec::new();
        for attr in e.attributes().with_checks(false).flatten() {
            let key = attr.key.as_ref().to_owned();
            let value = match attr.normalized_value(quick_xml::XmlVersion::Implicit1_0) {
                Ok(v) => v.into_owned(),
                // An unknown entity is kept as written, never resolved.
                Err(_) => attr.value.as_ref().to_owned(),
            };
            // The providers' own session keys are in every stock file: not a setting.
            if is_encrypted(&value) && self.names.get(1).is_none_or(|n| n != "configProtectedData")
            {
                self.remember_encrypted(&key, line, e);
            }
            if attrs.len() < MAX_ATTRIBUTES {
                attrs.push((cap(&key).to_owned(), cap(&value).to_owned()));
            }
        }
        attrs
    }

    fn remember_encrypted(&mut self, attribute: &str, line: u32, e: &BytesStart<'_>) {
        if self.encrypted.len() >= MAX_ENCRYPTED {
            self.encrypted_more += 1;
            return;
        }
        let key = ["name", "address", "path", "userName"]
            .iter()
            .find_map(|k| {
                e.attributes()
                    .flatten()
                    .find(|a| a.key.as_ref() == *k)
                    .map(|a| format!("{k}={}", a.value.as_ref()))
            })
            .unwrap_or_default();
        let element = self
            .names
            .iter()
            .skip(1)
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("/");
        self.encrypted.push(Encrypted {
            element: cap(&element).to_owned(),
            attribute: cap(attribute).to_owned(),
            key: cap(&key).to_owned(),
            line,
        });
    }

    fn finish(self) -> Result<Document, ReadError> {
        let display = self.display();
        let Some(root) = self.root else {
            return Err(ReadError::Malformed {
                path: display,
                line: 1,
                column: 1,
                message: if self.root_seen {
                    "the root element is not closed".into()
                } else {
                    "no root element (the file is empty or holds no XML)".into()
                },
            });
        };
        if !self.open.is_empty() {
            return Err(ReadError::Malformed {
                path: display,
                line: 0,
                column: 0,
                message: "the file ends inside an element".into(),
            });
        }
        Ok(Document {
            path: self.path,
            root,
            encrypted: self.encrypted,
            encrypted_more: self.encrypted_more,
            truncated: self.truncated,
        })
    }
}

/// `[enc:Provider:...:enc]`, as IIS writes encrypted attributes.
pub fn is_encrypted(value: &str) -> bool {
    let v = value.trim();
    v.starts_with("[enc:") && v.ends_with(":enc]")
}

/// Cuts text at [`MAX_VALUE_BYTES`] on a character boundary.
fn cap(text: &str) -> &str {
    if text.len() <= MAX_VALUE_BYTES {
        return text;
    }
    let mut end = MAX_VALUE_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &[u8]) -> Result<Document, ReadError> {
        read(Path::new("applicationHost.config"), text)
    }

    fn utf16le(text: &str) -> Vec<u8> {
        let mut out = vec![0xFF, 0xFE];
        for unit in text.encode_utf16() {
            out.extend_from_slice(&unit.to_le_bytes());
        }
        out
    }

    const SMALL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<configuration>\r\n  <system.applicationHost>\r\n    <applicationPools>\r\n      <add name=\"Orders\" startMode=\"OnDemand\" />\r\n    </applicationPools>\r\n  </system.applicationHost>\r\n  <system.webServer><staticContent><mimeMap fileExtension=\".x\" /></staticContent></system.webServer>\r\n</configuration>\r\n";

    #[test]
    fn keeps_the_audited_sections_with_lines() {
        let doc = parse(SMALL.as_bytes()).unwrap();
        let pool = doc
            .root
            .at(&["system.applicationHost", "applicationPools", "add"])
            .unwrap();
        assert_eq!(pool.attr("name"), Some("Orders"));
        assert_eq!(pool.line, 5);
        let web = doc.root.child("system.webServer").unwrap();
        assert!(web.children.is_empty(), "staticContent is not kept");
    }

    #[test]
    fn utf16_and_utf8_bom_read_alike() {
        let plain = parse(SMALL.as_bytes()).unwrap();
        let utf16 = parse(&utf16le(&SMALL.replace("UTF-8", "utf-16"))).unwrap();
        assert_eq!(plain.root, utf16.root);
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(SMALL.as_bytes());
        assert_eq!(parse(&bom).unwrap().root, plain.root);
    }

    #[test]
    fn malformed_names_line_and_column() {
        let text = "<configuration>\n  <system.applicationHost>\n    <applicationPools>\n      <add name=\"a\" </applicationPools>\n</configuration>\n";
        let err = parse(text.as_bytes()).unwrap_err();
        let ReadError::Malformed { line, .. } = &err else {
            panic!("{err}");
        };
        assert!(*line >= 4, "{err}");
        let mismatched = "<configuration>\n<a>\n</b>\n</configuration>";
        let err = parse(mismatched.as_bytes()).unwrap_err();
        assert!(err.to_string().contains(":3:"), "{err}");
    }

    #[test]
    fn doctype_and_transforms_are_refused() {
        let dtd = "<?xml version=\"1.0\"?>\n<!DOCTYPE configuration [<!ENTITY x \"y\">]>\n<configuration/>";
        assert!(matches!(
            parse(dtd.as_bytes()),
            Err(ReadError::Doctype { line: 2, .. })
        ));
        let xdt = "<configuration xmlns:xdt=\"http://schemas.microsoft.com/XML-Document-Transform\"><system.webServer><proxy xdt:Transform=\"InsertIfMissing\" enabled=\"true\"/></system.webServer></configuration>";
        let err = parse(xdt.as_bytes()).unwrap_err();
        assert!(matches!(err, ReadError::Transform { .. }));
        assert!(err.to_string().contains("XDT transform"));
    }

    #[test]
    fn values_are_capped_and_encrypted_ones_noted_without_their_value() {
        let long = "x".repeat(MAX_VALUE_BYTES * 3);
        let text = format!(
            "<configuration><system.applicationHost><applicationPools><add name=\"{long}\"><processModel password=\"[enc:IISWASOnlyAesProvider:c2VjcmV0:enc]\"/></add></applicationPools></system.applicationHost></configuration>"
        );
        let doc = parse(text.as_bytes()).unwrap();
        let pool = doc
            .root
            .at(&["system.applicationHost", "applicationPools", "add"])
            .unwrap();
        assert_eq!(pool.attr("name").unwrap().len(), MAX_VALUE_BYTES);
        assert_eq!(doc.encrypted.len(), 1);
        assert_eq!(doc.encrypted[0].attribute, "password");
        assert!(!format!("{:?}", doc.encrypted).contains("c2VjcmV0"));
    }

    #[test]
    fn unknown_entities_stay_as_written() {
        let text =
            "<configuration><webFarms><webFarm name=\"a&bogus;b\"/></webFarms></configuration>";
        let doc = parse(text.as_bytes()).unwrap();
        let farm = doc.root.at(&["webFarms", "webFarm"]).unwrap();
        assert_eq!(farm.attr("name"), Some("a&bogus;b"));
    }
}
