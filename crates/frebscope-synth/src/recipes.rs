//! Whole requests as IIS traces them: the module pipeline, the handler's own events, the
//! error, the response.
//!
//! Each recipe takes a [`Request`] (who, where, when) and a description of what happened, and
//! returns a [`TraceSpec`] ready for [`super::render`]. The event order follows the real traces:
//! `GENERAL_REQUEST_START`, `PRE_BEGIN_REQUEST`, headers, the notifications in pipeline order
//! with every subscribed module's `NOTIFY_MODULE_START/END` pair (these pairs are most of a real
//! file's size), the handler's events inside `EXECUTE_REQUEST_HANDLER`, then the response and
//! `GENERAL_REQUEST_END`.
//!
//! Timestamps advance in steps of the ~15.6 ms tick IIS uses, so consecutive events share a
//! stamp as they do in real files.

use chrono::{DateTime, Utc};

use super::events::{self as ev, Notification as N, NotificationStatus, ServerStats};
use super::{EventSpec, TraceSpec, UserContext};
use crate::Status;

/// Who served a request, when, and what the client sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `System/Computer`.
    pub computer: String,
    /// IIS site id.
    pub site_id: u32,
    /// Application pool.
    pub app_pool: String,
    /// Worker process id.
    pub process_id: u32,
    /// Serializing thread id.
    pub thread_id: u32,
    /// Time of `GENERAL_REQUEST_START`.
    pub start: DateTime<Utc>,
    /// Activity id with braces.
    pub activity_id: String,
    /// `http` or `https`.
    pub scheme: String,
    /// Host name as the client sent it.
    pub host: String,
    /// Local port.
    pub port: u16,
    /// Path, starting with `/`.
    pub path: String,
    /// Query string without `?`, may be empty.
    pub query: String,
    /// Verb.
    pub verb: String,
    /// Client address and port.
    pub client: (String, u16),
    /// Server address.
    pub local_address: String,
    /// Request headers in order (`Host` included), as the client or proxy sent them.
    pub headers: Vec<(String, String)>,
    /// Physical path of the site root (`D:\sites\shop`).
    pub physical_root: String,
    /// HTTP.SYS connection id.
    pub conn_id: u64,
    /// Bytes of request body captured (`GENERAL_REQUEST_ENTITY`), 0 for none.
    pub request_body: usize,
    /// Bytes of response body captured on success (`GENERAL_RESPONSE_ENTITY_BUFFER`).
    pub response_body: usize,
    /// Managed (ASP.NET) modules run in this pool's pipeline.
    pub managed_pipeline: bool,
    /// URL Rewrite is installed (its module appears in the pipeline).
    pub rewrite_installed: bool,
}

impl Request {
    /// The root `url`: `scheme://host:port/path?query`.
    pub fn url(&self) -> String {
        let mut url = format!("{}://{}:{}{}", self.scheme, self.host, self.port, self.path);
        if !self.query.is_empty() {
            url.push('?');
            url.push_str(&self.query);
        }
        url
    }

    /// The path with its query, as forwarded by proxies.
    pub fn path_and_query(&self) -> String {
        if self.query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, self.query)
        }
    }

    fn physical_path(&self) -> String {
        format!("{}{}", self.physical_root, self.path.replace('/', "\\"))
    }
}

/// The ~15.6 ms GetTickCount resolution, as whole-ms steps (15, 16, 16, 15, ...).
fn ticks(n: u64) -> u64 {
    (n * 15625).div_ceil(1000)
}

/// Accumulates events on a time cursor.
struct Flow<'a> {
    req: &'a Request,
    events: Vec<EventSpec>,
    now: u64,
}

const BEGIN: &[&str] = &[
    "RequestMonitorModule",
    "IsapiFilterModule",
    "HttpCacheModule",
    "DynamicIpRestrictionModule",
    "IpRestrictionModule",
    "RequestFilteringModule",
    "CustomLoggingModule",
    "ApplicationInitializationModule",
    "FailedRequestsTracingModule",
    "HttpRedirectionModule",
    "ConfigurationValidationModule",
];
const AUTHENTICATE: &[&str] = &[
    "BasicAuthenticationModule",
    "DigestAuthenticationModule",
    "WindowsAuthenticationModule",
    "CertificateMappingAuthenticationModule",
    "IISCertificateMappingAuthenticationModule",
    "AnonymousAuthenticationModule",
];
const AUTHENTICATE_MANAGED: &[&str] = &["WindowsAuthentication", "DefaultAuthentication"];
const AUTHORIZE: &[&str] = &["UrlAuthorizationModule", "IsapiFilterModule"];
const AUTHORIZE_MANAGED: &[&str] = &["UrlAuthorization", "FileAuthorization"];
const RESOLVE_CACHE: &[&str] = &["HttpCacheModule"];
const MANAGED_CACHE: &[&str] = &["OutputCache"];
const MAP_MANAGED: &[&str] = &["UrlRoutingModule-4.0", "ScriptModule-4.0"];
const STATE_MANAGED: &[&str] = &["Session", "Profile"];
const LOG: &[&str] = &["HttpLoggingModule", "CustomLoggingModule"];
const END: &[&str] = &["FailedRequestsTracingModule", "RequestMonitorModule"];
const END_MANAGED: &[&str] = &["Session", "ScriptModule-4.0"];
const SEND: &[&str] = &[
    "DynamicCompressionModule",
    "StaticCompressionModule",
    "CustomErrorModule",
    "HttpCacheModule",
    "IsapiFilterModule",
    "ProtocolSupportModule",
];

