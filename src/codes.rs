//! Names for the numbers in a trace: notifications, error codes and status codes.
//!
//! FREB stores enumerations as numbers and only sometimes writes their names next to them
//! (a WinHTTP `ErrorCode` gets no description at all), so frebscope carries its own tables.
//! The tables hold the codes that matter for telling the proxy layer, startup and the worker
//! process apart; anything else is still decoded into its HRESULT parts so that a person can
//! look it up.

use crate::model::{ErrorCode, Status};

/// The name of a request notification (`128` -> `EXECUTE_REQUEST_HANDLER`), from httpserv.h.
pub(crate) fn notification_name(value: u32) -> Option<&'static str> {
    Some(match value {
        0x1 => "BEGIN_REQUEST",
        0x2 => "AUTHENTICATE_REQUEST",
        0x4 => "AUTHORIZE_REQUEST",
        0x8 => "RESOLVE_REQUEST_CACHE",
        0x10 => "MAP_REQUEST_HANDLER",
        0x20 => "ACQUIRE_REQUEST_STATE",
        0x40 => "PRE_EXECUTE_REQUEST_HANDLER",
        0x80 => "EXECUTE_REQUEST_HANDLER",
        0x100 => "RELEASE_REQUEST_STATE",
        0x200 => "UPDATE_REQUEST_CACHE",
        0x400 => "LOG_REQUEST",
        0x800 => "END_REQUEST",
        0x2000_0000 => "SEND_RESPONSE",
        0x4000_0000 => "READ_ENTITY",
        0x8000_0000 => "MAP_PATH",
        _ => return None,
    })
}

/// The symbolic name of an error code, when frebscope knows it.
///
/// Whole 32-bit values are looked up first (`E_ACCESSDENIED` rather than
/// `ERROR_ACCESS_DENIED` for `0x80070005`); a Win32 error wrapped in an HRESULT
/// (`0x8007xxxx`) or written bare (`109`) is then looked up by its Win32 number, which is how
/// the WinHTTP codes (`0x80072EFD` = 12029) are found.
pub(crate) fn error_name(code: ErrorCode) -> Option<&'static str> {
    if let Some(name) = hresult_name(code.0) {
        return Some(name);
    }
    win32_number(code).and_then(win32_name)
}

/// The Win32 error inside a code: the value itself when it is small, the low 16 bits of a
/// `FACILITY_WIN32` HRESULT, `None` otherwise.
fn win32_number(code: ErrorCode) -> Option<u32> {
    if code.0 <= 0xFFFF {
        Some(code.0)
    } else if code.0 & 0xFFFF_0000 == 0x8007_0000 {
        Some(code.0 & 0xFFFF)
    } else {
        None
    }
}

/// Codes whose full 32-bit value has its own name.
fn hresult_name(value: u32) -> Option<&'static str> {
    Some(match value {
        0x8000_4001 => "E_NOTIMPL",
        0x8000_4005 => "E_FAIL",
        0x8000_FFFF => "E_UNEXPECTED",
        0x8007_0005 => "E_ACCESSDENIED",
        0x8007_0006 => "E_HANDLE",
        0x8007_000E => "E_OUTOFMEMORY",
        0x8007_0057 => "E_INVALIDARG",
        0xC000_0005 => "STATUS_ACCESS_VIOLATION",
        0xC000_00FD => "STATUS_STACK_OVERFLOW",
        0xC000_0409 => "STATUS_STACK_BUFFER_OVERRUN",
        0xE043_4352 => "CLR_UNHANDLED_EXCEPTION",
        _ => return None,
    })
}

