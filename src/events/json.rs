//! `Get-WinEvent ... | ConvertTo-Json`: an array of records (or one record), with the columns
//! of the CSV export. Windows PowerShell 5.1 writes `TimeCreated` as `"\/Date(ms)\/"` (UTC
//! milliseconds), sometimes wrapped as `{"value": ..., "DateTime": ...}`; PowerShell 7 as ISO
//! 8601 with the local offset. `Properties`, when `-Depth` kept it, is `[{"Value": ...}]`
//! and stands in for `EventData`.
//!
//! The array is read one element at a time, so a large export costs one record's memory.

use std::fmt;
use std::io::Read;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::capped::{self, Budget};
use super::local_time;
use super::raw::RawEvent;
use super::{EventSkipReason, FileEvents, ReadOptions, kinds};

/// Reads a PowerShell JSON export.
pub fn read<R: Read + 'static>(file: R, path: &Path, options: &ReadOptions) -> FileEvents {
    let (reader, budget) = match capped::text_reader(file) {
        Ok(r) => r,
        Err(err) => {
            return FileEvents {
                problem: Some((EventSkipReason::Unreadable, err.to_string())),
                ..FileEvents::default()
            };
        }
    };
    let mut file = FileEvents::default();
    let mut stop: Option<(EventSkipReason, String)> = None;
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    let outcome = Records {
        budget: &budget,
        each: &mut |value: Value| {
            if stop.is_some() {
                return;
            }
            file.records += 1;
            match record(&value, options) {
                Ok(Some(raw)) => {
                    if let Some(event) = kinds::classify(&raw, path) {
                        file.events.push(event);
                    }
                }
                Ok(None) => {}
                Err(detail) => stop = Some((EventSkipReason::NeedsUtcOffset, detail)),
            }
        },
    }
    .deserialize(&mut deserializer);
    if let Some(problem) = stop {
        file.events.clear();
        file.problem = Some(problem);
    } else if let Err(err) = outcome {
        let reason = if file.records == 0 && !err.is_eof() {
            EventSkipReason::NotEvents
        } else {
            EventSkipReason::Malformed
        };
        file.problem = Some((reason, format!("{err}; the records before it were kept")));
    }
    file
}

/// Hands every element of the top-level array (or the one object) to `each`.
struct Records<'a, 'f> {
    budget: &'a Budget,
    each: &'f mut dyn FnMut(Value),
}

impl<'de> DeserializeSeed<'de> for Records<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Records<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of Get-WinEvent records, or one record")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(value) = seq.next_element::<Value>()? {
            self.budget.reset();
            if value.is_object() {
                (self.each)(value);
            }
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let value: Value =
            serde::Deserialize::deserialize(de::value::MapAccessDeserializer::new(map))?;
        (self.each)(value);
        Ok(())
    }
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// One record; `Err` when its time is local and no offset was given.
fn record(value: &Value, options: &ReadOptions) -> Result<Option<RawEvent>, String> {
    let field = |name: &str| value.get(name).and_then(text).filter(|v| !v.is_empty());
    let Some(id) = field("Id").and_then(|v| v.parse::<u32>().ok()) else {
        return Ok(None);
    };
    let provider = field("ProviderName").unwrap_or_default();
    if !kinds::may_matter(&provider, id) {
        return Ok(None);
    }
    let (time, precise) = match value.get("TimeCreated") {
        Some(t) => time_created(t, options)?,
        None => (None, false),
    };
    let mut raw = RawEvent {
        provider,
        event_id: Some(id),
        time,
        precise_time: precise,
        server: field("MachineName").unwrap_or_default(),
        channel: field("LogName").unwrap_or_default(),
        record_id: field("RecordId").and_then(|v| v.parse().ok()),
        message: field("Message").map(|m| {
            let mut capped = String::new();
            capped::push_capped(&mut capped, &m);
            capped
        }),
        ..RawEvent::default()
    };
    if let Some(Value::Array(properties)) = value.get("Properties") {
        for p in properties {
            if let Some(v) = p.get("Value").and_then(text) {
                raw.push_data(String::new(), v);
            }
        }
    }
    Ok(Some(raw))
}

/// `"/Date(1741694910123)/"`, `{"value": "/Date(...)/"}`, or an ISO time.
fn time_created(
    value: &Value,
    options: &ReadOptions,
) -> Result<(Option<DateTime<Utc>>, bool), String> {
    let value = match value {
        Value::Object(map) => map.get("value").unwrap_or(&Value::Null),
        other => other,
    };
    let Some(text) = text(value) else {
        return Ok((None, false));
    };
    if let Some(ms) = date_ms(&text) {
        return Ok((DateTime::from_timestamp_millis(ms), true));
    }
    match local_time::parse(&text) {
        Some(written) => match written.to_utc(options.utc_offset) {
            Some(t) => Ok((Some(t), text.contains('.'))),
            None => Err(super::csv::needs_offset(&text)),
        },
        None => Ok((None, false)),
    }
}

