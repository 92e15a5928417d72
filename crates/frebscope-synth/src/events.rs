//! One constructor per event IIS writes into a trace.
//!
//! Names, `System/Opcode` numbers, levels, areas and data names follow the event catalogue of
//! the real traces. Enumerated values are written as IIS writes
//! them: the number in `Data` and the name in a `freb:Description`. Every constructor returns an
//! [`EventSpec`] at offset 0; place it in time with [`EventSpec::at`].
//!
//! `ARR_SERVER_ROUTED` is the one event used here that no saved trace contains: its data names
//! come from Microsoft's ARR troubleshooting article, and its opcode number (1) and the
//! numeric encoding of `RoutingReason`/`State` are our assumption.

use super::{Area, ContextData, EventSpec, Provider, error_code_description};
use crate::Status;

/// A request-pipeline notification: the bit IIS writes in `Notification` and its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Notification {
    /// `BEGIN_REQUEST` (1).
    BeginRequest,
    /// `AUTHENTICATE_REQUEST` (2).
    AuthenticateRequest,
    /// `AUTHORIZE_REQUEST` (4).
    AuthorizeRequest,
    /// `RESOLVE_REQUEST_CACHE` (8).
    ResolveRequestCache,
    /// `MAP_REQUEST_HANDLER` (16).
    MapRequestHandler,
    /// `ACQUIRE_REQUEST_STATE` (32).
    AcquireRequestState,
    /// `PRE_EXECUTE_REQUEST_HANDLER` (64).
    PreExecuteRequestHandler,
    /// `EXECUTE_REQUEST_HANDLER` (128).
    ExecuteRequestHandler,
    /// `RELEASE_REQUEST_STATE` (256).
    ReleaseRequestState,
    /// `UPDATE_REQUEST_CACHE` (512).
    UpdateRequestCache,
    /// `LOG_REQUEST` (1024).
    LogRequest,
    /// `END_REQUEST` (2048).
    EndRequest,
    /// `SEND_RESPONSE` (0x20000000).
    SendResponse,
}

impl Notification {
    /// The pipeline in the order IIS runs it.
    pub const PIPELINE: [Notification; 13] = [
        Notification::BeginRequest,
        Notification::AuthenticateRequest,
        Notification::AuthorizeRequest,
        Notification::ResolveRequestCache,
        Notification::MapRequestHandler,
        Notification::AcquireRequestState,
        Notification::PreExecuteRequestHandler,
        Notification::ExecuteRequestHandler,
        Notification::ReleaseRequestState,
        Notification::UpdateRequestCache,
        Notification::LogRequest,
        Notification::EndRequest,
        Notification::SendResponse,
    ];

    /// The value written in `Notification`.
    pub fn number(self) -> u32 {
        match self {
            Notification::BeginRequest => 1,
            Notification::AuthenticateRequest => 2,
            Notification::AuthorizeRequest => 4,
            Notification::ResolveRequestCache => 8,
            Notification::MapRequestHandler => 16,
            Notification::AcquireRequestState => 32,
            Notification::PreExecuteRequestHandler => 64,
            Notification::ExecuteRequestHandler => 128,
            Notification::ReleaseRequestState => 256,
            Notification::UpdateRequestCache => 512,
            Notification::LogRequest => 1024,
            Notification::EndRequest => 2048,
            Notification::SendResponse => 0x2000_0000,
        }
    }

    /// The `freb:Description` text.
    pub fn name(self) -> &'static str {
        match self {
            Notification::BeginRequest => "BEGIN_REQUEST",
            Notification::AuthenticateRequest => "AUTHENTICATE_REQUEST",
            Notification::AuthorizeRequest => "AUTHORIZE_REQUEST",
            Notification::ResolveRequestCache => "RESOLVE_REQUEST_CACHE",
            Notification::MapRequestHandler => "MAP_REQUEST_HANDLER",
            Notification::AcquireRequestState => "ACQUIRE_REQUEST_STATE",
            Notification::PreExecuteRequestHandler => "PRE_EXECUTE_REQUEST_HANDLER",
            Notification::ExecuteRequestHandler => "EXECUTE_REQUEST_HANDLER",
            Notification::ReleaseRequestState => "RELEASE_REQUEST_STATE",
            Notification::UpdateRequestCache => "UPDATE_REQUEST_CACHE",
            Notification::LogRequest => "LOG_REQUEST",
            Notification::EndRequest => "END_REQUEST",
            Notification::SendResponse => "SEND_RESPONSE",
        }
    }
}