impl<'a> Flow<'a> {
    /// `GENERAL_REQUEST_START` through the request headers.
    fn start(req: &'a Request) -> Self {
        let mut f = Flow {
            req,
            events: Vec::with_capacity(160),
            now: 0,
        };
        f.push(ev::request_start(
            req.site_id,
            &req.app_pool,
            req.conn_id,
            &req.url(),
            &req.verb,
        ));
        let mut pre = vec!["RequestMonitorModule", "IsapiFilterModule"];
        if req.rewrite_installed {
            pre.push("RewriteModule");
        }
        pre.push("FailedRequestsTracingModule");
        for m in pre {
            f.push(ev::pre_begin_request_start(m));
            f.push(ev::pre_begin_request_end(m));
        }
        f.push(ev::endpoint_information(
            &req.client.0,
            req.client.1,
            &req.local_address,
            req.port,
        ));
        let headers: Vec<(&str, &str)> = req
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        f.push(ev::request_headers(&headers));
        f.push(ev::url_cache_access_start(&req.path));
        f.push(ev::url_cache_access_end(&req.physical_path(), false));
        f.push(ev::get_url_metadata(&req.physical_path(), 513));
        if req.request_body > 0 {
            f.read_request_body();
        }
        f
    }

    fn push(&mut self, e: EventSpec) {
        self.events.push(e.at(self.now));
    }

    fn wait(&mut self, ms: u64) {
        self.now += ms;
    }

    fn tick(&mut self, n: u64) {
        self.now += ticks(n);
    }

    fn read_request_body(&mut self) {
        let body = json_payload(self.req.request_body, self.req.conn_id);
        for chunk in chunks(&body, 16 * 1024) {
            self.push(EventSpec::www(
                "GENERAL_READ_ENTITY_START",
                4,
                37,
                super::Area::GENERAL,
            ));
            self.push(
                EventSpec::www("GENERAL_REQUEST_ENTITY", 5, 51, super::Area::GENERAL)
                    .data("Buffer", chunk),
            );
            let e = EventSpec::www("GENERAL_READ_ENTITY_END", 4, 38, super::Area::GENERAL)
                .data("BytesReceived", chunk.len().to_string())
                .data("ErrorCode", "0")
                .describe(
                    "ErrorCode",
                    super::error_code_description("The operation completed successfully.", 0),
                );
            self.push(e);
        }
    }

    fn pair(&mut self, module: &str, n: N) {
        self.push(ev::notify_module_start(module, n, false));
        self.push(ev::notify_module_end(
            module,
            n,
            false,
            NotificationStatus::Continue,
        ));
    }

    /// The standard modules of a notification (the handler is added by the recipe).
    fn stage(&mut self, n: N) {
        let managed = self.req.managed_pipeline;
        let mut list: Vec<&str> = Vec::new();
        match n {
            N::BeginRequest => {
                list.extend_from_slice(BEGIN);
                if self.req.rewrite_installed {
                    list.push("RewriteModule");
                }
            }
            N::AuthenticateRequest => {
                list.extend_from_slice(AUTHENTICATE);
                if managed {
                    list.extend_from_slice(AUTHENTICATE_MANAGED);
                }
            }
            N::AuthorizeRequest => {
                list.extend_from_slice(AUTHORIZE);
                if managed {
                    list.extend_from_slice(AUTHORIZE_MANAGED);
                }
            }
            N::ResolveRequestCache | N::UpdateRequestCache => {
                list.extend_from_slice(RESOLVE_CACHE);
                if managed {
                    list.extend_from_slice(MANAGED_CACHE);
                }
            }
            N::MapRequestHandler => {
                if managed {
                    list.extend_from_slice(MAP_MANAGED);
                }
            }
            N::AcquireRequestState | N::ReleaseRequestState => {
                if managed {
                    list.extend_from_slice(STATE_MANAGED);
                }
                if n == N::ReleaseRequestState && self.req.rewrite_installed {
                    list.push("RewriteModule");
                }
            }
            N::PreExecuteRequestHandler | N::ExecuteRequestHandler => {}
            N::LogRequest => list.extend_from_slice(LOG),
            N::EndRequest => {
                list.extend_from_slice(END);
                if managed {
                    list.extend_from_slice(END_MANAGED);
                }
            }
            N::SendResponse => {
                if self.req.rewrite_installed {
                    list.push("RewriteModule");
                }
                list.extend_from_slice(SEND);
            }
        }
        for m in list {
            self.pair(m, n);
        }
    }

    /// `AUTHENTICATE_REQUEST` through `RESOLVE_REQUEST_CACHE`, anonymous authentication.
    fn authenticate_to_cache(&mut self) {
        self.stage(N::AuthenticateRequest);
        self.push(
            EventSpec::www("USER_SET", 4, 44, super::Area::GENERAL)
                .data("AuthType", "")
                .data("UserName", "")
                .data("SupportsIsInRole", "true"),
        );
        self.stage(N::AuthorizeRequest);
        self.stage(N::ResolveRequestCache);
    }