/// Win32, Winsock and WinHTTP error numbers.
fn win32_name(number: u32) -> Option<&'static str> {
    Some(match number {
        0 => "ERROR_SUCCESS",
        2 => "ERROR_FILE_NOT_FOUND",
        3 => "ERROR_PATH_NOT_FOUND",
        5 => "ERROR_ACCESS_DENIED",
        6 => "ERROR_INVALID_HANDLE",
        13 => "ERROR_INVALID_DATA",
        22 => "ERROR_BAD_COMMAND",
        64 => "ERROR_NETNAME_DELETED",
        87 => "ERROR_INVALID_PARAMETER",
        109 => "ERROR_BROKEN_PIPE",
        183 => "ERROR_ALREADY_EXISTS",
        193 => "ERROR_BAD_EXE_FORMAT",
        231 => "ERROR_PIPE_BUSY",
        433 => "ERROR_NO_SUCH_DEVICE",
        574 => "ERROR_UNHANDLED_EXCEPTION",
        995 => "ERROR_OPERATION_ABORTED",
        1229 => "ERROR_CONNECTION_INVALID",
        10054 => "WSAECONNRESET",
        10060 => "WSAETIMEDOUT",
        10061 => "WSAECONNREFUSED",
        _ => return winhttp_name(number),
    })
}

/// WinHTTP (and the one WinINet) error numbers, 12001 and up.
fn winhttp_name(number: u32) -> Option<&'static str> {
    Some(match number {
        12001 => "ERROR_WINHTTP_OUT_OF_HANDLES",
        12002 => "ERROR_WINHTTP_TIMEOUT",
        12004 => "ERROR_WINHTTP_INTERNAL_ERROR",
        12005 => "ERROR_WINHTTP_INVALID_URL",
        12006 => "ERROR_WINHTTP_UNRECOGNIZED_SCHEME",
        12007 => "ERROR_WINHTTP_NAME_NOT_RESOLVED",
        12017 => "ERROR_WINHTTP_OPERATION_CANCELLED",
        12029 => "ERROR_WINHTTP_CANNOT_CONNECT",
        12030 => "ERROR_WINHTTP_CONNECTION_ERROR",
        // WinINet's number; WinHTTP leaves 12031 undefined but ARR reports it for resets.
        12031 => "ERROR_INTERNET_CONNECTION_RESET",
        12032 => "ERROR_WINHTTP_RESEND_REQUEST",
        12037 => "ERROR_WINHTTP_SECURE_CERT_DATE_INVALID",
        12038 => "ERROR_WINHTTP_SECURE_CERT_CN_INVALID",
        12044 => "ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED",
        12045 => "ERROR_WINHTTP_SECURE_INVALID_CA",
        12057 => "ERROR_WINHTTP_SECURE_CERT_REV_FAILED",
        12150 => "ERROR_WINHTTP_HEADER_NOT_FOUND",
        12152 => "ERROR_WINHTTP_INVALID_SERVER_RESPONSE",
        12156 => "ERROR_WINHTTP_REDIRECT_FAILED",
        12157 => "ERROR_WINHTTP_SECURE_CHANNEL_ERROR",
        12169 => "ERROR_WINHTTP_SECURE_INVALID_CERT",
        12170 => "ERROR_WINHTTP_SECURE_CERT_REVOKED",
        12175 => "ERROR_WINHTTP_SECURE_FAILURE",
        _ => return None,
    })
}

/// The name of an HRESULT facility, for codes no table knows.
fn facility_name(facility: u32) -> Option<&'static str> {
    Some(match facility {
        0 => "FACILITY_NULL",
        1 => "FACILITY_RPC",
        2 => "FACILITY_DISPATCH",
        3 => "FACILITY_STORAGE",
        4 => "FACILITY_ITF",
        7 => "FACILITY_WIN32",
        8 => "FACILITY_WINDOWS",
        9 => "FACILITY_SECURITY",
        12 => "FACILITY_INTERNET",
        19 => "FACILITY_URT",
        25 => "FACILITY_HTTP",
        _ => return None,
    })
}

/// A code as a person reads it: `0x80072EFD ERROR_WINHTTP_CANNOT_CONNECT` when named, else its
/// parts, e.g. `0x80070020 (HRESULT, FACILITY_WIN32, Win32 error 32)`.
pub(crate) fn describe(code: ErrorCode) -> String {
    if let Some(name) = error_name(code) {
        return format!("{code} {name}");
    }
    format!("{code} ({})", decode_parts(code.0))
}