/// `NotificationStatus` of `NOTIFY_MODULE_END`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationStatus {
    /// `NOTIFICATION_CONTINUE` (0).
    Continue,
    /// `NOTIFICATION_FINISH_REQUEST` (2): the module ended the request (errors, proxies).
    FinishRequest,
}

impl NotificationStatus {
    fn number(self) -> u32 {
        match self {
            NotificationStatus::Continue => 0,
            NotificationStatus::FinishRequest => 2,
        }
    }

    fn name(self) -> &'static str {
        match self {
            NotificationStatus::Continue => "NOTIFICATION_CONTINUE",
            NotificationStatus::FinishRequest => "NOTIFICATION_FINISH_REQUEST",
        }
    }
}

/// Common HTTP reason phrases, as IIS writes them in `HttpReason`.
pub fn reason_phrase(code: u16) -> &'static str {
    match code {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Unknown",
    }
}

/// The system message IIS renders for well-known error codes, `None` where FormatMessage has
/// no text (WinHTTP codes: IIS then writes no description at all).
pub fn system_message(code: u32) -> Option<&'static str> {
    Some(match code {
        0 => "The operation completed successfully.",
        0x8007_0002 => "The system cannot find the file specified.",
        0x8007_0003 => "The system cannot find the path specified.",
        0x8007_0005 => "Access is denied.",
        0x8007_000D => "The data is invalid.",
        0x8007_00B7 => "Cannot create a file when that file already exists.",
        0x8007_04CD => "An operation was attempted on a nonexistent network connection.",
        0x8007_0040 => "The specified network name is no longer available.",
        0x8007_03E3 => {
            "The I/O operation has been aborted because of either a thread exit or an application request."
        }
        _ => return None,
    })
}

fn error_code(ev: EventSpec, code: u32) -> EventSpec {
    let ev = ev.data("ErrorCode", code.to_string());
    match system_message(code) {
        Some(msg) => ev.describe("ErrorCode", error_code_description(msg, code)),
        None => ev,
    }
}

