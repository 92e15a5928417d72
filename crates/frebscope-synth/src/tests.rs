use chrono::TimeZone;
use quick_xml::Reader;
use quick_xml::events::Event;

use super::events::{self as ev, Notification};
use super::recipes::{
    self, AncmOutcome, AncmRequest, ArrForward, ArrOutcome, AspNetRequest, Request,
};
use super::*;

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 11, 13, 10, 2)
        .single()
        .expect("valid date")
}

fn request() -> Request {
    Request {
        computer: "WEB01".into(),
        site_id: 2,
        app_pool: "Orders".into(),
        process_id: 9304,
        thread_id: 6412,
        start: start(),
        activity_id: "{80000021-0004-FB00-B63F-84710C7967BB}".into(),
        scheme: "http".into(),
        host: "shop.example.com".into(),
        port: 80,
        path: "/orders/api/cart".into(),
        query: "id=7&expand=lines".into(),
        verb: "GET".into(),
        client: ("10.0.0.5".into(), 50123),
        local_address: "10.0.1.11".into(),
        headers: vec![
            ("Host".into(), "shop.example.com".into()),
            ("User-Agent".into(), "Mozilla/5.0 (\"test\")".into()),
            (
                "X-ARR-LOG-ID".into(),
                "0b1f4c2e-77aa-4d5e-9c31-5a6b7c8d9e0f".into(),
            ),
        ],
        physical_root: "D:\\sites\\shop".into(),
        conn_id: 1_610_612_737,
        request_body: 0,
        response_body: 4096,
        managed_pipeline: false,
        rewrite_installed: false,
    }
}

fn minimal(user: Option<UserContext>) -> TraceSpec {
    TraceSpec {
        url: "http://h:80/a?x=1&y=<2>".into(),
        site_id: 1,
        app_pool: "Pool".into(),
        process_id: 42,
        thread_id: 7,
        verb: "GET".into(),
        user,
        activity_id: "{00000000-0000-0000-0000-000000000001}".into(),
        failure_reason: "STATUS_CODE".into(),
        status: Status::new(502, 3),
        trigger_status: Status::new(502, 3),
        time_taken_ms: 30015,
        computer: "ARR01".into(),
        start: start(),
        culture: "en-US".into(),
        events: vec![
            ev::module_set_response_error_status(
                "ApplicationRequestRouting",
                Notification::ExecuteRequestHandler,
                Status::new(502, 3),
                0x8007_2EE2,
                "",
            )
            .at(30015),
            ev::flush_response_end(10, 0),
        ],
    }
}

/// Parses the whole document, failing on any XML error.
fn parse_all(xml: &str) -> usize {
    let mut reader = Reader::from_str(xml);
    let mut elements = 0;
    loop {
        match reader.read_event() {
            Ok(Event::Eof) => break,
            Ok(Event::Start(_) | Event::Empty(_)) => elements += 1,
            Ok(_) => {}
            Err(e) => panic!("not well-formed at {}: {e}", reader.buffer_position()),
        }
    }
    elements
}

#[test]
fn prolog_and_root_match_iis_bytes() {
    let xml = render(&minimal(Some(UserContext::anonymous())));
    assert!(xml.starts_with(PROLOG));
    let expected_root = [
        "<failedRequest url=\"http://h:80/a?x=1&amp;y=&lt;2&gt;\"",
        "               siteId=\"1\"",
        "               appPoolId=\"Pool\"",
        "               processId=\"42\"",
        "               verb=\"GET\"",
        "               remoteUserName=\"\"",
        "               userName=\"\"",
        "               tokenUserName=\"NT AUTHORITY\\IUSR\"",
        "               authenticationType=\"anonymous\"",
        "               activityId=\"{00000000-0000-0000-0000-000000000001}\"",
        "               failureReason=\"STATUS_CODE\"",
        "               statusCode=\"502.3\"",
        "               triggerStatusCode=\"502.3\"",
        "               timeTaken=\"30015\"",
        "               xmlns:freb=\"http://schemas.microsoft.com/win/2006/06/iis/freb\"",
        "               >\r\n<Event xmlns=",
    ]
    .join("\r\n");
    assert!(
        xml[PROLOG.len()..].starts_with(&expected_root),
        "{}",
        &xml[..900]
    );
    assert!(xml.ends_with("</Event>\r\n</failedRequest>"));
}