    /// Error page or body, response headers, the remaining notifications, request end.
    fn respond(
        mut self,
        status: Status,
        content_type: &str,
        body: &str,
        flush_error: u32,
    ) -> Vec<EventSpec> {
        self.stage(N::ReleaseRequestState);
        self.stage(N::UpdateRequestCache);
        self.stage(N::LogRequest);
        self.stage(N::EndRequest);
        self.stage(N::SendResponse);
        self.push(ev::flush_response_start());
        let len = body.len().to_string();
        self.push(ev::response_headers(&[
            ("Content-Type", content_type),
            ("Server", "Microsoft-IIS/10.0"),
            ("Content-Length", &len),
        ]));
        for chunk in chunks(body, 64 * 1024) {
            self.push(ev::response_entity_buffer(chunk));
        }
        let sent = body.len() as u64 + 180;
        self.push(ev::flush_response_end(sent, flush_error));
        let received = self.req.request_body as u64 + 420;
        self.push(ev::request_end(sent, received, status));
        self.events
    }

    fn finish(self, status: Status, content_type: &str, body: &str, flush_error: u32) -> TraceSpec {
        let req = self.req;
        let anonymous = true;
        let events = self.respond(status, content_type, body, flush_error);
        let time_taken = events.last().map_or(0, |e| e.offset_ms);
        spec(
            req,
            status,
            time_taken,
            anonymous.then(UserContext::anonymous),
            events,
        )
    }
}

/// Splits at char boundaries near `max` bytes.
fn chunks(text: &str, max: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let mut end = rest.len().min(max);
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        let (a, b) = rest.split_at(end);
        out.push(a);
        rest = b;
    }
    out
}

fn spec(
    req: &Request,
    status: Status,
    time_taken_ms: u64,
    user: Option<UserContext>,
    events: Vec<EventSpec>,
) -> TraceSpec {
    // A status-code rule fires for errors; a success can only have been traced for its time.
    let (reason, trigger) = if status.code >= 400 {
        ("STATUS_CODE", status)
    } else {
        ("TIME_TAKEN", Status::new(0, 0))
    };
    TraceSpec {
        url: req.url(),
        site_id: req.site_id,
        app_pool: req.app_pool.clone(),
        process_id: req.process_id,
        thread_id: req.thread_id,
        verb: req.verb.clone(),
        user,
        activity_id: req.activity_id.clone(),
        failure_reason: reason.to_owned(),
        status,
        trigger_status: trigger,
        time_taken_ms,
        computer: req.computer.clone(),
        start: req.start,
        culture: "en-US".to_owned(),
        events,
    }
}

// ---- bodies --------------------------------------------------------------------------------

/// What an error page says.
#[derive(Debug, Clone, Copy)]
pub struct ErrorPage<'a> {
    /// Status shown.
    pub status: Status,
    /// Reason phrase.
    pub title: &'a str,
    /// One-sentence explanation.
    pub detail: &'a str,
    /// Module that set the error.
    pub module: &'a str,
    /// Notification name.
    pub notification: &'a str,
    /// Error code shown in hex.
    pub error: u32,
    /// Requested URL.
    pub url: &'a str,
    /// Physical path.
    pub path: &'a str,
}

/// An IIS-style detailed error page in our own markup, about 4 KB.
pub fn error_page(p: &ErrorPage<'_>) -> String {
    let ErrorPage {
        status,
        title,
        detail,
        module,
        notification,
        error,
        url,
        path,
    } = *p;
    let mut page = String::with_capacity(4096);
    page.push_str(
        "<!DOCTYPE html>\r\n<html lang=\"en\">\r\n<head>\r\n<meta charset=\"utf-8\" />\r\n",
    );
    page.push_str(&format!(
        "<title>IIS 10.0 Detailed Error - {status} - {title}</title>\r\n"
    ));
    page.push_str("<style>\r\nbody{margin:0;font:13px/1.4 'Segoe UI',Tahoma,sans-serif;background:#f3f3f3;color:#222}\r\n");
    page.push_str(".banner{background:#3a5f8a;color:#fff;padding:8px 20px}\r\n.banner h1{font-size:22px;margin:0}\r\n");
    page.push_str(
        ".box{background:#fff;margin:12px 20px;padding:10px 16px;border:1px solid #d0d7de}\r\n",
    );
    page.push_str(".box h2{font-size:15px;color:#a01010;margin:4px 0}\r\ntable.kv td{padding:2px 12px 2px 0;vertical-align:top}\r\n");
    page.push_str("table.kv td.k{color:#555;white-space:nowrap}\r\nul.hints li{margin:3px 0}\r\n</style>\r\n</head>\r\n<body>\r\n");
    page.push_str(
        "<div class=\"banner\"><h1>Server Error in Application \"Default Web Site\"</h1></div>\r\n",
    );
    page.push_str(&format!(
        "<div class=\"box\"><h2>HTTP Error {status} - {title}</h2>\r\n<p>{detail}</p></div>\r\n"
    ));
    page.push_str(
        "<div class=\"box\"><h2>Detailed Error Information</h2>\r\n<table class=\"kv\">\r\n",
    );
    page.push_str(&format!(
        "<tr><td class=\"k\">Module</td><td>{module}</td></tr>\r\n"
    ));
    page.push_str(&format!(
        "<tr><td class=\"k\">Notification</td><td>{notification}</td></tr>\r\n"
    ));
    page.push_str(&format!(
        "<tr><td class=\"k\">Error Code</td><td>0x{error:08x}</td></tr>\r\n"
    ));
    page.push_str(&format!(
        "<tr><td class=\"k\">Requested URL</td><td>{url}</td></tr>\r\n"
    ));
    page.push_str(&format!(
        "<tr><td class=\"k\">Physical Path</td><td>{path}</td></tr>\r\n"
    ));
    page.push_str("<tr><td class=\"k\">Logon Method</td><td>Anonymous</td></tr>\r\n<tr><td class=\"k\">Logon User</td><td>Anonymous</td></tr>\r\n</table></div>\r\n");
    page.push_str("<div class=\"box\"><h2>Most likely causes</h2>\r\n<ul class=\"hints\">\r\n");
    for hint in [
        "The resource or the service behind it is not available at the moment.",
        "A configuration setting prevents the request from being served.",
        "The application could not complete the request in time.",
    ] {
        page.push_str(&format!("<li>{hint}</li>\r\n"));
    }
    page.push_str(
        "</ul></div>\r\n<div class=\"box\"><h2>Things you can try</h2>\r\n<ul class=\"hints\">\r\n",
    );
    for hint in [
        "Check that the application pool is started and the backend answers locally.",
        "Create a tracing rule for this status code and compare the traces of both servers.",
        "Review the event logs around the time of the failure.",
    ] {
        page.push_str(&format!("<li>{hint}</li>\r\n"));
    }
    page.push_str("</ul></div>\r\n</body>\r\n</html>\r\n");
    page
}