/// The generic reading of an unnamed code.
fn decode_parts(value: u32) -> String {
    if value <= 0xFFFF {
        return format!("Win32 error {value}");
    }
    let severity = value >> 30;
    let facility = (value >> 16) & 0x7FF;
    let number = value & 0xFFFF;
    if severity == 0b11 && value & 0x1000_0000 == 0 {
        return format!("NTSTATUS error, facility {facility}, code {number}");
    }
    let facility_text =
        facility_name(facility).map_or_else(|| format!("facility {facility}"), str::to_string);
    let kind = if severity & 0b10 != 0 {
        "HRESULT"
    } else {
        "HRESULT success"
    };
    if facility == 7 {
        format!("{kind}, {facility_text}, Win32 error {number}")
    } else {
        format!("{kind}, {facility_text}, code {number}")
    }
}

/// Module families whose meaning of a status differs from IIS core.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Arr,
    Ancm,
    HttpPlatform,
    Cgi,
    AspNetInit,
    Iisnode,
    Other,
}

fn family(module: &str) -> Family {
    let lower = module.to_ascii_lowercase();
    match lower.as_str() {
        "applicationrequestrouting" => Family::Arr,
        "httpplatformhandler" => Family::HttpPlatform,
        "cgimodule" => Family::Cgi,
        "aspnetinitializationexceptionmodule" => Family::AspNetInit,
        "iisnode" => Family::Iisnode,
        _ if lower.starts_with("aspnetcoremodule") => Family::Ancm,
        _ => Family::Other,
    }
}

/// What a status means, given the module that set it.
///
/// Several numbers mean different things per module (`502.5` is an ARR WebSocket failure but an
/// ANCM process failure), so the module decides where the documentation says the number alone
/// is ambiguous.
pub(crate) fn status_meaning(status: Status, module: &str) -> Option<&'static str> {
    let fam = family(module);
    if let Some(text) = module_specific_meaning(status, fam) {
        return Some(text);
    }
    match status.code {
        500 => core_500_meaning(status.sub),
        502 => core_502_meaning(status.sub),
        503 => core_503_meaning(status.sub),
        _ => None,
    }
}

fn module_specific_meaning(status: Status, fam: Family) -> Option<&'static str> {
    Some(match (status.code, status.sub, fam) {
        (502, 2, Family::Arr) => "Bad Gateway: ARR map request failure",
        (502, 3, Family::Ancm | Family::HttpPlatform) => {
            "Bad Gateway: out-of-process forwarding failure (backend process did not answer)"
        }
        (502, 5, Family::Arr) => "Bad Gateway: ARR WebSocket failure",
        (502, 5, _) => "Process Failure: the backend process failed to start",
        (500, 0, Family::Ancm) => "ANCM In-Process Handler Load Failure",
        (500, 0, Family::AspNetInit) => "ASP.NET application failed to initialize",
        (500, sub, Family::Iisnode) if sub >= 1000 => return iisnode_500_meaning(sub),
        (503, sub, Family::Iisnode) if sub >= 1000 => return iisnode_503_meaning(sub),
        (500, sub, Family::Other) if sub >= 1000 => return iisnode_500_meaning(sub),
        (503, sub, Family::Other) if sub >= 1000 => return iisnode_503_meaning(sub),
        _ => return None,
    })
}

fn core_500_meaning(sub: u32) -> Option<&'static str> {
    Some(match sub {
        0 => "Internal Server Error: module or ISAPI error",
        11 => "application is shutting down",
        12 => "application is busy restarting",
        13 => "server too busy",
        15 => "direct requests for Global.asax are not allowed",
        19 => "configuration data is invalid",
        21 => "module not recognized",
        22 => "httpModules configuration not valid in Integrated mode",
        23 => "httpHandlers configuration not valid in Integrated mode",
        24 => "identity impersonation not valid in Integrated mode",
        30 => "ANCM In-Process Start Failure",
        31 => "ANCM Failed to Find Native Dependencies",
        32 => "ANCM Failed to Load dll",
        33 => "ANCM Request Handler Load Failure",
        34 => "ANCM Mixed Hosting Models Not Supported",
        35 => "ANCM Multiple In-Process Applications in same Process",
        36 => "ANCM Out-Of-Process Handler Load Failure",
        37 => "ANCM Failed to Start Within Startup Time Limit",
        38 => "ANCM Application DLL Not Found",
        50 => "URL Rewrite error at RQ_BEGIN_REQUEST",
        51 => "URL Rewrite error at GL_PRE_BEGIN_REQUEST",
        52 => "URL Rewrite error at RQ_SEND_RESPONSE",
        53 => "URL Rewrite error at RQ_RELEASE_REQUEST_STATE",
        100 => "internal ASP error",
        _ => return None,
    })
}

