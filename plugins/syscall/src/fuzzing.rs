//! One fuzz input through the syscall plugin, shared by the libFuzzer targets (`fuzz/`, nightly
//! `cargo fuzz`) and the bounded mutation run of the test suite (`tests/fuzz_bounded.rs`, stable).
//!
//! Each function takes arbitrary bytes and must return without panicking and with bounded
//! memory, whatever the bytes: errors are expected and ignored.

use plugin_api::event::EventRef;

use crate::event_table::is_large_payload;
use crate::fields::{extract, FieldArg, FieldValue, ALL_FIELD_IDS};
use crate::params::DecodedEvent;
use crate::replay::CaptureReplay;
use crate::state::ThreadTable;

/// Events read from one capture input at most, so one input stays fast.
pub const MAX_EVENTS: u64 = 10_000;
/// Events of a capture input whose every field is extracted (the rest update the state only).
pub const EVENTS_WITH_FIELDS: u64 = 64;
/// Offset of an event header's type (u16 LE).
const EVENT_TYPE_OFFSET: usize = 20;

/// `data` as a capture file (plain or gzip): blocks read, old events converted, the process
/// and fd state updated from the metadata blocks and every event, every field (without
/// argument, then with index 0 and 1) extracted for the first [`EVENTS_WITH_FIELDS`] events,
/// and the arguments rendered.
pub fn capture_input(data: &[u8]) {
    let Ok(mut replay) =
        CaptureReplay::from_reader(std::io::Cursor::new(data.to_vec()), "fuzz".into(), data.len() as u64)
    else {
        return;
    };
    let mut state = ThreadTable::new();
    let mut values: Vec<FieldValue> = Vec::new();
    for n in 0..MAX_EVENTS {
        let Ok(Some(ev)) = replay.next_event(|m| state.apply_capture_item(m)) else {
            return;
        };
        let _ = state.parse_event(ev);
        if n < EVENTS_WITH_FIELDS {
            if let Ok(d) = DecodedEvent::new(ev) {
                let _ = d.render_args();
                for &id in ALL_FIELD_IDS {
                    for arg in [FieldArg::None, FieldArg::Index(0), FieldArg::Index(1)] {
                        values.clear();
                        extract(id, arg, &d, &state, &mut values);
                    }
                }
            }
        }
    }
}

/// `data` as one event (header and parameters): validation, typed decoding of every parameter
/// and rendering of the arguments.
pub fn event_input(data: &[u8]) {
    let Some(kind) = data.get(EVENT_TYPE_OFFSET..EVENT_TYPE_OFFSET + 2) else {
        return;
    };
    let large = is_large_payload(u16::from_le_bytes([kind[0], kind[1]]));
    let Ok(ev) = EventRef::parse(data, large) else {
        return;
    };
    if let Ok(d) = DecodedEvent::new(ev) {
        for i in 0..d.event.nparams() as usize {
            let _ = d.param(i);
        }
        let _ = d.render_args();
    }
}