/// An HTML product listing of about `bytes` bytes, built from repeated rows.
pub fn listing_page(bytes: usize, seed: u64) -> String {
    let mut page = String::with_capacity(bytes + 512);
    page.push_str("<!DOCTYPE html>\r\n<html lang=\"en\">\r\n<head><meta charset=\"utf-8\" /><title>Catalog &amp; offers</title>\r\n");
    page.push_str("<link rel=\"stylesheet\" href=\"/catalog/content/site.css?v=4.2\" /></head>\r\n<body>\r\n<table class=\"products\">\r\n");
    let mut i = seed % 9000;
    while page.len() < bytes {
        i += 1;
        page.push_str(&format!(
            "<tr data-sku=\"SKU-{i:05}\"><td class=\"name\"><a href=\"/catalog/product/{i}\">Item {i} &ndash; \"standard\" edition</a></td><td class=\"price\">{}.{:02} EUR</td><td class=\"stock\">{}</td></tr>\r\n",
            10 + i % 490,
            i % 100,
            if i.is_multiple_of(7) { "<em>low</em>" } else { "in stock" }
        ));
    }
    page.push_str("</table>\r\n</body>\r\n</html>\r\n");
    page
}

/// A JSON document of about `bytes` bytes.
pub fn json_payload(bytes: usize, seed: u64) -> String {
    let mut s = String::with_capacity(bytes + 128);
    s.push_str("{\"items\":[");
    let mut i = seed % 100_000;
    while s.len() < bytes {
        i += 1;
        s.push_str(&format!(
            "{{\"line\":{i},\"sku\":\"SKU-{:05}\",\"qty\":{},\"note\":\"gift wrap & card <none>\"}},",
            i % 90_000,
            1 + i % 4
        ));
    }
    s.push_str("{}]}");
    s
}

// ---- recipes -------------------------------------------------------------------------------

/// A static file that does not exist: `IIS Web Core` sets 404 at `MAP_REQUEST_HANDLER` with
/// 0x80070002.
pub fn static_not_found(req: &Request) -> TraceSpec {
    let mut f = Flow::start(req);
    f.stage(N::BeginRequest);
    f.authenticate_to_cache();
    f.push(ev::handler_changed(
        "",
        "StaticFile",
        "StaticFileModule,DefaultDocumentModule,DirectoryListingModule",
        "",
        "",
    ));
    let status = Status::new(404, 0);
    f.push(ev::module_set_response_error_status(
        "IIS Web Core",
        N::MapRequestHandler,
        status,
        0x8007_0002,
        "",
    ));
    f.tick(1);
    let page = error_page(&ErrorPage {
        status,
        title: "Not Found",
        detail: "The resource you are looking for has been removed, had its name changed, or is temporarily unavailable.",
        module: "IIS Web Core",
        notification: "MapRequestHandler",
        error: 0x8007_0002,
        url: &req.url(),
        path: &req.physical_path(),
    });
    f.push(ev::send_custom_error(status, "404.htm"));
    f.finish(status, "text/html", &page, 0)
}