fn core_502_meaning(sub: u32) -> Option<&'static str> {
    Some(match sub {
        1 => "CGI application timeout",
        2 => "Bad Gateway: premature exit",
        3 => "Bad Gateway: forwarder connection error",
        4 => "Bad Gateway: no server (no healthy farm member)",
        6 => "Bad Gateway: ARR forwarded request failure",
        7 => "Bad Gateway: ARR execute request failure",
        _ => return None,
    })
}

fn core_503_meaning(sub: u32) -> Option<&'static str> {
    Some(match sub {
        0 => "application pool unavailable",
        2 => "concurrent request limit exceeded",
        3 => "ASP.NET queue full",
        4 => "FastCGI queue full",
        _ => return None,
    })
}

fn iisnode_500_meaning(sub: u32) -> Option<&'static str> {
    Some(match sub {
        1000 => "iisnode could not dispatch the request (node.exe not started or crashed at start)",
        1001 => "iisnode: application did not answer the URL, or named pipe busy",
        1002 => "iisnode: node.exe crashed",
        1003 => "iisnode: named pipe configuration error",
        1004..=1018 => {
            "iisnode: error sending the request or reading the response (often node.exe crashed)"
        }
        _ => return None,
    })
}

fn iisnode_503_meaning(sub: u32) -> Option<&'static str> {
    Some(match sub {
        1000 => "iisnode: not enough memory for named-pipe connections",
        1001 => "iisnode: application is recycling",
        1002 => "iisnode: could not dispatch the request",
        1003 => "iisnode: named pipe too busy",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> ErrorCode {
        ErrorCode::parse(text).expect("test code parses")
    }

    #[test]
    fn winhttp_codes_are_named_from_decimal_and_hex() {
        assert_eq!(
            error_name(code("2147954429")),
            Some("ERROR_WINHTTP_CANNOT_CONNECT")
        );
        assert_eq!(
            error_name(code("0x80072EE2")),
            Some("ERROR_WINHTTP_TIMEOUT")
        );
        assert_eq!(
            error_name(code("0x80072EFE")),
            Some("ERROR_WINHTTP_CONNECTION_ERROR")
        );
        assert_eq!(
            error_name(code("0x80072F78")),
            Some("ERROR_WINHTTP_INVALID_SERVER_RESPONSE")
        );
        assert_eq!(
            error_name(code("0x80072F76")),
            Some("ERROR_WINHTTP_HEADER_NOT_FOUND")
        );
        assert_eq!(
            error_name(code("0x80072EE7")),
            Some("ERROR_WINHTTP_NAME_NOT_RESOLVED")
        );
        assert_eq!(
            error_name(code("0x80072F8F")),
            Some("ERROR_WINHTTP_SECURE_FAILURE")
        );
        assert_eq!(
            error_name(code("0x80072EFF")),
            Some("ERROR_INTERNET_CONNECTION_RESET")
        );
        assert_eq!(
            error_name(code("0x80072F7C")),
            Some("ERROR_WINHTTP_REDIRECT_FAILED")
        );
    }

    #[test]
    fn win32_and_com_codes_are_named() {
        assert_eq!(
            error_name(code("0x800704CD")),
            Some("ERROR_CONNECTION_INVALID")
        );
        assert_eq!(error_name(code("0x80070057")), Some("E_INVALIDARG"));
        assert_eq!(
            error_name(code("0x800703E3")),
            Some("ERROR_OPERATION_ABORTED")
        );
        assert_eq!(
            error_name(code("0x80070040")),
            Some("ERROR_NETNAME_DELETED")
        );
        assert_eq!(error_name(code("0x80072746")), Some("WSAECONNRESET"));
        assert_eq!(error_name(code("0x8007274C")), Some("WSAETIMEDOUT"));
        assert_eq!(error_name(code("0x8007274D")), Some("WSAECONNREFUSED"));
        assert_eq!(error_name(code("0x800700C1")), Some("ERROR_BAD_EXE_FORMAT"));
        assert_eq!(error_name(code("0x800701B1")), Some("ERROR_NO_SUCH_DEVICE"));
        assert_eq!(
            error_name(code("0x8007023E")),
            Some("ERROR_UNHANDLED_EXCEPTION")
        );
        assert_eq!(error_name(code("0x8000FFFF")), Some("E_UNEXPECTED"));
        assert_eq!(error_name(code("0x80070002")), Some("ERROR_FILE_NOT_FOUND"));
        assert_eq!(error_name(code("0x80070005")), Some("E_ACCESSDENIED"));
        assert_eq!(error_name(code("109")), Some("ERROR_BROKEN_PIPE"));
        assert_eq!(error_name(code("0")), Some("ERROR_SUCCESS"));
        assert_eq!(
            error_name(code("0xC00000FD")),
            Some("STATUS_STACK_OVERFLOW")
        );
        assert_eq!(error_name(code("0x80070020")), None);
    }

    #[test]
    fn describe_names_known_codes() {
        assert_eq!(
            describe(code("2147954429")),
            "0x80072EFD ERROR_WINHTTP_CANNOT_CONNECT"
        );
        assert_eq!(describe(code("109")), "0x0000006D ERROR_BROKEN_PIPE");
    }

    #[test]
    fn describe_decodes_unknown_codes() {
        assert_eq!(
            describe(code("0x80070020")),
            "0x80070020 (HRESULT, FACILITY_WIN32, Win32 error 32)"
        );
        assert_eq!(describe(code("2147942432")), describe(code("0x80070020")));
        assert_eq!(describe(code("4242")), "0x00001092 (Win32 error 4242)");
        assert_eq!(
            describe(code("0x80131509")),
            "0x80131509 (HRESULT, FACILITY_URT, code 5385)"
        );
        assert_eq!(
            describe(code("0xC0000194")),
            "0xC0000194 (NTSTATUS error, facility 0, code 404)"
        );
    }

    #[test]
    fn status_meaning_follows_the_module() {
        let s = |t: &str| Status::parse(t).expect("test status parses");
        assert_eq!(
            status_meaning(s("502.3"), "ApplicationRequestRouting"),
            Some("Bad Gateway: forwarder connection error")
        );
        assert!(
            status_meaning(s("502.3"), "AspNetCoreModuleV2")
                .is_some_and(|m| m.contains("out-of-process"))
        );
        assert_eq!(
            status_meaning(s("502.5"), "ApplicationRequestRouting"),
            Some("Bad Gateway: ARR WebSocket failure")
        );
        assert!(
            status_meaning(s("502.5"), "AspNetCoreModule")
                .is_some_and(|m| m.contains("Process Failure"))
        );
        assert_eq!(
            status_meaning(s("502.2"), "CgiModule"),
            Some("Bad Gateway: premature exit")
        );
        assert_eq!(
            status_meaning(s("500.19"), "RequestFilteringModule"),
            Some("configuration data is invalid")
        );
        assert_eq!(
            status_meaning(s("500.30"), "AspNetCoreModuleV2"),
            Some("ANCM In-Process Start Failure")
        );
        assert_eq!(
            status_meaning(s("500"), "AspNetCoreModuleV2"),
            Some("ANCM In-Process Handler Load Failure")
        );
        assert!(
            status_meaning(s("500"), "ManagedPipelineHandler")
                .is_some_and(|m| m.contains("module or ISAPI"))
        );
        assert!(status_meaning(s("500.1002"), "iisnode").is_some_and(|m| m.contains("crashed")));
        assert!(status_meaning(s("503.1001"), "iisnode").is_some_and(|m| m.contains("recycling")));
        assert_eq!(status_meaning(s("404"), "IIS Web Core"), None);
        assert_eq!(status_meaning(s("500.1002"), "AspNetCoreModuleV2"), None);
    }
}