/// `/Date(1741694910123)/` or `/Date(1741694910123+0100)/` → milliseconds since 1970 UTC.
fn date_ms(text: &str) -> Option<i64> {
    let inner = text.strip_prefix("/Date(")?.strip_suffix(")/")?;
    let end = inner
        .char_indices()
        .skip(1)
        .find(|(_, c)| *c == '+' || *c == '-')
        .map_or(inner.len(), |(i, _)| i);
    inner[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::EventKind;

    fn read_text(text: &str, offset: Option<&str>) -> FileEvents {
        let options = ReadOptions {
            utc_offset: offset.and_then(local_time::parse_offset),
        };
        read(
            std::io::Cursor::new(text.as_bytes().to_vec()),
            Path::new("e.json"),
            &options,
        )
    }

    const CRASH: &str = "A process serving application pool 'Orders' suffered a fatal communication error with the Windows Process Activation Service. The process id was '8716'. The data field contains the error number.";

    #[test]
    fn windows_powershell_dates() {
        let text = format!(
            "[\r\n    {{\r\n        \"Message\":  \"{CRASH}\",\r\n        \"Id\":  5011,\r\n        \"RecordId\":  77,\r\n        \"ProviderName\":  \"Microsoft-Windows-WAS\",\r\n        \"LogName\":  \"System\",\r\n        \"MachineName\":  \"WEB02\",\r\n        \"TimeCreated\":  \"\\/Date(1741712400123)\\/\"\r\n    }},\r\n    {{\"Id\": 7036, \"ProviderName\": \"Service Control Manager\", \"TimeCreated\": {{\"value\": \"\\/Date(1741712400000)\\/\", \"DateTime\": \"Tuesday\"}}}}\r\n]"
        );
        let read = read_text(&text, None);
        assert!(read.problem.is_none(), "{:?}", read.problem);
        assert_eq!(read.records, 2);
        let e = &read.events[0];
        assert_eq!((e.kind, e.pid), (EventKind::Crash, Some(8716)));
        assert_eq!(e.time.to_rfc3339(), "2025-03-11T17:00:00.123+00:00");
    }

    #[test]
    fn powershell_7_iso_dates_and_one_object() {
        let text = format!(
            "{{\"Message\": \"{CRASH}\", \"Id\": 5011, \"ProviderName\": \"Microsoft-Windows-WAS\", \"MachineName\": \"WEB02\", \"TimeCreated\": \"2025-03-11T18:00:00.5+01:00\"}}"
        );
        let read = read_text(&text, None);
        assert_eq!(
            read.events[0].time.to_rfc3339(),
            "2025-03-11T17:00:00.500+00:00"
        );
        let local = text.replace("+01:00", "");
        let read = read_text(&local, None);
        assert_eq!(read.problem.unwrap().0, EventSkipReason::NeedsUtcOffset);
        assert_eq!(read_text(&local, Some("+01:00")).events.len(), 1);
    }

    #[test]
    fn properties_stand_in_for_event_data() {
        let text = "[{\"Id\": 5186, \"ProviderName\": \"Microsoft-Windows-WAS\", \"MachineName\": \"WEB01\", \"TimeCreated\": \"\\/Date(1741694910000)\\/\", \"Properties\": [{\"Value\": 4812}, {\"Value\": \"Orders\"}, {\"Value\": 20}]}]";
        let e = &read_text(text, None).events[0];
        assert_eq!((e.pid, e.pool.as_deref()), (Some(4812), Some("Orders")));
    }

    #[test]
    fn broken_json_is_reported() {
        let read = read_text(
            "[{\"Id\": 5186, \"ProviderName\": \"WAS\"}, {\"Id\": ",
            None,
        );
        assert_eq!(read.problem.unwrap().0, EventSkipReason::Malformed);
        let read = read_text("{not json", None);
        assert_eq!(read.problem.unwrap().0, EventSkipReason::NotEvents);
    }

    #[test]
    fn date_forms() {
        assert_eq!(date_ms("/Date(1574202819000)/"), Some(1_574_202_819_000));
        assert_eq!(
            date_ms("/Date(1574202819000+0100)/"),
            Some(1_574_202_819_000)
        );
        assert_eq!(date_ms("/Date(-5)/"), Some(-5));
        assert_eq!(date_ms("Date(1)"), None);
    }
}