/// A configuration error at `BEGIN_REQUEST`: `RequestFilteringModule` sets 500.19 with
/// 0x800700B7 and the configuration exception text. No user context exists yet (shape B).
pub fn config_error(req: &Request, config_file: &str, line: u32, message: &str) -> TraceSpec {
    let mut f = Flow::start(req);
    let status = Status::new(500, 19);
    let info = format!("\\\\?\\{config_file} ({line:>3}) :{message}\r\n");
    let module = "RequestFilteringModule";
    f.push(ev::notify_module_start(module, N::BeginRequest, false));
    f.push(ev::module_set_response_error_status(
        module,
        N::BeginRequest,
        status,
        0x8007_00B7,
        &info,
    ));
    f.push(ev::notify_module_end(
        module,
        N::BeginRequest,
        false,
        NotificationStatus::FinishRequest,
    ));
    let page = error_page(&ErrorPage {
        status,
        title: "Internal Server Error",
        detail: "The requested page cannot be accessed because the related configuration data for the page is invalid.",
        module,
        notification: "BeginRequest",
        error: 0x8007_00B7,
        url: &req.url(),
        path: &req.physical_path(),
    });
    f.stage(N::LogRequest);
    f.stage(N::EndRequest);
    f.push(ev::notify_module_start(module, N::SendResponse, false));
    f.push(ev::module_set_response_error_status(
        module,
        N::SendResponse,
        status,
        0x8007_00B7,
        &info,
    ));
    f.push(ev::notify_module_end(
        module,
        N::SendResponse,
        false,
        NotificationStatus::Continue,
    ));
    f.stage(N::SendResponse);
    f.push(ev::flush_response_start());
    f.push(ev::response_headers(&[
        ("Content-Type", "text/html"),
        ("Server", "Microsoft-IIS/10.0"),
    ]));
    f.push(ev::response_entity_buffer(page.clone()));
    let sent = page.len() as u64 + 160;
    f.push(ev::flush_response_end(sent, 0));
    f.push(ev::request_end(sent, 380, status));
    let time_taken = f.now;
    spec(req, status, time_taken, None, f.events)
}

/// What ARR got from the backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArrOutcome {
    /// WinHTTP could not connect (0x80072EFD) after this long.
    CannotConnect {
        /// Milliseconds from `ARR_REQUEST_HEADERS_START` to the error.
        after_ms: u64,
    },
    /// The backend accepted the request but did not answer within the proxy timeout
    /// (0x80072EE2).
    Timeout {
        /// Milliseconds from `ARR_REQUEST_HEADERS_START` to the error (30 000 by default).
        after_ms: u64,
    },
    /// The backend answered with `status` after `backend_ms`; ARR relays it (error statuses
    /// are set by ARR with ErrorCode 0 after `ARR_RESPONSE_HEADERS_*`).
    Response {
        /// Status the backend returned.
        status: Status,
        /// Time the backend took.
        backend_ms: u64,
    },
}

/// An ARR front end forwarding a request to a farm member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrForward {
    /// URL Rewrite rule that routes to the farm.
    pub rule: String,
    /// Rewrite pattern.
    pub pattern: String,
    /// Farm name (the rewrite target is `http://<farm>/...`).
    pub farm: String,
    /// The farm member ARR picked.
    pub server: String,
    /// The `X-ARR-LOG-ID` ARR adds (lower-case GUID, no braces); the backend sees it.
    pub log_id: String,
    /// ARR's counters for the server.
    pub stats: ServerStats,
    /// What happened.
    pub outcome: ArrOutcome,
}

