//! Saker's plugin API: Falco's plugin ABI 3.12.0 as Rust types ([`ffi`]).
#![deny(unsafe_op_in_unsafe_fn)]

pub mod ffi;
