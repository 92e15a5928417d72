//! The fast reader must give exactly what the full reader gives, on every trace we have:
//! the bundled samples, the test inputs and, when present, the real traces in `../shared`.

mod common;

use std::fs;
use std::path::Path;

use common::{crate_dir, real_corpus, samples, xml_files};
use frebscope::model::Trace;
use frebscope::parse::{parse_bytes, parse_bytes_full};

fn assert_readers_agree(dir: &Path) -> usize {
    let files = xml_files(dir);
    let mut compared = 0;
    for file in &files {
        let bytes = fs::read(file).unwrap();
        let fast = parse_bytes(file, &bytes);
        let full = parse_bytes_full(file, &bytes);
        match (fast, full) {
            (Ok(fast), Ok(full)) => {
                assert_eq!(fast, full, "readers disagree on {}", file.display());
                compared += 1;
            }
            (Err(a), Err(b)) => assert_eq!(a.reason(), b.reason(), "{}", file.display()),
            (a, b) => panic!("{}: fast {a:?} full {b:?}", file.display()),
        }
    }
    compared
}

#[test]
fn fast_reader_equals_full_reader_on_samples() {
    let compared = assert_readers_agree(&samples());
    assert!(compared > 0, "samples/ holds no traces");
}

#[test]
fn fast_reader_equals_full_reader_on_test_inputs() {
    let compared = assert_readers_agree(&crate_dir().join("tests"));
    assert!(compared >= 2, "only {compared} traces under tests/");
}

#[test]
fn fast_reader_equals_full_reader_on_real_traces() {
    let Some(real) = real_corpus() else {
        return;
    };
    assert_eq!(assert_readers_agree(&real), 53);
}

/// The error event of the common trace, wrapped in `before` and `after`.
fn with_error_event_wrapped(before: &str, after: &str) -> String {
    let events = common::events("WEB01");
    let start = events.find("<Event ").unwrap();
    let error = events.find("MODULE_SET_RESPONSE_ERROR_STATUS").unwrap();
    let error_start = events[..error].rfind("<Event ").unwrap();
    let error_end = error + events[error..].find("</Event>").unwrap() + "</Event>".len();
    let mut text = common::head(&common::Root::default());
    text.push_str(&events[start..error_start]);
    text.push_str(before);
    text.push_str(&events[error_start..error_end]);
    text.push_str(after);
    text.push_str(&events[error_end..]);
    text.push_str("</failedRequest>");
    text
}

/// A forged error event, as a comment or CDATA section would carry it.
fn forged_error() -> String {
    let events = common::events("WEB01");
    let error = events.find("MODULE_SET_RESPONSE_ERROR_STATUS").unwrap();
    let start = events[..error].rfind("<Event ").unwrap();
    let end = error + events[error..].find("</Event>").unwrap() + "</Event>".len();
    events[start..end].replace("AspNetCoreModuleV2", "ForgedModule")
}

/// A trace whose real events are those of `common::trace()` with no error, and `markup`
/// after its first event.
fn with_markup_after_first_event(markup: &str) -> String {
    let text = with_error_event_wrapped("<!--", "-->");
    let first_end = text.find("</Event>").unwrap() + "</Event>".len();
    format!("{}{markup}{}", &text[..first_end], &text[first_end..])
}

fn both(text: &str) -> (Trace, Trace) {
    let path = Path::new("fr000001.xml");
    let fast = parse_bytes(path, text.as_bytes()).expect("fast reader");
    let full = parse_bytes_full(path, text.as_bytes()).expect("full reader");
    assert_eq!(fast, full, "readers disagree on:\n{text}");
    (fast, full)
}

/// Comments, CDATA sections and processing instructions can hold `</Event>`, `<Event>` and
/// `<failedRequest`: what they hold is not an event, in either reader.
#[test]
fn markup_cannot_hide_or_forge_an_event() {
    // A 502.3 hidden in a comment is hidden for both readers.
    let (hidden, _) = both(&with_error_event_wrapped("<!--", "-->"));
    assert_eq!(hidden.error, None);
    assert_eq!(hidden.event_count, 2);
    // Forged events inside comments, CDATA and instructions are not events.
    let forged = forged_error();
    for markup in [
        format!("<!-- {forged} -->"),
        format!("<?frebscope {forged} ?>"),
        "<!-- </Event> -->".to_owned(),
        "<?x </Event><Event> ?>".to_owned(),
    ] {
        let (trace, _) = both(&with_markup_after_first_event(&markup));
        assert_eq!(trace.error, None, "{markup}");
        assert_eq!(trace.event_count, 2, "{markup}");
    }
    // Inside a value, CDATA is text: the event around it is one event.
    let cdata = format!("<![CDATA[</Data></EventData></Event>{forged}]]>");
    let text = common::trace().replace(
        "<Data Name=\"HttpReason\">Bad Gateway</Data>",
        &format!("<Data Name=\"HttpReason\">{cdata}</Data>"),
    );
    let (trace, _) = both(&text);
    assert_eq!(trace.module(), "AspNetCoreModuleV2");
    assert_eq!(trace.event_count, 3);
    // A fake root in a comment before the real one is not the root.
    let text = common::trace().replacen(
        "<failedRequest",
        "<!-- <failedRequest statusCode=\"200\" url=\"/forged\"> --><failedRequest",
        1,
    );
    let (trace, _) = both(&text);
    assert_eq!(trace.status.to_string(), "502.3");
    assert!(!trace.url.contains("forged"));
}