/// An ARR front-end trace: rewrite to the farm, `ARR_SERVER_ROUTED`, the forwarded headers
/// (`X-ARR-LOG-ID` among them), then the outcome.
pub fn arr_forward(req: &Request, fwd: &ArrForward) -> TraceSpec {
    let mut f = Flow::start(req);
    let rel = req.path.trim_start_matches('/');
    let target = format!(
        "http://{}/{}",
        fwd.farm,
        req.path_and_query().trim_start_matches('/')
    );
    // BEGIN_REQUEST, with URL Rewrite running the farm rule inside it.
    for m in BEGIN {
        f.pair(m, N::BeginRequest);
    }
    f.push(ev::notify_module_start(
        "RewriteModule",
        N::BeginRequest,
        false,
    ));
    f.push(ev::url_rewrite_start(&req.path, false));
    f.push(ev::rule_evaluation_start(
        &fwd.rule, rel, &req.query, true, "/",
    ));
    f.push(ev::pattern_match(&fwd.pattern, rel, false, true));
    f.push(ev::rewrite_action(
        &format!("http://{}/{{R:0}}", fwd.farm),
        &target,
        true,
    ));
    f.push(ev::rule_evaluation_end(
        &fwd.rule, rel, &req.query, true, true,
    ));
    f.push(ev::set_request_header(
        "X-Original-URL",
        &req.path_and_query(),
        true,
    ));
    f.push(ev::url_changed(&req.path, &target));
    f.push(ev::url_rewrite_end(&target));
    f.push(ev::notify_module_end(
        "RewriteModule",
        N::BeginRequest,
        false,
        NotificationStatus::Continue,
    ));
    f.authenticate_to_cache();
    // ARR picks the server and takes over the handler.
    f.push(ev::notify_module_start(
        "ApplicationRequestRouting",
        N::MapRequestHandler,
        false,
    ));
    f.push(ev::arr_server_routed(&fwd.server, fwd.stats));
    f.push(ev::handler_changed(
        "StaticFile",
        "ApplicationRequestRoutingHandler",
        "ApplicationRequestRouting",
        "",
        "",
    ));
    f.push(ev::set_request_header("Max-Forwards", "10", true));
    let xff = format!("{}:{}", req.client.0, req.client.1);
    f.push(ev::set_request_header("X-Forwarded-For", &xff, true));
    f.push(ev::set_request_header(
        "X-ARR-SSL",
        "2048|256|CN=Example Issuing CA 2|CN=shop.example.com",
        true,
    ));
    f.push(ev::set_request_header("X-ARR-LOG-ID", &fwd.log_id, true));
    f.push(ev::set_request_header("Connection", "", true));
    f.push(ev::notify_module_end(
        "ApplicationRequestRouting",
        N::MapRequestHandler,
        false,
        NotificationStatus::Continue,
    ));
    f.stage(N::AcquireRequestState);
    let arr = "ApplicationRequestRouting";
    f.push(ev::notify_module_start(
        arr,
        N::ExecuteRequestHandler,
        false,
    ));
    f.push(ev::arr_request_headers_start());
    match fwd.outcome {
        ArrOutcome::CannotConnect { after_ms } | ArrOutcome::Timeout { after_ms } => {
            let (code, text) = match fwd.outcome {
                ArrOutcome::CannotConnect { .. } => (
                    0x8007_2EFD_u32,
                    "A connection with the server could not be established\r\n",
                ),
                _ => (0x8007_2EE2_u32, "The operation timed out\r\n"),
            };
            if matches!(fwd.outcome, ArrOutcome::Timeout { .. }) {
                // The request went out; no answer came back.
                f.tick(4);
                f.push(ev::arr_request_headers_end());
                f.wait(after_ms.saturating_sub(ticks(4)));
            } else {
                f.wait(after_ms);
            }
            let status = Status::new(502, 3);
            f.push(ev::module_set_response_error_status(
                arr,
                N::ExecuteRequestHandler,
                status,
                code,
                "",
            ));
            f.push(ev::set_response_error_description(text));
            f.push(ev::notify_module_end(
                arr,
                N::ExecuteRequestHandler,
                false,
                NotificationStatus::FinishRequest,
            ));
            f.push(ev::send_custom_error(status, "502.htm"));
            let page = error_page(&ErrorPage {
                status,
                title: "Bad Gateway",
                detail: "The server, while acting as a gateway or proxy, did not receive a valid response from the upstream server.",
                module: arr,
                notification: "ExecuteRequestHandler",
                error: code,
                url: &req.url(),
                path: &req.physical_path(),
            });
            f.finish(status, "text/html", &page, 0)
        }
        ArrOutcome::Response { status, backend_ms } => {
            f.tick(4);
            f.push(ev::arr_request_headers_end());
            f.wait(backend_ms);
            f.push(ev::arr_response_headers_start());
            f.push(ev::arr_response_headers_end());
            let body = if status.code < 400 {
                listing_page(req.response_body.max(2048), req.conn_id)
            } else {
                error_page(&ErrorPage {
                    status,
                    title: ev::reason_phrase(status.code),
                    detail: "The upstream server returned an error.",
                    module: "(backend)",
                    notification: "ExecuteRequestHandler",
                    error: 0,
                    url: &req.url(),
                    path: "",
                })
            };
            if status.code >= 400 {
                f.push(ev::module_set_response_error_status(
                    arr,
                    N::ExecuteRequestHandler,
                    status,
                    0,
                    "",
                ));
            }
            f.push(ev::set_response_header("X-Powered-By", "ARR/3.0", true));
            f.push(ev::notify_module_end(
                arr,
                N::ExecuteRequestHandler,
                false,
                NotificationStatus::Continue,
            ));
            f.push(ev::notify_module_completion(
                arr,
                N::ExecuteRequestHandler,
                false,
                0,
                0,
            ));
            f.push(ev::arr_response_entity_start());
            f.tick(2);
            f.push(ev::arr_response_entity_end(body.len() as u64));
            f.push(ev::notify_module_end(
                arr,
                N::ExecuteRequestHandler,
                false,
                NotificationStatus::FinishRequest,
            ));
            f.finish(status, "text/html; charset=utf-8", &body, 0)
        }
    }
}

/// What happened to an ANCM out-of-process request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AncmOutcome {
    /// Kestrel answered with `status` after `backend_ms`.
    Response {
        /// Status Kestrel returned.
        status: Status,
        /// Milliseconds Kestrel took.
        backend_ms: u64,
        /// `GENERAL_FLUSH_RESPONSE_END` ErrorCode: 0x800704CD when the caller had gone.
        flush_error: u32,
    },
    /// Forwarding failed with a WinHTTP error; ANCM sets 502.3.
    ForwardFail {
        /// The WinHTTP HRESULT (0x80072EFD, 0x80072EE2, 0x80072EFE, ...).
        error: u32,
        /// Milliseconds from `ANCM_REQUEST_FORWARD_START` to the error.
        after_ms: u64,
    },
}

/// An ASP.NET Core application behind ANCM V2, out of process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AncmRequest {
    /// Config path of the application (`/LM/W3SVC/2/ROOT/orders`).
    pub app_config_path: String,
    /// `Some((dotnet pid, port, start ms))` when this request made ANCM start the application.
    pub started: Option<(u32, u16, u64)>,
    /// What happened.
    pub outcome: AncmOutcome,
}