fn bool_text(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

fn header_block(headers: &[(&str, &str)]) -> String {
    let mut block = String::new();
    for (name, value) in headers {
        block.push_str(name);
        block.push_str(": ");
        block.push_str(value);
        block.push_str("\r\n");
    }
    block
}

// ---- general -----------------------------------------------------------------------------

/// `GENERAL_REQUEST_START`: the first event of a request.
pub fn request_start(
    site_id: u32,
    app_pool: &str,
    conn_id: u64,
    url: &str,
    verb: &str,
) -> EventSpec {
    EventSpec::www("GENERAL_REQUEST_START", 0, 1, Area::GENERAL)
        .data("SiteId", site_id.to_string())
        .data("AppPoolId", app_pool)
        .data("ConnId", conn_id.to_string())
        .data("RawConnId", conn_id.to_string())
        .data("RequestURL", url)
        .data("RequestVerb", verb)
}

/// `GENERAL_ENDPOINT_INFORMATION`: client and server socket addresses.
pub fn endpoint_information(
    remote: &str,
    remote_port: u16,
    local: &str,
    local_port: u16,
) -> EventSpec {
    EventSpec::www("GENERAL_ENDPOINT_INFORMATION", 4, 55, Area::GENERAL)
        .data("RemoteAddress", remote)
        .data("RemotePort", remote_port.to_string())
        .data("LocalAddress", local)
        .data("LocalPort", local_port.to_string())
}

/// `GENERAL_REQUEST_HEADERS`: the request header block, one `Name: value\r\n` per header.
/// An ARR backend sees `X-ARR-LOG-ID` here.
pub fn request_headers(headers: &[(&str, &str)]) -> EventSpec {
    EventSpec::www("GENERAL_REQUEST_HEADERS", 4, 50, Area::GENERAL)
        .data("Headers", header_block(headers))
}

/// `GENERAL_SET_REQUEST_HEADER`: a module set a request header (ARR sets `X-ARR-LOG-ID`).
pub fn set_request_header(name: &str, value: &str, replace: bool) -> EventSpec {
    EventSpec::www("GENERAL_SET_REQUEST_HEADER", 5, 53, Area::GENERAL)
        .data("HeaderName", name)
        .data("HeaderValue", value)
        .data("Replace", bool_text(replace))
}

/// `GENERAL_SET_RESPONSE_HEADER`.
pub fn set_response_header(name: &str, value: &str, replace: bool) -> EventSpec {
    EventSpec::www("GENERAL_SET_RESPONSE_HEADER", 4, 56, Area::GENERAL)
        .data("HeaderName", name)
        .data("HeaderValue", value)
        .data("Replace", bool_text(replace))
}

/// `URL_CACHE_ACCESS_START`.
pub fn url_cache_access_start(request_url: &str) -> EventSpec {
    EventSpec::www("URL_CACHE_ACCESS_START", 4, 12, Area::CACHE).data("RequestURL", request_url)
}

/// `URL_CACHE_ACCESS_END`.
pub fn url_cache_access_end(physical_path: &str, from_cache: bool) -> EventSpec {
    let ev = EventSpec::www("URL_CACHE_ACCESS_END", 4, 13, Area::CACHE)
        .data("PhysicalPath", physical_path)
        .data("URLInfoFromCache", bool_text(from_cache))
        .data("URLInfoAddedToCache", bool_text(!from_cache));
    error_code(ev, 0)
}

/// `GENERAL_GET_URL_METADATA`.
pub fn get_url_metadata(physical_path: &str, access_perms: u32) -> EventSpec {
    EventSpec::www("GENERAL_GET_URL_METADATA", 4, 30, Area::GENERAL)
        .data("PhysicalPath", physical_path)
        .data("AccessPerms", access_perms.to_string())
}

/// `HANDLER_CHANGED`: the handler that will execute the request.
pub fn handler_changed(
    old: &str,
    new: &str,
    modules: &str,
    script_processor: &str,
    handler_type: &str,
) -> EventSpec {
    EventSpec::www("HANDLER_CHANGED", 4, 43, Area::GENERAL)
        .data("OldHandlerName", old)
        .data("NewHandlerName", new)
        .data("NewHandlerModules", modules)
        .data("NewHandlerScriptProcessor", script_processor)
        .data("NewHandlerType", handler_type)
}

/// `URL_CHANGED`.
pub fn url_changed(old: &str, new: &str) -> EventSpec {
    EventSpec::www("URL_CHANGED", 4, 42, Area::GENERAL)
        .data("OldUrl", old)
        .data("NewUrl", new)
}

/// `GENERAL_RESPONSE_HEADERS`: the response header block.
pub fn response_headers(headers: &[(&str, &str)]) -> EventSpec {
    EventSpec::www("GENERAL_RESPONSE_HEADERS", 4, 47, Area::GENERAL)
        .data("Headers", header_block(headers))
}

/// `GENERAL_RESPONSE_ENTITY_BUFFER`: a captured response body (escaped when rendered). Bodies
/// are what make real traces hundreds of kilobytes long.
pub fn response_entity_buffer(body: impl Into<String>) -> EventSpec {
    EventSpec::www("GENERAL_RESPONSE_ENTITY_BUFFER", 5, 49, Area::GENERAL).data("Buffer", body)
}

/// `GENERAL_FLUSH_RESPONSE_START`.
pub fn flush_response_start() -> EventSpec {
    EventSpec::www("GENERAL_FLUSH_RESPONSE_START", 4, 35, Area::GENERAL)
}

/// `GENERAL_FLUSH_RESPONSE_END`; `error` 0x800704CD when the client (or ARR) had gone.
pub fn flush_response_end(bytes_sent: u64, error: u32) -> EventSpec {
    let ev = EventSpec::www("GENERAL_FLUSH_RESPONSE_END", 4, 36, Area::GENERAL)
        .data("BytesSent", bytes_sent.to_string());
    error_code(ev, error)
}

/// `GENERAL_SEND_CUSTOM_ERROR`: IIS replaced the body with a custom error page.
pub fn send_custom_error(status: Status, file_or_url: &str) -> EventSpec {
    EventSpec::www("GENERAL_SEND_CUSTOM_ERROR", 0, 33, Area::GENERAL)
        .data("HttpStatus", status.code.to_string())
        .data("HttpSubStatus", status.sub.to_string())
        .data("FileNameOrURL", file_or_url)
}

/// `GENERAL_REQUEST_END`: final bytes and status of the request.
pub fn request_end(bytes_sent: u64, bytes_received: u64, status: Status) -> EventSpec {
    EventSpec::www("GENERAL_REQUEST_END", 0, 2, Area::GENERAL)
        .data("BytesSent", bytes_sent.to_string())
        .data("BytesReceived", bytes_received.to_string())
        .data("HttpStatus", status.code.to_string())
        .data("HttpSubStatus", status.sub.to_string())
}

/// `LOG_FILE_MAX_SIZE_TRUNCATE`: IIS stopped writing at `maxLogFileSizeKB`.
pub fn log_file_max_size_truncate() -> EventSpec {
    EventSpec {
        version: 0,
        context: ContextData::None,
        ..EventSpec::www("LOG_FILE_MAX_SIZE_TRUNCATE", 3, 0, Area::NONE)
    }
}

// ---- request notifications ---------------------------------------------------------------

/// `PRE_BEGIN_REQUEST_START`.
pub fn pre_begin_request_start(module: &str) -> EventSpec {
    EventSpec::www("PRE_BEGIN_REQUEST_START", 5, 4, Area::REQUEST_NOTIFICATIONS)
        .data("ModuleName", module)
}

/// `PRE_BEGIN_REQUEST_END`.
pub fn pre_begin_request_end(module: &str) -> EventSpec {
    let s = NotificationStatus::Continue;
    EventSpec::www("PRE_BEGIN_REQUEST_END", 5, 5, Area::REQUEST_NOTIFICATIONS)
        .data("ModuleName", module)
        .data("NotificationStatus", s.number().to_string())
        .describe("NotificationStatus", s.name())
}

/// `NOTIFY_MODULE_START`.
pub fn notify_module_start(module: &str, notification: Notification, post: bool) -> EventSpec {
    EventSpec::www("NOTIFY_MODULE_START", 5, 1, Area::REQUEST_NOTIFICATIONS)
        .data("ModuleName", module)
        .data("Notification", notification.number().to_string())
        .data("fIsPostNotification", bool_text(post))
        .describe("Notification", notification.name())
}

/// `NOTIFY_MODULE_END`.
pub fn notify_module_end(
    module: &str,
    notification: Notification,
    post: bool,
    status: NotificationStatus,
) -> EventSpec {
    EventSpec::www("NOTIFY_MODULE_END", 5, 2, Area::REQUEST_NOTIFICATIONS)
        .data("ModuleName", module)
        .data("Notification", notification.number().to_string())
        .data("fIsPostNotificationEvent", bool_text(post))
        .data("NotificationStatus", status.number().to_string())
        .describe("Notification", notification.name())
        .describe("NotificationStatus", status.name())
}

/// `NOTIFY_MODULE_COMPLETION`: an asynchronous module operation completed.
pub fn notify_module_completion(
    module: &str,
    notification: Notification,
    post: bool,
    bytes: u64,
    error: u32,
) -> EventSpec {
    let ev = EventSpec::www(
        "NOTIFY_MODULE_COMPLETION",
        5,
        3,
        Area::REQUEST_NOTIFICATIONS,
    )
    .data("ModuleName", module)
    .data("Notification", notification.number().to_string())
    .data("fIsPostNotificationEvent", bool_text(post))
    .data("CompletionBytes", bytes.to_string())
    .describe("Notification", notification.name());
    error_code(ev, error)
}

/// `MODULE_SET_RESPONSE_ERROR_STATUS`: the module that set the error. `error` is written in
/// decimal; its description only when the system has a message for it.
pub fn module_set_response_error_status(
    module: &str,
    notification: Notification,
    status: Status,
    error: u32,
    config_exception: &str,
) -> EventSpec {
    let ev = EventSpec::www(
        "MODULE_SET_RESPONSE_ERROR_STATUS",
        3,
        16,
        Area::REQUEST_NOTIFICATIONS,
    )
    .data("ModuleName", module)
    .data("Notification", notification.number().to_string())
    .data("HttpStatus", status.code.to_string())
    .data("HttpReason", reason_phrase(status.code))
    .data("HttpSubStatus", status.sub.to_string())
    .data("ErrorCode", error.to_string())
    .data("ConfigExceptionInfo", config_exception)
    .describe("Notification", notification.name());
    match system_message(error) {
        Some(msg) => ev.describe("ErrorCode", error_code_description(msg, error)),
        None => ev,
    }
}

/// `MODULE_SET_RESPONSE_SUCCESS_STATUS`.
pub fn module_set_response_success_status(
    module: &str,
    notification: Notification,
    status: Status,
) -> EventSpec {
    EventSpec::www(
        "MODULE_SET_RESPONSE_SUCCESS_STATUS",
        4,
        17,
        Area::REQUEST_NOTIFICATIONS,
    )
    .data("ModuleName", module)
    .data("Notification", notification.number().to_string())
    .data("HttpStatus", status.code.to_string())
    .data("HttpReason", reason_phrase(status.code))
    .describe("Notification", notification.name())
}

/// `SET_RESPONSE_ERROR_DESCRIPTION`: free text, usually ending in CRLF.
pub fn set_response_error_description(text: &str) -> EventSpec {
    EventSpec::www(
        "SET_RESPONSE_ERROR_DESCRIPTION",
        3,
        18,
        Area::REQUEST_NOTIFICATIONS,
    )
    .data("ErrorDescription", text)
}

/// `MODULE_WARNING` (FastCGI stderr, WebDAV, ...).
pub fn module_warning(module: &str, data1: &str, data2: &str, error: u32) -> EventSpec {
    let ev = EventSpec::www("MODULE_WARNING", 3, 5, Area::MODULE)
        .data("ModuleName", module)
        .data("Data1", data1)
        .data("Data2", data2);
    error_code(ev, error)
}

// ---- URL Rewrite -------------------------------------------------------------------------

/// `URL_REWRITE_START` (Scope 1 Distributed / 0 Global, Type 0 Inbound).
pub fn url_rewrite_start(request_url: &str, distributed: bool) -> EventSpec {
    let (scope, scope_name) = if distributed {
        (1, "Distributed")
    } else {
        (0, "Global")
    };
    EventSpec::www("URL_REWRITE_START", 4, 1, Area::REWRITE)
        .data("RequestURL", request_url)
        .data("Scope", scope.to_string())
        .data("Type", "0")
        .describe("Scope", scope_name)
        .describe("Type", "Inbound")
}

/// `URL_REWRITE_END`.
pub fn url_rewrite_end(request_url: &str) -> EventSpec {
    EventSpec::www("URL_REWRITE_END", 4, 2, Area::REWRITE).data("RequestURL", request_url)
}

/// `RULE_EVALUATION_START` (regex syntax).
pub fn rule_evaluation_start(
    rule: &str,
    request_url: &str,
    query: &str,
    stop: bool,
    relative_path: &str,
) -> EventSpec {
    EventSpec::www("RULE_EVALUATION_START", 5, 3, Area::REWRITE)
        .data("RuleName", rule)
        .data("RequestURL", request_url)
        .data("QueryString", query)
        .data("PatternSyntax", "0")
        .data("StopProcessing", bool_text(stop))
        .data("RelativePath", relative_path)
        .describe("PatternSyntax", "Regex")
}

/// `PATTERN_MATCH`.
pub fn pattern_match(pattern: &str, input: &str, negate: bool, matched: bool) -> EventSpec {
    EventSpec::www("PATTERN_MATCH", 5, 10, Area::REWRITE)
        .data("Pattern", pattern)
        .data("Input", input)
        .data("Negate", bool_text(negate))
        .data("Matched", bool_text(matched))
}

/// `REWRITE_ACTION`: an absolute `RewriteURL` hands the request to ARR.
pub fn rewrite_action(substitution: &str, rewrite_url: &str, append_query: bool) -> EventSpec {
    EventSpec::www("REWRITE_ACTION", 5, 12, Area::REWRITE)
        .data("Substitution", substitution)
        .data("RewriteURL", rewrite_url)
        .data("AppendQueryString", bool_text(append_query))
        .data("LogRewrittenURL", "false")
}

/// `RULE_EVALUATION_END`.
pub fn rule_evaluation_end(
    rule: &str,
    request_url: &str,
    query: &str,
    stop: bool,
    succeeded: bool,
) -> EventSpec {
    EventSpec::www("RULE_EVALUATION_END", 5, 4, Area::REWRITE)
        .data("RuleName", rule)
        .data("RequestURL", request_url)
        .data("QueryString", query)
        .data("StopProcessing", bool_text(stop))
        .data("Succeeded", bool_text(succeeded))
}

// ---- ARR ---------------------------------------------------------------------------------

/// `ARR_WEBFARM_NOT_ROUTED`: the rewrite target is not a farm; ARR proxies to `host` directly.
pub fn arr_webfarm_not_routed(host: &str) -> EventSpec {
    EventSpec::www("ARR_WEBFARM_NOT_ROUTED", 4, 11, Area::REQUEST_ROUTING).data("HostName", host)
}

/// Counters ARR reports for the farm member it picked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServerStats {
    /// Requests sent to the server so far.
    pub total_requests: u64,
    /// Of which failed.
    pub failed_requests: u64,
    /// In flight now.
    pub current_requests: u64,
    /// Bytes sent to the server.
    pub bytes_sent: u64,
    /// Bytes received from it.
    pub bytes_received: u64,
    /// Average response time in ms.
    pub response_time_ms: u64,
}

