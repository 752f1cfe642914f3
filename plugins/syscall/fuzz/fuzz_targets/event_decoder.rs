//! Arbitrary bytes as one event: validation, typed decoding and rendering never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plugin_api::event::EventRef;
use syscall::event_table::is_large_payload;
use syscall::params::DecodedEvent;

fuzz_target!(|data: &[u8]| {
    if data.len() < 22 {
        return;
    }
    let large = is_large_payload(u16::from_le_bytes([data[20], data[21]]));
    if let Ok(ev) = EventRef::parse(data, large) {
        if let Ok(d) = DecodedEvent::new(ev) {
            for i in 0..d.event.nparams() as usize {
                let _ = d.param(i);
            }
            let _ = d.render_args();
        }
    }
});