/// What `requests` reports agrees with the full reader on the same hostile traces.
#[test]
fn requests_reports_what_the_xml_holds() {
    let tmp = tempfile::tempdir().unwrap();
    let hidden = tmp.path().join("fr000001.xml");
    common::write(&hidden, with_error_event_wrapped("<!--", "-->"));
    let forged = tmp.path().join("fr000002.xml");
    common::write(
        &forged,
        with_markup_after_first_event(&format!("<!-- {} -->", forged_error())),
    );
    let out = common::requests_json(&[tmp.path().as_os_str()]);
    out.assert_accounted();
    for name in ["fr000001.xml", "fr000002.xml"] {
        assert!(out.row(name)["module"].is_null(), "{name}");
        assert!(out.row(name)["error_code"].is_null(), "{name}");
    }
}

/// A DOCTYPE is refused by both readers, wherever it is.
#[test]
fn a_doctype_is_not_freb_in_both_readers() {
    let path = Path::new("fr000001.xml");
    let trace = common::trace();
    let at = trace.find("<failedRequest").unwrap();
    let before = format!("{}<!DOCTYPE failedRequest>{}", &trace[..at], &trace[at..]);
    let inside = with_markup_after_first_event("<!DOCTYPE x>");
    for text in [before, inside] {
        for result in [
            parse_bytes(path, text.as_bytes()),
            parse_bytes_full(path, text.as_bytes()),
        ] {
            let err = result.expect_err("a DOCTYPE is refused");
            assert_eq!(err.reason().as_str(), "not-freb");
            assert!(err.to_string().contains("DOCTYPE"), "{err}");
        }
    }
}

/// `show` reads each file once, with the full reader, and takes its summary from that read;
/// `scan` takes it from the fast reader over the file. Both paths, from the file on disk, give
/// the same record.
fn assert_file_paths_agree(dir: &Path) -> usize {
    let mut compared = 0;
    for file in xml_files(dir) {
        let scan = frebscope::parse::parse_file(&file, &|_| true);
        let show = frebscope::parse::read_file_summarized(&file);
        match (scan, show) {
            (Ok(scan), Ok((document, show))) => {
                assert_eq!(scan, show, "scan and show disagree on {}", file.display());
                assert_eq!(document.summarize(&file), show);
                compared += 1;
            }
            (Err(a), Err(b)) => assert_eq!(a.reason, b.reason, "{}", file.display()),
            (a, b) => panic!("{}: scan {a:?} show {b:?}", file.display()),
        }
    }
    compared
}

#[test]
fn show_and_scan_read_the_same_record_from_the_samples() {
    let compared = assert_file_paths_agree(&samples());
    assert!(compared >= 44, "only {compared} traces in samples/");
}

#[test]
fn show_and_scan_read_the_same_record_from_the_real_traces() {
    let Some(real) = real_corpus() else {
        return;
    };
    assert_eq!(assert_file_paths_agree(&real), 53);
}

/// Times that cannot be read are reported the same way by both readers, wherever they are.
#[test]
fn unparseable_times_agree_in_both_readers() {
    for bad in [
        "9999-12-31T23:59:59.000-05:00",
        "",
        "yesterday",
        "2026-06-08T25:00:00Z",
    ] {
        for good in ["2026-06-08T19:54:51.596Z", "2026-06-08T19:54:59.674Z"] {
            let (trace, _) = both(&common::trace().replace(good, bad));
            assert!(!trace.unparsed.is_empty(), "{bad} for {good}");
        }
        // Every event's time at once.
        let text = common::trace()
            .replace("2026-06-08T19:54:51.596Z", bad)
            .replace("2026-06-08T19:54:59.674Z", bad);
        let (trace, _) = both(&text);
        assert_eq!(trace.start_time, None);
        assert_eq!(trace.end_time, None);
    }
}

