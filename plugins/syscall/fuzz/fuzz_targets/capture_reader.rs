//! Arbitrary bytes as a capture (plain or gzip): the reader, converter, state and fields must
//! return values or errors, never panic (`syscall::fuzzing::capture_input`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| syscall::fuzzing::capture_input(data));
