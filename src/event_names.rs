//! The set of event names in a trace, kept small.
//!
//! The diagnosis asks which events a trace holds (`ANCM_START_APPLICATION_FAIL`, `ARR_*`, ...),
//! so every trace keeps that set. Held as strings it cost a few kilobytes per trace, which made
//! memory grow with the size of the share; the names IIS writes come from a fixed catalogue,
//! so a known name is one bit here, and only names outside the catalogue are kept as text:
//! at most [`MAX_OTHER_NAMES`] of them, each cut at [`MAX_NAME_BYTES`], so that a trace of a
//! million made-up names costs what a real one costs, and each name is added in constant time.

use serde::Serialize;

/// Event names from the FREB event catalogue (IIS core, ASP.NET, ASP, ISAPI, URL Rewrite, ARR,
/// FastCGI, ANCM), in byte order for binary search. A `static`, not a `const`: `insert` hands
/// back references into it, and only a static has one address (each use of a const may be a
/// copy, and on Windows the copies' strings sit at different addresses).
static CATALOGUE: [&str; 169] = [
    "ABORT_REQUEST_ACTION",
    "ABORT_REQUEST_FROM_CACHE_ACTION",
    "ANCM_EXCEPTION_CAUGHT",
    "ANCM_HRESULT_FAILED",
    "ANCM_INPROC_ASYNC_COMPLETION_COMPLETION",
    "ANCM_INPROC_ASYNC_COMPLETION_START",
    "ANCM_INPROC_EXECUTE_REQUEST_COMPLETION",
    "ANCM_INPROC_EXECUTE_REQUEST_START",
    "ANCM_INPROC_MANAGED_REQUEST_COMPLETION",
    "ANCM_INPROC_REQUEST_DISCONNECT",
    "ANCM_INPROC_REQUEST_SHUTDOWN",
    "ANCM_REQUEST_FORWARD_END",
    "ANCM_REQUEST_FORWARD_FAIL",
    "ANCM_REQUEST_FORWARD_START",
    "ANCM_START_APPLICATION_FAIL",
    "ANCM_START_APPLICATION_SUCCESS",
    "ANCM_WINHTTP_CALLBACK",
    "ARR_REQUEST_HEADERS_END",
    "ARR_REQUEST_HEADERS_START",
    "ARR_REQUEST_ROUTED",
    "ARR_RESPONSE_ENTITY_END",
    "ARR_RESPONSE_ENTITY_START",
    "ARR_RESPONSE_HEADERS_END",
    "ARR_RESPONSE_HEADERS_START",
    "ARR_SERVER_ROUTED",
    "ARR_SERVER_STATS",
    "ARR_WEBFARM_NOT_ROUTED",
    "ASP_DEQUEUE_REQUEST",
    "ASP_DONE_PROCESSING",
    "ASP_END_CACHE_ACCESS",
    "ASP_END_COMPILE",
    "ASP_END_REQUEST",
    "ASP_END_SCRIPT_EXECUTION",
    "ASP_NEW_SESSION_CREATED",
    "ASP_QUEUE_REQUEST",
    "ASP_READ_FILE",
    "ASP_SCRIPT_TRACE_COM_CALL_END",
    "ASP_SCRIPT_TRACE_COM_CALL_START",
    "ASP_SCRIPT_TRACE_END",
    "ASP_SCRIPT_TRACE_START",
    "ASP_START_CACHE_ACCESS",
    "ASP_START_COMPILE",
    "ASP_START_REQUEST",
    "ASP_START_SCRIPT_EXECUTION",
    "AUTH_END",
    "AUTH_REQUEST_AUTH_TYPE",
    "AUTH_START",
    "AUTH_SUCCEEDED",
    "AspNetAppDomainEnter",
    "AspNetCompileEnter",
    "AspNetCompileLeave",
    "AspNetEndHandler",
    "AspNetHttpHandlerEnter",
    "AspNetHttpHandlerLeave",
    "AspNetMapHandlerEnter",
    "AspNetMapHandlerLeave",
    "AspNetPageInitEnter",
    "AspNetPageInitLeave",
    "AspNetPageLoadEnter",
    "AspNetPageLoadLeave",
    "AspNetPagePreInitEnter",
    "AspNetPagePreInitLeave",
    "AspNetPagePreRenderEnter",
    "AspNetPagePreRenderLeave",
    "AspNetPageRenderEnter",
    "AspNetPageRenderLeave",
    "AspNetPageSaveViewstateEnter",
    "AspNetPageSaveViewstateLeave",
    "AspNetPageTraceWarnEvent",
    "AspNetPageTraceWriteEvent",
    "AspNetParseEnter",
    "AspNetParseLeave",
    "AspNetPipelineEnter",
    "AspNetPipelineLeave",
    "AspNetSessionDataBegin",
    "AspNetSessionDataEnd",
    "AspNetStart",
    "AspNetStartHandler",
    "AspNetWebEventDeliverEnd",
    "AspNetWebEventDeliverStart",
    "AspNetWebEventRaiseEnd",
    "AspNetWebEventRaiseStart",
    "CALL_ISAPI_EXTENSION",
    "CONDITIONS_EVALUATION_END",
    "CONDITIONS_EVALUATION_START",
    "CONDITION_EVALUATION",
    "DYNAMIC_COMPRESSION_DO",
    "DYNAMIC_COMPRESSION_END",
    "DYNAMIC_COMPRESSION_NOT_SUCCESS",
    "DYNAMIC_COMPRESSION_START",
    "DYNAMIC_COMPRESSION_SUCCESS",
    "FASTCGI_ASSIGN_PROCESS",
    "FASTCGI_END",
    "FASTCGI_RESPONSE_WRITTEN",
    "FASTCGI_START",
    "FASTCGI_WAITING_FOR_RESPONSE",
    "FILE_CACHE_ACCESS_END",
    "FILE_CACHE_ACCESS_START",
    "FILE_CACHE_CREATE_FILE",
    "FILTER_AUTH_COMPLETE_END",
    "FILTER_AUTH_COMPLETE_START",
    "FILTER_END",
    "FILTER_PREPROC_HEADERS_END",
    "FILTER_PREPROC_HEADERS_START",
    "FILTER_SET_REQ_HEADER",
    "FILTER_START",
    "GENERAL_CHILD_REQUEST_END",
    "GENERAL_CHILD_REQUEST_START",
    "GENERAL_ENDPOINT_INFORMATION",
    "GENERAL_FLUSH_RESPONSE_END",
    "GENERAL_FLUSH_RESPONSE_START",
    "GENERAL_GET_URL_METADATA",
    "GENERAL_ISAPI_HANDLER",
    "GENERAL_MODULE_DIAGNOSTIC",
    "GENERAL_NOT_SEND_CUSTOM_ERROR",
    "GENERAL_READ_ENTITY_END",
    "GENERAL_READ_ENTITY_START",
    "GENERAL_REQUEST_END",
    "GENERAL_REQUEST_ENTITY",
    "GENERAL_REQUEST_HEADERS",
    "GENERAL_REQUEST_START",
    "GENERAL_RESPONSE_ENTITY_BUFFER",
    "GENERAL_RESPONSE_ENTITY_FILE",
    "GENERAL_RESPONSE_HEADERS",
    "GENERAL_SEND_CUSTOM_ERROR",
    "GENERAL_SET_REQUEST_HEADER",
    "GENERAL_SET_RESPONSE_HEADER",
    "GENERAL_STATIC_FILE_HANDLER",
    "HANDLER_CHANGED",
    "HANDLER_PRECONDITION_NOT_MATCH",
    "HTTPSYS_CACHEABLE",
    "ISAPI_END",
    "ISAPI_EXTENSION_DONE",
    "ISAPI_START",
    "LOG_FILE_MAX_SIZE_TRUNCATE",
    "MODULE_PRECONDITION_NOT_MATCH",
    "MODULE_SET_RESPONSE_ERROR_STATUS",
    "MODULE_SET_RESPONSE_SUCCESS_STATUS",
    "MODULE_WARNING",
    "NOTIFY_ISAPI_COMPLETION",
    "NOTIFY_MODULE_COMPLETION",
    "NOTIFY_MODULE_END",
    "NOTIFY_MODULE_START",
    "OUTPUT_CACHE_DISABLED",
    "OUTPUT_CACHE_LOOKUP_END",
    "OUTPUT_CACHE_LOOKUP_START",
    "OUTPUT_CACHE_UPDATE_END",
    "OUTPUT_CACHE_UPDATE_START",
    "PATTERN_MATCH",
    "PRE_BEGIN_REQUEST_END",
    "PRE_BEGIN_REQUEST_START",
    "REDIRECT_ACTION",
    "REWRITE_ACTION",
    "RULE_EVALUATION_END",
    "RULE_EVALUATION_START",
    "SET_RESPONSE_ERROR_DESCRIPTION",
    "SET_SERVER_VARIABLE",
    "SET_SERVER_VARIABLE_END",
    "SET_SERVER_VARIABLE_START",
    "STATIC_COMPRESSION_END",
    "STATIC_COMPRESSION_NOT_SUCCESS",
    "STATIC_COMPRESSION_START",
    "URL_CACHE_ACCESS_END",
    "URL_CACHE_ACCESS_START",
    "URL_CHANGED",
    "URL_REWRITE_END",
    "URL_REWRITE_START",
    "USER_SET",
    "VIRTUAL_MODULE_UNRESOLVED",
];