/// An ANCM V2 out-of-process trace.
pub fn ancm_request(req: &Request, app: &AncmRequest) -> TraceSpec {
    let module = "AspNetCoreModuleV2";
    let mut f = Flow::start(req);
    f.stage(N::BeginRequest);
    f.authenticate_to_cache();
    f.push(ev::handler_changed("", "aspNetCore", module, "", ""));
    f.stage(N::MapRequestHandler);
    f.stage(N::AcquireRequestState);
    f.push(ev::notify_module_start(
        module,
        N::ExecuteRequestHandler,
        false,
    ));
    if let Some((pid, port, start_ms)) = app.started {
        f.wait(start_ms);
        f.push(ev::ancm_start_application_success(&format!(
            "Application '{}' started process '{pid}' successfully and process '{pid}' is listening on port '{port}'.",
            app.app_config_path
        )));
    }
    f.push(ev::set_request_header(
        "MS-ASPNETCORE-TOKEN",
        "8f2c41d7-5a0e-4c1b-9d36-2e7b5f90a1c4",
        true,
    ));
    let xff = format!("{}:{}", req.client.0, req.client.1);
    f.push(ev::set_request_header("X-Forwarded-For", &xff, true));
    f.push(ev::set_request_header(
        "X-Forwarded-Proto",
        &req.scheme,
        true,
    ));
    f.push(ev::ancm_request_forward_start());
    f.push(ev::ancm_winhttp_callback(16));
    match app.outcome {
        AncmOutcome::ForwardFail { error, after_ms } => {
            if error != 0x8007_2EFD {
                f.push(ev::ancm_winhttp_callback(32));
                f.push(ev::ancm_winhttp_callback(4_194_304));
            }
            f.wait(after_ms);
            f.push(ev::ancm_request_forward_fail(error));
            let status = Status::new(502, 3);
            f.push(ev::module_set_response_error_status(
                module,
                N::ExecuteRequestHandler,
                status,
                error,
                "",
            ));
            f.push(ev::notify_module_end(
                module,
                N::ExecuteRequestHandler,
                false,
                NotificationStatus::FinishRequest,
            ));
            let page = error_page(&ErrorPage {
                status,
                title: "Bad Gateway",
                detail: "The specified CGI application encountered an error and the server terminated the process.",
                module,
                notification: "ExecuteRequestHandler",
                error,
                url: &req.url(),
                path: &req.physical_path(),
            });
            f.finish(status, "text/html", &page, 0)
        }
        AncmOutcome::Response {
            status,
            backend_ms,
            flush_error,
        } => {
            f.push(ev::ancm_winhttp_callback(32));
            f.push(ev::ancm_winhttp_callback(4_194_304));
            f.wait(backend_ms);
            f.push(ev::ancm_winhttp_callback(131_072));
            let (ctype, body) = if status.code >= 400 {
                f.push(ev::module_set_response_error_status(
                    module,
                    N::ExecuteRequestHandler,
                    status,
                    0,
                    "",
                ));
                (
                    "application/problem+json; charset=utf-8",
                    format!(
                        "{{\"type\":\"https://tools.ietf.org/html/rfc9110#section-15.6.1\",\"title\":\"An error occurred while processing your request.\",\"status\":{},\"traceId\":\"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00\"}}",
                        status.code
                    ),
                )
            } else {
                (
                    "application/json; charset=utf-8",
                    json_payload(req.response_body.max(512), req.conn_id),
                )
            };
            f.push(ev::ancm_winhttp_callback(1_048_576));
            f.push(ev::ancm_request_forward_end());
            f.push(ev::notify_module_end(
                module,
                N::ExecuteRequestHandler,
                false,
                NotificationStatus::Continue,
            ));
            f.finish(status, ctype, &body, flush_error)
        }
    }
}

/// A classic ASP.NET request run by `ManagedPipelineHandler`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AspNetRequest {
    /// `Some(domain id)` when this request started the application domain
    /// (`AspNetAppDomainEnter`, compilation).
    pub app_domain_start: Option<String>,
    /// Final status.
    pub status: Status,
    /// Milliseconds spent in the handler.
    pub handler_ms: u64,
    /// Exception type and message for a 500 (rendered as an error page with stack trace).
    pub exception: Option<(String, String)>,
    /// `GENERAL_FLUSH_RESPONSE_END` ErrorCode.
    pub flush_error: u32,
}

