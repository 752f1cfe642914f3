//! Event sourcing capability: `open`, `next_batch`, `close`, progress, `event_to_string`.

use super::{Plugin, PluginError};
use crate::event::{encode_plugin_event, PluginEvent};
use crate::ffi::ss_plugin_event;

/// How a batch ends (`ss_plugin_rc` of `next_batch`). Events pushed into the batch are always
/// delivered first, whatever the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchEnd {
    /// More events will come. A `Success` batch with no events is reported as `Timeout`
    /// (the host treats SUCCESS with 0 events as an error).
    Success,
    /// Nothing now; the host calls again. Block ~10–100 ms before returning this.
    Timeout,
    /// The stream is finished.
    Eof,
}

/// Progress of a capture instance: `pct` in hundredths of a percent (0..=10000).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    pub pct: u32,
    pub text: String,
}

/// Largest value of [`Progress::pct`] (100.00 %).
pub const MAX_PROGRESS_PCT: u32 = 10_000;

/// One suggested value of `open_params` (`list_open_params`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OpenParam {
    pub value: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub desc: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub separator: String,
}

/// The events of one `next_batch` call, packed back to back in a reused arena.
///
/// Appending is a few `memcpy`s; nothing is allocated once the arena has grown to the
/// batch's working size.
#[derive(Debug, Default)]
pub struct EventBatch {
    plugin_id: u32,
    arena: Vec<u8>,
    offsets: Vec<usize>,
    pointers: Vec<*mut ss_plugin_event>,
}

impl EventBatch {
    /// An empty batch whose events carry `plugin_id`.
    pub fn new(plugin_id: u32) -> Self {
        EventBatch {
            plugin_id,
            ..Default::default()
        }
    }

    /// Appends a plugin event (type 322) with timestamp `ts` (ns since epoch; `u64::MAX` lets
    /// the host stamp it) and payload `data`.
    #[inline]
    pub fn push(&mut self, ts: u64, data: &[u8]) -> Result<(), PluginError> {
        let start = self.arena.len();
        encode_plugin_event(ts, self.plugin_id, data, &mut self.arena)?;
        self.offsets.push(start);
        Ok(())
    }

    /// Appends an already-encoded event as is (a syscall-source plugin emits libscap events,
    /// not plugin events). The bytes are validated as one event with the given slot width.
    pub fn push_raw(&mut self, event: &[u8], large_payload: bool) -> Result<(), PluginError> {
        let ev = crate::event::EventRef::parse(event, large_payload)?;
        let start = self.arena.len();
        self.arena.extend_from_slice(ev.as_bytes());
        self.offsets.push(start);
        Ok(())
    }

    /// Appends an event the plugin already holds as a validated [`EventRef`] (e.g. read from
    /// a capture): its bytes as is, without validating them a second time. Same result as
    /// [`EventBatch::push_raw`] with the event's own slot width.
    #[inline]
    pub fn push_event(&mut self, event: &crate::event::EventRef<'_>) {
        let start = self.arena.len();
        self.arena.extend_from_slice(event.as_bytes());
        self.offsets.push(start);
    }

    /// Appends an event that `write` encodes straight into the batch's arena (no copy
    /// through a buffer of the caller's). `write` appends one encoded event to the vector it
    /// is given and returns `true`, or returns `false` when it has no event; what it wrote is
    /// then discarded, as it is when the bytes are not one valid event with the given slot
    /// width (that error is returned). `Ok(true)`: an event was added.
    pub fn push_with(
        &mut self,
        large_payload: bool,
        write: impl FnOnce(&mut Vec<u8>) -> bool,
    ) -> Result<bool, PluginError> {
        let start = self.arena.len();
        if !write(&mut self.arena) {
            self.arena.truncate(start);
            return Ok(false);
        }
        match crate::event::EventRef::parse(&self.arena[start..], large_payload) {
            Ok(ev) if ev.as_bytes().len() == self.arena.len() - start => {
                self.offsets.push(start);
                Ok(true)
            }
            Ok(_) => {
                self.arena.truncate(start);
                Err(PluginError::Message(
                    "push_with: the writer appended more than one event; push them one by one".into(),
                ))
            }
            Err(e) => {
                self.arena.truncate(start);
                Err(e.into())
            }
        }
    }

    /// The encoded bytes of the events from the `first`-th on (to copy a batch's newest
    /// events elsewhere, e.g. a capture file).
    pub fn bytes_from(&self, first: usize) -> &[u8] {
        self.offsets.get(first).map_or(&[][..], |&start| &self.arena[start..])
    }

