//! Event parsing capability: update state (own or host tables) from each event, before any
//! extraction for that event.

use super::tables::{TableReader, TableWriter};
use super::{Plugin, PluginError};
use crate::event::{EventRef, PluginEvent};
use crate::ffi;

/// What `parse_event` receives.
pub struct ParseInput<'a> {
    pub event: EventRef<'a>,
    /// The decoded plugin event, when the event is of type 322.
    pub plugin_event: Option<PluginEvent<'a>>,
    pub evt_num: u64,
    pub(crate) source: super::extract::SourceName<'a>,
    pub tables: TableReader<'a>,
    pub writer: TableWriter<'a>,
}

impl<'a> ParseInput<'a> {
    /// Name of the event's source; `""` if not UTF-8.
    pub fn source(&self) -> &'a str {
        self.source.get()
    }
}

/// Event parsing capability.
pub trait ParsePlugin: Plugin {
    /// Event types to parse; default only plugin events (322).
    const PARSE_EVENT_TYPES: &'static [u16] = &[ffi::PPME_PLUGINEVENT_E];
    /// Sources to parse; empty = every compatible source.
    const PARSE_EVENT_SOURCES: &'static [&'static str] = &[];

    fn parse_event(&mut self, input: &ParseInput<'_>) -> Result<(), PluginError>;
}
