//! The stored form of a [`Trace`]: plain serde types, one field per field of the trace.
//!
//! The conversion destructures [`Trace`] without `..`, so a field added to the trace does not
//! compile until it is stored here too; bump [`super::FORMAT`] with it, so that caches written
//! by the previous build are ignored instead of read wrong.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{
    ArrRoute, Depth, ErrorCode, EventNames, ModuleError, ModuleWarning, Status, Trace,
};

/// A time as seconds and nanoseconds since 1970: exact, unlike a float, and cheaper than text.
type Stamp = (i64, u32);

fn stamp(t: Option<DateTime<Utc>>) -> Option<Stamp> {
    t.map(|t| (t.timestamp(), t.timestamp_subsec_nanos()))
}

fn time(s: Option<Stamp>) -> Option<DateTime<Utc>> {
    s.and_then(|(secs, nanos)| DateTime::from_timestamp(secs, nanos))
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct TraceRecord {
    server: String,
    site_id: String,
    app_pool: String,
    process_id: u32,
    url: String,
    verb: String,
    remote_user: String,
    user_name: String,
    token_user: String,
    auth_type: String,
    activity_id: String,
    failure_reason: String,
    status: (u16, u32),
    trigger_status: (u16, u32),
    time_taken_ms: Option<u64>,
    start_time: Option<Stamp>,
    end_time: Option<Stamp>,
    error: Option<ErrorRecord>,
    error_description: Option<String>,
    warning: Option<WarningRecord>,
    user_agent: Option<String>,
    host: Option<String>,
    arr_log_id: Option<String>,
    arr_log_id_forwarded: Option<String>,
    proxy_target: Option<String>,
    /// `None`: unknown; `Some(None)`: direct; `Some(Some(name))`: a farm.
    arr_route: Option<Option<String>>,
    forward_start: Option<Stamp>,
    handler: Option<String>,
    fastcgi_new_process: Option<bool>,
    ancm_failure: Option<String>,
    exception: Option<String>,
    truncated: bool,
    partial: bool,
    full: bool,
    event_count: u32,
    events: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct ErrorRecord {
    module: String,
    notification: String,
    status: (u16, u32),
    error_code: Option<u32>,
    config_exception: String,
    time: Option<Stamp>,
}

#[derive(Debug, Serialize, Deserialize)]
struct WarningRecord {
    module: String,
    data1: String,
    data2: String,
    error_code: Option<u32>,
}

impl TraceRecord {
    /// True when the trace was read to its end (it matched the run's filters).
    pub(super) fn is_full(&self) -> bool {
        self.full
    }
}

fn status((code, sub): (u16, u32)) -> Status {
    Status::new(code, sub)
}

impl From<&Trace> for TraceRecord {
    fn from(t: &Trace) -> Self {
        let Trace {
            file: _,
            server,
            site_id,
            app_pool,
            process_id,
            url,
            verb,
            remote_user,
            user_name,
            token_user,
            auth_type,
            activity_id,
            failure_reason,
            status,
            trigger_status,
            time_taken_ms,
            start_time,
            end_time,
            error,
            error_description,
            warning,
            user_agent,
            host,
            arr_log_id,
            arr_log_id_forwarded,
            proxy_target,
            arr_route,
            forward_start,
            handler,
            fastcgi_new_process,
            ancm_failure,
            exception,
            truncated,
            partial,
            depth,
            event_count,
            // Never stored: `Cache::save` keeps only traces without unparseable values.
            unparsed: _,
            events,
        } = t;
        TraceRecord {
            server: server.clone(),
            site_id: site_id.clone(),
            app_pool: app_pool.clone(),
            process_id: *process_id,
            url: url.clone(),
            verb: verb.clone(),
            remote_user: remote_user.clone(),
            user_name: user_name.clone(),
            token_user: token_user.clone(),
            auth_type: auth_type.clone(),
            activity_id: activity_id.clone(),
            failure_reason: failure_reason.clone(),
            status: (status.code, status.sub),
            trigger_status: (trigger_status.code, trigger_status.sub),
            time_taken_ms: *time_taken_ms,
            start_time: stamp(*start_time),
            end_time: stamp(*end_time),
            error: error.as_ref().map(|e| ErrorRecord {
                module: e.module.clone(),
                notification: e.notification.clone(),
                status: (e.status.code, e.status.sub),
                error_code: e.error_code.map(|c| c.0),
                config_exception: e.config_exception.clone(),
                time: stamp(e.time),
            }),
            error_description: error_description.clone(),
            warning: warning.as_ref().map(|w| WarningRecord {
                module: w.module.clone(),
                data1: w.data1.clone(),
                data2: w.data2.clone(),
                error_code: w.error_code.map(|c| c.0),
            }),
            user_agent: user_agent.clone(),
            host: host.clone(),
            arr_log_id: arr_log_id.clone(),
            arr_log_id_forwarded: arr_log_id_forwarded.clone(),
            proxy_target: proxy_target.clone(),
            arr_route: arr_route.as_ref().map(|r| match r {
                ArrRoute::Farm { name } => Some(name.clone()),
                ArrRoute::Direct => None,
            }),
            forward_start: stamp(*forward_start),
            handler: handler.clone(),
            fastcgi_new_process: *fastcgi_new_process,
            ancm_failure: ancm_failure.clone(),
            exception: exception.clone(),
            truncated: *truncated,
            partial: *partial,
            full: *depth == Depth::Full,
            event_count: *event_count,
            events: events.iter().map(str::to_owned).collect(),
        }
    }
}

impl TraceRecord {
    /// The trace of `file` this record holds.
    pub(crate) fn into_trace(self, file: std::path::PathBuf) -> Trace {
        Trace {
            file,
            server: self.server,
            site_id: self.site_id,
            app_pool: self.app_pool,
            process_id: self.process_id,
            url: self.url,
            verb: self.verb,
            remote_user: self.remote_user,
            user_name: self.user_name,
            token_user: self.token_user,
            auth_type: self.auth_type,
            activity_id: self.activity_id,
            failure_reason: self.failure_reason,
            status: status(self.status),
            trigger_status: status(self.trigger_status),
            time_taken_ms: self.time_taken_ms,
            start_time: time(self.start_time),
            end_time: time(self.end_time),
            error: self.error.map(|e| ModuleError {
                module: e.module,
                notification: e.notification,
                status: status(e.status),
                error_code: e.error_code.map(ErrorCode),
                config_exception: e.config_exception,
                time: time(e.time),
            }),
            error_description: self.error_description,
            warning: self.warning.map(|w| ModuleWarning {
                module: w.module,
                data1: w.data1,
                data2: w.data2,
                error_code: w.error_code.map(ErrorCode),
            }),
            user_agent: self.user_agent,
            host: self.host,
            arr_log_id: self.arr_log_id,
            arr_log_id_forwarded: self.arr_log_id_forwarded,
            proxy_target: self.proxy_target,
            arr_route: self.arr_route.map(|r| match r {
                Some(name) => ArrRoute::Farm { name },
                None => ArrRoute::Direct,
            }),
            forward_start: time(self.forward_start),
            handler: self.handler,
            fastcgi_new_process: self.fastcgi_new_process,
            ancm_failure: self.ancm_failure,
            exception: self.exception,
            truncated: self.truncated,
            partial: self.partial,
            depth: if self.full { Depth::Full } else { Depth::Head },
            event_count: self.event_count,
            unparsed: Vec::new(),
            events: self
                .events
                .iter()
                .map(String::as_str)
                .collect::<EventNames>(),
        }
    }
}