#[test]
fn shape_b_joins_authentication_type_and_activity_id() {
    let xml = render(&minimal(None));
    assert!(xml.contains(
        "               verb=\"GET\"\r\n               authenticationType=\"NOT_AVAILABLE\"               activityId=\"{"
    ));
    assert!(!xml.contains("tokenUserName"));
    parse_all(&xml);
}

#[test]
fn event_layout_is_exact() {
    let xml = render(&minimal(None));
    let expected = [
        "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">",
        " <System>",
        "  <Provider Name=\"WWW Server\" Guid=\"{3A2A4E84-4C21-4981-AE10-3FDA0D9B0F83}\"/>",
        "  <EventID>0</EventID>",
        "  <Version>1</Version>",
        "  <Level>3</Level>",
        "  <Opcode>16</Opcode>",
        "  <Keywords>0x100</Keywords>",
        "  <TimeCreated SystemTime=\"2025-03-11T13:10:32.015Z\"/>",
        "  <Correlation ActivityID=\"{00000000-0000-0000-0000-000000000001}\"/>",
        "  <Execution ProcessID=\"42\" ThreadID=\"7\"/>",
        "  <Computer>ARR01</Computer>",
        " </System>",
        " <EventData>",
        "  <Data Name=\"ContextId\">{00000000-0000-0000-0000-000000000001}</Data>",
        "  <Data Name=\"ModuleName\">ApplicationRequestRouting</Data>",
        "  <Data Name=\"Notification\">128</Data>",
        "  <Data Name=\"HttpStatus\">502</Data>",
        "  <Data Name=\"HttpReason\">Bad Gateway</Data>",
        "  <Data Name=\"HttpSubStatus\">3</Data>",
        "  <Data Name=\"ErrorCode\">2147954402</Data>",
        "  <Data Name=\"ConfigExceptionInfo\"></Data>",
        " </EventData>",
        " <RenderingInfo Culture=\"en-US\">",
        "  <Opcode>MODULE_SET_RESPONSE_ERROR_STATUS</Opcode>",
        "  <Keywords>",
        "   <Keyword>RequestNotifications</Keyword>",
        "  </Keywords>",
        "  <freb:Description Data=\"Notification\">EXECUTE_REQUEST_HANDLER</freb:Description>",
        " </RenderingInfo>",
        " <ExtendedTracingInfo xmlns=\"http://schemas.microsoft.com/win/2004/08/events/trace\">",
        "  <EventGuid>{002E91E3-E7AE-44AB-8E07-99230FFA6ADE}</EventGuid>",
        " </ExtendedTracingInfo>",
        "</Event>\r\n",
    ]
    .join("\r\n");
    assert!(xml.contains(&expected), "{xml}");
}

#[test]
fn error_code_description_has_bare_cr_and_lower_hex() {
    let xml = render(&minimal(None));
    assert!(xml.contains(
        "<freb:Description Data=\"ErrorCode\">The operation completed successfully.\r (0x0)</freb:Description>\r\n"
    ));
    assert_eq!(
        error_code_description(
            "Cannot create a file when that file already exists.",
            0x8007_00B7
        ),
        "Cannot create a file when that file already exists.\r (0x800700b7)"
    );
}

#[test]
fn escaping_covers_the_five_entities() {
    assert_eq!(escape("a&b<c>d\"e'f"), "a&amp;b&lt;c&gt;d&quot;e&apos;f");
    assert_eq!(escape("plain"), "plain");
    assert_eq!(escape("é&ü"), "é&amp;ü");
}