/// `ARR_SERVER_ROUTED`: ARR picked farm member `server` by load balancing (see module docs).
pub fn arr_server_routed(server: &str, stats: ServerStats) -> EventSpec {
    EventSpec::www("ARR_SERVER_ROUTED", 4, 1, Area::REQUEST_ROUTING)
        .data("RoutingReason", "1")
        .data("Server", server)
        .data("State", "0")
        .data("TotalRequests", stats.total_requests.to_string())
        .data("FailedRequests", stats.failed_requests.to_string())
        .data("CurrentRequests", stats.current_requests.to_string())
        .data("BytesSent", stats.bytes_sent.to_string())
        .data("BytesReceived", stats.bytes_received.to_string())
        .data("ResponseTime", stats.response_time_ms.to_string())
        .describe("RoutingReason", "LoadBalancing")
        .describe("State", "Active")
}

/// `ARR_REQUEST_HEADERS_START`: ARR starts sending the request to the backend.
pub fn arr_request_headers_start() -> EventSpec {
    EventSpec::www("ARR_REQUEST_HEADERS_START", 4, 3, Area::REQUEST_ROUTING)
}

/// `ARR_REQUEST_HEADERS_END`.
pub fn arr_request_headers_end() -> EventSpec {
    EventSpec::www("ARR_REQUEST_HEADERS_END", 4, 4, Area::REQUEST_ROUTING)
}

