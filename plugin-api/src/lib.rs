//! Saker's plugin API: Falco's plugin ABI 3.12.0 as Rust types ([`ffi`]), scap event encoding
//! ([`event`]), the safe plugin SDK ([`sdk`], [`saker_plugin!`]) and the static plugin
//! manifest ([`manifest`]).
#![deny(unsafe_op_in_unsafe_fn)]

pub mod event;
pub mod ffi;
pub mod manifest;
pub mod sdk;