/// The exception of an error page: read alike by both readers, from a small body, and from
/// neither when the body is past the value cap or the event past the fast reader's size cap.
#[test]
fn both_readers_read_the_same_exception() {
    let page =
        "&lt;b&gt; Exception Details: &lt;/b&gt;System.InvalidOperationException: boom&lt;br&gt;";
    let with_body = |body: &str| {
        let buffer = common::event(
            "GENERAL_RESPONSE_ENTITY_BUFFER",
            "WEB01",
            "2026-06-08T19:54:52.000Z",
            &format!("  <Data Name=\"Buffer\">{body}</Data>\r\n"),
        );
        common::trace().replace("</failedRequest>", &format!("{buffer}</failedRequest>"))
    };
    let (small, _) = both(&with_body(page));
    assert_eq!(
        small.exception.as_deref(),
        Some("System.InvalidOperationException: boom")
    );
    for padding in [70 * 1024, 5 * 1024 * 1024] {
        let body = format!("{page}{}", "x".repeat(padding));
        let (big, _) = both(&with_body(&body));
        assert_eq!(big.exception, None, "{padding} bytes of padding");
    }
}

/// Only a failure's first four searchable bodies are searched for an exception, by both
/// readers alike: bodies that name none count, whether or not a reader parsed them, and a body
/// past the value cap does not.
#[test]
fn both_readers_search_the_same_bodies() {
    let page =
        "&lt;b&gt; Exception Details: &lt;/b&gt;System.InvalidOperationException: boom&lt;br&gt;";
    let plain = "&lt;html&gt;&lt;body&gt;Service Unavailable&lt;/body&gt;&lt;/html&gt;";
    let oversized = "x".repeat(70 * 1024);
    let buffer = |body: &str| {
        common::event(
            "GENERAL_RESPONSE_ENTITY_BUFFER",
            "WEB01",
            "2026-06-08T19:54:52.000Z",
            &format!("  <Data Name=\"Buffer\">{body}</Data>\r\n"),
        )
    };
    let with_bodies = |bodies: &[&str]| {
        let events: String = bodies.iter().map(|body| buffer(body)).collect();
        common::trace().replace("</failedRequest>", &format!("{events}</failedRequest>"))
    };
    for before in 0..=5 {
        let mut bodies = vec![plain; before];
        bodies.push(page);
        let (trace, _) = both(&with_bodies(&bodies));
        assert_eq!(
            trace.exception.is_some(),
            before < 4,
            "{before} bodies before"
        );
    }
    // Three counted, one past the cap that is not: the fourth counted is the page.
    let (trace, _) = both(&with_bodies(&[plain, plain, plain, &oversized, page]));
    assert!(trace.exception.is_some());
    // Invalid UTF-8 may decode longer than it is written: both readers still agree.
    let mut bytes = with_bodies(&[plain, plain, plain, plain]).into_bytes();
    let at = bytes.windows(7).position(|w| w == b"Service").unwrap();
    bytes[at] = 0xFF;
    let path = Path::new("fr000001.xml");
    assert_eq!(
        parse_bytes(path, &bytes).unwrap(),
        parse_bytes_full(path, &bytes).unwrap()
    );
}

/// `text` with every `from` replaced by `to`, and how many there were.
fn replaced(text: &str, from: &str, to: &str) -> (String, usize) {
    (text.replace(from, to), text.matches(from).count())
}

/// A letter written as a character reference is the same letter: the fast reader, which skips
/// the XML parse of events whose raw bytes cannot matter, must see through it as the full
/// reader does. The ARR log ID header's name and an error page's exception, each spelled
/// with a reference, must read as the trace spelled plainly.
#[test]
fn character_references_hide_nothing_from_either_reader() {
    let spellings = [
        (
            r#"<Data Name="HeaderName">X-ARR-LOG-ID</Data>"#,
            r#"<Data Name="HeaderName">&#88;-ARR-LOG-ID</Data>"#,
        ),
        ("Exception Details:", "&#69;xception Details:"),
        ("Exception: ", "Exceptio&#x6E;: "),
        ("Exception", "Exceptio&#110;"),
    ];
    let mut changed = [0; 4];
    for file in xml_files(&samples()) {
        let text = fs::read_to_string(&file).unwrap();
        let Ok(plain) = parse_bytes(&file, text.as_bytes()) else {
            continue;
        };
        for (i, (from, to)) in spellings.iter().enumerate() {
            let (spelled, count) = replaced(&text, from, to);
            if count == 0 {
                continue;
            }
            changed[i] += 1;
            let fast = parse_bytes(&file, spelled.as_bytes()).unwrap();
            let full = parse_bytes_full(&file, spelled.as_bytes()).unwrap();
            assert_eq!(fast, full, "{} with {to}", file.display());
            assert_eq!(fast, plain, "{} with {to}", file.display());
        }
    }
    assert!(
        changed.iter().all(|&n| n > 0),
        "every spelling must occur in samples/: {changed:?}"
    );
}
