//! Neither reader panics, whatever the bytes: arbitrary input, and valid traces cut or
//! mutated anywhere. Where both readers accept a cut trace, they agree on it.

mod common;

use std::path::Path;

use frebscope::parse::{full, parse_bytes, parse_bytes_full};
use proptest::prelude::*;

fn both(bytes: &[u8]) {
    let path = Path::new("fr000001.xml");
    let _ = parse_bytes(path, bytes);
    let _ = parse_bytes_full(path, bytes);
    let _ = full::read_document(bytes);
}

fn valid() -> Vec<u8> {
    common::trace().into_bytes()
}

/// A trace whose captured body pushes later events past the reader's first window, so that
/// cuts land on both sides of the window edges.
fn large(body: usize) -> Vec<u8> {
    let root = common::Root::default();
    let mut text = common::head(&root);
    let data = format!("  <Data Name=\"Buffer\">{}</Data>\r\n", "b".repeat(body));
    text.push_str(&common::event(
        "GENERAL_RESPONSE_ENTITY_BUFFER",
        "WEB01",
        "2026-06-08T19:54:51.000Z",
        &data,
    ));
    text.push_str(&common::events("WEB01"));
    text.push_str("</failedRequest>");
    text.into_bytes()
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
    Remove(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Mutation::Flip(at, b)),
        (
            any::<usize>(),
            prop_oneof![
                proptest::collection::vec(any::<u8>(), 1..16),
                Just(b"<".to_vec()),
                Just(b"\"".to_vec()),
                Just(b"&".to_vec()),
                Just(b"</Event>".to_vec()),
                Just(b"<Event>".to_vec()),
                Just(b"<![CDATA[".to_vec()),
                Just(b"<!DOCTYPE x [<!ENTITY a \"&a;\">]>".to_vec()),
                Just(b"</failedRequest>".to_vec()),
                Just(b"<!--".to_vec()),
                Just(b"-->".to_vec()),
                Just(b"<?x ".to_vec()),
                Just(b"?>".to_vec()),
                Just(b"]]>".to_vec()),
                Just(vec![0xFF, 0xFE]),
                Just(vec![0xEF, 0xBB, 0xBF]),
                Just(vec![0xF0, 0x9F]),
            ]
        )
            .prop_map(|(at, bytes)| Mutation::Insert(at, bytes)),
        (any::<usize>(), 1usize..64).prop_map(|(at, n)| Mutation::Remove(at, n)),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let len = bytes.len().max(1);
    match m {
        Mutation::Flip(at, b) => {
            if !bytes.is_empty() {
                let i = at % bytes.len();
                bytes[i] ^= b | 1;
            }
        }
        Mutation::Insert(at, new) => {
            let i = at % (bytes.len() + 1);
            bytes.splice(i..i, new.iter().copied());
        }
        Mutation::Remove(at, n) => {
            let i = at % len;
            let end = (i + n).min(bytes.len());
            if i < end {
                bytes.drain(i..end);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        both(&bytes);
    }

    #[test]
    fn arbitrary_bytes_after_a_root_never_panic(
        tail in proptest::collection::vec(any::<u8>(), 0..4096),
        utf16 in any::<bool>(),
    ) {
        let mut text = common::head(&common::Root::default()).into_bytes();
        text.extend_from_slice(&tail);
        if utf16 {
            let mut wide = vec![0xFF, 0xFE];
            for b in &text {
                wide.extend_from_slice(&[*b, 0]);
            }
            text = wide;
        }
        both(&text);
    }

    /// Arbitrary code units after a UTF-16 byte-order mark: lone surrogates, odd lengths.
    #[test]
    fn arbitrary_utf16_never_panics(
        bytes in proptest::collection::vec(any::<u8>(), 0..4096),
        big_endian in any::<bool>(),
    ) {
        let mut input = if big_endian { vec![0xFE, 0xFF] } else { vec![0xFF, 0xFE] };
        input.extend_from_slice(&bytes);
        both(&input);
    }

    #[test]
    fn truncated_traces_never_panic_and_readers_agree(cut in 0usize..4096, utf16 in any::<bool>()) {
        let trace = valid();
        let cut = cut % (trace.len() + 1);
        let mut bytes = trace[..cut].to_vec();
        if utf16 {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            bytes = common::utf16(&text, false, true);
        }
        let path = Path::new("fr000001.xml");
        let fast = parse_bytes(path, &bytes);
        let full = parse_bytes_full(path, &bytes);
        match (&fast, &full) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            (Err(a), Err(b)) => prop_assert_eq!(a.reason(), b.reason()),
            _ => prop_assert!(false, "cut at {}: fast {:?} full {:?}", cut, fast, full),
        }
    }

    #[test]
    fn mutated_traces_never_panic(mutations in proptest::collection::vec(mutation(), 1..8)) {
        let mut bytes = valid();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        both(&bytes);
    }
}

/// Markup that can hold what ends or starts an event.
fn hostile_markup() -> impl Strategy<Value = String> {
    let inner = prop_oneof![
        Just("</Event>".to_owned()),
        Just("<Event>".to_owned()),
        Just("<failedRequest statusCode=\"200\">".to_owned()),
        Just(common::events("FORGED")),
    ];
    (0usize..3, inner).prop_map(|(kind, inner)| match kind {
        0 => format!("<!-- {} -->", inner.replace("--", "- -")),
        1 => format!("<?frebscope {} ?>", inner.replace("?>", "? >")),
        _ => format!("<![CDATA[{}]]>", inner.replace("]]>", "]] >")),
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Markup holding `</Event>`, `<Event>` or whole events, put between events or inside a
    /// value: both readers read the same trace from it.
    #[test]
    fn markup_anywhere_after_the_root_reads_the_same_in_both_readers(
        markup in hostile_markup(),
        at in any::<usize>(),
        large_body in any::<bool>(),
    ) {
        let text = if large_body { String::from_utf8(large(70_000)).unwrap() } else { common::trace() };
        let root_end = text.find("<Event ").unwrap();
        // Between two elements or inside the text of one: where markup may legally stand.
        let spots: Vec<usize> = text[root_end..]
            .match_indices('>')
            .map(|(i, _)| root_end + i + 1)
            .collect();
        let spot = spots[at % spots.len()];
        let bytes = format!("{}{markup}{}", &text[..spot], &text[spot..]).into_bytes();
        let path = Path::new("fr000001.xml");
        let fast = parse_bytes(path, &bytes);
        let full = parse_bytes_full(path, &bytes);
        match (&fast, &full) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            (Err(a), Err(b)) => prop_assert_eq!(a.reason(), b.reason()),
            _ => prop_assert!(false, "fast {:?} full {:?}", fast, full),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Cuts near the edge of the reader's first 64 KiB window.
    #[test]
    fn large_traces_cut_anywhere_never_panic_and_readers_agree(
        body in 60_000usize..70_000,
        cut_back in 0usize..12_000,
    ) {
        let trace = large(body);
        let cut = trace.len().saturating_sub(cut_back);
        let bytes = &trace[..cut];
        let path = Path::new("fr000001.xml");
        let fast = parse_bytes(path, bytes);
        let full = parse_bytes_full(path, bytes);
        match (&fast, &full) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            (Err(a), Err(b)) => prop_assert_eq!(a.reason(), b.reason()),
            _ => prop_assert!(false, "cut at {}: fast {:?} full {:?}", cut, fast, full),
        }
    }
}

/// Every cut of a trace, in UTF-8 and UTF-16: the fast reader says what the full reader says.
#[test]
fn every_cut_of_a_trace_reads_the_same_in_both_readers() {
    let trace = valid();
    let path = Path::new("fr000001.xml");
    for cut in 0..=trace.len() {
        let utf8 = trace[..cut].to_vec();
        let wide = common::utf16(&String::from_utf8_lossy(&utf8), true, false);
        for bytes in [utf8, wide] {
            match (parse_bytes(path, &bytes), parse_bytes_full(path, &bytes)) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "cut at {cut}"),
                (Err(a), Err(b)) => assert_eq!(a.reason(), b.reason(), "cut at {cut}"),
                (a, b) => panic!("cut at {cut}: fast {a:?} full {b:?}"),
            }
        }
    }
}

/// Text that is not XML, or only Unicode spaces: both readers give the same reason.
#[test]
fn readers_agree_on_what_is_not_xml() {
    let path = Path::new("fr000001.xml");
    let inputs: [&[u8]; 7] = [
        b"abc<",
        b"\0<",
        "\u{a0}".as_bytes(),
        "\u{a0}<failedRequest/>".as_bytes(),
        b"\x0c\r\n\t ",
        b"<",
        b"<?xml version=\"1.0\"?><a/>",
    ];
    for bytes in inputs {
        let fast = parse_bytes(path, bytes).map(|_| ()).map_err(|e| e.reason());
        let full = parse_bytes_full(path, bytes)
            .map(|_| ())
            .map_err(|e| e.reason());
        assert_eq!(fast, full, "{bytes:?}");
    }
}
