//! A trace whose every string is an HTML payload, for the HTML report's tests.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use crate::common::{Root, event, head, write};

/// Text as XML character data or attribute value.
fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// What a script would write if it ran; built by concatenation, so the text of the payload
/// never holds it.
pub const RAN: &str = "PWNED-BY-SCRIPT";

/// Payloads that would run script, load something or break out of the page's structure if
/// they reached the HTML unescaped. `PORT` is replaced by a port a test listens on.
pub fn payloads() -> [(&'static str, String); 6] {
    let title = "document.title='PWNED'+'-BY-SCRIPT'";
    [
        (
            "url",
            format!(
                "http://x/<script>{title}</script>?q=\"><img src=http://127.0.0.1:PORT/url onerror=\"{title}\">"
            ),
        ),
        (
            "computer",
            format!("WEB</style></title><script>{title}</script>01"),
        ),
        ("app pool", format!("javascript:{title}")),
        (
            "user agent",
            format!(
                "\"><svg onload=\"{title}\"><link rel=stylesheet href=http://127.0.0.1:PORT/css>"
            ),
        ),
        (
            "header",
            "</pre><script src=http://127.0.0.1:PORT/js></script><style>body{background:url(http://127.0.0.1:PORT/bg)}</style>".into(),
        ),
        (
            "description",
            format!("<iframe src=http://127.0.0.1:PORT/frame></iframe><a href=\"javascript:{title}\">x</a>"),
        ),
    ]
}

/// A 502.3 whose URL, server, pool, user agent, a header and the error description carry the
/// payloads, written under `dir`; on Unix the file name carries one too.
pub fn write_hostile_trace(dir: &Path, port: u16) -> PathBuf {
    let p: Vec<String> = payloads()
        .iter()
        .map(|(_, v)| v.replace("PORT", &port.to_string()))
        .collect();
    let (url, computer, pool, agent, header, description) =
        (&p[0], &p[1], &p[2], &p[3], &p[4], &p[5]);
    let root = Root {
        url: &xml(url),
        app_pool: &xml(pool),
        computer: &xml(computer),
        status: "502.3",
    };
    let computer = xml(computer);
    let mut text = head(&root);
    text.push_str(&event(
        "GENERAL_REQUEST_START",
        &computer,
        "2026-06-08T19:54:51.596Z",
        "",
    ));
    let headers = xml(&format!(
        "Host: x\r\nUser-Agent: {agent}\r\nX-Evil: {header}\r\n"
    ));
    text.push_str(&event(
        "GENERAL_REQUEST_HEADERS",
        &computer,
        "2026-06-08T19:54:51.597Z",
        &format!("  <Data Name=\"Headers\">{headers}</Data>\r\n"),
    ));
    text.push_str(&event(
        "MODULE_SET_RESPONSE_ERROR_STATUS",
        &computer,
        "2026-06-08T19:54:59.674Z",
        "  <Data Name=\"ModuleName\">ApplicationRequestRouting</Data>\r\n  \
<Data Name=\"Notification\">128</Data>\r\n  <Data Name=\"HttpStatus\">502</Data>\r\n  \
<Data Name=\"HttpReason\">Bad Gateway</Data>\r\n  <Data Name=\"HttpSubStatus\">3</Data>\r\n  \
<Data Name=\"ErrorCode\">2147954429</Data>\r\n",
    ));
    text.push_str(&event(
        "SET_RESPONSE_ERROR_DESCRIPTION",
        &computer,
        "2026-06-08T19:54:59.675Z",
        &format!(
            "  <Data Name=\"ErrorDescription\">{}</Data>\r\n",
            xml(description)
        ),
    ));
    text.push_str(&event(
        "GENERAL_REQUEST_END",
        &computer,
        "2026-06-08T19:54:59.676Z",
        "",
    ));
    text.push_str("</failedRequest>");
    #[cfg(unix)]
    let name = "fr000001\"><img src=x onerror=alert(1)>.xml";
    #[cfg(not(unix))]
    let name = "fr000001.xml";
    let path = dir.join(name);
    write(&path, text);
    path
}
