//! Arbitrary bytes as one event: validation, typed decoding and rendering never panic
//! (`syscall::fuzzing::event_input`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| syscall::fuzzing::event_input(data));