/// A classic ASP.NET (System.Web, integrated pipeline) trace.
pub fn aspnet_request(req: &Request, app: &AspNetRequest) -> TraceSpec {
    use super::Area;
    let module = "ManagedPipelineHandler";
    let mut f = Flow::start(req);
    f.push(ev::aspnet(
        "AspNetStart",
        0,
        1,
        Area::ASPNET_START,
        &[
            ("Data1", &req.verb),
            ("Data2", &req.path),
            ("Data3", &req.query),
        ],
    ));
    if let Some(domain) = &app.app_domain_start {
        f.push(ev::aspnet(
            "AspNetAppDomainEnter",
            5,
            7,
            Area::ASPNET_INFRASTRUCTURE,
            &[("Data1", domain)],
        ));
    }
    f.stage(N::BeginRequest);
    f.authenticate_to_cache();
    f.push(ev::handler_changed(
        "",
        "ExtensionlessUrlHandler-Integrated-4.0",
        module,
        "",
        "System.Web.Handlers.TransferRequestHandler",
    ));
    f.stage(N::MapRequestHandler);
    f.push(ev::handler_changed(
        "ExtensionlessUrlHandler-Integrated-4.0",
        "System.Web.Mvc.MvcHandler",
        module,
        "",
        "System.Web.Mvc.MvcHandler",
    ));
    f.stage(N::AcquireRequestState);
    f.push(ev::notify_module_start(
        module,
        N::ExecuteRequestHandler,
        false,
    ));
    f.push(ev::aspnet(
        "AspNetHttpHandlerEnter",
        4,
        18,
        Area::ASPNET_PAGE,
        &[],
    ));
    if app.app_domain_start.is_some() {
        f.push(ev::aspnet(
            "AspNetCompileEnter",
            5,
            16,
            Area::ASPNET_INFRASTRUCTURE,
            &[],
        ));
        f.wait(app.handler_ms * 3 / 4);
        f.push(ev::aspnet(
            "AspNetCompileLeave",
            5,
            17,
            Area::ASPNET_INFRASTRUCTURE,
            &[("Data1", "App_global.asax"), ("Data2", "0")],
        ));
        f.wait(app.handler_ms / 4);
    } else {
        f.wait(app.handler_ms);
    }
    let (ctype, body) = match &app.exception {
        Some((kind, message)) => {
            f.push(ev::aspnet(
                "AspNetWebEventRaiseStart",
                5,
                50,
                Area::ASPNET_INFRASTRUCTURE,
                &[
                    ("Data1", "System.Web.Management.WebRequestErrorEvent"),
                    ("Data2", "3005"),
                    ("Data3", message),
                ],
            ));
            f.push(ev::aspnet(
                "AspNetWebEventRaiseEnd",
                5,
                51,
                Area::ASPNET_INFRASTRUCTURE,
                &[],
            ));
            f.push(ev::module_set_response_error_status(
                module,
                N::ExecuteRequestHandler,
                app.status,
                0,
                "",
            ));
            (
                "text/html; charset=utf-8",
                exception_page(kind, message, &req.path),
            )
        }
        None => {
            if app.status.code >= 400 {
                f.push(ev::module_set_response_error_status(
                    module,
                    N::ExecuteRequestHandler,
                    app.status,
                    0,
                    "",
                ));
            }
            (
                "text/html; charset=utf-8",
                listing_page(req.response_body.max(2048), req.conn_id),
            )
        }
    };
    f.push(ev::aspnet(
        "AspNetHttpHandlerLeave",
        4,
        19,
        Area::ASPNET_PAGE,
        &[],
    ));
    f.push(ev::notify_module_end(
        module,
        N::ExecuteRequestHandler,
        false,
        NotificationStatus::Continue,
    ));
    f.push(ev::aspnet(
        "AspNetEndHandler",
        5,
        9,
        Area::ASPNET_INFRASTRUCTURE,
        &[],
    ));
    f.finish(app.status, ctype, &body, app.flush_error)
}

/// An ASP.NET-style unhandled exception page with a stack trace, in our own markup.
pub fn exception_page(kind: &str, message: &str, path: &str) -> String {
    let mut page = String::with_capacity(16 * 1024);
    page.push_str("<!DOCTYPE html>\r\n<html>\r\n<head>\r\n<title>");
    page.push_str(message);
    page.push_str("</title>\r\n<style>body{font-family:Verdana;font-weight:normal;font-size:.7em;color:black}pre{font-family:Consolas,monospace;font-size:1.1em;background:#ffffcc;padding:.5em}</style>\r\n</head>\r\n<body bgcolor=\"white\">\r\n");
    page.push_str(&format!(
        "<h1>Server Error in '/catalog' Application.</h1><hr>\r\n<h2><i>{message}</i></h2>\r\n<b>Description:</b> An unhandled exception occurred during the execution of the current web request.<br><br>\r\n<b>Exception Details:</b> {kind}: {message}<br><br>\r\n<b>Requested path:</b> {path}<br><br>\r\n<b>Stack Trace:</b><br><br>\r\n<pre>\r\n"
    ));
    page.push_str(&format!("[{kind}: {message}]\r\n"));
    let frames = [
        "Contoso.Catalog.Data.ProductRepository.Find(Int32 id) in D:\\build\\src\\Catalog.Data\\ProductRepository.cs:118",
        "Contoso.Catalog.Services.PricingService.PriceFor(Product p, Customer c) in D:\\build\\src\\Catalog\\Services\\PricingService.cs:64",
        "Contoso.Catalog.Controllers.ProductController.Details(Int32 id) in D:\\build\\src\\Catalog\\Controllers\\ProductController.cs:41",
        "lambda_method(Closure , ControllerBase , Object[] ) +139",
        "System.Web.Mvc.ActionMethodDispatcher.Execute(ControllerBase controller, Object[] parameters) +14",
        "System.Web.Mvc.ReflectedActionDescriptor.Execute(ControllerContext controllerContext, IDictionary`2 parameters) +157",
        "System.Web.Mvc.Async.AsyncControllerActionInvoker.<BeginInvokeSynchronousActionMethod>b__39(IAsyncResult asyncResult, ActionInvocation innerInvokeState) +22",
        "System.Web.Mvc.Async.AsyncInvocationWithFilters.<InvokeActionMethodFilterAsynchronouslyRecursive>b__3d() +50",
        "System.Web.Mvc.Controller.<BeginExecuteCore>b__15(IAsyncResult asyncResult, Controller controller) +12",
        "System.Web.CallHandlerExecutionStep.System.Web.HttpApplication.IExecutionStep.Execute() +9987421",
        "System.Web.HttpApplication.ExecuteStepImpl(IExecutionStep step) +48",
        "System.Web.HttpApplication.ExecuteStep(IExecutionStep step, Boolean&amp; completedSynchronously) +159",
    ];
    for frame in frames {
        page.push_str("   ");
        page.push_str(frame);
        page.push_str("\r\n");
    }
    page.push_str("</pre>\r\n<hr>\r\n<b>Version Information:</b> Microsoft .NET Framework Version:4.0.30319; ASP.NET Version:4.8.9251.0\r\n</body>\r\n</html>\r\n");
    page
}