#[test]
fn truncate_event_has_empty_event_data() {
    let mut t = minimal(None);
    t.events = vec![ev::log_file_max_size_truncate()];
    let xml = render(&t);
    assert!(xml.contains(" <EventData>\r\n </EventData>\r\n"));
    assert!(xml.contains("<Version>0</Version>"));
    assert!(xml.contains("{00000000-0000-0000-0000-000000000000}</EventGuid>"));
    parse_all(&xml);
}

#[test]
fn recipes_render_well_formed_xml() {
    let req = request();
    let arr = ArrForward {
        rule: "orders-farm".into(),
        pattern: "^orders/(.*)".into(),
        farm: "orders-farm".into(),
        server: "WEB01".into(),
        log_id: "0b1f4c2e-77aa-4d5e-9c31-5a6b7c8d9e0f".into(),
        stats: Default::default(),
        outcome: ArrOutcome::Timeout { after_ms: 30_000 },
    };
    let mut all = vec![
        recipes::static_not_found(&req),
        recipes::config_error(
            &req,
            "D:\\sites\\shop\\catalog\\web.config",
            42,
            "Cannot add duplicate collection entry",
        ),
        recipes::arr_forward(&req, &arr),
        recipes::arr_forward(
            &req,
            &ArrForward {
                outcome: ArrOutcome::Response {
                    status: Status::new(200, 0),
                    backend_ms: 12_000,
                },
                ..arr.clone()
            },
        ),
        recipes::ancm_request(
            &req,
            &AncmRequest {
                app_config_path: "/LM/W3SVC/2/ROOT/orders".into(),
                started: Some((7420, 31764, 35_000)),
                outcome: AncmOutcome::ForwardFail {
                    error: 0x8007_2EFD,
                    after_ms: 4_000,
                },
            },
        ),
    ];
    let mut managed = req.clone();
    managed.managed_pipeline = true;
    all.push(recipes::aspnet_request(
        &managed,
        &AspNetRequest {
            app_domain_start: Some("/LM/W3SVC/2/ROOT/catalog-1-133862".into()),
            status: Status::new(500, 0),
            handler_ms: 800,
            exception: Some((
                "System.NullReferenceException".into(),
                "Object reference not set to an instance of an object.".into(),
            )),
            flush_error: 0,
        },
    ));
    for t in &all {
        let xml = render(t);
        assert!(parse_all(&xml) > 100);
        assert!(xml.ends_with("</failedRequest>"));
        // Every line IIS writes ends in CRLF; the only bare LFs would come from data values,
        // and these recipes write none.
        assert!(!xml.contains("\n\n"));
        let last = t.events.last().map(|e| e.offset_ms).unwrap_or_default();
        assert!(last <= t.time_taken_ms);
    }
    let timeout = render(&all[2]);
    assert!(timeout.contains("<Data Name=\"HeaderName\">X-ARR-LOG-ID</Data>\r\n  <Data Name=\"HeaderValue\">0b1f4c2e-77aa-4d5e-9c31-5a6b7c8d9e0f</Data>"));
    assert!(timeout.contains("<Data Name=\"ErrorCode\">2147954402</Data>"));
    assert!(all[2].time_taken_ms >= 30_000 && all[2].time_taken_ms < 30_200);
    assert_eq!(all[1].user, None);
    assert!(render(&all[1]).contains("<Data Name=\"ErrorCode\">2147942583</Data>"));
    assert!(render(&all[4]).contains("X-ARR-LOG-ID: 0b1f4c2e-77aa-4d5e-9c31-5a6b7c8d9e0f\r\n"));
}

#[test]
fn file_names_have_six_digits() {
    assert_eq!(file_name(1), "fr000001.xml");
    assert_eq!(file_name(123456), "fr123456.xml");
}
