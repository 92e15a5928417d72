//! Names for the numbers in a trace: notifications, error codes and status codes.
//!
//! FREB stores enumerations as numbers and only sometimes writes their names next to them
//! (a WinHTTP `ErrorCode` gets no description at all), so frebscope carries its own tables.

use crate::model::ErrorCode;

/// The name of a request notification (`128` -> `EXECUTE_REQUEST_HANDLER`), from httpserv.h.
pub fn notification_name(value: u32) -> Option<&'static str> {
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
pub fn error_name(code: ErrorCode) -> Option<&'static str> {
    Some(match code.0 {
        0x8007_2EE2 => "ERROR_WINHTTP_TIMEOUT",
        0x8007_2EFD => "ERROR_WINHTTP_CANNOT_CONNECT",
        0x8007_2EFE => "ERROR_WINHTTP_CONNECTION_ERROR",
        0x8007_0002 => "ERROR_FILE_NOT_FOUND",
        0x8007_0005 => "E_ACCESSDENIED",
        _ => return None,
    })
}