    /// Number of events pushed so far.
    #[inline]
    pub fn len(&self) -> usize {
        self.offsets.len()
    }
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.offsets.is_empty()
    }
    /// The encoded bytes of all events in order (for tests and capture writers).
    pub fn bytes(&self) -> &[u8] {
        &self.arena
    }

    /// Forgets the previous batch, keeping capacity.
    #[inline]
    pub(crate) fn clear(&mut self) {
        self.arena.clear();
        self.offsets.clear();
        self.pointers.clear();
    }

    /// Builds the pointer array handed to the host. Valid until the next `clear`/`push`.
    #[inline]
    pub(crate) fn publish(&mut self) -> (*mut *mut ss_plugin_event, u32) {
        let base = self.arena.as_mut_ptr();
        self.pointers.clear();
        // wrapping_add keeps this free of unsafe; every offset is inside the arena.
        self.pointers.extend(
            self.offsets
                .iter()
                .map(|&o| base.wrapping_add(o).cast::<ss_plugin_event>()),
        );
        (self.pointers.as_mut_ptr(), self.pointers.len() as u32)
    }
}

/// An open capture of a source plugin (`ss_instance_t`).
pub trait SourceInstance<P>: Sized + 'static {
    /// Appends the next events to `batch` and says how the batch ends.
    fn next_batch(&mut self, plugin: &mut P, batch: &mut EventBatch) -> Result<BatchEnd, PluginError>;

    /// Progress of a finite capture (files); `None` when unknown.
    fn get_progress(&mut self, plugin: &mut P) -> Option<Progress> {
        let _ = plugin;
        None
    }

    /// Called by `close` before the instance is dropped.
    fn close(&mut self, plugin: &mut P) {
        let _ = plugin;
    }
}

/// Event sourcing capability.
pub trait SourcePlugin: Plugin {
    /// Registry-assigned id (999 is reserved for development).
    const ID: u32;
    /// Name of the event source, e.g. `"k8s_audit"`. `"syscall"` is reserved.
    const EVENT_SOURCE: &'static str;
    type Instance: SourceInstance<Self>;

    /// Opens a capture with the user's `open_params`.
    fn open(&mut self, params: &str) -> Result<Self::Instance, PluginError>;

    /// Suggested values of `open_params`.
    fn list_open_params(&mut self) -> Result<Vec<OpenParam>, PluginError> {
        Ok(Vec::new())
    }

    /// Writes a one-line description of one of this plugin's events into `out` (cleared
    /// before the call). Leaving it empty lets the host print its default.
    fn event_to_string(&mut self, event: &PluginEvent<'_>, out: &mut String) -> Result<(), PluginError> {
        let _ = (event, out);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{EventRef, EventWriter};

    fn write_event(out: &mut Vec<u8>, ts: u64) {
        let mut w = EventWriter::begin(out, ts, 7, 3, 1);
        w.param(b"abc").unwrap();
        w.finish().unwrap();
    }

    #[test]
    fn push_event_adds_what_push_raw_adds() {
        let mut bytes = Vec::new();
        write_event(&mut bytes, 5);
        let ev = EventRef::parse(&bytes, false).unwrap();
        let (mut raw, mut validated) = (EventBatch::new(0), EventBatch::new(0));
        raw.push_raw(&bytes, false).unwrap();
        raw.push_raw(&bytes, false).unwrap();
        validated.push_event(&ev);
        validated.push_event(&ev);
        assert_eq!(validated.len(), 2);
        assert_eq!(validated.bytes(), raw.bytes());
        assert_eq!(validated.bytes_from(1), raw.bytes_from(1));
    }

    #[test]
    fn push_with_keeps_valid_events_and_discards_the_rest() {
        let mut batch = EventBatch::new(0);
        assert!(batch
            .push_with(false, |out| {
                write_event(out, 1);
                true
            })
            .unwrap());
        // A writer that has no event: what it wrote is dropped.
        assert!(!batch
            .push_with(false, |out| {
                out.extend_from_slice(b"junk");
                false
            })
            .unwrap());
        // Bytes that are not an event: an error, and the batch is unchanged.
        assert!(batch
            .push_with(false, |out| {
                out.extend_from_slice(&[1, 2, 3]);
                true
            })
            .is_err());
        // Two events at once: refused.
        assert!(batch
            .push_with(false, |out| {
                write_event(out, 2);
                write_event(out, 3);
                true
            })
            .is_err());
        assert!(batch
            .push_with(false, |out| {
                write_event(out, 4);
                true
            })
            .unwrap());
        assert_eq!(batch.len(), 2);
        let first = EventRef::parse(batch.bytes(), false).unwrap();
        assert_eq!(first.ts(), 1);
        let second = EventRef::parse(batch.bytes_from(1), false).unwrap();
        assert_eq!(second.ts(), 4);
        assert_eq!(batch.bytes().len(), 2 * first.as_bytes().len());
        assert!(batch.bytes_from(2).is_empty());
    }
}