/// `ARR_RESPONSE_HEADERS_START`: the backend answered.
pub fn arr_response_headers_start() -> EventSpec {
    EventSpec::www("ARR_RESPONSE_HEADERS_START", 4, 7, Area::REQUEST_ROUTING)
}

/// `ARR_RESPONSE_HEADERS_END`.
pub fn arr_response_headers_end() -> EventSpec {
    EventSpec::www("ARR_RESPONSE_HEADERS_END", 4, 8, Area::REQUEST_ROUTING)
}

/// `ARR_RESPONSE_ENTITY_START`.
pub fn arr_response_entity_start() -> EventSpec {
    EventSpec::www("ARR_RESPONSE_ENTITY_START", 5, 9, Area::REQUEST_ROUTING)
}

/// `ARR_RESPONSE_ENTITY_END`.
pub fn arr_response_entity_end(bytes: u64) -> EventSpec {
    EventSpec::www("ARR_RESPONSE_ENTITY_END", 5, 10, Area::REQUEST_ROUTING)
        .data("Bytes", bytes.to_string())
}

// ---- ANCM --------------------------------------------------------------------------------

/// `ANCM_START_APPLICATION_SUCCESS`: ANCM started the application for this request.
pub fn ancm_start_application_success(description: &str) -> EventSpec {
    EventSpec::www("ANCM_START_APPLICATION_SUCCESS", 4, 1, Area::ANCM)
        .data("AppDescription", description)
}

