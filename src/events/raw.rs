//! One record as an export holds it, before [`super::kinds`] decides whether it matters.

use chrono::{DateTime, Utc};

/// How many `Data` values of a record are kept: the longest event used here has 15.
pub(super) const MAX_DATA: usize = 32;

/// The fields of one record that the classification reads; every reader fills what its format
/// has (a CSV has no `Data`, an `.evtx` no message).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawEvent {
    /// `Provider@Name` (`ProviderName`).
    pub provider: String,
    /// `Provider@EventSourceName`, when written.
    pub event_source: String,
    /// `EventID`, without its qualifiers.
    pub event_id: Option<u32>,
    /// `TimeCreated`, UTC.
    pub time: Option<DateTime<Utc>>,
    /// The time had digits below the second.
    pub precise_time: bool,
    /// `Computer` / `MachineName`.
    pub server: String,
    /// `Channel` / `LogName`.
    pub channel: String,
    /// `EventRecordID` / `RecordId`.
    pub record_id: Option<u64>,
    /// `EventData/Data`, in order: (`Name` attribute or empty, value).
    pub data: Vec<(String, String)>,
    /// The rendered message (`RenderingInfo/Message`, CSV/JSON `Message`).
    pub message: Option<String>,
}

impl RawEvent {
    /// The n-th `Data` value, counting from 0.
    pub fn data_at(&self, index: usize) -> Option<&str> {
        self.data.get(index).map(|(_, v)| v.as_str())
    }

    /// The `Data` value of this name, any case.
    pub fn data_named(&self, name: &str) -> Option<&str> {
        self.data
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Adds a `Data` value, up to [`MAX_DATA`].
    pub fn push_data(&mut self, name: String, value: String) {
        if self.data.len() < MAX_DATA {
            self.data.push((name, value));
        }
    }
}
