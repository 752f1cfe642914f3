//! Arbitrary bytes as a capture (plain or gzip): the reader must return items or an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use syscall::params::DecodedEvent;
use syscall::scap::{CaptureItem, CaptureReader};

/// Upper bound of items read per input, so a fuzz run stays fast.
const MAX_ITEMS: usize = 10_000;

fuzz_target!(|data: &[u8]| {
    let Ok(mut reader) = CaptureReader::from_reader(std::io::Cursor::new(data.to_vec()), "fuzz") else {
        return;
    };
    for _ in 0..MAX_ITEMS {
        match reader.next_item() {
            Ok(Some(CaptureItem::Event(ev))) => {
                if let Ok(d) = DecodedEvent::new(ev.event) {
                    let _ = d.render_args();
                }
            }
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
});