/// `ANCM_START_APPLICATION_FAIL`.
pub fn ancm_start_application_fail(description: &str) -> EventSpec {
    EventSpec::www("ANCM_START_APPLICATION_FAIL", 2, 2, Area::ANCM)
        .data("FailureDescription", description)
}

/// `ANCM_REQUEST_FORWARD_START`: out-of-process forwarding begins.
pub fn ancm_request_forward_start() -> EventSpec {
    EventSpec::www("ANCM_REQUEST_FORWARD_START", 4, 3, Area::ANCM)
}

/// `ANCM_REQUEST_FORWARD_END`.
pub fn ancm_request_forward_end() -> EventSpec {
    EventSpec::www("ANCM_REQUEST_FORWARD_END", 4, 4, Area::ANCM)
}

/// `ANCM_REQUEST_FORWARD_FAIL` with the WinHTTP error (decimal).
pub fn ancm_request_forward_fail(error: u32) -> EventSpec {
    EventSpec::www("ANCM_REQUEST_FORWARD_FAIL", 2, 5, Area::ANCM)
        .data("ErrorCode", error.to_string())
}

/// `ANCM_WINHTTP_CALLBACK` with the WinHTTP callback flag (16 sending, 32 sent, 4194304
/// send complete, 131072 headers available, ...).
pub fn ancm_winhttp_callback(internet_status: u32) -> EventSpec {
    EventSpec::www("ANCM_WINHTTP_CALLBACK", 4, 6, Area::ANCM)
        .data("InternetStatus", internet_status.to_string())
}