const WORDS: usize = 169_usize.div_ceil(64);

/// How many names outside the catalogue a set keeps. Real traces hold none or a few (a
/// module's own events); the diagnosis asks only about catalogue names and prefixes.
pub(crate) const MAX_OTHER_NAMES: usize = 16;
/// How much of a name outside the catalogue is kept.
pub(crate) const MAX_NAME_BYTES: usize = 64;

/// A set of event names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct EventNames {
    known: [u64; WORDS],
    /// Names outside the catalogue, sorted, without duplicates, at most [`MAX_OTHER_NAMES`].
    other: Vec<Box<str>>,
}

impl EventNames {
    /// Adds a name; returns the catalogue's copy of it when it is in the catalogue, which
    /// spares a caller that caches names a second lookup.
    pub fn insert(&mut self, name: &str) -> Option<&'static str> {
        match CATALOGUE.binary_search(&name) {
            Ok(i) => {
                self.known[i / 64] |= 1 << (i % 64);
                Some(CATALOGUE[i])
            }
            Err(_) => {
                let name = cut(name);
                if self.other.len() < MAX_OTHER_NAMES
                    && let Err(at) = self.other.binary_search_by(|n| n.as_ref().cmp(name))
                {
                    self.other.insert(at, name.into());
                }
                None
            }
        }
    }

    /// True when the name is in the set.
    pub fn contains(&self, name: &str) -> bool {
        match CATALOGUE.binary_search(&name) {
            Ok(i) => self.known[i / 64] & (1 << (i % 64)) != 0,
            Err(_) => self
                .other
                .binary_search_by(|n| n.as_ref().cmp(cut(name)))
                .is_ok(),
        }
    }

    /// True when a name in the set starts with `prefix` (`ARR_`).
    pub fn has_prefix(&self, prefix: &str) -> bool {
        self.iter().any(|n| n.starts_with(prefix))
    }

    /// The names, in byte order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        let known = CATALOGUE
            .iter()
            .enumerate()
            .filter(|(i, _)| self.known[i / 64] & (1 << (i % 64)) != 0)
            .map(|(_, n)| *n);
        let mut merged: Vec<&str> = known.chain(self.other.iter().map(AsRef::as_ref)).collect();
        merged.sort_unstable();
        merged.into_iter()
    }

    /// How many names.
    pub fn len(&self) -> usize {
        self.known
            .iter()
            .map(|w| w.count_ones() as usize)
            .sum::<usize>()
            + self.other.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// `name` cut at [`MAX_NAME_BYTES`], on a character boundary.
fn cut(name: &str) -> &str {
    if name.len() <= MAX_NAME_BYTES {
        return name;
    }
    let mut end = MAX_NAME_BYTES;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

impl<'a> FromIterator<&'a str> for EventNames {
    fn from_iter<I: IntoIterator<Item = &'a str>>(names: I) -> Self {
        let mut set = EventNames::default();
        for name in names {
            set.insert(name);
        }
        set
    }
}

/// A set in the form a run keeps it in memory for a while (a packed judged trace): the
/// catalogue's bits and the other names. Only for the run that wrote it, since the bits
/// follow this build's catalogue; the cache stores the names.
#[derive(Serialize, serde::Deserialize)]
pub(crate) struct PackedNames {
    known: [u64; WORDS],
    other: Vec<Box<str>>,
}

impl EventNames {
    /// The set as [`PackedNames`].
    pub(crate) fn pack(self) -> PackedNames {
        PackedNames {
            known: self.known,
            other: self.other,
        }
    }

    /// The set [`EventNames::pack`] gave.
    pub(crate) fn unpack(packed: PackedNames) -> EventNames {
        EventNames {
            known: packed.known,
            other: packed.other,
        }
    }
}

impl Serialize for EventNames {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_is_sorted_for_binary_search() {
        assert!(CATALOGUE.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn insert_hands_back_the_catalogue_copy_of_known_names_only() {
        let mut set = EventNames::default();
        let name = String::from("USER_SET");
        let kept = set.insert(&name);
        assert_eq!(kept, Some("USER_SET"));
        assert!(std::ptr::eq(kept.unwrap(), CATALOGUE[CATALOGUE.len() - 2]));
        assert_eq!(set.insert("MY_OTHER_EVENT"), None);
        assert_eq!(set.len(), 2);
    }

    /// A million distinct made-up names: linear time, and a set no larger than a real one.
    #[test]
    fn made_up_names_are_kept_few_and_short() {
        let mut set = EventNames::default();
        for i in 0..1_000_000 {
            set.insert(&format!("MADE_UP_{i:07}_{}", "X".repeat(i % 200)));
        }
        set.insert("NOTIFY_MODULE_START");
        assert_eq!(set.len(), MAX_OTHER_NAMES + 1);
        assert!(set.iter().all(|n| n.len() <= MAX_NAME_BYTES));
        assert!(set.contains("NOTIFY_MODULE_START"));
    }

    #[test]
    fn known_and_unknown_names_behave_alike() {
        let mut set = EventNames::default();
        for name in [
            "NOTIFY_MODULE_START",
            "MY_MODULE_EVENT",
            "ARR_REQUEST_HEADERS_START",
            "MY_MODULE_EVENT",
        ] {
            set.insert(name);
        }
        assert_eq!(set.len(), 3);
        assert!(set.contains("MY_MODULE_EVENT"));
        assert!(set.contains("NOTIFY_MODULE_START"));
        assert!(!set.contains("NOTIFY_MODULE_END"));
        assert!(set.has_prefix("ARR_"));
        assert!(!set.has_prefix("ANCM_"));
        let names: Vec<&str> = set.iter().collect();
        assert_eq!(
            names,
            [
                "ARR_REQUEST_HEADERS_START",
                "MY_MODULE_EVENT",
                "NOTIFY_MODULE_START"
            ]
        );
    }
}
