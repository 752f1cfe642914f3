//! Saker's plugin API: Falco's plugin ABI 3.12.0 as Rust types ([`ffi`]) and scap event
//! encoding ([`event`]).
#![deny(unsafe_op_in_unsafe_fn)]

pub mod event;
pub mod ffi;