// ---- FastCGI -----------------------------------------------------------------------------

/// `FASTCGI_START`.
pub fn fastcgi_start() -> EventSpec {
    EventSpec::www("FASTCGI_START", 0, 18, Area::FASTCGI)
}

/// `FASTCGI_ASSIGN_PROCESS`: `is_new` marks a child process started for this request.
pub fn fastcgi_assign_process(
    command_line: &str,
    is_new: bool,
    process_id: u32,
    request_number: u32,
) -> EventSpec {
    EventSpec::www("FASTCGI_ASSIGN_PROCESS", 0, 17, Area::FASTCGI)
        .data("CommandLine", command_line)
        .data("IsNewProcess", bool_text(is_new))
        .data("ProcessId", process_id.to_string())
        .data("RequestNumber", request_number.to_string())
}

/// `FASTCGI_WAITING_FOR_RESPONSE`.
pub fn fastcgi_waiting_for_response() -> EventSpec {
    EventSpec::www("FASTCGI_WAITING_FOR_RESPONSE", 5, 12, Area::FASTCGI)
}

/// `FASTCGI_RESPONSE_WRITTEN`.
pub fn fastcgi_response_written() -> EventSpec {
    EventSpec::www("FASTCGI_RESPONSE_WRITTEN", 4, 11, Area::FASTCGI)
}

/// `FASTCGI_END`.
pub fn fastcgi_end() -> EventSpec {
    EventSpec::www("FASTCGI_END", 0, 19, Area::FASTCGI)
}

// ---- ASP.NET -----------------------------------------------------------------------------

/// An ASPNET provider event (version 0, `ConnID`/`Context ID` first, then `DataN` items).
pub fn aspnet(
    name: &'static str,
    level: u8,
    opcode: u16,
    area: Area,
    data: &[(&'static str, &str)],
) -> EventSpec {
    let mut ev = EventSpec {
        provider: Provider::ASPNET,
        version: 0,
        context: ContextData::AspNet,
        ..EventSpec::www(name, level, opcode, area)
    };
    for (n, v) in data {
        ev = ev.data(n, *v);
    }
    ev
}
